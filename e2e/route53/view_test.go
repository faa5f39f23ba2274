package route53

import (
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// plainQuery asks niwa's DNS server about name as a user on the host
// does: with `dig @127.0.0.1 -p PORT name TYPE` (dig's defaults, no VPC
// option), or, where dig is not installed, with a miekg/dns query that
// carries no EDNS0 at all. Under CI a missing dig fails the test: CI must
// check what users paste. It returns the rcode and the answers as
// "TTL value".
func plainQuery(t *testing.T, n *framework.Niwa, name, qtype string) (string, []string) {
	t.Helper()
	host, port, _ := strings.Cut(n.DNSAddr, ":")
	if dig, err := exec.LookPath("dig"); err == nil {
		out, err := exec.Command(dig, "@"+host, "-p", port, "+time=5", "+tries=2", name, qtype).CombinedOutput()
		if err != nil {
			t.Fatalf("dig %s %s: %v\n%s", name, qtype, err, out)
		}
		return parseDig(t, string(out))
	} else if os.Getenv("CI") != "" {
		t.Fatalf("dig (Debian's bind9-dnsutils) is required under CI=true: %v", err)
	}
	m := new(mdns.Msg)
	m.SetQuestion(mdns.Fqdn(name), mdns.StringToType[qtype])
	r, _, err := (&mdns.Client{Timeout: 5 * time.Second}).Exchange(m, n.DNSAddr)
	if err != nil {
		t.Fatalf("dns %s: %v", name, err)
	}
	var ans []string
	for _, rr := range r.Answer {
		f := strings.Fields(rr.String())
		ans = append(ans, f[1]+" "+strings.Join(f[4:], " "))
	}
	return mdns.RcodeToString[r.Rcode], ans
}

// parseDig reads dig's default output: the status from the header line
// and the records of the ANSWER SECTION.
func parseDig(t *testing.T, out string) (string, []string) {
	t.Helper()
	status := ""
	var ans []string
	inAnswer := false
	for _, line := range strings.Split(out, "\n") {
		if _, rest, ok := strings.Cut(line, "status: "); ok && strings.Contains(line, "->>HEADER<<-") {
			status, _, _ = strings.Cut(rest, ",")
			continue
		}
		if strings.HasPrefix(line, ";; ANSWER SECTION:") {
			inAnswer = true
			continue
		}
		if inAnswer {
			if strings.TrimSpace(line) == "" || strings.HasPrefix(line, ";") {
				inAnswer = false
				continue
			}
			f := strings.Fields(line)
			ans = append(ans, f[1]+" "+strings.Join(f[4:], " "))
		}
	}
	if status == "" {
		t.Fatalf("no status in dig's output:\n%s", out)
	}
	return status, ans
}

// TestRoute53DNSView: a record in a private zone (S1's DDNS records)
// resolves from the host with a plain query by default; --dns-view public
// hides private zones as AWS's public resolvers do, and --dns-view
// vpc-<id> shows one VPC's zones. A query that names its VPC keeps that
// VPC's view whatever the flag says.
func TestRoute53DNSView(t *testing.T) {
	t.Parallel()
	const vpc, other = "vpc-0a1b2c3d4e5f60718", "vpc-0f0e0d0c0b0a09080"
	script := `
import boto3
r = boto3.client("route53")
priv = r.create_hosted_zone(Name="example.internal", CallerReference="v1",
    VPC={"VPCRegion": "us-east-1", "VPCId": "` + vpc + `"})["HostedZone"]
pub = r.create_hosted_zone(Name="example.com", CallerReference="v2")["HostedZone"]
def upsert(zone, name, typ, value):
    r.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{"Action": "UPSERT",
        "ResourceRecordSet": {"Name": name, "Type": typ, "TTL": 60, "ResourceRecords": [{"Value": value}]}}]})
upsert(priv["Id"], "ip-10-0-1-4.example.internal", "A", "10.0.1.4")
upsert(pub["Id"], "www.example.com", "A", "203.0.113.4")
print("ok")
`
	for _, c := range []struct {
		args    []string
		private string // rcode and answers of the private name from the host
	}{
		{nil, "NOERROR 60 10.0.1.4"},
		{[]string{"--dns-view", "public"}, "REFUSED"},
		{[]string{"--dns-view", vpc}, "NOERROR 60 10.0.1.4"},
		{[]string{"--dns-view", other}, "REFUSED"},
	} {
		t.Run(strings.Join(append([]string{"view"}, c.args...), " "), func(t *testing.T) {
			t.Parallel()
			n := framework.StartBinary(t, c.args...)
			if out := n.Python(t, script); strings.TrimSpace(out) != "ok" {
				t.Fatalf("boto3: %s", out)
			}
			rcode, ans := plainQuery(t, n, "ip-10-0-1-4.example.internal", "A")
			if got := strings.Join(append([]string{rcode}, ans...), " "); got != c.private {
				t.Fatalf("private name from the host: %q, want %q", got, c.private)
			}
			if rcode, ans := plainQuery(t, n, "www.example.com", "A"); rcode != "NOERROR" || strings.Join(ans, ",") != "60 203.0.113.4" {
				t.Fatalf("public name from the host: %s %v", rcode, ans)
			}
			// From inside the VPC, and from another one, whatever the view.
			if _, ans := dnsAnswer(t, n, "ip-10-0-1-4.example.internal", mdns.TypeA, vpc); strings.Join(ans, ",") != "60 10.0.1.4" {
				t.Fatalf("from the VPC: %v", ans)
			}
			if rcode, _ := dnsAnswer(t, n, "ip-10-0-1-4.example.internal", mdns.TypeA, other); rcode != "REFUSED" {
				t.Fatalf("from another VPC: %s", rcode)
			}
		})
	}
}

// TestRoute53RecordValidation drives ChangeResourceRecordSets and
// ListResourceRecordSets with boto3 into Route53's refusals: a
// whitespace StartRecordName, a value given twice, a TXT string over 255
// octets, a CNAME at the apex, the same set created twice in one batch
// (nothing of a refused batch is stored), and a TXT value split into
// strings of 255 that is accepted.
func TestRoute53RecordValidation(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	out := n.Python(t, `
import boto3, botocore
r = boto3.client("route53")
z = r.create_hosted_zone(Name="valid.example.com", CallerReference="v")["HostedZone"]["Id"]
def change(*changes):
    r.change_resource_record_sets(HostedZoneId=z, ChangeBatch={"Changes": [
        {"Action": a, "ResourceRecordSet": {"Name": n, "Type": t, "TTL": 60, "ResourceRecords": [{"Value": v} for v in vs]}}
        for a, n, t, vs in changes]})
def refused(code, msg, call):
    try:
        call()
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == code, e.response
        assert e.response["Error"]["Message"] == msg, (e.response["Error"]["Message"], msg)
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400, e.response
        return
    raise SystemExit("accepted: " + msg)
refused("InvalidInput", "FATAL problem: UnsupportedCharacter (Value contains unsupported characters) encountered with ' '",
    lambda: r.list_resource_record_sets(HostedZoneId=z, StartRecordName=" "))
refused("InvalidChangeBatch", "[Duplicate Resource Record: '10.0.0.1']",
    lambda: change(("CREATE", "d.valid.example.com", "A", ["10.0.0.1", "10.0.0.1"])))
long = '"' + "a" * 256 + '"'
refused("InvalidChangeBatch", "[Invalid Resource Record: 'FATAL problem: CharacterStringTooLong (Value is too long) encountered with '" + long + "'']",
    lambda: change(("CREATE", "t.valid.example.com", "TXT", [long])))
refused("InvalidChangeBatch", "[RRSet of type CNAME with DNS name valid.example.com. is not permitted at apex in zone valid.example.com.]",
    lambda: change(("CREATE", "valid.example.com", "CNAME", ["www.example.org"])))
refused("InvalidChangeBatch", "[Tried to create resource record set [name='twice.valid.example.com.', type='A'] but it already exists]",
    lambda: change(("CREATE", "twice.valid.example.com", "A", ["10.0.0.1"]), ("CREATE", "twice.valid.example.com", "A", ["10.0.0.2"])))
names = [s["Name"] for s in r.list_resource_record_sets(HostedZoneId=z)["ResourceRecordSets"]]
assert names == ["valid.example.com.", "valid.example.com."], names
split = '"' + "a" * 255 + '" "' + "b" * 10 + '"'
change(("CREATE", "t.valid.example.com", "TXT", [split]))
got = r.list_resource_record_sets(HostedZoneId=z, StartRecordName="t.valid.example.com", StartRecordType="TXT", MaxItems="1")
assert got["ResourceRecordSets"][0]["ResourceRecords"] == [{"Value": split}], got
print("ok")
`)
	if strings.TrimSpace(out) != "ok" {
		t.Fatalf("boto3: %s", out)
	}
}
