package cloudwatch

import (
	"math"
	"reflect"
	"testing"

	"github.com/niwa-cloud/niwa/internal/storage"
	"github.com/niwa-cloud/niwa/internal/storage/recordtest"
)

func TestRecordsRoundTrip(t *testing.T) {
	recordtest.RoundTrip[metricRecord](t)
	recordtest.RoundTrip[bucket](t)
}

// TestBucketRecordForms: every shape an entry takes comes back bit for
// bit, the one-value entries in their short form.
func TestBucketRecordForms(t *testing.T) {
	negZero := math.Copysign(0, -1)
	one := func(v float64) entry { return entry{N: 1, Sum: v, Min: v, Max: v, V: []float64{v}, C: []float64{1}} }
	withUnit := func(e entry, u string) entry { e.Unit = u; return e }
	withS := func(e entry, s int64) entry { e.S = s; return e }
	cases := map[string]struct {
		b        bucket
		maxBytes int
	}{
		"one value":             {bucket{Res: 60, Entries: []entry{one(42)}}, 12},
		"one zero":              {bucket{Res: 60, Entries: []entry{one(0)}}, 12},
		"one negative zero":     {bucket{Res: 60, Entries: []entry{one(negZero)}}, 0},
		"standard unit":         {bucket{Res: 60, Entries: []entry{withUnit(one(1), "Count/Second")}}, 12},
		"other unit":            {bucket{Res: 60, Entries: []entry{withUnit(one(1), "Widgets")}}, 0},
		"high resolution":       {bucket{Res: 60, Entries: []entry{withS(one(3), 59), withS(one(5), 1)}}, 0},
		"statistic set":         {bucket{Res: 300, Entries: []entry{{N: 4, Sum: 20, Min: 2, Max: 8}}}, 0},
		"values and counts":     {bucket{Res: 3600, Entries: []entry{{N: 5, Sum: 19, Min: 1, Max: 10, V: []float64{1, 2, 3, 10}, C: []float64{1, 1, 2, 1}}}}, 0},
		"one value counted 3":   {bucket{Res: 60, Entries: []entry{{N: 3, Sum: 6, Min: 2, Max: 2, V: []float64{2}, C: []float64{3}}}}, 0},
		"sum unlike the value":  {bucket{Res: 60, Entries: []entry{{N: 1, Sum: 0.30000000000000004, Min: 0.3, Max: 0.3, V: []float64{0.3}, C: []float64{1}}}}, 0},
		"empty value lists":     {bucket{Res: 60, Entries: []entry{{N: 1, Sum: 1, Min: 1, Max: 1, V: []float64{}, C: []float64{}}}}, 0},
		"two units, one second": {bucket{Res: 60, Entries: []entry{withUnit(one(7), "Seconds"), withUnit(one(7), "Milliseconds")}}, 0},
		"no entries":            {bucket{Res: 60}, 0},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			data, err := storage.EncodeRecord(&c.b)
			if err != nil || !storage.IsBinaryRecord(data) {
				t.Fatalf("encoded %x, %v", data, err)
			}
			if c.maxBytes > 0 && len(data) > c.maxBytes {
				t.Errorf("%d bytes (%x), want at most %d", len(data), data, c.maxBytes)
			}
			var got bucket
			if err := storage.DecodeRecord(data, &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(bitsOf(got), bitsOf(c.b)) {
				t.Fatalf("read back as\n%+v\nwant\n%+v", got, c.b)
			}
		})
	}
}

// bitsOf renders a bucket with its floats as bit patterns (DeepEqual
// takes -0 for 0).
func bitsOf(b bucket) []any {
	out := []any{b.Res}
	fs := func(l []float64) []uint64 {
		if l == nil {
			return nil
		}
		u := make([]uint64, len(l))
		for i, v := range l {
			u[i] = math.Float64bits(v)
		}
		return u
	}
	for _, e := range b.Entries {
		out = append(out, e.S, e.Unit, fs([]float64{e.N, e.Sum, e.Min, e.Max}), fs(e.V), fs(e.C))
	}
	return out
}

// TestBucketRecordBadBytes: stored bytes that do not decode are an error,
// never a panic or an allocation beyond their size.
func TestBucketRecordBadBytes(t *testing.T) {
	for name, data := range map[string][]byte{
		"unknown unit":      {storage.RecordV1, 2<<3 | 2, 2, 10 << 3 /* varint */, 99},
		"truncated entry":   {storage.RecordV1, 2<<3 | 2, 9, 3 << 3 /* varint */},
		"truncated values":  {storage.RecordV1, 2<<3 | 2, 4, 7<<3 | 2, 5, 1, 1},
		"values of a float": {storage.RecordV1, 2<<3 | 2, 2, 7 << 3 /* varint */, 1},
	} {
		var b bucket
		if err := storage.DecodeRecord(data, &b); err == nil {
			t.Errorf("%s: decoded as %+v", name, b)
		}
	}
}
