package lambdaesm

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// esmRecorder puts one S3 object per message it is given, so a test can
// see what was delivered.
const esmRecorder = `import boto3, os
def handler(event, context):
    s3 = boto3.client("s3")
    for r in event["Records"]:
        s3.put_object(Bucket=os.environ["BUCKET"], Key="got/" + r["body"], Body=r["body"].encode())
`

const sqsExecPolicy = "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"

// TestLambdaESMRolePermissions: under IAM enforcement an event source
// mapping reads its queue with the function's execution role. A role
// without the SQS permissions is refused at creation with AWS's
// InvalidParameterValueException (both CLIs); with
// AWSLambdaSQSQueueExecutionRole attached the mapping delivers; once the
// policy is detached new messages stay in the queue (visible, never
// received) while the mapping stays Enabled, and they are delivered when
// it is attached again. A DynamoDB stream is refused with AWS's "Cannot
// access stream" message.
func TestLambdaESMRolePermissions(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	dir := t.TempDir()
	role := framework.LambdaRole(t, n, "esm-perm-role") // s3, logs: no SQS
	bucket := "esm-perm-out"
	n.MustAWS(t, "s3api", "create-bucket", "--bucket", bucket, "--create-bucket-configuration", "LocationConstraint="+n.Region)
	zipPath := framework.ZipFiles(t, dir, map[string][]byte{"rec.py": []byte(esmRecorder)})
	n.MustAWS(t, "lambda", "create-function", "--function-name", "esm-perm", "--runtime", "python3.12",
		"--handler", "rec.handler", "--role", role, "--zip-file", "fileb://"+zipPath, "--timeout", "30",
		"--environment", "Variables={BUCKET="+bucket+"}")
	queueURL := strings.TrimSpace(n.MustAWS(t, "sqs", "create-queue", "--queue-name", "esm-perm-q", "--attributes", "VisibilityTimeout=60", "--query", "QueueUrl", "--output", "text"))
	queueARN := strings.TrimSpace(n.MustAWS(t, "sqs", "get-queue-attributes", "--queue-url", queueURL, "--attribute-names", "QueueArn", "--query", "Attributes.QueueArn", "--output", "text"))

	for _, cli := range framework.CLIs {
		_, stderr, err := n.RunCLI(t, cli, nil, "lambda", "create-event-source-mapping", "--function-name", "esm-perm", "--event-source-arn", queueARN)
		want := "An error occurred (InvalidParameterValueException) when calling the CreateEventSourceMapping operation: The function execution role does not have permissions to call ReceiveMessage on SQS"
		if err == nil || !strings.Contains(stderr, want) {
			t.Fatalf("%s: mapping without SQS permissions: %v %s", cli.Name, err, stderr)
		}
	}
	if out := n.MustAWS(t, "lambda", "list-event-source-mappings", "--function-name", "esm-perm", "--query", "length(EventSourceMappings)"); strings.TrimSpace(out) != "0" {
		t.Fatalf("refused mapping stored: %s", out)
	}

	n.MustAWS(t, "iam", "attach-role-policy", "--role-name", "esm-perm-role", "--policy-arn", sqsExecPolicy)
	var m struct{ UUID, State string }
	json.Unmarshal([]byte(n.MustAWS(t, "lambda", "create-event-source-mapping", "--function-name", "esm-perm", "--event-source-arn", queueARN, "--batch-size", "1")), &m)
	if m.UUID == "" || m.State != "Creating" {
		t.Fatalf("mapping with AWSLambdaSQSQueueExecutionRole: %+v", m)
	}
	delivered := func(body string) bool {
		_, _, err := n.AWS(t, nil, "s3api", "head-object", "--bucket", bucket, "--key", "got/"+body)
		return err == nil
	}
	n.MustAWS(t, "sqs", "send-message", "--queue-url", queueURL, "--message-body", "one")
	framework.WaitUntil(t, framework.Patience, func() bool { return delivered("one") }, "message one delivered")

	// Detached: the next polls are refused. Wait until the queue is empty
	// (one consumed and deleted), then send: the message stays visible.
	n.MustAWS(t, "iam", "detach-role-policy", "--role-name", "esm-perm-role", "--policy-arn", sqsExecPolicy)
	counts := func() string {
		return strings.Join(strings.Fields(n.MustAWS(t, "sqs", "get-queue-attributes", "--queue-url", queueURL,
			"--attribute-names", "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
			"--query", "[Attributes.ApproximateNumberOfMessages, Attributes.ApproximateNumberOfMessagesNotVisible]", "--output", "text")), " ")
	}
	framework.WaitUntil(t, framework.Patience, func() bool { return counts() == "0 0" }, "queue drained")
	n.MustAWS(t, "sqs", "send-message", "--queue-url", queueURL, "--message-body", "two")
	// Polls come every second: for several of them the message must stay
	// visible (a receive would hide it for the 60 s visibility timeout).
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(500 * time.Millisecond) {
		if c := counts(); c != "1 0" {
			t.Fatalf("message received without permission: visible/not visible %s", c)
		}
	}
	if delivered("two") {
		t.Fatal("message two delivered without permission")
	}
	state := strings.TrimSpace(n.MustAWS(t, "lambda", "get-event-source-mapping", "--uuid", m.UUID, "--query", "State", "--output", "text"))
	if state != "Enabled" {
		t.Fatalf("state after the permission was lost: %s", state)
	}

	// Attached again: the waiting message is consumed.
	n.MustAWS(t, "iam", "attach-role-policy", "--role-name", "esm-perm-role", "--policy-arn", sqsExecPolicy)
	framework.WaitUntil(t, framework.Patience, func() bool { return delivered("two") }, "message two delivered after re-attaching")

	// DynamoDB Streams: AWS's wording, with boto3.
	out := n.Python(t, `import boto3, os
ddb, lam = boto3.client("dynamodb"), boto3.client("lambda")
t = ddb.create_table(TableName="esm-perm-t", AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST",
    StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
arn = t["TableDescription"]["LatestStreamArn"]
try:
    lam.create_event_source_mapping(FunctionName="esm-perm", EventSourceArn=arn, StartingPosition="LATEST")
    print("created")
except lam.exceptions.InvalidParameterValueException as e:
    print(e.response["Error"]["Message"])
    print(arn)
`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 || lines[0] != "Cannot access stream "+lines[1]+". Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM." {
		t.Fatalf("stream mapping without permissions: %q", out)
	}
}

// TestLambdaESMRolePermissionsSoft: with --iam-enforcement soft the
// refusal is only logged: the mapping is created and delivers.
func TestLambdaESMRolePermissionsSoft(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t, "--iam-enforcement", "soft")
	dir := t.TempDir()
	role := framework.LambdaRole(t, n, "esm-soft-role")
	bucket := "esm-soft-out"
	n.MustAWS(t, "s3api", "create-bucket", "--bucket", bucket, "--create-bucket-configuration", "LocationConstraint="+n.Region)
	zipPath := framework.ZipFiles(t, dir, map[string][]byte{"rec.py": []byte(esmRecorder)})
	n.MustAWS(t, "lambda", "create-function", "--function-name", "esm-soft", "--runtime", "python3.12",
		"--handler", "rec.handler", "--role", role, "--zip-file", "fileb://"+zipPath, "--timeout", "30",
		"--environment", "Variables={BUCKET="+bucket+"}")
	queueURL := strings.TrimSpace(n.MustAWS(t, "sqs", "create-queue", "--queue-name", "esm-soft-q", "--query", "QueueUrl", "--output", "text"))
	queueARN := strings.TrimSpace(n.MustAWS(t, "sqs", "get-queue-attributes", "--queue-url", queueURL, "--attribute-names", "QueueArn", "--query", "Attributes.QueueArn", "--output", "text"))
	n.MustAWS(t, "lambda", "create-event-source-mapping", "--function-name", "esm-soft", "--event-source-arn", queueARN)
	n.MustAWS(t, "sqs", "send-message", "--queue-url", queueURL, "--message-body", "soft")
	framework.WaitUntil(t, framework.Patience, func() bool {
		_, _, err := n.AWS(t, nil, "s3api", "head-object", "--bucket", bucket, "--key", "got/soft")
		return err == nil
	}, "message delivered in soft mode")
}
