package cloudwatch

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	cwapi "github.com/niwa-cloud/niwa/internal/api/cloudwatch"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Limits AWS documents for PutMetricData.
const (
	maxMetricData    = 1000
	maxDimensions    = 30
	maxValues        = 150
	maxPayload       = 1 << 20
	pastWindow       = 14 * 24 * time.Hour
	futureWindow     = 2 * time.Hour
	maxDatapointsGMS = 1440
	// maxDistinct caps the distinct values a bucket entry keeps for
	// percentiles, so one busy metric cannot grow a record without bound;
	// beyond it percentiles are computed from the values kept (AWS's are
	// approximations too).
	maxDistinct = 1000
)

// Retention as AWS documents it: 1-second data for 3 hours, 1-minute data
// for 15 days, 5-minute data for 63 days, 1-hour data for 455 days.
const (
	keepSecondData     = 3 * time.Hour
	keepMinuteData     = 15 * 24 * time.Hour
	keepFiveMinuteData = 63 * 24 * time.Hour
	keepHourData       = 455 * 24 * time.Hour
)

// metricRecord is one metric's identity, for ListMetrics.
type metricRecord struct {
	Namespace  string `json:"ns"`
	Name       string `json:"n"`
	Dimensions []dim  `json:"d,omitempty"`
	// Last is the unix time of the last PutMetricData (RecentlyActive,
	// and the two weeks after which ListMetrics forgets a metric).
	Last int64 `json:"l"`
}

type dim struct {
	N string `json:"n"`
	V string `json:"v"`
}

// bucket is a metric's data of one time bucket (a minute; 5 minutes or
// an hour once rolled up), keyed (ns, name, dims, start).
type bucket struct {
	Res     int64   `json:"res"`
	Entries []entry `json:"e"`
}

// entry aggregates the values of one second (high resolution) or of the
// whole bucket (S 0), of one unit.
type entry struct {
	S    int64     `json:"s,omitempty"`
	Unit string    `json:"u,omitempty"`
	N    float64   `json:"n"`
	Sum  float64   `json:"sum"`
	Min  float64   `json:"min"`
	Max  float64   `json:"max"`
	V    []float64 `json:"v,omitempty"`
	C    []float64 `json:"c,omitempty"`
}

var (
	metricsT = storage.NewTable[metricRecord]("metric")
	dataT    = storage.NewTable[bucket]("data")
)

// dimsKey is the canonical key part of a dimension set: sorted by name.
func dimsKey(ds []dim) string {
	if len(ds) == 0 {
		return ""
	}
	n := len(ds) - 1
	for _, d := range ds {
		n += len(d.N) + 1 + len(d.V)
	}
	var b strings.Builder
	b.Grow(n)
	for i, d := range ds {
		if i > 0 {
			b.WriteByte('\x01')
		}
		b.WriteString(d.N)
		b.WriteByte('\x00')
		b.WriteString(d.V)
	}
	return b.String()
}

// sortDims returns the dimensions sorted by name. Names are unique (the
// callers check), and there are at most 30: an insertion sort.
func sortDims(in []cwapi.Dimension) []dim {
	out := make([]dim, len(in))
	for i, d := range in {
		out[i] = dim{N: ptr.Deref(d.Name), V: ptr.Deref(d.Value)}
		for j := i; j > 0 && out[j].N < out[j-1].N; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func apiDims(ds []dim) []cwapi.Dimension {
	out := make([]cwapi.Dimension, len(ds))
	for i, d := range ds {
		out[i] = cwapi.Dimension{Name: ptr.To(d.N), Value: ptr.To(d.V)}
	}
	return out
}

// stamp is a bucket's start as its key part: 12 digits, so that keys sort
// by time.
func stamp(t int64) string {
	if t < 0 || t >= 1e12 {
		return fmt.Sprintf("%012d", t)
	}
	var b [12]byte
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte('0' + t%10)
		t /= 10
	}
	return string(b[:])
}

// parseStamp reads a stamp back; false for anything stamp did not write.
func parseStamp(b []byte) (int64, bool) {
	if len(b) != 12 {
		v, err := strconv.ParseInt(string(b), 10, 64)
		return v, err == nil
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			v, err := strconv.ParseInt(string(b), 10, 64)
			return v, err == nil
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}

// memberParam names the i-th datum in error messages.
func memberParam(i int) string { return "MetricData.member." + strconv.Itoa(i+1) }

// ---- PutMetricData ----

// PutMetricData stores data points after AWS's checks.
func (c *CloudWatch) PutMetricData(ctx *request.Context, in *cwapi.PutMetricDataInput) (*cwapi.PutMetricDataOutput, error) {
	if ctx.HTTP != nil && ctx.HTTP.ContentLength > maxPayload {
		return nil, errTooLarge.New("Request size %d exceeded %d bytes", ctx.HTTP.ContentLength, maxPayload)
	}
	ns := ptr.Deref(in.Namespace)
	if ns == "" {
		return nil, errMissing.New("The parameter Namespace is required.")
	}
	if strings.HasPrefix(ns, "AWS/") {
		return nil, errInvalidValue.New("The value %s for parameter Namespace is invalid.", ns)
	}
	if len(in.MetricData) == 0 {
		return nil, errMissing.New("The parameter MetricData is required.")
	}
	if len(in.MetricData) > maxMetricData {
		return nil, errInvalidValue.New("The collection MetricData must not have a size greater than %d.", maxMetricData)
	}
	now := ctx.Now()
	puts := make([]put, 0, len(in.MetricData))
	// The one-value data's value and count lists, in one allocation.
	ones := make([]float64, 2*len(in.MetricData))
	for i := range in.MetricData {
		d := &in.MetricData[i]
		e, err := datumEntry(d, i, ones[2*i:2*i+2:2*i+2])
		if err != nil {
			return nil, err
		}
		if len(d.Dimensions) > maxDimensions {
			return nil, errInvalidValue.New("The collection %s.Dimensions must not have a size greater than %d.", memberParam(i), maxDimensions)
		}
		for j := range d.Dimensions {
			dd := &d.Dimensions[j]
			if ptr.Deref(dd.Name) == "" {
				return nil, errMissing.New("The parameter %s.Dimensions.member.%d.Name is required.", memberParam(i), j+1)
			}
			if dd.Value == nil {
				return nil, errMissing.New("The parameter %s.Dimensions.member.%d.Value is required.", memberParam(i), j+1)
			}
			for k := range j {
				if *d.Dimensions[k].Name == *dd.Name {
					return nil, errInvalidValue.New("No Metric may specify the same dimension name twice: %s.Dimensions.member.%d.Name", memberParam(i), j+1)
				}
			}
		}
		res := ptr.Deref(d.StorageResolution)
		if d.StorageResolution != nil && res != 1 && res != 60 {
			return nil, invalidValue(res, memberParam(i)+".StorageResolution")
		}
		t := now
		if d.Timestamp != nil {
			t = *d.Timestamp
		}
		if t.Before(now.Add(-pastWindow)) {
			return nil, errInvalidValue.New("The parameter %s.Timestamp must specify a time no more than two weeks in the past.", memberParam(i))
		}
		if t.After(now.Add(futureWindow)) {
			return nil, errInvalidValue.New("The parameter %s.Timestamp must specify a time no more than two hours in the future.", memberParam(i))
		}
		e.Unit = ptr.Deref(d.Unit)
		if e.Unit == "None" {
			e.Unit = ""
		}
		puts = append(puts, put{ns: ns, dims: sortDims(d.Dimensions), name: ptr.Deref(d.MetricName), sec: t.Unix(), hi: res == 1, e: e})
	}
	if err := c.write(scope(ctx), now, puts); err != nil {
		return nil, err
	}
	return &cwapi.PutMetricDataOutput{}, nil
}

// put is one datum to store.
type put struct {
	ns, name string
	dims     []dim
	sec      int64 // its time, unix seconds
	hi       bool
	e        entry
}

// write stores data points in one transaction: each series' metric record
// and each bucket is read and written once however many of the data fall
// in it, the data merged in their order.
func (c *CloudWatch) write(sc storage.Scope, now time.Time, puts []put) error {
	return c.store.Update(func(tx storage.Tx) error {
		if err := touchScope(tx, sc); err != nil {
			return err
		}
		w := writer{tx: tx, sc: sc, now: now.Unix()}
		for i := range puts {
			if err := w.add(&puts[i]); err != nil {
				return err
			}
		}
		return w.flush()
	})
}

// writer gathers one write's series and buckets.
type writer struct {
	tx      storage.Tx
	sc      storage.Scope
	now     int64
	series  []seriesW
	buckets []bucketW
	// index finds a bucket by key once there are many (a put of up to
	// 1000 data); below that a scan is cheaper than the map.
	index map[string]int
}

type seriesW struct {
	ns, name, dk string
	prefix       []byte // the series' data key prefix
}

type bucketW struct {
	key []byte
	b   bucket
}

func (w *writer) add(p *put) error {
	dk := dimsKey(p.dims)
	si := -1
	for i := range w.series {
		if s := &w.series[i]; s.dk == dk && s.name == p.name && s.ns == p.ns {
			si = i
			break
		}
	}
	if si < 0 {
		if err := w.touchMetric(p, dk); err != nil {
			return err
		}
		si = len(w.series)
		w.series = append(w.series, seriesW{ns: p.ns, name: p.name, dk: dk, prefix: dataT.Key(w.sc, p.ns, p.name, dk)})
	}
	start := p.sec - mod(p.sec, 60)
	s := &w.series[si]
	key := storage.AppendKey(s.prefix[:len(s.prefix):len(s.prefix)], stamp(start))
	b, err := w.bucket(key)
	if err != nil {
		return err
	}
	b.Res = 60
	e := p.e
	if p.hi {
		e.S = p.sec - start
	}
	b.add(e)
	return nil
}

// bucket returns the bucket at key, read from the store the first time.
func (w *writer) bucket(key []byte) (*bucket, error) {
	if w.index != nil {
		if i, ok := w.index[string(key)]; ok {
			return &w.buckets[i].b, nil
		}
	} else {
		for i := range w.buckets {
			if bytes.Equal(w.buckets[i].key, key) {
				return &w.buckets[i].b, nil
			}
		}
	}
	var b bucket
	if raw, ok := w.tx.Get(key); ok {
		if err := storage.DecodeRecord(raw, &b); err != nil {
			return nil, fmt.Errorf("cloudwatch: bucket %q: %w", key, err)
		}
	}
	w.buckets = append(w.buckets, bucketW{key: key, b: b})
	if w.index == nil && len(w.buckets) > 16 {
		w.index = make(map[string]int, 64)
		for i := range w.buckets {
			w.index[string(w.buckets[i].key)] = i
		}
	} else if w.index != nil {
		w.index[string(key)] = len(w.buckets) - 1
	}
	return &w.buckets[len(w.buckets)-1].b, nil
}

// touchMetric records the series for ListMetrics: its record is written
// when it is new or this put is later than its last one.
func (w *writer) touchMetric(p *put, dk string) error {
	key := metricsT.Key(w.sc, p.ns, p.name, dk)
	m := metricRecord{Namespace: p.ns, Name: p.name, Dimensions: p.dims, Last: w.now}
	if raw, ok := w.tx.Get(key); ok {
		last, err := metricLast(raw)
		if err != nil {
			return fmt.Errorf("cloudwatch: metric %q: %w", key, err)
		}
		if last >= w.now {
			return nil
		}
	}
	data, err := storage.EncodeRecord(&m)
	if err != nil {
		return err
	}
	return w.tx.Put(key, data)
}

// metricLast reads a stored metric record's Last without the rest.
func metricLast(raw []byte) (int64, error) {
	if len(raw) == 0 || raw[0] != storage.RecordV1 {
		var m metricRecord
		err := storage.DecodeRecord(raw, &m)
		return m.Last, err
	}
	d := storage.NewDec(raw[1:])
	var last int64
	for d.Next() {
		if d.Tag() == 4 {
			last = d.Int()
		} else {
			d.Skip()
		}
	}
	return last, d.Err()
}

// flush writes the buckets.
func (w *writer) flush() error {
	var buf []byte
	for i := range w.buckets {
		buf = w.buckets[i].b.AppendRecord(append(buf[:0], storage.RecordV1))
		if err := w.tx.Put(w.buckets[i].key, buf); err != nil {
			return err
		}
	}
	return nil
}

// RecordMetrics stores the metrics niwa's services publish in their AWS/
// namespaces (events.Bus.PublishMetrics); it is the bus's metric sink.
// Failures are logged: a service's call must not fail because its
// metrics could not be stored.
func (c *CloudWatch) RecordMetrics(account, region string, ms []events.Metric) {
	now := c.clock.Now()
	puts := make([]put, 0, len(ms))
	for _, m := range ms {
		if m.Name == "" || !validValue(m.Value) {
			continue
		}
		t := m.Time
		if t.IsZero() {
			t = now
		}
		ds := make([]dim, 0, len(m.Dimensions))
		for k, v := range m.Dimensions {
			ds = append(ds, dim{N: k, V: v})
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i].N < ds[j].N })
		unit := m.Unit
		if unit == "None" {
			unit = ""
		}
		e := entry{Unit: unit, N: 1, Sum: m.Value, Min: m.Value, Max: m.Value, V: []float64{m.Value}, C: []float64{1}}
		if st := m.Stats; st != nil {
			if st.SampleCount <= 0 || checkValue(st.Sum, "Sum") != nil || checkValue(st.Min, "Minimum") != nil || checkValue(st.Max, "Maximum") != nil ||
				len(st.Values) != len(st.Counts) || len(st.Values) > maxDistinct {
				continue
			}
			e = entry{Unit: unit, N: st.SampleCount, Sum: st.Sum, Min: st.Min, Max: st.Max, V: st.Values, C: st.Counts}
		}
		puts = append(puts, put{ns: m.Namespace, name: m.Name, dims: ds, sec: t.Unix(), e: e})
	}
	if len(puts) == 0 {
		return
	}
	if err := c.write(storage.Scope{Account: account, Region: region}, now, puts); err != nil {
		c.log.Error("cloudwatch: storing published metrics", "error", err)
	}
}

func mod(a, b int64) int64 { return ((a % b) + b) % b }

// checkValue refuses what CloudWatch refuses: NaN, ±Inf, and magnitudes
// outside 8.515920e-109 .. 1.174271e+108 (2^-360 .. 2^360).
func checkValue(v float64, param string) error {
	if !validValue(v) {
		return badValue(v, param)
	}
	return nil
}

func validValue(v float64) bool {
	a := math.Abs(v)
	return !math.IsNaN(v) && !math.IsInf(v, 0) && a <= 1.174271e+108 && (a == 0 || a >= 8.515920e-109)
}

func badValue(v float64, param string) error {
	return invalidValue(strconv.FormatFloat(v, 'g', -1, 64), param)
}

// datumEntry turns the i-th MetricDatum's value members into an entry. A
// one-value entry's value and count lists are one, two floats the caller
// provides (the entry is merged into its bucket, which copies them).
func datumEntry(d *cwapi.MetricDatum, i int, one []float64) (entry, error) {
	p := func() string { return memberParam(i) }
	n := 0
	for _, set := range [...]bool{d.Value != nil, d.StatisticValues != nil, len(d.Values) > 0} {
		if set {
			n++
		}
	}
	if n > 1 {
		p := p()
		return entry{}, errCombination.New("The parameters %s.Value, %s.StatisticValues and %s.Values are mutually exclusive and you have specified more than one.", p, p, p)
	}
	if len(d.Counts) > 0 && len(d.Values) == 0 {
		return entry{}, errCombination.New("The parameter %s.Counts requires %s.Values.", p(), p())
	}
	switch {
	case d.Value != nil:
		v := *d.Value
		if !validValue(v) {
			return entry{}, badValue(v, p()+".Value")
		}
		one[0], one[1] = v, 1
		return entry{N: 1, Sum: v, Min: v, Max: v, V: one[0:1:1], C: one[1:2:2]}, nil
	case d.StatisticValues != nil:
		s := d.StatisticValues
		for _, f := range [...]struct {
			v    *float64
			name string
		}{{s.SampleCount, "SampleCount"}, {s.Sum, "Sum"}, {s.Minimum, "Minimum"}, {s.Maximum, "Maximum"}} {
			if f.v == nil {
				return entry{}, errMissing.New("The parameter %s.StatisticValues.%s is required.", p(), f.name)
			}
			if !validValue(*f.v) {
				return entry{}, badValue(*f.v, p()+".StatisticValues."+f.name)
			}
		}
		if *s.SampleCount <= 0 {
			return entry{}, invalidValue(*s.SampleCount, p()+".StatisticValues.SampleCount")
		}
		if *s.Minimum > *s.Maximum {
			return entry{}, errInvalidValue.New("The parameter %s.StatisticValues.Maximum must be greater than %s.StatisticValues.Minimum.", p(), p())
		}
		return entry{N: *s.SampleCount, Sum: *s.Sum, Min: *s.Minimum, Max: *s.Maximum}, nil
	case len(d.Values) > 0:
		if len(d.Values) > maxValues {
			return entry{}, errInvalidValue.New("The collection %s.Values must not have a size greater than %d.", p(), maxValues)
		}
		if len(d.Counts) > 0 && len(d.Counts) != len(d.Values) {
			return entry{}, errInvalidValue.New("The parameters %s.Values and %s.Counts must be of the same size.", p(), p())
		}
		var e entry
		first := true
		for j, v := range d.Values {
			if !validValue(v) {
				return entry{}, badValue(v, fmt.Sprintf("%s.Values.member.%d", p(), j+1))
			}
			cnt := 1.0
			if len(d.Counts) > 0 {
				cnt = d.Counts[j]
				if !validValue(cnt) || cnt < 0 {
					return entry{}, invalidValue(cnt, fmt.Sprintf("%s.Counts.member.%d", p(), j+1))
				}
			}
			if cnt == 0 {
				continue
			}
			one[0], one[1] = v, cnt
			e.merge(entry{N: cnt, Sum: v * cnt, Min: v, Max: v, V: one[0:1:1], C: one[1:2:2]}, first)
			first = false
		}
		if first {
			return entry{}, errInvalidValue.New("The parameter %s.Counts must contain at least one count greater than zero.", p())
		}
		return e, nil
	}
	return entry{}, errMissing.New("The parameter %s.Value is required.", p())
}

// merge adds o into e (first: e is empty).
func (e *entry) merge(o entry, first bool) {
	// Value and count lists of different lengths come only from damaged
	// stored bytes: the values without a count are left out.
	if len(o.V) != len(o.C) {
		n := min(len(o.V), len(o.C))
		o.V, o.C = o.V[:n], o.C[:n]
	}
	if first || e.N == 0 {
		o.V, o.C = append([]float64(nil), o.V...), append([]float64(nil), o.C...)
		s, u := e.S, e.Unit
		*e = o
		e.S, e.Unit = s, u
		return
	}
	e.N += o.N
	e.Sum += o.Sum
	e.Min = math.Min(e.Min, o.Min)
	e.Max = math.Max(e.Max, o.Max)
	if len(e.V) != len(e.C) {
		n := min(len(e.V), len(e.C))
		e.V, e.C = e.V[:n], e.C[:n]
	}
	for i, v := range o.V {
		idx := sort.SearchFloat64s(e.V, v)
		if idx < len(e.V) && e.V[idx] == v {
			e.C[idx] += o.C[i]
			continue
		}
		if len(e.V) >= maxDistinct {
			continue
		}
		e.V = append(e.V, 0)
		e.C = append(e.C, 0)
		copy(e.V[idx+1:], e.V[idx:])
		copy(e.C[idx+1:], e.C[idx:])
		e.V[idx], e.C[idx] = v, o.C[i]
	}
}

// add merges e into the bucket's entry of the same second and unit.
func (b *bucket) add(e entry) {
	for i := range b.Entries {
		if b.Entries[i].S == e.S && b.Entries[i].Unit == e.Unit {
			b.Entries[i].merge(e, false)
			return
		}
	}
	var n entry
	n.S, n.Unit = e.S, e.Unit
	n.merge(e, true)
	b.Entries = append(b.Entries, n)
}

// ---- reading ----

// agg is the aggregate of the entries falling in one period.
type agg struct {
	entry
	unitName string
	units    int // distinct units seen: 0, 1, or 2 for more than one
}

// add merges e in; values says whether the distinct values (for
// percentiles) are kept, or only the sample count, sum, minimum and
// maximum.
func (a *agg) add(e *entry, values bool) {
	switch {
	case a.units == 0:
		a.unitName, a.units = e.Unit, 1
	case a.units == 1 && e.Unit != a.unitName:
		a.units = 2
	}
	if values {
		a.entry.merge(*e, a.N == 0)
		return
	}
	if a.N == 0 {
		a.N, a.Sum, a.Min, a.Max = e.N, e.Sum, e.Min, e.Max
		return
	}
	a.N += e.N
	a.Sum += e.Sum
	a.Min = math.Min(a.Min, e.Min)
	a.Max = math.Max(a.Max, e.Max)
}

// unit is the period's unit when it has exactly one.
func (a *agg) unit() string {
	if a.units == 1 && a.unitName != "" {
		return a.unitName
	}
	return "None"
}

// stat returns the statistic name of the aggregate: SampleCount, Average,
// Sum, Minimum, Maximum or pNN(.NN); false when it cannot be computed
// (a percentile of statistic sets only).
func (a *agg) stat(name string) (float64, bool) {
	switch name {
	case "SampleCount":
		return a.N, true
	case "Average":
		return a.Sum / a.N, true
	case "Sum":
		return a.Sum, true
	case "Minimum":
		return a.Min, true
	case "Maximum":
		return a.Max, true
	}
	p, ok := percentileOf(name)
	if !ok || len(a.V) == 0 {
		return 0, false
	}
	var total float64
	for _, c := range a.C {
		total += c
	}
	rank := math.Ceil(p / 100 * total)
	if rank < 1 {
		rank = 1
	}
	var acc float64
	for i, c := range a.C {
		acc += c
		if acc >= rank {
			return a.V[i], true
		}
	}
	return a.V[len(a.V)-1], true
}

// percentileOf parses pNN or pNN.NN (0..100).
func percentileOf(s string) (float64, bool) {
	if len(s) < 2 || s[0] != 'p' {
		return 0, false
	}
	num := s[1:]
	if i := strings.IndexByte(num, '.'); i >= 0 && len(num)-i-1 > 2 {
		return 0, false
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v < 0 || v > 100 || strings.ContainsAny(num, "eE+-") {
		return 0, false
	}
	return v, true
}

func validStat(s string) bool {
	switch s {
	case "SampleCount", "Average", "Sum", "Minimum", "Maximum":
		return true
	}
	_, ok := percentileOf(s)
	return ok
}

// metricKey identifies one stored metric.
type metricKey struct {
	ns, name string
	dims     []dim
}

// read aggregates a metric's entries into periods of `period` seconds
// aligned to `start`, over [start, end), keeping only unit when given;
// values says whether the periods keep their distinct values (needed for
// percentiles only).
func read(tx storage.Tx, sc storage.Scope, m metricKey, unit string, start, end, period int64, values bool) (map[int64]*agg, error) {
	out := map[int64]*agg{}
	if unit == "None" {
		unit = ""
	}
	prefix := dataT.Key(sc, m.ns, m.name, dimsKey(m.dims))
	first := start - mod(start, 60) - 3600 // a rolled-up bucket may begin before start
	from := storage.AppendKey(prefix[:len(prefix):len(prefix)], stamp(first-1))
	var (
		b    bucket
		aggs []agg // allocated in chunks; out points into them
		ferr error
	)
	err := tx.Scan(prefix, storage.ScanOptions{Start: from, Exclusive: true}, func(k, v []byte) bool {
		parts, err := storage.SplitKey(k[len(prefix):])
		if err != nil || len(parts) != 1 {
			ferr = fmt.Errorf("cloudwatch: bad bucket key %x: %w", k, storage.ErrMalformedKey)
			return false
		}
		bt, ok := parseStamp([]byte(parts[0]))
		if !ok || bt >= end {
			return false
		}
		if err := decodeBucket(v, &b, values); err != nil {
			ferr = fmt.Errorf("cloudwatch: bucket %q: %w", k, err)
			return false
		}
		for i := range b.Entries {
			e := &b.Entries[i]
			if unit != "" && e.Unit != unit {
				continue
			}
			t := bt + e.S
			if t < start || t >= end {
				continue
			}
			p := start + (t-start)/period*period
			a := out[p]
			if a == nil {
				if len(aggs) == cap(aggs) {
					aggs = make([]agg, 0, 32)
				}
				aggs = append(aggs, agg{})
				a = &aggs[len(aggs)-1]
				out[p] = a
			}
			a.add(e, values)
		}
		return true
	})
	if err == nil {
		err = ferr
	}
	return out, err
}

// GetMetricStatistics answers the statistics of one metric.
func (c *CloudWatch) GetMetricStatistics(ctx *request.Context, in *cwapi.GetMetricStatisticsInput) (*cwapi.GetMetricStatisticsOutput, error) {
	if len(in.Statistics) == 0 && len(in.ExtendedStatistics) == 0 {
		return nil, errMissing.New("Must specify either Statistics or ExtendedStatistics.")
	}
	if len(in.Statistics) > 0 && len(in.ExtendedStatistics) > 0 {
		return nil, errCombination.New("Statistics and ExtendedStatistics are mutually exclusive; you specified both.")
	}
	for i, s := range in.ExtendedStatistics {
		if _, ok := percentileOf(s); !ok {
			return nil, invalidValue(s, fmt.Sprintf("ExtendedStatistics.member.%d", i+1))
		}
	}
	start, end, period := ptr.Deref(in.StartTime), ptr.Deref(in.EndTime), int64(ptr.Deref(in.Period))
	if !start.Before(end) {
		return nil, errInvalidValue.New("The parameter StartTime must be less than the parameter EndTime.")
	}
	now := ctx.Now()
	if err := checkPeriod(period, start, now, "Period"); err != nil {
		return nil, err
	}
	s, e := alignStart(start, period, now), end.Unix()
	if n := (e - s + period - 1) / period; n > maxDatapointsGMS {
		return nil, errCombination.New("You have requested up to %d datapoints, which exceeds the limit of %d. You may reduce the datapoints requested by increasing Period, or decreasing the time range.", n, maxDatapointsGMS)
	}
	m := metricKey{ns: ptr.Deref(in.Namespace), name: ptr.Deref(in.MetricName), dims: sortDims(in.Dimensions)}
	var aggs map[int64]*agg
	if err := c.store.View(func(tx storage.Tx) error {
		var err error
		aggs, err = read(tx, scope(ctx), m, ptr.Deref(in.Unit), s, e, period, len(in.ExtendedStatistics) > 0)
		return err
	}); err != nil {
		return nil, err
	}
	out := &cwapi.GetMetricStatisticsOutput{Label: ptr.To(m.name), Datapoints: []cwapi.Datapoint{}}
	// Map order: AWS documents that datapoints are not returned in
	// chronological order, and clients sort them themselves.
	for t, a := range aggs {
		dp := cwapi.Datapoint{Timestamp: ptr.To(time.Unix(t, 0).UTC()), Unit: ptr.To(a.unit())}
		if in.Unit != nil {
			dp.Unit = in.Unit
		}
		for _, st := range in.Statistics {
			v, _ := a.stat(st)
			switch st {
			case "SampleCount":
				dp.SampleCount = ptr.To(v)
			case "Average":
				dp.Average = ptr.To(v)
			case "Sum":
				dp.Sum = ptr.To(v)
			case "Minimum":
				dp.Minimum = ptr.To(v)
			case "Maximum":
				dp.Maximum = ptr.To(v)
			}
		}
		for _, st := range in.ExtendedStatistics {
			if v, ok := a.stat(st); ok {
				if dp.ExtendedStatistics == nil {
					dp.ExtendedStatistics = map[string]float64{}
				}
				dp.ExtendedStatistics[st] = v
			}
		}
		out.Datapoints = append(out.Datapoints, dp)
	}
	return out, nil
}

// checkPeriod applies AWS's period rules, which depend on how old the
// start time is (the resolution still kept for it).
func checkPeriod(period int64, start, now time.Time, param string) error {
	if period <= 0 {
		return invalidValue(period, param)
	}
	age := now.Sub(start)
	switch {
	case age <= keepSecondData:
		if period == 1 || period == 5 || period == 10 || period == 30 || period%60 == 0 {
			return nil
		}
		return errInvalidValue.New("The parameter %s must be 1, 5, 10, 30, or a multiple of 60.", param)
	case age <= keepMinuteData:
		if period%60 != 0 {
			return errInvalidValue.New("The parameter %s must be a multiple of 60 for data more than 3 hours old.", param)
		}
	case age <= keepFiveMinuteData:
		if period%300 != 0 {
			return errInvalidValue.New("The parameter %s must be a multiple of 300 for data more than 15 days old.", param)
		}
	default:
		if period%3600 != 0 {
			return errInvalidValue.New("The parameter %s must be a multiple of 3600 for data more than 63 days old.", param)
		}
	}
	return nil
}

// alignStart rounds the start time down as AWS does: to the second for
// sub-minute periods, the minute (data under 15 days old), 5 minutes (under
// 63 days) or the hour.
func alignStart(start time.Time, period int64, now time.Time) int64 {
	s := start.Unix()
	age := now.Sub(start)
	switch {
	case period < 60:
		return s - mod(s, period)
	case age <= keepMinuteData:
		return s - mod(s, 60)
	case age <= keepFiveMinuteData:
		return s - mod(s, 300)
	}
	return s - mod(s, 3600)
}

// ---- ListMetrics ----

const listMetricsPage = 500

// ListMetrics lists the metrics with data in the last two weeks.
func (c *CloudWatch) ListMetrics(ctx *request.Context, in *cwapi.ListMetricsInput) (*cwapi.ListMetricsOutput, error) {
	if ra := ptr.Deref(in.RecentlyActive); in.RecentlyActive != nil && ra != "PT3H" {
		return nil, invalidValue(ra, "RecentlyActive")
	}
	var after []string
	if tok := ptr.Deref(in.NextToken); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil || json.Unmarshal(raw, &after) != nil || len(after) != 3 {
			return nil, errNextToken.New("The service returned an invalid NextToken.")
		}
	}
	now := ctx.Now().Unix()
	cutoff := now - int64(pastWindow/time.Second)
	if in.RecentlyActive != nil {
		cutoff = now - 3*3600
	}
	var prefix []string
	partial := ""
	if ns := ptr.Deref(in.Namespace); ns != "" {
		prefix = []string{ns}
		if n := ptr.Deref(in.MetricName); n != "" {
			prefix = append(prefix, n)
		}
	}
	out := &cwapi.ListMetricsOutput{Metrics: []cwapi.Metric{}}
	var last []string
	err := c.store.View(func(tx storage.Tx) error {
		return metricsT.List(tx, scope(ctx), prefix, storage.ListOptions{After: after, Partial: partial}, func(k []string, m metricRecord) bool {
			if m.Last < cutoff || !metricMatches(m, in) {
				return true
			}
			if len(out.Metrics) == listMetricsPage {
				return false
			}
			out.Metrics = append(out.Metrics, cwapi.Metric{Namespace: ptr.To(m.Namespace), MetricName: ptr.To(m.Name), Dimensions: apiDims(m.Dimensions)})
			last = k
			if in.IncludeLinkedAccounts != nil && *in.IncludeLinkedAccounts {
				out.OwningAccounts = append(out.OwningAccounts, ctx.Account)
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	if len(out.Metrics) == listMetricsPage && last != nil {
		raw, _ := json.Marshal(last)
		out.NextToken = ptr.To(base64.RawURLEncoding.EncodeToString(raw))
	}
	return out, nil
}

func metricMatches(m metricRecord, in *cwapi.ListMetricsInput) bool {
	if n := ptr.Deref(in.MetricName); n != "" && m.Name != n {
		return false
	}
	for _, f := range in.Dimensions {
		found := false
		for _, d := range m.Dimensions {
			if d.N == ptr.Deref(f.Name) && (f.Value == nil || d.V == *f.Value) {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// ---- retention ----

// prune rolls a scope's data up as it ages (1-second data into its
// minute after 3 hours, minutes into 5 minutes after 15 days, those into
// hours after 63 days) and deletes it after 455 days, once per hour of
// the clock per scope.
func (c *CloudWatch) prune(sc storage.Scope, now time.Time) error {
	return c.store.Update(func(tx storage.Tx) error {
		mark, ok, err := pruneMarks.Get(tx, sc)
		if err != nil || (ok && now.Unix()-mark < 3600) {
			return err
		}
		if err := pruneMarks.Put(tx, sc, now.Unix()); err != nil {
			return err
		}
		type kb struct {
			k []string
			b bucket
		}
		var all []kb
		if err := dataT.List(tx, sc, nil, storage.ListOptions{}, func(k []string, b bucket) bool {
			all = append(all, kb{k, b})
			return true
		}); err != nil {
			return err
		}
		n := now.Unix()
		for _, x := range all {
			bt, err := strconv.ParseInt(x.k[3], 10, 64)
			if err != nil {
				continue
			}
			age := time.Duration(n-bt) * time.Second
			target, res := bt, x.b.Res
			switch {
			case age > keepHourData:
				if err := dataT.Delete(tx, sc, x.k...); err != nil {
					return err
				}
				continue
			case age > keepFiveMinuteData:
				target, res = bt-mod(bt, 3600), 3600
			case age > keepMinuteData:
				target, res = bt-mod(bt, 300), 300
			case age > keepSecondData:
				// collapse seconds below
			default:
				continue
			}
			collapsed := bucket{Res: res}
			for _, e := range x.b.Entries {
				e.S = 0
				collapsed.add(e)
			}
			if target == bt && res == x.b.Res && len(collapsed.Entries) == len(x.b.Entries) {
				hasSeconds := false
				for _, e := range x.b.Entries {
					hasSeconds = hasSeconds || e.S != 0
				}
				if !hasSeconds {
					continue
				}
			}
			if err := dataT.Delete(tx, sc, x.k...); err != nil {
				return err
			}
			dst, _, err := dataT.Get(tx, sc, x.k[0], x.k[1], x.k[2], stamp(target))
			if err != nil {
				return err
			}
			if dst.Res < res {
				dst.Res = res
			}
			for _, e := range collapsed.Entries {
				dst.add(e)
			}
			if err := dataT.Put(tx, sc, dst, x.k[0], x.k[1], x.k[2], stamp(target)); err != nil {
				return err
			}
		}
		var dead [][]string
		if err := metricsT.List(tx, sc, nil, storage.ListOptions{}, func(k []string, m metricRecord) bool {
			if time.Duration(n-m.Last)*time.Second > keepHourData {
				dead = append(dead, k)
			}
			return true
		}); err != nil {
			return err
		}
		// Alarm history is kept 30 days.
		cut := now.Add(-historyRetention)
		if err := historyT.List(tx, sc, nil, storage.ListOptions{}, func(k []string, h historyRecord) bool {
			if !h.Time.Before(cut) {
				return false
			}
			dead = append(dead, append([]string{"history"}, k...))
			return true
		}); err != nil {
			return err
		}
		for _, k := range dead {
			var err error
			if k[0] == "history" {
				err = historyT.Delete(tx, sc, k[1:]...)
			} else {
				err = metricsT.Delete(tx, sc, k...)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

var pruneMarks = storage.NewTable[int64]("prune")
