package cloudformation

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxTemplateBody is AWS's cap on a TemplateBody (51,200 bytes); a
// TemplateURL may point at up to 1 MB.
const (
	maxTemplateBody = 51200
	maxTemplateURL  = 1 << 20
)

// template is a parsed template: its sections as JSON values.
type template struct {
	FormatVersion string
	Description   string
	Transform     []string
	Parameters    map[string]map[string]any
	Mappings      map[string]any
	Conditions    map[string]any
	Resources     map[string]*resourceDef
	Outputs       map[string]map[string]any
	Metadata      map[string]any
	raw           map[string]any
}

// resourceDef is one entry of Resources.
type resourceDef struct {
	Type                string
	Properties          map[string]any
	DependsOn           []string
	Condition           string
	DeletionPolicy      string
	UpdateReplacePolicy string
	Metadata            any
	raw                 map[string]any
}

// templateError is AWS's "Template format error: ..." ValidationError.
func templateError(format string, args ...any) error {
	return validation("Template format error: "+format, args...)
}

// parseDocument reads a JSON or YAML template into JSON values. YAML's
// short-form tags (!Ref, !GetAtt, !Sub ...) become their long forms.
func parseDocument(body string) (map[string]any, error) {
	trimmed := strings.TrimSpace(body)
	if trimmed == "" {
		return nil, templateError("At least one Resources member must be defined.")
	}
	if strings.HasPrefix(trimmed, "{") {
		dec := json.NewDecoder(strings.NewReader(trimmed))
		var v map[string]any
		if err := dec.Decode(&v); err != nil {
			return nil, templateError("JSON not well-formed. (%s)", err.Error())
		}
		if dec.More() {
			return nil, templateError("JSON not well-formed. (trailing data)")
		}
		return v, nil
	}
	var n yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader([]byte(body))).Decode(&n); err != nil {
		return nil, templateError("YAML not well-formed. (%s)", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	budget := maxNodes
	v, err := fromYAML(&n, 0, &budget)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, templateError("YAML not well-formed. (the template is not a mapping)")
	}
	return m, nil
}

// maxNodes bounds the values a YAML template expands to, so aliases
// cannot multiply a small body into an unbounded one.
const maxNodes = 200000

// maxDepth bounds nesting so a hostile template cannot exhaust the stack.
const maxDepth = 200

// shortForms maps YAML tags to the intrinsic they stand for.
var shortForms = map[string]string{
	"!Ref": "Ref", "!Condition": "Condition", "!GetAtt": "Fn::GetAtt", "!Sub": "Fn::Sub", "!Join": "Fn::Join",
	"!Select": "Fn::Select", "!Split": "Fn::Split", "!If": "Fn::If", "!And": "Fn::And", "!Or": "Fn::Or",
	"!Not": "Fn::Not", "!Equals": "Fn::Equals", "!FindInMap": "Fn::FindInMap", "!GetAZs": "Fn::GetAZs",
	"!Base64": "Fn::Base64", "!Cidr": "Fn::Cidr", "!ImportValue": "Fn::ImportValue", "!Length": "Fn::Length",
	"!ToJsonString": "Fn::ToJsonString", "!Transform": "Fn::Transform",
}

func fromYAML(n *yaml.Node, depth int, budget *int) (any, error) {
	*budget--
	if *budget < 0 {
		return nil, templateError("YAML not well-formed. (too many nodes once aliases are expanded)")
	}
	if depth > maxDepth {
		return nil, templateError("YAML not well-formed. (nested too deeply)")
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return map[string]any{}, nil
		}
		return fromYAML(n.Content[0], depth+1, budget)
	}
	if n.Kind == yaml.AliasNode {
		return fromYAML(n.Alias, depth+1, budget)
	}
	var v any
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			if n.Content[i].Tag == "!!merge" {
				return nil, templateError("YAML not well-formed. (merge keys are not supported)")
			}
			val, err := fromYAML(n.Content[i+1], depth+1, budget)
			if err != nil {
				return nil, err
			}
			m[k] = val
		}
		v = m
	case yaml.SequenceNode:
		l := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			val, err := fromYAML(c, depth+1, budget)
			if err != nil {
				return nil, err
			}
			l = append(l, val)
		}
		v = l
	case yaml.ScalarNode:
		v = yamlScalar(n)
	}
	if fn, ok := shortForms[n.Tag]; ok {
		if fn == "Fn::GetAtt" {
			if s, ok := v.(string); ok {
				if i := strings.Index(s, "."); i > 0 {
					v = []any{s[:i], s[i+1:]}
				}
			}
		}
		if n.Kind == yaml.ScalarNode && n.Value == "" && fn != "Fn::GetAZs" {
			v = ""
		}
		return map[string]any{fn: v}, nil
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return nil, templateError("YAML not well-formed. (unknown tag %s)", n.Tag)
	}
	return v, nil
}

func yamlScalar(n *yaml.Node) any {
	switch n.Tag {
	case "!!int", "!!float":
		if f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64); err == nil && !math.IsInf(f, 0) {
			// Keep the template's own spelling where it is not plain
			// (leading zeros, octal): CloudFormation passes it as text.
			if strconv.FormatFloat(f, 'f', -1, 64) == n.Value {
				return f
			}
		}
		return n.Value
	case "!!bool":
		switch strings.ToLower(n.Value) {
		case "true", "yes", "on":
			return true
		case "false", "no", "off":
			return false
		}
		return n.Value
	case "!!null":
		return nil
	}
	return n.Value
}

// parseTemplate parses and checks a template's structure, its
// transforms applied with the parameters' defaults.
func parseTemplate(body string) (*template, error) {
	return parseTemplateWith(body, transformEnv{})
}

// parseTemplateWith parses a template and applies its transforms
// (transform.go) with env's parameter values; the template's sections
// are those of the processed document, its Transform list the
// original's.
func parseTemplateWith(body string, env transformEnv) (*template, error) {
	doc, err := parseDocument(body)
	if err != nil {
		return nil, err
	}
	transforms, err := transformList(doc)
	if err != nil {
		return nil, err
	}
	if len(transforms) > 0 {
		if doc, err = applyTransforms(doc, transforms, env); err != nil {
			return nil, err
		}
	}
	t, err := parseProcessed(doc)
	if err != nil {
		return nil, err
	}
	t.Transform = transforms
	return t, nil
}

// transformList reads a document's Transform section.
func transformList(doc map[string]any) ([]string, error) {
	var out []string
	switch tr := doc["Transform"].(type) {
	case nil:
	case string:
		out = []string{tr}
	case map[string]any:
		// {Name: AWS::Include, Parameters: ...}
		n, _ := tr["Name"].(string)
		out = []string{n}
	case []any:
		for _, x := range tr {
			s, ok := x.(string)
			if !ok {
				return nil, templateError("Transform must be a string or a list of strings")
			}
			out = append(out, s)
		}
	default:
		return nil, templateError("Transform must be a string or a list of strings")
	}
	return out, nil
}

// CloudFormation's template quotas: the sections of a processed template
// hold at most this many entries.
const (
	maxTemplateResources  = 500
	maxTemplateParameters = 200
	maxTemplateMappings   = 200
	maxTemplateOutputs    = 200
)

// checkCounts refuses a template past CloudFormation's quotas, as AWS
// does: "Template format error: Number of resources, 501, is greater than
// maximum allowed, 500".
func (t *template) checkCounts() error {
	for _, c := range []struct {
		what string
		n    int
		max  int
	}{
		{"parameters", len(t.Parameters), maxTemplateParameters},
		{"mappings", len(t.Mappings), maxTemplateMappings},
		{"resources", len(t.Resources), maxTemplateResources},
		{"outputs", len(t.Outputs), maxTemplateOutputs},
	} {
		if c.n > c.max {
			return templateError("Number of %s, %d, is greater than maximum allowed, %d", c.what, c.n, c.max)
		}
	}
	return nil
}

// parseProcessed checks the structure of a document whose transforms
// have been applied.
func parseProcessed(doc map[string]any) (*template, error) {
	t := &template{raw: doc, Parameters: map[string]map[string]any{}, Resources: map[string]*resourceDef{},
		Outputs: map[string]map[string]any{}}
	known := map[string]bool{"AWSTemplateFormatVersion": true, "Description": true, "Metadata": true, "Parameters": true,
		"Mappings": true, "Conditions": true, "Transform": true, "Resources": true, "Outputs": true, "Rules": true, "Hooks": true}
	var unknown []string
	for k := range doc {
		if !known[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, templateError("Invalid template property or properties [%s]", strings.Join(unknown, ", "))
	}
	if v, ok := doc["AWSTemplateFormatVersion"]; ok {
		s, _ := v.(string)
		if s != "2010-09-09" {
			return nil, templateError("Unsupported template version: %v", v)
		}
		t.FormatVersion = s
	}
	if v, ok := doc["Description"]; ok {
		s, ok := v.(string)
		if !ok {
			return nil, templateError("Every Description member must be a string")
		}
		t.Description = s
	}
	if m, ok := doc["Metadata"].(map[string]any); ok {
		t.Metadata = m
	}
	if v, ok := doc["Parameters"]; ok {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, templateError("Parameters must be an object")
		}
		for name, p := range m {
			pm, ok := p.(map[string]any)
			if !ok {
				return nil, templateError("Invalid parameter %s: it must be an object", name)
			}
			if _, ok := pm["Type"].(string); !ok {
				return nil, templateError("Parameter '%s' is missing the Type attribute", name)
			}
			t.Parameters[name] = pm
		}
	}
	if v, ok := doc["Mappings"]; ok {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, templateError("Mappings must be an object")
		}
		t.Mappings = m
	}
	if v, ok := doc["Conditions"]; ok {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, templateError("Conditions must be an object")
		}
		t.Conditions = m
	}
	rv, ok := doc["Resources"]
	if !ok {
		return nil, templateError("At least one Resources member must be defined.")
	}
	rm, ok := rv.(map[string]any)
	if !ok || len(rm) == 0 {
		return nil, templateError("At least one Resources member must be defined.")
	}
	for name, r := range rm {
		if !validLogicalID(name) {
			return nil, templateError("Resource name %s is non alphanumeric.", name)
		}
		m, ok := r.(map[string]any)
		if !ok {
			return nil, templateError("[/Resources/%s] resource definition is malformed", name)
		}
		d := &resourceDef{raw: m}
		d.Type, ok = m["Type"].(string)
		if !ok || d.Type == "" {
			return nil, templateError("[/Resources/%s] Every Resources object must contain a Type member.", name)
		}
		if p, ok := m["Properties"]; ok && p != nil {
			pm, ok := p.(map[string]any)
			if !ok {
				return nil, templateError("[/Resources/%s/Properties] Every Properties member must be an object", name)
			}
			d.Properties = pm
		}
		switch dep := m["DependsOn"].(type) {
		case nil:
		case string:
			d.DependsOn = []string{dep}
		case []any:
			for _, x := range dep {
				s, ok := x.(string)
				if !ok {
					return nil, templateError("[/Resources/%s/DependsOn] DependsOn must be a string or list of strings", name)
				}
				d.DependsOn = append(d.DependsOn, s)
			}
		default:
			return nil, templateError("[/Resources/%s/DependsOn] DependsOn must be a string or list of strings", name)
		}
		d.Condition, _ = m["Condition"].(string)
		d.DeletionPolicy, _ = m["DeletionPolicy"].(string)
		d.UpdateReplacePolicy, _ = m["UpdateReplacePolicy"].(string)
		for _, pol := range []string{d.DeletionPolicy, d.UpdateReplacePolicy} {
			switch pol {
			case "", "Delete", "Retain", "Snapshot", "RetainExceptOnCreate":
			default:
				return nil, templateError("Unrecognized DeletionPolicy %s for resource %s", pol, name)
			}
		}
		d.Metadata = m["Metadata"]
		t.Resources[name] = d
	}
	if v, ok := doc["Outputs"]; ok {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, templateError("Outputs must be an object")
		}
		for name, o := range m {
			om, ok := o.(map[string]any)
			if !ok {
				return nil, templateError("[/Outputs/%s] output definition is malformed", name)
			}
			if _, ok := om["Value"]; !ok {
				return nil, templateError("[/Outputs/%s] Every Outputs member must contain a Value object", name)
			}
			t.Outputs[name] = om
		}
	}
	if err := t.checkCounts(); err != nil {
		return nil, err
	}
	for name, r := range t.Resources {
		for _, dep := range r.DependsOn {
			if _, ok := t.Resources[dep]; !ok {
				return nil, templateError("Unresolved resource dependencies [%s] in the Resources block of the template", dep)
			}
		}
		if r.Condition != "" {
			if _, ok := t.Conditions[r.Condition]; !ok {
				return nil, templateError("Unresolved dependencies [%s]. Cannot reference resources in the Conditions block of the template", r.Condition)
			}
		}
		_ = name
	}
	if err := t.checkRefs(); err != nil {
		return nil, err
	}
	return t, nil
}

func validLogicalID(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// checkRefs finds Refs and GetAtts naming nothing the template declares:
// AWS refuses them at validation.
func (t *template) checkRefs() error {
	var missing []string
	seen := map[string]bool{}
	known := func(n string) bool {
		if _, ok := t.Resources[n]; ok {
			return true
		}
		if _, ok := t.Parameters[n]; ok {
			return true
		}
		return strings.HasPrefix(n, "AWS::")
	}
	visit := func(v any) {
		walkRefs(v, func(name string, getAtt bool) {
			if getAtt {
				if _, ok := t.Resources[name]; ok {
					return
				}
			} else if known(name) {
				return
			}
			if !seen[name] {
				seen[name] = true
				missing = append(missing, name)
			}
		})
	}
	for _, r := range t.Resources {
		visit(r.Properties)
	}
	for _, o := range t.Outputs {
		visit(o["Value"])
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return templateError("Unresolved resource dependencies [%s] in the Resources block of the template", strings.Join(missing, ", "))
	}
	return nil
}

// walkRefs calls fn for every Ref, Fn::GetAtt and Fn::Sub variable in v.
func walkRefs(v any, fn func(name string, getAtt bool)) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			if r, ok := x["Ref"].(string); ok {
				fn(r, false)
				return
			}
			if ga, ok := x["Fn::GetAtt"]; ok {
				if name := getAttTarget(ga); name != "" {
					fn(name, true)
				}
			}
			if sub, ok := x["Fn::Sub"]; ok {
				var s string
				var vars map[string]any
				switch sv := sub.(type) {
				case string:
					s = sv
				case []any:
					if len(sv) > 0 {
						s, _ = sv[0].(string)
					}
					if len(sv) > 1 {
						vars, _ = sv[1].(map[string]any)
						walkRefs(sv[1], fn)
					}
				}
				for _, name := range subVariables(s) {
					if _, ok := vars[name]; ok {
						continue
					}
					if i := strings.Index(name, "."); i > 0 {
						fn(name[:i], true)
					} else {
						fn(name, false)
					}
				}
				return
			}
		}
		for _, e := range x {
			walkRefs(e, fn)
		}
	case []any:
		for _, e := range x {
			walkRefs(e, fn)
		}
	}
}

func getAttTarget(ga any) string {
	switch g := ga.(type) {
	case []any:
		if len(g) > 0 {
			s, _ := g[0].(string)
			return s
		}
	case string:
		if i := strings.Index(g, "."); i > 0 {
			return g[:i]
		}
	}
	return ""
}

// subVariables returns the ${name} variables of a Fn::Sub string (not
// the ${!literal} escapes).
func subVariables(s string) []string {
	var out []string
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			return out
		}
		j := strings.Index(s[i:], "}")
		if j < 0 {
			return out
		}
		name := strings.TrimSpace(s[i+2 : i+j])
		if !strings.HasPrefix(name, "!") && name != "" {
			out = append(out, name)
		}
		s = s[i+j+1:]
	}
}

// dependencies returns, for each resource, the resources it depends on
// (Ref, GetAtt, Sub, DependsOn), and refuses cycles as AWS does.
func (t *template) dependencies() (map[string][]string, error) {
	deps := map[string][]string{}
	for name, r := range t.Resources {
		set := map[string]bool{}
		for _, d := range r.DependsOn {
			set[d] = true
		}
		walkRefs(r.Properties, func(n string, _ bool) {
			if _, ok := t.Resources[n]; ok && n != name {
				set[n] = true
			}
		})
		for _, k := range []string{"Metadata"} {
			_ = k
		}
		var l []string
		for d := range set {
			l = append(l, d)
		}
		sort.Strings(l)
		deps[name] = l
	}
	if _, err := topoOrder(deps); err != nil {
		return nil, err
	}
	return deps, nil
}

// topoOrder orders resources so each comes after what it depends on;
// resources in a cycle are named in AWS's error.
func topoOrder(deps map[string][]string) ([]string, error) {
	names := make([]string, 0, len(deps))
	for n := range deps {
		names = append(names, n)
	}
	sort.Strings(names)
	state := map[string]int{}
	var order []string
	var cycle []string
	var visit func(n string, path []string) bool
	visit = func(n string, path []string) bool {
		switch state[n] {
		case 1:
			for i, p := range path {
				if p == n {
					cycle = append([]string(nil), path[i:]...)
				}
			}
			return false
		case 2:
			return true
		}
		state[n] = 1
		for _, d := range deps[n] {
			if !visit(d, append(path, n)) {
				return false
			}
		}
		state[n] = 2
		order = append(order, n)
		return true
	}
	for _, n := range names {
		if !visit(n, nil) {
			sort.Strings(cycle)
			return nil, validation("Circular dependency between resources: [%s]", strings.Join(cycle, ", "))
		}
	}
	return order, nil
}

// String formats a JSON value as text the way CloudFormation passes
// scalars to resources.
func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case bool:
		return strconv.FormatBool(x), true
	case json.Number:
		return x.String(), true
	}
	return "", false
}

var _ = fmt.Sprint
