package netpos

import (
	"strings"
	"testing"
)

func TestCredentialScope(t *testing.T) {
	for _, c := range []struct{ auth, query, region, svc string }{
		{"AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=x", "", "us-east-1", "s3"},
		{"AWS4-HMAC-SHA256 Credential=AKID/20240101/ap-northeast-1/sts/aws4_request,SignedHeaders=host", "", "ap-northeast-1", "sts"},
		{"", "AKID/20240101/eu-west-1/sqs/aws4_request", "eu-west-1", "sqs"},
		{"AWS AKID:sig", "", "", ""},
		{"AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/s3", "", "", ""},
		{"AWS4-HMAC-SHA256 Credential=AKID/20240101//s3/aws4_request", "", "", ""},
		{"", "", "", ""},
	} {
		r, s := CredentialScope(c.auth, c.query)
		if r != c.region || s != c.svc {
			t.Errorf("CredentialScope(%q, %q) = %q, %q; want %q, %q", c.auth, c.query, r, s, c.region, c.svc)
		}
	}
}

func FuzzCredentialScope(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/s3/aws4_request, SignedHeaders=host", "")
	f.Add("", "AKID/20240101/eu-west-1/sqs/aws4_request")
	f.Add("AWS4-Credential=////", "a/b/c/d/aws4_request")
	f.Fuzz(func(t *testing.T, auth, query string) {
		r, s := CredentialScope(auth, query)
		if (r == "") != (s == "") {
			t.Fatalf("half a scope: %q %q", r, s)
		}
		if strings.Contains(r+s, "/") {
			t.Fatalf("scope part with a slash: %q %q", r, s)
		}
	})
}
