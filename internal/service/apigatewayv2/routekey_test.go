package apigatewayv2

import (
	"strings"
	"testing"
)

// TestSelectRoute: API Gateway's route selection — the most specific
// match wins (literal over {var} over {greedy+}, segment by segment from
// the left), a method over ANY, $default when nothing else matches.
func TestSelectRoute(t *testing.T) {
	keys := []string{
		"GET /items",
		"GET /items/{id}",
		"ANY /items/{id}",
		"GET /items/special",
		"POST /items/{id}/tags/{tag}",
		"ANY /{proxy+}",
		"GET /files/{path+}",
		"GET /files/{dir}/readme",
		"GET /",
		"$default",
	}
	routes := map[string]routeKey{}
	for _, k := range keys {
		rk, err := parseRouteKey(k)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		routes[k] = rk
	}
	for _, tc := range []struct {
		method, path string
		want         string
		params       map[string]string
	}{
		{"GET", "/items", "GET /items", nil},
		{"GET", "/items/7", "GET /items/{id}", map[string]string{"id": "7"}},
		{"DELETE", "/items/7", "ANY /items/{id}", map[string]string{"id": "7"}},
		{"GET", "/items/special", "GET /items/special", nil},
		{"POST", "/items/special", "ANY /items/{id}", map[string]string{"id": "special"}},
		{"POST", "/items/1/tags/red", "POST /items/{id}/tags/{tag}", map[string]string{"id": "1", "tag": "red"}},
		{"GET", "/items/1/tags/red", "ANY /{proxy+}", map[string]string{"proxy": "items/1/tags/red"}},
		{"POST", "/items", "ANY /{proxy+}", map[string]string{"proxy": "items"}},
		{"GET", "/files/a/readme", "GET /files/{dir}/readme", map[string]string{"dir": "a"}},
		{"GET", "/files/a/b/readme", "GET /files/{path+}", map[string]string{"path": "a/b/readme"}},
		{"GET", "/files/a", "GET /files/{path+}", map[string]string{"path": "a"}},
		{"GET", "/", "GET /", nil},
		{"POST", "/", "$default", nil},
		{"GET", "/items/", "ANY /{proxy+}", map[string]string{"proxy": "items/"}},
	} {
		id, params, ok := selectRoute(routes, tc.method, tc.path)
		if !ok || id != tc.want {
			t.Errorf("%s %s: got %q (%v), want %q", tc.method, tc.path, id, ok, tc.want)
			continue
		}
		if len(params) != len(tc.params) {
			t.Errorf("%s %s: params %v, want %v", tc.method, tc.path, params, tc.params)
		}
		for k, v := range tc.params {
			if params[k] != v {
				t.Errorf("%s %s: param %s = %q, want %q", tc.method, tc.path, k, params[k], v)
			}
		}
	}
	delete(routes, "$default")
	delete(routes, "ANY /{proxy+}")
	if id, _, ok := selectRoute(routes, "PUT", "/nothing"); ok {
		t.Errorf("PUT /nothing matched %s without a $default route", id)
	}
}

// TestParseRouteKey: what CreateRoute refuses.
func TestParseRouteKey(t *testing.T) {
	for _, tc := range []struct {
		key string
		ok  bool
	}{
		{"$default", true},
		{"GET /", true},
		{"ANY /{proxy+}", true},
		{"GET /a/{b}/c", true},
		{"get /a", false},
		{"FETCH /a", false},
		{"GET a", false},
		{"GET", false},
		{"GET /a//b", false},
		{"GET /{proxy+}/more", false},
		{"GET /{a}/{a}", false},
		{"GET /a{b}", false},
		{"GET /{}", false},
		{"GET /a b", false},
		{"GET /a?x=1", false},
		{"$connect", false},
	} {
		_, err := parseRouteKey(tc.key)
		if (err == nil) != tc.ok {
			t.Errorf("%q: err %v, want ok %v", tc.key, err, tc.ok)
		}
	}
}

// FuzzRouteKey: any key parses or not without panicking; a parsed key
// matches any request without panicking, its greedy parameter is never
// empty and its {var} parameters never hold a slash.
func FuzzRouteKey(f *testing.F) {
	for _, s := range []string{"$default", "GET /items/{id}", "ANY /{proxy+}", "GET /a/{b}/{c+}", "POST /", "GET /{a}/{a}"} {
		f.Add(s, "/items/1/x")
	}
	f.Fuzz(func(t *testing.T, key, path string) {
		rk, err := parseRouteKey(key)
		if err != nil {
			return
		}
		params, ok := rk.match("GET", path)
		if !ok {
			return
		}
		for _, seg := range rk.segments {
			v := params[seg.text]
			switch seg.kind {
			case variable:
				if v == "" || strings.Contains(v, "/") {
					t.Fatalf("%q on %q: {%s} = %q", key, path, seg.text, v)
				}
			case greedy:
				if v == "" {
					t.Fatalf("%q on %q: greedy {%s+} is empty", key, path, seg.text)
				}
			}
		}
	})
}
