package apigateway

import (
	"strings"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnResources are API Gateway's CloudFormation resource types, made
// with the service's own handlers. Ref and Fn::GetAtt answer what AWS's
// resource reference documents.
func (s *APIGateway) cfnResources() map[string]kit.ResourceProvider {
	m := map[string]kit.ResourceProvider{
		// Ref is the API id; Fn::GetAtt RestApiId, RootResourceId.
		"AWS::ApiGateway::RestApi": {Create: s.cfnCreateRestAPI, Update: s.cfnUpdateRestAPI, Delete: s.cfnDeleteRestAPI, Tags: true},
		// Ref is the resource id; Fn::GetAtt ResourceId.
		"AWS::ApiGateway::Resource": {Create: s.cfnCreateResource, Delete: s.cfnDeleteResource,
			Replace: []string{"ParentId", "PathPart", "RestApiId"}},
		// Ref is a generated id; the method is made again on update.
		"AWS::ApiGateway::Method": {Create: s.cfnCreateMethod, Update: s.cfnUpdateMethod, Delete: s.cfnDeleteMethod,
			Replace: []string{"RestApiId", "ResourceId", "HttpMethod"}},
		// Ref is the deployment id; Fn::GetAtt DeploymentId.
		"AWS::ApiGateway::Deployment": {Create: s.cfnCreateDeployment, Delete: s.cfnDeleteDeployment},
		// Ref is the stage name.
		"AWS::ApiGateway::Stage": {Create: s.cfnCreateStage, Update: s.cfnUpdateStage, Delete: s.cfnDeleteStage,
			Replace: []string{"RestApiId", "StageName"}, Tags: true},
		// Ref is the key id; Fn::GetAtt APIKeyId.
		"AWS::ApiGateway::ApiKey": {Create: s.cfnCreateAPIKey, Update: s.cfnUpdateAPIKey, Delete: s.cfnDeleteAPIKey, Tags: true,
			Replace: []string{"GenerateDistinctId", "Name", "Value"}},
		// Ref is the plan id; Fn::GetAtt Id.
		"AWS::ApiGateway::UsagePlan": {Create: s.cfnCreateUsagePlan, Update: s.cfnUpdateUsagePlan, Delete: s.cfnDeleteUsagePlan, Tags: true},
		// Ref is the usage plan key id (the key's id); Fn::GetAtt Id.
		"AWS::ApiGateway::UsagePlanKey": {Create: s.cfnCreateUsagePlanKey, Delete: s.cfnDeleteUsagePlanKey,
			Replace: []string{"KeyId", "KeyType", "UsagePlanId"}},
		// Ref is the authorizer id; Fn::GetAtt AuthorizerId.
		"AWS::ApiGateway::Authorizer": {Create: s.cfnCreateAuthorizer, Update: s.cfnUpdateAuthorizer, Delete: s.cfnDeleteAuthorizer,
			Replace: []string{"RestApiId"}},
	}
	for t, p := range s.cfnMoreResources() {
		m[t] = p
	}
	return m
}

func cfnStr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// gone reports an error that means the thing to delete is not there.
func cfnGone(err error) bool {
	return err == nil || apigatewayapi.ErrNotFoundException.Is(err)
}

func cfnPatch(op, path, value string) apigatewayapi.PatchOperation {
	return apigatewayapi.PatchOperation{Op: &op, Path: &path, Value: &value}
}

func (s *APIGateway) cfnCreateRestAPI(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var api *apigatewayapi.RestApi
	var err error
	if body := kit.PropJSON(r.Properties, "Body"); body != "" {
		api, err = s.ImportRestApi(ctx, &apigatewayapi.ImportRestApiRequest{Body: []byte(body),
			FailOnWarnings: cfnBool(r.Properties, "FailOnWarnings"), Parameters: cfnStringMap(r.Properties, "Parameters")})
		if err != nil {
			return kit.ResourceResult{}, err
		}
		if err := s.cfnPatchRestAPI(ctx, *api.Id, r.Properties, nil); err != nil {
			return kit.ResourceResult{}, err
		}
	} else {
		if r.Str("Name") == "" {
			return kit.ResourceResult{}, apigatewayapi.ErrBadRequestException.New("Invalid API name specified")
		}
		in := &apigatewayapi.CreateRestApiRequest{Name: cfnStr(r.Str("Name")), Description: cfnStr(r.Str("Description")),
			BinaryMediaTypes: kit.PropList(r.Properties, "BinaryMediaTypes"), ApiKeySource: cfnStr(r.Str("ApiKeySourceType")),
			Policy: cfnStr(kit.PropJSON(r.Properties, "Policy")), CloneFrom: cfnStr(r.Str("CloneFrom")),
			DisableExecuteApiEndpoint: cfnBool(r.Properties, "DisableExecuteApiEndpoint")}
		if ec := kit.PropMap(r.Properties, "EndpointConfiguration"); ec != nil {
			in.EndpointConfiguration = &apigatewayapi.EndpointConfiguration{Types: kit.PropList(ec, "Types"),
				VpcEndpointIds: kit.PropList(ec, "VpcEndpointIds")}
		}
		if kit.Has(r.Properties, "MinimumCompressionSize") {
			var n int32
			if err := kit.DecodeProp(r.Properties, "MinimumCompressionSize", &n); err == nil {
				in.MinimumCompressionSize = &n
			}
		}
		if tags := kit.PropTags(r.Properties); len(tags) > 0 {
			in.Tags = tags
		}
		if api, err = s.CreateRestApi(ctx, in); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return restAPIResult(api), nil
}

func restAPIResult(api *apigatewayapi.RestApi) kit.ResourceResult {
	root := ""
	if api.RootResourceId != nil {
		root = *api.RootResourceId
	}
	return kit.ResourceResult{PhysicalID: *api.Id, Attributes: map[string]any{"RestApiId": *api.Id, "RootResourceId": root}}
}

// cfnPatchRestAPI applies the name and description the template gives
// over what an imported body said.
func (s *APIGateway) cfnPatchRestAPI(ctx *request.Context, id string, props, old map[string]any) error {
	var ops []apigatewayapi.PatchOperation
	for prop, path := range map[string]string{"Name": "/name", "Description": "/description"} {
		if v := kit.PropStr(props, prop); v != "" && (old == nil || v != kit.PropStr(old, prop)) {
			ops = append(ops, cfnPatch("replace", path, v))
		}
	}
	if len(ops) == 0 {
		return nil
	}
	_, err := s.UpdateRestApi(ctx, &apigatewayapi.UpdateRestApiRequest{RestApiId: &id, PatchOperations: ops})
	return err
}

func (s *APIGateway) cfnUpdateRestAPI(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if body := kit.PropJSON(r.Properties, "Body"); body != "" && body != kit.PropJSON(r.OldProperties, "Body") {
		mode := r.Str("Mode")
		if mode == "" {
			mode = "overwrite"
		}
		if _, err := s.PutRestApi(ctx, &apigatewayapi.PutRestApiRequest{RestApiId: &r.PhysicalID, Mode: &mode,
			Body: []byte(body), FailOnWarnings: cfnBool(r.Properties, "FailOnWarnings")}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if err := s.cfnPatchRestAPI(ctx, r.PhysicalID, r.Properties, r.OldProperties); err != nil {
		return kit.ResourceResult{}, err
	}
	api, err := s.GetRestApi(ctx, &apigatewayapi.GetRestApiRequest{RestApiId: &r.PhysicalID})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return restAPIResult(api), nil
}

func (s *APIGateway) cfnDeleteRestAPI(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteRestApi(ctx, &apigatewayapi.DeleteRestApiRequest{RestApiId: &r.PhysicalID})
	if cfnGone(err) {
		return nil
	}
	return err
}

func (s *APIGateway) cfnCreateResource(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	res, err := s.CreateResource(ctx, &apigatewayapi.CreateResourceRequest{RestApiId: cfnStr(r.Str("RestApiId")),
		ParentId: cfnStr(r.Str("ParentId")), PathPart: cfnStr(r.Str("PathPart"))})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *res.Id, Attributes: map[string]any{"ResourceId": *res.Id}}, nil
}

func (s *APIGateway) cfnDeleteResource(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteResource(ctx, &apigatewayapi.DeleteResourceRequest{RestApiId: cfnStr(r.Str("RestApiId")), ResourceId: &r.PhysicalID})
	if cfnGone(err) {
		return nil
	}
	return err
}

func cfnBool(props map[string]any, name string) *bool {
	if !kit.Has(props, name) {
		return nil
	}
	b := kit.PropBool(props, name)
	return &b
}

func cfnStringMap(props map[string]any, name string) map[string]string {
	m := kit.PropMap(props, name)
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k := range m {
		out[k] = kit.PropStr(m, k)
	}
	return out
}

func cfnBoolMap(props map[string]any, name string) map[string]bool {
	m := kit.PropMap(props, name)
	if m == nil {
		return nil
	}
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = kit.PropBool(m, k)
	}
	return out
}

func (s *APIGateway) cfnCreateMethod(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	p := r.Properties
	api, res, verb := cfnStr(r.Str("RestApiId")), cfnStr(r.Str("ResourceId")), cfnStr(strings.ToUpper(r.Str("HttpMethod")))
	auth := r.Str("AuthorizationType")
	if auth == "" {
		auth = "NONE"
	}
	if _, err := s.PutMethod(ctx, &apigatewayapi.PutMethodRequest{RestApiId: api, ResourceId: res, HttpMethod: verb,
		AuthorizationType: &auth, AuthorizerId: cfnStr(r.Str("AuthorizerId")), ApiKeyRequired: cfnBool(p, "ApiKeyRequired"),
		OperationName: cfnStr(r.Str("OperationName")), RequestParameters: cfnBoolMap(p, "RequestParameters"),
		RequestModels: cfnStringMap(p, "RequestModels"), RequestValidatorId: cfnStr(r.Str("RequestValidatorId")),
		AuthorizationScopes: kit.PropList(p, "AuthorizationScopes")}); err != nil {
		return kit.ResourceResult{}, err
	}
	for _, l := range cfnMaps(p, "MethodResponses") {
		if _, err := s.PutMethodResponse(ctx, &apigatewayapi.PutMethodResponseRequest{RestApiId: api, ResourceId: res,
			HttpMethod: verb, StatusCode: cfnStr(kit.PropStr(l, "StatusCode")), ResponseParameters: cfnBoolMap(l, "ResponseParameters"),
			ResponseModels: cfnStringMap(l, "ResponseModels")}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if in := kit.PropMap(p, "Integration"); in != nil {
		req := &apigatewayapi.PutIntegrationRequest{RestApiId: api, ResourceId: res, HttpMethod: verb,
			Type: cfnStr(kit.PropStr(in, "Type")), IntegrationHttpMethod: cfnStr(kit.PropStr(in, "IntegrationHttpMethod")),
			Uri: cfnStr(kit.PropStr(in, "Uri")), ConnectionType: cfnStr(kit.PropStr(in, "ConnectionType")),
			ConnectionId: cfnStr(kit.PropStr(in, "ConnectionId")), Credentials: cfnStr(kit.PropStr(in, "Credentials")),
			RequestParameters: cfnStringMap(in, "RequestParameters"), RequestTemplates: cfnStringMap(in, "RequestTemplates"),
			PassthroughBehavior: cfnStr(kit.PropStr(in, "PassthroughBehavior")), CacheNamespace: cfnStr(kit.PropStr(in, "CacheNamespace")),
			CacheKeyParameters: kit.PropList(in, "CacheKeyParameters"), ContentHandling: cfnStr(kit.PropStr(in, "ContentHandling"))}
		if kit.Has(in, "TimeoutInMillis") {
			var n int32
			if err := kit.DecodeProp(in, "TimeoutInMillis", &n); err == nil {
				req.TimeoutInMillis = &n
			}
		}
		if _, err := s.PutIntegration(ctx, req); err != nil {
			return kit.ResourceResult{}, err
		}
		for _, l := range cfnMaps(in, "IntegrationResponses") {
			if _, err := s.PutIntegrationResponse(ctx, &apigatewayapi.PutIntegrationResponseRequest{RestApiId: api,
				ResourceId: res, HttpMethod: verb, StatusCode: cfnStr(kit.PropStr(l, "StatusCode")),
				SelectionPattern: cfnStr(kit.PropStr(l, "SelectionPattern")), ResponseParameters: cfnStringMap(l, "ResponseParameters"),
				ResponseTemplates: cfnStringMap(l, "ResponseTemplates"), ContentHandling: cfnStr(kit.PropStr(l, "ContentHandling"))}); err != nil {
				return kit.ResourceResult{}, err
			}
		}
	}
	id := r.PhysicalID
	if id == "" {
		id = kit.PhysicalName(r, 128)
	}
	return kit.ResourceResult{PhysicalID: id}, nil
}

func cfnMaps(props map[string]any, name string) []map[string]any {
	l, _ := props[name].([]any)
	var out []map[string]any
	for _, x := range l {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func (s *APIGateway) cfnUpdateMethod(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if err := s.cfnDeleteMethod(ctx, kit.ResourceRequest{Properties: r.OldProperties}); err != nil {
		return kit.ResourceResult{}, err
	}
	return s.cfnCreateMethod(ctx, r)
}

func (s *APIGateway) cfnDeleteMethod(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteMethod(ctx, &apigatewayapi.DeleteMethodRequest{RestApiId: cfnStr(r.Str("RestApiId")),
		ResourceId: cfnStr(r.Str("ResourceId")), HttpMethod: cfnStr(strings.ToUpper(r.Str("HttpMethod")))})
	if cfnGone(err) {
		return nil
	}
	return err
}

func (s *APIGateway) cfnCreateDeployment(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &apigatewayapi.CreateDeploymentRequest{RestApiId: cfnStr(r.Str("RestApiId")), StageName: cfnStr(r.Str("StageName")),
		Description: cfnStr(r.Str("Description"))}
	if sd := kit.PropMap(r.Properties, "StageDescription"); sd != nil {
		in.StageDescription = cfnStr(kit.PropStr(sd, "Description"))
		in.Variables = cfnStringMap(sd, "Variables")
		in.TracingEnabled = cfnBool(sd, "TracingEnabled")
	}
	d, err := s.CreateDeployment(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *d.Id, Attributes: map[string]any{"DeploymentId": *d.Id}}, nil
}

// cfnDeleteDeployment deletes the stage the deployment made (StageName)
// first, as a deployment a stage points at cannot be deleted.
func (s *APIGateway) cfnDeleteDeployment(ctx *request.Context, r kit.ResourceRequest) error {
	api := cfnStr(r.Str("RestApiId"))
	if st := r.Str("StageName"); st != "" {
		if cur, err := s.GetStage(ctx, &apigatewayapi.GetStageRequest{RestApiId: api, StageName: &st}); err == nil &&
			cur.DeploymentId != nil && *cur.DeploymentId == r.PhysicalID {
			if _, err := s.DeleteStage(ctx, &apigatewayapi.DeleteStageRequest{RestApiId: api, StageName: &st}); !cfnGone(err) {
				return err
			}
		}
	}
	_, err := s.DeleteDeployment(ctx, &apigatewayapi.DeleteDeploymentRequest{RestApiId: api, DeploymentId: &r.PhysicalID})
	if cfnGone(err) {
		return nil
	}
	return err
}

func (s *APIGateway) cfnCreateStage(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	p := r.Properties
	name := r.Str("StageName")
	if name == "" {
		return kit.ResourceResult{}, apigatewayapi.ErrBadRequestException.New("Stage name must be specified")
	}
	in := &apigatewayapi.CreateStageRequest{RestApiId: cfnStr(r.Str("RestApiId")), StageName: &name,
		DeploymentId: cfnStr(r.Str("DeploymentId")), Description: cfnStr(r.Str("Description")),
		CacheClusterEnabled: cfnBool(p, "CacheClusterEnabled"), CacheClusterSize: cfnStr(r.Str("CacheClusterSize")),
		Variables: cfnStringMap(p, "Variables"), TracingEnabled: cfnBool(p, "TracingEnabled"),
		DocumentationVersion: cfnStr(r.Str("DocumentationVersion"))}
	if tags := kit.PropTags(p); len(tags) > 0 {
		in.Tags = tags
	}
	if _, err := s.CreateStage(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name}, nil
}

func (s *APIGateway) cfnUpdateStage(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var ops []apigatewayapi.PatchOperation
	if d := r.Str("DeploymentId"); d != kit.PropStr(r.OldProperties, "DeploymentId") && d != "" {
		ops = append(ops, cfnPatch("replace", "/deploymentId", d))
	}
	if d := r.Str("Description"); d != kit.PropStr(r.OldProperties, "Description") {
		ops = append(ops, cfnPatch("replace", "/description", d))
	}
	nv, ov := cfnStringMap(r.Properties, "Variables"), cfnStringMap(r.OldProperties, "Variables")
	for k, v := range nv {
		if ov[k] != v {
			ops = append(ops, cfnPatch("replace", "/variables/"+k, v))
		}
	}
	for k := range ov {
		if _, ok := nv[k]; !ok {
			op, path := "remove", "/variables/"+k
			ops = append(ops, apigatewayapi.PatchOperation{Op: &op, Path: &path})
		}
	}
	if len(ops) > 0 {
		if _, err := s.UpdateStage(ctx, &apigatewayapi.UpdateStageRequest{RestApiId: cfnStr(r.Str("RestApiId")),
			StageName: &r.PhysicalID, PatchOperations: ops}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID}, nil
}

func (s *APIGateway) cfnDeleteStage(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteStage(ctx, &apigatewayapi.DeleteStageRequest{RestApiId: cfnStr(r.Str("RestApiId")), StageName: &r.PhysicalID})
	if cfnGone(err) {
		return nil
	}
	return err
}

func (s *APIGateway) cfnCreateAPIKey(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	p := r.Properties
	name := r.Str("Name")
	if name == "" {
		name = kit.PhysicalName(r, 128)
	}
	in := &apigatewayapi.CreateApiKeyRequest{Name: &name, Description: cfnStr(r.Str("Description")),
		Enabled: cfnBool(p, "Enabled"), GenerateDistinctId: cfnBool(p, "GenerateDistinctId"), Value: cfnStr(r.Str("Value")),
		CustomerId: cfnStr(r.Str("CustomerId"))}
	for _, sk := range cfnMaps(p, "StageKeys") {
		in.StageKeys = append(in.StageKeys, apigatewayapi.StageKey{RestApiId: cfnStr(kit.PropStr(sk, "RestApiId")),
			StageName: cfnStr(kit.PropStr(sk, "StageName"))})
	}
	if tags := kit.PropTags(p); len(tags) > 0 {
		in.Tags = tags
	}
	k, err := s.CreateApiKey(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *k.Id, Attributes: map[string]any{"APIKeyId": *k.Id}}, nil
}

func (s *APIGateway) cfnDeleteAPIKey(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteApiKey(ctx, &apigatewayapi.DeleteApiKeyRequest{ApiKey: &r.PhysicalID})
	if cfnGone(err) {
		return nil
	}
	return err
}

func (s *APIGateway) cfnCreateUsagePlan(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	p := r.Properties
	name := r.Str("UsagePlanName")
	if name == "" {
		name = kit.PhysicalName(r, 128)
	}
	in := &apigatewayapi.CreateUsagePlanRequest{Name: &name, Description: cfnStr(r.Str("Description"))}
	for _, st := range cfnMaps(p, "ApiStages") {
		in.ApiStages = append(in.ApiStages, apigatewayapi.ApiStage{ApiId: cfnStr(kit.PropStr(st, "ApiId")), Stage: cfnStr(kit.PropStr(st, "Stage"))})
	}
	if kit.Has(p, "Throttle") {
		in.Throttle = &apigatewayapi.ThrottleSettings{}
		if err := kit.DecodeProp(p, "Throttle", in.Throttle); err != nil {
			return kit.ResourceResult{}, apigatewayapi.ErrBadRequestException.New("Invalid Throttle: %v", err)
		}
	}
	if kit.Has(p, "Quota") {
		in.Quota = &apigatewayapi.QuotaSettings{}
		if err := kit.DecodeProp(p, "Quota", in.Quota); err != nil {
			return kit.ResourceResult{}, apigatewayapi.ErrBadRequestException.New("Invalid Quota: %v", err)
		}
	}
	if tags := kit.PropTags(p); len(tags) > 0 {
		in.Tags = tags
	}
	u, err := s.CreateUsagePlan(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *u.Id, Attributes: map[string]any{"Id": *u.Id}}, nil
}

func (s *APIGateway) cfnDeleteUsagePlan(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteUsagePlan(ctx, &apigatewayapi.DeleteUsagePlanRequest{UsagePlanId: &r.PhysicalID})
	if cfnGone(err) {
		return nil
	}
	return err
}

func (s *APIGateway) cfnCreateUsagePlanKey(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	k, err := s.CreateUsagePlanKey(ctx, &apigatewayapi.CreateUsagePlanKeyRequest{UsagePlanId: cfnStr(r.Str("UsagePlanId")),
		KeyId: cfnStr(r.Str("KeyId")), KeyType: cfnStr(r.Str("KeyType"))})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *k.Id, Attributes: map[string]any{"Id": *k.Id}}, nil
}

func (s *APIGateway) cfnDeleteUsagePlanKey(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteUsagePlanKey(ctx, &apigatewayapi.DeleteUsagePlanKeyRequest{UsagePlanId: cfnStr(r.Str("UsagePlanId")), KeyId: &r.PhysicalID})
	if cfnGone(err) {
		return nil
	}
	return err
}

func (s *APIGateway) cfnCreateAuthorizer(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	p := r.Properties
	in := &apigatewayapi.CreateAuthorizerRequest{RestApiId: cfnStr(r.Str("RestApiId")), Name: cfnStr(r.Str("Name")),
		Type: cfnStr(r.Str("Type")), ProviderARNs: kit.PropList(p, "ProviderARNs"), AuthType: cfnStr(r.Str("AuthType")),
		AuthorizerUri: cfnStr(r.Str("AuthorizerUri")), AuthorizerCredentials: cfnStr(r.Str("AuthorizerCredentials")),
		IdentitySource: cfnStr(r.Str("IdentitySource")), IdentityValidationExpression: cfnStr(r.Str("IdentityValidationExpression"))}
	if kit.Has(p, "AuthorizerResultTtlInSeconds") {
		var n int32
		if err := kit.DecodeProp(p, "AuthorizerResultTtlInSeconds", &n); err == nil {
			in.AuthorizerResultTtlInSeconds = &n
		}
	}
	a, err := s.CreateAuthorizer(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *a.Id, Attributes: map[string]any{"AuthorizerId": *a.Id}}, nil
}

func (s *APIGateway) cfnDeleteAuthorizer(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteAuthorizer(ctx, &apigatewayapi.DeleteAuthorizerRequest{RestApiId: cfnStr(r.Str("RestApiId")), AuthorizerId: &r.PhysicalID})
	if cfnGone(err) {
		return nil
	}
	return err
}
