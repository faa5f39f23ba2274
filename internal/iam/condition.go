package iam

import (
	"bytes"
	"encoding/base64"
	"math/big"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Context is a request's condition keys and their values. Keys are
// lower-cased ("aws:sourceip", "s3:prefix", "aws:principaltag/team");
// multivalued keys (aws:TagKeys, aws:CalledVia) carry several values.
type Context map[string][]string

// Set sets a single-valued key (no-op for "").
func (c Context) Set(key, value string) {
	if value != "" {
		c[strings.ToLower(key)] = []string{value}
	}
}

// operator is one condition operator: match tells whether one request
// value matches one policy value; negated operators (StringNotEquals,
// NotIpAddress...) are the negation of their positive form over the set
// of policy values.
type operator struct {
	match   func(policy, value string) bool
	negated bool
}

func strEq(p, v string) bool     { return p == v }
func strEqFold(p, v string) bool { return strings.EqualFold(p, v) }
func numCmp(cmp func(int) bool) func(p, v string) bool {
	return func(p, v string) bool {
		a, ok1 := new(big.Float).SetString(v)
		b, ok2 := new(big.Float).SetString(p)
		return ok1 && ok2 && cmp(a.Cmp(b))
	}
}

func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil { // epoch seconds
		return time.Unix(n, 0), true
	}
	return time.Time{}, false
}

func dateCmp(cmp func(int) bool) func(p, v string) bool {
	return func(p, v string) bool {
		a, ok1 := parseDate(v)
		b, ok2 := parseDate(p)
		return ok1 && ok2 && cmp(a.Compare(b))
	}
}

func ipMatch(p, v string) bool {
	addr, err := netip.ParseAddr(v)
	if err != nil {
		return false
	}
	if !strings.Contains(p, "/") {
		pa, err := netip.ParseAddr(p)
		return err == nil && pa.Unmap() == addr.Unmap()
	}
	pfx, err := netip.ParsePrefix(p)
	return err == nil && pfx.Masked().Contains(addr.Unmap())
}

// arnLike compares ARNs segment by segment: the six colon-separated parts
// must each match, so a wildcard does not run across a colon into the
// next part, as AWS's Arn operators behave.
func arnLike(p, v string) bool {
	ps := strings.SplitN(p, ":", 6)
	vs := strings.SplitN(v, ":", 6)
	if len(ps) != 6 || len(vs) != 6 {
		return false
	}
	for i := range ps {
		if !Glob(ps[i], vs[i]) {
			return false
		}
	}
	return true
}

func boolEq(p, v string) bool { return strings.EqualFold(p, v) }

func binaryEq(p, v string) bool {
	a, err1 := base64.StdEncoding.DecodeString(p)
	b, err2 := base64.StdEncoding.DecodeString(v)
	if err1 != nil || err2 != nil {
		return p == v
	}
	return bytes.Equal(a, b)
}

// operators are the condition operators IAM defines, by base name.
var operators = map[string]*operator{
	"StringEquals":              {match: strEq},
	"StringNotEquals":           {match: strEq, negated: true},
	"StringEqualsIgnoreCase":    {match: strEqFold},
	"StringNotEqualsIgnoreCase": {match: strEqFold, negated: true},
	"StringLike":                {match: Glob},
	"StringNotLike":             {match: Glob, negated: true},
	"NumericEquals":             {match: numCmp(func(c int) bool { return c == 0 })},
	"NumericNotEquals":          {match: numCmp(func(c int) bool { return c == 0 }), negated: true},
	"NumericLessThan":           {match: numCmp(func(c int) bool { return c < 0 })},
	"NumericLessThanEquals":     {match: numCmp(func(c int) bool { return c <= 0 })},
	"NumericGreaterThan":        {match: numCmp(func(c int) bool { return c > 0 })},
	"NumericGreaterThanEquals":  {match: numCmp(func(c int) bool { return c >= 0 })},
	"DateEquals":                {match: dateCmp(func(c int) bool { return c == 0 })},
	"DateNotEquals":             {match: dateCmp(func(c int) bool { return c == 0 }), negated: true},
	"DateLessThan":              {match: dateCmp(func(c int) bool { return c < 0 })},
	"DateLessThanEquals":        {match: dateCmp(func(c int) bool { return c <= 0 })},
	"DateGreaterThan":           {match: dateCmp(func(c int) bool { return c > 0 })},
	"DateGreaterThanEquals":     {match: dateCmp(func(c int) bool { return c >= 0 })},
	"Bool":                      {match: boolEq},
	"BinaryEquals":              {match: binaryEq},
	"IpAddress":                 {match: ipMatch},
	"NotIpAddress":              {match: ipMatch, negated: true},
	"ArnEquals":                 {match: arnLike},
	"ArnLike":                   {match: arnLike},
	"ArnNotEquals":              {match: arnLike, negated: true},
	"ArnNotLike":                {match: arnLike, negated: true},
	"Null":                      {},
}

// eval tells whether the condition holds for ctx. missing reports that
// the key had no value (for the simulator's MissingContextValues).
//
// The rules, as AWS documents them:
//   - a single-valued test holds when any request value matches any
//     policy value; a negated operator holds when none does;
//   - a key absent from the request fails a positive operator and passes
//     a negated one; ...IfExists passes when the key is absent;
//   - ForAnyValue holds when at least one request value matches (absent:
//     false); ForAllValues when every request value matches (absent:
//     true);
//   - Null: "true" holds when the key is absent, "false" when present.
func (c *Condition) eval(ctx Context, version string) (ok, missing bool) {
	vals, present := ctx[c.Key]
	present = present && len(vals) > 0
	if c.Operator == "Null" {
		want := len(c.Values) > 0 && strings.EqualFold(c.Values[0], "true")
		return want == !present, false
	}
	if !present {
		switch {
		case c.IfExists:
			return true, false
		case c.Set == "ForAllValues":
			return true, false
		case c.Set == "ForAnyValue":
			return false, true
		}
		return c.op.negated, true
	}
	// Policy values may hold variables.
	policy := c.Values
	if version == "2012-10-17" {
		for i, p := range c.Values {
			if strings.Contains(p, "${") {
				if &policy[0] == &c.Values[0] {
					policy = append([]string(nil), c.Values...)
				}
				s, ok := substitute(p, ctx, version)
				if !ok {
					s = "\x00unresolved"
				}
				policy[i] = s
			}
		}
	}
	anyPolicy := func(v string) bool {
		for _, p := range policy {
			if c.op.match(p, v) {
				return true
			}
		}
		return false
	}
	one := func(v string) bool { return anyPolicy(v) != c.op.negated }
	switch c.Set {
	case "ForAnyValue":
		for _, v := range vals {
			if one(v) {
				return true, false
			}
		}
		return false, false
	case "ForAllValues":
		for _, v := range vals {
			if !one(v) {
				return false, false
			}
		}
		return true, false
	}
	matched := false
	for _, v := range vals {
		if anyPolicy(v) {
			matched = true
			break
		}
	}
	return matched != c.op.negated, false
}
