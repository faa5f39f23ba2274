package apigatewayv2

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	apigatewayv2api "github.com/niwa-cloud/niwa/internal/api/apigatewayv2"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// HTTP proxy integrations: the request goes to the integration's URI
// ({var} filled from path parameters; the $default route appends the
// whole request path), changed by the integration's parameter mappings,
// and its answer comes back as is (Developer Guide, "Create HTTP proxy
// integrations for HTTP APIs", "Transforming API requests and
// responses").

// hopHeaders are not forwarded either way.
var hopHeaders = map[string]bool{"Connection": true, "Keep-Alive": true, "Proxy-Authenticate": true,
	"Proxy-Authorization": true, "Te": true, "Trailer": true, "Transfer-Encoding": true, "Upgrade": true}

func (s *APIGatewayV2) httpProxy(c *call, integ apigatewayv2api.Integration) (gatewayError, bool) {
	target := c.withStageVariables(ptr.Deref(integ.IntegrationUri))
	for k, v := range c.pathParams {
		target = strings.ReplaceAll(target, "{"+k+"}", (&url.URL{Path: v}).EscapedPath())
		target = strings.ReplaceAll(target, "{"+k+"+}", (&url.URL{Path: v}).EscapedPath())
	}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		c.integErr = "Invalid integration URI"
		return errInternal, false
	}
	if c.routeKey() == defaultRoute {
		u.Path = strings.TrimSuffix(u.Path, "/") + c.path
		u.RawPath = ""
	}
	q := u.Query()
	for k, vs := range c.r.URL.Query() {
		q[k] = append(q[k], vs...)
	}
	hdr := http.Header{}
	for k, vs := range c.r.Header {
		if !hopHeaders[k] {
			hdr[k] = vs
		}
	}
	hdr.Set("X-Forwarded-For", strings.Join(c.headers()["x-forwarded-for"], ","))
	if err := c.mapRequest(integ, u, q, hdr); err != nil {
		c.integErr = err.Error()
		return errInternal, false
	}
	u.RawQuery = q.Encode()
	method := ptr.Deref(integ.IntegrationMethod)
	if method == "" || method == "ANY" {
		method = c.r.Method
	}
	ctx, cancel := context.WithTimeout(c.r.Context(), timeout(integ))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(c.body))
	if err != nil {
		c.integErr = err.Error()
		return errInternal, false
	}
	req.Header = hdr
	if h := hdr.Get("Host"); h != "" {
		req.Host = h
		req.Header.Del("Host")
	}
	resp, err := s.backendClient(integ).Do(req)
	if err != nil {
		c.integErr = err.Error()
		if errors.Is(err, context.DeadlineExceeded) || ctx.Err() != nil {
			return errUnavailable, false
		}
		return errInternal, false
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPayload+1))
	if err != nil {
		c.integErr = err.Error()
		if ctx.Err() != nil {
			return errUnavailable, false
		}
		return errInternal, false
	}
	if len(body) > maxPayload {
		c.integErr = "The integration's response is larger than 10 MB"
		return errInternal, false
	}
	c.integStatus = resp.StatusCode
	h := http.Header{}
	for k, vs := range resp.Header {
		if !hopHeaders[k] {
			h[k] = vs
		}
	}
	c.respond(integ, answer{status: resp.StatusCode, header: h, body: body})
	return gatewayError{}, true
}

// backendClient is the client for an integration: TLS verification of
// the server name the integration names.
func (s *APIGatewayV2) backendClient(integ apigatewayv2api.Integration) *http.Client {
	if integ.TlsConfig == nil || ptr.Deref(integ.TlsConfig.ServerNameToVerify) == "" {
		return s.client
	}
	base, ok := s.client.Transport.(*http.Transport)
	if !ok || base == nil {
		base = http.DefaultTransport.(*http.Transport)
	}
	t := base.Clone()
	t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, ServerName: *integ.TlsConfig.ServerNameToVerify}
	return &http.Client{Transport: t, Timeout: s.client.Timeout}
}

// mappingValue finds the references in a mapping value: $request.*,
// $context.*, $stageVariables.* and $response.* (with or without
// braces).
var mappingValue = lazyre.New(`\$\{([^}]+)\}|\$((?:request|response)\.(?:header|querystring|path|body)(?:\.[A-Za-z0-9_\-.$\[\]*]+)?|request\.path|context\.[A-Za-z0-9_.]+|stageVariables\.[A-Za-z0-9_]+)`)

// expand fills a mapping value's references with lookup.
func expand(v string, lookup func(ref string) string) string {
	return mappingValue.ReplaceAllStringFunc(v, func(m string) string {
		sub := mappingValue.FindStringSubmatch(m)
		ref := sub[1]
		if ref == "" {
			ref = sub[2]
		}
		return lookup(ref)
	})
}

// requestValue answers a request-side reference.
func (c *call) requestValue(ref string) string {
	switch {
	case ref == "request.path":
		return c.path
	case strings.HasPrefix(ref, "request.path."):
		return c.pathParams[strings.TrimPrefix(ref, "request.path.")]
	case strings.HasPrefix(ref, "request.header."):
		return strings.Join(c.r.Header.Values(strings.TrimPrefix(ref, "request.header.")), ",")
	case strings.HasPrefix(ref, "request.querystring."):
		return strings.Join(c.r.URL.Query()[strings.TrimPrefix(ref, "request.querystring.")], ",")
	case strings.HasPrefix(ref, "request.body"):
		return jsonPath(c.body, strings.TrimPrefix(ref, "request.body"))
	case strings.HasPrefix(ref, "stageVariables."):
		return c.stage.StageVariables[strings.TrimPrefix(ref, "stageVariables.")]
	case strings.HasPrefix(ref, "context."):
		return c.contextValue(strings.TrimPrefix(ref, "context."))
	}
	return ""
}

// mapRequest applies the integration's request parameter mappings, in
// AWS's order: remove, then overwrite, then append.
func (c *call) mapRequest(integ apigatewayv2api.Integration, u *url.URL, q url.Values, h http.Header) error {
	keys := make([]string, 0, len(integ.RequestParameters))
	for k := range integ.RequestParameters {
		keys = append(keys, k)
	}
	order := map[string]int{"remove": 0, "overwrite": 1, "append": 2}
	sort.Slice(keys, func(i, j int) bool {
		ai, _, _ := strings.Cut(keys[i], ":")
		aj, _, _ := strings.Cut(keys[j], ":")
		if order[ai] != order[aj] {
			return order[ai] < order[aj]
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		op, target, _ := strings.Cut(k, ":")
		val := expand(integ.RequestParameters[k], c.requestValue)
		switch {
		case target == "path":
			if !strings.HasPrefix(val, "/") {
				val = "/" + val
			}
			u.Path, u.RawPath = val, ""
		case strings.HasPrefix(target, "header."):
			name := strings.TrimPrefix(target, "header.")
			switch op {
			case "remove":
				h.Del(name)
			case "overwrite":
				h.Set(name, val)
			case "append":
				if cur := h.Get(name); cur != "" {
					h.Set(name, cur+","+val)
				} else {
					h.Set(name, val)
				}
			}
		case strings.HasPrefix(target, "querystring."):
			name := strings.TrimPrefix(target, "querystring.")
			switch op {
			case "remove":
				q.Del(name)
			case "overwrite":
				q.Set(name, val)
			case "append":
				q.Add(name, val)
			}
		}
	}
	return nil
}

// mapResponse applies the integration's response parameter mappings for
// the answer's status code.
func (c *call) mapResponse(integ apigatewayv2api.Integration, a answer) answer {
	params, ok := integ.ResponseParameters[strconv.Itoa(a.status)]
	if !ok || len(params) == 0 {
		return a
	}
	resp := a
	lookup := func(ref string) string {
		switch {
		case strings.HasPrefix(ref, "response.header."):
			return strings.Join(resp.header.Values(strings.TrimPrefix(ref, "response.header.")), ",")
		case strings.HasPrefix(ref, "response.body"):
			return jsonPath(resp.body, strings.TrimPrefix(ref, "response.body"))
		}
		return c.requestValue(ref)
	}
	out := answer{status: a.status, header: a.header.Clone(), body: a.body}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		op, target, _ := strings.Cut(k, ":")
		val := expand(params[k], lookup)
		switch {
		case target == "statuscode":
			if n, err := strconv.Atoi(val); err == nil && n >= 100 && n <= 599 {
				out.status = n
			}
		case strings.HasPrefix(target, "header."):
			name := strings.TrimPrefix(target, "header.")
			switch op {
			case "remove":
				out.header.Del(name)
			case "overwrite":
				out.header.Set(name, val)
			case "append":
				out.header.Add(name, val)
			}
		}
	}
	return out
}

// jsonPath evaluates the simple JSONPath API Gateway's mappings take
// ("", ".a.b", ".a[0]", "$.a") over a JSON body; "" when it selects
// nothing. Strings render bare, anything else as JSON.
func jsonPath(body []byte, path string) string {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return ""
	}
	path = strings.TrimPrefix(path, "$")
	for path != "" {
		switch path[0] {
		case '.':
			path = path[1:]
			end := strings.IndexAny(path, ".[")
			if end < 0 {
				end = len(path)
			}
			m, ok := v.(map[string]any)
			if !ok {
				return ""
			}
			v, path = m[path[:end]], path[end:]
		case '[':
			end := strings.IndexByte(path, ']')
			if end < 0 {
				return ""
			}
			idx := strings.Trim(path[1:end], `'"`)
			path = path[end+1:]
			switch t := v.(type) {
			case []any:
				n, err := strconv.Atoi(idx)
				if err != nil || n < 0 || n >= len(t) {
					return ""
				}
				v = t[n]
			case map[string]any:
				v = t[idx]
			default:
				return ""
			}
		default:
			return ""
		}
	}
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	}
	b, _ := json.Marshal(v)
	return string(b)
}
