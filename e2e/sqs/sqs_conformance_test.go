package sqs

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestSQSConformanceCLI: both aws CLI versions (v1 speaks JSON, v2 2.9
// query) against behaviour SQS documents off the scenario paths: system
// attribute names in ReceiveMessage's AttributeNames, InvalidAttributeName
// for an unknown queue attribute, a queue name where a URL goes, FIFO's
// MessageGroupId, QueueDoesNotExist before a receipt handle is read,
// 1 MiB messages, and the authentication errors of each protocol.
func TestSQSConformanceCLI(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	big := filepath.Join(t.TempDir(), "big.txt")
	if err := os.WriteFile(big, []byte(strings.Repeat("m", 600000)), 0o644); err != nil {
		t.Fatal(err)
	}
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
			fails := func(env []string, want []string, args ...string) {
				t.Helper()
				_, errOut, err := n.RunCLI(t, cli, env, append([]string{"sqs"}, args...)...)
				if err == nil {
					t.Fatalf("sqs %v succeeded", args)
				}
				for _, w := range want {
					if !strings.Contains(errOut, w) {
						t.Fatalf("sqs %v: %q not in\n%s", args, w, errOut)
					}
				}
			}
			name := "conf-" + cli.Name + ".fifo"
			run("create-queue", "--queue-name", name, "--attributes", "FifoQueue=true,ContentBasedDeduplication=true")

			// A bare queue name as --queue-url.
			run("send-message", "--queue-url", name, "--message-body", "one", "--message-group-id", "g")
			fails(nil, []string{"MissingParameter", "The request must contain the parameter MessageGroupId."},
				"send-message", "--queue-url", name, "--message-body", "two")

			got := run("receive-message", "--queue-url", name, "--attribute-names",
				"ApproximateFirstReceiveTimestamp", "ApproximateReceiveCount", "SenderId", "MessageGroupId", "SequenceNumber")
			attrs := got["Messages"].([]any)[0].(map[string]any)["Attributes"].(map[string]any)
			if attrs["ApproximateReceiveCount"] != "1" || attrs["MessageGroupId"] != "g" || attrs["SenderId"] == nil ||
				attrs["SequenceNumber"] == nil || attrs["ApproximateFirstReceiveTimestamp"] == nil {
				t.Fatalf("attributes %v", attrs)
			}
			fails(nil, []string{"InvalidAttributeName", "Unknown Attribute Bogus."},
				"get-queue-attributes", "--queue-url", name, "--attribute-names", "Bogus")
			fails(nil, []string{"AWS.SimpleQueueService.NonExistentQueue"},
				"delete-message", "--queue-url", n.Endpoint+"/000000000000/no-such-queue", "--receipt-handle", "garbage")

			// 600 KB: over the old 256 KiB limit, under 1 MiB.
			std := run("create-queue", "--queue-name", "conf-big-"+cli.Name)["QueueUrl"].(string)
			run("send-message", "--queue-url", std, "--message-body", "file://"+big)
			got = run("receive-message", "--queue-url", std)
			if b := got["Messages"].([]any)[0].(map[string]any)["Body"].(string); len(b) != 600000 {
				t.Fatalf("body of %d bytes", len(b))
			}

			// Authentication failures in the protocol's vocabulary: query
			// (v2 2.9) InvalidClientTokenId, JSON (v1) the JSON
			// services' UnrecognizedClientException.
			want := map[string]string{"v1": "UnrecognizedClientException", "v2": "InvalidClientTokenId"}[cli.Name]
			fails([]string{"AWS_ACCESS_KEY_ID=AKIANOSUCHKEY0000000"}, []string{want}, "list-queues")
			want = map[string]string{"v1": "InvalidSignatureException", "v2": "SignatureDoesNotMatch"}[cli.Name]
			fails([]string{"AWS_SECRET_ACCESS_KEY=wrong"}, []string{want}, "list-queues")
		})
	}
}

// sqsConformanceBoto3 checks from boto3, in whichever protocol its model
// selects, what SQS documents beyond the scenario paths.
const sqsConformanceBoto3 = `
import boto3, botocore
sqs = boto3.client("sqs")
proto = sqs.meta.service_model.protocol

def err(fn, **kw):
    try:
        fn(**kw)
    except botocore.exceptions.ClientError as e:
        return e.response
    raise SystemExit("no error from %s %s" % (fn, kw))

name = "py-conf-" + proto + ".fifo"
sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})
sqs.send_message(QueueUrl=name, MessageBody="one", MessageGroupId="g")
r = err(sqs.send_message, QueueUrl=name, MessageBody="two")
assert r["Error"]["Code"] == "MissingParameter" and r["Error"]["Message"] == "The request must contain the parameter MessageGroupId.", r
r = err(sqs.send_message, QueueUrl=name, MessageBody="two", MessageGroupId="g", DelaySeconds=5)
assert r["Error"]["Code"] == "InvalidParameterValue", r

names = ["ApproximateFirstReceiveTimestamp", "ApproximateReceiveCount", "SenderId", "MessageGroupId", "SequenceNumber"]
kw = {"AttributeNames": names}
if proto == "json":
    kw = {"MessageSystemAttributeNames": names}
m = sqs.receive_message(QueueUrl=name, VisibilityTimeout=0, **kw)["Messages"][0]
assert set(m["Attributes"]) == set(names), m
m = sqs.receive_message(QueueUrl=name, AttributeNames=["All"])["Messages"][0]
assert m["Attributes"]["ApproximateReceiveCount"] == "2" and "SentTimestamp" in m["Attributes"], m

r = err(sqs.get_queue_attributes, QueueUrl=name, AttributeNames=["Bogus"])
assert r["Error"]["Code"] == "InvalidAttributeName" and r["Error"]["Message"] == "Unknown Attribute Bogus.", r
r = err(sqs.delete_message, QueueUrl="no-such-queue", ReceiptHandle="garbage")
assert r["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue", r
if proto == "json":
    h = r["ResponseMetadata"]["HTTPHeaders"]
    assert h["x-amzn-errortype"] == "com.amazonaws.sqs#QueueDoesNotExist", h
    assert h["x-amzn-query-error"] == "AWS.SimpleQueueService.NonExistentQueue;Sender", h

# 1 MiB messages and batches.
big = sqs.create_queue(QueueName="py-big-" + proto)["QueueUrl"]
assert sqs.get_queue_attributes(QueueUrl=big, AttributeNames=["MaximumMessageSize"])["Attributes"]["MaximumMessageSize"] == "1048576"
sqs.send_message(QueueUrl=big, MessageBody="x" * 1048576)
r = err(sqs.send_message, QueueUrl=big, MessageBody="x" * 1048577)
assert r["Error"]["Code"] == "InvalidParameterValue", r
ok = sqs.send_message_batch(QueueUrl=big, Entries=[{"Id": str(i), "MessageBody": "y" * 300000} for i in range(3)])
assert len(ok["Successful"]) == 3, ok
r = err(sqs.send_message_batch, QueueUrl=big, Entries=[{"Id": str(i), "MessageBody": "y" * 300000} for i in range(4)])
assert r["Error"]["Code"] == "AWS.SimpleQueueService.BatchRequestTooLong", r

# Authentication failures in the protocol's vocabulary.
bad = boto3.client("sqs", aws_access_key_id="AKIANOSUCHKEY0000000", aws_secret_access_key="x")
r = err(bad.list_queues)
want = {"json": ("UnrecognizedClientException", 400), "query": ("InvalidClientTokenId", 403)}[proto]
assert (r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]) == want, r
print(proto)
`

// TestSQSConformanceBoto3 runs the script over JSON (boto3's default) and
// over query (its model replaced through AWS_DATA_PATH).
func TestSQSConformanceBoto3(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	if out := strings.TrimSpace(n.Python(t, sqsConformanceBoto3)); out != "json" {
		t.Fatalf("default protocol %q", out)
	}
	if out := strings.TrimSpace(n.Python(t, sqsConformanceBoto3, sqsQueryModelEnv(t)...)); out != "query" {
		t.Fatalf("forced protocol %q", out)
	}
}
