package storage

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"
)

// Stored records come in two forms, told apart by their first byte:
//
//   - JSON, the original form: '{', '[', '"', a digit, ... (never a byte
//     below 0x09, since JSON may only start with a value or whitespace);
//   - binary: the format byte RecordV1 followed by the record's compact
//     encoding (see [Enc]).
//
// Every reader accepts both, so a --data-dir written before the binary form
// existed is read as it is and each record becomes binary the next time it
// is written; nothing needs a migration step. Bytes 0x01-0x08 are reserved
// for format versions: a later binary layout takes the next byte and its
// decoder keeps reading the older ones.
const (
	// RecordV1 is the first byte of a record in binary form, version 1.
	RecordV1 byte = 0x01
)

// ErrBadRecord is wrapped by every error about stored bytes that do not
// decode: truncated, a length beyond the record, an unknown format byte,
// a field of the wrong kind.
var ErrBadRecord = errors.New("storage: malformed record")

// BinaryRecord is implemented by a pointer to a record type that has a
// compact binary form. AppendRecord appends the record's encoding (without
// the format byte) to dst; DecodeRecord reads it back, replacing every
// field. A type that implements it is written in binary by Table,
// [EncodeRecord] and friends; any other type stays JSON.
//
// The encoding must keep every field: a round-trip test that fills every
// field (see the services' record tests) guards against a field added to
// the struct but not to its encoder.
type BinaryRecord interface {
	AppendRecord(dst []byte) []byte
	DecodeRecord(d *Dec) error
}

// EncodeRecord returns v's stored form: binary when *T is a
// [BinaryRecord], JSON otherwise.
func EncodeRecord[T any](v *T) ([]byte, error) {
	if br, ok := any(v).(BinaryRecord); ok {
		return br.AppendRecord(append(make([]byte, 0, 256), RecordV1)), nil
	}
	return json.Marshal(v)
}

// DecodeRecord decodes stored bytes in either form into v.
func DecodeRecord[T any](data []byte, v *T) error {
	if IsBinaryRecord(data) {
		br, ok := any(v).(BinaryRecord)
		if !ok {
			return fmt.Errorf("%w: binary record for a %T, which has no binary form", ErrBadRecord, v)
		}
		if data[0] != RecordV1 {
			return fmt.Errorf("%w: unknown format byte 0x%02x", ErrBadRecord, data[0])
		}
		d := NewDec(data[1:])
		if err := br.DecodeRecord(d); err != nil {
			return err
		}
		return d.Err()
	}
	return json.Unmarshal(data, v)
}

// IsBinaryRecord reports whether stored bytes are in a binary form (of any
// version) rather than JSON.
func IsBinaryRecord(data []byte) bool { return len(data) > 0 && data[0] < 0x09 }

// The binary form of a struct is a sequence of fields, each a key (the
// field's tag number and its wire kind) and a value, in the layout of
// Protocol Buffers' wire format: a decoder skips fields it does not know,
// so fields can be added (with new tag numbers) and removed (their tags
// never reused) without a new format version. Zero values are omitted.
const (
	wireVarint = 0 // a uvarint (ints zigzag-encoded, bools 0/1)
	wireBytes  = 2 // a uvarint length, then that many bytes
)

// Enc appends fields to a record's binary form. The zero value is ready;
// B is the encoding so far. Tagged methods (String, Int, ...) omit zero
// values; the untagged ones (Uvarint, Str, Blob) are for fixed layouts
// such as a list's elements.
type Enc struct{ B []byte }

// Uvarint appends an unsigned varint.
func (e *Enc) Uvarint(v uint64) { e.B = binary.AppendUvarint(e.B, v) }

// Str appends a length-prefixed string.
func (e *Enc) Str(s string) {
	e.B = binary.AppendUvarint(e.B, uint64(len(s)))
	e.B = append(e.B, s...)
}

// Blob appends length-prefixed bytes.
func (e *Enc) Blob(b []byte) {
	e.B = binary.AppendUvarint(e.B, uint64(len(b)))
	e.B = append(e.B, b...)
}

func (e *Enc) key(tag int, wire int) { e.Uvarint(uint64(tag)<<3 | uint64(wire)) }

// String writes a string field, unless empty.
func (e *Enc) String(tag int, s string) {
	if s != "" {
		e.key(tag, wireBytes)
		e.Str(s)
	}
}

// StringPtr writes a *string field, unless nil (a pointer to "" is kept).
func (e *Enc) StringPtr(tag int, s *string) {
	if s != nil {
		e.key(tag, wireBytes)
		e.Str(*s)
	}
}

// Bytes writes a bytes field, unless nil (an empty non-nil slice is kept:
// it decodes as an empty non-nil slice).
func (e *Enc) Bytes(tag int, b []byte) {
	if b != nil {
		e.key(tag, wireBytes)
		e.Blob(b)
	}
}

// Int writes a signed integer field, unless 0.
func (e *Enc) Int(tag int, v int64) {
	if v != 0 {
		e.key(tag, wireVarint)
		e.Uvarint(uint64(v<<1) ^ uint64(v>>63))
	}
}

// Bool writes a bool field, unless false.
func (e *Enc) Bool(tag int, v bool) {
	if v {
		e.key(tag, wireVarint)
		e.Uvarint(1)
	}
}

// Time writes a time field, unless zero: its instant to the nanosecond and
// its zone offset (as JSON keeps them; zone names are not kept).
func (e *Enc) Time(tag int, t time.Time) {
	if t.IsZero() {
		return
	}
	_, off := t.Zone()
	var b [3 * binary.MaxVarintLen64]byte
	n := binary.PutVarint(b[:], t.Unix())
	n += binary.PutUvarint(b[n:], uint64(t.Nanosecond()))
	if off != 0 {
		n += binary.PutVarint(b[n:], int64(off))
	}
	e.key(tag, wireBytes)
	e.Blob(b[:n])
}

// TimePtr writes a *time.Time field, unless nil; a non-nil zero time is
// kept as non-nil.
func (e *Enc) TimePtr(tag int, t *time.Time) {
	switch {
	case t == nil:
	case t.IsZero():
		e.key(tag, wireBytes)
		e.Blob(nil)
	default:
		e.Time(tag, *t)
	}
}

// StringMap writes a map[string]string field, unless nil, in sorted key
// order so equal maps encode equally.
func (e *Enc) StringMap(tag int, m map[string]string) {
	if m == nil {
		return
	}
	e.Message(tag, func(e *Enc) {
		for _, k := range sortedKeys(m) {
			e.Str(k)
			e.Str(m[k])
		}
	})
}

// Strings writes a []string field, unless nil.
func (e *Enc) Strings(tag int, l []string) {
	if l == nil {
		return
	}
	e.Message(tag, func(e *Enc) {
		for _, s := range l {
			e.Str(s)
		}
	})
}

// Message writes a nested value as a bytes field: fn appends its
// encoding. It is written even when fn writes nothing, so a present but
// empty value stays present.
func (e *Enc) Message(tag int, fn func(e *Enc)) {
	e.key(tag, wireBytes)
	// Reserve one length byte, the common case, and move the body if its
	// length needs more.
	at := len(e.B)
	e.B = append(e.B, 0)
	fn(e)
	n := len(e.B) - at - 1
	if n < 0x80 {
		e.B[at] = byte(n)
		return
	}
	var lb [binary.MaxVarintLen64]byte
	ln := binary.PutUvarint(lb[:], uint64(n))
	e.B = append(e.B, lb[:ln-1]...)
	copy(e.B[at+ln:], e.B[at+1:at+1+n])
	copy(e.B[at:], lb[:ln])
}

// JSON writes v as a JSON bytes field, unless v is nil: for the rarely set
// nested API shapes (an ACL, a lifecycle rule) that are not worth a
// hand-written layout.
func (e *Enc) JSON(tag int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if string(b) != "null" {
		e.key(tag, wireBytes)
		e.Blob(b)
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	// Insertion sort: these maps are small (metadata, checksums).
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
		}
	}
	return keys
}

// Dec reads a record's binary form. Errors are sticky: after the first
// one every read returns a zero value and Next returns false, and Err
// reports it. No read allocates more than the record's remaining length,
// so bad stored bytes cost at most their own size.
type Dec struct {
	b    []byte
	err  error
	tag  int
	wire int
}

// NewDec reads b (the record after its format byte).
func NewDec(b []byte) *Dec { return &Dec{b: b} }

// Err is the first error met, wrapping ErrBadRecord.
func (d *Dec) Err() error { return d.err }

// Fail records an error about the record (the first one wins).
func (d *Dec) Fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrBadRecord, fmt.Sprintf(format, args...))
	}
}

// Len is how many bytes are left.
func (d *Dec) Len() int { return len(d.b) }

// Uvarint reads an unsigned varint.
func (d *Dec) Uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.Fail("bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// Count reads an element count and checks that at least min bytes per
// element remain, so a forged count cannot make the caller allocate more
// than the record's size.
func (d *Dec) Count(min int) int {
	n := d.Uvarint()
	if min < 1 {
		min = 1
	}
	if n > uint64(len(d.b)/min) {
		d.Fail("count %d beyond the record", n)
		return 0
	}
	return int(n)
}

// Blob reads length-prefixed bytes (a copy: the record's bytes are not
// retained).
func (d *Dec) Blob() []byte {
	raw := d.raw()
	if d.err != nil {
		return nil
	}
	return append(make([]byte, 0, len(raw)), raw...)
}

// Str reads a length-prefixed string.
func (d *Dec) Str() string { return string(d.raw()) }

// StrIn reads a length-prefixed string as a substring of rec, the bytes
// the Dec was made over as one string (NewDec(b) with rec == string(b)):
// a record decoded into many strings then costs one copy, not one each.
// The strings keep all of rec alive.
func (d *Dec) StrIn(rec string) string {
	raw := d.raw()
	if d.err != nil || len(rec) < len(d.b)+len(raw) {
		return string(raw)
	}
	end := len(rec) - len(d.b)
	return rec[end-len(raw) : end]
}

func (d *Dec) raw() []byte {
	n := d.Uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.Fail("length %d beyond the record", n)
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

// Next moves to the next field, reporting false at the end of the record
// (or after an error). Tag is the field's number; one of the typed reads
// (or Skip) must consume its value.
func (d *Dec) Next() bool {
	if d.err != nil || len(d.b) == 0 {
		return false
	}
	k := d.Uvarint()
	if d.err != nil {
		return false
	}
	d.tag, d.wire = int(k>>3), int(k&7)
	if d.wire != wireVarint && d.wire != wireBytes || k>>3 > math.MaxInt32 {
		d.Fail("bad field key %d", k)
		return false
	}
	return true
}

// Tag is the current field's number.
func (d *Dec) Tag() int { return d.tag }

// Skip consumes the current field's value: a field this decoder does not
// know (written by a later niwa, or removed).
func (d *Dec) Skip() {
	if d.wire == wireVarint {
		d.Uvarint()
	} else {
		d.raw()
	}
}

func (d *Dec) want(wire int) bool {
	if d.err == nil && d.wire != wire {
		d.Fail("field %d has the wrong kind", d.tag)
	}
	return d.err == nil
}

// String reads the current field as a string.
func (d *Dec) String() string {
	if !d.want(wireBytes) {
		return ""
	}
	return d.Str()
}

// StringPtr reads the current field as a *string.
func (d *Dec) StringPtr() *string {
	s := d.String()
	if d.err != nil {
		return nil
	}
	return &s
}

// Bytes reads the current field as bytes (non-nil, possibly empty).
func (d *Dec) Bytes() []byte {
	if !d.want(wireBytes) {
		return nil
	}
	return d.Blob()
}

// Int reads the current field as a signed integer.
func (d *Dec) Int() int64 {
	if !d.want(wireVarint) {
		return 0
	}
	u := d.Uvarint()
	return int64(u>>1) ^ -int64(u&1)
}

// Bool reads the current field as a bool.
func (d *Dec) Bool() bool {
	if !d.want(wireVarint) {
		return false
	}
	return d.Uvarint() != 0
}

// Time reads the current field as a time.
func (d *Dec) Time() time.Time {
	if !d.want(wireBytes) {
		return time.Time{}
	}
	b := d.raw()
	if d.err != nil || len(b) == 0 {
		return time.Time{}
	}
	sec, n := binary.Varint(b)
	if n <= 0 {
		d.Fail("bad time")
		return time.Time{}
	}
	nsec, m := binary.Uvarint(b[n:])
	if m <= 0 || nsec >= 1e9 {
		d.Fail("bad time")
		return time.Time{}
	}
	var off int64
	if rest := b[n+m:]; len(rest) > 0 {
		var k int
		off, k = binary.Varint(rest)
		if k != len(rest) || off < -86400 || off > 86400 {
			d.Fail("bad time zone")
			return time.Time{}
		}
	}
	t := time.Unix(sec, int64(nsec)).UTC()
	if off != 0 {
		t = t.In(time.FixedZone("", int(off)))
	}
	return t
}

// TimePtr reads the current field as a *time.Time.
func (d *Dec) TimePtr() *time.Time {
	t := d.Time()
	if d.err != nil {
		return nil
	}
	return &t
}

// StringMap reads the current field as a map[string]string.
func (d *Dec) StringMap() map[string]string {
	var m map[string]string
	d.Message(func(d *Dec) {
		m = map[string]string{}
		for d.Len() > 0 && d.err == nil {
			k := d.Str()
			m[k] = d.Str()
		}
	})
	if d.err != nil {
		return nil
	}
	return m
}

// Strings reads the current field as a []string.
func (d *Dec) Strings() []string {
	var l []string
	d.Message(func(d *Dec) {
		l = []string{}
		for d.Len() > 0 && d.err == nil {
			l = append(l, d.Str())
		}
	})
	if d.err != nil {
		return nil
	}
	return l
}

// Message reads the current field as a nested value: fn decodes it with
// d itself, narrowed to the value (Len and Next end where it ends), and d
// moves past the value when fn returns.
func (d *Dec) Message(fn func(d *Dec)) {
	if !d.want(wireBytes) {
		return
	}
	raw := d.raw()
	if d.err != nil {
		return
	}
	rest, tag, wire := d.b, d.tag, d.wire
	d.b = raw
	fn(d)
	d.b, d.tag, d.wire = rest, tag, wire
}

// JSON reads the current field as JSON into v.
func (d *Dec) JSON(v any) {
	if !d.want(wireBytes) {
		return
	}
	raw := d.raw()
	if d.err == nil {
		if err := json.Unmarshal(raw, v); err != nil {
			d.Fail("field %d: %v", d.tag, err)
		}
	}
}
