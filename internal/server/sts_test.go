package server_test

import (
	"context"
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"

	"github.com/niwa-cloud/niwa/niwatest"
)

const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}`

func tempCreds(c *ststypes.Credentials) creds {
	return creds{aws.ToString(c.AccessKeyId), aws.ToString(c.SecretAccessKey), aws.ToString(c.SessionToken)}
}

func (c creds) config(n *niwatest.Niwa) aws.Config { return n.AWSConfigWith(c.key, c.secret, c.token) }

// newUser creates an IAM user with an access key.
func newUser(t *testing.T, n *niwatest.Niwa, name string) creds {
	t.Helper()
	ctx := context.Background()
	ic := iam.NewFromConfig(n.AWSConfig())
	if _, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	k, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return creds{aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), ""}
}

// assumer creates an IAM user allowed to call sts:AssumeRole on any role
// (AWS refuses AssumeRole to the account root).
func assumer(t *testing.T, n *niwatest.Niwa, name string) creds {
	t.Helper()
	c := newUser(t, n, name)
	if _, err := iam.NewFromConfig(n.AWSConfig()).PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{
		UserName: aws.String(name), PolicyName: aws.String("assume"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`),
	}); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestGetSessionToken(t *testing.T) {
	n := niwatest.Start(t)
	ctx := context.Background()
	rootSTS := sts.NewFromConfig(n.AWSConfig())

	// Root: one hour at most (longer requests are shortened, as on AWS).
	for _, c := range []struct {
		in   *int32
		want time.Duration
	}{{nil, time.Hour}, {aws.Int32(900), 15 * time.Minute}, {aws.Int32(3600), time.Hour}, {aws.Int32(7200), time.Hour}} {
		before := time.Now()
		out, err := rootSTS.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: c.in})
		if err != nil {
			t.Fatal(err)
		}
		if d := out.Credentials.Expiration.Sub(before); d < c.want-2*time.Second || d > c.want+2*time.Second {
			t.Errorf("root DurationSeconds %v: expires after %v, want %v", c.in, d, c.want)
		}
	}
	for _, d := range []int32{899, 129601} {
		_, err := rootSTS.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(d)})
		msg := apiErr(t, err, "ValidationError", 400)
		if !strings.HasPrefix(msg, "1 validation error detected: Value '") || !strings.Contains(msg, "at 'durationSeconds' failed to satisfy constraint: Member must have value") {
			t.Errorf("root DurationSeconds %d: %q", d, msg)
		}
	}

	// An IAM user: up to 36 hours, and the session is the user's.
	alice := newUser(t, n, "alice")
	userSTS := sts.NewFromConfig(alice.config(n))
	before := time.Now()
	out, err := userSTS.GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(129600)})
	if err != nil {
		t.Fatal(err)
	}
	if d := out.Credentials.Expiration.Sub(before); d < 36*time.Hour-2*time.Second || d > 36*time.Hour+2*time.Second {
		t.Errorf("user session expires after %v", d)
	}
	session := tempCreds(out.Credentials)
	id, err := sts.NewFromConfig(session.config(n)).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.Arn) != "arn:aws:iam::000000000000:user/alice" || !strings.HasPrefix(aws.ToString(id.UserId), "AIDA") {
		t.Errorf("session identity %s %s", aws.ToString(id.Arn), aws.ToString(id.UserId))
	}

	// Session credentials cannot get another session token.
	_, err = sts.NewFromConfig(session.config(n)).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if msg := apiErr(t, err, "AccessDenied", 403); msg != "Cannot call GetSessionToken with session credentials" {
		t.Errorf("message %q", msg)
	}
}

func TestAssumeRoleThroughTheStack(t *testing.T) {
	n := niwatest.Start(t)
	ctx := context.Background()
	ic := iam.NewFromConfig(n.AWSConfig())
	if _, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	if _, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("long"), Path: aws.String("/ci/"),
		AssumeRolePolicyDocument: aws.String(trust), MaxSessionDuration: aws.Int32(7200)}); err != nil {
		t.Fatal(err)
	}
	// The account root may not assume roles, as on AWS.
	_, err := sts.NewFromConfig(n.AWSConfig()).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/app"), RoleSessionName: aws.String("s1")})
	if msg := apiErr(t, err, "AccessDenied", 403); msg != "Roles may not be assumed by root accounts." {
		t.Errorf("root: %q", msg)
	}
	client := sts.NewFromConfig(assumer(t, n, "bob").config(n))

	_, err = client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/nope"), RoleSessionName: aws.String("s1")})
	if msg := apiErr(t, err, "AccessDenied", 403); msg != "User: arn:aws:iam::000000000000:user/bob is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::000000000000:role/nope" {
		t.Errorf("unknown role: %q", msg)
	}
	_, err = client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/app"), RoleSessionName: aws.String("bad name")})
	if msg := apiErr(t, err, "ValidationError", 400); msg != `1 validation error detected: Value 'bad name' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*` {
		t.Errorf("bad session name: %q", msg)
	}
	_, err = client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/app"), RoleSessionName: aws.String("x")})
	if msg := apiErr(t, err, "ValidationError", 400); msg != "1 validation error detected: Value 'x' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2" {
		t.Errorf("short session name: %q", msg)
	}
	_, err = client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/app"), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(3601)})
	if msg := apiErr(t, err, "ValidationError", 400); msg != "The requested DurationSeconds exceeds the MaxSessionDuration set for this role." {
		t.Errorf("above MaxSessionDuration: %q", msg)
	}

	// Within the role's own maximum (a role with a path).
	out, err := client.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/ci/long"), RoleSessionName: aws.String("s1"), DurationSeconds: aws.Int32(7200)})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.AssumedRoleUser.Arn); got != "arn:aws:sts::000000000000:assumed-role/long/s1" {
		t.Errorf("assumed role arn %s", got)
	}
	// Chaining from that session is limited to one hour.
	chained := sts.NewFromConfig(tempCreds(out.Credentials).config(n))
	_, err = chained.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/ci/long"), RoleSessionName: aws.String("s2"), DurationSeconds: aws.Int32(7200)})
	if msg := apiErr(t, err, "ValidationError", 400); msg != "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining." {
		t.Errorf("role chaining: %q", msg)
	}
	if _, err := chained.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/app"), RoleSessionName: aws.String("s2")}); err != nil {
		t.Errorf("role chaining within an hour: %v", err)
	}
}

// TestTemporaryCredentialsExpireOnTheClock: credentials stop working when
// niwa's injected clock passes their expiration, with no wall-clock wait.
func TestTemporaryCredentialsExpireOnTheClock(t *testing.T) {
	start := time.Now().UTC().Truncate(time.Second)
	clk := niwatest.NewFakeClock(start)
	n := niwatest.Start(t, niwatest.WithClock(clk))
	ctx := context.Background()

	// Issued by an SDK client (signed on the wall clock, which is where
	// the fake clock still is).
	out, err := sts.NewFromConfig(n.AWSConfig()).GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	exp := *out.Credentials.Expiration
	if !exp.Equal(start.Add(15 * time.Minute)) {
		t.Fatalf("expiration %v, want %v (fake clock + 900s)", exp, start.Add(15*time.Minute))
	}
	session := tempCreds(out.Credentials)
	identity := "Action=GetCallerIdentity&Version=2011-06-15"

	// From here requests are signed on the fake clock, as a client whose
	// clock agrees with niwa's would sign them.
	clk.Set(exp.Add(-time.Second))
	if r := query(t, n, clk.Now(), session, "sts", identity); r.status != 200 {
		t.Fatalf("a second before expiry: %d %s", r.status, r.body)
	}
	clk.Set(exp)
	r := query(t, n, clk.Now(), session, "sts", identity)
	if msg := wantQueryErr(t, r, 403, "ExpiredToken"); msg != "The security token included in the request is expired" {
		t.Errorf("message %q", msg)
	}
	// The root key is not affected.
	if r := query(t, n, clk.Now(), rootCreds, "sts", identity); r.status != 200 {
		t.Fatalf("root after the session expired: %d %s", r.status, r.body)
	}
	// S3 words it its own way.
	r = signed(t, n, clk.Now(), session, "s3", "GET", "/", nil, "")
	var s3e struct{ Code, Message string }
	xml.Unmarshal([]byte(r.body), &s3e)
	if r.status != 400 || s3e.Code != "ExpiredToken" {
		t.Errorf("s3 with expired token: %d %s", r.status, r.body)
	}
}

// TestGetAccessKeyInfo: the account of static, IAM and temporary keys.
func TestGetAccessKeyInfo(t *testing.T) {
	n := niwatest.Start(t, niwatest.WithAccessKey("AKIAOTHERACCOUNT0001", "other-secret", "111111111111"))
	ctx := context.Background()
	alice := newUser(t, n, "alice")
	other := sts.NewFromConfig(n.AWSConfigWith("AKIAOTHERACCOUNT0001", "other-secret", ""))
	ar, err := sts.NewFromConfig(n.AWSConfig()).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"AKIAOTHERACCOUNT0001":                   "111111111111",
		"test0000000000000000":                   "111111111111", // unknown: the caller's account
		alice.key:                                "000000000000",
		aws.ToString(ar.Credentials.AccessKeyId): "000000000000",
	} {
		out, err := other.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String(key)})
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if got := aws.ToString(out.Account); got != want {
			t.Errorf("GetAccessKeyInfo(%s) = %s, want %s", key, got, want)
		}
	}
	_, err = other.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String("short")})
	apiErr(t, err, "ValidationError", 400)
}

// TestResetDropsState: POST /_niwa/reset drops IAM roles and STS
// temporary credentials, which stop signing requests.
func TestResetDropsState(t *testing.T) {
	n := niwatest.Start(t)
	ctx := context.Background()
	ic := iam.NewFromConfig(n.AWSConfig())
	if _, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("app"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	ar, err := sts.NewFromConfig(assumer(t, n, "bob").config(n)).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::000000000000:role/app"), RoleSessionName: aws.String("s1")})
	if err != nil {
		t.Fatal(err)
	}
	session := sts.NewFromConfig(tempCreds(ar.Credentials).config(n))
	if _, err := session.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatal(err)
	}

	resp, err := http.Post(n.Endpoint+"/_niwa/reset", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("reset: %d", resp.StatusCode)
	}

	_, err = ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("app")})
	apiErr(t, err, "NoSuchEntity", 404)
	_, err = session.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	apiErr(t, err, "InvalidClientTokenId", 403)
	// The static root key survives a reset.
	if _, err := sts.NewFromConfig(n.AWSConfig()).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("root after reset: %v", err)
	}
}
