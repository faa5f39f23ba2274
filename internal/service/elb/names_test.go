package elb

import (
	"slices"
	"testing"

	elbapi "github.com/niwa-cloud/niwa/internal/api/elb"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// TestEachName: the names listed for hosts files are exactly the Classic
// load balancers' DNS names niwa's DNS answers (OwnsName); a deleted
// one's is gone, and the listing stops when told to.
func TestEachName(t *testing.T) {
	h := servicetest.New(t, "elb")
	s := New(Options{Store: h.Store(), Clock: h.Clock})
	t.Cleanup(func() { _ = s.Close() })
	create := func(name, scheme string) string {
		t.Helper()
		out, err := s.CreateLoadBalancer(h.Ctx(), &elbapi.CreateAccessPointInput{LoadBalancerName: ptr.To(name), AvailabilityZones: []string{"us-east-1a"}, Scheme: ptr.To(scheme),
			Listeners: []elbapi.Listener{{Protocol: ptr.To("http"), LoadBalancerPort: ptr.To(int32(80)), InstancePort: ptr.To(int32(80))}}})
		if err != nil {
			t.Fatal(err)
		}
		return *out.DNSName
	}
	list := func() (all []string, first int) {
		t.Helper()
		if err := s.EachName(func(n string) bool { all = append(all, n); return true }); err != nil {
			t.Fatal(err)
		}
		if err := s.EachName(func(string) bool { first++; return false }); err != nil {
			t.Fatal(err)
		}
		slices.Sort(all)
		return all, first
	}
	web, inner := create("web", "internet-facing"), create("inner", "internal")
	want := []string{web, inner}
	slices.Sort(want)
	if got, first := list(); !slices.Equal(got, want) || first != 1 {
		t.Fatalf("listed %v (stopped after %d), want %v", got, first, want)
	}
	for _, n := range want {
		if ok, err := s.OwnsName(n); !ok || err != nil {
			t.Errorf("listed %s, which OwnsName does not answer: %v", n, err)
		}
	}
	if _, err := s.DeleteLoadBalancer(h.Ctx(), &elbapi.DeleteAccessPointInput{LoadBalancerName: ptr.To("web")}); err != nil {
		t.Fatal(err)
	}
	if got, _ := list(); !slices.Equal(got, []string{inner}) {
		t.Fatalf("after deleting web: %v", got)
	}
}
