package s3

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"hash"
	"hash/crc32"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/checksum"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// maxObjectSize is S3's single PUT limit (5 GiB).
const maxObjectSize = 5 << 30

// stored is what writing a body to the blob store produced.
type stored struct {
	part      blobPart
	md5       [md5.Size]byte
	checksums map[string]string
}

// wantedChecksums lists the algorithms a request asks S3 to compute: the
// ones whose x-amz-checksum-* header it sends, the one named by
// x-amz-sdk-checksum-algorithm or the ChecksumAlgorithm member, and the
// trailers it declares (whose values the signature layer verifies as the
// body is read; S3 stores what it computed itself here).
func wantedChecksums(h http.Header, algorithm string) []checksum.Algorithm {
	var out []checksum.Algorithm
	add := func(name string) {
		if a, ok := checksum.Parse(strings.TrimSpace(name)); ok && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	add(algorithm)
	add(h.Get("X-Amz-Sdk-Checksum-Algorithm"))
	for _, a := range checksum.Algorithms() {
		if h.Get(checksum.CanonicalHeader(a)) != "" {
			add(string(a))
		}
	}
	for _, v := range h.Values("X-Amz-Trailer") {
		for _, t := range strings.Split(v, ",") {
			if a, ok := checksum.FromHeader(strings.TrimSpace(t)); ok {
				add(string(a))
			}
		}
	}
	return out
}

// writeBodyTo streams r into a new blob of blobs (sealed ones for
// SSE-KMS), hashing it as it goes, and checks it against the Content-MD5
// and x-amz-checksum-* headers. Nothing is kept on failure.
func (s *S3) writeBodyTo(blobs storage.BlobStore, r io.Reader, h http.Header, contentMD5 *string, algorithm string, limit int64) (stored, error) {
	var want []byte
	if contentMD5 != nil {
		b, err := base64.StdEncoding.DecodeString(*contentMD5)
		if err != nil || len(b) != md5.Size {
			return stored{}, errInvalidDigest.New("The Content-MD5 you specified was not valid.").With("Content-MD5", *contentMD5)
		}
		want = b
	}
	algs := wantedChecksums(h, algorithm)
	for _, a := range algs {
		if v := h.Get(checksum.CanonicalHeader(a)); v != "" && !checksum.Valid(a, v) {
			return stored{}, errInvalidRequest.New("Value for %s header is invalid.", checksum.HeaderName(a))
		}
	}
	if r == nil {
		r = http.NoBody
	}
	w, err := blobs.Create()
	if err != nil {
		return stored{}, err
	}
	defer w.Abort()
	// io.Copy would allocate (and clear) a 32 KiB buffer per upload:
	// neither the limited body nor the writers offer a copy of their own.
	bp := s.copyBuffer()
	defer s.copyBufs.Put(bp)
	buf := *bp
	// A body that fits the buffer (the common small object) is read
	// whole, written to the blob in one piece and hashed in one call per
	// digest; a longer one streams through the hashers, the bytes read so
	// far first.
	n, eof, err := readUpTo(r, buf)
	if err == nil && n > 0 {
		_, err = w.Write(buf[:n])
	}
	if err != nil {
		return stored{}, bodyError(err)
	}
	var st stored
	if eof {
		if int64(n) > limit {
			return stored{}, errTooLarge(limit)
		}
		data := buf[:n]
		st.md5 = md5.Sum(data)
		if err := checkMD5(want, st.md5); err != nil {
			return stored{}, err
		}
		if len(algs) > 0 {
			// None asked: no map (an empty one was stored as an empty
			// field, read back the same as none).
			st.checksums = make(map[string]string, len(algs))
		}
		for _, a := range algs {
			got := sumOf(a, data)
			if v := h.Get(checksum.CanonicalHeader(a)); v != "" && v != got {
				return stored{}, errBadDigest.New("The %s you specified did not match the calculated checksum.", a)
			}
			st.checksums[string(a)] = got
		}
	} else if st, err = streamBody(w, r, buf, n, h, want, algs, limit); err != nil {
		return stored{}, err
	}
	ref, err := w.Commit()
	if err != nil {
		return stored{}, err
	}
	st.part = blobPart{Blob: ref.ID, Size: ref.Size}
	return st, nil
}

// sumOf is checksum.Compute(a, data) with the digest on the stack: the
// wire string is its one allocation (a streaming hasher, its Sum's slice
// and the string were three).
func sumOf(a checksum.Algorithm, data []byte) string {
	var d [sha256.Size]byte
	var raw []byte
	switch a {
	case checksum.CRC32:
		raw = binary.BigEndian.AppendUint32(d[:0], crc32.ChecksumIEEE(data))
	case checksum.CRC32C:
		raw = binary.BigEndian.AppendUint32(d[:0], crc32.Checksum(data, crc32.MakeTable(crc32.Castagnoli))) // built once by crc32
	case checksum.SHA1:
		d1 := sha1.Sum(data)
		raw = append(d[:0], d1[:]...)
	case checksum.SHA256:
		d = sha256.Sum256(data)
		raw = d[:]
	default:
		return checksum.Compute(a, data)
	}
	var enc [44]byte // base64 of at most 32 bytes
	out := enc[:base64.StdEncoding.EncodedLen(len(raw))]
	base64.StdEncoding.Encode(out, raw)
	return string(out)
}

// readUpTo reads r into buf until r ends (eof) or buf is full.
func readUpTo(r io.Reader, buf []byte) (n int, eof bool, err error) {
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err == io.EOF {
			return n, true, nil
		}
		if err != nil {
			return n, false, err
		}
	}
	return n, false, nil
}

// streamBody copies the rest of a body whose first n bytes (in buf) the
// blob w already holds, hashing all of it.
func streamBody(w io.Writer, r io.Reader, buf []byte, n int, h http.Header, want []byte, algs []checksum.Algorithm, limit int64) (stored, error) {
	var st stored
	m := md5.New()
	writers := []io.Writer{m}
	hashers := make([]hash.Hash, len(algs)) // hashers[i] computes algs[i]
	for i, a := range algs {
		hashers[i] = checksum.New(a)
		writers = append(writers, hashers[i])
	}
	mw := io.MultiWriter(writers...)
	_, _ = mw.Write(buf[:n]) // hashes do not fail
	copied, err := io.CopyBuffer(io.MultiWriter(w, mw), io.LimitReader(r, limit+1-int64(n)), buf)
	if err != nil {
		return stored{}, bodyError(err)
	}
	if int64(n)+copied > limit {
		return stored{}, errTooLarge(limit)
	}
	m.Sum(st.md5[:0])
	if err := checkMD5(want, st.md5); err != nil {
		return stored{}, err
	}
	st.checksums = map[string]string{}
	for i, hh := range hashers {
		a := algs[i]
		got := checksum.Sum(hh)
		if v := h.Get(checksum.CanonicalHeader(a)); v != "" && v != got {
			return stored{}, errBadDigest.New("The %s you specified did not match the calculated checksum.", a)
		}
		st.checksums[string(a)] = got
	}
	return st, nil
}

// bodyError is the error of a body that could not be read (or stored):
// the signature layer's own error, else an incomplete body.
func bodyError(err error) error {
	var ae *awserr.Error
	if errors.As(err, &ae) {
		return ae
	}
	return errIncompleteBody.New("You did not provide the number of bytes specified by the Content-Length HTTP header.")
}

func errTooLarge(limit int64) error {
	return errEntityTooLarge.New("Your proposed upload exceeds the maximum allowed size").With("MaxSizeAllowed", limit)
}

// checkMD5 compares a body's MD5 with its Content-MD5 (want, nil for
// none).
func checkMD5(want []byte, sum [md5.Size]byte) error {
	if want != nil && string(want) != string(sum[:]) {
		return errBadDigest.New("The Content-MD5 you specified did not match what we received.").
			With("ExpectedDigest", hex.EncodeToString(want)).With("CalculatedDigest", base64.StdEncoding.EncodeToString(sum[:]))
	}
	return nil
}

// partsReader reads the byte range [off, off+n) of an object made of
// blob parts, opening one blob at a time.
type partsReader struct {
	blobs storage.BlobStore
	parts []blobPart
	off   int64 // offset into parts[0]
	left  int64
	cur   io.ReadCloser
}

func newPartsReader(blobs storage.BlobStore, parts []blobPart, off, n int64) *partsReader {
	for len(parts) > 0 && off >= parts[0].Size {
		off -= parts[0].Size
		parts = parts[1:]
	}
	return &partsReader{blobs: blobs, parts: parts, off: off, left: n}
}

// copyBufSize is the buffer writeBodyTo copies an upload through: what
// io.Copy would allocate for each.
const copyBufSize = 32 << 10

// copyBuffer returns a pooled copy buffer; put it back in s.copyBufs.
func (s *S3) copyBuffer() *[]byte {
	if bp, ok := s.copyBufs.Get().(*[]byte); ok {
		return bp
	}
	b := make([]byte, copyBufSize)
	return &b
}

// open makes the next part current, positioned at p.off.
func (p *partsReader) open() error {
	if len(p.parts) == 0 {
		return io.ErrUnexpectedEOF
	}
	f, err := p.blobs.Open(p.parts[0].Blob)
	if err != nil {
		return err
	}
	if p.off > 0 {
		if _, err := f.Seek(p.off, io.SeekStart); err != nil {
			_ = f.Close()
			return err
		}
	}
	p.off = 0
	p.parts = p.parts[1:]
	p.cur = f
	return nil
}

func (p *partsReader) Read(b []byte) (int, error) {
	for {
		if p.left <= 0 {
			return 0, io.EOF
		}
		if p.cur == nil {
			if err := p.open(); err != nil {
				return 0, err
			}
		}
		if int64(len(b)) > p.left {
			b = b[:p.left]
		}
		n, err := p.cur.Read(b)
		p.left -= int64(n)
		if err == io.EOF {
			_ = p.cur.Close()
			p.cur = nil
			if n > 0 {
				return n, nil
			}
			continue
		}
		return n, err
	}
}

// WriteTo writes the rest of the range to w, as Read would give it. An
// in-memory part whose remainder lies wholly in the range is written
// from its bytes in one call; io.Copy through Read allocated a 32 KiB
// buffer for every GetObject.
func (p *partsReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for p.left > 0 {
		if p.cur == nil {
			if err := p.open(); err != nil {
				return total, err
			}
		}
		var (
			n   int64
			err error
		)
		if br, ok := p.cur.(interface {
			io.WriterTo
			Len() int
		}); ok && int64(br.Len()) <= p.left {
			n, err = br.WriteTo(w)
		} else {
			n, err = io.Copy(w, io.LimitReader(p.cur, p.left))
		}
		total += n
		p.left -= n
		if err != nil {
			return total, err
		}
		if p.left > 0 {
			// The part ended (a short part continues in the next one).
			_ = p.cur.Close()
			p.cur = nil
		}
	}
	return total, nil
}

func (p *partsReader) Close() error {
	if p.cur != nil {
		return p.cur.Close()
	}
	return nil
}

// deleteBlobs removes blobs after the records pointing at them are gone.
func (s *S3) deleteBlobs(parts []blobPart) {
	for _, p := range parts {
		_ = s.blobs.Delete(p.Blob)
	}
}

// copyBuffer copies with a fixed 256 KiB buffer.
func copyBuffer(w io.Writer, r io.Reader) (int64, error) {
	return io.CopyBuffer(w, r, make([]byte, 256<<10))
}

// md5ETag computes the simple ETag of a stored blob.
func (s *S3) md5ETag(blobs storage.BlobStore, p blobPart) (string, error) {
	r := newPartsReader(blobs, []blobPart{p}, 0, p.Size)
	defer func() { _ = r.Close() }()
	m := md5.New()
	if _, err := copyBuffer(m, r); err != nil {
		return "", err
	}
	return quoteETag(m.Sum(nil)), nil
}

// checksumOf computes one checksum over stored parts.
func (s *S3) checksumOf(blobs storage.BlobStore, p blobPart, alg string) (map[string]string, error) {
	a, ok := checksum.Parse(alg)
	if !ok {
		return nil, errInvalidRequest.New("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, SHA1, SHA256, CRC64NVME]")
	}
	r := newPartsReader(blobs, []blobPart{p}, 0, p.Size)
	defer func() { _ = r.Close() }()
	h := checksum.New(a)
	if _, err := copyBuffer(h, r); err != nil {
		return nil, err
	}
	return map[string]string{string(a): checksum.Sum(h)}, nil
}

// fullChecksum computes one checksum over the whole of an object's parts.
func (s *S3) fullChecksum(blobs storage.BlobStore, parts []blobPart, size int64, a checksum.Algorithm) (string, error) {
	r := newPartsReader(blobs, parts, 0, size)
	defer func() { _ = r.Close() }()
	h := checksum.New(a)
	if _, err := copyBuffer(h, r); err != nil {
		return "", err
	}
	return checksum.Sum(h), nil
}

func parseAlg(name string) (checksum.Algorithm, bool) { return checksum.Parse(name) }

func newHash(a checksum.Algorithm) hash.Hash { return checksum.New(a) }
