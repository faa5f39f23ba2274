package apigateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/jsonschema4"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Models (JSON Schema draft 4) and request validators, and the
// validation the data plane runs before the integration: required
// request parameters and the request body against the method's model for
// its content type.

// maxSchema bounds a model's schema (AWS allows 400 KB).
const maxSchema = 400 << 10

var modelNameRE = lazyre.New(`^[a-zA-Z0-9]+$`)

// modelURL is the address other models $ref a model by, as on AWS.
func modelURL(apiID, name string) string {
	return "https://apigateway.amazonaws.com/restapis/" + apiID + "/models/" + name
}

// defaultModels are the models AWS creates with every REST API.
func defaultModels() map[string]apigatewayapi.ModelShape {
	return map[string]apigatewayapi.ModelShape{
		"Empty": {Id: ptr.To(newID()), Name: ptr.To("Empty"), ContentType: ptr.To("application/json"),
			Description: ptr.To("This is a default empty schema model"),
			Schema:      ptr.To("{\n  \"$schema\": \"http://json-schema.org/draft-04/schema#\",\n  \"title\" : \"Empty Schema\",\n  \"type\" : \"object\"\n}")},
		"Error": {Id: ptr.To(newID()), Name: ptr.To("Error"), ContentType: ptr.To("application/json"),
			Description: ptr.To("This is a default error schema model"),
			Schema:      ptr.To("{\n  \"$schema\" : \"http://json-schema.org/draft-04/schema#\",\n  \"title\" : \"Error Schema\",\n  \"type\" : \"object\",\n  \"properties\" : {\n    \"message\" : { \"type\" : \"string\" }\n  }\n}")},
	}
}

// compileModel compiles the model named name (JSON Schema draft 4) with
// the API's other models available to $ref by their model URL; any other
// reference is refused.
func compileModel(apiID string, models map[string]apigatewayapi.ModelShape, name string) (*jsonschema4.Schema, error) {
	prefix := modelURL(apiID, "")
	return jsonschema4.Compile(modelURL(apiID, name), func(url string) (string, bool) {
		n, ok := strings.CutPrefix(url, prefix)
		if !ok {
			return "", false
		}
		m, ok := models[n]
		return ptr.Deref(m.Schema), ok
	})
}

func errNoModel() error {
	return apigatewayapi.ErrNotFoundException.New("Invalid model name specified")
}

func (s *APIGateway) CreateModel(ctx *request.Context, in *apigatewayapi.CreateModelRequest) (*apigatewayapi.ModelShape, error) {
	name := ptr.Deref(in.Name)
	if !modelNameRE.MatchString(name) {
		return nil, apigatewayapi.ErrBadRequestException.New("Model name must be non-empty and alphanumeric")
	}
	if ptr.Deref(in.ContentType) == "" {
		return nil, apigatewayapi.ErrBadRequestException.New("Content type must be non-empty")
	}
	m := apigatewayapi.ModelShape{Id: ptr.To(newID()), Name: &name, Description: in.Description, Schema: in.Schema, ContentType: in.ContentType}
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		if _, ok := a.Models[name]; ok {
			return apigatewayapi.ErrConflictException.New("Model name already exists for this REST API")
		}
		if a.Models == nil {
			a.Models = map[string]apigatewayapi.ModelShape{}
		}
		a.Models[name] = m
		return checkSchema(a, name)
	})
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// checkSchema refuses a model whose schema is not a valid JSON schema
// (JSON models only: other content types are not validated).
func checkSchema(a *restAPI, name string) error {
	m := a.Models[name]
	if len(ptr.Deref(m.Schema)) > maxSchema {
		return apigatewayapi.ErrBadRequestException.New("Model schema is too large (at most %d bytes)", maxSchema)
	}
	if m.Schema == nil || !strings.Contains(ptr.Deref(m.ContentType), "json") {
		return nil
	}
	if _, err := compileModel(ptr.Deref(a.API.Id), a.Models, name); err != nil {
		return apigatewayapi.ErrBadRequestException.New("Invalid model specified: Validation Result: warnings : [], errors : [%s]", oneLine(err))
	}
	return nil
}

func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}

func (s *APIGateway) GetModel(ctx *request.Context, in *apigatewayapi.GetModelRequest) (*apigatewayapi.ModelShape, error) {
	a, err := s.view(ctx, ptr.Deref(in.RestApiId))
	if err != nil {
		return nil, err
	}
	m, ok := a.Models[ptr.Deref(in.ModelName)]
	if !ok {
		return nil, errNoModel()
	}
	return &m, nil
}

func (s *APIGateway) GetModels(ctx *request.Context, in *apigatewayapi.GetModelsRequest) (*apigatewayapi.Models, error) {
	a, err := s.view(ctx, ptr.Deref(in.RestApiId))
	if err != nil {
		return nil, err
	}
	out := &apigatewayapi.Models{Items: []apigatewayapi.ModelShape{}}
	for _, m := range a.Models {
		out.Items = append(out.Items, m)
	}
	sort.Slice(out.Items, func(i, j int) bool { return *out.Items[i].Name < *out.Items[j].Name })
	return out, nil
}

func (s *APIGateway) UpdateModel(ctx *request.Context, in *apigatewayapi.UpdateModelRequest) (*apigatewayapi.ModelShape, error) {
	var out apigatewayapi.ModelShape
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		m, ok := a.Models[ptr.Deref(in.ModelName)]
		if !ok {
			return errNoModel()
		}
		if err := applyPatch(&m, in.PatchOperations, patchPaths{"/schema", "/description"}, nil); err != nil {
			return err
		}
		a.Models[*m.Name] = m
		out = m
		return checkSchema(a, *m.Name)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteModel refuses while a method's request or response uses the
// model.
func (s *APIGateway) DeleteModel(ctx *request.Context, in *apigatewayapi.DeleteModelRequest) (*apigatewayapi.DeleteModelOutput, error) {
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		name := ptr.Deref(in.ModelName)
		if _, ok := a.Models[name]; !ok {
			return errNoModel()
		}
		for _, r := range a.Resources {
			for _, m := range r.ResourceMethods {
				used := false
				for _, v := range m.RequestModels {
					used = used || v == name
				}
				for _, mr := range m.MethodResponses {
					for _, v := range mr.ResponseModels {
						used = used || v == name
					}
				}
				if used {
					return apigatewayapi.ErrConflictException.New("Cannot delete model '%s', is referenced in method request: %s/%s", name, ptr.Deref(r.Path), ptr.Deref(m.HttpMethod))
				}
			}
		}
		delete(a.Models, name)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayapi.DeleteModelOutput{}, nil
}

// GetModelTemplate writes a mapping template that copies the model's
// top-level properties from the input, as the console's generator does
// for flat objects.
func (s *APIGateway) GetModelTemplate(ctx *request.Context, in *apigatewayapi.GetModelTemplateRequest) (*apigatewayapi.Template, error) {
	m, err := s.GetModel(ctx, &apigatewayapi.GetModelRequest{RestApiId: in.RestApiId, ModelName: in.ModelName})
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema4.Decode([]byte(ptr.Deref(m.Schema)))
	if err != nil {
		return nil, apigatewayapi.ErrBadRequestException.New("Invalid model schema: %s", oneLine(err))
	}
	var b bytes.Buffer
	b.WriteString("#set($inputRoot = $input.path('$'))\n{\n")
	obj, _ := doc.(map[string]any)
	props, _ := obj["properties"].(map[string]any)
	names := make([]string, 0, len(props))
	for k := range props {
		names = append(names, k)
	}
	sort.Strings(names)
	for i, k := range names {
		p, _ := props[k].(map[string]any)
		val := `"$inputRoot.` + k + `"`
		switch p["type"] {
		case "integer", "number", "boolean":
			val = "$inputRoot." + k
		}
		fmt.Fprintf(&b, "  %q : %s", k, val)
		if i < len(names)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("}")
	return &apigatewayapi.Template{Value: ptr.To(b.String())}, nil
}

func errNoValidator() error {
	return apigatewayapi.ErrNotFoundException.New("Invalid Request Validator identifier specified")
}

func (s *APIGateway) CreateRequestValidator(ctx *request.Context, in *apigatewayapi.CreateRequestValidatorRequest) (*apigatewayapi.RequestValidator, error) {
	v := apigatewayapi.RequestValidator{Id: ptr.To(newID()), Name: in.Name,
		ValidateRequestBody: ptr.To(ptr.Deref(in.ValidateRequestBody)), ValidateRequestParameters: ptr.To(ptr.Deref(in.ValidateRequestParameters))}
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		for _, o := range a.Validators {
			if ptr.Deref(o.Name) == ptr.Deref(v.Name) && v.Name != nil {
				return apigatewayapi.ErrConflictException.New("Validator with name '%s' already exists for this REST API", *v.Name)
			}
		}
		if a.Validators == nil {
			a.Validators = map[string]apigatewayapi.RequestValidator{}
		}
		a.Validators[*v.Id] = v
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &v, nil
}

func (s *APIGateway) GetRequestValidator(ctx *request.Context, in *apigatewayapi.GetRequestValidatorRequest) (*apigatewayapi.RequestValidator, error) {
	a, err := s.view(ctx, ptr.Deref(in.RestApiId))
	if err != nil {
		return nil, err
	}
	v, ok := a.Validators[ptr.Deref(in.RequestValidatorId)]
	if !ok {
		return nil, errNoValidator()
	}
	return &v, nil
}

func (s *APIGateway) GetRequestValidators(ctx *request.Context, in *apigatewayapi.GetRequestValidatorsRequest) (*apigatewayapi.RequestValidators, error) {
	a, err := s.view(ctx, ptr.Deref(in.RestApiId))
	if err != nil {
		return nil, err
	}
	out := &apigatewayapi.RequestValidators{Items: []apigatewayapi.RequestValidator{}}
	for _, v := range a.Validators {
		out.Items = append(out.Items, v)
	}
	sort.Slice(out.Items, func(i, j int) bool { return ptr.Deref(out.Items[i].Name) < ptr.Deref(out.Items[j].Name) })
	return out, nil
}

func (s *APIGateway) UpdateRequestValidator(ctx *request.Context, in *apigatewayapi.UpdateRequestValidatorRequest) (*apigatewayapi.RequestValidator, error) {
	var out apigatewayapi.RequestValidator
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		v, ok := a.Validators[ptr.Deref(in.RequestValidatorId)]
		if !ok {
			return errNoValidator()
		}
		if err := applyPatch(&v, in.PatchOperations, patchPaths{"/name", "/validateRequestBody", "/validateRequestParameters"}, nil); err != nil {
			return err
		}
		a.Validators[*v.Id] = v
		out = v
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func (s *APIGateway) DeleteRequestValidator(ctx *request.Context, in *apigatewayapi.DeleteRequestValidatorRequest) (*apigatewayapi.DeleteRequestValidatorOutput, error) {
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		id := ptr.Deref(in.RequestValidatorId)
		if _, ok := a.Validators[id]; !ok {
			return errNoValidator()
		}
		delete(a.Validators, id)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayapi.DeleteRequestValidatorOutput{}, nil
}

var (
	errBadBody = gatewayError{typ: "BAD_REQUEST_BODY", status: 400, kind: "BadRequestException", message: "Invalid request body"}
)

// validate runs the method's request validator: required parameters
// ("Missing required request parameters: [a, b]") and the body against
// the model for its content type ("Invalid request body").
func (c *call) validate() (gatewayError, bool) {
	v, ok := c.api.Validators[ptr.Deref(c.method.RequestValidatorId)]
	if !ok {
		return gatewayError{}, true
	}
	if ptr.Deref(v.ValidateRequestParameters) {
		var missing []string
		for p, required := range c.method.RequestParameters {
			if required && !c.hasParameter(p) {
				missing = append(missing, p[strings.LastIndex(p, ".")+1:])
			}
		}
		if len(missing) > 0 {
			sort.Strings(missing)
			return gatewayError{typ: "BAD_REQUEST_PARAMETERS", status: 400, kind: "BadRequestException",
				message: "Missing required request parameters: [" + strings.Join(missing, ", ") + "]"}, false
		}
	}
	if ptr.Deref(v.ValidateRequestBody) {
		ct := strings.TrimSpace(strings.Split(c.r.Header.Get("Content-Type"), ";")[0])
		if ct == "" {
			ct = "application/json"
		}
		name, ok := c.method.RequestModels[ct]
		if !ok {
			name, ok = c.method.RequestModels["$default"]
		}
		if !ok || name == "Empty" {
			return gatewayError{}, true
		}
		sch, err := compileModel(c.apiID, c.api.Models, name)
		if err != nil {
			return errBadBody, false
		}
		doc, err := jsonschema4.Decode(c.body)
		if err != nil {
			return errBadBody, false
		}
		if msgs := sch.Validate(doc); len(msgs) > 0 {
			// $context.error.validationErrorString, as AWS writes it: the
			// messages' quotes escaped for the JSON string templates put
			// it in ({"message": "$context.error.validationErrorString"}).
			e := errBadBody
			e.detail = escapeJSONString("[" + strings.Join(msgs, ", ") + "]")
			return e, false
		}
	}
	return gatewayError{}, true
}

// hasParameter reports whether a method.request.{querystring,header,path}
// parameter is present.
func (c *call) hasParameter(p string) bool {
	if name, ok := strings.CutPrefix(p, "method.request.querystring."); ok {
		return c.r.URL.Query().Has(name)
	}
	if name, ok := strings.CutPrefix(p, "method.request.multivaluequerystring."); ok {
		return c.r.URL.Query().Has(name)
	}
	if name, ok := strings.CutPrefix(p, "method.request.header."); ok {
		return len(c.r.Header.Values(http.CanonicalHeaderKey(name))) > 0
	}
	if name, ok := strings.CutPrefix(p, "method.request.multivalueheader."); ok {
		return len(c.r.Header.Values(http.CanonicalHeaderKey(name))) > 0
	}
	if name, ok := strings.CutPrefix(p, "method.request.path."); ok {
		return c.pathParams[name] != ""
	}
	return true
}

// escapeJSONString escapes s as the inside of a JSON string (quotes,
// backslashes, control characters an instance string may carry).
func escapeJSONString(s string) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		return s
	}
	out := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	return string(out[1 : len(out)-1])
}
