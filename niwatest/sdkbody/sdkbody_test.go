package sdkbody

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestBodiesOutliveTheCallersClose: the body a request goes out with is
// Transport's copy, so a client closing its own body while the transport
// still reads (aws-sdk-go-v2's race with net/http, see Transport) does
// not cut the request; the length and the body sent
// are the caller's, an unknown length staying unknown.
func TestBodiesOutliveTheCallersClose(t *testing.T) {
	var got []*http.Request
	var bodies []string
	rt := Transport(roundTripFunc(func(r *http.Request) (*http.Response, error) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		got, bodies = append(got, r), append(bodies, string(b))
		return &http.Response{StatusCode: 200, Body: http.NoBody, Request: r}, nil
	}))
	for _, length := range []int64{5, -1} {
		body := &closingBody{r: strings.NewReader("hello")}
		req, err := http.NewRequest(http.MethodPost, "http://localhost/", body)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = length
		if _, err := rt.RoundTrip(req); err != nil {
			t.Fatal(err)
		}
		if !body.closed {
			t.Error("the caller's body was not closed")
		}
	}
	for i, want := range []int64{5, -1} {
		if bodies[i] != "hello" || got[i].ContentLength != want {
			t.Errorf("request %d: body %q, length %d; want \"hello\", %d", i, bodies[i], got[i].ContentLength, want)
		}
		if rc, err := got[i].GetBody(); err != nil {
			t.Error(err)
		} else if b, _ := io.ReadAll(rc); string(b) != "hello" {
			t.Errorf("GetBody gave %q", b)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// closingBody fails every read after Close, as the SDK's stream may
// when the transport's last read comes.
type closingBody struct {
	r      io.Reader
	closed bool
}

func (b *closingBody) Read(p []byte) (int, error) {
	if b.closed {
		return 0, errors.New("read after close")
	}
	return b.r.Read(p)
}

func (b *closingBody) Close() error { b.closed = true; return nil }
