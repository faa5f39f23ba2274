package xmlbody

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

// escapeRuneByRune is escape as it was before its ASCII fast path: every
// rune decoded and tested. escape must write exactly what it writes.
func escapeRuneByRune(w *bytes.Buffer, s string, attr bool) {
	last := 0
	for i := 0; i < len(s); {
		r, width := utf8.DecodeRuneInString(s[i:])
		var esc string
		switch {
		case r == '&':
			esc = "&amp;"
		case r == '<':
			esc = "&lt;"
		case r == '>':
			esc = "&gt;"
		case r == '\r':
			esc = "&#xD;"
		case r == '\u0085':
			esc = "&#x85;"
		case r == '\u2028':
			esc = "&#x2028;"
		case attr && r == '"':
			esc = "&quot;"
		case attr && r == '\n':
			esc = "&#xA;"
		case attr && r == '\t':
			esc = "&#x9;"
		case r == utf8.RuneError && width == 1, !isXMLChar(r):
			esc = "\uFFFD"
		}
		if esc != "" {
			w.WriteString(s[last:i])
			w.WriteString(esc)
			last = i + width
		}
		i += width
	}
	w.WriteString(s[last:])
}

// TestEscapeMatchesRuneByRune: every byte value alone and in context,
// the characters the rules name, invalid UTF-8 and random strings are
// escaped byte for byte as the rune-by-rune form escapes them, in
// character data and in attribute values.
func TestEscapeMatchesRuneByRune(t *testing.T) {
	cases := []string{"", "plain", "a&b<c>d\"e'f", "\r\n\t", "\x00\x01\x1f\x7f",
		"\u0085\u2028\u2029\uFFFE\uFFFF\U0001F600", "\xff\xfe", "\xe2\x80", "ab\xc3",
		"%7B%22Version%22%3A%222012-10-17%22%7D", "caf\u00e9 <tag attr=\"v\">&amp;</tag>"}
	for b := range 256 {
		cases = append(cases, string([]byte{byte(b)}), "x"+string([]byte{byte(b)})+"y")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "&", "<", ">", "\"", "\r", "\n", "\t", "\x00", "\x7f", "\u0085", "\u2028", "\u00e9", "\U0001F600", "\xff", "\xe2\x80"}
	for range 2000 {
		var s []byte
		for range rng.IntN(24) {
			if rng.IntN(3) == 0 {
				s = append(s, byte(rng.IntN(256)))
			} else {
				s = append(s, alphabet[rng.IntN(len(alphabet))]...)
			}
		}
		cases = append(cases, string(s))
	}
	for _, s := range cases {
		for _, attr := range []bool{false, true} {
			var got, want bytes.Buffer
			escape(&got, s, attr)
			escapeRuneByRune(&want, s, attr)
			if got.String() != want.String() {
				t.Fatalf("escape(%q, attr=%v) = %q, want %q", s, attr, got.String(), want.String())
			}
		}
	}
}

// BenchmarkEscape: a URL-encoded trust policy, as GetRole answers it.
func BenchmarkEscape(b *testing.B) {
	doc := "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Principal%22%3A%7B%22Service%22%3A%22lambda.amazonaws.com%22%7D%2C%22Action%22%3A%22sts%3AAssumeRole%22%7D%5D%7D"
	var w bytes.Buffer
	for _, f := range []struct {
		name string
		fn   func(*bytes.Buffer, string, bool)
	}{{"rune-by-rune", escapeRuneByRune}, {"escape", escape}} {
		b.Run(f.name, func(b *testing.B) {
			for b.Loop() {
				w.Reset()
				f.fn(&w, doc, false)
			}
		})
	}
}
