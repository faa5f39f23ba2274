package server

import (
	"context"
	"errors"
	"net/http"
	"os"
	"time"

	"github.com/niwa-cloud/niwa/internal/instances"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/netpos"
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
		// How long a Reachability Analyzer analysis runs.
		AnalysisDelay: envDuration("NIWA_EC2_ANALYSIS_DELAY"),
	}
	opts.Log = d.log
	// Transit gateway route exports are written to S3 as the caller.
	opts.Objects = d.objectStore()
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
	// The route evaluator answers in niwa's default account and region.
	decl.Routes = append(decl.Routes, kit.Route{
		Name:    "ec2-route",
		Match:   func(r *http.Request) bool { return r.URL.Path == ec2.RoutePath },
		Handler: svc.RouteHandler(DefaultAccount, d.cfg.Region),
	})
	// Routes announced over BGP (dynamic VPN, Direct Connect), which no
	// router on the far side can announce in niwa.
	decl.Routes = append(decl.Routes, kit.Route{
		Name:    "ec2-bgp",
		Match:   func(r *http.Request) bool { return r.URL.Path == ec2.BGPPath },
		Handler: svc.BGPHandler(DefaultAccount, d.cfg.Region),
	})
	// The egress proxy (network position and egress) decides from EC2's
	// state; its latest decisions are served at /_niwa/egress.
	egress := d.egressProxy()
	decl.Routes = append(decl.Routes, kit.Route{
		Name:    "egress",
		Match:   func(r *http.Request) bool { return r.URL.Path == egressPath },
		Handler: egressHandler(egress),
	})
	// Instance processes leave through the same proxy as Lambda
	// functions in a VPC.
	rt.SetEgress(instanceEgress{egress})
	closeEC2 := decl.Close
	decl.Close = func() error {
		err := egress.Close()
		if closeEC2 != nil {
			err = errors.Join(closeEC2(), err)
		}
		_ = rt.Close()
		cleanup()
		return err
	}
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

// instanceEgress gives instance processes their network position's
// proxy settings (netpos), in the runtime's own terms.
type instanceEgress struct{ p *netpos.Proxy }

func (e instanceEgress) Env(ctx context.Context, p instances.Position) ([]string, error) {
	return e.p.Env(ctx, netposition(p))
}

// Release frees the host address of a stopped instance's private IP.
func (e instanceEgress) Release(p instances.Position) error {
	return e.p.Release(netposition(p))
}

func netposition(p instances.Position) netpos.Position {
	return netpos.Position{Account: p.Account, Region: p.Region, VpcID: p.VpcID, SubnetID: p.SubnetID,
		SecurityGroupIDs: p.SecurityGroups, PrivateIP: p.PrivateIP, PublicIP: p.PublicIP}
}
