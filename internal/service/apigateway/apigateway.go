// Package apigateway is Amazon API Gateway's REST APIs (the 2015-07-09
// API): rest APIs with their resource trees, methods, integrations and
// responses, deployments (snapshots of the tree), stages, API keys and
// usage plans — and the data plane that answers invoke URLs
// (invoke.go), with mapping templates rendered by internal/vtl.
//
// A REST API is stored as one record (its resources, methods and
// integrations inside) under the account and region; deployments hold a
// copy of the resources as they were deployed, which is what stages
// serve. One index outside any account maps an API id to its account and
// region so the data plane, which carries no signature, finds it.
package apigateway

import (
	"context"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Functions invokes Lambda functions synchronously for AWS and AWS_PROXY
// integrations; the server wires Lambda behind it (services never import
// each other).
type Functions interface {
	// Invoke runs the function (an ARN) with payload and returns what it
	// returned; functionError is set when the function failed.
	Invoke(ctx context.Context, function string, payload []byte) (out []byte, functionError string, err error)
}

// Options configures New.
type Options struct {
	Store     storage.Store
	Clock     clock.Clock
	Log       *slog.Logger
	Functions Functions
	// Services serves AWS service integrations (nil: they fail with 500).
	Services Services
	// Permissions is the function policy check (nil: not checked).
	Permissions Permissions
	// Signatures verifies AWS_IAM methods' callers (nil: a signed call
	// is let through unverified).
	Signatures Signatures
	// Logs receives access and execution logs (nil: not written).
	Logs LogWriter
	// Bus receives the stages' CloudWatch metrics (nil: none).
	Bus *events.Bus
	// Firewall is AWS WAF for stages with a web ACL (nil: none).
	Firewall Firewall
	// LoadBalancers are the network load balancers VPC links reach.
	LoadBalancers LoadBalancers
}

// APIGateway implements the API Gateway API; bind it with
// apigatewayapi.Bind.
type APIGateway struct {
	store storage.Store
	clock clock.Clock
	log   *slog.Logger
	fns   Functions
	// services and perms: see Options.
	services Services
	perms    Permissions
	sigs     Signatures
	logs     LogWriter
	bus      *events.Bus
	firewall Firewall
	lbs      LoadBalancers

	// cache is the stages' response cache.
	cache *stageCache
	// canaryCount counts each stage's requests for the canary split.
	cmu         sync.Mutex
	canaryCount map[string]int64

	// buckets are the token buckets of usage plan throttles, per plan and
	// key: rate state rebuilt empty (full) after a restart, as a new
	// second would be.
	bmu     sync.Mutex
	buckets map[string]*bucket

	// authCache holds Lambda authorizer answers by API, authorizer and
	// identity until their TTL passes on the clock; lost on restart as
	// AWS's cache may be at any time.
	amu       sync.Mutex
	authCache map[string]authEntry
}

// New returns the service.
func New(o Options) *APIGateway {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return &APIGateway{store: o.Store, clock: o.Clock, log: o.Log, fns: o.Functions, services: o.Services, perms: o.Permissions, sigs: o.Signatures,
		logs: o.Logs, bus: o.Bus, firewall: o.Firewall, lbs: o.LoadBalancers, cache: newStageCache(), canaryCount: map[string]int64{}, buckets: map[string]*bucket{},
		authCache: map[string]authEntry{}}
}

// Build makes the service from what the platform gives it, without
// Lambda (the server wires Lambda through Options when it has one).
func Build(d kit.Deps) (kit.Declaration, error) {
	return New(Options{Store: d.Store, Clock: d.Clock, Log: d.Log, Bus: d.Bus}).Declare(), nil
}

// restAPI is one REST API with its resource tree.
type restAPI struct {
	API         apigatewayapi.RestApi
	Resources   map[string]apigatewayapi.Resource
	Deployments map[string]deployment
	Stages      map[string]apigatewayapi.Stage
	Authorizers map[string]apigatewayapi.Authorizer
	Models      map[string]apigatewayapi.ModelShape
	Validators  map[string]apigatewayapi.RequestValidator
	// GatewayResponses are the customized gateway responses by type.
	GatewayResponses map[string]apigatewayapi.GatewayResponse
	DocParts         map[string]apigatewayapi.DocumentationPart
	DocVersions      map[string]docVersion
}

// docVersion is a documentation snapshot.
type docVersion struct {
	Version apigatewayapi.DocumentationVersion
	Parts   map[string]apigatewayapi.DocumentationPart
}

// deployment is a snapshot of the resources as deployed.
type deployment struct {
	Deployment apigatewayapi.Deployment
	Resources  map[string]apigatewayapi.Resource
	// Snapshot marks a deployment that also took the API's authorizers,
	// models, validators and gateway responses (deployments stored
	// before it read them from the API as it is).
	Snapshot         bool
	Authorizers      map[string]apigatewayapi.Authorizer
	Models           map[string]apigatewayapi.ModelShape
	Validators       map[string]apigatewayapi.RequestValidator
	GatewayResponses map[string]apigatewayapi.GatewayResponse
}

// snapshot is a deployment of the API as it is now.
func snapshot(d apigatewayapi.Deployment, a *restAPI) deployment {
	return deployment{Deployment: d, Resources: a.Resources, Snapshot: true, Authorizers: a.Authorizers,
		Models: a.Models, Validators: a.Validators, GatewayResponses: a.GatewayResponses}
}

// apply makes a the API as deployed: what the stage serves.
func (d deployment) apply(a *restAPI) {
	if !d.Snapshot {
		return
	}
	a.Authorizers, a.Models, a.Validators, a.GatewayResponses = d.Authorizers, d.Models, d.Validators, d.GatewayResponses
}

// location is where an API id lives, for the data plane.
type location struct{ Account, Region string }

var (
	apis      = storage.NewTable[restAPI]("restapis")
	index     = storage.NewTable[location]("index")
	apiKeys   = storage.NewTable[apigatewayapi.ApiKey]("apikeys")
	plans     = storage.NewTable[usagePlan]("usageplans")
	keyValues = storage.NewTable[string]("keyvalues")
	quotas    = storage.NewTable[int64]("quotas")
	daily     = storage.NewTable[int64]("daily")
	accounts  = storage.NewTable[account]("account")
)

// usagePlan is a plan and the ids of its keys.
type usagePlan struct {
	Plan apigatewayapi.UsagePlan
	Keys []string
	// QuotaStart is the start of the quota's initial period (RFC 3339),
	// the one its offset is subtracted from.
	QuotaStart string
}

// quotaStart is the initial period's start of a quota set at now.
func quotaStart(q *apigatewayapi.QuotaSettings, now time.Time) string {
	if q == nil {
		return ""
	}
	return periodStart(ptr.Deref(q.Period), now.UTC()).Format(time.RFC3339)
}

// checkQuotaOffset refuses an offset outside [0, limit).
func checkQuotaOffset(q *apigatewayapi.QuotaSettings) error {
	if off := ptr.Deref(q.Offset); off < 0 || (off > 0 && off >= ptr.Deref(q.Limit)) {
		return apigatewayapi.ErrBadRequestException.New("Quota offset must be a non-negative integer less than the quota limit")
	}
	return nil
}

// newID is an id as API Gateway makes them: 10 lowercase alphanumerics.
func newID() string { return awsid.String("abcdefghijklmnopqrstuvwxyz0123456789", 10) }

func scope(ctx *request.Context) storage.Scope {
	return storage.Scope{Account: ctx.Account, Region: ctx.Region}
}

func errNoAPI() error {
	return apigatewayapi.ErrNotFoundException.New("Invalid REST API identifier specified")
}

func errNoResource() error {
	return apigatewayapi.ErrNotFoundException.New("Invalid Resource identifier specified")
}

func errNoMethod() error {
	return apigatewayapi.ErrNotFoundException.New("Invalid Method identifier specified")
}

// load reads an API, NotFound when absent.
func (s *APIGateway) load(tx storage.Tx, sc storage.Scope, id string) (restAPI, error) {
	a, ok, err := apis.Get(tx, sc, id)
	if err != nil {
		return restAPI{}, err
	}
	if !ok {
		return restAPI{}, errNoAPI()
	}
	return a, nil
}

// update changes an API in one transaction.
func (s *APIGateway) update(ctx *request.Context, id string, fn func(a *restAPI) error) error {
	return s.store.Update(func(tx storage.Tx) error {
		a, err := s.load(tx, scope(ctx), id)
		if err != nil {
			return err
		}
		if err := fn(&a); err != nil {
			return err
		}
		return apis.Put(tx, scope(ctx), a, id)
	})
}

func (s *APIGateway) view(ctx *request.Context, id string) (restAPI, error) {
	var a restAPI
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		a, err = s.load(tx, scope(ctx), id)
		return err
	})
	return a, err
}

func (s *APIGateway) CreateRestApi(ctx *request.Context, in *apigatewayapi.CreateRestApiRequest) (*apigatewayapi.RestApi, error) {
	if err := checkPolicyDocument(in.Policy); err != nil {
		return nil, err
	}
	id, root := newID(), newID()
	now := ctx.Now().UTC().Truncate(time.Second)
	api := apigatewayapi.RestApi{
		Id: &id, Name: in.Name, Description: in.Description, Version: in.Version, CreatedDate: &now,
		BinaryMediaTypes: in.BinaryMediaTypes, MinimumCompressionSize: in.MinimumCompressionSize,
		ApiKeySource: ptr.To(ptr.Deref(in.ApiKeySource)), EndpointConfiguration: in.EndpointConfiguration,
		Policy: in.Policy, Tags: in.Tags, DisableExecuteApiEndpoint: ptr.To(ptr.Deref(in.DisableExecuteApiEndpoint)),
		RootResourceId: &root,
	}
	if *api.ApiKeySource == "" {
		api.ApiKeySource = ptr.To("HEADER")
	}
	if api.EndpointConfiguration == nil {
		api.EndpointConfiguration = &apigatewayapi.EndpointConfiguration{Types: []string{"EDGE"}}
	}
	a := restAPI{API: api, Resources: map[string]apigatewayapi.Resource{
		root: {Id: &root, Path: ptr.To("/")},
	}, Models: defaultModels()}
	err := s.store.Update(func(tx storage.Tx) error {
		if err := apis.Put(tx, scope(ctx), a, id); err != nil {
			return err
		}
		return index.Put(tx, storage.Scope{}, location{ctx.Account, ctx.Region}, id)
	})
	if err != nil {
		return nil, err
	}
	return &api, nil
}

func (s *APIGateway) GetRestApi(ctx *request.Context, in *apigatewayapi.GetRestApiRequest) (*apigatewayapi.RestApi, error) {
	a, err := s.view(ctx, ptr.Deref(in.RestApiId))
	if err != nil {
		return nil, err
	}
	return &a.API, nil
}

func (s *APIGateway) GetRestApis(ctx *request.Context, in *apigatewayapi.GetRestApisRequest) (*apigatewayapi.RestApis, error) {
	out := &apigatewayapi.RestApis{Items: []apigatewayapi.RestApi{}}
	err := s.store.View(func(tx storage.Tx) error {
		return apis.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, a restAPI) bool {
			out.Items = append(out.Items, a.API)
			return true
		})
	})
	return out, err
}

func (s *APIGateway) DeleteRestApi(ctx *request.Context, in *apigatewayapi.DeleteRestApiRequest) (*apigatewayapi.DeleteRestApiOutput, error) {
	id := ptr.Deref(in.RestApiId)
	err := s.store.Update(func(tx storage.Tx) error {
		ok, err := apis.DeleteExisting(tx, scope(ctx), id)
		if err != nil {
			return err
		}
		if !ok {
			return errNoAPI()
		}
		return index.Delete(tx, storage.Scope{}, id)
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayapi.DeleteRestApiOutput{}, nil
}

// UpdateRestApi applies patch operations to the API's name, description
// and API key source ("replace" on /name, /description, /apiKeySource,
// /version).
func (s *APIGateway) UpdateRestApi(ctx *request.Context, in *apigatewayapi.UpdateRestApiRequest) (*apigatewayapi.RestApi, error) {
	var out apigatewayapi.RestApi
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		for _, p := range in.PatchOperations {
			op, path, v := ptr.Deref(p.Op), ptr.Deref(p.Path), p.Value
			if op != "replace" {
				return apigatewayapi.ErrBadRequestException.New("Invalid patch operation specified. Must be 'add'|'remove'|'replace'")
			}
			switch path {
			case "/name":
				a.API.Name = v
			case "/description":
				a.API.Description = v
			case "/version":
				a.API.Version = v
			case "/policy":
				if err := checkPolicyDocument(v); err != nil {
					return err
				}
				a.API.Policy = v
			case "/apiKeySource":
				if ptr.Deref(v) != "HEADER" && ptr.Deref(v) != "AUTHORIZER" {
					return apigatewayapi.ErrBadRequestException.New("Invalid API Key source specified")
				}
				a.API.ApiKeySource = v
			default:
				return apigatewayapi.ErrBadRequestException.New("Invalid patch path '%s' specified for op 'replace'. Must be one of: [/name, /description, /version, /apiKeySource, /policy]", path)
			}
		}
		out = a.API
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func sortedResources(m map[string]apigatewayapi.Resource) []apigatewayapi.Resource {
	out := make([]apigatewayapi.Resource, 0, len(m))
	for _, r := range m {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return ptr.Deref(out[i].Path) < ptr.Deref(out[j].Path) })
	return out
}

func (s *APIGateway) GetResources(ctx *request.Context, in *apigatewayapi.GetResourcesRequest) (*apigatewayapi.Resources, error) {
	a, err := s.view(ctx, ptr.Deref(in.RestApiId))
	if err != nil {
		return nil, err
	}
	items := sortedResources(a.Resources)
	embed := false
	for _, e := range in.Embed {
		embed = embed || e == "methods"
	}
	if !embed {
		// Without embed=methods API Gateway lists each method as {}.
		for i, r := range items {
			m := map[string]apigatewayapi.Method{}
			for k := range r.ResourceMethods {
				m[k] = apigatewayapi.Method{}
			}
			if len(m) == 0 {
				m = nil
			}
			items[i].ResourceMethods = m
		}
	}
	return &apigatewayapi.Resources{Items: items}, nil
}

func (s *APIGateway) GetResource(ctx *request.Context, in *apigatewayapi.GetResourceRequest) (*apigatewayapi.Resource, error) {
	a, err := s.view(ctx, ptr.Deref(in.RestApiId))
	if err != nil {
		return nil, err
	}
	r, ok := a.Resources[ptr.Deref(in.ResourceId)]
	if !ok {
		return nil, errNoResource()
	}
	return &r, nil
}

// validPathPart: a literal of letters, digits and ._-:, a {param} or a
// greedy {param+} (which must be the last part: it has no children).
func validPathPart(p string) bool {
	if p == "" {
		return false
	}
	if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
		name := strings.TrimSuffix(p[1:len(p)-1], "+")
		return name != "" && !strings.ContainsAny(name, "{}/+")
	}
	for _, c := range p {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-._:~@$&'*,;=!", c)) {
			return false
		}
	}
	return true
}

func (s *APIGateway) CreateResource(ctx *request.Context, in *apigatewayapi.CreateResourceRequest) (*apigatewayapi.Resource, error) {
	part := ptr.Deref(in.PathPart)
	if !validPathPart(part) {
		return nil, apigatewayapi.ErrBadRequestException.New("Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace.")
	}
	var out apigatewayapi.Resource
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		parent, ok := a.Resources[ptr.Deref(in.ParentId)]
		if !ok {
			return errNoResource()
		}
		if strings.HasSuffix(ptr.Deref(parent.PathPart), "+}") {
			return apigatewayapi.ErrBadRequestException.New("Cannot create a child of a resource with a greedy path variable: %s", ptr.Deref(parent.Path))
		}
		path := strings.TrimSuffix(ptr.Deref(parent.Path), "/") + "/" + part
		isVar := strings.HasPrefix(part, "{")
		for _, r := range a.Resources {
			if ptr.Deref(r.ParentId) != *parent.Id {
				continue
			}
			if ptr.Deref(r.Path) == path {
				return apigatewayapi.ErrConflictException.New("Another resource with the same parent already has this name: %s", part)
			}
			if isVar && strings.HasPrefix(ptr.Deref(r.PathPart), "{") {
				return apigatewayapi.ErrBadRequestException.New("A sibling (%s) of this resource already has a variable path part -- only one is allowed", ptr.Deref(r.PathPart))
			}
		}
		id := newID()
		out = apigatewayapi.Resource{Id: &id, ParentId: parent.Id, PathPart: &part, Path: &path}
		a.Resources[id] = out
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func (s *APIGateway) DeleteResource(ctx *request.Context, in *apigatewayapi.DeleteResourceRequest) (*apigatewayapi.DeleteResourceOutput, error) {
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		id := ptr.Deref(in.ResourceId)
		r, ok := a.Resources[id]
		if !ok {
			return errNoResource()
		}
		if r.ParentId == nil {
			return apigatewayapi.ErrBadRequestException.New("Cannot delete root resource")
		}
		// The resource and everything under it.
		prefix := ptr.Deref(r.Path) + "/"
		for k, c := range a.Resources {
			if k == id || strings.HasPrefix(ptr.Deref(c.Path), prefix) {
				delete(a.Resources, k)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayapi.DeleteResourceOutput{}, nil
}

// methodOf finds a resource's method for an update.
func methodOf(a *restAPI, resourceID, method string, fn func(m *apigatewayapi.Method) error) error {
	r, ok := a.Resources[resourceID]
	if !ok {
		return errNoResource()
	}
	m, ok := r.ResourceMethods[method]
	if !ok {
		return errNoMethod()
	}
	if err := fn(&m); err != nil {
		return err
	}
	r.ResourceMethods[method] = m
	a.Resources[resourceID] = r
	return nil
}

var httpMethods = map[string]bool{"GET": true, "POST": true, "PUT": true, "DELETE": true, "PATCH": true, "HEAD": true, "OPTIONS": true, "ANY": true}

func (s *APIGateway) PutMethod(ctx *request.Context, in *apigatewayapi.PutMethodRequest) (*apigatewayapi.Method, error) {
	hm := ptr.Deref(in.HttpMethod)
	if !httpMethods[hm] {
		return nil, apigatewayapi.ErrBadRequestException.New("Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY")
	}
	m := apigatewayapi.Method{HttpMethod: &hm, AuthorizationType: in.AuthorizationType, AuthorizerId: in.AuthorizerId,
		ApiKeyRequired: ptr.To(ptr.Deref(in.ApiKeyRequired)), OperationName: in.OperationName,
		RequestParameters: in.RequestParameters, RequestModels: in.RequestModels, RequestValidatorId: in.RequestValidatorId,
		AuthorizationScopes: in.AuthorizationScopes}
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		if err := checkAuthorization(a, &m); err != nil {
			return err
		}
		if err := checkMethodRefs(a, &m); err != nil {
			return err
		}
		r, ok := a.Resources[ptr.Deref(in.ResourceId)]
		if !ok {
			return errNoResource()
		}
		if _, ok := r.ResourceMethods[hm]; ok {
			return apigatewayapi.ErrConflictException.New("Method already exists for this resource")
		}
		if r.ResourceMethods == nil {
			r.ResourceMethods = map[string]apigatewayapi.Method{}
		}
		r.ResourceMethods[hm] = m
		a.Resources[*r.Id] = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &m, nil
}

func (s *APIGateway) GetMethod(ctx *request.Context, in *apigatewayapi.GetMethodRequest) (*apigatewayapi.Method, error) {
	a, err := s.view(ctx, ptr.Deref(in.RestApiId))
	if err != nil {
		return nil, err
	}
	r, ok := a.Resources[ptr.Deref(in.ResourceId)]
	if !ok {
		return nil, errNoResource()
	}
	m, ok := r.ResourceMethods[ptr.Deref(in.HttpMethod)]
	if !ok {
		return nil, errNoMethod()
	}
	return &m, nil
}

func (s *APIGateway) DeleteMethod(ctx *request.Context, in *apigatewayapi.DeleteMethodRequest) (*apigatewayapi.DeleteMethodOutput, error) {
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		r, ok := a.Resources[ptr.Deref(in.ResourceId)]
		if !ok {
			return errNoResource()
		}
		if _, ok := r.ResourceMethods[ptr.Deref(in.HttpMethod)]; !ok {
			return errNoMethod()
		}
		delete(r.ResourceMethods, ptr.Deref(in.HttpMethod))
		a.Resources[*r.Id] = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayapi.DeleteMethodOutput{}, nil
}

func (s *APIGateway) PutMethodResponse(ctx *request.Context, in *apigatewayapi.PutMethodResponseRequest) (*apigatewayapi.MethodResponse, error) {
	mr := apigatewayapi.MethodResponse{StatusCode: in.StatusCode, ResponseParameters: in.ResponseParameters, ResponseModels: in.ResponseModels}
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		return methodOf(a, ptr.Deref(in.ResourceId), ptr.Deref(in.HttpMethod), func(m *apigatewayapi.Method) error {
			if m.MethodResponses == nil {
				m.MethodResponses = map[string]apigatewayapi.MethodResponse{}
			}
			m.MethodResponses[ptr.Deref(in.StatusCode)] = mr
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return &mr, nil
}

var integrationTypes = map[string]bool{"MOCK": true, "AWS": true, "AWS_PROXY": true, "HTTP": true, "HTTP_PROXY": true}

func (s *APIGateway) PutIntegration(ctx *request.Context, in *apigatewayapi.PutIntegrationRequest) (*apigatewayapi.Integration, error) {
	t := ptr.Deref(in.Type)
	if !integrationTypes[t] {
		return nil, apigatewayapi.ErrBadRequestException.New("Invalid integration type specified. Valid options are HTTP,HTTP_PROXY,AWS,AWS_PROXY,MOCK")
	}
	if t != "MOCK" {
		if in.Uri == nil {
			return nil, apigatewayapi.ErrBadRequestException.New("Enumeration value for HttpMethod must be non-empty")
		}
		if in.IntegrationHttpMethod == nil {
			return nil, apigatewayapi.ErrBadRequestException.New("Enumeration value for HttpMethod must be non-empty")
		}
	}
	pass := ptr.Deref(in.PassthroughBehavior)
	if pass == "" {
		pass = "WHEN_NO_MATCH"
	}
	timeout := ptr.Deref(in.TimeoutInMillis)
	if timeout == 0 {
		timeout = 29000
	}
	conn := ptr.Deref(in.ConnectionType)
	if conn == "" {
		conn = "INTERNET"
	}
	integ := apigatewayapi.Integration{Type: &t, HttpMethod: in.IntegrationHttpMethod, Uri: in.Uri,
		ConnectionType: &conn, ConnectionId: in.ConnectionId, Credentials: in.Credentials, RequestParameters: in.RequestParameters,
		RequestTemplates: in.RequestTemplates, PassthroughBehavior: &pass, ContentHandling: in.ContentHandling,
		TimeoutInMillis: &timeout, CacheNamespace: in.ResourceId, CacheKeyParameters: in.CacheKeyParameters, TlsConfig: in.TlsConfig}
	if integ.CacheKeyParameters == nil {
		integ.CacheKeyParameters = []string{}
	}
	if err := checkIntegration(&integ); err != nil {
		return nil, err
	}
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		return methodOf(a, ptr.Deref(in.ResourceId), ptr.Deref(in.HttpMethod), func(m *apigatewayapi.Method) error {
			m.MethodIntegration = &integ
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return &integ, nil
}

func (s *APIGateway) GetIntegration(ctx *request.Context, in *apigatewayapi.GetIntegrationRequest) (*apigatewayapi.Integration, error) {
	m, err := s.GetMethod(ctx, &apigatewayapi.GetMethodRequest{RestApiId: in.RestApiId, ResourceId: in.ResourceId, HttpMethod: in.HttpMethod})
	if err != nil {
		return nil, err
	}
	if m.MethodIntegration == nil {
		return nil, apigatewayapi.ErrNotFoundException.New("No integration defined for method")
	}
	return m.MethodIntegration, nil
}

func (s *APIGateway) PutIntegrationResponse(ctx *request.Context, in *apigatewayapi.PutIntegrationResponseRequest) (*apigatewayapi.IntegrationResponse, error) {
	ir := apigatewayapi.IntegrationResponse{StatusCode: in.StatusCode, SelectionPattern: in.SelectionPattern,
		ResponseParameters: in.ResponseParameters, ResponseTemplates: in.ResponseTemplates, ContentHandling: in.ContentHandling}
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		return methodOf(a, ptr.Deref(in.ResourceId), ptr.Deref(in.HttpMethod), func(m *apigatewayapi.Method) error {
			if m.MethodIntegration == nil {
				return apigatewayapi.ErrNotFoundException.New("No integration defined for method")
			}
			if _, ok := m.MethodResponses[ptr.Deref(in.StatusCode)]; !ok {
				return apigatewayapi.ErrNotFoundException.New("Invalid Response status code specified")
			}
			if m.MethodIntegration.IntegrationResponses == nil {
				m.MethodIntegration.IntegrationResponses = map[string]apigatewayapi.IntegrationResponse{}
			}
			m.MethodIntegration.IntegrationResponses[ptr.Deref(in.StatusCode)] = ir
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return &ir, nil
}

func (s *APIGateway) CreateDeployment(ctx *request.Context, in *apigatewayapi.CreateDeploymentRequest) (*apigatewayapi.Deployment, error) {
	id := newID()
	now := ctx.Now().UTC().Truncate(time.Second)
	d := apigatewayapi.Deployment{Id: &id, Description: in.Description, CreatedDate: &now}
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		methods := 0
		for _, r := range a.Resources {
			for _, m := range r.ResourceMethods {
				if m.MethodIntegration == nil {
					return apigatewayapi.ErrBadRequestException.New("No integration defined for method")
				}
				methods++
			}
		}
		if methods == 0 {
			return apigatewayapi.ErrBadRequestException.New("The REST API doesn't contain any methods")
		}
		if a.Deployments == nil {
			a.Deployments = map[string]deployment{}
		}
		a.Deployments[id] = snapshot(d, a)
		if name := ptr.Deref(in.StageName); name != "" {
			if a.Stages == nil {
				a.Stages = map[string]apigatewayapi.Stage{}
			}
			st, ok := a.Stages[name]
			if cs := in.CanarySettings; cs != nil {
				// A canary release: the new deployment serves the canary's
				// share of an existing stage, whose own deployment stays.
				if !ok {
					return errNoStage()
				}
				st.CanarySettings = &apigatewayapi.CanarySettings{DeploymentId: &id, PercentTraffic: ptr.To(ptr.Deref(cs.PercentTraffic)),
					StageVariableOverrides: cs.StageVariableOverrides, UseStageCache: ptr.To(ptr.Deref(cs.UseStageCache))}
				st.LastUpdatedDate = &now
				a.Stages[name] = st
				return nil
			}
			if !ok {
				st = apigatewayapi.Stage{StageName: &name, CreatedDate: &now, Description: in.StageDescription,
					CacheClusterEnabled: ptr.To(false), TracingEnabled: ptr.To(ptr.Deref(in.TracingEnabled))}
			}
			if in.CacheClusterEnabled != nil || in.CacheClusterSize != nil {
				if err := setCacheCluster(&st, in.CacheClusterEnabled, in.CacheClusterSize); err != nil {
					return err
				}
			}
			st.DeploymentId, st.LastUpdatedDate = &id, &now
			if in.Variables != nil {
				st.Variables = in.Variables
			}
			a.Stages[name] = st
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}

func (s *APIGateway) GetDeployments(ctx *request.Context, in *apigatewayapi.GetDeploymentsRequest) (*apigatewayapi.Deployments, error) {
	a, err := s.view(ctx, ptr.Deref(in.RestApiId))
	if err != nil {
		return nil, err
	}
	out := &apigatewayapi.Deployments{Items: []apigatewayapi.Deployment{}}
	for _, d := range a.Deployments {
		out.Items = append(out.Items, d.Deployment)
	}
	sort.Slice(out.Items, func(i, j int) bool { return out.Items[i].CreatedDate.Before(*out.Items[j].CreatedDate) })
	return out, nil
}

func validStageName(n string) bool {
	if n == "" || len(n) > 128 {
		return false
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func (s *APIGateway) CreateStage(ctx *request.Context, in *apigatewayapi.CreateStageRequest) (*apigatewayapi.Stage, error) {
	name := ptr.Deref(in.StageName)
	if !validStageName(name) {
		return nil, apigatewayapi.ErrBadRequestException.New("Stage name only allows a-zA-Z0-9_")
	}
	now := ctx.Now().UTC().Truncate(time.Second)
	st := apigatewayapi.Stage{StageName: &name, DeploymentId: in.DeploymentId, Description: in.Description,
		Variables: in.Variables, TracingEnabled: ptr.To(ptr.Deref(in.TracingEnabled)), Tags: in.Tags, CreatedDate: &now, LastUpdatedDate: &now,
		CanarySettings: in.CanarySettings}
	if err := setCacheCluster(&st, in.CacheClusterEnabled, in.CacheClusterSize); err != nil {
		return nil, err
	}
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		if _, ok := a.Deployments[ptr.Deref(in.DeploymentId)]; !ok {
			return apigatewayapi.ErrNotFoundException.New("Invalid Deployment identifier specified")
		}
		if cs := in.CanarySettings; cs != nil && ptr.Deref(cs.DeploymentId) != "" {
			if _, ok := a.Deployments[*cs.DeploymentId]; !ok {
				return apigatewayapi.ErrNotFoundException.New("Invalid Deployment identifier specified")
			}
		}
		if _, ok := a.Stages[name]; ok {
			return apigatewayapi.ErrConflictException.New("Stage already exists")
		}
		if a.Stages == nil {
			a.Stages = map[string]apigatewayapi.Stage{}
		}
		a.Stages[name] = st
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &st, nil
}

func errNoStage() error {
	return apigatewayapi.ErrNotFoundException.New("Invalid Stage identifier specified")
}

func (s *APIGateway) GetStage(ctx *request.Context, in *apigatewayapi.GetStageRequest) (*apigatewayapi.Stage, error) {
	a, err := s.view(ctx, ptr.Deref(in.RestApiId))
	if err != nil {
		return nil, err
	}
	st, ok := a.Stages[ptr.Deref(in.StageName)]
	if !ok {
		return nil, errNoStage()
	}
	s.describeStage(ctx, ptr.Deref(in.RestApiId), &st)
	return &st, nil
}

func (s *APIGateway) GetStages(ctx *request.Context, in *apigatewayapi.GetStagesRequest) (*apigatewayapi.Stages, error) {
	a, err := s.view(ctx, ptr.Deref(in.RestApiId))
	if err != nil {
		return nil, err
	}
	out := &apigatewayapi.Stages{Item: []apigatewayapi.Stage{}}
	for _, st := range a.Stages {
		s.describeStage(ctx, ptr.Deref(in.RestApiId), &st)
		out.Item = append(out.Item, st)
	}
	sort.Slice(out.Item, func(i, j int) bool { return *out.Item[i].StageName < *out.Item[j].StageName })
	return out, nil
}

func (s *APIGateway) DeleteStage(ctx *request.Context, in *apigatewayapi.DeleteStageRequest) (*apigatewayapi.DeleteStageOutput, error) {
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		if _, ok := a.Stages[ptr.Deref(in.StageName)]; !ok {
			return errNoStage()
		}
		delete(a.Stages, ptr.Deref(in.StageName))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayapi.DeleteStageOutput{}, nil
}

// Reset drops the throttle buckets with the rest of niwa's state
// (POST /_niwa/reset): a reset instance starts every key's bucket full.
func (s *APIGateway) Reset() error {
	s.bmu.Lock()
	defer s.bmu.Unlock()
	s.buckets = map[string]*bucket{}
	s.amu.Lock()
	defer s.amu.Unlock()
	s.authCache = map[string]authEntry{}
	s.cache.reset()
	s.cmu.Lock()
	s.canaryCount = map[string]int64{}
	s.cmu.Unlock()
	return nil
}

// UpdateStage applies patch operations to a stage: its variables
// (/variables/<name>: replace or add sets, remove drops), description and
// deployment.
func (s *APIGateway) UpdateStage(ctx *request.Context, in *apigatewayapi.UpdateStageRequest) (*apigatewayapi.Stage, error) {
	for _, p := range in.PatchOperations {
		if ptr.Deref(p.Path) == "/clientCertificateId" && ptr.Deref(p.Value) != "" {
			if _, err := s.GetClientCertificate(ctx, &apigatewayapi.GetClientCertificateRequest{ClientCertificateId: p.Value}); err != nil {
				return nil, err
			}
		}
	}
	var out apigatewayapi.Stage
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		st, ok := a.Stages[ptr.Deref(in.StageName)]
		if !ok {
			return errNoStage()
		}
		for _, p := range in.PatchOperations {
			op, path := ptr.Deref(p.Op), ptr.Deref(p.Path)
			if name, ok := strings.CutPrefix(path, "/variables/"); ok && name != "" {
				switch op {
				case "replace", "add":
					if st.Variables == nil {
						st.Variables = map[string]string{}
					}
					st.Variables[name] = ptr.Deref(p.Value)
				case "remove":
					delete(st.Variables, name)
				default:
					return apigatewayapi.ErrBadRequestException.New("Invalid patch operation specified. Must be one of: [add, remove, replace]")
				}
				continue
			}
			if handled, err := s.patchStage(ctx, a, &st, op, path, p.Value); handled || err != nil {
				if err != nil {
					return err
				}
				continue
			}
			if op != "replace" {
				return apigatewayapi.ErrBadRequestException.New("Invalid patch operation specified. Must be one of: [replace]")
			}
			switch path {
			case "/description":
				st.Description = p.Value
			case "/clientCertificateId":
				// Checked to exist before the update.
				st.ClientCertificateId = p.Value
				if ptr.Deref(p.Value) == "" {
					st.ClientCertificateId = nil
				}
			case "/deploymentId":
				if _, ok := a.Deployments[ptr.Deref(p.Value)]; !ok {
					return apigatewayapi.ErrNotFoundException.New("Invalid Deployment identifier specified")
				}
				st.DeploymentId = p.Value
			default:
				return apigatewayapi.ErrBadRequestException.New("Invalid patch path '%s' specified for op 'replace'. Must be one of: [/description, /deploymentId, /clientCertificateId, /variables/{name}, /cacheClusterEnabled, /cacheClusterSize, /tracingEnabled, /accessLogSettings/*, /canarySettings/*, /{resourcePath}/{method}/{setting}]", path)
			}
		}
		now := ctx.Now().UTC().Truncate(time.Second)
		st.LastUpdatedDate = &now
		a.Stages[*st.StageName] = st
		out = st
		s.describeStage(ctx, ptr.Deref(in.RestApiId), &out)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.forgetStageBuckets(ptr.Deref(in.RestApiId), ptr.Deref(in.StageName))
	return &out, nil
}
