package clock

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/e2e/framework"
	"github.com/niwa-cloud/niwa/e2e/framework/inprocess"
)

// cliJSON runs the CLI and decodes its JSON output (nil when it printed
// nothing, as receive-message does for an empty queue).
func cliJSON(t *testing.T, n *framework.Niwa, cli framework.CLI, args ...string) map[string]any {
	t.Helper()
	out := n.MustCLI(t, cli, args...)
	if strings.TrimSpace(out) == "" {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	return m
}

// TestSQSDelayAfterAdvance: a message sent with DelaySeconds 900 stays
// invisible until niwa's clock is advanced 15 minutes, then is received,
// on the binary and in-process, with CLI v1 and v2. Requests signed by
// the CLIs with their wall clock keep working after the advance.
func TestSQSDelayAfterAdvance(t *testing.T) {
	t.Parallel()
	for _, target := range framework.Targets {
		t.Run(string(target), func(t *testing.T) {
			n := inprocess.Start(t, target)
			for _, cli := range framework.CLIs {
				t.Run(cli.Name, func(t *testing.T) {
					url := cliJSON(t, n, cli, "sqs", "create-queue", "--queue-name", "delayed-"+cli.Name)["QueueUrl"].(string)
					cliJSON(t, n, cli, "sqs", "send-message", "--queue-url", url, "--message-body", "later", "--delay-seconds", "900")
					if got := cliJSON(t, n, cli, "sqs", "receive-message", "--queue-url", url, "--wait-time-seconds", "0"); got["Messages"] != nil {
						t.Fatalf("delayed message received before its delay: %v", got)
					}
					before := n.ClockNow(t)
					after := n.AdvanceClock(t, 15*time.Minute)
					if after.Sub(before) < 15*time.Minute {
						t.Fatalf("clock moved from %v to %v, want at least 15m", before, after)
					}
					got := cliJSON(t, n, cli, "sqs", "receive-message", "--queue-url", url, "--wait-time-seconds", "0")
					msgs, _ := got["Messages"].([]any)
					if len(msgs) != 1 || msgs[0].(map[string]any)["Body"] != "later" {
						t.Fatalf("after advancing 15m: %v", got)
					}
				})
			}
		})
	}
}

// TestDynamoDBTTLAfterAdvance: an item whose TTL attribute is a day ahead
// is deleted by niwa's TTL sweep once the binary's clock is advanced past
// it; an item a year ahead stays.
func TestDynamoDBTTLAfterAdvance(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			table := "ttl-" + cli.Name
			n.MustCLI(t, cli, "dynamodb", "create-table", "--table-name", table,
				"--attribute-definitions", "AttributeName=id,AttributeType=S",
				"--key-schema", "AttributeName=id,KeyType=HASH", "--billing-mode", "PAY_PER_REQUEST")
			n.MustCLI(t, cli, "dynamodb", "update-time-to-live", "--table-name", table,
				"--time-to-live-specification", "Enabled=true,AttributeName=expires")
			now := n.ClockNow(t)
			put := func(id string, expires time.Time) {
				item := fmt.Sprintf(`{"id":{"S":%q},"expires":{"N":%q}}`, id, strconv.FormatInt(expires.Unix(), 10))
				n.MustCLI(t, cli, "dynamodb", "put-item", "--table-name", table, "--item", item)
			}
			put("day", now.Add(24*time.Hour))
			put("year", now.Add(365*24*time.Hour))
			has := func(id string) bool {
				got := cliJSON(t, n, cli, "dynamodb", "get-item", "--table-name", table, "--key", fmt.Sprintf(`{"id":{"S":%q}}`, id))
				return got["Item"] != nil
			}
			if !has("day") {
				t.Fatal("item gone before its TTL")
			}
			n.AdvanceClock(t, 24*time.Hour+2*time.Minute)
			// The sweep runs in its own goroutine once the advance fires
			// its timer.
			framework.WaitUntil(t, 60*time.Second, func() bool { return !has("day") }, "the expired item to be deleted")
			if !has("year") {
				t.Fatal("item a year ahead was deleted")
			}
		})
	}
}
