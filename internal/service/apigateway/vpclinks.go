package apigateway

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// VPC links: a REST API's private integrations reach a network load
// balancer through a VPC link (CreateVpcLink with the NLB's ARN). A link
// is PENDING for vpcLinkProvisioning on niwa's clock, then AVAILABLE (or
// FAILED when its target is not a network load balancer); integrations
// with connectionType VPC_LINK send their requests to the NLB's listener
// on the URI's port, through the load balancer's own data plane.

// vpcLinkProvisioning is how long a new link stays PENDING (AWS takes
// minutes to provision the endpoint service).
const vpcLinkProvisioning = 2 * time.Minute

// LoadBalancers finds a network load balancer's listener for VPC links:
// the address its listener on port accepts connections on; found false
// when the ARN names no network load balancer of account and region.
type LoadBalancers interface {
	NetworkListener(account, region, lbARN string, port int32) (addr string, found, ok bool)
}

type vpcLink struct {
	Link    apigatewayapi.VpcLink
	Created time.Time
}

var vpcLinks = storage.NewTable[vpcLink]("vpclinks")

func errNoVpcLink() error {
	return apigatewayapi.ErrNotFoundException.New("Invalid VPC link identifier specified")
}

// view is the link as reported now: PENDING until provisioned, then
// AVAILABLE or FAILED by whether its target is a network load balancer.
func (s *APIGateway) viewLink(sc storage.Scope, l vpcLink) apigatewayapi.VpcLink {
	out := l.Link
	if s.clock.Now().Sub(l.Created) < vpcLinkProvisioning {
		out.Status, out.StatusMessage = ptr.To("PENDING"), ptr.To("VPC link is provisioning ENIs")
		return out
	}
	out.Status, out.StatusMessage = ptr.To("AVAILABLE"), ptr.To("Your vpc link is ready for use")
	if s.lbs != nil {
		for _, t := range l.Link.TargetArns {
			if _, found, _ := s.lbs.NetworkListener(sc.Account, sc.Region, t, 0); !found {
				out.Status, out.StatusMessage = ptr.To("FAILED"), ptr.To("NLB ARN is malformed or the NLB does not exist: "+t)
			}
		}
	}
	return out
}

func (s *APIGateway) CreateVpcLink(ctx *request.Context, in *apigatewayapi.CreateVpcLinkRequest) (*apigatewayapi.VpcLink, error) {
	if ptr.Deref(in.Name) == "" {
		return nil, badRequest("Invalid VPC link name")
	}
	if len(in.TargetArns) != 1 {
		return nil, badRequest("A VPC link needs exactly one target: the ARN of a network load balancer")
	}
	if !strings.HasPrefix(in.TargetArns[0], "arn:aws:elasticloadbalancing:") || !strings.Contains(in.TargetArns[0], ":loadbalancer/net/") {
		return nil, badRequest("Invalid target ARN %s: VPC links target network load balancers", in.TargetArns[0])
	}
	id := newID()
	l := vpcLink{Link: apigatewayapi.VpcLink{Id: &id, Name: in.Name, Description: in.Description, TargetArns: in.TargetArns, Tags: in.Tags},
		Created: ctx.Now()}
	if err := s.store.Update(func(tx storage.Tx) error { return vpcLinks.Put(tx, scope(ctx), l, id) }); err != nil {
		return nil, err
	}
	out := s.viewLink(scope(ctx), l)
	return &out, nil
}

func (s *APIGateway) loadLink(sc storage.Scope, id string) (vpcLink, error) {
	var l vpcLink
	err := s.store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		if l, ok, err = vpcLinks.Get(tx, sc, id); err == nil && !ok {
			err = errNoVpcLink()
		}
		return err
	})
	return l, err
}

func (s *APIGateway) GetVpcLink(ctx *request.Context, in *apigatewayapi.GetVpcLinkRequest) (*apigatewayapi.VpcLink, error) {
	l, err := s.loadLink(scope(ctx), ptr.Deref(in.VpcLinkId))
	if err != nil {
		return nil, err
	}
	out := s.viewLink(scope(ctx), l)
	return &out, nil
}

func (s *APIGateway) GetVpcLinks(ctx *request.Context, in *apigatewayapi.GetVpcLinksRequest) (*apigatewayapi.VpcLinks, error) {
	out := &apigatewayapi.VpcLinks{Items: []apigatewayapi.VpcLink{}}
	err := s.store.View(func(tx storage.Tx) error {
		return vpcLinks.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, l vpcLink) bool {
			out.Items = append(out.Items, s.viewLink(scope(ctx), l))
			return true
		})
	})
	sort.Slice(out.Items, func(i, j int) bool { return ptr.Deref(out.Items[i].Name) < ptr.Deref(out.Items[j].Name) })
	return out, err
}

// UpdateVpcLink patches /name and /description.
func (s *APIGateway) UpdateVpcLink(ctx *request.Context, in *apigatewayapi.UpdateVpcLinkRequest) (*apigatewayapi.VpcLink, error) {
	var l vpcLink
	err := s.store.Update(func(tx storage.Tx) error {
		var ok bool
		var err error
		if l, ok, err = vpcLinks.Get(tx, scope(ctx), ptr.Deref(in.VpcLinkId)); err != nil {
			return err
		} else if !ok {
			return errNoVpcLink()
		}
		if err := applyPatch(&l.Link, in.PatchOperations, patchPaths{"/name", "/description"}, nil); err != nil {
			return err
		}
		return vpcLinks.Put(tx, scope(ctx), l, ptr.Deref(in.VpcLinkId))
	})
	if err != nil {
		return nil, err
	}
	out := s.viewLink(scope(ctx), l)
	return &out, nil
}

// DeleteVpcLink removes a link no integration uses.
func (s *APIGateway) DeleteVpcLink(ctx *request.Context, in *apigatewayapi.DeleteVpcLinkRequest) (*apigatewayapi.DeleteVpcLinkOutput, error) {
	id := ptr.Deref(in.VpcLinkId)
	err := s.store.Update(func(tx storage.Tx) error {
		var users []string
		if err := apis.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, a restAPI) bool {
			for _, r := range a.Resources {
				for verb, m := range r.ResourceMethods {
					if in := m.MethodIntegration; in != nil && ptr.Deref(in.ConnectionType) == "VPC_LINK" && ptr.Deref(in.ConnectionId) == id {
						users = append(users, verb+":"+ptr.Deref(a.API.Id)+ptr.Deref(r.Path))
					}
				}
			}
			return true
		}); err != nil {
			return err
		}
		if len(users) > 0 {
			sort.Strings(users)
			return badRequest("Cannot delete vpc link. Vpc link '%s', is referenced in [%s] in format of [Method:Resource].", id, strings.Join(users, ", "))
		}
		ok, err := vpcLinks.DeleteExisting(tx, scope(ctx), id)
		if err == nil && !ok {
			err = errNoVpcLink()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayapi.DeleteVpcLinkOutput{}, nil
}

// linkDialer is the HTTP client of a VPC_LINK integration: connections
// to the URI's host go to the link's network load balancer's listener
// on the URI's port (the Host header stays the URI's).
func (s *APIGateway) linkClient(c *call, integ *apigatewayapi.Integration, base *http.Client, target *url.URL) (*http.Client, bool) {
	id := ptr.Deref(integ.ConnectionId)
	if v, ok := strings.CutPrefix(id, "${stageVariables."); ok {
		id = c.stage.Variables[strings.TrimSuffix(v, "}")]
	}
	sc := storage.Scope{Account: c.loc.Account, Region: c.loc.Region}
	l, err := s.loadLink(sc, id)
	if err != nil {
		c.logf("Execution failed due to configuration error: Invalid VPC link %s", id)
		return nil, false
	}
	if v := s.viewLink(sc, l); ptr.Deref(v.Status) != "AVAILABLE" || s.lbs == nil {
		c.logf("Execution failed due to configuration error: VPC link %s is %s", id, ptr.Deref(v.Status))
		return nil, false
	}
	port := target.Port()
	if port == "" {
		port = "80"
		if target.Scheme == "https" {
			port = "443"
		}
	}
	p, _ := strconv.Atoi(port)
	addr, _, ok := s.lbs.NetworkListener(sc.Account, sc.Region, l.Link.TargetArns[0], int32(p))
	if !ok {
		c.logf("Execution failed due to configuration error: the VPC link's load balancer has no listener on port %d", p)
		return nil, false
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	if bt, ok := base.Transport.(*http.Transport); ok && bt != nil {
		t = bt.Clone()
	}
	d := &net.Dialer{Timeout: 10 * time.Second}
	t.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}
	return &http.Client{Transport: t}, true
}
