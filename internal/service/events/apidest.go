package events

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	eventsapi "github.com/niwa-cloud/niwa/internal/api/events"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Connections and API destinations: HTTP endpoints as rule targets.
//
// AWS keeps a connection's credentials in a Secrets Manager secret it
// manages (SecretArn, "events!connection/..."); niwa has no Secrets
// Manager, so they live in the connection's record in niwa's store and the
// SecretArn is reported in AWS's form without a secret behind it.

var (
	connections     = storage.NewTable[connectionRecord]("connection")
	apiDestinations = storage.NewTable[apiDestinationRecord]("api-destination")
)

type connectionRecord struct {
	Name              string
	UUID              string
	Description       string `json:",omitempty"`
	AuthorizationType string
	// Auth holds the credentials as given (secrets included).
	Auth           eventsapi.CreateConnectionAuthRequestParameters
	State          string
	Created        time.Time
	Modified       time.Time
	LastAuthorized *time.Time `json:",omitempty"`
}

type apiDestinationRecord struct {
	Name          string
	UUID          string
	Description   string `json:",omitempty"`
	ConnectionArn string
	Endpoint      string
	HTTPMethod    string
	RateLimit     int32
	State         string
	Created       time.Time
	Modified      time.Time
}

// apiDestinationTimeout is AWS's limit on one HTTP invocation: a slower
// endpoint times out and the delivery is retried.
const apiDestinationTimeout = 5 * time.Second

// defaultRateLimit is InvocationRateLimitPerSecond when not given.
const defaultRateLimit = 300

func connectionARN(sc storage.Scope, name, id string) string {
	return fmt.Sprintf("arn:aws:events:%s:%s:connection/%s/%s", sc.Region, sc.Account, name, id)
}

func apiDestinationARN(sc storage.Scope, name, id string) string {
	return fmt.Sprintf("arn:aws:events:%s:%s:api-destination/%s/%s", sc.Region, sc.Account, name, id)
}

func connectionNotFound(verb, name string) error {
	return eventsapi.ErrResourceNotFoundException.New("Failed to %s the connection(s). Connection '%s' does not exist.", verb, name)
}

func apiDestinationNotFound(verb, name string) error {
	return eventsapi.ErrResourceNotFoundException.New("Failed to %s the api-destination(s). An api-destination '%s' does not exist.", verb, name)
}

// checkAuth checks that the parameters of the authorization type are
// present (AWS refuses a connection whose type and parameters disagree).
func checkAuth(typ string, a *eventsapi.CreateConnectionAuthRequestParameters) error {
	if a == nil {
		return validation("Parameter AuthParameters is not valid.")
	}
	switch typ {
	case "API_KEY":
		if p := a.ApiKeyAuthParameters; p == nil || ptr.Deref(p.ApiKeyName) == "" || ptr.Deref(p.ApiKeyValue) == "" {
			return validation("ApiKeyAuthParameters must be specified when AuthorizationType is API_KEY.")
		}
	case "BASIC":
		if p := a.BasicAuthParameters; p == nil || ptr.Deref(p.Username) == "" || ptr.Deref(p.Password) == "" {
			return validation("BasicAuthParameters must be specified when AuthorizationType is BASIC.")
		}
	case "OAUTH_CLIENT_CREDENTIALS":
		p := a.OAuthParameters
		if p == nil || p.ClientParameters == nil || ptr.Deref(p.AuthorizationEndpoint) == "" || ptr.Deref(p.HttpMethod) == "" {
			return validation("OAuthParameters must be specified when AuthorizationType is OAUTH_CLIENT_CREDENTIALS.")
		}
		if _, err := url.ParseRequestURI(*p.AuthorizationEndpoint); err != nil {
			return validation("Parameter AuthorizationEndpoint is not valid.")
		}
	default:
		return validation("Parameter AuthorizationType is not valid.")
	}
	n := 0
	for _, set := range []bool{a.ApiKeyAuthParameters != nil, a.BasicAuthParameters != nil, a.OAuthParameters != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		return validation("Only one of BasicAuthParameters, OAuthParameters, or ApiKeyAuthParameters must be provided.")
	}
	return nil
}

// CreateConnection creates a connection; API key and basic credentials
// are usable at once (AUTHORIZED), OAuth tokens are fetched on first use.
func (e *Events) CreateConnection(ctx *request.Context, in *eventsapi.CreateConnectionRequest) (*eventsapi.CreateConnectionResponse, error) {
	sc := scope(ctx)
	name, typ := ptr.Deref(in.Name), ptr.Deref(in.AuthorizationType)
	if err := checkAuth(typ, in.AuthParameters); err != nil {
		return nil, err
	}
	now := ctx.Now()
	rec := connectionRecord{Name: name, UUID: awsid.UUID(), Description: ptr.Deref(in.Description), AuthorizationType: typ,
		Auth: *in.AuthParameters, State: "AUTHORIZED", Created: now, Modified: now, LastAuthorized: &now}
	err := e.store.Update(func(tx storage.Tx) error {
		if _, ok, err := connections.Get(tx, sc, name); err != nil {
			return err
		} else if ok {
			return eventsapi.ErrResourceAlreadyExistsException.New("Connection %s already exists.", name)
		}
		return connections.Put(tx, sc, rec, name)
	})
	if err != nil {
		return nil, err
	}
	return &eventsapi.CreateConnectionResponse{ConnectionArn: ptr.To(connectionARN(sc, name, rec.UUID)), ConnectionState: ptr.To(rec.State),
		CreationTime: ptr.To(rec.Created), LastModifiedTime: ptr.To(rec.Modified)}, nil
}

func (e *Events) getConnection(sc storage.Scope, name, verb string) (connectionRecord, error) {
	var c connectionRecord
	err := e.store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		c, ok, err = connections.Get(tx, sc, name)
		if err == nil && !ok {
			err = connectionNotFound(verb, name)
		}
		return err
	})
	return c, err
}

// publicHTTPParams drops the values marked secret, as DescribeConnection
// does.
func publicHTTPParams(p *eventsapi.ConnectionHttpParameters) *eventsapi.ConnectionHttpParameters {
	if p == nil {
		return nil
	}
	out := &eventsapi.ConnectionHttpParameters{}
	for _, h := range p.HeaderParameters {
		if ptr.Deref(h.IsValueSecret) {
			h.Value = nil
		}
		out.HeaderParameters = append(out.HeaderParameters, h)
	}
	for _, q := range p.QueryStringParameters {
		if ptr.Deref(q.IsValueSecret) {
			q.Value = nil
		}
		out.QueryStringParameters = append(out.QueryStringParameters, q)
	}
	for _, b := range p.BodyParameters {
		if ptr.Deref(b.IsValueSecret) {
			b.Value = nil
		}
		out.BodyParameters = append(out.BodyParameters, b)
	}
	return out
}

// DescribeConnection describes a connection without its secrets.
func (e *Events) DescribeConnection(ctx *request.Context, in *eventsapi.DescribeConnectionRequest) (*eventsapi.DescribeConnectionResponse, error) {
	sc := scope(ctx)
	c, err := e.getConnection(sc, ptr.Deref(in.Name), "describe")
	if err != nil {
		return nil, err
	}
	a := &eventsapi.ConnectionAuthResponseParameters{InvocationHttpParameters: publicHTTPParams(c.Auth.InvocationHttpParameters)}
	if p := c.Auth.ApiKeyAuthParameters; p != nil {
		a.ApiKeyAuthParameters = &eventsapi.ConnectionApiKeyAuthResponseParameters{ApiKeyName: p.ApiKeyName}
	}
	if p := c.Auth.BasicAuthParameters; p != nil {
		a.BasicAuthParameters = &eventsapi.ConnectionBasicAuthResponseParameters{Username: p.Username}
	}
	if p := c.Auth.OAuthParameters; p != nil {
		a.OAuthParameters = &eventsapi.ConnectionOAuthResponseParameters{AuthorizationEndpoint: p.AuthorizationEndpoint, HttpMethod: p.HttpMethod,
			OAuthHttpParameters: publicHTTPParams(p.OAuthHttpParameters)}
		if p.ClientParameters != nil {
			a.OAuthParameters.ClientParameters = &eventsapi.ConnectionOAuthClientResponseParameters{ClientID: p.ClientParameters.ClientID}
		}
	}
	out := &eventsapi.DescribeConnectionResponse{ConnectionArn: ptr.To(connectionARN(sc, c.Name, c.UUID)), Name: ptr.To(c.Name),
		ConnectionState: ptr.To(c.State), AuthorizationType: ptr.To(c.AuthorizationType), AuthParameters: a,
		SecretArn:    ptr.To(fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:events!connection/%s/%s-%s", sc.Region, sc.Account, c.Name, c.UUID, c.UUID[:6])),
		CreationTime: ptr.To(c.Created), LastModifiedTime: ptr.To(c.Modified), LastAuthorizedTime: c.LastAuthorized}
	if c.Description != "" {
		out.Description = ptr.To(c.Description)
	}
	return out, nil
}

// ListConnections lists connections by name.
func (e *Events) ListConnections(ctx *request.Context, in *eventsapi.ListConnectionsRequest) (*eventsapi.ListConnectionsResponse, error) {
	sc := scope(ctx)
	all, err := sortedByName(e.store, connections, sc, func(c connectionRecord) string { return c.Name }, func(c connectionRecord) bool {
		return strings.HasPrefix(c.Name, ptr.Deref(in.NamePrefix)) && (in.ConnectionState == nil || c.State == *in.ConnectionState)
	})
	if err != nil {
		return nil, err
	}
	items, next := page(all, func(c connectionRecord) string { return c.Name }, in.NextToken, in.Limit)
	out := &eventsapi.ListConnectionsResponse{Connections: []eventsapi.Connection{}, NextToken: next}
	for _, c := range items {
		out.Connections = append(out.Connections, eventsapi.Connection{ConnectionArn: ptr.To(connectionARN(sc, c.Name, c.UUID)), Name: ptr.To(c.Name),
			ConnectionState: ptr.To(c.State), AuthorizationType: ptr.To(c.AuthorizationType), CreationTime: ptr.To(c.Created),
			LastModifiedTime: ptr.To(c.Modified), LastAuthorizedTime: c.LastAuthorized})
	}
	return out, nil
}

// UpdateConnection changes a connection's description, type or
// credentials (given parts replace the stored ones) and authorizes it
// again.
func (e *Events) UpdateConnection(ctx *request.Context, in *eventsapi.UpdateConnectionRequest) (*eventsapi.UpdateConnectionResponse, error) {
	sc := scope(ctx)
	name := ptr.Deref(in.Name)
	var rec connectionRecord
	err := e.store.Update(func(tx storage.Tx) error {
		c, ok, err := connections.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			return connectionNotFound("update", name)
		}
		if in.Description != nil {
			c.Description = *in.Description
		}
		if in.AuthorizationType != nil && *in.AuthorizationType != c.AuthorizationType {
			// A new type drops the old type's credentials.
			c.AuthorizationType = *in.AuthorizationType
			c.Auth = eventsapi.CreateConnectionAuthRequestParameters{InvocationHttpParameters: c.Auth.InvocationHttpParameters}
		}
		if a := in.AuthParameters; a != nil {
			if p := a.ApiKeyAuthParameters; p != nil {
				cur := ptr.Deref(c.Auth.ApiKeyAuthParameters)
				cur.ApiKeyName = or(p.ApiKeyName, cur.ApiKeyName)
				cur.ApiKeyValue = or(p.ApiKeyValue, cur.ApiKeyValue)
				c.Auth.ApiKeyAuthParameters = &cur
			}
			if p := a.BasicAuthParameters; p != nil {
				cur := ptr.Deref(c.Auth.BasicAuthParameters)
				cur.Username = or(p.Username, cur.Username)
				cur.Password = or(p.Password, cur.Password)
				c.Auth.BasicAuthParameters = &cur
			}
			if p := a.OAuthParameters; p != nil {
				cur := ptr.Deref(c.Auth.OAuthParameters)
				cur.AuthorizationEndpoint = or(p.AuthorizationEndpoint, cur.AuthorizationEndpoint)
				cur.HttpMethod = or(p.HttpMethod, cur.HttpMethod)
				if p.OAuthHttpParameters != nil {
					cur.OAuthHttpParameters = p.OAuthHttpParameters
				}
				if cp := p.ClientParameters; cp != nil {
					cl := ptr.Deref(cur.ClientParameters)
					cl.ClientID = or(cp.ClientID, cl.ClientID)
					cl.ClientSecret = or(cp.ClientSecret, cl.ClientSecret)
					cur.ClientParameters = &cl
				}
				c.Auth.OAuthParameters = &cur
			}
			if a.InvocationHttpParameters != nil {
				c.Auth.InvocationHttpParameters = a.InvocationHttpParameters
			}
		}
		if err := checkAuth(c.AuthorizationType, &c.Auth); err != nil {
			return err
		}
		now := ctx.Now()
		c.State, c.Modified, c.LastAuthorized = "AUTHORIZED", now, &now
		rec = c
		return connections.Put(tx, sc, c, name)
	})
	if err != nil {
		return nil, err
	}
	e.dropToken(connectionARN(sc, rec.Name, rec.UUID))
	return &eventsapi.UpdateConnectionResponse{ConnectionArn: ptr.To(connectionARN(sc, rec.Name, rec.UUID)), ConnectionState: ptr.To(rec.State),
		CreationTime: ptr.To(rec.Created), LastModifiedTime: ptr.To(rec.Modified), LastAuthorizedTime: rec.LastAuthorized}, nil
}

func or(p, cur *string) *string {
	if p != nil {
		return p
	}
	return cur
}

// DeauthorizeConnection removes a connection's credentials; API
// destinations using it fail until UpdateConnection authorizes it again.
func (e *Events) DeauthorizeConnection(ctx *request.Context, in *eventsapi.DeauthorizeConnectionRequest) (*eventsapi.DeauthorizeConnectionResponse, error) {
	sc := scope(ctx)
	name := ptr.Deref(in.Name)
	var rec connectionRecord
	err := e.store.Update(func(tx storage.Tx) error {
		c, ok, err := connections.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			return connectionNotFound("deauthorize", name)
		}
		c.Auth = eventsapi.CreateConnectionAuthRequestParameters{InvocationHttpParameters: c.Auth.InvocationHttpParameters}
		c.State, c.Modified = "DEAUTHORIZED", ctx.Now()
		rec = c
		return connections.Put(tx, sc, c, name)
	})
	if err != nil {
		return nil, err
	}
	e.dropToken(connectionARN(sc, rec.Name, rec.UUID))
	return &eventsapi.DeauthorizeConnectionResponse{ConnectionArn: ptr.To(connectionARN(sc, rec.Name, rec.UUID)), ConnectionState: ptr.To("DEAUTHORIZING"),
		CreationTime: ptr.To(rec.Created), LastModifiedTime: ptr.To(rec.Modified), LastAuthorizedTime: rec.LastAuthorized}, nil
}

// DeleteConnection deletes a connection.
func (e *Events) DeleteConnection(ctx *request.Context, in *eventsapi.DeleteConnectionRequest) (*eventsapi.DeleteConnectionResponse, error) {
	sc := scope(ctx)
	name := ptr.Deref(in.Name)
	var rec connectionRecord
	err := e.store.Update(func(tx storage.Tx) error {
		c, ok, err := connections.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			return connectionNotFound("delete", name)
		}
		rec = c
		return connections.Delete(tx, sc, name)
	})
	if err != nil {
		return nil, err
	}
	e.dropToken(connectionARN(sc, rec.Name, rec.UUID))
	return &eventsapi.DeleteConnectionResponse{ConnectionArn: ptr.To(connectionARN(sc, rec.Name, rec.UUID)), ConnectionState: ptr.To("DELETING"),
		CreationTime: ptr.To(rec.Created), LastModifiedTime: ptr.To(rec.Modified), LastAuthorizedTime: rec.LastAuthorized}, nil
}

// checkEndpoint accepts http and https URLs (AWS requires https; a local
// cloud calls local test servers, which rarely have certificates).
func checkEndpoint(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return validation("Parameter InvocationEndpoint is not valid.")
	}
	return nil
}

// connectionByARN finds the connection an ARN names (same account and
// region as sc).
func connectionByARN(tx storage.Tx, sc storage.Scope, arn string) (connectionRecord, bool, error) {
	csc, res, ok := parseARN(arn)
	parts := strings.Split(res, "/")
	if !ok || csc != sc || len(parts) != 3 || parts[0] != "connection" {
		return connectionRecord{}, false, nil
	}
	c, found, err := connections.Get(tx, sc, parts[1])
	if err != nil || !found || c.UUID != parts[2] {
		return connectionRecord{}, false, err
	}
	return c, true, nil
}

// CreateApiDestination creates an API destination on a connection.
func (e *Events) CreateApiDestination(ctx *request.Context, in *eventsapi.CreateApiDestinationRequest) (*eventsapi.CreateApiDestinationResponse, error) {
	sc := scope(ctx)
	name := ptr.Deref(in.Name)
	if err := checkEndpoint(ptr.Deref(in.InvocationEndpoint)); err != nil {
		return nil, err
	}
	now := ctx.Now()
	rec := apiDestinationRecord{Name: name, UUID: awsid.UUID(), Description: ptr.Deref(in.Description), ConnectionArn: ptr.Deref(in.ConnectionArn),
		Endpoint: ptr.Deref(in.InvocationEndpoint), HTTPMethod: ptr.Deref(in.HttpMethod), RateLimit: defaultRateLimit, State: "ACTIVE", Created: now, Modified: now}
	if in.InvocationRateLimitPerSecond != nil {
		rec.RateLimit = *in.InvocationRateLimitPerSecond
	}
	err := e.store.Update(func(tx storage.Tx) error {
		if _, ok, err := connectionByARN(tx, sc, rec.ConnectionArn); err != nil {
			return err
		} else if !ok {
			return eventsapi.ErrResourceNotFoundException.New("Connection '%s' does not exist.", rec.ConnectionArn)
		}
		if _, ok, err := apiDestinations.Get(tx, sc, name); err != nil {
			return err
		} else if ok {
			return eventsapi.ErrResourceAlreadyExistsException.New("An api-destination '%s' already exists.", name)
		}
		return apiDestinations.Put(tx, sc, rec, name)
	})
	if err != nil {
		return nil, err
	}
	return &eventsapi.CreateApiDestinationResponse{ApiDestinationArn: ptr.To(apiDestinationARN(sc, name, rec.UUID)), ApiDestinationState: ptr.To(rec.State),
		CreationTime: ptr.To(rec.Created), LastModifiedTime: ptr.To(rec.Modified)}, nil
}

// DescribeApiDestination describes an API destination.
func (e *Events) DescribeApiDestination(ctx *request.Context, in *eventsapi.DescribeApiDestinationRequest) (*eventsapi.DescribeApiDestinationResponse, error) {
	sc := scope(ctx)
	name := ptr.Deref(in.Name)
	var d apiDestinationRecord
	err := e.store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		d, ok, err = apiDestinations.Get(tx, sc, name)
		if err == nil && !ok {
			err = apiDestinationNotFound("describe", name)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &eventsapi.DescribeApiDestinationResponse{ApiDestinationArn: ptr.To(apiDestinationARN(sc, d.Name, d.UUID)), Name: ptr.To(d.Name),
		ApiDestinationState: ptr.To(d.State), ConnectionArn: ptr.To(d.ConnectionArn), InvocationEndpoint: ptr.To(d.Endpoint),
		HttpMethod: ptr.To(d.HTTPMethod), InvocationRateLimitPerSecond: ptr.To(d.RateLimit), CreationTime: ptr.To(d.Created), LastModifiedTime: ptr.To(d.Modified)}
	if d.Description != "" {
		out.Description = ptr.To(d.Description)
	}
	return out, nil
}

// ListApiDestinations lists API destinations by name.
func (e *Events) ListApiDestinations(ctx *request.Context, in *eventsapi.ListApiDestinationsRequest) (*eventsapi.ListApiDestinationsResponse, error) {
	sc := scope(ctx)
	all, err := sortedByName(e.store, apiDestinations, sc, func(d apiDestinationRecord) string { return d.Name }, func(d apiDestinationRecord) bool {
		return strings.HasPrefix(d.Name, ptr.Deref(in.NamePrefix)) && (in.ConnectionArn == nil || d.ConnectionArn == *in.ConnectionArn)
	})
	if err != nil {
		return nil, err
	}
	items, next := page(all, func(d apiDestinationRecord) string { return d.Name }, in.NextToken, in.Limit)
	out := &eventsapi.ListApiDestinationsResponse{ApiDestinations: []eventsapi.ApiDestination{}, NextToken: next}
	for _, d := range items {
		out.ApiDestinations = append(out.ApiDestinations, eventsapi.ApiDestination{ApiDestinationArn: ptr.To(apiDestinationARN(sc, d.Name, d.UUID)),
			Name: ptr.To(d.Name), ApiDestinationState: ptr.To(d.State), ConnectionArn: ptr.To(d.ConnectionArn), InvocationEndpoint: ptr.To(d.Endpoint),
			HttpMethod: ptr.To(d.HTTPMethod), InvocationRateLimitPerSecond: ptr.To(d.RateLimit), CreationTime: ptr.To(d.Created), LastModifiedTime: ptr.To(d.Modified)})
	}
	return out, nil
}

// UpdateApiDestination changes the given fields of an API destination.
func (e *Events) UpdateApiDestination(ctx *request.Context, in *eventsapi.UpdateApiDestinationRequest) (*eventsapi.UpdateApiDestinationResponse, error) {
	sc := scope(ctx)
	name := ptr.Deref(in.Name)
	if in.InvocationEndpoint != nil {
		if err := checkEndpoint(*in.InvocationEndpoint); err != nil {
			return nil, err
		}
	}
	var rec apiDestinationRecord
	err := e.store.Update(func(tx storage.Tx) error {
		d, ok, err := apiDestinations.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			return apiDestinationNotFound("update", name)
		}
		if in.ConnectionArn != nil {
			if _, ok, err := connectionByARN(tx, sc, *in.ConnectionArn); err != nil {
				return err
			} else if !ok {
				return eventsapi.ErrResourceNotFoundException.New("Connection '%s' does not exist.", *in.ConnectionArn)
			}
			d.ConnectionArn = *in.ConnectionArn
		}
		d.Description = ptr.Deref(or(in.Description, &d.Description))
		d.Endpoint = ptr.Deref(or(in.InvocationEndpoint, &d.Endpoint))
		d.HTTPMethod = ptr.Deref(or(in.HttpMethod, &d.HTTPMethod))
		if in.InvocationRateLimitPerSecond != nil {
			d.RateLimit = *in.InvocationRateLimitPerSecond
		}
		d.Modified = ctx.Now()
		rec = d
		return apiDestinations.Put(tx, sc, d, name)
	})
	if err != nil {
		return nil, err
	}
	return &eventsapi.UpdateApiDestinationResponse{ApiDestinationArn: ptr.To(apiDestinationARN(sc, name, rec.UUID)), ApiDestinationState: ptr.To(rec.State),
		CreationTime: ptr.To(rec.Created), LastModifiedTime: ptr.To(rec.Modified)}, nil
}

// DeleteApiDestination deletes an API destination.
func (e *Events) DeleteApiDestination(ctx *request.Context, in *eventsapi.DeleteApiDestinationRequest) (*eventsapi.DeleteApiDestinationResponse, error) {
	sc := scope(ctx)
	name := ptr.Deref(in.Name)
	err := e.store.Update(func(tx storage.Tx) error {
		ok, err := apiDestinations.DeleteExisting(tx, sc, name)
		if err == nil && !ok {
			err = apiDestinationNotFound("delete", name)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &eventsapi.DeleteApiDestinationResponse{}, nil
}

// isAPIDestination reports whether a target ARN is an API destination.
func isAPIDestination(arn string) bool {
	_, res, ok := parseARN(arn)
	return ok && strings.HasPrefix(res, "api-destination/")
}

// permanentError is a delivery failure that retrying cannot mend (an
// HTTP status AWS does not retry): the event goes to the dead-letter
// queue at once.
type permanentError struct {
	code string
	err  error
}

func (p *permanentError) Error() string { return p.err.Error() }
func (p *permanentError) Unwrap() error { return p.err }

// errorCode is the ERROR_CODE attribute of a dead-lettered failure.
func errorCode(err error) string {
	if p := (*permanentError)(nil); errors.As(err, &p) {
		return p.code
	}
	return ""
}

// tokens caches OAuth access tokens by connection ARN.
type tokens struct {
	mu sync.Mutex
	m  map[string]token
}

type token struct {
	value   string
	expires time.Time
}

func (e *Events) dropToken(connARN string) {
	e.tok.mu.Lock()
	delete(e.tok.m, connARN)
	e.tok.mu.Unlock()
}

// invokeAPIDestination sends one event to an API destination: the
// destination's method and endpoint (each "*" replaced by the target's
// PathParameterValues in order), the connection's and the target's
// headers and query parameters, the connection's authorization, and the
// event (or transformed input) as the body.
func (e *Events) invokeAPIDestination(ctx context.Context, sc storage.Scope, t eventsapi.Target, body string) error {
	_, res, _ := parseARN(ptr.Deref(t.Arn))
	parts := strings.Split(res, "/")
	var d apiDestinationRecord
	var c connectionRecord
	err := e.store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		if len(parts) == 3 {
			d, ok, err = apiDestinations.Get(tx, sc, parts[1])
		}
		if err != nil {
			return err
		}
		if !ok || d.UUID != parts[2] {
			return &permanentError{code: "RESOURCE_NOT_FOUND", err: fmt.Errorf("api destination %s does not exist", ptr.Deref(t.Arn))}
		}
		if c, ok, err = connectionByARN(tx, sc, d.ConnectionArn); err != nil {
			return err
		} else if !ok {
			return &permanentError{code: "RESOURCE_NOT_FOUND", err: fmt.Errorf("connection %s does not exist", d.ConnectionArn)}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if c.State != "AUTHORIZED" {
		return &permanentError{code: "CONNECTION_DEAUTHORIZED", err: fmt.Errorf("connection %s is %s", c.Name, c.State)}
	}
	endpoint := d.Endpoint
	if hp := t.HttpParameters; hp != nil {
		for _, v := range hp.PathParameterValues {
			endpoint = strings.Replace(endpoint, "*", url.PathEscape(v), 1)
		}
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return &permanentError{code: "INVALID_ENDPOINT", err: err}
	}
	q := u.Query()
	hdr := http.Header{}
	hdr.Set("Content-Type", "application/json; charset=utf-8")
	hdr.Set("User-Agent", "Amazon/EventBridge/ApiDestinations")
	if ip := c.Auth.InvocationHttpParameters; ip != nil {
		for _, h := range ip.HeaderParameters {
			hdr.Set(ptr.Deref(h.Key), ptr.Deref(h.Value))
		}
		for _, p := range ip.QueryStringParameters {
			q.Set(ptr.Deref(p.Key), ptr.Deref(p.Value))
		}
		body = mergeBodyParams(body, ip.BodyParameters)
	}
	if hp := t.HttpParameters; hp != nil {
		for k, v := range hp.HeaderParameters {
			hdr.Set(k, v)
		}
		for k, v := range hp.QueryStringParameters {
			q.Set(k, v)
		}
	}
	switch c.AuthorizationType {
	case "API_KEY":
		p := ptr.Deref(c.Auth.ApiKeyAuthParameters)
		hdr.Set(ptr.Deref(p.ApiKeyName), ptr.Deref(p.ApiKeyValue))
	case "BASIC":
		p := ptr.Deref(c.Auth.BasicAuthParameters)
		hdr.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(ptr.Deref(p.Username)+":"+ptr.Deref(p.Password))))
	case "OAUTH_CLIENT_CREDENTIALS":
		tok, err := e.oauthToken(ctx, connectionARN(sc, c.Name, c.UUID), c)
		if err != nil {
			return err
		}
		hdr.Set("Authorization", "Bearer "+tok)
	}
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(ctx, apiDestinationTimeout)
	defer cancel()
	var rd io.Reader
	if d.HTTPMethod != http.MethodGet && d.HTTPMethod != http.MethodHead {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, d.HTTPMethod, u.String(), rd)
	if err != nil {
		return &permanentError{code: "INVALID_ENDPOINT", err: err}
	}
	req.Header = hdr
	resp, err := e.http.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	return statusErr(resp.StatusCode, d.Endpoint)
}

// statusErr maps an endpoint's answer to a delivery result: 2xx is
// delivered; 401, 407, 409, 429 and 5xx are retried; other statuses are
// not (AWS's API destination retry rules).
func statusErr(code int, endpoint string) error {
	if code >= 200 && code < 300 {
		return nil
	}
	err := fmt.Errorf("%s answered HTTP %d", endpoint, code)
	switch {
	case code == 401, code == 407, code == 409, code == 429, code >= 500:
		return err
	}
	return &permanentError{code: fmt.Sprintf("%d", code), err: err}
}

// mergeBodyParams adds the connection's body parameters to a JSON object
// body (other bodies are sent as they are).
func mergeBodyParams(body string, params []eventsapi.ConnectionBodyParameter) string {
	if len(params) == 0 {
		return body
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal([]byte(body), &obj) != nil || obj == nil {
		return body
	}
	for _, p := range params {
		v, _ := json.Marshal(ptr.Deref(p.Value))
		obj[ptr.Deref(p.Key)] = v
	}
	b, _ := json.Marshal(obj)
	return string(b)
}

// oauthToken returns a cached access token of the connection or asks its
// authorization endpoint for one (client credentials in a Basic
// Authorization header, the OAuth HTTP parameters added).
func (e *Events) oauthToken(ctx context.Context, connARN string, c connectionRecord) (string, error) {
	now := e.clock.Now()
	e.tok.mu.Lock()
	t, ok := e.tok.m[connARN]
	e.tok.mu.Unlock()
	if ok && now.Before(t.expires) {
		return t.value, nil
	}
	p := ptr.Deref(c.Auth.OAuthParameters)
	cl := ptr.Deref(p.ClientParameters)
	u, err := url.Parse(ptr.Deref(p.AuthorizationEndpoint))
	if err != nil {
		return "", &permanentError{code: "OAUTH_ERROR", err: err}
	}
	q := u.Query()
	hdr := http.Header{}
	form := url.Values{}
	if hp := p.OAuthHttpParameters; hp != nil {
		for _, h := range hp.HeaderParameters {
			hdr.Set(ptr.Deref(h.Key), ptr.Deref(h.Value))
		}
		for _, x := range hp.QueryStringParameters {
			q.Set(ptr.Deref(x.Key), ptr.Deref(x.Value))
		}
		for _, b := range hp.BodyParameters {
			form.Set(ptr.Deref(b.Key), ptr.Deref(b.Value))
		}
	}
	if form.Get("grant_type") == "" {
		form.Set("grant_type", "client_credentials")
	}
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(ctx, apiDestinationTimeout)
	defer cancel()
	var rd io.Reader
	method := ptr.Deref(p.HttpMethod)
	if method == http.MethodGet {
		for k, v := range form {
			q[k] = v
		}
		u.RawQuery = q.Encode()
	} else {
		rd = strings.NewReader(form.Encode())
		hdr.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return "", &permanentError{code: "OAUTH_ERROR", err: err}
	}
	req.Header = hdr
	req.SetBasicAuth(ptr.Deref(cl.ClientID), ptr.Deref(cl.ClientSecret))
	resp, err := e.http.Do(req)
	if err != nil {
		return "", err
	}
	defer func() { _ = resp.Body.Close() }()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("OAuth endpoint %s answered HTTP %d", u.Redacted(), resp.StatusCode)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.NewDecoder(bytes.NewReader(raw)).Decode(&tr); err != nil || tr.AccessToken == "" {
		return "", fmt.Errorf("OAuth endpoint %s returned no access_token", u.Redacted())
	}
	exp := now.Add(time.Hour)
	if tr.ExpiresIn > 0 {
		exp = now.Add(time.Duration(tr.ExpiresIn) * time.Second)
	}
	e.tok.mu.Lock()
	e.tok.m[connARN] = token{value: tr.AccessToken, expires: exp}
	e.tok.mu.Unlock()
	return tr.AccessToken, nil
}

// limiter is a token bucket per API destination on the platform clock:
// InvocationRateLimitPerSecond tokens a second, at most a second's worth
// saved. An invocation without a token waits for one (AWS delays, rather
// than drops, invocations over the rate).
type limiter struct {
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// reserveInvocation takes a token of the destination for an invocation
// and returns how long the invocation must wait for it.
func (e *Events) reserveInvocation(sc storage.Scope, arn string) time.Duration {
	_, res, _ := parseARN(arn)
	parts := strings.Split(res, "/")
	if len(parts) != 3 {
		return 0
	}
	var rate float64
	_ = e.store.View(func(tx storage.Tx) error {
		d, ok, err := apiDestinations.Get(tx, sc, parts[1])
		if ok && d.UUID == parts[2] {
			rate = float64(d.RateLimit)
		}
		return err
	})
	if rate <= 0 {
		// A missing destination fails on invocation.
		return 0
	}
	now := e.clock.Now()
	e.limit.mu.Lock()
	defer e.limit.mu.Unlock()
	b := e.limit.buckets[arn]
	if b == nil {
		b = &bucket{tokens: rate, last: now}
		e.limit.buckets[arn] = b
	}
	if el := now.Sub(b.last); el > 0 {
		b.tokens = min(rate, b.tokens+el.Seconds()*rate)
		b.last = now
	}
	b.tokens--
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / rate * float64(time.Second))
}

// sortedByName reads the records of table in sc that keep accepts, sorted
// by name: what the List operations page through.
func sortedByName[T any](store storage.Store, table storage.Table[T], sc storage.Scope, name func(T) string, keep func(T) bool) ([]T, error) {
	var all []T
	err := store.View(func(tx storage.Tx) error {
		return table.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, v T) bool {
			if keep(v) {
				all = append(all, v)
			}
			return true
		})
	})
	sort.Slice(all, func(i, j int) bool { return name(all[i]) < name(all[j]) })
	return all, err
}
