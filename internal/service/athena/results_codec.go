package athena

import (
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
	*r = resultRecord{}
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
			d.Message(func(d *storage.Dec) {
				n := d.Count(1)
				row := make([]*string, n)
				vals := make([]string, n)
				for i := 0; i < n && d.Err() == nil; i++ {
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
	return d.Err()
}
