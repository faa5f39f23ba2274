package logs

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// rowsOf renders results as "field=value,..." lines, easier to compare.
func rowsOf(res [][]logsapi.ResultField) []string {
	out := []string{}
	for _, r := range res {
		var parts []string
		for _, f := range r {
			if *f.Field == "@ptr" {
				continue
			}
			parts = append(parts, *f.Field+"="+*f.Value)
		}
		out = append(out, strings.Join(parts, ","))
	}
	return out
}

func seedQueryEvents(t *testing.T, l *Logs, ctx *request.Context) {
	t.Helper()
	mustGroup(t, l, ctx, "/svc", "web", "worker")
	msgs := map[string][]string{
		"web": {
			`{"level":"info","route":"/a","latency":10,"user":{"id":"u1"}}`,
			`{"level":"error","route":"/b","latency":30,"user":{"id":"u2"}}`,
			`{"level":"info","route":"/a","latency":20,"user":{"id":"u1"}}`,
		},
		"worker": {
			`job=17 status=done took=5ms`,
			`job=18 status=failed took=12ms`,
		},
	}
	for st, ms := range msgs {
		var evs []logsapi.InputLogEvent
		for i, m := range ms {
			evs = append(evs, logsapi.InputLogEvent{Timestamp: ptr.To(t0.UnixMilli() + int64(i)*60000), Message: ptr.To(m)})
		}
		if _, err := l.PutLogEvents(ctx, &logsapi.PutLogEventsRequest{LogGroupName: ptr.To("/svc"), LogStreamName: ptr.To(st), LogEvents: evs}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestInsightsQueries: queries run over the stored events with the
// language's common commands and complete at once.
func TestInsightsQueries(t *testing.T) {
	l, ctx, _ := newLogs(t)
	seedQueryEvents(t, l, ctx)
	cases := []struct {
		name, q string
		want    []string
		code    string
	}{
		{"fields and sort", `fields @timestamp, route, latency | filter ispresent(route) | sort latency desc`, []string{
			"@timestamp=2026-05-01 12:01:00.000,route=/b,latency=30",
			"@timestamp=2026-05-01 12:02:00.000,route=/a,latency=20",
			"@timestamp=2026-05-01 12:00:00.000,route=/a,latency=10"}, ""},
		{"filter equality and nested field", `fields user.id | filter level = "info" and user.id != "u2" | sort @timestamp asc`, []string{
			"user.id=u1", "user.id=u1"}, ""},
		{"filter like regex or", `fields @message | filter @message like /failed/ or latency > 25 | sort @timestamp asc`, []string{
			`@message={"level":"error","route":"/b","latency":30,"user":{"id":"u2"}}`,
			"@message=job=18 status=failed took=12ms"}, ""},
		{"not like", `fields @logStream | filter @message not like "job=" | stats count(*) as n by @logStream`, []string{
			"@logStream=web,n=3"}, ""},
		{"stats", `stats count(*), sum(latency), avg(latency), min(latency), max(latency) by route | sort route asc`, []string{
			"route=/a,count(*)=2,sum(latency)=30,avg(latency)=15,min(latency)=10,max(latency)=20",
			"route=/b,count(*)=1,sum(latency)=30,avg(latency)=30,min(latency)=30,max(latency)=30"}, ""},
		{"stats over everything", `stats count() as events`, []string{"events=5"}, ""},
		{"pct stddev earliest latest", `stats pct(latency, 50), stddev(latency) as sd, earliest(route) as first, latest(route) as last`, []string{
			"pct(latency, 50)=20,sd=8.16496580927726,first=/a,last=/a"}, ""},
		{"pct out of range", `stats pct(latency, 101)`, nil, "MalformedQueryException"},
		{"arithmetic", `fields latency * 2 as double, latency - 5 as less, latency/4 | filter double > 30 and latency % 10 = 0 | sort double desc`, []string{
			"double=60,less=25,latency/4=7.5", "double=40,less=15,latency/4=5"}, ""},
		{"stats over an expression", `stats max(latency / 10) as m, avg(latency + 0)`, []string{"m=3,avg(latency + 0)=20"}, ""},
		{"regex after =~", `filter route =~ /b$/ | fields route`, []string{"route=/b"}, ""},
		{"negative number", `filter latency > -1 and latency < 15 | fields latency`, []string{"latency=10"}, ""},
		{"bin", `filter @logStream = "web" | stats count(*) by bin(2m)`, []string{
			"bin(2m)=2026-05-01 12:02:00.000,count(*)=1", "bin(2m)=2026-05-01 12:00:00.000,count(*)=2"}, ""},
		{"bin aliased and sorted", `filter @logStream = "web" | stats count(*) as n by bin(2m) as t | sort t desc`, []string{
			"t=2026-05-01 12:02:00.000,n=1", "t=2026-05-01 12:00:00.000,n=2"}, ""},
		{"parse glob", `parse @message "job=* status=* took=*ms" as job, status, took | filter ispresent(job) | fields job, status, took | sort job asc`, []string{
			"job=17,status=done,took=5", "job=18,status=failed,took=12"}, ""},
		{"parse regex", `parse @message /status=(?<st>\w+)/ | filter ispresent(st) | stats count(*) by st | sort st`, []string{
			"st=failed,count(*)=1", "st=done,count(*)=1"}, ""},
		{"limit keeps the newest", `fields @timestamp | limit 1`, []string{"@timestamp=2026-05-01 12:02:00.000"}, ""},
		{"default fields", `filter route = "/b"`, []string{
			`@timestamp=2026-05-01 12:01:00.000,@message={"level":"error","route":"/b","latency":30,"user":{"id":"u2"}},@logStream=web,@log=000000000000:/svc`}, ""},
		{"in list", `filter level in ["error", "warn"] | fields route`, []string{"route=/b"}, ""},
		{"unknown command", `fetch everything`, nil, "MalformedQueryException"},
		{"unterminated string", `filter level = "info`, nil, "MalformedQueryException"},
		{"bad regex", `filter @message like /(/`, nil, "MalformedQueryException"},
		{"dangling and", `filter level = "info" and`, nil, "MalformedQueryException"},
		{"parse names mismatch", `parse @message "a=* b=*" as a`, nil, "MalformedQueryException"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start, end := t0.Add(-time.Hour).Unix(), t0.Add(time.Hour).Unix()
			out, err := l.StartQuery(ctx, &logsapi.StartQueryRequest{LogGroupName: ptr.To("/svc"), StartTime: &start, EndTime: &end, QueryString: ptr.To(c.q)})
			if code(err) != c.code {
				t.Fatalf("err %v, want %q", err, c.code)
			}
			if c.code != "" {
				return
			}
			res, err := l.GetQueryResults(ctx, &logsapi.GetQueryResultsRequest{QueryId: out.QueryId})
			if err != nil || *res.Status != "Complete" {
				t.Fatalf("%v %+v", err, res)
			}
			got := rowsOf(res.Results)
			if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
				g, _ := json.MarshalIndent(got, "", " ")
				t.Fatalf("got %s", g)
			}
			if *res.Statistics.RecordsScanned != 5 {
				t.Fatalf("scanned %v", *res.Statistics.RecordsScanned)
			}
		})
	}
}

// TestInsightsAPI: parameter checks, the time range, @ptr for
// GetLogRecord, DescribeQueries and StopQuery.
func TestInsightsAPI(t *testing.T) {
	l, ctx, clk := newLogs(t)
	seedQueryEvents(t, l, ctx)
	start, end := t0.Unix(), t0.Add(time.Minute).Unix()
	run := func(in *logsapi.StartQueryRequest) (*logsapi.StartQueryResponse, error) {
		if in.StartTime == nil {
			in.StartTime, in.EndTime = &start, &end
		}
		if in.QueryString == nil {
			in.QueryString = ptr.To("fields @message")
		}
		return l.StartQuery(ctx, in)
	}
	for _, c := range []struct {
		name string
		in   *logsapi.StartQueryRequest
		code string
	}{
		{"no group", &logsapi.StartQueryRequest{}, "InvalidParameterException"},
		{"two ways", &logsapi.StartQueryRequest{LogGroupName: ptr.To("/svc"), LogGroupNames: []string{"/svc"}}, "InvalidParameterException"},
		{"missing group", &logsapi.StartQueryRequest{LogGroupNames: []string{"/svc", "/nope"}}, "ResourceNotFoundException"},
		{"end before start", &logsapi.StartQueryRequest{LogGroupName: ptr.To("/svc"), StartTime: &end, EndTime: &start}, "InvalidParameterException"},
		{"by ARN", &logsapi.StartQueryRequest{LogGroupIdentifiers: []string{"arn:aws:logs:us-east-1:000000000000:log-group:/svc"}}, ""},
	} {
		if _, err := run(c.in); code(err) != c.code {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
	// The range is inclusive and in seconds: 12:00:00 and 12:01:00 of
	// each stream, four events.
	clk.Advance(time.Second)
	q, err := run(&logsapi.StartQueryRequest{LogGroupName: ptr.To("/svc"), QueryString: ptr.To("fields @message | sort @timestamp asc"), Limit: ptr.To(int32(3))})
	if err != nil {
		t.Fatal(err)
	}
	res, _ := l.GetQueryResults(ctx, &logsapi.GetQueryResultsRequest{QueryId: q.QueryId})
	if len(res.Results) != 3 || *res.Statistics.RecordsMatched != 4 || *res.Statistics.RecordsScanned != 4 {
		t.Fatalf("results %+v %+v", res.Results, res.Statistics)
	}
	pointer := res.Results[0][len(res.Results[0])-1]
	if *pointer.Field != "@ptr" {
		t.Fatalf("no @ptr: %+v", res.Results[0])
	}
	rec, err := l.GetLogRecord(ctx, &logsapi.GetLogRecordRequest{LogRecordPointer: pointer.Value})
	if err != nil || rec.LogRecord["@message"] != *res.Results[0][0].Value || rec.LogRecord["@timestamp"] != fmt.Sprint(t0.UnixMilli()) {
		t.Fatalf("record %v %+v", err, rec)
	}
	if _, err := l.GetLogRecord(ctx, &logsapi.GetLogRecordRequest{LogRecordPointer: ptr.To("garbage!")}); code(err) != "InvalidParameterException" {
		t.Fatalf("bad pointer: %v", err)
	}
	d, err := l.DescribeQueries(ctx, &logsapi.DescribeQueriesRequest{LogGroupName: ptr.To("/svc")})
	if err != nil || len(d.Queries) != 2 || *d.Queries[0].QueryId != *q.QueryId || *d.Queries[0].Status != "Complete" {
		t.Fatalf("describe %v %+v", err, d)
	}
	d, _ = l.DescribeQueries(ctx, &logsapi.DescribeQueriesRequest{MaxResults: ptr.To(int32(1))})
	if len(d.Queries) != 1 || d.NextToken == nil {
		t.Fatalf("page 1 %+v", d)
	}
	d, _ = l.DescribeQueries(ctx, &logsapi.DescribeQueriesRequest{MaxResults: ptr.To(int32(1)), NextToken: d.NextToken})
	if len(d.Queries) != 1 || *d.Queries[0].QueryId == *q.QueryId || d.NextToken != nil {
		t.Fatalf("page 2 %+v", d)
	}
	if _, err := l.StopQuery(ctx, &logsapi.StopQueryRequest{QueryId: q.QueryId}); code(err) != "InvalidParameterException" {
		t.Fatalf("stop complete: %v", err)
	}
	if _, err := l.GetQueryResults(ctx, &logsapi.GetQueryResultsRequest{QueryId: ptr.To("nope")}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("unknown query: %v", err)
	}
}

// TestRetentionOnTheClock: once the clock passes a group's retention,
// its events are gone from every read and from the store; writes older
// than the retention are rejected as too old.
func TestRetentionOnTheClock(t *testing.T) {
	l, ctx, clk := newLogs(t)
	mustGroup(t, l, ctx, "/r", "a")
	if _, err := l.PutRetentionPolicy(ctx, &logsapi.PutRetentionPolicyRequest{LogGroupName: ptr.To("/r"), RetentionInDays: ptr.To(int32(2))}); code(err) != "InvalidParameterException" {
		t.Fatalf("2 days: %v", err)
	}
	if _, err := l.PutRetentionPolicy(ctx, &logsapi.PutRetentionPolicyRequest{LogGroupName: ptr.To("/r"), RetentionInDays: ptr.To(int32(1))}); err != nil {
		t.Fatal(err)
	}
	put(t, l, ctx, "/r", "a", "old")
	clk.Advance(20 * time.Hour)
	put(t, l, ctx, "/r", "a", "new")
	read := func() []string {
		out, err := l.GetLogEvents(ctx, &logsapi.GetLogEventsRequest{LogGroupName: ptr.To("/r"), LogStreamName: ptr.To("a"), StartFromHead: ptr.To(true)})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range out.Events {
			got = append(got, *e.Message)
		}
		f, _ := l.FilterLogEvents(ctx, &logsapi.FilterLogEventsRequest{LogGroupName: ptr.To("/r")})
		if len(f.Events) != len(got) {
			t.Fatalf("filter %d, get %d", len(f.Events), len(got))
		}
		return got
	}
	if got := read(); strings.Join(got, ",") != "old,new" {
		t.Fatalf("before expiry: %v", got)
	}
	clk.Advance(5 * time.Hour) // "old" is 25h old, "new" 5h
	if got := read(); strings.Join(got, ",") != "new" {
		t.Fatalf("after expiry: %v", got)
	}
	ctxNow := ms(ctx.Now())
	out, err := l.PutLogEvents(ctx, &logsapi.PutLogEventsRequest{LogGroupName: ptr.To("/r"), LogStreamName: ptr.To("a"), LogEvents: []logsapi.InputLogEvent{
		{Timestamp: ptr.To(ctxNow - int64(25*time.Hour/time.Millisecond)), Message: ptr.To("older than retention")}}})
	if err != nil || out.RejectedLogEventsInfo == nil || *out.RejectedLogEventsInfo.TooOldLogEventEndIndex != 1 {
		t.Fatalf("too old for retention: %v %+v", err, out)
	}
	n := 0
	l.store.View(func(tx storage.Tx) error {
		return evs.List(tx, scope(ctx), []string{"/r"}, storage.ListOptions{}, func(_ []string, e event) bool { n++; return true })
	})
	if n != 1 {
		t.Fatalf("stored events after purge: %d", n)
	}
	g, _ := l.DescribeLogGroups(ctx, &logsapi.DescribeLogGroupsRequest{})
	if *g.LogGroups[0].StoredBytes != int64(len("new")) {
		t.Fatalf("storedBytes after purge: %d", *g.LogGroups[0].StoredBytes)
	}
}

// FuzzQuery: any query string compiles or is refused with an AWS error,
// and a compiled query runs over sample rows without panicking.
func FuzzQuery(f *testing.F) {
	for _, q := range []string{
		`fields @timestamp, @message | sort @timestamp desc | limit 20`,
		`filter level = "error" or latency > 10 and not ispresent(x) | stats count(*) as n by bin(5m), route`,
		`parse @message "a=* b=*" as a, b | dedup a`,
		`parse @message /(?<x>\d+)/ | filter x in [1, "2"] | display x`, `stats pct(x, 99), stddev(x), earliest(x), latest(x) by bin(1m)`,
		`filter @message like /a|b/ | stats avg(x), count_distinct(y), min(x), max(x), sum(x)`,
		"`odd field` = 'q'", `| |`, `stats count(`, `sort`, `limit 0`,
	} {
		f.Add(q)
	}
	e := event{Timestamp: t0.UnixMilli(), Message: `{"level":"error","latency":12,"route":"/a","x":"3","y":[1,2]}`, Seq: 1}
	f.Fuzz(func(t *testing.T, q string) {
		plan, err := compileQuery(q)
		if err != nil {
			if c := code(err); c != "MalformedQueryException" && c != "InvalidParameterException" {
				t.Fatalf("%q: %v", q, err)
			}
			return
		}
		plan.run([]row{eventRow("000000000000", "/g", "s", e), eventRow("000000000000", "/g", "s", event{Message: "a=1 b=2"})}, 100)
	})
}

func TestQueryRefusesInvalidUTF8(t *testing.T) {
	if _, err := compileQuery("filter @message like \"\xbb\""); code(err) != "MalformedQueryException" {
		t.Fatal(err)
	}
}

// TestQueriesExpire: a query's results are kept seven days, as AWS keeps
// them.
func TestQueriesExpire(t *testing.T) {
	l, ctx, clk := newLogs(t)
	seedQueryEvents(t, l, ctx)
	start, end := t0.Unix(), t0.Unix()+60
	q, err := l.StartQuery(ctx, &logsapi.StartQueryRequest{LogGroupName: ptr.To("/svc"), StartTime: &start, EndTime: &end, QueryString: ptr.To("fields @message")})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(8 * 24 * time.Hour)
	if _, err := l.StartQuery(ctx, &logsapi.StartQueryRequest{LogGroupName: ptr.To("/svc"), StartTime: &start, EndTime: &end, QueryString: ptr.To("fields @message")}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.GetQueryResults(ctx, &logsapi.GetQueryResultsRequest{QueryId: q.QueryId}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("8 days later: %v", err)
	}
}

// TestInsightsLambdaFields: Lambda's START/END/REPORT lines carry @type,
// @requestId and the REPORT figures, as Insights discovers them.
func TestInsightsLambdaFields(t *testing.T) {
	l, ctx, _ := newLogs(t)
	mustGroup(t, l, ctx, "/aws/lambda/f", "s")
	put(t, l, ctx, "/aws/lambda/f", "s",
		"START RequestId: r1 Version: $LATEST", "hello", "END RequestId: r1",
		"REPORT RequestId: r1\tDuration: 12.50 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\t",
		"REPORT RequestId: r2\tDuration: 7.50 ms\tBilled Duration: 8 ms\tMemory Size: 128 MB\tMax Memory Used: 42 MB\tInit Duration: 100.00 ms\t")
	start, end := t0.Unix()-60, t0.Unix()+60
	q, err := l.StartQuery(ctx, &logsapi.StartQueryRequest{LogGroupName: ptr.To("/aws/lambda/f"), StartTime: &start, EndTime: &end,
		QueryString: ptr.To(`filter @type = "REPORT" | stats count(*) as n, avg(@duration) as avg, max(@maxMemoryUsed / 1000 / 1000) as mem, max(@memorySize / 1000 / 1000) as size`)})
	if err != nil {
		t.Fatal(err)
	}
	res, _ := l.GetQueryResults(ctx, &logsapi.GetQueryResultsRequest{QueryId: q.QueryId})
	if got := strings.Join(rowsOf(res.Results), "|"); got != "n=2,avg=10,mem=42,size=128" {
		t.Fatalf("got %s", got)
	}
}
