package iam

import (
	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnMoreResources are IAM's CloudFormation types beyond roles, users and
// policies (cfn.go): groups and their members, the one-policy types,
// service-linked roles, identity providers, server certificates and
// virtual MFA devices.
func (s *IAM) cfnMoreResources() map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the group name; Fn::GetAtt Arn. Path and policies change
		// in place.
		"AWS::IAM::Group": {Create: s.cfnCreateGroup, Update: s.cfnUpdateGroup, Delete: s.cfnDeleteGroup,
			Replace: []string{"GroupName"}, Capability: "CAPABILITY_IAM"},
		// Ref is a generated id; its Users change in place.
		"AWS::IAM::UserToGroupAddition": {Create: s.cfnAddUsersToGroup, Update: s.cfnAddUsersToGroup, Delete: s.cfnRemoveUsersFromGroup,
			Replace: []string{"GroupName"}, Capability: "CAPABILITY_IAM"},
		// Ref is a generated id; the document changes in place.
		"AWS::IAM::GroupPolicy": {Create: s.cfnPutGroupPolicy, Update: s.cfnPutGroupPolicy, Delete: s.cfnDeleteGroupPolicy,
			Replace: []string{"GroupName", "PolicyName"}, Capability: "CAPABILITY_IAM"},
		"AWS::IAM::RolePolicy": {Create: s.cfnPutRolePolicy, Update: s.cfnPutRolePolicy, Delete: s.cfnDeleteRolePolicy,
			Replace: []string{"RoleName", "PolicyName"}, Capability: "CAPABILITY_IAM"},
		"AWS::IAM::UserPolicy": {Create: s.cfnPutUserPolicy, Update: s.cfnPutUserPolicy, Delete: s.cfnDeleteUserPolicy,
			Replace: []string{"UserName", "PolicyName"}, Capability: "CAPABILITY_IAM"},
		// Ref is the role name; Fn::GetAtt RoleName. Its description
		// changes in place.
		"AWS::IAM::ServiceLinkedRole": {Create: s.cfnCreateServiceLinkedRole, Update: s.cfnUpdateServiceLinkedRole,
			Delete: s.cfnDeleteServiceLinkedRole, Replace: []string{"AWSServiceName", "CustomSuffix"}, Capability: "CAPABILITY_IAM"},
		// Ref is the provider's ARN; Fn::GetAtt Arn. Client ids,
		// thumbprints and tags change in place.
		"AWS::IAM::OIDCProvider": {Create: s.cfnCreateOIDCProvider, Update: s.cfnUpdateOIDCProvider, Delete: s.cfnDeleteOIDCProvider,
			Replace: []string{"Url"}, Tags: true, Capability: "CAPABILITY_IAM"},
		// Ref is the provider's ARN; Fn::GetAtt Arn. The metadata and
		// tags change in place.
		"AWS::IAM::SAMLProvider": {Create: s.cfnCreateSAMLProvider, Update: s.cfnUpdateSAMLProvider, Delete: s.cfnDeleteSAMLProvider,
			Replace: []string{"Name"}, Tags: true, Capability: "CAPABILITY_IAM"},
		// Ref is the certificate's name; Fn::GetAtt Arn. The path changes
		// in place.
		"AWS::IAM::ServerCertificate": {Create: s.cfnUploadServerCertificate, Update: s.cfnUpdateServerCertificate,
			Delete: s.cfnDeleteServerCertificate, Replace: []string{"ServerCertificateName", "CertificateBody", "CertificateChain", "PrivateKey"},
			Tags: true, Capability: "CAPABILITY_IAM"},
		// Ref is the device's serial number (its ARN); Fn::GetAtt
		// SerialNumber. Every change replaces it.
		"AWS::IAM::VirtualMFADevice": {Create: s.cfnCreateVirtualMFADevice, Delete: s.cfnDeleteVirtualMFADevice,
			Tags: true, Capability: "CAPABILITY_IAM"},
	}
}

func (s *IAM) cfnGroupPolicies(ctx *request.Context, name string, props, old map[string]any) error {
	newInline, oldInline := inlinePolicies(props), inlinePolicies(old)
	for pn := range oldInline {
		if _, ok := newInline[pn]; !ok {
			if _, err := s.DeleteGroupPolicy(ctx, &iamapi.DeleteGroupPolicyInput{GroupName: &name, PolicyName: strp(pn)}); ignoreMissing(err) != nil {
				return err
			}
		}
	}
	for pn, doc := range newInline {
		if oldInline[pn] != doc {
			if _, err := s.PutGroupPolicy(ctx, &iamapi.PutGroupPolicyInput{GroupName: &name, PolicyName: strp(pn), PolicyDocument: strp(doc)}); err != nil {
				return err
			}
		}
	}
	newManaged, oldManaged := set(kit.PropList(props, "ManagedPolicyArns")), set(kit.PropList(old, "ManagedPolicyArns"))
	for arn := range oldManaged {
		if !newManaged[arn] {
			if _, err := s.DetachGroupPolicy(ctx, &iamapi.DetachGroupPolicyInput{GroupName: &name, PolicyArn: strp(arn)}); ignoreMissing(err) != nil {
				return err
			}
		}
	}
	for arn := range newManaged {
		if !oldManaged[arn] {
			if _, err := s.AttachGroupPolicy(ctx, &iamapi.AttachGroupPolicyInput{GroupName: &name, PolicyArn: strp(arn)}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *IAM) cfnCreateGroup(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.Str("GroupName")
	if name == "" {
		name = kit.PhysicalName(r, 128)
	}
	in := &iamapi.CreateGroupInput{GroupName: &name}
	if p := r.Str("Path"); p != "" {
		in.Path = &p
	}
	out, err := s.CreateGroup(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if err := s.cfnGroupPolicies(ctx, name, r.Properties, nil); err != nil {
		_ = s.cfnDeleteGroup(ctx, kit.ResourceRequest{PhysicalID: name})
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{"Arn": *out.Group.Arn}}, nil
}

func (s *IAM) cfnUpdateGroup(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.PhysicalID
	if p := r.Str("Path"); p != kit.PropStr(r.OldProperties, "Path") {
		if p == "" {
			p = "/"
		}
		if _, err := s.UpdateGroup(ctx, &iamapi.UpdateGroupInput{GroupName: &name, NewPath: &p}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if err := s.cfnGroupPolicies(ctx, name, r.Properties, r.OldProperties); err != nil {
		return kit.ResourceResult{}, err
	}
	out, err := s.GetGroup(ctx, &iamapi.GetGroupInput{GroupName: &name})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{"Arn": *out.Group.Arn}}, nil
}

// cfnDeleteGroup empties the group of its policies and members, as
// CloudFormation does, then deletes it.
func (s *IAM) cfnDeleteGroup(ctx *request.Context, r kit.ResourceRequest) error {
	name := r.PhysicalID
	inline, err := s.ListGroupPolicies(ctx, &iamapi.ListGroupPoliciesInput{GroupName: &name})
	if err != nil {
		return ignoreMissing(err)
	}
	for _, pn := range inline.PolicyNames {
		if _, err := s.DeleteGroupPolicy(ctx, &iamapi.DeleteGroupPolicyInput{GroupName: &name, PolicyName: strp(pn)}); ignoreMissing(err) != nil {
			return err
		}
	}
	attached, err := s.ListAttachedGroupPolicies(ctx, &iamapi.ListAttachedGroupPoliciesInput{GroupName: &name})
	if err != nil {
		return ignoreMissing(err)
	}
	for _, ap := range attached.AttachedPolicies {
		if _, err := s.DetachGroupPolicy(ctx, &iamapi.DetachGroupPolicyInput{GroupName: &name, PolicyArn: ap.PolicyArn}); ignoreMissing(err) != nil {
			return err
		}
	}
	members, err := s.GetGroup(ctx, &iamapi.GetGroupInput{GroupName: &name})
	if err != nil {
		return ignoreMissing(err)
	}
	for _, u := range members.Users {
		if _, err := s.RemoveUserFromGroup(ctx, &iamapi.RemoveUserFromGroupInput{GroupName: &name, UserName: u.UserName}); ignoreMissing(err) != nil {
			return err
		}
	}
	_, err = s.DeleteGroup(ctx, &iamapi.DeleteGroupInput{GroupName: &name})
	return ignoreMissing(err)
}

func (s *IAM) cfnAddUsersToGroup(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	group := r.Str("GroupName")
	users := set(kit.PropList(r.Properties, "Users"))
	for _, u := range kit.PropList(r.OldProperties, "Users") {
		if !users[u] {
			if _, err := s.RemoveUserFromGroup(ctx, &iamapi.RemoveUserFromGroupInput{GroupName: &group, UserName: strp(u)}); ignoreMissing(err) != nil {
				return kit.ResourceResult{}, err
			}
		}
	}
	for _, u := range kit.PropList(r.Properties, "Users") {
		if _, err := s.AddUserToGroup(ctx, &iamapi.AddUserToGroupInput{GroupName: &group, UserName: strp(u)}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	id := r.PhysicalID
	if id == "" {
		id = kit.PhysicalName(r, 128)
	}
	return kit.ResourceResult{PhysicalID: id}, nil
}

func (s *IAM) cfnRemoveUsersFromGroup(ctx *request.Context, r kit.ResourceRequest) error {
	group := r.Str("GroupName")
	for _, u := range kit.PropList(r.Properties, "Users") {
		if _, err := s.RemoveUserFromGroup(ctx, &iamapi.RemoveUserFromGroupInput{GroupName: &group, UserName: strp(u)}); ignoreMissing(err) != nil {
			return err
		}
	}
	return nil
}

// onePolicy reads an AWS::IAM::{Group,Role,User}Policy's name and document.
func onePolicy(r kit.ResourceRequest, principal string) (name, doc *string, err error) {
	n, d := r.Str("PolicyName"), kit.PropJSON(r.Properties, "PolicyDocument")
	if n == "" || r.Str(principal) == "" {
		return nil, nil, awserr.ValidationError.New("Properties validation failed for resource %s with message: #: required key [PolicyName, %s] not found", r.LogicalID, principal)
	}
	if d == "" {
		// PolicyDocument is optional in the schema; IAM wants one.
		return nil, nil, awserr.ValidationError.New("Properties validation failed for resource %s with message: #: required key [PolicyDocument] not found", r.LogicalID)
	}
	return &n, &d, nil
}

func onePolicyResult(r kit.ResourceRequest) kit.ResourceResult {
	id := r.PhysicalID
	if id == "" {
		id = kit.PhysicalName(r, 128)
	}
	return kit.ResourceResult{PhysicalID: id}
}

func (s *IAM) cfnPutGroupPolicy(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name, doc, err := onePolicy(r, "GroupName")
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if _, err := s.PutGroupPolicy(ctx, &iamapi.PutGroupPolicyInput{GroupName: strp(r.Str("GroupName")), PolicyName: name, PolicyDocument: doc}); err != nil {
		return kit.ResourceResult{}, err
	}
	return onePolicyResult(r), nil
}

func (s *IAM) cfnDeleteGroupPolicy(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteGroupPolicy(ctx, &iamapi.DeleteGroupPolicyInput{GroupName: strp(r.Str("GroupName")), PolicyName: strp(r.Str("PolicyName"))})
	return ignoreMissing(err)
}

func (s *IAM) cfnPutRolePolicy(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name, doc, err := onePolicy(r, "RoleName")
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if _, err := s.PutRolePolicy(ctx, &iamapi.PutRolePolicyInput{RoleName: strp(r.Str("RoleName")), PolicyName: name, PolicyDocument: doc}); err != nil {
		return kit.ResourceResult{}, err
	}
	return onePolicyResult(r), nil
}

func (s *IAM) cfnDeleteRolePolicy(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteRolePolicy(ctx, &iamapi.DeleteRolePolicyInput{RoleName: strp(r.Str("RoleName")), PolicyName: strp(r.Str("PolicyName"))})
	return ignoreMissing(err)
}

func (s *IAM) cfnPutUserPolicy(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name, doc, err := onePolicy(r, "UserName")
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if _, err := s.PutUserPolicy(ctx, &iamapi.PutUserPolicyInput{UserName: strp(r.Str("UserName")), PolicyName: name, PolicyDocument: doc}); err != nil {
		return kit.ResourceResult{}, err
	}
	return onePolicyResult(r), nil
}

func (s *IAM) cfnDeleteUserPolicy(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteUserPolicy(ctx, &iamapi.DeleteUserPolicyInput{UserName: strp(r.Str("UserName")), PolicyName: strp(r.Str("PolicyName"))})
	return ignoreMissing(err)
}

func optp(v string) *string {
	if v == "" {
		return nil
	}
	return &v
}

func (s *IAM) cfnCreateServiceLinkedRole(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	out, err := s.CreateServiceLinkedRole(ctx, &iamapi.CreateServiceLinkedRoleInput{AWSServiceName: strp(r.Str("AWSServiceName")),
		CustomSuffix: optp(r.Str("CustomSuffix")), Description: optp(r.Str("Description"))})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	name := *out.Role.RoleName
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{"RoleName": name}}, nil
}

func (s *IAM) cfnUpdateServiceLinkedRole(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	d := r.Str("Description")
	if _, err := s.UpdateRoleDescription(ctx, &iamapi.UpdateRoleDescriptionInput{RoleName: &r.PhysicalID, Description: &d}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"RoleName": r.PhysicalID}}, nil
}

func (s *IAM) cfnDeleteServiceLinkedRole(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteServiceLinkedRole(ctx, &iamapi.DeleteServiceLinkedRoleInput{RoleName: &r.PhysicalID})
	return ignoreMissing(err)
}

func (s *IAM) cfnCreateOIDCProvider(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &iamapi.CreateOpenIDConnectProviderInput{Url: strp(r.Str("Url")), Tags: cfnIAMTags(r.Properties)}
	if kit.Has(r.Properties, "ClientIdList") {
		in.ClientIDList = kit.PropList(r.Properties, "ClientIdList")
	}
	if kit.Has(r.Properties, "ThumbprintList") {
		in.ThumbprintList = kit.PropList(r.Properties, "ThumbprintList")
	}
	out, err := s.CreateOpenIDConnectProvider(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	arn := *out.OpenIDConnectProviderArn
	return kit.ResourceResult{PhysicalID: arn, Attributes: map[string]any{"Arn": arn}}, nil
}

func (s *IAM) cfnUpdateOIDCProvider(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	arn := r.PhysicalID
	if a, b := kit.PropList(r.Properties, "ThumbprintList"), kit.PropList(r.OldProperties, "ThumbprintList"); kit.PropJSON(r.Properties, "ThumbprintList") != kit.PropJSON(r.OldProperties, "ThumbprintList") && len(a)+len(b) > 0 {
		if _, err := s.UpdateOpenIDConnectProviderThumbprint(ctx, &iamapi.UpdateOpenIDConnectProviderThumbprintInput{OpenIDConnectProviderArn: &arn, ThumbprintList: a}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	cur, old := set(kit.PropList(r.Properties, "ClientIdList")), kit.PropList(r.OldProperties, "ClientIdList")
	for _, id := range old {
		if !cur[id] {
			if _, err := s.RemoveClientIDFromOpenIDConnectProvider(ctx, &iamapi.RemoveClientIDFromOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn, ClientID: strp(id)}); err != nil {
				return kit.ResourceResult{}, err
			}
		}
	}
	had := set(old)
	for _, id := range kit.PropList(r.Properties, "ClientIdList") {
		if !had[id] {
			if _, err := s.AddClientIDToOpenIDConnectProvider(ctx, &iamapi.AddClientIDToOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn, ClientID: strp(id)}); err != nil {
				return kit.ResourceResult{}, err
			}
		}
	}
	add, drop := tagChanges(r)
	if len(drop) > 0 {
		if _, err := s.UntagOpenIDConnectProvider(ctx, &iamapi.UntagOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn, TagKeys: drop}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if len(add) > 0 {
		if _, err := s.TagOpenIDConnectProvider(ctx, &iamapi.TagOpenIDConnectProviderInput{OpenIDConnectProviderArn: &arn, Tags: add}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: arn, Attributes: map[string]any{"Arn": arn}}, nil
}

// tagChanges returns the tags an update sets and the keys it drops.
func tagChanges(r kit.ResourceRequest) (add []iamapi.Tag, drop []string) {
	old, cur := kit.PropTags(r.OldProperties), kit.PropTags(r.Properties)
	for k := range old {
		if _, ok := cur[k]; !ok {
			drop = append(drop, k)
		}
	}
	for k, v := range cur {
		if ov, ok := old[k]; !ok || ov != v {
			add = append(add, iamapi.Tag{Key: strp(k), Value: strp(v)})
		}
	}
	return add, drop
}

func (s *IAM) cfnDeleteOIDCProvider(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteOpenIDConnectProvider(ctx, &iamapi.DeleteOpenIDConnectProviderInput{OpenIDConnectProviderArn: &r.PhysicalID})
	return ignoreMissing(err)
}

func (s *IAM) cfnCreateSAMLProvider(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.Str("Name")
	if name == "" {
		name = kit.PhysicalName(r, 128)
	}
	out, err := s.CreateSAMLProvider(ctx, &iamapi.CreateSAMLProviderInput{Name: &name, SAMLMetadataDocument: strp(r.Str("SamlMetadataDocument")),
		Tags: cfnIAMTags(r.Properties)})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	arn := *out.SAMLProviderArn
	return kit.ResourceResult{PhysicalID: arn, Attributes: map[string]any{"Arn": arn}}, nil
}

func (s *IAM) cfnUpdateSAMLProvider(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	arn := r.PhysicalID
	if doc := r.Str("SamlMetadataDocument"); doc != kit.PropStr(r.OldProperties, "SamlMetadataDocument") {
		if _, err := s.UpdateSAMLProvider(ctx, &iamapi.UpdateSAMLProviderInput{SAMLProviderArn: &arn, SAMLMetadataDocument: &doc}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	add, drop := tagChanges(r)
	if len(drop) > 0 {
		if _, err := s.UntagSAMLProvider(ctx, &iamapi.UntagSAMLProviderInput{SAMLProviderArn: &arn, TagKeys: drop}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if len(add) > 0 {
		if _, err := s.TagSAMLProvider(ctx, &iamapi.TagSAMLProviderInput{SAMLProviderArn: &arn, Tags: add}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: arn, Attributes: map[string]any{"Arn": arn}}, nil
}

func (s *IAM) cfnDeleteSAMLProvider(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteSAMLProvider(ctx, &iamapi.DeleteSAMLProviderInput{SAMLProviderArn: &r.PhysicalID})
	return ignoreMissing(err)
}

func (s *IAM) cfnUploadServerCertificate(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.Str("ServerCertificateName")
	if name == "" {
		name = kit.PhysicalName(r, 128)
	}
	out, err := s.UploadServerCertificate(ctx, &iamapi.UploadServerCertificateInput{ServerCertificateName: &name,
		CertificateBody: strp(r.Str("CertificateBody")), PrivateKey: strp(r.Str("PrivateKey")), CertificateChain: optp(r.Str("CertificateChain")),
		Path: optp(r.Str("Path")), Tags: cfnIAMTags(r.Properties)})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{"Arn": *out.ServerCertificateMetadata.Arn}}, nil
}

func (s *IAM) cfnUpdateServerCertificate(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.PhysicalID
	if p := r.Str("Path"); p != kit.PropStr(r.OldProperties, "Path") {
		if p == "" {
			p = "/"
		}
		if _, err := s.UpdateServerCertificate(ctx, &iamapi.UpdateServerCertificateInput{ServerCertificateName: &name, NewPath: &p}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	add, drop := tagChanges(r)
	if len(drop) > 0 {
		if _, err := s.UntagServerCertificate(ctx, &iamapi.UntagServerCertificateInput{ServerCertificateName: &name, TagKeys: drop}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if len(add) > 0 {
		if _, err := s.TagServerCertificate(ctx, &iamapi.TagServerCertificateInput{ServerCertificateName: &name, Tags: add}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	out, err := s.GetServerCertificate(ctx, &iamapi.GetServerCertificateInput{ServerCertificateName: &name})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{"Arn": *out.ServerCertificate.ServerCertificateMetadata.Arn}}, nil
}

func (s *IAM) cfnDeleteServerCertificate(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteServerCertificate(ctx, &iamapi.DeleteServerCertificateInput{ServerCertificateName: &r.PhysicalID})
	return ignoreMissing(err)
}

func (s *IAM) cfnCreateVirtualMFADevice(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if len(kit.PropList(r.Properties, "Users")) > 0 {
		// Enabling a device for a user needs two codes from it
		// (EnableMFADevice), which a template cannot give.
		return kit.ResourceResult{}, awserr.ValidationError.New("niwa does not enable a VirtualMFADevice for Users from a template: call EnableMFADevice with the device's codes")
	}
	name := r.Str("VirtualMfaDeviceName")
	if name == "" {
		name = kit.PhysicalName(r, 226)
	}
	out, err := s.CreateVirtualMFADevice(ctx, &iamapi.CreateVirtualMFADeviceInput{VirtualMFADeviceName: &name, Path: optp(r.Str("Path")),
		Tags: cfnIAMTags(r.Properties)})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	serial := *out.VirtualMFADevice.SerialNumber
	return kit.ResourceResult{PhysicalID: serial, Attributes: map[string]any{"SerialNumber": serial}}, nil
}

func (s *IAM) cfnDeleteVirtualMFADevice(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteVirtualMFADevice(ctx, &iamapi.DeleteVirtualMFADeviceInput{SerialNumber: &r.PhysicalID})
	return ignoreMissing(err)
}
