package apigatewayv2

import (
	apigatewayv2api "github.com/niwa-cloud/niwa/internal/api/apigatewayv2"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnMoreResources are the API Gateway V2 types beside an API's core:
// custom domains and their mappings, models, route and integration
// responses.
func (s *APIGatewayV2) cfnMoreResources() map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the domain name; Fn::GetAtt DomainNameArn,
		// RegionalDomainName, RegionalHostedZoneId.
		"AWS::ApiGatewayV2::DomainName": {Create: s.cfnCreateDomainName, Update: s.cfnUpdateDomainName, Delete: s.cfnDeleteDomainName,
			Replace: []string{"DomainName"}},
		// Ref is the mapping's id; Fn::GetAtt ApiMappingId.
		"AWS::ApiGatewayV2::ApiMapping": {Create: s.cfnCreateApiMapping, Update: s.cfnUpdateApiMapping, Delete: s.cfnDeleteApiMapping,
			Replace: []string{"DomainName"}},
		// Ref is the model's id; Fn::GetAtt ModelId.
		"AWS::ApiGatewayV2::Model": {Create: s.cfnCreateModel, Update: s.cfnUpdateModel, Delete: s.cfnDeleteModel,
			Replace: []string{"ApiId"}},
		// Ref is the route response's id; Fn::GetAtt RouteResponseId.
		"AWS::ApiGatewayV2::RouteResponse": {Create: s.cfnCreateRouteResponse, Update: s.cfnUpdateRouteResponse, Delete: s.cfnDeleteRouteResponse,
			Replace: []string{"ApiId", "RouteId"}},
		// Ref is the integration response's id; Fn::GetAtt IntegrationResponseId.
		"AWS::ApiGatewayV2::IntegrationResponse": {Create: s.cfnCreateIntegrationResponse, Update: s.cfnUpdateIntegrationResponse,
			Delete: s.cfnDeleteIntegrationResponse, Replace: []string{"ApiId", "IntegrationId"}},
	}
}

func (s *APIGatewayV2) domainNameResult(ctx *request.Context, name string, cfgs []apigatewayv2api.DomainNameConfiguration) kit.ResourceResult {
	attrs := map[string]any{"DomainNameArn": "arn:aws:apigateway:" + ctx.Region + "::/domainnames/" + name}
	if len(cfgs) > 0 {
		attrs["RegionalDomainName"] = ptr.Deref(cfgs[0].ApiGatewayDomainName)
		attrs["RegionalHostedZoneId"] = ptr.Deref(cfgs[0].HostedZoneId)
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: attrs}
}

func (s *APIGatewayV2) cfnCreateDomainName(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in apigatewayv2api.CreateDomainNameRequest
	if err := decodeProps(r.Properties, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.CreateDomainName(ctx, &in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return s.domainNameResult(ctx, *out.DomainName, out.DomainNameConfigurations), nil
}

func (s *APIGatewayV2) cfnUpdateDomainName(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in apigatewayv2api.UpdateDomainNameRequest
	if err := decodeProps(r.Properties, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	in.DomainName = &r.PhysicalID
	out, err := s.UpdateDomainName(ctx, &in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if tags := kit.PropMap(r.Properties, "Tags"); tags != nil || kit.Has(r.OldProperties, "Tags") {
		if err := s.cfnRetag(ctx, "arn:aws:apigateway:"+ctx.Region+"::/domainnames/"+r.PhysicalID, r); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return s.domainNameResult(ctx, r.PhysicalID, out.DomainNameConfigurations), nil
}

// cfnRetag sets a resource's tags to the template's (a map, as the V2
// types take them).
func (s *APIGatewayV2) cfnRetag(ctx *request.Context, arn string, r kit.ResourceRequest) error {
	newTags, oldTags := kit.PropMap(r.Properties, "Tags"), kit.PropMap(r.OldProperties, "Tags")
	var gone []string
	for k := range oldTags {
		if _, ok := newTags[k]; !ok {
			gone = append(gone, k)
		}
	}
	if len(gone) > 0 {
		if _, err := s.UntagResource(ctx, &apigatewayv2api.UntagResourceRequest{ResourceArn: &arn, TagKeys: gone}); err != nil {
			return err
		}
	}
	if len(newTags) > 0 {
		tags := map[string]string{}
		for k := range newTags {
			tags[k] = kit.PropStr(newTags, k)
		}
		if _, err := s.TagResource(ctx, &apigatewayv2api.TagResourceRequest{ResourceArn: &arn, Tags: tags}); err != nil {
			return err
		}
	}
	return nil
}

func (s *APIGatewayV2) cfnDeleteDomainName(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteDomainName(ctx, &apigatewayv2api.DeleteDomainNameRequest{DomainName: &r.PhysicalID})
	return ignoreNotFound(err)
}

func (s *APIGatewayV2) cfnCreateApiMapping(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in apigatewayv2api.CreateApiMappingRequest
	if err := decodeProps(r.Properties, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.CreateApiMapping(ctx, &in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *out.ApiMappingId, Attributes: map[string]any{"ApiMappingId": *out.ApiMappingId}}, nil
}

func (s *APIGatewayV2) cfnUpdateApiMapping(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in apigatewayv2api.UpdateApiMappingRequest
	if err := decodeProps(r.Properties, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	in.ApiMappingId = &r.PhysicalID
	if in.ApiMappingKey == nil {
		// A key taken out of the template maps the domain's root again.
		in.ApiMappingKey = ptr.To("")
	}
	if _, err := s.UpdateApiMapping(ctx, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"ApiMappingId": r.PhysicalID}}, nil
}

func (s *APIGatewayV2) cfnDeleteApiMapping(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteApiMapping(ctx, &apigatewayv2api.DeleteApiMappingRequest{DomainName: ptr.To(r.Str("DomainName")), ApiMappingId: &r.PhysicalID})
	return ignoreNotFound(err)
}

// modelProps are a model's properties with its Schema (JSON in a
// template) as the text the API takes.
func modelProps(props map[string]any) map[string]any {
	out := make(map[string]any, len(props))
	for k, v := range props {
		out[k] = v
	}
	if kit.Has(props, "Schema") {
		out["Schema"] = kit.PropJSON(props, "Schema")
	}
	return out
}

func (s *APIGatewayV2) cfnCreateModel(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in apigatewayv2api.CreateModelRequest
	if err := decodeProps(modelProps(r.Properties), &in); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.CreateModel(ctx, &in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *out.ModelId, Attributes: map[string]any{"ModelId": *out.ModelId}}, nil
}

func (s *APIGatewayV2) cfnUpdateModel(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in apigatewayv2api.UpdateModelRequest
	if err := decodeProps(modelProps(r.Properties), &in); err != nil {
		return kit.ResourceResult{}, err
	}
	in.ModelId = &r.PhysicalID
	if _, err := s.UpdateModel(ctx, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"ModelId": r.PhysicalID}}, nil
}

func (s *APIGatewayV2) cfnDeleteModel(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteModel(ctx, &apigatewayv2api.DeleteModelRequest{ApiId: ptr.To(r.Str("ApiId")), ModelId: &r.PhysicalID})
	return ignoreNotFound(err)
}

func (s *APIGatewayV2) cfnCreateRouteResponse(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in apigatewayv2api.CreateRouteResponseRequest
	if err := decodeProps(r.Properties, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.CreateRouteResponse(ctx, &in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *out.RouteResponseId, Attributes: map[string]any{"RouteResponseId": *out.RouteResponseId}}, nil
}

func (s *APIGatewayV2) cfnUpdateRouteResponse(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in apigatewayv2api.UpdateRouteResponseRequest
	if err := decodeProps(r.Properties, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	in.RouteResponseId = &r.PhysicalID
	if _, err := s.UpdateRouteResponse(ctx, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"RouteResponseId": r.PhysicalID}}, nil
}

func (s *APIGatewayV2) cfnDeleteRouteResponse(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteRouteResponse(ctx, &apigatewayv2api.DeleteRouteResponseRequest{ApiId: ptr.To(r.Str("ApiId")),
		RouteId: ptr.To(r.Str("RouteId")), RouteResponseId: &r.PhysicalID})
	return ignoreNotFound(err)
}

func (s *APIGatewayV2) cfnCreateIntegrationResponse(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in apigatewayv2api.CreateIntegrationResponseRequest
	if err := decodeProps(r.Properties, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.CreateIntegrationResponse(ctx, &in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *out.IntegrationResponseId, Attributes: map[string]any{"IntegrationResponseId": *out.IntegrationResponseId}}, nil
}

func (s *APIGatewayV2) cfnUpdateIntegrationResponse(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in apigatewayv2api.UpdateIntegrationResponseRequest
	if err := decodeProps(r.Properties, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	in.IntegrationResponseId = &r.PhysicalID
	if _, err := s.UpdateIntegrationResponse(ctx, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"IntegrationResponseId": r.PhysicalID}}, nil
}

func (s *APIGatewayV2) cfnDeleteIntegrationResponse(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteIntegrationResponse(ctx, &apigatewayv2api.DeleteIntegrationResponseRequest{ApiId: ptr.To(r.Str("ApiId")),
		IntegrationId: ptr.To(r.Str("IntegrationId")), IntegrationResponseId: &r.PhysicalID})
	return ignoreNotFound(err)
}
