package storage

import (
	"bytes"
	"fmt"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"testing"
)

// TestMemUpdateClonesOnWrite: the memory backend's Update clones the
// committed tree only at its first write and publishes only what wrote:
// an Update that only reads leaves the snapshot Views read as it is and
// costs no tree copy; one that writes publishes a new tree while a View
// opened before keeps reading the old one; concurrent Views read
// published trees while the writer clones them (run with -race).
func TestMemUpdateClonesOnWrite(t *testing.T) {
	s := openStore(t, openBackend(t, Options{}), "svc").(*memStore)
	put(t, s, "a", "1")
	before := s.snap.Load()
	read := func() error {
		return s.Update(func(tx Tx) error {
			tx.Get([]byte("a"))
			return nil
		})
	}
	if err := read(); err != nil {
		t.Fatal(err)
	}
	if s.snap.Load() != before {
		t.Error("a read-only Update published a new tree")
	}
	if n := testing.AllocsPerRun(100, func() { _ = read() }); n > 3 {
		t.Errorf("a read-only Update made %.0f allocations, want at most 3 (the transaction, its closure, the copied value; a tree clone is 3 more)", n)
	}

	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				_ = s.View(func(tx Tx) error {
					n := 0
					return tx.Scan(nil, ScanOptions{}, func(k, v []byte) bool { n++; return true })
				})
			}
		}()
	}
	held := make(chan struct{})
	release := make(chan struct{})
	go func() {
		_ = s.View(func(tx Tx) error {
			close(held)
			<-release
			if v, _ := tx.Get([]byte("a")); string(v) != "1" {
				t.Errorf("a View opened before the write reads a=%q, want 1", v)
			}
			return nil
		})
		close(release)
	}()
	<-held
	for i := range 200 {
		put(t, s, string(rune('b'+i%20)), "x")
	}
	put(t, s, "a", "2")
	release <- struct{}{}
	<-release
	close(stop)
	wg.Wait()
	if s.snap.Load() == before {
		t.Error("a writing Update did not publish")
	}
	if v, _ := get(t, s, "a"); v != "2" {
		t.Errorf("a = %q after the write, want 2", v)
	}
}

// TestMemStoreMarkCost pins the memory backend's layout for the garbage
// collector, which marks every stored record at every collection: a
// record is one pointer-free buffer (its key and value) and the tree's
// nodes hold one pointer of 16 bytes per record. Two slices per record
// (48 bytes, two pointers) were ~100 bytes of pointer-bearing heap a
// record in the tree's nodes; now ~40.
func TestMemStoreMarkCost(t *testing.T) {
	const n = 20000
	read := func() (objects, scan uint64) {
		runtime.GC()
		s := []metrics.Sample{{Name: "/gc/heap/objects:objects"}, {Name: "/gc/scan/heap:bytes"}}
		metrics.Read(s)
		return s[0].Value.Uint64(), s[1].Value.Uint64()
	}
	be := openBackend(t, Options{})
	s := openStore(t, be, "svc")
	sc := Scope{Account: "000000000000", Region: "us-east-1"}
	val := make([]byte, 200)
	obj0, scan0 := read()
	for i := range n {
		key := sc.Key("item", strconv.Itoa(i))
		if err := s.Update(func(tx Tx) error { return tx.Put(key, val) }); err != nil {
			t.Fatal(err)
		}
	}
	obj1, scan1 := read()
	objects := float64(int64(obj1)-int64(obj0)) / n
	scan := float64(int64(scan1)-int64(scan0)) / n
	t.Logf("%.2f objects and %.1f bytes of pointer-bearing heap per record", objects, scan)
	if objects > 1.2 {
		t.Errorf("%.2f live objects per record, want at most 1.2 (its buffer, and the tree's nodes)", objects)
	}
	if scan > 60 {
		t.Errorf("%.1f bytes of pointer-bearing heap per record, want at most 60", scan)
	}
	// Every record reads back as written.
	if err := s.View(func(tx Tx) error {
		for _, i := range []int{0, 1, n / 2, n - 1} {
			v, ok := tx.Get(sc.Key("item", strconv.Itoa(i)))
			if !ok || !bytes.Equal(v, val) {
				t.Errorf("record %d reads back %v, %d bytes", i, ok, len(v))
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	runtime.KeepAlive(be)
}

// TestMemStoreKeyValueBuffer: keys and values come back as written,
// whatever their lengths (an empty value, a value longer than its key, a
// key at MaxKeySize), after overwrites and deletes, and what Get and Scan
// return is the caller's: changing or appending to it changes nothing
// stored.
func TestMemStoreKeyValueBuffer(t *testing.T) {
	s := openStore(t, openBackend(t, Options{}), "svc")
	long := bytes.Repeat([]byte("k"), MaxKeySize)
	cases := []struct{ k, v []byte }{
		{[]byte("a"), nil},
		{[]byte("b"), []byte("x")},
		{[]byte("c"), bytes.Repeat([]byte("v"), 5000)},
		{long, []byte("long key")},
	}
	for _, c := range cases {
		if err := s.Update(func(tx Tx) error { return tx.Put(c.k, c.v) }); err != nil {
			t.Fatal(err)
		}
	}
	check := func() {
		t.Helper()
		if err := s.View(func(tx Tx) error {
			for _, c := range cases {
				v, ok := tx.Get(c.k)
				if !ok || !bytes.Equal(v, c.v) {
					t.Errorf("key of %d bytes: got %q, %v", len(c.k), v, ok)
				}
				v = append(v, "appended"...)
				if len(v) > 0 {
					v[0] ^= 0xff
				}
			}
			i := 0
			return tx.Scan(nil, ScanOptions{}, func(k, v []byte) bool {
				if !bytes.Equal(k, cases[i].k) || !bytes.Equal(v, cases[i].v) {
					t.Errorf("scan %d: key of %d bytes, value %q", i, len(k), v)
				}
				_ = append(k, 'z')
				k[0] = 'z'
				i++
				return true
			})
		}); err != nil {
			t.Fatal(err)
		}
	}
	check()
	check()
	// Overwrite with a longer and a shorter value, delete one.
	cases[1].v = []byte("longer value than before")
	cases[2].v = []byte("s")
	if err := s.Update(func(tx Tx) error {
		if err := tx.Put(cases[1].k, cases[1].v); err != nil {
			return err
		}
		if err := tx.Put(cases[2].k, cases[2].v); err != nil {
			return err
		}
		return tx.Delete(cases[0].k)
	}); err != nil {
		t.Fatal(err)
	}
	cases = cases[1:]
	check()
}

// TestMemStoreHeapPerByte: what a record costs the memory backend's heap
// beyond its value, for the shapes of the bench's stored data set (a
// DynamoDB item of ~1 KiB, an 8 KiB SQS message with its record's
// header), written 25 to an Update as BatchWriteItem does: the key and
// value in one buffer rounded to its size class, and the tree's 16-byte
// item with its nodes' slack. The value is held once.
func TestMemStoreHeapPerByte(t *testing.T) {
	heap := func() int64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return int64(ms.HeapAlloc)
	}
	sc := Scope{Account: "000000000000", Region: "ap-northeast-1"}
	for _, c := range []struct {
		name    string
		n, size int
		max     float64 // heap bytes per value byte
	}{
		{"item-1KiB", 20000, 1000, 1.20},
		{"message-8KiB", 3000, 8192 + 150, 1.20},
	} {
		t.Run(c.name, func(t *testing.T) {
			be := openBackend(t, Options{})
			s := openStore(t, be, "svc")
			val := make([]byte, c.size)
			before := heap()
			for i := 0; i < c.n; i += 25 {
				if err := s.Update(func(tx Tx) error {
					for j := i; j < min(i+25, c.n); j++ {
						if err := tx.Put(sc.Key("item", "bench-stored", fmt.Sprintf("item-%07d", j)), val); err != nil {
							return err
						}
					}
					return nil
				}); err != nil {
					t.Fatal(err)
				}
			}
			grew := heap() - before
			per := float64(grew) / float64(c.n*c.size)
			t.Logf("%.3f bytes of heap per value byte; %d bytes a record beyond its value (its key is %d)",
				per, grew/int64(c.n)-int64(c.size), len(sc.Key("item", "bench-stored", "item-0000000")))
			if per > c.max {
				t.Errorf("%.3f bytes of heap per value byte, want at most %.2f", per, c.max)
			}
			runtime.KeepAlive(be)
		})
	}
}
