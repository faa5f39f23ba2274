package s3

import (
	"mime"
	"testing"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestMetadataRFC2047: values are stored decoded and answered as S3 does
// — printable ASCII as is, anything else as a UTF-8 Q encoded-word.
func TestMetadataRFC2047(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "meta")
	for _, c := range []struct{ sent, want string }{
		{"plain value", "plain value"},
		{"Tōkyō", "=?UTF-8?Q?T=C5=8Dky=C5=8D?="},
		{"=?UTF-8?B?w6l0w6k=?=", "=?UTF-8?Q?=C3=A9t=C3=A9?="},
		{"=?UTF-8?Q?ascii_only?=", "ascii only"},
		{"a\xffb c", "=?UTF-8?Q?a=FFb_c?="},
		{"=?broken", "=?broken"},
	} {
		if _, err := f.s.PutObject(f.ctx(), &s3api.PutObjectInput{Bucket: ptr.To("meta"), Key: ptr.To("k"), Metadata: map[string]string{"v": c.sent}}); err != nil {
			t.Fatal(err)
		}
		out, err := f.s.HeadObject(f.ctx(), &s3api.HeadObjectInput{Bucket: ptr.To("meta"), Key: ptr.To("k")})
		if err != nil {
			t.Fatal(err)
		}
		if got := out.Metadata["v"]; got != c.want {
			t.Errorf("sent %q: got %q, want %q", c.sent, got, c.want)
		}
	}
}

// FuzzMetadataValue: decoding never fails, and what is answered decodes
// back to the stored bytes when they are valid UTF-8.
func FuzzMetadataValue(f *testing.F) {
	for _, s := range []string{"x", "Tōkyō", "=?UTF-8?B?w6k=?=", "=?x?q?", "_=?"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		stored := decodeMetaValue(v)
		enc := encodeMetaValue(stored)
		for i := 0; i < len(enc); i++ {
			if enc[i] < 0x20 || enc[i] > 0x7e {
				t.Fatalf("answer %q has a non-printable byte", enc)
			}
		}
		if enc != stored {
			back, err := new(mime.WordDecoder).DecodeHeader(enc)
			if err != nil || back != stored {
				t.Fatalf("%q -> %q -> %q (%v)", stored, enc, back, err)
			}
		}
	})
}
