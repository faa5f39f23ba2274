package waf

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestWebACLOnDistribution: S18's edge rule with the aws CLI — a web ACL
// of scope CLOUDFRONT allowing only callers in an IP set AND with a given
// Authorization header, Block by default, named by the distribution's
// WebACLId: the allowed caller gets the origin's answer, the others
// CloudFront's 403 "Request blocked.", before the cache.
// Scope CLOUDFRONT lives in us-east-1, as AWS requires (--region).
func TestWebACLOnDistribution(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	dir := t.TempDir()
	var set struct{ Summary struct{ ARN string } }
	if err := json.Unmarshal([]byte(n.MustAWS(t, "wafv2", "--region", "us-east-1", "create-ip-set", "--scope", "CLOUDFRONT", "--name", "callers",
		"--ip-address-version", "IPV4", "--addresses", "127.0.0.1/32")), &set); err != nil {
		t.Fatal(err)
	}
	rules := `[{"Name":"allow-callers","Priority":0,"Action":{"Allow":{}},
  "VisibilityConfig":{"SampledRequestsEnabled":false,"CloudWatchMetricsEnabled":false,"MetricName":"allow"},
  "Statement":{"AndStatement":{"Statements":[
    {"IPSetReferenceStatement":{"ARN":"` + set.Summary.ARN + `"}},
    {"ByteMatchStatement":{"SearchString":"Bearer let-me-in","FieldToMatch":{"SingleHeader":{"Name":"authorization"}},
      "TextTransformations":[{"Priority":0,"Type":"NONE"}],"PositionalConstraint":"EXACTLY"}}]}}}]`
	rulesFile := filepath.Join(dir, "rules.json")
	if err := os.WriteFile(rulesFile, []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	var acl struct{ Summary struct{ ARN string } }
	if err := json.Unmarshal([]byte(n.MustAWS(t, "wafv2", "--region", "us-east-1", "create-web-acl", "--scope", "CLOUDFRONT", "--name", "edge",
		"--default-action", "Block={}", "--rules", "file://"+rulesFile,
		"--visibility-config", "SampledRequestsEnabled=false,CloudWatchMetricsEnabled=false,MetricName=edge")), &acl); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "origin:"+r.URL.Path)
	}))
	defer srv.Close()
	host, port, _ := strings.Cut(strings.TrimPrefix(srv.URL, "http://"), ":")
	cfg := `{"CallerReference":"waf","Comment":"e2e","Enabled":true,"WebACLId":"` + acl.Summary.ARN + `",
 "Origins":{"Quantity":1,"Items":[{"Id":"api","DomainName":"` + host + `","OriginPath":"/prod",
   "CustomOriginConfig":{"HTTPPort":` + port + `,"HTTPSPort":443,"OriginProtocolPolicy":"http-only"}}]},
 "DefaultCacheBehavior":{"TargetOriginId":"api","ViewerProtocolPolicy":"allow-all",
   "ForwardedValues":{"QueryString":false,"Cookies":{"Forward":"none"}},"MinTTL":0}}`
	cfgFile := filepath.Join(dir, "d.json")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var d struct{ Distribution struct{ DomainName string } }
	if err := json.Unmarshal([]byte(n.MustAWS(t, "cloudfront", "create-distribution", "--distribution-config", "file://"+cfgFile)), &d); err != nil {
		t.Fatal(err)
	}
	get := func(auth string) (int, string) {
		req, _ := http.NewRequest("GET", n.Endpoint+"/items", nil)
		req.Host = d.Distribution.DomainName
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		_, _ = io.Copy(&b, resp.Body)
		return resp.StatusCode, b.String()
	}
	if code, body := get("Bearer let-me-in"); code != 200 || !strings.Contains(body, "/prod/items") {
		t.Fatalf("allowed caller: %d %s", code, body)
	}
	if code, body := get("Bearer wrong"); code != 403 || !strings.Contains(body, "Request blocked.") {
		t.Fatalf("wrong header: %d %s", code, body)
	}
	if code, body := get(""); code != 403 || !strings.Contains(body, "Request blocked.") {
		t.Fatalf("no header (the allowed answer is cached, WAF comes first): %d %s", code, body)
	}
}
