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
