package checksum

import (
	"encoding/binary"
	"encoding/hex"
	"io"
	"net/textproto"
	"strings"
	"testing"
)

func TestKnownVectors(t *testing.T) {
	// "123456789" is the standard CRC check input; the SHA values are the
	// well-known digests of the same string.
	check := []byte("123456789")
	be32 := func(v uint32) string { b := make([]byte, 4); binary.BigEndian.PutUint32(b, v); return Encode(b) }
	be64 := func(v uint64) string { b := make([]byte, 8); binary.BigEndian.PutUint64(b, v); return Encode(b) }
	hexb64 := func(s string) string { b, _ := hex.DecodeString(s); return Encode(b) }
	cases := []struct {
		alg  Algorithm
		in   string
		want string
	}{
		{CRC32, string(check), be32(0xcbf43926)},
		{CRC32C, string(check), be32(0xe3069283)},
		{CRC64NVME, string(check), be64(0xae8b14860a799888)},
		{SHA1, string(check), hexb64("f7c3bc1d808e04732adf679965ccc34ca7ae3441")},
		{SHA256, string(check), hexb64("15e2b0d3c33891ebb0f1ef609ec419420c20e320ce94c65fbc8c3312448eb225")},
		// Values as S3 and the SDKs render them.
		{CRC32, "", "AAAAAA=="},
		{CRC32C, "", "AAAAAA=="},
		{CRC64NVME, "", "AAAAAAAAAAA="},
		{SHA256, "", "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="},
		{SHA1, "", "2jmj7l5rSw0yVb/vlWAYkK/YBwk="},
		{CRC32, "hello world", "DUoRhQ=="},
		{CRC32C, "hello world", "yZRlqg=="},
	}
	for _, c := range cases {
		if got := Compute(c.alg, []byte(c.in)); got != c.want {
			t.Errorf("%s(%q) = %s, want %s", c.alg, c.in, got, c.want)
		}
		if !Valid(c.alg, c.want) {
			t.Errorf("Valid(%s, %s) = false", c.alg, c.want)
		}
	}
}

func TestStreamingMatchesOneShot(t *testing.T) {
	data := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 5000)
	for _, a := range Algorithms() {
		h := New(a)
		// Odd-sized writes cross the 2 KiB slicing threshold of the CRCs.
		r := strings.NewReader(data)
		buf := make([]byte, 4093)
		for {
			n, err := r.Read(buf)
			h.Write(buf[:n])
			if err == io.EOF {
				break
			}
		}
		if got, want := Sum(h), Compute(a, []byte(data)); got != want {
			t.Errorf("%s streaming %s != one-shot %s", a, got, want)
		}
		if h.Size() != Size(a) {
			t.Errorf("%s Size %d != hash size %d", a, Size(a), h.Size())
		}
	}
}

func TestNames(t *testing.T) {
	for _, a := range Algorithms() {
		for _, spelling := range []string{string(a), strings.ToLower(string(a)), strings.ToUpper(string(a))} {
			if got, ok := Parse(spelling); !ok || got != a {
				t.Errorf("Parse(%q) = %q, %v", spelling, got, ok)
			}
		}
		h := HeaderName(a)
		if h != "x-amz-checksum-"+strings.ToLower(string(a)) {
			t.Errorf("HeaderName(%s) = %s", a, h)
		}
		if got, ok := FromHeader(strings.ToUpper(h)); !ok || got != a {
			t.Errorf("FromHeader(%q) = %q, %v", h, got, ok)
		}
	}
	for _, bad := range []string{"", "md5", "crc", "CRC64", "sha512"} {
		if _, ok := Parse(bad); ok {
			t.Errorf("Parse(%q) accepted", bad)
		}
		if New(Algorithm(bad)) != nil {
			t.Errorf("New(%q) != nil", bad)
		}
	}
	for _, bad := range []string{"x-amz-checksum-", "x-amz-checksum-md5", "x-amz-checksum-mode", "content-md5"} {
		if _, ok := FromHeader(bad); ok {
			t.Errorf("FromHeader(%q) accepted", bad)
		}
	}
	if Valid(CRC32, "AAAAAAAAAAA=") || Valid(SHA256, "not base64!") || Valid("MD5", "AAAAAA==") {
		t.Error("Valid accepted a malformed value")
	}
}

// TestHeaderNames: each algorithm's header is the prefix and its lowered
// name, and CanonicalHeader is that name as http.Header keys it.
func TestHeaderNames(t *testing.T) {
	for _, a := range append(Algorithms(), "MD5") {
		want := HeaderPrefix + strings.ToLower(string(a))
		if got := HeaderName(a); got != want {
			t.Errorf("HeaderName(%s) = %q, want %q", a, got, want)
		}
		if got := CanonicalHeader(a); got != textproto.CanonicalMIMEHeaderKey(want) {
			t.Errorf("CanonicalHeader(%s) = %q", a, got)
		}
		if b, ok := FromHeader(HeaderName(a)); a != "MD5" && (!ok || b != a) {
			t.Errorf("FromHeader(%q) = %s, %v", HeaderName(a), b, ok)
		}
	}
}
