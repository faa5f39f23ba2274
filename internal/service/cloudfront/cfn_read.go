package cloudfront

import (
	cfapi "github.com/niwa-cloud/niwa/internal/api/cloudfront"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Drift reads: a type's <Type>Config as the template gives it (plain
// lists for {Quantity, Items}), only the members the template sets.

func cfnReadConfig(r kit.ResourceRequest, prop string, cfg any, err error) (map[string]any, error) {
	if cfnGone(err) {
		return nil, kit.ErrResourceGone
	}
	if err != nil {
		return nil, err
	}
	live := kit.ShapeProps(map[string]any{prop: cfg}, prop)
	return map[string]any{prop: kit.Project(live[prop], r.Properties[prop])}, nil
}

func (s *CloudFront) cfnReadCachePolicy(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	out, err := s.GetCachePolicy20200531(ctx, &cfapi.GetCachePolicyRequest{Id: &r.PhysicalID})
	var cfg *cfapi.CachePolicyConfig
	if err == nil && out.CachePolicy != nil {
		cfg = out.CachePolicy.CachePolicyConfig
	}
	return cfnReadConfig(r, "CachePolicyConfig", cfg, err)
}

func (s *CloudFront) cfnReadOriginAccessControl(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	out, err := s.GetOriginAccessControl20200531(ctx, &cfapi.GetOriginAccessControlRequest{Id: &r.PhysicalID})
	var cfg *cfapi.OriginAccessControlConfig
	if err == nil && out.OriginAccessControl != nil {
		cfg = out.OriginAccessControl.OriginAccessControlConfig
	}
	return cfnReadConfig(r, "OriginAccessControlConfig", cfg, err)
}
