package apigateway

import (
	"io"
	"net/http/httptest"
	"testing"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

const certARN = "arn:aws:acm:us-east-1:000000000000:certificate/12345678-1234-1234-1234-123456789012"

func TestCustomDomains(t *testing.T) {
	e := newEnv(t)
	ctx := e.h.Ctx()
	b := e.build(mockIntegration, false)
	_, err := e.s.CreateDomainName(ctx, &apigatewayapi.CreateDomainNameRequest{DomainName: ptr.To("api.example.com")})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "certificate ARN")
	_, err = e.s.CreateDomainName(ctx, &apigatewayapi.CreateDomainNameRequest{DomainName: ptr.To("not a domain"), CertificateArn: ptr.To(certARN)})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "Invalid domain name")
	d := must[*apigatewayapi.DomainName](t)(e.s.CreateDomainName(ctx, &apigatewayapi.CreateDomainNameRequest{DomainName: ptr.To("API.example.com"),
		RegionalCertificateArn: ptr.To(certARN), EndpointConfiguration: &apigatewayapi.EndpointConfiguration{Types: []string{"REGIONAL"}}}))
	if *d.DomainName != "api.example.com" || ptr.Deref(d.RegionalDomainName) == "" || *d.DomainNameStatus != "AVAILABLE" {
		t.Fatalf("domain %+v", d)
	}
	_, err = e.s.CreateDomainName(ctx, &apigatewayapi.CreateDomainNameRequest{DomainName: ptr.To("api.example.com"), CertificateArn: ptr.To(certARN)})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "already exists")
	_, err = e.s.CreateBasePathMapping(ctx, &apigatewayapi.CreateBasePathMappingRequest{DomainName: d.DomainName, RestApiId: &b.api, Stage: ptr.To("nostage")})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "stage")
	must[*apigatewayapi.BasePathMapping](t)(e.s.CreateBasePathMapping(ctx, &apigatewayapi.CreateBasePathMappingRequest{DomainName: d.DomainName, BasePath: ptr.To("v1"), RestApiId: &b.api, Stage: ptr.To("test")}))
	must[*apigatewayapi.BasePathMapping](t)(e.s.CreateBasePathMapping(ctx, &apigatewayapi.CreateBasePathMappingRequest{DomainName: d.DomainName, RestApiId: &b.api}))
	_, err = e.s.CreateBasePathMapping(ctx, &apigatewayapi.CreateBasePathMappingRequest{DomainName: d.DomainName, BasePath: ptr.To("v1"), RestApiId: &b.api})
	wantCode(t, err, apigatewayapi.ErrConflictException, "")

	get := func(host, path string) (bool, int, string) {
		req := httptest.NewRequest("GET", "http://"+host+path, nil)
		if !e.s.isInvoke(req) {
			return false, 0, ""
		}
		w := httptest.NewRecorder()
		e.s.invokeHandler().ServeHTTP(w, req)
		body, _ := io.ReadAll(w.Result().Body)
		return true, w.Code, string(body)
	}
	for _, tc := range []struct {
		host, path string
		invoke     bool
		status     int
		body       string
	}{
		{"api.example.com", "/v1/items/3", true, 200, `{"resource": "/items/{id}", "id": "3", "proxy": ""}`},
		{"API.example.com:4566", "/v1/items", true, 200, `{"resource": "/items", "id": "", "proxy": ""}`},
		{"api.example.com", "/test/items/4", true, 200, `{"resource": "/items/{id}", "id": "4", "proxy": ""}`},
		{"other.example.com", "/v1/items", false, 0, ""},
		{"localhost:4566", "/v1/items", false, 0, ""},
	} {
		invoke, s, body := get(tc.host, tc.path)
		if invoke != tc.invoke || s != tc.status || body != tc.body {
			t.Errorf("%s%s: invoke %v %d %s, want %v %d %s", tc.host, tc.path, invoke, s, body, tc.invoke, tc.status, tc.body)
		}
	}
	maps := must[*apigatewayapi.BasePathMappings](t)(e.s.GetBasePathMappings(ctx, &apigatewayapi.GetBasePathMappingsRequest{DomainName: d.DomainName}))
	if len(maps.Items) != 2 || *maps.Items[0].BasePath != "(none)" {
		t.Fatalf("mappings %+v", maps.Items)
	}
	must[*apigatewayapi.BasePathMapping](t)(e.s.UpdateBasePathMapping(ctx, &apigatewayapi.UpdateBasePathMappingRequest{DomainName: d.DomainName, BasePath: ptr.To("v1"),
		PatchOperations: ops(patch("replace", "/basePath", "v2"))}))
	if invoke, s, _ := get("api.example.com", "/v2/items"); !invoke || s != 200 {
		t.Fatalf("after renaming the base path: %v %d", invoke, s)
	}
	must[*apigatewayapi.DeleteBasePathMappingOutput](t)(e.s.DeleteBasePathMapping(ctx, &apigatewayapi.DeleteBasePathMappingRequest{DomainName: d.DomainName, BasePath: ptr.To("(none)")}))
	if invoke, _, _ := get("api.example.com", "/test/items"); invoke {
		t.Fatal("path routed without the (none) mapping")
	}
	must[*apigatewayapi.DeleteDomainNameOutput](t)(e.s.DeleteDomainName(ctx, &apigatewayapi.DeleteDomainNameRequest{DomainName: d.DomainName}))
	if invoke, _, _ := get("api.example.com", "/v2/items"); invoke {
		t.Fatal("deleted domain still routed")
	}
	_, err = e.s.GetDomainName(ctx, &apigatewayapi.GetDomainNameRequest{DomainName: d.DomainName})
	wantCode(t, err, apigatewayapi.ErrNotFoundException, "")
}
