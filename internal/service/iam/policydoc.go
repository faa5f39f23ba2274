package iam

import (
	"bytes"
	"encoding/json"
	"io"
	"net/url"
	"strings"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	policy "github.com/niwa-cloud/niwa/internal/iam"
)

// Policy documents travel URL-encoded out of IAM (botocore's
// json_decode_policies handler unquotes and parses them; the Go SDK hands
// the encoded string to the caller) and are accepted either raw or
// URL-encoded on the way in. They are stored decoded, exactly as the client
// wrote them, because IAM returns documents verbatim, whitespace included.

// encodeDocument URL-encodes a document as IAM does: every byte but the
// RFC 3986 unreserved characters is percent-encoded, spaces as %20 (never
// "+", which urllib's unquote would leave alone).
func encodeDocument(doc string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(doc) * 2)
	for i := 0; i < len(doc); i++ {
		c := doc[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9',
			c == '-', c == '_', c == '.', c == '~':
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// decodeDocument accepts a document as sent: raw JSON is kept as is; a
// URL-encoded one is decoded, trying %-decoding alone first (so a literal
// "+" stays a plus) and form decoding ("+" is a space) second. Anything that
// decodes to no JSON object is returned unchanged for validation to reject.
func decodeDocument(doc string) string {
	t := strings.TrimLeft(doc, " \t\r\n")
	if strings.HasPrefix(t, "{") || !strings.Contains(doc, "%") {
		return doc
	}
	for _, unescape := range []func(string) (string, error){url.PathUnescape, url.QueryUnescape} {
		if d, err := unescape(doc); err == nil && json.Valid([]byte(d)) {
			return d
		}
	}
	return doc
}

// docKind says which rules a document answers to.
type docKind int

const (
	docManaged docKind = iota // customer managed policy version
	docInline                 // inline policy of a user, group or role
	docTrust                  // a role's trust (assume role) policy
)

var (
	validTop       = setOf("Version", "Id", "Statement")
	validStatement = setOf("Sid", "Action", "NotAction", "Resource", "NotResource", "Effect", "Principal", "NotPrincipal", "Condition")
	validOperators = setOf(
		"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
		"StringLike", "StringNotLike",
		"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
		"NumericGreaterThan", "NumericGreaterThanEquals",
		"DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals",
		"DateGreaterThan", "DateGreaterThanEquals",
		"Bool", "BinaryEquals", "IpAddress", "NotIpAddress",
		"ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null",
	)
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

func malformed(msg string) error {
	return iamapi.ErrMalformedPolicyDocumentException.New("%s", msg)
}

// statement is one statement of a document that passed the syntax check.
type statement map[string]any

// validateDocument checks a (decoded) policy document in the order IAM
// does, reporting only the first failing stage with IAM's message: the
// grammar, the version, the case-sensitive Effect, unique Sids, actions
// present, resource ARN shapes, action vendors, and then the rules of the
// document's kind (no Principal and some Resource in identity policies; a
// Principal, sts actions and no Resource in trust policies).
func validateDocument(doc string, kind docKind) error {
	top, stmts, ok := parseDocument(doc)
	if !ok {
		return malformed("Syntax errors in policy.")
	}
	switch v, _ := top["Version"].(string); {
	case v == "2012-10-17":
	case (v == "2008-10-17" || v == "" && top["Version"] == nil) && kind == docTrust:
		// Trust policies of long-lived service roles still say
		// 2008-10-17, and one without Version means that version: IAM
		// takes both (CDK's bootstrap template's roles give none).
	default:
		return malformed("Policy document must be version 2012-10-17 or greater.")
	}
	for _, st := range stmts {
		if !legacyParses(st) {
			return malformed("The policy failed legacy parsing")
		}
	}
	for _, st := range stmts {
		if sid, _ := st["Sid"].(string); !alphanumeric(sid) {
			return malformed("Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*")
		}
	}
	sids := map[string]bool{}
	for _, st := range stmts {
		if sid, _ := st["Sid"].(string); sid != "" {
			if sids[sid] {
				return malformed("Statement IDs (SID) in a single policy must be unique.")
			}
			sids[sid] = true
		}
	}
	for _, st := range stmts {
		if !hasElements(st, "Action", "NotAction") {
			return malformed("Policy statement must contain actions.")
		}
	}
	for _, st := range stmts {
		for _, r := range append(stringsOf(st["Resource"]), stringsOf(st["NotResource"])...) {
			if msg := resourceError(r); msg != "" {
				return malformed(msg)
			}
		}
	}
	for _, st := range stmts {
		for _, a := range append(stringsOf(st["Action"]), stringsOf(st["NotAction"])...) {
			if err := checkAction(a); err != nil {
				return err
			}
		}
	}
	if kind == docTrust {
		return checkTrust(stmts)
	}
	for _, st := range stmts {
		_, p := st["Principal"]
		_, np := st["NotPrincipal"]
		if p || np {
			if kind == docManaged {
				return malformed("Policy document should not specify a principal.")
			}
			return malformed("Has prohibited field Principal")
		}
	}
	for _, st := range stmts {
		if !hasElements(st, "Resource", "NotResource") {
			return malformed("Policy statement must contain resources.")
		}
	}
	return nil
}

func checkTrust(stmts []statement) error {
	for _, st := range stmts {
		for _, a := range stringsOf(st["Action"]) {
			if !strings.HasPrefix(lower(a), "sts:") {
				return malformed("Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity")
			}
		}
	}
	for _, st := range stmts {
		_, r := st["Resource"]
		_, nr := st["NotResource"]
		if r || nr {
			return malformed("Has prohibited field Resource.")
		}
	}
	for _, st := range stmts {
		_, p := st["Principal"]
		_, np := st["NotPrincipal"]
		if !p && !np {
			return malformed("Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!")
		}
	}
	for _, st := range stmts {
		for _, k := range []string{"Principal", "NotPrincipal"} {
			if msg := principalError(st[k]); msg != "" {
				return malformed(msg)
			}
		}
	}
	return nil
}

func checkAction(a string) error {
	if a == "*" {
		return nil
	}
	parts := strings.Split(a, ":")
	switch {
	case len(parts) == 1:
		return malformed("Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
	case len(parts) > 2:
		return malformed("Actions/Condition can contain only one colon.")
	}
	vendor := parts[0]
	for i := 0; i < len(vendor); i++ {
		c := vendor[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '*' || c == '?') {
			return malformed("Vendor " + vendor + " is not valid")
		}
	}
	return nil
}

// hasElements reports whether st has one of the two elements, and that it
// is not an empty list.
func hasElements(st statement, a, b string) bool {
	for _, k := range []string{a, b} {
		if v, ok := st[k]; ok {
			if l, isList := v.([]any); isList {
				return len(l) > 0
			}
			return true
		}
	}
	return false
}

// stringsOf returns a string-or-list-of-strings element as a list.
func stringsOf(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// parseDocument applies the policy grammar and returns the document's top
// level and its statements, or ok=false for "Syntax errors in policy.".
func parseDocument(doc string) (top map[string]any, stmts []statement, ok bool) {
	// A document nested deeper than any policy is malformed; refusing it
	// before decoding keeps it from costing memory.
	if policy.TooDeep(doc) {
		return nil, nil, false
	}
	d := json.NewDecoder(bytes.NewReader([]byte(doc)))
	d.UseNumber()
	if err := d.Decode(&top); err != nil || top == nil {
		return nil, nil, false
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, nil, false // trailing data after the object
	}
	for k := range top {
		if !validTop[k] {
			return nil, nil, false
		}
	}
	if v, present := top["Version"]; present {
		if s, isStr := v.(string); !isStr || (s != "2008-10-17" && s != "2012-10-17") {
			return nil, nil, false
		}
	}
	if v, present := top["Id"]; present {
		if _, isStr := v.(string); !isStr {
			return nil, nil, false
		}
	}
	switch s := top["Statement"].(type) {
	case map[string]any:
		stmts = []statement{s}
	case []any:
		for _, e := range s {
			m, isObj := e.(map[string]any)
			if !isObj {
				return nil, nil, false
			}
			stmts = append(stmts, m)
		}
	}
	if len(stmts) == 0 {
		return nil, nil, false
	}
	for _, st := range stmts {
		if !statementSyntax(st) {
			return nil, nil, false
		}
	}
	return top, stmts, true
}

func statementSyntax(st statement) bool {
	for k := range st {
		if !validStatement[k] {
			return false
		}
	}
	if both(st, "Action", "NotAction") || both(st, "Resource", "NotResource") || both(st, "Principal", "NotPrincipal") {
		return false
	}
	if e, isStr := st["Effect"].(string); !isStr || (lower(e) != "allow" && lower(e) != "deny") {
		return false
	}
	for _, k := range []string{"Action", "NotAction", "Resource", "NotResource"} {
		if v, present := st[k]; present && !isStringOrStrings(v) {
			return false
		}
	}
	if v, present := st["Sid"]; present {
		if _, isStr := v.(string); !isStr {
			return false
		}
	}
	for _, k := range []string{"Principal", "NotPrincipal"} {
		if v, present := st[k]; present && !principalSyntax(v) {
			return false
		}
	}
	if v, present := st["Condition"]; present && !conditionSyntax(v) {
		return false
	}
	return true
}

func both(st statement, a, b string) bool {
	_, x := st[a]
	_, y := st[b]
	return x && y
}

func isStringOrStrings(v any) bool {
	switch x := v.(type) {
	case string:
		return true
	case []any:
		for _, e := range x {
			if _, ok := e.(string); !ok {
				return false
			}
		}
		return true
	}
	return false
}

func principalSyntax(v any) bool {
	switch x := v.(type) {
	case string:
		return x == "*"
	case map[string]any:
		for _, ids := range x {
			if !isStringOrStrings(ids) {
				return false
			}
		}
		return len(x) > 0
	}
	return false
}

// conditionSyntax accepts {operator: {key: value-or-values}}, where values
// are strings, numbers or booleans. An operator IAM does not know is
// accepted only with an empty block, as IAM's grammar does.
func conditionSyntax(v any) bool {
	block, ok := v.(map[string]any)
	if !ok {
		return false
	}
	for op, kv := range block {
		m, ok := kv.(map[string]any)
		if !ok {
			return false
		}
		for _, val := range m {
			if !conditionValue(val) {
				return false
			}
		}
		if !validOperators[stripOperator(op)] && len(m) > 0 {
			return false
		}
	}
	return true
}

func conditionValue(v any) bool {
	switch x := v.(type) {
	case string, json.Number, bool:
		return true
	case []any:
		for _, e := range x {
			switch e.(type) {
			case string, json.Number, bool:
			default:
				return false
			}
		}
		return true
	}
	return false
}

func stripOperator(op string) string {
	for _, p := range []string{"ForAnyValue:", "ForAllValues:"} {
		if strings.HasPrefix(op, p) {
			op = op[len(p):]
			break
		}
	}
	return strings.TrimSuffix(op, "IfExists")
}

// documentSize is a document's size as IAM counts it against quotas:
// whitespace does not count.
func documentSize(doc string) int {
	n := 0
	for i := 0; i < len(doc); i++ {
		switch doc[i] {
		case ' ', '\t', '\n', '\r':
		default:
			n++
		}
	}
	return n
}

// readDocument decodes and validates a document from a request member.
func readDocument(member string, v *string, kind docKind) (string, error) {
	raw, err := required(member, v)
	if err != nil {
		return "", err
	}
	doc := decodeDocument(raw)
	if err := validateDocument(doc, kind); err != nil {
		return "", err
	}
	return doc, nil
}
