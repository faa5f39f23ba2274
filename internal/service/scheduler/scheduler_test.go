package scheduler

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	schedulerapi "github.com/niwa-cloud/niwa/internal/api/scheduler"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/clock"
	ibus "github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

const (
	acct    = "123456789012"
	region  = "ap-northeast-1"
	queue   = "arn:aws:sqs:ap-northeast-1:123456789012:q"
	dlq     = "arn:aws:sqs:ap-northeast-1:123456789012:dlq"
	fn      = "arn:aws:lambda:ap-northeast-1:123456789012:function:f"
	topic   = "arn:aws:sns:ap-northeast-1:123456789012:t"
	busARN  = "arn:aws:events:ap-northeast-1:123456789012:event-bus/default"
	roleARN = "arn:aws:iam::123456789012:role/sched"
)

// Monday 1 January 2024, 10:00 UTC.
var t0 = time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC)

// recorder stands for a target service: it records deliveries to its
// namespace and fails while fail is set.
type recorder struct {
	mu   sync.Mutex
	fail bool
	ch   chan ibus.Message
}

func (r *recorder) Deliver(_ context.Context, m ibus.Message) error {
	r.mu.Lock()
	fail := r.fail
	r.mu.Unlock()
	if fail {
		return errors.New("target unavailable")
	}
	r.ch <- m
	return nil
}

func (r *recorder) setFail(b bool) {
	r.mu.Lock()
	r.fail = b
	r.mu.Unlock()
}

type fixture struct {
	*Scheduler
	t      *testing.T
	h      *servicetest.Harness
	clock  *clock.Fake
	ctx    *request.Context
	sqs    *recorder
	lam    *recorder
	sns    *recorder
	events *recorder
}

func newFixture(t *testing.T, opts ...Option) *fixture {
	t.Helper()
	h := servicetest.New(t, "scheduler", servicetest.At(t0), servicetest.InAccount(acct), servicetest.InRegion(region))
	return newFixtureOn(t, h, opts...)
}

func newFixtureOn(t *testing.T, h *servicetest.Harness, opts ...Option) *fixture {
	b := ibus.New()
	f := &fixture{t: t, h: h, clock: h.Clock, ctx: h.Ctx()}
	for _, r := range []struct {
		ns  string
		rec **recorder
	}{{"sqs", &f.sqs}, {"lambda", &f.lam}, {"sns", &f.sns}, {"events", &f.events}} {
		*r.rec = &recorder{ch: make(chan ibus.Message, 100)}
		b.Handle(r.ns, *r.rec)
	}
	// Flexible windows fire at their end, so tests know when.
	opts = append([]Option{WithJitter(func(w time.Duration) time.Duration { return w - time.Minute })}, opts...)
	f.Scheduler = New(h.Store(), b, h.Clock, opts...)
	t.Cleanup(func() { _ = f.Close() })
	return f
}

func (f *fixture) next(r *recorder) ibus.Message {
	f.t.Helper()
	select {
	case m := <-r.ch:
		return m
	case <-time.After(time.Minute): // generous for a loaded machine; returns as soon as a delivery arrives
		f.t.Fatal("no delivery")
	}
	return ibus.Message{}
}

// none checks that nothing reached r once running deliveries finished.
func (f *fixture) none(r *recorder) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := f.Flush(ctx); err != nil {
		f.t.Fatal(err)
	}
	select {
	case m := <-r.ch:
		f.t.Fatalf("unexpected delivery %+v", m)
	default:
	}
}

// waitArmed waits until a timer is waiting on the fake clock (a retry
// is armed from a delivery goroutine).
func (f *fixture) waitArmed(n int) {
	f.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for f.clock.Waiters() < n {
		if time.Now().After(deadline) {
			f.t.Fatal("timer not armed")
		}
		time.Sleep(time.Millisecond)
	}
}

func off() *schedulerapi.FlexibleTimeWindow {
	return &schedulerapi.FlexibleTimeWindow{Mode: ptr.To("OFF")}
}

func target(arn, input string) *schedulerapi.Target {
	t := &schedulerapi.Target{Arn: ptr.To(arn), RoleArn: ptr.To(roleARN)}
	if input != "" {
		t.Input = ptr.To(input)
	}
	return t
}

func (f *fixture) create(in *schedulerapi.CreateScheduleInput) string {
	f.t.Helper()
	if in.FlexibleTimeWindow == nil {
		in.FlexibleTimeWindow = off()
	}
	out, err := f.CreateSchedule(f.ctx, in)
	if err != nil {
		f.t.Fatal(err)
	}
	return *out.ScheduleArn
}

func wantErr(t *testing.T, err error, code, msgPart string) {
	t.Helper()
	ae := awserr.As(err)
	if ae == nil {
		t.Fatalf("err = %v, want %s", err, code)
	}
	if ae.Code.Code != code || !strings.Contains(ae.Message, msgPart) {
		t.Fatalf("err = %s: %s, want %s containing %q", ae.Code.Code, ae.Message, code, msgPart)
	}
}

// A one-time at() schedule fires once when the clock reaches it, with the
// context attributes filled in; ActionAfterCompletion DELETE removes it.
func TestAtFiresOnceAndDeletes(t *testing.T) {
	f := newFixture(t)
	arn := f.create(&schedulerapi.CreateScheduleInput{Name: ptr.To("once"), ScheduleExpression: ptr.To("at(2024-01-01T10:30:00)"),
		ActionAfterCompletion: ptr.To("DELETE"),
		Target:                target(queue, `{"arn":"<aws.scheduler.schedule-arn>","at":"<aws.scheduler.scheduled-time>","try":<aws.scheduler.attempt-number>}`)})
	f.clock.Advance(29 * time.Minute)
	f.none(f.sqs)
	f.clock.Advance(time.Minute)
	m := f.next(f.sqs)
	want := `{"arn":"` + arn + `","at":"2024-01-01T10:30:00Z","try":1}`
	if m.Body != want || m.TargetARN != queue {
		t.Fatalf("got %s\nwant %s", m.Body, want)
	}
	_, err := f.GetSchedule(f.ctx, &schedulerapi.GetScheduleInput{Name: ptr.To("once")})
	wantErr(t, err, "ResourceNotFoundException", "Schedule once does not exist.")
	f.clock.Advance(24 * time.Hour)
	f.none(f.sqs)
}

// at() in a time zone; a NONE schedule stays after its last run.
func TestAtInTimeZoneStays(t *testing.T) {
	f := newFixture(t)
	f.create(&schedulerapi.CreateScheduleInput{Name: ptr.To("tokyo"), ScheduleExpression: ptr.To("at(2024-01-01T20:00:00)"),
		ScheduleExpressionTimezone: ptr.To("Asia/Tokyo"), Target: target(fn, `{"x":1}`)})
	f.clock.Advance(59 * time.Minute) // 19:59 in Tokyo
	f.none(f.lam)
	f.clock.Advance(time.Minute)
	if m := f.next(f.lam); m.Body != `{"x":1}` {
		t.Fatal(m.Body)
	}
	g, err := f.GetSchedule(f.ctx, &schedulerapi.GetScheduleInput{Name: ptr.To("tokyo")})
	if err != nil || *g.ActionAfterCompletion != "NONE" || *g.ScheduleExpressionTimezone != "Asia/Tokyo" {
		t.Fatalf("%+v %v", g, err)
	}
}

// rate and cron fire repeatedly; a DISABLED schedule does not; EndDate
// stops a schedule; StartDate delays it.
func TestRecurringSchedules(t *testing.T) {
	f := newFixture(t)
	f.create(&schedulerapi.CreateScheduleInput{Name: ptr.To("rate"), ScheduleExpression: ptr.To("rate(10 minutes)"),
		EndDate: ptr.To(t0.Add(25 * time.Minute)), Target: target(queue, "rate")})
	f.create(&schedulerapi.CreateScheduleInput{Name: ptr.To("cron"), ScheduleExpression: ptr.To("cron(0 12 ? * MON-FRI *)"),
		StartDate: ptr.To(t0.Add(48 * time.Hour)), Target: target(topic, "cron")})
	f.create(&schedulerapi.CreateScheduleInput{Name: ptr.To("off"), ScheduleExpression: ptr.To("rate(1 minute)"), State: ptr.To("DISABLED"),
		Target: target(fn, "off")})
	for _, at := range []time.Duration{10, 20} {
		f.clock.Set(t0.Add(at * time.Minute))
		if m := f.next(f.sqs); m.Body != "rate" {
			t.Fatal(m.Body)
		}
	}
	f.clock.Set(t0.Add(40 * time.Minute)) // after EndDate
	f.none(f.sqs)
	f.clock.Set(time.Date(2024, 1, 2, 12, 0, 0, 0, time.UTC)) // before StartDate
	f.none(f.sns)
	f.clock.Set(time.Date(2024, 1, 3, 12, 0, 0, 0, time.UTC))
	if m := f.next(f.sns); m.Body != "cron" {
		t.Fatal(m.Body)
	}
	f.none(f.lam)
}

// A flexible window delays the invocation within the window.
func TestFlexibleWindow(t *testing.T) {
	f := newFixture(t)
	f.create(&schedulerapi.CreateScheduleInput{Name: ptr.To("flex"), ScheduleExpression: ptr.To("at(2024-01-01T11:00:00)"),
		FlexibleTimeWindow: &schedulerapi.FlexibleTimeWindow{Mode: ptr.To("FLEXIBLE"), MaximumWindowInMinutes: ptr.To(int32(15))},
		Target:             target(queue, "flex")})
	f.clock.Set(t0.Add(time.Hour))
	f.none(f.sqs)
	f.clock.Set(t0.Add(time.Hour + 14*time.Minute))
	f.next(f.sqs)
}

// An EventBridge target gets an event with the parameters' source and
// detail-type and the input as detail.
func TestEventBridgeTarget(t *testing.T) {
	f := newFixture(t)
	tg := target(busARN, `{"job":"nightly"}`)
	tg.EventBridgeParameters = &schedulerapi.EventBridgeParameters{DetailType: ptr.To("Job Due"), Source: ptr.To("my.scheduler")}
	arn := f.create(&schedulerapi.CreateScheduleInput{Name: ptr.To("eb"), ScheduleExpression: ptr.To("rate(5 minutes)"), Target: tg})
	f.clock.Advance(5 * time.Minute)
	m := f.next(f.events)
	for _, part := range []string{`"detail-type":"Job Due"`, `"source":"my.scheduler"`, `"detail":{"job":"nightly"}`, `"resources":["` + arn + `"]`, `"account":"` + acct + `"`} {
		if !strings.Contains(m.Body, part) {
			t.Fatalf("%s lacks %s", m.Body, part)
		}
	}
}

// Failed deliveries are retried on the clock, then dead-lettered with
// Scheduler's attributes.
func TestRetryThenDeadLetter(t *testing.T) {
	f := newFixture(t)
	tg := target(fn, "payload")
	tg.RetryPolicy = &schedulerapi.RetryPolicy{MaximumRetryAttempts: ptr.To(int32(1))}
	tg.DeadLetterConfig = &schedulerapi.DeadLetterConfig{Arn: ptr.To(dlq)}
	arn := f.create(&schedulerapi.CreateScheduleInput{Name: ptr.To("failing"), ScheduleExpression: ptr.To("at(2024-01-01T10:01:00)"), Target: tg})
	f.lam.setFail(true)
	f.clock.Advance(time.Minute)
	f.waitArmed(1) // the retry
	f.clock.Advance(time.Second)
	m := f.next(f.sqs)
	if m.TargetARN != dlq || m.Body != "payload" || m.Attributes["SCHEDULE_ARN"] != arn || m.Attributes["TARGET_ARN"] != fn ||
		m.Attributes["ERROR_MESSAGE"] != "target unavailable" || m.Attributes["EXECUTION_ID"] == "" || m.Attributes["RETRY_ATTEMPTS"] != "1" {
		t.Fatalf("%+v", m)
	}
}

// The execution role must allow the target's action.
func TestExecutionRoleDenied(t *testing.T) {
	var asked []string
	var mu sync.Mutex
	f := newFixture(t, WithRoleAccess(func(_ context.Context, account, _, role, _, resource string, actions []string) (string, error) {
		mu.Lock()
		asked = append(asked, role+" "+actions[0]+" "+resource)
		mu.Unlock()
		if resource == queue {
			return actions[0], nil
		}
		return "", nil
	}))
	tg := target(queue, "x")
	tg.RetryPolicy = &schedulerapi.RetryPolicy{MaximumRetryAttempts: ptr.To(int32(0))}
	tg.DeadLetterConfig = &schedulerapi.DeadLetterConfig{Arn: ptr.To(dlq)}
	f.create(&schedulerapi.CreateScheduleInput{Name: ptr.To("denied"), ScheduleExpression: ptr.To("at(2024-01-01T10:01:00)"), Target: tg})
	f.clock.Advance(time.Minute)
	m := f.next(f.sqs)
	if m.TargetARN != dlq || m.Attributes["ERROR_CODE"] != "AccessDenied" {
		t.Fatalf("%+v", m)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(asked) != 2 || asked[0] != roleARN+" sqs:SendMessage "+queue {
		t.Fatalf("%v", asked)
	}
}

// Schedules survive a restart: the new instance arms them from the store.
func TestScheduleSurvivesRestart(t *testing.T) {
	f := newFixture(t)
	f.create(&schedulerapi.CreateScheduleInput{Name: ptr.To("durable"), ScheduleExpression: ptr.To("rate(5 minutes)"), Target: target(queue, "d")})
	_ = f.Close()
	g := newFixtureOn(t, f.h)
	g.clock.Advance(5 * time.Minute)
	if m := g.next(g.sqs); m.Body != "d" {
		t.Fatal(m.Body)
	}
}

// Updates replace the schedule and its timer.
func TestUpdateRearms(t *testing.T) {
	f := newFixture(t)
	f.create(&schedulerapi.CreateScheduleInput{Name: ptr.To("u"), ScheduleExpression: ptr.To("rate(5 minutes)"), Description: ptr.To("old"),
		Target: target(queue, "old")})
	_, err := f.UpdateSchedule(f.ctx, &schedulerapi.UpdateScheduleInput{Name: ptr.To("u"), ScheduleExpression: ptr.To("rate(1 hour)"),
		FlexibleTimeWindow: off(), Target: target(fn, "new")})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(5 * time.Minute)
	f.none(f.sqs)
	f.clock.Advance(55 * time.Minute)
	if m := f.next(f.lam); m.Body != "new" {
		t.Fatal(m.Body)
	}
	g := must(f.GetSchedule(f.ctx, &schedulerapi.GetScheduleInput{Name: ptr.To("u")}))
	if g.Description != nil || *g.ScheduleExpression != "rate(1 hour)" {
		t.Fatalf("%+v", g)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestValidation(t *testing.T) {
	f := newFixture(t)
	f.create(&schedulerapi.CreateScheduleInput{Name: ptr.To("dup"), ScheduleExpression: ptr.To("rate(1 day)"), Target: target(queue, "")})
	base := func(mod func(*schedulerapi.CreateScheduleInput)) *schedulerapi.CreateScheduleInput {
		in := &schedulerapi.CreateScheduleInput{Name: ptr.To("s"), ScheduleExpression: ptr.To("rate(1 day)"), FlexibleTimeWindow: off(), Target: target(queue, "")}
		mod(in)
		return in
	}
	cases := []struct {
		name string
		in   *schedulerapi.CreateScheduleInput
		code string
		msg  string
	}{
		{"bad expression", base(func(in *schedulerapi.CreateScheduleInput) { in.ScheduleExpression = ptr.To("rate(0 days)") }),
			"ValidationException", "Invalid Schedule Expression rate(0 days)."},
		{"bad at", base(func(in *schedulerapi.CreateScheduleInput) { in.ScheduleExpression = ptr.To("at(2024-02-30T10:00:00)") }),
			"ValidationException", "Invalid Schedule Expression"},
		{"bad time zone", base(func(in *schedulerapi.CreateScheduleInput) { in.ScheduleExpressionTimezone = ptr.To("Mars/Olympus") }),
			"ValidationException", "Mars/Olympus"},
		{"flexible without window", base(func(in *schedulerapi.CreateScheduleInput) {
			in.FlexibleTimeWindow = &schedulerapi.FlexibleTimeWindow{Mode: ptr.To("FLEXIBLE")}
		}), "ValidationException", "MaximumWindowInMinutes"},
		{"start after end", base(func(in *schedulerapi.CreateScheduleInput) {
			in.StartDate, in.EndDate = ptr.To(t0.Add(time.Hour)), ptr.To(t0)
		}),
			"ValidationException", "StartDate"},
		{"event bus without parameters", base(func(in *schedulerapi.CreateScheduleInput) { in.Target = target(busARN, "") }),
			"ValidationException", "EventBridgeParameters"},
		{"fifo without group", base(func(in *schedulerapi.CreateScheduleInput) { in.Target = target(queue+".fifo", "") }),
			"ValidationException", "MessageGroupId"},
		{"missing group", base(func(in *schedulerapi.CreateScheduleInput) { in.GroupName = ptr.To("nope") }),
			"ResourceNotFoundException", "Schedule group nope does not exist."},
		{"duplicate", base(func(in *schedulerapi.CreateScheduleInput) { in.Name = ptr.To("dup") }),
			"ConflictException", "Schedule dup already exists."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.CreateSchedule(f.ctx, c.in)
			wantErr(t, err, c.code, c.msg)
		})
	}
	// The same request again (its idempotency token) is not a conflict.
	tok := &schedulerapi.CreateScheduleInput{Name: ptr.To("tok"), ClientToken: ptr.To("t-1"), ScheduleExpression: ptr.To("rate(1 day)"), Target: target(queue, "")}
	a1, a2 := f.create(tok), f.create(tok)
	if a1 != a2 {
		t.Fatal(a1, a2)
	}
	tok.ClientToken = ptr.To("t-2")
	_, err := f.CreateSchedule(f.ctx, tok)
	wantErr(t, err, "ConflictException", "Schedule tok already exists.")
	_, err = f.DeleteSchedule(f.ctx, &schedulerapi.DeleteScheduleInput{Name: ptr.To("nope")})
	wantErr(t, err, "ResourceNotFoundException", "Schedule nope does not exist.")
	_, err = f.DeleteScheduleGroup(f.ctx, &schedulerapi.DeleteScheduleGroupInput{Name: ptr.To("default")})
	wantErr(t, err, "ValidationException", "default")
}

// Groups: create with tags, list with the default group, schedules listed
// per group, deleting a group deletes its schedules.
func TestGroupsAndListing(t *testing.T) {
	f := newFixture(t)
	g := must(f.CreateScheduleGroup(f.ctx, &schedulerapi.CreateScheduleGroupInput{Name: ptr.To("team"),
		Tags: []schedulerapi.Tag{{Key: ptr.To("env"), Value: ptr.To("dev")}}}))
	if *g.ScheduleGroupArn != "arn:aws:scheduler:ap-northeast-1:123456789012:schedule-group/team" {
		t.Fatal(*g.ScheduleGroupArn)
	}
	_, err := f.CreateScheduleGroup(f.ctx, &schedulerapi.CreateScheduleGroupInput{Name: ptr.To("team")})
	wantErr(t, err, "ConflictException", "Schedule group team already exists.")
	must(f.TagResource(f.ctx, &schedulerapi.TagResourceInput{ResourceArn: g.ScheduleGroupArn, Tags: []schedulerapi.Tag{{Key: ptr.To("owner"), Value: ptr.To("me")}}}))
	must(f.UntagResource(f.ctx, &schedulerapi.UntagResourceInput{ResourceArn: g.ScheduleGroupArn, TagKeys: []string{"env"}}))
	tags := must(f.ListTagsForResource(f.ctx, &schedulerapi.ListTagsForResourceInput{ResourceArn: g.ScheduleGroupArn}))
	if len(tags.Tags) != 1 || *tags.Tags[0].Key != "owner" {
		t.Fatalf("%+v", tags.Tags)
	}
	gl := must(f.ListScheduleGroups(f.ctx, &schedulerapi.ListScheduleGroupsInput{}))
	if len(gl.ScheduleGroups) != 2 || *gl.ScheduleGroups[0].Name != "default" || *gl.ScheduleGroups[1].Name != "team" {
		t.Fatalf("%+v", gl.ScheduleGroups)
	}
	for _, n := range []string{"a", "b", "c"} {
		f.create(&schedulerapi.CreateScheduleInput{Name: ptr.To(n), GroupName: ptr.To("team"), ScheduleExpression: ptr.To("rate(1 minute)"), Target: target(queue, n)})
	}
	f.create(&schedulerapi.CreateScheduleInput{Name: ptr.To("d"), ScheduleExpression: ptr.To("rate(1 day)"), Target: target(queue, "d")})
	p1 := must(f.ListSchedules(f.ctx, &schedulerapi.ListSchedulesInput{GroupName: ptr.To("team"), MaxResults: ptr.To(int32(2))}))
	if len(p1.Schedules) != 2 || p1.NextToken == nil || *p1.Schedules[0].Target.Arn != queue {
		t.Fatalf("%+v", p1)
	}
	p2 := must(f.ListSchedules(f.ctx, &schedulerapi.ListSchedulesInput{GroupName: ptr.To("team"), NextToken: p1.NextToken}))
	if len(p2.Schedules) != 1 || *p2.Schedules[0].Name != "c" || p2.NextToken != nil {
		t.Fatalf("%+v", p2)
	}
	if all := must(f.ListSchedules(f.ctx, &schedulerapi.ListSchedulesInput{})); len(all.Schedules) != 4 {
		t.Fatalf("%+v", all)
	}
	must(f.DeleteScheduleGroup(f.ctx, &schedulerapi.DeleteScheduleGroupInput{Name: ptr.To("team")}))
	if all := must(f.ListSchedules(f.ctx, &schedulerapi.ListSchedulesInput{})); len(all.Schedules) != 1 {
		t.Fatalf("%+v", all)
	}
	// The group's schedules no longer fire.
	f.clock.Advance(time.Minute)
	f.none(f.sqs)
}

func TestBindsEveryOperation(t *testing.T) {
	b := schedulerapi.Bind(&Scheduler{})
	for _, op := range schedulerapi.Spec().Operations {
		if _, ok := b[op]; !ok {
			t.Errorf("%s is not bound", op)
		}
	}
}

// Bad input changes nothing: a refused update leaves the schedule as it
// was, still firing; expressions that never or only far away fire are
// accepted at once without arming a runaway timer.
func TestHostileInput(t *testing.T) {
	f := newFixture(t)
	f.create(&schedulerapi.CreateScheduleInput{Name: ptr.To("keep"), ScheduleExpression: ptr.To("rate(5 minutes)"), Target: target(queue, "kept")})
	_, err := f.UpdateSchedule(f.ctx, &schedulerapi.UpdateScheduleInput{Name: ptr.To("keep"), ScheduleExpression: ptr.To("cron(bad)"),
		FlexibleTimeWindow: off(), Target: target(fn, "new")})
	wantErr(t, err, "ValidationException", "Invalid Schedule Expression cron(bad).")
	g := must(f.GetSchedule(f.ctx, &schedulerapi.GetScheduleInput{Name: ptr.To("keep")}))
	if *g.ScheduleExpression != "rate(5 minutes)" || *g.Target.Arn != queue {
		t.Fatalf("%+v", g)
	}
	f.clock.Advance(5 * time.Minute)
	if m := f.next(f.sqs); m.Body != "kept" {
		t.Fatal(m.Body)
	}
	for _, expr := range []string{"cron(0 0 31 2 ? *)", "cron(0 0 1 1 ? 2199)", "at(2199-12-31T23:59:59)", "at(1970-01-01T00:00:00)"} {
		start := time.Now()
		name := strings.NewReplacer("(", "", ")", "", " ", "", "*", "", "?", "", ":", "").Replace(expr)
		f.create(&schedulerapi.CreateScheduleInput{Name: ptr.To(name), ScheduleExpression: ptr.To(expr), Target: target(queue, expr)})
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s took %v", expr, d)
		}
	}
	// A day later only the rate schedule has fired (once: a clock jump
	// does not replay missed invocations).
	f.clock.Advance(24 * time.Hour)
	if m := f.next(f.sqs); m.Body != "kept" {
		t.Fatal(m.Body)
	}
	f.none(f.sqs)
}
