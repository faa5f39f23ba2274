package waf

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func jsonOut(t *testing.T, out string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return m
}

// listenerAddr finds the address niwa opened for a listener.
func listenerAddr(t *testing.T, n *framework.Niwa, listener string) string {
	t.Helper()
	resp, err := http.Get(n.Endpoint + "/_niwa/elb/listeners")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var out struct {
		Listeners []struct{ ListenerArn, Address string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	for _, l := range out.Listeners {
		if l.ListenerArn == listener {
			return l.Address
		}
	}
	t.Fatalf("listener %s has no port: %+v", listener, out)
	return ""
}

// TestWebACLOnALB: a REGIONAL web ACL allowing only callers in an IP set
// AND with an X-Api-Key header, Block by default, associated with an
// application load balancer with a local IP target: the allowed request
// reaches the target (200), the others get AWS WAF's 403 page without
// reaching it; after DisassociateWebACL everything passes again.
func TestWebACLOnALB(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	hits := make(chan string, 16)
	target := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			hits <- r.Header.Get("X-Api-Key")
		}
		_, _ = io.WriteString(w, "from target")
	}), ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = target.Serve(ln) }()
	t.Cleanup(func() { _ = target.Close() })
	_, tport, _ := net.SplitHostPort(ln.Addr().String())

	vpcs := jsonOut(t, n.MustAWS(t, "ec2", "describe-vpcs", "--filters", "Name=isDefault,Values=true"))
	vpc := vpcs["Vpcs"].([]any)[0].(map[string]any)["VpcId"].(string)
	var subs []string
	for _, s := range jsonOut(t, n.MustAWS(t, "ec2", "describe-subnets", "--filters", "Name=vpc-id,Values="+vpc))["Subnets"].([]any)[:2] {
		subs = append(subs, s.(map[string]any)["SubnetId"].(string))
	}
	lbARN := jsonOut(t, n.MustAWS(t, "elbv2", "create-load-balancer", "--name", "guarded", "--subnets", subs[0], subs[1]))["LoadBalancers"].([]any)[0].(map[string]any)["LoadBalancerArn"].(string)
	tg := jsonOut(t, n.MustAWS(t, "elbv2", "create-target-group", "--name", "web", "--protocol", "HTTP", "--port", tport, "--vpc-id", vpc,
		"--target-type", "ip", "--health-check-path", "/health"))["TargetGroups"].([]any)[0].(map[string]any)["TargetGroupArn"].(string)
	n.MustAWS(t, "elbv2", "register-targets", "--target-group-arn", tg, "--targets", "Id=127.0.0.1")
	listener := jsonOut(t, n.MustAWS(t, "elbv2", "create-listener", "--load-balancer-arn", lbARN, "--protocol", "HTTP", "--port", "80",
		"--default-actions", "Type=forward,TargetGroupArn="+tg))["Listeners"].([]any)[0].(map[string]any)["ListenerArn"].(string)
	framework.WaitUntil(t, 60*time.Second, func() bool {
		n.AdvanceClock(t, 5*time.Minute)
		for _, d := range jsonOut(t, n.MustAWS(t, "elbv2", "describe-target-health", "--target-group-arn", tg))["TargetHealthDescriptions"].([]any) {
			if d.(map[string]any)["TargetHealth"].(map[string]any)["State"] != "healthy" {
				return false
			}
		}
		return true
	}, "target healthy")

	set := jsonOut(t, n.MustAWS(t, "wafv2", "create-ip-set", "--scope", "REGIONAL", "--name", "local",
		"--ip-address-version", "IPV4", "--addresses", "127.0.0.1/32"))["Summary"].(map[string]any)["ARN"].(string)
	rules := `[{"Name":"allow-local-with-key","Priority":0,"Action":{"Allow":{}},
  "VisibilityConfig":{"SampledRequestsEnabled":false,"CloudWatchMetricsEnabled":false,"MetricName":"allow"},
  "Statement":{"AndStatement":{"Statements":[
    {"IPSetReferenceStatement":{"ARN":"` + set + `"}},
    {"ByteMatchStatement":{"SearchString":"let-me-in","FieldToMatch":{"SingleHeader":{"Name":"x-api-key"}},
      "TextTransformations":[{"Priority":0,"Type":"LOWERCASE"}],"PositionalConstraint":"EXACTLY"}}]}}}]`
	rulesFile := filepath.Join(t.TempDir(), "rules.json")
	if err := os.WriteFile(rulesFile, []byte(rules), 0o600); err != nil {
		t.Fatal(err)
	}
	acl := jsonOut(t, n.MustAWS(t, "wafv2", "create-web-acl", "--scope", "REGIONAL", "--name", "api", "--default-action", "Block={}",
		"--rules", "file://"+rulesFile, "--visibility-config", "SampledRequestsEnabled=false,CloudWatchMetricsEnabled=false,MetricName=api"))["Summary"].(map[string]any)["ARN"].(string)
	n.MustAWS(t, "wafv2", "associate-web-acl", "--web-acl-arn", acl, "--resource-arn", lbARN)
	got := jsonOut(t, n.MustAWS(t, "wafv2", "get-web-acl-for-resource", "--resource-arn", lbARN))
	if got["WebACL"].(map[string]any)["ARN"] != acl {
		t.Fatalf("GetWebACLForResource: %v", got)
	}
	listed := jsonOut(t, n.MustAWS(t, "wafv2", "list-resources-for-web-acl", "--web-acl-arn", acl))
	if fmt.Sprint(listed["ResourceArns"]) != "["+lbARN+"]" {
		t.Fatalf("ListResourcesForWebACL: %v", listed)
	}

	addr := listenerAddr(t, n, listener)
	get := func(key string) (int, string) {
		t.Helper()
		r, err := http.NewRequest("GET", "http://"+addr+"/orders", nil)
		if err != nil {
			t.Fatal(err)
		}
		r.Host = "guarded.example.com"
		if key != "" {
			r.Header.Set("X-Api-Key", key)
		}
		resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("Let-Me-In"); code != 200 || body != "from target" {
		t.Fatalf("allowed request: %d %q", code, body)
	}
	if k := <-hits; k != "Let-Me-In" {
		t.Fatalf("target saw key %q", k)
	}
	for _, key := range []string{"", "wrong"} {
		code, body := get(key)
		if code != 403 || !strings.Contains(body, "<center><h1>403 Forbidden</h1></center>") {
			t.Fatalf("key %q: %d %q", key, code, body)
		}
	}
	select {
	case k := <-hits:
		t.Fatalf("a blocked request reached the target (key %q)", k)
	default:
	}
	n.MustAWS(t, "wafv2", "disassociate-web-acl", "--resource-arn", lbARN)
	if code, _ := get(""); code != 200 {
		t.Fatalf("after disassociation: %d", code)
	}
}
