package logs

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Quotas of https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html.
const (
	maxMetricFilters       = 100
	maxSubscriptionFilters = 2
)

// metricFilter is a stored metric filter, keyed (group, name).
type metricFilter struct {
	Name       string                         `json:"name"`
	Pattern    string                         `json:"pattern"`
	Transforms []logsapi.MetricTransformation `json:"transforms"`
	Created    int64                          `json:"created"`
}

// subFilter is a stored subscription filter, keyed (group, name).
type subFilter struct {
	Name         string `json:"name"`
	Pattern      string `json:"pattern"`
	Destination  string `json:"destination"`
	Role         string `json:"role,omitempty"`
	Distribution string `json:"distribution"`
	Created      int64  `json:"created"`
}

// MetricDatum is one value a metric filter emitted. CloudWatch metrics
// do not exist in niwa yet: the values are stored here, keyed
// (namespace, metric, time, group, event), for Metrics to read back.
type MetricDatum struct {
	Namespace  string            `json:"ns"`
	MetricName string            `json:"name"`
	Dimensions map[string]string `json:"dims,omitempty"`
	Value      float64           `json:"v"`
	Unit       string            `json:"unit,omitempty"`
	Timestamp  int64             `json:"t"`
	LogGroup   string            `json:"group"`
	FilterName string            `json:"filter"`
}

var (
	metricFilters = storage.NewTable[metricFilter]("mfilter")
	subFilters    = storage.NewTable[subFilter]("sfilter")
	metricData    = storage.NewTable[MetricDatum]("metric")
)

// Deliverer is the part of the event bus Logs uses to hand subscription
// filter batches to Lambda.
type Deliverer interface {
	Deliver(ctx context.Context, m events.Message) error
}

// PutMetricFilter creates or replaces a metric filter.
func (l *Logs) PutMetricFilter(ctx *request.Context, in *logsapi.PutMetricFilterRequest) (*logsapi.PutMetricFilterOutput, error) {
	sc := scope(ctx)
	gname, fname := ptr.Deref(in.LogGroupName), ptr.Deref(in.FilterName)
	if _, err := compilePattern(ptr.Deref(in.FilterPattern)); err != nil {
		return nil, err
	}
	for _, t := range in.MetricTransformations {
		if t.DefaultValue != nil && len(t.Dimensions) > 0 {
			return nil, logsapi.ErrInvalidParameterException.New("You cannot specify both a default value and dimensions for a metric transformation.")
		}
		if len(t.Dimensions) > 3 {
			return nil, logsapi.ErrInvalidParameterException.New("A metric transformation can have no more than 3 dimensions.")
		}
		if v := ptr.Deref(t.MetricValue); !strings.HasPrefix(v, "$") {
			if _, err := strconv.ParseFloat(v, 64); err != nil {
				return nil, logsapi.ErrInvalidParameterException.New("Invalid metric value: %s. The metric value must be a number or a reference to a field of the filter pattern, such as $.latency or $bytes.", v)
			}
		}
	}
	err := l.store.Update(func(tx storage.Tx) error {
		if _, err := l.getGroup(tx, sc, gname); err != nil {
			return err
		}
		_, exists, err := metricFilters.Get(tx, sc, gname, fname)
		if err != nil {
			return err
		}
		n, err := count(tx, sc, metricFilters.Name(), gname)
		if err != nil {
			return err
		}
		if !exists && n >= maxMetricFilters {
			return logsapi.ErrLimitExceededException.New("Resource limit exceeded.")
		}
		return metricFilters.Put(tx, sc, metricFilter{Name: fname, Pattern: ptr.Deref(in.FilterPattern),
			Transforms: in.MetricTransformations, Created: ms(ctx.Now())}, gname, fname)
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.PutMetricFilterOutput{}, nil
}

func count(tx storage.Tx, sc storage.Scope, table, gname string) (int, error) {
	n := 0
	err := tx.Scan(sc.Prefix(table, gname), storage.ScanOptions{}, func(_, _ []byte) bool {
		n++
		return true
	})
	return n, err
}

// DeleteMetricFilter deletes a metric filter.
func (l *Logs) DeleteMetricFilter(ctx *request.Context, in *logsapi.DeleteMetricFilterRequest) (*logsapi.DeleteMetricFilterOutput, error) {
	sc := scope(ctx)
	gname, fname := ptr.Deref(in.LogGroupName), ptr.Deref(in.FilterName)
	err := l.store.Update(func(tx storage.Tx) error {
		if _, err := l.getGroup(tx, sc, gname); err != nil {
			return err
		}
		if ok, err := metricFilters.DeleteExisting(tx, sc, gname, fname); err != nil || ok {
			return err
		}
		return errNotFound("The specified metric filter does not exist.")
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.DeleteMetricFilterOutput{}, nil
}

// pageToken encodes the key of the last record of a page; keyToken
// decodes it into storage's After.
func pageToken(key []string) *string {
	return token(strings.Join(key, "\x00"))
}

func keyToken(t *string) ([]string, error) {
	s, err := untoken(t)
	if err != nil || s == "" {
		return nil, err
	}
	return strings.Split(s, "\x00"), nil
}

// DescribeMetricFilters lists metric filters of one group or of all
// groups, by name prefix or by the metric they publish.
func (l *Logs) DescribeMetricFilters(ctx *request.Context, in *logsapi.DescribeMetricFiltersRequest) (*logsapi.DescribeMetricFiltersResponse, error) {
	sc := scope(ctx)
	max, err := limit(in.Limit, 50, 50)
	if err != nil {
		return nil, err
	}
	if in.FilterNamePrefix != nil && in.LogGroupName == nil {
		return nil, logsapi.ErrInvalidParameterException.New("If filterNamePrefix is specified, logGroupName must also be specified.")
	}
	if (in.MetricName == nil) != (in.MetricNamespace == nil) {
		return nil, logsapi.ErrInvalidParameterException.New("If you specify metricName you must also specify metricNamespace, and vice versa.")
	}
	after, err := keyToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &logsapi.DescribeMetricFiltersResponse{MetricFilters: []logsapi.MetricFilter{}}
	err = l.store.View(func(tx storage.Tx) error {
		var prefix []string
		opts := storage.ListOptions{After: after}
		if in.LogGroupName != nil {
			if _, err := l.getGroup(tx, sc, *in.LogGroupName); err != nil {
				return err
			}
			prefix = []string{*in.LogGroupName}
			opts.Partial = ptr.Deref(in.FilterNamePrefix)
		}
		var last []string
		return metricFilters.List(tx, sc, prefix, opts, func(k []string, f metricFilter) bool {
			if in.MetricName != nil && !publishes(f, *in.MetricNamespace, *in.MetricName) {
				return true
			}
			if len(out.MetricFilters) == max {
				out.NextToken = pageToken(last)
				return false
			}
			last = append([]string(nil), k...)
			out.MetricFilters = append(out.MetricFilters, logsapi.MetricFilter{
				FilterName: ptr.To(f.Name), FilterPattern: ptr.To(f.Pattern), MetricTransformations: f.Transforms,
				CreationTime: ptr.To(f.Created), LogGroupName: ptr.To(k[0]),
			})
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func publishes(f metricFilter, ns, name string) bool {
	for _, t := range f.Transforms {
		if ptr.Deref(t.MetricNamespace) == ns && ptr.Deref(t.MetricName) == name {
			return true
		}
	}
	return false
}

// TestMetricFilter runs a filter pattern over sample messages and
// reports the matches with the fields the pattern extracted.
func (l *Logs) TestMetricFilter(ctx *request.Context, in *logsapi.TestMetricFilterRequest) (*logsapi.TestMetricFilterResponse, error) {
	pat, err := compilePattern(ptr.Deref(in.FilterPattern))
	if err != nil {
		return nil, err
	}
	out := &logsapi.TestMetricFilterResponse{Matches: []logsapi.MetricFilterMatchRecord{}}
	for i, msg := range in.LogEventMessages {
		vals, ok := pat.matches(msg)
		if !ok {
			continue
		}
		out.Matches = append(out.Matches, logsapi.MetricFilterMatchRecord{EventNumber: ptr.To(int64(i + 1)), EventMessage: ptr.To(msg), ExtractedValues: vals})
	}
	return out, nil
}

// emitMetrics runs a group's metric filters over a batch just stored.
// A filter that matches nothing in the batch emits its default value,
// if it has one, as AWS publishes it for periods without matches.
func emitMetrics(tx storage.Tx, sc storage.Scope, gname string, batch []event, now int64) error {
	var filters []metricFilter
	if err := metricFilters.List(tx, sc, []string{gname}, storage.ListOptions{}, func(_ []string, f metricFilter) bool {
		filters = append(filters, f)
		return true
	}); err != nil {
		return err
	}
	for _, f := range filters {
		pat, err := compilePattern(f.Pattern)
		if err != nil {
			continue // stored patterns compiled when put; a later grammar change must not stop ingestion
		}
		matched := false
		for _, e := range batch {
			vals, ok := pat.matches(e.Message)
			if !ok {
				continue
			}
			matched = true
			for ti, t := range f.Transforms {
				v, ok := resolve(ptr.Deref(t.MetricValue), e.Message, vals)
				if !ok {
					continue
				}
				n, err := strconv.ParseFloat(v, 64)
				if err != nil {
					continue // AWS drops a match whose value is no number
				}
				dims := map[string]string{}
				for dk, dv := range t.Dimensions {
					if r, ok := resolve(dv, e.Message, vals); ok {
						dims[dk] = r
					}
				}
				d := MetricDatum{Namespace: ptr.Deref(t.MetricNamespace), MetricName: ptr.Deref(t.MetricName), Dimensions: dims,
					Value: n, Unit: ptr.Deref(t.Unit), Timestamp: e.Timestamp, LogGroup: gname, FilterName: f.Name}
				if err := metricData.Put(tx, sc, d, d.Namespace, d.MetricName, tsKey(e.Timestamp), gname, seqKey(e.Seq), strconv.Itoa(ti)); err != nil {
					return err
				}
			}
		}
		if matched || len(batch) == 0 {
			continue
		}
		for ti, t := range f.Transforms {
			if t.DefaultValue == nil {
				continue
			}
			d := MetricDatum{Namespace: ptr.Deref(t.MetricNamespace), MetricName: ptr.Deref(t.MetricName), Value: *t.DefaultValue,
				Unit: ptr.Deref(t.Unit), Timestamp: now, LogGroup: gname, FilterName: f.Name}
			if err := metricData.Put(tx, sc, d, d.Namespace, d.MetricName, tsKey(now), gname, "default", f.Name, strconv.Itoa(ti)); err != nil {
				return err
			}
		}
	}
	return nil
}

// Metrics returns the values metric filters emitted in a namespace (all
// namespaces when empty), oldest first: what CloudWatch would have
// received.
func (l *Logs) Metrics(account, region, namespace string) ([]MetricDatum, error) {
	sc := storage.Scope{Account: account, Region: region}
	var out []MetricDatum
	err := l.store.View(func(tx storage.Tx) error {
		var prefix []string
		if namespace != "" {
			prefix = []string{namespace}
		}
		return metricData.List(tx, sc, prefix, storage.ListOptions{}, func(_ []string, d MetricDatum) bool {
			out = append(out, d)
			return true
		})
	})
	return out, err
}

// Subscription filters.

// PutSubscriptionFilter creates or replaces a subscription filter. Only
// Lambda functions receive deliveries in niwa (Kinesis and Firehose do
// not exist); the function must allow logs.amazonaws.com (or the
// regional logs principal) to invoke it, as AWS checks when the filter
// is put.
func (l *Logs) PutSubscriptionFilter(ctx *request.Context, in *logsapi.PutSubscriptionFilterRequest) (*logsapi.PutSubscriptionFilterOutput, error) {
	sc := scope(ctx)
	gname, fname, dest := ptr.Deref(in.LogGroupName), ptr.Deref(in.FilterName), ptr.Deref(in.DestinationArn)
	if _, err := compilePattern(ptr.Deref(in.FilterPattern)); err != nil {
		return nil, err
	}
	dist := "ByLogStream"
	if in.Distribution != nil {
		dist = *in.Distribution
	}
	svc := events.ARNService(dest)
	switch svc {
	case "lambda":
		// A function's own log group delivering to it would invoke it
		// forever; AWS refuses the filter.
		if fn := strings.SplitN(dest, ":", 8); len(fn) >= 7 && gname == "/aws/lambda/"+fn[6] {
			return nil, logsapi.ErrInvalidParameterException.New("The log group provided is reserved for the function logs of the destination function.")
		}
		if l.bus == nil {
			return nil, logsapi.ErrInvalidParameterException.New("Could not execute the lambda function. Make sure you have given CloudWatch Logs permission to execute your function.")
		}
		if _, err := l.deliverLambda(ctx, sc, gname, dest, "", true); err != nil {
			return nil, logsapi.ErrInvalidParameterException.New("Could not execute the lambda function. Make sure you have given CloudWatch Logs permission to execute your function.")
		}
	case "logs":
		// A destination of this account (PutDestination).
		parts := strings.SplitN(dest, ":", 7)
		if len(parts) != 7 || parts[5] != "destination" {
			return nil, logsapi.ErrInvalidParameterException.New("Invalid destination ARN: %s", dest)
		}
		dsc := storage.Scope{Account: parts[4], Region: parts[3]}
		err := l.store.View(func(tx storage.Tx) error {
			if _, ok, err := destinations.Get(tx, dsc, parts[6]); err != nil {
				return err
			} else if !ok {
				return errNotFound("The specified destination does not exist.")
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	default:
		return nil, logsapi.ErrInvalidParameterException.New("Invalid destination ARN: %s. niwa delivers subscription filters to Lambda functions only.", dest)
	}
	err := l.store.Update(func(tx storage.Tx) error {
		if _, err := l.getGroup(tx, sc, gname); err != nil {
			return err
		}
		_, exists, err := subFilters.Get(tx, sc, gname, fname)
		if err != nil {
			return err
		}
		n, err := count(tx, sc, subFilters.Name(), gname)
		if err != nil {
			return err
		}
		if !exists && n >= maxSubscriptionFilters {
			return logsapi.ErrLimitExceededException.New("Resource limit exceeded.")
		}
		return subFilters.Put(tx, sc, subFilter{Name: fname, Pattern: ptr.Deref(in.FilterPattern), Destination: dest,
			Role: ptr.Deref(in.RoleArn), Distribution: dist, Created: ms(ctx.Now())}, gname, fname)
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.PutSubscriptionFilterOutput{}, nil
}

// DeleteSubscriptionFilter deletes a subscription filter.
func (l *Logs) DeleteSubscriptionFilter(ctx *request.Context, in *logsapi.DeleteSubscriptionFilterRequest) (*logsapi.DeleteSubscriptionFilterOutput, error) {
	sc := scope(ctx)
	gname, fname := ptr.Deref(in.LogGroupName), ptr.Deref(in.FilterName)
	err := l.store.Update(func(tx storage.Tx) error {
		if _, err := l.getGroup(tx, sc, gname); err != nil {
			return err
		}
		if ok, err := subFilters.DeleteExisting(tx, sc, gname, fname); err != nil || ok {
			return err
		}
		return errNotFound("The specified subscription filter does not exist.")
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.DeleteSubscriptionFilterOutput{}, nil
}

// DescribeSubscriptionFilters lists a group's subscription filters.
func (l *Logs) DescribeSubscriptionFilters(ctx *request.Context, in *logsapi.DescribeSubscriptionFiltersRequest) (*logsapi.DescribeSubscriptionFiltersResponse, error) {
	sc := scope(ctx)
	gname := ptr.Deref(in.LogGroupName)
	max, err := limit(in.Limit, 50, 50)
	if err != nil {
		return nil, err
	}
	after, err := keyToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &logsapi.DescribeSubscriptionFiltersResponse{SubscriptionFilters: []logsapi.SubscriptionFilter{}}
	err = l.store.View(func(tx storage.Tx) error {
		if _, err := l.getGroup(tx, sc, gname); err != nil {
			return err
		}
		var last []string
		return subFilters.List(tx, sc, []string{gname}, storage.ListOptions{Partial: ptr.Deref(in.FilterNamePrefix), After: after}, func(k []string, f subFilter) bool {
			if len(out.SubscriptionFilters) == max {
				out.NextToken = pageToken(last)
				return false
			}
			last = append([]string(nil), k...)
			out.SubscriptionFilters = append(out.SubscriptionFilters, logsapi.SubscriptionFilter{
				FilterName: ptr.To(f.Name), LogGroupName: ptr.To(gname), FilterPattern: ptr.To(f.Pattern), DestinationArn: ptr.To(f.Destination),
				RoleArn: nilIfEmpty(f.Role), Distribution: ptr.To(f.Distribution), CreationTime: ptr.To(f.Created),
			})
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// delivery is one subscription filter's matches in one stream's batch,
// handed to the bus once the batch is stored.
type delivery struct {
	sc      storage.Scope
	group   string
	stream  string
	filter  string
	dest    string
	matched []event
}

// subscriptionMatches runs a group's subscription filters over a batch.
func subscriptionMatches(tx storage.Tx, sc storage.Scope, gname, sname string, batch []event) ([]delivery, error) {
	var out []delivery
	err := subFilters.List(tx, sc, []string{gname}, storage.ListOptions{}, func(_ []string, f subFilter) bool {
		pat, err := compilePattern(f.Pattern)
		if err != nil {
			return true
		}
		d := delivery{sc: sc, group: gname, stream: sname, filter: f.Name, dest: f.Destination}
		for _, e := range batch {
			if pat.match(e.Message) {
				d.matched = append(d.matched, e)
			}
		}
		if len(d.matched) > 0 {
			out = append(out, d)
		}
		return true
	})
	return out, err
}

// subscriptionMessage is the payload AWS gzips and base64-encodes for a
// subscription destination.
type subscriptionMessage struct {
	MessageType         string     `json:"messageType"`
	Owner               string     `json:"owner"`
	LogGroup            string     `json:"logGroup"`
	LogStream           string     `json:"logStream"`
	SubscriptionFilters []string   `json:"subscriptionFilters"`
	LogEvents           []logEntry `json:"logEvents"`
}

type logEntry struct {
	ID        string `json:"id"`
	Timestamp int64  `json:"timestamp"`
	Message   string `json:"message"`
}

// lambdaPayload is the event a function receives:
// {"awslogs":{"data":"<base64 gzip>"}}.
type lambdaPayload struct {
	AWSLogs struct {
		Data string `json:"data"`
	} `json:"awslogs"`
}

func encodeSubscription(d delivery) (string, error) {
	msg := subscriptionMessage{MessageType: "DATA_MESSAGE", Owner: d.sc.Account, LogGroup: d.group, LogStream: d.stream,
		SubscriptionFilters: []string{d.filter}, LogEvents: make([]logEntry, len(d.matched))}
	for i, e := range d.matched {
		msg.LogEvents[i] = logEntry{ID: eventID(e), Timestamp: e.Timestamp, Message: e.Message}
	}
	raw, err := json.Marshal(msg)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(raw)
	if err := zw.Close(); err != nil {
		return "", err
	}
	var p lambdaPayload
	p.AWSLogs.Data = base64.StdEncoding.EncodeToString(buf.Bytes())
	b, err := json.Marshal(p)
	return string(b), err
}

// deliverLambda hands body to a function as the logs service principal.
// Functions allow either logs.amazonaws.com or logs.<region>.amazonaws.com
// (what the console and CDK grant), so both are tried.
func (l *Logs) deliverLambda(ctx context.Context, sc storage.Scope, gname, dest, body string, validate bool) (string, error) {
	var err error
	for _, principal := range []string{"logs.amazonaws.com", "logs." + sc.Region + ".amazonaws.com"} {
		err = l.bus.Deliver(ctx, events.Message{TargetARN: dest, Body: body, SourceService: principal,
			SourceARN: groupARN(sc, gname) + ":*", SourceAccount: sc.Account, Validate: validate})
		if err == nil {
			return principal, nil
		}
	}
	return "", err
}

// deliver sends subscription matches after their batch is stored.
// Failures are not the writer's: PutLogEvents has succeeded, as on AWS.
func (l *Logs) deliver(ctx context.Context, ds []delivery) {
	if l.bus == nil {
		return
	}
	for _, d := range ds {
		if events.ARNService(d.dest) != "lambda" {
			continue // logical destinations lead to Kinesis, which niwa lacks
		}
		body, err := encodeSubscription(d)
		if err != nil {
			continue
		}
		_, _ = l.deliverLambda(ctx, d.sc, d.group, d.dest, body, false)
	}
}
