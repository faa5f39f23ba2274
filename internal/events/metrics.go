package events

import "time"

// Metric is one data point a service publishes in its AWS/ namespace, as
// AWS services publish theirs to CloudWatch (AWS/Lambda Invocations,
// AWS/SQS ApproximateNumberOfMessagesVisible, ...). Services publish them
// here, never by importing CloudWatch.
type Metric struct {
	Namespace  string
	Name       string
	Dimensions map[string]string
	Value      float64
	// Unit is a CloudWatch unit ("Count", "Milliseconds"); empty is None.
	Unit string
	Time time.Time
	// Stats, when set, is the statistic set of many samples (a
	// MetricAggregator's minute); Value is then ignored.
	Stats *MetricStats
}

// MetricSink stores published metrics for an account and region.
type MetricSink func(account, region string, ms []Metric)

// HandleMetrics makes sink the receiver of published metrics (CloudWatch
// registers itself); a later registration replaces an earlier.
func (b *Bus) HandleMetrics(sink MetricSink) {
	b.mu.Lock()
	b.metrics = sink
	b.mu.Unlock()
}

// PublishMetrics hands ms to the metric sink, if any, in the caller's
// goroutine. Without a sink (CloudWatch not wired) they are dropped.
func (b *Bus) PublishMetrics(account, region string, ms ...Metric) {
	if b == nil || len(ms) == 0 {
		return
	}
	b.mu.RLock()
	sink := b.metrics
	b.mu.RUnlock()
	if sink != nil {
		sink(account, region, ms)
	}
}
