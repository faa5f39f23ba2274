package cloudfront

import (
	"testing"
	"time"

	cfapi "github.com/niwa-cloud/niwa/internal/api/cloudfront"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestCloudFormationDistribution: a distribution from the template's
// DistributionConfig (plain lists, CachedMethods beside AllowedMethods,
// IPV6Enabled), updated, then deleted: disabled, deployed on the clock,
// removed.
func TestCloudFormationDistribution(t *testing.T) {
	s, h := newTest(t)
	ctx := h.Ctx()
	p := s.cfnResources()["AWS::CloudFront::Distribution"]
	cfg := map[string]any{"Enabled": true, "IPV6Enabled": true, "Comment": "site", "DefaultRootObject": "index.html",
		"Origins": []any{map[string]any{"Id": "web", "DomainName": "example.com",
			"CustomOriginConfig": map[string]any{"HTTPPort": "80", "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}},
		"DefaultCacheBehavior": map[string]any{"TargetOriginId": "web", "ViewerProtocolPolicy": "redirect-to-https",
			"AllowedMethods": []any{"GET", "HEAD", "OPTIONS"}, "CachedMethods": []any{"GET", "HEAD"},
			"ForwardedValues": map[string]any{"QueryString": false}}}
	res, err := p.Create(ctx, kit.ResourceRequest{LogicalID: "Cdn", Properties: map[string]any{"DistributionConfig": cfg}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetDistributionConfig20200531(ctx, &cfapi.GetDistributionConfigRequest{Id: &res.PhysicalID})
	if err != nil {
		t.Fatal(err)
	}
	c := got.DistributionConfig
	if ptr.Deref(c.Origins.Quantity) != 1 || ptr.Deref(c.Origins.Items[0].CustomOriginConfig.HTTPPort) != 80 ||
		!ptr.Deref(c.IsIPV6Enabled) || ptr.Deref(c.DefaultCacheBehavior.AllowedMethods.CachedMethods.Quantity) != 2 {
		t.Fatalf("config %+v", c)
	}
	if res.Attributes["DomainName"] == "" {
		t.Fatalf("attributes %v", res.Attributes)
	}
	cfg["Comment"] = "changed"
	if _, err := p.Update(ctx, kit.ResourceRequest{PhysicalID: res.PhysicalID, Properties: map[string]any{"DistributionConfig": cfg}}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Delete(ctx, kit.ResourceRequest{PhysicalID: res.PhysicalID}) }()
	// The delete waits for the disabled distribution to deploy.
	deadline := time.Now().Add(30 * time.Second)
	for h.Clock.Waiters() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	h.Clock.Advance(deployDelay)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetDistribution20200531(ctx, &cfapi.GetDistributionRequest{Id: &res.PhysicalID}); !cfapi.ErrNoSuchDistribution.Is(err) {
		t.Fatalf("after delete: %v", err)
	}
}
