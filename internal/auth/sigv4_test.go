package auth

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go/encoding/httpbinding"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/clock"
)

// trickyKey exercises everything S3 path canonicalization must leave
// alone: spaces, non-ASCII, '+', and an empty segment ("//").
const trickyKey = "dir/a b+c/ü//x.txt"

// service is one way of calling an AWS service, with the vocabulary its
// errors use.
type service struct {
	name    string // SigV4 signing name
	dialect Dialect
	build   func(base string) (*http.Request, string) // request and its payload hash
}

func s3Get(base string) (*http.Request, string) {
	u := base + "/bucket/" + httpbinding.EscapePath(trickyKey, false) +
		"?response-content-type=" + url.QueryEscape("text/plain; charset=utf-8") + "&versionId=a%2Bb&list-type=2"
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
	return req, emptySHA256
}

func stsPost(base string) (*http.Request, string) {
	body := []byte("Action=GetCallerIdentity&Version=2011-06-15")
	req, _ := http.NewRequest(http.MethodPost, base+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	return req, sha256Hex(body)
}

func ddbPost(base string) (*http.Request, string) {
	body := []byte(`{"TableName":"orders","Key":{"pk":{"S":"a b+c"}}}`)
	req, _ := http.NewRequest(http.MethodPost, base+"/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810.GetItem")
	return req, sha256Hex(body)
}

func lambdaGet(base string) (*http.Request, string) {
	req, _ := http.NewRequest(http.MethodGet,
		base+"/2015-03-31/functions/"+url.PathEscape("arn:aws:lambda:us-east-1:111122223333:function:f")+"/configuration?Qualifier=%24LATEST", nil)
	return req, emptySHA256
}

var services = []service{
	{"s3", DialectS3, s3Get},
	{"sts", DialectQuery, stsPost},
	{"dynamodb", DialectJSON, ddbPost},
	{"lambda", DialectRestJSON, lambdaGet},
}

func verifierFor(v *Verifier, d Dialect) func(*http.Request) (*Result, error) {
	if d == DialectS3 {
		return func(r *http.Request) (*Result, error) { return v.VerifyS3(r, "") }
	}
	return func(r *http.Request) (*Result, error) { return v.Verify(r, d) }
}

func TestSigV4HeaderAccepted(t *testing.T) {
	for _, svc := range services {
		t.Run(svc.name, func(t *testing.T) {
			v, _ := newTestVerifier(t0)
			srv := newServer(t, verifierFor(v, svc.dialect))
			req, payload := svc.build(srv.URL)
			var want []byte
			if req.GetBody != nil {
				b, _ := req.GetBody()
				buf := new(bytes.Buffer)
				buf.ReadFrom(b)
				want = buf.Bytes()
			}
			sign(t, req, goodCreds, payload, svc.name, t0)
			o := srv.do(t, req)
			wantOK(t, o)
			if o.res.Credential.ARN != "arn:aws:iam::"+testAccount+":root" || o.res.Anonymous {
				t.Errorf("credential %+v", o.res.Credential)
			}
			if o.res.Scheme != SchemeSigV4 || o.res.Region != "us-east-1" || o.res.Service != svc.name {
				t.Errorf("scheme %q region %q service %q", o.res.Scheme, o.res.Region, o.res.Service)
			}
			if !bytes.Equal(o.body, want) {
				t.Errorf("body %q, want %q", o.body, want)
			}
			if o.res.ContentLength != int64(len(want)) {
				t.Errorf("ContentLength %d, want %d", o.res.ContentLength, len(want))
			}
		})
	}
}

func TestSigningScope(t *testing.T) {
	req, payload := stsPost("http://localhost:4566")
	sign(t, req, goodCreds, payload, "sts", t0)
	if akid, region, svc, ok := SigningScope(req); !ok || akid != testAKID || region != "us-east-1" || svc != "sts" {
		t.Errorf("header: %q %q %q %v", akid, region, svc, ok)
	}
	req, _ = http.NewRequest(http.MethodGet, "http://localhost:4566/?Action=GetCallerIdentity&Version=2011-06-15", nil)
	req = presign(t, req, goodCreds, emptySHA256, "sts", t0)
	if akid, _, svc, ok := SigningScope(req); !ok || akid != testAKID || svc != "sts" {
		t.Errorf("presigned: %q %q %v", akid, svc, ok)
	}
	req, _ = http.NewRequest(http.MethodGet, "http://localhost:4566/", nil)
	if _, _, _, ok := SigningScope(req); ok {
		t.Error("anonymous request has a scope")
	}
}

func TestSigV4WrongSecret(t *testing.T) {
	want := map[Dialect]struct {
		code   string
		status int
		msg    string
	}{
		DialectS3:       {"SignatureDoesNotMatch", 403, msgSigS3},
		DialectQuery:    {"SignatureDoesNotMatch", 403, msgSig},
		DialectJSON:     {"InvalidSignatureException", 400, msgSig},
		DialectRestJSON: {"InvalidSignatureException", 403, msgSig},
	}
	for _, svc := range services {
		t.Run(svc.name, func(t *testing.T) {
			v, _ := newTestVerifier(t0)
			srv := newServer(t, verifierFor(v, svc.dialect))
			req, payload := svc.build(srv.URL)
			sign(t, req, aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: "wrong"}, payload, svc.name, t0)
			w := want[svc.dialect]
			e := wantErr(t, srv.do(t, req).err, w.code, w.status)
			if e.Message != w.msg {
				t.Errorf("message %q", e.Message)
			}
			if svc.dialect == DialectS3 {
				for _, f := range []string{"AWSAccessKeyId", "StringToSign", "SignatureProvided", "CanonicalRequest", "StringToSignBytes", "CanonicalRequestBytes"} {
					if e.Fields[f] == nil {
						t.Errorf("missing field %s", f)
					}
				}
				cr := e.Fields["CanonicalRequest"].(string)
				if !strings.HasPrefix(cr, "GET\n/bucket/dir/a%20b%2Bc/%C3%BC//x.txt\nlist-type=2&response-content-type=text%2Fplain%3B%20charset%3Dutf-8&versionId=a%2Bb\n") {
					t.Errorf("canonical request:\n%s", cr)
				}
			}
		})
	}
}

func TestSigV4UnknownKey(t *testing.T) {
	want := map[Dialect][2]any{
		DialectS3:       {"InvalidAccessKeyId", 403},
		DialectQuery:    {"InvalidClientTokenId", 403},
		DialectJSON:     {"UnrecognizedClientException", 400},
		DialectRestJSON: {"UnrecognizedClientException", 403},
	}
	for _, svc := range services {
		t.Run(svc.name, func(t *testing.T) {
			v, _ := newTestVerifier(t0)
			srv := newServer(t, verifierFor(v, svc.dialect))
			req, payload := svc.build(srv.URL)
			sign(t, req, aws.Credentials{AccessKeyID: "AKIAUNKNOWN", SecretAccessKey: "x"}, payload, svc.name, t0)
			w := want[svc.dialect]
			e := wantErr(t, srv.do(t, req).err, w[0].(string), w[1].(int))
			switch svc.dialect {
			case DialectS3:
				if e.Message != "The AWS Access Key Id you provided does not exist in our records." || e.Fields["AWSAccessKeyId"] != "AKIAUNKNOWN" {
					t.Errorf("%q %v", e.Message, e.Fields)
				}
			default:
				if e.Message != "The security token included in the request is invalid." {
					t.Errorf("%q", e.Message)
				}
			}
		})
	}
}

func TestSigV4ClockSkew(t *testing.T) {
	for _, dir := range []struct {
		name    string
		advance time.Duration
		msg     string
	}{
		{"late", 20 * time.Minute, "Signature expired: 20240501T120000Z is now earlier than 20240501T120500Z (20240501T122000Z - 15 min.)"},
		{"early", -20 * time.Minute, "Signature not yet current: 20240501T120000Z is still later than 20240501T115500Z (20240501T114000Z + 15 min.)"},
	} {
		for _, svc := range services {
			t.Run(dir.name+"/"+svc.name, func(t *testing.T) {
				v, _ := newTestVerifier(t0.Add(dir.advance))
				srv := newServer(t, verifierFor(v, svc.dialect))
				req, payload := svc.build(srv.URL)
				sign(t, req, goodCreds, payload, svc.name, t0)
				err := srv.do(t, req).err
				switch svc.dialect {
				case DialectS3:
					e := wantErr(t, err, "RequestTimeTooSkewed", 403)
					if e.Fields["RequestTime"] != "20240501T120000Z" || e.Fields["MaxAllowedSkewMilliseconds"] != "900000" || e.Fields["ServerTime"] == nil {
						t.Errorf("fields %v", e.Fields)
					}
				case DialectQuery:
					if e := wantErr(t, err, "SignatureDoesNotMatch", 403); e.Message != dir.msg {
						t.Errorf("message %q", e.Message)
					}
				case DialectJSON:
					if e := wantErr(t, err, "InvalidSignatureException", 400); e.Message != dir.msg {
						t.Errorf("message %q", e.Message)
					}
				case DialectRestJSON:
					wantErr(t, err, "InvalidSignatureException", 403)
				}
			})
		}
	}
	// 14 minutes is fine.
	v, _ := newTestVerifier(t0.Add(14 * time.Minute))
	srv := newServer(t, verifierFor(v, DialectQuery))
	req, payload := stsPost(srv.URL)
	sign(t, req, goodCreds, payload, "sts", t0)
	wantOK(t, srv.do(t, req))
}

func TestSigV4Presign(t *testing.T) {
	v, clk := newTestVerifier(t0)
	srv := newServer(t, verifierFor(v, DialectS3))
	build := func(at time.Time) *http.Request {
		req, _ := s3Get(srv.URL)
		req.Header.Del("X-Amz-Content-Sha256")
		q := req.URL.Query()
		q.Set("X-Amz-Expires", "900")
		req.URL.RawQuery = q.Encode()
		return presign(t, req, goodCreds, unsignedPayload, "s3", at)
	}
	o := srv.do(t, build(t0))
	wantOK(t, o)
	if o.res.Scheme != SchemeSigV4Presign || o.res.Credential.AccessKeyID != testAKID {
		t.Errorf("result %+v", o.res)
	}

	// The last valid second, then one past it.
	clk.Set(t0.Add(900 * time.Second))
	wantOK(t, srv.do(t, build(t0)))
	clk.Set(t0.Add(901 * time.Second))
	e := wantErr(t, srv.do(t, build(t0)).err, "AccessDenied", 403)
	if e.Message != "Request has expired" || e.Fields["X-Amz-Expires"] != "900" ||
		e.Fields["Expires"] != "2024-05-01T12:15:00Z" || e.Fields["ServerTime"] != "2024-05-01T12:15:01Z" {
		t.Errorf("%q %v", e.Message, e.Fields)
	}

	// Signed in the future.
	e = wantErr(t, srv.do(t, build(t0.Add(time.Hour))).err, "AccessDenied", 403)
	if e.Message != "Request is not yet valid" {
		t.Errorf("%q", e.Message)
	}

	// Tampering with any signed part fails.
	req := build(clk.Now())
	req.URL.RawQuery = strings.Replace(req.URL.RawQuery, "list-type=2", "list-type=1", 1)
	wantErr(t, srv.do(t, req).err, "SignatureDoesNotMatch", 403)
}

func TestSigV4PresignParameters(t *testing.T) {
	v, _ := newTestVerifier(t0)
	srv := newServer(t, verifierFor(v, DialectS3))
	base := func() url.Values {
		return url.Values{
			"X-Amz-Algorithm":     {"AWS4-HMAC-SHA256"},
			"X-Amz-Credential":    {testAKID + "/20240501/us-east-1/s3/aws4_request"},
			"X-Amz-Date":          {"20240501T120000Z"},
			"X-Amz-Expires":       {"60"},
			"X-Amz-SignedHeaders": {"host"},
			"X-Amz-Signature":     {strings.Repeat("0", 64)},
		}
	}
	for _, c := range []struct {
		mutate func(url.Values)
		msg    string
	}{
		{func(q url.Values) { q.Del("X-Amz-Expires") }, "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."},
		{func(q url.Values) { q.Set("X-Amz-Expires", "604801") }, "X-Amz-Expires must be less than a week (in seconds) that is 604800"},
		{func(q url.Values) { q.Set("X-Amz-Expires", "-1") }, "X-Amz-Expires must be non-negative"},
		{func(q url.Values) { q.Set("X-Amz-Expires", "soon") }, "X-Amz-Expires should be a number"},
		{func(q url.Values) { q.Set("X-Amz-Algorithm", "AWS4-HMAC-SHA1") }, `X-Amz-Algorithm only supports "AWS4-HMAC-SHA256 and AWS4-ECDSA-P256-SHA256"`},
		{func(q url.Values) { q.Set("X-Amz-Credential", testAKID+"/20240501/us-east-1/s3") }, `Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`},
		{func(q url.Values) { q.Set("X-Amz-Date", "2024-05-01T12:00:00Z") }, `X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`},
		{func(q url.Values) { q.Set("X-Amz-Date", "20240502T120000Z") }, `Invalid credential date "20240501". This date is not the same as X-Amz-Date: "20240502T120000Z".`},
	} {
		q := base()
		c.mutate(q)
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/bucket/key?"+q.Encode(), nil)
		if e := wantErr(t, srv.do(t, req).err, "AuthorizationQueryParametersError", 400); e.Message != c.msg {
			t.Errorf("message %q, want %q", e.Message, c.msg)
		}
	}
	// Both an Authorization header and presign parameters.
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/bucket/key?"+base().Encode(), nil)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=x")
	wantErr(t, srv.do(t, req).err, "InvalidArgument", 400)
}

func TestSigV4PresignOtherService(t *testing.T) {
	// How EKS tokens and similar are made: a presigned STS
	// GetCallerIdentity, signed over the empty body's hash.
	v, clk := newTestVerifier(t0)
	srv := newServer(t, verifierFor(v, DialectQuery))
	build := func() *http.Request {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Expires=60", nil)
		req.Header.Set("x-k8s-aws-id", "my-cluster")
		return presign(t, req, goodCreds, emptySHA256, "sts", t0)
	}
	o := srv.do(t, build())
	wantOK(t, o)
	if o.res.Scheme != SchemeSigV4Presign || o.res.Service != "sts" {
		t.Errorf("result %+v", o.res)
	}
	clk.Set(t0.Add(61 * time.Second))
	e := wantErr(t, srv.do(t, build()).err, "SignatureDoesNotMatch", 403)
	if e.Message != "Signature expired: 20240501T120000Z is now earlier than 20240501T120001Z (20240501T120101Z - 60 sec.)" {
		t.Errorf("%q", e.Message)
	}
}

func TestTemporaryCredentials(t *testing.T) {
	temp := aws.Credentials{AccessKeyID: tempAKID, SecretAccessKey: tempSecret, SessionToken: tempToken}
	for _, c := range []struct {
		name     string
		creds    aws.Credentials
		at       time.Duration // clock offset from t0
		dialect  Dialect
		code     string
		status   int
		message  string
		tokenVal string
	}{
		{"valid/s3", temp, 0, DialectS3, "", 0, "", ""},
		{"valid/query", temp, 0, DialectQuery, "", 0, "", ""},
		{"wrong token/s3", withToken(temp, "forged"), 0, DialectS3, "InvalidToken", 400, "The provided token is malformed or otherwise invalid.", ""},
		{"wrong token/query", withToken(temp, "forged"), 0, DialectQuery, "InvalidClientTokenId", 403, "The security token included in the request is invalid.", ""},
		{"wrong token/json", withToken(temp, "forged"), 0, DialectJSON, "UnrecognizedClientException", 400, "The security token included in the request is invalid.", ""},
		{"missing token/s3", withToken(temp, ""), 0, DialectS3, "InvalidAccessKeyId", 403, "The AWS Access Key Id you provided does not exist in our records.", ""},
		{"missing token/query", withToken(temp, ""), 0, DialectQuery, "InvalidClientTokenId", 403, "The security token included in the request is invalid.", ""},
		{"token on long-term key/s3", withToken(goodCreds, "anything"), 0, DialectS3, "InvalidToken", 400, "The provided token is malformed or otherwise invalid.", ""},
		{"expired/s3", temp, 61 * time.Minute, DialectS3, "ExpiredToken", 400, "The provided token has expired.", tempToken},
		{"expired/query", temp, 61 * time.Minute, DialectQuery, "ExpiredToken", 403, "The security token included in the request is expired", ""},
		{"expired/json", temp, 61 * time.Minute, DialectJSON, "ExpiredTokenException", 400, "The security token included in the request is expired", ""},
		{"expired/rest-json", temp, 61 * time.Minute, DialectRestJSON, "ExpiredTokenException", 403, "The security token included in the request is expired", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			now := t0.Add(c.at)
			v, _ := newTestVerifier(now)
			srv := newServer(t, verifierFor(v, c.dialect))
			svc := services[c.dialect]
			req, payload := svc.build(srv.URL)
			sign(t, req, c.creds, payload, svc.name, now)
			o := srv.do(t, req)
			if c.code == "" {
				wantOK(t, o)
				if o.res.Credential.ARN != "arn:aws:sts::"+testAccount+":assumed-role/deployer/session" {
					t.Errorf("credential %+v", o.res.Credential)
				}
				return
			}
			e := wantErr(t, o.err, c.code, c.status)
			if e.Message != c.message {
				t.Errorf("message %q", e.Message)
			}
			if c.tokenVal != "" && e.Fields["Token-0"] != c.tokenVal {
				t.Errorf("fields %v", e.Fields)
			}
		})
	}
}

func withToken(c aws.Credentials, tok string) aws.Credentials {
	c.SessionToken = tok
	return c
}

func TestSkipValidation(t *testing.T) {
	v, _ := newTestVerifier(t0.Add(3 * time.Hour))
	v.SkipValidation = true
	for _, svc := range services {
		t.Run(svc.name, func(t *testing.T) {
			srv := newServer(t, verifierFor(v, svc.dialect))
			req, payload := svc.build(srv.URL)
			sign(t, req, aws.Credentials{AccessKeyID: "AKIAANYTHING", SecretAccessKey: "whatever", SessionToken: "tok"}, payload, svc.name, t0)
			o := srv.do(t, req)
			wantOK(t, o)
			c := o.res.Credential
			if c.Account != "000000000000" || c.ARN != "arn:aws:iam::000000000000:root" || c.AccessKeyID != "AKIAANYTHING" {
				t.Errorf("credential %+v", c)
			}
			// A known key keeps its own identity even with a bad signature.
			req, payload = svc.build(srv.URL)
			sign(t, req, aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: "wrong"}, payload, svc.name, t0)
			o = srv.do(t, req)
			wantOK(t, o)
			if o.res.Credential.Account != testAccount {
				t.Errorf("credential %+v", o.res.Credential)
			}
		})
	}
}

func TestAnonymous(t *testing.T) {
	v, _ := newTestVerifier(t0)
	for _, svc := range services {
		srv := newServer(t, verifierFor(v, svc.dialect))
		req, _ := svc.build(srv.URL)
		o := srv.do(t, req)
		wantOK(t, o)
		if !o.res.Anonymous || o.res.Scheme != SchemeAnonymous {
			t.Errorf("%s: result %+v", svc.name, o.res)
		}
	}
	for d, w := range map[Dialect][3]any{
		DialectS3:       {"AccessDenied", 403, "Access Denied"},
		DialectQuery:    {"MissingAuthenticationToken", 403, "Request is missing Authentication Token"},
		DialectJSON:     {"MissingAuthenticationTokenException", 400, "Request is missing Authentication Token"},
		DialectRestJSON: {"MissingAuthenticationTokenException", 403, "Missing Authentication Token"},
	} {
		e := MissingAuthentication(d)
		if e.Code.Code != w[0] || e.Code.Status != w[1] || e.Message != w[2] {
			t.Errorf("%v: %+v", d, e)
		}
	}
}

func TestMalformedAuthorization(t *testing.T) {
	v, _ := newTestVerifier(t0)
	cases := []struct {
		dialect Dialect
		authz   string
		date    bool
		code    string
		status  int
		msg     string
	}{
		{DialectS3, "AWS4-HMAC-SHA256 Credential=" + testAKID + "/20240501/us-east-1/s3/aws4_request", true,
			"AuthorizationHeaderMalformed", 400, "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature."},
		{DialectS3, "AWS4-HMAC-SHA256 Credential=" + testAKID + "/20240501/us-east-1/s3, SignedHeaders=host, Signature=00", true,
			"AuthorizationHeaderMalformed", 400, `The authorization header is malformed; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`},
		{DialectS3, "AWS4-HMAC-SHA256 Credential=" + testAKID + "/20240502/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00", true,
			"AuthorizationHeaderMalformed", 400, "The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date."},
		{DialectS3, "AWS4-HMAC-SHA256 Credential=" + testAKID + "/20240501/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00", false,
			"AccessDenied", 403, "AWS authentication requires a valid Date or x-amz-date header"},
		{DialectS3, "Bearer abc", true, "InvalidArgument", 400, "Unsupported Authorization Type"},
		{DialectS3, "AWS nocolon", true, "InvalidArgument", 400, "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature"},
		{DialectQuery, "Bearer abc", true, "IncompleteSignature", 400,
			"Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=Bearer abc"},
		{DialectJSON, "Bearer abc", false, "IncompleteSignatureException", 400,
			"Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=Bearer abc"},
		{DialectRestJSON, "AWS4-HMAC-SHA256 Credential=" + testAKID + "/20240501/us-east-1/lambda/aws4_request, Signature=00", true, "IncompleteSignatureException", 403,
			"Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256 Credential=" + testAKID + "/20240501/us-east-1/lambda/aws4_request, Signature=00"},
		{DialectQuery, "AWS4-HMAC-SHA256 Credential=" + testAKID + "/20240502/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00", true, "SignatureDoesNotMatch", 403,
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20240502' != '20240501', from '20240501T120000Z'."},
		{DialectS3, "AWS4-ECDSA-P256-SHA256 Credential=" + testAKID + "/20240501/s3/aws4_request, SignedHeaders=host, Signature=00", true, "SignatureDoesNotMatch", 403, msgSigS3},
	}
	for i, c := range cases {
		srv := newServer(t, verifierFor(v, c.dialect))
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/x", nil)
		req.Header.Set("Authorization", c.authz)
		req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
		if c.date {
			req.Header.Set("X-Amz-Date", "20240501T120000Z")
		}
		e := wantErr(t, srv.do(t, req).err, c.code, c.status)
		if e.Message != c.msg {
			t.Errorf("%d: message\n %q\nwant\n %q", i, e.Message, c.msg)
		}
	}
}

func TestS3PayloadHash(t *testing.T) {
	v, _ := newTestVerifier(t0)
	srv := newServer(t, verifierFor(v, DialectS3))
	body := []byte(strings.Repeat("payload ", 1000))
	put := func(declared string, sent []byte) *http.Request {
		req, _ := http.NewRequest(http.MethodPut, srv.URL+"/bucket/obj", bytes.NewReader(sent))
		req.Header.Set("X-Amz-Content-Sha256", declared)
		sign(t, req, goodCreds, declared, "s3", t0)
		return req
	}
	o := srv.do(t, put(sha256Hex(body), body))
	wantOK(t, o)
	if !bytes.Equal(o.body, body) {
		t.Error("body changed")
	}

	// Signed over one body, sent with another of the same length.
	other := bytes.ToUpper(body)
	o = srv.do(t, put(sha256Hex(body), other))
	if o.err != nil {
		t.Fatal(o.err)
	}
	e := wantErr(t, o.readErr, "XAmzContentSHA256Mismatch", 400)
	if e.Fields["ClientComputedContentSHA256"] != sha256Hex(body) || e.Fields["S3ComputedContentSHA256"] != sha256Hex(other) {
		t.Errorf("fields %v", e.Fields)
	}

	o = srv.do(t, put(unsignedPayload, body))
	wantOK(t, o)

	e = wantErr(t, srv.do(t, put("not-a-hash", body)).err, "InvalidArgument", 400)
	if e.Fields["ArgumentName"] != "x-amz-content-sha256" {
		t.Errorf("fields %v", e.Fields)
	}

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/bucket/obj", nil)
	sign(t, req, goodCreds, emptySHA256, "s3", t0)
	if e := wantErr(t, srv.do(t, req).err, "InvalidRequest", 400); e.Message != "Missing required header for this request: x-amz-content-sha256" {
		t.Errorf("%q", e.Message)
	}
}

func TestLargeBodySpoolsAndIsBounded(t *testing.T) {
	v, _ := newTestVerifier(t0)
	v.TempDir = t.TempDir()
	srv := newServer(t, verifierFor(v, DialectRestJSON))
	body := bytes.Repeat([]byte("0123456789abcdef"), 200_000) // 3.2 MB, past the in-memory part
	req, _ := http.NewRequest(http.MethodPut, srv.URL+"/2015-03-31/functions/f/code", bytes.NewReader(body))
	sign(t, req, goodCreds, sha256Hex(body), "lambda", t0)
	o := srv.do(t, req)
	wantOK(t, o)
	if !bytes.Equal(o.body, body) || o.res.ContentLength != int64(len(body)) {
		t.Fatalf("replayed %d bytes, want %d", len(o.body), len(body))
	}

	v.MaxBufferedBody = 2 << 20
	req, _ = http.NewRequest(http.MethodPut, srv.URL+"/2015-03-31/functions/f/code", bytes.NewReader(body))
	sign(t, req, goodCreds, sha256Hex(body), "lambda", t0)
	e := wantErr(t, srv.do(t, req).err, "RequestEntityTooLargeException", 413)
	if e.Message != fmt.Sprintf("Request must be smaller than %d bytes", 2<<20+1) {
		t.Errorf("%q", e.Message)
	}
}

// TestRealSTSClient drives the verifier with the actual aws-sdk-go-v2 STS
// client and all of its middleware (user agent, invocation id, retries).
func TestRealSTSClient(t *testing.T) {
	v, _ := newTestVerifier(time.Now())
	ts := newSTSServer(t, v)
	call := func(creds aws.Credentials) (*sts.GetCallerIdentityOutput, error) {
		client := sts.New(sts.Options{
			Region:           "eu-west-3",
			BaseEndpoint:     aws.String(ts.URL),
			Credentials:      aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return creds, nil }),
			RetryMaxAttempts: 1,
		})
		return client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	}
	out, err := call(goodCreds)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Arn) != "arn:aws:iam::"+testAccount+":root" || aws.ToString(out.Account) != testAccount {
		t.Errorf("identity %v %v", aws.ToString(out.Arn), aws.ToString(out.Account))
	}
	_, err = call(aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: "nope"})
	if err == nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
		t.Errorf("wrong secret: %v", err)
	}
	_, err = call(aws.Credentials{AccessKeyID: "AKIANOBODY", SecretAccessKey: "nope"})
	if err == nil || !strings.Contains(err.Error(), "InvalidClientTokenId") {
		t.Errorf("unknown key: %v", err)
	}
}

// newSTSServer answers GetCallerIdentity for authenticated requests and the
// query protocol's error document otherwise.
func newSTSServer(t *testing.T, v *Verifier) *httptest.Server {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		res, err := v.Verify(r, DialectQuery)
		if err != nil {
			e := awserr.As(err)
			w.WriteHeader(e.Code.Status)
			fmt.Fprintf(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>r</RequestId></ErrorResponse>`,
				e.Code.Code, html.EscapeString(e.Message))
			return
		}
		res.Body.Close()
		fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>%s</Arn><UserId>%s</UserId><Account>%s</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
			res.Credential.ARN, res.Credential.UserID, res.Credential.Account)
	}))
	t.Cleanup(ts.Close)
	return ts
}

// TestS3PayloadHashNoBody: a request without a body passes when it
// declares the empty payload's hash (in either case of hex, as a hex
// hash is compared lower-cased), and one that declares another hash gets
// XAmzContentSHA256Mismatch when its (empty) body is read, naming both
// hashes.
func TestS3PayloadHashNoBody(t *testing.T) {
	v, _ := newTestVerifier(t0)
	srv := newServer(t, verifierFor(v, DialectS3))
	get := func(declared string) outcome {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/bucket/obj?x-id=GetObject", nil)
		req.Header.Set("X-Amz-Content-Sha256", declared)
		sign(t, req, goodCreds, declared, "s3", t0)
		return srv.do(t, req)
	}
	for _, declared := range []string{emptySHA256, strings.ToUpper(emptySHA256)} {
		o := get(declared)
		wantOK(t, o)
		if len(o.body) != 0 || o.res.ContentLength != 0 {
			t.Errorf("%s: body %q, length %d", declared, o.body, o.res.ContentLength)
		}
	}
	other := sha256Hex([]byte("something"))
	o := get(other)
	if o.err != nil {
		t.Fatal(o.err)
	}
	e := wantErr(t, o.readErr, "XAmzContentSHA256Mismatch", 400)
	if e.Fields["ClientComputedContentSHA256"] != other || e.Fields["S3ComputedContentSHA256"] != emptySHA256 {
		t.Errorf("fields %v", e.Fields)
	}
}

// TestCanonicalQueryOrder: parameters are sorted by encoded name, then by
// encoded value (repeated names), after encoding, and the excluded one
// left out, whatever their number.
func TestCanonicalQueryOrder(t *testing.T) {
	var many query
	var want []string
	for i := 11; i >= 0; i-- {
		k := fmt.Sprintf("k%02d", i)
		many = append(many, queryParam{k, "v"})
		want = append([]string{k + "=v"}, want...)
	}
	for _, c := range []struct {
		q       query
		exclude string
		want    string
	}{
		{nil, "", ""},
		{query{{"x-id", "GetObject"}}, "", "x-id=GetObject"},
		{query{{"b", "2"}, {"a", "z"}, {"a", "y"}, {"a b", "é"}}, "", "a=y&a=z&a%20b=%C3%A9&b=2"},
		{query{{"X-Amz-Signature", "ff"}, {"X-Amz-Date", "d"}, {"~", "/"}}, "X-Amz-Signature", "X-Amz-Date=d&~=%2F"},
		{query{{"Z", ""}, {"a", ""}, {"_", ""}}, "", "Z=&_=&a="},
		{many, "", strings.Join(want, "&")},
	} {
		if got := canonicalQuery(c.q, c.exclude); got != c.want {
			t.Errorf("%v: %q, want %q", c.q, got, c.want)
		}
	}
}

// countingClock counts its readings.
type countingClock struct {
	clock.Clock
	n int
}

func (c *countingClock) Now() time.Time { c.n++; return c.Clock.Now() }

// TestExpiryOnClockReadOnlyForTemporaryKeys: request dates are checked
// against the signing clock and a temporary credential's expiry against
// niwa's clock (advanced past it here), which a long-term key's request
// does not read at all.
func TestExpiryOnClockReadOnlyForTemporaryKeys(t *testing.T) {
	for _, c := range []struct {
		name  string
		creds aws.Credentials
		code  string
		reads int
	}{
		{"long-term key", goodCreds, "", 0},
		{"temporary key past its expiry", aws.Credentials{AccessKeyID: tempAKID, SecretAccessKey: tempSecret, SessionToken: tempToken}, "ExpiredToken", 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			niwaClock := &countingClock{Clock: clock.NewFake(t0.Add(61 * time.Minute))}
			v := &Verifier{Credentials: testCredentials(), Clock: niwaClock, SigningClock: clock.NewFake(t0), DefaultAccount: "000000000000"}
			srv := newServer(t, verifierFor(v, DialectQuery))
			req, payload := services[DialectQuery].build(srv.URL)
			sign(t, req, c.creds, payload, services[DialectQuery].name, t0)
			o := srv.do(t, req)
			if c.code == "" {
				wantOK(t, o)
			} else {
				wantErr(t, o.err, c.code, 403)
			}
			if niwaClock.n != c.reads {
				t.Errorf("niwa's clock read %d times, want %d", niwaClock.n, c.reads)
			}
		})
	}
}
