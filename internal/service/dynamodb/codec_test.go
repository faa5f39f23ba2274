package dynamodb

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/internal/storage"
)

func sampleItems() []Item {
	t, f := true, false
	deep := s("bottom")
	for range maxNesting - 2 {
		deep = AV{L: []AV{deep}}
	}
	return []Item{
		{},
		{"pk": s("p")},
		{"pk": s("p"), "sk": n("-12.5e3"), "b": {B: []byte{0, 1, 2}}, "eb": {B: []byte{}}, "es": s(""),
			"ss": {SS: []string{"a", ""}}, "ns": {NS: []string{"1", "2"}}, "bs": {BS: [][]byte{{1}, {}}},
			"null": {NULL: &t}, "t": {BOOL: &t}, "f": {BOOL: &f},
			"m": {M: map[string]AV{"": s("empty name"), "em": {M: map[string]AV{}}, "el": {L: []AV{}},
				"l": {L: []AV{s("x"), n("7"), {NULL: &t}, {M: map[string]AV{"z": {BOOL: &f}}}}}}},
			"long": s(strings.Repeat("ü", 500)),
		},
		{"deep": deep},
	}
}

// TestItemBinary: stored items are binary, smaller than their DynamoDB
// JSON, the same bytes whatever the map order, and read back as the item
// and as the JSON form (items stored before the binary form) reads.
func TestItemBinary(t *testing.T) {
	for i, it := range sampleItems() {
		bin, err := encodeItem(it)
		if err != nil {
			t.Fatal(err)
		}
		js, _ := itemJSON(it)
		if bin[0] != storage.RecordV1 {
			t.Fatalf("%d: stored as %q, want binary", i, bin)
		}
		if len(it) > 0 && len(bin) >= len(js) {
			t.Errorf("%d: binary %d bytes, JSON %d", i, len(bin), len(js))
		}
		for range 5 {
			if again, _ := encodeItem(it); !bytes.Equal(again, bin) {
				t.Fatalf("%d: encoding depends on map order", i)
			}
		}
		fromBin, err := decodeItem(bin)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		fromJSON, err := decodeItem(js)
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if !reflect.DeepEqual(fromBin, it) {
			t.Errorf("%d: binary round trip\n got %#v\nwant %#v", i, fromBin, it)
		}
		if !reflect.DeepEqual(fromBin, fromJSON) {
			t.Errorf("%d: binary and JSON forms differ\n got %#v\nwant %#v", i, fromBin, fromJSON)
		}
		back, err := storedItemJSON(bin)
		if err != nil || !bytes.Equal(back, js) {
			t.Errorf("%d: storedItemJSON = %s, %v; want %s", i, back, err, js)
		}
	}
}

// TestItemBadBytes: damaged stored items are an error, never a panic, a
// huge allocation or an unbounded recursion.
func TestItemBadBytes(t *testing.T) {
	good, _ := encodeItem(sampleItems()[2])
	tooDeep := []byte{storage.RecordV1, 1, 1, 'x'}
	for range maxStoredDepth + 1 {
		tooDeep = append(tooDeep, avL, 1)
	}
	tooDeep = append(tooDeep, avNullTrue)
	cases := map[string][]byte{
		"truncated":       good[:len(good)-3],
		"trailing bytes":  append(append([]byte{}, good...), 0),
		"huge count":      {storage.RecordV1, 0xff, 0xff, 0xff, 0xff, 0x0f},
		"huge set":        {storage.RecordV1, 1, 1, 'x', avSS, 0xff, 0xff, 0xff, 0x7f},
		"unknown type":    {storage.RecordV1, 1, 1, 'x', 99},
		"unknown version": {0x02, 0},
		"too deep":        tooDeep,
	}
	for name, data := range cases {
		if _, err := decodeItem(data); !errors.Is(err, storage.ErrBadRecord) {
			t.Errorf("%s: err = %v, want ErrBadRecord", name, err)
		}
	}
}

// FuzzDecodeItem: any stored bytes decode or fail, never panic; an item
// that decodes encodes to bytes that decode to the same item.
func FuzzDecodeItem(f *testing.F) {
	for _, it := range sampleItems() {
		bin, _ := encodeItem(it)
		f.Add(bin)
		js, _ := itemJSON(it)
		f.Add(js)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		it, err := decodeItem(data)
		if err != nil {
			return
		}
		bin, _ := encodeItem(it)
		again, err := decodeItem(bin)
		if err != nil {
			t.Fatalf("re-encoded item does not decode: %v", err)
		}
		if !reflect.DeepEqual(again, it) {
			t.Fatalf("round trip differs:\n%#v\n%#v", again, it)
		}
	})
}

// BenchmarkItemCodec compares the stored forms on the bench's item
// (bench/workloads_dynamodb.go: keys, a number, a string, a set).
func BenchmarkItemCodec(b *testing.B) {
	it := Item{"pk": s("user-123"), "sk": n("42"), "name": s("some name for the bench"),
		"count": n("12345"), "tags": {SS: []string{"a", "b"}}}
	js, _ := itemJSON(it)
	bin, _ := encodeItem(it)
	b.Logf("stored bytes: JSON %d, binary %d", len(js), len(bin))
	b.Run("encode/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = itemJSON(it)
		}
	})
	b.Run("encode/binary", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = encodeItem(it)
		}
	})
	b.Run("decode/json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = decodeItem(js)
		}
	})
	b.Run("decode/binary", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = decodeItem(bin)
		}
	})
}

// TestItemDecodeOwnsValues: a decoded item's strings share one copy of the
// stored bytes and its *string values one slice, yet the item is the
// caller's: overwriting the stored bytes, or one value through its
// pointer, changes nothing else.
func TestItemDecodeOwnsValues(t *testing.T) {
	it := Item{"a": s("x"), "b": s("y"), "c": n("1"), "l": {L: []AV{s("p"), n("2"), {M: Item{"d": s("q")}}}}}
	for i := range 20 {
		it[fmt.Sprint("k", i)] = s(fmt.Sprint("v", i))
	}
	bin, err := encodeItem(it)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeItem(bin)
	if err != nil {
		t.Fatal(err)
	}
	for i := range bin {
		bin[i] = 0xAA
	}
	*got["a"].S = "changed"
	want := Item{"a": s("changed"), "b": s("y"), "c": n("1"), "l": {L: []AV{s("p"), n("2"), {M: Item{"d": s("q")}}}}}
	for i := range 20 {
		want[fmt.Sprint("k", i)] = s(fmt.Sprint("v", i))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decoded item after its bytes and one value changed:\n got %#v\nwant %#v", got, want)
	}
}
