package cloudformation

import (
	"testing"

	cfnapi "github.com/niwa-cloud/niwa/internal/api/cloudformation"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// cdkStack is the shape of what `cdk synth` writes: the app's resources
// and CDKMetadata under CDK's region condition.
const cdkStack = `
Conditions:
  CDKMetadataAvailable: !Or [!Equals [!Ref "AWS::Region", us-east-1], !Equals [!Ref "AWS::Region", eu-west-1]]
Resources:
  A:
    Type: Test::Thing
    Properties: {Name: a}
  CDKMetadata:
    Type: AWS::CDK::Metadata
    Properties:
      Analytics: v2:deflate64:H4sIAAAAAAAA/zPSMzQ
    Condition: CDKMetadataAvailable
`

// TestCDKStack: AWS::CDK::Metadata is a resource CloudFormation keeps
// without doing anything; CDK's clean-up DeleteChangeSet before each
// deploy succeeds on an existing stack with no change set of that name
// (and not on a stack that does not exist).
func TestCDKStack(t *testing.T) {
	c, h, f := newTestService(t)
	ctx := h.Ctx()
	if _, err := c.CreateStack(ctx, &cfnapi.CreateStackInput{StackName: ptr.To("app"), TemplateBody: ptr.To(cdkStack)}); err != nil {
		t.Fatal(err)
	}
	if s := waitStatus(t, c, ctx, "app"); *s.StackStatus != "CREATE_COMPLETE" {
		t.Fatalf("status %s: %v", *s.StackStatus, events(t, c, ctx, "app"))
	}
	res, err := c.DescribeStackResources(ctx, &cfnapi.DescribeStackResourcesInput{StackName: ptr.To("app")})
	if err != nil || len(res.StackResources) != 2 {
		t.Fatalf("%v %+v", err, res)
	}
	for _, r := range res.StackResources {
		if *r.ResourceStatus != "CREATE_COMPLETE" || r.PhysicalResourceId == nil || *r.PhysicalResourceId == "" {
			t.Fatalf("%s %s", *r.LogicalResourceId, *r.ResourceStatus)
		}
	}
	if _, err := c.DeleteChangeSet(ctx, &cfnapi.DeleteChangeSetInput{StackName: ptr.To("app"), ChangeSetName: ptr.To("cdk-deploy-change-set")}); err != nil {
		t.Fatalf("DeleteChangeSet of no change set: %v", err)
	}
	_, err = c.DeleteChangeSet(ctx, &cfnapi.DeleteChangeSetInput{StackName: ptr.To("nope"), ChangeSetName: ptr.To("cdk-deploy-change-set")})
	if !cfnapi.ErrChangeSetNotFoundException.Is(err) {
		t.Fatalf("DeleteChangeSet on a missing stack: %v", err)
	}
	if _, err := c.DeleteStack(ctx, &cfnapi.DeleteStackInput{StackName: ptr.To("app")}); err != nil {
		t.Fatal(err)
	}
	waitDeleted(t, c, ctx, "app")
	if f.liveCount() != 0 {
		t.Fatalf("%d things left", f.liveCount())
	}
}
