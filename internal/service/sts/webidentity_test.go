package sts

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	stsapi "github.com/niwa-cloud/niwa/internal/api/sts"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// request0 is the unsigned caller of a federation call.
func request0() request.Caller { return request.Caller{Anonymous: true} }

// fakeOIDC is IAM's OIDC providers as STS sees them.
type fakeOIDC map[string]OIDCProvider

func (f fakeOIDC) SAMLProviderByARN(string) (SAMLProvider, bool, error) {
	return SAMLProvider{}, false, nil
}

func (f fakeOIDC) OIDCProviderByARN(arn string) (OIDCProvider, bool, error) {
	p, ok := f[arn]
	return p, ok, nil
}

// idp is a local OpenID Connect issuer: discovery document and JWKS.
type idp struct {
	srv     *httptest.Server
	rsaKey  *rsa.PrivateKey
	ecKey   *ecdsa.PrivateKey
	fetches atomic.Int32
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func newIDP(t *testing.T) *idp {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p := &idp{rsaKey: rk, ecKey: ek}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"issuer": p.srv.URL, "jwks_uri": p.srv.URL + "/keys"})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		p.fetches.Add(1)
		ecPub, _ := ek.PublicKey.Bytes() // 0x04 || X || Y
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{
			{"kty": "RSA", "kid": "r1", "use": "sig", "alg": "RS256", "n": b64(rk.N.Bytes()), "e": b64(big.NewInt(int64(rk.E)).Bytes())},
			{"kty": "EC", "kid": "e1", "use": "sig", "crv": "P-256", "x": b64(ecPub[1:33]), "y": b64(ecPub[33:])},
		}})
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

// token signs claims with the RSA key (RS256) or the EC key (ES256).
func (p *idp) token(t *testing.T, alg, kid string, claims map[string]any) string {
	t.Helper()
	h, _ := json.Marshal(map[string]string{"alg": alg, "kid": kid, "typ": "JWT"})
	c, _ := json.Marshal(claims)
	input := b64(h) + "." + b64(c)
	sum := sha256.Sum256([]byte(input))
	var sig []byte
	switch alg {
	case "RS256":
		s, err := rsa.SignPKCS1v15(rand.Reader, p.rsaKey, crypto.SHA256, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		sig = s
	case "ES256":
		r, s, err := ecdsa.Sign(rand.Reader, p.ecKey, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		sig = append(r.FillBytes(make([]byte, 32)), s.FillBytes(make([]byte, 32))...)
	}
	return input + "." + b64(sig)
}

func webFixture(t *testing.T, trust string) (*fixture, *idp, string) {
	t.Helper()
	f := newFixture(t)
	p := newIDP(t)
	host := strings.TrimPrefix(p.srv.URL, "http://")
	providerARN := "arn:aws:iam::" + account + ":oidc-provider/" + host
	f.providers = fakeOIDC{providerARN: {ARN: providerARN, Account: account, URL: host, ClientIDs: []string{"my-app"}}}
	trust = strings.ReplaceAll(strings.ReplaceAll(trust, "PROVIDER", providerARN), "HOST", host)
	f.roles.(fakeRoles)["arn:aws:iam::"+account+":role/web"] = Role{
		Name: "web", ID: "AROAWEB", ARN: "arn:aws:iam::" + account + ":role/web", Account: account, MaxSessionDuration: 3600, TrustPolicy: trust,
	}
	return f, p, host
}

const webTrust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"PROVIDER"},
 "Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"HOST:sub":"user-1","HOST:aud":"my-app"}}}]}`

func TestAssumeRoleWithWebIdentity(t *testing.T) {
	f, p, host := webFixture(t, webTrust)
	anon := f.ctx(request0())
	claims := func(mod func(map[string]any)) map[string]any {
		c := map[string]any{"iss": p.srv.URL, "sub": "user-1", "aud": "my-app",
			"iat": t0.Unix(), "exp": t0.Add(10 * time.Minute).Unix()}
		if mod != nil {
			mod(c)
		}
		return c
	}
	call := func(tok string) (*stsapi.AssumeRoleWithWebIdentityOutput, error) {
		return f.AssumeRoleWithWebIdentity(anon, &stsapi.AssumeRoleWithWebIdentityInput{
			RoleArn: ptr.To("arn:aws:iam::" + account + ":role/web"), RoleSessionName: ptr.To("s1"), WebIdentityToken: &tok})
	}
	for _, alg := range []struct{ alg, kid string }{{"RS256", "r1"}, {"ES256", "e1"}} {
		out, err := call(p.token(t, alg.alg, alg.kid, claims(nil)))
		if err != nil {
			t.Fatalf("%s: %v", alg.alg, err)
		}
		if got := ds(out.AssumedRoleUser.Arn); got != "arn:aws:sts::"+account+":assumed-role/web/s1" {
			t.Errorf("arn = %s", got)
		}
		if ds(out.SubjectFromWebIdentityToken) != "user-1" || ds(out.Audience) != "my-app" || ds(out.Provider) != p.srv.URL {
			t.Errorf("subject/audience/provider = %s %s %s", ds(out.SubjectFromWebIdentityToken), ds(out.Audience), ds(out.Provider))
		}
		c, ok, _ := f.LookupTemporary(ds(out.Credentials.AccessKeyId))
		if !ok || c.Federated != "arn:aws:iam::"+account+":oidc-provider/"+host || c.RoleARN == "" {
			t.Errorf("stored session = %+v", c)
		}
		if !out.Credentials.Expiration.Equal(t0.Add(time.Hour)) {
			t.Errorf("expiration = %v", out.Credentials.Expiration)
		}
	}
	if n := p.fetches.Load(); n != 1 {
		t.Errorf("JWKS fetched %d times, want 1 (cached per issuer)", n)
	}

	// A token signed by a key that is not the issuer's.
	other := newIDP(t)
	forged := other.token(t, "RS256", "r1", claims(nil))
	_, err := call(forged)
	wantErr(t, err, "InvalidIdentityToken", 400, "")
	// A token whose signature was tampered with.
	good := p.token(t, "ES256", "e1", claims(nil))
	_, err = call(good[:len(good)-4] + "AAAA")
	wantErr(t, err, "InvalidIdentityToken", 400, "")

	_, err = call(p.token(t, "RS256", "r1", claims(func(c map[string]any) { c["aud"] = "someone-else" })))
	wantErr(t, err, "InvalidIdentityToken", 400, "Incorrect token audience")

	// aud as a list holding the client id is accepted.
	if _, err := call(p.token(t, "RS256", "r1", claims(func(c map[string]any) { c["aud"] = []string{"x", "my-app"} }))); err != nil {
		t.Errorf("aud list: %v", err)
	}

	// The trust policy's :sub condition.
	_, err = call(p.token(t, "RS256", "r1", claims(func(c map[string]any) { c["sub"] = "user-2" })))
	wantErr(t, err, "AccessDenied", 403, "Not authorized to perform sts:AssumeRoleWithWebIdentity")

	// Unknown issuer: no provider in the account.
	_, err = call(p.token(t, "RS256", "r1", claims(func(c map[string]any) { c["iss"] = "https://unknown.example.com" })))
	wantErr(t, err, "InvalidIdentityToken", 400, "No OpenIDConnect provider found in your account for https://unknown.example.com")

	_, err = call("not-a-jwt")
	wantErr(t, err, "InvalidIdentityToken", 400, "")

	// Expired on the fake clock.
	tok := p.token(t, "RS256", "r1", claims(nil))
	f.clock.Advance(11 * time.Minute)
	_, err = call(tok)
	wantErr(t, err, "ExpiredTokenException", 400, "")

	// Not yet valid.
	_, err = call(p.token(t, "RS256", "r1", claims(func(c map[string]any) {
		c["nbf"] = t0.Add(time.Hour).Unix()
		c["exp"] = t0.Add(2 * time.Hour).Unix()
	})))
	wantErr(t, err, "InvalidIdentityToken", 400, "")
}

func TestAssumeRoleWithWebIdentityUnreachableIDP(t *testing.T) {
	f, p, _ := webFixture(t, webTrust)
	tok := p.token(t, "RS256", "r1", map[string]any{"iss": p.srv.URL, "sub": "user-1", "aud": "my-app", "exp": t0.Add(time.Hour).Unix()})
	p.srv.Close()
	_, err := f.AssumeRoleWithWebIdentity(f.ctx(request0()), &stsapi.AssumeRoleWithWebIdentityInput{
		RoleArn: ptr.To("arn:aws:iam::" + account + ":role/web"), RoleSessionName: ptr.To("s1"), WebIdentityToken: &tok})
	wantErr(t, err, "IDPCommunicationError", 400, "")
}
