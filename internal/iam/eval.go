package iam

import (
	"fmt"
	"strings"
)

// Principal is who makes a request, as policies name them.
type Principal struct {
	// ARN is the user ARN, the assumed-role session ARN
	// (arn:aws:sts::<account>:assumed-role/<role>/<session>), the root
	// ARN (arn:aws:iam::<account>:root), or "" for anonymous callers.
	ARN     string
	Account string
	// UserID is the unique id (AIDA..., AROA...:session, the account id
	// for root): policies may name it.
	UserID string
	// RoleARN is the role of an assumed-role session: a Principal element
	// naming the role matches its sessions.
	RoleARN   string
	Anonymous bool
	// Service is set when a service acts (lambda.amazonaws.com), for
	// trust and resource policies naming a service principal.
	Service string
	// Federated is the SAML/OIDC provider ARN (or web identity provider
	// name) of a federated caller.
	Federated string
	// CanonicalUser is the S3 canonical id of the account.
	CanonicalUser string
}

// IsRoot reports whether the principal is an account's root user.
func (p Principal) IsRoot() bool {
	// p.ARN == "arn:aws:iam::"+p.Account+":root", without the string.
	const prefix, suffix = "arn:aws:iam::", ":root"
	return !p.Anonymous && p.Account != "" && len(p.ARN) == len(prefix)+len(p.Account)+len(suffix) &&
		strings.HasPrefix(p.ARN, prefix) && strings.HasSuffix(p.ARN, suffix) && p.ARN[len(prefix):len(p.ARN)-len(suffix)] == p.Account
}

// Request is one authorization question: may Principal perform Action on
// Resource, given the condition keys in Context.
type Request struct {
	Principal Principal
	// Action is "<service>:<Action>" ("s3:GetObject").
	Action string
	// Resource is an ARN, or "*" for actions without resource-level
	// permissions.
	Resource string
	Context  Context
}

// Policies are the policies that apply to one request.
type Policies struct {
	// Identity are the principal's identity-based policies (inline and
	// attached, its groups' for users). Ignored for root and anonymous
	// callers.
	Identity []*Policy
	// Boundary is the principal's permissions boundary, or nil.
	Boundary *Policy
	// Session are the session policies passed when the session was
	// created (nil: none; an empty non-nil slice allows nothing).
	Session []*Policy
	// Resource is the resource's resource-based policy, or nil.
	Resource *Policy
	// ResourceAccount owns the resource ("" means the principal's own
	// account).
	ResourceAccount string
	// ResourceRequired is set for resources whose policy must allow the
	// request even within the account (role trust policies, KMS key
	// policies): an identity-based allow alone is not enough.
	ResourceRequired bool
}

// Match is one statement that took part in a decision.
type Match struct {
	Policy    *Policy
	Statement *Statement
}

func (m Match) String() string {
	s := m.Policy.Source
	if s == "" {
		s = "policy"
	}
	if m.Statement.Sid != "" {
		return fmt.Sprintf("%s statement %q", s, m.Statement.Sid)
	}
	return fmt.Sprintf("%s statement #%d", s, m.Statement.Index)
}

// Reason is why a decision came out as it did.
type Reason int

// Reasons.
const (
	ImplicitDeny Reason = iota
	ExplicitDeny
	Allowed
)

func (r Reason) String() string {
	switch r {
	case Allowed:
		return "allowed"
	case ExplicitDeny:
		return "explicitDeny"
	}
	return "implicitDeny"
}

// Layers of policies, as AWS's denial messages name them.
const (
	LayerIdentity = "identity-based policy"
	LayerResource = "resource-based policy"
	LayerBoundary = "permissions boundary"
	LayerSession  = "session policy"
	// LayerEndpoint is the policy of the VPC endpoint a request came
	// through, which must allow it too.
	LayerEndpoint = "VPC endpoint policy"
)

// Decision is the outcome of Evaluate.
type Decision struct {
	Reason Reason
	// Layer is the layer that denied: the one with the explicit deny, or
	// the first one that had no allow.
	Layer string
	// Matched are the deciding statements: the denying statements of an
	// explicit deny, or the allowing statements of an allow.
	Matched []Match
	// MissingContext are condition keys the request lacked.
	MissingContext []string
}

// Allowed reports whether the request is allowed.
func (d Decision) Allowed() bool { return d.Reason == Allowed }

// Message is AWS's denial message: "User: <arn> is not authorized to
// perform: <action> on resource: <resource> because no identity-based
// policy allows the <action> action" (or "with an explicit deny in a
// resource-based policy").
func (d Decision) Message(req Request) string {
	who := req.Principal.ARN
	if who == "" {
		who = "anonymous"
	}
	action := messageAction(req.Action)
	base := fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s", who, action, req.Resource)
	switch d.Reason {
	case ExplicitDeny:
		return base + " with an explicit deny in " + article(d.Layer) + " " + d.Layer
	case ImplicitDeny:
		return fmt.Sprintf("%s because no %s allows the %s action", base, d.Layer, action)
	}
	return ""
}

// Deciding describes the deciding statements for logs.
func (d Decision) Deciding() string {
	if len(d.Matched) == 0 {
		return "no matching statement"
	}
	parts := make([]string, len(d.Matched))
	for i, m := range d.Matched {
		parts[i] = m.String()
	}
	return strings.Join(parts, "; ")
}

// messageAction is the action as AWS writes it in a denial: SQS's
// authorization layer lower-cases its actions ("is not authorized to
// perform: sqs:sendmessage ... because no identity-based policy allows
// the sqs:sendmessage action"); other services keep the API's casing.
func messageAction(action string) string {
	if strings.HasPrefix(action, "sqs:") {
		return strings.ToLower(action)
	}
	return action
}

func article(layer string) string {
	if strings.HasPrefix(layer, "identity") {
		return "an"
	}
	return "a"
}

// scan looks through policies for statements matching req with the given
// effect. withPrincipal makes the statements' Principal elements count
// (resource-based policies). It returns the matches and whether any
// matched only through an account principal (delegation).
type scanResult struct {
	matches   []Match
	direct    bool // a match named the principal itself (or "*")
	delegated bool // a match named the principal's account
	missing   []string
}

func scan(policies []*Policy, req *Request, action string, effect Effect, withPrincipal bool, res *scanResult) {
	for _, p := range policies {
		if p == nil {
			continue
		}
		for i := range p.Statements {
			st := &p.Statements[i]
			if st.Effect != effect {
				continue
			}
			direct := true
			if withPrincipal {
				d, dl := st.principalMatch(req.Principal)
				if !d && !dl {
					continue
				}
				direct = d
			}
			ok, missing := st.matches(req, action, p.Version)
			res.missing = append(res.missing, missing...)
			if !ok {
				continue
			}
			res.matches = append(res.matches, Match{Policy: p, Statement: st})
			if direct {
				res.direct = true
			} else {
				res.delegated = true
			}
		}
	}
}

// Evaluate decides req against pol, following AWS's policy evaluation
// logic for a single account (no SCPs yet: an organization layer would
// be one more filter between explicit deny and the allows):
//
//  1. An explicit Deny in any applicable policy denies.
//  2. Anonymous callers are allowed only by a resource policy naming
//     "*" (or them).
//  3. The root user of the resource's account is allowed.
//  4. Within one account, an allow in an identity-based policy (limited
//     by the permissions boundary and session policies) or a resource
//     policy naming the principal allows — unless ResourceRequired, when
//     the resource policy must also name the principal or its account.
//  5. Across accounts both sides must allow: the resource policy must
//     name the principal or its account, and the principal's own
//     identity-based policies must allow.
func Evaluate(req Request, pol Policies) Decision {
	p := req.Principal
	root, anon := p.IsRoot(), p.Anonymous
	if root && pol.Resource == nil && (pol.ResourceAccount == "" || pol.ResourceAccount == p.Account) {
		// The root of the resource's account with no resource policy
		// (most requests niwa serves): no layer applies to it that
		// could deny, so the steps below would allow it, matching no
		// statement and reading no condition key.
		return Decision{Reason: Allowed}
	}
	action := foldAction(req.Action)
	var resPols []*Policy
	if pol.Resource != nil {
		resPols = []*Policy{pol.Resource}
	}
	idPols := pol.Identity
	if root || anon {
		idPols = nil
	}
	var d Decision
	// 1. Explicit denies.
	for _, layer := range []struct {
		name     string
		pols     []*Policy
		withPrin bool
	}{
		{LayerResource, resPols, true},
		{LayerIdentity, idPols, false},
		{LayerBoundary, onePolicy(pol.Boundary, root || anon), false},
		{LayerSession, sessionPolicies(pol.Session, root || anon), false},
	} {
		var r scanResult
		scan(layer.pols, &req, action, Deny, layer.withPrin, &r)
		d.MissingContext = append(d.MissingContext, r.missing...)
		if len(r.matches) > 0 {
			d.Reason, d.Layer, d.Matched = ExplicitDeny, layer.name, r.matches
			return d
		}
	}
	var resAllow scanResult
	scan(resPols, &req, action, Allow, true, &resAllow)
	d.MissingContext = append(d.MissingContext, resAllow.missing...)
	sameAccount := pol.ResourceAccount == "" || pol.ResourceAccount == p.Account

	// 2. Anonymous.
	if anon {
		if resAllow.direct {
			d.Reason, d.Matched = Allowed, resAllow.matches
			return d
		}
		d.Layer = LayerResource
		return d
	}
	// 3. Root of the resource's account.
	if root && sameAccount {
		if pol.ResourceRequired && pol.Resource != nil && !resAllow.direct && !resAllow.delegated {
			d.Layer = LayerResource
			return d
		}
		d.Reason, d.Matched = Allowed, resAllow.matches
		return d
	}
	// Identity side.
	var idAllow, bAllow, sAllow scanResult
	idOK := root
	if !root {
		scan(idPols, &req, action, Allow, false, &idAllow)
		idOK = len(idAllow.matches) > 0
	}
	bOK := true
	if pol.Boundary != nil && !root {
		scan([]*Policy{pol.Boundary}, &req, action, Allow, false, &bAllow)
		bOK = len(bAllow.matches) > 0
	}
	sOK := true
	if pol.Session != nil && !root {
		scan(pol.Session, &req, action, Allow, false, &sAllow)
		sOK = len(sAllow.matches) > 0
	}
	d.MissingContext = append(d.MissingContext, idAllow.missing...)
	identityEffective := idOK && bOK && sOK
	identityLayer := func() string {
		switch {
		case !idOK:
			return LayerIdentity
		case !bOK:
			return LayerBoundary
		}
		return LayerSession
	}
	allowWith := func(m ...[]Match) Decision {
		d.Reason = Allowed
		for _, x := range m {
			if d.Matched == nil {
				// The first layer's matches as they are (scan made the
				// slice for this call): usually the only one, and then
				// no copy is made.
				d.Matched = x
				continue
			}
			d.Matched = append(d.Matched, x...)
		}
		return d
	}
	// A resource policy naming a role (rather than the session) grants
	// the session only within its session policies and boundary.
	resDirect := resAllow.direct && (p.RoleARN == "" || (bOK && sOK))
	if sameAccount {
		if pol.ResourceRequired {
			switch {
			case resDirect:
				return allowWith(resAllow.matches)
			case resAllow.delegated && identityEffective:
				return allowWith(idAllow.matches, resAllow.matches)
			case !resAllow.delegated:
				d.Layer = LayerResource
				return d
			}
			d.Layer = identityLayer()
			return d
		}
		if identityEffective {
			return allowWith(idAllow.matches, resAllow.matches)
		}
		if resDirect {
			return allowWith(resAllow.matches)
		}
		d.Layer = identityLayer()
		return d
	}
	// 5. Cross-account.
	if !identityEffective {
		d.Layer = identityLayer()
		return d
	}
	if !resAllow.direct && !resAllow.delegated {
		d.Layer = LayerResource
		return d
	}
	return allowWith(idAllow.matches, resAllow.matches)
}

func onePolicy(p *Policy, skip bool) []*Policy {
	if p == nil || skip {
		return nil
	}
	return []*Policy{p}
}

func sessionPolicies(ps []*Policy, skip bool) []*Policy {
	if skip {
		return nil
	}
	return ps
}

// matches tells whether the statement applies to the action (as
// foldAction gives it), resource and context of req (the principal is
// checked separately).
func (st *Statement) matches(req *Request, action, version string) (bool, []string) {
	hit := false
	for _, a := range st.Actions {
		if actionMatches(a, action) {
			hit = true
			break
		}
	}
	if hit == st.NotAction {
		return false, nil
	}
	if st.HasResource {
		hit = false
		for _, r := range st.Resources {
			pat, ok := substitute(r, req.Context, version)
			if ok && Glob(pat, req.Resource) {
				hit = true
				break
			}
		}
		if hit == st.NotResource {
			return false, nil
		}
	}
	var missing []string
	for i := range st.Conditions {
		ok, miss := st.Conditions[i].eval(req.Context, version)
		if miss {
			missing = append(missing, st.Conditions[i].Key)
		}
		if !ok {
			return false, missing
		}
	}
	return true, missing
}

// principalMatch tells whether the statement's Principal (or
// NotPrincipal) names p: direct when it names p itself, its role, its
// federated provider or service, or everyone; delegated when it names
// only p's account (the account's own policies must then allow too).
func (st *Statement) principalMatch(p Principal) (direct, delegated bool) {
	if st.Principal == nil {
		return false, false
	}
	direct, delegated = st.Principal.match(p)
	if st.NotPrincipal {
		if direct || delegated {
			return false, false
		}
		return true, false
	}
	return direct, delegated
}

func (ps *Principals) match(p Principal) (direct, delegated bool) {
	if ps.Any {
		return true, false
	}
	for typ, vals := range ps.ByType {
		for _, v := range vals {
			switch typ {
			case "AWS":
				switch {
				case v == "*":
					return true, false
				case p.Anonymous:
				case v == p.Account || v == "arn:aws:iam::"+p.Account+":root":
					if p.IsRoot() {
						return true, false
					}
					delegated = true
				case v == p.ARN || (p.RoleARN != "" && v == p.RoleARN) || (p.UserID != "" && v == p.UserID):
					return true, false
				}
			case "Service":
				if p.Service != "" && (v == p.Service || v == "*") {
					return true, false
				}
			case "Federated":
				if p.Federated != "" && v == p.Federated {
					return true, false
				}
			case "CanonicalUser":
				if p.CanonicalUser != "" && v == p.CanonicalUser {
					return true, false
				}
			}
		}
	}
	return false, delegated
}

// EndpointDecision is the verdict of a VPC endpoint policy on a request
// the other layers allow: an explicit deny in it denies, and it must
// allow the request for the principal (or "*").
func EndpointDecision(p *Policy, req Request) Decision {
	ok, m := ResourceAllows(p, req)
	switch {
	case ok:
		return Decision{Reason: Allowed, Matched: m}
	case len(m) > 0:
		return Decision{Reason: ExplicitDeny, Layer: LayerEndpoint, Matched: m}
	}
	return Decision{Reason: ImplicitDeny, Layer: LayerEndpoint}
}

// ResourceAllows answers the resource policy's side alone: no statement
// of p denies req, and one allows it for the principal itself or for its
// account. STS uses it for trust policies, which AWS checks whatever the
// caller's own policies say (the authorizer checks those).
func ResourceAllows(p *Policy, req Request) (bool, []Match) {
	if p == nil {
		return false, nil
	}
	action := foldAction(req.Action)
	var deny, allow scanResult
	scan([]*Policy{p}, &req, action, Deny, true, &deny)
	if len(deny.matches) > 0 {
		return false, deny.matches
	}
	scan([]*Policy{p}, &req, action, Allow, true, &allow)
	return allow.direct || allow.delegated, allow.matches
}

// ServiceDeliveryAllowed reports whether the resource policy doc lets the
// service principal (s3.amazonaws.com, events.amazonaws.com, …) perform
// action on resource on behalf of sourceARN in sourceAccount — how AWS
// authorizes a service delivering to a queue or topic, by the resource's
// policy alone. A missing or unparsable policy allows nothing.
func ServiceDeliveryAllowed(doc, action, resource, service, sourceARN, sourceAccount string) bool {
	if doc == "" {
		return false
	}
	pol, err := Parse(doc)
	if err != nil {
		return false
	}
	c := Context{}
	c.Set("aws:SourceArn", sourceARN)
	c.Set("aws:SourceAccount", sourceAccount)
	allowed, _ := ResourceAllows(pol, Request{
		Principal: Principal{Service: service},
		Action:    action,
		Resource:  resource,
		Context:   c,
	})
	return allowed
}

// ReadsContext reports whether evaluating pol may read the request's
// condition keys (Policy.ReadsContext of any of its policies): when it
// cannot, the authorizer need not build them.
func (pol Policies) ReadsContext() bool {
	if pol.Resource.ReadsContext() || pol.Boundary.ReadsContext() {
		return true
	}
	for _, p := range pol.Identity {
		if p.ReadsContext() {
			return true
		}
	}
	for _, p := range pol.Session {
		if p.ReadsContext() {
			return true
		}
	}
	return false
}

// UsesConditionKey reports whether any statement of pol tests a
// condition key starting with one of prefixes (lower-case): the
// authorizer looks up what only some policies need (a resource's stored
// tags) only when a policy asks for it.
func (pol Policies) UsesConditionKey(prefixes ...string) bool {
	all := append(append([]*Policy{pol.Resource, pol.Boundary}, pol.Identity...), pol.Session...)
	for _, p := range all {
		if p == nil {
			continue
		}
		for i := range p.Statements {
			for _, c := range p.Statements[i].Conditions {
				for _, pre := range prefixes {
					if strings.HasPrefix(c.Key, pre) {
						return true
					}
				}
			}
		}
	}
	return false
}
