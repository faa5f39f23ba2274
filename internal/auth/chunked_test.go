package auth

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/niwa-cloud/niwa/internal/checksum"
)

// The worked examples of "Signature Calculations for the Authorization
// Header: Transferring Payload in Multiple Chunks" and "Signature
// calculations for trailing headers" in the S3 API reference: a PUT of
// 66560 bytes of 'a' in 64 KiB chunks to examplebucket, 24 May 2013.
const (
	docAKID   = "AKIAIOSFODNN7EXAMPLE"
	docSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)

var docTime = time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)

func docVerifier() *Verifier {
	v, _ := newTestVerifier(docTime)
	v.Credentials = StaticCredentials{docAKID: RootCredential(docAKID, docSecret, testAccount)}
	return v
}

func docBody(sigs [3]string, trailer string) string {
	return "10000;chunk-signature=" + sigs[0] + "\r\n" + strings.Repeat("a", 65536) + "\r\n" +
		"400;chunk-signature=" + sigs[1] + "\r\n" + strings.Repeat("a", 1024) + "\r\n" +
		"0;chunk-signature=" + sigs[2] + "\r\n" + trailer
}

var (
	docSeed      = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9"
	docChunkSigs = [3]string{
		"ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
		"0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
		"b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
	}
	docTrailerSeed      = "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e"
	docTrailerChunkSigs = [3]string{
		"b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
		"1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
		"2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
	}
	docTrailer = "x-amz-checksum-crc32c:sOO8/Q==\r\n" +
		"x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n\r\n"
)

// docRequest is the documented request as a server receives it; oneByte
// makes the network deliver the body a byte at a time.
func docRequest(body string, trailer, oneByte bool) *http.Request {
	var src io.Reader = strings.NewReader(body)
	if oneByte {
		src = iotest.OneByteReader(src)
	}
	r := httptest.NewRequest(http.MethodPut, "http://s3.amazonaws.com/examplebucket/chunkObject.txt", src)
	r.Header.Set("X-Amz-Date", "20130524T000000Z")
	r.Header.Set("X-Amz-Storage-Class", "REDUCED_REDUNDANCY")
	r.Header.Set("Content-Encoding", "aws-chunked")
	r.Header.Set("X-Amz-Decoded-Content-Length", "66560")
	// The documented (signed) length, even when a test truncates the body
	// as a dropped connection would.
	r.Header.Set("Content-Length", "66824")
	cred := "Credential=" + docAKID + "/20130524/us-east-1/s3/aws4_request"
	if trailer {
		r.Header.Set("X-Amz-Content-Sha256", streamingSignedTrailer)
		r.Header.Set("X-Amz-Trailer", "x-amz-checksum-crc32c")
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 "+cred+",SignedHeaders=content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer,Signature="+docTrailerSeed)
	} else {
		r.Header.Set("X-Amz-Content-Sha256", streamingSigned)
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 "+cred+",SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature="+docSeed)
	}
	return r
}

// readAll reads the way the slowest consumer would: one byte per Read.
func readAll(r io.Reader) ([]byte, error) { return io.ReadAll(iotest.OneByteReader(r)) }

func TestChunkedAWSExample(t *testing.T) {
	body := docBody(docChunkSigs, "\r\n")
	if len(body) != 66824 {
		t.Fatalf("encoded length %d, the documentation says 66824", len(body))
	}
	for _, oneByte := range []bool{false, true} {
		res, err := docVerifier().VerifyS3(docRequest(body, false, oneByte), "")
		if err != nil {
			t.Fatalf("seed signature: %v", err)
		}
		if res.ContentLength != 66560 {
			t.Errorf("ContentLength %d", res.ContentLength)
		}
		got, err := readAll(res.Body)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if string(got) != strings.Repeat("a", 66560) {
			t.Fatalf("decoded %d bytes", len(got))
		}
	}

	// A changed byte, a wrong chain, a dropped final chunk.
	tampered := []string{
		strings.Replace(body, "aaaa\r\n400", "aaab\r\n400", 1),
		docBody([3]string{docChunkSigs[1], docChunkSigs[0], docChunkSigs[2]}, "\r\n"),
		docBody([3]string{docChunkSigs[0], docChunkSigs[1], docChunkSigs[1]}, "\r\n"),
	}
	for _, b := range tampered {
		res, err := docVerifier().VerifyS3(docRequest(b, false, false), "")
		if err != nil {
			t.Fatal(err)
		}
		_, err = readAll(res.Body)
		wantErr(t, err, "SignatureDoesNotMatch", 403)
	}
	res, err := docVerifier().VerifyS3(docRequest(body[:len(body)-90], false, false), "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = readAll(res.Body)
	wantErr(t, err, "IncompleteBody", 400)
}

func TestChunkedAWSTrailerExample(t *testing.T) {
	if got := checksum.Compute(checksum.CRC32C, bytes.Repeat([]byte("a"), 66560)); got != "sOO8/Q==" {
		t.Fatalf("crc32c of the example object is %s, the documentation says sOO8/Q==", got)
	}
	body := docBody(docTrailerChunkSigs, docTrailer)
	for _, oneByte := range []bool{false, true} {
		res, err := docVerifier().VerifyS3(docRequest(body, true, oneByte), "")
		if err != nil {
			t.Fatalf("seed signature: %v", err)
		}
		if res.Trailer.Get("x-amz-checksum-crc32c") != "" {
			t.Error("trailer visible before the body was read")
		}
		got, err := readAll(res.Body)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if len(got) != 66560 || res.Trailer.Get("X-Amz-Checksum-Crc32c") != "sOO8/Q==" {
			t.Fatalf("decoded %d bytes, trailer %v", len(got), res.Trailer)
		}
		if res.Trailer.Get("x-amz-trailer-signature") != "" {
			t.Error("the trailer signature is framing, not a trailer")
		}
	}
	// The trailer is signed: changing it (even to the right CRC of other
	// data) breaks the trailer signature.
	forged := strings.Replace(body, "sOO8/Q==", "AAAAAA==", 1)
	res, err := docVerifier().VerifyS3(docRequest(forged, true, false), "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = readAll(res.Body)
	wantErr(t, err, "SignatureDoesNotMatch", 403)
}

// unsignedBody encodes data the way SDKs do for
// STREAMING-UNSIGNED-PAYLOAD-TRAILER, with chunks of chunk bytes.
func unsignedBody(data []byte, chunk int, trailers ...string) string {
	var b strings.Builder
	for len(data) > 0 {
		n := min(chunk, len(data))
		fmt.Fprintf(&b, "%x\r\n%s\r\n", n, data[:n])
		data = data[n:]
	}
	b.WriteString("0\r\n")
	for _, t := range trailers {
		b.WriteString(t + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

func TestUnsignedTrailer(t *testing.T) {
	data := bytes.Repeat([]byte("niwa garden "), 2000) // 24000 bytes: chunks of 8192, 8192, 7616
	v, _ := newTestVerifier(t0)
	srv := newServer(t, verifierFor(v, DialectS3))
	put := func(alg checksum.Algorithm, trailerValue string) outcome {
		body := unsignedBody(data, 8192, checksum.HeaderName(alg)+":"+trailerValue)
		req, _ := http.NewRequest(http.MethodPut, srv.URL+"/bucket/key", strings.NewReader(body))
		req.Header.Set("Content-Encoding", "aws-chunked")
		req.Header.Set("X-Amz-Content-Sha256", streamingUnsignedTrailer)
		req.Header.Set("X-Amz-Decoded-Content-Length", fmt.Sprint(len(data)))
		req.Header.Set("X-Amz-Trailer", checksum.HeaderName(alg))
		req.Header.Set("X-Amz-Sdk-Checksum-Algorithm", string(alg))
		sign(t, req, goodCreds, streamingUnsignedTrailer, "s3", t0)
		return srv.do(t, req)
	}
	for _, alg := range checksum.Algorithms() {
		good := checksum.Compute(alg, data)
		o := put(alg, good)
		wantOK(t, o)
		if !bytes.Equal(o.body, data) || o.res.ContentLength != int64(len(data)) {
			t.Fatalf("%s: decoded %d bytes", alg, len(o.body))
		}
		if o.res.Trailer.Get(checksum.HeaderName(alg)) != good {
			t.Errorf("%s: trailer %v", alg, o.res.Trailer)
		}

		// A well-formed checksum of other data.
		o = put(alg, checksum.Compute(alg, []byte("something else")))
		if o.err != nil {
			t.Fatal(o.err)
		}
		e := wantErr(t, o.readErr, "BadDigest", 400)
		if want := "The " + string(alg) + " you specified did not match the calculated checksum."; e.Message != want {
			t.Errorf("%q", e.Message)
		}
		e = wantErr(t, put(alg, "not base64!").readErr, "InvalidRequest", 400)
		if want := "Value for " + checksum.HeaderName(alg) + " trailing header is invalid."; e.Message != want {
			t.Errorf("%q", e.Message)
		}
	}

	// Corrupting one bit of a good CRC32 is caught, byte-at-a-time too.
	good := checksum.Compute(checksum.CRC32, data)
	corrupt := []byte(good)
	corrupt[2] ^= 1
	for _, trailerValue := range []string{good, string(corrupt)} {
		body := unsignedBody(data, 8192, "x-amz-checksum-crc32:"+trailerValue)
		cr := newChunkedReader(io.NopCloser(iotest.OneByteReader(strings.NewReader(body))), chunkedOptions{
			dialect: DialectS3, trailers: true, declared: []checksum.Algorithm{checksum.CRC32}, decodedLength: int64(len(data)),
		})
		got, err := readAll(cr)
		if trailerValue == good {
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("good crc32: %v", err)
			}
		} else {
			wantErr(t, err, "BadDigest", 400)
		}
	}

	// x-amz-trailer may only name checksums.
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/bucket/key", strings.NewReader(unsignedBody(data, 8192)))
	req.Header.Set("X-Amz-Content-Sha256", streamingUnsignedTrailer)
	req.Header.Set("X-Amz-Trailer", "x-amz-checksum-md5")
	sign(t, req, goodCreds, streamingUnsignedTrailer, "s3", t0)
	if e := wantErr(t, srv.do(t, req).err, "InvalidRequest", 400); e.Message != "The value specified in the x-amz-trailer header is not supported" {
		t.Errorf("%q", e.Message)
	}
}

func TestChunkedFramingErrors(t *testing.T) {
	a := func(n int) string { return strings.Repeat("a", n) }
	crc := func(s string) string { return "x-amz-checksum-crc32:" + checksum.Compute(checksum.CRC32, []byte(s)) }
	cases := []struct {
		name     string
		body     string
		declared []checksum.Algorithm
		length   int64
		code     string
	}{
		{"empty", "0\r\n\r\n", nil, 0, ""},
		{"no final CRLF", "5\r\nhello\r\n0\r\n", nil, 5, ""},
		{"trailer without final CRLF", "5\r\nhello\r\n0\r\n" + crc("hello") + "\r\n", []checksum.Algorithm{checksum.CRC32}, 5, ""},
		{"blank line before trailers", "5\r\nhello\r\n0\r\n\r\n" + crc("hello") + "\r\n\r\n", []checksum.Algorithm{checksum.CRC32}, 5, ""},
		{"small chunk before the last", "3e8\r\n" + a(1000) + "\r\n3e8\r\n" + a(1000) + "\r\n0\r\n\r\n", nil, 2000, "InvalidChunkSizeError"},
		{"bad size", "zz\r\nhello\r\n0\r\n\r\n", nil, -1, "IncompleteBody"},
		{"size too long", "00000000000000005\r\nhello\r\n0\r\n\r\n", nil, -1, "IncompleteBody"},
		{"bare LF", "5\nhello\r\n0\r\n\r\n", nil, -1, "IncompleteBody"},
		{"no CRLF after data", "5\r\nhelloX\r\n0\r\n\r\n", nil, -1, "IncompleteBody"},
		{"truncated data", "10\r\nhello", nil, -1, "IncompleteBody"},
		{"no final chunk", "5\r\nhello\r\n", nil, -1, "IncompleteBody"},
		{"empty stream", "", nil, -1, "IncompleteBody"},
		{"longer than declared", "5\r\nhello\r\n0\r\n\r\n", nil, 4, "IncompleteBody"},
		{"shorter than declared", "5\r\nhello\r\n0\r\n\r\n", nil, 6, "IncompleteBody"},
		{"junk after the end", "5\r\nhello\r\n0\r\n\r\nextra", nil, 5, "IncompleteBody"},
		{"declared trailer missing", "5\r\nhello\r\n0\r\n\r\n", []checksum.Algorithm{checksum.CRC32}, 5, "MalformedTrailerError"},
		{"undeclared trailer", "5\r\nhello\r\n0\r\nx-amz-checksum-sha1:" + checksum.Compute(checksum.SHA1, []byte("hello")) + "\r\n\r\n", []checksum.Algorithm{checksum.CRC32}, 5, "MalformedTrailerError"},
		{"trailer without colon", "5\r\nhello\r\n0\r\nx-amz-checksum-crc32\r\n\r\n", []checksum.Algorithm{checksum.CRC32}, 5, "MalformedTrailerError"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cr := newChunkedReader(io.NopCloser(strings.NewReader(c.body)), chunkedOptions{
				dialect: DialectS3, trailers: c.declared != nil, declared: c.declared, decodedLength: c.length,
			})
			_, err := readAll(cr)
			if c.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			e := wantErr(t, err, c.code, 400)
			if c.code == "InvalidChunkSizeError" && (e.Fields["Chunk"] != "2" || e.Fields["BadChunkSize"] != "1000") {
				t.Errorf("fields %v", e.Fields)
			}
			// The error sticks.
			if _, again := cr.Read(make([]byte, 1)); again != err {
				t.Errorf("second Read: %v", again)
			}
		})
	}
}

func TestSignedChunkWithoutSignature(t *testing.T) {
	body := "10000\r\n" + strings.Repeat("a", 65536) + "\r\n0\r\n\r\n"
	res, err := docVerifier().VerifyS3(docRequest(body, false, false), "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = readAll(res.Body)
	wantErr(t, err, "IncompleteBody", 400)
}

func TestSkipValidationStillDecodes(t *testing.T) {
	v := docVerifier()
	v.SkipValidation = true
	v.Clock.(interface{ Set(time.Time) }).Set(docTime.Add(48 * time.Hour))
	body := docBody([3]string{docChunkSigs[2], docChunkSigs[1], docChunkSigs[0]}, "\r\n")
	r := docRequest(body, false, false)
	r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), docSeed, strings.Repeat("1", 64), 1))
	res, err := v.VerifyS3(r, "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(res.Body)
	if err != nil || len(got) != 66560 {
		t.Fatalf("%d bytes, %v", len(got), err)
	}
}

// TestInvalidDecodedLength: an aws-chunked upload whose
// x-amz-decoded-content-length is negative or not a number is refused as
// S3 refuses it (411 MissingContentLength) before anything is decoded; a
// valid one is decoded.
func TestInvalidDecodedLength(t *testing.T) {
	data := []byte("hello, chunked world")
	v, _ := newTestVerifier(t0)
	srv := newServer(t, verifierFor(v, DialectS3))
	for _, c := range []struct {
		length string
		code   string
		status int
	}{
		{"-1", "MissingContentLength", 411},
		{"-9223372036854775808", "MissingContentLength", 411},
		{"abc", "MissingContentLength", 411},
		{"1e3", "MissingContentLength", 411},
		{fmt.Sprint(len(data)), "", 200},
	} {
		t.Run(c.length, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPut, srv.URL+"/bucket/key", strings.NewReader(unsignedBody(data, 8192)))
			req.Header.Set("Content-Encoding", "aws-chunked")
			req.Header.Set("X-Amz-Content-Sha256", streamingUnsignedTrailer)
			req.Header.Set("X-Amz-Decoded-Content-Length", c.length)
			sign(t, req, goodCreds, streamingUnsignedTrailer, "s3", t0)
			o := srv.do(t, req)
			if c.code == "" {
				wantOK(t, o)
				return
			}
			wantErr(t, o.err, c.code, c.status)
		})
	}
}
