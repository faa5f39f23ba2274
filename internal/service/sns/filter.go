package sns

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// filterPolicy is a parsed subscription filter policy: keys to lists of
// conditions (exact strings and numbers, prefix, suffix, anything-but,
// numeric ranges, exists, equals-ignore-case) or, for MessageBody scope,
// nested policies.
type filterPolicy map[string]any

func parseFilterPolicy(doc string) (filterPolicy, error) {
	var m map[string]any
	d := json.NewDecoder(strings.NewReader(doc))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return nil, errors.New("failed to parse JSON")
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
		return nil, errors.New("Filter policy can not have more than 5 keys")
	}
	if combinations(m, 1) > maxFilterCombinations {
		return nil, errors.New("Filter policy is too complex")
	}
	return m, nil
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
		return errors.New("filter policy is too deeply nested")
	}
	for k, v := range m {
		switch x := v.(type) {
		case []any:
			if len(x) == 0 {
				return fmt.Errorf("empty array for key %s", k)
			}
		case map[string]any:
			if err := checkPolicy(x, depth+1); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%s must be an object or an array", k)
		}
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
	doc := map[string]any{}
	for k, v := range p.attrs {
		dt := ""
		if v.DataType != nil {
			dt = *v.DataType
		}
		switch {
		case strings.HasPrefix(dt, "String.Array"):
			var arr []any
			d := json.NewDecoder(strings.NewReader(ptr.Deref(v.StringValue)))
			d.UseNumber()
			if d.Decode(&arr) == nil {
				doc[k] = arr
			}
		case strings.HasPrefix(dt, "Number"):
			doc[k] = json.Number(ptr.Deref(v.StringValue))
		case strings.HasPrefix(dt, "Binary"):
			// Binary attributes never match.
		default:
			doc[k] = ptr.Deref(v.StringValue)
		}
	}
	return matchObject(f, doc)
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
			sub, isMap := v.(map[string]any)
			if !isMap || !matchObject(c, sub) {
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

func matchKey(conds []any, v any, present bool) bool {
	values := []any{v}
	if arr, ok := v.([]any); ok {
		values = arr
	}
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok {
			if ex, ok := m["exists"].(bool); ok {
				if ex == present {
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
					return !matchCond(a, v)
				default:
					return !matchCond(a, v)
				}
			case "numeric":
				return matchNumeric(arg, v)
			}
		}
	}
	return false
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	}
	return 0, false
}

func numEq(c json.Number, v any) bool {
	a, ok1 := toFloat(c)
	b, ok2 := toFloat(v)
	return ok1 && ok2 && a == b
}

func matchNumeric(arg any, v any) bool {
	ops, ok := arg.([]any)
	val, isNum := toFloat(v)
	if !ok || !isNum {
		return false
	}
	for i := 0; i+1 < len(ops); i += 2 {
		op, _ := ops[i].(string)
		n, ok := toFloat(ops[i+1])
		if !ok {
			return false
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

func asAWS(err error) *awserr.Error { return awserr.As(err) }

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

var _ = strconv.Itoa
