package server_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/niwa-cloud/niwa/niwatest"
)

// TestSkipSignatureValidation: any key and secret sign as the root of
// 000000000000; a known key still acts as its own principal.
func TestSkipSignatureValidation(t *testing.T) {
	n := niwatest.Start(t, niwatest.WithSkipSignatureValidation(),
		niwatest.WithAccessKey("AKIAOTHERACCOUNT0001", "other-secret", "111111111111"))
	ctx := context.Background()
	for _, c := range []struct{ key, secret, account string }{
		{"AKIAWHATEVER00000000", "whatever", "000000000000"},
		{"test", "not-the-secret", "000000000000"},
		{"AKIAOTHERACCOUNT0001", "wrong", "111111111111"},
	} {
		id, err := sts.NewFromConfig(n.AWSConfigWith(c.key, c.secret, "")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatalf("%s: %v", c.key, err)
		}
		if aws.ToString(id.Account) != c.account || aws.ToString(id.Arn) != "arn:aws:iam::"+c.account+":root" {
			t.Errorf("%s: %s %s", c.key, aws.ToString(id.Account), aws.ToString(id.Arn))
		}
	}
	// And the unknown key can work with IAM as that root.
	if _, err := iam.NewFromConfig(n.AWSConfigWith("AKIAWHATEVER00000000", "x", "")).CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	if _, err := iam.NewFromConfig(n.AWSConfig()).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")}); err != nil {
		t.Fatalf("role created with an unknown key is not the default account's: %v", err)
	}
}

// TestWithoutSkipUnknownKeysFail is the control for the test above.
func TestWithoutSkipUnknownKeysFail(t *testing.T) {
	n := niwatest.Start(t)
	_, err := sts.NewFromConfig(n.AWSConfigWith("AKIAWHATEVER00000000", "whatever", "")).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	apiErr(t, err, "InvalidClientTokenId", 403)
}

// TestExtraAccessKeyIsRootOfItsAccount: --access-key KEY:SECRET:ACCOUNT
// signs as that account's root, next to the default key.
func TestExtraAccessKeyIsRootOfItsAccount(t *testing.T) {
	n := niwatest.Start(t, niwatest.WithAccessKey("AKIAOTHERACCOUNT0001", "other-secret", "111111111111"))
	ctx := context.Background()
	id, err := sts.NewFromConfig(n.AWSConfigWith("AKIAOTHERACCOUNT0001", "other-secret", "")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.Account) != "111111111111" || aws.ToString(id.Arn) != "arn:aws:iam::111111111111:root" || aws.ToString(id.UserId) != "111111111111" {
		t.Fatalf("identity %s %s %s", aws.ToString(id.Account), aws.ToString(id.Arn), aws.ToString(id.UserId))
	}
	_, err = sts.NewFromConfig(n.AWSConfigWith("AKIAOTHERACCOUNT0001", "test", "")).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	apiErr(t, err, "SignatureDoesNotMatch", 403)
	if _, err := sts.NewFromConfig(n.AWSConfig()).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("default key next to an extra one: %v", err)
	}
	// The accounts are separate: a role of one is not visible to the other.
	if _, err := iam.NewFromConfig(n.AWSConfigWith("AKIAOTHERACCOUNT0001", "other-secret", "")).CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String("mine"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	_, err = iam.NewFromConfig(n.AWSConfig()).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("mine")})
	apiErr(t, err, "NoSuchEntity", 404)
}

// TestClockSkew: a request signed 20 minutes away from niwa's (fake)
// clock fails with each protocol's skew error; 14 minutes is accepted.
func TestClockSkew(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	n := niwatest.Start(t, niwatest.WithClock(niwatest.NewFakeClock(now)))
	identity := "Action=GetCallerIdentity&Version=2011-06-15"

	for _, off := range []time.Duration{0, -14 * time.Minute, 14 * time.Minute} {
		if r := query(t, n, now.Add(off), rootCreds, "sts", identity); r.status != 200 {
			t.Fatalf("signed %v off: %d %s", off, r.status, r.body)
		}
	}

	r := query(t, n, now.Add(-20*time.Minute), rootCreds, "sts", identity)
	if msg := wantQueryErr(t, r, 403, "SignatureDoesNotMatch"); msg != "Signature expired: 20260301T114000Z is now earlier than 20260301T114500Z (20260301T120000Z - 15 min.)" {
		t.Errorf("20 min old: %q", msg)
	}
	r = query(t, n, now.Add(20*time.Minute), rootCreds, "sts", identity)
	if msg := wantQueryErr(t, r, 403, "SignatureDoesNotMatch"); msg != "Signature not yet current: 20260301T122000Z is still later than 20260301T121500Z (20260301T120000Z + 15 min.)" {
		t.Errorf("20 min ahead: %q", msg)
	}

	// JSON services: InvalidSignatureException, 400.
	r = signed(t, n, now.Add(-20*time.Minute), rootCreds, "dynamodb", "POST", "/",
		map[string]string{"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0"}, "{}")
	var body map[string]string
	json.Unmarshal([]byte(r.body), &body)
	if r.status != 400 || body["__type"] != "InvalidSignatureException" {
		t.Errorf("dynamodb 20 min old: %d %s", r.status, r.body)
	}

	// S3: RequestTimeTooSkewed, 403.
	r = signed(t, n, now.Add(-20*time.Minute), rootCreds, "s3", "GET", "/", nil, "")
	var s3e struct{ Code string }
	xml.Unmarshal([]byte(r.body), &s3e)
	if r.status != 403 || s3e.Code != "RequestTimeTooSkewed" {
		t.Errorf("s3 20 min old: %d %s", r.status, r.body)
	}
}
