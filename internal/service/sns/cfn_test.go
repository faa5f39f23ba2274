package sns

import (
	"slices"
	"strings"
	"testing"

	snsapi "github.com/niwa-cloud/niwa/internal/api/sns"
	"github.com/niwa-cloud/niwa/internal/kit"
)

// TestCloudFormationTopicInlinePolicy: the policy is set on the one
// topic, Ref is the topic ARN, an update replaces the document in place,
// deletion puts the default policy back, and deleting with the topic gone
// is no error.
func TestCloudFormationTopicInlinePolicy(t *testing.T) {
	s, ctx := newSNS(t)
	p := s.cfnResources()
	topic, err := p["AWS::SNS::Topic"].Create(ctx, kit.ResourceRequest{LogicalID: "T", StackName: "s", Properties: map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	doc := func(principal string) map[string]any {
		return map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow",
			"Principal": map[string]any{"Service": principal}, "Action": "sns:Publish", "Resource": topic.PhysicalID}}}
	}
	policy := func() string {
		out, err := s.GetTopicAttributes(ctx, &snsapi.GetTopicAttributesInput{TopicArn: &topic.PhysicalID})
		if err != nil {
			t.Fatal(err)
		}
		return out.Attributes["Policy"]
	}
	ip := p["AWS::SNS::TopicInlinePolicy"]
	props := map[string]any{"TopicArn": topic.PhysicalID, "PolicyDocument": doc("events.amazonaws.com")}
	res, err := ip.Create(ctx, kit.ResourceRequest{LogicalID: "P", StackName: "s", Properties: props})
	if err != nil || res.PhysicalID != topic.PhysicalID {
		t.Fatalf("create %+v %v", res, err)
	}
	if got := policy(); !strings.Contains(got, "events.amazonaws.com") {
		t.Fatalf("policy after create %q", got)
	}
	newProps := map[string]any{"TopicArn": topic.PhysicalID, "PolicyDocument": doc("s3.amazonaws.com")}
	if _, err := ip.Update(ctx, kit.ResourceRequest{PhysicalID: res.PhysicalID, Properties: newProps, OldProperties: props}); err != nil {
		t.Fatal(err)
	}
	if got := policy(); !strings.Contains(got, "s3.amazonaws.com") || strings.Contains(got, "events.amazonaws.com") {
		t.Fatalf("policy after update %q", got)
	}
	if !slices.Contains(ip.Replace, "TopicArn") {
		t.Fatalf("TopicArn must replace: %v", ip.Replace)
	}
	if err := ip.Delete(ctx, kit.ResourceRequest{PhysicalID: res.PhysicalID, Properties: newProps}); err != nil {
		t.Fatal(err)
	}
	if got := policy(); strings.Contains(got, "s3.amazonaws.com") {
		t.Fatalf("policy after delete %q", got)
	}
	if _, err := s.DeleteTopic(ctx, &snsapi.DeleteTopicInput{TopicArn: &topic.PhysicalID}); err != nil {
		t.Fatal(err)
	}
	if err := ip.Delete(ctx, kit.ResourceRequest{PhysicalID: res.PhysicalID}); err != nil {
		t.Fatalf("delete with the topic gone: %v", err)
	}
}
