package sqs

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/niwa-cloud/niwa/e2e/framework"
	"github.com/niwa-cloud/niwa/e2e/framework/inprocess"
)

// sqsQueryModelEnv makes boto3 speak SQS's query protocol: botocore loads
// models from AWS_DATA_PATH before its own, and the query model is the
// one niwa serves as SQS's alternate protocol.
func sqsQueryModelEnv(t *testing.T) []string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(framework.RepoRoot(), "internal/service/sqs/querymodel/api-2.json"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	dst := filepath.Join(dir, "sqs", "2012-11-05")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, "service-2.json"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{"AWS_DATA_PATH=" + dir}
}

// TestSQSCLI: both aws CLI versions (v1 speaks JSON, v2 2.9 speaks query)
// create, send with attributes, receive, delete; FIFO ordering and
// deduplication; a DLQ after maxReceiveCount.
func TestSQSCLI(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			run := func(args ...string) map[string]any {
				t.Helper()
				out, errOut, err := n.RunCLI(t, cli, nil, append([]string{"sqs"}, args...)...)
				if err != nil {
					t.Fatalf("sqs %v: %v\n%s", args, err, errOut)
				}
				var m map[string]any
				if strings.TrimSpace(out) != "" {
					if err := json.Unmarshal([]byte(out), &m); err != nil {
						t.Fatalf("%s: %v", out, err)
					}
				}
				return m
			}
			q := "cli-" + cli.Name
			url := run("create-queue", "--queue-name", q)["QueueUrl"].(string)
			if !strings.HasSuffix(url, "/000000000000/"+q) {
				t.Fatal(url)
			}
			sent := run("send-message", "--queue-url", url, "--message-body", "hello",
				"--message-attributes", `{"color":{"DataType":"String","StringValue":"blue"}}`)
			if sent["MD5OfMessageBody"] != "5d41402abc4b2a76b9719d911017c592" {
				t.Fatal(sent)
			}
			got := run("receive-message", "--queue-url", url, "--message-attribute-names", "All", "--attribute-names", "All")
			msgs := got["Messages"].([]any)
			m := msgs[0].(map[string]any)
			if m["Body"] != "hello" || m["MD5OfMessageAttributes"] != sent["MD5OfMessageAttributes"] {
				t.Fatal(m)
			}
			run("delete-message", "--queue-url", url, "--receipt-handle", m["ReceiptHandle"].(string))
			if got := run("receive-message", "--queue-url", url); got["Messages"] != nil {
				t.Fatal("deleted message received", got)
			}
			_, errOut, err := n.RunCLI(t, cli, nil, "sqs", "get-queue-url", "--queue-name", "missing-"+q)
			if err == nil || !strings.Contains(errOut, "AWS.SimpleQueueService.NonExistentQueue") {
				t.Fatalf("missing queue: %v %s", err, errOut)
			}

			// FIFO: order within a group and content-based deduplication.
			// A visibility timeout long enough for a loaded machine's
			// slow CLI calls: a FIFO queue refuses a receipt handle
			// whose timeout has passed, as SQS does.
			fifo := run("create-queue", "--queue-name", q+".fifo", "--attributes", "FifoQueue=true,ContentBasedDeduplication=true,VisibilityTimeout=900")["QueueUrl"].(string)
			for _, b := range []string{"one", "two", "two", "three"} {
				run("send-message", "--queue-url", fifo, "--message-body", b, "--message-group-id", "g")
			}
			var order []string
			for range 3 {
				r := run("receive-message", "--queue-url", fifo, "--max-number-of-messages", "10")
				for _, x := range r["Messages"].([]any) {
					mm := x.(map[string]any)
					order = append(order, mm["Body"].(string))
					run("delete-message", "--queue-url", fifo, "--receipt-handle", mm["ReceiptHandle"].(string))
				}
				if len(order) == 3 {
					break
				}
			}
			if strings.Join(order, ",") != "one,two,three" {
				t.Fatal(order)
			}

			// DLQ after maxReceiveCount=1, visibility 0 so the second
			// receive is immediate.
			dlq := run("create-queue", "--queue-name", q+"-dlq")["QueueUrl"].(string)
			dlqArn := run("get-queue-attributes", "--queue-url", dlq, "--attribute-names", "QueueArn")["Attributes"].(map[string]any)["QueueArn"].(string)
			redrive, _ := json.Marshal(map[string]string{"RedrivePolicy": `{"deadLetterTargetArn":"` + dlqArn + `","maxReceiveCount":"1"}`, "VisibilityTimeout": "0"})
			src := run("create-queue", "--queue-name", q+"-src", "--attributes", string(redrive))["QueueUrl"].(string)
			run("send-message", "--queue-url", src, "--message-body", "poison")
			if r := run("receive-message", "--queue-url", src); r["Messages"] == nil {
				t.Fatal("first receive empty")
			}
			if r := run("receive-message", "--queue-url", src); r["Messages"] != nil {
				t.Fatal("message not dead-lettered", r)
			}
			r := run("receive-message", "--queue-url", dlq)
			if r["Messages"] == nil || r["Messages"].([]any)[0].(map[string]any)["Body"] != "poison" {
				t.Fatal("DLQ empty", r)
			}
		})
	}
}

// sqsBoto3Script exercises SQS from boto3 in whichever protocol its model
// selects, and prints the protocol it used.
const sqsBoto3Script = `
import boto3, time, threading, hashlib
sqs = boto3.client("sqs")
proto = sqs.meta.service_model.protocol
q = sqs.create_queue(QueueName="py-" + proto)["QueueUrl"]
assert sqs.create_queue(QueueName="py-" + proto)["QueueUrl"] == q
r = sqs.send_message(QueueUrl=q, MessageBody="héllo", MessageAttributes={
    "n": {"DataType": "Number", "StringValue": "42"},
    "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}})
assert r["MD5OfMessageBody"] == hashlib.md5("héllo".encode()).hexdigest(), r
m = sqs.receive_message(QueueUrl=q, MessageAttributeNames=["All"], AttributeNames=["All"])["Messages"][0]
assert m["Body"] == "héllo" and m["MessageAttributes"]["b"]["BinaryValue"] == b"\x00\x01", m
assert m["MD5OfMessageAttributes"] == r["MD5OfMessageAttributes"]
sqs.delete_message(QueueUrl=q, ReceiptHandle=m["ReceiptHandle"])
b = sqs.send_message_batch(QueueUrl=q, Entries=[{"Id": "a", "MessageBody": "1"}, {"Id": "b", "MessageBody": "\x01"}])
assert len(b["Successful"]) == 1 and b["Failed"][0]["Id"] == "b", b
try:
    sqs.get_queue_url(QueueName="nope-" + proto)
    raise SystemExit("no error")
except sqs.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] in ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist"), e.response

# FIFO ordering and explicit deduplication.
f = sqs.create_queue(QueueName="py-" + proto + ".fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
ids = [sqs.send_message(QueueUrl=f, MessageBody=x, MessageGroupId="g", MessageDeduplicationId=d)["MessageId"]
       for x, d in [("a", "1"), ("b", "2"), ("b-dup", "2"), ("c", "3")]]
assert ids[1] == ids[2]
got = sqs.receive_message(QueueUrl=f, MaxNumberOfMessages=10)["Messages"]
assert [x["Body"] for x in got] == ["a", "b", "c"], got

# Long polling returns as soon as a message arrives.
lp = sqs.create_queue(QueueName="py-lp-" + proto)["QueueUrl"]
threading.Timer(0.5, lambda: boto3.client("sqs").send_message(QueueUrl=lp, MessageBody="late")).start()
t0 = time.time()
got = sqs.receive_message(QueueUrl=lp, WaitTimeSeconds=20).get("Messages", [])
took = time.time() - t0
assert got and got[0]["Body"] == "late" and took < 10, (got, took)
print(proto)
`

// TestSQSBoto3BothProtocols runs the same boto3 script over JSON (its
// default) and over query (its model replaced through AWS_DATA_PATH).
func TestSQSBoto3BothProtocols(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	if out := strings.TrimSpace(n.Python(t, sqsBoto3Script)); out != "json" {
		t.Fatalf("default protocol %q", out)
	}
	if out := strings.TrimSpace(n.Python(t, sqsBoto3Script, sqsQueryModelEnv(t)...)); out != "query" {
		t.Fatalf("forced protocol %q", out)
	}
}

// TestSQSGoSDK: aws-sdk-go-v2 (JSON protocol, verifies MD5s) against both
// targets.
func TestSQSGoSDK(t *testing.T) {
	t.Parallel()
	for _, target := range framework.Targets {
		t.Run(string(target), func(t *testing.T) {
			n := inprocess.Start(t, target)
			ctx := context.Background()
			c := sqs.NewFromConfig(framework.GoConfig(n, "test", "test", ""))
			q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("go-q")})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String("hi"),
				MessageAttributes: map[string]sqstypes.MessageAttributeValue{"k": {DataType: aws.String("String"), StringValue: aws.String("v")}}})
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl, MessageAttributeNames: []string{"All"}})
			if err != nil || len(got.Messages) != 1 || *got.Messages[0].Body != "hi" {
				t.Fatal(err, got)
			}
			if _, err := c.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: q.QueueUrl, ReceiptHandle: got.Messages[0].ReceiptHandle}); err != nil {
				t.Fatal(err)
			}
			batch, err := c.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: q.QueueUrl, Entries: []sqstypes.SendMessageBatchRequestEntry{
				{Id: aws.String("a"), MessageBody: aws.String("1")}, {Id: aws.String("b"), MessageBody: aws.String("2"),
					MessageAttributes: map[string]sqstypes.MessageAttributeValue{"n": {DataType: aws.String("Number"), StringValue: aws.String("3")}}}}})
			if err != nil || len(batch.Successful) != 2 {
				t.Fatal(err, batch)
			}
			_, err = c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("missing")})
			var nq *sqstypes.QueueDoesNotExist
			if !errors.As(err, &nq) {
				t.Fatalf("want QueueDoesNotExist, got %v", err)
			}

			// FIFO + DLQ.
			dlq, _ := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("go-dlq.fifo"), Attributes: map[string]string{"FifoQueue": "true"}})
			src, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("go-src.fifo"), Attributes: map[string]string{
				"FifoQueue": "true", "ContentBasedDeduplication": "true", "VisibilityTimeout": "0",
				"RedrivePolicy": `{"deadLetterTargetArn":"arn:aws:sqs:` + n.Region + `:000000000000:go-dlq.fifo","maxReceiveCount":2}`}})
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range []string{"x", "y", "x"} {
				if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: src.QueueUrl, MessageBody: aws.String(b), MessageGroupId: aws.String("g")}); err != nil {
					t.Fatal(err)
				}
			}
			for i := range 2 {
				r, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: src.QueueUrl, MaxNumberOfMessages: 10})
				if err != nil || len(r.Messages) != 2 || *r.Messages[0].Body != "x" {
					t.Fatalf("receive %d: %v %+v", i, err, r)
				}
			}
			r, _ := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: dlq.QueueUrl, MaxNumberOfMessages: 10})
			if len(r.Messages) != 0 {
				// Moved on the third receive attempt, not before.
				t.Fatalf("dead-lettered too early: %+v", r.Messages)
			}
			if r, _ := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: src.QueueUrl, MaxNumberOfMessages: 10}); len(r.Messages) != 0 {
				t.Fatal("source still delivers")
			}
			r, _ = c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: dlq.QueueUrl, MaxNumberOfMessages: 10})
			if len(r.Messages) != 2 || *r.Messages[0].Body != "x" || *r.Messages[1].Body != "y" {
				t.Fatalf("DLQ: %+v", r.Messages)
			}

			// Long polling returns early when a message arrives.
			lp, _ := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("go-lp")})
			go func() {
				time.Sleep(300 * time.Millisecond) // let the receive start waiting (a real client, a real wait)
				c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: lp.QueueUrl, MessageBody: aws.String("late")})
			}()
			start := time.Now()
			r, err = c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: lp.QueueUrl, WaitTimeSeconds: 20})
			if err != nil || len(r.Messages) != 1 || time.Since(start) > 10*time.Second {
				t.Fatalf("long poll: %v %+v after %v", err, r, time.Since(start))
			}
		})
	}
}

// TestSQSQueryToQueueURLPath: a query request POSTed to the queue URL
// itself, without a QueueUrl parameter, targets that queue.
func TestSQSQueryToQueueURLPath(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	n.MustAWS(t, "sqs", "create-queue", "--queue-name", "pathq")
	script := `
import boto3, botocore.auth, botocore.awsrequest, botocore.credentials, urllib.request, os
body = "Action=SendMessage&Version=2012-11-05&MessageBody=via-path"
url = os.environ["AWS_ENDPOINT_URL"] + "/000000000000/pathq"
req = botocore.awsrequest.AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
botocore.auth.SigV4Auth(botocore.credentials.Credentials("test", "test"), "sqs", os.environ["AWS_DEFAULT_REGION"]).add_auth(req)
p = req.prepare()
r = urllib.request.urlopen(urllib.request.Request(p.url, data=body.encode(), headers=dict(p.headers), method="POST"))
assert b"<SendMessageResponse" in r.read()
sqs = boto3.client("sqs")
m = sqs.receive_message(QueueUrl=sqs.get_queue_url(QueueName="pathq")["QueueUrl"])["Messages"][0]
print(m["Body"])
`
	if out := strings.TrimSpace(n.Python(t, script)); out != "via-path" {
		t.Fatal(out)
	}
}

// TestSQSDurability: messages survive kill -9 with --data-dir; an in-flight
// one becomes receivable again once its visibility timeout has passed.
func TestSQSDurability(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t, "--data-dir", t.TempDir())
	ctx := context.Background()
	c := sqs.NewFromConfig(framework.GoConfig(n, "test", "test", ""))
	q, err := c.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("durable"), Attributes: map[string]string{"VisibilityTimeout": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"kept", "inflight"} {
		if _, err := c.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: q.QueueUrl, MessageBody: aws.String(b)}); err != nil {
			t.Fatal(err)
		}
	}
	r, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl})
	if err != nil || len(r.Messages) != 1 {
		t.Fatal(err, r)
	}
	n.Kill9AndRestart()
	c = sqs.NewFromConfig(framework.GoConfig(n, "test", "test", ""))
	url, err := c.GetQueueUrl(ctx, &sqs.GetQueueUrlInput{QueueName: aws.String("durable")})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	// The in-flight message's 1 s timeout passes in real time (the binary
	// runs on the real clock); long polling waits for it.
	deadline := time.Now().Add(framework.Patience)
	for len(seen) < 2 && time.Now().Before(deadline) {
		r, err := c.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: url.QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 5, VisibilityTimeout: 60})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range r.Messages {
			seen[*m.Body] = true
		}
	}
	if !seen["kept"] || !seen["inflight"] {
		t.Fatalf("after restart: %v", seen)
	}
}
