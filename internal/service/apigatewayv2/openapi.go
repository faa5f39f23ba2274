package apigatewayv2

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	apigatewayv2api "github.com/niwa-cloud/niwa/internal/api/apigatewayv2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// OpenAPI 3.0 import and export of HTTP APIs (Developer Guide, "Working
// with OpenAPI definitions for HTTP APIs"): paths and operations are
// routes (x-amazon-apigateway-any-method is ANY, the path /$default the
// $default route), x-amazon-apigateway-integration their integrations,
// components.securitySchemes with x-amazon-apigateway-authorizer the
// authorizers, an operation's security its authorization, and
// x-amazon-apigateway-cors the CORS configuration.

// maxDefinition bounds an imported definition (AWS takes 6 MB bodies).
const maxDefinition = 6 << 20

var oasVerbs = map[string]string{"get": "GET", "put": "PUT", "post": "POST", "delete": "DELETE",
	"patch": "PATCH", "head": "HEAD", "options": "OPTIONS", "x-amazon-apigateway-any-method": "ANY"}

// parseOAS reads a JSON or YAML OpenAPI 3 definition into plain maps.
func parseOAS(body string) (map[string]any, error) {
	if len(body) > maxDefinition {
		return nil, badRequest("The API definition is too large (at most %d bytes)", maxDefinition)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		var y any
		if yerr := yaml.Unmarshal([]byte(body), &y); yerr != nil {
			return nil, badRequest("Invalid OpenAPI input: the body is neither JSON nor YAML")
		}
		b, err := json.Marshal(jsonable(y))
		if err != nil || json.Unmarshal(b, &doc) != nil {
			return nil, badRequest("Invalid OpenAPI input: the definition must be an object")
		}
	}
	if doc == nil {
		return nil, badRequest("Invalid OpenAPI input: the definition must be an object")
	}
	v, _ := doc["openapi"].(string)
	if !strings.HasPrefix(v, "3.") {
		return nil, badRequest("Invalid OpenAPI input: only OpenAPI 3.0 definitions are supported for HTTP APIs")
	}
	return doc, nil
}

// jsonable turns YAML's trees (maps with any keys) into JSON's.
func jsonable(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = jsonable(x)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[fmt.Sprint(k)] = jsonable(x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = jsonable(x)
		}
		return out
	}
	return v
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func obj(m map[string]any, k string) map[string]any {
	o, _ := m[k].(map[string]any)
	return o
}

func strs(v any) []string {
	var out []string
	switch t := v.(type) {
	case []any:
		for _, x := range t {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
	case string:
		for _, s := range strings.Split(t, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}

// definitionAPI builds an API's routes, integrations, authorizers and
// CORS from a definition, into a (fresh) a.
func definitionAPI(a *httpAPI, doc map[string]any) error {
	if c := obj(doc, "x-amazon-apigateway-cors"); c != nil {
		cors := &apigatewayv2api.Cors{AllowOrigins: strs(c["allowOrigins"]), AllowMethods: strs(c["allowMethods"]),
			AllowHeaders: strs(c["allowHeaders"]), ExposeHeaders: strs(c["exposeHeaders"])}
		if b, ok := c["allowCredentials"].(bool); ok {
			cors.AllowCredentials = &b
		}
		if n, ok := c["maxAge"].(float64); ok {
			cors.MaxAge = ptr.To(int32(n))
		}
		if err := checkCors(cors); err != nil {
			return err
		}
		a.Api.CorsConfiguration = cors
	}
	authorizers := map[string]string{} // scheme name → authorizer id
	schemes := obj(obj(doc, "components"), "securitySchemes")
	names := make([]string, 0, len(schemes))
	for n := range schemes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		sc, _ := schemes[name].(map[string]any)
		ext := obj(sc, "x-amazon-apigateway-authorizer")
		if ext == nil {
			continue
		}
		au := apigatewayv2api.Authorizer{AuthorizerId: ptr.To(newID(6)), Name: ptr.To(name), IdentitySource: strs(ext["identitySource"])}
		switch strings.ToLower(str(ext, "type")) {
		case "jwt":
			au.AuthorizerType = ptr.To("JWT")
			jc := obj(ext, "jwtConfiguration")
			au.JwtConfiguration = &apigatewayv2api.JWTConfiguration{Issuer: ptr.To(str(jc, "issuer")), Audience: strs(jc["audience"])}
			if len(au.IdentitySource) == 0 {
				au.IdentitySource = []string{"$request.header.Authorization"}
			}
		case "request":
			au.AuthorizerType = ptr.To("REQUEST")
			au.AuthorizerUri = ptr.To(str(ext, "authorizerUri"))
			au.AuthorizerPayloadFormatVersion = ptr.To(str(ext, "authorizerPayloadFormatVersion"))
			if b, ok := ext["enableSimpleResponses"].(bool); ok {
				au.EnableSimpleResponses = &b
			}
			ttl := int32(0)
			if n, ok := ext["authorizerResultTtlInSeconds"].(float64); ok {
				ttl = int32(n)
			}
			au.AuthorizerResultTtlInSeconds = &ttl
		default:
			return badRequest("Unsupported authorizer type %q in security scheme %s: jwt or request", str(ext, "type"), name)
		}
		if err := checkAuthorizer(a, &au); err != nil {
			return err
		}
		a.Authorizers[*au.AuthorizerId] = au
		authorizers[name] = *au.AuthorizerId
	}
	paths := obj(doc, "paths")
	pathNames := make([]string, 0, len(paths))
	for p := range paths {
		pathNames = append(pathNames, p)
	}
	sort.Strings(pathNames)
	integrations := map[string]string{} // integration JSON → id
	for _, p := range pathNames {
		item, _ := paths[p].(map[string]any)
		verbs := make([]string, 0, len(item))
		for v := range item {
			verbs = append(verbs, v)
		}
		sort.Strings(verbs)
		for _, v := range verbs {
			method, ok := oasVerbs[strings.ToLower(v)]
			if !ok {
				continue
			}
			op, _ := item[v].(map[string]any)
			key := method + " " + p
			if p == "/$default" || p == defaultRoute {
				key = defaultRoute
			}
			r := apigatewayv2api.Route{RouteId: ptr.To(newID(7)), RouteKey: &key, AuthorizationType: ptr.To("NONE"), ApiKeyRequired: ptr.To(false)}
			if id := str(op, "operationId"); id != "" {
				r.OperationName = &id
			}
			if ext := obj(op, "x-amazon-apigateway-integration"); ext != nil {
				iid, err := definitionIntegration(a, ext, integrations)
				if err != nil {
					return fmt.Errorf("%w (%s)", err, key)
				}
				r.Target = ptr.To("integrations/" + iid)
			}
			if sec, ok := op["security"].([]any); ok && len(sec) > 0 {
				req, _ := sec[0].(map[string]any)
				for name, scopes := range req {
					if id, ok := authorizers[name]; ok {
						au := a.Authorizers[id]
						r.AuthorizerId = &id
						r.AuthorizationType = ptr.To(map[string]string{"JWT": "JWT", "REQUEST": "CUSTOM"}[*au.AuthorizerType])
						if *au.AuthorizerType == "JWT" {
							r.AuthorizationScopes = strs(scopes)
						}
					} else if strings.EqualFold(str(obj(schemes, name), "x-amazon-apigateway-authtype"), "awsSigv4") {
						r.AuthorizationType = ptr.To("AWS_IAM")
					}
				}
			}
			if err := checkRoute(a, r); err != nil {
				return err
			}
			a.Routes[*r.RouteId] = r
		}
	}
	return nil
}

// definitionIntegration makes (or reuses, for an identical one) the
// integration an x-amazon-apigateway-integration describes.
func definitionIntegration(a *httpAPI, ext map[string]any, seen map[string]string) (string, error) {
	b, _ := json.Marshal(ext)
	if id, ok := seen[string(b)]; ok {
		return id, nil
	}
	i := apigatewayv2api.Integration{IntegrationId: ptr.To(newID(7)), ConnectionType: ptr.To("INTERNET")}
	switch strings.ToLower(str(ext, "type")) {
	case "aws_proxy":
		i.IntegrationType = ptr.To("AWS_PROXY")
	case "http_proxy":
		i.IntegrationType = ptr.To("HTTP_PROXY")
	default:
		return "", badRequest("Unsupported integration type %q: aws_proxy or http_proxy", str(ext, "type"))
	}
	i.IntegrationUri = ptr.To(str(ext, "uri"))
	if m := str(ext, "httpMethod"); m != "" {
		i.IntegrationMethod = &m
	}
	if v := str(ext, "payloadFormatVersion"); v != "" {
		i.PayloadFormatVersion = &v
	} else {
		i.PayloadFormatVersion = ptr.To("1.0")
	}
	if c := str(ext, "connectionType"); c != "" {
		i.ConnectionType = &c
	}
	if c := str(ext, "credentials"); c != "" {
		i.CredentialsArn = &c
	}
	i.TimeoutInMillis = ptr.To(int32(30000))
	if n, ok := ext["timeoutInMillis"].(float64); ok {
		i.TimeoutInMillis = ptr.To(int32(n))
	}
	if rp := obj(ext, "requestParameters"); rp != nil {
		i.RequestParameters = map[string]string{}
		for k, v := range rp {
			i.RequestParameters[k] = fmt.Sprint(v)
		}
	}
	if rp := obj(ext, "responseParameters"); rp != nil {
		i.ResponseParameters = map[string]map[string]string{}
		for status, m := range rp {
			mm, _ := m.(map[string]any)
			i.ResponseParameters[status] = map[string]string{}
			for k, v := range mm {
				i.ResponseParameters[status][k] = fmt.Sprint(v)
			}
		}
	}
	if err := checkIntegration(a, &i); err != nil {
		return "", err
	}
	a.Integrations[*i.IntegrationId] = i
	seen[string(b)] = *i.IntegrationId
	return *i.IntegrationId, nil
}

func (s *APIGatewayV2) ImportApi(ctx *request.Context, in *apigatewayv2api.ImportApiRequest) (*apigatewayv2api.ImportApiResponse, error) {
	doc, err := parseOAS(ptr.Deref(in.Body))
	if err != nil {
		return nil, err
	}
	id := newID(10)
	now := ctx.Now().UTC()
	a := httpAPI{}
	a.init()
	info := obj(doc, "info")
	a.Api = apigatewayv2api.Api{ApiId: &id, Name: ptr.To(str(info, "title")), ProtocolType: ptr.To("HTTP"), CreatedDate: &now,
		ApiEndpoint: ptr.To(s.apiEndpoint(id, "HTTP")), ApiKeySelectionExpression: ptr.To("$request.header.x-api-key"),
		RouteSelectionExpression: ptr.To("${request.method} ${request.path}"), Tags: map[string]string{}}
	if v := str(info, "version"); v != "" {
		a.Api.Version = &v
	}
	if d := str(info, "description"); d != "" {
		a.Api.Description = &d
	}
	if ptr.Deref(a.Api.Name) == "" {
		return nil, badRequest("Invalid OpenAPI input: info.title names the API and is required")
	}
	if err := definitionAPI(&a, doc); err != nil {
		return nil, err
	}
	err = s.store.Update(func(tx storage.Tx) error {
		if err := apis.Put(tx, scope(ctx), a, id); err != nil {
			return err
		}
		return index.Put(tx, storage.Scope{}, location{Account: ctx.Account, Region: ctx.Region}, id)
	})
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.ImportApiResponse](a.Api), nil
}

// ReimportApi replaces an HTTP API's routes, integrations, authorizers
// and CORS configuration with a definition's (stages and deployments
// stay; auto-deploy stages get the new configuration).
func (s *APIGatewayV2) ReimportApi(ctx *request.Context, in *apigatewayv2api.ReimportApiRequest) (*apigatewayv2api.ReimportApiResponse, error) {
	doc, err := parseOAS(ptr.Deref(in.Body))
	if err != nil {
		return nil, err
	}
	var out apigatewayv2api.Api
	err = s.update(ctx, ptr.Deref(in.ApiId), true, func(a *httpAPI) error {
		if !a.isHTTP() {
			return badRequest("Reimport is only supported for HTTP APIs")
		}
		fresh := httpAPI{Api: a.Api}
		fresh.init()
		fresh.Api.CorsConfiguration = nil
		if err := definitionAPI(&fresh, doc); err != nil {
			return err
		}
		if t := str(obj(doc, "info"), "title"); t != "" {
			fresh.Api.Name = &t
		}
		a.Api, a.Routes, a.Integrations, a.Authorizers = fresh.Api, fresh.Routes, fresh.Integrations, fresh.Authorizers
		a.RouteResponses, a.IntegrationResponses = fresh.RouteResponses, fresh.IntegrationResponses
		out = a.Api
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.flushAuthorizers(ptr.Deref(in.ApiId))
	return convert[apigatewayv2api.ReimportApiResponse](out), nil
}

// ExportApi writes an HTTP API (a stage's deployment, or the API as it
// is) as OpenAPI 3.0, JSON or YAML, with API Gateway's extensions unless
// IncludeExtensions is false.
func (s *APIGatewayV2) ExportApi(ctx *request.Context, in *apigatewayv2api.ExportApiRequest) (*apigatewayv2api.ExportApiResponse, error) {
	if sp := ptr.Deref(in.Specification); sp != "OAS30" {
		return nil, badRequest("Unsupported specification %s: OAS30", sp)
	}
	ot := ptr.Deref(in.OutputType)
	if ot != "JSON" && ot != "YAML" {
		return nil, badRequest("Unsupported output type %s: JSON or YAML", ot)
	}
	a, err := s.view(ctx, ptr.Deref(in.ApiId))
	if err != nil {
		return nil, err
	}
	if !a.isHTTP() {
		return nil, badRequest("Export is only supported for HTTP APIs")
	}
	routes, integs, auths, cors := a.Routes, a.Integrations, a.Authorizers, a.Api.CorsConfiguration
	if name := ptr.Deref(in.StageName); name != "" {
		st, ok := a.Stages[name]
		if !ok {
			return nil, notFound("Stage", name, ctx)
		}
		d, ok := a.Deployments[ptr.Deref(st.DeploymentId)]
		if !ok {
			return nil, badRequest("Stage %s has no deployment to export", name)
		}
		routes, integs, auths, cors = d.Routes, d.Integrations, d.Authorizers, d.Cors
	}
	ext := in.IncludeExtensions == nil || *in.IncludeExtensions
	doc := exportDoc(ctx, a, routes, integs, auths, cors, ext)
	var body []byte
	if ot == "YAML" {
		body, err = yaml.Marshal(doc)
	} else {
		body, err = json.MarshalIndent(doc, "", "  ")
	}
	if err != nil {
		return nil, err
	}
	return &apigatewayv2api.ExportApiResponse{Body: body}, nil
}

func exportDoc(ctx *request.Context, a httpAPI, routes map[string]apigatewayv2api.Route, integs map[string]apigatewayv2api.Integration,
	auths map[string]apigatewayv2api.Authorizer, cors *apigatewayv2api.Cors, ext bool) map[string]any {
	version := ptr.Deref(a.Api.Version)
	if version == "" && a.Api.CreatedDate != nil {
		version = a.Api.CreatedDate.UTC().Format("2006-01-02 15:04:05UTC")
	}
	info := map[string]any{"title": ptr.Deref(a.Api.Name), "version": version}
	if d := ptr.Deref(a.Api.Description); d != "" {
		info["description"] = d
	}
	doc := map[string]any{"openapi": "3.0.1", "info": info,
		"servers": []any{map[string]any{"url": "https://" + ptr.Deref(a.Api.ApiId) + ".execute-api." + ctx.Region + ".amazonaws.com/{basePath}",
			"variables": map[string]any{"basePath": map[string]any{"default": ""}}}}}
	paths := map[string]any{}
	for _, r := range routes {
		key := ptr.Deref(r.RouteKey)
		method, path, _ := strings.Cut(key, " ")
		if key == defaultRoute {
			method, path = "ANY", "/$default"
		}
		verb := strings.ToLower(method)
		if method == "ANY" {
			verb = "x-amazon-apigateway-any-method"
		}
		op := map[string]any{"responses": map[string]any{"default": map[string]any{"description": "Default response for " + key}}}
		if n := ptr.Deref(r.OperationName); n != "" {
			op["operationId"] = n
		}
		if rk, err := parseRouteKey(key); err == nil {
			var params []any
			for _, seg := range rk.segments {
				if seg.kind != literal {
					params = append(params, map[string]any{"name": seg.text, "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
				}
			}
			if len(params) > 0 {
				op["parameters"] = params
			}
		}
		switch ptr.Deref(r.AuthorizationType) {
		case "JWT", "CUSTOM":
			if au, ok := auths[ptr.Deref(r.AuthorizerId)]; ok {
				scopes := r.AuthorizationScopes
				if scopes == nil {
					scopes = []string{}
				}
				op["security"] = []any{map[string]any{ptr.Deref(au.Name): scopes}}
			}
		case "AWS_IAM":
			op["security"] = []any{map[string]any{"sigv4": []string{}}}
		}
		if iid, ok := strings.CutPrefix(ptr.Deref(r.Target), "integrations/"); ok && ext {
			if i, ok := integs[iid]; ok {
				x := map[string]any{"type": strings.ToLower(ptr.Deref(i.IntegrationType)), "uri": ptr.Deref(i.IntegrationUri),
					"payloadFormatVersion": ptr.Deref(i.PayloadFormatVersion), "connectionType": ptr.Deref(i.ConnectionType),
					"timeoutInMillis": ptr.Deref(i.TimeoutInMillis)}
				if m := ptr.Deref(i.IntegrationMethod); m != "" {
					x["httpMethod"] = m
				}
				if c := ptr.Deref(i.CredentialsArn); c != "" {
					x["credentials"] = c
				}
				if len(i.RequestParameters) > 0 {
					x["requestParameters"] = i.RequestParameters
				}
				if len(i.ResponseParameters) > 0 {
					x["responseParameters"] = i.ResponseParameters
				}
				op["x-amazon-apigateway-integration"] = x
			}
		}
		item, _ := paths[path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[path] = item
		}
		item[verb] = op
	}
	doc["paths"] = paths
	schemes := map[string]any{}
	for _, au := range auths {
		s := map[string]any{}
		if ext {
			x := map[string]any{"identitySource": strings.Join(au.IdentitySource, ", ")}
			if ptr.Deref(au.AuthorizerType) == "JWT" {
				s["type"], s["flows"] = "oauth2", map[string]any{}
				x["type"] = "jwt"
				if jc := au.JwtConfiguration; jc != nil {
					x["jwtConfiguration"] = map[string]any{"issuer": ptr.Deref(jc.Issuer), "audience": jc.Audience}
				}
			} else {
				s["type"], s["in"], s["name"] = "apiKey", "header", "Unused"
				x["type"] = "request"
				x["authorizerUri"] = ptr.Deref(au.AuthorizerUri)
				x["authorizerPayloadFormatVersion"] = ptr.Deref(au.AuthorizerPayloadFormatVersion)
				x["authorizerResultTtlInSeconds"] = ptr.Deref(au.AuthorizerResultTtlInSeconds)
				if au.EnableSimpleResponses != nil {
					x["enableSimpleResponses"] = *au.EnableSimpleResponses
				}
			}
			s["x-amazon-apigateway-authorizer"] = x
		}
		schemes[ptr.Deref(au.Name)] = s
	}
	for _, r := range routes {
		if ptr.Deref(r.AuthorizationType) == "AWS_IAM" {
			schemes["sigv4"] = map[string]any{"type": "apiKey", "name": "Authorization", "in": "header", "x-amazon-apigateway-authtype": "awsSigv4"}
		}
	}
	if len(schemes) > 0 {
		doc["components"] = map[string]any{"securitySchemes": schemes}
	}
	if ext {
		doc["x-amazon-apigateway-importexport-version"] = "1.0"
		if cors != nil {
			c := map[string]any{}
			if len(cors.AllowOrigins) > 0 {
				c["allowOrigins"] = cors.AllowOrigins
			}
			if len(cors.AllowMethods) > 0 {
				c["allowMethods"] = cors.AllowMethods
			}
			if len(cors.AllowHeaders) > 0 {
				c["allowHeaders"] = cors.AllowHeaders
			}
			if len(cors.ExposeHeaders) > 0 {
				c["exposeHeaders"] = cors.ExposeHeaders
			}
			if cors.MaxAge != nil {
				c["maxAge"] = *cors.MaxAge
			}
			if cors.AllowCredentials != nil {
				c["allowCredentials"] = *cors.AllowCredentials
			}
			doc["x-amazon-apigateway-cors"] = c
		}
	}
	return doc
}
