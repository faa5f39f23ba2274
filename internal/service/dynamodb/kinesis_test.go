package dynamodb

import (
	"testing"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestKinesisStreamingDestination(t *testing.T) {
	svc, _, ctx := newTestService(t)
	createTable(t, svc, ctx, "kin", "")
	stream := "arn:aws:kinesis:us-east-1:123456789012:stream/changes"
	_, err := svc.EnableKinesisStreamingDestination(ctx, &dynamodbapi.KinesisStreamingDestinationInput{TableName: ptr.To("kin"), StreamArn: ptr.To("arn:aws:sqs:us-east-1:123456789012:q")})
	wantErr(t, err, "ValidationException", "Invalid StreamArn: arn:aws:sqs:us-east-1:123456789012:q")
	e, err := svc.EnableKinesisStreamingDestination(ctx, &dynamodbapi.KinesisStreamingDestinationInput{TableName: ptr.To("kin"), StreamArn: &stream})
	if err != nil || *e.DestinationStatus != "ENABLING" {
		t.Fatalf("enable: %v %+v", err, e)
	}
	_, err = svc.EnableKinesisStreamingDestination(ctx, &dynamodbapi.KinesisStreamingDestinationInput{TableName: ptr.To("kin"), StreamArn: &stream})
	wantErr(t, err, "ResourceInUseException", "")
	u, err := svc.UpdateKinesisStreamingDestination(ctx, &dynamodbapi.UpdateKinesisStreamingDestinationInput{TableName: ptr.To("kin"), StreamArn: &stream,
		UpdateKinesisStreamingConfiguration: &dynamodbapi.UpdateKinesisStreamingConfiguration{ApproximateCreationDateTimePrecision: ptr.To("MICROSECOND")}})
	if err != nil || *u.DestinationStatus != "UPDATING" {
		t.Fatalf("update: %v %+v", err, u)
	}
	d, err := svc.DescribeKinesisStreamingDestination(ctx, &dynamodbapi.DescribeKinesisStreamingDestinationInput{TableName: ptr.To("kin")})
	if err != nil || len(d.KinesisDataStreamDestinations) != 1 || *d.KinesisDataStreamDestinations[0].DestinationStatus != "ACTIVE" ||
		*d.KinesisDataStreamDestinations[0].ApproximateCreationDateTimePrecision != "MICROSECOND" {
		t.Fatalf("describe: %v %+v", err, d)
	}
	if _, err := svc.DisableKinesisStreamingDestination(ctx, &dynamodbapi.KinesisStreamingDestinationInput{TableName: ptr.To("kin"), StreamArn: &stream}); err != nil {
		t.Fatal(err)
	}
	_, err = svc.DisableKinesisStreamingDestination(ctx, &dynamodbapi.KinesisStreamingDestinationInput{TableName: ptr.To("kin"), StreamArn: &stream})
	wantErr(t, err, "ResourceNotFoundException", "")
	d, _ = svc.DescribeKinesisStreamingDestination(ctx, &dynamodbapi.DescribeKinesisStreamingDestinationInput{TableName: ptr.To("kin")})
	if *d.KinesisDataStreamDestinations[0].DestinationStatus != "DISABLED" {
		t.Fatalf("after disable: %+v", d)
	}
}
