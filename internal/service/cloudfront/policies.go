package cloudfront

import (
	"time"

	cfapi "github.com/niwa-cloud/niwa/internal/api/cloudfront"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// AWS's managed policies, listed with AWS's ids (the same in every
// account) so that configurations written for AWS name them as they
// are. Custom policies are not kept (their Create operations answer
// NotImplemented); the edge applies the managed ones it knows by id
// (dataplane.go).

// managedTime is when the managed policies were last modified, a fixed
// date so that every listing agrees.
var managedTime = time.Date(2020, 9, 1, 0, 0, 0, 0, time.UTC)

func names(items ...string) *cfapi.Headers {
	return &cfapi.Headers{Quantity: ptr.To(int32(len(items))), Items: items}
}

func cachePolicy(id, name, comment string, minTTL, defTTL, maxTTL int64, gzip bool) cfapi.CachePolicy {
	return cfapi.CachePolicy{Id: ptr.To(id), LastModifiedTime: ptr.To(managedTime), CachePolicyConfig: &cfapi.CachePolicyConfig{
		Name: ptr.To(name), Comment: ptr.To(comment), MinTTL: ptr.To(minTTL), DefaultTTL: ptr.To(defTTL), MaxTTL: ptr.To(maxTTL),
		ParametersInCacheKeyAndForwardedToOrigin: &cfapi.ParametersInCacheKeyAndForwardedToOrigin{
			EnableAcceptEncodingGzip: ptr.To(gzip), EnableAcceptEncodingBrotli: ptr.To(gzip),
			HeadersConfig:      &cfapi.CachePolicyHeadersConfig{HeaderBehavior: ptr.To("none")},
			CookiesConfig:      &cfapi.CachePolicyCookiesConfig{CookieBehavior: ptr.To("none")},
			QueryStringsConfig: &cfapi.CachePolicyQueryStringsConfig{QueryStringBehavior: ptr.To("none")},
		}}}
}

func managedCachePolicies() []cfapi.CachePolicy {
	return []cfapi.CachePolicy{
		cachePolicy(cachingOptimized, "Managed-CachingOptimized", "Policy with caching enabled. Supports Gzip and Brotli compression.", 1, 86400, 31536000, true),
		cachePolicy(cachingDisabled, "Managed-CachingDisabled", "Policy with caching disabled", 0, 0, 0, false),
		cachePolicy("b2884449-e4de-46a7-ac36-70bc7f1ddd6d", "Managed-CachingOptimizedForUncompressedObjects", "Default policy when compression is disabled", 1, 86400, 31536000, false),
	}
}

func originRequestPolicy(id, name, comment, headerBehavior string, headers *cfapi.Headers, cookies, query string) cfapi.OriginRequestPolicy {
	return cfapi.OriginRequestPolicy{Id: ptr.To(id), LastModifiedTime: ptr.To(managedTime), OriginRequestPolicyConfig: &cfapi.OriginRequestPolicyConfig{
		Name: ptr.To(name), Comment: ptr.To(comment),
		HeadersConfig:      &cfapi.OriginRequestPolicyHeadersConfig{HeaderBehavior: ptr.To(headerBehavior), Headers: headers},
		CookiesConfig:      &cfapi.OriginRequestPolicyCookiesConfig{CookieBehavior: ptr.To(cookies)},
		QueryStringsConfig: &cfapi.OriginRequestPolicyQueryStringsConfig{QueryStringBehavior: ptr.To(query)},
	}}
}

func managedOriginRequestPolicies() []cfapi.OriginRequestPolicy {
	return []cfapi.OriginRequestPolicy{
		originRequestPolicy(allViewer, "Managed-AllViewer", "Policy to forward all parameters in viewer requests", "allViewer", nil, "all", "all"),
		originRequestPolicy(allViewerExceptHostHeader, "Managed-AllViewerExceptHostHeader", "Policy to forward all parameters in viewer requests except for the Host header", "allExcept", names("host"), "all", "all"),
		originRequestPolicy("88a5eaf4-2fd4-4709-b370-b4c650ea3fcf", "Managed-CORS-S3Origin", "Policy for origin request to enable CORS in S3", "whitelist",
			names("origin", "access-control-request-headers", "access-control-request-method"), "none", "none"),
		originRequestPolicy("59781a5b-3903-41f3-afcb-af62929ccde1", "Managed-CORS-CustomOrigin", "Policy for origin request to enable CORS in custom origins", "whitelist",
			names("origin"), "none", "none"),
	}
}

func managedResponseHeadersPolicies() []cfapi.ResponseHeadersPolicy {
	p := func(id, name, comment string) cfapi.ResponseHeadersPolicy {
		return cfapi.ResponseHeadersPolicy{Id: ptr.To(id), LastModifiedTime: ptr.To(managedTime),
			ResponseHeadersPolicyConfig: &cfapi.ResponseHeadersPolicyConfig{Name: ptr.To(name), Comment: ptr.To(comment)}}
	}
	return []cfapi.ResponseHeadersPolicy{
		p("60669652-455b-4ae9-85a4-c4c02393f86c", "Managed-SimpleCORS", "Allows all origins for simple CORS requests"),
		p("5cc3b908-e619-4b99-88e5-2cf7f45965bd", "Managed-CORS-With-Preflight", "Allows all origins for CORS requests, including preflight requests"),
		p("67f7725c-6f97-4210-82d7-5512b31e9d03", "Managed-SecurityHeadersPolicy", "Adds a set of security headers to every response"),
		p("e61eb60c-9c35-4d20-a928-2b84e02af89c", "Managed-CORS-and-SecurityHeadersPolicy", "Allows all origins for simple CORS requests and adds security headers"),
		p("eaab4381-ed33-4a86-88ca-d9558dc6cd63", "Managed-CORS-with-preflight-and-SecurityHeadersPolicy", "Allows all origins for CORS requests, including preflight requests, and adds security headers"),
	}
}

// managedETag is the fixed version of a managed policy.
const managedETag = "E23ZP02F085DFQ"

// wantType: managed policies are listed for Type managed or no Type.
func wantManaged(t *string) bool { v := ptr.Deref(t); return v == "" || v == "managed" }

// ListCachePolicies20200531 lists the managed cache policies.
func (s *CloudFront) ListCachePolicies20200531(ctx *request.Context, in *cfapi.ListCachePoliciesRequest) (*cfapi.ListCachePoliciesResult, error) {
	out := &cfapi.CachePolicyList{MaxItems: ptr.To(int32(maxItemsDefault))}
	if wantManaged(in.Type) {
		for _, p := range managedCachePolicies() {
			out.Items = append(out.Items, cfapi.CachePolicySummary{Type: ptr.To("managed"), CachePolicy: &p})
		}
	}
	out.Quantity = ptr.To(int32(len(out.Items)))
	return &cfapi.ListCachePoliciesResult{CachePolicyList: out}, nil
}

func findCachePolicy(id string) (cfapi.CachePolicy, error) {
	for _, p := range managedCachePolicies() {
		if *p.Id == id {
			return p, nil
		}
	}
	return cfapi.CachePolicy{}, cfapi.ErrNoSuchCachePolicy.New("The cache policy does not exist.")
}

// GetCachePolicy20200531 answers a managed cache policy.
func (s *CloudFront) GetCachePolicy20200531(ctx *request.Context, in *cfapi.GetCachePolicyRequest) (*cfapi.GetCachePolicyResult, error) {
	p, err := findCachePolicy(ptr.Deref(in.Id))
	if err != nil {
		return nil, err
	}
	return &cfapi.GetCachePolicyResult{CachePolicy: &p, ETag: ptr.To(managedETag)}, nil
}

// GetCachePolicyConfig20200531 answers a managed cache policy's
// configuration.
func (s *CloudFront) GetCachePolicyConfig20200531(ctx *request.Context, in *cfapi.GetCachePolicyConfigRequest) (*cfapi.GetCachePolicyConfigResult, error) {
	p, err := findCachePolicy(ptr.Deref(in.Id))
	if err != nil {
		return nil, err
	}
	return &cfapi.GetCachePolicyConfigResult{CachePolicyConfig: p.CachePolicyConfig, ETag: ptr.To(managedETag)}, nil
}

// ListOriginRequestPolicies20200531 lists the managed origin request
// policies.
func (s *CloudFront) ListOriginRequestPolicies20200531(ctx *request.Context, in *cfapi.ListOriginRequestPoliciesRequest) (*cfapi.ListOriginRequestPoliciesResult, error) {
	out := &cfapi.OriginRequestPolicyList{MaxItems: ptr.To(int32(maxItemsDefault))}
	if wantManaged(in.Type) {
		for _, p := range managedOriginRequestPolicies() {
			out.Items = append(out.Items, cfapi.OriginRequestPolicySummary{Type: ptr.To("managed"), OriginRequestPolicy: &p})
		}
	}
	out.Quantity = ptr.To(int32(len(out.Items)))
	return &cfapi.ListOriginRequestPoliciesResult{OriginRequestPolicyList: out}, nil
}

// GetOriginRequestPolicy20200531 answers a managed origin request policy.
func (s *CloudFront) GetOriginRequestPolicy20200531(ctx *request.Context, in *cfapi.GetOriginRequestPolicyRequest) (*cfapi.GetOriginRequestPolicyResult, error) {
	for _, p := range managedOriginRequestPolicies() {
		if *p.Id == ptr.Deref(in.Id) {
			return &cfapi.GetOriginRequestPolicyResult{OriginRequestPolicy: &p, ETag: ptr.To(managedETag)}, nil
		}
	}
	return nil, cfapi.ErrNoSuchOriginRequestPolicy.New("The origin request policy does not exist.")
}

// ListResponseHeadersPolicies20200531 lists the managed response headers
// policies (by name; their header settings are not applied by the edge).
func (s *CloudFront) ListResponseHeadersPolicies20200531(ctx *request.Context, in *cfapi.ListResponseHeadersPoliciesRequest) (*cfapi.ListResponseHeadersPoliciesResult, error) {
	out := &cfapi.ResponseHeadersPolicyList{MaxItems: ptr.To(int32(maxItemsDefault))}
	if wantManaged(in.Type) {
		for _, p := range managedResponseHeadersPolicies() {
			out.Items = append(out.Items, cfapi.ResponseHeadersPolicySummary{Type: ptr.To("managed"), ResponseHeadersPolicy: &p})
		}
	}
	out.Quantity = ptr.To(int32(len(out.Items)))
	return &cfapi.ListResponseHeadersPoliciesResult{ResponseHeadersPolicyList: out}, nil
}
