package dynamodb

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// nest wraps v in depth maps.
func nest(v AV, depth int) AV {
	for i := 0; i < depth; i++ {
		v = AV{M: map[string]AV{"m": v}}
	}
	return v
}

// TestHostileInput holds the requests that used to kill niwa or cost it
// gigabytes, and the values DynamoDB refuses that niwa stored: each is now
// answered with DynamoDB's ValidationException, in bounded time and memory.
func TestHostileInput(t *testing.T) {
	svc, _, ctx := newTestService(t)
	createTable(t, svc, ctx, "t", "")
	key := func() Item { return Item{"pk": s("a"), "sk": n("1")} }
	if _, err := svc.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: ptr.To("t"), Item: Item{"pk": s("a"), "sk": n("1"), "m": nest(s("x"), 30)}}); err != nil {
		t.Fatal(err)
	}
	const tooDeep = "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit"
	sets := make([]string, 100000)
	for i := range sets {
		sets[i] = fmt.Sprintf("a%d = :v", i)
	}
	cases := []struct {
		name string
		call func() error
		msg  string // "" succeeds
	}{
		{"400k nested parentheses", func() error {
			c := strings.Repeat("(", 400000) + "attribute_exists(pk)" + strings.Repeat(")", 400000)
			_, err := svc.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: ptr.To("t"), Item: key(), ConditionExpression: &c})
			return err
		}, "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: 800020"},
		{"100k SET actions", func() error {
			u := "SET " + strings.Join(sets, ", ")
			_, err := svc.UpdateItem(ctx, &dynamodbapi.UpdateItemInput{TableName: ptr.To("t"), Key: key(), UpdateExpression: &u, ExpressionAttributeValues: Item{":v": s("x")}})
			return err
		}, fmt.Sprintf("Invalid UpdateExpression: Expression size has exceeded the maximum allowed size; expression size: %d", 4+len(strings.Join(sets, ", ")))},
		{"31 nested maps stored", func() error {
			_, err := svc.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: ptr.To("t"), Item: Item{"pk": s("b"), "sk": n("1"), "m": nest(s("x"), 31)}})
			return err
		}, ""},
		{"32 nested maps refused", func() error {
			_, err := svc.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: ptr.To("t"), Item: Item{"pk": s("b"), "sk": n("1"), "m": nest(s("x"), 32)}})
			return err
		}, tooDeep},
		{"40 nested lists refused", func() error {
			v := s("x")
			for i := 0; i < 40; i++ {
				v = AV{L: []AV{v}}
			}
			_, err := svc.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: ptr.To("t"), Item: Item{"pk": s("b"), "sk": n("1"), "l": v}})
			return err
		}, tooDeep},
		{"deep expression value refused", func() error {
			c := "m = :v"
			_, err := svc.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: ptr.To("t"), Item: key(), ConditionExpression: &c, ExpressionAttributeValues: Item{":v": nest(s("x"), 32)}})
			return err
		}, tooDeep},
		{"update nesting past the limit", func() error {
			// :v is 2 maps deep on its own, placed under the 30 of m.
			u := "SET m" + strings.Repeat(".m", 29) + ".n = :v"
			_, err := svc.UpdateItem(ctx, &dynamodbapi.UpdateItemInput{TableName: ptr.To("t"), Key: key(), UpdateExpression: &u, ExpressionAttributeValues: Item{":v": nest(s("x"), 2)}})
			return err
		}, tooDeep},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			err := c.call()
			d := time.Since(start)
			runtime.ReadMemStats(&after)
			if c.msg == "" {
				if err != nil {
					t.Fatal(err)
				}
			} else {
				wantErr(t, err, "ValidationException", c.msg)
			}
			if d > 10*time.Second {
				t.Errorf("took %v", d)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 64<<20 {
				t.Errorf("allocated %d MB", n>>20)
			}
		})
	}
	// The refused update left the stored item as it was.
	out, err := svc.GetItem(ctx, &dynamodbapi.GetItemInput{TableName: ptr.To("t"), Key: key()})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := out.Item["a0"]; ok || len(out.Item) != 3 {
		t.Fatalf("item changed: %v", out.Item)
	}
}
