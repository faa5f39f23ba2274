package elbv2

import (
	"slices"
	"testing"

	elbv2api "github.com/niwa-cloud/niwa/internal/api/elbv2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// listed is every name EachName gives, and how many it gave when told
// to stop after the first.
func listed(t *testing.T, each func(func(string) bool) error) (all []string, first int) {
	t.Helper()
	if err := each(func(n string) bool { all = append(all, n); return true }); err != nil {
		t.Fatal(err)
	}
	if err := each(func(string) bool { first++; return false }); err != nil {
		t.Fatal(err)
	}
	slices.Sort(all)
	return all, first
}

// TestEachName: the names listed for hosts files are exactly the load
// balancers' DNS names niwa's DNS answers (OwnsName), internal and
// internet-facing, in every account; a deleted one's is gone.
func TestEachName(t *testing.T) {
	s, h := newTest(t)
	a := mustLB(t, s, h, "a")
	out, err := s.CreateLoadBalancer(h.Ctx(), &elbv2api.CreateLoadBalancerInput{Name: ptr.To("b"), Scheme: ptr.To("internal"), Subnets: []string{"subnet-a", "subnet-b"}})
	if err != nil {
		t.Fatal(err)
	}
	b := out.LoadBalancers[0]
	other := h.Ctx()
	other.Account = "111111111111"
	out, err = s.CreateLoadBalancer(other, &elbv2api.CreateLoadBalancerInput{Name: ptr.To("a"), Subnets: []string{"subnet-a", "subnet-b"}})
	if err != nil {
		t.Fatal(err)
	}
	c := out.LoadBalancers[0]
	want := []string{*a.DNSName, *b.DNSName, *c.DNSName}
	slices.Sort(want)
	got, first := listed(t, s.EachName)
	if !slices.Equal(got, want) || first != 1 {
		t.Fatalf("listed %v (stopped after %d), want %v", got, first, want)
	}
	for _, n := range got {
		if ok, err := s.OwnsName(n); !ok || err != nil {
			t.Errorf("listed %s, which OwnsName does not answer: %v", n, err)
		}
	}
	if _, err := s.DeleteLoadBalancer(h.Ctx(), &elbv2api.DeleteLoadBalancerInput{LoadBalancerArn: a.LoadBalancerArn}); err != nil {
		t.Fatal(err)
	}
	if got, _ := listed(t, s.EachName); slices.Contains(got, *a.DNSName) || len(got) != 2 {
		t.Fatalf("after deleting %s: %v", *a.DNSName, got)
	}
}
