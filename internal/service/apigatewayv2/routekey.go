package apigatewayv2

import (
	"fmt"
	"strings"
)

// An HTTP API's route key is "$default" or "<METHOD> <path>", the path
// made of literal segments, {name} variables and, last, one greedy
// {name+} variable (Developer Guide, "Working with routes for HTTP
// APIs").

// defaultRoute is the route that takes what no other route matches.
const defaultRoute = "$default"

// routeKey is a parsed route key.
type routeKey struct {
	method string // "ANY" for any method
	// segments of the path: literal, {var} or {var+} (last only).
	segments []segment
	// def is the $default route.
	def bool
}

type segmentKind int

const (
	literal segmentKind = iota
	variable
	greedy
)

type segment struct {
	kind segmentKind
	text string // the literal, or the variable's name
}

var routeMethods = map[string]bool{"ANY": true, "GET": true, "POST": true, "PUT": true, "PATCH": true,
	"DELETE": true, "HEAD": true, "OPTIONS": true}

// parseRouteKey reads an HTTP API route key.
func parseRouteKey(key string) (routeKey, error) {
	if key == defaultRoute {
		return routeKey{def: true}, nil
	}
	method, path, ok := strings.Cut(key, " ")
	if !ok || !routeMethods[method] {
		return routeKey{}, fmt.Errorf("the method of route key %q must be one of ANY, DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT", key)
	}
	if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \t\r\n?#") {
		return routeKey{}, fmt.Errorf("the path of route key %q must start with / and hold no spaces, ? or #", key)
	}
	rk := routeKey{method: method}
	if path == "/" {
		return rk, nil
	}
	parts := strings.Split(path[1:], "/")
	seen := map[string]bool{}
	for i, p := range parts {
		switch {
		case p == "":
			return routeKey{}, fmt.Errorf("the path of route key %q has an empty segment", key)
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "+}"):
			name := p[1 : len(p)-2]
			if i != len(parts)-1 {
				return routeKey{}, fmt.Errorf("the greedy path variable %s of route key %q must be its last segment", p, key)
			}
			if !validVarName(name) || seen[name] {
				return routeKey{}, fmt.Errorf("invalid path variable %s in route key %q", p, key)
			}
			seen[name] = true
			rk.segments = append(rk.segments, segment{greedy, name})
		case strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}"):
			name := p[1 : len(p)-1]
			if !validVarName(name) || seen[name] {
				return routeKey{}, fmt.Errorf("invalid path variable %s in route key %q", p, key)
			}
			seen[name] = true
			rk.segments = append(rk.segments, segment{variable, name})
		case strings.ContainsAny(p, "{}"):
			return routeKey{}, fmt.Errorf("invalid path segment %q in route key %q: a variable takes a whole segment", p, key)
		default:
			rk.segments = append(rk.segments, segment{literal, p})
		}
	}
	return rk, nil
}

func validVarName(n string) bool {
	if n == "" {
		return false
	}
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// match matches a request's method and (unescaped) path, returning the
// path parameters.
func (rk routeKey) match(method, path string) (map[string]string, bool) {
	if rk.def {
		return nil, true
	}
	if rk.method != "ANY" && rk.method != method {
		return nil, false
	}
	if !strings.HasPrefix(path, "/") {
		return nil, false
	}
	var parts []string
	if path != "/" {
		parts = strings.Split(path[1:], "/")
	}
	params := map[string]string{}
	for i, seg := range rk.segments {
		if i >= len(parts) {
			return nil, false
		}
		switch seg.kind {
		case literal:
			if parts[i] != seg.text {
				return nil, false
			}
		case variable:
			if parts[i] == "" {
				return nil, false
			}
			params[seg.text] = parts[i]
		case greedy:
			rest := strings.Join(parts[i:], "/")
			if rest == "" {
				return nil, false
			}
			params[seg.text] = rest
			return params, true
		}
	}
	if len(parts) != len(rk.segments) {
		return nil, false
	}
	return params, true
}

// moreSpecific tells whether a beats b for a request both match: segment
// by segment from the left, a literal beats a variable, which beats a
// greedy variable; then a method beats ANY; $default loses to any route.
func (a routeKey) moreSpecific(b routeKey) bool {
	if a.def != b.def {
		return b.def
	}
	for i := 0; i < len(a.segments) && i < len(b.segments); i++ {
		if a.segments[i].kind != b.segments[i].kind {
			return a.segments[i].kind < b.segments[i].kind
		}
	}
	if len(a.segments) != len(b.segments) {
		// Both matched: the shorter one ends in a greedy variable that
		// took what the longer one names segment by segment.
		return len(a.segments) > len(b.segments)
	}
	return a.method != "ANY" && b.method == "ANY"
}

// selectRoute picks the route for a request among keys (route id →
// key), as API Gateway does: the most specific match, $default when
// nothing else matches.
func selectRoute(keys map[string]routeKey, method, path string) (id string, params map[string]string, ok bool) {
	var best routeKey
	for rid, rk := range keys {
		p, m := rk.match(method, path)
		if !m {
			continue
		}
		if !ok || rk.moreSpecific(best) || (!best.moreSpecific(rk) && rid < id) {
			id, params, best, ok = rid, p, rk, true
		}
	}
	return id, params, ok
}
