package iam

import (
	"net/url"
	"testing"
	"time"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestRoleLifecycle(t *testing.T) {
	f := newFixture(t)
	r := f.createRole("AppRole")
	if !reRoleID.MatchString(*r.RoleId) || *r.Arn != "arn:aws:iam::123456789012:role/AppRole" || *r.Path != "/" {
		t.Errorf("role = %+v", r)
	}
	if *r.MaxSessionDuration != 3600 {
		t.Errorf("MaxSessionDuration = %d, want default 3600", *r.MaxSessionDuration)
	}
	if *r.AssumeRolePolicyDocument == trustDoc {
		t.Errorf("AssumeRolePolicyDocument is not URL-encoded")
	}
	if decoded(t, r.AssumeRolePolicyDocument) != trustDoc {
		t.Errorf("AssumeRolePolicyDocument decodes to %q", decoded(t, r.AssumeRolePolicyDocument))
	}

	svc := must(f.CreateRole(f.ctx, &iamapi.CreateRoleInput{
		RoleName: ptr.To("svc"), Path: ptr.To("/service-role/"), AssumeRolePolicyDocument: ptr.To(url.QueryEscape(trustDoc)),
		Description: ptr.To("a service"), MaxSessionDuration: ptr.To(int32(7200)),
		Tags: []iamapi.Tag{{Key: ptr.To("k"), Value: ptr.To("v")}},
	})).Role
	if *svc.Arn != "arn:aws:iam::123456789012:role/service-role/svc" || *svc.MaxSessionDuration != 7200 || *svc.Description != "a service" {
		t.Errorf("svc = %+v", svc)
	}
	if decoded(t, svc.AssumeRolePolicyDocument) != trustDoc {
		t.Errorf("URL-encoded input was not stored decoded: %q", decoded(t, svc.AssumeRolePolicyDocument))
	}

	tests := []struct {
		name   string
		err    error
		code   string
		status int
		msg    string
	}{
		{"duplicate", second(f.CreateRole(f.ctx, &iamapi.CreateRoleInput{RoleName: ptr.To("approle"), AssumeRolePolicyDocument: ptr.To(trustDoc)})),
			"EntityAlreadyExists", 409, "Role with name approle already exists."},
		{"missing", second(f.GetRole(f.ctx, &iamapi.GetRoleInput{RoleName: ptr.To("ghost")})),
			"NoSuchEntity", 404, "The role with name ghost cannot be found."},
		{"session too short", second(f.CreateRole(f.ctx, &iamapi.CreateRoleInput{RoleName: ptr.To("x"), AssumeRolePolicyDocument: ptr.To(trustDoc), MaxSessionDuration: ptr.To(int32(60))})),
			"ValidationError", 400, "1 validation error detected: Value '60' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600"},
		{"session too long", second(f.UpdateRole(f.ctx, &iamapi.UpdateRoleInput{RoleName: ptr.To("AppRole"), MaxSessionDuration: ptr.To(int32(43201))})),
			"ValidationError", 400, "1 validation error detected: Value '43201' at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200"},
		{"trust with resource", second(f.CreateRole(f.ctx, &iamapi.CreateRoleInput{RoleName: ptr.To("x"), AssumeRolePolicyDocument: ptr.To(
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Resource":"*"}]}`)})),
			"MalformedPolicyDocument", 400, "Has prohibited field Resource."},
		{"trust without principal", second(f.UpdateAssumeRolePolicy(f.ctx, &iamapi.UpdateAssumeRolePolicyInput{RoleName: ptr.To("AppRole"), PolicyDocument: ptr.To(
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}`)})),
			"MalformedPolicyDocument", 400, "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!"},
		{"update missing role", second(f.UpdateRole(f.ctx, &iamapi.UpdateRoleInput{RoleName: ptr.To("ghost")})),
			"NoSuchEntity", 404, "The role with name ghost cannot be found."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantErr(t, tc.err, tc.code, tc.status, tc.msg) })
	}

	got := must(f.GetRole(f.ctx, &iamapi.GetRoleInput{RoleName: ptr.To("approle")})).Role
	if *got.RoleName != "AppRole" || got.RoleLastUsed == nil || got.RoleLastUsed.LastUsedDate != nil {
		t.Errorf("GetRole = %+v (RoleLastUsed %+v)", got, got.RoleLastUsed)
	}

	must(f.UpdateRole(f.ctx, &iamapi.UpdateRoleInput{RoleName: ptr.To("AppRole"), Description: ptr.To("updated"), MaxSessionDuration: ptr.To(int32(43200))}))
	got = must(f.GetRole(f.ctx, &iamapi.GetRoleInput{RoleName: ptr.To("AppRole")})).Role
	if *got.Description != "updated" || *got.MaxSessionDuration != 43200 {
		t.Errorf("after UpdateRole = %+v", got)
	}
	desc := must(f.UpdateRoleDescription(f.ctx, &iamapi.UpdateRoleDescriptionInput{RoleName: ptr.To("AppRole"), Description: ptr.To("again")})).Role
	if *desc.Description != "again" || *desc.MaxSessionDuration != 43200 {
		t.Errorf("UpdateRoleDescription = %+v", desc)
	}
	newTrust := `{"Version":"2008-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":["sts:AssumeRole","sts:TagSession"]}}`
	must(f.UpdateAssumeRolePolicy(f.ctx, &iamapi.UpdateAssumeRolePolicyInput{RoleName: ptr.To("AppRole"), PolicyDocument: ptr.To(newTrust)}))
	got = must(f.GetRole(f.ctx, &iamapi.GetRoleInput{RoleName: ptr.To("AppRole")})).Role
	if decoded(t, got.AssumeRolePolicyDocument) != newTrust {
		t.Errorf("trust policy = %q", decoded(t, got.AssumeRolePolicyDocument))
	}

	// RoleLastUsed follows NoteRoleUsed, at most one write a minute.
	used := t0.Add(time.Hour)
	must(0, f.NoteRoleUsed(*got.Arn, "eu-west-1", used))
	must(0, f.NoteRoleUsed(*got.Arn, "eu-west-1", used.Add(30*time.Second)))
	got = must(f.GetRole(f.ctx, &iamapi.GetRoleInput{RoleName: ptr.To("AppRole")})).Role
	if got.RoleLastUsed.LastUsedDate == nil || !got.RoleLastUsed.LastUsedDate.Equal(used.Truncate(time.Second)) || *got.RoleLastUsed.Region != "eu-west-1" {
		t.Errorf("RoleLastUsed = %+v", got.RoleLastUsed)
	}

	list := must(f.ListRoles(f.ctx, &iamapi.ListRolesInput{})).Roles
	if len(list) != 2 || *list[0].RoleName != "AppRole" || *list[1].RoleName != "svc" {
		t.Fatalf("ListRoles = %+v", list)
	}
	if list[1].Tags != nil || list[0].RoleLastUsed != nil {
		t.Errorf("ListRoles shows tags or RoleLastUsed, IAM does not: %+v", list[1])
	}
	only := must(f.ListRoles(f.ctx, &iamapi.ListRolesInput{PathPrefix: ptr.To("/service-role/")})).Roles
	if len(only) != 1 || *only[0].RoleName != "svc" {
		t.Errorf("ListRoles PathPrefix = %+v", only)
	}

	must(f.TagRole(f.ctx, &iamapi.TagRoleInput{RoleName: ptr.To("svc"), Tags: []iamapi.Tag{{Key: ptr.To("k2"), Value: ptr.To("v2")}}}))
	must(f.UntagRole(f.ctx, &iamapi.UntagRoleInput{RoleName: ptr.To("svc"), TagKeys: []string{"K"}}))
	tags := must(f.ListRoleTags(f.ctx, &iamapi.ListRoleTagsInput{RoleName: ptr.To("svc")})).Tags
	if len(tags) != 1 || *tags[0].Key != "k2" {
		t.Errorf("role tags = %+v", tags)
	}

	must(f.DeleteRole(f.ctx, &iamapi.DeleteRoleInput{RoleName: ptr.To("svc")}))
	wantErr(t, second(f.DeleteRole(f.ctx, &iamapi.DeleteRoleInput{RoleName: ptr.To("svc")})),
		"NoSuchEntity", 404, "The role with name svc cannot be found.")
}

func TestPermissionsBoundary(t *testing.T) {
	f := newFixture(t, WithManagedPolicies(testCatalog()))
	p := f.createPolicy("Boundary")
	f.createRole("r")
	f.createUser("u")
	must(f.PutRolePermissionsBoundary(f.ctx, &iamapi.PutRolePermissionsBoundaryInput{RoleName: ptr.To("r"), PermissionsBoundary: p.Arn}))
	must(f.PutUserPermissionsBoundary(f.ctx, &iamapi.PutUserPermissionsBoundaryInput{UserName: ptr.To("u"), PermissionsBoundary: ptr.To(readOnlyARN)}))
	role := must(f.GetRole(f.ctx, &iamapi.GetRoleInput{RoleName: ptr.To("r")})).Role
	if role.PermissionsBoundary == nil || *role.PermissionsBoundary.PermissionsBoundaryArn != *p.Arn ||
		*role.PermissionsBoundary.PermissionsBoundaryType != "PermissionsBoundaryPolicy" {
		t.Fatalf("role boundary = %+v", role.PermissionsBoundary)
	}
	user := must(f.GetUser(f.ctx, &iamapi.GetUserInput{UserName: ptr.To("u")})).User
	if user.PermissionsBoundary == nil || *user.PermissionsBoundary.PermissionsBoundaryArn != readOnlyARN {
		t.Fatalf("user boundary = %+v", user.PermissionsBoundary)
	}
	got := must(f.GetPolicy(f.ctx, &iamapi.GetPolicyInput{PolicyArn: p.Arn})).Policy
	if *got.PermissionsBoundaryUsageCount != 1 || *got.AttachmentCount != 0 {
		t.Errorf("counts = %d/%d", *got.AttachmentCount, *got.PermissionsBoundaryUsageCount)
	}
	wantErr(t, second(f.DeletePolicy(f.ctx, &iamapi.DeletePolicyInput{PolicyArn: p.Arn})),
		"DeleteConflict", 409, "Cannot delete a policy attached to entities.")
	ents := must(f.ListEntitiesForPolicy(f.ctx, &iamapi.ListEntitiesForPolicyInput{PolicyArn: p.Arn, PolicyUsageFilter: ptr.To("PermissionsBoundary")}))
	if len(ents.PolicyRoles) != 1 || *ents.PolicyRoles[0].RoleName != "r" {
		t.Errorf("ListEntitiesForPolicy boundary = %+v", ents)
	}
	ents = must(f.ListEntitiesForPolicy(f.ctx, &iamapi.ListEntitiesForPolicyInput{PolicyArn: p.Arn, PolicyUsageFilter: ptr.To("PermissionsPolicy")}))
	if len(ents.PolicyRoles) != 0 {
		t.Errorf("ListEntitiesForPolicy permissions = %+v", ents)
	}
	wantErr(t, second(f.PutRolePermissionsBoundary(f.ctx, &iamapi.PutRolePermissionsBoundaryInput{RoleName: ptr.To("r"), PermissionsBoundary: ptr.To("arn:aws:iam::123456789012:policy/Nope")})),
		"NoSuchEntity", 404, "Scope ARN: arn:aws:iam::123456789012:policy/Nope does not exist or is not attachable.")
	wantErr(t, second(f.CreateRole(f.ctx, &iamapi.CreateRoleInput{RoleName: ptr.To("r2"), AssumeRolePolicyDocument: ptr.To(trustDoc), PermissionsBoundary: ptr.To("not-an-arn")})),
		"InvalidParameterValue", 400, "Value (not-an-arn) for parameter PermissionsBoundary is invalid.")

	must(f.DeleteRolePermissionsBoundary(f.ctx, &iamapi.DeleteRolePermissionsBoundaryInput{RoleName: ptr.To("r")}))
	role = must(f.GetRole(f.ctx, &iamapi.GetRoleInput{RoleName: ptr.To("r")})).Role
	if role.PermissionsBoundary != nil {
		t.Errorf("boundary still set: %+v", role.PermissionsBoundary)
	}
	must(f.DeletePolicy(f.ctx, &iamapi.DeletePolicyInput{PolicyArn: p.Arn}))
	// Deleting a user releases its boundary.
	must(f.DeleteUser(f.ctx, &iamapi.DeleteUserInput{UserName: ptr.To("u")}))
	aws := must(f.GetPolicy(f.ctx, &iamapi.GetPolicyInput{PolicyArn: ptr.To(readOnlyARN)})).Policy
	if *aws.PermissionsBoundaryUsageCount != 0 {
		t.Errorf("AWS policy boundary count = %d after user deleted", *aws.PermissionsBoundaryUsageCount)
	}
}

func TestInstanceProfiles(t *testing.T) {
	f := newFixture(t)
	ip := must(f.CreateInstanceProfile(f.ctx, &iamapi.CreateInstanceProfileInput{InstanceProfileName: ptr.To("web"), Path: ptr.To("/app/")})).InstanceProfile
	if !reProfileID.MatchString(*ip.InstanceProfileId) || *ip.Arn != "arn:aws:iam::123456789012:instance-profile/app/web" || len(ip.Roles) != 0 {
		t.Errorf("profile = %+v", ip)
	}
	wantErr(t, second(f.CreateInstanceProfile(f.ctx, &iamapi.CreateInstanceProfileInput{InstanceProfileName: ptr.To("WEB")})),
		"EntityAlreadyExists", 409, "Instance Profile WEB already exists.")
	wantErr(t, second(f.GetInstanceProfile(f.ctx, &iamapi.GetInstanceProfileInput{InstanceProfileName: ptr.To("db")})),
		"NoSuchEntity", 404, "Instance Profile db cannot be found.")
	f.createRole("r1")
	f.createRole("r2")
	wantErr(t, second(f.AddRoleToInstanceProfile(f.ctx, &iamapi.AddRoleToInstanceProfileInput{InstanceProfileName: ptr.To("web"), RoleName: ptr.To("r9")})),
		"NoSuchEntity", 404, "The role with name r9 cannot be found.")
	must(f.AddRoleToInstanceProfile(f.ctx, &iamapi.AddRoleToInstanceProfileInput{InstanceProfileName: ptr.To("web"), RoleName: ptr.To("r1")}))
	wantErr(t, second(f.AddRoleToInstanceProfile(f.ctx, &iamapi.AddRoleToInstanceProfileInput{InstanceProfileName: ptr.To("web"), RoleName: ptr.To("r2")})),
		"LimitExceeded", 409, "Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")

	ip = must(f.GetInstanceProfile(f.ctx, &iamapi.GetInstanceProfileInput{InstanceProfileName: ptr.To("web")})).InstanceProfile
	if len(ip.Roles) != 1 || *ip.Roles[0].RoleName != "r1" || decoded(t, ip.Roles[0].AssumeRolePolicyDocument) != trustDoc {
		t.Fatalf("profile roles = %+v", ip.Roles)
	}
	for_ := must(f.ListInstanceProfilesForRole(f.ctx, &iamapi.ListInstanceProfilesForRoleInput{RoleName: ptr.To("r1")})).InstanceProfiles
	if len(for_) != 1 || *for_[0].InstanceProfileName != "web" {
		t.Fatalf("ListInstanceProfilesForRole = %+v", for_)
	}
	wantErr(t, second(f.DeleteRole(f.ctx, &iamapi.DeleteRoleInput{RoleName: ptr.To("r1")})),
		"DeleteConflict", 409, "Cannot delete entity, must remove roles from instance profile first.")
	wantErr(t, second(f.DeleteInstanceProfile(f.ctx, &iamapi.DeleteInstanceProfileInput{InstanceProfileName: ptr.To("web")})),
		"DeleteConflict", 409, "Cannot delete entity, must remove roles from instance profile first.")
	wantErr(t, second(f.RemoveRoleFromInstanceProfile(f.ctx, &iamapi.RemoveRoleFromInstanceProfileInput{InstanceProfileName: ptr.To("web"), RoleName: ptr.To("r2")})),
		"NoSuchEntity", 404, "The role with name r2 cannot be found.")

	must(f.TagInstanceProfile(f.ctx, &iamapi.TagInstanceProfileInput{InstanceProfileName: ptr.To("web"), Tags: []iamapi.Tag{{Key: ptr.To("a"), Value: ptr.To("b")}}}))
	tags := must(f.ListInstanceProfileTags(f.ctx, &iamapi.ListInstanceProfileTagsInput{InstanceProfileName: ptr.To("web")})).Tags
	if len(tags) != 1 {
		t.Errorf("profile tags = %+v", tags)
	}
	must(f.CreateInstanceProfile(f.ctx, &iamapi.CreateInstanceProfileInput{InstanceProfileName: ptr.To("batch")}))
	all := must(f.ListInstanceProfiles(f.ctx, &iamapi.ListInstanceProfilesInput{})).InstanceProfiles
	if len(all) != 2 || *all[0].InstanceProfileName != "batch" || len(all[1].Roles) != 1 {
		t.Errorf("ListInstanceProfiles = %+v", all)
	}

	must(f.RemoveRoleFromInstanceProfile(f.ctx, &iamapi.RemoveRoleFromInstanceProfileInput{InstanceProfileName: ptr.To("web"), RoleName: ptr.To("r1")}))
	if n := len(must(f.ListInstanceProfilesForRole(f.ctx, &iamapi.ListInstanceProfilesForRoleInput{RoleName: ptr.To("r1")})).InstanceProfiles); n != 0 {
		t.Errorf("role still lists %d profiles", n)
	}
	must(f.DeleteInstanceProfile(f.ctx, &iamapi.DeleteInstanceProfileInput{InstanceProfileName: ptr.To("web")}))
	must(f.DeleteRole(f.ctx, &iamapi.DeleteRoleInput{RoleName: ptr.To("r1")}))
}
