package auth

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// S3 still accepts Signature Version 2 (HMAC-SHA1 over a string built from
// a few headers and the resource) in the Authorization header and in
// presigned URLs, and older tools and SDK configurations produce it.

// s3SubResource reports whether a query parameter is part of SigV2's
// CanonicalizedResource: the sub-resources and response overrides S3
// lists, which are the ones that change what the request addresses.
func s3SubResource(name string) bool {
	switch name {
	case "accelerate", "acl", "analytics", "cors", "delete", "encryption",
		"inventory", "legal-hold", "lifecycle", "location", "logging",
		"metrics", "notification", "object-lock", "partNumber", "policy",
		"replication", "requestPayment", "restore", "retention", "select",
		"select-type", "tagging", "torrent", "uploadId", "uploads",
		"versionId", "versioning", "versions", "website",
		"response-cache-control", "response-content-disposition",
		"response-content-encoding", "response-content-language",
		"response-content-type", "response-expires":
		return true
	}
	return false
}

func (v *Verifier) verifyV2(r *http.Request, q query, bucket string, presign bool) (*Result, error) {
	const d = DialectS3
	var akid, provided, dateLine, token string
	signNow := v.signingNow()
	if presign {
		akid, provided = q.get("AWSAccessKeyId"), q.get("Signature")
		exp := q.get("Expires")
		if akid == "" || provided == "" || exp == "" {
			return nil, fail(d, failSigV2QueryMissing)
		}
		secs, err := strconv.ParseInt(exp, 10, 64)
		if err != nil {
			return nil, fail(d, failSigV2Expires, exp)
		}
		if expiry := time.Unix(secs, 0).UTC(); signNow.After(expiry) && !v.SkipValidation {
			return nil, fieldErr(fail(d, failPresignExpired),
				"Expires", expiry.Format(s3Time), "ServerTime", signNow.UTC().Format(s3Time))
		}
		dateLine = exp
		token = q.get("x-amz-security-token")
		if token == "" {
			token = r.Header.Get("X-Amz-Security-Token")
		}
	} else {
		authz := strings.TrimSpace(r.Header.Get("Authorization"))
		cred := strings.TrimSpace(strings.TrimPrefix(authz, "AWS"))
		i := strings.LastIndexByte(cred, ':')
		if i <= 0 || i == len(cred)-1 {
			return nil, fieldErr(fail(d, failSigV2Malformed), "ArgumentName", "Authorization", "ArgumentValue", authz)
		}
		akid, provided = cred[:i], cred[i+1:]
		t, raw, ok := requestTime(r)
		if _, sent := r.Header["X-Amz-Date"]; sent && r.Header.Get("X-Amz-Date") == "" {
			// An empty x-amz-date is not a date (S3 does not fall back
			// to Date then).
			ok = false
		}
		if !ok || t.Before(time.Unix(0, 0)) {
			// A date before the epoch is no valid date to S3 either:
			// 403 AccessDenied, not RequestTimeTooSkewed.
			return nil, fail(d, failMissingDate)
		}
		if skew := signNow.Sub(t); (skew > maxSkew || skew < -maxSkew) && !v.SkipValidation {
			return nil, fieldErr(fail(d, failSkewExpired),
				"RequestTime", raw, "ServerTime", signNow.UTC().Format(s3Time),
				"MaxAllowedSkewMilliseconds", strconv.FormatInt(maxSkew.Milliseconds(), 10))
		}
		// With x-amz-date present the Date line is empty: the date is
		// signed among the x-amz- headers instead.
		if r.Header.Get("X-Amz-Date") == "" {
			dateLine = r.Header.Get("Date")
		}
		token = r.Header.Get("X-Amz-Security-Token")
	}

	cred, err := v.lookup(d, akid)
	if err != nil {
		return nil, err
	}
	if err := v.checkToken(d, cred, token); err != nil {
		return nil, err
	}
	res := &Result{Credential: cred, Scheme: SchemeSigV2}
	if presign {
		res.Scheme = SchemeSigV2Presign
	}

	// A presigned URL carries its signature base64 in the query, where an
	// unescaped '+' reads as a space.
	provided = strings.ReplaceAll(provided, " ", "+")
	path, rawQuery := rawTarget(r)
	var firstSTS string
	matched := false
	for _, sts := range v2StringsToSign(r, q, bucket, path, rawQuery, dateLine, presign) {
		if firstSTS == "" {
			firstSTS = sts
		}
		m := hmac.New(sha1.New, []byte(cred.SecretAccessKey))
		m.Write([]byte(sts))
		if hmac.Equal([]byte(base64.StdEncoding.EncodeToString(m.Sum(nil))), []byte(provided)) {
			matched = true
			break
		}
	}
	if !matched && !v.SkipValidation {
		return nil, fieldErr(fail(d, failSignatureMismatch),
			"AWSAccessKeyId", akid, "StringToSign", firstSTS,
			"SignatureProvided", provided, "StringToSignBytes", spacedHex(firstSTS))
	}
	if err := v.wrapBody(r, d, res, r.Header.Get("X-Amz-Content-Sha256"), nil, nil); err != nil {
		return nil, err
	}
	return res, nil
}

// v2StringsToSign lists the SigV2 StringToSign candidates, the one S3
// documents first. The alternatives absorb client differences S3 itself
// tolerates: whether an empty sub-resource value is written as "name" or
// "name=", and whether the path is signed as sent or re-encoded.
func v2StringsToSign(r *http.Request, q query, bucket, path, rawQuery, dateLine string, presign bool) []string {
	header := func(name string) string {
		if v := r.Header.Get(name); v != "" {
			return v
		}
		if presign {
			// Presigners move these into the query string.
			return q.get(strings.ToLower(name))
		}
		return ""
	}
	prefix := r.Method + "\n" + header("Content-MD5") + "\n" + header("Content-Type") + "\n" +
		dateLine + "\n" + v2AmzHeaders(r, q, presign)

	paths := []string{path}
	if dec, err := url.PathUnescape(path); err == nil {
		paths = dedupe(path, uriEncode(dec, false))
	}
	if bucket == "" && len(path) > 1 && strings.IndexByte(path[1:], '/') < 0 {
		// A path-style request to a bucket itself ("/bucket"): S3 also
		// accepts its CanonicalizedResource as "/bucket/", which botocore
		// and other SigV2 signers sign (the resource the virtual-host
		// form of the request would have).
		paths = append(paths, path+"/")
	}
	var out []string
	for _, p := range paths {
		res := p
		if bucket != "" {
			res = "/" + bucket + p
		}
		for _, bareEmpty := range []bool{false, true} {
			out = append(out, prefix+res+v2SubResources(rawQuery, bareEmpty))
		}
	}
	return dedupe(out...)
}

// v2AmzHeaders is CanonicalizedAmzHeaders: x-amz-* headers lowercased,
// sorted, repeated values comma-joined. A presigned URL's x-amz-* query
// parameters (x-amz-security-token, x-amz-acl...) were headers when the
// client signed them, so they count too.
func v2AmzHeaders(r *http.Request, q query, presign bool) string {
	vals := map[string][]string{}
	for k, vs := range r.Header {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-amz-") {
			for _, v := range vs {
				vals[lk] = append(vals[lk], trimAll(v))
			}
		}
	}
	if presign {
		for _, p := range q {
			lk := strings.ToLower(p.key)
			if strings.HasPrefix(lk, "x-amz-") {
				vals[lk] = append(vals[lk], trimAll(p.value))
			}
		}
	}
	names := make([]string, 0, len(vals))
	for k := range vals {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		b.WriteString(k + ":" + strings.Join(vals[k], ",") + "\n")
	}
	return b.String()
}

// v2SubResources renders the sub-resource part of CanonicalizedResource:
// "?name[=value]&..." sorted by name, values decoded.
func v2SubResources(rawQuery string, bareEmpty bool) string {
	type sub struct {
		name, value string
		hasValue    bool
	}
	var subs []sub
	for _, part := range strings.Split(rawQuery, "&") {
		k, val, hasValue := strings.Cut(part, "=")
		k = unescapeQuery(k)
		if !s3SubResource(k) {
			continue
		}
		val = unescapeQuery(val)
		subs = append(subs, sub{k, val, hasValue && !(bareEmpty && val == "")})
	}
	if len(subs) == 0 {
		return ""
	}
	sort.SliceStable(subs, func(i, j int) bool { return subs[i].name < subs[j].name })
	var b strings.Builder
	for i, s := range subs {
		if i == 0 {
			b.WriteByte('?')
		} else {
			b.WriteByte('&')
		}
		b.WriteString(s.name)
		if s.hasValue {
			b.WriteString("=" + s.value)
		}
	}
	return b.String()
}
