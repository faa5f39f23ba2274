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
	if _, err := p.Update(ctx, kit.ResourceRequest{PhysicalID: res.PhysicalID, Properties: map[string]any{"DistributionConfig": cfg,
		"Tags": []any{map[string]any{"Key": "team", "Value": "web"}}},
		OldProperties: map[string]any{"Tags": []any{map[string]any{"Key": "old", "Value": "x"}}}}); err != nil {
		t.Fatal(err)
	}
	dist, err := s.GetDistribution20200531(ctx, &cfapi.GetDistributionRequest{Id: &res.PhysicalID})
	if err != nil || ptr.Deref(dist.Distribution.DistributionConfig.Comment) != "changed" {
		t.Fatalf("after update %+v %v", dist, err)
	}
	tags, err := s.ListTagsForResource20200531(ctx, &cfapi.ListTagsForResourceRequest{Resource: dist.Distribution.ARN})
	if err != nil || len(tags.Tags.Items) != 1 || *tags.Tags.Items[0].Key != "team" {
		t.Fatalf("tags after update %+v %v", tags, err)
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

// TestCloudFormationPolicies: the policy, key and access types from their
// template form (plain lists where the API has {Quantity, Items}, {Items}
// objects without Quantity), updated in place, read back through the API,
// deleted (twice: a resource already gone is no error).
func TestCloudFormationPolicies(t *testing.T) {
	s, h := newTest(t)
	ctx := h.Ctx()
	_, pub := testKey(t)
	key, err := s.cfnResources()["AWS::CloudFront::PublicKey"].Create(ctx, kit.ResourceRequest{LogicalID: "Key",
		Properties: map[string]any{"PublicKeyConfig": map[string]any{"Name": "k1", "CallerReference": "r1", "EncodedKey": pub}}})
	if err != nil {
		t.Fatal(err)
	}
	if key.Attributes["CreatedTime"] == "" || key.Attributes["Id"] != key.PhysicalID {
		t.Fatalf("public key attributes %v", key.Attributes)
	}
	cases := []struct {
		typ          string
		create, edit map[string]any
		check        func(t *testing.T, id string, edited bool)
		attrs        []string
	}{
		{typ: "AWS::CloudFront::CachePolicy",
			create: map[string]any{"CachePolicyConfig": map[string]any{"Name": "cp", "DefaultTTL": "60", "MaxTTL": 600, "MinTTL": 0,
				"ParametersInCacheKeyAndForwardedToOrigin": map[string]any{"EnableAcceptEncodingGzip": true,
					"CookiesConfig":      map[string]any{"CookieBehavior": "whitelist", "Cookies": []any{"session"}},
					"HeadersConfig":      map[string]any{"HeaderBehavior": "none"},
					"QueryStringsConfig": map[string]any{"QueryStringBehavior": "allExcept", "QueryStrings": []any{"a", "b"}}}}},
			edit: map[string]any{"CachePolicyConfig": map[string]any{"Name": "cp", "DefaultTTL": 120, "MaxTTL": 600, "MinTTL": 0,
				"ParametersInCacheKeyAndForwardedToOrigin": map[string]any{"EnableAcceptEncodingGzip": false,
					"CookiesConfig":      map[string]any{"CookieBehavior": "none"},
					"HeadersConfig":      map[string]any{"HeaderBehavior": "none"},
					"QueryStringsConfig": map[string]any{"QueryStringBehavior": "none"}}}},
			check: func(t *testing.T, id string, edited bool) {
				out, err := s.GetCachePolicy20200531(ctx, &cfapi.GetCachePolicyRequest{Id: &id})
				if err != nil {
					t.Fatal(err)
				}
				c := out.CachePolicy.CachePolicyConfig
				p := c.ParametersInCacheKeyAndForwardedToOrigin
				if !edited && (ptr.Deref(c.DefaultTTL) != 60 || ptr.Deref(p.CookiesConfig.Cookies.Quantity) != 1 ||
					ptr.Deref(p.QueryStringsConfig.QueryStrings.Quantity) != 2) || edited && ptr.Deref(c.DefaultTTL) != 120 {
					t.Fatalf("edited %v: %+v %+v", edited, c, p)
				}
			},
			attrs: []string{"Id", "LastModifiedTime"}},
		{typ: "AWS::CloudFront::OriginRequestPolicy",
			create: map[string]any{"OriginRequestPolicyConfig": map[string]any{"Name": "orp",
				"CookiesConfig":      map[string]any{"CookieBehavior": "all"},
				"HeadersConfig":      map[string]any{"HeaderBehavior": "whitelist", "Headers": []any{"Origin", "Accept"}},
				"QueryStringsConfig": map[string]any{"QueryStringBehavior": "all"}}},
			edit: map[string]any{"OriginRequestPolicyConfig": map[string]any{"Name": "orp", "Comment": "edited",
				"CookiesConfig":      map[string]any{"CookieBehavior": "none"},
				"HeadersConfig":      map[string]any{"HeaderBehavior": "none"},
				"QueryStringsConfig": map[string]any{"QueryStringBehavior": "none"}}},
			check: func(t *testing.T, id string, edited bool) {
				out, err := s.GetOriginRequestPolicy20200531(ctx, &cfapi.GetOriginRequestPolicyRequest{Id: &id})
				if err != nil {
					t.Fatal(err)
				}
				c := out.OriginRequestPolicy.OriginRequestPolicyConfig
				if !edited && ptr.Deref(c.HeadersConfig.Headers.Quantity) != 2 || edited && ptr.Deref(c.Comment) != "edited" {
					t.Fatalf("edited %v: %+v", edited, c)
				}
			},
			attrs: []string{"Id", "LastModifiedTime"}},
		{typ: "AWS::CloudFront::ResponseHeadersPolicy",
			create: map[string]any{"ResponseHeadersPolicyConfig": map[string]any{"Name": "rhp",
				"CorsConfig": map[string]any{"AccessControlAllowCredentials": false, "OriginOverride": true,
					"AccessControlAllowHeaders": map[string]any{"Items": []any{"*"}},
					"AccessControlAllowMethods": map[string]any{"Items": []any{"GET", "HEAD"}},
					"AccessControlAllowOrigins": map[string]any{"Items": []any{"https://example.com"}}},
				"CustomHeadersConfig": map[string]any{"Items": []any{map[string]any{"Header": "X-Site", "Value": "one", "Override": true}}}}},
			edit: map[string]any{"ResponseHeadersPolicyConfig": map[string]any{"Name": "rhp",
				"CustomHeadersConfig": map[string]any{"Items": []any{map[string]any{"Header": "X-Site", "Value": "two", "Override": true}}}}},
			check: func(t *testing.T, id string, edited bool) {
				out, err := s.GetResponseHeadersPolicy20200531(ctx, &cfapi.GetResponseHeadersPolicyRequest{Id: &id})
				if err != nil {
					t.Fatal(err)
				}
				c := out.ResponseHeadersPolicy.ResponseHeadersPolicyConfig
				want := "one"
				if edited {
					want = "two"
				}
				if ptr.Deref(c.CustomHeadersConfig.Items[0].Value) != want || !edited && ptr.Deref(c.CorsConfig.AccessControlAllowMethods.Quantity) != 2 ||
					edited && c.CorsConfig != nil {
					t.Fatalf("edited %v: %+v", edited, c)
				}
			},
			attrs: []string{"Id", "LastModifiedTime"}},
		{typ: "AWS::CloudFront::OriginAccessControl",
			create: map[string]any{"OriginAccessControlConfig": map[string]any{"Name": "oac", "OriginAccessControlOriginType": "s3",
				"SigningBehavior": "always", "SigningProtocol": "sigv4"}},
			edit: map[string]any{"OriginAccessControlConfig": map[string]any{"Name": "oac", "OriginAccessControlOriginType": "s3",
				"SigningBehavior": "no-override", "SigningProtocol": "sigv4", "Description": "edited"}},
			check: func(t *testing.T, id string, edited bool) {
				out, err := s.GetOriginAccessControl20200531(ctx, &cfapi.GetOriginAccessControlRequest{Id: &id})
				if err != nil {
					t.Fatal(err)
				}
				c := out.OriginAccessControl.OriginAccessControlConfig
				if want := map[bool]string{false: "always", true: "no-override"}[edited]; ptr.Deref(c.SigningBehavior) != want {
					t.Fatalf("edited %v: %+v", edited, c)
				}
			},
			attrs: []string{"Id"}},
		{typ: "AWS::CloudFront::CloudFrontOriginAccessIdentity",
			create: map[string]any{"CloudFrontOriginAccessIdentityConfig": map[string]any{"Comment": "first"}},
			edit:   map[string]any{"CloudFrontOriginAccessIdentityConfig": map[string]any{"Comment": "second"}},
			check: func(t *testing.T, id string, edited bool) {
				out, err := s.GetCloudFrontOriginAccessIdentity20200531(ctx, &cfapi.GetCloudFrontOriginAccessIdentityRequest{Id: &id})
				if err != nil {
					t.Fatal(err)
				}
				c := out.CloudFrontOriginAccessIdentity.CloudFrontOriginAccessIdentityConfig
				if want := map[bool]string{false: "first", true: "second"}[edited]; ptr.Deref(c.Comment) != want || ptr.Deref(c.CallerReference) == "" {
					t.Fatalf("edited %v: %+v", edited, c)
				}
			},
			attrs: []string{"Id", "S3CanonicalUserId"}},
		{typ: "AWS::CloudFront::KeyGroup",
			create: map[string]any{"KeyGroupConfig": map[string]any{"Name": "kg", "Items": []any{key.PhysicalID}}},
			edit:   map[string]any{"KeyGroupConfig": map[string]any{"Name": "kg", "Items": []any{key.PhysicalID}, "Comment": "edited"}},
			check: func(t *testing.T, id string, edited bool) {
				out, err := s.GetKeyGroup20200531(ctx, &cfapi.GetKeyGroupRequest{Id: &id})
				if err != nil {
					t.Fatal(err)
				}
				c := out.KeyGroup.KeyGroupConfig
				if len(c.Items) != 1 || c.Items[0] != key.PhysicalID || edited && ptr.Deref(c.Comment) != "edited" {
					t.Fatalf("edited %v: %+v", edited, c)
				}
			},
			attrs: []string{"Id", "LastModifiedTime"}},
	}
	for _, c := range cases {
		t.Run(c.typ, func(t *testing.T) {
			p := s.cfnResources()[c.typ]
			res, err := p.Create(ctx, kit.ResourceRequest{LogicalID: "R", Properties: c.create})
			if err != nil {
				t.Fatal(err)
			}
			for _, a := range c.attrs {
				if v, _ := res.Attributes[a].(string); v == "" {
					t.Fatalf("GetAtt %s missing: %v", a, res.Attributes)
				}
			}
			if res.Attributes["Id"] != res.PhysicalID {
				t.Fatalf("Ref %s, Id %v", res.PhysicalID, res.Attributes["Id"])
			}
			c.check(t, res.PhysicalID, false)
			up, err := p.Update(ctx, kit.ResourceRequest{LogicalID: "R", PhysicalID: res.PhysicalID, Properties: c.edit, OldProperties: c.create})
			if err != nil {
				t.Fatal(err)
			}
			if up.PhysicalID != res.PhysicalID {
				t.Fatalf("update replaced %s with %s", res.PhysicalID, up.PhysicalID)
			}
			c.check(t, res.PhysicalID, true)
			for range 2 {
				if err := p.Delete(ctx, kit.ResourceRequest{PhysicalID: res.PhysicalID}); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
	// The key group is gone: its key deletes.
	if err := s.cfnResources()["AWS::CloudFront::PublicKey"].Delete(ctx, kit.ResourceRequest{PhysicalID: key.PhysicalID}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetPublicKey20200531(ctx, &cfapi.GetPublicKeyRequest{Id: &key.PhysicalID}); !cfapi.ErrNoSuchPublicKey.Is(err) {
		t.Fatalf("after delete: %v", err)
	}
	// A config the template leaves out is CloudFormation's validation error.
	if _, err := s.cfnResources()["AWS::CloudFront::CachePolicy"].Create(ctx, kit.ResourceRequest{LogicalID: "R", Properties: map[string]any{}}); err == nil {
		t.Fatal("create without CachePolicyConfig succeeded")
	}
}

// TestCloudFormationMonitoringSubscription: Ref is the distribution's id;
// the subscription reads back through GetMonitoringSubscription and its
// delete tolerates one already gone.
func TestCloudFormationMonitoringSubscription(t *testing.T) {
	s, h := newTest(t)
	ctx := h.Ctx()
	d, err := s.CreateDistribution20200531(ctx, &cfapi.CreateDistributionRequest{DistributionConfig: config("m1", s3Origin("o", "bucket", ""))})
	if err != nil {
		t.Fatal(err)
	}
	id := ptr.Deref(d.Distribution.Id)
	p := s.cfnResources()["AWS::CloudFront::MonitoringSubscription"]
	res, err := p.Create(ctx, kit.ResourceRequest{LogicalID: "M", Properties: map[string]any{"DistributionId": id,
		"MonitoringSubscription": map[string]any{"RealtimeMetricsSubscriptionConfig": map[string]any{"RealtimeMetricsSubscriptionStatus": "Enabled"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if res.PhysicalID != id {
		t.Fatalf("Ref %q, want %q", res.PhysicalID, id)
	}
	got, err := s.GetMonitoringSubscription20200531(ctx, &cfapi.GetMonitoringSubscriptionRequest{DistributionId: &id})
	if err != nil || ptr.Deref(got.MonitoringSubscription.RealtimeMetricsSubscriptionConfig.RealtimeMetricsSubscriptionStatus) != "Enabled" {
		t.Fatalf("subscription %+v, %v", got, err)
	}
	if p.Update != nil {
		t.Fatal("every change replaces a monitoring subscription")
	}
	for range 2 {
		if err := p.Delete(ctx, kit.ResourceRequest{PhysicalID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.GetMonitoringSubscription20200531(ctx, &cfapi.GetMonitoringSubscriptionRequest{DistributionId: &id}); !cfapi.ErrNoSuchMonitoringSubscription.Is(err) {
		t.Fatalf("after delete: %v", err)
	}
}
