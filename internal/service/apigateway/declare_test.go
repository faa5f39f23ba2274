package apigateway

import (
	"net/http/httptest"
	"strings"
	"testing"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"

	"github.com/niwa-cloud/niwa/internal/servicetest"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// TestInvokeRoute: the declared raw route takes invoke URLs (by host and
// by _user_request_ path) and leaves the control plane's /restapis paths
// to the API.
func TestInvokeRoute(t *testing.T) {
	h := servicetest.New(t, "apigateway")
	d := New(Options{Store: h.Store(), Clock: h.Clock}).Declare()
	if len(d.Routes) != 1 {
		t.Fatalf("%d routes", len(d.Routes))
	}
	route := d.Routes[0]
	// Only ids of REST APIs are claimed: HTTP APIs (apigatewayv2) take
	// the others.
	if err := h.Store().Update(func(tx storage.Tx) error {
		return index.Put(tx, storage.Scope{}, location{Account: h.Account, Region: h.Region}, "abcde12345")
	}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		host, path       string
		invoke           bool
		api, stage, rest string
	}{
		{"abcde12345.execute-api.localhost:4566", "/prod/a/b", true, "abcde12345", "prod", "/a/b"},
		{"abcde12345.execute-api.localhost", "/prod", true, "abcde12345", "prod", "/"},
		{"localhost:4566", "/restapis/abcde12345/prod/_user_request_/a", true, "abcde12345", "prod", "/a"},
		{"localhost:4566", "/restapis/abcde12345/prod/_user_request_", true, "abcde12345", "prod", "/"},
		{"localhost:4566", "/restapis/abcde12345/stages/prod", false, "", "", ""},
		{"localhost:4566", "/restapis", false, "", "", ""},
		{"localhost:4566", "/restapis/abcde12345/prod/_user_request_x", false, "", "", ""},
		{"bucket.s3.localhost:4566", "/prod/a", false, "", "", ""},
		{"zzzzz12345.execute-api.localhost:4566", "/prod/a", false, "", "", ""},
		{"localhost:4566", "/restapis/zzzzz12345/prod/_user_request_/a", false, "", "", ""},
	} {
		r := httptest.NewRequest("GET", "http://"+tc.host+tc.path, nil)
		if got := route.Match(r); got != tc.invoke {
			t.Errorf("%s%s: match %v, want %v", tc.host, tc.path, got, tc.invoke)
			continue
		}
		if api, stage, rest, _ := invokeTarget(r); tc.invoke && (api != tc.api || stage != tc.stage || rest != tc.rest) {
			t.Errorf("%s%s: %q %q %q", tc.host, tc.path, api, stage, rest)
		}
	}
}

// FuzzMatch: any path against a tree with every kind of part matches or
// not without panicking; a greedy match's parameter is never empty and a
// {param} never holds a slash.
func FuzzMatch(f *testing.F) {
	res := map[string]apigatewayapi.Resource{}
	add := func(id, parent, part, path string) {
		r := apigatewayapi.Resource{Id: ptr.To(id), Path: ptr.To(path)}
		if parent != "" {
			r.ParentId, r.PathPart = ptr.To(parent), ptr.To(part)
		}
		res[id] = r
	}
	add("root", "", "", "/")
	add("items", "root", "items", "/items")
	add("item", "items", "{id}", "/items/{id}")
	add("detail", "item", "detail", "/items/{id}/detail")
	add("proxy", "root", "{proxy+}", "/{proxy+}")
	for _, s := range []string{"/items/1", "/a/b/c", "//", "/items/1/detail", "", "/items//x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		r, params, ok := match(res, path)
		if !ok {
			return
		}
		if ptr.Deref(r.PathPart) == "{proxy+}" && params["proxy"] == "" {
			t.Fatalf("%q: empty greedy parameter", path)
		}
		if strings.Contains(params["id"], "/") {
			t.Fatalf("%q: id %q", path, params["id"])
		}
	})
}

// TestAuthzChecks: operations are checked as apigateway:<verb> on the
// ARN of their path, as the Service Authorization Reference lists them.
func TestAuthzChecks(t *testing.T) {
	h := servicetest.New(t, "apigateway")
	rules := New(Options{Store: h.Store(), Clock: h.Clock}).Declare().Authz
	env := kit.Env{Account: "123456789012", Region: "us-east-1"}
	const arn = "arn:aws:apigateway:us-east-1::"
	for _, tc := range []struct {
		op   string
		in   any
		want string
	}{
		{"CreateRestApi", &apigatewayapi.CreateRestApiRequest{Name: ptr.To("a")}, "apigateway:POST " + arn + "/restapis"},
		{"GetRestApi", &apigatewayapi.GetRestApiRequest{RestApiId: ptr.To("abc")}, "apigateway:GET " + arn + "/restapis/abc"},
		{"UpdateRestApi", &apigatewayapi.UpdateRestApiRequest{RestApiId: ptr.To("abc")}, "apigateway:PATCH " + arn + "/restapis/abc"},
		{"DeleteRestApi", &apigatewayapi.DeleteRestApiRequest{RestApiId: ptr.To("abc")}, "apigateway:DELETE " + arn + "/restapis/abc"},
		{"PutMethod", &apigatewayapi.PutMethodRequest{RestApiId: ptr.To("abc"), ResourceId: ptr.To("r1"), HttpMethod: ptr.To("GET")},
			"apigateway:PUT " + arn + "/restapis/abc/resources/r1/methods/GET"},
		{"CreateApiKey", &apigatewayapi.CreateApiKeyRequest{}, "apigateway:POST " + arn + "/apikeys"},
		{"CreateUsagePlanKey", &apigatewayapi.CreateUsagePlanKeyRequest{UsagePlanId: ptr.To("p1")}, "apigateway:POST " + arn + "/usageplans/p1/keys"},
	} {
		var got []string
		for _, c := range rules.Checks("apigateway", tc.op, tc.in, env) {
			got = append(got, c.Action+" "+c.Resource)
		}
		if len(got) != 1 || got[0] != tc.want {
			t.Errorf("%s: %v, want %s", tc.op, got, tc.want)
		}
	}
}
