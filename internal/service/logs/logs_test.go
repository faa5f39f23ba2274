package logs

import (
	"strings"
	"testing"
	"time"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

var t0 = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func newLogs(t *testing.T) (*Logs, *request.Context, *clock.Fake) {
	t.Helper()
	h := servicetest.New(t, "logs", servicetest.At(t0), servicetest.InAccount("000000000000"))
	return New(h.Store(), h.Clock, nil), h.Ctx(), h.Clock
}

func code(err error) string {
	if err == nil {
		return ""
	}
	return awserr.As(err).Code.Code
}

func put(t *testing.T, l *Logs, ctx *request.Context, g, st string, msgs ...string) {
	t.Helper()
	var evs []logsapi.InputLogEvent
	for i, m := range msgs {
		ts := ms(ctx.Now()) + int64(i)
		evs = append(evs, logsapi.InputLogEvent{Timestamp: &ts, Message: ptr.To(m)})
	}
	if _, err := l.PutLogEvents(ctx, &logsapi.PutLogEventsRequest{LogGroupName: ptr.To(g), LogStreamName: ptr.To(st), LogEvents: evs}); err != nil {
		t.Fatal(err)
	}
}

func TestGroupsStreamsAndEvents(t *testing.T) {
	l, ctx, _ := newLogs(t)
	if _, err := l.CreateLogGroup(ctx, &logsapi.CreateLogGroupRequest{LogGroupName: ptr.To("/app")}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.CreateLogGroup(ctx, &logsapi.CreateLogGroupRequest{LogGroupName: ptr.To("/app")}); code(err) != "ResourceAlreadyExistsException" {
		t.Fatalf("duplicate group: %v", err)
	}
	if _, err := l.CreateLogStream(ctx, &logsapi.CreateLogStreamRequest{LogGroupName: ptr.To("/nope"), LogStreamName: ptr.To("a")}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("stream in missing group: %v", err)
	}
	l.CreateLogStream(ctx, &logsapi.CreateLogStreamRequest{LogGroupName: ptr.To("/app"), LogStreamName: ptr.To("a")})
	_, err := l.PutLogEvents(ctx, &logsapi.PutLogEventsRequest{LogGroupName: ptr.To("/app"), LogStreamName: ptr.To("missing"),
		LogEvents: []logsapi.InputLogEvent{{Timestamp: ptr.To(ms(t0)), Message: ptr.To("x")}}})
	if code(err) != "ResourceNotFoundException" || !strings.Contains(err.Error(), "log stream does not exist") {
		t.Fatalf("missing stream: %v", err)
	}
	_, err = l.PutLogEvents(ctx, &logsapi.PutLogEventsRequest{LogGroupName: ptr.To("/app"), LogStreamName: ptr.To("a"),
		LogEvents: []logsapi.InputLogEvent{{Timestamp: ptr.To(ms(t0) + 5), Message: ptr.To("b")}, {Timestamp: ptr.To(ms(t0)), Message: ptr.To("a")}}})
	if code(err) != "InvalidParameterException" {
		t.Fatalf("unordered batch: %v", err)
	}
	old := ms(t0.Add(-15 * 24 * time.Hour))
	out, err := l.PutLogEvents(ctx, &logsapi.PutLogEventsRequest{LogGroupName: ptr.To("/app"), LogStreamName: ptr.To("a"),
		LogEvents: []logsapi.InputLogEvent{{Timestamp: &old, Message: ptr.To("ancient")}, {Timestamp: ptr.To(old + 1), Message: ptr.To("ancient too")}}})
	if err != nil || out.RejectedLogEventsInfo == nil || *out.RejectedLogEventsInfo.TooOldLogEventEndIndex != 2 {
		t.Fatalf("too old: %v %+v", err, out)
	}
	put(t, l, ctx, "/app", "a", "fresh", "one", "two", "three")

	got, err := l.GetLogEvents(ctx, &logsapi.GetLogEventsRequest{LogGroupName: ptr.To("/app"), LogStreamName: ptr.To("a"), StartFromHead: ptr.To(true), Limit: ptr.To(int32(2))})
	if err != nil || len(got.Events) != 2 || *got.Events[0].Message != "fresh" {
		t.Fatalf("first page: %v %+v", err, got)
	}
	next, _ := l.GetLogEvents(ctx, &logsapi.GetLogEventsRequest{LogGroupName: ptr.To("/app"), LogStreamName: ptr.To("a"), NextToken: got.NextForwardToken})
	if len(next.Events) != 2 || *next.Events[1].Message != "three" || *next.Events[0].Message != "two" {
		t.Fatalf("second page: %+v", next)
	}
	end, _ := l.GetLogEvents(ctx, &logsapi.GetLogEventsRequest{LogGroupName: ptr.To("/app"), LogStreamName: ptr.To("a"), NextToken: next.NextForwardToken})
	if len(end.Events) != 0 || *end.NextForwardToken != *next.NextForwardToken {
		t.Fatalf("end of stream must repeat the token: %+v", end)
	}
	tail, _ := l.GetLogEvents(ctx, &logsapi.GetLogEventsRequest{LogGroupName: ptr.To("/app"), LogStreamName: ptr.To("a"), Limit: ptr.To(int32(1))})
	if len(tail.Events) != 1 || *tail.Events[0].Message != "three" {
		t.Fatalf("default read is the newest: %+v", tail)
	}

	ds, _ := l.DescribeLogStreams(ctx, &logsapi.DescribeLogStreamsRequest{LogGroupName: ptr.To("/app")})
	if len(ds.LogStreams) != 1 || ds.LogStreams[0].LastEventTimestamp == nil {
		t.Fatalf("streams: %+v", ds)
	}
	if _, err := l.PutRetentionPolicy(ctx, &logsapi.PutRetentionPolicyRequest{LogGroupName: ptr.To("/app"), RetentionInDays: ptr.To(int32(4))}); code(err) != "InvalidParameterException" {
		t.Fatalf("retention 4: %v", err)
	}
	l.PutRetentionPolicy(ctx, &logsapi.PutRetentionPolicyRequest{LogGroupName: ptr.To("/app"), RetentionInDays: ptr.To(int32(7))})
	l.TagLogGroup(ctx, &logsapi.TagLogGroupRequest{LogGroupName: ptr.To("/app"), Tags: map[string]string{"team": "a"}})
	dg, _ := l.DescribeLogGroups(ctx, &logsapi.DescribeLogGroupsRequest{LogGroupNamePrefix: ptr.To("/a")})
	if len(dg.LogGroups) != 1 || *dg.LogGroups[0].RetentionInDays != 7 || *dg.LogGroups[0].Arn != "arn:aws:logs:us-east-1:000000000000:log-group:/app:*" {
		t.Fatalf("groups: %+v", dg)
	}
	tags, _ := l.ListTagsForResource(ctx, &logsapi.ListTagsForResourceRequest{ResourceArn: ptr.To("arn:aws:logs:us-east-1:000000000000:log-group:/app")})
	if tags.Tags["team"] != "a" {
		t.Fatalf("tags: %+v", tags)
	}
	l.DeleteLogGroup(ctx, &logsapi.DeleteLogGroupRequest{LogGroupName: ptr.To("/app")})
	if _, err := l.GetLogEvents(ctx, &logsapi.GetLogEventsRequest{LogGroupName: ptr.To("/app"), LogStreamName: ptr.To("a")}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("deleted group: %v", err)
	}
}

func TestFilterPatterns(t *testing.T) {
	l, ctx, _ := newLogs(t)
	l.CreateLogGroup(ctx, &logsapi.CreateLogGroupRequest{LogGroupName: ptr.To("g")})
	l.CreateLogStream(ctx, &logsapi.CreateLogStreamRequest{LogGroupName: ptr.To("g"), LogStreamName: ptr.To("s1")})
	l.CreateLogStream(ctx, &logsapi.CreateLogStreamRequest{LogGroupName: ptr.To("g"), LogStreamName: ptr.To("s2")})
	put(t, l, ctx, "g", "s1", "ERROR disk full", `{"level":"error","latency":250,"user":{"id":"u1"}}`, "INFO all good")
	put(t, l, ctx, "g", "s2", "WARN slow request", `{"level":"info","latency":20}`, `127.0.0.1 frank GET /index.html 404 12`)
	for _, c := range []struct {
		pattern string
		want    int
	}{
		{"", 6},
		{"ERROR", 1},
		{"?ERROR ?WARN", 2},
		{`"disk full"`, 1},
		{"INFO -good", 0},
		{`{ $.level = "error" }`, 1},
		{`{ $.latency > 100 }`, 1},
		{`{ $.latency < 100 || $.level = "error" }`, 2},
		{`{ $.user.id = "u*" && $.latency >= 250 }`, 1},
		{`{ $.missing EXISTS }`, 0},
		{`[ip, user, method, path, status = 404, size]`, 1},
		{`[ip, user = frank, ...]`, 1},
	} {
		out, err := l.FilterLogEvents(ctx, &logsapi.FilterLogEventsRequest{LogGroupName: ptr.To("g"), FilterPattern: ptr.To(c.pattern)})
		if err != nil {
			t.Fatalf("%q: %v", c.pattern, err)
		}
		if len(out.Events) != c.want {
			t.Errorf("%q matched %d, want %d", c.pattern, len(out.Events), c.want)
		}
	}
	if _, err := l.FilterLogEvents(ctx, &logsapi.FilterLogEventsRequest{LogGroupName: ptr.To("g"), FilterPattern: ptr.To("{ $.a = ")}); code(err) != "InvalidParameterException" {
		t.Fatalf("bad pattern: %v", err)
	}
	// Pages follow time order across streams.
	var seen []string
	var tok *string
	for {
		out, err := l.FilterLogEvents(ctx, &logsapi.FilterLogEventsRequest{LogGroupName: ptr.To("g"), Limit: ptr.To(int32(4)), NextToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range out.Events {
			seen = append(seen, *e.EventId)
		}
		if out.NextToken == nil {
			break
		}
		tok = out.NextToken
	}
	if len(seen) != 6 {
		t.Fatalf("paged %d events", len(seen))
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] <= seen[i-1] || len(seen[i]) != 56 {
			t.Fatalf("event ids out of order or malformed: %v", seen)
		}
	}
}

func TestAppendCreatesGroupAndStream(t *testing.T) {
	l, ctx, _ := newLogs(t)
	if err := l.AppendLogEvents("000000000000", "us-east-1", "/aws/lambda/f", "2026/05/01/[$LATEST]abc", []LogEvent{{Time: t0, Message: "START"}}); err != nil {
		t.Fatal(err)
	}
	out, err := l.FilterLogEvents(ctx, &logsapi.FilterLogEventsRequest{LogGroupName: ptr.To("/aws/lambda/f")})
	if err != nil || len(out.Events) != 1 || *out.Events[0].LogStreamName != "2026/05/01/[$LATEST]abc" {
		t.Fatalf("%v %+v", err, out)
	}
}
