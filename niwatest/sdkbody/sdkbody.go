// Package sdkbody keeps aws-sdk-go-v2 requests whole against a server on
// loopback. It imports nothing of niwa, so a test harness that drives the
// built binary (e2e/framework) or a user's own SDK configuration can use
// it without linking niwa.
//
//	cfg := aws.Config{
//		Region:       "us-east-1",
//		BaseEndpoint: aws.String("http://localhost:4566"),
//		HTTPClient:   &http.Client{Transport: sdkbody.Transport(nil)},
//		...
//	}
package sdkbody

import (
	"bytes"
	"io"
	"net/http"
)

// Transport sends a copy of each request's body, read whole before the
// request goes out, through next (http.DefaultTransport when nil).
//
// Why: aws-sdk-go-v2 may close a request's body while net/http's
// transport still reads it (its last read, to see the body's end, can
// come after the answer is back when the server answers fast): the
// transport then closes the connection under the answer being read, the
// SDK fails with "use of closed network connection" and, since
// aws-sdk-go-v2#2949, retries — a create sent twice, answered
// EntityAlreadyExists (aws/aws-sdk-go-v2#1825, #2737). A loopback server
// under a loaded -race run answers fast enough to hit it (niwa's IAM MFA
// tests, once in a few hundred calls); AWS, a network away, seldom does.
func Transport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return copied{next}
}

type copied struct{ next http.RoundTripper }

func (b copied) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return b.next.RoundTrip(r)
	}
	data, err := io.ReadAll(r.Body)
	_ = r.Body.Close()
	if err != nil {
		return nil, err
	}
	r = r.Clone(r.Context())
	r.Body = io.NopCloser(bytes.NewReader(data))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
	// ContentLength stays the SDK's: an unknown length still goes chunked.
	return b.next.RoundTrip(r)
}
