// Package elb drives Elastic Load Balancing (v2 and Classic) through the
// real aws CLIs against the built niwa: AWS's errors, a network load
// balancer passing TCP through, and an HTTPS listener terminating TLS
// with an imported ACM certificate.
package elb

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }

func jsonOut(t *testing.T, out string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	return m
}

// subnets returns the default VPC and two of its subnets.
func subnets(t *testing.T, n *framework.Niwa) (string, []string) {
	t.Helper()
	vpcs := jsonOut(t, n.MustAWS(t, "ec2", "describe-vpcs", "--filters", "Name=isDefault,Values=true"))
	vpc := vpcs["Vpcs"].([]any)[0].(map[string]any)["VpcId"].(string)
	subs := jsonOut(t, n.MustAWS(t, "ec2", "describe-subnets", "--filters", "Name=vpc-id,Values="+vpc))
	var ids []string
	for _, s := range subs["Subnets"].([]any)[:2] {
		ids = append(ids, s.(map[string]any)["SubnetId"].(string))
	}
	return vpc, ids
}

// TestErrorsThroughCLIs: both CLI versions reach the right service
// (Classic and v2 share a signing name) and get AWS's errors.
func TestErrorsThroughCLIs(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			cases := []struct {
				args []string
				want string
			}{
				{[]string{"elbv2", "describe-load-balancers", "--names", "nope"}, "An error occurred (LoadBalancerNotFound) when calling the DescribeLoadBalancers operation: Load balancers '[nope]' not found"},
				{[]string{"elbv2", "create-load-balancer", "--name", "gw", "--type", "gateway", "--subnets", "subnet-1"}, "(ValidationError) when calling the CreateLoadBalancer operation: niwa does not support gateway load balancers"},
				{[]string{"elbv2", "describe-target-groups", "--target-group-arns", "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/x/0123456789abcdef"}, "(TargetGroupNotFound)"},
				{[]string{"elb", "describe-load-balancers", "--load-balancer-names", "nope"}, "An error occurred (LoadBalancerNotFound) when calling the DescribeLoadBalancers operation: There is no ACTIVE Load Balancer named 'nope'"},
			}
			for _, c := range cases {
				_, errOut, err := n.RunCLI(t, cli, nil, c.args...)
				if err == nil || !strings.Contains(errOut, c.want) {
					t.Errorf("aws %s: %v\n%s\nwant %s", strings.Join(c.args, " "), err, errOut, c.want)
				}
			}
			for _, svc := range []string{"elb", "elbv2"} {
				out := n.MustCLI(t, cli, svc, "describe-load-balancers")
				if !strings.Contains(out, "LoadBalancer") {
					t.Errorf("%s describe-load-balancers: %s", svc, out)
				}
			}
		})
	}
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

func port(t *testing.T, addr string) string {
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// waitHealthy moves the clock until every target of tg is healthy: five
// minutes at a time, enough for the default thresholds (5 checks every
// 30 s), which the checker then runs back to back.
func waitHealthy(t *testing.T, n *framework.Niwa, tg string) {
	t.Helper()
	framework.WaitUntil(t, 60*time.Second, func() bool {
		n.AdvanceClock(t, 5*time.Minute)
		out := jsonOut(t, n.MustAWS(t, "elbv2", "describe-target-health", "--target-group-arn", tg))
		for _, d := range out["TargetHealthDescriptions"].([]any) {
			if d.(map[string]any)["TargetHealth"].(map[string]any)["State"] != "healthy" {
				return false
			}
		}
		return true
	}, "targets healthy")
}

// TestNLBPassesTCP: a network load balancer's TCP listener passes bytes
// through to its target, once the TCP health check makes it healthy.
func TestNLBPassesTCP(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = echo.Close() })
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() {
				defer func() { _ = c.Close() }()
				line, _ := bufio.NewReader(c).ReadString('\n')
				_, _ = io.WriteString(c, "echo:"+line)
			}()
		}
	}()
	vpc, subs := subnets(t, n)
	lb := jsonOut(t, n.MustAWS(t, "elbv2", "create-load-balancer", "--name", "nlb", "--type", "network", "--subnets", subs[0]))["LoadBalancers"].([]any)[0].(map[string]any)
	nlbZones := map[string]string{"us-east-1": "Z26RNL4JYFTOTI", "ap-northeast-1": "Z31USIVHYNEOWT"}
	if lb["Type"] != "network" || lb["CanonicalHostedZoneId"] != nlbZones[n.Region] || !strings.HasSuffix(lb["DNSName"].(string), "."+n.Region+".elb.localhost") {
		t.Fatalf("%v", lb)
	}
	tg := jsonOut(t, n.MustAWS(t, "elbv2", "create-target-group", "--name", "tcp", "--protocol", "TCP", "--port", "1", "--vpc-id", vpc, "--target-type", "ip"))["TargetGroups"].([]any)[0].(map[string]any)["TargetGroupArn"].(string)
	n.MustAWS(t, "elbv2", "register-targets", "--target-group-arn", tg, "--targets", "Id=127.0.0.1,Port="+port(t, echo.Addr().String()))
	l := jsonOut(t, n.MustAWS(t, "elbv2", "create-listener", "--load-balancer-arn", lb["LoadBalancerArn"].(string), "--protocol", "TCP", "--port", "7000",
		"--default-actions", "Type=forward,TargetGroupArn="+tg))["Listeners"].([]any)[0].(map[string]any)["ListenerArn"].(string)
	_, errOut, err := n.AWS(t, nil, "elbv2", "create-listener", "--load-balancer-arn", lb["LoadBalancerArn"].(string), "--protocol", "UDP", "--port", "53", "--default-actions", "Type=forward,TargetGroupArn="+tg)
	if err == nil || !strings.Contains(errOut, "UnsupportedProtocol") {
		t.Fatalf("UDP listener: %v %s", err, errOut)
	}
	waitHealthy(t, n, tg)
	c, err := net.DialTimeout("tcp", listenerAddr(t, n, l), 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, "hello\n"); err != nil {
		t.Fatal(err)
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || got != "echo:hello\n" {
		t.Fatalf("%q %v", got, err)
	}
}

// selfSigned writes a certificate and key for host.
func selfSigned(t *testing.T, dir, host string) (string, string, *big.Int) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial := big.NewInt(time.Now().UnixNano())
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	crt, kf := filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")
	if err := os.WriteFile(crt, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kf, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return crt, kf, serial
}

// TestHTTPSListener: an HTTPS listener serves its ACM certificate and
// forwards to its targets with X-Forwarded-Proto https.
func TestHTTPSListener(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	target := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprintf(w, "%s %s %s", r.Header.Get("X-Forwarded-Proto"), r.Header.Get("X-Forwarded-Port"), r.Proto)
	}), ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = target.Serve(ln) }()
	t.Cleanup(func() { _ = target.Close() })
	crt, key, serial := selfSigned(t, t.TempDir(), "app.example.com")
	cert := jsonOut(t, n.MustAWS(t, "acm", "import-certificate", "--certificate", "fileb://"+crt, "--private-key", "fileb://"+key))["CertificateArn"].(string)
	vpc, subs := subnets(t, n)
	lb := jsonOut(t, n.MustAWS(t, "elbv2", "create-load-balancer", "--name", "tls", "--subnets", subs[0], subs[1]))["LoadBalancers"].([]any)[0].(map[string]any)
	tg := jsonOut(t, n.MustAWS(t, "elbv2", "create-target-group", "--name", "web", "--protocol", "HTTP", "--port", port(t, ln.Addr().String()), "--vpc-id", vpc, "--target-type", "ip"))["TargetGroups"].([]any)[0].(map[string]any)["TargetGroupArn"].(string)
	n.MustAWS(t, "elbv2", "register-targets", "--target-group-arn", tg, "--targets", "Id=127.0.0.1")
	l := jsonOut(t, n.MustAWS(t, "elbv2", "create-listener", "--load-balancer-arn", lb["LoadBalancerArn"].(string), "--protocol", "HTTPS", "--port", "443",
		"--certificates", "CertificateArn="+cert, "--ssl-policy", "ELBSecurityPolicy-TLS13-1-2-2021-06",
		"--default-actions", "Type=forward,TargetGroupArn="+tg))["Listeners"].([]any)[0].(map[string]any)
	if l["SslPolicy"] != "ELBSecurityPolicy-TLS13-1-2-2021-06" {
		t.Fatalf("%v", l)
	}
	inUse := jsonOut(t, n.MustAWS(t, "acm", "describe-certificate", "--certificate-arn", cert))["Certificate"].(map[string]any)["InUseBy"]
	if fmt.Sprint(inUse) != "["+lb["LoadBalancerArn"].(string)+"]" {
		t.Fatalf("InUseBy: %v", inUse)
	}
	waitHealthy(t, n, tg)
	addr := listenerAddr(t, n, l["ListenerArn"].(string))
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{ForceAttemptHTTP2: true,
		TLSClientConfig: &tls.Config{ServerName: "app.example.com", InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}}} //nolint:gosec // the test checks the certificate itself
	resp, err := client.Get("https://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	if resp.TLS == nil || resp.TLS.PeerCertificates[0].SerialNumber.Cmp(serial) != 0 {
		t.Fatalf("served certificate: %+v", resp.TLS)
	}
	if resp.Proto != "HTTP/2.0" || string(body) != "https 443 HTTP/1.1" {
		t.Fatalf("%s %q", resp.Proto, body)
	}
}
