package events

import (
	"reflect"
	"strconv"
	"testing"
	"time"
)

// TestMetricAggregatorPublishesEndedMinutes: samples are summed per
// account, region, metric, dimensions and minute; Flush publishes only
// the minutes that are over, once, each as one statistic set stamped at
// the minute's start, with the same count, sum, extremes and value
// histogram the samples had.
func TestMetricAggregatorPublishesEndedMinutes(t *testing.T) {
	b := New()
	type pub struct {
		account string
		m       Metric
	}
	var got []pub
	b.HandleMetrics(func(account, _ string, ms []Metric) {
		for _, m := range ms {
			got = append(got, pub{account, m})
		}
	})
	a := NewMetricAggregator(b)
	t0 := time.Date(2026, 5, 1, 12, 0, 10, 0, time.UTC)
	lbDims := func() map[string]string { return map[string]string{"LoadBalancer": "app/web/1"} }
	tgDims := func() map[string]string {
		return map[string]string{"TargetGroup": "targetgroup/tg/2", "LoadBalancer": "app/web/1"}
	}
	sample := func(account, name string, dims map[string]string, v float64, at time.Time) {
		a.Add(account, "us-east-1", Metric{Namespace: "AWS/ApplicationELB", Name: name, Dimensions: dims, Value: v, Unit: "Count", Time: at})
	}
	sample("1", "RequestCount", lbDims(), 1, t0)
	sample("1", "RequestCount", lbDims(), 1, t0.Add(20*time.Second))
	sample("1", "RequestCount", tgDims(), 1, t0.Add(20*time.Second))
	sample("2", "RequestCount", lbDims(), 1, t0.Add(30*time.Second))
	sample("1", "Latency", lbDims(), 0.5, t0)
	sample("1", "Latency", lbDims(), 0.25, t0)
	sample("1", "Latency", lbDims(), 0.5, t0)
	sample("1", "RequestCount", lbDims(), 1, t0.Add(time.Minute)) // the next minute

	a.Flush(t0.Add(49 * time.Second)) // 12:00:59: the minute is not over
	if len(got) != 0 {
		t.Fatalf("published before the minute ended: %+v", got)
	}
	a.Flush(t0.Add(50 * time.Second)) // 12:01:00
	minute := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	want := map[string]MetricStats{
		"1 RequestCount 1": {SampleCount: 2, Sum: 2, Min: 1, Max: 1, Values: []float64{1}, Counts: []float64{2}},
		"1 RequestCount 2": {SampleCount: 1, Sum: 1, Min: 1, Max: 1, Values: []float64{1}, Counts: []float64{1}},
		"2 RequestCount 1": {SampleCount: 1, Sum: 1, Min: 1, Max: 1, Values: []float64{1}, Counts: []float64{1}},
		"1 Latency 1":      {SampleCount: 3, Sum: 1.25, Min: 0.25, Max: 0.5, Values: []float64{0.25, 0.5}, Counts: []float64{1, 2}},
	}
	if len(got) != len(want) {
		t.Fatalf("published %d metrics, want %d: %+v", len(got), len(want), got)
	}
	for _, p := range got {
		k := p.account + " " + p.m.Name + " " + string(rune('0'+len(p.m.Dimensions)))
		w, ok := want[k]
		if !ok || p.m.Stats == nil || !reflect.DeepEqual(*p.m.Stats, w) {
			t.Errorf("%s: got %+v, want %+v", k, p.m.Stats, w)
		}
		if !p.m.Time.Equal(minute) || p.m.Value != w.Sum || p.m.Unit != "Count" || p.m.Namespace != "AWS/ApplicationELB" {
			t.Errorf("%s: %+v", k, p.m)
		}
	}
	got = nil
	a.Flush(t0.Add(50 * time.Second))
	if len(got) != 0 {
		t.Fatalf("a minute was published twice: %+v", got)
	}
	a.FlushAll()
	if len(got) != 1 || got[0].m.Stats.SampleCount != 1 || !got[0].m.Time.Equal(minute.Add(time.Minute)) {
		t.Fatalf("FlushAll: %+v", got)
	}
}

// TestMetricStatsKeepsAtMostMaxDistinct: beyond MaxDistinct distinct
// values the histogram stops growing, as CloudWatch's datum does, while
// the count, sum and extremes take every sample.
func TestMetricStatsKeepsAtMostMaxDistinct(t *testing.T) {
	var s MetricStats
	for i := range MaxDistinct + 10 {
		s.add(float64(MaxDistinct + 10 - i))
	}
	if len(s.Values) != MaxDistinct || len(s.Counts) != MaxDistinct || s.SampleCount != MaxDistinct+10 || s.Min != 1 || s.Max != MaxDistinct+10 {
		t.Fatalf("values %d counts %d n %v min %v max %v", len(s.Values), len(s.Counts), s.SampleCount, s.Min, s.Max)
	}
	for i := 1; i < len(s.Values); i++ {
		if s.Values[i-1] >= s.Values[i] {
			t.Fatalf("values not ascending at %d", i)
		}
	}
}

// TestMetricAggregatorBoundsPending: with maxPending series-minutes held
// and no flush (a clock that stood still), a sample of a later minute
// publishes the minutes before it itself, so memory stays bounded.
func TestMetricAggregatorBoundsPending(t *testing.T) {
	b := New()
	published := 0
	b.HandleMetrics(func(_, _ string, ms []Metric) { published += len(ms) })
	a := NewMetricAggregator(b)
	t0 := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for i := range maxPending {
		a.Add("1", "r", Metric{Name: "m", Dimensions: map[string]string{"i": strconv.Itoa(i)}, Value: 1, Time: t0})
	}
	a.Add("1", "r", Metric{Name: "m", Value: 1, Time: t0.Add(30 * time.Second)}) // the same minute: held
	if published != 0 {
		t.Fatalf("published %d within the minute", published)
	}
	a.Add("1", "r", Metric{Name: "m", Value: 1, Time: t0.Add(time.Minute)})
	if published != maxPending+1 || len(a.pending) != 1 {
		t.Fatalf("published %d, pending %d", published, len(a.pending))
	}
}

// TestDimsKeyIsOrderFree: a dimension set's key is the same whatever
// order the map iterates in, and differs between different sets.
func TestDimsKeyIsOrderFree(t *testing.T) {
	sets := []map[string]string{
		{},
		{"A": "1"},
		{"A": "1", "B": "2"},
		{"B": "2", "A": "1", "C": "3"},
		{"A": "2", "B": "1"},
		{"": "", "A": "1"},
	}
	seen := map[string]int{}
	for i, d := range sets {
		k := dimsKey(d)
		for range 20 {
			if dimsKey(d) != k {
				t.Fatalf("set %d: key changed", i)
			}
		}
		if j, dup := seen[k]; dup {
			t.Fatalf("sets %d and %d share key %q", j, i, k)
		}
		seen[k] = i
	}
	if dimsKey(map[string]string{"B": "2", "A": "1"}) != "A\x001\x01B\x002" {
		t.Fatalf("two dimensions not sorted by name: %q", dimsKey(map[string]string{"B": "2", "A": "1"}))
	}
}
