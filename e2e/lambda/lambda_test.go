package lambda

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/niwa-cloud/niwa/e2e/framework"
)

const s3Putter = `import boto3, os

def lambda_handler(event, context):
    print("putting", event["key"], "for", context.function_name)
    s3 = boto3.client("s3")
    s3.put_object(Bucket=os.environ["BUCKET"], Key=event["key"], Body=b"from lambda " + context.aws_request_id.encode())
    ident = boto3.client("sts").get_caller_identity()
    return {"key": event["key"], "arn": ident["Arn"], "memory": context.memory_limit_in_mb,
            "remaining_ok": 0 < context.get_remaining_time_in_millis() <= 30000,
            "invoked": context.invoked_function_arn, "group": context.log_group_name}
`

// TestLambdaPythonBoto3 is the acceptance flow: a python function created
// from a zip with the aws CLI, invoked with its log tail, whose boto3 puts
// an object into niwa's S3 with the execution role's credentials; the
// output is in CloudWatch Logs, read back with both CLIs and boto3.
func TestLambdaPythonBoto3(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	dir := t.TempDir()
	role := framework.LambdaRole(t, n, "py-role")
	n.MustAWS(t, "s3api", "create-bucket", "--bucket", "lambda-out", "--create-bucket-configuration", "LocationConstraint="+n.Region)
	zipPath := framework.ZipFiles(t, dir, map[string][]byte{"app.py": []byte(s3Putter)})
	n.MustAWS(t, "lambda", "create-function", "--function-name", "putter", "--runtime", "python3.12",
		"--handler", "app.lambda_handler", "--role", role, "--zip-file", "fileb://"+zipPath,
		"--timeout", "30", "--environment", "Variables={BUCKET=lambda-out}")

	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			outFile := filepath.Join(dir, cli.Name+".json")
			payload := `{"key":"from-` + cli.Name + `.txt"}`
			args := []string{"lambda", "invoke", "--function-name", "putter", "--payload", payload, "--log-type", "Tail", outFile}
			if cli.Name == "v2" {
				args = append(args[:len(args)-1], "--cli-binary-format", "raw-in-base64-out", outFile)
			}
			stdout, stderr, err := n.RunCLI(t, cli, nil, args...)
			if err != nil {
				t.Fatalf("invoke: %v\n%s", err, stderr)
			}
			var meta struct {
				StatusCode      int
				FunctionError   string
				LogResult       string
				ExecutedVersion string
			}
			if err := json.Unmarshal([]byte(stdout), &meta); err != nil {
				t.Fatalf("%v: %s", err, stdout)
			}
			if meta.StatusCode != 200 || meta.FunctionError != "" || meta.ExecutedVersion != "$LATEST" {
				t.Fatalf("invoke metadata: %+v", meta)
			}
			tail, _ := base64.StdEncoding.DecodeString(meta.LogResult)
			for _, want := range []string{"START RequestId: ", "putting from-" + cli.Name + ".txt for putter", "END RequestId: ", "REPORT RequestId: ", "Billed Duration: "} {
				if !strings.Contains(string(tail), want) {
					t.Errorf("log tail lacks %q:\n%s", want, tail)
				}
			}
			data, _ := os.ReadFile(outFile)
			var res struct {
				Key, Arn, Memory, Invoked, Group string
				RemainingOK                      bool `json:"remaining_ok"`
			}
			if err := json.Unmarshal(data, &res); err != nil {
				t.Fatalf("payload %s: %v", data, err)
			}
			if res.Arn != "arn:aws:sts::000000000000:assumed-role/py-role/putter" || res.Memory != "128" || !res.RemainingOK ||
				res.Invoked != "arn:aws:lambda:"+n.Region+":000000000000:function:putter" || res.Group != "/aws/lambda/putter" {
				t.Fatalf("payload: %s", data)
			}
			got := n.MustAWS(t, "s3api", "get-object", "--bucket", "lambda-out", "--key", "from-"+cli.Name+".txt", filepath.Join(dir, "obj-"+cli.Name))
			body, _ := os.ReadFile(filepath.Join(dir, "obj-"+cli.Name))
			if !strings.HasPrefix(string(body), "from lambda ") {
				t.Fatalf("object %s: %q", got, body)
			}
		})
	}

	// CloudWatch Logs: CLI v2 tails the group; v1 (which has no `logs
	// tail`) filters it.
	out, stderr, err := n.RunCLI(t, framework.CLIs[1], nil, "logs", "tail", "/aws/lambda/putter", "--since", "1h")
	if err != nil {
		t.Fatalf("logs tail: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "putting from-v1.txt for putter") || !strings.Contains(out, "REPORT RequestId:") {
		t.Fatalf("logs tail:\n%s", out)
	}
	out, stderr, err = n.RunCLI(t, framework.CLIs[0], nil, "logs", "filter-log-events", "--log-group-name", "/aws/lambda/putter", "--filter-pattern", `"putting from"`)
	if err != nil {
		t.Fatalf("filter-log-events: %v\n%s", err, stderr)
	}
	var fl struct{ Events []struct{ Message string } }
	json.Unmarshal([]byte(out), &fl)
	if len(fl.Events) != 2 {
		t.Fatalf("filtered events: %s", out)
	}

	// boto3: invoke, then read the same output back from Logs.
	py := n.Python(t, `
import boto3, json, base64
lam = boto3.client("lambda")
r = lam.invoke(FunctionName="putter", Payload=json.dumps({"key": "from-boto3.txt"}), LogType="Tail")
assert r["StatusCode"] == 200 and "FunctionError" not in r, r
assert "putting from-boto3.txt" in base64.b64decode(r["LogResult"]).decode()
body = boto3.client("s3").get_object(Bucket="lambda-out", Key="from-boto3.txt")["Body"].read()
assert body.startswith(b"from lambda "), body
logs = boto3.client("logs")
streams = logs.describe_log_streams(logGroupName="/aws/lambda/putter", orderBy="LastEventTime", descending=True)["logStreams"]
assert streams and streams[0]["logStreamName"].count("/[$LATEST]") == 1, streams
msgs = [e["message"] for e in logs.get_log_events(logGroupName="/aws/lambda/putter", logStreamName=streams[0]["logStreamName"], startFromHead=True)["events"]]
assert msgs[0].startswith("START RequestId: "), msgs
assert any("putting from-boto3.txt" in m for m in msgs), msgs
print("ok")
`)
	if strings.TrimSpace(py) != "ok" {
		t.Fatal(py)
	}
}

const pyErrors = `import time

def boom(event, context):
    raise ValueError("it broke: " + str(event.get("n")))

def slow(event, context):
    print("going to sleep")
    time.sleep(120)
    return "never"

def crash(event, context):
    import os
    os._exit(3)
`

// TestLambdaErrors: an exception comes back in AWS's error shape with
// X-Amz-Function-Error; sleeping past the timeout returns AWS's timeout
// error and kills the process; a crashed runtime is reported and the next
// invocation gets a fresh one.
func TestLambdaErrors(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	dir := t.TempDir()
	role := framework.LambdaRole(t, n, "err-role")
	zipPath := framework.ZipFiles(t, dir, map[string][]byte{"errs.py": []byte(pyErrors)})
	for _, fn := range []string{"boom", "slow", "crash"} {
		n.MustAWS(t, "lambda", "create-function", "--function-name", fn, "--runtime", "python3.13",
			"--handler", "errs."+fn, "--role", role, "--zip-file", "fileb://"+zipPath, "--timeout", "1")
	}
	py := n.Python(t, `
import boto3, json, base64, time
lam = boto3.client("lambda")
r = lam.invoke(FunctionName="boom", Payload=b'{"n": 7}')
assert r["StatusCode"] == 200 and r["FunctionError"] == "Unhandled", r
e = json.loads(r["Payload"].read())
assert e["errorType"] == "ValueError" and e["errorMessage"] == "it broke: 7", e
assert any("errs.py" in line and "boom" in line for line in e["stackTrace"]), e
assert not any("bootstrap" in line for line in e["stackTrace"]), e

start = time.time()
r = lam.invoke(FunctionName="slow", LogType="Tail")
took = time.time() - start
assert r["FunctionError"] == "Unhandled", r
e = json.loads(r["Payload"].read())
assert e["errorType"] == "Sandbox.Timedout", e
assert e["errorMessage"].endswith("Task timed out after 1.00 seconds"), e
# Far below the 120 s sleep: the 1 s timeout ended it (slack for a loaded machine).
assert took < 60, took
log = base64.b64decode(r["LogResult"]).decode()
assert "going to sleep" in log and "Task timed out after 1.00 seconds" in log, log

for _ in range(2):
    r = lam.invoke(FunctionName="crash")
    e = json.loads(r["Payload"].read())
    assert r["FunctionError"] == "Unhandled" and e["errorType"] == "Runtime.ExitError", e
    assert "exit status 3" in e["errorMessage"], e
print("ok")
`)
	if strings.TrimSpace(py) != "ok" {
		t.Fatal(py)
	}
	// The CLI shows the same error shape.
	for _, cli := range framework.CLIs {
		outFile := filepath.Join(dir, "boom-"+cli.Name)
		stdout, stderr, err := n.RunCLI(t, cli, nil, "lambda", "invoke", "--function-name", "boom", outFile)
		if err != nil || !strings.Contains(stdout, `"FunctionError": "Unhandled"`) {
			t.Fatalf("%s: %v %s %s", cli.Name, err, stdout, stderr)
		}
	}
}

const nodeFn = `exports.handler = async (event, context) => {
  console.log("node got", JSON.stringify(event));
  return { hello: event.name, fn: context.functionName, id: context.awsRequestId, region: process.env.AWS_REGION,
           endpoint: process.env.AWS_ENDPOINT_URL, remaining: context.getRemainingTimeInMillis() > 0 };
};
exports.fails = async () => { throw new TypeError("wrong type"); };
`

// TestLambdaNodeAndGo runs a nodejs function and a provided.al2023 Go
// function built here with github.com/aws/aws-lambda-go.
func TestLambdaNodeAndGo(t *testing.T) {
	t.Parallel()
	framework.RequireClient(t, "node", "node", "--version")
	n := framework.StartBinary(t)
	dir := t.TempDir()
	role := framework.LambdaRole(t, n, "rt-role")

	bin := filepath.Join(dir, "bootstrap")
	build := exec.Command("go", "build", "-o", bin, "github.com/niwa-cloud/niwa/internal/lambda/testfn/gofn")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the Go function: %v\n%s", err, out)
	}
	goBin, _ := os.ReadFile(bin)
	goZip := framework.ZipFiles(t, dir, map[string][]byte{"bootstrap": goBin})
	nodeZip := framework.ZipFiles(t, dir, map[string][]byte{"index.js": []byte(nodeFn)})

	n.MustAWS(t, "lambda", "create-function", "--function-name", "node-fn", "--runtime", "nodejs20.x",
		"--handler", "index.handler", "--role", role, "--zip-file", "fileb://"+nodeZip)
	n.MustAWS(t, "lambda", "create-function", "--function-name", "node-fails", "--runtime", "nodejs22.x",
		"--handler", "index.fails", "--role", role, "--zip-file", "fileb://"+nodeZip)
	n.MustAWS(t, "lambda", "create-function", "--function-name", "go-fn", "--runtime", "provided.al2023",
		"--handler", "bootstrap", "--role", role, "--zip-file", "fileb://"+goZip, "--architectures", "x86_64")

	for _, cli := range framework.CLIs {
		for _, fn := range []string{"node-fn", "go-fn"} {
			outFile := filepath.Join(dir, fn+"-"+cli.Name+".json")
			args := []string{"lambda", "invoke", "--function-name", fn, "--payload", `{"name":"niwa"}`, "--log-type", "Tail"}
			if cli.Name == "v2" {
				args = append(args, "--cli-binary-format", "raw-in-base64-out")
			}
			stdout, stderr, err := n.RunCLI(t, cli, nil, append(args, outFile)...)
			if err != nil {
				t.Fatalf("%s %s: %v\n%s", cli.Name, fn, err, stderr)
			}
			var meta struct {
				StatusCode               int
				FunctionError, LogResult string
			}
			json.Unmarshal([]byte(stdout), &meta)
			tail, _ := base64.StdEncoding.DecodeString(meta.LogResult)
			data, _ := os.ReadFile(outFile)
			if meta.StatusCode != 200 || meta.FunctionError != "" {
				t.Fatalf("%s %s: %s %s", cli.Name, fn, stdout, data)
			}
			switch fn {
			case "node-fn":
				var r struct {
					Hello, Fn, ID, Region, Endpoint string
					Remaining                       bool
				}
				json.Unmarshal(data, &r)
				if r.Hello != "niwa" || r.Fn != "node-fn" || r.ID == "" || r.Region != n.Region || r.Endpoint != n.Endpoint || !r.Remaining {
					t.Fatalf("node payload: %s", data)
				}
				if !strings.Contains(string(tail), "INFO\tnode got {\"name\":\"niwa\"}") {
					t.Fatalf("node log:\n%s", tail)
				}
			case "go-fn":
				var r struct{ Greeting, RequestID, Function, Region string }
				json.Unmarshal(data, &r)
				if r.Greeting != "hello niwa" || r.Function != "go-fn" || r.RequestID == "" || r.Region != n.Region {
					t.Fatalf("go payload: %s", data)
				}
				if !strings.Contains(string(tail), "go function got niwa") {
					t.Fatalf("go log:\n%s", tail)
				}
			}
		}
	}

	// aws-sdk-go-v2: errors of both runtimes in AWS's shape.
	ctx := context.Background()
	c := lambda.NewFromConfig(framework.GoConfig(n, "test", "test", ""))
	for fn, want := range map[string]string{"node-fails": `"errorType":"TypeError"`, "go-fn": `"errorMessage":"asked to fail"`} {
		out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(fn), Payload: []byte(`{"fail":true}`)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.FunctionError) != "Unhandled" || !strings.Contains(string(out.Payload), want) {
			t.Fatalf("%s: %v %s", fn, aws.ToString(out.FunctionError), out.Payload)
		}
	}
	cfg, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("go-fn")})
	if err != nil || cfg.State != types.StateActive || cfg.Runtime != types.Runtime("provided.al2023") {
		t.Fatalf("%v %+v", err, cfg)
	}
}
