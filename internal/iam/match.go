package iam

import (
	"strings"
	"unicode/utf8"
)

// Glob reports whether s matches pattern, where * matches any run of
// characters (also none) and ? exactly one, as in Action and Resource
// elements and the *Like condition operators. It runs in O(len(s) *
// number of stars) without allocating: authorization runs on every
// request.
func Glob(pattern, s string) bool { return glob(pattern, s, false) }

// glob is Glob, with foldS comparing each byte of s as its ASCII lower
// case (pattern being lower-case already): actionMatches' way of matching
// an action without lower-casing it into a new string.
func glob(pattern, s string, foldS bool) bool {
	px, sx := 0, 0
	starP, starS := -1, 0
	for sx < len(s) {
		if px < len(pattern) {
			switch c := pattern[px]; c {
			case '*':
				starP, starS = px, sx
				px++
				continue
			case '?':
				px++
				sx++
				continue
			default:
				if c == s[sx] || (foldS && c == lowerASCII(s[sx])) {
					px++
					sx++
					continue
				}
			}
		}
		if starP < 0 {
			return false
		}
		px = starP + 1
		starS++
		sx = starS
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}

// globFold is Glob without regard to ASCII case (actions, IgnoreCase).
func globFold(pattern, s string) bool {
	if isLowerASCII(pattern) && isLowerASCII(s) {
		return Glob(pattern, s)
	}
	return Glob(strings.ToLower(pattern), strings.ToLower(s))
}

// foldAction is the form of a request's action that actionMatches
// takes: the action itself when it is ASCII (every AWS action is), which
// actionMatches folds byte by byte as it compares, and otherwise its
// lower case, as before. Evaluate used to lower-case every action, a new
// string per authorization.
func foldAction(action string) string {
	for i := 0; i < len(action); i++ {
		if action[i] >= utf8.RuneSelf {
			return strings.ToLower(action)
		}
	}
	return action
}

// actionMatches is globFold(pattern, strings.ToLower(action)) for an
// action from foldAction: an ASCII action's ASCII lower case is its
// lower case, and a lower-cased one has no upper-case ASCII byte left to
// fold, so comparing each of its bytes lower-cased is the same match.
// Parsed statements' action patterns are lower-case; any other pattern
// takes globFold as before.
func actionMatches(pattern, action string) bool {
	if !isLowerASCII(pattern) {
		return globFold(pattern, action)
	}
	return glob(pattern, action, true)
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func isLowerASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			return false
		}
	}
	return true
}

// substitute replaces policy variables (${aws:username}, ${s3:prefix},
// ${aws:PrincipalTag/team}, ${key, 'default'}, and the escapes ${*},
// ${?}, ${$}) with their values from ctx. ok is false when a variable has
// no value and no default: the element then matches nothing, as on AWS.
// Only the 2012-10-17 policy language has variables.
func substitute(s string, ctx Context, version string) (string, bool) {
	if version != "2012-10-17" || !strings.Contains(s, "${") {
		return s, true
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String(), true
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String(), true
		}
		b.WriteString(s[:i])
		expr := s[i+2 : i+j]
		s = s[i+j+1:]
		switch expr {
		case "*", "?", "$":
			// The escapes stand for the literal character; "*" and "?"
			// then match themselves, which Glob cannot express, so they
			// keep their wildcard meaning here (documented difference).
			b.WriteString(expr)
			continue
		}
		key, def, hasDef := strings.Cut(expr, ",")
		key = strings.ToLower(strings.TrimSpace(key))
		if vals := ctx[key]; len(vals) == 1 {
			b.WriteString(vals[0])
			continue
		}
		if hasDef {
			def = strings.TrimSpace(def)
			def = strings.TrimSuffix(strings.TrimPrefix(def, "'"), "'")
			b.WriteString(def)
			continue
		}
		return "", false
	}
}
