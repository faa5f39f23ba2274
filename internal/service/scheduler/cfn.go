package scheduler

import (
	"encoding/json"

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
	}
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
