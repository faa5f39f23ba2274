package iam

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Customer managed policies live in the account, keyed by lower-cased name
// (policy names are unique in an account whatever their path), with their
// versions (at most five) inside the record. AWS managed policies come from
// the catalog and are read-only; their usage counts are the account's own.

// policyView says what a Policy output shows: ListPolicies leaves out the
// description and the tags, as IAM does.
type policyView int

const (
	policyFull policyView = iota
	policyListed
)

func policyOut(ref policyRef, c useCount, view policyView) iamapi.Policy {
	out := iamapi.Policy{
		PolicyName:                    ptr.To(ref.Name),
		Arn:                           ptr.To(ref.ARN),
		Path:                          ptr.To(ref.Path),
		AttachmentCount:               ptr.To(c.attach),
		PermissionsBoundaryUsageCount: ptr.To(c.boundary),
		IsAttachable:                  ptr.To(true),
	}
	var desc string
	var tags []tag
	switch {
	case ref.local != nil:
		p := ref.local
		out.PolicyId, out.DefaultVersionId = ptr.To(p.ID), ptr.To(p.DefaultVersion)
		out.CreateDate, out.UpdateDate = ptr.To(p.CreateDate), ptr.To(p.UpdateDate)
		desc, tags = p.Description, p.Tags
	case ref.managed != nil:
		m := ref.managed
		out.PolicyId, out.DefaultVersionId = ptr.To(m.ID), ptr.To(m.DefaultVersionID)
		out.CreateDate, out.UpdateDate = ptr.To(policyTime(m.CreateDate)), ptr.To(policyTime(m.UpdateDate))
		desc = m.Description
	}
	if view == policyFull {
		if desc != "" {
			out.Description = ptr.To(desc)
		}
		out.Tags = tagsOut(tags)
	}
	return out
}

func readManagedDocument(v *string) (string, error) {
	doc, err := readDocument("policyDocument", v, docManaged)
	if err != nil {
		return "", err
	}
	if documentSize(doc) > maxManagedPolicySize {
		return "", limitExceeded("Cannot exceed quota for PolicySize: %d", maxManagedPolicySize)
	}
	return doc, nil
}

func (s *IAM) CreatePolicy(ctx *request.Context, in *iamapi.CreatePolicyInput) (*iamapi.CreatePolicyOutput, error) {
	name, err := required("policyName", in.PolicyName)
	if err != nil {
		return nil, err
	}
	path, err := checkPath("path", in.Path)
	if err != nil {
		return nil, err
	}
	desc, err := checkDescription(in.Description)
	if err != nil {
		return nil, err
	}
	tags, err := readTags(in.Tags)
	if err != nil {
		return nil, err
	}
	doc, err := readManagedDocument(in.PolicyDocument)
	if err != nil {
		return nil, err
	}
	t := now(ctx)
	p := policyRecord{
		Name: name, ID: newID("ANPA"), Path: path, Description: desc,
		CreateDate: t, UpdateDate: t, DefaultVersion: "v1", NextVersion: 2,
		Versions: []policyVersion{{ID: "v1", Document: doc, CreateDate: t}},
		Tags:     tags,
	}
	sc := scope(ctx)
	err = s.store.Update(func(tx storage.Tx) error {
		if _, ok, err := policies.Get(tx, sc, lower(name)); err != nil || ok {
			if ok {
				return iamapi.ErrEntityAlreadyExistsException.New("A policy called %s already exists. Duplicate names are not allowed.", name)
			}
			return err
		}
		return policies.Put(tx, sc, p, lower(name))
	})
	if err != nil {
		return nil, err
	}
	out := policyOut(policyRef{ARN: policyARN(ctx.Account, &p), Name: p.Name, Path: p.Path, local: &p}, useCount{}, policyFull)
	return &iamapi.CreatePolicyOutput{Policy: &out}, nil
}

// viewPolicy resolves a policy ARN for reading; a missing policy is
// NoSuchEntity "Policy ... was not found.".
func (s *IAM) viewPolicy(ctx *request.Context, arnIn *string, fn func(tx storage.Tx, ref policyRef) error) error {
	arn, err := required("policyArn", arnIn)
	if err != nil {
		return err
	}
	sc := scope(ctx)
	return s.store.View(func(tx storage.Tx) error {
		ref, ok, err := s.findPolicy(tx, sc, arn)
		if err != nil {
			return err
		}
		if !ok {
			return policyNotFound(arn)
		}
		return fn(tx, ref)
	})
}

// updateLocalPolicy runs fn on a customer managed policy in one write
// transaction and stores it. AWS managed policies are not the account's to
// change.
func (s *IAM) updateLocalPolicy(ctx *request.Context, action string, arnIn *string, fn func(tx storage.Tx, sc storage.Scope, p *policyRecord) error) error {
	arn, err := required("policyArn", arnIn)
	if err != nil {
		return err
	}
	sc := scope(ctx)
	return s.store.Update(func(tx storage.Tx) error {
		ref, ok, err := s.findPolicy(tx, sc, arn)
		if err != nil {
			return err
		}
		if !ok {
			return policyNotFound(arn)
		}
		if ref.local == nil {
			return awsPolicyDenied(ctx, action, arn)
		}
		p := *ref.local
		if err := fn(tx, sc, &p); err != nil {
			return err
		}
		return policies.Put(tx, sc, p, lower(p.Name))
	})
}

func (s *IAM) GetPolicy(ctx *request.Context, in *iamapi.GetPolicyInput) (*iamapi.GetPolicyOutput, error) {
	var out iamapi.Policy
	err := s.viewPolicy(ctx, in.PolicyArn, func(tx storage.Tx, ref policyRef) error {
		c, err := useCounts(tx, scope(ctx), ref.ARN)
		out = policyOut(ref, c, policyFull)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.GetPolicyOutput{Policy: &out}, nil
}

// ListPolicies lists customer managed (Scope Local), AWS managed (AWS) or
// both (All, the default) in case-insensitive name order.
func (s *IAM) ListPolicies(ctx *request.Context, in *iamapi.ListPoliciesInput) (*iamapi.ListPoliciesOutput, error) {
	p, err := newPage(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	scopeName := ptr.Deref(in.Scope)
	if scopeName == "" {
		scopeName = "All"
	}
	pp := pathPrefix(in.PathPrefix)
	onlyAttached := in.OnlyAttached != nil && *in.OnlyAttached
	usage := ptr.Deref(in.PolicyUsageFilter)
	type item struct {
		key string
		ref policyRef
		c   useCount
	}
	var items []item
	sc := scope(ctx)
	err = s.store.View(func(tx storage.Tx) error {
		counts, err := allUseCounts(tx, sc)
		if err != nil {
			return err
		}
		keep := func(ref policyRef) bool {
			c := counts[ref.ARN]
			switch {
			case !strings.HasPrefix(ref.Path, pp):
				return false
			case onlyAttached && c.attach == 0:
				return false
			case usage == "PermissionsPolicy" && c.attach == 0:
				return false
			case usage == "PermissionsBoundary" && c.boundary == 0:
				return false
			}
			return true
		}
		if scopeName != "AWS" {
			err = policies.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, rec policyRecord) bool {
				ref := policyRef{ARN: policyARN(sc.Account, &rec), Name: rec.Name, Path: rec.Path, local: &rec}
				if keep(ref) {
					items = append(items, item{key: lower(rec.Name) + "\x00l", ref: ref, c: counts[ref.ARN]})
				}
				return true
			})
			if err != nil {
				return err
			}
		}
		if scopeName != "Local" && s.catalog != nil {
			for _, m := range s.catalog.List() {
				ref := policyRef{ARN: m.ARN, Name: m.Name, Path: m.Path, managed: &m}
				if keep(ref) {
					items = append(items, item{key: lower(m.Name) + "\x00a", ref: ref, c: counts[ref.ARN]})
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(items, func(i, j int) bool { return items[i].key < items[j].key })
	start, end, res := p.sliceWindow(len(items), func(i int) string { return items[i].key })
	out := &iamapi.ListPoliciesOutput{Policies: []iamapi.Policy{}, IsTruncated: res.IsTruncated, Marker: res.Marker}
	for _, it := range items[start:end] {
		out.Policies = append(out.Policies, policyOut(it.ref, it.c, policyListed))
	}
	return out, nil
}

// DeletePolicy deletes a customer managed policy and its default version.
// IAM refuses while any entity attaches it or uses it as a boundary, and
// while it has versions other than the default.
func (s *IAM) DeletePolicy(ctx *request.Context, in *iamapi.DeletePolicyInput) (*iamapi.DeletePolicyOutput, error) {
	arn, err := required("policyArn", in.PolicyArn)
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	return empty[iamapi.DeletePolicyOutput](s.store.Update(func(tx storage.Tx) error {
		ref, ok, err := s.findPolicy(tx, sc, arn)
		if err != nil {
			return err
		}
		if !ok {
			return policyNotFound(arn)
		}
		if ref.local == nil {
			return awsPolicyDenied(ctx, "DeletePolicy", arn)
		}
		c, err := useCounts(tx, sc, arn)
		if err != nil {
			return err
		}
		if c.attach > 0 || c.boundary > 0 {
			return deleteConflict("Cannot delete a policy attached to entities.")
		}
		if len(ref.local.Versions) > 1 {
			return deleteConflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
		}
		return policies.Delete(tx, sc, lower(ref.local.Name))
	}))
}

func versionOut(v policyVersion, isDefault, withDocument bool) iamapi.PolicyVersion {
	out := iamapi.PolicyVersion{VersionId: ptr.To(v.ID), IsDefaultVersion: ptr.To(isDefault), CreateDate: ptr.To(v.CreateDate)}
	if withDocument {
		out.Document = ptr.To(encodeDocument(v.Document))
	}
	return out
}

// versionsOf returns a policy's versions and its default version id; an AWS
// managed policy has only its default version.
func versionsOf(ref policyRef) ([]policyVersion, string) {
	if ref.local != nil {
		return ref.local.Versions, ref.local.DefaultVersion
	}
	m := ref.managed
	return []policyVersion{{ID: m.DefaultVersionID, Document: m.Document, CreateDate: policyTime(m.UpdateDate)}}, m.DefaultVersionID
}

// CreatePolicyVersion adds a version (at most five per policy), making it
// the default when SetAsDefault is true.
func (s *IAM) CreatePolicyVersion(ctx *request.Context, in *iamapi.CreatePolicyVersionInput) (*iamapi.CreatePolicyVersionOutput, error) {
	if _, err := required("policyArn", in.PolicyArn); err != nil {
		return nil, err
	}
	doc, err := readManagedDocument(in.PolicyDocument)
	if err != nil {
		return nil, err
	}
	setDefault := in.SetAsDefault != nil && *in.SetAsDefault
	var v policyVersion
	err = s.updateLocalPolicy(ctx, "CreatePolicyVersion", in.PolicyArn, func(_ storage.Tx, _ storage.Scope, p *policyRecord) error {
		if len(p.Versions) >= maxPolicyVersions {
			return limitExceeded("A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", maxPolicyVersions)
		}
		t := now(ctx)
		v = policyVersion{ID: "v" + strconv.Itoa(p.NextVersion), Document: doc, CreateDate: t}
		p.NextVersion++
		p.Versions = append(p.Versions, v)
		if setDefault {
			p.DefaultVersion = v.ID
			p.UpdateDate = t
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := versionOut(v, setDefault, false)
	return &iamapi.CreatePolicyVersionOutput{PolicyVersion: &out}, nil
}

func (s *IAM) GetPolicyVersion(ctx *request.Context, in *iamapi.GetPolicyVersionInput) (*iamapi.GetPolicyVersionOutput, error) {
	id, err := required("versionId", in.VersionId)
	if err != nil {
		return nil, err
	}
	var out *iamapi.PolicyVersion
	err = s.viewPolicy(ctx, in.PolicyArn, func(_ storage.Tx, ref policyRef) error {
		versions, def := versionsOf(ref)
		for _, v := range versions {
			if v.ID == id {
				o := versionOut(v, v.ID == def, true)
				out = &o
				return nil
			}
		}
		return noSuchVersion(ref.ARN, id)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.GetPolicyVersionOutput{PolicyVersion: out}, nil
}

// ListPolicyVersions lists versions newest first, as IAM does, without
// their documents.
func (s *IAM) ListPolicyVersions(ctx *request.Context, in *iamapi.ListPolicyVersionsInput) (*iamapi.ListPolicyVersionsOutput, error) {
	p, err := newPage(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	var versions []policyVersion
	var def string
	err = s.viewPolicy(ctx, in.PolicyArn, func(_ storage.Tx, ref policyRef) error {
		versions, def = versionsOf(ref)
		return nil
	})
	if err != nil {
		return nil, err
	}
	num := func(id string) int {
		n, _ := strconv.Atoi(strings.TrimPrefix(strings.SplitN(id, ".", 2)[0], "v"))
		return n
	}
	sorted := append([]policyVersion(nil), versions...)
	sort.SliceStable(sorted, func(i, j int) bool { return num(sorted[i].ID) > num(sorted[j].ID) })
	key := func(i int) string { return fmt.Sprintf("%012d", 1<<30-num(sorted[i].ID)) }
	start, end, res := p.sliceWindow(len(sorted), key)
	out := &iamapi.ListPolicyVersionsOutput{Versions: []iamapi.PolicyVersion{}, IsTruncated: res.IsTruncated, Marker: res.Marker}
	for _, v := range sorted[start:end] {
		out.Versions = append(out.Versions, versionOut(v, v.ID == def, false))
	}
	return out, nil
}

func (s *IAM) DeletePolicyVersion(ctx *request.Context, in *iamapi.DeletePolicyVersionInput) (*iamapi.DeletePolicyVersionOutput, error) {
	id, err := required("versionId", in.VersionId)
	if err != nil {
		return nil, err
	}
	return empty[iamapi.DeletePolicyVersionOutput](s.updateLocalPolicy(ctx, "DeletePolicyVersion", in.PolicyArn, func(_ storage.Tx, sc storage.Scope, p *policyRecord) error {
		for i, v := range p.Versions {
			if v.ID != id {
				continue
			}
			if v.ID == p.DefaultVersion {
				return deleteConflict("Cannot delete the default version of a policy.")
			}
			p.Versions = append(p.Versions[:i:i], p.Versions[i+1:]...)
			return nil
		}
		return noSuchVersion(policyARN(sc.Account, p), id)
	}))
}

func (s *IAM) SetDefaultPolicyVersion(ctx *request.Context, in *iamapi.SetDefaultPolicyVersionInput) (*iamapi.SetDefaultPolicyVersionOutput, error) {
	id, err := required("versionId", in.VersionId)
	if err != nil {
		return nil, err
	}
	return empty[iamapi.SetDefaultPolicyVersionOutput](s.updateLocalPolicy(ctx, "SetDefaultPolicyVersion", in.PolicyArn, func(_ storage.Tx, sc storage.Scope, p *policyRecord) error {
		for _, v := range p.Versions {
			if v.ID == id {
				p.DefaultVersion = id
				p.UpdateDate = now(ctx)
				return nil
			}
		}
		return noSuchVersion(policyARN(sc.Account, p), id)
	}))
}

func (s *IAM) TagPolicy(ctx *request.Context, in *iamapi.TagPolicyInput) (*iamapi.TagPolicyOutput, error) {
	return empty[iamapi.TagPolicyOutput](s.updateLocalPolicy(ctx, "TagPolicy", in.PolicyArn, func(_ storage.Tx, _ storage.Scope, p *policyRecord) error {
		tags, err := mergeTags(p.Tags, in.Tags)
		p.Tags = tags
		return err
	}))
}

func (s *IAM) UntagPolicy(ctx *request.Context, in *iamapi.UntagPolicyInput) (*iamapi.UntagPolicyOutput, error) {
	return empty[iamapi.UntagPolicyOutput](s.updateLocalPolicy(ctx, "UntagPolicy", in.PolicyArn, func(_ storage.Tx, _ storage.Scope, p *policyRecord) error {
		p.Tags = removeTags(p.Tags, in.TagKeys)
		return nil
	}))
}

func (s *IAM) ListPolicyTags(ctx *request.Context, in *iamapi.ListPolicyTagsInput) (*iamapi.ListPolicyTagsOutput, error) {
	var ts []tag
	err := s.viewPolicy(ctx, in.PolicyArn, func(_ storage.Tx, ref policyRef) error {
		if ref.local != nil {
			ts = ref.local.Tags
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	tags, res, err := pageTags(ts, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListPolicyTagsOutput{Tags: tags, IsTruncated: res.IsTruncated, Marker: res.Marker}, nil
}

// policyTime is a catalog time at IAM's precision.
func policyTime(t time.Time) time.Time { return t.UTC().Truncate(time.Second) }
