package storage

import (
	"math"
	"math/bits"
)

// Floats in the binary record form are varints of their IEEE 754 bits in
// reversed bit order: the sign, exponent and high mantissa bits land in
// the low bits and the low mantissa bits, zero in the round numbers
// metrics and counters mostly are (1, 0.5, 250, 1e6), become high zero
// bits a varint does not write. 1 and 0.5 take 2 bytes, 250 three, a
// value with a full mantissa 10 (2 more than its fixed width). The
// encoding is exact: every bit pattern (-0, NaN payloads, subnormals)
// comes back as it was written.

func floatBits(v float64) uint64 { return bits.Reverse64(math.Float64bits(v)) }

func bitsFloat(u uint64) float64 { return math.Float64frombits(bits.Reverse64(u)) }

// Float writes a float64 field, unless it is +0 (-0 is kept).
func (e *Enc) Float(tag int, v float64) {
	if u := floatBits(v); u != 0 {
		e.key(tag, wireVarint)
		e.Uvarint(u)
	}
}

// Floats writes a []float64 field, unless nil (an empty non-nil slice is
// kept).
func (e *Enc) Floats(tag int, l []float64) {
	if l == nil {
		return
	}
	e.Message(tag, func(e *Enc) {
		for _, v := range l {
			e.Uvarint(floatBits(v))
		}
	})
}

// Float reads the current field as a float64.
func (d *Dec) Float() float64 {
	if !d.want(wireVarint) {
		return 0
	}
	return bitsFloat(d.Uvarint())
}

// Floats reads the current field as a []float64 (non-nil, possibly
// empty), allocating exactly its length.
func (d *Dec) Floats() []float64 {
	var l []float64
	d.Message(func(d *Dec) {
		// Each varint ends with the one byte of it below 0x80.
		n := 0
		for _, c := range d.b {
			if c < 0x80 {
				n++
			}
		}
		l = make([]float64, 0, n)
		for d.Len() > 0 && d.err == nil {
			l = append(l, bitsFloat(d.Uvarint()))
		}
	})
	if d.err != nil {
		return nil
	}
	return l
}
