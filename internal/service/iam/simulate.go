package iam

import (
	"strconv"
	"strings"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	policy "github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// PolicyDoc is one policy that applies to a principal, with where it
// comes from (for decisions and the simulator's MatchedStatements).
type PolicyDoc struct {
	// ID names the policy: the ARN of a managed policy, the name of an
	// inline one.
	ID string
	// Type is the simulator's SourcePolicyType: "user", "group", "role"
	// (inline policies), "aws-managed" or "IAM Policy" (managed).
	Type     string
	Document string
}

// EntityPolicies returns the identity-based policies of a user (with its
// groups') or role, and its permissions boundary. The authorizer and the
// simulator both read principals' policies through it, so they see the
// same ones.
func (s *IAM) EntityPolicies(arn string) (identity []PolicyDoc, boundary *PolicyDoc, found bool, err error) {
	a, ok := parseIAMARN(arn)
	if !ok {
		return nil, nil, false, nil
	}
	add := func(kind string, attached []AttachedPolicy, inline []InlinePolicy) error {
		for _, ap := range attached {
			doc, ok, err := s.ManagedPolicyDocument(a.Account, ap.ARN)
			if err != nil {
				return err
			}
			if ok {
				identity = append(identity, PolicyDoc{ID: ap.ARN, Type: managedType(ap.ARN), Document: doc})
			}
		}
		for _, ip := range inline {
			identity = append(identity, PolicyDoc{ID: ip.Name, Type: kind, Document: ip.Document})
		}
		return nil
	}
	var boundaryARN string
	switch a.Kind {
	case "user":
		u, ok, err := s.UserByName(a.Account, a.Name)
		if err != nil || !ok {
			return nil, nil, false, err
		}
		if err := add("user", u.AttachedPolicies, u.InlinePolicies); err != nil {
			return nil, nil, false, err
		}
		for _, g := range u.Groups {
			grp, ok, err := s.GroupByName(a.Account, g)
			if err != nil {
				return nil, nil, false, err
			}
			if ok {
				if err := add("group", grp.AttachedPolicies, grp.InlinePolicies); err != nil {
					return nil, nil, false, err
				}
			}
		}
		boundaryARN = u.PermissionsBoundary
	case "role":
		r, ok, err := s.RoleByARN(arn)
		if err != nil || !ok {
			return nil, nil, false, err
		}
		if err := add("role", r.AttachedPolicies, r.InlinePolicies); err != nil {
			return nil, nil, false, err
		}
		boundaryARN = r.PermissionsBoundary
	case "group":
		g, ok, err := s.GroupByName(a.Account, a.Name)
		if err != nil || !ok {
			return nil, nil, false, err
		}
		if err := add("group", g.AttachedPolicies, g.InlinePolicies); err != nil {
			return nil, nil, false, err
		}
	default:
		return nil, nil, false, nil
	}
	if boundaryARN != "" {
		doc, ok, err := s.ManagedPolicyDocument(a.Account, boundaryARN)
		if err != nil {
			return nil, nil, false, err
		}
		if !ok {
			doc = `{"Version":"2012-10-17","Statement":[]}`
		}
		boundary = &PolicyDoc{ID: boundaryARN, Type: "PermissionsBoundaryPolicy", Document: doc}
	}
	return identity, boundary, true, nil
}

func managedType(arn string) string {
	if strings.HasPrefix(arn, "arn:aws:iam::aws:policy/") {
		return "aws-managed"
	}
	return "IAM Policy"
}

// SimulatePrincipalPolicy evaluates actions for a user, group or role with
// the same engine that authorizes requests.
func (s *IAM) SimulatePrincipalPolicy(ctx *request.Context, in *iamapi.SimulatePrincipalPolicyInput) (*iamapi.SimulatePrincipalPolicyOutput, error) {
	src, err := required("policySourceArn", in.PolicySourceArn)
	if err != nil {
		return nil, err
	}
	docs, boundary, ok, err := s.EntityPolicies(src)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, iamapi.ErrNoSuchEntityException.New("The entity %s cannot be found.", src)
	}
	for i, d := range in.PolicyInputList {
		docs = append(docs, PolicyDoc{ID: "PolicyInputList." + strconv.Itoa(i+1), Type: "IAM Policy", Document: d})
	}
	for i, d := range in.PermissionsBoundaryPolicyInputList {
		boundary = &PolicyDoc{ID: "PermissionsBoundaryPolicyInputList." + strconv.Itoa(i+1), Type: "PermissionsBoundaryPolicy", Document: d}
	}
	caller := ptr.Deref(in.CallerArn)
	if caller == "" {
		caller = src
	}
	return simulate(ctx, caller, docs, boundary, in.ActionNames, in.ResourceArns, in.ResourcePolicy, in.ResourceOwner, in.ContextEntries)
}

// SimulateCustomPolicy evaluates actions against the given policies only.
func (s *IAM) SimulateCustomPolicy(ctx *request.Context, in *iamapi.SimulateCustomPolicyInput) (*iamapi.SimulateCustomPolicyOutput, error) {
	var docs []PolicyDoc
	for i, d := range in.PolicyInputList {
		docs = append(docs, PolicyDoc{ID: "PolicyInputList." + strconv.Itoa(i+1), Type: "IAM Policy", Document: d})
	}
	var boundary *PolicyDoc
	for i, d := range in.PermissionsBoundaryPolicyInputList {
		boundary = &PolicyDoc{ID: "PermissionsBoundaryPolicyInputList." + strconv.Itoa(i+1), Type: "PermissionsBoundaryPolicy", Document: d}
	}
	caller := ptr.Deref(in.CallerArn)
	if caller == "" {
		caller = "arn:aws:iam::" + ctx.Account + ":user/simulated"
	}
	out, err := simulate(ctx, caller, docs, boundary, in.ActionNames, in.ResourceArns, in.ResourcePolicy, in.ResourceOwner, in.ContextEntries)
	if err != nil {
		return nil, err
	}
	return (*iamapi.SimulateCustomPolicyOutput)(out), nil
}

func simulate(ctx *request.Context, caller string, docs []PolicyDoc, boundary *PolicyDoc, actions, resources []string,
	resourcePolicy, resourceOwner *string, entries []iamapi.ContextEntry) (*iamapi.SimulatePrincipalPolicyOutput, error) {
	if len(actions) == 0 {
		return nil, validation("Value null at 'actionNames' failed to satisfy constraint: Member must not be null")
	}
	parse := func(d PolicyDoc) (*policy.Policy, error) {
		p, err := policy.Parse(d.Document)
		if err != nil {
			return nil, iamapi.ErrInvalidInputException.New("Invalid Policy: %s", err.Error())
		}
		p.Source = d.ID
		return p, nil
	}
	types := map[*policy.Policy]string{}
	var pols policy.Policies
	for _, d := range docs {
		p, err := parse(d)
		if err != nil {
			return nil, err
		}
		types[p] = d.Type
		pols.Identity = append(pols.Identity, p)
	}
	if boundary != nil {
		p, err := parse(*boundary)
		if err != nil {
			return nil, err
		}
		types[p] = boundary.Type
		pols.Boundary = p
	}
	if resourcePolicy != nil {
		p, err := parse(PolicyDoc{ID: "ResourcePolicy", Document: *resourcePolicy})
		if err != nil {
			return nil, err
		}
		types[p] = "resource"
		pols.Resource = p
		pols.ResourceAccount = ctx.Account
		if o := ptr.Deref(resourceOwner); o != "" {
			if a, ok := parseIAMARN(o); ok {
				pols.ResourceAccount = a.Account
			} else if parts := strings.Split(o, ":"); len(parts) > 4 {
				pols.ResourceAccount = parts[4]
			}
		}
	}
	principal := SimulationPrincipal(caller)
	kctx := policy.Context{}
	for _, e := range entries {
		if k := ptr.Deref(e.ContextKeyName); k != "" {
			kctx[strings.ToLower(k)] = append([]string(nil), e.ContextKeyValues...)
		}
	}
	if _, set := kctx["aws:username"]; !set {
		if a, ok := parseIAMARN(caller); ok && a.Kind == "user" {
			kctx.Set("aws:username", a.Name)
		}
	}
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	out := &iamapi.SimulatePrincipalPolicyOutput{IsTruncated: ptr.To(false), EvaluationResults: []iamapi.EvaluationResult{}}
	for _, action := range actions {
		if !strings.Contains(action, ":") {
			return nil, iamapi.ErrInvalidInputException.New("Actions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.")
		}
		for _, res := range resources {
			req := policy.Request{Principal: principal, Action: action, Resource: res, Context: kctx}
			d := policy.Evaluate(req, pols)
			r := iamapi.EvaluationResult{
				EvalActionName: ptr.To(action), EvalResourceName: ptr.To(res), EvalDecision: ptr.To(d.Reason.String()),
				MatchedStatements: []iamapi.Statement{}, MissingContextValues: dedupe(d.MissingContext),
			}
			for _, m := range d.Matched {
				r.MatchedStatements = append(r.MatchedStatements, iamapi.Statement{
					SourcePolicyId: ptr.To(m.Policy.Source), SourcePolicyType: ptr.To(types[m.Policy]),
				})
			}
			if pols.Boundary != nil {
				allowed := !(d.Reason == policy.ImplicitDeny && d.Layer == policy.LayerBoundary) &&
					!(d.Reason == policy.ExplicitDeny && d.Layer == policy.LayerBoundary)
				r.PermissionsBoundaryDecisionDetail = &iamapi.PermissionsBoundaryDecisionDetail{AllowedByPermissionsBoundary: ptr.To(allowed)}
			}
			out.EvaluationResults = append(out.EvaluationResults, r)
		}
	}
	return out, nil
}

// SimulationPrincipal is the principal a simulation runs as: an IAM user,
// role (as one of its sessions) or the root of an account.
func SimulationPrincipal(arn string) policy.Principal {
	p := policy.Principal{ARN: arn}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 {
		p.Account = parts[4]
	}
	if a, ok := parseIAMARN(arn); ok && a.Kind == "role" {
		p.RoleARN = arn
	}
	return p
}

func dedupe(in []string) []string {
	out := []string{}
	seen := map[string]bool{}
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
