package iam

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/niwa-cloud/niwa/e2e/framework"
	"github.com/niwa-cloud/niwa/e2e/framework/inprocess"
)

// auditCreateRolePattern matches the CloudTrail event of CreateRole.
const auditCreateRolePattern = `{"source":["aws.iam"],"detail-type":["AWS API Call via CloudTrail"],"detail":{"eventName":["CreateRole"]}}`

// TestAuditCreateRoleRuleDeliversToSQS: an EventBridge rule on the
// CloudTrail event of CreateRole delivers the record to a queue when a
// role is created. IAM is global, so its events arrive in us-east-1,
// where the rule and queue live, whatever region the IAM client named.
func TestAuditCreateRoleRuleDeliversToSQS(t *testing.T) {
	t.Parallel()
	for _, target := range framework.Targets {
		t.Run(string(target), func(t *testing.T) {
			n := inprocess.Start(t, target)
			ctx := context.Background()
			cfg := framework.GoConfig(n, "test", "test", "")
			east := cfg.Copy()
			east.Region = "us-east-1"
			eb := eventbridge.NewFromConfig(east)
			sq := sqs.NewFromConfig(east)
			qURL, qArn := framework.GoQueue(t, sq, "audit-create-role")
			if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("role-created"), EventPattern: aws.String(auditCreateRolePattern)}); err != nil {
				t.Fatal(err)
			}
			pt, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("role-created"),
				Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String(qArn)}}})
			if err != nil || pt.FailedEntryCount != 0 {
				t.Fatal(err, pt)
			}

			im := iam.NewFromConfig(cfg)
			// A read and a different write match nothing.
			if _, err := im.ListRoles(ctx, &iam.ListRolesInput{}); err != nil {
				t.Fatal(err)
			}
			if _, err := im.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("audit-user")}); err != nil {
				t.Fatal(err)
			}
			trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
			if _, err := im.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("audited"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
				t.Fatal(err)
			}

			bodies := framework.WaitBodies(t, sq, qURL)
			if len(bodies) != 1 {
				t.Fatalf("got %d messages, want the CreateRole event only: %v", len(bodies), bodies)
			}
			var ev struct {
				Source     string `json:"source"`
				DetailType string `json:"detail-type"`
				Account    string `json:"account"`
				Region     string `json:"region"`
				Detail     struct {
					EventVersion string `json:"eventVersion"`
					EventSource  string `json:"eventSource"`
					EventName    string `json:"eventName"`
					EventType    string `json:"eventType"`
					ReadOnly     bool   `json:"readOnly"`
					UserIdentity struct {
						Type string `json:"type"`
						ARN  string `json:"arn"`
					} `json:"userIdentity"`
					RequestParameters map[string]any `json:"requestParameters"`
					ResponseElements  struct {
						Role struct {
							RoleName string `json:"roleName"`
							Arn      string `json:"arn"`
						} `json:"role"`
					} `json:"responseElements"`
					RecipientAccountID string `json:"recipientAccountId"`
					EventID            string `json:"eventID"`
				} `json:"detail"`
			}
			if err := json.Unmarshal([]byte(bodies[0]), &ev); err != nil {
				t.Fatalf("%v: %s", err, bodies[0])
			}
			d := ev.Detail
			if ev.Source != "aws.iam" || ev.DetailType != "AWS API Call via CloudTrail" || ev.Account != "000000000000" || ev.Region != "us-east-1" ||
				d.EventVersion != "1.08" || d.EventSource != "iam.amazonaws.com" || d.EventName != "CreateRole" || d.EventType != "AwsApiCall" || d.ReadOnly ||
				d.UserIdentity.Type != "Root" || d.UserIdentity.ARN != "arn:aws:iam::000000000000:root" ||
				d.RequestParameters["roleName"] != "audited" || d.RequestParameters["assumeRolePolicyDocument"] != trust ||
				d.ResponseElements.Role.RoleName != "audited" || d.ResponseElements.Role.Arn != "arn:aws:iam::000000000000:role/audited" ||
				d.RecipientAccountID != "000000000000" || d.EventID == "" {
				t.Fatalf("event: %s", bodies[0])
			}
		})
	}
}
