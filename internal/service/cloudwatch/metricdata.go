package cloudwatch

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	cwapi "github.com/niwa-cloud/niwa/internal/api/cloudwatch"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

const (
	maxQueries          = 500
	defaultMaxDataponts = 100800
	// maxSearchResults is how many series one SEARCH returns at most
	// (AWS: 500 per SEARCH).
	maxSearchResults = 500
)

var queryID = lazyre.New(`^[a-z][a-zA-Z0-9_]*$`)

// checkQueries validates MetricDataQueries (of GetMetricData, or an
// alarm's Metrics with param "Metrics") and returns the parsed
// expressions by index.
func checkQueries(qs []cwapi.MetricDataQuery, param string, now time.Time, start time.Time) (map[int]*node, error) {
	if len(qs) > maxQueries {
		return nil, errInvalidValue.New("The collection %s must not have a size greater than %d.", param, maxQueries)
	}
	exprs := map[int]*node{}
	ids := map[string]bool{}
	returned := 0
	for i, q := range qs {
		p := fmt.Sprintf("%s.member.%d", param, i+1)
		id := ptr.Deref(q.Id)
		if !queryID.MatchString(id) {
			return nil, errInvalidValue.New("The value %s for parameter %s.Id is invalid. Id must start with a lowercase letter and contain only letters, numbers and underscores.", id, p)
		}
		if ids[id] {
			return nil, errInvalidValue.New("The value %s for parameter %s.Id is not unique.", id, p)
		}
		ids[id] = true
		if (q.MetricStat == nil) == (q.Expression == nil) {
			return nil, errCombination.New("Exactly one element of the %s.MetricStat and %s.Expression must be specified.", p, p)
		}
		if q.ReturnData == nil || *q.ReturnData {
			returned++
		}
		if ms := q.MetricStat; ms != nil {
			if ms.Metric == nil || ptr.Deref(ms.Metric.MetricName) == "" {
				return nil, errMissing.New("The parameter %s.MetricStat.Metric.MetricName is required.", p)
			}
			if !validStat(ptr.Deref(ms.Stat)) {
				return nil, invalidValue(ptr.Deref(ms.Stat), p+".MetricStat.Stat")
			}
			if err := checkPeriod(int64(ptr.Deref(ms.Period)), start, now, p+".MetricStat.Period"); err != nil {
				return nil, err
			}
			continue
		}
		n, err := parseExpr(*q.Expression)
		if err != nil {
			return nil, errInvalidValue.New("Error in expression '%s': %v", id, err)
		}
		exprs[i] = n
	}
	if returned == 0 && param == "MetricDataQueries" {
		return nil, errInvalidValue.New("At least one MetricDataQuery must have ReturnData set to true.")
	}
	return exprs, nil
}

// queryRun evaluates a request's queries over [start, end).
type queryRun struct {
	tx         storage.Tx
	sc         storage.Scope
	qs         []cwapi.MetricDataQuery
	exprs      map[int]*node
	start, end int64
	now        time.Time
	memo       map[string]value
	busy       map[string]bool
}

func (r *queryRun) defaultPeriod() int64 {
	for _, q := range r.qs {
		if q.Period != nil && *q.Period > 0 {
			return int64(*q.Period)
		}
		if q.MetricStat != nil {
			return int64(ptr.Deref(q.MetricStat.Period))
		}
	}
	return 60
}

func (r *queryRun) value(i int) (value, error) {
	q := r.qs[i]
	id := ptr.Deref(q.Id)
	if v, ok := r.memo[id]; ok {
		return v, nil
	}
	if r.busy[id] {
		return value{}, fmt.Errorf("circular reference to '%s'", id)
	}
	r.busy[id] = true
	defer delete(r.busy, id)
	var v value
	if ms := q.MetricStat; ms != nil {
		s, err := r.metricSeries(ms)
		if err != nil {
			return value{}, err
		}
		if q.Label != nil {
			s.label = *q.Label
		}
		v = value{arr: []*series{s}}
	} else {
		period := r.defaultPeriod()
		if q.Period != nil && *q.Period > 0 {
			period = int64(*q.Period)
		}
		env := &evalEnv{start: r.start, end: r.end, now: r.now, period: period, ref: r.ref, metrics: r.metrics, search: r.search}
		var err error
		v, err = env.eval(r.exprs[i])
		if err != nil {
			return value{}, err
		}
		if v.isScalar {
			// A scalar result is drawn as a constant line over the range.
			s := &series{period: period, pts: map[int64]float64{}}
			for _, t := range env.grid(period) {
				s.pts[t] = v.scalar
			}
			v = value{arr: []*series{s}}
		}
		// SEARCH and METRICS results keep their series' labels; any
		// other expression is labelled by its id.
		top := r.exprs[i]
		keep := top.op == "call" && (top.str == "SEARCH" || top.str == "METRICS" || top.str == "ANOMALY_DETECTION_BAND")
		for _, s := range v.arr {
			if (!keep && len(v.arr) == 1) || s.label == "" {
				s.label = id
			}
			if q.Label != nil {
				s.label = *q.Label
			}
		}
	}
	r.memo[id] = v
	return v, nil
}

func (r *queryRun) ref(id string) (value, error) {
	for i, q := range r.qs {
		if ptr.Deref(q.Id) == id {
			return r.value(i)
		}
	}
	return value{}, fmt.Errorf("unrecognized metric or expression id '%s'", id)
}

func (r *queryRun) metrics() ([]*series, error) {
	var out []*series
	for i, q := range r.qs {
		if q.MetricStat == nil {
			continue
		}
		v, err := r.value(i)
		if err != nil {
			return nil, err
		}
		out = append(out, v.arr...)
	}
	return out, nil
}

func (r *queryRun) metricSeries(ms *cwapi.MetricStat) (*series, error) {
	m := metricKey{ns: ptr.Deref(ms.Metric.Namespace), name: ptr.Deref(ms.Metric.MetricName), dims: sortDims(ms.Metric.Dimensions)}
	return r.statSeries(m, ptr.Deref(ms.Stat), ptr.Deref(ms.Unit), int64(ptr.Deref(ms.Period)), m.name)
}

func (r *queryRun) statSeries(m metricKey, stat, unit string, period int64, label string) (*series, error) {
	start := alignStart(time.Unix(r.start, 0), period, r.now)
	_, pct := percentileOf(stat)
	aggs, err := read(r.tx, r.sc, m, unit, start, r.end, period, pct)
	if err != nil {
		return nil, err
	}
	s := &series{label: label, period: period, pts: map[int64]float64{}}
	for t, a := range aggs {
		if v, ok := a.stat(stat); ok {
			s.pts[t] = v
		}
	}
	return s, nil
}

func (r *queryRun) search(expr, stat string, period int64) ([]*series, error) {
	q, err := parseSearch(expr)
	if err != nil {
		return nil, err
	}
	var ms []metricRecord
	cutoff := r.now.Unix() - int64(pastWindow/time.Second)
	prefix := []string(nil)
	if q.schema != nil {
		prefix = []string{q.schema[0]}
	}
	if err := metricsT.List(r.tx, r.sc, prefix, storage.ListOptions{}, func(_ []string, m metricRecord) bool {
		if m.Last >= cutoff && q.matches(m) {
			ms = append(ms, m)
		}
		return len(ms) < maxSearchResults
	}); err != nil {
		return nil, err
	}
	out := make([]*series, 0, len(ms))
	for _, m := range ms {
		label := m.Name
		if len(m.Dimensions) > 0 {
			vals := make([]string, len(m.Dimensions))
			for i, d := range m.Dimensions {
				vals[i] = d.V
			}
			label = strings.Join(vals, " ") + " " + m.Name
		}
		s, err := r.statSeries(metricKey{ns: m.Namespace, name: m.Name, dims: m.Dimensions}, stat, "", period, label)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

type mdToken struct {
	Offset int   `json:"o"`
	Start  int64 `json:"s"`
	End    int64 `json:"e"`
}

// GetMetricData evaluates metric queries and math expressions.
func (c *CloudWatch) GetMetricData(ctx *request.Context, in *cwapi.GetMetricDataInput) (*cwapi.GetMetricDataOutput, error) {
	start, end := ptr.Deref(in.StartTime), ptr.Deref(in.EndTime)
	if !start.Before(end) {
		return nil, errInvalidValue.New("The parameter StartTime must be less than the parameter EndTime.")
	}
	now := ctx.Now()
	exprs, err := checkQueries(in.MetricDataQueries, "MetricDataQueries", now, start)
	if err != nil {
		return nil, err
	}
	maxPoints := defaultMaxDataponts
	if in.MaxDatapoints != nil {
		if *in.MaxDatapoints <= 0 {
			return nil, invalidValue(*in.MaxDatapoints, "MaxDatapoints")
		}
		maxPoints = int(*in.MaxDatapoints)
	}
	offset := 0
	if tok := ptr.Deref(in.NextToken); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		var t mdToken
		if err != nil || json.Unmarshal(raw, &t) != nil || t.Offset < 0 || t.Start != start.Unix() || t.End != end.Unix() {
			return nil, errNextToken.New("The service returned an invalid NextToken.")
		}
		offset = t.Offset
	}
	ascending := ptr.Deref(in.ScanBy) == "TimestampAscending"
	type res struct {
		id, label string
		ts        []int64
		vals      []float64
	}
	var results []res
	err = c.store.View(func(tx storage.Tx) error {
		run := &queryRun{tx: tx, sc: scope(ctx), qs: in.MetricDataQueries, exprs: exprs, start: start.Unix(), end: end.Unix(), now: now, memo: map[string]value{}, busy: map[string]bool{}}
		for i, q := range in.MetricDataQueries {
			if q.ReturnData != nil && !*q.ReturnData {
				continue
			}
			v, err := run.value(i)
			if err != nil {
				return errInvalidValue.New("Error in expression '%s': %v", ptr.Deref(q.Id), err)
			}
			for _, s := range v.arr {
				r := res{id: ptr.Deref(q.Id), label: s.label}
				for t := range s.pts {
					if t >= run.start-s.period && t < run.end {
						r.ts = append(r.ts, t)
					}
				}
				sort.Slice(r.ts, func(a, b int) bool {
					if ascending {
						return r.ts[a] < r.ts[b]
					}
					return r.ts[a] > r.ts[b]
				})
				for _, t := range r.ts {
					r.vals = append(r.vals, s.pts[t])
				}
				results = append(results, r)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := &cwapi.GetMetricDataOutput{MetricDataResults: []cwapi.MetricDataResult{}, Messages: []cwapi.MessageData{}}
	// The page is the window [offset, offset+maxPoints) of all the
	// results' points laid end to end.
	winEnd, pos, total := offset+maxPoints, 0, 0
	for _, r := range results {
		total += len(r.ts)
	}
	more := total > winEnd
	for _, r := range results {
		n := len(r.ts)
		lo, hi := max(offset, pos), min(winEnd, pos+n)
		first := pos
		pos += n
		if hi <= lo && !(offset == 0 && n == 0) {
			continue
		}
		mr := cwapi.MetricDataResult{Id: ptr.To(r.id), Label: ptr.To(r.label), Timestamps: []time.Time{}, Values: []float64{}, StatusCode: ptr.To("Complete")}
		for i := lo; i < hi; i++ {
			mr.Timestamps = append(mr.Timestamps, time.Unix(r.ts[i-first], 0).UTC())
			mr.Values = append(mr.Values, r.vals[i-first])
		}
		if first+n > winEnd {
			mr.StatusCode = ptr.To("PartialData")
		}
		out.MetricDataResults = append(out.MetricDataResults, mr)
	}
	if more {
		raw, _ := json.Marshal(mdToken{Offset: winEnd, Start: start.Unix(), End: end.Unix()})
		out.NextToken = ptr.To(base64.RawURLEncoding.EncodeToString(raw))
	}
	return out, nil
}
