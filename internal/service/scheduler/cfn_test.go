package scheduler

import (
	"testing"

	schedulerapi "github.com/niwa-cloud/niwa/internal/api/scheduler"
	"github.com/niwa-cloud/niwa/internal/kit"
)

// TestCloudFormationScheduleGroup: AWS::Scheduler::ScheduleGroup made
// with a generated name, its tags changed in place, its attributes as
// AWS documents them, read back for drift, and deleted (twice: the
// second time it is already gone).
func TestCloudFormationScheduleGroup(t *testing.T) {
	f := newFixture(t)
	p := f.cfnResources()["AWS::Scheduler::ScheduleGroup"]
	req := kit.ResourceRequest{LogicalID: "Group", StackName: "stk", Properties: map[string]any{
		"Tags": []any{map[string]any{"Key": "team", "Value": "a"}, map[string]any{"Key": "old", "Value": "x"}}}}
	res, err := p.Create(f.ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.PhysicalID) > 64 || res.Attributes["Arn"] != "arn:aws:scheduler:"+region+":"+acct+":schedule-group/"+res.PhysicalID ||
		res.Attributes["State"] != "ACTIVE" || res.Attributes["CreationDate"] != "2024-01-01T10:00:00Z" {
		t.Fatalf("create %+v", res)
	}
	if _, err := f.GetScheduleGroup(f.ctx, &schedulerapi.GetScheduleGroupInput{Name: &res.PhysicalID}); err != nil {
		t.Fatal(err)
	}
	up := req
	up.PhysicalID, up.OldProperties = res.PhysicalID, req.Properties
	up.Properties = map[string]any{"Tags": []any{map[string]any{"Key": "team", "Value": "b"}}}
	if _, err := p.Update(f.ctx, up); err != nil {
		t.Fatal(err)
	}
	arn := res.Attributes["Arn"].(string)
	tags, err := f.ListTagsForResource(f.ctx, &schedulerapi.ListTagsForResourceInput{ResourceArn: &arn})
	if err != nil || len(tags.Tags) != 1 || *tags.Tags[0].Key != "team" || *tags.Tags[0].Value != "b" {
		t.Fatalf("tags after update %+v %v", tags, err)
	}
	live, err := p.Read(f.ctx, up)
	if err != nil || len(live["Tags"].([]any)) != 1 {
		t.Fatalf("read %v %v", live, err)
	}
	for i := 0; i < 2; i++ {
		if err := p.Delete(f.ctx, up); err != nil {
			t.Fatalf("delete %d: %v", i, err)
		}
	}
	if _, err := f.GetScheduleGroup(f.ctx, &schedulerapi.GetScheduleGroupInput{Name: &res.PhysicalID}); !schedulerapi.ErrResourceNotFoundException.Is(err) {
		t.Fatalf("after delete: %v", err)
	}
	if _, err := p.Read(f.ctx, up); err != kit.ErrResourceGone {
		t.Fatalf("read after delete: %v", err)
	}
	named := kit.ResourceRequest{LogicalID: "G", Properties: map[string]any{"Name": "nightly"}}
	if res, err := p.Create(f.ctx, named); err != nil || res.PhysicalID != "nightly" {
		t.Fatalf("named %+v %v", res, err)
	}
	if _, err := p.Create(f.ctx, named); !schedulerapi.ErrConflictException.Is(err) {
		t.Fatalf("second create of the same name: %v", err)
	}
}
