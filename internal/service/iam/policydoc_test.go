package iam

import (
	"net/url"
	"strings"
	"testing"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestValidateDocument(t *testing.T) {
	const (
		syntax  = "Syntax errors in policy."
		version = "Policy document must be version 2012-10-17 or greater."
	)
	cases := []struct {
		name string
		doc  string
		kind docKind
		msg  string // "" means valid
	}{
		{"valid managed", allowS3, docManaged, ""},
		{"valid statement object", `{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotAction":["iam:*"],"NotResource":"arn:aws:iam::*:role/x"}}`, docManaged, ""},
		{"valid condition", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":true},"ForAnyValue:StringLikeIfExists":{"aws:TagKeys":["a*"]},"NumericLessThan":{"s3:max-keys":10}}}]}`, docInline, ""},
		{"not json", "This is not a json document", docManaged, syntax},
		{"trailing garbage", allowS3 + "}", docManaged, syntax},
		{"array", `[1]`, docManaged, syntax},
		{"missing version", `{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, docManaged, version},
		{"old version", `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, docInline, version},
		{"unknown version", `{"Version":"2013-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, docManaged, syntax},
		{"missing statement", `{"Version":"2012-10-17"}`, docManaged, syntax},
		{"empty statement list", `{"Version":"2012-10-17","Statement":[]}`, docManaged, syntax},
		{"unknown top element", `{"Version":"2012-10-17","Foo":1,"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, docManaged, syntax},
		{"missing effect", `{"Version":"2012-10-17","Statement":[{"Action":"s3:*","Resource":"*"}]}`, docManaged, syntax},
		{"bad effect", `{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"s3:*","Resource":"*"}]}`, docManaged, syntax},
		{"lower-case effect", `{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":"s3:*","Resource":"*"}]}`, docManaged, "The policy failed legacy parsing"},
		{"action and notaction", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","NotAction":"s3:x","Resource":"*"}]}`, docManaged, syntax},
		{"numeric action", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":1,"Resource":"*"}]}`, docManaged, syntax},
		{"bad condition", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":"x"}}]}`, docManaged, syntax},
		{"unknown operator", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Foo":{"a":"b"}}}]}`, docManaged, syntax},
		{"duplicate sid", `{"Version":"2012-10-17","Statement":[{"Sid":"a","Effect":"Allow","Action":"s3:*","Resource":"*"},{"Sid":"a","Effect":"Deny","Action":"s3:*","Resource":"*"}]}`, docManaged, "Statement IDs (SID) in a single policy must be unique."},
		{"no action", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}`, docManaged, "Policy statement must contain actions."},
		{"empty action list", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":[],"Resource":"*"}]}`, docManaged, "Policy statement must contain actions."},
		{"resource not arn", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}]}`, docManaged, `Resource bucket must be in ARN format or "*".`},
		{"action without vendor", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"GetObject","Resource":"*"}]}`, docManaged, "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."},
		{"action two colons", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:a:b","Resource":"*"}]}`, docManaged, "Actions/Condition can contain only one colon."},
		{"bad vendor", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s 3:Get","Resource":"*"}]}`, docManaged, "Vendor s 3 is not valid"},
		{"managed with principal", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`, docManaged, "Policy document should not specify a principal."},
		{"inline with principal", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}`, docInline, "Has prohibited field Principal"},
		{"no resource", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}`, docManaged, "Policy statement must contain resources."},
		{"nested 10,000 deep", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"a:b":` +
			strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}}}]}`, docManaged, syntax},
		{"valid trust", trustDoc, docTrust, ""},
		{"trust 2008", `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ecs.amazonaws.com"]},"Action":"sts:AssumeRole"}]}`, docTrust, ""},
		{"trust wrong action", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject"}]}`, docTrust,
			"Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity"},
		{"trust bad principal", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"someone","Action":"sts:AssumeRole"}]}`, docTrust, syntax},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := validateDocument(tc.doc, tc.kind)
			if tc.msg == "" {
				if err != nil {
					t.Fatalf("valid document rejected: %v", err)
				}
				return
			}
			wantErr(t, err, "MalformedPolicyDocument", 400, tc.msg)
		})
	}
}

// TestDocumentEncoding pins the wire form of documents: every byte but the
// RFC 3986 unreserved characters is percent-encoded, so that urllib's
// unquote (botocore) and url.PathUnescape (Go callers) both restore the
// exact text.
func TestDocumentEncoding(t *testing.T) {
	doc := "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\", \"Action\": \"s3:Get*\", \"Resource\": \"arn:aws:s3:::b/a+b ü~\"}]\n}"
	enc := encodeDocument(doc)
	want := "%7B%0A%20%20%22Version%22%3A%20%222012-10-17%22%2C%0A%20%20%22Statement%22%3A%20%5B%7B%22Effect%22%3A%20%22Allow%22%2C%20%22Action%22%3A%20%22s3%3AGet%2A%22%2C%20%22Resource%22%3A%20%22arn%3Aaws%3As3%3A%3A%3Ab%2Fa%2Bb%20%C3%BC~%22%7D%5D%0A%7D"
	if enc != want {
		t.Fatalf("encodeDocument =\n%s\nwant\n%s", enc, want)
	}
	if back, err := url.PathUnescape(enc); err != nil || back != doc {
		t.Fatalf("PathUnescape = %q, %v", back, err)
	}
	// Inputs: raw, percent-encoded and form-encoded all come back as doc.
	for name, in := range map[string]string{
		"raw": doc, "percent": enc, "form": url.QueryEscape(doc), "path": url.PathEscape(doc),
	} {
		if got := decodeDocument(in); got != doc {
			t.Errorf("%s: decodeDocument = %q", name, got)
		}
	}
	// A raw document with a literal % is not decoded.
	raw := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/100%"}]}`
	if got := decodeDocument(raw); got != raw {
		t.Errorf("raw document with %% changed: %q", got)
	}
	// Something that decodes to no JSON is left for validation to reject.
	if got := decodeDocument("%zz"); got != "%zz" {
		t.Errorf("decodeDocument(%%zz) = %q", got)
	}
}

func TestMalformedDocumentsThroughHandlers(t *testing.T) {
	f := newFixture(t)
	f.createRole("r")
	bad := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}`
	wantErr(t, second(f.CreatePolicy(f.ctx, &iamapi.CreatePolicyInput{PolicyName: ptr.To("p"), PolicyDocument: ptr.To("not json")})),
		"MalformedPolicyDocument", 400, "Syntax errors in policy.")
	wantErr(t, second(f.PutRolePolicy(f.ctx, &iamapi.PutRolePolicyInput{RoleName: ptr.To("r"), PolicyName: ptr.To("p"), PolicyDocument: ptr.To(url.QueryEscape(bad))})),
		"MalformedPolicyDocument", 400, "Policy statement must contain resources.")
	wantErr(t, second(f.CreateRole(f.ctx, &iamapi.CreateRoleInput{RoleName: ptr.To("x"), AssumeRolePolicyDocument: ptr.To(`{"Statement":[]}`)})),
		"MalformedPolicyDocument", 400, "Syntax errors in policy.")
}
