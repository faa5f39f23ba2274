package apigatewayv2

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	apigatewayv2api "github.com/niwa-cloud/niwa/internal/api/apigatewayv2"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// Lambda proxy integrations: the events of payload format versions 1.0
// and 2.0 and the answers each accepts (Developer Guide, "Create AWS
// Lambda proxy integrations for HTTP APIs").

// requestTimeLayout is requestContext.time / requestTime.
const requestTimeLayout = "02/Jan/2006:15:04:05 -0700"

// event2 is the payload format 2.0 event.
type event2 struct {
	Version               string            `json:"version"`
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies,omitempty"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	RequestContext        requestContext2   `json:"requestContext"`
	Body                  *string           `json:"body,omitempty"`
	PathParameters        map[string]string `json:"pathParameters,omitempty"`
	IsBase64Encoded       bool              `json:"isBase64Encoded"`
	StageVariables        map[string]string `json:"stageVariables,omitempty"`
}

type requestContext2 struct {
	AccountID    string         `json:"accountId"`
	APIID        string         `json:"apiId"`
	Authorizer   map[string]any `json:"authorizer,omitempty"`
	DomainName   string         `json:"domainName"`
	DomainPrefix string         `json:"domainPrefix"`
	HTTP         httpContext    `json:"http"`
	RequestID    string         `json:"requestId"`
	RouteKey     string         `json:"routeKey"`
	Stage        string         `json:"stage"`
	Time         string         `json:"time"`
	TimeEpoch    int64          `json:"timeEpoch"`
}

type httpContext struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// headers are the request's headers as API Gateway passes them on:
// lower-case names, the Host, and the X-Forwarded-* and trace headers it
// adds.
func (c *call) headers() map[string][]string {
	h := map[string][]string{}
	for k, vs := range c.r.Header {
		h[strings.ToLower(k)] = vs
	}
	h["host"] = []string{c.r.Host}
	fwd := sourceIP(c.r)
	if prior := c.r.Header.Get("X-Forwarded-For"); prior != "" {
		fwd = prior
		if ip := remoteIP(c.r); ip != "" && !strings.Contains(prior, ip) {
			fwd += ", " + ip
		}
	}
	h["x-forwarded-for"] = []string{fwd}
	proto, port := "http", "80"
	if c.r.TLS != nil {
		proto, port = "https", "443"
	}
	if _, p, err := splitHostPort(c.r.Host); err == nil && p != "" {
		port = p
	}
	h["x-forwarded-proto"] = []string{proto}
	h["x-forwarded-port"] = []string{port}
	if len(h["x-amzn-trace-id"]) == 0 {
		h["x-amzn-trace-id"] = []string{"Root=1-" + strconv.FormatInt(c.now.Unix(), 16) + "-" + awsid.Hex(24)}
	}
	return h
}

func remoteIP(r *http.Request) string {
	host, _, err := splitHostPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	return host
}

func splitHostPort(s string) (string, string, error) {
	u := url.URL{Host: s}
	if u.Port() == "" {
		return u.Hostname(), "", nil
	}
	return u.Hostname(), u.Port(), nil
}

// isText tells whether a body of this content type is passed as text;
// anything else reaches the function base64-encoded.
func isText(contentType string, body []byte) bool {
	if contentType == "" {
		return utf8.Valid(body)
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mt, "text/"),
		mt == "application/json", strings.HasSuffix(mt, "+json"),
		mt == "application/xml", strings.HasSuffix(mt, "+xml"),
		mt == "application/javascript", mt == "application/graphql":
		return true
	}
	return false
}

// body is the event's body and whether it is base64-encoded.
func (c *call) eventBody() (*string, bool) {
	if len(c.body) == 0 {
		return nil, false
	}
	if isText(c.r.Header.Get("Content-Type"), c.body) {
		s := string(c.body)
		return &s, false
	}
	s := base64.StdEncoding.EncodeToString(c.body)
	return &s, true
}

func (c *call) routeKey() string { return ptr.Deref(c.route.RouteKey) }

func (c *call) stageName() string { return ptr.Deref(c.stage.StageName) }

// event2 builds the payload format 2.0 event.
func (c *call) event2() event2 {
	hdr := c.headers()
	ev := event2{Version: "2.0", RouteKey: c.routeKey(), RawPath: c.rawPath, RawQueryString: c.r.URL.RawQuery,
		Headers: map[string]string{}, PathParameters: nonEmpty(c.pathParams), StageVariables: nonEmpty(c.stage.StageVariables)}
	for _, k := range headerNames(hdr) {
		if k == "cookie" {
			for _, line := range hdr[k] {
				for _, ck := range strings.Split(line, ";") {
					if ck = strings.TrimSpace(ck); ck != "" {
						ev.Cookies = append(ev.Cookies, ck)
					}
				}
			}
			continue
		}
		ev.Headers[k] = strings.Join(hdr[k], ",")
	}
	if q, err := url.ParseQuery(c.r.URL.RawQuery); err == nil && len(q) > 0 {
		ev.QueryStringParameters = map[string]string{}
		for k, vs := range q {
			ev.QueryStringParameters[k] = strings.Join(vs, ",")
		}
	}
	ev.Body, ev.IsBase64Encoded = c.eventBody()
	ev.RequestContext = requestContext2{AccountID: c.loc.Account, APIID: c.apiID, Authorizer: c.authorizer,
		DomainName: c.domainName(), DomainPrefix: c.domainPrefix(),
		HTTP:      httpContext{Method: c.r.Method, Path: c.rawPath, Protocol: c.r.Proto, SourceIP: sourceIP(c.r), UserAgent: c.r.UserAgent()},
		RequestID: c.reqID, RouteKey: c.routeKey(), Stage: c.stageName(),
		Time: c.now.Format(requestTimeLayout), TimeEpoch: c.now.UnixMilli()}
	return ev
}

func nonEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// event1 is the payload format 1.0 event (REST APIs' proxy event, with
// version).
type event1 struct {
	Version                         string              `json:"version"`
	Resource                        string              `json:"resource"`
	Path                            string              `json:"path"`
	HTTPMethod                      string              `json:"httpMethod"`
	Headers                         map[string]string   `json:"headers"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	RequestContext                  requestContext1     `json:"requestContext"`
	PathParameters                  map[string]string   `json:"pathParameters"`
	StageVariables                  map[string]string   `json:"stageVariables"`
	Body                            *string             `json:"body"`
	IsBase64Encoded                 bool                `json:"isBase64Encoded"`
}

type requestContext1 struct {
	AccountID         string         `json:"accountId"`
	APIID             string         `json:"apiId"`
	Authorizer        map[string]any `json:"authorizer"`
	DomainName        string         `json:"domainName"`
	DomainPrefix      string         `json:"domainPrefix"`
	ExtendedRequestID string         `json:"extendedRequestId"`
	HTTPMethod        string         `json:"httpMethod"`
	Identity          identity1      `json:"identity"`
	Path              string         `json:"path"`
	Protocol          string         `json:"protocol"`
	RequestID         string         `json:"requestId"`
	RequestTime       string         `json:"requestTime"`
	RequestTimeEpoch  int64          `json:"requestTimeEpoch"`
	ResourceID        string         `json:"resourceId"`
	ResourcePath      string         `json:"resourcePath"`
	Stage             string         `json:"stage"`
}

// identity1 is requestContext.identity: the fields AWS sends, null
// where an HTTP API has nothing to say.
type identity1 struct {
	AccessKey                     *string `json:"accessKey"`
	AccountID                     *string `json:"accountId"`
	Caller                        *string `json:"caller"`
	CognitoAuthenticationProvider *string `json:"cognitoAuthenticationProvider"`
	CognitoAuthenticationType     *string `json:"cognitoAuthenticationType"`
	CognitoIdentityID             *string `json:"cognitoIdentityId"`
	CognitoIdentityPoolID         *string `json:"cognitoIdentityPoolId"`
	PrincipalOrgID                *string `json:"principalOrgId"`
	SourceIP                      string  `json:"sourceIp"`
	User                          *string `json:"user"`
	UserAgent                     string  `json:"userAgent"`
	UserArn                       *string `json:"userArn"`
}

// resourcePath is the route's path ($default for the $default route).
func (c *call) resourcePath() string {
	if _, p, ok := strings.Cut(c.routeKey(), " "); ok {
		return p
	}
	return c.routeKey()
}

// event1 builds the payload format 1.0 event.
func (c *call) event1() event1 {
	hdr := c.headers()
	ev := event1{Version: "1.0", Resource: c.resourcePath(), Path: c.rawPath, HTTPMethod: c.r.Method,
		Headers: map[string]string{}, MultiValueHeaders: map[string][]string{},
		PathParameters: nonEmpty(c.pathParams), StageVariables: nonEmpty(c.stage.StageVariables)}
	for _, k := range headerNames(hdr) {
		ev.Headers[k] = hdr[k][len(hdr[k])-1]
		ev.MultiValueHeaders[k] = hdr[k]
	}
	if q, err := url.ParseQuery(c.r.URL.RawQuery); err == nil && len(q) > 0 {
		ev.QueryStringParameters, ev.MultiValueQueryStringParameters = map[string]string{}, map[string][]string{}
		for k, vs := range q {
			ev.QueryStringParameters[k] = vs[len(vs)-1]
			ev.MultiValueQueryStringParameters[k] = vs
		}
	}
	ev.Body, ev.IsBase64Encoded = c.eventBody()
	authz := c.authorizer1()
	ev.RequestContext = requestContext1{AccountID: c.loc.Account, APIID: c.apiID, Authorizer: authz,
		DomainName: c.domainName(), DomainPrefix: c.domainPrefix(), ExtendedRequestID: c.reqID,
		HTTPMethod: c.r.Method, Identity: c.identity1(), Path: c.rawPath, Protocol: c.r.Proto, RequestID: c.reqID,
		RequestTime: c.now.Format(requestTimeLayout), RequestTimeEpoch: c.now.UnixMilli(),
		ResourceID: c.routeKey(), ResourcePath: c.resourcePath(), Stage: c.stageName()}
	return ev
}

func (c *call) identity1() identity1 {
	id := identity1{SourceIP: sourceIP(c.r), UserAgent: c.r.UserAgent()}
	if iamAuth, ok := c.authorizer["iam"].(map[string]any); ok {
		str := func(k string) *string {
			if v, ok := iamAuth[k].(string); ok && v != "" {
				return &v
			}
			return nil
		}
		id.AccessKey, id.AccountID, id.Caller, id.User, id.UserArn = str("accessKey"), str("accountId"), str("callerId"), str("userId"), str("userArn")
	}
	return id
}

// authorizer1 is payload 1.0's requestContext.authorizer: a JWT's
// claims and scopes, or a Lambda authorizer's context (with its
// principalId).
func (c *call) authorizer1() map[string]any {
	if jwt, ok := c.authorizer["jwt"].(map[string]any); ok {
		return map[string]any{"claims": jwt["claims"], "scopes": jwt["scopes"]}
	}
	if l, ok := c.authorizer["lambda"].(map[string]any); ok {
		out := map[string]any{}
		for k, v := range l {
			out[k] = v
		}
		if p, ok := c.authorizer["principalId"]; ok {
			out["principalId"] = p
		}
		return out
	}
	return nil
}

// response is a function's structured answer (both versions).
type response struct {
	StatusCode        *int             `json:"statusCode"`
	Headers           map[string]any   `json:"headers"`
	MultiValueHeaders map[string][]any `json:"multiValueHeaders"`
	Cookies           []string         `json:"cookies"`
	Body              *string          `json:"body"`
	IsBase64Encoded   bool             `json:"isBase64Encoded"`
}

// answer is what the client gets.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// parseResponse reads a function's answer as version reads it: 2.0
// takes any JSON without a statusCode as a 200 application/json body,
// 1.0 requires the structure. ok false is a 500.
func parseResponse(version string, out []byte) (answer, bool) {
	trimmed := bytes.TrimSpace(out)
	if !json.Valid(trimmed) {
		return answer{}, false
	}
	var probe map[string]json.RawMessage
	isObject := json.Unmarshal(trimmed, &probe) == nil
	_, hasStatus := probe["statusCode"]
	if version == "2.0" && (!isObject || !hasStatus) {
		h := http.Header{}
		h.Set("Content-Type", "application/json")
		return answer{status: 200, header: h, body: trimmed}, true
	}
	if !isObject {
		return answer{}, false
	}
	var r response
	if json.Unmarshal(trimmed, &r) != nil || r.StatusCode == nil || *r.StatusCode < 100 || *r.StatusCode > 599 {
		return answer{}, false
	}
	a := answer{status: *r.StatusCode, header: http.Header{}}
	if r.Body != nil {
		a.body = []byte(*r.Body)
		if r.IsBase64Encoded {
			b, err := base64.StdEncoding.DecodeString(*r.Body)
			if err != nil {
				return answer{}, false
			}
			a.body = b
		}
	}
	for k, vs := range r.MultiValueHeaders {
		if version != "1.0" {
			break
		}
		for _, v := range vs {
			a.header.Add(k, scalar(v))
		}
	}
	for k, v := range r.Headers {
		a.header.Set(k, scalar(v))
	}
	if version == "2.0" {
		for _, ck := range r.Cookies {
			a.header.Add("Set-Cookie", ck)
		}
		if a.header.Get("Content-Type") == "" {
			a.header.Set("Content-Type", "application/json")
		}
	}
	return a, true
}

// scalar renders a header value the function gave as JSON.
func scalar(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(t)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// lambdaProxy sends the event of the integration's payload format to the
// function and answers what it returns.
func (s *APIGatewayV2) lambdaProxy(c *call, integ apigatewayv2api.Integration) (gatewayError, bool) {
	version := ptr.Deref(integ.PayloadFormatVersion)
	var ev any
	if version == "1.0" {
		ev = c.event1()
	} else {
		version = "2.0"
		ev = c.event2()
	}
	payload, err := marshal(ev)
	if err != nil {
		return errInternal, false
	}
	fn := lambdaFunction(c.withStageVariables(ptr.Deref(integ.IntegrationUri)))
	out, fnErr, gerr := s.invoke(c.r.Context(), fn, timeout(integ), payload)
	if gerr != nil {
		c.integErr = gerr.message
		return *gerr, false
	}
	c.integStatus = 200
	if fnErr != "" {
		c.integErr = "The Lambda function returned the following error: " + fnErr
		return errInternal, false
	}
	a, ok := parseResponse(version, out)
	if !ok {
		c.integErr = "The response from the Lambda function doesn't match the format that API Gateway expects."
		return errInternal, false
	}
	c.respond(integ, a)
	return gatewayError{}, true
}

// respond writes an integration's answer, with the integration's
// response parameter mappings for its status and the CORS headers.
func (c *call) respond(integ apigatewayv2api.Integration, a answer) {
	a = c.mapResponse(integ, a)
	h := c.w.Header()
	for k, vs := range a.header {
		h[k] = vs
	}
	h.Del("Content-Length")
	h.Set("Content-Length", strconv.Itoa(len(a.body)))
	c.corsHeaders()
	c.w.WriteHeader(a.status)
	if c.r.Method != http.MethodHead {
		_, _ = c.w.Write(a.body)
	}
}

// marshal encodes an event as Lambda receives it: without escaping
// <, > and & (json.Marshal's HTML safety).
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
