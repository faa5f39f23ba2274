package storage

import (
	"math"
	"reflect"
	"testing"
)

// TestRecordFloats: float fields come back bit for bit, zero is omitted
// and negative zero is not, lists keep nil apart from empty, round
// numbers take few bytes.
func TestRecordFloats(t *testing.T) {
	values := []float64{1, -1, 0.5, 250, 1e6, math.Pi, -math.MaxFloat64, math.SmallestNonzeroFloat64, math.Inf(1), math.Copysign(0, -1), math.NaN()}
	for _, v := range values {
		var e Enc
		e.Float(1, v)
		d := NewDec(e.B)
		if !d.Next() || d.Tag() != 1 {
			t.Fatalf("%v: no field in %x", v, e.B)
		}
		if got := d.Float(); math.Float64bits(got) != math.Float64bits(v) || d.Err() != nil || d.Len() != 0 {
			t.Errorf("%v read back as %v (%v)", v, got, d.Err())
		}
	}
	var e Enc
	e.Float(1, 0)
	if len(e.B) != 0 {
		t.Errorf("zero written: %x", e.B)
	}
	for v, size := range map[float64]int{1: 3, 250: 4, 0.5: 3} { // key byte + varint
		var e Enc
		e.Float(1, v)
		if len(e.B) != size {
			t.Errorf("%v takes %d bytes (%x), want %d", v, len(e.B), e.B, size)
		}
	}

	for _, l := range [][]float64{nil, {}, {1}, values[:9]} {
		var e Enc
		e.Floats(2, l)
		e.Int(3, 9)
		d := NewDec(e.B)
		var got []float64
		var after int64
		for d.Next() {
			switch d.Tag() {
			case 2:
				got = d.Floats()
			case 3:
				after = d.Int()
			}
		}
		if d.Err() != nil || !reflect.DeepEqual(got, l) || after != 9 {
			t.Errorf("%v read back as %#v, next field %d (%v)", l, got, after, d.Err())
		}
		if got != nil && cap(got) != len(got) {
			t.Errorf("%v: capacity %d", l, cap(got))
		}
	}

	// A truncated varint inside a list fails the record.
	d := NewDec([]byte{2<<3 | wireBytes, 1, 0x80})
	if !d.Next() || d.Floats() != nil || d.Err() == nil {
		t.Errorf("truncated list: %v", d.Err())
	}
	// The wrong kind fails too.
	d = NewDec([]byte{2<<3 | wireBytes, 0})
	if !d.Next() || d.Float() != 0 || d.Err() == nil {
		t.Errorf("bytes read as a float: %v", d.Err())
	}
}
