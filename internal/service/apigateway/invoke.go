package apigateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/executeapi"
	"github.com/niwa-cloud/niwa/internal/netpos"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
	"github.com/niwa-cloud/niwa/internal/vtl"
)

// The data plane: invoke URLs, matched to a stage's deployed resources.
//
//	http://<apiId>.execute-api.localhost:4566/<stage>/<path>
//	http://localhost:4566/restapis/<apiId>/<stage>/_user_request_/<path>

// maxPayload is API Gateway's 10 MB payload limit.
const maxPayload = 10 << 20

// invokeTarget splits an invoke request into API id, stage and path
// ("/..."); ok false when the request is not an invoke.
func invokeTarget(r *http.Request) (api, stage, path string, ok bool) {
	if id, ok := executeapi.Host(r); ok {
		stage, path, _ = strings.Cut(strings.TrimPrefix(r.URL.EscapedPath(), "/"), "/")
		return id, stage, "/" + path, true
	}
	return executeapi.Path(r)
}

func isInvoke(r *http.Request) bool {
	_, _, _, ok := invokeTarget(r)
	return ok
}

// target is invokeTarget, then a custom domain name's mapping.
func (s *APIGateway) target(r *http.Request) (api, stage, path string, ok bool) {
	if api, stage, path, ok = invokeTarget(r); ok {
		return api, stage, path, ok
	}
	return s.domainTarget(r)
}

// isInvoke claims the invoke requests of REST APIs only: REST and HTTP
// API ids share one namespace, and apigatewayv2's route (after this one)
// answers the others.
func (s *APIGateway) isInvoke(r *http.Request) bool {
	api, _, _, ok := s.target(r)
	if !ok {
		return false
	}
	_ = s.store.View(func(tx storage.Tx) error {
		_, ok, _ = index.Get(tx, storage.Scope{}, api)
		return nil
	})
	return ok
}

// OwnsName tells niwa's DNS which names this service hands out: a REST
// API's <apiId>.execute-api.localhost (its invoke URL's host), so that
// code niwa runs (Lambda functions, instance commands) reaches it by
// name.
func (s *APIGateway) OwnsName(name string) (bool, error) {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	id, ok := strings.CutSuffix(name, executeapi.HostSuffix)
	if !ok || !executeapi.HostRE.MatchString(name) {
		return false, nil
	}
	found := false
	err := s.store.View(func(tx storage.Tx) (err error) {
		_, found, err = index.Get(tx, storage.Scope{}, id)
		return err
	})
	return found, err
}

// EachName calls fn with every REST API's execute-api host, in every
// account and region, until fn returns false; it reads the API id index
// only.
func (s *APIGateway) EachName(fn func(name string) bool) error {
	return s.store.View(func(tx storage.Tx) error {
		return index.List(tx, storage.Scope{}, nil, storage.ListOptions{}, func(k []string, _ location) bool {
			return len(k) == 0 || fn(strings.ToLower(k[0])+executeapi.HostSuffix)
		})
	})
}

// gatewayError is one of API Gateway's gateway responses, with its
// default status and message (Developer Guide, "Gateway response types").
type gatewayError struct {
	// typ is the gateway response type a user may customize
	// (PutGatewayResponse).
	typ     string
	status  int
	kind    string
	message string
	// template is the body's template when not defaultGatewayTemplate.
	template string
	// null renders the message as JSON null.
	null bool
	// detail is $context.error.validationErrorString.
	detail string
	// answered marks a refusal already written (WAF's custom response).
	answered bool
}

var (
	errMissingToken = gatewayError{typ: "MISSING_AUTHENTICATION_TOKEN", status: 403, kind: "MissingAuthenticationTokenException", message: "Missing Authentication Token"}
	errForbidden    = gatewayError{typ: "INVALID_API_KEY", status: 403, kind: "ForbiddenException", message: "Forbidden"}
	// An unknown API, stage or deployment: 403 Forbidden, but not an
	// API key failure.
	errUnknownStage = gatewayError{typ: "DEFAULT_4XX", status: 403, kind: "ForbiddenException", message: "Forbidden"}
	errThrottled    = gatewayError{typ: "THROTTLED", status: 429, kind: "TooManyRequestsException", message: "Too Many Requests"}
	errQuota        = gatewayError{typ: "QUOTA_EXCEEDED", status: 429, kind: "LimitExceededException", message: "Limit Exceeded"}
	// A function that fails or breaks the proxy contract: 502 with the
	// body the Lambda Developer Guide shows ("Handling Lambda errors with
	// an API Gateway API"), spaced unlike the gateway's defaults.
	errIntegration   = gatewayError{typ: "DEFAULT_5XX", status: 502, kind: "InternalServerErrorException", message: "Internal server error", template: integrationTemplate}
	errInternal      = gatewayError{typ: "DEFAULT_5XX", status: 500, kind: "InternalServerErrorException", message: "Internal server error", template: integrationTemplate}
	errTooLarge      = gatewayError{typ: "REQUEST_TOO_LARGE", status: 413, kind: "RequestEntityTooLargeException", message: "Request Too Long"}
	errTimeout       = gatewayError{typ: "INTEGRATION_TIMEOUT", status: 504, kind: "InternalServerErrorException", message: "Endpoint request timed out"}
	errNotConfigured = gatewayError{typ: "API_CONFIGURATION_ERROR", status: 500, kind: "InternalServerErrorException", message: "Internal server error"}
)

// defaultGatewayTemplate is the body template of every default gateway
// response.
const defaultGatewayTemplate = `{"message":$context.error.messageString}`

// integrationTemplate is the body of integration failures.
const integrationTemplate = `{"message": $context.error.messageString}`

// writeGatewayError answers a gateway error: the API's customized
// gateway response for its type (or DEFAULT_4XX/DEFAULT_5XX) when there
// is one, AWS's default otherwise.
func (s *APIGateway) writeGatewayError(w http.ResponseWriter, c *call, e gatewayError) {
	if e.answered {
		return
	}
	c.errorMessage, c.errorType = e.message, e.typ
	msg, _ := json.Marshal(e.message)
	if e.null {
		msg = []byte("null")
	}
	tmpl := defaultGatewayTemplate
	if e.template != "" {
		tmpl = e.template
	}
	status := e.status
	var headers map[string]string
	if gr, ok := customResponse(c.api.GatewayResponses, e); ok {
		if t, ok := gr.ResponseTemplates["application/json"]; ok {
			tmpl = t
		}
		if n, err := strconv.Atoi(ptr.Deref(gr.StatusCode)); err == nil && n >= 100 && n <= 599 {
			status = n
		}
		headers = gr.ResponseParameters
	}
	vars := map[string]any{"context": map[string]any{"error": map[string]any{"messageString": string(msg), "message": e.message,
		"responseType": e.typ, "validationErrorString": e.detail}, "requestId": c.reqID, "stage": ptr.Deref(c.stage.StageName), "apiId": c.apiID,
		"httpMethod": c.r.Method, "resourcePath": ptr.Deref(c.resource.Path)}}
	if c.stage.Variables != nil {
		sv := map[string]any{}
		for k, v := range c.stage.Variables {
			sv[k] = v
		}
		vars["stageVariables"] = sv
	}
	body := renderOr(tmpl, vars, `{"message":`+string(msg)+`}`)
	w.Header().Set("Content-Type", "application/json")
	for k, v := range headers {
		if name, ok := strings.CutPrefix(k, "gatewayresponse.header."); ok {
			if val, ok := c.responseParameter(v); ok {
				w.Header().Set(name, val)
			}
		}
	}
	w.Header().Set("x-amzn-RequestId", c.reqID)
	w.Header().Set("x-amzn-ErrorType", e.kind)
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func renderOr(tmpl string, vars map[string]any, fallback string) string {
	t, err := vtl.Parse(tmpl)
	if err != nil {
		return fallback
	}
	out, err := t.Render(vars, vtl.DefaultLimits)
	if err != nil {
		return fallback
	}
	return out
}

// call is one invoke being served.
type call struct {
	r          *http.Request
	reqID      string
	now        time.Time
	loc        location
	api        restAPI
	apiID      string
	stage      apigatewayapi.Stage
	resource   apigatewayapi.Resource
	method     apigatewayapi.Method
	path       string
	pathParams map[string]string
	body       []byte
	apiKey     *apigatewayapi.ApiKey
	// authorizer is $context.authorizer: the Lambda authorizer's
	// principalId and context; usageKey the API key it named.
	authorizer map[string]any
	usageKey   string
	// integrationLatency and integrationStatus are what the integration
	// took and answered ($context.integrationLatency, .integrationStatus).
	integrationLatency time.Duration
	integrationStatus  int
	// execLog are the execution log lines of the call.
	execLog []string
	// invoker is the verified signer of an AWS_IAM method's call.
	invoker *Invoker
	// canary is set when the call went to the stage's canary.
	canary bool
	// integrated is set once the integration ran; cacheUsed when the
	// stage cache was consulted, cacheHit when it answered.
	integrated, cacheUsed, cacheHit bool
	// errorMessage and errorType are the gateway error answered, if any.
	errorMessage, errorType string
}

func (s *APIGateway) invokeHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := &call{r: r, reqID: awsid.UUID(), now: s.clock.Now().UTC()}
		cw := &captureWriter{ResponseWriter: w}
		start := time.Now()
		if e, ok := s.serve(cw, c); !ok {
			s.writeGatewayError(cw, c, e)
		}
		s.finish(c, cw, time.Since(start))
	})
}

// serve answers an invoke, or returns the gateway error to answer.
func (s *APIGateway) serve(w *captureWriter, c *call) (gatewayError, bool) {
	apiID, stageName, path, _ := s.target(c.r)
	c.apiID = apiID
	unescaped, err := url.PathUnescape(path)
	if err != nil {
		return errMissingToken, false
	}
	c.path = unescaped
	err = s.store.View(func(tx storage.Tx) error {
		loc, ok, err := index.Get(tx, storage.Scope{}, apiID)
		if err != nil || !ok {
			return errors.Join(err, errNoAPI())
		}
		c.loc = loc
		c.api, err = s.load(tx, storage.Scope{Account: loc.Account, Region: loc.Region}, apiID)
		return err
	})
	if err != nil {
		return errUnknownStage, false
	}
	st, ok := c.api.Stages[stageName]
	if !ok {
		return errUnknownStage, false
	}
	c.stage = st
	if e, ok := s.inspect(w, c); !ok {
		return e, false
	}
	depID := ptr.Deref(st.DeploymentId)
	if cs := st.CanarySettings; cs != nil && ptr.Deref(cs.DeploymentId) != "" &&
		s.toCanary(stageKey(apiID, stageName), ptr.Deref(cs.PercentTraffic)) {
		// The canary: its deployment, the stage's variables with the
		// canary's overrides.
		depID, c.canary = *cs.DeploymentId, true
		vars := map[string]string{}
		for k, v := range st.Variables {
			vars[k] = v
		}
		for k, v := range cs.StageVariableOverrides {
			vars[k] = v
		}
		c.stage.Variables = vars
	}
	dep, ok := c.api.Deployments[depID]
	if !ok {
		return errUnknownStage, false
	}
	dep.apply(&c.api)
	res, params, ok := match(dep.Resources, c.path)
	if !ok {
		return errMissingToken, false
	}
	c.resource, c.pathParams = res, params
	m, ok := res.ResourceMethods[c.r.Method]
	if !ok {
		if m, ok = res.ResourceMethods["ANY"]; !ok {
			return errMissingToken, false
		}
	}
	c.method = m
	if !s.methodThrottle(c) {
		return errThrottled, false
	}
	if e, ok := c.checkResourcePolicy(); !ok {
		return e, false
	}
	if ptr.Deref(m.AuthorizationType) == "AWS_IAM" {
		if e, ok := s.checkIAM(c); !ok {
			return e, false
		}
	}
	if ptr.Deref(m.AuthorizationType) == "CUSTOM" {
		if e, ok := s.authorize(c); !ok {
			return e, false
		}
	}
	if e, ok := s.checkAPIKey(c); !ok {
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
	key, ttl, e, ok := s.cacheLookup(w, c)
	if !ok {
		return e, false
	}
	if c.cacheHit {
		return gatewayError{}, true
	}
	if key != "" {
		w.keep = &recorder{header: http.Header{}}
	}
	e, ok = s.integrate(w, c)
	if ok && key != "" && w.keep != nil && w.status/100 == 2 {
		s.cache.put(stageKey(c.apiID, ptr.Deref(c.stage.StageName)), key,
			cacheEntry{expires: c.now.Add(ttl), status: w.status, header: w.Header().Clone(), body: w.keep.body.Bytes()}, c.now)
	}
	return e, ok
}

// cacheLookup consults the stage cache for a method with caching
// enabled (GET methods by default once the stage has a cache): a hit is
// answered here (c.cacheHit); a miss returns the entry's key and TTL for
// the response to be stored. A client's Cache-Control: max-age=0
// invalidates the entry when authorized (execute-api:InvalidateCache, or
// the method does not require authorization); otherwise the method's
// unauthorizedCacheControlHeaderStrategy decides: FAIL_WITH_403 refuses,
// the others ignore the header.
func (s *APIGateway) cacheLookup(w *captureWriter, c *call) (string, time.Duration, gatewayError, bool) {
	if !ptr.Deref(c.stage.CacheClusterEnabled) {
		return "", 0, gatewayError{}, true
	}
	if c.canary && (c.stage.CanarySettings == nil || !ptr.Deref(c.stage.CanarySettings.UseStageCache)) {
		return "", 0, gatewayError{}, true
	}
	set, _ := c.settings()
	enabled := c.r.Method == http.MethodGet // GET methods by default
	if set.CachingEnabled != nil {
		enabled = *set.CachingEnabled
	}
	ttl := time.Duration(ptr.Deref(set.CacheTtlInSeconds)) * time.Second
	if set.CacheTtlInSeconds == nil {
		ttl = 300 * time.Second
	}
	if !enabled || ttl <= 0 {
		return "", 0, gatewayError{}, true
	}
	c.cacheUsed = true
	sk, key := stageKey(c.apiID, ptr.Deref(c.stage.StageName)), c.cacheKey()
	if wantsInvalidation(c.r) {
		authorized := !ptr.Deref(set.RequireAuthorizationForCacheControl) || (c.invoker != nil && c.invoker.CanInvalidate)
		if authorized {
			s.cache.invalidate(sk, key)
			return key, ttl, gatewayError{}, true
		}
		if ptr.Deref(set.UnauthorizedCacheControlHeaderStrategy) == "FAIL_WITH_403" {
			who := "anonymous"
			if c.invoker != nil {
				who = c.invoker.ARN
			}
			return "", 0, gatewayError{typ: "ACCESS_DENIED", status: 403, kind: "AccessDeniedException", template: capitalMessageTemplate,
				message: "User: " + who + " is not authorized to perform: execute-api:InvalidateCache on resource: " + maskedARN(c.methodARN(), c.loc.Account)}, false
		}
	}
	e, ok := s.cache.get(sk, key, c.now)
	if !ok {
		return key, ttl, gatewayError{}, true
	}
	c.cacheHit = true
	for k, v := range e.header {
		w.Header()[k] = v
	}
	w.Header().Set("x-amzn-RequestId", c.reqID)
	w.WriteHeader(e.status)
	_, _ = w.Write(e.body)
	return "", 0, gatewayError{}, true
}

// integrate validates the request and runs the method's integration.
func (s *APIGateway) integrate(w http.ResponseWriter, c *call) (gatewayError, bool) {
	if e, ok := c.validate(); !ok {
		return e, false
	}
	integ := c.method.MethodIntegration
	if integ == nil {
		return errNotConfigured, false
	}
	c.integrated = ptr.Deref(integ.Type) != "MOCK"
	switch ptr.Deref(integ.Type) {
	case "MOCK":
		return s.mock(w, c, integ)
	case "AWS_PROXY":
		return s.lambdaProxy(w, c, integ)
	case "AWS":
		return s.awsIntegration(w, c, integ)
	case "HTTP":
		return s.httpIntegration(w, c, integ)
	case "HTTP_PROXY":
		return s.httpProxy(w, c, integ)
	}
	return errNotConfigured, false
}

// match finds the deployed resource a path selects: at each level a
// literal part beats a {param}, which beats a greedy {param+} (which
// takes the rest of the path).
func match(resources map[string]apigatewayapi.Resource, path string) (apigatewayapi.Resource, map[string]string, bool) {
	children := map[string][]apigatewayapi.Resource{}
	var root apigatewayapi.Resource
	for _, r := range resources {
		if r.ParentId == nil {
			root = r
			continue
		}
		children[*r.ParentId] = append(children[*r.ParentId], r)
	}
	if root.Id == nil {
		return root, nil, false
	}
	var segs []string
	for _, p := range strings.Split(strings.Trim(path, "/"), "/") {
		if p != "" {
			segs = append(segs, p)
		}
	}
	params := map[string]string{}
	var walk func(node apigatewayapi.Resource, segs []string) (apigatewayapi.Resource, bool)
	walk = func(node apigatewayapi.Resource, segs []string) (apigatewayapi.Resource, bool) {
		if len(segs) == 0 {
			return node, true
		}
		kids := children[*node.Id]
		rank := func(r apigatewayapi.Resource) int {
			p := ptr.Deref(r.PathPart)
			switch {
			case strings.HasSuffix(p, "+}"):
				return 2
			case strings.HasPrefix(p, "{"):
				return 1
			}
			return 0
		}
		sort.Slice(kids, func(i, j int) bool { return rank(kids[i]) < rank(kids[j]) })
		for _, k := range kids {
			p := ptr.Deref(k.PathPart)
			switch rank(k) {
			case 0:
				if p == segs[0] {
					if r, ok := walk(k, segs[1:]); ok {
						return r, true
					}
				}
			case 1:
				name := p[1 : len(p)-1]
				if r, ok := walk(k, segs[1:]); ok {
					params[name] = segs[0]
					return r, true
				}
			case 2:
				params[p[1:len(p)-2]] = strings.Join(segs, "/")
				return k, true
			}
		}
		return apigatewayapi.Resource{}, false
	}
	r, ok := walk(root, segs)
	return r, params, ok
}

// checkAPIKey enforces apiKeyRequired: an enabled key, in a usage plan
// bound to this stage, within the plan's throttle and quota.
func (s *APIGateway) checkAPIKey(c *call) (gatewayError, bool) {
	if !ptr.Deref(c.method.ApiKeyRequired) {
		return gatewayError{}, true
	}
	value := c.r.Header.Get("x-api-key")
	if ptr.Deref(c.api.API.ApiKeySource) == "AUTHORIZER" {
		// The key comes from the authorizer's usageIdentifierKey.
		value = c.usageKey
	}
	if value == "" {
		return errForbidden, false
	}
	sc := storage.Scope{Account: c.loc.Account, Region: c.loc.Region}
	var plan *usagePlan
	err := s.store.View(func(tx storage.Tx) error {
		id, ok, err := keyValues.Get(tx, sc, value)
		if err != nil || !ok {
			return errors.Join(err, errForbiddenErr)
		}
		k, ok, err := apiKeys.Get(tx, sc, id)
		if err != nil || !ok || !ptr.Deref(k.Enabled) {
			return errors.Join(err, errForbiddenErr)
		}
		c.apiKey = &k
		return plans.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, p usagePlan) bool {
			if !planCovers(p, id, c.apiID, ptr.Deref(c.stage.StageName)) {
				return true
			}
			plan = &p
			return false
		})
	})
	if err != nil || plan == nil {
		return errForbidden, false
	}
	if !s.allow(plan, *c.apiKey.Id, c.now) {
		return errThrottled, false
	}
	if ok, err := s.countQuota(sc, plan, *c.apiKey.Id, c.now); err != nil {
		return errInternal, false
	} else if !ok {
		return errQuota, false
	}
	return gatewayError{}, true
}

var errForbiddenErr = errors.New("forbidden")

func planCovers(p usagePlan, keyID, apiID, stage string) bool {
	has := false
	for _, k := range p.Keys {
		has = has || k == keyID
	}
	if !has {
		return false
	}
	for _, st := range p.Plan.ApiStages {
		if ptr.Deref(st.ApiId) == apiID && ptr.Deref(st.Stage) == stage {
			return true
		}
	}
	return false
}

// bucket is a token bucket: rate tokens a second up to burst.
type bucket struct {
	tokens float64
	last   time.Time
}

// allow takes a token from the plan's bucket for the key.
func (s *APIGateway) allow(p *usagePlan, keyID string, now time.Time) bool {
	t := p.Plan.Throttle
	if t == nil || t.RateLimit == nil && t.BurstLimit == nil {
		return true
	}
	rate := ptr.Deref(t.RateLimit)
	burst := float64(ptr.Deref(t.BurstLimit))
	if burst < 1 {
		// A plan with a rate and no burst still lets a request through
		// each second's worth of rate.
		burst = max(rate, 1)
	}
	return s.takeToken(*p.Plan.Id+"/"+keyID, rate, burst, now)
}

// takeToken takes a token from the bucket under key (refilled at rate a
// second up to burst), false when it is empty.
func (s *APIGateway) takeToken(key string, rate, burst float64, now time.Time) bool {
	s.bmu.Lock()
	defer s.bmu.Unlock()
	b, ok := s.buckets[key]
	if !ok {
		b = &bucket{tokens: burst, last: now}
		s.buckets[key] = b
	}
	b.tokens = min(burst, b.tokens+now.Sub(b.last).Seconds()*rate)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// periodStart is the start of the quota period holding now (UTC days,
// weeks from Monday, calendar months).
func periodStart(period string, now time.Time) time.Time {
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	switch period {
	case "WEEK":
		return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	case "MONTH":
		return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return day
}

// countQuota counts a request against the plan's quota for the key,
// false when the period's limit is used up; allowed requests are also
// counted by day, as GetUsage reports them.
func (s *APIGateway) countQuota(sc storage.Scope, p *usagePlan, keyID string, now time.Time) (bool, error) {
	q := p.Plan.Quota
	allowed := false
	err := s.store.Update(func(tx storage.Tx) error {
		if q != nil {
			start := periodStart(ptr.Deref(q.Period), now).Format(time.RFC3339)
			n, _, err := quotas.Get(tx, sc, *p.Plan.Id, keyID, start)
			if err != nil {
				return err
			}
			limit := int64(ptr.Deref(q.Limit))
			if start == p.QuotaStart {
				// The initial period: the offset is already used.
				limit -= int64(ptr.Deref(q.Offset))
			}
			if n >= limit {
				return nil
			}
			if err := quotas.Put(tx, sc, n+1, *p.Plan.Id, keyID, start); err != nil {
				return err
			}
		}
		allowed = true
		d, _, err := daily.Get(tx, sc, *p.Plan.Id, keyID, today(now))
		if err != nil {
			return err
		}
		return daily.Put(tx, sc, d+1, *p.Plan.Id, keyID, today(now))
	})
	return allowed, err
}

// sourceIP is the caller's address, or the first one a proxy in front
// (CloudFront) forwarded.
func sourceIP(r *http.Request) string {
	if o, ok := netpos.OriginFrom(r.Context()); ok && o.SourceIP != "" {
		// Niwa's egress proxy handed the call over: the workload's
		// apparent address.
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

// singleHeaders are the last value of each header, as API Gateway's
// "headers" map holds them.
func singleHeaders(h http.Header) map[string]string {
	out := map[string]string{}
	for k, v := range h {
		out[k] = v[len(v)-1]
	}
	return out
}

func (c *call) query() (map[string]string, map[string][]string) {
	q := c.r.URL.Query()
	if len(q) == 0 {
		return nil, nil
	}
	single := map[string]string{}
	for k, v := range q {
		single[k] = v[len(v)-1]
	}
	return single, q
}

// contextVars is $context as mapping templates see it.
func (c *call) contextVars() map[string]any {
	identity := map[string]any{"sourceIp": sourceIP(c.r), "userAgent": c.r.UserAgent()}
	if c.invoker != nil {
		identity["caller"], identity["user"] = c.invoker.UserID, c.invoker.UserID
		identity["userArn"], identity["accountId"], identity["accessKey"] = c.invoker.ARN, c.invoker.Account, c.invoker.AccessKey
	}
	if c.apiKey != nil {
		identity["apiKey"] = ptr.Deref(c.apiKey.Value)
		identity["apiKeyId"] = ptr.Deref(c.apiKey.Id)
	}
	vars := map[string]any{
		"requestId": c.reqID, "extendedRequestId": c.reqID, "stage": ptr.Deref(c.stage.StageName),
		"resourcePath": ptr.Deref(c.resource.Path), "resourceId": ptr.Deref(c.resource.Id),
		"httpMethod": c.r.Method, "apiId": c.apiID, "accountId": c.loc.Account,
		"requestTime": c.now.Format("02/Jan/2006:15:04:05 -0700"), "requestTimeEpoch": c.now.UnixMilli(),
		"path": "/" + ptr.Deref(c.stage.StageName) + c.path, "protocol": c.r.Proto, "identity": identity,
		"domainName": c.r.Host,
	}
	if c.authorizer != nil {
		vars["authorizer"] = c.authorizer
	}
	return vars
}

func (c *call) templateVars(body string) map[string]any {
	q, _ := c.query()
	stageVars := map[string]any{}
	for k, v := range c.stage.Variables {
		stageVars[k] = v
	}
	return map[string]any{
		"input": &vtl.Input{Body: body, Params: vtl.Params{Path: c.pathParams, Query: q,
			Header: singleHeaders(c.r.Header)}},
		"context": c.contextVars(), "stageVariables": stageVars, "util": vtl.Util{},
	}
}

// requestTemplate picks the template for the request's content type
// (application/json when it names none); found false when there is none.
func requestTemplate(templates map[string]string, contentType string) (string, bool) {
	ct := strings.TrimSpace(strings.Split(contentType, ";")[0])
	if ct == "" {
		ct = "application/json"
	}
	t, ok := templates[ct]
	return t, ok
}

func (c *call) render(tmpl, body string) (string, error) {
	t, err := vtl.Parse(tmpl)
	if err != nil {
		return "", err
	}
	return t.Render(c.templateVars(body), vtl.DefaultLimits)
}

// mock answers from the integration itself: the request template's
// statusCode selects the integration response.
func (s *APIGateway) mock(w http.ResponseWriter, c *call, integ *apigatewayapi.Integration) (gatewayError, bool) {
	status := "200"
	if tmpl, ok := requestTemplate(integ.RequestTemplates, c.r.Header.Get("Content-Type")); ok {
		out, err := c.render(tmpl, string(c.body))
		if err != nil {
			return errInternal, false
		}
		var sel struct {
			StatusCode json.Number `json:"statusCode"`
		}
		if json.Unmarshal([]byte(out), &sel) == nil && sel.StatusCode != "" {
			status = sel.StatusCode.String()
		}
	}
	return s.respondWith(w, c, integ, status, "", nil, nil)
}

// respond selects the integration response whose selectionPattern
// matches selector (a status code, or a Lambda error message), falling
// back to the one without a pattern, and renders its template over body.
func (s *APIGateway) respondWith(w http.ResponseWriter, c *call, integ *apigatewayapi.Integration, selector, errorMessage string, raw []byte, header http.Header) (gatewayError, bool) {
	body := string(raw)
	keys := make([]string, 0, len(integ.IntegrationResponses))
	for k := range integ.IntegrationResponses {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// Lambda (AWS) integrations match patterns against the function's
	// error message, and only when it failed; the others against the
	// integration's status code.
	target, matching := selector, true
	if ptr.Deref(integ.Type) == "AWS" && lambdaFunction(ptr.Deref(integ.Uri)) != "" {
		target, matching = errorMessage, errorMessage != ""
	}
	var def, hit *apigatewayapi.IntegrationResponse
	for _, k := range keys {
		ir := integ.IntegrationResponses[k]
		pat := ptr.Deref(ir.SelectionPattern)
		if pat == "" {
			if def == nil {
				def = &ir
			}
			continue
		}
		if re, err := regexp.Compile("^(?s:" + pat + ")$"); err == nil && hit == nil && matching && re.MatchString(target) {
			hit = &ir
		}
	}
	chosen := hit
	if chosen == nil {
		chosen = def
	}
	if chosen == nil {
		// No integration response configured: API Gateway fails the call.
		return errInternal, false
	}
	status, err := strconv.Atoi(ptr.Deref(chosen.StatusCode))
	if err != nil {
		return errInternal, false
	}
	out := body
	ct := "application/json"
	if tmpl, ok := chosen.ResponseTemplates["application/json"]; ok && tmpl != "" {
		if out, err = c.render(tmpl, body); err != nil {
			return errInternal, false
		}
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("x-amzn-RequestId", c.reqID)
	c.responseParameters(w, chosen.ResponseParameters, header, raw)
	w.WriteHeader(status)
	_, _ = io.WriteString(w, out)
	return gatewayError{}, true
}

// proxyEvent is the Lambda proxy integration's input, format 1.0.
type proxyEvent struct {
	Resource                        string              `json:"resource"`
	Path                            string              `json:"path"`
	HTTPMethod                      string              `json:"httpMethod"`
	Headers                         map[string]string   `json:"headers"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	PathParameters                  map[string]string   `json:"pathParameters"`
	StageVariables                  map[string]string   `json:"stageVariables"`
	RequestContext                  map[string]any      `json:"requestContext"`
	Body                            *string             `json:"body"`
	IsBase64Encoded                 bool                `json:"isBase64Encoded"`
}

// proxyResponse is what a proxy integration's function must return.
type proxyResponse struct {
	StatusCode        *int                `json:"statusCode"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Body              *string             `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
}

func (c *call) proxyEvent() proxyEvent {
	q, mq := c.query()
	ev := proxyEvent{Resource: ptr.Deref(c.resource.Path), Path: c.path, HTTPMethod: c.r.Method,
		QueryStringParameters: q, MultiValueQueryStringParameters: mq, RequestContext: c.contextVars()}
	if len(c.r.Header) > 0 {
		ev.Headers, ev.MultiValueHeaders = singleHeaders(c.r.Header), c.r.Header
	}
	if len(c.pathParams) > 0 {
		ev.PathParameters = c.pathParams
	}
	if len(c.stage.Variables) > 0 {
		ev.StageVariables = c.stage.Variables
	}
	if len(c.body) > 0 {
		b := string(c.body)
		if !json.Valid(c.body) && !isText(c.r.Header.Get("Content-Type")) {
			b, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(c.body), true
		}
		ev.Body = &b
	}
	return ev
}

func isText(ct string) bool {
	ct = strings.ToLower(ct)
	return ct == "" || strings.HasPrefix(ct, "text/") || strings.Contains(ct, "json") || strings.Contains(ct, "xml") || strings.Contains(ct, "x-www-form-urlencoded")
}

func (s *APIGateway) invokeFunction(c *call, integ *apigatewayapi.Integration, sourceARN string, payload []byte) ([]byte, string, *gatewayError) {
	fn := lambdaFunction(ptr.Deref(integ.Uri))
	if fn == "" || s.fns == nil {
		return nil, "", &errInternal
	}
	if role := ptr.Deref(integ.Credentials); role != "" {
		// With credentials API Gateway calls Lambda's Invoke as the role:
		// the role's policies decide, not the function's.
		resp, gerr := s.callService(c, integ, ServiceRequest{Account: c.loc.Account, Region: c.loc.Region, Role: role,
			Service: "lambda", Path: "/2015-03-31/functions/" + fn + "/invocations", Method: http.MethodPost,
			Header: http.Header{"X-Amz-Invocation-Type": {"RequestResponse"}}, Body: payload})
		if gerr != nil {
			return nil, "", gerr
		}
		if resp.Status/100 != 2 {
			c.logf("Execution failed due to configuration error: Lambda answered %d: %s", resp.Status, resp.Body)
			return nil, "", &errInternal
		}
		return resp.Body, resp.Header.Get("X-Amz-Function-Error"), nil
	}
	ctx, cancel := context.WithTimeout(c.r.Context(), integrationTimeout(integ))
	defer cancel()
	if s.perms != nil {
		// Without credentials API Gateway invokes as itself: only a
		// function policy statement for apigateway.amazonaws.com with a
		// matching aws:SourceArn lets it.
		ok, err := s.perms.AllowsInvoke(ctx, fn, sourceARN, c.loc.Account)
		if err != nil || !ok {
			c.logf("Execution failed due to configuration error: Invalid permissions on Lambda function")
			return nil, "", &errInternal
		}
	}
	start := time.Now()
	out, fnErr, err := s.fns.Invoke(ctx, fn, payload)
	c.integrationLatency = time.Since(start)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, "", &errTimeout
		}
		s.log.Warn("apigateway: invoking the integration's function failed", "function", fn, "error", err)
		return nil, "", &errInternal
	}
	return out, fnErr, nil
}

// sourceARN is the aws:SourceArn API Gateway invokes integration
// functions with: the method's ARN with the resource's path template
// (arn:aws:execute-api:<region>:<account>:<api>/<stage>/<VERB>/<resource path>).
func (c *call) sourceARN() string {
	return "arn:aws:execute-api:" + c.loc.Region + ":" + c.loc.Account + ":" + c.apiID + "/" +
		ptr.Deref(c.stage.StageName) + "/" + c.r.Method + ptr.Deref(c.resource.Path)
}

// lambdaProxy passes the request to the function as a proxy event and
// answers what it returns; anything but the response contract is a 502.
func (s *APIGateway) lambdaProxy(w http.ResponseWriter, c *call, integ *apigatewayapi.Integration) (gatewayError, bool) {
	payload, err := json.Marshal(c.proxyEvent())
	if err != nil {
		return errInternal, false
	}
	out, fnErr, gerr := s.invokeFunction(c, integ, c.sourceARN(), payload)
	if gerr != nil {
		return *gerr, false
	}
	if fnErr != "" {
		return errIntegration, false
	}
	var resp proxyResponse
	d := json.NewDecoder(bytes.NewReader(out))
	if d.Decode(&resp) != nil || resp.StatusCode == nil || *resp.StatusCode < 100 || *resp.StatusCode > 599 {
		return errIntegration, false
	}
	body := []byte(ptr.Deref(resp.Body))
	if resp.IsBase64Encoded {
		if body, err = base64.StdEncoding.DecodeString(ptr.Deref(resp.Body)); err != nil {
			return errIntegration, false
		}
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.Header().Set("x-amzn-RequestId", c.reqID)
	w.WriteHeader(*resp.StatusCode)
	_, _ = w.Write(body)
	return gatewayError{}, true
}

// lambdaCustom is the Lambda non-proxy integration: the request template
// makes the payload (the body passes through without one), the error
// message or default selects the integration response.
func (s *APIGateway) lambdaCustom(w http.ResponseWriter, c *call, integ *apigatewayapi.Integration) (gatewayError, bool) {
	if lambdaFunction(ptr.Deref(integ.Uri)) == "" {
		return errNotConfigured, false
	}
	payload := c.body
	if tmpl, ok := requestTemplate(integ.RequestTemplates, c.r.Header.Get("Content-Type")); ok {
		out, err := c.render(tmpl, string(c.body))
		if err != nil {
			return errInternal, false
		}
		payload = []byte(out)
	} else if ptr.Deref(integ.PassthroughBehavior) == "NEVER" {
		return gatewayError{typ: "UNSUPPORTED_MEDIA_TYPE", status: 415, kind: "UnsupportedMediaTypeException", message: "Unsupported Media Type"}, false
	}
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	out, fnErr, gerr := s.invokeFunction(c, integ, c.sourceARN(), payload)
	if gerr != nil {
		return *gerr, false
	}
	errorMessage := ""
	if fnErr != "" {
		var e struct {
			ErrorMessage string `json:"errorMessage"`
		}
		_ = json.Unmarshal(out, &e)
		errorMessage = e.ErrorMessage
		if errorMessage == "" {
			errorMessage = fnErr
		}
	}
	return s.respondWith(w, c, integ, "", errorMessage, out, nil)
}

// httpProxy forwards the request to the integration's URI (its {name}
// placeholders filled from path parameters) and answers what it answers.
func (s *APIGateway) httpProxy(w http.ResponseWriter, c *call, integ *apigatewayapi.Integration) (gatewayError, bool) {
	m := c.requestParameters(integ)
	u, err := url.Parse(fillPath(ptr.Deref(integ.Uri), m, c.pathParams))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return errInternal, false
	}
	if c.r.URL.RawQuery != "" {
		if u.RawQuery != "" {
			u.RawQuery += "&"
		}
		u.RawQuery += c.r.URL.RawQuery
	}
	if len(m.query) > 0 {
		q := u.Query()
		for k, vs := range m.query {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
	}
	method := ptr.Deref(integ.HttpMethod)
	if method == "" || method == "ANY" {
		method = c.r.Method
	}
	ctx, cancel := context.WithTimeout(c.r.Context(), integrationTimeout(integ))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(c.body))
	if err != nil {
		return errInternal, false
	}
	for k, v := range c.r.Header {
		if k != "Host" && k != "X-Api-Key" {
			req.Header[k] = v
		}
	}
	for k, v := range m.header {
		req.Header[k] = v
	}
	client, ok := s.client(c, integ, u)
	if !ok {
		return errInternal, false
	}
	start := time.Now()
	resp, err := client.Do(req)
	c.integrationLatency = time.Since(start)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return errTimeout, false
		}
		return errIntegration, false
	}
	defer func() { _ = resp.Body.Close() }()
	c.integrationStatus = resp.StatusCode
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.Header().Set("x-amzn-RequestId", c.reqID)
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, io.LimitReader(resp.Body, maxPayload))
	return gatewayError{}, true
}

// lambdaFunction is the function ARN an integration URI names
// (arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<arn>/invocations),
// "" when it names none.
func lambdaFunction(uri string) string {
	i := strings.Index(uri, ":lambda:path/")
	if i < 0 {
		return ""
	}
	rest := uri[i+len(":lambda:path/"):]
	j := strings.Index(rest, "/functions/")
	if j < 0 {
		return ""
	}
	fn, ok := strings.CutSuffix(rest[j+len("/functions/"):], "/invocations")
	if !ok || !strings.HasPrefix(fn, "arn:") {
		return ""
	}
	return fn
}
