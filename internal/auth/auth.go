// Package auth authenticates AWS requests the way AWS does: SigV4 in the
// Authorization header, SigV4 presigned query strings, SigV4 streaming
// (aws-chunked) bodies with chunk and trailer signatures, and S3's SigV2
// header and query forms, all verified against the secret of the access key.
//
// Authentication only answers "who signed this, and is the signature
// good". Whether that principal may do what it asks is the IAM engine's
// question, and whether an anonymous request is acceptable is the
// service's, so anonymous requests come back as a Result rather than an
// error.
package auth

import (
	"crypto/subtle"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/clock"
)

// Credential is an access key and the principal it stands for.
type Credential struct {
	AccessKeyID, SecretAccessKey, SessionToken string
	// Account is the 12-digit account id the key belongs to.
	Account string
	// ARN is the principal: arn:aws:iam::000000000000:root,
	// arn:aws:iam::…:user/x, arn:aws:sts::…:assumed-role/r/s.
	ARN string
	// UserID is the principal's unique id (AIDA…, AROA…:session), or the
	// account id for root, as GetCallerIdentity reports it.
	UserID string
	// Expiration ends a temporary credential; zero means it never expires.
	Expiration time.Time
}

// CredentialSource resolves access key ids. IAM (long-term keys) and STS
// (temporary keys) implement it; the verifier never stores keys itself.
type CredentialSource interface {
	LookupAccessKey(accessKeyID string) (Credential, bool, error)
}

// StaticCredentials is a fixed set of keys by access key id, for the
// default test/test key and for tests.
type StaticCredentials map[string]Credential

// LookupAccessKey implements CredentialSource.
func (s StaticCredentials) LookupAccessKey(id string) (Credential, bool, error) {
	c, ok := s[id]
	return c, ok, nil
}

// RootCredential is the account root principal holding a long-term key,
// the identity unknown keys map to when validation is skipped and the one
// the default key pair belongs to.
func RootCredential(accessKeyID, secretAccessKey, account string) Credential {
	return Credential{
		AccessKeyID:     accessKeyID,
		SecretAccessKey: secretAccessKey,
		Account:         account,
		ARN:             "arn:aws:iam::" + account + ":root",
		UserID:          account,
	}
}

// Authentication schemes reported in Result.Scheme.
const (
	SchemeSigV4        = "sigv4"
	SchemeSigV4Presign = "sigv4-presign"
	SchemeSigV2        = "sigv2"
	SchemeSigV2Presign = "sigv2-presign"
	SchemeAnonymous    = "anonymous"
)

// DefaultMaxBufferedBody bounds the body the verifier reads to hash when a
// non-S3 request does not declare its payload hash. It is Lambda's request
// ceiling (a 50 MB zip, base64-encoded in JSON), the largest body any
// non-S3 API takes; S3 always declares x-amz-content-sha256 and streams.
const DefaultMaxBufferedBody = 70 << 20

// maxSkew is how far a signed request's time may be from the server's.
const maxSkew = 15 * time.Minute

// Verifier authenticates requests. It keeps no state between requests, so
// one Verifier serves all of them concurrently. Set Credentials and Clock;
// a nil Clock reads the wall clock.
type Verifier struct {
	Credentials CredentialSource
	Clock       clock.Clock
	// SigningClock is the time clients sign with, against which request
	// dates, skew and presigned URL lifetimes are checked; nil is Clock.
	// When niwa's clock has been advanced past the wall clock (POST
	// /_niwa/clock/advance), clients still sign with their own wall
	// clock, while credential expiry stays on Clock.
	SigningClock clock.Clock
	// SkipValidation (--skip-signature-validation) accepts any key and
	// signature: requests are parsed, unknown keys become the root of
	// DefaultAccount, and secrets, signatures, tokens, expiry and skew are
	// not checked. Bodies are still decoded, since services need the
	// payload either way.
	SkipValidation bool
	// DefaultAccount is the account ("000000000000") unknown keys belong to
	// when SkipValidation is set.
	DefaultAccount string
	// MaxBufferedBody overrides DefaultMaxBufferedBody when positive.
	MaxBufferedBody int64
	// TempDir is where bodies larger than the in-memory threshold are
	// spooled while they are hashed; empty means os.TempDir().
	TempDir string

	// keys caches derived SigV4 signing keys: deriving one is four
	// HMACs, and a client signs every request of a day, region and
	// service with the same key.
	keyMu sync.RWMutex
	keys  map[scope]keyEntry
	// bufs holds *[]byte buffers for building canonical requests.
	bufs sync.Pool
}

// keyEntry is a cached signing key and the secret it was derived from (a
// rotated secret for the same access key derives a new one).
type keyEntry struct {
	secret string
	key    []byte
}

// maxCachedKeys bounds the signing-key cache; when full it starts over.
const maxCachedKeys = 1024

// signingKey is signingKey(secret, s), cached.
func (v *Verifier) signingKey(secret string, s scope) []byte {
	s.text = "" // the same scope however it was made
	// Every request reads the cache and almost none writes it: readers
	// share the lock (requests on both cores verify at once).
	v.keyMu.RLock()
	e, ok := v.keys[s]
	v.keyMu.RUnlock()
	if ok && e.secret == secret {
		return e.key
	}
	k := signingKey(secret, s)
	v.keyMu.Lock()
	if v.keys == nil || len(v.keys) >= maxCachedKeys {
		v.keys = map[scope]keyEntry{}
	}
	v.keys[s] = keyEntry{secret: secret, key: k}
	v.keyMu.Unlock()
	return k
}

// Result is an authenticated (or anonymous) request.
type Result struct {
	Credential Credential
	// Anonymous is set when the request carries no Authorization header
	// and no presign parameters.
	Anonymous bool
	// Region and Service come from the SigV4 credential scope ("" for
	// SigV2 and anonymous requests).
	Region, Service string
	// Scheme is one of the Scheme* constants.
	Scheme string
	// Body replaces r.Body: it is the decoded payload for aws-chunked
	// requests, a replay of the buffered body when the verifier had to hash
	// it, and otherwise the original body, wrapped to check a declared
	// x-amz-content-sha256. A failed check surfaces as an *awserr.Error
	// from Read, so a consumer must abandon the request on any read error.
	// Closing it closes r.Body.
	Body io.ReadCloser
	// ContentLength is the payload length after decoding
	// (x-amz-decoded-content-length for aws-chunked), or -1 when unknown.
	ContentLength int64
	// Trailer holds the trailing headers of an aws-chunked body
	// (x-amz-checksum-*), filled in once Body has returned io.EOF.
	Trailer http.Header
}

// bufferedResult is a Result whose Body the verifier read to hash it,
// both in one allocation.
type bufferedResult struct {
	Result
	body bufferedBody
}

// checkedResult is a Result whose Body checks the payload hash the
// request declared, both in one allocation (every S3 PUT declares one).
type checkedResult struct {
	Result
	check sha256Reader
}

// Verify authenticates r for a service that speaks dialect d. For S3 use
// VerifyS3, which also needs the bucket of virtual-hosted requests.
func (v *Verifier) Verify(r *http.Request, d Dialect) (*Result, error) {
	return v.verify(r, d, "")
}

// VerifyS3 authenticates an S3 request. bucket is the bucket named by the
// Host header of a virtual-hosted-style request ("" for path style):
// SigV2's canonical resource starts with it, and only the gateway knows
// which host suffix is niwa's.
func (v *Verifier) VerifyS3(r *http.Request, bucket string) (*Result, error) {
	return v.verify(r, DialectS3, bucket)
}

func (v *Verifier) verify(r *http.Request, d Dialect, bucket string) (*Result, error) {
	authz := header(r, "Authorization")
	_, rawQuery := rawTarget(r)
	// Most requests carry no parameter or a few (S3's x-id): parsed
	// into an array on this call's stack.
	var qBuf [4]queryParam
	q := appendQuery(qBuf[:0], rawQuery)
	presignV4 := q.has("X-Amz-Algorithm") || q.has("X-Amz-Credential") || q.has("X-Amz-Signature")
	presignV2 := d == DialectS3 && (q.has("AWSAccessKeyId") || (q.has("Signature") && q.has("Expires")))

	if authz != "" && (presignV4 || presignV2) {
		e := fail(d, failMultipleAuth)
		if d == DialectS3 {
			_ = fieldErr(e, "ArgumentName", "Authorization", "ArgumentValue", authz)
		}
		return nil, e
	}
	switch {
	case authz != "":
		scheme, _, _ := strings.Cut(strings.TrimSpace(authz), " ")
		switch scheme {
		case algorithmV4:
			return v.verifyV4(r, d, q, false)
		case algorithmV4A:
			if !v.SkipValidation {
				return v.verifyV4AHeader(r, d, q, authz)
			}
			return v.verifySigV4A(r, d, authz)
		case "AWS":
			if d == DialectS3 {
				return v.verifyV2(r, q, bucket, false)
			}
		}
		if d == DialectS3 {
			return nil, fieldErr(fail(d, failUnsupportedAuthType), "ArgumentName", "Authorization", "ArgumentValue", authz)
		}
		return nil, fail(d, failUnsupportedAuthType, missingParts(false, false, false, hasDate(r)), authz)
	case presignV4:
		if q.get("X-Amz-Algorithm") == algorithmV4A {
			return v.verifySigV4A(r, d, "")
		}
		return v.verifyV4(r, d, q, true)
	case presignV2:
		return v.verifyV2(r, q, bucket, true)
	}
	return v.anonymous(r, d)
}

// SigningScope reads the access key, region and service a SigV4 request
// was signed for, from its Authorization header or presigned query,
// without verifying anything: the gateway routes on the scope's service
// before it knows which service, and so which Dialect, will answer.
func SigningScope(r *http.Request) (accessKeyID, region, service string, ok bool) {
	cred := ""
	if authz := r.Header.Get("Authorization"); authz != "" {
		if h, parsed := parseAuthorization(authz); parsed {
			cred = h.credential
		}
	} else {
		_, rawQuery := rawTarget(r)
		cred = parseQuery(rawQuery).get("X-Amz-Credential")
	}
	sc, ok := parseCredential(cred)
	return sc.accessKey, sc.region, sc.service, ok
}

// anonymous passes an unsigned request through, still decoding an
// unsigned aws-chunked body (a public-bucket upload may use one) and
// checking a declared payload hash.
func (v *Verifier) anonymous(r *http.Request, d Dialect) (*Result, error) {
	res := &Result{Anonymous: true, Scheme: SchemeAnonymous}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if err := v.wrapBody(r, d, res, payload, nil, nil); err != nil {
		return nil, err
	}
	return res, nil
}

// verifySigV4A rejects SigV4a: verifying it needs the ECDSA key derived
// from the secret, which niwa does not implement. With SkipValidation the
// request is accepted as the default account's root.
func (v *Verifier) verifySigV4A(r *http.Request, d Dialect, authz string) (*Result, error) {
	if !v.SkipValidation {
		return nil, fail(d, failSigV4A)
	}
	akid := ""
	if authz != "" {
		if c := authParam(authz, "Credential"); c != "" {
			akid, _, _ = strings.Cut(c, "/")
		}
	} else {
		akid, _, _ = strings.Cut(r.URL.Query().Get("X-Amz-Credential"), "/")
	}
	cred, err := v.lookup(d, akid)
	if err != nil {
		return nil, err
	}
	res := &Result{Credential: cred, Scheme: SchemeSigV4, Region: r.Header.Get("X-Amz-Region-Set")}
	if authz == "" {
		res.Scheme = SchemeSigV4Presign
	}
	if err := v.wrapBody(r, d, res, r.Header.Get("X-Amz-Content-Sha256"), nil, nil); err != nil {
		return nil, err
	}
	return res, nil
}

// lookup resolves an access key id, mapping unknown keys to the default
// account's root when validation is skipped.
func (v *Verifier) lookup(d Dialect, akid string) (Credential, error) {
	var (
		cred  Credential
		found bool
		err   error
	)
	if v.Credentials != nil && akid != "" {
		cred, found, err = v.Credentials.LookupAccessKey(akid)
		if err != nil {
			return Credential{}, internalError(err)
		}
	}
	if found {
		return cred, nil
	}
	if v.SkipValidation {
		return RootCredential(akid, "", v.defaultAccount()), nil
	}
	e := fail(d, failUnknownKey)
	if d == DialectS3 {
		e.With("AWSAccessKeyId", akid)
	}
	return Credential{}, e
}

func (v *Verifier) defaultAccount() string {
	if v.DefaultAccount != "" {
		return v.DefaultAccount
	}
	return "000000000000"
}

// checkToken enforces the session token contract: a temporary key is only
// valid with its own token and before its expiration, and a long-term key
// must not come with a token at all.
func (v *Verifier) checkToken(d Dialect, cred Credential, token string) error {
	if v.SkipValidation {
		return nil
	}
	switch {
	case cred.SessionToken == "" && token == "":
	case cred.SessionToken != "" && token == "":
		// AWS cannot find a temporary key without its token.
		e := fail(d, failUnknownKey)
		if d == DialectS3 {
			e.With("AWSAccessKeyId", cred.AccessKeyID)
		}
		return e
	case subtle.ConstantTimeCompare([]byte(cred.SessionToken), []byte(token)) != 1:
		return fail(d, failInvalidToken)
	}
	// The clock is read only for a credential that expires (a temporary
	// one): a long-term key's requests need no reading of it.
	if !cred.Expiration.IsZero() && !v.now().Before(cred.Expiration) {
		e := fail(d, failExpiredToken)
		if d == DialectS3 {
			e.With("Token-0", token)
		}
		return e
	}
	return nil
}

// signingNow is the time request dates are checked against.
func (v *Verifier) signingNow() time.Time {
	if v.SigningClock != nil {
		return v.SigningClock.Now()
	}
	return v.now()
}

func (v *Verifier) now() time.Time {
	if v.Clock == nil {
		return clock.Real{}.Now()
	}
	return v.Clock.Now()
}

func (v *Verifier) maxBufferedBody() int64 {
	if v.MaxBufferedBody > 0 {
		return v.MaxBufferedBody
	}
	return DefaultMaxBufferedBody
}

// hasDate reports whether r carries a time SigV4 can use.
func hasDate(r *http.Request) bool {
	return r.Header.Get("X-Amz-Date") != "" || r.Header.Get("Date") != ""
}

// requestTime reads the signing time of a header-signed request: X-Amz-Date
// (ISO 8601 basic) wins over Date (an HTTP date). raw is the value as sent.
func requestTime(r *http.Request) (t time.Time, raw string, ok bool) {
	if raw = header(r, "X-Amz-Date"); raw != "" {
		if t, ok := parseAmzDate(raw); ok {
			return t, raw, true
		}
		t, ok := parseHTTPDate(raw)
		return t, raw, ok
	}
	if raw = header(r, "Date"); raw != "" {
		t, ok := parseHTTPDate(raw)
		return t, raw, ok
	}
	return time.Time{}, raw, false
}

// parseHTTPDate accepts the HTTP date forms and the numeric-zone RFC 1123
// form ("Tue, 27 Mar 2007 19:36:42 +0000") that SigV2 clients, and S3's
// own documentation, use.
func parseHTTPDate(s string) (time.Time, bool) {
	if t, err := http.ParseTime(s); err == nil {
		return t, true
	}
	for _, layout := range []string{time.RFC1123Z, time.RFC1123, time.RFC850} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// decodedLength is the payload length an aws-chunked request declares.
func decodedLength(r *http.Request) int64 {
	if s := r.Header.Get("X-Amz-Decoded-Content-Length"); s != "" {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
			return n
		}
	}
	return -1
}

// fieldErr lets call sites attach S3's extra error members fluently.
func fieldErr(e *awserr.Error, kv ...string) *awserr.Error {
	for i := 0; i+1 < len(kv); i += 2 {
		e.With(kv[i], kv[i+1])
	}
	return e
}
