package lazyre

import (
	"slices"
	"sync"
	"testing"
)

func TestMatchesLikeRegexp(t *testing.T) {
	r := New(`^arn:aws:sns:([a-z0-9-]+):(\d{12}):[A-Za-z0-9_-]{1,256}$`)
	if r.String() != `^arn:aws:sns:([a-z0-9-]+):(\d{12}):[A-Za-z0-9_-]{1,256}$` {
		t.Fatalf("String() = %q", r.String())
	}
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"arn:aws:sns:us-east-1:123456789012:topic", true},
		{"arn:aws:sns:us-east-1:12345678901:topic", false},
		{"arn:aws:sns:us-east-1:123456789012:" + string(make([]byte, 0)), false},
	} {
		if got := r.MatchString(c.in); got != c.want {
			t.Errorf("MatchString(%q) = %v, want %v", c.in, got, c.want)
		}
		if got := r.Match([]byte(c.in)); got != c.want {
			t.Errorf("Match(%q) = %v, want %v", c.in, got, c.want)
		}
	}
	if got := r.FindStringSubmatch("arn:aws:sns:eu-west-1:123456789012:t"); !slices.Equal(got, []string{"arn:aws:sns:eu-west-1:123456789012:t", "eu-west-1", "123456789012"}) {
		t.Errorf("FindStringSubmatch = %q", got)
	}
}

// TestCompiledOnce: concurrent first uses share one compilation.
func TestCompiledOnce(t *testing.T) {
	r := New(`^a{1,64}$`)
	var wg sync.WaitGroup
	got := make([]any, 8)
	for i := range got {
		wg.Add(1)
		go func() { defer wg.Done(); got[i] = r.Regexp() }()
	}
	wg.Wait()
	for _, g := range got {
		if g != got[0] {
			t.Fatal("compiled more than once")
		}
	}
}

// TestMalformedPanicsAtNew: a bad expression fails where it is declared
// (at start-up for a package-level one), not at its first match.
func TestMalformedPanicsAtNew(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("New accepted a malformed expression")
		}
	}()
	New(`^(unclosed$`)
}
