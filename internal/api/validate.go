package api

import (
	"reflect"
	"sync"
	"unsafe"

	"github.com/niwa-cloud/niwa/internal/model"
)

// Validator checks typed inputs (pointers to generated structures)
// against their model's constraints, as Model.Validate checks their
// dynamic form: the same violations (paths, values, messages), in the
// same order. It walks a structure's table entry beside the model shape
// (field k is member k), reading values in place, and skips every value
// whose shape can break no constraint (model.Shape.Unconstrained); a path
// is spelled out, and a value boxed, only for a violation, so a valid
// input costs no allocation. Create one and share it.
//
// Where the typed form cannot tell what the tree could, it is validated
// as what it holds: a null list element or map value is its zero value in
// the typed form (an empty string, a zero structure), and is checked as
// one, where Validate skips a nil element. The codecs give no nil map
// values; a JSON list may be sparse.
type Validator struct {
	// Model words the violations and caches the compiled patterns.
	Model *model.Validator
	walks sync.Pool // *typedWalk, with its path stack
}

// Validate checks in, an input of ref's shape.
func (v *Validator) Validate(ref *model.Ref, in Typed) []model.Violation {
	if ref == nil {
		return nil
	}
	w, _ := v.walks.Get().(*typedWalk)
	if w == nil {
		w = new(typedWalk)
	}
	tab, i := in.ConvType()
	w.v, w.t = v.Model, tab
	w.structure(ref.Shape, i, reflect.ValueOf(in).UnsafePointer())
	out := w.out
	*w = typedWalk{path: w.path}
	v.walks.Put(w)
	return out
}

// typedWalk is one typed validation.
type typedWalk struct {
	v    *model.Validator
	t    Table
	out  []model.Violation
	path model.Path // the member, element, key or value being checked
}

// structure checks the structure at p (nil: every member absent) of
// entry e against sh.
func (w *typedWalk) structure(sh *model.Shape, e int32, p unsafe.Pointer) {
	fs := w.t[e].Fields
	if len(fs) != len(sh.Members) {
		// Not the shape's generated structure: validate its dynamic
		// form (never the case for generated inputs, which
		// internal/codegen/allshapes checks).
		m := w.t.ToDynamic(e, p)
		if m == nil {
			m = map[string]any{}
		}
		w.v.ValidateValue(&model.Ref{Shape: sh}, m, &w.path, &w.out)
		return
	}
	for k, idx := range sh.RequiredIndex() {
		if idx < 0 || p == nil || Absent(&fs[idx], unsafe.Add(p, fs[idx].Off)) {
			w.path.Member(sh.Required[k])
			w.out = append(w.out, model.Violation{Path: w.path.String(), Message: "Member must not be null"})
			w.path.Pop()
		}
	}
	if p == nil {
		return
	}
	for k, m := range sh.Members {
		if m.Shape.Unconstrained() {
			continue
		}
		f := &fs[k]
		w.path.Member(m.Name)
		w.value(m, f, unsafe.Add(p, f.Off))
		w.path.Pop()
	}
}

// value checks the value of kind f.Kind at p, of ref, as Validate's value
// checks its dynamic form; absent values are skipped.
func (w *typedWalk) value(ref *model.Ref, f *Field, p unsafe.Pointer) {
	sh := ref.Shape
	if f.Kind == KAny {
		// A document or jsonvalue member holds the dynamic form itself.
		if x := *(*any)(p); x != nil {
			w.v.ValidateValue(ref, x, &w.path, &w.out)
		}
		return
	}
	switch sh.Type {
	case model.Structure:
		switch f.Kind {
		case KStruct:
			w.structure(sh, f.Type, p)
		case KStructPtr:
			if s := *(*unsafe.Pointer)(p); s != nil {
				w.structure(sh, f.Type, s)
			}
		}
	case model.List:
		if f.Kind != KList {
			return
		}
		h := (*sliceHeader)(p)
		if h.data == nil {
			return
		}
		if !model.LengthValid(sh, h.len) {
			model.LengthViolations(sh, h.len, w.path.String(), w.t.dyn(f, p), &w.out)
		}
		if sh.Member.Shape.Unconstrained() {
			return
		}
		e := &w.t[f.Type]
		for k := range h.len {
			w.path.Elem(k)
			w.value(sh.Member, &e.Elem, unsafe.Add(h.data, uintptr(k)*e.Size))
			w.path.Pop()
		}
	case model.Map:
		if f.Kind == KMap && *(*unsafe.Pointer)(p) != nil {
			w.mapValue(sh, f, p)
		}
	case model.String:
		switch f.Kind {
		case KString:
			w.str(sh, *(*string)(p))
		case KStringPtr:
			if s := *(**string)(p); s != nil {
				w.str(sh, *s)
			}
		}
	case model.Blob:
		// A streaming blob (KReader) is read later, by the handler: its
		// length is not known here, as it is not in the dynamic form.
		if f.Kind == KBytes {
			if b := *(*[]byte)(p); b != nil && !model.LengthValid(sh, len(b)) {
				model.LengthViolations(sh, len(b), w.path.String(), b, &w.out)
			}
		}
	case model.Integer, model.Long:
		var n int64
		switch f.Kind {
		case KInt32:
			n = int64(*(*int32)(p))
		case KInt64:
			n = *(*int64)(p)
		case KInt32Ptr:
			x := *(**int32)(p)
			if x == nil {
				return
			}
			n = int64(*x)
		case KInt64Ptr:
			x := *(**int64)(p)
			if x == nil {
				return
			}
			n = *x
		default:
			return
		}
		if !model.RangeValid(sh, n) {
			model.RangeViolations(sh, n, w.path.String(), &w.out)
		}
	}
}

// str checks the string s of shape sh.
func (w *typedWalk) str(sh *model.Shape, s string) {
	if !w.v.StringValid(sh, s) {
		w.v.StringViolations(sh, s, w.path.String(), &w.out)
	}
}

// mapValue checks the (non-nil) map at p, of map entry f.Type: its
// length, then each key and value; the entries' violations in key order,
// as Validate reports them.
func (w *typedWalk) mapValue(sh *model.Shape, f *Field, p unsafe.Pointer) {
	e := &w.t[f.Type]
	keys, values := !sh.Key.Shape.Unconstrained(), !sh.Value.Shape.Unconstrained()
	if e.Elem.Kind == KString {
		// The common map[string]string, without reflection.
		m := *(*map[string]string)(p)
		if !model.LengthValid(sh, len(m)) {
			model.LengthViolations(sh, len(m), w.path.String(), w.t.dyn(f, p), &w.out)
		}
		if !keys && !values {
			return
		}
		mark := len(w.out)
		for k, v := range m {
			w.stringEntry(sh, k, v, keys, values)
		}
		if len(w.out) > mark && len(m) > 1 {
			w.out = w.out[:mark]
			for _, k := range model.SortedKeys(m) {
				w.stringEntry(sh, k, m[k], keys, values)
			}
		}
		return
	}
	m := *(*unsafe.Pointer)(p)
	n := e.Map.len(m)
	if !model.LengthValid(sh, n) {
		model.LengthViolations(sh, n, w.path.String(), w.t.dyn(f, p), &w.out)
	}
	if !keys && !values || n == 0 {
		return
	}
	e.Map.walk(w, sh, &e.Elem, m, keys, values)
}

// key checks a map key, as Validate's mapEntry does.
func (w *typedWalk) key(sh *model.Shape, k string) {
	if sh.Key.Shape.Type == model.String && !w.v.StringValid(sh.Key.Shape, k) {
		w.path.Key()
		w.v.StringViolations(sh.Key.Shape, k, w.path.String(), &w.out)
		w.path.Pop()
	}
}

// entry checks a map's key k and the value at p.
func (w *typedWalk) entry(sh *model.Shape, elem *Field, k string, p unsafe.Pointer, keys, values bool) {
	if keys {
		w.key(sh, k)
	}
	if values {
		w.path.Value(k)
		w.value(sh.Value, elem, p)
		w.path.Pop()
	}
}

// stringEntry checks a map[string]string's key k and value v.
func (w *typedWalk) stringEntry(sh *model.Shape, k, v string, keys, values bool) {
	if keys {
		w.key(sh, k)
	}
	if values && sh.Value.Shape.Type == model.String {
		w.path.Value(k)
		w.str(sh.Value.Shape, v)
		w.path.Pop()
	}
}
