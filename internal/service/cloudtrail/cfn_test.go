package cloudtrail

import (
	"testing"

	cloudtrailapi "github.com/niwa-cloud/niwa/internal/api/cloudtrail"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// TestCloudFormationTrail: a trail made logging through the provider,
// updated (prefix, tags, selectors, logging stopped) and deleted; Ref
// is its name and Fn::GetAtt Arn its ARN.
func TestCloudFormationTrail(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx(servicetest.DefaultRegion)
	p := f.c.cfnResources()["AWS::CloudTrail::Trail"]
	r := kit.ResourceRequest{LogicalID: "Trail", StackName: "stack", Properties: map[string]any{
		"S3BucketName": "logs", "IsLogging": true, "Tags": []any{map[string]any{"Key": "team", "Value": "sec"}}}}
	res, err := p.Create(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if res.Attributes["Arn"] != trailARN(ctx.Account, ctx.Region, res.PhysicalID) {
		t.Fatalf("created %+v", res)
	}
	live, err := p.Read(ctx, kit.ResourceRequest{PhysicalID: res.PhysicalID})
	if err != nil || live["IsLogging"] != true || live["S3BucketName"] != "logs" || live["TrailName"] != res.PhysicalID {
		t.Fatalf("read %v %v", live, err)
	}
	up := r
	up.PhysicalID, up.OldProperties = res.PhysicalID, r.Properties
	up.Properties = map[string]any{"S3BucketName": "logs", "S3KeyPrefix": "trail", "IsLogging": "false",
		"EventSelectors": []any{map[string]any{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": "true"}},
		"Tags":           []any{map[string]any{"Key": "env", "Value": "prod"}}}
	if _, err := p.Update(ctx, up); err != nil {
		t.Fatal(err)
	}
	live, err = p.Read(ctx, kit.ResourceRequest{PhysicalID: res.PhysicalID})
	if err != nil || live["IsLogging"] != false || live["S3KeyPrefix"] != "trail" {
		t.Fatalf("after update %v %v", live, err)
	}
	sel, err := f.c.GetEventSelectors(ctx, &cloudtrailapi.GetEventSelectorsInput{TrailName: &res.PhysicalID})
	if err != nil || len(sel.EventSelectors) != 1 || *sel.EventSelectors[0].ReadWriteType != "WriteOnly" {
		t.Fatalf("selectors %+v %v", sel, err)
	}
	arn := res.Attributes["Arn"].(string)
	tags, err := f.c.ListTags(ctx, &cloudtrailapi.ListTagsInput{ResourceIdList: []string{arn}})
	if err != nil || len(tags.ResourceTagList) != 1 || len(tags.ResourceTagList[0].TagsList) != 1 || *tags.ResourceTagList[0].TagsList[0].Key != "env" {
		t.Fatalf("tags %+v %v", tags, err)
	}
	if err := p.Delete(ctx, up); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Read(ctx, up); err != kit.ErrResourceGone {
		t.Fatalf("read after delete: %v", err)
	}
	if err := p.Delete(ctx, up); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	// The API's checks are the provider's: a bucket CloudTrail may not
	// write to fails the create and leaves no trail.
	if _, err := p.Create(ctx, kit.ResourceRequest{LogicalID: "T", StackName: "s", Properties: map[string]any{
		"TrailName": "locked-trail", "S3BucketName": "locked", "IsLogging": true}}); err == nil {
		t.Fatal("a trail on a bucket CloudTrail cannot write to was made")
	}
}
