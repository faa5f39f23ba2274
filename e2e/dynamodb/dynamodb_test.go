package dynamodb

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/niwa-cloud/niwa/e2e/framework"
	"github.com/niwa-cloud/niwa/e2e/framework/inprocess"
)

// boto3Script drives the resource and client APIs through the features
// the scenarios use, asserting as it goes.
const ddbBoto3Script = `
import boto3, decimal
from boto3.dynamodb.conditions import Key, Attr
from botocore.exceptions import ClientError
c = boto3.client("dynamodb")
r = boto3.resource("dynamodb")
c.create_table(TableName="DDNS", KeySchema=[{"AttributeName":"hostname","KeyType":"HASH"}],
    AttributeDefinitions=[{"AttributeName":"hostname","AttributeType":"S"}],
    ProvisionedThroughput={"ReadCapacityUnits":1,"WriteCapacityUnits":1})
c.get_waiter("table_exists").wait(TableName="DDNS")
t = r.Table("DDNS")
t.put_item(Item={"hostname":"h1","ip":"10.0.0.1","ttl":decimal.Decimal(60),"rec":{"a":[1,True,None,{"x":"y"}],"ok":False}})
got = c.get_item(TableName="DDNS", Key={"hostname":{"S":"h1"}}, AttributesToGet=["ip","rec"])["Item"]
assert got == {"ip":{"S":"10.0.0.1"},"rec":{"M":{"a":{"L":[{"N":"1"},{"BOOL":True},{"NULL":True},{"M":{"x":{"S":"y"}}}]},"ok":{"BOOL":False}}}}, got

c.create_table(TableName="ev", KeySchema=[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
    AttributeDefinitions=[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"},{"AttributeName":"g","AttributeType":"S"}],
    GlobalSecondaryIndexes=[{"IndexName":"byg","KeySchema":[{"AttributeName":"g","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}],
    BillingMode="PAY_PER_REQUEST", StreamSpecification={"StreamEnabled":True,"StreamViewType":"NEW_AND_OLD_IMAGES"})
ev = r.Table("ev")
with ev.batch_writer() as bw:
    for i in range(30):
        bw.put_item(Item={"pk":"p","sk":i,"g":"odd" if i % 2 else "even","v":i*10})
q = ev.query(KeyConditionExpression=Key("pk").eq("p") & Key("sk").between(10, 19), FilterExpression=Attr("v").gte(150))
assert [int(i["sk"]) for i in q["Items"]] == [15,16,17,18,19] and q["ScannedCount"] == 10, q
q = ev.query(KeyConditionExpression=Key("pk").eq("p"), ScanIndexForward=False, Limit=4)
assert [int(i["sk"]) for i in q["Items"]] == [29,28,27,26] and q["LastEvaluatedKey"] == {"pk":"p","sk":26}, q
q2 = ev.query(KeyConditionExpression=Key("pk").eq("p"), ScanIndexForward=False, Limit=2, ExclusiveStartKey=q["LastEvaluatedKey"])
assert [int(i["sk"]) for i in q2["Items"]] == [25,24], q2
g = ev.query(IndexName="byg", KeyConditionExpression=Key("g").eq("odd") & Key("sk").lt(6))
assert g["Items"] == [{"pk":"p","sk":1,"g":"odd"},{"pk":"p","sk":3,"g":"odd"},{"pk":"p","sk":5,"g":"odd"}], g
u = ev.update_item(Key={"pk":"p","sk":1}, UpdateExpression="SET #c = if_not_exists(#c, :z) + :one, l = list_append(if_not_exists(l, :e), :x) ADD s :s",
    ExpressionAttributeNames={"#c":"count"}, ExpressionAttributeValues={":z":0,":one":1,":e":[],":x":["a"],":s":{"q"}}, ReturnValues="UPDATED_NEW")
assert u["Attributes"] == {"count":1,"l":["a"],"s":{"q"}}, u
def err(f):
    try:
        f()
    except ClientError as e:
        return e.response["Error"]["Code"] + ": " + e.response["Error"]["Message"]
    raise AssertionError("no error")
assert err(lambda: ev.put_item(Item={"pk":"p","sk":1}, ConditionExpression="attribute_not_exists(pk)")) == "ConditionalCheckFailedException: The conditional request failed"
assert err(lambda: ev.update_item(Key={"pk":"p","sk":1}, UpdateExpression="SET name = :v", ExpressionAttributeValues={":v":"x"})) == "ValidationException: Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: name"
assert err(lambda: ev.put_item(Item={"pk":"p","sk":1}, ConditionExpression="attribute_exists(pk)", ExpressionAttributeValues={":v":"x"})) == "ValidationException: Value provided in ExpressionAttributeValues unused in expressions: keys: {:v}"
assert err(lambda: ev.get_item(Key={"pk":"p"})) == "ValidationException: The provided key element does not match the schema"
assert err(lambda: ev.put_item(Item={"pk":"p","sk":"x"})) == "ValidationException: One or more parameter values were invalid: Type mismatch for key sk expected: N actual: S"
assert err(lambda: ev.put_item(Item={"sk":1})) == "ValidationException: One or more parameter values were invalid: Missing the key pk in the item"
assert err(lambda: ev.put_item(Item={"pk":"p","sk":2,"big":"x"*410000})) == "ValidationException: Item size has exceeded the maximum allowed size"
res = err(lambda: c.transact_write_items(TransactItems=[
    {"Put":{"TableName":"ev","Item":{"pk":{"S":"t"},"sk":{"N":"1"}}}},
    {"ConditionCheck":{"TableName":"ev","Key":{"pk":{"S":"p"},"sk":{"N":"1"}},"ConditionExpression":"attribute_not_exists(pk)"}}]))
assert res.startswith("TransactionCanceledException: Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed]"), res
assert "Item" not in ev.get_item(Key={"pk":"t","sk":1})
ev.delete_item(Key={"pk":"p","sk":0})
s = boto3.client("dynamodbstreams")
arn = c.describe_table(TableName="ev")["Table"]["LatestStreamArn"]
shard = s.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
it = s.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
recs = s.get_records(ShardIterator=it)["Records"]
names = [x["eventName"] for x in recs]
assert names[:30] == ["INSERT"]*30 and names[30:] == ["MODIFY","REMOVE"], names
assert recs[-1]["dynamodb"]["OldImage"]["v"] == {"N":"0"} and recs[-1]["dynamodb"]["Keys"] == {"pk":{"S":"p"},"sk":{"N":"0"}}
print("ok")
`

func TestDynamoDBBoto3(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	if out := n.Python(t, ddbBoto3Script); strings.TrimSpace(out) != "ok" {
		t.Fatalf("script output %q", out)
	}
}

func TestDynamoDBCLI(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			name := "cli-" + cli.Name
			run := func(args ...string) string {
				t.Helper()
				out, errOut, err := n.RunCLI(t, cli, nil, args...)
				if err != nil {
					t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, errOut)
				}
				return out
			}
			run("dynamodb", "create-table", "--table-name", name,
				"--attribute-definitions", "AttributeName=pk,AttributeType=S", "AttributeName=sk,AttributeType=S",
				"--key-schema", "AttributeName=pk,KeyType=HASH", "AttributeName=sk,KeyType=RANGE",
				"--billing-mode", "PAY_PER_REQUEST")
			run("dynamodb", "wait", "table-exists", "--table-name", name)
			for _, sk := range []string{"a#1", "a#2", "b#1"} {
				run("dynamodb", "put-item", "--table-name", name, "--item", `{"pk":{"S":"u"},"sk":{"S":"`+sk+`"},"n":{"N":"1.50"}}`)
			}
			out := run("dynamodb", "query", "--table-name", name, "--key-condition-expression", "pk = :p AND begins_with(sk, :b)",
				"--expression-attribute-values", `{":p":{"S":"u"},":b":{"S":"a#"}}`)
			if !strings.Contains(out, `"Count": 2`) || !strings.Contains(out, `"1.5"`) {
				t.Fatalf("query: %s", out)
			}
			out = run("dynamodb", "get-item", "--table-name", name, "--key", `{"pk":{"S":"u"},"sk":{"S":"b#1"}}`, "--projection-expression", "sk")
			if !strings.Contains(out, `"b#1"`) || strings.Contains(out, `"n"`) {
				t.Fatalf("get-item: %s", out)
			}
			_, errOut, err := n.RunCLI(t, cli, nil, "dynamodb", "put-item", "--table-name", name, "--item", `{"pk":{"S":"u"},"sk":{"S":"a#1"}}`, "--condition-expression", "attribute_not_exists(pk)")
			if err == nil || !strings.Contains(errOut, "ConditionalCheckFailedException") {
				t.Fatalf("conditional put: %v %s", err, errOut)
			}
			out = run("dynamodb", "scan", "--table-name", name, "--select", "COUNT")
			if !strings.Contains(out, `"Count": 3`) {
				t.Fatalf("scan: %s", out)
			}
			run("dynamodb", "delete-table", "--table-name", name)
		})
	}
}

func TestDynamoDBGoSDK(t *testing.T) {
	t.Parallel()
	for _, target := range framework.Targets {
		t.Run(string(target), func(t *testing.T) {
			n := inprocess.Start(t, target)
			ctx := context.Background()
			c := dynamodb.NewFromConfig(framework.GoConfig(n, "test", "test", ""))
			_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
				TableName:            aws.String("go"),
				AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeN}},
				KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
				BillingMode:          types.BillingModePayPerRequest,
			})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("go"), Item: map[string]types.AttributeValue{
				"id": &types.AttributeValueMemberN{Value: "7"}, "b": &types.AttributeValueMemberB{Value: []byte{0, 1, 2}},
				"ss": &types.AttributeValueMemberSS{Value: []string{"x", "y"}},
			}})
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("go"), Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberN{Value: "7"}}, ConsistentRead: aws.Bool(true)})
			if err != nil {
				t.Fatal(err)
			}
			if b, ok := got.Item["b"].(*types.AttributeValueMemberB); !ok || string(b.Value) != "\x00\x01\x02" {
				t.Fatalf("item %#v", got.Item)
			}
			_, err = c.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("go"), Item: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "x"}}})
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" || ae.ErrorMessage() != "One or more parameter values were invalid: Type mismatch for key id expected: N actual: S" {
				t.Fatalf("err = %v", err)
			}
			_, err = c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("missing")})
			var rnf *types.ResourceNotFoundException
			if !errors.As(err, &rnf) {
				t.Fatalf("describe missing: %v", err)
			}
		})
	}
}
