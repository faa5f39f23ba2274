package apigateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// fakeNLBs is one network load balancer with one listener.
type fakeNLBs struct {
	arn  string
	port int32
	addr string
}

func (f fakeNLBs) NetworkListener(_, _, arn string, port int32) (string, bool, bool) {
	if arn != f.arn {
		return "", false, false
	}
	if port != f.port {
		return "", true, false
	}
	return f.addr, true, true
}

// TestVpcLinks: a link is PENDING until provisioned on the clock, then
// AVAILABLE (FAILED for a target that is no NLB); a VPC_LINK integration
// reaches the NLB's listener on the URI's port whatever the URI's host,
// and fails with 500 while the link is not available; a link in use is
// not deleted.
func TestVpcLinks(t *testing.T) {
	var host string
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host = r.Host
		_, _ = io.WriteString(w, "via nlb "+r.URL.Path)
	}))
	defer backend.Close()
	e := newEnv(t)
	ctx := e.h.Ctx()
	nlb := "arn:aws:elasticloadbalancing:us-east-1:" + ctx.Account + ":loadbalancer/net/n/1"
	e.s.lbs = fakeNLBs{arn: nlb, port: 8080, addr: strings.TrimPrefix(backend.URL, "http://")}

	_, err := e.s.CreateVpcLink(ctx, &apigatewayapi.CreateVpcLinkRequest{Name: ptr.To("x"), TargetArns: []string{"arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/a/1"}})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "network load balancers")
	link := must[*apigatewayapi.VpcLink](t)(e.s.CreateVpcLink(ctx, &apigatewayapi.CreateVpcLinkRequest{Name: ptr.To("link"), TargetArns: []string{nlb}}))
	if ptr.Deref(link.Status) != "PENDING" {
		t.Fatalf("new link %+v", link)
	}
	gone := must[*apigatewayapi.VpcLink](t)(e.s.CreateVpcLink(ctx, &apigatewayapi.CreateVpcLinkRequest{Name: ptr.To("gone"),
		TargetArns: []string{strings.Replace(nlb, "n/1", "m/2", 1)}}))

	b := e.build(func(string) *apigatewayapi.PutIntegrationRequest {
		return &apigatewayapi.PutIntegrationRequest{Type: ptr.To("HTTP_PROXY"), IntegrationHttpMethod: ptr.To("GET"),
			Uri: ptr.To("http://internal.example:8080/svc"), ConnectionType: ptr.To("VPC_LINK"), ConnectionId: ptr.To("${stageVariables.link}")}
	}, false)
	must[*apigatewayapi.Stage](t)(e.updateStage(b.api, patch("replace", "/variables/link", *link.Id)))
	url := "http://" + b.api + ".execute-api.localhost/test/items"
	if s, body, _ := e.do("GET", url, "", nil); s != 500 {
		t.Fatalf("pending link: %d %s", s, body)
	}
	e.h.Clock.Advance(3 * time.Minute)
	if got := must[*apigatewayapi.VpcLink](t)(e.s.GetVpcLink(ctx, &apigatewayapi.GetVpcLinkRequest{VpcLinkId: gone.Id})); ptr.Deref(got.Status) != "FAILED" {
		t.Fatalf("link to nothing %+v", got)
	}
	if s, body, _ := e.do("GET", url, "", nil); s != 200 || body != "via nlb /svc" || host != "internal.example:8080" {
		t.Fatalf("through the link: %d %s (host %s)", s, body, host)
	}
	must[*apigatewayapi.Integration](t)(e.s.UpdateIntegration(ctx, &apigatewayapi.UpdateIntegrationRequest{RestApiId: &b.api, ResourceId: &b.items,
		HttpMethod: ptr.To("ANY"), PatchOperations: ops(patch("replace", "/connectionId", *link.Id))}))
	_, err = e.s.DeleteVpcLink(ctx, &apigatewayapi.DeleteVpcLinkRequest{VpcLinkId: link.Id})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "Cannot delete vpc link")
	// The stage variable now names the other link: 500, it failed.
	must[*apigatewayapi.Stage](t)(e.updateStage(b.api, patch("replace", "/variables/link", *gone.Id)))
	if s, _, _ := e.do("GET", url, "", nil); s != 500 {
		t.Fatalf("failed link: %d", s)
	}
	must[*apigatewayapi.DeleteVpcLinkOutput](t)(e.s.DeleteVpcLink(ctx, &apigatewayapi.DeleteVpcLinkRequest{VpcLinkId: gone.Id}))
	links := must[*apigatewayapi.VpcLinks](t)(e.s.GetVpcLinks(ctx, &apigatewayapi.GetVpcLinksRequest{}))
	if len(links.Items) != 1 || *links.Items[0].Id != *link.Id || ptr.Deref(links.Items[0].Status) != "AVAILABLE" {
		t.Fatalf("links %+v", links.Items)
	}
}
