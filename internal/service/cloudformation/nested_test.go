package cloudformation

import (
	"testing"

	cfnapi "github.com/niwa-cloud/niwa/internal/api/cloudformation"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// TestNestedStack: an AWS::CloudFormation::Stack creates its template
// (from its TemplateURL) as a stack of its own, with the parent's
// parameters; its outputs are the parent's Outputs.<key> attributes, and
// deleting the parent deletes it.
func TestNestedStack(t *testing.T) {
	h := servicetest.New(t, "cloudformation")
	f := &fakeCloud{}
	child := `{"Parameters": {"N": {"Type": "String"}}, "Resources": {"T": {"Type": "Test::Thing", "Properties": {"Name": {"Ref": "N"}}}},
	  "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["T", "Arn"]}}}}`
	c := New(h.Store(), h.Clock, nil, Config{Providers: f.providers, Lookups: Lookups{
		TemplateURL: func(_ *request.Context, url string) (string, error) {
			if url != "https://bucket.s3.amazonaws.com/child.json" {
				return "", validation("TemplateURL must be a supported URL.")
			}
			return child, nil
		}}})
	t.Cleanup(func() { _ = c.Close() })
	ctx := h.Ctx()
	parent := `{"Resources": {"Child": {"Type": "AWS::CloudFormation::Stack", "Properties": {
	    "TemplateURL": "https://bucket.s3.amazonaws.com/child.json", "Parameters": {"N": "inner"}}}},
	  "Outputs": {"ChildArn": {"Value": {"Fn::GetAtt": ["Child", "Outputs.Arn"]}}}}`
	if _, err := c.CreateStack(ctx, &cfnapi.CreateStackInput{StackName: ptr.To("p"), TemplateBody: ptr.To(parent)}); err != nil {
		t.Fatal(err)
	}
	s := waitStatus(t, c, ctx, "p")
	if *s.StackStatus != "CREATE_COMPLETE" || len(s.Outputs) != 1 || *s.Outputs[0].OutputValue != "arn:test:thing-1" {
		t.Fatalf("parent %s %+v\n%v", *s.StackStatus, s.Outputs, events(t, c, ctx, "p"))
	}
	if f.live["thing-1"]["Name"] != "inner" {
		t.Fatalf("child resource %v", f.live)
	}
	res, _ := c.DescribeStackResource(ctx, &cfnapi.DescribeStackResourceInput{StackName: ptr.To("p"), LogicalResourceId: ptr.To("Child")})
	nested, err := c.DescribeStacks(ctx, &cfnapi.DescribeStacksInput{StackName: res.StackResourceDetail.PhysicalResourceId})
	if err != nil || *nested.Stacks[0].ParentId != *s.StackId {
		t.Fatalf("nested %+v %v", nested, err)
	}
	if _, err := c.DeleteStack(ctx, &cfnapi.DeleteStackInput{StackName: ptr.To("p")}); err != nil {
		t.Fatal(err)
	}
	waitDeleted(t, c, ctx, "p")
	if f.liveCount() != 0 {
		t.Fatalf("live %v", f.live)
	}
}
