package apigateway

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"time"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Lambda authorizers (TOKEN and REQUEST). The control plane keeps them in
// the API record; the data plane calls the function with AWS's event,
// caches its answer by identity source for authorizerResultTtlInSeconds
// on niwa's clock, and evaluates the returned policy against the method
// ARN with niwa's IAM engine. COGNITO_USER_POOLS is refused: niwa has no
// Cognito user pools whose tokens it could verify.

// maxAuthorizers is AWS's quota of authorizers per API.
const maxAuthorizers = 10

// defaultAuthorizerTTL is authorizerResultTtlInSeconds when not given.
const defaultAuthorizerTTL = 300

// maxAuthCache bounds the authorizer result cache; when full, expired
// entries go first and then everything (a cache miss only costs a call).
const maxAuthCache = 10000

const cognitoRefusal = "niwa does not implement Amazon Cognito user pools, so COGNITO_USER_POOLS authorizers cannot verify tokens; use a Lambda (TOKEN or REQUEST) authorizer"

var authorizerPaths = patchPaths{"/name", "/authorizerUri", "/authorizerCredentials", "/identitySource",
	"/identityValidationExpression", "/authorizerResultTtlInSeconds", "/type", "/authType"}

func errNoAuthorizer() error {
	return apigatewayapi.ErrNotFoundException.New("Invalid Authorizer identifier specified")
}

// identitySources splits a REQUEST authorizer's identitySource.
func identitySources(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// validateAuthorizer checks an authorizer as CreateAuthorizer and
// UpdateAuthorizer leave it.
func validateAuthorizer(a *apigatewayapi.Authorizer) error {
	if ptr.Deref(a.Name) == "" {
		return apigatewayapi.ErrBadRequestException.New("Authorizer name must be non-empty")
	}
	switch ptr.Deref(a.Type) {
	case "TOKEN", "REQUEST":
	case "COGNITO_USER_POOLS":
		return apigatewayapi.ErrBadRequestException.New(cognitoRefusal)
	default:
		return apigatewayapi.ErrBadRequestException.New("Invalid authorizer type specified. Valid values are TOKEN, REQUEST, COGNITO_USER_POOLS")
	}
	if lambdaFunction(ptr.Deref(a.AuthorizerUri)) == "" {
		return apigatewayapi.ErrBadRequestException.New("Invalid Authorizer URI: %s. Authorizer URI should be a valid API Gateway ARN that represents a Lambda function invocation.", ptr.Deref(a.AuthorizerUri))
	}
	ttl := ptr.Deref(a.AuthorizerResultTtlInSeconds)
	if ttl < 0 || ttl > 3600 {
		return apigatewayapi.ErrBadRequestException.New("Authorizer result TTL must be between 0 and 3600 seconds")
	}
	src := ptr.Deref(a.IdentitySource)
	if ptr.Deref(a.Type) == "TOKEN" {
		if name, ok := strings.CutPrefix(src, "method.request.header."); !ok || name == "" {
			return apigatewayapi.ErrBadRequestException.New("Invalid identity source specified: '%s'. A TOKEN authorizer's identity source must be method.request.header.<name>", src)
		}
		if e := ptr.Deref(a.IdentityValidationExpression); e != "" {
			if _, err := regexp.Compile(e); err != nil {
				return apigatewayapi.ErrBadRequestException.New("Invalid identity validation expression specified: %s", e)
			}
		}
		return nil
	}
	srcs := identitySources(src)
	if len(srcs) == 0 && ttl > 0 {
		return apigatewayapi.ErrBadRequestException.New("Identity source must be specified when authorizer caching is enabled")
	}
	for _, s := range srcs {
		if !validIdentitySource(s) {
			return apigatewayapi.ErrBadRequestException.New("Invalid identity source specified: '%s'", s)
		}
	}
	return nil
}

func validIdentitySource(s string) bool {
	for _, p := range []string{"method.request.header.", "method.request.querystring.", "method.request.path.", "stageVariables.", "context."} {
		if name, ok := strings.CutPrefix(s, p); ok && name != "" {
			return true
		}
	}
	return false
}

func (s *APIGateway) CreateAuthorizer(ctx *request.Context, in *apigatewayapi.CreateAuthorizerRequest) (*apigatewayapi.Authorizer, error) {
	id := newID()
	au := apigatewayapi.Authorizer{Id: &id, Name: in.Name, Type: in.Type, ProviderARNs: in.ProviderARNs, AuthType: in.AuthType,
		AuthorizerUri: in.AuthorizerUri, AuthorizerCredentials: in.AuthorizerCredentials, IdentitySource: in.IdentitySource,
		IdentityValidationExpression: in.IdentityValidationExpression, AuthorizerResultTtlInSeconds: in.AuthorizerResultTtlInSeconds}
	if au.AuthorizerResultTtlInSeconds == nil {
		au.AuthorizerResultTtlInSeconds = ptr.To(int32(defaultAuthorizerTTL))
	}
	if err := validateAuthorizer(&au); err != nil {
		return nil, err
	}
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		if len(a.Authorizers) >= maxAuthorizers {
			return apigatewayapi.ErrLimitExceededException.New("Maximum number of authorizers for this API has been reached (%d)", maxAuthorizers)
		}
		if a.Authorizers == nil {
			a.Authorizers = map[string]apigatewayapi.Authorizer{}
		}
		a.Authorizers[id] = au
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &au, nil
}

func (s *APIGateway) GetAuthorizer(ctx *request.Context, in *apigatewayapi.GetAuthorizerRequest) (*apigatewayapi.Authorizer, error) {
	a, err := s.view(ctx, ptr.Deref(in.RestApiId))
	if err != nil {
		return nil, err
	}
	au, ok := a.Authorizers[ptr.Deref(in.AuthorizerId)]
	if !ok {
		return nil, errNoAuthorizer()
	}
	return &au, nil
}

func (s *APIGateway) GetAuthorizers(ctx *request.Context, in *apigatewayapi.GetAuthorizersRequest) (*apigatewayapi.Authorizers, error) {
	a, err := s.view(ctx, ptr.Deref(in.RestApiId))
	if err != nil {
		return nil, err
	}
	out := &apigatewayapi.Authorizers{Items: []apigatewayapi.Authorizer{}}
	for _, au := range a.Authorizers {
		out.Items = append(out.Items, au)
	}
	sort.Slice(out.Items, func(i, j int) bool { return *out.Items[i].Name < *out.Items[j].Name })
	return out, nil
}

func (s *APIGateway) UpdateAuthorizer(ctx *request.Context, in *apigatewayapi.UpdateAuthorizerRequest) (*apigatewayapi.Authorizer, error) {
	var out apigatewayapi.Authorizer
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		au, ok := a.Authorizers[ptr.Deref(in.AuthorizerId)]
		if !ok {
			return errNoAuthorizer()
		}
		if err := applyPatch(&au, in.PatchOperations, authorizerPaths, nil); err != nil {
			return err
		}
		if err := validateAuthorizer(&au); err != nil {
			return err
		}
		a.Authorizers[*au.Id] = au
		out = au
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.flushAuthorizers(ptr.Deref(in.RestApiId))
	return &out, nil
}

// DeleteAuthorizer refuses while a method uses the authorizer.
func (s *APIGateway) DeleteAuthorizer(ctx *request.Context, in *apigatewayapi.DeleteAuthorizerRequest) (*apigatewayapi.DeleteAuthorizerOutput, error) {
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		id := ptr.Deref(in.AuthorizerId)
		au, ok := a.Authorizers[id]
		if !ok {
			return errNoAuthorizer()
		}
		for _, r := range sortedResources(a.Resources) {
			for verb, m := range r.ResourceMethods {
				if ptr.Deref(m.AuthorizerId) == id {
					return apigatewayapi.ErrConflictException.New("Cannot delete authorizer '%s', is referenced in method: '%s:%s'", ptr.Deref(au.Name), verb, ptr.Deref(r.Path))
				}
			}
		}
		delete(a.Authorizers, id)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.flushAuthorizers(ptr.Deref(in.RestApiId))
	return &apigatewayapi.DeleteAuthorizerOutput{}, nil
}

// authEntry is one cached authorizer answer.
type authEntry struct {
	expires time.Time
	result  authResult
}

// authResult is what a Lambda authorizer returns.
type authResult struct {
	PrincipalID        string          `json:"principalId"`
	PolicyDocument     json.RawMessage `json:"policyDocument"`
	Context            map[string]any  `json:"context"`
	UsageIdentifierKey string          `json:"usageIdentifierKey"`
}

var (
	errUnauthorized = gatewayError{typ: "UNAUTHORIZED", status: 401, kind: "UnauthorizedException", message: "Unauthorized"}
	// An authorizer that fails or answers something unusable: 500 with a
	// null message, as AWS answers AuthorizerConfigurationException.
	errAuthorizerConfig = gatewayError{typ: "AUTHORIZER_CONFIGURATION_ERROR", status: 500, kind: "AuthorizerConfigurationException", null: true}
	// Policy denials: AWS spells the member "Message" in these bodies.
	errExplicitDeny = gatewayError{typ: "ACCESS_DENIED", status: 403, kind: "AccessDeniedException", message: "User is not authorized to access this resource with an explicit deny", template: capitalMessageTemplate}
	errImplicitDeny = gatewayError{typ: "ACCESS_DENIED", status: 403, kind: "AccessDeniedException", message: "User is not authorized to access this resource", template: capitalMessageTemplate}
)

const capitalMessageTemplate = `{"Message":$context.error.messageString}`

// methodARN is the execute-api ARN of the call, as authorizer policies
// name it: arn:aws:execute-api:<region>:<account>:<api>/<stage>/<VERB>/<path>.
func (c *call) methodARN() string {
	return "arn:aws:execute-api:" + c.loc.Region + ":" + c.loc.Account + ":" + c.apiID + "/" +
		ptr.Deref(c.stage.StageName) + "/" + c.r.Method + "/" + strings.TrimPrefix(c.path, "/")
}

// identityValue reads one identity source from the call; "" when absent.
func (c *call) identityValue(src string) string {
	if name, ok := strings.CutPrefix(src, "method.request.header."); ok {
		return c.r.Header.Get(name)
	}
	if name, ok := strings.CutPrefix(src, "method.request.querystring."); ok {
		return c.r.URL.Query().Get(name)
	}
	if name, ok := strings.CutPrefix(src, "method.request.path."); ok {
		return c.pathParams[name]
	}
	if name, ok := strings.CutPrefix(src, "stageVariables."); ok {
		return c.stage.Variables[name]
	}
	if name, ok := strings.CutPrefix(src, "context."); ok {
		if v, ok := c.contextVars()[name].(string); ok {
			return v
		}
	}
	return ""
}

// authorizerEvent is the event a TOKEN or REQUEST authorizer gets, and
// the identity its answer is cached under; ok false when an identity
// source is missing (401 without calling the function).
func (c *call) authorizerEvent(au apigatewayapi.Authorizer) (event map[string]any, identity string, ok bool) {
	if ptr.Deref(au.Type) == "TOKEN" {
		token := c.identityValue(ptr.Deref(au.IdentitySource))
		if token == "" {
			return nil, "", false
		}
		if e := ptr.Deref(au.IdentityValidationExpression); e != "" {
			re, err := regexp.Compile("^(?:" + e + ")$")
			if err != nil || !re.MatchString(token) {
				return nil, "", false
			}
		}
		return map[string]any{"type": "TOKEN", "authorizationToken": token, "methodArn": c.methodARN()}, token, true
	}
	var parts []string
	for _, src := range identitySources(ptr.Deref(au.IdentitySource)) {
		v := c.identityValue(src)
		if v == "" {
			return nil, "", false
		}
		parts = append(parts, v)
	}
	ev := c.proxyEvent()
	ev.Body, ev.IsBase64Encoded = nil, false
	b, _ := json.Marshal(ev)
	event = map[string]any{}
	_ = json.Unmarshal(b, &event)
	delete(event, "body")
	delete(event, "isBase64Encoded")
	event["type"], event["methodArn"] = "REQUEST", c.methodARN()
	return event, strings.Join(parts, "\x00"), true
}

// runAuthorizer gets the authorizer's answer for the call, from the
// cache while it is fresh.
func (s *APIGateway) runAuthorizer(c *call, au apigatewayapi.Authorizer) (authResult, *gatewayError) {
	event, identity, ok := c.authorizerEvent(au)
	if !ok {
		return authResult{}, &errUnauthorized
	}
	ttl := time.Duration(ptr.Deref(au.AuthorizerResultTtlInSeconds)) * time.Second
	key := c.apiID + "/" + ptr.Deref(au.Id) + "/" + identity
	if ttl > 0 {
		s.amu.Lock()
		e, hit := s.authCache[key]
		s.amu.Unlock()
		if hit && c.now.Before(e.expires) {
			return e.result, nil
		}
	}
	payload, err := json.Marshal(event)
	if err != nil {
		return authResult{}, &errAuthorizerConfig
	}
	// The function is invoked with the authorizer's credentials, or as
	// API Gateway when its policy allows the authorizer's source ARN.
	integ := apigatewayapi.Integration{Uri: au.AuthorizerUri, TimeoutInMillis: ptr.To(int32(10000)), Credentials: au.AuthorizerCredentials}
	src := "arn:aws:execute-api:" + c.loc.Region + ":" + c.loc.Account + ":" + c.apiID + "/authorizers/" + ptr.Deref(au.Id)
	out, fnErr, gerr := s.invokeFunction(c, &integ, src, payload)
	if gerr != nil {
		return authResult{}, &errAuthorizerConfig
	}
	if fnErr != "" {
		var e struct {
			ErrorMessage string `json:"errorMessage"`
		}
		_ = json.Unmarshal(out, &e)
		// A function that fails with "Unauthorized" is how an authorizer
		// says the token is invalid (Developer Guide, "Lambda authorizer
		// output").
		if e.ErrorMessage == "Unauthorized" {
			return authResult{}, &errUnauthorized
		}
		return authResult{}, &errAuthorizerConfig
	}
	var res authResult
	if json.Unmarshal(out, &res) != nil || res.PrincipalID == "" || len(res.PolicyDocument) == 0 {
		return authResult{}, &errAuthorizerConfig
	}
	for _, v := range res.Context {
		switch v.(type) {
		case string, float64, bool:
		default:
			// Only strings, numbers and booleans may be context values.
			return authResult{}, &errAuthorizerConfig
		}
	}
	if ttl > 0 {
		s.amu.Lock()
		if len(s.authCache) >= maxAuthCache {
			for k, e := range s.authCache {
				if !c.now.Before(e.expires) {
					delete(s.authCache, k)
				}
			}
			if len(s.authCache) >= maxAuthCache {
				s.authCache = map[string]authEntry{}
			}
		}
		s.authCache[key] = authEntry{expires: c.now.Add(ttl), result: res}
		s.amu.Unlock()
	}
	return res, nil
}

// flushAuthorizers drops an API's cached authorizer answers.
func (s *APIGateway) flushAuthorizers(apiID string) {
	s.amu.Lock()
	defer s.amu.Unlock()
	for k := range s.authCache {
		if strings.HasPrefix(k, apiID+"/") {
			delete(s.authCache, k)
		}
	}
}

// policyDecision evaluates an authorizer's policy for the method ARN.
func policyDecision(doc json.RawMessage, account, methodARN string) (iam.Reason, error) {
	pol, err := iam.Parse(string(doc))
	if err != nil {
		return iam.ImplicitDeny, err
	}
	// The policy is the caller's identity policy for this one call; the
	// principal is any non-root identity of the API's account.
	d := iam.Evaluate(iam.Request{
		Principal: iam.Principal{ARN: "arn:aws:iam::" + account + ":user/authorizer", Account: account},
		Action:    "execute-api:Invoke", Resource: methodARN,
	}, iam.Policies{Identity: []*iam.Policy{pol}})
	return d.Reason, nil
}

// authorize runs a CUSTOM method's authorizer and evaluates its policy.
func (s *APIGateway) authorize(c *call) (gatewayError, bool) {
	au, ok := c.api.Authorizers[ptr.Deref(c.method.AuthorizerId)]
	if !ok {
		return errAuthorizerConfig, false
	}
	res, gerr := s.runAuthorizer(c, au)
	if gerr != nil {
		return *gerr, false
	}
	reason, err := policyDecision(res.PolicyDocument, c.loc.Account, c.methodARN())
	if err != nil {
		return errAuthorizerConfig, false
	}
	switch reason {
	case iam.ExplicitDeny:
		return errExplicitDeny, false
	case iam.ImplicitDeny:
		return errImplicitDeny, false
	}
	authz := map[string]any{"principalId": res.PrincipalID}
	for k, v := range res.Context {
		authz[k] = v
	}
	c.authorizer, c.usageKey = authz, res.UsageIdentifierKey
	return gatewayError{}, true
}

// TestInvokeAuthorizer calls the authorizer with the given request parts
// as the data plane would (bypassing the cache), and reports its answer.
func (s *APIGateway) TestInvokeAuthorizer(ctx *request.Context, in *apigatewayapi.TestInvokeAuthorizerRequest) (*apigatewayapi.TestInvokeAuthorizerResponse, error) {
	a, err := s.view(ctx, ptr.Deref(in.RestApiId))
	if err != nil {
		return nil, err
	}
	au, ok := a.Authorizers[ptr.Deref(in.AuthorizerId)]
	if !ok {
		return nil, errNoAuthorizer()
	}
	au.AuthorizerResultTtlInSeconds = ptr.To(int32(0))
	target := ptr.Deref(in.PathWithQueryString)
	if !strings.HasPrefix(target, "/") {
		target = "/" + target
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://test-invoke"+target, strings.NewReader(ptr.Deref(in.Body)))
	if err != nil {
		return nil, apigatewayapi.ErrBadRequestException.New("Invalid pathWithQueryString: %s", target)
	}
	for k, vs := range in.MultiValueHeaders {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	for k, v := range in.Headers {
		r.Header.Set(k, v)
	}
	c := &call{r: r, reqID: "test-invoke-request", now: ctx.Now().UTC(), loc: location{ctx.Account, ctx.Region},
		api: a, apiID: ptr.Deref(in.RestApiId), path: r.URL.Path,
		stage: apigatewayapi.Stage{StageName: ptr.To("test-invoke-stage"), Variables: in.StageVariables}}
	start := time.Now()
	res, gerr := s.runAuthorizer(c, au)
	out := &apigatewayapi.TestInvokeAuthorizerResponse{Latency: ptr.To(time.Since(start).Milliseconds()), Log: ptr.To("")}
	if gerr != nil {
		out.ClientStatus = ptr.To(int32(gerr.status))
		return out, nil
	}
	out.ClientStatus = ptr.To(int32(200))
	out.PrincipalId = &res.PrincipalID
	out.Policy = ptr.To(string(res.PolicyDocument))
	out.Authorization = map[string][]string{}
	for k, v := range res.Context {
		b, _ := json.Marshal(v)
		out.Authorization[k] = []string{strings.Trim(string(b), `"`)}
	}
	return out, nil
}
