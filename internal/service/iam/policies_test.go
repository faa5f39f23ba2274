package iam

import (
	"net/url"
	"testing"
	"time"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestManagedPolicyVersions(t *testing.T) {
	f := newFixture(t)
	out := must(f.CreatePolicy(f.ctx, &iamapi.CreatePolicyInput{
		PolicyName: ptr.To("ReadBuckets"), Path: ptr.To("/team/"), PolicyDocument: ptr.To(allowS3), Description: ptr.To("reads"),
	})).Policy
	arn := "arn:aws:iam::123456789012:policy/team/ReadBuckets"
	if *out.Arn != arn || !rePolicyID.MatchString(*out.PolicyId) || *out.DefaultVersionId != "v1" ||
		*out.AttachmentCount != 0 || !*out.IsAttachable {
		t.Fatalf("CreatePolicy = %+v", out)
	}
	wantErr(t, second(f.CreatePolicy(f.ctx, &iamapi.CreatePolicyInput{PolicyName: ptr.To("readbuckets"), PolicyDocument: ptr.To(allowS3)})),
		"EntityAlreadyExists", 409, "A policy called readbuckets already exists. Duplicate names are not allowed.")
	wantErr(t, second(f.GetPolicy(f.ctx, &iamapi.GetPolicyInput{PolicyArn: ptr.To("arn:aws:iam::123456789012:policy/ReadBuckets")})),
		"NoSuchEntity", 404, "Policy arn:aws:iam::123456789012:policy/ReadBuckets was not found.")
	wantErr(t, second(f.GetPolicy(f.ctx, &iamapi.GetPolicyInput{PolicyArn: ptr.To("ReadBuckets")})),
		"InvalidInput", 400, "ARN ReadBuckets is not valid.")

	v1 := must(f.GetPolicyVersion(f.ctx, &iamapi.GetPolicyVersionInput{PolicyArn: ptr.To(arn), VersionId: ptr.To("v1")})).PolicyVersion
	if decoded(t, v1.Document) != allowS3 || !*v1.IsDefaultVersion {
		t.Fatalf("v1 = %+v", v1)
	}

	f.clock.Advance(time.Minute)
	for n := 2; n <= 5; n++ {
		v := must(f.CreatePolicyVersion(f.ctx, &iamapi.CreatePolicyVersionInput{PolicyArn: ptr.To(arn), PolicyDocument: ptr.To(docVersion(n)), SetAsDefault: ptr.To(n == 3)})).PolicyVersion
		if *v.VersionId != "v"+string(rune('0'+n)) || *v.IsDefaultVersion != (n == 3) || v.Document != nil {
			t.Fatalf("CreatePolicyVersion %d = %+v", n, v)
		}
	}
	wantErr(t, second(f.CreatePolicyVersion(f.ctx, &iamapi.CreatePolicyVersionInput{PolicyArn: ptr.To(arn), PolicyDocument: ptr.To(docVersion(6))})),
		"LimitExceeded", 409, "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.")

	got := must(f.GetPolicy(f.ctx, &iamapi.GetPolicyInput{PolicyArn: ptr.To(arn)})).Policy
	if *got.DefaultVersionId != "v3" || !got.UpdateDate.After(*got.CreateDate) || *got.Description != "reads" {
		t.Errorf("GetPolicy after SetAsDefault = %+v", got)
	}
	versions := must(f.ListPolicyVersions(f.ctx, &iamapi.ListPolicyVersionsInput{PolicyArn: ptr.To(arn)})).Versions
	if len(versions) != 5 || *versions[0].VersionId != "v5" || *versions[4].VersionId != "v1" || !*versions[2].IsDefaultVersion {
		t.Fatalf("ListPolicyVersions = %+v", versions)
	}

	wantErr(t, second(f.DeletePolicyVersion(f.ctx, &iamapi.DeletePolicyVersionInput{PolicyArn: ptr.To(arn), VersionId: ptr.To("v3")})),
		"DeleteConflict", 409, "Cannot delete the default version of a policy.")
	wantErr(t, second(f.GetPolicyVersion(f.ctx, &iamapi.GetPolicyVersionInput{PolicyArn: ptr.To(arn), VersionId: ptr.To("v9")})),
		"NoSuchEntity", 404, "Policy "+arn+" version v9 does not exist or is not attachable.")
	wantErr(t, second(f.SetDefaultPolicyVersion(f.ctx, &iamapi.SetDefaultPolicyVersionInput{PolicyArn: ptr.To(arn), VersionId: ptr.To("v9")})),
		"NoSuchEntity", 404, "Policy "+arn+" version v9 does not exist or is not attachable.")

	must(f.DeletePolicyVersion(f.ctx, &iamapi.DeletePolicyVersionInput{PolicyArn: ptr.To(arn), VersionId: ptr.To("v1")}))
	v6 := must(f.CreatePolicyVersion(f.ctx, &iamapi.CreatePolicyVersionInput{PolicyArn: ptr.To(arn), PolicyDocument: ptr.To(docVersion(6))})).PolicyVersion
	if *v6.VersionId != "v6" {
		t.Errorf("version ids must keep counting: got %s", *v6.VersionId)
	}
	must(f.SetDefaultPolicyVersion(f.ctx, &iamapi.SetDefaultPolicyVersionInput{PolicyArn: ptr.To(arn), VersionId: ptr.To("v6")}))
	v6got := must(f.GetPolicyVersion(f.ctx, &iamapi.GetPolicyVersionInput{PolicyArn: ptr.To(arn), VersionId: ptr.To("v6")})).PolicyVersion
	if !*v6got.IsDefaultVersion || decoded(t, v6got.Document) != docVersion(6) {
		t.Errorf("v6 = %+v", v6got)
	}

	wantErr(t, second(f.DeletePolicy(f.ctx, &iamapi.DeletePolicyInput{PolicyArn: ptr.To(arn)})), "DeleteConflict", 409,
		"This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
	for _, v := range []string{"v2", "v3", "v4", "v5"} {
		must(f.DeletePolicyVersion(f.ctx, &iamapi.DeletePolicyVersionInput{PolicyArn: ptr.To(arn), VersionId: ptr.To(v)}))
	}
	must(f.DeletePolicy(f.ctx, &iamapi.DeletePolicyInput{PolicyArn: ptr.To(arn)}))
	wantErr(t, second(f.GetPolicy(f.ctx, &iamapi.GetPolicyInput{PolicyArn: ptr.To(arn)})), "NoSuchEntity", 404, "")
}

func TestPolicyTags(t *testing.T) {
	f := newFixture(t, WithManagedPolicies(testCatalog()))
	p := must(f.CreatePolicy(f.ctx, &iamapi.CreatePolicyInput{PolicyName: ptr.To("p"), PolicyDocument: ptr.To(allowS3), Tags: []iamapi.Tag{{Key: ptr.To("a"), Value: ptr.To("1")}}})).Policy
	must(f.TagPolicy(f.ctx, &iamapi.TagPolicyInput{PolicyArn: p.Arn, Tags: []iamapi.Tag{{Key: ptr.To("b"), Value: ptr.To("2")}}}))
	must(f.UntagPolicy(f.ctx, &iamapi.UntagPolicyInput{PolicyArn: p.Arn, TagKeys: []string{"a"}}))
	tags := must(f.ListPolicyTags(f.ctx, &iamapi.ListPolicyTagsInput{PolicyArn: p.Arn})).Tags
	if len(tags) != 1 || *tags[0].Key != "b" {
		t.Errorf("policy tags = %+v", tags)
	}
	wantErr(t, second(f.TagPolicy(f.ctx, &iamapi.TagPolicyInput{PolicyArn: ptr.To(readOnlyARN), Tags: []iamapi.Tag{{Key: ptr.To("b"), Value: ptr.To("2")}}})),
		"AccessDenied", 403, "")
	wantErr(t, second(f.DeletePolicy(f.ctx, &iamapi.DeletePolicyInput{PolicyArn: ptr.To(readOnlyARN)})), "AccessDenied", 403, "")
}

func TestAttachDetach(t *testing.T) {
	f := newFixture(t, WithManagedPolicies(testCatalog()))
	p := f.createPolicy("Ops")
	f.createRole("r")
	f.createUser("u")
	f.createGroup("g")
	must(f.AttachRolePolicy(f.ctx, &iamapi.AttachRolePolicyInput{RoleName: ptr.To("r"), PolicyArn: p.Arn}))
	must(f.AttachRolePolicy(f.ctx, &iamapi.AttachRolePolicyInput{RoleName: ptr.To("r"), PolicyArn: p.Arn})) // idempotent
	must(f.AttachUserPolicy(f.ctx, &iamapi.AttachUserPolicyInput{UserName: ptr.To("u"), PolicyArn: p.Arn}))
	must(f.AttachGroupPolicy(f.ctx, &iamapi.AttachGroupPolicyInput{GroupName: ptr.To("g"), PolicyArn: p.Arn}))
	must(f.AttachRolePolicy(f.ctx, &iamapi.AttachRolePolicyInput{RoleName: ptr.To("r"), PolicyArn: ptr.To(readOnlyARN)}))

	got := must(f.GetPolicy(f.ctx, &iamapi.GetPolicyInput{PolicyArn: p.Arn})).Policy
	if *got.AttachmentCount != 3 {
		t.Errorf("AttachmentCount = %d, want 3", *got.AttachmentCount)
	}
	aws := must(f.GetPolicy(f.ctx, &iamapi.GetPolicyInput{PolicyArn: ptr.To(readOnlyARN)})).Policy
	if *aws.AttachmentCount != 1 || *aws.DefaultVersionId != "v3" || *aws.PolicyName != "ReadOnlyAccess" {
		t.Errorf("AWS policy = %+v", aws)
	}
	doc := must(f.GetPolicyVersion(f.ctx, &iamapi.GetPolicyVersionInput{PolicyArn: ptr.To(readOnlyARN), VersionId: ptr.To("v3")})).PolicyVersion
	if decoded(t, doc.Document) != testCatalog()[readOnlyARN].Document {
		t.Errorf("AWS policy document = %q", decoded(t, doc.Document))
	}

	attached := must(f.ListAttachedRolePolicies(f.ctx, &iamapi.ListAttachedRolePoliciesInput{RoleName: ptr.To("r")})).AttachedPolicies
	if len(attached) != 2 || *attached[0].PolicyName != "Ops" || *attached[1].PolicyArn != readOnlyARN {
		t.Fatalf("ListAttachedRolePolicies = %+v", attached)
	}
	if n := len(must(f.ListAttachedUserPolicies(f.ctx, &iamapi.ListAttachedUserPoliciesInput{UserName: ptr.To("u")})).AttachedPolicies); n != 1 {
		t.Errorf("user attached = %d", n)
	}
	if n := len(must(f.ListAttachedGroupPolicies(f.ctx, &iamapi.ListAttachedGroupPoliciesInput{GroupName: ptr.To("g"), PathPrefix: ptr.To("/nothing/")})).AttachedPolicies); n != 0 {
		t.Errorf("group attached under /nothing/ = %d", n)
	}

	ents := must(f.ListEntitiesForPolicy(f.ctx, &iamapi.ListEntitiesForPolicyInput{PolicyArn: p.Arn}))
	if len(ents.PolicyRoles) != 1 || len(ents.PolicyUsers) != 1 || len(ents.PolicyGroups) != 1 || *ents.PolicyUsers[0].UserName != "u" {
		t.Fatalf("ListEntitiesForPolicy = %+v", ents)
	}
	onlyRoles := must(f.ListEntitiesForPolicy(f.ctx, &iamapi.ListEntitiesForPolicyInput{PolicyArn: p.Arn, EntityFilter: ptr.To("Role")}))
	if len(onlyRoles.PolicyRoles) != 1 || len(onlyRoles.PolicyUsers) != 0 {
		t.Errorf("EntityFilter=Role = %+v", onlyRoles)
	}

	tests := []struct {
		name   string
		err    error
		code   string
		status int
		msg    string
	}{
		{"delete attached policy", second(f.DeletePolicy(f.ctx, &iamapi.DeletePolicyInput{PolicyArn: p.Arn})),
			"DeleteConflict", 409, "Cannot delete a policy attached to entities."},
		{"delete role with policies", second(f.DeleteRole(f.ctx, &iamapi.DeleteRoleInput{RoleName: ptr.To("r")})),
			"DeleteConflict", 409, "Cannot delete entity, must detach all policies first."},
		{"delete user with policies", second(f.DeleteUser(f.ctx, &iamapi.DeleteUserInput{UserName: ptr.To("u")})),
			"DeleteConflict", 409, "Cannot delete entity, must detach all policies first."},
		{"delete group with policies", second(f.DeleteGroup(f.ctx, &iamapi.DeleteGroupInput{GroupName: ptr.To("g")})),
			"DeleteConflict", 409, "Cannot delete entity, must detach all policies first."},
		{"attach unknown local", second(f.AttachRolePolicy(f.ctx, &iamapi.AttachRolePolicyInput{RoleName: ptr.To("r"), PolicyArn: ptr.To("arn:aws:iam::123456789012:policy/Nope")})),
			"NoSuchEntity", 404, "Policy arn:aws:iam::123456789012:policy/Nope does not exist or is not attachable."},
		{"attach unknown aws", second(f.AttachUserPolicy(f.ctx, &iamapi.AttachUserPolicyInput{UserName: ptr.To("u"), PolicyArn: ptr.To("arn:aws:iam::aws:policy/NoSuchThing")})),
			"NoSuchEntity", 404, "Policy arn:aws:iam::aws:policy/NoSuchThing does not exist or is not attachable."},
		{"attach other account's", second(f.AttachGroupPolicy(f.ctx, &iamapi.AttachGroupPolicyInput{GroupName: ptr.To("g"), PolicyArn: ptr.To("arn:aws:iam::999999999999:policy/Ops")})),
			"NoSuchEntity", 404, "Policy arn:aws:iam::999999999999:policy/Ops does not exist or is not attachable."},
		{"attach malformed", second(f.AttachRolePolicy(f.ctx, &iamapi.AttachRolePolicyInput{RoleName: ptr.To("r"), PolicyArn: ptr.To("arn:aws:iam::aws:role/x")})),
			"InvalidInput", 400, "ARN arn:aws:iam::aws:role/x is not valid."},
		{"attach to missing role", second(f.AttachRolePolicy(f.ctx, &iamapi.AttachRolePolicyInput{RoleName: ptr.To("zz"), PolicyArn: p.Arn})),
			"NoSuchEntity", 404, "The role with name zz cannot be found."},
		{"detach not attached", second(f.DetachUserPolicy(f.ctx, &iamapi.DetachUserPolicyInput{UserName: ptr.To("u"), PolicyArn: ptr.To(readOnlyARN)})),
			"NoSuchEntity", 404, "Policy " + readOnlyARN + " was not found."},
		{"entities of unknown policy", second(f.ListEntitiesForPolicy(f.ctx, &iamapi.ListEntitiesForPolicyInput{PolicyArn: ptr.To("arn:aws:iam::aws:policy/Nope")})),
			"NoSuchEntity", 404, "Policy arn:aws:iam::aws:policy/Nope was not found."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantErr(t, tc.err, tc.code, tc.status, tc.msg) })
	}

	must(f.DetachRolePolicy(f.ctx, &iamapi.DetachRolePolicyInput{RoleName: ptr.To("r"), PolicyArn: p.Arn}))
	must(f.DetachUserPolicy(f.ctx, &iamapi.DetachUserPolicyInput{UserName: ptr.To("u"), PolicyArn: p.Arn}))
	got = must(f.GetPolicy(f.ctx, &iamapi.GetPolicyInput{PolicyArn: p.Arn})).Policy
	if *got.AttachmentCount != 1 {
		t.Errorf("AttachmentCount after two detaches = %d, want 1", *got.AttachmentCount)
	}
	must(f.DetachGroupPolicy(f.ctx, &iamapi.DetachGroupPolicyInput{GroupName: ptr.To("g"), PolicyArn: p.Arn}))
	must(f.DeletePolicy(f.ctx, &iamapi.DeletePolicyInput{PolicyArn: p.Arn}))
	must(f.DetachRolePolicy(f.ctx, &iamapi.DetachRolePolicyInput{RoleName: ptr.To("r"), PolicyArn: ptr.To(readOnlyARN)}))
	must(f.DeleteRole(f.ctx, &iamapi.DeleteRoleInput{RoleName: ptr.To("r")}))
}

func TestAttachWithoutCatalog(t *testing.T) {
	f := newFixture(t)
	f.createRole("r")
	wantErr(t, second(f.AttachRolePolicy(f.ctx, &iamapi.AttachRolePolicyInput{RoleName: ptr.To("r"), PolicyArn: ptr.To(readOnlyARN)})),
		"NoSuchEntity", 404, "Policy "+readOnlyARN+" does not exist or is not attachable.")
}

func TestAttachedPoliciesQuota(t *testing.T) {
	f := newFixture(t)
	f.createRole("r")
	for i := range 10 {
		p := f.createPolicy("p" + string(rune('a'+i)))
		must(f.AttachRolePolicy(f.ctx, &iamapi.AttachRolePolicyInput{RoleName: ptr.To("r"), PolicyArn: p.Arn}))
	}
	p := f.createPolicy("eleventh")
	wantErr(t, second(f.AttachRolePolicy(f.ctx, &iamapi.AttachRolePolicyInput{RoleName: ptr.To("r"), PolicyArn: p.Arn})),
		"LimitExceeded", 409, "Cannot exceed quota for PoliciesPerRole: 10")
}

func TestListPoliciesFilters(t *testing.T) {
	f := newFixture(t, WithManagedPolicies(testCatalog()))
	local := f.createPolicy("Zeta")
	must(f.CreatePolicy(f.ctx, &iamapi.CreatePolicyInput{PolicyName: ptr.To("alpha"), Path: ptr.To("/svc/"), PolicyDocument: ptr.To(allowS3)}))
	f.createRole("r")
	must(f.AttachRolePolicy(f.ctx, &iamapi.AttachRolePolicyInput{RoleName: ptr.To("r"), PolicyArn: local.Arn}))
	must(f.AttachRolePolicy(f.ctx, &iamapi.AttachRolePolicyInput{RoleName: ptr.To("r"), PolicyArn: ptr.To(readOnlyARN)}))

	names := func(in *iamapi.ListPoliciesInput) []string {
		t.Helper()
		var out []string
		for _, p := range must(f.ListPolicies(f.ctx, in)).Policies {
			out = append(out, *p.PolicyName)
		}
		return out
	}
	cases := []struct {
		name string
		in   *iamapi.ListPoliciesInput
		want []string
	}{
		{"all", &iamapi.ListPoliciesInput{}, []string{"AdministratorAccess", "alpha", "AWSLambdaBasicExecutionRole", "ReadOnlyAccess", "Zeta"}},
		{"local", &iamapi.ListPoliciesInput{Scope: ptr.To("Local")}, []string{"alpha", "Zeta"}},
		{"aws", &iamapi.ListPoliciesInput{Scope: ptr.To("AWS")}, []string{"AdministratorAccess", "AWSLambdaBasicExecutionRole", "ReadOnlyAccess"}},
		{"only attached", &iamapi.ListPoliciesInput{OnlyAttached: ptr.To(true)}, []string{"ReadOnlyAccess", "Zeta"}},
		{"only attached local", &iamapi.ListPoliciesInput{OnlyAttached: ptr.To(true), Scope: ptr.To("Local")}, []string{"Zeta"}},
		{"path prefix", &iamapi.ListPoliciesInput{PathPrefix: ptr.To("/s")}, []string{"alpha", "AWSLambdaBasicExecutionRole"}},
		{"boundary usage", &iamapi.ListPoliciesInput{PolicyUsageFilter: ptr.To("PermissionsBoundary")}, nil},
		{"permissions usage", &iamapi.ListPoliciesInput{PolicyUsageFilter: ptr.To("PermissionsPolicy")}, []string{"ReadOnlyAccess", "Zeta"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := names(tc.in)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
	listed := must(f.ListPolicies(f.ctx, &iamapi.ListPoliciesInput{Scope: ptr.To("Local"), OnlyAttached: ptr.To(true)})).Policies[0]
	if *listed.AttachmentCount != 1 || listed.Description != nil || listed.Tags != nil {
		t.Errorf("listed policy = %+v", listed)
	}
}

func TestInlinePolicies(t *testing.T) {
	f := newFixture(t)
	f.createUser("u")
	f.createGroup("g")
	f.createRole("r")
	encoded := url.QueryEscape(allowS3)

	must(f.PutUserPolicy(f.ctx, &iamapi.PutUserPolicyInput{UserName: ptr.To("u"), PolicyName: ptr.To("inline"), PolicyDocument: ptr.To(allowS3)}))
	must(f.PutGroupPolicy(f.ctx, &iamapi.PutGroupPolicyInput{GroupName: ptr.To("g"), PolicyName: ptr.To("inline"), PolicyDocument: ptr.To(encoded)}))
	must(f.PutRolePolicy(f.ctx, &iamapi.PutRolePolicyInput{RoleName: ptr.To("r"), PolicyName: ptr.To("b-second"), PolicyDocument: ptr.To(allowS3)}))
	must(f.PutRolePolicy(f.ctx, &iamapi.PutRolePolicyInput{RoleName: ptr.To("r"), PolicyName: ptr.To("A-first"), PolicyDocument: ptr.To(encodeDocument(allowS3))}))

	up := must(f.GetUserPolicy(f.ctx, &iamapi.GetUserPolicyInput{UserName: ptr.To("u"), PolicyName: ptr.To("inline")}))
	if *up.UserName != "u" || *up.PolicyName != "inline" || decoded(t, up.PolicyDocument) != allowS3 {
		t.Errorf("GetUserPolicy = %+v", up)
	}
	gp := must(f.GetGroupPolicy(f.ctx, &iamapi.GetGroupPolicyInput{GroupName: ptr.To("g"), PolicyName: ptr.To("inline")}))
	if decoded(t, gp.PolicyDocument) != allowS3 {
		t.Errorf("form-encoded document stored as %q", decoded(t, gp.PolicyDocument))
	}
	rp := must(f.GetRolePolicy(f.ctx, &iamapi.GetRolePolicyInput{RoleName: ptr.To("r"), PolicyName: ptr.To("A-first")}))
	if decoded(t, rp.PolicyDocument) != allowS3 {
		t.Errorf("percent-encoded document stored as %q", decoded(t, rp.PolicyDocument))
	}
	names := must(f.ListRolePolicies(f.ctx, &iamapi.ListRolePoliciesInput{RoleName: ptr.To("r")})).PolicyNames
	if len(names) != 2 || names[0] != "A-first" || names[1] != "b-second" {
		t.Errorf("ListRolePolicies = %v", names)
	}
	if n := must(f.ListUserPolicies(f.ctx, &iamapi.ListUserPoliciesInput{UserName: ptr.To("u")})).PolicyNames; len(n) != 1 {
		t.Errorf("ListUserPolicies = %v", n)
	}
	if n := must(f.ListGroupPolicies(f.ctx, &iamapi.ListGroupPoliciesInput{GroupName: ptr.To("g")})).PolicyNames; len(n) != 1 {
		t.Errorf("ListGroupPolicies = %v", n)
	}

	wantErr(t, second(f.GetRolePolicy(f.ctx, &iamapi.GetRolePolicyInput{RoleName: ptr.To("r"), PolicyName: ptr.To("nope")})),
		"NoSuchEntity", 404, "The role policy with name nope cannot be found.")
	wantErr(t, second(f.GetUserPolicy(f.ctx, &iamapi.GetUserPolicyInput{UserName: ptr.To("u"), PolicyName: ptr.To("nope")})),
		"NoSuchEntity", 404, "The user policy with name nope cannot be found.")
	wantErr(t, second(f.DeleteGroupPolicy(f.ctx, &iamapi.DeleteGroupPolicyInput{GroupName: ptr.To("g"), PolicyName: ptr.To("nope")})),
		"NoSuchEntity", 404, "The group policy with name nope cannot be found.")
	wantErr(t, second(f.DeleteRole(f.ctx, &iamapi.DeleteRoleInput{RoleName: ptr.To("r")})),
		"DeleteConflict", 409, "Cannot delete entity, must delete policies first.")
	wantErr(t, second(f.DeleteUser(f.ctx, &iamapi.DeleteUserInput{UserName: ptr.To("u")})),
		"DeleteConflict", 409, "Cannot delete entity, must delete policies first.")
	wantErr(t, second(f.DeleteGroup(f.ctx, &iamapi.DeleteGroupInput{GroupName: ptr.To("g")})),
		"DeleteConflict", 409, "Cannot delete entity, must delete policies first.")

	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + repeat("x", 2100) + `"}]}`
	wantErr(t, second(f.PutUserPolicy(f.ctx, &iamapi.PutUserPolicyInput{UserName: ptr.To("u"), PolicyName: ptr.To("big"), PolicyDocument: ptr.To(big)})),
		"LimitExceeded", 409, "Maximum policy size of 2048 bytes exceeded for user u")
	must(f.PutRolePolicy(f.ctx, &iamapi.PutRolePolicyInput{RoleName: ptr.To("r"), PolicyName: ptr.To("big"), PolicyDocument: ptr.To(big)}))

	must(f.DeleteUserPolicy(f.ctx, &iamapi.DeleteUserPolicyInput{UserName: ptr.To("u"), PolicyName: ptr.To("inline")}))
	must(f.DeleteGroupPolicy(f.ctx, &iamapi.DeleteGroupPolicyInput{GroupName: ptr.To("g"), PolicyName: ptr.To("inline")}))
	for _, n := range []string{"A-first", "b-second", "big"} {
		must(f.DeleteRolePolicy(f.ctx, &iamapi.DeleteRolePolicyInput{RoleName: ptr.To("r"), PolicyName: ptr.To(n)}))
	}
	must(f.DeleteUser(f.ctx, &iamapi.DeleteUserInput{UserName: ptr.To("u")}))
	must(f.DeleteGroup(f.ctx, &iamapi.DeleteGroupInput{GroupName: ptr.To("g")}))
	must(f.DeleteRole(f.ctx, &iamapi.DeleteRoleInput{RoleName: ptr.To("r")}))
}

func repeat(x string, n int) string {
	out := make([]byte, 0, n*len(x))
	for range n {
		out = append(out, x...)
	}
	return string(out)
}

func TestManagedPolicySizeQuota(t *testing.T) {
	f := newFixture(t)
	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + repeat("x", 6100) + `"}]}`
	wantErr(t, second(f.CreatePolicy(f.ctx, &iamapi.CreatePolicyInput{PolicyName: ptr.To("big"), PolicyDocument: ptr.To(big)})),
		"LimitExceeded", 409, "Cannot exceed quota for PolicySize: 6144")
	// Whitespace does not count.
	spaced := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}` + repeat(" ", 7000)
	must(f.CreatePolicy(f.ctx, &iamapi.CreatePolicyInput{PolicyName: ptr.To("spaced"), PolicyDocument: ptr.To(spaced)}))
}
