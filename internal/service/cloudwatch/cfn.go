package cloudwatch

import (
	"encoding/json"

	cloudwatchapi "github.com/niwa-cloud/niwa/internal/api/cloudwatch"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnResources are CloudWatch's CloudFormation resource types.
func (c *CloudWatch) cfnResources() map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the alarm name; Fn::GetAtt Arn.
		"AWS::CloudWatch::Alarm": {Read: c.cfnReadAlarm, Create: c.cfnPutAlarm, Update: c.cfnPutAlarm, Delete: c.cfnDeleteAlarm,
			Replace: []string{"AlarmName"}, Tags: true},
		// Ref is the alarm name; Fn::GetAtt Arn.
		"AWS::CloudWatch::CompositeAlarm": {Read: c.cfnReadCompositeAlarm, Create: c.cfnPutCompositeAlarm, Update: c.cfnPutCompositeAlarm, Delete: c.cfnDeleteAlarm,
			Replace: []string{"AlarmName"}, Tags: true},
		// Ref is the dashboard name.
		"AWS::CloudWatch::Dashboard": {Read: c.cfnReadDashboard, Create: c.cfnPutDashboard, Update: c.cfnPutDashboard, Delete: c.cfnDeleteDashboard,
			Replace: []string{"DashboardName"}},
		// Ref and Fn::GetAtt Id are a generated id; the metric (or math
		// expression) and statistic identify the detector, so changing
		// them replaces it.
		"AWS::CloudWatch::AnomalyDetector": {Create: c.cfnPutAnomalyDetector, Update: c.cfnPutAnomalyDetector, Delete: c.cfnDeleteAnomalyDetector,
			Replace: []string{"Namespace", "MetricName", "Dimensions", "Stat", "SingleMetricAnomalyDetector", "MetricMathAnomalyDetector"}},
		// Ref is the rule ARN; Fn::GetAtt Arn, RuleName.
		"AWS::CloudWatch::InsightRule": {Create: c.cfnPutInsightRule, Update: c.cfnPutInsightRule, Delete: c.cfnDeleteInsightRule,
			Replace: []string{"RuleName"}, Tags: true},
	}
}

// cfnDecode decodes the properties into out (kit.DecodeProperties).
func cfnDecode(r kit.ResourceRequest, out any) error { return kit.DecodeProperties(r, out) }

// cfnName is the resource's name (kit.ResourceName).
func cfnName(r kit.ResourceRequest, prop string, max int) string {
	return kit.ResourceName(r, prop, max)
}

// cfnRetag brings an existing resource's tags to the template's (Put*
// calls ignore Tags on update, as on AWS).
func (c *CloudWatch) cfnRetag(ctx *request.Context, arn string, r kit.ResourceRequest) error {
	tags, old := kit.PropTags(r.Properties), kit.PropTags(r.OldProperties)
	var gone []string
	for k := range old {
		if _, ok := tags[k]; !ok {
			gone = append(gone, k)
		}
	}
	if len(gone) > 0 {
		if _, err := c.UntagResource(ctx, &cloudwatchapi.UntagResourceInput{ResourceARN: &arn, TagKeys: gone}); err != nil {
			return err
		}
	}
	var set []cloudwatchapi.Tag
	for k, v := range tags {
		if ov, ok := old[k]; !ok || ov != v {
			key, val := k, v
			set = append(set, cloudwatchapi.Tag{Key: &key, Value: &val})
		}
	}
	if len(set) > 0 {
		_, err := c.TagResource(ctx, &cloudwatchapi.TagResourceInput{ResourceARN: &arn, Tags: set})
		return err
	}
	return nil
}

func (c *CloudWatch) cfnPutCompositeAlarm(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in cloudwatchapi.PutCompositeAlarmInput
	if err := cfnDecode(r, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	name := cfnName(r, "AlarmName", 255)
	in.AlarmName = &name
	if r.PhysicalID != "" {
		in.Tags = nil
	}
	if _, err := c.PutCompositeAlarm(ctx, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	arn := alarmARN(scope(ctx), name)
	if r.PhysicalID != "" {
		if err := c.cfnRetag(ctx, arn, r); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{"Arn": arn}}, nil
}

func (c *CloudWatch) cfnPutDashboard(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name, body := cfnName(r, "DashboardName", 255), kit.PropJSON(r.Properties, "DashboardBody")
	if _, err := c.PutDashboard(ctx, &cloudwatchapi.PutDashboardInput{DashboardName: &name, DashboardBody: &body}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name}, nil
}

func (c *CloudWatch) cfnDeleteDashboard(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := c.DeleteDashboards(ctx, &cloudwatchapi.DeleteDashboardsInput{DashboardNames: []string{r.PhysicalID}})
	if cloudwatchapi.ErrDashboardNotFoundError.Is(err) {
		return nil
	}
	return err
}

func (c *CloudWatch) cfnPutAnomalyDetector(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in cloudwatchapi.PutAnomalyDetectorInput
	if err := cfnDecode(r, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	if _, err := c.PutAnomalyDetector(ctx, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	id := r.PhysicalID
	if id == "" {
		id = kit.PhysicalName(r, 255)
	}
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"Id": id}}, nil
}

// cfnDeleteAnomalyDetector deletes the detector the properties identify.
func (c *CloudWatch) cfnDeleteAnomalyDetector(ctx *request.Context, r kit.ResourceRequest) error {
	var in cloudwatchapi.DeleteAnomalyDetectorInput
	if err := cfnDecode(r, &in); err != nil {
		return err
	}
	_, err := c.DeleteAnomalyDetector(ctx, &in)
	if cloudwatchapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}

func (c *CloudWatch) cfnPutInsightRule(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name, body := cfnName(r, "RuleName", 128), kit.PropJSON(r.Properties, "RuleBody")
	in := &cloudwatchapi.PutInsightRuleInput{RuleName: &name, RuleDefinition: &body}
	if s := r.Str("RuleState"); s != "" {
		in.RuleState = &s
	}
	if r.PhysicalID == "" {
		for k, v := range kit.PropTags(r.Properties) {
			key, val := k, v
			in.Tags = append(in.Tags, cloudwatchapi.Tag{Key: &key, Value: &val})
		}
	}
	if _, err := c.PutInsightRule(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	arn := insightRuleARN(scope(ctx), name)
	if r.PhysicalID != "" {
		if err := c.cfnRetag(ctx, arn, r); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: name, Ref: arn, Attributes: map[string]any{"Arn": arn, "RuleName": name}}, nil
}

func (c *CloudWatch) cfnDeleteInsightRule(ctx *request.Context, r kit.ResourceRequest) error {
	out, err := c.DeleteInsightRules(ctx, &cloudwatchapi.DeleteInsightRulesInput{RuleNames: []string{r.PhysicalID}})
	if err != nil {
		return err
	}
	for _, f := range out.Failures {
		if ptrStr(f.ExceptionType) != "ResourceNotFoundException" {
			return awserr.ValidationError.New("%s: %s", ptrStr(f.ExceptionType), ptrStr(f.FailureDescription))
		}
	}
	return nil
}

func ptrStr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// cfnPutAlarm puts the alarm: AWS::CloudWatch::Alarm's properties are
// PutMetricAlarm's members.
func (c *CloudWatch) cfnPutAlarm(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in cloudwatchapi.PutMetricAlarmInput
	b, err := json.Marshal(r.Properties)
	if err == nil {
		err = kit.DecodeProp(map[string]any{"p": json.RawMessage(b)}, "p", &in)
	}
	if err != nil {
		return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: %v", r.LogicalID, err)
	}
	name := r.PhysicalID
	if name == "" {
		name = r.Str("AlarmName")
	}
	if name == "" {
		name = kit.PhysicalName(r, 255)
	}
	in.AlarmName = &name
	if r.PhysicalID != "" {
		in.Tags = nil
	}
	if _, err := c.PutMetricAlarm(ctx, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{
		"Arn": "arn:aws:cloudwatch:" + ctx.Region + ":" + ctx.Account + ":alarm:" + name}}, nil
}

func (c *CloudWatch) cfnDeleteAlarm(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := c.DeleteAlarms(ctx, &cloudwatchapi.DeleteAlarmsInput{AlarmNames: []string{r.PhysicalID}})
	if e := awserr.As(err); e != nil && e.Code.Code == "ResourceNotFound" {
		return nil
	}
	return err
}
