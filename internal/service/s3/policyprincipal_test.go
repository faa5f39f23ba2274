package s3

import (
	"strings"
	"testing"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestPolicyPrincipals: PutBucketPolicy refuses a Principal or
// NotPrincipal S3 would not accept with MalformedPolicy "Invalid
// principal in policy".
func TestPolicyPrincipals(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "princ")
	doc := func(elem, principal string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","` + elem + `":` + principal +
			`,"Action":"s3:GetObject","Resource":"arn:aws:s3:::princ/*"}]}`
	}
	for _, c := range []struct {
		elem, principal string
		ok              bool
	}{
		{"Principal", `"*"`, true},
		{"Principal", `{"AWS":"*"}`, true},
		{"Principal", `{"AWS":["111122223333","arn:aws:iam::111122223333:user/alice"]}`, true},
		{"NotPrincipal", `{"AWS":"arn:aws:iam::111122223333:root"}`, true},
		{"NotPrincipal", `{"AWS":"arn:aws:sts::111122223333:assumed-role/r/s"}`, true},
		{"Principal", `{"Service":"logging.s3.amazonaws.com"}`, true},
		{"Principal", `{"CanonicalUser":"` + canonicalID("111122223333") + `"}`, true},
		{"Principal", `{"AWS":"arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E2QWRUHAPOMQZL"}`, true},
		{"Principal", `{"CanonicalUser":"` + strings.Repeat("ab", 48) + `"}`, true}, // an OAI's S3CanonicalUserId
		{"Principal", `{"AWS":"arn:aws:iam::cloudfront:user/someone"}`, false},
		{"NotPrincipal", `{"AWS":"not-a-principal"}`, false},
		{"NotPrincipal", `"someone"`, false},
		{"NotPrincipal", `{"AWS":"arn:aws:iam::12345:user/x"}`, false},
		{"NotPrincipal", `{"AWS":[]}`, false},
		{"Principal", `{"Nobody":"x"}`, false},
		{"Principal", `{"CanonicalUser":"abc"}`, false},
		{"Principal", `{}`, false},
		{"Principal", `42`, false},
	} {
		_, err := f.s.PutBucketPolicy(f.ctx(), &s3api.PutBucketPolicyInput{Bucket: ptr.To("princ"), Policy: ptr.To(doc(c.elem, c.principal))})
		if c.ok && err != nil {
			t.Errorf("%s %s: %v", c.elem, c.principal, err)
		}
		if !c.ok && (codeOf(err) != "MalformedPolicy" || !strings.Contains(err.Error(), "Invalid principal in policy")) {
			t.Errorf("%s %s: %v", c.elem, c.principal, err)
		}
	}
}

// FuzzParsePolicy: any document is accepted or refused with
// MalformedPolicy, never a panic.
func FuzzParsePolicy(f *testing.F) {
	f.Add(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotPrincipal":{"AWS":["1"]},"Action":"s3:*","Resource":"*"}]}`)
	f.Add(`{"Version":"2012-10-17","Statement":{"Effect":"Deny","Principal":{"CanonicalUser":""},"Action":"*","Resource":"arn:aws:s3:::b"}}`)
	f.Fuzz(func(t *testing.T, doc string) {
		if _, err := parsePolicy("b", doc); err != nil && codeOf(err) != "MalformedPolicy" {
			t.Fatalf("%q: %v", doc, err)
		}
	})
}
