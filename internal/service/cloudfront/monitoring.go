package cloudfront

import (
	cfapi "github.com/niwa-cloud/niwa/internal/api/cloudfront"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Monitoring subscriptions turn on CloudFront's additional real-time
// metrics for a distribution. niwa keeps the subscription (one per
// distribution, as AWS does); the metrics niwa's edge publishes do not
// change with it (docs/cloudfront.md).
var monitoring = storage.NewTable[cfapi.MonitoringSubscription]("monitoring")

func noSuchMonitoring() error {
	return cfapi.ErrNoSuchMonitoringSubscription.New("A monitoring subscription does not exist for the specified distribution.")
}

// CreateMonitoringSubscription20200531 subscribes a distribution.
func (s *CloudFront) CreateMonitoringSubscription20200531(ctx *request.Context, in *cfapi.CreateMonitoringSubscriptionRequest) (*cfapi.CreateMonitoringSubscriptionResult, error) {
	m := in.MonitoringSubscription
	if m == nil || m.RealtimeMetricsSubscriptionConfig == nil {
		return nil, missingBody()
	}
	switch ptr.Deref(m.RealtimeMetricsSubscriptionConfig.RealtimeMetricsSubscriptionStatus) {
	case "Enabled", "Disabled":
	default:
		return nil, cfapi.ErrInvalidArgument.New("Invalid request provided: RealtimeMetricsSubscriptionStatus must be Enabled or Disabled.")
	}
	id := ptr.Deref(in.DistributionId)
	err := s.opt.Store.Update(func(tx storage.Tx) error {
		if _, ok, err := dists.Get(tx, scope(ctx), id); err != nil || !ok {
			return errOr(err, noSuchDistribution)
		}
		if _, ok, err := monitoring.Get(tx, scope(ctx), id); err != nil || ok {
			return errOr(err, func() error {
				return cfapi.ErrMonitoringSubscriptionAlreadyExists.New("A monitoring subscription already exists for the specified distribution.")
			})
		}
		return monitoring.Put(tx, scope(ctx), *m, id)
	})
	if err != nil {
		return nil, err
	}
	return &cfapi.CreateMonitoringSubscriptionResult{MonitoringSubscription: m}, nil
}

// GetMonitoringSubscription20200531 answers a distribution's subscription.
func (s *CloudFront) GetMonitoringSubscription20200531(ctx *request.Context, in *cfapi.GetMonitoringSubscriptionRequest) (*cfapi.GetMonitoringSubscriptionResult, error) {
	var m cfapi.MonitoringSubscription
	err := s.opt.Store.View(func(tx storage.Tx) error {
		id := ptr.Deref(in.DistributionId)
		if _, ok, err := dists.Get(tx, scope(ctx), id); err != nil || !ok {
			return errOr(err, noSuchDistribution)
		}
		var ok bool
		var err error
		if m, ok, err = monitoring.Get(tx, scope(ctx), id); err != nil || !ok {
			return errOr(err, noSuchMonitoring)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &cfapi.GetMonitoringSubscriptionResult{MonitoringSubscription: &m}, nil
}

// DeleteMonitoringSubscription20200531 unsubscribes a distribution.
func (s *CloudFront) DeleteMonitoringSubscription20200531(ctx *request.Context, in *cfapi.DeleteMonitoringSubscriptionRequest) (*cfapi.DeleteMonitoringSubscription20200531Output, error) {
	err := s.opt.Store.Update(func(tx storage.Tx) error {
		id := ptr.Deref(in.DistributionId)
		if _, ok, err := dists.Get(tx, scope(ctx), id); err != nil || !ok {
			return errOr(err, noSuchDistribution)
		}
		if found, err := monitoring.DeleteExisting(tx, scope(ctx), id); err != nil || !found {
			return errOr(err, noSuchMonitoring)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &cfapi.DeleteMonitoringSubscription20200531Output{}, nil
}
