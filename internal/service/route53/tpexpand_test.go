package route53

import (
	"strings"
	"testing"

	mdns "github.com/miekg/dns"

	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// A weighted rule whose heavy item is a nested failover rule: the
// instance's answers come from the failover's primary.
const nestedPolicy = `{"AWSPolicyFormatVersion":"2015-10-01","RecordType":"A","StartRule":"split",
 "Endpoints":{"a":{"Type":"value","Value":"192.0.2.1"},"b":{"Type":"value","Value":"192.0.2.2"},"c":{"Type":"value","Value":"192.0.2.3"}},
 "Rules":{
  "split":{"RuleType":"weighted","Items":[{"RuleReference":"fo","Weight":"10"},{"EndpointReference":"c","Weight":"0"}]},
  "fo":{"RuleType":"failover","Primary":{"EndpointReference":"a"},"Secondary":{"EndpointReference":"b"}}}}`

// TestTrafficPolicyInstanceRecords: an instance puts the record sets its
// policy describes in the zone (carrying TrafficPolicyInstanceId), the DNS
// server answers them, an update to another version replaces them and a
// delete removes them.
// https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/traffic-policy-records.html
func TestTrafficPolicyInstanceRecords(t *testing.T) {
	f, addr := dnsFixture(t)
	z := f.zone("example.com", nil)
	p, err := f.CreateTrafficPolicy(f.ctx, &route53api.CreateTrafficPolicyInput{Name: ptr.To("site"), Document: ptr.To(policyDoc)})
	if err != nil {
		t.Fatal(err)
	}
	id := *p.TrafficPolicy.Id
	if _, err := f.CreateTrafficPolicyVersion(f.ctx, &route53api.CreateTrafficPolicyVersionInput{Id: ptr.To(id), Document: ptr.To(nestedPolicy)}); err != nil {
		t.Fatal(err)
	}
	inst, err := f.CreateTrafficPolicyInstance(f.ctx, &route53api.CreateTrafficPolicyInstanceInput{HostedZoneId: ptr.To(z), Name: ptr.To("www.example.com"),
		TTL: ptr.To(int64(60)), TrafficPolicyId: ptr.To(id), TrafficPolicyVersion: ptr.To(int32(1))})
	if err != nil {
		t.Fatal(err)
	}
	instID := *inst.TrafficPolicyInstance.Id
	owned := func() []string {
		t.Helper()
		l, err := f.ListResourceRecordSets(f.ctx, &route53api.ListResourceRecordSetsInput{HostedZoneId: ptr.To(z)})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, rs := range l.ResourceRecordSets {
			if ptr.Deref(rs.TrafficPolicyInstanceId) == instID {
				d := *rs.Name + " " + ptr.Deref(rs.SetIdentifier)
				if rs.Failover != nil {
					d += " " + *rs.Failover
				}
				if rs.Weight != nil {
					d += " w"
				}
				out = append(out, d)
			}
		}
		return out
	}
	if got := strings.Join(owned(), "|"); got != "www.example.com. site-Primary PRIMARY|www.example.com. site-Secondary SECONDARY" {
		t.Fatalf("version 1 record sets: %q", got)
	}
	if got := answers(query(t, addr, "udp", "www.example.com.", mdns.TypeA)); got != "www.example.com. 60 IN A 192.0.2.1" {
		t.Fatalf("version 1 answer: %q", got)
	}
	// A record set of the same name the instance does not own blocks a
	// second instance's.
	rs := rrset("api.example.com", "A", 10, "10.0.0.1")
	rs.SetIdentifier, rs.Failover = ptr.To("site-Primary"), ptr.To("PRIMARY")
	if err := f.change(z, ch("CREATE", rs)); err != nil {
		t.Fatal(err)
	}
	_, err = f.CreateTrafficPolicyInstance(f.ctx, &route53api.CreateTrafficPolicyInstanceInput{HostedZoneId: ptr.To(z), Name: ptr.To("api.example.com"),
		TTL: ptr.To(int64(60)), TrafficPolicyId: ptr.To(id), TrafficPolicyVersion: ptr.To(int32(1))})
	wantErr(t, err, "InvalidChangeBatch", "[Tried to create resource record set [name='api.example.com.', type='A', set-identifier='site-Primary'] but it already exists]")

	if _, err := f.UpdateTrafficPolicyInstance(f.ctx, &route53api.UpdateTrafficPolicyInstanceInput{Id: ptr.To(instID), TTL: ptr.To(int64(30)),
		TrafficPolicyId: ptr.To(id), TrafficPolicyVersion: ptr.To(int32(2))}); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(owned(), "|"); got != "www.example.com. split-1 w|www.example.com. split-2 w|tp-fo-1.www.example.com. fo-Primary PRIMARY|tp-fo-1.www.example.com. fo-Secondary SECONDARY" {
		t.Fatalf("version 2 record sets: %q", got)
	}
	for range 5 {
		if got := answers(query(t, addr, "udp", "www.example.com.", mdns.TypeA)); got != "www.example.com. 30 IN A 192.0.2.1" {
			t.Fatalf("version 2 answer: %q", got)
		}
	}
	if _, err := f.DeleteTrafficPolicyInstance(f.ctx, &route53api.DeleteTrafficPolicyInstanceInput{Id: ptr.To(instID)}); err != nil {
		t.Fatal(err)
	}
	if got := owned(); len(got) != 0 {
		t.Fatalf("after delete: %q", got)
	}
	if m := query(t, addr, "udp", "www.example.com.", mdns.TypeA); len(m.Answer) != 0 || m.Rcode != mdns.RcodeNameError {
		t.Fatalf("after delete: %v", m)
	}
}
