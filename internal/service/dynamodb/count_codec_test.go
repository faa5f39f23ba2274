package dynamodb

import (
	"testing"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// TestCountRecordCodec: a table's counts round-trip through the binary
// form, and the JSON stored before it is still read.
func TestCountRecordCodec(t *testing.T) {
	for _, c := range []countRecord{{}, {Items: 1, Bytes: 76}, {Items: 1 << 40, Bytes: -3}} {
		b, err := storage.EncodeRecord(&c)
		if err != nil {
			t.Fatal(err)
		}
		if !storage.IsBinaryRecord(b) {
			t.Fatalf("%+v stored as %q, not binary", c, b)
		}
		var got countRecord
		if err := storage.DecodeRecord(b, &got); err != nil || got != c {
			t.Errorf("%+v decoded as %+v, %v", c, got, err)
		}
	}
	var old countRecord
	if err := storage.DecodeRecord([]byte(`{"n":12,"b":3456}`), &old); err != nil || old != (countRecord{Items: 12, Bytes: 3456}) {
		t.Errorf("JSON counts decoded as %+v, %v", old, err)
	}
}

// TestCountsFollowWrites: DescribeTable's ItemCount and TableSizeBytes
// follow puts, same-size and resized overwrites and deletes (a same-size
// overwrite writes no count record, and changes nothing).
func TestCountsFollowWrites(t *testing.T) {
	svc, _, ctx := newTestService(t)
	createTable(t, svc, ctx, "t", "")
	counts := func() (int64, int64) {
		out, err := svc.DescribeTable(ctx, &dynamodbapi.DescribeTableInput{TableName: ptr.To("t")})
		if err != nil {
			t.Fatal(err)
		}
		return *out.Table.ItemCount, *out.Table.TableSizeBytes
	}
	put := func(it Item) {
		if _, err := svc.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: ptr.To("t"), Item: it}); err != nil {
			t.Fatal(err)
		}
	}
	a := Item{"pk": s("a"), "sk": n("1"), "v": s("xyz")}
	put(a)
	put(Item{"pk": s("b"), "sk": n("1")})
	n1, b1 := counts()
	if n1 != 2 || b1 != int64(itemSize(a)+itemSize(Item{"pk": s("b"), "sk": n("1")})) {
		t.Fatalf("counts %d, %d after two puts", n1, b1)
	}
	put(Item{"pk": s("a"), "sk": n("1"), "v": s("abc")}) // same size
	if n2, b2 := counts(); n2 != n1 || b2 != b1 {
		t.Errorf("a same-size overwrite changed the counts: %d, %d → %d, %d", n1, b1, n2, b2)
	}
	put(Item{"pk": s("a"), "sk": n("1"), "v": s("abcdef")}) // 3 bytes more
	if n3, b3 := counts(); n3 != n1 || b3 != b1+3 {
		t.Errorf("a larger overwrite: counts %d, %d; want %d, %d", n3, b3, n1, b1+3)
	}
	if _, err := svc.DeleteItem(ctx, &dynamodbapi.DeleteItemInput{TableName: ptr.To("t"), Key: Item{"pk": s("b"), "sk": n("1")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.DeleteItem(ctx, &dynamodbapi.DeleteItemInput{TableName: ptr.To("t"), Key: Item{"pk": s("zz"), "sk": n("1")}}); err != nil {
		t.Fatal(err)
	}
	if n4, b4 := counts(); n4 != 1 || b4 != int64(itemSize(Item{"pk": s("a"), "sk": n("1"), "v": s("abcdef")})) {
		t.Errorf("after the deletes: counts %d, %d", n4, b4)
	}
}
