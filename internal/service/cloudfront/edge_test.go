package cloudfront

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	cfapi "github.com/niwa-cloud/niwa/internal/api/cloudfront"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// fakeS3 serves objects to one allowed principal, as a bucket policy
// allowing only that principal would.
type fakeS3 struct {
	objects.Store
	objs  map[string]string
	allow func(objects.Principal) bool
	reads int
}

func (f *fakeS3) OpenServiceObject(_ context.Context, bucket, key string, p objects.Principal) (io.ReadCloser, int64, error) {
	f.reads++
	if !f.allow(p) {
		return nil, 0, objects.ErrAccessDenied
	}
	v, ok := f.objs[bucket+"/"+key]
	if !ok {
		return nil, 0, objects.ErrNoSuchKey
	}
	return io.NopCloser(strings.NewReader(v)), int64(len(v)), nil
}

// cfSign is what `aws cloudfront sign` does: RSA-SHA1 over the policy,
// in CloudFront's base64.
func cfSign(t testing.TB, k *rsa.PrivateKey, policy string) string {
	h := sha1.Sum([]byte(policy))
	sig, err := rsa.SignPKCS1v15(nil, k, crypto.SHA1, h[:])
	if err != nil {
		t.Fatal(err)
	}
	return cfBase64([]byte(sig))
}

func cfBase64(b []byte) string {
	return strings.NewReplacer("+", "-", "=", "_", "/", "~").Replace(base64.StdEncoding.EncodeToString(b))
}

type edgeFixture struct {
	s      *CloudFront
	h      *servicetest.Harness
	s3     *fakeS3
	key    *rsa.PrivateKey
	keyID  string
	dist   *cfapi.Distribution
	etag   string
	handle http.Handler
}

// newEdge makes a distribution on an S3 origin with an OAC whose
// default behaviour is public and /private/* needs signed URLs.
func newEdge(t *testing.T) *edgeFixture {
	t.Helper()
	h := servicetest.New(t, "cloudfront")
	f := &edgeFixture{h: h}
	f.s3 = &fakeS3{objs: map[string]string{"b/index.html": "home", "b/private/a.txt": "secret", "b/404.html": "not here"}}
	f.s = New(Options{Store: h.Store(), Clock: h.Clock, Objects: f.s3})
	ctx := h.Ctx()
	var pub string
	f.key, pub = testKey(t)
	k, err := f.s.CreatePublicKey20200531(ctx, &cfapi.CreatePublicKeyRequest{PublicKeyConfig: &cfapi.PublicKeyConfig{
		CallerReference: ptr.To("r"), Name: ptr.To("k"), EncodedKey: ptr.To(pub)}})
	if err != nil {
		t.Fatal(err)
	}
	f.keyID = *k.PublicKey.Id
	g, err := f.s.CreateKeyGroup20200531(ctx, &cfapi.CreateKeyGroupRequest{KeyGroupConfig: &cfapi.KeyGroupConfig{Name: ptr.To("g"), Items: []string{f.keyID}}})
	if err != nil {
		t.Fatal(err)
	}
	oac, err := f.s.CreateOriginAccessControl20200531(ctx, &cfapi.CreateOriginAccessControlRequest{OriginAccessControlConfig: &cfapi.OriginAccessControlConfig{
		Name: ptr.To("oac"), SigningProtocol: ptr.To("sigv4"), SigningBehavior: ptr.To("always"), OriginAccessControlOriginType: ptr.To("s3")}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := config("r", s3Origin("s3", "b", *oac.OriginAccessControl.Id))
	cfg.DefaultRootObject = ptr.To("index.html")
	cfg.CacheBehaviors = &cfapi.CacheBehaviors{Quantity: ptr.To(int32(1)), Items: []cfapi.CacheBehavior{{PathPattern: ptr.To("private/*"),
		TargetOriginId: ptr.To("s3"), ViewerProtocolPolicy: ptr.To("allow-all"),
		TrustedKeyGroups: &cfapi.TrustedKeyGroups{Enabled: ptr.To(true), Quantity: ptr.To(int32(1)), Items: []string{*g.KeyGroup.Id}}}}}
	cfg.CustomErrorResponses = &cfapi.CustomErrorResponses{Quantity: ptr.To(int32(1)), Items: []cfapi.CustomErrorResponse{
		{ErrorCode: ptr.To(int32(404)), ResponsePagePath: ptr.To("/404.html"), ResponseCode: ptr.To("404")}}}
	d, err := f.s.CreateDistribution20200531(ctx, &cfapi.CreateDistributionRequest{DistributionConfig: cfg})
	if err != nil {
		t.Fatal(err)
	}
	f.dist, f.etag = d.Distribution, *d.ETag
	arn := *d.Distribution.ARN
	f.s3.allow = func(p objects.Principal) bool {
		return p.Service == "cloudfront.amazonaws.com" && p.SourceARN == arn && p.SourceAccount == h.Account
	}
	f.handle = f.s.edge()
	return f
}

func (f *edgeFixture) get(t *testing.T, target string, mod ...func(*http.Request)) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest("GET", target, nil)
	r.Host = *f.dist.DomainName
	for _, m := range mod {
		m(r)
	}
	if !f.s.isEdge(r) {
		t.Fatalf("%s is not routed to the edge", r.Host)
	}
	w := httptest.NewRecorder()
	f.handle.ServeHTTP(w, r)
	return w
}

func (f *edgeFixture) cannedURL(t *testing.T, p string, expires time.Time) string {
	res := "https://" + *f.dist.DomainName + p
	e := strconv.FormatInt(expires.Unix(), 10)
	return p + "?Expires=" + e + "&Signature=" + cfSign(t, f.key, cannedPolicy(res, expires.Unix())) + "&Key-Pair-Id=" + f.keyID
}

func TestEdgeSignedURLs(t *testing.T) {
	f := newEdge(t)
	now := f.h.Clock.Now()
	good := f.cannedURL(t, "/private/a.txt", now.Add(time.Hour))
	custom := func(pol string) string {
		return "/private/a.txt?Policy=" + cfBase64([]byte(pol)) + "&Signature=" + cfSign(t, f.key, pol) + "&Key-Pair-Id=" + f.keyID
	}
	exp := strconv.FormatInt(now.Add(time.Hour).Unix(), 10)
	cases := []struct {
		name       string
		target     string
		status     int
		code, body string
	}{
		{"unsigned", "/private/a.txt", 403, "MissingKey", "Missing Key-Pair-Id query parameter or cookie value"},
		{"canned", good, 200, "", "secret"},
		{"tampered path", strings.Replace(good, "a.txt", "b.txt", 1), 403, "AccessDenied", "Access denied"},
		{"tampered expiry", strings.Replace(good, "Expires=", "Expires=1", 1), 403, "AccessDenied", "Access denied"},
		{"extra query", good + "&x=1", 403, "AccessDenied", "Access denied"},
		{"unknown key", strings.Replace(good, f.keyID, "KUNKNOWN", 1), 403, "InvalidKey", "Unknown Key"},
		{"expired", f.cannedURL(t, "/private/a.txt", now.Add(-time.Second)), 403, "AccessDenied", "Access denied"},
		{"custom wildcard", custom(`{"Statement":[{"Resource":"https://` + *f.dist.DomainName + `/private/*","Condition":{"DateLessThan":{"AWS:EpochTime":` + exp + `}}}]}`), 200, "", "secret"},
		{"custom other resource", custom(`{"Statement":[{"Resource":"https://` + *f.dist.DomainName + `/public/*","Condition":{"DateLessThan":{"AWS:EpochTime":` + exp + `}}}]}`), 403, "AccessDenied", "Access denied"},
		{"custom wrong IP", custom(`{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":` + exp + `},"IpAddress":{"AWS:SourceIp":"10.9.9.0/24"}}}]}`), 403, "AccessDenied", "Access denied"},
		{"custom right IP", custom(`{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":` + exp + `},"IpAddress":{"AWS:SourceIp":"192.0.2.1"}}}]}`), 200, "", "secret"},
		{"custom not yet valid", custom(`{"Statement":[{"Condition":{"DateLessThan":{"AWS:EpochTime":` + exp + `},"DateGreaterThan":{"AWS:EpochTime":` + exp + `}}}]}`), 403, "AccessDenied", "Access denied"},
		{"custom without expiry", custom(`{"Statement":[{"Resource":"*"}]}`), 403, "MalformedPolicy", "Malformed Policy"},
		{"public path", "/", 200, "", "home"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := f.get(t, c.target)
			if w.Code != c.status {
				t.Fatalf("status %d, want %d: %s", w.Code, c.status, w.Body)
			}
			if c.code != "" {
				want := "<Error><Code>" + c.code + "</Code><Message>" + c.body + "</Message></Error>"
				if !strings.Contains(w.Body.String(), want) || w.Header().Get("X-Cache") != "Error from cloudfront" {
					t.Fatalf("body %s, headers %v; want %s", w.Body, w.Header(), want)
				}
			} else if w.Body.String() != c.body {
				t.Fatalf("body %q, want %q", w.Body, c.body)
			}
			for _, hd := range []string{"Via", "X-Amz-Cf-Id", "X-Amz-Cf-Pop"} {
				if w.Header().Get(hd) == "" {
					t.Fatalf("no %s header", hd)
				}
			}
		})
	}
	// Signed cookies.
	pol := cannedPolicy("https://"+*f.dist.DomainName+"/private/a.txt", now.Add(time.Hour).Unix())
	w := f.get(t, "/private/a.txt", func(r *http.Request) {
		r.AddCookie(&http.Cookie{Name: "CloudFront-Expires", Value: exp})
		r.AddCookie(&http.Cookie{Name: "CloudFront-Signature", Value: cfSign(t, f.key, pol)})
		r.AddCookie(&http.Cookie{Name: "CloudFront-Key-Pair-Id", Value: f.keyID})
	})
	if w.Code != 200 || w.Body.String() != "secret" {
		t.Fatalf("signed cookies: %d %s", w.Code, w.Body)
	}
	// On niwa's clock: the good URL expires.
	f.h.Clock.Advance(2 * time.Hour)
	if w := f.get(t, good); w.Code != 403 {
		t.Fatalf("after expiry: %d %s", w.Code, w.Body)
	}
}

func TestEdgeS3OriginCacheAndErrors(t *testing.T) {
	f := newEdge(t)
	w := f.get(t, "/")
	if w.Code != 200 || w.Body.String() != "home" || w.Header().Get("X-Cache") != "Miss from cloudfront" {
		t.Fatalf("first: %d %q %v", w.Code, w.Body, w.Header())
	}
	f.h.Clock.Advance(5 * time.Second)
	w = f.get(t, "/")
	if w.Body.String() != "home" || w.Header().Get("X-Cache") != "Hit from cloudfront" || w.Header().Get("Age") != "5" {
		t.Fatalf("second: %q %v", w.Body, w.Header())
	}
	if f.s3.reads != 1 {
		t.Fatalf("S3 read %d times, want 1 (the hit is from the cache)", f.s3.reads)
	}
	if _, err := f.s.CreateInvalidation20200531(f.h.Ctx(), &cfapi.CreateInvalidationRequest{DistributionId: f.dist.Id,
		InvalidationBatch: &cfapi.InvalidationBatch{CallerReference: ptr.To("i"), Paths: &cfapi.Paths{Quantity: ptr.To(int32(1)), Items: []string{"/*"}}}}); err != nil {
		t.Fatal(err)
	}
	if w := f.get(t, "/"); w.Header().Get("X-Cache") != "Miss from cloudfront" {
		t.Fatalf("after invalidation: %v", w.Header())
	}
	// A missing key answers the custom error page with its code.
	w = f.get(t, "/missing")
	if w.Code != 404 || w.Body.String() != "not here" {
		t.Fatalf("custom error: %d %q", w.Code, w.Body)
	}
	// Without the OAC's principal the bucket refuses: S3's 403 passes on.
	f.s3.allow = func(objects.Principal) bool { return false }
	f.s.cache.clear()
	w = f.get(t, "/")
	if w.Code != 403 || !strings.Contains(w.Body.String(), "<Code>AccessDenied</Code><Message>Access Denied</Message>") {
		t.Fatalf("denied by the bucket: %d %s", w.Code, w.Body)
	}
	// A method the behaviour does not allow.
	r := httptest.NewRequest("DELETE", "/", nil)
	r.Host = *f.dist.DomainName
	rw := httptest.NewRecorder()
	f.handle.ServeHTTP(rw, r)
	if rw.Code != 403 {
		t.Fatalf("DELETE: %d", rw.Code)
	}
}

func TestEdgeCustomOrigin(t *testing.T) {
	var seen *http.Request
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.Clone(context.Background())
		w.Header().Set("Cache-Control", "max-age=60")
		_, _ = io.WriteString(w, "api:"+r.URL.RawQuery)
	}))
	defer origin.Close()
	u, _ := url.Parse(origin.URL)
	host, port, _ := strings.Cut(u.Host, ":")
	p, _ := strconv.Atoi(port)
	h := servicetest.New(t, "cloudfront")
	s := New(Options{Store: h.Store(), Clock: h.Clock})
	o := cfapi.Origin{Id: ptr.To("api"), DomainName: ptr.To(host), OriginPath: ptr.To("/prod"),
		CustomHeaders:      &cfapi.CustomHeaders{Quantity: ptr.To(int32(1)), Items: []cfapi.OriginCustomHeader{{HeaderName: ptr.To("x-api-key"), HeaderValue: ptr.To("k1")}}},
		CustomOriginConfig: &cfapi.CustomOriginConfig{HTTPPort: ptr.To(int32(p)), HTTPSPort: ptr.To(int32(443)), OriginProtocolPolicy: ptr.To("http-only")}}
	cfg := config("r", o)
	cfg.DefaultCacheBehavior.ViewerProtocolPolicy = ptr.To("redirect-to-https")
	cfg.CacheBehaviors = &cfapi.CacheBehaviors{Quantity: ptr.To(int32(2)), Items: []cfapi.CacheBehavior{
		{PathPattern: ptr.To("/items*"), TargetOriginId: ptr.To("api"), ViewerProtocolPolicy: ptr.To("allow-all"),
			ForwardedValues: &cfapi.ForwardedValues{QueryString: ptr.To(true), Headers: &cfapi.Headers{Quantity: ptr.To(int32(1)), Items: []string{"Authorization"}}}},
		{PathPattern: ptr.To("/*"), TargetOriginId: ptr.To("api"), ViewerProtocolPolicy: ptr.To("https-only")},
	}}
	d, err := s.CreateDistribution20200531(h.Ctx(), &cfapi.CreateDistributionRequest{DistributionConfig: cfg})
	if err != nil {
		t.Fatal(err)
	}
	edge := s.edge()
	do := func(target string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", target, nil)
		r.Host = *d.Distribution.DomainName
		r.Header.Set("Authorization", "Bearer t")
		r.Header.Set("X-Other", "no")
		w := httptest.NewRecorder()
		edge.ServeHTTP(w, r)
		return w
	}
	w := do("/items?id=7")
	if w.Code != 200 || w.Body.String() != "api:id=7" {
		t.Fatalf("%d %q", w.Code, w.Body)
	}
	if seen.URL.Path != "/prod/items" || seen.Header.Get("x-api-key") != "k1" || seen.Header.Get("Authorization") != "Bearer t" ||
		seen.Header.Get("X-Other") != "" || seen.Host != u.Host {
		t.Fatalf("origin saw %s %v host %s", seen.URL, seen.Header, seen.Host)
	}
	if w := do("/items?id=7"); w.Header().Get("X-Cache") != "Hit from cloudfront" {
		t.Fatalf("second: %v", w.Header())
	}
	if w := do("/items?id=8"); w.Header().Get("X-Cache") != "Miss from cloudfront" || w.Body.String() != "api:id=8" {
		t.Fatalf("other query: %v %q", w.Header(), w.Body)
	}
	// Precedence: "/items*" before "/*" (https-only), then the default
	// (redirect-to-https) for nothing else here.
	if w := do("/other"); w.Code != 403 {
		t.Fatalf("https-only over http: %d", w.Code)
	}
}

// fakeCerts hands out one key pair for one ARN.
type fakeCerts struct {
	arn         string
	chain, key  []byte
	askedRegion string
	// inUse is the certificate's InUseBy, as ACM would record it.
	inUse []string
}

func (f *fakeCerts) SetInUse(ctx *request.Context, arn, resource string, inUse bool) error {
	if arn != f.arn || ctx.Region != "us-east-1" {
		return objects.ErrNoSuchKey
	}
	f.inUse = slices.DeleteFunc(f.inUse, func(r string) bool { return r == resource })
	if inUse {
		f.inUse = append(f.inUse, resource)
	}
	return nil
}

func (f *fakeCerts) KeyPair(_ context.Context, _, region, arn string) ([]byte, []byte, error) {
	f.askedRegion = region
	if arn != f.arn {
		return nil, nil, objects.ErrNoSuchKey
	}
	return f.chain, f.key, nil
}

func TestServerCertificateForAliases(t *testing.T) {
	h := servicetest.New(t, "cloudfront")
	srv := httptest.NewTLSServer(http.NotFoundHandler()) // any valid key pair
	srv.Close()
	leaf := srv.TLS.Certificates[0]
	chain := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Certificate[0]})
	der, err := x509.MarshalPKCS8PrivateKey(leaf.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	key := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	arn := "arn:aws:acm:us-east-1:" + h.Account + ":certificate/abc"
	certs := &fakeCerts{arn: arn, chain: chain, key: key}
	s := New(Options{Store: h.Store(), Clock: h.Clock, Certificates: certs})
	cfg := config("r", s3Origin("o", "b", ""))
	cfg.Aliases = &cfapi.Aliases{Quantity: ptr.To(int32(1)), Items: []string{"CDN.example.com"}}
	cfg.ViewerCertificate = &cfapi.ViewerCertificate{ACMCertificateArn: ptr.To(arn), SSLSupportMethod: ptr.To("sni-only")}
	d, err := s.CreateDistribution20200531(h.Ctx(), &cfapi.CreateDistributionRequest{DistributionConfig: cfg})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		ok   bool
	}{{"cdn.example.com", true}, {"cdn.example.com.", true}, {"other.example.com", false}, {*d.Distribution.DomainName, false}} {
		got, ok, err := s.ServerCertificate(context.Background(), c.name)
		if err != nil || ok != c.ok || (ok && !bytes.Equal(got.Certificate[0], leaf.Certificate[0])) {
			t.Fatalf("%s: ok %v err %v, want ok %v", c.name, ok, err, c.ok)
		}
	}
	if certs.askedRegion != "us-east-1" {
		t.Fatalf("asked ACM in %q", certs.askedRegion)
	}
	// InUseBy: the distribution uses the certificate until its
	// configuration names another (or none).
	if len(certs.inUse) != 1 || certs.inUse[0] != *d.Distribution.ARN {
		t.Fatalf("InUseBy after create: %v", certs.inUse)
	}
	cfg.ViewerCertificate = &cfapi.ViewerCertificate{CloudFrontDefaultCertificate: ptr.To(true)}
	cfg.Aliases = nil
	if _, err := s.UpdateDistribution20200531(h.Ctx(), &cfapi.UpdateDistributionRequest{Id: d.Distribution.Id, IfMatch: d.ETag, DistributionConfig: cfg}); err != nil {
		t.Fatal(err)
	}
	if len(certs.inUse) != 0 {
		t.Fatalf("InUseBy after the certificate was replaced: %v", certs.inUse)
	}
}

// fakeWAF blocks requests without the header X-Allow.
type fakeWAF struct{ arn string }

func (f fakeWAF) Evaluate(_ context.Context, arn string, r *http.Request, _ net.IP) (bool, error) {
	return arn == f.arn && r.Header.Get("X-Allow") == "", nil
}

func TestEdgeWebACLBeforeTheCache(t *testing.T) {
	f := newEdge(t)
	acl := "arn:aws:wafv2:us-east-1:" + f.h.Account + ":global/webacl/a/1"
	f.s.opt.WAF = fakeWAF{arn: acl}
	cfg, err := f.s.GetDistributionConfig20200531(f.h.Ctx(), &cfapi.GetDistributionConfigRequest{Id: f.dist.Id})
	if err != nil {
		t.Fatal(err)
	}
	cfg.DistributionConfig.WebACLId = ptr.To(acl)
	if _, err := f.s.UpdateDistribution20200531(f.h.Ctx(), &cfapi.UpdateDistributionRequest{Id: f.dist.Id, IfMatch: cfg.ETag, DistributionConfig: cfg.DistributionConfig}); err != nil {
		t.Fatal(err)
	}
	allow := func(r *http.Request) { r.Header.Set("X-Allow", "1") }
	if w := f.get(t, "/", allow); w.Code != 200 {
		t.Fatalf("allowed: %d", w.Code)
	}
	// Cached now; a blocked request still never reaches the cache.
	w := f.get(t, "/")
	if w.Code != 403 || !strings.Contains(w.Body.String(), "Request blocked.") || w.Header().Get("Content-Type") != "text/html" {
		t.Fatalf("blocked: %d %v %s", w.Code, w.Header(), w.Body)
	}
}

// TestViewerCertificateMustCoverAliases: with ACM wired, an alias needs
// an issued us-east-1 certificate naming it (InvalidViewerCertificate
// otherwise, as CloudFront refuses it).
func TestViewerCertificateMustCoverAliases(t *testing.T) {
	h := servicetest.New(t, "cloudfront")
	srv := httptest.NewTLSServer(http.NotFoundHandler()) // a certificate for example.com and *.example.com
	srv.Close()
	leaf := srv.TLS.Certificates[0]
	chain := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Certificate[0]})
	arn := "arn:aws:acm:us-east-1:" + h.Account + ":certificate/abc"
	s := New(Options{Store: h.Store(), Clock: h.Clock, Certificates: &fakeCerts{arn: arn, chain: chain}})
	for i, tc := range []struct {
		alias, cert string
		ok          bool
	}{
		{"www.example.com", arn, true},
		{"www.other.test", arn, false},
		{"www.example.com", "", false},
		{"www.example.com", "arn:aws:acm:eu-west-1:" + h.Account + ":certificate/abc", false},
		{"www.example.com", arn + "-missing", false},
	} {
		cfg := config("r"+strconv.Itoa(i), s3Origin("o", "b", ""))
		cfg.Aliases = &cfapi.Aliases{Quantity: ptr.To(int32(1)), Items: []string{tc.alias}}
		if tc.cert != "" {
			cfg.ViewerCertificate = &cfapi.ViewerCertificate{ACMCertificateArn: ptr.To(tc.cert), SSLSupportMethod: ptr.To("sni-only")}
		}
		_, err := s.CreateDistribution20200531(h.Ctx(), &cfapi.CreateDistributionRequest{DistributionConfig: cfg})
		if tc.ok {
			if err != nil {
				t.Fatalf("%d: %v", i, err)
			}
			continue
		}
		wantCode(t, err, cfapi.ErrInvalidViewerCertificate)
	}
}
