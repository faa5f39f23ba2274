package iam

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/awserr"
	policy "github.com/niwa-cloud/niwa/internal/iam"
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
		{"sid with dash", `{"Version":"2012-10-17","Statement":[{"Sid":"a-b","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`, docManaged,
			"Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"},
		{"numeric condition not a number", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"NumericLessThan":{"s3:max-keys":"ten"}}}]}`, docManaged, "The policy failed legacy parsing"},
		{"date condition not a date", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"yesterday"}}}]}`, docManaged, "The policy failed legacy parsing"},
		{"date condition forms", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":["2019-07-16T12:00:00Z","2020-01-01","1700000000"]}}}]}`, docManaged, ""},
		{"arn without service", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws::us-east-1:1:x"}]}`, docManaged, "The policy failed legacy parsing"},
		{"bad partition", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:foo:s3:::b"}]}`, docManaged, `Partition "foo" is not valid for resource "arn:foo:s3:::b".`},
		{"bad partition short", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:foo"}]}`, docManaged, `Partition "foo" is not valid for resource "arn:foo:*:*:*:*".`},
		{"vendor wildcard", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s*:::b"}]}`, docManaged, "Resource vendor must be fully qualified and cannot contain regexes."},
		{"iam region", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam:us-east-1:123456789012:role/x"}]}`, docManaged, "IAM resource arn:aws:iam:us-east-1:123456789012:role/x cannot contain region information."},
		{"s3 region", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:us-east-1::b"}]}`, docManaged, "Resource arn:aws:s3:us-east-1::b can not contain region information."},
		{"iam resource type", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::123456789012:bucket/x"}]}`, docManaged,
			`IAM resource path must either be "*" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.`},
		{"iam resource wildcards", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*","Resource":["arn:aws:iam::*:role/*","arn:aws:iam::123456789012:*","arn:aws:iam::123456789012:mfa/${aws:username}"]}]}`, docManaged, ""},
		// Examples from the IAM User Guide ("Example IAM identity-based
		// policies" and "How to use trust policies"): all valid.
		{"aws example: manage own MFA", `{"Version":"2012-10-17","Statement":[{"Sid":"AllowViewAccountInfo","Effect":"Allow","Action":"iam:ListVirtualMFADevices","Resource":"*"},{"Sid":"AllowManageOwnVirtualMFADevice","Effect":"Allow","Action":["iam:CreateVirtualMFADevice"],"Resource":"arn:aws:iam::*:mfa/*"},{"Sid":"AllowManageOwnUserMFA","Effect":"Allow","Action":["iam:DeactivateMFADevice","iam:EnableMFADevice","iam:GetUser","iam:GetMFADevice","iam:ListMFADevices","iam:ResyncMFADevice"],"Resource":"arn:aws:iam::*:user/${aws:username}"},{"Sid":"DenyAllExceptListedIfNoMFA","Effect":"Deny","NotAction":["iam:CreateVirtualMFADevice","iam:EnableMFADevice","iam:GetUser","iam:GetMFADevice","iam:ListMFADevices","iam:ListVirtualMFADevices","iam:ResyncMFADevice","sts:GetSessionToken"],"Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}`, docManaged, ""},
		{"aws example: s3 home directory", `{"Version":"2012-10-17","Statement":[{"Sid":"AllowListingOfUserFolder","Action":["s3:ListBucket"],"Effect":"Allow","Resource":["arn:aws:s3:::bucket-name"],"Condition":{"StringLike":{"s3:prefix":["home/${aws:username}/*","home/${aws:username}"]}}},{"Sid":"AllowAllS3ActionsInUserFolder","Action":["s3:*"],"Effect":"Allow","Resource":["arn:aws:s3:::bucket-name/home/${aws:username}/*"]}]}`, docInline, ""},
		{"aws example: deny outside regions", `{"Version":"2012-10-17","Statement":[{"Sid":"DenyAllOutsideRequestedRegions","Effect":"Deny","NotAction":["cloudfront:*","iam:*","route53:*","support:*"],"Resource":"*","Condition":{"StringNotEquals":{"aws:RequestedRegion":["eu-central-1","eu-west-1","eu-west-2","eu-west-3"]}}}]}`, docManaged, ""},
		{"aws example: ec2 by owner tag", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ec2:StartInstances","ec2:StopInstances"],"Resource":"arn:aws:ec2:*:*:instance/*","Condition":{"StringEquals":{"aws:ResourceTag/Owner":"${aws:username}"}}},{"Effect":"Allow","Action":"ec2:DescribeInstances","Resource":"*"}]}`, docManaged, ""},
		{"aws example: pass role to a service", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:PassRole","Resource":"arn:aws:iam::account-id:role/EC2-roles-for-XYZ-*","Condition":{"StringEquals":{"iam:PassedToService":"ec2.amazonaws.com"},"StringLike":{"iam:AssociatedResourceARN":["arn:aws:ec2:us-east-1:111122223333:instance/*"]}}}]}`, docManaged, ""},
		{"aws example: time window", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:*","Resource":"arn:aws:dynamodb:us-east-2:123456789012:table/Books","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2020-04-01T00:00:00Z"},"DateLessThan":{"aws:CurrentTime":"2020-06-30T23:59:59Z"}}}]}`, docManaged, ""},
		{"aws example: trust with external id", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"Unique ID Assigned by Example Corp"}}}}`, docTrust, ""},
		{"aws example: web identity trust", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"accounts.google.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"accounts.google.com:aud":"66677788899900pro0"}}}]}`, docTrust, ""},
		{"aws example: saml trust", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/ExampleOrgSSOProvider"},"Action":"sts:AssumeRoleWithSAML","Condition":{"StringEquals":{"SAML:aud":"https://signin.aws.amazon.com/saml"}}}]}`, docTrust, ""},
		{"valid trust", trustDoc, docTrust, ""},
		{"trust principal forms", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:root","arn:aws:iam::123456789012:role/a/b","arn:aws:sts::123456789012:assumed-role/r/s"],"Service":["lambda.amazonaws.com","ec2.amazonaws.com.cn"],"Federated":"arn:aws:iam::123456789012:oidc-provider/example.com"},"Action":["sts:AssumeRole","sts:AssumeRoleWithWebIdentity"]}]}`, docTrust, ""},
		{"trust principal not an arn", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"bob"},"Action":"sts:AssumeRole"}]}`, docTrust, `Invalid principal in policy: "AWS":"bob"`},
		{"trust principal s3 arn", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:s3:::b"},"Action":"sts:AssumeRole"}]}`, docTrust, `Invalid principal in policy: "AWS":"arn:aws:s3:::b"`},
		{"trust service not a service", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda"},"Action":"sts:AssumeRole"}]}`, docTrust, `Invalid principal in policy: "SERVICE":"lambda"`},
		{"trust unknown principal type", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"User":"x"},"Action":"sts:AssumeRole"}]}`, docTrust, `Invalid principal in policy: "USER":"x"`},
		{"trust with resource", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Resource":"*"}]}`, docTrust, "Has prohibited field Resource."},
		{"trust no principal", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`, docTrust,
			"Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!"},
		{"trust 2008", `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ecs.amazonaws.com"]},"Action":"sts:AssumeRole"}]}`, docTrust, ""},
		{"trust without version", `{"Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`, docTrust, ""},
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

// FuzzValidateDocument feeds arbitrary documents to the validator: it must
// answer nil or MalformedPolicyDocument, never panic, and every identity
// document it accepts must be one the policy engine can evaluate.
func FuzzValidateDocument(f *testing.F) {
	for _, seed := range []string{allowS3, trustDoc, "{}", "[]", `{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b","Condition":{"DateLessThan":{"aws:CurrentTime":"2020-01-01"}}}}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:root"]},"Action":"sts:AssumeRole"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Sid":"x","Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:iam::*:role/*"}]}`} {
		f.Add(seed)
	}
	f.Add(`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/${x","Condition":{"Null":{"aws:TokenIssueTime":"true"}}}}`)
	f.Fuzz(func(t *testing.T, doc string) {
		// GetContextKeysFor*Policy reads the same documents.
		if _, err := contextKeys([]string{doc}); err != nil && !strings.Contains(err.Error(), "Syntax errors in policy.") {
			t.Fatalf("contextKeys(%q) = %v", doc, err)
		}
		for _, kind := range []docKind{docManaged, docInline, docTrust} {
			err := validateDocument(doc, kind)
			if err == nil {
				if kind != docTrust {
					if _, perr := policy.Parse(doc); perr != nil {
						t.Fatalf("validator accepted %q but the engine refuses it: %v", doc, perr)
					}
				}
				continue
			}
			var e *awserr.Error
			if !errors.As(err, &e) || e.Code.Code != "MalformedPolicyDocument" {
				t.Fatalf("validateDocument(%q) = %v", doc, err)
			}
		}
	})
}
