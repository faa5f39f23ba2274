package route53routing

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/niwa-cloud/niwa/e2e/framework"
	"github.com/niwa-cloud/niwa/e2e/framework/inprocess"
	"github.com/niwa-cloud/niwa/niwatest"
)

// dig asks niwa's DNS server about name as a user on the host does, with
// `dig @127.0.0.1 -p PORT name A +short`; where dig is missing (never
// under CI=true) with a plain miekg/dns query. It returns the answers.
func dig(t *testing.T, n *framework.Niwa, name string, opts ...string) string {
	t.Helper()
	host, port, _ := strings.Cut(n.DNSAddr, ":")
	if path, err := exec.LookPath("dig"); err == nil {
		args := append([]string{"@" + host, "-p", port, "+time=5", "+tries=2", "+short"}, opts...)
		out, err := exec.Command(path, append(args, name, "A")...).CombinedOutput()
		if err != nil {
			t.Fatalf("dig %s: %v\n%s", name, err, out)
		}
		return strings.Join(strings.Fields(string(out)), ",")
	} else if os.Getenv("CI") != "" {
		t.Fatalf("dig (Debian's bind9-dnsutils) is required under CI=true: %v", err)
	}
	m := new(mdns.Msg)
	m.SetQuestion(mdns.Fqdn(name), mdns.TypeA)
	for _, o := range opts {
		if subnet, ok := strings.CutPrefix(o, "+subnet="); ok {
			ip, _, _ := strings.Cut(subnet, "/")
			m.SetEdns0(1232, false)
			m.IsEdns0().Option = append(m.IsEdns0().Option, &mdns.EDNS0_SUBNET{Code: mdns.EDNS0SUBNET, Family: 1, SourceNetmask: 24, Address: net.ParseIP(ip).To4()})
		}
	}
	r, _, err := (&mdns.Client{Timeout: 5 * time.Second}).Exchange(m, n.DNSAddr)
	if err != nil {
		t.Fatalf("dns %s: %v", name, err)
	}
	var ans []string
	for _, rr := range r.Answer {
		if a, ok := rr.(*mdns.A); ok {
			ans = append(ans, a.A.String())
		}
	}
	return strings.Join(ans, ",")
}

// TestFailoverFlipsWithHealth: the aws CLI (v1 and v2) creates an HTTP
// health check of a local server and failover records that use it; dig
// answers the primary; the server stops, niwa's clock moves past the
// request interval, and dig answers the secondary; boto3 reads the
// failure reason and is refused the deletion of the check in use.
func TestFailoverFlipsWithHealth(t *testing.T) {
	t.Parallel()
	clk := niwatest.NewFakeClock(time.Now().UTC())
	// Signatures carry the real time, which the moved clock leaves behind.
	n := inprocess.FromNiwatest(t, niwatest.Start(t, niwatest.WithClock(clk), niwatest.WithSkipSignatureValidation()))
	for i, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/health" {
					http.NotFound(w, r)
					return
				}
				_, _ = w.Write([]byte("ok"))
			}))
			defer srv.Close()
			_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
			domain := []string{"v1.example.com", "v2.example.com"}[i]
			var zone struct{ HostedZone struct{ Id string } }
			framework.MustJSON(t, n.MustCLI(t, cli, "route53", "create-hosted-zone", "--name", domain, "--caller-reference", "z-"+cli.Name), &zone)
			var hc struct{ HealthCheck struct{ Id string } }
			framework.MustJSON(t, n.MustCLI(t, cli, "route53", "create-health-check", "--caller-reference", "hc-"+cli.Name, "--health-check-config",
				`{"Type":"HTTP","IPAddress":"127.0.0.1","Port":`+port+`,"ResourcePath":"/health","RequestInterval":10,"FailureThreshold":1}`), &hc)
			batch := `{"Changes":[
			 {"Action":"CREATE","ResourceRecordSet":{"Name":"app.` + domain + `","Type":"A","TTL":60,"SetIdentifier":"primary","Failover":"PRIMARY","HealthCheckId":"` + hc.HealthCheck.Id + `","ResourceRecords":[{"Value":"192.0.2.1"}]}},
			 {"Action":"CREATE","ResourceRecordSet":{"Name":"app.` + domain + `","Type":"A","TTL":60,"SetIdentifier":"secondary","Failover":"SECONDARY","ResourceRecords":[{"Value":"192.0.2.2"}]}}]}`
			n.MustCLI(t, cli, "route53", "change-resource-record-sets", "--hosted-zone-id", zone.HostedZone.Id, "--change-batch", batch)
			status := func() string {
				var out struct {
					HealthCheckObservations []struct{ StatusReport struct{ Status string } }
				}
				framework.MustJSON(t, n.MustCLI(t, cli, "route53", "get-health-check-status", "--health-check-id", hc.HealthCheck.Id), &out)
				if len(out.HealthCheckObservations) == 0 {
					t.Fatal("no observations")
				}
				return out.HealthCheckObservations[0].StatusReport.Status
			}
			clk.Advance(10 * time.Second)
			framework.WaitUntil(t, 60*time.Second, func() bool { return status() == "Success: HTTP Status Code 200, OK" }, "the first probe succeeds")
			if got := dig(t, n, "app."+domain); got != "192.0.2.1" {
				t.Fatalf("healthy primary: dig answers %q", got)
			}
			srv.Close()
			clk.Advance(10 * time.Second)
			framework.WaitUntil(t, 60*time.Second, func() bool { return dig(t, n, "app."+domain) == "192.0.2.2" }, "dig answers the secondary once the endpoint is down")
			if got := status(); !strings.HasPrefix(got, "Failure: Connection refused") {
				t.Fatalf("status after the endpoint stopped: %q", got)
			}
			out := n.Python(t, `
import boto3, json
r = boto3.client("route53")
last = r.get_health_check_last_failure_reason(HealthCheckId="`+hc.HealthCheck.Id+`")
try:
    r.delete_health_check(HealthCheckId="`+hc.HealthCheck.Id+`")
    code = "deleted"
except r.exceptions.HealthCheckInUse as e:
    code = e.response["Error"]["Code"]
print(json.dumps({"last": last["HealthCheckObservations"][0]["StatusReport"]["Status"], "code": code}))
`)
			var got struct{ Last, Code string }
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if !strings.HasPrefix(got.Last, "Failure: Connection refused") || got.Code != "HealthCheckInUse" {
				t.Fatalf("boto3: %+v", got)
			}
		})
	}
}

// TestWeightedAndMultivalue: boto3 creates weighted record sets (weight 0
// beside a positive weight is never answered) and multivalue record sets
// where the one whose health check is unhealthy (an inverted TCP check of
// a listening port) is left out of dig's answer.
func TestWeightedAndMultivalue(t *testing.T) {
	t.Parallel()
	clk := niwatest.NewFakeClock(time.Now().UTC())
	n := inprocess.FromNiwatest(t, niwatest.Start(t, niwatest.WithClock(clk), niwatest.WithSkipSignatureValidation()))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	n.Python(t, `
import boto3
r = boto3.client("route53")
z = r.create_hosted_zone(Name="example.org", CallerReference="z")["HostedZone"]["Id"]
hc = r.create_health_check(CallerReference="hc", HealthCheckConfig={"Type": "TCP", "IPAddress": "127.0.0.1", "Port": `+port+`,
    "RequestInterval": 10, "FailureThreshold": 1, "Inverted": True})["HealthCheck"]["Id"]
def rs(name, sid, ip, **kw):
    d = {"Name": name, "Type": "A", "TTL": 60, "SetIdentifier": sid, "ResourceRecords": [{"Value": ip}]}
    d.update(kw)
    return {"Action": "CREATE", "ResourceRecordSet": d}
r.change_resource_record_sets(HostedZoneId=z, ChangeBatch={"Changes": [
    rs("w.example.org", "zero", "192.0.2.10", Weight=0),
    rs("w.example.org", "all", "192.0.2.11", Weight=10),
    rs("m.example.org", "a", "192.0.2.21", MultiValueAnswer=True),
    rs("m.example.org", "b", "192.0.2.22", MultiValueAnswer=True, HealthCheckId=hc),
    rs("m.example.org", "c", "192.0.2.23", MultiValueAnswer=True),
]})
`)
	for range 5 {
		if got := dig(t, n, "w.example.org"); got != "192.0.2.11" {
			t.Fatalf("weighted: %q", got)
		}
	}
	if got := dig(t, n, "m.example.org"); got != "192.0.2.21,192.0.2.22,192.0.2.23" {
		t.Fatalf("multivalue before the first probe: %q", got)
	}
	clk.Advance(10 * time.Second)
	framework.WaitUntil(t, 60*time.Second, func() bool { return dig(t, n, "m.example.org") == "192.0.2.21,192.0.2.23" },
		"the record set with the unhealthy (inverted) check leaves the answer")
}

// TestCidrRoutingWithDig: the aws CLI v2 builds a CIDR collection and
// IP-based record sets; dig with +subnet gets the location's answer,
// dig from 127.0.0.1 without it the default location's.
func TestCidrRoutingWithDig(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	cli := framework.CLIs[1]
	var col struct{ Collection struct{ Id string } }
	framework.MustJSON(t, n.MustCLI(t, cli, "route53", "create-cidr-collection", "--name", "offices", "--caller-reference", "c1"), &col)
	n.MustCLI(t, cli, "route53", "change-cidr-collection", "--id", col.Collection.Id, "--changes", `[{"LocationName":"tokyo","Action":"PUT","CidrList":["10.1.0.0/16"]}]`)
	var zone struct{ HostedZone struct{ Id string } }
	framework.MustJSON(t, n.MustCLI(t, cli, "route53", "create-hosted-zone", "--name", "cidr.example", "--caller-reference", "z"), &zone)
	rs := func(loc, ip string) string {
		return `{"Action":"CREATE","ResourceRecordSet":{"Name":"app.cidr.example","Type":"A","TTL":60,"SetIdentifier":"` + loc + `","CidrRoutingConfig":{"CollectionId":"` + col.Collection.Id + `","LocationName":"` + loc + `"},"ResourceRecords":[{"Value":"` + ip + `"}]}}`
	}
	n.MustCLI(t, cli, "route53", "change-resource-record-sets", "--hosted-zone-id", zone.HostedZone.Id, "--change-batch", `{"Changes":[`+rs("tokyo", "192.0.2.1")+`,`+rs("*", "192.0.2.9")+`]}`)
	if got := dig(t, n, "app.cidr.example", "+subnet=10.1.2.0/24"); got != "192.0.2.1" {
		t.Fatalf("dig +subnet=10.1.2.0/24: %q", got)
	}
	if got := dig(t, n, "app.cidr.example"); got != "192.0.2.9" {
		t.Fatalf("dig from the host: %q", got)
	}
}
