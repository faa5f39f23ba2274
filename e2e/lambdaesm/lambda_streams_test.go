package lambdaesm

import (
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

const streamConsumer = `import boto3, json, os

s3 = boto3.client("s3")

def handler(event, context):
    for r in event["Records"]:
        key = r["dynamodb"]["Keys"]["pk"]["S"] + "-" + r["eventName"]
        s3.put_object(Bucket=os.environ["BUCKET"], Key=key, Body=json.dumps(r).encode())
    return "ok"
`

// TestLambdaDynamoDBStreamEventSourceMapping: a table's stream is mapped
// to a python function (its code read from an S3 object) with
// TRIM_HORIZON; every INSERT, MODIFY and REMOVE reaches the function in
// the Lambda DynamoDB event shape.
func TestLambdaDynamoDBStreamEventSourceMapping(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	role := framework.LambdaRole(t, n, "stream-esm-role")
	framework.AttachRolePolicies(t, n, "stream-esm-role", "service-role/AWSLambdaDynamoDBExecutionRole")
	zipPath := framework.ZipFiles(t, t.TempDir(), map[string][]byte{"consumer.py": []byte(streamConsumer)})
	out := n.Python(t, `
import boto3, json, os, time
ddb, s3, lam = boto3.client("dynamodb"), boto3.client("s3"), boto3.client("lambda")
region = s3.meta.region_name
def bucket(name):
    if region == "us-east-1":
        s3.create_bucket(Bucket=name)
    else:
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
bucket("stream-out")
bucket("stream-code")
with open(os.environ["ZIP"], "rb") as f:
    s3.put_object(Bucket="stream-code", Key="fn/consumer.zip", Body=f.read())
t = ddb.create_table(TableName="orders", AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST",
    StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})["TableDescription"]
stream_arn = t["LatestStreamArn"]
# Written before the mapping exists: TRIM_HORIZON still delivers it.
ddb.put_item(TableName="orders", Item={"pk": {"S": "a"}, "n": {"N": "1"}})
lam.create_function(FunctionName="stream-consumer", Runtime="python3.12", Handler="consumer.handler", Role=os.environ["ROLE"],
    Code={"S3Bucket": "stream-code", "S3Key": "fn/consumer.zip"}, Timeout=30, Environment={"Variables": {"BUCKET": "stream-out"}})
m = lam.create_event_source_mapping(EventSourceArn=stream_arn, FunctionName="stream-consumer", StartingPosition="TRIM_HORIZON", BatchSize=2)
assert m["State"] == "Creating" and m["BatchSize"] == 2 and m["StartingPosition"] == "TRIM_HORIZON", m
ddb.put_item(TableName="orders", Item={"pk": {"S": "b"}, "n": {"N": "2"}})
ddb.update_item(TableName="orders", Key={"pk": {"S": "a"}}, UpdateExpression="SET n = :v", ExpressionAttributeValues={":v": {"N": "5"}})
ddb.delete_item(TableName="orders", Key={"pk": {"S": "b"}})

want = {"a-INSERT", "b-INSERT", "a-MODIFY", "b-REMOVE"}
deadline = time.time() + 120
keys = set()
while time.time() < deadline:
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket="stream-out").get("Contents", [])}
    if keys == want:
        break
    time.sleep(0.5)
assert keys == want, keys

def rec(key):
    return json.loads(s3.get_object(Bucket="stream-out", Key=key)["Body"].read())
r = rec("a-MODIFY")
assert r["eventName"] == "MODIFY" and r["eventVersion"] == "1.1" and r["eventSource"] == "aws:dynamodb", r
assert r["awsRegion"] == region and r["eventSourceARN"] == stream_arn and r["eventID"], r
d = r["dynamodb"]
assert d["Keys"] == {"pk": {"S": "a"}}, d
assert d["NewImage"] == {"pk": {"S": "a"}, "n": {"N": "5"}} and d["OldImage"] == {"pk": {"S": "a"}, "n": {"N": "1"}}, d
assert d["StreamViewType"] == "NEW_AND_OLD_IMAGES" and d["SequenceNumber"] and d["SizeBytes"] > 0, d
assert isinstance(d["ApproximateCreationDateTime"], (int, float)) and d["ApproximateCreationDateTime"] > 1e9, d
r = rec("b-REMOVE")
assert r["dynamodb"]["OldImage"] == {"pk": {"S": "b"}, "n": {"N": "2"}} and "NewImage" not in r["dynamodb"], r
assert "OldImage" not in rec("b-INSERT")["dynamodb"]
seqs = [int(rec(k)["dynamodb"]["SequenceNumber"]) for k in ["a-INSERT", "b-INSERT", "a-MODIFY", "b-REMOVE"]]
assert seqs == sorted(seqs), seqs
print("ok")
`, "ZIP="+zipPath, "ROLE="+role)
	if strings.TrimSpace(out) != "ok" {
		t.Fatal(out)
	}
}

// TestLambdaCodeFromS3: create-function and update-function-code take the
// deployment package from an S3 object (copied at the call: later changes
// to the object do not change the function); a missing object is S3's
// error inside InvalidParameterValueException.
func TestLambdaCodeFromS3(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	role := framework.LambdaRole(t, n, "s3code-role")
	dir := t.TempDir()
	v1 := framework.ZipFiles(t, dir, map[string][]byte{"app.py": []byte("def handler(e, c):\n    return {'v': 1}\n")})
	v2 := framework.ZipFiles(t, dir, map[string][]byte{"app.py": []byte("def handler(e, c):\n    return {'v': 2}\n")})
	out := n.Python(t, `
import boto3, json, os, base64, hashlib
s3, lam = boto3.client("s3"), boto3.client("lambda")
region = s3.meta.region_name
if region == "us-east-1":
    s3.create_bucket(Bucket="code")
else:
    s3.create_bucket(Bucket="code", CreateBucketConfiguration={"LocationConstraint": region})
v1, v2 = open(os.environ["V1"], "rb").read(), open(os.environ["V2"], "rb").read()
s3.put_object(Bucket="code", Key="app.zip", Body=v1)
try:
    lam.create_function(FunctionName="s3fn", Runtime="python3.12", Handler="app.handler", Role=os.environ["ROLE"],
        Code={"S3Bucket": "code", "S3Key": "missing.zip"})
    raise SystemExit("created from a missing key")
except lam.exceptions.InvalidParameterValueException as e:
    assert "Error occurred while GetObject. S3 Error Code: NoSuchKey." in str(e), e
try:
    lam.create_function(FunctionName="s3fn", Runtime="python3.12", Handler="app.handler", Role=os.environ["ROLE"],
        Code={"S3Bucket": "no-such-bucket-xyz", "S3Key": "app.zip"})
    raise SystemExit("created from a missing bucket")
except lam.exceptions.InvalidParameterValueException as e:
    assert "S3 Error Code: NoSuchBucket." in str(e), e
f = lam.create_function(FunctionName="s3fn", Runtime="python3.12", Handler="app.handler", Role=os.environ["ROLE"],
    Code={"S3Bucket": "code", "S3Key": "app.zip"})
assert f["CodeSha256"] == base64.b64encode(hashlib.sha256(v1).digest()).decode() and f["CodeSize"] == len(v1), f
lam.get_waiter("function_active_v2").wait(FunctionName="s3fn")
s3.put_object(Bucket="code", Key="app.zip", Body=v2)
assert json.loads(lam.invoke(FunctionName="s3fn")["Payload"].read()) == {"v": 1}
u = lam.update_function_code(FunctionName="s3fn", S3Bucket="code", S3Key="app.zip")
assert u["CodeSha256"] == base64.b64encode(hashlib.sha256(v2).digest()).decode(), u
lam.get_waiter("function_updated_v2").wait(FunctionName="s3fn")
assert json.loads(lam.invoke(FunctionName="s3fn")["Payload"].read()) == {"v": 2}
print("ok")
`, "V1="+v1, "V2="+v2, "ROLE="+role)
	if strings.TrimSpace(out) != "ok" {
		t.Fatal(out)
	}
}
