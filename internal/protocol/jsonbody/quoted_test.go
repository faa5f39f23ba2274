package jsonbody

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestAppendQuoted: marshal true writes json.Marshal's bytes; marshal
// false AWS's wire form (no HTML escaped, \b and \f as \u00XX), which
// AppendString writes.
func TestAppendQuoted(t *testing.T) {
	for _, tc := range []struct{ in, wire string }{
		{"plain", `"plain"`},
		{`q"b\s`, `"q\"b\\s"`},
		{"<a href='x'>&amp;</a>", `"<a href='x'>&amp;</a>"`},
		{"\b\f\n\r\t\x00\x1f", `"\u0008\u000c\n\r\t\u0000\u001f"`},
		{"bad \xff utf8", `"bad \ufffd utf8"`},
		{"sep \u2028 \u2029", `"sep \u2028 \u2029"`},
		{"日本語 ✓", `"日本語 ✓"`},
	} {
		want, _ := json.Marshal(tc.in)
		if got := AppendQuoted([]byte("x"), tc.in, true); string(got) != "x"+string(want) {
			t.Errorf("marshal %q: %s, json.Marshal %s", tc.in, got[1:], want)
		}
		if got := AppendQuoted(nil, tc.in, false); string(got) != tc.wire {
			t.Errorf("wire %q: %s, want %s", tc.in, got, tc.wire)
		}
		var w bytes.Buffer
		w.WriteString("x")
		AppendString(&w, tc.in)
		if w.String() != "x"+tc.wire {
			t.Errorf("AppendString %q: %s, want %s", tc.in, w.String(), tc.wire)
		}
	}
}
