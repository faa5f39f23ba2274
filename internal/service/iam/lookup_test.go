package iam

import (
	"fmt"
	"slices"
	"testing"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestRoleByARN(t *testing.T) {
	f := newFixture(t, WithManagedPolicies(testCatalog()))
	p := f.createPolicy("perm")
	boundary := f.createPolicy("boundary")
	role := must(f.CreateRole(f.ctx, &iamapi.CreateRoleInput{
		RoleName: ptr.To("Deploy"), Path: ptr.To("/ci/"), AssumeRolePolicyDocument: ptr.To(trustDoc),
		MaxSessionDuration: ptr.To(int32(7200)), PermissionsBoundary: boundary.Arn,
		Tags: []iamapi.Tag{{Key: ptr.To("team"), Value: ptr.To("x")}},
	})).Role
	must(f.AttachRolePolicy(f.ctx, &iamapi.AttachRolePolicyInput{RoleName: ptr.To("Deploy"), PolicyArn: p.Arn}))
	must(f.AttachRolePolicy(f.ctx, &iamapi.AttachRolePolicyInput{RoleName: ptr.To("Deploy"), PolicyArn: ptr.To(readOnlyARN)}))
	must(f.PutRolePolicy(f.ctx, &iamapi.PutRolePolicyInput{RoleName: ptr.To("Deploy"), PolicyName: ptr.To("inline"), PolicyDocument: ptr.To(allowS3)}))

	got, ok, err := f.RoleByARN("arn:aws:iam::123456789012:role/ci/Deploy")
	if err != nil || !ok {
		t.Fatalf("RoleByARN: %v %v", ok, err)
	}
	if got.Name != "Deploy" || got.ID != *role.RoleId || got.ARN != *role.Arn || got.Account != testAccount ||
		got.TrustPolicy != trustDoc || got.MaxSessionDuration != 7200 || got.PermissionsBoundary != *boundary.Arn || got.Path != "/ci/" {
		t.Errorf("RoleByARN = %+v", got)
	}
	wantAttached := []AttachedPolicy{{Name: "perm", ARN: *p.Arn}, {Name: "ReadOnlyAccess", ARN: readOnlyARN}}
	if !slices.Equal(got.AttachedPolicies, wantAttached) {
		t.Errorf("AttachedPolicies = %+v", got.AttachedPolicies)
	}
	if !slices.Equal(got.InlinePolicies, []InlinePolicy{{Name: "inline", Document: allowS3}}) {
		t.Errorf("InlinePolicies = %+v", got.InlinePolicies)
	}
	if !slices.Equal(got.Tags, []Tag{{Key: "team", Value: "x"}}) {
		t.Errorf("Tags = %+v", got.Tags)
	}
	for _, miss := range []string{
		"arn:aws:iam::123456789012:role/Deploy",    // wrong path
		"arn:aws:iam::999999999999:role/ci/Deploy", // wrong account
		"arn:aws:iam::123456789012:user/ci/Deploy", // not a role
		"Deploy",
	} {
		if _, ok, err := f.RoleByARN(miss); ok || err != nil {
			t.Errorf("RoleByARN(%s) = %v, %v", miss, ok, err)
		}
	}
	if _, ok, _ := f.RoleByARN("arn:aws:iam::123456789012:role/ci/deploy"); !ok {
		t.Error("role names match without regard to case")
	}

	for arn, want := range map[string]string{
		*p.Arn:      allowS3,
		readOnlyARN: testCatalog()[readOnlyARN].Document,
	} {
		doc, ok, err := f.ManagedPolicyDocument(testAccount, arn)
		if err != nil || !ok || doc != want {
			t.Errorf("ManagedPolicyDocument(%s) = %q %v %v", arn, doc, ok, err)
		}
	}
	if _, ok, _ := f.ManagedPolicyDocument("999999999999", *p.Arn); ok {
		t.Error("another account sees the customer managed policy")
	}
}

func TestUserAndGroupByName(t *testing.T) {
	f := newFixture(t)
	u := f.createUser("Ana")
	g := f.createGroup("Readers")
	p := f.createPolicy("read")
	must(f.AddUserToGroup(f.ctx, &iamapi.AddUserToGroupInput{GroupName: ptr.To("readers"), UserName: ptr.To("ana")}))
	must(f.AttachGroupPolicy(f.ctx, &iamapi.AttachGroupPolicyInput{GroupName: ptr.To("Readers"), PolicyArn: p.Arn}))
	must(f.PutUserPolicy(f.ctx, &iamapi.PutUserPolicyInput{UserName: ptr.To("Ana"), PolicyName: ptr.To("own"), PolicyDocument: ptr.To(allowS3)}))

	user, ok, err := f.UserByName(testAccount, "ANA")
	if err != nil || !ok {
		t.Fatalf("UserByName: %v %v", ok, err)
	}
	if user.Name != "Ana" || user.ID != *u.UserId || user.ARN != *u.Arn || !slices.Equal(user.Groups, []string{"Readers"}) ||
		len(user.InlinePolicies) != 1 || len(user.AttachedPolicies) != 0 {
		t.Errorf("UserByName = %+v", user)
	}
	group, ok, err := f.GroupByName(testAccount, "readers")
	if err != nil || !ok || group.ARN != *g.Arn || !slices.Equal(group.AttachedPolicies, []AttachedPolicy{{Name: "read", ARN: *p.Arn}}) {
		t.Errorf("GroupByName = %+v %v %v", group, ok, err)
	}
	if _, ok, _ := f.UserByName("999999999999", "Ana"); ok {
		t.Error("user visible from another account")
	}
	if _, ok, _ := f.GroupByName(testAccount, "nobody"); ok {
		t.Error("missing group found")
	}
}

func TestAccountSummaryAndDetails(t *testing.T) {
	f := newFixture(t, WithManagedPolicies(testCatalog()))
	f.createUser("u")
	f.createRole("r")
	f.createGroup("g")
	p := f.createPolicy("p")
	must(f.CreateInstanceProfile(f.ctx, &iamapi.CreateInstanceProfileInput{InstanceProfileName: ptr.To("ip")}))
	must(f.AddRoleToInstanceProfile(f.ctx, &iamapi.AddRoleToInstanceProfileInput{InstanceProfileName: ptr.To("ip"), RoleName: ptr.To("r")}))
	must(f.AttachRolePolicy(f.ctx, &iamapi.AttachRolePolicyInput{RoleName: ptr.To("r"), PolicyArn: p.Arn}))
	must(f.AttachUserPolicy(f.ctx, &iamapi.AttachUserPolicyInput{UserName: ptr.To("u"), PolicyArn: ptr.To(readOnlyARN)}))
	must(f.AddUserToGroup(f.ctx, &iamapi.AddUserToGroupInput{GroupName: ptr.To("g"), UserName: ptr.To("u")}))

	sum := must(f.GetAccountSummary(f.ctx, &iamapi.GetAccountSummaryInput{})).SummaryMap
	for k, want := range map[string]int32{
		"Users": 1, "Roles": 1, "Groups": 1, "Policies": 1, "InstanceProfiles": 1,
		"PolicyVersionsInUse": 2, "AccessKeysPerUserQuota": 2, "AccountAccessKeysPresent": 0,
	} {
		if sum[k] != want {
			t.Errorf("SummaryMap[%s] = %d, want %d", k, sum[k], want)
		}
	}

	d := must(f.GetAccountAuthorizationDetails(f.ctx, &iamapi.GetAccountAuthorizationDetailsInput{}))
	if len(d.UserDetailList) != 1 || len(d.GroupDetailList) != 1 || len(d.RoleDetailList) != 1 || len(d.Policies) != 2 {
		t.Fatalf("details = %d users %d groups %d roles %d policies", len(d.UserDetailList), len(d.GroupDetailList), len(d.RoleDetailList), len(d.Policies))
	}
	if ud := d.UserDetailList[0]; !slices.Equal(ud.GroupList, []string{"g"}) || len(ud.AttachedManagedPolicies) != 1 {
		t.Errorf("user detail = %+v", ud)
	}
	if rd := d.RoleDetailList[0]; len(rd.InstanceProfileList) != 1 || decoded(t, rd.AssumeRolePolicyDocument) != trustDoc {
		t.Errorf("role detail = %+v", rd)
	}
	for _, pd := range d.Policies {
		if len(pd.PolicyVersionList) != 1 || *pd.AttachmentCount != 1 || pd.PolicyVersionList[0].Document == nil {
			t.Errorf("policy detail = %+v", pd)
		}
	}
	only := must(f.GetAccountAuthorizationDetails(f.ctx, &iamapi.GetAccountAuthorizationDetailsInput{Filter: []string{"Role"}, MaxItems: ptr.To(int32(1))}))
	if len(only.RoleDetailList) != 1 || len(only.UserDetailList) != 0 || *only.IsTruncated {
		t.Errorf("Filter=Role = %+v", only)
	}
}

// TestOperationsBound guards the handler signatures: iamapi.Bind finds a
// method only when its signature matches the operation exactly, so a typo
// would silently turn an operation into NotImplemented.
func TestOperationsBound(t *testing.T) {
	bound := iamapi.Bind(New(nil))
	for _, op := range []string{
		"CreateUser", "GetUser", "ListUsers", "UpdateUser", "DeleteUser", "TagUser", "UntagUser", "ListUserTags",
		"PutUserPermissionsBoundary", "DeleteUserPermissionsBoundary",
		"CreateGroup", "GetGroup", "ListGroups", "UpdateGroup", "DeleteGroup", "AddUserToGroup", "RemoveUserFromGroup", "ListGroupsForUser",
		"CreateRole", "GetRole", "ListRoles", "UpdateRole", "UpdateAssumeRolePolicy", "DeleteRole", "UpdateRoleDescription",
		"TagRole", "UntagRole", "ListRoleTags", "PutRolePermissionsBoundary", "DeleteRolePermissionsBoundary",
		"CreatePolicy", "GetPolicy", "ListPolicies", "DeletePolicy", "CreatePolicyVersion", "GetPolicyVersion",
		"ListPolicyVersions", "DeletePolicyVersion", "SetDefaultPolicyVersion", "TagPolicy", "UntagPolicy", "ListPolicyTags",
		"ListEntitiesForPolicy",
		"AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy", "DetachGroupPolicy",
		"ListAttachedRolePolicies", "ListAttachedUserPolicies", "ListAttachedGroupPolicies",
		"PutRolePolicy", "GetRolePolicy", "DeleteRolePolicy", "ListRolePolicies",
		"PutUserPolicy", "GetUserPolicy", "DeleteUserPolicy", "ListUserPolicies",
		"PutGroupPolicy", "GetGroupPolicy", "DeleteGroupPolicy", "ListGroupPolicies",
		"CreateAccessKey", "ListAccessKeys", "UpdateAccessKey", "DeleteAccessKey", "GetAccessKeyLastUsed",
		"CreateInstanceProfile", "GetInstanceProfile", "ListInstanceProfiles", "DeleteInstanceProfile",
		"AddRoleToInstanceProfile", "RemoveRoleFromInstanceProfile", "ListInstanceProfilesForRole",
		"TagInstanceProfile", "UntagInstanceProfile", "ListInstanceProfileTags",
		"CreateLoginProfile", "GetLoginProfile", "UpdateLoginProfile", "DeleteLoginProfile",
		"GetAccountSummary", "GetAccountAuthorizationDetails",
	} {
		if _, ok := bound[op]; !ok {
			t.Errorf("%s is not bound", op)
		}
	}
}

// TestNilRequiredMembers calls handlers the way a careless direct caller
// might: a missing required member is a ValidationError, never a panic.
func TestNilRequiredMembers(t *testing.T) {
	f := newFixture(t)
	f.createRole("r")
	errs := []error{
		second(f.GetRole(f.ctx, &iamapi.GetRoleInput{})),
		second(f.CreateRole(f.ctx, &iamapi.CreateRoleInput{RoleName: ptr.To("x")})),
		second(f.AttachRolePolicy(f.ctx, &iamapi.AttachRolePolicyInput{RoleName: ptr.To("r")})),
		second(f.PutRolePolicy(f.ctx, &iamapi.PutRolePolicyInput{RoleName: ptr.To("r"), PolicyName: ptr.To("p")})),
		second(f.GetPolicy(f.ctx, &iamapi.GetPolicyInput{})),
		second(f.UpdateAccessKey(f.ctx, &iamapi.UpdateAccessKeyInput{AccessKeyId: ptr.To("AKIAAAAAAAAAAAAAAAAA")})),
		second(f.TagRole(f.ctx, &iamapi.TagRoleInput{RoleName: ptr.To("r"), Tags: []iamapi.Tag{{Value: ptr.To("v")}}})),
		second(f.AddRoleToInstanceProfile(f.ctx, &iamapi.AddRoleToInstanceProfileInput{RoleName: ptr.To("r")})),
	}
	for i, err := range errs {
		t.Run(fmt.Sprint(i), func(t *testing.T) { wantErr(t, err, "ValidationError", 400, "") })
	}
}
