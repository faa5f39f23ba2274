package route53

import (
	"fmt"
	"testing"

	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestHostsPerVPC: Hosts lists what a VPC's resolver answers from the
// private zones associated with it, follows record changes and VPC
// associations, and OnChange hears of each committed write (and not of
// a refused one).
func TestHostsPerVPC(t *testing.T) {
	f := newFixture(t)
	const vpcA, vpcB = "vpc-0a1b2c3d4e5f60718", "vpc-0b1b2c3d4e5f60718"
	changed := 0
	f.OnChange(func() { changed++ })
	hosts := func(vpc string) string {
		t.Helper()
		es, err := f.Hosts(vpc)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(es)
	}
	z := f.zone("corp.internal", &route53api.VPC{VPCId: ptr.To(vpcA), VPCRegion: ptr.To("us-east-1")})
	pub := f.zone("example.com", nil)
	if err := f.change(z, ch("CREATE", rrset("db.corp.internal", "A", 60, "10.0.1.5")),
		ch("CREATE", rrset("WWW.corp.internal", "CNAME", 60, "db.corp.internal"))); err != nil {
		t.Fatal(err)
	}
	if err := f.change(pub, ch("CREATE", rrset("www.example.com", "A", 60, "192.0.2.1"))); err != nil {
		t.Fatal(err)
	}
	if changed != 4 {
		t.Fatalf("OnChange heard %d writes, want 4", changed)
	}
	if got, want := hosts(vpcA), "[{db.corp.internal [10.0.1.5]} {www.corp.internal [10.0.1.5]}]"; got != want {
		t.Fatalf("vpc A: %s, want %s", got, want)
	}
	if got := hosts(vpcB); got != "[]" {
		t.Fatalf("vpc B sees another VPC's zone: %s", got)
	}
	// A refused change is no change.
	if err := f.change(z, ch("CREATE", rrset("db.corp.internal", "A", 60, "10.0.1.5"))); err == nil {
		t.Fatal("duplicate CREATE accepted")
	}
	if changed != 4 {
		t.Fatalf("OnChange heard a refused write")
	}
	if _, err := f.AssociateVPCWithHostedZone(f.ctx, &route53api.AssociateVPCWithHostedZoneInput{HostedZoneId: ptr.To(z),
		VPC: &route53api.VPC{VPCId: ptr.To(vpcB), VPCRegion: ptr.To("us-east-1")}}); err != nil {
		t.Fatal(err)
	}
	if err := f.change(z, ch("UPSERT", rrset("db.corp.internal", "A", 60, "10.0.1.7"))); err != nil {
		t.Fatal(err)
	}
	if got, want := hosts(vpcB), "[{db.corp.internal [10.0.1.7]} {www.corp.internal [10.0.1.7]}]"; got != want || changed != 6 {
		t.Fatalf("vpc B after association: %s (%d changes), want %s", got, changed, want)
	}
}
