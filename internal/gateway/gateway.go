// Package gateway is niwa's single HTTP front door. It finds the service
// and operation a request calls, authenticates it, lets the service's codec
// decode it into the typed input, calls the handler, and encodes the
// answer — the one pipeline every service shares (see docs/design.md, "The
// shape of a request").
package gateway

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/niwa-cloud/niwa/internal/api"
	"github.com/niwa-cloud/niwa/internal/api/catalog"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/hostname"
	"github.com/niwa-cloud/niwa/internal/httpheader"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/protocol/codecs"
	"github.com/niwa-cloud/niwa/internal/protocol/rpcv2cbor"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Authenticator checks a request's signature (or its absence) and says who
// made it. hostBucket is the bucket named by an S3 virtual-host-style Host
// header, which SigV2 signs as part of the resource.
type Authenticator interface {
	Authenticate(r *http.Request, svc *Service, hostBucket string) (*Identity, error)
}

// Authorizer is the authorization step of the pipeline.
type Authorizer interface {
	// Authorize returns nil when ctx.Caller may call op with input (a
	// pointer to the typed input shape), or the AWS error to answer
	// (AccessDenied, AccessDeniedException, UnauthorizedOperation...).
	Authorize(ctx *request.Context, svc *Service, op *model.Operation, input any) error
}

// Route is a raw HTTP endpoint served beside the AWS APIs.
type Route struct {
	// Name labels the route in the request log.
	Name    string
	Match   func(r *http.Request) bool
	Handler http.Handler
}

// Identity is what authentication established.
type Identity struct {
	Caller request.Caller
	// Region is the SigV4 credential-scope region ("" when the scheme has
	// none).
	Region string
	// Body replaces the request body: the signature layer may decode
	// aws-chunked or verify the payload hash while it is read.
	Body io.Reader
}

// Config configures the gateway.
type Config struct {
	Version       string
	DefaultRegion string
	// DefaultAccount owns anonymous requests.
	DefaultAccount string
	// S3HostSuffix is the host suffix of S3 virtual-host-style and website
	// addresses ("localhost": "bucket.s3.localhost:4566").
	S3HostSuffix string
	Clock        clock.Clock
	Log          *slog.Logger
	Auth         Authenticator
	// Authorizer decides, after decoding, whether the caller may run the
	// operation (the IAM policy engine). Nil allows every signed request
	// and denies anonymous ones: without policies there is nothing that
	// could grant anonymous access.
	Authorizer Authorizer
	// Routes serve raw HTTP that is not an AWS API call (S3 website hosts,
	// the Lambda runtime API, ...), matched in order before service
	// resolution.
	Routes []Route
	// Reset drops all stored state (POST /_niwa/reset).
	Reset func() error
	// Codecs encode the errors of services niwa does not implement, in
	// their own protocols; nil means codecs.New().
	Codecs Codecs
	// OnCall, when set, is told of every API call that got as far as an
	// authenticated caller and a resolved operation, after its answer was
	// written, failed ones included: the audit trail (CloudTrail records
	// and their EventBridge events) is built from it. It runs in the
	// request's goroutine, so it must be quick.
	OnCall func(Call)
	// WantsParams, when set, is asked before the handler runs whether
	// OnCall will read the call's Params (build an audit record): a
	// request decoded straight into its typed input has no tree, and
	// Params is then made from the input (Converter.ToDynamic) before
	// the handler can change it only when this says yes (nil: always).
	// Otherwise Params stays nil and RequestParams makes it on demand.
	WantsParams func(*Call) bool
}

// Call is one answered API call, as Config.OnCall sees it.
type Call struct {
	// Context is the handler's context: caller, account, region, request
	// id, source IP, and the HTTP request (user agent).
	Context   *request.Context
	Service   *Service
	Model     *model.Service
	Operation *model.Operation
	// Params is the decoded input keyed by the model's member names (nil
	// when it was malformed or invalid) and Input its typed form (nil
	// also when niwa does not implement the operation).
	Params map[string]any
	Input  any
	// Output is the typed output; nil on failure. Result is its dynamic
	// form, made on demand.
	Output any
	// Err is the AWS error answered; nil on success.
	Err    *awserr.Error
	Status int

	// conv makes Result from Output, and Params from Input when the
	// gateway made none (paramsDeferred), on demand.
	conv           *api.Converter
	paramsDeferred bool
}

// RequestParams is Params, or, for a call whose Params the gateway did
// not make (Config.WantsParams said no one would read them), their form
// made from Input now.
func (c *Call) RequestParams() map[string]any {
	if c.Params == nil && c.paramsDeferred && c.conv != nil && c.Input != nil {
		c.Params = c.conv.ToDynamic(c.Input)
		if c.Params == nil {
			c.Params = map[string]any{}
		}
	}
	return c.Params
}

// ParamsDeferred reports whether Params is left for RequestParams to
// make.
func (c *Call) ParamsDeferred() bool { return c.Params == nil && c.paramsDeferred }

// Result is the output keyed by member names, as the codecs' dynamic
// form has it: nil on failure or for an operation without output, an
// empty map for a nil output. Made from Output on each call (only the
// records that want it ask).
func (c *Call) Result() map[string]any {
	if c.Output == nil || c.conv == nil || c.Operation == nil {
		return nil
	}
	return dynamicOutput(c.conv, c.Operation, c.Output)
}

// Gateway is the http.Handler serving every service.
type Gateway struct {
	cfg       Config
	conv      *api.Converter
	validator *model.Validator
	// typedValidator validates typed inputs with validator's wording
	// and patterns (validate_typed.go).
	typedValidator *api.Validator
	services       []*Service
	byName         map[string]*Service
	byTarget       map[string]*Service
	bySigning      map[string]*Service
	// byPathPrefix are REST services that share their signing name with a
	// service registered before them (sesv2 after ses), by signing name:
	// a request whose path starts with one of the service's URI prefixes
	// is theirs.
	byPathPrefix map[string][]*pathPrefixes
	byVersion    map[string]*Service
	// byFirstSegment are the services a request's first path segment
	// names when nothing else routes it (kit.Routing.PathPrefixes).
	byFirstSegment map[string]*Service
	// catchAll answers what no other rule claims (kit.Routing.CatchAll;
	// S3), nil when no service declares it.
	catchAll *Service
	// sharedQuery are the signing names more than one query service
	// signs with (elasticloadbalancing: Classic ELB and ELBv2), told
	// apart by the form Version.
	sharedQuery map[string]bool
	// catalog knows every other AWS service, to answer requests for
	// them in their own protocol (unimplemented.go).
	// catalog indexes the services niwa does not implement, built at
	// the first request no implemented service claims (catalogIndex):
	// ~300 KB of maps start-up need not pay for.
	catalogOnce sync.Once
	catalog     *catalogIndex
	codecs      Codecs
	started     time.Time
}

var _ http.Handler = (*Gateway)(nil)

// New returns a gateway serving services.
func New(cfg Config, services ...*Service) (*Gateway, error) {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real{}
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.DefaultRegion == "" {
		cfg.DefaultRegion = "us-east-1"
	}
	if cfg.DefaultAccount == "" {
		cfg.DefaultAccount = "000000000000"
	}
	if cfg.S3HostSuffix == "" {
		cfg.S3HostSuffix = "localhost"
	}
	g := &Gateway{
		cfg: cfg, conv: &api.Converter{}, validator: &model.Validator{},
		byName: map[string]*Service{}, byTarget: map[string]*Service{},
		bySigning: map[string]*Service{}, byPathPrefix: map[string][]*pathPrefixes{}, byVersion: map[string]*Service{},
		byFirstSegment: map[string]*Service{}, sharedQuery: map[string]bool{},
		started: cfg.Clock.Now(), codecs: cfg.Codecs,
	}
	g.typedValidator = &api.Validator{Model: g.validator}
	if g.codecs == nil {
		g.codecs = codecs.New()
	}
	for _, s := range services {
		if s.Codec == nil {
			return nil, fmt.Errorf("gateway: service %s has no codec", s.Spec.Name)
		}
		if _, dup := g.byName[s.Spec.Name]; dup {
			return nil, fmt.Errorf("gateway: service %s registered twice", s.Spec.Name)
		}
		md := s.Spec.Metadata
		g.services = append(g.services, s)
		g.byName[s.Spec.Name] = s
		if md.TargetPrefix != "" {
			g.byTarget[md.TargetPrefix] = s
		}
		// The first registered service wins a shared signing name
		// (dynamodb before dynamodbstreams, which has a target prefix).
		if sn := md.SigningNameOrPrefix(); sn != "" {
			if first, taken := g.bySigning[sn]; !taken {
				g.bySigning[sn] = s
			} else if md.Protocol == "query" && first.Spec.Metadata.Protocol == "query" {
				g.sharedQuery[sn] = true
			} else if p := md.Protocol; p == "rest-json" || p == "rest-xml" {
				// Its URI prefixes come from its model, read at the
				// first request signed for sn, not at start-up.
				g.byPathPrefix[sn] = append(g.byPathPrefix[sn], &pathPrefixes{svc: s})
			}
		}
		if md.Protocol == "query" || md.Protocol == "ec2" {
			g.byVersion[md.APIVersion] = s
		}
		for _, p := range s.Routing.PathPrefixes {
			if other, taken := g.byFirstSegment[p]; taken {
				return nil, fmt.Errorf("gateway: services %s and %s both claim the path segment %q", other.Spec.Name, s.Spec.Name, p)
			}
			g.byFirstSegment[p] = s
		}
		if s.Routing.CatchAll {
			if g.catchAll != nil {
				return nil, fmt.Errorf("gateway: services %s and %s both catch all requests", g.catchAll.Spec.Name, s.Spec.Name)
			}
			g.catchAll = s
		}
		for _, a := range s.Alts {
			if a.Codec == nil || a.Model == nil {
				return nil, fmt.Errorf("gateway: service %s has an incomplete alternate protocol", s.Spec.Name)
			}
			if p := a.Metadata.Protocol; p == "query" || p == "ec2" {
				if _, taken := g.byVersion[a.Metadata.APIVersion]; !taken {
					g.byVersion[a.Metadata.APIVersion] = s
				}
			}
			if tp := a.Metadata.TargetPrefix; tp != "" {
				if _, taken := g.byTarget[tp]; !taken {
					g.byTarget[tp] = s
				}
			}
		}
	}
	return g, nil
}

// catalogIndex returns the index of unimplemented services, building it
// on first use.
func (g *Gateway) catalogIndex() *catalogIndex {
	g.catalogOnce.Do(func() { g.catalog = newCatalogIndex(catalog.Entries(), g.services, g.byFirstSegment) })
	return g.catalog
}

// Services returns the registered services.
func (g *Gateway) Services() []*Service { return g.services }

// ServeHTTP is the request pipeline.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	x := &exchange{w: statusWriter{ResponseWriter: w}}
	x.query.Reset(r.URL.RawQuery)
	rw := &x.w
	reqID, hostID := newIDs()
	meta := protocol.Meta{RequestID: reqID, HostID: hostID}
	svcName, opName := "", ""
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p) // net/http's way to abort a response; not a bug
			}
			g.cfg.Log.Error("panic", "request_id", meta.RequestID, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if !rw.wrote {
				http.Error(rw, "internal error", http.StatusInternalServerError)
			}
		}
		// Checked first so that a request line nobody sees (log level
		// warn or error) costs nothing, not even its arguments.
		if g.cfg.Log.Enabled(r.Context(), slog.LevelInfo) {
			g.cfg.Log.Info("request",
				"service", svcName, "operation", opName, "status", rw.status(),
				"duration", time.Since(start).Round(time.Microsecond), "request_id", meta.RequestID,
				"method", r.Method, "path", r.URL.Path)
		}
	}()

	for _, rt := range g.cfg.Routes {
		if rt.Match(r) {
			svcName = rt.Name
			rt.Handler.ServeHTTP(rw, r)
			return
		}
	}
	if g.isInternal(r) {
		svcName = "niwa"
		g.serveInternal(rw, r)
		return
	}
	svc, hostBucket := g.resolve(r, &x.query)
	if r.Method == http.MethodOptions && httpheader.Get(r.Header, "Access-Control-Request-Method") != "" {
		svcName = "cors"
		if !g.serviceCORS(rw, r, svc, hostBucket, true) {
			g.preflight(rw, r)
		}
		return
	}
	if !g.serviceCORS(rw, r, svc, hostBucket, false) {
		g.cors(rw, r)
	}
	if svc != nil && svc.unimplemented != nil {
		svcName = svc.Spec.Name
		g.serveUnimplemented(rw, r, svc.unimplemented, meta)
		return
	}
	if svc == nil {
		svcName = "unknown"
		writePlainError(rw, http.StatusBadRequest, "niwa could not tell which AWS service this request is for")
		return
	}
	svcName = svc.Spec.Name
	opName = g.serve(x, r, svc, hostBucket, meta)
	if svc.Observe != nil {
		svc.Observe(Observation{
			Request: r, HostBucket: hostBucket, Operation: opName, Status: rw.status(),
			BytesSent: rw.n, ErrorCode: rw.errCode, RequestID: meta.RequestID, HostID: meta.HostID,
			Caller: rw.caller, Anonymous: rw.anonymous, Start: start, Duration: time.Since(start),
		})
	}
}

// isInternal reports whether r is for niwa's own endpoints: a /_niwa/
// path, or a LocalStack one (/_localstack/, /_aws/), on niwa's host. On a
// bucket's virtual host the same path is an object key ("_niwa/health"
// is a valid key; "_niwa", "_localstack" and "_aws" are not valid bucket
// names, so path-style requests cannot collide).
func (g *Gateway) isInternal(r *http.Request) bool {
	p := r.URL.Path
	return (strings.HasPrefix(p, "/_niwa/") || isLocalStackPath(p)) && g.hostBucket(r.Host) == ""
}

// exchange is what the pipeline keeps for one request, in one
// allocation: the response writer, the handler's context and logger, the
// call the OnCall hook sees, the body's guard and the codec's request
// (six allocations when apart), and the URL query parsed once for
// routing, the signature and the codec.
type exchange struct {
	w     statusWriter
	ctx   request.Context
	log   requestLog
	call  Call
	body  guardedBody
	preq  protocol.Request
	limit opLimit
	query protocol.SharedQuery
}

// serve runs the pipeline for one service and returns the operation name.
func (g *Gateway) serve(x *exchange, r *http.Request, svc *Service, hostBucket string, meta protocol.Meta) (opName string) {
	w := &x.w
	m, codec, err := svc.protocolFor(r)
	if err != nil {
		codec.EncodeError(w, &model.Service{Metadata: svc.Spec.Metadata}, nil, awserr.InternalFailure.New("%v", err), meta)
		return ""
	}
	var call *Call // set once the caller and operation are known
	fail := func(op *model.Operation, err error) {
		ae := awserr.As(err)
		w.errCode = ae.Code.Code
		if call != nil {
			call.Err = ae
		}
		codec.EncodeError(w, m, op, ae, meta)
	}
	if g.cfg.OnCall != nil {
		// Deferred before the panic recovery below, so it runs after it
		// and sees the InternalFailure a panic was answered with.
		defer func() {
			if call != nil {
				call.Status = w.status()
				g.cfg.OnCall(*call)
			}
		}()
	}
	// A panicking handler (or codec) is a niwa bug, but the client still
	// gets an error in its protocol's shape, as AWS answers its own
	// failures with InternalFailure, rather than a bare text/plain 500
	// that SDKs cannot parse.
	var op *model.Operation
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		if p == http.ErrAbortHandler {
			panic(p)
		}
		g.cfg.Log.Error("panic", "service", svc.Spec.Name, "operation", opName, "request_id", meta.RequestID,
			"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		if !w.wrote {
			fail(op, awserr.InternalFailure.New("The request processing has failed because of an unknown error, exception or failure."))
		}
	}()

	if r.Body != nil && r.Body != http.NoBody {
		// A shallow copy: net/http drains or closes the body it handed
		// over after the handler, and must still see its own. A body
		// installed on a copy already (the server's edge) needs none.
		if _, copied := r.Body.(CopiedBody); !copied {
			r = r.WithContext(r.Context())
		}
	}
	bodyErrs, err := guardBody(r, svc, m, codec, &x.body)
	if err != nil {
		fail(nil, err)
		return ""
	}
	id, err := g.cfg.Auth.Authenticate(r, svc, hostBucket)
	if err != nil {
		fail(nil, err)
		return ""
	}
	w.caller, w.anonymous = id.Caller.ARN, id.Caller.Anonymous
	// protocol.NewRequest's request, in the exchange.
	body := id.Body
	if body == nil {
		body = r.Body
	}
	if body == nil {
		body = http.NoBody
	}
	x.preq = protocol.Request{HTTP: r, Body: body, SharedQuery: &x.query}
	preq := &x.preq
	preq.HostBucket = hostBucket
	op, err = codec.Resolve(m, preq)
	if err != nil {
		fail(nil, err)
		return ""
	}
	opName = op.Name
	limitRequest(preq, svc, bodyErrs, op, &x.limit)
	region := id.Region
	if region == "" {
		region = g.cfg.DefaultRegion
	}
	account := id.Caller.Account
	if account == "" {
		account = g.cfg.DefaultAccount
	}
	x.ctx = request.Context{
		Context:   r.Context(),
		RequestID: meta.RequestID,
		Service:   svc.Spec.Name,
		Operation: op.Name,
		Account:   account,
		Region:    region,
		Caller:    id.Caller,
		Clock:     g.cfg.Clock,
		Log:       x.log.init(g.cfg.Log, svc.Spec.Name, op.Name, meta.RequestID),
		HTTP:      r,
		SourceIP:  remoteIP(r),
	}
	ctx := &x.ctx
	if g.cfg.OnCall != nil {
		x.call = Call{Context: ctx, Service: svc, Model: m, Operation: op}
		call = &x.call
	}
	// Decoded and validated before niwa admits it lacks the operation
	// (decode says why).
	binding, bound := svc.boundOps()[op.Name]
	in, err := g.decode(codec, svc, m, op, preq, binding, bound, call)
	if err != nil {
		fail(op, err)
		return op.Name
	}
	if call != nil {
		call.Input = in
	}
	if err := g.authorize(ctx, svc, op, in); err != nil {
		fail(op, err)
		return op.Name
	}
	out, err := binding.Call(ctx, in)
	if err != nil {
		fail(op, err)
		return op.Name
	}
	if call != nil {
		call.Output, call.conv = out, g.conv
	}
	meta.Context = r.Context() // an event stream ends when the client goes
	// The codec writes the typed output in place when it can; else the
	// output's dynamic form (the same bytes).
	var encErr error
	te, canTyped := codec.(protocol.TypedEncoder)
	typed, isTyped := out.(api.Typed)
	if canTyped && isTyped && op.Output != nil {
		encErr = te.EncodeTyped(w, op, typed, meta)
	} else {
		encErr = codec.Encode(w, op, dynamicOutput(g.conv, op, out), meta)
	}
	if encErr != nil {
		ctx.Log.Error("encoding response", "error", encErr)
	}
	return op.Name
}

// decode reads op's input from preq into a new typed input (binding's),
// validated, and sets call.Params (call may be nil). An operation niwa
// does not implement (not bound) is still decoded and validated first,
// as AWS rejects a malformed request whatever it asks for: a client sees
// the same ValidationException it would see on AWS, and NotImplemented
// only for a request AWS would have served.
//
// A codec that decodes into the typed input (protocol.TypedDecoder)
// does so without the dynamic tree; a request it leaves to the tree
// (protocol.ErrUseTree: malformed, or a form it does not take) is decoded
// again with Decode, whose errors are the ones clients see.
func (g *Gateway) decode(codec protocol.Codec, svc *Service, m *model.Service, op *model.Operation, preq *protocol.Request, binding api.Binding, bound bool, call *Call) (any, error) {
	if td, ok := codec.(protocol.TypedDecoder); ok && bound && td.DecodesTyped(op) {
		if in, ok := binding.NewInput().(api.Typed); ok {
			err := td.DecodeTyped(op, preq, in)
			if err == nil {
				if err := g.validateTyped(svc, m, op, in, call); err != nil {
					return nil, err
				}
				return in, nil
			}
			if !errors.Is(err, protocol.ErrUseTree) {
				return nil, err
			}
		}
	}
	dyn, err := codec.Decode(op, preq)
	if err != nil {
		return nil, err
	}
	if err := g.validate(svc, m, op, dyn); err != nil {
		return nil, err
	}
	if call != nil {
		call.Params = dyn
	}
	if !bound {
		return nil, operationNotImplemented(svc, op.Name)
	}
	in := binding.NewInput()
	if err := g.conv.ToTyped(dyn, in); err != nil {
		return nil, awserr.ValidationError.New("%v", err)
	}
	return in, nil
}

// validateTyped validates a typed input decoded without the tree, as
// validate validates the tree (checkTyped: the same violations and
// error, read from the typed value in place), and sets call.Params (call
// may be nil): made from the input only when Config.WantsParams says a
// record will read it, before the handler can change the input, and
// left to Call.RequestParams otherwise.
func (g *Gateway) validateTyped(svc *Service, m *model.Service, op *model.Operation, in api.Typed, call *Call) error {
	if err := g.checkTyped(svc, m, op, in); err != nil {
		return err
	}
	if call == nil {
		return nil
	}
	if g.cfg.WantsParams == nil || g.cfg.WantsParams(call) {
		dyn := g.conv.ToDynamic(in)
		if dyn == nil {
			dyn = map[string]any{}
		}
		call.Params = dyn
		return nil
	}
	call.conv, call.paramsDeferred = g.conv, true
	return nil
}

// dynamicOutput is the dynamic form of op's output out: nil for an
// operation without output, an empty structure for a nil out.
func dynamicOutput(conv *api.Converter, op *model.Operation, out any) map[string]any {
	if op.Output == nil {
		return nil
	}
	m := conv.ToDynamic(out)
	if m == nil {
		m = map[string]any{}
	}
	return m
}

// authorize runs the configured Authorizer, or the default rule.
func (g *Gateway) authorize(ctx *request.Context, svc *Service, op *model.Operation, in any) error {
	if g.cfg.Authorizer != nil {
		return g.cfg.Authorizer.Authorize(ctx, svc, op, in)
	}
	if ctx.Caller.Anonymous {
		return awserr.AccessDenied.New("Access Denied")
	}
	return nil
}

// resolveService finds the service a request is for, in docs/design.md's order:
// X-Amz-Target, the SigV4 credential scope, form Action+Version, then host
// and path rules. It also returns the bucket of an S3 virtual-host-style
// Host.
func (g *Gateway) resolveService(r *http.Request) (*Service, string) {
	var q protocol.SharedQuery
	q.Reset(r.URL.RawQuery)
	return g.resolve(r, &q)
}

// resolve is resolveService reading the URL query from q.
func (g *Gateway) resolve(r *http.Request, q *protocol.SharedQuery) (*Service, string) {
	hostBucket := g.hostBucket(r.Host)
	if t := httpheader.Get(r.Header, "X-Amz-Target"); t != "" {
		if i := strings.LastIndexByte(t, '.'); i > 0 {
			if s, ok := g.byTarget[t[:i]]; ok {
				return s, hostBucket
			}
			if s := g.catalogIndex().byTarget(t[:i]); s != nil {
				return s, hostBucket
			}
		}
	}
	// smithy-rpc-v2-cbor names the service in its path; only a request
	// that says it speaks the protocol is read that way, since
	// "/service/..." is also a valid S3 path.
	if rpcv2cbor.IsRequest(r) {
		if name, _, ok := rpcv2cbor.PathOperation(r.URL.Path); ok {
			if s, ok := g.byTarget[name]; ok {
				return s, hostBucket
			}
			if s := g.catalogIndex().byTarget(name); s != nil {
				return s, hostBucket
			}
		}
	}
	sn := scopeService(r, q)
	if sn != "" {
		for _, pp := range g.byPathPrefix[sn] {
			for _, p := range pp.list() {
				if strings.HasPrefix(r.URL.Path, p) {
					return pp.svc, hostBucket
				}
			}
		}
		if s, ok := g.bySigning[sn]; ok {
			// Query services that share a signing name (Classic ELB and
			// ELBv2 both sign as elasticloadbalancing) are told apart by
			// the form Version the request carries.
			if g.sharedQuery[sn] {
				if v := g.formVersion(r, q); v != "" {
					if other := g.byVersion[v]; other != nil && other.Spec.Metadata.SigningNameOrPrefix() == sn {
						return other, hostBucket
					}
				}
			}
			// A REST API niwa does not implement that shares the signing
			// name but owns the path by its URI prefix (API Gateway V2's
			// /v2/ beside API Gateway's REST APIs) is not the service's.
			if s.Spec.Metadata.Protocol == "rest-json" {
				if other := g.catalogIndex().byPrefix(r, sn); other != nil {
					return other, hostBucket
				}
			}
			return s, hostBucket
		}
	}
	version := g.formVersion(r, q)
	if s := g.byVersion[version]; s != nil && version != "" {
		return s, hostBucket
	}
	// A service niwa does not implement, named by its form Version or
	// its signing name, is answered as that service rather than as S3.
	if s := g.catalogIndex().resolve(r, sn, version, hostBucket); s != nil {
		return s, hostBucket
	}
	if hostBucket != "" || q.Has("AWSAccessKeyId") {
		return g.catchAll, hostBucket
	}
	if first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/"); first != "" {
		if s, ok := g.byFirstSegment[first]; ok {
			return s, ""
		}
	}
	return g.catchAll, hostBucket
}

// formVersion reads the Version parameter of a query-protocol request
// (from the URL, or peeked from a form body without consuming it: the
// signature layer and codec still need the body), "" when there is none.
// It routes requests signed with something other than SigV4, or not at
// all.
func (g *Gateway) formVersion(r *http.Request, q *protocol.SharedQuery) string {
	v := q.Get("Version")
	if v == "" && r.Method == http.MethodPost &&
		strings.HasPrefix(httpheader.Get(r.Header, "Content-Type"), "application/x-www-form-urlencoded") {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err == nil {
			r.Body = readCloser{io.MultiReader(strings.NewReader(string(body)), r.Body), r.Body}
			for _, kv := range strings.Split(string(body), "&") {
				if k, val, ok := strings.Cut(kv, "="); ok && k == "Version" {
					v = val
				}
			}
		}
	}
	return v
}

type readCloser struct {
	io.Reader
	io.Closer
}

// hostBucket extracts the bucket of an S3 virtual-host-style Host (see
// hostname.S3Bucket, which S3's form uploads read hosts with too).
func (g *Gateway) hostBucket(host string) string {
	return hostname.S3Bucket(host, g.cfg.S3HostSuffix)
}

// scopeService reads the service of a SigV4 credential scope from the
// Authorization header or the presigned X-Amz-Credential parameter.
func scopeService(r *http.Request, q *protocol.SharedQuery) string {
	cred := ""
	if a := httpheader.Get(r.Header, "Authorization"); strings.HasPrefix(a, "AWS4-") {
		if i := strings.Index(a, "Credential="); i >= 0 {
			cred = a[i+len("Credential="):]
			if j := strings.IndexAny(cred, ", "); j >= 0 {
				cred = cred[:j]
			}
		}
	} else {
		cred = q.Get("X-Amz-Credential")
	}
	if strings.Count(cred, "/") == 4 {
		// key/date/region/service/aws4_request: the fourth field.
		_, rest, _ := strings.Cut(cred, "/")
		_, rest, _ = strings.Cut(rest, "/")
		_, rest, _ = strings.Cut(rest, "/")
		svc, _, _ := strings.Cut(rest, "/")
		return svc
	}
	return ""
}

func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// newIDs returns a request id in the UUID form most services use and an
// S3 x-amz-id-2 lookalike (48 random bytes in base64).
func newIDs() (requestID, hostID string) {
	// One random fill and one string for both (awsid.UUID and
	// awsid.Base64(48) made four allocations and read twice). They are
	// unique, not secret: awsid.Unique, not crypto/rand (~0.5 µs).
	var raw [16 + 48]byte
	awsid.Unique(raw[:])
	var out [36 + 64]byte
	awsid.EncodeUUID(out[:36], raw[:16])
	base64.StdEncoding.Encode(out[36:], raw[16:])
	ids := string(out[:])
	return ids[:36], ids[36:]
}

// CopiedBody is a request body installed on a shallow copy of the
// request net/http handed over (the server's edge wraps bodies so): the
// gateway may replace the copy's body without copying it again.
type CopiedBody interface{ RequestCopied() }

type statusWriter struct {
	http.ResponseWriter
	code  int
	wrote bool
	// n, errCode, caller and anonymous are what Service.Observe sees.
	n         int64
	errCode   string
	caller    string
	anonymous bool
}

// Observation is one answered request. The type is request.Observation,
// so that services take it without importing the gateway.
type Observation = request.Observation

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.code, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.code, w.wrote = http.StatusOK, true
	}
	n, err := w.ResponseWriter.Write(b)
	w.n += int64(n)
	return n, err
}

func (w *statusWriter) status() int {
	if !w.wrote {
		return http.StatusOK
	}
	return w.code
}

// Flush lets streaming responses reach the client as they are written.
func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func writePlainError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	io.WriteString(w, msg+"\n")
}

var errNoReset = errors.New("reset is not configured")

// pathPrefixes are a REST service's literal URI prefixes, read from its
// model on first use (list).
type pathPrefixes struct {
	svc      *Service
	once     sync.Once
	prefixes []string
}

// list returns the prefixes, reading the service's model the first time.
func (p *pathPrefixes) list() []string {
	p.once.Do(func() { p.prefixes = restPrefixes(p.svc) })
	return p.prefixes
}

// restPrefixes are the literal beginnings ("/v2/email/") of a REST
// service's request URIs, up to the first label; nil for other
// protocols or when a URI has no literal segment to tell it by.
func restPrefixes(s *Service) []string {
	if p := s.Spec.Metadata.Protocol; p != "rest-json" && p != "rest-xml" {
		return nil
	}
	m, err := s.Model()
	if err != nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, op := range m.Operations {
		uri, _, _ := strings.Cut(op.HTTP.RequestURI, "?")
		if i := strings.IndexByte(uri, '{'); i >= 0 {
			uri = uri[:i]
		}
		if j := strings.LastIndexByte(uri, '/'); j >= 0 {
			uri = uri[:j+1]
		}
		if len(uri) <= 1 {
			return nil
		}
		if !seen[uri] {
			seen[uri] = true
			out = append(out, uri)
		}
	}
	return out
}

// operationNotImplemented is the error for an operation svc has no handler for:
// it names the operation and, where the service declares one, why it is
// left out.
func operationNotImplemented(svc *Service, op string) *awserr.Error {
	if why := svc.NotImplemented[op]; why != "" {
		return awserr.NotImplemented.New("niwa does not implement %s.%s: %s", svc.Spec.Metadata.ServiceID, op, why)
	}
	return awserr.NotImplemented.New("niwa does not implement %s.%s yet", svc.Spec.Metadata.ServiceID, op)
}
