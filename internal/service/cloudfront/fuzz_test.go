package cloudfront

import (
	"crypto/rsa"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/iam"
)

// FuzzParsePolicy: any bytes either parse into a policy with an expiry
// or are refused; never a panic.
func FuzzParsePolicy(f *testing.F) {
	for _, s := range []string{
		`{"Statement":[{"Resource":"https://d1.cloudfront.localhost/*","Condition":{"DateLessThan":{"AWS:EpochTime":1700000000}}}]}`,
		`{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1},"DateGreaterThan":{"AWS:EpochTime":0},"IpAddress":{"AWS:SourceIp":"10.0.0.0/8"}}}]}`,
		`{"Statement":[]}`, `{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":"1"}}}]}`, `null`, ``,
		`{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":1e99}}}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := parsePolicy(b)
		if err == nil && p.DateLessThan.IsZero() {
			t.Fatalf("accepted a policy without DateLessThan: %s", b)
		}
	})
}

// FuzzVerifySigned: any query string and cookies on a restricted path
// are decided (a denial, or acceptance only with the real key) without
// a panic.
func FuzzVerifySigned(f *testing.F) {
	k, pub := testKey(f)
	pk, err := parsePublicKey(pub)
	if err != nil {
		f.Fatal(err)
	}
	f.Add("Expires=1&Signature=abc&Key-Pair-Id=K1", "")
	f.Add("Policy=eyJ9&Signature=~~__&Key-Pair-Id=K1", "CloudFront-Key-Pair-Id=K1")
	f.Add("", "CloudFront-Policy=-_~; CloudFront-Signature=x; CloudFront-Key-Pair-Id=K1")
	f.Add("Expires=99999999999&Signature="+cfSign(f, k, cannedPolicy("https://d1.cloudfront.localhost/a", 99999999999))+"&Key-Pair-Id=K1", "")
	f.Fuzz(func(t *testing.T, query, cookie string) {
		r := httptest.NewRequest("GET", "/a", nil)
		r.URL.RawQuery = query
		r.Host = "d1.cloudfront.localhost"
		if cookie != "" {
			r.Header.Set("Cookie", cookie)
		}
		_ = verifySigned(r, time.Unix(1700000000, 0), nil, func(id string) *rsa.PublicKey {
			if id == "K1" {
				return pk
			}
			return nil
		})
	})
}

// FuzzWildcardMatch: the matcher ends on any input (no backtracking
// blow-up) and a pattern matches itself when it has no wildcard.
func FuzzWildcardMatch(f *testing.F) {
	f.Add("/images/*.jpg", "/images/a.jpg")
	f.Add("*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		_ = iam.Glob(pattern, s)
		if !containsWild(s) && !iam.Glob(s, s) {
			t.Fatalf("%q does not match itself", s)
		}
	})
}

func containsWild(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '*' || s[i] == '?' {
			return true
		}
	}
	return false
}
