package athena

import (
	"encoding/json"
	"reflect"
	"testing"

	athenaapi "github.com/niwa-cloud/niwa/internal/api/athena"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/sqlengine"
	"github.com/niwa-cloud/niwa/internal/sqlengine/duckdb"
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
		// A page: the columns and header, the row count, only its rows.
		for _, page := range []struct{ from, to int }{{0, 0}, {1, 3}, {3, 10}, {0, 4}, {5, 9}} {
			part, n, err := readResult(data, page.from, page.to)
			if err != nil || n != len(res.Rows) || !reflect.DeepEqual(part.Columns, res.Columns) || part.Header != res.Header {
				t.Fatalf("%s page %v: %+v %d %v", name, page, part, n, err)
			}
			want := res.Rows[min(page.from, 4):min(page.to, 4)]
			a, _ := json.Marshal(part.Rows)
			b, _ := json.Marshal(want)
			if len(part.Rows) != len(want) || len(want) > 0 && string(a) != string(b) {
				t.Errorf("%s page %v: rows %s, want %s", name, page, a, b)
			}
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

// BenchmarkGetQueryResults pages through a result of 20,000 rows of
// three columns, 1000 rows a page, as a client reading it all does.
func BenchmarkGetQueryResults(b *testing.B) {
	f := newFixture(b, duckdb.New(duckdb.Options{}))
	qe := f.run(`select x, 'row ' || cast(x as varchar) as label, case when x % 3 = 0 then null else x * 2 end as y from unnest(range(1, 20001)) as t(x)`)
	if *qe.Status.State != "SUCCEEDED" {
		b.Fatalf("query %s: %s", *qe.Status.State, ptr.Deref(qe.Status.StateChangeReason))
	}
	b.ReportAllocs()
	for b.Loop() {
		var token *string
		rows := 0
		for {
			res, err := f.a.GetQueryResults(f.h.Ctx(), &athenaapi.GetQueryResultsInput{QueryExecutionId: qe.QueryExecutionId, NextToken: token})
			if err != nil {
				b.Fatal(err)
			}
			rows += len(res.ResultSet.Rows)
			if token = res.NextToken; token == nil {
				break
			}
		}
		if rows != 20001 {
			b.Fatalf("%d rows", rows)
		}
	}
}
