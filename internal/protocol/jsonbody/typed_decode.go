package jsonbody

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/niwa-cloud/niwa/internal/api"
	"github.com/niwa-cloud/niwa/internal/model"
)

// ErrUseTree is DecodeTyped's only error: this body is not one it
// decodes, decode it with DecodeStructure (and convert the tree) instead.
// That path words every error a client sees, so the typed decoder never
// has to: it gives up on anything it does not take exactly as the tree
// path would — malformed JSON, a value of the wrong type, a number out of
// range, a list with a null element, a structure whose Go fields do not
// pair with the model's members — and the caller decodes the body again
// the old way.
var ErrUseTree = errors.New("jsonbody: decode this body through the tree")

// DecodeTyped reads a JSON object of structure sh straight into the
// typed structure at p, entry i of tab, without the dynamic tree: the
// value it builds is the one DecodeStructure followed by
// api.Converter.ToTyped builds. The model's members and the entry's
// fields pair by index (structure entry i's field k is the shape's
// member k). An empty body is an empty structure. bodyOnly is
// DecodeStructure's. Any error is ErrUseTree; the value at p is then
// partly written and must be discarded.
//
// The body is first checked whole (UTF-8, then valid, which answers
// what encoding/json.Valid answers in a plain pass and allocates
// nothing), so the walk below reads a well-formed value and need not
// check its syntax.
func DecodeTyped(data []byte, sh *model.Shape, bodyOnly bool, tab api.Table, i int32, p unsafe.Pointer) error {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil
	}
	if data[0] != '{' || !utf8.Valid(data) || !valid(data) {
		return ErrUseTree
	}
	d := typedDec{data: data, tab: tab}
	return d.structure(sh, bodyOnly, i, p, 0)
}

// typedDec walks a well-formed JSON value (valid said so).
type typedDec struct {
	data []byte
	pos  int
	tab  api.Table
}

func (d *typedDec) ws() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// next skips white space and returns the byte there.
func (d *typedDec) next() byte {
	d.ws()
	return d.data[d.pos]
}

// structure reads the object at d.pos into the structure at p.
func (d *typedDec) structure(sh *model.Shape, bodyOnly bool, i int32, p unsafe.Pointer, depth int) error {
	if d.tab.NumFields(i) != len(sh.Members) {
		return ErrUseTree
	}
	d.pos++ // '{'
	if d.next() == '}' {
		d.pos++
		return nil
	}
	for {
		d.ws()
		key := d.str()
		d.ws()
		d.pos++ // ':'
		d.ws()
		k := memberIndex(sh, key)
		if k >= 0 && key == "" {
			// memberByWireName gives "" a member that its own key may
			// also name: the tree path's map iteration then picks
			// which of the two counts.
			return ErrUseTree
		}
		if k < 0 || (bodyOnly && sh.Members[k].Location != model.LocationBody) {
			d.skip() // unknown members are ignored, as AWS does
		} else {
			mr := sh.Members[k]
			f, fp := d.tab.Field(i, k, p)
			if f.Name != mr.Name {
				return ErrUseTree
			}
			if d.null() {
				// A null is absent, also over an earlier duplicate key
				// (encoding/json keeps a map's last value).
				d.tab.Clear(f, fp)
			} else if err := d.value(mr, f, fp, depth+1); err != nil {
				return err
			}
		}
		if d.next() == ',' {
			d.pos++
			continue
		}
		d.pos++ // '}'
		return nil
	}
}

// memberIndex is the index of the member whose JSON key is k
// (memberByWireName's choice), -1 for none.
func memberIndex(sh *model.Shape, k string) int {
	byLocation := -1
	for i, mr := range sh.Members {
		if mr.LocationName == "" && mr.Name == k {
			return i
		}
		// As memberByWireName compares: the key "" is the first member
		// without a location name.
		if byLocation < 0 && mr.LocationName == k {
			byLocation = i
		}
	}
	return byLocation
}

// null reports whether a null is at d.pos, and if so reads it.
func (d *typedDec) null() bool {
	if d.data[d.pos] == 'n' {
		d.pos += 4
		return true
	}
	return false
}

// value reads the non-null value at d.pos, of ref's shape, into the
// value of field f at p.
func (d *typedDec) value(ref *model.Ref, f *api.Field, p unsafe.Pointer, depth int) error {
	if depth > maxDepth {
		return ErrUseTree
	}
	c := d.data[d.pos]
	if ref.JSONValue {
		if c != '"' {
			return ErrUseTree
		}
		var doc any
		if err := json.Unmarshal([]byte(d.str()), &doc); err != nil {
			return ErrUseTree
		}
		if doc == nil {
			// "null" is absent, as a null is (over an earlier
			// duplicate key too).
			d.tab.Clear(f, p)
			return nil
		}
		return d.check(d.tab.SetAny(f, p, doc))
	}
	sh := ref.Shape
	switch sh.Type {
	case model.Structure:
		if c != '{' {
			return ErrUseTree
		}
		i, sp, err := d.tab.Struct(f, p)
		if err != nil {
			return ErrUseTree
		}
		return d.structure(sh, false, i, sp, depth)
	case model.List:
		if c != '[' || d.tab.List(f, p) != nil {
			return ErrUseTree
		}
		d.pos++
		if d.next() == ']' {
			d.pos++
			return nil
		}
		for {
			d.ws()
			if d.null() {
				// A sparse list's null is a zero element in the typed
				// value but absent in the tree the validator reads.
				return ErrUseTree
			}
			ef, ep := d.tab.Append(f, p)
			if err := d.value(sh.Member, ef, ep, depth+1); err != nil {
				return err
			}
			if d.next() == ',' {
				d.pos++
				continue
			}
			d.pos++ // ']'
			d.tab.Trim(f, p)
			return nil
		}
	case model.Map:
		if c != '{' {
			return ErrUseTree
		}
		mb, err := d.tab.Map(f, p)
		if err != nil {
			return ErrUseTree
		}
		d.pos++
		if d.next() == '}' {
			d.pos++
			return nil
		}
		for {
			d.ws()
			key := d.str()
			d.ws()
			d.pos++ // ':'
			d.ws()
			if d.null() {
				mb.Delete(key)
			} else {
				if err := d.value(sh.Value, mb.Elem, mb.Value(), depth+1); err != nil {
					return err
				}
				mb.Put(key)
			}
			if d.next() == ',' {
				d.pos++
				continue
			}
			d.pos++ // '}'
			return nil
		}
	case model.String, model.Character:
		if c != '"' {
			return ErrUseTree
		}
		if b, ok := d.rawStr(); ok {
			return d.check(d.tab.SetStringBytes(f, p, b))
		}
		return d.check(d.tab.SetString(f, p, d.str()))
	case model.Integer, model.Long:
		n, ok := d.number()
		if !ok {
			return ErrUseTree
		}
		i, err := strconv.ParseInt(n, 10, 64)
		if err != nil {
			f, ferr := strconv.ParseFloat(n, 64)
			if ferr != nil || f != math.Trunc(f) || math.Abs(f) >= 1<<63 {
				return ErrUseTree
			}
			i = int64(f)
		}
		if sh.Type == model.Integer && (i > math.MaxInt32 || i < math.MinInt32) {
			return ErrUseTree
		}
		return d.check(d.tab.SetInt(f, p, i))
	case model.Float, model.Double:
		var x float64
		if n, ok := d.number(); ok {
			var err error
			if x, err = strconv.ParseFloat(n, 64); err != nil {
				return ErrUseTree
			}
		} else if c == '"' {
			switch d.str() {
			case "NaN":
				x = math.NaN()
			case "Infinity":
				x = math.Inf(1)
			case "-Infinity":
				x = math.Inf(-1)
			default:
				return ErrUseTree
			}
		} else {
			return ErrUseTree
		}
		if (f.Kind == api.KFloat32 || f.Kind == api.KFloat32Ptr) && !math.IsNaN(x) && api.Float32(float32(x)) != x {
			// The validator would read the float32's value, not the
			// number sent: its range checks could differ.
			return ErrUseTree
		}
		return d.check(d.tab.SetFloat(f, p, x))
	case model.Boolean:
		switch c {
		case 't':
			d.pos += 4
			return d.check(d.tab.SetBool(f, p, true))
		case 'f':
			d.pos += 5
			return d.check(d.tab.SetBool(f, p, false))
		}
		return ErrUseTree
	case model.Timestamp:
		if n, ok := d.number(); ok {
			t, err := ParseEpoch(n)
			if err != nil {
				return ErrUseTree
			}
			return d.check(d.tab.SetTime(f, p, t))
		}
		if c != '"' {
			return ErrUseTree
		}
		t, err := ParseTimestamp(d.str())
		if err != nil {
			return ErrUseTree
		}
		return d.check(d.tab.SetTime(f, p, t))
	case model.Blob:
		if c != '"' || f.Kind == api.KReader {
			// A reader's tree form is the blob, its typed form a reader:
			// the validator would see a different value.
			return ErrUseTree
		}
		b, err := DecodeBase64(d.str())
		if err != nil {
			return ErrUseTree
		}
		return d.check(d.tab.SetBytes(f, p, b))
	case model.Document:
		start := d.pos
		if depth+d.skip() > maxDepth {
			return ErrUseTree
		}
		var doc any
		if err := json.Unmarshal(d.data[start:d.pos], &doc); err != nil {
			return ErrUseTree
		}
		return d.check(d.tab.SetAny(f, p, doc))
	}
	return ErrUseTree
}

// check maps a builder's error to ErrUseTree.
func (d *typedDec) check(err error) error {
	if err != nil {
		return ErrUseTree
	}
	return nil
}

// str reads the string at d.pos (its opening quote).
func (d *typedDec) str() string {
	start := d.pos + 1
	escaped := false
	i := start
	for ; ; i++ {
		c := d.data[i]
		if c == '"' {
			break
		}
		if c == '\\' {
			escaped = true
			i++
		}
	}
	d.pos = i + 1
	if !escaped {
		return string(d.data[start:i])
	}
	// Escapes decode as encoding/json decodes them (\u surrogates, and
	// U+FFFD for a lone one).
	var s string
	if err := json.Unmarshal(d.data[start-1:i+1], &s); err != nil {
		return "" // unreachable: valid accepted the body
	}
	return s
}

// rawStr reads the string at d.pos (its opening quote) if it has no
// escapes, returning its bytes in the body; else it reads nothing.
func (d *typedDec) rawStr() ([]byte, bool) {
	start := d.pos + 1
	for i := start; ; i++ {
		switch d.data[i] {
		case '"':
			d.pos = i + 1
			return d.data[start:i], true
		case '\\':
			return nil, false
		}
	}
}

// number reads the number at d.pos, if one is there.
func (d *typedDec) number() (string, bool) {
	c := d.data[d.pos]
	if c != '-' && (c < '0' || c > '9') {
		return "", false
	}
	start := d.pos
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '-', '+', '.', 'e', 'E':
			d.pos++
			continue
		}
		break
	}
	return unsafe.String(&d.data[start], d.pos-start), true
}

// skip reads the value at d.pos and returns how deep it nests: 0 for a
// scalar or an empty array or object, 1 + its deepest element's for
// others (the depth document() counts).
func (d *typedDec) skip() int {
	switch c := d.data[d.pos]; c {
	case '"':
		d.skipStr()
	case '{', '[':
		d.pos++
		if d.next() == c+2 { // '}' is '{'+2, ']' is '['+2
			d.pos++
			return 0
		}
		deepest := 0
		for {
			d.ws()
			if c == '{' {
				d.skipStr()
				d.ws()
				d.pos++ // ':'
				d.ws()
			}
			deepest = max(deepest, d.skip())
			if d.next() == ',' {
				d.pos++
				continue
			}
			d.pos++
			return deepest + 1
		}
	case 't', 'n':
		d.pos += 4
	case 'f':
		d.pos += 5
	default:
		d.number()
	}
	return 0
}

// skipStr reads the string at d.pos without making it.
func (d *typedDec) skipStr() {
	i := d.pos + 1
	for ; d.data[i] != '"'; i++ {
		if d.data[i] == '\\' {
			i++
		}
	}
	d.pos = i + 1
}
