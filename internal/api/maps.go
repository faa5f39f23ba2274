package api

import (
	"reflect"
	"slices"
	"unsafe"

	"github.com/niwa-cloud/niwa/internal/model"
)

// MapType is what the interpreter, the codecs' builder and the validator
// do with a map[string]V whose V only the generated code knows: each map
// type's table entry holds its MapOf[V] (a zero-size value, so the entry
// stays data the linker lays out). Before it, building or walking a map
// went through reflect (MakeMap, a settable key and value made per map,
// SetMapIndex, MapIter copying every value into a reflect variable), a
// few hundred nanoseconds and two allocations per map of every decoded
// request (a DynamoDB item is one map, each nested M another) and a
// reflected copy of every value the validator read. Tables built at run
// time from reflect types (the protocol tests') use ReflectMap.
//
// The methods are unexported: only this package's implementations exist,
// so the unsafe pointers they take are always the entry's own type.
type MapType interface {
	// Type is the map's Go type (the allshapes test holds every entry's
	// to its Go type).
	Type() reflect.Type
	// from is the map[string]V of a dynamic structure value; nil values
	// are zero.
	from(t Table, e *Field, m map[string]any) (unsafe.Pointer, error)
	// to is the dynamic form of the map mp: nil when nil, else a
	// map[string]any of the values' dynamic forms.
	to(t Table, e *Field, mp unsafe.Pointer) any
	// The operations below take the map itself (a map is a pointer), not
	// a field's address: an address passed to an interface method
	// escapes, and would move every value the validator walks to the
	// heap.

	// make is a new empty map.
	make() unsafe.Pointer
	// value is a new zero V, the variable a builder decodes values into.
	value() unsafe.Pointer
	// zero sets the V at v to its zero value.
	zero(v unsafe.Pointer)
	// put stores the V at v under k in m.
	put(m unsafe.Pointer, k string, v unsafe.Pointer)
	// len is m's length.
	len(m unsafe.Pointer) int
	// del removes k from m.
	del(m unsafe.Pointer, k string)
	// walk is the validator's walk of m's entries, its violations in
	// key order.
	walk(w *typedWalk, sh *model.Shape, e *Field, m unsafe.Pointer, keys, values bool)
}

// MapOf is the MapType of map[string]V. Generated tables hold
// MapOf[V]{} in each map type's entry.
type MapOf[V any] struct{}

// Type implements MapType.
func (MapOf[V]) Type() reflect.Type { return reflect.TypeFor[map[string]V]() }

func (MapOf[V]) from(t Table, e *Field, m map[string]any) (unsafe.Pointer, error) {
	out := make(map[string]V, len(m))
	for k, v := range m {
		var ev V
		if v != nil {
			if err := t.set(e, unsafe.Pointer(&ev), v); err != nil {
				return nil, at(err, "."+k)
			}
		}
		out[k] = ev
	}
	return *(*unsafe.Pointer)(unsafe.Pointer(&out)), nil
}

func (MapOf[V]) to(t Table, e *Field, mp unsafe.Pointer) any {
	m := *(*map[string]V)(unsafe.Pointer(&mp))
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = t.dyn(e, unsafe.Pointer(&v))
	}
	return out
}

// asMap is the map[string]V m points at the header of.
func asMap[V any](m unsafe.Pointer) map[string]V { return *(*map[string]V)(unsafe.Pointer(&m)) }

func (MapOf[V]) make() unsafe.Pointer {
	m := map[string]V{}
	return *(*unsafe.Pointer)(unsafe.Pointer(&m))
}
func (MapOf[V]) value() unsafe.Pointer                            { return unsafe.Pointer(new(V)) }
func (MapOf[V]) zero(v unsafe.Pointer)                            { *(*V)(v) = *new(V) }
func (MapOf[V]) len(m unsafe.Pointer) int                         { return len(asMap[V](m)) }
func (MapOf[V]) del(m unsafe.Pointer, k string)                   { delete(asMap[V](m), k) }
func (MapOf[V]) put(m unsafe.Pointer, k string, v unsafe.Pointer) { asMap[V](m)[k] = *(*V)(v) }

func (MapOf[V]) walk(w *typedWalk, sh *model.Shape, e *Field, mp unsafe.Pointer, keys, values bool) {
	m := asMap[V](mp)
	mark := len(w.out)
	for k, v := range m {
		w.entry(sh, e, k, unsafe.Pointer(&v), keys, values)
	}
	if len(w.out) > mark && len(m) > 1 {
		// A map has no order: the violations of its entries are
		// reported in key order, as Validate reports them.
		w.out = w.out[:mark]
		for _, k := range model.SortedKeys(m) {
			v := m[k]
			w.entry(sh, e, k, unsafe.Pointer(&v), keys, values)
		}
	}
}

// ReflectMap is the MapType of the map type mt (map[string]V), through
// reflect: for tables built at run time, whose map types no generated
// code instantiates MapOf with.
func ReflectMap(mt reflect.Type) MapType { return reflectMap{mt} }

type reflectMap struct{ mt reflect.Type }

func (r reflectMap) Type() reflect.Type { return r.mt }

func (r reflectMap) from(t Table, e *Field, m map[string]any) (unsafe.Pointer, error) {
	out := reflect.MakeMapWithSize(r.mt, len(m))
	for k, v := range m {
		ev := reflect.New(r.mt.Elem())
		if v != nil {
			if err := t.set(e, ev.UnsafePointer(), v); err != nil {
				return nil, at(err, "."+k)
			}
		}
		out.SetMapIndex(reflect.ValueOf(k), ev.Elem())
	}
	return out.UnsafePointer(), nil
}

func (r reflectMap) to(t Table, e *Field, mp unsafe.Pointer) any {
	mv := reflect.NewAt(r.mt, unsafe.Pointer(&mp)).Elem()
	if mv.IsNil() {
		return nil
	}
	out := make(map[string]any, mv.Len())
	for it := mv.MapRange(); it.Next(); {
		ev := reflect.New(r.mt.Elem())
		ev.Elem().Set(it.Value())
		out[it.Key().String()] = t.dyn(e, ev.UnsafePointer())
	}
	return out
}

// of is the reflect value of the map m.
func (r reflectMap) of(m unsafe.Pointer) reflect.Value {
	return reflect.NewAt(r.mt, unsafe.Pointer(&m)).Elem()
}

func (r reflectMap) make() unsafe.Pointer     { return reflect.MakeMap(r.mt).UnsafePointer() }
func (r reflectMap) value() unsafe.Pointer    { return reflect.New(r.mt.Elem()).UnsafePointer() }
func (r reflectMap) zero(v unsafe.Pointer)    { reflect.NewAt(r.mt.Elem(), v).Elem().SetZero() }
func (r reflectMap) len(m unsafe.Pointer) int { return r.of(m).Len() }
func (r reflectMap) del(m unsafe.Pointer, k string) {
	r.of(m).SetMapIndex(reflect.ValueOf(k), reflect.Value{})
}
func (r reflectMap) put(m unsafe.Pointer, k string, v unsafe.Pointer) {
	r.of(m).SetMapIndex(reflect.ValueOf(k), reflect.NewAt(r.mt.Elem(), v).Elem())
}

func (r reflectMap) walk(w *typedWalk, sh *model.Shape, e *Field, m unsafe.Pointer, keys, values bool) {
	mv := r.of(m)
	ks := make([]string, 0, mv.Len())
	for it := mv.MapRange(); it.Next(); {
		ks = append(ks, it.Key().String())
	}
	slices.Sort(ks) // a run-time table's walk may as well be in key order
	for _, k := range ks {
		ev := reflect.New(r.mt.Elem())
		ev.Elem().Set(mv.MapIndex(reflect.ValueOf(k)))
		w.entry(sh, e, k, ev.UnsafePointer(), keys, values)
	}
}

// MapBuilder fills a map[string]V: the codec decodes each value into
// Value's address and then Puts it under its key.
type MapBuilder struct {
	ops   MapType
	m     unsafe.Pointer // the map
	val   unsafe.Pointer // a V, reused for every value
	dirty bool           // val holds a value Value must clear
	Elem  *Field         // the map's value
}

// Map starts the map the value at p holds: empty and not nil, replacing
// an earlier one.
func (t Table) Map(f *Field, p unsafe.Pointer) (MapBuilder, error) {
	if f.Kind != KMap {
		return MapBuilder{}, mismatch(t.structType(f), map[string]any(nil))
	}
	e := &t[f.Type]
	m := e.Map.make()
	*(*unsafe.Pointer)(p) = m
	return MapBuilder{ops: e.Map, m: m, Elem: &e.Elem}, nil
}

// Value is the address of the zeroed value the next Put stores. The
// variable is made on the first call, so an empty map costs none.
func (b *MapBuilder) Value() unsafe.Pointer {
	switch {
	case b.val == nil:
		b.val = b.ops.value()
	case b.dirty:
		b.ops.zero(b.val)
	}
	b.dirty = true
	return b.val
}

// Put stores the value at Value's address under k, replacing an earlier
// value of the same key.
func (b *MapBuilder) Put(k string) {
	if b.val == nil {
		b.Value()
	}
	b.ops.put(b.m, k, b.val)
}

// Delete removes k (a later null over an earlier duplicate key).
func (b *MapBuilder) Delete(k string) { b.ops.del(b.m, k) }
