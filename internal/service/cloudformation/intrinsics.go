package cloudformation

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net"
	"sort"
	"strconv"
	"strings"
)

// noValue is what AWS::NoValue resolves to: the property holding it is
// removed.
type noValue struct{}

// resolvedResource is what Ref and Fn::GetAtt read of a created
// resource.
type resolvedResource struct {
	Ref   string
	Attrs map[string]any
}

// evaluator resolves intrinsic functions against one stack.
type evaluator struct {
	t          *template
	params     map[string]any // string, or []any for List<> types
	account    string
	region     string
	stackName  string
	stackID    string
	notifARNs  []string
	resources  map[string]resolvedResource
	conditions map[string]bool
	// evaluating guards against a condition that names itself.
	evaluating map[string]bool
	// importValue reads another stack's export.
	importValue func(name string) (string, bool)
}

func (e *evaluator) partition() string {
	if strings.HasPrefix(e.region, "cn-") {
		return "aws-cn"
	}
	if strings.HasPrefix(e.region, "us-gov-") {
		return "aws-us-gov"
	}
	return "aws"
}

func (e *evaluator) urlSuffix() string {
	if strings.HasPrefix(e.region, "cn-") {
		return "amazonaws.com.cn"
	}
	return "amazonaws.com"
}

// pseudo returns a pseudo parameter's value.
func (e *evaluator) pseudo(name string) (any, bool) {
	switch name {
	case "AWS::AccountId":
		return e.account, true
	case "AWS::Region":
		return e.region, true
	case "AWS::StackName":
		return e.stackName, true
	case "AWS::StackId":
		return e.stackID, true
	case "AWS::Partition":
		return e.partition(), true
	case "AWS::URLSuffix":
		return e.urlSuffix(), true
	case "AWS::NoValue":
		return noValue{}, true
	case "AWS::NotificationARNs":
		l := make([]any, 0, len(e.notifARNs))
		for _, a := range e.notifARNs {
			l = append(l, a)
		}
		return l, true
	}
	return nil, false
}

// condition evaluates a named condition.
func (e *evaluator) condition(name string) (bool, error) {
	if v, ok := e.conditions[name]; ok {
		return v, nil
	}
	def, ok := e.t.Conditions[name]
	if !ok {
		return false, templateError("Unresolved dependencies [%s]. Cannot reference resources in the Conditions block of the template", name)
	}
	if e.evaluating == nil {
		e.evaluating = map[string]bool{}
	}
	if e.evaluating[name] {
		return false, templateError("Circular dependency between conditions: [%s]", name)
	}
	e.evaluating[name] = true
	defer delete(e.evaluating, name)
	v, err := e.resolve(def, 0)
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, templateError("Conditions can only be boolean operations on parameters and other conditions")
	}
	if e.conditions == nil {
		e.conditions = map[string]bool{}
	}
	e.conditions[name] = b
	return b, nil
}

// resolveValue resolves v and drops AWS::NoValue.
func (e *evaluator) resolveValue(v any) (any, error) {
	r, err := e.resolve(v, 0)
	if err != nil {
		return nil, err
	}
	return stripNoValue(r), nil
}

func stripNoValue(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if _, ok := e.(noValue); ok {
				continue
			}
			out[k] = stripNoValue(e)
		}
		return out
	case []any:
		out := make([]any, 0, len(x))
		for _, e := range x {
			if _, ok := e.(noValue); ok {
				continue
			}
			out = append(out, stripNoValue(e))
		}
		return out
	case noValue:
		return nil
	}
	return v
}

func (e *evaluator) resolve(v any, depth int) (any, error) {
	if depth > maxDepth {
		return nil, templateError("the template nests functions too deeply")
	}
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, arg := range x {
				if k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::") {
					return e.function(k, arg, depth+1)
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, el := range x {
			r, err := e.resolve(el, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, 0, len(x))
		for _, el := range x {
			r, err := e.resolve(el, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, r)
		}
		return out, nil
	}
	return v, nil
}

func (e *evaluator) str(v any, depth int, fn string) (string, error) {
	r, err := e.resolve(v, depth)
	if err != nil {
		return "", err
	}
	s, ok := scalarString(r)
	if !ok {
		return "", templateError("Template error: every %s object requires string parameters", fn)
	}
	return s, nil
}

func (e *evaluator) list(v any, depth int, fn string) ([]any, error) {
	r, err := e.resolve(v, depth)
	if err != nil {
		return nil, err
	}
	l, ok := r.([]any)
	if !ok {
		return nil, templateError("Template error: %s requires a list", fn)
	}
	return l, nil
}

func (e *evaluator) ref(name string) (any, error) {
	if v, ok := e.pseudo(name); ok {
		return v, nil
	}
	if v, ok := e.params[name]; ok {
		return v, nil
	}
	if r, ok := e.resources[name]; ok {
		return r.Ref, nil
	}
	if _, ok := e.t.Resources[name]; ok {
		return nil, templateError("Template error: resource %s has not been created", name)
	}
	return nil, templateError("Unresolved resource dependencies [%s] in the Resources block of the template", name)
}

func (e *evaluator) getAtt(name, attr string) (any, error) {
	r, ok := e.resources[name]
	if !ok {
		if _, ok := e.t.Resources[name]; !ok {
			return nil, templateError("Template error: instance of Fn::GetAtt references undefined resource %s", name)
		}
		return nil, templateError("Template error: resource %s has not been created", name)
	}
	if v, ok := r.Attrs[attr]; ok {
		return v, nil
	}
	return nil, templateError("Template error: resource %s does not support attribute type %s in Fn::GetAtt", name, attr)
}

func (e *evaluator) function(fn string, arg any, depth int) (any, error) {
	switch fn {
	case "Ref":
		name, ok := arg.(string)
		if !ok {
			return nil, templateError("Template error: Ref requires a string")
		}
		return e.ref(name)
	case "Condition":
		name, ok := arg.(string)
		if !ok {
			return nil, templateError("Template error: Condition requires a string")
		}
		return e.condition(name)
	case "Fn::GetAtt":
		var name, attr string
		switch a := arg.(type) {
		case []any:
			if len(a) != 2 {
				return nil, templateError("Template error: every Fn::GetAtt object requires two non-empty parameters")
			}
			name, _ = a[0].(string)
			r, err := e.resolve(a[1], depth)
			if err != nil {
				return nil, err
			}
			attr, _ = r.(string)
		case string:
			if i := strings.Index(a, "."); i > 0 {
				name, attr = a[:i], a[i+1:]
			}
		}
		if name == "" || attr == "" {
			return nil, templateError("Template error: every Fn::GetAtt object requires two non-empty parameters")
		}
		return e.getAtt(name, attr)
	case "Fn::Join":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, templateError("Template error: every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of strings to be joined or a function that returns a list of strings (such as Fn::GetAZs) to be joined.")
		}
		sep, ok := a[0].(string)
		if !ok {
			return nil, templateError("Template error: every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of strings to be joined or a function that returns a list of strings (such as Fn::GetAZs) to be joined.")
		}
		l, err := e.list(a[1], depth, "Fn::Join")
		if err != nil {
			return nil, err
		}
		parts := make([]string, 0, len(l))
		for _, x := range l {
			if _, ok := x.(noValue); ok {
				continue
			}
			s, ok := scalarString(x)
			if !ok {
				return nil, templateError("Template error: every Fn::Join object requires two parameters, (1) a string delimiter and (2) a list of strings to be joined or a function that returns a list of strings (such as Fn::GetAZs) to be joined.")
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, sep), nil
	case "Fn::Select":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, templateError("Template error: Fn::Select requires a list argument with two elements: an integer index and a list")
		}
		is, err := e.str(a[0], depth, "Fn::Select")
		if err != nil {
			return nil, err
		}
		i, err := strconv.Atoi(is)
		if err != nil {
			return nil, templateError("Template error: Fn::Select requires a list argument with two elements: an integer index and a list")
		}
		l, err := e.list(a[1], depth, "Fn::Select")
		if err != nil {
			return nil, err
		}
		if i < 0 || i >= len(l) {
			return nil, templateError("Template error: Fn::Select cannot select nonexistent value at index %d", i)
		}
		return l[i], nil
	case "Fn::Split":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, templateError("Template error: every Fn::Split object requires two parameters, (1) a string delimiter and (2) a string to be split or a function that returns a string to be split.")
		}
		sep, ok := a[0].(string)
		if !ok || sep == "" {
			return nil, templateError("Template error: every Fn::Split object requires two parameters, (1) a string delimiter and (2) a string to be split or a function that returns a string to be split.")
		}
		s, err := e.str(a[1], depth, "Fn::Split")
		if err != nil {
			return nil, err
		}
		var out []any
		for _, p := range strings.Split(s, sep) {
			out = append(out, p)
		}
		return out, nil
	case "Fn::Sub":
		return e.sub(arg, depth)
	case "Fn::If":
		a, ok := arg.([]any)
		if !ok || len(a) != 3 {
			return nil, templateError("Template error: Fn::If requires a list argument with three elements")
		}
		name, ok := a[0].(string)
		if !ok {
			return nil, templateError("Template error: Fn::If requires a list argument with three elements")
		}
		c, err := e.condition(name)
		if err != nil {
			return nil, err
		}
		if c {
			return e.resolve(a[1], depth)
		}
		return e.resolve(a[2], depth)
	case "Fn::Equals":
		a, ok := arg.([]any)
		if !ok || len(a) != 2 {
			return nil, templateError("Template error: Fn::Equals requires a list argument with two elements")
		}
		x, err := e.resolve(a[0], depth)
		if err != nil {
			return nil, err
		}
		y, err := e.resolve(a[1], depth)
		if err != nil {
			return nil, err
		}
		xs, xok := scalarString(x)
		ys, yok := scalarString(y)
		if xok && yok {
			return xs == ys, nil
		}
		xj, _ := json.Marshal(x)
		yj, _ := json.Marshal(y)
		return string(xj) == string(yj), nil
	case "Fn::And", "Fn::Or":
		a, ok := arg.([]any)
		if !ok || len(a) < 2 || len(a) > 10 {
			return nil, templateError("Template error: %s requires a list argument with between 2 and 10 elements", fn)
		}
		res := fn == "Fn::And"
		for _, x := range a {
			b, err := e.boolean(x, depth, fn)
			if err != nil {
				return nil, err
			}
			if fn == "Fn::And" {
				res = res && b
			} else {
				res = res || b
			}
		}
		return res, nil
	case "Fn::Not":
		a, ok := arg.([]any)
		if !ok || len(a) != 1 {
			return nil, templateError("Template error: Fn::Not requires a list argument with one element")
		}
		b, err := e.boolean(a[0], depth, fn)
		if err != nil {
			return nil, err
		}
		return !b, nil
	case "Fn::FindInMap":
		a, ok := arg.([]any)
		if !ok || len(a) < 3 {
			return nil, templateError("Template error: every Fn::FindInMap object requires three parameters, the map name, map key and the attribute for return value")
		}
		var keys [3]string
		for i := 0; i < 3; i++ {
			s, err := e.str(a[i], depth, "Fn::FindInMap")
			if err != nil {
				return nil, err
			}
			keys[i] = s
		}
		m, _ := e.t.Mappings[keys[0]].(map[string]any)
		if m == nil {
			return nil, templateError("Template error: Unable to get mapping for %s::%s::%s", keys[0], keys[1], keys[2])
		}
		k2, _ := m[keys[1]].(map[string]any)
		v, ok := k2[keys[2]]
		if !ok {
			if len(a) == 4 {
				if dm, ok := a[3].(map[string]any); ok {
					return e.resolve(dm["DefaultValue"], depth)
				}
			}
			return nil, templateError("Template error: Unable to get mapping for %s::%s::%s", keys[0], keys[1], keys[2])
		}
		return v, nil
	case "Fn::GetAZs":
		r, err := e.resolve(arg, depth)
		if err != nil {
			return nil, err
		}
		region, _ := r.(string)
		if region == "" {
			region = e.region
		}
		return []any{region + "a", region + "b", region + "c"}, nil
	case "Fn::Base64":
		s, err := e.str(arg, depth, "Fn::Base64")
		if err != nil {
			return nil, err
		}
		return base64.StdEncoding.EncodeToString([]byte(s)), nil
	case "Fn::Cidr":
		return e.cidr(arg, depth)
	case "Fn::ImportValue":
		s, err := e.str(arg, depth, "Fn::ImportValue")
		if err != nil {
			return nil, err
		}
		if e.importValue == nil {
			return nil, validation("No export named %s found", s)
		}
		v, ok := e.importValue(s)
		if !ok {
			return nil, validation("No export named %s found", s)
		}
		return v, nil
	case "Fn::Length":
		l, err := e.list(arg, depth, "Fn::Length")
		if err != nil {
			return nil, err
		}
		return float64(len(l)), nil
	case "Fn::ToJsonString":
		r, err := e.resolveValue(arg)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(r)
		if err != nil {
			return nil, templateError("Template error: Fn::ToJsonString cannot serialize its argument")
		}
		return string(b), nil
	}
	return nil, templateError("Unrecognized function %s", fn)
}

func (e *evaluator) boolean(v any, depth int, fn string) (bool, error) {
	r, err := e.resolve(v, depth)
	if err != nil {
		return false, err
	}
	b, ok := r.(bool)
	if !ok {
		if s, ok := r.(string); ok && (s == "true" || s == "false") {
			return s == "true", nil
		}
		return false, templateError("Template error: %s requires boolean elements", fn)
	}
	return b, nil
}

// sub resolves Fn::Sub in both forms: a string, or [string, {vars}].
func (e *evaluator) sub(arg any, depth int) (any, error) {
	var s string
	vars := map[string]any{}
	switch a := arg.(type) {
	case string:
		s = a
	case []any:
		if len(a) != 2 {
			return nil, templateError("Template error: One or more Fn::Sub intrinsic functions don't specify expected arguments. Specify a string as first argument, and an optional second argument to specify a mapping of values to replace in the string")
		}
		var ok bool
		s, ok = a[0].(string)
		m, mok := a[1].(map[string]any)
		if !ok || !mok {
			return nil, templateError("Template error: One or more Fn::Sub intrinsic functions don't specify expected arguments. Specify a string as first argument, and an optional second argument to specify a mapping of values to replace in the string")
		}
		for k, v := range m {
			r, err := e.resolve(v, depth)
			if err != nil {
				return nil, err
			}
			vars[k] = r
		}
	default:
		return nil, templateError("Template error: One or more Fn::Sub intrinsic functions don't specify expected arguments. Specify a string as first argument, and an optional second argument to specify a mapping of values to replace in the string")
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		j := strings.Index(s[i:], "}")
		if j < 0 {
			b.WriteString(s[i:])
			break
		}
		name := strings.TrimSpace(s[i+2 : i+j])
		s = s[i+j+1:]
		if strings.HasPrefix(name, "!") {
			b.WriteString("${" + name[1:] + "}")
			continue
		}
		var v any
		var err error
		if x, ok := vars[name]; ok {
			v = x
		} else if k := strings.Index(name, "."); k > 0 && !strings.HasPrefix(name, "AWS::") {
			v, err = e.getAtt(name[:k], name[k+1:])
		} else {
			v, err = e.ref(name)
		}
		if err != nil {
			return nil, err
		}
		str, ok := scalarString(v)
		if !ok {
			if l, isList := v.([]any); isList {
				parts := make([]string, 0, len(l))
				for _, x := range l {
					p, _ := scalarString(x)
					parts = append(parts, p)
				}
				str = strings.Join(parts, ",")
			} else {
				return nil, templateError("Template error: variable %s in Fn::Sub expression does not resolve to a string", name)
			}
		}
		b.WriteString(str)
	}
	return b.String(), nil
}

// cidr implements Fn::Cidr [ipBlock, count, cidrBits].
func (e *evaluator) cidr(arg any, depth int) (any, error) {
	a, ok := arg.([]any)
	if !ok || len(a) != 3 {
		return nil, templateError("Template error: Fn::Cidr requires a list argument with three elements")
	}
	block, err := e.str(a[0], depth, "Fn::Cidr")
	if err != nil {
		return nil, err
	}
	cs, err := e.str(a[1], depth, "Fn::Cidr")
	if err != nil {
		return nil, err
	}
	bs, err := e.str(a[2], depth, "Fn::Cidr")
	if err != nil {
		return nil, err
	}
	count, err1 := strconv.Atoi(cs)
	bits, err2 := strconv.Atoi(bs)
	_, ipnet, err3 := net.ParseCIDR(block)
	if err1 != nil || err2 != nil || err3 != nil || count < 1 || count > 256 {
		return nil, templateError("Template error: Fn::Cidr requires an IP block, a count between 1 and 256 and a number of subnet bits")
	}
	ones, total := ipnet.Mask.Size()
	prefix := total - bits
	if bits < 1 || prefix < ones {
		return nil, templateError("Template error: Fn::Cidr cannot carve /%d subnets out of %s", prefix, block)
	}
	if prefix-ones < 31 && count > 1<<(prefix-ones) {
		return nil, templateError("Template error: Fn::Cidr cannot carve %d /%d subnets out of %s", count, prefix, block)
	}
	base := new(big.Int).SetBytes(ipnet.IP)
	step := new(big.Int).Lsh(big.NewInt(1), uint(bits))
	out := make([]any, 0, count)
	size := len(ipnet.IP)
	for i := 0; i < count; i++ {
		n := new(big.Int).Add(base, new(big.Int).Mul(step, big.NewInt(int64(i))))
		buf := n.FillBytes(make([]byte, size))
		out = append(out, fmt.Sprintf("%s/%d", net.IP(buf).String(), prefix))
	}
	return out, nil
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
