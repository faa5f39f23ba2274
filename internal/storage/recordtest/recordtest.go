// Package recordtest checks a storage.BinaryRecord's hand-written encoding
// against its struct: Fill sets every field, so a round trip that loses a
// field (one added to the struct but not to the encoder) fails the test.
package recordtest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/storage"
)

var timeType = reflect.TypeFor[time.Time]()

// Fill sets every exported field reachable from v (a pointer to a struct)
// to a non-zero value: strings to their field's name, numbers to 7,
// pointers, slices and maps to one filled element, times to a UTC instant
// with nanoseconds.
func Fill(v any) { fill(reflect.ValueOf(v).Elem(), "v", 0) }

func fill(v reflect.Value, name string, depth int) {
	if depth > 6 {
		return
	}
	if v.Type() == timeType {
		v.Set(reflect.ValueOf(time.Date(2026, 12, 6, 15, 4, 5, 123456789, time.UTC).Add(time.Duration(len(name)) * time.Hour)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(name)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(int64(7 + len(name)))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(uint64(7 + len(name)))
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1.5)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), name, depth+1)
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 2, 2)
		fill(s.Index(0), name+"0", depth+1)
		fill(s.Index(1), name+"1", depth+1)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k := reflect.New(v.Type().Key()).Elem()
		fill(k, name+"k", depth+1)
		e := reflect.New(v.Type().Elem()).Elem()
		fill(e, name+"e", depth+1)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if f := v.Type().Field(i); f.IsExported() {
				fill(v.Field(i), fmt.Sprintf("%s.%s", name, f.Name), depth+1)
			}
		}
	}
}

// RoundTrip fills a T, stores it with storage.EncodeRecord, checks the
// bytes are binary, decodes them and compares field for field.
func RoundTrip[T any](t *testing.T) {
	t.Helper()
	var v T
	Fill(&v)
	data, err := storage.EncodeRecord(&v)
	if err != nil {
		t.Fatal(err)
	}
	if !storage.IsBinaryRecord(data) {
		t.Fatalf("%T is stored as %q, want binary", v, data)
	}
	var got T
	if err := storage.DecodeRecord(data, &got); err != nil {
		t.Fatalf("%T: decode: %v", v, err)
	}
	if !reflect.DeepEqual(got, v) {
		t.Fatalf("%T round trip lost data:\n got %+v\nwant %+v", v, got, v)
	}
}
