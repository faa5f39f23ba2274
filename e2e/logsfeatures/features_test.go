package logsfeatures

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestLogsConformance drives with both CLI versions what users reach
// beyond groups and events: AWS's validation code, metric filters and
// TestMetricFilter, Insights queries and export tasks. (Each CLI call
// costs seconds on a loaded machine; the rest is in TestLogsBoto3.)
func TestLogsConformance(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			run := func(args ...string) string {
				t.Helper()
				out, errOut, err := n.RunCLI(t, cli, nil, args...)
				if err != nil {
					t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, errOut)
				}
				return out
			}
			fails := func(code, msg string, args ...string) {
				t.Helper()
				_, errOut, err := n.RunCLI(t, cli, nil, args...)
				if err == nil || !strings.Contains(errOut, "("+code+")") || !strings.Contains(errOut, msg) {
					t.Fatalf("aws %s: want %s %q, got %v\n%s", strings.Join(args, " "), code, msg, err, errOut)
				}
			}
			// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html:
			// the name pattern is [\.\-_/#A-Za-z0-9]+, refused as InvalidParameterException.
			fails("InvalidParameterException", "1 validation error detected: Value 'bad name!' at 'logGroupName' failed to satisfy constraint",
				"logs", "create-log-group", "--log-group-name", "bad name!")
			g := "/conf/" + cli.Name
			run("logs", "create-log-group", "--log-group-name", g)
			run("logs", "create-log-stream", "--log-group-name", g, "--log-stream-name", "web")

			run("logs", "put-metric-filter", "--log-group-name", g, "--filter-name", "404s",
				"--filter-pattern", "[ip, user, status = 404, bytes]",
				"--metric-transformations", "metricName=NotFound,metricNamespace=Web,metricValue=1,defaultValue=0")
			var mf struct {
				MetricFilters []struct {
					FilterName, FilterPattern, LogGroupName string
					MetricTransformations                   []struct{ MetricName, MetricValue string }
				}
			}
			framework.MustJSON(t, run("logs", "describe-metric-filters", "--log-group-name", g), &mf)
			if len(mf.MetricFilters) != 1 || mf.MetricFilters[0].FilterName != "404s" || mf.MetricFilters[0].MetricTransformations[0].MetricName != "NotFound" {
				t.Fatalf("describe-metric-filters: %+v", mf)
			}
			var tm struct {
				Matches []struct {
					EventNumber     int
					ExtractedValues map[string]string
				}
			}
			framework.MustJSON(t, run("logs", "test-metric-filter", "--filter-pattern", "[ip, user, status = 404, bytes]",
				"--log-event-messages", "10.0.0.1 alice 404 12", "10.0.0.2 bob 200 99"), &tm)
			if len(tm.Matches) != 1 || tm.Matches[0].EventNumber != 1 || tm.Matches[0].ExtractedValues["$user"] != "alice" {
				t.Fatalf("test-metric-filter: %+v", tm)
			}
			now := time.Now()
			events := fmt.Sprintf(`[{"timestamp":%d,"message":"{\"route\":\"/a\",\"ms\":10}"},{"timestamp":%d,"message":"{\"route\":\"/a\",\"ms\":30}"},{"timestamp":%d,"message":"{\"route\":\"/b\",\"ms\":5}"}]`,
				now.UnixMilli(), now.UnixMilli()+1, now.UnixMilli()+2)
			run("logs", "put-log-events", "--log-group-name", g, "--log-stream-name", "web", "--log-events", events)
			var sq struct{ QueryId string }
			framework.MustJSON(t, run("logs", "start-query", "--log-group-name", g,
				"--start-time", fmt.Sprint(now.Add(-time.Hour).Unix()), "--end-time", fmt.Sprint(now.Add(time.Hour).Unix()),
				"--query-string", "stats count(*) as n, avg(ms) as avg by route | sort route asc"), &sq)
			var qr struct {
				Status  string
				Results [][]struct{ Field, Value string }
			}
			framework.MustJSON(t, run("logs", "get-query-results", "--query-id", sq.QueryId), &qr)
			if qr.Status != "Complete" || len(qr.Results) != 2 || fmt.Sprint(qr.Results[0]) != "[{route /a} {n 2} {avg 20}]" {
				t.Fatalf("get-query-results: %+v", qr)
			}
			fails("MalformedQueryException", "", "logs", "start-query", "--log-group-name", g, "--start-time", "0", "--end-time", "1", "--query-string", "bogus command")

			// The destination bucket is checked when the task is created
			// (a task landing in S3 is e2e/exports' subject).
			fails("InvalidParameterException", "The given bucket does not exist", "logs", "create-export-task", "--log-group-name", g,
				"--from", "0", "--to", fmt.Sprint(now.Add(time.Hour).UnixMilli()), "--destination", "no-such-bucket-"+cli.Name)
			if out := run("logs", "describe-export-tasks"); !strings.Contains(out, `"exportTasks": []`) {
				t.Fatalf("describe-export-tasks: %s", out)
			}
		})
	}
}

// TestLogsBoto3 uses boto3 for what scripts do: a subscription filter
// delivering to a Lambda function in AWS's awslogs format, paginators
// over Describe* with a page size, Insights with parse and filter, and an
// EventBridge rule writing to a log group.
func TestLogsBoto3(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	role := framework.LambdaRole(t, n, "logs-sub")
	out := n.Python(t, `
import boto3, io, json, time, zipfile
logs = boto3.client("logs")
lam = boto3.client("lambda")

# Describe* pages with a limit and AWS's nextToken.
for i in range(5):
    logs.create_log_group(logGroupName="/paged/%d" % i)
names = []
for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix="/paged/", PaginationConfig={"PageSize": 2}):
    assert len(page["logGroups"]) <= 2, page
    names += [g["logGroupName"] for g in page["logGroups"]]
assert names == ["/paged/%d" % i for i in range(5)], names
try:
    logs.describe_log_groups(limit=51)
    raise SystemExit("limit 51 accepted")
except logs.exceptions.InvalidParameterException as e:
    assert "at 'limit' failed to satisfy constraint" in str(e), e

# A subscription filter to a function that prints what it receives.
code = '''
import base64, gzip, json
def handler(event, context):
    data = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    print("GOT " + json.dumps(data, sort_keys=True))
'''
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("app.py", code)
lam.create_function(FunctionName="sink", Runtime="python3.12", Handler="app.handler", Role="`+role+`",
    Code={"ZipFile": buf.getvalue()}, Timeout=30)
logs.create_log_group(logGroupName="/sub")
logs.create_log_stream(logGroupName="/sub", logStreamName="s")
fn = lam.get_function(FunctionName="sink")["Configuration"]["FunctionArn"]
try:
    logs.put_subscription_filter(logGroupName="/sub", filterName="errors", filterPattern="ERROR", destinationArn=fn)
    raise SystemExit("subscription without permission accepted")
except logs.exceptions.InvalidParameterException:
    pass
lam.add_permission(FunctionName="sink", StatementId="logs", Action="lambda:InvokeFunction", Principal="logs.amazonaws.com",
    SourceArn="arn:aws:logs:%s:000000000000:log-group:/sub:*" % logs.meta.region_name)
logs.put_subscription_filter(logGroupName="/sub", filterName="errors", filterPattern="ERROR", destinationArn=fn)
f = logs.describe_subscription_filters(logGroupName="/sub")["subscriptionFilters"]
assert [x["filterName"] for x in f] == ["errors"] and f[0]["distribution"] == "ByLogStream", f
now = int(time.time() * 1000)
logs.put_log_events(logGroupName="/sub", logStreamName="s", logEvents=[
    {"timestamp": now, "message": "ERROR disk full"}, {"timestamp": now + 1, "message": "INFO fine"}])
deadline = time.time() + 60
got = None
while time.time() < deadline and got is None:
    try:
        for e in logs.filter_log_events(logGroupName="/aws/lambda/sink", filterPattern="GOT")["events"]:
            got = json.loads(e["message"].split("GOT ", 1)[1])
    except logs.exceptions.ResourceNotFoundException:
        pass
    if got is None:
        time.sleep(0.5)
assert got is not None, "the function never received the subscription"
assert got["messageType"] == "DATA_MESSAGE" and got["owner"] == "000000000000", got
assert got["logGroup"] == "/sub" and got["logStream"] == "s" and got["subscriptionFilters"] == ["errors"], got
assert [e["message"] for e in got["logEvents"]] == ["ERROR disk full"], got
assert len(got["logEvents"][0]["id"]) == 56 and got["logEvents"][0]["timestamp"] == now, got

# Insights: parse and filter over the stored events.
logs.create_log_group(logGroupName="/q")
logs.create_log_stream(logGroupName="/q", logStreamName="s")
logs.put_log_events(logGroupName="/q", logStreamName="s", logEvents=[
    {"timestamp": now + i, "message": "user=%s status=%d" % (u, s)} for i, (u, s) in enumerate([("ann", 200), ("bob", 500), ("cy", 503)])])
q = logs.start_query(logGroupName="/q", startTime=int(now / 1000) - 60, endTime=int(now / 1000) + 60,
    queryString='parse @message "user=* status=*" as user, status | filter status >= 500 | fields user | sort user asc')
r = logs.get_query_results(queryId=q["queryId"])
assert r["status"] == "Complete", r
rows = [{f["field"]: f["value"] for f in row} for row in r["results"]]
assert [x["user"] for x in rows] == ["bob", "cy"] and all("@ptr" in x for x in rows), rows
rec = logs.get_log_record(logRecordPointer=rows[0]["@ptr"])["logRecord"]
assert rec["@message"] == "user=bob status=500", rec
assert any(x["queryId"] == q["queryId"] for x in logs.describe_queries(logGroupName="/q")["queries"])
# Metric filters go away; resource policies and data protection policies.
try:
    logs.delete_metric_filter(logGroupName="/q", filterName="none")
    raise SystemExit("deleting a missing metric filter succeeded")
except logs.exceptions.ResourceNotFoundException:
    pass
logs.put_data_protection_policy(logGroupIdentifier="/q", policyDocument=json.dumps({"Name": "p", "Version": "2021-06-01", "Statement": []}))
assert "2021-06-01" in logs.get_data_protection_policy(logGroupIdentifier="/q")["policyDocument"]

# An EventBridge rule with a log group target, allowed by a resource policy.
ev = boto3.client("events")
region = logs.meta.region_name
logs.create_log_group(logGroupName="/aws/events/app")
garn = "arn:aws:logs:%s:000000000000:log-group:/aws/events/app" % region
logs.put_resource_policy(policyName="events", policyDocument=json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": garn + ":*"}]}))
ev.put_rule(Name="to-logs", EventPattern=json.dumps({"source": ["app"]}))
ev.put_targets(Rule="to-logs", Targets=[{"Id": "lg", "Arn": garn}])
eid = ev.put_events(Entries=[{"Source": "app", "DetailType": "t", "Detail": json.dumps({"k": "v"})}])["Entries"][0]["EventId"]
deadline = time.time() + 60
found = []
while time.time() < deadline and not found:
    found = logs.filter_log_events(logGroupName="/aws/events/app")["events"]
    if not found:
        time.sleep(0.5)
assert found and found[0]["logStreamName"] == eid and json.loads(found[0]["message"])["detail"] == {"k": "v"}, found
assert [p["policyName"] for p in logs.describe_resource_policies()["resourcePolicies"]] == ["events"]
logs.delete_resource_policy(policyName="events")
assert logs.describe_resource_policies()["resourcePolicies"] == []
print("ok")
`)
	if strings.TrimSpace(out) != "ok" {
		t.Fatal(out)
	}
}
