package logs

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestLogsAPI drives CloudWatch Logs with both CLI versions and boto3:
// groups, streams, put/get/filter with patterns, retention and tags.
func TestLogsAPI(t *testing.T) {
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
			g := "/app/" + cli.Name
			run("logs", "create-log-group", "--log-group-name", g)
			if _, errOut, err := n.RunCLI(t, cli, nil, "logs", "create-log-group", "--log-group-name", g); err == nil || !strings.Contains(errOut, "ResourceAlreadyExistsException") {
				t.Fatalf("duplicate group: %v %s", err, errOut)
			}
			run("logs", "create-log-stream", "--log-group-name", g, "--log-stream-name", "web")
			now := time.Now().UnixMilli()
			events := fmt.Sprintf(`[{"timestamp":%d,"message":"ERROR failed to connect"},{"timestamp":%d,"message":"{\"level\":\"warn\",\"ms\":512}"},{"timestamp":%d,"message":"INFO ok"}]`, now, now+1, now+2)
			run("logs", "put-log-events", "--log-group-name", g, "--log-stream-name", "web", "--log-events", events)
			var got struct{ Events []struct{ Message string } }
			json.Unmarshal([]byte(run("logs", "get-log-events", "--log-group-name", g, "--log-stream-name", "web", "--start-from-head")), &got)
			if len(got.Events) != 3 || got.Events[0].Message != "ERROR failed to connect" {
				t.Fatalf("get-log-events: %+v", got)
			}
			for pattern, want := range map[string]int{"ERROR": 1, "?ERROR ?INFO": 2, `{ $.ms > 500 }`: 1, "": 3} {
				var f struct{ Events []struct{ Message string } }
				json.Unmarshal([]byte(run("logs", "filter-log-events", "--log-group-name", g, "--filter-pattern", pattern)), &f)
				if len(f.Events) != want {
					t.Errorf("pattern %q: %d events, want %d", pattern, len(f.Events), want)
				}
			}
			run("logs", "put-retention-policy", "--log-group-name", g, "--retention-in-days", "14")
			run("logs", "tag-log-group", "--log-group-name", g, "--tags", "team=core")
			var dg struct {
				LogGroups []struct {
					LogGroupName    string
					RetentionInDays int
				}
			}
			json.Unmarshal([]byte(run("logs", "describe-log-groups", "--log-group-name-prefix", g)), &dg)
			if len(dg.LogGroups) != 1 || dg.LogGroups[0].RetentionInDays != 14 {
				t.Fatalf("describe-log-groups: %+v", dg)
			}
			if out := run("logs", "list-tags-log-group", "--log-group-name", g); !strings.Contains(out, `"team": "core"`) {
				t.Fatalf("tags: %s", out)
			}
			if _, errOut, err := n.RunCLI(t, cli, nil, "logs", "put-retention-policy", "--log-group-name", g, "--retention-in-days", "4"); err == nil || !strings.Contains(errOut, "InvalidParameterException") {
				t.Fatalf("retention 4: %v %s", err, errOut)
			}
			run("logs", "delete-log-group", "--log-group-name", g)
			if _, errOut, err := n.RunCLI(t, cli, nil, "logs", "describe-log-streams", "--log-group-name", g); err == nil || !strings.Contains(errOut, "ResourceNotFoundException") {
				t.Fatalf("deleted group: %v %s", err, errOut)
			}
		})
	}

	out := n.Python(t, `
import boto3, time
logs = boto3.client("logs")
logs.create_log_group(logGroupName="paged")
logs.create_log_stream(logGroupName="paged", logStreamName="s")
now = int(time.time() * 1000)
logs.put_log_events(logGroupName="paged", logStreamName="s",
    logEvents=[{"timestamp": now + i, "message": "line %d" % i} for i in range(120)])
msgs = []
for page in logs.get_paginator("filter_log_events").paginate(logGroupName="paged", PaginationConfig={"PageSize": 50}):
    msgs += [e["message"] for e in page["events"]]
assert msgs == ["line %d" % i for i in range(120)], msgs[:5]
print("ok")
`)
	if strings.TrimSpace(out) != "ok" {
		t.Fatal(out)
	}
}

// TestLogsTailFollow: `aws logs tail --follow` (CLI v2) shows events put
// while it runs.
func TestLogsTailFollow(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	framework.RequireClient(t, "the aws CLI v2", "sh", "-c", "/usr/bin/aws --version 2>&1 | grep -q aws-cli/2")
	n.MustAWS(t, "logs", "create-log-group", "--log-group-name", "follow")
	n.MustAWS(t, "logs", "create-log-stream", "--log-group-name", "follow", "--log-stream-name", "s")
	ctx, cancel := context.WithTimeout(context.Background(), framework.Patience+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/usr/bin/aws", "--endpoint-url", n.Endpoint, "logs", "tail", "follow", "--follow", "--format", "short")
	// Unbuffered, or the lines sit in the CLI's pipe buffer.
	cmd.Env = n.ClientEnv("PYTHONUNBUFFERED=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); cmd.Wait() }()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// The tail polls every few seconds; put events until one shows up.
	deadline := time.After(framework.Patience)
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("aws logs tail exited")
			}
			if strings.Contains(l, "followed line") {
				return
			}
		case <-tick.C:
			n.MustAWS(t, "logs", "put-log-events", "--log-group-name", "follow", "--log-stream-name", "s",
				"--log-events", fmt.Sprintf(`[{"timestamp":%d,"message":"followed line %d"}]`, time.Now().UnixMilli(), i))
		case <-deadline:
			t.Fatal("aws logs tail --follow never showed the event")
		}
	}
}
