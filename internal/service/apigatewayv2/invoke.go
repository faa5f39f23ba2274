package apigatewayv2

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	apigatewayv2api "github.com/niwa-cloud/niwa/internal/api/apigatewayv2"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/executeapi"
	"github.com/niwa-cloud/niwa/internal/hostname"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/netpos"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// The data plane: an HTTP API's invoke URL.
//
//	http://<apiId>.execute-api.localhost:4566/[<stage>/]<path>
//	http://localhost:4566/restapis/<apiId>/<stage>/_user_request_/<path>
//	http://<custom domain>:4566/<mapping key>/<path>   (Host header)
//
// With the host form, a first path segment naming one of the API's
// stages selects it; every other path goes to the $default stage, as on
// AWS.

// maxPayload is HTTP APIs' 10 MB payload limit.
const maxPayload = 10 << 20

// invokePath is executeapi.Path with an API id and the stage unescaped.
func invokePath(r *http.Request) (api, stage, path string, ok bool) {
	api, stage, path, ok = executeapi.Path(r)
	if !ok || api == "" {
		return "", "", "", false
	}
	stage, err := url.PathUnescape(stage)
	if err != nil {
		return "", "", "", false
	}
	return api, stage, path, true
}

// isInvoke claims the invoke requests the REST APIs' route did not: an
// execute-api host or invoke path (HTTP API ids, and unknown ones, which
// are answered 403 Forbidden as before), or one of this service's custom
// domain names.
func (s *APIGatewayV2) isInvoke(r *http.Request) bool {
	if _, ok := executeapi.Host(r); ok {
		return true
	}
	if _, _, _, ok := invokePath(r); ok {
		return true
	}
	_, ok := s.domainOf(r)
	return ok
}

// domainOf finds the custom domain name a request's Host names.
func (s *APIGatewayV2) domainOf(r *http.Request) (domainRecord, bool) {
	host := strings.ToLower(r.Host)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	// Most requests name niwa by address or as localhost: no custom
	// domain, and no storage read for every API call.
	if host == "" || !strings.Contains(host, ".") || hostname.IsIP(host) {
		return domainRecord{}, false
	}
	var d domainRecord
	found := false
	_ = s.store.View(func(tx storage.Tx) error {
		loc, ok, err := domainIndex.Get(tx, storage.Scope{}, host)
		if err != nil || !ok {
			return err
		}
		d, found, err = domains.Get(tx, storage.Scope{Account: loc.Account, Region: loc.Region}, host)
		return err
	})
	return d, found
}

// gatewayError is an error answer of an HTTP API.
type gatewayError struct {
	status  int
	message string
	// kind is x-amzn-ErrorType, when the answer has one.
	kind string
}

var (
	errNotFound     = gatewayError{status: 404, message: "Not Found"}
	errForbidden    = gatewayError{status: 403, message: "Forbidden"}
	errUnauthorized = gatewayError{status: 401, message: "Unauthorized"}
	errInternal     = gatewayError{status: 500, message: "Internal Server Error"}
	errUnavailable  = gatewayError{status: 503, message: "Service Unavailable"}
	errThrottled    = gatewayError{status: 429, message: "Too Many Requests"}
	errTooLarge     = gatewayError{status: 413, message: "Request Entity Too Large"}
	// An id that is no API (nor a REST API, whose route comes first):
	// what the REST data plane answered before HTTP APIs existed.
	errUnknownAPI = gatewayError{status: 403, message: "Forbidden", kind: "ForbiddenException"}
	// A plain request to a WebSocket API's URL.
	errWebSocketPlain = gatewayError{status: 426, message: "Upgrade Required"}
)

// call is one invoke being served.
type call struct {
	r     *http.Request
	w     *recorder
	reqID string
	now   time.Time

	loc   location
	apiID string
	api   httpAPI
	stage apigatewayv2api.Stage
	dep   deployment
	// stagePath is the path prefix naming the stage ("/prod"), "" for
	// $default.
	stagePath string
	// path is the request's path after the stage (unescaped); rawPath
	// as the client sent it, stage included.
	path, rawPath string
	domain        string

	routeID    string
	route      apigatewayv2api.Route
	pathParams map[string]string
	body       []byte

	// authorizer is requestContext.authorizer (payload 2.0 shape: jwt,
	// lambda or iam); authorizerErr the access log's authorizer.error.
	authorizer    map[string]any
	authorizerErr string
	integStatus   int
	integErr      string
	integLatency  time.Duration
}

// recorder remembers what was answered, for the access log.
type recorder struct {
	http.ResponseWriter
	status int
	length int
}

// Unwrap lets WebSocket upgrades reach the connection (Hijack).
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.length += n
	return n, err
}

func (s *APIGatewayV2) invokeHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{r: r, w: &recorder{ResponseWriter: w}, reqID: requestID(), now: s.clock.Now().UTC()}
		c.w.Header().Set("Apigw-Requestid", c.reqID)
		if e, ok := s.serve(c); !ok {
			s.writeError(c, e)
		}
		s.accessLog(c)
	})
}

// requestID looks like API Gateway's HTTP API request ids ("Ab1Cd2Ef3gH=").
func requestID() string { return awsid.Base64(11)[:15] + "=" }

func (s *APIGatewayV2) writeError(c *call, e gatewayError) {
	body, _ := json.Marshal(struct {
		Message string `json:"message"`
	}{e.message})
	c.w.Header().Set("Content-Type", "application/json")
	c.w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	if e.kind != "" {
		c.w.Header().Set("X-Amzn-Errortype", e.kind)
	}
	if e.status == http.StatusUnauthorized {
		c.w.Header().Set("Www-Authenticate", "Bearer")
	}
	c.corsHeaders()
	c.w.WriteHeader(e.status)
	_, _ = c.w.Write(body)
}

// resolve finds the API, stage and path of an invoke.
func (s *APIGatewayV2) resolve(c *call) (gatewayError, bool) {
	var stageName string
	explicit := false
	escaped := c.r.URL.EscapedPath()
	if id, ok := executeapi.Host(c.r); ok {
		c.apiID = id
	} else if id, st, p, ok := invokePath(c.r); ok {
		c.apiID, stageName, escaped, explicit = id, st, p, true
	} else if d, ok := s.domainOf(c.r); ok {
		unescaped, err := url.PathUnescape(escaped)
		if err != nil {
			return errNotFound, false
		}
		m, rest, ok := mappingFor(d, unescaped)
		if !ok {
			return errForbidden, false
		}
		c.apiID, stageName, explicit, c.domain = ptr.Deref(m.ApiId), ptr.Deref(m.Stage), true, ptr.Deref(d.Domain.DomainName)
		escaped = (&url.URL{Path: rest}).EscapedPath()
	} else {
		return errNotFound, false
	}
	err := s.store.View(func(tx storage.Tx) error {
		loc, ok, err := index.Get(tx, storage.Scope{}, c.apiID)
		if err != nil || !ok {
			return errors.Join(err, errors.New("no such API"))
		}
		c.loc = loc
		a, ok, err := apis.Get(tx, storage.Scope{Account: loc.Account, Region: loc.Region}, c.apiID)
		if err != nil || !ok {
			return errors.Join(err, errors.New("no such API"))
		}
		a.init()
		c.api = a
		return nil
	})
	if err != nil {
		return errUnknownAPI, false
	}
	if c.domain == "" && ptr.Deref(c.api.Api.DisableExecuteApiEndpoint) {
		return errForbidden, false
	}
	if !explicit {
		first, _, _ := strings.Cut(strings.TrimPrefix(escaped, "/"), "/")
		if name, err := url.PathUnescape(first); err == nil && name != defaultRoute && name != "" {
			if _, ok := c.api.Stages[name]; ok {
				stageName = name
				escaped = strings.TrimPrefix(strings.TrimPrefix(escaped, "/"), first)
				if escaped == "" {
					escaped = "/"
				}
				c.stagePath = "/" + name
			}
		}
		if stageName == "" {
			stageName = defaultRoute
		}
	} else if stageName != defaultRoute && c.domain == "" {
		// A custom domain's paths carry no stage: the mapping names it.
		c.stagePath = "/" + stageName
	}
	st, ok := c.api.Stages[stageName]
	if !ok {
		return errNotFound, false
	}
	c.stage = st
	dep, ok := c.api.Deployments[ptr.Deref(st.DeploymentId)]
	if !ok {
		return errNotFound, false
	}
	c.dep = dep
	path, err := url.PathUnescape(escaped)
	if err != nil {
		return errNotFound, false
	}
	c.path = path
	c.rawPath = c.stagePath + escaped
	if c.stagePath != "" && escaped == "/" {
		c.rawPath = c.stagePath
	}
	return gatewayError{}, true
}

// serve answers an invoke, or returns the error to answer.
func (s *APIGatewayV2) serve(c *call) (gatewayError, bool) {
	if e, ok := s.resolve(c); !ok {
		return e, false
	}
	if !c.api.isHTTP() {
		return s.serveWebSocketAPI(c)
	}
	if c.isPreflight() && c.dep.Cors != nil {
		c.preflight()
		return gatewayError{}, true
	}
	keys := map[string]routeKey{}
	for id, r := range c.dep.Routes {
		if rk, err := parseRouteKey(ptr.Deref(r.RouteKey)); err == nil {
			keys[id] = rk
		}
	}
	id, params, ok := selectRoute(keys, c.r.Method, c.path)
	if !ok {
		return errNotFound, false
	}
	c.routeID, c.route, c.pathParams = id, c.dep.Routes[id], params
	if !s.allow(c) {
		return errThrottled, false
	}
	if e, ok := s.authorize(c); !ok {
		return e, false
	}
	body, err := io.ReadAll(io.LimitReader(c.r.Body, maxPayload+1))
	if err != nil {
		return errInternal, false
	}
	if len(body) > maxPayload {
		return errTooLarge, false
	}
	c.body = body
	target, ok := strings.CutPrefix(ptr.Deref(c.route.Target), "integrations/")
	if !ok {
		return errNotFound, false
	}
	integ, ok := c.dep.Integrations[target]
	if !ok {
		return errInternal, false
	}
	start := s.clock.Now()
	defer func() { c.integLatency = s.clock.Now().Sub(start) }()
	switch ptr.Deref(integ.IntegrationType) {
	case "AWS_PROXY":
		return s.lambdaProxy(c, integ)
	case "HTTP_PROXY":
		return s.httpProxy(c, integ)
	}
	return errInternal, false
}

// sourceIP is the caller's address, or the first one a proxy in front
// (CloudFront) forwarded.
func sourceIP(r *http.Request) string {
	if o, ok := netpos.OriginFrom(r.Context()); ok && o.SourceIP != "" {
		return o.SourceIP
	}
	if f := r.Header.Get("X-Forwarded-For"); f != "" {
		return strings.TrimSpace(strings.Split(f, ",")[0])
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// domainName is requestContext.domainName: the Host the client called.
func (c *call) domainName() string {
	host := c.r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if host == "" {
		host = c.apiID + ".execute-api.localhost"
	}
	return host
}

func (c *call) domainPrefix() string {
	p, _, _ := strings.Cut(c.domainName(), ".")
	return p
}

// timeout is the integration's timeout (30 s by default).
func timeout(integ apigatewayv2api.Integration) time.Duration {
	ms := ptr.Deref(integ.TimeoutInMillis)
	if ms <= 0 {
		ms = 30000
	}
	return time.Duration(ms) * time.Millisecond
}

// stageVariable fills ${stageVariables.name} references.
var stageVarRE = lazyre.New(`\$\{stageVariables\.([A-Za-z0-9_]+)\}`)

func (c *call) withStageVariables(s string) string {
	return stageVarRE.ReplaceAllStringFunc(s, func(m string) string {
		return c.stage.StageVariables[stageVarRE.FindStringSubmatch(m)[1]]
	})
}

// lambdaFunction is the function ARN of an integration URI: the ARN
// itself, or the invocations path of one.
func lambdaFunction(uri string) string {
	if i := strings.Index(uri, "/functions/"); i >= 0 && strings.HasPrefix(uri, "arn:") && strings.Contains(uri, ":lambda:path/") {
		fn := uri[i+len("/functions/"):]
		fn, _, _ = strings.Cut(fn, "/invocations")
		return fn
	}
	return uri
}

// invoke runs a function within the integration's timeout.
func (s *APIGatewayV2) invoke(ctx context.Context, fn string, d time.Duration, payload []byte) ([]byte, string, *gatewayError) {
	if s.fns == nil || !strings.HasPrefix(fn, "arn:") {
		return nil, "", &errInternal
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	out, fnErr, err := s.fns.Invoke(ctx, fn, payload)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			return nil, "", &errUnavailable
		}
		s.log.Warn("apigatewayv2: invoking the integration's function failed", "function", fn, "error", err)
		return nil, "", &errInternal
	}
	return out, fnErr, nil
}

// EachName calls fn with every API's execute-api host name, in every
// account and region, until fn returns false; it reads the API id index
// only.
func (s *APIGatewayV2) EachName(fn func(name string) bool) error {
	return s.store.View(func(tx storage.Tx) error {
		return index.List(tx, storage.Scope{}, nil, storage.ListOptions{}, func(k []string, _ location) bool {
			return len(k) == 0 || fn(strings.ToLower(k[0])+executeapi.HostSuffix)
		})
	})
}

// headerNames are a header map's names, sorted (for stable events).
func headerNames(h map[string][]string) []string {
	out := make([]string, 0, len(h))
	for k := range h {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// OwnsName tells niwa's DNS which names this service hands out: an API's
// <apiId>.execute-api.localhost (its ApiEndpoint's host), so that code
// niwa runs (Lambda functions, instance commands) reaches it by name.
func (s *APIGatewayV2) OwnsName(name string) (bool, error) {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	id, ok := strings.CutSuffix(name, executeapi.HostSuffix)
	if !ok || !executeapi.HostRE.MatchString(name) {
		return false, nil
	}
	found := false
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		_, found, err = index.Get(tx, storage.Scope{}, id)
		return err
	})
	return found, err
}
