package server

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSelfTransport: a request to one of AWS's hosts (an API Gateway
// stage, say) or a name a service hands out is served by niwa's gateway
// in process — over "TLS" when https, with its Host and headers, the
// body streamed back — and any other host goes to the network.
func TestSelfTransport(t *testing.T) {
	gw := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Seen-Host", r.Host)
		w.Header().Set("X-Seen-TLS", map[bool]string{true: "yes", false: "no"}[r.TLS != nil])
		w.WriteHeader(http.StatusTeapot)
		_, _ = io.WriteString(w, r.Header.Get("X-Api-Key")+" "+r.URL.RequestURI())
	})
	netSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "network") }))
	defer netSrv.Close()
	names := &endpointNames{}
	names.add(func(n string) (bool, error) { return n == "my-lb-1.elb.internal.test", nil }, nil)
	tr := selfTransport{gateway: func() http.Handler { return gw }, names: names, next: http.DefaultTransport,
		endpoint: func() string { return "http://127.0.0.1:4566" }}
	c := &http.Client{Transport: tr}
	for _, tc := range []struct{ url, host, tls string }{
		{"https://abcdefghij.execute-api.ap-northeast-1.amazonaws.com/prod/items?key=k1", "abcdefghij.execute-api.ap-northeast-1.amazonaws.com", "yes"},
		{"http://my-lb-1.elb.internal.test/x?key=k1", "my-lb-1.elb.internal.test", "no"},
		{"http://bucket.s3-website.localhost:4566/x?key=k1", "bucket.s3-website.localhost:4566", "no"},
		{"https://abcdefghij.execute-api.localhost/prod/x?key=k1", "abcdefghij.execute-api.localhost", "yes"},
		{"http://127.0.0.1:4566/restapis/x?key=k1", "127.0.0.1:4566", "no"},
	} {
		req, _ := http.NewRequest("GET", tc.url, nil)
		req.Header.Set("X-Api-Key", "secret")
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusTeapot || resp.Header.Get("X-Seen-Host") != tc.host || resp.Header.Get("X-Seen-TLS") != tc.tls ||
			!strings.HasPrefix(string(body), "secret /") || !strings.HasSuffix(string(body), "?key=k1") {
			t.Fatalf("%s: %d %v %q", tc.url, resp.StatusCode, resp.Header, body)
		}
	}
	resp, err := c.Get(netSrv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if string(body) != "network" {
		t.Fatalf("a host of the network was served in process: %q", body)
	}
}
