package events

import (
	"math"
	"sort"
	"strings"
	"sync"
	"time"
)

// MetricStats is a pre-aggregated statistic set: what a Metric carries
// instead of its Value when a service publishes the sum of many samples
// at once (as PutMetricData's StatisticValues with Values and Counts).
type MetricStats struct {
	SampleCount, Sum, Min, Max float64
	// Values are the distinct sample values, ascending, and Counts how
	// many samples had each (for percentiles); at most MaxDistinct.
	Values, Counts []float64
}

// MaxDistinct bounds the distinct values a MetricStats keeps (CloudWatch
// keeps as many per datum); samples beyond it count in SampleCount, Sum,
// Min and Max only.
const MaxDistinct = 1000

// add counts one sample of value v.
func (s *MetricStats) add(v float64) {
	if s.SampleCount == 0 {
		s.Min, s.Max = v, v
	}
	s.SampleCount++
	s.Sum += v
	s.Min = math.Min(s.Min, v)
	s.Max = math.Max(s.Max, v)
	i := sort.SearchFloat64s(s.Values, v)
	if i < len(s.Values) && s.Values[i] == v {
		s.Counts[i]++
		return
	}
	if len(s.Values) >= MaxDistinct {
		return
	}
	s.Values = append(s.Values, 0)
	s.Counts = append(s.Counts, 0)
	copy(s.Values[i+1:], s.Values[i:])
	copy(s.Counts[i+1:], s.Counts[i:])
	s.Values[i], s.Counts[i] = v, 1
}

// MetricPeriod is the granularity a MetricAggregator publishes at: AWS
// services publish their per-request metrics (ALB's RequestCount,
// TargetResponseTime, ...) as one-minute data.
const MetricPeriod = time.Minute

// MetricAggregator sums the metrics a service records per request in
// memory, per account, region, metric, dimensions and minute, and
// publishes each minute's statistic set through the bus once, when Flush
// is called after the minute is over: what CloudWatch then stores and
// answers (SampleCount, Sum, Minimum, Maximum, percentiles) is what it
// would have from one write per sample, for one write per minute.
type MetricAggregator struct {
	bus *Bus

	mu      sync.Mutex
	pending map[aggKey]*aggValue
	oldest  int64 // the earliest minute pending
}

type aggKey struct {
	account, region, ns, name, dims, unit string
	minute                                int64
}

type aggValue struct {
	dims  map[string]string
	stats MetricStats
}

// maxPending bounds the series-minutes held between flushes: beyond it
// Add publishes the minutes that are over itself.
const maxPending = 10000

// NewMetricAggregator publishes to bus.
func NewMetricAggregator(bus *Bus) *MetricAggregator {
	return &MetricAggregator{bus: bus, pending: map[aggKey]*aggValue{}}
}

// Add counts ms (each a sample: Value at Time) in their minutes.
func (a *MetricAggregator) Add(account, region string, ms ...Metric) {
	if a == nil || a.bus == nil {
		return
	}
	a.mu.Lock()
	full := len(ms) > 0 && len(a.pending) >= maxPending && a.oldest < minuteOf(ms[0].Time)
	a.mu.Unlock()
	if full {
		// Nobody flushed for a long time (a clock that stood still):
		// publish the minutes before these samples now.
		a.Flush(ms[0].Time)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, m := range ms {
		k := aggKey{account: account, region: region, ns: m.Namespace, name: m.Name, dims: dimsKey(m.Dimensions), unit: m.Unit,
			minute: minuteOf(m.Time)}
		v := a.pending[k]
		if v == nil {
			v = &aggValue{dims: m.Dimensions}
			if len(a.pending) == 0 || k.minute < a.oldest {
				a.oldest = k.minute
			}
			a.pending[k] = v
		}
		v.stats.add(m.Value)
	}
}

// Flush publishes every minute that ended by now and forgets it.
func (a *MetricAggregator) Flush(now time.Time) { a.flush(minuteOf(now)) }

// FlushAll publishes every pending minute, the current one too (at
// shutdown).
func (a *MetricAggregator) FlushAll() { a.flush(math.MaxInt64) }

// Discard forgets what is pending (the store it was for was dropped).
func (a *MetricAggregator) Discard() {
	if a == nil {
		return
	}
	a.mu.Lock()
	a.pending = map[aggKey]*aggValue{}
	a.mu.Unlock()
}

// flush publishes the minutes before the one starting at before.
func (a *MetricAggregator) flush(before int64) {
	if a == nil {
		return
	}
	type scope struct{ account, region string }
	out := map[scope][]Metric{}
	a.mu.Lock()
	a.oldest = math.MaxInt64
	for k, v := range a.pending {
		if k.minute >= before {
			a.oldest = min(a.oldest, k.minute)
			continue
		}
		delete(a.pending, k)
		st := v.stats
		out[scope{k.account, k.region}] = append(out[scope{k.account, k.region}], Metric{Namespace: k.ns, Name: k.name,
			Dimensions: v.dims, Unit: k.unit, Time: time.Unix(k.minute, 0).UTC(), Value: st.Sum, Stats: &st})
	}
	a.mu.Unlock()
	for sc, ms := range out {
		a.bus.PublishMetrics(sc.account, sc.region, ms...)
	}
}

// minuteOf is the Unix second the minute of t starts at.
func minuteOf(t time.Time) int64 {
	s := t.Unix()
	return s - ((s%60)+60)%60
}

// dimsKey is a dimension set as a key: its pairs sorted by name.
func dimsKey(d map[string]string) string {
	switch len(d) {
	case 0:
		return ""
	case 1:
		for k, v := range d {
			return k + "\x00" + v
		}
	case 2:
		var k1, v1, k2, v2 string
		first := true
		for k, v := range d {
			if first {
				k1, v1, first = k, v, false
			} else {
				k2, v2 = k, v
			}
		}
		if k2 < k1 {
			k1, v1, k2, v2 = k2, v2, k1, v1
		}
		return k1 + "\x00" + v1 + "\x01" + k2 + "\x00" + v2
	}
	names := make([]string, 0, len(d))
	for k := range d {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	for i, k := range names {
		if i > 0 {
			b.WriteByte('\x01')
		}
		b.WriteString(k)
		b.WriteByte(0)
		b.WriteString(d[k])
	}
	return b.String()
}
