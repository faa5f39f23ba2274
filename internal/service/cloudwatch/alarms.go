package cloudwatch

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"sort"
	"strings"
	"time"

	cwapi "github.com/niwa-cloud/niwa/internal/api/cloudwatch"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// alarmRecord is a metric or composite alarm, kept in its API shape.
type alarmRecord struct {
	Metric    *cwapi.MetricAlarm    `json:"metric,omitempty"`
	Composite *cwapi.CompositeAlarm `json:"composite,omitempty"`
	Tags      map[string]string     `json:"tags,omitempty"`
}

func (a alarmRecord) name() string {
	if a.Metric != nil {
		return ptr.Deref(a.Metric.AlarmName)
	}
	return ptr.Deref(a.Composite.AlarmName)
}

func (a alarmRecord) kind() string {
	if a.Metric != nil {
		return "MetricAlarm"
	}
	return "CompositeAlarm"
}

func (a alarmRecord) state() string {
	if a.Metric != nil {
		return ptr.Deref(a.Metric.StateValue)
	}
	return ptr.Deref(a.Composite.StateValue)
}

func (a alarmRecord) actions() (enabled bool, ok, alarm, insufficient []string) {
	if a.Metric != nil {
		m := a.Metric
		return ptr.Deref(m.ActionsEnabled), m.OKActions, m.AlarmActions, m.InsufficientDataActions
	}
	m := a.Composite
	return ptr.Deref(m.ActionsEnabled), m.OKActions, m.AlarmActions, m.InsufficientDataActions
}

// historyRecord is one DescribeAlarmHistory item, keyed (time, id) so the
// history reads in time order; AWS keeps 30 days of it.
type historyRecord struct {
	AlarmName string    `json:"n"`
	AlarmType string    `json:"k"`
	Time      time.Time `json:"t"`
	Type      string    `json:"y"`
	Summary   string    `json:"s"`
	Data      string    `json:"d"`
}

const historyRetention = 30 * 24 * time.Hour

var (
	alarmsT  = storage.NewTable[alarmRecord]("alarm")
	historyT = storage.NewTable[historyRecord]("history")
)

// addHistory writes a history item keyed by its time and a sequence
// number, so items of the same instant (a state change and its actions)
// keep the order they happened in.
func (c *CloudWatch) addHistory(tx storage.Tx, sc storage.Scope, h historyRecord) error {
	return historyT.Put(tx, sc, h, fmt.Sprintf("%020d", h.Time.UnixNano()), fmt.Sprintf("%016x", c.historySeq.Add(1)))
}

// ---- validation ----

var comparisonOps = map[string]bool{
	"GreaterThanOrEqualToThreshold": true, "GreaterThanThreshold": true,
	"LessThanThreshold": true, "LessThanOrEqualToThreshold": true,
	"LessThanLowerOrGreaterThanUpperThreshold": true, "LessThanLowerThreshold": true, "GreaterThanUpperThreshold": true,
}

func bandOp(op string) bool {
	return op == "LessThanLowerOrGreaterThanUpperThreshold" || op == "LessThanLowerThreshold" || op == "GreaterThanUpperThreshold"
}

const maxActionsPerState = 5

var (
	snsARN       = lazyre.New(`^arn:aws[a-z-]*:sns:([a-z0-9-]+):(\d{12}):[A-Za-z0-9_.-]+$`)
	lambdaARN    = lazyre.New(`^arn:aws[a-z-]*:lambda:([a-z0-9-]+):(\d{12}):function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$`)
	automateARN  = lazyre.New(`^arn:aws[a-z-]*:automate:([a-z0-9-]+):ec2:(stop|terminate|reboot|recover)$`)
	swfARN       = lazyre.New(`^arn:aws[a-z-]*:swf:([a-z0-9-]+):(\d{12}):action/actions/AWS_EC2\.InstanceId\.(Stop|Terminate|Reboot)/1\.0$`)
	otherActions = lazyre.New(`^arn:aws[a-z-]*:(autoscaling|ssm|ssm-incidents|sns):([a-z0-9-]+):(\d{12})?:.+$`)
)

// checkActions validates action ARNs: SNS topics, Lambda functions, EC2
// actions (automate and swf forms), Auto Scaling policies and Systems
// Manager OpsItems/incidents, in the alarm's region.
func checkActions(region, param string, arns []string) error {
	if len(arns) > maxActionsPerState {
		return errInvalidValue.New("The collection %s must not have a size greater than %d.", param, maxActionsPerState)
	}
	for _, a := range arns {
		var m []string
		for _, re := range []*lazyre.Regexp{snsARN, lambdaARN, automateARN, swfARN, otherActions} {
			if m = re.FindStringSubmatch(a); m != nil {
				break
			}
		}
		if m == nil {
			return awserr.ValidationError.New("Invalid arn syntax: %s", a)
		}
		r := m[1]
		if re := otherActions; re.MatchString(a) && !snsARN.MatchString(a) {
			r = m[2]
		}
		if r != region {
			return awserr.ValidationError.New("Invalid region %s specified. Only %s is supported.", r, region)
		}
	}
	return nil
}

func validAlarmName(name string) bool {
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return name != ""
}

// PutMetricAlarm creates or replaces a metric alarm.
func (c *CloudWatch) PutMetricAlarm(ctx *request.Context, in *cwapi.PutMetricAlarmInput) (*cwapi.PutMetricAlarmOutput, error) {
	name := ptr.Deref(in.AlarmName)
	if !validAlarmName(name) {
		return nil, invalidValue(name, "AlarmName")
	}
	op := ptr.Deref(in.ComparisonOperator)
	if !comparisonOps[op] {
		return nil, invalidValue(op, "ComparisonOperator")
	}
	evals := ptr.Deref(in.EvaluationPeriods)
	if evals < 1 {
		return nil, invalidValue(evals, "EvaluationPeriods")
	}
	if in.DatapointsToAlarm != nil && (*in.DatapointsToAlarm < 1 || *in.DatapointsToAlarm > evals) {
		return nil, errInvalidValue.New("DatapointsToAlarm must be greater than 0 and less than or equal to EvaluationPeriods.")
	}
	if tmd := ptr.Deref(in.TreatMissingData); in.TreatMissingData != nil {
		switch tmd {
		case "breaching", "notBreaching", "ignore", "missing":
		default:
			return nil, invalidValue(tmd, "TreatMissingData")
		}
	}
	if e := ptr.Deref(in.EvaluateLowSampleCountPercentile); in.EvaluateLowSampleCountPercentile != nil && e != "evaluate" && e != "ignore" {
		return nil, invalidValue(e, "EvaluateLowSampleCountPercentile")
	}
	now := ctx.Now()
	single := in.MetricName != nil || in.Namespace != nil || in.Statistic != nil || in.ExtendedStatistic != nil || len(in.Dimensions) > 0 || in.Period != nil || in.Unit != nil
	var period int64
	switch {
	case single && len(in.Metrics) > 0:
		return nil, errInvalidValue.New("Metrics list cannot be used together with MetricName, Namespace, Dimensions, Statistic, ExtendedStatistic, Period or Unit.")
	case len(in.Metrics) > 0:
		if _, err := checkQueries(in.Metrics, "Metrics", now, now); err != nil {
			return nil, err
		}
		returned := 0
		for _, q := range in.Metrics {
			if q.ReturnData == nil || *q.ReturnData {
				returned++
			}
			if q.MetricStat != nil {
				period = int64(ptr.Deref(q.MetricStat.Period))
			} else if q.Period != nil {
				period = int64(*q.Period)
			}
		}
		if returned != 1 && in.ThresholdMetricId == nil {
			return nil, errInvalidValue.New("Exactly one element of the metrics list should return data.")
		}
	default:
		if in.MetricName == nil {
			return nil, errMissing.New("The parameter MetricName is required.")
		}
		if in.Namespace == nil {
			return nil, errMissing.New("The parameter Namespace is required.")
		}
		if (in.Statistic == nil) == (in.ExtendedStatistic == nil) {
			return nil, errInvalidValue.New("Exactly one of Statistic or ExtendedStatistic must be specified.")
		}
		if in.ExtendedStatistic != nil {
			if _, ok := percentileOf(*in.ExtendedStatistic); !ok {
				return nil, invalidValue(*in.ExtendedStatistic, "ExtendedStatistic")
			}
		}
		if in.Period == nil {
			return nil, errMissing.New("The parameter Period is required.")
		}
		period = int64(*in.Period)
	}
	if period != 10 && period != 20 && period != 30 && (period <= 0 || period%60 != 0) {
		return nil, errInvalidValue.New("Period must be 10, 20, 30 or a multiple of 60.")
	}
	if period*int64(evals) > 86400 && period < 3600 {
		return nil, errInvalidValue.New("The evaluation period of an alarm, Period * EvaluationPeriods, cannot exceed 86400 seconds (1 day).")
	}
	if period*int64(evals) > 7*86400 {
		return nil, errInvalidValue.New("The evaluation period of an alarm, Period * EvaluationPeriods, cannot exceed 604800 seconds (7 days) for periods of an hour or more.")
	}
	if bandOp(op) {
		if in.ThresholdMetricId == nil {
			return nil, errInvalidValue.New("ThresholdMetricId must be specified for comparison operator %s.", op)
		}
	} else if in.ThresholdMetricId != nil {
		return nil, errInvalidValue.New("ThresholdMetricId can only be used with anomaly detection comparison operators.")
	}
	if (in.Threshold == nil) == (in.ThresholdMetricId == nil) {
		return nil, errInvalidValue.New("Exactly one of Threshold or ThresholdMetricId must be specified.")
	}
	if in.ThresholdMetricId != nil {
		found := false
		for _, q := range in.Metrics {
			found = found || ptr.Deref(q.Id) == *in.ThresholdMetricId
		}
		if !found {
			return nil, errInvalidValue.New("ThresholdMetricId %s must be the Id of an element of Metrics.", *in.ThresholdMetricId)
		}
	}
	for _, a := range []struct {
		p    string
		arns []string
	}{{"OKActions", in.OKActions}, {"AlarmActions", in.AlarmActions}, {"InsufficientDataActions", in.InsufficientDataActions}} {
		if err := checkActions(ctx.Region, a.p, a.arns); err != nil {
			return nil, err
		}
	}
	tags, err := tagMap(in.Tags)
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	m := &cwapi.MetricAlarm{
		AlarmName: ptr.To(name), AlarmArn: ptr.To(alarmARN(sc, name)), AlarmDescription: in.AlarmDescription,
		AlarmConfigurationUpdatedTimestamp: ptr.To(now), ActionsEnabled: ptr.To(in.ActionsEnabled == nil || *in.ActionsEnabled),
		OKActions: nonNil(in.OKActions), AlarmActions: nonNil(in.AlarmActions), InsufficientDataActions: nonNil(in.InsufficientDataActions),
		MetricName: in.MetricName, Namespace: in.Namespace, Statistic: in.Statistic, ExtendedStatistic: in.ExtendedStatistic,
		Dimensions: in.Dimensions, Period: in.Period, Unit: in.Unit, EvaluationPeriods: in.EvaluationPeriods,
		DatapointsToAlarm: in.DatapointsToAlarm, Threshold: in.Threshold, ComparisonOperator: in.ComparisonOperator,
		TreatMissingData: in.TreatMissingData, EvaluateLowSampleCountPercentile: in.EvaluateLowSampleCountPercentile,
		Metrics: in.Metrics, ThresholdMetricId: in.ThresholdMetricId,
	}
	if m.Dimensions == nil && len(in.Metrics) == 0 {
		m.Dimensions = []cwapi.Dimension{}
	}
	if m.TreatMissingData == nil {
		m.TreatMissingData = ptr.To("missing")
	}
	err = c.store.Update(func(tx storage.Tx) error {
		if err := touchScope(tx, sc); err != nil {
			return err
		}
		old, exists, err := alarmsT.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if exists && old.Composite != nil {
			return errInvalidValue.New("The alarm %s already exists as a composite alarm.", name)
		}
		summary := "Alarm \"" + name + "\" created"
		typ := "Create"
		if exists {
			// Updating keeps the state; AWS re-evaluates from it.
			m.StateValue, m.StateReason, m.StateReasonData = old.Metric.StateValue, old.Metric.StateReason, old.Metric.StateReasonData
			m.StateUpdatedTimestamp, m.StateTransitionedTimestamp = old.Metric.StateUpdatedTimestamp, old.Metric.StateTransitionedTimestamp
			summary, typ = "Alarm \""+name+"\" updated", "Update"
			if tags == nil {
				tags = old.Tags
			}
		} else {
			m.StateValue, m.StateReason = ptr.To("INSUFFICIENT_DATA"), ptr.To("Unchecked: Initial alarm creation")
			m.StateUpdatedTimestamp, m.StateTransitionedTimestamp = ptr.To(now), ptr.To(now)
		}
		if err := alarmsT.Put(tx, sc, alarmRecord{Metric: m, Tags: tags}, name); err != nil {
			return err
		}
		data, _ := json.Marshal(map[string]any{"version": "1.0", "type": typ, "updatedAlarm": alarmHistoryConfig(m)})
		return c.addHistory(tx, sc, historyRecord{AlarmName: name, AlarmType: "MetricAlarm", Time: now, Type: "ConfigurationUpdate", Summary: summary, Data: string(data)})
	})
	if err != nil {
		return nil, err
	}
	return &cwapi.PutMetricAlarmOutput{}, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// alarmHistoryConfig is the alarm as ConfigurationUpdate history shows it.
func alarmHistoryConfig(m *cwapi.MetricAlarm) map[string]any {
	cfg := map[string]any{
		"alarmName": ptr.Deref(m.AlarmName), "comparisonOperator": ptr.Deref(m.ComparisonOperator),
		"evaluationPeriods": ptr.Deref(m.EvaluationPeriods), "actionsEnabled": ptr.Deref(m.ActionsEnabled),
		"okactions": m.OKActions, "alarmActions": m.AlarmActions, "insufficientDataActions": m.InsufficientDataActions,
		"treatMissingData": ptr.Deref(m.TreatMissingData), "metrics": []any{},
	}
	if m.MetricName != nil {
		cfg["metricName"], cfg["namespace"], cfg["period"] = *m.MetricName, ptr.Deref(m.Namespace), ptr.Deref(m.Period)
		cfg["dimensions"] = dimsJSON(m.Dimensions)
	}
	if m.Statistic != nil {
		cfg["statistic"] = strings.ToUpper(*m.Statistic)
	}
	if m.Threshold != nil {
		cfg["threshold"] = *m.Threshold
	}
	if m.ThresholdMetricId != nil {
		cfg["thresholdMetricId"] = *m.ThresholdMetricId
	}
	return cfg
}

func dimsJSON(ds []cwapi.Dimension) []map[string]string {
	out := make([]map[string]string, 0, len(ds))
	for _, d := range ds {
		out = append(out, map[string]string{"name": ptr.Deref(d.Name), "value": ptr.Deref(d.Value)})
	}
	return out
}

func tagMap(tags []cwapi.Tag) (map[string]string, error) {
	if len(tags) == 0 {
		return nil, nil
	}
	if len(tags) > 50 {
		return nil, errInvalidValue.New("The collection Tags must not have a size greater than 50.")
	}
	m := make(map[string]string, len(tags))
	for _, t := range tags {
		k := ptr.Deref(t.Key)
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return nil, errInvalidValue.New("Tag keys starting with 'aws:' are reserved for system use.")
		}
		m[k] = ptr.Deref(t.Value)
	}
	return m, nil
}

// PutCompositeAlarm creates or replaces a composite alarm.
func (c *CloudWatch) PutCompositeAlarm(ctx *request.Context, in *cwapi.PutCompositeAlarmInput) (*cwapi.PutCompositeAlarmOutput, error) {
	name := ptr.Deref(in.AlarmName)
	if !validAlarmName(name) {
		return nil, invalidValue(name, "AlarmName")
	}
	rule, err := parseAlarmRule(ptr.Deref(in.AlarmRule))
	if err != nil {
		return nil, errInvalidValue.New("Error in AlarmRule [%v]", err)
	}
	for _, a := range []struct {
		p    string
		arns []string
	}{{"OKActions", in.OKActions}, {"AlarmActions", in.AlarmActions}, {"InsufficientDataActions", in.InsufficientDataActions}} {
		if err := checkActions(ctx.Region, a.p, a.arns); err != nil {
			return nil, err
		}
	}
	tags, err := tagMap(in.Tags)
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	now := ctx.Now()
	ca := &cwapi.CompositeAlarm{
		AlarmName: ptr.To(name), AlarmArn: ptr.To(alarmARN(sc, name)), AlarmDescription: in.AlarmDescription, AlarmRule: in.AlarmRule,
		ActionsEnabled: ptr.To(in.ActionsEnabled == nil || *in.ActionsEnabled), AlarmConfigurationUpdatedTimestamp: ptr.To(now),
		OKActions: nonNil(in.OKActions), AlarmActions: nonNil(in.AlarmActions), InsufficientDataActions: nonNil(in.InsufficientDataActions),
		ActionsSuppressor: in.ActionsSuppressor, ActionsSuppressorWaitPeriod: in.ActionsSuppressorWaitPeriod, ActionsSuppressorExtensionPeriod: in.ActionsSuppressorExtensionPeriod,
	}
	err = c.store.Update(func(tx storage.Tx) error {
		if err := touchScope(tx, sc); err != nil {
			return err
		}
		var missing []string
		for _, ref := range rule.refs(nil) {
			refName := ref
			if i := strings.Index(ref, ":alarm:"); strings.HasPrefix(ref, "arn:") && i >= 0 {
				refName = ref[i+len(":alarm:"):]
			}
			if refName == name {
				return errInvalidValue.New("Error in AlarmRule [a composite alarm cannot reference itself]")
			}
			if _, ok, err := alarmsT.Get(tx, sc, refName); err != nil {
				return err
			} else if !ok {
				missing = append(missing, ref)
			}
		}
		if len(missing) > 0 {
			return errInvalidValue.New("Could not save the composite alarm as alarms [%s] in the alarm rule do not exist", strings.Join(missing, ", "))
		}
		old, exists, err := alarmsT.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if exists && old.Metric != nil {
			return errInvalidValue.New("The alarm %s already exists as a metric alarm.", name)
		}
		typ, summary := "Create", "Alarm \""+name+"\" created"
		if exists {
			ca.StateValue, ca.StateReason, ca.StateReasonData = old.Composite.StateValue, old.Composite.StateReason, old.Composite.StateReasonData
			ca.StateUpdatedTimestamp, ca.StateTransitionedTimestamp = old.Composite.StateUpdatedTimestamp, old.Composite.StateTransitionedTimestamp
			typ, summary = "Update", "Alarm \""+name+"\" updated"
			if tags == nil {
				tags = old.Tags
			}
		} else {
			ca.StateValue, ca.StateReason = ptr.To("INSUFFICIENT_DATA"), ptr.To("Unchecked: Initial alarm creation")
			ca.StateUpdatedTimestamp, ca.StateTransitionedTimestamp = ptr.To(now), ptr.To(now)
		}
		if err := alarmsT.Put(tx, sc, alarmRecord{Composite: ca, Tags: tags}, name); err != nil {
			return err
		}
		data, _ := json.Marshal(map[string]any{"version": "1.0", "type": typ, "updatedAlarm": map[string]any{"alarmName": name, "alarmRule": ptr.Deref(in.AlarmRule), "actionsEnabled": ptr.Deref(ca.ActionsEnabled)}})
		return c.addHistory(tx, sc, historyRecord{AlarmName: name, AlarmType: "CompositeAlarm", Time: now, Type: "ConfigurationUpdate", Summary: summary, Data: string(data)})
	})
	if err != nil {
		return nil, err
	}
	return &cwapi.PutCompositeAlarmOutput{}, nil
}

// ---- describing ----

type pageToken struct {
	After string `json:"a"`
}

func encodeToken(after string) *string {
	raw, _ := json.Marshal(pageToken{After: after})
	return ptr.To(base64.RawURLEncoding.EncodeToString(raw))
}

func decodeToken(tok *string) (string, error) {
	if tok == nil || *tok == "" {
		return "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(*tok)
	var t pageToken
	if err != nil || json.Unmarshal(raw, &t) != nil || t.After == "" {
		return "", errNextToken.New("The service returned an invalid NextToken.")
	}
	return t.After, nil
}

// DescribeAlarms lists alarms by names, prefix, state, type, action and
// composite relationships, 50 a page by default (100 at most).
func (c *CloudWatch) DescribeAlarms(ctx *request.Context, in *cwapi.DescribeAlarmsInput) (*cwapi.DescribeAlarmsOutput, error) {
	if len(in.AlarmNames) > 0 && in.AlarmNamePrefix != nil {
		return nil, errCombination.New("AlarmNames and AlarmNamePrefix cannot be specified together.")
	}
	if in.ChildrenOfAlarmName != nil && in.ParentsOfAlarmName != nil {
		return nil, errCombination.New("ChildrenOfAlarmName and ParentsOfAlarmName cannot be specified together.")
	}
	limit, err := maxRecords(in.MaxRecords, 50)
	if err != nil {
		return nil, err
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	types := kit.Set(in.AlarmTypes...)
	if len(types) == 0 {
		types["MetricAlarm"] = true
		if in.ChildrenOfAlarmName != nil || in.ParentsOfAlarmName != nil {
			types["CompositeAlarm"] = true
		}
	}
	names := map[string]bool{}
	for _, n := range in.AlarmNames {
		names[n] = true
	}
	sc := scope(ctx)
	out := &cwapi.DescribeAlarmsOutput{MetricAlarms: []cwapi.MetricAlarm{}, CompositeAlarms: []cwapi.CompositeAlarm{}}
	err = c.store.View(func(tx storage.Tx) error {
		var children, parents map[string]bool
		if n := ptr.Deref(in.ChildrenOfAlarmName); in.ChildrenOfAlarmName != nil {
			parent, ok, err := alarmsT.Get(tx, sc, n)
			if err != nil {
				return err
			}
			children = map[string]bool{}
			if ok && parent.Composite != nil {
				if r, err := parseAlarmRule(ptr.Deref(parent.Composite.AlarmRule)); err == nil {
					for _, ref := range r.refs(nil) {
						children[refName(ref)] = true
					}
				}
			}
		}
		if n := ptr.Deref(in.ParentsOfAlarmName); in.ParentsOfAlarmName != nil {
			parents = map[string]bool{}
			if err := alarmsT.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, a alarmRecord) bool {
				if a.Composite != nil {
					if r, err := parseAlarmRule(ptr.Deref(a.Composite.AlarmRule)); err == nil {
						for _, ref := range r.refs(nil) {
							if refName(ref) == n {
								parents[a.name()] = true
							}
						}
					}
				}
				return true
			}); err != nil {
				return err
			}
		}
		opts := storage.ListOptions{Partial: ptr.Deref(in.AlarmNamePrefix)}
		if after != "" {
			opts.After = []string{after}
		}
		count := 0
		return alarmsT.List(tx, sc, nil, opts, func(k []string, a alarmRecord) bool {
			name := a.name()
			if !types[a.kind()] || (len(names) > 0 && !names[name]) ||
				(in.StateValue != nil && a.state() != *in.StateValue) ||
				(children != nil && !children[name]) || (parents != nil && !parents[name]) {
				return true
			}
			if p := ptr.Deref(in.ActionPrefix); p != "" {
				_, ok, al, ins := a.actions()
				hit := false
				for _, x := range append(append(append([]string{}, ok...), al...), ins...) {
					hit = hit || strings.HasPrefix(x, p)
				}
				if !hit {
					return true
				}
			}
			if count == limit {
				out.NextToken = encodeToken(k[0])
				return false
			}
			count++
			if a.Metric != nil {
				out.MetricAlarms = append(out.MetricAlarms, *a.Metric)
			} else {
				out.CompositeAlarms = append(out.CompositeAlarms, *a.Composite)
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	// The token names the last alarm returned; listing resumes after it.
	if out.NextToken != nil {
		last := ""
		if n := len(out.MetricAlarms); n > 0 {
			last = ptr.Deref(out.MetricAlarms[n-1].AlarmName)
		}
		if n := len(out.CompositeAlarms); n > 0 && ptr.Deref(out.CompositeAlarms[n-1].AlarmName) > last {
			last = ptr.Deref(out.CompositeAlarms[n-1].AlarmName)
		}
		out.NextToken = encodeToken(last)
	}
	return out, nil
}

func refName(ref string) string {
	if i := strings.Index(ref, ":alarm:"); strings.HasPrefix(ref, "arn:") && i >= 0 {
		return ref[i+len(":alarm:"):]
	}
	return ref
}

// DescribeAlarmsForMetric lists the metric alarms watching one metric.
func (c *CloudWatch) DescribeAlarmsForMetric(ctx *request.Context, in *cwapi.DescribeAlarmsForMetricInput) (*cwapi.DescribeAlarmsForMetricOutput, error) {
	out := &cwapi.DescribeAlarmsForMetricOutput{MetricAlarms: []cwapi.MetricAlarm{}}
	want := dimsKey(sortDims(in.Dimensions))
	err := c.store.View(func(tx storage.Tx) error {
		return alarmsT.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, a alarmRecord) bool {
			m := a.Metric
			if m == nil {
				return true
			}
			match := func(ns, name string, dims []cwapi.Dimension, stat, ext *string, period *int32, unit *string) bool {
				return ns == ptr.Deref(in.Namespace) && name == ptr.Deref(in.MetricName) &&
					(in.Dimensions == nil || dimsKey(sortDims(dims)) == want) &&
					(in.Statistic == nil || ptr.Deref(stat) == *in.Statistic) &&
					(in.ExtendedStatistic == nil || ptr.Deref(ext) == *in.ExtendedStatistic) &&
					(in.Period == nil || ptr.Deref(period) == *in.Period) &&
					(in.Unit == nil || ptr.Deref(unit) == *in.Unit)
			}
			hit := match(ptr.Deref(m.Namespace), ptr.Deref(m.MetricName), m.Dimensions, m.Statistic, m.ExtendedStatistic, m.Period, m.Unit)
			for _, q := range m.Metrics {
				if ms := q.MetricStat; ms != nil && ms.Metric != nil {
					var stat, ext *string
					if _, ok := percentileOf(ptr.Deref(ms.Stat)); ok {
						ext = ms.Stat
					} else {
						stat = ms.Stat
					}
					hit = hit || match(ptr.Deref(ms.Metric.Namespace), ptr.Deref(ms.Metric.MetricName), ms.Metric.Dimensions, stat, ext, ms.Period, ms.Unit)
				}
			}
			if hit {
				out.MetricAlarms = append(out.MetricAlarms, *m)
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteAlarms deletes alarms; AWS refuses the whole call when a name
// does not exist, and deleting an alarm a composite alarm's rule names.
func (c *CloudWatch) DeleteAlarms(ctx *request.Context, in *cwapi.DeleteAlarmsInput) (*cwapi.DeleteAlarmsOutput, error) {
	if len(in.AlarmNames) > 100 {
		return nil, errInvalidValue.New("The collection AlarmNames must not have a size greater than 100.")
	}
	sc := scope(ctx)
	err := c.store.Update(func(tx storage.Tx) error {
		deleting := map[string]bool{}
		for _, n := range in.AlarmNames {
			deleting[n] = true
		}
		for _, n := range in.AlarmNames {
			if _, ok, err := alarmsT.Get(tx, sc, n); err != nil {
				return err
			} else if !ok {
				return errNotFound.New("Alarm %s does not exist", n)
			}
		}
		var blocked error
		if err := alarmsT.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, a alarmRecord) bool {
			if a.Composite == nil || deleting[a.name()] {
				return true
			}
			r, err := parseAlarmRule(ptr.Deref(a.Composite.AlarmRule))
			if err != nil {
				return true
			}
			for _, ref := range r.refs(nil) {
				if deleting[refName(ref)] {
					blocked = errInvalidValue.New("Alarm %s is referenced by composite alarm %s and cannot be deleted", refName(ref), a.name())
					return false
				}
			}
			return true
		}); err != nil {
			return err
		}
		if blocked != nil {
			return blocked
		}
		for _, n := range in.AlarmNames {
			if err := alarmsT.Delete(tx, sc, n); err != nil {
				return err
			}
			if err := tagsT.Delete(tx, sc, alarmARN(sc, n)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &cwapi.DeleteAlarmsOutput{}, nil
}

// EnableAlarmActions turns the actions of alarms on.
func (c *CloudWatch) EnableAlarmActions(ctx *request.Context, in *cwapi.EnableAlarmActionsInput) (*cwapi.EnableAlarmActionsOutput, error) {
	return &cwapi.EnableAlarmActionsOutput{}, c.setActionsEnabled(ctx, in.AlarmNames, true)
}

// DisableAlarmActions turns the actions of alarms off.
func (c *CloudWatch) DisableAlarmActions(ctx *request.Context, in *cwapi.DisableAlarmActionsInput) (*cwapi.DisableAlarmActionsOutput, error) {
	return &cwapi.DisableAlarmActionsOutput{}, c.setActionsEnabled(ctx, in.AlarmNames, false)
}

func (c *CloudWatch) setActionsEnabled(ctx *request.Context, names []string, on bool) error {
	if len(names) > 100 {
		return errInvalidValue.New("The collection AlarmNames must not have a size greater than 100.")
	}
	sc := scope(ctx)
	return c.store.Update(func(tx storage.Tx) error {
		for _, n := range names {
			a, ok, err := alarmsT.Get(tx, sc, n)
			if err != nil {
				return err
			}
			if !ok {
				continue // AWS ignores names that are not alarms
			}
			if a.Metric != nil {
				a.Metric.ActionsEnabled = ptr.To(on)
			} else {
				a.Composite.ActionsEnabled = ptr.To(on)
			}
			if err := alarmsT.Put(tx, sc, a, n); err != nil {
				return err
			}
		}
		return nil
	})
}

// SetAlarmState sets an alarm's state until its next evaluation, with
// the actions of the new state as a real transition has.
func (c *CloudWatch) SetAlarmState(ctx *request.Context, in *cwapi.SetAlarmStateInput) (*cwapi.SetAlarmStateOutput, error) {
	if d := in.StateReasonData; d != nil && !json.Valid([]byte(*d)) {
		return nil, errInvalidValue.New("State reason data must be valid JSON")
	}
	sc := scope(ctx)
	var fired []firing
	err := c.store.Update(func(tx storage.Tx) error {
		a, ok, err := alarmsT.Get(tx, sc, ptr.Deref(in.AlarmName))
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound.New("Alarm %s not found", ptr.Deref(in.AlarmName))
		}
		f, err := c.transition(tx, sc, &a, ptr.Deref(in.StateValue), ptr.Deref(in.StateReason), ptr.Deref(in.StateReasonData), ctx.Now(), true)
		if err != nil {
			return err
		}
		if f != nil {
			fired = append(fired, *f)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.act(sc, fired)
	return &cwapi.SetAlarmStateOutput{}, nil
}

// DescribeAlarmHistory reads the history of one alarm or of all.
func (c *CloudWatch) DescribeAlarmHistory(ctx *request.Context, in *cwapi.DescribeAlarmHistoryInput) (*cwapi.DescribeAlarmHistoryOutput, error) {
	limit, err := maxRecords(in.MaxRecords, 100)
	if err != nil {
		return nil, err
	}
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	types := kit.Set(in.AlarmTypes...)
	if len(types) == 0 {
		types["MetricAlarm"] = true
	}
	ascending := ptr.Deref(in.ScanBy) == "TimestampAscending"
	last := ""
	out := &cwapi.DescribeAlarmHistoryOutput{AlarmHistoryItems: []cwapi.AlarmHistoryItem{}}
	err = c.store.View(func(tx storage.Tx) error {
		opts := storage.ListOptions{Reverse: !ascending}
		if after != "" {
			opts.After = strings.SplitN(after, "/", 2)
		}
		return historyT.List(tx, scope(ctx), nil, opts, func(k []string, h historyRecord) bool {
			if (in.AlarmName != nil && h.AlarmName != *in.AlarmName) || !types[h.AlarmType] ||
				(in.HistoryItemType != nil && h.Type != *in.HistoryItemType) ||
				(in.StartDate != nil && h.Time.Before(*in.StartDate)) || (in.EndDate != nil && h.Time.After(*in.EndDate)) {
				return true
			}
			if len(out.AlarmHistoryItems) == limit {
				// Another item matches: the next page resumes after the
				// last one returned.
				out.NextToken = encodeToken(last)
				return false
			}
			out.AlarmHistoryItems = append(out.AlarmHistoryItems, cwapi.AlarmHistoryItem{
				AlarmName: ptr.To(h.AlarmName), AlarmType: ptr.To(h.AlarmType), Timestamp: ptr.To(h.Time),
				HistoryItemType: ptr.To(h.Type), HistorySummary: ptr.To(h.Summary), HistoryData: ptr.To(h.Data),
			})
			last = k[0] + "/" + k[1]
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// sortedNames is for deterministic outputs in tests and docs.
func sortedNames(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// maxRecords is a MaxRecords member (1–100), def when absent.
func maxRecords(p *int32, def int) (int, error) {
	if p == nil {
		return def, nil
	}
	if *p < 1 || *p > 100 {
		return 0, invalidValue(*p, "MaxRecords")
	}
	return int(*p), nil
}
