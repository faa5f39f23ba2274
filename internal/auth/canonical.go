package auth

import (
	"github.com/niwa-cloud/niwa/internal/httpheader"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// queryParam is one decoded query parameter, kept in request order
// because SigV2 and SigV4 both need parameters url.Values would merge or
// reorder.
type queryParam struct{ key, value string }

type query []queryParam

// parseQuery splits a raw query string into decoded parameters. A
// component that is not valid percent-encoding is kept as sent, so that a
// sloppy client still gets a signature comparison rather than a parse
// error.
func parseQuery(raw string) query { return appendQuery(nil, raw) }

// appendQuery appends parseQuery(raw)'s parameters to q.
func appendQuery(q query, raw string) query {
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		q = append(q, queryParam{unescapeQuery(k), unescapeQuery(v)})
	}
	return q
}

func unescapeQuery(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

func (q query) get(key string) string {
	for _, p := range q {
		if p.key == key {
			return p.value
		}
	}
	return ""
}

func (q query) has(key string) bool {
	for _, p := range q {
		if p.key == key {
			return true
		}
	}
	return false
}

// canonicalQuery is SigV4's CanonicalQueryString: every name and value
// URI-encoded, then sorted by encoded name and value (sorting after
// encoding, as the specification requires), omitting the parameter named
// exclude (X-Amz-Signature of a presigned URL).
func canonicalQuery(q query, exclude string) string {
	if len(q) == 0 {
		return ""
	}
	return string(appendCanonicalQuery(nil, q, exclude))
}

// appendCanonicalQuery appends canonicalQuery(q, exclude) to b.
func appendCanonicalQuery(b []byte, q query, exclude string) []byte {
	if len(q) == 0 {
		return b
	}
	// Most requests carry a few parameters (S3's x-id): sorted in an
	// array on the stack, without sort.Slice's reflection.
	var encBuf [8]queryParam
	enc := encBuf[:0]
	for _, p := range q {
		if exclude != "" && p.key == exclude {
			continue
		}
		enc = append(enc, queryParam{uriEncode(p.key, true), uriEncode(p.value, true)})
	}
	slices.SortFunc(enc, func(a, b queryParam) int {
		if c := strings.Compare(a.key, b.key); c != 0 {
			return c
		}
		return strings.Compare(a.value, b.value)
	})
	for i, p := range enc {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, p.key...)
		b = append(b, '=')
		b = append(b, p.value...)
	}
	return b
}

// uriEncode is SigV4's UriEncode: everything but the RFC 3986 unreserved
// characters is percent-encoded with uppercase hex, and '/' too unless it
// separates path segments.
func uriEncode(s string, encodeSlash bool) string {
	const hexDigits = "0123456789ABCDEF"
	clean := true
	for i := 0; i < len(s) && clean; i++ {
		clean = unreserved(s[i]) || (s[i] == '/' && !encodeSlash)
	}
	if clean {
		return s // nothing to encode: no copy
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || (c == '/' && !encodeSlash) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// rawTarget returns the path and query exactly as the client sent them:
// signatures cover the client's encoding, which r.URL may have decoded and
// re-encoded differently. Requests built in-process (no RequestURI) fall
// back to r.URL.
func rawTarget(r *http.Request) (path, rawQuery string) {
	if u := r.RequestURI; u != "" && u != "*" {
		path, rawQuery, _ = strings.Cut(u, "?")
		if !strings.HasPrefix(path, "/") {
			// Absolute form (GET http://host/path HTTP/1.1): drop the
			// scheme and authority.
			if _, rest, ok := strings.Cut(path, "://"); ok {
				path = "/"
				if i := strings.IndexByte(rest, '/'); i >= 0 {
					path = rest[i:]
				}
			}
		}
	} else {
		rawQuery = r.URL.RawQuery
		if r.URL.Opaque != "" {
			// The SDK's way of pinning an exact path: "//host/path".
			path = r.URL.Opaque
			if strings.HasPrefix(path, "//") {
				path = path[2:]
				if i := strings.IndexByte(path, '/'); i >= 0 {
					path = path[i:]
				} else {
					path = "/"
				}
			}
		} else {
			path = r.URL.EscapedPath()
		}
	}
	if path == "" {
		path = "/"
	}
	return path, rawQuery
}

// canonicalPaths lists the CanonicalURI candidates for a request path,
// the one AWS specifies first. S3 signs the path URI-encoded once and
// never normalized (keys may contain "//" and ".."); every other service
// signs it normalized and encoded twice (the encoded path encoded again).
// Real SDKs disagree on corner cases (botocore normalizes, the Go SDK does
// not; a client may send characters it did not encode), so the second
// candidate is the path as the client most likely signed it.
func canonicalPaths(raw string, s3 bool) []string {
	return appendCanonicalPaths(nil, raw, s3)
}

// appendCanonicalPaths appends canonicalPaths' candidates to dst (a
// caller's array, so that the usual one or two need no allocation).
func appendCanonicalPaths(dst []string, raw string, s3 bool) []string {
	var first, second string
	if s3 {
		first = raw
		if dec, err := url.PathUnescape(raw); err == nil {
			first = uriEncode(dec, false)
		}
		second = raw
	} else {
		first, second = uriEncode(normalizePath(raw), false), uriEncode(raw, false)
	}
	dst = append(dst, first)
	if second != first {
		dst = append(dst, second)
	}
	return dst
}

func dedupe(items ...string) []string {
	out := items[:0:0]
	for _, s := range items {
		seen := false
		for _, o := range out {
			if o == s {
				seen = true
				break
			}
		}
		if !seen {
			out = append(out, s)
		}
	}
	return out
}

// normalizePath removes "." and ".." segments and empty segments (the
// consecutive slashes AWS also collapses), keeping a trailing slash.
func normalizePath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] == '/' && !strings.Contains(p, "//") && !strings.Contains(p, "/.") {
		return p // no empty, "." or ".." segment: already normal
	}
	var out []string
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	s := "/" + strings.Join(out, "/")
	if strings.HasSuffix(p, "/") && len(out) > 0 {
		s += "/"
	}
	return s
}

// canonicalHeaders is SigV4's CanonicalHeaders for the signed header
// names, in the order the client listed them (the order it signed in).
// net/http moves Host, Content-Length and Transfer-Encoding out of
// r.Header, so those are read back from the request.
func canonicalHeaders(r *http.Request, signed []string) string {
	return string(appendCanonicalHeaders(make([]byte, 0, 64*len(signed)), r, signed))
}

// appendCanonicalHeaders appends canonicalHeaders(r, signed) to b.
func appendCanonicalHeaders(b []byte, r *http.Request, signed []string) []byte {
	for _, name := range signed {
		b = append(b, name...)
		b = append(b, ':')
		switch name {
		case "host":
			h := r.Host
			if h == "" {
				h = r.URL.Host
			}
			b = appendTrimAll(b, h)
			b = append(b, '\n')
			continue
		case "content-length":
			vals := r.Header.Values("Content-Length")
			if len(vals) == 0 && r.ContentLength >= 0 {
				b = strconv.AppendInt(b, r.ContentLength, 10)
				b = append(b, '\n')
				continue
			}
			b = appendHeaderValues(b, vals)
		case "transfer-encoding":
			vals := r.Header.Values("Transfer-Encoding")
			if len(vals) == 0 && len(r.TransferEncoding) > 0 {
				b = appendTrimAll(b, strings.Join(r.TransferEncoding, ","))
				b = append(b, '\n')
				continue
			}
			b = appendHeaderValues(b, vals)
		default:
			b = appendHeaderValues(b, httpheader.Values(r.Header, name))
		}
		b = append(b, '\n')
	}
	return b
}

func appendHeaderValues(b []byte, vals []string) []byte {
	for i, v := range vals {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendTrimAll(b, v)
	}
	return b
}

// appendTrimAll appends trimAll(v) to b without making the string.
func appendTrimAll(b []byte, v string) []byte {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "  ") {
		return append(b, v...)
	}
	space := false
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b = append(b, v[i])
	}
	return b
}

// trimAll is SigV4's Trimall: surrounding whitespace removed and runs of
// spaces collapsed to one.
func trimAll(v string) string {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "  ") {
		return v
	}
	var b strings.Builder
	space := false
	for i := 0; i < len(v); i++ {
		if v[i] == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteByte(v[i])
	}
	return b.String()
}
