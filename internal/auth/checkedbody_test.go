package auth

import (
	"bytes"
	"io"
	"net/http"
	"testing"
)

// s3Put is an S3 PutObject of a 1 KiB body declaring its SHA-256, the
// bench's S3 PutObject as aws-sdk-go-v2 signs it (a plain key, x-id).
func s3Put(t testing.TB, body []byte) *http.Request {
	req, _ := http.NewRequest(http.MethodPut, "http://localhost:4566/bucket/k/1?x-id=PutObject", bytes.NewReader(body))
	req.Header.Set("X-Amz-Content-Sha256", sha256Hex(body))
	sign(&testing.T{}, req, goodCreds, sha256Hex(body), "s3", t0)
	req.RequestURI = req.URL.RequestURI()
	return req
}

// TestDeclaredHashCheckAllocations: verifying an S3 PUT that declares
// its payload's SHA-256 allocates the Result and the reader checking the
// hash together (and the hash's state): two allocations, three before.
// The body read through it is the body, and a body that is not what was
// declared still fails its last Read, as before.
func TestDeclaredHashCheckAllocations(t *testing.T) {
	v, _ := newTestVerifier(t0)
	body := bytes.Repeat([]byte("0123456789abcdef"), 64)
	req := s3Put(t, body)
	rb := &replayBody{}
	run := func(b []byte) ([]byte, error) {
		rb.Reset(b)
		req.Body = rb
		res, err := v.VerifyS3(req, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := res.Body.(*sha256Reader); !ok {
			t.Fatalf("Body is a %T, want the declared hash checked", res.Body)
		}
		return io.ReadAll(res.Body)
	}
	if got, err := run(body); err != nil || !bytes.Equal(got, body) {
		t.Fatalf("read %d bytes, %v; want the body", len(got), err)
	}
	other := bytes.ToUpper(body)
	_, err := run(other)
	wantErr(t, err, "XAmzContentSHA256Mismatch", 400)
	if raceEnabled {
		return
	}
	n := testing.AllocsPerRun(200, func() {
		rb.Reset(body)
		req.Body = rb
		if _, err := v.VerifyS3(req, ""); err != nil {
			t.Fatal(err)
		}
	})
	if n != 2 {
		t.Errorf("VerifyS3 of a PUT declaring its hash: %v allocations, want 2", n)
	}
}
