package api_test

import (
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/niwa-cloud/niwa/internal/api"
	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/model"
)

// withReflectMaps is tab with every map entry's MapOf replaced by the
// reflect implementation (what the builder, the interpreter and the
// validator did before MapOf), for the equivalence tests.
func withReflectMaps(tab api.Table) api.Table {
	out := append(api.Table(nil), tab...)
	for i := range out {
		if out[i].Map != nil {
			out[i].Map = api.ReflectMap(out[i].Map.Type())
		}
	}
	return out
}

// buildItem writes an item of three attributes (one a nested map, one
// written twice, one put and deleted) through the builder into the Item
// map at fp.
func buildItem(t *testing.T, tab api.Table, f *api.Field, fp unsafe.Pointer) {
	mb, err := tab.Map(f, fp)
	if err != nil {
		t.Fatal(err)
	}
	str := func(name, s string) {
		ai, ap, err := tab.Struct(mb.Elem, mb.Value())
		if err != nil {
			t.Fatal(err)
		}
		sf, sp := tab.Field(ai, field(t, tab, ai, name), ap)
		if err := tab.SetString(sf, sp, s); err != nil {
			t.Fatal(err)
		}
	}
	str("S", "a")
	mb.Put("pk")
	str("N", "1")
	mb.Put("n")
	str("N", "2") // a later duplicate key replaces the value
	mb.Put("n")
	str("S", "x")
	mb.Put("gone")
	mb.Delete("gone")
	ai, ap, err := tab.Struct(mb.Elem, mb.Value())
	if err != nil {
		t.Fatal(err)
	}
	mf, mp := tab.Field(ai, field(t, tab, ai, "M"), ap)
	inner, err := tab.Map(mf, mp)
	if err != nil {
		t.Fatal(err)
	}
	ii, ip, err := tab.Struct(inner.Elem, inner.Value())
	if err != nil {
		t.Fatal(err)
	}
	bf, bp := tab.Field(ii, field(t, tab, ii, "BOOL"), ip)
	if err := tab.SetBool(bf, bp, true); err != nil {
		t.Fatal(err)
	}
	inner.Put("b")
	mb.Put("m")
}

// TestMapOfMatchesReflectMap: the generated MapOf builds, converts and
// validates a map as the reflect implementation does (the builder's
// duplicate and deleted keys, FromDynamic and ToDynamic, and the
// validator's violations, in key order).
func TestMapOfMatchesReflectMap(t *testing.T) {
	var got, want dynamodbapi.PutItemInput
	tab, in := got.ConvType()
	rtab := withReflectMaps(tab)
	k := field(t, tab, in, "Item")
	f, fp := tab.Field(in, k, unsafe.Pointer(&got))
	buildItem(t, tab, f, fp)
	rf, rfp := rtab.Field(in, k, unsafe.Pointer(&want))
	buildItem(t, rtab, rf, rfp)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("MapOf built %#v\nreflect built %#v", got.Item, want.Item)
	}
	if len(got.Item) != 3 || got.Item["n"].N == nil || *got.Item["n"].N != "2" || got.Item["m"].M["b"].BOOL == nil {
		t.Fatalf("built %#v", got.Item)
	}

	tree := tab.ToDynamic(in, unsafe.Pointer(&got))
	if rtree := rtab.ToDynamic(in, unsafe.Pointer(&want)); !reflect.DeepEqual(tree, rtree) {
		t.Fatalf("ToDynamic: MapOf %v, reflect %v", tree, rtree)
	}
	var back, rback dynamodbapi.PutItemInput
	if err := tab.FromDynamic(in, unsafe.Pointer(&back), tree); err != nil {
		t.Fatal(err)
	}
	if err := rtab.FromDynamic(in, unsafe.Pointer(&rback), tree); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, rback) || !reflect.DeepEqual(back, got) {
		t.Fatalf("FromDynamic: MapOf %#v, reflect %#v, built %#v", back, rback, got)
	}

	// Violations inside maps: attribute names over 65535 bytes, at the
	// top and in a nested map, reported in key order either way.
	long := func(c string) string { return strings.Repeat(c, 65536) }
	bad := map[string]any{
		"TableName": "t",
		"Item": map[string]any{
			long("z"): map[string]any{"S": "x"},
			long("a"): map[string]any{"S": "x"},
			"m":       map[string]any{"M": map[string]any{long("y"): map[string]any{"S": "x"}, long("b"): map[string]any{"S": "x"}}},
		},
	}
	var typed, rtyped dynamodbapi.PutItemInput
	if err := tab.FromDynamic(in, unsafe.Pointer(&typed), bad); err != nil {
		t.Fatal(err)
	}
	if err := rtab.FromDynamic(in, unsafe.Pointer(&rtyped), bad); err != nil {
		t.Fatal(err)
	}
	ref := inputRef(t, dynamodbapi.Spec(), "PutItem")
	v := api.Validator{Model: &model.Validator{}}
	vs := v.Validate(ref, &typed)
	tv := v.Model.Validate(ref, bad)
	if !reflect.DeepEqual(vs, tv) {
		t.Fatalf("typed violations %v\ntree's %v", model.Summary(vs), model.Summary(tv))
	}
	// The reflect table's walk, over the same value.
	rv := v.Validate(ref, &viaTable{in: rtyped, tab: rtab, i: in})
	if !reflect.DeepEqual(vs, rv) {
		t.Fatalf("MapOf's violations %v\nreflect's %v", model.Summary(vs), model.Summary(rv))
	}
	if len(vs) != 4 {
		t.Fatalf("expected violations, got %v", model.Summary(vs))
	}
}

// TestMapBuilderAllocations: building a DynamoDB item through MapOf
// costs the map, one value variable per map and what the runtime and the
// item allocate per stored value (an AttributeValue is over the 128 bytes
// a map keeps inline; its S a *string): no reflect key variable, which
// the reflect builder it replaced made for every map.
func TestMapBuilderAllocations(t *testing.T) {
	var in dynamodbapi.PutItemInput
	tab, i := in.ConvType()
	f, fp := tab.Field(i, field(t, tab, i, "Item"), unsafe.Pointer(&in))
	build := func(tab api.Table) float64 {
		return testing.AllocsPerRun(100, func() {
			mb, _ := tab.Map(f, fp)
			for _, k := range [...]string{"a", "b", "c"} {
				ai, ap, _ := tab.Struct(mb.Elem, mb.Value())
				sf, sp := tab.Field(ai, field(t, tab, ai, "S"), ap)
				_ = tab.SetString(sf, sp, k)
				mb.Put(k)
			}
		})
	}
	got, old := build(tab), build(withReflectMaps(tab))
	// The map and its first group, the value variable, and per entry the
	// stored value and the *string: 3 + 2*3. (The reflect builder made a
	// key and a value variable per map, and SetMapIndex's copies.)
	if !raceEnabled && (got != 9 || old <= got) {
		t.Errorf("MapOf builder: %v allocations, reflect builder %v; want 9, and fewer than reflect's", got, old)
	}
}

// viaTable is a PutItemInput (at offset 0) converted and validated
// with another table than its generated one.
type viaTable struct {
	in  dynamodbapi.PutItemInput
	tab api.Table
	i   int32
}

func (v *viaTable) ConvType() (api.Table, int32) { return v.tab, v.i }
