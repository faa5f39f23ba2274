package apigatewayv2

import (
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	apigatewayv2api "github.com/niwa-cloud/niwa/internal/api/apigatewayv2"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// TestAuthzChecks: control-plane calls are apigateway:<verb> on the ARN
// of their path without /v2, as the Service Authorization Reference
// lists them for API Gateway V2.
func TestAuthzChecks(t *testing.T) {
	h := servicetest.New(t, "apigatewayv2")
	rules := New(Options{Store: h.Store(), Clock: h.Clock}).Declare().Authz
	env := kit.Env{Account: "123456789012", Region: "us-east-1"}
	const arn = "arn:aws:apigateway:us-east-1::"
	for _, tc := range []struct {
		op   string
		in   any
		want string
	}{
		{"CreateApi", &apigatewayv2api.CreateApiRequest{Name: ptr.To("a")}, "apigateway:POST " + arn + "/apis"},
		{"GetApis", &apigatewayv2api.GetApisRequest{}, "apigateway:GET " + arn + "/apis"},
		{"GetApi", &apigatewayv2api.GetApiRequest{ApiId: ptr.To("abc")}, "apigateway:GET " + arn + "/apis/abc"},
		{"UpdateApi", &apigatewayv2api.UpdateApiRequest{ApiId: ptr.To("abc")}, "apigateway:PATCH " + arn + "/apis/abc"},
		{"DeleteApi", &apigatewayv2api.DeleteApiRequest{ApiId: ptr.To("abc")}, "apigateway:DELETE " + arn + "/apis/abc"},
		{"CreateRoute", &apigatewayv2api.CreateRouteRequest{ApiId: ptr.To("abc")}, "apigateway:POST " + arn + "/apis/abc/routes"},
		{"UpdateRoute", &apigatewayv2api.UpdateRouteRequest{ApiId: ptr.To("abc"), RouteId: ptr.To("r1")}, "apigateway:PATCH " + arn + "/apis/abc/routes/r1"},
		{"GetStage", &apigatewayv2api.GetStageRequest{ApiId: ptr.To("abc"), StageName: ptr.To("prod")}, "apigateway:GET " + arn + "/apis/abc/stages/prod"},
		{"CreateApiMapping", &apigatewayv2api.CreateApiMappingRequest{DomainName: ptr.To("api.example.com")}, "apigateway:POST " + arn + "/domainnames/api.example.com/apimappings"},
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

// TestInvokeRoute: the declared route takes execute-api hosts and invoke
// paths (the REST APIs' route, before it, keeps their ids) and this
// service's custom domains, and leaves the control plane to the API.
func TestInvokeRoute(t *testing.T) {
	e := newEnv(t)
	route := e.s.Declare().Routes[0]
	must[*apigatewayv2api.CreateDomainNameResponse](t)(e.s.CreateDomainName(e.h.Ctx(), &apigatewayv2api.CreateDomainNameRequest{DomainName: ptr.To("api.example.com"),
		DomainNameConfigurations: []apigatewayv2api.DomainNameConfiguration{{CertificateArn: ptr.To("arn:aws:acm:us-east-1:000000000000:certificate/abc")}}}))
	for _, tc := range []struct {
		host, path string
		invoke     bool
	}{
		{"abcde12345.execute-api.localhost:4566", "/a/b", true},
		{"abcde12345.execute-api.localhost", "/", true},
		{"localhost:4566", "/restapis/abcde12345/prod/_user_request_/a", true},
		{"api.example.com", "/v1/items", true},
		{"localhost:4566", "/v2/apis", false},
		{"localhost:4566", "/restapis/abcde12345/stages/prod", false},
		{"other.example.com", "/v1/items", false},
		{"bucket.s3.localhost:4566", "/a", false},
	} {
		r := httptest.NewRequest("GET", "http://"+tc.host+tc.path, nil)
		if got := route.Match(r); got != tc.invoke {
			t.Errorf("%s%s: match %v, want %v", tc.host, tc.path, got, tc.invoke)
		}
	}
}

// TestOwnsName: niwa's DNS answers an API's execute-api name, not an
// unknown id's or another name.
func TestOwnsName(t *testing.T) {
	e := newEnv(t)
	api := e.api(nil)
	for name, want := range map[string]bool{
		api + ".execute-api.localhost":                   true,
		strings.ToUpper(api) + ".execute-api.localhost.": true,
		"zzzzzzzzzz.execute-api.localhost":               false,
		api + ".execute-api.example.com":                 false,
		"x." + api + ".execute-api.localhost":            false,
	} {
		if got, err := e.s.OwnsName(name); err != nil || got != want {
			t.Errorf("%s: %v %v, want %v", name, got, err, want)
		}
	}
}

// TestEachName: the names listed for hosts files are the APIs'
// execute-api hosts niwa's DNS answers (OwnsName), each API's
// ApiEndpoint host; a deleted API's is gone.
func TestEachName(t *testing.T) {
	e := newEnv(t)
	list := func() (all []string) {
		t.Helper()
		if err := e.s.EachName(func(n string) bool { all = append(all, n); return true }); err != nil {
			t.Fatal(err)
		}
		slices.Sort(all)
		return all
	}
	a, b := e.api(nil), e.api(nil)
	want := []string{a + ".execute-api.localhost", b + ".execute-api.localhost"}
	slices.Sort(want)
	if got := list(); !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
	for _, id := range []string{a, b} {
		out, err := e.s.GetApi(e.h.Ctx(), &apigatewayv2api.GetApiRequest{ApiId: ptr.To(id)})
		if err != nil {
			t.Fatal(err)
		}
		u, err := url.Parse(ptr.Deref(out.ApiEndpoint))
		if err != nil || !slices.Contains(want, u.Hostname()) {
			t.Errorf("ApiEndpoint %s is not a listed name: %v", ptr.Deref(out.ApiEndpoint), err)
		}
		if ok, err := e.s.OwnsName(u.Hostname()); !ok || err != nil {
			t.Errorf("%s listed but not owned: %v", u.Hostname(), err)
		}
	}
	if _, err := e.s.DeleteApi(e.h.Ctx(), &apigatewayv2api.DeleteApiRequest{ApiId: ptr.To(a)}); err != nil {
		t.Fatal(err)
	}
	if got := list(); !slices.Equal(got, []string{b + ".execute-api.localhost"}) {
		t.Fatalf("after deleting %s: %v", a, got)
	}
}
