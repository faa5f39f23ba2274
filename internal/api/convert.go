package api

import (
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Converter moves values between the codecs' dynamic form (see
// internal/model) and generated typed shapes. Every generated shape
// converts through its package's table (Typed; see table.go and
// internal/codegen); for other types (a service's own ad hoc structures)
// it falls back to Reflect. Create one and share it.
type Converter struct {
	r Reflect
}

// ToTyped fills dst, a pointer to a generated structure, from a dynamic
// structure value.
func (c *Converter) ToTyped(src map[string]any, dst any) error {
	if t, ok := dst.(Typed); ok {
		p := reflect.ValueOf(dst).UnsafePointer()
		if p == nil {
			return fmt.Errorf("api: ToTyped needs a pointer to a struct, got a nil %T", dst)
		}
		tab, i := t.ConvType()
		return tab.FromDynamic(i, p, src)
	}
	return c.r.ToTyped(src, dst)
}

// ToDynamic converts a generated structure (pointer or value) into a
// dynamic structure value. Nil pointers, nil slices and nil maps are
// absent; empty non-nil slices and maps are present and empty, since AWS
// distinguishes an empty list from a missing one in several outputs.
func (c *Converter) ToDynamic(src any) map[string]any {
	return toDynamic(src, &c.r)
}

// toDynamic converts src through its table, or else through r.
func toDynamic(src any, r *Reflect) map[string]any {
	if t, ok := src.(Typed); ok {
		tab, i := t.ConvType()
		return tab.ToDynamic(i, reflect.ValueOf(src).UnsafePointer())
	}
	return r.ToDynamic(src)
}

// Reflect is the reflection converter over the `aws:"Member"` field tags:
// Converter's fallback for types without generated methods, and the
// oracle the generated methods are tested against. It caches field tables
// per type.
type Reflect struct {
	fields sync.Map // reflect.Type -> []fieldInfo
}

type fieldInfo struct {
	index int
	name  string
}

var (
	timeType   = reflect.TypeOf(time.Time{})
	bytesType  = reflect.TypeOf([]byte(nil))
	readerType = reflect.TypeOf((*io.Reader)(nil)).Elem()
	anyType    = reflect.TypeOf((*any)(nil)).Elem()
)

func (c *Reflect) fieldsOf(t reflect.Type) []fieldInfo {
	if f, ok := c.fields.Load(t); ok {
		return f.([]fieldInfo)
	}
	var fs []fieldInfo
	for i := 0; i < t.NumField(); i++ {
		tag := t.Field(i).Tag.Get("aws")
		if tag == "" {
			continue
		}
		fs = append(fs, fieldInfo{index: i, name: tag})
	}
	c.fields.Store(t, fs)
	return fs
}

// ToTyped fills dst, a pointer to a structure, from a dynamic structure
// value.
func (c *Reflect) ToTyped(src map[string]any, dst any) error {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("api: ToTyped needs a pointer to a struct, got %T", dst)
	}
	return c.setStruct(v.Elem(), src)
}

// convError is a conversion error. The location is collected while the
// error unwinds (innermost segment first), so a successful conversion
// formats no paths: building one for every member converted was a large
// share of the conversion's allocations.
type convError struct {
	segs   []string // ".Member", ".mapKey" or "[i]", innermost first
	detail string
}

func (e *convError) Error() string {
	var b strings.Builder
	for i := len(e.segs) - 1; i >= 0; i-- {
		b.WriteString(e.segs[i])
	}
	return strings.TrimPrefix(b.String(), ".") + ": " + e.detail
}

// at adds a path segment to a conversion error passing through.
func at(err error, seg string) error {
	if ce, ok := err.(*convError); ok {
		ce.segs = append(ce.segs, seg)
	}
	return err
}

func (c *Reflect) setStruct(v reflect.Value, src map[string]any) error {
	for _, f := range c.fieldsOf(v.Type()) {
		val, ok := src[f.name]
		if !ok || val == nil {
			continue
		}
		if err := c.set(v.Field(f.index), val); err != nil {
			return at(err, "."+f.name)
		}
	}
	return nil
}

func (c *Reflect) set(dst reflect.Value, val any) error {
	t := dst.Type()
	switch {
	case t == anyType:
		dst.Set(reflect.ValueOf(val))
		return nil
	case t == readerType:
		r, ok := val.(io.Reader)
		if !ok {
			if b, isBytes := val.([]byte); isBytes {
				r = strings.NewReader(string(b))
			} else {
				return mismatch(t, val)
			}
		}
		dst.Set(reflect.ValueOf(r))
		return nil
	case t == bytesType:
		switch b := val.(type) {
		case []byte:
			dst.SetBytes(b)
		case string:
			dst.SetBytes([]byte(b))
		default:
			return mismatch(t, val)
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		p := reflect.New(t.Elem())
		if err := c.set(p.Elem(), val); err != nil {
			return err
		}
		dst.Set(p)
	case reflect.Struct:
		if t == timeType {
			tm, ok := val.(time.Time)
			if !ok {
				return mismatch(t, val)
			}
			dst.Set(reflect.ValueOf(tm))
			return nil
		}
		m, ok := val.(map[string]any)
		if !ok {
			return mismatch(t, val)
		}
		return c.setStruct(dst, m)
	case reflect.String:
		s, ok := val.(string)
		if !ok {
			return mismatch(t, val)
		}
		dst.SetString(s)
	case reflect.Bool:
		b, ok := val.(bool)
		if !ok {
			return mismatch(t, val)
		}
		dst.SetBool(b)
	case reflect.Int32, reflect.Int64:
		var n int64
		switch x := val.(type) {
		case int64:
			n = x
		case float64:
			n = int64(x)
			if float64(n) != x {
				return mismatch(t, val)
			}
		default:
			return mismatch(t, val)
		}
		if dst.OverflowInt(n) {
			return overflow(n, t)
		}
		dst.SetInt(n)
	case reflect.Float32, reflect.Float64:
		switch x := val.(type) {
		case float64:
			dst.SetFloat(x)
		case int64:
			dst.SetFloat(float64(x))
		default:
			return mismatch(t, val)
		}
	case reflect.Slice:
		l, ok := val.([]any)
		if !ok {
			return mismatch(t, val)
		}
		s := reflect.MakeSlice(t, len(l), len(l))
		for i, e := range l {
			if e == nil {
				continue
			}
			if err := c.set(s.Index(i), e); err != nil {
				return at(err, "["+strconv.Itoa(i)+"]")
			}
		}
		dst.Set(s)
	case reflect.Map:
		m, ok := val.(map[string]any)
		if !ok {
			return mismatch(t, val)
		}
		out := reflect.MakeMapWithSize(t, len(m))
		for k, e := range m {
			ev := reflect.New(t.Elem()).Elem()
			if e != nil {
				if err := c.set(ev, e); err != nil {
					return at(err, "."+k)
				}
			}
			out.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), ev)
		}
		dst.Set(out)
	default:
		return mismatch(t, val)
	}
	return nil
}

func overflow(n int64, t reflect.Type) error {
	return &convError{detail: fmt.Sprintf("%d out of range for %s", n, t)}
}

func mismatch(t reflect.Type, val any) error {
	return &convError{detail: fmt.Sprintf("cannot use %T as %s", val, t)}
}

// ToDynamic converts a structure (pointer or value) into a dynamic
// structure value, with Converter.ToDynamic's semantics.
func (c *Reflect) ToDynamic(src any) map[string]any {
	v := reflect.ValueOf(src)
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	return c.structValue(v)
}

func (c *Reflect) structValue(v reflect.Value) map[string]any {
	fs := c.fieldsOf(v.Type())
	out := make(map[string]any, min(len(fs), 8))
	for _, f := range fs {
		if dv, ok := c.dynamic(v.Field(f.index)); ok {
			out[f.name] = dv
		}
	}
	return out
}

func (c *Reflect) dynamic(v reflect.Value) (any, bool) {
	t := v.Type()
	switch {
	case t == anyType || t == readerType:
		if v.IsNil() {
			return nil, false
		}
		return v.Interface(), true
	case t == bytesType:
		if v.IsNil() {
			return nil, false
		}
		return v.Bytes(), true
	case t == timeType:
		if v.CanAddr() {
			// Through its address: Interface on the value copies it to
			// the heap first.
			return v.Addr().Interface().(*time.Time).UTC(), true
		}
		return v.Interface().(time.Time).UTC(), true
	case t.Kind() == reflect.Func && t.Implements(streamerType):
		if v.IsNil() {
			return nil, false
		}
		return v.Interface().(streamer).ToDynamicStream(), true
	}
	switch t.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return nil, false
		}
		return c.dynamic(v.Elem())
	case reflect.Struct:
		return c.structValue(v), true
	case reflect.String:
		return v.String(), true
	case reflect.Bool:
		return v.Bool(), true
	case reflect.Int32, reflect.Int64, reflect.Int:
		return v.Int(), true
	case reflect.Float32:
		// Round through the float32's shortest decimal form so 1.2f
		// encodes as 1.2, not 1.2000000476837158.
		f, _ := strconvParseFloat32(float32(v.Float()))
		return f, true
	case reflect.Float64:
		return v.Float(), true
	case reflect.Slice:
		if v.IsNil() {
			return nil, false
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i], _ = c.dynamic(v.Index(i))
		}
		return out, true
	case reflect.Map:
		if v.IsNil() {
			return nil, false
		}
		out := make(map[string]any, v.Len())
		var it reflect.MapIter // on the stack, unlike MapRange's
		it.Reset(v)
		for it.Next() {
			out[it.Key().String()], _ = c.dynamic(it.Value())
		}
		return out, true
	}
	return nil, false
}
