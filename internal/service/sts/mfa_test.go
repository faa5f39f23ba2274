package sts

import (
	"testing"
	"time"

	stsapi "github.com/niwa-cloud/niwa/internal/api/sts"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// fakeMFA accepts code "123456" for serial dev of user alice.
type fakeMFA struct{}

func (fakeMFA) VerifyMFACode(account, serial, code string, at time.Time) (string, bool, error) {
	return "alice", serial == "arn:aws:iam::"+account+":mfa/dev" && code == "123456", nil
}

func chained(c request.Caller, cr *stsapi.Credentials, arn string) request.Caller {
	c.AccessKeyID, c.SessionToken, c.ARN = ds(cr.AccessKeyId), ds(cr.SessionToken), arn
	return c
}

func TestSourceIdentityPersistsThroughChaining(t *testing.T) {
	f := newFixture(t)
	long := ptr.To("arn:aws:iam::" + account + ":role/ci/long")
	out, err := f.AssumeRole(f.ctx(user), &stsapi.AssumeRoleInput{RoleArn: long, RoleSessionName: ptr.To("one"), SourceIdentity: ptr.To("alice")})
	if err != nil {
		t.Fatal(err)
	}
	sess := chained(user, out.Credentials, ds(out.AssumedRoleUser.Arn))
	// Chained without a SourceIdentity: it carries over.
	out2, err := f.AssumeRole(f.ctx(sess), &stsapi.AssumeRoleInput{RoleArn: long, RoleSessionName: ptr.To("two")})
	if err != nil {
		t.Fatal(err)
	}
	if ds(out2.SourceIdentity) != "alice" {
		t.Fatalf("chained source identity %q", ds(out2.SourceIdentity))
	}
	if tc, _, _ := f.LookupTemporary(ds(out2.Credentials.AccessKeyId)); tc.SourceIdentity != "alice" {
		t.Fatalf("stored %q", tc.SourceIdentity)
	}
	// It cannot be changed, and the next role must allow
	// sts:SetSourceIdentity (app's trust policy does not).
	_, err = f.AssumeRole(f.ctx(sess), &stsapi.AssumeRoleInput{RoleArn: long, RoleSessionName: ptr.To("three"), SourceIdentity: ptr.To("mallory")})
	wantErr(t, err, "AccessDenied", 403, "")
	_, err = f.AssumeRole(f.ctx(sess), &stsapi.AssumeRoleInput{RoleArn: ptr.To("arn:aws:iam::" + account + ":role/app"), RoleSessionName: ptr.To("four")})
	wantErr(t, err, "AccessDenied", 403, "User: "+sess.ARN+" is not authorized to perform: sts:SetSourceIdentity on resource: arn:aws:iam::"+account+":role/app")
}

func TestMFA(t *testing.T) {
	f := newFixture(t)
	f.mfa = fakeMFA{}
	bad := "MultiFactorAuthentication failed with invalid MFA one time pass code. "
	serial := ptr.To("arn:aws:iam::" + account + ":mfa/dev")
	_, err := f.GetSessionToken(f.ctx(user), &stsapi.GetSessionTokenInput{SerialNumber: serial, TokenCode: ptr.To("000000")})
	wantErr(t, err, "AccessDenied", 403, bad)
	_, err = f.GetSessionToken(f.ctx(user), &stsapi.GetSessionTokenInput{TokenCode: ptr.To("123456")})
	wantErr(t, err, "AccessDenied", 403, bad)
	// The device is alice's: the root cannot use it.
	_, err = f.GetSessionToken(f.ctx(root), &stsapi.GetSessionTokenInput{SerialNumber: serial, TokenCode: ptr.To("123456")})
	wantErr(t, err, "AccessDenied", 403, bad)
	out, err := f.GetSessionToken(f.ctx(user), &stsapi.GetSessionTokenInput{SerialNumber: serial, TokenCode: ptr.To("123456")})
	if err != nil {
		t.Fatal(err)
	}
	tc, _, _ := f.LookupTemporary(ds(out.Credentials.AccessKeyId))
	if tc.MFAAuthTime == nil || !tc.MFAAuthTime.Equal(f.clock.Now().UTC()) {
		t.Fatalf("MFAAuthTime = %v", tc.MFAAuthTime)
	}
	// A role whose trust policy requires MFA.
	f.roles.(fakeRoles)["arn:aws:iam::"+account+":role/mfa"] = Role{Name: "mfa", ID: "AROAMFA", ARN: "arn:aws:iam::" + account + ":role/mfa", Account: account, MaxSessionDuration: 3600,
		TrustPolicy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"},"NumericLessThan":{"aws:MultiFactorAuthAge":"600"}}}]}`}
	role := ptr.To("arn:aws:iam::" + account + ":role/mfa")
	_, err = f.AssumeRole(f.ctx(user), &stsapi.AssumeRoleInput{RoleArn: role, RoleSessionName: ptr.To("s1")})
	wantErr(t, err, "AccessDenied", 403, "")
	if _, err := f.AssumeRole(f.ctx(user), &stsapi.AssumeRoleInput{RoleArn: role, RoleSessionName: ptr.To("s1"), SerialNumber: serial, TokenCode: ptr.To("123456")}); err != nil {
		t.Fatal(err)
	}
	// From the MFA session: present, and aged on the clock.
	sess := chained(user, out.Credentials, user.ARN)
	if _, err := f.AssumeRole(f.ctx(sess), &stsapi.AssumeRoleInput{RoleArn: role, RoleSessionName: ptr.To("s2")}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(11 * time.Minute)
	_, err = f.AssumeRole(f.ctx(sess), &stsapi.AssumeRoleInput{RoleArn: role, RoleSessionName: ptr.To("s3")})
	wantErr(t, err, "AccessDenied", 403, "")
}

func TestTransitiveSessionTags(t *testing.T) {
	f := newFixture(t)
	long := ptr.To("arn:aws:iam::" + account + ":role/ci/long")
	_, err := f.AssumeRole(f.ctx(user), &stsapi.AssumeRoleInput{RoleArn: long, RoleSessionName: ptr.To("one"),
		Tags: []stsapi.Tag{{Key: ptr.To("team"), Value: ptr.To("a")}}, TransitiveTagKeys: []string{"project"}})
	wantErr(t, err, "InvalidParameterValue", 400, "")
	out, err := f.AssumeRole(f.ctx(user), &stsapi.AssumeRoleInput{RoleArn: long, RoleSessionName: ptr.To("one"),
		Tags: []stsapi.Tag{{Key: ptr.To("team"), Value: ptr.To("a")}, {Key: ptr.To("desk"), Value: ptr.To("7")}}, TransitiveTagKeys: []string{"TEAM"}})
	if err != nil {
		t.Fatal(err)
	}
	sess := chained(user, out.Credentials, ds(out.AssumedRoleUser.Arn))
	// Only the transitive tag carries over, and stays transitive.
	out2, err := f.AssumeRole(f.ctx(sess), &stsapi.AssumeRoleInput{RoleArn: long, RoleSessionName: ptr.To("two")})
	if err != nil {
		t.Fatal(err)
	}
	tc, _, _ := f.LookupTemporary(ds(out2.Credentials.AccessKeyId))
	if len(tc.Tags) != 1 || tc.Tags["team"] != "a" || len(tc.TransitiveTagKeys) != 1 {
		t.Fatalf("chained tags %v transitive %v", tc.Tags, tc.TransitiveTagKeys)
	}
	sess2 := chained(user, out2.Credentials, ds(out2.AssumedRoleUser.Arn))
	_, err = f.AssumeRole(f.ctx(sess2), &stsapi.AssumeRoleInput{RoleArn: long, RoleSessionName: ptr.To("three"), Tags: []stsapi.Tag{{Key: ptr.To("Team"), Value: ptr.To("b")}}})
	wantErr(t, err, "InvalidParameterValue", 400, "")
	out3, err := f.AssumeRole(f.ctx(sess2), &stsapi.AssumeRoleInput{RoleArn: long, RoleSessionName: ptr.To("four")})
	if err != nil {
		t.Fatal(err)
	}
	if tc, _, _ := f.LookupTemporary(ds(out3.Credentials.AccessKeyId)); tc.Tags["team"] != "a" {
		t.Fatalf("third hop tags %v", tc.Tags)
	}
}
