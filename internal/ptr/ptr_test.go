package ptr

import "testing"

func TestToDeref(t *testing.T) {
	s := To("x")
	if s == nil || *s != "x" {
		t.Fatalf("To(\"x\") = %v", s)
	}
	v := 1
	p := To(v)
	v = 2
	if *p != 1 {
		t.Fatalf("To did not copy: *p = %d", *p)
	}
	for _, tc := range []struct {
		name string
		got  any
		want any
	}{
		{"string", Deref(To("a")), "a"},
		{"nil string", Deref[string](nil), ""},
		{"int64", Deref(To(int64(7))), int64(7)},
		{"nil int64", Deref[int64](nil), int64(0)},
		{"nil bool", Deref[bool](nil), false},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: Deref = %v, want %v", tc.name, tc.got, tc.want)
		}
	}
}
