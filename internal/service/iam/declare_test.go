package iam

import (
	"testing"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestResourceARNs: IAM ARNs carry the entity's path (from the Path of a
// creation, or the stored entity's ARN).
func TestResourceARNs(t *testing.T) {
	stored := map[string]string{
		"role/app":  "arn:aws:iam::123456789012:role/service/app",
		"user/ann":  "arn:aws:iam::123456789012:user/staff/ann",
		"group/ops": "arn:aws:iam::123456789012:group/teams/ops",
	}
	rules := authzRules(func(account, kind, name string) (string, bool) {
		a, ok := stored[kind+"/"+name]
		return a, ok && account == "123456789012"
	})
	env := kit.Env{Account: "123456789012", Region: "us-east-1", CallerARN: "arn:aws:iam::123456789012:user/staff/ann"}
	for _, tc := range []struct {
		op   string
		in   any
		want string
	}{
		{"GetRole", &iamapi.GetRoleInput{RoleName: ptr.To("app")}, "arn:aws:iam::123456789012:role/service/app"},
		{"GetRole", &iamapi.GetRoleInput{RoleName: ptr.To("nopath")}, "arn:aws:iam::123456789012:role/nopath"},
		{"CreateRole", &iamapi.CreateRoleInput{RoleName: ptr.To("new"), Path: ptr.To("/ci/")}, "arn:aws:iam::123456789012:role/ci/new"},
		{"CreateUser", &iamapi.CreateUserInput{UserName: ptr.To("new")}, "arn:aws:iam::123456789012:user/new"},
		{"PutUserPolicy", &iamapi.PutUserPolicyInput{UserName: ptr.To("ann")}, "arn:aws:iam::123456789012:user/staff/ann"},
		{"GetGroup", &iamapi.GetGroupInput{GroupName: ptr.To("ops")}, "arn:aws:iam::123456789012:group/teams/ops"},
		{"CreateInstanceProfile", &iamapi.CreateInstanceProfileInput{InstanceProfileName: ptr.To("ip"), Path: ptr.To("/x/")}, "arn:aws:iam::123456789012:instance-profile/x/ip"},
		{"GetUser", &iamapi.GetUserInput{}, "arn:aws:iam::123456789012:user/staff/ann"},
	} {
		if got := rules.Checks("iam", tc.op, tc.in, env)[0].Resource; got != tc.want {
			t.Errorf("%s %+v: %s, want %s", tc.op, tc.in, got, tc.want)
		}
	}
}

// TestTagKeys: roles and users answer iam:ResourceTag besides
// aws:ResourceTag; policies only the latter.
func TestTagKeys(t *testing.T) {
	for res, want := range map[string]int{
		"arn:aws:iam::123456789012:role/path/r": 2, "arn:aws:iam::123456789012:user/u": 2, "arn:aws:iam::123456789012:policy/p": 1,
	} {
		if got := tagKeys(res); len(got) != want || got[len(got)-1] != "aws:resourcetag/" {
			t.Errorf("%s: %v", res, got)
		}
	}
}

// TestEntityARNFromStore: the ARN authorization uses for a named role,
// user or group is the stored entity's (its path, its name's case), read
// anew after the entity is deleted and created again with another path;
// a missing entity or another account's has none.
func TestEntityARNFromStore(t *testing.T) {
	f := newFixture(t)
	must(f.CreateRole(f.ctx, &iamapi.CreateRoleInput{RoleName: ptr.To("App"), Path: ptr.To("/svc/"), AssumeRolePolicyDocument: ptr.To(trustDoc)}))
	must(f.CreateUser(f.ctx, &iamapi.CreateUserInput{UserName: ptr.To("ann"), Path: ptr.To("/staff/")}))
	must(f.CreateGroup(f.ctx, &iamapi.CreateGroupInput{GroupName: ptr.To("ops")}))
	check := func(kind, name, want string) {
		t.Helper()
		got, ok := f.entityARN(testAccount, kind, name)
		if got != want || ok != (want != "") {
			t.Errorf("entityARN(%s, %s) = %q, %v; want %q", kind, name, got, ok, want)
		}
	}
	for range 2 { // the second round is answered from the cache
		check("role", "app", "arn:aws:iam::123456789012:role/svc/App")
		check("user", "ann", "arn:aws:iam::123456789012:user/staff/ann")
		check("group", "OPS", "arn:aws:iam::123456789012:group/ops")
		check("role", "missing", "")
		check("policy", "app", "")
	}
	if got, ok := f.entityARN("210987654321", "role", "app"); ok {
		t.Errorf("another account's role: %q", got)
	}
	must(f.DeleteRole(f.ctx, &iamapi.DeleteRoleInput{RoleName: ptr.To("App")}))
	check("role", "app", "")
	must(f.CreateRole(f.ctx, &iamapi.CreateRoleInput{RoleName: ptr.To("app"), Path: ptr.To("/ci/"), AssumeRolePolicyDocument: ptr.To(trustDoc)}))
	check("role", "App", "arn:aws:iam::123456789012:role/ci/app")
}

// TestConditionKeys: IAM's own condition keys come from the members
// that carry them, and a call without them has none.
func TestConditionKeys(t *testing.T) {
	for _, tc := range []struct {
		op   string
		in   any
		want map[string]string
	}{
		{"AttachRolePolicy", &iamapi.AttachRolePolicyInput{RoleName: ptr.To("r"), PolicyArn: ptr.To("arn:aws:iam::aws:policy/P")},
			map[string]string{"iam:policyarn": "arn:aws:iam::aws:policy/P"}},
		{"CreateRole", &iamapi.CreateRoleInput{RoleName: ptr.To("r"), PermissionsBoundary: ptr.To("arn:aws:iam::123456789012:policy/b")},
			map[string]string{"iam:permissionsboundary": "arn:aws:iam::123456789012:policy/b"}},
		{"CreateServiceLinkedRole", &iamapi.CreateServiceLinkedRoleInput{AWSServiceName: ptr.To("elasticloadbalancing.amazonaws.com")},
			map[string]string{"iam:awsservicename": "elasticloadbalancing.amazonaws.com"}},
		{"GetRole", &iamapi.GetRoleInput{RoleName: ptr.To("r")}, map[string]string{}},
	} {
		in, _ := kit.NewInput(tc.in)
		got := conditionKeys(tc.op, in)
		if len(got) != len(tc.want) {
			t.Errorf("%s: %v, want %v", tc.op, got, tc.want)
		}
		for k, v := range tc.want {
			if vals := got[k]; len(vals) != 1 || vals[0] != v {
				t.Errorf("%s: %s = %v, want %s", tc.op, k, vals, v)
			}
		}
	}
}
