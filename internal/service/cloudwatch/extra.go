package cloudwatch

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	cwapi "github.com/niwa-cloud/niwa/internal/api/cloudwatch"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// ---- tags ----

// tagsT holds the tags of insight rules (alarms keep theirs in the
// alarm record), keyed by ARN.
var tagsT = storage.NewTable[map[string]string]("tags")

// resourceTags reads the tags of an alarm or insight rule ARN; found
// false when the resource does not exist.
func (c *CloudWatch) resourceTags(tx storage.Tx, sc storage.Scope, arn string) (map[string]string, bool, error) {
	prefix := fmt.Sprintf("arn:aws:cloudwatch:%s:%s:", sc.Region, sc.Account)
	switch {
	case strings.HasPrefix(arn, prefix+"alarm:"):
		a, ok, err := alarmsT.Get(tx, sc, strings.TrimPrefix(arn, prefix+"alarm:"))
		return a.Tags, ok, err
	case strings.HasPrefix(arn, prefix+"insight-rule/"):
		if _, ok, err := insightT.Get(tx, sc, strings.TrimPrefix(arn, prefix+"insight-rule/")); err != nil || !ok {
			return nil, ok, err
		}
		t, _, err := tagsT.Get(tx, sc, arn)
		return t, true, err
	}
	return nil, false, nil
}

func (c *CloudWatch) writeTags(tx storage.Tx, sc storage.Scope, arn string, tags map[string]string) error {
	prefix := fmt.Sprintf("arn:aws:cloudwatch:%s:%s:", sc.Region, sc.Account)
	if name, ok := strings.CutPrefix(arn, prefix+"alarm:"); ok {
		a, _, err := alarmsT.Get(tx, sc, name)
		if err != nil {
			return err
		}
		a.Tags = tags
		return alarmsT.Put(tx, sc, a, name)
	}
	return tagsT.Put(tx, sc, tags, arn)
}

func notFoundARN(arn string) error {
	typ := "Alarm"
	if strings.Contains(arn, ":insight-rule/") {
		typ = "InsightRule"
	}
	return cwapi.ErrResourceNotFoundException.New("%s %s does not exist.", typ, arn).With("ResourceType", typ).With("ResourceId", arn)
}

// TagResource adds tags to an alarm or insight rule.
func (c *CloudWatch) TagResource(ctx *request.Context, in *cwapi.TagResourceInput) (*cwapi.TagResourceOutput, error) {
	add, err := tagMap(in.Tags)
	if err != nil {
		return nil, err
	}
	arn := ptr.Deref(in.ResourceARN)
	sc := scope(ctx)
	err = c.store.Update(func(tx storage.Tx) error {
		tags, ok, err := c.resourceTags(tx, sc, arn)
		if err != nil {
			return err
		}
		if !ok {
			return notFoundARN(arn)
		}
		if tags == nil {
			tags = map[string]string{}
		}
		for k, v := range add {
			tags[k] = v
		}
		if len(tags) > 50 {
			return errInvalidValue.New("The resource %s cannot have more than 50 tags.", arn)
		}
		return c.writeTags(tx, sc, arn, tags)
	})
	if err != nil {
		return nil, err
	}
	return &cwapi.TagResourceOutput{}, nil
}

// UntagResource removes tags.
func (c *CloudWatch) UntagResource(ctx *request.Context, in *cwapi.UntagResourceInput) (*cwapi.UntagResourceOutput, error) {
	arn := ptr.Deref(in.ResourceARN)
	sc := scope(ctx)
	err := c.store.Update(func(tx storage.Tx) error {
		tags, ok, err := c.resourceTags(tx, sc, arn)
		if err != nil {
			return err
		}
		if !ok {
			return notFoundARN(arn)
		}
		for _, k := range in.TagKeys {
			delete(tags, k)
		}
		return c.writeTags(tx, sc, arn, tags)
	})
	if err != nil {
		return nil, err
	}
	return &cwapi.UntagResourceOutput{}, nil
}

// ListTagsForResource lists tags.
func (c *CloudWatch) ListTagsForResource(ctx *request.Context, in *cwapi.ListTagsForResourceInput) (*cwapi.ListTagsForResourceOutput, error) {
	arn := ptr.Deref(in.ResourceARN)
	out := &cwapi.ListTagsForResourceOutput{Tags: []cwapi.Tag{}}
	err := c.store.View(func(tx storage.Tx) error {
		tags, ok, err := c.resourceTags(tx, scope(ctx), arn)
		if err != nil {
			return err
		}
		if !ok {
			return notFoundARN(arn)
		}
		keys := map[string]bool{}
		for k := range tags {
			keys[k] = true
		}
		for _, k := range sortedNames(keys) {
			out.Tags = append(out.Tags, cwapi.Tag{Key: ptr.To(k), Value: ptr.To(tags[k])})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ResourceTags returns the tags of the alarm or insight rule arn names,
// for aws:ResourceTag conditions (authz.ResourceTagger).
func (c *CloudWatch) ResourceTags(_ *request.Context, arn string) (map[string]string, bool, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return nil, false, nil
	}
	var tags map[string]string
	var found bool
	err := c.store.View(func(tx storage.Tx) error {
		var err error
		tags, found, err = c.resourceTags(tx, storage.Scope{Account: parts[4], Region: parts[3]}, arn)
		return err
	})
	return tags, found, err
}

// ---- dashboards ----

type dashboardRecord struct {
	Name     string    `json:"n"`
	Body     string    `json:"b"`
	Modified time.Time `json:"m"`
}

var dashboardsT = storage.NewTable[dashboardRecord]("dashboard")

var dashboardName = lazyre.New(`^[A-Za-z0-9_-]{1,255}$`)

const maxDashboardBody = 1 << 20

// checkDashboardBody validates a DashboardBody as CloudWatch does: a JSON
// object whose widgets are objects with a known type and a properties
// object.
func checkDashboardBody(body string) []cwapi.DashboardValidationMessage {
	msg := func(path, m string) []cwapi.DashboardValidationMessage {
		return []cwapi.DashboardValidationMessage{{DataPath: ptr.To(path), Message: ptr.To(m)}}
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		return msg("", "Should be a valid JSON object: "+err.Error())
	}
	var out []cwapi.DashboardValidationMessage
	raw, ok := doc["widgets"]
	if !ok {
		return msg("", "Should have required property 'widgets'")
	}
	var widgets []map[string]json.RawMessage
	if err := json.Unmarshal(raw, &widgets); err != nil {
		return msg("/widgets", "Should be array")
	}
	types := map[string]bool{"metric": true, "text": true, "log": true, "alarm": true, "explorer": true, "custom": true}
	for i, w := range widgets {
		path := fmt.Sprintf("/widgets/%d", i)
		var typ string
		if err := json.Unmarshal(w["type"], &typ); err != nil {
			out = append(out, msg(path, "Should have required property 'type'")...)
			continue
		}
		if !types[typ] {
			out = append(out, msg(path+"/type", "Should be equal to one of the allowed values [metric, text, log, alarm, explorer, custom]")...)
			continue
		}
		var props map[string]json.RawMessage
		if err := json.Unmarshal(w["properties"], &props); err != nil {
			out = append(out, msg(path, "Should have required property 'properties'")...)
			continue
		}
		for _, dim := range []string{"x", "y", "width", "height"} {
			if v, ok := w[dim]; ok {
				var n float64
				if json.Unmarshal(v, &n) != nil || n < 0 {
					out = append(out, msg(path+"/"+dim, "Should be integer")...)
				}
			}
		}
		if typ == "text" {
			if _, ok := props["markdown"]; !ok {
				out = append(out, msg(path+"/properties", "Should have required property 'markdown'")...)
			}
		}
		if typ == "metric" {
			_, hasMetrics := props["metrics"]
			_, hasAnnot := props["annotations"]
			if !hasMetrics && !hasAnnot {
				out = append(out, msg(path+"/properties", "Should have at least one of the properties 'metrics' or 'annotations'")...)
			}
		}
	}
	return out
}

// PutDashboard creates or replaces a dashboard.
func (c *CloudWatch) PutDashboard(ctx *request.Context, in *cwapi.PutDashboardInput) (*cwapi.PutDashboardOutput, error) {
	name, body := ptr.Deref(in.DashboardName), ptr.Deref(in.DashboardBody)
	if !dashboardName.MatchString(name) {
		return nil, cwapi.ErrDashboardInvalidInputError.New("The value for field DashboardName contains invalid characters. It can only contain alphanumerics, dash (-) and underscore (_).")
	}
	if len(body) > maxDashboardBody {
		return nil, cwapi.ErrDashboardInvalidInputError.New("The dashboard body is larger than the maximum of 1 MB.")
	}
	if msgs := checkDashboardBody(body); len(msgs) > 0 {
		return nil, cwapi.ErrDashboardInvalidInputError.New("The input for the dashboard body is invalid").With("dashboardValidationMessages", validationMessagesValue(msgs))
	}
	sc := scope(ctx)
	err := c.store.Update(func(tx storage.Tx) error {
		if err := touchScope(tx, sc); err != nil {
			return err
		}
		return dashboardsT.Put(tx, storage.Global(sc.Account), dashboardRecord{Name: name, Body: body, Modified: ctx.Now()}, name)
	})
	if err != nil {
		return nil, err
	}
	return &cwapi.PutDashboardOutput{DashboardValidationMessages: []cwapi.DashboardValidationMessage{}}, nil
}

// validationMessagesValue is the error member in the codecs' dynamic
// value form (lists of maps).
func validationMessagesValue(msgs []cwapi.DashboardValidationMessage) []any {
	out := make([]any, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, map[string]any{"DataPath": ptr.Deref(m.DataPath), "Message": ptr.Deref(m.Message)})
	}
	return out
}

// GetDashboard reads a dashboard; dashboards are global to the account.
func (c *CloudWatch) GetDashboard(ctx *request.Context, in *cwapi.GetDashboardInput) (*cwapi.GetDashboardOutput, error) {
	name := ptr.Deref(in.DashboardName)
	var d dashboardRecord
	var ok bool
	if err := c.store.View(func(tx storage.Tx) error {
		var err error
		d, ok, err = dashboardsT.Get(tx, storage.Global(ctx.Account), name)
		return err
	}); err != nil {
		return nil, err
	}
	if !ok {
		return nil, cwapi.ErrDashboardNotFoundError.New("Dashboard %s does not exist", name)
	}
	return &cwapi.GetDashboardOutput{DashboardName: ptr.To(d.Name), DashboardBody: ptr.To(d.Body), DashboardArn: ptr.To(dashboardARN(scope(ctx), d.Name))}, nil
}

// ListDashboards lists dashboards by name prefix.
func (c *CloudWatch) ListDashboards(ctx *request.Context, in *cwapi.ListDashboardsInput) (*cwapi.ListDashboardsOutput, error) {
	after, err := decodeToken(in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &cwapi.ListDashboardsOutput{DashboardEntries: []cwapi.DashboardEntry{}}
	opts := storage.ListOptions{Partial: ptr.Deref(in.DashboardNamePrefix)}
	if after != "" {
		opts.After = []string{after}
	}
	err = c.store.View(func(tx storage.Tx) error {
		return dashboardsT.List(tx, storage.Global(ctx.Account), nil, opts, func(k []string, d dashboardRecord) bool {
			if len(out.DashboardEntries) == 1000 {
				out.NextToken = encodeToken(ptr.Deref(out.DashboardEntries[999].DashboardName))
				return false
			}
			out.DashboardEntries = append(out.DashboardEntries, cwapi.DashboardEntry{DashboardName: ptr.To(d.Name),
				DashboardArn: ptr.To(dashboardARN(scope(ctx), d.Name)), LastModified: ptr.To(d.Modified), Size: ptr.To(int64(len(d.Body)))})
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteDashboards deletes dashboards; one missing name fails the call.
func (c *CloudWatch) DeleteDashboards(ctx *request.Context, in *cwapi.DeleteDashboardsInput) (*cwapi.DeleteDashboardsOutput, error) {
	gs := storage.Global(ctx.Account)
	err := c.store.Update(func(tx storage.Tx) error {
		for _, n := range in.DashboardNames {
			if _, ok, err := dashboardsT.Get(tx, gs, n); err != nil {
				return err
			} else if !ok {
				return cwapi.ErrDashboardNotFoundError.New("Dashboard %s does not exist", n)
			}
		}
		for _, n := range in.DashboardNames {
			if err := dashboardsT.Delete(tx, gs, n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &cwapi.DeleteDashboardsOutput{}, nil
}

// ---- anomaly detectors (stored; no model is trained) ----

var anomalyT = storage.NewTable[cwapi.AnomalyDetector]("anomaly")

func anomalyKey(d cwapi.AnomalyDetector) string {
	b, _ := json.Marshal([]any{d.SingleMetricAnomalyDetector, d.MetricMathAnomalyDetector})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// normalizeDetector fills SingleMetricAnomalyDetector from the legacy
// top-level members and checks the combination.
func normalizeDetector(ns, name *string, dims []cwapi.Dimension, stat *string, single *cwapi.SingleMetricAnomalyDetector, math *cwapi.MetricMathAnomalyDetector) (cwapi.AnomalyDetector, error) {
	legacy := ns != nil || name != nil || dims != nil || stat != nil
	if (legacy && (single != nil || math != nil)) || (single != nil && math != nil) {
		return cwapi.AnomalyDetector{}, errCombination.New("Specify exactly one of SingleMetricAnomalyDetector, MetricMathAnomalyDetector, or the Namespace, MetricName, Dimensions and Stat members.")
	}
	if legacy {
		single = &cwapi.SingleMetricAnomalyDetector{Namespace: ns, MetricName: name, Dimensions: dims, Stat: stat}
	}
	if single == nil && math == nil {
		return cwapi.AnomalyDetector{}, errMissing.New("The anomaly detector must specify a metric.")
	}
	d := cwapi.AnomalyDetector{SingleMetricAnomalyDetector: single, MetricMathAnomalyDetector: math}
	if single != nil {
		if single.Namespace == nil || single.MetricName == nil || single.Stat == nil {
			return d, errMissing.New("The parameters Namespace, MetricName and Stat are required.")
		}
		if !validStat(*single.Stat) {
			return d, invalidValue(*single.Stat, "Stat")
		}
		single.Dimensions = apiDims(sortDims(single.Dimensions))
		d.Namespace, d.MetricName, d.Dimensions, d.Stat = single.Namespace, single.MetricName, single.Dimensions, single.Stat
	}
	if math != nil {
		if _, err := checkQueries(math.MetricDataQueries, "MetricMathAnomalyDetector.MetricDataQueries", time.Time{}, time.Time{}.Add(time.Nanosecond)); err != nil {
			return d, err
		}
	}
	return d, nil
}

// PutAnomalyDetector stores an anomaly detector. niwa trains no model:
// the detector reports PENDING_TRAINING.
func (c *CloudWatch) PutAnomalyDetector(ctx *request.Context, in *cwapi.PutAnomalyDetectorInput) (*cwapi.PutAnomalyDetectorOutput, error) {
	d, err := normalizeDetector(in.Namespace, in.MetricName, in.Dimensions, in.Stat, in.SingleMetricAnomalyDetector, in.MetricMathAnomalyDetector)
	if err != nil {
		return nil, err
	}
	d.Configuration, d.MetricCharacteristics = in.Configuration, in.MetricCharacteristics
	d.StateValue = ptr.To("PENDING_TRAINING")
	sc := scope(ctx)
	err = c.store.Update(func(tx storage.Tx) error {
		return anomalyT.Put(tx, sc, d, anomalyKey(d))
	})
	if err != nil {
		return nil, err
	}
	return &cwapi.PutAnomalyDetectorOutput{}, nil
}

// DeleteAnomalyDetector deletes one.
func (c *CloudWatch) DeleteAnomalyDetector(ctx *request.Context, in *cwapi.DeleteAnomalyDetectorInput) (*cwapi.DeleteAnomalyDetectorOutput, error) {
	d, err := normalizeDetector(in.Namespace, in.MetricName, in.Dimensions, in.Stat, in.SingleMetricAnomalyDetector, in.MetricMathAnomalyDetector)
	if err != nil {
		return nil, err
	}
	err = c.store.Update(func(tx storage.Tx) error {
		ok, err := anomalyT.DeleteExisting(tx, scope(ctx), anomalyKey(d))
		if err == nil && !ok {
			return cwapi.ErrResourceNotFoundException.New("This anomaly detection model does not exist.")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &cwapi.DeleteAnomalyDetectorOutput{}, nil
}

// DescribeAnomalyDetectors lists detectors by metric.
func (c *CloudWatch) DescribeAnomalyDetectors(ctx *request.Context, in *cwapi.DescribeAnomalyDetectorsInput) (*cwapi.DescribeAnomalyDetectorsOutput, error) {
	types := map[string]bool{}
	for _, t := range in.AnomalyDetectorTypes {
		types[t] = true
	}
	want := dimsKey(sortDims(in.Dimensions))
	out := &cwapi.DescribeAnomalyDetectorsOutput{AnomalyDetectors: []cwapi.AnomalyDetector{}}
	err := c.store.View(func(tx storage.Tx) error {
		return anomalyT.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, d cwapi.AnomalyDetector) bool {
			typ := "SINGLE_METRIC"
			if d.MetricMathAnomalyDetector != nil {
				typ = "METRIC_MATH"
			}
			if len(types) > 0 && !types[typ] {
				return true
			}
			if (in.Namespace != nil && ptr.Deref(d.Namespace) != *in.Namespace) || (in.MetricName != nil && ptr.Deref(d.MetricName) != *in.MetricName) ||
				(in.Dimensions != nil && dimsKey(sortDims(d.Dimensions)) != want) {
				return true
			}
			out.AnomalyDetectors = append(out.AnomalyDetectors, d)
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ---- Contributor Insights rules (stored; no log events are analysed) ----

type insightRule struct {
	Name       string `json:"n"`
	State      string `json:"s"`
	Definition string `json:"d"`
}

var insightT = storage.NewTable[insightRule]("insight")

var insightName = lazyre.New(`^[\x20-\x7E]{1,128}$`)

// PutInsightRule creates or replaces a rule after checking its
// definition is a JSON object with a Schema.
func (c *CloudWatch) PutInsightRule(ctx *request.Context, in *cwapi.PutInsightRuleInput) (*cwapi.PutInsightRuleOutput, error) {
	name, def := ptr.Deref(in.RuleName), ptr.Deref(in.RuleDefinition)
	if !insightName.MatchString(name) {
		return nil, invalidValue(name, "RuleName")
	}
	var doc struct {
		Schema *struct {
			Name    string `json:"Name"`
			Version int    `json:"Version"`
		} `json:"Schema"`
	}
	if json.Unmarshal([]byte(def), &doc) != nil || doc.Schema == nil || doc.Schema.Name != "CloudWatchLogRule" {
		return nil, errInvalidValue.New("The value for parameter RuleDefinition is invalid: it must be a JSON rule with Schema {\"Name\": \"CloudWatchLogRule\", \"Version\": 1}.")
	}
	state := ptr.Deref(in.RuleState)
	if state == "" {
		state = "ENABLED"
	}
	if state != "ENABLED" && state != "DISABLED" {
		return nil, invalidValue(state, "RuleState")
	}
	tags, err := tagMap(in.Tags)
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	err = c.store.Update(func(tx storage.Tx) error {
		if err := insightT.Put(tx, sc, insightRule{Name: name, State: state, Definition: def}, name); err != nil {
			return err
		}
		if tags != nil {
			return tagsT.Put(tx, sc, tags, insightRuleARN(sc, name))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &cwapi.PutInsightRuleOutput{}, nil
}

// DescribeInsightRules lists rules.
func (c *CloudWatch) DescribeInsightRules(ctx *request.Context, in *cwapi.DescribeInsightRulesInput) (*cwapi.DescribeInsightRulesOutput, error) {
	out := &cwapi.DescribeInsightRulesOutput{InsightRules: []cwapi.InsightRule{}}
	err := c.store.View(func(tx storage.Tx) error {
		return insightT.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, r insightRule) bool {
			out.InsightRules = append(out.InsightRules, cwapi.InsightRule{Name: ptr.To(r.Name), State: ptr.To(r.State),
				Schema: ptr.To("CloudWatchLogRule/1"), Definition: ptr.To(r.Definition), ManagedRule: ptr.To(false)})
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (c *CloudWatch) eachRule(ctx *request.Context, names []string, fn func(tx storage.Tx, sc storage.Scope, r insightRule) error) ([]cwapi.PartialFailure, error) {
	failures := []cwapi.PartialFailure{}
	sc := scope(ctx)
	err := c.store.Update(func(tx storage.Tx) error {
		for _, n := range names {
			r, ok, err := insightT.Get(tx, sc, n)
			if err != nil {
				return err
			}
			if !ok {
				failures = append(failures, cwapi.PartialFailure{FailureResource: ptr.To(n), ExceptionType: ptr.To("ResourceNotFoundException"),
					FailureCode: ptr.To("404"), FailureDescription: ptr.To("Rule " + n + " does not exist")})
				continue
			}
			if err := fn(tx, sc, r); err != nil {
				return err
			}
		}
		return nil
	})
	return failures, err
}

// DeleteInsightRules deletes rules, reporting missing ones as failures.
func (c *CloudWatch) DeleteInsightRules(ctx *request.Context, in *cwapi.DeleteInsightRulesInput) (*cwapi.DeleteInsightRulesOutput, error) {
	f, err := c.eachRule(ctx, in.RuleNames, func(tx storage.Tx, sc storage.Scope, r insightRule) error {
		if err := insightT.Delete(tx, sc, r.Name); err != nil {
			return err
		}
		return tagsT.Delete(tx, sc, insightRuleARN(sc, r.Name))
	})
	if err != nil {
		return nil, err
	}
	return &cwapi.DeleteInsightRulesOutput{Failures: f}, nil
}

// EnableInsightRules enables rules.
func (c *CloudWatch) EnableInsightRules(ctx *request.Context, in *cwapi.EnableInsightRulesInput) (*cwapi.EnableInsightRulesOutput, error) {
	f, err := c.eachRule(ctx, in.RuleNames, func(tx storage.Tx, sc storage.Scope, r insightRule) error {
		r.State = "ENABLED"
		return insightT.Put(tx, sc, r, r.Name)
	})
	if err != nil {
		return nil, err
	}
	return &cwapi.EnableInsightRulesOutput{Failures: f}, nil
}

// DisableInsightRules disables rules.
func (c *CloudWatch) DisableInsightRules(ctx *request.Context, in *cwapi.DisableInsightRulesInput) (*cwapi.DisableInsightRulesOutput, error) {
	f, err := c.eachRule(ctx, in.RuleNames, func(tx storage.Tx, sc storage.Scope, r insightRule) error {
		r.State = "DISABLED"
		return insightT.Put(tx, sc, r, r.Name)
	})
	if err != nil {
		return nil, err
	}
	return &cwapi.DisableInsightRulesOutput{Failures: f}, nil
}

// ---- metric streams ----

// errNoStreams is the answer of every metric stream operation: a stream
// delivers to Kinesis Data Firehose, which niwa does not have.
func errNoStreams(op string) error {
	return awserr.NotImplemented.New("niwa does not implement CloudWatch.%s: metric streams deliver to Amazon Data Firehose, which niwa does not have", op)
}

// PutMetricStream answers NotImplemented with the reason.
func (c *CloudWatch) PutMetricStream(ctx *request.Context, in *cwapi.PutMetricStreamInput) (*cwapi.PutMetricStreamOutput, error) {
	return nil, errNoStreams("PutMetricStream")
}

// GetMetricStream answers NotImplemented with the reason.
func (c *CloudWatch) GetMetricStream(ctx *request.Context, in *cwapi.GetMetricStreamInput) (*cwapi.GetMetricStreamOutput, error) {
	return nil, errNoStreams("GetMetricStream")
}

// ListMetricStreams answers NotImplemented with the reason.
func (c *CloudWatch) ListMetricStreams(ctx *request.Context, in *cwapi.ListMetricStreamsInput) (*cwapi.ListMetricStreamsOutput, error) {
	return nil, errNoStreams("ListMetricStreams")
}

// DeleteMetricStream answers NotImplemented with the reason.
func (c *CloudWatch) DeleteMetricStream(ctx *request.Context, in *cwapi.DeleteMetricStreamInput) (*cwapi.DeleteMetricStreamOutput, error) {
	return nil, errNoStreams("DeleteMetricStream")
}

// StartMetricStreams answers NotImplemented with the reason.
func (c *CloudWatch) StartMetricStreams(ctx *request.Context, in *cwapi.StartMetricStreamsInput) (*cwapi.StartMetricStreamsOutput, error) {
	return nil, errNoStreams("StartMetricStreams")
}

// StopMetricStreams answers NotImplemented with the reason.
func (c *CloudWatch) StopMetricStreams(ctx *request.Context, in *cwapi.StopMetricStreamsInput) (*cwapi.StopMetricStreamsOutput, error) {
	return nil, errNoStreams("StopMetricStreams")
}
