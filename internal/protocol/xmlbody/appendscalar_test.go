package xmlbody

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/model"
)

// TestAppendScalarMatchesFormatScalar: the encoder's allocation-free path
// for integers and timestamps writes exactly FormatScalar's text, and
// declines what it does not cover.
func TestAppendScalarMatchesFormatScalar(t *testing.T) {
	ref := func(typ model.Type, format string) *model.Ref {
		return &model.Ref{Shape: &model.Shape{Type: typ}, TimestampFormat: format}
	}
	t1 := time.Date(2024, 5, 1, 12, 30, 45, 0, time.UTC)
	t2 := time.Date(1999, 12, 31, 23, 59, 59, 123456789, time.FixedZone("x", 3600))
	t3 := time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)
	var nilTime *time.Time
	for _, c := range []struct {
		ref  *model.Ref
		v    any
		want bool // appendScalar takes it
	}{
		{ref(model.Integer, ""), int64(42), true},
		{ref(model.Long, ""), int64(-9223372036854775808), true},
		{ref(model.Integer, ""), int32(7), true},
		{ref(model.Integer, ""), json.Number("12"), true},
		{ref(model.Long, ""), float64(3), true},
		{ref(model.Long, ""), uint64(5), true},
		{ref(model.Integer, ""), "12", false},
		{ref(model.Timestamp, ""), t1, true},
		{ref(model.Timestamp, ""), t2, true},
		{ref(model.Timestamp, ""), &t2, true},
		{ref(model.Timestamp, ""), t3, true},
		{ref(model.Timestamp, model.ISO8601), t2, true},
		{ref(model.Timestamp, model.RFC822), t2, true},
		{ref(model.Timestamp, model.UnixTimestamp), t2, false},
		{ref(model.Timestamp, ""), nilTime, false},
		{ref(model.Timestamp, ""), "2024-05-01", false},
		{ref(model.String, ""), "s", false},
		{ref(model.Boolean, ""), true, false},
	} {
		got, ok := appendScalar([]byte("x"), c.ref, c.v)
		if ok != c.want {
			t.Errorf("%v %#v: ok %v", c.ref.Shape.Type, c.v, ok)
			continue
		}
		if !ok {
			continue
		}
		want, err := FormatScalar(c.ref, c.v)
		if err != nil || string(got) != "x"+want {
			t.Errorf("%v %#v: %q, FormatScalar %q (%v)", c.ref.Shape.Type, c.v, got, want, err)
		}
	}
}
