package ssm

import (
	"regexp"
	"slices"
	"strings"

	ssmapi "github.com/niwa-cloud/niwa/internal/api/ssm"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

var amiValue = lazyre.New(`^ami-([0-9a-f]{8}|[0-9a-f]{17})$`)

// putPlan is what PutParameter decided before its transaction.
type putPlan struct {
	typ, tier, keyID, dataType string
	description, pattern       *string
	policies                   []policy
	removePolicies, hasPolicy  bool
	sealed, dataKey            []byte
}

// PutParameter creates a parameter or, with Overwrite, a new version of
// it.
func (s *SSM) PutParameter(ctx *request.Context, in *ssmapi.PutParameterInput) (*ssmapi.PutParameterOutput, error) {
	name, value := ptr.Deref(in.Name), ptr.Deref(in.Value)
	if err := checkName(name); err != nil {
		return nil, err
	}
	overwrite := ptr.Deref(in.Overwrite)
	if overwrite && len(in.Tags) > 0 {
		return nil, awserr.ValidationException.New("Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or RemoveTagsFromResource.")
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	plan := putPlan{typ: ptr.Deref(in.Type), tier: ptr.Deref(in.Tier), keyID: ptr.Deref(in.KeyId), dataType: ptr.Deref(in.DataType),
		description: in.Description, pattern: in.AllowedPattern}
	switch plan.dataType {
	case "", "text", "aws:ec2:image", "aws:ssm:integration":
	default:
		return nil, awserr.ValidationException.New("The following data type is not supported: %s (Data type names are all lowercase.)", plan.dataType)
	}
	if in.Policies != nil {
		pols, remove, err := parsePolicies(*in.Policies, ctx.Now())
		if err != nil {
			return nil, err
		}
		plan.policies, plan.removePolicies, plan.hasPolicy = pols, remove, true
	}
	if plan.pattern != nil && *plan.pattern != "" {
		re, err := regexp.Compile("^(?:" + *plan.pattern + ")$")
		if err != nil {
			return nil, ssmapi.ErrInvalidAllowedPatternException.New("The allowed pattern %s is not a valid regular expression.", *plan.pattern)
		}
		if !re.MatchString(value) {
			return nil, ssmapi.ErrParameterPatternMismatchException.New("Parameter value, cannot be validated against allowedPattern: %s", *plan.pattern)
		}
	}
	sc := scope(ctx)

	// What the new version inherits from the current one decides the
	// key to encrypt under, so read it first (the transaction below
	// checks again).
	var prev *version
	if err := s.store.View(func(tx storage.Tx) error {
		p, ok, err := params.Get(tx, sc, name)
		if err != nil || !ok {
			return err
		}
		v, ok, err := versions.Get(tx, sc, name, verKey(p.Latest))
		if ok {
			prev = &v
		}
		return err
	}); err != nil {
		return nil, err
	}
	if err := s.planPut(ctx, &plan, prev, name, value, overwrite); err != nil {
		return nil, err
	}

	var out ssmapi.PutParameterOutput
	var evs []events.Event
	err := s.store.Update(func(tx storage.Tx) error {
		p, exists, err := params.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if exists && !overwrite {
			return ssmapi.ErrParameterAlreadyExists.New("The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
		}
		var cur *version
		if exists {
			v, ok, err := versions.Get(tx, sc, name, verKey(p.Latest))
			if err != nil {
				return err
			}
			if ok {
				cur = &v
			}
		}
		if (cur == nil) != (prev == nil) || cur != nil && (cur.Type != prev.Type || cur.Tier != prev.Tier) {
			return ssmapi.ErrTooManyUpdates.New("There are concurrent updates for the resource that you're trying to update.")
		}
		v := version{Type: plan.typ, Tier: plan.tier, KeyID: plan.keyID, DataType: plan.dataType, Policies: plan.policies,
			Modified: ctx.Now(), User: ctx.Caller.ARN}
		if v.secure() {
			v.Sealed, v.DataKey = plan.sealed, plan.dataKey
		} else {
			v.Value = value
		}
		if plan.description != nil {
			v.Description = *plan.description
		} else if cur != nil {
			v.Description = cur.Description
		}
		if plan.pattern != nil {
			v.AllowedPattern = *plan.pattern
		} else if cur != nil {
			v.AllowedPattern = cur.AllowedPattern
		}
		if err := s.countTier(tx, sc, cur, v.Tier); err != nil {
			return err
		}
		if !exists {
			p = param{Name: name, Oldest: 1, Created: ctx.Now()}
			for _, t := range in.Tags {
				p.Tags = append(p.Tags, tag{ptr.Deref(t.Key), ptr.Deref(t.Value)})
			}
		} else if p.Latest-p.Oldest+1 >= maxVersions {
			old, _, err := versions.Get(tx, sc, name, verKey(p.Oldest))
			if err != nil {
				return err
			}
			if len(old.Labels) > 0 {
				return ssmapi.ErrParameterMaxVersionLimitExceeded.New("You attempted to create a new version of %s by calling the PutParameter API with the overwrite flag. Version %d, the oldest version, can't be deleted because it has a label associated with it. Move the label to another version of the parameter, and try again.", name, p.Oldest)
			}
			if err := versions.Delete(tx, sc, name, verKey(p.Oldest)); err != nil {
				return err
			}
			p.Oldest++
		}
		p.Latest++
		v.Version = p.Latest
		schedule(v.Policies, v.Modified)
		if err := reschedule(tx, sc, &p, &v); err != nil {
			return err
		}
		if err := versions.Put(tx, sc, v, name, verKey(v.Version)); err != nil {
			return err
		}
		if err := params.Put(tx, sc, p, name); err != nil {
			return err
		}
		op := "Create"
		if exists {
			op = "Update"
		}
		evs = append(evs, changeEvent(sc, name, v.Type, v.Description, op, v.Modified))
		out = ssmapi.PutParameterOutput{Version: ptr.To(v.Version), Tier: ptr.To(v.Tier)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.publish(evs)
	if len(plan.policies) > 0 {
		s.armPolicies()
	}
	return &out, nil
}

// planPut settles type, tier, key, data type and policies against the
// current version and encrypts a SecureString value.
func (s *SSM) planPut(ctx *request.Context, plan *putPlan, prev *version, name, value string, overwrite bool) error {
	if prev != nil && !overwrite {
		return ssmapi.ErrParameterAlreadyExists.New("The parameter already exists. To overwrite this value, set the overwrite option in the request to true.")
	}
	if plan.typ == "" {
		if prev == nil {
			return awserr.ValidationException.New("A parameter type is required when you create a parameter.")
		}
		plan.typ = prev.Type
	}
	if prev != nil && plan.typ != prev.Type && strings.Contains(trimSlash(name), "/") {
		return ssmapi.ErrHierarchyTypeMismatchException.New("Parameter Store does not support changing a parameter type in a hierarchy. For example, you can't change a parameter from a String type to a SecureString type. You must create a new, unique parameter.")
	}
	if plan.keyID != "" && plan.typ != "SecureString" {
		return awserr.ValidationException.New("KeyId is required for SecureString type parameter only.")
	}
	if plan.dataType == "" {
		plan.dataType = "text"
		if prev != nil {
			plan.dataType = prev.DataType
		}
	}
	if plan.dataType == "aws:ec2:image" {
		if plan.typ != "String" {
			return awserr.ValidationException.New("Parameter Store only supports data type aws:ec2:image for String type parameters.")
		}
		if !amiValue.MatchString(value) {
			return awserr.ValidationException.New("Parameter value %s for data type aws:ec2:image is not valid. The value must be in the format ami-12345abcdeEXAMPLE.", value)
		}
	}
	if !plan.hasPolicy && prev != nil {
		// Policies stay until replaced or removed with "[{}]".
		plan.policies = slices.Clone(prev.Policies)
		for i := range plan.policies {
			plan.policies[i].Status = policyPending
		}
	}
	// Tier: Standard by default; Intelligent-Tiering picks Advanced only
	// when the value or policies need it; an advanced parameter never
	// goes back to Standard.
	size := len(value)
	switch plan.tier {
	case "":
		plan.tier = "Standard"
		if prev != nil {
			plan.tier = prev.Tier
		}
	case "Intelligent-Tiering":
		plan.tier = "Standard"
		if size > maxStandard || len(plan.policies) > 0 || prev != nil && prev.Tier == "Advanced" {
			plan.tier = "Advanced"
		}
	}
	if prev != nil && prev.Tier == "Advanced" && plan.tier == "Standard" {
		return awserr.ValidationException.New("This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.")
	}
	if plan.tier == "Standard" && size > maxStandard {
		return awserr.ValidationException.New("Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html")
	}
	if size > maxAdvanced {
		return awserr.ValidationException.New("Advanced tier parameters support a maximum parameter value of 8192 characters.")
	}
	if plan.tier == "Standard" && len(plan.policies) > 0 {
		return awserr.ValidationException.New("Parameter policies are supported only for advanced-tier parameters. To use parameter policies, upgrade the parameter to use the advanced-parameter tier.")
	}
	if plan.typ == "SecureString" {
		if plan.keyID == "" {
			plan.keyID = defaultKey
			if prev != nil && prev.secure() {
				plan.keyID = prev.KeyID
			}
		}
		var err error
		if plan.sealed, plan.dataKey, err = s.seal(ctx, name, plan.keyID, value); err != nil {
			return err
		}
	}
	if plan.dataType == "aws:ec2:image" && s.opts.Images != nil {
		ok, err := s.opts.Images.Exists(ctx, value)
		if err != nil {
			return err
		}
		if !ok {
			return awserr.ValidationException.New("Parameter value %s for data type aws:ec2:image is not valid: the image does not exist or is not available to this account.", value)
		}
	}
	return nil
}

// countTier keeps the region's per-tier counts and enforces the quotas.
func (s *SSM) countTier(tx storage.Tx, sc storage.Scope, cur *version, tier string) error {
	if cur != nil && cur.Tier == tier {
		return nil
	}
	c, _, err := tally.Get(tx, sc, "tiers")
	if err != nil {
		return err
	}
	if cur != nil {
		c.add(cur.Tier, -1)
	}
	c.add(tier, 1)
	if c.Standard > maxStandardParams {
		return ssmapi.ErrParameterLimitExceeded.New("You have exceeded the number of parameters for this AWS account. Delete one or more parameters and try again. Advanced parameters support a higher limit: upgrade a parameter to the advanced-parameter tier.")
	}
	if c.Advanced > maxAdvancedParams {
		return ssmapi.ErrParameterLimitExceeded.New("You have exceeded the number of advanced parameters for this AWS account. Delete one or more parameters and try again.")
	}
	return tally.Put(tx, sc, c, "tiers")
}

func (c *counts) add(tier string, n int) {
	if tier == "Advanced" {
		c.Advanced += n
	} else {
		c.Standard += n
	}
}

// deleteParam removes a parameter, its versions and its schedule.
func (s *SSM) deleteParam(tx storage.Tx, sc storage.Scope, p *param) error {
	cur, _, err := versions.Get(tx, sc, p.Name, verKey(p.Latest))
	if err != nil {
		return err
	}
	if err := unschedule(tx, p); err != nil {
		return err
	}
	if err := storage.DeletePrefix(tx, versions.Key(sc, p.Name)); err != nil {
		return err
	}
	if err := params.Delete(tx, sc, p.Name); err != nil {
		return err
	}
	c, _, err := tally.Get(tx, sc, "tiers")
	if err != nil {
		return err
	}
	c.add(cur.Tier, -1)
	return tally.Put(tx, sc, c, "tiers")
}

// DeleteParameter deletes a parameter and every version of it.
func (s *SSM) DeleteParameter(ctx *request.Context, in *ssmapi.DeleteParameterInput) (*ssmapi.DeleteParameterOutput, error) {
	name := ptr.Deref(in.Name)
	if isPublic(name) {
		return nil, awserr.AccessDeniedException.New("No access to reserved parameter name: %s.", name)
	}
	sc := scope(ctx)
	var evs []events.Event
	err := s.store.Update(func(tx storage.Tx) error {
		ev, ok, err := s.deleteOne(ctx, tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound()
		}
		evs = append(evs, ev)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.publish(evs)
	return &ssmapi.DeleteParameterOutput{}, nil
}

func (s *SSM) deleteOne(ctx *request.Context, tx storage.Tx, sc storage.Scope, name string) (events.Event, bool, error) {
	p, ok, err := params.Get(tx, sc, name)
	if err != nil || !ok {
		return events.Event{}, false, err
	}
	v, _, err := versions.Get(tx, sc, name, verKey(p.Latest))
	if err != nil {
		return events.Event{}, false, err
	}
	if err := s.deleteParam(tx, sc, &p); err != nil {
		return events.Event{}, false, err
	}
	return changeEvent(sc, name, v.Type, v.Description, "Delete", ctx.Now()), true, nil
}

// DeleteParameters deletes up to 10 parameters; names that do not exist
// are InvalidParameters.
func (s *SSM) DeleteParameters(ctx *request.Context, in *ssmapi.DeleteParametersInput) (*ssmapi.DeleteParametersOutput, error) {
	sc := scope(ctx)
	out := ssmapi.DeleteParametersOutput{DeletedParameters: []string{}, InvalidParameters: []string{}}
	var evs []events.Event
	err := s.store.Update(func(tx storage.Tx) error {
		seen := map[string]bool{}
		for _, name := range in.Names {
			if seen[name] {
				continue
			}
			seen[name] = true
			ev, ok, err := s.deleteOne(ctx, tx, sc, name)
			if err != nil {
				return err
			}
			if ok {
				out.DeletedParameters = append(out.DeletedParameters, name)
				evs = append(evs, ev)
			} else {
				out.InvalidParameters = append(out.InvalidParameters, name)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.publish(evs)
	return &out, nil
}

// found is a resolved parameter version.
type found struct {
	name string
	v    version
	// public is set for a public parameter (v is synthesized).
	public bool
}

// resolve finds the version a reference selects, inside tx.
func (s *SSM) resolve(ctx *request.Context, tx storage.Tx, r ref) (found, error) {
	sc := scope(ctx)
	if isPublic(r.Name) {
		pp, ok := s.publicParam(ctx.Region, r.Name)
		if !ok || r.Label != "" || r.Version > 1 {
			if ok && r.Version > 1 {
				return found{}, errVersionNotFound(r.Version, r.Name)
			}
			return found{}, errNotFound()
		}
		return found{name: pp.Name, public: true, v: version{Version: 1, Type: "String", Value: pp.Value, Tier: "Standard", DataType: "text", Modified: pp.Modified}}, nil
	}
	name := r.Name
	p, ok, err := params.Get(tx, sc, name)
	if err == nil && !ok && r.Alt != "" {
		name = r.Alt
		p, ok, err = params.Get(tx, sc, name)
	}
	if err != nil {
		return found{}, err
	}
	if !ok {
		return found{}, errNotFound()
	}
	switch {
	case r.Version > 0:
		if r.Version < p.Oldest || r.Version > p.Latest {
			return found{}, errVersionNotFound(r.Version, name)
		}
		v, ok, err := versions.Get(tx, sc, name, verKey(r.Version))
		if err != nil {
			return found{}, err
		}
		if !ok {
			return found{}, errVersionNotFound(r.Version, name)
		}
		return found{name: name, v: v}, nil
	case r.Label != "":
		var hit *version
		err := versions.List(tx, sc, []string{name}, storage.ListOptions{}, func(_ []string, v version) bool {
			if slices.Contains(v.Labels, r.Label) {
				hit = &v
				return false
			}
			return true
		})
		if err != nil {
			return found{}, err
		}
		if hit == nil {
			return found{}, errNotFound()
		}
		return found{name: name, v: *hit}, nil
	}
	v, ok, err := versions.Get(tx, sc, name, verKey(p.Latest))
	if err != nil {
		return found{}, err
	}
	if !ok {
		return found{}, errNotFound()
	}
	return found{name: name, v: v}, nil
}

// parameter renders a found version, decrypting a SecureString when
// asked (as the caller, outside any transaction).
func (s *SSM) parameter(ctx *request.Context, f found, selector string, decrypt bool) (ssmapi.Parameter, error) {
	sc := scope(ctx)
	a := arn(sc, f.name)
	if f.public {
		a = publicARN(ctx.Region, f.name)
	}
	out := ssmapi.Parameter{Name: ptr.To(f.name), Type: ptr.To(f.v.Type), Version: ptr.To(f.v.Version),
		LastModifiedDate: ptr.To(f.v.Modified), ARN: ptr.To(a), DataType: ptr.To(f.v.DataType)}
	if selector != "" {
		out.Selector = ptr.To(selector)
	}
	value := f.v.Value
	if f.v.secure() {
		value = ciphertext(&f.v)
		if decrypt {
			pt, err := s.open(ctx, sc, f.name, &f.v)
			if err != nil {
				return out, err
			}
			value = pt
		}
	}
	out.Value = ptr.To(value)
	return out, nil
}

// GetParameter reads one parameter: the latest version, or the one a
// ":version" or ":label" selector names.
func (s *SSM) GetParameter(ctx *request.Context, in *ssmapi.GetParameterInput) (*ssmapi.GetParameterOutput, error) {
	r, err := parseRef(ptr.Deref(in.Name), ctx.Account, ctx.Region)
	if err != nil {
		return nil, err
	}
	var f found
	if err := s.store.View(func(tx storage.Tx) error {
		f, err = s.resolve(ctx, tx, r)
		return err
	}); err != nil {
		return nil, err
	}
	p, err := s.parameter(ctx, f, r.Selector, ptr.Deref(in.WithDecryption))
	if err != nil {
		return nil, err
	}
	return &ssmapi.GetParameterOutput{Parameter: &p}, nil
}

// GetParameters reads up to 10 parameters; references that name nothing
// are InvalidParameters, as given.
func (s *SSM) GetParameters(ctx *request.Context, in *ssmapi.GetParametersInput) (*ssmapi.GetParametersOutput, error) {
	out := ssmapi.GetParametersOutput{Parameters: []ssmapi.Parameter{}, InvalidParameters: []string{}}
	type hit struct {
		f   found
		sel string
	}
	var hits []hit
	seen := map[string]bool{}
	if err := s.store.View(func(tx storage.Tx) error {
		for _, n := range in.Names {
			if seen[n] {
				continue
			}
			seen[n] = true
			r, err := parseRef(n, ctx.Account, ctx.Region)
			if err == nil {
				var f found
				if f, err = s.resolve(ctx, tx, r); err == nil {
					hits = append(hits, hit{f, r.Selector})
					continue
				}
			}
			var e *awserr.Error
			if !asAWS(err, &e) {
				return err
			}
			out.InvalidParameters = append(out.InvalidParameters, n)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	for _, h := range hits {
		p, err := s.parameter(ctx, h.f, h.sel, ptr.Deref(in.WithDecryption))
		if err != nil {
			return nil, err
		}
		out.Parameters = append(out.Parameters, p)
	}
	return &out, nil
}

// GetParameterHistory lists every kept version of a parameter, oldest
// first, 50 a page by default.
func (s *SSM) GetParameterHistory(ctx *request.Context, in *ssmapi.GetParameterHistoryInput) (*ssmapi.GetParameterHistoryOutput, error) {
	name := ptr.Deref(in.Name)
	sc := scope(ctx)
	limit := int(ptr.Deref(in.MaxResults))
	if limit == 0 {
		limit = 50
	}
	var after []string
	if in.NextToken != nil {
		t, err := decodeToken(*in.NextToken)
		if err != nil {
			return nil, err
		}
		after = []string{name, t}
	}
	var vs []version
	more := false
	if err := s.store.View(func(tx storage.Tx) error {
		_, ok, err := params.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound()
		}
		return versions.List(tx, sc, []string{name}, storage.ListOptions{After: after, Limit: limit + 1}, func(_ []string, v version) bool {
			if len(vs) == limit {
				more = true
				return false
			}
			vs = append(vs, v)
			return true
		})
	}); err != nil {
		return nil, err
	}
	out := ssmapi.GetParameterHistoryOutput{Parameters: []ssmapi.ParameterHistory{}}
	for _, v := range vs {
		h := ssmapi.ParameterHistory{Name: ptr.To(name), Type: ptr.To(v.Type), LastModifiedDate: ptr.To(v.Modified),
			LastModifiedUser: ptr.To(v.User), Version: ptr.To(v.Version), Labels: append([]string{}, v.Labels...),
			Tier: ptr.To(v.Tier), Policies: v.inlinePolicies(), DataType: ptr.To(v.DataType)}
		if v.KeyID != "" {
			h.KeyId = ptr.To(v.KeyID)
		}
		if v.Description != "" {
			h.Description = ptr.To(v.Description)
		}
		if v.AllowedPattern != "" {
			h.AllowedPattern = ptr.To(v.AllowedPattern)
		}
		value := v.Value
		if v.secure() {
			value = ciphertext(&v)
			if ptr.Deref(in.WithDecryption) {
				pt, err := s.open(ctx, sc, name, &v)
				if err != nil {
					return nil, err
				}
				value = pt
			}
		}
		h.Value = ptr.To(value)
		out.Parameters = append(out.Parameters, h)
	}
	if more {
		out.NextToken = ptr.To(encodeToken(verKey(vs[len(vs)-1].Version)))
	}
	return &out, nil
}

// metadata renders a version for DescribeParameters.
func metadata(sc storage.Scope, name string, v *version) ssmapi.ParameterMetadata {
	m := ssmapi.ParameterMetadata{Name: ptr.To(name), ARN: ptr.To(arn(sc, name)), Type: ptr.To(v.Type), LastModifiedDate: ptr.To(v.Modified),
		LastModifiedUser: ptr.To(v.User), Version: ptr.To(v.Version), Tier: ptr.To(v.Tier), Policies: v.inlinePolicies(), DataType: ptr.To(v.DataType)}
	if v.KeyID != "" {
		m.KeyId = ptr.To(v.KeyID)
	}
	if v.Description != "" {
		m.Description = ptr.To(v.Description)
	}
	if v.AllowedPattern != "" {
		m.AllowedPattern = ptr.To(v.AllowedPattern)
	}
	return m
}
