package cloudformation

import (
	"encoding/json"
	"strings"

	cfnapi "github.com/niwa-cloud/niwa/internal/api/cloudformation"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Transforms run over the parsed document before its structure is
// checked, as CloudFormation processes a template's Transform section
// before anything else: AWS::LanguageExtensions (Fn::ForEach,
// intrinsic functions in DeletionPolicy/UpdateReplacePolicy; Fn::Length
// and Fn::ToJsonString are resolved with the other intrinsics) and
// AWS::Serverless-2016-10-31 (sam.go). The processed document is what
// GetTemplate --template-stage Processed answers.

const (
	transformLanguageExtensions = "AWS::LanguageExtensions"
	transformServerless         = "AWS::Serverless-2016-10-31"
)

// transformEnv is what transforms may read of the stack: its parameter
// values (absent ones take their defaults) and where it runs.
type transformEnv struct {
	values                     map[string]string
	account, region, stackName string
}

func (e transformEnv) orDefaults() transformEnv {
	if e.region == "" {
		e.region = "us-east-1"
	}
	if e.account == "" {
		e.account = "000000000000"
	}
	if e.stackName == "" {
		e.stackName = "stack"
	}
	return e
}

// applyTransforms runs transforms, in the order the template lists them,
// over doc and returns the processed document (without its Transform
// section).
func applyTransforms(doc map[string]any, transforms []string, env transformEnv) (map[string]any, error) {
	env = env.orDefaults()
	out := make(map[string]any, len(doc))
	for k, v := range doc {
		if k != "Transform" {
			out[k] = v
		}
	}
	for _, tr := range transforms {
		var err error
		switch tr {
		case transformLanguageExtensions:
			out, err = languageExtensions(out, env)
		case transformServerless:
			out, err = serverless(out, env)
		default:
			err = validation("The transform %s is not supported by niwa (it runs %s and %s; macros and AWS::Include are not implemented)",
				tr, transformLanguageExtensions, transformServerless)
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// processedTemplate is the JSON of a template's processed form.
func processedTemplate(body string, env transformEnv) (string, error) {
	doc, err := parseDocument(body)
	if err != nil {
		return "", err
	}
	transforms, err := transformList(doc)
	if err != nil {
		return "", err
	}
	if len(transforms) == 0 {
		return body, nil
	}
	if doc, err = applyTransforms(doc, transforms, env); err != nil {
		return "", err
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// languageExtensions expands Fn::ForEach loops and resolves the
// intrinsic functions of DeletionPolicy and UpdateReplacePolicy.
func languageExtensions(doc map[string]any, env transformEnv) (map[string]any, error) {
	ev := transformEvaluator(doc, env)
	budget := maxNodes
	x, err := expandForEach(doc, ev, &budget, 0)
	if err != nil {
		return nil, err
	}
	doc, _ = x.(map[string]any)
	resources, _ := doc["Resources"].(map[string]any)
	for name, r := range resources {
		m, ok := r.(map[string]any)
		if !ok {
			continue
		}
		for _, k := range []string{"DeletionPolicy", "UpdateReplacePolicy"} {
			v, ok := m[k]
			if !ok {
				continue
			}
			if _, isStr := v.(string); isStr {
				continue
			}
			got, err := ev.resolveValue(v)
			if err != nil {
				return nil, err
			}
			s, ok := got.(string)
			if !ok {
				return nil, templateError("[/Resources/%s/%s] %s must resolve to a string", name, k, k)
			}
			m[k] = s
		}
	}
	return doc, nil
}

// transformEvaluator resolves intrinsic functions a transform may use
// (Ref to parameters and pseudo parameters, Fn::FindInMap, Fn::If with
// the template's conditions, Fn::Split, ...) before any resource exists.
func transformEvaluator(doc map[string]any, env transformEnv) *evaluator {
	t := &template{Parameters: map[string]map[string]any{}, Resources: map[string]*resourceDef{}}
	t.Mappings, _ = doc["Mappings"].(map[string]any)
	t.Conditions, _ = doc["Conditions"].(map[string]any)
	params := map[string]any{}
	if pm, ok := doc["Parameters"].(map[string]any); ok {
		for name, p := range pm {
			def, ok := p.(map[string]any)
			if !ok {
				continue
			}
			t.Parameters[name] = def
			v, given := env.values[name]
			if !given {
				if d, ok := scalarString(def["Default"]); ok {
					v = d
				} else if l, ok := def["Default"].([]any); ok {
					parts := make([]string, 0, len(l))
					for _, x := range l {
						s, _ := scalarString(x)
						parts = append(parts, s)
					}
					v = strings.Join(parts, ",")
				}
			}
			typ, _ := def["Type"].(string)
			if typ == "CommaDelimitedList" || strings.HasPrefix(typ, "List<") {
				var l []any
				if v != "" {
					for _, part := range strings.Split(v, ",") {
						l = append(l, strings.TrimSpace(part))
					}
				}
				params[name] = l
			} else {
				params[name] = v
			}
		}
	}
	return &evaluator{t: t, params: params, account: env.account, region: env.region, stackName: env.stackName,
		stackID:   "arn:aws:cloudformation:" + env.region + ":" + env.account + ":stack/" + env.stackName + "/transform",
		resources: map[string]resolvedResource{}, importValue: func(string) (string, bool) { return "", false }}
}

const forEachPrefix = "Fn::ForEach::"

// expandForEach replaces every Fn::ForEach::<Loop> entry of a mapping
// with the fragments it makes, one per item of its collection.
func expandForEach(v any, ev *evaluator, budget *int, depth int) (any, error) {
	if depth > maxDepth {
		return nil, templateError("Fn::ForEach nested too deeply")
	}
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for _, k := range sortedKeys(x) {
			if !strings.HasPrefix(k, forEachPrefix) {
				e, err := expandForEach(x[k], ev, budget, depth+1)
				if err != nil {
					return nil, err
				}
				out[k] = e
				continue
			}
			made, err := forEach(k, x[k], ev, budget)
			if err != nil {
				return nil, err
			}
			// A loop's fragments may hold loops of their own.
			e, err := expandForEach(made, ev, budget, depth+1)
			if err != nil {
				return nil, err
			}
			for mk, mv := range e.(map[string]any) {
				if _, dup := out[mk]; dup {
					return nil, templateError("%s: the key %s is defined more than once", k, mk)
				}
				if _, dup := x[mk]; dup {
					return nil, templateError("%s: the key %s is defined more than once", k, mk)
				}
				out[mk] = mv
			}
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i := range x {
			e, err := expandForEach(x[i], ev, budget, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	}
	return v, nil
}

// forEach expands one loop: [Identifier, Collection, {OutputKey: OutputValue}].
func forEach(name string, arg any, ev *evaluator, budget *int) (map[string]any, error) {
	l, ok := arg.([]any)
	if !ok || len(l) != 3 {
		return nil, templateError("%s must be a list of three items: an identifier, a collection and a fragment", name)
	}
	id, ok := l[0].(string)
	if !ok || id == "" || !validLogicalID(id) {
		return nil, templateError("%s: the identifier must be an alphanumeric string", name)
	}
	if _, clash := ev.t.Parameters[id]; clash {
		return nil, templateError("%s: the identifier %s is also a parameter's name", name, id)
	}
	coll, err := ev.resolveValue(l[1])
	if err != nil {
		return nil, err
	}
	items, ok := coll.([]any)
	if !ok {
		return nil, templateError("%s: the collection must be a list of strings", name)
	}
	frag, ok := l[2].(map[string]any)
	if !ok {
		return nil, templateError("%s: the fragment must be an object", name)
	}
	out := map[string]any{}
	for _, it := range items {
		s, ok := scalarString(it)
		if !ok {
			return nil, templateError("%s: the collection must be a list of strings", name)
		}
		made, err := substitute(frag, id, s, budget)
		if err != nil {
			return nil, err
		}
		for k, v := range made.(map[string]any) {
			if _, dup := out[k]; dup {
				return nil, templateError("%s: the key %s is made more than once; use ${%s} or &{%s} in it", name, k, id, id)
			}
			out[k] = v
		}
	}
	return out, nil
}

// substitute copies a loop's fragment with one item: ${Id} and &{Id}
// (the item without its non-alphanumeric characters) in keys and
// strings (Fn::Sub's, Ref's), and Ref Id, become the item.
func substitute(v any, id, item string, budget *int) (any, error) {
	*budget--
	if *budget < 0 {
		return nil, templateError("Fn::ForEach expands the template past %d values", maxNodes)
	}
	replaceIn := func(s string) string {
		s = strings.ReplaceAll(s, "${"+id+"}", item)
		return strings.ReplaceAll(s, "&{"+id+"}", alphanumeric(item))
	}
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			if r, ok := x["Ref"].(string); ok && r == id {
				return item, nil
			}
			if s, ok := x["Fn::Sub"].(string); ok {
				return map[string]any{"Fn::Sub": replaceIn(s)}, nil
			}
			if l, ok := x["Fn::Sub"].([]any); ok && len(l) == 2 {
				if s, ok := l[0].(string); ok {
					vars, err := substitute(l[1], id, item, budget)
					if err != nil {
						return nil, err
					}
					return map[string]any{"Fn::Sub": []any{replaceIn(s), vars}}, nil
				}
			}
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			c, err := substitute(e, id, item, budget)
			if err != nil {
				return nil, err
			}
			out[replaceIn(k)] = c
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i := range x {
			c, err := substitute(x[i], id, item, budget)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case string:
		return replaceIn(x), nil
	}
	return v, nil
}

func alphanumeric(s string) string {
	var b strings.Builder
	for _, r := range s {
		if (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// transformEnvOf is the transform environment of a stack operation: the
// given parameter values (previous ones where UsePreviousValue says so).
func transformEnvOf(ctx *request.Context, given []cfnapi.Parameter, prev []paramRec) transformEnv {
	env := transformEnv{values: map[string]string{}, account: ctx.Account, region: ctx.Region}
	for _, p := range given {
		k := ptrStr(p.ParameterKey)
		if p.UsePreviousValue != nil && *p.UsePreviousValue {
			for _, q := range prev {
				if q.Key == k {
					env.values[k] = q.Value
				}
			}
			continue
		}
		env.values[k] = ptrStr(p.ParameterValue)
	}
	return env
}

// stackTransformEnv is the transform environment of a stored stack.
func stackTransformEnv(s *stackRec) transformEnv {
	env := transformEnv{values: map[string]string{}, account: s.Account, region: s.Region, stackName: s.Name}
	for _, p := range s.Params {
		env.values[p.Key] = p.Value
	}
	return env
}

// stackTemplate is a stack's template, processed.
func stackTemplate(s *stackRec) (*template, error) {
	return parseTemplateWith(s.Template, stackTransformEnv(s))
}

// changeSetCaps are the capabilities a change set is checked with:
// CAPABILITY_AUTO_EXPAND is implied, since the change set shows what the
// transforms make before anything runs (AWS asks for the capability
// only of stacks created straight from a template with macros).
func changeSetCaps(caps []string) []string {
	for _, c := range caps {
		if c == "CAPABILITY_AUTO_EXPAND" {
			return caps
		}
	}
	return append(append([]string(nil), caps...), "CAPABILITY_AUTO_EXPAND")
}
