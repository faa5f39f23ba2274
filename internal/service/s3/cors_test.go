package s3

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestCORSMatching(t *testing.T) {
	rules := []s3api.CORSRule{
		{ID: ptr.To("named"), AllowedOrigins: []string{"https://app.example"}, AllowedMethods: []string{"PUT", "POST"},
			AllowedHeaders: []string{"x-amz-*", "Content-Type"}},
		{ID: ptr.To("wild"), AllowedOrigins: []string{"https://*.example.org"}, AllowedMethods: []string{"GET"}},
		{ID: ptr.To("any"), AllowedOrigins: []string{"*"}, AllowedMethods: []string{"HEAD"}, AllowedHeaders: []string{"*"}},
	}
	for _, c := range []struct {
		origin, method string
		headers        []string
		want           string // rule ID, "" for none
	}{
		{"https://app.example", "PUT", nil, "named"},
		{"https://app.example", "PUT", []string{"x-amz-date", "content-type"}, "named"},
		{"https://app.example", "PUT", []string{"authorization"}, ""},
		{"https://app.example", "DELETE", nil, ""},
		{"http://app.example", "PUT", nil, ""},
		{"https://a.example.org", "GET", nil, "wild"},
		{"https://b.c.example.org", "GET", nil, "wild"},
		{"https://example.org", "GET", nil, ""},
		{"https://a.example.org", "GET", []string{"x-custom"}, ""},
		{"https://anything", "HEAD", []string{"x-custom"}, "any"},
		{"https://anything", "GET", nil, ""},
	} {
		got := ""
		if r := matchCORS(rules, c.origin, c.method, c.headers); r != nil {
			got = *r.ID
		}
		if got != c.want {
			t.Errorf("%s %s %v: rule %q, want %q", c.origin, c.method, c.headers, got, c.want)
		}
	}
}

func TestCORSPreflightAndActual(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "web")
	f.bucket(t, "plain")
	_, err := f.s.PutBucketCors(f.ctx(), &s3api.PutBucketCorsInput{Bucket: ptr.To("web"), CORSConfiguration: &s3api.CORSConfiguration{
		CORSRules: []s3api.CORSRule{{AllowedOrigins: []string{"https://app.example"}, AllowedMethods: []string{"GET", "PUT"},
			AllowedHeaders: []string{"*"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: ptr.To(int32(600))}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	preflight := func(path, host, origin, method, headers string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("OPTIONS", path, nil)
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		r.Header.Set("Access-Control-Request-Method", method)
		if headers != "" {
			r.Header.Set("Access-Control-Request-Headers", headers)
		}
		w := httptest.NewRecorder()
		if !f.s.CORS(w, r, host, true) {
			t.Fatalf("%s: S3 declined the preflight", path)
		}
		return w
	}
	w := preflight("/web/key", "", "https://app.example", "PUT", "Content-Type, X-Amz-Date")
	h := w.Header()
	if w.Code != 200 || h.Get("Access-Control-Allow-Origin") != "https://app.example" ||
		h.Get("Access-Control-Allow-Methods") != "GET, PUT" || h.Get("Access-Control-Allow-Headers") != "content-type, x-amz-date" ||
		h.Get("Access-Control-Max-Age") != "600" || h.Get("Access-Control-Expose-Headers") != "ETag" ||
		h.Get("Access-Control-Allow-Credentials") != "true" || !strings.Contains(h.Get("Vary"), "Origin") {
		t.Errorf("allowed preflight: %d %v", w.Code, h)
	}
	// Virtual-host style names the bucket in the host.
	if w := preflight("/key", "web", "https://app.example", "GET", ""); w.Code != 200 {
		t.Errorf("virtual-host preflight: %d", w.Code)
	}
	for _, c := range []struct {
		path, origin, method, msg string
		status                    int
	}{
		{"/web/key", "https://evil.example", "GET", "This CORS request is not allowed", 403},
		{"/web/key", "https://app.example", "DELETE", "This CORS request is not allowed", 403},
		{"/plain/key", "https://app.example", "GET", "CORS is not enabled for this bucket", 403},
		{"/web/key", "", "GET", "Origin request header needed", 400},
	} {
		w := preflight(c.path, "", c.origin, c.method, "")
		if w.Code != c.status || !strings.Contains(w.Body.String(), c.msg) || w.Header().Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s %s %s: %d %s", c.path, c.origin, c.method, w.Code, w.Body)
		}
	}
	// No bucket (or one that does not exist): the gateway answers.
	for _, p := range []string{"/", "/missing/key"} {
		r := httptest.NewRequest("OPTIONS", p, nil)
		r.Header.Set("Origin", "https://app.example")
		if f.s.CORS(httptest.NewRecorder(), r, "", true) {
			t.Errorf("%s: S3 answered a preflight for no bucket", p)
		}
	}
	// Actual requests get the matching rule's headers, or none.
	actual := func(path, origin, method string) http.Header {
		r := httptest.NewRequest(method, path, nil)
		r.Header.Set("Origin", origin)
		w := httptest.NewRecorder()
		if !f.s.CORS(w, r, "", false) {
			t.Fatalf("%s: S3 declined", path)
		}
		return w.Header()
	}
	if h := actual("/web/key", "https://app.example", "GET"); h.Get("Access-Control-Allow-Origin") != "https://app.example" || h.Get("Access-Control-Expose-Headers") != "ETag" ||
		h.Get("Access-Control-Allow-Methods") != "GET, PUT" {
		t.Errorf("actual GET: %v", h)
	}
	if h := actual("/web/key", "https://evil.example", "GET"); h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("actual from another origin: %v", h)
	}
	if h := actual("/plain/key", "https://app.example", "GET"); h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("actual on a bucket without CORS: %v", h)
	}
}
