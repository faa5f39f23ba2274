package apigatewayv2

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	apigatewayv2api "github.com/niwa-cloud/niwa/internal/api/apigatewayv2"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// authorize applies the route's authorization type: NONE, AWS_IAM (a
// SigV4 signature niwa verifies), JWT or CUSTOM (a Lambda authorizer).
// Authorizers are read from the stage's deployment.
func (s *APIGatewayV2) authorize(c *call) (gatewayError, bool) {
	switch ptr.Deref(c.route.AuthorizationType) {
	case "AWS_IAM":
		return s.authorizeIAM(c)
	case "JWT":
		au, ok := c.dep.Authorizers[ptr.Deref(c.route.AuthorizerId)]
		if !ok {
			return errInternal, false
		}
		return s.authorizeJWT(c, au)
	case "CUSTOM":
		au, ok := c.dep.Authorizers[ptr.Deref(c.route.AuthorizerId)]
		if !ok {
			return errInternal, false
		}
		return s.authorizeLambda(c, au)
	}
	return gatewayError{}, true
}

// authorizeIAM requires a valid SigV4 signature (header or presigned
// query). Identity policies on execute-api:Invoke are not evaluated:
// any caller with valid credentials is let through.
func (s *APIGatewayV2) authorizeIAM(c *call) (gatewayError, bool) {
	authz := c.r.Header.Get("Authorization")
	if !strings.HasPrefix(authz, "AWS4-") && c.r.URL.Query().Get("X-Amz-Signature") == "" {
		c.authorizerErr = "Missing Authentication Token"
		return errForbidden, false
	}
	info := map[string]any{"accessKey": accessKeyOf(c), "principalOrgId": nil}
	if s.sigs != nil {
		arn, account, err := s.sigs.Verify(c.r)
		if err != nil {
			c.authorizerErr = err.Error()
			return errForbidden, false
		}
		info["accountId"], info["userArn"] = account, arn
		info["callerId"] = arn
		info["userId"] = arn
		if i := strings.LastIndexAny(arn, "/:"); i >= 0 {
			info["userId"] = arn[i+1:]
		}
	}
	c.authorizer = map[string]any{"iam": info}
	return gatewayError{}, true
}

// accessKeyOf is the access key a signed request names.
func accessKeyOf(c *call) string {
	cred := c.r.URL.Query().Get("X-Amz-Credential")
	if h := c.r.Header.Get("Authorization"); h != "" {
		if _, rest, ok := strings.Cut(h, "Credential="); ok {
			cred, _, _ = strings.Cut(rest, ",")
		}
	}
	ak, _, _ := strings.Cut(cred, "/")
	return ak
}

// identityValue evaluates one identity source; ok false when it is
// absent (or empty).
func (c *call) identityValue(src string) (string, bool) {
	var v string
	switch {
	case strings.HasPrefix(src, "$request.header."):
		v = strings.Join(c.r.Header.Values(strings.TrimPrefix(src, "$request.header.")), ",")
	case strings.HasPrefix(src, "$request.querystring."):
		v = strings.Join(c.r.URL.Query()[strings.TrimPrefix(src, "$request.querystring.")], ",")
	case strings.HasPrefix(src, "$context."):
		v = c.contextValue(strings.TrimPrefix(src, "$context."))
	case strings.HasPrefix(src, "$stageVariables."):
		v = c.stage.StageVariables[strings.TrimPrefix(src, "$stageVariables.")]
	}
	return v, v != ""
}

func (s *APIGatewayV2) authorizeJWT(c *call, au apigatewayv2api.Authorizer) (gatewayError, bool) {
	src := "$request.header.Authorization"
	if len(au.IdentitySource) > 0 {
		src = au.IdentitySource[0]
	}
	token, ok := c.identityValue(src)
	if !ok {
		c.authorizerErr = "Unauthorized"
		return errUnauthorized, false
	}
	if t, found := cutPrefixFold(token, "Bearer "); found {
		token = strings.TrimSpace(t)
	}
	claims, scopes, err := s.verifyJWT(c.r.Context(), au.JwtConfiguration, token, s.clock.Now())
	if err != nil {
		c.authorizerErr = err.Error()
		return errUnauthorized, false
	}
	if want := c.route.AuthorizationScopes; len(want) > 0 {
		granted := false
		for _, sc := range scopes {
			for _, w := range want {
				granted = granted || sc == w
			}
		}
		if !granted {
			c.authorizerErr = "Insufficient scopes"
			return errForbidden, false
		}
	}
	strClaims := map[string]any{}
	for k, v := range claims {
		strClaims[k] = claimString(v)
	}
	var sc any
	if len(scopes) > 0 {
		sc = scopes
	}
	c.authorizer = map[string]any{"jwt": map[string]any{"claims": strClaims, "scopes": sc}}
	return gatewayError{}, true
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// claimString renders a claim as HTTP APIs pass claims on: strings;
// lists as "[a b]".
func claimString(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case json.Number:
		return t.String()
	case []any:
		parts := make([]string, len(t))
		for i, x := range t {
			parts[i] = claimString(x)
		}
		return "[" + strings.Join(parts, " ") + "]"
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// authEntry is a cached Lambda authorizer answer.
type authEntry struct {
	answer  authAnswer
	expires time.Time
}

// authAnswer is what a Lambda authorizer said.
type authAnswer struct {
	simple      bool
	allowed     bool
	principalID string
	policy      json.RawMessage
	context     map[string]any
}

// routeARN is the call's execute-api ARN:
// arn:aws:execute-api:<region>:<account>:<api>/<stage>/<METHOD>/<path>.
func (c *call) routeARN() string {
	return "arn:aws:execute-api:" + c.loc.Region + ":" + c.loc.Account + ":" + c.apiID + "/" + c.stageName() + "/" +
		c.r.Method + c.path
}

func (s *APIGatewayV2) flushAuthorizers(apiID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.authCache {
		if strings.HasPrefix(k, apiID+"/") {
			delete(s.authCache, k)
		}
	}
}

func (s *APIGatewayV2) authorizeLambda(c *call, au apigatewayv2api.Authorizer) (gatewayError, bool) {
	var values []string
	for _, src := range au.IdentitySource {
		v, ok := c.identityValue(src)
		if !ok {
			c.authorizerErr = "Unauthorized"
			return errUnauthorized, false
		}
		values = append(values, v)
	}
	ttl := time.Duration(ptr.Deref(au.AuthorizerResultTtlInSeconds)) * time.Second
	key := c.apiID + "/" + ptr.Deref(au.AuthorizerId) + "/" + strings.Join(values, "\x00")
	now := s.clock.Now()
	var ans authAnswer
	cached := false
	if ttl > 0 {
		s.mu.Lock()
		e, ok := s.authCache[key]
		s.mu.Unlock()
		if ok && now.Before(e.expires) {
			ans, cached = e.answer, true
		}
	}
	if !cached {
		var gerr *gatewayError
		ans, gerr = s.runAuthorizer(c, au, values)
		if gerr != nil {
			return *gerr, false
		}
		if ttl > 0 {
			s.mu.Lock()
			s.authCache[key] = authEntry{answer: ans, expires: now.Add(ttl)}
			s.mu.Unlock()
		}
	}
	if ans.simple {
		if !ans.allowed {
			c.authorizerErr = "Forbidden"
			return errForbidden, false
		}
	} else {
		pol, err := iam.Parse(string(ans.policy))
		if err != nil {
			c.authorizerErr = "The authorizer's policy does not parse"
			return errInternal, false
		}
		d := iam.Evaluate(iam.Request{
			Principal: iam.Principal{ARN: "arn:aws:iam::" + c.loc.Account + ":user/authorizer", Account: c.loc.Account},
			Action:    "execute-api:Invoke", Resource: c.routeARN(),
		}, iam.Policies{Identity: []*iam.Policy{pol}})
		if !d.Allowed() {
			c.authorizerErr = "Forbidden"
			return errForbidden, false
		}
	}
	lambda := map[string]any{}
	for k, v := range ans.context {
		lambda[k] = v
	}
	c.authorizer = map[string]any{"lambda": lambda}
	if ans.principalID != "" {
		c.authorizer["principalId"] = ans.principalID
	}
	return gatewayError{}, true
}

// authorizerEvent1 is a 1.0 REQUEST authorizer's event.
type authorizerEvent1 struct {
	event1
	Type           string `json:"type"`
	MethodArn      string `json:"methodArn"`
	IdentitySource string `json:"identitySource"`
}

// authorizerEvent2 is a 2.0 REQUEST authorizer's event.
type authorizerEvent2 struct {
	Version               string            `json:"version"`
	Type                  string            `json:"type"`
	RouteArn              string            `json:"routeArn"`
	IdentitySource        []string          `json:"identitySource"`
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies,omitempty"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	RequestContext        requestContext2   `json:"requestContext"`
	PathParameters        map[string]string `json:"pathParameters,omitempty"`
	StageVariables        map[string]string `json:"stageVariables,omitempty"`
}

// runAuthorizer calls the authorizer's function and reads its answer.
func (s *APIGatewayV2) runAuthorizer(c *call, au apigatewayv2api.Authorizer, values []string) (authAnswer, *gatewayError) {
	version := ptr.Deref(au.AuthorizerPayloadFormatVersion)
	var ev any
	if version == "1.0" {
		e1 := c.event1()
		e1.Body, e1.IsBase64Encoded = nil, false
		ev = authorizerEvent1{event1: e1, Type: "REQUEST", MethodArn: c.routeARN(), IdentitySource: strings.Join(values, ",")}
	} else {
		e2 := c.event2()
		ev = authorizerEvent2{Version: "2.0", Type: "REQUEST", RouteArn: c.routeARN(), IdentitySource: values,
			RouteKey: e2.RouteKey, RawPath: e2.RawPath, RawQueryString: e2.RawQueryString, Cookies: e2.Cookies,
			Headers: e2.Headers, QueryStringParameters: e2.QueryStringParameters, RequestContext: e2.RequestContext,
			PathParameters: e2.PathParameters, StageVariables: e2.StageVariables}
	}
	payload, err := marshal(ev)
	if err != nil {
		return authAnswer{}, &errInternal
	}
	fn := ""
	if m := authorizerURI.FindStringSubmatch(ptr.Deref(au.AuthorizerUri)); m != nil {
		fn = m[1]
	}
	out, fnErr, gerr := s.invoke(c.r.Context(), fn, 10*time.Second, payload)
	if gerr != nil {
		c.authorizerErr = gerr.message
		return authAnswer{}, &errInternal
	}
	if fnErr != "" {
		var e struct {
			ErrorMessage string `json:"errorMessage"`
		}
		_ = json.Unmarshal(out, &e)
		if e.ErrorMessage == "Unauthorized" {
			c.authorizerErr = "Unauthorized"
			return authAnswer{}, &errUnauthorized
		}
		c.authorizerErr = "The authorizer function failed: " + fnErr
		return authAnswer{}, &errInternal
	}
	ans, err := readAuthorizerAnswer(out, ptr.Deref(au.EnableSimpleResponses))
	if err != nil {
		c.authorizerErr = err.Error()
		return authAnswer{}, &errInternal
	}
	return ans, nil
}

// readAuthorizerAnswer reads a simple ({"isAuthorized": bool,
// "context": {...}}) or IAM policy answer.
func readAuthorizerAnswer(out []byte, simple bool) (authAnswer, error) {
	var r struct {
		IsAuthorized   *bool           `json:"isAuthorized"`
		PrincipalID    string          `json:"principalId"`
		PolicyDocument json.RawMessage `json:"policyDocument"`
		Context        map[string]any  `json:"context"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return authAnswer{}, fmt.Errorf("the authorizer's answer is not a JSON object")
	}
	if simple {
		if r.IsAuthorized == nil {
			return authAnswer{}, fmt.Errorf("the authorizer's simple answer has no isAuthorized")
		}
		return authAnswer{simple: true, allowed: *r.IsAuthorized, context: r.Context}, nil
	}
	if len(r.PolicyDocument) == 0 {
		return authAnswer{}, fmt.Errorf("the authorizer's answer has no policyDocument")
	}
	return authAnswer{principalID: r.PrincipalID, policy: r.PolicyDocument, context: r.Context}, nil
}

// contextValue is $context.<name> for identity sources, mappings and
// access logs.
func (c *call) contextValue(name string) string {
	switch name {
	case "requestId", "extendedRequestId":
		return c.reqID
	case "apiId":
		return c.apiID
	case "accountId":
		return c.loc.Account
	case "stage":
		return c.stageName()
	case "routeKey":
		return c.routeKey()
	case "httpMethod":
		return c.r.Method
	case "path":
		return c.rawPath
	case "protocol":
		return c.r.Proto
	case "domainName":
		return c.domainName()
	case "domainPrefix":
		return c.domainPrefix()
	case "requestTime":
		return c.now.Format(requestTimeLayout)
	case "requestTimeEpoch":
		return fmt.Sprint(c.now.UnixMilli())
	case "identity.sourceIp":
		return sourceIP(c.r)
	case "identity.userAgent":
		return c.r.UserAgent()
	case "status":
		if c.w.status == 0 {
			return ""
		}
		return fmt.Sprint(c.w.status)
	case "responseLength":
		return fmt.Sprint(c.w.length)
	case "integrationStatus", "integration.status":
		if c.integStatus == 0 {
			return "-"
		}
		return fmt.Sprint(c.integStatus)
	case "integrationErrorMessage", "integration.error":
		return c.integErr
	case "integrationLatency", "integration.latency":
		return fmt.Sprint(c.integLatency.Milliseconds())
	case "authorizer.error":
		return c.authorizerErr
	case "error.message":
		return ""
	}
	if claim, ok := strings.CutPrefix(name, "authorizer.claims."); ok {
		if jwt, ok := c.authorizer["jwt"].(map[string]any); ok {
			if cl, ok := jwt["claims"].(map[string]any); ok {
				return fmt.Sprint(cl[claim])
			}
		}
		return ""
	}
	if key, ok := strings.CutPrefix(name, "authorizer."); ok {
		if l, ok := c.authorizer["lambda"].(map[string]any); ok {
			if v, ok := l[key]; ok {
				return fmt.Sprint(v)
			}
		}
		if key == "principalId" {
			if p, ok := c.authorizer["principalId"].(string); ok {
				return p
			}
		}
		return ""
	}
	if key, ok := strings.CutPrefix(name, "identity."); ok {
		if i, ok := c.authorizer["iam"].(map[string]any); ok {
			m := map[string]string{"accountId": "accountId", "caller": "callerId", "user": "userId", "userArn": "userArn", "accessKey": "accessKey"}
			if v, ok := i[m[key]].(string); ok {
				return v
			}
		}
	}
	return ""
}
