package cloudfront

import (
	cfapi "github.com/niwa-cloud/niwa/internal/api/cloudfront"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// The policy operations, the same for each kind of policy (the shapes
// differ only in name, so each kind's are written from one pattern).

// ---- CachePolicys ----

func cachePolicyAPI(r policyRec[cfapi.CachePolicyConfig]) *cfapi.CachePolicy {
	c := r.Config
	return &cfapi.CachePolicy{Id: ptr.To(r.ID), LastModifiedTime: ptr.To(r.Modified), CachePolicyConfig: &c}
}

// CreateCachePolicy20200531 creates a custom cache policy.
func (s *CloudFront) CreateCachePolicy20200531(ctx *request.Context, in *cfapi.CreateCachePolicyRequest) (*cfapi.CreateCachePolicyResult, error) {
	r, err := cachePolicyType.create(s, ctx, in.CachePolicyConfig)
	if err != nil {
		return nil, err
	}
	return &cfapi.CreateCachePolicyResult{CachePolicy: cachePolicyAPI(r), ETag: &r.ETag,
		Location: ptr.To("https://cloudfront.amazonaws.com/2020-05-31/cache-policy/" + r.ID)}, nil
}

// GetCachePolicy20200531 answers a managed or custom cache policy.
func (s *CloudFront) GetCachePolicy20200531(ctx *request.Context, in *cfapi.GetCachePolicyRequest) (*cfapi.GetCachePolicyResult, error) {
	r, err := cachePolicyType.find(s, ctx, ptr.Deref(in.Id))
	if err != nil {
		return nil, err
	}
	return &cfapi.GetCachePolicyResult{CachePolicy: cachePolicyAPI(r), ETag: &r.ETag}, nil
}

// GetCachePolicyConfig20200531 answers a cache policy's configuration.
func (s *CloudFront) GetCachePolicyConfig20200531(ctx *request.Context, in *cfapi.GetCachePolicyConfigRequest) (*cfapi.GetCachePolicyConfigResult, error) {
	r, err := cachePolicyType.find(s, ctx, ptr.Deref(in.Id))
	if err != nil {
		return nil, err
	}
	return &cfapi.GetCachePolicyConfigResult{CachePolicyConfig: &r.Config, ETag: &r.ETag}, nil
}

// UpdateCachePolicy20200531 replaces a custom cache policy's configuration (managed
// ones are AWS's).
func (s *CloudFront) UpdateCachePolicy20200531(ctx *request.Context, in *cfapi.UpdateCachePolicyRequest) (*cfapi.UpdateCachePolicyResult, error) {
	r, err := cachePolicyType.update(s, ctx, ptr.Deref(in.Id), in.IfMatch, in.CachePolicyConfig)
	if err != nil {
		return nil, err
	}
	return &cfapi.UpdateCachePolicyResult{CachePolicy: cachePolicyAPI(r), ETag: &r.ETag}, nil
}

// DeleteCachePolicy20200531 deletes a custom cache policy no behaviour names.
func (s *CloudFront) DeleteCachePolicy20200531(ctx *request.Context, in *cfapi.DeleteCachePolicyRequest) (*cfapi.DeleteCachePolicy20200531Output, error) {
	if err := cachePolicyType.remove(s, ctx, ptr.Deref(in.Id), in.IfMatch); err != nil {
		return nil, err
	}
	return &cfapi.DeleteCachePolicy20200531Output{}, nil
}

// ListCachePolicies20200531 lists the managed and the account's custom
// cache policies (Type managed or custom for one kind).
func (s *CloudFront) ListCachePolicies20200531(ctx *request.Context, in *cfapi.ListCachePoliciesRequest) (*cfapi.ListCachePoliciesResult, error) {
	items, next, maxN, err := cachePolicyType.list(s, ctx, in.Type, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &cfapi.CachePolicyList{MaxItems: &maxN}
	if next != "" {
		out.NextMarker = &next
	}
	for _, r := range items {
		out.Items = append(out.Items, cfapi.CachePolicySummary{Type: typeOf(r), CachePolicy: cachePolicyAPI(r)})
	}
	out.Quantity = ptr.To(int32(len(out.Items)))
	return &cfapi.ListCachePoliciesResult{CachePolicyList: out}, nil
}

// ---- OriginRequestPolicys ----

func originRequestPolicyAPI(r policyRec[cfapi.OriginRequestPolicyConfig]) *cfapi.OriginRequestPolicy {
	c := r.Config
	return &cfapi.OriginRequestPolicy{Id: ptr.To(r.ID), LastModifiedTime: ptr.To(r.Modified), OriginRequestPolicyConfig: &c}
}

// CreateOriginRequestPolicy20200531 creates a custom origin request policy.
func (s *CloudFront) CreateOriginRequestPolicy20200531(ctx *request.Context, in *cfapi.CreateOriginRequestPolicyRequest) (*cfapi.CreateOriginRequestPolicyResult, error) {
	r, err := originRequestPolicyType.create(s, ctx, in.OriginRequestPolicyConfig)
	if err != nil {
		return nil, err
	}
	return &cfapi.CreateOriginRequestPolicyResult{OriginRequestPolicy: originRequestPolicyAPI(r), ETag: &r.ETag,
		Location: ptr.To("https://cloudfront.amazonaws.com/2020-05-31/origin-request-policy/" + r.ID)}, nil
}

// GetOriginRequestPolicy20200531 answers a managed or custom origin request policy.
func (s *CloudFront) GetOriginRequestPolicy20200531(ctx *request.Context, in *cfapi.GetOriginRequestPolicyRequest) (*cfapi.GetOriginRequestPolicyResult, error) {
	r, err := originRequestPolicyType.find(s, ctx, ptr.Deref(in.Id))
	if err != nil {
		return nil, err
	}
	return &cfapi.GetOriginRequestPolicyResult{OriginRequestPolicy: originRequestPolicyAPI(r), ETag: &r.ETag}, nil
}

// GetOriginRequestPolicyConfig20200531 answers a origin request policy's configuration.
func (s *CloudFront) GetOriginRequestPolicyConfig20200531(ctx *request.Context, in *cfapi.GetOriginRequestPolicyConfigRequest) (*cfapi.GetOriginRequestPolicyConfigResult, error) {
	r, err := originRequestPolicyType.find(s, ctx, ptr.Deref(in.Id))
	if err != nil {
		return nil, err
	}
	return &cfapi.GetOriginRequestPolicyConfigResult{OriginRequestPolicyConfig: &r.Config, ETag: &r.ETag}, nil
}

// UpdateOriginRequestPolicy20200531 replaces a custom origin request policy's configuration (managed
// ones are AWS's).
func (s *CloudFront) UpdateOriginRequestPolicy20200531(ctx *request.Context, in *cfapi.UpdateOriginRequestPolicyRequest) (*cfapi.UpdateOriginRequestPolicyResult, error) {
	r, err := originRequestPolicyType.update(s, ctx, ptr.Deref(in.Id), in.IfMatch, in.OriginRequestPolicyConfig)
	if err != nil {
		return nil, err
	}
	return &cfapi.UpdateOriginRequestPolicyResult{OriginRequestPolicy: originRequestPolicyAPI(r), ETag: &r.ETag}, nil
}

// DeleteOriginRequestPolicy20200531 deletes a custom origin request policy no behaviour names.
func (s *CloudFront) DeleteOriginRequestPolicy20200531(ctx *request.Context, in *cfapi.DeleteOriginRequestPolicyRequest) (*cfapi.DeleteOriginRequestPolicy20200531Output, error) {
	if err := originRequestPolicyType.remove(s, ctx, ptr.Deref(in.Id), in.IfMatch); err != nil {
		return nil, err
	}
	return &cfapi.DeleteOriginRequestPolicy20200531Output{}, nil
}

// ListOriginRequestPolicies20200531 lists the managed and the account's custom
// origin request policies (Type managed or custom for one kind).
func (s *CloudFront) ListOriginRequestPolicies20200531(ctx *request.Context, in *cfapi.ListOriginRequestPoliciesRequest) (*cfapi.ListOriginRequestPoliciesResult, error) {
	items, next, maxN, err := originRequestPolicyType.list(s, ctx, in.Type, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &cfapi.OriginRequestPolicyList{MaxItems: &maxN}
	if next != "" {
		out.NextMarker = &next
	}
	for _, r := range items {
		out.Items = append(out.Items, cfapi.OriginRequestPolicySummary{Type: typeOf(r), OriginRequestPolicy: originRequestPolicyAPI(r)})
	}
	out.Quantity = ptr.To(int32(len(out.Items)))
	return &cfapi.ListOriginRequestPoliciesResult{OriginRequestPolicyList: out}, nil
}

// ---- ResponseHeadersPolicys ----

func headersPolicyAPI(r policyRec[cfapi.ResponseHeadersPolicyConfig]) *cfapi.ResponseHeadersPolicy {
	c := r.Config
	return &cfapi.ResponseHeadersPolicy{Id: ptr.To(r.ID), LastModifiedTime: ptr.To(r.Modified), ResponseHeadersPolicyConfig: &c}
}

// CreateResponseHeadersPolicy20200531 creates a custom response headers policy.
func (s *CloudFront) CreateResponseHeadersPolicy20200531(ctx *request.Context, in *cfapi.CreateResponseHeadersPolicyRequest) (*cfapi.CreateResponseHeadersPolicyResult, error) {
	r, err := headersPolicyType.create(s, ctx, in.ResponseHeadersPolicyConfig)
	if err != nil {
		return nil, err
	}
	return &cfapi.CreateResponseHeadersPolicyResult{ResponseHeadersPolicy: headersPolicyAPI(r), ETag: &r.ETag,
		Location: ptr.To("https://cloudfront.amazonaws.com/2020-05-31/response-headers-policy/" + r.ID)}, nil
}

// GetResponseHeadersPolicy20200531 answers a managed or custom response headers policy.
func (s *CloudFront) GetResponseHeadersPolicy20200531(ctx *request.Context, in *cfapi.GetResponseHeadersPolicyRequest) (*cfapi.GetResponseHeadersPolicyResult, error) {
	r, err := headersPolicyType.find(s, ctx, ptr.Deref(in.Id))
	if err != nil {
		return nil, err
	}
	return &cfapi.GetResponseHeadersPolicyResult{ResponseHeadersPolicy: headersPolicyAPI(r), ETag: &r.ETag}, nil
}

// GetResponseHeadersPolicyConfig20200531 answers a response headers policy's configuration.
func (s *CloudFront) GetResponseHeadersPolicyConfig20200531(ctx *request.Context, in *cfapi.GetResponseHeadersPolicyConfigRequest) (*cfapi.GetResponseHeadersPolicyConfigResult, error) {
	r, err := headersPolicyType.find(s, ctx, ptr.Deref(in.Id))
	if err != nil {
		return nil, err
	}
	return &cfapi.GetResponseHeadersPolicyConfigResult{ResponseHeadersPolicyConfig: &r.Config, ETag: &r.ETag}, nil
}

// UpdateResponseHeadersPolicy20200531 replaces a custom response headers policy's configuration (managed
// ones are AWS's).
func (s *CloudFront) UpdateResponseHeadersPolicy20200531(ctx *request.Context, in *cfapi.UpdateResponseHeadersPolicyRequest) (*cfapi.UpdateResponseHeadersPolicyResult, error) {
	r, err := headersPolicyType.update(s, ctx, ptr.Deref(in.Id), in.IfMatch, in.ResponseHeadersPolicyConfig)
	if err != nil {
		return nil, err
	}
	return &cfapi.UpdateResponseHeadersPolicyResult{ResponseHeadersPolicy: headersPolicyAPI(r), ETag: &r.ETag}, nil
}

// DeleteResponseHeadersPolicy20200531 deletes a custom response headers policy no behaviour names.
func (s *CloudFront) DeleteResponseHeadersPolicy20200531(ctx *request.Context, in *cfapi.DeleteResponseHeadersPolicyRequest) (*cfapi.DeleteResponseHeadersPolicy20200531Output, error) {
	if err := headersPolicyType.remove(s, ctx, ptr.Deref(in.Id), in.IfMatch); err != nil {
		return nil, err
	}
	return &cfapi.DeleteResponseHeadersPolicy20200531Output{}, nil
}

// ListResponseHeadersPolicies20200531 lists the managed and the account's custom
// response headers policies (Type managed or custom for one kind).
func (s *CloudFront) ListResponseHeadersPolicies20200531(ctx *request.Context, in *cfapi.ListResponseHeadersPoliciesRequest) (*cfapi.ListResponseHeadersPoliciesResult, error) {
	items, next, maxN, err := headersPolicyType.list(s, ctx, in.Type, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	out := &cfapi.ResponseHeadersPolicyList{MaxItems: &maxN}
	if next != "" {
		out.NextMarker = &next
	}
	for _, r := range items {
		out.Items = append(out.Items, cfapi.ResponseHeadersPolicySummary{Type: typeOf(r), ResponseHeadersPolicy: headersPolicyAPI(r)})
	}
	out.Quantity = ptr.To(int32(len(out.Items)))
	return &cfapi.ListResponseHeadersPoliciesResult{ResponseHeadersPolicyList: out}, nil
}
