// Package ciphertext is the header of the symmetric ciphertext blobs niwa's
// KMS makes. It is a package of its own, with no dependencies, because two
// places read it: the KMS service, which decrypts, and the authorizer
// (internal/authz), which must know which key a Decrypt without KeyId
// uses so that the key's policy is evaluated.
//
// AWS's format is opaque and undocumented; niwa's carries what Decrypt
// needs to find the key without a KeyId:
//
//	0      format version (1)
//	1      flags: bit 0 set for a multi-Region key id (mrk-...)
//	2..13  owning account, 12 ASCII digits
//	14..29 key id, 16 bytes
//	30..33 key material index, big endian (rotation)
//	34..   nonce, ciphertext and tag (the service's business)
package ciphertext

import (
	"encoding/binary"
	"encoding/hex"
	"strings"
)

// HeaderLen is the length of the header.
const HeaderLen = 34

const version = 1

// Header names the key (and its material version) a blob was made with.
type Header struct {
	Account  string
	KeyID    string
	Material uint32
}

// Bytes encodes h; KeyID must be a valid key id (see KeyIDBytes).
func (h Header) Bytes() []byte {
	b := make([]byte, HeaderLen)
	b[0] = version
	idb, mrk, _ := KeyIDBytes(h.KeyID)
	if mrk {
		b[1] = 1
	}
	copy(b[2:14], h.Account)
	copy(b[14:30], idb[:])
	binary.BigEndian.PutUint32(b[30:34], h.Material)
	return b
}

// Parse reads the header of blob; ok is false when blob does not start
// with one (it is not a ciphertext niwa made, or it is too short).
func Parse(blob []byte) (h Header, ok bool) {
	if len(blob) < HeaderLen || blob[0] != version || blob[1] > 1 {
		return h, false
	}
	for _, c := range blob[2:14] {
		if c < '0' || c > '9' {
			return h, false
		}
	}
	h.Account = string(blob[2:14])
	h.KeyID = keyIDString(blob[14:30], blob[1] == 1)
	h.Material = binary.BigEndian.Uint32(blob[30:34])
	return h, true
}

// KeyIDBytes packs a key id (a lower-case UUID, or mrk- and 32 hex
// digits) into 16 bytes; ok is false for strings that are not key ids.
func KeyIDBytes(id string) (b [16]byte, mrk bool, ok bool) {
	h := id
	if strings.HasPrefix(id, "mrk-") {
		h, mrk = id[4:], true
		if len(h) != 32 {
			return b, false, false
		}
	} else {
		if len(id) != 36 || id[8] != '-' || id[13] != '-' || id[18] != '-' || id[23] != '-' {
			return b, false, false
		}
		h = id[0:8] + id[9:13] + id[14:18] + id[19:23] + id[24:]
	}
	if strings.ToLower(h) != h {
		return b, false, false
	}
	n, err := hex.Decode(b[:], []byte(h))
	return b, mrk, err == nil && n == 16
}

func keyIDString(b []byte, mrk bool) string {
	h := hex.EncodeToString(b)
	if mrk {
		return "mrk-" + h
	}
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
