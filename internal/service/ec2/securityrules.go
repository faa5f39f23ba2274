package ec2

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/filter"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Security group rules (sgr-) are the atomic rules a group stores. A
// rule's id is derived from its group, direction and content, so it is
// the same on every describe and across restarts without storing one per
// rule; ModifySecurityGroupRules changes a rule's content but not its id,
// so the ids of modified rules are kept in sgRuleIDs, keyed by group.
var sgRuleIDs = storage.NewTable[sgRuleIndex]("sgrule")

type sgRuleIndex struct {
	// IDs maps ruleKey (direction and permKey) to the id the rule keeps.
	IDs map[string]string
}

func ruleKey(egress bool, p ec2api.IpPermission) string {
	if egress {
		return "egress|" + permKey(p)
	}
	return "ingress|" + permKey(p)
}

func derivedRuleID(groupID, key string) string {
	h := fnv.New64a()
	h.Write([]byte(groupID + "|" + key))
	return fmt.Sprintf("sgr-%017x", h.Sum64()&0xfffffffffffffff)
}

func (idx sgRuleIndex) id(groupID, key string) string {
	if id, ok := idx.IDs[key]; ok {
		return id
	}
	return derivedRuleID(groupID, key)
}

func loadRuleIndex(tx storage.Tx, sc storage.Scope, groupID string) (sgRuleIndex, error) {
	idx, _, err := sgRuleIDs.Get(tx, sc, groupID)
	if idx.IDs == nil {
		idx.IDs = map[string]string{}
	}
	return idx, err
}

// ruleOf renders one atomic permission as a SecurityGroupRule.
func ruleOf(g *ec2api.SecurityGroup, idx sgRuleIndex, egress bool, a ec2api.IpPermission) ec2api.SecurityGroupRule {
	gid := ptr.Deref(g.GroupId)
	r := ec2api.SecurityGroupRule{SecurityGroupRuleId: ptr.To(idx.id(gid, ruleKey(egress, a))), GroupId: g.GroupId, GroupOwnerId: g.OwnerId, IsEgress: ptr.To(egress),
		IpProtocol: a.IpProtocol, FromPort: ptr.To(int32(-1)), ToPort: ptr.To(int32(-1)), Tags: []ec2api.Tag{}}
	if a.FromPort != nil {
		r.FromPort = a.FromPort
	}
	if a.ToPort != nil {
		r.ToPort = a.ToPort
	}
	switch {
	case len(a.IpRanges) > 0:
		r.CidrIpv4, r.Description = a.IpRanges[0].CidrIp, a.IpRanges[0].Description
	case len(a.Ipv6Ranges) > 0:
		r.CidrIpv6, r.Description = a.Ipv6Ranges[0].CidrIpv6, a.Ipv6Ranges[0].Description
	case len(a.PrefixListIds) > 0:
		r.PrefixListId, r.Description = a.PrefixListIds[0].PrefixListId, a.PrefixListIds[0].Description
	case len(a.UserIdGroupPairs) > 0:
		p := a.UserIdGroupPairs[0]
		r.ReferencedGroupInfo = &ec2api.ReferencedSecurityGroup{GroupId: p.GroupId, UserId: p.UserId}
		r.Description = p.Description
	}
	return r
}

// setRuleDescription sets the description of an atomic permission's peer.
func setRuleDescription(a *ec2api.IpPermission, d *string) {
	switch {
	case len(a.IpRanges) > 0:
		a.IpRanges = []ec2api.IpRange{{CidrIp: a.IpRanges[0].CidrIp, Description: d}}
	case len(a.Ipv6Ranges) > 0:
		a.Ipv6Ranges = []ec2api.Ipv6Range{{CidrIpv6: a.Ipv6Ranges[0].CidrIpv6, Description: d}}
	case len(a.PrefixListIds) > 0:
		a.PrefixListIds = []ec2api.PrefixListId{{PrefixListId: a.PrefixListIds[0].PrefixListId, Description: d}}
	case len(a.UserIdGroupPairs) > 0:
		p := a.UserIdGroupPairs[0]
		p.Description = d
		a.UserIdGroupPairs = []ec2api.UserIdGroupPair{p}
	}
}

func groupRules(g *ec2api.SecurityGroup, idx sgRuleIndex) []ec2api.SecurityGroupRule {
	var out []ec2api.SecurityGroupRule
	for _, a := range g.IpPermissions {
		out = append(out, ruleOf(g, idx, false, a))
	}
	for _, a := range g.IpPermissionsEgress {
		out = append(out, ruleOf(g, idx, true, a))
	}
	return out
}

func sgRuleDoc(r *ec2api.SecurityGroupRule) filter.Doc {
	return filter.New(r.Tags).Add("group-id", ptr.Deref(r.GroupId)).Add("security-group-rule-id", ptr.Deref(r.SecurityGroupRuleId))
}

func checkRuleID(id string) error {
	if !strings.HasPrefix(id, "sgr-") {
		return code("InvalidSecurityGroupRuleId.Malformed").New("Invalid id: \"%s\" (expecting \"sgr-...\")", id)
	}
	return nil
}

// DescribeSecurityGroupRules lists the rules of every group, with the
// filters group-id, security-group-rule-id and tags.
func (s *EC2) DescribeSecurityGroupRules(ctx *request.Context, in *ec2api.DescribeSecurityGroupRulesRequest) (*ec2api.DescribeSecurityGroupRulesResult, error) {
	if err := s.ensureDefaults(ctx); err != nil {
		return nil, err
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if err := filter.Validate(in.Filters, sgRuleDoc(&ec2api.SecurityGroupRule{})); err != nil {
		return nil, err
	}
	for _, id := range in.SecurityGroupRuleIds {
		if err := checkRuleID(id); err != nil {
			return nil, err
		}
	}
	if m := ptr.Deref(in.MaxResults); in.MaxResults != nil && (m < 5 || m > 1000) {
		return nil, errInvalidParameterValue.New("Value ( %d ) for parameter maxResults is invalid. Parameter must be between 5 and 1000.", m)
	}
	sc := scope(ctx)
	var all []ec2api.SecurityGroupRule
	err := s.store.View(func(tx storage.Tx) error {
		groups, err := sgs.all(tx, sc)
		if err != nil {
			return err
		}
		for i := range groups {
			idx, err := loadRuleIndex(tx, sc, ptr.Deref(groups[i].GroupId))
			if err != nil {
				return err
			}
			all = append(all, groupRules(&groups[i], idx)...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var matched []ec2api.SecurityGroupRule
	for _, r := range all {
		id := ptr.Deref(r.SecurityGroupRuleId)
		seen[id] = true
		if len(in.SecurityGroupRuleIds) > 0 && !contains(in.SecurityGroupRuleIds, id) {
			continue
		}
		if filter.Match(in.Filters, sgRuleDoc(&r)) {
			matched = append(matched, r)
		}
	}
	for _, id := range in.SecurityGroupRuleIds {
		if !seen[id] {
			return nil, code("InvalidSecurityGroupRuleId.NotFound").New("The security group rule ID '%s' does not exist", id)
		}
	}
	start := 0
	if in.NextToken != nil {
		n, err := strconv.Atoi(*in.NextToken)
		if err != nil || n < 0 || n > len(matched) {
			return nil, errInvalidParameterValue.New("Invalid value '%s' for nextToken.", *in.NextToken)
		}
		start = n
	}
	out := &ec2api.DescribeSecurityGroupRulesResult{SecurityGroupRules: []ec2api.SecurityGroupRule{}}
	end := len(matched)
	if in.MaxResults != nil && start+int(*in.MaxResults) < end {
		end = start + int(*in.MaxResults)
		out.NextToken = ptr.To(strconv.Itoa(end))
	}
	out.SecurityGroupRules = append(out.SecurityGroupRules, matched[start:end]...)
	return out, nil
}

// findRule locates a rule of a group by id: its direction and index.
func findRule(g *ec2api.SecurityGroup, idx sgRuleIndex, id string) (egress bool, i int, ok bool) {
	gid := ptr.Deref(g.GroupId)
	for i, a := range g.IpPermissions {
		if idx.id(gid, ruleKey(false, a)) == id {
			return false, i, true
		}
	}
	for i, a := range g.IpPermissionsEgress {
		if idx.id(gid, ruleKey(true, a)) == id {
			return true, i, true
		}
	}
	return false, 0, false
}

// ModifySecurityGroupRules replaces the content of rules, keeping their
// ids.
func (s *EC2) ModifySecurityGroupRules(ctx *request.Context, in *ec2api.ModifySecurityGroupRulesRequest) (*ec2api.ModifySecurityGroupRulesResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		g, err := s.groupByRef(tx, sc, ptr.Deref(in.GroupId), "")
		if err != nil {
			return err
		}
		gid := ptr.Deref(g.GroupId)
		idx, err := loadRuleIndex(tx, sc, gid)
		if err != nil {
			return err
		}
		for _, u := range in.SecurityGroupRules {
			id := ptr.Deref(u.SecurityGroupRuleId)
			if err := checkRuleID(id); err != nil {
				return err
			}
			if u.SecurityGroupRule == nil {
				return errMissingParameter.New("The request must contain the parameter SecurityGroupRule")
			}
			egress, i, ok := findRule(&g, idx, id)
			if !ok {
				return code("InvalidSecurityGroupRuleId.NotFound").New("The security group rule ID '%s' does not exist", id)
			}
			rq := u.SecurityGroupRule
			p := ec2api.IpPermission{IpProtocol: rq.IpProtocol, FromPort: rq.FromPort, ToPort: rq.ToPort}
			switch {
			case rq.CidrIpv4 != nil:
				p.IpRanges = []ec2api.IpRange{{CidrIp: rq.CidrIpv4, Description: rq.Description}}
			case rq.CidrIpv6 != nil:
				p.Ipv6Ranges = []ec2api.Ipv6Range{{CidrIpv6: rq.CidrIpv6, Description: rq.Description}}
			case rq.PrefixListId != nil:
				p.PrefixListIds = []ec2api.PrefixListId{{PrefixListId: rq.PrefixListId, Description: rq.Description}}
			case rq.ReferencedGroupId != nil:
				p.UserIdGroupPairs = []ec2api.UserIdGroupPair{{GroupId: rq.ReferencedGroupId, Description: rq.Description}}
			}
			atoms, err := s.atomize(tx, sc, ptr.Deref(g.VpcId), ruleInput{perms: []ec2api.IpPermission{p}, egress: egress})
			if err != nil {
				return err
			}
			cur := &g.IpPermissions
			if egress {
				cur = &g.IpPermissionsEgress
			}
			old := (*cur)[i]
			nk := ruleKey(egress, atoms[0])
			for j, c := range *cur {
				if j != i && ruleKey(egress, c) == nk {
					return errPermissionDuplicate.New("the specified rule %q already exists", describeRule(atoms[0]))
				}
			}
			delete(idx.IDs, ruleKey(egress, old))
			(*cur)[i] = atoms[0]
			if nk != ruleKey(egress, old) || id != derivedRuleID(gid, nk) {
				idx.IDs[nk] = id
			}
		}
		if err := sgRuleIDs.Put(tx, sc, idx, gid); err != nil {
			return err
		}
		return sgs.put(tx, sc, gid, g)
	})
	return answer(&ec2api.ModifySecurityGroupRulesResult{Return: ptr.To(true)}, err)
}

// updateRuleDescriptions sets descriptions of existing rules, named by
// their permissions or by their ids.
func (s *EC2) updateRuleDescriptions(ctx *request.Context, groupID, groupName string, perms []ec2api.IpPermission, byID []ec2api.SecurityGroupRuleDescription, egress bool) error {
	sc := scope(ctx)
	return s.store.Update(func(tx storage.Tx) error {
		g, err := s.groupByRef(tx, sc, groupID, groupName)
		if err != nil {
			return err
		}
		gid := ptr.Deref(g.GroupId)
		idx, err := loadRuleIndex(tx, sc, gid)
		if err != nil {
			return err
		}
		cur := &g.IpPermissions
		if egress {
			cur = &g.IpPermissionsEgress
		}
		if len(perms) > 0 {
			atoms, err := s.atomize(tx, sc, ptr.Deref(g.VpcId), ruleInput{perms: perms, egress: egress})
			if err != nil {
				return err
			}
			for _, a := range atoms {
				found := false
				for i := range *cur {
					if permKey((*cur)[i]) == permKey(a) {
						setRuleDescription(&(*cur)[i], ruleOf(&g, idx, egress, a).Description)
						found = true
					}
				}
				if !found {
					return errPermissionNotFound.New("The specified rule does not exist in this security group.")
				}
			}
		}
		for _, d := range byID {
			id := ptr.Deref(d.SecurityGroupRuleId)
			if err := checkRuleID(id); err != nil {
				return err
			}
			e, i, ok := findRule(&g, idx, id)
			if !ok || e != egress {
				return code("InvalidSecurityGroupRuleId.NotFound").New("The security group rule ID '%s' does not exist", id)
			}
			setRuleDescription(&(*cur)[i], d.Description)
		}
		return sgs.put(tx, sc, gid, g)
	})
}

// UpdateSecurityGroupRuleDescriptionsIngress sets inbound rule descriptions.
func (s *EC2) UpdateSecurityGroupRuleDescriptionsIngress(ctx *request.Context, in *ec2api.UpdateSecurityGroupRuleDescriptionsIngressRequest) (*ec2api.UpdateSecurityGroupRuleDescriptionsIngressResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	err := s.updateRuleDescriptions(ctx, ptr.Deref(in.GroupId), ptr.Deref(in.GroupName), in.IpPermissions, in.SecurityGroupRuleDescriptions, false)
	return answer(&ec2api.UpdateSecurityGroupRuleDescriptionsIngressResult{Return: ptr.To(true)}, err)
}

// UpdateSecurityGroupRuleDescriptionsEgress sets outbound rule descriptions.
func (s *EC2) UpdateSecurityGroupRuleDescriptionsEgress(ctx *request.Context, in *ec2api.UpdateSecurityGroupRuleDescriptionsEgressRequest) (*ec2api.UpdateSecurityGroupRuleDescriptionsEgressResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	err := s.updateRuleDescriptions(ctx, ptr.Deref(in.GroupId), ptr.Deref(in.GroupName), in.IpPermissions, in.SecurityGroupRuleDescriptions, true)
	return answer(&ec2api.UpdateSecurityGroupRuleDescriptionsEgressResult{Return: ptr.To(true)}, err)
}
