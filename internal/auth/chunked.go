package auth

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/niwa-cloud/niwa/internal/checksum"
)

// aws-chunked framing, as S3 accepts it:
//
//	signed:   <hex-size>;chunk-signature=<sig>\r\n<data>\r\n ... 0;chunk-signature=<sig>\r\n
//	unsigned: <hex-size>\r\n<data>\r\n ... 0\r\n
//
// followed by either "\r\n" or, with trailers, "name:value\r\n" lines (and
// x-amz-trailer-signature:<sig>\r\n when signed) and a final "\r\n".

const (
	// minChunkSize is the smallest chunk S3 accepts before the last one.
	minChunkSize = 8192
	// maxLine bounds a chunk header or trailer line; real ones are under
	// 200 bytes.
	maxLine = 4096
	// maxTrailers bounds the trailer section.
	maxTrailers = 16
)

type chunkedOptions struct {
	dialect Dialect
	sig     *sigV4Context // chunk signatures chain from sig.seed
	// signed chunks carry ;chunk-signature=; verify checks them (false
	// when validation is skipped or the key's secret is unknown).
	signed, verify bool
	// trailers are expected after the final chunk; signedTrailer adds
	// x-amz-trailer-signature.
	trailers, signedTrailer bool
	declared                []checksum.Algorithm
	decodedLength           int64
}

// chunkedReader decodes an aws-chunked body on the fly. It holds at most
// one line of framing in memory, never a chunk: chunk data is passed to
// the reader as it arrives and the chunk's signature is checked when its
// last byte has been read, so a bad chunk surfaces as an error before the
// body ends, and a consumer that abandons the body on error never commits
// unverified data.
type chunkedReader struct {
	opt    chunkedOptions
	src    *bufio.Reader
	closer io.Closer

	hashers []hash.Hash // one per declared trailer checksum
	trailer http.Header // filled at the end; shared with Result.Trailer

	inChunk   bool
	remaining int64
	chunkSig  string
	chunkHash hash.Hash
	prevSig   string
	index     int   // 1-based number of the chunk being read
	lastSize  int64 // size of the previous chunk
	decoded   int64
	err       error // sticky: io.EOF once the body is complete
}

func newChunkedReader(body io.ReadCloser, opt chunkedOptions) *chunkedReader {
	c := &chunkedReader{
		opt:     opt,
		src:     bufio.NewReaderSize(body, 64<<10),
		closer:  body,
		trailer: http.Header{},
	}
	for _, a := range opt.declared {
		c.hashers = append(c.hashers, checksum.New(a))
	}
	if opt.signed {
		c.chunkHash = sha256.New()
		if opt.sig != nil {
			c.prevSig = opt.sig.seed
		}
	}
	return c
}

func (c *chunkedReader) Close() error { return c.closer.Close() }

func (c *chunkedReader) incomplete() error { return fail(c.opt.dialect, failIncompleteBody) }

func (c *chunkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	for !c.inChunk {
		if err := c.nextChunk(); err != nil {
			c.err = err
			return 0, err
		}
	}
	if int64(len(p)) > c.remaining {
		p = p[:c.remaining]
	}
	n, err := c.src.Read(p)
	if n > 0 {
		data := p[:n]
		if c.chunkHash != nil {
			c.chunkHash.Write(data)
		}
		for _, h := range c.hashers {
			h.Write(data)
		}
		c.remaining -= int64(n)
		c.decoded += int64(n)
	}
	if err != nil {
		if err == io.EOF {
			err = c.incomplete()
		}
		c.err = err
		return n, err
	}
	if c.remaining == 0 {
		c.inChunk = false
		if err := c.endChunk(); err != nil {
			c.err = err
			return n, err
		}
	}
	return n, nil
}

// readLine reads one CRLF-terminated line without its terminator. A clean
// end of stream before any byte is io.EOF.
func (c *chunkedReader) readLine() (string, error) {
	var line []byte
	for {
		frag, err := c.src.ReadSlice('\n')
		line = append(line, frag...)
		if len(line) > maxLine {
			return "", c.incomplete()
		}
		switch {
		case err == nil:
			if len(line) < 2 || line[len(line)-2] != '\r' {
				return "", c.incomplete()
			}
			return string(line[:len(line)-2]), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case err == io.EOF && len(line) == 0:
			return "", io.EOF
		case err == io.EOF:
			return "", c.incomplete()
		default:
			return "", err
		}
	}
}

// parseChunkHeader reads "<hex-size>[;name=value...]"; sig is the
// chunk-signature extension's value, if any.
func parseChunkHeader(line string) (size int64, sig string, ok bool) {
	sizeS, ext, _ := strings.Cut(line, ";")
	if sizeS == "" || len(sizeS) > 16 {
		return 0, "", false
	}
	n, err := strconv.ParseUint(sizeS, 16, 63)
	if err != nil {
		return 0, "", false
	}
	for ext != "" {
		var e string
		e, ext, _ = strings.Cut(ext, ";")
		k, v, _ := strings.Cut(e, "=")
		if strings.TrimSpace(k) == "chunk-signature" {
			sig = strings.TrimSpace(v)
		}
	}
	return int64(n), sig, true
}

func (c *chunkedReader) nextChunk() error {
	line, err := c.readLine()
	if err == io.EOF {
		return c.incomplete()
	}
	if err != nil {
		return err
	}
	size, sig, ok := parseChunkHeader(line)
	if !ok || (c.opt.signed && c.opt.verify && sig == "") {
		return c.incomplete()
	}
	c.index++
	if c.index > 1 && size > 0 && c.lastSize < minChunkSize {
		return fieldErr(fail(c.opt.dialect, failInvalidChunkSize),
			"Chunk", strconv.Itoa(c.index), "BadChunkSize", strconv.FormatInt(c.lastSize, 10))
	}
	if c.opt.decodedLength >= 0 && c.decoded+size > c.opt.decodedLength {
		return c.incomplete()
	}
	c.lastSize = size
	c.chunkSig = sig
	if c.chunkHash != nil {
		c.chunkHash.Reset()
	}
	if size == 0 {
		if err := c.checkChunkSignature(); err != nil {
			return err
		}
		return c.finish()
	}
	c.inChunk, c.remaining = true, size
	return nil
}

// endChunk consumes the CRLF after a chunk's data and checks its signature.
func (c *chunkedReader) endChunk() error {
	var crlf [2]byte
	if _, err := io.ReadFull(c.src, crlf[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return c.incomplete()
		}
		return err
	}
	if crlf != [2]byte{'\r', '\n'} {
		return c.incomplete()
	}
	return c.checkChunkSignature()
}

// checkChunkSignature verifies the chunk just read: its signature covers
// the previous signature (the seed for the first chunk) and the chunk's
// SHA-256, which chains the chunks in order.
func (c *chunkedReader) checkChunkSignature() error {
	if !c.opt.signed || !c.opt.verify || c.opt.sig == nil {
		return nil
	}
	sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + c.opt.sig.amzDate + "\n" + c.opt.sig.scope + "\n" +
		c.prevSig + "\n" + emptySHA256 + "\n" + hex.EncodeToString(c.chunkHash.Sum(nil))
	want := hex.EncodeToString(hmacSHA256(c.opt.sig.key, sts))
	if !hmac.Equal([]byte(want), []byte(c.chunkSig)) {
		return fail(c.opt.dialect, failSignatureMismatch)
	}
	c.prevSig = want
	return nil
}

type trailerLine struct{ name, value string }

// finish reads what follows the final chunk, checks the trailer signature
// and checksums, and ends the body with io.EOF.
func (c *chunkedReader) finish() error {
	d := c.opt.dialect
	if c.opt.decodedLength >= 0 && c.decoded != c.opt.decodedLength {
		return c.incomplete()
	}
	var (
		lines    []trailerLine
		trailSig string
		hasSig   bool
	)
	if c.opt.trailers {
		for i := 0; ; i++ {
			line, err := c.readLine()
			if err == io.EOF {
				break // the closing CRLF is optional at the very end
			}
			if err != nil {
				return err
			}
			if line == "" {
				// Some encoders put the empty line of the zero-length
				// chunk's data before the trailers.
				if i == 0 && len(lines) == 0 {
					continue
				}
				break
			}
			if len(lines) >= maxTrailers {
				return fail(d, failMalformedTrailer)
			}
			name, value, ok := strings.Cut(line, ":")
			name = strings.ToLower(strings.TrimSpace(name))
			if !ok || name == "" {
				return fail(d, failMalformedTrailer)
			}
			value = strings.TrimSpace(value)
			if name == "x-amz-trailer-signature" {
				trailSig, hasSig = value, true
				continue
			}
			lines = append(lines, trailerLine{name, value})
		}
	} else {
		line, err := c.readLine()
		if err != nil && err != io.EOF {
			return err
		}
		if err == nil && line != "" {
			return c.incomplete()
		}
	}
	// Anything after the terminator is not aws-chunked.
	if _, err := c.src.ReadByte(); err == nil {
		return c.incomplete()
	}

	if c.opt.signedTrailer && c.opt.verify && c.opt.sig != nil {
		var canon strings.Builder
		for _, l := range lines {
			canon.WriteString(l.name + ":" + l.value + "\n")
		}
		sts := "AWS4-HMAC-SHA256-TRAILER\n" + c.opt.sig.amzDate + "\n" + c.opt.sig.scope + "\n" +
			c.prevSig + "\n" + hexSHA256([]byte(canon.String()))
		want := hex.EncodeToString(hmacSHA256(c.opt.sig.key, sts))
		if !hasSig || !hmac.Equal([]byte(want), []byte(trailSig)) {
			return fail(d, failSignatureMismatch)
		}
	}
	if err := c.checkTrailers(lines); err != nil {
		return err
	}
	for _, l := range lines {
		c.trailer.Add(l.name, l.value)
	}
	return io.EOF
}

// checkTrailers holds the trailers to what x-amz-trailer promised and the
// checksums to the data actually received.
func (c *chunkedReader) checkTrailers(lines []trailerLine) error {
	d := c.opt.dialect
	if len(lines) != len(c.opt.declared) {
		return fail(d, failMalformedTrailer)
	}
	for i, a := range c.opt.declared {
		var (
			value string
			found bool
		)
		for _, l := range lines {
			if l.name == checksum.HeaderName(a) {
				value, found = l.value, true
				break
			}
		}
		if !found {
			return fail(d, failMalformedTrailer)
		}
		if !checksum.Valid(a, value) {
			return fail(d, failInvalidTrailerChecksum, checksum.HeaderName(a))
		}
		if got := checksum.Sum(c.hashers[i]); got != value {
			return fail(d, failBadDigest, string(a))
		}
	}
	return nil
}
