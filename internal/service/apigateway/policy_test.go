package apigateway

import (
	"context"
	"testing"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/netpos"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestResourcePolicy(t *testing.T) {
	allowAllStmt := `{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"}`
	for _, tc := range []struct {
		name, policy string
		remote       string
		vpce         string
		status       int
		body         string
	}{
		{"allow all", `{"Version":"2012-10-17","Statement":[` + allowAllStmt + `]}`, "10.1.2.3:5000", "", 200, ""},
		{"ip allow list hit", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*","Condition":{"IpAddress":{"aws:SourceIp":["10.1.0.0/16"]}}}]}`, "10.1.2.3:5000", "", 200, ""},
		{"ip allow list miss", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*","Condition":{"IpAddress":{"aws:SourceIp":["10.1.0.0/16"]}}}]}`, "192.0.2.9:5000", "", 403,
			`{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:REGION:********LAST4:API/test/GET/items"}`},
		{"ip deny", `{"Version":"2012-10-17","Statement":[` + allowAllStmt + `,{"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.1.0.0/16"}}}]}`, "192.0.2.9:5000", "", 403,
			`{"Message":"User: anonymous is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:REGION:********LAST4:API/test/GET/items with an explicit deny"}`},
		{"other stage only", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/prod/*"}]}`, "10.1.2.3:5000", "", 403, ""},
		{"vpce allowed", `{"Version":"2012-10-17","Statement":[` + allowAllStmt + `,{"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1234"}}}]}`, "10.1.2.3:5000", "vpce-1234", 200, ""},
		{"vpce other", `{"Version":"2012-10-17","Statement":[` + allowAllStmt + `,{"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1234"}}}]}`, "10.1.2.3:5000", "vpce-9999", 403, ""},
		{"vpce without endpoint", `{"Version":"2012-10-17","Statement":[` + allowAllStmt + `,{"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1234"}}}]}`, "10.1.2.3:5000", "", 403, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			ctx := e.h.Ctx()
			b := e.build(mockIntegration, false)
			must[*apigatewayapi.RestApi](t)(e.s.UpdateRestApi(ctx, &apigatewayapi.UpdateRestApiRequest{RestApiId: &b.api,
				PatchOperations: ops(patch("replace", "/policy", tc.policy))}))
			req := e.request("GET", "http://"+b.api+".execute-api.localhost/test/items", "", nil)
			req.RemoteAddr = tc.remote
			if tc.vpce != "" {
				req = req.WithContext(netpos.WithOrigin(context.Background(), netpos.Origin{VpcID: "vpc-1", Endpoint: netpos.Endpoint{ID: tc.vpce}}))
			}
			s, body, _ := e.serveReq(req)
			want := tc.body
			if want != "" {
				want = replaceAll(want, "REGION", ctx.Region, "API", b.api, "LAST4", ctx.Account[len(ctx.Account)-4:])
			}
			if s != tc.status || want != "" && body != want {
				t.Fatalf("%d %s, want %d %s", s, body, tc.status, want)
			}
		})
	}
	e := newEnv(t)
	_, err := e.s.CreateRestApi(e.h.Ctx(), &apigatewayapi.CreateRestApiRequest{Name: ptr.To("p"), Policy: ptr.To(`{"Statement": "nope"}`)})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "Invalid policy document")
}
