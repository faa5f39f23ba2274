package awsid

import (
	"encoding/base64"
	"regexp"
	"strings"
	"sync"
	"testing"
)

func TestShapes(t *testing.T) {
	for _, tc := range []struct {
		name string
		gen  func() string
		re   string
	}{
		{"uuid", UUID, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`},
		{"unique uuid", UniqueUUID, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`},
		{"hex even", func() string { return Hex(32) }, `^[0-9a-f]{32}$`},
		{"hex odd", func() string { return Hex(17) }, `^[0-9a-f]{17}$`},
		{"iam alphabet", func() string { return String("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 17) }, `^[A-Z2-7]{17}$`},
		{"route53 alphabet", func() string { return String("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 20) }, `^[A-Z0-9]{20}$`},
		{"base64 secret", func() string { return Base64(30) }, `^[A-Za-z0-9+/]{40}$`},
	} {
		re := regexp.MustCompile(tc.re)
		seen := map[string]bool{}
		for range 200 {
			id := tc.gen()
			if !re.MatchString(id) {
				t.Fatalf("%s: %q does not match %s", tc.name, id, tc.re)
			}
			if seen[id] {
				t.Fatalf("%s: %q repeated", tc.name, id)
			}
			seen[id] = true
		}
	}
	if _, err := base64.StdEncoding.DecodeString(Base64(96)); err != nil {
		t.Fatal(err)
	}
}

// TestStringUniform: with an alphabet whose size does not divide 256 every
// character still comes up about equally often (plain modulo would give
// the first 4 of 36 characters 8/7 of their share).
func TestStringUniform(t *testing.T) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	const n = 360000
	s := String(alphabet, n)
	want := n / len(alphabet)
	for _, c := range alphabet {
		got := strings.Count(s, string(c))
		// 10000 expected, sd ≈ 98: ±600 is beyond 6 sd, while modulo bias
		// would put the first characters near 11100.
		if got < want-600 || got > want+600 {
			t.Errorf("%c: %d of %d, want about %d", c, got, n, want)
		}
	}
}

func TestStringBadAlphabet(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("String with an empty alphabet did not panic")
		}
	}()
	String("", 3)
}

// TestUnique: Unique fills every byte, a tail shorter than 8 included,
// and ids made at once on many goroutines (threads) do not repeat.
func TestUnique(t *testing.T) {
	for n := range 20 {
		set := make([]bool, n) // byte i was seen non-zero in some round
		for range 64 {
			b := make([]byte, n)
			Unique(b)
			for i, c := range b {
				set[i] = set[i] || c != 0
			}
		}
		for i, ok := range set {
			if !ok {
				t.Fatalf("Unique(%d bytes): byte %d always zero", n, i)
			}
		}
	}
	const workers, each = 8, 2000
	ids := make(chan string, workers*each)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				ids <- UniqueUUID()
			}
		})
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		if seen[id] {
			t.Fatalf("%s repeated", id)
		}
		seen[id] = true
	}
}
