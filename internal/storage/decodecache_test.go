package storage

import (
	"errors"
	"testing"
)

var errTest = errors.New("roll back")

type cachedRec struct {
	N    int
	Tags []string
}

// TestDecodeCacheFollowsStoredBytes: the cache returns what decoding the
// stored bytes gives, across updates, deletes, rolled-back writes and
// overflow.
// Both backends: a hit reads the stored bytes in place (rawTx.peek).
func TestDecodeCacheFollowsStoredBytes(t *testing.T) {
	t.Run("memory", func(t *testing.T) { testDecodeCache(t, Options{}) })
	t.Run("bolt", func(t *testing.T) { testDecodeCache(t, Options{DataDir: t.TempDir()}) })
}

// newCacheFixture opens a store on opts (closed with the test) and a
// DecodeCache of two records over a table of cachedRec.
func newCacheFixture(t *testing.T, opts Options) (Store, Table[cachedRec], *DecodeCache[cachedRec], Scope) {
	t.Helper()
	be, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = be.Close() })
	st, err := be.Store("s")
	if err != nil {
		t.Fatal(err)
	}
	tbl := NewTable[cachedRec]("rec")
	return st, tbl, NewDecodeCache(tbl, 2), Scope{Account: "1", Region: "r"}
}

func testDecodeCache(t *testing.T, opts Options) {
	st, tbl, c, sc := newCacheFixture(t, opts)
	get := func(key string) (cachedRec, bool) {
		t.Helper()
		var v cachedRec
		var ok bool
		if err := st.View(func(tx Tx) error {
			var err error
			v, ok, err = c.Get(tx, sc, key)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return v, ok
	}
	put := func(key string, v cachedRec) {
		t.Helper()
		if err := st.Update(func(tx Tx) error { return tbl.Put(tx, sc, v, key) }); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := get("a"); ok {
		t.Fatal("missing record found")
	}
	put("a", cachedRec{N: 1, Tags: []string{"x"}})
	for range 2 {
		if v, ok := get("a"); !ok || v.N != 1 || len(v.Tags) != 1 {
			t.Fatalf("got %+v %v", v, ok)
		}
	}
	put("a", cachedRec{N: 2})
	if v, _ := get("a"); v.N != 2 || v.Tags != nil {
		t.Fatalf("stale value after update: %+v", v)
	}
	// A write that rolls back is never seen, even if read inside its tx
	// right after a hit on the committed version.
	_ = st.Update(func(tx Tx) error {
		if v, _, _ := c.Get(tx, sc, "a"); v.N != 2 {
			t.Errorf("committed version not seen in tx: %+v", v)
		}
		_ = tbl.Put(tx, sc, cachedRec{N: 3}, "a")
		if v, _, _ := c.Get(tx, sc, "a"); v.N != 3 {
			t.Errorf("own write not seen in tx: %+v", v)
		}
		return errTest
	})
	if v, _ := get("a"); v.N != 2 {
		t.Fatalf("rolled-back write seen: %+v", v)
	}
	put("b", cachedRec{N: 5})
	put("c", cachedRec{N: 6}) // overflows max 2
	for k, want := range map[string]int{"a": 2, "b": 5, "c": 6} {
		if v, _ := get(k); v.N != want {
			t.Fatalf("%s = %+v, want N %d", k, v, want)
		}
	}
	if err := st.Update(func(tx Tx) error { return tbl.Delete(tx, sc, "a") }); err != nil {
		t.Fatal(err)
	}
	if _, ok := get("a"); ok {
		t.Fatal("deleted record found")
	}
}

// TestDecodeCacheListMatchesTable: List through the cache lists what
// Table.List lists — same keys, values and order — across updates,
// deletes and more records than the cache holds.
func TestDecodeCacheListMatchesTable(t *testing.T) {
	st, tbl, c, sc := newCacheFixture(t, Options{})
	type row struct {
		key string
		n   int
	}
	list := func(viaCache bool) []row {
		t.Helper()
		var out []row
		fn := func(k []string, v cachedRec) bool {
			out = append(out, row{k[0] + "/" + k[1], v.N})
			return true
		}
		if err := st.View(func(tx Tx) error {
			if viaCache {
				return c.List(tx, sc, []string{"g"}, ListOptions{}, fn)
			}
			return tbl.List(tx, sc, []string{"g"}, ListOptions{}, fn)
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	update := func(fn func(tx Tx) error) {
		t.Helper()
		if err := st.Update(fn); err != nil {
			t.Fatal(err)
		}
	}
	check := func(step string, want []row) {
		t.Helper()
		for _, viaCache := range []bool{true, true, false} {
			got := list(viaCache)
			if len(got) != len(want) {
				t.Fatalf("%s (cache %v): %v, want %v", step, viaCache, got, want)
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("%s (cache %v): %v, want %v", step, viaCache, got, want)
				}
			}
		}
	}
	update(func(tx Tx) error {
		for i, k := range []string{"a", "b", "c"} {
			if err := tbl.Put(tx, sc, cachedRec{N: i}, "g", k); err != nil {
				return err
			}
		}
		return tbl.Put(tx, sc, cachedRec{N: 9}, "h", "a") // outside the prefix
	})
	check("put", []row{{"g/a", 0}, {"g/b", 1}, {"g/c", 2}})
	update(func(tx Tx) error { return tbl.Put(tx, sc, cachedRec{N: 7}, "g", "b") })
	check("update", []row{{"g/a", 0}, {"g/b", 7}, {"g/c", 2}})
	update(func(tx Tx) error { return tbl.Delete(tx, sc, "g", "a") })
	check("delete", []row{{"g/b", 7}, {"g/c", 2}})
}

// TestDecodeCacheHitCopiesNothing: a hit makes the key and nothing else (the
// stored value is compared where it lies, not copied out first).
func TestDecodeCacheHitCopiesNothing(t *testing.T) {
	st, tbl, c, sc := newCacheFixture(t, Options{})
	if err := st.Update(func(tx Tx) error { return tbl.Put(tx, sc, cachedRec{N: 1, Tags: []string{"x"}}, "a") }); err != nil {
		t.Fatal(err)
	}
	_ = st.View(func(tx Tx) error {
		c.Get(tx, sc, "a")
		if n := testing.AllocsPerRun(100, func() { c.Get(tx, sc, "a") }); n > 1 {
			t.Errorf("a cache hit allocated %v times, want 1 (its key)", n)
		}
		return nil
	})
}
