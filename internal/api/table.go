package api

import (
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/niwa-cloud/niwa/internal/model"
)

// Table-driven conversion between the codecs' dynamic tree and the
// generated shapes. Every generated API package holds one static table
// (conv.go, written by internal/codegen): an entry per Go type it
// declares or uses as a member — each structure, each list type []E, each
// map type map[string]V, each event stream — with, for a structure, its
// members' tree names, kinds, field offsets and entries. One interpreter
// (this file) converts both ways with them; a generated structure's only
// code is the method naming its entry (Typed). The table is data the
// linker lays out (no code runs to build it), so the per-shape cost is a
// few bytes per member instead of the compiled methods it replaces.
//
// Fields are read and written through unsafe.Pointer at the offsets the
// compiler computed (unsafe.Offsetof in the generated table), as
// protobuf-go's fast path does: stores are typed (*string, *[]byte,
// *unsafe.Pointer ...), so the garbage collector's write barriers apply.
// Structures are allocated with reflect.New and lists grown with
// reflect.Value.Grow from the entry's type, so every allocation carries
// its type's pointer map. Map types have a generic MapOf[V] each (maps.go)
// since a map can only be built or walked with its type known. The semantics are exactly Reflect's, which the equivalence test
// in internal/codegen/allshapes holds this interpreter to over every
// shape of every service; TestTablesMatchTypes there checks every entry's
// offsets, kinds and sizes against its Go type, and under -race checkptr
// watches the pointer arithmetic.

// Kind is how a member, list element or map value is held in Go.
type Kind uint8

// The kinds. A structure member holds scalars through pointers (the Ptr
// kinds: nil is absent); list elements and map values hold them as
// values.
const (
	KString     Kind = iota + 1 // string
	KBool                       // bool
	KInt32                      // int32
	KInt64                      // int64
	KFloat32                    // float32
	KFloat64                    // float64
	KTime                       // time.Time
	KStringPtr                  // *string
	KBoolPtr                    // *bool
	KInt32Ptr                   // *int32
	KInt64Ptr                   // *int64
	KFloat32Ptr                 // *float32
	KFloat64Ptr                 // *float64
	KTimePtr                    // *time.Time
	KBytes                      // []byte
	KAny                        // any: a document or a JSON value, taken as it is
	KReader                     // io.Reader: a streaming blob
	KStruct                     // a structure value (a list element or map value); Type is its entry
	KStructPtr                  // a pointer to a structure (a member); Type is its entry
	KList                       // a []E; Type is its entry
	KMap                        // a map[string]V; Type is its entry
	KStream                     // an EventStream[E] (an output's event stream); Type is its entry
)

// Field is a structure member: its name in the dynamic tree, its offset
// in the Go structure, its kind and, for the kinds that have one, its
// entry in the table.
type Field struct {
	Name string
	Off  uintptr
	Type int32
	Kind Kind
}

// Type is a table entry: a structure, list, map or event stream type.
type Type struct {
	// Go is a nil pointer to the type, (*T)(nil): what allocation and
	// error messages take the type from.
	Go any
	// Fields are a structure's members, in model order.
	Fields []Field
	// Elem is a list's element or a map's value (Name and Off unused),
	// and Size a list element's size.
	Elem Field
	Size uintptr
	// Map is a map type's MapOf[V] (maps.go). StreamTo is an event
	// stream type's StreamTo[E]; it takes the function itself, not its
	// address: an address passed to a function value escapes.
	Map      MapType
	StreamTo func(unsafe.Pointer) model.EventStream
}

// Table is a generated package's conversion table.
type Table []Type

// Typed is implemented by (pointers to) the generated structures: their
// package's table and their entry in it.
type Typed interface {
	ConvType() (Table, int32)
}

// typeOf is the Go type of entry i.
func (t Table) typeOf(i int32) reflect.Type { return reflect.TypeOf(t[i].Go).Elem() }

// FromDynamic fills the structure at p, of entry i, from a dynamic
// structure value.
func (t Table) FromDynamic(i int32, p unsafe.Pointer, m map[string]any) error {
	fs := t[i].Fields
	// A tree with few of the structure's members (most requests, every
	// DynamoDB attribute value) is walked by its keys, each looked for
	// among the fields, rather than looking every member up in it. On an
	// error the member-order walk below runs instead, so that the error
	// reported is the first in member order, as Reflect reports it.
	if len(m)*4 <= len(fs) && t.fromKeys(fs, p, m) == nil {
		return nil
	}
	for k := range fs {
		f := &fs[k]
		v := m[f.Name]
		if v == nil {
			continue
		}
		if err := t.set(f, unsafe.Add(p, f.Off), v); err != nil {
			return at(err, "."+f.Name)
		}
	}
	return nil
}

// fromKeys sets the fields of the structure at p named by m's keys.
func (t Table) fromKeys(fs []Field, p unsafe.Pointer, m map[string]any) error {
	for name, v := range m {
		if v == nil {
			continue
		}
		for k := range fs {
			if f := &fs[k]; f.Name == name {
				if err := t.set(f, unsafe.Add(p, f.Off), v); err != nil {
					return err
				}
				break
			}
		}
	}
	return nil
}

// ToDynamic is the dynamic form of the structure at p, of entry i (nil
// for a nil p).
func (t Table) ToDynamic(i int32, p unsafe.Pointer) map[string]any {
	if p == nil {
		return nil
	}
	fs := t[i].Fields
	m := make(map[string]any, min(len(fs), 8))
	for k := range fs {
		if v := t.dyn(&fs[k], unsafe.Add(p, fs[k].Off)); v != nil {
			m[fs[k].Name] = v
		}
	}
	return m
}

func mismatchOf[T any](v any) error { return mismatch(reflect.TypeFor[T](), v) }

// integer is the integer of a dynamic number: an int64, or a float64
// without a fraction.
func integer[T int32 | int64](v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case float64:
		n := int64(x)
		if float64(n) != x {
			return 0, mismatchOf[T](v)
		}
		return n, nil
	}
	return 0, mismatchOf[T](v)
}

func int32Of(v any) (int32, error) {
	n, err := integer[int32](v)
	if err != nil {
		return 0, err
	}
	if int64(int32(n)) != n {
		return 0, overflow(n, reflect.TypeFor[int32]())
	}
	return int32(n), nil
}

func float[T float32 | float64](v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case int64:
		return float64(x), nil
	}
	return 0, mismatchOf[T](v)
}

// sliceHeader is the layout of a slice.
type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

// zeroArray is where an empty, non-nil list points (make([]T, 0) points
// at the runtime's equivalent); nothing is ever stored there.
var zeroArray struct{}

// set fills the value of kind f.Kind at p from the non-nil dynamic value
// v. The pointer kinds are set only when the conversion succeeds.
func (t Table) set(f *Field, p unsafe.Pointer, v any) error {
	switch f.Kind {
	case KStringPtr:
		s, ok := v.(string)
		if !ok {
			return mismatchOf[string](v)
		}
		*(**string)(p) = &s
	case KString:
		s, ok := v.(string)
		if !ok {
			return mismatchOf[string](v)
		}
		*(*string)(p) = s
	case KBoolPtr:
		b, ok := v.(bool)
		if !ok {
			return mismatchOf[bool](v)
		}
		*(**bool)(p) = &b
	case KBool:
		b, ok := v.(bool)
		if !ok {
			return mismatchOf[bool](v)
		}
		*(*bool)(p) = b
	case KInt32Ptr:
		n, err := int32Of(v)
		if err != nil {
			return err
		}
		*(**int32)(p) = &n
	case KInt32:
		n, err := int32Of(v)
		if err != nil {
			return err
		}
		*(*int32)(p) = n
	case KInt64Ptr:
		n, err := integer[int64](v)
		if err != nil {
			return err
		}
		*(**int64)(p) = &n
	case KInt64:
		n, err := integer[int64](v)
		if err != nil {
			return err
		}
		*(*int64)(p) = n
	case KFloat32Ptr:
		x, err := float[float32](v)
		if err != nil {
			return err
		}
		f32 := float32(x)
		*(**float32)(p) = &f32
	case KFloat32:
		x, err := float[float32](v)
		if err != nil {
			return err
		}
		*(*float32)(p) = float32(x)
	case KFloat64Ptr:
		x, err := float[float64](v)
		if err != nil {
			return err
		}
		*(**float64)(p) = &x
	case KFloat64:
		x, err := float[float64](v)
		if err != nil {
			return err
		}
		*(*float64)(p) = x
	case KTimePtr:
		tm, ok := v.(time.Time)
		if !ok {
			return mismatchOf[time.Time](v)
		}
		*(**time.Time)(p) = &tm
	case KTime:
		tm, ok := v.(time.Time)
		if !ok {
			return mismatchOf[time.Time](v)
		}
		*(*time.Time)(p) = tm
	case KBytes:
		switch b := v.(type) {
		case []byte:
			*(*[]byte)(p) = b
		case string:
			*(*[]byte)(p) = []byte(b)
		default:
			return mismatchOf[[]byte](v)
		}
	case KAny:
		*(*any)(p) = v
	case KReader:
		r, ok := v.(io.Reader)
		if !ok {
			b, isBytes := v.([]byte)
			if !isBytes {
				return mismatchOf[io.Reader](v)
			}
			r = strings.NewReader(string(b))
		}
		*(*io.Reader)(p) = r
	case KStruct:
		m, ok := v.(map[string]any)
		if !ok {
			return mismatch(t.typeOf(f.Type), v)
		}
		return t.FromDynamic(f.Type, p, m)
	case KStructPtr:
		m, ok := v.(map[string]any)
		if !ok {
			return mismatch(t.typeOf(f.Type), v)
		}
		s := reflect.New(t.typeOf(f.Type)).UnsafePointer()
		if err := t.FromDynamic(f.Type, s, m); err != nil {
			return err
		}
		*(*unsafe.Pointer)(p) = s
	case KList:
		return t.setList(f.Type, p, v)
	case KMap:
		m, ok := v.(map[string]any)
		if !ok {
			return mismatch(t.typeOf(f.Type), v)
		}
		e := &t[f.Type]
		out, err := e.Map.from(t, &e.Elem, m)
		if err != nil {
			return err
		}
		*(*unsafe.Pointer)(p) = out
	default: // KStream: an event stream has no dynamic input form
		return mismatch(t.typeOf(f.Type), v)
	}
	return nil
}

// setList sets the list at p, of entry i, from a dynamic list; nil
// elements stay zero.
func (t Table) setList(i int32, p unsafe.Pointer, v any) error {
	l, ok := v.([]any)
	if !ok {
		return mismatch(t.typeOf(i), v)
	}
	h := (*sliceHeader)(p)
	old := *h
	if len(l) == 0 {
		*h = sliceHeader{data: unsafe.Pointer(&zeroArray)}
		return nil
	}
	// Grow the field itself: reflect.MakeSlice would allocate the
	// Value's slice header besides the array.
	*h = sliceHeader{}
	reflect.NewAt(t.typeOf(i), p).Elem().Grow(len(l))
	h.len, h.cap = len(l), len(l)
	e := &t[i]
	for k, ev := range l {
		if ev == nil {
			continue
		}
		if err := t.set(&e.Elem, unsafe.Add(h.data, uintptr(k)*e.Size), ev); err != nil {
			*h = old
			return at(err, "["+strconv.Itoa(k)+"]")
		}
	}
	return nil
}

// dyn is the dynamic form of the value of kind f.Kind at p: nil (absent)
// for nil pointers, slices, maps, interfaces and streams.
func (t Table) dyn(f *Field, p unsafe.Pointer) any {
	switch f.Kind {
	case KString:
		return *(*string)(p)
	case KBool:
		return *(*bool)(p)
	case KInt32:
		return int64(*(*int32)(p))
	case KInt64:
		return *(*int64)(p)
	case KFloat32:
		return Float32(*(*float32)(p))
	case KFloat64:
		return *(*float64)(p)
	case KTime:
		return (*time.Time)(p).UTC()
	case KStringPtr:
		if s := *(**string)(p); s != nil {
			return *s
		}
	case KBoolPtr:
		if b := *(**bool)(p); b != nil {
			return *b
		}
	case KInt32Ptr:
		if n := *(**int32)(p); n != nil {
			return int64(*n)
		}
	case KInt64Ptr:
		if n := *(**int64)(p); n != nil {
			return *n
		}
	case KFloat32Ptr:
		if x := *(**float32)(p); x != nil {
			return Float32(*x)
		}
	case KFloat64Ptr:
		if x := *(**float64)(p); x != nil {
			return *x
		}
	case KTimePtr:
		if tm := *(**time.Time)(p); tm != nil {
			return tm.UTC()
		}
	case KBytes:
		if b := *(*[]byte)(p); b != nil {
			return b
		}
	case KAny:
		return *(*any)(p)
	case KReader:
		if r := *(*io.Reader)(p); r != nil {
			return r
		}
	case KStruct:
		return t.ToDynamic(f.Type, p)
	case KStructPtr:
		if s := *(*unsafe.Pointer)(p); s != nil {
			return t.ToDynamic(f.Type, s)
		}
	case KList:
		h := (*sliceHeader)(p)
		if h.data == nil {
			return nil
		}
		e := &t[f.Type]
		out := make([]any, h.len)
		for k := range out {
			out[k] = t.dyn(&e.Elem, unsafe.Add(h.data, uintptr(k)*e.Size))
		}
		return out
	case KMap:
		e := &t[f.Type]
		return e.Map.to(t, &e.Elem, *(*unsafe.Pointer)(p))
	case KStream:
		if fn := *(*unsafe.Pointer)(p); fn != nil {
			return t[f.Type].StreamTo(fn)
		}
	}
	return nil
}

// Float32 is the dynamic form of a float32: rounded through its shortest
// decimal form, so 1.2f encodes as 1.2, not 1.2000000476837158.
func Float32(f float32) float64 {
	r, _ := strconvParseFloat32(f)
	return r
}
