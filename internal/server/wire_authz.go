package server

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/niwa-cloud/niwa/internal/auth"
	"github.com/niwa-cloud/niwa/internal/authz"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/gateway"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/netpos"
	"github.com/niwa-cloud/niwa/internal/request"
	iamsvc "github.com/niwa-cloud/niwa/internal/service/iam"
	"github.com/niwa-cloud/niwa/internal/service/sts"
)

// Enforcement modes (--iam-enforcement).
const (
	EnforcementOn   = "on"
	EnforcementSoft = "soft"
	EnforcementOff  = "off"
)

// Secure transport modes (Config.SecureTransport).
const (
	SecureTransportLoopback = "loopback"
	SecureTransportTLS      = "tls"
)

// buildAuthorizer returns the pipeline's authorization step, built after
// every service so it can read their resource policies: the one IAM
// policy engine (internal/iam) fed with the caller's stored policies
// (IAM), its session policies (STS) and the resource's policy (the
// services in d.policySources, role trust policies for sts:AssumeRole).
func buildAuthorizer(d *deps) (gateway.Authorizer, error) {
	mode := d.cfg.IAMEnforcement
	switch mode {
	case "":
		mode = EnforcementOn
	case EnforcementOn, EnforcementSoft, EnforcementOff:
	default:
		return nil, fmt.Errorf("server: unknown IAM enforcement mode %q (on, soft or off)", mode)
	}
	loopback := false
	switch d.cfg.SecureTransport {
	case "", SecureTransportLoopback:
		loopback = true
	case SecureTransportTLS:
	default:
		return nil, fmt.Errorf("server: unknown secure transport mode %q (loopback or tls)", d.cfg.SecureTransport)
	}
	a := &authorizer{
		mode: mode, loopbackSecure: loopback, iam: d.iam.svc, sts: d.sts.svc, decls: d.decls, sources: d.policySources, tags: d.resourceTags, log: d.log,
		endpoints: vpcEndpointsOf(d),
		policies:  newPolicyCache(d.iam.svc),
	}
	// Services use KMS keys as their callers, through the same engine.
	d.dataKeysOf().auth = a
	// Athena acts as its caller on Glue and S3, through the same engine.
	d.callerAuthOf().auth = a
	return a, nil
}

// authorizer implements gateway.Authorizer.
type authorizer struct {
	mode string
	// loopbackSecure: plain-HTTP requests from a loopback address count
	// as secure transport (Config.SecureTransport "loopback").
	loopbackSecure bool
	iam            *iamsvc.IAM
	sts            *sts.STS
	// decls are the services' declarations, by service name.
	decls map[string]kit.Declaration
	// sources are the services that keep resource policies, by ARN
	// namespace.
	sources map[string]kit.Declaration
	// tags are the services that keep tags, by ARN namespace.
	tags map[string]kit.Declaration
	// endpoints is EC2's VPC endpoints (nil without EC2).
	endpoints authz.VPCEndpoints
	log       *slog.Logger
	policies  *policyCache
	// checker keeps what the checks of an operation and of an input
	// type are made of.
	checker kit.Checker
	// callers keeps callers' subjects; lastUse what noteUse last
	// recorded.
	callers callerCache
	lastUse lastUseCache
}

func (a *authorizer) Authorize(ctx *request.Context, svc *gateway.Service, op *model.Operation, input any) error {
	service := svc.Spec.Name
	rules := a.decls[service].Authz
	if rules.Unauthenticated[op.Name] {
		return nil // the assertion or token is the authentication
	}
	if rules.Precondition != nil {
		// The service's own refusals before IAM's, whoever the caller
		// (S3: an unexpected bucket owner, Requester Pays).
		if err := rules.Precondition(ctx, input); err != nil {
			return err
		}
	}
	caller := ctx.Caller
	if caller.Anonymous && !rules.AllowsAnonymous {
		return auth.MissingAuthentication(dialectOf(svc, rules, ctx.HTTP))
	}
	a.noteUse(ctx, service)
	if rules.Unchecked[op.Name] {
		return nil
	}
	if rules.HandlerRefuses != nil && rules.HandlerRefuses(op.Name, caller) {
		return nil // the handler answers with the service's own refusal
	}
	if a.mode == EnforcementOff && !caller.Anonymous {
		return nil
	}
	if rules.GrantedWithoutPolicy != nil {
		// The service's own settings (IAM's password policy) allow it.
		if ok, err := rules.GrantedWithoutPolicy(ctx, op.Name); err != nil || ok {
			return err
		}
	}
	subject, err := a.subject(ctx)
	if err != nil {
		return err
	}
	if subject.federated && rules.NotForFederated && a.mode == EnforcementOn {
		// "You cannot call any IAM operations using the temporary
		// credentials returned by GetFederationToken" / "any STS
		// operations except GetCallerIdentity".
		req := iam.Request{Principal: subject.principal, Action: rules.IAMPrefix(service) + ":" + op.Name, Resource: "*"}
		return denied(svc, rules, req, iam.Decision{Reason: iam.ImplicitDeny, Layer: iam.LayerIdentity})
	}
	if subject, err = a.sourceVPC(ctx, subject, service); err != nil {
		return err
	}
	env := kit.Env{Ctx: ctx, Account: ctx.Account, Region: ctx.Region, CallerARN: caller.ARN}
	// The request's own keys (S3's from its headers) are read, like the
	// rest of the condition keys, only when the keys are built.
	var httpKeys iam.Context
	httpKeysRead := rules.RequestContext == nil
	// resourceAccount is aws:ResourceAccount of the check being decided:
	// the account owning its resource (from the ARN or the service that
	// keeps it), the request's account for an ARN naming none.
	resourceAccount := ""
	keys := func(c kit.Check) iam.Context {
		k := a.context(ctx, subject, c)
		if !httpKeysRead {
			httpKeys, httpKeysRead = rules.RequestContext(ctx.HTTP), true
		}
		for ck, cv := range httpKeys {
			k[ck] = cv
		}
		k.Set("aws:ResourceAccount", resourceAccount)
		return k
	}
	// The checks in a buffer on this call's stack: one or two (a
	// resource, an iam:PassRole) is what most operations ask.
	var buf [2]kit.Check
	for _, c := range a.checker.AppendChecks(buf[:0], rules, service, op.Name, input, env) {
		req := iam.Request{Principal: subject.principal, Action: c.Action, Resource: c.Resource}
		pols := subject.policies
		exists := true
		if !rules.NewResource[op.Name] {
			if exists, err = a.resourcePolicy(ctx, rules, &req, &pols); err != nil {
				return err
			}
		}
		resourceAccount = pols.ResourceAccount
		if resourceAccount == "" && req.Resource != "*" {
			resourceAccount = ctx.Account
		}
		if caller.Anonymous && !exists && rules.AllowsAnonymous {
			// The service tells anyone that a resource does not exist
			// (S3's NoSuchBucket): the handler answers.
			continue
		}
		// The condition keys are only read by statements with a
		// condition or a policy variable: with none in any layer (the
		// account root calling its own resources, the common case; a
		// user or role whose policies name actions and resources) the
		// engine reads none, and building them was most of the
		// authorization's cost. A denial still gets them, for its
		// message.
		if readsContext(pols, subject.vpcePolicy) {
			req.Context = keys(c)
			if err := a.resourceTags(ctx, &req, pols); err != nil {
				return err
			}
		}
		dec := iam.Evaluate(req, pols)
		if !dec.Allowed() && req.Context == nil {
			req.Context = keys(c)
		}
		if dec.Reason == iam.ImplicitDeny && rules.AllowedUnlessDenied[op.Name] {
			dec.Reason = iam.Allowed
		}
		if dec.Allowed() && subject.vpcePolicy != nil {
			// Through a VPC endpoint, its policy must allow the request too.
			if ed := iam.EndpointDecision(subject.vpcePolicy, req); !ed.Allowed() {
				dec = ed
			}
		}
		// ACLs (S3's) stand in for the resource policy: they can supply
		// the resource side (anonymous and cross-account callers) but
		// never override an explicit Deny or a missing identity-side
		// allow.
		if dec.Reason == iam.ImplicitDeny && dec.Layer == iam.LayerResource && aclAllows(ctx, rules, req, caller) {
			dec = iam.Decision{Reason: iam.Allowed}
			dec.Layer = "bucket or object ACL"
		}
		a.logDecision(ctx, req, dec)
		if dec.Allowed() {
			continue
		}
		if a.mode != EnforcementOn {
			continue // soft (and off for anonymous): logged, not enforced
		}
		if c.PerItem {
			// One item of a batch answering per item: the handler
			// refuses it alone (S3 DeleteObjects).
			ctx.DeniedItems = append(ctx.DeniedItems, req.Resource)
			continue
		}
		return denied(svc, rules, req, dec)
	}
	return a.existence(ctx, svc, rules, subject, caller, op.Name, input, keys)
}

// decide evaluates action on resource for the caller of ctx with its
// stored policies and a resource policy (nil for none) owned by
// resourceAccount, as IAM evaluates a request a service authorizes
// itself (API Gateway's AWS_IAM methods). Soft and off enforcement
// allow what would be denied, logged.
func (a *authorizer) decide(ctx *request.Context, action, resource string, policy *iam.Policy, resourceAccount string, keys iam.Context) (iam.Decision, error) {
	s, err := a.subject(ctx)
	if err != nil {
		return iam.Decision{}, err
	}
	c := kit.Check{Action: action, Resource: resource}
	req := iam.Request{Principal: s.principal, Action: action, Resource: resource, Context: a.context(ctx, s, c)}
	for k, v := range keys {
		req.Context[k] = v
	}
	pols := s.policies
	pols.Resource, pols.ResourceAccount = policy, resourceAccount
	dec := iam.Evaluate(req, pols)
	a.logDecision(ctx, req, dec)
	if !dec.Allowed() && a.mode != EnforcementOn {
		dec = iam.Decision{Reason: iam.Allowed}
	}
	return dec, nil
}

// aclAllows asks the service whether an ACL grants the caller the
// request (kit.Authz.ACLAllows).
func aclAllows(ctx *request.Context, rules kit.Authz, req iam.Request, caller request.Caller) bool {
	if rules.ACLAllows == nil {
		return false
	}
	account := caller.Account
	if caller.Anonymous {
		account = ""
	}
	allowed, err := rules.ACLAllows(ctx, req.Action, req.Resource, account)
	return err == nil && allowed
}

// existence asks the service's Existence question (kit.Authz): a caller
// refused it learns that the resource does not exist only as a refusal
// (S3: a read of a missing key is 403 to callers not allowed
// s3:ListBucket). The question comes first; the service looks the
// resource up only when it is refused.
func (a *authorizer) existence(ctx *request.Context, svc *gateway.Service, rules kit.Authz, s *subject, caller request.Caller, op string, input any, keys func(kit.Check) iam.Context) error {
	if rules.Existence == nil || a.mode != EnforcementOn {
		return nil
	}
	in, ok := kit.NewInput(input)
	if !ok {
		return nil
	}
	c, ok := rules.Existence.Check(op, in)
	if !ok {
		return nil
	}
	req := iam.Request{Principal: s.principal, Action: c.Action, Resource: c.Resource}
	pols := s.policies
	found, err := a.resourcePolicy(ctx, rules, &req, &pols)
	if err != nil || !found {
		return err // no container (bucket): the handler answers
	}
	// As in Authorize: the keys are built for a policy to read, or for
	// a denial's message.
	if readsContext(pols, nil) {
		c.Context = rules.Existence.Keys(op, in)
		req.Context = keys(c)
		if err := a.resourceTags(ctx, &req, pols); err != nil {
			return err
		}
	}
	dec := iam.Evaluate(req, pols)
	if dec.Allowed() || (dec.Reason == iam.ImplicitDeny && dec.Layer == iam.LayerResource && aclAllows(ctx, rules, req, caller)) {
		return nil
	}
	there, err := rules.Existence.Exists(ctx, op, in)
	if err != nil || there {
		return err
	}
	if req.Context == nil {
		c.Context = rules.Existence.Keys(op, in)
		req.Context = keys(c)
	}
	return denied(svc, rules, req, dec)
}

// readsContext reports whether a policy of any layer, or the VPC
// endpoint's policy, could read the request's condition keys (a
// condition, a policy variable). With none (the account root calling
// its own resources, the common case; most users' and roles' policies)
// the engine reads none.
func readsContext(pols iam.Policies, endpoint *iam.Policy) bool {
	return pols.ReadsContext() || endpoint.ReadsContext()
}

func (a *authorizer) logDecision(ctx *request.Context, req iam.Request, dec iam.Decision) {
	level := slog.LevelInfo
	if dec.Allowed() {
		level = slog.LevelDebug
	}
	if !ctx.Log.Enabled(ctx, level) {
		return // the attributes below cost a few allocations per request
	}
	attrs := []any{
		"principal", principalName(req.Principal), "action", req.Action, "resource", req.Resource,
		"decision", dec.Reason.String(), "deciding", dec.Deciding(), "mode", a.mode,
	}
	if dec.Allowed() {
		ctx.Log.Debug("iam decision", attrs...)
		return
	}
	ctx.Log.Info("iam decision", append(attrs, "layer", dec.Layer)...)
}

func principalName(p iam.Principal) string {
	if p.Anonymous {
		return "anonymous"
	}
	return p.ARN
}

// denied is the denial in the service's protocol vocabulary.
func denied(svc *gateway.Service, rules kit.Authz, req iam.Request, dec iam.Decision) error {
	md := svc.Spec.Metadata
	msg := dec.Message(req)
	if rules.DenialMessage != nil {
		if m, ok := rules.DenialMessage(req, dec); ok {
			msg = m
		}
	}
	switch {
	case md.Protocol == "ec2":
		return &awserr.Error{Code: awserr.Code{Code: "UnauthorizedOperation", Status: 403, Sender: true},
			Message: "You are not authorized to perform this operation. " + msg + ". Encoded authorization failure message: " +
				iam.EncodeAuthorizationMessage(req, dec)}
	case md.Protocol == "json" || md.Protocol == "rest-json":
		status := 400
		if md.Protocol == "rest-json" {
			status = 403
		}
		return &awserr.Error{Code: awserr.Code{Code: "AccessDeniedException", Status: status, Sender: true}, Message: msg}
	}
	return awserr.AccessDenied.New("%s", msg)
}

// subject is the caller as the engine sees it, with the policies that
// apply to every request it makes.
type subject struct {
	principal iam.Principal
	policies  iam.Policies
	// kind is aws:PrincipalType; username is aws:username (users only).
	kind, username string
	tags           map[string]string
	sourceIdentity string
	// session is set for temporary credentials; mfaTime is when their
	// creator proved an MFA code (nil: no MFA).
	session bool
	mfaTime *time.Time
	// network is where the caller's code runs (a Lambda function in a
	// VPC), nil elsewhere.
	network *sts.NetworkPosition
	// vpc and vpce are the VPC and the endpoint the request came through
	// (aws:SourceVpc, aws:SourceVpce), set per request by Authorize.
	vpc, vpce string
	// vpcePolicy is that endpoint's policy, nil when it has none.
	vpcePolicy *iam.Policy
	// federated is set for GetFederationToken sessions, which AWS lets
	// call no IAM operation and no STS operation but GetCallerIdentity.
	federated bool
}

// subject is the caller as the engine sees it. What it is made of (the
// caller's temporary credential, its user or role, their policies,
// groups, boundary and tags) is read from IAM and STS once per caller
// and kept while neither service's state has changed since (callers):
// it is shared with the caller's other requests, and read-only (a
// request's network path is set on a copy, by sourceVPC).
func (a *authorizer) subject(ctx *request.Context) (*subject, error) {
	s, _, err := a.sharedSubject(ctx)
	return s, err
}

// sharedSubject is the caller's subject, shared with the other requests
// of the caller when shared is set: the caller must not change it. The
// account root's is kept too (it reads nothing, but was a new subject
// for every request).
func (a *authorizer) sharedSubject(ctx *request.Context) (s *subject, shared bool, err error) {
	c := ctx.Caller
	if c.Anonymous {
		s, err = a.lookupSubject(ctx) // nothing to look up, no key to keep it by
		return s, false, err
	}
	gen := a.generation()
	if s, ok := a.callers.get(c, gen); ok {
		return s, true, nil
	}
	if s, err = a.lookupSubject(ctx); err != nil {
		return nil, false, err
	}
	a.callers.put(c, gen, s)
	return s, true, nil
}

// generation is IAM's and STS's write counts together: a subject read
// after it was taken is current while it is unchanged.
func (a *authorizer) generation() [2]uint64 {
	var g [2]uint64
	if a.iam != nil {
		g[0] = a.iam.Generation()
	}
	if a.sts != nil {
		g[1] = a.sts.Generation()
	}
	return g
}

// callerCache keeps each caller's subject, by access key, with the
// generation of IAM's and STS's state it was read at: any write to
// either (a policy attached, detached or edited, a group changed, a
// boundary set, a role's trust or tags changed, a credential issued)
// makes every entry stale, so the next request reads the caller again.
// Writes to IAM are rare next to the requests of its principals. The
// cache is bounded by dropping everything when it grows past its limit.
type callerCache struct {
	mu sync.Mutex
	m  map[string]callerEntry
}

type callerEntry struct {
	gen [2]uint64
	// arn and userID are the caller's as the signature layer found them:
	// an entry serves only the caller it was read for.
	arn, userID string
	s           *subject
}

const callerCacheLimit = 4096

func (c *callerCache) get(caller request.Caller, gen [2]uint64) (*subject, bool) {
	c.mu.Lock()
	e, ok := c.m[caller.AccessKeyID]
	c.mu.Unlock()
	if !ok || e.gen != gen || e.arn != caller.ARN || e.userID != caller.UserID {
		return nil, false
	}
	return e.s, true
}

func (c *callerCache) put(caller request.Caller, gen [2]uint64, s *subject) {
	if caller.AccessKeyID == "" {
		return
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= callerCacheLimit {
		c.m = map[string]callerEntry{}
	}
	c.m[caller.AccessKeyID] = callerEntry{gen: gen, arn: caller.ARN, userID: caller.UserID, s: s}
	c.mu.Unlock()
}

// lookupSubject reads the caller's subject from IAM and STS.
func (a *authorizer) lookupSubject(ctx *request.Context) (*subject, error) {
	c := ctx.Caller
	s := &subject{principal: iam.Principal{
		ARN: c.ARN, Account: c.Account, UserID: c.UserID, Anonymous: c.Anonymous,
	}}
	if c.SessionToken != "" {
		s.session = true
		if t, ok, err := a.sts.LookupTemporary(c.AccessKeyID); err == nil && ok {
			s.mfaTime = t.MFAAuthTime
		}
	}
	switch {
	case c.Anonymous:
		s.kind = "Anonymous"
		return s, nil
	case s.principal.IsRoot():
		s.kind = "Account"
		return s, nil
	case strings.Contains(c.ARN, ":assumed-role/"):
		s.kind = "AssumedRole"
		t, ok, err := a.sts.LookupTemporary(c.AccessKeyID)
		if err != nil {
			return nil, err
		}
		if !ok || t.RoleARN == "" {
			return s, nil // no role: nothing allows
		}
		s.principal.RoleARN, s.principal.Federated = t.RoleARN, t.Federated
		s.tags, s.sourceIdentity, s.network = t.Tags, t.SourceIdentity, t.Network
		role, ok, err := a.iam.RoleByARN(t.RoleARN)
		if err != nil {
			return nil, err
		}
		if !ok {
			return s, nil // the role was deleted: its sessions may do nothing
		}
		if err := a.policies.entity(&s.policies, role.ARN); err != nil {
			return nil, err
		}
		if s.tags == nil {
			s.tags = map[string]string{}
		}
		for _, tg := range role.Tags {
			if _, set := s.tags[tg.Key]; !set {
				s.tags[tg.Key] = tg.Value
			}
		}
		if t.SessionPolicies || t.SessionPolicy != "" || len(t.PolicyArns) > 0 {
			if err := a.sessionPolicies(s, t, role.Account); err != nil {
				return nil, err
			}
		}
		return s, nil
	case strings.Contains(c.ARN, ":federated-user/"):
		return a.federatedSubject(s, c.AccessKeyID)
	case strings.Contains(c.ARN, ":user/"):
		s.kind = "User"
		name := c.ARN[strings.LastIndexByte(c.ARN, '/')+1:]
		s.username = name
		u, ok, err := a.iam.UserByName(c.Account, name)
		if err != nil || !ok {
			return s, err
		}
		if err := a.policies.entity(&s.policies, u.ARN); err != nil {
			return nil, err
		}
		s.tags = map[string]string{}
		for _, tg := range u.Tags {
			s.tags[tg.Key] = tg.Value
		}
		return s, nil
	}
	s.kind = "Unknown"
	return s, nil
}

// allowAll is root's identity as a policy: a federated-user session
// obtained with root credentials has root's permissions limited by its
// session policies.
const allowAll = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`

// federatedSubject is a GetFederationToken session: the policies of the
// user who federated (root: everything), always limited by the session
// policies (none passed: the session may do nothing), and the user's
// tags overridden by the session tags.
func (a *authorizer) federatedSubject(s *subject, accessKeyID string) (*subject, error) {
	s.kind = "FederatedUser"
	s.federated = true
	s.policies.Session = []*iam.Policy{} // until read: nothing allowed
	t, ok, err := a.sts.LookupTemporary(accessKeyID)
	if err != nil || !ok {
		return s, err
	}
	s.tags = map[string]string{}
	switch by := t.FederatedBy; {
	case by == "arn:aws:iam::"+t.Account+":root":
		p, err := a.policies.parse(allowAll, "root user permissions")
		if err != nil {
			return nil, err
		}
		s.policies.Identity = []*iam.Policy{p}
	case strings.Contains(by, ":user/"):
		u, ok, err := a.iam.UserByName(t.Account, by[strings.LastIndexByte(by, '/')+1:])
		if err != nil {
			return nil, err
		}
		if !ok {
			return s, nil // the user was deleted: its federated sessions may do nothing
		}
		if err := a.policies.entity(&s.policies, u.ARN); err != nil {
			return nil, err
		}
		for _, tg := range u.Tags {
			s.tags[tg.Key] = tg.Value
		}
	}
	for k, v := range t.Tags {
		s.tags[k] = v
	}
	if err := a.sessionPolicies(s, t, t.Account); err != nil {
		return nil, err
	}
	return s, nil
}

// sessionPolicies sets the session policies a temporary credential was
// issued with. The set is never nil: an empty one allows nothing.
func (a *authorizer) sessionPolicies(s *subject, t sts.TempCredential, account string) error {
	s.policies.Session = []*iam.Policy{}
	if t.SessionPolicy != "" {
		p, err := a.policies.parse(t.SessionPolicy, "session policy")
		if err != nil {
			return err
		}
		s.policies.Session = append(s.policies.Session, p)
	}
	for _, arn := range t.PolicyArns {
		p, ok, err := a.policies.managed(account, arn)
		if err != nil {
			return err
		}
		if ok {
			s.policies.Session = append(s.policies.Session, p)
		}
	}
	return nil
}

// context is the request's condition keys: the global keys niwa knows
// plus the operation's own.
func (a *authorizer) context(ctx *request.Context, s *subject, c authz.Check) iam.Context {
	k := iam.Context{}
	for key, v := range c.Context {
		k[key] = v
	}
	now := ctx.Now().UTC()
	k.Set("aws:CurrentTime", now.Format("2006-01-02T15:04:05Z"))
	k.Set("aws:EpochTime", strconv.FormatInt(now.Unix(), 10))
	if s.vpce != "" {
		// Through a VPC endpoint: no public source address.
		for ck, cv := range authz.VPCContext(s.vpc, s.vpce) {
			k[ck] = cv
		}
	} else {
		k.Set("aws:SourceIp", ctx.SourceIP)
	}
	k.Set("aws:RequestedRegion", ctx.Region)
	k.Set("aws:SecureTransport", strconv.FormatBool(a.secureTransport(ctx)))
	if !s.principal.Anonymous {
		k.Set("aws:PrincipalArn", principalARN(s.principal))
		k.Set("aws:PrincipalAccount", s.principal.Account)
		// The keys the action's service derives from the caller.
		prefix, _, _ := strings.Cut(c.Action, ":")
		if cc := a.decls[prefix].Authz.CallerContext; cc != nil {
			for ck, cv := range cc(ctx, s.principal.Account) {
				k[ck] = cv
			}
		}
		k.Set("aws:userid", s.principal.UserID)
		k.Set("aws:PrincipalType", s.kind)
		k.Set("aws:username", s.username)
		k.Set("aws:SourceIdentity", s.sourceIdentity)
		if s.mfaTime != nil {
			k.Set("aws:MultiFactorAuthPresent", "true")
			k.Set("aws:MultiFactorAuthAge", strconv.FormatInt(int64(now.Sub(*s.mfaTime)/time.Second), 10))
		} else if s.session {
			k.Set("aws:MultiFactorAuthPresent", "false")
		}
		if s.kind == "Account" {
			k.Set("aws:PrincipalIsAWSService", "false")
		}
		for ck, cv := range authz.CalledViaContext(ctx.CalledVia) {
			k[ck] = cv
		}
		for tk, tv := range s.tags {
			k["aws:principaltag/"+strings.ToLower(tk)] = []string{tv}
		}
	}
	return k
}

// principalARN is aws:PrincipalArn: the role ARN for role sessions.
func principalARN(p iam.Principal) string {
	if p.RoleARN != "" {
		return p.RoleARN
	}
	return p.ARN
}

// resourcePolicy adds the resource's policy and owner to pols. exists is
// false when a service that keeps resource policies does not know the
// resource.
//
// The policies are the calling service's own when it declares them (STS:
// the trust policy of the role it assumes), else those of the service
// owning the resource's ARN namespace.
func (a *authorizer) resourcePolicy(ctx *request.Context, rules kit.Authz, req *iam.Request, pols *iam.Policies) (exists bool, err error) {
	ns, account, ok := arnNamespaceAccount(req.Resource)
	if !ok {
		return true, nil
	}
	if len(account) == 12 {
		pols.ResourceAccount = account
	}
	src := rules
	if src.Policies == nil {
		d, ok := a.sources[ns]
		if !ok {
			return true, nil
		}
		src = d.Authz
	}
	doc, owner, found, err := src.Policies.ResourcePolicy(ctx, req.Resource)
	if err != nil {
		return true, err
	}
	if owner != "" {
		pols.ResourceAccount = owner
	}
	if !found || doc == "" {
		return found, nil
	}
	label := ns + " resource policy"
	if src.PolicyName != "" {
		label = src.PolicyName
	}
	p, err := a.policies.parse(doc, label+" of "+req.Resource)
	if err != nil {
		a.log.Warn("unparsable resource policy ignored", "resource", req.Resource, "error", err)
		return true, nil
	}
	pols.Resource = p
	pols.ResourceRequired = src.PolicyRequired
	return true, nil
}

// sourceVPC finds whether a caller inside a VPC reaches service through
// one of the VPC's endpoints (same region only: other regions are
// reached over the public path).
//
// s is the caller's shared subject, whose vpc, vpce and vpcePolicy are
// never set: a request through an endpoint gets a copy with them set,
// any other s itself.
func (a *authorizer) sourceVPC(ctx *request.Context, s *subject, service string) (*subject, error) {
	through := func(vpc, vpce, policy string) *subject {
		cp := *s
		cp.vpc, cp.vpce = vpc, vpce
		if policy != "" {
			p, err := a.policies.parse(policy, "VPC endpoint policy of "+vpce)
			if err != nil {
				a.log.Warn("unparsable VPC endpoint policy ignored", "endpoint", vpce, "error", err)
				return &cp
			}
			cp.vpcePolicy = p
		}
		return &cp
	}
	if o, ok := netpos.OriginFrom(ctx); ok {
		// The egress proxy decided the path in process: through a VPC
		// endpoint (aws:SourceVpc, aws:SourceVpce and the endpoint's
		// policy), or the public path (aws:SourceIp, the NAT's Elastic
		// IP or the public IP, already the request's source address).
		if o.Endpoint.ID == "" {
			return s, nil
		}
		return through(o.VpcID, o.Endpoint.ID, o.Endpoint.Policy), nil
	}
	pos := s.network
	if pos == nil || a.endpoints == nil || pos.Region != ctx.Region {
		return s, nil
	}
	name := a.decls[service].Routing.VPCEndpointService
	if name == "" {
		name = service
	}
	ep, ok, err := a.endpoints.EndpointFor(ctx, s.principal.Account, pos.Region, pos.VpcID, pos.SubnetIDs, authz.EndpointServiceName(name, ctx.Region))
	if err != nil || !ok {
		return s, err
	}
	return through(pos.VpcID, ep.ID, ep.Policy), nil
}

// resourceTags adds aws:ResourceTag/<key> (and the service aliases) from
// the tags stored on the resource, looked up only when a policy that
// applies tests one of those keys.
func (a *authorizer) resourceTags(ctx *request.Context, req *iam.Request, pols iam.Policies) error {
	ns, _, ok := arnNamespaceAccount(req.Resource)
	if !ok {
		return nil
	}
	src, ok := a.tags[ns]
	if !ok || src.Tags == nil {
		return nil
	}
	prefixes := []string{authz.ResourceTagKey}
	if src.TagKeys != nil {
		prefixes = src.TagKeys(req.Resource)
	}
	if len(prefixes) == 0 || !pols.UsesConditionKey(prefixes...) {
		return nil
	}
	tags, found, err := src.Tags.ResourceTags(ctx, req.Resource)
	if err != nil || !found {
		return err
	}
	for k, v := range authz.ResourceTagContext(prefixes, tags) {
		req.Context[k] = v
	}
	return nil
}

// policyCache keeps parsed documents: authorization runs on every
// request and parsing is the costly part. Documents are keyed by their
// text, so a changed policy is simply a new entry; the cache is bounded
// by dropping everything when it grows past its limit.
type policyCache struct {
	iam *iamsvc.IAM
	mu  sync.Mutex
	m   map[string]*iam.Policy
}

const policyCacheLimit = 4096

func newPolicyCache(svc *iamsvc.IAM) *policyCache {
	return &policyCache{iam: svc, m: map[string]*iam.Policy{}}
}

// parse returns doc parsed, labelled with source for decisions.
func (c *policyCache) parse(doc, source string) (*iam.Policy, error) {
	key := source + "\x00" + doc
	c.mu.Lock()
	p, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return p, nil
	}
	p, err := iam.Parse(doc)
	if err != nil {
		return nil, err
	}
	p.Source = source
	c.mu.Lock()
	if len(c.m) >= policyCacheLimit {
		c.m = map[string]*iam.Policy{}
	}
	c.m[key] = p
	c.mu.Unlock()
	return p, nil
}

func (c *policyCache) managed(account, arn string) (*iam.Policy, bool, error) {
	doc, ok, err := c.iam.ManagedPolicyDocument(account, arn)
	if err != nil || !ok {
		return nil, false, err
	}
	p, err := c.parse(doc, arn)
	return p, err == nil, err
}

// entity adds the identity-based policies and the boundary of a user
// (with its groups') or role, as IAM's EntityPolicies lists them.
func (c *policyCache) entity(pols *iam.Policies, arn string) error {
	docs, boundary, _, err := c.iam.EntityPolicies(arn)
	if err != nil {
		return err
	}
	for _, d := range docs {
		p, err := c.parse(d.Document, d.ID)
		if err != nil {
			return err
		}
		pols.Identity = append(pols.Identity, p)
	}
	if boundary != nil {
		p, err := c.parse(boundary.Document, boundary.ID)
		if err != nil {
			return err
		}
		pols.Boundary = p
	}
	return nil
}

// noteUse records what IAM reports as last used: an IAM user's access key
// (GetAccessKeyLastUsed, the credential report) and a role whose session
// signs the request (GetRole's RoleLastUsed). IAM writes a use at most
// once a minute per key (and service and region) or role (and region);
// lastUse remembers what it recorded, so the requests in between cost no
// lookup either. Recording is best effort: a failure is logged, never
// the request's.
func (a *authorizer) noteUse(ctx *request.Context, service string) {
	c := ctx.Caller
	if c.Anonymous || c.AccessKeyID == "" {
		return
	}
	var err error
	switch {
	case c.SessionToken == "" && strings.HasPrefix(c.AccessKeyID, "AKIA"):
		// IAM's keys are AKIA...; niwa's static keys (test) cost no lookup.
		err = a.lastUse.note(a.iam, c.AccessKeyID, service, ctx.Region, ctx.Now(), func(at time.Time) (time.Time, error) {
			return a.iam.RecordAccessKeyUse(c.AccessKeyID, service, ctx.Region, at)
		})
	case strings.Contains(c.ARN, ":assumed-role/"):
		s, _, serr := a.sharedSubject(ctx)
		if serr != nil {
			err = serr
		} else if arn := s.principal.RoleARN; arn != "" {
			err = a.lastUse.note(a.iam, arn, "", ctx.Region, ctx.Now(), func(at time.Time) (time.Time, error) {
				return a.iam.RecordRoleUse(arn, ctx.Region, at)
			})
		}
	}
	if err != nil {
		a.log.Warn("recording last use failed", "access_key", c.AccessKeyID, "error", err)
	}
}

// lastUseCache remembers, per access key or role, the use IAM's record
// holds and the generation of IAM's state when it was read: while the
// generation is unchanged (the key or role was not deleted and made
// again, niwa was not reset) the record still holds it, and a use in
// the same service and region less than a minute after it would not be
// written, so it is not asked.
type lastUseCache struct {
	mu sync.Mutex
	m  map[string]lastUse
}

type lastUse struct {
	gen             uint64
	service, region string
	at              time.Time
}

const lastUseCacheLimit = 4096

func (c *lastUseCache) note(svc *iamsvc.IAM, id, service, region string, now time.Time, record func(time.Time) (time.Time, error)) error {
	now = now.UTC().Truncate(time.Second)
	// The generation before the record is read: a write since (this
	// call's own, another request's use, a deletion) makes the entry
	// stale, and the next use reads the record again.
	gen := svc.Generation()
	c.mu.Lock()
	u, ok := c.m[id]
	c.mu.Unlock()
	if ok && u.gen == gen && u.service == service && u.region == region && now.Sub(u.at) < time.Minute {
		return nil // IAM would find the recorded use fresh, as here
	}
	at, err := record(now)
	if err != nil || at.IsZero() {
		return err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= lastUseCacheLimit {
		c.m = map[string]lastUse{}
	}
	c.m[id] = lastUse{gen: gen, service: service, region: region, at: at}
	c.mu.Unlock()
	return nil
}

// secureTransport is aws:SecureTransport: the request came over TLS or,
// unless niwa is told to judge as AWS does (--secure-transport tls),
// over plain HTTP from this host. niwa's plain-HTTP port stands in for
// AWS's HTTPS endpoints: a request that never leaves the host cannot be
// read on the wire, and the policies that deny requests without TLS
// (CDK's staging bucket, "SSL requests only" bucket policies) would
// otherwise refuse every local client pointed at http://localhost:4566.
func (a *authorizer) secureTransport(ctx *request.Context) bool {
	if ctx.HTTP == nil {
		return false
	}
	if ctx.HTTP.TLS != nil {
		return true
	}
	if !a.loopbackSecure {
		return false
	}
	host, _, err := net.SplitHostPort(ctx.HTTP.RemoteAddr)
	if err != nil {
		host = ctx.HTTP.RemoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// arnNamespaceAccount is an ARN's service namespace and account (its
// third and fifth fields), ok when it has the six fields of an ARN:
// strings.SplitN(arn, ":", 6) without the slice.
func arnNamespaceAccount(arn string) (ns, account string, ok bool) {
	var f [5]string
	rest := arn
	for i := range f {
		if f[i], rest, ok = strings.Cut(rest, ":"); !ok {
			return "", "", false
		}
	}
	return f[2], f[4], true
}
