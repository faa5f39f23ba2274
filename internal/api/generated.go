package api

import (
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// The helpers below are what the generated FromDynamic and ToDynamic
// methods of every shape (internal/codegen, conv.go of each API package)
// are made of, so the generated code stays a line or two per member. They
// have exactly Reflect's semantics, which the equivalence test in
// internal/codegen/allshapes holds them to.
//
// A Set function fills *dst from a non-nil dynamic value v; a Dyn
// function returns the dynamic form of a value (nil, the absent value, for
// nil slices, maps, []byte and interfaces).

// At adds a member path segment (".Member", ".key", "[i]") to a conversion
// error passing through; other errors pass unchanged.
func At(err error, seg string) error { return at(err, seg) }

func mismatchOf[T any](v any) error { return mismatch(reflect.TypeFor[T](), v) }

// SetString sets a string.
//
//go:noinline
func SetString(dst *string, v any) error {
	s, ok := v.(string)
	if !ok {
		return mismatchOf[string](v)
	}
	*dst = s
	return nil
}

// SetBool sets a bool.
//
//go:noinline
func SetBool(dst *bool, v any) error {
	b, ok := v.(bool)
	if !ok {
		return mismatchOf[bool](v)
	}
	*dst = b
	return nil
}

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

// SetInt32 sets an int32 from an int64 or an integral float64 in range.
//
//go:noinline
func SetInt32(dst *int32, v any) error {
	n, err := integer[int32](v)
	if err != nil {
		return err
	}
	if int64(int32(n)) != n {
		return overflow(n, reflect.TypeFor[int32]())
	}
	*dst = int32(n)
	return nil
}

// SetInt64 sets an int64 from an int64 or an integral float64.
//
//go:noinline
func SetInt64(dst *int64, v any) error {
	n, err := integer[int64](v)
	if err != nil {
		return err
	}
	*dst = n
	return nil
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

// SetFloat32 sets a float32 from a float64 or an int64.
//
//go:noinline
func SetFloat32(dst *float32, v any) error {
	f, err := float[float32](v)
	if err != nil {
		return err
	}
	*dst = float32(f)
	return nil
}

// SetFloat64 sets a float64 from a float64 or an int64.
//
//go:noinline
func SetFloat64(dst *float64, v any) error {
	f, err := float[float64](v)
	if err != nil {
		return err
	}
	*dst = f
	return nil
}

// SetTime sets a time.Time.
//
//go:noinline
func SetTime(dst *time.Time, v any) error {
	t, ok := v.(time.Time)
	if !ok {
		return mismatchOf[time.Time](v)
	}
	*dst = t
	return nil
}

// SetBytes sets a []byte from a []byte (shared) or a string.
//
//go:noinline
func SetBytes(dst *[]byte, v any) error {
	switch b := v.(type) {
	case []byte:
		*dst = b
	case string:
		*dst = []byte(b)
	default:
		return mismatchOf[[]byte](v)
	}
	return nil
}

// SetReader sets an io.Reader from a reader or a []byte.
//
//go:noinline
func SetReader(dst *io.Reader, v any) error {
	r, ok := v.(io.Reader)
	if !ok {
		b, isBytes := v.([]byte)
		if !isBytes {
			return mismatchOf[io.Reader](v)
		}
		r = strings.NewReader(string(b))
	}
	*dst = r
	return nil
}

// SetAny sets an any (a document or a JSON value) to v itself.
//
//go:noinline
func SetAny(dst *any, v any) error {
	*dst = v
	return nil
}

// SetNever fails: a member of type T (an event stream) has no dynamic
// input form.
//
//go:noinline
func SetNever[T any](_ *T, v any) error { return mismatchOf[T](v) }

// The pointer forms of the scalars, for structure members: *dst is set to
// a new value only when the conversion succeeds.

// SetStringPtr sets a *string.
//
//go:noinline
func SetStringPtr(dst **string, v any) error {
	s, ok := v.(string)
	if !ok {
		return mismatchOf[string](v)
	}
	*dst = &s
	return nil
}

// SetBoolPtr sets a *bool.
//
//go:noinline
func SetBoolPtr(dst **bool, v any) error {
	b, ok := v.(bool)
	if !ok {
		return mismatchOf[bool](v)
	}
	*dst = &b
	return nil
}

// SetInt32Ptr sets a *int32.
//
//go:noinline
func SetInt32Ptr(dst **int32, v any) error {
	var n int32
	if err := SetInt32(&n, v); err != nil {
		return err
	}
	*dst = &n
	return nil
}

// SetInt64Ptr sets a *int64.
//
//go:noinline
func SetInt64Ptr(dst **int64, v any) error {
	n, err := integer[int64](v)
	if err != nil {
		return err
	}
	*dst = &n
	return nil
}

// SetFloat32Ptr sets a *float32.
//
//go:noinline
func SetFloat32Ptr(dst **float32, v any) error {
	f, err := float[float32](v)
	if err != nil {
		return err
	}
	f32 := float32(f)
	*dst = &f32
	return nil
}

// SetFloat64Ptr sets a *float64.
//
//go:noinline
func SetFloat64Ptr(dst **float64, v any) error {
	f, err := float[float64](v)
	if err != nil {
		return err
	}
	*dst = &f
	return nil
}

// SetTimePtr sets a *time.Time.
//
//go:noinline
func SetTimePtr(dst **time.Time, v any) error {
	t, ok := v.(time.Time)
	if !ok {
		return mismatchOf[time.Time](v)
	}
	*dst = &t
	return nil
}

// SetStruct fills a generated structure from a dynamic structure value.
//
//go:noinline
func SetStruct(dst FromDynamicer, v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return mismatch(reflect.TypeOf(dst).Elem(), v)
	}
	return dst.FromDynamic(m)
}

// SetList sets a list from a dynamic list; nil elements stay zero.
//
//go:noinline
func SetList[T any](dst *[]T, v any, elem func(*T, any) error) error {
	l, ok := v.([]any)
	if !ok {
		return mismatchOf[[]T](v)
	}
	out := make([]T, len(l))
	for i, e := range l {
		if e == nil {
			continue
		}
		if err := elem(&out[i], e); err != nil {
			return at(err, "["+strconv.Itoa(i)+"]")
		}
	}
	*dst = out
	return nil
}

// SetMap sets a map from a dynamic structure value; nil values are zero.
//
//go:noinline
func SetMap[T any](dst *map[string]T, v any, elem func(*T, any) error) error {
	m, ok := v.(map[string]any)
	if !ok {
		return mismatchOf[map[string]T](v)
	}
	out := make(map[string]T, len(m))
	for k, e := range m {
		var ev T
		if e != nil {
			if err := elem(&ev, e); err != nil {
				return at(err, "."+k)
			}
		}
		out[k] = ev
	}
	*dst = out
	return nil
}

// Float32 is the dynamic form of a float32: rounded through its shortest
// decimal form, so 1.2f encodes as 1.2, not 1.2000000476837158.
//
//go:noinline
func Float32(f float32) float64 {
	r, _ := strconvParseFloat32(f)
	return r
}

// DynString is the dynamic form of a string.
//
//go:noinline
func DynString(s string) any { return s }

// DynBool is the dynamic form of a bool.
//
//go:noinline
func DynBool(b bool) any { return b }

// DynInt32 is the dynamic form of an int32 (an int64).
//
//go:noinline
func DynInt32(n int32) any { return int64(n) }

// DynInt64 is the dynamic form of an int64.
//
//go:noinline
func DynInt64(n int64) any { return n }

// DynFloat32 is the dynamic form of a float32 (see Float32).
//
//go:noinline
func DynFloat32(f float32) any { return Float32(f) }

// DynFloat64 is the dynamic form of a float64.
//
//go:noinline
func DynFloat64(f float64) any { return f }

// DynTime is the dynamic form of a time.Time, in UTC.
//
//go:noinline
func DynTime(t time.Time) any { return t.UTC() }

// DynBytes is the dynamic form of a []byte: nil when nil.
//
//go:noinline
func DynBytes(b []byte) any {
	if b == nil {
		return nil
	}
	return b
}

// DynReader is the dynamic form of an io.Reader.
//
//go:noinline
func DynReader(r io.Reader) any {
	if r == nil {
		return nil
	}
	return r
}

// DynAny is the dynamic form of an any.
//
//go:noinline
func DynAny(v any) any { return v }

// DynList is the dynamic form of a list: nil when nil, else a []any of
// the elements' dynamic forms.
//
//go:noinline
func DynList[T any](l []T, elem func(T) any) any {
	if l == nil {
		return nil
	}
	out := make([]any, len(l))
	for i := range l {
		out[i] = elem(l[i])
	}
	return out
}

// DynMap is the dynamic form of a map: nil when nil, else a
// map[string]any of the values' dynamic forms.
//
//go:noinline
func DynMap[T any](m map[string]T, elem func(T) any) any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = elem(v)
	}
	return out
}

// Decode is one member of a generated FromDynamic: unless err is
// already set or the member name is absent or nil, it sets *dst from it
// with set and returns the error with its member path. The generated code
// is one call per member with no branches: inline code made the compiler
// take several times longer over EC2's thousands of shapes.
//
//go:noinline
func Decode[T any](err error, m map[string]any, name string, dst *T, set func(*T, any) error) error {
	if err != nil {
		return err
	}
	v := m[name]
	if v == nil {
		return nil
	}
	if err := set(dst, v); err != nil {
		return at(err, "."+name)
	}
	return nil
}

// SetStructPtr returns a set function for a pointer to a structure.
func SetStructPtr[T any, PT interface {
	*T
	FromDynamicer
}](dst **T, v any) error {
	p := PT(new(T))
	if err := SetStruct(p, v); err != nil {
		return err
	}
	*dst = p
	return nil
}

// Put sets m[name] to the dynamic form of the scalar *v unless v is nil.
//
//go:noinline
func Put[T any](m map[string]any, name string, v *T, dyn func(T) any) {
	if v != nil {
		m[name] = dyn(*v)
	}
}

// PutBytes sets m[name] to b unless it is nil.
//
//go:noinline
func PutBytes(m map[string]any, name string, b []byte) {
	if b != nil {
		m[name] = b
	}
}

// PutAny sets m[name] to v (an any or an io.Reader) unless it is nil.
//
//go:noinline
func PutAny(m map[string]any, name string, v any) {
	if v != nil {
		m[name] = v
	}
}

// PutStruct sets m[name] to the dynamic form of the structure v unless
// it is a nil pointer.
//
//go:noinline
func PutStruct(m map[string]any, name string, v ToDynamicer) {
	if d := v.ToDynamic(); d != nil {
		m[name] = d
	}
}

// PutList sets m[name] to the dynamic form of the list l unless it is nil.
//
//go:noinline
func PutList[T any](m map[string]any, name string, l []T, elem func(T) any) {
	if l != nil {
		m[name] = DynList(l, elem)
	}
}

// PutMap sets m[name] to the dynamic form of the map v unless it is nil.
//
//go:noinline
func PutMap[T any](m map[string]any, name string, v map[string]T, elem func(T) any) {
	if v != nil {
		m[name] = DynMap(v, elem)
	}
}
