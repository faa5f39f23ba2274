package cloudwatch

import (
	"context"
	"encoding/json"
	"math"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	cwapi "github.com/niwa-cloud/niwa/internal/api/cloudwatch"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

type fixture struct {
	h   *servicetest.Harness
	c   *CloudWatch
	bus *events.Bus

	mu        sync.Mutex
	delivered []events.Message
	published []events.Event
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	h := servicetest.New(t, "cloudwatch")
	f := &fixture{h: h, bus: events.New()}
	record := events.HandlerFunc(func(_ context.Context, m events.Message) error {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.delivered = append(f.delivered, m)
		return nil
	})
	f.bus.Handle("sns", record)
	f.bus.Handle("lambda", record)
	f.bus.Subscribe(func(e events.Event) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.published = append(f.published, e)
	})
	f.c = New(h.Store(), h.Clock, f.bus, nil)
	// The test drives evaluation itself through Tick.
	f.c.Close()
	return f
}

func errCode(err error) string {
	if err == nil {
		return ""
	}
	return awserr.As(err).Code.Code
}

func datum(name string, v float64, dims ...string) cwapi.MetricDatum {
	d := cwapi.MetricDatum{MetricName: ptr.To(name), Value: ptr.To(v)}
	for i := 0; i+1 < len(dims); i += 2 {
		d.Dimensions = append(d.Dimensions, cwapi.Dimension{Name: ptr.To(dims[i]), Value: ptr.To(dims[i+1])})
	}
	return d
}

func (f *fixture) put(t *testing.T, ns string, ds ...cwapi.MetricDatum) {
	t.Helper()
	if _, err := f.c.PutMetricData(f.h.Ctx(), &cwapi.PutMetricDataInput{Namespace: ptr.To(ns), MetricData: ds}); err != nil {
		t.Fatal(err)
	}
}

func TestPutMetricDataRefusals(t *testing.T) {
	f := newFixture(t)
	now := f.h.Clock.Now()
	many := make([]cwapi.MetricDatum, 1001)
	for i := range many {
		many[i] = datum("m", 1)
	}
	dims := make([]string, 0, 62)
	for i := 0; i < 31; i++ {
		dims = append(dims, "d"+string(rune('a'+i%26))+string(rune('a'+i/26)), "v")
	}
	cases := []struct {
		name, ns string
		data     []cwapi.MetricDatum
		code     string
		msg      string
	}{
		{"reserved namespace", "AWS/EC2", []cwapi.MetricDatum{datum("m", 1)}, "InvalidParameterValue", "The value AWS/EC2 for parameter Namespace is invalid."},
		{"NaN", "app", []cwapi.MetricDatum{datum("m", math.NaN())}, "InvalidParameterValue", "The value NaN for parameter MetricData.member.1.Value is invalid."},
		{"infinity", "app", []cwapi.MetricDatum{datum("m", math.Inf(1))}, "InvalidParameterValue", "+Inf"},
		{"too large", "app", []cwapi.MetricDatum{datum("m", 1e200)}, "InvalidParameterValue", "1e+200"},
		{"too many data", "app", many, "InvalidParameterValue", "must not have a size greater than 1000"},
		{"too many dimensions", "app", []cwapi.MetricDatum{datum("m", 1, dims...)}, "InvalidParameterValue", "Dimensions must not have a size greater than 30"},
		{"value and statistic set", "app", []cwapi.MetricDatum{{MetricName: ptr.To("m"), Value: ptr.To(1.0), StatisticValues: &cwapi.StatisticSet{SampleCount: ptr.To(1.0), Sum: ptr.To(1.0), Minimum: ptr.To(1.0), Maximum: ptr.To(1.0)}}}, "InvalidParameterCombination", "mutually exclusive"},
		{"values and counts of different sizes", "app", []cwapi.MetricDatum{{MetricName: ptr.To("m"), Values: []float64{1, 2}, Counts: []float64{1}}}, "InvalidParameterValue", "same size"},
		{"storage resolution 5", "app", []cwapi.MetricDatum{{MetricName: ptr.To("m"), Value: ptr.To(1.0), StorageResolution: ptr.To(int32(5))}}, "InvalidParameterValue", "StorageResolution"},
		{"three weeks old", "app", []cwapi.MetricDatum{{MetricName: ptr.To("m"), Value: ptr.To(1.0), Timestamp: ptr.To(now.Add(-21 * 24 * time.Hour))}}, "InvalidParameterValue", "two weeks in the past"},
		{"three hours ahead", "app", []cwapi.MetricDatum{{MetricName: ptr.To("m"), Value: ptr.To(1.0), Timestamp: ptr.To(now.Add(3 * time.Hour))}}, "InvalidParameterValue", "two hours in the future"},
		{"min above max", "app", []cwapi.MetricDatum{{MetricName: ptr.To("m"), StatisticValues: &cwapi.StatisticSet{SampleCount: ptr.To(2.0), Sum: ptr.To(3.0), Minimum: ptr.To(5.0), Maximum: ptr.To(1.0)}}}, "InvalidParameterValue", "Maximum"},
		{"no value", "app", []cwapi.MetricDatum{{MetricName: ptr.To("m")}}, "MissingParameter", "Value is required"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.c.PutMetricData(f.h.Ctx(), &cwapi.PutMetricDataInput{Namespace: ptr.To(c.ns), MetricData: c.data})
			if errCode(err) != c.code || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("got %v, want %s containing %q", err, c.code, c.msg)
			}
		})
	}
	ctx := f.h.Ctx()
	ctx.HTTP = httptest.NewRequest("POST", "/", nil)
	ctx.HTTP.ContentLength = 1<<20 + 1
	if _, err := f.c.PutMetricData(ctx, &cwapi.PutMetricDataInput{Namespace: ptr.To("app"), MetricData: []cwapi.MetricDatum{datum("m", 1)}}); errCode(err) != "RequestEntityTooLarge" ||
		awserr.As(err).Code.Status != 413 {
		t.Fatalf("1 MB: %v", err)
	}
	out, err := f.c.ListMetrics(f.h.Ctx(), &cwapi.ListMetricsInput{})
	if err != nil || len(out.Metrics) != 0 {
		t.Fatalf("a refused put stored something: %v %v", out, err)
	}
}

func stats(t *testing.T, f *fixture, in *cwapi.GetMetricStatisticsInput) []cwapi.Datapoint {
	t.Helper()
	out, err := f.c.GetMetricStatistics(f.h.Ctx(), in)
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(out.Datapoints, func(i, j int) bool { return out.Datapoints[i].Timestamp.Before(*out.Datapoints[j].Timestamp) })
	return out.Datapoints
}

func TestGetMetricStatistics(t *testing.T) {
	f := newFixture(t)
	now := f.h.Clock.Now() // 12:00:00
	at := func(d time.Duration, v float64, unit string) cwapi.MetricDatum {
		x := datum("Latency", v, "Service", "api")
		x.Timestamp = ptr.To(now.Add(d))
		if unit != "" {
			x.Unit = ptr.To(unit)
		}
		return x
	}
	f.put(t, "App", at(-10*time.Minute, 10, "Milliseconds"), at(-10*time.Minute+20*time.Second, 30, "Milliseconds"),
		at(-9*time.Minute, 5, "Milliseconds"), at(-9*time.Minute, 7, "Seconds"))
	f.put(t, "App", cwapi.MetricDatum{MetricName: ptr.To("Latency"), Dimensions: []cwapi.Dimension{{Name: ptr.To("Service"), Value: ptr.To("api")}},
		Timestamp: ptr.To(now.Add(-8 * time.Minute)), StatisticValues: &cwapi.StatisticSet{SampleCount: ptr.To(4.0), Sum: ptr.To(40.0), Minimum: ptr.To(1.0), Maximum: ptr.To(20.0)}, Unit: ptr.To("Milliseconds")},
		cwapi.MetricDatum{MetricName: ptr.To("Latency"), Dimensions: []cwapi.Dimension{{Name: ptr.To("Service"), Value: ptr.To("api")}},
			Timestamp: ptr.To(now.Add(-7 * time.Minute)), Values: []float64{1, 2, 3}, Counts: []float64{1, 1, 8}, Unit: ptr.To("Milliseconds")})
	base := cwapi.GetMetricStatisticsInput{Namespace: ptr.To("App"), MetricName: ptr.To("Latency"),
		Dimensions: []cwapi.Dimension{{Name: ptr.To("Service"), Value: ptr.To("api")}},
		StartTime:  ptr.To(now.Add(-15 * time.Minute)), EndTime: ptr.To(now), Period: ptr.To(int32(60)),
		Statistics: []string{"Sum", "Average", "Minimum", "Maximum", "SampleCount"}, Unit: ptr.To("Milliseconds")}
	dps := stats(t, f, &base)
	if len(dps) != 4 {
		t.Fatalf("%d datapoints: %+v", len(dps), dps)
	}
	if d := dps[0]; *d.Sum != 40 || *d.Average != 20 || *d.Minimum != 10 || *d.Maximum != 30 || *d.SampleCount != 2 || *d.Unit != "Milliseconds" || !d.Timestamp.Equal(now.Add(-10*time.Minute)) {
		t.Fatalf("first minute: %+v", d)
	}
	if d := dps[1]; *d.Sum != 5 {
		t.Fatalf("the unit filter let Seconds in: %+v", d)
	}
	if d := dps[2]; *d.SampleCount != 4 || *d.Sum != 40 || *d.Maximum != 20 {
		t.Fatalf("statistic set: %+v", d)
	}
	if d := dps[3]; *d.SampleCount != 10 || *d.Sum != 27 {
		t.Fatalf("values and counts: %+v", d)
	}
	ext := base
	ext.Statistics, ext.ExtendedStatistics, ext.Period = nil, []string{"p50", "p99"}, ptr.To(int32(900))
	dps = stats(t, f, &ext)
	if len(dps) != 1 || dps[0].ExtendedStatistics["p50"] != 3 || dps[0].ExtendedStatistics["p99"] != 30 {
		t.Fatalf("percentiles: %+v", dps)
	}
	refusals := []struct {
		name string
		mod  func(*cwapi.GetMetricStatisticsInput)
		code string
		msg  string
	}{
		{"1440 datapoints", func(in *cwapi.GetMetricStatisticsInput) {
			in.Period, in.StartTime = ptr.To(int32(1)), ptr.To(now.Add(-30*time.Minute))
		}, "InvalidParameterCombination", "You have requested up to 1800 datapoints, which exceeds the limit of 1440."},
		{"period 7", func(in *cwapi.GetMetricStatisticsInput) { in.Period = ptr.To(int32(7)) }, "InvalidParameterValue", "1, 5, 10, 30, or a multiple of 60"},
		{"period 30 on old data", func(in *cwapi.GetMetricStatisticsInput) {
			in.Period, in.StartTime = ptr.To(int32(30)), ptr.To(now.Add(-5*time.Hour))
		}, "InvalidParameterValue", "multiple of 60"},
		{"period 60 on 20-day-old data", func(in *cwapi.GetMetricStatisticsInput) {
			in.StartTime, in.EndTime = ptr.To(now.Add(-20*24*time.Hour)), ptr.To(now.Add(-20*24*time.Hour+time.Hour))
		}, "InvalidParameterValue", "multiple of 300"},
		{"both kinds of statistics", func(in *cwapi.GetMetricStatisticsInput) { in.ExtendedStatistics = []string{"p90"} }, "InvalidParameterCombination", ""},
		{"bad percentile", func(in *cwapi.GetMetricStatisticsInput) { in.Statistics, in.ExtendedStatistics = nil, []string{"p101"} }, "InvalidParameterValue", "p101"},
		{"start after end", func(in *cwapi.GetMetricStatisticsInput) { in.StartTime = ptr.To(now.Add(time.Minute)) }, "InvalidParameterValue", "StartTime"},
	}
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			in := base
			c.mod(&in)
			_, err := f.c.GetMetricStatistics(f.h.Ctx(), &in)
			if errCode(err) != c.code || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("got %v, want %s %q", err, c.code, c.msg)
			}
		})
	}
}

func TestHighResolution(t *testing.T) {
	f := newFixture(t)
	now := f.h.Clock.Now()
	for i := 0; i < 6; i++ {
		d := datum("hr", float64(i))
		d.StorageResolution, d.Timestamp = ptr.To(int32(1)), ptr.To(now.Add(-time.Minute+time.Duration(i*10)*time.Second))
		f.put(t, "App", d)
	}
	dps := stats(t, f, &cwapi.GetMetricStatisticsInput{Namespace: ptr.To("App"), MetricName: ptr.To("hr"), StartTime: ptr.To(now.Add(-time.Minute)),
		EndTime: ptr.To(now), Period: ptr.To(int32(10)), Statistics: []string{"Sum"}})
	if len(dps) != 6 || *dps[5].Sum != 5 {
		t.Fatalf("10-second periods: %+v", dps)
	}
	// After three hours the seconds are rolled up into their minute.
	f.h.Clock.Advance(4 * time.Hour)
	if err := f.c.Tick(); err != nil {
		t.Fatal(err)
	}
	var b bucket
	f.h.Store().View(func(tx storageTx) error {
		var err error
		b, _, err = dataT.Get(tx, scope(f.h.Ctx()), "App", "hr", "", stamp(now.Add(-time.Minute).Unix()))
		return err
	})
	if len(b.Entries) != 1 || b.Entries[0].N != 6 || b.Entries[0].Sum != 15 {
		t.Fatalf("not rolled up: %+v", b)
	}
}

func TestListMetrics(t *testing.T) {
	f := newFixture(t)
	f.put(t, "App", datum("Requests", 1, "Service", "api"), datum("Requests", 1, "Service", "web"), datum("Errors", 1, "Service", "api"))
	f.put(t, "Other", datum("Requests", 1))
	list := func(in *cwapi.ListMetricsInput) []string {
		out, err := f.c.ListMetrics(f.h.Ctx(), in)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, m := range out.Metrics {
			s := *m.Namespace + "/" + *m.MetricName
			for _, d := range m.Dimensions {
				s += " " + *d.Name + "=" + *d.Value
			}
			got = append(got, s)
		}
		return got
	}
	cases := []struct {
		name string
		in   cwapi.ListMetricsInput
		want string
	}{
		{"all", cwapi.ListMetricsInput{}, "App/Errors Service=api,App/Requests Service=api,App/Requests Service=web,Other/Requests"},
		{"namespace", cwapi.ListMetricsInput{Namespace: ptr.To("App"), MetricName: ptr.To("Requests")}, "App/Requests Service=api,App/Requests Service=web"},
		{"dimension", cwapi.ListMetricsInput{Dimensions: []cwapi.DimensionFilter{{Name: ptr.To("Service"), Value: ptr.To("api")}}}, "App/Errors Service=api,App/Requests Service=api"},
		{"metric name", cwapi.ListMetricsInput{MetricName: ptr.To("Requests")}, "App/Requests Service=api,App/Requests Service=web,Other/Requests"},
	}
	for _, c := range cases {
		if got := strings.Join(list(&c.in), ","); got != c.want {
			t.Errorf("%s: %s", c.name, got)
		}
	}
	f.h.Clock.Advance(4 * time.Hour)
	f.put(t, "App", datum("Fresh", 1))
	if got := strings.Join(list(&cwapi.ListMetricsInput{RecentlyActive: ptr.To("PT3H")}), ","); got != "App/Fresh" {
		t.Fatalf("RecentlyActive: %s", got)
	}
	if _, err := f.c.ListMetrics(f.h.Ctx(), &cwapi.ListMetricsInput{NextToken: ptr.To("junk")}); errCode(err) != "InvalidNextToken" {
		t.Fatalf("bad token: %v", err)
	}
}

func TestListMetricsPaging(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < 3; i++ {
		ds := make([]cwapi.MetricDatum, 0, 300)
		for j := 0; j < 300; j++ {
			ds = append(ds, datum("m", 1, "n", string(rune('a'+i))+strings.Repeat("x", j)))
		}
		f.put(t, "App", ds...)
	}
	out, err := f.c.ListMetrics(f.h.Ctx(), &cwapi.ListMetricsInput{})
	if err != nil || len(out.Metrics) != 500 || out.NextToken == nil {
		t.Fatalf("first page: %d %v", len(out.Metrics), err)
	}
	out2, err := f.c.ListMetrics(f.h.Ctx(), &cwapi.ListMetricsInput{NextToken: out.NextToken})
	if err != nil || len(out2.Metrics) != 400 || out2.NextToken != nil {
		t.Fatalf("second page: %d %v", len(out2.Metrics), err)
	}
}

func mq(id, name, stat string, ret bool) cwapi.MetricDataQuery {
	return cwapi.MetricDataQuery{Id: ptr.To(id), ReturnData: ptr.To(ret), MetricStat: &cwapi.MetricStat{
		Metric: &cwapi.Metric{Namespace: ptr.To("App"), MetricName: ptr.To(name)}, Period: ptr.To(int32(60)), Stat: ptr.To(stat)}}
}

func eq(id, expr string) cwapi.MetricDataQuery {
	return cwapi.MetricDataQuery{Id: ptr.To(id), Expression: ptr.To(expr)}
}

func TestGetMetricData(t *testing.T) {
	f := newFixture(t)
	now := f.h.Clock.Now()
	put := func(name string, minute int, v float64, dims ...string) {
		d := datum(name, v, dims...)
		d.Timestamp = ptr.To(now.Add(time.Duration(-minute) * time.Minute))
		f.put(t, "App", d)
	}
	// a at minutes -5..-1 = 1..5; b at -5, -3, -1 = 10, 30, 50.
	for i := 1; i <= 5; i++ {
		put("a", 6-i, float64(i))
	}
	put("b", 5, 10)
	put("b", 3, 30)
	put("b", 1, 50)
	put("c", 2, 7, "Host", "h1")
	put("c", 2, 9, "Host", "h2")
	start, end := now.Add(-5*time.Minute), now
	series := func(r cwapi.MetricDataResult) string {
		var parts []string
		for i := range r.Timestamps {
			parts = append(parts, r.Timestamps[i].Sub(now).String()+"="+formatNum(r.Values[i]))
		}
		return *r.Label + ":" + strings.Join(parts, ",")
	}
	cases := []struct {
		name string
		qs   []cwapi.MetricDataQuery
		want string
	}{
		{"metric", []cwapi.MetricDataQuery{mq("m1", "a", "Sum", true)}, "a:-1m0s=5.0,-2m0s=4.0,-3m0s=3.0,-4m0s=2.0,-5m0s=1.0"},
		{"series plus series keeps common timestamps", []cwapi.MetricDataQuery{mq("m1", "a", "Sum", false), mq("m2", "b", "Sum", false), eq("e1", "m1 + m2")}, "e1:-1m0s=55.0,-3m0s=33.0,-5m0s=11.0"},
		{"scalar arithmetic", []cwapi.MetricDataQuery{mq("m1", "a", "Sum", false), eq("e1", "(m1 * 2 - 1) / 2")}, "e1:-1m0s=4.5,-2m0s=3.5,-3m0s=2.5,-4m0s=1.5,-5m0s=0.5"},
		{"SUM of METRICS", []cwapi.MetricDataQuery{mq("m1", "a", "Sum", false), mq("m2", "b", "Sum", false), eq("e1", "SUM(METRICS())")}, "e1:-1m0s=55.0,-2m0s=4.0,-3m0s=33.0,-4m0s=2.0,-5m0s=11.0"},
		{"AVG of one series is a scalar", []cwapi.MetricDataQuery{mq("m1", "a", "Sum", false), eq("e1", "m1 - AVG(m1)")}, "e1:-1m0s=2.0,-2m0s=1.0,-3m0s=0.0,-4m0s=-1.0,-5m0s=-2.0"},
		{"FILL with a value", []cwapi.MetricDataQuery{mq("m2", "b", "Sum", false), eq("e1", "FILL(m2, 0)")}, "e1:-1m0s=50.0,-2m0s=0.0,-3m0s=30.0,-4m0s=0.0,-5m0s=10.0"},
		{"FILL LINEAR", []cwapi.MetricDataQuery{mq("m2", "b", "Sum", false), eq("e1", "FILL(m2, LINEAR)")}, "e1:-1m0s=50.0,-2m0s=40.0,-3m0s=30.0,-4m0s=20.0,-5m0s=10.0"},
		{"FILL REPEAT", []cwapi.MetricDataQuery{mq("m2", "b", "Sum", false), eq("e1", "FILL(m2, REPEAT)")}, "e1:-1m0s=50.0,-2m0s=30.0,-3m0s=30.0,-4m0s=10.0,-5m0s=10.0"},
		{"IF", []cwapi.MetricDataQuery{mq("m1", "a", "Sum", false), eq("e1", "IF(m1 > 2 AND m1 != 4, m1, 0)")}, "e1:-1m0s=5.0,-2m0s=0.0,-3m0s=3.0,-4m0s=0.0,-5m0s=0.0"},
		{"SEARCH", []cwapi.MetricDataQuery{eq("e1", `SEARCH('{App,Host} MetricName="c"', 'Sum', 60)`)}, "h1 c:-2m0s=7.0|h2 c:-2m0s=9.0"},
		{"ANOMALY_DETECTION_BAND", []cwapi.MetricDataQuery{mq("m1", "a", "Sum", false), eq("ad", "ANOMALY_DETECTION_BAND(m1, 1)")},
			"a (lower):-1m0s=1.5857864376269049,-2m0s=1.5857864376269049,-3m0s=1.5857864376269049,-4m0s=1.5857864376269049,-5m0s=1.5857864376269049|" +
				"a (upper):-1m0s=4.414213562373095,-2m0s=4.414213562373095,-3m0s=4.414213562373095,-4m0s=4.414213562373095,-5m0s=4.414213562373095"},
		{"label", []cwapi.MetricDataQuery{{Id: ptr.To("m1"), Label: ptr.To("mine"), MetricStat: mq("x", "a", "Maximum", true).MetricStat}}, "mine:-1m0s=5.0,-2m0s=4.0,-3m0s=3.0,-4m0s=2.0,-5m0s=1.0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := f.c.GetMetricData(f.h.Ctx(), &cwapi.GetMetricDataInput{MetricDataQueries: c.qs, StartTime: &start, EndTime: &end})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range out.MetricDataResults {
				if *r.StatusCode != "Complete" {
					t.Fatalf("status %s", *r.StatusCode)
				}
				got = append(got, series(r))
			}
			sort.Strings(got)
			if strings.Join(got, "|") != c.want {
				t.Fatalf("got  %s\nwant %s", strings.Join(got, "|"), c.want)
			}
		})
	}
	t.Run("FILL on a start time between minutes stays on the minutes", func(t *testing.T) {
		s := start.Add(30 * time.Second)
		out, err := f.c.GetMetricData(f.h.Ctx(), &cwapi.GetMetricDataInput{StartTime: &s, EndTime: &end,
			MetricDataQueries: []cwapi.MetricDataQuery{mq("m2", "b", "Sum", false), eq("e1", "FILL(m2, 0)")}})
		if err != nil || series(out.MetricDataResults[0]) != "e1:-1m0s=50.0,-2m0s=0.0,-3m0s=30.0,-4m0s=0.0,-5m0s=10.0" {
			t.Fatalf("%v %s", err, series(out.MetricDataResults[0]))
		}
	})
	t.Run("ascending and paging", func(t *testing.T) {
		in := &cwapi.GetMetricDataInput{MetricDataQueries: []cwapi.MetricDataQuery{mq("m1", "a", "Sum", true)}, StartTime: &start, EndTime: &end,
			ScanBy: ptr.To("TimestampAscending"), MaxDatapoints: ptr.To(int32(3))}
		out, err := f.c.GetMetricData(f.h.Ctx(), in)
		if err != nil || out.NextToken == nil || len(out.MetricDataResults) != 1 || *out.MetricDataResults[0].StatusCode != "PartialData" ||
			series(out.MetricDataResults[0]) != "a:-5m0s=1.0,-4m0s=2.0,-3m0s=3.0" {
			t.Fatalf("first page: %v %+v", err, out)
		}
		in.NextToken = out.NextToken
		out, err = f.c.GetMetricData(f.h.Ctx(), in)
		if err != nil || out.NextToken != nil || series(out.MetricDataResults[0]) != "a:-2m0s=4.0,-1m0s=5.0" || *out.MetricDataResults[0].StatusCode != "Complete" {
			t.Fatalf("second page: %v %+v", err, out)
		}
	})
	refusals := []struct {
		name string
		qs   []cwapi.MetricDataQuery
		code string
		msg  string
	}{
		{"id starting upper case", []cwapi.MetricDataQuery{mq("M1", "a", "Sum", true)}, "InvalidParameterValue", "Id"},
		{"duplicate id", []cwapi.MetricDataQuery{mq("m1", "a", "Sum", true), mq("m1", "b", "Sum", true)}, "InvalidParameterValue", "not unique"},
		{"both stat and expression", []cwapi.MetricDataQuery{{Id: ptr.To("m1"), Expression: ptr.To("1"), MetricStat: mq("m1", "a", "Sum", true).MetricStat}}, "InvalidParameterCombination", ""},
		{"syntax error", []cwapi.MetricDataQuery{mq("m1", "a", "Sum", false), eq("e1", "m1 +")}, "InvalidParameterValue", "Error in expression 'e1'"},
		{"unknown id", []cwapi.MetricDataQuery{eq("e1", "m9 * 2")}, "InvalidParameterValue", "m9"},
		{"cycle", []cwapi.MetricDataQuery{eq("e1", "e2 + 1"), eq("e2", "e1 + 1")}, "InvalidParameterValue", "circular"},
		{"unknown function", []cwapi.MetricDataQuery{eq("e1", "NOPE(1)")}, "InvalidParameterValue", "unknown function"},
		{"nothing returned", []cwapi.MetricDataQuery{mq("m1", "a", "Sum", false)}, "InvalidParameterValue", "ReturnData"},
	}
	for _, c := range refusals {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.c.GetMetricData(f.h.Ctx(), &cwapi.GetMetricDataInput{MetricDataQueries: c.qs, StartTime: &start, EndTime: &end})
			if errCode(err) != c.code || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("got %v, want %s %q", err, c.code, c.msg)
			}
		})
	}
}

const topic = "arn:aws:sns:us-east-1:123456789012:alerts"

func TestAlarmLifecycle(t *testing.T) {
	f := newFixture(t)
	ctx := f.h.Ctx()
	_, err := f.c.PutMetricAlarm(ctx, &cwapi.PutMetricAlarmInput{AlarmName: ptr.To("high"), Namespace: ptr.To("App"), MetricName: ptr.To("Errors"),
		Statistic: ptr.To("Sum"), Period: ptr.To(int32(60)), EvaluationPeriods: ptr.To(int32(2)), DatapointsToAlarm: ptr.To(int32(2)),
		Threshold: ptr.To(5.0), ComparisonOperator: ptr.To("GreaterThanThreshold"), AlarmActions: []string{topic}, OKActions: []string{topic},
		TreatMissingData: ptr.To("notBreaching")})
	if err != nil {
		t.Fatal(err)
	}
	alarm := func() cwapi.MetricAlarm {
		out, err := f.c.DescribeAlarms(ctx, &cwapi.DescribeAlarmsInput{AlarmNames: []string{"high"}})
		if err != nil || len(out.MetricAlarms) != 1 {
			t.Fatalf("%v %v", out, err)
		}
		return out.MetricAlarms[0]
	}
	if a := alarm(); *a.StateValue != "INSUFFICIENT_DATA" || *a.StateReason != "Unchecked: Initial alarm creation" || *a.AlarmArn != "arn:aws:cloudwatch:us-east-1:123456789012:alarm:high" {
		t.Fatalf("new alarm: %+v", a)
	}
	tick := func(d time.Duration) {
		f.h.Clock.Advance(d)
		if err := f.c.Tick(); err != nil {
			t.Fatal(err)
		}
	}
	// No data, notBreaching: OK.
	tick(time.Minute)
	if a := alarm(); *a.StateValue != "OK" {
		t.Fatalf("notBreaching without data: %s %s", *a.StateValue, *a.StateReason)
	}
	// One breaching minute of two: still OK (2 of 2 needed).
	f.put(t, "App", datum("Errors", 9))
	tick(time.Minute)
	if a := alarm(); *a.StateValue != "OK" {
		t.Fatalf("1 of 2: %s", *a.StateReason)
	}
	f.put(t, "App", datum("Errors", 7))
	tick(time.Minute)
	a := alarm()
	if *a.StateValue != "ALARM" || !strings.HasPrefix(*a.StateReason, "Threshold Crossed: 2 out of the last 2 datapoints [7.0 (") ||
		!strings.HasSuffix(*a.StateReason, "was greater than the threshold (5.0) (minimum 2 datapoints for OK -> ALARM transition).") {
		t.Fatalf("ALARM: %s %s", *a.StateValue, *a.StateReason)
	}
	var rd map[string]any
	if err := json.Unmarshal([]byte(*a.StateReasonData), &rd); err != nil || rd["statistic"] != "Sum" || rd["threshold"] != 5.0 || len(rd["recentDatapoints"].([]any)) != 2 {
		t.Fatalf("reason data %s", *a.StateReasonData)
	}
	f.mu.Lock()
	var msgs []map[string]any
	for _, m := range f.delivered {
		var body map[string]any
		json.Unmarshal([]byte(m.Body), &body)
		if m.TargetARN != topic || m.SourceService != "cloudwatch.amazonaws.com" || !strings.HasSuffix(m.Subject, `: "high" in US East (N. Virginia)`) {
			t.Fatalf("delivery %+v", m)
		}
		msgs = append(msgs, body)
	}
	var changes []string
	for _, e := range f.published {
		if e.Source == "aws.cloudwatch" && e.DetailType == "CloudWatch Alarm State Change" && e.Resources[0] == *a.AlarmArn {
			var d struct {
				State         struct{ Value string } `json:"state"`
				PreviousState struct{ Value string } `json:"previousState"`
			}
			json.Unmarshal(e.Detail, &d)
			changes = append(changes, d.PreviousState.Value+">"+d.State.Value)
		}
	}
	f.mu.Unlock()
	if len(msgs) != 2 || msgs[0]["NewStateValue"] != "OK" || msgs[1]["NewStateValue"] != "ALARM" || msgs[1]["OldStateValue"] != "OK" ||
		msgs[1]["Region"] != "US East (N. Virginia)" || msgs[1]["Trigger"].(map[string]any)["Statistic"] != "SUM" {
		t.Fatalf("SNS messages: %v", msgs)
	}
	if strings.Join(changes, ",") != "INSUFFICIENT_DATA>OK,OK>ALARM" {
		t.Fatalf("EventBridge events: %v", changes)
	}
	hist, err := f.c.DescribeAlarmHistory(ctx, &cwapi.DescribeAlarmHistoryInput{AlarmName: ptr.To("high"), HistoryItemType: ptr.To("StateUpdate")})
	if err != nil || len(hist.AlarmHistoryItems) != 2 || *hist.AlarmHistoryItems[0].HistorySummary != "Alarm updated from OK to ALARM" {
		t.Fatalf("history: %v %+v", err, hist)
	}
	acts, _ := f.c.DescribeAlarmHistory(ctx, &cwapi.DescribeAlarmHistoryInput{HistoryItemType: ptr.To("Action"), ScanBy: ptr.To("TimestampAscending")})
	if len(acts.AlarmHistoryItems) != 2 || *acts.AlarmHistoryItems[1].HistorySummary != "Successfully executed action "+topic || acts.NextToken != nil {
		t.Fatalf("action history: %+v", acts)
	}
	// Paged one at a time, every item comes once, newest first.
	var all []string
	hin := &cwapi.DescribeAlarmHistoryInput{AlarmName: ptr.To("high"), MaxRecords: ptr.To(int32(1))}
	for pages := 0; pages < 10; pages++ {
		page, err := f.c.DescribeAlarmHistory(ctx, hin)
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range page.AlarmHistoryItems {
			all = append(all, *h.HistoryItemType)
		}
		if page.NextToken == nil {
			break
		}
		hin.NextToken = page.NextToken
	}
	if strings.Join(all, ",") != "Action,StateUpdate,Action,StateUpdate,ConfigurationUpdate" {
		t.Fatalf("paged history: %v", all)
	}
	// Disabled actions: a state change notifies nobody.
	if _, err := f.c.DisableAlarmActions(ctx, &cwapi.DisableAlarmActionsInput{AlarmNames: []string{"high"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.SetAlarmState(ctx, &cwapi.SetAlarmStateInput{AlarmName: ptr.To("high"), StateValue: ptr.To("OK"), StateReason: ptr.To("testing")}); err != nil {
		t.Fatal(err)
	}
	if a := alarm(); *a.StateValue != "OK" || *a.StateReason != "testing" || *a.ActionsEnabled {
		t.Fatalf("SetAlarmState: %+v", a)
	}
	f.mu.Lock()
	n := len(f.delivered)
	f.mu.Unlock()
	if n != 2 {
		t.Fatalf("disabled actions ran: %d deliveries", n)
	}
	// The next evaluation brings it back to what the data says.
	tick(0)
	if a := alarm(); *a.StateValue != "ALARM" {
		t.Fatalf("after SetAlarmState: %s", *a.StateValue)
	}
	if _, err := f.c.SetAlarmState(ctx, &cwapi.SetAlarmStateInput{AlarmName: ptr.To("nope"), StateValue: ptr.To("OK"), StateReason: ptr.To("x")}); errCode(err) != "ResourceNotFound" {
		t.Fatalf("missing alarm: %v", err)
	}
	if _, err := f.c.DeleteAlarms(ctx, &cwapi.DeleteAlarmsInput{AlarmNames: []string{"high"}}); err != nil {
		t.Fatal(err)
	}
	if out, _ := f.c.DescribeAlarms(ctx, &cwapi.DescribeAlarmsInput{}); len(out.MetricAlarms) != 0 {
		t.Fatal("not deleted")
	}
}

func TestMissingDataTreatment(t *testing.T) {
	cases := []struct{ treat, want string }{
		{"missing", "INSUFFICIENT_DATA"}, {"breaching", "ALARM"}, {"notBreaching", "OK"}, {"ignore", "INSUFFICIENT_DATA"},
	}
	for _, c := range cases {
		t.Run(c.treat, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.c.PutMetricAlarm(f.h.Ctx(), &cwapi.PutMetricAlarmInput{AlarmName: ptr.To("a"), Namespace: ptr.To("App"), MetricName: ptr.To("x"),
				Statistic: ptr.To("Average"), Period: ptr.To(int32(60)), EvaluationPeriods: ptr.To(int32(1)), Threshold: ptr.To(1.0),
				ComparisonOperator: ptr.To("GreaterThanOrEqualToThreshold"), TreatMissingData: ptr.To(c.treat)})
			if err != nil {
				t.Fatal(err)
			}
			f.h.Clock.Advance(time.Minute)
			f.c.Tick()
			out, _ := f.c.DescribeAlarms(f.h.Ctx(), &cwapi.DescribeAlarmsInput{})
			if got := *out.MetricAlarms[0].StateValue; got != c.want {
				t.Fatalf("%s: %s (%s)", c.treat, got, *out.MetricAlarms[0].StateReason)
			}
		})
	}
}

func TestMetricMathAndCompositeAlarms(t *testing.T) {
	f := newFixture(t)
	ctx := f.h.Ctx()
	_, err := f.c.PutMetricAlarm(ctx, &cwapi.PutMetricAlarmInput{AlarmName: ptr.To("ratio"), EvaluationPeriods: ptr.To(int32(1)),
		Threshold: ptr.To(0.5), ComparisonOperator: ptr.To("GreaterThanThreshold"),
		Metrics: []cwapi.MetricDataQuery{mq("e", "Errors", "Sum", false), mq("r", "Requests", "Sum", false), {Id: ptr.To("rate"), Expression: ptr.To("e / r"), ReturnData: ptr.To(true)}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.c.PutMetricAlarm(ctx, &cwapi.PutMetricAlarmInput{AlarmName: ptr.To("quiet"), Namespace: ptr.To("App"), MetricName: ptr.To("Requests"),
		Statistic: ptr.To("Sum"), Period: ptr.To(int32(60)), EvaluationPeriods: ptr.To(int32(1)), Threshold: ptr.To(100.0),
		ComparisonOperator: ptr.To("LessThanThreshold")})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.c.PutCompositeAlarm(ctx, &cwapi.PutCompositeAlarmInput{AlarmName: ptr.To("both"), AlarmRule: ptr.To(`ALARM("ratio") AND (ALARM(quiet) OR FALSE) AND NOT OK(arn:aws:cloudwatch:us-east-1:123456789012:alarm:ratio)`),
		AlarmActions: []string{topic}})
	if err != nil {
		t.Fatal(err)
	}
	f.put(t, "App", datum("Errors", 8), datum("Requests", 10))
	f.h.Clock.Advance(time.Minute)
	if err := f.c.Tick(); err != nil {
		t.Fatal(err)
	}
	out, err := f.c.DescribeAlarms(ctx, &cwapi.DescribeAlarmsInput{AlarmTypes: []string{"MetricAlarm", "CompositeAlarm"}})
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]string{}
	for _, a := range out.MetricAlarms {
		states[*a.AlarmName] = *a.StateValue
	}
	for _, a := range out.CompositeAlarms {
		states[*a.AlarmName] = *a.StateValue
	}
	if states["ratio"] != "ALARM" || states["quiet"] != "ALARM" || states["both"] != "ALARM" {
		t.Fatalf("states %v", states)
	}
	children, _ := f.c.DescribeAlarms(ctx, &cwapi.DescribeAlarmsInput{ChildrenOfAlarmName: ptr.To("both")})
	parents, _ := f.c.DescribeAlarms(ctx, &cwapi.DescribeAlarmsInput{ParentsOfAlarmName: ptr.To("quiet")})
	if len(children.MetricAlarms) != 2 || len(parents.CompositeAlarms) != 1 {
		t.Fatalf("children %d parents %d", len(children.MetricAlarms), len(parents.CompositeAlarms))
	}
	if _, err := f.c.DeleteAlarms(ctx, &cwapi.DeleteAlarmsInput{AlarmNames: []string{"quiet"}}); errCode(err) != "InvalidParameterValue" {
		t.Fatalf("deleting a composite's child: %v", err)
	}
	if _, err := f.c.PutCompositeAlarm(ctx, &cwapi.PutCompositeAlarmInput{AlarmName: ptr.To("c2"), AlarmRule: ptr.To(`ALARM(ghost)`)}); errCode(err) != "InvalidParameterValue" {
		t.Fatalf("rule naming a missing alarm: %v", err)
	}
	if _, err := f.c.PutCompositeAlarm(ctx, &cwapi.PutCompositeAlarmInput{AlarmName: ptr.To("c3"), AlarmRule: ptr.To(`ALARM(ratio) AND`)}); errCode(err) != "InvalidParameterValue" {
		t.Fatalf("bad rule: %v", err)
	}
}

// TestAnomalyBandAlarm: an alarm comparing a metric with the band of
// ANOMALY_DETECTION_BAND goes to ALARM when the latest point leaves it.
func TestAnomalyBandAlarm(t *testing.T) {
	f := newFixture(t)
	now := f.h.Clock.Now()
	for i, v := range []float64{10, 11, 9, 10, 10, 11, 9, 50} {
		d := datum("lat", v)
		d.Timestamp = ptr.To(now.Add(time.Duration(i-7) * time.Minute))
		f.put(t, "App", d)
	}
	_, err := f.c.PutMetricAlarm(f.h.Ctx(), &cwapi.PutMetricAlarmInput{AlarmName: ptr.To("odd"), EvaluationPeriods: ptr.To(int32(1)),
		ComparisonOperator: ptr.To("GreaterThanUpperThreshold"), ThresholdMetricId: ptr.To("ad"),
		Metrics: []cwapi.MetricDataQuery{mq("m1", "lat", "Average", true), {Id: ptr.To("ad"), Expression: ptr.To("ANOMALY_DETECTION_BAND(m1, 1)")}}})
	if err != nil {
		t.Fatal(err)
	}
	f.h.Clock.Advance(time.Minute)
	f.c.Tick()
	out, _ := f.c.DescribeAlarms(f.h.Ctx(), &cwapi.DescribeAlarmsInput{})
	if a := out.MetricAlarms[0]; *a.StateValue != "ALARM" || !strings.HasPrefix(*a.StateReason, "Thresholds Crossed: 1 out of the last 1 datapoints [50.0") {
		t.Fatalf("%s %s", *a.StateValue, *a.StateReason)
	}
}

func TestPutMetricAlarmRefusals(t *testing.T) {
	f := newFixture(t)
	base := func() *cwapi.PutMetricAlarmInput {
		return &cwapi.PutMetricAlarmInput{AlarmName: ptr.To("a"), Namespace: ptr.To("App"), MetricName: ptr.To("x"), Statistic: ptr.To("Sum"),
			Period: ptr.To(int32(60)), EvaluationPeriods: ptr.To(int32(1)), Threshold: ptr.To(1.0), ComparisonOperator: ptr.To("GreaterThanThreshold")}
	}
	cases := []struct {
		name string
		mod  func(*cwapi.PutMetricAlarmInput)
		code string
		msg  string
	}{
		{"period times evaluations over a day", func(in *cwapi.PutMetricAlarmInput) {
			in.Period, in.EvaluationPeriods = ptr.To(int32(600)), ptr.To(int32(145))
		}, "InvalidParameterValue", "86400"},
		{"period 45", func(in *cwapi.PutMetricAlarmInput) { in.Period = ptr.To(int32(45)) }, "InvalidParameterValue", "Period"},
		{"statistic and extended statistic", func(in *cwapi.PutMetricAlarmInput) { in.ExtendedStatistic = ptr.To("p90") }, "InvalidParameterValue", "Statistic"},
		{"datapoints over evaluations", func(in *cwapi.PutMetricAlarmInput) { in.DatapointsToAlarm = ptr.To(int32(2)) }, "InvalidParameterValue", "DatapointsToAlarm"},
		{"treat missing data", func(in *cwapi.PutMetricAlarmInput) { in.TreatMissingData = ptr.To("sometimes") }, "InvalidParameterValue", "TreatMissingData"},
		{"threshold and threshold metric", func(in *cwapi.PutMetricAlarmInput) { in.ThresholdMetricId = ptr.To("ad") }, "InvalidParameterValue", "ThresholdMetricId"},
		{"band operator without threshold metric", func(in *cwapi.PutMetricAlarmInput) {
			in.ComparisonOperator = ptr.To("LessThanLowerOrGreaterThanUpperThreshold")
		}, "InvalidParameterValue", "ThresholdMetricId"},
		{"metrics and metric name", func(in *cwapi.PutMetricAlarmInput) { in.Metrics = []cwapi.MetricDataQuery{mq("m", "x", "Sum", true)} }, "InvalidParameterValue", "Metrics"},
		{"bad action", func(in *cwapi.PutMetricAlarmInput) {
			in.AlarmActions = []string{"arn:aws:sqs:us-east-1:123456789012:q"}
		}, "ValidationError", "Invalid arn syntax"},
		{"action in another region", func(in *cwapi.PutMetricAlarmInput) {
			in.AlarmActions = []string{"arn:aws:sns:eu-west-1:123456789012:t"}
		}, "ValidationError", "Invalid region eu-west-1 specified. Only us-east-1 is supported."},
		{"ec2 action in another region", func(in *cwapi.PutMetricAlarmInput) { in.AlarmActions = []string{"arn:aws:automate:us-west-2:ec2:stop"} }, "ValidationError", "us-west-2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := base()
			c.mod(in)
			_, err := f.c.PutMetricAlarm(f.h.Ctx(), in)
			if errCode(err) != c.code || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("got %v, want %s %q", err, c.code, c.msg)
			}
		})
	}
	ok := base()
	ok.AlarmActions = []string{"arn:aws:automate:us-east-1:ec2:stop", "arn:aws:lambda:us-east-1:123456789012:function:f", topic}
	if _, err := f.c.PutMetricAlarm(f.h.Ctx(), ok); err != nil {
		t.Fatalf("valid actions refused: %v", err)
	}
}

func TestEC2ActionWithoutHandlerIsLogged(t *testing.T) {
	f := newFixture(t)
	in := &cwapi.PutMetricAlarmInput{AlarmName: ptr.To("stop"), Namespace: ptr.To("App"), MetricName: ptr.To("x"), Statistic: ptr.To("Sum"),
		Period: ptr.To(int32(60)), EvaluationPeriods: ptr.To(int32(1)), Threshold: ptr.To(0.0), ComparisonOperator: ptr.To("GreaterThanThreshold"),
		AlarmActions: []string{"arn:aws:automate:us-east-1:ec2:stop"}, Dimensions: []cwapi.Dimension{{Name: ptr.To("InstanceId"), Value: ptr.To("i-1")}}}
	if _, err := f.c.PutMetricAlarm(f.h.Ctx(), in); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.SetAlarmState(f.h.Ctx(), &cwapi.SetAlarmStateInput{AlarmName: ptr.To("stop"), StateValue: ptr.To("ALARM"), StateReason: ptr.To("test")}); err != nil {
		t.Fatal(err)
	}
	h, _ := f.c.DescribeAlarmHistory(f.h.Ctx(), &cwapi.DescribeAlarmHistoryInput{HistoryItemType: ptr.To("Action")})
	if len(h.AlarmHistoryItems) != 1 || !strings.Contains(*h.AlarmHistoryItems[0].HistorySummary, "Failed to execute action arn:aws:automate:us-east-1:ec2:stop") {
		t.Fatalf("history %+v", h)
	}
}

func TestDashboards(t *testing.T) {
	f := newFixture(t)
	ctx := f.h.Ctx()
	body := `{"widgets":[{"type":"metric","x":0,"y":0,"width":6,"height":6,"properties":{"metrics":[["App","x"]],"region":"us-east-1"}}]}`
	if _, err := f.c.PutDashboard(ctx, &cwapi.PutDashboardInput{DashboardName: ptr.To("main"), DashboardBody: ptr.To(body)}); err != nil {
		t.Fatal(err)
	}
	got, err := f.c.GetDashboard(ctx, &cwapi.GetDashboardInput{DashboardName: ptr.To("main")})
	if err != nil || *got.DashboardBody != body || *got.DashboardArn != "arn:aws:cloudwatch::123456789012:dashboard/main" {
		t.Fatalf("%v %+v", err, got)
	}
	for _, bad := range []struct{ body, path string }{
		{`not json`, ""}, {`{}`, ""}, {`{"widgets":[{"type":"pie","properties":{}}]}`, "/widgets/0/type"},
		{`{"widgets":[{"type":"text","properties":{}}]}`, "/widgets/0/properties"},
	} {
		_, err := f.c.PutDashboard(ctx, &cwapi.PutDashboardInput{DashboardName: ptr.To("bad"), DashboardBody: ptr.To(bad.body)})
		e := awserr.As(err)
		msgs, _ := e.Fields["dashboardValidationMessages"].([]any)
		if e.Code.Code != "InvalidParameterInput" || len(msgs) == 0 || msgs[0].(map[string]any)["DataPath"] != bad.path {
			t.Fatalf("%s: %v %v", bad.body, err, e.Fields)
		}
	}
	list, _ := f.c.ListDashboards(ctx, &cwapi.ListDashboardsInput{DashboardNamePrefix: ptr.To("ma")})
	if len(list.DashboardEntries) != 1 || *list.DashboardEntries[0].Size != int64(len(body)) {
		t.Fatalf("list %+v", list)
	}
	if _, err := f.c.DeleteDashboards(ctx, &cwapi.DeleteDashboardsInput{DashboardNames: []string{"main", "ghost"}}); errCode(err) != "ResourceNotFound" {
		t.Fatalf("delete with a missing name: %v", err)
	}
	if _, err := f.c.DeleteDashboards(ctx, &cwapi.DeleteDashboardsInput{DashboardNames: []string{"main"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.GetDashboard(ctx, &cwapi.GetDashboardInput{DashboardName: ptr.To("main")}); errCode(err) != "ResourceNotFound" {
		t.Fatalf("deleted dashboard: %v", err)
	}
}

func TestTagsAnomalyDetectorsInsightRules(t *testing.T) {
	f := newFixture(t)
	ctx := f.h.Ctx()
	if _, err := f.c.PutMetricAlarm(ctx, &cwapi.PutMetricAlarmInput{AlarmName: ptr.To("a"), Namespace: ptr.To("App"), MetricName: ptr.To("x"), Statistic: ptr.To("Sum"),
		Period: ptr.To(int32(60)), EvaluationPeriods: ptr.To(int32(1)), Threshold: ptr.To(1.0), ComparisonOperator: ptr.To("GreaterThanThreshold"),
		Tags: []cwapi.Tag{{Key: ptr.To("team"), Value: ptr.To("a")}}}); err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:cloudwatch:us-east-1:123456789012:alarm:a"
	if _, err := f.c.TagResource(ctx, &cwapi.TagResourceInput{ResourceARN: ptr.To(arn), Tags: []cwapi.Tag{{Key: ptr.To("env"), Value: ptr.To("dev")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.UntagResource(ctx, &cwapi.UntagResourceInput{ResourceARN: ptr.To(arn), TagKeys: []string{"team"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := f.c.ListTagsForResource(ctx, &cwapi.ListTagsForResourceInput{ResourceARN: ptr.To(arn)})
	if err != nil || len(tags.Tags) != 1 || *tags.Tags[0].Key != "env" {
		t.Fatalf("%v %+v", err, tags)
	}
	if got, found, _ := f.c.ResourceTags(ctx, arn); !found || got["env"] != "dev" {
		t.Fatalf("ResourceTags %v %v", got, found)
	}
	if _, err := f.c.ListTagsForResource(ctx, &cwapi.ListTagsForResourceInput{ResourceARN: ptr.To(arn + "x")}); errCode(err) != "ResourceNotFoundException" {
		t.Fatalf("missing: %v", err)
	}
	det := &cwapi.PutAnomalyDetectorInput{SingleMetricAnomalyDetector: &cwapi.SingleMetricAnomalyDetector{Namespace: ptr.To("App"), MetricName: ptr.To("x"), Stat: ptr.To("Average")}}
	if _, err := f.c.PutAnomalyDetector(ctx, det); err != nil {
		t.Fatal(err)
	}
	ds, _ := f.c.DescribeAnomalyDetectors(ctx, &cwapi.DescribeAnomalyDetectorsInput{Namespace: ptr.To("App")})
	if len(ds.AnomalyDetectors) != 1 || *ds.AnomalyDetectors[0].StateValue != "PENDING_TRAINING" {
		t.Fatalf("%+v", ds)
	}
	if _, err := f.c.DeleteAnomalyDetector(ctx, &cwapi.DeleteAnomalyDetectorInput{Namespace: ptr.To("App"), MetricName: ptr.To("x"), Stat: ptr.To("Average")}); err != nil {
		t.Fatalf("legacy-form delete: %v", err)
	}
	if _, err := f.c.DeleteAnomalyDetector(ctx, &cwapi.DeleteAnomalyDetectorInput{SingleMetricAnomalyDetector: det.SingleMetricAnomalyDetector}); errCode(err) != "ResourceNotFoundException" {
		t.Fatalf("second delete: %v", err)
	}
	def := `{"Schema":{"Name":"CloudWatchLogRule","Version":1},"LogGroupNames":["/app"],"LogFormat":"JSON","Contribution":{"Keys":["$.ip"]},"AggregateOn":"Count"}`
	if _, err := f.c.PutInsightRule(ctx, &cwapi.PutInsightRuleInput{RuleName: ptr.To("r"), RuleDefinition: ptr.To(def), Tags: []cwapi.Tag{{Key: ptr.To("k"), Value: ptr.To("v")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.PutInsightRule(ctx, &cwapi.PutInsightRuleInput{RuleName: ptr.To("bad"), RuleDefinition: ptr.To(`{}`)}); errCode(err) != "InvalidParameterValue" {
		t.Fatalf("bad definition: %v", err)
	}
	dis, _ := f.c.DisableInsightRules(ctx, &cwapi.DisableInsightRulesInput{RuleNames: []string{"r", "ghost"}})
	rules, _ := f.c.DescribeInsightRules(ctx, &cwapi.DescribeInsightRulesInput{})
	if len(dis.Failures) != 1 || len(rules.InsightRules) != 1 || *rules.InsightRules[0].State != "DISABLED" {
		t.Fatalf("%+v %+v", dis, rules)
	}
	rt, _ := f.c.ListTagsForResource(ctx, &cwapi.ListTagsForResourceInput{ResourceARN: ptr.To("arn:aws:cloudwatch:us-east-1:123456789012:insight-rule/r")})
	if len(rt.Tags) != 1 {
		t.Fatalf("rule tags %+v", rt)
	}
	if _, err := f.c.PutMetricStream(ctx, &cwapi.PutMetricStreamInput{}); errCode(err) != "NotImplemented" || !strings.Contains(err.Error(), "Firehose") {
		t.Fatalf("metric streams: %v", err)
	}
}

func TestRetention(t *testing.T) {
	f := newFixture(t)
	now := f.h.Clock.Now()
	d := datum("old", 4)
	d.Timestamp = ptr.To(now.Add(-13 * 24 * time.Hour))
	f.put(t, "App", d)
	// 14 days on, the minute is 27 days old: rolled into its 5 minutes.
	f.h.Clock.Advance(14 * 24 * time.Hour)
	if err := f.c.Tick(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	f.h.Store().View(func(tx storageTx) error {
		return dataT.List(tx, scope(f.h.Ctx()), nil, storageListAll, func(k []string, b bucket) bool {
			keys = append(keys, k[3]+"/"+formatNum(float64(b.Res)))
			return true
		})
	})
	if len(keys) != 1 || !strings.HasSuffix(keys[0], "/300.0") {
		t.Fatalf("after 27 days: %v", keys)
	}
	f.h.Clock.Advance(460 * 24 * time.Hour)
	f.c.Tick()
	keys = nil
	f.h.Store().View(func(tx storageTx) error {
		return dataT.List(tx, scope(f.h.Ctx()), nil, storageListAll, func(k []string, b bucket) bool {
			keys = append(keys, k[3])
			return true
		})
	})
	if len(keys) != 0 {
		t.Fatalf("after 455 days: %v", keys)
	}
}

// TestPublishedMetrics: metrics other services publish on the bus are
// stored in their AWS/ namespace, which PutMetricData refuses to callers.
func TestPublishedMetrics(t *testing.T) {
	f := newFixture(t)
	f.bus.HandleMetrics(f.c.RecordMetrics)
	now := f.h.Clock.Now()
	f.bus.PublishMetrics(servicetest.DefaultAccount, servicetest.DefaultRegion,
		events.Metric{Namespace: "AWS/SQS", Name: "NumberOfMessagesSent", Dimensions: map[string]string{"QueueName": "q"}, Value: 3, Unit: "Count", Time: now.Add(-time.Minute)},
		events.Metric{Namespace: "AWS/SQS", Name: "NumberOfMessagesSent", Dimensions: map[string]string{"QueueName": "q"}, Value: 4, Unit: "Count", Time: now.Add(-time.Minute)},
		events.Metric{Namespace: "AWS/SQS", Name: "Bad", Value: math.NaN()})
	dps := stats(t, f, &cwapi.GetMetricStatisticsInput{Namespace: ptr.To("AWS/SQS"), MetricName: ptr.To("NumberOfMessagesSent"),
		Dimensions: []cwapi.Dimension{{Name: ptr.To("QueueName"), Value: ptr.To("q")}}, StartTime: ptr.To(now.Add(-5 * time.Minute)),
		EndTime: ptr.To(now), Period: ptr.To(int32(300)), Statistics: []string{"Sum"}})
	if len(dps) != 1 || *dps[0].Sum != 7 || *dps[0].Unit != "Count" {
		t.Fatalf("%+v", dps)
	}
	out, _ := f.c.ListMetrics(f.h.Ctx(), &cwapi.ListMetricsInput{Namespace: ptr.To("AWS/SQS")})
	if len(out.Metrics) != 1 {
		t.Fatalf("NaN stored: %+v", out.Metrics)
	}
}

func TestDescribeAlarmsPaging(t *testing.T) {
	f := newFixture(t)
	for _, n := range []string{"c", "a", "b"} {
		if _, err := f.c.PutMetricAlarm(f.h.Ctx(), &cwapi.PutMetricAlarmInput{AlarmName: ptr.To(n), Namespace: ptr.To("App"), MetricName: ptr.To("x"),
			Statistic: ptr.To("Sum"), Period: ptr.To(int32(60)), EvaluationPeriods: ptr.To(int32(1)), Threshold: ptr.To(1.0),
			ComparisonOperator: ptr.To("GreaterThanThreshold"), AlarmActions: []string{topic}}); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	in := &cwapi.DescribeAlarmsInput{MaxRecords: ptr.To(int32(2))}
	for pages := 0; pages < 5; pages++ {
		out, err := f.c.DescribeAlarms(f.h.Ctx(), in)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range out.MetricAlarms {
			names = append(names, *a.AlarmName)
		}
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
	}
	if strings.Join(names, ",") != "a,b,c" {
		t.Fatalf("pages: %v", names)
	}
	byPrefix, _ := f.c.DescribeAlarms(f.h.Ctx(), &cwapi.DescribeAlarmsInput{AlarmNamePrefix: ptr.To("b"), ActionPrefix: ptr.To("arn:aws:sns:")})
	none, _ := f.c.DescribeAlarms(f.h.Ctx(), &cwapi.DescribeAlarmsInput{StateValue: ptr.To("ALARM")})
	forMetric, _ := f.c.DescribeAlarmsForMetric(f.h.Ctx(), &cwapi.DescribeAlarmsForMetricInput{Namespace: ptr.To("App"), MetricName: ptr.To("x")})
	if len(byPrefix.MetricAlarms) != 1 || len(none.MetricAlarms) != 0 || len(forMetric.MetricAlarms) != 3 {
		t.Fatalf("prefix %d state %d for-metric %d", len(byPrefix.MetricAlarms), len(none.MetricAlarms), len(forMetric.MetricAlarms))
	}
	if _, err := f.c.DescribeAlarms(f.h.Ctx(), &cwapi.DescribeAlarmsInput{AlarmNames: []string{"a"}, AlarmNamePrefix: ptr.To("a")}); errCode(err) != "InvalidParameterCombination" {
		t.Fatalf("names and prefix: %v", err)
	}
}
