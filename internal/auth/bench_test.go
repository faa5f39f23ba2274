package auth

import (
	"bytes"
	"io"
	"net/http"
	"testing"
)

// replayBody is a request body a benchmark rewinds before each Verify,
// without allocating.
type replayBody struct{ bytes.Reader }

func (*replayBody) Close() error { return nil }

// BenchmarkVerifySigV4 is the verifier's cost per header-signed request:
// a query-protocol POST whose payload hash it computes (STS, IAM, SNS),
// and an S3 GET declaring its payload hash.
func BenchmarkVerifySigV4(b *testing.B) {
	for _, svc := range []service{{"sts", DialectQuery, stsPost}, {"s3", DialectS3, s3Get}} {
		b.Run(svc.name, func(b *testing.B) {
			v, _ := newTestVerifier(t0)
			req, payload := svc.build("http://localhost:4566")
			var body []byte
			if req.Body != nil {
				body, _ = io.ReadAll(req.Body)
			}
			sign(&testing.T{}, req, goodCreds, payload, svc.name, t0)
			req.RequestURI = req.URL.RequestURI()
			rb := &replayBody{}
			verify := verifierFor(v, svc.dialect)
			b.ReportAllocs()
			for b.Loop() {
				if body != nil {
					rb.Reset(body)
					req.Body = rb
				} else {
					req.Body = http.NoBody
				}
				res, err := verify(req)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, res.Body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
