package apigateway

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

const authURI = "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:auth/invocations"

func TestPolicyDecision(t *testing.T) {
	arn := "arn:aws:execute-api:us-east-1:000000000000:abcdefghij/prod/GET/rows/7"
	stmt := func(effect, resource string) string {
		return `{"Effect":"` + effect + `","Action":"execute-api:Invoke","Resource":` + resource + `}`
	}
	for _, tc := range []struct {
		name, doc string
		want      iam.Reason
	}{
		{"exact allow", `{"Version":"2012-10-17","Statement":[` + stmt("Allow", `"`+arn+`"`) + `]}`, iam.Allowed},
		{"wildcard allow", `{"Version":"2012-10-17","Statement":[` + stmt("Allow", `"arn:aws:execute-api:us-east-1:000000000000:abcdefghij/*/GET/*"`) + `]}`, iam.Allowed},
		{"list allow", `{"Version":"2012-10-17","Statement":[` + stmt("Allow", `["x","arn:aws:execute-api:*"]`) + `]}`, iam.Allowed},
		{"other method", `{"Version":"2012-10-17","Statement":[` + stmt("Allow", `"arn:aws:execute-api:us-east-1:000000000000:abcdefghij/prod/POST/*"`) + `]}`, iam.ImplicitDeny},
		{"deny wins", `{"Version":"2012-10-17","Statement":[` + stmt("Allow", `"*"`) + `,` + stmt("Deny", `"arn:aws:execute-api:*:*:*/prod/GET/rows/*"`) + `]}`, iam.ExplicitDeny},
		{"other action", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`, iam.ImplicitDeny},
		{"action wildcard", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:*","Resource":"*"}]}`, iam.Allowed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := policyDecision(json.RawMessage(tc.doc), "000000000000", arn)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("%v, want %v", got, tc.want)
			}
		})
	}
	if _, err := policyDecision(json.RawMessage(`{"Statement": 7}`), "0", arn); err == nil {
		t.Fatal("malformed policy accepted")
	}
}

func TestAuthorizerControlPlane(t *testing.T) {
	e := newEnv(t)
	ctx := e.h.Ctx()
	api := must[*apigatewayapi.RestApi](t)(e.s.CreateRestApi(ctx, &apigatewayapi.CreateRestApiRequest{Name: ptr.To("a")}))
	for _, tc := range []struct {
		name string
		in   apigatewayapi.CreateAuthorizerRequest
		msg  string
	}{
		{"cognito", apigatewayapi.CreateAuthorizerRequest{Name: ptr.To("c"), Type: ptr.To("COGNITO_USER_POOLS"), ProviderARNs: []string{"arn:aws:cognito-idp:us-east-1:0:userpool/x"}, IdentitySource: ptr.To("method.request.header.Authorization")}, "Cognito"},
		{"bad type", apigatewayapi.CreateAuthorizerRequest{Name: ptr.To("c"), Type: ptr.To("JWT"), AuthorizerUri: ptr.To(authURI)}, "Invalid authorizer type"},
		{"no uri", apigatewayapi.CreateAuthorizerRequest{Name: ptr.To("c"), Type: ptr.To("TOKEN"), IdentitySource: ptr.To("method.request.header.Authorization")}, "Invalid Authorizer URI"},
		{"token source", apigatewayapi.CreateAuthorizerRequest{Name: ptr.To("c"), Type: ptr.To("TOKEN"), AuthorizerUri: ptr.To(authURI), IdentitySource: ptr.To("method.request.querystring.t")}, "identity source"},
		{"request cache no source", apigatewayapi.CreateAuthorizerRequest{Name: ptr.To("c"), Type: ptr.To("REQUEST"), AuthorizerUri: ptr.To(authURI)}, "Identity source"},
		{"ttl", apigatewayapi.CreateAuthorizerRequest{Name: ptr.To("c"), Type: ptr.To("TOKEN"), AuthorizerUri: ptr.To(authURI), IdentitySource: ptr.To("method.request.header.A"), AuthorizerResultTtlInSeconds: ptr.To(int32(4000))}, "TTL"},
	} {
		in := tc.in
		in.RestApiId = api.Id
		_, err := e.s.CreateAuthorizer(ctx, &in)
		wantCode(t, err, apigatewayapi.ErrBadRequestException, tc.msg)
	}
	au := must[*apigatewayapi.Authorizer](t)(e.s.CreateAuthorizer(ctx, &apigatewayapi.CreateAuthorizerRequest{RestApiId: api.Id, Name: ptr.To("tok"), Type: ptr.To("TOKEN"),
		AuthorizerUri: ptr.To(authURI), IdentitySource: ptr.To("method.request.header.Authorization")}))
	if ptr.Deref(au.AuthorizerResultTtlInSeconds) != 300 {
		t.Fatalf("default TTL %d", ptr.Deref(au.AuthorizerResultTtlInSeconds))
	}
	_, err := e.s.PutMethod(ctx, &apigatewayapi.PutMethodRequest{RestApiId: api.Id, ResourceId: api.RootResourceId, HttpMethod: ptr.To("GET"), AuthorizationType: ptr.To("CUSTOM"), AuthorizerId: ptr.To("nope")})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "Invalid authorizer ID")
	_, err = e.s.PutMethod(ctx, &apigatewayapi.PutMethodRequest{RestApiId: api.Id, ResourceId: api.RootResourceId, HttpMethod: ptr.To("GET"), AuthorizationType: ptr.To("COGNITO_USER_POOLS")})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "Cognito")
	must[*apigatewayapi.Method](t)(e.s.PutMethod(ctx, &apigatewayapi.PutMethodRequest{RestApiId: api.Id, ResourceId: api.RootResourceId, HttpMethod: ptr.To("GET"), AuthorizationType: ptr.To("CUSTOM"), AuthorizerId: au.Id}))
	_, err = e.s.DeleteAuthorizer(ctx, &apigatewayapi.DeleteAuthorizerRequest{RestApiId: api.Id, AuthorizerId: au.Id})
	wantCode(t, err, apigatewayapi.ErrConflictException, "GET:/")
	up := must[*apigatewayapi.Authorizer](t)(e.s.UpdateAuthorizer(ctx, &apigatewayapi.UpdateAuthorizerRequest{RestApiId: api.Id, AuthorizerId: au.Id,
		PatchOperations: ops(patch("replace", "/authorizerResultTtlInSeconds", "0"), patch("replace", "/name", "renamed"))}))
	if *up.AuthorizerResultTtlInSeconds != 0 || *up.Name != "renamed" {
		t.Fatalf("updated %+v", up)
	}
	list := must[*apigatewayapi.Authorizers](t)(e.s.GetAuthorizers(ctx, &apigatewayapi.GetAuthorizersRequest{RestApiId: api.Id}))
	if len(list.Items) != 1 {
		t.Fatalf("%d authorizers", len(list.Items))
	}
	must[*apigatewayapi.Method](t)(e.s.UpdateMethod(ctx, &apigatewayapi.UpdateMethodRequest{RestApiId: api.Id, ResourceId: api.RootResourceId, HttpMethod: ptr.To("GET"),
		PatchOperations: ops(patch("replace", "/authorizationType", "NONE"))}))
	must[*apigatewayapi.DeleteAuthorizerOutput](t)(e.s.DeleteAuthorizer(ctx, &apigatewayapi.DeleteAuthorizerRequest{RestApiId: api.Id, AuthorizerId: au.Id}))
	_, err = e.s.GetAuthorizer(ctx, &apigatewayapi.GetAuthorizerRequest{RestApiId: api.Id, AuthorizerId: au.Id})
	wantCode(t, err, apigatewayapi.ErrNotFoundException, "Invalid Authorizer identifier specified")
}

// authAPI deploys GET /items/{id} (MOCK, rendering $context.authorizer)
// behind the authorizer the request describes.
func (e *env) authAPI(au apigatewayapi.CreateAuthorizerRequest) (apiID, authID string) {
	t, ctx := e.t, e.h.Ctx()
	b := e.build(mockIntegration, false)
	au.RestApiId, au.AuthorizerUri = &b.api, ptr.To(authURI)
	a := must[*apigatewayapi.Authorizer](t)(e.s.CreateAuthorizer(ctx, &au))
	must[*apigatewayapi.Method](t)(e.s.UpdateMethod(ctx, &apigatewayapi.UpdateMethodRequest{RestApiId: &b.api, ResourceId: &b.item, HttpMethod: ptr.To("ANY"),
		PatchOperations: ops(patch("replace", "/authorizationType", "CUSTOM"), patch("replace", "/authorizerId", *a.Id))}))
	must[*apigatewayapi.IntegrationResponse](t)(e.s.UpdateIntegrationResponse(ctx, &apigatewayapi.UpdateIntegrationResponseRequest{RestApiId: &b.api, ResourceId: &b.item, HttpMethod: ptr.To("ANY"), StatusCode: ptr.To("200"),
		PatchOperations: ops(patch("replace", "/responseTemplates/application~1json", `{"who": "$context.authorizer.principalId", "tier": "$context.authorizer.tier"}`))}))
	must[*apigatewayapi.Deployment](t)(e.s.CreateDeployment(ctx, &apigatewayapi.CreateDeploymentRequest{RestApiId: &b.api, StageName: ptr.To("test")}))
	return b.api, *a.Id
}

// allowAll is an authorizer function: token "allow" → Allow on the
// request's method ARN with context, "deny" → Deny, "other" → Allow on
// another method, "bad" → a malformed answer, anything else → the
// "Unauthorized" error.
func allowAll(_ string, payload []byte) ([]byte, string) {
	var ev map[string]any
	_ = json.Unmarshal(payload, &ev)
	token, _ := ev["authorizationToken"].(string)
	if ev["type"] == "REQUEST" {
		q, _ := ev["queryStringParameters"].(map[string]any)
		token, _ = q["t"].(string)
	}
	arn, _ := ev["methodArn"].(string)
	policy := func(effect, resource string) string {
		return `{"principalId":"user-1","context":{"tier":"gold","n":3},"policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"` + effect + `","Resource":"` + resource + `"}]}}`
	}
	switch token {
	case "allow":
		return []byte(policy("Allow", arn)), ""
	case "deny":
		return []byte(policy("Deny", arn)), ""
	case "other":
		return []byte(policy("Allow", strings.Replace(arn, "/GET/", "/POST/", 1))), ""
	case "bad":
		return []byte(`{"principalId":"x"}`), ""
	}
	return []byte(`{"errorMessage":"Unauthorized","errorType":"Error"}`), "Unhandled"
}

func TestTokenAuthorizer(t *testing.T) {
	e := newEnv(t)
	e.fns.reply = allowAll
	api, _ := e.authAPI(apigatewayapi.CreateAuthorizerRequest{Name: ptr.To("tok"), Type: ptr.To("TOKEN"),
		IdentitySource: ptr.To("method.request.header.Authorization"), IdentityValidationExpression: ptr.To("[a-z]+"), AuthorizerResultTtlInSeconds: ptr.To(int32(60))})
	url := "http://" + api + ".execute-api.localhost/test/items/7"
	for _, tc := range []struct {
		token  string
		status int
		body   string
	}{
		{"allow", 200, `{"who": "user-1", "tier": "gold"}`},
		{"", 401, `{"message":"Unauthorized"}`},
		{"BAD-FORMAT", 401, `{"message":"Unauthorized"}`},
		{"nope", 401, `{"message":"Unauthorized"}`},
		{"deny", 403, `{"Message":"User is not authorized to access this resource with an explicit deny"}`},
		{"other", 403, `{"Message":"User is not authorized to access this resource"}`},
		{"bad", 500, `{"message":null}`},
	} {
		h := map[string]string{}
		if tc.token != "" {
			h["Authorization"] = tc.token
		}
		if s, b, _ := e.do("GET", url, "", h); s != tc.status || b != tc.body {
			t.Errorf("token %q: %d %s, want %d %s", tc.token, s, b, tc.status, tc.body)
		}
	}
	// The expression failed before any call; "allow" was answered once
	// and is cached: a second call does not reach the function.
	calls := len(e.fns.payloads)
	var ev map[string]any
	_ = json.Unmarshal(e.fns.payloads[0], &ev)
	if ev["type"] != "TOKEN" || ev["authorizationToken"] != "allow" || ev["methodArn"] != "arn:aws:execute-api:"+e.h.Ctx().Region+":"+e.h.Ctx().Account+":"+api+"/test/GET/items/7" {
		t.Fatalf("event %v", ev)
	}
	if s, _, _ := e.do("GET", url, "", map[string]string{"Authorization": "allow"}); s != 200 || len(e.fns.payloads) != calls {
		t.Fatalf("cached call: %d, %d calls (was %d)", s, len(e.fns.payloads), calls)
	}
	// The cached policy names /GET/items/7 only: the same token on
	// another item is denied without a call, as on AWS.
	if s, _, _ := e.do("GET", "http://"+api+".execute-api.localhost/test/items/8", "", map[string]string{"Authorization": "allow"}); s != 403 || len(e.fns.payloads) != calls {
		t.Fatalf("cached policy on another ARN: %d, %d calls", s, len(e.fns.payloads))
	}
	e.h.Clock.Advance(61 * time.Second)
	if s, _, _ := e.do("GET", url, "", map[string]string{"Authorization": "allow"}); s != 200 || len(e.fns.payloads) != calls+1 {
		t.Fatalf("after the TTL: %d, %d calls (was %d)", s, len(e.fns.payloads), calls)
	}
	must[*apigatewayapi.FlushStageAuthorizersCacheOutput](t)(e.s.FlushStageAuthorizersCache(e.h.Ctx(), &apigatewayapi.FlushStageAuthorizersCacheRequest{RestApiId: &api, StageName: ptr.To("test")}))
	if s, _, _ := e.do("GET", url, "", map[string]string{"Authorization": "allow"}); s != 200 || len(e.fns.payloads) != calls+2 {
		t.Fatalf("after a flush: %d, %d calls", s, len(e.fns.payloads))
	}
}

func TestRequestAuthorizer(t *testing.T) {
	e := newEnv(t)
	e.fns.reply = allowAll
	api, authID := e.authAPI(apigatewayapi.CreateAuthorizerRequest{Name: ptr.To("req"), Type: ptr.To("REQUEST"),
		IdentitySource: ptr.To("method.request.querystring.t, method.request.header.X-Team"), AuthorizerResultTtlInSeconds: ptr.To(int32(0))})
	url := "http://" + api + ".execute-api.localhost/test/items/7"
	if s, b, _ := e.do("GET", url+"?t=allow", "", nil); s != 401 || b != `{"message":"Unauthorized"}` || len(e.fns.payloads) != 0 {
		t.Fatalf("missing header source: %d %s, %d calls", s, b, len(e.fns.payloads))
	}
	if s, b, _ := e.do("GET", url+"?t=allow", "", map[string]string{"X-Team": "blue"}); s != 200 || b != `{"who": "user-1", "tier": "gold"}` {
		t.Fatalf("allowed: %d %s", s, b)
	}
	var ev map[string]any
	_ = json.Unmarshal(e.fns.payloads[0], &ev)
	if ev["type"] != "REQUEST" || ev["path"] != "/items/7" || ev["httpMethod"] != "GET" || ev["resource"] != "/items/{id}" {
		t.Fatalf("event %v", ev)
	}
	if pp, _ := ev["pathParameters"].(map[string]any); pp["id"] != "7" {
		t.Fatalf("pathParameters %v", ev["pathParameters"])
	}
	// TTL 0: every call reaches the function.
	e.do("GET", url+"?t=allow", "", map[string]string{"X-Team": "blue"})
	if len(e.fns.payloads) != 2 {
		t.Fatalf("%d calls with caching off", len(e.fns.payloads))
	}
	out := must[*apigatewayapi.TestInvokeAuthorizerResponse](t)(e.s.TestInvokeAuthorizer(e.h.Ctx(), &apigatewayapi.TestInvokeAuthorizerRequest{RestApiId: &api, AuthorizerId: &authID,
		Headers: map[string]string{"X-Team": "red"}, PathWithQueryString: ptr.To("/items/1?t=allow")}))
	if ptr.Deref(out.ClientStatus) != 200 || ptr.Deref(out.PrincipalId) != "user-1" || !strings.Contains(ptr.Deref(out.Policy), "execute-api:Invoke") || out.Authorization["tier"][0] != "gold" {
		t.Fatalf("test invoke %+v", out)
	}
	out = must[*apigatewayapi.TestInvokeAuthorizerResponse](t)(e.s.TestInvokeAuthorizer(e.h.Ctx(), &apigatewayapi.TestInvokeAuthorizerRequest{RestApiId: &api, AuthorizerId: &authID,
		PathWithQueryString: ptr.To("/items/1?t=allow")}))
	if ptr.Deref(out.ClientStatus) != 401 {
		t.Fatalf("test invoke without a source: %+v", out)
	}
}

// TestAuthorizerAPIKey: with apiKeySource AUTHORIZER the key comes from
// the authorizer's usageIdentifierKey, not the x-api-key header.
func TestAuthorizerAPIKey(t *testing.T) {
	e := newEnv(t)
	ctx := e.h.Ctx()
	value := "abcdefghijklmnopqrstuvwxyz"
	e.fns.reply = func(fn string, payload []byte) ([]byte, string) {
		out, fe := allowAll(fn, payload)
		var m map[string]any
		_ = json.Unmarshal(out, &m)
		m["usageIdentifierKey"] = value
		b, _ := json.Marshal(m)
		return b, fe
	}
	api, _ := e.authAPI(apigatewayapi.CreateAuthorizerRequest{Name: ptr.To("tok"), Type: ptr.To("TOKEN"), IdentitySource: ptr.To("method.request.header.Authorization")})
	must[*apigatewayapi.RestApi](t)(e.s.UpdateRestApi(ctx, &apigatewayapi.UpdateRestApiRequest{RestApiId: &api, PatchOperations: ops(patch("replace", "/apiKeySource", "AUTHORIZER"))}))
	res := must[*apigatewayapi.Resources](t)(e.s.GetResources(ctx, &apigatewayapi.GetResourcesRequest{RestApiId: &api}))
	for _, r := range res.Items {
		if *r.Path == "/items/{id}" {
			must[*apigatewayapi.Method](t)(e.s.UpdateMethod(ctx, &apigatewayapi.UpdateMethodRequest{RestApiId: &api, ResourceId: r.Id, HttpMethod: ptr.To("ANY"),
				PatchOperations: ops(patch("replace", "/apiKeyRequired", "true"))}))
		}
	}
	must[*apigatewayapi.Deployment](t)(e.s.CreateDeployment(ctx, &apigatewayapi.CreateDeploymentRequest{RestApiId: &api, StageName: ptr.To("test")}))
	url := "http://" + api + ".execute-api.localhost/test/items/7"
	if s, _, _ := e.do("GET", url, "", map[string]string{"Authorization": "allow"}); s != 403 {
		t.Fatalf("key not in a plan yet: %d", s)
	}
	key := must[*apigatewayapi.ApiKey](t)(e.s.CreateApiKey(ctx, &apigatewayapi.CreateApiKeyRequest{Name: ptr.To("k"), Enabled: ptr.To(true), Value: &value}))
	plan := must[*apigatewayapi.UsagePlan](t)(e.s.CreateUsagePlan(ctx, &apigatewayapi.CreateUsagePlanRequest{Name: ptr.To("p"), ApiStages: []apigatewayapi.ApiStage{{ApiId: &api, Stage: ptr.To("test")}}}))
	must[*apigatewayapi.UsagePlanKey](t)(e.s.CreateUsagePlanKey(ctx, &apigatewayapi.CreateUsagePlanKeyRequest{UsagePlanId: plan.Id, KeyId: key.Id, KeyType: ptr.To("API_KEY")}))
	if s, b, _ := e.do("GET", url, "", map[string]string{"Authorization": "allow"}); s != 200 {
		t.Fatalf("key from the authorizer: %d %s", s, b)
	}
}

// TestAuthorizerFunctionPolicy: an authorizer's function is invoked only
// when its policy allows API Gateway for the authorizer's source ARN
// (arn:aws:execute-api:<region>:<account>:<api>/authorizers/<id>);
// otherwise the call is 500 {"message":null}.
func TestAuthorizerFunctionPolicy(t *testing.T) {
	e := newEnv(t)
	e.fns.reply = allowAll
	perms := &fakePermissions{allowed: map[string]bool{}}
	e.s.perms = perms
	api, id := e.authAPI(apigatewayapi.CreateAuthorizerRequest{Name: ptr.To("tok"), Type: ptr.To("TOKEN"),
		IdentitySource: ptr.To("method.request.header.Authorization"), AuthorizerResultTtlInSeconds: ptr.To(int32(0))})
	url := "http://" + api + ".execute-api.localhost/test/items/7"
	h := map[string]string{"Authorization": "allow"}
	if s, body, _ := e.do("GET", url, "", h); s != 500 || body != `{"message":null}` || len(e.fns.payloads) != 0 {
		t.Fatalf("without permission: %d %s", s, body)
	}
	src := "arn:aws:execute-api:us-east-1:" + e.h.Ctx().Account + ":" + api + "/authorizers/" + id
	if len(perms.asked) != 1 || perms.asked[0] != src {
		t.Fatalf("asked %v, want %s", perms.asked, src)
	}
	perms.allowed[src] = true
	if s, body, _ := e.do("GET", url, "", h); s != 200 {
		t.Fatalf("with permission: %d %s", s, body)
	}
}
