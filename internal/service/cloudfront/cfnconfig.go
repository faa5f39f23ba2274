package cloudfront

import (
	"reflect"
	"strings"
	"time"

	cfapi "github.com/niwa-cloud/niwa/internal/api/cloudfront"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// The policy, key and access types' providers. Their templates give a
// <Type>Config object in the API's member names, but with plain lists
// where the API has {Quantity, Items} (CachePolicy's Cookies, Headers,
// QueryStrings) and {Items} objects without Quantity
// (ResponseHeadersPolicy's AccessControlAllowHeaders, CustomHeadersConfig):
// cfnShape converts them by the API shape itself.

// isQuantityList reports whether t is a {Quantity, Items} shape.
func isQuantityList(t reflect.Type) bool {
	_, q := t.FieldByName("Quantity")
	_, i := t.FieldByName("Items")
	return q && i
}

func fieldFold(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		if strings.EqualFold(t.Field(i).Name, name) {
			return t.Field(i), true
		}
	}
	return reflect.StructField{}, false
}

// cfnShape converts a template value to the JSON form of the API shape t.
func cfnShape(v any, t reflect.Type) any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if isQuantityList(t) {
			if l, ok := v.([]any); ok {
				v = map[string]any{"Items": l}
			}
		}
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		out := make(map[string]any, len(m)+1)
		for k, e := range m {
			f, ok := fieldFold(t, k)
			if !ok {
				out[k] = e
				continue
			}
			out[f.Name] = cfnShape(e, f.Type)
		}
		if isQuantityList(t) {
			if _, ok := out["Quantity"]; !ok {
				l, _ := out["Items"].([]any)
				out["Quantity"] = len(l)
			}
		}
		return out
	case reflect.Slice:
		l, ok := v.([]any)
		if !ok {
			return v
		}
		out := make([]any, len(l))
		for i := range l {
			out[i] = cfnShape(l[i], t.Elem())
		}
		return out
	}
	return v
}

// cfnDecodeConfig decodes the required property prop into out (a pointer
// to the API's config shape).
func cfnDecodeConfig(r kit.ResourceRequest, prop string, out any) error {
	raw, ok := r.Properties[prop]
	if !ok || raw == nil {
		return awserr.ValidationError.New("Properties validation failed for resource %s with message: #: required key [%s] not found", r.LogicalID, prop)
	}
	conv := cfnShape(raw, reflect.TypeOf(out))
	if err := kit.DecodeProp(map[string]any{"v": conv}, "v", out); err != nil {
		return awserr.ValidationError.New("Properties validation failed for resource %s with message: #/%s: %v", r.LogicalID, prop, err)
	}
	return nil
}

// cfnGone reports whether err says the resource no longer exists.
func cfnGone(err error) bool {
	for _, c := range []awserr.Code{cfapi.ErrNoSuchCachePolicy, cfapi.ErrNoSuchOriginRequestPolicy,
		cfapi.ErrNoSuchResponseHeadersPolicy, cfapi.ErrNoSuchOriginAccessControl,
		cfapi.ErrNoSuchCloudFrontOriginAccessIdentity, cfapi.ErrNoSuchPublicKey, cfapi.ErrNoSuchResource,
		cfapi.ErrNoSuchMonitoringSubscription, cfapi.ErrNoSuchDistribution} {
		if c.Is(err) {
			return true
		}
	}
	return false
}

func cfnTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func cfnResult(id string, attrs map[string]any) kit.ResourceResult {
	attrs["Id"] = id
	return kit.ResourceResult{PhysicalID: id, Attributes: attrs}
}

// cfnDelete deletes what get finds (its ETag is the delete's IfMatch),
// tolerating a resource already gone.
func cfnDelete(get func() (*string, error), del func(etag *string) error) error {
	etag, err := get()
	if cfnGone(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := del(etag); err != nil && !cfnGone(err) {
		return err
	}
	return nil
}

// AWS::CloudFront::CachePolicy: Ref Id; GetAtt Id, LastModifiedTime.

func cachePolicyResult(p *cfapi.CachePolicy) kit.ResourceResult {
	return cfnResult(ptr.Deref(p.Id), map[string]any{"LastModifiedTime": cfnTime(p.LastModifiedTime)})
}

func (s *CloudFront) cfnCreateCachePolicy(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	cfg := &cfapi.CachePolicyConfig{}
	if err := cfnDecodeConfig(r, "CachePolicyConfig", cfg); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.CreateCachePolicy20200531(ctx, &cfapi.CreateCachePolicyRequest{CachePolicyConfig: cfg})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return cachePolicyResult(out.CachePolicy), nil
}

func (s *CloudFront) cfnUpdateCachePolicy(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	cfg := &cfapi.CachePolicyConfig{}
	if err := cfnDecodeConfig(r, "CachePolicyConfig", cfg); err != nil {
		return kit.ResourceResult{}, err
	}
	cur, err := s.GetCachePolicy20200531(ctx, &cfapi.GetCachePolicyRequest{Id: &r.PhysicalID})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.UpdateCachePolicy20200531(ctx, &cfapi.UpdateCachePolicyRequest{Id: &r.PhysicalID, IfMatch: cur.ETag, CachePolicyConfig: cfg})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return cachePolicyResult(out.CachePolicy), nil
}

func (s *CloudFront) cfnDeleteCachePolicy(ctx *request.Context, r kit.ResourceRequest) error {
	return cfnDelete(func() (*string, error) {
		out, err := s.GetCachePolicy20200531(ctx, &cfapi.GetCachePolicyRequest{Id: &r.PhysicalID})
		if err != nil {
			return nil, err
		}
		return out.ETag, nil
	}, func(etag *string) error {
		_, err := s.DeleteCachePolicy20200531(ctx, &cfapi.DeleteCachePolicyRequest{Id: &r.PhysicalID, IfMatch: etag})
		return err
	})
}

// AWS::CloudFront::OriginRequestPolicy: Ref Id; GetAtt Id, LastModifiedTime.

func originRequestPolicyResult(p *cfapi.OriginRequestPolicy) kit.ResourceResult {
	return cfnResult(ptr.Deref(p.Id), map[string]any{"LastModifiedTime": cfnTime(p.LastModifiedTime)})
}

func (s *CloudFront) cfnCreateOriginRequestPolicy(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	cfg := &cfapi.OriginRequestPolicyConfig{}
	if err := cfnDecodeConfig(r, "OriginRequestPolicyConfig", cfg); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.CreateOriginRequestPolicy20200531(ctx, &cfapi.CreateOriginRequestPolicyRequest{OriginRequestPolicyConfig: cfg})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return originRequestPolicyResult(out.OriginRequestPolicy), nil
}

func (s *CloudFront) cfnUpdateOriginRequestPolicy(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	cfg := &cfapi.OriginRequestPolicyConfig{}
	if err := cfnDecodeConfig(r, "OriginRequestPolicyConfig", cfg); err != nil {
		return kit.ResourceResult{}, err
	}
	cur, err := s.GetOriginRequestPolicy20200531(ctx, &cfapi.GetOriginRequestPolicyRequest{Id: &r.PhysicalID})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.UpdateOriginRequestPolicy20200531(ctx, &cfapi.UpdateOriginRequestPolicyRequest{Id: &r.PhysicalID, IfMatch: cur.ETag, OriginRequestPolicyConfig: cfg})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return originRequestPolicyResult(out.OriginRequestPolicy), nil
}

func (s *CloudFront) cfnDeleteOriginRequestPolicy(ctx *request.Context, r kit.ResourceRequest) error {
	return cfnDelete(func() (*string, error) {
		out, err := s.GetOriginRequestPolicy20200531(ctx, &cfapi.GetOriginRequestPolicyRequest{Id: &r.PhysicalID})
		if err != nil {
			return nil, err
		}
		return out.ETag, nil
	}, func(etag *string) error {
		_, err := s.DeleteOriginRequestPolicy20200531(ctx, &cfapi.DeleteOriginRequestPolicyRequest{Id: &r.PhysicalID, IfMatch: etag})
		return err
	})
}

// AWS::CloudFront::ResponseHeadersPolicy: Ref Id; GetAtt Id, LastModifiedTime.

func responseHeadersPolicyResult(p *cfapi.ResponseHeadersPolicy) kit.ResourceResult {
	return cfnResult(ptr.Deref(p.Id), map[string]any{"LastModifiedTime": cfnTime(p.LastModifiedTime)})
}

func (s *CloudFront) cfnCreateResponseHeadersPolicy(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	cfg := &cfapi.ResponseHeadersPolicyConfig{}
	if err := cfnDecodeConfig(r, "ResponseHeadersPolicyConfig", cfg); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.CreateResponseHeadersPolicy20200531(ctx, &cfapi.CreateResponseHeadersPolicyRequest{ResponseHeadersPolicyConfig: cfg})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return responseHeadersPolicyResult(out.ResponseHeadersPolicy), nil
}

func (s *CloudFront) cfnUpdateResponseHeadersPolicy(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	cfg := &cfapi.ResponseHeadersPolicyConfig{}
	if err := cfnDecodeConfig(r, "ResponseHeadersPolicyConfig", cfg); err != nil {
		return kit.ResourceResult{}, err
	}
	cur, err := s.GetResponseHeadersPolicy20200531(ctx, &cfapi.GetResponseHeadersPolicyRequest{Id: &r.PhysicalID})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.UpdateResponseHeadersPolicy20200531(ctx, &cfapi.UpdateResponseHeadersPolicyRequest{Id: &r.PhysicalID, IfMatch: cur.ETag, ResponseHeadersPolicyConfig: cfg})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return responseHeadersPolicyResult(out.ResponseHeadersPolicy), nil
}

func (s *CloudFront) cfnDeleteResponseHeadersPolicy(ctx *request.Context, r kit.ResourceRequest) error {
	return cfnDelete(func() (*string, error) {
		out, err := s.GetResponseHeadersPolicy20200531(ctx, &cfapi.GetResponseHeadersPolicyRequest{Id: &r.PhysicalID})
		if err != nil {
			return nil, err
		}
		return out.ETag, nil
	}, func(etag *string) error {
		_, err := s.DeleteResponseHeadersPolicy20200531(ctx, &cfapi.DeleteResponseHeadersPolicyRequest{Id: &r.PhysicalID, IfMatch: etag})
		return err
	})
}

// AWS::CloudFront::OriginAccessControl: Ref Id; GetAtt Id.

func (s *CloudFront) cfnCreateOriginAccessControl(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	cfg := &cfapi.OriginAccessControlConfig{}
	if err := cfnDecodeConfig(r, "OriginAccessControlConfig", cfg); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.CreateOriginAccessControl20200531(ctx, &cfapi.CreateOriginAccessControlRequest{OriginAccessControlConfig: cfg})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return cfnResult(ptr.Deref(out.OriginAccessControl.Id), map[string]any{}), nil
}

func (s *CloudFront) cfnUpdateOriginAccessControl(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	cfg := &cfapi.OriginAccessControlConfig{}
	if err := cfnDecodeConfig(r, "OriginAccessControlConfig", cfg); err != nil {
		return kit.ResourceResult{}, err
	}
	cur, err := s.GetOriginAccessControl20200531(ctx, &cfapi.GetOriginAccessControlRequest{Id: &r.PhysicalID})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.UpdateOriginAccessControl20200531(ctx, &cfapi.UpdateOriginAccessControlRequest{Id: &r.PhysicalID, IfMatch: cur.ETag, OriginAccessControlConfig: cfg})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return cfnResult(ptr.Deref(out.OriginAccessControl.Id), map[string]any{}), nil
}

func (s *CloudFront) cfnDeleteOriginAccessControl(ctx *request.Context, r kit.ResourceRequest) error {
	return cfnDelete(func() (*string, error) {
		out, err := s.GetOriginAccessControl20200531(ctx, &cfapi.GetOriginAccessControlRequest{Id: &r.PhysicalID})
		if err != nil {
			return nil, err
		}
		return out.ETag, nil
	}, func(etag *string) error {
		_, err := s.DeleteOriginAccessControl20200531(ctx, &cfapi.DeleteOriginAccessControlRequest{Id: &r.PhysicalID, IfMatch: etag})
		return err
	})
}

// AWS::CloudFront::CloudFrontOriginAccessIdentity: Ref Id; GetAtt Id,
// S3CanonicalUserId. The template gives only the Comment; CloudFormation
// makes the CallerReference.

func oaiResult(o *cfapi.CloudFrontOriginAccessIdentity) kit.ResourceResult {
	return cfnResult(ptr.Deref(o.Id), map[string]any{"S3CanonicalUserId": ptr.Deref(o.S3CanonicalUserId)})
}

func (s *CloudFront) cfnCreateOAI(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	cfg := &cfapi.CloudFrontOriginAccessIdentityConfig{}
	if err := cfnDecodeConfig(r, "CloudFrontOriginAccessIdentityConfig", cfg); err != nil {
		return kit.ResourceResult{}, err
	}
	cfg.CallerReference = ptr.To(awsid.UUID())
	out, err := s.CreateCloudFrontOriginAccessIdentity20200531(ctx, &cfapi.CreateCloudFrontOriginAccessIdentityRequest{CloudFrontOriginAccessIdentityConfig: cfg})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return oaiResult(out.CloudFrontOriginAccessIdentity), nil
}

func (s *CloudFront) cfnUpdateOAI(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	cfg := &cfapi.CloudFrontOriginAccessIdentityConfig{}
	if err := cfnDecodeConfig(r, "CloudFrontOriginAccessIdentityConfig", cfg); err != nil {
		return kit.ResourceResult{}, err
	}
	cur, err := s.GetCloudFrontOriginAccessIdentity20200531(ctx, &cfapi.GetCloudFrontOriginAccessIdentityRequest{Id: &r.PhysicalID})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	cfg.CallerReference = cur.CloudFrontOriginAccessIdentity.CloudFrontOriginAccessIdentityConfig.CallerReference
	out, err := s.UpdateCloudFrontOriginAccessIdentity20200531(ctx, &cfapi.UpdateCloudFrontOriginAccessIdentityRequest{Id: &r.PhysicalID,
		IfMatch: cur.ETag, CloudFrontOriginAccessIdentityConfig: cfg})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return oaiResult(out.CloudFrontOriginAccessIdentity), nil
}

func (s *CloudFront) cfnDeleteOAI(ctx *request.Context, r kit.ResourceRequest) error {
	return cfnDelete(func() (*string, error) {
		out, err := s.GetCloudFrontOriginAccessIdentity20200531(ctx, &cfapi.GetCloudFrontOriginAccessIdentityRequest{Id: &r.PhysicalID})
		if err != nil {
			return nil, err
		}
		return out.ETag, nil
	}, func(etag *string) error {
		_, err := s.DeleteCloudFrontOriginAccessIdentity20200531(ctx, &cfapi.DeleteCloudFrontOriginAccessIdentityRequest{Id: &r.PhysicalID, IfMatch: etag})
		return err
	})
}

// AWS::CloudFront::PublicKey: Ref Id; GetAtt Id, CreatedTime. The
// template's PublicKeyConfig carries its own CallerReference.

func publicKeyResult(k *cfapi.PublicKey) kit.ResourceResult {
	return cfnResult(ptr.Deref(k.Id), map[string]any{"CreatedTime": cfnTime(k.CreatedTime)})
}

func (s *CloudFront) cfnCreatePublicKey(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	cfg := &cfapi.PublicKeyConfig{}
	if err := cfnDecodeConfig(r, "PublicKeyConfig", cfg); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.CreatePublicKey20200531(ctx, &cfapi.CreatePublicKeyRequest{PublicKeyConfig: cfg})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return publicKeyResult(out.PublicKey), nil
}

func (s *CloudFront) cfnUpdatePublicKey(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	cfg := &cfapi.PublicKeyConfig{}
	if err := cfnDecodeConfig(r, "PublicKeyConfig", cfg); err != nil {
		return kit.ResourceResult{}, err
	}
	cur, err := s.GetPublicKey20200531(ctx, &cfapi.GetPublicKeyRequest{Id: &r.PhysicalID})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.UpdatePublicKey20200531(ctx, &cfapi.UpdatePublicKeyRequest{Id: &r.PhysicalID, IfMatch: cur.ETag, PublicKeyConfig: cfg})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return publicKeyResult(out.PublicKey), nil
}

func (s *CloudFront) cfnDeletePublicKey(ctx *request.Context, r kit.ResourceRequest) error {
	return cfnDelete(func() (*string, error) {
		out, err := s.GetPublicKey20200531(ctx, &cfapi.GetPublicKeyRequest{Id: &r.PhysicalID})
		if err != nil {
			return nil, err
		}
		return out.ETag, nil
	}, func(etag *string) error {
		_, err := s.DeletePublicKey20200531(ctx, &cfapi.DeletePublicKeyRequest{Id: &r.PhysicalID, IfMatch: etag})
		return err
	})
}

// AWS::CloudFront::KeyGroup: Ref Id; GetAtt Id, LastModifiedTime.

func keyGroupResult(g *cfapi.KeyGroup) kit.ResourceResult {
	return cfnResult(ptr.Deref(g.Id), map[string]any{"LastModifiedTime": cfnTime(g.LastModifiedTime)})
}

func (s *CloudFront) cfnCreateKeyGroup(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	cfg := &cfapi.KeyGroupConfig{}
	if err := cfnDecodeConfig(r, "KeyGroupConfig", cfg); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.CreateKeyGroup20200531(ctx, &cfapi.CreateKeyGroupRequest{KeyGroupConfig: cfg})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return keyGroupResult(out.KeyGroup), nil
}

func (s *CloudFront) cfnUpdateKeyGroup(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	cfg := &cfapi.KeyGroupConfig{}
	if err := cfnDecodeConfig(r, "KeyGroupConfig", cfg); err != nil {
		return kit.ResourceResult{}, err
	}
	cur, err := s.GetKeyGroup20200531(ctx, &cfapi.GetKeyGroupRequest{Id: &r.PhysicalID})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.UpdateKeyGroup20200531(ctx, &cfapi.UpdateKeyGroupRequest{Id: &r.PhysicalID, IfMatch: cur.ETag, KeyGroupConfig: cfg})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return keyGroupResult(out.KeyGroup), nil
}

func (s *CloudFront) cfnDeleteKeyGroup(ctx *request.Context, r kit.ResourceRequest) error {
	return cfnDelete(func() (*string, error) {
		out, err := s.GetKeyGroup20200531(ctx, &cfapi.GetKeyGroupRequest{Id: &r.PhysicalID})
		if err != nil {
			return nil, err
		}
		return out.ETag, nil
	}, func(etag *string) error {
		_, err := s.DeleteKeyGroup20200531(ctx, &cfapi.DeleteKeyGroupRequest{Id: &r.PhysicalID, IfMatch: etag})
		return err
	})
}

// AWS::CloudFront::MonitoringSubscription: Ref is the distribution id;
// both properties replace it (AWS's resource has no update).

func (s *CloudFront) cfnCreateMonitoringSubscription(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	dist := r.Str("DistributionId")
	if dist == "" {
		return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: #: required key [DistributionId] not found", r.LogicalID)
	}
	sub := &cfapi.MonitoringSubscription{}
	if err := cfnDecodeConfig(r, "MonitoringSubscription", sub); err != nil {
		return kit.ResourceResult{}, err
	}
	if _, err := s.CreateMonitoringSubscription20200531(ctx, &cfapi.CreateMonitoringSubscriptionRequest{DistributionId: &dist, MonitoringSubscription: sub}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: dist, Attributes: map[string]any{}}, nil
}

func (s *CloudFront) cfnDeleteMonitoringSubscription(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteMonitoringSubscription20200531(ctx, &cfapi.DeleteMonitoringSubscriptionRequest{DistributionId: &r.PhysicalID})
	if err != nil && !cfnGone(err) {
		return err
	}
	return nil
}
