package protocol

import (
	"bytes"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/internal/awserr"
)

// countingReader counts what is read from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

var errTooLarge = awserr.Code{Code: "TooLarge", Status: 413, Sender: true}.New("too large")

// TestBytesCap: Bytes refuses a body over MaxBody from its declared
// length without reading it, or once it passes the cap, and reads one at
// the cap whole. An aws-chunked Content-Length (which counts the framing)
// is not taken as the payload's length.
func TestBytesCap(t *testing.T) {
	for _, c := range []struct {
		name     string
		body     string
		declared int64
		decoded  bool
		max      int64
		wantErr  bool
		maxRead  int
	}{
		{"at the cap", "12345", 5, false, 5, false, 5},
		{"declared over the cap", "123456", 6, false, 5, true, 0},
		{"unknown length over the cap", "123456", -1, false, 5, true, 6},
		{"aws-chunked framing over the cap", "12345", 40, true, 5, false, 5},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", nil)
			r.ContentLength = c.declared
			if c.decoded {
				r.Header.Set("X-Amz-Decoded-Content-Length", "5")
			}
			cr := &countingReader{r: strings.NewReader(c.body)}
			req := NewRequest(r, cr)
			req.MaxBody, req.TooLarge = c.max, func() error { return errTooLarge }
			b, err := req.Bytes()
			if c.wantErr != (err == errTooLarge) || (!c.wantErr && string(b) != c.body) {
				t.Fatalf("got %q, %v", b, err)
			}
			if cr.n > c.maxRead {
				t.Fatalf("read %d bytes, want at most %d", cr.n, c.maxRead)
			}
		})
	}
}

// FuzzBytes: whatever the body, declared length and cap, Bytes never
// returns more than the cap, and refuses exactly the bodies over it.
func FuzzBytes(f *testing.F) {
	f.Add([]byte("hello"), int64(5), uint16(5))
	f.Add([]byte("hello"), int64(-1), uint16(4))
	f.Add([]byte(""), int64(100), uint16(1))
	f.Fuzz(func(t *testing.T, body []byte, declared int64, max uint16) {
		if max == 0 {
			max = 1
		}
		r := httptest.NewRequest("POST", "/", nil)
		r.ContentLength = declared
		req := NewRequest(r, bytes.NewReader(body))
		req.MaxBody, req.TooLarge = int64(max), func() error { return errTooLarge }
		b, err := req.Bytes()
		if err != nil && !errors.Is(err, errTooLarge) {
			t.Fatalf("error %v", err)
		}
		if len(b) > int(max) {
			t.Fatalf("%d bytes past a cap of %d", len(b), max)
		}
		over := len(body) > int(max) || declared > int64(max)
		if over != (err != nil) {
			t.Fatalf("body %d declared %d cap %d: error %v", len(body), declared, max, err)
		}
	})
}
