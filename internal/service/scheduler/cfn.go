package scheduler

import (
	"encoding/json"
	"time"

	schedulerapi "github.com/niwa-cloud/niwa/internal/api/scheduler"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnResources are EventBridge Scheduler's CloudFormation resource types.
func (s *Scheduler) cfnResources() map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the schedule name; Fn::GetAtt Arn.
		"AWS::Scheduler::Schedule": {Create: s.cfnCreateSchedule, Update: s.cfnUpdateSchedule, Delete: s.cfnDeleteSchedule,
			Replace: []string{"Name", "GroupName"}},
		// Ref is the group name; Fn::GetAtt Arn, CreationDate,
		// LastModificationDate, State.
		"AWS::Scheduler::ScheduleGroup": {Create: s.cfnCreateGroup, Update: s.cfnUpdateGroup, Delete: s.cfnDeleteGroup,
			Read: s.cfnReadGroup, Replace: []string{"Name"}, Tags: true},
	}
}

func (s *Scheduler) cfnGroupResult(ctx *request.Context, name string) (kit.ResourceResult, error) {
	out, err := s.GetScheduleGroup(ctx, &schedulerapi.GetScheduleGroupInput{Name: &name})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	attrs := map[string]any{"Arn": *out.Arn, "State": *out.State}
	if out.CreationDate != nil {
		attrs["CreationDate"] = out.CreationDate.UTC().Format(time.RFC3339)
	}
	if out.LastModificationDate != nil {
		attrs["LastModificationDate"] = out.LastModificationDate.UTC().Format(time.RFC3339)
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: attrs}, nil
}

func cfnTags(m map[string]string) []schedulerapi.Tag {
	var out []schedulerapi.Tag
	for k, v := range m {
		key, val := k, v
		out = append(out, schedulerapi.Tag{Key: &key, Value: &val})
	}
	return out
}

func (s *Scheduler) cfnCreateGroup(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.Str("Name")
	if name == "" {
		name = kit.PhysicalName(r, 64)
	}
	if _, err := s.CreateScheduleGroup(ctx, &schedulerapi.CreateScheduleGroupInput{Name: &name, Tags: cfnTags(kit.PropTags(r.Properties))}); err != nil {
		return kit.ResourceResult{}, err
	}
	return s.cfnGroupResult(ctx, name)
}

// cfnUpdateGroup changes the group's tags, its only property updated in
// place.
func (s *Scheduler) cfnUpdateGroup(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	res, err := s.cfnGroupResult(ctx, r.PhysicalID)
	if err != nil {
		return res, err
	}
	arn, _ := res.Attributes["Arn"].(string)
	tags, old := kit.PropTags(r.Properties), kit.PropTags(r.OldProperties)
	var gone []string
	for k := range old {
		if _, ok := tags[k]; !ok {
			gone = append(gone, k)
		}
	}
	if len(gone) > 0 {
		if _, err := s.UntagResource(ctx, &schedulerapi.UntagResourceInput{ResourceArn: &arn, TagKeys: gone}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if len(tags) > 0 {
		if _, err := s.TagResource(ctx, &schedulerapi.TagResourceInput{ResourceArn: &arn, Tags: cfnTags(tags)}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return res, nil
}

func (s *Scheduler) cfnDeleteGroup(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteScheduleGroup(ctx, &schedulerapi.DeleteScheduleGroupInput{Name: &r.PhysicalID})
	if schedulerapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}

// cfnReadGroup reads the group's tags back for drift detection.
func (s *Scheduler) cfnReadGroup(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	res, err := s.cfnGroupResult(ctx, r.PhysicalID)
	if schedulerapi.ErrResourceNotFoundException.Is(err) {
		return nil, kit.ErrResourceGone
	}
	if err != nil {
		return nil, err
	}
	arn, _ := res.Attributes["Arn"].(string)
	out, err := s.ListTagsForResource(ctx, &schedulerapi.ListTagsForResourceInput{ResourceArn: &arn})
	if err != nil {
		return nil, err
	}
	live := map[string]any{"Name": r.PhysicalID, "Tags": nil}
	if len(out.Tags) > 0 {
		live["Tags"] = kit.TagList(kit.TagMap(out.Tags, func(t schedulerapi.Tag) (*string, *string) { return t.Key, t.Value }))
	}
	return live, nil
}

// cfnScheduleProps decodes the properties, which are CreateSchedule's
// members.
func cfnScheduleProps(r kit.ResourceRequest, out any) error {
	b, err := json.Marshal(r.Properties)
	if err == nil {
		err = kit.DecodeProp(map[string]any{"p": json.RawMessage(b)}, "p", out)
	}
	if err != nil {
		return awserr.ValidationError.New("Properties validation failed for resource %s with message: %v", r.LogicalID, err)
	}
	return nil
}

func (s *Scheduler) cfnCreateSchedule(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in schedulerapi.CreateScheduleInput
	if err := cfnScheduleProps(r, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	if in.Name == nil || *in.Name == "" {
		name := kit.PhysicalName(r, 64)
		in.Name = &name
	}
	out, err := s.CreateSchedule(ctx, &in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *in.Name, Attributes: map[string]any{"Arn": *out.ScheduleArn}}, nil
}

func (s *Scheduler) cfnUpdateSchedule(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in schedulerapi.UpdateScheduleInput
	if err := cfnScheduleProps(r, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	in.Name = &r.PhysicalID
	out, err := s.UpdateSchedule(ctx, &in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"Arn": *out.ScheduleArn}}, nil
}

func (s *Scheduler) cfnDeleteSchedule(ctx *request.Context, r kit.ResourceRequest) error {
	in := &schedulerapi.DeleteScheduleInput{Name: &r.PhysicalID}
	if g := r.Str("GroupName"); g != "" {
		in.GroupName = &g
	}
	_, err := s.DeleteSchedule(ctx, in)
	if schedulerapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}
