package server

import (
	"github.com/niwa-cloud/niwa/internal/service/scheduler"
)

// wireScheduler wires EventBridge Scheduler. Deliveries go through the
// internal bus like EventBridge's; each is checked against the schedule's
// execution role by the same engine as Lambda's execution roles (nothing
// is checked with IAM enforcement off).
func wireScheduler(d *deps) (*wiring, error) {
	store, err := d.store("scheduler")
	if err != nil {
		return nil, err
	}
	opts := []scheduler.Option{scheduler.WithLogger(d.log.With("service", "scheduler"))}
	if ra := lambdaRoleAccess(d); ra != nil {
		opts = append(opts, scheduler.WithRoleAccess(scheduler.RoleAccess(ra)))
	}
	svc := scheduler.New(store, d.bus, d.clock, opts...)
	return &wiring{Declaration: svc.Declare()}, nil
}
