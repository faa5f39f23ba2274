package iam

import (
	"testing"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

func TestUserLifecycle(t *testing.T) {
	f := newFixture(t)
	out := must(f.CreateUser(f.ctx, &iamapi.CreateUserInput{
		UserName: ptr.To("Alice"), Path: ptr.To("/eng/team/"),
		Tags: []iamapi.Tag{{Key: ptr.To("team"), Value: ptr.To("blue")}},
	}))
	u := out.User
	if !reUserID.MatchString(*u.UserId) {
		t.Errorf("UserId = %s, want AIDA + 17", *u.UserId)
	}
	if got, want := *u.Arn, "arn:aws:iam::123456789012:user/eng/team/Alice"; got != want {
		t.Errorf("Arn = %s, want %s", got, want)
	}
	if *u.Path != "/eng/team/" || *u.UserName != "Alice" || !u.CreateDate.Equal(t0.Truncate(1e9)) {
		t.Errorf("user = %+v", u)
	}
	if len(u.Tags) != 1 || *u.Tags[0].Key != "team" {
		t.Errorf("tags = %+v", u.Tags)
	}

	tests := []struct {
		name   string
		err    error
		code   string
		status int
		msg    string
	}{
		{"duplicate", second(f.CreateUser(f.ctx, &iamapi.CreateUserInput{UserName: ptr.To("Alice")})),
			"EntityAlreadyExists", 409, "User with name Alice already exists."},
		{"duplicate other case", second(f.CreateUser(f.ctx, &iamapi.CreateUserInput{UserName: ptr.To("ALICE")})),
			"EntityAlreadyExists", 409, "User with name ALICE already exists."},
		{"get missing", second(f.GetUser(f.ctx, &iamapi.GetUserInput{UserName: ptr.To("bob")})),
			"NoSuchEntity", 404, "The user with name bob cannot be found."},
		{"delete missing", second(f.DeleteUser(f.ctx, &iamapi.DeleteUserInput{UserName: ptr.To("bob")})),
			"NoSuchEntity", 404, "The user with name bob cannot be found."},
		{"bad path", second(f.CreateUser(f.ctx, &iamapi.CreateUserInput{UserName: ptr.To("x"), Path: ptr.To("noslash")})),
			"ValidationError", 400, ""},
		{"missing name", second(f.CreateUser(f.ctx, &iamapi.CreateUserInput{})),
			"ValidationError", 400, "1 validation error detected: Value null at 'userName' failed to satisfy constraint: Member must not be null"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantErr(t, tc.err, tc.code, tc.status, tc.msg) })
	}

	got := must(f.GetUser(f.ctx, &iamapi.GetUserInput{UserName: ptr.To("alice")})).User
	if *got.UserName != "Alice" || *got.UserId != *u.UserId || len(got.Tags) != 1 {
		t.Errorf("GetUser (other case) = %+v", got)
	}

	// Rename and move.
	must(f.UpdateUser(f.ctx, &iamapi.UpdateUserInput{UserName: ptr.To("Alice"), NewUserName: ptr.To("Alicia"), NewPath: ptr.To("/ops/")}))
	wantErr(t, second(f.GetUser(f.ctx, &iamapi.GetUserInput{UserName: ptr.To("Alice")})), "NoSuchEntity", 404, "")
	got = must(f.GetUser(f.ctx, &iamapi.GetUserInput{UserName: ptr.To("Alicia")})).User
	if *got.Arn != "arn:aws:iam::123456789012:user/ops/Alicia" || *got.UserId != *u.UserId {
		t.Errorf("after UpdateUser: %+v", got)
	}
	f.createUser("Bob")
	wantErr(t, second(f.UpdateUser(f.ctx, &iamapi.UpdateUserInput{UserName: ptr.To("Bob"), NewUserName: ptr.To("alicia")})),
		"EntityAlreadyExists", 409, "User with name alicia already exists.")

	list := must(f.ListUsers(f.ctx, &iamapi.ListUsersInput{})).Users
	if len(list) != 2 || *list[0].UserName != "Alicia" || *list[1].UserName != "Bob" {
		t.Fatalf("ListUsers = %+v", list)
	}
	if list[0].Tags != nil {
		t.Errorf("ListUsers returned tags, IAM does not")
	}
	ops := must(f.ListUsers(f.ctx, &iamapi.ListUsersInput{PathPrefix: ptr.To("/ops")})).Users
	if len(ops) != 1 || *ops[0].UserName != "Alicia" {
		t.Errorf("ListUsers PathPrefix=/ops = %+v", ops)
	}

	must(f.DeleteUser(f.ctx, &iamapi.DeleteUserInput{UserName: ptr.To("Alicia")}))
	list = must(f.ListUsers(f.ctx, &iamapi.ListUsersInput{})).Users
	if len(list) != 1 || *list[0].UserName != "Bob" {
		t.Errorf("after delete: %+v", list)
	}
}

// second returns the error of a (value, error) pair, for table tests.
func second[T any](_ T, err error) error { return err }

func TestGetUserWithoutName(t *testing.T) {
	f := newFixture(t)
	root := must(f.GetUser(f.ctx, &iamapi.GetUserInput{})).User
	if *root.Arn != "arn:aws:iam::123456789012:root" || *root.UserId != testAccount || root.UserName != nil {
		t.Errorf("root = %+v", root)
	}
	u := f.createUser("carol")
	ctx := *f.ctx
	ctx.Caller = request.Caller{Account: testAccount, ARN: *u.Arn, UserID: *u.UserId}
	me := must(f.GetUser(&ctx, &iamapi.GetUserInput{})).User
	if *me.UserName != "carol" {
		t.Errorf("caller user = %+v", me)
	}
	ctx.Caller = request.Caller{Account: testAccount, ARN: "arn:aws:sts::123456789012:assumed-role/r/s"}
	wantErr(t, second(f.GetUser(&ctx, &iamapi.GetUserInput{})), "ValidationError", 400,
		"Must specify userName when calling with non-User credentials")
}

func TestUserTags(t *testing.T) {
	f := newFixture(t)
	f.createUser("u")
	must(f.TagUser(f.ctx, &iamapi.TagUserInput{UserName: ptr.To("u"), Tags: []iamapi.Tag{
		{Key: ptr.To("Env"), Value: ptr.To("dev")}, {Key: ptr.To("Owner"), Value: ptr.To("me")},
	}}))
	// Keys are case-insensitive: this replaces Env.
	must(f.TagUser(f.ctx, &iamapi.TagUserInput{UserName: ptr.To("u"), Tags: []iamapi.Tag{{Key: ptr.To("env"), Value: ptr.To("prod")}}}))
	tags := must(f.ListUserTags(f.ctx, &iamapi.ListUserTagsInput{UserName: ptr.To("u")})).Tags
	if len(tags) != 2 || *tags[0].Key != "env" || *tags[0].Value != "prod" || *tags[1].Key != "Owner" {
		t.Fatalf("tags = %+v", tags)
	}
	must(f.UntagUser(f.ctx, &iamapi.UntagUserInput{UserName: ptr.To("u"), TagKeys: []string{"OWNER", "absent"}}))
	tags = must(f.ListUserTags(f.ctx, &iamapi.ListUserTagsInput{UserName: ptr.To("u")})).Tags
	if len(tags) != 1 || *tags[0].Key != "env" {
		t.Fatalf("after untag = %+v", tags)
	}
	wantErr(t, second(f.TagUser(f.ctx, &iamapi.TagUserInput{UserName: ptr.To("u"), Tags: []iamapi.Tag{
		{Key: ptr.To("a"), Value: ptr.To("1")}, {Key: ptr.To("A"), Value: ptr.To("2")},
	}})), "InvalidInput", 400, "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
	var many []iamapi.Tag
	for i := range 50 {
		many = append(many, iamapi.Tag{Key: ptr.To("k" + string(rune('A'+i%26)) + string(rune('a'+i/26))), Value: ptr.To("")})
	}
	wantErr(t, second(f.TagUser(f.ctx, &iamapi.TagUserInput{UserName: ptr.To("u"), Tags: many})),
		"LimitExceeded", 409, "The number of tags has reached the maximum limit.")
	wantErr(t, second(f.ListUserTags(f.ctx, &iamapi.ListUserTagsInput{UserName: ptr.To("nobody")})),
		"NoSuchEntity", 404, "The user with name nobody cannot be found.")
}

func TestLoginProfile(t *testing.T) {
	f := newFixture(t)
	f.createUser("u")
	lp := must(f.CreateLoginProfile(f.ctx, &iamapi.CreateLoginProfileInput{UserName: ptr.To("u"), Password: ptr.To("Secr3t!pass"), PasswordResetRequired: ptr.To(true)})).LoginProfile
	if *lp.UserName != "u" || !*lp.PasswordResetRequired {
		t.Errorf("login profile = %+v", lp)
	}
	wantErr(t, second(f.CreateLoginProfile(f.ctx, &iamapi.CreateLoginProfileInput{UserName: ptr.To("u"), Password: ptr.To("x")})),
		"EntityAlreadyExists", 409, "Login Profile for user u already exists.")
	wantErr(t, second(f.DeleteUser(f.ctx, &iamapi.DeleteUserInput{UserName: ptr.To("u")})),
		"DeleteConflict", 409, "Cannot delete entity, must delete login profile first.")
	must(f.UpdateLoginProfile(f.ctx, &iamapi.UpdateLoginProfileInput{UserName: ptr.To("u"), PasswordResetRequired: ptr.To(false)}))
	if got := must(f.GetLoginProfile(f.ctx, &iamapi.GetLoginProfileInput{UserName: ptr.To("u")})).LoginProfile; *got.PasswordResetRequired {
		t.Errorf("PasswordResetRequired not updated")
	}
	must(f.DeleteLoginProfile(f.ctx, &iamapi.DeleteLoginProfileInput{UserName: ptr.To("u")}))
	wantErr(t, second(f.GetLoginProfile(f.ctx, &iamapi.GetLoginProfileInput{UserName: ptr.To("u")})),
		"NoSuchEntity", 404, "Login Profile for User u cannot be found.")
	must(f.DeleteUser(f.ctx, &iamapi.DeleteUserInput{UserName: ptr.To("u")}))
}

func TestGroups(t *testing.T) {
	f := newFixture(t)
	g := f.createGroup("Devs")
	if !reGroupID.MatchString(*g.GroupId) || *g.Arn != "arn:aws:iam::123456789012:group/Devs" {
		t.Errorf("group = %+v", g)
	}
	wantErr(t, second(f.CreateGroup(f.ctx, &iamapi.CreateGroupInput{GroupName: ptr.To("devs")})),
		"EntityAlreadyExists", 409, "Group with name devs already exists.")
	wantErr(t, second(f.GetGroup(f.ctx, &iamapi.GetGroupInput{GroupName: ptr.To("nope")})),
		"NoSuchEntity", 404, "The group with name nope cannot be found.")
	f.createUser("ann")
	f.createUser("Ben")
	for _, u := range []string{"Ben", "ann", "ann"} { // adding twice is not an error
		must(f.AddUserToGroup(f.ctx, &iamapi.AddUserToGroupInput{GroupName: ptr.To("Devs"), UserName: ptr.To(u)}))
	}
	wantErr(t, second(f.AddUserToGroup(f.ctx, &iamapi.AddUserToGroupInput{GroupName: ptr.To("Devs"), UserName: ptr.To("zed")})),
		"NoSuchEntity", 404, "The user with name zed cannot be found.")
	wantErr(t, second(f.AddUserToGroup(f.ctx, &iamapi.AddUserToGroupInput{GroupName: ptr.To("Ops"), UserName: ptr.To("ann")})),
		"NoSuchEntity", 404, "The group with name Ops cannot be found.")

	got := must(f.GetGroup(f.ctx, &iamapi.GetGroupInput{GroupName: ptr.To("devs")}))
	if *got.Group.GroupName != "Devs" || len(got.Users) != 2 || *got.Users[0].UserName != "ann" || *got.Users[1].UserName != "Ben" {
		t.Fatalf("GetGroup = %+v", got)
	}
	page := must(f.GetGroup(f.ctx, &iamapi.GetGroupInput{GroupName: ptr.To("Devs"), MaxItems: ptr.To(int32(1))}))
	if len(page.Users) != 1 || !*page.IsTruncated || page.Marker == nil {
		t.Fatalf("GetGroup page 1 = %+v", page)
	}
	page = must(f.GetGroup(f.ctx, &iamapi.GetGroupInput{GroupName: ptr.To("Devs"), MaxItems: ptr.To(int32(1)), Marker: page.Marker}))
	if len(page.Users) != 1 || *page.Users[0].UserName != "Ben" || *page.IsTruncated {
		t.Fatalf("GetGroup page 2 = %+v", page)
	}

	f.createGroup("Admins")
	must(f.AddUserToGroup(f.ctx, &iamapi.AddUserToGroupInput{GroupName: ptr.To("Admins"), UserName: ptr.To("ann")}))
	gs := must(f.ListGroupsForUser(f.ctx, &iamapi.ListGroupsForUserInput{UserName: ptr.To("ann")})).Groups
	if len(gs) != 2 || *gs[0].GroupName != "Admins" || *gs[1].GroupName != "Devs" {
		t.Fatalf("ListGroupsForUser = %+v", gs)
	}

	wantErr(t, second(f.DeleteGroup(f.ctx, &iamapi.DeleteGroupInput{GroupName: ptr.To("Devs")})),
		"DeleteConflict", 409, "Cannot delete entity, must remove users from group first.")
	wantErr(t, second(f.DeleteUser(f.ctx, &iamapi.DeleteUserInput{UserName: ptr.To("Ben")})),
		"DeleteConflict", 409, "Cannot delete entity, must remove users from group first.")

	// Renaming a group carries its members along.
	must(f.UpdateGroup(f.ctx, &iamapi.UpdateGroupInput{GroupName: ptr.To("Devs"), NewGroupName: ptr.To("Engineers"), NewPath: ptr.To("/x/")}))
	got = must(f.GetGroup(f.ctx, &iamapi.GetGroupInput{GroupName: ptr.To("Engineers")}))
	if len(got.Users) != 2 || *got.Group.Arn != "arn:aws:iam::123456789012:group/x/Engineers" {
		t.Fatalf("after rename = %+v", got)
	}
	gs = must(f.ListGroupsForUser(f.ctx, &iamapi.ListGroupsForUserInput{UserName: ptr.To("Ben")})).Groups
	if len(gs) != 1 || *gs[0].GroupName != "Engineers" {
		t.Fatalf("ListGroupsForUser after rename = %+v", gs)
	}
	// Renaming a user carries its memberships along.
	must(f.UpdateUser(f.ctx, &iamapi.UpdateUserInput{UserName: ptr.To("Ben"), NewUserName: ptr.To("Benjamin")}))
	got = must(f.GetGroup(f.ctx, &iamapi.GetGroupInput{GroupName: ptr.To("Engineers")}))
	if len(got.Users) != 2 || *got.Users[1].UserName != "Benjamin" {
		t.Fatalf("members after user rename = %+v", got.Users)
	}

	wantErr(t, second(f.RemoveUserFromGroup(f.ctx, &iamapi.RemoveUserFromGroupInput{GroupName: ptr.To("Admins"), UserName: ptr.To("Benjamin")})),
		"NoSuchEntity", 404, "The user with name Benjamin cannot be found.")
	for _, m := range [][2]string{{"Engineers", "ann"}, {"Engineers", "Benjamin"}, {"Admins", "ann"}} {
		must(f.RemoveUserFromGroup(f.ctx, &iamapi.RemoveUserFromGroupInput{GroupName: ptr.To(m[0]), UserName: ptr.To(m[1])}))
	}
	must(f.DeleteGroup(f.ctx, &iamapi.DeleteGroupInput{GroupName: ptr.To("Engineers")}))
	must(f.DeleteUser(f.ctx, &iamapi.DeleteUserInput{UserName: ptr.To("Benjamin")}))
	list := must(f.ListGroups(f.ctx, &iamapi.ListGroupsInput{})).Groups
	if len(list) != 1 || *list[0].GroupName != "Admins" {
		t.Errorf("ListGroups = %+v", list)
	}
}

func TestGroupsPerUserQuota(t *testing.T) {
	f := newFixture(t)
	f.createUser("u")
	for i := range 10 {
		name := "g" + string(rune('a'+i))
		f.createGroup(name)
		must(f.AddUserToGroup(f.ctx, &iamapi.AddUserToGroupInput{GroupName: ptr.To(name), UserName: ptr.To("u")}))
	}
	f.createGroup("eleventh")
	wantErr(t, second(f.AddUserToGroup(f.ctx, &iamapi.AddUserToGroupInput{GroupName: ptr.To("eleventh"), UserName: ptr.To("u")})),
		"LimitExceeded", 409, "Cannot exceed quota for GroupsPerUser: 10")
}
