package cloudwatch

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cw "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"

	"github.com/niwa-cloud/niwa/e2e/framework"
	"github.com/niwa-cloud/niwa/e2e/framework/inprocess"
)

// TestGoSDK: aws-sdk-go-v2's CloudWatch client, which speaks
// smithy-rpc-v2-cbor, puts data, reads it back with statistics and metric
// math, creates and describes an alarm, and decodes niwa's refusal.
func TestGoSDK(t *testing.T) {
	t.Parallel()
	n := inprocess.Start(t, framework.InProcess)
	c := cw.NewFromConfig(framework.GoConfig(n, "test", "test", ""))
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Minute)
	_, err := c.PutMetricData(ctx, &cw.PutMetricDataInput{Namespace: aws.String("GoSDK"), MetricData: []cwtypes.MetricDatum{
		{MetricName: aws.String("Req"), Value: aws.Float64(3), Timestamp: aws.Time(now.Add(-2 * time.Minute)), Unit: cwtypes.StandardUnitCount},
		{MetricName: aws.String("Req"), Values: []float64{1, 2}, Counts: []float64{2, 1}, Timestamp: aws.Time(now.Add(-time.Minute)), Unit: cwtypes.StandardUnitCount},
	}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.GetMetricStatistics(ctx, &cw.GetMetricStatisticsInput{Namespace: aws.String("GoSDK"), MetricName: aws.String("Req"),
		StartTime: aws.Time(now.Add(-10 * time.Minute)), EndTime: aws.Time(now), Period: aws.Int32(600),
		Statistics: []cwtypes.Statistic{cwtypes.StatisticSum, cwtypes.StatisticSampleCount}, ExtendedStatistics: nil})
	if err != nil || len(st.Datapoints) != 1 || aws.ToFloat64(st.Datapoints[0].Sum) != 7 || aws.ToFloat64(st.Datapoints[0].SampleCount) != 4 {
		t.Fatalf("GetMetricStatistics: %v %+v", err, st)
	}
	md, err := c.GetMetricData(ctx, &cw.GetMetricDataInput{StartTime: aws.Time(now.Add(-3 * time.Minute)), EndTime: aws.Time(now),
		ScanBy: cwtypes.ScanByTimestampAscending, MetricDataQueries: []cwtypes.MetricDataQuery{
			{Id: aws.String("m1"), ReturnData: aws.Bool(false), MetricStat: &cwtypes.MetricStat{Metric: &cwtypes.Metric{Namespace: aws.String("GoSDK"), MetricName: aws.String("Req")},
				Period: aws.Int32(60), Stat: aws.String("Sum")}},
			{Id: aws.String("e1"), Expression: aws.String("FILL(m1, 0) + 1")},
		}})
	if err != nil || len(md.MetricDataResults) != 1 {
		t.Fatalf("GetMetricData: %v %+v", err, md)
	}
	if r := md.MetricDataResults[0]; r.StatusCode != cwtypes.StatusCodeComplete || len(r.Values) != 3 || r.Values[0] != 1 || r.Values[1] != 4 || r.Values[2] != 5 ||
		!r.Timestamps[1].Equal(now.Add(-2*time.Minute)) {
		t.Fatalf("e1: %+v", r)
	}
	_, err = c.PutMetricAlarm(ctx, &cw.PutMetricAlarmInput{AlarmName: aws.String("busy"), Namespace: aws.String("GoSDK"), MetricName: aws.String("Req"),
		Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(100),
		ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanThreshold})
	if err != nil {
		t.Fatal(err)
	}
	da, err := c.DescribeAlarms(ctx, &cw.DescribeAlarmsInput{AlarmNames: []string{"busy"}})
	if err != nil || len(da.MetricAlarms) != 1 || da.MetricAlarms[0].StateValue != cwtypes.StateValueInsufficientData ||
		aws.ToString(da.MetricAlarms[0].AlarmArn) != "arn:aws:cloudwatch:"+n.Region+":000000000000:alarm:busy" {
		t.Fatalf("DescribeAlarms: %v %+v", err, da)
	}
	_, err = c.PutMetricData(ctx, &cw.PutMetricDataInput{Namespace: aws.String("AWS/EC2"), MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("x"), Value: aws.Float64(1)}}})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorMessage() != "The value AWS/EC2 for parameter Namespace is invalid." {
		t.Fatalf("reserved namespace: %v", err)
	}
	var ipv *cwtypes.InvalidParameterValueException
	if !errors.As(err, &ipv) {
		t.Fatalf("not the modeled InvalidParameterValueException: %T %v", err, err)
	}
}
