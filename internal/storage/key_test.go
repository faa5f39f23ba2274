package storage

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

func TestKeyRoundTripAndOrder(t *testing.T) {
	tuples := trickyTuples()
	for _, a := range tuples {
		got, err := SplitKey(Key(a...))
		if err != nil || !slices.Equal(got, a) {
			t.Errorf("SplitKey(Key(%q)) = %q, %v", a, got, err)
		}
		for _, b := range tuples {
			if c, want := bytes.Compare(Key(a...), Key(b...)), compareParts(a, b); sign(c) != sign(want) {
				t.Errorf("Compare(Key(%q), Key(%q)) = %d; want sign %d", a, b, c, want)
			}
		}
	}
}

func TestPrefixIsWholeParts(t *testing.T) {
	cases := []struct {
		prefix []string
		key    []string
		match  bool
	}{
		{[]string{"a"}, []string{"a"}, true},
		{[]string{"a"}, []string{"a", "x"}, true},
		{[]string{"a"}, []string{"ab"}, false},
		{[]string{"a"}, []string{"a\x00"}, false},
		{[]string{"a\x00"}, []string{"a"}, false},
		{[]string{"role"}, []string{"roles", "x"}, false},
		{[]string{""}, []string{"", "x"}, true},
		{[]string{""}, []string{"x"}, false},
		{nil, []string{"anything"}, true},
	}
	for _, c := range cases {
		if got := bytes.HasPrefix(Key(c.key...), Prefix(c.prefix...)); got != c.match {
			t.Errorf("Prefix(%q) matches Key(%q) = %v; want %v", c.prefix, c.key, got, c.match)
		}
	}
}

func TestPartPrefix(t *testing.T) {
	base := Prefix("acct", "us-east-1", "object", "bucket")
	p := PartPrefix(base, "photos/\x00")
	for _, c := range []struct {
		key   string
		match bool
	}{
		{"photos/\x00", true},
		{"photos/\x00a.jpg", true},
		{"photos/", false},
		{"photos/a", false},
		{"photos", false},
	} {
		k := Key("acct", "us-east-1", "object", "bucket", c.key)
		if got := bytes.HasPrefix(k, p); got != c.match {
			t.Errorf("PartPrefix(photos/\\x00) matches %q = %v; want %v", c.key, got, c.match)
		}
	}
	// A partial never reaches into the next bucket or the next part.
	if bytes.HasPrefix(Key("acct", "us-east-1", "object", "bucket2", "photos/x"), p) {
		t.Error("partial matched a different bucket")
	}
	if !bytes.Equal(PartPrefix(base, ""), base) {
		t.Error("empty partial must equal the prefix")
	}
	if len(base) != len(Prefix("acct", "us-east-1", "object", "bucket")) {
		t.Error("PartPrefix modified its input")
	}
}

func TestSplitKeyRejectsMalformed(t *testing.T) {
	for _, k := range [][]byte{
		{'a'},             // unterminated
		{'a', 0},          // dangling escape
		{'a', 0, 2},       // unknown escape
		{0, 1, 'b', 0, 0}, // bad second part
		{0, 0xFF},         // escaped nul without terminator
	} {
		if _, err := SplitKey(k); !errors.Is(err, ErrMalformedKey) {
			t.Errorf("SplitKey(%x) = %v; want ErrMalformedKey", k, err)
		}
	}
	if parts, err := SplitKey(nil); err != nil || len(parts) != 0 {
		t.Errorf("SplitKey(nil) = %q, %v", parts, err)
	}
}

func TestScope(t *testing.T) {
	sc := Scope{Account: "000000000000", Region: "us-east-1"}
	if !bytes.Equal(sc.Key("role", "admin"), Key("000000000000", "us-east-1", "role", "admin")) {
		t.Error("Scope.Key does not put account and region first")
	}
	if !bytes.HasPrefix(sc.Key("role", "admin"), sc.Prefix("role")) {
		t.Error("Scope.Prefix does not cover Scope.Key")
	}
	g := Global("000000000000")
	if g.Region != "" {
		t.Error("Global has a region")
	}
	if !bytes.HasPrefix(g.Key("user", "bob"), Prefix("000000000000")) {
		t.Error("global keys are not under the account prefix")
	}
	other := Scope{Account: "111111111111", Region: "us-east-1"}
	if bytes.HasPrefix(other.Key("role", "admin"), sc.Prefix()) {
		t.Error("another account's key is under this scope")
	}
	if bytes.HasPrefix(Scope{"000000000000", "us-east-2"}.Key("q"), sc.Prefix()) {
		t.Error("another region's key is under this scope")
	}
}

// partsFromBytes turns fuzz input into a part list that can contain every
// byte value: each part is a length byte (mod 6) followed by that many bytes.
func partsFromBytes(data []byte) []string {
	var parts []string
	for len(data) > 0 && len(parts) < 8 {
		n := int(data[0] % 6)
		data = data[1:]
		n = min(n, len(data))
		parts = append(parts, string(data[:n]))
		data = data[n:]
	}
	return parts
}

func FuzzKey(f *testing.F) {
	f.Add([]byte{1, 'a'}, []byte{2, 'a', 0})
	f.Add([]byte{1, 'a', 0}, []byte{1, 'a', 1, 0})
	f.Add([]byte{2, 0, 0xFF}, []byte{2, 0, 1})
	f.Add([]byte{2, 'a', 'b'}, []byte{1, 'a', 1, 'b'})
	f.Add([]byte{}, []byte{0})
	f.Add([]byte{3, 0xFF, 0xFF, 0}, []byte{2, 0xFF, 0xFF})
	f.Fuzz(func(t *testing.T, da, db []byte) {
		a, b := partsFromBytes(da), partsFromBytes(db)
		ka, kb := Key(a...), Key(b...)
		got, err := SplitKey(ka)
		if err != nil || !slices.Equal(got, a) {
			t.Fatalf("SplitKey(Key(%q)) = %q, %v", a, got, err)
		}
		if c, want := bytes.Compare(ka, kb), compareParts(a, b); sign(c) != sign(want) {
			t.Fatalf("Compare(Key(%q), Key(%q)) = %d; want sign %d", a, b, c, want)
		}
		// Prefix of whole parts: matches iff b starts with all of a.
		isPrefix := len(a) <= len(b) && slices.Equal(b[:len(a)], a)
		if got := bytes.HasPrefix(kb, Prefix(a...)); got != isPrefix {
			t.Fatalf("HasPrefix(Key(%q), Prefix(%q)) = %v; want %v", b, a, got, isPrefix)
		}
	})
}

// FuzzSplitKey feeds arbitrary bytes: decoding must never panic, and
// whatever decodes must re-encode to the same bytes (one encoding per
// tuple, so equal tuples are equal keys).
func FuzzSplitKey(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{'a', 0, 1})
	f.Add([]byte{0, 0xFF, 0, 1, 0, 1})
	f.Add([]byte{'a', 0})
	f.Add([]byte{0, 2})
	f.Fuzz(func(t *testing.T, key []byte) {
		parts, err := SplitKey(key)
		if err != nil {
			return
		}
		if again := Key(parts...); !bytes.Equal(again, key) {
			t.Fatalf("Key(SplitKey(%x)) = %x", key, again)
		}
	})
}

// TestKeyPart: every part KeyPart reads is SplitKey's, for keys with
// escaped, empty and plain parts; malformed keys are refused alike.
func TestKeyPart(t *testing.T) {
	keys := [][]byte{
		Key("acct", "us-east-1", "item", "t", "p\x00q", "", "\x00", "\x00\x00x", "last"),
		Key(""),
		Key(),
		Key("a", "b"),
	}
	for _, k := range keys {
		parts, err := SplitKey(k)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i <= len(parts); i++ {
			p, n, err := KeyPart(k, i)
			if err != nil || n != len(parts) {
				t.Fatalf("KeyPart(%x, %d): n %d err %v, want n %d", k, i, n, err, len(parts))
			}
			if i == len(parts) {
				if p != nil {
					t.Errorf("KeyPart(%x, %d) = %q past the last part", k, i, p)
				}
				continue
			}
			if string(p) != parts[i] || p == nil {
				t.Errorf("KeyPart(%x, %d) = %q, want %q", k, i, p, parts[i])
			}
		}
	}
	for _, bad := range [][]byte{{'a'}, {'a', 0}, {'a', 0, 2}, append(Key("a"), 'b'), append(Key("a"), 0, 0xFF)} {
		_, serr := SplitKey(bad)
		_, _, err := KeyPart(bad, 0)
		if serr == nil || err == nil {
			t.Errorf("%x: SplitKey err %v, KeyPart err %v; want both errors", bad, serr, err)
		}
	}
	k := Key("acct", "region", "item", "t", "pk", "sk")
	if n := testing.AllocsPerRun(100, func() { _, _, _ = KeyPart(k, 5) }); n != 0 {
		t.Errorf("KeyPart of a plain part made %.0f allocations", n)
	}
}
