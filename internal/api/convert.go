package api

import (
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"time"
)

// Converter moves values between the codecs' dynamic form (see
// internal/model) and generated typed shapes, by reflection over the
// `aws:"Member"` field tags. It caches field tables per type; create one
// and share it.
type Converter struct {
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

func (c *Converter) fieldsOf(t reflect.Type) []fieldInfo {
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

// ToTyped fills dst, a pointer to a generated structure, from a dynamic
// structure value.
func (c *Converter) ToTyped(src map[string]any, dst any) error {
	v := reflect.ValueOf(dst)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("api: ToTyped needs a pointer to a struct, got %T", dst)
	}
	return c.setStruct(v.Elem(), src, "")
}

func (c *Converter) setStruct(v reflect.Value, src map[string]any, path string) error {
	for _, f := range c.fieldsOf(v.Type()) {
		val, ok := src[f.name]
		if !ok || val == nil {
			continue
		}
		if err := c.set(v.Field(f.index), val, path+"."+f.name); err != nil {
			return err
		}
	}
	return nil
}

func (c *Converter) set(dst reflect.Value, val any, path string) error {
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
				return mismatch(path, t, val)
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
			return mismatch(path, t, val)
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		p := reflect.New(t.Elem())
		if err := c.set(p.Elem(), val, path); err != nil {
			return err
		}
		dst.Set(p)
	case reflect.Struct:
		if t == timeType {
			tm, ok := val.(time.Time)
			if !ok {
				return mismatch(path, t, val)
			}
			dst.Set(reflect.ValueOf(tm))
			return nil
		}
		m, ok := val.(map[string]any)
		if !ok {
			return mismatch(path, t, val)
		}
		return c.setStruct(dst, m, path)
	case reflect.String:
		s, ok := val.(string)
		if !ok {
			return mismatch(path, t, val)
		}
		dst.SetString(s)
	case reflect.Bool:
		b, ok := val.(bool)
		if !ok {
			return mismatch(path, t, val)
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
				return mismatch(path, t, val)
			}
		default:
			return mismatch(path, t, val)
		}
		if dst.OverflowInt(n) {
			return fmt.Errorf("%s: %d out of range for %s", strings.TrimPrefix(path, "."), n, t)
		}
		dst.SetInt(n)
	case reflect.Float32, reflect.Float64:
		switch x := val.(type) {
		case float64:
			dst.SetFloat(x)
		case int64:
			dst.SetFloat(float64(x))
		default:
			return mismatch(path, t, val)
		}
	case reflect.Slice:
		l, ok := val.([]any)
		if !ok {
			return mismatch(path, t, val)
		}
		s := reflect.MakeSlice(t, len(l), len(l))
		for i, e := range l {
			if e == nil {
				continue
			}
			if err := c.set(s.Index(i), e, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		dst.Set(s)
	case reflect.Map:
		m, ok := val.(map[string]any)
		if !ok {
			return mismatch(path, t, val)
		}
		out := reflect.MakeMapWithSize(t, len(m))
		for k, e := range m {
			ev := reflect.New(t.Elem()).Elem()
			if e != nil {
				if err := c.set(ev, e, path+"."+k); err != nil {
					return err
				}
			}
			out.SetMapIndex(reflect.ValueOf(k).Convert(t.Key()), ev)
		}
		dst.Set(out)
	default:
		return mismatch(path, t, val)
	}
	return nil
}

func mismatch(path string, t reflect.Type, val any) error {
	return fmt.Errorf("%s: cannot use %T as %s", strings.TrimPrefix(path, "."), val, t)
}

// ToDynamic converts a generated structure (pointer or value) into a
// dynamic structure value. Nil pointers, nil slices and nil maps are
// absent; empty non-nil slices and maps are present and empty, since AWS
// distinguishes an empty list from a missing one in several outputs.
func (c *Converter) ToDynamic(src any) map[string]any {
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

func (c *Converter) structValue(v reflect.Value) map[string]any {
	out := map[string]any{}
	for _, f := range c.fieldsOf(v.Type()) {
		if dv, ok := c.dynamic(v.Field(f.index)); ok {
			out[f.name] = dv
		}
	}
	return out
}

func (c *Converter) dynamic(v reflect.Value) (any, bool) {
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
		return v.Interface().(time.Time).UTC(), true
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
		it := v.MapRange()
		for it.Next() {
			out[it.Key().String()], _ = c.dynamic(it.Value())
		}
		return out, true
	}
	return nil, false
}
