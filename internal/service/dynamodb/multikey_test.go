package dynamodb

import (
	"fmt"
	"slices"
	"testing"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func ks(pairs ...string) []dynamodbapi.KeySchemaElement {
	var out []dynamodbapi.KeySchemaElement
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, dynamodbapi.KeySchemaElement{AttributeName: ptr.To(pairs[i]), KeyType: ptr.To(pairs[i+1])})
	}
	return out
}

// TestMultiAttributeGSI covers GSIs whose key has several partition and
// sort attributes (DynamoDB, 2025: up to 4 of each).
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.MultiAttributeKeys
func TestMultiAttributeGSI(t *testing.T) {
	svc, _, ctx := newTestService(t)
	out, err := svc.CreateTable(ctx, &dynamodbapi.CreateTableInput{
		TableName: ptr.To("m"), BillingMode: ptr.To("PAY_PER_REQUEST"),
		AttributeDefinitions: []dynamodbapi.AttributeDefinition{
			{AttributeName: ptr.To("id"), AttributeType: ptr.To("S")}, {AttributeName: ptr.To("tenant"), AttributeType: ptr.To("S")},
			{AttributeName: ptr.To("site"), AttributeType: ptr.To("S")}, {AttributeName: ptr.To("year"), AttributeType: ptr.To("N")},
			{AttributeName: ptr.To("day"), AttributeType: ptr.To("S")}},
		KeySchema: ks("id", "HASH"),
		GlobalSecondaryIndexes: []dynamodbapi.GlobalSecondaryIndex{{IndexName: ptr.To("tr-yd"),
			KeySchema:  ks("tenant", "HASH", "site", "HASH", "year", "RANGE", "day", "RANGE"),
			Projection: &dynamodbapi.Projection{ProjectionType: ptr.To("KEYS_ONLY")}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := out.TableDescription.GlobalSecondaryIndexes[0].KeySchema
	if len(got) != 4 || *got[1].AttributeName != "site" || *got[1].KeyType != "HASH" || *got[3].AttributeName != "day" || *got[3].KeyType != "RANGE" {
		t.Fatalf("index KeySchema = %+v", got)
	}
	put := func(id, tenant, region, year, day string) {
		t.Helper()
		it := Item{"id": s(id), "tenant": s(tenant), "site": s(region), "year": n(year), "day": s(day), "other": s("x")}
		if _, err := svc.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: ptr.To("m"), Item: it}); err != nil {
			t.Fatal(err)
		}
	}
	put("1", "acme", "eu", "2024", "03-01")
	put("2", "acme", "eu", "2023", "12-31")
	put("3", "acme", "eu", "2024", "01-15")
	put("4", "acme", "us", "2024", "01-01")
	put("5", "acme\x00", "eu", "2024", "01-01") // a tenant that extends another must not match it
	put("6", "acme", "eu", "10", "01-01")       // numbers order numerically
	query := func(kce string, vals Item) ([]string, error) {
		out, err := svc.Query(ctx, &dynamodbapi.QueryInput{TableName: ptr.To("m"), IndexName: ptr.To("tr-yd"),
			KeyConditionExpression: ptr.To(kce), ExpressionAttributeValues: vals})
		if err != nil {
			return nil, err
		}
		var ids []string
		for _, it := range out.Items {
			if _, ok := it["other"]; ok {
				return nil, fmt.Errorf("KEYS_ONLY index returned a non-key attribute: %v", it)
			}
			ids = append(ids, *it["id"].S)
		}
		return ids, nil
	}
	base := Item{":t": s("acme"), ":r": s("eu")}
	with := func(kv ...any) Item {
		m := Item{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1].(AV)
		}
		return m
	}
	ok := []struct {
		kce  string
		vals Item
		want []string
	}{
		{"tenant = :t AND site = :r", base, []string{"6", "2", "3", "1"}},
		{"site = :r AND tenant = :t AND #y = :y", func() Item { m := with(":y", n("2024")); return m }(), []string{"3", "1"}},
		{"tenant = :t AND site = :r AND #y = :y AND #d > :d", with(":y", n("2024"), ":d", s("02")), []string{"1"}},
		{"tenant = :t AND site = :r AND #y = :y AND begins_with(#d, :d)", with(":y", n("2024"), ":d", s("01")), []string{"3"}},
		{"tenant = :t AND site = :r AND #y BETWEEN :a AND :b", with(":a", n("11"), ":b", n("2023")), []string{"2"}},
		{"tenant = :t AND site = :r AND #y < :y", with(":y", n("2024")), []string{"6", "2"}},
	}
	for _, c := range ok {
		in := c.vals
		kce := c.kce
		names := map[string]string{}
		if slices.Contains([]byte(kce), '#') {
			names = map[string]string{"#y": "year"}
			if containsStr(kce, "#d") {
				names["#d"] = "day"
			}
		}
		out, err := svc.Query(ctx, &dynamodbapi.QueryInput{TableName: ptr.To("m"), IndexName: ptr.To("tr-yd"),
			KeyConditionExpression: ptr.To(kce), ExpressionAttributeValues: in, ExpressionAttributeNames: nilIfEmpty(names)})
		if err != nil {
			t.Fatalf("%s: %v", kce, err)
		}
		var ids []string
		for _, it := range out.Items {
			ids = append(ids, *it["id"].S)
		}
		if !slices.Equal(ids, c.want) {
			t.Fatalf("%s: got %v, want %v", kce, ids, c.want)
		}
	}
	if _, err := query("tenant = :t", Item{":t": s("acme")}); err == nil {
		t.Fatal("query without every partition attribute accepted")
	} else {
		wantErr(t, err, "ValidationException", "Query condition missed key schema element: site")
	}
	_, err = svc.Query(ctx, &dynamodbapi.QueryInput{TableName: ptr.To("m"), IndexName: ptr.To("tr-yd"),
		KeyConditionExpression: ptr.To("tenant = :t AND site = :r AND #d = :d"), ExpressionAttributeNames: map[string]string{"#d": "day"},
		ExpressionAttributeValues: with(":d", s("01-01"))})
	wantErr(t, err, "ValidationException", "RANGE key attributes year must have equality conditions specified in the query because a condition is present on key attribute day")
	_, err = svc.Query(ctx, &dynamodbapi.QueryInput{TableName: ptr.To("m"), IndexName: ptr.To("tr-yd"),
		KeyConditionExpression: ptr.To("tenant = :t AND site = :r AND #y > :y AND #d = :d"), ExpressionAttributeNames: map[string]string{"#d": "day", "#y": "year"},
		ExpressionAttributeValues: with(":d", s("01-01"), ":y", n("1"))})
	wantErr(t, err, "ValidationException", "RANGE key attributes year must have equality conditions specified in the query because a condition is present on key attribute day")
	_, err = svc.Query(ctx, &dynamodbapi.QueryInput{TableName: ptr.To("m"), IndexName: ptr.To("tr-yd"),
		KeyConditionExpression: ptr.To("tenant = :t AND site > :r"), ExpressionAttributeValues: base})
	wantErr(t, err, "ValidationException", "Query key condition not supported")

	// A new multi-attribute GSI is backfilled from the table.
	upd, err := svc.UpdateTable(ctx, &dynamodbapi.UpdateTableInput{TableName: ptr.To("m"),
		GlobalSecondaryIndexUpdates: []dynamodbapi.GlobalSecondaryIndexUpdate{{Create: &dynamodbapi.CreateGlobalSecondaryIndexAction{
			IndexName: ptr.To("ty"), KeySchema: ks("tenant", "HASH", "year", "HASH"), Projection: &dynamodbapi.Projection{ProjectionType: ptr.To("ALL")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(upd.TableDescription.GlobalSecondaryIndexes[1].KeySchema); n != 2 {
		t.Fatalf("new index KeySchema has %d elements", n)
	}
	q, err := svc.Query(ctx, &dynamodbapi.QueryInput{TableName: ptr.To("m"), IndexName: ptr.To("ty"),
		KeyConditionExpression: ptr.To("tenant = :t AND #y = :y"), ExpressionAttributeNames: map[string]string{"#y": "year"},
		ExpressionAttributeValues: Item{":t": s("acme"), ":y": n("2024")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Items) != 3 {
		t.Fatalf("backfilled index query returned %d items, want 3", len(q.Items))
	}
}

// TestMultiAttributeGSIRangePrefix: one HASH and four RANGE attributes;
// items sort by the RANGE attributes in key order, an item missing one is
// not indexed, and sort conditions must name a prefix without gaps (AWS's
// messages as observed on real DynamoDB).
func TestMultiAttributeGSIRangePrefix(t *testing.T) {
	svc, _, ctx := newTestService(t)
	var defs []dynamodbapi.AttributeDefinition
	for _, a := range []string{"pk", "h", "a", "b", "c", "d"} {
		defs = append(defs, dynamodbapi.AttributeDefinition{AttributeName: ptr.To(a), AttributeType: ptr.To("S")})
	}
	_, err := svc.CreateTable(ctx, &dynamodbapi.CreateTableInput{TableName: ptr.To("rp"), BillingMode: ptr.To("PAY_PER_REQUEST"),
		AttributeDefinitions: defs, KeySchema: ks("pk", "HASH"),
		GlobalSecondaryIndexes: []dynamodbapi.GlobalSecondaryIndex{{IndexName: ptr.To("gsi"),
			KeySchema:  ks("h", "HASH", "a", "RANGE", "b", "RANGE", "c", "RANGE", "d", "RANGE"),
			Projection: &dynamodbapi.Projection{ProjectionType: ptr.To("ALL")}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range [][]string{{"p1", "T", "live", "b", "r1"}, {"p2", "T", "live", "a", "r2"}, {"p3", "T", "live", "a", "r1"},
		{"p4", "T", "draft", "c", "r1"}, {"p5", "F", "live", "a", "r0"}, {"p6", "T", "live", "", "r1"}} {
		item := Item{"pk": s(it[0]), "h": s("o1"), "a": s(it[1]), "b": s(it[2]), "d": s(it[4])}
		if it[3] != "" {
			item["c"] = s(it[3])
		}
		if _, err := svc.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: ptr.To("rp"), Item: item}); err != nil {
			t.Fatal(err)
		}
	}
	vals := Item{":h": s("o1"), ":a": s("T"), ":b": s("live"), ":c": s("a"), ":d": s("r"), ":x": s("r1"), ":y": s("r1")}
	q := func(kce string, limit int32, forward bool) (*dynamodbapi.QueryOutput, error) {
		used := Item{}
		for k, v := range vals {
			if containsStr(kce, k) {
				used[k] = v
			}
		}
		in := &dynamodbapi.QueryInput{TableName: ptr.To("rp"), IndexName: ptr.To("gsi"), KeyConditionExpression: ptr.To(kce), ExpressionAttributeValues: used, ScanIndexForward: &forward}
		if limit > 0 {
			in.Limit = &limit
		}
		return svc.Query(ctx, in)
	}
	ids := func(out *dynamodbapi.QueryOutput) []string {
		var r []string
		for _, it := range out.Items {
			r = append(r, *it["pk"].S)
		}
		return r
	}
	for _, c := range []struct {
		kce     string
		forward bool
		want    []string
	}{
		{"h = :h", true, []string{"p5", "p4", "p3", "p2", "p1"}},
		{"h = :h AND a = :a", true, []string{"p4", "p3", "p2", "p1"}},
		{"h = :h AND a = :a", false, []string{"p1", "p2", "p3", "p4"}},
		{"h = :h AND a = :a AND b = :b AND c > :c", true, []string{"p1"}},
		{"h = :h AND a = :a AND b = :b AND c = :c AND begins_with(d, :d)", true, []string{"p3", "p2"}},
		{"h = :h AND a = :a AND b = :b AND c = :c AND d BETWEEN :x AND :y", true, []string{"p3"}},
		{"h = :h AND a = :a AND b < :b", true, []string{"p4"}},
		{"b = :b AND h = :h AND a = :a", true, []string{"p3", "p2", "p1"}},
	} {
		out, err := q(c.kce, 0, c.forward)
		if err != nil {
			t.Fatalf("%s: %v", c.kce, err)
		}
		if got := ids(out); !slices.Equal(got, c.want) {
			t.Fatalf("%s (forward %v): got %v, want %v", c.kce, c.forward, got, c.want)
		}
	}
	// Pages carry every key attribute and continue where they stopped.
	out, err := q("h = :h AND a = :a", 2, true)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range out.LastEvaluatedKey {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(ids(out), []string{"p4", "p3"}) || !slices.Equal(keys, []string{"a", "b", "c", "d", "h", "pk"}) {
		t.Fatalf("page 1: %v, LastEvaluatedKey %v", ids(out), keys)
	}
	next, err := svc.Query(ctx, &dynamodbapi.QueryInput{TableName: ptr.To("rp"), IndexName: ptr.To("gsi"), KeyConditionExpression: ptr.To("h = :h AND a = :a"),
		ExpressionAttributeValues: Item{":h": s("o1"), ":a": s("T")}, ExclusiveStartKey: out.LastEvaluatedKey})
	if err != nil || !slices.Equal(ids(next), []string{"p2", "p1"}) {
		t.Fatalf("page 2: %v %v", err, next)
	}
	for _, c := range []struct{ kce, msg string }{
		{"h = :h AND a = :a AND c = :c", "RANGE key attributes b must have equality conditions specified in the query because a condition is present on key attribute c"},
		{"h = :h AND a = :a AND b > :b AND c = :c", "RANGE key attributes b must have equality conditions specified in the query because a condition is present on key attribute c"},
		{"h = :h AND b = :b", "RANGE key attributes a must have equality conditions specified in the query because a condition is present on key attribute b"},
	} {
		_, err := q(c.kce, 0, true)
		wantErr(t, err, "ValidationException", c.msg)
	}
}

func TestMultiAttributeGSIKeySchemaErrors(t *testing.T) {
	svc, _, ctx := newTestService(t)
	var defs []dynamodbapi.AttributeDefinition
	for _, a := range []string{"id", "a", "b", "c", "d", "e", "f", "g", "h", "i"} {
		defs = append(defs, dynamodbapi.AttributeDefinition{AttributeName: ptr.To(a), AttributeType: ptr.To("S")})
	}
	cases := []struct {
		keys []dynamodbapi.KeySchemaElement
		msg  string
	}{
		{ks("a", "HASH", "b", "HASH", "c", "HASH", "d", "HASH", "e", "HASH"), "Invalid KeySchema: A global secondary index key can have at most 4 HASH and 4 RANGE key elements"},
		{ks("a", "HASH", "b", "RANGE", "c", "RANGE", "d", "RANGE", "e", "RANGE", "f", "RANGE"), "Invalid KeySchema: A global secondary index key can have at most 4 HASH and 4 RANGE key elements"},
		{ks("a", "HASH", "b", "RANGE", "c", "HASH"), "Invalid KeySchema: HASH key elements must precede RANGE key elements"},
		{ks("a", "HASH", "b", "HASH", "a", "RANGE"), "Invalid KeySchema: Duplicate attribute name in KeySchema: a"},
		{ks("a", "RANGE", "b", "HASH"), "Invalid KeySchema: The first KeySchemaElement is not a HASH key type"},
	}
	for _, c := range cases {
		_, err := svc.CreateTable(ctx, &dynamodbapi.CreateTableInput{TableName: ptr.To("x"), BillingMode: ptr.To("PAY_PER_REQUEST"),
			AttributeDefinitions: defs, KeySchema: ks("id", "HASH"),
			GlobalSecondaryIndexes: []dynamodbapi.GlobalSecondaryIndex{{IndexName: ptr.To("i"), KeySchema: c.keys, Projection: &dynamodbapi.Projection{ProjectionType: ptr.To("ALL")}}}})
		wantErr(t, err, "ValidationException", c.msg)
	}
	// A table's own key stays one HASH and at most one RANGE.
	_, err := svc.CreateTable(ctx, &dynamodbapi.CreateTableInput{TableName: ptr.To("x"), BillingMode: ptr.To("PAY_PER_REQUEST"),
		AttributeDefinitions: defs[:3], KeySchema: ks("id", "HASH", "a", "HASH", "b", "RANGE")})
	wantErr(t, err, "ValidationException", "")
}

func containsStr(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// TestPartiQLIndexMessages: ExecuteStatement's own wording for index
// reads, and its refusal of multi-attribute indexes.
func TestPartiQLIndexMessages(t *testing.T) {
	svc, _, ctx := newTestService(t)
	gsiTable(t, svc, ctx)
	_, err := svc.CreateTable(ctx, &dynamodbapi.CreateTableInput{TableName: ptr.To("pq-multi"), BillingMode: ptr.To("PAY_PER_REQUEST"),
		AttributeDefinitions: []dynamodbapi.AttributeDefinition{{AttributeName: ptr.To("id"), AttributeType: ptr.To("S")},
			{AttributeName: ptr.To("h1"), AttributeType: ptr.To("S")}, {AttributeName: ptr.To("h2"), AttributeType: ptr.To("S")}, {AttributeName: ptr.To("r1"), AttributeType: ptr.To("S")}},
		KeySchema: ks("id", "HASH"),
		GlobalSecondaryIndexes: []dynamodbapi.GlobalSecondaryIndex{{IndexName: ptr.To("gsi"), KeySchema: ks("h1", "HASH", "h2", "HASH", "r1", "RANGE"),
			Projection: &dynamodbapi.Projection{ProjectionType: ptr.To("ALL")}}}})
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	for _, c := range []struct {
		stmt       string
		consistent bool
		msg        string
	}{
		{`SELECT * FROM "pq-multi"."gsi" WHERE h1 = 'a'`, false, "PartiQL statements cannot be executed on tables with multi-attribute HASH keys or multi-attribute RANGE keys."},
		{`SELECT * FROM "pq-multi"."gsi"`, false, "PartiQL statements cannot be executed on tables with multi-attribute HASH keys or multi-attribute RANGE keys."},
		{`SELECT * FROM "g"."no-such-index"`, true, "The table does not have the specified index"},
		{`SELECT * FROM "g"."by-x"`, true, "Strongly consistent read is not supported on Global Secondary Indexes"},
	} {
		in := &dynamodbapi.ExecuteStatementInput{Statement: ptr.To(c.stmt)}
		if c.consistent {
			in.ConsistentRead = &yes
		}
		_, err := svc.ExecuteStatement(ctx, in)
		wantErr(t, err, "ValidationException", c.msg)
	}
	// The base table of a table with a multi-attribute index still reads.
	if _, err := svc.ExecuteStatement(ctx, &dynamodbapi.ExecuteStatementInput{Statement: ptr.To(`SELECT * FROM "pq-multi" WHERE id = 'i1'`)}); err != nil {
		t.Fatal(err)
	}
	out, err := svc.BatchExecuteStatement(ctx, &dynamodbapi.BatchExecuteStatementInput{Statements: []dynamodbapi.BatchStatementRequest{
		{Statement: ptr.To(`SELECT * FROM "pq-multi"."gsi" WHERE h1 = 'a' AND h2 = 'x' AND r1 = 'm'`)}}})
	if err != nil || out.Responses[0].Error == nil || *out.Responses[0].Error.Message != "PartiQL statements cannot be executed on tables with multi-attribute HASH keys or multi-attribute RANGE keys." {
		t.Fatalf("batch: %v %+v", err, out)
	}
}
