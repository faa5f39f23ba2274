package auth

import "testing"

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
