package cloudwatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	cwapi "github.com/niwa-cloud/niwa/internal/api/cloudwatch"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Alarm evaluation. Every minute each metric alarm reads its last
// EvaluationPeriods complete periods (periods aligned to the period,
// ending at the last boundary at or before now), compares each datapoint
// with the threshold, applies TreatMissingData and DatapointsToAlarm (M
// of N), and changes state when the outcome differs; composite alarms
// then evaluate their rules on the new states. A change writes history,
// runs the new state's actions and publishes "CloudWatch Alarm State
// Change" to EventBridge.

// firing is a state change whose actions run after its transaction.
type firing struct {
	alarm         alarmRecord
	old, new      stateInfo
	actions       []string
	actionEnabled bool
}

type stateInfo struct {
	Value      string `json:"value"`
	Reason     string `json:"reason"`
	ReasonData string `json:"reasonData,omitempty"`
	Timestamp  string `json:"timestamp"`
}

// awsTime is the timestamp format of alarm messages and history.
func awsTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000-0700") }

func (c *CloudWatch) evaluateScope(sc storage.Scope, now time.Time) error {
	var fired []firing
	err := c.store.Update(func(tx storage.Tx) error {
		var all []alarmRecord
		if err := alarmsT.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, a alarmRecord) bool {
			all = append(all, a)
			return true
		}); err != nil {
			return err
		}
		states := map[string]string{}
		for i := range all {
			a := &all[i]
			if a.Metric != nil {
				st, reason, data, ok := c.evaluateMetric(tx, sc, a.Metric, now)
				if ok {
					f, err := c.transition(tx, sc, a, st, reason, data, now, false)
					if err != nil {
						return err
					}
					if f != nil {
						fired = append(fired, *f)
					}
				}
			}
			states[a.name()] = a.state()
		}
		for i := range all {
			a := &all[i]
			if a.Composite == nil {
				continue
			}
			rule, err := parseAlarmRule(ptr.Deref(a.Composite.AlarmRule))
			if err != nil {
				continue
			}
			var triggering []map[string]string
			result := rule.eval(func(ref string) string {
				n := refName(ref)
				st, ok := states[n]
				if !ok {
					return ""
				}
				if st == "ALARM" {
					triggering = append(triggering, map[string]string{"arn": alarmARN(sc, n), "state": st})
				}
				return st
			})
			st := "OK"
			if result {
				st = "ALARM"
			}
			reason := ""
			data := ""
			if result {
				names := make([]string, 0, len(triggering))
				for _, t := range triggering {
					names = append(names, t["arn"])
				}
				reason = "arn:aws:cloudwatch alarm rule evaluated to TRUE: " + strings.Join(names, ", ")
				if len(names) == 0 {
					reason = "Alarm rule evaluated to TRUE"
				}
				b, _ := json.Marshal(map[string]any{"triggeringAlarms": triggering})
				data = string(b)
			} else {
				reason = "Alarm rule evaluated to FALSE"
			}
			f, err := c.transition(tx, sc, a, st, reason, data, now, false)
			if err != nil {
				return err
			}
			if f != nil {
				fired = append(fired, *f)
			}
			states[a.name()] = a.state()
		}
		return nil
	})
	if err != nil {
		return err
	}
	c.act(sc, fired)
	return nil
}

// evaluateMetric computes a metric alarm's state at now; ok false keeps
// the current state (TreatMissingData ignore with nothing to evaluate).
func (c *CloudWatch) evaluateMetric(tx storage.Tx, sc storage.Scope, m *cwapi.MetricAlarm, now time.Time) (state, reason, data string, ok bool) {
	period := int64(ptr.Deref(m.Period))
	if len(m.Metrics) > 0 {
		for _, q := range m.Metrics {
			if q.MetricStat != nil {
				period = int64(ptr.Deref(q.MetricStat.Period))
			} else if q.Period != nil {
				period = int64(*q.Period)
			}
		}
	}
	if period <= 0 {
		return "", "", "", false
	}
	n := int64(ptr.Deref(m.EvaluationPeriods))
	end := now.Unix() - mod(now.Unix(), period)
	start := end - n*period
	vals := map[int64]float64{}
	var lower, upper map[int64]float64
	statName := ptr.Deref(m.Statistic)
	if m.ExtendedStatistic != nil {
		statName = *m.ExtendedStatistic
	}
	if len(m.Metrics) == 0 {
		mk := metricKey{ns: ptr.Deref(m.Namespace), name: ptr.Deref(m.MetricName), dims: sortDims(m.Dimensions)}
		_, pct := percentileOf(statName)
		aggs, err := read(tx, sc, mk, ptr.Deref(m.Unit), start, end, period, pct)
		if err != nil {
			c.log.Error("cloudwatch alarm read", "alarm", ptr.Deref(m.AlarmName), "error", err)
			return "", "", "", false
		}
		for t, a := range aggs {
			if v, ok := a.stat(statName); ok {
				vals[t] = v
			}
		}
	} else {
		exprs, err := checkQueries(m.Metrics, "Metrics", now, time.Unix(start, 0))
		if err != nil {
			return "", "", "", false
		}
		// The queries read at least the last 3 hours: an anomaly band
		// needs history beyond the evaluated periods (only those are
		// compared below).
		runStart := min(start, end-(3*3600+period-1)/period*period)
		run := &queryRun{tx: tx, sc: sc, qs: m.Metrics, exprs: exprs, start: runStart, end: end, now: now, memo: map[string]value{}, busy: map[string]bool{}}
		for i, q := range m.Metrics {
			id := ptr.Deref(q.Id)
			if id == ptr.Deref(m.ThresholdMetricId) {
				v, err := run.value(i)
				if err == nil && len(v.arr) >= 1 {
					// An anomaly band's lower and upper bounds; one series
					// is both.
					lower, upper = v.arr[0].pts, v.arr[len(v.arr)-1].pts
				}
				continue
			}
			if q.ReturnData != nil && !*q.ReturnData {
				continue
			}
			v, err := run.value(i)
			if err != nil || len(v.arr) == 0 {
				continue
			}
			for t, x := range v.arr[0].pts {
				vals[t] = x
			}
		}
	}
	threshold := ptr.Deref(m.Threshold)
	op := ptr.Deref(m.ComparisonOperator)
	breaches := func(t int64, v float64) bool {
		switch op {
		case "GreaterThanOrEqualToThreshold":
			return v >= threshold
		case "GreaterThanThreshold":
			return v > threshold
		case "LessThanThreshold":
			return v < threshold
		case "LessThanOrEqualToThreshold":
			return v <= threshold
		}
		lo, hasLo := lower[t]
		hi, hasHi := upper[t]
		switch op {
		case "LessThanLowerThreshold":
			return hasLo && v < lo
		case "GreaterThanUpperThreshold":
			return hasHi && v > hi
		}
		return (hasLo && v < lo) || (hasHi && v > hi)
	}
	need := int64(ptr.Deref(m.DatapointsToAlarm))
	if need == 0 {
		need = n
	}
	tmd := ptr.Deref(m.TreatMissingData)
	var present, breaching, missing int64
	var recent []float64
	type evaluated struct {
		Timestamp   string   `json:"timestamp"`
		SampleCount *float64 `json:"sampleCount,omitempty"`
		Value       *float64 `json:"value,omitempty"`
	}
	var evals []evaluated
	for t := end - period; t >= start; t -= period {
		v, has := vals[t]
		if !has {
			missing++
			switch tmd {
			case "breaching":
				breaching++
			}
			continue
		}
		present++
		recent = append(recent, v)
		evals = append(evals, evaluated{Timestamp: awsTime(time.Unix(t, 0)), Value: ptr.To(v)})
		if breaches(t, v) {
			breaching++
		}
	}
	if present == 0 {
		switch tmd {
		case "ignore":
			return "", "", "", false
		case "missing", "":
			return "INSUFFICIENT_DATA", fmt.Sprintf("Insufficient Data: %d datapoint%s %s unknown.", n, plural(n), wasWere(n)), c.reasonData(m, now, start, statName, period, threshold, recent, nil), true
		}
	}
	state = "OK"
	if breaching >= need {
		state = "ALARM"
	}
	relation := strings.TrimSuffix(opWords[op], " the threshold")
	considered := present
	if tmd == "breaching" || tmd == "notBreaching" {
		considered = n
	}
	pts := make([]string, 0, len(recent))
	for i, v := range recent {
		pts = append(pts, fmt.Sprintf("%s (%s)", formatNum(v), evalsTime(evals[i].Timestamp)))
	}
	count := breaching
	transition := "OK -> ALARM"
	not := ""
	if state == "OK" {
		count = considered - breaching
		transition = "ALARM -> OK"
		not = "not "
	}
	if ptr.Deref(m.ThresholdMetricId) != "" {
		reason = fmt.Sprintf("Thresholds Crossed: %d out of the last %d datapoints [%s] was %s%s (minimum %d datapoint%s for %s transition).",
			count, considered, strings.Join(pts, ", "), not, opWords[op], need, plural(need), transition)
	} else {
		reason = fmt.Sprintf("Threshold Crossed: %d out of the last %d datapoints [%s] was %s%s the threshold (%s) (minimum %d datapoint%s for %s transition).",
			count, considered, strings.Join(pts, ", "), not, relation, formatNum(threshold), need, plural(need), transition)
	}
	ed := make([]map[string]any, 0, len(evals))
	for _, e := range evals {
		ed = append(ed, map[string]any{"timestamp": e.Timestamp, "value": *e.Value})
	}
	return state, reason, c.reasonData(m, now, start, statName, period, threshold, recent, ed), true
}

// evalsTime renders a datapoint time as AWS's reasons do (dd/MM/yy HH:mm:ss).
func evalsTime(ts string) string {
	t, err := time.Parse("2006-01-02T15:04:05.000-0700", ts)
	if err != nil {
		return ts
	}
	return t.UTC().Format("02/01/06 15:04:05")
}

var opWords = map[string]string{
	"GreaterThanOrEqualToThreshold":            "greater than or equal to the threshold",
	"GreaterThanThreshold":                     "greater than the threshold",
	"LessThanThreshold":                        "less than the threshold",
	"LessThanOrEqualToThreshold":               "less than or equal to the threshold",
	"LessThanLowerOrGreaterThanUpperThreshold": "outside the threshold",
	"LessThanLowerThreshold":                   "less than the lower threshold",
	"GreaterThanUpperThreshold":                "greater than the upper threshold",
}

func plural(n int64) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func wasWere(n int64) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

func formatNum(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func (c *CloudWatch) reasonData(m *cwapi.MetricAlarm, now time.Time, start int64, stat string, period int64, threshold float64, recent []float64, evaluated []map[string]any) string {
	d := map[string]any{
		"version":          "1.0",
		"queryDate":        awsTime(now),
		"startDate":        awsTime(time.Unix(start, 0)),
		"period":           period,
		"recentDatapoints": nonNilF(recent),
		"threshold":        threshold,
	}
	if m.Statistic != nil {
		d["statistic"] = stat
	} else if m.ExtendedStatistic != nil {
		d["extendedStatistic"] = stat
	}
	if m.Unit != nil {
		d["unit"] = *m.Unit
	}
	if evaluated != nil {
		d["evaluatedDatapoints"] = evaluated
	}
	b, _ := json.Marshal(d)
	return string(b)
}

func nonNilF(v []float64) []float64 {
	if v == nil {
		return []float64{}
	}
	return v
}

// transition moves alarm a to state when it differs (or always when
// forced by SetAlarmState), writing it and its history in tx, and returns
// what to fire.
func (c *CloudWatch) transition(tx storage.Tx, sc storage.Scope, a *alarmRecord, state, reason, data string, now time.Time, force bool) (*firing, error) {
	old := a.state()
	var sv, sr, srd **string
	var su, st **time.Time
	if a.Metric != nil {
		sv, sr, srd, su, st = &a.Metric.StateValue, &a.Metric.StateReason, &a.Metric.StateReasonData, &a.Metric.StateUpdatedTimestamp, &a.Metric.StateTransitionedTimestamp
	} else {
		sv, sr, srd, su, st = &a.Composite.StateValue, &a.Composite.StateReason, &a.Composite.StateReasonData, &a.Composite.StateUpdatedTimestamp, &a.Composite.StateTransitionedTimestamp
	}
	if old == state && !force {
		return nil, nil
	}
	oldInfo := stateInfo{Value: old, Reason: ptr.Deref(*sr), ReasonData: ptr.Deref(*srd), Timestamp: awsTime(ptr.Deref(*su))}
	*sv, *sr = ptr.To(state), ptr.To(reason)
	*srd = nil
	if data != "" {
		*srd = ptr.To(data)
	}
	*su = ptr.To(now)
	if old != state {
		*st = ptr.To(now)
	}
	if err := alarmsT.Put(tx, sc, *a, a.name()); err != nil {
		return nil, err
	}
	newInfo := stateInfo{Value: state, Reason: reason, ReasonData: data, Timestamp: awsTime(now)}
	hd, _ := json.Marshal(map[string]any{"version": "1.0", "oldState": historyState(oldInfo), "newState": historyState(newInfo)})
	if err := c.addHistory(tx, sc, historyRecord{AlarmName: a.name(), AlarmType: a.kind(), Time: now, Type: "StateUpdate",
		Summary: fmt.Sprintf("Alarm updated from %s to %s", old, state), Data: string(hd)}); err != nil {
		return nil, err
	}
	enabled, ok, alarm, insufficient := a.actions()
	f := &firing{alarm: *a, old: oldInfo, new: newInfo, actionEnabled: enabled}
	switch state {
	case "OK":
		f.actions = ok
	case "ALARM":
		f.actions = alarm
	default:
		f.actions = insufficient
	}
	return f, nil
}

func historyState(s stateInfo) map[string]any {
	m := map[string]any{"stateValue": s.Value, "stateReason": s.Reason}
	if s.ReasonData != "" {
		var d any
		if json.Unmarshal([]byte(s.ReasonData), &d) == nil {
			m["stateReasonData"] = d
		}
	}
	return m
}

// act runs the actions of state changes (after their transaction
// committed), publishes their EventBridge events and records Action
// history.
func (c *CloudWatch) act(sc storage.Scope, fired []firing) {
	for _, f := range fired {
		arn := alarmARN(sc, f.alarm.name())
		if c.bus != nil {
			detail, _ := json.Marshal(map[string]any{
				"alarmName": f.alarm.name(), "state": f.new, "previousState": f.old, "configuration": eventConfig(f.alarm),
			})
			c.bus.Publish(events.Event{ID: awsid.UUID(), Source: "aws.cloudwatch", DetailType: "CloudWatch Alarm State Change",
				Account: sc.Account, Region: sc.Region, Time: c.clock.Now().UTC().Truncate(time.Second), Resources: []string{arn}, Detail: detail})
		}
		if !f.actionEnabled {
			continue
		}
		for _, target := range f.actions {
			summary, err := c.runAction(sc, f, target)
			typ := "Action"
			data := map[string]any{"actionState": "Succeeded", "notificationResource": target, "stateUpdateTimestamp": f.new.Timestamp}
			if err != nil {
				summary = fmt.Sprintf("Failed to execute action %s. Received error: \"%v\"", target, err)
				data["actionState"] = "Failed"
				data["error"] = err.Error()
				c.log.Warn("cloudwatch alarm action", "alarm", arn, "action", target, "error", err)
			}
			hd, _ := json.Marshal(data)
			if err := c.store.Update(func(tx storage.Tx) error {
				return c.addHistory(tx, sc, historyRecord{AlarmName: f.alarm.name(), AlarmType: f.alarm.kind(), Time: c.clock.Now(), Type: typ, Summary: summary, Data: string(hd)})
			}); err != nil {
				c.log.Error("cloudwatch alarm history", "alarm", arn, "error", err)
			}
		}
	}
}

// errNoEC2 explains why an EC2 action did nothing.
var errNoEC2 = errors.New("EC2 alarm actions are not handled by niwa's EC2 (no handler for the automate namespace on the bus)")

func (c *CloudWatch) runAction(sc storage.Scope, f firing, target string) (string, error) {
	if c.bus == nil {
		return "", errors.New("no event bus")
	}
	ctx := context.Background()
	arn := alarmARN(sc, f.alarm.name())
	switch events.ARNService(target) {
	case "sns":
		body, _ := json.Marshal(snsMessage(sc, f))
		err := c.bus.Deliver(ctx, events.Message{TargetARN: target, Body: string(body), SourceService: "cloudwatch.amazonaws.com",
			SourceARN: arn, SourceAccount: sc.Account, Subject: alarmSubject(sc, f)})
		return "Successfully executed action " + target, err
	case "lambda":
		body, _ := json.Marshal(lambdaEvent(sc, f, c.clock.Now()))
		err := c.bus.Deliver(ctx, events.Message{TargetARN: target, Body: string(body), SourceService: "lambda.alarms.cloudwatch.amazonaws.com",
			SourceARN: arn, SourceAccount: sc.Account})
		return "Successfully executed action " + target, err
	case "automate", "swf":
		// EC2 actions go to EC2 through the bus (the server wires a
		// handler for the automate and swf namespaces); the instance is
		// the alarm's InstanceId dimension.
		instance := ""
		if m := f.alarm.Metric; m != nil {
			for _, d := range m.Dimensions {
				if ptr.Deref(d.Name) == "InstanceId" {
					instance = ptr.Deref(d.Value)
				}
			}
		}
		if instance == "" {
			return "", errors.New("the alarm has no InstanceId dimension for the EC2 action")
		}
		body, _ := json.Marshal(EC2Action{Action: ec2ActionOf(target), InstanceID: instance, AlarmARN: arn})
		err := c.bus.Deliver(ctx, events.Message{TargetARN: target, Body: string(body), SourceService: "cloudwatch.amazonaws.com", SourceARN: arn, SourceAccount: sc.Account})
		if errors.Is(err, events.ErrNoHandler) {
			err = errNoEC2
		}
		return "Successfully executed action " + target, err
	}
	return "", fmt.Errorf("niwa does not run %s actions", events.ARNService(target))
}

// EC2Action is the body of an EC2 alarm action on the bus: Action is
// stop, terminate, reboot or recover.
type EC2Action struct {
	Action     string `json:"action"`
	InstanceID string `json:"instanceId"`
	AlarmARN   string `json:"alarmArn"`
}

// ec2ActionOf reads the action of an automate ARN (…:ec2:stop) or of the
// older swf form (…:action/actions/AWS_EC2.InstanceId.Stop/1.0).
func ec2ActionOf(target string) string {
	if m := swfARN.FindStringSubmatch(target); m != nil {
		return strings.ToLower(m[3])
	}
	return target[strings.LastIndexByte(target, ':')+1:]
}

// alarmSubject is the Subject of an alarm's SNS notification, at most
// the 100 characters SNS allows.
func alarmSubject(sc storage.Scope, f firing) string {
	s := fmt.Sprintf("%s: %q in %s", f.new.Value, f.alarm.name(), regionName(sc.Region))
	if len(s) > 100 {
		s = s[:100]
	}
	return s
}

// regionNames are the region names alarm notifications carry.
var regionNames = map[string]string{
	"us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)", "us-west-1": "US West (N. California)",
	"us-west-2": "US West (Oregon)", "eu-west-1": "EU (Ireland)", "eu-west-2": "EU (London)", "eu-west-3": "EU (Paris)",
	"eu-central-1": "EU (Frankfurt)", "eu-north-1": "EU (Stockholm)", "ap-northeast-1": "Asia Pacific (Tokyo)",
	"ap-northeast-2": "Asia Pacific (Seoul)", "ap-southeast-1": "Asia Pacific (Singapore)", "ap-southeast-2": "Asia Pacific (Sydney)",
	"ap-south-1": "Asia Pacific (Mumbai)", "ca-central-1": "Canada (Central)", "sa-east-1": "South America (Sao Paulo)",
}

func regionName(r string) string {
	if n, ok := regionNames[r]; ok {
		return n
	}
	return r
}

// snsMessage is the JSON message CloudWatch publishes to SNS topics.
func snsMessage(sc storage.Scope, f firing) map[string]any {
	a := f.alarm
	msg := map[string]any{
		"AlarmName": a.name(), "AWSAccountId": sc.Account, "NewStateValue": f.new.Value, "NewStateReason": f.new.Reason,
		"StateChangeTime": f.new.Timestamp, "Region": regionName(sc.Region), "AlarmArn": alarmARN(sc, a.name()), "OldStateValue": f.old.Value,
	}
	enabledOK, ok, alarm, insufficient := a.actions()
	_ = enabledOK
	msg["OKActions"], msg["AlarmActions"], msg["InsufficientDataActions"] = ok, alarm, insufficient
	if m := a.Metric; m != nil {
		msg["AlarmDescription"] = m.AlarmDescription
		msg["AlarmConfigurationUpdatedTimestamp"] = awsTime(ptr.Deref(m.AlarmConfigurationUpdatedTimestamp))
		trigger := map[string]any{
			"Period": ptr.Deref(m.Period), "EvaluationPeriods": ptr.Deref(m.EvaluationPeriods),
			"DatapointsToAlarm": m.DatapointsToAlarm, "ComparisonOperator": ptr.Deref(m.ComparisonOperator),
			"TreatMissingData": ptr.Deref(m.TreatMissingData), "EvaluateLowSampleCountPercentile": ptr.Deref(m.EvaluateLowSampleCountPercentile),
		}
		if m.Threshold != nil {
			trigger["Threshold"] = *m.Threshold
		}
		if m.ThresholdMetricId != nil {
			trigger["ThresholdMetricId"] = *m.ThresholdMetricId
		}
		if m.MetricName != nil {
			trigger["MetricName"], trigger["Namespace"], trigger["Unit"] = *m.MetricName, ptr.Deref(m.Namespace), m.Unit
			trigger["Dimensions"] = dimsJSON(m.Dimensions)
			if m.Statistic != nil {
				trigger["StatisticType"], trigger["Statistic"] = "Statistic", strings.ToUpper(*m.Statistic)
			} else {
				trigger["StatisticType"], trigger["ExtendedStatistic"] = "ExtendedStatistic", ptr.Deref(m.ExtendedStatistic)
			}
		} else {
			trigger["Metrics"] = eventMetrics(m.Metrics)
		}
		msg["Trigger"] = trigger
	} else {
		msg["AlarmDescription"] = a.Composite.AlarmDescription
		msg["AlarmRule"] = ptr.Deref(a.Composite.AlarmRule)
	}
	return msg
}

func eventMetrics(qs []cwapi.MetricDataQuery) []map[string]any {
	out := []map[string]any{}
	for _, q := range qs {
		e := map[string]any{"id": ptr.Deref(q.Id), "returnData": q.ReturnData == nil || *q.ReturnData}
		if q.Label != nil {
			e["label"] = *q.Label
		}
		if q.Expression != nil {
			e["expression"] = *q.Expression
		}
		if ms := q.MetricStat; ms != nil && ms.Metric != nil {
			dims := map[string]string{}
			for _, d := range ms.Metric.Dimensions {
				dims[ptr.Deref(d.Name)] = ptr.Deref(d.Value)
			}
			e["metricStat"] = map[string]any{"metric": map[string]any{"namespace": ptr.Deref(ms.Metric.Namespace), "name": ptr.Deref(ms.Metric.MetricName), "dimensions": dims},
				"period": ptr.Deref(ms.Period), "stat": ptr.Deref(ms.Stat)}
		}
		out = append(out, e)
	}
	return out
}

// eventConfig is the "configuration" of the EventBridge event and the
// Lambda action's alarmData.
func eventConfig(a alarmRecord) map[string]any {
	if m := a.Metric; m != nil {
		cfg := map[string]any{}
		if m.AlarmDescription != nil {
			cfg["description"] = *m.AlarmDescription
		}
		if m.MetricName != nil {
			dims := map[string]string{}
			for _, d := range m.Dimensions {
				dims[ptr.Deref(d.Name)] = ptr.Deref(d.Value)
			}
			stat := ptr.Deref(m.Statistic)
			if m.ExtendedStatistic != nil {
				stat = *m.ExtendedStatistic
			}
			cfg["metrics"] = []map[string]any{{"id": awsid.UUID(), "metricStat": map[string]any{
				"metric": map[string]any{"namespace": ptr.Deref(m.Namespace), "name": *m.MetricName, "dimensions": dims},
				"period": ptr.Deref(m.Period), "stat": stat}, "returnData": true}}
		} else {
			cfg["metrics"] = eventMetrics(m.Metrics)
		}
		return cfg
	}
	cfg := map[string]any{"alarmRule": ptr.Deref(a.Composite.AlarmRule)}
	if a.Composite.AlarmDescription != nil {
		cfg["description"] = *a.Composite.AlarmDescription
	}
	return cfg
}

// lambdaEvent is the event a Lambda alarm action invokes the function with.
func lambdaEvent(sc storage.Scope, f firing, now time.Time) map[string]any {
	return map[string]any{
		"source": "aws.cloudwatch", "alarmArn": alarmARN(sc, f.alarm.name()), "accountId": sc.Account,
		"time": awsTime(now), "region": sc.Region,
		"alarmData": map[string]any{"alarmName": f.alarm.name(), "state": f.new, "previousState": f.old, "configuration": eventConfig(f.alarm)},
	}
}
