package lambda

import (
	"encoding/json"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// asyncWorker records each run of an event in S3; the first run hangs
// (niwa is killed meanwhile), a later one finishes.
const asyncWorker = `import boto3, json, os, time

s3 = boto3.client("s3")

def handler(event, context):
    bucket = os.environ["BUCKET"]
    runs = s3.list_objects_v2(Bucket=bucket, Prefix="started/").get("KeyCount", 0)
    s3.put_object(Bucket=bucket, Key="started/%d" % runs, Body=json.dumps({"pid": os.getpid(), "requestId": context.aws_request_id}).encode())
    if runs == 0:
        time.sleep(120)
    s3.put_object(Bucket=bucket, Key="done", Body=json.dumps({"requestId": context.aws_request_id, "event": event}).encode())
`

// TestLambdaAsyncQueueSurvivesKill9: an Event invocation that was running
// when niwa was killed with SIGKILL is stored (--data-dir) and runs again,
// with the same request id, after the restart.
func TestLambdaAsyncQueueSurvivesKill9(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t, "--data-dir", t.TempDir())
	role := framework.LambdaRole(t, n, "async-role")
	n.MustAWS(t, "s3api", "create-bucket", "--bucket", "async-out", "--create-bucket-configuration", "LocationConstraint="+n.Region)
	zipPath := framework.ZipFiles(t, t.TempDir(), map[string][]byte{"worker.py": []byte(asyncWorker)})
	n.MustAWS(t, "lambda", "create-function", "--function-name", "worker", "--runtime", "python3.12",
		"--handler", "worker.handler", "--role", role, "--zip-file", "fileb://"+zipPath, "--timeout", "300",
		"--environment", "Variables={BUCKET=async-out}")
	out := n.MustAWS(t, "lambda", "invoke", "--function-name", "worker", "--invocation-type", "Event",
		"--payload", `{"job":"survive"}`, t.TempDir()+"/out.json")
	if !strings.Contains(out, `"StatusCode": 202`) {
		t.Fatalf("invoke: %s", out)
	}
	// Wait (polling the real process) for the first run to start.
	var first struct {
		Pid       int
		RequestID string `json:"requestId"`
	}
	dir := t.TempDir()
	framework.WaitUntil(t, framework.Patience, func() bool {
		_, _, err := n.RunCLI(t, framework.CLIs[0], nil, "s3api", "get-object", "--bucket", "async-out", "--key", "started/0", dir+"/started")
		return err == nil
	}, "the event started")
	framework.MustJSON(t, readText(t, dir+"/started"), &first)
	n.Kill9AndRestart()
	// The first run's runtime outlived the killed niwa: end it (its own
	// process group).
	if first.Pid > 0 {
		syscall.Kill(-first.Pid, syscall.SIGKILL)
	}
	framework.WaitUntil(t, framework.Patience, func() bool {
		_, _, err := n.RunCLI(t, framework.CLIs[0], nil, "s3api", "get-object", "--bucket", "async-out", "--key", "done", dir+"/done")
		return err == nil
	}, "the event ran again after the restart")
	var done struct {
		RequestID string `json:"requestId"`
		Event     map[string]string
	}
	if err := json.Unmarshal([]byte(readText(t, dir+"/done")), &done); err != nil {
		t.Fatal(err)
	}
	if done.RequestID != first.RequestID || done.Event["job"] != "survive" {
		t.Fatalf("rerun %+v, first run %+v", done, first)
	}
}

func readText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
