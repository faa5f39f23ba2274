package iam

import (
	"net/url"
	"testing"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestRoleAnswerFollowsChanges: GetRole's answer and the role's ARN that
// authorization reads are kept between writes, and each change to the
// role is what the very next GetRole (and entityARN) answers: its
// description, session length, tags, trust policy, boundary, last use,
// a deletion and a new role of the same name on another path, and a
// reset of all state.
func TestRoleAnswerFollowsChanges(t *testing.T) {
	f := newFixture(t)
	f.createRole("Cached")
	boundary := f.createPolicy("Boundary")
	get := func() *iamapi.Role {
		t.Helper()
		return must(f.GetRole(f.ctx, &iamapi.GetRoleInput{RoleName: ptr.To("cached")})).Role
	}
	first := get()
	if again := get(); *again.RoleId != *first.RoleId || again.Description != nil {
		t.Fatalf("second read: %+v", again)
	}
	steps := []struct {
		name   string
		change func()
		check  func(r *iamapi.Role) bool
	}{
		{"UpdateRole", func() {
			must(f.UpdateRole(f.ctx, &iamapi.UpdateRoleInput{RoleName: ptr.To("Cached"), Description: ptr.To("d1"), MaxSessionDuration: ptr.To(int32(7200))}))
		}, func(r *iamapi.Role) bool { return ptr.Deref(r.Description) == "d1" && *r.MaxSessionDuration == 7200 }},
		{"TagRole", func() {
			must(f.TagRole(f.ctx, &iamapi.TagRoleInput{RoleName: ptr.To("Cached"), Tags: []iamapi.Tag{{Key: ptr.To("k"), Value: ptr.To("v")}}}))
		}, func(r *iamapi.Role) bool { return len(r.Tags) == 1 && *r.Tags[0].Value == "v" }},
		{"UntagRole", func() {
			must(f.UntagRole(f.ctx, &iamapi.UntagRoleInput{RoleName: ptr.To("Cached"), TagKeys: []string{"k"}}))
		}, func(r *iamapi.Role) bool { return len(r.Tags) == 0 }},
		{"UpdateAssumeRolePolicy", func() {
			must(f.UpdateAssumeRolePolicy(f.ctx, &iamapi.UpdateAssumeRolePolicyInput{RoleName: ptr.To("Cached"),
				PolicyDocument: ptr.To(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)}))
		}, func(r *iamapi.Role) bool {
			doc, _ := url.QueryUnescape(*r.AssumeRolePolicyDocument)
			return doc != trustDoc && len(doc) > 0
		}},
		{"PutRolePermissionsBoundary", func() {
			must(f.PutRolePermissionsBoundary(f.ctx, &iamapi.PutRolePermissionsBoundaryInput{RoleName: ptr.To("Cached"),
				PermissionsBoundary: boundary.Arn}))
		}, func(r *iamapi.Role) bool { return r.PermissionsBoundary != nil }},
		{"RecordRoleUse", func() {
			must(f.RecordRoleUse(*first.Arn, "eu-west-1", t0))
		}, func(r *iamapi.Role) bool { return ptr.Deref(r.RoleLastUsed.Region) == "eu-west-1" }},
	}
	for _, s := range steps {
		if s.check(get()) {
			t.Fatalf("%s: the answer before the change already shows it", s.name)
		}
		s.change()
		if r := get(); !s.check(r) {
			t.Fatalf("the GetRole after %s: %+v", s.name, r)
		}
	}

	// Deleted, then created again on another path.
	if arn, ok := f.entityARN(testAccount, "role", "CACHED"); !ok || arn != "arn:aws:iam::123456789012:role/Cached" {
		t.Fatalf("entityARN before: %q %v", arn, ok)
	}
	must(f.DeleteRolePermissionsBoundary(f.ctx, &iamapi.DeleteRolePermissionsBoundaryInput{RoleName: ptr.To("Cached")}))
	must(f.DeleteRole(f.ctx, &iamapi.DeleteRoleInput{RoleName: ptr.To("Cached")}))
	if _, err := f.GetRole(f.ctx, &iamapi.GetRoleInput{RoleName: ptr.To("cached")}); err == nil {
		t.Fatal("GetRole after DeleteRole found the role")
	}
	if arn, ok := f.entityARN(testAccount, "role", "cached"); ok {
		t.Fatalf("entityARN after DeleteRole: %q", arn)
	}
	must(f.CreateRole(f.ctx, &iamapi.CreateRoleInput{RoleName: ptr.To("Cached"), Path: ptr.To("/p/"), AssumeRolePolicyDocument: ptr.To(trustDoc)}))
	if r := get(); *r.RoleId == *first.RoleId || *r.Path != "/p/" {
		t.Fatalf("GetRole after the role was made again: %+v", r)
	}
	if arn, ok := f.entityARN(testAccount, "role", "cached"); !ok || arn != "arn:aws:iam::123456789012:role/p/Cached" {
		t.Fatalf("entityARN after the role was made again: %q %v", arn, ok)
	}

	// A reset empties the store under the service.
	if err := f.h.Backend.Reset(); err != nil {
		t.Fatal(err)
	}
	if err := f.Declare().Reset(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.GetRole(f.ctx, &iamapi.GetRoleInput{RoleName: ptr.To("cached")}); err == nil {
		t.Fatal("GetRole after a reset found the role")
	}
	if _, ok := f.entityARN(testAccount, "role", "cached"); ok {
		t.Fatal("entityARN after a reset found the role")
	}
}

// TestUserAnswerFollowsChanges: GetUser's answer and the user's ARN are
// what the next request after a tag, a move and a rename reads.
func TestUserAnswerFollowsChanges(t *testing.T) {
	f := newFixture(t)
	f.createUser("Ann")
	get := func(name string) (*iamapi.User, error) {
		out, err := f.GetUser(f.ctx, &iamapi.GetUserInput{UserName: ptr.To(name)})
		if err != nil {
			return nil, err
		}
		return out.User, nil
	}
	u := must(get("ann"))
	if *u.Arn != "arn:aws:iam::123456789012:user/Ann" || len(u.Tags) != 0 {
		t.Fatalf("first: %+v", u)
	}
	must(f.TagUser(f.ctx, &iamapi.TagUserInput{UserName: ptr.To("Ann"), Tags: []iamapi.Tag{{Key: ptr.To("team"), Value: ptr.To("a")}}}))
	if u := must(get("ann")); len(u.Tags) != 1 {
		t.Fatalf("after TagUser: %+v", u)
	}
	if arn, ok := f.entityARN(testAccount, "user", "ann"); !ok || arn != "arn:aws:iam::123456789012:user/Ann" {
		t.Fatalf("entityARN: %q %v", arn, ok)
	}
	must(f.UpdateUser(f.ctx, &iamapi.UpdateUserInput{UserName: ptr.To("Ann"), NewPath: ptr.To("/dev/"), NewUserName: ptr.To("Bea")}))
	if _, err := get("ann"); err == nil {
		t.Fatal("GetUser of the old name after the rename found it")
	}
	if u := must(get("Bea")); *u.Arn != "arn:aws:iam::123456789012:user/dev/Bea" || len(u.Tags) != 1 {
		t.Fatalf("after the rename: %+v", u)
	}
	if _, ok := f.entityARN(testAccount, "user", "ann"); ok {
		t.Fatal("entityARN of the old name after the rename")
	}
	if arn, ok := f.entityARN(testAccount, "user", "bea"); !ok || arn != "arn:aws:iam::123456789012:user/dev/Bea" {
		t.Fatalf("entityARN after the move: %q %v", arn, ok)
	}
}

// TestRoleAnswerAllocations: GetRole of an unchanged role is a map
// lookup and the output's two structures (it was a store read, a decode
// and the answer built: ~30 allocations); entityARN a map lookup.
func TestRoleAnswerAllocations(t *testing.T) {
	f := newFixture(t)
	f.createRole("Cached")
	in := &iamapi.GetRoleInput{RoleName: ptr.To("Cached")}
	must(f.GetRole(f.ctx, in))
	arn := "arn:aws:iam::123456789012:role/Cached"
	if n := testing.AllocsPerRun(100, func() {
		if out := must(f.GetRole(f.ctx, in)); *out.Role.Arn != arn {
			t.Fatal(*out.Role.Arn)
		}
	}); n > 2 {
		t.Fatalf("GetRole of an unchanged role: %v allocations", n)
	}
	if n := testing.AllocsPerRun(100, func() {
		if a, ok := f.entityARN(testAccount, "role", "Cached"); !ok || a != arn {
			t.Fatal(a)
		}
	}); n != 0 {
		t.Fatalf("entityARN of an unchanged role: %v allocations", n)
	}
}
