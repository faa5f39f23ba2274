package framework

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// EventsQueuePolicy lets EventBridge rules of the account send to a queue.
func EventsQueuePolicy(queueArn string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"` + queueArn + `"}]}`
}

// JSONField is the string field of the JSON object out.
func JSONField(t *testing.T, out, field string) string {
	t.Helper()
	i := strings.Index(out, `"`+field+`": "`)
	if i < 0 {
		t.Fatalf("no %s in %s", field, out)
	}
	rest := out[i+len(field)+5:]
	return rest[:strings.IndexByte(rest, '"')]
}

// GoQueue creates the SQS queue name with aws-sdk-go-v2 and returns its URL
// and ARN.
func GoQueue(t *testing.T, sq *sqs.Client, name string) (string, string) {
	t.Helper()
	ctx := context.Background()
	q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	attrs, err := sq.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: q.QueueUrl, AttributeNames: []sqstypes.QueueAttributeName{"QueueArn"}})
	if err != nil {
		t.Fatal(err)
	}
	arn := attrs.Attributes["QueueArn"]
	if _, err := sq.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: q.QueueUrl, Attributes: map[string]string{"Policy": EventsQueuePolicy(arn)}}); err != nil {
		t.Fatal(err)
	}
	return *q.QueueUrl, arn
}

// ReceiveBodies receives (long-polling wait seconds) and deletes the
// messages of the queue at url, returning their bodies.
func ReceiveBodies(t *testing.T, sq *sqs.Client, url string, wait int32) []string {
	t.Helper()
	out, err := sq.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(url), WaitTimeSeconds: wait, MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatal(err)
	}
	var bodies []string
	for _, m := range out.Messages {
		bodies = append(bodies, aws.ToString(m.Body))
		if _, err := sq.DeleteMessage(context.Background(), &sqs.DeleteMessageInput{QueueUrl: aws.String(url), ReceiptHandle: m.ReceiptHandle}); err != nil {
			t.Fatal(err)
		}
	}
	return bodies
}

// WaitBodies polls the queue (deliveries are asynchronous) until messages
// arrive.
func WaitBodies(t *testing.T, sq *sqs.Client, url string) []string {
	t.Helper()
	var bodies []string
	// Long polls of one second: they return as soon as a message arrives.
	WaitUntil(t, Patience, func() bool {
		bodies = ReceiveBodies(t, sq, url, 1)
		return len(bodies) > 0
	}, "a message on "+url)
	return bodies
}
