package apigatewayv2

import (
	"encoding/json"
	"sort"
	"strings"

	apigatewayv2api "github.com/niwa-cloud/niwa/internal/api/apigatewayv2"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

var stageName = lazyre.New(`^(\$default|[A-Za-z0-9_\-]{1,128})$`)

// logGroupARN is an access log destination: a log group's ARN.
var logGroupARN = lazyre.New(`^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:[\.\-_/#A-Za-z0-9]+$`)

func checkStage(a *httpAPI, st *apigatewayv2api.Stage) error {
	if d := ptr.Deref(st.DeploymentId); d != "" {
		if _, ok := a.Deployments[d]; !ok {
			return badRequest("Deployment with id %s does not exist for this API", d)
		}
	}
	if l := st.AccessLogSettings; l != nil {
		if arn := strings.TrimSuffix(ptr.Deref(l.DestinationArn), ":*"); !logGroupARN.MatchString(arn) {
			return badRequest("Invalid ARN specified in the request: access logs go to a CloudWatch Logs log group ARN")
		}
		if ptr.Deref(l.Format) == "" {
			return badRequest("Access log format must be specified")
		}
	}
	for _, rs := range append([]*apigatewayv2api.RouteSettings{st.DefaultRouteSettings}, routeSettings(st)...) {
		if rs == nil {
			continue
		}
		if b := rs.ThrottlingBurstLimit; b != nil && *b < 0 {
			return badRequest("ThrottlingBurstLimit must be a positive number")
		}
		if r := rs.ThrottlingRateLimit; r != nil && *r < 0 {
			return badRequest("ThrottlingRateLimit must be a positive number")
		}
		if a.isHTTP() && (rs.DataTraceEnabled != nil || rs.LoggingLevel != nil) {
			return badRequest("Execution logs are not supported on HTTP APIs: DataTraceEnabled and LoggingLevel are WebSocket settings")
		}
	}
	for key := range st.RouteSettings {
		found := false
		for _, r := range a.Routes {
			found = found || ptr.Deref(r.RouteKey) == key
		}
		if !found {
			return badRequest("Invalid route key in RouteSettings: %s is not a route of this API", key)
		}
	}
	return nil
}

func routeSettings(st *apigatewayv2api.Stage) []*apigatewayv2api.RouteSettings {
	var out []*apigatewayv2api.RouteSettings
	for k := range st.RouteSettings {
		rs := st.RouteSettings[k]
		out = append(out, &rs)
	}
	return out
}

func (s *APIGatewayV2) CreateStage(ctx *request.Context, in *apigatewayv2api.CreateStageRequest) (*apigatewayv2api.CreateStageResponse, error) {
	st := *convert[apigatewayv2api.Stage](in)
	now := ctx.Now().UTC()
	st.CreatedDate, st.LastUpdatedDate = &now, &now
	if st.DefaultRouteSettings == nil {
		st.DefaultRouteSettings = &apigatewayv2api.RouteSettings{DetailedMetricsEnabled: ptr.To(false)}
	}
	if st.RouteSettings == nil {
		st.RouteSettings = map[string]apigatewayv2api.RouteSettings{}
	}
	if st.StageVariables == nil {
		st.StageVariables = map[string]string{}
	}
	if st.Tags == nil {
		st.Tags = map[string]string{}
	}
	name := ptr.Deref(in.StageName)
	err := s.update(ctx, ptr.Deref(in.ApiId), false, func(a *httpAPI) error {
		if !stageName.MatchString(name) {
			return badRequest("Stage name only allows a-zA-Z0-9_- or $default")
		}
		if _, dup := a.Stages[name]; dup {
			return conflict("Stage already exist")
		}
		if err := checkStage(a, &st); err != nil {
			return err
		}
		a.Stages[name] = st
		if ptr.Deref(st.AutoDeploy) && st.DeploymentId == nil {
			s.autoDeploy(ctx, a)
		}
		st = a.Stages[name]
		return nil
	})
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.CreateStageResponse](st), nil
}

func (s *APIGatewayV2) GetStage(ctx *request.Context, in *apigatewayv2api.GetStageRequest) (*apigatewayv2api.GetStageResponse, error) {
	st, err := stageMembers.get(s, ctx, ptr.Deref(in.ApiId), "", ptr.Deref(in.StageName))
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.GetStageResponse](st), nil
}

func (s *APIGatewayV2) GetStages(ctx *request.Context, in *apigatewayv2api.GetStagesRequest) (*apigatewayv2api.GetStagesResponse, error) {
	items, next, err := stageMembers.list(s, ctx, ptr.Deref(in.ApiId), "", in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &apigatewayv2api.GetStagesResponse{Items: items, NextToken: next}, nil
}

func (s *APIGatewayV2) UpdateStage(ctx *request.Context, in *apigatewayv2api.UpdateStageRequest) (*apigatewayv2api.UpdateStageResponse, error) {
	var out apigatewayv2api.Stage
	err := s.update(ctx, ptr.Deref(in.ApiId), false, func(a *httpAPI) error {
		name := ptr.Deref(in.StageName)
		st, ok := a.Stages[name]
		if !ok {
			return notFound("Stage", name, ctx)
		}
		wasAuto := ptr.Deref(st.AutoDeploy)
		fill(&st, in)
		if in.StageVariables != nil {
			// Variables merge: an empty value removes one.
			vars := clone(a.Stages[name].StageVariables)
			for k, v := range in.StageVariables {
				if v == "" {
					delete(vars, k)
				} else {
					vars[k] = v
				}
			}
			st.StageVariables = vars
		}
		if in.RouteSettings != nil {
			rs := clone(a.Stages[name].RouteSettings)
			for k, v := range in.RouteSettings {
				rs[k] = v
			}
			st.RouteSettings = rs
		}
		now := ctx.Now().UTC()
		st.LastUpdatedDate = &now
		if err := checkStage(a, &st); err != nil {
			return err
		}
		a.Stages[name] = st
		if ptr.Deref(st.AutoDeploy) && !wasAuto && in.DeploymentId == nil {
			s.autoDeploy(ctx, a)
		}
		out = a.Stages[name]
		return nil
	})
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.UpdateStageResponse](out), nil
}

func (s *APIGatewayV2) DeleteStage(ctx *request.Context, in *apigatewayv2api.DeleteStageRequest) (*apigatewayv2api.DeleteStageOutput, error) {
	err := stageMembers.remove(s, ctx, ptr.Deref(in.ApiId), "", ptr.Deref(in.StageName), func(_ *httpAPI, st apigatewayv2api.Stage) error {
		if ptr.Deref(st.ApiGatewayManaged) {
			return badRequest("Cannot delete a stage managed by API Gateway")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayv2api.DeleteStageOutput{}, nil
}

func (s *APIGatewayV2) DeleteAccessLogSettings(ctx *request.Context, in *apigatewayv2api.DeleteAccessLogSettingsRequest) (*apigatewayv2api.DeleteAccessLogSettingsOutput, error) {
	_, err := stageMembers.edit(s, ctx, ptr.Deref(in.ApiId), "", ptr.Deref(in.StageName), func(_ *httpAPI, st *apigatewayv2api.Stage) error {
		st.AccessLogSettings = nil
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayv2api.DeleteAccessLogSettingsOutput{}, nil
}

func (s *APIGatewayV2) DeleteRouteSettings(ctx *request.Context, in *apigatewayv2api.DeleteRouteSettingsRequest) (*apigatewayv2api.DeleteRouteSettingsOutput, error) {
	_, err := stageMembers.edit(s, ctx, ptr.Deref(in.ApiId), "", ptr.Deref(in.StageName), func(_ *httpAPI, st *apigatewayv2api.Stage) error {
		key := ptr.Deref(in.RouteKey)
		if _, ok := st.RouteSettings[key]; !ok {
			return notFound("RouteSettings", key, ctx)
		}
		rs := clone(st.RouteSettings)
		delete(rs, key)
		st.RouteSettings = rs
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayv2api.DeleteRouteSettingsOutput{}, nil
}

func (s *APIGatewayV2) ResetAuthorizersCache(ctx *request.Context, in *apigatewayv2api.ResetAuthorizersCacheRequest) (*apigatewayv2api.ResetAuthorizersCacheOutput, error) {
	if _, err := stageMembers.get(s, ctx, ptr.Deref(in.ApiId), "", ptr.Deref(in.StageName)); err != nil {
		return nil, err
	}
	s.flushAuthorizers(ptr.Deref(in.ApiId))
	return &apigatewayv2api.ResetAuthorizersCacheOutput{}, nil
}

// Deployments.

func (s *APIGatewayV2) CreateDeployment(ctx *request.Context, in *apigatewayv2api.CreateDeploymentRequest) (*apigatewayv2api.CreateDeploymentResponse, error) {
	var d deployment
	err := s.update(ctx, ptr.Deref(in.ApiId), false, func(a *httpAPI) error {
		if len(a.Routes) == 0 {
			return badRequest("Unable to deploy API because no routes exist in this API")
		}
		name := ptr.Deref(in.StageName)
		var st apigatewayv2api.Stage
		if name != "" {
			var ok bool
			if st, ok = a.Stages[name]; !ok {
				return notFound("Stage", name, ctx)
			}
			if ptr.Deref(st.AutoDeploy) {
				return badRequest("Deployments cannot be created for stages with auto deploy enabled")
			}
		}
		d = s.snapshot(ctx, a, in.Description, false)
		a.Deployments[*d.Deployment.DeploymentId] = d
		if name != "" {
			now := ctx.Now().UTC()
			st.DeploymentId, st.LastUpdatedDate = d.Deployment.DeploymentId, &now
			a.Stages[name] = st
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.CreateDeploymentResponse](d.Deployment), nil
}

func (s *APIGatewayV2) GetDeployment(ctx *request.Context, in *apigatewayv2api.GetDeploymentRequest) (*apigatewayv2api.GetDeploymentResponse, error) {
	d, err := deploymentMembers.get(s, ctx, ptr.Deref(in.ApiId), "", ptr.Deref(in.DeploymentId))
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.GetDeploymentResponse](d.Deployment), nil
}

func (s *APIGatewayV2) GetDeployments(ctx *request.Context, in *apigatewayv2api.GetDeploymentsRequest) (*apigatewayv2api.GetDeploymentsResponse, error) {
	ds, next, err := deploymentMembers.list(s, ctx, ptr.Deref(in.ApiId), "", in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	var items []apigatewayv2api.Deployment
	for _, d := range ds {
		items = append(items, d.Deployment)
	}
	return &apigatewayv2api.GetDeploymentsResponse{Items: items, NextToken: next}, nil
}

func (s *APIGatewayV2) UpdateDeployment(ctx *request.Context, in *apigatewayv2api.UpdateDeploymentRequest) (*apigatewayv2api.UpdateDeploymentResponse, error) {
	d, err := deploymentMembers.edit(s, ctx, ptr.Deref(in.ApiId), "", ptr.Deref(in.DeploymentId), func(_ *httpAPI, d *deployment) error {
		if in.Description != nil {
			d.Deployment.Description = in.Description
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.UpdateDeploymentResponse](d.Deployment), nil
}

func (s *APIGatewayV2) DeleteDeployment(ctx *request.Context, in *apigatewayv2api.DeleteDeploymentRequest) (*apigatewayv2api.DeleteDeploymentOutput, error) {
	id := ptr.Deref(in.DeploymentId)
	err := deploymentMembers.remove(s, ctx, ptr.Deref(in.ApiId), "", id, func(a *httpAPI, _ deployment) error {
		for _, st := range a.Stages {
			if ptr.Deref(st.DeploymentId) == id {
				return badRequest("Active stages pointing to this deployment must be moved or deleted")
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayv2api.DeleteDeploymentOutput{}, nil
}

// Authorizers.

var authorizerURI = lazyre.New(`^arn:aws[a-z-]*:apigateway:[a-z0-9-]+:lambda:path/2015-03-31/functions/(arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?)/invocations$`)

// identitySource is a Lambda or JWT authorizer's identity source.
var identitySource = lazyre.New(`^\$(request\.(header|querystring)\.[^\s]+|context\.[A-Za-z0-9_.]+|stageVariables\.[A-Za-z0-9_]+)$`)

func checkAuthorizer(a *httpAPI, au *apigatewayv2api.Authorizer) error {
	switch ptr.Deref(au.AuthorizerType) {
	case "JWT":
		if !a.isHTTP() {
			return badRequest("JWT authorizers are only supported for HTTP APIs")
		}
		if au.JwtConfiguration == nil || ptr.Deref(au.JwtConfiguration.Issuer) == "" {
			return badRequest("JwtConfiguration with an Issuer is required for JWT authorizers")
		}
		if !strings.HasPrefix(*au.JwtConfiguration.Issuer, "https://") && !strings.HasPrefix(*au.JwtConfiguration.Issuer, "http://") {
			return badRequest("Invalid issuer %s: the issuer is a URL", *au.JwtConfiguration.Issuer)
		}
		if len(au.JwtConfiguration.Audience) == 0 {
			return badRequest("JwtConfiguration.Audience must have at least one value")
		}
		if len(au.IdentitySource) != 1 {
			return badRequest("A JWT authorizer takes exactly one identity source")
		}
		if au.AuthorizerUri != nil {
			return badRequest("AuthorizerUri is not supported for JWT authorizers")
		}
	case "REQUEST":
		if !authorizerURI.MatchString(ptr.Deref(au.AuthorizerUri)) {
			return badRequest("Invalid Authorizer URI: %s. The URI is arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<function ARN>/invocations", ptr.Deref(au.AuthorizerUri))
		}
		if a.isHTTP() {
			v := ptr.Deref(au.AuthorizerPayloadFormatVersion)
			if v != "1.0" && v != "2.0" {
				return badRequest("AuthorizerPayloadFormatVersion is required for HTTP APIs' REQUEST authorizers: 1.0 or 2.0")
			}
			if ptr.Deref(au.EnableSimpleResponses) && v != "2.0" {
				return badRequest("Simple responses are only supported with payload format version 2.0")
			}
		}
		if ttl := ptr.Deref(au.AuthorizerResultTtlInSeconds); ttl > 0 && len(au.IdentitySource) == 0 {
			return badRequest("Identity sources are required when caching is enabled (AuthorizerResultTtlInSeconds > 0)")
		}
	default:
		return badRequest("Unsupported authorizer type %s: JWT or REQUEST", ptr.Deref(au.AuthorizerType))
	}
	if t := au.AuthorizerResultTtlInSeconds; t != nil && (*t < 0 || *t > 3600) {
		return badRequest("AuthorizerResultTtlInSeconds must be between 0 and 3600")
	}
	for _, src := range au.IdentitySource {
		if !identitySource.MatchString(src) {
			if a.isHTTP() || !strings.HasPrefix(src, "route.request.") {
				return badRequest("Invalid identity source: %s", src)
			}
		}
	}
	return nil
}

func (s *APIGatewayV2) CreateAuthorizer(ctx *request.Context, in *apigatewayv2api.CreateAuthorizerRequest) (*apigatewayv2api.CreateAuthorizerResponse, error) {
	au := *convert[apigatewayv2api.Authorizer](in)
	au.AuthorizerId = ptr.To(newID(6))
	err := s.update(ctx, ptr.Deref(in.ApiId), true, func(a *httpAPI) error {
		if au.IdentitySource == nil && ptr.Deref(au.AuthorizerType) == "JWT" {
			au.IdentitySource = []string{"$request.header.Authorization"}
		}
		if au.AuthorizerResultTtlInSeconds == nil && ptr.Deref(au.AuthorizerType) == "REQUEST" {
			au.AuthorizerResultTtlInSeconds = ptr.To(int32(0))
		}
		if err := checkAuthorizer(a, &au); err != nil {
			return err
		}
		for _, other := range a.Authorizers {
			if ptr.Deref(other.Name) == ptr.Deref(au.Name) {
				return conflict("Authorizer with name %s already exists for this API", ptr.Deref(au.Name))
			}
		}
		a.Authorizers[*au.AuthorizerId] = au
		return nil
	})
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.CreateAuthorizerResponse](au), nil
}

func (s *APIGatewayV2) GetAuthorizer(ctx *request.Context, in *apigatewayv2api.GetAuthorizerRequest) (*apigatewayv2api.GetAuthorizerResponse, error) {
	au, err := authorizerMembers.get(s, ctx, ptr.Deref(in.ApiId), "", ptr.Deref(in.AuthorizerId))
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.GetAuthorizerResponse](au), nil
}

func (s *APIGatewayV2) GetAuthorizers(ctx *request.Context, in *apigatewayv2api.GetAuthorizersRequest) (*apigatewayv2api.GetAuthorizersResponse, error) {
	items, next, err := authorizerMembers.list(s, ctx, ptr.Deref(in.ApiId), "", in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &apigatewayv2api.GetAuthorizersResponse{Items: items, NextToken: next}, nil
}

func (s *APIGatewayV2) UpdateAuthorizer(ctx *request.Context, in *apigatewayv2api.UpdateAuthorizerRequest) (*apigatewayv2api.UpdateAuthorizerResponse, error) {
	out, err := authorizerMembers.edit(s, ctx, ptr.Deref(in.ApiId), "", ptr.Deref(in.AuthorizerId), func(a *httpAPI, au *apigatewayv2api.Authorizer) error {
		fill(au, in)
		return checkAuthorizer(a, au)
	})
	if err != nil {
		return nil, err
	}
	s.flushAuthorizers(ptr.Deref(in.ApiId))
	return convert[apigatewayv2api.UpdateAuthorizerResponse](out), nil
}

func (s *APIGatewayV2) DeleteAuthorizer(ctx *request.Context, in *apigatewayv2api.DeleteAuthorizerRequest) (*apigatewayv2api.DeleteAuthorizerOutput, error) {
	id := ptr.Deref(in.AuthorizerId)
	err := authorizerMembers.remove(s, ctx, ptr.Deref(in.ApiId), "", id, func(a *httpAPI, _ apigatewayv2api.Authorizer) error {
		for _, r := range a.Routes {
			if ptr.Deref(r.AuthorizerId) == id {
				return conflict("Cannot delete authorizer %s: it is used by route %s", id, ptr.Deref(r.RouteKey))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.flushAuthorizers(ptr.Deref(in.ApiId))
	return &apigatewayv2api.DeleteAuthorizerOutput{}, nil
}

// Models (WebSocket APIs' request and response bodies).

func checkModel(m *apigatewayv2api.ModelShape) error {
	if !json.Valid([]byte(ptr.Deref(m.Schema))) {
		return badRequest("Invalid model specified: the schema is not JSON")
	}
	return nil
}

func (s *APIGatewayV2) CreateModel(ctx *request.Context, in *apigatewayv2api.CreateModelRequest) (*apigatewayv2api.CreateModelResponse, error) {
	m := *convert[apigatewayv2api.ModelShape](in)
	m.ModelId = ptr.To(newID(6))
	err := s.update(ctx, ptr.Deref(in.ApiId), false, func(a *httpAPI) error {
		if err := checkModel(&m); err != nil {
			return err
		}
		for _, other := range a.Models {
			if ptr.Deref(other.Name) == ptr.Deref(m.Name) {
				return conflict("Model name already exists for this API")
			}
		}
		a.Models[*m.ModelId] = m
		return nil
	})
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.CreateModelResponse](m), nil
}

func (s *APIGatewayV2) GetModel(ctx *request.Context, in *apigatewayv2api.GetModelRequest) (*apigatewayv2api.GetModelResponse, error) {
	m, err := modelMembers.get(s, ctx, ptr.Deref(in.ApiId), "", ptr.Deref(in.ModelId))
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.GetModelResponse](m), nil
}

func (s *APIGatewayV2) GetModels(ctx *request.Context, in *apigatewayv2api.GetModelsRequest) (*apigatewayv2api.GetModelsResponse, error) {
	items, next, err := modelMembers.list(s, ctx, ptr.Deref(in.ApiId), "", in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &apigatewayv2api.GetModelsResponse{Items: items, NextToken: next}, nil
}

func (s *APIGatewayV2) UpdateModel(ctx *request.Context, in *apigatewayv2api.UpdateModelRequest) (*apigatewayv2api.UpdateModelResponse, error) {
	out, err := modelMembers.edit(s, ctx, ptr.Deref(in.ApiId), "", ptr.Deref(in.ModelId), func(_ *httpAPI, m *apigatewayv2api.ModelShape) error {
		fill(m, in)
		return checkModel(m)
	})
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.UpdateModelResponse](out), nil
}

func (s *APIGatewayV2) DeleteModel(ctx *request.Context, in *apigatewayv2api.DeleteModelRequest) (*apigatewayv2api.DeleteModelOutput, error) {
	if err := modelMembers.remove(s, ctx, ptr.Deref(in.ApiId), "", ptr.Deref(in.ModelId), nil); err != nil {
		return nil, err
	}
	return &apigatewayv2api.DeleteModelOutput{}, nil
}

// GetModelTemplate answers a mapping template that copies the model's
// top-level properties from the input, as API Gateway generates one.
func (s *APIGatewayV2) GetModelTemplate(ctx *request.Context, in *apigatewayv2api.GetModelTemplateRequest) (*apigatewayv2api.GetModelTemplateResponse, error) {
	m, err := modelMembers.get(s, ctx, ptr.Deref(in.ApiId), "", ptr.Deref(in.ModelId))
	if err != nil {
		return nil, err
	}
	var schema struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	_ = json.Unmarshal([]byte(ptr.Deref(m.Schema)), &schema)
	names := make([]string, 0, len(schema.Properties))
	for k := range schema.Properties {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("#set($inputRoot = $input.path('$'))\n{\n")
	for i, n := range names {
		b.WriteString(`  "` + n + `" : "$inputRoot.` + n + `"`)
		if i < len(names)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("}")
	return &apigatewayv2api.GetModelTemplateResponse{Value: ptr.To(b.String())}, nil
}
