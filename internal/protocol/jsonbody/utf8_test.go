package jsonbody

import "testing"

// TestInvalidUTF8 holds that a body that is not UTF-8 is refused rather
// than decoded with U+FFFD in place of the bad bytes.
func TestInvalidUTF8(t *testing.T) {
	sh := testShape(t)
	cases := []struct {
		name string
		body string
		ok   bool
	}{
		{"multibyte", "{\"Str\":\"caf\u00e9 \u65e5\u672c \U0001F600\"}", true},
		{"escaped", `{"Str":"\u00e9\ud83d\ude00"}`, true},
		{"bad byte in a value", "{\"Str\":\"a\xffb\"}", false},
		{"bad byte in a key", "{\"Map\":{\"k\xc3\":1}}", false},
		{"overlong encoding", "{\"Str\":\"\xc0\xaf\"}", false},
		{"surrogate encoded as UTF-8", "{\"Str\":\"\xed\xa0\x80\"}", false},
		{"truncated sequence", "{\"Str\":\"\xe6\x97\"}", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeStructure([]byte(c.body), sh, false)
			if c.ok && err != nil {
				t.Fatal(err)
			}
			if !c.ok && (err == nil || err.Error() != "malformed JSON: the body is not valid UTF-8") {
				t.Fatalf("err = %v", err)
			}
		})
	}
}
