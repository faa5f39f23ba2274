package iam

import (
	"strings"
	"testing"
)

const acct = "111122223333"

var (
	alice   = Principal{ARN: "arn:aws:iam::" + acct + ":user/alice", Account: acct, UserID: "AIDAALICE"}
	root    = Principal{ARN: "arn:aws:iam::" + acct + ":root", Account: acct, UserID: acct}
	anon    = Principal{Anonymous: true}
	outside = Principal{ARN: "arn:aws:iam::999988887777:user/eve", Account: "999988887777"}
	session = Principal{ARN: "arn:aws:sts::" + acct + ":assumed-role/app/s1", Account: acct,
		RoleARN: "arn:aws:iam::" + acct + ":role/app"}
)

func pol(t testing.TB, doc string) *Policy {
	t.Helper()
	p, err := Parse(doc)
	if err != nil {
		t.Fatalf("parse %s: %v", doc, err)
	}
	return p
}

func TestEvaluate(t *testing.T) {
	listOne := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b1"}]}`
	putAll := `{"Version":"2012-10-17","Statement":{"Sid":"Put","Effect":"Allow","Action":"S3:Put*","Resource":"arn:aws:s3:::b1/*"}}`
	denyPut := `{"Version":"2012-10-17","Statement":[{"Sid":"NoPut","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b1/*"}]}`
	grantEve := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:user/eve"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::b1/*"}]}`
	public := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b1/*"}]}`
	home := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::b1","Condition":{"StringLike":{"s3:prefix":["home/${aws:username}/*"]}}}]}`
	for _, c := range []struct {
		name      string
		p         Principal
		action    string
		resource  string
		ctx       Context
		pols      func(t *testing.T) Policies
		want      Reason
		layer     string
		msgSuffix string
	}{
		{"identity allow", alice, "s3:ListBucket", "arn:aws:s3:::b1", nil,
			func(t *testing.T) Policies { return Policies{Identity: []*Policy{pol(t, listOne)}} }, Allowed, "", ""},
		{"no identity allow", alice, "s3:PutObject", "arn:aws:s3:::b1/k", nil,
			func(t *testing.T) Policies { return Policies{Identity: []*Policy{pol(t, listOne)}} }, ImplicitDeny, LayerIdentity,
			"because no identity-based policy allows the s3:PutObject action"},
		{"case-insensitive action prefix", alice, "s3:PutObject", "arn:aws:s3:::b1/k", nil,
			func(t *testing.T) Policies { return Policies{Identity: []*Policy{pol(t, putAll)}} }, Allowed, "", ""},
		{"bucket policy deny beats identity allow", alice, "s3:PutObject", "arn:aws:s3:::b1/k", nil,
			func(t *testing.T) Policies {
				return Policies{Identity: []*Policy{pol(t, putAll)}, Resource: pol(t, denyPut), ResourceAccount: acct}
			}, ExplicitDeny, LayerResource, "with an explicit deny in a resource-based policy"},
		{"root is not limited by identity policies", root, "s3:PutObject", "arn:aws:s3:::b1/k", nil,
			func(t *testing.T) Policies { return Policies{} }, Allowed, "", ""},
		{"root is denied by a resource policy naming everyone", root, "s3:PutObject", "arn:aws:s3:::b1/k", nil,
			func(t *testing.T) Policies { return Policies{Resource: pol(t, denyPut), ResourceAccount: acct} }, ExplicitDeny, LayerResource, ""},
		{"cross-account grant needs both sides", outside, "s3:GetObject", "arn:aws:s3:::b1/k", nil,
			func(t *testing.T) Policies {
				return Policies{Identity: []*Policy{pol(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)},
					Resource: pol(t, grantEve), ResourceAccount: acct}
			}, Allowed, "", ""},
		{"cross-account without the bucket policy", outside, "s3:GetObject", "arn:aws:s3:::b1/k", nil,
			func(t *testing.T) Policies {
				return Policies{Identity: []*Policy{pol(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`)},
					ResourceAccount: acct}
			}, ImplicitDeny, LayerResource, ""},
		{"anonymous with a public policy", anon, "s3:GetObject", "arn:aws:s3:::b1/k", nil,
			func(t *testing.T) Policies { return Policies{Resource: pol(t, public), ResourceAccount: acct} }, Allowed, "", ""},
		{"anonymous without", anon, "s3:GetObject", "arn:aws:s3:::b1/k", nil,
			func(t *testing.T) Policies { return Policies{ResourceAccount: acct} }, ImplicitDeny, LayerResource, ""},
		{"policy variable matches", alice, "s3:ListBucket", "arn:aws:s3:::b1", Context{"aws:username": {"alice"}, "s3:prefix": {"home/alice/docs"}},
			func(t *testing.T) Policies { return Policies{Identity: []*Policy{pol(t, home)}} }, Allowed, "", ""},
		{"policy variable does not match", alice, "s3:ListBucket", "arn:aws:s3:::b1", Context{"aws:username": {"alice"}, "s3:prefix": {"home/bob/"}},
			func(t *testing.T) Policies { return Policies{Identity: []*Policy{pol(t, home)}} }, ImplicitDeny, LayerIdentity, ""},
		{"boundary limits", alice, "s3:PutObject", "arn:aws:s3:::b1/k", nil,
			func(t *testing.T) Policies {
				return Policies{Identity: []*Policy{pol(t, putAll)}, Boundary: pol(t, listOne)}
			}, ImplicitDeny, LayerBoundary, "because no permissions boundary allows the s3:PutObject action"},
		{"session policy limits", session, "s3:PutObject", "arn:aws:s3:::b1/k", nil,
			func(t *testing.T) Policies {
				return Policies{Identity: []*Policy{pol(t, putAll)}, Session: []*Policy{pol(t, listOne)}}
			}, ImplicitDeny, LayerSession, ""},
		{"trust naming the user allows without identity policy", alice, "sts:AssumeRole", "arn:aws:iam::" + acct + ":role/r", nil,
			func(t *testing.T) Policies {
				return Policies{ResourceRequired: true, ResourceAccount: acct, Resource: pol(t,
					`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+alice.ARN+`"},"Action":"sts:AssumeRole"}]}`)}
			}, Allowed, "", ""},
		{"trust naming the account needs an identity allow", alice, "sts:AssumeRole", "arn:aws:iam::" + acct + ":role/r", nil,
			func(t *testing.T) Policies {
				return Policies{ResourceRequired: true, ResourceAccount: acct, Resource: pol(t,
					`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"`+acct+`"},"Action":"sts:AssumeRole"}]}`)}
			}, ImplicitDeny, LayerIdentity, ""},
		{"trust not naming the caller", alice, "sts:AssumeRole", "arn:aws:iam::" + acct + ":role/r", nil,
			func(t *testing.T) Policies {
				return Policies{ResourceRequired: true, ResourceAccount: acct,
					Identity: []*Policy{pol(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)},
					Resource: pol(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}
			}, ImplicitDeny, LayerResource, ""},
		{"NotAction", alice, "iam:CreateUser", "*", nil,
			func(t *testing.T) Policies {
				return Policies{Identity: []*Policy{pol(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}`)}}
			}, ImplicitDeny, LayerIdentity, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := c.ctx
			if ctx == nil {
				ctx = Context{}
			}
			req := Request{Principal: c.p, Action: c.action, Resource: c.resource, Context: ctx}
			d := Evaluate(req, c.pols(t))
			if d.Reason != c.want || (c.layer != "" && d.Layer != c.layer) {
				t.Fatalf("decision %v layer %q (%s), want %v %q", d.Reason, d.Layer, d.Deciding(), c.want, c.layer)
			}
			if c.msgSuffix != "" && !strings.HasSuffix(d.Message(req), c.msgSuffix) {
				t.Fatalf("message %q", d.Message(req))
			}
		})
	}
}

func TestConditions(t *testing.T) {
	for _, c := range []struct {
		cond string
		ctx  Context
		want bool
	}{
		{`{"StringEquals":{"aws:username":"alice"}}`, Context{"aws:username": {"alice"}}, true},
		{`{"StringNotEquals":{"aws:username":"alice"}}`, Context{}, true},
		{`{"StringEquals":{"aws:username":"alice"}}`, Context{}, false},
		{`{"StringEqualsIfExists":{"aws:username":"alice"}}`, Context{}, true},
		{`{"StringEqualsIgnoreCase":{"aws:username":"ALICE"}}`, Context{"aws:username": {"alice"}}, true},
		{`{"NumericLessThan":{"s3:max-keys":"10"}}`, Context{"s3:max-keys": {"5"}}, true},
		{`{"NumericLessThan":{"s3:max-keys":"10"}}`, Context{"s3:max-keys": {"50"}}, false},
		{`{"DateGreaterThan":{"aws:CurrentTime":"2020-01-01T00:00:00Z"}}`, Context{"aws:currenttime": {"2026-01-01T00:00:00Z"}}, true},
		{`{"Bool":{"aws:SecureTransport":false}}`, Context{"aws:securetransport": {"false"}}, true},
		{`{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}`, Context{"aws:sourceip": {"10.1.2.3"}}, true},
		{`{"NotIpAddress":{"aws:SourceIp":["10.0.0.0/8","192.168.0.1"]}}`, Context{"aws:sourceip": {"192.168.0.1"}}, false},
		{`{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::b*"}}`, Context{"aws:sourcearn": {"arn:aws:s3:::bucket"}}, true},
		{`{"ArnNotLike":{"aws:SourceArn":"arn:aws:sns:*:*:t"}}`, Context{"aws:sourcearn": {"arn:aws:sns:us-east-1:1:t"}}, false},
		{`{"Null":{"aws:TokenIssueTime":"true"}}`, Context{}, true},
		{`{"Null":{"aws:TokenIssueTime":"false"}}`, Context{}, false},
		{`{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}`, Context{"aws:tagkeys": {"a"}}, true},
		{`{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]}}`, Context{"aws:tagkeys": {"a", "c"}}, false},
		{`{"ForAnyValue:StringEquals":{"aws:TagKeys":["a"]}}`, Context{"aws:tagkeys": {"c", "a"}}, true},
		{`{"ForAnyValue:StringEquals":{"aws:TagKeys":["a"]}}`, Context{}, false},
		{`{"BinaryEquals":{"k:bin":"QUJD"}}`, Context{"k:bin": {"QUJD"}}, true},
		{`{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`, Context{"s3:prefix": {"home/bob/x"}, "aws:username": {"bob"}}, true},
	} {
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":` + c.cond + `}]}`
		p := pol(t, doc)
		d := Evaluate(Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: c.ctx}, Policies{Identity: []*Policy{p}})
		if d.Allowed() != c.want {
			t.Errorf("%s with %v: allowed=%v, want %v", c.cond, c.ctx, d.Allowed(), c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, doc := range []string{
		``, `[]`, `{"Statement":"x"}`, `{"Version":"2012-10-17","Statement":[{"Action":"s3:*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"s3:*"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"nocolon"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Condition":{"StringEqualz":{"a:b":"c"}}}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","NotAction":"s3:x"}]}`,
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Principal":"x"}]}`,
	} {
		if _, err := Parse(doc); err == nil || !IsParseError(err) {
			t.Errorf("Parse(%q) = %v, want a parse error", doc, err)
		}
	}
}

func TestAuthorizationMessageRoundTrip(t *testing.T) {
	req := Request{Principal: alice, Action: "ec2:RunInstances", Resource: "*", Context: Context{"aws:sourceip": {"127.0.0.1"}}}
	enc := EncodeAuthorizationMessage(req, Decision{Reason: ImplicitDeny})
	dec, err := DecodeAuthorizationMessage(enc)
	if err != nil || !strings.Contains(dec, `"action":"ec2:RunInstances"`) || !strings.Contains(dec, `"allowed":false`) {
		t.Fatalf("%v %s", err, dec)
	}
	if _, err := DecodeAuthorizationMessage("garbage"); err == nil {
		t.Fatal("decoded garbage")
	}
}

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		p, s string
		want bool
	}{
		{"*", "", true}, {"a*c", "abbbc", true}, {"a?c", "abc", true}, {"a?c", "ac", false},
		{"arn:aws:s3:::b/*", "arn:aws:s3:::b/x/y", true}, {"arn:aws:s3:::b", "arn:aws:s3:::bb", false},
		{"*a*b*", "xxaxxbxx", true}, {"*a*b", "xxaxxbxx", false},
	} {
		if Glob(c.p, c.s) != c.want {
			t.Errorf("Glob(%q, %q) != %v", c.p, c.s, c.want)
		}
	}
}

// FuzzParse: no document makes the parser or the evaluation panic.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}`,
		`{"Version":"2012-10-17","Statement":{"Effect":"Deny","NotAction":["iam:*"],"NotResource":"arn:*","Principal":{"AWS":["*"]},"Condition":{"ForAnyValue:StringLikeIfExists":{"aws:TagKeys":["a*"]}}}}`,
		`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"${aws:username}","Condition":{"Null":{"x:y":true},"NumericLessThan":{"a:b":5}}}]}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := Parse(doc)
		if err != nil {
			return
		}
		Evaluate(Request{Principal: alice, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k",
			Context: Context{"aws:username": {"alice"}, "aws:tagkeys": {"a", "b"}}},
			Policies{Identity: []*Policy{p}, Resource: p, Boundary: p, Session: []*Policy{p}})
	})
}

// BenchmarkEvaluate is the per-request cost of authorization for a user
// with a few policies and a bucket policy.
func BenchmarkEvaluate(b *testing.B) {
	ids := []*Policy{
		pol(b, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Get*","s3:List*"],"Resource":"*"}]}`),
		pol(b, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"arn:aws:sqs:*:111122223333:*"},{"Effect":"Deny","Action":"s3:DeleteBucket","Resource":"*"}]}`),
		pol(b, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::b1/home/${aws:username}/*","Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}}]}`),
	}
	res := pol(b, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b1/*","Condition":{"Bool":{"aws:SecureTransport":"false"},"StringNotEquals":{"aws:PrincipalAccount":"111122223333"}}}]}`)
	req := Request{Principal: alice, Action: "s3:PutObject", Resource: "arn:aws:s3:::b1/home/alice/f.txt",
		Context: Context{"aws:username": {"alice"}, "aws:sourceip": {"127.0.0.1"}, "aws:securetransport": {"false"}, "aws:principalaccount": {acct}}}
	pols := Policies{Identity: ids, Resource: res, ResourceAccount: acct}
	b.ReportAllocs()
	for b.Loop() {
		if !Evaluate(req, pols).Allowed() {
			b.Fatal("denied")
		}
	}
}

// TestEndpointDecision: a VPC endpoint policy filters what the other
// layers allow, with AWS's wording in the denial.
func TestEndpointDecision(t *testing.T) {
	ep := pol(t, `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b1/*"},
	 {"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"*"}]}`)
	for _, c := range []struct {
		action, resource string
		want             Reason
		msg              string
	}{
		{"s3:GetObject", "arn:aws:s3:::b1/k", Allowed, ""},
		{"s3:GetObject", "arn:aws:s3:::b2/k", ImplicitDeny, "User: " + alice.ARN + " is not authorized to perform: s3:GetObject on resource: arn:aws:s3:::b2/k because no VPC endpoint policy allows the s3:GetObject action"},
		{"s3:DeleteObject", "arn:aws:s3:::b1/k", ExplicitDeny, "User: " + alice.ARN + " is not authorized to perform: s3:DeleteObject on resource: arn:aws:s3:::b1/k with an explicit deny in a VPC endpoint policy"},
	} {
		req := Request{Principal: alice, Action: c.action, Resource: c.resource, Context: Context{}}
		d := EndpointDecision(ep, req)
		if d.Reason != c.want || d.Message(req) != c.msg {
			t.Errorf("%s on %s: %v %q, want %v %q", c.action, c.resource, d.Reason, d.Message(req), c.want, c.msg)
		}
	}
}

// TestMessageActionCase: SQS denials name the action lower-cased, as AWS
// writes them ("... perform: sqs:sendmessage ... allows the sqs:sendmessage
// action"); other services keep the API casing.
func TestMessageActionCase(t *testing.T) {
	q := "arn:aws:sqs:us-east-1:" + acct + ":q"
	for _, c := range []struct {
		action, resource string
		dec              Decision
		msg              string
	}{
		{"sqs:SendMessage", q, Decision{Reason: ImplicitDeny, Layer: LayerIdentity},
			"User: " + alice.ARN + " is not authorized to perform: sqs:sendmessage on resource: " + q + " because no identity-based policy allows the sqs:sendmessage action"},
		{"sqs:ReceiveMessage", q, Decision{Reason: ExplicitDeny, Layer: LayerResource},
			"User: " + alice.ARN + " is not authorized to perform: sqs:receivemessage on resource: " + q + " with an explicit deny in a resource-based policy"},
		{"sns:Publish", "arn:aws:sns:us-east-1:" + acct + ":t", Decision{Reason: ImplicitDeny, Layer: LayerIdentity},
			"User: " + alice.ARN + " is not authorized to perform: sns:Publish on resource: arn:aws:sns:us-east-1:" + acct + ":t because no identity-based policy allows the sns:Publish action"},
	} {
		req := Request{Principal: alice, Action: c.action, Resource: c.resource}
		if got := c.dec.Message(req); got != c.msg {
			t.Errorf("%s: %q, want %q", c.action, got, c.msg)
		}
	}
}

// TestRootWithoutResourcePolicy: the account's root calling its own
// resources with no resource policy is allowed whatever its other layers
// hold (identity, boundary and session policies do not apply to root,
// an explicit deny in them included), with nothing matched or missing,
// without allocating; another account's resource, a resource policy, or
// a principal that only looks like root takes the full evaluation.
func TestRootWithoutResourcePolicy(t *testing.T) {
	denyAll := pol(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`)
	req := Request{Principal: root, Action: "s3:PutObject", Resource: "arn:aws:s3:::b1/k"}
	for _, pols := range []Policies{{}, {ResourceAccount: acct}, {Identity: []*Policy{denyAll}, Boundary: denyAll, Session: []*Policy{}}} {
		if d := Evaluate(req, pols); d.Reason != Allowed || d.Layer != "" || d.Matched != nil || d.MissingContext != nil {
			t.Errorf("%+v: decision %+v", pols, d)
		}
	}
	if n := testing.AllocsPerRun(100, func() { Evaluate(req, Policies{}) }); n != 0 {
		t.Errorf("%v allocations", n)
	}
	if d := Evaluate(req, Policies{ResourceAccount: "999988887777"}); d.Allowed() {
		t.Errorf("another account's resource without its policy: %+v", d)
	}
	denyEveryone := pol(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"*","Resource":"*"}]}`)
	if d := Evaluate(req, Policies{Resource: denyEveryone, ResourceAccount: acct}); d.Reason != ExplicitDeny || d.Layer != LayerResource {
		t.Errorf("a resource policy's deny: %+v", d)
	}
	for _, p := range []Principal{
		{ARN: "arn:aws:iam::" + acct + ":rootx", Account: acct},
		{ARN: "arn:aws:iam::" + acct + ":root", Account: "111122223334"},
		{ARN: "arn:aws:iam::" + acct + ":root", Account: acct, Anonymous: true},
		{ARN: "arn:aws:iam::" + acct + ":root"},
		{ARN: "arn:aws:sts::" + acct + ":root", Account: acct},
	} {
		if p.IsRoot() {
			t.Errorf("%+v is root", p)
		}
		if d := Evaluate(Request{Principal: p, Action: "s3:PutObject", Resource: "arn:aws:s3:::b1/k"}, Policies{}); d.Allowed() {
			t.Errorf("%+v allowed without a policy", p)
		}
	}
	if !root.IsRoot() {
		t.Error("root is not root")
	}
}
