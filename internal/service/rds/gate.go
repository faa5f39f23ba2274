package rds

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/niwa-cloud/niwa/internal/dbengine"
	"github.com/niwa-cloud/niwa/internal/netpos"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// The endpoint: an instance's server listens on a private port of its
// own (its data directory's socket and a loopback port niwa picks), and
// niwa listens on the endpoint's port in front of it. Each connection
// accepted there is first put to the gate — the network component's
// decision on the instance's security groups and public accessibility —
// then passed through to the server byte for byte. A refused connection
// is held open and silent, as AWS never answers it: the client's
// connect timeout ends it.

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

// serveEndpoint accepts connections on the endpoint until ln closes
// (the server stopped), passing admitted ones to the server's own port.
func (s *RDS) serveEndpoint(ln net.Listener, r instanceRec, backend int) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			if !s.Admit(c, r.Account, r.Region, r.ID) {
				if s.gate != nil {
					s.gate.Hold(c)
				}
				_ = c.Close()
				return
			}
			pass(c, net.JoinHostPort("127.0.0.1", strconv.Itoa(backend)))
		}()
	}
}

// openEndpoint listens on the instance's endpoint port in front of srv,
// whose own port is backend, until srv exits.
func (s *RDS) openEndpoint(r instanceRec, srv *dbengine.Server, backend int) error {
	ln := s.takeReserved(r.Port)
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(int(r.Port)))); err != nil {
			return fmt.Errorf("the instance's endpoint port %d is taken on this machine (by another process while niwa was down?): %w", r.Port, err)
		}
	}
	go s.serveEndpoint(ln, r, backend)
	go func() {
		<-srv.Done()
		_ = ln.Close()
	}()
	return nil
}

// pass copies both ways between client and the server at addr until
// either side closes.
func pass(client net.Conn, addr string) {
	defer func() { _ = client.Close() }()
	up, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return
	}
	defer func() { _ = up.Close() }()
	done := make(chan struct{}, 2)
	half := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		if c, ok := dst.(*net.TCPConn); ok {
			_ = c.CloseWrite()
		}
		done <- struct{}{}
	}
	go half(up, client)
	go half(client, up)
	<-done
	<-done
}
