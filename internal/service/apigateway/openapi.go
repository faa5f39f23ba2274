package apigateway

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// OpenAPI import and export: Swagger 2.0 and OpenAPI 3.0 definitions, in
// JSON or YAML, with API Gateway's x-amazon-apigateway-* extensions
// (integration, any-method, api-key-source, binary-media-types, policy,
// request-validators/request-validator, gateway-responses). Import goes
// through the same operations a client would call, so it validates as
// they do.

// maxDefinition bounds an imported definition (AWS takes 6 MB bodies).
const maxDefinition = 6 << 20

var operationVerbs = map[string]string{"get": "GET", "put": "PUT", "post": "POST", "delete": "DELETE",
	"patch": "PATCH", "head": "HEAD", "options": "OPTIONS", "x-amazon-apigateway-any-method": "ANY"}

// parseDefinition reads a JSON or YAML definition into plain maps.
func parseDefinition(body []byte) (map[string]any, error) {
	if len(body) > maxDefinition {
		return nil, apigatewayapi.ErrBadRequestException.New("The API definition is too large (at most %d bytes)", maxDefinition)
	}
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		var y any
		if yerr := yaml.Unmarshal(body, &y); yerr != nil {
			return nil, apigatewayapi.ErrBadRequestException.New("Invalid OpenAPI input: the body is neither JSON nor YAML")
		}
		// Through JSON: YAML maps may have non-string keys; JSON's
		// shape is what the rest reads. A sequence or a scalar (JSON's
		// [1, 2] is YAML too) is not a definition.
		b, err := json.Marshal(jsonable(y))
		if err != nil {
			return nil, apigatewayapi.ErrBadRequestException.New("Invalid OpenAPI input: %v", err)
		}
		if json.Unmarshal(b, &doc) != nil {
			return nil, apigatewayapi.ErrBadRequestException.New("Invalid OpenAPI input: the definition must be an object")
		}
	}
	if doc == nil {
		return nil, apigatewayapi.ErrBadRequestException.New("Invalid OpenAPI input: the definition must be an object")
	}
	if _, ok := doc["swagger"]; !ok {
		if _, ok := doc["openapi"]; !ok {
			return nil, apigatewayapi.ErrBadRequestException.New("Invalid OpenAPI input: no 'swagger' or 'openapi' version field")
		}
	}
	return doc, nil
}

// jsonable turns YAML's map[string]any / map[any]any tree into one
// encoding/json can write.
func jsonable(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = jsonable(e)
		}
		return t
	case map[any]any:
		m := map[string]any{}
		for k, e := range t {
			m[fmt.Sprint(k)] = jsonable(e)
		}
		return m
	case []any:
		for i, e := range t {
			t[i] = jsonable(e)
		}
	}
	return v
}

func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func str(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(t)
	}
	return ""
}

func strMap(v any) map[string]string {
	m := obj(v)
	if m == nil {
		return nil
	}
	out := map[string]string{}
	for k, e := range m {
		out[k] = str(e)
	}
	return out
}

func (s *APIGateway) ImportRestApi(ctx *request.Context, in *apigatewayapi.ImportRestApiRequest) (*apigatewayapi.RestApi, error) {
	doc, err := parseDefinition(in.Body)
	if err != nil {
		return nil, err
	}
	info := obj(doc["info"])
	name := str(info["title"])
	if name == "" {
		return nil, apigatewayapi.ErrBadRequestException.New("Invalid OpenAPI input: info.title is required")
	}
	create := &apigatewayapi.CreateRestApiRequest{Name: &name, Description: ptr.To(str(info["description"])), Version: ptr.To(str(info["version"]))}
	if *create.Description == "" {
		create.Description = nil
	}
	if t := strings.ToUpper(in.Parameters["endpointConfigurationTypes"]); t != "" {
		create.EndpointConfiguration = &apigatewayapi.EndpointConfiguration{Types: []string{t}}
	}
	api, err := s.CreateRestApi(ctx, create)
	if err != nil {
		return nil, err
	}
	if err := s.applyDefinition(ctx, *api.Id, doc); err != nil {
		_, _ = s.DeleteRestApi(ctx, &apigatewayapi.DeleteRestApiRequest{RestApiId: api.Id})
		return nil, err
	}
	return s.GetRestApi(ctx, &apigatewayapi.GetRestApiRequest{RestApiId: api.Id})
}

// PutRestApi overwrites (mode "overwrite", the default) or merges
// (mode "merge") a definition into an existing API.
func (s *APIGateway) PutRestApi(ctx *request.Context, in *apigatewayapi.PutRestApiRequest) (*apigatewayapi.RestApi, error) {
	doc, err := parseDefinition(in.Body)
	if err != nil {
		return nil, err
	}
	mode := ptr.Deref(in.Mode)
	if mode == "" {
		mode = "overwrite"
	}
	if mode != "overwrite" && mode != "merge" {
		return nil, apigatewayapi.ErrBadRequestException.New("Invalid mode specified. Valid values are merge, overwrite")
	}
	id := ptr.Deref(in.RestApiId)
	if mode == "overwrite" {
		err := s.update(ctx, id, func(a *restAPI) error {
			root := a.API.RootResourceId
			a.Resources = map[string]apigatewayapi.Resource{*root: {Id: root, Path: ptr.To("/")}}
			a.Models = defaultModels()
			a.Validators, a.GatewayResponses = nil, nil
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	if err := s.applyDefinition(ctx, id, doc); err != nil {
		return nil, err
	}
	return s.GetRestApi(ctx, &apigatewayapi.GetRestApiRequest{RestApiId: &id})
}

// applyDefinition creates what the definition describes in the API.
func (s *APIGateway) applyDefinition(ctx *request.Context, apiID string, doc map[string]any) error {
	id := &apiID
	// API-level extensions.
	var patches []apigatewayapi.PatchOperation
	if v := str(doc["x-amazon-apigateway-api-key-source"]); v != "" {
		patches = append(patches, patchOp("replace", "/apiKeySource", v))
	}
	if p, ok := doc["x-amazon-apigateway-policy"]; ok {
		b, _ := json.Marshal(p)
		patches = append(patches, patchOp("replace", "/policy", string(b)))
	}
	if len(patches) > 0 {
		if _, err := s.UpdateRestApi(ctx, &apigatewayapi.UpdateRestApiRequest{RestApiId: id, PatchOperations: patches}); err != nil {
			return err
		}
	}
	if types, ok := doc["x-amazon-apigateway-binary-media-types"].([]any); ok {
		err := s.update(ctx, apiID, func(a *restAPI) error {
			for _, t := range types {
				a.API.BinaryMediaTypes = append(a.API.BinaryMediaTypes, str(t))
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	// Models: definitions (2.0) or components.schemas (3.0).
	schemas := obj(doc["definitions"])
	if schemas == nil {
		schemas = obj(obj(doc["components"])["schemas"])
	}
	names := sortedKeys(schemas)
	a, err := s.view(ctx, apiID)
	if err != nil {
		return err
	}
	for _, n := range names {
		b, _ := json.Marshal(rewriteRefs(schemas[n], apiID))
		if _, exists := a.Models[n]; exists {
			if _, err := s.UpdateModel(ctx, &apigatewayapi.UpdateModelRequest{RestApiId: id, ModelName: ptr.To(n), PatchOperations: []apigatewayapi.PatchOperation{patchOp("replace", "/schema", string(b))}}); err != nil {
				return err
			}
			continue
		}
		// Create them all before any schema is compiled against the
		// others (one may $ref a later one).
		err := s.update(ctx, apiID, func(a *restAPI) error {
			a.Models[n] = apigatewayapi.ModelShape{Id: ptr.To(newID()), Name: ptr.To(n), ContentType: ptr.To("application/json"), Schema: ptr.To(string(b))}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if err := s.update(ctx, apiID, func(a *restAPI) error {
		for _, n := range names {
			if err := checkSchema(a, n); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	// Request validators by name.
	validators := map[string]string{}
	for _, n := range sortedKeys(obj(doc["x-amazon-apigateway-request-validators"])) {
		v := obj(obj(doc["x-amazon-apigateway-request-validators"])[n])
		rv, err := s.CreateRequestValidator(ctx, &apigatewayapi.CreateRequestValidatorRequest{RestApiId: id, Name: ptr.To(n),
			ValidateRequestBody: ptr.To(v["validateRequestBody"] == true), ValidateRequestParameters: ptr.To(v["validateRequestParameters"] == true)})
		if err != nil {
			return err
		}
		validators[n] = *rv.Id
	}
	defaultValidator := validators[str(doc["x-amazon-apigateway-request-validator"])]
	for _, t := range sortedKeys(obj(doc["x-amazon-apigateway-gateway-responses"])) {
		g := obj(obj(doc["x-amazon-apigateway-gateway-responses"])[t])
		in := &apigatewayapi.PutGatewayResponseRequest{RestApiId: id, ResponseType: ptr.To(t),
			ResponseParameters: strMap(g["responseParameters"]), ResponseTemplates: strMap(g["responseTemplates"])}
		if sc := str(g["statusCode"]); sc != "" {
			in.StatusCode = &sc
		}
		if _, err := s.PutGatewayResponse(ctx, in); err != nil {
			return err
		}
	}
	// The API key security scheme's name.
	schemes := obj(doc["securityDefinitions"])
	if schemes == nil {
		schemes = obj(obj(doc["components"])["securitySchemes"])
	}
	authorizers, err := s.importAuthorizers(ctx, apiID, schemes)
	if err != nil {
		return err
	}
	// Paths, shortest first so parents exist before their children.
	paths := obj(doc["paths"])
	keys := sortedKeys(paths)
	sort.SliceStable(keys, func(i, j int) bool { return strings.Count(keys[i], "/") < strings.Count(keys[j], "/") })
	for _, p := range keys {
		resID, err := s.ensureResource(ctx, apiID, p)
		if err != nil {
			return err
		}
		item := obj(paths[p])
		for _, verbKey := range sortedKeys(item) {
			verb, ok := operationVerbs[strings.ToLower(verbKey)]
			if !ok {
				continue
			}
			if err := s.importOperation(ctx, apiID, resID, verb, obj(item[verbKey]), schemes, authorizers, validators, defaultValidator); err != nil {
				return err
			}
		}
	}
	return nil
}

// rewriteRefs points #/definitions/X and #/components/schemas/X at the
// model URL API Gateway uses.
func rewriteRefs(v any, apiID string) any {
	switch t := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range t {
			if r, ok := e.(string); ok && k == "$ref" {
				for _, prefix := range []string{"#/definitions/", "#/components/schemas/"} {
					if name, ok := strings.CutPrefix(r, prefix); ok {
						e = modelURL(apiID, name)
					}
				}
			}
			out[k] = rewriteRefs(e, apiID)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = rewriteRefs(e, apiID)
		}
		return out
	}
	return v
}

func sortedKeys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ensureResource creates the resources of a path that are missing and
// returns the last one's id.
func (s *APIGateway) ensureResource(ctx *request.Context, apiID, path string) (string, error) {
	a, err := s.view(ctx, apiID)
	if err != nil {
		return "", err
	}
	byPath := map[string]string{}
	for id, r := range a.Resources {
		byPath[ptr.Deref(r.Path)] = id
	}
	cur := byPath["/"]
	so := ""
	for _, part := range strings.Split(strings.Trim(path, "/"), "/") {
		if part == "" {
			continue
		}
		so += "/" + part
		if id, ok := byPath[so]; ok {
			cur = id
			continue
		}
		r, err := s.CreateResource(ctx, &apigatewayapi.CreateResourceRequest{RestApiId: &apiID, ParentId: &cur, PathPart: ptr.To(part)})
		if err != nil {
			return "", err
		}
		cur, byPath[so] = *r.Id, *r.Id
	}
	return cur, nil
}

func (s *APIGateway) importOperation(ctx *request.Context, apiID, resID, verb string, op map[string]any, schemes map[string]any, authorizers, validators map[string]string, defaultValidator string) error {
	id := &apiID
	in := &apigatewayapi.PutMethodRequest{RestApiId: id, ResourceId: &resID, HttpMethod: &verb, AuthorizationType: ptr.To("NONE"),
		OperationName: nil, RequestParameters: map[string]bool{}}
	if n := str(op["operationId"]); n != "" {
		in.OperationName = &n
	}
	for _, p := range asList(op["parameters"]) {
		pm := obj(p)
		loc := map[string]string{"query": "querystring", "header": "header", "path": "path"}[str(pm["in"])]
		if loc == "" {
			continue
		}
		in.RequestParameters["method.request."+loc+"."+str(pm["name"])] = pm["required"] == true
	}
	for _, sec := range asList(op["security"]) {
		for name := range obj(sec) {
			sc := obj(schemes[name])
			if str(sc["type"]) == "apiKey" && strings.EqualFold(str(sc["name"]), "x-api-key") {
				in.ApiKeyRequired = ptr.To(true)
			}
			if str(sc["x-amazon-apigateway-authtype"]) == "awsSigv4" {
				in.AuthorizationType = ptr.To("AWS_IAM")
			}
			if id, ok := authorizers[name]; ok {
				in.AuthorizationType, in.AuthorizerId = ptr.To("CUSTOM"), ptr.To(id)
			}
		}
	}
	if v := validators[str(op["x-amazon-apigateway-request-validator"])]; v != "" {
		in.RequestValidatorId = &v
	} else if defaultValidator != "" {
		in.RequestValidatorId = &defaultValidator
	}
	// Request body model: 2.0 body parameter or 3.0 requestBody.
	for _, p := range asList(op["parameters"]) {
		if pm := obj(p); str(pm["in"]) == "body" {
			if name := refName(obj(pm["schema"])); name != "" {
				in.RequestModels = map[string]string{"application/json": name}
			}
		}
	}
	for ct, c := range obj(obj(op["requestBody"])["content"]) {
		if name := refName(obj(obj(c)["schema"])); name != "" {
			if in.RequestModels == nil {
				in.RequestModels = map[string]string{}
			}
			in.RequestModels[ct] = name
		}
	}
	if _, err := s.PutMethod(ctx, in); err != nil {
		return err
	}
	for _, code := range sortedKeys(obj(op["responses"])) {
		if _, err := strconv.Atoi(code); err != nil {
			continue
		}
		if _, err := s.PutMethodResponse(ctx, &apigatewayapi.PutMethodResponseRequest{RestApiId: id, ResourceId: &resID, HttpMethod: &verb, StatusCode: ptr.To(code)}); err != nil {
			return err
		}
	}
	integ := obj(op["x-amazon-apigateway-integration"])
	if integ == nil {
		return nil
	}
	pi := &apigatewayapi.PutIntegrationRequest{RestApiId: id, ResourceId: &resID, HttpMethod: &verb,
		Type: ptr.To(strings.ToUpper(str(integ["type"]))), RequestTemplates: strMap(integ["requestTemplates"]),
		RequestParameters: strMap(integ["requestParameters"])}
	if u := str(integ["uri"]); u != "" {
		pi.Uri = &u
	}
	if m := str(integ["httpMethod"]); m != "" {
		pi.IntegrationHttpMethod = ptr.To(strings.ToUpper(m))
	}
	if p := str(integ["passthroughBehavior"]); p != "" {
		pi.PassthroughBehavior = ptr.To(strings.ToUpper(p))
	}
	if t, err := strconv.Atoi(str(integ["timeoutInMillis"])); err == nil {
		pi.TimeoutInMillis = ptr.To(int32(t))
	}
	if c := str(integ["credentials"]); c != "" {
		pi.Credentials = &c
	}
	if c := str(integ["connectionType"]); c != "" {
		pi.ConnectionType = ptr.To(strings.ToUpper(c))
	}
	if c := str(integ["connectionId"]); c != "" {
		pi.ConnectionId = &c
	}
	if ks, ok := integ["cacheKeyParameters"].([]any); ok {
		for _, k := range ks {
			pi.CacheKeyParameters = append(pi.CacheKeyParameters, str(k))
		}
	}
	if _, err := s.PutIntegration(ctx, pi); err != nil {
		return err
	}
	for _, pattern := range sortedKeys(obj(integ["responses"])) {
		r := obj(obj(integ["responses"])[pattern])
		code := str(r["statusCode"])
		ir := &apigatewayapi.PutIntegrationResponseRequest{RestApiId: id, ResourceId: &resID, HttpMethod: &verb, StatusCode: &code,
			ResponseTemplates: strMap(r["responseTemplates"]), ResponseParameters: strMap(r["responseParameters"])}
		if pattern != "default" {
			ir.SelectionPattern = ptr.To(pattern)
		}
		if _, err := s.GetMethodResponse(ctx, &apigatewayapi.GetMethodResponseRequest{RestApiId: id, ResourceId: &resID, HttpMethod: &verb, StatusCode: &code}); err != nil {
			// A response the operation did not list: add its method
			// response, as API Gateway does.
			if _, err := s.PutMethodResponse(ctx, &apigatewayapi.PutMethodResponseRequest{RestApiId: id, ResourceId: &resID, HttpMethod: &verb, StatusCode: &code}); err != nil {
				return err
			}
		}
		if _, err := s.PutIntegrationResponse(ctx, ir); err != nil {
			return err
		}
	}
	return nil
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func refName(schema map[string]any) string {
	r := str(schema["$ref"])
	if i := strings.LastIndex(r, "/"); i >= 0 {
		return r[i+1:]
	}
	return ""
}

// GetExport writes the stage's deployed API as Swagger 2.0 ("swagger")
// or OpenAPI 3.0 ("oas30"), JSON or YAML (accepts application/yaml), with
// the integrations when parameters.extensions asks for "integrations" or
// "apigateway".
func (s *APIGateway) GetExport(ctx *request.Context, in *apigatewayapi.GetExportRequest) (*apigatewayapi.ExportResponse, error) {
	a, err := s.view(ctx, ptr.Deref(in.RestApiId))
	if err != nil {
		return nil, err
	}
	st, ok := a.Stages[ptr.Deref(in.StageName)]
	if !ok {
		return nil, errNoStage()
	}
	dep := a.Deployments[ptr.Deref(st.DeploymentId)]
	kind := ptr.Deref(in.ExportType)
	if kind != "swagger" && kind != "oas30" {
		return nil, apigatewayapi.ErrBadRequestException.New("Invalid export type specified. Valid values are swagger, oas30")
	}
	ext := in.Parameters["extensions"]
	withInteg := strings.Contains(ext, "integrations") || strings.Contains(ext, "apigateway")
	oas3 := kind == "oas30"
	doc := exportDoc(a, dep.Resources, *st.StageName, ctx.Region, oas3, withInteg)
	out := &apigatewayapi.ExportResponse{}
	if strings.Contains(ptr.Deref(in.Accepts), "yaml") {
		out.Body, err = yaml.Marshal(doc)
		out.ContentType = ptr.To("application/yaml")
	} else {
		out.Body, err = json.MarshalIndent(doc, "", "  ")
		out.ContentType = ptr.To("application/json")
	}
	if err != nil {
		return nil, err
	}
	ext2 := map[bool]string{true: "yaml", false: "json"}[strings.Contains(ptr.Deref(in.Accepts), "yaml")]
	out.ContentDisposition = ptr.To(fmt.Sprintf(`attachment; filename="%s_%s.%s"`, kind, *st.StageName, ext2))
	return out, nil
}

func exportDoc(a restAPI, resources map[string]apigatewayapi.Resource, stage, region string, oas3, withInteg bool) map[string]any {
	info := map[string]any{"title": ptr.Deref(a.API.Name), "version": ptr.Deref(a.API.CreatedDate).UTC().Format(time.RFC3339)}
	if v := ptr.Deref(a.API.Version); v != "" {
		info["version"] = v
	}
	if d := ptr.Deref(a.API.Description); d != "" {
		info["description"] = d
	}
	host := ptr.Deref(a.API.Id) + ".execute-api." + region + ".amazonaws.com"
	doc := map[string]any{"info": info}
	refPrefix := "#/definitions/"
	if oas3 {
		doc["openapi"] = "3.0.1"
		doc["servers"] = []any{map[string]any{"url": "https://" + host + "/{basePath}", "variables": map[string]any{"basePath": map[string]any{"default": stage}}}}
		refPrefix = "#/components/schemas/"
	} else {
		doc["swagger"], doc["host"], doc["basePath"], doc["schemes"] = "2.0", host, "/"+stage, []any{"https"}
	}
	keyNeeded := false
	usedAuthorizers := map[string]apigatewayapi.Authorizer{}
	paths := map[string]any{}
	for _, r := range sortedResources(resources) {
		if len(r.ResourceMethods) == 0 {
			continue
		}
		item := map[string]any{}
		for verb, m := range r.ResourceMethods {
			op := map[string]any{}
			var params []any
			for p, req := range m.RequestParameters {
				parts := strings.SplitN(strings.TrimPrefix(p, "method.request."), ".", 2)
				if len(parts) != 2 {
					continue
				}
				loc := map[string]string{"querystring": "query", "header": "header", "path": "path"}[parts[0]]
				if loc == "" {
					continue
				}
				pm := map[string]any{"name": parts[1], "in": loc, "required": req || loc == "path"}
				if oas3 {
					pm["schema"] = map[string]any{"type": "string"}
				} else {
					pm["type"] = "string"
				}
				params = append(params, pm)
			}
			sort.Slice(params, func(i, j int) bool { return obj(params[i])["name"].(string) < obj(params[j])["name"].(string) })
			if len(params) > 0 {
				op["parameters"] = params
			}
			if model, ok := m.RequestModels["application/json"]; ok && model != "Empty" {
				if oas3 {
					op["requestBody"] = map[string]any{"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": refPrefix + model}}}, "required": true}
				} else {
					op["parameters"] = append(params, map[string]any{"in": "body", "name": model, "required": true, "schema": map[string]any{"$ref": refPrefix + model}})
				}
			}
			responses := map[string]any{}
			for code := range m.MethodResponses {
				responses[code] = map[string]any{"description": code + " response"}
			}
			op["responses"] = responses
			var sec []any
			if ptr.Deref(m.ApiKeyRequired) {
				keyNeeded = true
				sec = append(sec, map[string]any{"api_key": []any{}})
			}
			if au, ok := a.Authorizers[ptr.Deref(m.AuthorizerId)]; ok && ptr.Deref(m.AuthorizationType) == "CUSTOM" {
				usedAuthorizers[ptr.Deref(au.Name)] = au
				sec = append(sec, map[string]any{ptr.Deref(au.Name): []any{}})
			}
			if len(sec) > 0 {
				op["security"] = sec
			}
			if withInteg && m.MethodIntegration != nil {
				op["x-amazon-apigateway-integration"] = exportIntegration(m.MethodIntegration)
			}
			key := strings.ToLower(verb)
			if verb == "ANY" {
				key = "x-amazon-apigateway-any-method"
			}
			item[key] = op
		}
		paths[ptr.Deref(r.Path)] = item
	}
	doc["paths"] = paths
	schemas := map[string]any{}
	for n, m := range a.Models {
		var v any
		if json.Unmarshal([]byte(ptr.Deref(m.Schema)), &v) == nil {
			schemas[n] = unrewriteRefs(v, ptr.Deref(a.API.Id), refPrefix)
		}
	}
	security := map[string]any{}
	if keyNeeded {
		security["api_key"] = map[string]any{"type": "apiKey", "name": "x-api-key", "in": "header"}
	}
	for name, au := range usedAuthorizers {
		security[name] = exportAuthorizer(au)
	}
	if oas3 {
		comp := map[string]any{"schemas": schemas}
		if len(security) > 0 {
			comp["securitySchemes"] = security
		}
		doc["components"] = comp
	} else {
		doc["definitions"] = schemas
		if len(security) > 0 {
			doc["securityDefinitions"] = security
		}
	}
	if withInteg {
		if src := ptr.Deref(a.API.ApiKeySource); src != "" && src != "HEADER" {
			doc["x-amazon-apigateway-api-key-source"] = src
		}
		if len(a.API.BinaryMediaTypes) > 0 {
			doc["x-amazon-apigateway-binary-media-types"] = a.API.BinaryMediaTypes
		}
		if p := ptr.Deref(a.API.Policy); p != "" {
			var v any
			if json.Unmarshal([]byte(p), &v) == nil {
				doc["x-amazon-apigateway-policy"] = v
			}
		}
	}
	return doc
}

func unrewriteRefs(v any, apiID, prefix string) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			if r, ok := e.(string); ok && k == "$ref" {
				if name, ok := strings.CutPrefix(r, modelURL(apiID, "")); ok {
					t[k] = prefix + name
					continue
				}
			}
			t[k] = unrewriteRefs(e, apiID, prefix)
		}
	case []any:
		for i, e := range t {
			t[i] = unrewriteRefs(e, apiID, prefix)
		}
	}
	return v
}

func exportIntegration(i *apigatewayapi.Integration) map[string]any {
	out := map[string]any{"type": strings.ToLower(ptr.Deref(i.Type))}
	if u := ptr.Deref(i.Uri); u != "" {
		out["uri"] = u
	}
	if m := ptr.Deref(i.HttpMethod); m != "" {
		out["httpMethod"] = m
	}
	if p := ptr.Deref(i.PassthroughBehavior); p != "" {
		out["passthroughBehavior"] = strings.ToLower(p)
	}
	if t := ptr.Deref(i.TimeoutInMillis); t != 0 {
		out["timeoutInMillis"] = t
	}
	if len(i.RequestTemplates) > 0 {
		out["requestTemplates"] = i.RequestTemplates
	}
	if len(i.RequestParameters) > 0 {
		out["requestParameters"] = i.RequestParameters
	}
	if c := ptr.Deref(i.Credentials); c != "" {
		out["credentials"] = c
	}
	if ptr.Deref(i.ConnectionType) == "VPC_LINK" {
		out["connectionType"], out["connectionId"] = "VPC_LINK", ptr.Deref(i.ConnectionId)
	}
	if len(i.CacheKeyParameters) > 0 {
		out["cacheKeyParameters"] = i.CacheKeyParameters
	}
	responses := map[string]any{}
	for code, r := range i.IntegrationResponses {
		key := ptr.Deref(r.SelectionPattern)
		if key == "" {
			key = "default"
		}
		e := map[string]any{"statusCode": code}
		if len(r.ResponseTemplates) > 0 {
			e["responseTemplates"] = r.ResponseTemplates
		}
		if len(r.ResponseParameters) > 0 {
			e["responseParameters"] = r.ResponseParameters
		}
		responses[key] = e
	}
	if len(responses) > 0 {
		out["responses"] = responses
	}
	return out
}

func patchOp(op, path, value string) apigatewayapi.PatchOperation {
	return apigatewayapi.PatchOperation{Op: &op, Path: &path, Value: &value}
}

// importAuthorizers creates the Lambda authorizers security schemes
// declare with x-amazon-apigateway-authorizer (one of the same name is
// reused on a merge), by scheme name.
func (s *APIGateway) importAuthorizers(ctx *request.Context, apiID string, schemes map[string]any) (map[string]string, error) {
	out := map[string]string{}
	existing := map[string]string{}
	if a, err := s.view(ctx, apiID); err == nil {
		for id, au := range a.Authorizers {
			existing[ptr.Deref(au.Name)] = id
		}
	}
	for _, name := range sortedKeys(schemes) {
		sc := obj(schemes[name])
		ext := obj(sc["x-amazon-apigateway-authorizer"])
		if ext == nil {
			continue
		}
		if id, ok := existing[name]; ok {
			out[name] = id
			continue
		}
		typ := strings.ToUpper(str(ext["type"]))
		in := &apigatewayapi.CreateAuthorizerRequest{RestApiId: &apiID, Name: ptr.To(name), Type: &typ}
		if typ == "COGNITO_USER_POOLS" {
			for _, arn := range asList(ext["providerARNs"]) {
				in.ProviderARNs = append(in.ProviderARNs, str(arn))
			}
		}
		if v := str(ext["authorizerUri"]); v != "" {
			in.AuthorizerUri = &v
		}
		if v := str(ext["authorizerCredentials"]); v != "" {
			in.AuthorizerCredentials = &v
		}
		src := str(ext["identitySource"])
		if src == "" && typ == "TOKEN" && str(sc["in"]) == "header" && str(sc["name"]) != "" {
			// A token authorizer's header is the scheme's own.
			src = "method.request.header." + str(sc["name"])
		}
		if src != "" {
			in.IdentitySource = &src
		}
		if v := str(ext["identityValidationExpression"]); v != "" {
			in.IdentityValidationExpression = &v
		}
		if ttl, err := strconv.Atoi(str(ext["authorizerResultTtlInSeconds"])); err == nil {
			in.AuthorizerResultTtlInSeconds = ptr.To(int32(ttl))
		}
		au, err := s.CreateAuthorizer(ctx, in)
		if err != nil {
			return nil, err
		}
		out[name] = *au.Id
	}
	return out, nil
}

// exportAuthorizer is a Lambda authorizer as a security scheme with
// x-amazon-apigateway-authorizer.
func exportAuthorizer(au apigatewayapi.Authorizer) map[string]any {
	ext := map[string]any{"type": strings.ToLower(ptr.Deref(au.Type))}
	if v := ptr.Deref(au.AuthorizerUri); v != "" {
		ext["authorizerUri"] = v
	}
	if v := ptr.Deref(au.AuthorizerCredentials); v != "" {
		ext["authorizerCredentials"] = v
	}
	if v := ptr.Deref(au.IdentitySource); v != "" {
		ext["identitySource"] = v
	}
	if v := ptr.Deref(au.IdentityValidationExpression); v != "" {
		ext["identityValidationExpression"] = v
	}
	if au.AuthorizerResultTtlInSeconds != nil {
		ext["authorizerResultTtlInSeconds"] = *au.AuthorizerResultTtlInSeconds
	}
	header := "Unused"
	if h, ok := strings.CutPrefix(ptr.Deref(au.IdentitySource), "method.request.header."); ok && !strings.Contains(h, ",") {
		header = h
	}
	return map[string]any{"type": "apiKey", "name": header, "in": "header",
		"x-amazon-apigateway-authtype": "custom", "x-amazon-apigateway-authorizer": ext}
}
