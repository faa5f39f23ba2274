package gaps18

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func dnsA(t *testing.T, n *framework.Niwa, name string) (string, []string) {
	t.Helper()
	m := new(mdns.Msg)
	m.SetQuestion(mdns.Fqdn(name), mdns.TypeA)
	r, _, err := (&mdns.Client{Timeout: 5 * time.Second}).Exchange(m, n.DNSAddr)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, rr := range r.Answer {
		if a, ok := rr.(*mdns.A); ok {
			out = append(out, a.A.String())
		}
	}
	return mdns.RcodeToString[r.Rcode], out
}

// TestTrafficPolicyRecordsCLI: with the CLI v1 (TestQueryLogsCLI uses
// v2), a traffic policy instance's records answer on niwa's DNS port and
// go away with the instance.
func TestTrafficPolicyRecordsCLI(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	doc := `{"AWSPolicyFormatVersion":"2015-10-01","RecordType":"A","StartRule":"fo",
 "Endpoints":{"a":{"Type":"value","Value":"192.0.2.10"},"b":{"Type":"value","Value":"192.0.2.20"}},
 "Rules":{"fo":{"RuleType":"failover","Primary":{"EndpointReference":"a"},"Secondary":{"EndpointReference":"b"}}}}`
	for _, cli := range framework.CLIs[:1] {
		domain := "tp-" + cli.Name + ".example"
		var zone struct{ HostedZone struct{ Id string } }
		framework.CLIJSON(t, n, cli, &zone, "route53", "create-hosted-zone", "--name", domain, "--caller-reference", domain)
		zid := strings.TrimPrefix(zone.HostedZone.Id, "/hostedzone/")
		var pol struct{ TrafficPolicy struct{ Id string } }
		framework.CLIJSON(t, n, cli, &pol, "route53", "create-traffic-policy", "--name", "site-"+cli.Name, "--document", doc)
		var inst struct{ TrafficPolicyInstance struct{ Id string } }
		framework.CLIJSON(t, n, cli, &inst, "route53", "create-traffic-policy-instance", "--hosted-zone-id", zid, "--name", "www."+domain,
			"--ttl", "60", "--traffic-policy-id", pol.TrafficPolicy.Id, "--traffic-policy-version", "1")
		var list struct {
			ResourceRecordSets []struct {
				Name, SetIdentifier, TrafficPolicyInstanceId string
			}
		}
		framework.CLIJSON(t, n, cli, &list, "route53", "list-resource-record-sets", "--hosted-zone-id", zid)
		owned := 0
		for _, rs := range list.ResourceRecordSets {
			if rs.TrafficPolicyInstanceId == inst.TrafficPolicyInstance.Id {
				owned++
			}
		}
		if owned != 2 {
			t.Fatalf("%s: record sets %+v", cli.Name, list)
		}
		if rc, ans := dnsA(t, n, "www."+domain); rc != "NOERROR" || strings.Join(ans, ",") != "192.0.2.10" {
			t.Fatalf("%s: answer %s %v", cli.Name, rc, ans)
		}
		n.MustCLI(t, cli, "route53", "delete-traffic-policy-instance", "--id", inst.TrafficPolicyInstance.Id)
		if rc, _ := dnsA(t, n, "www."+domain); rc != "NXDOMAIN" {
			t.Fatalf("%s: after delete %s", cli.Name, rc)
		}
	}

}

// TestQueryLogsCLI: with the CLI v2, a query logging config makes each
// query of the zone a line in the log group, in Route 53's format.
func TestQueryLogsCLI(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	cli := framework.CLIs[1]
	var zone struct{ HostedZone struct{ Id string } }
	framework.CLIJSON(t, n, cli, &zone, "route53", "create-hosted-zone", "--name", "logged.example", "--caller-reference", "logged")
	zid := strings.TrimPrefix(zone.HostedZone.Id, "/hostedzone/")
	batch := `{"Changes":[{"Action":"CREATE","ResourceRecordSet":{"Name":"www.logged.example","Type":"A","TTL":60,"ResourceRecords":[{"Value":"192.0.2.1"}]}}]}`
	n.MustCLI(t, cli, "route53", "change-resource-record-sets", "--hosted-zone-id", zid, "--change-batch", batch)
	group := "/aws/route53/logged.example"
	n.MustCLI(t, cli, "logs", "create-log-group", "--log-group-name", group, "--region", "us-east-1")
	policy, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow",
		"Principal": map[string]string{"Service": "route53.amazonaws.com"}, "Action": []string{"logs:CreateLogStream", "logs:PutLogEvents"},
		"Resource": "arn:aws:logs:us-east-1:*:log-group:/aws/route53/*"}}})
	n.MustCLI(t, cli, "logs", "put-resource-policy", "--policy-name", "route53", "--policy-document", string(policy), "--region", "us-east-1")
	acct := strings.TrimSpace(n.MustCLI(t, cli, "sts", "get-caller-identity", "--query", "Account", "--output", "text"))
	n.MustCLI(t, cli, "route53", "create-query-logging-config", "--hosted-zone-id", zid,
		"--cloud-watch-logs-log-group-arn", "arn:aws:logs:us-east-1:"+acct+":log-group:"+group+":*")
	dnsA(t, n, "www.logged.example")
	var evs struct {
		Events []struct{ Message, LogStreamName string }
	}
	framework.CLIJSON(t, n, cli, &evs, "logs", "filter-log-events", "--log-group-name", group, "--region", "us-east-1")
	if len(evs.Events) != 1 || evs.Events[0].LogStreamName != zid+"/LOCAL1" {
		t.Fatalf("events %+v", evs)
	}
	f := strings.Fields(evs.Events[0].Message)
	if len(f) != 10 || f[0] != "1.0" || f[2] != zid || f[3] != "www.logged.example" || f[4] != "A" || f[5] != "NOERROR" || f[6] != "UDP" || f[9] != "-" {
		t.Fatalf("line %q", evs.Events[0].Message)
	}
}
