package main

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/schemas"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go/transport/http/protocol/awsquery"
)

// cloudwatchWorkloads: PutMetricData of five datapoints with two
// dimensions each, what an application's metrics flush sends; and
// GetMetricData over three hours of two metrics a minute apart, what a
// dashboard's refresh asks.
//
// aws-sdk-go-v2's CloudWatch client speaks smithy-rpc-v2-cbor by
// default; moto reads CloudWatch's query protocol only, so the row both
// servers run sends query (the aws CLI v1's protocol, the SDK's
// awsquery codec), and a second row has niwa alone on the SDK's default
// CBOR.
func cloudwatchWorkloads() []workload {
	query := func(o *cloudwatch.Options) { o.Protocol = awsquery.New(schemas.GraniteServiceVersion20100801) }
	put := func(opts ...func(*cloudwatch.Options)) func(ctx context.Context, cfg aws.Config, i int) error {
		return func(ctx context.Context, cfg aws.Config, i int) error {
			now := time.Now()
			data := make([]types.MetricDatum, 5)
			for d := range data {
				data[d] = types.MetricDatum{
					MetricName: aws.String([]string{"Latency", "Requests", "Errors", "BytesOut", "QueueDepth"}[d]),
					Dimensions: []types.Dimension{
						{Name: aws.String("Service"), Value: aws.String(fmt.Sprintf("svc-%d", i%4))},
						{Name: aws.String("Instance"), Value: aws.String(fmt.Sprintf("i-%d", i%16))},
					},
					Timestamp: aws.Time(now),
					Value:     aws.Float64(float64(i%100 + d)),
					Unit:      types.StandardUnitCount,
				}
			}
			_, err := cloudwatch.NewFromConfig(cfg, opts...).PutMetricData(ctx, &cloudwatch.PutMetricDataInput{
				Namespace: aws.String("Bench"), MetricData: data,
			})
			return err
		}
	}
	dims := []types.Dimension{{Name: aws.String("Service"), Value: aws.String("dashboard")}}
	// setup stores one value a minute over the last three hours for
	// Latency and Requests (what a minute's flush of each leaves).
	setup := func(ctx context.Context, cfg aws.Config) error {
		now := time.Now().Truncate(time.Minute)
		var data []types.MetricDatum
		for m := 1; m <= 180; m++ {
			at := now.Add(-time.Duration(m) * time.Minute)
			data = append(data,
				types.MetricDatum{MetricName: aws.String("Latency"), Dimensions: dims, Timestamp: aws.Time(at), Value: aws.Float64(float64(m%50) + 0.5), Unit: types.StandardUnitMilliseconds},
				types.MetricDatum{MetricName: aws.String("Requests"), Dimensions: dims, Timestamp: aws.Time(at), Value: aws.Float64(float64(m % 7)), Unit: types.StandardUnitCount})
		}
		_, err := cloudwatch.NewFromConfig(cfg, query).PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("BenchQuery"), MetricData: data})
		return err
	}
	stat := func(id, name, stat string) types.MetricDataQuery {
		return types.MetricDataQuery{Id: aws.String(id), MetricStat: &types.MetricStat{Stat: aws.String(stat), Period: aws.Int32(60),
			Metric: &types.Metric{Namespace: aws.String("BenchQuery"), MetricName: aws.String(name), Dimensions: dims}}}
	}
	getData := func(ctx context.Context, cfg aws.Config, i int) error {
		end := time.Now().Truncate(time.Minute)
		out, err := cloudwatch.NewFromConfig(cfg, query).GetMetricData(ctx, &cloudwatch.GetMetricDataInput{
			StartTime: aws.Time(end.Add(-3 * time.Hour)), EndTime: aws.Time(end),
			MetricDataQueries: []types.MetricDataQuery{stat("lat", "Latency", "Average"), stat("latmax", "Latency", "Maximum"), stat("req", "Requests", "Sum")},
		})
		if err != nil {
			return err
		}
		if len(out.MetricDataResults) != 3 || len(out.MetricDataResults[0].Values) == 0 {
			return fmt.Errorf("GetMetricData: %d results, the first with %d values", len(out.MetricDataResults), len(out.MetricDataResults[0].Values))
		}
		return nil
	}
	return []workload{
		// stored: five datapoints of a value and a time, 16 bytes each.
		{name: "CloudWatch PutMetricData 5 datapoints (query)", stored: 80, op: put(query)},
		{name: "CloudWatch PutMetricData 5 datapoints (rpc-v2-cbor)", stored: 80, niwaOnly: "moto reads no CBOR", op: put()},
		{name: "CloudWatch GetMetricData 3 hours of 2 metrics (query)", setup: setup, op: getData},
	}
}
