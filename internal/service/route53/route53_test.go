package route53

import (
	"fmt"
	"strings"
	"testing"
	"time"

	mdns "github.com/miekg/dns"

	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

const testAccount = "123456789012"

var t0 = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

type fixture struct {
	*Route53
	t     *testing.T
	clock *clock.Fake
	ctx   *request.Context
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	h := servicetest.New(t, "route53", servicetest.At(t0), servicetest.InAccount(testAccount))
	return &fixture{Route53: New(h.Store(), WithRegion("us-east-1"), WithClock(h.Clock)), t: t, clock: h.Clock, ctx: h.Ctx()}
}

func (f *fixture) zone(name string, vpc *route53api.VPC) string {
	f.t.Helper()
	out, err := f.CreateHostedZone(f.ctx, &route53api.CreateHostedZoneInput{Name: ptr.To(name), CallerReference: ptr.To("ref-" + name + ptr.Deref(ptr.To(""))), VPC: vpc})
	if err != nil {
		f.t.Fatal(err)
	}
	return *out.HostedZone.Id
}

func rrset(name, typ string, ttl int64, values ...string) *route53api.ResourceRecordSet {
	rs := &route53api.ResourceRecordSet{Name: ptr.To(name), Type: ptr.To(typ), TTL: ptr.To(ttl)}
	for _, v := range values {
		rs.ResourceRecords = append(rs.ResourceRecords, route53api.ResourceRecord{Value: ptr.To(v)})
	}
	return rs
}

func (f *fixture) change(zone string, changes ...route53api.Change) error {
	_, err := f.ChangeResourceRecordSets(f.ctx, &route53api.ChangeResourceRecordSetsInput{HostedZoneId: ptr.To(zone), ChangeBatch: &route53api.ChangeBatch{Changes: changes}})
	return err
}

func ch(action string, rs *route53api.ResourceRecordSet) route53api.Change {
	return route53api.Change{Action: ptr.To(action), ResourceRecordSet: rs}
}

func wantErr(t *testing.T, err error, code, msg string) {
	t.Helper()
	e := awserr.As(err)
	if e == nil || e.Code.Code != code || e.Message != msg {
		t.Fatalf("got %v; want %s: %s", err, code, msg)
	}
}

func TestCreateHostedZone(t *testing.T) {
	f := newFixture(t)
	out, err := f.CreateHostedZone(f.ctx, &route53api.CreateHostedZoneInput{Name: ptr.To("Example.COM"), CallerReference: ptr.To("r1"),
		HostedZoneConfig: &route53api.HostedZoneConfig{Comment: ptr.To("hi")}})
	if err != nil {
		t.Fatal(err)
	}
	id := *out.HostedZone.Id
	if !strings.HasPrefix(id, "/hostedzone/Z") || len(id) != len("/hostedzone/")+21 || strings.ToUpper(id) != id[:1]+strings.ToUpper(id[1:]) {
		t.Fatalf("id %q", id)
	}
	if *out.HostedZone.Name != "example.com." || *out.HostedZone.Config.PrivateZone || *out.HostedZone.ResourceRecordSetCount != 2 || *out.HostedZone.Config.Comment != "hi" {
		t.Fatalf("zone %+v", out.HostedZone)
	}
	if len(out.DelegationSet.NameServers) != 4 || out.VPC != nil || *out.ChangeInfo.Status != "PENDING" || !strings.HasPrefix(*out.ChangeInfo.Id, "/change/C") {
		t.Fatalf("out %+v", out)
	}
	_, err = f.CreateHostedZone(f.ctx, &route53api.CreateHostedZoneInput{Name: ptr.To("other.com"), CallerReference: ptr.To("r1")})
	wantErr(t, err, "HostedZoneAlreadyExists", "A hosted zone has already been created with the specified caller reference.")

	// A zone created with a VPC is private, GetHostedZone lists its VPCs.
	priv, err := f.CreateHostedZone(f.ctx, &route53api.CreateHostedZoneInput{Name: ptr.To("corp.internal"), CallerReference: ptr.To("r2"),
		VPC: &route53api.VPC{VPCId: ptr.To("vpc-0123456789abcdef0"), VPCRegion: ptr.To("ap-northeast-1")}})
	if err != nil {
		t.Fatal(err)
	}
	if !*priv.HostedZone.Config.PrivateZone || priv.DelegationSet != nil || *priv.VPC.VPCId != "vpc-0123456789abcdef0" {
		t.Fatalf("private %+v", priv)
	}
	got, err := f.GetHostedZone(f.ctx, &route53api.GetHostedZoneInput{Id: priv.HostedZone.Id})
	if err != nil || len(got.VPCs) != 1 || *got.VPCs[0].VPCRegion != "ap-northeast-1" || got.DelegationSet != nil {
		t.Fatalf("get private %+v %v", got, err)
	}
	_, err = f.CreateHostedZone(f.ctx, &route53api.CreateHostedZoneInput{Name: ptr.To("x.internal"), CallerReference: ptr.To("r3"), VPC: &route53api.VPC{VPCId: ptr.To("vpc-xyz")}})
	wantErr(t, err, "InvalidVPCId", "The VPC ID 'vpc-xyz' is not valid.")
	_, err = f.GetHostedZone(f.ctx, &route53api.GetHostedZoneInput{Id: ptr.To("ZNOPE")})
	wantErr(t, err, "NoSuchHostedZone", "No hosted zone found with ID: ZNOPE")

	count, _ := f.GetHostedZoneCount(f.ctx, nil)
	if *count.HostedZoneCount != 2 {
		t.Fatalf("count %d", *count.HostedZoneCount)
	}
}

func TestVPCAssociation(t *testing.T) {
	f := newFixture(t)
	vpc1 := &route53api.VPC{VPCId: ptr.To("vpc-11111111"), VPCRegion: ptr.To("us-east-1")}
	vpc2 := &route53api.VPC{VPCId: ptr.To("vpc-22222222"), VPCRegion: ptr.To("us-east-1")}
	priv := f.zone("corp.internal", vpc1)
	pub := f.zone("example.com", nil)
	_, err := f.AssociateVPCWithHostedZone(f.ctx, &route53api.AssociateVPCWithHostedZoneInput{HostedZoneId: &pub, VPC: vpc2})
	wantErr(t, err, "PublicZoneVPCAssociation", "Public hosted zones cannot be associated with VPCs.")
	if _, err := f.AssociateVPCWithHostedZone(f.ctx, &route53api.AssociateVPCWithHostedZoneInput{HostedZoneId: &priv, VPC: vpc2}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.DisassociateVPCFromHostedZone(f.ctx, &route53api.DisassociateVPCFromHostedZoneInput{HostedZoneId: &priv, VPC: vpc1}); err != nil {
		t.Fatal(err)
	}
	_, err = f.DisassociateVPCFromHostedZone(f.ctx, &route53api.DisassociateVPCFromHostedZoneInput{HostedZoneId: &priv, VPC: vpc2})
	wantErr(t, err, "LastVPCAssociation", "The VPC that you're trying to disassociate from the private hosted zone is the last VPC that is associated with the hosted zone. Amazon Route 53 doesn't support disassociating the last VPC from a hosted zone.")
	_, err = f.DisassociateVPCFromHostedZone(f.ctx, &route53api.DisassociateVPCFromHostedZoneInput{HostedZoneId: &priv, VPC: vpc1})
	wantErr(t, err, "VPCAssociationNotFound", "The specified VPC and hosted zone are not currently associated.")
	byVPC, _ := f.ListHostedZonesByVPC(f.ctx, &route53api.ListHostedZonesByVPCInput{VPCId: ptr.To("vpc-22222222"), VPCRegion: ptr.To("us-east-1")})
	if len(byVPC.HostedZoneSummaries) != 1 || *byVPC.HostedZoneSummaries[0].Name != "corp.internal." {
		t.Fatalf("by vpc %+v", byVPC)
	}
}

// TestChangeBatchMessages: Route53's InvalidChangeBatch and InvalidInput
// messages, and atomicity (a failing batch changes nothing).
func TestChangeBatchMessages(t *testing.T) {
	f := newFixture(t)
	z := f.zone("example.com", nil)
	if err := f.change(z, ch("CREATE", rrset("www.example.com", "A", 0, "10.0.0.1")), ch("CREATE", rrset("mail.example.com", "MX", 300, "10 mx.example.com."))); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		changes   []route53api.Change
		code, msg string
	}{
		{"create existing", []route53api.Change{ch("CREATE", rrset("www.example.com", "A", 60, "10.0.0.9"))},
			"InvalidChangeBatch", "[Tried to create resource record set [name='www.example.com.', type='A'] but it already exists]"},
		{"delete missing", []route53api.Change{ch("DELETE", rrset("nope.example.com", "A", 0, "10.0.0.1"))},
			"InvalidChangeBatch", "[Tried to delete resource record set [name='nope.example.com.', type='A'] but it was not found]"},
		{"delete wrong value", []route53api.Change{ch("DELETE", rrset("www.example.com", "A", 0, "10.0.0.2"))},
			"InvalidChangeBatch", "[Tried to delete resource record set [name='www.example.com.', type='A'] but the values provided do not match the current values]"},
		{"delete wrong ttl", []route53api.Change{ch("DELETE", rrset("www.example.com", "A", 60, "10.0.0.1"))},
			"InvalidChangeBatch", "[Tried to delete resource record set [name='www.example.com.', type='A'] but the values provided do not match the current values]"},
		{"weighted beside simple", []route53api.Change{ch("CREATE", func() *route53api.ResourceRecordSet {
			rs := rrset("www.example.com", "A", 60, "10.0.0.9")
			rs.SetIdentifier, rs.Weight = ptr.To("w"), ptr.To(int64(1))
			return rs
		}())},
			"InvalidChangeBatch", "[RRSet with DNS name www.example.com., type A, SetIdentifier w cannot be created as a non-weighted set exists with the same name and type.]"},
		{"latency beside weighted", []route53api.Change{ch("CREATE", func() *route53api.ResourceRecordSet {
			rs := rrset("routed.example.com", "A", 60, "10.0.0.9")
			rs.SetIdentifier, rs.Weight = ptr.To("w"), ptr.To(int64(1))
			return rs
		}()), ch("CREATE", func() *route53api.ResourceRecordSet {
			rs := rrset("routed.example.com", "A", 60, "10.0.0.8")
			rs.SetIdentifier, rs.Region = ptr.To("l"), ptr.To("us-east-1")
			return rs
		}()), ch("CREATE", rrset("routed.example.com", "A", 60, "10.0.0.7"))},
			"InvalidChangeBatch", "[RRSet with DNS name routed.example.com., type A, SetIdentifier l cannot be created as a non-latency set exists with the same name and type., RRSet with DNS name routed.example.com., type A cannot be created as weighted sets exist with the same name and type.]"},
		{"two errors, atomic", []route53api.Change{ch("UPSERT", rrset("new.example.com", "A", 0, "10.0.0.3")), ch("DELETE", rrset("a.example.com", "A", 0, "1.1.1.1")), ch("DELETE", rrset("b.example.com", "A", 0, "1.1.1.1"))},
			"InvalidChangeBatch", "[Tried to delete resource record set [name='a.example.com.', type='A'] but it was not found, Tried to delete resource record set [name='b.example.com.', type='A'] but it was not found]"},
		{"cname conflict", []route53api.Change{ch("CREATE", rrset("www.example.com", "CNAME", 300, "other.example.com"))},
			"InvalidChangeBatch", "RRSet of type CNAME with DNS name www.example.com. is not permitted as it conflicts with other records with the same DNS name in zone example.com."},
		{"type conflicting with cname", []route53api.Change{ch("CREATE", rrset("c.example.com", "CNAME", 300, "www.example.com")), ch("CREATE", rrset("c.example.com", "TXT", 300, `"x"`))},
			"InvalidChangeBatch", "RRSet of type TXT with DNS name c.example.com. is not permitted because a conflicting RRSet of type CNAME with the same DNS name already exists in zone example.com."},
		{"cname at apex", []route53api.Change{ch("CREATE", rrset("example.com", "CNAME", 300, "www.example.com"))},
			"InvalidChangeBatch", "[RRSet of type CNAME with DNS name example.com. is not permitted at apex in zone example.com.]"},
		{"create twice in one batch", []route53api.Change{ch("CREATE", rrset("dup.example.com", "A", 60, "10.0.0.1")), ch("CREATE", rrset("dup.example.com", "A", 60, "10.0.0.2"))},
			"InvalidChangeBatch", "[Tried to create resource record set [name='dup.example.com.', type='A'] but it already exists]"},
		{"delete twice in one batch", []route53api.Change{ch("DELETE", rrset("www.example.com", "A", 0, "10.0.0.1")), ch("DELETE", rrset("www.example.com", "A", 0, "10.0.0.1"))},
			"InvalidChangeBatch", "[Tried to delete resource record set [name='www.example.com.', type='A'] but it was not found]"},
		{"duplicate value", []route53api.Change{ch("CREATE", rrset("d.example.com", "A", 60, "10.0.0.1", "10.0.0.2", "10.0.0.1"))},
			"InvalidChangeBatch", "[Duplicate Resource Record: '10.0.0.1']"},
		{"duplicate values", []route53api.Change{ch("CREATE", rrset("d.example.com", "CNAME", 60, "A.example.com")), ch("UPSERT", rrset("e.example.com", "NS", 60, "ns1.example.com.", "NS1.example.com.", "ns2.example.com.", "ns2.example.com."))},
			"InvalidChangeBatch", "[Duplicate Resource Record: 'NS1.example.com.', Duplicate Resource Record: 'ns2.example.com.']"},
		{"txt string of 256", []route53api.Change{ch("CREATE", rrset("t.example.com", "TXT", 60, `"`+strings.Repeat("a", 256)+`"`))},
			"InvalidChangeBatch", "[Invalid Resource Record: 'FATAL problem: CharacterStringTooLong (Value is too long) encountered with '\"" + strings.Repeat("a", 256) + "\"'']"},
		{"txt second string of 256", []route53api.Change{ch("CREATE", rrset("t.example.com", "TXT", 60, `"a" "`+strings.Repeat("b", 252)+`\"\\\066\067"`))},
			"InvalidChangeBatch", "[Invalid Resource Record: 'FATAL problem: CharacterStringTooLong (Value is too long) encountered with '\"a\" \"" + strings.Repeat("b", 252) + `\"\\\066\067` + "\"'']"},
		{"txt unterminated", []route53api.Change{ch("CREATE", rrset("t.example.com", "TXT", 60, `"a" "b\"`))},
			"InvalidChangeBatch", "[Invalid Resource Record: 'FATAL problem: InvalidCharacterString (Value should be enclosed in quotation marks) encountered with '\"a\" \"b\\\"'']"},
		{"negative ttl", []route53api.Change{ch("CREATE", rrset("n.example.com", "A", -1, "10.0.0.1"))},
			"InvalidInput", "1 validation error detected: Value '-1' at 'changeBatch.changes.1.member.resourceRecordSet.tTL' failed to satisfy constraint: Member must have value greater than or equal to 0"},
		{"ttl too large", []route53api.Change{ch("CREATE", rrset("n.example.com", "A", 2147483648, "10.0.0.1"))},
			"InvalidInput", "1 validation error detected: Value '2147483648' at 'changeBatch.changes.1.member.resourceRecordSet.tTL' failed to satisfy constraint: Member must have value less than or equal to 2147483647"},
		{"bad ipv6", []route53api.Change{ch("CREATE", rrset("bad.example.com", "AAAA", 300, "10.0.0.1"))},
			"InvalidChangeBatch", "[Invalid Resource Record: 'FATAL problem: AAAARRDATAIllegalIPv6Address (Value is not a valid IPv6 address) encountered with '10.0.0.1'']"},
		{"mx without priority", []route53api.Change{ch("CREATE", rrset("m.example.com", "MX", 300, "mx.example.com"))},
			"InvalidChangeBatch", "[Invalid Resource Record: 'FATAL problem: MXRRDATANotTwoFields (Value should contain a priority and a domain name) encountered with 'mx.example.com'']"},
		{"txt unquoted", []route53api.Change{ch("CREATE", rrset("t.example.com", "TXT", 300, "hello"))},
			"InvalidChangeBatch", "[Invalid Resource Record: 'FATAL problem: InvalidCharacterString (Value should be enclosed in quotation marks) encountered with 'hello'']"},
		{"outside zone", []route53api.Change{ch("CREATE", rrset("www.example.org", "A", 300, "10.0.0.1"))},
			"InvalidChangeBatch", "[RRSet with DNS name www.example.org. is not permitted in zone example.com.]"},
		{"bad ipv4", []route53api.Change{ch("CREATE", rrset("bad.example.com", "A", 300, "abc"))},
			"InvalidChangeBatch", "[Invalid Resource Record: 'FATAL problem: ARRDATAIllegalIPv4Address (Value is not a valid IPv4 address) encountered with 'abc'']"},
		{"empty label", []route53api.Change{ch("CREATE", rrset("a..example.com", "A", 300, "10.0.0.1"))},
			"InvalidChangeBatch", "[FATAL problem: DomainLabelEmpty (Domain label is empty) encountered with 'a..example.com']"},
		{"leading dot", []route53api.Change{ch("CREATE", rrset(".example.com", "A", 300, "10.0.0.1"))},
			"InvalidChangeBatch", "[FATAL problem: DomainLabelEmpty (Domain label is empty) encountered with '.example.com']"},
		{"label of 64", []route53api.Change{ch("CREATE", rrset(strings.Repeat("x", 64)+".example.com", "A", 300, "10.0.0.1"))},
			"InvalidChangeBatch", "[FATAL problem: DomainLabelTooLong (Domain label is too long) encountered with '" + strings.Repeat("x", 64) + ".example.com']"},
		{"name of 256", []route53api.Change{ch("CREATE", rrset(strings.Repeat(strings.Repeat("x", 61)+".", 4)+"example.com", "A", 300, "10.0.0.1"))},
			"InvalidChangeBatch", "[FATAL problem: DomainNameTooLong (Domain name is too long) encountered with '" + strings.Repeat(strings.Repeat("x", 61)+".", 4) + "example.com']"},
		{"space in name", []route53api.Change{ch("CREATE", rrset("a b.example.com", "A", 300, "10.0.0.1"))},
			"InvalidChangeBatch", "[FATAL problem: UnsupportedCharacter (Value contains unsupported characters) encountered with ' ']"},
		{"no ttl", []route53api.Change{ch("CREATE", &route53api.ResourceRecordSet{Name: ptr.To("x.example.com"), Type: ptr.To("A")})},
			"InvalidInput", "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in Change with [Action=CREATE, Name=x.example.com, Type=A, SetIdentifier=null]"},
		{"weighted without set identifier", []route53api.Change{ch("CREATE", &route53api.ResourceRecordSet{Name: ptr.To("w.example.com"), Type: ptr.To("A"), TTL: ptr.To(int64(1)), Weight: ptr.To(int64(1)), ResourceRecords: []route53api.ResourceRecord{{Value: ptr.To("1.2.3.4")}}})},
			"InvalidInput", "Invalid request: Missing field 'SetIdentifier' in Change with [Action=CREATE, Name=w.example.com., Type=A, SetIdentifier=null]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			wantErr(t, f.change(z, c.changes...), c.code, c.msg)
		})
	}
	list, err := f.ListResourceRecordSets(f.ctx, &route53api.ListResourceRecordSetsInput{HostedZoneId: &z})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, rs := range list.ResourceRecordSets {
		names = append(names, *rs.Name+" "+*rs.Type)
	}
	if got := strings.Join(names, ","); got != "example.com. NS,example.com. SOA,mail.example.com. MX,www.example.com. A" {
		t.Fatalf("after failed batches: %s", got)
	}
	soa := list.ResourceRecordSets[1]
	wantErr(t, f.change(z, ch("DELETE", &soa)), "InvalidChangeBatch", "[A HostedZone must contain exactly one SOA record.]")
	ns := list.ResourceRecordSets[0]
	wantErr(t, f.change(z, ch("DELETE", &ns)), "InvalidChangeBatch", "[A HostedZone must contain at least one NS record for the zone itself.]")
	// UPSERT replaces; DELETE with the exact values removes; TTL 0 stays.
	if err := f.change(z, ch("UPSERT", rrset("www.example.com", "A", 0, "10.0.0.7"))); err != nil {
		t.Fatal(err)
	}
	if err := f.change(z, ch("DELETE", rrset("WWW.example.com.", "A", 0, "10.0.0.7"))); err != nil {
		t.Fatal(err)
	}
	zone, _ := f.GetHostedZone(f.ctx, &route53api.GetHostedZoneInput{Id: &z})
	if *zone.HostedZone.ResourceRecordSetCount != 3 {
		t.Fatalf("count %d", *zone.HostedZone.ResourceRecordSetCount)
	}
	_, err = f.DeleteHostedZone(f.ctx, &route53api.DeleteHostedZoneInput{Id: &z})
	wantErr(t, err, "HostedZoneNotEmpty", "The specified hosted zone contains non-required resource record sets and so cannot be deleted.")
	if err := f.change(z, ch("DELETE", rrset("mail.example.com", "MX", 300, "10 mx.example.com."))); err != nil {
		t.Fatal(err)
	}
	if _, err := f.DeleteHostedZone(f.ctx, &route53api.DeleteHostedZoneInput{Id: &z}); err != nil {
		t.Fatal(err)
	}
}

func TestGetChangeOnTheClock(t *testing.T) {
	f := newFixture(t)
	f.zone("example.com", nil)
	z := f.zone("example.org", nil)
	out, err := f.ChangeResourceRecordSets(f.ctx, &route53api.ChangeResourceRecordSetsInput{HostedZoneId: &z, ChangeBatch: &route53api.ChangeBatch{
		Comment: ptr.To("c"), Changes: []route53api.Change{ch("CREATE", rrset("a.example.org", "A", 0, "1.2.3.4"))}}})
	if err != nil {
		t.Fatal(err)
	}
	get := func() string {
		c, err := f.GetChange(f.ctx, &route53api.GetChangeInput{Id: out.ChangeInfo.Id})
		if err != nil {
			t.Fatal(err)
		}
		if *c.ChangeInfo.Comment != "c" || !c.ChangeInfo.SubmittedAt.Equal(t0) {
			t.Fatalf("change %+v", c.ChangeInfo)
		}
		return *c.ChangeInfo.Status
	}
	if s := get(); s != "PENDING" {
		t.Fatalf("before the clock moves: %s", s)
	}
	f.clock.Advance(time.Millisecond)
	if s := get(); s != "INSYNC" {
		t.Fatalf("after: %s", s)
	}
	_, err = f.GetChange(f.ctx, &route53api.GetChangeInput{Id: ptr.To("CNOPE")})
	wantErr(t, err, "NoSuchChange", "A change with the specified change ID does not exist.")
}

func TestListResourceRecordSetsPagination(t *testing.T) {
	f := newFixture(t)
	z := f.zone("example.com", nil)
	var changes []route53api.Change
	for _, n := range []string{"b", "a", "c.a", "z"} {
		changes = append(changes, ch("CREATE", rrset(n+".example.com", "A", 60, "10.0.0.1")), ch("CREATE", rrset(n+".example.com", "TXT", 60, `"t"`)))
	}
	for _, id := range []string{"one", "two"} {
		changes = append(changes, ch("CREATE", &route53api.ResourceRecordSet{Name: ptr.To("w.example.com"), Type: ptr.To("A"), TTL: ptr.To(int64(1)), SetIdentifier: ptr.To(id), Weight: ptr.To(int64(1)),
			ResourceRecords: []route53api.ResourceRecord{{Value: ptr.To("1.2.3.4")}}}))
	}
	if err := f.change(z, changes...); err != nil {
		t.Fatal(err)
	}
	var got []string
	in := &route53api.ListResourceRecordSetsInput{HostedZoneId: &z, MaxItems: ptr.To("3")}
	for page := 0; ; page++ {
		out, err := f.ListResourceRecordSets(f.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, rs := range out.ResourceRecordSets {
			got = append(got, *rs.Name+"/"+*rs.Type+"/"+ptr.Deref(rs.SetIdentifier))
		}
		if !*out.IsTruncated {
			break
		}
		in.StartRecordName, in.StartRecordType, in.StartRecordIdentifier = out.NextRecordName, out.NextRecordType, out.NextRecordIdentifier
	}
	want := "example.com./NS/,example.com./SOA/,a.example.com./A/,a.example.com./TXT/,c.a.example.com./A/,c.a.example.com./TXT/,b.example.com./A/,b.example.com./TXT/,w.example.com./A/one,w.example.com./A/two,z.example.com./A/,z.example.com./TXT/"
	if strings.Join(got, ",") != want {
		t.Fatalf("pages:\n%s\nwant\n%s", strings.Join(got, ","), want)
	}
	// StartRecordName is a DNS name: whitespace and control characters
	// are refused, escaped they are fine.
	for _, c := range []struct{ name, bad string }{
		{" ", " "}, {"\t", "\t"}, {"a b.example.com", " "}, {"www.example.com\n", "\n"}, {"x\x7f.example.com", "\x7f"},
		{"\\040.example.com", ""}, {"\\052.example.com", ""}, {"b.example.com", ""},
	} {
		_, err := f.ListResourceRecordSets(f.ctx, &route53api.ListResourceRecordSetsInput{HostedZoneId: &z, StartRecordName: ptr.To(c.name)})
		if c.bad == "" {
			if err != nil {
				t.Errorf("StartRecordName %q: %v", c.name, err)
			}
			continue
		}
		wantErr(t, err, "InvalidInput", "FATAL problem: UnsupportedCharacter (Value contains unsupported characters) encountered with '"+c.bad+"'")
	}
}

// TestTXTValues: TXT values are quoted character-strings of at most 255
// octets each (escapes count as the octet they stand for); a value may
// hold several.
func TestTXTValues(t *testing.T) {
	f := newFixture(t)
	z := f.zone("example.com", nil)
	long := `"` + strings.Repeat("a", 255) + `"`
	for i, v := range []string{long, long + ` "b"`, `"` + strings.Repeat("a", 253) + `\"\\"`, `"` + strings.Repeat("a", 252) + `\101\102\103"`, `""`, `"a"  "b"`} {
		if err := f.change(z, ch("CREATE", rrset(fmt.Sprintf("t%d.example.com", i), "TXT", 60, v))); err != nil {
			t.Errorf("%q: %v", v, err)
		}
	}
}

func TestTestDNSAnswer(t *testing.T) {
	f := newFixture(t)
	z := f.zone("example.com", nil)
	if err := f.change(z, ch("CREATE", rrset("www.example.com", "A", 0, "10.0.0.1", "10.0.0.2"))); err != nil {
		t.Fatal(err)
	}
	out, err := f.TestDNSAnswer(f.ctx, &route53api.TestDNSAnswerInput{HostedZoneId: &z, RecordName: ptr.To("www.example.com"), RecordType: ptr.To("A")})
	if err != nil {
		t.Fatal(err)
	}
	if *out.ResponseCode != "NOERROR" || strings.Join(out.RecordData, ",") != "10.0.0.1,10.0.0.2" || *out.Protocol != "UDP" {
		t.Fatalf("answer %+v", out)
	}
	out, _ = f.TestDNSAnswer(f.ctx, &route53api.TestDNSAnswerInput{HostedZoneId: &z, RecordName: ptr.To("nope.example.com"), RecordType: ptr.To("A")})
	if *out.ResponseCode != "NXDOMAIN" || len(out.RecordData) != 0 {
		t.Fatalf("nxdomain %+v", out)
	}
}

// resolve asks the service's resolver directly.
func (f *fixture) resolve(name string, qtype uint16, vpc string) *mdns.Msg {
	f.t.Helper()
	m, err := f.resolver.Answer(mdns.Question{Name: name, Qtype: qtype, Qclass: mdns.ClassINET}, vpc)
	if err != nil {
		f.t.Fatal(err)
	}
	return m
}

func TestHealthChecksAndTags(t *testing.T) {
	f := newFixture(t)
	cfg := &route53api.HealthCheckConfig{Type: ptr.To("HTTPS"), FullyQualifiedDomainName: ptr.To("example.com"), ResourcePath: ptr.To("/health")}
	h, err := f.CreateHealthCheck(f.ctx, &route53api.CreateHealthCheckInput{CallerReference: ptr.To("hc1"), HealthCheckConfig: cfg})
	if err != nil {
		t.Fatal(err)
	}
	c := h.HealthCheck.HealthCheckConfig
	if *c.Port != 443 || *c.RequestInterval != 30 || *c.FailureThreshold != 3 || !*c.EnableSNI || *h.HealthCheck.HealthCheckVersion != 1 {
		t.Fatalf("defaults %+v", c)
	}
	again, err := f.CreateHealthCheck(f.ctx, &route53api.CreateHealthCheckInput{CallerReference: ptr.To("hc1"), HealthCheckConfig: cfg})
	if err != nil || *again.HealthCheck.Id != *h.HealthCheck.Id {
		t.Fatalf("same caller reference and config: %v %v", again, err)
	}
	_, err = f.CreateHealthCheck(f.ctx, &route53api.CreateHealthCheckInput{CallerReference: ptr.To("hc1"), HealthCheckConfig: &route53api.HealthCheckConfig{Type: ptr.To("TCP"), IPAddress: ptr.To("192.0.2.1")}})
	wantErr(t, err, "HealthCheckAlreadyExists", "A health check has already been created with the specified caller reference.")
	_, err = f.CreateHealthCheck(f.ctx, &route53api.CreateHealthCheckInput{CallerReference: ptr.To("hc2"), HealthCheckConfig: &route53api.HealthCheckConfig{Type: ptr.To("HTTP")}})
	wantErr(t, err, "InvalidInput", "Invalid parameter : Either IPAddress or FullyQualifiedDomainName must be specified for health checks of type HTTP")
	_, err = f.UpdateHealthCheck(f.ctx, &route53api.UpdateHealthCheckInput{HealthCheckId: h.HealthCheck.Id, HealthCheckVersion: ptr.To(int64(7))})
	wantErr(t, err, "HealthCheckVersionMismatch", "The value of HealthCheckVersion in the request doesn't match the value of HealthCheckVersion in the health check.")
	up, err := f.UpdateHealthCheck(f.ctx, &route53api.UpdateHealthCheckInput{HealthCheckId: h.HealthCheck.Id, HealthCheckVersion: ptr.To(int64(1)), FailureThreshold: ptr.To(int32(5))})
	if err != nil || *up.HealthCheck.HealthCheckVersion != 2 || *up.HealthCheck.HealthCheckConfig.FailureThreshold != 5 || *up.HealthCheck.HealthCheckConfig.Port != 443 {
		t.Fatalf("update %+v %v", up, err)
	}
	if n, _ := f.GetHealthCheckCount(f.ctx, nil); *n.HealthCheckCount != 1 {
		t.Fatalf("count %d", *n.HealthCheckCount)
	}
	z := f.zone("example.com", nil)
	if _, err := f.ChangeTagsForResource(f.ctx, &route53api.ChangeTagsForResourceInput{ResourceType: ptr.To("hostedzone"), ResourceId: ptr.To(bareID(z)),
		AddTags: []route53api.Tag{{Key: ptr.To("env"), Value: ptr.To("dev")}, {Key: ptr.To("team"), Value: ptr.To("dns")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ChangeTagsForResource(f.ctx, &route53api.ChangeTagsForResourceInput{ResourceType: ptr.To("hostedzone"), ResourceId: ptr.To(bareID(z)), RemoveTagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := f.ListTagsForResource(f.ctx, &route53api.ListTagsForResourceInput{ResourceType: ptr.To("hostedzone"), ResourceId: ptr.To(bareID(z))})
	if err != nil || len(tags.ResourceTagSet.Tags) != 1 || *tags.ResourceTagSet.Tags[0].Key != "env" {
		t.Fatalf("tags %+v %v", tags, err)
	}
	_, err = f.ListTagsForResource(f.ctx, &route53api.ListTagsForResourceInput{ResourceType: ptr.To("healthcheck"), ResourceId: ptr.To("nope")})
	wantErr(t, err, "NoSuchHealthCheck", "A health check with id nope does not exist.")
	if _, err := f.DeleteHealthCheck(f.ctx, &route53api.DeleteHealthCheckInput{HealthCheckId: h.HealthCheck.Id}); err != nil {
		t.Fatal(err)
	}
	_, err = f.GetHealthCheck(f.ctx, &route53api.GetHealthCheckInput{HealthCheckId: h.HealthCheck.Id})
	wantErr(t, err, "NoSuchHealthCheck", "A health check with id "+*h.HealthCheck.Id+" does not exist.")
}

// TestChangeBatchLimits: Route53's quotas on one request (1000
// ResourceRecord elements, 32000 characters of values, an UPSERT counting
// twice) and on a zone (10000 record sets, its SOA and NS included).
func TestChangeBatchLimits(t *testing.T) {
	f := newFixture(t)
	z := f.zone("example.com", nil)
	ips := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("10.0.%d.%d", i/250, i%250)
		}
		return out
	}
	txts := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			// 15 strings of 255: 3869 characters per value.
			out[i] = strings.TrimSpace(strings.Repeat(`"`+fmt.Sprintf("%03d", i)+strings.Repeat("a", 252)+`" `, 15))
		}
		return out
	}
	const records, rdata = "[Number of records limit of 1000 exceeded.]", "[RDATA character limit of 32000 exceeded.]"
	for _, c := range []struct {
		name    string
		changes []route53api.Change
		msg     string // "" accepted
	}{
		{"1000 records", []route53api.Change{ch("CREATE", rrset("a.example.com", "A", 60, ips(600)...)), ch("CREATE", rrset("b.example.com", "A", 60, ips(400)...))}, ""},
		{"1001 records", []route53api.Change{ch("CREATE", rrset("c.example.com", "A", 60, ips(600)...)), ch("CREATE", rrset("d.example.com", "A", 60, ips(401)...))}, records},
		{"upsert of 500", []route53api.Change{ch("UPSERT", rrset("e.example.com", "A", 60, ips(500)...))}, ""},
		{"upsert of 501", []route53api.Change{ch("UPSERT", rrset("f.example.com", "A", 60, ips(501)...))}, records},
		{"8 long values", []route53api.Change{ch("CREATE", rrset("g.example.com", "TXT", 60, txts(8)...))}, ""},
		{"9 long values", []route53api.Change{ch("CREATE", rrset("h.example.com", "TXT", 60, txts(9)...))}, rdata},
		{"upsert of 5 long values", []route53api.Change{ch("UPSERT", rrset("i.example.com", "TXT", 60, txts(5)...))}, rdata},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := f.change(z, c.changes...)
			if c.msg == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, "InvalidChangeBatch", c.msg)
		})
	}

	// The zone quota: fill a zone to 10000 record sets.
	z2 := f.zone("full.example.com", nil)
	for made := 2; made < 10000; {
		var changes []route53api.Change
		for ; made < 10000 && len(changes) < 1000; made++ {
			changes = append(changes, ch("CREATE", rrset(fmt.Sprintf("r%d.full.example.com", made), "A", 60, "10.0.0.1")))
		}
		if err := f.change(z2, changes...); err != nil {
			t.Fatal(err)
		}
	}
	wantErr(t, f.change(z2, ch("CREATE", rrset("one-more.full.example.com", "A", 60, "10.0.0.1"))), "InvalidChangeBatch",
		"[Exceeded limit MAX_RRSETS_BY_ZONE for zone: "+bareID(z2)+"]")
	// Changing what is there, or replacing one set with another, is fine.
	if err := f.change(z2, ch("UPSERT", rrset("r2.full.example.com", "A", 60, "10.0.0.2")),
		ch("DELETE", rrset("r3.full.example.com", "A", 60, "10.0.0.1")), ch("CREATE", rrset("other.full.example.com", "A", 60, "10.0.0.1"))); err != nil {
		t.Fatal(err)
	}
}
