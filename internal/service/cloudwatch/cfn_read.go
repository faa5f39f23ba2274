package cloudwatch

import (
	cloudwatchapi "github.com/niwa-cloud/niwa/internal/api/cloudwatch"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Drift reads: the properties CloudFormation compares with the template.

func (c *CloudWatch) cfnReadCompositeAlarm(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	out, err := c.DescribeAlarms(ctx, &cloudwatchapi.DescribeAlarmsInput{AlarmNames: []string{r.PhysicalID}, AlarmTypes: []string{"CompositeAlarm"}})
	if err != nil {
		return nil, err
	}
	if len(out.CompositeAlarms) == 0 {
		return nil, kit.ErrResourceGone
	}
	return kit.ShapeProps(out.CompositeAlarms[0], "AlarmName", "AlarmRule", "AlarmDescription", "ActionsEnabled", "AlarmActions",
		"OKActions", "InsufficientDataActions", "ActionsSuppressor", "ActionsSuppressorWaitPeriod", "ActionsSuppressorExtensionPeriod"), nil
}

func (c *CloudWatch) cfnReadDashboard(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	out, err := c.GetDashboard(ctx, &cloudwatchapi.GetDashboardInput{DashboardName: &r.PhysicalID})
	if cloudwatchapi.ErrDashboardNotFoundError.Is(err) {
		return nil, kit.ErrResourceGone
	}
	if err != nil {
		return nil, err
	}
	return kit.ShapeProps(out, "DashboardName", "DashboardBody"), nil
}

func (c *CloudWatch) cfnReadAlarm(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	out, err := c.DescribeAlarms(ctx, &cloudwatchapi.DescribeAlarmsInput{AlarmNames: []string{r.PhysicalID}, AlarmTypes: []string{"MetricAlarm"}})
	if err != nil {
		return nil, err
	}
	if len(out.MetricAlarms) == 0 {
		return nil, kit.ErrResourceGone
	}
	live := kit.ShapeProps(out.MetricAlarms[0], "AlarmName", "AlarmDescription", "ActionsEnabled", "AlarmActions", "OKActions",
		"InsufficientDataActions", "MetricName", "Namespace", "Statistic", "ExtendedStatistic", "Dimensions", "Period", "Unit",
		"EvaluationPeriods", "DatapointsToAlarm", "Threshold", "ComparisonOperator", "TreatMissingData",
		"EvaluateLowSampleCountPercentile", "Metrics", "ThresholdMetricId")
	for k, v := range live {
		live[k] = kit.Project(v, r.Properties[k])
	}
	return live, nil
}
