package apigatewayv2

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/niwa-cloud/niwa/internal/ptr"
)

// CORS as an HTTP API's CORS configuration does it (Developer Guide,
// "Configuring CORS for an HTTP API"): API Gateway answers preflight
// requests itself, whatever the routes, and puts the configured headers
// on every answer to an allowed origin, replacing the integration's.

func (c *call) isPreflight() bool {
	return c.r.Method == http.MethodOptions && c.r.Header.Get("Origin") != "" &&
		c.r.Header.Get("Access-Control-Request-Method") != ""
}

// allowedOrigin is the Access-Control-Allow-Origin value for the
// request's origin, "" when the origin is not allowed.
func (c *call) allowedOrigin() string {
	cors := c.dep.Cors
	origin := c.r.Header.Get("Origin")
	if cors == nil || origin == "" {
		return ""
	}
	for _, o := range cors.AllowOrigins {
		if o == "*" {
			return "*"
		}
		if strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			return origin
		}
	}
	return ""
}

// preflight answers an OPTIONS preflight: 204 with the allowed methods,
// headers and max age when the origin, method and headers are allowed;
// 204 without CORS headers otherwise, which the browser refuses.
func (c *call) preflight() {
	cors := c.dep.Cors
	h := c.w.Header()
	origin := c.allowedOrigin()
	method := strings.ToUpper(c.r.Header.Get("Access-Control-Request-Method"))
	if origin != "" && listAllows(cors.AllowMethods, method) && headersAllowed(cors.AllowHeaders, c.r.Header.Get("Access-Control-Request-Headers")) {
		h.Set("Access-Control-Allow-Origin", origin)
		if len(cors.AllowMethods) > 0 {
			h.Set("Access-Control-Allow-Methods", strings.Join(cors.AllowMethods, ","))
		}
		if len(cors.AllowHeaders) > 0 {
			h.Set("Access-Control-Allow-Headers", strings.Join(cors.AllowHeaders, ","))
		}
		if ma := ptr.Deref(cors.MaxAge); ma != 0 {
			h.Set("Access-Control-Max-Age", strconv.Itoa(int(ma)))
		}
		if ptr.Deref(cors.AllowCredentials) {
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		if origin != "*" {
			h.Add("Vary", "Origin")
		}
	}
	h.Set("Content-Length", "0")
	c.w.WriteHeader(http.StatusNoContent)
}

// corsHeaders sets the CORS headers of an answer (none unless the API
// has a CORS configuration and allows the request's origin).
func (c *call) corsHeaders() {
	origin := c.allowedOrigin()
	if origin == "" {
		return
	}
	cors := c.dep.Cors
	h := c.w.Header()
	for k := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			h.Del(k)
		}
	}
	h.Set("Access-Control-Allow-Origin", origin)
	if len(cors.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(cors.ExposeHeaders, ","))
	}
	if ptr.Deref(cors.AllowCredentials) {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if origin != "*" {
		h.Add("Vary", "Origin")
	}
}

// listAllows tells whether a configured list (with "*") holds v.
func listAllows(list []string, v string) bool {
	for _, m := range list {
		if m == "*" || strings.EqualFold(m, v) {
			return true
		}
	}
	return false
}

// headersAllowed tells whether every requested header is allowed.
func headersAllowed(allowed []string, requested string) bool {
	for _, h := range strings.Split(requested, ",") {
		if h = strings.TrimSpace(h); h != "" && !listAllows(allowed, h) {
			return false
		}
	}
	return true
}
