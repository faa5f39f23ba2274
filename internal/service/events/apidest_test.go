package events

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	eventsapi "github.com/niwa-cloud/niwa/internal/api/events"
	"github.com/niwa-cloud/niwa/internal/awserr"
	ibus "github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// httpCall is one request an httptest endpoint received.
type httpCall struct {
	method, path, query, body string
	header                    http.Header
}

// endpoint is an HTTP server standing for the API behind an API
// destination; it answers with status (200 unless set) and records calls.
type endpoint struct {
	*httptest.Server
	mu     sync.Mutex
	status int
	calls  chan httpCall
}

func newEndpoint(t *testing.T) *endpoint {
	ep := &endpoint{status: 200, calls: make(chan httpCall, 100)}
	ep.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.URL.Path == "/token" {
			if u, p, _ := r.BasicAuth(); u != "cid" || p != "csecret" || !strings.Contains(string(b), "grant_type=client_credentials") {
				w.WriteHeader(401)
				return
			}
			_, _ = io.WriteString(w, `{"access_token":"tok-1","expires_in":3600}`)
			return
		}
		ep.mu.Lock()
		st := ep.status
		ep.mu.Unlock()
		ep.calls <- httpCall{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, body: string(b), header: r.Header}
		w.WriteHeader(st)
	}))
	t.Cleanup(ep.Close)
	return ep
}

func (ep *endpoint) next(t *testing.T) httpCall {
	t.Helper()
	select {
	case c := <-ep.calls:
		return c
	case <-time.After(time.Minute): // generous for a loaded machine
	}
	t.Fatal("no HTTP call")
	return httpCall{}
}

func (f *fixture) apiDestination(name, authType string, auth eventsapi.CreateConnectionAuthRequestParameters, endpoint, method string) string {
	f.t.Helper()
	c := must(f.CreateConnection(f.ctx, &eventsapi.CreateConnectionRequest{Name: ptr.To(name), AuthorizationType: ptr.To(authType), AuthParameters: &auth}))
	if *c.ConnectionState != "AUTHORIZED" {
		f.t.Fatalf("state %s", *c.ConnectionState)
	}
	d := must(f.CreateApiDestination(f.ctx, &eventsapi.CreateApiDestinationRequest{Name: ptr.To(name), ConnectionArn: c.ConnectionArn,
		InvocationEndpoint: ptr.To(endpoint), HttpMethod: ptr.To(method)}))
	return *d.ApiDestinationArn
}

// Each authorization type puts its credentials on the request; the
// connection's and the target's parameters are added; path parameters
// fill the endpoint's "*".
func TestAPIDestinationDelivers(t *testing.T) {
	ep := newEndpoint(t)
	cases := []struct {
		name, typ  string
		auth       eventsapi.CreateConnectionAuthRequestParameters
		wantHeader string
		wantValue  string
	}{
		{"key", "API_KEY", eventsapi.CreateConnectionAuthRequestParameters{ApiKeyAuthParameters: &eventsapi.CreateConnectionApiKeyAuthRequestParameters{
			ApiKeyName: ptr.To("x-api-key"), ApiKeyValue: ptr.To("s3cret")}}, "X-Api-Key", "s3cret"},
		{"basic", "BASIC", eventsapi.CreateConnectionAuthRequestParameters{BasicAuthParameters: &eventsapi.CreateConnectionBasicAuthRequestParameters{
			Username: ptr.To("u"), Password: ptr.To("p")}}, "Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("u:p"))},
		{"oauth", "OAUTH_CLIENT_CREDENTIALS", eventsapi.CreateConnectionAuthRequestParameters{OAuthParameters: &eventsapi.CreateConnectionOAuthRequestParameters{
			AuthorizationEndpoint: ptr.To(ep.URL + "/token"), HttpMethod: ptr.To("POST"),
			ClientParameters: &eventsapi.CreateConnectionOAuthClientRequestParameters{ClientID: ptr.To("cid"), ClientSecret: ptr.To("csecret")}}},
			"Authorization", "Bearer tok-1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			c.auth.InvocationHttpParameters = &eventsapi.ConnectionHttpParameters{
				HeaderParameters:      []eventsapi.ConnectionHeaderParameter{{Key: ptr.To("X-Conn"), Value: ptr.To("c1")}},
				QueryStringParameters: []eventsapi.ConnectionQueryStringParameter{{Key: ptr.To("cq"), Value: ptr.To("1"), IsValueSecret: ptr.To(true)}},
				BodyParameters:        []eventsapi.ConnectionBodyParameter{{Key: ptr.To("extra"), Value: ptr.To("b")}},
			}
			arn := f.apiDestination(c.name, c.typ, c.auth, ep.URL+"/orders/*/items", "PUT")
			f.rule("r", `{"source":["aws.ec2"]}`, "", eventsapi.Target{Id: ptr.To("api"), Arn: ptr.To(arn),
				InputTransformer: &eventsapi.InputTransformer{InputPathsMap: map[string]string{"s": "$.detail.state"}, InputTemplate: ptr.To(`{"state": <s>}`)},
				HttpParameters: &eventsapi.HttpParameters{PathParameterValues: []string{"o-1"}, HeaderParameters: map[string]string{"X-Target": "t1"},
					QueryStringParameters: map[string]string{"tq": "2"}}})
			f.bus.Publish(ec2Event("running"))
			got := ep.next(t)
			if got.method != "PUT" || got.path != "/orders/o-1/items" || got.query != "cq=1&tq=2" ||
				got.header.Get(c.wantHeader) != c.wantValue || got.header.Get("X-Conn") != "c1" || got.header.Get("X-Target") != "t1" ||
				got.body != `{"extra":"b","state":"running"}` || !strings.HasPrefix(got.header.Get("Content-Type"), "application/json") {
				t.Fatalf("%+v", got)
			}
			// The secret query value is not shown by DescribeConnection.
			d := must(f.DescribeConnection(f.ctx, &eventsapi.DescribeConnectionRequest{Name: ptr.To(c.name)}))
			if q := d.AuthParameters.InvocationHttpParameters.QueryStringParameters[0]; q.Value != nil {
				t.Fatalf("secret value shown: %+v", q)
			}
			if b := d.AuthParameters.BasicAuthParameters; b != nil && ptr.Deref(b.Username) != "u" {
				t.Fatalf("%+v", b)
			}
		})
	}
}

// 5xx is retried on the clock; 400 goes straight to the dead-letter queue
// with the status as ERROR_CODE; a deauthorized connection fails too.
func TestAPIDestinationFailures(t *testing.T) {
	f := newFixture(t)
	ep := newEndpoint(t)
	arn := f.apiDestination("d", "API_KEY", eventsapi.CreateConnectionAuthRequestParameters{ApiKeyAuthParameters: &eventsapi.CreateConnectionApiKeyAuthRequestParameters{
		ApiKeyName: ptr.To("k"), ApiKeyValue: ptr.To("v")}}, ep.URL+"/hook", "POST")
	ruleArn := f.rule("r", `{"source":["aws.ec2"]}`, "", eventsapi.Target{Id: ptr.To("api"), Arn: ptr.To(arn),
		DeadLetterConfig: &eventsapi.DeadLetterConfig{Arn: ptr.To(queueARN)}})

	ep.mu.Lock()
	ep.status = 503
	ep.mu.Unlock()
	f.bus.Publish(ec2Event("running"))
	ep.next(t)
	f.drain()
	ep.mu.Lock()
	ep.status = 200
	ep.mu.Unlock()
	waitTimer(t, f)
	f.clock.Advance(time.Second) // the first retry
	ep.next(t)
	f.drain()
	if s := f.Stats(ruleArn); s.FailedInvocations != 1 || s.Invocations != 1 || s.DeadLettered != 0 {
		t.Fatalf("after a retried 503: %+v", s)
	}

	ep.mu.Lock()
	ep.status = 400
	ep.mu.Unlock()
	f.bus.Publish(ec2Event("stopped"))
	ep.next(t)
	m := f.next(f.sqs)
	if m.Attributes["ERROR_CODE"] != "400" || m.Attributes["TARGET_ARN"] != arn || m.Attributes["RULE_ARN"] != ruleArn {
		t.Fatalf("dlq %+v", m)
	}

	must(f.DeauthorizeConnection(f.ctx, &eventsapi.DeauthorizeConnectionRequest{Name: ptr.To("d")}))
	f.bus.Publish(ec2Event("running"))
	m = f.next(f.sqs)
	if m.Attributes["ERROR_CODE"] != "CONNECTION_DEAUTHORIZED" {
		t.Fatalf("dlq %+v", m)
	}
	if d := must(f.DescribeConnection(f.ctx, &eventsapi.DescribeConnectionRequest{Name: ptr.To("d")})); *d.ConnectionState != "DEAUTHORIZED" || d.AuthParameters.ApiKeyAuthParameters != nil {
		t.Fatalf("%+v", d)
	}
}

func TestConnectionAndAPIDestinationErrors(t *testing.T) {
	f := newFixture(t)
	key := &eventsapi.CreateConnectionAuthRequestParameters{ApiKeyAuthParameters: &eventsapi.CreateConnectionApiKeyAuthRequestParameters{ApiKeyName: ptr.To("k"), ApiKeyValue: ptr.To("v")}}
	c := must(f.CreateConnection(f.ctx, &eventsapi.CreateConnectionRequest{Name: ptr.To("c"), AuthorizationType: ptr.To("API_KEY"), AuthParameters: key}))
	cases := []struct {
		name string
		call func() error
		code string
		msg  string
	}{
		{"duplicate connection", func() error {
			_, err := f.CreateConnection(f.ctx, &eventsapi.CreateConnectionRequest{Name: ptr.To("c"), AuthorizationType: ptr.To("API_KEY"), AuthParameters: key})
			return err
		}, "ResourceAlreadyExistsException", "Connection c already exists."},
		{"type without its parameters", func() error {
			_, err := f.CreateConnection(f.ctx, &eventsapi.CreateConnectionRequest{Name: ptr.To("x"), AuthorizationType: ptr.To("BASIC"), AuthParameters: key})
			return err
		}, "ValidationException", "BasicAuthParameters must be specified"},
		{"describe missing connection", func() error {
			_, err := f.DescribeConnection(f.ctx, &eventsapi.DescribeConnectionRequest{Name: ptr.To("nope")})
			return err
		}, "ResourceNotFoundException", "Connection 'nope' does not exist."},
		{"destination on missing connection", func() error {
			_, err := f.CreateApiDestination(f.ctx, &eventsapi.CreateApiDestinationRequest{Name: ptr.To("d"), InvocationEndpoint: ptr.To("https://example.com"),
				HttpMethod: ptr.To("POST"), ConnectionArn: ptr.To("arn:aws:events:ap-northeast-1:123456789012:connection/nope/x")})
			return err
		}, "ResourceNotFoundException", "does not exist"},
		{"bad endpoint", func() error {
			_, err := f.CreateApiDestination(f.ctx, &eventsapi.CreateApiDestinationRequest{Name: ptr.To("d"), InvocationEndpoint: ptr.To("ftp://x"),
				HttpMethod: ptr.To("POST"), ConnectionArn: c.ConnectionArn})
			return err
		}, "ValidationException", "InvocationEndpoint"},
		{"describe missing destination", func() error {
			_, err := f.DescribeApiDestination(f.ctx, &eventsapi.DescribeApiDestinationRequest{Name: ptr.To("nope")})
			return err
		}, "ResourceNotFoundException", "An api-destination 'nope' does not exist."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { wantErr(t, c.call(), c.code, c.msg) })
	}
	d := must(f.CreateApiDestination(f.ctx, &eventsapi.CreateApiDestinationRequest{Name: ptr.To("d"), InvocationEndpoint: ptr.To("https://example.com/a"),
		HttpMethod: ptr.To("POST"), ConnectionArn: c.ConnectionArn}))
	u := must(f.UpdateApiDestination(f.ctx, &eventsapi.UpdateApiDestinationRequest{Name: ptr.To("d"), HttpMethod: ptr.To("PATCH"), InvocationRateLimitPerSecond: ptr.To(int32(5))}))
	if *u.ApiDestinationArn != *d.ApiDestinationArn {
		t.Fatal(*u.ApiDestinationArn)
	}
	l := must(f.ListApiDestinations(f.ctx, &eventsapi.ListApiDestinationsRequest{ConnectionArn: c.ConnectionArn}))
	if len(l.ApiDestinations) != 1 || *l.ApiDestinations[0].HttpMethod != "PATCH" || *l.ApiDestinations[0].InvocationRateLimitPerSecond != 5 ||
		*l.ApiDestinations[0].InvocationEndpoint != "https://example.com/a" {
		t.Fatalf("%+v", l.ApiDestinations)
	}
	lc := must(f.ListConnections(f.ctx, &eventsapi.ListConnectionsRequest{NamePrefix: ptr.To("c")}))
	if len(lc.Connections) != 1 || *lc.Connections[0].AuthorizationType != "API_KEY" {
		t.Fatalf("%+v", lc)
	}
	must(f.DeleteApiDestination(f.ctx, &eventsapi.DeleteApiDestinationRequest{Name: ptr.To("d")}))
	del := must(f.DeleteConnection(f.ctx, &eventsapi.DeleteConnectionRequest{Name: ptr.To("c")}))
	if *del.ConnectionState != "DELETING" {
		t.Fatal(*del.ConnectionState)
	}
	_, err := f.DeleteConnection(f.ctx, &eventsapi.DeleteConnectionRequest{Name: ptr.To("c")})
	wantErr(t, err, "ResourceNotFoundException", "Connection 'c' does not exist.")
}

// The dead-letter ERROR_CODE and ERROR_MESSAGE of a failure.
func TestExplainFailure(t *testing.T) {
	const q = "arn:aws:sqs:ap-northeast-1:123456789012:q"
	cases := []struct {
		name     string
		err      error
		code     string
		inMsg    string
		notInMsg string
	}{
		{"policy refusal", awserr.AccessDenied.New("Access to the resource https://sqs.amazonaws.com/ is denied."), "NO_PERMISSIONS",
			"the resource policy of " + q + " does not allow events.amazonaws.com", ""},
		{"missing queue", awserr.Code{Code: "AWS.SimpleQueueService.NonExistentQueue", Status: 400}.New("The specified queue does not exist."), "RESOURCE_NOT_FOUND",
			"does not exist", "resource policy"},
		{"no service", fmt.Errorf("%w: %s", ibus.ErrNoHandler, q), "NO_HANDLER", "no service", ""},
		{"HTTP 404", statusErr(404, "https://example.com"), "404", "HTTP 404", ""},
		{"other", errors.New("boom"), "SDK_CLIENT_ERROR", "boom", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, msg := explain(c.err, q)
			if code != c.code || !strings.Contains(msg, c.inMsg) || (c.notInMsg != "" && strings.Contains(msg, c.notInMsg)) {
				t.Fatalf("%s: %s", code, msg)
			}
		})
	}
}

// InvocationRateLimitPerSecond: invocations over the rate wait on the
// clock for their turn instead of being dropped.
func TestAPIDestinationRateLimit(t *testing.T) {
	f := newFixture(t)
	ep := newEndpoint(t)
	c := must(f.CreateConnection(f.ctx, &eventsapi.CreateConnectionRequest{Name: ptr.To("c"), AuthorizationType: ptr.To("API_KEY"),
		AuthParameters: &eventsapi.CreateConnectionAuthRequestParameters{ApiKeyAuthParameters: &eventsapi.CreateConnectionApiKeyAuthRequestParameters{
			ApiKeyName: ptr.To("k"), ApiKeyValue: ptr.To("v")}}}))
	d := must(f.CreateApiDestination(f.ctx, &eventsapi.CreateApiDestinationRequest{Name: ptr.To("slow"), ConnectionArn: c.ConnectionArn,
		InvocationEndpoint: ptr.To(ep.URL + "/hook"), HttpMethod: ptr.To("POST"), InvocationRateLimitPerSecond: ptr.To(int32(1))}))
	ruleArn := f.rule("r", `{"source":["aws.ec2"]}`, "", eventsapi.Target{Id: ptr.To("api"), Arn: d.ApiDestinationArn})
	for range 3 {
		f.bus.Publish(ec2Event("running"))
	}
	ep.next(t) // the first at once
	f.drain()
	select {
	case c := <-ep.calls:
		t.Fatalf("over the rate: %+v", c)
	default:
	}
	for i := 2; i <= 3; i++ {
		f.clock.Advance(time.Second)
		ep.next(t)
		f.drain()
	}
	if s := f.Stats(ruleArn); s.Invocations != 3 || s.FailedInvocations != 0 {
		t.Fatalf("%+v", s)
	}
}
