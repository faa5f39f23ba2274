package route53

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"
	mdns "github.com/miekg/dns"

	"github.com/niwa-cloud/niwa/e2e/framework"
	"github.com/niwa-cloud/niwa/e2e/framework/inprocess"
	"github.com/niwa-cloud/niwa/internal/dns"
)

// dnsAnswer asks niwa's DNS server (UDP) and returns rcode and answers
// as "TTL value" strings.
func dnsAnswer(t *testing.T, n *framework.Niwa, name string, qtype uint16, vpc string) (string, []string) {
	t.Helper()
	m := new(mdns.Msg)
	m.SetQuestion(mdns.Fqdn(name), qtype)
	if vpc != "" {
		dns.VPCQuery(m, vpc)
	}
	r, _, err := (&mdns.Client{Timeout: 5 * time.Second}).Exchange(m, n.DNSAddr)
	if err != nil {
		t.Fatalf("dns %s: %v", name, err)
	}
	var out []string
	for _, rr := range r.Answer {
		f := strings.Fields(rr.String())
		out = append(out, f[1]+" "+strings.Join(f[4:], " "))
	}
	return mdns.RcodeToString[r.Rcode], out
}

// TestRoute53CLI drives zones and record sets with both aws CLI versions
// and checks what niwa's DNS server answers: TTL 0, an UPSERT on the next
// query, Route53's messages for a DELETE with a wrong value and a CNAME
// conflict.
func TestRoute53CLI(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			run := func(args ...string) (map[string]any, string, error) {
				out, errOut, err := n.RunCLI(t, cli, nil, args...)
				var v map[string]any
				if err == nil && strings.TrimSpace(out) != "" {
					if jerr := json.Unmarshal([]byte(out), &v); jerr != nil {
						t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), jerr, out)
					}
				}
				return v, errOut, err
			}
			must := func(args ...string) map[string]any {
				t.Helper()
				v, errOut, err := run(args...)
				if err != nil {
					t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, errOut)
				}
				return v
			}
			domain := "cli-" + cli.Name + ".example.com"
			created := must("route53", "create-hosted-zone", "--name", domain, "--caller-reference", "ref-"+cli.Name,
				"--hosted-zone-config", "Comment=made by "+cli.Name)
			hz := created["HostedZone"].(map[string]any)
			id := hz["Id"].(string)
			if !strings.HasPrefix(id, "/hostedzone/Z") || hz["Name"] != domain+"." || len(created["DelegationSet"].(map[string]any)["NameServers"].([]any)) != 4 {
				t.Fatalf("created %v", created)
			}
			_, errOut, err := run("route53", "create-hosted-zone", "--name", domain, "--caller-reference", "ref-"+cli.Name)
			if err == nil || !strings.Contains(errOut, "HostedZoneAlreadyExists") {
				t.Fatalf("same caller reference: %v %s", err, errOut)
			}
			batch := func(action, name, typ string, ttl int, value string) string {
				return fmt.Sprintf(`{"Changes":[{"Action":%q,"ResourceRecordSet":{"Name":%q,"Type":%q,"TTL":%d,"ResourceRecords":[{"Value":%q}]}}]}`, action, name, typ, ttl, value)
			}
			ch := must("route53", "change-resource-record-sets", "--hosted-zone-id", id, "--change-batch", batch("CREATE", "www."+domain, "A", 0, "192.0.2.1"))
			changeID := ch["ChangeInfo"].(map[string]any)["Id"].(string)
			if !strings.HasPrefix(changeID, "/change/C") {
				t.Fatalf("change %v", ch)
			}
			must("route53", "wait", "resource-record-sets-changed", "--id", changeID)
			if rcode, ans := dnsAnswer(t, n, "www."+domain, mdns.TypeA, ""); rcode != "NOERROR" || strings.Join(ans, ",") != "0 192.0.2.1" {
				t.Fatalf("dns: %s %v", rcode, ans)
			}
			must("route53", "change-resource-record-sets", "--hosted-zone-id", id, "--change-batch", batch("UPSERT", "www."+domain, "A", 0, "192.0.2.2"))
			if _, ans := dnsAnswer(t, n, "www."+domain, mdns.TypeA, ""); strings.Join(ans, ",") != "0 192.0.2.2" {
				t.Fatalf("after UPSERT: %v", ans)
			}
			_, errOut, err = run("route53", "change-resource-record-sets", "--hosted-zone-id", id, "--change-batch", batch("DELETE", "www."+domain, "A", 0, "192.0.2.1"))
			want := fmt.Sprintf("An error occurred (InvalidChangeBatch) when calling the ChangeResourceRecordSets operation: [Tried to delete resource record set [name='www.%s.', type='A'] but the values provided do not match the current values]", domain)
			if err == nil || !strings.Contains(errOut, want) {
				t.Fatalf("DELETE with a wrong value: %v\n%s", err, errOut)
			}
			_, errOut, err = run("route53", "change-resource-record-sets", "--hosted-zone-id", id, "--change-batch", batch("CREATE", "www."+domain, "CNAME", 300, "elsewhere.example.net"))
			want = fmt.Sprintf("RRSet of type CNAME with DNS name www.%s. is not permitted as it conflicts with other records with the same DNS name in zone %s.", domain, domain)
			if err == nil || !strings.Contains(errOut, want) {
				t.Fatalf("CNAME conflict: %v\n%s", err, errOut)
			}
			list := must("route53", "list-resource-record-sets", "--hosted-zone-id", id)
			if sets := list["ResourceRecordSets"].([]any); len(sets) != 3 {
				t.Fatalf("record sets %v", sets)
			}
			must("route53", "change-resource-record-sets", "--hosted-zone-id", id, "--change-batch", batch("DELETE", "www."+domain, "A", 0, "192.0.2.2"))
			if rcode, _ := dnsAnswer(t, n, "www."+domain, mdns.TypeA, ""); rcode != "NXDOMAIN" {
				t.Fatalf("after DELETE: %s", rcode)
			}
			got := must("route53", "get-hosted-zone", "--id", id)
			if got["HostedZone"].(map[string]any)["Config"].(map[string]any)["Comment"] != "made by "+cli.Name {
				t.Fatalf("get %v", got)
			}
			must("route53", "delete-hosted-zone", "--id", id)
			if _, errOut, err := run("route53", "get-hosted-zone", "--id", id); err == nil || !strings.Contains(errOut, "NoSuchHostedZone") {
				t.Fatalf("after delete: %v %s", err, errOut)
			}
		})
	}
}

// TestRoute53Boto3 is what S1's dynamic-DNS function does with boto3: a
// private zone bound to a VPC and a public zone, UPSERTs of A and PTR
// records, Config.PrivateZone and VPCs from GetHostedZone, and the
// conflict error worded like Route53's. The private records resolve from
// the VPC and from the host, not from another VPC.
func TestRoute53Boto3(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	out := n.Python(t, `
import boto3, botocore
r = boto3.client("route53")
priv = r.create_hosted_zone(Name="corp.internal", CallerReference="p1",
    VPC={"VPCRegion": "ap-northeast-1", "VPCId": "vpc-0a1b2c3d4e5f60718"},
    HostedZoneConfig={"Comment": "private", "PrivateZone": True})["HostedZone"]
rev = r.create_hosted_zone(Name="1.0.10.in-addr.arpa", CallerReference="p2",
    VPC={"VPCRegion": "ap-northeast-1", "VPCId": "vpc-0a1b2c3d4e5f60718"})["HostedZone"]
pub = r.create_hosted_zone(Name="example.com", CallerReference="p3")["HostedZone"]
assert priv["Id"].startswith("/hostedzone/Z"), priv
zones = {z["Name"]: z for z in r.list_hosted_zones()["HostedZones"]}
assert zones["corp.internal."]["Config"]["PrivateZone"] is True
assert zones["example.com."]["Config"]["PrivateZone"] is False
got = r.get_hosted_zone(Id=priv["Id"])
assert got["VPCs"] == [{"VPCRegion": "ap-northeast-1", "VPCId": "vpc-0a1b2c3d4e5f60718"}], got["VPCs"]
by_name = r.list_hosted_zones_by_name(DNSName="corp.internal")["HostedZones"]
assert by_name[0]["Name"] == "corp.internal.", by_name
def upsert(zone, name, typ, value):
    return r.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "UPSERT",
        "ResourceRecordSet": {"Name": name, "Type": typ, "TTL": 60, "ResourceRecords": [{"Value": value}]}}]})
upsert(priv["Id"], "ip-10-0-1-4.corp.internal", "A", "10.0.1.4")
upsert(rev["Id"], "4.1.0.10.in-addr.arpa", "PTR", "ip-10-0-1-4.corp.internal")
upsert(pub["Id"], "ip-10-0-1-4.example.com", "A", "203.0.113.4")
try:
    upsert(priv["Id"], "ip-10-0-1-4.corp.internal", "CNAME", "other.corp.internal")
    raise SystemExit("CNAME conflict accepted")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "InvalidChangeBatch", e.response
    assert "conflicts with other records" in e.response["Error"]["Message"], e.response
sets = r.list_resource_record_sets(HostedZoneId=priv["Id"], StartRecordName="ip-10-0-1-4.corp.internal", StartRecordType="A", MaxItems="1")
assert sets["ResourceRecordSets"][0]["ResourceRecords"] == [{"Value": "10.0.1.4"}], sets
print("ok")
`)
	if strings.TrimSpace(out) != "ok" {
		t.Fatalf("boto3: %s", out)
	}
	const vpc = "vpc-0a1b2c3d4e5f60718"
	if _, ans := dnsAnswer(t, n, "ip-10-0-1-4.corp.internal", mdns.TypeA, vpc); strings.Join(ans, ",") != "60 10.0.1.4" {
		t.Fatalf("private A from the VPC: %v", ans)
	}
	if _, ans := dnsAnswer(t, n, "4.1.0.10.in-addr.arpa", mdns.TypePTR, vpc); strings.Join(ans, ",") != "60 ip-10-0-1-4.corp.internal." {
		t.Fatalf("private PTR from the VPC: %v", ans)
	}
	// The host sees every private zone by default (--dns-view all).
	if _, ans := dnsAnswer(t, n, "ip-10-0-1-4.corp.internal", mdns.TypeA, ""); strings.Join(ans, ",") != "60 10.0.1.4" {
		t.Fatalf("private zone from the host: %v", ans)
	}
	if rcode, _ := dnsAnswer(t, n, "ip-10-0-1-4.corp.internal", mdns.TypeA, "vpc-99999999"); rcode != "REFUSED" {
		t.Fatalf("private zone from another VPC: %s", rcode)
	}
	if _, ans := dnsAnswer(t, n, "ip-10-0-1-4.example.com", mdns.TypeA, ""); strings.Join(ans, ",") != "60 203.0.113.4" {
		t.Fatalf("public A: %v", ans)
	}
}

// TestRoute53GoSDK: aws-sdk-go-v2 against both targets — zones, a change
// batch, GetChange, pagination, TestDNSAnswer, and the DNS server over UDP
// and TCP.
func TestRoute53GoSDK(t *testing.T) {
	t.Parallel()
	for _, target := range framework.Targets {
		t.Run(string(target), func(t *testing.T) {
			n := inprocess.Start(t, target)
			ctx := context.Background()
			c := route53.NewFromConfig(framework.GoConfig(n, "test", "test", ""))
			z, err := c.CreateHostedZone(ctx, &route53.CreateHostedZoneInput{Name: aws.String("sdk.example.com"), CallerReference: aws.String("sdk")})
			if err != nil {
				t.Fatal(err)
			}
			var changes []r53types.Change
			for i := range 5 {
				changes = append(changes, r53types.Change{Action: r53types.ChangeActionCreate, ResourceRecordSet: &r53types.ResourceRecordSet{
					Name: aws.String(fmt.Sprintf("h%d.sdk.example.com", i)), Type: r53types.RRTypeA, TTL: aws.Int64(int64(i)),
					ResourceRecords: []r53types.ResourceRecord{{Value: aws.String(fmt.Sprintf("10.0.0.%d", i))}}}})
			}
			ch, err := c.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{HostedZoneId: z.HostedZone.Id, ChangeBatch: &r53types.ChangeBatch{Changes: changes}})
			if err != nil {
				t.Fatal(err)
			}
			if ch.ChangeInfo.Status != r53types.ChangeStatusPending {
				t.Fatalf("status %s", ch.ChangeInfo.Status)
			}
			if _, err := c.GetChange(ctx, &route53.GetChangeInput{Id: ch.ChangeInfo.Id}); err != nil {
				t.Fatal(err)
			}
			_, err = c.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{HostedZoneId: z.HostedZone.Id, ChangeBatch: &r53types.ChangeBatch{Changes: []r53types.Change{{
				Action: r53types.ChangeActionCreate, ResourceRecordSet: &r53types.ResourceRecordSet{Name: aws.String("big.sdk.example.com"), Type: r53types.RRTypeA,
					TTL: aws.Int64(2147483648), ResourceRecords: []r53types.ResourceRecord{{Value: aws.String("10.0.0.9")}}}}}}})
			var invalid *r53types.InvalidInput
			if !errors.As(err, &invalid) || !strings.Contains(invalid.ErrorMessage(), "Member must have value less than or equal to 2147483647") {
				t.Fatalf("TTL 2147483648: %v", err)
			}
			var names []string
			in := &route53.ListResourceRecordSetsInput{HostedZoneId: z.HostedZone.Id, MaxItems: aws.Int32(2)}
			for {
				out, err := c.ListResourceRecordSets(ctx, in)
				if err != nil {
					t.Fatal(err)
				}
				for _, rs := range out.ResourceRecordSets {
					names = append(names, aws.ToString(rs.Name)+"/"+string(rs.Type))
				}
				if !out.IsTruncated {
					break
				}
				in.StartRecordName, in.StartRecordType, in.StartRecordIdentifier = out.NextRecordName, out.NextRecordType, out.NextRecordIdentifier
			}
			if len(names) != 7 || names[2] != "h0.sdk.example.com./A" || names[6] != "h4.sdk.example.com./A" {
				t.Fatalf("pages %v", names)
			}
			ans, err := c.TestDNSAnswer(ctx, &route53.TestDNSAnswerInput{HostedZoneId: z.HostedZone.Id, RecordName: aws.String("h3.sdk.example.com"), RecordType: r53types.RRTypeA})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(ans.ResponseCode) != "NOERROR" || strings.Join(ans.RecordData, ",") != "10.0.0.3" {
				t.Fatalf("TestDNSAnswer %+v", ans)
			}
			for _, proto := range []string{"udp", "tcp"} {
				m := new(mdns.Msg)
				m.SetQuestion("h0.sdk.example.com.", mdns.TypeA)
				r, _, err := (&mdns.Client{Net: proto, Timeout: 5 * time.Second}).Exchange(m, n.DNSAddr)
				if err != nil {
					t.Fatal(err)
				}
				if len(r.Answer) != 1 || r.Answer[0].Header().Ttl != 0 || !r.Authoritative {
					t.Fatalf("%s: %v", proto, r)
				}
			}
		})
	}
}

// TestRoute53AliasToS3Website is S10's DNS half: an A alias to a bucket's
// website endpoint resolves to niwa's own address, and fetching the name
// there (Host: the domain, as a browser sends it) serves the site. The
// fetch needs S3's website endpoint to serve requests whose Host is the
// bucket name, as S3 does for custom domains.
func TestRoute53AliasToS3Website(t *testing.T) {
	t.Parallel()
	framework.RequireClient(t, "aws CLI", "aws", "--version")
	n := framework.StartBinary(t)
	ctx := context.Background()
	const domain = "www.alias-site.example.com"
	n.MustAWS(t, "s3", "mb", "s3://"+domain)
	n.MustAWS(t, "s3api", "put-public-access-block", "--bucket", domain, "--public-access-block-configuration",
		"BlockPublicAcls=false,IgnorePublicAcls=false,BlockPublicPolicy=false,RestrictPublicBuckets=false")
	n.MustAWS(t, "s3api", "put-bucket-policy", "--bucket", domain, "--policy",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::`+domain+`/*"}]}`)
	n.MustAWS(t, "s3", "website", "s3://"+domain, "--index-document", "index.html", "--error-document", "error.html")
	c := route53.NewFromConfig(framework.GoConfig(n, "test", "test", ""))
	z, err := c.CreateHostedZone(ctx, &route53.CreateHostedZoneInput{Name: aws.String("alias-site.example.com"), CallerReference: aws.String("s10")})
	if err != nil {
		t.Fatal(err)
	}
	// Z2M4EHUR26P7ZW is the hosted zone id of the ap-northeast-1 S3
	// website endpoint.
	_, err = c.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{HostedZoneId: z.HostedZone.Id, ChangeBatch: &r53types.ChangeBatch{Changes: []r53types.Change{{
		Action: r53types.ChangeActionCreate, ResourceRecordSet: &r53types.ResourceRecordSet{Name: aws.String(domain), Type: r53types.RRTypeA,
			AliasTarget: &r53types.AliasTarget{DNSName: aws.String("s3-website-" + n.Region + ".amazonaws.com"), HostedZoneId: aws.String("Z2M4EHUR26P7ZW"), EvaluateTargetHealth: false}},
	}}}})
	if err != nil {
		t.Fatal(err)
	}
	_, ans := dnsAnswer(t, n, domain, mdns.TypeA, "")
	if len(ans) != 1 || !strings.HasSuffix(ans[0], " 127.0.0.1") {
		t.Fatalf("alias answers %v, want niwa's address", ans)
	}
	ip := strings.Fields(ans[0])[1]
	page := filepath.Join(t.TempDir(), "index.html")
	if err := os.WriteFile(page, []byte("<html>served through the alias</html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	n.MustAWS(t, "s3api", "put-object", "--bucket", domain, "--key", "index.html", "--body", page, "--content-type", "text/html")
	errPage := filepath.Join(t.TempDir(), "error.html")
	if err := os.WriteFile(errPage, []byte("<html>no such page here</html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	n.MustAWS(t, "s3api", "put-object", "--bucket", domain, "--key", "error.html", "--body", errPage, "--content-type", "text/html")
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(n.Endpoint, "http://"))
	get := func(host string, path ...string) (int, string) {
		req, _ := http.NewRequest("GET", "http://"+net.JoinHostPort(ip, port)+"/"+strings.Join(path, ""), nil)
		req.Host = host + ":" + port
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(body)
	}
	// The alias target, the website endpoint itself, serves the site at
	// the resolved address.
	if code, body := get(domain + ".s3-website-" + n.Region + ".localhost"); code != 200 || !strings.Contains(body, "served through the alias") {
		t.Fatalf("website endpoint at %s answered %d:\n%s", ip, code, body)
	}
	// The name itself, as a browser asks for it: S3 serves the bucket
	// the Host names (a custom domain).
	if code, body := get(domain); code != 200 || !strings.Contains(body, "served through the alias") {
		t.Fatalf("http://%s:%s/ answered %d:\n%s", domain, port, code, body)
	}
	// A missing key answers the error document with 404.
	if code, body := get(domain, "no/such/page.html"); code != 404 || !strings.Contains(body, "no such page here") {
		t.Fatalf("http://%s:%s/no/such/page.html answered %d, want the error document with 404:\n%s", domain, port, code, body)
	}
}
