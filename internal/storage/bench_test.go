package storage

import (
	"strconv"
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
