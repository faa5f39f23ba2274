package sts

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	stsapi "github.com/niwa-cloud/niwa/internal/api/sts"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// OIDCProvider is an IAM OpenID Connect provider as STS needs it.
type OIDCProvider struct {
	ARN, Account string
	// URL is the issuer without its scheme (host[:port][/path]).
	URL       string
	ClientIDs []string
}

// OIDCProviders finds OIDC providers; the Providers value passed with
// WithProviders implements it when IAM is wired.
type OIDCProviders interface {
	OIDCProviderByARN(arn string) (OIDCProvider, bool, error)
}

var errIDPCommunication = awserr.Code{Code: "IDPCommunicationError", Status: 400, Sender: true}

// AssumeRoleWithWebIdentity issues role credentials for an OpenID
// Connect ID token. The token's issuer must be an IAM OIDC provider of
// the role's account, its signature (RS256 or ES256) must verify with a
// key of the issuer's JWKS (discovered at
// <iss>/.well-known/openid-configuration, cached per issuer), its aud
// (or azp) must be one of the provider's client ids and it must be
// within exp/nbf on niwa's clock. The role's trust policy must allow
// the provider (Principal Federated) to sts:AssumeRoleWithWebIdentity,
// with the <provider url>:sub and :aud condition keys set.
func (s *STS) AssumeRoleWithWebIdentity(ctx *request.Context, in *stsapi.AssumeRoleWithWebIdentityInput) (*stsapi.AssumeRoleWithWebIdentityOutput, error) {
	roleARN, session := ptr.Deref(in.RoleArn), ptr.Deref(in.RoleSessionName)
	if !sessionNamePattern.MatchString(session) {
		return nil, awserr.ValidationError.New("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", session)
	}
	if !strings.HasPrefix(roleARN, "arn:aws:iam::") || !strings.Contains(roleARN, ":role/") {
		return nil, awserr.ValidationError.New("%s is invalid", roleARN)
	}
	oidc, _ := s.providers.(OIDCProviders)
	if s.roles == nil || oidc == nil {
		return nil, awserr.NotImplemented.New("niwa has no IAM service wired for web identity federation")
	}
	tok, err := parseJWT(ptr.Deref(in.WebIdentityToken))
	if err != nil {
		return nil, err
	}
	account := strings.SplitN(roleARN, ":", 6)[4]
	issuerKey := issuerURLKey(tok.claims.Iss)
	providerARN := "arn:aws:iam::" + account + ":oidc-provider/" + issuerKey
	provider, ok, err := oidc.OIDCProviderByARN(providerARN)
	if err != nil {
		return nil, err
	}
	if !ok || issuerKey == "" {
		return nil, errInvalidIdentityToken.New("No OpenIDConnect provider found in your account for %s", tok.claims.Iss)
	}
	if err := s.jwks.verify(tok, ctx.Now()); err != nil {
		return nil, err
	}
	aud, ok := tok.audience(provider.ClientIDs)
	if !ok {
		return nil, errInvalidIdentityToken.New("Incorrect token audience")
	}
	if err := tok.checkTimes(ctx.Now()); err != nil {
		return nil, err
	}
	role, ok, err := s.roles.RoleByARN(roleARN)
	if err != nil {
		return nil, err
	}
	notAuthorized := awserr.AccessDenied.New("Not authorized to perform sts:AssumeRoleWithWebIdentity")
	if !ok {
		return nil, notAuthorized
	}
	req := iam.Request{
		Principal: iam.Principal{Federated: provider.ARN, Account: provider.Account},
		Action:    "sts:AssumeRoleWithWebIdentity", Resource: role.ARN, Context: iam.Context{},
	}
	c := req.Context
	c.Set("aws:CurrentTime", ctx.Now().UTC().Format("2006-01-02T15:04:05Z"))
	c.Set("aws:SourceIp", ctx.SourceIP)
	c.Set("aws:FederatedProvider", provider.ARN)
	c.Set(issuerKey+":sub", tok.claims.Sub)
	c.Set(issuerKey+":aud", aud)
	if tok.claims.Azp != "" {
		c.Set(issuerKey+":azp", tok.claims.Azp)
	}
	if len(tok.claims.Amr) > 0 {
		c[issuerKey+":amr"] = tok.claims.Amr
	}
	c.Set("sts:RoleSessionName", session)
	if !trusts(role, req) {
		return nil, notAuthorized
	}
	d, err := roleDuration(role, in.DurationSeconds)
	if err != nil {
		return nil, err
	}
	sess, err := sessionPolicies(in.Policy, in.PolicyArns)
	if err != nil {
		return nil, err
	}
	arn, userID := sessionIdentity(role, session)
	sess.Account, sess.RoleARN, sess.SessionName, sess.ARN, sess.UserID = role.Account, role.ARN, session, arn, userID
	sess.Federated = provider.ARN
	cred, err := s.issue(ctx, d, sess)
	if err != nil {
		return nil, err
	}
	return &stsapi.AssumeRoleWithWebIdentityOutput{
		AssumedRoleUser:             &stsapi.AssumedRoleUser{Arn: ptr.To(arn), AssumedRoleId: ptr.To(userID)},
		Credentials:                 credentials(cred),
		SubjectFromWebIdentityToken: ptr.To(tok.claims.Sub),
		Provider:                    ptr.To(tok.claims.Iss),
		Audience:                    ptr.To(aud),
		PackedPolicySize:            packedSize(in.Policy, len(in.PolicyArns), 0),
	}, nil
}

// issuerURLKey is an issuer as IAM names its provider: without the
// https:// (or http://) scheme and trailing slash.
func issuerURLKey(iss string) string {
	u, err := url.Parse(iss)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return ""
	}
	return strings.ToLower(u.Host) + strings.TrimSuffix(u.Path, "/")
}

// jwtClaims are the claims niwa reads. aud may be a string or a list.
type jwtClaims struct {
	Iss string          `json:"iss"`
	Sub string          `json:"sub"`
	Aud json.RawMessage `json:"aud"`
	Azp string          `json:"azp"`
	Amr []string        `json:"amr"`
	Exp *json.Number    `json:"exp"`
	Nbf *json.Number    `json:"nbf"`
	Iat *json.Number    `json:"iat"`
}

type jwt struct {
	alg, kid     string
	signingInput string
	signature    []byte
	claims       jwtClaims
	audiences    []string
}

func notJWT() error {
	return errInvalidIdentityToken.New("The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)")
}

// parseJWT decodes a compact JWS without verifying it.
func parseJWT(raw string) (*jwt, error) {
	parts := strings.Split(strings.TrimSpace(raw), ".")
	if len(parts) != 3 {
		return nil, notJWT()
	}
	dec := base64.RawURLEncoding
	hb, err1 := dec.DecodeString(parts[0])
	cb, err2 := dec.DecodeString(parts[1])
	sig, err3 := dec.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return nil, notJWT()
	}
	var h struct{ Alg, Kid string }
	if json.Unmarshal(hb, &h) != nil {
		return nil, notJWT()
	}
	t := &jwt{alg: h.Alg, kid: h.Kid, signingInput: parts[0] + "." + parts[1], signature: sig}
	d := json.NewDecoder(strings.NewReader(string(cb)))
	d.UseNumber()
	if d.Decode(&t.claims) != nil {
		return nil, notJWT()
	}
	if len(t.claims.Aud) > 0 {
		var one string
		if json.Unmarshal(t.claims.Aud, &one) == nil {
			t.audiences = []string{one}
		} else if json.Unmarshal(t.claims.Aud, &t.audiences) != nil {
			return nil, notJWT()
		}
	}
	if t.claims.Iss == "" {
		return nil, errInvalidIdentityToken.New("Missing a required claim: iss")
	}
	if t.claims.Sub == "" {
		return nil, errInvalidIdentityToken.New("Missing a required claim: sub")
	}
	if t.claims.Exp == nil {
		return nil, errInvalidIdentityToken.New("Missing a required claim: exp")
	}
	return t, nil
}

// audience is the client id the token was issued to that the provider
// knows: one of aud's values, else azp.
func (t *jwt) audience(clientIDs []string) (string, bool) {
	cands := append([]string(nil), t.audiences...)
	if t.claims.Azp != "" {
		cands = append(cands, t.claims.Azp)
	}
	for _, a := range cands {
		for _, c := range clientIDs {
			if a == c {
				return a, true
			}
		}
	}
	return "", false
}

func numericDate(n *json.Number) (time.Time, bool) {
	if n == nil {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(int64(f), 0).UTC(), true
}

// checkTimes applies exp, nbf and iat on niwa's clock. AWS allows no
// skew on exp; a token issued (or valid from) in the future is refused.
func (t *jwt) checkTimes(now time.Time) error {
	now = now.UTC()
	exp, ok := numericDate(t.claims.Exp)
	if !ok {
		return errInvalidIdentityToken.New("Missing a required claim: exp")
	}
	if !now.Before(exp) {
		return errExpiredToken.New("Token expired: current date/time %d must be before the expiration date/time %d", now.Unix(), exp.Unix())
	}
	const skew = 5 * time.Minute
	if nbf, ok := numericDate(t.claims.Nbf); ok && now.Add(skew).Before(nbf) {
		return errInvalidIdentityToken.New("Token is not yet valid: current date/time %d must be after the not-before date/time %d", now.Unix(), nbf.Unix())
	}
	if iat, ok := numericDate(t.claims.Iat); ok && now.Add(skew).Before(iat) {
		return errInvalidIdentityToken.New("Token was issued in the future: issued-at date/time %d is after the current date/time %d", iat.Unix(), now.Unix())
	}
	return nil
}

// jwksCache holds each issuer's signing keys, fetched from its discovery
// document. A token whose kid is not in the cached set makes it fetch
// again (the issuer may have rotated its keys), at most once a minute.
type jwksCache struct {
	mu      sync.Mutex
	issuers map[string]*issuerKeys
	client  *http.Client
}

type issuerKeys struct {
	keys    map[string]crypto.PublicKey // by kid ("" for a key without one)
	fetched time.Time
}

func (c *jwksCache) verify(t *jwt, now time.Time) error {
	if t.alg != "RS256" && t.alg != "ES256" {
		return errInvalidIdentityToken.New("Unsupported token signature algorithm %s (niwa verifies RS256 and ES256)", t.alg)
	}
	key, err := c.key(t.claims.Iss, t.kid, now)
	if err != nil {
		return err
	}
	sum := sha256.Sum256([]byte(t.signingInput))
	bad := errInvalidIdentityToken.New("The web identity token's signature could not be verified with the identity provider's keys")
	switch k := key.(type) {
	case *rsa.PublicKey:
		if t.alg != "RS256" || rsa.VerifyPKCS1v15(k, crypto.SHA256, sum[:], t.signature) != nil {
			return bad
		}
	case *ecdsa.PublicKey:
		if t.alg != "ES256" || len(t.signature) != 64 {
			return bad
		}
		r, s := new(big.Int).SetBytes(t.signature[:32]), new(big.Int).SetBytes(t.signature[32:])
		if !ecdsa.Verify(k, sum[:], r, s) {
			return bad
		}
	default:
		return bad
	}
	return nil
}

// key finds the issuer's key kid, fetching the JWKS if it is not cached.
func (c *jwksCache) key(iss, kid string, now time.Time) (crypto.PublicKey, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.issuers == nil {
		c.issuers = map[string]*issuerKeys{}
	}
	ik := c.issuers[iss]
	if ik != nil {
		if k, ok := pick(ik.keys, kid); ok {
			return k, nil
		}
		if now.Sub(ik.fetched) < time.Minute && now.After(ik.fetched) {
			return nil, noKey()
		}
	}
	keys, err := c.fetch(iss)
	if err != nil {
		return nil, err
	}
	c.issuers[iss] = &issuerKeys{keys: keys, fetched: now}
	if k, ok := pick(keys, kid); ok {
		return k, nil
	}
	return nil, noKey()
}

func noKey() error {
	return errInvalidIdentityToken.New("Couldn't retrieve verification key from your identity provider,  please reference AssumeRoleWithWebIdentity documentation for requirements")
}

// pick is the key with this kid; a token without a kid matches the only
// key of a single-key set.
func pick(keys map[string]crypto.PublicKey, kid string) (crypto.PublicKey, bool) {
	if k, ok := keys[kid]; ok {
		return k, true
	}
	if kid == "" && len(keys) == 1 {
		for _, k := range keys {
			return k, true
		}
	}
	return nil, false
}

func idpUnreachable() error {
	return errIDPCommunication.New("The request could not be fulfilled because the identity provider (IDP) that was asked to verify the incoming identity token could not be reached. This is often a transient error caused by network conditions.")
}

func (c *jwksCache) fetch(iss string) (map[string]crypto.PublicKey, error) {
	if c.client == nil {
		c.client = &http.Client{Timeout: 10 * time.Second}
	}
	var disc struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := c.getJSON(strings.TrimSuffix(iss, "/")+"/.well-known/openid-configuration", &disc); err != nil {
		return nil, err
	}
	if disc.JWKSURI == "" {
		return nil, noKey()
	}
	var set struct {
		Keys []jwk `json:"keys"`
	}
	if err := c.getJSON(disc.JWKSURI, &set); err != nil {
		return nil, err
	}
	keys := map[string]crypto.PublicKey{}
	for _, k := range set.Keys {
		if k.Use != "" && k.Use != "sig" {
			continue
		}
		if pub, err := k.public(); err == nil {
			keys[k.Kid] = pub
		}
	}
	return keys, nil
}

func (c *jwksCache) getJSON(u string, v any) error {
	resp, err := c.client.Get(u)
	if err != nil {
		return idpUnreachable()
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return idpUnreachable()
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return idpUnreachable()
	}
	if json.Unmarshal(body, v) != nil {
		return noKey()
	}
	return nil
}

// jwk is a JSON Web Key (RFC 7517) of type RSA or EC (P-256).
type jwk struct {
	Kty, Kid, Use, Alg string
	N, E               string
	Crv, X, Y          string
}

func (k jwk) public() (crypto.PublicKey, error) {
	dec := base64.RawURLEncoding
	switch k.Kty {
	case "RSA":
		n, err1 := dec.DecodeString(k.N)
		e, err2 := dec.DecodeString(k.E)
		if err1 != nil || err2 != nil || len(e) == 0 || len(e) > 4 {
			return nil, errors.New("bad RSA key")
		}
		ev := 0
		for _, b := range e {
			ev = ev<<8 | int(b)
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: ev}, nil
	case "EC":
		if k.Crv != "P-256" {
			return nil, fmt.Errorf("unsupported curve %s", k.Crv)
		}
		x, err1 := dec.DecodeString(k.X)
		y, err2 := dec.DecodeString(k.Y)
		if err1 != nil || err2 != nil || len(x) != 32 || len(y) != 32 {
			return nil, errors.New("bad EC key")
		}
		return ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
	}
	return nil, fmt.Errorf("unsupported key type %s", k.Kty)
}
