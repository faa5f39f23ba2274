package dynamodbtables

import (
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// Global tables as boto3 drives them: a replica added with UpdateTable,
// writes crossing regions both ways, the replica removed again; and the
// legacy CreateGlobalTable API.
const ddbGlobalBoto3Script = `
import boto3
from botocore.exceptions import ClientError
east = boto3.client("dynamodb", region_name="us-east-1")
west = boto3.client("dynamodb", region_name="eu-west-1")
east.create_table(TableName="glob", BillingMode="PAY_PER_REQUEST",
    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
east.put_item(TableName="glob", Item={"pk": {"S": "seed"}})
d = east.update_table(TableName="glob", ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1"}}])["TableDescription"]
assert d["GlobalTableVersion"] == "2019.11.21", d
assert [r["RegionName"] for r in d["Replicas"]] == ["eu-west-1"], d["Replicas"]
w = west.describe_table(TableName="glob")["Table"]
assert w["TableArn"].startswith("arn:aws:dynamodb:eu-west-1:"), w
assert [r["RegionName"] for r in w["Replicas"]] == ["us-east-1"], w
assert "Item" in west.get_item(TableName="glob", Key={"pk": {"S": "seed"}})
west.put_item(TableName="glob", Item={"pk": {"S": "from-west"}})
assert "Item" in east.get_item(TableName="glob", Key={"pk": {"S": "from-west"}})

east.create_table(TableName="prov", AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1})
try:
    east.update_table(TableName="prov", ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1"}}])
    raise SystemExit("provisioned table got a replica")
except ClientError as e:
    assert e.response["Error"]["Code"] == "ValidationException", e.response
    assert "Pay-Per-Request or AutoScaled" in e.response["Error"]["Message"], e.response

d = east.update_table(TableName="glob", ReplicaUpdates=[{"Delete": {"RegionName": "eu-west-1"}}])["TableDescription"]
assert "Replicas" not in d, d
try:
    west.describe_table(TableName="glob")
    raise SystemExit("removed replica still there")
except ClientError as e:
    assert e.response["Error"]["Code"] == "ResourceNotFoundException", e.response

for c in (east, west):
    c.create_table(TableName="old", AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
g = east.create_global_table(GlobalTableName="old", ReplicationGroup=[{"RegionName": "us-east-1"}, {"RegionName": "eu-west-1"}])["GlobalTableDescription"]
assert g["GlobalTableStatus"] == "ACTIVE" and g["GlobalTableArn"].endswith(":global-table/old"), g
assert [t["GlobalTableName"] for t in east.list_global_tables()["GlobalTables"]] == ["old"]
east.put_item(TableName="old", Item={"pk": {"S": "x"}})
assert "Item" in west.get_item(TableName="old", Key={"pk": {"S": "x"}})
try:
    east.describe_global_table(GlobalTableName="none")
    raise SystemExit("no error")
except ClientError as e:
    assert e.response["Error"]["Code"] == "GlobalTableNotFoundException", e.response
print("ok")
`

func TestDynamoDBGlobalTablesBoto3(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	if out := n.Python(t, ddbGlobalBoto3Script); strings.TrimSpace(out) != "ok" {
		t.Fatalf("script output %q", out)
	}
}

// TestDynamoDBGlobalTablesCLI: the CLI's --replica-updates shorthand adds a
// replica whose region then serves the table's items.
func TestDynamoDBGlobalTablesCLI(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			run := func(args ...string) string { t.Helper(); return n.MustCLI(t, cli, args...) }
			name := "glob-" + cli.Name
			run("dynamodb", "create-table", "--region", "us-east-1", "--table-name", name,
				"--attribute-definitions", "AttributeName=pk,AttributeType=S",
				"--key-schema", "AttributeName=pk,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST")
			run("dynamodb", "update-table", "--region", "us-east-1", "--table-name", name,
				"--replica-updates", `[{"Create":{"RegionName":"ap-northeast-1"}}]`)
			run("dynamodb", "put-item", "--region", "ap-northeast-1", "--table-name", name, "--item", `{"pk":{"S":"tokyo"}}`)
			out := run("dynamodb", "get-item", "--region", "us-east-1", "--table-name", name, "--key", `{"pk":{"S":"tokyo"}}`)
			if !strings.Contains(out, `"tokyo"`) {
				t.Fatalf("replicated item: %s", out)
			}
		})
	}
}
