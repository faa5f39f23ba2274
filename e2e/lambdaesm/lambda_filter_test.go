package lambdaesm

import (
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// filterConsumer stores each record it gets in S3 under a key naming it.
const filterConsumer = `import boto3, json, os

s3 = boto3.client("s3")

def handler(event, context):
    for r in event["Records"]:
        if r["eventSource"] == "aws:sqs":
            key = "sqs/" + json.loads(r["body"])["id"] if r["body"].startswith("{") else "sqs/" + r["body"]
        else:
            key = "ddb/" + r["dynamodb"]["Keys"]["pk"]["S"] + "-" + r["eventName"]
        s3.put_object(Bucket=os.environ["BUCKET"], Key=key, Body=json.dumps(r).encode())
`

// TestLambdaEventFiltering: FilterCriteria on an SQS mapping (the JSON
// body is filtered as a document; a plain-text body as a string) and on a
// DynamoDB stream mapping (eventName and NewImage): only matching records
// reach the function, the non-matching SQS messages are deleted from the
// queue, and an invalid pattern is InvalidParameterValueException for
// both CLIs.
func TestLambdaEventFiltering(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	role := framework.LambdaRole(t, n, "filter-role")
	framework.AttachRolePolicies(t, n, "filter-role", "service-role/AWSLambdaSQSQueueExecutionRole", "service-role/AWSLambdaDynamoDBExecutionRole")
	zipPath := framework.ZipFiles(t, t.TempDir(), map[string][]byte{"consumer.py": []byte(filterConsumer)})
	n.MustAWS(t, "lambda", "create-function", "--function-name", "filtered", "--runtime", "python3.12",
		"--handler", "consumer.handler", "--role", role, "--zip-file", "fileb://"+zipPath, "--timeout", "30",
		"--environment", "Variables={BUCKET=filter-out}")
	queueURL := strings.TrimSpace(n.MustAWS(t, "sqs", "create-queue", "--queue-name", "filter-src", "--query", "QueueUrl", "--output", "text"))
	queueARN := strings.TrimSpace(n.MustAWS(t, "sqs", "get-queue-attributes", "--queue-url", queueURL, "--attribute-names", "QueueArn", "--query", "Attributes.QueueArn", "--output", "text"))
	for _, cli := range framework.CLIs {
		_, stderr, err := n.RunCLI(t, cli, nil, "lambda", "create-event-source-mapping", "--function-name", "filtered",
			"--event-source-arn", queueARN, "--filter-criteria", `{"Filters":[{"Pattern":"{\"body\": \"not-a-list\"}"}]}`)
		if err == nil || !strings.Contains(stderr, "InvalidParameterValueException") || !strings.Contains(stderr, "Invalid filter pattern definition.") {
			t.Fatalf("%s: bad pattern: %v %s", cli.Name, err, stderr)
		}
	}
	out := n.MustAWS(t, "lambda", "create-event-source-mapping", "--function-name", "filtered", "--event-source-arn", queueARN,
		"--filter-criteria", `{"Filters":[{"Pattern":"{\"body\": {\"kind\": [\"order\"]}}"},{"Pattern":"{\"body\": [\"ping\"]}"}]}`)
	if !strings.Contains(out, `"FilterCriteria"`) {
		t.Fatalf("mapping: %s", out)
	}
	py := n.Python(t, `
import boto3, json, os, time
sqs, s3, lam, ddb = boto3.client("sqs"), boto3.client("s3"), boto3.client("lambda"), boto3.client("dynamodb")
region = s3.meta.region_name
s3.create_bucket(Bucket="filter-out") if region == "us-east-1" else s3.create_bucket(Bucket="filter-out", CreateBucketConfiguration={"LocationConstraint": region})
q = os.environ["QUEUE"]
for body in [json.dumps({"id": "o1", "kind": "order"}), json.dumps({"id": "r1", "kind": "refund"}), "ping", "pong", json.dumps({"id": "o2", "kind": "order"})]:
    sqs.send_message(QueueUrl=q, MessageBody=body)

t = ddb.create_table(TableName="filtered", AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST",
    StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})["TableDescription"]
lam.create_event_source_mapping(EventSourceArn=t["LatestStreamArn"], FunctionName="filtered", StartingPosition="TRIM_HORIZON",
    FilterCriteria={"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT"], "dynamodb": {"NewImage": {"status": {"S": ["open"]}}}})}]})
ddb.put_item(TableName="filtered", Item={"pk": {"S": "a"}, "status": {"S": "open"}})
ddb.put_item(TableName="filtered", Item={"pk": {"S": "b"}, "status": {"S": "closed"}})
ddb.update_item(TableName="filtered", Key={"pk": {"S": "a"}}, UpdateExpression="SET #s = :v",
    ExpressionAttributeNames={"#s": "status"}, ExpressionAttributeValues={":v": {"S": "open"}})
ddb.put_item(TableName="filtered", Item={"pk": {"S": "c"}, "status": {"S": "open"}})

want = {"sqs/o1", "sqs/o2", "sqs/ping", "ddb/a-INSERT", "ddb/c-INSERT"}
deadline = time.time() + 120
keys, left = set(), None
while time.time() < deadline:
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="filter-out").get("Contents", [])}
    a = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    left = int(a["ApproximateNumberOfMessages"]) + int(a["ApproximateNumberOfMessagesNotVisible"])
    if keys == want and left == 0:
        break
    time.sleep(0.5)
assert keys == want, keys
assert left == 0, left
body = json.loads(s3.get_object(Bucket="filter-out", Key="sqs/o1")["Body"].read())["body"]
assert body == json.dumps({"id": "o1", "kind": "order"}), body
print("ok")
`, "QUEUE="+queueURL)
	if strings.TrimSpace(py) != "ok" {
		t.Fatal(py)
	}
}
