package cloudfront

import (
	"time"

	cfapi "github.com/niwa-cloud/niwa/internal/api/cloudfront"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// AWS's managed policies, listed with AWS's ids (the same in every
// account) so that configurations written for AWS name them as they
// are; custom ones are in custompolicies.go. The edge applies both
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
