package s3

import (
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/protocol"
	"net/http"
	"strconv"
	"strings"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/awsid"
)

// Bucket CORS as S3 applies it to browsers: a preflight is answered from
// the bucket's CORS configuration (the first rule matching the origin, the
// requested method and every requested header), and an actual request
// carrying Origin gets the matching rule's headers. The gateway asks S3
// first (kit.Declaration.CORS); a request naming no existing bucket is
// left to the gateway's permissive default, since an unsigned preflight
// for another service's REST path also resolves to S3.

// CORS answers the CORS part of a request on a bucket (S3 declares it as
// its kit.Declaration.CORS).
func (s *S3) CORS(w http.ResponseWriter, r *http.Request, hostBucket string, preflight bool) bool {
	bucket, key := hostBucket, strings.TrimPrefix(r.URL.Path, "/")
	if bucket == "" {
		bucket, key, _ = strings.Cut(key, "/")
	}
	if bucket == "" {
		return false
	}
	if !preflight && r.Header.Get("Origin") == "" {
		// Not a CORS request: no bucket read (answering false leaves it
		// to the gateway, which adds nothing without an Origin either).
		return false
	}
	b, err := s.bucket(bucket)
	if err != nil {
		return false
	}
	origin := r.Header.Get("Origin")
	if !preflight {
		if origin == "" || b.CORS == nil {
			return true
		}
		if rule := matchCORS(b.CORS.CORSRules, origin, r.Method, nil); rule != nil {
			setCORSHeaders(w.Header(), rule, origin, nil)
		}
		return true
	}
	method := r.Header.Get("Access-Control-Request-Method")
	resource := "BUCKET"
	if key != "" {
		resource = "OBJECT"
	}
	if origin == "" {
		s.corsError(w, http.StatusBadRequest, "BadRequest", "Insufficient information. Origin request header needed.", method, resource)
		return true
	}
	if b.CORS == nil {
		s.corsError(w, http.StatusForbidden, "AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.", method, resource)
		return true
	}
	headers := requestedHeaders(r.Header.Get("Access-Control-Request-Headers"))
	rule := matchCORS(b.CORS.CORSRules, origin, method, headers)
	if rule == nil {
		s.corsError(w, http.StatusForbidden, "AccessForbidden",
			"CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
			method, resource)
		return true
	}
	h := w.Header()
	setCORSHeaders(h, rule, origin, headers)
	if rule.MaxAgeSeconds != nil {
		h.Set("Access-Control-Max-Age", strconv.Itoa(int(*rule.MaxAgeSeconds)))
	}
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return true
}

// setCORSHeaders sets the headers of a matched rule common to preflight
// and actual responses (S3 names the rule's methods on both). A rule allowing any origin answers "*" without
// credentials, as S3 does; a named origin is echoed with credentials.
func setCORSHeaders(h http.Header, rule *s3api.CORSRule, origin string, headers []string) {
	if anyOrigin(rule) {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	h.Set("Access-Control-Allow-Methods", strings.Join(rule.AllowedMethods, ", "))
	if len(headers) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(headers, ", "))
	}
	if len(rule.ExposeHeaders) > 0 {
		h.Set("Access-Control-Expose-Headers", strings.Join(rule.ExposeHeaders, ", "))
	}
	h.Set("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
}

func anyOrigin(rule *s3api.CORSRule) bool {
	for _, o := range rule.AllowedOrigins {
		if o == "*" {
			return true
		}
	}
	return false
}

// requestedHeaders splits Access-Control-Request-Headers into lower-case
// names.
func requestedHeaders(v string) []string {
	var out []string
	for _, f := range strings.Split(v, ",") {
		if f = strings.ToLower(strings.TrimSpace(f)); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// matchCORS returns the first rule allowing origin, method and every one
// of headers, or nil.
func matchCORS(rules []s3api.CORSRule, origin, method string, headers []string) *s3api.CORSRule {
	for i := range rules {
		r := &rules[i]
		if !matchAny(r.AllowedOrigins, origin, false) {
			continue
		}
		okMethod := false
		for _, m := range r.AllowedMethods {
			if m == method {
				okMethod = true
			}
		}
		if !okMethod {
			continue
		}
		okHeaders := true
		for _, h := range headers {
			if !matchAny(r.AllowedHeaders, h, true) {
				okHeaders = false
				break
			}
		}
		if okHeaders {
			return r
		}
	}
	return nil
}

// matchAny reports whether v matches one of the patterns, each holding at
// most one "*" wildcard (PutBucketCors rejects more).
func matchAny(patterns []string, v string, fold bool) bool {
	for _, p := range patterns {
		if fold {
			p, v = strings.ToLower(p), strings.ToLower(v)
		}
		if wildcardMatch(p, v) {
			return true
		}
	}
	return false
}

func wildcardMatch(p, v string) bool {
	pre, suf, star := strings.Cut(p, "*")
	if !star {
		return p == v
	}
	return len(v) >= len(pre)+len(suf) && strings.HasPrefix(v, pre) && strings.HasSuffix(v, suf)
}

// corsError writes S3's preflight refusal: the error document names the
// method asked for and whether a bucket or an object was asked about.
func (s *S3) corsError(w http.ResponseWriter, status int, code, msg, method, resource string) {
	fields := map[string]any{"ResourceType": resource}
	if method != "" {
		fields["Method"] = method
	}
	e := &awserr.Error{Code: awserr.Code{Code: code, Status: status, Sender: true}, Message: msg, Fields: fields}
	s.errDocs.write(w, e, protocol.Meta{RequestID: strings.ToUpper(awsid.Hex(16)), HostID: awsid.Hex(64)})
}
