package api

import (
	"reflect"
	"time"
	"unsafe"
)

// The builder: what a codec uses to write a decoded request straight into
// a typed value, without the dynamic tree in between. A codec walks the
// model shape and the table entry side by side (structure entry i's field
// k is the model shape's member k, see table.go) and, for each value it
// reads, calls the setter of its dynamic type on the field's address
// (Table.Field gives both). The setters accept what Table.set accepts for
// a dynamic value of that type, with the same conversions, so a codec
// that calls SetString where the tree had a string builds the value
// FromDynamic would have built; any other kind goes through Table.set
// itself, which answers the Converter's error ("cannot use string as
// int32") the same way. Errors carry no path: a codec that must word an
// error exactly falls back to the tree.
//
// Nothing here knows a wire format: the JSON codec uses it today, the
// query and XML decoders can tomorrow. On an error the value is left
// partly written; the caller discards it.

// Field returns field k of structure entry i and its address in the
// structure at p.
func (t Table) Field(i int32, k int, p unsafe.Pointer) (*Field, unsafe.Pointer) {
	f := &t[i].Fields[k]
	return f, unsafe.Add(p, f.Off)
}

// NumFields is the number of members of structure entry i.
func (t Table) NumFields(i int32) int { return len(t[i].Fields) }

// Clear sets the value of kind f.Kind at p to its zero value (absent for
// a member): what a JSON null over an earlier duplicate key leaves.
func (t Table) Clear(f *Field, p unsafe.Pointer) {
	switch f.Kind {
	case KStruct:
		reflect.NewAt(t.typeOf(f.Type), p).Elem().SetZero()
	case KString:
		*(*string)(p) = ""
	case KBool:
		*(*bool)(p) = false
	case KInt32:
		*(*int32)(p) = 0
	case KInt64:
		*(*int64)(p) = 0
	case KFloat32:
		*(*float32)(p) = 0
	case KFloat64:
		*(*float64)(p) = 0
	case KTime:
		*(*time.Time)(p) = time.Time{}
	case KBytes, KList:
		*(*sliceHeader)(p) = sliceHeader{}
	case KAny, KReader:
		*(*any)(p) = nil
	default: // the pointer kinds, maps and streams are one pointer
		*(*unsafe.Pointer)(p) = nil
	}
}

// SetString sets the value at p from a dynamic string.
func (t Table) SetString(f *Field, p unsafe.Pointer, s string) error {
	switch f.Kind {
	case KStringPtr:
		*(**string)(p) = &s
	case KString:
		*(*string)(p) = s
	default:
		return t.set(f, p, s)
	}
	return nil
}

// SetBool sets the value at p from a dynamic boolean.
func (t Table) SetBool(f *Field, p unsafe.Pointer, b bool) error {
	switch f.Kind {
	case KBoolPtr:
		*(**bool)(p) = &b
	case KBool:
		*(*bool)(p) = b
	default:
		return t.set(f, p, b)
	}
	return nil
}

// SetInt sets the value at p from a dynamic integer (int64).
func (t Table) SetInt(f *Field, p unsafe.Pointer, n int64) error {
	switch f.Kind {
	case KInt64Ptr:
		*(**int64)(p) = &n
	case KInt64:
		*(*int64)(p) = n
	case KInt32Ptr, KInt32:
		if int64(int32(n)) != n {
			return overflow(n, reflect.TypeFor[int32]())
		}
		if f.Kind == KInt32 {
			*(*int32)(p) = int32(n)
		} else {
			m := int32(n)
			*(**int32)(p) = &m
		}
	default:
		return t.set(f, p, n)
	}
	return nil
}

// SetFloat sets the value at p from a dynamic float64.
func (t Table) SetFloat(f *Field, p unsafe.Pointer, x float64) error {
	switch f.Kind {
	case KFloat64Ptr:
		*(**float64)(p) = &x
	case KFloat64:
		*(*float64)(p) = x
	default:
		return t.set(f, p, x)
	}
	return nil
}

// SetTime sets the value at p from a dynamic timestamp.
func (t Table) SetTime(f *Field, p unsafe.Pointer, tm time.Time) error {
	switch f.Kind {
	case KTimePtr:
		*(**time.Time)(p) = &tm
	case KTime:
		*(*time.Time)(p) = tm
	default:
		return t.set(f, p, tm)
	}
	return nil
}

// SetBytes sets the value at p from a dynamic blob, which it keeps.
func (t Table) SetBytes(f *Field, p unsafe.Pointer, b []byte) error {
	if f.Kind == KBytes {
		*(*[]byte)(p) = b
		return nil
	}
	return t.set(f, p, b)
}

// SetAny sets the value at p from any dynamic value (a document, a
// JSON value), as FromDynamic does.
func (t Table) SetAny(f *Field, p unsafe.Pointer, v any) error {
	if v == nil {
		return nil
	}
	return t.set(f, p, v)
}

// Struct makes the structure the value at p holds and returns its entry
// and address, for the codec to fill: a new zero structure for a member
// (KStructPtr: an earlier one is replaced, not merged into), the value
// itself, zeroed, for a list element or map value (KStruct).
func (t Table) Struct(f *Field, p unsafe.Pointer) (int32, unsafe.Pointer, error) {
	switch f.Kind {
	case KStructPtr:
		s := reflect.New(t.typeOf(f.Type)).UnsafePointer()
		*(*unsafe.Pointer)(p) = s
		return f.Type, s, nil
	case KStruct:
		t.Clear(f, p)
		return f.Type, p, nil
	}
	return 0, nil, mismatch(t.structType(f), map[string]any(nil))
}

// structType names the Go type of the value at a field, for the
// mismatch error of a structure, list or map where it holds none.
func (t Table) structType(f *Field) reflect.Type {
	switch f.Kind {
	case KStruct, KStructPtr, KList, KMap, KStream:
		return t.typeOf(f.Type)
	}
	return reflect.TypeFor[map[string]any]()
}

// List starts the list the value at p holds: empty and not nil (an empty
// list is present), replacing an earlier one. Append adds its elements.
func (t Table) List(f *Field, p unsafe.Pointer) error {
	if f.Kind != KList {
		return mismatch(t.structType(f), []any(nil))
	}
	*(*sliceHeader)(p) = sliceHeader{data: unsafe.Pointer(&zeroArray)}
	return nil
}

// Append adds a zero element to the list at p, started by List, and
// returns its field (the list's element) and address. The array grows by
// doubling; Trim gives back the spare capacity.
func (t Table) Append(f *Field, p unsafe.Pointer) (*Field, unsafe.Pointer) {
	e := &t[f.Type]
	h := (*sliceHeader)(p)
	if h.len == h.cap {
		if h.cap == 0 {
			*h = sliceHeader{}
		}
		// Grow the field itself, as setList does: reflect.Value.Grow
		// keeps the array typed and zeroes the new part.
		reflect.NewAt(t.typeOf(f.Type), p).Elem().Grow(1)
	}
	h.len++
	return &e.Elem, unsafe.Add(h.data, uintptr(h.len-1)*e.Size)
}

// Trim ends the list at p: its capacity is its length, as FromDynamic
// leaves it.
func (t Table) Trim(f *Field, p unsafe.Pointer) {
	h := (*sliceHeader)(p)
	h.cap = h.len
}

// SetStringBytes sets the value at p from a dynamic string with b's
// bytes (which it copies). A *string member gets its string's bytes and
// header in one allocation where SetString's &s and the bytes are two.
func (t Table) SetStringBytes(f *Field, p unsafe.Pointer, b []byte) error {
	switch f.Kind {
	case KStringPtr:
		*(**string)(p) = stringPtr(b)
	case KString:
		*(*string)(p) = string(b)
	default:
		return t.set(f, p, string(b))
	}
	return nil
}

// strBox holds a string and, in A, its bytes: one allocation, typed (the
// header's pointer, into the box itself, keeps nothing else alive).
type strBox[A any] struct {
	s string
	a A
}

// boxed is a *string of b's bytes in one strBox[A]; A holds len(b) bytes.
func boxed[A any](b []byte) *string {
	x := new(strBox[A])
	d := (*byte)(unsafe.Pointer(&x.a))
	copy(unsafe.Slice(d, len(b)), b)
	x.s = unsafe.String(d, len(b))
	return &x.s
}

// stringPtr is a *string holding a copy of b.
func stringPtr(b []byte) *string {
	switch n := len(b); {
	case n == 0:
		return new(string)
	case n <= 16:
		return boxed[[16]byte](b)
	case n <= 32:
		return boxed[[32]byte](b)
	case n <= 48:
		return boxed[[48]byte](b)
	case n <= 64:
		return boxed[[64]byte](b)
	case n <= 112:
		return boxed[[112]byte](b)
	}
	s := string(b)
	return &s
}

// Unappend takes back the element Append added last to the list at p
// (a codec's element that decoded to nothing), zeroing it.
func (t Table) Unappend(f *Field, p unsafe.Pointer) {
	e := &t[f.Type]
	h := (*sliceHeader)(p)
	h.len--
	t.Clear(&e.Elem, unsafe.Add(h.data, uintptr(h.len)*e.Size))
}

// Reserve makes room in the list at p, started by List, for n more
// elements, so that Append need not grow it step by step (a codec that
// knows how many items it will read).
func (t Table) Reserve(f *Field, p unsafe.Pointer, n int) {
	h := (*sliceHeader)(p)
	if n <= h.cap-h.len {
		return
	}
	if h.cap == 0 {
		*h = sliceHeader{}
	}
	reflect.NewAt(t.typeOf(f.Type), p).Elem().Grow(n)
}
