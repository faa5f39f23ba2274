package auth

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/internal/checksum"
)

func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("a", 64),
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240501/us-east-1/sts/aws4_request,SignedHeaders=host,Signature=00",
		"AWS4-HMAC-SHA256 Signature=0, Credential=a/b/c/d/e, SignedHeaders=",
		"AWS4-HMAC-SHA256 Credential=,,,=,=",
		"AWS4-HMAC-SHA256Credential=x",
		"AWS4-ECDSA-P256-SHA256 Credential=AKID/20240501/s3/aws4_request, SignedHeaders=host, Signature=00",
		"AWS4-ECDSA-P256-SHA256 Credential=AKIDEXAMPLE/20240501/events/aws4_request, SignedHeaders=host;x-amz-date, Signature=3044022000",
		"AWS AKIDEXAMPLE:c2lnbmF0dXJl",
		"AWS :",
		"Bearer token",
		"",
	} {
		f.Add(s)
	}
	v, _ := newTestVerifier(t0)
	f.Fuzz(func(t *testing.T, authz string) {
		if h, ok := parseAuthorization(authz); ok && h.hasCredential {
			if sc, ok := parseCredential(h.credential); ok {
				_ = signingKey("secret", sc)
			}
			_, _ = parseV4ACredential(h.credential)
			_ = parseSignedHeaders(h.signedHeaders)
		}
		presigned := url.Values{
			"X-Amz-Algorithm": {"AWS4-HMAC-SHA256"}, "X-Amz-Credential": {authz}, "X-Amz-Date": {"20240501T120000Z"},
			"X-Amz-Expires": {"60"}, "X-Amz-SignedHeaders": {authz}, "X-Amz-Signature": {authz},
		}.Encode()
		for d := DialectS3; d <= DialectRestJSON; d++ {
			for _, target := range []string{"/bucket/key", "/bucket/key?" + presigned, "/?AWSAccessKeyId=" + url.QueryEscape(authz) + "&Signature=x&Expires=1"} {
				r := httptest.NewRequest(http.MethodPost, target, strings.NewReader("body"))
				if !strings.Contains(target, "?") {
					r.Header["Authorization"] = []string{authz}
				}
				r.Header.Set("X-Amz-Date", "20240501T120000Z")
				r.Header.Set("X-Amz-Content-Sha256", unsignedPayload)
				if res, err := v.Verify(r, d); err == nil {
					io.Copy(io.Discard, res.Body)
				}
			}
		}
	})
}

func FuzzChunkedDecoder(f *testing.F) {
	f.Add([]byte(docBody(docChunkSigs, "\r\n")[:200]), uint8(0))
	f.Add([]byte("5\r\nhello\r\n0\r\n\r\n"), uint8(1))
	f.Add([]byte("5\r\nhello\r\n0\r\nx-amz-checksum-crc32:NhCmhg==\r\n\r\n"), uint8(2))
	f.Add([]byte("5;chunk-signature=00\r\nhello\r\n0;chunk-signature=00\r\nx-amz-checksum-crc32:NhCmhg==\r\nx-amz-trailer-signature:00\r\n\r\n"), uint8(3))
	f.Add([]byte("ffffffffffffffff\r\n"), uint8(1))
	f.Add([]byte("0\r\n\r\n\r\n:\r\n"), uint8(2))
	sc := &sigV4Context{key: signingKey(docSecret, scope{accessKey: docAKID, date: "20130524", region: "us-east-1", service: "s3"}),
		amzDate: "20130524T000000Z", scope: "20130524/us-east-1/s3/aws4_request", seed: docSeed}
	f.Fuzz(func(t *testing.T, body []byte, mode uint8) {
		opt := chunkedOptions{dialect: DialectS3, decodedLength: -1}
		switch mode % 4 {
		case 0:
			opt.signed, opt.verify, opt.sig = true, true, sc
		case 2:
			opt.trailers, opt.declared = true, []checksum.Algorithm{checksum.CRC32}
		case 3:
			opt.signed, opt.verify, opt.sig = true, true, sc
			opt.trailers, opt.signedTrailer, opt.declared = true, true, []checksum.Algorithm{checksum.CRC32}
		}
		if mode&4 != 0 {
			opt.decodedLength = int64(mode >> 3)
		}
		cr := newChunkedReader(io.NopCloser(bytes.NewReader(body)), opt)
		buf := make([]byte, 1+int(mode>>5))
		var out int
		for {
			n, err := cr.Read(buf)
			out += n
			if n < 0 || n > len(buf) {
				t.Fatalf("Read returned %d", n)
			}
			if err != nil {
				break
			}
		}
		if out > len(body) {
			t.Fatalf("decoded %d bytes from %d", out, len(body))
		}
	})
}
