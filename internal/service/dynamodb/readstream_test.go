package dynamodb

import (
	"fmt"
	"testing"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestReadStreamContinues reads a stream one record at a time past
// sequence numbers holding an 8 or a 9 (zero-padded text that must be
// read as decimal, not octal).
func TestReadStreamContinues(t *testing.T) {
	svc, _, ctx := newTestService(t)
	createTable(t, svc, ctx, "t", "NEW_IMAGE")
	for i := 0; i < 20; i++ {
		if _, err := svc.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: ptr.To("t"), Item: Item{"pk": s("a"), "sk": n(fmt.Sprint(i))}}); err != nil {
			t.Fatal(err)
		}
	}
	d, _ := svc.DescribeTable(ctx, &dynamodbapi.DescribeTableInput{TableName: ptr.To("t")})
	from, seen := "", []string{}
	for i := 0; i < 25; i++ {
		recs, next, _, err := svc.ReadStream(ctx, ctx.Account, ctx.Region, *d.Table.LatestStreamArn, from, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			break
		}
		seen = append(seen, *recs[0].Dynamodb.NewImage["sk"].N)
		from = next
	}
	if len(seen) != 20 || seen[19] != "19" {
		t.Fatalf("read %v", seen)
	}
}
