package lambda

import (
	"strings"
	"testing"
)

// TestProcessedBatchItemFailures checks AWS's success and failure rules
// for partial batch responses.
func TestProcessedBatchItemFailures(t *testing.T) {
	msgs := []QueueMessage{{MessageID: "a", ReceiptHandle: "ra"}, {MessageID: "b", ReceiptHandle: "rb"}, {MessageID: "c", ReceiptHandle: "rc"}}
	cases := []struct {
		name, payload string
		report        bool
		want          string
	}{
		{"no report: whole batch", `{"batchItemFailures":[{"itemIdentifier":"b"}]}`, false, "ra,rb,rc"},
		{"empty response", ``, true, "ra,rb,rc"},
		{"null response", `null`, true, "ra,rb,rc"},
		{"empty object", `{}`, true, "ra,rb,rc"},
		{"null list", `{"batchItemFailures":null}`, true, "ra,rb,rc"},
		{"empty list", `{"batchItemFailures":[]}`, true, "ra,rb,rc"},
		{"one failure", `{"batchItemFailures":[{"itemIdentifier":"b"}]}`, true, "ra,rc"},
		{"two failures", `{"batchItemFailures":[{"itemIdentifier":"a"},{"itemIdentifier":"c"}]}`, true, "rb"},
		{"invalid JSON", `{"batchItemFailures":`, true, ""},
		{"empty identifier", `{"batchItemFailures":[{"itemIdentifier":""}]}`, true, ""},
		{"null identifier", `{"batchItemFailures":[{"itemIdentifier":null}]}`, true, ""},
		{"bad key name", `{"batchItemFailures":[{"messageId":"b"}]}`, true, ""},
		{"unknown message", `{"batchItemFailures":[{"itemIdentifier":"zz"}]}`, true, ""},
		{"list of another type", `{"batchItemFailures":"b"}`, true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := strings.Join(processed(msgs, []byte(c.payload), c.report), ","); got != c.want {
				t.Fatalf("processed = %q, want %q", got, c.want)
			}
		})
	}
}
