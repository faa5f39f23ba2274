package sns

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/netip"
	"strings"

	"github.com/niwa-cloud/niwa/internal/ptr"
)

// filterPolicy is a parsed subscription filter policy: keys to lists of
// conditions (exact strings and numbers, prefix, suffix, anything-but,
// numeric ranges, cidr, exists, equals-ignore-case) or, for MessageBody
// scope, nested policies; "$or" lists alternative sub-policies.
type filterPolicy map[string]any

// filterError is a filter policy SNS refuses. Its text follows
// "FilterPolicy: " in SNS's message unless bare (the scope refusal names
// no attribute).
type filterError struct {
	msg  string
	bare bool
}

func (e *filterError) Error() string { return e.msg }

func policyErr(format string, a ...any) error {
	if len(a) == 0 {
		return &filterError{msg: format}
	}
	return &filterError{msg: sprintf(format, a...)}
}

// filterPolicyMessage words a filter policy refusal as SNS does: Subscribe
// reports it among the attributes ("Invalid parameter: Attributes Reason:
// FilterPolicy: ..."), SetSubscriptionAttributes on its own ("Invalid
// parameter: FilterPolicy: ...").
func filterPolicyMessage(err error, subscribe bool) string {
	prefix := "Invalid parameter: "
	if subscribe {
		prefix += "Attributes Reason: "
	}
	if fe, ok := err.(*filterError); ok && fe.bare {
		return prefix + fe.msg
	}
	return prefix + "FilterPolicy: " + err.Error()
}

// maxFilterPolicy is SNS's limit on a filter policy's size (256 KB).
const maxFilterPolicy = 256 * 1024

func parseFilterPolicy(doc string) (filterPolicy, error) {
	if len(doc) > maxFilterPolicy {
		return nil, policyErr("Filter policy is too long")
	}
	var m map[string]any
	d := json.NewDecoder(strings.NewReader(doc))
	d.UseNumber()
	if err := d.Decode(&m); err != nil || m == nil || d.More() {
		return nil, policyErr("failed to parse JSON.")
	}
	if err := checkPolicy(m, 0); err != nil {
		return nil, err
	}
	keys := 0
	for k := range m {
		if k != "$or" {
			keys++
		}
	}
	if keys > maxFilterKeys {
		return nil, policyErr("Filter policy can not have more than 5 keys")
	}
	if combinations(m, 1) > maxFilterCombinations {
		return nil, policyErr("Filter policy is too complex")
	}
	return m, nil
}

// checkFilterScope refuses nested keys for attribute-scoped policies:
// message attributes are flat.
func checkFilterScope(f filterPolicy, scope string) error {
	if scope == "MessageBody" {
		return nil
	}
	if nested(f) {
		return &filterError{msg: "Filter policy scope MessageAttributes does not support nested filter policy", bare: true}
	}
	return nil
}

func nested(m map[string]any) bool {
	for k, v := range m {
		switch x := v.(type) {
		case map[string]any:
			return true
		case []any:
			if k == "$or" {
				for _, a := range x {
					if sub, ok := a.(map[string]any); ok && nested(sub) {
						return true
					}
				}
			}
		}
	}
	return false
}

// SNS's documented filter policy constraints: at most five attribute
// names at the top, and at most 150 combinations of values.
const (
	maxFilterKeys         = 5
	maxFilterCombinations = 150
)

// combinations counts a policy's combinations as SNS documents it: the
// product, over every array of values, of its length times the depth of
// its key (1 at the top); the alternatives of "$or" add up. The count
// saturates just past the limit so that it cannot overflow.
func combinations(m map[string]any, depth int) int {
	n := 1
	for k, v := range m {
		switch x := v.(type) {
		case []any:
			if k == "$or" {
				sum := 0
				for _, a := range x {
					if sub, ok := a.(map[string]any); ok {
						sum = min(sum+combinations(sub, depth), maxFilterCombinations+1)
					}
				}
				n = min(n*max(sum, 1), maxFilterCombinations+1)
				continue
			}
			n = min(n*len(x)*depth, maxFilterCombinations+1)
		case map[string]any:
			n = min(n*combinations(x, depth+1), maxFilterCombinations+1)
		}
	}
	return n
}

func checkPolicy(m map[string]any, depth int) error {
	if depth > 5 {
		return policyErr("Filter policy is too complex")
	}
	for k, v := range m {
		switch x := v.(type) {
		case []any:
			if len(x) == 0 {
				return policyErr("Empty arrays are not allowed")
			}
			if k == "$or" {
				for _, a := range x {
					sub, ok := a.(map[string]any)
					if !ok {
						return policyErr("Match value must be String, number, true, false, or null")
					}
					if err := checkPolicy(sub, depth+1); err != nil {
						return err
					}
				}
				continue
			}
			for _, r := range x {
				if err := checkRule(r); err != nil {
					return err
				}
			}
		case map[string]any:
			if err := checkPolicy(x, depth+1); err != nil {
				return err
			}
		default:
			return policyErr("%q must be an object or an array", k)
		}
	}
	return nil
}

// checkRule validates one condition of a key's list with SNS's messages.
func checkRule(r any) error {
	switch x := r.(type) {
	case nil, string, bool:
		return nil
	case json.Number:
		if _, err := x.Float64(); err != nil {
			return policyErr("Match value must be String, number, true, false, or null")
		}
		return nil
	case map[string]any:
		if len(x) != 1 {
			return policyErr("Only one key allowed in match expression")
		}
		for op, v := range x {
			switch op {
			case "prefix", "suffix", "equals-ignore-case":
				if _, ok := v.(string); !ok {
					return policyErr("%s match pattern must be a string", op)
				}
			case "exists":
				if _, ok := v.(bool); !ok {
					return policyErr("exists match pattern must be either true or false.")
				}
			case "anything-but":
				return checkAnythingBut(v)
			case "numeric":
				return checkNumeric(v)
			case "cidr":
				return checkCIDR(v)
			default:
				return policyErr("Unrecognized match type %s", op)
			}
		}
		return nil
	}
	return policyErr("Match value must be String, number, true, false, or null")
}

func checkAnythingBut(v any) error {
	switch a := v.(type) {
	case []any:
		for _, e := range a {
			switch e.(type) {
			case string, json.Number:
			default:
				return policyErr("Match value must be String, number, true, false, or null")
			}
		}
		return nil
	case map[string]any:
		if len(a) != 1 {
			return policyErr("Only one key allowed in match expression")
		}
		for op, arg := range a {
			switch op {
			case "prefix", "suffix", "equals-ignore-case":
				if _, ok := arg.(string); !ok {
					return policyErr("%s match pattern must be a string", op)
				}
			default:
				return policyErr("Unsupported anything-but pattern: %s", op)
			}
		}
		return nil
	case string, json.Number:
		return nil
	}
	return policyErr("Value of anything-but must be an array or single string/number value.")
}

func isNumericOp(op string) bool {
	switch op {
	case "<", "<=", "=", ">", ">=":
		return true
	}
	return false
}

// checkNumeric validates ["op", n] or [">"|">=", lo, "<"|"<=", hi].
func checkNumeric(v any) error {
	ops, ok := v.([]any)
	if !ok {
		return policyErr("Value of numeric must be an array.")
	}
	if len(ops) == 0 {
		return policyErr("Invalid member in numeric match: ]")
	}
	op, ok := ops[0].(string)
	if !ok {
		return policyErr("Invalid member in numeric match: %v", ops[0])
	}
	if !isNumericOp(op) {
		return policyErr("Unrecognized numeric range operator: %s", op)
	}
	valueOf := func(op string, i int) (float64, error) {
		name := op
		if op == "=" {
			name = "equals"
		}
		if i >= len(ops) {
			return 0, policyErr("Value of %s must be numeric", name)
		}
		n, isNum := ops[i].(json.Number)
		f, err := n.Float64()
		if !isNum || err != nil {
			return 0, policyErr("Value of %s must be numeric", name)
		}
		return f, nil
	}
	lo, err := valueOf(op, 1)
	if err != nil {
		return err
	}
	if len(ops) == 2 {
		return nil
	}
	if op != ">" && op != ">=" {
		return policyErr("Too many elements in numeric expression")
	}
	op2, ok := ops[2].(string)
	if !ok {
		return policyErr("Bad value in numeric range: %v", ops[2])
	}
	if op2 != "<" && op2 != "<=" {
		return policyErr("Bad numeric range operator: %s", op2)
	}
	hi, err := valueOf(op2, 3)
	if err != nil {
		return err
	}
	if hi <= lo {
		return policyErr("Bottom must be less than top")
	}
	if len(ops) > 4 {
		return policyErr("Too many terms in numeric range expression")
	}
	return nil
}

func checkCIDR(v any) error {
	s, ok := v.(string)
	if !ok {
		// SNS answers a non-string cidr with the prefix message.
		return policyErr("prefix match pattern must be a string")
	}
	addr, bits, found := strings.Cut(s, "/")
	if !found || strings.Contains(bits, "/") {
		return policyErr("Malformed CIDR, one '/' required")
	}
	for _, c := range bits {
		if c < '0' || c > '9' {
			return policyErr("Malformed CIDR, mask bits must be an integer")
		}
	}
	if bits == "" {
		return policyErr("Malformed CIDR, mask bits must be an integer")
	}
	if _, err := netip.ParsePrefix(s); err != nil {
		return policyErr("Nonstandard IP address: %s", addr)
	}
	return nil
}

// matches evaluates the policy against a publication's attributes or
// (body scope) its JSON message. All keys must match (AND); any
// condition of a key may match (OR); "$or" combines sub-policies.
func (f filterPolicy) matches(body bool, p *publication) bool {
	if body {
		var doc map[string]any
		d := json.NewDecoder(strings.NewReader(p.message))
		d.UseNumber()
		if d.Decode(&doc) != nil {
			return false
		}
		return matchObject(f, doc)
	}
	doc := attrDoc(p)
	if len(p.attrs) == 0 && usesExistsFalse(f) {
		// SNS documents that "exists": false matches only when the
		// message has at least one attribute.
		return false
	}
	return matchObject(f, doc)
}

// usesExistsFalse reports whether the policy has an "exists": false.
func usesExistsFalse(m map[string]any) bool {
	for _, v := range m {
		switch x := v.(type) {
		case map[string]any:
			if usesExistsFalse(x) {
				return true
			}
		case []any:
			for _, c := range x {
				cm, ok := c.(map[string]any)
				if !ok {
					continue
				}
				if ex, ok := cm["exists"].(bool); ok && !ex {
					return true
				}
				if usesExistsFalse(cm) {
					return true
				}
			}
		}
	}
	return false
}

// attrDoc is the document attribute policies are matched against: String
// attributes as strings, Number ones as numbers, String.Array and
// Number.Array ones as the arrays their value holds (matched element by
// element). Binary attributes are never compared, as SNS documents.
func attrDoc(p *publication) map[string]any {
	doc := map[string]any{}
	for k, v := range p.attrs {
		dt := ""
		if v.DataType != nil {
			dt = *v.DataType
		}
		base, custom, _ := strings.Cut(dt, ".")
		switch {
		case base == "Binary":
		case custom == "Array" || strings.HasPrefix(custom, "Array."):
			var arr []any
			d := json.NewDecoder(strings.NewReader(ptr.Deref(v.StringValue)))
			d.UseNumber()
			if d.Decode(&arr) == nil {
				doc[k] = arr
			}
		case base == "Number":
			doc[k] = json.Number(strings.TrimSpace(ptr.Deref(v.StringValue)))
		default:
			doc[k] = ptr.Deref(v.StringValue)
		}
	}
	return doc
}

func matchObject(policy map[string]any, doc map[string]any) bool {
	for k, cond := range policy {
		if k == "$or" {
			alts, _ := cond.([]any)
			ok := false
			for _, a := range alts {
				if sub, isMap := a.(map[string]any); isMap && matchObject(sub, doc) {
					ok = true
					break
				}
			}
			if !ok {
				return false
			}
			continue
		}
		v, present := doc[k]
		switch c := cond.(type) {
		case map[string]any:
			if !matchNested(c, v) {
				return false
			}
		case []any:
			if !matchKey(c, v, present) {
				return false
			}
		}
	}
	return true
}

// matchNested matches a nested policy against an object, or against any
// object of an array of objects.
func matchNested(policy map[string]any, v any) bool {
	switch x := v.(type) {
	case map[string]any:
		return matchObject(policy, x)
	case []any:
		for _, e := range x {
			if matchNested(policy, e) {
				return true
			}
		}
	}
	return false
}

func matchKey(conds []any, v any, present bool) bool {
	if _, isObject := v.(map[string]any); isObject {
		// Conditions, exists included, apply to leaves only: a key whose
		// value is an object matches as if absent (SNS documents exists
		// as not working on intermediate nodes).
		present, v = false, nil
	}
	values := []any{v}
	if arr, ok := v.([]any); ok {
		values = arr
	}
	// For exists, SNS wants a non-null, non-empty value.
	exists := present && v != nil && v != "" && !(len(values) == 0)
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok {
			if ex, ok := m["exists"].(bool); ok {
				if ex == exists {
					return true
				}
				continue
			}
		}
		if !present {
			continue
		}
		for _, val := range values {
			if matchCond(c, val) {
				return true
			}
		}
	}
	return false
}

func matchCond(c any, v any) bool {
	switch x := c.(type) {
	case string:
		s, ok := v.(string)
		return ok && s == x
	case json.Number:
		return numEq(x, v)
	case bool:
		b, ok := v.(bool)
		return ok && b == x
	case nil:
		return v == nil
	case map[string]any:
		for op, arg := range x {
			switch op {
			case "prefix":
				s, ok := v.(string)
				p, _ := arg.(string)
				return ok && strings.HasPrefix(s, p)
			case "suffix":
				s, ok := v.(string)
				p, _ := arg.(string)
				return ok && strings.HasSuffix(s, p)
			case "equals-ignore-case":
				s, ok := v.(string)
				p, _ := arg.(string)
				return ok && strings.EqualFold(s, p)
			case "anything-but":
				switch a := arg.(type) {
				case []any:
					for _, e := range a {
						if matchCond(e, v) {
							return false
						}
					}
					return true
				case map[string]any:
					// anything-but prefix/suffix/equals-ignore-case apply
					// to strings only.
					if _, ok := v.(string); !ok {
						return false
					}
					return !matchCond(a, v)
				default:
					return !matchCond(a, v)
				}
			case "numeric":
				return matchNumeric(arg, v)
			case "cidr":
				return matchCIDR(arg, v)
			}
		}
	}
	return false
}

// fixedPoint is a number as SNS compares it: within -1e9..1e9, to five
// decimal places. Numbers outside the range never match numerically.
func fixedPoint(v any) (int64, bool) {
	var f float64
	switch n := v.(type) {
	case json.Number:
		var err error
		if f, err = n.Float64(); err != nil {
			return 0, false
		}
	case float64:
		f = n
	default:
		return 0, false
	}
	if math.IsNaN(f) || f < -1e9 || f > 1e9 {
		return 0, false
	}
	return int64(math.Round(f * 1e5)), true
}

func numEq(c json.Number, v any) bool {
	a, ok1 := fixedPoint(c)
	b, ok2 := fixedPoint(v)
	return ok1 && ok2 && a == b
}

func matchNumeric(arg any, v any) bool {
	ops, ok := arg.([]any)
	val, isNum := fixedPoint(v)
	if !ok || !isNum {
		return false
	}
	for i := 0; i+1 < len(ops); i += 2 {
		op, _ := ops[i].(string)
		n, ok := fixedPoint(ops[i+1])
		if !ok {
			// A bound beyond SNS's range: every number in range is on
			// the side of it its sign says. (A policy stored before
			// policies were validated may hold anything: no match.)
			num, isNum := ops[i+1].(json.Number)
			f, err := num.Float64()
			if !isNum || err != nil || math.IsNaN(f) {
				return false
			}
			n = int64(math.Copysign(1e9*1e5+1, f))
		}
		var r bool
		switch op {
		case "=":
			r = val == n
		case "<":
			r = val < n
		case "<=":
			r = val <= n
		case ">":
			r = val > n
		case ">=":
			r = val >= n
		}
		if !r {
			return false
		}
	}
	return true
}

func matchCIDR(arg any, v any) bool {
	s, ok := v.(string)
	c, _ := arg.(string)
	if !ok {
		return false
	}
	prefix, err := netip.ParsePrefix(c)
	if err != nil {
		return false
	}
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return false
	}
	return prefix.Masked().Contains(addr.Unmap())
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func sprintf(format string, a ...any) string { return fmt.Sprintf(format, a...) }
