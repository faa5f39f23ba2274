package scheduler

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/niwa-cloud/niwa/e2e/framework"
	"github.com/niwa-cloud/niwa/e2e/framework/inprocess"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/niwatest"
)

// Monday 1 January 2024, 10:00 UTC: where the moved clock starts.
var t0 = time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC)

// start runs an in-process niwa on a fake clock. Signatures carry the
// real time, which the moved clock leaves behind, so they are not checked.
func start(t *testing.T) (*framework.Niwa, *clock.Fake, *sqs.Client) {
	clk := niwatest.NewFakeClock(t0)
	nt := niwatest.Start(t, niwatest.WithClock(clk), niwatest.WithSkipSignatureValidation())
	return inprocess.FromNiwatest(t, nt), clk, sqs.NewFromConfig(nt.AWSConfig())
}

func run(t *testing.T, n *framework.Niwa, cli framework.CLI, args ...string) string {
	t.Helper()
	out, errOut, err := n.RunCLI(t, cli, nil, args...)
	if err != nil {
		t.Fatalf("aws %s (%s): %v\n%s", strings.Join(args, " "), cli.Name, err, errOut)
	}
	return out
}

// A one-time at() schedule fires when niwa's clock reaches it, delivering
// its input to the SQS target as the execution role; with
// ActionAfterCompletion DELETE it is gone afterwards.
// https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
func TestSchedulerAtOnMovedClock(t *testing.T) {
	t.Parallel()
	n, clk, sq := start(t)
	cli := framework.CLIs[0]
	role := framework.JSONField(t, run(t, n, cli, "iam", "create-role", "--role-name", "sched", "--assume-role-policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"scheduler.amazonaws.com"},"Action":"sts:AssumeRole"}]}`), "Arn")
	run(t, n, cli, "iam", "put-role-policy", "--role-name", "sched", "--policy-name", "send", "--policy-document",
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"}]}`)
	for i, c := range framework.CLIs {
		t.Run(c.Name, func(t *testing.T) {
			qURL, qArn := framework.GoQueue(t, sq, "sched-"+c.Name)
			at := t0.Add(time.Duration(i+1) * time.Hour)
			target, _ := json.Marshal(map[string]any{"Arn": qArn, "RoleArn": role, "Input": `{"job":"<aws.scheduler.scheduled-time>"}`})
			args := []string{"scheduler", "create-schedule", "--name", "once-" + c.Name, "--schedule-expression", "at(" + at.Format("2006-01-02T15:04:05") + ")",
				"--flexible-time-window", "Mode=OFF", "--target", string(target)}
			// CLI v2 2.9 predates ActionAfterCompletion: its schedule
			// stays after running (NONE).
			deletes := c.Name == "v1"
			if deletes {
				args = append(args, "--action-after-completion", "DELETE")
			}
			out := run(t, n, c, args...)
			if !strings.Contains(out, `"ScheduleArn": "arn:aws:scheduler:`+n.Region+`:000000000000:schedule/default/once-`+c.Name+`"`) {
				t.Fatal(out)
			}
			clk.Set(at.Add(-time.Minute))
			if b := framework.ReceiveBodies(t, sq, qURL, 0); len(b) != 0 {
				t.Fatalf("fired early: %v", b)
			}
			clk.Set(at)
			b := framework.WaitBodies(t, sq, qURL)
			if len(b) != 1 || b[0] != `{"job":"`+at.Format(time.RFC3339)+`"}` {
				t.Fatalf("%q", b)
			}
			if !deletes {
				if out := run(t, n, c, "scheduler", "get-schedule", "--name", "once-"+c.Name); !strings.Contains(out, `"Name": "once-`+c.Name+`"`) {
					t.Fatal(out)
				}
				return
			}
			framework.WaitUntil(t, framework.Patience, func() bool {
				_, errOut, err := n.RunCLI(t, c, nil, "scheduler", "get-schedule", "--name", "once-"+c.Name)
				return err != nil && strings.Contains(errOut, "ResourceNotFoundException")
			}, "the completed schedule to be deleted")
		})
	}

	// A target the role may not reach (a missing queue) is dead-lettered
	// after its retries with Scheduler's attributes.
	dlqURL, dlqArn := framework.GoQueue(t, sq, "sched-dlq")
	missing := strings.Replace(dlqArn, "sched-dlq", "no-such-queue", 1)
	target, _ := json.Marshal(map[string]any{"Arn": missing, "RoleArn": role, "Input": "lost",
		"RetryPolicy": map[string]int{"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60}, "DeadLetterConfig": map[string]string{"Arn": dlqArn}})
	at := t0.Add(5 * time.Hour)
	run(t, n, cli, "scheduler", "create-schedule", "--name", "lost", "--schedule-expression", "at("+at.Format("2006-01-02T15:04:05")+")",
		"--flexible-time-window", "Mode=OFF", "--target", string(target))
	clk.Set(at)
	var msgs []sqstypes.Message
	framework.WaitUntil(t, framework.Patience, func() bool {
		out, err := sq.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(dlqURL), WaitTimeSeconds: 1, MessageAttributeNames: []string{"All"}})
		if err != nil {
			t.Fatal(err)
		}
		msgs = out.Messages
		return len(msgs) > 0
	}, "a dead letter")
	a := msgs[0].MessageAttributes
	if aws.ToString(msgs[0].Body) != "lost" || aws.ToString(a["TARGET_ARN"].StringValue) != missing ||
		!strings.HasSuffix(aws.ToString(a["SCHEDULE_ARN"].StringValue), ":schedule/default/lost") || aws.ToString(a["ERROR_CODE"].StringValue) != "AWS.SimpleQueueService.NonExistentQueue" {
		t.Fatalf("%s %+v", aws.ToString(msgs[0].Body), a)
	}
}

const schedulerScript = `
import boto3, json
s = boto3.client("scheduler")
s.create_schedule_group(Name="team", Tags=[{"Key":"env","Value":"dev"}])
g = s.get_schedule_group(Name="team")
assert g["State"] == "ACTIVE" and g["Arn"].endswith(":schedule-group/team"), g
assert s.list_tags_for_resource(ResourceArn=g["Arn"])["Tags"] == [{"Key":"env","Value":"dev"}]
t = {"Arn": "arn:aws:sqs:%s:000000000000:nowhere" % s.meta.region_name, "RoleArn": "arn:aws:iam::000000000000:role/x"}
s.create_schedule(Name="nightly", GroupName="team", ScheduleExpression="cron(0 2 * * ? *)", ScheduleExpressionTimezone="Asia/Tokyo",
    FlexibleTimeWindow={"Mode":"FLEXIBLE","MaximumWindowInMinutes":15}, Target=t)
got = s.get_schedule(Name="nightly", GroupName="team")
assert got["ScheduleExpressionTimezone"] == "Asia/Tokyo" and got["FlexibleTimeWindow"] == {"Mode":"FLEXIBLE","MaximumWindowInMinutes":15}, got
names = [x["Name"] for x in s.list_schedules(GroupName="team")["Schedules"]]
assert names == ["nightly"], names
for expr, code in (("rate(0 minutes)", "ValidationException"), ("at(2024-13-01T00:00:00)", "ValidationException")):
    try:
        s.create_schedule(Name="bad", ScheduleExpression=expr, FlexibleTimeWindow={"Mode":"OFF"}, Target=t)
        raise AssertionError(expr + " accepted")
    except s.exceptions.ValidationException as e:
        assert "Invalid Schedule Expression" in str(e), e
try:
    s.create_schedule(Name="nightly", GroupName="team", ScheduleExpression="rate(1 day)", FlexibleTimeWindow={"Mode":"OFF"}, Target=t)
    raise AssertionError("duplicate accepted")
except s.exceptions.ConflictException:
    pass
groups = [x["Name"] for x in s.list_schedule_groups()["ScheduleGroups"]]
assert groups == ["default", "team"], groups
s.delete_schedule_group(Name="team")
assert s.list_schedules()["Schedules"] == []
try:
    s.get_schedule(Name="nightly", GroupName="team")
    raise AssertionError("schedule survived its group")
except s.exceptions.ResourceNotFoundException:
    pass
print("ok")
`

// boto3 manages schedule groups and schedules with time zones and
// flexible windows and gets Scheduler's errors.
func TestSchedulerBoto3(t *testing.T) {
	t.Parallel()
	n, _, _ := start(t)
	if out := strings.TrimSpace(n.Python(t, schedulerScript)); out != "ok" {
		t.Fatalf("script output %q", out)
	}
}
