package api

import (
	"io"
	"reflect"
	"slices"
	"strings"
	"unsafe"
)

// Read helpers for the codecs that encode a response straight from the
// typed output (protocol.TypedEncoder): they walk the same table entries
// Table.ToDynamic walks, reading the fields in place, and decide absence
// exactly as the dynamic form does, so the bytes they write are the
// bytes the dynamic tree would have encoded to.

// Locate returns the table, entry and address of the generated structure
// v points at (a nil address for a nil pointer).
func Locate(v Typed) (Table, int32, unsafe.Pointer) {
	tab, i := v.ConvType()
	return tab, i, reflect.ValueOf(v).UnsafePointer()
}

// TypeOf is the Go type of entry i (a structure, list or map type).
func (t Table) TypeOf(i int32) reflect.Type { return t.typeOf(i) }

// Dyn is the dynamic form of the value of kind f.Kind at p, as
// Table.ToDynamic has it for a member, list element or map value.
func (t Table) Dyn(f *Field, p unsafe.Pointer) any { return t.dyn(f, p) }

// Absent reports whether the value of kind f.Kind at p has no dynamic
// form (Dyn would be nil): a nil pointer, slice, map, interface, reader
// or stream. Scalars held as values and structure values are never
// absent.
func Absent(f *Field, p unsafe.Pointer) bool {
	switch f.Kind {
	case KStringPtr, KBoolPtr, KInt32Ptr, KInt64Ptr, KFloat32Ptr, KFloat64Ptr, KTimePtr, KStructPtr, KMap, KStream:
		return *(*unsafe.Pointer)(p) == nil
	case KBytes, KList:
		return (*sliceHeader)(p).data == nil
	case KAny:
		return *(*any)(p) == nil
	case KReader:
		return *(*io.Reader)(p) == nil
	}
	return false
}

// List returns the elements' address and count of the list at p.
func List(p unsafe.Pointer) (unsafe.Pointer, int) {
	h := (*sliceHeader)(p)
	return h.data, h.len
}

// MapEntries are the entries of a map[string]V in key order, with the
// values copied out into one array so that they can be read in place
// (a map's values are not addressable). Values whose dynamic form is
// absent are kept: the reader decides, as the dynamic form's readers do.
// A MapEntries read again for a map of the same type reuses its arrays.
type MapEntries struct {
	keys []mapKey
	vals sliceHeader
	size uintptr
	typ  reflect.Type
	key  reflect.Value // a string the iteration's keys are set into
	list reflect.Value // vals as a []V
	it   reflect.MapIter
}

// MapReaders holds an encoder's MapEntries, one per nesting level of the
// maps it is writing, so that each level's next map reuses its arrays.
// The zero value is ready.
type MapReaders struct {
	levels []*MapEntries
	depth  int
}

// Enter returns the MapEntries of the next nesting level; Leave ends it.
func (r *MapReaders) Enter() *MapEntries {
	if r.depth == len(r.levels) {
		r.levels = append(r.levels, new(MapEntries))
	}
	r.depth++
	return r.levels[r.depth-1]
}

// Leave ends the level the last Enter began.
func (r *MapReaders) Leave() { r.depth-- }

type mapKey struct {
	k string
	i int
}

// Read fills m with the entries of the map at p, of entry i (none for a
// nil or empty map).
func (m *MapEntries) Read(t Table, i int32, p unsafe.Pointer) {
	mt := t.typeOf(i)
	mv := reflect.NewAt(mt, p).Elem()
	n := mv.Len()
	m.keys = m.keys[:0]
	if n == 0 {
		return
	}
	if m.typ != mt {
		et := mt.Elem()
		m.typ, m.size = mt, et.Size()
		m.vals = sliceHeader{}
		m.list = reflect.NewAt(reflect.SliceOf(et), unsafe.Pointer(&m.vals)).Elem()
		m.key = reflect.New(mt.Key()).Elem()
	}
	if m.vals.cap < n {
		m.list.SetLen(0)
		m.list.Grow(n)
	}
	m.list.SetLen(n)
	m.it.Reset(mv)
	for j := 0; m.it.Next() && j < n; j++ {
		m.key.SetIterKey(&m.it)
		m.list.Index(j).SetIterValue(&m.it)
		m.keys = append(m.keys, mapKey{k: m.key.String(), i: j})
	}
	m.it.Reset(reflect.Value{})
	slices.SortFunc(m.keys, func(a, b mapKey) int { return strings.Compare(a.k, b.k) })
}

// Len is the number of entries.
func (m *MapEntries) Len() int { return len(m.keys) }

// At is entry k's key and the address of its value's copy.
func (m *MapEntries) At(k int) (string, unsafe.Pointer) {
	e := m.keys[k]
	return e.k, unsafe.Add(m.vals.data, uintptr(e.i)*m.size)
}
