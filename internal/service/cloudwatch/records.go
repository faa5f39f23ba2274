package cloudwatch

import (
	"math"

	"github.com/niwa-cloud/niwa/internal/storage"
)

// The stored records' binary form (storage.BinaryRecord). Records written
// before it existed are JSON and are still read (storage.DecodeRecord);
// each becomes binary when it is next written. Tag numbers are never
// reused: a field removed keeps its number retired.

// metricRecord: 1 namespace, 2 name, 3 dimensions (name, value pairs),
// 4 last put (unix seconds).
func (m *metricRecord) AppendRecord(dst []byte) []byte {
	e := storage.Enc{B: dst}
	e.String(1, m.Namespace)
	e.String(2, m.Name)
	if m.Dimensions != nil {
		e.Message(3, func(e *storage.Enc) {
			for _, d := range m.Dimensions {
				e.Str(d.N)
				e.Str(d.V)
			}
		})
	}
	e.Int(4, m.Last)
	return e.B
}

func (m *metricRecord) DecodeRecord(d *storage.Dec) error {
	*m = metricRecord{}
	for d.Next() {
		switch d.Tag() {
		case 1:
			m.Namespace = d.String()
		case 2:
			m.Name = d.String()
		case 3:
			d.Message(func(d *storage.Dec) {
				m.Dimensions = []dim{}
				for d.Len() > 0 && d.Err() == nil {
					n := d.Str()
					m.Dimensions = append(m.Dimensions, dim{N: n, V: d.Str()})
				}
			})
		case 4:
			m.Last = d.Int()
		default:
			d.Skip()
		}
	}
	return nil
}

// bucket: 1 resolution, 2 an entry (repeated, in order).
//
// entry: 1 second (S), 2 unit (a unit outside standardUnits), 3 sample
// count, 4 sum, 5 minimum, 6 maximum, 7 distinct values, 8 their counts,
// 9 single (the entry is one value: only its sum is written, and count
// 1, minimum, maximum and the one distinct value with count 1 are
// rebuilt from it), 10 unit (1 + its index in standardUnits).
func (b *bucket) AppendRecord(dst []byte) []byte {
	e := storage.Enc{B: dst}
	e.Int(1, b.Res)
	for i := range b.Entries {
		x := &b.Entries[i]
		e.Message(2, func(e *storage.Enc) {
			e.Int(1, x.S)
			if u := unitIndex(x.Unit); u >= 0 {
				e.Int(10, int64(u)+1)
			} else {
				e.String(2, x.Unit)
			}
			if x.single() {
				e.Bool(9, true)
				e.Float(4, x.Sum)
				return
			}
			e.Float(3, x.N)
			e.Float(4, x.Sum)
			e.Float(5, x.Min)
			e.Float(6, x.Max)
			e.Floats(7, x.V)
			e.Floats(8, x.C)
		})
	}
	return e.B
}

// single reports whether the entry is exactly one value with a count of
// one, so that its sum alone rebuilds it bit for bit.
func (x *entry) single() bool {
	one, s := math.Float64bits(1), math.Float64bits(x.Sum)
	return len(x.V) == 1 && len(x.C) == 1 && math.Float64bits(x.N) == one && math.Float64bits(x.C[0]) == one &&
		math.Float64bits(x.Min) == s && math.Float64bits(x.Max) == s && math.Float64bits(x.V[0]) == s
}

func (b *bucket) DecodeRecord(d *storage.Dec) error {
	b.decode(d, true)
	return nil
}

// decodeBucket reads stored bytes of either form into b, reusing its
// entries' array; without values, the entries' distinct values and
// counts are left out (nil).
func decodeBucket(raw []byte, b *bucket, values bool) error {
	if len(raw) == 0 || raw[0] != storage.RecordV1 {
		*b = bucket{}
		if err := storage.DecodeRecord(raw, b); err != nil {
			return err
		}
		if !values {
			for i := range b.Entries {
				b.Entries[i].V, b.Entries[i].C = nil, nil
			}
		}
		return nil
	}
	d := storage.NewDec(raw[1:])
	b.decode(d, values)
	return d.Err()
}

func (b *bucket) decode(d *storage.Dec, values bool) {
	// The entries' array is reused (a reader decoding bucket after bucket
	// into one value); nothing else is.
	b.Res, b.Entries = 0, b.Entries[:0]
	for d.Next() {
		switch d.Tag() {
		case 1:
			b.Res = d.Int()
		case 2:
			var x entry
			single := false
			d.Message(func(d *storage.Dec) {
				for d.Next() {
					switch d.Tag() {
					case 1:
						x.S = d.Int()
					case 2:
						x.Unit = d.String()
					case 3:
						x.N = d.Float()
					case 4:
						x.Sum = d.Float()
					case 5:
						x.Min = d.Float()
					case 6:
						x.Max = d.Float()
					case 7:
						if values {
							x.V = d.Floats()
						} else {
							d.Skip()
						}
					case 8:
						if values {
							x.C = d.Floats()
						} else {
							d.Skip()
						}
					case 9:
						single = d.Bool()
					case 10:
						u := d.Int()
						if u < 1 || u > int64(len(standardUnits)) {
							d.Fail("unit %d", u)
							continue
						}
						x.Unit = standardUnits[u-1]
					default:
						d.Skip()
					}
				}
			})
			if single {
				x.N, x.Min, x.Max = 1, x.Sum, x.Sum
				if values {
					vc := make([]float64, 2)
					vc[0], vc[1] = x.Sum, 1
					x.V, x.C = vc[0:1:1], vc[1:2:2]
				}
			}
			b.Entries = append(b.Entries, x)
		default:
			d.Skip()
		}
	}
}

// standardUnits are CloudWatch's StandardUnit values but None (stored as
// ""), in a fixed order: a stored unit is its index here, so units are
// only ever appended.
var standardUnits = []string{
	"Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
	"Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count",
	"Bytes/Second", "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second",
	"Bits/Second", "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second",
}

// unitIndex is u's index in standardUnits, or -1.
func unitIndex(u string) int {
	if u == "" {
		return -1
	}
	for i, s := range standardUnits {
		if s == u {
			return i
		}
	}
	return -1
}
