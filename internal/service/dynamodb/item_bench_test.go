package dynamodb

import (
	"strconv"
	"testing"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// BenchmarkItemOps is the handler's share of the bench's PutItem, GetItem
// and Query (its item shape, a 100-item partition).
func BenchmarkItemOps(b *testing.B) {
	svc, _, ctx := newTestService(b)
	createTable(b, svc, ctx, "bench", "")
	item := func(pk string, i int) Item {
		return Item{"pk": s(pk), "sk": n(strconv.Itoa(i)), "data": s("some payload of a typical item size"), "n": n("42"), "tags": {SS: []string{"a", "b"}}}
	}
	for i := range 100 {
		if _, err := svc.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: ptr.To("bench"), Item: item("p", i)}); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("PutItem", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := svc.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: ptr.To("bench"), Item: item("p"+strconv.Itoa(i%50), i)}); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("GetItem", func(b *testing.B) {
		i := 0
		for b.Loop() {
			out, err := svc.GetItem(ctx, &dynamodbapi.GetItemInput{TableName: ptr.To("bench"), Key: Item{"pk": s("p"), "sk": n(strconv.Itoa(i % 100))}})
			if err != nil || out.Item == nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("Query", func(b *testing.B) {
		i := 0
		for b.Loop() {
			lo := i % 90
			out, err := svc.Query(ctx, &dynamodbapi.QueryInput{TableName: ptr.To("bench"), KeyConditionExpression: ptr.To("pk = :p AND sk BETWEEN :lo AND :hi"),
				ExpressionAttributeValues: Item{":p": s("p"), ":lo": n(strconv.Itoa(lo)), ":hi": n(strconv.Itoa(lo + 9))}})
			if err != nil || *out.Count != 10 {
				b.Fatal(err)
			}
			i++
		}
	})
}
