package scheduler

import (
	"sort"
	"strings"
	"time"

	schedulerapi "github.com/niwa-cloud/niwa/internal/api/scheduler"
	ibus "github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/events/schedule"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// maxFlexibleWindow is the largest MaximumWindowInMinutes (24 hours).
const maxFlexibleWindow = 1440

// scheduleFields is what CreateSchedule and UpdateSchedule both carry.
type scheduleFields struct {
	expr, tz, state, after, desc, kms *string
	start, end                        *time.Time
	window                            *schedulerapi.FlexibleTimeWindow
	target                            *schedulerapi.Target
}

// build validates the fields and fills a record with them (an update
// replaces every field, as AWS's UpdateSchedule does).
func build(r *scheduleRecord, f scheduleFields) error {
	expr := ptr.Deref(f.expr)
	loc := time.UTC
	if tz := ptr.Deref(f.tz); tz != "" {
		l, err := time.LoadLocation(tz)
		if err != nil || tz == "Local" {
			return validation("Invalid ScheduleExpressionTimezone %s.", tz)
		}
		loc = l
	}
	if _, err := schedule.ParseIn(expr, time.Time{}, loc); err != nil {
		return validation("Invalid Schedule Expression %s.", expr)
	}
	if f.window == nil {
		return validation("FlexibleTimeWindow is required.")
	}
	mode := ptr.Deref(f.window.Mode)
	switch {
	case mode == "FLEXIBLE" && f.window.MaximumWindowInMinutes == nil:
		return validation("MaximumWindowInMinutes must be provided when Mode is FLEXIBLE.")
	case mode == "FLEXIBLE" && (*f.window.MaximumWindowInMinutes < 1 || *f.window.MaximumWindowInMinutes > maxFlexibleWindow):
		return validation("MaximumWindowInMinutes must be between 1 and %d.", maxFlexibleWindow)
	case mode == "OFF" && f.window.MaximumWindowInMinutes != nil:
		return validation("MaximumWindowInMinutes must not be provided when Mode is OFF.")
	}
	if f.start != nil && f.end != nil && !f.start.Before(*f.end) {
		return validation("The StartDate must be before the EndDate.")
	}
	t := f.target
	if t == nil || ptr.Deref(t.Arn) == "" || ptr.Deref(t.RoleArn) == "" {
		return validation("Target with Arn and RoleArn is required.")
	}
	switch ibus.ARNService(*t.Arn) {
	case "sqs", "lambda", "sns", "events", "states", "kinesis", "ecs", "sagemaker", "firehose", "codebuild", "codepipeline", "inspector", "scheduler":
	default:
		return validation("Invalid target ARN %s.", *t.Arn)
	}
	if ibus.ARNService(*t.Arn) == "events" && (t.EventBridgeParameters == nil || ptr.Deref(t.EventBridgeParameters.DetailType) == "" || ptr.Deref(t.EventBridgeParameters.Source) == "") {
		return validation("EventBridgeParameters with DetailType and Source are required for an EventBridge target.")
	}
	if ibus.ARNService(*t.Arn) == "sqs" && strings.HasSuffix(*t.Arn, ".fifo") && (t.SqsParameters == nil || ptr.Deref(t.SqsParameters.MessageGroupId) == "") {
		return validation("SqsParameters with MessageGroupId are required for a FIFO queue target.")
	}
	if d := t.DeadLetterConfig; d != nil && ibus.ARNService(ptr.Deref(d.Arn)) != "sqs" {
		return validation("Invalid DeadLetterConfig Arn %s.", ptr.Deref(d.Arn))
	}
	r.Expression, r.Timezone = expr, ptr.Deref(f.tz)
	r.StartDate, r.EndDate = f.start, f.end
	r.FlexibleMode, r.FlexibleWindowMinutes = mode, ptr.Deref(f.window.MaximumWindowInMinutes)
	r.State = "ENABLED"
	if f.state != nil {
		r.State = *f.state
	}
	r.ActionAfterCompletion = ptr.Deref(f.after)
	r.Description, r.KmsKeyArn = ptr.Deref(f.desc), ptr.Deref(f.kms)
	r.Target = *t
	return nil
}

func timerKey(sc storage.Scope, group, name string) string {
	return sc.Account + "|" + sc.Region + "|" + group + "|" + name
}

// CreateSchedule creates a schedule in a group (the default one when
// GroupName is not given) and arms its first firing.
func (s *Scheduler) CreateSchedule(ctx *request.Context, in *schedulerapi.CreateScheduleInput) (*schedulerapi.CreateScheduleOutput, error) {
	sc := scope(ctx)
	name, group := ptr.Deref(in.Name), groupName(in.GroupName)
	now := ctx.Now()
	r := scheduleRecord{Name: name, Group: group, Created: now, Modified: now, Version: now.UnixNano(), ClientToken: ptr.Deref(in.ClientToken)}
	retried := false
	if err := build(&r, scheduleFields{expr: in.ScheduleExpression, tz: in.ScheduleExpressionTimezone, state: in.State, after: in.ActionAfterCompletion,
		desc: in.Description, kms: in.KmsKeyArn, start: in.StartDate, end: in.EndDate, window: in.FlexibleTimeWindow, target: in.Target}); err != nil {
		return nil, err
	}
	err := s.store.Update(func(tx storage.Tx) error {
		if _, ok, err := getGroup(tx, sc, group); err != nil {
			return err
		} else if !ok {
			return groupNotFound(group)
		}
		if old, ok, err := schedules.Get(tx, sc, group, name); err != nil {
			return err
		} else if ok {
			if old.ClientToken != "" && old.ClientToken == r.ClientToken {
				// A retry of the same request (idempotency token).
				r, retried = old, true
				return nil
			}
			return schedulerapi.ErrConflictException.New("Schedule %s already exists.", name)
		}
		if err := index.Put(tx, storage.Scope{}, indexRecord{Account: sc.Account, Region: sc.Region, Group: group, Name: name}, sc.Account, sc.Region, group, name); err != nil {
			return err
		}
		return schedules.Put(tx, sc, r, group, name)
	})
	if err != nil {
		return nil, err
	}
	if !retried {
		s.arm(sc, r, now)
	}
	return &schedulerapi.CreateScheduleOutput{ScheduleArn: ptr.To(scheduleARN(sc, group, name))}, nil
}

func (s *Scheduler) getSchedule(sc storage.Scope, group, name string) (scheduleRecord, error) {
	var r scheduleRecord
	err := s.store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		r, ok, err = schedules.Get(tx, sc, group, name)
		if err == nil && !ok {
			err = scheduleNotFound(name)
		}
		return err
	})
	return r, err
}

// GetSchedule describes a schedule.
func (s *Scheduler) GetSchedule(ctx *request.Context, in *schedulerapi.GetScheduleInput) (*schedulerapi.GetScheduleOutput, error) {
	sc := scope(ctx)
	r, err := s.getSchedule(sc, groupName(in.GroupName), ptr.Deref(in.Name))
	if err != nil {
		return nil, err
	}
	out := &schedulerapi.GetScheduleOutput{Arn: ptr.To(scheduleARN(sc, r.Group, r.Name)), Name: ptr.To(r.Name), GroupName: ptr.To(r.Group),
		ScheduleExpression: ptr.To(r.Expression), State: ptr.To(r.State), StartDate: r.StartDate, EndDate: r.EndDate,
		FlexibleTimeWindow: &schedulerapi.FlexibleTimeWindow{Mode: ptr.To(r.FlexibleMode)}, Target: &r.Target,
		CreationDate: ptr.To(r.Created), LastModificationDate: ptr.To(r.Modified), ActionAfterCompletion: ptr.To("NONE")}
	if r.FlexibleWindowMinutes > 0 {
		out.FlexibleTimeWindow.MaximumWindowInMinutes = ptr.To(r.FlexibleWindowMinutes)
	}
	if r.Timezone != "" {
		out.ScheduleExpressionTimezone = ptr.To(r.Timezone)
	}
	if r.ActionAfterCompletion != "" {
		out.ActionAfterCompletion = ptr.To(r.ActionAfterCompletion)
	}
	if r.Description != "" {
		out.Description = ptr.To(r.Description)
	}
	if r.KmsKeyArn != "" {
		out.KmsKeyArn = ptr.To(r.KmsKeyArn)
	}
	return out, nil
}

// UpdateSchedule replaces a schedule's definition: fields not given
// return to their defaults, as in AWS.
func (s *Scheduler) UpdateSchedule(ctx *request.Context, in *schedulerapi.UpdateScheduleInput) (*schedulerapi.UpdateScheduleOutput, error) {
	sc := scope(ctx)
	name, group := ptr.Deref(in.Name), groupName(in.GroupName)
	var rec scheduleRecord
	err := s.store.Update(func(tx storage.Tx) error {
		r, ok, err := schedules.Get(tx, sc, group, name)
		if err != nil {
			return err
		}
		if !ok {
			return scheduleNotFound(name)
		}
		if err := build(&r, scheduleFields{expr: in.ScheduleExpression, tz: in.ScheduleExpressionTimezone, state: in.State, after: in.ActionAfterCompletion,
			desc: in.Description, kms: in.KmsKeyArn, start: in.StartDate, end: in.EndDate, window: in.FlexibleTimeWindow, target: in.Target}); err != nil {
			return err
		}
		r.Modified = ctx.Now()
		r.Version++
		rec = r
		return schedules.Put(tx, sc, r, group, name)
	})
	if err != nil {
		return nil, err
	}
	s.arm(sc, rec, ctx.Now())
	return &schedulerapi.UpdateScheduleOutput{ScheduleArn: ptr.To(scheduleARN(sc, group, name))}, nil
}

// DeleteSchedule deletes a schedule and its timer.
func (s *Scheduler) DeleteSchedule(ctx *request.Context, in *schedulerapi.DeleteScheduleInput) (*schedulerapi.DeleteScheduleOutput, error) {
	sc := scope(ctx)
	name, group := ptr.Deref(in.Name), groupName(in.GroupName)
	if err := s.delete(sc, group, name); err != nil {
		return nil, err
	}
	return &schedulerapi.DeleteScheduleOutput{}, nil
}

func (s *Scheduler) delete(sc storage.Scope, group, name string) error {
	err := s.store.Update(func(tx storage.Tx) error {
		ok, err := schedules.DeleteExisting(tx, sc, group, name)
		if err != nil {
			return err
		}
		if !ok {
			return scheduleNotFound(name)
		}
		return index.Delete(tx, storage.Scope{}, sc.Account, sc.Region, group, name)
	})
	if err == nil {
		s.disarm(timerKey(sc, group, name))
	}
	return err
}

// ListSchedules lists schedules, of one group or all, by group and name.
func (s *Scheduler) ListSchedules(ctx *request.Context, in *schedulerapi.ListSchedulesInput) (*schedulerapi.ListSchedulesOutput, error) {
	sc := scope(ctx)
	var prefix []string
	if in.GroupName != nil {
		prefix = []string{*in.GroupName}
	}
	var all []scheduleRecord
	err := s.store.View(func(tx storage.Tx) error {
		return schedules.List(tx, sc, prefix, storage.ListOptions{}, func(_ []string, r scheduleRecord) bool {
			if strings.HasPrefix(r.Name, ptr.Deref(in.NamePrefix)) && (in.State == nil || r.State == *in.State) {
				all = append(all, r)
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	key := func(r scheduleRecord) string { return r.Group + "/" + r.Name }
	sort.Slice(all, func(i, j int) bool { return key(all[i]) < key(all[j]) })
	items, next := page(all, key, in.NextToken, in.MaxResults)
	out := &schedulerapi.ListSchedulesOutput{Schedules: []schedulerapi.ScheduleSummary{}, NextToken: next}
	for _, r := range items {
		out.Schedules = append(out.Schedules, schedulerapi.ScheduleSummary{Arn: ptr.To(scheduleARN(sc, r.Group, r.Name)), Name: ptr.To(r.Name),
			GroupName: ptr.To(r.Group), State: ptr.To(r.State), CreationDate: ptr.To(r.Created), LastModificationDate: ptr.To(r.Modified),
			Target: &schedulerapi.TargetSummary{Arn: r.Target.Arn}})
	}
	return out, nil
}
