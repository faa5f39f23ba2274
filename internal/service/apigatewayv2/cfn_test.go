package apigatewayv2

import (
	"testing"

	"github.com/niwa-cloud/niwa/internal/kit"
)

// TestCloudFormation: a template's Api, Integration, Route and Stage
// make an API that answers; an update changes the route; deletes undo
// it all.
func TestCloudFormation(t *testing.T) {
	e := newEnv(t)
	e.fns.set(testFn, returns(`"cfn"`))
	p := e.s.cfnResources()
	req := func(props map[string]any) kit.ResourceRequest {
		return kit.ResourceRequest{LogicalID: "L", StackName: "s", Properties: props}
	}
	ctx := e.h.Ctx()
	api, err := p["AWS::ApiGatewayV2::Api"].Create(ctx, req(map[string]any{"Name": "cfn", "ProtocolType": "HTTP",
		"CorsConfiguration": map[string]any{"AllowOrigins": []any{"*"}}, "Tags": map[string]any{"team": "a"}}))
	if err != nil {
		t.Fatal(err)
	}
	id := api.PhysicalID
	if api.Attributes["ApiEndpoint"] == "" {
		t.Fatalf("attributes %v", api.Attributes)
	}
	integ, err := p["AWS::ApiGatewayV2::Integration"].Create(ctx, req(map[string]any{"ApiId": id, "IntegrationType": "AWS_PROXY",
		"IntegrationUri": testFn, "PayloadFormatVersion": "2.0", "TimeoutInMillis": "5000"}))
	if err != nil {
		t.Fatal(err)
	}
	route, err := p["AWS::ApiGatewayV2::Route"].Create(ctx, req(map[string]any{"ApiId": id, "RouteKey": "GET /cfn",
		"Target": "integrations/" + integ.PhysicalID}))
	if err != nil {
		t.Fatal(err)
	}
	stage, err := p["AWS::ApiGatewayV2::Stage"].Create(ctx, req(map[string]any{"ApiId": id, "StageName": "$default", "AutoDeploy": true}))
	if err != nil || stage.PhysicalID != "$default" {
		t.Fatalf("stage %v %v", stage, err)
	}
	wantAnswer(t, e.do("GET", host(id)+"/cfn", ""), 200, `"cfn"`)
	upd := req(map[string]any{"ApiId": id, "RouteKey": "GET /moved", "Target": "integrations/" + integ.PhysicalID})
	upd.PhysicalID = route.PhysicalID
	if _, err := p["AWS::ApiGatewayV2::Route"].Update(ctx, upd); err != nil {
		t.Fatal(err)
	}
	wantAnswer(t, e.do("GET", host(id)+"/moved", ""), 200, `"cfn"`)
	wantAnswer(t, e.do("GET", host(id)+"/cfn", ""), 404, `{"message":"Not Found"}`)
	for _, d := range []struct{ typ, id string }{{"AWS::ApiGatewayV2::Stage", "$default"}, {"AWS::ApiGatewayV2::Route", route.PhysicalID},
		{"AWS::ApiGatewayV2::Integration", integ.PhysicalID}, {"AWS::ApiGatewayV2::Api", id}} {
		r := req(map[string]any{"ApiId": id})
		r.PhysicalID = d.id
		if err := p[d.typ].Delete(ctx, r); err != nil {
			t.Fatalf("delete %s: %v", d.typ, err)
		}
		// A second delete finds nothing, which is not an error.
		if err := p[d.typ].Delete(ctx, r); err != nil {
			t.Fatalf("delete %s again: %v", d.typ, err)
		}
	}
	wantAnswer(t, e.do("GET", host(id)+"/moved", ""), 403, `{"message":"Forbidden"}`)
}
