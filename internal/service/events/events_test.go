package events

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	eventsapi "github.com/niwa-cloud/niwa/internal/api/events"
	"github.com/niwa-cloud/niwa/internal/clock"
	ibus "github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

const (
	queueARN = "arn:aws:sqs:ap-northeast-1:123456789012:q"
	fnARN    = "arn:aws:lambda:ap-northeast-1:123456789012:function:ddns"
	s1       = `{"source":["aws.ec2"],"detail-type":["EC2 Instance State-change Notification"],"detail":{"state":["running","shutting-down","stopped"]}}`
)

func (f *fixture) rule(name, pat, sched string, targets ...eventsapi.Target) string {
	f.t.Helper()
	in := &eventsapi.PutRuleRequest{Name: ptr.To(name)}
	if pat != "" {
		in.EventPattern = ptr.To(pat)
	}
	if sched != "" {
		in.ScheduleExpression = ptr.To(sched)
	}
	out := must(f.PutRule(f.ctx, in))
	if len(targets) > 0 {
		res := must(f.PutTargets(f.ctx, &eventsapi.PutTargetsRequest{Rule: ptr.To(name), Targets: targets}))
		if *res.FailedEntryCount != 0 {
			f.t.Fatalf("failed entries %+v", res.FailedEntries)
		}
	}
	return *out.RuleArn
}

func target(id, arn string) eventsapi.Target {
	return eventsapi.Target{Id: ptr.To(id), Arn: ptr.To(arn)}
}

func ec2Event(state string) ibus.Event {
	return ibus.Event{ID: "7bf73129-1428-4cd3-a780-95db273d1602", Source: "aws.ec2", DetailType: "EC2 Instance State-change Notification",
		Account: testAccount, Region: testRegion, Time: t0,
		Resources: []string{"arn:aws:ec2:ap-northeast-1:123456789012:instance/i-0abc"},
		Detail:    json.RawMessage(`{"instance-id":"i-0abc","state":"` + state + `"}`)}
}

// The S1 rule gets the EC2 state change event exactly as AWS shapes it;
// a rule for "stopped" only does not fire on "running".
func TestEC2StateChangeReachesRuleTarget(t *testing.T) {
	f := newFixture(t)
	ruleArn := f.rule("ddns", s1, "", target("fn", fnARN))
	f.rule("stopped-only", `{"source":["aws.ec2"],"detail":{"state":["stopped"]}}`, "", target("q", queueARN))

	f.bus.Publish(ec2Event("running"))
	m := f.next(f.lam)
	want := `{"version":"0","id":"7bf73129-1428-4cd3-a780-95db273d1602","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","account":"123456789012","time":"2024-01-01T10:00:00Z","region":"ap-northeast-1","resources":["arn:aws:ec2:ap-northeast-1:123456789012:instance/i-0abc"],"detail":{"instance-id":"i-0abc","state":"running"}}`
	if m.Body != want {
		t.Fatalf("body\n%s\nwant\n%s", m.Body, want)
	}
	if m.TargetARN != fnARN || m.SourceService != "events.amazonaws.com" || m.SourceARN != ruleArn || m.SourceAccount != testAccount {
		t.Fatalf("message %+v", m)
	}
	f.none(f.sqs)

	f.bus.Publish(ec2Event("stopped"))
	f.next(f.lam)
	if q := f.next(f.sqs); !strings.Contains(q.Body, `"state":"stopped"`) {
		t.Fatalf("sqs body %s", q.Body)
	}
	f.bus.Publish(ec2Event("pending"))
	f.none(f.lam)
	if s := f.Stats(ruleArn); s.MatchedEvents != 2 || s.Invocations != 2 {
		t.Fatalf("stats %+v", s)
	}
	// Events of another account or region do not reach this account's rules.
	other := ec2Event("running")
	other.Region = "us-east-1"
	f.bus.Publish(other)
	f.none(f.lam)
}

func TestPutEventsAndDisabledRule(t *testing.T) {
	f := newFixture(t)
	f.rule("orders", `{"source":["com.shop"],"detail":{"amount":[{"numeric":[">",100]}]}}`, "", target("q", queueARN))
	put := func(detail string) *eventsapi.PutEventsResponse {
		return must(f.PutEvents(f.ctx, &eventsapi.PutEventsRequest{Entries: []eventsapi.PutEventsRequestEntry{
			{Source: ptr.To("com.shop"), DetailType: ptr.To("Order"), Detail: ptr.To(detail)}}}))
	}
	out := put(`{"amount": 150}`)
	if *out.FailedEntryCount != 0 || out.Entries[0].EventId == nil {
		t.Fatalf("%+v", out)
	}
	m := f.next(f.sqs)
	var ev map[string]any
	if err := json.Unmarshal([]byte(m.Body), &ev); err != nil || ev["id"] != *out.Entries[0].EventId || ev["account"] != testAccount {
		t.Fatalf("event %s", m.Body)
	}
	put(`{"amount": 50}`)
	f.none(f.sqs)
	must(f.DisableRule(f.ctx, &eventsapi.DisableRuleRequest{Name: ptr.To("orders")}))
	put(`{"amount": 150}`)
	f.none(f.sqs)
	must(f.EnableRule(f.ctx, &eventsapi.EnableRuleRequest{Name: ptr.To("orders")}))
	put(`{"amount": 150}`)
	f.next(f.sqs)
}

func TestPutEventsEntryErrors(t *testing.T) {
	f := newFixture(t)
	out := must(f.PutEvents(f.ctx, &eventsapi.PutEventsRequest{Entries: []eventsapi.PutEventsRequestEntry{
		{Source: ptr.To("a"), DetailType: ptr.To("b"), Detail: ptr.To(`{}`)},
		{DetailType: ptr.To("b"), Detail: ptr.To(`{}`)},
		{Source: ptr.To("a"), Detail: ptr.To(`{}`)},
		{Source: ptr.To("a"), DetailType: ptr.To("b")},
		{Source: ptr.To("a"), DetailType: ptr.To("b"), Detail: ptr.To(`[1]`)},
		{Source: ptr.To("aws.ec2"), DetailType: ptr.To("b"), Detail: ptr.To(`{}`)},
		{Source: ptr.To("a"), DetailType: ptr.To("b"), Detail: ptr.To(`{}`), EventBusName: ptr.To("nope")},
	}}))
	codes := []string{"", "InvalidArgument", "InvalidArgument", "InvalidArgument", "MalformedDetail", "NotAuthorizedForSourceException", "ResourceNotFoundException"}
	if *out.FailedEntryCount != 6 {
		t.Fatalf("failed %d", *out.FailedEntryCount)
	}
	for i, c := range codes {
		if ptr.Deref(out.Entries[i].ErrorCode) != c {
			t.Errorf("entry %d: %v %v, want %s", i, ptr.Deref(out.Entries[i].ErrorCode), ptr.Deref(out.Entries[i].ErrorMessage), c)
		}
	}
	if ptr.Deref(out.Entries[1].ErrorMessage) != "Parameter Source is not valid. Reason: Source is a required argument." {
		t.Errorf("message %q", ptr.Deref(out.Entries[1].ErrorMessage))
	}
	big := strings.Repeat("x", 256*1024)
	_, err := f.PutEvents(f.ctx, &eventsapi.PutEventsRequest{Entries: []eventsapi.PutEventsRequestEntry{{Source: ptr.To("a"), DetailType: ptr.To("b"), Detail: ptr.To(`{"a":"` + big + `"}`)}}})
	wantErr(t, err, "ValidationException", "Total size of the entries in the request is over the limit.")
}

func TestInputTransformations(t *testing.T) {
	f := newFixture(t)
	ruleArn := f.rule("r", `{"source":["aws.ec2"]}`, "",
		eventsapi.Target{Id: ptr.To("const"), Arn: ptr.To(queueARN + "1"), Input: ptr.To(`{"fixed":true}`)},
		eventsapi.Target{Id: ptr.To("path"), Arn: ptr.To(queueARN + "2"), InputPath: ptr.To("$.detail")},
		eventsapi.Target{Id: ptr.To("json"), Arn: ptr.To(queueARN + "3"), InputTransformer: &eventsapi.InputTransformer{
			InputPathsMap: map[string]string{"instance": "$.detail.instance-id", "state": "$.detail.state", "res": "$.resources[0]", "missing": "$.detail.nope"},
			InputTemplate: ptr.To(`{"instance": <instance>, "text": "<instance> is <state>", "missing": <missing>, "rule": "<aws.events.rule-name>"}`)}},
		eventsapi.Target{Id: ptr.To("str"), Arn: ptr.To(queueARN + "4"), InputTransformer: &eventsapi.InputTransformer{
			InputPathsMap: map[string]string{"instance": "$.detail.instance-id", "state": "$.detail.state"},
			InputTemplate: ptr.To(`"<instance> is in state <state>"`)}},
		eventsapi.Target{Id: ptr.To("plain"), Arn: ptr.To(queueARN + "5"), InputTransformer: &eventsapi.InputTransformer{
			InputPathsMap: map[string]string{"state": "$.detail.state"},
			InputTemplate: ptr.To(`State: <state> (<aws.events.rule-arn>)`)}},
	)
	f.bus.Publish(ec2Event("running"))
	got := map[string]string{}
	for i := 0; i < 5; i++ {
		m := f.next(f.sqs)
		got[m.TargetARN[len(queueARN):]] = m.Body
	}
	want := map[string]string{
		"1": `{"fixed":true}`,
		"2": `{"instance-id":"i-0abc","state":"running"}`,
		"3": `{"instance": "i-0abc", "text": "i-0abc is running", "missing": null, "rule": "r"}`,
		"4": `"i-0abc is in state running"`,
		"5": `State: running (` + ruleArn + `)`,
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("target %s: %s\nwant %s", k, got[k], w)
		}
	}
}

func TestRetryThenDeadLetter(t *testing.T) {
	f := newFixture(t)
	f.sqs.fail = true
	dlq := "arn:aws:sqs:ap-northeast-1:123456789012:dlq"
	f.lam.fail = false
	ruleArn := f.rule("r", `{"source":["aws.ec2"]}`, "", eventsapi.Target{Id: ptr.To("t"), Arn: ptr.To(queueARN),
		RetryPolicy:      &eventsapi.RetryPolicy{MaximumRetryAttempts: ptr.To(int32(2))},
		DeadLetterConfig: &eventsapi.DeadLetterConfig{Arn: ptr.To(fnARN)}}) // the recorder stands for the DLQ
	_ = dlq
	f.bus.Publish(ec2Event("running"))
	f.drain()
	if s := f.Stats(ruleArn); s.FailedInvocations != 1 {
		t.Fatalf("after first attempt %+v", s)
	}
	f.clock.Advance(time.Second) // first retry
	waitStats(t, f, ruleArn, func(s RuleStats) bool { return s.FailedInvocations == 2 })
	waitTimer(t, f)
	f.clock.Advance(2 * time.Second) // second retry, then the DLQ
	m := f.next(f.lam)
	if m.Attributes["EXHAUSTED_RETRY_CONDITION"] != "MaximumRetryAttempts" || m.Attributes["ERROR_CODE"] != "SDK_CLIENT_ERROR" ||
		m.Attributes["RULE_ARN"] != ruleArn || !strings.Contains(m.Body, `"source":"aws.ec2"`) {
		t.Fatalf("dlq message %+v", m)
	}
	f.drain()
	if s := f.Stats(ruleArn); s.FailedInvocations != 3 || s.DeadLettered != 1 {
		t.Fatalf("stats %+v", s)
	}
}

// A target of a service niwa does not have (Step Functions) is not
// retried: the event goes to the dead-letter queue at once with a message
// naming the service.
func TestUnsupportedTargetDeadLettersAtOnce(t *testing.T) {
	f := newFixture(t)
	sfn := "arn:aws:states:ap-northeast-1:123456789012:stateMachine:sm"
	ruleArn := f.rule("r", `{"source":["aws.ec2"]}`, "", eventsapi.Target{Id: ptr.To("sfn"), Arn: ptr.To(sfn),
		DeadLetterConfig: &eventsapi.DeadLetterConfig{Arn: ptr.To(queueARN)}})
	f.bus.Publish(ec2Event("running"))
	m := f.next(f.sqs)
	if m.Attributes["ERROR_CODE"] != "NO_HANDLER" || !strings.Contains(m.Attributes["ERROR_MESSAGE"], "niwa has no states service") ||
		m.Attributes["TARGET_ARN"] != sfn || m.Attributes["EXHAUSTED_RETRY_CONDITION"] != "" {
		t.Fatalf("%+v", m)
	}
	f.drain()
	if s := f.Stats(ruleArn); s.FailedInvocations != 1 || s.DeadLettered != 1 || f.clock.Waiters() != 0 {
		t.Fatalf("%+v, %d timers", s, f.clock.Waiters())
	}
}

func TestRetrySucceedsLater(t *testing.T) {
	f := newFixture(t)
	f.sqs.fail = true
	ruleArn := f.rule("r", `{"source":["aws.ec2"]}`, "", target("q", queueARN))
	f.bus.Publish(ec2Event("running"))
	f.drain()
	f.sqs.mu.Lock()
	f.sqs.fail = false
	f.sqs.mu.Unlock()
	f.clock.Advance(time.Second)
	f.next(f.sqs)
	f.drain()
	if s := f.Stats(ruleArn); s.FailedInvocations != 1 || s.Invocations != 1 {
		t.Fatalf("stats %+v", s)
	}
}

func TestRateScheduleFiresOnMovedClock(t *testing.T) {
	f := newFixture(t)
	ruleArn := f.rule("every5", "", "rate(5 minutes)", target("fn", fnARN))
	f.clock.Advance(4 * time.Minute)
	f.none(f.lam)
	f.clock.Advance(time.Minute)
	m := f.next(f.lam)
	var ev wireEvent
	if err := json.Unmarshal([]byte(m.Body), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Source != "aws.events" || ev.DetailType != "Scheduled Event" || string(ev.Detail) != "{}" ||
		len(ev.Resources) != 1 || ev.Resources[0] != ruleArn || ev.Time != "2024-01-01T10:05:00Z" || ev.Account != testAccount {
		t.Fatalf("event %s", m.Body)
	}
	waitTimer(t, f)
	f.clock.Advance(5 * time.Minute)
	if m := f.next(f.lam); !strings.Contains(m.Body, `"time":"2024-01-01T10:10:00Z"`) {
		t.Fatalf("second firing %s", m.Body)
	}
	// Disabled: no firing.
	must(f.DisableRule(f.ctx, &eventsapi.DisableRuleRequest{Name: ptr.To("every5")}))
	f.clock.Advance(10 * time.Minute)
	f.none(f.lam)
}

// waitStats waits until a rule's counters satisfy ok (retries run in
// their own goroutines when the clock fires them).
func waitStats(t *testing.T, f *fixture, arn string, ok func(RuleStats) bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute) // generous for a loaded machine; the loop ends as soon as the condition holds
	for !ok(f.Stats(arn)) {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v", f.Stats(arn))
		}
		time.Sleep(time.Millisecond)
	}
}

// waitTimer waits until a firing has armed the next timer (firings run in
// their own goroutine).
func waitTimer(t *testing.T, f *fixture) {
	t.Helper()
	deadline := time.Now().Add(time.Minute) // generous for a loaded machine; the loop ends as soon as the condition holds
	for f.clock.Waiters() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("next firing not armed")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestCronScheduleFiresAtItsTimes(t *testing.T) {
	f := newFixture(t)
	f.rule("weekday-morning", "", "cron(0 8 ? * MON-FRI *)", target("fn", fnARN)) // t0 is Monday 10:00
	f.clock.Set(time.Date(2024, 1, 2, 7, 59, 0, 0, time.UTC))
	f.none(f.lam)
	f.clock.Set(time.Date(2024, 1, 2, 8, 0, 0, 0, time.UTC))
	if m := f.next(f.lam); !strings.Contains(m.Body, `"time":"2024-01-02T08:00:00Z"`) {
		t.Fatal(m.Body)
	}
	waitTimer(t, f)
	f.clock.Set(time.Date(2024, 1, 3, 8, 0, 0, 0, time.UTC))
	if m := f.next(f.lam); !strings.Contains(m.Body, `"time":"2024-01-03T08:00:00Z"`) {
		t.Fatal(m.Body)
	}
	// Friday -> Monday: nothing on the weekend.
	waitTimer(t, f)
	f.clock.Set(time.Date(2024, 1, 5, 8, 0, 0, 0, time.UTC))
	f.next(f.lam)
	waitTimer(t, f)
	f.clock.Set(time.Date(2024, 1, 7, 23, 0, 0, 0, time.UTC))
	f.none(f.lam)
	f.clock.Set(time.Date(2024, 1, 8, 8, 0, 0, 0, time.UTC))
	if m := f.next(f.lam); !strings.Contains(m.Body, `"time":"2024-01-08T08:00:00Z"`) {
		t.Fatal(m.Body)
	}
}

func TestScheduleSurvivesRestart(t *testing.T) {
	f := newFixture(t)
	f.rule("s", "", "cron(0/5 * * * ? *)", target("fn", fnARN))
	_ = f.Events.Close()
	g := newFixtureOn(t, f.h)
	f.clock.Advance(5 * time.Minute)
	g.next(g.lam)
}

func TestCrossBusTarget(t *testing.T) {
	f := newFixture(t)
	busArn := *must(f.CreateEventBus(f.ctx, &eventsapi.CreateEventBusRequest{Name: ptr.To("orders")})).EventBusArn
	f.rule("fwd", `{"source":["aws.ec2"]}`, "", target("bus", busArn))
	must(f.PutRule(f.ctx, &eventsapi.PutRuleRequest{Name: ptr.To("onbus"), EventBusName: ptr.To("orders"), EventPattern: ptr.To(`{"detail":{"state":["running"]}}`)}))
	must(f.PutTargets(f.ctx, &eventsapi.PutTargetsRequest{Rule: ptr.To("onbus"), EventBusName: ptr.To("orders"), Targets: []eventsapi.Target{target("q", queueARN)}}))
	f.bus.Publish(ec2Event("running"))
	m := f.next(f.sqs)
	if m.SourceARN != "arn:aws:events:ap-northeast-1:123456789012:rule/orders/onbus" || !strings.Contains(m.Body, `"source":"aws.ec2"`) {
		t.Fatalf("%+v", m)
	}
}

func TestCrossAccountPutEventsNeedsBusPolicy(t *testing.T) {
	f := newFixture(t)
	other := f.h.CtxAs(servicetest.Root("210987654321"))
	entry := []eventsapi.PutEventsRequestEntry{{Source: ptr.To("app"), DetailType: ptr.To("x"), Detail: ptr.To(`{}`),
		EventBusName: ptr.To("arn:aws:events:ap-northeast-1:123456789012:event-bus/default")}}
	out := must(f.PutEvents(other, &eventsapi.PutEventsRequest{Entries: entry}))
	if ptr.Deref(out.Entries[0].ErrorCode) != "AccessDeniedException" {
		t.Fatalf("%+v", out.Entries[0])
	}
	must(f.PutPermission(f.ctx, &eventsapi.PutPermissionRequest{Action: ptr.To("events:PutEvents"), Principal: ptr.To("210987654321"), StatementId: ptr.To("allow")}))
	d := must(f.DescribeEventBus(f.ctx, &eventsapi.DescribeEventBusRequest{}))
	if !strings.Contains(ptr.Deref(d.Policy), `"AWS":"arn:aws:iam::210987654321:root"`) {
		t.Fatalf("policy %s", ptr.Deref(d.Policy))
	}
	f.rule("all", `{"source":["app"]}`, "", target("q", queueARN))
	out = must(f.PutEvents(other, &eventsapi.PutEventsRequest{Entries: entry}))
	if *out.FailedEntryCount != 0 {
		t.Fatalf("%+v", out.Entries[0])
	}
	if m := f.next(f.sqs); !strings.Contains(m.Body, `"account":"210987654321"`) {
		t.Fatalf("%s", m.Body)
	}
	must(f.RemovePermission(f.ctx, &eventsapi.RemovePermissionRequest{StatementId: ptr.To("allow")}))
	_, err := f.RemovePermission(f.ctx, &eventsapi.RemovePermissionRequest{StatementId: ptr.To("allow")})
	wantErr(t, err, "ResourceNotFoundException", "")
}

func TestRuleErrors(t *testing.T) {
	f := newFixture(t)
	_, err := f.DescribeRule(f.ctx, &eventsapi.DescribeRuleRequest{Name: ptr.To("nope")})
	wantErr(t, err, "ResourceNotFoundException", "Rule nope does not exist on EventBus default.")
	_, err = f.PutRule(f.ctx, &eventsapi.PutRuleRequest{Name: ptr.To("x")})
	wantErr(t, err, "ValidationException", "Parameter(s) EventPattern or ScheduleExpression must be specified.")
	_, err = f.PutRule(f.ctx, &eventsapi.PutRuleRequest{Name: ptr.To("x"), EventPattern: ptr.To(`{"source":"aws.ec2"}`)})
	wantErr(t, err, "InvalidEventPatternException", `Event pattern is not valid. Reason: "source" must be an object or an array`)
	_, err = f.PutRule(f.ctx, &eventsapi.PutRuleRequest{Name: ptr.To("x"), ScheduleExpression: ptr.To("rate(1 minutes)")})
	wantErr(t, err, "ValidationException", "Parameter ScheduleExpression is not valid.")
	must(f.CreateEventBus(f.ctx, &eventsapi.CreateEventBusRequest{Name: ptr.To("custom")}))
	_, err = f.PutRule(f.ctx, &eventsapi.PutRuleRequest{Name: ptr.To("x"), EventBusName: ptr.To("custom"), ScheduleExpression: ptr.To("rate(5 minutes)")})
	wantErr(t, err, "ValidationException", "ScheduleExpression is supported only on the default event bus.")
	_, err = f.PutRule(f.ctx, &eventsapi.PutRuleRequest{Name: ptr.To("x"), EventBusName: ptr.To("nobus"), EventPattern: ptr.To(`{"source":["a"]}`)})
	wantErr(t, err, "ResourceNotFoundException", "Event bus nobus does not exist.")
	_, err = f.CreateEventBus(f.ctx, &eventsapi.CreateEventBusRequest{Name: ptr.To("custom")})
	wantErr(t, err, "ResourceAlreadyExistsException", "Event bus custom already exists.")
	_, err = f.DeleteEventBus(f.ctx, &eventsapi.DeleteEventBusRequest{Name: ptr.To("default")})
	wantErr(t, err, "ValidationException", "Cannot delete event bus default.")

	f.rule("withtargets", `{"source":["a"]}`, "", target("a", queueARN))
	_, err = f.DeleteRule(f.ctx, &eventsapi.DeleteRuleRequest{Name: ptr.To("withtargets")})
	wantErr(t, err, "ValidationException", "Rule can't be deleted since it has targets.")
	var ts []eventsapi.Target
	for _, id := range []string{"1", "2", "3", "4", "5"} {
		ts = append(ts, target(id, queueARN))
	}
	_, err = f.PutTargets(f.ctx, &eventsapi.PutTargetsRequest{Rule: ptr.To("withtargets"), Targets: ts})
	wantErr(t, err, "LimitExceededException", "")
	rm := must(f.RemoveTargets(f.ctx, &eventsapi.RemoveTargetsRequest{Rule: ptr.To("withtargets"), Ids: []string{"a", "zz"}}))
	if *rm.FailedEntryCount != 1 || *rm.FailedEntries[0].TargetId != "zz" {
		t.Fatalf("%+v", rm)
	}
	must(f.DeleteRule(f.ctx, &eventsapi.DeleteRuleRequest{Name: ptr.To("withtargets")}))
	must(f.DeleteRule(f.ctx, &eventsapi.DeleteRuleRequest{Name: ptr.To("withtargets")})) // idempotent
	_, err = f.PutTargets(f.ctx, &eventsapi.PutTargetsRequest{Rule: ptr.To("r"), Targets: []eventsapi.Target{{Id: ptr.To("x"), Arn: ptr.To(queueARN), Input: ptr.To("{bad")}}})
	wantErr(t, err, "ValidationException", "Input")
	f.rule("fifo", `{"source":["a"]}`, "")
	_, err = f.PutTargets(f.ctx, &eventsapi.PutTargetsRequest{Rule: ptr.To("fifo"), Targets: []eventsapi.Target{target("f", queueARN+".fifo")}})
	wantErr(t, err, "ValidationException", "SqsParameters")
}

func TestManagedRuleProtection(t *testing.T) {
	f := newFixture(t)
	if err := f.PutManagedRule(testAccount, testRegion, "AutoScalingManagedRule", "autoscaling.amazonaws.com", `{"source":["aws.ec2"]}`,
		[]eventsapi.Target{target("t", queueARN)}); err != nil {
		t.Fatal(err)
	}
	_, err := f.PutRule(f.ctx, &eventsapi.PutRuleRequest{Name: ptr.To("AutoScalingManagedRule"), EventPattern: ptr.To(`{"source":["x"]}`)})
	wantErr(t, err, "ManagedRuleException", "")
	_, err = f.DisableRule(f.ctx, &eventsapi.DisableRuleRequest{Name: ptr.To("AutoScalingManagedRule")})
	wantErr(t, err, "ManagedRuleException", "")
	_, err = f.RemoveTargets(f.ctx, &eventsapi.RemoveTargetsRequest{Rule: ptr.To("AutoScalingManagedRule"), Ids: []string{"t"}})
	wantErr(t, err, "ManagedRuleException", "")
	must(f.RemoveTargets(f.ctx, &eventsapi.RemoveTargetsRequest{Rule: ptr.To("AutoScalingManagedRule"), Ids: []string{"t"}, Force: ptr.To(true)}))
	d := must(f.DescribeRule(f.ctx, &eventsapi.DescribeRuleRequest{Name: ptr.To("AutoScalingManagedRule")}))
	if ptr.Deref(d.ManagedBy) != "autoscaling.amazonaws.com" {
		t.Fatalf("%+v", d)
	}
	must(f.DeleteRule(f.ctx, &eventsapi.DeleteRuleRequest{Name: ptr.To("AutoScalingManagedRule"), Force: ptr.To(true)}))
}

func TestListingAndPaging(t *testing.T) {
	f := newFixture(t)
	for _, n := range []string{"a1", "a2", "a3", "b1"} {
		f.rule(n, `{"source":["x"]}`, "", target("t", queueARN))
	}
	p1 := must(f.ListRules(f.ctx, &eventsapi.ListRulesRequest{NamePrefix: ptr.To("a"), Limit: ptr.To(int32(2))}))
	if len(p1.Rules) != 2 || p1.NextToken == nil {
		t.Fatalf("%+v", p1)
	}
	p2 := must(f.ListRules(f.ctx, &eventsapi.ListRulesRequest{NamePrefix: ptr.To("a"), Limit: ptr.To(int32(2)), NextToken: p1.NextToken}))
	if len(p2.Rules) != 1 || *p2.Rules[0].Name != "a3" || p2.NextToken != nil {
		t.Fatalf("%+v", p2)
	}
	names := must(f.ListRuleNamesByTarget(f.ctx, &eventsapi.ListRuleNamesByTargetRequest{TargetArn: ptr.To(queueARN)}))
	if strings.Join(names.RuleNames, ",") != "a1,a2,a3,b1" {
		t.Fatalf("%v", names.RuleNames)
	}
	lt := must(f.ListTargetsByRule(f.ctx, &eventsapi.ListTargetsByRuleRequest{Rule: ptr.To("a1")}))
	if len(lt.Targets) != 1 || *lt.Targets[0].Arn != queueARN {
		t.Fatalf("%+v", lt)
	}
	buses := must(f.ListEventBuses(f.ctx, &eventsapi.ListEventBusesRequest{}))
	if len(buses.EventBuses) != 1 || *buses.EventBuses[0].Name != "default" {
		t.Fatalf("%+v", buses)
	}
}

func TestTags(t *testing.T) {
	f := newFixture(t)
	arn := f.rule("r", `{"source":["x"]}`, "")
	must(f.TagResource(f.ctx, &eventsapi.TagResourceRequest{ResourceARN: ptr.To(arn), Tags: []eventsapi.Tag{{Key: ptr.To("k"), Value: ptr.To("v")}, {Key: ptr.To("a"), Value: ptr.To("b")}}}))
	must(f.UntagResource(f.ctx, &eventsapi.UntagResourceRequest{ResourceARN: ptr.To(arn), TagKeys: []string{"a"}}))
	tags := must(f.ListTagsForResource(f.ctx, &eventsapi.ListTagsForResourceRequest{ResourceARN: ptr.To(arn)}))
	if len(tags.Tags) != 1 || *tags.Tags[0].Key != "k" {
		t.Fatalf("%+v", tags)
	}
	busArn := "arn:aws:events:ap-northeast-1:123456789012:event-bus/default"
	must(f.TagResource(f.ctx, &eventsapi.TagResourceRequest{ResourceARN: ptr.To(busArn), Tags: []eventsapi.Tag{{Key: ptr.To("env"), Value: ptr.To("test")}}}))
	if tags := must(f.ListTagsForResource(f.ctx, &eventsapi.ListTagsForResourceRequest{ResourceARN: ptr.To(busArn)})); len(tags.Tags) != 1 {
		t.Fatalf("%+v", tags)
	}
	_, err := f.ListTagsForResource(f.ctx, &eventsapi.ListTagsForResourceRequest{ResourceARN: ptr.To("arn:aws:events:ap-northeast-1:123456789012:rule/nope")})
	wantErr(t, err, "ResourceNotFoundException", "Rule nope does not exist")
}

func TestTestEventPattern(t *testing.T) {
	f := newFixture(t)
	ev := `{"id":"1","detail-type":"x","source":"aws.ec2","account":"1","time":"2024-01-01T00:00:00Z","region":"r","resources":[],"detail":{"state":"running"}}`
	out := must(f.TestEventPattern(f.ctx, &eventsapi.TestEventPatternRequest{EventPattern: ptr.To(s1), Event: ptr.To(ev)}))
	if *out.Result {
		t.Fatal("detail-type differs: want false")
	}
	out = must(f.TestEventPattern(f.ctx, &eventsapi.TestEventPatternRequest{EventPattern: ptr.To(`{"detail":{"state":[{"prefix":"run"}]}}`), Event: ptr.To(ev)}))
	if !*out.Result {
		t.Fatal("want true")
	}
	_, err := f.TestEventPattern(f.ctx, &eventsapi.TestEventPatternRequest{EventPattern: ptr.To(`{}`), Event: ptr.To(ev)})
	wantErr(t, err, "InvalidEventPatternException", "Empty objects are not allowed")
	_, err = f.TestEventPattern(f.ctx, &eventsapi.TestEventPatternRequest{EventPattern: ptr.To(s1), Event: ptr.To(`{"source":"x"}`)})
	wantErr(t, err, "ValidationException", "Parameter Event is not valid.")
}

func TestArchiveAndReplay(t *testing.T) {
	f := newFixture(t)
	busArn := "arn:aws:events:ap-northeast-1:123456789012:event-bus/default"
	must(f.CreateArchive(f.ctx, &eventsapi.CreateArchiveRequest{ArchiveName: ptr.To("ec2"), EventSourceArn: ptr.To(busArn), EventPattern: ptr.To(`{"source":["aws.ec2"]}`)}))
	f.bus.Publish(ec2Event("running"))
	f.bus.Publish(ibus.Event{Source: "other", DetailType: "x", Account: testAccount, Region: testRegion, Time: t0})
	f.drain()
	d := must(f.DescribeArchive(f.ctx, &eventsapi.DescribeArchiveRequest{ArchiveName: ptr.To("ec2")}))
	if *d.EventCount != 1 || *d.SizeBytes == 0 {
		t.Fatalf("%+v", d)
	}
	ruleArn := f.rule("r", `{"source":["aws.ec2"]}`, "", target("q", queueARN))
	f.clock.Advance(time.Hour)
	_, err := f.StartReplay(f.ctx, &eventsapi.StartReplayRequest{ReplayName: ptr.To("rp"), EventSourceArn: ptr.To("arn:aws:events:ap-northeast-1:123456789012:archive/ec2"),
		EventStartTime: ptr.To(t0.Add(-time.Minute)), EventEndTime: ptr.To(t0.Add(time.Minute)),
		Destination: &eventsapi.ReplayDestination{Arn: ptr.To(busArn), FilterArns: []string{ruleArn}}})
	if err != nil {
		t.Fatal(err)
	}
	m := f.next(f.sqs)
	if !strings.Contains(m.Body, `"replay-name":"rp"`) {
		t.Fatalf("%s", m.Body)
	}
	f.drain()
	rp := must(f.DescribeReplay(f.ctx, &eventsapi.DescribeReplayRequest{ReplayName: ptr.To("rp")}))
	if *rp.State != "COMPLETED" || rp.ReplayEndTime == nil {
		t.Fatalf("%+v", rp)
	}
	// Replayed events are not archived again.
	f.drain()
	if d := must(f.DescribeArchive(f.ctx, &eventsapi.DescribeArchiveRequest{ArchiveName: ptr.To("ec2")})); *d.EventCount != 1 {
		t.Fatalf("%+v", d)
	}
	_, err = f.CreateArchive(f.ctx, &eventsapi.CreateArchiveRequest{ArchiveName: ptr.To("ec2"), EventSourceArn: ptr.To(busArn)})
	wantErr(t, err, "ResourceAlreadyExistsException", "Archive ec2 already exists.")
	must(f.DeleteArchive(f.ctx, &eventsapi.DeleteArchiveRequest{ArchiveName: ptr.To("ec2")}))
	_, err = f.DescribeArchive(f.ctx, &eventsapi.DescribeArchiveRequest{ArchiveName: ptr.To("ec2")})
	wantErr(t, err, "ResourceNotFoundException", "Archive ec2 does not exist.")
}

// A replay is STARTING when StartReplay returns; CancelReplay makes it
// CANCELLING, then CANCELLED without replaying; a finished replay cannot
// be cancelled.
func TestReplayStatesAndCancel(t *testing.T) {
	f := newFixture(t)
	gate := make(chan struct{})
	f.beforeReplay = func() { <-gate }
	busArn := "arn:aws:events:ap-northeast-1:123456789012:event-bus/default"
	archArn := "arn:aws:events:ap-northeast-1:123456789012:archive/all"
	must(f.CreateArchive(f.ctx, &eventsapi.CreateArchiveRequest{ArchiveName: ptr.To("all"), EventSourceArn: ptr.To(busArn)}))
	f.rule("r", `{"source":["aws.ec2"]}`, "", target("q", queueARN))
	f.bus.Publish(ec2Event("running"))
	f.next(f.sqs)
	f.clock.Advance(time.Hour)
	start := func(name string) {
		out, err := f.StartReplay(f.ctx, &eventsapi.StartReplayRequest{ReplayName: ptr.To(name), EventSourceArn: ptr.To(archArn),
			EventStartTime: ptr.To(t0.Add(-time.Minute)), EventEndTime: ptr.To(t0.Add(time.Minute)), Destination: &eventsapi.ReplayDestination{Arn: ptr.To(busArn)}})
		if err != nil || *out.State != "STARTING" {
			t.Fatalf("%+v %v", out, err)
		}
	}
	state := func(name string) string {
		return *must(f.DescribeReplay(f.ctx, &eventsapi.DescribeReplayRequest{ReplayName: ptr.To(name)})).State
	}
	start("cancelled")
	if s := state("cancelled"); s != "STARTING" {
		t.Fatal(s)
	}
	c := must(f.CancelReplay(f.ctx, &eventsapi.CancelReplayRequest{ReplayName: ptr.To("cancelled")}))
	if *c.State != "CANCELLING" || state("cancelled") != "CANCELLING" {
		t.Fatalf("%+v", c)
	}
	gate <- struct{}{}
	f.none(f.sqs)
	if s := state("cancelled"); s != "CANCELLED" {
		t.Fatal(s)
	}
	start("done")
	gate <- struct{}{}
	f.next(f.sqs)
	f.drain()
	if s := state("done"); s != "COMPLETED" {
		t.Fatal(s)
	}
	_, err := f.CancelReplay(f.ctx, &eventsapi.CancelReplayRequest{ReplayName: ptr.To("done")})
	wantErr(t, err, "IllegalStatusException", "Replay done is not in a valid state for this operation.")
}

func TestFIFOTargetGetsGroupAndDedup(t *testing.T) {
	f := newFixture(t)
	f.rule("r", `{"source":["aws.ec2"]}`, "", eventsapi.Target{Id: ptr.To("f"), Arn: ptr.To(queueARN + ".fifo"),
		SqsParameters: &eventsapi.SqsParameters{MessageGroupId: ptr.To("g1")}})
	f.bus.Publish(ec2Event("running"))
	m := f.next(f.sqs)
	if m.MessageGroupID != "g1" || m.DeduplicationID != "7bf73129-1428-4cd3-a780-95db273d1602" {
		t.Fatalf("%+v", m)
	}
}

func TestBindsEveryImplementedOperation(t *testing.T) {
	b := eventsapi.Bind(&Events{})
	for _, op := range []string{"PutRule", "DescribeRule", "ListRules", "EnableRule", "DisableRule", "DeleteRule", "PutTargets",
		"RemoveTargets", "ListTargetsByRule", "ListRuleNamesByTarget", "PutEvents", "TestEventPattern", "CreateEventBus",
		"DescribeEventBus", "ListEventBuses", "DeleteEventBus", "PutPermission", "RemovePermission", "TagResource",
		"UntagResource", "ListTagsForResource", "CreateArchive", "DescribeArchive", "ListArchives", "UpdateArchive",
		"DeleteArchive", "StartReplay", "DescribeReplay", "ListReplays", "CancelReplay", "CreateConnection", "DescribeConnection",
		"ListConnections", "UpdateConnection", "DeauthorizeConnection", "DeleteConnection", "CreateApiDestination",
		"DescribeApiDestination", "ListApiDestinations", "UpdateApiDestination", "DeleteApiDestination"} {
		if _, ok := b[op]; !ok {
			t.Errorf("%s is not bound", op)
		}
	}
}

var _ = clock.NewFake

// RetentionDays: events older than the retention leave the archive (its
// count and size) and are never replayed.
func TestArchiveRetention(t *testing.T) {
	f := newFixture(t)
	busArn := "arn:aws:events:ap-northeast-1:123456789012:event-bus/default"
	must(f.CreateArchive(f.ctx, &eventsapi.CreateArchiveRequest{ArchiveName: ptr.To("short"), EventSourceArn: ptr.To(busArn), RetentionDays: ptr.To(int32(1))}))
	must(f.CreateArchive(f.ctx, &eventsapi.CreateArchiveRequest{ArchiveName: ptr.To("forever"), EventSourceArn: ptr.To(busArn)}))
	f.bus.Publish(ec2Event("running")) // at t0
	f.drain()
	f.clock.Advance(48 * time.Hour)
	later := ec2Event("stopped")
	later.Time, later.ID = f.clock.Now(), "second"
	f.bus.Publish(later)
	f.drain()
	count := func(name string) int64 {
		return *must(f.DescribeArchive(f.ctx, &eventsapi.DescribeArchiveRequest{ArchiveName: ptr.To(name)})).EventCount
	}
	if count("short") != 1 || count("forever") != 2 {
		t.Fatalf("short %d, forever %d", count("short"), count("forever"))
	}
	f.rule("r", `{"source":["aws.ec2"]}`, "", target("q", queueARN))
	f.clock.Advance(time.Minute)
	must(f.StartReplay(f.ctx, &eventsapi.StartReplayRequest{ReplayName: ptr.To("rp"), EventSourceArn: ptr.To("arn:aws:events:ap-northeast-1:123456789012:archive/short"),
		EventStartTime: ptr.To(t0.Add(-time.Hour)), EventEndTime: ptr.To(f.clock.Now()), Destination: &eventsapi.ReplayDestination{Arn: ptr.To(busArn)}}))
	if m := f.next(f.sqs); !strings.Contains(m.Body, `"state":"stopped"`) {
		t.Fatal(m.Body)
	}
	f.none(f.sqs)
}
