package api

import (
	"reflect"
	"testing"
	"time"
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

// genShape stands for a generated shape: it has the conversion methods.
type genShape struct {
	S    *string `aws:"S"`
	from int
}

func (s *genShape) FromDynamic(m map[string]any) error {
	s.from++
	return At(SetStringPtr(&s.S, m["S"]), ".S")
}

func (s *genShape) ToDynamic() map[string]any { return map[string]any{"generated": true} }

// TestConverterUsesGeneratedMethods: a type with the generated methods
// converts through them, not through reflection.
func TestConverterUsesGeneratedMethods(t *testing.T) {
	var c Converter
	var s genShape
	if err := c.ToTyped(map[string]any{"S": "x"}, &s); err != nil || s.from != 1 || *s.S != "x" {
		t.Fatalf("ToTyped: %v, %+v", err, s)
	}
	if got := c.ToDynamic(&s); !reflect.DeepEqual(got, map[string]any{"generated": true}) {
		t.Fatalf("ToDynamic = %v", got)
	}
	if err := c.ToTyped(map[string]any{"S": int64(1)}, &s); err == nil || err.Error() != "S: cannot use int64 as string" {
		t.Fatalf("ToTyped error = %v", err)
	}
}
