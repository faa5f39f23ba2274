package rds

import (
	"errors"
	"net"

	"github.com/niwa-cloud/niwa/internal/netpos"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// The endpoint: an instance's server listens on a private port of its
// own, and niwa's front (internal/dbfront: IAM database authentication,
// iamauth.go) listens on the endpoint's port in front of it. Each
// connection accepted there is first put to the gate — the network
// component's decision on the security groups and public accessibility
// of the instance, cluster or proxy — before the front speaks to it. A
// refused connection is held open and silent, as AWS never answers it:
// the client's connect timeout ends it.

// Gate decides at accept time whether a connection to a DB instance's
// endpoint may reach its server (internal/netpos: the source workload
// or niwa's host, the instance's VPC security groups, subnet ACLs and
// PubliclyAccessible). nil admits every connection.
type Gate interface {
	Admit(conn net.Conn, dst netpos.Host, port int) (netpos.Decision, error)
	Hold(conn net.Conn)
}

// host is the instance as the network component sees it: its VPC is
// its subnet group's (the subnet of its Availability Zone, else the
// group's first); an instance without a subnet group is in no VPC.
func (s *RDS) host(tx storage.Tx, r instanceRec) (netpos.Host, error) {
	h := netpos.Host{Account: r.Account, Region: r.Region, Kind: "db-instance", ID: r.ID,
		SecurityGroupIDs: r.VpcSecurityGroups, Public: r.PubliclyAccessible}
	if r.SubnetGroup == "" {
		return h, nil
	}
	g, ok, err := subnetGroups.Get(tx, storage.Scope{Account: r.Account, Region: r.Region}, r.SubnetGroup)
	if err != nil || !ok || len(g.Subnets) == 0 {
		return h, err
	}
	h.SubnetID = g.Subnets[0].ID
	for _, sn := range g.Subnets {
		if sn.AZ == r.AvailabilityZone {
			h.SubnetID = sn.ID
			break
		}
	}
	return h, nil
}

// Admit is the accept-time check of a connection to the instance
// (account, region, id) on its endpoint port: true lets it reach the
// server. A refused connection is the caller's to hold (Gate.Hold) or
// close. A front of another kind on the endpoint (a protocol-aware
// proxy) calls it the same way before speaking to the client.
func (s *RDS) Admit(conn net.Conn, account, region, id string) bool {
	if s.gate == nil {
		return true
	}
	var h netpos.Host
	var port int
	err := s.store.View(func(tx storage.Tx) error {
		r, ok, err := instances.Get(tx, anywhere, account, region, id)
		if err != nil || !ok {
			return errors.Join(err, errNotRunning)
		}
		// The rules name the port the instance has on AWS, which niwa's
		// listener may differ from (the port was taken on the machine).
		port = int(r.AskedPort)
		if port == 0 {
			port = int(defaultPort(r.Engine))
		}
		h, err = s.host(tx, r)
		return err
	})
	if err != nil {
		s.log.Warn("rds: endpoint gate", "instance", id, "err", err)
		return false
	}
	d, err := s.gate.Admit(conn, h, port)
	if err != nil {
		s.log.Warn("rds: endpoint gate", "instance", id, "err", err)
		return false
	}
	return d.Reachable
}

// admitTo is the front's accept-time check for the endpoint of at (an
// instance, a cluster or a proxy): the gate decides as for an instance,
// with the cluster's or the proxy's security groups and subnets. A
// refused connection is held silent in its own goroutine (the front's
// accept loop goes on), so the client times out as on AWS.
func (s *RDS) admitTo(at authTarget) func(net.Conn) bool {
	return func(c net.Conn) bool {
		if s.gate == nil {
			return true
		}
		ok := false
		switch at.kind {
		case "db":
			ok = s.Admit(c, at.account, at.region, at.id)
		default:
			ok = s.admitHost(c, at)
		}
		if !ok {
			go s.gate.Hold(c)
		}
		return ok
	}
}

// admitHost decides for a cluster's or a proxy's endpoint.
func (s *RDS) admitHost(c net.Conn, at authTarget) bool {
	h := netpos.Host{Account: at.account, Region: at.region, Kind: "db-" + at.kind, ID: at.id}
	var port int
	err := s.store.View(func(tx storage.Tx) error {
		var subnetGroup string
		switch at.kind {
		case "cluster":
			cl, ok, err := clusters.Get(tx, anywhere, at.account, at.region, at.id)
			if err != nil || !ok {
				return errors.Join(err, errNotRunning)
			}
			h.SecurityGroupIDs, subnetGroup, port = cl.VpcSecurityGroups, cl.SubnetGroup, int(cl.Port)
		case "proxy":
			p, ok, err := proxies.Get(tx, anywhere, at.account, at.region, at.id)
			if err != nil || !ok {
				return errors.Join(err, errNotRunning)
			}
			h.SecurityGroupIDs, port = p.SecurityGroups, int(p.Port)
			if len(p.Subnets) > 0 {
				h.SubnetID = p.Subnets[0]
			}
			return nil
		}
		if subnetGroup == "" {
			return nil
		}
		g, ok, err := subnetGroups.Get(tx, storage.Scope{Account: at.account, Region: at.region}, subnetGroup)
		if err != nil || !ok || len(g.Subnets) == 0 {
			return err
		}
		h.SubnetID = g.Subnets[0].ID
		return nil
	})
	if err != nil {
		s.log.Warn("rds: endpoint gate", at.kind, at.id, "err", err)
		return false
	}
	d, err := s.gate.Admit(c, h, port)
	if err != nil {
		s.log.Warn("rds: endpoint gate", at.kind, at.id, "err", err)
		return false
	}
	return d.Reachable
}
