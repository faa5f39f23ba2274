package storage

import (
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
