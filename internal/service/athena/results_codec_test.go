package athena

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/sqlengine"
	"github.com/niwa-cloud/niwa/internal/storage"
	"github.com/niwa-cloud/niwa/internal/storage/recordtest"
)

// TestResultBinary: a stored result keeps every field, NULL apart from
// the empty string, in fewer bytes than its JSON; a result stored as
// JSON before reads back the same.
func TestResultBinary(t *testing.T) {
	recordtest.RoundTrip[resultRecord](t)

	res := resultRecord{Columns: []sqlengine.Column{{Name: "a", Type: "varchar"}, {Name: "n", Type: "bigint"}}, Header: true,
		Rows: [][]*string{{ptr.To(""), nil}, {nil, ptr.To("1")}, {ptr.To("x\x00\"y"), ptr.To("-2")}, {}}}
	bin, err := storage.EncodeRecord(&res)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(res)
	if len(bin) >= len(js) {
		t.Errorf("binary %d bytes, JSON %d", len(bin), len(js))
	}
	for name, data := range map[string][]byte{"binary": bin, "JSON": js} {
		var got resultRecord
		if err := storage.DecodeRecord(data, &got); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		a, _ := json.Marshal(got)
		if string(a) != string(js) {
			t.Errorf("%s read back as %s, want %s", name, a, js)
		}
		if got.Rows[0][0] == nil || got.Rows[0][1] != nil {
			t.Errorf("%s: NULL and empty string not kept apart: %#v", name, got.Rows[0])
		}
	}
}

// FuzzDecodeResult: damaged stored bytes are an error, never a panic.
func FuzzDecodeResult(f *testing.F) {
	var r resultRecord
	recordtest.Fill(&r)
	bin, _ := storage.EncodeRecord(&r)
	f.Add(bin)
	f.Fuzz(func(t *testing.T, data []byte) {
		var r resultRecord
		if storage.DecodeRecord(data, &r) != nil {
			return
		}
		again, _ := storage.EncodeRecord(&r)
		var r2 resultRecord
		if err := storage.DecodeRecord(again, &r2); err != nil {
			t.Fatalf("re-encoded result does not decode: %v", err)
		}
		if !reflect.DeepEqual(normal(r), normal(r2)) {
			t.Fatalf("second round trip differs:\n%+v\n%+v", r, r2)
		}
	})
}

func normal(r resultRecord) string {
	b, _ := json.Marshal(r)
	return string(b)
}
