package dynamodb

import (
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

const ddbTransactBoto3Script = `
import boto3
from botocore.exceptions import ClientError
c = boto3.client("dynamodb")
c.create_table(TableName="tx", KeySchema=[{"AttributeName":"pk","KeyType":"HASH"}],
    AttributeDefinitions=[{"AttributeName":"pk","AttributeType":"S"}], BillingMode="PAY_PER_REQUEST")
c.get_waiter("table_exists").wait(TableName="tx")
def add(by):
    return [{"Update": {"TableName": "tx", "Key": {"pk": {"S": "a"}}, "UpdateExpression": "ADD n :v",
        "ExpressionAttributeValues": {":v": {"N": by}}}}]
c.transact_write_items(TransactItems=add("1"), ClientRequestToken="tok-1")
c.transact_write_items(TransactItems=add("1"), ClientRequestToken="tok-1")
n = c.get_item(TableName="tx", Key={"pk": {"S": "a"}}, ConsistentRead=True)["Item"]["n"]
assert n == {"N": "1"}, n
try:
    c.transact_write_items(TransactItems=add("2"), ClientRequestToken="tok-1")
    raise SystemExit("mismatched token accepted")
except ClientError as e:
    assert e.response["Error"]["Code"] == "IdempotentParameterMismatchException", e.response
# boto3 fills in a fresh token when none is given.
c.transact_write_items(TransactItems=add("1"))
c.execute_transaction(TransactStatements=[
    {"Statement": "INSERT INTO tx VALUE {'pk': 'b', 'n': 5}"},
    {"Statement": "UPDATE tx SET n = n + ? WHERE pk = 'a'", "Parameters": [{"N": "10"}]},
], ClientRequestToken="et-1")
c.execute_transaction(TransactStatements=[
    {"Statement": "INSERT INTO tx VALUE {'pk': 'b', 'n': 5}"},
    {"Statement": "UPDATE tx SET n = n + ? WHERE pk = 'a'", "Parameters": [{"N": "10"}]},
], ClientRequestToken="et-1")
try:
    c.execute_transaction(TransactStatements=[
        {"Statement": "UPDATE tx SET n = 0 WHERE pk = 'a'"},
        {"Statement": "INSERT INTO tx VALUE {'pk': 'b'}"},
    ])
    raise SystemExit("duplicate insert committed")
except ClientError as e:
    assert e.response["Error"]["Code"] == "TransactionCanceledException", e.response
    codes = [r["Code"] for r in e.response["CancellationReasons"]]
    assert codes == ["None", "DuplicateItem"], e.response
r = c.execute_transaction(TransactStatements=[
    {"Statement": "SELECT n FROM tx WHERE pk = 'a'"},
    {"Statement": "SELECT * FROM tx WHERE pk = ?", "Parameters": [{"S": "b"}]},
    {"Statement": "SELECT * FROM tx WHERE pk = 'none'"},
])["Responses"]
assert r[0]["Item"] == {"n": {"N": "12"}}, r
assert r[1]["Item"]["n"] == {"N": "5"}, r
assert "Item" not in r[2], r
try:
    c.execute_transaction(TransactStatements=[
        {"Statement": "SELECT * FROM tx WHERE pk = 'a'"},
        {"Statement": "DELETE FROM tx WHERE pk = 'b'"},
    ])
    raise SystemExit("mixed transaction accepted")
except ClientError as e:
    assert e.response["Error"]["Code"] == "ValidationException", e.response
print("ok")
`

func TestDynamoDBTransactTokenAndExecuteTransactionBoto3(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	if out := n.Python(t, ddbTransactBoto3Script); strings.TrimSpace(out) != "ok" {
		t.Fatalf("script output %q", out)
	}
}
