package dynamodb

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unsafe"

	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/service/dynamodb/decimal"
	"github.com/niwa-cloud/niwa/internal/service/dynamodb/expr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// wav is an AttributeValue as stored: DynamoDB JSON, with pointers so empty
// strings, binaries, maps and lists survive the round trip.
type wav struct {
	S    *string         `json:"S,omitempty"`
	N    *string         `json:"N,omitempty"`
	B    *[]byte         `json:"B,omitempty"`
	SS   []string        `json:"SS,omitempty"`
	NS   []string        `json:"NS,omitempty"`
	BS   [][]byte        `json:"BS,omitempty"`
	M    *map[string]wav `json:"M,omitempty"`
	L    *[]wav          `json:"L,omitempty"`
	NULL *bool           `json:"NULL,omitempty"`
	BOOL *bool           `json:"BOOL,omitempty"`
}

func toWav(v AV) wav {
	w := wav{S: v.S, N: v.N, SS: v.SS, NS: v.NS, BS: v.BS, NULL: v.NULL, BOOL: v.BOOL}
	if v.B != nil {
		b := v.B
		w.B = &b
	}
	if v.M != nil {
		m := make(map[string]wav, len(v.M))
		for k, e := range v.M {
			m[k] = toWav(e)
		}
		w.M = &m
	}
	if v.L != nil {
		l := make([]wav, len(v.L))
		for i, e := range v.L {
			l[i] = toWav(e)
		}
		w.L = &l
	}
	return w
}

func fromWav(w wav) AV {
	v := AV{S: w.S, N: w.N, SS: w.SS, NS: w.NS, BS: w.BS, NULL: w.NULL, BOOL: w.BOOL}
	if w.B != nil {
		v.B = *w.B
		if v.B == nil {
			v.B = []byte{}
		}
	}
	if w.M != nil {
		v.M = make(map[string]AV, len(*w.M))
		for k, e := range *w.M {
			v.M[k] = fromWav(e)
		}
	}
	if w.L != nil {
		v.L = make([]AV, len(*w.L))
		for i, e := range *w.L {
			v.L[i] = fromWav(e)
		}
	}
	return v
}

// itemJSON is an item in DynamoDB JSON, as the wire (export files,
// NextToken) and items stored before the binary form carry it.
func itemJSON(it Item) ([]byte, error) {
	m := make(map[string]wav, len(it))
	for k, v := range it {
		m[k] = toWav(v)
	}
	return json.Marshal(m)
}

// storedItemJSON turns a stored item (either form) into DynamoDB JSON.
func storedItemJSON(data []byte) ([]byte, error) {
	if !storage.IsBinaryRecord(data) {
		return data, nil
	}
	it, err := decodeItem(data)
	if err != nil {
		return nil, err
	}
	return itemJSON(it)
}

// Stored items are in storage's binary record form (storage.RecordV1):
// the attribute count, then each attribute's name and value in name order
// (so equal items store equal bytes). A value is its type code and then:
// a string (S, N), bytes (B), a count and that many strings or bytes (SS,
// NS, BS), a count and that many name/value pairs (M) or values (L), or
// nothing (NULL, BOOL: the code says which). Items stored as DynamoDB
// JSON before the binary form are read as they are (decodeItem).
const (
	avEmpty = iota // no member set (never validated in, kept for the round trip)
	avS
	avN
	avB
	avSS
	avNS
	avBS
	avM
	avL
	avNullTrue
	avNullFalse
	avTrue
	avFalse
)

// maxStoredDepth bounds the nesting a stored item may claim, so bad bytes
// cannot recurse without limit; validation keeps real items under
// maxNesting.
const maxStoredDepth = 2 * maxNesting

func encodeItem(it Item) ([]byte, error) {
	return appendItem(make([]byte, 0, 128), it), nil
}

// appendItem appends it's stored form to dst.
func appendItem(dst []byte, it Item) []byte {
	e := storage.Enc{B: append(dst, storage.RecordV1)}
	appendAttrs(&e, it)
	return e.B
}

func appendAttrs(e *storage.Enc, m map[string]AV) {
	e.Uvarint(uint64(len(m)))
	if len(m) == 1 {
		for k, v := range m {
			e.Str(k)
			appendAV(e, v)
		}
		return
	}
	var small [16]string // most items' names, sorted on the stack
	keys := small[:0]
	if len(m) > len(small) {
		keys = make([]string, 0, len(m))
	}
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		e.Str(k)
		appendAV(e, m[k])
	}
}

func appendAV(e *storage.Enc, v AV) {
	switch {
	case v.S != nil:
		e.Uvarint(avS)
		e.Str(*v.S)
	case v.N != nil:
		e.Uvarint(avN)
		e.Str(*v.N)
	case v.B != nil:
		e.Uvarint(avB)
		e.Blob(v.B)
	case v.SS != nil:
		e.Uvarint(avSS)
		e.Uvarint(uint64(len(v.SS)))
		for _, s := range v.SS {
			e.Str(s)
		}
	case v.NS != nil:
		e.Uvarint(avNS)
		e.Uvarint(uint64(len(v.NS)))
		for _, s := range v.NS {
			e.Str(s)
		}
	case v.BS != nil:
		e.Uvarint(avBS)
		e.Uvarint(uint64(len(v.BS)))
		for _, b := range v.BS {
			e.Blob(b)
		}
	case v.M != nil:
		e.Uvarint(avM)
		appendAttrs(e, v.M)
	case v.L != nil:
		e.Uvarint(avL)
		e.Uvarint(uint64(len(v.L)))
		for _, x := range v.L {
			appendAV(e, x)
		}
	case v.NULL != nil && *v.NULL:
		e.Uvarint(avNullTrue)
	case v.NULL != nil:
		e.Uvarint(avNullFalse)
	case v.BOOL != nil && *v.BOOL:
		e.Uvarint(avTrue)
	case v.BOOL != nil:
		e.Uvarint(avFalse)
	default:
		e.Uvarint(avEmpty)
	}
}

// decodeItem reads a stored item in either form.
func decodeItem(data []byte) (Item, error) {
	if !storage.IsBinaryRecord(data) {
		return decodeItemJSON(data)
	}
	return decodeBinaryItem(data, string(data[1:]))
}

// decodeOwnedItem is decodeItem for bytes the caller owns and never
// changes (what a Tx's Get and Scan answer): the item's names and
// strings are read from them in place rather than from a copy.
func decodeOwnedItem(data []byte) (Item, error) {
	if !storage.IsBinaryRecord(data) {
		return decodeItemJSON(data)
	}
	return decodeBinaryItem(data, unsafe.String(unsafe.SliceData(data[1:]), len(data)-1))
}

// decodeBinaryItem reads an item's binary form data, rec being
// data[1:] as a string.
func decodeBinaryItem(data []byte, rec string) (Item, error) {
	if data[0] != storage.RecordV1 {
		return nil, fmt.Errorf("dynamodb: stored item: %w: format byte 0x%02x", storage.ErrBadRecord, data[0])
	}
	r := itemReader{d: *storage.NewDec(data[1:]), rec: rec}
	it := r.attrs(0)
	if r.d.Err() == nil && r.d.Len() != 0 {
		r.d.Fail("%d bytes after the item", r.d.Len())
	}
	if err := r.d.Err(); err != nil {
		return nil, fmt.Errorf("dynamodb: stored item: %w", err)
	}
	return it, nil
}

func decodeItemJSON(data []byte) (Item, error) {
	var m map[string]wav
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("dynamodb: stored item: %w", err)
	}
	it := make(Item, len(m))
	for k, w := range m {
		it[k] = fromWav(w)
	}
	return it, nil
}

// itemReader decodes an item's binary form with few allocations: names
// and string values are substrings of one copy of the record (rec), and
// the *string of S and N values point into one growing slice (strs; a
// pointer into a backing array the slice has since outgrown stays valid).
type itemReader struct {
	d    storage.Dec
	rec  string
	strs []string
}

func (r *itemReader) str() *string {
	if len(r.strs) == cap(r.strs) {
		r.strs = make([]string, 0, 8)
	}
	r.strs = append(r.strs, r.d.StrIn(r.rec))
	return &r.strs[len(r.strs)-1]
}

// attrs reads a count and that many name/value pairs (each at least
// two bytes: an empty name's length and a type code).
func (r *itemReader) attrs(depth int) map[string]AV {
	d := &r.d
	n := d.Count(2)
	m := make(map[string]AV, n)
	for i := 0; i < n && d.Err() == nil; i++ {
		k := d.StrIn(r.rec)
		m[k] = r.av(depth)
	}
	return m
}

func (r *itemReader) av(depth int) AV {
	d := &r.d
	var v AV
	code := d.Uvarint()
	if d.Err() != nil {
		return v
	}
	switch code {
	case avEmpty:
	case avS:
		v.S = r.str()
	case avN:
		v.N = r.str()
	case avB:
		v.B = d.Blob()
	case avSS, avNS:
		l := make([]string, d.Count(1))
		for i := range l {
			l[i] = d.StrIn(r.rec)
		}
		if code == avSS {
			v.SS = l
		} else {
			v.NS = l
		}
	case avBS:
		v.BS = make([][]byte, d.Count(1))
		for i := range v.BS {
			v.BS[i] = d.Blob()
		}
	case avM, avL:
		if depth >= maxStoredDepth {
			d.Fail("item nested deeper than %d", maxStoredDepth)
			return v
		}
		if code == avM {
			v.M = r.attrs(depth + 1)
			break
		}
		v.L = make([]AV, d.Count(1))
		for i := range v.L {
			if d.Err() != nil {
				break
			}
			v.L[i] = r.av(depth + 1)
		}
	case avNullTrue, avNullFalse:
		b := code == avNullTrue
		v.NULL = &b
	case avTrue, avFalse:
		b := code == avTrue
		v.BOOL = &b
	default:
		d.Fail("unknown attribute type %d", code)
	}
	return v
}

// keyBytes encodes a key attribute value so byte order is DynamoDB order.
// The caller has checked the value is an S, N or B.
func keyBytes(v AV) string {
	switch {
	case v.S != nil:
		return *v.S
	case v.N != nil:
		d, _ := decimal.Parse(*v.N)
		var buf [48]byte
		return string(d.AppendKey(buf[:0]))
	}
	return string(v.B)
}

// Item sizes, as DynamoDB counts them: attribute names plus values, numbers
// at about one byte per two digits, containers with 3 bytes of overhead and
// 1 per element.
const maxItemSize = 400 * 1024

func itemSize(it Item) int {
	n := 0
	for k, v := range it {
		n += len(k) + avSize(v)
	}
	return n
}

func avSize(v AV) int {
	switch {
	case v.S != nil:
		return len(*v.S)
	case v.N != nil:
		return numSize(*v.N)
	case v.B != nil:
		return len(v.B)
	case v.SS != nil:
		n := 0
		for _, s := range v.SS {
			n += len(s)
		}
		return n
	case v.NS != nil:
		n := 0
		for _, s := range v.NS {
			n += numSize(s)
		}
		return n
	case v.BS != nil:
		n := 0
		for _, b := range v.BS {
			n += len(b)
		}
		return n
	case v.M != nil:
		n := 3
		for k, e := range v.M {
			n += len(k) + avSize(e) + 1
		}
		return n
	case v.L != nil:
		n := 3
		for _, e := range v.L {
			n += avSize(e) + 1
		}
		return n
	}
	return 1
}

func numSize(s string) int {
	d, err := decimal.Parse(s)
	if err != nil {
		return len(s)
	}
	return (len(d.Digits)+1)/2 + 1
}

// maxNesting is DynamoDB's limit on nested maps and lists: a value may sit
// under at most 31 of them (32 levels counting the top-level attribute);
// DynamoDB refuses the 32nd map or list wrapped around a value.
const maxNesting = 32

func errTooDeep() error {
	return validation("Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit")
}

// validateValue checks one AttributeValue of a request and canonicalizes
// its numbers in place.
func validateValue(v *AV) error {
	nv, changed, err := validateNested(*v, 0)
	if changed {
		*v = nv
	}
	return err
}

// validateNested is validateValue for a value under depth maps or lists,
// taken and answered by value (a pointer into a map entry's copy would
// put every nested entry on the heap), with whether it changed: a
// number not in canonical text, or a number set (a map's or a list's
// values change in place).
func validateNested(v AV, depth int) (AV, bool, error) {
	if (v.M != nil || v.L != nil) && depth+1 >= maxNesting {
		return v, false, errTooDeep()
	}
	switch n := countMembers(v); {
	case n == 0:
		return v, false, validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")
	case n > 1:
		return v, false, validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
	}
	switch {
	case v.N != nil:
		c, err := decimal.Canonical(*v.N)
		if err != nil {
			return v, false, validation("%s", err.Error())
		}
		if c != *v.N {
			v.N = ptr.To(c) // c's own variable would be on the heap either way
			return v, true, nil
		}
	case v.NULL != nil:
		if !*v.NULL {
			return v, false, validation("One or more parameter values were invalid: Null attribute value types must have the value of true")
		}
	case v.SS != nil:
		if len(v.SS) == 0 {
			return v, false, validation("One or more parameter values were invalid: An string set  may not be empty")
		}
		if dup(v.SS, func(s string) string { return s }) {
			return v, false, validation("One or more parameter values were invalid: Input collection %s contains duplicates.", listString(v.SS))
		}
	case v.NS != nil:
		if len(v.NS) == 0 {
			return v, false, validation("One or more parameter values were invalid: An number set  may not be empty")
		}
		out := make([]string, len(v.NS))
		for i, s := range v.NS {
			c, err := decimal.Canonical(s)
			if err != nil {
				return v, false, validation("%s", err.Error())
			}
			out[i] = c
		}
		if dup(out, func(s string) string { return s }) {
			return v, false, validation("One or more parameter values were invalid: Input collection %s contains duplicates.", listString(v.NS))
		}
		v.NS = out
		return v, true, nil
	case v.BS != nil:
		if len(v.BS) == 0 {
			return v, false, validation("One or more parameter values were invalid: An binary set  may not be empty")
		}
		if dup(v.BS, func(b []byte) string { return string(b) }) {
			return v, false, validation("One or more parameter values were invalid: Input collection contains duplicates.")
		}
	case v.M != nil:
		for k, e := range v.M {
			ne, changed, err := validateNested(e, depth+1)
			if err != nil {
				return v, false, err
			}
			if changed {
				v.M[k] = ne
			}
		}
	case v.L != nil:
		for i := range v.L {
			ne, changed, err := validateNested(v.L[i], depth+1)
			if err != nil {
				return v, false, err
			}
			if changed {
				v.L[i] = ne
			}
		}
	}
	return v, false, nil
}

func countMembers(v AV) int {
	n := 0
	for _, set := range []bool{v.S != nil, v.N != nil, v.B != nil, v.SS != nil, v.NS != nil, v.BS != nil, v.M != nil, v.L != nil, v.NULL != nil, v.BOOL != nil} {
		if set {
			n++
		}
	}
	return n
}

func dup[T any](l []T, key func(T) string) bool {
	if len(l) <= 16 {
		// A small set (most are) compared pairwise, without a map.
		for i := 1; i < len(l); i++ {
			ki := key(l[i])
			for j := range i {
				if key(l[j]) == ki {
					return true
				}
			}
		}
		return false
	}
	seen := make(map[string]bool, len(l))
	for _, x := range l {
		k := key(x)
		if seen[k] {
			return true
		}
		seen[k] = true
	}
	return false
}

func listString(l []string) string { return "[" + strings.Join(l, ", ") + "]" }

// validateItem checks every value of an item.
func validateItem(it Item) error {
	for k, v := range it {
		nv, changed, err := validateNested(v, 0)
		if err != nil {
			return err
		}
		if changed {
			it[k] = nv
		}
	}
	return nil
}

// validateValues checks ExpressionAttributeValues.
func validateValues(vals map[string]AV) error {
	for _, k := range expr.SortedKeys(vals) {
		nv, changed, err := validateNested(vals[k], 0)
		if err != nil {
			return err
		}
		if changed {
			vals[k] = nv
		}
	}
	return nil
}
