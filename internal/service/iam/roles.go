package iam

import (
	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
	"strings"
)

func getRole(tx storage.Tx, sc storage.Scope, name string) (roleRecord, error) {
	return roleKind.get(tx, sc, name)
}

func (s *IAM) updateRole(ctx *request.Context, name *string, fn func(tx storage.Tx, sc storage.Scope, r *roleRecord) error) error {
	return roleKind.update(s.store, ctx, name, fn)
}

func (s *IAM) viewRole(ctx *request.Context, name *string) (roleRecord, error) {
	return roleKind.view(s.store, ctx, name)
}

// How much of a role an output shows, following IAM: ListRoles leaves out
// the boundary, the tags and RoleLastUsed; GetRole always has RoleLastUsed
// (empty until the role is used); instance profiles embed the basics.
type roleView int

const (
	roleFull roleView = iota
	roleCreated
	roleListed
	roleEmbedded
)

func roleOut(account string, r *roleRecord, view roleView) iamapi.Role {
	out := iamapi.Role{
		Path:                     ptr.To(r.Path),
		RoleName:                 ptr.To(r.Name),
		RoleId:                   ptr.To(r.ID),
		Arn:                      ptr.To(roleARN(account, r)),
		CreateDate:               ptr.To(r.CreateDate),
		AssumeRolePolicyDocument: ptr.To(encodeDocument(r.TrustPolicy)),
	}
	if view == roleEmbedded {
		return out
	}
	if r.Description != "" {
		out.Description = ptr.To(r.Description)
	}
	out.MaxSessionDuration = ptr.To(r.MaxSessionDuration)
	if view == roleListed {
		return out
	}
	out.PermissionsBoundary = boundaryOut(r.Boundary)
	out.Tags = tagsOut(r.Tags)
	if view == roleFull {
		out.RoleLastUsed = &iamapi.RoleLastUsed{}
		if r.LastUsed != nil {
			out.RoleLastUsed = &iamapi.RoleLastUsed{LastUsedDate: ptr.To(r.LastUsed.Date), Region: ptr.To(r.LastUsed.Region)}
		}
	}
	return out
}

func checkMaxSession(v *int32) (int32, error) {
	if v == nil {
		return defaultMaxSession, nil
	}
	switch n := *v; {
	case n < minMaxSession:
		return 0, validation("Value '%d' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to %d", n, minMaxSession)
	case n > maxMaxSession:
		return 0, validation("Value '%d' at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to %d", n, maxMaxSession)
	default:
		return n, nil
	}
}

func checkDescription(v *string) (string, error) {
	d := ptr.Deref(v)
	if len([]rune(d)) > 1000 {
		return "", validation("Value '%s' at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000", d)
	}
	return d, nil
}

func readTrustPolicy(member string, v *string) (string, error) {
	doc, err := readDocument(member, v, docTrust)
	if err != nil {
		return "", err
	}
	if documentSize(doc) > maxTrustPolicySize {
		return "", limitExceeded("Cannot exceed quota for ACLSizePerRole: %d", maxTrustPolicySize)
	}
	return doc, nil
}

func (s *IAM) CreateRole(ctx *request.Context, in *iamapi.CreateRoleInput) (*iamapi.CreateRoleOutput, error) {
	name, err := required("roleName", in.RoleName)
	if err != nil {
		return nil, err
	}
	path, err := checkPath("path", in.Path)
	if err != nil {
		return nil, err
	}
	maxSession, err := checkMaxSession(in.MaxSessionDuration)
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
	trust, err := readTrustPolicy("assumeRolePolicyDocument", in.AssumeRolePolicyDocument)
	if err != nil {
		return nil, err
	}
	r := roleRecord{
		Name: name, ID: newID("AROA"), Path: path, CreateDate: now(ctx),
		TrustPolicy: trust, Description: desc, MaxSessionDuration: maxSession, Tags: tags,
	}
	sc := scope(ctx)
	err = s.store.Update(func(tx storage.Tx) error {
		if err := roleKind.mustBeNew(tx, sc, name); err != nil {
			return err
		}
		if err := trustPrincipalsExist(tx, sc, ctx.Account, trust); err != nil {
			return err
		}
		if in.PermissionsBoundary != nil {
			if err := s.setBoundary(tx, sc, &r.Boundary, kindRole, name, *in.PermissionsBoundary); err != nil {
				return err
			}
		}
		return roles.Put(tx, sc, r, lower(name))
	})
	if err != nil {
		return nil, err
	}
	out := roleOut(ctx.Account, &r, roleCreated)
	return &iamapi.CreateRoleOutput{Role: &out}, nil
}

func (s *IAM) GetRole(ctx *request.Context, in *iamapi.GetRoleInput) (*iamapi.GetRoleOutput, error) {
	out, err := s.roleAnswer(ctx, in.RoleName)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetRoleOutput{Role: &out}, nil
}

func (s *IAM) ListRoles(ctx *request.Context, in *iamapi.ListRolesInput) (*iamapi.ListRolesOutput, error) {
	list, res, err := roleKind.list(s.store, ctx, in.Marker, in.MaxItems, in.PathPrefix)
	if err != nil {
		return nil, err
	}
	out := render(list, func(r *roleRecord) iamapi.Role { return roleOut(ctx.Account, r, roleListed) })
	return &iamapi.ListRolesOutput{Roles: out, IsTruncated: res.IsTruncated, Marker: res.Marker}, nil
}

// UpdateRole changes the description (when given) and the maximum session
// duration (when given).
func (s *IAM) UpdateRole(ctx *request.Context, in *iamapi.UpdateRoleInput) (*iamapi.UpdateRoleOutput, error) {
	var maxSession int32
	if in.MaxSessionDuration != nil {
		var err error
		if maxSession, err = checkMaxSession(in.MaxSessionDuration); err != nil {
			return nil, err
		}
	}
	desc, err := checkDescription(in.Description)
	if err != nil {
		return nil, err
	}
	return empty[iamapi.UpdateRoleOutput](s.updateRole(ctx, in.RoleName, func(_ storage.Tx, _ storage.Scope, r *roleRecord) error {
		if in.Description != nil {
			r.Description = desc
		}
		if maxSession != 0 {
			r.MaxSessionDuration = maxSession
		}
		return nil
	}))
}

func (s *IAM) UpdateRoleDescription(ctx *request.Context, in *iamapi.UpdateRoleDescriptionInput) (*iamapi.UpdateRoleDescriptionOutput, error) {
	desc, err := checkDescription(in.Description)
	if err != nil {
		return nil, err
	}
	var r roleRecord
	err = s.updateRole(ctx, in.RoleName, func(_ storage.Tx, _ storage.Scope, rec *roleRecord) error {
		rec.Description = desc
		r = *rec
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := roleOut(ctx.Account, &r, roleFull)
	return &iamapi.UpdateRoleDescriptionOutput{Role: &out}, nil
}

func (s *IAM) UpdateAssumeRolePolicy(ctx *request.Context, in *iamapi.UpdateAssumeRolePolicyInput) (*iamapi.UpdateAssumeRolePolicyOutput, error) {
	if _, err := required("roleName", in.RoleName); err != nil {
		return nil, err
	}
	trust, err := readTrustPolicy("policyDocument", in.PolicyDocument)
	if err != nil {
		return nil, err
	}
	return empty[iamapi.UpdateAssumeRolePolicyOutput](s.updateRole(ctx, in.RoleName, func(tx storage.Tx, sc storage.Scope, r *roleRecord) error {
		if err := trustPrincipalsExist(tx, sc, ctx.Account, trust); err != nil {
			return err
		}
		r.TrustPolicy = trust
		return nil
	}))
}

// DeleteRole refuses while the role is in an instance profile or still has
// policies, as IAM does.
func (s *IAM) DeleteRole(ctx *request.Context, in *iamapi.DeleteRoleInput) (*iamapi.DeleteRoleOutput, error) {
	name, err := required("roleName", in.RoleName)
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	return empty[iamapi.DeleteRoleOutput](s.store.Update(func(tx storage.Tx) error {
		r, err := getRole(tx, sc, name)
		if err != nil {
			return err
		}
		switch {
		case strings.HasPrefix(r.Path, "/aws-service-role/"):
			return iamapi.ErrUnmodifiableEntityException.New("Cannot perform the operation on the protected role '%s' - this role is only modifiable by AWS", r.Name)
		case len(r.InstanceProfiles) > 0:
			return deleteConflict("Cannot delete entity, must remove roles from instance profile first.")
		case len(r.Attached) > 0:
			return deleteConflict("Cannot delete entity, must detach all policies first.")
		case len(r.Inline) > 0:
			return deleteConflict("Cannot delete entity, must delete policies first.")
		}
		if err := dropUses(tx, sc, kindRole, r.Name, nil, r.Boundary); err != nil {
			return err
		}
		return roles.Delete(tx, sc, lower(r.Name))
	}))
}

func (s *IAM) TagRole(ctx *request.Context, in *iamapi.TagRoleInput) (*iamapi.TagRoleOutput, error) {
	return empty[iamapi.TagRoleOutput](roleKind.tag(s.store, ctx, in.RoleName, in.Tags))
}

func (s *IAM) UntagRole(ctx *request.Context, in *iamapi.UntagRoleInput) (*iamapi.UntagRoleOutput, error) {
	return empty[iamapi.UntagRoleOutput](roleKind.untag(s.store, ctx, in.RoleName, in.TagKeys))
}

func (s *IAM) ListRoleTags(ctx *request.Context, in *iamapi.ListRoleTagsInput) (*iamapi.ListRoleTagsOutput, error) {
	tags, res, err := roleKind.listTags(s.store, ctx, in.RoleName, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListRoleTagsOutput{Tags: tags, IsTruncated: res.IsTruncated, Marker: res.Marker}, nil
}

func (s *IAM) PutRolePermissionsBoundary(ctx *request.Context, in *iamapi.PutRolePermissionsBoundaryInput) (*iamapi.PutRolePermissionsBoundaryOutput, error) {
	return empty[iamapi.PutRolePermissionsBoundaryOutput](s.updateRole(ctx, in.RoleName, func(tx storage.Tx, sc storage.Scope, r *roleRecord) error {
		arn, err := required("permissionsBoundary", in.PermissionsBoundary)
		if err != nil {
			return err
		}
		return s.setBoundary(tx, sc, &r.Boundary, kindRole, r.Name, arn)
	}))
}

func (s *IAM) DeleteRolePermissionsBoundary(ctx *request.Context, in *iamapi.DeleteRolePermissionsBoundaryInput) (*iamapi.DeleteRolePermissionsBoundaryOutput, error) {
	return empty[iamapi.DeleteRolePermissionsBoundaryOutput](s.updateRole(ctx, in.RoleName, func(tx storage.Tx, sc storage.Scope, r *roleRecord) error {
		return clearBoundary(tx, sc, &r.Boundary, kindRole, r.Name)
	}))
}

// trustPrincipalsExist refuses a trust policy naming a user or role of
// this account that does not exist, as IAM does (it stores principals by
// their unique ids, so it must find them).
func trustPrincipalsExist(tx storage.Tx, sc storage.Scope, account, doc string) error {
	_, stmts, ok := parseDocument(doc)
	if !ok {
		return nil
	}
	for _, st := range stmts {
		for _, k := range []string{"Principal", "NotPrincipal"} {
			m, _ := st[k].(map[string]any)
			for _, id := range stringsOf(m["AWS"]) {
				a, ok := parseIAMARN(id)
				if !ok || a.Account != account || (a.Kind != "user" && a.Kind != "role") {
					continue
				}
				var found bool
				var err error
				if a.Kind == "user" {
					_, found, err = users.Get(tx, sc, lower(a.Name))
				} else {
					_, found, err = roles.Get(tx, sc, lower(a.Name))
				}
				if err != nil {
					return err
				}
				if !found {
					return malformed(`Invalid principal in policy: "AWS":"` + id + `"`)
				}
			}
		}
	}
	return nil
}
