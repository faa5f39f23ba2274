package eventsdelivery

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

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
	n, clk, cfg := startCfg(t)
	return n, clk, sqs.NewFromConfig(cfg)
}

func startCfg(t *testing.T) (*framework.Niwa, *clock.Fake, aws.Config) {
	clk := niwatest.NewFakeClock(t0)
	nt := niwatest.Start(t, niwatest.WithClock(clk), niwatest.WithSkipSignatureValidation())
	return inprocess.FromNiwatest(t, nt), clk, nt.AWSConfig()
}

// putRule creates a rule with targets through the Go SDK and returns its
// ARN.
func putRule(t *testing.T, eb *eventbridge.Client, name, pattern string, targets ...ebtypes.Target) string {
	t.Helper()
	r, err := eb.PutRule(context.Background(), &eventbridge.PutRuleInput{Name: aws.String(name), EventPattern: aws.String(pattern)})
	if err != nil {
		t.Fatal(err)
	}
	out, err := eb.PutTargets(context.Background(), &eventbridge.PutTargetsInput{Rule: aws.String(name), Targets: targets})
	if err != nil || out.FailedEntryCount != 0 {
		t.Fatalf("put-targets: %v %+v", err, out)
	}
	return aws.ToString(r.RuleArn)
}

func run(t *testing.T, n *framework.Niwa, cli framework.CLI, args ...string) string {
	t.Helper()
	out, errOut, err := n.RunCLI(t, cli, nil, args...)
	if err != nil {
		t.Fatalf("aws %s (%s): %v\n%s", strings.Join(args, " "), cli.Name, err, errOut)
	}
	return out
}

// An input transformer's template gets the event's values with AWS's
// quoting (bare text inside a JSON string, JSON values outside) and the
// reserved <aws.events.rule-arn>; the SQS target receives exactly that.
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
func TestInputTransformerToSQS(t *testing.T) {
	t.Parallel()
	n, _, sq := start(t)
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			t.Parallel()
			qURL, qArn := framework.GoQueue(t, sq, "xform-"+cli.Name)
			rule := "orders-" + cli.Name
			ruleArn := framework.JSONField(t, run(t, n, cli, "events", "put-rule", "--name", rule, "--event-pattern", `{"source":["com.shop.`+cli.Name+`"]}`), "RuleArn")
			targets, _ := json.Marshal([]map[string]any{{"Id": "q", "Arn": qArn, "InputTransformer": map[string]any{
				"InputPathsMap": map[string]string{"id": "$.detail.id", "amount": "$.detail.amount", "items": "$.detail.items"},
				"InputTemplate": `{"text": "order <id> of <amount>", "amount": <amount>, "items": <items>, "rule": "<aws.events.rule-arn>"}`,
			}}})
			if out := run(t, n, cli, "events", "put-targets", "--rule", rule, "--targets", string(targets)); !strings.Contains(out, `"FailedEntryCount": 0`) {
				t.Fatal(out)
			}
			// Each subtest has its own source: both run at once on one bus,
			// and a shared pattern would deliver each event to both queues.
			entries := `[{"Source":"com.shop.` + cli.Name + `","DetailType":"Order","Detail":"{\"id\":\"o-1\",\"amount\":12.5,\"items\":[\"a\",\"b\"]}"}]`
			run(t, n, cli, "events", "put-events", "--entries", entries)
			b := framework.WaitBodies(t, sq, qURL)
			want := `{"text": "order o-1 of 12.5", "amount": 12.5, "items": ["a","b"], "rule": "` + ruleArn + `"}`
			if len(b) != 1 || b[0] != want {
				t.Fatalf("got %q\nwant %q", b, want)
			}
			// Only one of Input, InputPath and InputTransformer.
			_, errOut, err := n.RunCLI(t, cli, nil, "events", "put-targets", "--rule", rule, "--targets",
				`[{"Id":"x","Arn":"`+qArn+`","Input":"{}","InputPath":"$.detail"}]`)
			if err == nil || !strings.Contains(errOut, "ValidationException") || !strings.Contains(errOut, "Only one of Input, InputPath, or InputTransformer") {
				t.Fatalf("both Input and InputPath: %v %s", err, errOut)
			}
		})
	}
}

const deadLetterScript = `
import boto3, json
ev, sqs = boto3.client("events"), boto3.client("sqs")
url = sqs.create_queue(QueueName="dlq")["QueueUrl"]
arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sqs:SendMessage","Resource":arn}]})})
rule = ev.put_rule(Name="to-missing", EventPattern=json.dumps({"source":["com.shop"]}))["RuleArn"]
missing = arn.replace(":sqs:", ":sns:").rsplit(":", 1)[0] + ":no-such-topic"
r = ev.put_targets(Rule="to-missing", Targets=[{"Id":"t","Arn":missing,
    "RetryPolicy":{"MaximumRetryAttempts":0,"MaximumEventAgeInSeconds":60},"DeadLetterConfig":{"Arn":arn}}])
assert r["FailedEntryCount"] == 0, r
try:
    ev.put_targets(Rule="to-missing", Targets=[{"Id":"u","Arn":missing,"RetryPolicy":{"MaximumRetryAttempts":186}}])
    raise AssertionError("186 retries accepted")
except ev.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "ValidationException", e.response
ev.put_events(Entries=[{"Source":"com.shop","DetailType":"Order","Detail":json.dumps({"id":"o-2"})}])
for _ in range(60):
    msgs = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1, MessageAttributeNames=["All"]).get("Messages", [])
    if msgs:
        break
else:
    raise AssertionError("nothing dead-lettered")
m = msgs[0]
a = {k: v["StringValue"] for k, v in m["MessageAttributes"].items()}
assert a["RULE_ARN"] == rule and a["TARGET_ARN"] == missing, a
assert a["ERROR_CODE"] and a["ERROR_MESSAGE"], a
assert json.loads(m["Body"])["detail"] == {"id": "o-2"}, m["Body"]
print("ok")
`

// A target that cannot be delivered to is dead-lettered once its retry
// policy is exhausted, with the attributes AWS documents.
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html
func TestDeadLetterQueue(t *testing.T) {
	t.Parallel()
	n, _, _ := start(t)
	if out := strings.TrimSpace(n.Python(t, deadLetterScript)); out != "ok" {
		t.Fatalf("script output %q", out)
	}
}

// Events archived on the way in are replayed to the bus's rules with a
// replay-name when StartReplay covers their time.
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-archive.html
func TestArchiveAndReplay(t *testing.T) {
	t.Parallel()
	n, clk, cfg := startCfg(t)
	sq := sqs.NewFromConfig(cfg)
	cli := framework.CLIs[1]
	qURL, qArn := framework.GoQueue(t, sq, "replayed")
	busArn := "arn:aws:events:" + n.Region + ":000000000000:event-bus/default"
	run(t, n, cli, "events", "create-archive", "--archive-name", "shop", "--event-source-arn", busArn, "--event-pattern", `{"source":["com.shop"]}`)
	// The archive and replay calls go through the CLI; the rest, and the
	// polls, through the Go SDK: a CLI process per call is slow on a
	// loaded machine.
	eb := eventbridge.NewFromConfig(cfg)
	ctx := context.Background()
	if _, err := eb.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
		{Source: aws.String("com.shop"), DetailType: aws.String("Order"), Detail: aws.String(`{"id":"o-3"}`)},
		{Source: aws.String("other"), DetailType: aws.String("x"), Detail: aws.String(`{}`)}}}); err != nil {
		t.Fatal(err)
	}
	framework.WaitUntil(t, framework.Patience, func() bool {
		a, err := eb.DescribeArchive(context.Background(), &eventbridge.DescribeArchiveInput{ArchiveName: aws.String("shop")})
		return err == nil && a.EventCount == 1
	}, "the archive to count the event")
	// The rule is created after the event: only the replay reaches it.
	ruleArn := putRule(t, eb, "late", `{"source":["com.shop"]}`, ebtypes.Target{Id: aws.String("q"), Arn: aws.String(qArn)})
	clk.Advance(10 * time.Minute)
	dest, _ := json.Marshal(map[string]any{"Arn": busArn, "FilterArns": []string{ruleArn}})
	out := run(t, n, cli, "events", "start-replay", "--replay-name", "r1", "--event-source-arn", "arn:aws:events:"+n.Region+":000000000000:archive/shop",
		"--event-start-time", t0.Add(-time.Minute).Format(time.RFC3339), "--event-end-time", t0.Add(time.Minute).Format(time.RFC3339), "--destination", string(dest))
	if !strings.Contains(out, `"State": "STARTING"`) {
		t.Fatal(out)
	}
	b := framework.WaitBodies(t, sq, qURL)
	if len(b) != 1 || !strings.Contains(b[0], `"replay-name":"r1"`) || !strings.Contains(b[0], `"detail":{"id":"o-3"}`) {
		t.Fatalf("%q", b)
	}
	framework.WaitUntil(t, framework.Patience, func() bool {
		r, err := eb.DescribeReplay(context.Background(), &eventbridge.DescribeReplayInput{ReplayName: aws.String("r1")})
		return err == nil && r.State == "COMPLETED"
	}, "the replay to complete")
	if out := run(t, n, cli, "events", "list-replays"); !strings.Contains(out, `"ReplayName": "r1"`) {
		t.Fatal(out)
	}
}

// A rule's API destination target calls the HTTP endpoint with the
// connection's API key, the connection's and the target's parameters.
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-api-destinations.html
func TestAPIDestination(t *testing.T) {
	t.Parallel()
	n, _, cfg := startCfg(t)
	eb := eventbridge.NewFromConfig(cfg)
	type call struct {
		path, query, key, body string
	}
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			t.Parallel()
			calls := make(chan call, 10)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				calls <- call{r.URL.Path, r.URL.RawQuery, r.Header.Get("X-Api-Key"), string(b)}
			}))
			defer srv.Close()
			conn := "hook-" + cli.Name
			out := run(t, n, cli, "events", "create-connection", "--name", conn, "--authorization-type", "API_KEY", "--auth-parameters",
				`{"ApiKeyAuthParameters":{"ApiKeyName":"x-api-key","ApiKeyValue":"s3cret"},"InvocationHttpParameters":{"QueryStringParameters":[{"Key":"from","Value":"niwa"}]}}`)
			if !strings.Contains(out, `"ConnectionState": "AUTHORIZED"`) {
				t.Fatal(out)
			}
			connArn := framework.JSONField(t, out, "ConnectionArn")
			if out := run(t, n, cli, "events", "describe-connection", "--name", conn); strings.Contains(out, "s3cret") || !strings.Contains(out, `"ApiKeyName": "x-api-key"`) {
				t.Fatalf("describe-connection: %s", out)
			}
			// As JSON input: the CLI would fetch an http:// argument's
			// URL to use its content as the value.
			in, _ := json.Marshal(map[string]string{"Name": conn, "ConnectionArn": connArn, "InvocationEndpoint": srv.URL + "/orders/*", "HttpMethod": "POST"})
			dest := framework.JSONField(t, run(t, n, cli, "events", "create-api-destination", "--cli-input-json", string(in)), "ApiDestinationArn")
			// The rule and the event through the Go SDK (fewer CLI
			// processes on a loaded machine).
			putRule(t, eb, "api-"+cli.Name, `{"source":["com.api`+cli.Name+`"]}`, ebtypes.Target{Id: aws.String("api"), Arn: aws.String(dest),
				RoleArn: aws.String("arn:aws:iam::000000000000:role/events-api"), InputPath: aws.String("$.detail"),
				HttpParameters: &ebtypes.HttpParameters{PathParameterValues: []string{"o-4"}}})
			if _, err := eb.PutEvents(context.Background(), &eventbridge.PutEventsInput{Entries: []ebtypes.PutEventsRequestEntry{
				{Source: aws.String("com.api" + cli.Name), DetailType: aws.String("Order"), Detail: aws.String(`{"id":"o-4"}`)}}}); err != nil {
				t.Fatal(err)
			}
			select {
			case c := <-calls:
				if c.path != "/orders/o-4" || c.query != "from=niwa" || c.key != "s3cret" || c.body != `{"id":"o-4"}` {
					t.Fatalf("%+v", c)
				}
			case <-time.After(framework.Patience):
				t.Fatal("the endpoint was not called")
			}
		})
	}
}

const targetsScript = `
import boto3, json, os
region = boto3.session.Session().region_name
other = "us-east-1" if region != "us-east-1" else "us-west-2"
ev, sqs, sns, logs = (boto3.client(s) for s in ("events", "sqs", "sns", "logs"))
ev2, sqs2 = boto3.client("events", region_name=other), boto3.client("sqs", region_name=other)
def allow(principal_action, arn):
    return json.dumps({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com" if principal_action.startswith("sqs") or principal_action.startswith("sns") else "sns.amazonaws.com"},"Action":principal_action,"Resource":arn}]})
def queue(client, name, policy=True, service="events.amazonaws.com"):
    url = client.create_queue(QueueName=name)["QueueUrl"]
    arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    if policy:
        client.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":service},"Action":"sqs:SendMessage","Resource":arn}]})})
    return url, arn
def wait(client, url, n=1):
    got = []
    for _ in range(60):
        for m in client.receive_message(QueueUrl=url, WaitTimeSeconds=1, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get("Messages", []):
            client.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            got.append(m)
        if len(got) >= n:
            return got
    raise AssertionError("no message on " + url)

# SNS: the topic policy lets EventBridge publish; an SQS subscriber gets the event.
topic = sns.create_topic(Name="ev-topic")["TopicArn"]
sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sns:Publish","Resource":topic}]}))
sub_url, sub_arn = queue(sqs, "ev-topic-sub", service="sns.amazonaws.com")
sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=sub_arn, Attributes={"RawMessageDelivery":"true"})
# Logs: a resource policy lets EventBridge write to the group.
logs.create_log_group(logGroupName="/aws/events/shop")
group_arn = "arn:aws:logs:%s:000000000000:log-group:/aws/events/shop:*" % region
logs.put_resource_policy(policyName="events", policyDocument=json.dumps({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":group_arn}]}))
# Another region's bus, whose rule sends to a queue there.
far_url, far_arn = queue(sqs2, "ev-far")
ev2.put_rule(Name="far", EventPattern=json.dumps({"source":["com.shop"]}))
ev2.put_targets(Rule="far", Targets=[{"Id":"q","Arn":far_arn}])
far_bus = "arn:aws:events:%s:000000000000:event-bus/default" % other
# A queue whose policy does not let EventBridge in, with a DLQ that does.
closed_url, closed_arn = queue(sqs, "ev-closed", policy=False)
dlq_url, dlq_arn = queue(sqs, "ev-dlq")
ev.put_rule(Name="fan", EventPattern=json.dumps({"source":["com.shop"]}))
r = ev.put_targets(Rule="fan", Targets=[
    {"Id":"sns","Arn":topic},
    {"Id":"logs","Arn":group_arn[:-2]},
    {"Id":"far","Arn":far_bus,"RoleArn":"arn:aws:iam::000000000000:role/events-cross-region"},
    {"Id":"closed","Arn":closed_arn,"RetryPolicy":{"MaximumRetryAttempts":0,"MaximumEventAgeInSeconds":60},"DeadLetterConfig":{"Arn":dlq_arn}},
])
assert r["FailedEntryCount"] == 0, r
ev.put_events(Entries=[{"Source":"com.shop","DetailType":"Order","Detail":json.dumps({"id":"o-5"})}])
m = wait(sqs, sub_url)[0]
assert json.loads(m["Body"])["detail"] == {"id":"o-5"}, m
m = wait(sqs2, far_url)[0]
assert json.loads(m["Body"])["detail"] == {"id":"o-5"} and json.loads(m["Body"])["region"] == region, m
for _ in range(60):
    evs = logs.filter_log_events(logGroupName="/aws/events/shop").get("events", [])
    if evs:
        break
    import time; time.sleep(0.5)
else:
    raise AssertionError("nothing in the log group")
assert json.loads(evs[0]["message"])["detail"] == {"id":"o-5"}, evs
d = wait(sqs, dlq_url)[0]
a = {k: v["StringValue"] for k, v in d["MessageAttributes"].items()}
assert a["TARGET_ARN"] == closed_arn and a["ERROR_CODE"] == "NO_PERMISSIONS" and "does not allow events.amazonaws.com" in a["ERROR_MESSAGE"], a
assert "Messages" not in sqs.receive_message(QueueUrl=closed_url, WaitTimeSeconds=0)
print("ok")
`

// A rule delivers to SNS, CloudWatch Logs and another region's bus, each
// allowed by its resource policy; a queue whose policy does not allow
// events.amazonaws.com is refused and the event dead-lettered with the
// refusal.
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html
func TestTargetsDeliver(t *testing.T) {
	t.Parallel()
	n, _, _ := start(t)
	if out := strings.TrimSpace(n.Python(t, targetsScript)); out != "ok" {
		t.Fatalf("script output %q", out)
	}
}
