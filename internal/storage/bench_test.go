package storage

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
)

// BenchmarkPutGet measures one committed single-key Update followed by a
// View that reads it back: the shape of most control-plane API calls.
func BenchmarkPutGet(b *testing.B) {
	for _, k := range backendKinds() {
		b.Run(k.name, func(b *testing.B) {
			be := openBackend(b, k.opts(b))
			s := openStore(b, be, "bench")
			sc := Scope{Account: "000000000000", Region: "us-east-1"}
			val := make([]byte, 256)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				key := sc.Key("item", strconv.Itoa(i%10000))
				i++
				if err := s.Update(func(tx Tx) error { return tx.Put(key, val) }); err != nil {
					b.Fatal(err)
				}
				if err := s.View(func(tx Tx) error {
					if _, ok := tx.Get(key); !ok {
						b.Fatal("missing key")
					}
					return nil
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// memTreeKey is the i-th key of the memory-tree benchmarks: a DynamoDB
// item's shape (scope, "item", table, partition, sort key), 1000 items
// a partition so that a partition's prefix scans 10, 100 or 1000 of them.
func memTreeKey(sc Scope, i int) []byte {
	return sc.Key("item", "bench-table", fmt.Sprintf("p%05d", i/1000), fmt.Sprintf("s%07d", i))
}

// fillMemTree writes n keys of 200-byte values in a shuffled order (fixed
// seed), 100 to an Update, the way a table fills from many writers.
func fillMemTree(tb testing.TB, s Store, sc Scope, n int) {
	tb.Helper()
	order := rand.New(rand.NewPCG(1, 2)).Perm(n)
	val := make([]byte, 200)
	for i := 0; i < n; i += 100 {
		if err := s.Update(func(tx Tx) error {
			for _, j := range order[i:min(i+100, n)] {
				if err := tx.Put(memTreeKey(sc, j), val); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			tb.Fatal(err)
		}
	}
}

// BenchmarkMemTree measures the memory store's operations by stored
// keys: put (an Update overwriting
// one existing key, through Swap as DynamoDB's PutItem does), put2 (that
// and a second key elsewhere in the tree, PutItem's table-count record),
// get and miss (a View reading a stored and an absent key), and scans of
// 10/100/1000 keys of a partition's prefix, ascending and descending
// (Query, ListObjects).
func BenchmarkMemTree(b *testing.B) {
	sc := Scope{Account: "000000000000", Region: "us-east-1"}
	val := make([]byte, 200)
	for _, n := range []int{1000, 50000, 500000} {
		var closed atomic.Bool
		s := newMemStore(&closed)
		fillMemTree(b, s, sc, n)
		keys := make([][]byte, 4096)
		rng := rand.New(rand.NewPCG(3, 4))
		for i := range keys {
			keys[i] = memTreeKey(sc, rng.IntN(n))
		}
		count := sc.Key("count", "bench-table")
		miss := sc.Key("item", "bench-table", "p00000", "s0000000x")
		name := fmt.Sprintf("keys=%d/", n)
		for _, second := range []bool{false, true} {
			op := "put"
			if second {
				op = "put2"
			}
			b.Run(name+op, func(b *testing.B) {
				b.ReportAllocs()
				defer reportCPU(b)()
				i := 0
				for b.Loop() {
					key := keys[i%len(keys)]
					i++
					if err := s.Update(func(tx Tx) error {
						if _, _, err := tx.(Swapper).Swap(key, val); err != nil || !second {
							return err
						}
						return tx.Put(count, val[:16])
					}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		b.Run(name+"get", func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			i := 0
			for b.Loop() {
				key := keys[i%len(keys)]
				i++
				if err := s.View(func(tx Tx) error {
					if _, ok := tx.Get(key); !ok {
						b.Fatal("missing key")
					}
					return nil
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"miss", func(b *testing.B) {
			b.ReportAllocs()
			defer reportCPU(b)()
			for b.Loop() {
				if err := s.View(func(tx Tx) error {
					if _, ok := tx.Get(miss); ok {
						b.Fatal("found an absent key")
					}
					return nil
				}); err != nil {
					b.Fatal(err)
				}
			}
		})
		for _, limit := range []int{10, 100, 1000} {
			for _, rev := range []bool{false, true} {
				dir := "asc"
				if rev {
					dir = "desc"
				}
				b.Run(fmt.Sprintf("%sscan%d-%s", name, limit, dir), func(b *testing.B) {
					b.ReportAllocs()
					defer reportCPU(b)()
					i := 0
					for b.Loop() {
						prefix := sc.Prefix("item", "bench-table", fmt.Sprintf("p%05d", i%(n/1000)))
						i++
						got := 0
						if err := s.View(func(tx Tx) error {
							return tx.Scan(prefix, ScanOptions{Limit: limit, Reverse: rev}, func(k, v []byte) bool {
								got++
								return true
							})
						}); err != nil {
							b.Fatal(err)
						}
						if got != limit {
							b.Fatalf("scanned %d, want %d", got, limit)
						}
					}
				})
			}
		}
	}
}

// BenchmarkMemTreeHeap reports the live heap per stored key (after a
// collection, the store filled as fillMemTree does): the tree's share is
// what exceeds the key and value's own buffer.
func BenchmarkMemTreeHeap(b *testing.B) {
	sc := Scope{Account: "000000000000", Region: "us-east-1"}
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	for _, n := range []int{1000, 50000, 500000} {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			var per float64
			for b.Loop() {
				before := heap()
				var closed atomic.Bool
				s := newMemStore(&closed)
				fillMemTree(b, s, sc, n)
				per = float64(heap()-before) / float64(n)
				runtime.KeepAlive(s)
			}
			b.ReportMetric(per, "heapB/key")
		})
	}
}

// reportCPU, deferred as a benchmark's loop starts, reports the process's
// CPU time per operation (user and system, the collector's workers
// included): on a loaded machine it varies much less than ns/op, which
// is wall-clock time.
func reportCPU(b *testing.B) func() {
	start := processCPU(b)
	return func() { b.ReportMetric(float64(processCPU(b)-start)/float64(b.N), "cpu-ns/op") }
}
