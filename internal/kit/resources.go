package kit

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// ResourceProvider is how CloudFormation creates, updates and deletes one
// resource type (AWS::SQS::Queue) of a service. A service declares its
// providers beside its handlers (Declaration.Resources) and implements
// them by calling its own handlers with typed inputs, so a stack's
// resources are validated exactly as the same calls made by hand; the
// platform hands the map to CloudFormation, which imports no service.
type ResourceProvider struct {
	// Create makes the resource from its resolved properties and returns
	// its physical id (what Ref answers, unless Result.Ref says
	// otherwise) and its Fn::GetAtt attributes.
	Create func(ctx *request.Context, r ResourceRequest) (ResourceResult, error)
	// Update changes the resource in place to r.Properties (only
	// properties outside Replace changed). nil: every change replaces
	// the resource.
	Update func(ctx *request.Context, r ResourceRequest) (ResourceResult, error)
	// Delete removes the resource r.PhysicalID names; a resource
	// already gone is not an error.
	Delete func(ctx *request.Context, r ResourceRequest) error
	// Read returns the live values of the properties the provider
	// reads back, in the template's form, for drift detection: a
	// property it reads that the resource does not have is nil; a
	// resource that is gone answers ErrResourceGone. nil: the type's
	// drift is NOT_CHECKED, as AWS answers for types it cannot check.
	Read func(ctx *request.Context, r ResourceRequest) (map[string]any, error)
	// Replace are the properties whose change needs a new resource
	// ("Update requires: Replacement" in AWS's resource reference):
	// CloudFormation creates the new one, then deletes the old one. A
	// name is a top-level property ("Name") or a dotted path to a nested
	// one ("HealthCheckConfig.Type"); a list on the path applies the rest
	// to each element ("Listeners.Port"). Update then sees only changes
	// outside these paths.
	Replace []string
	// Tags is true when the type takes Tags ([{Key, Value}]): the
	// stack's tags are propagated to it.
	Tags bool
	// Capability names the capability a template with the type needs
	// ("CAPABILITY_IAM" for IAM resources), "" for none.
	Capability string
}

// ErrResourceGone is what Read answers for a resource that no longer
// exists (drift status DELETED).
var ErrResourceGone = errors.New("the resource does not exist")

// ResourceRequest is one call to a provider.
type ResourceRequest struct {
	// LogicalID is the resource's name in the template.
	LogicalID string
	// StackName and StackID name the stack the resource belongs to;
	// providers derive generated physical names from them
	// (<stack>-<logical>-<random>) as AWS does.
	StackName, StackID string
	// PhysicalID is the resource's physical id (Update, Delete).
	PhysicalID string
	// Properties are the resolved properties (JSON values: string,
	// float64, bool, []any, map[string]any).
	Properties map[string]any
	// OldProperties are the properties before an update.
	OldProperties map[string]any
	// Attributes are the attributes the resource returned when last
	// created or updated (Update, Delete).
	Attributes map[string]any
}

// ResourceResult is what a provider reports about a created or updated
// resource.
type ResourceResult struct {
	// PhysicalID is the resource's physical id.
	PhysicalID string
	// Ref is what Ref answers when it is not PhysicalID ("" means
	// PhysicalID).
	Ref string
	// Attributes are the Fn::GetAtt attributes as AWS documents them.
	Attributes map[string]any
}

// Str returns the string property name of r ("" when absent or not a
// string; numbers and booleans are given as their text, as CloudFormation
// passes them).
func (r ResourceRequest) Str(name string) string {
	return PropStr(r.Properties, name)
}

// PropStr returns the string value of props[name].
func PropStr(props map[string]any, name string) string {
	switch v := props[name].(type) {
	case string:
		return v
	case bool:
		if v {
			return "true"
		}
		return "false"
	case float64:
		return formatNumber(v)
	case int:
		return formatNumber(float64(v))
	}
	return ""
}

func formatNumber(f float64) string {
	if f == float64(int64(f)) {
		return itoa(int64(f))
	}
	return ftoa(f)
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// PhysicalName is the name CloudFormation generates for a resource whose
// template gives none: <stack>-<logical>-<12 random characters>, the
// stack and logical parts shortened so the whole fits max (AWS's
// resource names' limit).
func PhysicalName(r ResourceRequest, max int) string {
	suffix := randomSuffix(12)
	stack, logical := r.StackName, r.LogicalID
	room := max - len(suffix) - 2
	for len(stack)+len(logical) > room && (len(stack) > 1 || len(logical) > 1) {
		if len(stack) >= len(logical) {
			stack = stack[:len(stack)-1]
		} else {
			logical = logical[:len(logical)-1]
		}
	}
	if logical == "" {
		return stack + "-" + suffix
	}
	return stack + "-" + logical + "-" + suffix
}

func randomSuffix(n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// PropTags reads a Tags property ([{Key, Value}]) as a map.
func PropTags(props map[string]any) map[string]string {
	out := map[string]string{}
	l, _ := props["Tags"].([]any)
	for _, t := range l {
		m, ok := t.(map[string]any)
		if !ok {
			continue
		}
		out[PropStr(m, "Key")] = PropStr(m, "Value")
	}
	if m, ok := props["Tags"].(map[string]any); ok {
		for k := range m {
			out[k] = PropStr(m, k)
		}
	}
	return out
}

// PropJSON returns props[name] as JSON text: a string as is, an object
// or list encoded (IAM policy documents, SQS redrive policies).
func PropJSON(props map[string]any, name string) string {
	switch v := props[name].(type) {
	case nil:
		return ""
	case string:
		return v
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(b)
	}
}

// PropList returns props[name] as a list of strings.
func PropList(props map[string]any, name string) []string {
	l, _ := props[name].([]any)
	out := make([]string, 0, len(l))
	for i := range l {
		out = append(out, PropStr(map[string]any{"v": l[i]}, "v"))
	}
	return out
}

// PropBool returns props[name] as a boolean (true or "true").
func PropBool(props map[string]any, name string) bool {
	return PropStr(props, name) == "true"
}

// PropMap returns props[name] as an object (nil when absent).
func PropMap(props map[string]any, name string) map[string]any {
	m, _ := props[name].(map[string]any)
	return m
}

// Has reports whether props sets name.
func Has(props map[string]any, name string) bool {
	_, ok := props[name]
	return ok
}

// DecodeProp decodes props[name] into out, a typed API shape whose field
// names are the property's member names (CloudFormation's properties
// mostly are the API's members): JSON matches them case-insensitively.
// Absent properties leave out as it is.
func DecodeProp(props map[string]any, name string, out any) error {
	v, ok := props[name]
	if !ok || v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	first := json.Unmarshal(b, out)
	if first == nil {
		return nil
	}
	// Templates often give numbers and booleans as strings ("5",
	// "true"), which CloudFormation converts: try again with them
	// converted.
	b, err = json.Marshal(coerce(v))
	if err != nil || json.Unmarshal(b, out) != nil {
		return first
	}
	return nil
}

// DecodeProperties decodes a resource's properties into out, an API
// input whose members are the type's properties. The properties named in
// jsonText hold JSON documents (policies, patterns) a template may give
// as objects; they are rendered as text first. A property out cannot
// hold fails with CloudFormation's validation message.
func DecodeProperties(r ResourceRequest, out any, jsonText ...string) error {
	props := r.Properties
	if len(jsonText) > 0 {
		props = make(map[string]any, len(r.Properties))
		for k, v := range r.Properties {
			props[k] = v
		}
		for _, k := range jsonText {
			if Has(props, k) {
				props[k] = PropJSON(props, k)
			}
		}
	}
	if err := DecodeProp(map[string]any{"p": props}, "p", out); err != nil {
		return awserr.ValidationError.New("Properties validation failed for resource %s with message: %v", r.LogicalID, err)
	}
	return nil
}

// ResourceName is the name of a named resource: the one it already has
// (an update), the one the template gives in prop, or one CloudFormation
// generates of at most max characters.
func ResourceName(r ResourceRequest, prop string, max int) string {
	if r.PhysicalID != "" {
		return r.PhysicalID
	}
	if n := r.Str(prop); n != "" {
		return n
	}
	return PhysicalName(r, max)
}

func coerce(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = coerce(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = coerce(e)
		}
		return out
	case string:
		if f, err := strconv.ParseFloat(x, 64); err == nil {
			return f
		}
		if x == "true" || x == "false" {
			return x == "true"
		}
	}
	return v
}

// TagList is a tag map as a template's Tags ([{Key, Value}], by key).
func TagList(tags map[string]string) []any {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]any, 0, len(keys))
	for _, k := range keys {
		out = append(out, map[string]any{"Key": k, "Value": tags[k]})
	}
	return out
}

// ShapeProps returns an API shape's members as template properties, for
// a provider's Read: each of names is a property read from the member of
// the same name, or "Property=Member" when the template names it
// differently. A member the resource does not have is nil (drift
// REMOVE); numbers and booleans are JSON's, which drift compares with
// the template's by their text.
func ShapeProps(shape any, names ...string) map[string]any {
	var m map[string]any
	if b, err := json.Marshal(shape); err == nil {
		_ = json.Unmarshal(b, &m)
	}
	out := make(map[string]any, len(names))
	for _, n := range names {
		prop, member, renamed := strings.Cut(n, "=")
		if !renamed {
			member = prop
		}
		out[prop] = m[member]
	}
	return out
}

// Project returns a live value read back for drift in the shape of the
// template's value tmpl: of an object, only the members the template
// sets (a default the resource has and the template does not name is
// not drift; a member it names and the resource lacks is left out, drift
// REMOVE); of a list, each element projected on the template's element at
// the same position (elements beyond the template's keep their non-null
// members, drift ADD); where the template gives a list and the API an
// {Items} (or {Quantity, Items}) wrapper, as CloudFront's XML API does,
// its Items.
func Project(v, tmpl any) any {
	switch t := tmpl.(type) {
	case map[string]any:
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		out := make(map[string]any, len(t))
		for k, tv := range t {
			if lv, ok := memberFold(m, k); ok {
				out[k] = Project(lv, tv)
			}
		}
		return out
	case []any:
		if m, ok := v.(map[string]any); ok {
			if items, ok := m["Items"]; ok {
				v = items
				if v == nil {
					v = []any{}
				}
			}
		}
		l, ok := v.([]any)
		if !ok {
			return v
		}
		out := make([]any, len(l))
		for i := range l {
			if i < len(t) {
				out[i] = Project(l[i], t[i])
			} else {
				out[i] = dropNulls(l[i])
			}
		}
		return out
	}
	return v
}

func memberFold(m map[string]any, k string) (any, bool) {
	if v, ok := m[k]; ok {
		return v, true
	}
	for mk, v := range m {
		if strings.EqualFold(mk, k) {
			return v, true
		}
	}
	return nil, false
}

func dropNulls(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			if e != nil {
				out[k] = dropNulls(e)
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = dropNulls(e)
		}
		return out
	}
	return v
}
