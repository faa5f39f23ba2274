package auth

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
)

// SignedHeaders in the canonical request is the lower-cased names joined
// with ';' whatever spacing or case the client used in the Authorization
// header; the raw value is reused only when it is exactly that.
func TestJoinSignedHeaders(t *testing.T) {
	for _, c := range []struct{ raw, want string }{
		{"host;x-amz-date", "host;x-amz-date"},
		{"Host;X-Amz-Date", "host;x-amz-date"},
		{"host; x-amz-date", "host;x-amz-date"},
		{"host;;x-amz-date", "host;x-amz-date"},
		{"host;x-amz-date;", "host;x-amz-date"},
		{"host", "host"},
	} {
		if got := joinSignedHeaders(c.raw, parseSignedHeaders(c.raw)); got != c.want {
			t.Errorf("joinSignedHeaders(%q) = %q, want %q", c.raw, got, c.want)
		}
	}
}

// The credential scope signed is date/region/service/aws4_request, the
// credential after its access key id.
func TestParseCredentialScope(t *testing.T) {
	sc, ok := parseCredential("AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request")
	if !ok {
		t.Fatal("valid credential refused")
	}
	want := scope{accessKey: "AKIDEXAMPLE", date: "20150830", region: "us-east-1", service: "iam"}
	if got := sc.String(); got != want.String() || got != "20150830/us-east-1/iam/aws4_request" {
		t.Errorf("scope = %q, want %q", got, want.String())
	}
	for _, bad := range []string{
		"AKIDEXAMPLE/20150830/us-east-1/iam",
		"AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request/extra",
		"/20150830/us-east-1/iam/aws4_request",
		"AKIDEXAMPLE/2015083/us-east-1/iam/aws4_request",
	} {
		if _, ok := parseCredential(bad); ok {
			t.Errorf("parseCredential(%q) accepted", bad)
		}
	}
}

// The canonical URI candidates: the normalized, encoded path first, the
// path as sent second when it differs; S3's path never normalized.
func TestAppendCanonicalPaths(t *testing.T) {
	for _, c := range []struct {
		raw  string
		s3   bool
		want []string
	}{
		{"/", false, []string{"/"}},
		{"/a/./b//c", false, []string{"/a/b/c", "/a/./b//c"}},
		{"/a%20b", false, []string{"/a%2520b"}},
		{"/bucket/a%20b", true, []string{"/bucket/a%20b"}},
		{"/bucket/a+b", true, []string{"/bucket/a%2Bb", "/bucket/a+b"}},
	} {
		var buf [2]string
		got := appendCanonicalPaths(buf[:0], c.raw, c.s3)
		if strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("appendCanonicalPaths(%q, %v) = %q, want %q", c.raw, c.s3, got, c.want)
		}
	}
}

// TakeBytes hands over the unread rest of a body held in memory, as
// reading it to its end would, and nothing when it is longer than asked.
func TestBufferedBodyTakeBytes(t *testing.T) {
	v := &Verifier{}
	r := httptest.NewRequest("POST", "/", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	b, err := v.bufferBody(r, DialectQuery)
	if err != nil {
		t.Fatal(err)
	}
	head := make([]byte, 7)
	if _, err := io.ReadFull(b, head); err != nil || string(head) != "Action=" {
		t.Fatalf("read %q, %v", head, err)
	}
	if _, ok := b.TakeBytes(10); ok {
		t.Fatal("TakeBytes(10) took a longer rest")
	}
	rest, ok := b.TakeBytes(1 << 10)
	if !ok || string(rest) != "GetCallerIdentity&Version=2011-06-15" {
		t.Fatalf("TakeBytes = %q, %v", rest, ok)
	}
	if n, err := b.Read(make([]byte, 8)); n != 0 || err != io.EOF {
		t.Fatalf("after TakeBytes, Read = %d, %v; want 0, EOF", n, err)
	}
}
