// Package livetail holds the end-to-end tests of niwa's event stream
// responses as boto3 decodes them: CloudWatch Logs StartLiveTail and
// Lambda InvokeWithResponseStream. The harness is e2e/framework.
package livetail

import (
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }

// TestBoto3StartLiveTail: boto3's start_live_tail against the binary.
// StartLiveTail's model has the host prefix "stream-", which botocore puts
// in front of a custom endpoint's host too (stream-127.0.0.1 does not
// resolve): AWS_DISABLE_HOST_PREFIX_INJECTION=true keeps the endpoint
// as given, as docs/logs.md tells users. The session sends sessionStart,
// then an update each second with the events that match; moving niwa's
// clock three hours ends it with SessionTimeoutException.
func TestBoto3StartLiveTail(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	out := n.Python(t, `
import boto3, os, time, urllib.request
from botocore.exceptions import EventStreamError
logs = boto3.client("logs")
logs.create_log_group(logGroupName="/app/api")
logs.create_log_stream(logGroupName="/app/api", logStreamName="i-1")
arn = "arn:aws:logs:%s:000000000000:log-group:/app/api" % os.environ["AWS_DEFAULT_REGION"]
resp = logs.start_live_tail(logGroupIdentifiers=[arn], logEventFilterPattern="ERROR")
stream = resp["responseStream"]
it = iter(stream)
first = next(it)
assert "sessionStart" in first, first
assert first["sessionStart"]["logGroupIdentifiers"] == [arn], first
now = int(time.time() * 1000)
logs.put_log_events(logGroupName="/app/api", logStreamName="i-1", logEvents=[
    {"timestamp": now, "message": "INFO ok"}, {"timestamp": now, "message": "ERROR bad thing"}])
deadline = time.time() + 60
results = []
while not results and time.time() < deadline:
    ev = next(it)
    assert "sessionUpdate" in ev, ev
    results = ev["sessionUpdate"]["sessionResults"]
assert [r["message"] for r in results] == ["ERROR bad thing"], results
assert results[0]["logStreamName"] == "i-1", results
urllib.request.urlopen(urllib.request.Request(os.environ["AWS_ENDPOINT_URL"] + "/_niwa/clock/advance?by=3h", method="POST")).read()
try:
    for ev in it:
        assert "sessionUpdate" in ev, ev
    raise SystemExit("the stream ended without SessionTimeoutException")
except EventStreamError as e:
    assert e.response["Error"]["Code"] == "SessionTimeoutException", e.response
print("ok")
`, "AWS_DISABLE_HOST_PREFIX_INJECTION=true")
	if strings.TrimSpace(out) != "ok" {
		t.Fatalf("boto3: %q", out)
	}
}

// TestBoto3InvokeWithResponseStream: boto3 reads a function's response
// from InvokeWithResponseStream's event stream.
func TestBoto3InvokeWithResponseStream(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	out := n.Python(t, `
import boto3, io, json, zipfile
iam = boto3.client("iam")
iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("index.py", "def handler(event, context):\n    if event.get('fail'):\n        raise RuntimeError('nope')\n    return {'echo': event}\n")
lam = boto3.client("lambda")
lam.create_function(FunctionName="echo", Runtime="python3.12", Handler="index.handler",
    Role="arn:aws:iam::000000000000:role/r", Code={"ZipFile": buf.getvalue()})
r = lam.invoke_with_response_stream(FunctionName="echo", Payload=json.dumps({"a": 1}))
assert r["StatusCode"] == 200, r
payload, complete = b"", None
for ev in r["EventStream"]:
    if "PayloadChunk" in ev:
        payload += ev["PayloadChunk"]["Payload"]
    elif "InvokeComplete" in ev:
        complete = ev["InvokeComplete"]
assert json.loads(payload) == {"echo": {"a": 1}}, payload
assert complete is not None and "ErrorCode" not in complete, complete
r = lam.invoke_with_response_stream(FunctionName="echo", Payload=json.dumps({"fail": True}))
events = list(r["EventStream"])
assert len(events) == 1 and events[0]["InvokeComplete"]["ErrorCode"] == "Unhandled", events
assert "nope" in events[0]["InvokeComplete"]["ErrorDetails"], events
print("ok")
`)
	if strings.TrimSpace(out) != "ok" {
		t.Fatalf("boto3: %q", out)
	}
}
