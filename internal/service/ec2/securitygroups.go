package ec2

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/filter"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Security groups store their rules atomically: one IpPermission per
// (protocol, ports, peer), so duplicate and revoke checks compare like
// with like; outputs merge them back by (protocol, ports) as EC2 shows.
var sgs = resource[ec2api.SecurityGroup]{table: storage.NewTable[ec2api.SecurityGroup]("sg"), prefix: "sg", typ: "security-group", noun: "security group", notFound: errGroupNotFound,
	tags: func(v *ec2api.SecurityGroup) *[]ec2api.Tag { return &v.Tags }, doc: sgDoc}

func sgDoc(v *ec2api.SecurityGroup) filter.Doc {
	d := filter.New(v.Tags).Add("description", ptr.Deref(v.Description)).Add("group-id", ptr.Deref(v.GroupId)).Add("group-name", ptr.Deref(v.GroupName)).
		Add("owner-id", ptr.Deref(v.OwnerId)).Add("vpc-id", ptr.Deref(v.VpcId))
	for _, pre := range []string{"ip-permission.", "egress.ip-permission."} {
		perms := v.IpPermissions
		if pre != "ip-permission." {
			perms = v.IpPermissionsEgress
		}
		for _, n := range []string{"cidr", "from-port", "to-port", "protocol", "group-id", "group-name", "user-id", "prefix-list-id", "ipv6-cidr"} {
			d.Add(pre + n)
		}
		for _, p := range perms {
			d.Add(pre+"protocol", ptr.Deref(p.IpProtocol))
			if p.FromPort != nil {
				d.Add(pre+"from-port", fmt.Sprint(*p.FromPort))
			}
			if p.ToPort != nil {
				d.Add(pre+"to-port", fmt.Sprint(*p.ToPort))
			}
			for _, r := range p.IpRanges {
				d.Add(pre+"cidr", ptr.Deref(r.CidrIp))
			}
			for _, g := range p.UserIdGroupPairs {
				d.Add(pre+"group-id", ptr.Deref(g.GroupId)).Add(pre+"group-name", ptr.Deref(g.GroupName)).Add(pre+"user-id", ptr.Deref(g.UserId))
			}
		}
	}
	return d
}

// CreateSecurityGroup creates a group in a VPC (the default VPC when none
// is named) with the allow-all egress rule.
func (s *EC2) CreateSecurityGroup(ctx *request.Context, in *ec2api.CreateSecurityGroupRequest) (*ec2api.CreateSecurityGroupResult, error) {
	if err := s.ensureDefaults(ctx); err != nil {
		return nil, err
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	name := ptr.Deref(in.GroupName)
	if strings.HasPrefix(strings.ToLower(name), "sg-") {
		return nil, errInvalidParameterValue.New("Group names may not be in the format sg-*")
	}
	if name == "default" {
		return nil, errGroupReserved.New("The security group 'default' is reserved")
	}
	sc := scope(ctx)
	id := newID("sg")
	tags := tagsFor(in.TagSpecifications, "security-group")
	if tags == nil {
		tags = []ec2api.Tag{}
	}
	err := s.store.Update(func(tx storage.Tx) error {
		vpc := ptr.Deref(in.VpcId)
		if vpc == "" {
			d, err := s.defaultsOf(tx, sc)
			if err != nil {
				return err
			}
			vpc = d.VpcID
			if vpc == "" {
				return code("VPCIdNotSpecified").New("No default VPC for this user")
			}
		}
		if _, err := vpcs.get(tx, sc, vpc); err != nil {
			return err
		}
		all, err := sgs.all(tx, sc)
		if err != nil {
			return err
		}
		for _, g := range all {
			if ptr.Deref(g.VpcId) == vpc && ptr.Deref(g.GroupName) == name {
				return errGroupDuplicate.New("The security group '%s' already exists for VPC '%s'", name, vpc)
			}
		}
		return sgs.put(tx, sc, id, ec2api.SecurityGroup{GroupId: ptr.To(id), GroupName: ptr.To(name), Description: in.Description, OwnerId: ptr.To(ctx.Account), VpcId: ptr.To(vpc), Tags: tags,
			IpPermissions: []ec2api.IpPermission{}, IpPermissionsEgress: []ec2api.IpPermission{allowAllEgress()}})
	})
	return answer(&ec2api.CreateSecurityGroupResult{GroupId: ptr.To(id), Tags: tags}, err)
}

// groupByRef finds a group by id, or by name in the default VPC.
func (s *EC2) groupByRef(tx storage.Tx, sc storage.Scope, id, name string) (ec2api.SecurityGroup, error) {
	if id != "" {
		if !strings.HasPrefix(id, "sg-") {
			return ec2api.SecurityGroup{}, errGroupIDMalformed.New("Invalid id: \"%s\" (expecting \"sg-...\")", id)
		}
		g, ok, err := sgs.table.Get(tx, sc, id)
		if err != nil {
			return g, err
		}
		if !ok {
			return g, errGroupNotFound.New("The security group '%s' does not exist", id)
		}
		return g, nil
	}
	if name == "" {
		return ec2api.SecurityGroup{}, errMissingParameter.New("The request must contain the parameter groupName or groupId")
	}
	d, err := s.defaultsOf(tx, sc)
	if err != nil {
		return ec2api.SecurityGroup{}, err
	}
	def := d.VpcID
	all, err := sgs.all(tx, sc)
	if err != nil {
		return ec2api.SecurityGroup{}, err
	}
	for _, g := range all {
		if ptr.Deref(g.GroupName) == name && ptr.Deref(g.VpcId) == def {
			return g, nil
		}
	}
	return ec2api.SecurityGroup{}, errGroupNotFound.New("The security group '%s' does not exist in default VPC '%s'", name, def)
}

// DescribeSecurityGroups lists groups with merged rules.
func (s *EC2) DescribeSecurityGroups(ctx *request.Context, in *ec2api.DescribeSecurityGroupsRequest) (*ec2api.DescribeSecurityGroupsResult, error) {
	if err := s.ensureDefaults(ctx); err != nil {
		return nil, err
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	for _, id := range in.GroupIds {
		if !strings.HasPrefix(id, "sg-") {
			return nil, errGroupIDMalformed.New("Invalid id: \"%s\" (expecting \"sg-...\")", id)
		}
	}
	var keep func(*ec2api.SecurityGroup) bool
	if len(in.GroupNames) > 0 {
		var def string
		if err := s.store.View(func(tx storage.Tx) error {
			d, err := s.defaultsOf(tx, scope(ctx))
			if err != nil {
				return err
			}
			def = d.VpcID
			for _, n := range in.GroupNames {
				if _, err := s.groupByRef(tx, scope(ctx), "", n); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return nil, err
		}
		keep = func(g *ec2api.SecurityGroup) bool {
			return contains(in.GroupNames, ptr.Deref(g.GroupName)) && ptr.Deref(g.VpcId) == def
		}
	}
	recs, next, err := describe(s, ctx, sgs, page{ids: in.GroupIds, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken}, keep)
	if err != nil {
		return nil, err
	}
	out := &ec2api.DescribeSecurityGroupsResult{SecurityGroups: []ec2api.SecurityGroup{}, NextToken: next}
	for _, g := range recs {
		g.IpPermissions = mergePerms(g.IpPermissions)
		g.IpPermissionsEgress = mergePerms(g.IpPermissionsEgress)
		out.SecurityGroups = append(out.SecurityGroups, g)
	}
	return out, nil
}

// DeleteSecurityGroup deletes a group no instance, interface or other
// group's rule refers to; the default group cannot go.
func (s *EC2) DeleteSecurityGroup(ctx *request.Context, in *ec2api.DeleteSecurityGroupRequest) (*ec2api.DeleteSecurityGroupOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		g, err := s.groupByRef(tx, sc, ptr.Deref(in.GroupId), ptr.Deref(in.GroupName))
		if err != nil {
			return err
		}
		id := ptr.Deref(g.GroupId)
		if ptr.Deref(g.GroupName) == "default" {
			return errCannotDelete.New("the specified group: \"%s\" name: \"default\" cannot be deleted by a user", id)
		}
		all, err := enis.all(tx, sc)
		if err != nil {
			return err
		}
		for _, e := range all {
			for _, gi := range e.Groups {
				if ptr.Deref(gi.GroupId) == id {
					return errDependencyViolation.New("resource %s has a dependent object", id)
				}
			}
		}
		groups, err := sgs.all(tx, sc)
		if err != nil {
			return err
		}
		for _, o := range groups {
			if ptr.Deref(o.GroupId) == id {
				continue
			}
			for _, p := range append(append([]ec2api.IpPermission{}, o.IpPermissions...), o.IpPermissionsEgress...) {
				for _, pair := range p.UserIdGroupPairs {
					if ptr.Deref(pair.GroupId) == id {
						return errDependencyViolation.New("resource %s has a dependent object", id)
					}
				}
			}
		}
		if err := sgRuleIDs.Delete(tx, sc, id); err != nil {
			return err
		}
		return sgs.table.Delete(tx, sc, id)
	})
	return answer(&ec2api.DeleteSecurityGroupOutput{}, err)
}

// ruleInput is the common part of Authorize*/Revoke* requests.
type ruleInput struct {
	groupID, groupName     string
	perms                  []ec2api.IpPermission
	cidr, proto            *string
	from, to               *int32
	srcGroupName, srcOwner *string
	egress                 bool
	ruleIDs                []string // Revoke* by SecurityGroupRuleIds
}

// atomize validates permissions and splits them into one-peer rules.
func (s *EC2) atomize(tx storage.Tx, sc storage.Scope, vpc string, in ruleInput) ([]ec2api.IpPermission, error) {
	perms := in.perms
	if len(perms) == 0 {
		p := ec2api.IpPermission{IpProtocol: in.proto, FromPort: in.from, ToPort: in.to}
		if in.cidr != nil {
			p.IpRanges = []ec2api.IpRange{{CidrIp: in.cidr}}
		}
		if in.srcGroupName != nil {
			g, err := s.groupByRef(tx, sc, "", *in.srcGroupName)
			if err != nil {
				return nil, err
			}
			p.UserIdGroupPairs = []ec2api.UserIdGroupPair{{GroupId: g.GroupId, UserId: ptr.To(sc.Account)}}
			if p.IpProtocol == nil {
				p.IpProtocol = ptr.To("-1")
			}
		}
		perms = []ec2api.IpPermission{p}
	}
	var out []ec2api.IpPermission
	for _, p := range perms {
		proto := strings.ToLower(ptr.Deref(p.IpProtocol))
		switch proto {
		case "":
			return nil, errMissingParameter.New("The request must contain the parameter ipProtocol")
		case "tcp", "udp", "icmp", "icmpv6", "-1", "all":
		default:
			if n, err := fmt.Sscanf(proto, "%d", new(int)); n != 1 || err != nil {
				return nil, errInvalidParameterValue.New("Invalid value '%s' for IP protocol. Unknown protocol.", ptr.Deref(p.IpProtocol))
			}
		}
		if proto == "all" {
			proto = "-1"
		}
		np := ec2api.IpPermission{IpProtocol: ptr.To(proto)}
		if proto == "6" {
			np.IpProtocol = ptr.To("tcp")
		} else if proto == "17" {
			np.IpProtocol = ptr.To("udp")
		} else if proto == "1" {
			np.IpProtocol = ptr.To("icmp")
		}
		if proto != "-1" {
			if p.FromPort == nil || p.ToPort == nil {
				if proto == "tcp" || proto == "udp" {
					return nil, errInvalidParameterValue.New("Invalid value 'null' for portRange. Must specify both from and to ports with TCP/UDP.")
				}
			}
			if (proto == "tcp" || proto == "udp") && p.FromPort != nil && p.ToPort != nil {
				if *p.FromPort < 0 || *p.ToPort > 65535 || *p.FromPort > *p.ToPort {
					return nil, errInvalidParameterValue.New("Invalid TCP/UDP port range: %d-%d", *p.FromPort, *p.ToPort)
				}
			}
			np.FromPort, np.ToPort = p.FromPort, p.ToPort
		}
		base := np
		for _, r := range p.IpRanges {
			pr, err := netip.ParsePrefix(ptr.Deref(r.CidrIp))
			if err != nil || !pr.Addr().Is4() {
				return nil, errInvalidParameterValue.New("CIDR block %s is malformed", ptr.Deref(r.CidrIp))
			}
			a := base
			a.IpRanges = []ec2api.IpRange{{CidrIp: ptr.To(pr.Masked().String()), Description: r.Description}}
			out = append(out, a)
		}
		for _, r := range p.Ipv6Ranges {
			a := base
			a.Ipv6Ranges = []ec2api.Ipv6Range{r}
			out = append(out, a)
		}
		for _, r := range p.PrefixListIds {
			a := base
			a.PrefixListIds = []ec2api.PrefixListId{r}
			out = append(out, a)
		}
		for _, r := range p.UserIdGroupPairs {
			g, err := s.groupByRef(tx, sc, ptr.Deref(r.GroupId), ptr.Deref(r.GroupName))
			if err != nil {
				return nil, err
			}
			a := base
			a.UserIdGroupPairs = []ec2api.UserIdGroupPair{{GroupId: g.GroupId, UserId: ptr.To(sc.Account), Description: r.Description}}
			out = append(out, a)
		}
		if len(p.IpRanges)+len(p.Ipv6Ranges)+len(p.PrefixListIds)+len(p.UserIdGroupPairs) == 0 {
			return nil, errMissingParameter.New("The request must contain the parameter ipPermissions")
		}
	}
	return out, nil
}

func permKey(p ec2api.IpPermission) string {
	peer := ""
	switch {
	case len(p.IpRanges) > 0:
		peer = ptr.Deref(p.IpRanges[0].CidrIp)
	case len(p.Ipv6Ranges) > 0:
		peer = ptr.Deref(p.Ipv6Ranges[0].CidrIpv6)
	case len(p.PrefixListIds) > 0:
		peer = ptr.Deref(p.PrefixListIds[0].PrefixListId)
	case len(p.UserIdGroupPairs) > 0:
		peer = ptr.Deref(p.UserIdGroupPairs[0].GroupId)
	}
	return fmt.Sprintf("%s|%d|%d|%s", ptr.Deref(p.IpProtocol), ptr.Deref(p.FromPort), ptr.Deref(p.ToPort), peer)
}

func describeRule(p ec2api.IpPermission) string {
	k := strings.Split(permKey(p), "|")
	proto := strings.ToUpper(k[0])
	if proto == "-1" {
		return fmt.Sprintf("peer: %s, ALL, ALLOW", k[3])
	}
	return fmt.Sprintf("peer: %s, %s, from port: %s, to port: %s, ALLOW", k[3], proto, k[1], k[2])
}

func (s *EC2) changeRules(ctx *request.Context, in ruleInput, add bool) ([]ec2api.SecurityGroupRule, error) {
	sc := scope(ctx)
	var rules []ec2api.SecurityGroupRule
	err := s.store.Update(func(tx storage.Tx) error {
		g, err := s.groupByRef(tx, sc, in.groupID, in.groupName)
		if err != nil {
			return err
		}
		gid := ptr.Deref(g.GroupId)
		idx, err := loadRuleIndex(tx, sc, gid)
		if err != nil {
			return err
		}
		cur := &g.IpPermissions
		if in.egress {
			cur = &g.IpPermissionsEgress
		}
		var atoms []ec2api.IpPermission
		if !add && len(in.ruleIDs) > 0 {
			for _, id := range in.ruleIDs {
				if err := checkRuleID(id); err != nil {
					return err
				}
				e, i, ok := findRule(&g, idx, id)
				if !ok || e != in.egress {
					return code("InvalidSecurityGroupRuleId.NotFound").New("The security group rule ID '%s' does not exist", id)
				}
				atoms = append(atoms, (*cur)[i])
			}
		} else if atoms, err = s.atomize(tx, sc, ptr.Deref(g.VpcId), in); err != nil {
			return err
		}
		for _, a := range atoms {
			idxA := -1
			for i, c := range *cur {
				if permKey(c) == permKey(a) {
					idxA = i
				}
			}
			if add {
				if idxA >= 0 {
					return errPermissionDuplicate.New("the specified rule %q already exists", describeRule(a))
				}
				*cur = append(*cur, a)
				rules = append(rules, ruleOf(&g, idx, in.egress, a))
			} else {
				if idxA < 0 {
					return errPermissionNotFound.New("The specified rule does not exist in this security group.")
				}
				*cur = append((*cur)[:idxA], (*cur)[idxA+1:]...)
				delete(idx.IDs, ruleKey(in.egress, a))
			}
		}
		if err := sgRuleIDs.Put(tx, sc, idx, gid); err != nil {
			return err
		}
		return sgs.put(tx, sc, ptr.Deref(g.GroupId), g)
	})
	return rules, err
}

// AuthorizeSecurityGroupIngress adds inbound rules.
func (s *EC2) AuthorizeSecurityGroupIngress(ctx *request.Context, in *ec2api.AuthorizeSecurityGroupIngressRequest) (*ec2api.AuthorizeSecurityGroupIngressResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	rules, err := s.changeRules(ctx, ruleInput{groupID: ptr.Deref(in.GroupId), groupName: ptr.Deref(in.GroupName), perms: in.IpPermissions, cidr: in.CidrIp, proto: in.IpProtocol,
		from: in.FromPort, to: in.ToPort, srcGroupName: in.SourceSecurityGroupName, srcOwner: in.SourceSecurityGroupOwnerId}, true)
	return answer(&ec2api.AuthorizeSecurityGroupIngressResult{Return: ptr.To(true), SecurityGroupRules: rules}, err)
}

// AuthorizeSecurityGroupEgress adds outbound rules.
func (s *EC2) AuthorizeSecurityGroupEgress(ctx *request.Context, in *ec2api.AuthorizeSecurityGroupEgressRequest) (*ec2api.AuthorizeSecurityGroupEgressResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	rules, err := s.changeRules(ctx, ruleInput{groupID: ptr.Deref(in.GroupId), perms: in.IpPermissions, cidr: in.CidrIp, proto: in.IpProtocol,
		from: in.FromPort, to: in.ToPort, srcGroupName: in.SourceSecurityGroupName, srcOwner: in.SourceSecurityGroupOwnerId, egress: true}, true)
	return answer(&ec2api.AuthorizeSecurityGroupEgressResult{Return: ptr.To(true), SecurityGroupRules: rules}, err)
}

// RevokeSecurityGroupIngress removes inbound rules.
func (s *EC2) RevokeSecurityGroupIngress(ctx *request.Context, in *ec2api.RevokeSecurityGroupIngressRequest) (*ec2api.RevokeSecurityGroupIngressResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	_, err := s.changeRules(ctx, ruleInput{groupID: ptr.Deref(in.GroupId), groupName: ptr.Deref(in.GroupName), perms: in.IpPermissions, cidr: in.CidrIp, proto: in.IpProtocol,
		from: in.FromPort, to: in.ToPort, srcGroupName: in.SourceSecurityGroupName, srcOwner: in.SourceSecurityGroupOwnerId, ruleIDs: in.SecurityGroupRuleIds}, false)
	return answer(&ec2api.RevokeSecurityGroupIngressResult{Return: ptr.To(true)}, err)
}

// RevokeSecurityGroupEgress removes outbound rules.
func (s *EC2) RevokeSecurityGroupEgress(ctx *request.Context, in *ec2api.RevokeSecurityGroupEgressRequest) (*ec2api.RevokeSecurityGroupEgressResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	_, err := s.changeRules(ctx, ruleInput{groupID: ptr.Deref(in.GroupId), perms: in.IpPermissions, cidr: in.CidrIp, proto: in.IpProtocol,
		from: in.FromPort, to: in.ToPort, srcGroupName: in.SourceSecurityGroupName, srcOwner: in.SourceSecurityGroupOwnerId, egress: true, ruleIDs: in.SecurityGroupRuleIds}, false)
	return answer(&ec2api.RevokeSecurityGroupEgressResult{Return: ptr.To(true)}, err)
}

// mergePerms groups atomic rules by protocol and ports, as EC2 shows them.
func mergePerms(atoms []ec2api.IpPermission) []ec2api.IpPermission {
	out := []ec2api.IpPermission{}
	idx := map[string]int{}
	for _, a := range atoms {
		k := fmt.Sprintf("%s|%v|%v", ptr.Deref(a.IpProtocol), a.FromPort != nil, ptr.Deref(a.FromPort)) + fmt.Sprint(ptr.Deref(a.ToPort))
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, ec2api.IpPermission{IpProtocol: a.IpProtocol, FromPort: a.FromPort, ToPort: a.ToPort,
				IpRanges: []ec2api.IpRange{}, Ipv6Ranges: []ec2api.Ipv6Range{}, PrefixListIds: []ec2api.PrefixListId{}, UserIdGroupPairs: []ec2api.UserIdGroupPair{}})
		}
		out[i].IpRanges = append(out[i].IpRanges, a.IpRanges...)
		out[i].Ipv6Ranges = append(out[i].Ipv6Ranges, a.Ipv6Ranges...)
		out[i].PrefixListIds = append(out[i].PrefixListIds, a.PrefixListIds...)
		out[i].UserIdGroupPairs = append(out[i].UserIdGroupPairs, a.UserIdGroupPairs...)
	}
	sort.SliceStable(out, func(i, j int) bool { return ptr.Deref(out[i].IpProtocol) < ptr.Deref(out[j].IpProtocol) })
	return out
}

func sortStrings(s []string) { sort.Strings(s) }
