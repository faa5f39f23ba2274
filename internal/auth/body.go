package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/niwa-cloud/niwa/internal/checksum"
	"github.com/niwa-cloud/niwa/internal/httpbody"
)

// memBodyLimit is how much of a body being hashed stays in memory; the
// rest is spooled to a temporary file, so a 50 MB Lambda zip does not
// occupy 50 MB of heap per request.
const memBodyLimit = 1 << 20

// bufferedBody replays a body the verifier had to read in full to hash it.
type bufferedBody struct {
	io.Reader
	sum    [2 * sha256.Size]byte // the body's SHA-256, hex
	size   int64
	file   *os.File // nil when the body fit in memory
	remove bool     // the file could not be unlinked while open
	orig   io.Closer
	mem    bytes.Reader // the Reader of a body that fit in memory
	data   []byte       // what mem reads
}

// TakeBytes returns the unread rest of a body held in memory and consumes
// it, as reading it to its end would, when it is at most max bytes; false
// (and nothing consumed) for a longer one or one spooled to a file. The
// codecs read the verified body through it instead of copying it. The
// bytes are the body's own: the caller must not change them.
func (b *bufferedBody) TakeBytes(max int64) ([]byte, bool) {
	if b.file != nil || b.Reader != &b.mem || int64(b.mem.Len()) > max {
		return nil, false
	}
	rest := b.data[len(b.data)-b.mem.Len():]
	b.mem.Reset(nil)
	return rest, true
}

func (b *bufferedBody) Close() error {
	var err error
	if b.file != nil {
		err = b.file.Close()
		if b.remove {
			_ = os.Remove(b.file.Name())
		}
		b.file = nil
	}
	if b.orig != nil {
		if e := b.orig.Close(); err == nil {
			err = e
		}
		b.orig = nil
	}
	return err
}

// bufferBody reads r.Body in full, hashing it, up to the verifier's bound.
// It is only used when a non-S3 request leaves its payload hash to be
// computed, which SigV4 makes unavoidable before the signature can be
// checked.
func (v *Verifier) bufferBody(r *http.Request, d Dialect) (*bufferedBody, error) {
	b := &bufferedBody{}
	if err := v.readBody(r, d, b); err != nil {
		return nil, err
	}
	return b, nil
}

// readBody is bufferBody into b, a zero bufferedBody.
func (v *Verifier) readBody(r *http.Request, d Dialect, b *bufferedBody) error {
	limit := v.maxBufferedBody()
	b.orig = r.Body
	if r.Body == nil || r.Body == http.NoBody {
		b.Reader, b.orig = bytes.NewReader(nil), nil
		copy(b.sum[:], emptySHA256)
		return nil
	}
	// At most limit+1 bytes are read in all; the first memBodyLimit+1
	// into memory, hashed at once when that was the whole body (the
	// usual case: no hasher, tee or copy allocated).
	data, err := httpbody.ReadUpTo(r.Body, min(limit, memBodyLimit)+1, r.ContentLength)
	if err != nil {
		return err
	}
	n := int64(len(data))
	if n <= memBodyLimit {
		if n > limit {
			return fail(d, failBodyTooLarge, strconv.FormatInt(limit+1, 10))
		}
		b.mem.Reset(data)
		b.Reader, b.size, b.data = &b.mem, n, data
		sum := sha256.Sum256(data)
		hex.Encode(b.sum[:], sum[:])
		return nil
	}
	// Over memBodyLimit (so limit > memBodyLimit): the rest streams to a
	// file, hashed as it goes.
	src := &io.LimitedReader{R: r.Body, N: limit + 1 - n}
	h := sha256.New()
	h.Write(data)
	tee := io.TeeReader(src, h)
	mem := bytes.NewReader(data)
	f, err := os.CreateTemp(v.TempDir, "niwa-body-*")
	if err != nil {
		return internalError(err)
	}
	// Unlinking the open file means nothing is left behind even if the
	// caller never closes the body; where the OS refuses (Windows), Close
	// removes it.
	b.file, b.remove = f, os.Remove(f.Name()) != nil
	m, err := io.Copy(f, io.MultiReader(mem, tee))
	if err != nil {
		_ = b.Close()
		return err
	}
	if m > limit {
		_ = b.Close()
		return fail(d, failBodyTooLarge, strconv.FormatInt(limit+1, 10))
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		_ = b.Close()
		return internalError(err)
	}
	b.Reader, b.size = f, m
	var sum [sha256.Size]byte
	hex.Encode(b.sum[:], h.Sum(sum[:0]))
	return nil
}

// wrapBody sets res.Body for a request whose signature is settled:
// aws-chunked payloads are decoded (and their chunk signatures and
// trailing checksums checked) as they are read, and a declared hex
// payload hash is checked when the body ends. sc is nil when the request
// carries no SigV4 signature to chain chunk signatures from. check, when
// not nil, is where that hash's check goes (allocated with res: see
// checkedResult); nil makes a new one.
func (v *Verifier) wrapBody(r *http.Request, d Dialect, res *Result, payload string, sc *sigV4Context, check *sha256Reader) error {
	body := r.Body
	if body == nil {
		body = http.NoBody
	}
	res.Body, res.ContentLength = body, r.ContentLength
	if body == http.NoBody && res.ContentLength < 0 {
		res.ContentLength = 0
	}
	switch payload {
	case streamingECDSA, streamingECDSATrailer:
		if !v.SkipValidation {
			return fail(d, failSigV4A)
		}
		// Same framing as SigV4 streaming; the signatures go unchecked.
		fallthrough
	case streamingSigned, streamingSignedTrailer, streamingUnsignedTrailer:
		signed := payload != streamingUnsignedTrailer
		if signed && sc == nil && !v.SkipValidation {
			return fail(d, failSignatureMismatch)
		}
		if v := r.Header.Get("X-Amz-Decoded-Content-Length"); v != "" && decodedLength(r) < 0 {
			return fail(d, failInvalidDecodedLength)
		}
		declared, err := declaredTrailers(d, r.Header.Values("X-Amz-Trailer"))
		if err != nil {
			return err
		}
		cr := newChunkedReader(body, chunkedOptions{
			dialect:       d,
			sig:           sc,
			verify:        signed && !v.SkipValidation,
			signed:        signed,
			trailers:      (payload != streamingSigned && payload != streamingECDSA) || len(declared) > 0,
			signedTrailer: payload == streamingSignedTrailer || payload == streamingECDSATrailer,
			declared:      declared,
			decodedLength: decodedLength(r),
		})
		res.Body, res.ContentLength, res.Trailer = cr, decodedLength(r), cr.trailer
	default:
		if !checksPayloadHash(body, payload) {
			break
		}
		if check == nil {
			check = &sha256Reader{}
		}
		*check = sha256Reader{r: body, h: sha256.New(), want: strings.ToLower(payload), d: d}
		res.Body = check
	}
	return nil
}

// checksPayloadHash tells whether wrapBody checks payload, the hash a
// request signed, as the body is read: a hex SHA-256, unless there is no
// body and the empty payload's hash was declared (every GET): reading it
// would end at once and match.
func checksPayloadHash(body io.ReadCloser, payload string) bool {
	if !isHexSHA256(payload) {
		return false
	}
	return !((body == nil || body == http.NoBody) && strings.EqualFold(payload, emptySHA256))
}

// declaredTrailers parses x-amz-trailer: the checksum headers a chunked
// body promises to end with. S3 only accepts checksum trailers.
func declaredTrailers(d Dialect, values []string) ([]checksum.Algorithm, error) {
	var out []checksum.Algorithm
	for _, v := range values {
		for _, name := range strings.Split(v, ",") {
			name = strings.TrimSpace(name)
			if name == "" {
				continue
			}
			a, ok := checksum.FromHeader(name)
			if !ok {
				return nil, fail(d, failUnsupportedTrailer)
			}
			out = append(out, a)
		}
	}
	return out, nil
}

// sha256Reader checks a body against the hex SHA-256 the client declared
// in x-amz-content-sha256, failing the final Read on a mismatch so that
// the consumer never accepts a payload that differs from what was signed.
type sha256Reader struct {
	r    io.ReadCloser
	h    hash.Hash
	want string
	d    Dialect
	err  error
}

func (s *sha256Reader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.r.Read(p)
	s.h.Write(p[:n])
	switch {
	case err == io.EOF:
		var sum [sha256.Size]byte
		var got [2 * sha256.Size]byte
		hex.Encode(got[:], s.h.Sum(sum[:0]))
		if string(got[:]) != s.want {
			e := fail(s.d, failContentSHA256Mismatch)
			if s.d == DialectS3 {
				_ = fieldErr(e, "ClientComputedContentSHA256", s.want, "S3ComputedContentSHA256", string(got[:]))
			}
			s.err = e
			return n, e
		}
		s.err = io.EOF
	case err != nil:
		s.err = err
	}
	return n, err
}

func (s *sha256Reader) Close() error { return s.r.Close() }
