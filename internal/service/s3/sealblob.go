package s3

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"

	"github.com/niwa-cloud/niwa/internal/storage"
)

// Objects encrypted with SSE-KMS are stored sealed: their bytes are
// AES-256-GCM under the object's data key, cut in segments so that a
// ranged GET decrypts only the segments it reads. A sealed blob is
//
//	header:   "nsk1" and an 8-byte random nonce prefix (sealHeaderLen)
//	segments: each sealSegment bytes of plaintext (the last 0..sealSegment)
//	          sealed with nonce prefix||segment index (big endian) and,
//	          as additional data, the header, the index and whether it
//	          is the last segment
//
// so segments cannot be reordered, dropped, truncated or moved between
// blobs without failing authentication. Every blob has its own prefix,
// so the parts of a multipart upload, sealed under one data key, never
// reuse a nonce.
const (
	sealMagic     = "nsk1"
	sealHeaderLen = 12
	sealSegment   = 64 << 10
	sealTag       = 16
)

var errSealCorrupt = errors.New("s3: sealed object data failed authentication")

// sealedBlobs stores blobs sealed under one data key. Sizes (BlobRef.Size)
// are plaintext sizes, so object records and range arithmetic do not
// change with encryption.
type sealedBlobs struct {
	inner storage.BlobStore
	aead  cipher.AEAD
}

func newSealedBlobs(inner storage.BlobStore, dataKey []byte) (*sealedBlobs, error) {
	block, err := aes.NewCipher(dataKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &sealedBlobs{inner: inner, aead: aead}, nil
}

func (s *sealedBlobs) Delete(id string) error { return s.inner.Delete(id) }

func (s *sealedBlobs) Create() (storage.BlobWriter, error) {
	w, err := s.inner.Create()
	if err != nil {
		return nil, err
	}
	h := make([]byte, sealHeaderLen)
	copy(h, sealMagic)
	if _, err := rand.Read(h[len(sealMagic):]); err != nil {
		w.Abort()
		return nil, err
	}
	if _, err := w.Write(h); err != nil {
		w.Abort()
		return nil, err
	}
	return &sealWriter{aead: s.aead, inner: w, header: h, buf: make([]byte, 0, sealSegment+sealTag)}, nil
}

// segmentNonce and segmentAD bind a segment to its blob, place and
// finality.
func segmentNonce(header []byte, i uint32) []byte {
	n := make([]byte, 12)
	copy(n, header[len(sealMagic):sealHeaderLen])
	binary.BigEndian.PutUint32(n[8:], i)
	return n
}

func segmentAD(header []byte, i uint32, last bool) []byte {
	ad := make([]byte, 0, sealHeaderLen+5)
	ad = append(ad, header...)
	ad = binary.BigEndian.AppendUint32(ad, i)
	if last {
		return append(ad, 1)
	}
	return append(ad, 0)
}

type sealWriter struct {
	aead   cipher.AEAD
	inner  storage.BlobWriter
	header []byte
	buf    []byte // plaintext not yet sealed, at most one segment
	index  uint32
	size   int64
}

func (w *sealWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if len(w.buf) == sealSegment {
			// A full segment is sealed once more data follows: the last
			// segment is sealed as such by Commit.
			if err := w.flush(false); err != nil {
				return n - len(p), err
			}
		}
		k := min(len(p), sealSegment-len(w.buf))
		w.buf = append(w.buf, p[:k]...)
		p = p[k:]
		w.size += int64(k)
	}
	return n, nil
}

func (w *sealWriter) flush(last bool) error {
	ct := w.aead.Seal(w.buf[len(w.buf):len(w.buf)], segmentNonce(w.header, w.index), w.buf, segmentAD(w.header, w.index, last))
	if _, err := w.inner.Write(ct); err != nil {
		return err
	}
	w.index++
	w.buf = w.buf[:0]
	return nil
}

func (w *sealWriter) Commit() (storage.BlobRef, error) {
	if err := w.flush(true); err != nil {
		w.inner.Abort()
		return storage.BlobRef{}, err
	}
	ref, err := w.inner.Commit()
	if err != nil {
		return ref, err
	}
	ref.Size = w.size
	return ref, nil
}

func (w *sealWriter) Abort() { w.inner.Abort() }

func (s *sealedBlobs) Open(id string) (io.ReadSeekCloser, error) {
	f, err := s.inner.Open(id)
	if err != nil {
		return nil, err
	}
	total, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		_ = f.Close() // read side: the error returned says what went wrong
		return nil, err
	}
	body := total - sealHeaderLen
	if body < sealTag {
		_ = f.Close() // read side: the error returned says what went wrong
		return nil, errSealCorrupt
	}
	const seg = sealSegment + sealTag
	count := (body + seg - 1) / seg
	size := body - count*sealTag
	h := make([]byte, sealHeaderLen)
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		_ = f.Close() // read side: the error returned says what went wrong
		return nil, err
	}
	if _, err := io.ReadFull(f, h); err != nil || string(h[:len(sealMagic)]) != sealMagic {
		_ = f.Close() // read side: the error returned says what went wrong
		return nil, errSealCorrupt
	}
	return &sealReader{aead: s.aead, f: f, header: h, count: count, size: size, loaded: -1}, nil
}

// sealReader reads a sealed blob's plaintext, one segment at a time.
type sealReader struct {
	aead   cipher.AEAD
	f      io.ReadSeekCloser
	header []byte
	count  int64 // segments
	size   int64 // plaintext bytes
	pos    int64
	loaded int64 // index of the segment in plain, -1 for none
	plain  []byte
	ct     []byte
}

func (r *sealReader) load(i int64) error {
	if r.loaded == i {
		return nil
	}
	if _, err := r.f.Seek(sealHeaderLen+i*(sealSegment+sealTag), io.SeekStart); err != nil {
		return err
	}
	n := int64(sealSegment + sealTag)
	if i == r.count-1 {
		n = r.size - i*sealSegment + sealTag
	}
	if cap(r.ct) < int(n) {
		r.ct = make([]byte, sealSegment+sealTag)
	}
	ct := r.ct[:n]
	if _, err := io.ReadFull(r.f, ct); err != nil {
		return err
	}
	idx := uint32(i)
	pt, err := r.aead.Open(r.plain[:0], segmentNonce(r.header, idx), ct, segmentAD(r.header, idx, i == r.count-1))
	if err != nil {
		r.loaded = -1
		return errSealCorrupt
	}
	r.plain, r.loaded = pt, i
	return nil
}

func (r *sealReader) Read(b []byte) (int, error) {
	if r.pos >= r.size {
		return 0, io.EOF
	}
	i := r.pos / sealSegment
	if err := r.load(i); err != nil {
		return 0, err
	}
	n := copy(b, r.plain[r.pos-i*sealSegment:])
	r.pos += int64(n)
	return n, nil
}

func (r *sealReader) Seek(off int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		off += r.pos
	case io.SeekEnd:
		off += r.size
	default:
		return 0, errors.New("s3: bad whence")
	}
	if off < 0 {
		return 0, errors.New("s3: negative position")
	}
	r.pos = off
	return off, nil
}

func (r *sealReader) Close() error { return r.f.Close() }
