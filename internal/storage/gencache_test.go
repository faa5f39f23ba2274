package storage

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// genFixture is a store holding one table of ints and a GenCache of its
// records that counts the store reads its misses make.
type genFixture struct {
	st    Store
	tbl   Table[int]
	sc    Scope
	c     *GenCache[string, int]
	reads atomic.Int64
}

func newGenFixture(t *testing.T, o GenCacheOptions[string]) *genFixture {
	t.Helper()
	be, err := Open(Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = be.Close() })
	st, err := be.Store("s")
	if err != nil {
		t.Fatal(err)
	}
	return &genFixture{st: st, tbl: NewTable[int]("n"), sc: Scope{Account: "1", Region: "r"}, c: NewGenCache[string, int](o)}
}

// read is the store read a miss makes (-1: no such record).
func (f *genFixture) read(key string) (int, error) {
	f.reads.Add(1)
	v := -1
	err := f.st.View(func(tx Tx) error {
		n, ok, err := f.tbl.Get(tx, f.sc, key)
		if ok {
			v = n
		}
		return err
	})
	return v, err
}

func (f *genFixture) get(t *testing.T, key string) int {
	t.Helper()
	v, err := f.c.Get(key, func() (int, error) { return f.read(key) })
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (f *genFixture) put(t *testing.T, key string, v int) {
	t.Helper()
	if err := f.c.Update(f.st, func(tx Tx) error { return f.tbl.Put(tx, f.sc, v, key) }); err != nil {
		t.Fatal(err)
	}
}

// TestGenCacheSeesWrites: a value is read from the store once and then
// kept; the very next Get after a write through Update (a put, a delete,
// a rolled-back write), Changed or Reset reads the store again and
// answers what it holds.
func TestGenCacheSeesWrites(t *testing.T) {
	f := newGenFixture(t, GenCacheOptions[string]{})
	want := func(key string, v int, reads int64) {
		t.Helper()
		if got := f.get(t, key); got != v {
			t.Fatalf("Get(%q) = %d, want %d", key, got, v)
		}
		if got := f.reads.Load(); got != reads {
			t.Fatalf("after Get(%q): %d store reads, want %d", key, got, reads)
		}
	}
	want("a", -1, 1) // a missing record is kept too
	want("a", -1, 1)
	f.put(t, "a", 1)
	want("a", 1, 2)
	want("a", 1, 2)
	f.put(t, "b", 2) // any write makes every entry stale
	want("a", 1, 3)
	if err := f.c.Update(f.st, func(tx Tx) error {
		if err := f.tbl.Put(tx, f.sc, 9, "a"); err != nil {
			return err
		}
		return errTest
	}); err != errTest {
		t.Fatalf("rolled-back Update: %v", err)
	}
	want("a", 1, 4) // read again, and the rollback left 1
	if err := f.c.Update(f.st, func(tx Tx) error { return f.tbl.Delete(tx, f.sc, "a") }); err != nil {
		t.Fatal(err)
	}
	want("a", -1, 5)
	// A write made outside Update, followed by Changed.
	if err := f.st.Update(func(tx Tx) error { return f.tbl.Put(tx, f.sc, 3, "a") }); err != nil {
		t.Fatal(err)
	}
	f.c.Changed()
	want("a", 3, 6)
	want("a", 3, 6)
	f.c.Reset()
	if n := f.c.Len(); n != 0 {
		t.Fatalf("after Reset: %d entries", n)
	}
	want("a", 3, 7)
}

// TestGenCacheReadBeforeWrite is the ordering rule: a reader that took
// the generation before a write and read the store before it committed
// files a value older than the write; the write's Update moves the
// generation after it returns, so the next Lookup does not answer that
// value, and Add does not even keep it.
func TestGenCacheReadBeforeWrite(t *testing.T) {
	f := newGenFixture(t, GenCacheOptions[string]{})
	f.put(t, "k", 1)
	// The reader: generation, then the store.
	_, gen, ok := f.c.Lookup("k")
	if ok {
		t.Fatal("hit in an empty cache")
	}
	old, err := f.read("k")
	if err != nil || old != 1 {
		t.Fatalf("read %d %v", old, err)
	}
	// A write commits and is answered before the reader files its value.
	f.put(t, "k", 2)
	f.c.Add("k", gen, old)
	if v, _, ok := f.c.Lookup("k"); ok {
		t.Fatalf("Lookup after the write answered %d, read before it", v)
	}
	if n := f.c.Len(); n != 0 {
		t.Fatalf("a value read before a write was kept (%d entries)", n)
	}
	if got := f.get(t, "k"); got != 2 {
		t.Fatalf("Get after the write = %d, want 2", got)
	}

	// A value read at an older generation does not replace one read at
	// the current generation (Add refuses it as stale).
	f.put(t, "k", 3)
	_, g1, _ := f.c.Lookup("k")
	f.c.Add("k", g1, 3)
	f.c.Add("k", g1-1, 2)
	if v, _, ok := f.c.Lookup("k"); !ok || v != 3 {
		t.Fatalf("Lookup = %d %v, want the current 3", v, ok)
	}
}

// TestGenCacheSharedCounter: with Writes set, the generation is the
// caller's counter, moved by a storage.Counting's writes as by Update.
func TestGenCacheSharedCounter(t *testing.T) {
	var writes atomic.Uint64
	f := newGenFixture(t, GenCacheOptions[string]{Writes: &writes})
	counted := Counting{Store: f.st, Writes: &writes}
	if err := counted.Update(func(tx Tx) error { return f.tbl.Put(tx, f.sc, 1, "k") }); err != nil {
		t.Fatal(err)
	}
	if got := f.get(t, "k"); got != 1 || f.reads.Load() != 1 {
		t.Fatalf("first Get = %d after %d reads", got, f.reads.Load())
	}
	if err := counted.Update(func(tx Tx) error { return f.tbl.Put(tx, f.sc, 2, "k") }); err != nil {
		t.Fatal(err)
	}
	if got := f.get(t, "k"); got != 2 || f.reads.Load() != 2 {
		t.Fatalf("Get after the counted write = %d after %d reads", got, f.reads.Load())
	}
	if g := f.c.Generation(); g != writes.Load() || g != 2 {
		t.Fatalf("Generation %d, counter %d", g, writes.Load())
	}
	f.c.Changed()
	if writes.Load() != 3 {
		t.Fatalf("Changed did not move the caller's counter: %d", writes.Load())
	}
}

// TestGenCacheBounded: the cache keeps at most Max entries, and the keys
// it keeps are CloneKey's copies.
func TestGenCacheBounded(t *testing.T) {
	var clones int
	f := newGenFixture(t, GenCacheOptions[string]{Max: 3, CloneKey: func(k string) string {
		clones++
		return strings.Clone(k)
	}})
	for i := range 10 {
		f.get(t, strconv.Itoa(i))
		if n := f.c.Len(); n > 3 || n == 0 {
			t.Fatalf("after %d keys: %d entries", i+1, n)
		}
	}
	if clones != 10 {
		t.Fatalf("%d keys cloned, want 10", clones)
	}
	// A key already kept is replaced in place, not counted again.
	f.get(t, "9")
	if clones != 10 {
		t.Fatalf("a hit cloned its key")
	}
	var zero GenCache[int, int] // the zero value: own counter, default bound
	zero.Add(1, zero.Generation(), 5)
	if v, _, ok := zero.Lookup(1); !ok || v != 5 {
		t.Fatalf("zero GenCache: %d %v", v, ok)
	}
}

// TestGenCacheHitAllocates: a hit is a map lookup under a read lock.
func TestGenCacheHitAllocates(t *testing.T) {
	f := newGenFixture(t, GenCacheOptions[string]{})
	f.put(t, "k", 1)
	f.get(t, "k")
	read := func() (int, error) { return f.read("k") }
	if n := testing.AllocsPerRun(100, func() {
		if v, err := f.c.Get("k", read); err != nil || v != 1 {
			t.Fatal(v, err)
		}
	}); n != 0 {
		t.Fatalf("a hit allocates %v times", n)
	}
	if f.reads.Load() != 1 {
		t.Fatalf("%d store reads", f.reads.Load())
	}
}

// TestGenCacheConcurrent: readers racing writers never get a value older
// than the last write that had returned when their Get began (run it
// with -race).
func TestGenCacheConcurrent(t *testing.T) {
	f := newGenFixture(t, GenCacheOptions[string]{Max: 4})
	f.put(t, "k", 0)
	var answered atomic.Int64 // the last value whose Update returned
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for r := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			key := "k"
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if r == 3 && i%2 == 1 {
					key = "other" + strconv.Itoa(i%8) // churn the bound
				} else {
					key = "k"
				}
				lo := answered.Load()
				v, err := f.c.Get(key, func() (int, error) { return f.read(key) })
				if err != nil {
					t.Error(err)
					return
				}
				if key == "k" && int64(v) < lo {
					t.Errorf("Get answered %d after the write of %d had returned", v, lo)
					return
				}
			}
		}()
	}
	for i := 1; i <= 300; i++ {
		f.put(t, "k", i)
		answered.Store(int64(i))
	}
	close(stop)
	wg.Wait()
	if got := f.get(t, "k"); got != 300 {
		t.Fatalf("after the writes: %d", got)
	}
}
