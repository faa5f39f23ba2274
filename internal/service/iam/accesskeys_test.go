package iam

import (
	"testing"
	"time"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

func TestAccessKeys(t *testing.T) {
	f := newFixture(t)
	u := f.createUser("deployer")
	k1 := must(f.CreateAccessKey(f.ctx, &iamapi.CreateAccessKeyInput{UserName: ptr.To("deployer")})).AccessKey
	if !reKeyID.MatchString(*k1.AccessKeyId) || len(*k1.AccessKeyId) != 20 {
		t.Errorf("AccessKeyId = %s", *k1.AccessKeyId)
	}
	if !reSecret.MatchString(*k1.SecretAccessKey) {
		t.Errorf("SecretAccessKey = %s", *k1.SecretAccessKey)
	}
	if *k1.Status != "Active" || *k1.UserName != "deployer" {
		t.Errorf("key = %+v", k1)
	}
	k2 := must(f.CreateAccessKey(f.ctx, &iamapi.CreateAccessKeyInput{UserName: ptr.To("Deployer")})).AccessKey
	if *k2.AccessKeyId == *k1.AccessKeyId || *k2.SecretAccessKey == *k1.SecretAccessKey {
		t.Fatal("two keys share an id or secret")
	}
	wantErr(t, second(f.CreateAccessKey(f.ctx, &iamapi.CreateAccessKeyInput{UserName: ptr.To("deployer")})),
		"LimitExceeded", 409, "Cannot exceed quota for AccessKeysPerUser: 2")
	wantErr(t, second(f.CreateAccessKey(f.ctx, &iamapi.CreateAccessKeyInput{UserName: ptr.To("ghost")})),
		"NoSuchEntity", 404, "The user with name ghost cannot be found.")

	list := must(f.ListAccessKeys(f.ctx, &iamapi.ListAccessKeysInput{UserName: ptr.To("deployer")})).AccessKeyMetadata
	if len(list) != 2 {
		t.Fatalf("ListAccessKeys = %+v", list)
	}
	for _, m := range list {
		if *m.UserName != "deployer" || *m.Status != "Active" {
			t.Errorf("metadata = %+v", m)
		}
	}

	// The signature layer's view.
	key, ok, err := f.LookupAccessKey(*k1.AccessKeyId)
	if err != nil || !ok {
		t.Fatalf("LookupAccessKey: %v %v", ok, err)
	}
	want := AccessKey{
		AccessKeyID: *k1.AccessKeyId, SecretAccessKey: *k1.SecretAccessKey, Status: "Active",
		Account: testAccount, UserName: "deployer", UserID: *u.UserId, UserARN: *u.Arn, CreateDate: *k1.CreateDate,
	}
	if key != want || !key.Active() {
		t.Errorf("LookupAccessKey =\n%+v\nwant\n%+v", key, want)
	}
	if _, ok, _ := f.LookupAccessKey("AKIADOESNOTEXIST0000"); ok {
		t.Error("unknown key found")
	}

	must(f.UpdateAccessKey(f.ctx, &iamapi.UpdateAccessKeyInput{UserName: ptr.To("deployer"), AccessKeyId: k1.AccessKeyId, Status: ptr.To("Inactive")}))
	if key, _, _ := f.LookupAccessKey(*k1.AccessKeyId); key.Status != "Inactive" || key.Active() {
		t.Errorf("status after UpdateAccessKey = %s", key.Status)
	}
	wantErr(t, second(f.UpdateAccessKey(f.ctx, &iamapi.UpdateAccessKeyInput{UserName: ptr.To("deployer"), AccessKeyId: ptr.To("AKIAAAAAAAAAAAAAAAAA"), Status: ptr.To("Active")})),
		"NoSuchEntity", 404, "The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found.")

	// Last used.
	last := must(f.GetAccessKeyLastUsed(f.ctx, &iamapi.GetAccessKeyLastUsedInput{AccessKeyId: k2.AccessKeyId}))
	if *last.UserName != "deployer" || last.AccessKeyLastUsed.LastUsedDate != nil || *last.AccessKeyLastUsed.ServiceName != "N/A" || *last.AccessKeyLastUsed.Region != "N/A" {
		t.Errorf("never used = %+v %+v", last, last.AccessKeyLastUsed)
	}
	usedAt := t0.Add(time.Hour)
	must(0, f.NoteAccessKeyUsed(*k2.AccessKeyId, "s3", "us-west-2", usedAt))
	last = must(f.GetAccessKeyLastUsed(f.ctx, &iamapi.GetAccessKeyLastUsedInput{AccessKeyId: k2.AccessKeyId}))
	if !last.AccessKeyLastUsed.LastUsedDate.Equal(usedAt.Truncate(time.Second)) || *last.AccessKeyLastUsed.ServiceName != "s3" || *last.AccessKeyLastUsed.Region != "us-west-2" {
		t.Errorf("used = %+v", last.AccessKeyLastUsed)
	}

	// A key is invisible to other accounts.
	other := f.h.CtxAs(servicetest.Root("210987654321"))
	wantErr(t, second(f.GetAccessKeyLastUsed(other, &iamapi.GetAccessKeyLastUsedInput{AccessKeyId: k2.AccessKeyId})), "AccessDenied", 403, "")

	// Renaming the user carries the keys along.
	must(f.UpdateUser(f.ctx, &iamapi.UpdateUserInput{UserName: ptr.To("deployer"), NewUserName: ptr.To("releaser"), NewPath: ptr.To("/ci/")}))
	key, ok, _ = f.LookupAccessKey(*k2.AccessKeyId)
	if !ok || key.UserName != "releaser" || key.UserARN != "arn:aws:iam::123456789012:user/ci/releaser" {
		t.Errorf("after rename: %+v", key)
	}
	if n := len(must(f.ListAccessKeys(f.ctx, &iamapi.ListAccessKeysInput{UserName: ptr.To("releaser")})).AccessKeyMetadata); n != 2 {
		t.Errorf("keys after rename = %d", n)
	}

	wantErr(t, second(f.DeleteUser(f.ctx, &iamapi.DeleteUserInput{UserName: ptr.To("releaser")})),
		"DeleteConflict", 409, "Cannot delete entity, must delete access keys first.")
	for _, k := range []*iamapi.AccessKey{k1, k2} {
		must(f.DeleteAccessKey(f.ctx, &iamapi.DeleteAccessKeyInput{UserName: ptr.To("releaser"), AccessKeyId: k.AccessKeyId}))
	}
	if _, ok, _ := f.LookupAccessKey(*k1.AccessKeyId); ok {
		t.Error("deleted key still found")
	}
	wantErr(t, second(f.DeleteAccessKey(f.ctx, &iamapi.DeleteAccessKeyInput{UserName: ptr.To("releaser"), AccessKeyId: k1.AccessKeyId})),
		"NoSuchEntity", 404, "The Access Key with id "+*k1.AccessKeyId+" cannot be found.")
	must(f.DeleteUser(f.ctx, &iamapi.DeleteUserInput{UserName: ptr.To("releaser")}))
}

func TestAccessKeysOfCaller(t *testing.T) {
	f := newFixture(t)
	u := f.createUser("self")
	ctx := *f.ctx
	ctx.Caller = request.Caller{Account: testAccount, ARN: *u.Arn, UserID: *u.UserId}
	k := must(f.CreateAccessKey(&ctx, &iamapi.CreateAccessKeyInput{})).AccessKey
	if *k.UserName != "self" {
		t.Errorf("key of caller belongs to %v", k.UserName)
	}
	// The root's own keys.
	rk := must(f.CreateAccessKey(f.ctx, &iamapi.CreateAccessKeyInput{})).AccessKey
	if rk.UserName != nil {
		t.Errorf("root key has UserName %s", *rk.UserName)
	}
	key, ok, err := f.LookupAccessKey(*rk.AccessKeyId)
	if err != nil || !ok || key.UserARN != "arn:aws:iam::123456789012:root" || key.UserID != testAccount || key.UserName != "" {
		t.Errorf("root key lookup = %+v %v %v", key, ok, err)
	}
	if n := len(must(f.ListAccessKeys(f.ctx, &iamapi.ListAccessKeysInput{})).AccessKeyMetadata); n != 1 {
		t.Errorf("root keys = %d", n)
	}
	if n := len(must(f.ListAccessKeys(&ctx, &iamapi.ListAccessKeysInput{})).AccessKeyMetadata); n != 1 {
		t.Errorf("caller keys = %d", n)
	}
	if sum := must(f.GetAccountSummary(f.ctx, &iamapi.GetAccountSummaryInput{})).SummaryMap; sum["AccountAccessKeysPresent"] != 1 {
		t.Errorf("AccountAccessKeysPresent = %d", sum["AccountAccessKeysPresent"])
	}
}

func TestAccessKeysAcrossAccounts(t *testing.T) {
	f := newFixture(t)
	f.createUser("u")
	other := f.h.CtxAs(servicetest.Root("210987654321"))
	must(f.CreateUser(other, &iamapi.CreateUserInput{UserName: ptr.To("u")}))
	k := must(f.CreateAccessKey(other, &iamapi.CreateAccessKeyInput{UserName: ptr.To("u")})).AccessKey
	key, ok, _ := f.LookupAccessKey(*k.AccessKeyId)
	if !ok || key.Account != "210987654321" || key.UserARN != "arn:aws:iam::210987654321:user/u" {
		t.Errorf("lookup = %+v", key)
	}
	// The same user name in the first account cannot touch it.
	wantErr(t, second(f.DeleteAccessKey(f.ctx, &iamapi.DeleteAccessKeyInput{UserName: ptr.To("u"), AccessKeyId: k.AccessKeyId})),
		"NoSuchEntity", 404, "")
}
