package cloudwatch

import (
	"encoding/json"
	"fmt"
	"runtime"
	"testing"
	"time"

	cwapi "github.com/niwa-cloud/niwa/internal/api/cloudwatch"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
	"github.com/niwa-cloud/niwa/internal/storage"
)

var benchNames = []string{"Latency", "Requests", "Errors", "BytesOut", "QueueDepth"}

// benchPut is bench/workloads_cloudwatch.go's PutMetricData: five
// datapoints, two dimensions each, the i-th call's values.
func benchPut(i int, now time.Time) *cwapi.PutMetricDataInput {
	data := make([]cwapi.MetricDatum, 5)
	for d := range data {
		data[d] = cwapi.MetricDatum{
			MetricName: ptr.To(benchNames[d]),
			Dimensions: []cwapi.Dimension{
				{Name: ptr.To("Service"), Value: ptr.To(fmt.Sprintf("svc-%d", i%4))},
				{Name: ptr.To("Instance"), Value: ptr.To(fmt.Sprintf("i-%d", i%16))},
			},
			Timestamp: ptr.To(now),
			Value:     ptr.To(float64(i%100 + d)),
			Unit:      ptr.To("Count"),
		}
	}
	return &cwapi.PutMetricDataInput{Namespace: ptr.To("Bench"), MetricData: data}
}

// BenchmarkPutMetricData is the handler's share of the bench workload:
// the clock moves a millisecond a call, so each minute's records of the
// 80 series take ~60000 calls' values (up to 100 distinct ones each).
func BenchmarkPutMetricData(b *testing.B) {
	h := servicetest.New(b, "cloudwatch")
	c := New(h.Store(), h.Clock, nil, nil)
	c.Close()
	ctx := h.Ctx()
	ins := make([]*cwapi.PutMetricDataInput, 1600)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		h.Clock.Advance(time.Millisecond)
		in := ins[i%len(ins)]
		if in == nil || i < len(ins) {
			in = benchPut(i, h.Clock.Now())
			ins[i%len(ins)] = in
		}
		for d := range in.MetricData {
			in.MetricData[d].Timestamp = ptr.To(h.Clock.Now())
		}
		if _, err := c.PutMetricData(ctx, in); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// fillHours stores three hours of one value a minute for each of the
// five bench metrics of one series.
func fillHours(b *testing.B, c *CloudWatch, h *servicetest.Harness) time.Time {
	now := h.Clock.Now()
	for m := 180; m > 0; m-- {
		in := benchPut(m, now.Add(-time.Duration(m)*time.Minute))
		for d := range in.MetricData {
			in.MetricData[d].Dimensions = []cwapi.Dimension{{Name: ptr.To("Service"), Value: ptr.To("svc-0")}}
			in.MetricData[d].Values = []float64{float64(m), float64(m + 1), float64(m % 7)}
			in.MetricData[d].Value = nil
		}
		if _, err := c.PutMetricData(h.Ctx(), in); err != nil {
			b.Fatal(err)
		}
	}
	return now
}

// BenchmarkGetMetricData reads three hours of two metrics a minute
// apart: their average and p99 a minute, and their sum as an expression.
func BenchmarkGetMetricData(b *testing.B) {
	h := servicetest.New(b, "cloudwatch")
	c := New(h.Store(), h.Clock, nil, nil)
	c.Close()
	now := fillHours(b, c, h)
	dims := []cwapi.Dimension{{Name: ptr.To("Service"), Value: ptr.To("svc-0")}}
	q := func(id, name, stat string) cwapi.MetricDataQuery {
		return cwapi.MetricDataQuery{Id: ptr.To(id), MetricStat: &cwapi.MetricStat{Stat: ptr.To(stat), Period: ptr.To(int32(60)),
			Metric: &cwapi.Metric{Namespace: ptr.To("Bench"), MetricName: ptr.To(name), Dimensions: dims}}}
	}
	in := &cwapi.GetMetricDataInput{StartTime: ptr.To(now.Add(-3 * time.Hour)), EndTime: ptr.To(now),
		MetricDataQueries: []cwapi.MetricDataQuery{q("lat", "Latency", "Average"), q("p", "Latency", "p99"), q("req", "Requests", "Sum"),
			{Id: ptr.To("total"), Expression: ptr.To("lat + req")}}}
	b.ReportAllocs()
	for b.Loop() {
		out, err := c.GetMetricData(h.Ctx(), in)
		if err != nil {
			b.Fatal(err)
		}
		if len(out.MetricDataResults) != 4 || len(out.MetricDataResults[0].Values) != 180 {
			b.Fatalf("%d results, %d values", len(out.MetricDataResults), len(out.MetricDataResults[0].Values))
		}
	}
}

// BenchmarkGetMetricStatistics reads three hours of one metric in
// five-minute periods, every statistic.
func BenchmarkGetMetricStatistics(b *testing.B) {
	h := servicetest.New(b, "cloudwatch")
	c := New(h.Store(), h.Clock, nil, nil)
	c.Close()
	now := fillHours(b, c, h)
	in := &cwapi.GetMetricStatisticsInput{Namespace: ptr.To("Bench"), MetricName: ptr.To("Latency"),
		Dimensions: []cwapi.Dimension{{Name: ptr.To("Service"), Value: ptr.To("svc-0")}},
		StartTime:  ptr.To(now.Add(-3 * time.Hour)), EndTime: ptr.To(now), Period: ptr.To(int32(300)),
		Statistics: []string{"SampleCount", "Average", "Sum", "Minimum", "Maximum"}}
	b.ReportAllocs()
	for b.Loop() {
		out, err := c.GetMetricStatistics(h.Ctx(), in)
		if err != nil {
			b.Fatal(err)
		}
		if len(out.Datapoints) != 36 {
			b.Fatalf("%d datapoints", len(out.Datapoints))
		}
	}
}

// BenchmarkStoredDatapointsHeap measures what the memory backend holds
// per stored datapoint: the live heap after 100 series (two dimensions)
// each put one value a minute for 200 minutes, as an application
// flushing its metrics every minute does. Run it with -benchtime 1x.
func BenchmarkStoredDatapointsHeap(b *testing.B) {
	const series, minutes = 100, 200
	for b.Loop() {
		h := servicetest.New(b, "cloudwatch")
		c := New(h.Store(), h.Clock, nil, nil)
		c.Close()
		now := h.Clock.Now()
		var before runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for m := 0; m < minutes; m++ {
			data := make([]cwapi.MetricDatum, 0, series)
			for s := 0; s < series; s++ {
				data = append(data, cwapi.MetricDatum{MetricName: ptr.To(benchNames[s%5]), Unit: ptr.To("Count"),
					Dimensions: []cwapi.Dimension{{Name: ptr.To("Service"), Value: ptr.To(fmt.Sprintf("svc-%d", s/5))},
						{Name: ptr.To("Instance"), Value: ptr.To("i-0123456789abcdef0")}},
					Timestamp: ptr.To(now.Add(time.Duration(m-minutes) * time.Minute)), Value: ptr.To(float64(m*s%1000) / 4)})
			}
			if _, err := c.PutMetricData(h.Ctx(), &cwapi.PutMetricDataInput{Namespace: ptr.To("Bench"), MetricData: data}); err != nil {
				b.Fatal(err)
			}
		}
		var after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&after)
		heap := float64(after.HeapAlloc) - float64(before.HeapAlloc)
		b.ReportMetric(heap/(series*minutes), "heapB/datapoint")
		runtime.KeepAlive(c)
		runtime.KeepAlive(h)
	}
}

// BenchmarkBucketCodec encodes and decodes a minute's bucket in both
// stored forms: one value (a series flushed once a minute) and the
// bench's busy minute (one unit, 100 distinct values with their counts).
func BenchmarkBucketCodec(b *testing.B) {
	busy := entry{Unit: "Count"}
	for v := range 100 {
		busy.merge(entry{N: 3, Sum: float64(3 * v), Min: float64(v), Max: float64(v), V: []float64{float64(v)}, C: []float64{3}}, v == 0)
	}
	for _, c := range []struct {
		name string
		b    bucket
	}{
		{"one value", bucket{Res: 60, Entries: []entry{{Unit: "Count", N: 1, Sum: 42, Min: 42, Max: 42, V: []float64{42}, C: []float64{1}}}}},
		{"busy minute", bucket{Res: 60, Entries: []entry{busy}}},
	} {
		js, _ := json.Marshal(&c.b)
		bin, _ := storage.EncodeRecord(&c.b)
		for _, form := range []struct {
			name string
			data []byte
			enc  func() ([]byte, error)
		}{
			{"json", js, func() ([]byte, error) { return json.Marshal(&c.b) }},
			{"binary", bin, func() ([]byte, error) { return storage.EncodeRecord(&c.b) }},
		} {
			b.Run(c.name+"/"+form.name+"/encode", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := form.enc(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(form.data)), "bytes")
			})
			b.Run(c.name+"/"+form.name+"/decode", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					var x bucket
					if err := storage.DecodeRecord(form.data, &x); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkPercentileHour asks p99 of an hour of busy minutes (600
// distinct values each) in one period: the minutes' distinct values are
// merged into the period's.
func BenchmarkPercentileHour(b *testing.B) {
	h := servicetest.New(b, "cloudwatch")
	c := New(h.Store(), h.Clock, nil, nil)
	c.Close()
	now := h.Clock.Now().Truncate(time.Hour)
	h.Clock.Set(now)
	for m := 1; m <= 60; m++ {
		var data []cwapi.MetricDatum
		for d := range 4 {
			vals := make([]float64, 150)
			for i := range vals {
				vals[i] = float64((d*150+i)*7+m) / 8
			}
			data = append(data, cwapi.MetricDatum{MetricName: ptr.To("Latency"), Values: vals, Timestamp: ptr.To(now.Add(-time.Duration(m) * time.Minute))})
		}
		if _, err := c.PutMetricData(h.Ctx(), &cwapi.PutMetricDataInput{Namespace: ptr.To("Bench"), MetricData: data}); err != nil {
			b.Fatal(err)
		}
	}
	in := &cwapi.GetMetricStatisticsInput{Namespace: ptr.To("Bench"), MetricName: ptr.To("Latency"),
		StartTime: ptr.To(now.Add(-time.Hour)), EndTime: ptr.To(now), Period: ptr.To(int32(3600)), ExtendedStatistics: []string{"p99"}}
	b.ReportAllocs()
	for b.Loop() {
		out, err := c.GetMetricStatistics(h.Ctx(), in)
		if err != nil || len(out.Datapoints) != 1 {
			b.Fatalf("%+v %v", out, err)
		}
	}
}
