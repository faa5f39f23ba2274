package gateway

import (
	"bytes"
	"errors"
	"io"
	"net/http/httputil"
	"os"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/internal/awserr"
)

// failingReader returns its data, then err.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

func (f *failingReader) Close() error { return nil }

// TestBodyErrorWording: each protocol family words a short, stalled or
// oversized body as its service does, always a 4xx.
func TestBodyErrorWording(t *testing.T) {
	for _, c := range []struct {
		protocol, service string
		err               error
		code              string
		status            int
	}{
		{"rest-xml", "s3", io.ErrUnexpectedEOF, "IncompleteBody", 400},
		{"rest-xml", "s3", os.ErrDeadlineExceeded, "RequestTimeout", 400},
		{"json", "dynamodb", io.ErrUnexpectedEOF, "SerializationException", 400},
		{"json", "dynamodb", os.ErrDeadlineExceeded, "RequestTimeoutException", 400},
		{"json", "sqs", errors.New("http: malformed chunked encoding"), "SerializationException", 400},
		{"query", "iam", io.ErrUnexpectedEOF, "IncompleteSignature", 400},
		{"query", "iam", os.ErrDeadlineExceeded, "RequestTimeout", 400},
		{"rest-json", "lambda", io.ErrUnexpectedEOF, "SerializationException", 400},
		// An AWS error from further down (a chunk signature) is kept.
		{"rest-xml", "s3", awserr.Code{Code: "SignatureDoesNotMatch", Status: 403, Sender: true}.New("x"), "SignatureDoesNotMatch", 403},
	} {
		errs := bodyErrors{fam: familyOf(c.protocol)}
		g := &guardedBody{rc: &failingReader{bytes.NewReader([]byte("abc")), c.err}, errs: errs}
		_, err := io.ReadAll(g)
		var ae *awserr.Error
		if !errors.As(err, &ae) || ae.Code.Code != c.code || ae.Code.Status != c.status {
			t.Errorf("%s %s %v: got %v, want %s %d", c.protocol, c.service, c.err, err, c.code, c.status)
		}
	}
	for _, c := range []struct {
		protocol, service, code string
		status                  int
	}{
		{"rest-xml", "s3", "EntityTooLarge", 400},
		{"query", "iam", "RequestEntityTooLarge", 413},
		{"json", "dynamodb", "RequestEntityTooLargeException", 413},
		{"rest-json", "apigateway", "RequestEntityTooLargeException", 413},
	} {
		errs := bodyErrors{fam: familyOf(c.protocol)}
		g := &guardedBody{rc: io.NopCloser(bytes.NewReader(make([]byte, 100))), errs: errs, limit: 99}
		_, err := io.ReadAll(g)
		var ae *awserr.Error
		if !errors.As(err, &ae) || ae.Code.Code != c.code || ae.Code.Status != c.status {
			t.Errorf("%s over its cap: got %v, want %s %d", c.service, err, c.code, c.status)
		}
	}
}

// TestBodyTooLargeAsDeclared: a service that words an oversized body its
// own way (kit.Limits.TooLarge) is answered in its words, with the cap
// and the operation the cap is for.
func TestBodyTooLargeAsDeclared(t *testing.T) {
	var gotLimit int64
	var gotOp string
	errs := bodyErrors{fam: familyRestJSON, tooLargeAs: func(limit int64, op string) *awserr.Error {
		gotLimit, gotOp = limit, op
		return awserr.Code{Code: "OwnWords", Status: 413, Sender: true}.New("too big")
	}}
	g := &guardedBody{rc: io.NopCloser(bytes.NewReader(make([]byte, 100))), errs: errs, limit: 99, op: "Op"}
	_, err := io.ReadAll(g)
	var ae *awserr.Error
	if !errors.As(err, &ae) || ae.Code.Code != "OwnWords" || gotLimit != 99 || gotOp != "Op" {
		t.Fatalf("got %v (limit %d, op %q), want OwnWords for 99 bytes of Op", err, gotLimit, gotOp)
	}
}

// FuzzGuardedBody feeds arbitrary bytes through net/http's chunked
// decoder and the guard: whatever the framing, a read ends in io.EOF or
// a 4xx AWS error, and never yields more than the cap.
func FuzzGuardedBody(f *testing.F) {
	f.Add([]byte("5\r\nhello\r\n0\r\n\r\n"), uint16(10), uint8(0))
	f.Add([]byte("5\r\nhello\r\n0\r\n\r\n"), uint16(3), uint8(1))
	f.Add([]byte("zz\r\n"), uint16(100), uint8(2))
	f.Add([]byte("ffffffffffffffffff\r\n"), uint16(100), uint8(3))
	f.Add([]byte("3\r\nab"), uint16(0), uint8(0))
	f.Fuzz(func(t *testing.T, body []byte, limit uint16, fam uint8) {
		errs := bodyErrors{fam: family(fam % 4)}
		g := &guardedBody{rc: io.NopCloser(httputil.NewChunkedReader(bytes.NewReader(body))), errs: errs, limit: int64(limit)}
		buf := make([]byte, 7)
		var total int64
		for {
			n, err := g.Read(buf)
			total += int64(n)
			if err == io.EOF {
				break
			}
			if err != nil {
				var ae *awserr.Error
				if !errors.As(err, &ae) || ae.Code.Status < 400 || ae.Code.Status >= 500 {
					t.Fatalf("error %v is not a 4xx AWS error", err)
				}
				break
			}
		}
		if limit > 0 && total > int64(limit) {
			t.Fatalf("read %d bytes past a cap of %d", total, limit)
		}
	})
}

// copiedBody is a body its installer put on its own copy of the request.
type copiedBody struct{ io.ReadCloser }

func (copiedBody) RequestCopied() {}

// TestBodyOfHandedRequest: the gateway wraps a request's body on a copy
// of the request, leaving net/http's own (which it drains or closes
// after the handler) as it was; a body marked as already on a copy
// (CopiedBody, the server's edge) is wrapped in place. Either way the
// call reads the body.
func TestBodyOfHandedRequest(t *testing.T) {
	tg := newTestGateway(t)
	const form = "Action=GetCallerIdentity&Version=2011-06-15"
	for _, copied := range []bool{false, true} {
		r := newRequest("POST", "/", form, "Content-Type", "application/x-www-form-urlencoded", "Authorization", sigV4("sts"))
		var body io.ReadCloser = io.NopCloser(strings.NewReader(form))
		if copied {
			body = copiedBody{body}
		}
		r.Body = body
		w := tg.do(r)
		if w.Code != 200 || !strings.Contains(w.Body.String(), "<GetCallerIdentityResult>") {
			t.Fatalf("copied %v: %d %s", copied, w.Code, w.Body)
		}
		if kept := r.Body == body; kept == copied {
			t.Errorf("copied %v: the caller's request body is %T", copied, r.Body)
		}
	}
}
