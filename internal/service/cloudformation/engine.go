package cloudformation

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	cfnapi "github.com/niwa-cloud/niwa/internal/api/cloudformation"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

func scopeOf(ctx *request.Context) storage.Scope {
	return storage.Scope{Account: ctx.Account, Region: ctx.Region}
}

// load reads a stack by id.
func (c *CloudFormation) load(sc storage.Scope, id string) (*stackRec, bool, error) {
	var s stackRec
	var ok bool
	err := c.store.View(func(tx storage.Tx) error {
		var err error
		s, ok, err = stacks.Get(tx, sc, id)
		return err
	})
	if err != nil || !ok {
		return nil, ok, err
	}
	return &s, true, nil
}

// all lists the scope's stacks, deleted ones included, oldest first.
func (c *CloudFormation) all(sc storage.Scope) ([]stackRec, error) {
	var out []stackRec
	err := c.store.View(func(tx storage.Tx) error {
		return stacks.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, v stackRec) bool {
			out = append(out, v)
			return true
		})
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, err
}

// find returns the stack a StackName names: a live stack by name, or any
// stack (deleted ones too) by id.
func (c *CloudFormation) find(ctx *request.Context, name string) (*stackRec, error) {
	sc := scopeOf(ctx)
	if strings.HasPrefix(name, "arn:") {
		s, ok, err := c.load(sc, name)
		if err != nil {
			return nil, err
		}
		if ok {
			return s, nil
		}
		return nil, validation("Stack with id %s does not exist", name)
	}
	all, err := c.all(sc)
	if err != nil {
		return nil, err
	}
	for i := range all {
		if all[i].Name == name && all[i].Status != "DELETE_COMPLETE" {
			return &all[i], nil
		}
	}
	return nil, validation("Stack with id %s does not exist", name)
}

// mutate changes a stored stack under the lock.
func (c *CloudFormation) mutate(sc storage.Scope, id string, fn func(s *stackRec) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.store.Update(func(tx storage.Tx) error {
		s, ok, err := stacks.Get(tx, sc, id)
		if err != nil {
			return err
		}
		if !ok {
			return validation("Stack with id %s does not exist", id)
		}
		if err := fn(&s); err != nil {
			return err
		}
		return stacks.Put(tx, sc, s, id)
	})
}

// maxEvents caps the events kept per stack, oldest dropped first.
const maxEvents = 2000

func (c *CloudFormation) event(s *stackRec, logical, physical, typ, status, reason string, props map[string]any) {
	e := eventRec{ID: awsid.UUID(), LogicalID: logical, PhysicalID: physical, Type: typ, Status: status,
		Reason: reason, Token: s.Token, Time: c.clock.Now().UTC()}
	if logical == s.Name && typ == "AWS::CloudFormation::Stack" {
		e.ID = awsid.UUID()
	} else {
		e.ID = logical + "-" + status + "-" + e.Time.Format("2006-01-02T15:04:05.000Z")
	}
	if props != nil {
		if b, err := json.Marshal(props); err == nil {
			e.Properties = string(b)
		}
	}
	s.Events = append(s.Events, e)
	if len(s.Events) > maxEvents {
		s.Events = s.Events[len(s.Events)-maxEvents:]
	}
}

func (c *CloudFormation) stackEvent(s *stackRec, status, reason string) {
	s.Status, s.StatusReason = status, reason
	c.event(s, s.Name, s.ID, "AWS::CloudFormation::Stack", status, reason, nil)
}

// opContext is the request context a stack operation runs its provider
// calls with: the caller's identity, account and region, detached from
// the HTTP request that started it.
func (c *CloudFormation) opContext(s *stackRec) *request.Context {
	ctx := &request.Context{Context: c.ctx, RequestID: awsid.UUID(), Service: "cloudformation",
		Account: s.Account, Region: s.Region, Caller: s.Caller, Clock: c.clock, Log: c.log}
	c.asServiceRole(ctx, s)
	return ctx
}

// params resolves a template's parameters from the given values.
func (c *CloudFormation) resolveParams(ctx *request.Context, t *template, given []cfnapi.Parameter, prev []paramRec) (map[string]any, []paramRec, error) {
	values := map[string]string{}
	var unknown []string
	for _, p := range given {
		k := ptrStr(p.ParameterKey)
		if _, ok := t.Parameters[k]; !ok {
			unknown = append(unknown, k)
			continue
		}
		if p.UsePreviousValue != nil && *p.UsePreviousValue {
			found := false
			for _, q := range prev {
				if q.Key == k {
					values[k], found = q.Value, true
				}
			}
			if !found {
				return nil, nil, validation("Invalid input for parameter key %s. Cannot specify usePreviousValue as true for a parameter key not in the previous template", k)
			}
			continue
		}
		values[k] = ptrStr(p.ParameterValue)
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, nil, validation("Parameters: [%s] do not exist in the template", strings.Join(unknown, ", "))
	}
	var missing []string
	out := map[string]any{}
	var recs []paramRec
	for _, name := range sortedKeys(t.Parameters) {
		def := t.Parameters[name]
		v, ok := values[name]
		if !ok {
			d, has := def["Default"]
			if !has {
				missing = append(missing, name)
				continue
			}
			if s, isStr := scalarString(d); isStr {
				v = s
			} else if l, isList := d.([]any); isList {
				parts := make([]string, 0, len(l))
				for _, x := range l {
					s, _ := scalarString(x)
					parts = append(parts, s)
				}
				v = strings.Join(parts, ",")
			}
		}
		typ, _ := def["Type"].(string)
		if err := checkParam(name, typ, v, def); err != nil {
			return nil, nil, err
		}
		rec := paramRec{Key: name, Value: v}
		if ne, _ := scalarString(def["NoEcho"]); ne == "true" {
			rec.NoEcho = true
		}
		resolved := v
		if strings.HasPrefix(typ, "AWS::SSM::Parameter::Value<") {
			if c.lookups.SSMParameter == nil {
				return nil, nil, validation("Unable to fetch parameters [%s] from parameter store for this account.", v)
			}
			got, err := c.lookups.SSMParameter(ctx, v)
			if err != nil {
				return nil, nil, validation("Unable to fetch parameters [%s] from parameter store for this account.", v)
			}
			resolved, rec.Resolved = got, got
			typ = strings.TrimSuffix(strings.TrimPrefix(typ, "AWS::SSM::Parameter::Value<"), ">")
		}
		if typ == "CommaDelimitedList" || strings.HasPrefix(typ, "List<") {
			var l []any
			if resolved != "" {
				for _, p := range strings.Split(resolved, ",") {
					l = append(l, strings.TrimSpace(p))
				}
			}
			out[name] = l
		} else {
			out[name] = resolved
		}
		recs = append(recs, rec)
	}
	if len(missing) > 0 {
		return nil, nil, validation("Parameters: [%s] must have values", strings.Join(missing, ", "))
	}
	return out, recs, nil
}

// checkParam applies a parameter's constraints.
func checkParam(name, typ, v string, def map[string]any) error {
	desc, _ := def["ConstraintDescription"].(string)
	fail := func(format string, args ...any) error {
		if desc != "" {
			return validation("Parameter '%s' %s", name, desc)
		}
		return validation("Parameter '%s' "+format, append([]any{name}, args...)...)
	}
	switch typ {
	case "String", "Number", "CommaDelimitedList", "List<Number>":
	default:
		if !strings.HasPrefix(typ, "AWS::") && !strings.HasPrefix(typ, "List<AWS::") {
			return validation("Template format error: Unrecognized parameter type: %s", typ)
		}
	}
	if typ == "Number" {
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return fail("must be a number")
		}
	}
	if av, ok := def["AllowedValues"].([]any); ok {
		allowed := false
		for _, a := range av {
			if s, _ := scalarString(a); s == v {
				allowed = true
			}
		}
		if !allowed {
			return fail("must be one of AllowedValues")
		}
	}
	if p, ok := def["AllowedPattern"].(string); ok {
		re, err := regexp.Compile("^(?:" + p + ")$")
		if err != nil {
			return validation("Template format error: Parameter '%s' AllowedPattern is not a valid regular expression", name)
		}
		if !re.MatchString(v) {
			return fail("must match pattern %s", p)
		}
	}
	num := func(k string) (float64, bool) {
		s, ok := scalarString(def[k])
		if !ok {
			return 0, false
		}
		f, err := strconv.ParseFloat(s, 64)
		return f, err == nil
	}
	if n, ok := num("MinLength"); ok && float64(len(v)) < n {
		return fail("must contain at least %v characters", n)
	}
	if n, ok := num("MaxLength"); ok && float64(len(v)) > n {
		return fail("must contain at most %v characters", n)
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil {
		if n, ok := num("MinValue"); ok && f < n {
			return fail("must be a number not less than %v", n)
		}
		if n, ok := num("MaxValue"); ok && f > n {
			return fail("must be a number not greater than %v", n)
		}
	}
	return nil
}

// capabilities returns the capabilities a template needs, with why.
func (c *CloudFormation) requiredCapabilities(t *template) (caps []string, reason string) {
	iam, named := false, false
	var names []string
	for _, logical := range sortedKeys(t.Resources) {
		r := t.Resources[logical]
		capability := ""
		if p, ok := c.providers(r.Type); ok {
			capability = p.Capability
		}
		if strings.HasPrefix(r.Type, "AWS::IAM::") && capability == "" {
			capability = "CAPABILITY_IAM"
		}
		if capability == "" {
			continue
		}
		iam = true
		names = append(names, logical)
		// A name given to the IAM resource itself (not one it refers
		// to, as an access key's UserName) needs CAPABILITY_NAMED_IAM.
		if k, ok := iamNameProperty[r.Type]; ok {
			if _, given := r.Properties[k]; given {
				named = true
			}
		}
	}
	if named {
		caps = append(caps, "CAPABILITY_NAMED_IAM")
	} else if iam {
		caps = append(caps, "CAPABILITY_IAM")
	}
	if iam {
		reason = "The following resource(s) require capabilities: [" + strings.Join(typesOf(t, names), ", ") + "]"
	}
	if len(t.Transform) > 0 {
		caps = append(caps, "CAPABILITY_AUTO_EXPAND")
	}
	return caps, reason
}

// iamNameProperty is the property naming each IAM resource type.
var iamNameProperty = map[string]string{"AWS::IAM::Role": "RoleName", "AWS::IAM::User": "UserName",
	"AWS::IAM::Group": "GroupName", "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
	"AWS::IAM::InstanceProfile": "InstanceProfileName"}

func typesOf(t *template, logicals []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range logicals {
		ty := t.Resources[l].Type
		if !seen[ty] {
			seen[ty] = true
			out = append(out, ty)
		}
	}
	return out
}

func checkCapabilities(need, have []string) error {
	h := map[string]bool{}
	for _, c := range have {
		h[c] = true
	}
	var missing []string
	for _, n := range need {
		if h[n] || (n == "CAPABILITY_IAM" && h["CAPABILITY_NAMED_IAM"]) {
			continue
		}
		missing = append(missing, n)
	}
	if len(missing) > 0 {
		return cfnapi.ErrInsufficientCapabilitiesException.New("Requires capabilities : [%s]", strings.Join(missing, ", "))
	}
	return nil
}

// checkTypes refuses resource types niwa has no provider for, with the
// message AWS gives for types it does not know.
func (c *CloudFormation) checkTypes(t *template) error {
	var unknown []string
	seen := map[string]bool{}
	for _, l := range sortedKeys(t.Resources) {
		ty := t.Resources[l].Type
		if c.builtin(ty) || isCustom(ty) {
			continue
		}
		if _, ok := c.providers(ty); !ok && !seen[ty] {
			seen[ty] = true
			unknown = append(unknown, ty)
		}
	}
	if len(unknown) > 0 {
		return templateError("Unrecognized resource types: [%s]", strings.Join(unknown, ", "))
	}
	return nil
}

// cdkMetadataType is the resource CDK adds to every stack it synthesizes
// (CDKMetadata); AWS keeps it and does nothing with it.
const cdkMetadataType = "AWS::CDK::Metadata"

// builtin reports types CloudFormation provides itself.
func (c *CloudFormation) builtin(ty string) bool {
	switch ty {
	case "AWS::CloudFormation::WaitConditionHandle", "AWS::CloudFormation::WaitCondition", nestedType, cdkMetadataType:
		return true
	}
	return false
}

// newEvaluator makes the evaluator of a stack.
func (c *CloudFormation) newEvaluator(s *stackRec, t *template, params map[string]any) *evaluator {
	sc := storage.Scope{Account: s.Account, Region: s.Region}
	return &evaluator{t: t, params: params, account: s.Account, region: s.Region, stackName: s.Name, stackID: s.ID,
		notifARNs: s.NotificationARNs, resources: map[string]resolvedResource{},
		importValue: func(name string) (string, bool) {
			v, _, ok := c.export(sc, name)
			if ok {
				s.Imports = appendUnique(s.Imports, name)
			}
			return v, ok
		}}
}

func appendUnique(l []string, v string) []string {
	for _, x := range l {
		if x == v {
			return l
		}
	}
	return append(l, v)
}

// export finds an export by name among the scope's live stacks.
func (c *CloudFormation) export(sc storage.Scope, name string) (value, stackID string, ok bool) {
	all, err := c.all(sc)
	if err != nil {
		return "", "", false
	}
	for _, s := range all {
		if s.Status == "DELETE_COMPLETE" {
			continue
		}
		for _, o := range s.Outputs {
			if o.ExportName == name {
				return o.Value, s.ID, true
			}
		}
	}
	return "", "", false
}

// active returns the resources whose Condition holds, in creation order.
func activeOrder(t *template, ev *evaluator) ([]string, error) {
	deps, err := t.dependencies()
	if err != nil {
		return nil, err
	}
	order, err := topoOrder(deps)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range order {
		r := t.Resources[l]
		if r.Condition != "" {
			ok, err := ev.condition(r.Condition)
			if err != nil {
				return nil, err
			}
			if !ok {
				continue
			}
		}
		out = append(out, l)
	}
	return out, nil
}

// failureReason words a provider's error as CloudFormation does.
func failureReason(err error) string {
	var e *awserr.Error
	if errors.As(err, &e) {
		code := "GeneralServiceException"
		switch {
		case strings.Contains(e.Code.Code, "AlreadyExists") || strings.Contains(e.Code.Code, "Exists"):
			code = "AlreadyExists"
		case strings.Contains(e.Code.Code, "NotFound") || strings.Contains(e.Code.Code, "NoSuch"):
			code = "NotFound"
		case strings.Contains(e.Code.Code, "AccessDenied") || e.Code.Code == "AuthorizationError" || e.Code.Code == "UnauthorizedOperation":
			code = "AccessDenied"
		case e.Code.Sender:
			code = "InvalidRequest"
		}
		return fmt.Sprintf("Resource handler returned message: %q (HandlerErrorCode: %s)", e.Message, code)
	}
	return err.Error()
}

// plainMessage is an error's message without its code.
func plainMessage(err error) string {
	var e *awserr.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

// dynamicRef matches {{resolve:service:...}}.
var dynamicRef = lazyre.New(`\{\{resolve:(ssm|ssm-secure|secretsmanager):([^}]*)\}\}`)

// resolveDynamic replaces dynamic references in every string of v.
func (c *CloudFormation) resolveDynamic(ctx *request.Context, v any) (any, error) {
	switch x := v.(type) {
	case string:
		if !strings.Contains(x, "{{resolve:") {
			return x, nil
		}
		var firstErr error
		out := dynamicRef.ReplaceAllStringFunc(x, func(m string) string {
			sub := dynamicRef.FindStringSubmatch(m)
			val, err := c.dynamic(ctx, sub[1], sub[2])
			if err != nil && firstErr == nil {
				firstErr = err
			}
			return val
		})
		return out, firstErr
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			r, err := c.resolveDynamic(ctx, e)
			if err != nil {
				return nil, err
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			r, err := c.resolveDynamic(ctx, e)
			if err != nil {
				return nil, err
			}
			out[i] = r
		}
		return out, nil
	}
	return v, nil
}

func (c *CloudFormation) dynamic(ctx *request.Context, svc, ref string) (string, error) {
	switch svc {
	case "ssm", "ssm-secure":
		name := ref
		if i := strings.LastIndex(ref, ":"); i > 0 && !strings.HasPrefix(ref, "arn:") {
			name = ref[:i] + ":" + ref[i+1:]
		}
		if c.lookups.SSMParameter == nil {
			return "", validation("Parameter %s not found", ref)
		}
		v, err := c.lookups.SSMParameter(ctx, name)
		if err != nil {
			return "", validation("Parameters: [ssm:%s] cannot be found.", ref)
		}
		return v, nil
	case "secretsmanager":
		// secret-id:SecretString:json-key:version-stage:version-id, the
		// secret id itself possibly an ARN with colons.
		id, rest := ref, ""
		if strings.HasPrefix(ref, "arn:") {
			parts := strings.SplitN(ref, ":", 8)
			if len(parts) >= 7 {
				id = strings.Join(parts[:7], ":")
				if len(parts) == 8 {
					rest = parts[7]
				}
			}
		} else if i := strings.Index(ref, ":"); i >= 0 {
			id, rest = ref[:i], ref[i+1:]
		}
		f := strings.Split(rest, ":")
		for len(f) < 4 {
			f = append(f, "")
		}
		if c.lookups.Secret == nil {
			return "", validation("Secrets Manager can't find the specified secret.")
		}
		v, err := c.lookups.Secret(ctx, id, f[2], f[3])
		if err != nil {
			return "", fmt.Errorf("%s", failureReason(err))
		}
		if f[1] != "" {
			var m map[string]any
			if json.Unmarshal([]byte(v), &m) != nil {
				return "", validation("Could not parse SecretString JSON")
			}
			s, ok := scalarString(m[f[1]])
			if !ok {
				return "", validation("Could not find SecretString key %s", f[1])
			}
			return s, nil
		}
		return v, nil
	}
	return "", validation("unsupported dynamic reference %s", svc)
}

// stackTags are the stack's tags as a resource's Tags property.
func (s *stackRec) tagList() []any {
	out := make([]any, 0, len(s.Tags))
	for _, t := range s.Tags {
		out = append(out, map[string]any{"Key": t.Key, "Value": t.Value})
	}
	return out
}

// withTags adds the stack's tags (and AWS's aws:cloudformation:* tags)
// to the properties of a type that takes tags, keeping the template's own.
func withTags(s *stackRec, logical string, props map[string]any) map[string]any {
	have := map[string]bool{}
	var tags []any
	if l, ok := props["Tags"].([]any); ok {
		tags = append(tags, l...)
		for _, t := range l {
			if m, ok := t.(map[string]any); ok {
				k, _ := m["Key"].(string)
				have[k] = true
			}
		}
	}
	for _, t := range s.tagList() {
		k := t.(map[string]any)["Key"].(string)
		if !have[k] {
			tags = append(tags, t)
		}
	}
	out := make(map[string]any, len(props)+1)
	for k, v := range props {
		out[k] = v
	}
	if len(tags) > 0 {
		out["Tags"] = tags
	}
	_ = logical
	return out
}

// provision creates or updates resources in order; it returns the
// logical id that failed, with why.
type runState struct {
	s       *stackRec
	t       *template
	ev      *evaluator
	created []string // logical ids created by this operation, in order
}

func (c *CloudFormation) save(s *stackRec) {
	sc := storage.Scope{Account: s.Account, Region: s.Region}
	err := c.mutate(sc, s.ID, func(cur *stackRec) error {
		// What other calls change meanwhile is kept: termination
		// protection, the stack policy, a nested stack's parent.
		tp, pol, parent, root := cur.TerminationProtection, cur.Policy, cur.ParentID, cur.RootID
		*cur = *s
		cur.TerminationProtection, cur.Policy, cur.ParentID, cur.RootID = tp, pol, parent, root
		return nil
	})
	if err != nil {
		c.log.Error("cloudformation: saving stack", "stack", s.Name, "err", err)
	}
}

// props resolves a resource's properties.
func (c *CloudFormation) props(ctx *request.Context, rs *runState, logical string) (map[string]any, error) {
	def := rs.t.Resources[logical]
	r, err := rs.ev.resolveValue(def.Properties)
	if err != nil {
		return nil, err
	}
	r, err = c.resolveDynamic(ctx, r)
	if err != nil {
		return nil, err
	}
	m, _ := r.(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	if p, ok := c.providers(def.Type); ok && p.Tags {
		m = withTags(rs.s, logical, m)
	}
	return m, nil
}

func (c *CloudFormation) createOne(ctx *request.Context, rs *runState, logical string) error {
	def := rs.t.Resources[logical]
	s := rs.s
	rec := &resourceRec{LogicalID: logical, Type: def.Type, Status: "CREATE_IN_PROGRESS", Updated: c.clock.Now().UTC(),
		DeletionPolicy: def.DeletionPolicy, UpdateReplacePolicy: def.UpdateReplacePolicy, DependsOn: def.DependsOn}
	if def.Metadata != nil {
		if b, err := json.Marshal(def.Metadata); err == nil {
			rec.Metadata = string(b)
		}
	}
	s.Resources[logical] = rec
	c.event(s, logical, "", def.Type, "CREATE_IN_PROGRESS", "", nil)
	c.save(s)
	props, err := c.props(ctx, rs, logical)
	if err == nil {
		rec.Props = props
		var res kit.ResourceResult
		res, err = c.create(ctx, rs, logical, def.Type, props)
		if err == nil {
			rec.PhysicalID, rec.Ref, rec.Attrs = res.PhysicalID, res.Ref, res.Attributes
			if rec.Ref == "" {
				rec.Ref = res.PhysicalID
			}
			rs.created = append(rs.created, logical)
			rs.ev.resources[logical] = resolvedResource{Ref: rec.Ref, Attrs: rec.Attrs}
			c.event(s, logical, rec.PhysicalID, def.Type, "CREATE_IN_PROGRESS", "Resource creation Initiated", props)
			c.save(s)
			// A CreationPolicy holds the resource until its signals come.
			err = c.awaitCreationPolicy(ctx, rs, logical)
		}
		if err == nil {
			rec.Status, rec.Updated = "CREATE_COMPLETE", c.clock.Now().UTC()
			c.event(s, logical, rec.PhysicalID, def.Type, "CREATE_COMPLETE", "", props)
			c.save(s)
			return nil
		}
	}
	reason := failureReason(err)
	rec.Status, rec.Reason, rec.Updated = "CREATE_FAILED", reason, c.clock.Now().UTC()
	c.event(s, logical, rec.PhysicalID, def.Type, "CREATE_FAILED", reason, props)
	c.save(s)
	return err
}

// create calls the type's provider (or CloudFormation's own types).
func (c *CloudFormation) create(ctx *request.Context, rs *runState, logical, typ string, props map[string]any) (kit.ResourceResult, error) {
	req := kit.ResourceRequest{LogicalID: logical, StackName: rs.s.Name, StackID: rs.s.ID, Properties: props}
	if rs.s.Status == "UPDATE_IN_PROGRESS" && c.isCancelled(rs.s.ID) {
		return kit.ResourceResult{}, errCancelled()
	}
	if c.builtin(typ) {
		return c.builtinCreate(ctx, rs, req, typ)
	}
	if isCustom(typ) {
		return c.custom(ctx, rs.s, "Create", logical, typ, "", props, nil)
	}
	p, ok := c.providers(typ)
	if !ok || p.Create == nil {
		return kit.ResourceResult{}, fmt.Errorf("niwa has no provider for resource type %s", typ)
	}
	return p.Create(ctx, req)
}

func (c *CloudFormation) builtinCreate(ctx *request.Context, rs *runState, req kit.ResourceRequest, typ string) (kit.ResourceResult, error) {
	switch typ {
	case nestedType:
		return c.createNested(ctx, rs, req)
	case "AWS::CloudFormation::WaitConditionHandle":
		// A presigned-style URL on niwa's endpoint (signals.go).
		return kit.ResourceResult{PhysicalID: c.handleURL(rs.s, req.LogicalID)}, nil
	case cdkMetadataType:
		// What CDK reports of the app (its Analytics string): nothing
		// to create, as on AWS.
		return kit.ResourceResult{PhysicalID: awsid.UUID()}, nil
	case "AWS::CloudFormation::WaitCondition":
		return c.waitCondition(ctx, rs, req)
	}
	return kit.ResourceResult{}, fmt.Errorf("niwa has no provider for resource type %s", typ)
}

// deleteOne deletes a resource (or keeps it, as its DeletionPolicy says).
func (c *CloudFormation) deleteOne(ctx *request.Context, s *stackRec, rec *resourceRec, policy string) error {
	if policy == "Retain" || policy == "Snapshot" || policy == "RetainExceptOnCreate" {
		rec.Status, rec.Updated = "DELETE_SKIPPED", c.clock.Now().UTC()
		c.event(s, rec.LogicalID, rec.PhysicalID, rec.Type, "DELETE_SKIPPED", "", nil)
		c.save(s)
		return nil
	}
	rec.Status = "DELETE_IN_PROGRESS"
	c.event(s, rec.LogicalID, rec.PhysicalID, rec.Type, "DELETE_IN_PROGRESS", "", nil)
	c.save(s)
	var err error
	if rec.PhysicalID != "" && rec.Type == nestedType {
		err = c.deleteNested(ctx, rec.PhysicalID)
	} else if rec.PhysicalID != "" && isCustom(rec.Type) {
		_, err = c.custom(ctx, s, "Delete", rec.LogicalID, rec.Type, rec.PhysicalID, rec.Props, nil)
	} else if rec.PhysicalID != "" && !c.builtin(rec.Type) {
		p, ok := c.providers(rec.Type)
		if ok && p.Delete != nil {
			err = p.Delete(ctx, kit.ResourceRequest{LogicalID: rec.LogicalID, StackName: s.Name, StackID: s.ID,
				PhysicalID: rec.PhysicalID, Properties: rec.Props, Attributes: rec.Attrs})
		}
	}
	if err != nil {
		rec.Status, rec.Reason = "DELETE_FAILED", failureReason(err)
		c.event(s, rec.LogicalID, rec.PhysicalID, rec.Type, "DELETE_FAILED", rec.Reason, nil)
		c.save(s)
		return err
	}
	rec.Status, rec.Reason, rec.Updated = "DELETE_COMPLETE", "", c.clock.Now().UTC()
	c.event(s, rec.LogicalID, rec.PhysicalID, rec.Type, "DELETE_COMPLETE", "", nil)
	c.save(s)
	return nil
}

// outputs evaluates the template's outputs and checks export names.
func (c *CloudFormation) outputs(rs *runState) ([]outputRec, error) {
	var out []outputRec
	sc := storage.Scope{Account: rs.s.Account, Region: rs.s.Region}
	for _, k := range sortedKeys(rs.t.Outputs) {
		o := rs.t.Outputs[k]
		if cond, ok := o["Condition"].(string); ok {
			v, err := rs.ev.condition(cond)
			if err != nil {
				return nil, err
			}
			if !v {
				continue
			}
		}
		v, err := rs.ev.resolveValue(o["Value"])
		if err != nil {
			return nil, err
		}
		val, ok := scalarString(v)
		if !ok {
			if l, isList := v.([]any); isList {
				parts := make([]string, 0, len(l))
				for _, x := range l {
					p, _ := scalarString(x)
					parts = append(parts, p)
				}
				val = strings.Join(parts, ",")
			} else {
				return nil, templateError("Template error: Outputs %s Value must resolve to a String", k)
			}
		}
		rec := outputRec{Key: k, Value: val}
		rec.Description, _ = o["Description"].(string)
		if ex, ok := o["Export"].(map[string]any); ok {
			nv, err := rs.ev.resolveValue(ex["Name"])
			if err != nil {
				return nil, err
			}
			name, _ := scalarString(nv)
			if _, owner, taken := c.export(sc, name); taken && owner != rs.s.ID {
				return nil, validation("Export with name %s is already exported by stack %s", name, stackNameOf(owner))
			}
			rec.ExportName = name
		}
		out = append(out, rec)
	}
	return out, nil
}

func stackNameOf(id string) string {
	parts := strings.Split(id, "/")
	if len(parts) >= 2 {
		return parts[1]
	}
	return id
}

// runCreate creates a new stack's resources; it runs on its own
// goroutine.
func (c *CloudFormation) runCreate(s *stackRec, t *template, params map[string]any, onFailure string) {
	ctx := c.opContext(s)
	rs := &runState{s: s, t: t, ev: c.newEvaluator(s, t, params)}
	order, err := activeOrder(t, rs.ev)
	var failed []string
	if err == nil {
		for _, l := range order {
			if ctx.Err() != nil {
				return
			}
			if err = c.createOne(ctx, rs, l); err != nil {
				failed = append(failed, l)
				break
			}
		}
	}
	if err == nil {
		var outs []outputRec
		outs, err = c.outputs(rs)
		if err == nil {
			s.Outputs = outs
			c.stackEvent(s, "CREATE_COMPLETE", "")
			c.save(s)
			return
		}
	}
	reason := plainMessage(err) + ". "
	if len(failed) > 0 {
		reason = "The following resource(s) failed to create: [" + strings.Join(failed, ", ") + "]. "
	}
	switch onFailure {
	case "DO_NOTHING":
		c.stackEvent(s, "CREATE_FAILED", reason)
		c.save(s)
		return
	case "DELETE":
		c.stackEvent(s, "ROLLBACK_IN_PROGRESS", reason+"Delete requested by user.")
	default:
		c.stackEvent(s, "ROLLBACK_IN_PROGRESS", reason+"Rollback requested by user.")
	}
	c.save(s)
	rollbackFailed := false
	for i := len(order) - 1; i >= 0; i-- {
		rec := s.Resources[order[i]]
		if rec == nil || rec.Status == "DELETE_COMPLETE" {
			continue
		}
		if rec.PhysicalID == "" {
			rec.Status = "DELETE_COMPLETE"
			c.event(s, rec.LogicalID, "", rec.Type, "DELETE_COMPLETE", "", nil)
			continue
		}
		policy := ""
		if rec.DeletionPolicy == "Retain" {
			policy = "Retain"
		}
		if c.deleteOne(ctx, s, rec, policy) != nil {
			rollbackFailed = true
		}
	}
	if rollbackFailed {
		c.stackEvent(s, "ROLLBACK_FAILED", "The following resource(s) failed to delete: ["+strings.Join(failedDeletes(s), ", ")+"]. ")
	} else if onFailure == "DELETE" {
		c.stackEvent(s, "DELETE_COMPLETE", "")
		s.Deleted = c.clock.Now().UTC()
	} else {
		c.stackEvent(s, "ROLLBACK_COMPLETE", "")
	}
	c.save(s)
}

func failedDeletes(s *stackRec) []string {
	var out []string
	for _, l := range sortedKeys(s.Resources) {
		if s.Resources[l].Status == "DELETE_FAILED" {
			out = append(out, l)
		}
	}
	return out
}

// deleteOrder is the order to delete a stack's resources in: the
// reverse of their dependencies.
func deleteOrder(s *stackRec) []string {
	deps := map[string][]string{}
	for l, r := range s.Resources {
		var d []string
		for _, x := range r.DependsOn {
			if _, ok := s.Resources[x]; ok {
				d = append(d, x)
			}
		}
		walkRefsIn(r, s, func(n string) {
			if _, ok := s.Resources[n]; ok && n != l {
				d = append(d, n)
			}
		})
		deps[l] = d
	}
	order, err := topoOrder(deps)
	if err != nil {
		order = sortedKeys(s.Resources)
	}
	for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
		order[i], order[j] = order[j], order[i]
	}
	return order
}

// walkRefsIn finds the resources r's template definition refers to.
func walkRefsIn(r *resourceRec, s *stackRec, fn func(string)) {
	t, err := stackTemplate(s)
	if err != nil {
		return
	}
	if def, ok := t.Resources[r.LogicalID]; ok {
		walkRefs(def.Properties, func(n string, _ bool) { fn(n) })
	}
}

// runDelete deletes a stack's resources; it runs on its own goroutine.
func (c *CloudFormation) runDelete(s *stackRec, retain map[string]bool) {
	ctx := c.opContext(s)
	sc := storage.Scope{Account: s.Account, Region: s.Region}
	for _, o := range s.Outputs {
		if o.ExportName == "" {
			continue
		}
		if users := c.importers(sc, o.ExportName, s.ID); len(users) > 0 {
			c.stackEvent(s, "DELETE_FAILED", "Export "+o.ExportName+" cannot be deleted as it is in use by "+strings.Join(users, " and "))
			c.save(s)
			return
		}
	}
	failed := false
	for _, l := range deleteOrder(s) {
		if ctx.Err() != nil {
			return
		}
		rec := s.Resources[l]
		if rec.Status == "DELETE_COMPLETE" || rec.Status == "DELETE_SKIPPED" {
			continue
		}
		policy := rec.DeletionPolicy
		if retain[l] {
			policy = "Retain"
		}
		if rec.PhysicalID == "" {
			rec.Status = "DELETE_COMPLETE"
			c.event(s, l, "", rec.Type, "DELETE_COMPLETE", "", nil)
			continue
		}
		if c.deleteOne(ctx, s, rec, policy) != nil {
			failed = true
		}
	}
	if failed {
		c.stackEvent(s, "DELETE_FAILED", "The following resource(s) failed to delete: ["+strings.Join(failedDeletes(s), ", ")+"]. ")
		c.save(s)
		return
	}
	s.Deleted = c.clock.Now().UTC()
	c.stackEvent(s, "DELETE_COMPLETE", "")
	c.save(s)
}

// importers names the live stacks importing an export.
func (c *CloudFormation) importers(sc storage.Scope, name, except string) []string {
	all, err := c.all(sc)
	if err != nil {
		return nil
	}
	var out []string
	for _, s := range all {
		if s.ID == except || s.Status == "DELETE_COMPLETE" {
			continue
		}
		for _, i := range s.Imports {
			if i == name {
				out = append(out, s.Name)
			}
		}
	}
	return out
}

// change is what an update does to one resource.
type change struct {
	Logical, Type string
	Action        string // Add, Modify, Remove
	Replacement   string // True, False, Conditional
	Changed       []string
	// Recreated are the properties of Changed whose change needs a new
	// resource (RequiresRecreation: Always).
	Recreated []string
}

// changedProps lists the top-level properties whose values differ.
func changedProps(old, new map[string]any) []string {
	keys := map[string]bool{}
	for k := range old {
		keys[k] = true
	}
	for k := range new {
		keys[k] = true
	}
	var out []string
	for k := range keys {
		a, _ := json.Marshal(old[k])
		b, _ := json.Marshal(new[k])
		if string(a) != string(b) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func (c *CloudFormation) needsReplacement(typ string, old, new map[string]any, changed []string) bool {
	return len(c.recreated(typ, old, new, changed)) > 0
}

// recreated lists the changed top-level properties (of changed, which
// changedProps(old, new) gave) whose change needs a new physical
// resource: every one for types updated only by replacement, those the
// provider's Replace names, and those holding a nested Replace path
// ("HealthCheckConfig.Type") whose value changed.
func (c *CloudFormation) recreated(typ string, old, new map[string]any, changed []string) []string {
	if isCustom(typ) {
		// Custom resources get an Update request; a new physical id in
		// the response is the provider's replacement.
		for _, ch := range changed {
			if ch == "ServiceToken" {
				return []string{ch}
			}
		}
		return nil
	}
	if typ == nestedType {
		return nil
	}
	if c.builtin(typ) {
		return changed
	}
	p, ok := c.providers(typ)
	if !ok || p.Update == nil {
		return changed
	}
	var out []string
	for _, ch := range changed {
		for _, r := range p.Replace {
			top, rest, nested := strings.Cut(r, ".")
			if top == ch && (!nested || pathChanged(old[ch], new[ch], rest)) {
				out = append(out, ch)
				break
			}
		}
	}
	return out
}

// pathChanged reports whether the value at a dotted path below a
// property differs between old and new; a list on the way applies the
// rest of the path to each of its elements ("Listeners.Port" compares
// every listener's Port, and a listener added or taken away).
func pathChanged(old, new any, path string) bool {
	a, _ := json.Marshal(atPath(old, path))
	b, _ := json.Marshal(atPath(new, path))
	return string(a) != string(b)
}

func atPath(v any, path string) any {
	switch x := v.(type) {
	case map[string]any:
		seg, rest, more := strings.Cut(path, ".")
		if !more {
			return x[seg]
		}
		return atPath(x[seg], rest)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = atPath(e, path)
		}
		return out
	}
	return nil
}

// runUpdate moves a stack to a new template; it runs on its own
// goroutine. prev is the stack as it was, to roll back to.
func (c *CloudFormation) runUpdate(s *stackRec, t *template, params map[string]any, prev stackRec) {
	ctx := c.opContext(s)
	rs := &runState{s: s, t: t, ev: c.newEvaluator(s, t, params)}
	order, err := activeOrder(t, rs.ev)
	wanted := map[string]bool{}
	for _, l := range order {
		wanted[l] = true
	}
	// replaced are old resources superseded by new physical ones, to
	// delete in cleanup (or to restore on rollback).
	replaced := map[string]*resourceRec{}
	var failed []string
	if err == nil {
		for _, l := range order {
			if ctx.Err() != nil {
				return
			}
			old, exists := s.Resources[l]
			def := t.Resources[l]
			if !exists || old.Status == "DELETE_COMPLETE" || old.PhysicalID == "" {
				if err = c.createOne(ctx, rs, l); err != nil {
					failed = append(failed, l)
					break
				}
				continue
			}
			var props map[string]any
			props, err = c.props(ctx, rs, l)
			if err != nil {
				failed = append(failed, l)
				old.Status, old.Reason = "UPDATE_FAILED", failureReason(err)
				c.event(s, l, old.PhysicalID, old.Type, "UPDATE_FAILED", old.Reason, nil)
				break
			}
			changed := changedProps(old.Props, props)
			old.DeletionPolicy, old.UpdateReplacePolicy, old.DependsOn = def.DeletionPolicy, def.UpdateReplacePolicy, def.DependsOn
			if old.Type == def.Type && len(changed) == 0 {
				rs.ev.resources[l] = resolvedResource{Ref: old.Ref, Attrs: old.Attrs}
				continue
			}
			if old.Type != def.Type || c.needsReplacement(def.Type, old.Props, props, changed) {
				prevRec := *old
				c.event(s, l, old.PhysicalID, def.Type, "UPDATE_IN_PROGRESS", "Requested update requires the creation of a new physical resource; hence creating one.", props)
				res, cerr := c.create(ctx, rs, l, def.Type, props)
				if cerr != nil {
					err = cerr
					failed = append(failed, l)
					old.Status, old.Reason = "UPDATE_FAILED", failureReason(cerr)
					c.event(s, l, old.PhysicalID, def.Type, "UPDATE_FAILED", old.Reason, props)
					break
				}
				replaced[l] = &prevRec
				rec := &resourceRec{LogicalID: l, Type: def.Type, PhysicalID: res.PhysicalID, Ref: res.Ref, Attrs: res.Attributes,
					Props: props, Status: "UPDATE_COMPLETE", Updated: c.clock.Now().UTC(), DeletionPolicy: def.DeletionPolicy,
					UpdateReplacePolicy: def.UpdateReplacePolicy, DependsOn: def.DependsOn, Metadata: old.Metadata}
				if rec.Ref == "" {
					rec.Ref = rec.PhysicalID
				}
				s.Resources[l] = rec
				rs.ev.resources[l] = resolvedResource{Ref: rec.Ref, Attrs: rec.Attrs}
				c.event(s, l, rec.PhysicalID, def.Type, "UPDATE_IN_PROGRESS", "Resource creation Initiated", props)
				c.event(s, l, rec.PhysicalID, def.Type, "UPDATE_COMPLETE", "", props)
				c.save(s)
				continue
			}
			c.event(s, l, old.PhysicalID, def.Type, "UPDATE_IN_PROGRESS", "", props)
			res, uerr := c.update(ctx, s, def.Type, kit.ResourceRequest{LogicalID: l, StackName: s.Name, StackID: s.ID, PhysicalID: old.PhysicalID,
				Properties: props, OldProperties: old.Props, Attributes: old.Attrs})
			if uerr != nil {
				err = uerr
				failed = append(failed, l)
				old.Status, old.Reason = "UPDATE_FAILED", failureReason(uerr)
				c.event(s, l, old.PhysicalID, def.Type, "UPDATE_FAILED", old.Reason, props)
				break
			}
			old.Props = props
			if isCustom(def.Type) && res.PhysicalID != "" && res.PhysicalID != old.PhysicalID {
				// A new physical id from a custom resource replaces it:
				// the old one gets a Delete request in cleanup.
				prevRec := *old
				replaced[l] = &prevRec
				old.PhysicalID, old.Ref = res.PhysicalID, res.PhysicalID
			}
			if res.Attributes != nil {
				old.Attrs = res.Attributes
			}
			if res.Ref != "" {
				old.Ref = res.Ref
			}
			old.Status, old.Reason, old.Updated = "UPDATE_COMPLETE", "", c.clock.Now().UTC()
			rs.ev.resources[l] = resolvedResource{Ref: old.Ref, Attrs: old.Attrs}
			c.event(s, l, old.PhysicalID, def.Type, "UPDATE_COMPLETE", "", props)
			c.save(s)
		}
	}
	if err == nil {
		var outs []outputRec
		outs, err = c.outputs(rs)
		if err == nil {
			s.Outputs = outs
			c.stackEvent(s, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "")
			c.save(s)
			for l, old := range replaced {
				policy := old.UpdateReplacePolicy
				if c.deleteOne(ctx, s, old, policy) != nil {
					c.log.Warn("cloudformation: cleanup of replaced resource failed", "stack", s.Name, "resource", l)
				}
				s.Resources[l].Status = "UPDATE_COMPLETE"
			}
			for _, l := range deleteOrder(s) {
				rec := s.Resources[l]
				if wanted[l] || rec == nil {
					continue
				}
				if rec.PhysicalID != "" && rec.Status != "DELETE_COMPLETE" {
					_ = c.deleteOne(ctx, s, rec, rec.DeletionPolicy)
				}
				delete(s.Resources, l)
			}
			c.stackEvent(s, "UPDATE_COMPLETE", "")
			c.save(s)
			return
		}
	}
	reason := plainMessage(err) + ". "
	if len(failed) > 0 {
		reason = "The following resource(s) failed to update: [" + strings.Join(failed, ", ") + "]. "
	}
	cancelled := c.isCancelled(s.ID)
	if cancelled {
		// CancelUpdateStack rolls back whatever DisableRollback says.
		reason = "Stack update cancelled"
	}
	if s.DisableRollback && !cancelled {
		c.stackEvent(s, "UPDATE_FAILED", reason)
		c.save(s)
		return
	}
	c.stackEvent(s, "UPDATE_ROLLBACK_IN_PROGRESS", reason)
	c.save(s)
	// Roll back: resources changed in place go back to their old
	// properties, replaced ones to their old physical resource; new
	// ones are deleted in cleanup.
	for l, oldRec := range prev.Resources {
		cur := s.Resources[l]
		if cur == nil {
			continue
		}
		if r, ok := replaced[l]; ok {
			newRec := cur
			s.Resources[l] = r
			r.Status = "UPDATE_COMPLETE"
			c.event(s, l, r.PhysicalID, r.Type, "UPDATE_COMPLETE", "", nil)
			replaced[l] = newRec
			continue
		}
		if cur.Status == "UPDATE_COMPLETE" || cur.Status == "UPDATE_FAILED" {
			if cur.Status == "UPDATE_COMPLETE" {
				p, ok := c.providers(cur.Type)
				if (ok && p.Update != nil) || isCustom(cur.Type) {
					c.event(s, l, cur.PhysicalID, cur.Type, "UPDATE_IN_PROGRESS", "", nil)
					_, uerr := c.update(ctx, s, cur.Type, kit.ResourceRequest{LogicalID: l, StackName: s.Name, StackID: s.ID,
						PhysicalID: cur.PhysicalID, Properties: oldRec.Props, OldProperties: cur.Props, Attributes: cur.Attrs})
					if uerr != nil {
						c.event(s, l, cur.PhysicalID, cur.Type, "UPDATE_FAILED", failureReason(uerr), nil)
						continue
					}
				}
			}
			restored := *oldRec
			restored.Status = "UPDATE_COMPLETE"
			s.Resources[l] = &restored
			c.event(s, l, restored.PhysicalID, restored.Type, "UPDATE_COMPLETE", "", nil)
		}
	}
	c.stackEvent(s, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "")
	c.save(s)
	for l, r := range replaced {
		if _, wasOld := prev.Resources[l]; wasOld && r.PhysicalID != prev.Resources[l].PhysicalID {
			_ = c.deleteOne(ctx, s, r, "")
			s.Resources[l] = prev.Resources[l]
			s.Resources[l].Status = "UPDATE_COMPLETE"
		}
	}
	for i := len(rs.created) - 1; i >= 0; i-- {
		l := rs.created[i]
		if _, wasOld := prev.Resources[l]; wasOld {
			continue
		}
		if rec := s.Resources[l]; rec != nil {
			_ = c.deleteOne(ctx, s, rec, "")
			delete(s.Resources, l)
		}
	}
	for l, rec := range s.Resources {
		if _, wasOld := prev.Resources[l]; !wasOld && rec.Status == "CREATE_FAILED" {
			delete(s.Resources, l)
		}
	}
	s.Template, s.Params, s.Outputs, s.Tags = prev.Template, prev.Params, prev.Outputs, prev.Tags
	c.stackEvent(s, "UPDATE_ROLLBACK_COMPLETE", "")
	c.save(s)
}

// update changes a resource in place.
func (c *CloudFormation) update(ctx *request.Context, s *stackRec, typ string, req kit.ResourceRequest) (kit.ResourceResult, error) {
	if c.isCancelled(s.ID) && s.Status == "UPDATE_IN_PROGRESS" {
		return kit.ResourceResult{}, errCancelled()
	}
	if isCustom(typ) {
		return c.custom(ctx, s, "Update", req.LogicalID, typ, req.PhysicalID, req.Properties, req.OldProperties)
	}
	if typ == nestedType {
		return c.updateNested(ctx, req)
	}
	p, ok := c.providers(typ)
	if !ok || p.Update == nil {
		return kit.ResourceResult{}, fmt.Errorf("niwa has no provider for resource type %s", typ)
	}
	return p.Update(ctx, req)
}

// start runs an operation on its own goroutine, stopped by Close and
// Reset.
func (c *CloudFormation) start(fn func()) {
	c.ops.Add(1)
	go func() {
		defer c.ops.Done()
		defer func() {
			if r := recover(); r != nil {
				c.log.Error("cloudformation: stack operation panicked", "panic", r)
			}
		}()
		fn()
	}()
}

var errStopped = errors.New("stopped")

func ptrStr(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

var _ = time.Second
var _ = errStopped
