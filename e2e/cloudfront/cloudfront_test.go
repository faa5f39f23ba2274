package cloudfront

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// origin is a custom origin answering its path, query and the x-api-key
// header it got, cacheable for a minute.
func origin(t *testing.T) (host string, port int) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "%s?%s key=%s", r.URL.Path, r.URL.RawQuery, r.Header.Get("x-api-key"))
	}))
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	h, p, _ := strings.Cut(u.Host, ":")
	port, _ = strconv.Atoi(p)
	return h, port
}

func distConfig(ref, host string, port int, viewer string) string {
	return fmt.Sprintf(`{"CallerReference":%q,"Comment":"e2e","Enabled":true,
 "Origins":{"Quantity":1,"Items":[{"Id":"api","DomainName":%q,"OriginPath":"/prod",
   "CustomHeaders":{"Quantity":1,"Items":[{"HeaderName":"x-api-key","HeaderValue":"k-123"}]},
   "CustomOriginConfig":{"HTTPPort":%d,"HTTPSPort":443,"OriginProtocolPolicy":"http-only"}}]},
 "DefaultCacheBehavior":{"TargetOriginId":"api","ViewerProtocolPolicy":%q,
   "ForwardedValues":{"QueryString":true,"Cookies":{"Forward":"none"}},"MinTTL":0}}`, ref, host, port, viewer)
}

type distOut struct {
	ETag         string
	Distribution struct {
		Id, ARN, Status, DomainName string
	}
}

// TestDistributionAPI: with each CLI, a distribution's life as AWS runs
// it: InProgress, If-Match versions on update and delete, a delete
// refused while enabled, tags, invalidations, managed policies, and
// CloudFront Functions refused with a reason.
func TestDistributionAPI(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	host, port := origin(t)
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			cfgFile := filepath.Join(dir, "d.json")
			if err := os.WriteFile(cfgFile, []byte(distConfig("e2e-"+cli.Name, host, port, "allow-all")), 0o600); err != nil {
				t.Fatal(err)
			}
			var d distOut
			if err := json.Unmarshal([]byte(n.MustCLI(t, cli, "cloudfront", "create-distribution", "--distribution-config", "file://"+cfgFile)), &d); err != nil {
				t.Fatal(err)
			}
			if d.Distribution.Status != "InProgress" || !strings.HasSuffix(d.Distribution.DomainName, ".cloudfront.localhost") || d.ETag == "" {
				t.Fatalf("created %+v", d)
			}
			id := d.Distribution.Id
			// The config round-trips for an update.
			var got struct {
				ETag               string
				DistributionConfig json.RawMessage
			}
			if err := json.Unmarshal([]byte(n.MustCLI(t, cli, "cloudfront", "get-distribution-config", "--id", id)), &got); err != nil {
				t.Fatal(err)
			}
			if got.ETag != d.ETag {
				t.Fatalf("ETag %s, want %s", got.ETag, d.ETag)
			}
			disabled := strings.Replace(string(got.DistributionConfig), `"Enabled": true`, `"Enabled": false`, 1)
			if disabled == string(got.DistributionConfig) {
				t.Fatalf("no Enabled in %s", got.DistributionConfig)
			}
			if err := os.WriteFile(cfgFile, []byte(disabled), 0o600); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				args []string
				want string
			}{
				{[]string{"update-distribution", "--id", id, "--distribution-config", "file://" + cfgFile}, "(InvalidIfMatchVersion)"},
				{[]string{"update-distribution", "--id", id, "--if-match", "ESTALE", "--distribution-config", "file://" + cfgFile}, "(PreconditionFailed)"},
				{[]string{"delete-distribution", "--id", id, "--if-match", d.ETag}, "(DistributionNotDisabled)"},
				{[]string{"get-distribution", "--id", "ENOSUCHDIST"}, "(NoSuchDistribution)"},
				{[]string{"list-functions"}, "(NotImplemented)"},
			} {
				_, errOut, err := n.RunCLI(t, cli, nil, append([]string{"cloudfront"}, c.args...)...)
				if err == nil || !strings.Contains(errOut, c.want) {
					t.Fatalf("%v: %v %s, want %s", c.args, err, errOut, c.want)
				}
			}
			up := n.MustCLI(t, cli, "cloudfront", "update-distribution", "--id", id, "--if-match", d.ETag, "--distribution-config", "file://"+cfgFile)
			if !strings.Contains(up, `"Enabled": false`) {
				t.Fatalf("update: %s", up)
			}
			n.MustCLI(t, cli, "cloudfront", "tag-resource", "--resource", d.Distribution.ARN, "--tags", "Items=[{Key=team,Value=edge}]")
			if tags := n.MustCLI(t, cli, "cloudfront", "list-tags-for-resource", "--resource", d.Distribution.ARN); !strings.Contains(tags, `"edge"`) {
				t.Fatalf("tags: %s", tags)
			}
			inv := n.MustCLI(t, cli, "cloudfront", "create-invalidation", "--distribution-id", id, "--paths", "/a", "/b/*")
			if !strings.Contains(inv, `"InProgress"`) {
				t.Fatalf("invalidation: %s", inv)
			}
			pol := n.MustCLI(t, cli, "cloudfront", "list-cache-policies", "--type", "managed")
			if !strings.Contains(pol, "658327ea-f89d-4fab-a63d-7e88639e58f6") || !strings.Contains(pol, "Managed-CachingOptimized") {
				t.Fatalf("managed cache policies: %s", pol)
			}
		})
	}
}

// TestEdgeHTTPAndHTTPS: the distribution's domain is served on niwa's
// port and on --https-port with a certificate from niwa's CA for
// *.cloudfront.localhost, which curl verifies with the root from
// /_niwa/ca.pem; the origin gets OriginPath, the query string and the
// custom header; the second fetch is a cache hit; an https-only behaviour
// refuses plain HTTP; an alternate domain name is served over TLS with
// its ACM certificate, picked by SNI.
func TestEdgeHTTPAndHTTPS(t *testing.T) {
	t.Parallel()
	framework.RequireClient(t, "curl", "curl", "--version")
	httpsPort := framework.FreePort(t)
	n := framework.StartBinary(t, "--https-port", strconv.Itoa(httpsPort))
	host, port := origin(t)
	cfgFile := filepath.Join(t.TempDir(), "d.json")
	if err := os.WriteFile(cfgFile, []byte(distConfig("edge", host, port, "https-only")), 0o600); err != nil {
		t.Fatal(err)
	}
	var d distOut
	if err := json.Unmarshal([]byte(n.MustAWS(t, "cloudfront", "create-distribution", "--distribution-config", "file://"+cfgFile)), &d); err != nil {
		t.Fatal(err)
	}
	dom := d.Distribution.DomainName
	resp, err := http.Get(n.Endpoint + "/_niwa/ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	rootPEM, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	root := filepath.Join(t.TempDir(), "root.pem")
	if err := os.WriteFile(root, rootPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	curl := func(scheme string, p int, path string) (string, string) {
		t.Helper()
		hdr := filepath.Join(t.TempDir(), "h")
		out, err := exec.Command("curl", "-sS", "--cacert", root, "-D", hdr, "--resolve", dom+":"+strconv.Itoa(p)+":127.0.0.1",
			scheme+"://"+dom+":"+strconv.Itoa(p)+path).CombinedOutput()
		if err != nil {
			t.Fatalf("curl %s: %v\n%s", path, err, out)
		}
		h, _ := os.ReadFile(hdr)
		return string(out), string(h)
	}
	body, h := curl("https", httpsPort, "/items?id=7")
	if body != "/prod/items?id=7 key=k-123" || !strings.Contains(h, "X-Cache: Miss from cloudfront") || !strings.Contains(h, "X-Amz-Cf-Pop:") {
		t.Fatalf("https fetch: %q\n%s", body, h)
	}
	if body, h = curl("https", httpsPort, "/items?id=7"); !strings.Contains(h, "X-Cache: Hit from cloudfront") || !strings.Contains(h, "Age:") {
		t.Fatalf("second fetch: %q\n%s", body, h)
	}
	// An alternate domain name over TLS with its own ACM certificate
	// (imported): the listener picks it by SNI.
	framework.RequireClient(t, "openssl", "openssl", "version")
	dir := t.TempDir()
	alias := "cdn.example.test"
	if out, err := exec.Command("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", filepath.Join(dir, "k.pem"),
		"-out", filepath.Join(dir, "c.pem"), "-subj", "/CN="+alias, "-addext", "subjectAltName=DNS:"+alias, "-days", "30").CombinedOutput(); err != nil {
		t.Fatalf("openssl: %v\n%s", err, out)
	}
	// CloudFront takes ACM certificates from us-east-1 only.
	certARN := strings.TrimSpace(n.MustAWS(t, "acm", "import-certificate", "--region", "us-east-1", "--certificate", "fileb://"+filepath.Join(dir, "c.pem"),
		"--private-key", "fileb://"+filepath.Join(dir, "k.pem"), "--query", "CertificateArn", "--output", "text"))
	aliased := strings.Replace(distConfig("alias", host, port, "allow-all"), `"Enabled":true,`,
		`"Enabled":true,"Aliases":{"Quantity":1,"Items":["`+alias+`"]},"ViewerCertificate":{"ACMCertificateArn":"`+certARN+`","SSLSupportMethod":"sni-only","MinimumProtocolVersion":"TLSv1.2_2021"},`, 1)
	if err := os.WriteFile(cfgFile, []byte(aliased), 0o600); err != nil {
		t.Fatal(err)
	}
	n.MustAWS(t, "cloudfront", "create-distribution", "--distribution-config", "file://"+cfgFile)
	out, err := exec.Command("curl", "-sS", "--cacert", filepath.Join(dir, "c.pem"), "--resolve", alias+":"+strconv.Itoa(httpsPort)+":127.0.0.1",
		"https://"+alias+":"+strconv.Itoa(httpsPort)+"/via-alias").CombinedOutput()
	if err != nil || string(out) != "/prod/via-alias? key=k-123" {
		t.Fatalf("alias over TLS with its ACM certificate: %v\n%s", err, out)
	}

	endpoint, _ := url.Parse(n.Endpoint)
	mainPort, _ := strconv.Atoi(endpoint.Port())
	if body, h = curl("http", mainPort, "/items"); !strings.HasPrefix(h, "HTTP/1.1 403") || !strings.Contains(body, "<Code>AccessDenied</Code>") {
		t.Fatalf("https-only over http: %q\n%s", body, h)
	}
}
