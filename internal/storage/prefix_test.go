package storage

import (
	"errors"
	"testing"
)

func TestDeletePrefix(t *testing.T) {
	for _, k := range backendKinds() {
		t.Run(k.name, func(t *testing.T) {
			s := openStore(t, openBackend(t, k.opts(t)), "svc")
			put(t, s, "a", "0", "q/1", "1", "q/2", "2", "q/2/x", "3", "qq", "4", "r", "5")
			mustUpdate(t, s, func(tx Tx) error { return DeletePrefix(tx, []byte("q/")) })
			if got, want := scanAll(t, s, "", ScanOptions{}), []string{"a=0", "qq=4", "r=5"}; !equalStrings(got, want) {
				t.Fatalf("after DeletePrefix(q/): %q, want %q", got, want)
			}
			// Nothing under the prefix: nothing changes, no error.
			mustUpdate(t, s, func(tx Tx) error { return DeletePrefix(tx, []byte("zzz")) })
			err := s.Update(func(tx Tx) error { return DeletePrefix(tx, nil) })
			if !errors.Is(err, ErrKeyRequired) {
				t.Fatalf("DeletePrefix(empty) = %v, want ErrKeyRequired", err)
			}
			if got := scanAll(t, s, "", ScanOptions{}); len(got) != 3 {
				t.Fatalf("empty prefix deleted keys: %q", got)
			}
			// In a read-only transaction the first delete fails and stops it.
			if err := s.View(func(tx Tx) error { return DeletePrefix(tx, []byte("a")) }); !errors.Is(err, ErrReadOnly) {
				t.Fatalf("DeletePrefix in View = %v, want ErrReadOnly", err)
			}
		})
	}
}
