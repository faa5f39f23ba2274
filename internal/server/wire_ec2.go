package server

import (
	"github.com/niwa-cloud/niwa/internal/kit"
	"net/http"
	"os"
	"time"

	"github.com/niwa-cloud/niwa/internal/service/ec2"
)

// wireEC2 wires EC2 and VPC. The instance state delays come from
// NIWA_EC2_BOOT_DELAY and NIWA_EC2_STOP_DELAY (Go durations) so scripts
// can shorten them; the route evaluator is served at /_niwa/ec2/route.
func wireEC2(d *deps) (*wiring, error) {
	store, err := d.store("ec2")
	if err != nil {
		return nil, err
	}
	opts := ec2.Options{
		BootDelay: envDuration("NIWA_EC2_BOOT_DELAY"),
		StopDelay: envDuration("NIWA_EC2_STOP_DELAY"),
		NatDelay:  envDuration("NIWA_EC2_NAT_DELAY"),
	}
	opts.Log = d.log
	svc, err := ec2.New(store, d.bus, d.clock, opts)
	if err != nil {
		return nil, err
	}
	d.ec2 = svc
	rt, cleanup, err := wireInstances(d, svc)
	if err != nil {
		return nil, err
	}
	svc.SetRuntime(rt)
	d.instances = rt
	// Instances that ran when niwa stopped boot again once niwa listens
	// (their processes are given its endpoint); user data does not
	// rerun: its first-boot marker is in their directory.
	d.onServe = append(d.onServe, func() {
		if err := rt.Resume(); err != nil {
			d.log.Warn("ec2: resuming instances", "err", err)
		}
	})
	decl := svc.Declare()
	decl.Routes = append(decl.Routes, identityCertRoute(rt))
	closeEC2 := decl.Close
	decl.Close = func() error {
		var err error
		if closeEC2 != nil {
			err = closeEC2()
		}
		_ = rt.Close()
		cleanup()
		return err
	}
	// The route evaluator answers in niwa's default account and region.
	decl.Routes = append(decl.Routes, kit.Route{
		Name:    "ec2-route",
		Match:   func(r *http.Request) bool { return r.URL.Path == ec2.RoutePath },
		Handler: svc.RouteHandler(DefaultAccount, d.cfg.Region),
	})
	return &wiring{Declaration: decl}, nil
}

// envDuration reads a duration setting; unset or invalid means the
// default (zero).
func envDuration(name string) time.Duration {
	v, err := time.ParseDuration(os.Getenv(name))
	if err != nil {
		return 0
	}
	return v
}
