package cloudfront

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"

	cfapi "github.com/niwa-cloud/niwa/internal/api/cloudfront"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// customEdge is a distribution on a custom origin (a test server that
// answers body with content type ct for every path) whose default
// behaviour is changed by mod.
func customEdge(t *testing.T, opt Options, body, ct string, mod func(*cfapi.DistributionConfig)) (http.Handler, string) {
	t.Helper()
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Header().Set("ETag", `"v1"`)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(origin.Close)
	u, _ := url.Parse(origin.URL)
	p, _ := strconv.Atoi(u.Port())
	h := servicetest.New(t, "cloudfront")
	opt.Store = h.Store()
	if opt.Clock == nil {
		opt.Clock = h.Clock
	}
	s := New(opt)
	cfg := config("r", cfapi.Origin{Id: ptr.To("o"), DomainName: ptr.To(u.Hostname()),
		CustomOriginConfig: &cfapi.CustomOriginConfig{HTTPPort: ptr.To(int32(p)), HTTPSPort: ptr.To(int32(443)), OriginProtocolPolicy: ptr.To("http-only")}})
	mod(cfg)
	d, err := s.CreateDistribution20200531(h.Ctx(), &cfapi.CreateDistributionRequest{DistributionConfig: cfg})
	if err != nil {
		t.Fatal(err)
	}
	return s.edge(), *d.Distribution.DomainName
}

func call(h http.Handler, host, method, target, remote string, hdr map[string]string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, nil)
	r.Host = host
	if remote != "" {
		r.RemoteAddr = remote
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestEdgeCompression: with Compress, a text body of 1,000 bytes or more
// is served Brotli-encoded to a viewer accepting br (preferred), gzip to
// one accepting only gzip, as is to others; a cached copy too; images
// and small bodies never; without Compress never.
func TestEdgeCompression(t *testing.T) {
	text := strings.Repeat("niwa garden ", 200)
	for _, tc := range []struct {
		name, body, ct, accept string
		compress               bool
		want                   string
	}{
		{"br preferred", text, "text/plain; charset=utf-8", "gzip, deflate, br", true, "br"},
		{"gzip", text, "application/json", "gzip", true, "gzip"},
		{"gzip refused with q=0", text, "application/json", "gzip;q=0", true, ""},
		{"identity viewer", text, "text/html", "", true, ""},
		{"image", text, "image/png", "gzip, br", true, ""},
		{"under 1000 bytes", text[:999], "text/plain", "gzip, br", true, ""},
		{"Compress off", text, "text/plain", "gzip, br", false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			edge, host := customEdge(t, Options{}, tc.body, tc.ct, func(c *cfapi.DistributionConfig) {
				c.DefaultCacheBehavior.Compress = ptr.To(tc.compress)
			})
			for i, want := range []string{"Miss from cloudfront", "Hit from cloudfront"} {
				w := call(edge, host, "GET", "/x", "", map[string]string{"Accept-Encoding": tc.accept})
				if w.Code != 200 || w.Header().Get("X-Cache") != want || w.Header().Get("Content-Encoding") != tc.want {
					t.Fatalf("request %d: %d %v", i, w.Code, w.Header())
				}
				var got []byte
				var err error
				switch tc.want {
				case "br":
					got, err = io.ReadAll(brotli.NewReader(w.Body))
				case "gzip":
					var zr *gzip.Reader
					if zr, err = gzip.NewReader(w.Body); err == nil {
						got, err = io.ReadAll(zr)
					}
				default:
					got = w.Body.Bytes()
				}
				if err != nil || !bytes.Equal(got, []byte(tc.body)) {
					t.Fatalf("request %d: body %d bytes, %v", i, len(got), err)
				}
				if tc.want != "" && (w.Header().Get("Content-Length") != "" || w.Header().Get("ETag") != `W/"v1"` || w.Header().Get("Vary") != "Accept-Encoding") {
					t.Fatalf("compressed headers %v", w.Header())
				}
			}
		})
	}
}

// TestEdgeGeoRestriction: a blacklist refuses its countries and a
// whitelist every other, with CloudFront's 403 page; a viewer of unknown
// country is served.
func TestEdgeGeoRestriction(t *testing.T) {
	country := func(a netip.Addr) string {
		return map[string]string{"192.0.2.1": "JP", "192.0.2.2": "US"}[a.String()]
	}
	for _, tc := range []struct {
		kind  string
		items []string
		want  map[string]int
	}{
		{"blacklist", []string{"JP"}, map[string]int{"192.0.2.1": 403, "192.0.2.2": 200, "192.0.2.3": 200}},
		{"whitelist", []string{"jp"}, map[string]int{"192.0.2.1": 200, "192.0.2.2": 403, "192.0.2.3": 200}},
		{"none", nil, map[string]int{"192.0.2.1": 200, "192.0.2.2": 200}},
	} {
		edge, host := customEdge(t, Options{Country: country}, "ok", "text/plain", func(c *cfapi.DistributionConfig) {
			c.Restrictions = &cfapi.Restrictions{GeoRestriction: &cfapi.GeoRestriction{RestrictionType: ptr.To(tc.kind),
				Quantity: ptr.To(int32(len(tc.items))), Items: tc.items}}
		})
		for ip, want := range tc.want {
			w := call(edge, host, "GET", "/", ip+":5000", nil)
			if w.Code != want {
				t.Fatalf("%s %s: %d, want %d", tc.kind, ip, w.Code, want)
			}
			if want == 403 && (!strings.Contains(w.Body.String(), "configured to block access from your country") ||
				w.Header().Get("X-Cache") != "Error from cloudfront" || w.Header().Get("Content-Type") != "text/html") {
				t.Fatalf("%s %s: %v %s", tc.kind, ip, w.Header(), w.Body)
			}
		}
	}
}

// TestEdgeMethodNotAllowedPage: a method outside the behaviour's allowed
// methods gets CloudFront's 403 HTML page.
func TestEdgeMethodNotAllowedPage(t *testing.T) {
	edge, host := customEdge(t, Options{}, "ok", "text/plain", func(*cfapi.DistributionConfig) {})
	w := call(edge, host, "POST", "/items", "", nil)
	if w.Code != 403 || !strings.Contains(w.Body.String(), "<H1>403 ERROR</H1>") ||
		!strings.Contains(w.Body.String(), "This distribution is not configured to allow the HTTP request method that was used for this request.") ||
		w.Header().Get("Content-Type") != "text/html" {
		t.Fatalf("%d %v %s", w.Code, w.Header(), w.Body)
	}
}

// TestEdgeOriginFailover: an origin group's secondary answers GET when
// the primary answers one of the failover status codes or cannot be
// reached; other statuses, and POST, stay with the primary.
func TestEdgeOriginFailover(t *testing.T) {
	primary := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/down":
			w.WriteHeader(http.StatusServiceUnavailable)
		case "/missing":
			w.WriteHeader(http.StatusNotFound)
		}
		_, _ = io.WriteString(w, "primary")
	}))
	defer primary.Close()
	secondary := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "secondary") }))
	defer secondary.Close()
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close() // nothing listens there any more
	origin := func(id, raw string) cfapi.Origin {
		u, _ := url.Parse(raw)
		p, _ := strconv.Atoi(u.Port())
		return cfapi.Origin{Id: ptr.To(id), DomainName: ptr.To(u.Hostname()),
			CustomOriginConfig: &cfapi.CustomOriginConfig{HTTPPort: ptr.To(int32(p)), HTTPSPort: ptr.To(int32(443)), OriginProtocolPolicy: ptr.To("http-only")}}
	}
	group := func(id, first string) cfapi.OriginGroup {
		return cfapi.OriginGroup{Id: ptr.To(id),
			FailoverCriteria: &cfapi.OriginGroupFailoverCriteria{StatusCodes: &cfapi.StatusCodes{Quantity: ptr.To(int32(2)), Items: []int32{500, 503}}},
			Members:          &cfapi.OriginGroupMembers{Quantity: ptr.To(int32(2)), Items: []cfapi.OriginGroupMember{{OriginId: ptr.To(first)}, {OriginId: ptr.To("b")}}}}
	}
	h := servicetest.New(t, "cloudfront")
	s := New(Options{Store: h.Store(), Clock: h.Clock})
	cfg := config("r", origin("a", primary.URL), origin("b", secondary.URL), origin("gone", gone.URL))
	cfg.OriginGroups = &cfapi.OriginGroups{Quantity: ptr.To(int32(2)), Items: []cfapi.OriginGroup{group("g", "a"), group("g2", "gone")}}
	cfg.DefaultCacheBehavior.TargetOriginId = ptr.To("g")
	cfg.DefaultCacheBehavior.AllowedMethods = &cfapi.AllowedMethods{Quantity: ptr.To(int32(7)),
		Items: []string{"GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"}}
	cfg.CacheBehaviors = &cfapi.CacheBehaviors{Quantity: ptr.To(int32(1)), Items: []cfapi.CacheBehavior{
		{PathPattern: ptr.To("/unreachable"), TargetOriginId: ptr.To("g2"), ViewerProtocolPolicy: ptr.To("allow-all")}}}
	d, err := s.CreateDistribution20200531(h.Ctx(), &cfapi.CreateDistributionRequest{DistributionConfig: cfg})
	if err != nil {
		t.Fatal(err)
	}
	edge := s.edge()
	for _, tc := range []struct{ method, path, want string }{
		{"GET", "/ok", "primary"},
		{"GET", "/down", "secondary"},
		{"GET", "/missing", "primary"},
		{"POST", "/down", "primary"},
		{"GET", "/unreachable", "secondary"},
	} {
		w := call(edge, *d.Distribution.DomainName, tc.method, tc.path, "", nil)
		if w.Body.String() != tc.want {
			t.Fatalf("%s %s: %d %q, want %s", tc.method, tc.path, w.Code, w.Body, tc.want)
		}
	}
}
