package cloudfront

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"testing"

	cfapi "github.com/niwa-cloud/niwa/internal/api/cloudfront"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// TestCustomPoliciesAtTheEdge: custom cache, origin request and response
// headers policies are kept and applied — the cache policy's query
// string whitelist is the cache key and what the origin gets, the origin
// request policy's headers go to the origin, the response headers
// policy's headers (custom, security, CORS for a cross-origin viewer)
// are added to every answer, hits included.
func TestCustomPoliciesAtTheEdge(t *testing.T) {
	var seen *http.Request
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = r.Clone(r.Context())
		w.Header().Set("X-Frame-Options", "SAMEORIGIN")
		_, _ = io.WriteString(w, "q="+r.URL.RawQuery)
	}))
	defer origin.Close()
	u, _ := url.Parse(origin.URL)
	port, _ := strconv.Atoi(u.Port())
	h := servicetest.New(t, "cloudfront")
	s := New(Options{Store: h.Store(), Clock: h.Clock})
	ctx := h.Ctx()
	cp, err := s.CreateCachePolicy20200531(ctx, &cfapi.CreateCachePolicyRequest{CachePolicyConfig: &cfapi.CachePolicyConfig{
		Name: ptr.To("by-key"), MinTTL: ptr.To(int64(0)), DefaultTTL: ptr.To(int64(60)), MaxTTL: ptr.To(int64(600)),
		ParametersInCacheKeyAndForwardedToOrigin: &cfapi.ParametersInCacheKeyAndForwardedToOrigin{
			EnableAcceptEncodingGzip: ptr.To(true),
			HeadersConfig:            &cfapi.CachePolicyHeadersConfig{HeaderBehavior: ptr.To("none")},
			CookiesConfig:            &cfapi.CachePolicyCookiesConfig{CookieBehavior: ptr.To("none")},
			QueryStringsConfig: &cfapi.CachePolicyQueryStringsConfig{QueryStringBehavior: ptr.To("whitelist"),
				QueryStrings: &cfapi.QueryStringNames{Quantity: ptr.To(int32(1)), Items: []string{"key"}}}}}})
	if err != nil {
		t.Fatal(err)
	}
	orp, err := s.CreateOriginRequestPolicy20200531(ctx, &cfapi.CreateOriginRequestPolicyRequest{OriginRequestPolicyConfig: &cfapi.OriginRequestPolicyConfig{
		Name:               ptr.To("tenant"),
		HeadersConfig:      &cfapi.OriginRequestPolicyHeadersConfig{HeaderBehavior: ptr.To("whitelist"), Headers: &cfapi.Headers{Quantity: ptr.To(int32(1)), Items: []string{"X-Tenant"}}},
		CookiesConfig:      &cfapi.OriginRequestPolicyCookiesConfig{CookieBehavior: ptr.To("none")},
		QueryStringsConfig: &cfapi.OriginRequestPolicyQueryStringsConfig{QueryStringBehavior: ptr.To("none")}}})
	if err != nil {
		t.Fatal(err)
	}
	rhp, err := s.CreateResponseHeadersPolicy20200531(ctx, &cfapi.CreateResponseHeadersPolicyRequest{ResponseHeadersPolicyConfig: &cfapi.ResponseHeadersPolicyConfig{
		Name: ptr.To("secure"),
		CustomHeadersConfig: &cfapi.ResponseHeadersPolicyCustomHeadersConfig{Quantity: ptr.To(int32(1)), Items: []cfapi.ResponseHeadersPolicyCustomHeader{
			{Header: ptr.To("X-Garden"), Value: ptr.To("niwa"), Override: ptr.To(true)}}},
		SecurityHeadersConfig: &cfapi.ResponseHeadersPolicySecurityHeadersConfig{
			StrictTransportSecurity: &cfapi.ResponseHeadersPolicyStrictTransportSecurity{Override: ptr.To(true), AccessControlMaxAgeSec: ptr.To(int32(63072000)), IncludeSubdomains: ptr.To(true)},
			FrameOptions:            &cfapi.ResponseHeadersPolicyFrameOptions{Override: ptr.To(false), FrameOption: ptr.To("DENY")},
			ContentTypeOptions:      &cfapi.ResponseHeadersPolicyContentTypeOptions{Override: ptr.To(true)}},
		CorsConfig: &cfapi.ResponseHeadersPolicyCorsConfig{OriginOverride: ptr.To(true),
			AccessControlAllowOrigins: &cfapi.ResponseHeadersPolicyAccessControlAllowOrigins{Quantity: ptr.To(int32(1)), Items: []string{"https://app.example"}},
			AccessControlAllowMethods: &cfapi.ResponseHeadersPolicyAccessControlAllowMethods{Quantity: ptr.To(int32(1)), Items: []string{"GET"}},
			AccessControlAllowHeaders: &cfapi.ResponseHeadersPolicyAccessControlAllowHeaders{Quantity: ptr.To(int32(1)), Items: []string{"*"}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := config("r", cfapi.Origin{Id: ptr.To("o"), DomainName: ptr.To(u.Hostname()),
		CustomOriginConfig: &cfapi.CustomOriginConfig{HTTPPort: ptr.To(int32(port)), HTTPSPort: ptr.To(int32(443)), OriginProtocolPolicy: ptr.To("http-only")}})
	cfg.DefaultCacheBehavior.ForwardedValues = nil
	cfg.DefaultCacheBehavior.CachePolicyId = cp.CachePolicy.Id
	cfg.DefaultCacheBehavior.OriginRequestPolicyId = orp.OriginRequestPolicy.Id
	cfg.DefaultCacheBehavior.ResponseHeadersPolicyId = rhp.ResponseHeadersPolicy.Id
	d, err := s.CreateDistribution20200531(ctx, &cfapi.CreateDistributionRequest{DistributionConfig: cfg})
	if err != nil {
		t.Fatal(err)
	}
	edge := s.edge()
	hdr := map[string]string{"X-Tenant": "t1", "X-Other": "no", "Origin": "https://app.example"}
	for i, want := range []string{"Miss from cloudfront", "Hit from cloudfront"} {
		w := call(edge, *d.Distribution.DomainName, "GET", "/items?key=k1&drop=2", "", hdr)
		got := w.Header()
		if w.Code != 200 || w.Body.String() != "q=key=k1" || got.Get("X-Cache") != want {
			t.Fatalf("request %d: %d %q %v", i, w.Code, w.Body, got)
		}
		if got.Get("X-Garden") != "niwa" || got.Get("Strict-Transport-Security") != "max-age=63072000; includeSubDomains" ||
			got.Get("X-Frame-Options") != "SAMEORIGIN" || got.Get("X-Content-Type-Options") != "nosniff" ||
			got.Get("Access-Control-Allow-Origin") != "https://app.example" || got.Get("Access-Control-Allow-Methods") != "GET" {
			t.Fatalf("request %d: response headers %v", i, got)
		}
	}
	if seen.Header.Get("X-Tenant") != "t1" || seen.Header.Get("X-Other") != "" {
		t.Fatalf("origin saw headers %v", seen.Header)
	}
	// Another value of a key outside the cache key is the same object.
	if w := call(edge, *d.Distribution.DomainName, "GET", "/items?key=k1&drop=3", "", nil); w.Header().Get("X-Cache") != "Hit from cloudfront" ||
		w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("other ignored query / no Origin: %v", w.Header())
	}
}

// TestPolicyLifecycle: names are unique among managed and custom
// policies, updates need the last ETag, managed policies are read-only,
// a policy a behaviour names cannot be deleted, listings filter by Type,
// a distribution naming a missing policy is refused.
func TestPolicyLifecycle(t *testing.T) {
	h := servicetest.New(t, "cloudfront")
	s := New(Options{Store: h.Store(), Clock: h.Clock})
	ctx := h.Ctx()
	mk := func(name string) (*cfapi.CreateResponseHeadersPolicyResult, error) {
		return s.CreateResponseHeadersPolicy20200531(ctx, &cfapi.CreateResponseHeadersPolicyRequest{
			ResponseHeadersPolicyConfig: &cfapi.ResponseHeadersPolicyConfig{Name: ptr.To(name)}})
	}
	p, err := mk("mine")
	if err != nil {
		t.Fatal(err)
	}
	_, err = mk("mine")
	wantCode(t, err, cfapi.ErrResponseHeadersPolicyAlreadyExists)
	_, err = mk("Managed-SimpleCORS")
	wantCode(t, err, cfapi.ErrResponseHeadersPolicyAlreadyExists)
	_, err = mk("")
	wantCode(t, err, cfapi.ErrInvalidArgument)
	id := p.ResponseHeadersPolicy.Id
	upd := &cfapi.ResponseHeadersPolicyConfig{Name: ptr.To("mine"), Comment: ptr.To("v2")}
	_, err = s.UpdateResponseHeadersPolicy20200531(ctx, &cfapi.UpdateResponseHeadersPolicyRequest{Id: id, IfMatch: ptr.To("E0LD"), ResponseHeadersPolicyConfig: upd})
	wantCode(t, err, cfapi.ErrPreconditionFailed)
	u, err := s.UpdateResponseHeadersPolicy20200531(ctx, &cfapi.UpdateResponseHeadersPolicyRequest{Id: id, IfMatch: p.ETag, ResponseHeadersPolicyConfig: upd})
	if err != nil || *u.ETag == *p.ETag || *u.ResponseHeadersPolicy.ResponseHeadersPolicyConfig.Comment != "v2" {
		t.Fatalf("update: %v %+v", err, u)
	}
	_, err = s.UpdateResponseHeadersPolicy20200531(ctx, &cfapi.UpdateResponseHeadersPolicyRequest{Id: ptr.To("60669652-455b-4ae9-85a4-c4c02393f86c"),
		IfMatch: ptr.To(managedETag), ResponseHeadersPolicyConfig: upd})
	wantCode(t, err, cfapi.ErrAccessDenied)
	for typ, n := range map[string]int{"custom": 1, "managed": 5, "": 6} {
		l, err := s.ListResponseHeadersPolicies20200531(ctx, &cfapi.ListResponseHeadersPoliciesRequest{Type: ptr.To(typ)})
		if err != nil || int(*l.ResponseHeadersPolicyList.Quantity) != n {
			t.Fatalf("list %q: %v %+v", typ, err, l)
		}
	}
	cfg := config("r", s3Origin("o", "b", ""))
	cfg.DefaultCacheBehavior.ResponseHeadersPolicyId = ptr.To("nope")
	_, err = s.CreateDistribution20200531(ctx, &cfapi.CreateDistributionRequest{DistributionConfig: cfg})
	wantCode(t, err, cfapi.ErrNoSuchResponseHeadersPolicy)
	cfg.DefaultCacheBehavior.ResponseHeadersPolicyId = id
	if _, err := s.CreateDistribution20200531(ctx, &cfapi.CreateDistributionRequest{DistributionConfig: cfg}); err != nil {
		t.Fatal(err)
	}
	_, err = s.DeleteResponseHeadersPolicy20200531(ctx, &cfapi.DeleteResponseHeadersPolicyRequest{Id: id, IfMatch: u.ETag})
	wantCode(t, err, cfapi.ErrResponseHeadersPolicyInUse)
	// The quota: 20 custom policies of a kind.
	for i := 1; i < maxPolicies; i++ {
		if _, err := mk("p" + strconv.Itoa(i)); err != nil {
			t.Fatalf("policy %d: %v", i, err)
		}
	}
	_, err = mk("one-too-many")
	wantCode(t, err, cfapi.ErrTooManyResponseHeadersPolicies)
	if _, err := s.GetResponseHeadersPolicy20200531(ctx, &cfapi.GetResponseHeadersPolicyRequest{Id: ptr.To("nope")}); err == nil {
		t.Fatal("a missing policy was found")
	}
}

// TestUpdateKeyAndIdentity: a public key's comment changes, its key does
// not (CannotChangeImmutablePublicKeyFields); an OAI's comment changes,
// its caller reference does not.
func TestUpdateKeyAndIdentity(t *testing.T) {
	h := servicetest.New(t, "cloudfront")
	s := New(Options{Store: h.Store(), Clock: h.Clock})
	ctx := h.Ctx()
	_, pub := testKey(t)
	k, err := s.CreatePublicKey20200531(ctx, &cfapi.CreatePublicKeyRequest{PublicKeyConfig: &cfapi.PublicKeyConfig{
		CallerReference: ptr.To("r"), Name: ptr.To("k"), EncodedKey: ptr.To(pub)}})
	if err != nil {
		t.Fatal(err)
	}
	c := *k.PublicKey.PublicKeyConfig
	c.Comment = ptr.To("rotated soon")
	u, err := s.UpdatePublicKey20200531(ctx, &cfapi.UpdatePublicKeyRequest{Id: k.PublicKey.Id, IfMatch: k.ETag, PublicKeyConfig: &c})
	if err != nil || *u.PublicKey.PublicKeyConfig.Comment != "rotated soon" {
		t.Fatalf("%v %+v", err, u)
	}
	_, other := testKey(t)
	c.EncodedKey = ptr.To(other)
	_, err = s.UpdatePublicKey20200531(ctx, &cfapi.UpdatePublicKeyRequest{Id: k.PublicKey.Id, IfMatch: u.ETag, PublicKeyConfig: &c})
	wantCode(t, err, cfapi.ErrCannotChangeImmutablePublicKeyFields)
	o, err := s.CreateCloudFrontOriginAccessIdentity20200531(ctx, &cfapi.CreateCloudFrontOriginAccessIdentityRequest{
		CloudFrontOriginAccessIdentityConfig: &cfapi.CloudFrontOriginAccessIdentityConfig{CallerReference: ptr.To("ref"), Comment: ptr.To("a")}})
	if err != nil {
		t.Fatal(err)
	}
	ou, err := s.UpdateCloudFrontOriginAccessIdentity20200531(ctx, &cfapi.UpdateCloudFrontOriginAccessIdentityRequest{Id: o.CloudFrontOriginAccessIdentity.Id, IfMatch: o.ETag,
		CloudFrontOriginAccessIdentityConfig: &cfapi.CloudFrontOriginAccessIdentityConfig{CallerReference: ptr.To("ref"), Comment: ptr.To("b")}})
	if err != nil || *ou.CloudFrontOriginAccessIdentity.CloudFrontOriginAccessIdentityConfig.Comment != "b" {
		t.Fatalf("%v %+v", err, ou)
	}
	_, err = s.UpdateCloudFrontOriginAccessIdentity20200531(ctx, &cfapi.UpdateCloudFrontOriginAccessIdentityRequest{Id: o.CloudFrontOriginAccessIdentity.Id, IfMatch: ou.ETag,
		CloudFrontOriginAccessIdentityConfig: &cfapi.CloudFrontOriginAccessIdentityConfig{CallerReference: ptr.To("other"), Comment: ptr.To("b")}})
	wantCode(t, err, cfapi.ErrIllegalUpdate)
}

// TestListDistributionsBy: the ids of the distributions using a policy
// or key group, the distributions of a web ACL ("null": none), the
// aliases overlapping one, and a distribution's monitoring subscription.
func TestListDistributionsBy(t *testing.T) {
	h := servicetest.New(t, "cloudfront")
	s := New(Options{Store: h.Store(), Clock: h.Clock})
	ctx := h.Ctx()
	mk := func(ref, cachePolicy, acl string, aliases ...string) string {
		cfg := config(ref, s3Origin("o", "b", ""))
		if cachePolicy != "" {
			cfg.DefaultCacheBehavior.CachePolicyId = ptr.To(cachePolicy)
		}
		if acl != "" {
			cfg.WebACLId = ptr.To(acl)
		}
		if len(aliases) > 0 {
			cfg.Aliases = &cfapi.Aliases{Quantity: ptr.To(int32(len(aliases))), Items: aliases}
		}
		d, err := s.CreateDistribution20200531(ctx, &cfapi.CreateDistributionRequest{DistributionConfig: cfg})
		if err != nil {
			t.Fatal(err)
		}
		return *d.Distribution.Id
	}
	a := mk("a", cachingOptimized, "arn:acl", "*.example.com")
	mk("b", "", "", "www.example.com")
	l, err := s.ListDistributionsByCachePolicyId20200531(ctx, &cfapi.ListDistributionsByCachePolicyIdRequest{CachePolicyId: ptr.To(cachingOptimized)})
	if err != nil || len(l.DistributionIdList.Items) != 1 || l.DistributionIdList.Items[0] != a {
		t.Fatalf("by cache policy: %v %+v", err, l)
	}
	_, err = s.ListDistributionsByCachePolicyId20200531(ctx, &cfapi.ListDistributionsByCachePolicyIdRequest{CachePolicyId: ptr.To("nope")})
	wantCode(t, err, cfapi.ErrNoSuchCachePolicy)
	for acl, n := range map[string]int{"arn:acl": 1, "null": 1, "arn:other": 0} {
		w, err := s.ListDistributionsByWebACLId20200531(ctx, &cfapi.ListDistributionsByWebACLIdRequest{WebACLId: ptr.To(acl)})
		if err != nil || int(*w.DistributionList.Quantity) != n {
			t.Fatalf("by web ACL %s: %v %+v", acl, err, w)
		}
	}
	c, err := s.ListConflictingAliases20200531(ctx, &cfapi.ListConflictingAliasesRequest{DistributionId: ptr.To(a), Alias: ptr.To("www.example.com")})
	if err != nil || len(c.ConflictingAliasesList.Items) != 2 {
		t.Fatalf("conflicting aliases: %v %+v", err, c)
	}
	m := &cfapi.MonitoringSubscription{RealtimeMetricsSubscriptionConfig: &cfapi.RealtimeMetricsSubscriptionConfig{RealtimeMetricsSubscriptionStatus: ptr.To("Enabled")}}
	if _, err := s.CreateMonitoringSubscription20200531(ctx, &cfapi.CreateMonitoringSubscriptionRequest{DistributionId: ptr.To(a), MonitoringSubscription: m}); err != nil {
		t.Fatal(err)
	}
	_, err = s.CreateMonitoringSubscription20200531(ctx, &cfapi.CreateMonitoringSubscriptionRequest{DistributionId: ptr.To(a), MonitoringSubscription: m})
	wantCode(t, err, cfapi.ErrMonitoringSubscriptionAlreadyExists)
	g, err := s.GetMonitoringSubscription20200531(ctx, &cfapi.GetMonitoringSubscriptionRequest{DistributionId: ptr.To(a)})
	if err != nil || *g.MonitoringSubscription.RealtimeMetricsSubscriptionConfig.RealtimeMetricsSubscriptionStatus != "Enabled" {
		t.Fatalf("get subscription: %v %+v", err, g)
	}
	if _, err := s.DeleteMonitoringSubscription20200531(ctx, &cfapi.DeleteMonitoringSubscriptionRequest{DistributionId: ptr.To(a)}); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetMonitoringSubscription20200531(ctx, &cfapi.GetMonitoringSubscriptionRequest{DistributionId: ptr.To(a)})
	wantCode(t, err, cfapi.ErrNoSuchMonitoringSubscription)
}
