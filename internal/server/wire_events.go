package server

import (
	"github.com/niwa-cloud/niwa/internal/service/events"
)

// wireEvents wires EventBridge: the service, its subscription to the facts
// other services publish (EC2 state changes, S3 notifications), and the
// "events" namespace handler through which rules of one bus deliver to
// another bus. Clients calling it "events" (CloudWatch Events) or
// "eventbridge" reach it alike: both sign for "events" and send
// X-Amz-Target AWSEvents.*.
func wireEvents(d *deps) (*wiring, error) {
	store, err := d.store("events")
	if err != nil {
		return nil, err
	}
	svc := events.New(store, d.bus, d.clock, events.WithLogger(d.log.With("service", "events")))
	cancel := svc.Subscribe()
	d.bus.Handle("events", svc.Handler())
	decl := svc.Declare()
	decl.Close = func() error {
		cancel()
		return svc.Close()
	}
	return &wiring{Declaration: decl}, nil
}
