package apigatewayv2

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	apigatewayv2api "github.com/niwa-cloud/niwa/internal/api/apigatewayv2"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// The WebSocket APIs' data plane (Developer Guide, "Working with
// WebSocket APIs"): a client connects to a stage's URL
// (ws://<apiId>.execute-api.localhost:4566/<stage>, or
// ws://localhost:4566/restapis/<apiId>/<stage>/_user_request_/); the
// $connect route's integration may refuse it; each message is routed by
// the API's route selection expression ($request.body.<field>) to a
// route, $default when none matches; $disconnect runs when the
// connection ends. Routes with a RouteResponseSelectionExpression are
// two-way: the integration's answer is sent back. The backend reaches
// connected clients through the @connections API on the same URL
// (POST/GET/DELETE <stage URL>/@connections/<connectionId>, signed for
// execute-api).

// maxWSMessage is API Gateway's 128 KB WebSocket frame and
// PostToConnection limit.
const maxWSMessage = 128 << 10

// wsConn is one connected client.
type wsConn struct {
	id, apiID, stage string
	loc              location
	conn             *websocket.Conn
	connectedAt      time.Time
	sourceIP, agent  string
	mu               sync.Mutex
	lastActive       time.Time
	cancel           context.CancelFunc
}

func (w *wsConn) touch(t time.Time) {
	w.mu.Lock()
	w.lastActive = t
	w.mu.Unlock()
}

// wsConns are the service's open connections, by connection id.
type wsConns struct {
	mu sync.Mutex
	m  map[string]*wsConn
}

func (c *wsConns) add(w *wsConn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]*wsConn{}
	}
	c.m[w.id] = w
}

func (c *wsConns) remove(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, id)
}

func (c *wsConns) get(id string) (*wsConn, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	w, ok := c.m[id]
	return w, ok
}

// closeAll ends every connection (Close, Reset).
func (c *wsConns) closeAll() {
	c.mu.Lock()
	all := make([]*wsConn, 0, len(c.m))
	for _, w := range c.m {
		all = append(all, w)
	}
	c.mu.Unlock()
	for _, w := range all {
		_ = w.conn.Close(websocket.StatusGoingAway, "")
		w.cancel()
	}
}

// Close ends the open WebSocket connections.
func (s *APIGatewayV2) Close() error {
	s.ws.closeAll()
	return nil
}

func isUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// connectionID looks like API Gateway's ("L0SM9cOFvHcCIhw="), without
// the / and + of base64: it is a path segment of the @connections API.
func connectionID() string {
	return awsid.String("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 15) + "="
}

// wsContext is a WebSocket event's requestContext.
type wsContext struct {
	RouteKey          string            `json:"routeKey"`
	MessageID         string            `json:"messageId,omitempty"`
	EventType         string            `json:"eventType"`
	ExtendedRequestID string            `json:"extendedRequestId"`
	RequestTime       string            `json:"requestTime"`
	MessageDirection  string            `json:"messageDirection"`
	Stage             string            `json:"stage"`
	ConnectedAt       int64             `json:"connectedAt"`
	RequestTimeEpoch  int64             `json:"requestTimeEpoch"`
	Identity          map[string]string `json:"identity"`
	RequestID         string            `json:"requestId"`
	DomainName        string            `json:"domainName"`
	ConnectionID      string            `json:"connectionId"`
	APIID             string            `json:"apiId"`
}

// wsEvent is what a Lambda proxy integration of a WebSocket route gets.
type wsEvent struct {
	Headers               map[string]string   `json:"headers,omitempty"`
	MultiValueHeaders     map[string][]string `json:"multiValueHeaders,omitempty"`
	QueryStringParameters map[string]string   `json:"queryStringParameters,omitempty"`
	RequestContext        wsContext           `json:"requestContext"`
	Body                  *string             `json:"body,omitempty"`
	IsBase64Encoded       bool                `json:"isBase64Encoded"`
}

func (s *APIGatewayV2) wsEvent(c *call, w *wsConn, routeKey, eventType string, body *string) wsEvent {
	now := s.clock.Now().UTC()
	ctx := wsContext{RouteKey: routeKey, EventType: eventType, ExtendedRequestID: requestID(),
		RequestTime: now.Format(requestTimeLayout), MessageDirection: "IN", Stage: w.stage,
		ConnectedAt: w.connectedAt.UnixMilli(), RequestTimeEpoch: now.UnixMilli(),
		Identity: map[string]string{"sourceIp": w.sourceIP, "userAgent": w.agent}, DomainName: c.domainName(),
		ConnectionID: w.id, APIID: w.apiID}
	ctx.RequestID = ctx.ExtendedRequestID
	if eventType == "MESSAGE" {
		ctx.MessageID = requestID()
	}
	ev := wsEvent{RequestContext: ctx, Body: body}
	if eventType == "CONNECT" {
		hdr := map[string]string{}
		multi := map[string][]string{}
		for k, vs := range c.r.Header {
			hdr[k], multi[k] = vs[len(vs)-1], vs
		}
		ev.Headers, ev.MultiValueHeaders = hdr, multi
		if q := c.r.URL.Query(); len(q) > 0 {
			ev.QueryStringParameters = map[string]string{}
			for k, vs := range q {
				ev.QueryStringParameters[k] = vs[len(vs)-1]
			}
		}
	}
	return ev
}

// wsRoute finds a deployed route by key.
func (c *call) wsRoute(key string) (apigatewayv2api.Route, bool) {
	for _, r := range c.dep.Routes {
		if ptr.Deref(r.RouteKey) == key {
			return r, true
		}
	}
	return apigatewayv2api.Route{}, false
}

// wsIntegrate runs a route's integration with the event; it returns the
// answer's status and body (AWS_PROXY: the function's statusCode and
// body; MOCK: 200 and nothing).
func (s *APIGatewayV2) wsIntegrate(ctx context.Context, c *call, route apigatewayv2api.Route, ev wsEvent) (int, []byte, bool) {
	iid, ok := strings.CutPrefix(ptr.Deref(route.Target), "integrations/")
	if !ok {
		return 0, nil, false
	}
	integ, ok := c.dep.Integrations[iid]
	if !ok {
		return 0, nil, false
	}
	switch ptr.Deref(integ.IntegrationType) {
	case "MOCK":
		return 200, nil, true
	case "AWS_PROXY":
		payload, err := marshal(ev)
		if err != nil {
			return 0, nil, false
		}
		out, fnErr, gerr := s.invoke(ctx, lambdaFunction(c.withStageVariables(ptr.Deref(integ.IntegrationUri))), timeout(integ), payload)
		if gerr != nil || fnErr != "" {
			return 0, nil, false
		}
		var r struct {
			StatusCode *int    `json:"statusCode"`
			Body       *string `json:"body"`
		}
		if json.Unmarshal(out, &r) != nil || r.StatusCode == nil {
			// Any JSON answer counts as 200 with itself as the body.
			return 200, out, json.Valid(out)
		}
		return *r.StatusCode, []byte(ptr.Deref(r.Body)), true
	}
	return 0, nil, false
}

// selectWSRoute evaluates the route selection expression
// ($request.body.<field>, possibly nested) on a message.
func selectWSRoute(expr string, msg []byte) string {
	if strings.HasPrefix(expr, "${") && strings.HasSuffix(expr, "}") {
		expr = "$" + expr[2:len(expr)-1]
	}
	path, ok := strings.CutPrefix(expr, "$request.body")
	if !ok {
		return ""
	}
	return jsonPath(msg, path)
}

// serveWebSocket runs a WebSocket connection.
func (s *APIGatewayV2) serveWebSocket(c *call) (gatewayError, bool) {
	w := &wsConn{id: connectionID(), apiID: c.apiID, stage: c.stageName(), loc: c.loc, connectedAt: s.clock.Now().UTC(),
		sourceIP: sourceIP(c.r), agent: c.r.UserAgent()}
	w.lastActive = w.connectedAt
	if route, ok := c.wsRoute("$connect"); ok {
		if ptr.Deref(route.AuthorizationType) != "NONE" && ptr.Deref(route.AuthorizationType) != "" {
			c.route = route
			if e, ok := s.authorize(c); !ok {
				return e, false
			}
		}
		status, _, ok := s.wsIntegrate(c.r.Context(), c, route, s.wsEvent(c, w, "$connect", "CONNECT", nil))
		if !ok {
			return errInternal, false
		}
		if status < 200 || status > 299 {
			return gatewayError{status: status, message: "Forbidden"}, false
		}
	}
	conn, err := websocket.Accept(c.w, c.r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		// Accept has answered the client.
		return gatewayError{}, true
	}
	conn.SetReadLimit(maxWSMessage)
	// The connection outlives the request's context.
	ctx, cancel := context.WithCancel(context.WithoutCancel(c.r.Context()))
	w.conn, w.cancel = conn, cancel
	s.ws.add(w)
	defer func() {
		s.ws.remove(w.id)
		cancel()
		if route, ok := c.wsRoute("$disconnect"); ok {
			dctx, dcancel := context.WithTimeout(context.Background(), 30*time.Second)
			s.wsIntegrate(dctx, c, route, s.wsEvent(c, w, "$disconnect", "DISCONNECT", nil))
			dcancel()
		}
		_ = conn.CloseNow()
	}()
	for {
		typ, msg, err := conn.Read(ctx)
		if err != nil {
			return gatewayError{}, true
		}
		w.touch(s.clock.Now())
		key := selectWSRoute(ptr.Deref(c.api.Api.RouteSelectionExpression), msg)
		route, ok := c.wsRoute(key)
		if !ok {
			key = defaultRoute
			route, ok = c.wsRoute(key)
		}
		reqID := requestID()
		if !ok {
			s.wsSend(ctx, conn, map[string]string{"message": "Forbidden", "connectionId": w.id, "requestId": reqID})
			continue
		}
		body := string(msg)
		ev := s.wsEvent(c, w, key, "MESSAGE", &body)
		if typ == websocket.MessageBinary {
			ev.IsBase64Encoded = true
		}
		status, out, ok := s.wsIntegrate(ctx, c, route, ev)
		if !ok {
			s.wsSend(ctx, conn, map[string]string{"message": "Internal server error", "connectionId": w.id, "requestId": reqID})
			continue
		}
		if ptr.Deref(route.RouteResponseSelectionExpression) != "" && status >= 200 && status < 300 && len(out) > 0 {
			_ = conn.Write(ctx, websocket.MessageText, out)
		}
	}
}

func (s *APIGatewayV2) wsSend(ctx context.Context, conn *websocket.Conn, v any) {
	b, err := json.Marshal(v)
	if err == nil {
		_ = conn.Write(ctx, websocket.MessageText, b)
	}
}

// managementError is an @connections API error (its type in
// x-amzn-ErrorType, as rest-json clients read it).
func managementError(c *call, status int, kind, message string) {
	body, _ := json.Marshal(struct {
		Message *string `json:"message"`
	}{ptrOrNil(message)})
	c.w.Header().Set("Content-Type", "application/json")
	c.w.Header().Set("X-Amzn-Errortype", kind)
	c.w.WriteHeader(status)
	_, _ = c.w.Write(body)
}

func ptrOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// connectionInfo is GetConnection's answer (locationNames of the
// apigatewaymanagementapi model, ISO 8601 timestamps).
type connectionInfo struct {
	ConnectedAt  string            `json:"connectedAt"`
	Identity     map[string]string `json:"identity"`
	LastActiveAt string            `json:"lastActiveAt"`
}

// manageConnection answers the @connections API: PostToConnection,
// GetConnection, DeleteConnection on the stage's connections.
func (s *APIGatewayV2) manageConnection(c *call, id string) (gatewayError, bool) {
	if c.r.Header.Get("Authorization") == "" && c.r.URL.Query().Get("X-Amz-Signature") == "" {
		managementError(c, 403, "ForbiddenException", "Missing Authentication Token")
		return gatewayError{}, true
	}
	if s.sigs != nil {
		if _, _, err := s.sigs.Verify(c.r); err != nil {
			managementError(c, 403, "ForbiddenException", err.Error())
			return gatewayError{}, true
		}
	}
	w, ok := s.ws.get(id)
	if !ok || w.apiID != c.apiID || w.stage != c.stageName() {
		managementError(c, 410, "GoneException", "")
		return gatewayError{}, true
	}
	switch c.r.Method {
	case http.MethodPost:
		data, err := io.ReadAll(io.LimitReader(c.r.Body, maxWSMessage+1))
		if err != nil {
			return errInternal, false
		}
		if len(data) > maxWSMessage {
			managementError(c, 413, "PayloadTooLargeException", "Message too long")
			return gatewayError{}, true
		}
		ctx, cancel := context.WithTimeout(c.r.Context(), 10*time.Second)
		defer cancel()
		if err := w.conn.Write(ctx, websocket.MessageText, data); err != nil {
			managementError(c, 410, "GoneException", "")
			return gatewayError{}, true
		}
		c.w.WriteHeader(http.StatusOK)
	case http.MethodGet:
		w.mu.Lock()
		info := connectionInfo{ConnectedAt: w.connectedAt.Format(time.RFC3339Nano), LastActiveAt: w.lastActive.UTC().Format(time.RFC3339Nano),
			Identity: map[string]string{"sourceIp": w.sourceIP, "userAgent": w.agent}}
		w.mu.Unlock()
		body, err := json.Marshal(info)
		if err != nil {
			return errInternal, false
		}
		c.w.Header().Set("Content-Type", "application/json")
		c.w.WriteHeader(http.StatusOK)
		_, _ = c.w.Write(body)
	case http.MethodDelete:
		// The close handshake waits for the client: not the caller.
		go func() { _ = w.conn.Close(websocket.StatusNormalClosure, "") }()
		c.w.WriteHeader(http.StatusNoContent)
	default:
		return errNotFound, false
	}
	return gatewayError{}, true
}

// serveWebSocketAPI answers a call to a WebSocket API's URL: the
// @connections API, a connection, or 426 for anything else.
func (s *APIGatewayV2) serveWebSocketAPI(c *call) (gatewayError, bool) {
	if id, ok := strings.CutPrefix(c.path, "/@connections/"); ok && id != "" && !strings.Contains(id, "/") {
		return s.manageConnection(c, id)
	}
	if isUpgrade(c.r) && c.r.Method == http.MethodGet {
		return s.serveWebSocket(c)
	}
	return errWebSocketPlain, false
}
