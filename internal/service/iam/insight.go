package iam

import (
	"sort"
	"strconv"
	"strings"
	"time"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// What IAM tells about policies without evaluating a request: the context
// keys they read (GetContextKeysFor*), the policies that grant a service
// (ListPoliciesGrantingServiceAccess), service last accessed reports; and
// the SAML provider tags and STS token preference.

// contextKeys collects the condition keys and policy variables of docs,
// each once (keys are case-insensitive; the first spelling wins), sorted.
func contextKeys(docs []string) ([]string, error) {
	seen := map[string]bool{}
	var out []string
	add := func(k string) {
		if !seen[lower(k)] {
			seen[lower(k)] = true
			out = append(out, k)
		}
	}
	for _, d := range docs {
		doc := decodeDocument(d)
		_, stmts, ok := parseDocument(doc)
		if !ok {
			return nil, malformed("Syntax errors in policy.")
		}
		for _, st := range stmts {
			block, _ := st["Condition"].(map[string]any)
			for _, kv := range block {
				m, _ := kv.(map[string]any)
				for k := range m {
					add(k)
				}
			}
			for _, field := range []string{"Resource", "NotResource"} {
				for _, r := range stringsOf(st[field]) {
					for {
						i := strings.Index(r, "${")
						if i < 0 {
							break
						}
						j := strings.IndexByte(r[i:], '}')
						if j < 0 {
							break
						}
						v := r[i+2 : i+j]
						if name, _, _ := strings.Cut(v, ","); strings.Contains(name, ":") {
							add(strings.TrimSpace(name))
						}
						r = r[i+j+1:]
					}
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return lower(out[i]) < lower(out[j]) })
	return out, nil
}

func (s *IAM) GetContextKeysForCustomPolicy(_ *request.Context, in *iamapi.GetContextKeysForCustomPolicyInput) (*iamapi.GetContextKeysForCustomPolicyOutput, error) {
	keys, err := contextKeys(in.PolicyInputList)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetContextKeysForCustomPolicyOutput{ContextKeyNames: keys}, nil
}

func (s *IAM) GetContextKeysForPrincipalPolicy(_ *request.Context, in *iamapi.GetContextKeysForPrincipalPolicyInput) (*iamapi.GetContextKeysForPrincipalPolicyOutput, error) {
	src, err := required("policySourceArn", in.PolicySourceArn)
	if err != nil {
		return nil, err
	}
	docs, _, ok, err := s.EntityPolicies(src)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, iamapi.ErrNoSuchEntityException.New("The entity %s cannot be found.", src)
	}
	all := append([]string{}, in.PolicyInputList...)
	for _, d := range docs {
		all = append(all, d.Document)
	}
	keys, err := contextKeys(all)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetContextKeysForPrincipalPolicyOutput{ContextKeyNames: keys}, nil
}

// grantsService reports whether a document allows some action of the
// service namespace.
func grantsService(doc, namespace string) bool {
	_, stmts, ok := parseDocument(doc)
	if !ok {
		return false
	}
	for _, st := range stmts {
		if st["Effect"] != "Allow" {
			continue
		}
		if _, not := st["NotAction"]; not {
			excluded := false
			for _, a := range stringsOf(st["NotAction"]) {
				v, _, _ := strings.Cut(lower(a), ":")
				if a == "*" || v == namespace && strings.HasSuffix(a, ":*") {
					excluded = true
				}
			}
			if !excluded {
				return true
			}
			continue
		}
		for _, a := range stringsOf(st["Action"]) {
			v, _, _ := strings.Cut(lower(a), ":")
			if a == "*" || v == namespace || wildcardMatch(v, namespace) {
				return true
			}
		}
	}
	return false
}

func wildcardMatch(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if wildcardMatch(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && wildcardMatch(pattern[1:], s[1:])
	}
	return s != "" && s[0] == pattern[0] && wildcardMatch(pattern[1:], s[1:])
}

// ListPoliciesGrantingServiceAccess lists, per namespace, the policies of
// a user, group or role (a user's groups' included) that allow an action
// of that service.
func (s *IAM) ListPoliciesGrantingServiceAccess(ctx *request.Context, in *iamapi.ListPoliciesGrantingServiceAccessInput) (*iamapi.ListPoliciesGrantingServiceAccessOutput, error) {
	arn, err := required("arn", in.Arn)
	if err != nil {
		return nil, err
	}
	a, ok := parseIAMARN(arn)
	if !ok || a.Account != ctx.Account || (a.Kind != "user" && a.Kind != "group" && a.Kind != "role") {
		return nil, invalidARN(arn)
	}
	type source struct {
		policy                      PolicyDoc
		name, arn, entity, entityTy string
	}
	var sources []source
	collect := func(entityType, entity string, attached []AttachedPolicy, inline []InlinePolicy) error {
		for _, ap := range attached {
			doc, ok, err := s.ManagedPolicyDocument(ctx.Account, ap.ARN)
			if err != nil {
				return err
			}
			if ok {
				sources = append(sources, source{policy: PolicyDoc{Type: "MANAGED", Document: doc}, name: ap.Name, arn: ap.ARN})
			}
		}
		for _, ip := range inline {
			sources = append(sources, source{policy: PolicyDoc{Type: "INLINE", Document: ip.Document}, name: ip.Name, entity: entity, entityTy: entityType})
		}
		return nil
	}
	switch a.Kind {
	case "user":
		u, ok, err := s.UserByName(ctx.Account, a.Name)
		if err != nil || !ok {
			return nil, firstErr(err, noSuchUser(a.Name))
		}
		if err := collect("USER", u.Name, u.AttachedPolicies, u.InlinePolicies); err != nil {
			return nil, err
		}
		for _, gn := range u.Groups {
			g, ok, err := s.GroupByName(ctx.Account, gn)
			if err != nil {
				return nil, err
			}
			if ok {
				if err := collect("GROUP", g.Name, g.AttachedPolicies, g.InlinePolicies); err != nil {
					return nil, err
				}
			}
		}
	case "group":
		g, ok, err := s.GroupByName(ctx.Account, a.Name)
		if err != nil || !ok {
			return nil, firstErr(err, noSuchGroup(a.Name))
		}
		if err := collect("GROUP", g.Name, g.AttachedPolicies, g.InlinePolicies); err != nil {
			return nil, err
		}
	case "role":
		r, ok, err := s.RoleByName(ctx.Account, a.Name)
		if err != nil || !ok {
			return nil, firstErr(err, noSuchRole(a.Name))
		}
		if err := collect("ROLE", r.Name, r.AttachedPolicies, r.InlinePolicies); err != nil {
			return nil, err
		}
	}
	out := &iamapi.ListPoliciesGrantingServiceAccessOutput{PoliciesGrantingServiceAccess: []iamapi.ListPoliciesGrantingServiceAccessEntry{}, IsTruncated: ptr.To(false)}
	for _, ns := range in.ServiceNamespaces {
		e := iamapi.ListPoliciesGrantingServiceAccessEntry{ServiceNamespace: ptr.To(ns), Policies: []iamapi.PolicyGrantingServiceAccess{}}
		for _, src := range sources {
			if !grantsService(src.policy.Document, lower(ns)) {
				continue
			}
			p := iamapi.PolicyGrantingServiceAccess{PolicyName: ptr.To(src.name), PolicyType: ptr.To(src.policy.Type)}
			if src.arn != "" {
				p.PolicyArn = ptr.To(src.arn)
			} else {
				p.EntityType, p.EntityName = ptr.To(src.entityTy), ptr.To(src.entity)
			}
			e.Policies = append(e.Policies, p)
		}
		out.PoliciesGrantingServiceAccess = append(out.PoliciesGrantingServiceAccess, e)
	}
	return out, nil
}

func firstErr(err, otherwise error) error {
	if err != nil {
		return err
	}
	return otherwise
}

// --- service last accessed details ---------------------------------------

// accessJob is a GenerateServiceLastAccessedDetails job: the services the
// entity's policies allow, computed when the job is made. niwa does not
// record which service each principal last called, so no service carries
// a LastAuthenticated date.
type accessJob struct {
	Created  time.Time `json:"created"`
	Services []string  `json:"services"`
	Actions  bool      `json:"actions,omitempty"`
}

func (s *IAM) GenerateServiceLastAccessedDetails(ctx *request.Context, in *iamapi.GenerateServiceLastAccessedDetailsInput) (*iamapi.GenerateServiceLastAccessedDetailsOutput, error) {
	arn, err := required("arn", in.Arn)
	if err != nil {
		return nil, err
	}
	var docs []string
	if a, ok := parseIAMARN(arn); ok && a.Kind == "policy" {
		doc, found, err := s.ManagedPolicyDocument(ctx.Account, arn)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, policyNotFound(arn)
		}
		docs = []string{doc}
	} else {
		pols, _, found, err := s.EntityPolicies(arn)
		if err != nil {
			return nil, err
		}
		if !found {
			return nil, iamapi.ErrNoSuchEntityException.New("The entity %s cannot be found.", arn)
		}
		for _, p := range pols {
			docs = append(docs, p.Document)
		}
	}
	seen := map[string]bool{}
	for _, d := range docs {
		_, stmts, ok := parseDocument(d)
		if !ok {
			continue
		}
		for _, st := range stmts {
			if st["Effect"] != "Allow" {
				continue
			}
			for _, a := range stringsOf(st["Action"]) {
				if v, _, found := strings.Cut(lower(a), ":"); found && !strings.ContainsAny(v, "*?") {
					seen[v] = true
				}
			}
		}
	}
	job := accessJob{Created: now(ctx), Actions: ptr.Deref(in.Granularity) == "ACTION_LEVEL"}
	for v := range seen {
		job.Services = append(job.Services, v)
	}
	sort.Strings(job.Services)
	id := awsid.UUID()
	err = s.store.Update(func(tx storage.Tx) error { return accessJobs.Put(tx, scope(ctx), job, id) })
	if err != nil {
		return nil, err
	}
	return &iamapi.GenerateServiceLastAccessedDetailsOutput{JobId: ptr.To(id)}, nil
}

func (s *IAM) GetServiceLastAccessedDetails(ctx *request.Context, in *iamapi.GetServiceLastAccessedDetailsInput) (*iamapi.GetServiceLastAccessedDetailsOutput, error) {
	id, err := required("jobId", in.JobId)
	if err != nil {
		return nil, err
	}
	p, err := newPage(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	var job accessJob
	var found bool
	err = s.store.View(func(tx storage.Tx) error {
		job, found, err = accessJobs.Get(tx, scope(ctx), id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, iamapi.ErrNoSuchEntityException.New("No such job %s", id)
	}
	start, end, res := p.sliceWindow(len(job.Services), func(i int) string { return job.Services[i] })
	jobType := "SERVICE_LEVEL"
	if job.Actions {
		jobType = "ACTION_LEVEL"
	}
	out := &iamapi.GetServiceLastAccessedDetailsOutput{JobStatus: ptr.To("COMPLETED"), JobType: ptr.To(jobType), JobCreationDate: ptr.To(job.Created),
		JobCompletionDate: ptr.To(job.Created), ServicesLastAccessed: []iamapi.ServiceLastAccessed{}, IsTruncated: res.IsTruncated, Marker: res.Marker}
	for _, v := range job.Services[start:end] {
		out.ServicesLastAccessed = append(out.ServicesLastAccessed, iamapi.ServiceLastAccessed{
			ServiceName: ptr.To(v), ServiceNamespace: ptr.To(v), TotalAuthenticatedEntities: ptr.To(int32(0)),
		})
	}
	return out, nil
}

func (s *IAM) GetServiceLastAccessedDetailsWithEntities(ctx *request.Context, in *iamapi.GetServiceLastAccessedDetailsWithEntitiesInput) (*iamapi.GetServiceLastAccessedDetailsWithEntitiesOutput, error) {
	id, err := required("jobId", in.JobId)
	if err != nil {
		return nil, err
	}
	var job accessJob
	var found bool
	err = s.store.View(func(tx storage.Tx) error {
		job, found, err = accessJobs.Get(tx, scope(ctx), id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, iamapi.ErrNoSuchEntityException.New("No such job %s", id)
	}
	return &iamapi.GetServiceLastAccessedDetailsWithEntitiesOutput{JobStatus: ptr.To("COMPLETED"), JobCreationDate: ptr.To(job.Created),
		JobCompletionDate: ptr.To(job.Created), EntityDetailsList: []iamapi.EntityDetails{}, IsTruncated: ptr.To(false)}, nil
}

// --- SAML provider tags, STS preferences ----------------------------------

func (s *IAM) updateSAML(ctx *request.Context, arnIn *string, fn func(r *samlProviderRecord) error) error {
	name, err := samlName(ctx, arnIn)
	if err != nil {
		return err
	}
	return s.store.Update(func(tx storage.Tx) error {
		r, ok, err := samlProviders.Get(tx, scope(ctx), name)
		if err != nil {
			return err
		}
		if !ok {
			return iamapi.ErrNoSuchEntityException.New("Manifest not found for arn %s", ptr.Deref(arnIn))
		}
		if err := fn(&r); err != nil {
			return err
		}
		return samlProviders.Put(tx, scope(ctx), r, name)
	})
}

func (s *IAM) TagSAMLProvider(ctx *request.Context, in *iamapi.TagSAMLProviderInput) (*iamapi.TagSAMLProviderOutput, error) {
	return empty[iamapi.TagSAMLProviderOutput](s.updateSAML(ctx, in.SAMLProviderArn, func(r *samlProviderRecord) error {
		t, err := mergeTags(r.Tags, in.Tags)
		r.Tags = t
		return err
	}))
}

func (s *IAM) UntagSAMLProvider(ctx *request.Context, in *iamapi.UntagSAMLProviderInput) (*iamapi.UntagSAMLProviderOutput, error) {
	return empty[iamapi.UntagSAMLProviderOutput](s.updateSAML(ctx, in.SAMLProviderArn, func(r *samlProviderRecord) error {
		r.Tags = removeTags(r.Tags, in.TagKeys)
		return nil
	}))
}

func (s *IAM) ListSAMLProviderTags(ctx *request.Context, in *iamapi.ListSAMLProviderTagsInput) (*iamapi.ListSAMLProviderTagsOutput, error) {
	r, err := s.viewSAML(ctx, in.SAMLProviderArn)
	if err != nil {
		return nil, err
	}
	list, res, err := pageTags(r.Tags, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListSAMLProviderTagsOutput{Tags: list, IsTruncated: res.IsTruncated, Marker: res.Marker}, nil
}

// SetSecurityTokenServicePreferences records which session tokens the
// global STS endpoint issues (GetAccountSummary's
// GlobalEndpointTokenVersion: 1 for v1Token, 2 for v2Token). niwa issues
// the same tokens either way.
func (s *IAM) SetSecurityTokenServicePreferences(ctx *request.Context, in *iamapi.SetSecurityTokenServicePreferencesInput) (*iamapi.SetSecurityTokenServicePreferencesOutput, error) {
	v := ptr.Deref(in.GlobalEndpointTokenVersion)
	if v != "v1Token" && v != "v2Token" {
		return nil, validation("Value '%s' at 'globalEndpointTokenVersion' failed to satisfy constraint: Member must satisfy enum value set: [v1Token, v2Token]", v)
	}
	n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(v, "v"), "Token"))
	return empty[iamapi.SetSecurityTokenServicePreferencesOutput](s.updateSettings(ctx, func(_ storage.Tx, _ storage.Scope, a *accountRecord) error {
		a.TokenVersion = int32(n)
		return nil
	}))
}
