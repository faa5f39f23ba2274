package s3

import (
	"bytes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"testing"
	"testing/iotest"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/checksum"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// errReader yields data, then err.
type errReader struct {
	data []byte
	err  error
}

func (r *errReader) Read(p []byte) (int, error) {
	if len(r.data) == 0 {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// TestPutObjectBodySizes: a body read whole into the copy buffer (shorter
// than it) and one streamed through the hashers (as long or longer) are
// stored and answered alike: the bytes, the ETag (the body's MD5), the
// checksums S3 computes, Content-MD5 and x-amz-checksum-* checked (400
// BadDigest on a mismatch, nothing stored), bodies read in one-byte
// pieces, and a body that fails mid-read answered as IncompleteBody or
// with the reader's own AWS error.
func TestPutObjectBodySizes(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "sizes")
	for _, size := range []int{0, 1, 1024, copyBufSize - 1, copyBufSize, copyBufSize + 1, 3*copyBufSize + 7} {
		body := bytes.Repeat([]byte("0123456789abcdefghijklmnopqrstuvwxyz"), size/36+1)[:size]
		sum := md5.Sum(body)
		goodMD5 := base64.StdEncoding.EncodeToString(sum[:])
		crc := checksum.Compute(checksum.CRC32C, body)
		sha := checksum.Compute(checksum.SHA256, body)
		cases := []struct {
			name    string
			md5     *string
			headers map[string]string
			alg     string
			r       func() io.Reader
			code    string
		}{
			{name: "plain", r: func() io.Reader { return bytes.NewReader(body) }},
			{name: "one byte at a time", r: func() io.Reader { return iotest.OneByteReader(bytes.NewReader(body)) }},
			{name: "content-md5", md5: &goodMD5, r: func() io.Reader { return bytes.NewReader(body) }},
			{name: "wrong content-md5", md5: ptr.To("AAAAAAAAAAAAAAAAAAAAAA=="), r: func() io.Reader { return bytes.NewReader(body) }, code: "BadDigest"},
			{name: "checksum header", headers: map[string]string{"X-Amz-Checksum-Crc32c": crc}, r: func() io.Reader { return bytes.NewReader(body) }},
			{name: "wrong checksum header", headers: map[string]string{"X-Amz-Checksum-Crc32c": "AQIDBA=="}, r: func() io.Reader { return bytes.NewReader(body) }, code: "BadDigest"},
			{name: "algorithm and a second checksum", alg: "SHA256", headers: map[string]string{"X-Amz-Checksum-Crc32c": crc}, r: func() io.Reader { return bytes.NewReader(body) }},
			{name: "cut short", r: func() io.Reader { return &errReader{body, io.ErrUnexpectedEOF} }, code: "IncompleteBody"},
			{name: "reader's AWS error", r: func() io.Reader {
				return &errReader{body, fmt.Errorf("wrapped: %w", errBadDigest.New("signature layer"))}
			}, code: "BadDigest"},
		}
		for _, c := range cases {
			t.Run(fmt.Sprintf("%d/%s", size, c.name), func(t *testing.T) {
				key := fmt.Sprintf("k%d-%s", size, c.name)
				ctx := f.ctx()
				for k, v := range c.headers {
					ctx.HTTP.Header.Set(k, v)
				}
				in := &s3api.PutObjectInput{Bucket: ptr.To("sizes"), Key: &key, Body: c.r(), ContentMD5: c.md5}
				if c.alg != "" {
					in.ChecksumAlgorithm = &c.alg
				}
				out, err := f.s.PutObject(ctx, in)
				if c.code != "" {
					if codeOf(err) != c.code {
						t.Fatalf("got %v, want %s", err, c.code)
					}
					if _, err := f.s.HeadObject(f.ctx(), &s3api.HeadObjectInput{Bucket: ptr.To("sizes"), Key: &key}); codeOf(err) != "NoSuchKey" && codeOf(err) != "NotFound" {
						t.Fatalf("stored after %s: %v", c.code, err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if want := `"` + hex.EncodeToString(sum[:]) + `"`; ptr.Deref(out.ETag) != want {
					t.Errorf("ETag %s, want %s", ptr.Deref(out.ETag), want)
				}
				if c.headers != nil && ptr.Deref(out.ChecksumCRC32C) != crc {
					t.Errorf("CRC32C %q, want %q", ptr.Deref(out.ChecksumCRC32C), crc)
				}
				if c.alg == "SHA256" && ptr.Deref(out.ChecksumSHA256) != sha {
					t.Errorf("SHA256 %q, want %q", ptr.Deref(out.ChecksumSHA256), sha)
				}
				got, head := f.get(t, &s3api.GetObjectInput{Bucket: ptr.To("sizes"), Key: &key})
				if got != string(body) || ptr.Deref(head.ContentLength) != int64(size) || ptr.Deref(head.ETag) != ptr.Deref(out.ETag) {
					t.Errorf("read back %d bytes (length %d, ETag %s)", len(got), ptr.Deref(head.ContentLength), ptr.Deref(head.ETag))
				}
			})
		}
	}
}

// TestSumOfIsCompute: the one-shot checksums of a small body are
// checksum.Compute's, for every algorithm.
func TestSumOfIsCompute(t *testing.T) {
	for _, a := range checksum.Algorithms() {
		for _, data := range [][]byte{nil, []byte("hello"), bytes.Repeat([]byte{0xff, 1, 2}, 1000)} {
			if got, want := sumOf(a, data), checksum.Compute(a, data); got != want {
				t.Errorf("%s of %d bytes: %q, want %q", a, len(data), got, want)
			}
		}
	}
}

// TestSmallBodyAllocations: a small body without checksums costs the
// blob store's own allocations (the writer, the blob's bytes, its id)
// and nothing of S3's: no hashers, writers or readers around the copy,
// no checksum map. Counted without the race detector, whose pools drop
// at random.
func TestSmallBodyAllocations(t *testing.T) {
	f := newFixture(t)
	body := bytes.Repeat([]byte("x"), 1024)
	r := bytes.NewReader(body)
	h := http.Header{}
	n := testing.AllocsPerRun(100, func() {
		r.Reset(body)
		st, err := f.s.writeBodyTo(f.s.blobs, r, h, nil, "", maxObjectSize)
		if err != nil || st.part.Size != 1024 || st.checksums != nil {
			t.Fatalf("%v %+v", err, st)
		}
	})
	t.Logf("%v allocations per small body", n)
	if raceEnabled {
		return
	}
	if n > 3 {
		t.Errorf("%v allocations per small body, want at most 3", n)
	}
}
