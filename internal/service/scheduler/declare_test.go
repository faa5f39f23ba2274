package scheduler

import (
	"reflect"
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

// TestScheduler: schedules are checked on schedule/<group>/<name> (the
// default group when none is named), groups on schedule-group/<name>, and
// a schedule's target role needs iam:PassRole to scheduler.amazonaws.com.
func TestChecks(t *testing.T) {
	env := kit.Env{Account: "123456789012", Region: "us-east-1"}
	rules := kit.Authz{Resources: resources}
	const role = "arn:aws:iam::123456789012:role/sched"
	for _, tc := range []struct {
		op   string
		in   any
		want []string
	}{
		{"CreateSchedule", &schedulerapi.CreateScheduleInput{Name: ptr.To("s"), Target: &schedulerapi.Target{Arn: ptr.To("arn:aws:sqs:us-east-1:123456789012:q"), RoleArn: ptr.To(role)}},
			[]string{"scheduler:CreateSchedule arn:aws:scheduler:us-east-1:123456789012:schedule/default/s", "iam:PassRole " + role}},
		{"GetSchedule", &schedulerapi.GetScheduleInput{Name: ptr.To("s"), GroupName: ptr.To("team")},
			[]string{"scheduler:GetSchedule arn:aws:scheduler:us-east-1:123456789012:schedule/team/s"}},
		{"DeleteScheduleGroup", &schedulerapi.DeleteScheduleGroupInput{Name: ptr.To("team")},
			[]string{"scheduler:DeleteScheduleGroup arn:aws:scheduler:us-east-1:123456789012:schedule-group/team"}},
		{"TagResource", &schedulerapi.TagResourceInput{ResourceArn: ptr.To("arn:aws:scheduler:us-east-1:123456789012:schedule-group/team")},
			[]string{"scheduler:TagResource arn:aws:scheduler:us-east-1:123456789012:schedule-group/team"}},
	} {
		var got []string
		for _, c := range rules.Checks("scheduler", tc.op, tc.in, env) {
			got = append(got, c.Action+" "+c.Resource)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.op, got, tc.want)
		}
	}
}
