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
		"AWS::CloudWatch::Alarm": {Create: c.cfnPutAlarm, Update: c.cfnPutAlarm, Delete: c.cfnDeleteAlarm,
			Replace: []string{"AlarmName"}, Tags: true},
	}
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
