package dynamodb

import (
	"strings"
	"testing"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// gsiTable creates "g" with a GSI "by-x" on x and an LSI "by-y" on y.
func gsiTable(t testing.TB, svc *DynamoDB, ctx *request.Context) {
	t.Helper()
	_, err := svc.CreateTable(ctx, &dynamodbapi.CreateTableInput{
		TableName: ptr.To("g"), BillingMode: ptr.To("PAY_PER_REQUEST"),
		AttributeDefinitions: []dynamodbapi.AttributeDefinition{
			{AttributeName: ptr.To("pk"), AttributeType: ptr.To("S")}, {AttributeName: ptr.To("sk"), AttributeType: ptr.To("S")},
			{AttributeName: ptr.To("x"), AttributeType: ptr.To("S")}, {AttributeName: ptr.To("y"), AttributeType: ptr.To("S")}},
		KeySchema: []dynamodbapi.KeySchemaElement{{AttributeName: ptr.To("pk"), KeyType: ptr.To("HASH")}, {AttributeName: ptr.To("sk"), KeyType: ptr.To("RANGE")}},
		GlobalSecondaryIndexes: []dynamodbapi.GlobalSecondaryIndex{{IndexName: ptr.To("by-x"),
			KeySchema:  []dynamodbapi.KeySchemaElement{{AttributeName: ptr.To("x"), KeyType: ptr.To("HASH")}},
			Projection: &dynamodbapi.Projection{ProjectionType: ptr.To("ALL")}}},
		LocalSecondaryIndexes: []dynamodbapi.LocalSecondaryIndex{{IndexName: ptr.To("by-y"),
			KeySchema:  []dynamodbapi.KeySchemaElement{{AttributeName: ptr.To("pk"), KeyType: ptr.To("HASH")}, {AttributeName: ptr.To("y"), KeyType: ptr.To("RANGE")}},
			Projection: &dynamodbapi.Projection{ProjectionType: ptr.To("ALL")}}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestConformanceValidation holds validations AWS performs that niwa
// missed; the messages are DynamoDB's (also DynamoDB Local's).
func TestConformanceValidation(t *testing.T) {
	svc, _, ctx := newTestService(t)
	gsiTable(t, svc, ctx)
	yes := true
	baseCreate := func() *dynamodbapi.CreateTableInput {
		return &dynamodbapi.CreateTableInput{
			TableName: ptr.To("e"), BillingMode: ptr.To("PAY_PER_REQUEST"),
			AttributeDefinitions: []dynamodbapi.AttributeDefinition{{AttributeName: ptr.To("pk"), AttributeType: ptr.To("S")}},
			KeySchema:            []dynamodbapi.KeySchemaElement{{AttributeName: ptr.To("pk"), KeyType: ptr.To("HASH")}},
		}
	}
	cases := []struct {
		name string
		call func() error
		msg  string
	}{
		{"empty GSI list", func() error {
			in := baseCreate()
			in.GlobalSecondaryIndexes = []dynamodbapi.GlobalSecondaryIndex{}
			_, err := svc.CreateTable(ctx, in)
			return err
		}, "One or more parameter values were invalid: List of GlobalSecondaryIndexes is empty"},
		{"empty LSI list", func() error {
			in := baseCreate()
			in.LocalSecondaryIndexes = []dynamodbapi.LocalSecondaryIndex{}
			_, err := svc.CreateTable(ctx, in)
			return err
		}, "One or more parameter values were invalid: List of LocalSecondaryIndexes is empty"},
		{"consistent query on GSI", func() error {
			_, err := svc.Query(ctx, &dynamodbapi.QueryInput{TableName: ptr.To("g"), IndexName: ptr.To("by-x"), ConsistentRead: &yes,
				KeyConditionExpression: ptr.To("x = :x"), ExpressionAttributeValues: Item{":x": s("a")}})
			return err
		}, "Consistent reads are not supported on global secondary indexes"},
		{"consistent scan on GSI", func() error {
			_, err := svc.Scan(ctx, &dynamodbapi.ScanInput{TableName: ptr.To("g"), IndexName: ptr.To("by-x"), ConsistentRead: &yes})
			return err
		}, "Consistent reads are not supported on global secondary indexes"},
		{"empty hash key in query", func() error {
			_, err := svc.Query(ctx, &dynamodbapi.QueryInput{TableName: ptr.To("g"),
				KeyConditionExpression: ptr.To("pk = :p"), ExpressionAttributeValues: Item{":p": s("")}})
			return err
		}, "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk"},
		{"empty index key in query", func() error {
			_, err := svc.Query(ctx, &dynamodbapi.QueryInput{TableName: ptr.To("g"), IndexName: ptr.To("by-x"),
				KeyConditionExpression: ptr.To("x = :x"), ExpressionAttributeValues: Item{":x": s("")}})
			return err
		}, "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: x"},
		{"empty key in get", func() error {
			_, err := svc.GetItem(ctx, &dynamodbapi.GetItemInput{TableName: ptr.To("g"), Key: Item{"pk": s(""), "sk": s("a")}})
			return err
		}, "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk"},
		{"same item twice in TransactGetItems", func() error {
			g := dynamodbapi.TransactGetItem{Get: &dynamodbapi.Get{TableName: ptr.To("g"), Key: Item{"pk": s("a"), "sk": s("b")}}}
			_, err := svc.TransactGetItems(ctx, &dynamodbapi.TransactGetItemsInput{TransactItems: []dynamodbapi.TransactGetItem{g, g}})
			return err
		}, "Transaction request cannot include multiple operations on one item"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantErr(t, c.call(), "ValidationException", c.msg)
		})
	}
	// ConsistentRead on an LSI is allowed.
	if _, err := svc.Query(ctx, &dynamodbapi.QueryInput{TableName: ptr.To("g"), IndexName: ptr.To("by-y"), ConsistentRead: &yes,
		KeyConditionExpression: ptr.To("pk = :p"), ExpressionAttributeValues: Item{":p": s("a")}}); err != nil {
		t.Fatalf("consistent LSI query: %v", err)
	}
}

// TestDescribeTableFields checks members the current DescribeTable returns.
func TestDescribeTableFields(t *testing.T) {
	svc, _, ctx := newTestService(t)
	gsiTable(t, svc, ctx)
	_, err := svc.CreateTable(ctx, &dynamodbapi.CreateTableInput{TableName: ptr.To("p"), BillingMode: ptr.To("PROVISIONED"),
		ProvisionedThroughput: &dynamodbapi.ProvisionedThroughput{ReadCapacityUnits: ptr.To(int64(20000)), WriteCapacityUnits: ptr.To(int64(5))},
		AttributeDefinitions:  []dynamodbapi.AttributeDefinition{{AttributeName: ptr.To("pk"), AttributeType: ptr.To("S")}},
		KeySchema:             ks("pk", "HASH")})
	if err != nil {
		t.Fatal(err)
	}
	g, err := svc.DescribeTable(ctx, &dynamodbapi.DescribeTableInput{TableName: ptr.To("g")})
	if err != nil {
		t.Fatal(err)
	}
	wt := g.Table.WarmThroughput
	if wt == nil || *wt.ReadUnitsPerSecond != 12000 || *wt.WriteUnitsPerSecond != 4000 || *wt.Status != "ACTIVE" {
		t.Fatalf("table WarmThroughput = %+v", wt)
	}
	iw := g.Table.GlobalSecondaryIndexes[0].WarmThroughput
	if iw == nil || *iw.ReadUnitsPerSecond != 12000 || *iw.Status != "ACTIVE" {
		t.Fatalf("index WarmThroughput = %+v", iw)
	}
	p, err := svc.DescribeTable(ctx, &dynamodbapi.DescribeTableInput{TableName: ptr.To("p")})
	if err != nil {
		t.Fatal(err)
	}
	if b := p.Table.BillingModeSummary; b == nil || *b.BillingMode != "PROVISIONED" {
		t.Fatalf("BillingModeSummary = %+v", b)
	}
	if wt := p.Table.WarmThroughput; *wt.ReadUnitsPerSecond != 20000 || *wt.WriteUnitsPerSecond != 4000 {
		t.Fatalf("provisioned WarmThroughput = %+v", wt)
	}
}

// TestBatchWriteKeyMessages: BatchWriteItem answers a put whose key is
// missing or mistyped with the key-lookup message (observed on AWS), and an
// empty key value with the empty-value message.
func TestBatchWriteKeyMessages(t *testing.T) {
	svc, _, ctx := newTestService(t)
	createTable(t, svc, ctx, "bw", "")
	put := func(it Item) error {
		_, err := svc.BatchWriteItem(ctx, &dynamodbapi.BatchWriteItemInput{RequestItems: map[string][]dynamodbapi.WriteRequest{
			"bw": {{PutRequest: &dynamodbapi.PutRequest{Item: it}}}}})
		return err
	}
	wantErr(t, put(Item{"pk": n("5"), "sk": n("1")}), "ValidationException", "The provided key element does not match the schema")
	wantErr(t, put(Item{"other": s("x")}), "ValidationException", "The provided key element does not match the schema")
	wantErr(t, put(Item{"pk": s(""), "sk": n("1")}), "ValidationException", "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: pk")
}

// TestTransactGetKeyMismatchCancels: a Get whose key does not fit its table
// cancels the transaction with a ValidationError reason (observed on AWS),
// rather than failing the request.
func TestTransactGetKeyMismatchCancels(t *testing.T) {
	svc, _, ctx := newTestService(t)
	createTable(t, svc, ctx, "tg", "")
	_, err := svc.TransactGetItems(ctx, &dynamodbapi.TransactGetItemsInput{TransactItems: []dynamodbapi.TransactGetItem{
		{Get: &dynamodbapi.Get{TableName: ptr.To("tg"), Key: Item{"pk": s("a"), "sk": n("1")}}},
		{Get: &dynamodbapi.Get{TableName: ptr.To("tg"), Key: Item{}}},
	}})
	wantErr(t, err, "TransactionCanceledException", "Transaction cancelled, please refer cancellation reasons for specific reasons [None, ValidationError]")
}

func TestExpressionParamsWithoutExpression(t *testing.T) {
	svc, _, ctx := newTestService(t)
	createTable(t, svc, ctx, "ee", "")
	item := Item{"pk": s("a"), "sk": n("1")}
	_, err := svc.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: ptr.To("ee"), Item: item, ExpressionAttributeValues: Item{":v": s("x")}})
	wantErr(t, err, "ValidationException", "1 validation error detected: ExpressionAttributeValues can only be specified when using expressions")
	_, err = svc.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: ptr.To("ee"), Item: item, ExpressionAttributeNames: map[string]string{"#a": "a"}})
	wantErr(t, err, "ValidationException", "1 validation error detected: ExpressionAttributeNames can only be specified when using expressions")
}

func TestTableNameRules(t *testing.T) {
	svc, _, ctx := newTestService(t)
	long := strings.Repeat("a", 256)
	_, err := svc.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: ptr.To("bad table!@#"), Item: Item{"pk": s("x")}})
	wantErr(t, err, "ValidationException", "1 validation error detected: Value 'bad table!@#' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
	_, err = svc.GetItem(ctx, &dynamodbapi.GetItemInput{TableName: &long, Key: Item{"pk": s("x")}})
	wantErr(t, err, "ValidationException", "1 validation error detected: Value '"+long+"' at 'tableName' failed to satisfy constraint: Member must have length less than or equal to 255")
	_, err = svc.CreateTable(ctx, &dynamodbapi.CreateTableInput{TableName: ptr.To("a/b"), BillingMode: ptr.To("PAY_PER_REQUEST"),
		AttributeDefinitions: []dynamodbapi.AttributeDefinition{{AttributeName: ptr.To("pk"), AttributeType: ptr.To("S")}}, KeySchema: ks("pk", "HASH")})
	wantErr(t, err, "ValidationException", "1 validation error detected: Value 'a/b' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
}
