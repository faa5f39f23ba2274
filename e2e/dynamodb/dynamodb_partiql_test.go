package dynamodb

import (
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

const ddbPartiQLBoto3Script = `
import boto3
from botocore.exceptions import ClientError
c = boto3.client("dynamodb")
c.create_table(TableName="pq", KeySchema=[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
    AttributeDefinitions=[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}],
    BillingMode="PAY_PER_REQUEST")
c.get_waiter("table_exists").wait(TableName="pq")
c.execute_statement(Statement="INSERT INTO \"pq\" VALUE {'pk': 'a', 'sk': 1, 'n': 1, 'tags': <<'x', 'y'>>, 'old': 'gone'}")
c.execute_statement(Statement="INSERT INTO pq VALUE {'pk': ?, 'sk': ?, 'n': 10}", Parameters=[{"S":"a"},{"N":"2"}])
try:
    c.execute_statement(Statement="INSERT INTO \"pq\" VALUE {'pk': 'a', 'sk': 1}")
    raise SystemExit("duplicate insert succeeded")
except ClientError as e:
    assert e.response["Error"]["Code"] == "DuplicateItemException", e.response
try:
    c.execute_statement(Statement="SELEC * FROM pq")
    raise SystemExit("bad statement accepted")
except ClientError as e:
    assert e.response["Error"]["Code"] == "ValidationException", e.response
    assert e.response["Error"]["Message"].startswith("Statement wasn't well formed, can't be processed:"), e.response
items = c.execute_statement(Statement="SELECT * FROM \"pq\" WHERE pk = ? AND sk > 0", Parameters=[{"S":"a"}])["Items"]
assert [i["sk"]["N"] for i in items] == ["1", "2"], items
assert items[0]["tags"]["SS"] and sorted(items[0]["tags"]["SS"]) == ["x", "y"], items
out = c.execute_statement(Statement="UPDATE \"pq\" SET n = n + 1, s = 'v' REMOVE old WHERE pk = 'a' AND sk = 1 RETURNING ALL NEW *")
assert out["Items"][0]["n"] == {"N": "2"} and "old" not in out["Items"][0], out
pages, tok = [], None
while True:
    kw = {"NextToken": tok} if tok else {}
    o = c.execute_statement(Statement="SELECT pk, sk FROM pq", Limit=1, **kw)
    pages += o["Items"]
    tok = o.get("NextToken")
    if not tok:
        break
assert len(pages) == 2, pages
r = c.batch_execute_statement(Statements=[
    {"Statement": "INSERT INTO pq VALUE {'pk': 'b', 'sk': 1}"},
    {"Statement": "INSERT INTO pq VALUE {'pk': 'a', 'sk': 2}"},
    {"Statement": "DELETE FROM pq WHERE pk = ? AND sk = ?", "Parameters": [{"S":"a"},{"N":"1"}]},
])["Responses"]
assert "Error" not in r[0] and r[1]["Error"]["Code"] == "DuplicateItem" and "Error" not in r[2], r
r = c.batch_execute_statement(Statements=[{"Statement": "SELECT * FROM pq WHERE pk = 'b' AND sk = 1"}])["Responses"]
assert r[0]["Item"]["pk"] == {"S": "b"}, r
assert len(c.scan(TableName="pq")["Items"]) == 2
print("ok")
`

func TestDynamoDBPartiQLBoto3(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	if out := n.Python(t, ddbPartiQLBoto3Script); strings.TrimSpace(out) != "ok" {
		t.Fatalf("script output %q", out)
	}
}

func TestDynamoDBPartiQLCLI(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			name := "pq-" + cli.Name
			run := func(args ...string) string {
				t.Helper()
				out, errOut, err := n.RunCLI(t, cli, nil, args...)
				if err != nil {
					t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, errOut)
				}
				return out
			}
			run("dynamodb", "create-table", "--table-name", name,
				"--attribute-definitions", "AttributeName=pk,AttributeType=S",
				"--key-schema", "AttributeName=pk,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST")
			run("dynamodb", "wait", "table-exists", "--table-name", name)
			run("dynamodb", "execute-statement", "--statement", `INSERT INTO "`+name+`" VALUE {'pk': 'k1', 'n': 1, 'l': [1, 'two']}`)
			run("dynamodb", "execute-statement", "--statement", `UPDATE "`+name+`" SET n = n + 41 WHERE pk = ?`, "--parameters", `[{"S":"k1"}]`)
			out := run("dynamodb", "execute-statement", "--statement", `SELECT n, l FROM "`+name+`" WHERE pk = 'k1'`)
			if !strings.Contains(out, `"42"`) || !strings.Contains(out, `"two"`) {
				t.Fatalf("select: %s", out)
			}
			_, errOut, err := n.RunCLI(t, cli, nil, "dynamodb", "execute-statement", "--statement", `INSERT INTO "`+name+`" VALUE {'pk': 'k1'}`)
			if err == nil || !strings.Contains(errOut, "DuplicateItemException") {
				t.Fatalf("duplicate insert: %v %s", err, errOut)
			}
			run("dynamodb", "execute-statement", "--statement", `DELETE FROM "`+name+`" WHERE pk = 'k1'`)
			out = run("dynamodb", "execute-statement", "--statement", `SELECT * FROM "`+name+`"`)
			if strings.Contains(out, "k1") {
				t.Fatalf("after delete: %s", out)
			}
		})
	}
}
