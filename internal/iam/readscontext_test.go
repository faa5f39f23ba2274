package iam

import "testing"

// TestReadsContext: the authorizer builds a request's condition keys
// only for policies that read them; a policy reads them through a
// Condition or a policy variable in a resource, and only then.
func TestReadsContext(t *testing.T) {
	cases := []struct {
		name, doc string
		want      bool
	}{
		{"actions and resources", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`, false},
		{"deny, NotResource", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":"s3:*","NotResource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}]}`, false},
		{"trust policy", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`, false},
		{"condition", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`, true},
		{"variable in resource", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:GetUser","Resource":"arn:aws:iam::*:user/${aws:username}"}]}`, true},
		{"variable in NotResource", `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:*","NotResource":"arn:aws:s3:::home/${aws:userid}/*"}]}`, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := MustParse(tc.doc)
			if got := p.ReadsContext(); got != tc.want {
				t.Fatalf("ReadsContext() = %v, want %v", got, tc.want)
			}
			if got := (Policies{Session: []*Policy{p}}).ReadsContext(); got != tc.want {
				t.Fatalf("Policies.ReadsContext() = %v, want %v", got, tc.want)
			}
		})
	}
	if (*Policy)(nil).ReadsContext() || (Policies{}).ReadsContext() {
		t.Fatal("no policy reads the context")
	}
	if !(&Policy{}).ReadsContext() {
		t.Fatal("a policy not made by Parse must count as reading the context")
	}
}
