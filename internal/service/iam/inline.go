package iam

import (
	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Inline policies belong to one user, group or role and live in its record.
// IAM bounds their total size per entity (whitespace not counted): 2048 for
// a user, 5120 for a group, 10240 for a role.

func inlineLimit(kind string) int {
	switch kind {
	case kindUser:
		return maxUserInlineSize
	case kindGroup:
		return maxGroupInlineSize
	default:
		return maxRoleInlineSize
	}
}

func findInline(list []inlinePolicy, name string) int {
	for i, p := range list {
		if lower(p.Name) == lower(name) {
			return i
		}
	}
	return -1
}

// putInline adds or replaces an inline policy.
func putInline(list *[]inlinePolicy, kind, entity string, name, doc *string) error {
	n, err := required("policyName", name)
	if err != nil {
		return err
	}
	d, err := readDocument("policyDocument", doc, docInline)
	if err != nil {
		return err
	}
	next := append([]inlinePolicy(nil), *list...)
	if i := findInline(next, n); i >= 0 {
		next[i] = inlinePolicy{Name: n, Document: d}
	} else {
		next = append(next, inlinePolicy{Name: n, Document: d})
	}
	size := 0
	for _, p := range next {
		size += documentSize(p.Document)
	}
	if limit := inlineLimit(kind); size > limit {
		return limitExceeded("Maximum policy size of %d bytes exceeded for %s %s", limit, kind, entity)
	}
	sortByName(next, func(p inlinePolicy) string { return p.Name })
	*list = next
	return nil
}

func noSuchInline(kind, name string) error {
	return iamapi.ErrNoSuchEntityException.New("The %s policy with name %s cannot be found.", kind, name)
}

func getInline(list []inlinePolicy, kind string, name *string) (inlinePolicy, error) {
	n, err := required("policyName", name)
	if err != nil {
		return inlinePolicy{}, err
	}
	i := findInline(list, n)
	if i < 0 {
		return inlinePolicy{}, noSuchInline(kind, n)
	}
	return list[i], nil
}

func deleteInline(list *[]inlinePolicy, kind string, name *string) error {
	n, err := required("policyName", name)
	if err != nil {
		return err
	}
	i := findInline(*list, n)
	if i < 0 {
		return noSuchInline(kind, n)
	}
	*list = append((*list)[:i:i], (*list)[i+1:]...)
	return nil
}

func listInline(list []inlinePolicy, marker *string, maxItems *int32) ([]string, pageResult, error) {
	p, err := newPage(marker, maxItems)
	if err != nil {
		return nil, pageResult{}, err
	}
	start, end, res := p.sliceWindow(len(list), func(i int) string { return nameKey(list[i].Name) })
	names := []string{}
	for _, ip := range list[start:end] {
		names = append(names, ip.Name)
	}
	return names, res, nil
}

func (s *IAM) PutUserPolicy(ctx *request.Context, in *iamapi.PutUserPolicyInput) (*iamapi.PutUserPolicyOutput, error) {
	return empty[iamapi.PutUserPolicyOutput](s.updateUser(ctx, in.UserName, func(_ storage.Tx, _ storage.Scope, u *userRecord) error {
		return putInline(&u.Inline, kindUser, u.Name, in.PolicyName, in.PolicyDocument)
	}))
}

func (s *IAM) GetUserPolicy(ctx *request.Context, in *iamapi.GetUserPolicyInput) (*iamapi.GetUserPolicyOutput, error) {
	u, err := s.viewUser(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	p, err := getInline(u.Inline, kindUser, in.PolicyName)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetUserPolicyOutput{UserName: ptr.To(u.Name), PolicyName: ptr.To(p.Name), PolicyDocument: ptr.To(encodeDocument(p.Document))}, nil
}

func (s *IAM) DeleteUserPolicy(ctx *request.Context, in *iamapi.DeleteUserPolicyInput) (*iamapi.DeleteUserPolicyOutput, error) {
	return empty[iamapi.DeleteUserPolicyOutput](s.updateUser(ctx, in.UserName, func(_ storage.Tx, _ storage.Scope, u *userRecord) error {
		return deleteInline(&u.Inline, kindUser, in.PolicyName)
	}))
}

func (s *IAM) ListUserPolicies(ctx *request.Context, in *iamapi.ListUserPoliciesInput) (*iamapi.ListUserPoliciesOutput, error) {
	u, err := s.viewUser(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	names, res, err := listInline(u.Inline, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListUserPoliciesOutput{PolicyNames: names, IsTruncated: res.IsTruncated, Marker: res.Marker}, nil
}

func (s *IAM) PutGroupPolicy(ctx *request.Context, in *iamapi.PutGroupPolicyInput) (*iamapi.PutGroupPolicyOutput, error) {
	return empty[iamapi.PutGroupPolicyOutput](s.updateGroup(ctx, in.GroupName, func(_ storage.Tx, _ storage.Scope, g *groupRecord) error {
		return putInline(&g.Inline, kindGroup, g.Name, in.PolicyName, in.PolicyDocument)
	}))
}

func (s *IAM) GetGroupPolicy(ctx *request.Context, in *iamapi.GetGroupPolicyInput) (*iamapi.GetGroupPolicyOutput, error) {
	g, err := s.viewGroup(ctx, in.GroupName)
	if err != nil {
		return nil, err
	}
	p, err := getInline(g.Inline, kindGroup, in.PolicyName)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetGroupPolicyOutput{GroupName: ptr.To(g.Name), PolicyName: ptr.To(p.Name), PolicyDocument: ptr.To(encodeDocument(p.Document))}, nil
}

func (s *IAM) DeleteGroupPolicy(ctx *request.Context, in *iamapi.DeleteGroupPolicyInput) (*iamapi.DeleteGroupPolicyOutput, error) {
	return empty[iamapi.DeleteGroupPolicyOutput](s.updateGroup(ctx, in.GroupName, func(_ storage.Tx, _ storage.Scope, g *groupRecord) error {
		return deleteInline(&g.Inline, kindGroup, in.PolicyName)
	}))
}

func (s *IAM) ListGroupPolicies(ctx *request.Context, in *iamapi.ListGroupPoliciesInput) (*iamapi.ListGroupPoliciesOutput, error) {
	g, err := s.viewGroup(ctx, in.GroupName)
	if err != nil {
		return nil, err
	}
	names, res, err := listInline(g.Inline, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListGroupPoliciesOutput{PolicyNames: names, IsTruncated: res.IsTruncated, Marker: res.Marker}, nil
}

func (s *IAM) PutRolePolicy(ctx *request.Context, in *iamapi.PutRolePolicyInput) (*iamapi.PutRolePolicyOutput, error) {
	return empty[iamapi.PutRolePolicyOutput](s.updateRole(ctx, in.RoleName, func(_ storage.Tx, _ storage.Scope, r *roleRecord) error {
		return putInline(&r.Inline, kindRole, r.Name, in.PolicyName, in.PolicyDocument)
	}))
}

func (s *IAM) GetRolePolicy(ctx *request.Context, in *iamapi.GetRolePolicyInput) (*iamapi.GetRolePolicyOutput, error) {
	r, err := s.viewRole(ctx, in.RoleName)
	if err != nil {
		return nil, err
	}
	p, err := getInline(r.Inline, kindRole, in.PolicyName)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetRolePolicyOutput{RoleName: ptr.To(r.Name), PolicyName: ptr.To(p.Name), PolicyDocument: ptr.To(encodeDocument(p.Document))}, nil
}

func (s *IAM) DeleteRolePolicy(ctx *request.Context, in *iamapi.DeleteRolePolicyInput) (*iamapi.DeleteRolePolicyOutput, error) {
	return empty[iamapi.DeleteRolePolicyOutput](s.updateRole(ctx, in.RoleName, func(_ storage.Tx, _ storage.Scope, r *roleRecord) error {
		return deleteInline(&r.Inline, kindRole, in.PolicyName)
	}))
}

func (s *IAM) ListRolePolicies(ctx *request.Context, in *iamapi.ListRolePoliciesInput) (*iamapi.ListRolePoliciesOutput, error) {
	r, err := s.viewRole(ctx, in.RoleName)
	if err != nil {
		return nil, err
	}
	names, res, err := listInline(r.Inline, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListRolePoliciesOutput{PolicyNames: names, IsTruncated: res.IsTruncated, Marker: res.Marker}, nil
}
