package scheduler

import (
	"testing"

	schedulerapi "github.com/niwa-cloud/niwa/internal/api/scheduler"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/kit/kittest"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestResourceARNs: schedules are checked in their group (default when
// none is named), groups by name, tag calls on the ARN they name.
func TestResourceARNs(t *testing.T) {
	const prefix = "arn:aws:scheduler:us-east-1:123456789012:"
	kittest.Resources(t, kit.Authz{Resources: resources}, "scheduler", []kittest.Case{
		{Op: "CreateSchedule", In: &schedulerapi.CreateScheduleInput{Name: ptr.To("s")}, Resource: prefix + "schedule/default/s"},
		{Op: "GetSchedule", In: &schedulerapi.GetScheduleInput{Name: ptr.To("s"), GroupName: ptr.To("g")}, Resource: prefix + "schedule/g/s"},
		{Op: "CreateScheduleGroup", In: &schedulerapi.CreateScheduleGroupInput{Name: ptr.To("g")}, Resource: prefix + "schedule-group/g"},
		{Op: "ListSchedules", In: &schedulerapi.ListSchedulesInput{}, Resource: "*"},
	})
}
