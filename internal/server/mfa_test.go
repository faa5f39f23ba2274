package server_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/niwa-cloud/niwa/niwatest"
)

// totpCode is RFC 6238 (HMAC-SHA1, 30 s, 6 digits), written here apart
// from niwa's so the test checks niwa against the standard.
func totpCode(seed []byte, step int64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	m := hmac.New(sha1.New, seed)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[19] & 0xf
	return fmt.Sprintf("%06d", (binary.BigEndian.Uint32(sum[off:])&0x7fffffff)%1000000)
}

// TestMFAThroughTheStack: a user's virtual MFA device, enabled with two
// codes, makes GetSessionToken and AssumeRole sessions that carry
// aws:MultiFactorAuthPresent, which identity and trust policies test.
func TestMFAThroughTheStack(t *testing.T) {
	n := niwatest.Start(t)
	ctx := context.Background()
	ic := iam.NewFromConfig(n.AWSConfig())
	bob := newUser(t, n, "bob")
	if _, err := ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("bob"), PolicyName: aws.String("mfa"), PolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListUsers","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}},{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("needs-mfa"), AssumeRolePolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`)}); err != nil {
		t.Fatal(err)
	}
	dev, err := ic.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("bob")})
	if err != nil {
		t.Fatal(err)
	}
	serial := aws.ToString(dev.VirtualMFADevice.SerialNumber)
	seed, err := base32.StdEncoding.DecodeString(string(dev.VirtualMFADevice.Base32StringSeed))
	if err != nil {
		t.Fatal(err)
	}
	step := time.Now().Unix() / 30
	if _, err := ic.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("bob"), SerialNumber: aws.String(serial),
		AuthenticationCode1: aws.String(totpCode(seed, step-1)), AuthenticationCode2: aws.String(totpCode(seed, step))}); err != nil {
		t.Fatal(err)
	}

	bobIAM := iam.NewFromConfig(bob.config(n))
	_, err = bobIAM.ListUsers(ctx, &iam.ListUsersInput{})
	apiErr(t, err, "AccessDenied", 403)
	bobSTS := sts.NewFromConfig(bob.config(n))
	_, err = bobSTS.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String(serial), TokenCode: aws.String(totpCode(seed, step-30))})
	if msg := apiErr(t, err, "AccessDenied", 403); msg != "MultiFactorAuthentication failed with invalid MFA one time pass code. " {
		t.Errorf("message %q", msg)
	}
	out, err := bobSTS.GetSessionToken(ctx, &sts.GetSessionTokenInput{SerialNumber: aws.String(serial), TokenCode: aws.String(totpCode(seed, step+1))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iam.NewFromConfig(tempCreds(out.Credentials).config(n)).ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatalf("MFA session ListUsers: %v", err)
	}

	role := aws.String("arn:aws:iam::000000000000:role/needs-mfa")
	_, err = bobSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role, RoleSessionName: aws.String("s1")})
	apiErr(t, err, "AccessDenied", 403)
	if _, err := bobSTS.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role, RoleSessionName: aws.String("s1"),
		SerialNumber: aws.String(serial), TokenCode: aws.String(totpCode(seed, step+2))}); err != nil {
		t.Fatalf("AssumeRole with MFA: %v", err)
	}
	// The MFA session assumes the role too: its proof travels with it.
	if _, err := sts.NewFromConfig(tempCreds(out.Credentials).config(n)).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: role, RoleSessionName: aws.String("s2")}); err != nil {
		t.Fatalf("AssumeRole from the MFA session: %v", err)
	}
}

// TestSelfManagedMFA: the IAM User Guide's policy that lets users manage
// their own MFA device (mfa/${aws:username}, user/${aws:username}) works:
// a user creates, enables and deletes its own device, and nobody else's.
func TestSelfManagedMFA(t *testing.T) {
	n := niwatest.Start(t)
	ctx := context.Background()
	ic := iam.NewFromConfig(n.AWSConfig())
	carl := newUser(t, n, "carl")
	newUser(t, n, "dora")
	if _, err := ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("carl"), PolicyName: aws.String("own-mfa"), PolicyDocument: aws.String(`{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "AllowManageOwnVirtualMFADevice", "Effect": "Allow", "Action": ["iam:CreateVirtualMFADevice", "iam:DeleteVirtualMFADevice"], "Resource": "arn:aws:iam::*:mfa/${aws:username}"},
    {"Sid": "AllowManageOwnUserMFA", "Effect": "Allow", "Action": ["iam:DeactivateMFADevice", "iam:EnableMFADevice", "iam:ListMFADevices", "iam:ResyncMFADevice"], "Resource": "arn:aws:iam::*:user/${aws:username}"}
  ]
}`)}); err != nil {
		t.Fatal(err)
	}
	cc := iam.NewFromConfig(carl.config(n))
	_, err := cc.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("dora")})
	apiErr(t, err, "AccessDenied", 403)
	dev, err := cc.CreateVirtualMFADevice(ctx, &iam.CreateVirtualMFADeviceInput{VirtualMFADeviceName: aws.String("carl")})
	if err != nil {
		t.Fatal(err)
	}
	seed, _ := base32.StdEncoding.DecodeString(string(dev.VirtualMFADevice.Base32StringSeed))
	step := time.Now().Unix() / 30
	serial := dev.VirtualMFADevice.SerialNumber
	_, err = cc.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("dora"), SerialNumber: serial,
		AuthenticationCode1: aws.String(totpCode(seed, step-1)), AuthenticationCode2: aws.String(totpCode(seed, step))})
	apiErr(t, err, "AccessDenied", 403)
	if _, err := cc.EnableMFADevice(ctx, &iam.EnableMFADeviceInput{UserName: aws.String("carl"), SerialNumber: serial,
		AuthenticationCode1: aws.String(totpCode(seed, step-1)), AuthenticationCode2: aws.String(totpCode(seed, step))}); err != nil {
		t.Fatal(err)
	}
	if _, err := cc.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: aws.String("carl"), SerialNumber: serial}); err != nil {
		t.Fatal(err)
	}
	if _, err := cc.DeleteVirtualMFADevice(ctx, &iam.DeleteVirtualMFADeviceInput{SerialNumber: serial}); err != nil {
		t.Fatal(err)
	}
}

// TestUsersMayChangePassword: with AllowUsersToChangePassword an IAM user
// changes its own password and reads the policy without a policy granting
// iam:ChangePassword; without it, the user needs one.
func TestUsersMayChangePassword(t *testing.T) {
	n := niwatest.Start(t)
	ctx := context.Background()
	ic := iam.NewFromConfig(n.AWSConfig())
	eve := newUser(t, n, "eve")
	if _, err := ic.CreateLoginProfile(ctx, &iam.CreateLoginProfileInput{UserName: aws.String("eve"), Password: aws.String("Initial-pass1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(8)}); err != nil {
		t.Fatal(err)
	}
	ec := iam.NewFromConfig(eve.config(n))
	_, err := ec.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("Initial-pass1"), NewPassword: aws.String("Second-pass2")})
	apiErr(t, err, "AccessDenied", 403)
	if _, err := ic.UpdateAccountPasswordPolicy(ctx, &iam.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: aws.Int32(8), AllowUsersToChangePassword: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := ec.GetAccountPasswordPolicy(ctx, &iam.GetAccountPasswordPolicyInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := ec.ChangePassword(ctx, &iam.ChangePasswordInput{OldPassword: aws.String("Initial-pass1"), NewPassword: aws.String("Second-pass2")}); err != nil {
		t.Fatal(err)
	}
	_, err = ec.ListUsers(ctx, &iam.ListUsersInput{})
	apiErr(t, err, "AccessDenied", 403)
}

// TestLastUsed: a request signed with an IAM user's key shows in
// GetAccessKeyLastUsed and the credential report; one signed by a role
// session in GetRole's RoleLastUsed.
func TestLastUsed(t *testing.T) {
	n := niwatest.Start(t)
	ctx := context.Background()
	ic := iam.NewFromConfig(n.AWSConfig())
	fay := assumer(t, n, "fay")
	if _, err := sts.NewFromConfig(fay.config(n)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	used, err := ic.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(fay.key)})
	if err != nil {
		t.Fatal(err)
	}
	if lu := used.AccessKeyLastUsed; lu == nil || aws.ToString(lu.ServiceName) != "sts" || lu.LastUsedDate == nil {
		t.Fatalf("last used %+v", lu)
	}
	if _, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("worker"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	out, err := sts.NewFromConfig(fay.config(n)).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/worker"), RoleSessionName: aws.String("w1")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sts.NewFromConfig(tempCreds(out.Credentials).config(n)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}
	role, err := ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("worker")})
	if err != nil {
		t.Fatal(err)
	}
	if lu := role.Role.RoleLastUsed; lu == nil || lu.LastUsedDate == nil {
		t.Fatalf("role last used %+v", lu)
	}
}
