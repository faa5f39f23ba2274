package kit

import (
	"reflect"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/niwa-cloud/niwa/internal/iam"
)

// IAMPrefix is the IAM service prefix of service: Prefix, or the
// service's name.
func (a Authz) IAMPrefix(service string) string {
	if a.Prefix != "" {
		return a.Prefix
	}
	return service
}

// Checks returns the checks for calling op of service (niwa's name for
// it, the IAM prefix unless Prefix is set) with input, a pointer to the
// typed input shape:
//   - the action is "<prefix>:<Operation>" unless Renames says otherwise;
//   - the resources are what Resources computes, "*" when none (what AWS
//     does for actions without resource-level permissions);
//   - the condition keys are aws:RequestTag/<key> and aws:TagKeys from
//     the input's tags, plus what Context adds;
//   - Extra's checks follow.
func (a Authz) Checks(service, op string, input any, env Env) []Check {
	return a.appendChecks(nil, nil, a.Action(a.IAMPrefix(service), op), service, op, input, env)
}

// appendChecks appends Checks' checks for action to dst, the input's
// common members found through c (nil: by a pass over its fields).
func (a Authz) appendChecks(dst []Check, c *Checker, action, service, op string, input any, env Env) []Check {
	in, ok := NewInput(input)
	if !ok {
		return append(dst, Check{Action: action, Resource: "*"})
	}
	var resources []string
	if a.Resources != nil {
		resources = a.Resources(op, in, env)
	}
	var cf commonFields
	if c != nil {
		cf = c.common(in)
	} else {
		cf = in.common()
	}
	ctx := requestTags(cf)
	if a.Context != nil {
		for k, vals := range a.Context(op, in) {
			if ctx == nil {
				ctx = iam.Context{}
			}
			ctx[k] = vals
		}
	}
	perItem := a.PerItem[op]
	if len(resources) == 0 {
		dst = append(dst, Check{Action: action, Resource: "*", Context: ctx, PerItem: perItem})
	}
	for _, r := range resources {
		dst = append(dst, Check{Action: action, Resource: r, Context: ctx, PerItem: perItem})
	}
	if a.Extra != nil {
		dst = append(dst, a.Extra(op, in, env)...)
	}
	if a.NamesRoles {
		return dst
	}
	return append(dst, passRoleChecks(a.IAMPrefix(service), cf)...)
}

// Checker is Authz.Checks for a caller that asks on every request (the
// authorizer): what depends only on the operation (its action) and on
// the input's type (where its roles and tags are) is found once and
// kept, keyed by service and operation and by type: both bounded by the
// models. The checks are Checks', appended to a buffer the caller owns.
type Checker struct {
	actions readMostly[opKey, string]
	fields  readMostly[reflect.Type, *commonIndex]
}

type opKey struct{ service, op string }

// AppendChecks appends a.Checks(service, op, input, env) to dst. a must
// be the declaration of service every call passes (an operation's action
// is kept).
func (c *Checker) AppendChecks(dst []Check, a Authz, service, op string, input any, env Env) []Check {
	k := opKey{service, op}
	action, ok := c.actions.load(k)
	if !ok {
		action = a.Action(a.IAMPrefix(service), op)
		c.actions.store(k, action)
	}
	return a.appendChecks(dst, c, action, service, op, input, env)
}

// readMostly is a map read on every request and written once per key:
// readers load an immutable map without locking (and without boxing the
// key, as sync.Map would); a writer copies it.
type readMostly[K comparable, V any] struct {
	mu sync.Mutex
	m  atomic.Pointer[map[K]V]
}

func (r *readMostly[K, V]) load(k K) (V, bool) {
	if m := r.m.Load(); m != nil {
		v, ok := (*m)[k]
		return v, ok
	}
	var zero V
	return zero, false
}

func (r *readMostly[K, V]) store(k K, v V) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var next map[K]V
	if m := r.m.Load(); m != nil {
		if _, ok := (*m)[k]; ok {
			return
		}
		next = make(map[K]V, len(*m)+1)
		for mk, mv := range *m {
			next[mk] = mv
		}
	} else {
		next = map[K]V{}
	}
	next[k] = v
	r.m.Store(&next)
}

// common is in.common() with the members' indexes found once per type.
func (c *Checker) common(in Input) commonFields {
	t := in.v.Type()
	ix, ok := c.fields.load(t)
	if !ok {
		found := indexCommon(t)
		ix = &found
		c.fields.store(t, ix)
	}
	return ix.read(in)
}

// commonIndex is where a struct type's commonFields are: field indexes,
// -1 for a member it does not have; byName for a struct with embedded
// fields (FieldByName's rules).
type commonIndex struct {
	roles                   [3]int
	target, targets         int
	tags, tagList, tagSpecs int
	byName                  bool
}

func indexCommon(t reflect.Type) commonIndex {
	ix := commonIndex{roles: [3]int{-1, -1, -1}, target: -1, targets: -1, tags: -1, tagList: -1, tagSpecs: -1}
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Anonymous {
			ix.byName = true
			return ix
		}
		var p *int
		switch sf.Name {
		case "Role":
			p = &ix.roles[0]
		case "RoleArn":
			p = &ix.roles[1]
		case "RoleARN":
			p = &ix.roles[2]
		case "Target":
			p = &ix.target
		case "Targets":
			p = &ix.targets
		case "Tags":
			p = &ix.tags
		case "TagList":
			p = &ix.tagList
		case "TagSpecifications":
			p = &ix.tagSpecs
		}
		if p != nil {
			*p = i
		}
	}
	return ix
}

// commonFields are the members Checks reads from every input, whatever
// the service: the roles passRoleChecks asks about and the tags
// requestTags reads. A member the input does not have is the zero Value.
type commonFields struct {
	roles                   [3]reflect.Value // Role, RoleArn, RoleARN, in that order
	target, targets         reflect.Value
	tags, tagList, tagSpecs reflect.Value
}

// read is in's commonFields at ix's indexes.
func (ix *commonIndex) read(in Input) commonFields {
	if ix.byName {
		return in.commonByName()
	}
	var cf commonFields
	field := func(i int) reflect.Value {
		if i < 0 {
			return reflect.Value{}
		}
		return in.v.Field(i)
	}
	for i, fi := range ix.roles {
		cf.roles[i] = field(fi)
	}
	cf.target, cf.targets = field(ix.target), field(ix.targets)
	cf.tags, cf.tagList, cf.tagSpecs = field(ix.tags), field(ix.tagList), field(ix.tagSpecs)
	return cf
}

// common finds f's commonFields in one pass over the struct's fields:
// looking each up by name (reflect's FieldByName scans the fields) was
// eight scans of every input on every authorization. (A Checker keeps
// the pass's result per type.)
func (f Input) common() commonFields {
	if !f.v.IsValid() || f.v.Kind() != reflect.Struct {
		return commonFields{}
	}
	ix := indexCommon(f.v.Type())
	return ix.read(f)
}

// commonByName is common by FieldByName, for a struct with embedded
// fields.
func (f Input) commonByName() commonFields {
	return commonFields{
		roles:  [3]reflect.Value{f.field("Role"), f.field("RoleArn"), f.field("RoleARN")},
		target: f.field("Target"), targets: f.field("Targets"),
		tags: f.field("Tags"), tagList: f.field("TagList"), tagSpecs: f.field("TagSpecifications"),
	}
}

// passRoleChecks ask iam:PassRole for each role an operation hands to the
// service to act as (a function's Role, a rule's or its targets' RoleArn,
// a subscription filter's roleArn), with iam:PassedToService.
func passRoleChecks(prefix string, in commonFields) []Check {
	var roles []string
	add := func(f commonFields) {
		for _, fv := range f.roles {
			if r := StrValue(fv); strings.Contains(r, ":role/") {
				roles = append(roles, r)
			}
		}
	}
	add(in)
	// EventBridge Scheduler hands one Target's RoleArn.
	if t := reflect.Indirect(in.target); t.IsValid() && t.Kind() == reflect.Struct {
		add(ValueInput(t).common())
	}
	if t := in.targets; t.IsValid() && t.Kind() == reflect.Slice {
		for i := 0; i < t.Len(); i++ {
			if e := reflect.Indirect(t.Index(i)); e.Kind() == reflect.Struct {
				add(ValueInput(e).common())
			}
		}
	}
	checks := make([]Check, 0, len(roles))
	for _, r := range roles {
		ctx := iam.Context{}
		ctx.Set("iam:PassedToService", prefix+".amazonaws.com")
		checks = append(checks, Check{Action: "iam:PassRole", Resource: r, Context: ctx})
	}
	return checks
}

// requestTags derives aws:RequestTag/<key> and aws:TagKeys from a Tags
// member, in any of the shapes the models use (a list of Key/Value or
// TagKey/TagValue structs, or a map).
func requestTags(in commonFields) iam.Context {
	var ctx iam.Context // nil until a tag is found: most requests have none
	var keys []string
	add := func(k, v string) {
		if ctx == nil {
			ctx = iam.Context{}
		}
		ctx["aws:requesttag/"+strings.ToLower(k)] = []string{v}
		keys = append(keys, k)
	}
	// EC2 carries tags in TagSpecifications ([{ResourceType, Tags}]).
	var buf [2]reflect.Value
	sources := append(buf[:0], in.tags, in.tagList)
	if specs := in.tagSpecs; specs.IsValid() && specs.Kind() == reflect.Slice {
		for i := 0; i < specs.Len(); i++ {
			e := specs.Index(i)
			for e.Kind() == reflect.Pointer && !e.IsNil() {
				e = e.Elem()
			}
			if e.Kind() == reflect.Struct {
				sources = append(sources, e.FieldByName("Tags"))
			}
		}
	}
	for _, fv := range sources {
		if !fv.IsValid() {
			continue
		}
		switch fv.Kind() {
		case reflect.Map:
			if fv.Type().Key().Kind() == reflect.String && fv.Type().Elem().Kind() == reflect.String {
				for _, k := range fv.MapKeys() {
					add(k.String(), fv.MapIndex(k).String())
				}
			}
		case reflect.Slice:
			for i := 0; i < fv.Len(); i++ {
				e := fv.Index(i)
				for e.Kind() == reflect.Pointer && !e.IsNil() {
					e = e.Elem()
				}
				if e.Kind() != reflect.Struct {
					continue
				}
				tf := ValueInput(e)
				k, val := tf.Str("Key"), tf.Str("Value")
				if k == "" {
					k, val = tf.Str("TagKey"), tf.Str("TagValue")
				}
				if k != "" {
					add(k, val)
				}
			}
		}
	}
	if len(keys) > 0 {
		ctx["aws:tagkeys"] = keys
	}
	return ctx
}
