package platform

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/niwa-cloud/niwa/e2e/framework"
)

// process is the niwa binary started directly, for the tests about the
// process itself (exit status, signals, environment) that the framework's
// Start hides.
type process struct {
	t    *testing.T
	cmd  *exec.Cmd
	out  string // file holding stdout and stderr
	done chan struct{}
	err  error
}

// launchProcess runs the binary with args and extra environment. Output
// goes to a file, so it can be read while niwa runs.
func launchProcess(t *testing.T, env []string, args ...string) *process {
	t.Helper()
	out := filepath.Join(t.TempDir(), "niwa.log")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(framework.NiwaBinary(), args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}, env...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	p := &process{t: t, cmd: cmd, out: out, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("niwa output:\n%s", p.output())
		}
	})
	return p
}

func (p *process) output() string {
	b, _ := os.ReadFile(p.out)
	return string(b)
}

// waitHealthy polls the health endpoint until niwa answers.
func (p *process) waitHealthy(endpoint string) {
	p.t.Helper()
	deadline := time.Now().Add(framework.Patience)
	for {
		resp, err := http.Get(endpoint + "/_niwa/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		select {
		case <-p.done:
			p.t.Fatalf("niwa exited (%v) before it was healthy:\n%s", p.err, p.output())
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("niwa not healthy at %s: %v\n%s", endpoint, err, p.output())
		}
		time.Sleep(10 * time.Millisecond) // polling a real process's readiness
	}
}

// wait waits up to limit for the process to exit and returns its exit
// code and how long it took.
func (p *process) wait(limit time.Duration) (int, time.Duration) {
	p.t.Helper()
	start := time.Now()
	select {
	case <-p.done:
	case <-time.After(limit):
		p.t.Fatalf("niwa still running after %v:\n%s", limit, p.output())
	}
	return p.cmd.ProcessState.ExitCode(), time.Since(start)
}

func TestBinaryVersion(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(framework.NiwaBinary(), "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "niwa ") || strings.Count(string(out), "\n") != 1 {
		t.Fatalf("niwa version: %v %q", err, out)
	}
}

func TestBinaryBadFlagsExit2(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--no-such-flag"},
		{"serve", "--port", "many"},
		{"serve", "--log-format", "xml"},
		{"frobnicate"},
	} {
		p := launchProcess(t, nil, args...)
		code, _ := p.wait(framework.Patience)
		if code != 2 || strings.TrimSpace(p.output()) == "" {
			t.Errorf("niwa %s: exit %d, output %q", strings.Join(args, " "), code, p.output())
		}
	}
}

// TestBinarySIGTERM: SIGTERM makes niwa exit 0 promptly, also with an
// idle keep-alive connection open.
func TestBinarySIGTERM(t *testing.T) {
	t.Parallel()
	port := framework.FreePort(t)
	endpoint := "http://127.0.0.1:" + strconv.Itoa(port)
	p := launchProcess(t, nil, "serve", "--port", strconv.Itoa(port))
	p.waitHealthy(endpoint)

	// A client that keeps its connection open after a request.
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	resp, err := client.Get(endpoint + "/_niwa/health")
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code, took := p.wait(framework.Patience)
	// Below the 10 s drain of open connections: an idle keep-alive
	// connection must not hold shutdown up (slack for a loaded machine).
	if code != 0 || took > 8*time.Second {
		t.Fatalf("after SIGTERM: exit %d after %v\n%s", code, took, p.output())
	}
	if _, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second); err == nil {
		t.Fatal("port still accepting after exit")
	}
}

// TestBinarySecondOnSameDataDir: a second niwa on a data dir in use fails
// at start with a message naming the dir, and the first keeps serving.
func TestBinarySecondOnSameDataDir(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := framework.StartBinary(t, "--data-dir", dir)
	second := launchProcess(t, nil, "serve", "--port", strconv.Itoa(framework.FreePort(t)), "--data-dir", dir)
	code, _ := second.wait(framework.Patience)
	out := second.output()
	if code != 1 || !strings.Contains(out, "in use by another niwa process") || !strings.Contains(out, dir) {
		t.Fatalf("second niwa: exit %d, output %q", code, out)
	}
	var id callerIdentity
	framework.MustJSON(t, first.MustAWS(t, "sts", "get-caller-identity"), &id)
	if id.Account != "000000000000" {
		t.Fatalf("first niwa after the second failed: %+v", id)
	}
}

// TestBinaryNIWAPort: NIWA_PORT picks the port when --port is absent.
func TestBinaryNIWAPort(t *testing.T) {
	t.Parallel()
	port := framework.FreePort(t)
	p := launchProcess(t, []string{"NIWA_PORT=" + strconv.Itoa(port)}, "serve")
	p.waitHealthy("http://127.0.0.1:" + strconv.Itoa(port))
	p.cmd.Process.Signal(syscall.SIGTERM)
	if code, _ := p.wait(framework.Patience); code != 0 {
		t.Fatalf("exit %d", code)
	}

	bad := launchProcess(t, []string{"NIWA_PORT=http"}, "serve")
	if code, _ := bad.wait(framework.Patience); code != 2 || !strings.Contains(bad.output(), "NIWA_PORT") {
		t.Fatalf("NIWA_PORT=http: exit %d, output %q", code, bad.output())
	}
}

// TestBinaryExtraAccessKey: --access-key KEY:SECRET:ACCOUNT is the root of
// that account for the real aws CLI.
func TestBinaryExtraAccessKey(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t, "--access-key", "AKIAEXTRAKEY00000001:extra-secret:111111111111")
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			out, stderr, err := n.RunCLI(t, cli, []string{"AWS_ACCESS_KEY_ID=AKIAEXTRAKEY00000001", "AWS_SECRET_ACCESS_KEY=extra-secret"}, "sts", "get-caller-identity")
			if err != nil {
				t.Fatalf("%v\n%s", err, stderr)
			}
			var id callerIdentity
			framework.MustJSON(t, out, &id)
			if id.Account != "111111111111" || id.Arn != "arn:aws:iam::111111111111:root" {
				t.Fatalf("identity %+v", id)
			}
			// The default key still works next to it.
			framework.MustJSON(t, n.MustAWS(t, "sts", "get-caller-identity"), &id)
			if id.Account != "000000000000" {
				t.Fatalf("default key: %+v", id)
			}
		})
	}
}

// TestBinaryJSONLogLine: with --log-format json, a request produces one
// JSON line with service, operation, status, duration and request id.
func TestBinaryJSONLogLine(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t, "--log-format", "json")
	out, err := sts.NewFromConfig(framework.GoConfig(n, "test", "test", "")).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	id, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata)
	if !ok || id == "" {
		t.Fatal("no request id")
	}
	logs := n.StopAndLogs()
	var found []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(logs), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON line: %q", l)
		}
		if m["request_id"] == id {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d lines for request %s:\n%s", len(found), id, logs)
	}
	m := found[0]
	if m["msg"] != "request" || m["level"] != "INFO" || m["service"] != "sts" || m["operation"] != "GetCallerIdentity" || m["status"] != float64(200) {
		t.Fatalf("log line %v", m)
	}
	if d, ok := m["duration"].(float64); !ok || d <= 0 {
		t.Fatalf("duration %v", m["duration"])
	}
}

// TestBoto3NotImplementedIsNotRetried: boto3 parses niwa's NotImplemented
// in every protocol family and does not retry it.
func TestBoto3NotImplementedIsNotRetried(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	out := n.Python(t, `
import boto3, botocore, time
calls = [
    # Rarely used operations that niwa has no handler for, one or more per
    # protocol family; when one gets a handler, pick another.
    ("cloudformation", "list_stack_sets", {}, "CloudFormation.ListStackSets"),
    ("iam", "get_organizations_access_report", {"JobId": "01234567-89ab-cdef-0123-456789abcdef"}, "IAM.GetOrganizationsAccessReport"),
    ("ec2", "describe_ipams", {}, "EC2.DescribeIpams"),
    ("cloudwatch", "get_metric_widget_image", {"MetricWidget": "{}"}, "CloudWatch.GetMetricWidgetImage"),
    ("kms", "describe_custom_key_stores", {}, "KMS.DescribeCustomKeyStores"),
    ("apigateway", "get_sdk_types", {}, "API Gateway.GetSdkTypes"),
    ("s3", "get_object_torrent", {"Bucket": "b", "Key": "k"}, "S3.GetObjectTorrent"),
]
for service, op, args, name in calls:
    client = boto3.client(service, config=botocore.config.Config(retries={"mode": "standard"}))
    start = time.time()
    try:
        getattr(client, op)(**args)
        raise SystemExit(f"{name}: no error")
    except botocore.exceptions.ClientError as e:
        r = e.response
        assert r["Error"]["Code"] == "NotImplemented", (name, r)
        assert name in r["Error"]["Message"], (name, r)
        assert r["ResponseMetadata"]["HTTPStatusCode"] == 501, (name, r)
        assert r["ResponseMetadata"]["RetryAttempts"] == 0, (name, r)
        assert r["ResponseMetadata"].get("RequestId"), (name, r)
    assert time.time() - start < 5, (name, time.time() - start)
print("ok")
`)
	if strings.TrimSpace(out) != "ok" {
		t.Fatalf("boto3: %q", out)
	}
}

// TestCLINotImplemented: the aws CLI reports the code and operation and
// returns at once.
func TestCLINotImplemented(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			start := time.Now()
			_, stderr, err := n.RunCLI(t, cli, nil, "cloudformation", "list-stack-sets")
			if err == nil || !strings.Contains(stderr, "NotImplemented") || !strings.Contains(stderr, "CloudFormation.ListStackSets") {
				t.Fatalf("err=%v stderr=%s", err, stderr)
			}
			if took := time.Since(start); took > 20*time.Second {
				t.Fatalf("took %v", took)
			}
		})
	}
}
