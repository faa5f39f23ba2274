// Package checksum computes the flexible checksums that current AWS SDKs send
// with uploads (x-amz-checksum-* headers and aws-chunked trailers) and that S3
// stores and returns. Everything here streams: a hasher never needs the whole
// object in memory.
package checksum

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"net/textproto"
	"strings"
)

// Algorithm is a checksum algorithm as the S3 API names it
// (ChecksumAlgorithm members, x-amz-sdk-checksum-algorithm values).
type Algorithm string

// The algorithms S3 supports. The header that carries each one is
// "x-amz-checksum-" followed by the lowercased name.
const (
	CRC32     Algorithm = "CRC32"
	CRC32C    Algorithm = "CRC32C"
	SHA1      Algorithm = "SHA1"
	SHA256    Algorithm = "SHA256"
	CRC64NVME Algorithm = "CRC64NVME"
)

// HeaderPrefix starts every checksum header name.
const HeaderPrefix = "x-amz-checksum-"

// crc64NVMEPoly is the CRC-64/NVME polynomial 0xad93d23594c93659 bit-reversed,
// because hash/crc64 works on reflected polynomials (as CRC-64/NVME is
// defined); hash/crc64 also applies the all-ones init and xorout this CRC
// uses.
const crc64NVMEPoly = 0x9a6c9329ac4bc9b5

// Algorithms lists every supported algorithm, in the order S3 documents
// them. It returns a fresh slice so callers may keep or modify it.
func Algorithms() []Algorithm {
	return []Algorithm{CRC32, CRC32C, SHA1, SHA256, CRC64NVME}
}

// Parse resolves an algorithm name as clients spell it ("crc32", "CRC32C",
// "Sha256"); ok is false for anything S3 does not support.
func Parse(name string) (Algorithm, bool) {
	for _, a := range Algorithms() {
		if strings.EqualFold(name, string(a)) {
			return a, true
		}
	}
	return "", false
}

// FromHeader resolves a checksum header name ("x-amz-checksum-crc32c", any
// case) to its algorithm, so trailers and request headers can be matched
// without a table of header names.
func FromHeader(name string) (Algorithm, bool) {
	if len(name) <= len(HeaderPrefix) || !strings.EqualFold(name[:len(HeaderPrefix)], HeaderPrefix) {
		return "", false
	}
	return Parse(name[len(HeaderPrefix):])
}

// HeaderName is the header (and trailer) that carries a checksum of this
// algorithm, in the lowercase form SDKs send and sign.
func HeaderName(a Algorithm) string {
	switch a { // the supported ones without building the string
	case CRC32:
		return "x-amz-checksum-crc32"
	case CRC32C:
		return "x-amz-checksum-crc32c"
	case SHA1:
		return "x-amz-checksum-sha1"
	case SHA256:
		return "x-amz-checksum-sha256"
	case CRC64NVME:
		return "x-amz-checksum-crc64nvme"
	}
	return HeaderPrefix + strings.ToLower(string(a))
}

// CanonicalHeader is HeaderName in the canonical form http.Header keys
// take ("X-Amz-Checksum-Crc32"): looked up with it, a header is found
// without canonicalizing (allocating) the name on every request.
func CanonicalHeader(a Algorithm) string {
	switch a {
	case CRC32:
		return "X-Amz-Checksum-Crc32"
	case CRC32C:
		return "X-Amz-Checksum-Crc32c"
	case SHA1:
		return "X-Amz-Checksum-Sha1"
	case SHA256:
		return "X-Amz-Checksum-Sha256"
	case CRC64NVME:
		return "X-Amz-Checksum-Crc64nvme"
	}
	return textproto.CanonicalMIMEHeaderKey(HeaderName(a))
}

// New returns a streaming hasher for a, or nil when a is not a supported
// algorithm (use Parse first on client input).
func New(a Algorithm) hash.Hash {
	switch a {
	case CRC32:
		return crc32.NewIEEE()
	case CRC32C:
		return crc32.New(crc32.MakeTable(crc32.Castagnoli))
	case SHA1:
		return sha1.New()
	case SHA256:
		return sha256.New()
	case CRC64NVME:
		// MakeTable is a 256-entry loop; building it per hasher keeps the
		// package free of shared state at negligible cost.
		return crc64.New(crc64.MakeTable(crc64NVMEPoly))
	}
	return nil
}

// Size is the length in bytes of a's raw digest (0 if unsupported); a
// base64 value that decodes to any other length is malformed.
func Size(a Algorithm) int {
	switch a {
	case CRC32, CRC32C:
		return 4
	case SHA1:
		return sha1.Size
	case SHA256:
		return sha256.Size
	case CRC64NVME:
		return 8
	}
	return 0
}

// Encode renders a digest the way AWS puts it on the wire: standard base64
// of the big-endian digest bytes.
func Encode(sum []byte) string { return base64.StdEncoding.EncodeToString(sum) }

// Sum returns the wire form of h's current digest.
func Sum(h hash.Hash) string { return Encode(h.Sum(nil)) }

// Compute returns the wire form of a's checksum of data.
func Compute(a Algorithm, data []byte) string {
	h := New(a)
	if h == nil {
		return ""
	}
	h.Write(data)
	return Sum(h)
}

// Valid reports whether value is a well-formed wire checksum for a (right
// base64, right length), the check S3 makes before comparing digests.
func Valid(a Algorithm, value string) bool {
	raw, err := base64.StdEncoding.DecodeString(value)
	return err == nil && len(raw) == Size(a) && Size(a) > 0
}
