package events

import (
	"context"
	"errors"
	"testing"
)

func TestPublishReachesSubscribersInOrder(t *testing.T) {
	b := New()
	var got []string
	cancel := b.Subscribe(func(e Event) { got = append(got, e.DetailType) })
	b.Publish(Event{Source: "aws.ec2", DetailType: "a"})
	b.Publish(Event{Source: "aws.ec2", DetailType: "b"})
	cancel()
	b.Publish(Event{Source: "aws.ec2", DetailType: "c"})
	if len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Fatalf("got %v", got)
	}
}

func TestPublishFillsEnvelopeDefaults(t *testing.T) {
	b := New()
	var e Event
	b.Subscribe(func(x Event) { e = x })
	b.Publish(Event{Source: "aws.s3"})
	if e.Version != "0" || e.Resources == nil || string(e.Detail) != "{}" {
		t.Fatalf("defaults not applied: %+v", e)
	}
}

func TestDeliverRoutesByARNNamespace(t *testing.T) {
	b := New()
	var got Message
	b.Handle("sqs", HandlerFunc(func(_ context.Context, m Message) error { got = m; return nil }))
	arn := "arn:aws:sqs:ap-northeast-1:000000000000:TestQueue"
	if err := b.Deliver(context.Background(), Message{TargetARN: arn, Body: "x"}); err != nil {
		t.Fatal(err)
	}
	if got.Body != "x" {
		t.Fatalf("handler got %+v", got)
	}
	err := b.Deliver(context.Background(), Message{TargetARN: "arn:aws:lambda:ap-northeast-1:000000000000:function:f"})
	if !errors.Is(err, ErrNoHandler) {
		t.Fatalf("want ErrNoHandler, got %v", err)
	}
	if ARNService("not-an-arn") != "" {
		t.Fatal("ARNService of garbage")
	}
}

// TestWants: a plain subscriber wants everything; a SubscribeFor
// subscriber only what its predicate says; cancelled ones nothing.
func TestWants(t *testing.T) {
	b := New()
	if b.Wants("1", "r") {
		t.Fatal("empty bus wants events")
	}
	cancel := b.SubscribeFor(func(account, region string) bool { return account == "1" && region == "r" }, func(Event) {})
	if !b.Wants("1", "r") || b.Wants("2", "r") || b.Wants("1", "s") {
		t.Fatal("SubscribeFor predicate not applied")
	}
	var got int
	b.Publish(Event{Account: "2", Region: "r"}) // still delivered: Wants is advice to publishers
	cancel2 := b.Subscribe(func(Event) { got++ })
	if !b.Wants("2", "r") {
		t.Fatal("plain subscriber does not want everything")
	}
	b.Publish(Event{Account: "2", Region: "r"})
	cancel()
	cancel2()
	if got != 1 || b.Wants("1", "r") {
		t.Fatalf("got %d deliveries, Wants after cancel %v", got, b.Wants("1", "r"))
	}
}

func TestPublishMetrics(t *testing.T) {
	var b *Bus
	b.PublishMetrics("1", "r", Metric{Name: "x"}) // a nil bus drops them
	b = New()
	b.PublishMetrics("1", "r", Metric{Name: "x"}) // no sink: dropped
	var got []string
	b.HandleMetrics(func(account, region string, ms []Metric) {
		for _, m := range ms {
			got = append(got, account+"/"+region+"/"+m.Namespace+"/"+m.Name)
		}
	})
	b.PublishMetrics("1", "r", Metric{Namespace: "AWS/Lambda", Name: "Invocations", Value: 1})
	if len(got) != 1 || got[0] != "1/r/AWS/Lambda/Invocations" {
		t.Fatalf("%v", got)
	}
}
