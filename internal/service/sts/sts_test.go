package sts

import (
	"errors"
	"strings"
	"testing"
	"time"

	stsapi "github.com/niwa-cloud/niwa/internal/api/sts"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const account = "123456789012"

var (
	root = request.Caller{AccessKeyID: "AKIAROOT", Account: account, ARN: "arn:aws:iam::" + account + ":root", UserID: account}
	user = request.Caller{AccessKeyID: "AKIAUSER", Account: account, ARN: "arn:aws:iam::" + account + ":user/alice", UserID: "AIDAALICE"}
)

// fakeRoles is IAM as STS sees it.
type fakeRoles map[string]Role

func (f fakeRoles) RoleByARN(arn string) (Role, bool, error) {
	r, ok := f[arn]
	return r, ok, nil
}

// fakeKeys is the long-term keys as STS sees them.
type fakeKeys map[string]string

func (f fakeKeys) AccessKeyAccount(id string) (string, bool, error) {
	a, ok := f[id]
	return a, ok, nil
}

// trustAnyone lets every AWS principal assume a role (the trust tests
// below narrow it).
const trustAnyone = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`

type fixture struct {
	*STS
	h     *servicetest.Harness
	clock *clock.Fake
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	h := servicetest.New(t, "sts", servicetest.At(t0), servicetest.InAccount(account))
	roles := fakeRoles{
		"arn:aws:iam::" + account + ":role/app": {
			Name: "app", ID: "AROAAPP", ARN: "arn:aws:iam::" + account + ":role/app", Account: account, MaxSessionDuration: 3600, TrustPolicy: trustAnyone,
		},
		"arn:aws:iam::" + account + ":role/ci/long": {
			Name: "long", ID: "AROALONG", ARN: "arn:aws:iam::" + account + ":role/ci/long", Account: account, MaxSessionDuration: 43200,
			TrustPolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["sts:AssumeRole","sts:SetSourceIdentity","sts:TagSession"]}]}`,
		},
		"arn:aws:iam::210987654321:role/other": {
			Name: "other", ID: "AROAOTHER", ARN: "arn:aws:iam::210987654321:role/other", Account: "210987654321", MaxSessionDuration: 3600, TrustPolicy: trustAnyone,
		},
	}
	keys := fakeKeys{"AKIAOTHERACCOUNT0000": "111111111111"}
	return &fixture{STS: New(h.Store(), roles, keys), h: h, clock: h.Clock}
}

func (f *fixture) ctx(c request.Caller) *request.Context { return f.h.CtxAs(c) }

func ds(s *string) string      { return ptr.Deref(s) }
func secs(n int) time.Duration { return time.Duration(n) * time.Second }

func wantErr(t *testing.T, err error, code string, status int, msg string) {
	t.Helper()
	var e *awserr.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want %s", err, code)
	}
	if e.Code.Code != code || (status != 0 && e.Code.Status != status) {
		t.Fatalf("error = %s %d (%q), want %s %d", e.Code.Code, e.Code.Status, e.Message, code, status)
	}
	if msg != "" && e.Message != msg {
		t.Fatalf("message = %q\nwant      %q", e.Message, msg)
	}
}

func TestGetCallerIdentity(t *testing.T) {
	f := newFixture(t)
	out, err := f.GetCallerIdentity(f.ctx(user), &stsapi.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if ds(out.Account) != account || ds(out.Arn) != user.ARN || ds(out.UserId) != "AIDAALICE" {
		t.Fatalf("%s %s %s", ds(out.Account), ds(out.Arn), ds(out.UserId))
	}
}

func TestGetSessionTokenDurations(t *testing.T) {
	for _, c := range []struct {
		name   string
		caller request.Caller
		in     *int32
		want   time.Duration // 0: an error
		msg    string
	}{
		{"root default is one hour", root, nil, time.Hour, ""},
		{"root minimum", root, ptr.To(int32(900)), secs(900), ""},
		{"root one hour", root, ptr.To(int32(3600)), time.Hour, ""},
		// AWS: "If the duration is longer than one hour, the session for
		// AWS account owners defaults to one hour."
		{"root longer is shortened", root, ptr.To(int32(7200)), time.Hour, ""},
		{"root maximum is shortened", root, ptr.To(int32(129600)), time.Hour, ""},
		{"root too short", root, ptr.To(int32(899)), 0,
			"1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"},
		{"root too long", root, ptr.To(int32(129601)), 0,
			"1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 129600"},
		{"user default is 12 hours", user, nil, 12 * time.Hour, ""},
		{"user maximum 36 hours", user, ptr.To(int32(129600)), 36 * time.Hour, ""},
		{"user too long", user, ptr.To(int32(129601)), 0,
			"1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 129600"},
		{"user too short", user, ptr.To(int32(0)), 0,
			"1 validation error detected: Value '0' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t)
			out, err := f.GetSessionToken(f.ctx(c.caller), &stsapi.GetSessionTokenInput{DurationSeconds: c.in})
			if c.want == 0 {
				wantErr(t, err, "ValidationError", 400, c.msg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			cr := out.Credentials
			if got := cr.Expiration.Sub(t0); got != c.want {
				t.Fatalf("expires after %v, want %v", got, c.want)
			}
			if !strings.HasPrefix(ds(cr.AccessKeyId), "ASIA") || len(ds(cr.AccessKeyId)) != 20 || len(ds(cr.SecretAccessKey)) != 40 || ds(cr.SessionToken) == "" {
				t.Fatalf("credentials %s %s %s", ds(cr.AccessKeyId), ds(cr.SecretAccessKey), ds(cr.SessionToken))
			}
			// The issued key is stored and belongs to the caller.
			tc, ok, err := f.LookupTemporary(ds(cr.AccessKeyId))
			if err != nil || !ok {
				t.Fatalf("lookup: %v %v", ok, err)
			}
			if tc.SecretAccessKey != ds(cr.SecretAccessKey) || tc.SessionToken != ds(cr.SessionToken) ||
				tc.ARN != c.caller.ARN || tc.Account != account || tc.UserID != c.caller.UserID ||
				!tc.Expiration.Equal(*cr.Expiration) || tc.SourceAccessKeyID != c.caller.AccessKeyID {
				t.Fatalf("stored %+v", tc)
			}
		})
	}
}

func TestGetSessionTokenWithSessionCredentials(t *testing.T) {
	f := newFixture(t)
	out, err := f.GetSessionToken(f.ctx(user), &stsapi.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	session := user
	session.AccessKeyID, session.SessionToken = ds(out.Credentials.AccessKeyId), ds(out.Credentials.SessionToken)
	_, err = f.GetSessionToken(f.ctx(session), &stsapi.GetSessionTokenInput{})
	wantErr(t, err, "AccessDenied", 403, "Cannot call GetSessionToken with session credentials")
}

func TestAssumeRole(t *testing.T) {
	f := newFixture(t)
	out, err := f.AssumeRole(f.ctx(user), &stsapi.AssumeRoleInput{
		RoleArn: ptr.To("arn:aws:iam::" + account + ":role/ci/long"), RoleSessionName: ptr.To("build-42"), DurationSeconds: ptr.To(int32(43200)),
		SourceIdentity: ptr.To("alice"),
	})
	if err != nil {
		t.Fatal(err)
	}
	u := out.AssumedRoleUser
	if ds(u.Arn) != "arn:aws:sts::"+account+":assumed-role/long/build-42" || ds(u.AssumedRoleId) != "AROALONG:build-42" {
		t.Fatalf("assumed role user %s %s", ds(u.Arn), ds(u.AssumedRoleId))
	}
	if got := out.Credentials.Expiration.Sub(t0); got != 12*time.Hour {
		t.Fatalf("expires after %v", got)
	}
	if ds(out.SourceIdentity) != "alice" || out.PackedPolicySize != nil {
		t.Fatalf("source identity %q packed %v", ds(out.SourceIdentity), out.PackedPolicySize)
	}
	tc, ok, _ := f.LookupTemporary(ds(out.Credentials.AccessKeyId))
	if !ok || tc.ARN != ds(u.Arn) || tc.UserID != "AROALONG:build-42" || tc.RoleARN != "arn:aws:iam::"+account+":role/ci/long" || tc.SessionName != "build-42" {
		t.Fatalf("stored %+v", tc)
	}

	// Default one hour; a role of another account.
	out, err = f.AssumeRole(f.ctx(user), &stsapi.AssumeRoleInput{RoleArn: ptr.To("arn:aws:iam::210987654321:role/other"), RoleSessionName: ptr.To("x1")})
	if err != nil {
		t.Fatal(err)
	}
	if got := out.Credentials.Expiration.Sub(t0); got != time.Hour {
		t.Fatalf("default duration %v", got)
	}
	tc, _, _ = f.LookupTemporary(ds(out.Credentials.AccessKeyId))
	if tc.Account != "210987654321" || ds(out.AssumedRoleUser.Arn) != "arn:aws:sts::210987654321:assumed-role/other/x1" {
		t.Fatalf("cross-account %+v", tc)
	}
}

func TestAssumeRoleErrors(t *testing.T) {
	f := newFixture(t)
	app := "arn:aws:iam::" + account + ":role/app"
	for _, c := range []struct {
		name          string
		caller        request.Caller
		in            stsapi.AssumeRoleInput
		code, message string
		status        int
	}{
		{"unknown role", user, stsapi.AssumeRoleInput{RoleArn: ptr.To("arn:aws:iam::" + account + ":role/nope"), RoleSessionName: ptr.To("s1")},
			"AccessDenied", "User: arn:aws:iam::" + account + ":user/alice is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::" + account + ":role/nope", 403},
		{"not a role arn", user, stsapi.AssumeRoleInput{RoleArn: ptr.To("arn:aws:iam::" + account + ":user/alice"), RoleSessionName: ptr.To("s1")},
			"ValidationError", "arn:aws:iam::" + account + ":user/alice is invalid", 400},
		{"session name with a space", user, stsapi.AssumeRoleInput{RoleArn: ptr.To(app), RoleSessionName: ptr.To("my session")},
			"ValidationError", `1 validation error detected: Value 'my session' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`, 400},
		{"session name with a slash", user, stsapi.AssumeRoleInput{RoleArn: ptr.To(app), RoleSessionName: ptr.To("a/b")},
			"ValidationError", `1 validation error detected: Value 'a/b' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`, 400},
		{"above the role's MaxSessionDuration", user, stsapi.AssumeRoleInput{RoleArn: ptr.To(app), RoleSessionName: ptr.To("s1"), DurationSeconds: ptr.To(int32(3601))},
			"ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.", 400},
		{"role chaining above one hour", request.Caller{AccessKeyID: "ASIAX", SessionToken: "tok", Account: account,
			ARN: "arn:aws:sts::" + account + ":assumed-role/app/s0", UserID: "AROAAPP:s0"},
			stsapi.AssumeRoleInput{RoleArn: ptr.To("arn:aws:iam::" + account + ":role/ci/long"), RoleSessionName: ptr.To("s1"), DurationSeconds: ptr.To(int32(7200))},
			"ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.", 400},
		{"too short", user, stsapi.AssumeRoleInput{RoleArn: ptr.To(app), RoleSessionName: ptr.To("s1"), DurationSeconds: ptr.To(int32(899))},
			"ValidationError", "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900", 400},
		{"root", root, stsapi.AssumeRoleInput{RoleArn: ptr.To(app), RoleSessionName: ptr.To("s1")},
			"AccessDenied", "Roles may not be assumed by root accounts.", 403},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := c.in
			_, err := f.AssumeRole(f.ctx(c.caller), &in)
			wantErr(t, err, c.code, c.status, c.message)
		})
	}
	// Role chaining within an hour works.
	chained := request.Caller{AccessKeyID: "ASIAX", SessionToken: "tok", Account: account, ARN: "arn:aws:sts::" + account + ":assumed-role/app/s0"}
	if _, err := f.AssumeRole(f.ctx(chained), &stsapi.AssumeRoleInput{RoleArn: ptr.To(app), RoleSessionName: ptr.To("s2"), DurationSeconds: ptr.To(int32(3600))}); err != nil {
		t.Fatalf("chained one hour: %v", err)
	}
}

func TestAssumeRoleWithoutIAM(t *testing.T) {
	h := servicetest.New(t, "sts", servicetest.At(t0))
	s := New(h.Store(), nil, nil)
	ctx := h.CtxAs(root)
	_, err := s.AssumeRole(ctx, &stsapi.AssumeRoleInput{RoleArn: ptr.To("arn:aws:iam::" + account + ":role/app"), RoleSessionName: ptr.To("s1")})
	wantErr(t, err, "NotImplemented", 501, "")
}

func TestGetAccessKeyInfo(t *testing.T) {
	f := newFixture(t)
	ar, err := f.AssumeRole(f.ctx(user), &stsapi.AssumeRoleInput{RoleArn: ptr.To("arn:aws:iam::210987654321:role/other"), RoleSessionName: ptr.To("s1")})
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		ds(ar.Credentials.AccessKeyId): "210987654321", // a temporary key of the role's account
		"AKIAOTHERACCOUNT0000":         "111111111111", // a long-term key of another account
		"AKIANEVERISSUED00000":         account,        // unknown: the caller's account
	} {
		out, err := f.GetAccessKeyInfo(f.ctx(root), &stsapi.GetAccessKeyInfoInput{AccessKeyId: ptr.To(key)})
		if err != nil {
			t.Fatal(err)
		}
		if ds(out.Account) != want {
			t.Errorf("GetAccessKeyInfo(%s) = %s, want %s", key, ds(out.Account), want)
		}
	}
}

// TestTemporaryCredentialsPersist: the credentials live in the store, so
// niwa restarted on the same --data-dir still honours them.
func TestTemporaryCredentialsPersist(t *testing.T) {
	h := servicetest.New(t, "sts", servicetest.At(t0), servicetest.OnDisk(t.TempDir()))
	s := New(h.Store(), nil, nil)
	out, err := s.GetSessionToken(h.CtxAs(user), &stsapi.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	h.Reopen()
	s = New(h.Store(), nil, nil)
	tc, ok, err := s.LookupTemporary(ds(out.Credentials.AccessKeyId))
	if err != nil || !ok || tc.SessionToken != ds(out.Credentials.SessionToken) || !tc.Expiration.Equal(*out.Credentials.Expiration) {
		t.Fatalf("after reopen: %+v %v %v", tc, ok, err)
	}
	if _, ok, _ := s.LookupTemporary("ASIANOPE"); ok {
		t.Fatal("found a key never issued")
	}
}
