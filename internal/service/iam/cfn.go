package iam

import (
	"encoding/json"
	"net/url"
	"sort"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnResources are IAM's CloudFormation resource types. Stacks with any
// of them need CAPABILITY_IAM, or CAPABILITY_NAMED_IAM when they name
// them.
func (s *IAM) cfnResources() map[string]kit.ResourceProvider {
	m := map[string]kit.ResourceProvider{
		// Ref is the role name; Fn::GetAtt Arn, RoleId.
		"AWS::IAM::Role": {Read: s.cfnReadRole, Create: s.cfnCreateRole, Update: s.cfnUpdateRole, Delete: s.cfnDeleteRole,
			Replace: []string{"RoleName", "Path"}, Tags: true, Capability: "CAPABILITY_IAM"},
		// Ref is a generated id.
		"AWS::IAM::Policy": {Create: s.cfnPutPolicy, Update: s.cfnPutPolicy, Delete: s.cfnDeletePolicy,
			Capability: "CAPABILITY_IAM"},
		// Ref is the policy ARN; Fn::GetAtt PolicyArn, PolicyId, ...
		"AWS::IAM::ManagedPolicy": {Create: s.cfnCreateManagedPolicy, Update: s.cfnUpdateManagedPolicy,
			Delete: s.cfnDeleteManagedPolicy, Replace: []string{"ManagedPolicyName", "Path", "Description"},
			Capability: "CAPABILITY_IAM"},
		// Ref is the instance profile name; Fn::GetAtt Arn.
		"AWS::IAM::InstanceProfile": {Create: s.cfnCreateInstanceProfile, Delete: s.cfnDeleteInstanceProfile,
			Capability: "CAPABILITY_IAM"},
		// Ref is the user name; Fn::GetAtt Arn.
		"AWS::IAM::User": {Create: s.cfnCreateUser, Update: s.cfnUpdateUser, Delete: s.cfnDeleteUser,
			Replace: []string{"UserName", "Path"}, Tags: true, Capability: "CAPABILITY_IAM"},
		// Ref is the access key id; Fn::GetAtt SecretAccessKey.
		"AWS::IAM::AccessKey": {Create: s.cfnCreateAccessKey, Update: s.cfnUpdateAccessKey, Delete: s.cfnDeleteAccessKey,
			Replace: []string{"UserName", "Serial"}, Capability: "CAPABILITY_IAM"},
	}
	for name, p := range s.cfnMoreResources() {
		m[name] = p
	}
	return m
}

func ignoreMissing(err error) error {
	if iamapi.ErrNoSuchEntityException.Is(err) {
		return nil
	}
	return err
}

func strp(s string) *string { return &s }

func cfnIAMTags(props map[string]any) []iamapi.Tag {
	var out []iamapi.Tag
	for k, v := range kit.PropTags(props) {
		out = append(out, iamapi.Tag{Key: strp(k), Value: strp(v)})
	}
	return out
}

// inlinePolicies reads a Policies property: name → document.
func inlinePolicies(props map[string]any) map[string]string {
	out := map[string]string{}
	l, _ := props["Policies"].([]any)
	for _, p := range l {
		if m, ok := p.(map[string]any); ok {
			out[kit.PropStr(m, "PolicyName")] = kit.PropJSON(m, "PolicyDocument")
		}
	}
	return out
}

func (s *IAM) cfnCreateRole(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.Str("RoleName")
	if name == "" {
		name = kit.PhysicalName(r, 64)
	}
	doc := kit.PropJSON(r.Properties, "AssumeRolePolicyDocument")
	if doc == "" {
		return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: #: required key [AssumeRolePolicyDocument] not found", r.LogicalID)
	}
	in := &iamapi.CreateRoleInput{RoleName: &name, AssumeRolePolicyDocument: &doc, Tags: cfnIAMTags(r.Properties)}
	if p := r.Str("Path"); p != "" {
		in.Path = &p
	}
	if d := r.Str("Description"); d != "" {
		in.Description = &d
	}
	if b := r.Str("PermissionsBoundary"); b != "" {
		in.PermissionsBoundary = &b
	}
	var msd int32
	if err := kit.DecodeProp(r.Properties, "MaxSessionDuration", &msd); err == nil && msd > 0 {
		in.MaxSessionDuration = &msd
	}
	out, err := s.CreateRole(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if err := s.cfnRolePolicies(ctx, name, r.Properties, nil); err != nil {
		_ = s.cfnDeleteRole(ctx, kit.ResourceRequest{PhysicalID: name})
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{"Arn": *out.Role.Arn, "RoleId": *out.Role.RoleId}}, nil
}

// cfnRolePolicies brings a role's inline and managed policies from old
// to props.
func (s *IAM) cfnRolePolicies(ctx *request.Context, name string, props, old map[string]any) error {
	newInline, oldInline := inlinePolicies(props), inlinePolicies(old)
	for pn := range oldInline {
		if _, ok := newInline[pn]; !ok {
			if _, err := s.DeleteRolePolicy(ctx, &iamapi.DeleteRolePolicyInput{RoleName: &name, PolicyName: strp(pn)}); ignoreMissing(err) != nil {
				return err
			}
		}
	}
	for pn, doc := range newInline {
		if oldInline[pn] == doc {
			continue
		}
		if _, err := s.PutRolePolicy(ctx, &iamapi.PutRolePolicyInput{RoleName: &name, PolicyName: strp(pn), PolicyDocument: strp(doc)}); err != nil {
			return err
		}
	}
	newManaged, oldManaged := set(kit.PropList(props, "ManagedPolicyArns")), set(kit.PropList(old, "ManagedPolicyArns"))
	for arn := range oldManaged {
		if !newManaged[arn] {
			if _, err := s.DetachRolePolicy(ctx, &iamapi.DetachRolePolicyInput{RoleName: &name, PolicyArn: strp(arn)}); ignoreMissing(err) != nil {
				return err
			}
		}
	}
	for arn := range newManaged {
		if !oldManaged[arn] {
			if _, err := s.AttachRolePolicy(ctx, &iamapi.AttachRolePolicyInput{RoleName: &name, PolicyArn: strp(arn)}); err != nil {
				return err
			}
		}
	}
	return nil
}

func set(l []string) map[string]bool {
	m := map[string]bool{}
	for _, x := range l {
		m[x] = true
	}
	return m
}

func (s *IAM) cfnUpdateRole(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.PhysicalID
	if doc, old := kit.PropJSON(r.Properties, "AssumeRolePolicyDocument"), kit.PropJSON(r.OldProperties, "AssumeRolePolicyDocument"); doc != old {
		if _, err := s.UpdateAssumeRolePolicy(ctx, &iamapi.UpdateAssumeRolePolicyInput{RoleName: &name, PolicyDocument: &doc}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if err := s.cfnRolePolicies(ctx, name, r.Properties, r.OldProperties); err != nil {
		return kit.ResourceResult{}, err
	}
	d, md := r.Str("Description"), kit.PropStr(r.Properties, "MaxSessionDuration")
	if d != kit.PropStr(r.OldProperties, "Description") || md != kit.PropStr(r.OldProperties, "MaxSessionDuration") {
		in := &iamapi.UpdateRoleInput{RoleName: &name, Description: &d}
		msd := int32(3600) // AWS's default, back when the template drops it
		if err := kit.DecodeProp(r.Properties, "MaxSessionDuration", &msd); err != nil {
			return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: #/MaxSessionDuration: %v", r.LogicalID, err)
		}
		in.MaxSessionDuration = &msd
		if _, err := s.UpdateRole(ctx, in); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if b := r.Str("PermissionsBoundary"); b != kit.PropStr(r.OldProperties, "PermissionsBoundary") {
		var err error
		if b == "" {
			_, err = s.DeleteRolePermissionsBoundary(ctx, &iamapi.DeleteRolePermissionsBoundaryInput{RoleName: &name})
		} else {
			_, err = s.PutRolePermissionsBoundary(ctx, &iamapi.PutRolePermissionsBoundaryInput{RoleName: &name, PermissionsBoundary: &b})
		}
		if err != nil {
			return kit.ResourceResult{}, err
		}
	}
	add, drop := tagChanges(r)
	if len(drop) > 0 {
		if _, err := s.UntagRole(ctx, &iamapi.UntagRoleInput{RoleName: &name, TagKeys: drop}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if len(add) > 0 {
		if _, err := s.TagRole(ctx, &iamapi.TagRoleInput{RoleName: &name, Tags: add}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	out, err := s.GetRole(ctx, &iamapi.GetRoleInput{RoleName: &name})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{"Arn": *out.Role.Arn, "RoleId": *out.Role.RoleId}}, nil
}

// cfnDeleteRole empties the role of its policies and instance profiles,
// as CloudFormation does, then deletes it.
func (s *IAM) cfnDeleteRole(ctx *request.Context, r kit.ResourceRequest) error {
	name := r.PhysicalID
	inline, err := s.ListRolePolicies(ctx, &iamapi.ListRolePoliciesInput{RoleName: &name})
	if err != nil {
		return ignoreMissing(err)
	}
	for _, pn := range inline.PolicyNames {
		p := pn
		if _, err := s.DeleteRolePolicy(ctx, &iamapi.DeleteRolePolicyInput{RoleName: &name, PolicyName: &p}); ignoreMissing(err) != nil {
			return err
		}
	}
	attached, err := s.ListAttachedRolePolicies(ctx, &iamapi.ListAttachedRolePoliciesInput{RoleName: &name})
	if err != nil {
		return ignoreMissing(err)
	}
	for _, ap := range attached.AttachedPolicies {
		if _, err := s.DetachRolePolicy(ctx, &iamapi.DetachRolePolicyInput{RoleName: &name, PolicyArn: ap.PolicyArn}); ignoreMissing(err) != nil {
			return err
		}
	}
	_, err = s.DeleteRole(ctx, &iamapi.DeleteRoleInput{RoleName: &name})
	return ignoreMissing(err)
}

func (s *IAM) cfnPutPolicy(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name, doc := r.Str("PolicyName"), kit.PropJSON(r.Properties, "PolicyDocument")
	if name == "" || doc == "" {
		return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: #: required key [PolicyName, PolicyDocument] not found", r.LogicalID)
	}
	if r.OldProperties != nil {
		// Drop the old policy from principals no longer listed (or all,
		// when the name changed).
		oldName := kit.PropStr(r.OldProperties, "PolicyName")
		roles, users := set(kit.PropList(r.Properties, "Roles")), set(kit.PropList(r.Properties, "Users"))
		for _, role := range kit.PropList(r.OldProperties, "Roles") {
			if !roles[role] || oldName != name {
				_, _ = s.DeleteRolePolicy(ctx, &iamapi.DeleteRolePolicyInput{RoleName: strp(role), PolicyName: &oldName})
			}
		}
		for _, user := range kit.PropList(r.OldProperties, "Users") {
			if !users[user] || oldName != name {
				_, _ = s.DeleteUserPolicy(ctx, &iamapi.DeleteUserPolicyInput{UserName: strp(user), PolicyName: &oldName})
			}
		}
		groups := set(kit.PropList(r.Properties, "Groups"))
		for _, group := range kit.PropList(r.OldProperties, "Groups") {
			if !groups[group] || oldName != name {
				_, _ = s.DeleteGroupPolicy(ctx, &iamapi.DeleteGroupPolicyInput{GroupName: strp(group), PolicyName: &oldName})
			}
		}
	}
	for _, group := range kit.PropList(r.Properties, "Groups") {
		if _, err := s.PutGroupPolicy(ctx, &iamapi.PutGroupPolicyInput{GroupName: strp(group), PolicyName: &name, PolicyDocument: &doc}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	for _, role := range kit.PropList(r.Properties, "Roles") {
		if _, err := s.PutRolePolicy(ctx, &iamapi.PutRolePolicyInput{RoleName: strp(role), PolicyName: &name, PolicyDocument: &doc}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	for _, user := range kit.PropList(r.Properties, "Users") {
		if _, err := s.PutUserPolicy(ctx, &iamapi.PutUserPolicyInput{UserName: strp(user), PolicyName: &name, PolicyDocument: &doc}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	id := r.PhysicalID
	if id == "" {
		id = kit.PhysicalName(r, 128)
	}
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"Id": id}}, nil
}

func (s *IAM) cfnDeletePolicy(ctx *request.Context, r kit.ResourceRequest) error {
	name := r.Str("PolicyName")
	for _, role := range kit.PropList(r.Properties, "Roles") {
		if _, err := s.DeleteRolePolicy(ctx, &iamapi.DeleteRolePolicyInput{RoleName: strp(role), PolicyName: &name}); ignoreMissing(err) != nil {
			return err
		}
	}
	for _, user := range kit.PropList(r.Properties, "Users") {
		if _, err := s.DeleteUserPolicy(ctx, &iamapi.DeleteUserPolicyInput{UserName: strp(user), PolicyName: &name}); ignoreMissing(err) != nil {
			return err
		}
	}
	for _, group := range kit.PropList(r.Properties, "Groups") {
		if _, err := s.DeleteGroupPolicy(ctx, &iamapi.DeleteGroupPolicyInput{GroupName: strp(group), PolicyName: &name}); ignoreMissing(err) != nil {
			return err
		}
	}
	return nil
}

func managedPolicyResult(p *iamapi.Policy) kit.ResourceResult {
	return kit.ResourceResult{PhysicalID: *p.Arn, Attributes: map[string]any{"PolicyArn": *p.Arn, "PolicyId": *p.PolicyId,
		"PolicyName": *p.PolicyName, "DefaultVersionId": *p.DefaultVersionId, "Path": *p.Path}}
}

func (s *IAM) cfnCreateManagedPolicy(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.Str("ManagedPolicyName")
	if name == "" {
		name = kit.PhysicalName(r, 128)
	}
	doc := kit.PropJSON(r.Properties, "PolicyDocument")
	in := &iamapi.CreatePolicyInput{PolicyName: &name, PolicyDocument: &doc}
	if p := r.Str("Path"); p != "" {
		in.Path = &p
	}
	if d := r.Str("Description"); d != "" {
		in.Description = &d
	}
	out, err := s.CreatePolicy(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if err := s.cfnAttachManaged(ctx, *out.Policy.Arn, r.Properties, nil); err != nil {
		_ = s.cfnDeleteManagedPolicy(ctx, kit.ResourceRequest{PhysicalID: *out.Policy.Arn, Properties: r.Properties})
		return kit.ResourceResult{}, err
	}
	return managedPolicyResult(out.Policy), nil
}

func (s *IAM) cfnAttachManaged(ctx *request.Context, arn string, props, old map[string]any) error {
	newRoles, oldRoles := set(kit.PropList(props, "Roles")), set(kit.PropList(old, "Roles"))
	for role := range oldRoles {
		if !newRoles[role] {
			if _, err := s.DetachRolePolicy(ctx, &iamapi.DetachRolePolicyInput{RoleName: strp(role), PolicyArn: &arn}); ignoreMissing(err) != nil {
				return err
			}
		}
	}
	for role := range newRoles {
		if !oldRoles[role] {
			if _, err := s.AttachRolePolicy(ctx, &iamapi.AttachRolePolicyInput{RoleName: strp(role), PolicyArn: &arn}); err != nil {
				return err
			}
		}
	}
	newGroups, oldGroups := set(kit.PropList(props, "Groups")), set(kit.PropList(old, "Groups"))
	for group := range oldGroups {
		if !newGroups[group] {
			if _, err := s.DetachGroupPolicy(ctx, &iamapi.DetachGroupPolicyInput{GroupName: strp(group), PolicyArn: &arn}); ignoreMissing(err) != nil {
				return err
			}
		}
	}
	for group := range newGroups {
		if !oldGroups[group] {
			if _, err := s.AttachGroupPolicy(ctx, &iamapi.AttachGroupPolicyInput{GroupName: strp(group), PolicyArn: &arn}); err != nil {
				return err
			}
		}
	}
	newUsers, oldUsers := set(kit.PropList(props, "Users")), set(kit.PropList(old, "Users"))
	for user := range oldUsers {
		if !newUsers[user] {
			if _, err := s.DetachUserPolicy(ctx, &iamapi.DetachUserPolicyInput{UserName: strp(user), PolicyArn: &arn}); ignoreMissing(err) != nil {
				return err
			}
		}
	}
	for user := range newUsers {
		if !oldUsers[user] {
			if _, err := s.AttachUserPolicy(ctx, &iamapi.AttachUserPolicyInput{UserName: strp(user), PolicyArn: &arn}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *IAM) cfnUpdateManagedPolicy(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	arn := r.PhysicalID
	if doc, old := kit.PropJSON(r.Properties, "PolicyDocument"), kit.PropJSON(r.OldProperties, "PolicyDocument"); doc != old {
		// At most five versions: drop the oldest non-default first.
		vs, err := s.ListPolicyVersions(ctx, &iamapi.ListPolicyVersionsInput{PolicyArn: &arn})
		if err != nil {
			return kit.ResourceResult{}, err
		}
		if len(vs.Versions) >= 5 {
			for i := len(vs.Versions) - 1; i >= 0; i-- {
				if v := vs.Versions[i]; v.IsDefaultVersion == nil || !*v.IsDefaultVersion {
					if _, err := s.DeletePolicyVersion(ctx, &iamapi.DeletePolicyVersionInput{PolicyArn: &arn, VersionId: v.VersionId}); err != nil {
						return kit.ResourceResult{}, err
					}
					break
				}
			}
		}
		t := true
		if _, err := s.CreatePolicyVersion(ctx, &iamapi.CreatePolicyVersionInput{PolicyArn: &arn, PolicyDocument: &doc, SetAsDefault: &t}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if err := s.cfnAttachManaged(ctx, arn, r.Properties, r.OldProperties); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.GetPolicy(ctx, &iamapi.GetPolicyInput{PolicyArn: &arn})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return managedPolicyResult(out.Policy), nil
}

func (s *IAM) cfnDeleteManagedPolicy(ctx *request.Context, r kit.ResourceRequest) error {
	arn := r.PhysicalID
	if err := s.cfnAttachManaged(ctx, arn, nil, r.Properties); err != nil {
		return err
	}
	vs, err := s.ListPolicyVersions(ctx, &iamapi.ListPolicyVersionsInput{PolicyArn: &arn})
	if err != nil {
		return ignoreMissing(err)
	}
	for _, v := range vs.Versions {
		if v.IsDefaultVersion == nil || !*v.IsDefaultVersion {
			_, _ = s.DeletePolicyVersion(ctx, &iamapi.DeletePolicyVersionInput{PolicyArn: &arn, VersionId: v.VersionId})
		}
	}
	_, err = s.DeletePolicy(ctx, &iamapi.DeletePolicyInput{PolicyArn: &arn})
	return ignoreMissing(err)
}

func (s *IAM) cfnCreateInstanceProfile(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.Str("InstanceProfileName")
	if name == "" {
		name = kit.PhysicalName(r, 128)
	}
	in := &iamapi.CreateInstanceProfileInput{InstanceProfileName: &name}
	if p := r.Str("Path"); p != "" {
		in.Path = &p
	}
	out, err := s.CreateInstanceProfile(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	for _, role := range kit.PropList(r.Properties, "Roles") {
		if _, err := s.AddRoleToInstanceProfile(ctx, &iamapi.AddRoleToInstanceProfileInput{InstanceProfileName: &name, RoleName: strp(role)}); err != nil {
			_, _ = s.DeleteInstanceProfile(ctx, &iamapi.DeleteInstanceProfileInput{InstanceProfileName: &name})
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{"Arn": *out.InstanceProfile.Arn}}, nil
}

func (s *IAM) cfnDeleteInstanceProfile(ctx *request.Context, r kit.ResourceRequest) error {
	name := r.PhysicalID
	for _, role := range kit.PropList(r.Properties, "Roles") {
		_, _ = s.RemoveRoleFromInstanceProfile(ctx, &iamapi.RemoveRoleFromInstanceProfileInput{InstanceProfileName: &name, RoleName: strp(role)})
	}
	_, err := s.DeleteInstanceProfile(ctx, &iamapi.DeleteInstanceProfileInput{InstanceProfileName: &name})
	return ignoreMissing(err)
}

func (s *IAM) cfnCreateUser(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.Str("UserName")
	if name == "" {
		name = kit.PhysicalName(r, 64)
	}
	in := &iamapi.CreateUserInput{UserName: &name, Tags: cfnIAMTags(r.Properties)}
	if p := r.Str("Path"); p != "" {
		in.Path = &p
	}
	if b := r.Str("PermissionsBoundary"); b != "" {
		in.PermissionsBoundary = &b
	}
	out, err := s.CreateUser(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	err = s.cfnUserPolicies(ctx, name, r.Properties, nil)
	if err == nil {
		err = s.cfnLoginProfile(ctx, name, r.Properties, nil)
	}
	if err != nil {
		_ = s.cfnDeleteUser(ctx, kit.ResourceRequest{PhysicalID: name, Properties: r.Properties})
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{"Arn": *out.User.Arn}}, nil
}

func (s *IAM) cfnUserPolicies(ctx *request.Context, name string, props, old map[string]any) error {
	newInline, oldInline := inlinePolicies(props), inlinePolicies(old)
	for pn := range oldInline {
		if _, ok := newInline[pn]; !ok {
			if _, err := s.DeleteUserPolicy(ctx, &iamapi.DeleteUserPolicyInput{UserName: &name, PolicyName: strp(pn)}); ignoreMissing(err) != nil {
				return err
			}
		}
	}
	for pn, doc := range newInline {
		if oldInline[pn] != doc {
			if _, err := s.PutUserPolicy(ctx, &iamapi.PutUserPolicyInput{UserName: &name, PolicyName: strp(pn), PolicyDocument: strp(doc)}); err != nil {
				return err
			}
		}
	}
	newGroups, oldGroups := set(kit.PropList(props, "Groups")), set(kit.PropList(old, "Groups"))
	for group := range oldGroups {
		if !newGroups[group] {
			if _, err := s.RemoveUserFromGroup(ctx, &iamapi.RemoveUserFromGroupInput{UserName: &name, GroupName: strp(group)}); ignoreMissing(err) != nil {
				return err
			}
		}
	}
	for group := range newGroups {
		if !oldGroups[group] {
			if _, err := s.AddUserToGroup(ctx, &iamapi.AddUserToGroupInput{UserName: &name, GroupName: strp(group)}); err != nil {
				return err
			}
		}
	}
	newManaged, oldManaged := set(kit.PropList(props, "ManagedPolicyArns")), set(kit.PropList(old, "ManagedPolicyArns"))
	for arn := range oldManaged {
		if !newManaged[arn] {
			if _, err := s.DetachUserPolicy(ctx, &iamapi.DetachUserPolicyInput{UserName: &name, PolicyArn: strp(arn)}); ignoreMissing(err) != nil {
				return err
			}
		}
	}
	for arn := range newManaged {
		if !oldManaged[arn] {
			if _, err := s.AttachUserPolicy(ctx, &iamapi.AttachUserPolicyInput{UserName: &name, PolicyArn: strp(arn)}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *IAM) cfnUpdateUser(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.PhysicalID
	if err := s.cfnUserPolicies(ctx, name, r.Properties, r.OldProperties); err != nil {
		return kit.ResourceResult{}, err
	}
	if b := r.Str("PermissionsBoundary"); b != kit.PropStr(r.OldProperties, "PermissionsBoundary") {
		var err error
		if b == "" {
			_, err = s.DeleteUserPermissionsBoundary(ctx, &iamapi.DeleteUserPermissionsBoundaryInput{UserName: &name})
		} else {
			_, err = s.PutUserPermissionsBoundary(ctx, &iamapi.PutUserPermissionsBoundaryInput{UserName: &name, PermissionsBoundary: &b})
		}
		if err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if err := s.cfnLoginProfile(ctx, name, r.Properties, r.OldProperties); err != nil {
		return kit.ResourceResult{}, err
	}
	add, drop := tagChanges(r)
	if len(drop) > 0 {
		if _, err := s.UntagUser(ctx, &iamapi.UntagUserInput{UserName: &name, TagKeys: drop}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if len(add) > 0 {
		if _, err := s.TagUser(ctx, &iamapi.TagUserInput{UserName: &name, Tags: add}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: r.Attributes}, nil
}

// cfnLoginProfile brings the user's console password (LoginProfile:
// Password, PasswordResetRequired) from old to props.
func (s *IAM) cfnLoginProfile(ctx *request.Context, name string, props, old map[string]any) error {
	cur, had := kit.PropMap(props, "LoginProfile"), kit.PropMap(old, "LoginProfile")
	switch {
	case cur == nil && had != nil:
		_, err := s.DeleteLoginProfile(ctx, &iamapi.DeleteLoginProfileInput{UserName: &name})
		return ignoreMissing(err)
	case cur == nil || kit.PropJSON(props, "LoginProfile") == kit.PropJSON(old, "LoginProfile"):
		return nil
	}
	pw, reset := kit.PropStr(cur, "Password"), kit.PropBool(cur, "PasswordResetRequired")
	if had == nil {
		_, err := s.CreateLoginProfile(ctx, &iamapi.CreateLoginProfileInput{UserName: &name, Password: &pw, PasswordResetRequired: &reset})
		return err
	}
	_, err := s.UpdateLoginProfile(ctx, &iamapi.UpdateLoginProfileInput{UserName: &name, Password: &pw, PasswordResetRequired: &reset})
	return err
}

func (s *IAM) cfnDeleteUser(ctx *request.Context, r kit.ResourceRequest) error {
	name := r.PhysicalID
	if _, err := s.DeleteLoginProfile(ctx, &iamapi.DeleteLoginProfileInput{UserName: &name}); ignoreMissing(err) != nil {
		return err
	}
	if err := s.cfnUserPolicies(ctx, name, nil, r.Properties); err != nil {
		return ignoreMissing(err)
	}
	_, err := s.DeleteUser(ctx, &iamapi.DeleteUserInput{UserName: &name})
	return ignoreMissing(err)
}

func (s *IAM) cfnCreateAccessKey(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	user := r.Str("UserName")
	out, err := s.CreateAccessKey(ctx, &iamapi.CreateAccessKeyInput{UserName: &user})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := *out.AccessKey.AccessKeyId
	if r.Str("Status") == "Inactive" {
		if _, err := s.UpdateAccessKey(ctx, &iamapi.UpdateAccessKeyInput{UserName: &user, AccessKeyId: &id, Status: strp("Inactive")}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"SecretAccessKey": *out.AccessKey.SecretAccessKey}}, nil
}

func (s *IAM) cfnUpdateAccessKey(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	status := r.Str("Status")
	if status == "" {
		status = "Active"
	}
	user := r.Str("UserName")
	if _, err := s.UpdateAccessKey(ctx, &iamapi.UpdateAccessKeyInput{UserName: &user, AccessKeyId: &r.PhysicalID, Status: &status}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: r.Attributes}, nil
}

func (s *IAM) cfnDeleteAccessKey(ctx *request.Context, r kit.ResourceRequest) error {
	user := r.Str("UserName")
	_, err := s.DeleteAccessKey(ctx, &iamapi.DeleteAccessKeyInput{UserName: &user, AccessKeyId: &r.PhysicalID})
	return ignoreMissing(err)
}

var _ = json.Marshal

// cfnReadRole reads a role's trust policy, settings and managed
// policies back for drift detection.
func (s *IAM) cfnReadRole(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	name := r.PhysicalID
	out, err := s.GetRole(ctx, &iamapi.GetRoleInput{RoleName: &name})
	if iamapi.ErrNoSuchEntityException.Is(err) {
		return nil, kit.ErrResourceGone
	}
	if err != nil {
		return nil, err
	}
	role := out.Role
	live := map[string]any{"RoleName": name, "Description": nil, "Path": "/"}
	if role.Path != nil {
		live["Path"] = *role.Path
	}
	if role.Description != nil && *role.Description != "" {
		live["Description"] = *role.Description
	}
	if role.MaxSessionDuration != nil {
		live["MaxSessionDuration"] = float64(*role.MaxSessionDuration)
	}
	if role.AssumeRolePolicyDocument != nil {
		doc := *role.AssumeRolePolicyDocument
		if d, err := url.QueryUnescape(doc); err == nil {
			doc = d
		}
		var v any
		if json.Unmarshal([]byte(doc), &v) == nil {
			live["AssumeRolePolicyDocument"] = v
		}
	}
	attached, err := s.ListAttachedRolePolicies(ctx, &iamapi.ListAttachedRolePoliciesInput{RoleName: &name})
	if err != nil {
		return nil, err
	}
	var arns []string
	for _, p := range attached.AttachedPolicies {
		if p.PolicyArn != nil {
			arns = append(arns, *p.PolicyArn)
		}
	}
	// The template's order is kept where the same policies are attached.
	want := kit.PropList(r.Properties, "ManagedPolicyArns")
	if sameSet(want, arns) {
		arns = want
	} else {
		sort.Strings(arns)
	}
	l := make([]any, 0, len(arns))
	for _, a := range arns {
		l = append(l, a)
	}
	live["ManagedPolicyArns"] = l
	return live, nil
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	seen := map[string]int{}
	for _, x := range a {
		seen[x]++
	}
	for _, x := range b {
		seen[x]--
		if seen[x] < 0 {
			return false
		}
	}
	return true
}
