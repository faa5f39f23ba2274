package ec2

import (
	"net/netip"
	"slices"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// SecurityGroupsAllowIngress tells whether an ingress rule of one of
// groups allows TCP from src to port: a rule naming a group the source
// is in (srcGroups, from inside the VPC), or a CIDR or prefix list
// (customer- or AWS-managed) holding src. A connection to a resource
// with no groups is refused (every VPC resource has at least one).
// Read by niwa's network component (internal/netpos) for connections
// to instances' processes and databases.
func (s *EC2) SecurityGroupsAllowIngress(account, region string, groups []string, src netip.Addr, srcGroups []string, port int) (bool, error) {
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
			for _, p := range g.IpPermissions {
				if permAllowsTCP(p, src, port) || (portMatches(p, port) && pairsMatch(p, srcGroups)) || (portMatches(p, port) && prefixListsHold(tx, sc, p, src)) {
					allowed = true
					return nil
				}
			}
		}
		return nil
	})
	return allowed, err
}

// portMatches matches a permission's protocol and port range for TCP.
func portMatches(p ec2api.IpPermission, port int) bool {
	switch ptr.Deref(p.IpProtocol) {
	case "-1", "all":
		return true
	case "tcp", "6":
		from, to := int(ptr.Deref(p.FromPort)), int(ptr.Deref(p.ToPort))
		return from == -1 || (port >= from && port <= to)
	}
	return false
}

// pairsMatch reports whether the permission names one of groups.
func pairsMatch(p ec2api.IpPermission, groups []string) bool {
	for _, pair := range p.UserIdGroupPairs {
		if slices.Contains(groups, ptr.Deref(pair.GroupId)) {
			return true
		}
	}
	return false
}

// prefixListsHold reports whether a prefix list of the permission
// holds src (its current version).
func prefixListsHold(tx storage.Tx, sc storage.Scope, p ec2api.IpPermission, src netip.Addr) bool {
	for _, r := range p.PrefixListIds {
		l, _, err := getPrefixList(tx, sc, ptr.Deref(r.PrefixListId))
		if err != nil {
			continue
		}
		for _, e := range l.Versions[ptr.Deref(l.List.Version)] {
			if pf, err := netip.ParsePrefix(ptr.Deref(e.Cidr)); err == nil && pf.Contains(src) {
				return true
			}
		}
	}
	return false
}
