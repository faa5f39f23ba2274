// Package httpheader reads net/http headers on the request path without
// the allocations of http.Header's canonicalizing accessors.
package httpheader

import "net/http"

// Values is h.Values(name) without allocating: Values canonicalizes name
// into a new string on every call, and the names niwa looks up (signed
// header names, the models' header bindings) are mostly lower case —
// dozens per S3 request. Names of other bytes than letters, digits and
// '-' go through Values unchanged.
func Values(h http.Header, name string) []string {
	var buf [96]byte
	if len(name) > len(buf) {
		return h.Values(name)
	}
	b := buf[:len(name)]
	upper := true
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z':
			if upper {
				c -= 'a' - 'A'
			}
		case 'A' <= c && c <= 'Z':
			if !upper {
				c += 'a' - 'A'
			}
		case '0' <= c && c <= '9' || c == '-':
		default:
			return h.Values(name)
		}
		b[i] = c
		upper = c == '-'
	}
	return h[string(b)]
}

// Get is h.Get(name) for a name already in canonical form (a constant
// such as "X-Amz-Target"): the same first value, without Get's scan of
// the name to canonicalize it.
func Get(h http.Header, name string) string {
	if v := h[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}
