package sqs

import (
	"testing"

	sqsapi "github.com/niwa-cloud/niwa/internal/api/sqs"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// FuzzClientStrings feeds the strings SQS parses from clients — a queue
// URL or bare name, a receipt handle, a message move task handle — to the
// operations that parse them: each answers or refuses with an AWS error,
// never a panic, and a queue reference it accepts names a queue.
func FuzzClientStrings(f *testing.F) {
	for _, s := range []string{
		"q", "http://localhost:4566/000000000000/q", "https://sqs.eu-west-1.amazonaws.com/1/q.fifo",
		"000000000000/q", "/", "", "::", "http://h/a/b/c", "cXEAMDAwMDAwMDAwMDAwMDAwMDAwMDEAbm9uY2U",
		"61726e3a6177733a7371733a65752d776573742d313a313a710031", "%zz", "\x00",
	} {
		f.Add(s)
	}
	// One store for every input: opening one per input would make the
	// fuzzer measure storage start-up.
	h := servicetest.New(f, "sqs", servicetest.At(t0), servicetest.InAccount(account), servicetest.InRegion("ap-northeast-1"))
	fx := &fixture{SQS: New(h.Store(), h.Clock), h: h, clock: h.Clock}
	name := "q"
	if _, err := fx.CreateQueue(fx.ctx(), &sqsapi.CreateQueueInput{QueueName: &name}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ref, err := fx.resolve(fx.ctx(), &s); err == nil && ref.name == "" {
			t.Fatalf("%q resolved to a queue without a name", s)
		} else if err != nil && !isAWS(err) {
			t.Fatalf("%q: %v", s, err)
		}
		u := "q"
		if _, err := fx.DeleteMessage(fx.ctx(), &sqsapi.DeleteMessageInput{QueueUrl: &u, ReceiptHandle: &s}); err != nil && !isAWS(err) {
			t.Fatalf("receipt %q: %v", s, err)
		}
		if _, err := fx.ChangeMessageVisibility(fx.ctx(), &sqsapi.ChangeMessageVisibilityInput{QueueUrl: &u, ReceiptHandle: &s, VisibilityTimeout: ptr.To(int32(1))}); err != nil && !isAWS(err) {
			t.Fatalf("receipt %q: %v", s, err)
		}
		if _, err := fx.CancelMessageMoveTask(fx.ctx(), &sqsapi.CancelMessageMoveTaskInput{TaskHandle: &s}); err == nil || !isAWS(err) {
			t.Fatalf("task handle %q: %v", s, err)
		}
		if _, err := fx.ReceiveMessage(fx.ctx(), &sqsapi.ReceiveMessageInput{QueueUrl: &u, ReceiveRequestAttemptId: &s}); err != nil && !isAWS(err) {
			t.Fatalf("attempt id %q: %v", s, err)
		}
	})
}
