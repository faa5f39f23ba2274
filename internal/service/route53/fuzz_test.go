package route53

import (
	"strings"
	"testing"
)

// FuzzCharacterStrings: any TXT value either is refused or splits into
// strings no longer than what they were written with, and a value made of
// quoted strings without escapes round-trips.
func FuzzCharacterStrings(f *testing.F) {
	for _, s := range []string{`"a"`, `"a" "b"`, `"\""`, `"\\"`, `"\065"`, `"`, `"a\`, `""`, ` "x" `, `"\06"`, "\"\t\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		strs, ok := characterStrings(v)
		if !ok {
			return
		}
		total := 0
		for _, s := range strs {
			total += len(s)
		}
		if total > len(v) {
			t.Fatalf("%q: %d octets from %d characters", v, total, len(v))
		}
		if !strings.ContainsAny(v, `\`) {
			var b strings.Builder
			for i, s := range strs {
				if i > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(`"` + s + `"`)
			}
			again, ok := characterStrings(b.String())
			if !ok || strings.Join(again, "\x00") != strings.Join(strs, "\x00") {
				t.Fatalf("%q: %q does not round-trip: %q", v, strs, again)
			}
		}
	})
}

// FuzzUnsupportedChar: the character reported is in the name and is
// one a DNS name may not hold unescaped.
func FuzzUnsupportedChar(f *testing.F) {
	for _, s := range []string{" ", "a b", `\ `, "www.example.com", "x\x7f", `\`, "\\\\ "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		c, bad := unsupportedChar(name)
		if !bad {
			return
		}
		if len(c) != 1 || (c[0] > ' ' && c[0] != 0x7f) || !strings.Contains(name, c) {
			t.Fatalf("%q: reported %q", name, c)
		}
	})
}
