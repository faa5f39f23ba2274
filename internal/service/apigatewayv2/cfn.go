package apigatewayv2

import (
	"encoding/json"
	"reflect"
	"strconv"

	apigatewayv2api "github.com/niwa-cloud/niwa/internal/api/apigatewayv2"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// CloudFormation's AWS::ApiGatewayV2 types. Their properties carry the
// API's member names (ApiId, RouteKey, IntegrationUri...), so a
// template's properties decode straight into the API's requests; Tags
// are a map, as in the API (not the [{Key, Value}] list other types
// take).

// cfnResources are API Gateway V2's CloudFormation resource types.
func (s *APIGatewayV2) cfnResources() map[string]kit.ResourceProvider {
	m := map[string]kit.ResourceProvider{
		// Ref is the API id; Fn::GetAtt ApiEndpoint, ApiId.
		"AWS::ApiGatewayV2::Api": {Create: s.cfnCreateApi, Update: s.cfnUpdateApi, Delete: s.cfnDeleteApi,
			Replace: []string{"ProtocolType"}},
		// Ref is the route id; Fn::GetAtt RouteId.
		"AWS::ApiGatewayV2::Route": {Create: s.cfnCreateRoute, Update: s.cfnUpdateRoute, Delete: s.cfnDeleteRoute,
			Replace: []string{"ApiId"}},
		// Ref is the integration id; Fn::GetAtt IntegrationId.
		"AWS::ApiGatewayV2::Integration": {Create: s.cfnCreateIntegration, Update: s.cfnUpdateIntegration, Delete: s.cfnDeleteIntegration,
			Replace: []string{"ApiId"}},
		// Ref is the stage name.
		"AWS::ApiGatewayV2::Stage": {Create: s.cfnCreateStage, Update: s.cfnUpdateStage, Delete: s.cfnDeleteStage,
			Replace: []string{"ApiId", "StageName"}},
		// Ref is the authorizer id; Fn::GetAtt AuthorizerId.
		"AWS::ApiGatewayV2::Authorizer": {Create: s.cfnCreateAuthorizer, Update: s.cfnUpdateAuthorizer, Delete: s.cfnDeleteAuthorizer,
			Replace: []string{"ApiId"}},
		// Ref is the deployment id; Fn::GetAtt DeploymentId.
		"AWS::ApiGatewayV2::Deployment": {Create: s.cfnCreateDeployment, Update: s.cfnUpdateDeployment, Delete: s.cfnDeleteDeployment,
			Replace: []string{"ApiId", "StageName"}},
	}
	for t, p := range s.cfnMoreResources() {
		m[t] = p
	}
	return m
}

// decodeProps fills a request from a resource's properties. Numbers and
// booleans CloudFormation passes as strings are read as numbers and
// booleans where the request's member is one.
func decodeProps(props map[string]any, into any) error {
	t := reflect.TypeOf(into).Elem()
	fixed := map[string]any{}
	for k, v := range props {
		fixed[k] = v
		str, ok := v.(string)
		f, found := t.FieldByName(k)
		if !ok || !found {
			continue
		}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch ft.Kind() {
		case reflect.Int32, reflect.Int64, reflect.Int, reflect.Float64:
			if n, err := strconv.ParseFloat(str, 64); err == nil {
				fixed[k] = n
			}
		case reflect.Bool:
			if b, err := strconv.ParseBool(str); err == nil {
				fixed[k] = b
			}
		}
	}
	b, err := json.Marshal(fixed)
	if err != nil {
		return badRequest("Invalid properties: %v", err)
	}
	if err := json.Unmarshal(b, into); err != nil {
		return badRequest("Invalid properties: %v", err)
	}
	return nil
}

func ignoreNotFound(err error) error {
	if isNotFound(err) {
		return nil
	}
	return err
}

func (s *APIGatewayV2) cfnCreateApi(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if kit.Has(r.Properties, "Body") || kit.Has(r.Properties, "BodyS3Location") {
		return kit.ResourceResult{}, badRequest("Body and BodyS3Location (OpenAPI import) are not supported by niwa yet: declare routes and integrations as resources")
	}
	var in apigatewayv2api.CreateApiRequest
	if err := decodeProps(r.Properties, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	if in.Name == nil {
		in.Name = ptr.To(r.LogicalID)
	}
	out, err := s.CreateApi(ctx, &in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *out.ApiId, Attributes: map[string]any{"ApiId": *out.ApiId, "ApiEndpoint": ptr.Deref(out.ApiEndpoint)}}, nil
}

func (s *APIGatewayV2) cfnUpdateApi(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in apigatewayv2api.UpdateApiRequest
	if err := decodeProps(r.Properties, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	in.ApiId = &r.PhysicalID
	out, err := s.UpdateApi(ctx, &in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"ApiId": r.PhysicalID, "ApiEndpoint": ptr.Deref(out.ApiEndpoint)}}, nil
}

func (s *APIGatewayV2) cfnDeleteApi(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteApi(ctx, &apigatewayv2api.DeleteApiRequest{ApiId: &r.PhysicalID})
	return ignoreNotFound(err)
}

func (s *APIGatewayV2) cfnCreateRoute(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in apigatewayv2api.CreateRouteRequest
	if err := decodeProps(r.Properties, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.CreateRoute(ctx, &in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *out.RouteId, Attributes: map[string]any{"RouteId": *out.RouteId}}, nil
}

func (s *APIGatewayV2) cfnUpdateRoute(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in apigatewayv2api.UpdateRouteRequest
	if err := decodeProps(r.Properties, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	in.RouteId = &r.PhysicalID
	if _, err := s.UpdateRoute(ctx, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"RouteId": r.PhysicalID}}, nil
}

func (s *APIGatewayV2) cfnDeleteRoute(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteRoute(ctx, &apigatewayv2api.DeleteRouteRequest{ApiId: ptr.To(r.Str("ApiId")), RouteId: &r.PhysicalID})
	return ignoreNotFound(err)
}

func (s *APIGatewayV2) cfnCreateIntegration(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in apigatewayv2api.CreateIntegrationRequest
	if err := decodeProps(r.Properties, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.CreateIntegration(ctx, &in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *out.IntegrationId, Attributes: map[string]any{"IntegrationId": *out.IntegrationId}}, nil
}

func (s *APIGatewayV2) cfnUpdateIntegration(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in apigatewayv2api.UpdateIntegrationRequest
	if err := decodeProps(r.Properties, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	in.IntegrationId = &r.PhysicalID
	if _, err := s.UpdateIntegration(ctx, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"IntegrationId": r.PhysicalID}}, nil
}

func (s *APIGatewayV2) cfnDeleteIntegration(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteIntegration(ctx, &apigatewayv2api.DeleteIntegrationRequest{ApiId: ptr.To(r.Str("ApiId")), IntegrationId: &r.PhysicalID})
	return ignoreNotFound(err)
}

func (s *APIGatewayV2) cfnCreateStage(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in apigatewayv2api.CreateStageRequest
	if err := decodeProps(r.Properties, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.CreateStage(ctx, &in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *out.StageName}, nil
}

func (s *APIGatewayV2) cfnUpdateStage(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in apigatewayv2api.UpdateStageRequest
	if err := decodeProps(r.Properties, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	in.StageName = &r.PhysicalID
	if _, err := s.UpdateStage(ctx, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID}, nil
}

func (s *APIGatewayV2) cfnDeleteStage(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteStage(ctx, &apigatewayv2api.DeleteStageRequest{ApiId: ptr.To(r.Str("ApiId")), StageName: &r.PhysicalID})
	return ignoreNotFound(err)
}

func (s *APIGatewayV2) cfnCreateAuthorizer(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in apigatewayv2api.CreateAuthorizerRequest
	if err := decodeProps(r.Properties, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.CreateAuthorizer(ctx, &in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *out.AuthorizerId, Attributes: map[string]any{"AuthorizerId": *out.AuthorizerId}}, nil
}

func (s *APIGatewayV2) cfnUpdateAuthorizer(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in apigatewayv2api.UpdateAuthorizerRequest
	if err := decodeProps(r.Properties, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	in.AuthorizerId = &r.PhysicalID
	if _, err := s.UpdateAuthorizer(ctx, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"AuthorizerId": r.PhysicalID}}, nil
}

func (s *APIGatewayV2) cfnDeleteAuthorizer(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteAuthorizer(ctx, &apigatewayv2api.DeleteAuthorizerRequest{ApiId: ptr.To(r.Str("ApiId")), AuthorizerId: &r.PhysicalID})
	return ignoreNotFound(err)
}

func (s *APIGatewayV2) cfnCreateDeployment(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in apigatewayv2api.CreateDeploymentRequest
	if err := decodeProps(r.Properties, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.CreateDeployment(ctx, &in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *out.DeploymentId, Attributes: map[string]any{"DeploymentId": *out.DeploymentId}}, nil
}

func (s *APIGatewayV2) cfnUpdateDeployment(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &apigatewayv2api.UpdateDeploymentRequest{ApiId: ptr.To(r.Str("ApiId")), DeploymentId: &r.PhysicalID}
	if kit.Has(r.Properties, "Description") {
		in.Description = ptr.To(r.Str("Description"))
	}
	if _, err := s.UpdateDeployment(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"DeploymentId": r.PhysicalID}}, nil
}

func (s *APIGatewayV2) cfnDeleteDeployment(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteDeployment(ctx, &apigatewayv2api.DeleteDeploymentRequest{ApiId: ptr.To(r.Str("ApiId")), DeploymentId: &r.PhysicalID})
	if apigatewayv2api.ErrBadRequestException.Is(err) {
		// A stage still serves it (it goes with the stack's stage, which
		// CloudFormation deletes first when both are in the template).
		return nil
	}
	return ignoreNotFound(err)
}
