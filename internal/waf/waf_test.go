package waf

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func req(method, target string, header map[string]string, body, ip string) *Request {
	h := http.Header{}
	for k, v := range header {
		h.Set(k, v)
	}
	path, query, _ := strings.Cut(target, "?")
	return &Request{Method: method, Path: path, RawQuery: query, Header: h, Body: []byte(body), ClientIP: netip.MustParseAddr(ip)}
}

func TestStatements(t *testing.T) {
	office := []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}
	header := func(name string) Field { return Field{Kind: FieldSingleHeader, Name: name} }
	tests := []struct {
		name string
		st   Statement
		r    *Request
		want bool
	}{
		{"ip in set", IPSet{Prefixes: office}, req("GET", "/", nil, "", "192.0.2.9"), true},
		{"ip outside set", IPSet{Prefixes: office}, req("GET", "/", nil, "", "198.51.100.1"), false},
		{"forwarded first", IPSet{Prefixes: office, Forwarded: &Forwarded{Header: "X-Forwarded-For", Fallback: "NO_MATCH", Position: "FIRST"}},
			req("GET", "/", map[string]string{"X-Forwarded-For": "192.0.2.1, 10.0.0.1"}, "", "198.51.100.1"), true},
		{"forwarded last", IPSet{Prefixes: office, Forwarded: &Forwarded{Header: "X-Forwarded-For", Fallback: "NO_MATCH", Position: "LAST"}},
			req("GET", "/", map[string]string{"X-Forwarded-For": "192.0.2.1, 10.0.0.1"}, "", "198.51.100.1"), false},
		{"forwarded any", IPSet{Prefixes: office, Forwarded: &Forwarded{Header: "X-Forwarded-For", Fallback: "NO_MATCH", Position: "ANY"}},
			req("GET", "/", map[string]string{"X-Forwarded-For": "10.0.0.1, 192.0.2.1"}, "", "198.51.100.1"), true},
		{"forwarded missing: fallback MATCH", IPSet{Prefixes: office, Forwarded: &Forwarded{Header: "X-Forwarded-For", Fallback: "MATCH"}},
			req("GET", "/", nil, "", "198.51.100.1"), true},
		{"forwarded garbage: fallback NO_MATCH", IPSet{Prefixes: office, Forwarded: &Forwarded{Header: "X-Forwarded-For", Fallback: "NO_MATCH"}},
			req("GET", "/", map[string]string{"X-Forwarded-For": "nope"}, "", "192.0.2.1"), false},
		{"header exactly lowercased", ByteMatch{Field: header("authorization"), Transforms: []Transform{"LOWERCASE"}, Search: "bearer x", Position: "EXACTLY"},
			req("GET", "/", map[string]string{"Authorization": "Bearer X"}, "", "192.0.2.1"), true},
		{"header missing", ByteMatch{Field: header("authorization"), Search: "", Position: "CONTAINS"}, req("GET", "/", nil, "", "192.0.2.1"), false},
		{"uri starts with", ByteMatch{Field: Field{Kind: FieldUriPath}, Search: "/admin", Position: "STARTS_WITH"}, req("GET", "/admin/x", nil, "", "192.0.2.1"), true},
		{"uri ends with", ByteMatch{Field: Field{Kind: FieldUriPath}, Search: ".php", Position: "ENDS_WITH"}, req("GET", "/a.php", nil, "", "192.0.2.1"), true},
		{"query string contains url-decoded", ByteMatch{Field: Field{Kind: FieldQueryString}, Transforms: []Transform{"URL_DECODE"}, Search: "<script>", Position: "CONTAINS"},
			req("GET", "/?q=%3Cscript%3E", nil, "", "192.0.2.1"), true},
		{"contains word", ByteMatch{Field: Field{Kind: FieldBody}, Search: "drop", Position: "CONTAINS_WORD"}, req("POST", "/", nil, "x;drop table", "192.0.2.1"), true},
		{"contains word inside a word", ByteMatch{Field: Field{Kind: FieldBody}, Search: "drop", Position: "CONTAINS_WORD"}, req("POST", "/", nil, "raindrops", "192.0.2.1"), false},
		{"method", ByteMatch{Field: Field{Kind: FieldMethod}, Search: "DELETE", Position: "EXACTLY"}, req("DELETE", "/", nil, "", "192.0.2.1"), true},
		{"single query argument, name any case", ByteMatch{Field: Field{Kind: FieldSingleQueryArg, Name: "user"}, Search: "admin", Position: "EXACTLY"},
			req("GET", "/?USER=admin", nil, "", "192.0.2.1"), true},
		{"all query arguments", ByteMatch{Field: Field{Kind: FieldAllQueryArgs}, Search: "evil", Position: "EXACTLY"}, req("GET", "/?a=1&b=evil", nil, "", "192.0.2.1"), true},
		{"html entity then compress", ByteMatch{Field: Field{Kind: FieldBody}, Transforms: []Transform{"HTML_ENTITY_DECODE", "COMPRESS_WHITE_SPACE"}, Search: "<a b>", Position: "EXACTLY"},
			req("POST", "/", nil, "&lt;a \t\n b&gt;", "192.0.2.1"), true},
		{"base64", ByteMatch{Field: header("x-token"), Transforms: []Transform{"BASE64_DECODE"}, Search: "secret", Position: "EXACTLY"},
			req("GET", "/", map[string]string{"X-Token": "c2VjcmV0"}, "", "192.0.2.1"), true},
		{"regex", RegexMatch{Field: Field{Kind: FieldUriPath}, Patterns: []*regexp.Regexp{regexp.MustCompile(`^/v[0-9]+/`)}}, req("GET", "/v2/x", nil, "", "192.0.2.1"), true},
		{"regex no match", RegexMatch{Field: Field{Kind: FieldUriPath}, Patterns: []*regexp.Regexp{regexp.MustCompile(`^/v[0-9]+/`)}}, req("GET", "/x", nil, "", "192.0.2.1"), false},
		{"size GT body", SizeConstraint{Field: Field{Kind: FieldBody}, Op: "GT", Size: 3}, req("POST", "/", nil, "abcd", "192.0.2.1"), true},
		{"size LE body", SizeConstraint{Field: Field{Kind: FieldBody}, Op: "LE", Size: 3}, req("POST", "/", nil, "abcd", "192.0.2.1"), false},
		{"size of missing header is 0", SizeConstraint{Field: header("x-a"), Op: "EQ", Size: 0}, req("GET", "/", nil, "", "192.0.2.1"), true},
		{"geo", GeoMatch{Countries: []string{"JP", "FR"}}, &Request{Country: "FR", Header: http.Header{}}, true},
		{"geo other", GeoMatch{Countries: []string{"JP"}}, &Request{Country: "FR", Header: http.Header{}}, false},
		{"geo unknown", GeoMatch{Countries: []string{"JP"}}, &Request{Header: http.Header{}}, false},
		{"and", And{Match(true), IPSet{Prefixes: office}}, req("GET", "/", nil, "", "192.0.2.1"), true},
		{"and one false", And{Match(true), Match(false)}, req("GET", "/", nil, "", "192.0.2.1"), false},
		{"or", Or{Match(false), Match(true)}, req("GET", "/", nil, "", "192.0.2.1"), true},
		{"not", Not{Statement: IPSet{Prefixes: office}}, req("GET", "/", nil, "", "192.0.2.1"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.st.match(&eval{req: tc.r}); got != tc.want {
				t.Fatalf("match = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestEvaluate: rules by priority; Count adds labels and goes on, a
// later LabelMatch sees them; the first Allow or Block ends; the default
// action otherwise.
func TestEvaluate(t *testing.T) {
	acl := &ACL{ARN: "acl", Default: Action{Kind: Allow}, Rules: []Rule{
		{Name: "block-tagged", Priority: 5, Statement: LabelMatch{Scope: "LABEL", Key: "suspicious"}, Action: Action{Kind: Block}},
		{Name: "tag-admin", Priority: 1, Statement: ByteMatch{Field: Field{Kind: FieldUriPath}, Search: "/admin", Position: "STARTS_WITH"},
			Action: Action{Kind: Count}, Labels: []string{"awswaf:1:webacl:acl:suspicious"}},
		{Name: "allow-office", Priority: 2, Statement: IPSet{Prefixes: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}}, Action: Action{Kind: Allow}},
		{Name: "ns", Priority: 9, Statement: LabelMatch{Scope: "NAMESPACE", Key: "awswaf:1:webacl:acl:"}, Action: Action{Kind: Block}},
	}}
	for _, c := range []struct {
		path, ip, kind, rule string
	}{
		{"/", "198.51.100.1", Allow, ""},
		{"/admin", "192.0.2.1", Allow, "allow-office"},
		{"/admin", "198.51.100.1", Block, "block-tagged"},
	} {
		d := acl.Evaluate(req("GET", c.path, nil, "", c.ip), time.Unix(0, 0), &Rates{})
		if d.Action.Kind != c.kind || d.Rule != c.rule {
			t.Errorf("%s from %s: %s by %q, want %s by %q", c.path, c.ip, d.Action.Kind, d.Rule, c.kind, c.rule)
		}
	}
}

// TestRateBased: over the limit in the 5-minute window the rule
// matches; time moving past the window lets the client through again.
func TestRateBased(t *testing.T) {
	acl := &ACL{ARN: "acl", Default: Action{Kind: Allow}, Rules: []Rule{
		{Name: "rate", Statement: RateBased{Limit: 3, Key: "IP"}, Action: Action{Kind: Block}},
	}}
	rates := &Rates{}
	now := time.Unix(1_000_000, 0)
	var kinds []string
	for i := 0; i < 5; i++ {
		kinds = append(kinds, acl.Evaluate(req("GET", "/", nil, "", "192.0.2.1"), now, rates).Action.Kind)
	}
	if got := strings.Join(kinds, ","); got != "ALLOW,ALLOW,ALLOW,BLOCK,BLOCK" {
		t.Fatalf("decisions %s", got)
	}
	if k := acl.Evaluate(req("GET", "/", nil, "", "198.51.100.1"), now, rates).Action.Kind; k != Allow {
		t.Fatalf("another client: %s", k)
	}
	if k := acl.Evaluate(req("GET", "/", nil, "", "192.0.2.1"), now.Add(4*time.Minute), rates).Action.Kind; k != Block {
		t.Fatalf("inside the window: %s", k)
	}
	if k := acl.Evaluate(req("GET", "/", nil, "", "192.0.2.1"), now.Add(10*time.Minute), rates).Action.Kind; k != Allow {
		t.Fatalf("after the window: %s", k)
	}
}

// TestRespond: AWS's default 403 page, or the custom response.
func TestRespond(t *testing.T) {
	acl := &ACL{Bodies: map[string]Body{"denied": {ContentType: "APPLICATION_JSON", Content: `{"error":"denied"}`}}}
	rec := httptest.NewRecorder()
	acl.Respond(rec, Decision{Action: Action{Kind: Block}})
	if rec.Code != 403 || !strings.Contains(rec.Body.String(), "<center><h1>403 Forbidden</h1></center>") {
		t.Fatalf("default: %d %q", rec.Code, rec.Body.String())
	}
	rec = httptest.NewRecorder()
	acl.Respond(rec, Decision{Action: Action{Kind: Block, Status: 429, BodyKey: "denied", Headers: [][2]string{{"Retry-After", "60"}}}})
	if rec.Code != 429 || rec.Body.String() != `{"error":"denied"}` || rec.Header().Get("Content-Type") != "application/json" || rec.Header().Get("Retry-After") != "60" {
		t.Fatalf("custom: %d %q %v", rec.Code, rec.Body.String(), rec.Header())
	}
}

// TestReadBody: the inspected prefix is read and the whole body still
// reaches the target.
func TestReadBody(t *testing.T) {
	body := strings.Repeat("a", BodyLimit+10)
	r := httptest.NewRequest("POST", "/", strings.NewReader(body))
	if head := ReadBody(r); len(head) != BodyLimit {
		t.Fatalf("inspected %d bytes", len(head))
	}
	rest := new(bytes.Buffer)
	if _, err := rest.ReadFrom(r.Body); err != nil || rest.String() != body {
		t.Fatalf("forwarded %d bytes, err %v", rest.Len(), err)
	}
}

func TestTransforms(t *testing.T) {
	for _, c := range []struct {
		t       Transform
		in, out string
	}{
		{"LOWERCASE", "AbC", "abc"},
		{"URL_DECODE", "a%20b+c", "a b c"},
		{"URL_DECODE", "%zz", "%zz"},
		{"COMPRESS_WHITE_SPACE", "a \t\n  b", "a b"},
		{"HTML_ENTITY_DECODE", "&lt;&#65;&gt;", "<A>"},
		{"BASE64_DECODE", "aGk=", "hi"},
		{"BASE64_DECODE", "!!", "!!"},
		{"HEX_DECODE", "6869", "hi"},
		{"NORMALIZE_PATH", "/a/./b/../c//d/", "/a/c/d/"},
		{"REMOVE_NULLS", "a\x00b", "ab"},
		{"NONE", "Same", "Same"},
	} {
		if got := Apply(c.t, c.in); got != c.out {
			t.Errorf("%s(%q) = %q, want %q", c.t, c.in, got, c.out)
		}
	}
}

// FuzzTransforms: every transformation of any input terminates and
// NORMALIZE_PATH is idempotent; never a panic.
func FuzzTransforms(f *testing.F) {
	f.Add("/a/../b//c/./", "%3Cscript%3E&lt;")
	f.Add("", "aGk=")
	f.Fuzz(func(t *testing.T, p, s string) {
		for tr := range supported {
			_ = Apply(tr, s)
		}
		n := normalizePath(p)
		if normalizePath(n) != n {
			t.Fatalf("normalizePath not idempotent: %q -> %q -> %q", p, n, normalizePath(n))
		}
		if utf8.ValidString(s) {
			_ = bytesMatch(s, p, "CONTAINS_WORD")
		}
	})
}
