package cloudwatch

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/e2e/framework"
	"github.com/niwa-cloud/niwa/e2e/framework/inprocess"
	"github.com/niwa-cloud/niwa/niwatest"
)

// TestMetricsCLIs: both aws CLI versions put data, read it back with
// get-metric-statistics and get-metric-data (metric math), list it, and
// get AWS's refusal of a reserved namespace.
func TestMetricsCLIs(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			ns := "E2E/" + cli.Name
			now := time.Now().UTC().Truncate(time.Minute)
			ts := now.Add(-2 * time.Minute).Format(time.RFC3339)
			framework.CLIJSON(t, n, cli, nil, "cloudwatch", "put-metric-data", "--namespace", ns, "--metric-data",
				`[{"MetricName":"Jobs","Value":4,"Unit":"Count","Timestamp":"`+ts+`","Dimensions":[{"Name":"Queue","Value":"q1"}]},`+
					`{"MetricName":"Jobs","Value":6,"Unit":"Count","Timestamp":"`+ts+`","Dimensions":[{"Name":"Queue","Value":"q1"}]}]`)
			var stats struct {
				Label      string
				Datapoints []struct {
					Sum, Average float64
					Unit         string
				}
			}
			framework.CLIJSON(t, n, cli, &stats, "cloudwatch", "get-metric-statistics", "--namespace", ns, "--metric-name", "Jobs",
				"--dimensions", "Name=Queue,Value=q1", "--start-time", now.Add(-10*time.Minute).Format(time.RFC3339),
				"--end-time", now.Format(time.RFC3339), "--period", "60", "--statistics", "Sum", "Average")
			if stats.Label != "Jobs" || len(stats.Datapoints) != 1 || stats.Datapoints[0].Sum != 10 || stats.Datapoints[0].Average != 5 || stats.Datapoints[0].Unit != "Count" {
				t.Fatalf("get-metric-statistics: %+v", stats)
			}
			var data struct {
				MetricDataResults []struct {
					Id, Label, StatusCode string
					Values                []float64
				}
			}
			queries := `[{"Id":"m1","ReturnData":false,"MetricStat":{"Metric":{"Namespace":"` + ns + `","MetricName":"Jobs","Dimensions":[{"Name":"Queue","Value":"q1"}]},"Period":60,"Stat":"Sum"}},` +
				`{"Id":"e1","Expression":"m1 * 10 + 1","Label":"scaled"}]`
			framework.CLIJSON(t, n, cli, &data, "cloudwatch", "get-metric-data", "--metric-data-queries", queries,
				"--start-time", now.Add(-10*time.Minute).Format(time.RFC3339), "--end-time", now.Format(time.RFC3339))
			if len(data.MetricDataResults) != 1 || data.MetricDataResults[0].Id != "e1" || data.MetricDataResults[0].Label != "scaled" ||
				data.MetricDataResults[0].StatusCode != "Complete" || len(data.MetricDataResults[0].Values) != 1 || data.MetricDataResults[0].Values[0] != 101 {
				t.Fatalf("get-metric-data: %+v", data)
			}
			var list struct{ Metrics []struct{ MetricName string } }
			framework.CLIJSON(t, n, cli, &list, "cloudwatch", "list-metrics", "--namespace", ns)
			if len(list.Metrics) != 1 || list.Metrics[0].MetricName != "Jobs" {
				t.Fatalf("list-metrics: %+v", list)
			}
			_, errOut, err := n.RunCLI(t, cli, nil, "cloudwatch", "put-metric-data", "--namespace", "AWS/EC2", "--metric-name", "x", "--value", "1")
			if err == nil || !strings.Contains(errOut, "(InvalidParameterValue) when calling the PutMetricData operation: The value AWS/EC2 for parameter Namespace is invalid.") {
				t.Fatalf("reserved namespace: %v %s", err, errOut)
			}
		})
	}
}

// TestMetricsBoto3: boto3 1.43 speaks JSON to CloudWatch; with the model's
// protocols narrowed to smithy-rpc-v2-cbor it speaks CBOR. Both round-trip
// put_metric_data, get_metric_statistics and get_metric_data.
func TestMetricsBoto3(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	dataPath := t.TempDir()
	script := `
import boto3, botocore, datetime, gzip, json, os
data = os.path.join(os.path.dirname(botocore.__file__), 'data', 'cloudwatch')
version = sorted(os.listdir(data))[-1]
mode = os.environ['NIWA_CW']
if mode == 'cbor':
    src = os.path.join(data, version, 'service-2.json.gz')
    model = json.load(gzip.open(src)) if os.path.exists(src) else json.load(open(src[:-3]))
    model['metadata']['protocols'] = ['smithy-rpc-v2-cbor']
    dst = os.path.join(os.environ['AWS_DATA_PATH'], 'cloudwatch', version)
    os.makedirs(dst, exist_ok=True)
    json.dump(model, open(os.path.join(dst, 'service-2.json'), 'w'))
c = boto3.client('cloudwatch')
ns = 'Boto/' + mode
now = datetime.datetime.now(datetime.timezone.utc).replace(second=0, microsecond=0)
c.put_metric_data(Namespace=ns, MetricData=[
    {'MetricName': 'Lat', 'Values': [1.0, 2.0, 3.0], 'Counts': [1.0, 1.0, 2.0], 'Timestamp': now - datetime.timedelta(minutes=2), 'Unit': 'Milliseconds'},
    {'MetricName': 'Lat', 'StatisticValues': {'SampleCount': 2.0, 'Sum': 10.0, 'Minimum': 4.0, 'Maximum': 6.0}, 'Timestamp': now - datetime.timedelta(minutes=1), 'Unit': 'Milliseconds'}])
st = c.get_metric_statistics(Namespace=ns, MetricName='Lat', StartTime=now - datetime.timedelta(minutes=10), EndTime=now,
    Period=600, Statistics=['Sum', 'SampleCount', 'Maximum'])
md = c.get_metric_data(MetricDataQueries=[
    {'Id': 'm1', 'MetricStat': {'Metric': {'Namespace': ns, 'MetricName': 'Lat'}, 'Period': 60, 'Stat': 'Sum'}, 'ReturnData': False},
    {'Id': 'total', 'Expression': 'SUM(m1)'},
    {'Id': 'filled', 'Expression': 'FILL(m1, 0)'}],
    StartTime=now - datetime.timedelta(minutes=3), EndTime=now, ScanBy='TimestampAscending')
# Over 10 KiB botocore gzips the body (PutMetricData's request compression).
c.put_metric_data(Namespace=ns, MetricData=[{'MetricName': 'Big', 'Value': 1.0, 'Dimensions': [{'Name': 'Shard', 'Value': 'shard-%d' % (i % 10)}]} for i in range(1000)])
big = len(c.list_metrics(Namespace=ns, MetricName='Big')['Metrics'])
err = None
try:
    c.put_metric_data(Namespace=ns, MetricData=[{'MetricName': 'x', 'Value': 1.0, 'StorageResolution': 5}])
except botocore.exceptions.ClientError as e:
    err = [e.response['Error']['Code'], e.response['Error']['Message']]
dp = st['Datapoints'][0]
print(json.dumps({'protocol': c.meta.service_model.resolved_protocol, 'sum': dp['Sum'], 'count': dp['SampleCount'], 'max': dp['Maximum'],
    'results': {r['Id']: r['Values'] for r in md['MetricDataResults']}, 'error': err, 'big': big}))
`
	for _, c := range []struct{ mode, protocol string }{{"json", "json"}, {"cbor", "smithy-rpc-v2-cbor"}} {
		t.Run(c.mode, func(t *testing.T) {
			var got struct {
				Protocol        string
				Sum, Count, Max float64
				Results         map[string][]float64
				Error           []string
				Big             int
			}
			framework.MustJSON(t, n.Python(t, script, "NIWA_CW="+c.mode, "AWS_DATA_PATH="+dataPath+"/"+c.mode), &got)
			if got.Protocol != c.protocol || got.Sum != 19 || got.Count != 6 || got.Max != 6 || got.Big != 10 {
				t.Fatalf("statistics: %+v", got)
			}
			if f := got.Results["filled"]; len(got.Results["total"]) != 3 || got.Results["total"][0] != 19 || len(f) != 3 || f[0] != 0 || f[1] != 9 || f[2] != 10 {
				t.Fatalf("get_metric_data: %+v", got.Results)
			}
			if len(got.Error) != 2 || got.Error[0] != "InvalidParameterValue" || got.Error[1] != "The value 5 for parameter MetricData.member.1.StorageResolution is invalid." {
				t.Fatalf("refusal: %v", got.Error)
			}
		})
	}
}

// TestAlarmToSNSToSQS: an alarm on a custom metric goes to ALARM when
// niwa's clock moves past the breaching minute, and its SNS action's
// message arrives in a queue subscribed to the topic (the queue policy
// lets SNS send). niwa runs in-process on a fake clock near real time
// (signatures are checked against it); the clock is what moves.
func TestAlarmToSNSToSQS(t *testing.T) {
	t.Parallel()
	clk := niwatest.NewFakeClock(time.Now())
	n := inprocess.FromNiwatest(t, niwatest.Start(t, niwatest.WithClock(clk)))
	cli := framework.CLIs[0]
	var q struct{ QueueUrl string }
	framework.CLIJSON(t, n, cli, &q, "sqs", "create-queue", "--queue-name", "alarms")
	var qa struct{ Attributes map[string]string }
	framework.CLIJSON(t, n, cli, &qa, "sqs", "get-queue-attributes", "--queue-url", q.QueueUrl, "--attribute-names", "QueueArn")
	queueARN := qa.Attributes["QueueArn"]
	var topic struct{ TopicArn string }
	framework.CLIJSON(t, n, cli, &topic, "sns", "create-topic", "--name", "alarms")
	policy, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Effect": "Allow", "Principal": map[string]string{"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": queueARN,
		"Condition": map[string]any{"ArnEquals": map[string]string{"aws:SourceArn": topic.TopicArn}}}}})
	attrs, _ := json.Marshal(map[string]string{"Policy": string(policy)})
	framework.CLIJSON(t, n, cli, nil, "sqs", "set-queue-attributes", "--queue-url", q.QueueUrl, "--attributes", string(attrs))
	framework.CLIJSON(t, n, cli, nil, "sns", "subscribe", "--topic-arn", topic.TopicArn, "--protocol", "sqs", "--notification-endpoint", queueARN)

	framework.CLIJSON(t, n, cli, nil, "cloudwatch", "put-metric-alarm", "--alarm-name", "jobs-failing", "--namespace", "App",
		"--metric-name", "Failures", "--statistic", "Sum", "--period", "60", "--evaluation-periods", "1", "--threshold", "3",
		"--comparison-operator", "GreaterThanOrEqualToThreshold", "--alarm-actions", topic.TopicArn, "--treat-missing-data", "notBreaching")
	framework.CLIJSON(t, n, cli, nil, "cloudwatch", "put-metric-data", "--namespace", "App", "--metric-name", "Failures", "--value", "5")

	state := func() (string, string) {
		var out struct {
			MetricAlarms []struct{ StateValue, StateReason string }
		}
		framework.CLIJSON(t, n, cli, &out, "cloudwatch", "describe-alarms", "--alarm-names", "jobs-failing")
		if len(out.MetricAlarms) != 1 {
			t.Fatalf("describe-alarms: %+v", out)
		}
		return out.MetricAlarms[0].StateValue, out.MetricAlarms[0].StateReason
	}
	if s, _ := state(); s != "INSUFFICIENT_DATA" {
		t.Fatalf("before the clock moves: %s", s)
	}
	// A minute on, the breaching minute is the last complete period: the
	// evaluation that the clock's move triggers reads it.
	clk.Advance(time.Minute)
	framework.WaitUntil(t, framework.Patience, func() bool { s, _ := state(); return s == "ALARM" }, "alarm in ALARM")
	if _, reason := state(); !strings.HasPrefix(reason, "Threshold Crossed: 1 out of the last 1 datapoints [5.0 (") {
		t.Fatalf("reason: %s", reason)
	}
	var body string
	framework.WaitUntil(t, framework.Patience, func() bool {
		var msgs struct{ Messages []struct{ Body string } }
		framework.CLIJSON(t, n, cli, &msgs, "sqs", "receive-message", "--queue-url", q.QueueUrl)
		if len(msgs.Messages) > 0 {
			body = msgs.Messages[0].Body
		}
		return body != ""
	}, "the alarm's SNS message in the queue")
	var env struct{ Type, TopicArn, Subject, Message string }
	framework.MustJSON(t, body, &env)
	var alarm struct {
		AlarmName, NewStateValue, OldStateValue, AlarmArn string
		Trigger                                           struct{ MetricName, Statistic string }
	}
	framework.MustJSON(t, env.Message, &alarm)
	if env.Type != "Notification" || env.TopicArn != topic.TopicArn || env.Subject != `ALARM: "jobs-failing" in Asia Pacific (Tokyo)` || alarm.AlarmName != "jobs-failing" || alarm.NewStateValue != "ALARM" ||
		alarm.OldStateValue != "INSUFFICIENT_DATA" || alarm.Trigger.MetricName != "Failures" || alarm.Trigger.Statistic != "SUM" {
		t.Fatalf("notification: %s", body)
	}
	var hist struct {
		AlarmHistoryItems []struct{ HistoryItemType, HistorySummary string }
	}
	framework.CLIJSON(t, n, framework.CLIs[1], &hist, "cloudwatch", "describe-alarm-history", "--alarm-name", "jobs-failing", "--history-item-type", "Action")
	if len(hist.AlarmHistoryItems) != 1 || hist.AlarmHistoryItems[0].HistorySummary != "Successfully executed action "+topic.TopicArn {
		t.Fatalf("history: %+v", hist)
	}
}

// TestLambdaPublishesMetrics: a function's invocations show up in
// AWS/Lambda (Invocations, Errors, Duration) for get-metric-statistics,
// as Lambda publishes them on AWS.
func TestLambdaPublishesMetrics(t *testing.T) {
	t.Parallel()
	n := inprocess.Start(t, framework.InProcess)
	role := framework.LambdaRole(t, n, "cw-fn")
	zip := framework.ZipFiles(t, t.TempDir(), map[string][]byte{"app.py": []byte(
		"def handler(event, context):\n    if event.get('fail'):\n        raise ValueError('boom')\n    return {'ok': True}\n")})
	n.MustAWS(t, "lambda", "create-function", "--function-name", "metered", "--runtime", "python3.12", "--handler", "app.handler",
		"--role", role, "--zip-file", "fileb://"+zip)
	framework.WaitUntil(t, framework.Patience, func() bool {
		return strings.Contains(n.MustAWS(t, "lambda", "get-function", "--function-name", "metered"), `"State": "Active"`)
	}, "function active")
	start := time.Now().UTC().Add(-time.Minute).Truncate(time.Minute)
	out := filepath.Join(t.TempDir(), "out.json")
	n.MustAWS(t, "lambda", "invoke", "--function-name", "metered", "--payload", `{}`, out)
	n.MustAWS(t, "lambda", "invoke", "--function-name", "metered", "--payload", `{"fail":true}`, out)
	sum := func(metric, stat string) float64 {
		var st struct{ Datapoints []map[string]any }
		framework.CLIJSON(t, n, framework.CLIs[1], &st, "cloudwatch", "get-metric-statistics", "--namespace", "AWS/Lambda", "--metric-name", metric,
			"--dimensions", "Name=FunctionName,Value=metered", "--start-time", start.Format(time.RFC3339),
			"--end-time", time.Now().UTC().Add(time.Minute).Format(time.RFC3339), "--period", "600", "--statistics", stat)
		total := 0.0
		for _, d := range st.Datapoints {
			v, _ := d[stat].(float64)
			total += v
		}
		return total
	}
	if inv, errs := sum("Invocations", "Sum"), sum("Errors", "Sum"); inv != 2 || errs != 1 {
		t.Fatalf("Invocations %v Errors %v", inv, errs)
	}
	if d := sum("Duration", "Maximum"); d <= 0 {
		t.Fatalf("Duration %v", d)
	}
	var list struct{ Metrics []struct{ MetricName string } }
	framework.CLIJSON(t, n, framework.CLIs[0], &list, "cloudwatch", "list-metrics", "--namespace", "AWS/Lambda", "--dimensions", "Name=FunctionName,Value=metered")
	if len(list.Metrics) != 3 {
		t.Fatalf("list-metrics: %+v", list)
	}
}

// TestAlarmStopsInstance: an alarm's EC2 action
// (arn:aws:automate:<region>:ec2:stop) stops the instance its InstanceId
// dimension names when the alarm goes to ALARM.
func TestAlarmStopsInstance(t *testing.T) {
	t.Parallel()
	clk := niwatest.NewFakeClock(time.Now())
	n := inprocess.FromNiwatest(t, niwatest.Start(t, niwatest.WithClock(clk)))
	cli := framework.CLIs[1]
	var imgs struct{ Images []struct{ ImageId string } }
	framework.CLIJSON(t, n, cli, &imgs, "ec2", "describe-images", "--owners", "amazon", "--filters", "Name=name,Values=amzn2-ami-hvm-*")
	if len(imgs.Images) == 0 {
		t.Fatal("no image")
	}
	var run struct{ Instances []struct{ InstanceId string } }
	framework.CLIJSON(t, n, cli, &run, "ec2", "run-instances", "--image-id", imgs.Images[0].ImageId, "--instance-type", "t3.micro", "--count", "1")
	id := run.Instances[0].InstanceId
	state := func() string {
		var out struct {
			Reservations []struct {
				Instances []struct{ State struct{ Name string } }
			}
		}
		framework.CLIJSON(t, n, cli, &out, "ec2", "describe-instances", "--instance-ids", id)
		return out.Reservations[0].Instances[0].State.Name
	}
	clk.Advance(time.Minute)
	framework.WaitUntil(t, framework.Patience, func() bool { return state() == "running" }, "instance running")
	framework.CLIJSON(t, n, cli, nil, "cloudwatch", "put-metric-alarm", "--alarm-name", "idle-stop", "--namespace", "AWS/EC2",
		"--metric-name", "CPUUtilization", "--dimensions", "Name=InstanceId,Value="+id, "--statistic", "Average", "--period", "300",
		"--evaluation-periods", "1", "--threshold", "5", "--comparison-operator", "LessThanThreshold",
		"--alarm-actions", "arn:aws:automate:"+n.Region+":ec2:stop")
	framework.CLIJSON(t, n, cli, nil, "cloudwatch", "set-alarm-state", "--alarm-name", "idle-stop", "--state-value", "ALARM", "--state-reason", "idle")
	if s := state(); s != "stopping" && s != "stopped" {
		t.Fatalf("instance %s after the alarm's stop action", s)
	}
	var hist struct {
		AlarmHistoryItems []struct{ HistorySummary string }
	}
	framework.CLIJSON(t, n, cli, &hist, "cloudwatch", "describe-alarm-history", "--alarm-name", "idle-stop", "--history-item-type", "Action")
	if len(hist.AlarmHistoryItems) != 1 || hist.AlarmHistoryItems[0].HistorySummary != "Successfully executed action arn:aws:automate:"+n.Region+":ec2:stop" {
		t.Fatalf("history %+v", hist)
	}
}
