package netpos

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
)

// Inbound: connections to a resource in a VPC — an instance's process
// listening on its private address, a database endpoint — are admitted
// only when the destination's security groups allow the source (groups
// it is in, its address, CIDRs and prefix lists), the network ACLs of
// both subnets allow the packet and its reply (when the subnets differ:
// ACLs are evaluated at the subnet boundary), and, from outside the VPC,
// the destination is public and its subnet routes the reply to an
// internet gateway. The same Decide that decides egress decides this:
// one component, one evaluator.

// Host is a resource in a VPC that accepts connections.
type Host struct {
	Account, Region string
	// Kind is instance or db-instance; ID its id.
	Kind, ID string
	// VpcID may be empty when SubnetID is set (Network.Subnet finds it);
	// both empty is a resource outside any VPC, which every source
	// reaches.
	VpcID, SubnetID  string
	SecurityGroupIDs []string
	// PrivateIP is its address in the subnet (invalid: a stand-in
	// address of the subnet is used).
	PrivateIP netip.Addr
	// Public is whether it is reachable from outside the VPC (an
	// instance's public IP, a database's PubliclyAccessible), at
	// PublicIP (invalid for a database: ServiceAddr stands for it).
	Public   bool
	PublicIP netip.Addr
}

// Peer is the source of a connection as the destination's security
// groups see it.
type Peer struct {
	// Addr is its address: its private address from inside the VPC, its
	// apparent public address from outside.
	Addr netip.Addr
	// Groups are its security groups (only from inside the VPC).
	Groups []string
}

// Ingress is the EC2 state inbound decisions read, besides Network's.
type Ingress interface {
	// HostAt finds the running resource holding ip: a private address
	// in vpcID, or (vpcID "") a public address. ok is false when nothing
	// holds it.
	HostAt(account, region, vpcID string, ip netip.Addr) (Host, bool, error)
	// SecurityGroupsAllowIngress tells whether an ingress rule of one of
	// groups allows TCP from peer to port: a rule naming a group peer
	// is in, or a CIDR or prefix list holding peer's address.
	SecurityGroupsAllowIngress(account, region string, groups []string, peer Peer, port int) (bool, error)
	// Subnet is a subnet's VPC and CIDR.
	Subnet(account, region, id string) (vpcID string, cidr netip.Prefix, ok bool, err error)
}

// standIn is the address that stands for a workload or resource with
// no address of its own in its subnet (a Lambda function's, a load
// balancer node's, a database's): the subnet's last assignable address
// (AWS reserves the last one), clear of the low addresses niwa hands
// instances.
func standIn(cidr netip.Prefix) netip.Addr {
	base := cidr.Masked().Addr()
	if !base.Is4() || cidr.Bits() > 30 {
		return base.Next()
	}
	b := base.As4()
	n := binary.BigEndian.Uint32(b[:]) + (1 << (32 - cidr.Bits())) - 2
	binary.BigEndian.PutUint32(b[:], n)
	return netip.AddrFrom4(b)
}

// resolve fills a host's VPC and private address from its subnet.
func resolve(n Network, h Host) (Host, error) {
	if h.SubnetID == "" {
		return h, nil
	}
	vpc, cidr, ok, err := n.Subnet(h.Account, h.Region, h.SubnetID)
	if err != nil {
		return h, err
	}
	if !ok {
		return h, fmt.Errorf("netpos: subnet %s of %s not found", h.SubnetID, h.ID)
	}
	if h.VpcID == "" {
		h.VpcID = vpc
	}
	if !h.PrivateIP.IsValid() {
		h.PrivateIP = standIn(cidr)
	}
	return h, nil
}

// Admit decides whether a TCP connection to dst on port is accepted.
// src is the workload making it; nil is niwa's host (a client on the
// machine, outside every VPC), whose apparent address is hostIP.
func Admit(n Network, src *Position, hostIP netip.Addr, dst Host, port int) (Decision, error) {
	return admit(n, src, hostIP, dst, port, false)
}

// admit is Admit; public says the source addressed dst's public
// address, which takes the internet path even from dst's own VPC (the
// traffic leaves through the gateway and comes back from it).
func admit(n Network, src *Position, hostIP netip.Addr, dst Host, port int, public bool) (Decision, error) {
	dst, err := resolve(n, dst)
	if err != nil {
		return Decision{}, err
	}
	if dst.VpcID == "" {
		return Decision{Reachable: true, Via: "internet", Host: dst, Reason: fmt.Sprintf("%s %s is in no VPC: nothing filters its connections", dst.Kind, dst.ID)}, nil
	}
	if !public && src != nil && src.VpcID == dst.VpcID && src.Account == dst.Account && src.Region == dst.Region {
		return admitLocal(n, *src, dst, port)
	}
	apparent := hostIP
	from := "niwa's host " + hostIP.String()
	if src != nil {
		to := dst.PublicIP
		if !to.IsValid() {
			to = ServiceAddr
		}
		d, err := egress(n, *src, to, port, "")
		if err != nil || !d.Reachable {
			return d, err
		}
		a, err := netip.ParseAddr(d.SourceIP)
		if err != nil {
			return Decision{Reason: "no apparent address: " + d.Reason}, nil
		}
		apparent, from = a, "a workload at "+d.SourceIP
	}
	return admitOutside(n, apparent, from, dst, port)
}

// admitLocal is a connection inside one VPC.
func admitLocal(n Network, src Position, dst Host, port int) (Decision, error) {
	drop := func(format string, a ...any) (Decision, error) {
		return Decision{Host: dst, Reason: fmt.Sprintf(format, a...)}, nil
	}
	srcAddr, err := positionAddr(n, src)
	if err != nil {
		return Decision{}, err
	}
	if ok, err := n.SecurityGroupsAllowEgress(src.Account, src.Region, src.SecurityGroupIDs, dst.PrivateIP, port); err != nil {
		return Decision{}, err
	} else if !ok {
		return drop("no egress rule of security groups %s allows tcp to %s:%d", strings.Join(src.SecurityGroupIDs, ","), dst.PrivateIP, port)
	}
	r, err := n.Route(src.Account, src.Region, src.SubnetID, dst.PrivateIP)
	if err != nil {
		return Decision{}, err
	}
	if !r.Found || r.Blackhole || r.TargetType != "local" {
		return drop("route table %s of %s does not route %s locally: %s", r.RouteTableID, src.SubnetID, dst.PrivateIP, r.Reason)
	}
	// Network ACLs filter at the subnet boundary: traffic within one
	// subnet crosses none.
	if src.SubnetID != dst.SubnetID {
		if d, ok, err := aclPath(n, src.Account, src.Region, src.SubnetID, dst.PrivateIP, port); err != nil || !ok {
			d.Host = dst
			return d, err
		}
		if d, ok, err := aclIn(n, dst, srcAddr, port); err != nil || !ok {
			return d, err
		}
	}
	if ok, err := n.SecurityGroupsAllowIngress(dst.Account, dst.Region, dst.SecurityGroupIDs, Peer{Addr: srcAddr, Groups: src.SecurityGroupIDs}, port); err != nil {
		return Decision{}, err
	} else if !ok {
		return drop("no ingress rule of security groups %s of %s allows tcp from %s (groups %s) to port %d",
			strings.Join(dst.SecurityGroupIDs, ","), dst.ID, srcAddr, strings.Join(src.SecurityGroupIDs, ","), port)
	}
	return Decision{Reachable: true, Via: "local", Hop: dst.ID, VpcID: dst.VpcID, SourceIP: srcAddr.String(), Host: dst,
		Reason: fmt.Sprintf("%s %s:%d in %s: local route, security groups %s allow %s", dst.Kind, dst.PrivateIP, port, dst.VpcID, strings.Join(dst.SecurityGroupIDs, ","), srcAddr)}, nil
}

// admitOutside is a connection from outside the destination's VPC,
// from apparent: it needs a public destination whose subnet sends the
// reply to an internet gateway.
func admitOutside(n Network, apparent netip.Addr, from string, dst Host, port int) (Decision, error) {
	drop := func(format string, a ...any) (Decision, error) {
		return Decision{Host: dst, Reason: fmt.Sprintf(format, a...)}, nil
	}
	if !dst.Public {
		return drop("%s %s is not publicly accessible: %s is outside %s", dst.Kind, dst.ID, from, dst.VpcID)
	}
	r, err := n.Route(dst.Account, dst.Region, dst.SubnetID, apparent)
	if err != nil {
		return Decision{}, err
	}
	if !r.Found || r.Blackhole || r.TargetType != "internet-gateway" {
		return drop("route table %s of %s has no route to an internet gateway for the reply to %s", r.RouteTableID, dst.SubnetID, apparent)
	}
	if d, ok, err := aclIn(n, dst, apparent, port); err != nil || !ok {
		return d, err
	}
	if ok, err := n.SecurityGroupsAllowIngress(dst.Account, dst.Region, dst.SecurityGroupIDs, Peer{Addr: apparent}, port); err != nil {
		return Decision{}, err
	} else if !ok {
		return drop("no ingress rule of security groups %s of %s allows tcp from %s to port %d", strings.Join(dst.SecurityGroupIDs, ","), dst.ID, apparent, port)
	}
	return Decision{Reachable: true, Via: "internet-gateway", Hop: r.Target, SourceIP: apparent.String(), Host: dst,
		Reason: fmt.Sprintf("%s %s is public; security groups %s allow %s to port %d", dst.Kind, dst.ID, strings.Join(dst.SecurityGroupIDs, ","), apparent, port)}, nil
}

// aclIn checks the destination subnet's network ACL: in from peer to
// port, and the reply out to the peer's ephemeral port.
func aclIn(n Network, dst Host, peer netip.Addr, port int) (Decision, bool, error) {
	ok, err := n.ACLAllows(dst.Account, dst.Region, dst.SubnetID, false, peer, port)
	if err != nil {
		return Decision{}, false, err
	}
	if !ok {
		return Decision{Host: dst, Reason: fmt.Sprintf("the network ACL of %s denies inbound tcp from %s to port %d", dst.SubnetID, peer, port)}, false, nil
	}
	ok, err = n.ACLAllows(dst.Account, dst.Region, dst.SubnetID, true, peer, ephemeralPort)
	if err != nil {
		return Decision{}, false, err
	}
	if !ok {
		return Decision{Host: dst, Reason: fmt.Sprintf("the network ACL of %s denies the reply to %s at ephemeral port %d", dst.SubnetID, peer, ephemeralPort)}, false, nil
	}
	return Decision{}, true, nil
}

// positionAddr is a workload's address in its subnet: its private IP,
// or its subnet's stand-in address (a Lambda function's).
func positionAddr(n Network, p Position) (netip.Addr, error) {
	if a, err := netip.ParseAddr(p.PrivateIP); err == nil {
		return a, nil
	}
	_, cidr, ok, err := n.Subnet(p.Account, p.Region, p.SubnetID)
	if err != nil {
		return netip.Addr{}, err
	}
	if !ok {
		return netip.Addr{}, fmt.Errorf("netpos: subnet %s not found", p.SubnetID)
	}
	return standIn(cidr), nil
}
