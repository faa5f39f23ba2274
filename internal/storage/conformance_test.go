package storage

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// TestConformance is the contract of Store and Tx. Every case runs against
// every backend.
func TestConformance(t *testing.T) {
	cases := []struct {
		name string
		run  func(t *testing.T, b Backend)
	}{
		{"GetPutDelete", testGetPutDelete},
		{"KeyAndValueChecks", testKeyAndValueChecks},
		{"OwnershipOfSlices", testOwnershipOfSlices},
		{"TupleKeyOrder", testTupleKeyOrder},
		{"ScanOptions", testScanOptions},
		{"ScanAllFFPrefix", testScanAllFFPrefix},
		{"ScanPagination", testScanPagination},
		{"ScanMatchesModel", testScanMatchesModel},
		{"ScanAndDelete", testScanAndDelete},
		{"RollbackOnError", testRollbackOnError},
		{"RollbackOnPanic", testRollbackOnPanic},
		{"ReadsYourWrites", testReadsYourWrites},
		{"SnapshotIsolation", testSnapshotIsolation},
		{"SerializedUpdates", testSerializedUpdates},
		{"TxUseAfterReturn", testTxUseAfterReturn},
		{"StoresAreSeparate", testStoresAreSeparate},
		{"StoreNames", testStoreNames},
		{"Reset", testReset},
		{"ResetUnderLoad", testResetUnderLoad},
		{"Close", testClose},
	}
	for _, k := range backendKinds() {
		t.Run(k.name, func(t *testing.T) {
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					c.run(t, openBackend(t, k.opts(t)))
				})
			}
		})
	}
}

func testGetPutDelete(t *testing.T, b Backend) {
	s := openStore(t, b, "svc")
	if _, ok := get(t, s, "a"); ok {
		t.Fatal("empty store has key a")
	}
	put(t, s, "a", "1", "b", "2")
	if v, ok := get(t, s, "a"); !ok || v != "1" {
		t.Fatalf("a = %q, %v; want 1", v, ok)
	}
	put(t, s, "a", "one")
	if v, _ := get(t, s, "a"); v != "one" {
		t.Fatalf("overwrite: a = %q", v)
	}
	mustUpdate(t, s, func(tx Tx) error {
		if err := tx.Delete([]byte("a")); err != nil {
			return err
		}
		return tx.Delete([]byte("missing")) // not an error
	})
	if _, ok := get(t, s, "a"); ok {
		t.Fatal("a still present after Delete")
	}
	if v, ok := get(t, s, "b"); !ok || v != "2" {
		t.Fatalf("b = %q, %v", v, ok)
	}
	// An empty value is a present key, distinct from a missing one.
	put(t, s, "empty", "")
	if v, ok := get(t, s, "empty"); !ok || v != "" {
		t.Fatalf("empty = %q, %v; want present and empty", v, ok)
	}
	if got := scanAll(t, s, "", ScanOptions{}); !equalStrings(got, []string{"b=2", "empty="}) {
		t.Fatalf("scan = %q", got)
	}
}

func testKeyAndValueChecks(t *testing.T, b Backend) {
	s := openStore(t, b, "svc")
	err := s.Update(func(tx Tx) error { return tx.Put(nil, []byte("v")) })
	if !errors.Is(err, ErrKeyRequired) {
		t.Errorf("Put(nil key) = %v; want ErrKeyRequired", err)
	}
	err = s.Update(func(tx Tx) error { return tx.Delete([]byte{}) })
	if !errors.Is(err, ErrKeyRequired) {
		t.Errorf("Delete(empty key) = %v; want ErrKeyRequired", err)
	}
	err = s.Update(func(tx Tx) error { return tx.Put(make([]byte, MaxKeySize+1), nil) })
	if !errors.Is(err, ErrKeyTooLarge) {
		t.Errorf("Put(huge key) = %v; want ErrKeyTooLarge", err)
	}
	mustUpdate(t, s, func(tx Tx) error { return tx.Put(bytes.Repeat([]byte{'k'}, MaxKeySize), []byte("max")) })
	err = s.View(func(tx Tx) error { return tx.Put([]byte("k"), []byte("v")) })
	if !errors.Is(err, ErrReadOnly) {
		t.Errorf("Put in View = %v; want ErrReadOnly", err)
	}
	err = s.View(func(tx Tx) error { return tx.Delete([]byte("k")) })
	if !errors.Is(err, ErrReadOnly) {
		t.Errorf("Delete in View = %v; want ErrReadOnly", err)
	}
}

// testOwnershipOfSlices pins the contract that makes Tx safe to use without
// thinking about aliasing: inputs may be reused, outputs may be kept.
func testOwnershipOfSlices(t *testing.T, b Backend) {
	s := openStore(t, b, "svc")
	key, val := []byte("key"), []byte("value")
	mustUpdate(t, s, func(tx Tx) error {
		if err := tx.Put(key, val); err != nil {
			return err
		}
		copy(key, "KEY") // caller reuses its buffers inside the tx
		copy(val, "VALUE")
		if v, ok := tx.Get([]byte("key")); !ok || string(v) != "value" {
			t.Errorf("in tx after buffer reuse: %q, %v", v, ok)
		}
		return nil
	})
	var kept [][]byte
	if err := s.View(func(tx Tx) error {
		v, _ := tx.Get([]byte("key"))
		kept = append(kept, v)
		return tx.Scan(nil, ScanOptions{}, func(k, v []byte) bool {
			kept = append(kept, k, v)
			return true
		})
	}); err != nil {
		t.Fatal(err)
	}
	// More writes and a reopen of the pages must not change kept slices.
	put(t, s, "key", "other", "key2", "x")
	if got := fmt.Sprintf("%s", kept); got != "[value key value]" {
		t.Fatalf("kept slices changed: %s", got)
	}
	for _, k := range kept {
		for i := range k {
			k[i] = '!' // the caller owns them; the store must not care
		}
	}
	if v, _ := get(t, s, "key"); v != "other" {
		t.Fatalf("modifying returned slices changed the store: %q", v)
	}
}

// trickyTuples are part lists whose encodings would sort wrongly under a
// naive separator scheme.
func trickyTuples() [][]string {
	return [][]string{
		{"a"}, {"a\x00"}, {"ab"}, {"a", ""}, {"a", "b"}, {"a\x00", "b"},
		{"a\x00b"}, {"a\x01"}, {"a\xff"}, {"a\xff\x00"}, {""}, {"", ""},
		{"\x00"}, {"\x00\x00"}, {"\x00\x01"}, {"\xff"}, {"\xff\xff"},
		{"b"}, {"a", "\x00"}, {"a", "\xff"}, {"ab", ""}, {"a\x00\xff"},
	}
}

func testTupleKeyOrder(t *testing.T, b Backend) {
	s := openStore(t, b, "svc")
	tuples := trickyTuples()
	shuffled := slices.Clone(tuples)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) {
		shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
	})
	mustUpdate(t, s, func(tx Tx) error {
		for _, tu := range shuffled {
			if err := tx.Put(Key(tu...), []byte(fmt.Sprintf("%q", tu))); err != nil {
				return err
			}
		}
		return nil
	})
	want := slices.Clone(tuples)
	sort.Slice(want, func(i, j int) bool { return compareParts(want[i], want[j]) < 0 })

	var got [][]string
	if err := s.View(func(tx Tx) error {
		return tx.Scan(nil, ScanOptions{}, func(k, v []byte) bool {
			parts, err := SplitKey(k)
			if err != nil {
				t.Errorf("SplitKey(%x): %v", k, err)
			}
			if string(v) != fmt.Sprintf("%q", parts) {
				t.Errorf("value %s under key %q", v, parts)
			}
			got = append(got, parts)
			return true
		})
	}); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Fatalf("scan order\n got %q\nwant %q", got, want)
	}

	// A prefix of whole parts matches exactly the tuples that start with
	// those parts: Prefix("a") must not match "a\x00" or "ab".
	for _, p := range [][]string{{"a"}, {"a\x00"}, {""}, {"\x00"}, {"\xff"}} {
		var want []string
		for _, tu := range tuples {
			if len(tu) >= len(p) && slices.Equal(tu[:len(p)], p) {
				want = append(want, fmt.Sprintf("%q", tu))
			}
		}
		sort.Strings(want) // compare as sets
		for _, rev := range []bool{false, true} {
			var got []string
			if err := s.View(func(tx Tx) error {
				return tx.Scan(Prefix(p...), ScanOptions{Reverse: rev}, func(k, v []byte) bool {
					got = append(got, string(v))
					return true
				})
			}); err != nil {
				t.Fatal(err)
			}
			sort.Strings(got)
			if !equalStrings(got, want) {
				t.Errorf("Prefix(%q) reverse=%v: got %q want %q", p, rev, got, want)
			}
		}
	}
}

func testScanOptions(t *testing.T, b Backend) {
	s := openStore(t, b, "svc")
	// p0..p5 inside the prefix, neighbours on both sides outside it.
	put(t, s, "o", "x", "p", "P", "p0", "0", "p1", "1", "p2", "2", "p3", "3", "p4", "4", "p5", "5", "q", "x", "p\xff", "F")
	all := []string{"p=P", "p0=0", "p1=1", "p2=2", "p3=3", "p4=4", "p5=5", "p\xff=F"}
	rev := slices.Clone(all)
	slices.Reverse(rev)
	cases := []struct {
		name string
		opts ScanOptions
		stop int // fn returns false after this many keys; 0 = never
		want []string
	}{
		{"forward", ScanOptions{}, 0, all},
		{"reverse", ScanOptions{Reverse: true}, 0, rev},
		{"start inclusive", ScanOptions{Start: []byte("p2")}, 0, all[3:]},
		{"start exclusive", ScanOptions{Start: []byte("p2"), Exclusive: true}, 0, all[4:]},
		{"start between keys", ScanOptions{Start: []byte("p2a"), Exclusive: true}, 0, all[4:]},
		{"start before prefix", ScanOptions{Start: []byte("a")}, 0, all},
		{"start equals prefix exclusive", ScanOptions{Start: []byte("p"), Exclusive: true}, 0, all[1:]},
		{"start after most keys", ScanOptions{Start: []byte("pz\xff\xff")}, 0, all[7:]},
		{"start past range", ScanOptions{Start: []byte("z")}, 0, nil},
		{"limit", ScanOptions{Limit: 3}, 0, all[:3]},
		{"limit larger than range", ScanOptions{Limit: 100}, 0, all},
		{"start and limit", ScanOptions{Start: []byte("p1"), Exclusive: true, Limit: 2}, 0, all[3:5]},
		{"stop", ScanOptions{}, 2, all[:2]},
		{"reverse start inclusive", ScanOptions{Reverse: true, Start: []byte("p3")}, 0, rev[3:]},
		{"reverse start exclusive", ScanOptions{Reverse: true, Start: []byte("p3"), Exclusive: true}, 0, rev[4:]},
		{"reverse start between keys", ScanOptions{Reverse: true, Start: []byte("p3a")}, 0, rev[3:]},
		{"reverse start past range", ScanOptions{Reverse: true, Start: []byte("z")}, 0, rev},
		{"reverse start before prefix", ScanOptions{Reverse: true, Start: []byte("a")}, 0, nil},
		{"reverse start at prefix", ScanOptions{Reverse: true, Start: []byte("p")}, 0, rev[7:]},
		{"reverse limit", ScanOptions{Reverse: true, Limit: 2}, 0, rev[:2]},
		{"reverse stop", ScanOptions{Reverse: true}, 1, rev[:1]},
	}
	for _, c := range cases {
		var got []string
		if err := s.View(func(tx Tx) error {
			return tx.Scan([]byte("p"), c.opts, func(k, v []byte) bool {
				got = append(got, string(k)+"="+string(v))
				return c.stop == 0 || len(got) < c.stop
			})
		}); err != nil {
			t.Fatal(err)
		}
		if !equalStrings(got, c.want) {
			t.Errorf("%s: got %q want %q", c.name, got, c.want)
		}
	}
	if got := scanAll(t, s, "", ScanOptions{}); len(got) != 10 {
		t.Errorf("empty prefix: %d keys, want 10", len(got))
	}
	if got := scanAll(t, s, "nothing", ScanOptions{}); got != nil {
		t.Errorf("missing prefix: %q", got)
	}
}

// testScanAllFFPrefix covers prefixes with no upper bound, where the scan
// must run to the very last key.
func testScanAllFFPrefix(t *testing.T, b Backend) {
	s := openStore(t, b, "svc")
	put(t, s, "\xfe", "a", "\xff", "b", "\xff\x00", "c", "\xff\xff", "d", "\xff\xff\xff", "e")
	for _, c := range []struct {
		prefix string
		opts   ScanOptions
		want   []string
	}{
		{"\xff", ScanOptions{}, []string{"\xff=b", "\xff\x00=c", "\xff\xff=d", "\xff\xff\xff=e"}},
		{"\xff", ScanOptions{Reverse: true}, []string{"\xff\xff\xff=e", "\xff\xff=d", "\xff\x00=c", "\xff=b"}},
		{"\xff\xff", ScanOptions{Reverse: true, Start: []byte("\xff\xff\xff"), Exclusive: true}, []string{"\xff\xff=d"}},
		{"", ScanOptions{Reverse: true, Limit: 1}, []string{"\xff\xff\xff=e"}},
	} {
		if got := scanAll(t, s, c.prefix, c.opts); !equalStrings(got, c.want) {
			t.Errorf("prefix %q %+v: got %q want %q", c.prefix, c.opts, got, c.want)
		}
	}
}

// testScanPagination walks a range bigger than several internal batches
// page by page, the way list APIs with markers do.
func testScanPagination(t *testing.T, b Backend) {
	s := openStore(t, b, "svc")
	const n = 3000
	var want []string
	mustUpdate(t, s, func(tx Tx) error {
		for i := range n {
			k := fmt.Sprintf("item/%05d", i)
			want = append(want, k)
			if err := tx.Put([]byte(k), []byte("v")); err != nil {
				return err
			}
		}
		return tx.Put([]byte("other"), nil)
	})
	for _, reverse := range []bool{false, true} {
		for _, page := range []int{1, 7, 1000, 0} {
			var got []string
			var marker []byte
			for pages := 0; ; pages++ {
				if pages > n+1 {
					t.Fatal("pagination does not terminate")
				}
				var keys []string
				if err := s.View(func(tx Tx) error {
					return tx.Scan([]byte("item/"), ScanOptions{Start: marker, Exclusive: true, Reverse: reverse, Limit: page}, func(k, v []byte) bool {
						keys = append(keys, string(k))
						return true
					})
				}); err != nil {
					t.Fatal(err)
				}
				got = append(got, keys...)
				if len(keys) == 0 || page == 0 {
					break
				}
				marker = []byte(keys[len(keys)-1])
			}
			w := slices.Clone(want)
			if reverse {
				slices.Reverse(w)
			}
			if !equalStrings(got, w) {
				t.Fatalf("reverse=%v page=%d: got %d keys, first mismatch around %v", reverse, page, len(got), firstDiff(got, w))
			}
		}
	}
}

func firstDiff(a, b []string) string {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return fmt.Sprintf("index %d: %q vs %q", i, a[i], b[i])
		}
	}
	return fmt.Sprintf("lengths %d vs %d", len(a), len(b))
}

// testScanMatchesModel drives random writes and scans with keys drawn from
// a tiny alphabet of edge bytes, and checks every scan against a sorted
// slice that defines the semantics directly.
func testScanMatchesModel(t *testing.T, b Backend) {
	s := openStore(t, b, "svc")
	rng := rand.New(rand.NewPCG(7, 11))
	alphabet := []byte{0x00, 0x01, 'a', 'b', 0xfe, 0xff}
	randBytes := func(maxLen int) []byte {
		out := make([]byte, rng.IntN(maxLen+1))
		for i := range out {
			out[i] = alphabet[rng.IntN(len(alphabet))]
		}
		return out
	}
	model := map[string]string{}
	for round := range 40 {
		mustUpdate(t, s, func(tx Tx) error {
			for range 20 {
				k := randBytes(4)
				if len(k) == 0 {
					continue
				}
				if rng.IntN(4) == 0 {
					delete(model, string(k))
					if err := tx.Delete(k); err != nil {
						return err
					}
					continue
				}
				v := fmt.Sprint(round, rng.IntN(1000))
				model[string(k)] = v
				if err := tx.Put(k, []byte(v)); err != nil {
					return err
				}
			}
			return nil
		})
		keys := make([]string, 0, len(model))
		for k := range model {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for range 25 {
			prefix := randBytes(2)
			opts := ScanOptions{Reverse: rng.IntN(2) == 0, Exclusive: rng.IntN(2) == 0, Limit: rng.IntN(4)}
			if rng.IntN(3) > 0 {
				opts.Start = randBytes(4)
			}
			var want []string
			order := slices.Clone(keys)
			if opts.Reverse {
				slices.Reverse(order)
			}
			for _, k := range order {
				if !strings.HasPrefix(k, string(prefix)) {
					continue
				}
				if len(opts.Start) > 0 {
					c := strings.Compare(k, string(opts.Start))
					if opts.Reverse {
						c = -c
					}
					if c < 0 || (c == 0 && opts.Exclusive) {
						continue
					}
				}
				if opts.Limit > 0 && len(want) == opts.Limit {
					break
				}
				want = append(want, k+"="+model[k])
			}
			got := scanAll(t, s, string(prefix), opts)
			if !equalStrings(got, want) {
				t.Fatalf("round %d prefix %q opts %+v:\n got %q\nwant %q", round, prefix, opts, got, want)
			}
		}
	}
}

func testScanAndDelete(t *testing.T, b Backend) {
	s := openStore(t, b, "svc")
	const n = 500
	mustUpdate(t, s, func(tx Tx) error {
		for i := range n {
			if err := tx.Put([]byte(fmt.Sprintf("q/%04d", i)), []byte("m")); err != nil {
				return err
			}
		}
		return tx.Put([]byte("r"), []byte("keep"))
	})
	visited := 0
	mustUpdate(t, s, func(tx Tx) error {
		var derr error
		err := tx.Scan([]byte("q/"), ScanOptions{}, func(k, v []byte) bool {
			visited++
			derr = tx.Delete(k)
			return derr == nil
		})
		if err != nil {
			return err
		}
		return derr
	})
	if visited != n {
		t.Fatalf("visited %d keys while deleting, want %d", visited, n)
	}
	if got := scanAll(t, s, "", ScanOptions{}); !equalStrings(got, []string{"r=keep"}) {
		t.Fatalf("after scan-and-delete: %q", got)
	}
}

func testRollbackOnError(t *testing.T, b Backend) {
	s := openStore(t, b, "svc")
	put(t, s, "a", "1", "b", "2")
	err := s.Update(func(tx Tx) error {
		if err := tx.Put([]byte("a"), []byte("changed")); err != nil {
			return err
		}
		if err := tx.Put([]byte("c"), []byte("new")); err != nil {
			return err
		}
		if err := tx.Delete([]byte("b")); err != nil {
			return err
		}
		return fmt.Errorf("wrapped: %w", errBoom)
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update error = %v; want the function's error", err)
	}
	if got := scanAll(t, s, "", ScanOptions{}); !equalStrings(got, []string{"a=1", "b=2"}) {
		t.Fatalf("after failed Update: %q", got)
	}
	put(t, s, "d", "4") // the store is still writable
	if v, _ := get(t, s, "d"); v != "4" {
		t.Fatal("write after rollback lost")
	}
}

func testRollbackOnPanic(t *testing.T, b Backend) {
	s := openStore(t, b, "svc")
	put(t, s, "a", "1")
	func() {
		defer func() {
			if r := recover(); r != "boom" {
				t.Fatalf("recovered %v; want the panic to propagate unchanged", r)
			}
		}()
		_ = s.Update(func(tx Tx) error {
			_ = tx.Put([]byte("a"), []byte("changed"))
			_ = tx.Put([]byte("z"), []byte("new"))
			panic("boom")
		})
	}()
	if got := scanAll(t, s, "", ScanOptions{}); !equalStrings(got, []string{"a=1"}) {
		t.Fatalf("after panicking Update: %q", got)
	}
	// The writer lock was released: another Update must not deadlock.
	put(t, s, "b", "2")
	if v, _ := get(t, s, "b"); v != "2" {
		t.Fatal("write after panic lost")
	}
}

func testReadsYourWrites(t *testing.T, b Backend) {
	s := openStore(t, b, "svc")
	put(t, s, "k/a", "1", "k/b", "2", "k/c", "3")
	mustUpdate(t, s, func(tx Tx) error {
		if err := tx.Put([]byte("k/a"), []byte("A")); err != nil {
			return err
		}
		if err := tx.Put([]byte("k/d"), []byte("4")); err != nil {
			return err
		}
		if err := tx.Delete([]byte("k/b")); err != nil {
			return err
		}
		if v, ok := tx.Get([]byte("k/a")); !ok || string(v) != "A" {
			t.Errorf("Get own write: %q, %v", v, ok)
		}
		if _, ok := tx.Get([]byte("k/b")); ok {
			t.Error("Get sees own delete as present")
		}
		var got []string
		if err := tx.Scan([]byte("k/"), ScanOptions{}, func(k, v []byte) bool {
			got = append(got, string(k)+"="+string(v))
			return true
		}); err != nil {
			return err
		}
		if want := []string{"k/a=A", "k/c=3", "k/d=4"}; !equalStrings(got, want) {
			t.Errorf("Scan in Update: %q want %q", got, want)
		}
		return nil
	})
}

func testSnapshotIsolation(t *testing.T, b Backend) {
	s := openStore(t, b, "svc")
	put(t, s, "k", "v1", "n/1", "x")
	inView := make(chan struct{})
	committed := make(chan struct{})
	viewErr := make(chan error, 1)
	go func() {
		viewErr <- s.View(func(tx Tx) error {
			v1, _ := tx.Get([]byte("k"))
			close(inView)
			<-committed
			v2, _ := tx.Get([]byte("k"))
			n := 0
			if err := tx.Scan([]byte("n/"), ScanOptions{}, func(k, v []byte) bool { n++; return true }); err != nil {
				return err
			}
			if string(v1) != "v1" || string(v2) != "v1" || n != 1 {
				return fmt.Errorf("view saw k=%q then k=%q and %d n/ keys; want v1, v1, 1", v1, v2, n)
			}
			return nil
		})
	}()
	<-inView
	// The Update must commit while the View is open: neither blocks the
	// other.
	put(t, s, "k", "v2", "n/2", "y")
	close(committed)
	if err := <-viewErr; err != nil {
		t.Fatal(err)
	}
	if v, _ := get(t, s, "k"); v != "v2" {
		t.Fatalf("new View sees k=%q; want v2", v)
	}
}

func testSerializedUpdates(t *testing.T, b Backend) {
	s := openStore(t, b, "svc")
	const workers, each = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers*2)
	for range workers {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range each {
				err := s.Update(func(tx Tx) error {
					v, _ := tx.Get([]byte("counter"))
					n := 0
					if len(v) > 0 {
						fmt.Sscan(string(v), &n)
					}
					return tx.Put([]byte("counter"), []byte(fmt.Sprint(n+1)))
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
		go func() { // readers alongside
			defer wg.Done()
			for range each {
				if err := s.View(func(tx Tx) error {
					_, _ = tx.Get([]byte("counter"))
					return nil
				}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if v, _ := get(t, s, "counter"); v != fmt.Sprint(workers*each) {
		t.Fatalf("counter = %s; want %d (lost update)", v, workers*each)
	}
}

func testTxUseAfterReturn(t *testing.T, b Backend) {
	s := openStore(t, b, "svc")
	put(t, s, "a", "1")
	var leaked Tx
	mustUpdate(t, s, func(tx Tx) error { leaked = tx; return nil })
	if err := leaked.Put([]byte("b"), []byte("2")); !errors.Is(err, ErrTxClosed) {
		t.Errorf("Put after return = %v; want ErrTxClosed", err)
	}
	if _, ok := leaked.Get([]byte("a")); ok {
		t.Error("Get after return found a key")
	}
	if err := leaked.Scan(nil, ScanOptions{}, func(k, v []byte) bool { return true }); !errors.Is(err, ErrTxClosed) {
		t.Errorf("Scan after return = %v; want ErrTxClosed", err)
	}
	_ = s.View(func(tx Tx) error { leaked = tx; return nil })
	if err := leaked.Delete([]byte("a")); !errors.Is(err, ErrTxClosed) {
		t.Errorf("Delete after View returned = %v; want ErrTxClosed", err)
	}
}

func testStoresAreSeparate(t *testing.T, b Backend) {
	s1, s2 := openStore(t, b, "iam"), openStore(t, b, "s3")
	put(t, s1, "k", "iam")
	put(t, s2, "k", "s3")
	if v, _ := get(t, s1, "k"); v != "iam" {
		t.Errorf("iam k = %q", v)
	}
	if v, _ := get(t, s2, "k"); v != "s3" {
		t.Errorf("s3 k = %q", v)
	}
	again := openStore(t, b, "iam")
	if v, _ := get(t, again, "k"); v != "iam" {
		t.Errorf("second Store(iam) sees k = %q", v)
	}
}

func testStoreNames(t *testing.T, b Backend) {
	for _, name := range []string{"", ".", "..", "../x", "a/b", `a\b`, ".hidden", "-x", "a b", strings.Repeat("n", 65), "é"} {
		if _, err := b.Store(name); !errors.Is(err, ErrInvalidName) {
			t.Errorf("Store(%q) = %v; want ErrInvalidName", name, err)
		}
	}
	for _, name := range []string{"iam", "s3", "dynamodb-streams", "a.b_c", "X9"} {
		if _, err := b.Store(name); err != nil {
			t.Errorf("Store(%q): %v", name, err)
		}
	}
}

func testReset(t *testing.T, b Backend) {
	s1, s2 := openStore(t, b, "iam"), openStore(t, b, "sqs")
	put(t, s1, "a", "1", "b", "2")
	put(t, s2, "q", "m")
	w, err := b.Blobs().Create()
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("body"))
	ref, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Reset(); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	for _, s := range []Store{s1, s2} {
		if got := scanAll(t, s, "", ScanOptions{}); got != nil {
			t.Errorf("after Reset: %q", got)
		}
	}
	if _, err := b.Blobs().Open(ref.ID); !errors.Is(err, ErrBlobNotFound) {
		t.Errorf("blob after Reset: %v; want ErrBlobNotFound", err)
	}
	// Stores and blobs keep working after a reset.
	put(t, s1, "c", "3")
	if got := scanAll(t, s1, "", ScanOptions{}); !equalStrings(got, []string{"c=3"}) {
		t.Errorf("write after Reset: %q", got)
	}
	w, err = b.Blobs().Create()
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("again"))
	if _, err := w.Commit(); err != nil {
		t.Fatalf("blob after Reset: %v", err)
	}
}

// testResetUnderLoad resets while writers, readers and uploads run. They
// may fail or see either state; the test is that nothing panics, races or
// corrupts, and the store is consistent afterwards.
func testResetUnderLoad(t *testing.T, b Backend) {
	s := openStore(t, b, "svc")
	stop := make(chan struct{})
	var ops atomic.Int64
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				_ = s.Update(func(tx Tx) error {
					// Two keys that must always appear together.
					k := fmt.Sprintf("w%d/%d", w, i%50)
					if err := tx.Put([]byte(k+"/a"), []byte("x")); err != nil {
						return err
					}
					return tx.Put([]byte(k+"/b"), []byte("x"))
				})
				ops.Add(1)
				_ = s.View(func(tx Tx) error {
					return tx.Scan(nil, ScanOptions{Limit: 20}, func(k, v []byte) bool { return true })
				})
				if bw, err := b.Blobs().Create(); err == nil {
					_, _ = bw.Write([]byte("data"))
					if ref, err := bw.Commit(); err == nil {
						if r, err := b.Blobs().Open(ref.ID); err == nil {
							_ = r.Close()
						}
					}
				}
			}
		}()
	}
	for round := range 5 {
		// Reset only once the workers have made progress, so every Reset
		// really lands in the middle of traffic.
		for ops.Load() < int64(round+1)*20 {
			runtime.Gosched()
		}
		if err := b.Reset(); err != nil {
			t.Errorf("Reset under load: %v", err)
		}
	}
	close(stop)
	wg.Wait()
	// Atomicity survived: every a has its b.
	keys := map[string]bool{}
	for _, kv := range scanAll(t, s, "", ScanOptions{}) {
		keys[strings.SplitN(kv, "=", 2)[0]] = true
	}
	for k := range keys {
		base := k[:len(k)-2]
		if !keys[base+"/a"] || !keys[base+"/b"] {
			t.Fatalf("torn write after Reset under load: %s", base)
		}
	}
}

func testClose(t *testing.T, b Backend) {
	s := openStore(t, b, "svc")
	put(t, s, "a", "1")
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := b.Store("svc"); !errors.Is(err, ErrClosed) {
		t.Errorf("Store after Close = %v", err)
	}
	if err := s.View(func(Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("View after Close = %v", err)
	}
	if err := s.Update(func(Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Update after Close = %v", err)
	}
	if _, err := b.Blobs().Create(); !errors.Is(err, ErrClosed) {
		t.Errorf("Blobs().Create after Close = %v", err)
	}
	if err := b.Reset(); !errors.Is(err, ErrClosed) {
		t.Errorf("Reset after Close = %v", err)
	}
}
