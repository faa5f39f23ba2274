// Package netpos is niwa's network position and egress: one component
// that decides, for a workload niwa runs (a Lambda function, later an
// instance's processes), where its outbound connections go and with which
// apparent address — the route table of its subnet (through EC2's route
// evaluator), its security groups' egress rules, the subnet's network
// ACL (outbound and the return path), NAT gateways and their Elastic IPs,
// internet gateways (which need a public address on the workload) and
// VPC endpoints. Workloads reach it through an HTTP proxy niwa names in
// their environment (HTTP_PROXY, HTTPS_PROXY), so unmodified Python and
// Node code is subject to it.
//
// EC2 state comes through the Network interface; the package imports no
// service.
package netpos

import (
	"fmt"
	"hash/fnv"
	"net/netip"
	"slices"
	"strings"
)

// Position is where a workload sits in the network. An empty VpcID is a
// workload outside any VPC (a Lambda function without VpcConfig).
type Position struct {
	Account, Region  string
	VpcID, SubnetID  string
	SecurityGroupIDs []string
	// PrivateIP and PublicIP are the workload's addresses; PublicIP is
	// empty when it has none (a Lambda function in a VPC never has one).
	PrivateIP, PublicIP string
}

// key identifies a position, for the proxy's per-workload listeners.
func (p Position) key() string {
	g := slices.Clone(p.SecurityGroupIDs)
	slices.Sort(g)
	return strings.Join([]string{p.Account, p.Region, p.VpcID, p.SubnetID, strings.Join(g, ","), p.PrivateIP, p.PublicIP}, "|")
}

// Route is the route table's answer for a destination (EC2's
// RouteDecision, trimmed to what egress needs).
type Route struct {
	RouteTableID string
	Found        bool
	Blackhole    bool
	Target       string
	// TargetType is local, internet-gateway, nat-gateway, vpc-endpoint,
	// vpn-gateway, ...
	TargetType string
	Reason     string
}

// NAT is a NAT gateway as egress sees it.
type NAT struct {
	SubnetID string
	PublicIP string
	// State is pending, available, deleting, deleted or failed.
	State string
}

// Endpoint is a VPC endpoint a request to an AWS service goes through.
type Endpoint struct {
	ID string
	// Policy is the endpoint policy ("" allows everything).
	Policy string
}

// Network is the EC2 state egress reads.
type Network interface {
	// Route evaluates the route table of subnetID for dst.
	Route(account, region, subnetID string, dst netip.Addr) (Route, error)
	// SecurityGroupsAllowEgress tells whether one of the groups' egress
	// rules allows TCP to dst:port (security groups are stateful: the
	// reply is allowed with it).
	SecurityGroupsAllowEgress(account, region string, groups []string, dst netip.Addr, port int) (bool, error)
	// ACLAllows tells whether the network ACL of subnetID allows TCP
	// traffic in one direction: egress to peer:port, or ingress from
	// peer to port.
	ACLAllows(account, region, subnetID string, egress bool, peer netip.Addr, port int) (bool, error)
	// NATGateway looks a NAT gateway up.
	NATGateway(account, region, id string) (NAT, bool, error)
	// Endpoint finds the VPC endpoint through which code in subnetID of
	// vpcID reaches an AWS service (its signing name): a gateway
	// endpoint on the subnet's route table or an interface endpoint with
	// private DNS in the VPC.
	Endpoint(account, region, vpcID, subnetID, service string) (Endpoint, bool, error)
	// Ingress is what inbound decisions read.
	Ingress
}

// Stand-in internet addresses. Nothing leaves the machine: the echo
// service and AWS's public service endpoints are answered by niwa, and
// these are the addresses the route tables, security groups and ACLs are
// evaluated against for them.
var (
	// EchoAddr stands for checkip.amazonaws.com.
	EchoAddr = netip.MustParseAddr("52.94.76.10")
	// ServiceAddr stands for the public endpoint of an AWS service (and
	// niwa's data-plane hosts) when no VPC endpoint serves the call.
	ServiceAddr = netip.MustParseAddr("52.94.0.10")
)

// ephemeralPort is the client port the return path of a connection is
// checked against in network ACLs (Linux's ephemeral range is
// 32768-60999; an ACL must allow the reply to reach it).
const ephemeralPort = 49152

// OutsideVPCAddr is the apparent address of a workload outside any VPC
// in an account and region (a Lambda function without VpcConfig): AWS
// uses an address of its own pool, which niwa picks stably from
// 3.5.0.0/16 so it differs from any Elastic IP niwa allocates (54.x).
func OutsideVPCAddr(account, region string) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(account + "/" + region))
	s := h.Sum32()
	return fmt.Sprintf("3.5.%d.%d", byte(s>>8), 1+byte(s)%254)
}

// Decision is where one connection goes.
type Decision struct {
	// Reachable is false when the traffic is dropped: the connection is
	// never answered, as on AWS.
	Reachable bool
	// Via is internet (outside any VPC), internet-gateway, nat-gateway or
	// vpc-endpoint; Hop is the gateway's or endpoint's id.
	Via, Hop string
	// SourceIP is the apparent address on the internet (the public IP,
	// the NAT's Elastic IP); empty through a VPC endpoint.
	SourceIP string
	// VpcID, Endpoint: set when the traffic goes through a VPC endpoint.
	VpcID    string
	Endpoint Endpoint
	// Host is the resource the connection reaches when it is one niwa
	// runs (an instance, a database); its ID is "" otherwise.
	Host Host
	// Reason says why, in words (logged with every decision).
	Reason string
}

// Decide answers where a TCP connection from pos to dst:port goes.
// service is the AWS service (signing name) of a call to AWS, "" for
// other traffic: calls to AWS go through a VPC endpoint when one serves
// them, else over the internet path like any traffic. Other traffic to
// an address a resource holds — a private address in the workload's
// VPC, a public address of an instance — goes to that resource when
// Admit lets it in.
func Decide(n Network, pos Position, dst netip.Addr, port int, service string) (Decision, error) {
	if service == "" {
		// A private address in the workload's VPC, then a public one.
		var scopes []string
		if pos.VpcID != "" {
			scopes = append(scopes, pos.VpcID)
		}
		if isPublic(dst) {
			scopes = append(scopes, "")
		}
		for _, vpc := range scopes {
			h, ok, err := n.HostAt(pos.Account, pos.Region, vpc, dst)
			if err != nil {
				return Decision{}, err
			}
			if ok {
				return admit(n, &pos, netip.Addr{}, h, port, vpc == "")
			}
		}
	}
	return egress(n, pos, dst, port, service)
}

// sharedSpace is RFC 6598's carrier-grade NAT range, not the internet's.
var sharedSpace = netip.MustParsePrefix("100.64.0.0/10")

// isPublic reports whether a is an address of the internet (not a
// private, shared, loopback or link-local one).
func isPublic(a netip.Addr) bool {
	return a.IsGlobalUnicast() && !a.IsPrivate() && !sharedSpace.Contains(a)
}

// egress is where traffic to dst goes when no resource niwa runs holds
// dst: the internet path or a VPC endpoint.
func egress(n Network, pos Position, dst netip.Addr, port int, service string) (Decision, error) {
	if pos.VpcID == "" {
		ip := pos.PublicIP
		if ip == "" {
			ip = OutsideVPCAddr(pos.Account, pos.Region)
		}
		return Decision{Reachable: true, Via: "internet", SourceIP: ip, Reason: "outside any VPC: straight to the internet from " + ip}, nil
	}
	if service != "" {
		ep, ok, err := n.Endpoint(pos.Account, pos.Region, pos.VpcID, pos.SubnetID, service)
		if err != nil {
			return Decision{}, err
		}
		if ok {
			return Decision{Reachable: true, Via: "vpc-endpoint", Hop: ep.ID, VpcID: pos.VpcID, Endpoint: ep,
				Reason: fmt.Sprintf("%s is reached through VPC endpoint %s", service, ep.ID)}, nil
		}
	}
	drop := func(format string, a ...any) (Decision, error) {
		return Decision{Reason: fmt.Sprintf(format, a...)}, nil
	}
	if ok, err := n.SecurityGroupsAllowEgress(pos.Account, pos.Region, pos.SecurityGroupIDs, dst, port); err != nil {
		return Decision{}, err
	} else if !ok {
		return drop("no egress rule of security groups %s allows tcp to %s:%d", strings.Join(pos.SecurityGroupIDs, ","), dst, port)
	}
	if d, ok, err := aclPath(n, pos.Account, pos.Region, pos.SubnetID, dst, port); err != nil || !ok {
		return d, err
	}
	r, err := n.Route(pos.Account, pos.Region, pos.SubnetID, dst)
	if err != nil {
		return Decision{}, err
	}
	switch {
	case !r.Found:
		return drop("route table %s of %s has no route to %s: %s", r.RouteTableID, pos.SubnetID, dst, r.Reason)
	case r.Blackhole:
		return drop("route table %s of %s sends %s to %s, a blackhole", r.RouteTableID, pos.SubnetID, dst, r.Target)
	}
	switch r.TargetType {
	case "internet-gateway":
		if pos.PublicIP == "" {
			return drop("route table %s of %s sends %s to %s, but the workload has no public IP address", r.RouteTableID, pos.SubnetID, dst, r.Target)
		}
		return Decision{Reachable: true, Via: r.TargetType, Hop: r.Target, SourceIP: pos.PublicIP,
			Reason: fmt.Sprintf("route table %s: %s through %s from public IP %s", r.RouteTableID, dst, r.Target, pos.PublicIP)}, nil
	case "nat-gateway":
		nat, ok, err := n.NATGateway(pos.Account, pos.Region, r.Target)
		if err != nil {
			return Decision{}, err
		}
		if !ok || nat.State != "available" {
			return drop("route table %s of %s sends %s to NAT gateway %s, which is not available", r.RouteTableID, pos.SubnetID, dst, r.Target)
		}
		if nat.PublicIP == "" {
			return drop("NAT gateway %s has no Elastic IP (a private NAT gateway)", r.Target)
		}
		// The NAT gateway's own subnet must route the traffic to an
		// internet gateway, through its own network ACL.
		if d, ok, err := aclPath(n, pos.Account, pos.Region, nat.SubnetID, dst, port); err != nil || !ok {
			return d, err
		}
		next, err := n.Route(pos.Account, pos.Region, nat.SubnetID, dst)
		if err != nil {
			return Decision{}, err
		}
		if !next.Found || next.Blackhole || next.TargetType != "internet-gateway" {
			return drop("NAT gateway %s: route table %s of its subnet %s has no active route to an internet gateway for %s", r.Target, next.RouteTableID, nat.SubnetID, dst)
		}
		return Decision{Reachable: true, Via: r.TargetType, Hop: r.Target, SourceIP: nat.PublicIP,
			Reason: fmt.Sprintf("route table %s: %s through NAT gateway %s (Elastic IP %s) and %s", r.RouteTableID, dst, r.Target, nat.PublicIP, next.Target)}, nil
	}
	return drop("route table %s of %s sends %s to %s (%s): nothing answers there", r.RouteTableID, pos.SubnetID, dst, r.Target, r.TargetType)
}

// aclPath checks a subnet's network ACL both ways: out to dst:port, and
// the reply from dst back to an ephemeral port (ACLs are stateless).
func aclPath(n Network, account, region, subnet string, dst netip.Addr, port int) (Decision, bool, error) {
	ok, err := n.ACLAllows(account, region, subnet, true, dst, port)
	if err != nil {
		return Decision{}, false, err
	}
	if !ok {
		return Decision{Reason: fmt.Sprintf("the network ACL of %s denies outbound tcp to %s:%d", subnet, dst, port)}, false, nil
	}
	ok, err = n.ACLAllows(account, region, subnet, false, dst, ephemeralPort)
	if err != nil {
		return Decision{}, false, err
	}
	if !ok {
		return Decision{Reason: fmt.Sprintf("the network ACL of %s denies the return traffic from %s to ephemeral port %d", subnet, dst, ephemeralPort)}, false, nil
	}
	return Decision{}, true, nil
}
