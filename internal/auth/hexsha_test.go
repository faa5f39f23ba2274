package auth

import (
	"encoding/hex"
	"strings"
	"testing"
)

// TestIsHexSHA256 pins the payload-hash check to what hex.DecodeString
// accepts for a 64-character value, which it called before.
func TestIsHexSHA256(t *testing.T) {
	digest := "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	for _, s := range []string{
		digest,
		strings.ToUpper(digest),
		digest[:63],
		digest + "0",
		digest[:63] + "g",
		"UNSIGNED-PAYLOAD",
		"",
		digest[:62] + "é",
		digest[:63] + "\x00",
		strings.Repeat("Ff", 32),
	} {
		_, err := hex.DecodeString(s)
		want := len(s) == 64 && err == nil
		if got := isHexSHA256(s); got != want {
			t.Errorf("isHexSHA256(%q) = %v, want %v", s, got, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() {
		if !isHexSHA256(digest) {
			t.Fatal("a SHA-256 digest refused")
		}
	}); n != 0 {
		t.Errorf("isHexSHA256 allocated %v times, want 0", n)
	}
}
