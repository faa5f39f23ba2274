package decimal

import (
	"bytes"
	"errors"
	"sort"
	"strings"
	"testing"
	"unsafe"
)

func TestParseCanonical(t *testing.T) {
	cases := []struct{ in, want string }{
		{"0", "0"}, {"-0", "0"}, {"000.000", "0"}, {"1.50", "1.5"}, {"+.5", "0.5"},
		{"1e3", "1000"}, {"-1.2E-3", "-0.0012"}, {"12345678901234567890123456789012345678", "12345678901234567890123456789012345678"},
		{"100", "100"}, {"0.01", "0.01"},
	}
	for _, c := range cases {
		got, err := Canonical(c.in)
		if err != nil || got != c.want {
			t.Errorf("Canonical(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		in   string
		want error
	}{
		{"", ErrSyntax}, {"abc", ErrSyntax}, {"1e", ErrSyntax}, {".", ErrSyntax}, {"1.2.3", ErrSyntax}, {"--1", ErrSyntax},
		{"123456789012345678901234567890123456789", ErrPrecision},
		{"1e126", ErrOverflow}, {"1e-131", ErrUnderflow},
	}
	for _, c := range cases {
		if _, err := Parse(c.in); !errors.Is(err, c.want) {
			t.Errorf("Parse(%q) err = %v, want %v", c.in, err, c.want)
		}
	}
	if _, err := Parse("9.9999999999999999999999999999999999999E+125"); err != nil {
		t.Errorf("max: %v", err)
	}
	if _, err := Parse("1E-130"); err != nil {
		t.Errorf("min: %v", err)
	}
}

func TestKeyOrder(t *testing.T) {
	nums := []string{"-1e125", "-100", "-12.3", "-12", "-1.23", "-1", "-0.5", "-1e-130", "0", "1e-130", "0.5", "1", "1.23", "12", "12.3", "100", "1e125"}
	var ds []Decimal
	for _, n := range nums {
		d, err := Parse(n)
		if err != nil {
			t.Fatal(n, err)
		}
		ds = append(ds, d)
	}
	if !sort.SliceIsSorted(ds, func(i, j int) bool { return bytes.Compare(ds[i].Key(), ds[j].Key()) < 0 }) {
		t.Fatal("keys not in numeric order")
	}
	for i := range ds {
		for j := range ds {
			if c := Cmp(ds[i], ds[j]); c != bytes.Compare(ds[i].Key(), ds[j].Key()) {
				t.Fatalf("Cmp(%s,%s)=%d disagrees with key order", nums[i], nums[j], c)
			}
		}
	}
}

func TestAddSub(t *testing.T) {
	cases := []struct{ a, b, sum, diff string }{
		{"1", "2", "3", "-1"}, {"0.1", "0.2", "0.3", "-0.1"}, {"-5", "5", "0", "-10"}, {"1e20", "1", "100000000000000000001", "99999999999999999999"},
	}
	for _, c := range cases {
		a, _ := Parse(c.a)
		b, _ := Parse(c.b)
		s, err := Add(a, b)
		if err != nil || s.String() != c.sum {
			t.Errorf("%s+%s = %s, %v", c.a, c.b, s, err)
		}
		d, err := Sub(a, b)
		if err != nil || d.String() != c.diff {
			t.Errorf("%s-%s = %s, %v", c.a, c.b, d, err)
		}
	}
	a, _ := Parse("1e37")
	b, _ := Parse("0.1")
	if _, err := Add(a, b); !errors.Is(err, ErrPrecision) {
		t.Errorf("precision err = %v", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1", "-1.5e3", ".5", "1e-130", "abc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(s)
		if err != nil {
			return
		}
		d2, err := Parse(d.String())
		if err != nil || Cmp(d, d2) != 0 || d2.String() != d.String() {
			t.Fatalf("round trip %q -> %q: %v", s, d.String(), err)
		}
	})
}

// TestCanonicalOfCanonicalText: a number already in canonical text (most
// of what clients send) is answered as the very string it came in,
// without an allocation; others get their canonical text, whatever its
// length (a 126-digit maximum, a 131-place minimum).
func TestCanonicalOfCanonicalText(t *testing.T) {
	for _, in := range []string{"0", "42", "-7", "1.5", "-0.0012", "12345678901234567890123456789012345678", "0.01", "1000"} {
		got, err := Canonical(in)
		if err != nil || got != in || unsafe.StringData(got) != unsafe.StringData(in) {
			t.Errorf("Canonical(%q) = %q, %v; want the input itself", in, got, err)
		}
		if strings.Contains(in, ".") && !strings.HasPrefix(strings.TrimPrefix(in, "-"), "0.") {
			continue // the digits either side of the point are joined in a new string
		}
		if n := testing.AllocsPerRun(100, func() { _, _ = Canonical(in) }); n != 0 {
			t.Errorf("Canonical(%q): %.0f allocations, want 0", in, n)
		}
	}
	maxText := strings.Repeat("9", 38) + strings.Repeat("0", 126-38)
	minText := "0." + strings.Repeat("0", 129) + "1"
	for _, c := range []struct{ in, want string }{
		{" 42", "42"}, {"042", "42"}, {"4.20", "4.2"}, {"+1", "1"}, {"-0", "0"},
		{"9.9999999999999999999999999999999999999E+125", maxText}, {"1E-130", minText},
	} {
		if got, err := Canonical(c.in); err != nil || got != c.want {
			t.Errorf("Canonical(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

// TestAppendKey: AppendKey appends exactly Key's bytes.
func TestAppendKey(t *testing.T) {
	for _, in := range []string{"0", "1", "-1", "12.3", "-12.3", "1e125", "-1e-130"} {
		d, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := d.AppendKey([]byte("p/")), append([]byte("p/"), d.Key()...); !bytes.Equal(got, want) {
			t.Errorf("AppendKey(%s) = %x, want %x", in, got, want)
		}
	}
}
