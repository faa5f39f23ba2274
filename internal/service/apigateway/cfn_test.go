package apigateway

import (
	"testing"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/kit"
)

// TestCloudFormationProviders: a RestApi from a Swagger body, a resource,
// a method with its integration, a deployment and a stage, made and
// removed through the providers as a stack would.
func TestCloudFormationProviders(t *testing.T) {
	e := newEnv(t)
	ctx := e.h.Ctx()
	p := e.s.cfnResources()
	body := map[string]any{"swagger": "2.0", "info": map[string]any{"title": "imported", "version": "1"},
		"paths": map[string]any{"/pets": map[string]any{"get": map[string]any{
			"x-amazon-apigateway-integration": map[string]any{"type": "mock", "requestTemplates": map[string]any{"application/json": `{"statusCode": 200}`}},
			"responses":                       map[string]any{}}}}}
	api, err := p["AWS::ApiGateway::RestApi"].Create(ctx, kit.ResourceRequest{LogicalID: "Api", StackName: "s",
		Properties: map[string]any{"Body": body, "Name": "named"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.s.GetRestApi(ctx, &apigatewayapi.GetRestApiRequest{RestApiId: &api.PhysicalID})
	if err != nil || *got.Name != "named" || api.Attributes["RootResourceId"] == "" {
		t.Fatalf("rest api %+v %v attrs %v", got, err, api.Attributes)
	}
	res, err := p["AWS::ApiGateway::Resource"].Create(ctx, kit.ResourceRequest{LogicalID: "Res", Properties: map[string]any{
		"RestApiId": api.PhysicalID, "ParentId": api.Attributes["RootResourceId"], "PathPart": "owners"}})
	if err != nil {
		t.Fatal(err)
	}
	method := kit.ResourceRequest{LogicalID: "M", StackName: "s", Properties: map[string]any{"RestApiId": api.PhysicalID,
		"ResourceId": res.PhysicalID, "HttpMethod": "post", "AuthorizationType": "NONE", "ApiKeyRequired": "true",
		"Integration":     map[string]any{"Type": "MOCK", "IntegrationResponses": []any{map[string]any{"StatusCode": "200"}}},
		"MethodResponses": []any{map[string]any{"StatusCode": "200"}}}}
	if _, err := p["AWS::ApiGateway::Method"].Create(ctx, method); err != nil {
		t.Fatal(err)
	}
	m, err := e.s.GetMethod(ctx, &apigatewayapi.GetMethodRequest{RestApiId: &api.PhysicalID, ResourceId: &res.PhysicalID, HttpMethod: ptrTo("POST")})
	if err != nil || m.ApiKeyRequired == nil || !*m.ApiKeyRequired || m.MethodIntegration == nil {
		t.Fatalf("method %+v %v", m, err)
	}
	dep, err := p["AWS::ApiGateway::Deployment"].Create(ctx, kit.ResourceRequest{LogicalID: "D", Properties: map[string]any{
		"RestApiId": api.PhysicalID, "StageName": "Stage"}})
	if err != nil {
		t.Fatal(err)
	}
	stage, err := p["AWS::ApiGateway::Stage"].Create(ctx, kit.ResourceRequest{LogicalID: "P", Properties: map[string]any{
		"RestApiId": api.PhysicalID, "StageName": "Prod", "DeploymentId": dep.PhysicalID, "Variables": map[string]any{"a": "1"}}})
	if err != nil || stage.PhysicalID != "Prod" {
		t.Fatalf("stage %+v %v", stage, err)
	}
	key, err := p["AWS::ApiGateway::ApiKey"].Create(ctx, kit.ResourceRequest{LogicalID: "K", StackName: "s", Properties: map[string]any{"Enabled": true}})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := p["AWS::ApiGateway::UsagePlan"].Create(ctx, kit.ResourceRequest{LogicalID: "U", StackName: "s", Properties: map[string]any{
		"ApiStages": []any{map[string]any{"ApiId": api.PhysicalID, "Stage": "Prod"}}, "Throttle": map[string]any{"RateLimit": 10, "BurstLimit": 5}}})
	if err != nil {
		t.Fatal(err)
	}
	pk, err := p["AWS::ApiGateway::UsagePlanKey"].Create(ctx, kit.ResourceRequest{LogicalID: "PK", Properties: map[string]any{
		"UsagePlanId": plan.PhysicalID, "KeyId": key.PhysicalID, "KeyType": "API_KEY"}})
	if err != nil || pk.PhysicalID != key.PhysicalID {
		t.Fatalf("usage plan key %+v %v", pk, err)
	}
	// Removal in the reverse order; a deployment takes its own stage.
	for _, d := range []struct {
		typ string
		r   kit.ResourceRequest
	}{
		{"AWS::ApiGateway::UsagePlanKey", kit.ResourceRequest{PhysicalID: pk.PhysicalID, Properties: map[string]any{"UsagePlanId": plan.PhysicalID}}},
		{"AWS::ApiGateway::UsagePlan", kit.ResourceRequest{PhysicalID: plan.PhysicalID}},
		{"AWS::ApiGateway::ApiKey", kit.ResourceRequest{PhysicalID: key.PhysicalID}},
		{"AWS::ApiGateway::Stage", kit.ResourceRequest{PhysicalID: "Prod", Properties: map[string]any{"RestApiId": api.PhysicalID}}},
		{"AWS::ApiGateway::Deployment", kit.ResourceRequest{PhysicalID: dep.PhysicalID, Properties: map[string]any{"RestApiId": api.PhysicalID, "StageName": "Stage"}}},
		{"AWS::ApiGateway::Method", method},
		{"AWS::ApiGateway::Resource", kit.ResourceRequest{PhysicalID: res.PhysicalID, Properties: map[string]any{"RestApiId": api.PhysicalID}}},
		{"AWS::ApiGateway::RestApi", kit.ResourceRequest{PhysicalID: api.PhysicalID}},
		// Already gone: not an error.
		{"AWS::ApiGateway::RestApi", kit.ResourceRequest{PhysicalID: api.PhysicalID}},
	} {
		if err := p[d.typ].Delete(ctx, d.r); err != nil {
			t.Fatalf("delete %s: %v", d.typ, err)
		}
	}
	if _, err := e.s.GetRestApi(ctx, &apigatewayapi.GetRestApiRequest{RestApiId: &api.PhysicalID}); !apigatewayapi.ErrNotFoundException.Is(err) {
		t.Fatalf("rest api after delete: %v", err)
	}
}

func ptrTo(s string) *string { return &s }
