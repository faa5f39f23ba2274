package jsonbody

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"
	"unsafe"

	"github.com/niwa-cloud/niwa/internal/api"
	"github.com/niwa-cloud/niwa/internal/model"
)

// The typed encoder: the JSON of a generated structure read in place
// through its package's conversion table (internal/api/table.go), with
// no dynamic tree built. Structure entry i's field k is the model shape's
// member k (the tables are generated in member order), so each member's
// wire name, traits and shape come from the model as in the dynamic
// encoder, and absence is api.Absent, the dynamic form's own test: the
// bytes are those EncodeStructure writes for Table.ToDynamic's tree
// (TestEncodeTypedMatchesDynamic in internal/codegen/allshapes holds
// every output shape of every service to it).

// ErrTableMismatch is returned when a structure's table entry does not
// have the model shape's members (a table generated from another model):
// the caller encodes the dynamic form instead. Nothing usable was
// written.
var ErrTableMismatch = errors.New("jsonbody: table entry does not match the model shape")

// EncodeTypedStructure appends the JSON object of structure sh from the
// structure at p (entry i of tab; nil is an empty structure). bodyOnly
// is EncodeStructure's.
func EncodeTypedStructure(w *bytes.Buffer, sh *model.Shape, tab api.Table, i int32, p unsafe.Pointer, bodyOnly bool) error {
	if p == nil {
		w.WriteString("{}")
		return nil
	}
	e := typedEncoders.Get().(*encoder)
	e.w = w
	err := e.typedStructure(sh, tab, i, p, bodyOnly, 0)
	e.w = nil
	typedEncoders.Put(e)
	return err
}

// typedEncoders keep their map readers' arrays from one response to the
// next: a response with maps (every DynamoDB item is one, and each of its
// attribute values a structure read through one) otherwise allocated a
// reader, its key and value arrays and a reflect key per map level. A
// reader's depth is back to zero when typedStructure returns (typedMap
// leaves every level it enters, in a defer).
var typedEncoders = sync.Pool{New: func() any { return new(encoder) }}

func (e *encoder) typedStructure(sh *model.Shape, tab api.Table, i int32, p unsafe.Pointer, bodyOnly bool, depth int) error {
	fs := tab[i].Fields
	if len(fs) != len(sh.Members) {
		return ErrTableMismatch
	}
	e.w.WriteByte('{')
	first := true
	for k, mr := range sh.Members {
		f := &fs[k]
		fp := unsafe.Add(p, f.Off)
		if api.Absent(f, fp) || (bodyOnly && mr.Location != model.LocationBody) {
			continue
		}
		if !first {
			e.w.WriteByte(',')
		}
		first = false
		e.string(WireName(mr))
		e.w.WriteByte(':')
		if err := e.typedValue(mr, tab, f, fp, depth+1); err != nil {
			return err
		}
	}
	e.w.WriteByte('}')
	return nil
}

// typedValue writes the value of kind f.Kind at p, of reference ref, as
// value writes its dynamic form.
func (e *encoder) typedValue(ref *model.Ref, tab api.Table, f *api.Field, p unsafe.Pointer, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("jsonbody: value nested deeper than %d", maxDepth)
	}
	if api.Absent(f, p) {
		e.w.WriteString("null")
		return nil
	}
	if ref.JSONValue {
		return e.value(ref, tab.Dyn(f, p), depth)
	}
	sh := ref.Shape
	switch f.Kind {
	case api.KString:
		if sh.Type == model.String || sh.Type == model.Character {
			e.string(*(*string)(p))
			return nil
		}
	case api.KStringPtr:
		if sh.Type == model.String || sh.Type == model.Character {
			e.string(**(**string)(p))
			return nil
		}
	case api.KInt32, api.KInt32Ptr:
		if sh.Type == model.Integer || sh.Type == model.Long {
			if f.Kind == api.KInt32Ptr {
				p = *(*unsafe.Pointer)(p)
			}
			n := (*int32)(p)
			e.w.Write(strconv.AppendInt(e.scratch[:0], int64(*n), 10))
			return nil
		}
	case api.KInt64, api.KInt64Ptr:
		if sh.Type == model.Integer || sh.Type == model.Long {
			if f.Kind == api.KInt64Ptr {
				p = *(*unsafe.Pointer)(p)
			}
			n := (*int64)(p)
			e.w.Write(strconv.AppendInt(e.scratch[:0], *n, 10))
			return nil
		}
	case api.KFloat64, api.KFloat64Ptr:
		if sh.Type == model.Float || sh.Type == model.Double {
			if f.Kind == api.KFloat64Ptr {
				p = *(*unsafe.Pointer)(p)
			}
			x := (*float64)(p)
			e.float(*x)
			return nil
		}
	case api.KBool, api.KBoolPtr:
		if sh.Type == model.Boolean {
			if f.Kind == api.KBoolPtr {
				p = *(*unsafe.Pointer)(p)
			}
			b := (*bool)(p)
			if *b {
				e.w.WriteString("true")
			} else {
				e.w.WriteString("false")
			}
			return nil
		}
	case api.KTime, api.KTimePtr:
		if sh.Type == model.Timestamp {
			if f.Kind == api.KTimePtr {
				p = *(*unsafe.Pointer)(p)
			}
			t := (*time.Time)(p)
			e.timestamp(ref, t.UTC())
			return nil
		}
	case api.KBytes:
		if sh.Type == model.Blob {
			e.blob(*(*[]byte)(p))
			return nil
		}
	case api.KStruct, api.KStructPtr:
		if sh.Type == model.Structure {
			if f.Kind == api.KStructPtr {
				p = *(*unsafe.Pointer)(p)
			}
			return e.typedStructure(sh, tab, f.Type, p, false, depth)
		}
	case api.KList:
		if sh.Type == model.List {
			return e.typedList(sh, tab, f.Type, p, depth)
		}
	case api.KMap:
		if sh.Type == model.Map {
			return e.typedMap(sh, tab, f.Type, p, depth)
		}
	}
	// Anything else (float32's rounding, documents, a reader, a kind
	// the shape does not expect) is written from its dynamic form, with
	// the dynamic encoder's result or error.
	return e.value(ref, tab.Dyn(f, p), depth)
}

func (e *encoder) typedList(sh *model.Shape, tab api.Table, i int32, p unsafe.Pointer, depth int) error {
	ent := &tab[i]
	data, n := api.List(p)
	e.w.WriteByte('[')
	for k := range n {
		if k > 0 {
			e.w.WriteByte(',')
		}
		if err := e.typedValue(sh.Member, tab, &ent.Elem, unsafe.Add(data, uintptr(k)*ent.Size), depth+1); err != nil {
			return err
		}
	}
	e.w.WriteByte(']')
	return nil
}

// typedMap writes a map[string]V by sorted key, leaving out the values
// without a dynamic form, as mapValue does.
func (e *encoder) typedMap(sh *model.Shape, tab api.Table, i int32, p unsafe.Pointer, depth int) error {
	ent := &tab[i]
	m := e.maps.Enter()
	defer e.maps.Leave()
	m.Read(tab, i, p)
	e.w.WriteByte('{')
	first := true
	for k := range m.Len() {
		key, vp := m.At(k)
		if api.Absent(&ent.Elem, vp) {
			continue
		}
		if !first {
			e.w.WriteByte(',')
		}
		first = false
		e.string(key)
		e.w.WriteByte(':')
		if err := e.typedValue(sh.Value, tab, &ent.Elem, vp, depth+1); err != nil {
			return err
		}
	}
	e.w.WriteByte('}')
	return nil
}

func (e *encoder) timestamp(ref *model.Ref, t time.Time) {
	switch format := ref.TimestampFormatOr(model.UnixTimestamp); format {
	case model.UnixTimestamp:
		e.w.WriteString(FormatTimestamp(t, model.UnixTimestamp))
	default:
		e.string(FormatTimestamp(t, format))
	}
}

func (e *encoder) blob(b []byte) {
	e.w.WriteByte('"')
	e.w.Grow(base64.StdEncoding.EncodedLen(len(b)) + 1)
	e.w.Write(base64.StdEncoding.AppendEncode(e.w.AvailableBuffer(), b))
	e.w.WriteByte('"')
}

// EncodeTyped is Encode for the value of kind f.Kind at p, a member of a
// structure of tab.
func EncodeTyped(w *bytes.Buffer, ref *model.Ref, tab api.Table, f *api.Field, p unsafe.Pointer) error {
	e := encoder{w: w}
	return e.typedValue(ref, tab, f, p, 0)
}
