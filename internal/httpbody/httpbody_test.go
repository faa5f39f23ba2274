package httpbody

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

// ReadUpTo reads what io.ReadAll(io.LimitReader(r, n)) reads, whatever
// the declared length says (a wrong or missing Content-Length included).
func TestReadUpTo(t *testing.T) {
	body := strings.Repeat("0123456789", 300) // 3000 bytes
	for _, size := range []int{0, 1, 511, 512, 513, 3000} {
		for _, n := range []int64{1, 100, 512, 3000, 3001, 1 << 20} {
			for _, hint := range []int64{-1, 0, int64(size), int64(size) + 7, int64(size) / 2, 1 << 30} {
				for _, oneByte := range []bool{false, true} {
					var r io.Reader = strings.NewReader(body[:size])
					if oneByte {
						r = iotest.OneByteReader(r)
					}
					got, err := ReadUpTo(r, n, hint)
					want, _ := io.ReadAll(io.LimitReader(strings.NewReader(body[:size]), n))
					if err != nil || string(got) != string(want) {
						t.Fatalf("size %d n %d hint %d: got %d bytes (err %v), want %d", size, n, hint, len(got), err, len(want))
					}
				}
			}
		}
	}
}
