package apigatewayv2

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	apigatewayv2api "github.com/niwa-cloud/niwa/internal/api/apigatewayv2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// issuer is a test OpenID issuer: a discovery document and a JWKS with
// one RSA key, counting JWKS fetches.
type issuer struct {
	srv     *httptest.Server
	key     *rsa.PrivateKey
	kid     string
	fetches atomic.Int32
}

func newIssuer(t *testing.T) *issuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	is := &issuer{key: key, kid: "k1"}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": is.srv.URL, "jwks_uri": is.srv.URL + "/jwks"})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		is.fetches.Add(1)
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "kid": is.kid, "use": "sig", "alg": "RS256",
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
			"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes()),
		}}})
	})
	is.srv = httptest.NewServer(mux)
	t.Cleanup(is.srv.Close)
	return is
}

// token signs claims with the issuer's key (or another key).
func (is *issuer) token(t *testing.T, claims map[string]any, key *rsa.PrivateKey, alg string) string {
	t.Helper()
	h, _ := json.Marshal(map[string]string{"alg": alg, "kid": is.kid, "typ": "JWT"})
	p, _ := json.Marshal(claims)
	signed := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p)
	d := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// TestJWTAuthorizer: tokens are verified against the issuer's JWKS
// (fetched once, cached): signature, issuer, audience, exp and nbf on
// niwa's clock, and the route's scopes.
func TestJWTAuthorizer(t *testing.T) {
	e := newEnv(t)
	is := newIssuer(t)
	e.s.client = is.srv.Client()
	e.fns.set(testFn, returns(`"ok"`))
	api := e.api(nil)
	au := must[*apigatewayv2api.CreateAuthorizerResponse](t)(e.s.CreateAuthorizer(e.h.Ctx(), &apigatewayv2api.CreateAuthorizerRequest{
		ApiId: &api, Name: ptr.To("jwt"), AuthorizerType: ptr.To("JWT"), IdentitySource: []string{"$request.header.Authorization"},
		JwtConfiguration: &apigatewayv2api.JWTConfiguration{Issuer: &is.srv.URL, Audience: []string{"my-app"}}}))
	integ := e.lambdaInteg(api, "2.0")
	e.route(api, "GET /open", integ, func(r *apigatewayv2api.CreateRouteRequest) {
		r.AuthorizationType, r.AuthorizerId = ptr.To("JWT"), au.AuthorizerId
	})
	e.route(api, "GET /admin", integ, func(r *apigatewayv2api.CreateRouteRequest) {
		r.AuthorizationType, r.AuthorizerId, r.AuthorizationScopes = ptr.To("JWT"), au.AuthorizerId, []string{"admin"}
	})
	now := e.h.Clock.Now()
	claims := func(mod map[string]any) map[string]any {
		c := map[string]any{"iss": is.srv.URL, "aud": "my-app", "sub": "user-1", "exp": now.Add(time.Hour).Unix(),
			"iat": now.Unix(), "scope": "read write"}
		for k, v := range mod {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	good := is.token(t, claims(nil), is.key, "RS256")
	for _, tc := range []struct {
		name, path, auth string
		status           int
	}{
		{"valid, with Bearer", "/open", "Bearer " + good, 200},
		{"valid, bare", "/open", good, 200},
		{"missing", "/open", "", 401},
		{"garbage", "/open", "Bearer abc.def", 401},
		{"other key", "/open", is.token(t, claims(nil), other, "RS256"), 401},
		{"not RS256", "/open", is.token(t, claims(nil), is.key, "HS256"), 401},
		{"wrong issuer", "/open", is.token(t, claims(map[string]any{"iss": "https://evil.example"}), is.key, "RS256"), 401},
		{"wrong audience", "/open", is.token(t, claims(map[string]any{"aud": "other"}), is.key, "RS256"), 401},
		{"audience in a list", "/open", is.token(t, claims(map[string]any{"aud": []string{"x", "my-app"}}), is.key, "RS256"), 200},
		{"client_id instead of aud", "/open", is.token(t, claims(map[string]any{"aud": nil, "client_id": "my-app"}), is.key, "RS256"), 200},
		{"expired", "/open", is.token(t, claims(map[string]any{"exp": now.Add(-time.Second).Unix()}), is.key, "RS256"), 401},
		{"no exp", "/open", is.token(t, claims(map[string]any{"exp": nil}), is.key, "RS256"), 401},
		{"not yet valid", "/open", is.token(t, claims(map[string]any{"nbf": now.Add(time.Minute).Unix()}), is.key, "RS256"), 401},
		{"missing scope", "/admin", good, 403},
		{"scope", "/admin", is.token(t, claims(map[string]any{"scope": "read admin"}), is.key, "RS256"), 200},
		{"scp list", "/admin", is.token(t, claims(map[string]any{"scope": nil, "scp": []string{"admin"}}), is.key, "RS256"), 200},
	} {
		var hdr []string
		if tc.auth != "" {
			hdr = []string{"Authorization", tc.auth}
		}
		w := e.do("GET", host(api)+tc.path, "", hdr...)
		if w.Code != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, w.Code, w.Body.String(), tc.status)
		}
		if tc.status == 401 && w.Body.String() != `{"message":"Unauthorized"}` {
			t.Errorf("%s: body %s", tc.name, w.Body.String())
		}
	}
	// The claims reach the function as strings; the JWKS was fetched
	// once for all these calls.
	var ev map[string]any
	calls := e.fns.calls(testFn)
	_ = json.Unmarshal(calls[0], &ev)
	jwt := ev["requestContext"].(map[string]any)["authorizer"].(map[string]any)["jwt"].(map[string]any)
	if cl := jwt["claims"].(map[string]any); cl["sub"] != "user-1" || cl["exp"] != fmt.Sprint(now.Add(time.Hour).Unix()) {
		t.Fatalf("claims %v", cl)
	}
	if sc := jwt["scopes"].([]any); len(sc) != 2 || sc[0] != "read" {
		t.Fatalf("scopes %v", jwt["scopes"])
	}
	if n := is.fetches.Load(); n != 1 {
		t.Fatalf("JWKS fetched %d times, want 1", n)
	}
	// A token valid now expires as niwa's clock moves.
	e.h.Clock.Advance(2 * time.Hour)
	wantAnswer(t, e.do("GET", host(api)+"/open", "", "Authorization", good), 401, `{"message":"Unauthorized"}`)
}

// FuzzParseJWT: any token parses or not without panicking.
func FuzzParseJWT(f *testing.F) {
	f.Add("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln")
	f.Add("a.b.c")
	f.Add("...")
	f.Fuzz(func(t *testing.T, token string) {
		_, claims, _, _, err := parseJWT(token)
		if err == nil && claims == nil {
			t.Fatal("no error and no claims")
		}
	})
}
