package sqs

import (
	"testing"

	sqsapi "github.com/niwa-cloud/niwa/internal/api/sqs"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// TestDeclaration: a queue is checked by the ARN its URL or name gives
// (another account's queue by the URL's account), batch calls need the
// single action, and message calls are CloudTrail data events.
func TestDeclaration(t *testing.T) {
	h := servicetest.New(t, "sqs")
	d := New(h.Store(), h.Clock).Declare()
	env := kit.Env{Account: "123456789012", Region: "eu-west-1"}
	for _, tc := range []struct {
		op           string
		in           any
		action, want string
	}{
		{"SendMessageBatch", &sqsapi.SendMessageBatchInput{QueueUrl: ptr.To("http://localhost:4566/210987654321/jobs")},
			"sqs:SendMessage", "arn:aws:sqs:eu-west-1:210987654321:jobs"},
		{"GetQueueUrl", &sqsapi.GetQueueUrlInput{QueueName: ptr.To("jobs")}, "sqs:GetQueueUrl", "arn:aws:sqs:eu-west-1:123456789012:jobs"},
		{"ListQueues", &sqsapi.ListQueuesInput{}, "sqs:ListQueues", "*"},
	} {
		c := d.Authz.Checks("sqs", tc.op, tc.in, env)[0]
		if c.Action != tc.action || c.Resource != tc.want {
			t.Errorf("%s: %s on %s, want %s on %s", tc.op, c.Action, c.Resource, tc.action, tc.want)
		}
	}
	if !d.Audit.DataEvents["ReceiveMessage"] || d.Audit.DataEvents["CreateQueue"] {
		t.Errorf("data events %v", d.Audit.DataEvents)
	}
}
