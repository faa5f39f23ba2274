package protocol

import (
	"bytes"
	"compress/gzip"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/internal/awserr"
)

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

// TestPayloadGzip: a gzip Content-Encoding (AWS request compression) is
// undone for the RPC codecs, within the body cap; other bodies pass as
// they are.
func TestPayloadGzip(t *testing.T) {
	bomb := gz(strings.Repeat("a", 10000))
	cases := []struct {
		name, encoding string
		body           []byte
		max            int64
		want, code     string
		tooLarge       bool
	}{
		{"gzip", "gzip", gz("Action=PutMetricData"), 0, "Action=PutMetricData", "", false},
		{"gzip among encodings", "identity, GZIP", gz("{}"), 0, "{}", "", false},
		{"plain", "", []byte("{}"), 0, "{}", "", false},
		{"not gzip", "gzip", []byte("plain text"), 0, "", "SerializationException", false},
		{"expands past the cap", "gzip", bomb, 1000, "", "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", bytes.NewReader(c.body))
			if c.encoding != "" {
				r.Header.Set("Content-Encoding", c.encoding)
			}
			req := NewRequest(r, nil)
			req.MaxBody, req.TooLarge = c.max, func() error { return errTooLarge }
			got, err := req.Payload()
			switch {
			case c.tooLarge:
				if !errors.Is(err, errTooLarge) {
					t.Fatalf("%v", err)
				}
			case c.code != "":
				if awserr.As(err).Code.Code != c.code {
					t.Fatalf("%v", err)
				}
			case err != nil || string(got) != c.want:
				t.Fatalf("%q %v", got, err)
			}
		})
	}
}
