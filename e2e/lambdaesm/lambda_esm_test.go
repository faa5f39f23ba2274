package lambdaesm

import (
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

const sqsConsumer = `import boto3, json, os

s3 = boto3.client("s3")

def handler(event, context):
    failures = []
    for r in event["Records"]:
        if r["body"] == "bad":
            failures.append({"itemIdentifier": r["messageId"]})
            continue
        s3.put_object(Bucket=os.environ["BUCKET"], Key=r["body"], Body=json.dumps(r).encode())
    return {"batchItemFailures": failures}
`

// TestLambdaSQSEventSourceMapping: an SQS event source mapping delivers
// batches to a python function; the messages it processes are deleted,
// the one it reports as a batch item failure is retried until the queue's
// redrive policy moves it to the dead-letter queue.
func TestLambdaSQSEventSourceMapping(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	role := framework.LambdaRole(t, n, "esm-role")
	framework.AttachRolePolicies(t, n, "esm-role", "service-role/AWSLambdaSQSQueueExecutionRole")
	zipPath := framework.ZipFiles(t, t.TempDir(), map[string][]byte{"consumer.py": []byte(sqsConsumer)})
	out := n.Python(t, `
import boto3, json, os, time
sqs, s3, lam = boto3.client("sqs"), boto3.client("s3"), boto3.client("lambda")
region = sqs.meta.region_name
s3.create_bucket(Bucket="esm-out") if region == "us-east-1" else s3.create_bucket(Bucket="esm-out", CreateBucketConfiguration={"LocationConstraint": region})
dlq = sqs.create_queue(QueueName="esm-dlq")["QueueUrl"]
dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
src = sqs.create_queue(QueueName="esm-src", Attributes={"VisibilityTimeout": "2",
    "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "2"})})["QueueUrl"]
src_arn = sqs.get_queue_attributes(QueueUrl=src, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
with open(os.environ["ZIP"], "rb") as f:
    lam.create_function(FunctionName="esm-consumer", Runtime="python3.12", Handler="consumer.handler", Role=os.environ["ROLE"],
        Code={"ZipFile": f.read()}, Timeout=30, Environment={"Variables": {"BUCKET": "esm-out"}})
m = lam.create_event_source_mapping(EventSourceArn=src_arn, FunctionName="esm-consumer", BatchSize=10,
    FunctionResponseTypes=["ReportBatchItemFailures"])
assert m["State"] == "Creating" and m["BatchSize"] == 10 and m["FunctionResponseTypes"] == ["ReportBatchItemFailures"], m
good = ["good-%d" % i for i in range(4)]
sent = {}
for body in good[:2] + ["bad"] + good[2:]:
    r = sqs.send_message(QueueUrl=src, MessageBody=body, MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}})
    sent[body] = r["MessageId"]

deadline = time.time() + 120
keys, dead = set(), []
while time.time() < deadline:
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="esm-out").get("Contents", [])}
    if not dead:
        dead = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, AttributeNames=["All"]).get("Messages", [])
    if keys == set(good) and dead:
        break
    time.sleep(0.5)
assert keys == set(good), keys
assert len(dead) == 1 and dead[0]["Body"] == "bad" and dead[0]["MessageId"] == sent["bad"], dead
assert dead[0]["Attributes"]["DeadLetterQueueSourceArn"] == src_arn, dead

rec = json.loads(s3.get_object(Bucket="esm-out", Key="good-0")["Body"].read())
assert rec["messageId"] == sent["good-0"] and rec["body"] == "good-0" and rec["receiptHandle"], rec
assert rec["eventSource"] == "aws:sqs" and rec["eventSourceARN"] == src_arn and rec["awsRegion"] == region, rec
assert rec["md5OfBody"] == __import__("hashlib").md5(b"good-0").hexdigest(), rec
a = rec["attributes"]
assert a["ApproximateReceiveCount"] == "1" and a["SentTimestamp"] and a["SenderId"] and a["ApproximateFirstReceiveTimestamp"], a
assert rec["messageAttributes"] == {"kind": {"stringValue": "test", "stringListValues": [], "binaryListValues": [], "dataType": "String"}}, rec

# Nothing is left in the source queue: the good ones were deleted, the
# bad one moved.
attrs = sqs.get_queue_attributes(QueueUrl=src, AttributeNames=["All"])["Attributes"]
assert attrs["ApproximateNumberOfMessages"] == "0" and attrs["ApproximateNumberOfMessagesNotVisible"] == "0", attrs
print("ok")
`, "ZIP="+zipPath, "ROLE="+role)
	if strings.TrimSpace(out) != "ok" {
		t.Fatal(out)
	}
}
