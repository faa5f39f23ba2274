// Package apigatewayv2 is Amazon API Gateway's HTTP and WebSocket APIs
// (the 2018-11-29 API): APIs with their routes, integrations,
// authorizers, stages and deployments, custom domain names with API
// mappings — and the data plane that answers an HTTP API's invoke URL
// (invoke.go): route selection, Lambda proxy payloads 1.0 and 2.0, HTTP
// proxies with parameter mapping, JWT and Lambda authorizers, IAM
// authorization and CORS.
//
// An API is stored as one record (its routes, integrations, authorizers,
// stages and deployments inside) under the account and region; a
// deployment holds a copy of the routes, integrations, authorizers and
// CORS configuration as they were deployed, which is what stages serve.
// One index outside any account maps an API id to its account and region
// so the data plane, which carries no signature, finds it.
package apigatewayv2

import (
	"context"
	"log/slog"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"sync"
	"time"

	apigatewayv2api "github.com/niwa-cloud/niwa/internal/api/apigatewayv2"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Functions invokes Lambda functions for AWS_PROXY integrations and
// Lambda authorizers.
type Functions interface {
	// Invoke runs the function (an ARN) with payload and returns what it
	// returned; functionError is set when the function failed.
	Invoke(ctx context.Context, function string, payload []byte) (out []byte, functionError string, err error)
}

// Signatures verifies the SigV4 signature of a data-plane request for
// routes with AWS_IAM authorization (niwa's own verifier, wired by the
// server). It returns the caller's ARN and account.
type Signatures interface {
	Verify(r *http.Request) (callerARN, account string, err error)
}

// LogWriter appends access log lines to a CloudWatch Logs stream,
// creating the stream when missing.
type LogWriter interface {
	AppendLogEvents(account, region, group, stream string, lines []LogLine) error
}

// LogLine is one access log line.
type LogLine struct {
	Time    time.Time
	Message string
}

// Options configures New.
type Options struct {
	Store storage.Store
	Clock clock.Clock
	Log   *slog.Logger
	// Functions runs Lambda integrations and authorizers (nil: they
	// answer 500).
	Functions Functions
	// Signatures verifies AWS_IAM routes' callers (nil: a signed request
	// is taken as signed).
	Signatures Signatures
	// Logs receives stages' access logs (nil: none are written).
	Logs LogWriter
	// Endpoint is niwa's own base URL ("" before it listens), from which
	// APIs' endpoints are named.
	Endpoint func() string
	// HTTPClient makes outbound calls: HTTP_PROXY integrations and JWKS
	// fetches (nil: a client with a 30 s overall timeout).
	HTTPClient *http.Client
}

// APIGatewayV2 implements the API Gateway V2 API; bind it with
// apigatewayv2api.Bind.
type APIGatewayV2 struct {
	store    storage.Store
	clock    clock.Clock
	log      *slog.Logger
	fns      Functions
	sigs     Signatures
	logs     LogWriter
	endpoint func() string
	client   *http.Client

	// Caches rebuilt from nothing after a restart or reset: the JWKS of
	// JWT issuers, Lambda authorizer answers and the API throttles' token
	// buckets. AWS may drop any of them at any time too.
	mu        sync.Mutex
	jwks      map[string]jwksEntry
	authCache map[string]authEntry
	buckets   map[string]*bucket

	// ws are the WebSocket APIs' open connections (websocket.go).
	ws wsConns
}

// New returns the service.
func New(o Options) *APIGatewayV2 {
	if o.Clock == nil {
		o.Clock = clock.Real{}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Endpoint == nil {
		o.Endpoint = func() string { return "" }
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}
	return &APIGatewayV2{store: o.Store, clock: o.Clock, log: o.Log, fns: o.Functions, sigs: o.Signatures,
		logs: o.Logs, endpoint: o.Endpoint, client: o.HTTPClient,
		jwks: map[string]jwksEntry{}, authCache: map[string]authEntry{}, buckets: map[string]*bucket{}}
}

// Reset drops the caches (POST /_niwa/reset).
func (s *APIGatewayV2) Reset() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jwks = map[string]jwksEntry{}
	s.authCache = map[string]authEntry{}
	s.buckets = map[string]*bucket{}
	// Connections go with the APIs they belong to.
	s.ws.closeAll()
	return nil
}

// httpAPI is one API with everything under it.
type httpAPI struct {
	Api                  apigatewayv2api.Api
	Routes               map[string]apigatewayv2api.Route
	Integrations         map[string]apigatewayv2api.Integration
	Authorizers          map[string]apigatewayv2api.Authorizer
	Stages               map[string]apigatewayv2api.Stage
	Deployments          map[string]deployment
	Models               map[string]apigatewayv2api.ModelShape
	RouteResponses       map[string]map[string]apigatewayv2api.RouteResponse
	IntegrationResponses map[string]map[string]apigatewayv2api.IntegrationResponse
}

// deployment is a deployment and the API's configuration it froze.
type deployment struct {
	Deployment   apigatewayv2api.Deployment
	Routes       map[string]apigatewayv2api.Route
	Integrations map[string]apigatewayv2api.Integration
	Authorizers  map[string]apigatewayv2api.Authorizer
	Cors         *apigatewayv2api.Cors
}

// location is where an API lives, for the data plane.
type location struct{ Account, Region string }

var (
	apis    = storage.NewTable[httpAPI]("apis")
	index   = storage.NewTable[location]("index")
	domains = storage.NewTable[domainRecord]("domains")
)

func scope(ctx *request.Context) storage.Scope {
	return storage.Scope{Account: ctx.Account, Region: ctx.Region}
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

func newID(n int) string { return awsid.String(idAlphabet, n) }

func errNoAPI(ctx *request.Context, id string) error {
	return apigatewayv2api.ErrNotFoundException.New("Invalid API identifier specified %s:%s", ctx.Account, id)
}

func notFound(kind, id string, ctx *request.Context) error {
	return apigatewayv2api.ErrNotFoundException.New("Invalid %s identifier specified %s:%s", kind, ctx.Account, id)
}

func badRequest(format string, args ...any) error {
	return apigatewayv2api.ErrBadRequestException.New(format, args...)
}

func conflict(format string, args ...any) error {
	return apigatewayv2api.ErrConflictException.New(format, args...)
}

func (s *APIGatewayV2) load(tx storage.Tx, ctx *request.Context, id string) (httpAPI, error) {
	a, ok, err := apis.Get(tx, scope(ctx), id)
	if err != nil {
		return httpAPI{}, err
	}
	if !ok {
		return httpAPI{}, errNoAPI(ctx, id)
	}
	a.init()
	return a, nil
}

// init makes the record's maps.
func (a *httpAPI) init() {
	if a.Routes == nil {
		a.Routes = map[string]apigatewayv2api.Route{}
	}
	if a.Integrations == nil {
		a.Integrations = map[string]apigatewayv2api.Integration{}
	}
	if a.Authorizers == nil {
		a.Authorizers = map[string]apigatewayv2api.Authorizer{}
	}
	if a.Stages == nil {
		a.Stages = map[string]apigatewayv2api.Stage{}
	}
	if a.Deployments == nil {
		a.Deployments = map[string]deployment{}
	}
	if a.Models == nil {
		a.Models = map[string]apigatewayv2api.ModelShape{}
	}
	if a.RouteResponses == nil {
		a.RouteResponses = map[string]map[string]apigatewayv2api.RouteResponse{}
	}
	if a.IntegrationResponses == nil {
		a.IntegrationResponses = map[string]map[string]apigatewayv2api.IntegrationResponse{}
	}
}

func (a *httpAPI) isHTTP() bool { return ptr.Deref(a.Api.ProtocolType) == "HTTP" }

// view reads an API.
func (s *APIGatewayV2) view(ctx *request.Context, id string) (httpAPI, error) {
	var a httpAPI
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		a, err = s.load(tx, ctx, id)
		return err
	})
	return a, err
}

// update changes an API in one transaction. When deploys is true the
// change is to the deployed configuration: stages with auto-deploy get a
// new deployment of it, as on AWS.
func (s *APIGatewayV2) update(ctx *request.Context, id string, deploys bool, fn func(a *httpAPI) error) error {
	return s.store.Update(func(tx storage.Tx) error {
		a, err := s.load(tx, ctx, id)
		if err != nil {
			return err
		}
		if err := fn(&a); err != nil {
			return err
		}
		if deploys {
			s.autoDeploy(ctx, &a)
		}
		return apis.Put(tx, scope(ctx), a, id)
	})
}

// snapshot is a new deployment of the API as it is now.
func (s *APIGatewayV2) snapshot(ctx *request.Context, a *httpAPI, description *string, auto bool) deployment {
	now := ctx.Now().UTC()
	d := deployment{
		Deployment: apigatewayv2api.Deployment{DeploymentId: ptr.To(newID(6)), CreatedDate: &now,
			DeploymentStatus: ptr.To("DEPLOYED"), Description: description, AutoDeployed: ptr.To(auto)},
		Routes: clone(a.Routes), Integrations: clone(a.Integrations), Authorizers: clone(a.Authorizers),
		Cors: a.Api.CorsConfiguration,
	}
	return d
}

// autoDeploy deploys the API to each stage with auto-deploy on, and drops
// the automatic deployments no stage serves any more (AWS keeps them in
// its history; niwa keeps the record small).
func (s *APIGatewayV2) autoDeploy(ctx *request.Context, a *httpAPI) {
	var names []string
	for name, st := range a.Stages {
		if ptr.Deref(st.AutoDeploy) {
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		return
	}
	d := s.snapshot(ctx, a, ptr.To("Automatic deployment triggered by changes to the Api configuration"), true)
	a.Deployments[*d.Deployment.DeploymentId] = d
	now := ctx.Now().UTC()
	for _, name := range names {
		st := a.Stages[name]
		st.DeploymentId = d.Deployment.DeploymentId
		st.LastUpdatedDate = &now
		st.LastDeploymentStatusMessage = ptr.To("Successfully deployed stage with deployment ID '" + *d.Deployment.DeploymentId + "'")
		a.Stages[name] = st
	}
	used := map[string]bool{}
	for _, st := range a.Stages {
		used[ptr.Deref(st.DeploymentId)] = true
	}
	for id, dep := range a.Deployments {
		if ptr.Deref(dep.Deployment.AutoDeployed) && !used[id] {
			delete(a.Deployments, id)
		}
	}
}

// clone copies a map of records (they hold pointers, shared read-only).
func clone[T any](m map[string]T) map[string]T {
	out := make(map[string]T, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// fill copies src's members into dst's members of the same name and
// type: the model's request, record and response shapes share their
// member names. Only set members (non-nil pointers, maps and slices)
// are copied, so it also applies an update.
func fill(dst, src any) {
	dv, sv := reflect.ValueOf(dst).Elem(), reflect.ValueOf(src)
	if sv.Kind() == reflect.Pointer {
		if sv.IsNil() {
			return
		}
		sv = sv.Elem()
	}
	st := sv.Type()
	for i := 0; i < st.NumField(); i++ {
		f := sv.Field(i)
		switch f.Kind() {
		case reflect.Pointer, reflect.Map, reflect.Slice:
			if f.IsNil() {
				continue
			}
		}
		df := dv.FieldByName(st.Field(i).Name)
		if df.IsValid() && df.CanSet() && df.Type() == f.Type() {
			df.Set(f)
		}
	}
}

// convert makes a T from src's members of the same names.
func convert[T any](src any) *T {
	out := new(T)
	fill(out, src)
	return out
}

// page cuts a sorted list at NextToken (an offset) to MaxResults.
func page[T any](items []T, maxResults, token *string) ([]T, *string, error) {
	start := 0
	if t := ptr.Deref(token); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 || n > len(items) {
			return nil, nil, badRequest("Invalid pagination token")
		}
		start = n
	}
	limit := len(items) - start
	if m := ptr.Deref(maxResults); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 1 {
			return nil, nil, badRequest("Invalid value for MaxResults")
		}
		if n < limit {
			limit = n
		}
	}
	out := items[start : start+limit]
	if start+limit < len(items) {
		return out, ptr.To(strconv.Itoa(start + limit)), nil
	}
	return out, nil, nil
}

// sortedValues lists a map's values by key.
func sortedValues[T any](m map[string]T) []T {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]T, 0, len(keys))
	for _, k := range keys {
		out = append(out, m[k])
	}
	return out
}
