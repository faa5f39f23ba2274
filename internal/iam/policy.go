// Package iam is niwa's one IAM policy engine: the policy grammar (parsed
// once into a compact form), the condition operators and policy variables,
// and the evaluation logic AWS documents ("Policy evaluation logic"):
// explicit deny first, then the allows of identity-based and resource-based
// policies, limited by permissions boundaries and session policies, with
// the cross-account rule that both sides must allow.
//
// The package knows nothing of services or storage: callers (the gateway's
// authorizer, STS trust checks, IAM's policy simulator) gather the policies
// and the request context and ask Evaluate. That is what makes the
// simulator agree with enforcement: they run the same function.
package iam

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Effect is a statement's Effect.
type Effect bool

// The two effects.
const (
	Deny  Effect = false
	Allow Effect = true
)

func (e Effect) String() string {
	if e == Allow {
		return "Allow"
	}
	return "Deny"
}

// Policy is a parsed policy document.
type Policy struct {
	Version    string
	ID         string
	Statements []Statement
	// Source names the policy in decisions and logs (a policy ARN, "user
	// alice inline policy p1", "bucket policy of b", ...).
	Source string
	// contextFree is set by Parse when no statement reads the request's
	// condition keys: none has a Condition, none a policy variable in
	// its Resource (ReadsContext).
	contextFree bool
}

// ReadsContext reports whether evaluating p may read the request's
// condition keys (Request.Context): a statement has a Condition or a
// policy variable (${aws:username}) in a resource. A policy not made by
// Parse may.
func (p *Policy) ReadsContext() bool { return p != nil && !p.contextFree }

// readsContext is ReadsContext computed from the statements.
func (p *Policy) readsContext() bool {
	for i := range p.Statements {
		st := &p.Statements[i]
		if len(st.Conditions) > 0 {
			return true
		}
		for _, r := range st.Resources {
			if strings.Contains(r, "${") {
				return true
			}
		}
	}
	return false
}

// Statement is one parsed statement. Absent elements are nil; "present
// but NotX" is told apart by the Not flags.
type Statement struct {
	// Index is the statement's position in its policy (0-based).
	Index  int
	Sid    string
	Effect Effect
	// Actions are lower-cased patterns; NotAction is set when they came
	// from NotAction.
	Actions   []string
	NotAction bool
	// Resources are patterns; NotResource as for actions. HasResource is
	// false when the statement has neither (trust policies).
	Resources   []string
	NotResource bool
	HasResource bool
	// Principal is nil when the statement has no Principal/NotPrincipal.
	Principal    *Principals
	NotPrincipal bool
	Conditions   []Condition
}

// Principals is a Principal element: values by type ("AWS", "Service",
// "Federated", "CanonicalUser"); Any is the bare "*".
type Principals struct {
	Any    bool
	ByType map[string][]string
}

// Condition is one key test of a Condition block.
type Condition struct {
	// Operator is the base operator name as written without IfExists and
	// without a set qualifier ("StringLike").
	Operator string
	IfExists bool
	// Set is "", "ForAllValues" or "ForAnyValue".
	Set string
	// Key is lower-cased (condition keys are case-insensitive).
	Key    string
	Values []string
	op     *operator
}

// ParseError is a malformed policy document, with the message IAM uses
// (MalformedPolicyDocument).
type ParseError struct{ Msg string }

func (e *ParseError) Error() string { return e.Msg }

func malformed(format string, args ...any) error {
	return &ParseError{Msg: fmt.Sprintf(format, args...)}
}

// Parse parses a policy document (JSON, not URL-encoded). It accepts what
// IAM accepts for identity, resource and trust policies; callers that
// store documents validate them further by kind.
func Parse(doc string) (*Policy, error) {
	if nestedDeeper(doc, MaxDepth) {
		return nil, malformed("Syntax errors in policy.")
	}
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var top map[string]any
	if err := dec.Decode(&top); err != nil || top == nil {
		return nil, malformed("Syntax errors in policy.")
	}
	if dec.More() {
		return nil, malformed("Syntax errors in policy.")
	}
	p := &Policy{}
	var stmtsRaw any
	for k, v := range top {
		switch k {
		case "Version":
			s, ok := v.(string)
			if !ok || (s != "2012-10-17" && s != "2008-10-17") {
				return nil, malformed("The policy failed legacy parsing")
			}
			p.Version = s
		case "Id":
			s, ok := v.(string)
			if !ok {
				return nil, malformed("Syntax errors in policy.")
			}
			p.ID = s
		case "Statement":
			stmtsRaw = v
		default:
			return nil, malformed("Syntax errors in policy.")
		}
	}
	var raws []any
	switch v := stmtsRaw.(type) {
	case map[string]any:
		raws = []any{v}
	case []any:
		raws = v
	default:
		return nil, malformed("Syntax errors in policy.")
	}
	for i, r := range raws {
		m, ok := r.(map[string]any)
		if !ok {
			return nil, malformed("Syntax errors in policy.")
		}
		st, err := parseStatement(m)
		if err != nil {
			return nil, err
		}
		st.Index = i
		p.Statements = append(p.Statements, st)
	}
	p.contextFree = !p.readsContext()
	return p, nil
}

// MaxDepth bounds the nesting of a policy document's objects and arrays.
// The grammar needs six levels (document, Statement list, statement,
// Condition, operator, value list); a deeper document cannot be a policy
// and is refused before it is decoded, so it costs no memory.
const MaxDepth = 16

// TooDeep reports whether doc nests objects and arrays deeper than
// MaxDepth; services that read documents with their own grammar checks
// (IAM's stricter validation) refuse them with it too.
func TooDeep(doc string) bool { return nestedDeeper(doc, MaxDepth) }

// nestedDeeper reports whether doc opens more than limit objects or arrays
// at once, ignoring brackets inside strings. It does not validate JSON.
func nestedDeeper(doc string, limit int) bool {
	depth, inStr := 0, false
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		switch {
		case inStr:
			switch c {
			case '\\':
				i++
			case '"':
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			if depth++; depth > limit {
				return true
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	return false
}

// MustParse parses doc or panics; for documents compiled into niwa.
func MustParse(doc string) *Policy {
	p, err := Parse(doc)
	if err != nil {
		panic("iam: " + err.Error() + ": " + doc)
	}
	return p
}

func parseStatement(m map[string]any) (Statement, error) {
	var st Statement
	seen := map[string]bool{}
	for k, v := range m {
		seen[k] = true
		var err error
		switch k {
		case "Sid":
			s, ok := v.(string)
			if !ok {
				return st, malformed("Syntax errors in policy.")
			}
			st.Sid = s
		case "Effect":
			switch v {
			case "Allow":
				st.Effect = Allow
			case "Deny":
				st.Effect = Deny
			default:
				return st, malformed("Invalid effect: %v", v)
			}
		case "Action", "NotAction":
			st.Actions, err = stringList(v)
			for i, a := range st.Actions {
				if a != "*" && !strings.Contains(a, ":") {
					return st, malformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
				}
				st.Actions[i] = strings.ToLower(a)
			}
			st.NotAction = k == "NotAction"
		case "Resource", "NotResource":
			st.Resources, err = stringList(v)
			st.NotResource = k == "NotResource"
			st.HasResource = true
		case "Principal", "NotPrincipal":
			st.Principal, err = parsePrincipal(v)
			st.NotPrincipal = k == "NotPrincipal"
		case "Condition":
			st.Conditions, err = parseConditions(v)
		default:
			return st, malformed("Syntax errors in policy.")
		}
		if err != nil {
			return st, err
		}
	}
	if !seen["Effect"] {
		return st, malformed("Missing required field Effect")
	}
	if (seen["Action"] && seen["NotAction"]) || (seen["Resource"] && seen["NotResource"]) || (seen["Principal"] && seen["NotPrincipal"]) {
		return st, malformed("Syntax errors in policy.")
	}
	if !seen["Action"] && !seen["NotAction"] {
		return st, malformed("Policy statement must contain actions.")
	}
	return st, nil
}

// stringList reads "x" or ["x", ...].
func stringList(v any) ([]string, error) {
	switch v := v.(type) {
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, malformed("Syntax errors in policy.")
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, malformed("Syntax errors in policy.")
}

func parsePrincipal(v any) (*Principals, error) {
	p := &Principals{ByType: map[string][]string{}}
	switch v := v.(type) {
	case string:
		if v != "*" {
			return nil, malformed("Invalid principal in policy: %q", v)
		}
		p.Any = true
		return p, nil
	case map[string]any:
		for typ, vals := range v {
			switch typ {
			case "AWS", "Service", "Federated", "CanonicalUser":
			default:
				return nil, malformed("Invalid principal in policy: %q", typ)
			}
			list, err := stringList(vals)
			if err != nil {
				return nil, err
			}
			p.ByType[typ] = list
		}
		return p, nil
	}
	return nil, malformed("Syntax errors in policy.")
}

func parseConditions(v any) ([]Condition, error) {
	block, ok := v.(map[string]any)
	if !ok {
		return nil, malformed("Syntax errors in policy.")
	}
	var out []Condition
	// Deterministic order: decisions and logs should not depend on map
	// iteration.
	opNames := make([]string, 0, len(block))
	for k := range block {
		opNames = append(opNames, k)
	}
	sort.Strings(opNames)
	for _, name := range opNames {
		keys, ok := block[name].(map[string]any)
		if !ok {
			return nil, malformed("Syntax errors in policy.")
		}
		c := Condition{}
		base := name
		if s, rest, ok := strings.Cut(base, ":"); ok {
			if s != "ForAllValues" && s != "ForAnyValue" {
				return nil, malformed("Invalid Condition type : %s", name)
			}
			c.Set, base = s, rest
		}
		if b, ok := strings.CutSuffix(base, "IfExists"); ok {
			c.IfExists, base = true, b
		}
		op, ok := operators[base]
		if !ok {
			return nil, malformed("Invalid Condition type : %s", name)
		}
		c.Operator, c.op = base, op
		keyNames := make([]string, 0, len(keys))
		for k := range keys {
			keyNames = append(keyNames, k)
		}
		sort.Strings(keyNames)
		for _, k := range keyNames {
			vals, err := conditionValues(keys[k])
			if err != nil {
				return nil, err
			}
			cc := c
			cc.Key, cc.Values = strings.ToLower(k), vals
			out = append(out, cc)
		}
	}
	return out, nil
}

// conditionValues reads a condition's value or values; booleans and
// numbers are written as JSON scalars in many real policies.
func conditionValues(v any) ([]string, error) {
	scalar := func(e any) (string, bool) {
		switch e := e.(type) {
		case string:
			return e, true
		case bool:
			if e {
				return "true", true
			}
			return "false", true
		case json.Number:
			return e.String(), true
		}
		return "", false
	}
	if list, ok := v.([]any); ok {
		out := make([]string, 0, len(list))
		for _, e := range list {
			s, ok := scalar(e)
			if !ok {
				return nil, malformed("Syntax errors in policy.")
			}
			out = append(out, s)
		}
		return out, nil
	}
	s, ok := scalar(v)
	if !ok {
		return nil, malformed("Syntax errors in policy.")
	}
	return []string{s}, nil
}

// IsParseError reports whether err is a malformed document.
func IsParseError(err error) bool {
	var pe *ParseError
	return errors.As(err, &pe)
}

// Compact returns doc without insignificant white space, for messages.
func Compact(doc string) string {
	var b bytes.Buffer
	if json.Compact(&b, []byte(doc)) != nil {
		return doc
	}
	return b.String()
}
