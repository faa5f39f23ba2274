package sqs

import (
	"strconv"
	"testing"

	sqsapi "github.com/niwa-cloud/niwa/internal/api/sqs"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// BenchmarkMessageRound is the handler's share of the bench's
// send → receive → delete round, on a queue holding inFlight messages
// already received (invisible): ReceiveMessage must find the one visible
// message past them; and on a queue with a backlog of 1000 visible
// messages, of which each round receives and deletes the oldest.
func BenchmarkMessageRound(b *testing.B) {
	b.Run("backlog=1000", func(b *testing.B) {
		h := servicetest.New(b, "sqs", servicetest.At(t0), servicetest.InAccount(account), servicetest.InRegion("ap-northeast-1"))
		s := New(h.Store(), h.Clock)
		ctx := h.Ctx()
		name := "backlog"
		out, err := s.CreateQueue(ctx, &sqsapi.CreateQueueInput{QueueName: &name})
		if err != nil {
			b.Fatal(err)
		}
		url, body, one := out.QueueUrl, "m", int32(1)
		for range 1000 {
			if _, err := s.SendMessage(ctx, &sqsapi.SendMessageInput{QueueUrl: url, MessageBody: &body}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		for b.Loop() {
			if _, err := s.SendMessage(ctx, &sqsapi.SendMessageInput{QueueUrl: url, MessageBody: &body}); err != nil {
				b.Fatal(err)
			}
			r, err := s.ReceiveMessage(ctx, &sqsapi.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: &one})
			if err != nil || len(r.Messages) != 1 {
				b.Fatal(err)
			}
			if _, err := s.DeleteMessage(ctx, &sqsapi.DeleteMessageInput{QueueUrl: url, ReceiptHandle: r.Messages[0].ReceiptHandle}); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, inFlight := range []int{0, 1000} {
		b.Run("inflight="+strconv.Itoa(inFlight), func(b *testing.B) {
			h := servicetest.New(b, "sqs", servicetest.At(t0), servicetest.InAccount(account), servicetest.InRegion("ap-northeast-1"))
			s := New(h.Store(), h.Clock)
			ctx := h.Ctx()
			name := "round"
			out, err := s.CreateQueue(ctx, &sqsapi.CreateQueueInput{QueueName: &name})
			if err != nil {
				b.Fatal(err)
			}
			url := out.QueueUrl
			one := int32(1)
			ten := int32(10)
			for i := 0; i < inFlight; i += 10 {
				for range 10 {
					body := "held"
					if _, err := s.SendMessage(ctx, &sqsapi.SendMessageInput{QueueUrl: url, MessageBody: &body}); err != nil {
						b.Fatal(err)
					}
				}
				if r, err := s.ReceiveMessage(ctx, &sqsapi.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: &ten}); err != nil || len(r.Messages) != 10 {
					b.Fatal(err, len(r.Messages))
				}
			}
			body := "m"
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.SendMessage(ctx, &sqsapi.SendMessageInput{QueueUrl: url, MessageBody: &body}); err != nil {
					b.Fatal(err)
				}
				r, err := s.ReceiveMessage(ctx, &sqsapi.ReceiveMessageInput{QueueUrl: url, MaxNumberOfMessages: &one})
				if err != nil || len(r.Messages) != 1 {
					b.Fatal(err)
				}
				if _, err := s.DeleteMessage(ctx, &sqsapi.DeleteMessageInput{QueueUrl: url, ReceiptHandle: r.Messages[0].ReceiptHandle}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
