package apigateway

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/vtl"
)

// Integrations other than MOCK and Lambda: HTTP (non-proxy, with mapping
// templates), HTTP_PROXY, and AWS service integrations to niwa's own
// services; and the parameter mappings of every integration
// (Developer Guide, "Parameter mapping source reference" and
// "Set up an API integration request").

// Services sends AWS service integration requests. The server wires
// niwa's gateway behind it: the request is signed with the credentials
// of the integration's role (assumed as apigateway.amazonaws.com through
// STS) and served like any signed call, so IAM is evaluated as that role.
type Services interface {
	Call(ctx context.Context, req ServiceRequest) (ServiceResponse, error)
}

// ServiceRequest is an AWS service integration's request as API Gateway
// builds it from the integration's URI
// (arn:aws:apigateway:<region>:<service>:path/<path> or
// ...:action/<Action>).
type ServiceRequest struct {
	Account, Region string
	// Role is the integration's credentials role ARN.
	Role string
	// Service is the URI's service (its endpoint prefix: "sqs",
	// "dynamodb", "s3", "lambda"); Subdomain the part before it, if any.
	Service, Subdomain string
	// Action is the action of an action/ URI, Path ("/...") the path of
	// a path/ URI.
	Action, Path string
	Method       string
	Header       http.Header
	Query        url.Values
	Body         []byte
}

// ServiceResponse is what the service answered.
type ServiceResponse struct {
	Status int
	Header http.Header
	Body   []byte
}

// ErrConfiguration marks a Services failure that is the integration's
// fault (a role API Gateway may not assume, an unknown service): the
// caller gets 500 and the execution log says why.
var ErrConfiguration = errors.New("configuration error")

// Permissions answers the function policy check: whether the function's
// resource policy lets apigateway.amazonaws.com invoke it for sourceARN
// (the method ARN) in sourceAccount.
type Permissions interface {
	AllowsInvoke(ctx context.Context, function, sourceARN, sourceAccount string) (bool, error)
}

// serviceURI is an AWS integration URI taken apart.
type serviceURI struct {
	region, subdomain, service string
	action, path               string
}

// parseServiceURI reads arn:aws:apigateway:<region>:<sub.>service:(path|action)/<rest>.
func parseServiceURI(uri string) (serviceURI, bool) {
	parts := strings.SplitN(uri, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "apigateway" {
		return serviceURI{}, false
	}
	u := serviceURI{region: parts[3], service: parts[4]}
	if i := strings.LastIndexByte(u.service, '.'); i >= 0 {
		u.subdomain, u.service = u.service[:i], u.service[i+1:]
	}
	kind, rest, ok := strings.Cut(parts[5], "/")
	if !ok || u.service == "" || u.region == "" {
		return serviceURI{}, false
	}
	switch kind {
	case "path":
		u.path = "/" + rest
	case "action":
		if rest == "" || strings.ContainsAny(rest, "/?&") {
			return serviceURI{}, false
		}
		u.action = rest
	default:
		return serviceURI{}, false
	}
	return u, true
}

// mapped is an integration request's parameters after mapping.
type mapped struct {
	header http.Header
	query  url.Values
	path   map[string]string
}

// requestParameters evaluates the integration's requestParameters
// (integration.request.{header,querystring,path}.<name> = source).
// A source that resolves to nothing leaves the parameter out, as AWS.
func (c *call) requestParameters(integ *apigatewayapi.Integration) mapped {
	m := mapped{header: http.Header{}, query: url.Values{}, path: map[string]string{}}
	for dst, src := range integ.RequestParameters {
		vals, ok := c.mappingSource(src)
		if !ok {
			continue
		}
		switch {
		case strings.HasPrefix(dst, "integration.request.header."):
			name := strings.TrimPrefix(dst, "integration.request.header.")
			for _, v := range vals {
				m.header.Add(name, v)
			}
		case strings.HasPrefix(dst, "integration.request.querystring."):
			name := strings.TrimPrefix(dst, "integration.request.querystring.")
			for _, v := range vals {
				m.query.Add(name, v)
			}
		case strings.HasPrefix(dst, "integration.request.path."):
			m.path[strings.TrimPrefix(dst, "integration.request.path.")] = vals[0]
		}
	}
	return m
}

// mappingSource reads one mapping source: 'static', method.request.*,
// context.*, stageVariables.*; several values for the multivalue ones.
func (c *call) mappingSource(src string) ([]string, bool) {
	if lit, ok := strings.CutPrefix(src, "'"); ok {
		return []string{strings.TrimSuffix(lit, "'")}, true
	}
	one := func(v string, ok bool) ([]string, bool) {
		if !ok {
			return nil, false
		}
		return []string{v}, true
	}
	switch {
	case strings.HasPrefix(src, "method.request.path."):
		v, ok := c.pathParams[strings.TrimPrefix(src, "method.request.path.")]
		return one(v, ok)
	case strings.HasPrefix(src, "method.request.querystring."):
		// The last of repeated values, as the proxy event's single-value map.
		vs := c.r.URL.Query()[strings.TrimPrefix(src, "method.request.querystring.")]
		if len(vs) == 0 {
			return nil, false
		}
		return vs[len(vs)-1:], true
	case strings.HasPrefix(src, "method.request.multivaluequerystring."):
		vs := c.r.URL.Query()[strings.TrimPrefix(src, "method.request.multivaluequerystring.")]
		return vs, len(vs) > 0
	case strings.HasPrefix(src, "method.request.header."):
		vs := c.r.Header.Values(strings.TrimPrefix(src, "method.request.header."))
		if len(vs) == 0 {
			return nil, false
		}
		return []string{vs[len(vs)-1]}, true
	case strings.HasPrefix(src, "method.request.multivalueheader."):
		vs := c.r.Header.Values(strings.TrimPrefix(src, "method.request.multivalueheader."))
		return vs, len(vs) > 0
	case src == "method.request.body":
		return []string{string(c.body)}, true
	case strings.HasPrefix(src, "method.request.body."):
		return one(jsonPathString(c.body, "$"+strings.TrimPrefix(src, "method.request.body")))
	case strings.HasPrefix(src, "stageVariables."):
		v, ok := c.stage.Variables[strings.TrimPrefix(src, "stageVariables.")]
		return one(v, ok)
	case strings.HasPrefix(src, "context."):
		return one(contextValue(c.contextVars(), strings.TrimPrefix(src, "context.")))
	}
	return nil, false
}

// contextValue reads a dotted $context path.
func contextValue(vars map[string]any, path string) (string, bool) {
	var cur any = vars
	for _, p := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return "", false
		}
		if cur, ok = m[p]; !ok {
			return "", false
		}
	}
	switch v := cur.(type) {
	case string:
		return v, true
	case int64:
		return strconv.FormatInt(v, 10), true
	case nil:
		return "", false
	}
	b, err := json.Marshal(cur)
	return string(b), err == nil
}

// jsonPathString evaluates a JSONPath over a JSON body as
// $input.json does, strings unquoted.
func jsonPathString(body []byte, path string) (string, bool) {
	in := &vtl.Input{Body: string(body)}
	v, _, err := in.Call("json", []any{path})
	if err != nil {
		return "", false
	}
	out := vtl.String(v)
	if out == "" {
		return "", false
	}
	if u, err := strconv.Unquote(out); err == nil && strings.HasPrefix(out, `"`) {
		return u, true
	}
	return out, true
}

// responseParameters sets the method response headers an integration
// response maps: 'literal', integration.response.header.<n>,
// integration.response.multivalueheader.<n>, integration.response.body
// (and .JSONPath), context.*, stageVariables.*.
func (c *call) responseParameters(w http.ResponseWriter, params map[string]string, header http.Header, body []byte) {
	for dst, src := range params {
		name, ok := strings.CutPrefix(dst, "method.response.header.")
		if !ok {
			continue
		}
		var vals []string
		switch {
		case strings.HasPrefix(src, "integration.response.header."):
			if vs := header.Values(strings.TrimPrefix(src, "integration.response.header.")); len(vs) > 0 {
				vals = vs[len(vs)-1:]
			}
		case strings.HasPrefix(src, "integration.response.multivalueheader."):
			if vs := header.Values(strings.TrimPrefix(src, "integration.response.multivalueheader.")); len(vs) > 0 {
				vals = []string{strings.Join(vs, ",")}
			}
		case src == "integration.response.body":
			vals = []string{string(body)}
		case strings.HasPrefix(src, "integration.response.body."):
			if v, ok := jsonPathString(body, "$"+strings.TrimPrefix(src, "integration.response.body")); ok {
				vals = []string{v}
			}
		default:
			if vs, ok := c.mappingSource(src); ok {
				vals = vs
			}
		}
		if len(vals) > 0 {
			w.Header().Set(name, vals[0])
		}
	}
}

// integrationTimeout is the integration's timeoutInMillis (29 s when
// unset, API Gateway's default and maximum for REST APIs).
func integrationTimeout(integ *apigatewayapi.Integration) time.Duration {
	t := time.Duration(ptr.Deref(integ.TimeoutInMillis)) * time.Millisecond
	if t <= 0 {
		t = 29 * time.Second
	}
	return t
}

var errUnsupportedMedia = gatewayError{typ: "UNSUPPORTED_MEDIA_TYPE", status: 415, kind: "UnsupportedMediaTypeException", message: "Unsupported Media Type"}

// requestBody is the integration request's body: the request template
// for the Content-Type rendered over the body, or the body itself as the
// passthrough behavior allows (WHEN_NO_MATCH: when no template matches;
// WHEN_NO_TEMPLATES: only when there are none; NEVER: 415).
func (c *call) requestBody(integ *apigatewayapi.Integration) ([]byte, *gatewayError) {
	if tmpl, ok := requestTemplate(integ.RequestTemplates, c.r.Header.Get("Content-Type")); ok {
		out, err := c.render(tmpl, string(c.body))
		if err != nil {
			return nil, &errInternal
		}
		return []byte(out), nil
	}
	switch ptr.Deref(integ.PassthroughBehavior) {
	case "NEVER":
		return nil, &errUnsupportedMedia
	case "WHEN_NO_TEMPLATES":
		if len(integ.RequestTemplates) > 0 {
			return nil, &errUnsupportedMedia
		}
	}
	return c.body, nil
}

// fillPath substitutes {name} placeholders of an integration URI or
// path: mapped path parameters first, then the method's own.
func fillPath(s string, m mapped, params map[string]string) string {
	for _, src := range []map[string]string{m.path, params} {
		for k, v := range src {
			s = strings.ReplaceAll(s, "{"+k+"+}", v)
			s = strings.ReplaceAll(s, "{"+k+"}", v)
		}
	}
	return s
}

// httpIntegration is HTTP (non-proxy): mapped parameters and the
// request template make the backend request; the backend's status code
// selects the integration response, whose template renders its body.
func (s *APIGateway) httpIntegration(w http.ResponseWriter, c *call, integ *apigatewayapi.Integration) (gatewayError, bool) {
	m := c.requestParameters(integ)
	body, gerr := c.requestBody(integ)
	if gerr != nil {
		return *gerr, false
	}
	u, err := url.Parse(fillPath(ptr.Deref(integ.Uri), m, c.pathParams))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		c.logf("Execution failed due to configuration error: Invalid endpoint address")
		return errInternal, false
	}
	q := u.Query()
	for k, vs := range m.query {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	method := ptr.Deref(integ.HttpMethod)
	if method == "" || method == "ANY" {
		method = c.r.Method
	}
	ctx, cancel := context.WithTimeout(c.r.Context(), integrationTimeout(integ))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return errInternal, false
	}
	req.Header = m.header
	if req.Header.Get("Content-Type") == "" && len(body) > 0 {
		req.Header.Set("Content-Type", "application/json")
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
		c.logf("Execution failed due to configuration error: %v", err)
		return errInternal, false
	}
	defer func() { _ = resp.Body.Close() }()
	out, err := io.ReadAll(io.LimitReader(resp.Body, maxPayload))
	if err != nil {
		return errIntegration, false
	}
	c.integrationStatus = resp.StatusCode
	return s.respondWith(w, c, integ, strconv.Itoa(resp.StatusCode), "", out, resp.Header)
}

// awsIntegration is an AWS integration: Lambda (by the function path),
// or another service called through Services with the integration's
// role.
func (s *APIGateway) awsIntegration(w http.ResponseWriter, c *call, integ *apigatewayapi.Integration) (gatewayError, bool) {
	if lambdaFunction(ptr.Deref(integ.Uri)) != "" {
		return s.lambdaCustom(w, c, integ)
	}
	su, ok := parseServiceURI(ptr.Deref(integ.Uri))
	if !ok {
		c.logf("Execution failed due to configuration error: Invalid integration URI")
		return errInternal, false
	}
	if ptr.Deref(integ.Credentials) == "" {
		// AWS needs a role to sign the service call with.
		c.logf("Execution failed due to configuration error: No credentials")
		return errInternal, false
	}
	m := c.requestParameters(integ)
	body, gerr := c.requestBody(integ)
	if gerr != nil {
		return *gerr, false
	}
	method := ptr.Deref(integ.HttpMethod)
	if method == "" || method == "ANY" {
		method = c.r.Method
	}
	req := ServiceRequest{Account: c.loc.Account, Region: su.region, Role: ptr.Deref(integ.Credentials),
		Service: su.service, Subdomain: su.subdomain, Action: su.action, Method: method,
		Header: m.header, Query: m.query, Body: body}
	if su.path != "" {
		// Unescaped: the server escapes the path once when it builds the
		// request (an S3 key's "/" stays a separator).
		req.Path = fillPath(su.path, m, c.pathParams)
	}
	resp, gerr := s.callService(c, integ, req)
	if gerr != nil {
		return *gerr, false
	}
	c.integrationStatus = resp.Status
	return s.respondWith(w, c, integ, strconv.Itoa(resp.Status), "", resp.Body, resp.Header)
}

// callService sends req through Services within the integration's
// timeout.
func (s *APIGateway) callService(c *call, integ *apigatewayapi.Integration, req ServiceRequest) (ServiceResponse, *gatewayError) {
	if s.services == nil {
		c.logf("Execution failed due to configuration error: AWS service integrations are not available")
		return ServiceResponse{}, &errInternal
	}
	ctx, cancel := context.WithTimeout(c.r.Context(), integrationTimeout(integ))
	defer cancel()
	start := time.Now()
	resp, err := s.services.Call(ctx, req)
	c.integrationLatency = time.Since(start)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return resp, &errTimeout
		}
		if errors.Is(err, ErrConfiguration) {
			c.logf("Execution failed due to configuration error: %s", strings.TrimSuffix(strings.TrimPrefix(err.Error(), ErrConfiguration.Error()+": "), "."))
			return resp, &errInternal
		}
		s.log.Warn("apigateway: AWS service integration failed", "service", req.Service, "error", err)
		return resp, &errInternal
	}
	return resp, nil
}

// logf records an execution log line (written to the stage's execution
// log group when its logging level asks for it, and to niwa's log).
func (c *call) logf(format string, args ...any) {
	c.execLog = append(c.execLog, fmt.Sprintf(format, args...))
}

// client is the HTTP client of an HTTP or HTTP_PROXY integration: over
// the VPC link for VPC_LINK connections.
func (s *APIGateway) client(c *call, integ *apigatewayapi.Integration, target *url.URL) (*http.Client, bool) {
	base := s.backendClient(c, integ)
	if ptr.Deref(integ.ConnectionType) != "VPC_LINK" {
		return base, true
	}
	return s.linkClient(c, integ, base, target)
}

// checkIntegration refuses what API Gateway refuses in an integration:
// a timeout outside 50–29,000 ms, an HTTP URI that is no http(s) URL, an
// AWS URI that names neither a path nor an action, a proxy integration
// of anything but a function, a VPC link without an id or for a non-HTTP
// integration.
func checkIntegration(i *apigatewayapi.Integration) error {
	if t := ptr.Deref(i.TimeoutInMillis); t < 50 || t > 29000 {
		return apigatewayapi.ErrBadRequestException.New("Timeout should be between 50 ms and 29000 ms")
	}
	uri := ptr.Deref(i.Uri)
	switch ptr.Deref(i.Type) {
	case "HTTP", "HTTP_PROXY":
		u, err := url.Parse(uri)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return apigatewayapi.ErrBadRequestException.New("Invalid HTTP endpoint specified for URI")
		}
	case "AWS":
		if _, ok := parseServiceURI(uri); !ok && lambdaFunction(uri) == "" {
			return apigatewayapi.ErrBadRequestException.New("AWS ARN for integration must contain path or action")
		}
	case "AWS_PROXY":
		if lambdaFunction(uri) == "" {
			return apigatewayapi.ErrBadRequestException.New("Integrations of type 'AWS_PROXY' currently only supports Lambda function and Firehose stream invocations.")
		}
	}
	switch ptr.Deref(i.ConnectionType) {
	case "", "INTERNET":
	case "VPC_LINK":
		if t := ptr.Deref(i.Type); t != "HTTP" && t != "HTTP_PROXY" {
			return apigatewayapi.ErrBadRequestException.New("VPC_LINK connections are for HTTP and HTTP_PROXY integrations")
		}
		if ptr.Deref(i.ConnectionId) == "" {
			return apigatewayapi.ErrBadRequestException.New("Connection Id must be set for connection type VPC_LINK")
		}
	default:
		return apigatewayapi.ErrBadRequestException.New("Invalid connection type specified: %s", ptr.Deref(i.ConnectionType))
	}
	return nil
}
