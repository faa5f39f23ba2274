package dynamodb

import (
	"testing"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestParsePartiQL(t *testing.T) {
	cases := []struct {
		src    string
		params []AV
		kind   string
		table  string
		index  string
		where  string // rendered WHERE, "" for none
		err    string
	}{
		{src: `SELECT * FROM "t"`, kind: "SELECT", table: "t"},
		{src: `select a, b.c[1] from "t"."gsi" where pk = 'x' and n > 1`, kind: "SELECT", table: "t", index: "gsi", where: "(#p0 = :p0) AND (#p1 > :p1)"},
		{src: `SELECT * FROM t WHERE "pk" = ? AND sk BETWEEN ? AND ?`, params: []AV{s("a"), n("1"), n("5")}, kind: "SELECT", table: "t", where: "(#p0 = :p0) AND (#p1 BETWEEN :p1 AND :p2)"},
		{src: `SELECT * FROM t WHERE pk IN ['a', 'b'] OR NOT begins_with(x, 'y')`, kind: "SELECT", table: "t", where: "(#p0 IN (:p0, :p1)) OR (NOT (begins_with(#p1, :p2)))"},
		{src: `SELECT * FROM t WHERE a IS MISSING AND b IS NOT NULL`, kind: "SELECT", table: "t", where: "(attribute_not_exists(#p0)) AND (NOT attribute_type(#p1, :p0))"},
		{src: `INSERT INTO "t" VALUE {'pk': 'a', 'n': -1.5, 'l': [1, 'x', TRUE, NULL], 'm': {'k': <<'a', 'b'>>}, 'ns': <<1, 2>>}`, kind: "INSERT", table: "t"},
		{src: `UPDATE "t" SET a = 1, b = b + 1 REMOVE c WHERE pk = 'x' RETURNING ALL NEW *`, kind: "UPDATE", table: "t", where: "#p0 = :p0"},
		{src: `DELETE FROM "t" WHERE pk = 'it''s';`, kind: "DELETE", table: "t", where: "#p0 = :p0"},
		{src: `SELEC * FROM t`, err: "Statement wasn't well formed, can't be processed: Unexpected keyword or identifier: SELEC"},
		{src: `SELECT * FROM`, err: "Statement wasn't well formed, can't be processed: Unexpected end of statement"},
		{src: `SELECT * FROM t WHERE pk = 'x`, err: "Statement wasn't well formed, can't be processed: Invalid literal at: 27"},
		{src: `SELECT * FROM t WHERE pk = ?`, err: "Number of parameters in request and statement don't match."},
		{src: `SELECT * FROM t`, params: []AV{s("a")}, err: "Number of parameters in request and statement don't match."},
		{src: `INSERT INTO t VALUE 'x'`, err: "Statement wasn't well formed, can't be processed: Expected a map value after VALUE"},
		{src: `INSERT INTO t VALUE {'a': <<1, 'x'>>}`, err: "Statement wasn't well formed, can't be processed: A set must contain elements of one type: strings, numbers or binaries"},
		{src: `UPDATE t WHERE pk = 'x'`, err: "Statement wasn't well formed, can't be processed: Unexpected keyword or identifier: WHERE"},
		{src: `DELETE FROM t WHERE pk = 'x' RETURNING ALL NEW *`, err: "Statement wasn't well formed, can't be processed: Unsupported RETURNING clause: ALL NEW"},
		{src: `SELECT * FROM t WHERE a # 1`, err: "Statement wasn't well formed, can't be processed: Unexpected character: \"#\""},
	}
	for _, c := range cases {
		st, err := parsePartiQL(c.src, c.params)
		if c.err != "" {
			wantErr(t, err, "ValidationException", c.err)
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		if st.kind != c.kind || st.table != c.table || st.index != c.index {
			t.Fatalf("%s: got %s %q %q", c.src, st.kind, st.table, st.index)
		}
		got := ""
		if st.where != nil {
			if got, err = newRender().cond(st.where); err != nil {
				t.Fatalf("%s: %v", c.src, err)
			}
		}
		if got != c.where {
			t.Fatalf("%s: where = %q, want %q", c.src, got, c.where)
		}
	}
	st, err := parsePartiQL(`INSERT INTO "t" VALUE {'pk': 'a', 'l': [1, 'x'], 'm': {'k': <<'a', 'b'>>}}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := st.item.M
	if *m["pk"].S != "a" || len(m["l"].L) != 2 || *m["l"].L[0].N != "1" || len(m["m"].M["k"].SS) != 2 {
		t.Fatalf("item = %#v", m)
	}
}

func FuzzParsePartiQL(f *testing.F) {
	for _, s := range []string{`SELECT * FROM "t" WHERE pk = ?`, `INSERT INTO t VALUE {'a': [1, <<'x'>>, {'b': NULL}]}`,
		`UPDATE t SET a = a + 1, b = list_append(b, [1]) REMOVE c WHERE pk = 'x' AND sk >= -3`, `DELETE FROM t WHERE pk = 'x' RETURNING ALL OLD *`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		st, err := parsePartiQL(src, []AV{s("p")})
		if err != nil || st.where == nil {
			return
		}
		_, _ = newRender().cond(st.where)
	})
}

func TestExecuteStatement(t *testing.T) {
	svc, _, ctx := newTestService(t)
	createTable(t, svc, ctx, "t", "")
	run := func(stmt string, params ...AV) (*dynamodbapi.ExecuteStatementOutput, error) {
		return svc.ExecuteStatement(ctx, &dynamodbapi.ExecuteStatementInput{Statement: &stmt, Parameters: params})
	}
	must := func(stmt string, params ...AV) *dynamodbapi.ExecuteStatementOutput {
		t.Helper()
		out, err := run(stmt, params...)
		if err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
		return out
	}
	must(`INSERT INTO "t" VALUE {'pk': 'a', 'sk': 1, 'n': 1, 'c': 'gone'}`)
	must(`INSERT INTO "t" VALUE {'pk': 'a', 'sk': 2, 'n': 5}`)
	must(`INSERT INTO t VALUE {'pk': ?, 'sk': ?, 'n': 7}`, s("b"), n("1"))
	_, err := run(`INSERT INTO "t" VALUE {'pk': 'a', 'sk': 1}`)
	wantErr(t, err, "DuplicateItemException", "Duplicate primary key exists in table")
	_, err = run(`INSERT INTO "t" VALUE {'sk': 1}`)
	wantErr(t, err, "ValidationException", "One or more parameter values were invalid: Missing the key pk in the item")
	_, err = run(`SELECT * FROM "nope"`)
	wantErr(t, err, "ResourceNotFoundException", "Requested resource not found")

	if out := must(`SELECT * FROM "t" WHERE pk = 'a'`); len(out.Items) != 2 || *out.Items[0]["sk"].N != "1" {
		t.Fatalf("query = %#v", out.Items)
	}
	if out := must(`SELECT n FROM "t" WHERE n > 4`); len(out.Items) != 2 || len(out.Items[0]) != 1 {
		t.Fatalf("scan = %#v", out.Items)
	}
	// Limit and NextToken page through the table.
	lim := int32(1)
	stmt := `SELECT * FROM t`
	seen := 0
	var tok *string
	for i := 0; i < 5; i++ {
		out, err := svc.ExecuteStatement(ctx, &dynamodbapi.ExecuteStatementInput{Statement: &stmt, Limit: &lim, NextToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		seen += len(out.Items)
		if tok = out.NextToken; tok == nil {
			break
		}
	}
	if seen != 3 {
		t.Fatalf("paged %d items, want 3", seen)
	}

	out := must(`UPDATE "t" SET n = n + 1, x = 'new' REMOVE c WHERE pk = 'a' AND sk = 1 RETURNING ALL NEW *`)
	if len(out.Items) != 1 || *out.Items[0]["n"].N != "2" || *out.Items[0]["x"].S != "new" || out.Items[0]["c"].S != nil {
		t.Fatalf("update = %#v", out.Items)
	}
	_, err = run(`UPDATE "t" SET n = 1 WHERE pk = 'zz' AND sk = 1`)
	wantErr(t, err, "ConditionalCheckFailedException", "The conditional request failed")
	_, err = run(`UPDATE "t" SET n = 1 WHERE pk = 'a' AND sk = 1 AND n = 99`)
	wantErr(t, err, "ConditionalCheckFailedException", "The conditional request failed")
	_, err = run(`UPDATE "t" SET n = 1 WHERE pk = 'a'`)
	wantErr(t, err, "ValidationException", "Where clause does not contain a mandatory equality on all key attributes")

	_, err = run(`DELETE FROM "t" WHERE pk = 'a' AND sk = 2 AND n = 1`)
	wantErr(t, err, "ConditionalCheckFailedException", "The conditional request failed")
	must(`DELETE FROM "t" WHERE pk = 'missing' AND sk = 2 AND n = 1`)
	if out := must(`DELETE FROM "t" WHERE pk = 'a' AND sk = 2 RETURNING ALL OLD *`); len(out.Items) != 1 || *out.Items[0]["n"].N != "5" {
		t.Fatalf("delete = %#v", out.Items)
	}
	if out := must(`SELECT * FROM "t" WHERE pk = 'a'`); len(out.Items) != 1 {
		t.Fatalf("after delete = %#v", out.Items)
	}

	bout, err := svc.BatchExecuteStatement(ctx, &dynamodbapi.BatchExecuteStatementInput{Statements: []dynamodbapi.BatchStatementRequest{
		{Statement: ptr.To(`INSERT INTO t VALUE {'pk': 'c', 'sk': 1}`)},
		{Statement: ptr.To(`INSERT INTO t VALUE {'pk': 'a', 'sk': 1}`)},
		{Statement: ptr.To(`UPDATE t SET v = 1 WHERE pk = ? AND sk = 1`), Parameters: []AV{s("b")}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	r := bout.Responses
	if len(r) != 3 || r[0].Error != nil || r[1].Error == nil || *r[1].Error.Code != "DuplicateItem" || r[2].Error != nil {
		t.Fatalf("batch = %#v", r)
	}
	bout, err = svc.BatchExecuteStatement(ctx, &dynamodbapi.BatchExecuteStatementInput{Statements: []dynamodbapi.BatchStatementRequest{
		{Statement: ptr.To(`SELECT * FROM t WHERE pk = 'b' AND sk = 1`)},
		{Statement: ptr.To(`SELECT * FROM t WHERE pk = 'b'`)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if r := bout.Responses; r[0].Item == nil || *r[0].Item["v"].N != "1" || r[1].Error == nil || *r[1].Error.Code != "ValidationError" {
		t.Fatalf("batch read = %#v", r)
	}
	_, err = svc.BatchExecuteStatement(ctx, &dynamodbapi.BatchExecuteStatementInput{Statements: []dynamodbapi.BatchStatementRequest{
		{Statement: ptr.To(`SELECT * FROM t WHERE pk = 'b' AND sk = 1`)},
		{Statement: ptr.To(`DELETE FROM t WHERE pk = 'b' AND sk = 1`)},
	}})
	wantErr(t, err, "ValidationException", "")
}
