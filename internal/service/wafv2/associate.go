package wafv2

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"sort"
	"strings"

	wafv2api "github.com/niwa-cloud/niwa/internal/api/wafv2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
	"github.com/niwa-cloud/niwa/internal/waf"
)

// resourceType is the ResourceType of an associable ARN, "" when the
// ARN is of nothing a regional web ACL protects.
func resourceType(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" {
		return ""
	}
	switch {
	case parts[2] == "elasticloadbalancing" && strings.HasPrefix(parts[5], "loadbalancer/app/"):
		return "APPLICATION_LOAD_BALANCER"
	case parts[2] == "apigateway" && strings.HasPrefix(parts[5], "/restapis/") && strings.Contains(parts[5], "/stages/"):
		return "API_GATEWAY"
	case parts[2] == "appsync" && strings.HasPrefix(parts[5], "apis/"):
		return "APPSYNC"
	case parts[2] == "cognito-idp" && strings.HasPrefix(parts[5], "userpool/"):
		return "COGNITO_USER_POOL"
	case parts[2] == "apprunner" && strings.HasPrefix(parts[5], "service/"):
		return "APP_RUNNER_SERVICE"
	case parts[2] == "ec2" && strings.HasPrefix(parts[5], "verified-access-instance/"):
		return "VERIFIED_ACCESS_INSTANCE"
	}
	return ""
}

// AssociateWebACL protects a regional resource with a REGIONAL web ACL
// of its region; a resource has one web ACL, a second association
// replaces the first, as AWS. CloudFront distributions name their web
// ACL in their own configuration (WebACLId), as AWS.
func (w *WAF) AssociateWebACL(ctx *request.Context, in *wafv2api.AssociateWebACLRequest) (*wafv2api.AssociateWebACLResponse, error) {
	res, aclARN := ptr.Deref(in.ResourceArn), ptr.Deref(in.WebACLArn)
	if resourceType(res) == "" {
		return nil, invalid("RESOURCE_ARN", res, "The ARN isn’t valid.")
	}
	sc := scopeOf(ctx)
	err := w.store.Update(func(tx storage.Tx) error {
		e, ok, err := entityByARN(tx, sc, aclARN)
		if err != nil {
			return err
		}
		if !ok || e.Kind != kindWebACL {
			return nonexistent()
		}
		if e.Scope != "REGIONAL" {
			return invalid("RESOURCE_ARN", res, "The resource is not valid for a web ACL of scope CLOUDFRONT.")
		}
		return associations.Put(tx, sc, aclARN, res)
	})
	if err != nil {
		return nil, err
	}
	return &wafv2api.AssociateWebACLResponse{}, nil
}

// DisassociateWebACL removes a resource's web ACL (nothing happens when
// it has none, as AWS).
func (w *WAF) DisassociateWebACL(ctx *request.Context, in *wafv2api.DisassociateWebACLRequest) (*wafv2api.DisassociateWebACLResponse, error) {
	res := ptr.Deref(in.ResourceArn)
	if resourceType(res) == "" {
		return nil, invalid("RESOURCE_ARN", res, "The ARN isn’t valid.")
	}
	err := w.store.Update(func(tx storage.Tx) error { return associations.Delete(tx, scopeOf(ctx), res) })
	if err != nil {
		return nil, err
	}
	return &wafv2api.DisassociateWebACLResponse{}, nil
}

// GetWebACLForResource returns the resource's web ACL; none is an empty
// answer, as AWS.
func (w *WAF) GetWebACLForResource(ctx *request.Context, in *wafv2api.GetWebACLForResourceRequest) (*wafv2api.GetWebACLForResourceResponse, error) {
	res := ptr.Deref(in.ResourceArn)
	if resourceType(res) == "" {
		return nil, invalid("RESOURCE_ARN", res, "The ARN isn’t valid.")
	}
	out := &wafv2api.GetWebACLForResourceResponse{}
	err := w.store.View(func(tx storage.Tx) error {
		aclARN, ok, err := associations.Get(tx, scopeOf(ctx), res)
		if err != nil || !ok {
			return err
		}
		e, ok, err := entityByARN(tx, scopeOf(ctx), aclARN)
		if err == nil && ok {
			out.WebACL = e.WebACL
		}
		return err
	})
	return out, err
}

// ListResourcesForWebACL lists the resources of a type (ALBs unless
// given) a web ACL protects.
func (w *WAF) ListResourcesForWebACL(ctx *request.Context, in *wafv2api.ListResourcesForWebACLRequest) (*wafv2api.ListResourcesForWebACLResponse, error) {
	aclARN := ptr.Deref(in.WebACLArn)
	typ := ptr.Deref(in.ResourceType)
	if typ == "" {
		typ = "APPLICATION_LOAD_BALANCER"
	}
	out := &wafv2api.ListResourcesForWebACLResponse{ResourceArns: []string{}}
	err := w.store.View(func(tx storage.Tx) error {
		if _, ok, err := entityByARN(tx, scopeOf(ctx), aclARN); err != nil {
			return err
		} else if !ok {
			return nonexistent()
		}
		return associations.List(tx, scopeOf(ctx), nil, storage.ListOptions{}, func(key []string, acl string) bool {
			if acl == aclARN && len(key) == 1 && resourceType(key[0]) == typ {
				out.ResourceArns = append(out.ResourceArns, key[0])
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(out.ResourceArns)
	return out, nil
}

// Inspect is the hook data planes call before routing a request to
// resourceARN (an ALB, an API Gateway stage) of account and region: it
// evaluates the associated web ACL, if any, and answers a blocked
// request itself (true). Allowed and counted requests get the headers
// their action inserts and go on (false). A web ACL that can no longer
// be compiled (a referenced set deleted under it) lets requests
// through, logged by the caller's metrics as allowed.
func (w *WAF) Inspect(rw http.ResponseWriter, r *http.Request, account, region, resourceARN string, client netip.Addr) bool {
	sc := storage.Scope{Account: account, Region: region}
	var acl *waf.ACL
	err := w.store.View(func(tx storage.Tx) error {
		aclARN, ok, err := associations.Get(tx, sc, resourceARN)
		if err != nil || !ok {
			return err
		}
		return w.compileARN(tx, sc, aclARN, &acl)
	})
	if err != nil || acl == nil {
		return false
	}
	return w.apply(rw, r, sc, acl, client)
}

func (w *WAF) compileARN(tx storage.Tx, sc storage.Scope, aclARN string, out **waf.ACL) error {
	e, ok, err := entityByARN(tx, sc, aclARN)
	if err != nil || !ok || e.WebACL == nil {
		return err
	}
	c := &compiler{tx: tx, sc: sc, scope: e.Scope, namespace: ptr.Deref(e.WebACL.LabelNamespace)}
	acl, err := c.acl(e.WebACL)
	if err != nil {
		return err
	}
	*out = acl
	return nil
}

func (w *WAF) apply(rw http.ResponseWriter, r *http.Request, sc storage.Scope, acl *waf.ACL, client netip.Addr) bool {
	req := &waf.Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header,
		Body: waf.ReadBody(r), ClientIP: client.Unmap(), Country: w.country(client)}
	d := acl.Evaluate(req, w.clock.Now(), w.rates)
	if d.Action.Kind == waf.Block {
		w.observe(sc, acl, r, req, d, blockStatus(d))
		acl.Respond(rw, d)
		return true
	}
	w.observe(sc, acl, r, req, d, 0)
	waf.Prepare(r, d)
	return false
}

// blockStatus is the code a Block answers: its custom response's, or
// AWS's default 403.
func blockStatus(d waf.Decision) int {
	if d.Action.Status != 0 {
		return d.Action.Status
	}
	return http.StatusForbidden
}

// parseARN reads arn:aws:wafv2:<region>:<account>:<prefix>/<kind>/<name>/<id>;
// kind is the prefix (global or regional).
func parseARN(arn string) (sc storage.Scope, kind, id string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[2] != "wafv2" {
		return sc, "", "", false
	}
	rest := strings.Split(parts[5], "/")
	if len(rest) != 4 {
		return sc, "", "", false
	}
	return storage.Scope{Account: parts[4], Region: parts[3]}, rest[0], rest[3], true
}

// Evaluate is the hook of a data plane that names its web ACL and
// writes its own block page (CloudFront's distributions, scope
// CLOUDFRONT): blocked is true when a Block rule or the Block default
// action applies. An ACL that does not exist blocks nothing.
func (w *WAF) Evaluate(ctx context.Context, aclARN string, r *http.Request, ip net.IP) (blocked bool, err error) {
	sc, _, _, ok := parseARN(aclARN)
	if !ok {
		return false, nil
	}
	var acl *waf.ACL
	if err := w.store.View(func(tx storage.Tx) error { return w.compileARN(tx, sc, aclARN, &acl) }); err != nil || acl == nil {
		return false, err
	}
	client, _ := netip.AddrFromSlice(ip)
	req := &waf.Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header,
		Body: waf.ReadBody(r), ClientIP: client.Unmap(), Country: w.country(client)}
	d := acl.Evaluate(req, w.clock.Now(), w.rates)
	if d.Action.Kind == waf.Block {
		w.observe(sc, acl, r, req, d, blockStatus(d))
		return true, nil
	}
	w.observe(sc, acl, r, req, d, 0)
	waf.Prepare(r, d)
	return false, nil
}

// InspectWithDefault is Inspect for data planes whose default block
// response is their own (API Gateway answers its WAF_FILTERED gateway
// response): a Block with a custom response is written to rw (answered);
// a default Block is only reported (blocked, not answered).
func (w *WAF) InspectWithDefault(rw http.ResponseWriter, r *http.Request, account, region, resourceARN string, client netip.Addr) (blocked, answered bool) {
	sc := storage.Scope{Account: account, Region: region}
	var acl *waf.ACL
	err := w.store.View(func(tx storage.Tx) error {
		aclARN, ok, err := associations.Get(tx, sc, resourceARN)
		if err != nil || !ok {
			return err
		}
		return w.compileARN(tx, sc, aclARN, &acl)
	})
	if err != nil || acl == nil {
		return false, false
	}
	req := &waf.Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header,
		Body: waf.ReadBody(r), ClientIP: client.Unmap(), Country: w.country(client)}
	d := acl.Evaluate(req, w.clock.Now(), w.rates)
	if d.Action.Kind != waf.Block {
		w.observe(sc, acl, r, req, d, 0)
		waf.Prepare(r, d)
		return false, false
	}
	w.observe(sc, acl, r, req, d, blockStatus(d))
	if d.Action.Status == 0 {
		return true, false
	}
	acl.Respond(rw, d)
	return true, true
}

// WebACLOf is the ARN of the web ACL associated with a resource ("" for
// none), for the resource's own description (a stage's webAclArn).
func (w *WAF) WebACLOf(account, region, resourceARN string) string {
	var aclARN string
	_ = w.store.View(func(tx storage.Tx) error {
		var err error
		aclARN, _, err = associations.Get(tx, storage.Scope{Account: account, Region: region}, resourceARN)
		return err
	})
	return aclARN
}
