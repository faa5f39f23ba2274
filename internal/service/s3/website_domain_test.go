package s3

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestWebsiteDomainHost(t *testing.T) {
	for host, want := range map[string]string{
		"www.example.com":                      "www.example.com",
		"WWW.Example.COM:4566":                 "www.example.com",
		"www.example.com.":                     "www.example.com",
		"localhost:4566":                       "",
		"127.0.0.1:4566":                       "",
		"[::1]:4566":                           "",
		"10.0.0.1":                             "",
		"example":                              "",
		"b.s3.localhost":                       "",
		"sqs.us-east-1.localhost:4566":         "",
		"s3.ap-northeast-1.amazonaws.com":      "",
		"b.s3-website-us-east-1.amazonaws.com": "",
		"under_score.example.com":              "",
		strings.Repeat("a", 60) + ".com":       "",
		// LocalStack's hosts are niwa's own, never a custom domain.
		"localhost.localstack.cloud:4566":                   "",
		"sqs.us-east-1.localhost.localstack.cloud:4566":     "",
		"b.s3-website.us-east-1.localhost.localstack.cloud": "",
	} {
		if got := domainHost(host, "localhost"); got != want {
			t.Errorf("%s: %q want %q", host, got, want)
		}
	}
}

// TestWebsiteCustomDomain: a request whose Host is the name of a bucket
// with website hosting is served from that bucket (a DNS alias pointing
// the name at the website endpoint); without a website configuration, or
// signed as an API call, the Host is not a website.
func TestWebsiteCustomDomain(t *testing.T) {
	f := newFixture(t)
	const domain = "www.example.com"
	f.bucket(t, domain)
	f.put(t, domain, "index.html", "home")
	f.put(t, domain, "error.html", "oops")
	route := f.websiteRoute()
	req := func(host, path string) *http.Request {
		r := httptest.NewRequest("GET", "http://127.0.0.1:4566"+path, nil)
		r.Host = host
		return r
	}
	if route.Match(req(domain+":4566", "/")) {
		t.Fatal("a bucket without a website configuration matched as a custom domain")
	}
	f.s.PutBucketWebsite(f.ctx(), &s3api.PutBucketWebsiteInput{Bucket: ptr.To(domain), WebsiteConfiguration: &s3api.WebsiteConfiguration{
		IndexDocument: &s3api.IndexDocument{Suffix: ptr.To("index.html")}, ErrorDocument: &s3api.ErrorDocument{Key: ptr.To("error.html")},
	}})
	f.s.DeletePublicAccessBlock(f.ctx(), &s3api.DeletePublicAccessBlockInput{Bucket: ptr.To(domain)})
	f.s.PutBucketPolicy(f.ctx(), &s3api.PutBucketPolicyInput{Bucket: ptr.To(domain), Policy: ptr.To(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + domain + `/*"}]}`)})
	for _, host := range []string{"localhost:4566", "127.0.0.1:4566", "other.example.com", "example.com"} {
		if route.Match(req(host, "/")) {
			t.Errorf("%s matched the website route", host)
		}
	}
	signed := req(domain, "/")
	signed.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=test/20260501/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=x")
	if route.Match(signed) {
		t.Error("a signed API call matched the website route")
	}
	do := func(path string) *httptest.ResponseRecorder {
		r := req("WWW.example.com:4566", path)
		if !route.Match(r) {
			t.Fatalf("route does not match %s", r.Host)
		}
		w := httptest.NewRecorder()
		route.Handler.ServeHTTP(w, r)
		return w
	}
	if w := do("/"); w.Code != 200 || w.Body.String() != "home" {
		t.Fatalf("index: %d %s", w.Code, w.Body)
	}
	if w := do("/no/such/page"); w.Code != 404 || w.Body.String() != "oops" {
		t.Fatalf("error document: %d %s", w.Code, w.Body)
	}
	f.s.DeleteBucketWebsite(f.ctx(), &s3api.DeleteBucketWebsiteInput{Bucket: ptr.To(domain)})
	if route.Match(req(domain, "/")) {
		t.Fatal("still a website after DeleteBucketWebsite")
	}
}
