package iam

import (
	"sort"
	"strings"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Managed policy attachments and permissions boundaries. The entity's record
// lists what it attaches (what the policy engine reads); the policy-use
// index answers the reverse question (AttachmentCount,
// PermissionsBoundaryUsageCount, ListEntitiesForPolicy, DeletePolicy's
// conflict check). Both change in the same transaction, so they never
// disagree.

// policyRef is a managed policy an entity can attach: customer managed in
// the caller's account, or AWS managed from the catalog.
type policyRef struct {
	ARN, Name, Path string
	local           *policyRecord
	managed         *ManagedPolicy
}

// findPolicy resolves a managed policy ARN. A string that is not a policy
// ARN is InvalidInput; a policy of another account is simply not found.
func (s *IAM) findPolicy(tx storage.Tx, sc storage.Scope, arn string) (policyRef, bool, error) {
	a, ok := parseIAMARN(arn)
	if !ok || a.Kind != "policy" {
		return policyRef{}, false, invalidARN(arn)
	}
	if a.Account == awsManagedPolicyAccount {
		if s.catalog == nil {
			return policyRef{}, false, nil
		}
		mp, ok := s.catalog.Lookup(arn)
		if !ok {
			return policyRef{}, false, nil
		}
		return policyRef{ARN: mp.ARN, Name: mp.Name, Path: mp.Path, managed: &mp}, true, nil
	}
	if a.Account != sc.Account {
		return policyRef{}, false, nil
	}
	rec, ok, err := policies.Get(tx, sc, lower(a.Name))
	if err != nil || !ok || policyARN(sc.Account, &rec) != arn {
		return policyRef{}, false, err
	}
	return policyRef{ARN: arn, Name: rec.Name, Path: rec.Path, local: &rec}, true, nil
}

func quotaName(kind string) string {
	return strings.ToUpper(kind[:1]) + kind[1:]
}

// attach adds the policy to an entity's list (idempotently, as IAM does)
// and records the use.
func (s *IAM) attach(tx storage.Tx, sc storage.Scope, list *[]attachedPolicy, kind, entity, arn string) error {
	ref, ok, err := s.findPolicy(tx, sc, arn)
	if err != nil {
		return err
	}
	if !ok {
		return policyNotAttachable(arn)
	}
	for _, a := range *list {
		if a.ARN == ref.ARN {
			return nil
		}
	}
	if len(*list) >= maxAttachedPerEntity {
		return limitExceeded("Cannot exceed quota for PoliciesPer%s: %d", quotaName(kind), maxAttachedPerEntity)
	}
	*list = append(*list, attachedPolicy{Name: ref.Name, ARN: ref.ARN})
	sortAttached(*list)
	return policyUses.Put(tx, sc, useRecord{Name: entity}, ref.ARN, useAttach, kind, lower(entity))
}

// detach removes the policy from an entity's list and drops the use.
func detach(tx storage.Tx, sc storage.Scope, list *[]attachedPolicy, kind, entity, arn string) error {
	if a, ok := parseIAMARN(arn); !ok || a.Kind != "policy" {
		return invalidARN(arn)
	}
	for i, a := range *list {
		if a.ARN == arn {
			*list = append((*list)[:i:i], (*list)[i+1:]...)
			return policyUses.Delete(tx, sc, arn, useAttach, kind, lower(entity))
		}
	}
	return policyNotFound(arn)
}

func sortAttached(list []attachedPolicy) {
	sort.SliceStable(list, func(i, j int) bool { return attachedKey(list[i]) < attachedKey(list[j]) })
}

func attachedKey(a attachedPolicy) string { return lower(a.Name) + "\x00" + a.ARN }

// setBoundary makes arn the entity's permissions boundary.
func (s *IAM) setBoundary(tx storage.Tx, sc storage.Scope, cur *string, kind, entity, arn string) error {
	if a, ok := parseIAMARN(arn); !ok || a.Kind != "policy" {
		return awserr.InvalidParameterValue.New("Value (%s) for parameter PermissionsBoundary is invalid.", arn)
	}
	ref, ok, err := s.findPolicy(tx, sc, arn)
	if err != nil {
		return err
	}
	if !ok {
		return iamapi.ErrNoSuchEntityException.New("Scope ARN: %s does not exist or is not attachable.", arn)
	}
	if err := clearBoundary(tx, sc, cur, kind, entity); err != nil {
		return err
	}
	*cur = ref.ARN
	return policyUses.Put(tx, sc, useRecord{Name: entity}, ref.ARN, useBoundary, kind, lower(entity))
}

func clearBoundary(tx storage.Tx, sc storage.Scope, cur *string, kind, entity string) error {
	if *cur == "" {
		return nil
	}
	err := policyUses.Delete(tx, sc, *cur, useBoundary, kind, lower(entity))
	*cur = ""
	return err
}

// dropUses removes an entity's uses of policies, when it is deleted or
// renamed.
func dropUses(tx storage.Tx, sc storage.Scope, kind, entity string, attached []attachedPolicy, boundary string) error {
	for _, a := range attached {
		if err := policyUses.Delete(tx, sc, a.ARN, useAttach, kind, lower(entity)); err != nil {
			return err
		}
	}
	if boundary != "" {
		return policyUses.Delete(tx, sc, boundary, useBoundary, kind, lower(entity))
	}
	return nil
}

// addUses records an entity's uses of policies under its (new) name.
func addUses(tx storage.Tx, sc storage.Scope, kind, entity string, attached []attachedPolicy, boundary string) error {
	for _, a := range attached {
		if err := policyUses.Put(tx, sc, useRecord{Name: entity}, a.ARN, useAttach, kind, lower(entity)); err != nil {
			return err
		}
	}
	if boundary != "" {
		return policyUses.Put(tx, sc, useRecord{Name: entity}, boundary, useBoundary, kind, lower(entity))
	}
	return nil
}

// useCount is how much one policy is used in an account.
type useCount struct{ attach, boundary int32 }

func useCounts(tx storage.Tx, sc storage.Scope, arn string) (useCount, error) {
	var c useCount
	err := policyUses.List(tx, sc, []string{arn}, storage.ListOptions{}, func(key []string, _ useRecord) bool {
		if key[1] == useAttach {
			c.attach++
		} else {
			c.boundary++
		}
		return true
	})
	return c, err
}

func allUseCounts(tx storage.Tx, sc storage.Scope) (map[string]useCount, error) {
	m := map[string]useCount{}
	err := policyUses.List(tx, sc, nil, storage.ListOptions{}, func(key []string, _ useRecord) bool {
		c := m[key[0]]
		if key[1] == useAttach {
			c.attach++
		} else {
			c.boundary++
		}
		m[key[0]] = c
		return true
	})
	return m, err
}

func boundaryOut(arn string) *iamapi.AttachedPermissionsBoundary {
	if arn == "" {
		return nil
	}
	return &iamapi.AttachedPermissionsBoundary{
		PermissionsBoundaryType: ptr.To("PermissionsBoundaryPolicy"),
		PermissionsBoundaryArn:  ptr.To(arn),
	}
}

// listAttached pages an entity's attached policies, filtered by the
// policies' path.
func listAttached(list []attachedPolicy, prefix *string, marker *string, maxItems *int32) ([]iamapi.AttachedPolicy, pageResult, error) {
	p, err := newPage(marker, maxItems)
	if err != nil {
		return nil, pageResult{}, err
	}
	pp := pathPrefix(prefix)
	var keep []attachedPolicy
	for _, a := range list {
		if parsed, ok := parseIAMARN(a.ARN); ok && strings.HasPrefix(parsed.Path, pp) {
			keep = append(keep, a)
		}
	}
	sortAttached(keep)
	start, end, res := p.sliceWindow(len(keep), func(i int) string { return attachedKey(keep[i]) })
	out := []iamapi.AttachedPolicy{}
	for _, a := range keep[start:end] {
		out = append(out, iamapi.AttachedPolicy{PolicyName: ptr.To(a.Name), PolicyArn: ptr.To(a.ARN)})
	}
	return out, res, nil
}

func empty[T any](err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return new(T), nil
}

// --- Attach/Detach/ListAttached for users, groups and roles -------------

func (s *IAM) AttachUserPolicy(ctx *request.Context, in *iamapi.AttachUserPolicyInput) (*iamapi.AttachUserPolicyOutput, error) {
	return empty[iamapi.AttachUserPolicyOutput](s.updateUser(ctx, in.UserName, func(tx storage.Tx, sc storage.Scope, u *userRecord) error {
		arn, err := required("policyArn", in.PolicyArn)
		if err != nil {
			return err
		}
		return s.attach(tx, sc, &u.Attached, kindUser, u.Name, arn)
	}))
}

func (s *IAM) DetachUserPolicy(ctx *request.Context, in *iamapi.DetachUserPolicyInput) (*iamapi.DetachUserPolicyOutput, error) {
	return empty[iamapi.DetachUserPolicyOutput](s.updateUser(ctx, in.UserName, func(tx storage.Tx, sc storage.Scope, u *userRecord) error {
		arn, err := required("policyArn", in.PolicyArn)
		if err != nil {
			return err
		}
		return detach(tx, sc, &u.Attached, kindUser, u.Name, arn)
	}))
}

func (s *IAM) ListAttachedUserPolicies(ctx *request.Context, in *iamapi.ListAttachedUserPoliciesInput) (*iamapi.ListAttachedUserPoliciesOutput, error) {
	u, err := s.viewUser(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	list, res, err := listAttached(u.Attached, in.PathPrefix, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListAttachedUserPoliciesOutput{AttachedPolicies: list, IsTruncated: res.IsTruncated, Marker: res.Marker}, nil
}

func (s *IAM) AttachGroupPolicy(ctx *request.Context, in *iamapi.AttachGroupPolicyInput) (*iamapi.AttachGroupPolicyOutput, error) {
	return empty[iamapi.AttachGroupPolicyOutput](s.updateGroup(ctx, in.GroupName, func(tx storage.Tx, sc storage.Scope, g *groupRecord) error {
		arn, err := required("policyArn", in.PolicyArn)
		if err != nil {
			return err
		}
		return s.attach(tx, sc, &g.Attached, kindGroup, g.Name, arn)
	}))
}

func (s *IAM) DetachGroupPolicy(ctx *request.Context, in *iamapi.DetachGroupPolicyInput) (*iamapi.DetachGroupPolicyOutput, error) {
	return empty[iamapi.DetachGroupPolicyOutput](s.updateGroup(ctx, in.GroupName, func(tx storage.Tx, sc storage.Scope, g *groupRecord) error {
		arn, err := required("policyArn", in.PolicyArn)
		if err != nil {
			return err
		}
		return detach(tx, sc, &g.Attached, kindGroup, g.Name, arn)
	}))
}

func (s *IAM) ListAttachedGroupPolicies(ctx *request.Context, in *iamapi.ListAttachedGroupPoliciesInput) (*iamapi.ListAttachedGroupPoliciesOutput, error) {
	g, err := s.viewGroup(ctx, in.GroupName)
	if err != nil {
		return nil, err
	}
	list, res, err := listAttached(g.Attached, in.PathPrefix, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListAttachedGroupPoliciesOutput{AttachedPolicies: list, IsTruncated: res.IsTruncated, Marker: res.Marker}, nil
}

func (s *IAM) AttachRolePolicy(ctx *request.Context, in *iamapi.AttachRolePolicyInput) (*iamapi.AttachRolePolicyOutput, error) {
	return empty[iamapi.AttachRolePolicyOutput](s.updateRole(ctx, in.RoleName, func(tx storage.Tx, sc storage.Scope, r *roleRecord) error {
		arn, err := required("policyArn", in.PolicyArn)
		if err != nil {
			return err
		}
		return s.attach(tx, sc, &r.Attached, kindRole, r.Name, arn)
	}))
}

func (s *IAM) DetachRolePolicy(ctx *request.Context, in *iamapi.DetachRolePolicyInput) (*iamapi.DetachRolePolicyOutput, error) {
	return empty[iamapi.DetachRolePolicyOutput](s.updateRole(ctx, in.RoleName, func(tx storage.Tx, sc storage.Scope, r *roleRecord) error {
		arn, err := required("policyArn", in.PolicyArn)
		if err != nil {
			return err
		}
		return detach(tx, sc, &r.Attached, kindRole, r.Name, arn)
	}))
}

func (s *IAM) ListAttachedRolePolicies(ctx *request.Context, in *iamapi.ListAttachedRolePoliciesInput) (*iamapi.ListAttachedRolePoliciesOutput, error) {
	r, err := s.viewRole(ctx, in.RoleName)
	if err != nil {
		return nil, err
	}
	list, res, err := listAttached(r.Attached, in.PathPrefix, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListAttachedRolePoliciesOutput{AttachedPolicies: list, IsTruncated: res.IsTruncated, Marker: res.Marker}, nil
}

// ListEntitiesForPolicy lists the groups, users and roles that attach the
// policy (PermissionsPolicy), use it as their boundary
// (PermissionsBoundary), or either when no usage filter is given.
func (s *IAM) ListEntitiesForPolicy(ctx *request.Context, in *iamapi.ListEntitiesForPolicyInput) (*iamapi.ListEntitiesForPolicyOutput, error) {
	arn, err := required("policyArn", in.PolicyArn)
	if err != nil {
		return nil, err
	}
	p, err := newPage(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	type entity struct {
		key, kind, name, id string
	}
	var found []entity
	sc := scope(ctx)
	err = s.store.View(func(tx storage.Tx) error {
		_, ok, err := s.findPolicy(tx, sc, arn)
		if err != nil {
			return err
		}
		if !ok {
			return policyNotFound(arn)
		}
		want := map[string]bool{kindGroup: true, kindRole: true, kindUser: true}
		switch ptr.Deref(in.EntityFilter) {
		case "User":
			want = map[string]bool{kindUser: true}
		case "Role":
			want = map[string]bool{kindRole: true}
		case "Group":
			want = map[string]bool{kindGroup: true}
		case "LocalManagedPolicy", "AWSManagedPolicy":
			want = map[string]bool{}
		}
		seen := map[string]bool{}
		var keys [][]string
		err = policyUses.List(tx, sc, []string{arn}, storage.ListOptions{}, func(key []string, _ useRecord) bool {
			use, kind := key[1], key[2]
			switch ptr.Deref(in.PolicyUsageFilter) {
			case "PermissionsPolicy":
				if use != useAttach {
					return true
				}
			case "PermissionsBoundary":
				if use != useBoundary {
					return true
				}
			}
			k := kind + "\x00" + key[3]
			if want[kind] && !seen[k] {
				seen[k] = true
				keys = append(keys, []string{kind, key[3], k})
			}
			return true
		})
		if err != nil {
			return err
		}
		pp := pathPrefix(in.PathPrefix)
		for _, k := range keys {
			e := entity{key: k[2], kind: k[0]}
			var path string
			var ok bool
			switch k[0] {
			case kindUser:
				var u userRecord
				u, ok, err = users.Get(tx, sc, k[1])
				e.name, e.id, path = u.Name, u.ID, u.Path
			case kindGroup:
				var g groupRecord
				g, ok, err = groups.Get(tx, sc, k[1])
				e.name, e.id, path = g.Name, g.ID, g.Path
			case kindRole:
				var r roleRecord
				r, ok, err = roles.Get(tx, sc, k[1])
				e.name, e.id, path = r.Name, r.ID, r.Path
			}
			if err != nil {
				return err
			}
			if ok && strings.HasPrefix(path, pp) {
				found = append(found, e)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(found, func(i, j int) bool { return found[i].key < found[j].key })
	start, end, res := p.sliceWindow(len(found), func(i int) string { return found[i].key })
	out := &iamapi.ListEntitiesForPolicyOutput{
		PolicyGroups: []iamapi.PolicyGroup{}, PolicyUsers: []iamapi.PolicyUser{}, PolicyRoles: []iamapi.PolicyRole{},
		IsTruncated: res.IsTruncated, Marker: res.Marker,
	}
	for _, e := range found[start:end] {
		switch e.kind {
		case kindGroup:
			out.PolicyGroups = append(out.PolicyGroups, iamapi.PolicyGroup{GroupName: ptr.To(e.name), GroupId: ptr.To(e.id)})
		case kindUser:
			out.PolicyUsers = append(out.PolicyUsers, iamapi.PolicyUser{UserName: ptr.To(e.name), UserId: ptr.To(e.id)})
		case kindRole:
			out.PolicyRoles = append(out.PolicyRoles, iamapi.PolicyRole{RoleName: ptr.To(e.name), RoleId: ptr.To(e.id)})
		}
	}
	return out, nil
}
