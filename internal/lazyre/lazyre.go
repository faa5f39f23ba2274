// Package lazyre holds regular expressions that are compiled on first
// use rather than when their package is initialized.
//
// A package-level regexp.MustCompile runs at every start of niwa, for
// services a run may never call, and a counted repetition is expanded
// when compiled: `[A-Za-z0-9_-]{1,256}` alone allocates 250 KB and takes
// a quarter of a millisecond. New checks the expression's syntax at once
// (cheaply: it is parsed, not compiled), so a malformed one still fails
// at start-up, as with MustCompile; it is compiled, once and safely
// under concurrency, by the first match.
package lazyre

import (
	"regexp"
	"regexp/syntax"
	"sync"
)

// Regexp is a regular expression compiled on first use.
type Regexp struct {
	expr string
	re   func() *regexp.Regexp
}

// New returns expr as a Regexp. It panics if expr does not parse, like
// regexp.MustCompile, so the mistake shows at start-up.
func New(expr string) *Regexp {
	if _, err := syntax.Parse(expr, syntax.Perl); err != nil {
		panic(`lazyre: New(` + quote(expr) + `): ` + err.Error())
	}
	return &Regexp{expr: expr, re: sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })}
}

func quote(s string) string { return "`" + s + "`" }

// Regexp returns the compiled expression, compiling it the first time.
func (r *Regexp) Regexp() *regexp.Regexp { return r.re() }

// String returns the source text of the expression.
func (r *Regexp) String() string { return r.expr }

// MatchString reports whether s contains a match.
func (r *Regexp) MatchString(s string) bool { return r.re().MatchString(s) }

// Match reports whether b contains a match.
func (r *Regexp) Match(b []byte) bool { return r.re().Match(b) }

// FindStringSubmatch returns the leftmost match and its submatches, nil
// for none (regexp.Regexp.FindStringSubmatch).
func (r *Regexp) FindStringSubmatch(s string) []string { return r.re().FindStringSubmatch(s) }

// ReplaceAllString replaces the matches of the expression in src with
// repl, expanding $ signs (regexp.Regexp.ReplaceAllString).
func (r *Regexp) ReplaceAllString(src, repl string) string { return r.re().ReplaceAllString(src, repl) }

// ReplaceAllStringFunc replaces the matches of the expression in src
// with what repl returns for each (regexp.Regexp.ReplaceAllStringFunc).
func (r *Regexp) ReplaceAllStringFunc(src string, repl func(string) string) string {
	return r.re().ReplaceAllStringFunc(src, repl)
}
