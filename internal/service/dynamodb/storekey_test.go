package dynamodb

import (
	"bytes"
	"testing"

	"github.com/niwa-cloud/niwa/internal/storage"
)

// TestStoreKeyLayout pins an item's storage key, built in one buffer, to
// the Scope.Key layout items have always been stored under (a --data-dir
// written before must still be read).
func TestStoreKeyLayout(t *testing.T) {
	sc := storage.Scope{Account: "123456789012", Region: "eu-west-1"}
	tbl := &tableRecord{Name: "t.1"}
	for _, parts := range [][]string{{"pk"}, {"p\x00k", "s\x01k"}, {""}, {"", "x"}} {
		k := itemKey{np: len(parts)}
		copy(k.parts[:], parts)
		got := tbl.storeKey(sc, k)
		want := sc.Key(append([]string{"item", tbl.Name}, parts...)...)
		if !bytes.Equal(got, want) {
			t.Errorf("storeKey(%q) = %x, want %x", parts, got, want)
		}
	}
}
