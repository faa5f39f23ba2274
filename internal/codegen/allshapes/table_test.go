package allshapes

import (
	"io"
	"reflect"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/api"
)

// TestTablesMatchTypes: every structure's table entry is its own type, and
// lists its fields in declaration order (the model's member order) with
// their tree names, offsets and a kind, and for lists, maps and
// structures an entry, that fit the field's Go type; a list entry's
// element size is the element's. The interpreter writes through these
// offsets unchecked, so they are checked here, for every shape.
func TestTablesMatchTypes(t *testing.T) {
	for svc, shapes := range All() {
		for _, s := range shapes {
			tab, i := s.(api.Typed).ConvType()
			typ := reflect.TypeOf(s).Elem()
			if got := reflect.TypeOf(tab[i].Go).Elem(); got != typ {
				t.Fatalf("%s: %v's entry is %v", svc, typ, got)
			}
			if len(tab[i].Fields) != typ.NumField() {
				t.Fatalf("%s: %v has %d fields, its entry %d", svc, typ, typ.NumField(), len(tab[i].Fields))
			}
			for k, f := range tab[i].Fields {
				sf := typ.Field(k)
				if f.Name != sf.Tag.Get("aws") || f.Off != sf.Offset {
					t.Fatalf("%s: %v field %d is %s at %d, its entry says %s at %d", svc, typ, k, sf.Tag.Get("aws"), sf.Offset, f.Name, f.Off)
				}
				checkKind(t, tab, f, sf.Type, true, svc+": "+typ.String()+"."+sf.Name)
			}
		}
	}
}

// checkKind fails unless kind f fits Go type gt (a member's when field).
func checkKind(t *testing.T, tab api.Table, f api.Field, gt reflect.Type, field bool, where string) {
	t.Helper()
	scalars := map[api.Kind]reflect.Type{
		api.KString: reflect.TypeFor[string](), api.KBool: reflect.TypeFor[bool](),
		api.KInt32: reflect.TypeFor[int32](), api.KInt64: reflect.TypeFor[int64](),
		api.KFloat32: reflect.TypeFor[float32](), api.KFloat64: reflect.TypeFor[float64](),
		api.KTime: reflect.TypeFor[time.Time](),
	}
	ptrs := map[api.Kind]api.Kind{
		api.KStringPtr: api.KString, api.KBoolPtr: api.KBool, api.KInt32Ptr: api.KInt32, api.KInt64Ptr: api.KInt64,
		api.KFloat32Ptr: api.KFloat32, api.KFloat64Ptr: api.KFloat64, api.KTimePtr: api.KTime,
	}
	entry := func() reflect.Type { return reflect.TypeOf(tab[f.Type].Go).Elem() }
	var ok bool
	switch k := f.Kind; {
	case scalars[k] != nil:
		ok = !field && gt == scalars[k]
	case ptrs[k] != 0:
		ok = field && gt == reflect.PointerTo(scalars[ptrs[k]])
	case k == api.KBytes:
		ok = gt == reflect.TypeFor[[]byte]()
	case k == api.KAny:
		ok = gt == reflect.TypeFor[any]()
	case k == api.KReader:
		ok = gt == reflect.TypeFor[io.Reader]()
	case k == api.KStruct:
		ok = !field && gt == entry() && gt.Kind() == reflect.Struct
	case k == api.KStructPtr:
		ok = field && gt == reflect.PointerTo(entry()) && entry().Kind() == reflect.Struct
	case k == api.KList:
		e := tab[f.Type]
		ok = gt == entry() && gt.Kind() == reflect.Slice && e.Size == gt.Elem().Size()
		if ok {
			checkKind(t, tab, e.Elem, gt.Elem(), false, where+"[]")
		}
	case k == api.KMap:
		e := tab[f.Type]
		ok = gt == entry() && gt.Kind() == reflect.Map && e.Map != nil && e.Map.Type() == gt
		if ok {
			checkKind(t, tab, e.Elem, gt.Elem(), false, where+"{}")
		}
	case k == api.KStream:
		ok = gt == entry() && gt.Kind() == reflect.Func && tab[f.Type].StreamTo != nil
	}
	if !ok {
		t.Fatalf("%s: kind %d (entry %d) does not fit %v", where, f.Kind, f.Type, gt)
	}
}
