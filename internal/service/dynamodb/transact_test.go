package dynamodb

import (
	"testing"
	"time"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

func getN(t *testing.T, svc *DynamoDB, ctx *request.Context, pk string) string {
	t.Helper()
	out, err := svc.GetItem(ctx, &dynamodbapi.GetItemInput{TableName: ptr.To("t"), Key: Item{"pk": s(pk), "sk": n("1")}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Item == nil {
		return ""
	}
	return *out.Item["n"].N
}

func TestTransactWriteItemsClientRequestToken(t *testing.T) {
	svc, clk, ctx := newTestService(t)
	createTable(t, svc, ctx, "t", "")
	add := func(tok string, by string) error {
		_, err := svc.TransactWriteItems(ctx, &dynamodbapi.TransactWriteItemsInput{ClientRequestToken: ptr.To(tok), TransactItems: []dynamodbapi.TransactWriteItem{
			{Update: &dynamodbapi.Update{TableName: ptr.To("t"), Key: Item{"pk": s("a"), "sk": n("1")}, UpdateExpression: ptr.To("ADD n :v"), ExpressionAttributeValues: Item{":v": n(by)}}},
		}})
		return err
	}
	if err := add("tok-1", "1"); err != nil {
		t.Fatal(err)
	}
	// The same request with the same token succeeds without applying again.
	if err := add("tok-1", "1"); err != nil {
		t.Fatal(err)
	}
	if got := getN(t, svc, ctx, "a"); got != "1" {
		t.Fatalf("n = %s after a repeated token, want 1", got)
	}
	// A different request with the same token is refused.
	wantErr(t, add("tok-1", "2"), "IdempotentParameterMismatchException", "The request uses the same client token as a previous, but non-identical request.")
	// Another token applies.
	if err := add("tok-2", "1"); err != nil {
		t.Fatal(err)
	}
	if got := getN(t, svc, ctx, "a"); got != "2" {
		t.Fatalf("n = %s, want 2", got)
	}
	// After ten minutes the token is new again.
	clk.Advance(9 * time.Minute)
	if err := add("tok-1", "1"); err != nil {
		t.Fatal(err)
	}
	if got := getN(t, svc, ctx, "a"); got != "2" {
		t.Fatalf("n = %s inside the window, want 2", got)
	}
	clk.Advance(time.Minute)
	if err := add("tok-1", "5"); err != nil {
		t.Fatal(err)
	}
	if got := getN(t, svc, ctx, "a"); got != "7" {
		t.Fatalf("n = %s after the window, want 7", got)
	}
	// A cancelled transaction does not record its token.
	cancelled := func() error {
		_, err := svc.TransactWriteItems(ctx, &dynamodbapi.TransactWriteItemsInput{ClientRequestToken: ptr.To("tok-3"), TransactItems: []dynamodbapi.TransactWriteItem{
			{ConditionCheck: &dynamodbapi.ConditionCheck{TableName: ptr.To("t"), Key: Item{"pk": s("a"), "sk": n("1")}, ConditionExpression: ptr.To("n = :v"), ExpressionAttributeValues: Item{":v": n("100")}}},
		}})
		return err
	}
	wantErr(t, cancelled(), "TransactionCanceledException", "Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed]")
	if err := add("tok-3", "1"); err != nil {
		t.Fatal(err)
	}
	_, err := svc.TransactWriteItems(ctx, &dynamodbapi.TransactWriteItemsInput{ClientRequestToken: ptr.To(""), TransactItems: []dynamodbapi.TransactWriteItem{}})
	wantErr(t, err, "ValidationException", "")
}

func TestExecuteTransaction(t *testing.T) {
	svc, _, ctx := newTestService(t)
	createTable(t, svc, ctx, "t", "")
	exec := func(tok *string, stmts ...string) (*dynamodbapi.ExecuteTransactionOutput, error) {
		in := &dynamodbapi.ExecuteTransactionInput{ClientRequestToken: tok}
		for _, st := range stmts {
			in.TransactStatements = append(in.TransactStatements, dynamodbapi.ParameterizedStatement{Statement: ptr.To(st)})
		}
		return svc.ExecuteTransaction(ctx, in)
	}
	if _, err := exec(nil,
		`INSERT INTO "t" VALUE {'pk': 'a', 'sk': 1, 'n': 1}`,
		`INSERT INTO "t" VALUE {'pk': 'b', 'sk': 1, 'n': 2, 'x': 'y'}`); err != nil {
		t.Fatal(err)
	}
	// All or nothing: the duplicate INSERT cancels the UPDATE.
	_, err := exec(nil,
		`UPDATE "t" SET n = n + 10 WHERE pk = 'a' AND sk = 1`,
		`INSERT INTO "t" VALUE {'pk': 'b', 'sk': 1}`)
	wantErr(t, err, "TransactionCanceledException", "Transaction cancelled, please refer cancellation reasons for specific reasons [None, DuplicateItem]")
	if got := getN(t, svc, ctx, "a"); got != "1" {
		t.Fatalf("n = %s after a cancelled transaction, want 1", got)
	}
	// An UPDATE of a missing item or with a failing condition cancels.
	_, err = exec(nil, `UPDATE "t" SET n = 1 WHERE pk = 'zz' AND sk = 1`, `DELETE FROM "t" WHERE pk = 'b' AND sk = 1 AND n = 99`)
	wantErr(t, err, "TransactionCanceledException", "Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, ConditionalCheckFailed]")
	// Writes with a token apply once.
	tok := ptr.To("et-1")
	for i := 0; i < 2; i++ {
		if _, err := exec(tok, `UPDATE "t" SET n = n + 10 REMOVE x WHERE pk = 'b' AND sk = 1`, `DELETE FROM "t" WHERE pk = 'a' AND sk = 1`); err != nil {
			t.Fatal(err)
		}
	}
	if got := getN(t, svc, ctx, "b"); got != "12" {
		t.Fatalf("n = %s, want 12", got)
	}
	if got := getN(t, svc, ctx, "a"); got != "" {
		t.Fatalf("a still there: n = %s", got)
	}
	_, err = exec(tok, `DELETE FROM "t" WHERE pk = 'b' AND sk = 1`)
	wantErr(t, err, "IdempotentParameterMismatchException", "")
	// The same token on TransactWriteItems is a different request.
	_, err = svc.TransactWriteItems(ctx, &dynamodbapi.TransactWriteItemsInput{ClientRequestToken: tok, TransactItems: []dynamodbapi.TransactWriteItem{
		{Delete: &dynamodbapi.Delete{TableName: ptr.To("t"), Key: Item{"pk": s("b"), "sk": n("1")}}}}})
	wantErr(t, err, "IdempotentParameterMismatchException", "")

	// Reads: one consistent view, one response per statement.
	out, err := exec(nil, `SELECT n FROM "t" WHERE pk = 'b' AND sk = 1`, `SELECT * FROM "t" WHERE pk = 'a' AND sk = 1`)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Responses) != 2 || len(out.Responses[0].Item) != 1 || *out.Responses[0].Item["n"].N != "12" || out.Responses[1].Item != nil {
		t.Fatalf("responses = %#v", out.Responses)
	}
	_, err = exec(nil, `SELECT * FROM "t" WHERE pk = 'b' AND sk = 1`, `DELETE FROM "t" WHERE pk = 'b' AND sk = 1`)
	wantErr(t, err, "ValidationException", "Transaction must consist of either all read statements or all write statements")
	_, err = exec(nil, `SELECT * FROM "t" WHERE pk = 'b'`)
	wantErr(t, err, "ValidationException", "")
	_, err = exec(nil, `UPDATE "t" SET n = 1 WHERE pk = 'b' AND sk = 1 RETURNING ALL NEW *`)
	wantErr(t, err, "ValidationException", "")
	_, err = exec(nil, `DELETE FROM "t" WHERE pk = 'b' AND sk = 1`, `UPDATE "t" SET n = 1 WHERE pk = 'b' AND sk = 1`)
	wantErr(t, err, "ValidationException", "Transaction request cannot include multiple operations on one item")
	_, err = exec(nil)
	wantErr(t, err, "ValidationException", "")
	_, err = exec(nil, `SELECT * FROM "nope" WHERE pk = 'b' AND sk = 1`)
	wantErr(t, err, "ResourceNotFoundException", "")
}
