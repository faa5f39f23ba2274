package server_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/niwa-cloud/niwa/niwatest"
)

// TestPassRole: handing a role to a service asks iam:PassRole on the role,
// with iam:PassedToService naming the service.
func TestPassRole(t *testing.T) {
	n := niwatest.Start(t)
	ctx := context.Background()
	ic := iam.NewFromConfig(n.AWSConfig())
	u := newUser(t, n, "deployer")
	put := func(doc string) {
		t.Helper()
		if _, err := ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("deployer"), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
	}
	role := "arn:aws:iam::000000000000:role/rule-role"
	putRule := func() error {
		_, err := eventsPutRule(ctx, n, u, "r1", role)
		return err
	}
	put(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"events:*","Resource":"*"}]}`)
	if msg := apiErr(t, putRule(), "AccessDeniedException", 400); msg != "User: arn:aws:iam::000000000000:user/deployer is not authorized to perform: iam:PassRole on resource: "+role+" because no identity-based policy allows the iam:PassRole action" {
		t.Errorf("message %q", msg)
	}
	// PassRole for another service does not count.
	put(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"events:*","Resource":"*"},{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"lambda.amazonaws.com"}}}]}`)
	apiErr(t, putRule(), "AccessDeniedException", 400)
	put(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"events:*","Resource":"*"},{"Effect":"Allow","Action":"iam:PassRole","Resource":"` + role + `","Condition":{"StringEquals":{"iam:PassedToService":"events.amazonaws.com"}}}]}`)
	if err := putRule(); err != nil {
		t.Fatalf("PutRule with iam:PassRole: %v", err)
	}
	// Without a role nothing is passed.
	if _, err := eventsPutRule(ctx, n, u, "r2", ""); err != nil {
		t.Fatal(err)
	}
}

func eventsPutRule(ctx context.Context, n *niwatest.Niwa, c creds, name, role string) (*eventbridge.PutRuleOutput, error) {
	in := &eventbridge.PutRuleInput{Name: aws.String(name), ScheduleExpression: aws.String("rate(1 hour)")}
	if role != "" {
		in.RoleArn = aws.String(role)
	}
	return eventbridge.NewFromConfig(c.config(n)).PutRule(ctx, in)
}

// TestCreateServiceLinkedRoleAuthz: CreateServiceLinkedRole is checked on
// the service's role path with iam:AWSServiceName, as AWS's documented
// policies write it.
func TestCreateServiceLinkedRoleAuthz(t *testing.T) {
	n := niwatest.Start(t)
	ctx := context.Background()
	ic := iam.NewFromConfig(n.AWSConfig())
	u := newUser(t, n, "ops")
	if _, err := ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("ops"), PolicyName: aws.String("slr"), PolicyDocument: aws.String(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:CreateServiceLinkedRole","Resource":"arn:aws:iam::*:role/aws-service-role/*","Condition":{"StringLike":{"iam:AWSServiceName":"autoscaling.amazonaws.com"}}}]}`)}); err != nil {
		t.Fatal(err)
	}
	oc := iam.NewFromConfig(u.config(n))
	_, err := oc.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("ecs.amazonaws.com")})
	apiErr(t, err, "AccessDenied", 403)
	out, err := oc.CreateServiceLinkedRole(ctx, &iam.CreateServiceLinkedRoleInput{AWSServiceName: aws.String("autoscaling.amazonaws.com")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Role.Arn) != "arn:aws:iam::000000000000:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling" {
		t.Fatalf("role %s", aws.ToString(out.Role.Arn))
	}
}
