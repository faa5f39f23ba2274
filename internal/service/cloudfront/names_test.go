package cloudfront

import (
	"slices"
	"testing"

	cfapi "github.com/niwa-cloud/niwa/internal/api/cloudfront"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestEachName: the names listed for hosts files are the distributions'
// domains niwa's DNS answers (OwnsName), not their aliases (the user's
// own names, answered by their Route 53 records); a deleted
// distribution's domain is gone.
func TestEachName(t *testing.T) {
	s, h := newTest(t)
	ctx := h.Ctx()
	list := func() (all []string) {
		t.Helper()
		if err := s.EachName(func(n string) bool { all = append(all, n); return true }); err != nil {
			t.Fatal(err)
		}
		slices.Sort(all)
		return all
	}
	plain, err := s.CreateDistribution20200531(ctx, &cfapi.CreateDistributionRequest{DistributionConfig: config("a", s3Origin("o", "b", ""))})
	if err != nil {
		t.Fatal(err)
	}
	aliased := config("b", s3Origin("o", "b", ""))
	aliased.Aliases = &cfapi.Aliases{Quantity: ptr.To(int32(1)), Items: []string{"cdn.example.com"}}
	withAlias, err := s.CreateDistribution20200531(ctx, &cfapi.CreateDistributionRequest{DistributionConfig: aliased})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{*plain.Distribution.DomainName, *withAlias.Distribution.DomainName}
	slices.Sort(want)
	got := list()
	if !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
	for _, n := range got {
		if ok, err := s.OwnsName(n); !ok || err != nil {
			t.Errorf("listed %s, which OwnsName does not answer: %v", n, err)
		}
	}
	n := 0
	if err := s.EachName(func(string) bool { n++; return false }); err != nil || n != 1 {
		t.Fatalf("told to stop after the first: %d names, %v", n, err)
	}

	disabled := config("a", s3Origin("o", "b", ""))
	disabled.Enabled = ptr.To(false)
	up, err := s.UpdateDistribution20200531(ctx, &cfapi.UpdateDistributionRequest{Id: plain.Distribution.Id, IfMatch: plain.ETag, DistributionConfig: disabled})
	if err != nil {
		t.Fatal(err)
	}
	h.Clock.Advance(deployDelay)
	if _, err := s.DeleteDistribution20200531(ctx, &cfapi.DeleteDistributionRequest{Id: plain.Distribution.Id, IfMatch: up.ETag}); err != nil {
		t.Fatal(err)
	}
	if got := list(); !slices.Equal(got, []string{*withAlias.Distribution.DomainName}) {
		t.Fatalf("after deleting %s: %v", *plain.Distribution.DomainName, got)
	}
}
