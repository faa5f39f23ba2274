package api

import (
	"reflect"
	"testing"
	"time"
	"unsafe"
)

type convInner struct {
	B *string `aws:"B"`
}

type convShape struct {
	S  *string              `aws:"S"`
	N  *int32               `aws:"N"`
	L  []convInner          `aws:"L"`
	M  map[string]convInner `aws:"M"`
	T  *time.Time           `aws:"T"`
	No string
}

// TestConverterRoundTrip: a dynamic value becomes the typed shape and back.
func TestConverterRoundTrip(t *testing.T) {
	var c Converter
	ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	dyn := map[string]any{"S": "x", "N": int64(7), "T": ts,
		"L": []any{map[string]any{"B": "b0"}, map[string]any{}},
		"M": map[string]any{"k": map[string]any{"B": "mb"}}}
	var out convShape
	if err := c.ToTyped(dyn, &out); err != nil {
		t.Fatal(err)
	}
	if *out.S != "x" || *out.N != 7 || *out.L[0].B != "b0" || out.L[1].B != nil || *out.M["k"].B != "mb" || !out.T.Equal(ts) {
		t.Fatalf("typed %+v", out)
	}
	back := c.ToDynamic(&out)
	want := map[string]any{"S": "x", "N": int64(7), "T": ts,
		"L": []any{map[string]any{"B": "b0"}, map[string]any{}},
		"M": map[string]any{"k": map[string]any{"B": "mb"}}}
	if !reflect.DeepEqual(back, want) {
		t.Fatalf("dynamic %#v", back)
	}
}

// TestConverterErrorPaths: a conversion error names the member where it
// happened, through lists, maps and pointers.
func TestConverterErrorPaths(t *testing.T) {
	var c Converter
	for _, tc := range []struct {
		dyn  map[string]any
		want string
	}{
		{map[string]any{"S": int64(1)}, "S: cannot use int64 as string"},
		{map[string]any{"N": int64(1 << 40)}, "N: 1099511627776 out of range for int32"},
		{map[string]any{"L": []any{map[string]any{}, map[string]any{"B": true}}}, "L[1].B: cannot use bool as string"},
		{map[string]any{"M": map[string]any{"key": map[string]any{"B": 1.5}}}, "M.key.B: cannot use float64 as string"},
		{map[string]any{"L": "x"}, "L: cannot use string as []api.convInner"},
	} {
		var out convShape
		err := c.ToTyped(tc.dyn, &out)
		if err == nil || err.Error() != tc.want {
			t.Errorf("ToTyped(%v) = %v, want %q", tc.dyn, err, tc.want)
		}
	}
}

// genShape stands for a generated shape: it names its entry in a table.
type genShape struct {
	S *string               `aws:"S"`
	L []genInner            `aws:"L"`
	M map[string]genInner   `aws:"M"`
	E EventStream[genInner] `aws:"E"`
}

type genInner struct {
	N *int32 `aws:"N"`
}

var genTable = [...]Type{
	0: {Go: (*genShape)(nil), Fields: []Field{
		{Name: "S", Off: unsafe.Offsetof(genShape{}.S), Kind: KStringPtr},
		{Name: "L", Off: unsafe.Offsetof(genShape{}.L), Kind: KList, Type: 2},
		{Name: "M", Off: unsafe.Offsetof(genShape{}.M), Kind: KMap, Type: 3},
		{Name: "E", Off: unsafe.Offsetof(genShape{}.E), Kind: KStream, Type: 4},
	}},
	1: {Go: (*genInner)(nil), Fields: []Field{{Name: "N", Off: unsafe.Offsetof(genInner{}.N), Kind: KInt32Ptr}}},
	2: {Go: (*[]genInner)(nil), Elem: Field{Kind: KStruct, Type: 1}, Size: unsafe.Sizeof(genInner{})},
	3: {Go: (*map[string]genInner)(nil), Elem: Field{Kind: KStruct, Type: 1}, Map: MapOf[genInner]{}},
	4: {Go: (*EventStream[genInner])(nil), StreamTo: StreamTo[genInner]},
}

func (*genShape) ConvType() (Table, int32) { return genTable[:], 0 }

// TestConverterUsesTables: a type naming a table entry converts through
// the table, members with other names than the Go fields included, with
// the same member paths in errors as reflection.
func TestConverterUsesTables(t *testing.T) {
	var c Converter
	dyn := map[string]any{"S": "x", "L": []any{map[string]any{"N": int64(1)}, nil}, "M": map[string]any{"k": map[string]any{"N": 2.0}}}
	var s genShape
	if err := c.ToTyped(dyn, &s); err != nil {
		t.Fatal(err)
	}
	if *s.S != "x" || len(s.L) != 2 || *s.L[0].N != 1 || s.L[1].N != nil || *s.M["k"].N != 2 {
		t.Fatalf("ToTyped: %+v", s)
	}
	want := map[string]any{"S": "x", "L": []any{map[string]any{"N": int64(1)}, map[string]any{}}, "M": map[string]any{"k": map[string]any{"N": int64(2)}}}
	if got := c.ToDynamic(&s); !reflect.DeepEqual(got, want) {
		t.Fatalf("ToDynamic = %#v", got)
	}
	for _, tc := range []struct {
		dyn  map[string]any
		want string
	}{
		{map[string]any{"S": int64(1)}, "S: cannot use int64 as string"},
		{map[string]any{"L": []any{nil, map[string]any{"N": 1.5}}}, "L[1].N: cannot use float64 as int32"},
		{map[string]any{"M": map[string]any{"k": map[string]any{"N": int64(1 << 40)}}}, "M.k.N: 1099511627776 out of range for int32"},
		{map[string]any{"E": "x"}, "E: cannot use string as api.EventStream[github.com/niwa-cloud/niwa/internal/api.genInner]"},
	} {
		var s genShape
		err := c.ToTyped(tc.dyn, &s)
		var r Reflect
		werr := r.ToTyped(tc.dyn, &genShape{})
		if err == nil || err.Error() != tc.want || werr == nil || werr.Error() != tc.want {
			t.Errorf("ToTyped(%v) = %v (reflection: %v), want %q", tc.dyn, err, werr, tc.want)
		}
	}
	var nilShape *genShape
	if got := c.ToDynamic(nilShape); got != nil {
		t.Fatalf("ToDynamic(nil) = %#v", got)
	}
	if err := c.ToTyped(dyn, nilShape); err == nil {
		t.Fatal("ToTyped into a nil pointer succeeded")
	}
}

// TestConverterAllocations: the table interpreter allocates what the
// values need and no more: a list's array once, a map's values built in
// place rather than each in a heap copy (an address handed to a function
// value escapes, which the table's map helpers avoid).
func TestConverterAllocations(t *testing.T) {
	var c Converter
	var keep any
	tree := map[string]any{
		"L": []any{map[string]any{}, map[string]any{}, map[string]any{}},
		"M": map[string]any{"a": map[string]any{}, "b": map[string]any{}, "c": map[string]any{}, "d": map[string]any{}},
	}
	typedMap := testing.AllocsPerRun(100, func() {
		m := make(map[string]genInner, 4)
		for _, k := range []string{"a", "b", "c", "d"} {
			m[k] = genInner{}
		}
		keep = m
	})
	// The structure itself, the list's array, the map.
	want := 1 + 1 + typedMap
	if got := testing.AllocsPerRun(100, func() {
		var s genShape
		if err := c.ToTyped(tree, &s); err != nil {
			t.Fatal(err)
		}
	}); got != want {
		t.Errorf("ToTyped: %v allocations, want %v", got, want)
	}
	var s genShape
	if err := c.ToTyped(tree, &s); err != nil {
		t.Fatal(err)
	}
	// What building the same tree by hand allocates.
	want = testing.AllocsPerRun(100, func() {
		m := make(map[string]any, 4) // min(members, 8)
		l := make([]any, 3)
		for i := range l {
			l[i] = make(map[string]any, 1)
		}
		mm := make(map[string]any, 4)
		for _, k := range []string{"a", "b", "c", "d"} {
			mm[k] = make(map[string]any, 1)
		}
		m["L"], m["M"] = l, mm
		keep = m
	})
	if got := testing.AllocsPerRun(100, func() { keep = c.ToDynamic(&s) }); got != want {
		t.Errorf("ToDynamic: %v allocations, want %v", got, want)
	}
	_ = keep
}

// wideShape has many members, so a tree setting two of them is walked by
// its keys.
type wideShape struct {
	A, B, C, D, E, F, G, H *string
}

var wideTable = [...]Type{0: {Go: (*wideShape)(nil), Fields: []Field{
	{Name: "A", Off: unsafe.Offsetof(wideShape{}.A), Kind: KStringPtr},
	{Name: "B", Off: unsafe.Offsetof(wideShape{}.B), Kind: KStringPtr},
	{Name: "C", Off: unsafe.Offsetof(wideShape{}.C), Kind: KStringPtr},
	{Name: "D", Off: unsafe.Offsetof(wideShape{}.D), Kind: KStringPtr},
	{Name: "E", Off: unsafe.Offsetof(wideShape{}.E), Kind: KStringPtr},
	{Name: "F", Off: unsafe.Offsetof(wideShape{}.F), Kind: KStringPtr},
	{Name: "G", Off: unsafe.Offsetof(wideShape{}.G), Kind: KStringPtr},
	{Name: "H", Off: unsafe.Offsetof(wideShape{}.H), Kind: KStringPtr},
}}}

func (*wideShape) ConvType() (Table, int32) { return wideTable[:], 0 }

// TestConverterSparseTree: a tree with few of a structure's members
// converts by its keys; with several wrong members the error is the first
// in member order, as reflection reports it, whatever the map's order.
func TestConverterSparseTree(t *testing.T) {
	var c Converter
	var s wideShape
	if err := c.ToTyped(map[string]any{"G": "g", "NotAMember": 1, "B": nil}, &s); err != nil || s.G == nil || *s.G != "g" || s.B != nil {
		t.Fatalf("ToTyped: %v, %+v", err, s)
	}
	bad := map[string]any{"H": int64(1), "A": true}
	for range 50 {
		if err := c.ToTyped(bad, &wideShape{}); err == nil || err.Error() != "A: cannot use bool as string" {
			t.Fatalf("ToTyped error %v, want A's", err)
		}
	}
}
