package server_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/niwa-cloud/niwa/niwatest"
)

// liveTailClient is a CloudWatch Logs client for niwa. StartLiveTail's
// model has a host prefix ("stream-"; "streaming-" in older SDKs), which
// the SDK puts in front of the endpoint's host (stream-127.0.0.1); the
// client dials niwa whatever the host, as /etc/hosts or a resolver would
// make it.
func liveTailClient(t *testing.T, n *niwatest.Niwa) *cloudwatchlogs.Client {
	t.Helper()
	u, err := url.Parse(n.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	cfg := n.AWSConfig()
	cfg.HTTPClient = &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, u.Host)
		},
	}}
	return cloudwatchlogs.NewFromConfig(cfg)
}

// TestStartLiveTail drives a Live Tail session with aws-sdk-go-v2's event
// stream client on niwa's clock: sessionStart, updates every second with
// the matching events of the chosen streams, and SessionTimeoutException
// after three hours.
func TestStartLiveTail(t *testing.T) {
	clk := niwatest.NewFakeClock(time.Now()) // signatures are checked against it
	n := niwatest.Start(t, niwatest.WithClock(clk))
	ctx := context.Background()
	c := liveTailClient(t, n)
	if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"web-1", "db-1"} {
		if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("app"), LogStreamName: aws.String(s)}); err != nil {
			t.Fatal(err)
		}
	}
	arn := "arn:aws:logs:" + n.Region + ":" + niwatest.Account + ":log-group:app"

	out, err := c.StartLiveTail(ctx, &cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn},
		LogStreamNamePrefixes: []string{"web"}, LogEventFilterPattern: aws.String("ERROR")})
	if err != nil {
		t.Fatal(err)
	}
	stream := out.GetStream()
	defer stream.Close()
	events := stream.Events()
	first := <-events
	start, ok := first.(*cwltypes.StartLiveTailResponseStreamMemberSessionStart)
	if !ok {
		t.Fatalf("first event %T, want sessionStart", first)
	}
	if aws.ToString(start.Value.SessionId) == "" || len(start.Value.LogGroupIdentifiers) != 1 || start.Value.LogGroupIdentifiers[0] != arn ||
		aws.ToString(start.Value.LogEventFilterPattern) != "ERROR" || start.Value.LogStreamNamePrefixes[0] != "web" {
		t.Errorf("sessionStart %+v", start.Value)
	}

	now := clk.Now().UnixMilli()
	put := func(stream string, msgs ...string) {
		var evs []cwltypes.InputLogEvent
		for _, m := range msgs {
			evs = append(evs, cwltypes.InputLogEvent{Message: aws.String(m), Timestamp: aws.Int64(now)})
		}
		if _, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("app"), LogStreamName: aws.String(stream), LogEvents: evs}); err != nil {
			t.Fatal(err)
		}
	}
	put("web-1", "ERROR boom", "INFO fine")
	put("db-1", "ERROR elsewhere")

	// Updates come every second of niwa's clock: move it until one
	// carries the event.
	var got []cwltypes.LiveTailSessionLogEvent
	deadline := time.Now().Add(30 * time.Second)
	for len(got) == 0 && time.Now().Before(deadline) {
		clk.Advance(time.Second)
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("stream ended: %v", stream.Err())
			}
			u, isUpdate := ev.(*cwltypes.StartLiveTailResponseStreamMemberSessionUpdate)
			if !isUpdate {
				t.Fatalf("event %T, want sessionUpdate", ev)
			}
			if u.Value.SessionMetadata == nil || u.Value.SessionMetadata.Sampled {
				t.Errorf("sessionMetadata %+v", u.Value.SessionMetadata)
			}
			got = u.Value.SessionResults
		case <-time.After(50 * time.Millisecond):
		}
	}
	if len(got) != 1 || aws.ToString(got[0].Message) != "ERROR boom" || aws.ToString(got[0].LogStreamName) != "web-1" ||
		aws.ToString(got[0].LogGroupIdentifier) != niwatest.Account+":app" || aws.ToInt64(got[0].Timestamp) != now || got[0].IngestionTime == nil {
		t.Fatalf("session results %+v", got)
	}

	// Three hours on: the session ends with SessionTimeoutException.
	clk.Advance(3 * time.Hour)
	deadline = time.Now().Add(30 * time.Second)
	for ended := false; !ended; {
		select {
		case _, ok := <-events:
			ended = !ok
		case <-time.After(30 * time.Second):
			t.Fatal("the session did not end after three hours")
		}
		if time.Now().After(deadline) {
			t.Fatal("the session did not end after three hours")
		}
	}
	var te *cwltypes.SessionTimeoutException
	if err := stream.Err(); !errors.As(err, &te) {
		t.Errorf("stream error %v, want SessionTimeoutException", err)
	}
}

// TestStartLiveTailValidation: StartLiveTail's refusals are ordinary error
// responses.
func TestStartLiveTailValidation(t *testing.T) {
	n := niwatest.Start(t)
	ctx := context.Background()
	c := liveTailClient(t, n)
	for _, g := range []string{"a", "b"} {
		if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(g)}); err != nil {
			t.Fatal(err)
		}
	}
	arn := func(g string) string { return "arn:aws:logs:" + n.Region + ":" + niwatest.Account + ":log-group:" + g }
	eleven := make([]string, 11)
	for i := range eleven {
		eleven[i] = arn("a")
	}
	cases := []struct {
		name string
		in   cloudwatchlogs.StartLiveTailInput
		code string
		msg  string
	}{
		{"no groups", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{}}, "InvalidParameterException", "logGroupIdentifiers"},
		{"eleven groups", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: eleven}, "InvalidParameterException", "logGroupIdentifiers"},
		{"unknown group", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn("nope")}}, "ResourceNotFoundException", "does not exist"},
		{"asterisk", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn("a") + ":*"}}, "InvalidParameterException", "regular expression pattern"},
		{"names and prefixes", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn("a")}, LogStreamNames: []string{"x"}, LogStreamNamePrefixes: []string{"y"}}, "InvalidParameterException", "mutually exclusive"},
		{"names with two groups", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn("a"), arn("b")}, LogStreamNames: []string{"x"}}, "InvalidParameterException", "single log group"},
		{"bad pattern", cloudwatchlogs.StartLiveTailInput{LogGroupIdentifiers: []string{arn("a")}, LogEventFilterPattern: aws.String("{ $.x = ")}, "InvalidParameterException", "filter pattern"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.StartLiveTail(ctx, &tc.in)
			code, msg := errCode(err)
			if code != tc.code || !strings.Contains(msg, tc.msg) {
				t.Errorf("%v: got %s %q, want %s containing %q", err, code, msg, tc.code, tc.msg)
			}
		})
	}
}
