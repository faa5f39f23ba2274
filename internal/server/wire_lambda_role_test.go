package server

import (
	"context"
	"log/slog"
	"testing"
	"time"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	sqsapi "github.com/niwa-cloud/niwa/internal/api/sqs"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/protocol/codecs"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// TestLambdaRoleAccess: an execution role's access to an event source is
// decided by the one engine over the role's policies and the queue's
// policy; soft mode only logs, off checks nothing.
func TestLambdaRoleAccess(t *testing.T) {
	backend, err := storage.Open(storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer backend.Close()
	clk := clock.NewFake(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	d := &deps{
		backend: backend, codecs: codecs.New(), bus: events.New(), clock: clk,
		log: slog.New(slog.DiscardHandler), endpoint: func() string { return "" },
		stores: map[string]storage.Store{}, policySources: map[string]resourcePolicySource{},
	}
	b, err := buildServices(d)
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	s := func(v string) *string { return &v }
	ctx := &request.Context{Context: context.Background(), Account: DefaultAccount, Region: "us-east-1", Clock: clk,
		Log: slog.New(slog.DiscardHandler)}
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
