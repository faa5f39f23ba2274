package server

import (
	"context"
	"testing"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	sqsapi "github.com/niwa-cloud/niwa/internal/api/sqs"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// TestLambdaRoleAccess: an execution role's access to an event source is
// decided by the one engine over the role's policies and the queue's
// policy; soft mode only logs, off checks nothing.
func TestLambdaRoleAccess(t *testing.T) {
	h := servicetest.New(t, "server", servicetest.InAccount(DefaultAccount))
	d, _ := wiredServices(t, h)
	s := func(v string) *string { return &v }
	ctx := h.Ctx()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if _, err := d.iam.svc.CreateRole(ctx, &iamapi.CreateRoleInput{RoleName: s("fn-role"), AssumeRolePolicyDocument: s(trust)}); err != nil {
		t.Fatal(err)
	}
	roleARN := "arn:aws:iam::" + DefaultAccount + ":role/fn-role"
	if _, err := d.sqs.CreateQueue(ctx, &sqsapi.CreateQueueInput{QueueName: s("in")}); err != nil {
		t.Fatal(err)
	}
	queue := "arn:aws:sqs:us-east-1:" + DefaultAccount + ":in"
	actions := []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}

	on := lambdaRoleAccess(d)
	ask := func(role string) string {
		t.Helper()
		denied, err := on(context.Background(), DefaultAccount, "us-east-1", role, "fn", queue, actions)
		if err != nil {
			t.Fatal(err)
		}
		return denied
	}
	if got := ask(roleARN); got != "sqs:ReceiveMessage" {
		t.Fatalf("no policies: denied %q", got)
	}
	if _, err := d.iam.svc.PutRolePolicy(ctx, &iamapi.PutRolePolicyInput{RoleName: s("fn-role"), PolicyName: s("recv"),
		PolicyDocument: s(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:ReceiveMessage","Resource":"` + queue + `"}]}`)}); err != nil {
		t.Fatal(err)
	}
	if got := ask(roleARN); got != "sqs:DeleteMessage" {
		t.Fatalf("receive only: denied %q", got)
	}
	// The queue's policy may grant the rest (same account: either allows).
	qp := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + roleARN + `"},"Action":["sqs:DeleteMessage","sqs:GetQueueAttributes"],"Resource":"` + queue + `"}]}`
	if _, err := d.sqs.SetQueueAttributes(ctx, &sqsapi.SetQueueAttributesInput{
		QueueUrl: s("http://sqs.us-east-1.localhost/" + DefaultAccount + "/in"), Attributes: map[string]string{"Policy": qp}}); err != nil {
		t.Fatal(err)
	}
	if got := ask(roleARN); got != "" {
		t.Fatalf("identity + queue policy: denied %q", got)
	}
	if got := ask("arn:aws:iam::" + DefaultAccount + ":role/gone"); got != "sqs:ReceiveMessage" {
		t.Fatalf("missing role: denied %q", got)
	}

	d.cfg.IAMEnforcement = EnforcementSoft
	soft := lambdaRoleAccess(d)
	if got, err := soft(context.Background(), DefaultAccount, "us-east-1", "arn:aws:iam::"+DefaultAccount+":role/gone", "fn", queue, actions); err != nil || got != "" {
		t.Fatalf("soft mode: %q %v", got, err)
	}
	d.cfg.IAMEnforcement = EnforcementOff
	if lambdaRoleAccess(d) != nil {
		t.Fatal("off mode checks roles")
	}
}
