package model

import (
	"testing"
	"time"
)

// TestViolationEchoesValuesAsAWS checks the value part of a validation
// message: AWS's services echo lists and maps Java-style, and niwa used to
// leak Go's formatting ("[a b]", "map[k:v]") into the message.
func TestViolationEchoesValuesAsAWS(t *testing.T) {
	for _, c := range []struct {
		name  string
		value any
		want  string
	}{
		{"absent", nil, "Value null at 'p' failed to satisfy constraint: m"},
		{"string", "abc", "Value 'abc' at 'p' failed to satisfy constraint: m"},
		{"bytes", []byte("xy"), "Value 'xy' at 'p' failed to satisfy constraint: m"},
		{"time", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), "Value '2026-01-02T03:04:05Z' at 'p' failed to satisfy constraint: m"},
		{"list", []any{"a", "b"}, "Value '[a, b]' at 'p' failed to satisfy constraint: m"},
		{"empty list", []any{}, "Value '[]' at 'p' failed to satisfy constraint: m"},
		{"map sorted", map[string]any{"b": "2", "a": "1"}, "Value '{a=1, b=2}' at 'p' failed to satisfy constraint: m"},
		{"nested", []any{map[string]any{"AttributeName": "id", "KeyType": "HASH"}},
			"Value '[{AttributeName=id, KeyType=HASH}]' at 'p' failed to satisfy constraint: m"},
		{"large float", float64(1000000), "Value '1000000' at 'p' failed to satisfy constraint: m"},
		{"int", int64(7), "Value '7' at 'p' failed to satisfy constraint: m"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := Violation{Path: "p", Value: c.value, Message: "m"}.String()
			if got != c.want {
				t.Errorf("got  %q\nwant %q", got, c.want)
			}
		})
	}
}
