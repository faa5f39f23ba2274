package sqs

import (
	"sync"
	"time"

	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Queue metrics: every minute of the clock SQS publishes, per queue, the
// gauges AWS publishes in AWS/SQS (dimension QueueName):
// ApproximateNumberOfMessagesVisible, ApproximateNumberOfMessagesNotVisible,
// ApproximateNumberOfMessagesDelayed and ApproximateAgeOfOldestMessage,
// through the bus (CloudWatch stores them; SQS never imports it).

// MetricsInterval is how often queue metrics are published (AWS: every
// minute).
const MetricsInterval = time.Minute

// MetricsPublisher publishes queue metrics on the clock until Stop.
type MetricsPublisher struct {
	s     *SQS
	bus   *events.Bus
	mu    sync.Mutex
	timer clock.Timer
	stop  bool
}

// StartMetrics starts publishing queue metrics to bus every interval.
func (s *SQS) StartMetrics(bus *events.Bus, interval time.Duration) *MetricsPublisher {
	if interval <= 0 {
		interval = MetricsInterval
	}
	p := &MetricsPublisher{s: s, bus: bus}
	p.arm(interval)
	return p
}

func (p *MetricsPublisher) arm(interval time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stop {
		return
	}
	p.timer = p.s.clock.AfterFunc(interval, func() {
		// A failed pass is retried at the next tick; the store error is
		// all there is to report, and the gauges have no other reader.
		_ = p.s.PublishQueueMetrics(p.bus)
		p.arm(interval)
	})
}

// Stop stops publishing.
func (p *MetricsPublisher) Stop() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stop = true
	if p.timer != nil {
		p.timer.Stop()
	}
	return nil
}

// PublishQueueMetrics publishes one sample of every queue's gauges.
func (s *SQS) PublishQueueMetrics(bus *events.Bus) error {
	now := s.clock.Now()
	type sample struct {
		ref                        queueRef
		visible, inflight, delayed int
		oldest                     time.Time
	}
	var samples []sample
	err := s.store.View(func(tx storage.Tx) error {
		// The queues of every account and region: their keys are
		// (account, region, "queue", name).
		var refs []queueRef
		if err := tx.Scan(nil, storage.ScanOptions{}, func(k, _ []byte) bool {
			parts, err := storage.SplitKey(k)
			if err == nil && len(parts) == 4 && parts[2] == queues.Name() {
				refs = append(refs, queueRef{scope: storage.Scope{Account: parts[0], Region: parts[1]}, name: parts[3]})
			}
			return true
		}); err != nil {
			return err
		}
		for _, ref := range refs {
			q, found, err := queues.Get(tx, ref.scope, ref.name)
			if err != nil {
				return err
			}
			if !found {
				continue
			}
			retention := time.Duration(q.intAttr("MessageRetentionPeriod")) * time.Second
			smp := sample{ref: ref}
			if err := scanMessages(tx, ref, false, func(_ string, m msgHead, _ []byte) (bool, error) {
				switch {
				case !m.Sent.Add(retention).After(now):
					return true, nil
				case m.VisibleAt.After(now) && m.Received:
					smp.inflight++
				case m.VisibleAt.After(now):
					smp.delayed++
				default:
					smp.visible++
				}
				if smp.oldest.IsZero() || m.Sent.Before(smp.oldest) {
					smp.oldest = m.Sent
				}
				return true, nil
			}); err != nil {
				return err
			}
			samples = append(samples, smp)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, smp := range samples {
		dims := map[string]string{"QueueName": smp.ref.name}
		age := 0.0
		if !smp.oldest.IsZero() {
			age = now.Sub(smp.oldest).Seconds()
		}
		metric := func(name string, v float64, unit string) events.Metric {
			return events.Metric{Namespace: "AWS/SQS", Name: name, Dimensions: dims, Value: v, Unit: unit, Time: now}
		}
		bus.PublishMetrics(smp.ref.scope.Account, smp.ref.scope.Region,
			metric("ApproximateNumberOfMessagesVisible", float64(smp.visible), "Count"),
			metric("ApproximateNumberOfMessagesNotVisible", float64(smp.inflight), "Count"),
			metric("ApproximateNumberOfMessagesDelayed", float64(smp.delayed), "Count"),
			metric("ApproximateAgeOfOldestMessage", age, "Seconds"))
	}
	return nil
}
