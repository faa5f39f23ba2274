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
// dimensions each, what an application's metrics flush sends.
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
	return []workload{
		// stored: five datapoints of a value and a time, 16 bytes each.
		{name: "CloudWatch PutMetricData 5 datapoints (query)", stored: 80, op: put(query)},
		{name: "CloudWatch PutMetricData 5 datapoints (rpc-v2-cbor)", stored: 80, niwaOnly: "moto reads no CBOR", op: put()},
	}
}
