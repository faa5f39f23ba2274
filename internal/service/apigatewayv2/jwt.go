package apigatewayv2

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"time"

	apigatewayv2api "github.com/niwa-cloud/niwa/internal/api/apigatewayv2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// JWT authorizers (Developer Guide, "Controlling access to HTTP APIs
// with JWT authorizers"): the token from the identity source ("Bearer "
// optional) is an RS256 JWT whose key is in the issuer's JWKS, found
// through <issuer>/.well-known/openid-configuration's jwks_uri and
// cached; its iss is the issuer, its aud (or client_id) one of the
// audiences, exp and nbf hold on niwa's clock, and its scopes (scope or
// scp) include one of the route's authorization scopes when it has any.

// jwksTTL is how long an issuer's keys are kept before being fetched
// again; a token naming a key not in the cache refetches sooner (at most
// every jwksRetry).
const (
	jwksTTL   = 2 * time.Hour
	jwksRetry = 30 * time.Second
	// maxJWKS bounds the discovery document and key set read.
	maxJWKS = 1 << 20
	// maxToken bounds the token parsed.
	maxToken = 16 << 10
)

type jwksEntry struct {
	keys    map[string]*rsa.PublicKey
	fetched time.Time
}

// jwk is one key of a JWKS (RSA members only).
type jwk struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	Alg string `json:"alg"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// errTokenInvalid is any reason a token does not authorize a call.
var errTokenInvalid = errors.New("invalid token")

// jwtHeader is a token's header.
type jwtHeader struct {
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Typ string `json:"typ"`
}

// parseJWT splits and decodes a compact JWS. It checks its shape, not
// its signature.
func parseJWT(token string) (hdr jwtHeader, claims map[string]any, signed, sig []byte, err error) {
	if len(token) > maxToken {
		return hdr, nil, nil, nil, fmt.Errorf("%w: too long", errTokenInvalid)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return hdr, nil, nil, nil, fmt.Errorf("%w: not a JWT", errTokenInvalid)
	}
	h, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil || json.Unmarshal(h, &hdr) != nil {
		return hdr, nil, nil, nil, fmt.Errorf("%w: bad header", errTokenInvalid)
	}
	p, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return hdr, nil, nil, nil, fmt.Errorf("%w: bad payload", errTokenInvalid)
	}
	d := json.NewDecoder(strings.NewReader(string(p)))
	d.UseNumber()
	if d.Decode(&claims) != nil || claims == nil {
		return hdr, nil, nil, nil, fmt.Errorf("%w: bad payload", errTokenInvalid)
	}
	sig, err = base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return hdr, nil, nil, nil, fmt.Errorf("%w: bad signature encoding", errTokenInvalid)
	}
	return hdr, claims, []byte(parts[0] + "." + parts[1]), sig, nil
}

// numericDate reads a NumericDate claim.
func numericDate(v any) (time.Time, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil {
		return time.Time{}, false
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)), true
}

// stringList reads a claim that is a string or a list of strings.
func stringList(v any, sep string) []string {
	switch t := v.(type) {
	case string:
		if sep == "" {
			return []string{t}
		}
		return strings.Fields(t)
	case []any:
		var out []string
		for _, x := range t {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// verifyJWT checks a token against the authorizer's configuration at
// now; it returns the claims and scopes.
func (s *APIGatewayV2) verifyJWT(ctx context.Context, cfg *apigatewayv2api.JWTConfiguration, token string, now time.Time) (map[string]any, []string, error) {
	hdr, claims, signed, sig, err := parseJWT(token)
	if err != nil {
		return nil, nil, err
	}
	if hdr.Alg != "RS256" {
		return nil, nil, fmt.Errorf("%w: algorithm %q is not RS256", errTokenInvalid, hdr.Alg)
	}
	issuer := ptr.Deref(cfg.Issuer)
	if iss, _ := claims["iss"].(string); iss != issuer {
		return nil, nil, fmt.Errorf("%w: issuer %q is not %q", errTokenInvalid, iss, issuer)
	}
	key, err := s.jwtKey(ctx, issuer, hdr.Kid, now)
	if err != nil {
		return nil, nil, err
	}
	digest := sha256.Sum256(signed)
	if rsa.VerifyPKCS1v15(key, crypto.SHA256, digest[:], sig) != nil {
		return nil, nil, fmt.Errorf("%w: signature does not verify", errTokenInvalid)
	}
	exp, ok := numericDate(claims["exp"])
	if !ok || !now.Before(exp) {
		return nil, nil, fmt.Errorf("%w: expired or without exp", errTokenInvalid)
	}
	if nbf, ok := numericDate(claims["nbf"]); ok && now.Before(nbf) {
		return nil, nil, fmt.Errorf("%w: not valid yet (nbf)", errTokenInvalid)
	}
	if _, has := claims["iat"]; has {
		if _, ok := numericDate(claims["iat"]); !ok {
			return nil, nil, fmt.Errorf("%w: iat is not a date", errTokenInvalid)
		}
	}
	aud := stringList(claims["aud"], "")
	if len(aud) == 0 {
		aud = stringList(claims["client_id"], "")
	}
	if !slices.ContainsFunc(aud, func(a string) bool { return slices.Contains(cfg.Audience, a) }) {
		return nil, nil, fmt.Errorf("%w: audience %v is not one of %v", errTokenInvalid, aud, cfg.Audience)
	}
	scopes := stringList(claims["scope"], " ")
	if scopes == nil {
		scopes = stringList(claims["scp"], " ")
	}
	return claims, scopes, nil
}

// jwtKey finds the issuer's key kid, fetching the JWKS when it is not
// cached, stale, or lacks kid (not more often than jwksRetry).
func (s *APIGatewayV2) jwtKey(ctx context.Context, issuer, kid string, now time.Time) (*rsa.PublicKey, error) {
	s.mu.Lock()
	e, ok := s.jwks[issuer]
	s.mu.Unlock()
	fresh := ok && now.Sub(e.fetched) < jwksTTL
	if k := pickKey(e.keys, kid); fresh && k != nil {
		return k, nil
	}
	if ok && now.Sub(e.fetched) < jwksRetry {
		if k := pickKey(e.keys, kid); k != nil {
			return k, nil
		}
		return nil, fmt.Errorf("%w: no key %q in the issuer's JWKS", errTokenInvalid, kid)
	}
	keys, err := s.fetchJWKS(ctx, issuer)
	if err != nil {
		s.log.Warn("apigatewayv2: fetching the JWT issuer's keys failed", "issuer", issuer, "error", err)
		return nil, fmt.Errorf("%w: %v", errTokenInvalid, err)
	}
	s.mu.Lock()
	s.jwks[issuer] = jwksEntry{keys: keys, fetched: now}
	s.mu.Unlock()
	if k := pickKey(keys, kid); k != nil {
		return k, nil
	}
	return nil, fmt.Errorf("%w: no key %q in the issuer's JWKS", errTokenInvalid, kid)
}

// pickKey is the key kid, or the only key when the token names none.
func pickKey(keys map[string]*rsa.PublicKey, kid string) *rsa.PublicKey {
	if k, ok := keys[kid]; ok {
		return k
	}
	if kid == "" && len(keys) == 1 {
		for _, k := range keys {
			return k
		}
	}
	return nil
}

// fetchJWKS reads the issuer's discovery document and key set.
func (s *APIGatewayV2) fetchJWKS(ctx context.Context, issuer string) (map[string]*rsa.PublicKey, error) {
	var disc struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := s.getJSON(ctx, strings.TrimSuffix(issuer, "/")+"/.well-known/openid-configuration", &disc); err != nil {
		return nil, err
	}
	if disc.JWKSURI == "" {
		return nil, errors.New("the issuer's openid-configuration has no jwks_uri")
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := s.getJSON(ctx, disc.JWKSURI, &set); err != nil {
		return nil, err
	}
	keys := map[string]*rsa.PublicKey{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" || (k.Use != "" && k.Use != "sig") {
			continue
		}
		pk, err := rsaKey(k.N, k.E)
		if err != nil {
			continue
		}
		keys[k.Kid] = pk
	}
	return keys, nil
}

func rsaKey(n, e string) (*rsa.PublicKey, error) {
	nb, err := base64.RawURLEncoding.DecodeString(n)
	if err != nil {
		return nil, err
	}
	eb, err := base64.RawURLEncoding.DecodeString(e)
	if err != nil || len(eb) == 0 || len(eb) > 4 {
		return nil, errors.New("bad exponent")
	}
	exp := 0
	for _, b := range eb {
		exp = exp<<8 | int(b)
	}
	mod := new(big.Int).SetBytes(nb)
	if mod.BitLen() < 1024 || exp < 3 {
		return nil, errors.New("key too small")
	}
	return &rsa.PublicKey{N: mod, E: exp}, nil
}

func (s *APIGatewayV2) getJSON(ctx context.Context, u string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxJWKS))
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}
