package sqs

import (
	"errors"
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
