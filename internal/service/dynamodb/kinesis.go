package dynamodb

import (
	"slices"
	"strings"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Kinesis streaming destinations are stored and reported, but niwa has no
// Kinesis Data Streams, so no change record is sent anywhere (see
// docs/dynamodb.md). A destination turns ACTIVE (or DISABLED) at once;
// AWS answers ENABLING (DISABLING) first.

type kinesisDest struct {
	StreamARN string
	Active    bool
	Precision string `json:",omitempty"`
}

func checkKinesisARN(arn string) error {
	// arn:aws:kinesis:<region>:<account>:stream/<name>
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "kinesis" || !strings.HasPrefix(parts[5], "stream/") || len(parts[5]) == len("stream/") {
		return validation("Invalid StreamArn: %s", arn)
	}
	return nil
}

func (s *DynamoDB) kinesisTx(ctx *request.Context, table *string, write bool, fn func(t *tableRecord) error) (string, error) {
	name := tableName(table)
	return name, s.tableTx(ctx, name, write, func() error { return tableNotFound(name) }, fn)
}

// EnableKinesisStreamingDestination records a Kinesis data stream as a
// destination of the table's changes.
func (s *DynamoDB) EnableKinesisStreamingDestination(ctx *request.Context, in *dynamodbapi.KinesisStreamingDestinationInput) (*dynamodbapi.KinesisStreamingDestinationOutput, error) {
	arn := ptr.Deref(in.StreamArn)
	if err := checkKinesisARN(arn); err != nil {
		return nil, err
	}
	precision := "MILLISECOND"
	if c := in.EnableKinesisStreamingConfiguration; c != nil && c.ApproximateCreationDateTimePrecision != nil {
		precision = *c.ApproximateCreationDateTimePrecision
	}
	name, err := s.kinesisTx(ctx, in.TableName, true, func(t *tableRecord) error {
		i := slices.IndexFunc(t.Kinesis, func(d kinesisDest) bool { return d.StreamARN == arn })
		switch {
		case i >= 0 && t.Kinesis[i].Active:
			return dynamodbapi.ErrResourceInUseException.New("Table %s is already streaming to destination: %s", t.Name, arn)
		case i >= 0:
			t.Kinesis[i] = kinesisDest{StreamARN: arn, Active: true, Precision: precision}
		default:
			t.Kinesis = append(t.Kinesis, kinesisDest{StreamARN: arn, Active: true, Precision: precision})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.KinesisStreamingDestinationOutput{TableName: ptr.To(name), StreamArn: ptr.To(arn), DestinationStatus: ptr.To("ENABLING"),
		EnableKinesisStreamingConfiguration: &dynamodbapi.EnableKinesisStreamingConfiguration{ApproximateCreationDateTimePrecision: ptr.To(precision)}}, nil
}

// DisableKinesisStreamingDestination stops streaming to a destination.
func (s *DynamoDB) DisableKinesisStreamingDestination(ctx *request.Context, in *dynamodbapi.KinesisStreamingDestinationInput) (*dynamodbapi.KinesisStreamingDestinationOutput, error) {
	arn := ptr.Deref(in.StreamArn)
	name, err := s.kinesisTx(ctx, in.TableName, true, func(t *tableRecord) error {
		i := slices.IndexFunc(t.Kinesis, func(d kinesisDest) bool { return d.StreamARN == arn && d.Active })
		if i < 0 {
			return dynamodbapi.ErrResourceNotFoundException.New("Requested resource not found: Table %s is not streaming to destination: %s", t.Name, arn)
		}
		t.Kinesis[i].Active = false
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.KinesisStreamingDestinationOutput{TableName: ptr.To(name), StreamArn: ptr.To(arn), DestinationStatus: ptr.To("DISABLING")}, nil
}

// DescribeKinesisStreamingDestination lists the table's destinations.
func (s *DynamoDB) DescribeKinesisStreamingDestination(ctx *request.Context, in *dynamodbapi.DescribeKinesisStreamingDestinationInput) (*dynamodbapi.DescribeKinesisStreamingDestinationOutput, error) {
	out := &dynamodbapi.DescribeKinesisStreamingDestinationOutput{KinesisDataStreamDestinations: []dynamodbapi.KinesisDataStreamDestination{}}
	name, err := s.kinesisTx(ctx, in.TableName, false, func(t *tableRecord) error {
		for _, d := range t.Kinesis {
			st := "DISABLED"
			if d.Active {
				st = "ACTIVE"
			}
			out.KinesisDataStreamDestinations = append(out.KinesisDataStreamDestinations, dynamodbapi.KinesisDataStreamDestination{
				StreamArn: ptr.To(d.StreamARN), DestinationStatus: ptr.To(st), ApproximateCreationDateTimePrecision: ptr.To(d.Precision)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.TableName = ptr.To(name)
	return out, nil
}

// UpdateKinesisStreamingDestination changes an active destination's
// timestamp precision.
func (s *DynamoDB) UpdateKinesisStreamingDestination(ctx *request.Context, in *dynamodbapi.UpdateKinesisStreamingDestinationInput) (*dynamodbapi.UpdateKinesisStreamingDestinationOutput, error) {
	arn := ptr.Deref(in.StreamArn)
	c := in.UpdateKinesisStreamingConfiguration
	if c == nil || c.ApproximateCreationDateTimePrecision == nil {
		return nil, validation("UpdateKinesisStreamingConfiguration must be specified")
	}
	name, err := s.kinesisTx(ctx, in.TableName, true, func(t *tableRecord) error {
		i := slices.IndexFunc(t.Kinesis, func(d kinesisDest) bool { return d.StreamARN == arn && d.Active })
		if i < 0 {
			return dynamodbapi.ErrResourceNotFoundException.New("Requested resource not found: Table %s is not streaming to destination: %s", t.Name, arn)
		}
		if t.Kinesis[i].Precision == *c.ApproximateCreationDateTimePrecision {
			return validation("The ApproximateCreationDateTimePrecision is already %s", *c.ApproximateCreationDateTimePrecision)
		}
		t.Kinesis[i].Precision = *c.ApproximateCreationDateTimePrecision
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.UpdateKinesisStreamingDestinationOutput{TableName: ptr.To(name), StreamArn: ptr.To(arn), DestinationStatus: ptr.To("UPDATING"), UpdateKinesisStreamingConfiguration: c}, nil
}
