package exports

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// logsPolicy is the bucket policy the CloudWatch Logs user guide
// documents for export tasks ("Set permissions on an Amazon S3 bucket"),
// as docs/logs.md gives it.
func logsPolicy(bucket, region string) string {
	return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
{"Effect":"Allow","Principal":{"Service":"logs.%[2]s.amazonaws.com"},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::%[1]s",
 "Condition":{"StringEquals":{"aws:SourceAccount":["000000000000"]},"ArnLike":{"aws:SourceArn":["arn:aws:logs:%[2]s:000000000000:log-group:*"]}}},
{"Effect":"Allow","Principal":{"Service":"logs.%[2]s.amazonaws.com"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::%[1]s/*",
 "Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control","aws:SourceAccount":["000000000000"]},"ArnLike":{"aws:SourceArn":["arn:aws:logs:%[2]s:000000000000:log-group:*"]}}}]}`,
		bucket, region)
}

// TestBoto3LogsExport: an export task is refused while the bucket has no
// policy for logs.amazonaws.com, then, with AWS's documented policy, runs
// PENDING/RUNNING to COMPLETED and leaves <prefix>/<taskId>/<stream>/000000.gz
// holding "<timestamp> <message>" lines; a second task while one is
// active is refused with LimitExceededException.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/S3ExportTasks.html
func TestBoto3LogsExport(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	n.Python(t, strings.Replace(`
import boto3, botocore, gzip, time
from botocore.config import Config
s3 = boto3.client("s3", config=Config(s3={"addressing_style": "path"}))
logs = boto3.client("logs")
region = s3.meta.region_name
s3.create_bucket(Bucket="exported-logs", CreateBucketConfiguration={"LocationConstraint": region})
logs.create_log_group(logGroupName="/app/api")
logs.create_log_stream(logGroupName="/app/api", logStreamName="i-1")
now = int(time.time() * 1000)
logs.put_log_events(logGroupName="/app/api", logStreamName="i-1",
    logEvents=[{"timestamp": now, "message": "GET /health 200"}, {"timestamp": now + 5, "message": "GET /orders 500"}])

task = dict(logGroupName="/app/api", fromTime=now - 60000, to=now + 60000, destination="exported-logs", destinationPrefix="api")
try:
    logs.create_export_task(**task)
    raise SystemExit("export without a bucket policy was accepted")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "InvalidParameterException", e.response
    assert "GetBucketAcl call on the given bucket failed" in e.response["Error"]["Message"], e.response

s3.put_bucket_policy(Bucket="exported-logs", Policy=POLICY)
task_id = logs.create_export_task(**task)["taskId"]
try:
    logs.create_export_task(**task)
    raise SystemExit("a second active task was accepted")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "LimitExceededException", e.response

deadline = time.time() + 60
while True:
    t = logs.describe_export_tasks(taskId=task_id)["exportTasks"][0]
    if t["status"]["code"] not in ("PENDING", "RUNNING") or time.time() > deadline:
        break
    time.sleep(0.05)
assert t["status"]["code"] == "COMPLETED", t
assert t["destination"] == "exported-logs" and t["destinationPrefix"] == "api", t
body = s3.get_object(Bucket="exported-logs", Key=f"api/{task_id}/i-1/000000.gz")["Body"].read()
lines = gzip.decompress(body).decode().splitlines()
assert len(lines) == 2 and lines[0].endswith("Z GET /health 200") and lines[1].endswith("Z GET /orders 500"), lines
assert s3.get_object(Bucket="exported-logs", Key="api/aws-logs-write-test")["Body"].read() == b"Permission Check Successful"
`, "POLICY", fmt.Sprintf("%q", logsPolicy("exported-logs", n.Region)), 1))
}

// TestBoto3DynamoDBExportImport: an export needs point-in-time recovery;
// with it, the table's items land in S3 in AWS's layout
// (AWSDynamoDB/<exportId>/manifest-summary.json, manifest-files.json,
// data/*.json.gz) and ImportTable reads them back into a new table; a CSV
// import with a bad row counts it in ErrorCount.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataExport.Output.html
func TestBoto3DynamoDBExportImport(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	n.Python(t, `
import boto3, botocore, gzip, json, time
from botocore.config import Config
s3 = boto3.client("s3", config=Config(s3={"addressing_style": "path"}))
db = boto3.client("dynamodb")
region = s3.meta.region_name
s3.create_bucket(Bucket="ddb-dumps", CreateBucketConfiguration={"LocationConstraint": region})
key = dict(KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}], AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
arn = db.create_table(TableName="users", **key)["TableDescription"]["TableArn"]
for i in range(5):
    db.put_item(TableName="users", Item={"id": {"S": f"u{i}"}, "age": {"N": str(20 + i)}, "tags": {"SS": ["a", "b"]}})

try:
    db.export_table_to_point_in_time(TableArn=arn, S3Bucket="ddb-dumps")
    raise SystemExit("export without PITR was accepted")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "PointInTimeRecoveryUnavailableException", e.response
db.update_continuous_backups(TableName="users", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})

def wait(get, key):
    deadline = time.time() + 60
    while True:
        d = get()
        if d[key] != "IN_PROGRESS" or time.time() > deadline:
            return d
        time.sleep(0.05)

e = db.export_table_to_point_in_time(TableArn=arn, S3Bucket="ddb-dumps", S3Prefix="users", ExportFormat="DYNAMODB_JSON")["ExportDescription"]
assert e["ExportStatus"] == "IN_PROGRESS", e
d = wait(lambda: db.describe_export(ExportArn=e["ExportArn"])["ExportDescription"], "ExportStatus")
assert d["ExportStatus"] == "COMPLETED" and d["ItemCount"] == 5, d
assert [x["ExportArn"] for x in db.list_exports(TableArn=arn)["ExportSummaries"]] == [e["ExportArn"]]
export_id = e["ExportArn"].rsplit("/", 1)[1]
summary = json.loads(s3.get_object(Bucket="ddb-dumps", Key=d["ExportManifest"])["Body"].read())
assert d["ExportManifest"] == f"users/AWSDynamoDB/{export_id}/manifest-summary.json", d
assert summary["itemCount"] == 5 and summary["outputFormat"] == "DYNAMODB_JSON", summary
files = [json.loads(l) for l in s3.get_object(Bucket="ddb-dumps", Key=summary["manifestFilesS3Key"])["Body"].read().splitlines()]
data = gzip.decompress(s3.get_object(Bucket="ddb-dumps", Key=files[0]["dataFileS3Key"])["Body"].read()).decode().splitlines()
items = sorted((json.loads(l)["Item"] for l in data), key=lambda i: i["id"]["S"])
assert items[0] == {"id": {"S": "u0"}, "age": {"N": "20"}, "tags": {"SS": ["a", "b"]}}, items[0]

prefix = files[0]["dataFileS3Key"].rsplit("/", 1)[0] + "/"
i = db.import_table(S3BucketSource={"S3Bucket": "ddb-dumps", "S3KeyPrefix": prefix}, InputFormat="DYNAMODB_JSON",
    InputCompressionType="GZIP", TableCreationParameters=dict(TableName="users-restored", **key))["ImportTableDescription"]
d = wait(lambda: db.describe_import(ImportArn=i["ImportArn"])["ImportTableDescription"], "ImportStatus")
assert d["ImportStatus"] == "COMPLETED" and d["ImportedItemCount"] == 5 and d["ErrorCount"] == 0, d
got = db.get_item(TableName="users-restored", Key={"id": {"S": "u3"}})["Item"]
assert got == {"id": {"S": "u3"}, "age": {"N": "23"}, "tags": {"SS": ["a", "b"]}}, got

s3.put_object(Bucket="ddb-dumps", Key="csv/people.csv", Body=b"id,name\np1,Ann\n,NoKey\np2,Bob\n")
i = db.import_table(S3BucketSource={"S3Bucket": "ddb-dumps", "S3KeyPrefix": "csv/"}, InputFormat="CSV",
    TableCreationParameters=dict(TableName="people", **key))["ImportTableDescription"]
d = wait(lambda: db.describe_import(ImportArn=i["ImportArn"])["ImportTableDescription"], "ImportStatus")
assert d["ImportStatus"] == "COMPLETED" and d["ImportedItemCount"] == 2 and d["ErrorCount"] == 1, d
assert db.get_item(TableName="people", Key={"id": {"S": "p2"}})["Item"]["name"] == {"S": "Bob"}
assert len(db.list_imports()["ImportSummaryList"]) == 2
`)
}

// TestCLIExports: with each aws CLI version, a Logs export task lands in
// the bucket (downloaded and gunzipped here) and a DynamoDB export
// completes. The CLIs run one after the other: an account has one active
// export task at a time.
func TestCLIExports(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	framework.CLIJSON(t, n, framework.CLIs[0], nil, "s3api", "create-bucket", "--bucket", "cli-exports", "--create-bucket-configuration", "LocationConstraint="+n.Region)
	framework.CLIJSON(t, n, framework.CLIs[0], nil, "s3api", "put-bucket-policy", "--bucket", "cli-exports", "--policy", logsPolicy("cli-exports", n.Region))
	now := time.Now().UnixMilli()
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			group := "/cli/" + cli.Name
			framework.CLIJSON(t, n, cli, nil, "logs", "create-log-group", "--log-group-name", group)
			framework.CLIJSON(t, n, cli, nil, "logs", "create-log-stream", "--log-group-name", group, "--log-stream-name", "s")
			framework.CLIJSON(t, n, cli, nil, "logs", "put-log-events", "--log-group-name", group, "--log-stream-name", "s",
				"--log-events", fmt.Sprintf(`[{"timestamp":%d,"message":"from %s"}]`, now, cli.Name))
			var task struct{ TaskId string }
			framework.CLIJSON(t, n, cli, &task, "logs", "create-export-task", "--log-group-name", group, "--from", fmt.Sprint(now-1000),
				"--to", fmt.Sprint(now+1000), "--destination", "cli-exports", "--destination-prefix", cli.Name)
			framework.WaitUntil(t, 60*time.Second, func() bool {
				var d struct {
					ExportTasks []struct{ Status struct{ Code string } }
				}
				framework.CLIJSON(t, n, cli, &d, "logs", "describe-export-tasks", "--task-id", task.TaskId)
				return len(d.ExportTasks) == 1 && d.ExportTasks[0].Status.Code == "COMPLETED"
			}, "export task COMPLETED")
			file := filepath.Join(t.TempDir(), "000000.gz")
			n.MustCLI(t, cli, "s3", "cp", "s3://cli-exports/"+cli.Name+"/"+task.TaskId+"/s/000000.gz", file)
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			text, _ := io.ReadAll(zr)
			if want := time.UnixMilli(now).UTC().Format("2006-01-02T15:04:05.000Z") + " from " + cli.Name + "\n"; string(text) != want {
				t.Fatalf("exported %q, want %q", text, want)
			}

			table := "cli-" + cli.Name
			var created struct{ TableDescription struct{ TableArn string } }
			framework.CLIJSON(t, n, cli, &created, "dynamodb", "create-table", "--table-name", table, "--billing-mode", "PAY_PER_REQUEST",
				"--attribute-definitions", "AttributeName=id,AttributeType=S", "--key-schema", "AttributeName=id,KeyType=HASH")
			framework.CLIJSON(t, n, cli, nil, "dynamodb", "update-continuous-backups", "--table-name", table,
				"--point-in-time-recovery-specification", "PointInTimeRecoveryEnabled=true")
			framework.CLIJSON(t, n, cli, nil, "dynamodb", "put-item", "--table-name", table, "--item", `{"id":{"S":"x"}}`)
			var exp struct {
				ExportDescription struct{ ExportArn, ExportStatus string }
			}
			framework.CLIJSON(t, n, cli, &exp, "dynamodb", "export-table-to-point-in-time", "--table-arn", created.TableDescription.TableArn, "--s3-bucket", "cli-exports")
			framework.WaitUntil(t, 60*time.Second, func() bool {
				var d struct{ ExportDescription struct{ ExportStatus string } }
				framework.CLIJSON(t, n, cli, &d, "dynamodb", "describe-export", "--export-arn", exp.ExportDescription.ExportArn)
				return d.ExportDescription.ExportStatus == "COMPLETED"
			}, "DynamoDB export COMPLETED")
			if !strings.Contains(exp.ExportDescription.ExportArn, "/export/") {
				t.Fatalf("export arn %q", exp.ExportDescription.ExportArn)
			}
		})
	}
}
