package logs

import (
	"strconv"
	"strings"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnResources are CloudWatch Logs' CloudFormation resource types.
func (l *Logs) cfnResources() map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the log group name; Fn::GetAtt Arn.
		"AWS::Logs::LogGroup": {Read: l.cfnReadLogGroup, Create: l.cfnCreateLogGroup, Update: l.cfnUpdateLogGroup, Delete: l.cfnDeleteLogGroup,
			Replace: []string{"LogGroupName", "LogGroupClass", "KmsKeyId"}, Tags: true},
		// Ref is the stream name.
		"AWS::Logs::LogStream": {Create: l.cfnCreateLogStream, Delete: l.cfnDeleteLogStream},
		// Ref is the filter name.
		"AWS::Logs::MetricFilter": {Create: l.cfnPutMetricFilter, Update: l.cfnPutMetricFilter, Delete: l.cfnDeleteMetricFilter,
			Replace: []string{"FilterName", "LogGroupName"}},
		// Ref is the filter name.
		"AWS::Logs::SubscriptionFilter": {Create: l.cfnPutSubscriptionFilter, Update: l.cfnPutSubscriptionFilter,
			Delete: l.cfnDeleteSubscriptionFilter, Replace: []string{"FilterName", "LogGroupName"}},
		// Ref is the policy name.
		"AWS::Logs::ResourcePolicy": {Create: l.cfnPutResourcePolicy, Update: l.cfnPutResourcePolicy, Delete: l.cfnDeleteResourcePolicy,
			Replace: []string{"PolicyName"}},
		// Ref is the destination name; Fn::GetAtt Arn.
		"AWS::Logs::Destination": {Create: l.cfnPutDestination, Update: l.cfnPutDestination, Delete: l.cfnDeleteDestination,
			Replace: []string{"DestinationName"}, Tags: true},
		// Ref and Fn::GetAtt QueryDefinitionId are the definition's id.
		"AWS::Logs::QueryDefinition": {Create: l.cfnPutQueryDefinition, Update: l.cfnPutQueryDefinition, Delete: l.cfnDeleteQueryDefinition},
		// Ref is the detector ARN; Fn::GetAtt AnomalyDetectorArn,
		// AnomalyDetectorStatus, CreationTimeStamp, LastModifiedTimeStamp.
		"AWS::Logs::LogAnomalyDetector": {Create: l.cfnCreateAnomalyDetector, Update: l.cfnUpdateAnomalyDetector,
			Delete: l.cfnDeleteAnomalyDetector, Replace: []string{"DetectorName", "LogGroupArnList", "KmsKeyId", "AccountId"}},
		// Ref is the name; Fn::GetAtt Arn, DeliveryDestinationType.
		"AWS::Logs::DeliveryDestination": {Create: l.cfnPutDeliveryDestination, Update: l.cfnPutDeliveryDestination,
			Delete: l.cfnDeleteDeliveryDestination, Replace: []string{"Name", "DestinationResourceArn", "OutputFormat"}, Tags: true},
		// Ref is the name; Fn::GetAtt Arn, ResourceArns, Service.
		"AWS::Logs::DeliverySource": {Create: l.cfnPutDeliverySource, Update: l.cfnPutDeliverySource, Delete: l.cfnDeleteDeliverySource,
			Replace: []string{"Name"}, Tags: true},
		// Ref is the delivery id; Fn::GetAtt Arn, DeliveryId,
		// DeliveryDestinationType. A new source or destination replaces
		// it; niwa keeps no other property to change in place.
		"AWS::Logs::Delivery": {Create: l.cfnCreateDelivery, Update: l.cfnKeepDelivery, Delete: l.cfnDeleteDelivery,
			Replace: []string{"DeliverySourceName", "DeliveryDestinationArn"}, Tags: true},
		// Ref is <account>|<policy type>|<policy name>; Fn::GetAtt
		// AccountId.
		"AWS::Logs::AccountPolicy": {Create: l.cfnPutAccountPolicy, Update: l.cfnPutAccountPolicy, Delete: l.cfnDeleteAccountPolicy,
			Replace: []string{"PolicyName", "PolicyType"}},
	}
}

// cfnName is the resource's name (kit.ResourceName).
func cfnName(r kit.ResourceRequest, prop string, max int) string {
	return kit.ResourceName(r, prop, max)
}

// cfnCreateTags are the template's tags for a create call (nil when
// none; the update calls leave tags as they are).
func cfnCreateTags(r kit.ResourceRequest) map[string]string {
	if t := kit.PropTags(r.Properties); len(t) > 0 && r.PhysicalID == "" {
		return t
	}
	return nil
}

func (l *Logs) cfnPutDestination(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := cfnName(r, "DestinationName", 512)
	out, err := l.PutDestination(ctx, &logsapi.PutDestinationRequest{DestinationName: &name, TargetArn: cfnStrp(r.Str("TargetArn")),
		RoleArn: cfnStrp(r.Str("RoleArn")), Tags: cfnCreateTags(r)})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if p := kit.PropJSON(r.Properties, "DestinationPolicy"); p != "" {
		if _, err := l.PutDestinationPolicy(ctx, &logsapi.PutDestinationPolicyRequest{DestinationName: &name, AccessPolicy: &p}); err != nil {
			if r.PhysicalID == "" {
				_, _ = l.DeleteDestination(ctx, &logsapi.DeleteDestinationRequest{DestinationName: &name})
			}
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{"Arn": *out.Destination.Arn}}, nil
}

func (l *Logs) cfnDeleteDestination(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := l.DeleteDestination(ctx, &logsapi.DeleteDestinationRequest{DestinationName: &r.PhysicalID})
	if logsapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}

func (l *Logs) cfnPutQueryDefinition(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name, query := r.Str("Name"), r.Str("QueryString")
	in := &logsapi.PutQueryDefinitionRequest{Name: &name, QueryString: &query, QueryDefinitionId: cfnStrp(r.PhysicalID)}
	if kit.Has(r.Properties, "LogGroupNames") {
		in.LogGroupNames = kit.PropList(r.Properties, "LogGroupNames")
	}
	out, err := l.PutQueryDefinition(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := *out.QueryDefinitionId
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"QueryDefinitionId": id}}, nil
}

func (l *Logs) cfnDeleteQueryDefinition(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := l.DeleteQueryDefinition(ctx, &logsapi.DeleteQueryDefinitionRequest{QueryDefinitionId: &r.PhysicalID})
	if logsapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}

func cfnInt64(r kit.ResourceRequest, name string) (*int64, error) {
	if !kit.Has(r.Properties, name) {
		return nil, nil
	}
	n, err := strconv.ParseInt(r.Str(name), 10, 64)
	if err != nil {
		return nil, logsapi.ErrInvalidParameterException.New("%s must be a number", name)
	}
	return &n, nil
}

func (l *Logs) cfnAnomalyDetectorResult(ctx *request.Context, arn string) (kit.ResourceResult, error) {
	d, err := l.GetLogAnomalyDetector(ctx, &logsapi.GetLogAnomalyDetectorRequest{AnomalyDetectorArn: &arn})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	attrs := map[string]any{"AnomalyDetectorArn": arn}
	if d.AnomalyDetectorStatus != nil {
		attrs["AnomalyDetectorStatus"] = *d.AnomalyDetectorStatus
	}
	if d.CreationTimeStamp != nil {
		attrs["CreationTimeStamp"] = float64(*d.CreationTimeStamp)
	}
	if d.LastModifiedTimeStamp != nil {
		attrs["LastModifiedTimeStamp"] = float64(*d.LastModifiedTimeStamp)
	}
	return kit.ResourceResult{PhysicalID: arn, Attributes: attrs}, nil
}

func (l *Logs) cfnCreateAnomalyDetector(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	vis, err := cfnInt64(r, "AnomalyVisibilityTime")
	if err != nil {
		return kit.ResourceResult{}, err
	}
	in := &logsapi.CreateLogAnomalyDetectorRequest{LogGroupArnList: kit.PropList(r.Properties, "LogGroupArnList"),
		DetectorName: cfnStrp(r.Str("DetectorName")), EvaluationFrequency: cfnStrp(r.Str("EvaluationFrequency")),
		FilterPattern: cfnStrp(r.Str("FilterPattern")), KmsKeyId: cfnStrp(r.Str("KmsKeyId")), AnomalyVisibilityTime: vis}
	out, err := l.CreateLogAnomalyDetector(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return l.cfnAnomalyDetectorResult(ctx, *out.AnomalyDetectorArn)
}

func (l *Logs) cfnUpdateAnomalyDetector(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	vis, err := cfnInt64(r, "AnomalyVisibilityTime")
	if err != nil {
		return kit.ResourceResult{}, err
	}
	enabled := true
	in := &logsapi.UpdateLogAnomalyDetectorRequest{AnomalyDetectorArn: &r.PhysicalID, Enabled: &enabled,
		EvaluationFrequency: cfnStrp(r.Str("EvaluationFrequency")), FilterPattern: cfnStrp(r.Str("FilterPattern")), AnomalyVisibilityTime: vis}
	if _, err := l.UpdateLogAnomalyDetector(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	return l.cfnAnomalyDetectorResult(ctx, r.PhysicalID)
}

func (l *Logs) cfnDeleteAnomalyDetector(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := l.DeleteLogAnomalyDetector(ctx, &logsapi.DeleteLogAnomalyDetectorRequest{AnomalyDetectorArn: &r.PhysicalID})
	if logsapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}

// cfnPolicyText is a policy property given as a document (object or
// text), or as {<name>, <Policy>} where the newer schemas wrap it.
func cfnPolicyText(props map[string]any, name, inner string) string {
	if m := kit.PropMap(props, name); m != nil && kit.Has(m, inner) {
		return kit.PropJSON(m, inner)
	}
	return kit.PropJSON(props, name)
}

func (l *Logs) cfnPutDeliveryDestination(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := cfnName(r, "Name", 60)
	in := &logsapi.PutDeliveryDestinationRequest{Name: &name, OutputFormat: cfnStrp(r.Str("OutputFormat")), Tags: cfnCreateTags(r)}
	if a := r.Str("DestinationResourceArn"); a != "" {
		in.DeliveryDestinationConfiguration = &logsapi.DeliveryDestinationConfiguration{DestinationResourceArn: &a}
	}
	out, err := l.PutDeliveryDestination(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	policy, old := cfnPolicyText(r.Properties, "DeliveryDestinationPolicy", "DeliveryDestinationPolicy"),
		cfnPolicyText(r.OldProperties, "DeliveryDestinationPolicy", "DeliveryDestinationPolicy")
	switch {
	case policy != "":
		if _, err := l.PutDeliveryDestinationPolicy(ctx, &logsapi.PutDeliveryDestinationPolicyRequest{DeliveryDestinationName: &name,
			DeliveryDestinationPolicy: &policy}); err != nil {
			if r.PhysicalID == "" {
				_, _ = l.DeleteDeliveryDestination(ctx, &logsapi.DeleteDeliveryDestinationRequest{Name: &name})
			}
			return kit.ResourceResult{}, err
		}
	case old != "":
		if _, err := l.DeleteDeliveryDestinationPolicy(ctx, &logsapi.DeleteDeliveryDestinationPolicyRequest{DeliveryDestinationName: &name}); err != nil &&
			!logsapi.ErrResourceNotFoundException.Is(err) {
			return kit.ResourceResult{}, err
		}
	}
	d := out.DeliveryDestination
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{"Arn": *d.Arn, "DeliveryDestinationType": ptr.Deref(d.DeliveryDestinationType)}}, nil
}

func (l *Logs) cfnDeleteDeliveryDestination(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := l.DeleteDeliveryDestination(ctx, &logsapi.DeleteDeliveryDestinationRequest{Name: &r.PhysicalID})
	if logsapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}

func (l *Logs) cfnPutDeliverySource(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := cfnName(r, "Name", 60)
	if _, err := l.PutDeliverySource(ctx, &logsapi.PutDeliverySourceRequest{Name: &name, ResourceArn: cfnStrp(r.Str("ResourceArn")),
		LogType: cfnStrp(r.Str("LogType")), Tags: cfnCreateTags(r)}); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := l.GetDeliverySource(ctx, &logsapi.GetDeliverySourceRequest{Name: &name})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	s := out.DeliverySource
	arns := make([]any, 0, len(s.ResourceArns))
	for _, a := range s.ResourceArns {
		arns = append(arns, a)
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{"Arn": ptr.Deref(s.Arn), "ResourceArns": arns,
		"Service": ptr.Deref(s.Service)}}, nil
}

func (l *Logs) cfnDeleteDeliverySource(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := l.DeleteDeliverySource(ctx, &logsapi.DeleteDeliverySourceRequest{Name: &r.PhysicalID})
	if logsapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}

func (l *Logs) cfnCreateDelivery(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	out, err := l.CreateDelivery(ctx, &logsapi.CreateDeliveryRequest{DeliverySourceName: cfnStrp(r.Str("DeliverySourceName")),
		DeliveryDestinationArn: cfnStrp(r.Str("DeliveryDestinationArn")), Tags: cfnCreateTags(r)})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	d := out.Delivery
	return kit.ResourceResult{PhysicalID: *d.Id, Attributes: map[string]any{"Arn": ptr.Deref(d.Arn), "DeliveryId": *d.Id,
		"DeliveryDestinationType": ptr.Deref(d.DeliveryDestinationType)}}, nil
}

// cfnKeepDelivery answers an update of the properties niwa does not keep
// (tags, record fields, S3 settings): the delivery stays as it is (a
// replacement would collide with it: one delivery per source and
// destination).
func (l *Logs) cfnKeepDelivery(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	out, err := l.GetDelivery(ctx, &logsapi.GetDeliveryRequest{Id: &r.PhysicalID})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	d := out.Delivery
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"Arn": ptr.Deref(d.Arn), "DeliveryId": r.PhysicalID,
		"DeliveryDestinationType": ptr.Deref(d.DeliveryDestinationType)}}, nil
}

func (l *Logs) cfnDeleteDelivery(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := l.DeleteDelivery(ctx, &logsapi.DeleteDeliveryRequest{Id: &r.PhysicalID})
	if logsapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}

func (l *Logs) cfnPutAccountPolicy(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name, typ, doc := r.Str("PolicyName"), r.Str("PolicyType"), kit.PropJSON(r.Properties, "PolicyDocument")
	out, err := l.PutAccountPolicy(ctx, &logsapi.PutAccountPolicyRequest{PolicyName: &name, PolicyType: &typ, PolicyDocument: &doc,
		Scope: cfnStrp(r.Str("Scope")), SelectionCriteria: cfnStrp(r.Str("SelectionCriteria"))})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	acct := ctx.Account
	if out.AccountPolicy != nil && out.AccountPolicy.AccountId != nil {
		acct = *out.AccountPolicy.AccountId
	}
	return kit.ResourceResult{PhysicalID: acct + "|" + typ + "|" + name, Attributes: map[string]any{"AccountId": acct}}, nil
}

func (l *Logs) cfnDeleteAccountPolicy(ctx *request.Context, r kit.ResourceRequest) error {
	parts := strings.SplitN(r.PhysicalID, "|", 3)
	if len(parts) != 3 {
		return nil
	}
	_, err := l.DeleteAccountPolicy(ctx, &logsapi.DeleteAccountPolicyRequest{PolicyType: &parts[1], PolicyName: &parts[2]})
	if logsapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}

func logGroupResult(ctx *request.Context, name string) kit.ResourceResult {
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{
		"Arn": "arn:aws:logs:" + ctx.Region + ":" + ctx.Account + ":log-group:" + name + ":*"}}
}

func (l *Logs) cfnRetention(ctx *request.Context, name string, props map[string]any) error {
	s := kit.PropStr(props, "RetentionInDays")
	if s == "" {
		_, err := l.DeleteRetentionPolicy(ctx, &logsapi.DeleteRetentionPolicyInput{LogGroupName: &name})
		return err
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return logsapi.ErrInvalidParameterException.New("Invalid RetentionInDays %s", s)
	}
	days := int32(n)
	_, err = l.PutRetentionPolicy(ctx, &logsapi.PutRetentionPolicyInput{LogGroupName: &name, RetentionInDays: &days})
	return err
}

func (l *Logs) cfnCreateLogGroup(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.Str("LogGroupName")
	if name == "" {
		name = kit.PhysicalName(r, 512)
	}
	in := &logsapi.CreateLogGroupInput{LogGroupName: &name}
	if k := r.Str("KmsKeyId"); k != "" {
		in.KmsKeyId = &k
	}
	if c := r.Str("LogGroupClass"); c != "" {
		in.LogGroupClass = &c
	}
	if tags := kit.PropTags(r.Properties); len(tags) > 0 {
		in.Tags = tags
	}
	if _, err := l.CreateLogGroup(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	if kit.Has(r.Properties, "RetentionInDays") {
		if err := l.cfnRetention(ctx, name, r.Properties); err != nil {
			_, _ = l.DeleteLogGroup(ctx, &logsapi.DeleteLogGroupInput{LogGroupName: &name})
			return kit.ResourceResult{}, err
		}
	}
	return logGroupResult(ctx, name), nil
}

func (l *Logs) cfnUpdateLogGroup(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if kit.PropStr(r.Properties, "RetentionInDays") != kit.PropStr(r.OldProperties, "RetentionInDays") {
		if err := l.cfnRetention(ctx, r.PhysicalID, r.Properties); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	tags, old := kit.PropTags(r.Properties), kit.PropTags(r.OldProperties)
	var gone []string
	for k := range old {
		if _, ok := tags[k]; !ok {
			gone = append(gone, k)
		}
	}
	if len(gone) > 0 {
		if _, err := l.UntagLogGroup(ctx, &logsapi.UntagLogGroupRequest{LogGroupName: &r.PhysicalID, Tags: gone}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	set := map[string]string{}
	for k, v := range tags {
		if ov, ok := old[k]; !ok || ov != v {
			set[k] = v
		}
	}
	if len(set) > 0 {
		if _, err := l.TagLogGroup(ctx, &logsapi.TagLogGroupRequest{LogGroupName: &r.PhysicalID, Tags: set}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return logGroupResult(ctx, r.PhysicalID), nil
}

func (l *Logs) cfnDeleteLogGroup(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := l.DeleteLogGroup(ctx, &logsapi.DeleteLogGroupInput{LogGroupName: &r.PhysicalID})
	if logsapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}

func (l *Logs) cfnCreateLogStream(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	group, name := r.Str("LogGroupName"), r.Str("LogStreamName")
	if name == "" {
		name = kit.PhysicalName(r, 512)
	}
	if _, err := l.CreateLogStream(ctx, &logsapi.CreateLogStreamInput{LogGroupName: &group, LogStreamName: &name}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name}, nil
}

func (l *Logs) cfnDeleteLogStream(ctx *request.Context, r kit.ResourceRequest) error {
	group := r.Str("LogGroupName")
	_, err := l.DeleteLogStream(ctx, &logsapi.DeleteLogStreamInput{LogGroupName: &group, LogStreamName: &r.PhysicalID})
	if logsapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}

// cfnReadLogGroup reads a log group's retention and key back for drift
// detection.
func (l *Logs) cfnReadLogGroup(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	name := r.PhysicalID
	out, err := l.DescribeLogGroups(ctx, &logsapi.DescribeLogGroupsRequest{LogGroupNamePrefix: &name})
	if err != nil {
		return nil, err
	}
	for _, g := range out.LogGroups {
		if g.LogGroupName == nil || *g.LogGroupName != name {
			continue
		}
		live := map[string]any{"LogGroupName": name, "RetentionInDays": nil, "KmsKeyId": nil}
		if g.RetentionInDays != nil {
			live["RetentionInDays"] = float64(*g.RetentionInDays)
		}
		if g.KmsKeyId != nil && *g.KmsKeyId != "" {
			live["KmsKeyId"] = *g.KmsKeyId
		}
		if g.LogGroupClass != nil {
			live["LogGroupClass"] = *g.LogGroupClass
		}
		return live, nil
	}
	return nil, kit.ErrResourceGone
}

func cfnFilterName(r kit.ResourceRequest) string {
	if r.PhysicalID != "" {
		return r.PhysicalID
	}
	if n := r.Str("FilterName"); n != "" {
		return n
	}
	return kit.PhysicalName(r, 512)
}

func cfnStrp(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (l *Logs) cfnPutMetricFilter(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name, group, pattern := cfnFilterName(r), r.Str("LogGroupName"), r.Str("FilterPattern")
	in := &logsapi.PutMetricFilterRequest{LogGroupName: &group, FilterName: &name, FilterPattern: &pattern}
	ts, _ := r.Properties["MetricTransformations"].([]any)
	for _, x := range ts {
		m, _ := x.(map[string]any)
		mt := logsapi.MetricTransformation{MetricName: cfnStrp(kit.PropStr(m, "MetricName")),
			MetricNamespace: cfnStrp(kit.PropStr(m, "MetricNamespace")), MetricValue: cfnStrp(kit.PropStr(m, "MetricValue")),
			Unit: cfnStrp(kit.PropStr(m, "Unit"))}
		if kit.Has(m, "DefaultValue") {
			f, err := strconv.ParseFloat(kit.PropStr(m, "DefaultValue"), 64)
			if err != nil {
				return kit.ResourceResult{}, logsapi.ErrInvalidParameterException.New("DefaultValue must be a number")
			}
			mt.DefaultValue = &f
		}
		if dims := kit.PropTags(map[string]any{"Tags": m["Dimensions"]}); len(dims) > 0 {
			mt.Dimensions = dims
		}
		in.MetricTransformations = append(in.MetricTransformations, mt)
	}
	if _, err := l.PutMetricFilter(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name}, nil
}

func (l *Logs) cfnDeleteMetricFilter(ctx *request.Context, r kit.ResourceRequest) error {
	group := r.Str("LogGroupName")
	_, err := l.DeleteMetricFilter(ctx, &logsapi.DeleteMetricFilterRequest{LogGroupName: &group, FilterName: &r.PhysicalID})
	if logsapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}

func (l *Logs) cfnPutSubscriptionFilter(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name, group, pattern := cfnFilterName(r), r.Str("LogGroupName"), r.Str("FilterPattern")
	if _, err := l.PutSubscriptionFilter(ctx, &logsapi.PutSubscriptionFilterRequest{LogGroupName: &group, FilterName: &name,
		FilterPattern: &pattern, DestinationArn: cfnStrp(r.Str("DestinationArn")), RoleArn: cfnStrp(r.Str("RoleArn")),
		Distribution: cfnStrp(r.Str("Distribution"))}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name}, nil
}

func (l *Logs) cfnDeleteSubscriptionFilter(ctx *request.Context, r kit.ResourceRequest) error {
	group := r.Str("LogGroupName")
	_, err := l.DeleteSubscriptionFilter(ctx, &logsapi.DeleteSubscriptionFilterRequest{LogGroupName: &group, FilterName: &r.PhysicalID})
	if logsapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}

func (l *Logs) cfnPutResourcePolicy(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name, doc := r.Str("PolicyName"), kit.PropJSON(r.Properties, "PolicyDocument")
	if _, err := l.PutResourcePolicy(ctx, &logsapi.PutResourcePolicyRequest{PolicyName: &name, PolicyDocument: &doc}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name}, nil
}

func (l *Logs) cfnDeleteResourcePolicy(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := l.DeleteResourcePolicy(ctx, &logsapi.DeleteResourcePolicyRequest{PolicyName: &r.PhysicalID})
	if logsapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}
