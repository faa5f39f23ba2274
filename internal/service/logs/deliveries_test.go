package logs

import (
	"testing"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestDeliveries(t *testing.T) {
	l, ctx, _ := newLogs(t)
	src, err := l.PutDeliverySource(ctx, &logsapi.PutDeliverySourceRequest{Name: ptr.To("cf"), ResourceArn: ptr.To("arn:aws:cloudfront::000000000000:distribution/E1"), LogType: ptr.To("ACCESS_LOGS")})
	if err != nil || *src.DeliverySource.Service != "cloudfront" || *src.DeliverySource.Arn != "arn:aws:logs:us-east-1:000000000000:delivery-source:cf" {
		t.Fatalf("source: %v %+v", err, src)
	}
	if _, err := l.PutDeliverySource(ctx, &logsapi.PutDeliverySourceRequest{Name: ptr.To("cf"), ResourceArn: ptr.To("arn:aws:cloudfront::000000000000:distribution/E2"), LogType: ptr.To("ACCESS_LOGS")}); code(err) != "ConflictException" {
		t.Fatalf("source for another resource: %v", err)
	}
	if _, err := l.PutDeliveryDestination(ctx, &logsapi.PutDeliveryDestinationRequest{Name: ptr.To("bad"),
		DeliveryDestinationConfiguration: &logsapi.DeliveryDestinationConfiguration{DestinationResourceArn: ptr.To("arn:aws:sqs:us-east-1:000000000000:q")}}); code(err) != "ValidationException" {
		t.Fatalf("sqs destination: %v", err)
	}
	dst, err := l.PutDeliveryDestination(ctx, &logsapi.PutDeliveryDestinationRequest{Name: ptr.To("bucket"), OutputFormat: ptr.To("json"),
		DeliveryDestinationConfiguration: &logsapi.DeliveryDestinationConfiguration{DestinationResourceArn: ptr.To("arn:aws:s3:::logs-bucket")}})
	if err != nil || *dst.DeliveryDestination.DeliveryDestinationType != "S3" {
		t.Fatalf("destination: %v %+v", err, dst)
	}
	if _, err := l.GetDeliveryDestinationPolicy(ctx, &logsapi.GetDeliveryDestinationPolicyRequest{DeliveryDestinationName: ptr.To("bucket")}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.PutDeliveryDestinationPolicy(ctx, &logsapi.PutDeliveryDestinationPolicyRequest{DeliveryDestinationName: ptr.To("bucket"), DeliveryDestinationPolicy: ptr.To(`{"Version":"2012-10-17"}`)}); err != nil {
		t.Fatal(err)
	}
	if p, _ := l.GetDeliveryDestinationPolicy(ctx, &logsapi.GetDeliveryDestinationPolicyRequest{DeliveryDestinationName: ptr.To("bucket")}); ptr.Deref(p.Policy.DeliveryDestinationPolicy) != `{"Version":"2012-10-17"}` {
		t.Fatalf("policy %+v", p.Policy)
	}
	d, err := l.CreateDelivery(ctx, &logsapi.CreateDeliveryRequest{DeliverySourceName: ptr.To("cf"), DeliveryDestinationArn: dst.DeliveryDestination.Arn})
	if err != nil || len(*d.Delivery.Id) != 16 || *d.Delivery.DeliveryDestinationType != "S3" {
		t.Fatalf("delivery: %v %+v", err, d)
	}
	if _, err := l.CreateDelivery(ctx, &logsapi.CreateDeliveryRequest{DeliverySourceName: ptr.To("cf"), DeliveryDestinationArn: dst.DeliveryDestination.Arn}); code(err) != "ConflictException" {
		t.Fatalf("twice: %v", err)
	}
	if _, err := l.CreateDelivery(ctx, &logsapi.CreateDeliveryRequest{DeliverySourceName: ptr.To("nope"), DeliveryDestinationArn: dst.DeliveryDestination.Arn}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("missing source: %v", err)
	}
	if _, err := l.DeleteDeliverySource(ctx, &logsapi.DeleteDeliverySourceRequest{Name: ptr.To("cf")}); code(err) != "ConflictException" {
		t.Fatalf("source in use: %v", err)
	}
	if _, err := l.DeleteDeliveryDestination(ctx, &logsapi.DeleteDeliveryDestinationRequest{Name: ptr.To("bucket")}); code(err) != "ConflictException" {
		t.Fatalf("destination in use: %v", err)
	}
	list, _ := l.DescribeDeliveries(ctx, &logsapi.DescribeDeliveriesRequest{})
	if len(list.Deliveries) != 1 {
		t.Fatalf("describe %+v", list)
	}
	if g, err := l.GetDelivery(ctx, &logsapi.GetDeliveryRequest{Id: d.Delivery.Id}); err != nil || *g.Delivery.DeliverySourceName != "cf" {
		t.Fatalf("get: %v", err)
	}
	for _, step := range []func() error{
		func() error {
			_, err := l.DeleteDelivery(ctx, &logsapi.DeleteDeliveryRequest{Id: d.Delivery.Id})
			return err
		},
		func() error {
			_, err := l.DeleteDeliverySource(ctx, &logsapi.DeleteDeliverySourceRequest{Name: ptr.To("cf")})
			return err
		},
		func() error {
			_, err := l.DeleteDeliveryDestinationPolicy(ctx, &logsapi.DeleteDeliveryDestinationPolicyRequest{DeliveryDestinationName: ptr.To("bucket")})
			return err
		},
		func() error {
			_, err := l.DeleteDeliveryDestination(ctx, &logsapi.DeleteDeliveryDestinationRequest{Name: ptr.To("bucket")})
			return err
		},
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.GetDelivery(ctx, &logsapi.GetDeliveryRequest{Id: d.Delivery.Id}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("deleted: %v", err)
	}
	srcs, _ := l.DescribeDeliverySources(ctx, &logsapi.DescribeDeliverySourcesRequest{})
	dsts, _ := l.DescribeDeliveryDestinations(ctx, &logsapi.DescribeDeliveryDestinationsRequest{})
	if len(srcs.DeliverySources)+len(dsts.DeliveryDestinations) != 0 {
		t.Fatalf("left %+v %+v", srcs, dsts)
	}
}
