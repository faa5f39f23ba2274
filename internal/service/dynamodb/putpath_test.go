package dynamodb

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"testing"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// TestCountsReadJSONRecord: a count record stored as JSON (before the
// binary form) is read by the next write, which adds to it and stores
// the sum in the binary form.
func TestCountsReadJSONRecord(t *testing.T) {
	svc, _, ctx := newTestService(t)
	createTable(t, svc, ctx, "t", "")
	sc := scopeOf(ctx)
	if err := svc.store.Update(func(tx storage.Tx) error {
		return tx.Put(counts.Key(sc, "t"), []byte(`{"n":12,"b":3456}`))
	}); err != nil {
		t.Fatal(err)
	}
	it := Item{"pk": s("a"), "sk": n("1"), "v": s("xyz")}
	if _, err := svc.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: ptr.To("t"), Item: it}); err != nil {
		t.Fatal(err)
	}
	out, err := svc.DescribeTable(ctx, &dynamodbapi.DescribeTableInput{TableName: ptr.To("t")})
	if err != nil {
		t.Fatal(err)
	}
	if *out.Table.ItemCount != 13 || *out.Table.TableSizeBytes != 3456+int64(itemSize(it)) {
		t.Errorf("counts %d, %d; want 13, %d", *out.Table.ItemCount, *out.Table.TableSizeBytes, 3456+itemSize(it))
	}
	if err := svc.store.View(func(tx storage.Tx) error {
		data, _ := tx.Get(counts.Key(sc, "t"))
		if !storage.IsBinaryRecord(data) {
			t.Errorf("counts stored as %q, not binary", data)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// TestPutItemNumbersStoredCanonical: PutItem stores (and GetItem and
// ReturnValues answer) a number in DynamoDB's canonical text, whether it
// came canonical or not, in a top-level, nested, listed or set value.
func TestPutItemNumbersStoredCanonical(t *testing.T) {
	svc, _, ctx := newTestService(t)
	createTable(t, svc, ctx, "t", "")
	item := Item{"pk": s("a"), "sk": n("01.50"), "c": n("42"), "f": n("1e3"), "z": n("-0.0"), "fr": n("0.010"),
		"m": {M: Item{"x": n("+7"), "y": n("7")}}, "l": {L: []AV{n("2.0"), n("2")}}, "ns": {NS: []string{"1.0", "10"}}}
	if _, err := svc.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: ptr.To("t"), Item: item}); err != nil {
		t.Fatal(err)
	}
	out, err := svc.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: ptr.To("t"), Item: Item{"pk": s("a"), "sk": n("1.5")}, ReturnValues: ptr.To("ALL_OLD")})
	if err != nil {
		t.Fatal(err)
	}
	old := out.Attributes
	for name, want := range map[string]string{"sk": "1.5", "c": "42", "f": "1000", "z": "0", "fr": "0.01"} {
		if got := *old[name].N; got != want {
			t.Errorf("%s stored as %q, want %q", name, got, want)
		}
	}
	if x, y := *old["m"].M["x"].N, *old["m"].M["y"].N; x != "7" || y != "7" {
		t.Errorf("map's numbers %q, %q; want 7, 7", x, y)
	}
	if a, b := *old["l"].L[0].N, *old["l"].L[1].N; a != "2" || b != "2" {
		t.Errorf("list's numbers %q, %q; want 2, 2", a, b)
	}
	if ns := old["ns"].NS; len(ns) != 2 || ns[0] != "1" || ns[1] != "10" {
		t.Errorf("number set %q, want [1 10]", ns)
	}
}

// TestPutItemAllocations: a same-size overwrite of an item (old item
// read and decoded, no count record written) in a small table allocates
// at most what it did after this session's cuts (the item's store key
// and size made once, the count record through one key, canonical
// numbers kept, no expression environment without expressions).
func TestPutItemAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not exact under the race detector")
	}
	svc, _, ctx := newTestService(t)
	createTable(t, svc, ctx, "t", "")
	in := &dynamodbapi.PutItemInput{TableName: ptr.To("t"), Item: Item{"pk": s("p"), "sk": n("1"), "v": s("payload"), "c": n("42")}}
	if _, err := svc.PutItem(ctx, in); err != nil {
		t.Fatal(err)
	}
	a := testing.AllocsPerRun(100, func() {
		if _, err := svc.PutItem(ctx, in); err != nil {
			t.Fatal(err)
		}
	})
	if a > putItemAllocs {
		t.Errorf("PutItem overwrite: %v allocations, want at most %d", a, putItemAllocs)
	}
	t.Logf("PutItem overwrite: %v allocations", a)
}

// putItemAllocs: 34 before (main b9d726a).
const putItemAllocs = 22

// TestDecodeOwnedItem: reading an item in place of the bytes given (no
// copy) reads every sample item, in both stored forms, as decodeItem
// does, and refuses damaged bytes alike.
func TestDecodeOwnedItem(t *testing.T) {
	for i, it := range sampleItems() {
		bin, _ := encodeItem(it)
		js, _ := itemJSON(it)
		for form, data := range map[string][]byte{"binary": bin, "JSON": js} {
			want, err := decodeItem(data)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeOwnedItem(bytes.Clone(data))
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("%d (%s): decodeOwnedItem = %#v, %v; want %#v", i, form, got, err, want)
			}
		}
	}
	for _, bad := range [][]byte{{storage.RecordV1, 1, 1, 'x', 99}, {0x02, 0}, {storage.RecordV1, 3}} {
		if _, err := decodeOwnedItem(bad); !errors.Is(err, storage.ErrBadRecord) {
			t.Errorf("%x: err = %v, want ErrBadRecord", bad, err)
		}
	}
}

// TestAppendItemReusedBuffer: an item encoded after another in the same
// buffer (putItemRecord's pool) stores exactly its own bytes.
func TestAppendItemReusedBuffer(t *testing.T) {
	var buf []byte
	for i, it := range append(sampleItems(), sampleItems()...) {
		want, _ := encodeItem(it)
		buf = appendItem(buf[:0], it)
		if !bytes.Equal(buf, want) {
			t.Errorf("%d: encoded in a used buffer as %x, want %x", i, buf, want)
		}
	}
	many := Item{}
	for i := range 40 { // more names than appendAttrs sorts on the stack
		many[fmt.Sprintf("a%02d", 39-i)] = n(fmt.Sprint(i))
	}
	bin := appendItem(nil, many)
	got, err := decodeItem(bin)
	if err != nil || !reflect.DeepEqual(got, many) {
		t.Errorf("40 attributes: %v, %v", got, err)
	}
}

// TestGetItemAllocations: GetItem of a stored item allocates at most
// what it did after this session's cuts (the stored bytes read in place,
// no copy of the record for its strings; the decoder on the stack; the
// key's number encoded once; no expression environment).
func TestGetItemAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not exact under the race detector")
	}
	svc, _, ctx := newTestService(t)
	createTable(t, svc, ctx, "t", "")
	if _, err := svc.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: ptr.To("t"), Item: Item{"pk": s("p"), "sk": n("1"), "v": s("payload"), "c": n("42")}}); err != nil {
		t.Fatal(err)
	}
	in := &dynamodbapi.GetItemInput{TableName: ptr.To("t"), Key: Item{"pk": s("p"), "sk": n("1")}}
	a := testing.AllocsPerRun(100, func() {
		if out, err := svc.GetItem(ctx, in); err != nil || *out.Item["c"].N != "42" {
			t.Fatal(out, err)
		}
	})
	if a > getItemAllocs {
		t.Errorf("GetItem: %v allocations, want at most %d", a, getItemAllocs)
	}
	t.Logf("GetItem: %v allocations", a)
}

// getItemAllocs: 23 before (main b9d726a).
const getItemAllocs = 16

// TestValidateItemAllocations: checking an item whose numbers are
// canonical already, with small sets and nested maps and lists, changes
// nothing and allocates nothing (a nested map entry was one allocation,
// a set's duplicate check a map; a number with digits either side of
// its point still makes one string of them).
func TestValidateItemAllocations(t *testing.T) {
	tr := true
	it := Item{"pk": s("p"), "sk": n("125"), "tags": {SS: []string{"a", "b", "c"}}, "b": {BOOL: &tr},
		"m": {M: Item{"x": n("1"), "y": s("y"), "in": {M: Item{"z": n("-3")}}}}, "l": {L: []AV{n("2"), s("s"), {L: []AV{n("0.5")}}}}}
	if a := testing.AllocsPerRun(100, func() {
		if err := validateItem(it); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("validateItem: %v allocations, want 0", a)
	}
	for _, set := range [][]string{{"a", "b", "a"}, {"x", "y", "z", "w", "v", "u", "t", "s", "r", "q", "p", "o", "n", "m", "l", "k", "j", "x"}} {
		err := validateItem(Item{"ss": {SS: set}})
		wantErr(t, err, "ValidationException", "One or more parameter values were invalid: Input collection "+listString(set)+" contains duplicates.")
	}
}

// TestGetItemConsumedCapacity: GetItem answers ConsumedCapacity only when
// asked (TOTAL or INDEXES), in read units of 4 KB, halved for an
// eventually consistent read, one unit's worth for a missing item.
func TestGetItemConsumedCapacity(t *testing.T) {
	svc, _, ctx := newTestService(t)
	createTable(t, svc, ctx, "t", "")
	big := Item{"pk": s("big"), "sk": n("1"), "v": s(string(bytes.Repeat([]byte("x"), 5000)))}
	if _, err := svc.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: ptr.To("t"), Item: big}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		pk         string
		mode       *string
		consistent bool
		want       float64 // 0: no ConsumedCapacity
	}{
		{"big", nil, false, 0}, {"big", ptr.To("NONE"), true, 0},
		{"big", ptr.To("TOTAL"), false, 1}, {"big", ptr.To("TOTAL"), true, 2}, {"big", ptr.To("INDEXES"), true, 2},
		{"none", ptr.To("TOTAL"), false, 0.5}, {"none", ptr.To("TOTAL"), true, 1},
	} {
		out, err := svc.GetItem(ctx, &dynamodbapi.GetItemInput{TableName: ptr.To("t"), Key: Item{"pk": s(c.pk), "sk": n("1")},
			ReturnConsumedCapacity: c.mode, ConsistentRead: ptr.To(c.consistent)})
		if err != nil {
			t.Fatal(err)
		}
		switch cc := out.ConsumedCapacity; {
		case c.want == 0 && cc != nil:
			t.Errorf("%s %v: ConsumedCapacity %+v, want none", c.pk, ptr.Deref(c.mode), cc)
		case c.want != 0 && (cc == nil || *cc.CapacityUnits != c.want || *cc.TableName != "t"):
			t.Errorf("%s %v consistent=%v: ConsumedCapacity %+v, want %v units", c.pk, ptr.Deref(c.mode), c.consistent, cc, c.want)
		}
	}
}

// TestTableIndexes: a table's indexes are its GSIs then its LSIs; a
// table with one kind (or none) answers them without a copy per write.
func TestTableIndexes(t *testing.T) {
	g := []indexRecord{{Name: "g1"}, {Name: "g2"}}
	l := []indexRecord{{Name: "l1"}}
	for _, c := range []struct {
		tr   tableRecord
		want []string
	}{
		{tableRecord{}, nil}, {tableRecord{GSIs: g}, []string{"g1", "g2"}}, {tableRecord{LSIs: l}, []string{"l1"}},
		{tableRecord{GSIs: g, LSIs: l}, []string{"g1", "g2", "l1"}},
	} {
		var got []string
		for _, ix := range c.tr.indexes() {
			got = append(got, ix.Name)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("indexes of %d GSIs, %d LSIs: %q, want %q", len(c.tr.GSIs), len(c.tr.LSIs), got, c.want)
		}
		if len(c.tr.GSIs) == 0 || len(c.tr.LSIs) == 0 {
			if a := testing.AllocsPerRun(10, func() { _ = c.tr.indexes() }); a != 0 {
				t.Errorf("indexes of %d GSIs, %d LSIs: %v allocations, want 0", len(c.tr.GSIs), len(c.tr.LSIs), a)
			}
		}
	}
}

// TestPutItemRefusedConditionKeepsOldItem: PutItem stores the new item
// and reads the old one in one search; a refused condition must leave
// the old item, the counts and the answer (ALL_OLD on failure) as they
// were, and an accepted one replace it.
func TestPutItemRefusedConditionKeepsOldItem(t *testing.T) {
	svc, _, ctx := newTestService(t)
	createTable(t, svc, ctx, "t", "")
	old := Item{"pk": s("a"), "sk": n("1"), "v": s("old")}
	if _, err := svc.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: ptr.To("t"), Item: old}); err != nil {
		t.Fatal(err)
	}
	describe := func() (int64, int64) {
		out, err := svc.DescribeTable(ctx, &dynamodbapi.DescribeTableInput{TableName: ptr.To("t")})
		if err != nil {
			t.Fatal(err)
		}
		return *out.Table.ItemCount, *out.Table.TableSizeBytes
	}
	n0, b0 := describe()
	_, err := svc.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: ptr.To("t"), Item: Item{"pk": s("a"), "sk": n("1"), "v": s("a much longer new value")},
		ConditionExpression: ptr.To("attribute_not_exists(pk)"), ReturnValuesOnConditionCheckFailure: ptr.To("ALL_OLD")})
	wantErr(t, err, "ConditionalCheckFailedException", "The conditional request failed")
	got, err := svc.GetItem(ctx, &dynamodbapi.GetItemInput{TableName: ptr.To("t"), Key: Item{"pk": s("a"), "sk": n("1")}})
	if err != nil || !reflect.DeepEqual(got.Item, old) {
		t.Errorf("after a refused put the item is %v, %v; want %v", got.Item, err, old)
	}
	if n1, b1 := describe(); n1 != n0 || b1 != b0 {
		t.Errorf("a refused put changed the counts: %d, %d → %d, %d", n0, b0, n1, b1)
	}
	nw := Item{"pk": s("a"), "sk": n("1"), "v": s("new")}
	out, err := svc.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: ptr.To("t"), Item: nw, ConditionExpression: ptr.To("v = :o"),
		ExpressionAttributeValues: Item{":o": s("old")}, ReturnValues: ptr.To("ALL_OLD")})
	if err != nil || !reflect.DeepEqual(out.Attributes, old) {
		t.Fatalf("accepted put: %v, %v; want the old item", out, err)
	}
	got, err = svc.GetItem(ctx, &dynamodbapi.GetItemInput{TableName: ptr.To("t"), Key: Item{"pk": s("a"), "sk": n("1")}})
	if err != nil || !reflect.DeepEqual(got.Item, nw) {
		t.Errorf("after an accepted put the item is %v, %v; want %v", got.Item, err, nw)
	}
}
