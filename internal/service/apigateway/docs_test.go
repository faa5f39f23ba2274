package apigateway

import (
	"testing"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestDocumentation(t *testing.T) {
	e := newEnv(t)
	ctx := e.h.Ctx()
	b := e.build(mockIntegration, false)
	api := &b.api
	loc := &apigatewayapi.DocumentationPartLocation{Type: ptr.To("METHOD"), Path: ptr.To("/items"), Method: ptr.To("GET")}
	_, err := e.s.CreateDocumentationPart(ctx, &apigatewayapi.CreateDocumentationPartRequest{RestApiId: api, Location: loc, Properties: ptr.To(`not json`)})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "JSON")
	_, err = e.s.CreateDocumentationPart(ctx, &apigatewayapi.CreateDocumentationPartRequest{RestApiId: api, Location: &apigatewayapi.DocumentationPartLocation{Type: ptr.To("NOPE")}, Properties: ptr.To(`{}`)})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "location type")
	p := must[*apigatewayapi.DocumentationPart](t)(e.s.CreateDocumentationPart(ctx, &apigatewayapi.CreateDocumentationPartRequest{RestApiId: api, Location: loc, Properties: ptr.To(`{"summary": "list"}`)}))
	_, err = e.s.CreateDocumentationPart(ctx, &apigatewayapi.CreateDocumentationPartRequest{RestApiId: api, Location: loc, Properties: ptr.To(`{}`)})
	wantCode(t, err, apigatewayapi.ErrConflictException, "")
	must[*apigatewayapi.DocumentationVersion](t)(e.s.CreateDocumentationVersion(ctx, &apigatewayapi.CreateDocumentationVersionRequest{RestApiId: api, DocumentationVersion: ptr.To("1.0"), StageName: ptr.To("test")}))
	if st := must[*apigatewayapi.Stage](t)(e.s.GetStage(ctx, &apigatewayapi.GetStageRequest{RestApiId: api, StageName: ptr.To("test")})); ptr.Deref(st.DocumentationVersion) != "1.0" {
		t.Fatalf("stage documentation version %q", ptr.Deref(st.DocumentationVersion))
	}
	up := must[*apigatewayapi.DocumentationPart](t)(e.s.UpdateDocumentationPart(ctx, &apigatewayapi.UpdateDocumentationPartRequest{RestApiId: api, DocumentationPartId: p.Id,
		PatchOperations: ops(patch("replace", "/properties", `{"summary": "all items"}`))}))
	if *up.Properties != `{"summary": "all items"}` {
		t.Fatalf("properties %s", *up.Properties)
	}
	ids := must[*apigatewayapi.DocumentationPartIds](t)(e.s.ImportDocumentationParts(ctx, &apigatewayapi.ImportDocumentationPartsRequest{RestApiId: api,
		Body: []byte(`{"swagger": "2.0", "info": {"title": "x"}, "x-amazon-apigateway-documentation": {"documentationParts": [
		  {"location": {"type": "METHOD", "path": "/items", "method": "GET"}, "properties": {"summary": "imported"}},
		  {"location": {"type": "API"}, "properties": {"description": "the API"}}]}}`)}))
	if len(ids.Ids) != 2 || ids.Ids[0] != *p.Id {
		t.Fatalf("imported ids %v (the GET part keeps its id %s)", ids.Ids, *p.Id)
	}
	parts := must[*apigatewayapi.DocumentationParts](t)(e.s.GetDocumentationParts(ctx, &apigatewayapi.GetDocumentationPartsRequest{RestApiId: api, Type: ptr.To("METHOD")}))
	if len(parts.Items) != 1 || *parts.Items[0].Properties != `{"summary":"imported"}` {
		t.Fatalf("parts %+v", parts.Items)
	}
	must[*apigatewayapi.DeleteDocumentationPartOutput](t)(e.s.DeleteDocumentationPart(ctx, &apigatewayapi.DeleteDocumentationPartRequest{RestApiId: api, DocumentationPartId: p.Id}))
	_, err = e.s.GetDocumentationPart(ctx, &apigatewayapi.GetDocumentationPartRequest{RestApiId: api, DocumentationPartId: p.Id})
	wantCode(t, err, apigatewayapi.ErrNotFoundException, "")
	vs := must[*apigatewayapi.DocumentationVersions](t)(e.s.GetDocumentationVersions(ctx, &apigatewayapi.GetDocumentationVersionsRequest{RestApiId: api}))
	if len(vs.Items) != 1 {
		t.Fatalf("versions %+v", vs.Items)
	}
	must[*apigatewayapi.DeleteDocumentationVersionOutput](t)(e.s.DeleteDocumentationVersion(ctx, &apigatewayapi.DeleteDocumentationVersionRequest{RestApiId: api, DocumentationVersion: ptr.To("1.0")}))
	_, err = e.s.GetDocumentationVersion(ctx, &apigatewayapi.GetDocumentationVersionRequest{RestApiId: api, DocumentationVersion: ptr.To("1.0")})
	wantCode(t, err, apigatewayapi.ErrNotFoundException, "")
}
