// Package awsid makes the random identifiers AWS hands out, in the few
// shapes they come in: UUIDs (request ids, message ids, event ids), hex
// strings (EC2's "i-0123…" ids, tokens), strings over a service's own
// alphabet (IAM's AIDA… ids, Route53's zone ids, S3's version ids) and
// base64 secrets. Each service composes its own format from these, so the
// random source and its uses are written once.
//
// The random source is crypto/rand: ids must not be guessable (presigned
// URL ids, session tokens) and must not collide across restarts. Ids made
// for every call that are no secret (request ids, CloudTrail event ids)
// come from Unique instead.
package awsid

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	mrand "math/rand/v2"
)

// UUID returns a random (version 4) UUID in its canonical lower-case
// form, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".
func UUID() string {
	var b [16]byte
	rand.Read(b[:]) // never fails: crypto/rand crashes the program instead
	var h [36]byte
	EncodeUUID(h[:], b[:])
	return string(h[:])
}

// Unique fills b with random bytes from the Go runtime's generator
// (math/rand/v2's top-level functions: ChaCha8, per thread, seeded from
// the operating system at start-up), for ids that must be unique (a UUID
// holds 122 random bits) but are no secret: the request id and S3 host id
// of every request and the event id of every CloudTrail record. Reading
// crypto/rand for them was ~0.5 µs a request; this is a few nanoseconds.
func Unique(b []byte) {
	for len(b) >= 8 {
		binary.LittleEndian.PutUint64(b, mrand.Uint64())
		b = b[8:]
	}
	if len(b) > 0 {
		v := mrand.Uint64()
		for i := range b {
			b[i] = byte(v >> (8 * i))
		}
	}
}

// UniqueUUID is a version 4 UUID like UUID's, from Unique's bytes: for
// ids that are no secret.
func UniqueUUID() string {
	var b [16]byte
	Unique(b[:])
	var h [36]byte
	EncodeUUID(h[:], b[:])
	return string(h[:])
}

// EncodeUUID writes the 16 random bytes of src as a version 4 UUID in
// its canonical form into dst[:36], setting the version and variant bits
// in src; for callers that build several ids in one buffer.
func EncodeUUID(dst, src []byte) {
	src[6] = src[6]&0x0f | 0x40
	src[8] = src[8]&0x3f | 0x80
	hex.Encode(dst[0:8], src[0:4])
	dst[8] = '-'
	hex.Encode(dst[9:13], src[4:6])
	dst[13] = '-'
	hex.Encode(dst[14:18], src[6:8])
	dst[18] = '-'
	hex.Encode(dst[19:23], src[8:10])
	dst[23] = '-'
	hex.Encode(dst[24:36], src[10:16])
}

// Hex returns n random lower-case hex digits.
func Hex(n int) string {
	b := make([]byte, (n+1)/2)
	rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

// Base64 returns n random bytes in standard base64 (AWS secret access
// keys are 30 bytes: 40 characters).
func Base64(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// String returns n characters drawn uniformly from alphabet, which must
// hold between 1 and 256 single-byte characters. Bytes that would favour
// the alphabet's first characters are drawn again.
func String(alphabet string, n int) string {
	if len(alphabet) == 0 || len(alphabet) > 256 {
		panic("awsid: alphabet must hold 1 to 256 characters")
	}
	// limit is the largest multiple of len(alphabet) not above 256: a byte
	// below it maps to every character equally often.
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/4+8)
	for len(out) < n {
		rand.Read(buf)
		for _, c := range buf {
			if int(c) < limit && len(out) < n {
				out = append(out, alphabet[int(c)%len(alphabet)])
			}
		}
	}
	return string(out)
}
