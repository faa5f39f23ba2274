package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	mdns "github.com/miekg/dns"

	"github.com/niwa-cloud/niwa/internal/proc"
	"github.com/niwa-cloud/niwa/niwatest"
)

// signedCall sends a SigV4-signed request for service (no SDK client for
// it in go.mod) and returns the response body, failing on a non-2xx.
func signedCall(t *testing.T, cfg aws.Config, service, method, endpoint, contentType, body string) string {
	t.Helper()
	ctx := context.Background()
	req, err := http.NewRequestWithContext(ctx, method, endpoint, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(body))
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, cfg.Region, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s: %d %s", service, method, resp.StatusCode, b)
	}
	return string(b)
}

// TestVPCFunctionResolvesServiceNames: a Python function attached to a
// VPC resolves, with socket.gethostbyname, the names services hand out
// for what niwa serves, created after its execution environment
// started: an internal ALB of its VPC, an internet-facing one (AWS's
// public DNS answers it everywhere), and an HTTP API's and a REST API's
// execute-api hosts,
// each to the address niwa's own DNS server answers for it. A name
// deleted since is gone from the next invocation's view.
func TestVPCFunctionResolvesServiceNames(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("no python3 for the function's runtime")
		}
		t.Skip("no python3 for the function's runtime")
	}
	if _, err := proc.Probe(t.TempDir(), "/opt", proc.HostsTarget); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("mount namespaces: %v", err)
		}
		t.Skipf("no mount namespaces here, functions see the machine's /etc/hosts: %v", err)
	}
	n := niwatest.Start(t)
	ctx := context.Background()
	cfg := n.AWSConfig()
	e := ec2.NewFromConfig(cfg)
	v, err := e.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := e.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: v.Vpc.VpcId, CidrBlock: aws.String("10.0.1.0/24"), AvailabilityZone: aws.String(cfg.Region + "a")})
	if err != nil {
		t.Fatal(err)
	}
	sub2, err := e.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: v.Vpc.VpcId, CidrBlock: aws.String("10.0.2.0/24"), AvailabilityZone: aws.String(cfg.Region + "c")})
	if err != nil {
		t.Fatal(err)
	}
	sg, err := e.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: v.Vpc.VpcId, GroupName: aws.String("fn"), Description: aws.String("fn")})
	if err != nil {
		t.Fatal(err)
	}

	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if _, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("names-role"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	f, _ := w.Create("index.py")
	f.Write([]byte("import json, os, socket\n" +
		"def handler(event, context):\n" +
		"    out = {'pid': os.getpid()}\n" +
		"    for n in event['names']:\n" +
		"        try:\n" +
		"            out[n] = socket.gethostbyname(n)\n" +
		"        except OSError:\n" +
		"            out[n] = 'missing'\n" +
		"    return out\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	c := lambda.NewFromConfig(cfg)
	if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("resolver"), Runtime: lambdatypes.RuntimePython312,
		Handler: aws.String("index.handler"), Role: aws.String("arn:aws:iam::000000000000:role/names-role"), Code: &lambdatypes.FunctionCode{ZipFile: buf.Bytes()},
		VpcConfig: &lambdatypes.VpcConfig{SubnetIds: []string{*sub.Subnet.SubnetId}, SecurityGroupIds: []string{*sg.GroupId}}}); err != nil {
		t.Fatal(err)
	}
	resolve := func(names ...string) map[string]any {
		t.Helper()
		payload, _ := json.Marshal(map[string]any{"names": names})
		out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("resolver"), Payload: payload})
		if err != nil {
			t.Fatal(err)
		}
		if out.FunctionError != nil {
			t.Fatalf("function error: %s", out.Payload)
		}
		var got map[string]any
		if err := json.Unmarshal(out.Payload, &got); err != nil {
			t.Fatalf("%s: %v", out.Payload, err)
		}
		return got
	}
	// The environment starts before the names exist.
	first := resolve("localhost")

	createLB := func(name, scheme string) string {
		t.Helper()
		form := url.Values{"Action": {"CreateLoadBalancer"}, "Version": {"2015-12-01"}, "Name": {name}, "Scheme": {scheme},
			"Type": {"application"}, "Subnets.member.1": {*sub.Subnet.SubnetId}, "Subnets.member.2": {*sub2.Subnet.SubnetId}}
		body := signedCall(t, cfg, "elasticloadbalancing", http.MethodPost, n.Endpoint, "application/x-www-form-urlencoded", form.Encode())
		m := regexp.MustCompile(`<DNSName>([^<]+)</DNSName>`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no DNSName in %s", body)
		}
		return m[1]
	}
	internal := createLB("inside", "internal")
	public := createLB("outside", "internet-facing")
	var api struct {
		APIID       string `json:"apiId"`
		APIEndpoint string `json:"apiEndpoint"`
	}
	body := signedCall(t, cfg, "apigateway", http.MethodPost, n.Endpoint+"/v2/apis", "application/json", `{"name":"names","protocolType":"HTTP"}`)
	if err := json.Unmarshal([]byte(body), &api); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(api.APIEndpoint)
	if err != nil || !strings.Contains(u.Hostname(), ".execute-api.") {
		t.Fatalf("apiEndpoint %q: %v", api.APIEndpoint, err)
	}
	execute := u.Hostname()
	rest, err := apigateway.NewFromConfig(cfg).CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("names")})
	if err != nil {
		t.Fatal(err)
	}
	restHost := *rest.Id + ".execute-api.localhost"

	// What niwa's DNS server answers for a name, from outside every VPC.
	dnsAnswer := func(name string) string {
		t.Helper()
		m := new(mdns.Msg)
		m.SetQuestion(mdns.Fqdn(name), mdns.TypeA)
		r, err := mdns.Exchange(m, n.DNSAddr())
		if err != nil {
			t.Fatal(err)
		}
		if r.Rcode != mdns.RcodeSuccess || len(r.Answer) == 0 {
			t.Fatalf("niwa's DNS for %s: %s %v", name, mdns.RcodeToString[r.Rcode], r.Answer)
		}
		return r.Answer[0].(*mdns.A).A.String()
	}
	got := resolve(internal, public, execute, restHost)
	if got["pid"] != first["pid"] {
		t.Fatalf("a new environment (pid %v, was %v): the names must reach a running one", got["pid"], first["pid"])
	}
	for _, name := range []string{internal, public, execute, restHost} {
		if want := dnsAnswer(name); got[name] != want {
			t.Errorf("%s: the function resolved %v, niwa's DNS answers %s", name, got[name], want)
		}
	}

	// A deleted load balancer's name is gone.
	arns := regexp.MustCompile(`<LoadBalancerArn>([^<]+)</LoadBalancerArn>`).FindAllStringSubmatch(
		signedCall(t, cfg, "elasticloadbalancing", http.MethodPost, n.Endpoint, "application/x-www-form-urlencoded",
			url.Values{"Action": {"DescribeLoadBalancers"}, "Version": {"2015-12-01"}, "Names.member.1": {"outside"}}.Encode()), -1)
	if len(arns) != 1 {
		t.Fatalf("load balancer ARNs: %v", arns)
	}
	signedCall(t, cfg, "elasticloadbalancing", http.MethodPost, n.Endpoint, "application/x-www-form-urlencoded",
		url.Values{"Action": {"DeleteLoadBalancer"}, "Version": {"2015-12-01"}, "LoadBalancerArn": {arns[0][1]}}.Encode())
	if got := resolve(public, internal); got[public] != "missing" || got[internal] != dnsAnswer(internal) {
		t.Fatalf("after deleting %s: %v", public, got)
	}
}
