package cfedge

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// origin is a custom origin answering "ok" with the headers it was sent
// (the test reads them back through the edge).
func origin(t *testing.T) (host string, port int) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "ok %s", r.URL.Path)
	}))
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	port, _ = strconv.Atoi(u.Port())
	return u.Hostname(), port
}

// distribution creates a distribution on the origin with extra members
// in its configuration and answers its domain.
func distribution(t *testing.T, n *framework.Niwa, ref, host string, port int, extra string) string {
	t.Helper()
	cfg := fmt.Sprintf(`{"CallerReference":%q,"Comment":"e2e","Enabled":true,%s
 "Origins":{"Quantity":1,"Items":[{"Id":"o","DomainName":%q,
   "CustomOriginConfig":{"HTTPPort":%d,"HTTPSPort":443,"OriginProtocolPolicy":"http-only"}}]},
 "DefaultCacheBehavior":{"TargetOriginId":"o","ViewerProtocolPolicy":"allow-all",
   "ForwardedValues":{"QueryString":false,"Cookies":{"Forward":"none"}},"MinTTL":0,"DefaultTTL":0,"MaxTTL":0}}`, ref, extra, host, port)
	f := filepath.Join(t.TempDir(), "d.json")
	if err := os.WriteFile(f, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var out struct{ Distribution struct{ DomainName string } }
	framework.MustJSON(t, n.MustAWS(t, "cloudfront", "create-distribution", "--distribution-config", "file://"+f), &out)
	return out.Distribution.DomainName
}

// get fetches path through the distribution at domain on niwa's port.
func get(t *testing.T, n *framework.Niwa, domain, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("GET", n.Endpoint+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = domain
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestClientCountryFromTheCommandLine: niwa started with
// --client-locations 127.0.0.1=JP places this machine in Japan, so a
// CLOUDFRONT web ACL blocking GeoMatch JP blocks it ("Request blocked.")
// and a distribution whose geo restriction whitelists only US refuses it
// with CloudFront's country page; a whitelist with JP serves it.
func TestClientCountryFromTheCommandLine(t *testing.T) {
	t.Parallel()
	framework.RequireClient(t, "aws CLI", "aws", "--version")
	n := framework.StartBinary(t, "--client-locations", "10.0.0.0/8=US,127.0.0.1=JP", "--client-country", "FR")
	host, port := origin(t)
	rules := `[{"Name":"no-japan","Priority":0,"Action":{"Block":{}},
  "Statement":{"GeoMatchStatement":{"CountryCodes":["JP"]}},
  "VisibilityConfig":{"SampledRequestsEnabled":false,"CloudWatchMetricsEnabled":false,"MetricName":"noJapan"}}]`
	var acl struct{ Summary struct{ ARN string } }
	framework.MustJSON(t, n.MustAWS(t, "wafv2", "create-web-acl", "--region", "us-east-1", "--scope", "CLOUDFRONT", "--name", "geo",
		"--default-action", "Allow={}", "--rules", rules,
		"--visibility-config", "SampledRequestsEnabled=false,CloudWatchMetricsEnabled=false,MetricName=geo"), &acl)
	waf := distribution(t, n, "waf", host, port, `"WebACLId":"`+acl.Summary.ARN+`",`)
	if status, body := get(t, n, waf, "/x"); status != 403 || !strings.Contains(body, "Request blocked.") {
		t.Fatalf("GeoMatch JP through the web ACL: %d %s", status, body)
	}
	us := distribution(t, n, "us", host, port, `"Restrictions":{"GeoRestriction":{"RestrictionType":"whitelist","Quantity":1,"Items":["US"]}},`)
	if status, body := get(t, n, us, "/x"); status != 403 || !strings.Contains(body, "The Amazon CloudFront distribution is configured to block access from your country.") {
		t.Fatalf("whitelist US: %d %s", status, body)
	}
	jp := distribution(t, n, "jp", host, port, `"Restrictions":{"GeoRestriction":{"RestrictionType":"whitelist","Quantity":2,"Items":["US","JP"]}},`)
	if status, body := get(t, n, jp, "/x"); status != 200 || body != "ok /x" {
		t.Fatalf("whitelist JP: %d %s", status, body)
	}
}
