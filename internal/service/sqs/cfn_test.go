package sqs

import (
	"errors"
	"slices"
	"strings"
	"testing"

	sqsapi "github.com/niwa-cloud/niwa/internal/api/sqs"
	"github.com/niwa-cloud/niwa/internal/kit"
)

// TestCloudFormationRead: the queue's attributes and tags read back for
// drift detection, and a deleted queue reported gone.
func TestCloudFormationRead(t *testing.T) {
	f := newFixture(t)
	p := f.cfnResources()["AWS::SQS::Queue"]
	res, err := p.Create(f.ctx(), kit.ResourceRequest{LogicalID: "Q", StackName: "s", Properties: map[string]any{
		"VisibilityTimeout": 30, "Tags": []any{map[string]any{"Key": "team", "Value": "a"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.SetQueueAttributes(f.ctx(), &sqsapi.SetQueueAttributesInput{QueueUrl: &res.PhysicalID,
		Attributes: map[string]string{"VisibilityTimeout": "99"}}); err != nil {
		t.Fatal(err)
	}
	live, err := p.Read(f.ctx(), kit.ResourceRequest{PhysicalID: res.PhysicalID})
	if err != nil {
		t.Fatal(err)
	}
	tags, _ := live["Tags"].([]any)
	if live["VisibilityTimeout"] != "99" || live["RedrivePolicy"] != nil || len(tags) != 1 {
		t.Fatalf("live %v", live)
	}
	if _, err := f.DeleteQueue(f.ctx(), &sqsapi.DeleteQueueInput{QueueUrl: &res.PhysicalID}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Read(f.ctx(), kit.ResourceRequest{PhysicalID: res.PhysicalID}); !errors.Is(err, kit.ErrResourceGone) {
		t.Fatalf("deleted queue: %v", err)
	}
}

// TestCloudFormationQueueInlinePolicy: the policy is set on the one
// queue, Ref is the queue URL, an update replaces the document in place
// and deletion takes it off (a second delete is no error).
func TestCloudFormationQueueInlinePolicy(t *testing.T) {
	f := newFixture(t)
	p := f.cfnResources()
	q, err := p["AWS::SQS::Queue"].Create(f.ctx(), kit.ResourceRequest{LogicalID: "Q", StackName: "s", Properties: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	doc := func(action string) map[string]any {
		return map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow",
			"Principal": "*", "Action": action, "Resource": q.Attributes["Arn"]}}}
	}
	policy := func() string {
		out, err := f.GetQueueAttributes(f.ctx(), &sqsapi.GetQueueAttributesInput{QueueUrl: &q.PhysicalID, AttributeNames: []string{"Policy"}})
		if err != nil {
			t.Fatal(err)
		}
		return out.Attributes["Policy"]
	}
	ip := p["AWS::SQS::QueueInlinePolicy"]
	props := map[string]any{"Queue": q.PhysicalID, "PolicyDocument": doc("sqs:SendMessage")}
	res, err := ip.Create(f.ctx(), kit.ResourceRequest{LogicalID: "P", StackName: "s", Properties: props})
	if err != nil || res.PhysicalID != q.PhysicalID {
		t.Fatalf("create %+v %v", res, err)
	}
	if got := policy(); !strings.Contains(got, "sqs:SendMessage") {
		t.Fatalf("policy after create %q", got)
	}
	newProps := map[string]any{"Queue": q.PhysicalID, "PolicyDocument": doc("sqs:ReceiveMessage")}
	if _, err := ip.Update(f.ctx(), kit.ResourceRequest{PhysicalID: res.PhysicalID, Properties: newProps, OldProperties: props}); err != nil {
		t.Fatal(err)
	}
	if got := policy(); !strings.Contains(got, "sqs:ReceiveMessage") || strings.Contains(got, "sqs:SendMessage") {
		t.Fatalf("policy after update %q", got)
	}
	if !slices.Contains(ip.Replace, "Queue") {
		t.Fatalf("Queue must replace: %v", ip.Replace)
	}
	if err := ip.Delete(f.ctx(), kit.ResourceRequest{PhysicalID: res.PhysicalID, Properties: newProps}); err != nil {
		t.Fatal(err)
	}
	if got := policy(); got != "" {
		t.Fatalf("policy after delete %q", got)
	}
	if _, err := f.DeleteQueue(f.ctx(), &sqsapi.DeleteQueueInput{QueueUrl: &q.PhysicalID}); err != nil {
		t.Fatal(err)
	}
	if err := ip.Delete(f.ctx(), kit.ResourceRequest{PhysicalID: res.PhysicalID, Properties: newProps}); err != nil {
		t.Fatalf("delete with the queue gone: %v", err)
	}
}
