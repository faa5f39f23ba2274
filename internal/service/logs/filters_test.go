package logs

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"sync"
	"testing"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

func mustGroup(t *testing.T, l *Logs, ctx *request.Context, g string, streams ...string) {
	t.Helper()
	if _, err := l.CreateLogGroup(ctx, &logsapi.CreateLogGroupRequest{LogGroupName: ptr.To(g)}); err != nil {
		t.Fatal(err)
	}
	for _, st := range streams {
		if _, err := l.CreateLogStream(ctx, &logsapi.CreateLogStreamRequest{LogGroupName: ptr.To(g), LogStreamName: ptr.To(st)}); err != nil {
			t.Fatal(err)
		}
	}
}

func f64(v float64) *float64 { return &v }

// TestTestMetricFilter: the pattern runs over the given messages; matches
// are numbered from 1 and carry the space-delimited fields by name.
func TestTestMetricFilter(t *testing.T) {
	l, ctx, _ := newLogs(t)
	msgs := []string{
		`127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 1534`,
		`127.0.0.1 - frank [10/Oct/2000:13:35:22 -0700] "GET /index.html HTTP/1.0" 200 2020`,
		`{"level":"error","latency":12}`,
	}
	cases := []struct {
		name, pattern string
		want          []logsapi.MetricFilterMatchRecord
		code          string
	}{
		{"spaced with names", `[ip, id, user, timestamp, request, status_code = 404, size]`, []logsapi.MetricFilterMatchRecord{{
			EventNumber: ptr.To(int64(1)), EventMessage: ptr.To(msgs[0]), ExtractedValues: map[string]string{
				"$ip": "127.0.0.1", "$id": "-", "$user": "frank", "$timestamp": "10/Oct/2000:13:25:15 -0700",
				"$request": "GET /apache_pb.gif HTTP/1.0", "$status_code": "404", "$size": "1534"}}}, ""},
		{"terms", `GET`, []logsapi.MetricFilterMatchRecord{
			{EventNumber: ptr.To(int64(1)), EventMessage: ptr.To(msgs[0]), ExtractedValues: map[string]string{}},
			{EventNumber: ptr.To(int64(2)), EventMessage: ptr.To(msgs[1]), ExtractedValues: map[string]string{}}}, ""},
		{"json", `{ $.level = "error" }`, []logsapi.MetricFilterMatchRecord{
			{EventNumber: ptr.To(int64(3)), EventMessage: ptr.To(msgs[2]), ExtractedValues: map[string]string{}}}, ""},
		{"no match", `nothing`, []logsapi.MetricFilterMatchRecord{}, ""},
		{"bad pattern", `{ $.x = `, nil, "InvalidParameterException"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := l.TestMetricFilter(ctx, &logsapi.TestMetricFilterRequest{FilterPattern: ptr.To(c.pattern), LogEventMessages: msgs})
			if code(err) != c.code {
				t.Fatalf("err %v, want %s", err, c.code)
			}
			if c.code != "" {
				return
			}
			if !reflect.DeepEqual(out.Matches, c.want) {
				got, _ := json.Marshal(out.Matches)
				t.Fatalf("matches %s", got)
			}
		})
	}
}

// TestMetricFilters: put, describe (by prefix, by metric, paged), the
// values emitted as events arrive, default values, delete and limits.
func TestMetricFilters(t *testing.T) {
	l, ctx, _ := newLogs(t)
	mustGroup(t, l, ctx, "/app", "a")
	put := func(name, pattern string, tr logsapi.MetricTransformation) error {
		_, err := l.PutMetricFilter(ctx, &logsapi.PutMetricFilterRequest{LogGroupName: ptr.To("/app"), FilterName: ptr.To(name),
			FilterPattern: ptr.To(pattern), MetricTransformations: []logsapi.MetricTransformation{tr}})
		return err
	}
	if err := put("latency", `{ $.latency > 0 }`, logsapi.MetricTransformation{MetricName: ptr.To("Latency"), MetricNamespace: ptr.To("App"),
		MetricValue: ptr.To("$.latency"), Dimensions: map[string]string{"Route": "$.route"}, Unit: ptr.To("Milliseconds")}); err != nil {
		t.Fatal(err)
	}
	if err := put("errors", `ERROR`, logsapi.MetricTransformation{MetricName: ptr.To("Errors"), MetricNamespace: ptr.To("App"),
		MetricValue: ptr.To("1"), DefaultValue: f64(0)}); err != nil {
		t.Fatal(err)
	}
	if err := put("bytes", `[ip, status, bytes]`, logsapi.MetricTransformation{MetricName: ptr.To("Bytes"), MetricNamespace: ptr.To("Web"),
		MetricValue: ptr.To("$bytes")}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		tr   logsapi.MetricTransformation
		err  string
	}{
		{"default with dimensions", logsapi.MetricTransformation{MetricName: ptr.To("M"), MetricNamespace: ptr.To("N"), MetricValue: ptr.To("1"),
			DefaultValue: f64(0), Dimensions: map[string]string{"a": "$.a"}}, "InvalidParameterException"},
		{"bad value", logsapi.MetricTransformation{MetricName: ptr.To("M"), MetricNamespace: ptr.To("N"), MetricValue: ptr.To("lots")}, "InvalidParameterException"},
	} {
		if err := put("x", "", c.tr); code(err) != c.err {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
	if _, err := l.PutMetricFilter(ctx, &logsapi.PutMetricFilterRequest{LogGroupName: ptr.To("/nope"), FilterName: ptr.To("x"), FilterPattern: ptr.To(""),
		MetricTransformations: []logsapi.MetricTransformation{{MetricName: ptr.To("M"), MetricNamespace: ptr.To("N"), MetricValue: ptr.To("1")}}}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("missing group: %v", err)
	}

	d, err := l.DescribeMetricFilters(ctx, &logsapi.DescribeMetricFiltersRequest{LogGroupName: ptr.To("/app")})
	if err != nil || len(d.MetricFilters) != 3 || *d.MetricFilters[0].FilterName != "bytes" || *d.MetricFilters[0].LogGroupName != "/app" {
		t.Fatalf("describe: %v %+v", err, d)
	}
	d, _ = l.DescribeMetricFilters(ctx, &logsapi.DescribeMetricFiltersRequest{MetricName: ptr.To("Errors"), MetricNamespace: ptr.To("App")})
	if len(d.MetricFilters) != 1 || *d.MetricFilters[0].FilterName != "errors" {
		t.Fatalf("by metric: %+v", d)
	}
	if _, err := l.DescribeMetricFilters(ctx, &logsapi.DescribeMetricFiltersRequest{MetricName: ptr.To("Errors")}); code(err) != "InvalidParameterException" {
		t.Fatalf("name without namespace: %v", err)
	}
	var names []string
	var tok *string
	for {
		d, err := l.DescribeMetricFilters(ctx, &logsapi.DescribeMetricFiltersRequest{LogGroupName: ptr.To("/app"), Limit: ptr.To(int32(2)), NextToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range d.MetricFilters {
			names = append(names, *f.FilterName)
		}
		if tok = d.NextToken; tok == nil {
			break
		}
	}
	if !reflect.DeepEqual(names, []string{"bytes", "errors", "latency"}) {
		t.Fatalf("paged: %v", names)
	}
	g, _ := l.DescribeLogGroups(ctx, &logsapi.DescribeLogGroupsRequest{})
	if *g.LogGroups[0].MetricFilterCount != 3 {
		t.Fatalf("metricFilterCount %d", *g.LogGroups[0].MetricFilterCount)
	}

	put1 := func(msgs ...string) {
		t.Helper()
		var evs []logsapi.InputLogEvent
		for _, m := range msgs {
			evs = append(evs, logsapi.InputLogEvent{Timestamp: ptr.To(ms(t0)), Message: ptr.To(m)})
		}
		if _, err := l.PutLogEvents(ctx, &logsapi.PutLogEventsRequest{LogGroupName: ptr.To("/app"), LogStreamName: ptr.To("a"), LogEvents: evs}); err != nil {
			t.Fatal(err)
		}
	}
	put1(`{"latency":42,"route":"/home"}`, `10.0.0.1 200 512`, `ERROR boom`)
	put1(`nothing to see`)
	got, err := l.Metrics("000000000000", "us-east-1", "")
	if err != nil {
		t.Fatal(err)
	}
	type pt struct {
		ns, name string
		v        float64
		dims     map[string]string
	}
	var pts []pt
	for _, m := range got {
		pts = append(pts, pt{m.Namespace, m.MetricName, m.Value, m.Dimensions})
	}
	want := []pt{
		{"App", "Errors", 1, nil},
		{"App", "Errors", 0, nil}, // the second batch had no ERROR: the default value
		{"App", "Latency", 42, map[string]string{"Route": "/home"}},
		{"Web", "Bytes", 512, nil},
	}
	if !reflect.DeepEqual(pts, want) {
		t.Fatalf("metrics %+v", pts)
	}

	if _, err := l.DeleteMetricFilter(ctx, &logsapi.DeleteMetricFilterRequest{LogGroupName: ptr.To("/app"), FilterName: ptr.To("errors")}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.DeleteMetricFilter(ctx, &logsapi.DeleteMetricFilterRequest{LogGroupName: ptr.To("/app"), FilterName: ptr.To("errors")}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("delete twice: %v", err)
	}
	for i := 0; i < maxMetricFilters-2; i++ {
		if err := put(string(rune('A'+i%26))+string(rune('a'+i/26)), "", logsapi.MetricTransformation{MetricName: ptr.To("M"), MetricNamespace: ptr.To("N"), MetricValue: ptr.To("1")}); err != nil {
			t.Fatal(i, err)
		}
	}
	if err := put("one-too-many", "", logsapi.MetricTransformation{MetricName: ptr.To("M"), MetricNamespace: ptr.To("N"), MetricValue: ptr.To("1")}); code(err) != "LimitExceededException" {
		t.Fatalf("limit: %v", err)
	}
	if err := put("latency", "", logsapi.MetricTransformation{MetricName: ptr.To("M"), MetricNamespace: ptr.To("N"), MetricValue: ptr.To("1")}); err != nil {
		t.Fatalf("replacing at the limit: %v", err)
	}
}

// bus records deliveries; functions named "denied" refuse the logs
// principal, as a function without a resource policy statement does.
type bus struct {
	mu   sync.Mutex
	msgs []events.Message
}

func (b *bus) Deliver(_ context.Context, m events.Message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if m.TargetARN == "arn:aws:lambda:us-east-1:000000000000:function:denied" || m.SourceService != "logs.us-east-1.amazonaws.com" {
		return errors.New("access denied")
	}
	if !m.Validate {
		b.msgs = append(b.msgs, m)
	}
	return nil
}

// TestSubscriptionFilters: a filter to a Lambda function is checked with
// the function when put, and matching events arrive gzipped and base64
// encoded under awslogs.data, as AWS sends them.
func TestSubscriptionFilters(t *testing.T) {
	l, ctx, _ := newLogs(t)
	b := &bus{}
	l.bus = b
	mustGroup(t, l, ctx, "/app", "a")
	fn := "arn:aws:lambda:us-east-1:000000000000:function:sink"
	putSub := func(name, dest string) error {
		_, err := l.PutSubscriptionFilter(ctx, &logsapi.PutSubscriptionFilterRequest{LogGroupName: ptr.To("/app"), FilterName: ptr.To(name),
			FilterPattern: ptr.To("ERROR"), DestinationArn: ptr.To(dest)})
		return err
	}
	for _, c := range []struct {
		name, filter, dest, code string
	}{
		{"lambda", "f1", fn, ""},
		{"no permission", "f2", "arn:aws:lambda:us-east-1:000000000000:function:denied", "InvalidParameterException"},
		{"kinesis", "f2", "arn:aws:kinesis:us-east-1:000000000000:stream/s", "InvalidParameterException"},
		{"second", "f2", fn, ""},
		{"third", "f3", fn, "LimitExceededException"},
		{"replace", "f2", fn, ""},
	} {
		if err := putSub(c.filter, c.dest); code(err) != c.code {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
	mustGroup(t, l, ctx, "/aws/lambda/sink")
	if _, err := l.PutSubscriptionFilter(ctx, &logsapi.PutSubscriptionFilterRequest{LogGroupName: ptr.To("/aws/lambda/sink"), FilterName: ptr.To("loop"),
		FilterPattern: ptr.To(""), DestinationArn: ptr.To(fn + ":live")}); code(err) != "InvalidParameterException" {
		t.Fatalf("function's own group: %v", err)
	}
	if err := l.DeleteSubscriptionFilterOrFail(ctx, "f2"); err != nil {
		t.Fatal(err)
	}
	if err := l.DeleteSubscriptionFilterOrFail(ctx, "f2"); code(err) != "ResourceNotFoundException" {
		t.Fatalf("delete twice: %v", err)
	}
	d, err := l.DescribeSubscriptionFilters(ctx, &logsapi.DescribeSubscriptionFiltersRequest{LogGroupName: ptr.To("/app")})
	if err != nil || len(d.SubscriptionFilters) != 1 || *d.SubscriptionFilters[0].DestinationArn != fn || *d.SubscriptionFilters[0].Distribution != "ByLogStream" {
		t.Fatalf("describe: %v %+v", err, d)
	}
	if _, err := l.DescribeSubscriptionFilters(ctx, &logsapi.DescribeSubscriptionFiltersRequest{LogGroupName: ptr.To("/nope")}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("missing group: %v", err)
	}

	_, err = l.PutLogEvents(ctx, &logsapi.PutLogEventsRequest{LogGroupName: ptr.To("/app"), LogStreamName: ptr.To("a"), LogEvents: []logsapi.InputLogEvent{
		{Timestamp: ptr.To(ms(t0)), Message: ptr.To("ERROR one")}, {Timestamp: ptr.To(ms(t0) + 1), Message: ptr.To("fine")}, {Timestamp: ptr.To(ms(t0) + 2), Message: ptr.To("ERROR two")}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.msgs) != 1 {
		t.Fatalf("deliveries %+v", b.msgs)
	}
	m := b.msgs[0]
	if m.TargetARN != fn || m.SourceARN != "arn:aws:logs:us-east-1:000000000000:log-group:/app:*" || m.SourceAccount != "000000000000" {
		t.Fatalf("message %+v", m)
	}
	var p struct {
		AWSLogs struct{ Data string } `json:"awslogs"`
	}
	if err := json.Unmarshal([]byte(m.Body), &p); err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(p.AWSLogs.Data)
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	var got subscriptionMessage
	if err := json.Unmarshal(plain, &got); err != nil {
		t.Fatal(err)
	}
	if got.MessageType != "DATA_MESSAGE" || got.Owner != "000000000000" || got.LogGroup != "/app" || got.LogStream != "a" ||
		!reflect.DeepEqual(got.SubscriptionFilters, []string{"f1"}) || len(got.LogEvents) != 2 ||
		got.LogEvents[0].Message != "ERROR one" || got.LogEvents[1].Message != "ERROR two" || len(got.LogEvents[0].ID) != 56 {
		t.Fatalf("payload %s", plain)
	}
}

func (l *Logs) DeleteSubscriptionFilterOrFail(ctx *request.Context, name string) error {
	_, err := l.DeleteSubscriptionFilter(ctx, &logsapi.DeleteSubscriptionFilterRequest{LogGroupName: ptr.To("/app"), FilterName: ptr.To(name)})
	return err
}

// FuzzFilterPattern: any filter pattern compiles or is refused with
// InvalidParameterException, and matching and extraction never panic.
func FuzzFilterPattern(f *testing.F) {
	for _, p := range []string{`ERROR`, `?a ?b -c`, `"x y"`, `{ $.a = 1 && ($.b.c[0] != "x*" || $.d IS TRUE) }`,
		`[ip, user, status = 4*, bytes > 10, ...]`, `[,,x]`, `[...]`, `{ $.x NOT EXISTS }`} {
		f.Add(p, `1.2.3.4 - "GET /" 404 100 {"a":1}`)
	}
	f.Fuzz(func(t *testing.T, p, msg string) {
		pat, err := compilePattern(p)
		if err != nil {
			if code(err) != "InvalidParameterException" {
				t.Fatalf("%q: %v", p, err)
			}
			return
		}
		vals, ok := pat.matches(msg)
		if ok != pat.match(msg) {
			t.Fatalf("matches and match disagree on %q / %q", p, msg)
		}
		for k := range vals {
			resolve(k, msg, vals)
		}
	})
}

// TestRegexFilterPatterns: %regex% terms and values, as AWS added them
// to filter patterns, at most two per pattern.
func TestRegexFilterPatterns(t *testing.T) {
	msgs := []string{`ERROR 503 upstream`, `ERROR timeout`, `{"path":"/api/v2/users","status":500}`, `10.0.0.1 GET /health 200`}
	cases := []struct {
		pattern string
		want    []int64
		code    string
	}{
		{`%ERROR [0-9]+%`, []int64{1}, ""},
		{`?%timeout% ?%upstream$%`, []int64{1, 2}, ""},
		{`{ $.path = %^/api/v[0-9]+/% }`, []int64{3}, ""},
		{`[ip, method, path = %^/heal%, status]`, []int64{4}, ""},
		{`%(%`, nil, "InvalidParameterException"},
		{`{ $.path = %(% }`, nil, "InvalidParameterException"},
		{`%a% %b% %c%`, nil, "InvalidParameterException"},
	}
	l, ctx, _ := newLogs(t)
	for _, c := range cases {
		out, err := l.TestMetricFilter(ctx, &logsapi.TestMetricFilterRequest{FilterPattern: ptr.To(c.pattern), LogEventMessages: msgs})
		if code(err) != c.code {
			t.Fatalf("%s: %v", c.pattern, err)
		}
		if err != nil {
			continue
		}
		var got []int64
		for _, m := range out.Matches {
			got = append(got, *m.EventNumber)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: matches %v, want %v", c.pattern, got, c.want)
		}
	}
}
