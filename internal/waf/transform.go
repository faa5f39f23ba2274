package waf

import (
	"encoding/base64"
	"encoding/hex"
	"html"
	"net/url"
	"strings"
	"unicode"
)

// Transforms niwa applies; Supported says which, so the API refuses
// the others with a reason instead of ignoring them.
var supported = map[Transform]bool{
	"NONE": true, "LOWERCASE": true, "URL_DECODE": true, "URL_DECODE_UNI": true,
	"COMPRESS_WHITE_SPACE": true, "HTML_ENTITY_DECODE": true, "BASE64_DECODE": true,
	"BASE64_DECODE_EXT": true, "HEX_DECODE": true,
	"REPLACE_NULLS": true, "REMOVE_NULLS": true, "NORMALIZE_PATH": true,
}

// Supported reports whether t is a transformation niwa applies.
func Supported(t Transform) bool { return supported[t] }

// Apply applies one transformation to s.
func Apply(t Transform, s string) string {
	switch t {
	case "LOWERCASE":
		return strings.ToLower(s)
	case "URL_DECODE", "URL_DECODE_UNI":
		if d, err := url.PathUnescape(strings.ReplaceAll(s, "+", " ")); err == nil {
			return d
		}
		return s
	case "COMPRESS_WHITE_SPACE":
		// AWS replaces tab, newline, CR, FF, VT and NBSP by spaces and
		// collapses runs of spaces into one.
		var b strings.Builder
		space := false
		for _, r := range s {
			if r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\v' || r == 0xa0 {
				if !space {
					b.WriteByte(' ')
				}
				space = true
				continue
			}
			space = false
			b.WriteRune(r)
		}
		return b.String()
	case "HTML_ENTITY_DECODE":
		return html.UnescapeString(s)
	case "BASE64_DECODE":
		if d, err := base64.StdEncoding.DecodeString(s); err == nil {
			return string(d)
		}
		if d, err := base64.RawStdEncoding.DecodeString(s); err == nil {
			return string(d)
		}
		return s
	case "BASE64_DECODE_EXT":
		clean := strings.Map(func(r rune) rune {
			if r == '.' || r == '-' || unicode.IsSpace(r) {
				return -1
			}
			return r
		}, s)
		if d, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(clean, "=")); err == nil {
			return string(d)
		}
		return s
	case "HEX_DECODE":
		if d, err := hex.DecodeString(s); err == nil {
			return string(d)
		}
		return s
	case "REPLACE_NULLS":
		return strings.ReplaceAll(s, "\x00", " ")
	case "REMOVE_NULLS":
		return strings.ReplaceAll(s, "\x00", "")
	case "NORMALIZE_PATH":
		return normalizePath(s)
	}
	return s
}

// normalizePath removes ./ and ../ segments and repeated slashes.
func normalizePath(p string) string {
	if p == "" {
		return p
	}
	abs := strings.HasPrefix(p, "/")
	trail := strings.HasSuffix(p, "/")
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
	r := strings.Join(out, "/")
	if abs {
		r = "/" + r
	}
	if trail && !strings.HasSuffix(r, "/") {
		r += "/"
	}
	return r
}
