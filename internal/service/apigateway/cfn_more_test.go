package apigateway

import (
	"strings"
	"testing"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/kit/kittest"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// TestCloudFormationMoreProviders: each type is created, read back
// through the API, updated in place, deleted (twice: already gone is no
// error) and then answers NotFound.
func TestCloudFormationMoreProviders(t *testing.T) {
	e := newEnv(t)
	ctx := e.h.Ctx()
	p := e.s.cfnResources()
	api, err := p["AWS::ApiGateway::RestApi"].Create(ctx, kit.ResourceRequest{LogicalID: "Api", StackName: "s", Properties: map[string]any{"Name": "a"}})
	if err != nil {
		t.Fatal(err)
	}
	id := api.PhysicalID
	if _, err := p["AWS::ApiGateway::Method"].Create(ctx, kit.ResourceRequest{LogicalID: "M", StackName: "s", Properties: map[string]any{
		"RestApiId": id, "ResourceId": api.Attributes["RootResourceId"], "HttpMethod": "GET", "Integration": map[string]any{"Type": "MOCK"}}}); err != nil {
		t.Fatal(err)
	}
	dep, err := p["AWS::ApiGateway::Deployment"].Create(ctx, kit.ResourceRequest{LogicalID: "D", Properties: map[string]any{"RestApiId": id, "StageName": "prod"}})
	if err != nil {
		t.Fatal(err)
	}
	nlb := "arn:aws:elasticloadbalancing:us-east-1:" + ctx.Account + ":loadbalancer/net/n/1"
	e.s.lbs = fakeNLBs{arn: nlb}
	if _, err := p["AWS::ApiGateway::DomainName"].Create(ctx, kit.ResourceRequest{LogicalID: "Dom", Properties: map[string]any{
		"DomainName": "base.example.com", "RegionalCertificateArn": certARN, "EndpointConfiguration": map[string]any{"Types": []any{"REGIONAL"}}}}); err != nil {
		t.Fatal(err)
	}
	otherStage := func() {
		if _, err := e.s.CreateStage(ctx, &apigatewayapi.CreateStageRequest{RestApiId: &id, StageName: ptr.To("dev"), DeploymentId: &dep.PhysicalID}); err != nil {
			t.Fatal(err)
		}
	}
	otherStage()

	for _, c := range []struct {
		typ        string
		props, upd map[string]any
		// check reads the resource back through the API; updated says
		// whether the update's values are expected.
		check func(ctx *request.Context, res kit.ResourceResult, updated bool) error
	}{
		{"AWS::ApiGateway::Model",
			map[string]any{"RestApiId": id, "Name": "Pet", "ContentType": "application/json", "Schema": map[string]any{"type": "object"}},
			map[string]any{"RestApiId": id, "Name": "Pet", "ContentType": "application/json", "Schema": map[string]any{"type": "string"}, "Description": "d"},
			func(ctx *request.Context, res kit.ResourceResult, updated bool) error {
				m, err := e.s.GetModel(ctx, &apigatewayapi.GetModelRequest{RestApiId: &id, ModelName: &res.PhysicalID})
				if err == nil && (res.PhysicalID != "Pet" || strings.Contains(*m.Schema, "string") != updated) {
					t.Errorf("model %q schema %q", res.PhysicalID, *m.Schema)
				}
				return err
			}},
		{"AWS::ApiGateway::RequestValidator",
			map[string]any{"RestApiId": id, "Name": "body", "ValidateRequestBody": true},
			map[string]any{"RestApiId": id, "Name": "body", "ValidateRequestBody": true, "ValidateRequestParameters": "true"},
			func(ctx *request.Context, res kit.ResourceResult, updated bool) error {
				v, err := e.s.GetRequestValidator(ctx, &apigatewayapi.GetRequestValidatorRequest{RestApiId: &id, RequestValidatorId: &res.PhysicalID})
				if err == nil && (res.Attributes["RequestValidatorId"] != res.PhysicalID || !*v.ValidateRequestBody || *v.ValidateRequestParameters != updated) {
					t.Errorf("validator %+v %v", v, res)
				}
				return err
			}},
		{"AWS::ApiGateway::GatewayResponse",
			map[string]any{"RestApiId": id, "ResponseType": "DEFAULT_4XX", "StatusCode": "400"},
			map[string]any{"RestApiId": id, "ResponseType": "DEFAULT_4XX", "StatusCode": "418",
				"ResponseParameters": map[string]any{"gatewayresponse.header.x-a": "'b'"}},
			func(ctx *request.Context, res kit.ResourceResult, updated bool) error {
				g, err := e.s.GetGatewayResponse(ctx, &apigatewayapi.GetGatewayResponseRequest{RestApiId: &id, ResponseType: ptr.To("DEFAULT_4XX")})
				if err == nil && g.DefaultResponse != nil && *g.DefaultResponse {
					// Deleted: the type answers its default again.
					return apigatewayapi.ErrNotFoundException.New("default")
				}
				if err == nil && (ptr.Deref(g.StatusCode) == "418") != updated {
					t.Errorf("gateway response %+v", g)
				}
				return err
			}},
		{"AWS::ApiGateway::DomainName",
			map[string]any{"DomainName": "api.example.com", "RegionalCertificateArn": certARN, "EndpointConfiguration": map[string]any{"Types": []any{"REGIONAL"}}},
			map[string]any{"DomainName": "api.example.com", "RegionalCertificateArn": certARN, "EndpointConfiguration": map[string]any{"Types": []any{"REGIONAL"}},
				"SecurityPolicy": "TLS_1_0"},
			func(ctx *request.Context, res kit.ResourceResult, updated bool) error {
				d, err := e.s.GetDomainName(ctx, &apigatewayapi.GetDomainNameRequest{DomainName: &res.PhysicalID})
				if err == nil && (res.Attributes["RegionalDomainName"] == nil || (*d.SecurityPolicy == "TLS_1_0") != updated) {
					t.Errorf("domain %+v %v", d, res.Attributes)
				}
				return err
			}},
		{"AWS::ApiGateway::BasePathMapping",
			map[string]any{"DomainName": "base.example.com", "RestApiId": id, "Stage": "prod"},
			map[string]any{"DomainName": "base.example.com", "RestApiId": id, "Stage": "dev"},
			func(ctx *request.Context, res kit.ResourceResult, updated bool) error {
				m, err := e.s.GetBasePathMapping(ctx, &apigatewayapi.GetBasePathMappingRequest{DomainName: ptr.To("base.example.com"), BasePath: ptr.To("(none)")})
				if err == nil && (*m.Stage == "dev") != updated {
					t.Errorf("mapping %+v", m)
				}
				return err
			}},
		{"AWS::ApiGateway::ClientCertificate",
			map[string]any{"Description": "one"}, map[string]any{"Description": "two"},
			func(ctx *request.Context, res kit.ResourceResult, updated bool) error {
				c, err := e.s.GetClientCertificate(ctx, &apigatewayapi.GetClientCertificateRequest{ClientCertificateId: &res.PhysicalID})
				if err == nil && (res.Attributes["ClientCertificateId"] != res.PhysicalID || (*c.Description == "two") != updated || c.PemEncodedCertificate == nil) {
					t.Errorf("client certificate %+v", c)
				}
				return err
			}},
		{"AWS::ApiGateway::VpcLink",
			map[string]any{"Name": "link", "TargetArns": []any{nlb}}, map[string]any{"Name": "renamed", "TargetArns": []any{nlb}},
			func(ctx *request.Context, res kit.ResourceResult, updated bool) error {
				l, err := e.s.GetVpcLink(ctx, &apigatewayapi.GetVpcLinkRequest{VpcLinkId: &res.PhysicalID})
				if err == nil && (res.Attributes["VpcLinkId"] != res.PhysicalID || (*l.Name == "renamed") != updated) {
					t.Errorf("vpc link %+v", l)
				}
				return err
			}},
		{"AWS::ApiGateway::DocumentationPart",
			map[string]any{"RestApiId": id, "Location": map[string]any{"Type": "API"}, "Properties": `{"description":"one"}`},
			map[string]any{"RestApiId": id, "Location": map[string]any{"Type": "API"}, "Properties": `{"description":"two"}`},
			func(ctx *request.Context, res kit.ResourceResult, updated bool) error {
				d, err := e.s.GetDocumentationPart(ctx, &apigatewayapi.GetDocumentationPartRequest{RestApiId: &id, DocumentationPartId: &res.PhysicalID})
				if err == nil && (res.Attributes["DocumentationPartId"] != res.PhysicalID || strings.Contains(*d.Properties, "two") != updated) {
					t.Errorf("documentation part %+v", d)
				}
				return err
			}},
		{"AWS::ApiGateway::DocumentationVersion",
			map[string]any{"RestApiId": id, "DocumentationVersion": "v1"}, map[string]any{"RestApiId": id, "DocumentationVersion": "v1", "Description": "first"},
			func(ctx *request.Context, res kit.ResourceResult, updated bool) error {
				v, err := e.s.GetDocumentationVersion(ctx, &apigatewayapi.GetDocumentationVersionRequest{RestApiId: &id, DocumentationVersion: &res.PhysicalID})
				if err == nil && (res.PhysicalID != "v1" || (ptr.Deref(v.Description) == "first") != updated) {
					t.Errorf("documentation version %+v", v)
				}
				return err
			}},
	} {
		t.Run(c.typ, func(t *testing.T) {
			kittest.Lifecycle(t, ctx, p[c.typ], c.props, c.upd,
				func(res kit.ResourceResult, updated bool) error { return c.check(ctx, res, updated) },
				func(err error) bool { return apigatewayapi.ErrNotFoundException.Is(err) })
		})
	}
}

// TestCloudFormationAccount: the account's CloudWatch role is set and
// changed; deleting the resource leaves the setting, as on AWS.
func TestCloudFormationAccount(t *testing.T) {
	e := newEnv(t)
	ctx := e.h.Ctx()
	prov := e.s.cfnResources()["AWS::ApiGateway::Account"]
	role := "arn:aws:iam::" + ctx.Account + ":role/apigw"
	res, err := prov.Create(ctx, kit.ResourceRequest{LogicalID: "A", StackName: "s", Properties: map[string]any{"CloudWatchRoleArn": role}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := prov.Update(ctx, kit.ResourceRequest{PhysicalID: res.PhysicalID, Properties: map[string]any{"CloudWatchRoleArn": role + "2"}}); err != nil {
		t.Fatal(err)
	}
	if err := prov.Delete(ctx, kit.ResourceRequest{PhysicalID: res.PhysicalID}); err != nil {
		t.Fatal(err)
	}
	a, err := e.s.GetAccount(ctx, &apigatewayapi.GetAccountRequest{})
	if err != nil || ptr.Deref(a.CloudwatchRoleArn) != role+"2" {
		t.Fatalf("account %+v %v", a, err)
	}
	if _, err := prov.Create(ctx, kit.ResourceRequest{LogicalID: "A", StackName: "s", Properties: map[string]any{"CloudWatchRoleArn": "nope"}}); !apigatewayapi.ErrBadRequestException.Is(err) {
		t.Fatalf("bad role: %v", err)
	}
}

// TestCloudFormationDomainNameEndpointChange: a change of endpoint type
// is refused with a reason (niwa's UpdateDomainName cannot make it), and
// the domain keeps its type.
func TestCloudFormationDomainNameEndpointChange(t *testing.T) {
	e := newEnv(t)
	ctx := e.h.Ctx()
	prov := e.s.cfnResources()["AWS::ApiGateway::DomainName"]
	props := map[string]any{"DomainName": "edge.example.com", "CertificateArn": certARN}
	res, err := prov.Create(ctx, kit.ResourceRequest{LogicalID: "D", Properties: props})
	if err != nil {
		t.Fatal(err)
	}
	if res.Attributes["DistributionDomainName"] == nil {
		t.Fatalf("edge attributes %v", res.Attributes)
	}
	regional := map[string]any{"DomainName": "edge.example.com", "RegionalCertificateArn": certARN,
		"EndpointConfiguration": map[string]any{"Types": []any{"REGIONAL"}}}
	if _, err := prov.Update(ctx, kit.ResourceRequest{PhysicalID: res.PhysicalID, Properties: regional, OldProperties: props}); !apigatewayapi.ErrBadRequestException.Is(err) ||
		!strings.Contains(err.Error(), "EndpointConfiguration") {
		t.Fatalf("endpoint change: %v", err)
	}
	d, err := e.s.GetDomainName(ctx, &apigatewayapi.GetDomainNameRequest{DomainName: &res.PhysicalID})
	if err != nil || d.EndpointConfiguration.Types[0] != "EDGE" {
		t.Fatalf("domain %+v %v", d, err)
	}
}

// TestCloudFormationInPlaceUpdates: an ApiKey, a UsagePlan and an
// Authorizer change in place (same id), as AWS updates them.
func TestCloudFormationInPlaceUpdates(t *testing.T) {
	e := newEnv(t)
	ctx := e.h.Ctx()
	p := e.s.cfnResources()
	api, err := p["AWS::ApiGateway::RestApi"].Create(ctx, kit.ResourceRequest{LogicalID: "Api", StackName: "s", Properties: map[string]any{"Name": "a"}})
	if err != nil {
		t.Fatal(err)
	}
	id := api.PhysicalID
	if _, err := p["AWS::ApiGateway::Method"].Create(ctx, kit.ResourceRequest{LogicalID: "M", StackName: "s", Properties: map[string]any{
		"RestApiId": id, "ResourceId": api.Attributes["RootResourceId"], "HttpMethod": "GET", "Integration": map[string]any{"Type": "MOCK"}}}); err != nil {
		t.Fatal(err)
	}
	for _, st := range []string{"prod", "dev"} {
		if _, err := p["AWS::ApiGateway::Deployment"].Create(ctx, kit.ResourceRequest{LogicalID: "D", Properties: map[string]any{"RestApiId": id, "StageName": st}}); err != nil {
			t.Fatal(err)
		}
	}
	update := func(typ string, res kit.ResourceResult, old, props map[string]any) {
		t.Helper()
		up, err := p[typ].Update(ctx, kit.ResourceRequest{LogicalID: "R", StackName: "s", PhysicalID: res.PhysicalID, Properties: props, OldProperties: old})
		if err != nil || up.PhysicalID != res.PhysicalID {
			t.Fatalf("%s update %+v %v", typ, up, err)
		}
	}

	keyProps := map[string]any{"Name": "k", "Enabled": true}
	key, err := p["AWS::ApiGateway::ApiKey"].Create(ctx, kit.ResourceRequest{LogicalID: "K", StackName: "s", Properties: keyProps})
	if err != nil {
		t.Fatal(err)
	}
	update("AWS::ApiGateway::ApiKey", key, keyProps, map[string]any{"Name": "k", "Enabled": false, "Description": "off"})
	k, err := e.s.GetApiKey(ctx, &apigatewayapi.GetApiKeyRequest{ApiKey: &key.PhysicalID})
	if err != nil || *k.Enabled || ptr.Deref(k.Description) != "off" {
		t.Fatalf("key %+v %v", k, err)
	}

	planProps := map[string]any{"UsagePlanName": "plan", "ApiStages": []any{map[string]any{"ApiId": id, "Stage": "prod"}},
		"Throttle": map[string]any{"RateLimit": 10, "BurstLimit": 5}}
	plan, err := p["AWS::ApiGateway::UsagePlan"].Create(ctx, kit.ResourceRequest{LogicalID: "U", StackName: "s", Properties: planProps})
	if err != nil {
		t.Fatal(err)
	}
	update("AWS::ApiGateway::UsagePlan", plan, planProps, map[string]any{"UsagePlanName": "plan2",
		"ApiStages": []any{map[string]any{"ApiId": id, "Stage": "dev"}}, "Quota": map[string]any{"Limit": 100, "Period": "DAY"}})
	u, err := e.s.GetUsagePlan(ctx, &apigatewayapi.GetUsagePlanRequest{UsagePlanId: &plan.PhysicalID})
	if err != nil || *u.Name != "plan2" || u.Throttle != nil || u.Quota == nil || *u.Quota.Limit != 100 ||
		len(u.ApiStages) != 1 || *u.ApiStages[0].Stage != "dev" {
		t.Fatalf("plan %+v %v", u, err)
	}

	authProps := map[string]any{"RestApiId": id, "Name": "auth", "Type": "TOKEN", "IdentitySource": "method.request.header.Authorization",
		"AuthorizerUri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:" + ctx.Account + ":function:a/invocations"}
	auth, err := p["AWS::ApiGateway::Authorizer"].Create(ctx, kit.ResourceRequest{LogicalID: "A", Properties: authProps})
	if err != nil {
		t.Fatal(err)
	}
	newAuth := map[string]any{}
	for k, v := range authProps {
		newAuth[k] = v
	}
	newAuth["Name"], newAuth["AuthorizerResultTtlInSeconds"] = "auth2", "60"
	update("AWS::ApiGateway::Authorizer", auth, authProps, newAuth)
	a, err := e.s.GetAuthorizer(ctx, &apigatewayapi.GetAuthorizerRequest{RestApiId: &id, AuthorizerId: &auth.PhysicalID})
	if err != nil || *a.Name != "auth2" || ptr.Deref(a.AuthorizerResultTtlInSeconds) != 60 {
		t.Fatalf("authorizer %+v %v", a, err)
	}
}
