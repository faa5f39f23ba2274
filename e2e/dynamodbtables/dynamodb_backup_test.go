package dynamodbtables

import (
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// Backups, point-in-time recovery settings, contributor insights, resource
// policies and Kinesis streaming destinations, as boto3 sees them.
const ddbBackupBoto3Script = `
import boto3, json, datetime
from botocore.exceptions import ClientError
c = boto3.client("dynamodb")
c.create_table(TableName="bk-src", BillingMode="PAY_PER_REQUEST",
    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    GlobalSecondaryIndexes=[{"IndexName": "by-g", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}])
arn = c.describe_table(TableName="bk-src")["Table"]["TableArn"]
for i in range(5):
    c.put_item(TableName="bk-src", Item={"pk": {"S": "k%d" % i}, "g": {"S": "x"}})

# Point-in-time recovery.
p = c.describe_continuous_backups(TableName="bk-src")["ContinuousBackupsDescription"]
assert p["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED", p
p = c.update_continuous_backups(TableName="bk-src", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 7})
assert p["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED", p
assert p["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["RecoveryPeriodInDays"] == 7, p
try:
    c.describe_continuous_backups(TableName="nope-table")
    raise SystemExit("no error")
except ClientError as e:
    assert e.response["Error"]["Code"] == "TableNotFoundException", e.response

# On-demand backups.
b = c.create_backup(TableName="bk-src", BackupName="first")["BackupDetails"]
assert b["BackupStatus"] == "AVAILABLE" and b["BackupType"] == "USER", b
c.delete_item(TableName="bk-src", Key={"pk": {"S": "k0"}})
d = c.describe_backup(BackupArn=b["BackupArn"])["BackupDescription"]
assert d["SourceTableDetails"]["ItemCount"] == 5 and d["SourceTableFeatureDetails"]["GlobalSecondaryIndexes"][0]["IndexName"] == "by-g", d
assert [s["BackupName"] for s in c.list_backups(TableName="bk-src")["BackupSummaries"]] == ["first"]
r = c.restore_table_from_backup(TargetTableName="bk-restored", BackupArn=b["BackupArn"])["TableDescription"]
assert r["RestoreSummary"]["SourceBackupArn"] == b["BackupArn"], r
c.get_waiter("table_exists").wait(TableName="bk-restored")
assert c.scan(TableName="bk-restored", Select="COUNT")["Count"] == 5
assert c.query(TableName="bk-restored", IndexName="by-g", KeyConditionExpression="g = :g", ExpressionAttributeValues={":g": {"S": "x"}})["Count"] == 5
try:
    c.restore_table_from_backup(TargetTableName="bk-restored", BackupArn=b["BackupArn"])
    raise SystemExit("no error")
except ClientError as e:
    assert e.response["Error"]["Code"] == "TableAlreadyExistsException", e.response
c.delete_backup(BackupArn=b["BackupArn"])
try:
    c.describe_backup(BackupArn=b["BackupArn"])
    raise SystemExit("no error")
except ClientError as e:
    assert e.response["Error"]["Code"] == "BackupNotFoundException", e.response

# Contributor insights.
assert c.update_contributor_insights(TableName="bk-src", IndexName="by-g", ContributorInsightsAction="ENABLE")["ContributorInsightsStatus"] == "ENABLING"
d = c.describe_contributor_insights(TableName="bk-src", IndexName="by-g")
assert d["ContributorInsightsStatus"] == "ENABLED" and d["ContributorInsightsRuleList"], d
assert c.list_contributor_insights(TableName="bk-src")["ContributorInsightsSummaries"] == [
    {"TableName": "bk-src", "IndexName": "by-g", "ContributorInsightsStatus": "ENABLED"}]

# Resource policies.
doc = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
    "Action": "dynamodb:GetItem", "Resource": arn}]})
rev = c.put_resource_policy(ResourceArn=arn, Policy=doc)["RevisionId"]
g = c.get_resource_policy(ResourceArn=arn)
assert g["Policy"] == doc and g["RevisionId"] == rev, g
try:
    c.put_resource_policy(ResourceArn=arn, Policy="{not json")
    raise SystemExit("no error")
except ClientError as e:
    assert e.response["Error"]["Code"] == "ValidationException", e.response
c.delete_resource_policy(ResourceArn=arn)
try:
    c.get_resource_policy(ResourceArn=arn)
    raise SystemExit("no error")
except ClientError as e:
    assert e.response["Error"]["Code"] == "PolicyNotFoundException", e.response

# Kinesis streaming destinations (stored only: niwa has no Kinesis).
ks = "arn:aws:kinesis:%s:000000000000:stream/changes" % c.meta.region_name
assert c.enable_kinesis_streaming_destination(TableName="bk-src", StreamArn=ks)["DestinationStatus"] == "ENABLING"
d = c.describe_kinesis_streaming_destination(TableName="bk-src")["KinesisDataStreamDestinations"]
assert d[0]["StreamArn"] == ks and d[0]["DestinationStatus"] == "ACTIVE", d
assert c.disable_kinesis_streaming_destination(TableName="bk-src", StreamArn=ks)["DestinationStatus"] == "DISABLING"

# Point-in-time restore (recovery was turned on above, before k0 was deleted).
r = c.restore_table_to_point_in_time(SourceTableName="bk-src", TargetTableName="bk-pitr", UseLatestRestorableTime=True)["TableDescription"]
assert r["RestoreSummary"]["SourceTableArn"] == arn, r
assert "Item" not in c.get_item(TableName="bk-pitr", Key={"pk": {"S": "k0"}})
assert "Item" in c.get_item(TableName="bk-pitr", Key={"pk": {"S": "k1"}})
try:
    c.restore_table_to_point_in_time(SourceTableName="bk-src", TargetTableName="bk-early", RestoreDateTime=datetime.datetime(2001, 1, 1))
    raise SystemExit("restore before the window accepted")
except ClientError as e:
    assert e.response["Error"]["Code"] == "InvalidRestoreTimeException", e.response
print("ok")
`

func TestDynamoDBBackupsBoto3(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	if out := n.Python(t, ddbBackupBoto3Script); strings.TrimSpace(out) != "ok" {
		t.Fatalf("script output %q", out)
	}
}

func TestDynamoDBBackupsCLI(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			run := func(args ...string) string { t.Helper(); return n.MustCLI(t, cli, args...) }
			name := "bk-" + cli.Name
			run("dynamodb", "create-table", "--table-name", name,
				"--attribute-definitions", "AttributeName=pk,AttributeType=S",
				"--key-schema", "AttributeName=pk,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST")
			run("dynamodb", "put-item", "--table-name", name, "--item", `{"pk":{"S":"a"}}`)
			out := run("dynamodb", "update-continuous-backups", "--table-name", name,
				"--point-in-time-recovery-specification", "PointInTimeRecoveryEnabled=true")
			if !strings.Contains(out, `"PointInTimeRecoveryStatus": "ENABLED"`) {
				t.Fatalf("update-continuous-backups: %s", out)
			}
			out = run("dynamodb", "create-backup", "--table-name", name, "--backup-name", "bk1", "--query", "BackupDetails.BackupArn", "--output", "text")
			arn := strings.TrimSpace(out)
			run("dynamodb", "restore-table-from-backup", "--target-table-name", name+"-copy", "--backup-arn", arn)
			out = run("dynamodb", "get-item", "--table-name", name+"-copy", "--key", `{"pk":{"S":"a"}}`)
			if !strings.Contains(out, `"a"`) {
				t.Fatalf("restored item: %s", out)
			}
			out = run("dynamodb", "list-backups", "--table-name", name)
			if !strings.Contains(out, arn) {
				t.Fatalf("list-backups: %s", out)
			}
			run("dynamodb", "delete-backup", "--backup-arn", arn)
			_, errOut, err := n.RunCLI(t, cli, nil, "dynamodb", "describe-backup", "--backup-arn", arn)
			if err == nil || !strings.Contains(errOut, "BackupNotFoundException") {
				t.Fatalf("describe-backup after delete: %v %s", err, errOut)
			}
			out = run("dynamodb", "update-contributor-insights", "--table-name", name, "--contributor-insights-action", "ENABLE")
			if !strings.Contains(out, "ENABLING") {
				t.Fatalf("update-contributor-insights: %s", out)
			}
		})
	}
}
