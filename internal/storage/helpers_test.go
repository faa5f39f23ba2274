package storage

import (
	"errors"
	"strings"
	"testing"
)

// backendKind is one row of every conformance table: the same tests run
// against both backends so they cannot drift apart.
type backendKind struct {
	name string
	opts func(tb testing.TB) Options
}

func backendKinds() []backendKind {
	return []backendKind{
		{"memory", func(testing.TB) Options { return Options{} }},
		{"bolt", func(tb testing.TB) Options { return Options{DataDir: tb.TempDir()} }},
	}
}

func openBackend(tb testing.TB, opts Options) Backend {
	tb.Helper()
	b, err := Open(opts)
	if err != nil {
		tb.Fatalf("Open(%+v): %v", opts, err)
	}
	tb.Cleanup(func() {
		if err := b.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return b
}

func openStore(tb testing.TB, b Backend, name string) Store {
	tb.Helper()
	s, err := b.Store(name)
	if err != nil {
		tb.Fatalf("Store(%q): %v", name, err)
	}
	return s
}

func mustUpdate(tb testing.TB, s Store, fn func(tx Tx) error) {
	tb.Helper()
	if err := s.Update(fn); err != nil {
		tb.Fatalf("Update: %v", err)
	}
}

func put(tb testing.TB, s Store, pairs ...string) {
	tb.Helper()
	mustUpdate(tb, s, func(tx Tx) error {
		for i := 0; i+1 < len(pairs); i += 2 {
			if err := tx.Put([]byte(pairs[i]), []byte(pairs[i+1])); err != nil {
				return err
			}
		}
		return nil
	})
}

func get(tb testing.TB, s Store, key string) (string, bool) {
	tb.Helper()
	var v []byte
	var ok bool
	if err := s.View(func(tx Tx) error {
		v, ok = tx.Get([]byte(key))
		return nil
	}); err != nil {
		tb.Fatalf("View: %v", err)
	}
	return string(v), ok
}

// scanAll returns "key=value" strings for readability in failures.
func scanAll(tb testing.TB, s Store, prefix string, opts ScanOptions) []string {
	tb.Helper()
	var out []string
	if err := s.View(func(tx Tx) error {
		return tx.Scan([]byte(prefix), opts, func(k, v []byte) bool {
			out = append(out, string(k)+"="+string(v))
			return true
		})
	}); err != nil {
		tb.Fatalf("View: %v", err)
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// compareParts is the order tuple keys must reproduce: element-wise byte
// comparison, shorter list first on a tie.
func compareParts(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := strings.Compare(a[i], b[i]); c != 0 {
			return c
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

var errBoom = errors.New("boom")
