package storage

import (
	"errors"
	"testing"
)

// TestSwap: on every backend, Swap stores like Put and answers what Get
// answered just before (missing, empty or a value, the caller's copy),
// sees the transaction's own writes, is undone with its transaction,
// leaves a snapshot taken before it alone, and is refused where Put is.
func TestSwap(t *testing.T) {
	for _, k := range backendKinds() {
		t.Run(k.name, func(t *testing.T) {
			s := openStore(t, openBackend(t, k.opts(t)), "svc")
			put(t, s, "a", "1", "e", "")
			mustUpdate(t, s, func(tx Tx) error {
				sw := tx.(Swapper)
				for _, c := range []struct {
					key, val, old string
					existed       bool
				}{
					{"a", "2", "1", true}, {"a", "3", "2", true}, {"e", "x", "", true}, {"new", "n", "", false},
				} {
					old, existed, err := sw.Swap([]byte(c.key), []byte(c.val))
					if err != nil || existed != c.existed || string(old) != c.old || (!existed && old != nil) {
						t.Errorf("Swap(%s, %s) = %q, %v, %v; want %q, %v", c.key, c.val, old, existed, err, c.old, c.existed)
					}
					for i := range old {
						old[i] = 'z' // the caller's to modify
					}
				}
				if v, ok := tx.Get([]byte("a")); !ok || string(v) != "3" {
					t.Errorf("a read back as %q, %v", v, ok)
				}
				return nil
			})
			for key, want := range map[string]string{"a": "3", "e": "x", "new": "n"} {
				if v, ok := get(t, s, key); !ok || v != want {
					t.Errorf("%s = %q, %v after the swaps; want %q", key, v, ok, want)
				}
			}
			// Undone with a failing transaction; a View opened before sees
			// none of it.
			boom := errors.New("boom")
			err := s.View(func(view Tx) error {
				if err := s.Update(func(tx Tx) error {
					if _, _, err := tx.(Swapper).Swap([]byte("a"), []byte("4")); err != nil {
						return err
					}
					if v, ok := view.Get([]byte("a")); !ok || string(v) != "3" {
						t.Errorf("a View opened before the swap read %q, %v", v, ok)
					}
					return boom
				}); !errors.Is(err, boom) {
					t.Errorf("Update = %v, want boom", err)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if v, _ := get(t, s, "a"); v != "3" {
				t.Errorf("a = %q after a failed Update's swap, want 3", v)
			}
			_ = s.View(func(tx Tx) error {
				if _, _, err := tx.(Swapper).Swap([]byte("a"), []byte("5")); !errors.Is(err, ErrReadOnly) {
					t.Errorf("Swap in a View = %v, want ErrReadOnly", err)
				}
				return nil
			})
			mustUpdate(t, s, func(tx Tx) error {
				if _, _, err := tx.(Swapper).Swap(nil, []byte("v")); !errors.Is(err, ErrKeyRequired) {
					t.Errorf("Swap of an empty key = %v, want ErrKeyRequired", err)
				}
				if _, _, err := tx.(Swapper).Swap([]byte("big"), make([]byte, MaxValueSize+1)); !errors.Is(err, ErrValueTooLarge) {
					t.Errorf("Swap of a value too large = %v, want ErrValueTooLarge", err)
				}
				return nil
			})
		})
	}
}
