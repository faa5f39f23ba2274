package route53

import (
	"slices"
	"testing"

	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestReusableDelegationSets: a set's name servers go to the zones made
// with it; it cannot be deleted while used; the caller reference is not
// reused; limits count what is used.
func TestReusableDelegationSets(t *testing.T) {
	f := newFixture(t)
	ds, err := f.CreateReusableDelegationSet(f.ctx, &route53api.CreateReusableDelegationSetInput{CallerReference: ptr.To("d1")})
	if err != nil {
		t.Fatal(err)
	}
	id := bareID(*ds.DelegationSet.Id)
	if len(ds.DelegationSet.NameServers) != 4 || id[0] != 'N' {
		t.Fatalf("set %+v", ds.DelegationSet)
	}
	_, err = f.CreateReusableDelegationSet(f.ctx, &route53api.CreateReusableDelegationSetInput{CallerReference: ptr.To("d1")})
	wantErr(t, err, "DelegationSetAlreadyCreated", "A delegation set with the same owner and caller reference combination has already been created.")
	z, err := f.CreateHostedZone(f.ctx, &route53api.CreateHostedZoneInput{Name: ptr.To("a.example"), CallerReference: ptr.To("za"), DelegationSetId: ds.DelegationSet.Id})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(z.DelegationSet.NameServers, ds.DelegationSet.NameServers) || ptr.Deref(z.DelegationSet.Id) != *ds.DelegationSet.Id {
		t.Fatalf("zone's delegation set %+v", z.DelegationSet)
	}
	other := f.zone("b.example", nil)
	list, err := f.ListHostedZones(f.ctx, &route53api.ListHostedZonesInput{DelegationSetId: ptr.To(id)})
	if err != nil || len(list.HostedZones) != 1 || *list.HostedZones[0].Name != "a.example." {
		t.Fatalf("zones of the set %+v %v", list, err)
	}
	_, err = f.CreateHostedZone(f.ctx, &route53api.CreateHostedZoneInput{Name: ptr.To("c.example"), CallerReference: ptr.To("zc"), DelegationSetId: ptr.To("NNOPE")})
	wantErr(t, err, "NoSuchDelegationSet", "Delegation set not found: NNOPE")
	lim, err := f.GetReusableDelegationSetLimit(f.ctx, &route53api.GetReusableDelegationSetLimitInput{Type: ptr.To("MAX_ZONES_BY_REUSABLE_DELEGATION_SET"), DelegationSetId: ptr.To(id)})
	if err != nil || *lim.Limit.Value != 100 || *lim.Count != 1 {
		t.Fatalf("set limit %+v %v", lim, err)
	}
	_, err = f.DeleteReusableDelegationSet(f.ctx, &route53api.DeleteReusableDelegationSetInput{Id: ptr.To(id)})
	wantErr(t, err, "DelegationSetInUse", "The specified delegation set is in use by 1 hosted zone(s): "+id)
	fromZone, err := f.CreateReusableDelegationSet(f.ctx, &route53api.CreateReusableDelegationSetInput{CallerReference: ptr.To("d2"), HostedZoneId: ptr.To(other)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.GetHostedZone(f.ctx, &route53api.GetHostedZoneInput{Id: ptr.To(other)})
	if err != nil || !slices.Equal(got.DelegationSet.NameServers, fromZone.DelegationSet.NameServers) || ptr.Deref(got.DelegationSet.Id) != *fromZone.DelegationSet.Id {
		t.Fatalf("set from a zone: %+v / %+v", got.DelegationSet, fromZone.DelegationSet)
	}
	_, err = f.CreateReusableDelegationSet(f.ctx, &route53api.CreateReusableDelegationSetInput{CallerReference: ptr.To("d3"), HostedZoneId: ptr.To(other)})
	wantErr(t, err, "DelegationSetAlreadyReusable", "The delegation set of hosted zone "+bareID(other)+" is already reusable.")
	sets, err := f.ListReusableDelegationSets(f.ctx, &route53api.ListReusableDelegationSetsInput{MaxItems: ptr.To("1")})
	if err != nil || len(sets.DelegationSets) != 1 || !*sets.IsTruncated {
		t.Fatalf("list %+v %v", sets, err)
	}
	acct, err := f.GetAccountLimit(f.ctx, &route53api.GetAccountLimitInput{Type: ptr.To("MAX_REUSABLE_DELEGATION_SETS_BY_OWNER")})
	if err != nil || *acct.Limit.Value != 100 || *acct.Count != 2 {
		t.Fatalf("account limit %+v %v", acct, err)
	}
}

// TestLimits: Route 53's default quotas and the use of each.
func TestLimits(t *testing.T) {
	f := newFixture(t)
	z := f.zone("example.com", nil)
	f.healthCheck("h", route53api.HealthCheckConfig{Type: ptr.To("TCP"), IPAddress: ptr.To("192.0.2.1"), Port: ptr.To(int32(80))})
	for _, c := range []struct {
		typ          string
		limit, count int64
	}{
		{"MAX_HEALTH_CHECKS_BY_OWNER", 200, 1},
		{"MAX_HOSTED_ZONES_BY_OWNER", 500, 1},
		{"MAX_TRAFFIC_POLICIES_BY_OWNER", 50, 0},
		{"MAX_TRAFFIC_POLICY_INSTANCES_BY_OWNER", 5, 0},
	} {
		out, err := f.GetAccountLimit(f.ctx, &route53api.GetAccountLimitInput{Type: ptr.To(c.typ)})
		if err != nil || *out.Limit.Value != c.limit || *out.Count != c.count || *out.Limit.Type != c.typ {
			t.Fatalf("%s: %+v %v", c.typ, out, err)
		}
	}
	_, err := f.GetAccountLimit(f.ctx, &route53api.GetAccountLimitInput{Type: ptr.To("NOPE")})
	wantErr(t, err, "InvalidInput", "1 validation error detected: Value 'NOPE' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [MAX_TRAFFIC_POLICY_INSTANCES_BY_OWNER, MAX_HEALTH_CHECKS_BY_OWNER, MAX_REUSABLE_DELEGATION_SETS_BY_OWNER, MAX_HOSTED_ZONES_BY_OWNER, MAX_TRAFFIC_POLICIES_BY_OWNER]")
	hz, err := f.GetHostedZoneLimit(f.ctx, &route53api.GetHostedZoneLimitInput{Type: ptr.To("MAX_RRSETS_BY_ZONE"), HostedZoneId: ptr.To(z)})
	if err != nil || *hz.Limit.Value != 10000 || *hz.Count != 2 {
		t.Fatalf("zone limit %+v %v", hz, err)
	}
	_, err = f.GetHostedZoneLimit(f.ctx, &route53api.GetHostedZoneLimitInput{Type: ptr.To("MAX_VPCS_ASSOCIATED_BY_ZONE"), HostedZoneId: ptr.To(z)})
	wantErr(t, err, "HostedZoneNotPrivate", "The hosted zone "+bareID(z)+" is not a private hosted zone.")
}
