package cloudtrail

import (
	"sync"

	"github.com/niwa-cloud/niwa/internal/storage"
)

// histRecord is stored in storage's binary record form: the record's JSON
// (Raw) verbatim, not re-validated and re-compacted by encoding/json as
// a json.RawMessage field of the JSON form was, which with the JSON
// encoding of the other fields was most of the cost of keeping a call's
// record. Records stored as JSON by an earlier niwa are read as they are.
// Field numbers are forever: a removed field's number is never reused, a
// new field takes the next one. The JSON is stored coded against
// rawDictV1 (field 15, rawcodec.go); field 14, the JSON as it is, is
// what records stored before that hold.
var _ storage.BinaryRecord = (*histRecord)(nil)

// rawCodecV1 is the codec of field 15: its dictionary's hash table, built
// on first use and read-only after.
var rawCodecV1 = sync.OnceValue(newRawCodec)

// AppendRecord implements storage.BinaryRecord.
func (h *histRecord) AppendRecord(dst []byte) []byte {
	e := storage.Enc{B: dst}
	e.Time(1, h.Time)
	e.String(2, h.EventID)
	e.String(3, h.Name)
	e.String(4, h.Source)
	e.String(5, h.Username)
	e.String(6, h.AccessKeyID)
	e.String(7, h.UserARN)
	e.Bool(8, h.ReadOnly)
	e.Bool(9, h.Management)
	e.Bool(10, h.Global)
	e.String(11, h.EventType)
	e.String(12, h.ErrorCode)
	for _, r := range h.Resources {
		e.Message(13, func(e *storage.Enc) {
			e.String(1, r.Type)
			e.String(2, r.Name)
			e.String(3, r.ARN)
		})
	}
	if h.Raw != nil {
		// Coded, a record is a third of its JSON or less. Coded in
		// place: a length-prefixed message is a bytes field, byte for
		// byte (TestRawFieldInPlace).
		raw := h.Raw
		e.Message(15, func(e *storage.Enc) { e.B = rawCodecV1().encode(e.B, raw) })
	}
	return e.B
}

// DecodeRecord implements storage.BinaryRecord.
func (h *histRecord) DecodeRecord(d *storage.Dec) error {
	*h = histRecord{}
	for d.Next() {
		switch d.Tag() {
		case 1:
			h.Time = d.Time()
		case 2:
			h.EventID = d.String()
		case 3:
			h.Name = d.String()
		case 4:
			h.Source = d.String()
		case 5:
			h.Username = d.String()
		case 6:
			h.AccessKeyID = d.String()
		case 7:
			h.UserARN = d.String()
		case 8:
			h.ReadOnly = d.Bool()
		case 9:
			h.Management = d.Bool()
		case 10:
			h.Global = d.Bool()
		case 11:
			h.EventType = d.String()
		case 12:
			h.ErrorCode = d.String()
		case 13:
			var r resource
			d.Message(func(d *storage.Dec) {
				for d.Next() {
					switch d.Tag() {
					case 1:
						r.Type = d.String()
					case 2:
						r.Name = d.String()
					case 3:
						r.ARN = d.String()
					default:
						d.Skip()
					}
				}
			})
			h.Resources = append(h.Resources, r)
		case 14:
			h.Raw = d.Bytes()
		case 15:
			raw, err := rawCodecV1().decode(d.Bytes())
			if err != nil {
				return err
			}
			h.Raw = raw
		default:
			d.Skip()
		}
	}
	return d.Err()
}
