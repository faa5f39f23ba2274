package dynamodb

import (
	"fmt"
	"slices"
	"testing"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
)

func ks(pairs ...string) []dynamodbapi.KeySchemaElement {
	var out []dynamodbapi.KeySchemaElement
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, dynamodbapi.KeySchemaElement{AttributeName: sp(pairs[i]), KeyType: sp(pairs[i+1])})
	}
	return out
}

// TestMultiAttributeGSI covers GSIs whose key has several partition and
// sort attributes (DynamoDB, 2025: up to 4 of each).
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.MultiAttributeKeys
func TestMultiAttributeGSI(t *testing.T) {
	svc, _, ctx := newTestService(t)
	out, err := svc.CreateTable(ctx, &dynamodbapi.CreateTableInput{
		TableName: sp("m"), BillingMode: sp("PAY_PER_REQUEST"),
		AttributeDefinitions: []dynamodbapi.AttributeDefinition{
			{AttributeName: sp("id"), AttributeType: sp("S")}, {AttributeName: sp("tenant"), AttributeType: sp("S")},
			{AttributeName: sp("site"), AttributeType: sp("S")}, {AttributeName: sp("year"), AttributeType: sp("N")},
			{AttributeName: sp("day"), AttributeType: sp("S")}},
		KeySchema: ks("id", "HASH"),
		GlobalSecondaryIndexes: []dynamodbapi.GlobalSecondaryIndex{{IndexName: sp("tr-yd"),
			KeySchema:  ks("tenant", "HASH", "site", "HASH", "year", "RANGE", "day", "RANGE"),
			Projection: &dynamodbapi.Projection{ProjectionType: sp("KEYS_ONLY")}}},
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
		if _, err := svc.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: sp("m"), Item: it}); err != nil {
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
		out, err := svc.Query(ctx, &dynamodbapi.QueryInput{TableName: sp("m"), IndexName: sp("tr-yd"),
			KeyConditionExpression: sp(kce), ExpressionAttributeValues: vals})
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
		out, err := svc.Query(ctx, &dynamodbapi.QueryInput{TableName: sp("m"), IndexName: sp("tr-yd"),
			KeyConditionExpression: sp(kce), ExpressionAttributeValues: in, ExpressionAttributeNames: nilIfEmpty(names)})
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
	_, err = svc.Query(ctx, &dynamodbapi.QueryInput{TableName: sp("m"), IndexName: sp("tr-yd"),
		KeyConditionExpression: sp("tenant = :t AND site = :r AND #d = :d"), ExpressionAttributeNames: map[string]string{"#d": "day"},
		ExpressionAttributeValues: with(":d", s("01-01"))})
	wantErr(t, err, "ValidationException", "Query key condition not supported: the sort key attributes of index tr-yd must be given left to right, all but the last with =")
	_, err = svc.Query(ctx, &dynamodbapi.QueryInput{TableName: sp("m"), IndexName: sp("tr-yd"),
		KeyConditionExpression: sp("tenant = :t AND site = :r AND #y > :y AND #d = :d"), ExpressionAttributeNames: map[string]string{"#d": "day", "#y": "year"},
		ExpressionAttributeValues: with(":d", s("01-01"), ":y", n("1"))})
	wantErr(t, err, "ValidationException", "Query key condition not supported: the sort key attributes of index tr-yd must be given left to right, all but the last with =")
	_, err = svc.Query(ctx, &dynamodbapi.QueryInput{TableName: sp("m"), IndexName: sp("tr-yd"),
		KeyConditionExpression: sp("tenant = :t AND site > :r"), ExpressionAttributeValues: base})
	wantErr(t, err, "ValidationException", "Query key condition not supported")

	// A new multi-attribute GSI is backfilled from the table.
	upd, err := svc.UpdateTable(ctx, &dynamodbapi.UpdateTableInput{TableName: sp("m"),
		GlobalSecondaryIndexUpdates: []dynamodbapi.GlobalSecondaryIndexUpdate{{Create: &dynamodbapi.CreateGlobalSecondaryIndexAction{
			IndexName: sp("ty"), KeySchema: ks("tenant", "HASH", "year", "HASH"), Projection: &dynamodbapi.Projection{ProjectionType: sp("ALL")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(upd.TableDescription.GlobalSecondaryIndexes[1].KeySchema); n != 2 {
		t.Fatalf("new index KeySchema has %d elements", n)
	}
	q, err := svc.Query(ctx, &dynamodbapi.QueryInput{TableName: sp("m"), IndexName: sp("ty"),
		KeyConditionExpression: sp("tenant = :t AND #y = :y"), ExpressionAttributeNames: map[string]string{"#y": "year"},
		ExpressionAttributeValues: Item{":t": s("acme"), ":y": n("2024")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Items) != 3 {
		t.Fatalf("backfilled index query returned %d items, want 3", len(q.Items))
	}
}

func TestMultiAttributeGSIKeySchemaErrors(t *testing.T) {
	svc, _, ctx := newTestService(t)
	var defs []dynamodbapi.AttributeDefinition
	for _, a := range []string{"id", "a", "b", "c", "d", "e", "f", "g", "h", "i"} {
		defs = append(defs, dynamodbapi.AttributeDefinition{AttributeName: sp(a), AttributeType: sp("S")})
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
		_, err := svc.CreateTable(ctx, &dynamodbapi.CreateTableInput{TableName: sp("x"), BillingMode: sp("PAY_PER_REQUEST"),
			AttributeDefinitions: defs, KeySchema: ks("id", "HASH"),
			GlobalSecondaryIndexes: []dynamodbapi.GlobalSecondaryIndex{{IndexName: sp("i"), KeySchema: c.keys, Projection: &dynamodbapi.Projection{ProjectionType: sp("ALL")}}}})
		wantErr(t, err, "ValidationException", c.msg)
	}
	// A table's own key stays one HASH and at most one RANGE.
	_, err := svc.CreateTable(ctx, &dynamodbapi.CreateTableInput{TableName: sp("x"), BillingMode: sp("PAY_PER_REQUEST"),
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
