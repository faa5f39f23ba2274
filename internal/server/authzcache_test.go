package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/niwa-cloud/niwa/niwatest"
)

const (
	allowListUsers = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*"}]}`
	allowListRoles = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}`
)

// TestAuthzCallerCacheInvalidation: the authorizer keeps a caller's
// policies between requests; every change to what decides them (a
// policy put, deleted, attached, detached or given a new default
// version, a group membership, a boundary, the principal's tags, a key
// made inactive or deleted) is seen by the very next request, as niwa's
// users expect (AWS is eventually consistent here; niwa is not).
func TestAuthzCallerCacheInvalidation(t *testing.T) {
	ctx := context.Background()
	type env struct {
		n    *niwatest.Niwa
		root *iam.Client
		// user is the caller's user (user cases) or role (role cases).
		name string
		role bool
	}
	attach := func(t *testing.T, e env, doc string) string {
		t.Helper()
		p, err := e.root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(e.name + "-p"), PolicyDocument: aws.String(doc)})
		if err != nil {
			t.Fatal(err)
		}
		if e.role {
			_, err = e.root.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(e.name), PolicyArn: p.Policy.Arn})
		} else {
			_, err = e.root.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(e.name), PolicyArn: p.Policy.Arn})
		}
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(p.Policy.Arn)
	}
	inline := func(t *testing.T, e env, doc string) {
		t.Helper()
		var err error
		if e.role {
			_, err = e.root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(e.name), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)})
		} else {
			_, err = e.root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(e.name), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	must := func(t *testing.T, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name string
		role bool
		// before sets the caller up; the first request then has
		// allowedBefore; change is made (as root) and the next request
		// must have allowedAfter.
		before                      func(t *testing.T, e env)
		change                      func(t *testing.T, e env)
		allowedBefore, allowedAfter bool
	}{
		{name: "user inline policy deleted", before: func(t *testing.T, e env) { inline(t, e, allowListUsers) },
			change: func(t *testing.T, e env) {
				_, err := e.root.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String(e.name), PolicyName: aws.String("p")})
				must(t, err)
			}, allowedBefore: true},
		{name: "user inline policy put", change: func(t *testing.T, e env) { inline(t, e, allowListUsers) }, allowedAfter: true},
		{name: "user inline policy edited", before: func(t *testing.T, e env) { inline(t, e, allowListUsers) },
			change: func(t *testing.T, e env) { inline(t, e, allowListRoles) }, allowedBefore: true},
		{name: "user managed policy detached", before: func(t *testing.T, e env) { attach(t, e, allowListUsers) },
			change: func(t *testing.T, e env) {
				_, err := e.root.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String(e.name), PolicyArn: aws.String(policyARN(e.name + "-p"))})
				must(t, err)
			}, allowedBefore: true},
		{name: "user managed policy attached", change: func(t *testing.T, e env) { attach(t, e, allowListUsers) }, allowedAfter: true},
		{name: "managed policy new default version", before: func(t *testing.T, e env) { attach(t, e, allowListUsers) },
			change: func(t *testing.T, e env) {
				_, err := e.root.CreatePolicyVersion(ctx, &iam.CreatePolicyVersionInput{PolicyArn: aws.String(policyARN(e.name + "-p")),
					PolicyDocument: aws.String(allowListRoles), SetAsDefault: true})
				must(t, err)
			}, allowedBefore: true},
		{name: "user removed from group", before: func(t *testing.T, e env) {
			_, err := e.root.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("g")})
			must(t, err)
			_, err = e.root.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("g"), PolicyName: aws.String("p"), PolicyDocument: aws.String(allowListUsers)})
			must(t, err)
			_, err = e.root.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String("g"), UserName: aws.String(e.name)})
			must(t, err)
		}, change: func(t *testing.T, e env) {
			_, err := e.root.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{GroupName: aws.String("g"), UserName: aws.String(e.name)})
			must(t, err)
		}, allowedBefore: true},
		{name: "user boundary set", before: func(t *testing.T, e env) { inline(t, e, allowListUsers) },
			change: func(t *testing.T, e env) {
				b, err := e.root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("boundary"), PolicyDocument: aws.String(allowListRoles)})
				must(t, err)
				_, err = e.root.PutUserPermissionsBoundary(ctx, &iam.PutUserPermissionsBoundaryInput{UserName: aws.String(e.name), PermissionsBoundary: b.Policy.Arn})
				must(t, err)
			}, allowedBefore: true},
		{name: "user tag a condition reads removed", before: func(t *testing.T, e env) {
			inline(t, e, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}}]}`)
			_, err := e.root.TagUser(ctx, &iam.TagUserInput{UserName: aws.String(e.name), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}})
			must(t, err)
		}, change: func(t *testing.T, e env) {
			_, err := e.root.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String(e.name), TagKeys: []string{"team"}})
			must(t, err)
		}, allowedBefore: true},
		{name: "role inline policy deleted", role: true, before: func(t *testing.T, e env) { inline(t, e, allowListUsers) },
			change: func(t *testing.T, e env) {
				_, err := e.root.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(e.name), PolicyName: aws.String("p")})
				must(t, err)
			}, allowedBefore: true},
		{name: "role managed policy attached", role: true, change: func(t *testing.T, e env) { attach(t, e, allowListUsers) }, allowedAfter: true},
		{name: "role managed policy detached", role: true, before: func(t *testing.T, e env) { attach(t, e, allowListUsers) },
			change: func(t *testing.T, e env) {
				_, err := e.root.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(e.name), PolicyArn: aws.String(policyARN(e.name + "-p"))})
				must(t, err)
			}, allowedBefore: true},
		{name: "role boundary set", role: true, before: func(t *testing.T, e env) { inline(t, e, allowListUsers) },
			change: func(t *testing.T, e env) {
				b, err := e.root.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("boundary"), PolicyDocument: aws.String(allowListRoles)})
				must(t, err)
				_, err = e.root.PutRolePermissionsBoundary(ctx, &iam.PutRolePermissionsBoundaryInput{RoleName: aws.String(e.name), PermissionsBoundary: b.Policy.Arn})
				must(t, err)
			}, allowedBefore: true},
		{name: "role tag a condition reads added", role: true, before: func(t *testing.T, e env) {
			inline(t, e, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"blue"}}}]}`)
		}, change: func(t *testing.T, e env) {
			_, err := e.root.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String(e.name), Tags: []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("blue")}}})
			must(t, err)
		}, allowedAfter: true},
		{name: "role deleted", role: true, before: func(t *testing.T, e env) { inline(t, e, allowListUsers) },
			change: func(t *testing.T, e env) {
				_, err := e.root.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(e.name), PolicyName: aws.String("p")})
				must(t, err)
				_, err = e.root.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(e.name)})
				must(t, err)
			}, allowedBefore: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n := niwatest.Start(t)
			e := env{n: n, root: iam.NewFromConfig(n.AWSConfig()), name: "caller", role: tc.role}
			var c creds
			if tc.role {
				_, err := e.root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(e.name), AssumeRolePolicyDocument: aws.String(trust)})
				must(t, err)
			} else {
				c = newUser(t, n, e.name)
			}
			if tc.before != nil {
				tc.before(t, e)
			}
			if tc.role {
				a := assumer(t, n, "assumer")
				out, err := sts.NewFromConfig(a.config(n)).AssumeRole(ctx, &sts.AssumeRoleInput{
					RoleArn: aws.String("arn:aws:iam::000000000000:role/" + e.name), RoleSessionName: aws.String("s1")})
				must(t, err)
				c = tempCreds(out.Credentials)
			}
			caller := iam.NewFromConfig(c.config(n))
			call := func(want bool, when string) {
				t.Helper()
				for range 2 { // the second from the cache
					_, err := caller.ListUsers(ctx, &iam.ListUsersInput{})
					if want && err != nil {
						t.Fatalf("%s: %v, want allowed", when, err)
					}
					if !want {
						apiErr(t, err, "AccessDenied", 403)
					}
				}
			}
			call(tc.allowedBefore, "before")
			tc.change(t, e)
			call(tc.allowedAfter, "after")
		})
	}
}

// policyARN is the ARN of the test account's customer managed policy name.
func policyARN(name string) string { return "arn:aws:iam::000000000000:policy/" + name }

// TestAuthzCallerCacheKeysAndLastUse: a key made inactive or deleted
// stops signing at once, and the last use IAM reports follows the key's
// service (a use in another service is recorded at once, even within
// the minute IAM otherwise waits between writes) and the role's region.
func TestAuthzCallerCacheKeysAndLastUse(t *testing.T) {
	ctx := context.Background()
	n := niwatest.Start(t)
	root := iam.NewFromConfig(n.AWSConfig())
	c := newUser(t, n, "alice")
	if _, err := root.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("alice"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:ListUsers","sts:AssumeRole"],"Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	alice := iam.NewFromConfig(c.config(n))
	lastUsed := func(want string) {
		t.Helper()
		out, err := root.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(c.key)})
		if err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(out.AccessKeyLastUsed.ServiceName); got != want {
			t.Fatalf("AccessKeyLastUsed.ServiceName %q, want %q", got, want)
		}
	}
	for range 2 {
		if _, err := alice.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
			t.Fatal(err)
		}
	}
	lastUsed("iam")
	if _, err := sts.NewFromConfig(c.config(n)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	lastUsed("sts")
	if _, err := alice.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatal(err)
	}
	lastUsed("iam")

	// A role's session: RoleLastUsed from its first request.
	if _, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	out, err := sts.NewFromConfig(c.config(n)).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/app"), RoleSessionName: aws.String("s1")})
	if err != nil {
		t.Fatal(err)
	}
	role := iam.NewFromConfig(tempCreds(out.Credentials).config(n))
	for range 2 {
		_, err := role.ListUsers(ctx, &iam.ListUsersInput{})
		apiErr(t, err, "AccessDenied", 403)
	}
	got, err := root.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	if u := got.Role.RoleLastUsed; u == nil || u.LastUsedDate == nil || time.Since(*u.LastUsedDate) > time.Minute || aws.ToString(u.Region) != n.AWSConfig().Region {
		t.Fatalf("RoleLastUsed %+v, want now in %s", u, n.AWSConfig().Region)
	}

	// The role's trust changed: alice may no longer assume it.
	if _, err := root.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("app"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Fatal(err)
	}
	_, err = sts.NewFromConfig(c.config(n)).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/app"), RoleSessionName: aws.String("s2")})
	apiErr(t, err, "AccessDenied", 403)

	// The key made inactive, active again, deleted: each seen at once.
	setStatus := func(s iamtypes.StatusType) {
		t.Helper()
		if _, err := root.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(c.key), Status: s}); err != nil {
			t.Fatal(err)
		}
	}
	setStatus(iamtypes.StatusTypeInactive)
	_, err = alice.ListUsers(ctx, &iam.ListUsersInput{})
	apiErr(t, err, "InvalidClientTokenId", 403)
	setStatus(iamtypes.StatusTypeActive)
	if _, err := alice.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String("alice"), AccessKeyId: aws.String(c.key)}); err != nil {
		t.Fatal(err)
	}
	_, err = alice.ListUsers(ctx, &iam.ListUsersInput{})
	apiErr(t, err, "InvalidClientTokenId", 403)
}

// TestAuthzCallerCacheReset: after a reset (POST /_niwa/reset) the
// user's key and the role's session no longer sign, though both were
// just used.
func TestAuthzCallerCacheReset(t *testing.T) {
	ctx := context.Background()
	n := niwatest.Start(t)
	root := iam.NewFromConfig(n.AWSConfig())
	c := assumer(t, n, "alice")
	if _, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	out, err := sts.NewFromConfig(c.config(n)).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/app"), RoleSessionName: aws.String("s1")})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // the first use is recorded (a write), the second is not
		for _, k := range []creds{c, tempCreds(out.Credentials)} {
			if _, err := sts.NewFromConfig(k.config(n)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	n.Reset(t)
	for _, k := range []creds{c, tempCreds(out.Credentials)} {
		_, err := sts.NewFromConfig(k.config(n)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		apiErr(t, err, "InvalidClientTokenId", 403)
	}
}
