// Package lazyre holds regular expressions that are compiled on first
// use rather than when their package is initialized.
//
// A package-level regexp.MustCompile runs at every start of niwa, for
// services a run may never call, and a counted repetition is expanded
// when compiled: `[A-Za-z0-9_-]{1,256}` alone allocates 250 KB and takes
// a quarter of a millisecond. Nothing is done with the expression until
// its first match compiles it, once and safely under concurrency. Even
// parsing every expression at start-up (to fail there, as MustCompile
// does) cost ~0.3 ms and ~5% of niwa's start-up CPU before main for the
// ~80 of them; instead TestExpressionsCompile compiles every literal
// given to New in internal/ and cmd/, so a malformed one fails the tests.
package lazyre

import (
	"regexp"
	"sync"
)

// Regexp is a regular expression compiled on first use.
type Regexp struct {
	expr string
	re   func() *regexp.Regexp
}

// New returns expr as a Regexp, compiled by its first use. expr must be
// a string literal or a concatenation of them (TestExpressionsCompile
// checks them all); a malformed one panics at its first use, with
// regexp.MustCompile's message.
func New(expr string) *Regexp {
	return &Regexp{expr: expr, re: sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })}
}

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
