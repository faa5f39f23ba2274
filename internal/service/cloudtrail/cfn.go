package cloudtrail

import (
	cloudtrailapi "github.com/niwa-cloud/niwa/internal/api/cloudtrail"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnResources are CloudTrail's CloudFormation resource types.
func (c *CloudTrail) cfnResources() map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the trail name; Fn::GetAtt Arn, SnsTopicArn. IsLogging
		// starts or stops logging, on create and on update.
		"AWS::CloudTrail::Trail": {
			Create: c.cfnCreateTrail, Update: c.cfnUpdateTrail, Delete: c.cfnDeleteTrail, Read: c.cfnReadTrail,
			Replace: []string{"TrailName"}, Tags: true,
		},
	}
}

// cfnTrailSettings are the trail's settings from the template, as the
// members CreateTrail and UpdateTrail share.
type cfnTrailSettings struct {
	bucket, prefix, topic, logGroup, logRole, kmsKey *string
	global, multi, validation, org                   *bool
}

func cfnTrail(props map[string]any) cfnTrailSettings {
	str := func(name string) *string {
		if !kit.Has(props, name) {
			return nil
		}
		v := kit.PropStr(props, name)
		return &v
	}
	boolean := func(name string) *bool {
		if !kit.Has(props, name) {
			return nil
		}
		v := kit.PropBool(props, name)
		return &v
	}
	return cfnTrailSettings{bucket: str("S3BucketName"), prefix: str("S3KeyPrefix"), topic: str("SnsTopicName"),
		logGroup: str("CloudWatchLogsLogGroupArn"), logRole: str("CloudWatchLogsRoleArn"), kmsKey: str("KMSKeyId"),
		global: boolean("IncludeGlobalServiceEvents"), multi: boolean("IsMultiRegionTrail"),
		validation: boolean("EnableLogFileValidation"), org: boolean("IsOrganizationTrail")}
}

func (c *CloudTrail) cfnCreateTrail(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if !kit.Has(r.Properties, "IsLogging") || !kit.Has(r.Properties, "S3BucketName") {
		return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: #: required key [IsLogging, S3BucketName] not found", r.LogicalID)
	}
	name := r.Str("TrailName")
	if name == "" {
		name = kit.PhysicalName(r, 128)
	}
	s := cfnTrail(r.Properties)
	in := &cloudtrailapi.CreateTrailInput{Name: &name, S3BucketName: s.bucket, S3KeyPrefix: s.prefix, SnsTopicName: s.topic,
		IncludeGlobalServiceEvents: s.global, IsMultiRegionTrail: s.multi, EnableLogFileValidation: s.validation,
		CloudWatchLogsLogGroupArn: s.logGroup, CloudWatchLogsRoleArn: s.logRole, KmsKeyId: s.kmsKey, IsOrganizationTrail: s.org}
	for k, v := range kit.PropTags(r.Properties) {
		key, val := k, v
		in.TagsList = append(in.TagsList, cloudtrailapi.Tag{Key: &key, Value: &val})
	}
	out, err := c.CreateTrail(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if err := c.cfnTrailRest(ctx, name, r); err != nil {
		// A trail the stack cannot finish is not left behind.
		_, _ = c.DeleteTrail(ctx, &cloudtrailapi.DeleteTrailInput{Name: &name})
		return kit.ResourceResult{}, err
	}
	return cfnTrailResult(name, *out.TrailARN, out.SnsTopicARN), nil
}

func cfnTrailResult(name, arn string, topic *string) kit.ResourceResult {
	attrs := map[string]any{"Arn": arn}
	if topic != nil {
		attrs["SnsTopicArn"] = *topic
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: attrs}
}

// cfnTrailRest applies what CreateTrail and UpdateTrail do not take:
// the selectors and IsLogging.
func (c *CloudTrail) cfnTrailRest(ctx *request.Context, name string, r kit.ResourceRequest) error {
	if kit.Has(r.Properties, "EventSelectors") || kit.Has(r.Properties, "AdvancedEventSelectors") ||
		kit.Has(r.OldProperties, "EventSelectors") || kit.Has(r.OldProperties, "AdvancedEventSelectors") {
		in := &cloudtrailapi.PutEventSelectorsInput{TrailName: &name}
		if err := kit.DecodeProp(r.Properties, "EventSelectors", &in.EventSelectors); err != nil {
			return awserr.ValidationError.New("Properties validation failed for resource %s with message: #/EventSelectors: %v", r.LogicalID, err)
		}
		if err := kit.DecodeProp(r.Properties, "AdvancedEventSelectors", &in.AdvancedEventSelectors); err != nil {
			return awserr.ValidationError.New("Properties validation failed for resource %s with message: #/AdvancedEventSelectors: %v", r.LogicalID, err)
		}
		if in.EventSelectors == nil && in.AdvancedEventSelectors == nil {
			// Removing the selectors puts back the default: every
			// management event.
			all, mgmt := "All", true
			in.EventSelectors = []cloudtrailapi.EventSelector{{ReadWriteType: &all, IncludeManagementEvents: &mgmt}}
		}
		if _, err := c.PutEventSelectors(ctx, in); err != nil {
			return err
		}
	}
	if kit.Has(r.Properties, "InsightSelectors") || kit.Has(r.OldProperties, "InsightSelectors") {
		in := &cloudtrailapi.PutInsightSelectorsInput{TrailName: &name, InsightSelectors: []cloudtrailapi.InsightSelector{}}
		if err := kit.DecodeProp(r.Properties, "InsightSelectors", &in.InsightSelectors); err != nil {
			return awserr.ValidationError.New("Properties validation failed for resource %s with message: #/InsightSelectors: %v", r.LogicalID, err)
		}
		if _, err := c.PutInsightSelectors(ctx, in); err != nil {
			return err
		}
	}
	if kit.PropBool(r.Properties, "IsLogging") {
		_, err := c.StartLogging(ctx, &cloudtrailapi.StartLoggingInput{Name: &name})
		return err
	}
	_, err := c.StopLogging(ctx, &cloudtrailapi.StopLoggingInput{Name: &name})
	return err
}

func (c *CloudTrail) cfnUpdateTrail(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.PhysicalID
	s := cfnTrail(r.Properties)
	out, err := c.UpdateTrail(ctx, &cloudtrailapi.UpdateTrailInput{Name: &name, S3BucketName: s.bucket, S3KeyPrefix: s.prefix,
		SnsTopicName: s.topic, IncludeGlobalServiceEvents: s.global, IsMultiRegionTrail: s.multi,
		EnableLogFileValidation: s.validation, CloudWatchLogsLogGroupArn: s.logGroup, CloudWatchLogsRoleArn: s.logRole,
		KmsKeyId: s.kmsKey, IsOrganizationTrail: s.org})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	arn := *out.TrailARN
	old, now := kit.PropTags(r.OldProperties), kit.PropTags(r.Properties)
	var gone, set []cloudtrailapi.Tag
	for k := range old {
		if _, ok := now[k]; !ok {
			key := k
			gone = append(gone, cloudtrailapi.Tag{Key: &key})
		}
	}
	for k, v := range now {
		if ov, ok := old[k]; !ok || ov != v {
			key, val := k, v
			set = append(set, cloudtrailapi.Tag{Key: &key, Value: &val})
		}
	}
	if len(gone) > 0 {
		if _, err := c.RemoveTags(ctx, &cloudtrailapi.RemoveTagsInput{ResourceId: &arn, TagsList: gone}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if len(set) > 0 {
		if _, err := c.AddTags(ctx, &cloudtrailapi.AddTagsInput{ResourceId: &arn, TagsList: set}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if err := c.cfnTrailRest(ctx, name, r); err != nil {
		return kit.ResourceResult{}, err
	}
	return cfnTrailResult(name, arn, out.SnsTopicARN), nil
}

func (c *CloudTrail) cfnDeleteTrail(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := c.DeleteTrail(ctx, &cloudtrailapi.DeleteTrailInput{Name: &r.PhysicalID})
	if cloudtrailapi.ErrTrailNotFoundException.Is(err) {
		return nil
	}
	return err
}

// cfnReadTrail reads the trail's settings and logging state back for
// drift detection.
func (c *CloudTrail) cfnReadTrail(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	out, err := c.GetTrail(ctx, &cloudtrailapi.GetTrailInput{Name: &r.PhysicalID})
	if cloudtrailapi.ErrTrailNotFoundException.Is(err) {
		return nil, kit.ErrResourceGone
	}
	if err != nil {
		return nil, err
	}
	st, err := c.GetTrailStatus(ctx, &cloudtrailapi.GetTrailStatusInput{Name: &r.PhysicalID})
	if err != nil {
		return nil, err
	}
	t := out.Trail
	str := func(p *string) any {
		if p == nil || *p == "" {
			return nil
		}
		return *p
	}
	boolean := func(p *bool) any { return p != nil && *p }
	return map[string]any{"TrailName": str(t.Name), "S3BucketName": str(t.S3BucketName), "S3KeyPrefix": str(t.S3KeyPrefix),
		"SnsTopicName": str(t.SnsTopicName), "CloudWatchLogsLogGroupArn": str(t.CloudWatchLogsLogGroupArn),
		"CloudWatchLogsRoleArn": str(t.CloudWatchLogsRoleArn), "KMSKeyId": str(t.KmsKeyId),
		"IncludeGlobalServiceEvents": boolean(t.IncludeGlobalServiceEvents), "IsMultiRegionTrail": boolean(t.IsMultiRegionTrail),
		"EnableLogFileValidation": boolean(t.LogFileValidationEnabled), "IsLogging": boolean(st.IsLogging)}, nil
}
