package server

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"path/filepath"
	"sync"
	"time"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/authz"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ca"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/netpos"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2"
)

// egressProxy is niwa's one egress component (internal/netpos), made
// once: Lambda functions (and instance processes) get its Env, EC2 is
// its network, the gateway serves what it hands in (SetGateway once the
// gateway exists), niwa's CA signs its HTTPS tunnels to niwa's names.
func (d *deps) egressProxy() *netpos.Proxy {
	if d.egress != nil {
		return d.egress
	}
	var network netpos.Network = noNetwork{}
	if d.ec2 != nil {
		network = egressNetwork{ec2: d.ec2, clock: d.clock, log: d.log}
	}
	certs := &tunnelCerts{d: d, certs: map[string]*tls.Certificate{}}
	// The listeners are for processes on this machine: loopback, whatever
	// address niwa itself serves on.
	// Instances' host addresses are kept with niwa's state when it is
	// durable, so an instance keeps its address across restarts.
	file := ""
	if d.cfg.DataDir != "" {
		file = filepath.Join(d.cfg.DataDir, "netpos", "host-addresses.json")
	}
	addrs, err := netpos.NewAddresses(file)
	if err != nil {
		d.log.Warn("egress: host address table unreadable, starting empty", "file", file, "err", err)
		addrs, _ = netpos.NewAddresses("")
	}
	// Names of a VPC's private zones and instances resolve as its
	// resolver answers them (wireVPCNames sets vpcLookup, after this).
	lookup := func(pos netpos.Position, host string) (netip.Addr, bool, error) {
		if d.vpcLookup == nil {
			return netip.Addr{}, false, nil
		}
		return d.vpcLookup(pos.Account, pos.Region, pos.VpcID, host)
	}
	d.egress = netpos.New(netpos.Options{Network: network, Endpoint: d.endpoint, Certs: certs.get, Log: d.log, Addresses: addrs, Lookup: lookup})
	return d.egress
}

// egressNetwork adapts EC2 to netpos.Network.
type egressNetwork struct {
	ec2   *ec2.EC2
	clock clock.Clock
	log   *slog.Logger
}

func (n egressNetwork) Route(account, region, subnetID string, dst netip.Addr) (netpos.Route, error) {
	d, err := n.ec2.RouteFor(account, region, subnetID, dst)
	if err != nil {
		return netpos.Route{}, err
	}
	return netpos.Route{RouteTableID: d.RouteTableID, Found: d.Found, Blackhole: d.Blackhole, Target: d.Target, TargetType: d.TargetType, Reason: d.Reason}, nil
}

func (n egressNetwork) SecurityGroupsAllowEgress(account, region string, groups []string, dst netip.Addr, port int) (bool, error) {
	return n.ec2.SecurityGroupsAllowEgress(account, region, groups, dst, port)
}

func (n egressNetwork) ACLAllows(account, region, subnetID string, egress bool, peer netip.Addr, port int) (bool, error) {
	return n.ec2.ACLAllows(account, region, subnetID, egress, peer, port)
}

func (n egressNetwork) NATGateway(account, region, id string) (netpos.NAT, bool, error) {
	sub, ip, state, ok, err := n.ec2.NATGatewayInfo(account, region, id)
	return netpos.NAT{SubnetID: sub, PublicIP: ip, State: state}, ok, err
}

func (n egressNetwork) Endpoint(account, region, vpcID, subnetID, service string) (netpos.Endpoint, bool, error) {
	ctx := &request.Context{Context: context.Background(), Account: account, Region: region, Clock: n.clock, Log: n.log}
	id, policy, ok := n.ec2.VPCEndpointFor(ctx, account, region, vpcID, []string{subnetID}, authz.EndpointServiceName(service, region))
	return netpos.Endpoint{ID: id, Policy: policy}, ok, nil
}

// HostAt finds the running instance holding ip: one of its interfaces'
// private addresses in vpcID, or (vpcID "") its public address.
func (n egressNetwork) HostAt(account, region, vpcID string, ip netip.Addr) (netpos.Host, bool, error) {
	all, err := n.ec2.RuntimeInstances(account, region)
	if err != nil {
		return netpos.Host{}, false, err
	}
	want := ip.String()
	for _, v := range all {
		o := v.Instance
		if o.State == nil || ptr.Deref(o.State.Name) != "running" {
			continue
		}
		held := false
		if vpcID == "" {
			held = ptr.Deref(o.PublicIpAddress) == want
		} else if ptr.Deref(o.VpcId) == vpcID {
			held = ptr.Deref(o.PrivateIpAddress) == want
			for _, ni := range o.NetworkInterfaces {
				for _, a := range ni.PrivateIpAddresses {
					held = held || ptr.Deref(a.PrivateIpAddress) == want
				}
			}
		}
		if !held {
			continue
		}
		h := netpos.Host{Account: account, Region: region, Kind: "instance", ID: ptr.Deref(o.InstanceId),
			VpcID: ptr.Deref(o.VpcId), SubnetID: ptr.Deref(o.SubnetId)}
		// The host address stands for the primary private address.
		h.PrivateIP, _ = netip.ParseAddr(ptr.Deref(o.PrivateIpAddress))
		if pub, err := netip.ParseAddr(ptr.Deref(o.PublicIpAddress)); err == nil {
			h.Public, h.PublicIP = true, pub
		}
		for _, g := range o.SecurityGroups {
			h.SecurityGroupIDs = append(h.SecurityGroupIDs, ptr.Deref(g.GroupId))
		}
		return h, true, nil
	}
	return netpos.Host{}, false, nil
}

func (n egressNetwork) SecurityGroupsAllowIngress(account, region string, groups []string, peer netpos.Peer, port int) (bool, error) {
	return n.ec2.SecurityGroupsAllowIngress(account, region, groups, peer.Addr, peer.Groups, port)
}

func (n egressNetwork) Subnet(account, region, id string) (string, netip.Prefix, bool, error) {
	ctx := &request.Context{Context: context.Background(), RequestID: awsid.UUID(), Service: "ec2", Operation: "DescribeSubnets",
		Account: account, Region: region, Clock: n.clock, Log: n.log, Caller: request.Caller{Account: account}}
	out, err := n.ec2.DescribeSubnets(ctx, &ec2api.DescribeSubnetsRequest{SubnetIds: []string{id}})
	if err != nil {
		var e *awserr.Error
		if errors.As(err, &e) && e.Code.Sender {
			return "", netip.Prefix{}, false, nil
		}
		return "", netip.Prefix{}, false, err
	}
	if len(out.Subnets) == 0 {
		return "", netip.Prefix{}, false, nil
	}
	cidr, err := netip.ParsePrefix(ptr.Deref(out.Subnets[0].CidrBlock))
	if err != nil {
		return "", netip.Prefix{}, false, nil
	}
	return ptr.Deref(out.Subnets[0].VpcId), cidr, true, nil
}

// noNetwork is egress without EC2 (a build that leaves EC2 out): every
// position in a VPC is unknown.
type noNetwork struct{}

var errNoEC2 = errors.New("egress: EC2 is not wired")

func (noNetwork) Route(string, string, string, netip.Addr) (netpos.Route, error) {
	return netpos.Route{}, errNoEC2
}
func (noNetwork) SecurityGroupsAllowEgress(string, string, []string, netip.Addr, int) (bool, error) {
	return false, errNoEC2
}
func (noNetwork) ACLAllows(string, string, string, bool, netip.Addr, int) (bool, error) {
	return false, errNoEC2
}
func (noNetwork) NATGateway(string, string, string) (netpos.NAT, bool, error) {
	return netpos.NAT{}, false, errNoEC2
}
func (noNetwork) Endpoint(string, string, string, string, string) (netpos.Endpoint, bool, error) {
	return netpos.Endpoint{}, false, errNoEC2
}
func (noNetwork) HostAt(string, string, string, netip.Addr) (netpos.Host, bool, error) {
	return netpos.Host{}, false, nil
}
func (noNetwork) SecurityGroupsAllowIngress(string, string, []string, netpos.Peer, int) (bool, error) {
	return false, errNoEC2
}
func (noNetwork) Subnet(string, string, string) (string, netip.Prefix, bool, error) {
	return "", netip.Prefix{}, false, errNoEC2
}

// tunnelCerts issues a certificate per host name for HTTPS tunnels to
// niwa's names, from niwa's local CA (set by wireACM, after Lambda).
type tunnelCerts struct {
	d     *deps
	mu    sync.Mutex
	certs map[string]*tls.Certificate
}

// maxTunnelCerts bounds the certificates kept (one per host name).
const maxTunnelCerts = 1024

func (c *tunnelCerts) get(host string) (*tls.Certificate, error) {
	authority := c.d.authority
	if authority == nil {
		return nil, errors.New("egress: no certificate authority")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.d.clock.Now()
	if cert, ok := c.certs[host]; ok && now.Before(cert.Leaf.NotAfter.Add(-24*time.Hour)) {
		return cert, nil
	}
	key, err := ca.NewKey(ca.ECP256)
	if err != nil {
		return nil, err
	}
	leaf, err := authority.Issue([]string{host}, key, now.Add(-time.Hour), httpsValidity)
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(append(leaf.CertPEM, authority.ChainPEM()...), leaf.KeyPEM)
	if err != nil {
		return nil, err
	}
	pair.Leaf = leaf.Cert
	if len(c.certs) >= maxTunnelCerts {
		clear(c.certs)
	}
	c.certs[host] = &pair
	return &pair, nil
}

// egressPath is the internal endpoint listing the egress proxy's latest
// decisions.
const egressPath = "/_niwa/egress"

// egressHandler serves GET /_niwa/egress: the latest egress decisions
// (destination, reachable, via, apparent source address, reason).
func egressHandler(p *netpos.Proxy) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", "GET")
			http.Error(w, "use GET", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		recs := p.Recent()
		if recs == nil {
			recs = []netpos.Record{}
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"decisions": recs})
	})
}
