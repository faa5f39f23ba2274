package ec2

import (
	"net/netip"
	"slices"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Egress reads: what niwa's egress component (internal/netpos) asks EC2
// about a workload's connections. Each is a read of the stored state,
// evaluated as AWS evaluates it.

// SecurityGroupsAllowEgress tells whether an egress rule of one of groups
// allows TCP to dst:port. Security groups are stateful, so the reply is
// allowed with the connection. No groups at all is the VPC's default
// egress (allow all).
func (s *EC2) SecurityGroupsAllowEgress(account, region string, groups []string, dst netip.Addr, port int) (bool, error) {
	if len(groups) == 0 {
		return true, nil
	}
	sc := storage.Scope{Account: account, Region: region}
	allowed := false
	err := s.store.View(func(tx storage.Tx) error {
		for _, id := range groups {
			g, ok, err := sgs.table.Get(tx, sc, id)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			for _, p := range g.IpPermissionsEgress {
				if permAllowsTCP(p, dst, port) {
					allowed = true
					return nil
				}
			}
		}
		return nil
	})
	return allowed, err
}

// permAllowsTCP matches one permission against a TCP destination: its
// protocol (-1 or tcp), port range and CIDRs or AWS-managed prefix lists.
func permAllowsTCP(p ec2api.IpPermission, dst netip.Addr, port int) bool {
	proto := ptr.Deref(p.IpProtocol)
	switch proto {
	case "-1", "all":
	case "tcp", "6":
		from, to := int(ptr.Deref(p.FromPort)), int(ptr.Deref(p.ToPort))
		if from != -1 && (port < from || port > to) {
			return false
		}
	default:
		return false
	}
	for _, r := range p.IpRanges {
		if pf, err := netip.ParsePrefix(ptr.Deref(r.CidrIp)); err == nil && pf.Contains(dst) {
			return true
		}
	}
	for _, r := range p.Ipv6Ranges {
		if pf, err := netip.ParsePrefix(ptr.Deref(r.CidrIpv6)); err == nil && pf.Contains(dst) {
			return true
		}
	}
	return false
}

// ACLAllows evaluates the network ACL associated with subnetID for TCP
// traffic in one direction (egress to peer:port, or ingress from peer to
// port): the lowest-numbered matching entry decides; a subnet with no
// associated ACL allows.
func (s *EC2) ACLAllows(account, region, subnetID string, egress bool, peer netip.Addr, port int) (bool, error) {
	sc := storage.Scope{Account: account, Region: region}
	var acl *ec2api.NetworkAcl
	err := s.store.View(func(tx storage.Tx) error {
		all, err := acls.all(tx, sc)
		if err != nil {
			return err
		}
		for i := range all {
			for _, a := range all[i].Associations {
				if ptr.Deref(a.SubnetId) == subnetID {
					acl = &all[i]
					return nil
				}
			}
		}
		return nil
	})
	if err != nil || acl == nil {
		return true, err
	}
	_, allowed := firstACLEntry(acl.Entries, egress, "tcp", peer, port)
	return allowed, nil
}

// firstACLEntry is the entry of one direction that decides for a packet
// (proto tcp or udp): the lowest-numbered match. None matching denies
// (every ACL ends with the * deny rule).
func firstACLEntry(entries []ec2api.NetworkAclEntry, egress bool, proto string, peer netip.Addr, port int) (*ec2api.NetworkAclEntry, bool) {
	entries = slices.Clone(entries)
	slices.SortFunc(entries, func(a, b ec2api.NetworkAclEntry) int {
		return int(ptr.Deref(a.RuleNumber)) - int(ptr.Deref(b.RuleNumber))
	})
	num := map[string]string{"tcp": "6", "udp": "17"}[proto]
	for i, e := range entries {
		if ptr.Deref(e.Egress) != egress {
			continue
		}
		switch p := ptr.Deref(e.Protocol); {
		case p == "-1" || p == "all":
		case p == num || p == proto:
			if pr := e.PortRange; pr != nil && (port < int(ptr.Deref(pr.From)) || port > int(ptr.Deref(pr.To))) {
				continue
			}
		default:
			continue
		}
		cidr := ptr.Deref(e.CidrBlock)
		if cidr == "" {
			cidr = ptr.Deref(e.Ipv6CidrBlock)
		}
		if pf, err := netip.ParsePrefix(cidr); err != nil || !pf.Contains(peer) {
			continue
		}
		return &entries[i], ptr.Deref(e.RuleAction) == "allow"
	}
	return nil, false
}

// NATGatewayInfo is a NAT gateway's subnet, Elastic IP and current state
// (on the clock, as DescribeNatGateways shows it).
func (s *EC2) NATGatewayInfo(account, region, id string) (subnet, publicIP, state string, ok bool, err error) {
	sc := storage.Scope{Account: account, Region: region}
	err = s.store.View(func(tx storage.Tx) error {
		n, found, err := nats.table.Get(tx, sc, id)
		if err != nil || !found {
			return err
		}
		ok = true
		subnet = ptr.Deref(n.SubnetId)
		state = natState(n, s.clock.Now(), s.opts.NatDelay)
		if len(n.NatGatewayAddresses) > 0 {
			publicIP = ptr.Deref(n.NatGatewayAddresses[0].PublicIp)
		}
		return nil
	})
	return
}
