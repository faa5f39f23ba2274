package dynamodb

import (
	"encoding/json"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnResources are DynamoDB's CloudFormation resource types.
func (s *DynamoDB) cfnResources() map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the table name; Fn::GetAtt Arn, StreamArn.
		"AWS::DynamoDB::Table": {Read: s.cfnReadTable,
			Create: s.cfnCreateTable, Update: s.cfnUpdateTable, Delete: s.cfnDeleteTable,
			Replace: []string{"TableName", "KeySchema", "LocalSecondaryIndexes"}, Tags: true,
		},
		// Ref is the table name; Fn::GetAtt Arn, StreamArn, TableId.
		// Tags are per replica (Replicas[].Tags), not the type's.
		"AWS::DynamoDB::GlobalTable": {
			Create: s.cfnCreateGlobalTable, Update: s.cfnUpdateGlobalTable, Delete: s.cfnDeleteGlobalTable,
			Replace: []string{"TableName", "KeySchema", "LocalSecondaryIndexes"},
		},
	}
}

func cfnInvalid(r kit.ResourceRequest, prop string, err error) error {
	return awserr.ValidationError.New("Properties validation failed for resource %s with message: #/%s: %v", r.LogicalID, prop, err)
}

func (s *DynamoDB) cfnCreateTable(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.Str("TableName")
	if name == "" {
		name = kit.PhysicalName(r, 255)
	}
	in := &dynamodbapi.CreateTableInput{TableName: &name}
	for _, p := range []struct {
		name string
		out  any
	}{
		{"AttributeDefinitions", &in.AttributeDefinitions}, {"KeySchema", &in.KeySchema},
		{"LocalSecondaryIndexes", &in.LocalSecondaryIndexes}, {"GlobalSecondaryIndexes", &in.GlobalSecondaryIndexes},
		{"ProvisionedThroughput", &in.ProvisionedThroughput}, {"OnDemandThroughput", &in.OnDemandThroughput},
	} {
		if err := kit.DecodeProp(r.Properties, p.name, p.out); err != nil {
			return kit.ResourceResult{}, cfnInvalid(r, p.name, err)
		}
	}
	if len(in.KeySchema) == 0 {
		return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: #: required key [KeySchema] not found", r.LogicalID)
	}
	billing := r.Str("BillingMode")
	if billing == "" {
		billing = "PROVISIONED"
	}
	in.BillingMode = &billing
	if v := r.Str("TableClass"); v != "" {
		in.TableClass = &v
	}
	if kit.Has(r.Properties, "DeletionProtectionEnabled") {
		v := kit.PropBool(r.Properties, "DeletionProtectionEnabled")
		in.DeletionProtectionEnabled = &v
	}
	if ss := kit.PropMap(r.Properties, "StreamSpecification"); ss != nil {
		t, view := true, kit.PropStr(ss, "StreamViewType")
		in.StreamSpecification = &dynamodbapi.StreamSpecification{StreamEnabled: &t, StreamViewType: &view}
	}
	if sse := cfnSSE(r.Properties); sse != nil {
		in.SSESpecification = sse
	}
	if rp := kit.PropMap(r.Properties, "ResourcePolicy"); rp != nil {
		b, err := json.Marshal(rp["PolicyDocument"])
		if err == nil {
			doc := string(b)
			in.ResourcePolicy = &doc
		}
	}
	for k, v := range kit.PropTags(r.Properties) {
		key, val := k, v
		in.Tags = append(in.Tags, dynamodbapi.Tag{Key: &key, Value: &val})
	}
	out, err := s.CreateTable(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if err := s.cfnTimeToLive(ctx, name, r.Properties); err != nil {
		_, _ = s.DeleteTable(ctx, &dynamodbapi.DeleteTableInput{TableName: &name})
		return kit.ResourceResult{}, err
	}
	if err := s.cfnRecovery(ctx, name, r.Properties); err != nil {
		_, _ = s.DeleteTable(ctx, &dynamodbapi.DeleteTableInput{TableName: &name})
		return kit.ResourceResult{}, err
	}
	return cfnTableResult(out.TableDescription), nil
}

func cfnSSE(props map[string]any) *dynamodbapi.SSESpecification {
	m := kit.PropMap(props, "SSESpecification")
	if m == nil {
		return nil
	}
	enabled := kit.PropBool(m, "SSEEnabled")
	sse := &dynamodbapi.SSESpecification{Enabled: &enabled}
	if t := kit.PropStr(m, "SSEType"); t != "" {
		sse.SSEType = &t
	}
	if k := kit.PropStr(m, "KMSMasterKeyId"); k != "" {
		sse.KMSMasterKeyId = &k
	}
	return sse
}

func cfnTableResult(d *dynamodbapi.TableDescription) kit.ResourceResult {
	attrs := map[string]any{"Arn": *d.TableArn}
	if d.LatestStreamArn != nil {
		attrs["StreamArn"] = *d.LatestStreamArn
	}
	return kit.ResourceResult{PhysicalID: *d.TableName, Attributes: attrs}
}

func (s *DynamoDB) cfnTimeToLive(ctx *request.Context, name string, props map[string]any) error {
	m := kit.PropMap(props, "TimeToLiveSpecification")
	if m == nil {
		return nil
	}
	enabled, attr := kit.PropBool(m, "Enabled"), kit.PropStr(m, "AttributeName")
	_, err := s.UpdateTimeToLive(ctx, &dynamodbapi.UpdateTimeToLiveInput{TableName: &name,
		TimeToLiveSpecification: &dynamodbapi.TimeToLiveSpecification{Enabled: &enabled, AttributeName: &attr}})
	return err
}

func (s *DynamoDB) cfnRecovery(ctx *request.Context, name string, props map[string]any) error {
	m := kit.PropMap(props, "PointInTimeRecoverySpecification")
	if m == nil {
		return nil
	}
	enabled := kit.PropBool(m, "PointInTimeRecoveryEnabled")
	_, err := s.UpdateContinuousBackups(ctx, &dynamodbapi.UpdateContinuousBackupsInput{TableName: &name,
		PointInTimeRecoverySpecification: &dynamodbapi.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: &enabled}})
	return err
}

func (s *DynamoDB) cfnUpdateTable(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.PhysicalID
	changed := func(p string) bool {
		a, _ := json.Marshal(r.Properties[p])
		b, _ := json.Marshal(r.OldProperties[p])
		return string(a) != string(b)
	}
	if changed("GlobalSecondaryIndexes") {
		return kit.ResourceResult{}, awserr.ValidationError.New("niwa does not change GlobalSecondaryIndexes of a stack's table in place; replace the table (change TableName)")
	}
	in := &dynamodbapi.UpdateTableInput{TableName: &name}
	do := false
	if changed("BillingMode") || changed("ProvisionedThroughput") {
		billing := r.Str("BillingMode")
		if billing == "" {
			billing = "PROVISIONED"
		}
		in.BillingMode = &billing
		if err := kit.DecodeProp(r.Properties, "ProvisionedThroughput", &in.ProvisionedThroughput); err != nil {
			return kit.ResourceResult{}, cfnInvalid(r, "ProvisionedThroughput", err)
		}
		do = true
	}
	if changed("StreamSpecification") {
		enabled := kit.Has(r.Properties, "StreamSpecification")
		in.StreamSpecification = &dynamodbapi.StreamSpecification{StreamEnabled: &enabled}
		if enabled {
			view := kit.PropStr(kit.PropMap(r.Properties, "StreamSpecification"), "StreamViewType")
			in.StreamSpecification.StreamViewType = &view
		}
		do = true
	}
	if changed("DeletionProtectionEnabled") {
		v := kit.PropBool(r.Properties, "DeletionProtectionEnabled")
		in.DeletionProtectionEnabled = &v
		do = true
	}
	if changed("SSESpecification") {
		in.SSESpecification = cfnSSE(r.Properties)
		do = in.SSESpecification != nil || do
	}
	if do {
		if _, err := s.UpdateTable(ctx, in); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if changed("TimeToLiveSpecification") {
		if err := s.cfnTimeToLive(ctx, name, r.Properties); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if changed("PointInTimeRecoverySpecification") {
		if err := s.cfnRecovery(ctx, name, r.Properties); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if changed("Tags") {
		d, err := s.DescribeTable(ctx, &dynamodbapi.DescribeTableInput{TableName: &name})
		if err != nil {
			return kit.ResourceResult{}, err
		}
		arn := *d.Table.TableArn
		var gone []string
		newTags := kit.PropTags(r.Properties)
		for k := range kit.PropTags(r.OldProperties) {
			if _, ok := newTags[k]; !ok {
				gone = append(gone, k)
			}
		}
		if len(gone) > 0 {
			if _, err := s.UntagResource(ctx, &dynamodbapi.UntagResourceInput{ResourceArn: &arn, TagKeys: gone}); err != nil {
				return kit.ResourceResult{}, err
			}
		}
		var tags []dynamodbapi.Tag
		for k, v := range newTags {
			key, val := k, v
			tags = append(tags, dynamodbapi.Tag{Key: &key, Value: &val})
		}
		if len(tags) > 0 {
			if _, err := s.TagResource(ctx, &dynamodbapi.TagResourceInput{ResourceArn: &arn, Tags: tags}); err != nil {
				return kit.ResourceResult{}, err
			}
		}
	}
	d, err := s.DescribeTable(ctx, &dynamodbapi.DescribeTableInput{TableName: &name})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return cfnTableResult(d.Table), nil
}

func (s *DynamoDB) cfnDeleteTable(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteTable(ctx, &dynamodbapi.DeleteTableInput{TableName: &r.PhysicalID})
	if dynamodbapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}

// cfnReadTable reads a table's keys, billing and throughput back for
// drift detection.
func (s *DynamoDB) cfnReadTable(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	out, err := s.DescribeTable(ctx, &dynamodbapi.DescribeTableInput{TableName: &r.PhysicalID})
	if dynamodbapi.ErrResourceNotFoundException.Is(err) {
		return nil, kit.ErrResourceGone
	}
	if err != nil {
		return nil, err
	}
	t := out.Table
	live := map[string]any{"TableName": r.PhysicalID, "BillingMode": "PROVISIONED", "ProvisionedThroughput": nil,
		"StreamSpecification": nil}
	if t.BillingModeSummary != nil && t.BillingModeSummary.BillingMode != nil {
		live["BillingMode"] = *t.BillingModeSummary.BillingMode
	}
	if pt := t.ProvisionedThroughput; pt != nil && live["BillingMode"] == "PROVISIONED" && pt.ReadCapacityUnits != nil && pt.WriteCapacityUnits != nil {
		live["ProvisionedThroughput"] = map[string]any{"ReadCapacityUnits": float64(*pt.ReadCapacityUnits),
			"WriteCapacityUnits": float64(*pt.WriteCapacityUnits)}
	}
	var keys, attrs []any
	for _, k := range t.KeySchema {
		keys = append(keys, map[string]any{"AttributeName": cfnStr(k.AttributeName), "KeyType": cfnStr(k.KeyType)})
	}
	live["KeySchema"] = keys
	for _, a := range t.AttributeDefinitions {
		attrs = append(attrs, map[string]any{"AttributeName": cfnStr(a.AttributeName), "AttributeType": cfnStr(a.AttributeType)})
	}
	live["AttributeDefinitions"] = attrs
	if ss := t.StreamSpecification; ss != nil && ss.StreamEnabled != nil && *ss.StreamEnabled {
		live["StreamSpecification"] = map[string]any{"StreamViewType": cfnStr(ss.StreamViewType)}
	}
	return live, nil
}

func cfnStr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
