package iam

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestIAMEnforcementAndSimulation: a user's requests are authorized by
// its policies; simulate-principal-policy gives the same answers.
func TestIAMEnforcementAndSimulation(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	ctx := context.Background()
	readOnly := framework.IAMUser(t, n, "reader", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["iam:List*","iam:Get*"],"Resource":"*"},{"Effect":"Deny","Action":"iam:GetRole","Resource":"arn:aws:iam::000000000000:role/secret*"}]}`)
	ic := iam.NewFromConfig(readOnly)
	if _, err := ic.ListUsers(ctx, &iam.ListUsersInput{}); err != nil {
		t.Fatalf("allowed ListUsers: %v", err)
	}
	_, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("x")})
	framework.WantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::000000000000:user/reader is not authorized to perform: iam:CreateUser on resource: arn:aws:iam::000000000000:user/x because no identity-based policy allows the iam:CreateUser action")
	_, err = ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("secret-role")})
	framework.WantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::000000000000:user/reader is not authorized to perform: iam:GetRole on resource: arn:aws:iam::000000000000:role/secret-role with an explicit deny in an identity-based policy")

	// The simulator agrees with enforcement, case by case.
	root := iam.NewFromConfig(framework.GoConfig(n, "test", "test", ""))
	for _, c := range []struct {
		action, resource, want string
		call                   func() error
	}{
		{"iam:ListUsers", "*", "allowed", func() error { _, err := ic.ListUsers(ctx, &iam.ListUsersInput{}); return err }},
		{"iam:CreateUser", "arn:aws:iam::000000000000:user/y", "implicitDeny", func() error {
			_, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("y")})
			return err
		}},
		{"iam:GetRole", "arn:aws:iam::000000000000:role/secret-x", "explicitDeny", func() error {
			_, err := ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("secret-x")})
			return err
		}},
		{"iam:GetUser", "arn:aws:iam::000000000000:user/reader", "allowed", func() error {
			_, err := ic.GetUser(ctx, &iam.GetUserInput{UserName: aws.String("reader")})
			return err
		}},
	} {
		out, err := root.SimulatePrincipalPolicy(ctx, &iam.SimulatePrincipalPolicyInput{
			PolicySourceArn: aws.String("arn:aws:iam::000000000000:user/reader"),
			ActionNames:     []string{c.action}, ResourceArns: []string{c.resource},
		})
		if err != nil {
			t.Fatal(err)
		}
		got := string(out.EvaluationResults[0].EvalDecision)
		enforced := c.call()
		var ae smithy.APIError
		denied := errors.As(enforced, &ae) && ae.ErrorCode() == "AccessDenied"
		if got != c.want || denied != (c.want != "allowed") {
			t.Errorf("%s on %s: simulated %s, enforced error %v", c.action, c.resource, got, enforced)
		}
	}
	custom, err := root.SimulateCustomPolicy(ctx, &iam.SimulateCustomPolicyInput{
		PolicyInputList: []string{`{"Version":"2012-10-17","Statement":[{"Sid":"S3Read","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`},
		ActionNames:     []string{"s3:GetObject", "s3:PutObject"}, ResourceArns: []string{"arn:aws:s3:::b/k"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(custom.EvaluationResults[0].EvalDecision) != "allowed" || string(custom.EvaluationResults[1].EvalDecision) != "implicitDeny" ||
		aws.ToString(custom.EvaluationResults[0].MatchedStatements[0].SourcePolicyId) != "PolicyInputList.1" {
		t.Fatalf("simulate-custom-policy: %+v", custom.EvaluationResults)
	}
}

// TestIAMAssumedRoleCarriesItsPolicies: a role session may do what the
// role's policies allow and nothing else; a trust policy that does not
// name the caller refuses the assumption; root may not assume roles.
func TestIAMAssumedRoleCarriesItsPolicies(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	ctx := context.Background()
	root := iam.NewFromConfig(framework.GoConfig(n, "test", "test", ""))
	dev := framework.IAMUser(t, n, "dev", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	for name, principal := range map[string]string{
		"lister":      `{"AWS":"arn:aws:iam::000000000000:user/dev"}`,
		"lambda-only": `{"Service":"lambda.amazonaws.com"}`,
	} {
		if _, err := root.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name),
			AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":` + principal + `,"Action":"sts:AssumeRole"}]}`)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := root.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("lister"),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")}); err != nil {
		t.Fatal(err)
	}
	if _, err := root.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("lister"), PolicyName: aws.String("iam-list"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:ListRoles","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	_, err := sts.NewFromConfig(dev).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/lambda-only"), RoleSessionName: aws.String("s0")})
	framework.WantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::000000000000:user/dev is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::000000000000:role/lambda-only")
	_, err = sts.NewFromConfig(framework.GoConfig(n, "test", "test", "")).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/lister"), RoleSessionName: aws.String("s0")})
	framework.WantAPIError(t, err, "AccessDenied", "Roles may not be assumed by root accounts.")

	ar, err := sts.NewFromConfig(dev).AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/lister"), RoleSessionName: aws.String("s1")})
	if err != nil {
		t.Fatal(err)
	}
	sess := framework.GoConfig(n, aws.ToString(ar.Credentials.AccessKeyId), aws.ToString(ar.Credentials.SecretAccessKey), aws.ToString(ar.Credentials.SessionToken))
	if _, err := iam.NewFromConfig(sess).ListRoles(ctx, &iam.ListRolesInput{}); err != nil {
		t.Fatalf("role session ListRoles: %v", err)
	}
	_, err = iam.NewFromConfig(sess).ListUsers(ctx, &iam.ListUsersInput{})
	framework.WantAPIError(t, err, "AccessDenied", "User: arn:aws:sts::000000000000:assumed-role/lister/s1 is not authorized to perform: iam:ListUsers on resource: * because no identity-based policy allows the iam:ListUsers action")
}

// TestIAMS3BucketPolicies is the S3 acceptance: a user with only
// s3:ListBucket on one bucket lists it and may not put; a bucket policy
// Deny overrides an identity Allow; a bucket policy grants another
// account's principal.
func TestIAMS3BucketPolicies(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary, "--access-key", "AKIAOTHERACCOUNT0001:other-secret:111111111111")
	ctx := context.Background()
	rootS3 := s3.NewFromConfig(framework.GoConfig(n, "test", "test", ""), func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := rootS3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("shared"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(n.Region)}}); err != nil {
		if strings.Contains(err.Error(), "NotImplemented") {
			t.Skip("S3 is not wired yet: " + err.Error())
		}
		t.Fatal(err)
	}
	lister := s3.NewFromConfig(framework.IAMUser(t, n, "lister", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::shared"},{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::shared/denied/*"}]}`),
		func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := lister.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("shared")}); err != nil {
		t.Fatalf("list: %v", err)
	}
	_, err := lister.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("shared"), Key: aws.String("k"), Body: strings.NewReader("x")})
	framework.WantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::000000000000:user/lister is not authorized to perform: s3:PutObject on resource: arn:aws:s3:::shared/k because no identity-based policy allows the s3:PutObject action")
	if _, err := rootS3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("shared"), Policy: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::000000000000:user/lister"},"Action":"s3:PutObject","Resource":"arn:aws:s3:::shared/denied/*"},` +
			`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::shared/*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	_, err = lister.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("shared"), Key: aws.String("denied/k"), Body: strings.NewReader("x")})
	framework.WantAPIError(t, err, "AccessDenied", "User: arn:aws:iam::000000000000:user/lister is not authorized to perform: s3:PutObject on resource: arn:aws:s3:::shared/denied/k with an explicit deny in a resource-based policy")
	if _, err := rootS3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("shared"), Key: aws.String("doc"), Body: strings.NewReader("hi")}); err != nil {
		t.Fatal(err)
	}
	other := s3.NewFromConfig(framework.GoConfig(n, "AKIAOTHERACCOUNT0001", "other-secret", ""), func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := other.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("shared"), Key: aws.String("doc")}); err != nil {
		t.Fatalf("cross-account get granted by the bucket policy: %v", err)
	}
}
