package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/niwa-cloud/niwa/internal/awserr"
)

const (
	algorithmV4  = "AWS4-HMAC-SHA256"
	algorithmV4A = "AWS4-ECDSA-P256-SHA256"
	terminator   = "aws4_request"

	unsignedPayload          = "UNSIGNED-PAYLOAD"
	streamingSigned          = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingSignedTrailer   = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	streamingUnsignedTrailer = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	streamingECDSA           = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD"
	streamingECDSATrailer    = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER"

	emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

	// maxPresignExpires is a week: the signing key is only valid that long.
	maxPresignExpires = 7 * 24 * 60 * 60
)

// authHeader is the parsed value of a SigV4 Authorization header.
type authHeader struct {
	credential, signedHeaders, signature          string
	hasCredential, hasSignedHeaders, hasSignature bool
}

// parseAuthorization parses "AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…,
// Signature=…". Components may come in any order, with or without spaces
// after the commas; ok is false when the algorithm is not SigV4 or a
// component is not a Key=Value pair or repeats.
func parseAuthorization(v string) (h authHeader, ok bool) {
	v = strings.TrimSpace(v)
	rest, found := strings.CutPrefix(v, algorithmV4)
	if !found || (rest != "" && rest[0] != ' ') {
		return h, false
	}
	for rest != "" {
		var part string
		part, rest, _ = strings.Cut(rest, ",")
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, val, found := strings.Cut(part, "=")
		if !found {
			return h, false
		}
		var dst *string
		var seen *bool
		switch strings.TrimSpace(key) {
		case "Credential":
			dst, seen = &h.credential, &h.hasCredential
		case "SignedHeaders":
			dst, seen = &h.signedHeaders, &h.hasSignedHeaders
		case "Signature":
			dst, seen = &h.signature, &h.hasSignature
		default:
			continue
		}
		if *seen {
			return h, false
		}
		*dst, *seen = strings.TrimSpace(val), true
	}
	return h, true
}

// authParam returns one Key=Value component of an Authorization header of
// any algorithm, for the lenient paths that only need the access key.
func authParam(v, key string) string {
	_, rest, _ := strings.Cut(strings.TrimSpace(v), " ")
	for _, part := range strings.Split(rest, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
		if k == key {
			return val
		}
	}
	return ""
}

// scope is a parsed SigV4 credential: AKID/YYYYMMDD/region/service/aws4_request.
type scope struct {
	accessKey, date, region, service string
	// text is String() when the scope was parsed from a credential (a
	// slice of it, so no string is built per request); not part of the
	// signing-key cache's key.
	text string
}

func (s scope) String() string {
	if s.text != "" {
		return s.text
	}
	return s.date + "/" + s.region + "/" + s.service + "/" + terminator
}

func parseCredential(c string) (scope, bool) {
	var parts [5]string
	rest := c
	for i := range parts {
		if i == len(parts)-1 {
			parts[i] = rest
			break
		}
		var ok bool
		if parts[i], rest, ok = strings.Cut(rest, "/"); !ok {
			return scope{}, false
		}
	}
	if parts[0] == "" || parts[2] == "" || parts[3] == "" || parts[4] != terminator {
		return scope{}, false
	}
	if !validScopeDate(parts[1]) {
		return scope{}, false
	}
	// text is String()'s result, which the credential already holds.
	return scope{accessKey: parts[0], date: parts[1], region: parts[2], service: parts[3],
		text: c[len(parts[0])+1:]}, true
}

// parseSignedHeaders splits SignedHeaders; names are compared lowercase.
func parseSignedHeaders(s string) []string {
	return appendSignedHeaders(make([]string, 0, strings.Count(s, ";")+1), s)
}

// appendSignedHeaders appends parseSignedHeaders(s) to out (a caller's
// array: a request signs a handful of headers).
func appendSignedHeaders(out []string, s string) []string {
	for rest := s; rest != ""; {
		var h string
		h, rest, _ = strings.Cut(rest, ";")
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
			out = append(out, h)
		}
	}
	return out
}

// joinSignedHeaders is SigV4's SignedHeaders: the names joined with ';'.
// raw, as the client sent it, is already that in the usual case.
func joinSignedHeaders(raw string, names []string) string {
	rest := raw
	for i, n := range names {
		if i > 0 {
			if rest == "" || rest[0] != ';' {
				return strings.Join(names, ";")
			}
			rest = rest[1:]
		}
		if !strings.HasPrefix(rest, n) {
			return strings.Join(names, ";")
		}
		rest = rest[len(n):]
	}
	if rest != "" {
		return strings.Join(names, ";")
	}
	return raw
}

// signingKey derives the SigV4 key for one day, region and service.
func signingKey(secret string, s scope) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), s.date)
	k = hmacSHA256(k, s.region)
	k = hmacSHA256(k, s.service)
	return hmacSHA256(k, terminator)
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

func hexSHA256(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// isHexSHA256 reports whether a payload hash is a literal digest (rather
// than one of the UNSIGNED/STREAMING markers).
func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	// What hex.DecodeString accepts, without decoding into a new slice
	// (every S3 request declares its payload hash).
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
		default:
			return false
		}
	}
	return true
}

func validPayloadMarker(s string) bool {
	switch s {
	case unsignedPayload, streamingSigned, streamingSignedTrailer, streamingUnsignedTrailer,
		streamingECDSA, streamingECDSATrailer:
		return true
	}
	return isHexSHA256(s)
}

// sigV4Context is what the body decoder needs to check chunk and trailer
// signatures chained from the request's (seed) signature.
type sigV4Context struct {
	key     []byte
	amzDate string
	scope   string
	seed    string
}

// v4Request is a SigV4 request's authentication parameters, from the
// Authorization header or from a presigned query.
type v4Request struct {
	presign       bool
	scope         scope
	signedHeaders []string // SigV4a's; verifyV4 splits rawSigned itself
	rawSigned     string   // SignedHeaders as sent
	signature     string
	amzDate       string // ISO 8601 basic, as signed
	rawDate       string // the date as the client sent it
	t             time.Time
	expires       int64 // presigned only; -1 when absent
	token         string
}

// parseV4 extracts and validates the authentication parameters of a SigV4
// request, failing with the dialect's wording for anything malformed.
// The signed header names are left to the caller to split from
// rawSigned (into an array of its own: a v4Request goes into error
// values, so what it points at is on the heap).
func parseV4(r *http.Request, d Dialect, q query, presign bool) (v4Request, error) {
	req := v4Request{presign: presign, expires: -1}
	if presign {
		alg, cred, sig := q.get("X-Amz-Algorithm"), q.get("X-Amz-Credential"), q.get("X-Amz-Signature")
		date, sh, exp := q.get("X-Amz-Date"), q.get("X-Amz-SignedHeaders"), q.get("X-Amz-Expires")
		if alg == "" || cred == "" || sig == "" || date == "" || sh == "" || (d == DialectS3 && exp == "") {
			return req, fail(d, failPresignMissingParams)
		}
		if alg != algorithmV4 {
			return req, fail(d, failPresignAlgorithm, alg)
		}
		if exp != "" {
			n, err := strconv.ParseInt(exp, 10, 64)
			switch {
			case err != nil:
				return req, fail(d, failPresignExpiresNumber)
			case n < 0:
				return req, fail(d, failPresignExpiresNegative)
			case n > maxPresignExpires:
				return req, fail(d, failPresignExpiresTooLarge)
			}
			req.expires = n
		}
		sc, ok := parseCredential(cred)
		if !ok {
			return req, fail(d, failPresignCredential, cred)
		}
		t, ok := parseAmzDate(date)
		if !ok {
			return req, fail(d, failPresignDate)
		}
		if sc.date != date[:8] {
			return req, fail(d, failPresignCredentialDate, sc.date, date[:8], date)
		}
		req.scope, req.rawSigned, req.signature = sc, sh, sig
		req.t, req.amzDate, req.rawDate = t.UTC(), date, date
		req.token = q.get("X-Amz-Security-Token")
		return req, nil
	}

	authz := header(r, "Authorization")
	h, ok := parseAuthorization(authz)
	if !ok || !h.hasCredential || !h.hasSignature || !h.hasSignedHeaders {
		return req, fail(d, failMalformedHeader,
			missingParts(h.hasCredential, h.hasSignature, h.hasSignedHeaders, hasDate(r)), authz)
	}
	sc, ok := parseCredential(h.credential)
	if !ok {
		return req, fail(d, failMalformedCredential, h.credential)
	}
	t, raw, ok := requestTime(r)
	if !ok {
		return req, fail(d, failMissingDate, "", authz)
	}
	req.t, req.rawDate = t.UTC(), raw
	if len(raw) == len(iso8601Basic) && raw[len(raw)-1] == 'Z' && raw[8] == 'T' {
		// Already in the form signed (what Format would give back; a
		// date with fractional seconds or in another format is not).
		req.amzDate = raw
	} else {
		req.amzDate = req.t.Format(iso8601Basic)
	}
	if sc.date != req.amzDate[:8] {
		return req, fail(d, failCredentialDate, sc.date, req.amzDate[:8], raw)
	}
	req.scope, req.rawSigned, req.signature = sc, h.signedHeaders, h.signature
	req.token = header(r, "X-Amz-Security-Token")
	return req, nil
}

// checkTime applies the clock: a signed request must be within 15 minutes
// of now; an S3 presigned URL is valid from X-Amz-Date until X-Amz-Expires
// later; other services hold a presigned request to the 15 minutes too.
func checkTime(d Dialect, req v4Request, now time.Time) error {
	now = now.UTC()
	if !req.presign && now.Sub(req.t) <= maxSkew && req.t.Sub(now) <= maxSkew {
		return nil // the usual case, before any time is formatted
	}
	nowS := now.Format(iso8601Basic)
	tooOld := func(f failure) *awserr.Error {
		return fail(d, f, req.amzDate, now.Add(-maxSkew).Format(iso8601Basic), nowS)
	}
	tooNew := func(f failure) *awserr.Error {
		return fail(d, f, req.amzDate, now.Add(maxSkew).Format(iso8601Basic), nowS)
	}
	if !req.presign {
		var e *awserr.Error
		switch {
		case now.Sub(req.t) > maxSkew:
			e = tooOld(failSkewExpired)
		case req.t.Sub(now) > maxSkew:
			e = tooNew(failSkewNotYetCurrent)
		default:
			return nil
		}
		if d == DialectS3 {
			return fieldErr(e, "RequestTime", req.rawDate, "ServerTime", now.Format(s3Time),
				"MaxAllowedSkewMilliseconds", strconv.FormatInt(maxSkew.Milliseconds(), 10))
		}
		return e
	}
	if d == DialectS3 {
		expiry := req.t.Add(time.Duration(req.expires) * time.Second)
		switch {
		case req.t.Sub(now) > maxSkew:
			// S3 really does report X-Amz-Date here in epoch milliseconds.
			return fieldErr(fail(d, failPresignNotYetValid),
				"X-Amz-Date", strconv.FormatInt(req.t.UnixMilli(), 10),
				"Expires", expiry.Format(s3Time), "ServerTime", now.Format(s3Time))
		case now.After(expiry):
			return fieldErr(fail(d, failPresignExpired),
				"X-Amz-Expires", strconv.FormatInt(req.expires, 10),
				"Expires", expiry.Format(s3Time), "ServerTime", now.Format(s3Time))
		}
		return nil
	}
	window := maxSkew
	if req.expires >= 0 && time.Duration(req.expires)*time.Second < window {
		window = time.Duration(req.expires) * time.Second
	}
	switch {
	case now.Sub(req.t) > window:
		span := "15 min."
		if window != maxSkew {
			span = strconv.FormatInt(int64(window/time.Second), 10) + " sec."
		}
		return fail(d, failPresignExpired, req.amzDate, now.Add(-window).Format(iso8601Basic), nowS, span)
	case req.t.Sub(now) > maxSkew:
		return tooNew(failPresignNotYetValid)
	}
	return nil
}

func (v *Verifier) verifyV4(r *http.Request, d Dialect, q query, presign bool) (*Result, error) {
	req, err := parseV4(r, d, q, presign)
	if err != nil {
		return nil, err
	}
	var names [16]string
	signed := appendSignedHeaders(names[:0], req.rawSigned)
	if !v.SkipValidation {
		if err := checkTime(d, req, v.signingNow()); err != nil {
			return nil, err
		}
	}
	cred, err := v.lookup(d, req.scope.accessKey)
	if err != nil {
		return nil, err
	}
	if err := v.checkToken(d, cred, req.token); err != nil {
		return nil, err
	}

	// The payload hash the client signed: declared in x-amz-content-sha256
	// (header, or hoisted into a presigned query), UNSIGNED-PAYLOAD for an
	// S3 presigned URL, and otherwise the body's own hash.
	s3 := d == DialectS3 || req.scope.service == "s3"
	declared := header(r, "X-Amz-Content-Sha256")
	if declared == "" && presign {
		declared = q.get("X-Amz-Content-Sha256")
	}
	var (
		plBuf    [2]payloadHash
		payloads = plBuf[:0]
		buffered *bufferedBody
		res      *Result
	)
	switch {
	case declared != "":
		if s3 && !validPayloadMarker(declared) {
			return nil, fieldErr(fail(d, failInvalidContentSHA256),
				"ArgumentName", "x-amz-content-sha256", "ArgumentValue", declared)
		}
		payloads = append(payloads, payloadHash{s: declared})
	case presign && s3:
		payloads = append(payloads, payloadHash{s: unsignedPayload})
	case d == DialectS3:
		return nil, fail(d, failMissingContentSHA256)
	case v.SkipValidation:
		// Nothing will be checked, so there is no reason to hash the body.
		payloads = append(payloads, payloadHash{s: unsignedPayload})
	default:
		// The body and the Result in one allocation.
		br := &bufferedResult{}
		if err = v.readBody(r, d, &br.body); err != nil {
			return nil, err
		}
		res, buffered = &br.Result, &br.body
		payloads = append(payloads, payloadHash{b: buffered.sum[:]})
		if presign {
			payloads = append(payloads, payloadHash{s: unsignedPayload})
		}
	}
	var check *sha256Reader
	switch {
	case res != nil:
	case declared != "" && checksPayloadHash(r.Body, declared):
		// The only candidate, so the payload wrapBody will check: the
		// check and the Result in one allocation.
		cr := &checkedResult{}
		res, check = &cr.Result, &cr.check
	default:
		res = &Result{}
	}
	res.Credential, res.Region, res.Service, res.Scheme = cred, req.scope.region, req.scope.service, SchemeSigV4
	if presign {
		res.Scheme = SchemeSigV4Presign
	}

	key := v.signingKey(cred.SecretAccessKey, req.scope)
	path, _ := rawTarget(r)
	exclude := ""
	if presign {
		exclude = "X-Amz-Signature"
	}
	sh := joinSignedHeaders(req.rawSigned, signed)
	scopeS := req.scope.String()

	payload := payloads[0].s
	matched := v.SkipValidation
	var pathsBuf [2]string
	paths := appendCanonicalPaths(pathsBuf[:0], path, s3)
	if !matched {
		// The canonical request and string to sign of each candidate are
		// built in one reused buffer; only a mismatch's error renders
		// them as strings.
		// The HMAC is computed by hand (RFC 2104, the key being shorter
		// than SHA-256's block): the inner hash over the padded key
		// followed by the string to sign, both in buf, and the outer over
		// the padded key and the inner hash, on the stack. hmac.New
		// allocated five times per request.
		//
		// The part every candidate shares (the canonical query, headers
		// and signed header names) is built once at the buffer's start,
		// and each candidate after it.
		bp := v.buffer()
		buf := *bp
		buf = appendCanonicalQuery(buf[:0], q, exclude)
		buf = append(buf, '\n')
		buf = appendCanonicalHeaders(buf, r, signed)
		buf = append(buf, '\n')
		buf = append(buf, sh...)
		buf = append(buf, '\n')
		shared := len(buf)
		var pad [sha256.BlockSize]byte
		var sig [2 * sha256.Size]byte
	candidates:
		for _, p := range paths {
			for _, pl := range payloads {
				buf = append(buf[:shared], r.Method...)
				buf = append(buf, '\n')
				buf = append(buf, p...)
				buf = append(buf, '\n')
				buf = append(buf, buf[:shared]...)
				buf = append(buf, pl.s...)
				buf = append(buf, pl.b...)
				crHash := sha256.Sum256(buf[shared:])
				copy(pad[:], key)
				for i := range pad {
					pad[i] ^= 0x36
				}
				buf = append(buf[:shared], pad[:]...)
				buf = appendStringToSign(buf, req.amzDate, scopeS, crHash[:])
				inner := sha256.Sum256(buf[shared:])
				var outer [sha256.BlockSize + sha256.Size]byte
				copy(outer[:], key)
				for i := range sha256.BlockSize {
					outer[i] ^= 0x5c
				}
				copy(outer[sha256.BlockSize:], inner[:])
				mac := sha256.Sum256(outer[:])
				hex.Encode(sig[:], mac[:])
				clear(pad[:])
				if equalSignature(sig[:], req.signature) {
					matched, payload = true, pl.s
					break candidates
				}
			}
		}
		*bp = buf
		v.bufs.Put(bp)
	}
	if !matched {
		if buffered != nil {
			_ = buffered.Close()
		}
		e := fail(d, failSignatureMismatch)
		if d == DialectS3 {
			cq, ch := canonicalQuery(q, exclude), canonicalHeaders(r, signed)
			cr := string(appendCanonicalRequest(nil, r.Method, paths[0], cq, ch, sh, payloads[0].String()))
			crHash := sha256.Sum256([]byte(cr))
			firstCR, firstSTS := cr, string(appendStringToSign(nil, req.amzDate, scopeS, crHash[:]))
			_ = fieldErr(e, "AWSAccessKeyId", req.scope.accessKey,
				"StringToSign", firstSTS, "SignatureProvided", req.signature,
				"StringToSignBytes", spacedHex(firstSTS),
				"CanonicalRequest", firstCR, "CanonicalRequestBytes", spacedHex(firstCR))
		}
		return nil, e
	}

	if buffered != nil {
		// Already read and hashed (or signed as UNSIGNED-PAYLOAD, in which
		// case the bytes go through unverified, as signed).
		res.Body, res.ContentLength = buffered, buffered.size
		return res, nil
	}
	// Only an aws-chunked body chains signatures from the request's.
	var sc *sigV4Context
	if strings.HasPrefix(payload, "STREAMING-") {
		sc = &sigV4Context{key: key, amzDate: req.amzDate, scope: scopeS, seed: req.signature}
	}
	if err := v.wrapBody(r, d, res, payload, sc, check); err != nil {
		return nil, err
	}
	return res, nil
}

// payloadHash is a payload hash a signature may cover: a declared one or
// a marker (s), or the hex SHA-256 of a body the verifier read (b).
type payloadHash struct {
	s string
	b []byte
}

func (p payloadHash) String() string {
	if p.b != nil {
		return string(p.b)
	}
	return p.s
}

// buffer returns a reusable buffer for building a canonical request;
// put it back in v.bufs.
func (v *Verifier) buffer() *[]byte {
	if bp, ok := v.bufs.Get().(*[]byte); ok {
		return bp
	}
	b := make([]byte, 0, 1024)
	return &b
}

// appendCanonicalRequest appends SigV4's CanonicalRequest.
func appendCanonicalRequest(b []byte, method, path, query, headers, signed, payload string) []byte {
	for _, part := range [...]string{method, path, query, headers, signed} {
		b = append(b, part...)
		b = append(b, '\n')
	}
	return append(b, payload...)
}

// appendStringToSign appends SigV4's StringToSign for a canonical
// request's SHA-256.
func appendStringToSign(b []byte, amzDate, scope string, crHash []byte) []byte {
	b = append(b, algorithmV4+"\n"...)
	b = append(b, amzDate...)
	b = append(b, '\n')
	b = append(b, scope...)
	b = append(b, '\n')
	return hex.AppendEncode(b, crHash)
}

// equalSignature compares a computed hex signature with the one sent, in
// constant time (hmac.Equal without converting the string).
func equalSignature(sig []byte, sent string) bool {
	if len(sig) != len(sent) {
		return false
	}
	var d byte
	for i := range sig {
		d |= sig[i] ^ sent[i]
	}
	return d == 0
}

// spacedHex renders bytes the way S3's *Bytes error fields do ("41 57 53").
func spacedHex(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(hex.EncodeToString([]byte{s[i]}))
	}
	return b.String()
}
