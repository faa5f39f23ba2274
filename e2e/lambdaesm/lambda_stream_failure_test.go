package lambdaesm

import (
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

const failingStreamConsumer = `def handler(event, context):
    raise RuntimeError("cannot process %d records" % len(event["Records"]))
`

// TestLambdaStreamOnFailureDestination: a DynamoDB stream mapping whose
// function always fails, with MaximumRetryAttempts 1 and an SQS
// on-failure destination (set with the CLI), sends AWS's invocation
// record (requestContext, responseContext, DDBStreamBatchInfo naming the
// stream's shard and the batch's sequence numbers) to the queue and moves
// past the batch.
func TestLambdaStreamOnFailureDestination(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	role := framework.LambdaRole(t, n, "stream-fail-role")
	framework.AttachRolePolicies(t, n, "stream-fail-role", "service-role/AWSLambdaDynamoDBExecutionRole")
	zipPath := framework.ZipFiles(t, t.TempDir(), map[string][]byte{"consumer.py": []byte(failingStreamConsumer)})
	n.MustAWS(t, "lambda", "create-function", "--function-name", "stream-fails", "--runtime", "python3.12",
		"--handler", "consumer.handler", "--role", role, "--zip-file", "fileb://"+zipPath)
	out := n.Python(t, `
import boto3, json, time
ddb, sqs, lam, streams = boto3.client("dynamodb"), boto3.client("sqs"), boto3.client("lambda"), boto3.client("dynamodbstreams")
q = sqs.create_queue(QueueName="stream-failures")["QueueUrl"]
q_arn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
t = ddb.create_table(TableName="failing", AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST",
    StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})["TableDescription"]
stream = t["LatestStreamArn"]
ddb.put_item(TableName="failing", Item={"pk": {"S": "a"}})
ddb.put_item(TableName="failing", Item={"pk": {"S": "b"}})
print(stream + " " + q_arn + " " + q)
`)
	parts := strings.Fields(strings.TrimSpace(out))
	if len(parts) != 3 {
		t.Fatal(out)
	}
	stream, queueARN, queueURL := parts[0], parts[1], parts[2]
	created := n.MustAWS(t, "lambda", "create-event-source-mapping", "--function-name", "stream-fails", "--event-source-arn", stream,
		"--starting-position", "TRIM_HORIZON", "--maximum-retry-attempts", "1",
		"--destination-config", `{"OnFailure":{"Destination":"`+queueARN+`"}}`)
	if !strings.Contains(created, queueARN) || !strings.Contains(created, `"MaximumRetryAttempts": 1`) {
		t.Fatalf("mapping: %s", created)
	}
	out = n.Python(t, `
import boto3, json, os, time
sqs, streams = boto3.client("sqs"), boto3.client("dynamodbstreams")
stream, q = os.environ["STREAM"], os.environ["QUEUE"]
deadline = time.time() + 120
msgs = []
while time.time() < deadline and not msgs:
    msgs = sqs.receive_message(QueueUrl=q, WaitTimeSeconds=1).get("Messages", [])
assert len(msgs) == 1, msgs
r = json.loads(msgs[0]["Body"])
rc = r["requestContext"]
assert rc["condition"] == "RetryAttemptsExhausted" and rc["approximateInvokeCount"] == 2, r
assert rc["functionArn"].endswith(":function:stream-fails") and rc["requestId"], r
assert r["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}, r
assert r["version"] == "1.0" and r["timestamp"].endswith("Z"), r
b = r["DDBStreamBatchInfo"]
shard = streams.describe_stream(StreamArn=stream)["StreamDescription"]["Shards"][0]
assert b["shardId"] == shard["ShardId"] and b["streamArn"] == stream and b["batchSize"] == 2, r
it = streams.get_shard_iterator(StreamArn=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
seqs = [x["dynamodb"]["SequenceNumber"] for x in streams.get_records(ShardIterator=it)["Records"]]
assert [b["startSequenceNumber"], b["endSequenceNumber"]] == seqs, (b, seqs)
assert b["approximateArrivalOfFirstRecord"].endswith("Z") and b["approximateArrivalOfLastRecord"].endswith("Z"), b
print("ok")
`, "STREAM="+stream, "QUEUE="+queueURL)
	if strings.TrimSpace(out) != "ok" {
		t.Fatal(out)
	}
	// The mapping moved past the discarded batch: a new record is a new
	// batch of one, discarded the same way. Both CLIs list the mapping.
	out = n.Python(t, `
import boto3, json, os, time
sqs, ddb = boto3.client("sqs"), boto3.client("dynamodb")
q = os.environ["QUEUE"]
ddb.put_item(TableName="failing", Item={"pk": {"S": "c"}})
deadline = time.time() + 120
msgs = []
while time.time() < deadline and not msgs:
    msgs = sqs.receive_message(QueueUrl=q, WaitTimeSeconds=1).get("Messages", [])
assert len(msgs) == 1, msgs
b = json.loads(msgs[0]["Body"])["DDBStreamBatchInfo"]
assert b["batchSize"] == 1 and b["startSequenceNumber"] == b["endSequenceNumber"], b
print("ok")
`, "QUEUE="+queueURL)
	if strings.TrimSpace(out) != "ok" {
		t.Fatal(out)
	}
	for _, cli := range framework.CLIs {
		got, stderr, err := n.RunCLI(t, cli, nil, "lambda", "list-event-source-mappings", "--function-name", "stream-fails")
		if err != nil || !strings.Contains(got, `"Destination": "`+queueARN+`"`) {
			t.Fatalf("%s: %v %s %s", cli.Name, err, got, stderr)
		}
	}
}
