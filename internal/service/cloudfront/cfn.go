package cloudfront

import (
	"sort"

	cfapi "github.com/niwa-cloud/niwa/internal/api/cloudfront"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnResources are CloudFront's CloudFormation resource types, made with
// the service's own handlers.
func (s *CloudFront) cfnResources() map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the distribution id; Fn::GetAtt DomainName, Id.
		"AWS::CloudFront::Distribution": {Create: s.cfnCreateDistribution, Update: s.cfnUpdateDistribution,
			Delete: s.cfnDeleteDistribution, Tags: true},
		"AWS::CloudFront::CachePolicy": {Read: s.cfnReadCachePolicy, Create: s.cfnCreateCachePolicy, Update: s.cfnUpdateCachePolicy,
			Delete: s.cfnDeleteCachePolicy},
		"AWS::CloudFront::OriginRequestPolicy": {Create: s.cfnCreateOriginRequestPolicy, Update: s.cfnUpdateOriginRequestPolicy,
			Delete: s.cfnDeleteOriginRequestPolicy},
		"AWS::CloudFront::ResponseHeadersPolicy": {Create: s.cfnCreateResponseHeadersPolicy, Update: s.cfnUpdateResponseHeadersPolicy,
			Delete: s.cfnDeleteResponseHeadersPolicy},
		"AWS::CloudFront::OriginAccessControl": {Read: s.cfnReadOriginAccessControl, Create: s.cfnCreateOriginAccessControl, Update: s.cfnUpdateOriginAccessControl,
			Delete: s.cfnDeleteOriginAccessControl},
		"AWS::CloudFront::CloudFrontOriginAccessIdentity": {Create: s.cfnCreateOAI, Update: s.cfnUpdateOAI, Delete: s.cfnDeleteOAI},
		"AWS::CloudFront::PublicKey":                      {Create: s.cfnCreatePublicKey, Update: s.cfnUpdatePublicKey, Delete: s.cfnDeletePublicKey},
		"AWS::CloudFront::KeyGroup":                       {Create: s.cfnCreateKeyGroup, Update: s.cfnUpdateKeyGroup, Delete: s.cfnDeleteKeyGroup},
		"AWS::CloudFront::MonitoringSubscription":         {Create: s.cfnCreateMonitoringSubscription, Delete: s.cfnDeleteMonitoringSubscription},
	}
}

// cfnWrapped are the DistributionConfig lists the API carries as
// {Quantity, Items} (the template gives plain lists).
func cfnWrapped(key string) bool {
	switch key {
	case "Origins", "Aliases", "CacheBehaviors", "CustomErrorResponses", "Headers", "QueryStringCacheKeys",
		"WhitelistedNames", "LambdaFunctionAssociations", "FunctionAssociations", "TrustedKeyGroups",
		"OriginSSLProtocols", "OriginGroups", "Members", "StatusCodes", "CustomHeaders", "Locations", "Items":
		return true
	}
	return false
}

func wrapList(l []any, conv func(any) any) map[string]any {
	items := make([]any, len(l))
	for i := range l {
		items[i] = conv(l[i])
	}
	return map[string]any{"Quantity": len(items), "Items": items}
}

// cfnDistributionConfig turns the template's DistributionConfig into the
// API's shape: lists wrapped, CachedMethods inside AllowedMethods,
// IPV6Enabled as IsIPV6Enabled, OriginCustomHeaders as CustomHeaders.
func cfnDistributionConfig(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		if l, ok := v.([]any); ok {
			out := make([]any, len(l))
			for i := range l {
				out[i] = cfnDistributionConfig(l[i])
			}
			return out
		}
		return v
	}
	out := map[string]any{}
	for k, e := range m {
		switch k {
		case "IPV6Enabled":
			out["IsIPV6Enabled"] = e
		case "OriginCustomHeaders":
			if l, ok := e.([]any); ok {
				out["CustomHeaders"] = wrapList(l, cfnDistributionConfig)
			}
		case "AllowedMethods":
			if l, ok := e.([]any); ok {
				am := wrapList(l, cfnDistributionConfig)
				if cm, ok := m["CachedMethods"].([]any); ok {
					am["CachedMethods"] = wrapList(cm, cfnDistributionConfig)
				}
				out["AllowedMethods"] = am
			}
		case "CachedMethods":
		case "TrustedSigners":
			if l, ok := e.([]any); ok {
				ts := wrapList(l, cfnDistributionConfig)
				ts["Enabled"] = len(l) > 0
				out[k] = ts
			}
		case "Logging":
			lg, _ := cfnDistributionConfig(e).(map[string]any)
			if lg != nil {
				lg["Enabled"] = true
			}
			out[k] = lg
		case "GeoRestriction":
			g, _ := e.(map[string]any)
			gr := map[string]any{"RestrictionType": g["RestrictionType"]}
			l, _ := g["Locations"].([]any)
			gr["Quantity"], gr["Items"] = len(l), l
			out[k] = gr
		default:
			if l, ok := e.([]any); ok && cfnWrapped(k) {
				out[k] = wrapList(l, cfnDistributionConfig)
				continue
			}
			out[k] = cfnDistributionConfig(e)
		}
	}
	return out
}

func cfnConfig(r kit.ResourceRequest) (*cfapi.DistributionConfig, error) {
	raw := kit.PropMap(r.Properties, "DistributionConfig")
	if raw == nil {
		return nil, awserr.ValidationError.New("Properties validation failed for resource %s with message: #: required key [DistributionConfig] not found", r.LogicalID)
	}
	conv := cfnDistributionConfig(raw).(map[string]any)
	cfg := &cfapi.DistributionConfig{}
	if err := kit.DecodeProp(map[string]any{"v": conv}, "v", cfg); err != nil {
		return nil, awserr.ValidationError.New("Properties validation failed for resource %s with message: #/DistributionConfig: %v", r.LogicalID, err)
	}
	if cfg.Comment == nil {
		empty := ""
		cfg.Comment = &empty
	}
	return cfg, nil
}

func (s *CloudFront) cfnCreateDistribution(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	cfg, err := cfnConfig(r)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	ref := awsid.UUID()
	cfg.CallerReference = &ref
	in := &cfapi.CreateDistributionWithTagsRequest{DistributionConfigWithTags: &cfapi.DistributionConfigWithTags{DistributionConfig: cfg}}
	if tags := kit.PropTags(r.Properties); len(tags) > 0 {
		t := &cfapi.Tags{}
		for k, v := range tags {
			k, v := k, v
			t.Items = append(t.Items, cfapi.Tag{Key: &k, Value: &v})
		}
		in.DistributionConfigWithTags.Tags = t
	}
	out, err := s.CreateDistributionWithTags20200531(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	d := out.Distribution
	return kit.ResourceResult{PhysicalID: *d.Id, Attributes: map[string]any{"Id": *d.Id, "DomainName": *d.DomainName}}, nil
}

func (s *CloudFront) cfnUpdateDistribution(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	cfg, err := cfnConfig(r)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	cur, err := s.GetDistributionConfig20200531(ctx, &cfapi.GetDistributionConfigRequest{Id: &r.PhysicalID})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	cfg.CallerReference = cur.DistributionConfig.CallerReference
	out, err := s.UpdateDistribution20200531(ctx, &cfapi.UpdateDistributionRequest{Id: &r.PhysicalID, IfMatch: cur.ETag, DistributionConfig: cfg})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	d := out.Distribution
	if err := s.cfnRetag(ctx, *d.ARN, r); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *d.Id, Attributes: map[string]any{"Id": *d.Id, "DomainName": *d.DomainName}}, nil
}

// cfnDeleteDistribution disables the distribution, waits (on the clock)
// for the change to deploy, and deletes it, as CloudFormation does.
func (s *CloudFront) cfnDeleteDistribution(ctx *request.Context, r kit.ResourceRequest) error {
	cur, err := s.GetDistributionConfig20200531(ctx, &cfapi.GetDistributionConfigRequest{Id: &r.PhysicalID})
	if cfapi.ErrNoSuchDistribution.Is(err) {
		return nil
	}
	if err != nil {
		return err
	}
	etag := cur.ETag
	if cur.DistributionConfig.Enabled == nil || *cur.DistributionConfig.Enabled {
		off := false
		cur.DistributionConfig.Enabled = &off
		out, err := s.UpdateDistribution20200531(ctx, &cfapi.UpdateDistributionRequest{Id: &r.PhysicalID, IfMatch: etag,
			DistributionConfig: cur.DistributionConfig})
		if err != nil {
			return err
		}
		etag = out.ETag
	}
	d, err := s.getDist(ctx, r.PhysicalID)
	if err != nil {
		return err
	}
	if wait := d.DeployedAt.Sub(ctx.Now()); wait > 0 {
		select {
		case <-ctx.Clock.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	_, err = s.DeleteDistribution20200531(ctx, &cfapi.DeleteDistributionRequest{Id: &r.PhysicalID, IfMatch: etag})
	if cfapi.ErrNoSuchDistribution.Is(err) {
		return nil
	}
	return err
}

// cfnRetag applies the Tags property's changes to a distribution.
func (s *CloudFront) cfnRetag(ctx *request.Context, arn string, r kit.ResourceRequest) error {
	old, cur := kit.PropTags(r.OldProperties), kit.PropTags(r.Properties)
	var gone []string
	for k := range old {
		if _, ok := cur[k]; !ok {
			gone = append(gone, k)
		}
	}
	set := &cfapi.Tags{}
	for k, v := range cur {
		if ov, ok := old[k]; !ok || ov != v {
			set.Items = append(set.Items, cfapi.Tag{Key: &k, Value: &v})
		}
	}
	if len(gone) > 0 {
		sort.Strings(gone)
		if _, err := s.UntagResource20200531(ctx, &cfapi.UntagResourceRequest{Resource: &arn, TagKeys: &cfapi.TagKeys{Items: gone}}); err != nil {
			return err
		}
	}
	if len(set.Items) > 0 {
		if _, err := s.TagResource20200531(ctx, &cfapi.TagResourceRequest{Resource: &arn, Tags: set}); err != nil {
			return err
		}
	}
	return nil
}
