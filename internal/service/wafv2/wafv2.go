// Package wafv2 is AWS WAF (v2): IP sets and web ACLs whose rules (IP
// set references, byte matches on headers, the URI, the query string or
// the method, with text transformations, combined by AND, OR and NOT)
// allow, block or count requests, with a default action. CloudFront
// distributions name a web ACL of scope CLOUDFRONT (WebACLId) and the
// edge asks Evaluate before its cache (internal/server wires it).
//
// Statements niwa does not evaluate (SQLi/XSS, size, geo, regex, rate,
// label, managed rule groups) never match; Captcha and Challenge actions
// block, as a client without a browser would be.
package wafv2

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"

	wafapi "github.com/niwa-cloud/niwa/internal/api/wafv2"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Options configure the service.
type Options struct {
	Store storage.Store
	Log   *slog.Logger
}

// WAF implements the WAFV2 API. Bind it with wafapi.Bind.
type WAF struct{ opt Options }

// New returns the service.
func New(opt Options) *WAF {
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	return &WAF{opt: opt}
}

// Build makes the service from what the platform gives it.
func Build(d kit.Deps) (kit.Declaration, error) {
	return New(Options{Store: d.Store, Log: d.Log}).Declare(), nil
}

// Declare is WAF as the platform sees it: actions wafv2:<Operation> on
// the web ACL or IP set the input names.
func (w *WAF) Declare() kit.Declaration {
	return kit.Declaration{
		Impl:      w,
		Namespace: "wafv2",
		Authz: kit.Authz{Prefix: "wafv2", Resources: func(op string, in kit.Input, env kit.Env) []string {
			if a := in.Str("ResourceARN"); a != "" {
				return []string{a}
			}
			return nil
		}},
	}
}

type ipSetRec struct {
	Set  wafapi.IPSet `json:"set"`
	Lock string       `json:"lock"`
}

type aclRec struct {
	ACL  wafapi.WebACL `json:"acl"`
	Lock string        `json:"lock"`
}

var (
	ipSets = storage.NewTable[ipSetRec]("ipset")
	acls   = storage.NewTable[aclRec]("webacl")
)

// scopeOf: CLOUDFRONT resources live in us-east-1, as on AWS.
func scopeOf(ctx *request.Context, scope string) (storage.Scope, string, error) {
	switch scope {
	case "CLOUDFRONT":
		return storage.Scope{Account: ctx.Account, Region: "us-east-1"}, "global", nil
	case "REGIONAL":
		return storage.Scope{Account: ctx.Account, Region: ctx.Region}, "regional", nil
	}
	return storage.Scope{}, "", wafapi.ErrWAFInvalidParameterException.New("Error reason: The scope is not valid., field: SCOPE_VALUE, parameter: %s", scope)
}

func nonexistent() error {
	return wafapi.ErrWAFNonexistentItemException.New("AWS WAF couldn’t perform the operation because your resource doesn’t exist.")
}

func lockFailed() error {
	return wafapi.ErrWAFOptimisticLockException.New("AWS WAF couldn’t save your changes because you tried to update or delete a resource that has changed since you last retrieved it. Get the resource again, make any changes you need to make to the new copy, and retry your operation.")
}

func duplicate() error {
	return wafapi.ErrWAFDuplicateItemException.New("AWS WAF couldn’t perform the operation because some resource in your request is a duplicate of an existing one.")
}

// checkAddresses: every address is a CIDR of the set's IP version.
func checkAddresses(version string, addrs []string) error {
	for _, a := range addrs {
		ip, _, err := net.ParseCIDR(a)
		if err != nil || (version == "IPV4") != (ip.To4() != nil) {
			return wafapi.ErrWAFInvalidParameterException.New("Error reason: The parameter contains formatting that isn't valid., field: IP_ADDRESS, parameter: %s", a)
		}
	}
	return nil
}

// CreateIPSet creates an IP set (names unique per scope).
func (w *WAF) CreateIPSet(ctx *request.Context, in *wafapi.CreateIPSetRequest) (*wafapi.CreateIPSetResponse, error) {
	sc, kind, err := scopeOf(ctx, ptr.Deref(in.Scope))
	if err != nil {
		return nil, err
	}
	if err := checkAddresses(ptr.Deref(in.IPAddressVersion), in.Addresses); err != nil {
		return nil, err
	}
	id := awsid.UUID()
	arn := "arn:aws:wafv2:" + sc.Region + ":" + ctx.Account + ":" + kind + "/ipset/" + ptr.Deref(in.Name) + "/" + id
	r := ipSetRec{Lock: awsid.UUID(), Set: wafapi.IPSet{Name: in.Name, Id: &id, ARN: &arn, Description: in.Description,
		IPAddressVersion: in.IPAddressVersion, Addresses: append([]string{}, in.Addresses...)}}
	err = w.opt.Store.Update(func(tx storage.Tx) error {
		dup := false
		if err := ipSets.List(tx, sc, []string{kind}, storage.ListOptions{}, func(_ []string, o ipSetRec) bool {
			dup = ptr.Deref(o.Set.Name) == ptr.Deref(in.Name)
			return !dup
		}); err != nil {
			return err
		}
		if dup {
			return duplicate()
		}
		return ipSets.Put(tx, sc, r, kind, id)
	})
	if err != nil {
		return nil, err
	}
	return &wafapi.CreateIPSetResponse{Summary: &wafapi.IPSetSummary{Name: in.Name, Id: &id, Description: in.Description, LockToken: &r.Lock, ARN: &arn}}, nil
}

func (w *WAF) getIPSet(ctx *request.Context, scope, id string) (ipSetRec, storage.Scope, error) {
	sc, kind, err := scopeOf(ctx, scope)
	if err != nil {
		return ipSetRec{}, sc, err
	}
	var r ipSetRec
	err = w.opt.Store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		r, ok, err = ipSets.Get(tx, sc, kind, id)
		if err == nil && !ok {
			err = nonexistent()
		}
		return err
	})
	return r, sc, err
}

// GetIPSet answers an IP set and its lock token.
func (w *WAF) GetIPSet(ctx *request.Context, in *wafapi.GetIPSetRequest) (*wafapi.GetIPSetResponse, error) {
	r, _, err := w.getIPSet(ctx, ptr.Deref(in.Scope), ptr.Deref(in.Id))
	if err != nil {
		return nil, err
	}
	return &wafapi.GetIPSetResponse{IPSet: &r.Set, LockToken: &r.Lock}, nil
}

// UpdateIPSet replaces an IP set's addresses given its lock token.
func (w *WAF) UpdateIPSet(ctx *request.Context, in *wafapi.UpdateIPSetRequest) (*wafapi.UpdateIPSetResponse, error) {
	sc, kind, err := scopeOf(ctx, ptr.Deref(in.Scope))
	if err != nil {
		return nil, err
	}
	next := awsid.UUID()
	err = w.opt.Store.Update(func(tx storage.Tx) error {
		r, ok, err := ipSets.Get(tx, sc, kind, ptr.Deref(in.Id))
		if err != nil {
			return err
		}
		if !ok {
			return nonexistent()
		}
		if r.Lock != ptr.Deref(in.LockToken) {
			return lockFailed()
		}
		if err := checkAddresses(ptr.Deref(r.Set.IPAddressVersion), in.Addresses); err != nil {
			return err
		}
		r.Set.Addresses, r.Set.Description, r.Lock = append([]string{}, in.Addresses...), in.Description, next
		return ipSets.Put(tx, sc, r, kind, ptr.Deref(in.Id))
	})
	if err != nil {
		return nil, err
	}
	return &wafapi.UpdateIPSetResponse{NextLockToken: &next}, nil
}

// DeleteIPSet deletes an IP set given its lock token.
func (w *WAF) DeleteIPSet(ctx *request.Context, in *wafapi.DeleteIPSetRequest) (*wafapi.DeleteIPSetResponse, error) {
	sc, kind, err := scopeOf(ctx, ptr.Deref(in.Scope))
	if err != nil {
		return nil, err
	}
	err = w.opt.Store.Update(func(tx storage.Tx) error {
		r, ok, err := ipSets.Get(tx, sc, kind, ptr.Deref(in.Id))
		if err != nil {
			return err
		}
		if !ok {
			return nonexistent()
		}
		if r.Lock != ptr.Deref(in.LockToken) {
			return lockFailed()
		}
		return ipSets.Delete(tx, sc, kind, ptr.Deref(in.Id))
	})
	if err != nil {
		return nil, err
	}
	return &wafapi.DeleteIPSetResponse{}, nil
}

// ListIPSets lists a scope's IP sets.
func (w *WAF) ListIPSets(ctx *request.Context, in *wafapi.ListIPSetsRequest) (*wafapi.ListIPSetsResponse, error) {
	sc, kind, err := scopeOf(ctx, ptr.Deref(in.Scope))
	if err != nil {
		return nil, err
	}
	out := &wafapi.ListIPSetsResponse{IPSets: []wafapi.IPSetSummary{}}
	err = w.opt.Store.View(func(tx storage.Tx) error {
		return ipSets.List(tx, sc, []string{kind}, storage.ListOptions{}, func(_ []string, r ipSetRec) bool {
			out.IPSets = append(out.IPSets, wafapi.IPSetSummary{Name: r.Set.Name, Id: r.Set.Id, Description: r.Set.Description, LockToken: ptr.To(r.Lock), ARN: r.Set.ARN})
			return true
		})
	})
	return out, err
}

// CreateWebACL creates a web ACL.
func (w *WAF) CreateWebACL(ctx *request.Context, in *wafapi.CreateWebACLRequest) (*wafapi.CreateWebACLResponse, error) {
	sc, kind, err := scopeOf(ctx, ptr.Deref(in.Scope))
	if err != nil {
		return nil, err
	}
	id := awsid.UUID()
	arn := "arn:aws:wafv2:" + sc.Region + ":" + ctx.Account + ":" + kind + "/webacl/" + ptr.Deref(in.Name) + "/" + id
	r := aclRec{Lock: awsid.UUID(), ACL: wafapi.WebACL{Name: in.Name, Id: &id, ARN: &arn, DefaultAction: in.DefaultAction,
		Description: in.Description, Rules: in.Rules, VisibilityConfig: in.VisibilityConfig, Capacity: ptr.To(int64(len(in.Rules))),
		ManagedByFirewallManager: ptr.To(false), LabelNamespace: ptr.To("awswaf:" + ctx.Account + ":webacl:" + ptr.Deref(in.Name) + ":"),
		CustomResponseBodies: in.CustomResponseBodies}}
	err = w.opt.Store.Update(func(tx storage.Tx) error {
		dup := false
		if err := acls.List(tx, sc, []string{kind}, storage.ListOptions{}, func(_ []string, o aclRec) bool {
			dup = ptr.Deref(o.ACL.Name) == ptr.Deref(in.Name)
			return !dup
		}); err != nil {
			return err
		}
		if dup {
			return duplicate()
		}
		return acls.Put(tx, sc, r, kind, id)
	})
	if err != nil {
		return nil, err
	}
	return &wafapi.CreateWebACLResponse{Summary: &wafapi.WebACLSummary{Name: in.Name, Id: &id, Description: in.Description, LockToken: &r.Lock, ARN: &arn}}, nil
}

// GetWebACL answers a web ACL and its lock token.
func (w *WAF) GetWebACL(ctx *request.Context, in *wafapi.GetWebACLRequest) (*wafapi.GetWebACLResponse, error) {
	sc, kind, err := scopeOf(ctx, ptr.Deref(in.Scope))
	if err != nil {
		return nil, err
	}
	var r aclRec
	err = w.opt.Store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		r, ok, err = acls.Get(tx, sc, kind, ptr.Deref(in.Id))
		if err == nil && !ok {
			err = nonexistent()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &wafapi.GetWebACLResponse{WebACL: &r.ACL, LockToken: &r.Lock}, nil
}

// UpdateWebACL replaces a web ACL's rules and default action given its
// lock token.
func (w *WAF) UpdateWebACL(ctx *request.Context, in *wafapi.UpdateWebACLRequest) (*wafapi.UpdateWebACLResponse, error) {
	sc, kind, err := scopeOf(ctx, ptr.Deref(in.Scope))
	if err != nil {
		return nil, err
	}
	next := awsid.UUID()
	err = w.opt.Store.Update(func(tx storage.Tx) error {
		r, ok, err := acls.Get(tx, sc, kind, ptr.Deref(in.Id))
		if err != nil {
			return err
		}
		if !ok {
			return nonexistent()
		}
		if r.Lock != ptr.Deref(in.LockToken) {
			return lockFailed()
		}
		r.ACL.DefaultAction, r.ACL.Rules, r.ACL.Description, r.ACL.VisibilityConfig = in.DefaultAction, in.Rules, in.Description, in.VisibilityConfig
		r.ACL.CustomResponseBodies, r.ACL.Capacity, r.Lock = in.CustomResponseBodies, ptr.To(int64(len(in.Rules))), next
		return acls.Put(tx, sc, r, kind, ptr.Deref(in.Id))
	})
	if err != nil {
		return nil, err
	}
	return &wafapi.UpdateWebACLResponse{NextLockToken: &next}, nil
}

// DeleteWebACL deletes a web ACL given its lock token.
func (w *WAF) DeleteWebACL(ctx *request.Context, in *wafapi.DeleteWebACLRequest) (*wafapi.DeleteWebACLResponse, error) {
	sc, kind, err := scopeOf(ctx, ptr.Deref(in.Scope))
	if err != nil {
		return nil, err
	}
	err = w.opt.Store.Update(func(tx storage.Tx) error {
		r, ok, err := acls.Get(tx, sc, kind, ptr.Deref(in.Id))
		if err != nil {
			return err
		}
		if !ok {
			return nonexistent()
		}
		if r.Lock != ptr.Deref(in.LockToken) {
			return lockFailed()
		}
		return acls.Delete(tx, sc, kind, ptr.Deref(in.Id))
	})
	if err != nil {
		return nil, err
	}
	return &wafapi.DeleteWebACLResponse{}, nil
}

// ListWebACLs lists a scope's web ACLs.
func (w *WAF) ListWebACLs(ctx *request.Context, in *wafapi.ListWebACLsRequest) (*wafapi.ListWebACLsResponse, error) {
	sc, kind, err := scopeOf(ctx, ptr.Deref(in.Scope))
	if err != nil {
		return nil, err
	}
	out := &wafapi.ListWebACLsResponse{WebACLs: []wafapi.WebACLSummary{}}
	err = w.opt.Store.View(func(tx storage.Tx) error {
		return acls.List(tx, sc, []string{kind}, storage.ListOptions{}, func(_ []string, r aclRec) bool {
			out.WebACLs = append(out.WebACLs, wafapi.WebACLSummary{Name: r.ACL.Name, Id: r.ACL.Id, Description: r.ACL.Description, LockToken: ptr.To(r.Lock), ARN: r.ACL.ARN})
			return true
		})
	})
	return out, err
}

// parseARN reads arn:aws:wafv2:<region>:<account>:<scope>/<kind>/<name>/<id>.
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

// Evaluate decides a request under the web ACL an ARN names: blocked is
// true when a Block (or Captcha/Challenge) rule or the Block default
// action applies. An ACL that does not exist blocks nothing (AWS refuses
// to associate one).
func (w *WAF) Evaluate(ctx context.Context, aclARN string, r *http.Request, ip net.IP) (blocked bool, err error) {
	sc, kind, id, ok := parseARN(aclARN)
	if !ok {
		return false, nil
	}
	var acl aclRec
	err = w.opt.Store.View(func(tx storage.Tx) error {
		acl, ok, err = acls.Get(tx, sc, kind, id)
		return err
	})
	if err != nil || !ok {
		return false, err
	}
	rules := append([]wafapi.Rule{}, acl.ACL.Rules...)
	sort.SliceStable(rules, func(i, j int) bool { return ptr.Deref(rules[i].Priority) < ptr.Deref(rules[j].Priority) })
	for _, rule := range rules {
		if rule.Statement == nil || !w.matches(*rule.Statement, r, ip, 0) {
			continue
		}
		a := rule.Action
		switch {
		case a == nil, a.Count != nil:
			continue
		case a.Allow != nil:
			return false, nil
		default: // Block, Captcha, Challenge
			return true, nil
		}
	}
	return acl.ACL.DefaultAction != nil && acl.ACL.DefaultAction.Block != nil, nil
}

// maxDepth bounds nested statements (AWS limits nesting too).
const maxDepth = 20

func (w *WAF) matches(st wafapi.Statement, r *http.Request, ip net.IP, depth int) bool {
	if depth > maxDepth {
		return false
	}
	switch {
	case st.AndStatement != nil:
		for _, s := range st.AndStatement.Statements {
			if !w.matches(s, r, ip, depth+1) {
				return false
			}
		}
		return len(st.AndStatement.Statements) > 0
	case st.OrStatement != nil:
		for _, s := range st.OrStatement.Statements {
			if w.matches(s, r, ip, depth+1) {
				return true
			}
		}
		return false
	case st.NotStatement != nil && st.NotStatement.Statement != nil:
		return !w.matches(*st.NotStatement.Statement, r, ip, depth+1)
	case st.IPSetReferenceStatement != nil:
		return w.inIPSet(ptr.Deref(st.IPSetReferenceStatement.ARN), ip)
	case st.ByteMatchStatement != nil:
		return byteMatch(st.ByteMatchStatement, r)
	}
	return false
}

func (w *WAF) inIPSet(arn string, ip net.IP) bool {
	sc, kind, id, ok := parseARN(arn)
	if !ok || ip == nil {
		return false
	}
	var set ipSetRec
	if err := w.opt.Store.View(func(tx storage.Tx) (err error) {
		set, ok, err = ipSets.Get(tx, sc, kind, id)
		return err
	}); err != nil || !ok {
		return false
	}
	for _, a := range set.Set.Addresses {
		if _, n, err := net.ParseCIDR(a); err == nil && n.Contains(ip) {
			return true
		}
	}
	return false
}

// byteMatch compares a part of the request with the search string after
// the text transformations (LOWERCASE, URL_DECODE, COMPRESS_WHITE_SPACE;
// others leave the value as it is).
func byteMatch(b *wafapi.ByteMatchStatement, r *http.Request) bool {
	f := b.FieldToMatch
	if f == nil {
		return false
	}
	var v string
	switch {
	case f.SingleHeader != nil:
		v = r.Header.Get(ptr.Deref(f.SingleHeader.Name))
	case f.UriPath != nil:
		v = r.URL.EscapedPath()
	case f.QueryString != nil:
		v = r.URL.RawQuery
	case f.Method != nil:
		v = r.Method
	case f.SingleQueryArgument != nil:
		v = r.URL.Query().Get(ptr.Deref(f.SingleQueryArgument.Name))
	default:
		return false
	}
	ts := append([]wafapi.TextTransformation{}, b.TextTransformations...)
	sort.SliceStable(ts, func(i, j int) bool { return ptr.Deref(ts[i].Priority) < ptr.Deref(ts[j].Priority) })
	for _, t := range ts {
		switch ptr.Deref(t.Type) {
		case "LOWERCASE":
			v = strings.ToLower(v)
		case "URL_DECODE":
			if d, err := url.QueryUnescape(v); err == nil {
				v = d
			}
		case "COMPRESS_WHITE_SPACE":
			v = strings.Join(strings.Fields(v), " ")
		}
	}
	s := string(b.SearchString)
	switch ptr.Deref(b.PositionalConstraint) {
	case "EXACTLY":
		return v == s
	case "STARTS_WITH":
		return strings.HasPrefix(v, s)
	case "ENDS_WITH":
		return strings.HasSuffix(v, s)
	case "CONTAINS":
		return strings.Contains(v, s)
	case "CONTAINS_WORD":
		for _, word := range strings.FieldsFunc(v, func(c rune) bool {
			return !(c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z')
		}) {
			if word == s {
				return true
			}
		}
	}
	return false
}
