package athena

import (
	"math"

	"github.com/niwa-cloud/niwa/internal/sqlengine"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// A query's result is stored in storage's binary record form: it is
// written once and read by every GetQueryResults page, and its JSON (a
// quoted string, or null, per cell) cost a decode of every cell each
// time. Results stored as JSON before are read as they are. Field
// numbers are forever: a removed field's number is never reused.
var _ storage.BinaryRecord = (*resultRecord)(nil)

// AppendRecord implements storage.BinaryRecord: the columns (1, each
// its name and type), Header (2), and each row (3): its cell count, then
// per cell 0 for NULL or 1 and the value.
func (r *resultRecord) AppendRecord(dst []byte) []byte {
	e := storage.Enc{B: dst}
	for _, c := range r.Columns {
		e.Message(1, func(e *storage.Enc) {
			e.String(1, c.Name)
			e.String(2, c.Type)
		})
	}
	e.Bool(2, r.Header)
	for _, row := range r.Rows {
		e.Message(3, func(e *storage.Enc) {
			e.Uvarint(uint64(len(row)))
			for _, v := range row {
				if v == nil {
					e.Uvarint(0)
					continue
				}
				e.Uvarint(1)
				e.Str(*v)
			}
		})
	}
	return e.B
}

// DecodeRecord implements storage.BinaryRecord.
func (r *resultRecord) DecodeRecord(d *storage.Dec) error {
	r.decode(d, 0, math.MaxInt)
	return d.Err()
}

// decode reads the record, keeping only rows from..to-1 (the others are
// skipped, not decoded), and answers how many rows it holds.
func (r *resultRecord) decode(d *storage.Dec, from, to int) int {
	*r = resultRecord{}
	n := 0
	for d.Next() {
		switch d.Tag() {
		case 1:
			var c sqlengine.Column
			d.Message(func(d *storage.Dec) {
				for d.Next() {
					switch d.Tag() {
					case 1:
						c.Name = d.String()
					case 2:
						c.Type = d.String()
					default:
						d.Skip()
					}
				}
			})
			r.Columns = append(r.Columns, c)
		case 2:
			r.Header = d.Bool()
		case 3:
			if n < from || n >= to {
				n++
				d.Skip()
				continue
			}
			n++
			d.Message(func(d *storage.Dec) {
				cells := d.Count(1)
				row := make([]*string, cells)
				vals := make([]string, cells)
				for i := 0; i < cells && d.Err() == nil; i++ {
					if d.Uvarint() != 0 {
						vals[i] = d.Str()
						row[i] = &vals[i]
					}
				}
				r.Rows = append(r.Rows, row)
			})
		default:
			d.Skip()
		}
	}
	return n
}

// readResult reads a stored result's columns and header, how many rows
// it holds, and only its rows from..to-1: a GetQueryResults page decodes
// its own rows, not the whole result. A result stored as JSON before is
// decoded whole.
func readResult(data []byte, from, to int) (resultRecord, int, error) {
	var r resultRecord
	if !storage.IsBinaryRecord(data) || data[0] != storage.RecordV1 {
		if err := storage.DecodeRecord(data, &r); err != nil {
			return r, 0, err
		}
		n := len(r.Rows)
		r.Rows = r.Rows[min(max(from, 0), n):min(max(to, 0), n)]
		return r, n, nil
	}
	d := storage.NewDec(data[1:])
	n := r.decode(d, from, to)
	return r, n, d.Err()
}
