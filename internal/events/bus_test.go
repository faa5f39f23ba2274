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
