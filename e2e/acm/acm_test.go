package acm

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/e2e/framework"
	"github.com/niwa-cloud/niwa/e2e/framework/inprocess"
	"github.com/niwa-cloud/niwa/niwatest"
)

func cliJSON(t *testing.T, n *framework.Niwa, cli framework.CLI, args ...string) map[string]any {
	t.Helper()
	out := n.MustCLI(t, cli, args...)
	var m map[string]any
	if strings.TrimSpace(out) != "" {
		framework.MustJSON(t, out, &m)
	}
	return m
}

func cliFail(t *testing.T, n *framework.Niwa, cli framework.CLI, code string, args ...string) {
	t.Helper()
	_, errOut, err := n.RunCLI(t, cli, nil, args...)
	if err == nil || !strings.Contains(errOut, "("+code+")") {
		t.Fatalf("%s %s: want %s, got %v\n%s", cli.Name, strings.Join(args, " "), code, err, errOut)
	}
}

func openssl(t *testing.T, args ...string) string {
	t.Helper()
	framework.RequireClient(t, "openssl", "openssl", "version")
	out, err := exec.Command("openssl", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func fetchRoot(t *testing.T, n *framework.Niwa) []byte {
	t.Helper()
	resp, err := http.Get(n.Endpoint + "/_niwa/ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(b), "BEGIN CERTIFICATE") {
		t.Fatalf("GET /_niwa/ca.pem: %d %s", resp.StatusCode, b)
	}
	return b
}

func certOf(m map[string]any) map[string]any { return m["Certificate"].(map[string]any) }

// TestDNSValidatedCertificateCLI: with each CLI, a certificate for a
// name and a SAN is PENDING_VALIDATION with the CNAMEs ACM asks for;
// get-certificate is refused while pending; once the CNAMEs are in a
// hosted zone and niwa's clock moves, it is ISSUED and its chain verifies
// with openssl against niwa's root; an openssl-made certificate imports.
func TestDNSValidatedCertificateCLI(t *testing.T) {
	t.Parallel()
	clk := niwatest.NewFakeClock(time.Now().UTC().Truncate(time.Second))
	n := inprocess.FromNiwatest(t, niwatest.Start(t, niwatest.WithClock(clk)))
	root := fetchRoot(t, n)
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	rootFile := write("root.pem", string(root))
	for _, cli := range framework.CLIs {
		domain := cli.Name + ".e2e-acm.example"
		arn := cliJSON(t, n, cli, "acm", "request-certificate", "--domain-name", "www."+domain,
			"--subject-alternative-names", "api."+domain, "--validation-method", "DNS", "--tags", "Key=team,Value=edge")["CertificateArn"].(string)
		if !strings.HasPrefix(arn, "arn:aws:acm:"+n.Region+":") || !strings.Contains(arn, ":certificate/") {
			t.Fatalf("arn %s", arn)
		}
		c := certOf(cliJSON(t, n, cli, "acm", "describe-certificate", "--certificate-arn", arn))
		if c["Status"] != "PENDING_VALIDATION" || c["Type"] != "AMAZON_ISSUED" {
			t.Fatalf("requested: %v", c)
		}
		cliFail(t, n, cli, "RequestInProgressException", "acm", "get-certificate", "--certificate-arn", arn)
		zone := cliJSON(t, n, cli, "route53", "create-hosted-zone", "--name", domain, "--caller-reference", cli.Name)["HostedZone"].(map[string]any)["Id"].(string)
		var changes []string
		for _, v := range c["DomainValidationOptions"].([]any) {
			rr := v.(map[string]any)["ResourceRecord"].(map[string]any)
			changes = append(changes, `{"Action":"UPSERT","ResourceRecordSet":{"Name":"`+rr["Name"].(string)+`","Type":"CNAME","TTL":300,"ResourceRecords":[{"Value":"`+rr["Value"].(string)+`"}]}}`)
		}
		cliJSON(t, n, cli, "route53", "change-resource-record-sets", "--hosted-zone-id", zone, "--change-batch", `{"Changes":[`+strings.Join(changes, ",")+`]}`)
		clk.Advance(5 * time.Minute)
		c = certOf(cliJSON(t, n, cli, "acm", "describe-certificate", "--certificate-arn", arn))
		if c["Status"] != "ISSUED" || c["KeyAlgorithm"] != "RSA_2048" || c["Serial"] == nil || c["NotAfter"] == nil {
			t.Fatalf("after the CNAMEs: %v", c)
		}
		got := cliJSON(t, n, cli, "acm", "get-certificate", "--certificate-arn", arn)
		leaf := write(cli.Name+"-leaf.pem", got["Certificate"].(string))
		chain := write(cli.Name+"-chain.pem", got["CertificateChain"].(string))
		// -attime: niwa's clock, not the machine's.
		at := []string{"-attime", itoa(clk.Now().Unix())}
		openssl(t, append(append([]string{"verify"}, at...), "-CAfile", rootFile, "-untrusted", chain, "-verify_hostname", "api."+domain, leaf)...)
		if _, err := exec.Command("openssl", append(append([]string{"verify"}, at...), "-CAfile", rootFile, "-untrusted", chain, "-verify_hostname", "other.example", leaf)...).CombinedOutput(); err == nil {
			t.Fatal("openssl verified a hostname the certificate does not name")
		}
		list := cliJSON(t, n, cli, "acm", "list-certificates", "--certificate-statuses", "ISSUED")
		found := false
		for _, s := range list["CertificateSummaryList"].([]any) {
			found = found || s.(map[string]any)["CertificateArn"] == arn
		}
		if !found {
			t.Fatalf("list-certificates --certificate-statuses ISSUED misses %s", arn)
		}
		tags := cliJSON(t, n, cli, "acm", "list-tags-for-certificate", "--certificate-arn", arn)["Tags"].([]any)
		if len(tags) != 1 || tags[0].(map[string]any)["Key"] != "team" {
			t.Fatalf("tags %v", tags)
		}
		cliFail(t, n, cli, "InvalidTagException", "acm", "add-tags-to-certificate", "--certificate-arn", arn, "--tags", "Key=aws:owner,Value=x")
		cliFail(t, n, cli, "ValidationException", "acm", "export-certificate", "--certificate-arn", arn, "--passphrase", "c2VjcmV0")

		// Import a certificate made by openssl (valid on the machine's
		// clock, which is niwa's start).
		key, crt := filepath.Join(dir, cli.Name+"-imp.key"), filepath.Join(dir, cli.Name+"-imp.crt")
		openssl(t, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt, "-days", "30", "-subj", "/CN=imported."+domain)
		imp := cliJSON(t, n, cli, "acm", "import-certificate", "--certificate", "fileb://"+crt, "--private-key", "fileb://"+key)["CertificateArn"].(string)
		c = certOf(cliJSON(t, n, cli, "acm", "describe-certificate", "--certificate-arn", imp))
		if c["Type"] != "IMPORTED" || c["Status"] != "ISSUED" || c["DomainName"] != "imported."+domain {
			t.Fatalf("imported: %v", c)
		}
		otherKey := filepath.Join(dir, cli.Name+"-other.key")
		openssl(t, "genrsa", "-out", otherKey, "2048")
		cliFail(t, n, cli, "ValidationException", "acm", "import-certificate", "--certificate", "fileb://"+crt, "--private-key", "fileb://"+otherKey)
		cliJSON(t, n, cli, "acm", "delete-certificate", "--certificate-arn", imp)
		cliFail(t, n, cli, "ResourceNotFoundException", "acm", "describe-certificate", "--certificate-arn", imp)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestEmailValidationAndTimeoutBoto3: boto3 requests an email-validated
// certificate (five admin addresses), approves it through
// POST /_niwa/acm/approve, sees it ISSUED; a DNS request nobody
// validates is VALIDATION_TIMED_OUT once niwa's clock passes 72 hours;
// a private CA request is NotImplemented.
func TestEmailValidationAndTimeoutBoto3(t *testing.T) {
	t.Parallel()
	clk := niwatest.NewFakeClock(time.Now().UTC().Truncate(time.Second))
	// Signatures are not checked: after 72 hours on niwa's clock, every
	// request signed on the machine's would be "expired".
	n := inprocess.FromNiwatest(t, niwatest.Start(t, niwatest.WithClock(clk), niwatest.WithSkipSignatureValidation()))
	out := n.Python(t, `
import boto3, os, urllib.request, urllib.parse, botocore
acm = boto3.client("acm")
arn = acm.request_certificate(DomainName="mail.boto.example", ValidationMethod="EMAIL")["CertificateArn"]
c = acm.describe_certificate(CertificateArn=arn)["Certificate"]
assert c["Status"] == "PENDING_VALIDATION", c
emails = c["DomainValidationOptions"][0]["ValidationEmails"]
assert "admin@mail.boto.example" in emails and len(emails) == 5, emails
req = urllib.request.Request(os.environ["AWS_ENDPOINT_URL"] + "/_niwa/acm/approve?arn=" + urllib.parse.quote(arn), method="POST")
urllib.request.urlopen(req).read()
c = acm.describe_certificate(CertificateArn=arn)["Certificate"]
assert c["Status"] == "ISSUED", c
assert "BEGIN CERTIFICATE" in acm.get_certificate(CertificateArn=arn)["Certificate"]
pending = acm.request_certificate(DomainName="never.boto.example")["CertificateArn"]
print("PENDING", pending)
try:
    acm.request_certificate(DomainName="p.boto.example", CertificateAuthorityArn="arn:aws:acm-pca:us-east-1:000000000000:certificate-authority/x")
    raise SystemExit("private CA accepted")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "NotImplemented", e.response
try:
    acm.delete_certificate(CertificateArn=arn.replace(arn[-4:], "0000"))
    raise SystemExit("deleted a missing certificate")
except acm.exceptions.ResourceNotFoundException:
    pass
`)
	var pending string
	for _, l := range strings.Split(out, "\n") {
		if p, ok := strings.CutPrefix(l, "PENDING "); ok {
			pending = p
		}
	}
	if pending == "" {
		t.Fatalf("no pending arn in %q", out)
	}
	clk.Advance(72*time.Hour + time.Minute)
	n.Python(t, `
import boto3
c = boto3.client("acm").describe_certificate(CertificateArn="`+pending+`")["Certificate"]
assert c["Status"] == "VALIDATION_TIMED_OUT", c
`)
}

// TestRootKeptInDataDir: with --data-dir the root is written to
// <data-dir>/ca.pem, equals GET /_niwa/ca.pem, and survives a reset and
// a restart.
func TestRootKeptInDataDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	n := framework.StartBinary(t, "--data-dir", dir)
	served := fetchRoot(t, n)
	file, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	if err != nil || string(file) != string(served) {
		t.Fatalf("<data-dir>/ca.pem %v differs from /_niwa/ca.pem", err)
	}
	// A reset drops every certificate but not the authority: after it
	// and a restart, the root is still the one clients trust.
	resp, err := http.Post(n.Endpoint+"/_niwa/reset", "", nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("reset: %v %v", err, resp)
	}
	resp.Body.Close()
	n.Kill9AndRestart()
	if again := fetchRoot(t, n); string(again) != string(served) {
		t.Fatal("the root changed across a reset and a restart")
	}
}

// TestHTTPSWithLocalCA: niwa started with --https-port serves the APIs
// over TLS; curl --cacert <root from /_niwa/ca.pem> verifies the chain
// and the name (plain curl does not), and the aws CLI with
// AWS_CA_BUNDLE calls ACM over HTTPS.
func TestHTTPSWithLocalCA(t *testing.T) {
	t.Parallel()
	port := framework.FreePort(t)
	n := framework.StartBinary(t, "--https-port", strconv.Itoa(port))
	root := filepath.Join(t.TempDir(), "root.pem")
	if err := os.WriteFile(root, fetchRoot(t, n), 0o600); err != nil {
		t.Fatal(err)
	}
	framework.RequireClient(t, "curl", "curl", "--version")
	url := "https://localhost:" + strconv.Itoa(port) + "/_niwa/health"
	out, err := exec.Command("curl", "-sS", "--fail", "--cacert", root, url).CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"acm"`) {
		t.Fatalf("curl --cacert: %v\n%s", err, out)
	}
	if out, err := exec.Command("curl", "-sS", "--fail", url).CombinedOutput(); err == nil {
		t.Fatalf("curl without niwa's root verified:\n%s", out)
	}
	https := &framework.Niwa{Endpoint: "https://localhost:" + strconv.Itoa(port), Region: n.Region}
	for _, cli := range framework.CLIs {
		out, errOut, err := https.RunCLI(t, cli, []string{"AWS_CA_BUNDLE=" + root}, "acm", "list-certificates")
		if err != nil || !strings.Contains(out, "CertificateSummaryList") {
			t.Fatalf("%s over https: %v\n%s%s", cli.Name, err, out, errOut)
		}
	}
}
