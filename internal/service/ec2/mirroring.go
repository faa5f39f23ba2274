package ec2

import (
	"fmt"
	"net/netip"
	"slices"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/filter"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Traffic Mirroring at API level: filters with their rules, targets and
// sessions are stored, validated and described as EC2 does. niwa forwards
// no packets through its VPCs, so no packet is mirrored to a target
// (docs/ec2.md says so).

var (
	mirrorFilters = resource[ec2api.TrafficMirrorFilter]{table: storage.NewTable[ec2api.TrafficMirrorFilter]("tmf"), prefix: "tmf", typ: "traffic-mirror-filter",
		noun: "trafficMirrorFilter", notFound: code("InvalidTrafficMirrorFilterNotFound"), tags: func(v *ec2api.TrafficMirrorFilter) *[]ec2api.Tag { return &v.Tags },
		doc: func(v *ec2api.TrafficMirrorFilter) filter.Doc {
			return filter.New(v.Tags).Add("traffic-mirror-filter-id", ptr.Deref(v.TrafficMirrorFilterId)).Add("description", ptr.Deref(v.Description))
		}}
	mirrorTargets = resource[ec2api.TrafficMirrorTarget]{table: storage.NewTable[ec2api.TrafficMirrorTarget]("tmt"), prefix: "tmt", typ: "traffic-mirror-target",
		noun: "trafficMirrorTarget", notFound: code("InvalidTrafficMirrorTargetNoFound"), tags: func(v *ec2api.TrafficMirrorTarget) *[]ec2api.Tag { return &v.Tags },
		doc: func(v *ec2api.TrafficMirrorTarget) filter.Doc {
			return filter.New(v.Tags).Add("traffic-mirror-target-id", ptr.Deref(v.TrafficMirrorTargetId)).Add("description", ptr.Deref(v.Description)).
				Add("network-interface-id", ptr.Deref(v.NetworkInterfaceId)).Add("network-load-balancer-arn", ptr.Deref(v.NetworkLoadBalancerArn)).
				Add("owner-id", ptr.Deref(v.OwnerId))
		}}
	mirrorSessions = resource[ec2api.TrafficMirrorSession]{table: storage.NewTable[ec2api.TrafficMirrorSession]("tms"), prefix: "tms", typ: "traffic-mirror-session",
		noun: "trafficMirrorSession", notFound: code("InvalidTrafficMirrorSessionNotFound"), tags: func(v *ec2api.TrafficMirrorSession) *[]ec2api.Tag { return &v.Tags },
		doc: func(v *ec2api.TrafficMirrorSession) filter.Doc {
			return filter.New(v.Tags).Add("traffic-mirror-session-id", ptr.Deref(v.TrafficMirrorSessionId)).Add("description", ptr.Deref(v.Description)).
				Add("network-interface-id", ptr.Deref(v.NetworkInterfaceId)).Add("owner-id", ptr.Deref(v.OwnerId)).
				Add("packet-length", fmt.Sprint(ptr.Deref(v.PacketLength))).Add("session-number", fmt.Sprint(ptr.Deref(v.SessionNumber))).
				Add("traffic-mirror-filter-id", ptr.Deref(v.TrafficMirrorFilterId)).Add("traffic-mirror-target-id", ptr.Deref(v.TrafficMirrorTargetId)).
				Add("virtual-network-id", fmt.Sprint(ptr.Deref(v.VirtualNetworkId)))
		}}
)

func mirrorRuleDoc(r *ec2api.TrafficMirrorFilterRule) filter.Doc {
	return filter.New(nil).Add("traffic-mirror-filter-rule-id", ptr.Deref(r.TrafficMirrorFilterRuleId)).Add("traffic-mirror-filter-id", ptr.Deref(r.TrafficMirrorFilterId)).
		Add("description", ptr.Deref(r.Description)).Add("rule-number", fmt.Sprint(ptr.Deref(r.RuleNumber))).Add("rule-action", ptr.Deref(r.RuleAction)).
		Add("traffic-direction", ptr.Deref(r.TrafficDirection)).Add("protocol", fmt.Sprint(ptr.Deref(r.Protocol))).
		Add("source-cidr-block", ptr.Deref(r.SourceCidrBlock)).Add("destination-cidr-block", ptr.Deref(r.DestinationCidrBlock))
}

// rulesOf is the filter's rule list for a direction.
func rulesOf(f *ec2api.TrafficMirrorFilter, direction string) *[]ec2api.TrafficMirrorFilterRule {
	if direction == "egress" {
		return &f.EgressFilterRules
	}
	return &f.IngressFilterRules
}

// CreateTrafficMirrorFilter creates an empty filter.
func (s *EC2) CreateTrafficMirrorFilter(ctx *request.Context, in *ec2api.CreateTrafficMirrorFilterRequest) (*ec2api.CreateTrafficMirrorFilterResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	id := newID("tmf")
	f := ec2api.TrafficMirrorFilter{TrafficMirrorFilterId: ptr.To(id), Description: in.Description, IngressFilterRules: []ec2api.TrafficMirrorFilterRule{},
		EgressFilterRules: []ec2api.TrafficMirrorFilterRule{}, NetworkServices: []string{}, Tags: nonNilTags(tagsFor(in.TagSpecifications, "traffic-mirror-filter"))}
	err := s.store.Update(func(tx storage.Tx) error { return mirrorFilters.put(tx, scope(ctx), id, f) })
	return answer(&ec2api.CreateTrafficMirrorFilterResult{TrafficMirrorFilter: &f, ClientToken: in.ClientToken}, err)
}

// DescribeTrafficMirrorFilters lists filters with their rules.
func (s *EC2) DescribeTrafficMirrorFilters(ctx *request.Context, in *ec2api.DescribeTrafficMirrorFiltersRequest) (*ec2api.DescribeTrafficMirrorFiltersResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	recs, next, err := describe(s, ctx, mirrorFilters, page{ids: in.TrafficMirrorFilterIds, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken}, nil)
	return answer(&ec2api.DescribeTrafficMirrorFiltersResult{TrafficMirrorFilters: orEmpty(recs), NextToken: next}, err)
}

// DeleteTrafficMirrorFilter deletes a filter no session uses, with its
// rules.
func (s *EC2) DeleteTrafficMirrorFilter(ctx *request.Context, in *ec2api.DeleteTrafficMirrorFilterRequest) (*ec2api.DeleteTrafficMirrorFilterResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	id := ptr.Deref(in.TrafficMirrorFilterId)
	err := remove(s, ctx, mirrorFilters, id, func(tx storage.Tx, sc storage.Scope, _ *ec2api.TrafficMirrorFilter) error {
		return sessionsUse(tx, sc, "filter", id, func(v *ec2api.TrafficMirrorSession) string { return ptr.Deref(v.TrafficMirrorFilterId) })
	})
	return answer(&ec2api.DeleteTrafficMirrorFilterResult{TrafficMirrorFilterId: in.TrafficMirrorFilterId}, err)
}

// sessionsUse refuses to delete a filter or target a session still uses.
func sessionsUse(tx storage.Tx, sc storage.Scope, what, id string, ref func(*ec2api.TrafficMirrorSession) string) error {
	all, err := mirrorSessions.all(tx, sc)
	for _, v := range all {
		if ref(&v) == id {
			return errDependencyViolation.New("Traffic mirror %s %s is in use by traffic mirror session %s.", what, id, ptr.Deref(v.TrafficMirrorSessionId))
		}
	}
	return err
}

// ModifyTrafficMirrorFilterNetworkServices adds or removes the network
// services (amazon-dns) whose traffic the filter mirrors.
func (s *EC2) ModifyTrafficMirrorFilterNetworkServices(ctx *request.Context, in *ec2api.ModifyTrafficMirrorFilterNetworkServicesRequest) (*ec2api.ModifyTrafficMirrorFilterNetworkServicesResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	var out ec2api.TrafficMirrorFilter
	err := mutate(s, ctx, mirrorFilters, ptr.Deref(in.TrafficMirrorFilterId), func(_ storage.Tx, _ storage.Scope, f *ec2api.TrafficMirrorFilter) error {
		for _, n := range in.AddNetworkServices {
			if !slices.Contains(f.NetworkServices, n) {
				f.NetworkServices = append(f.NetworkServices, n)
			}
		}
		f.NetworkServices = slices.DeleteFunc(f.NetworkServices, func(n string) bool { return slices.Contains(in.RemoveNetworkServices, n) })
		out = *f
		return nil
	})
	return answer(&ec2api.ModifyTrafficMirrorFilterNetworkServicesResult{TrafficMirrorFilter: &out}, err)
}

// mirrorRuleInput is what CreateTrafficMirrorFilterRule and
// ModifyTrafficMirrorFilterRule set.
type mirrorRuleInput struct {
	direction, action, src, dst, desc *string
	number, protocol                  *int32
	srcPorts, dstPorts                *ec2api.TrafficMirrorPortRangeRequest
	remove                            []string
}

// apply sets the fields given on a rule and checks the result as EC2
// does: rule numbers 1-32766, protocol 0-255, ports 0-65535 only for TCP
// and UDP, source and destination CIDRs of one family.
func (in mirrorRuleInput) apply(r *ec2api.TrafficMirrorFilterRule) error {
	set := func(dst **string, v *string) {
		if v != nil {
			*dst = ptr.To(*v)
		}
	}
	set(&r.TrafficDirection, in.direction)
	set(&r.RuleAction, in.action)
	set(&r.SourceCidrBlock, in.src)
	set(&r.DestinationCidrBlock, in.dst)
	set(&r.Description, in.desc)
	if in.number != nil {
		r.RuleNumber = ptr.To(*in.number)
	}
	if in.protocol != nil {
		r.Protocol = ptr.To(*in.protocol)
	}
	ports := func(p *ec2api.TrafficMirrorPortRangeRequest) *ec2api.TrafficMirrorPortRange {
		if p == nil {
			return nil
		}
		return &ec2api.TrafficMirrorPortRange{FromPort: p.FromPort, ToPort: p.ToPort}
	}
	if in.srcPorts != nil {
		r.SourcePortRange = ports(in.srcPorts)
	}
	if in.dstPorts != nil {
		r.DestinationPortRange = ports(in.dstPorts)
	}
	for _, f := range in.remove {
		switch f {
		case "destination-port-range":
			r.DestinationPortRange = nil
		case "source-port-range":
			r.SourcePortRange = nil
		case "protocol":
			r.Protocol = nil
		case "description":
			r.Description = nil
		}
	}
	if n := ptr.Deref(r.RuleNumber); n < 1 || n > 32766 {
		return errInvalidParameterValue.New("Value (%d) for parameter ruleNumber is invalid. Expected a value between 1 and 32766.", n)
	}
	if p := r.Protocol; p != nil && (*p < 0 || *p > 255) {
		return errInvalidParameterValue.New("Value (%d) for parameter protocol is invalid. Expected a value between 0 and 255.", *p)
	}
	for _, pr := range []*ec2api.TrafficMirrorPortRange{r.SourcePortRange, r.DestinationPortRange} {
		if pr == nil {
			continue
		}
		if p := ptr.Deref(r.Protocol); p != 6 && p != 17 {
			return errInvalidParameterValue.New("Port ranges can only be specified for the TCP (6) and UDP (17) protocols.")
		}
		from, to := ptr.Deref(pr.FromPort), ptr.Deref(pr.ToPort)
		if from < 0 || to > 65535 || from > to {
			return errInvalidParameterValue.New("The port range %d-%d is invalid.", from, to)
		}
	}
	src, err1 := netip.ParsePrefix(ptr.Deref(r.SourceCidrBlock))
	dst, err2 := netip.ParsePrefix(ptr.Deref(r.DestinationCidrBlock))
	switch {
	case err1 != nil:
		return errInvalidParameterValue.New("Value (%s) for parameter sourceCidrBlock is invalid. This is not a valid CIDR block.", ptr.Deref(r.SourceCidrBlock))
	case err2 != nil:
		return errInvalidParameterValue.New("Value (%s) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.", ptr.Deref(r.DestinationCidrBlock))
	case src.Addr().Is4() != dst.Addr().Is4():
		return errInvalidParameterValue.New("The source and destination CIDR blocks must be of the same address family.")
	}
	return nil
}

// checkRuleNumber refuses a rule number another rule of the direction has.
func checkRuleNumber(f *ec2api.TrafficMirrorFilter, r ec2api.TrafficMirrorFilterRule) error {
	for _, o := range *rulesOf(f, ptr.Deref(r.TrafficDirection)) {
		if ptr.Deref(o.RuleNumber) == ptr.Deref(r.RuleNumber) && ptr.Deref(o.TrafficMirrorFilterRuleId) != ptr.Deref(r.TrafficMirrorFilterRuleId) {
			return errInvalidParameterValue.New("A rule with number %d already exists in the %s rules of traffic mirror filter %s.", ptr.Deref(r.RuleNumber), ptr.Deref(r.TrafficDirection), ptr.Deref(f.TrafficMirrorFilterId))
		}
	}
	return nil
}

// CreateTrafficMirrorFilterRule adds a rule to a filter.
func (s *EC2) CreateTrafficMirrorFilterRule(ctx *request.Context, in *ec2api.CreateTrafficMirrorFilterRuleRequest) (*ec2api.CreateTrafficMirrorFilterRuleResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	r := ec2api.TrafficMirrorFilterRule{TrafficMirrorFilterRuleId: ptr.To(newID("tmfr")), TrafficMirrorFilterId: in.TrafficMirrorFilterId,
		Tags: nonNilTags(tagsFor(in.TagSpecifications, "traffic-mirror-filter-rule"))}
	if err := (mirrorRuleInput{direction: in.TrafficDirection, action: in.RuleAction, src: in.SourceCidrBlock, dst: in.DestinationCidrBlock, desc: in.Description,
		number: in.RuleNumber, protocol: in.Protocol, srcPorts: in.SourcePortRange, dstPorts: in.DestinationPortRange}).apply(&r); err != nil {
		return nil, err
	}
	err := mutate(s, ctx, mirrorFilters, ptr.Deref(in.TrafficMirrorFilterId), func(_ storage.Tx, _ storage.Scope, f *ec2api.TrafficMirrorFilter) error {
		if err := checkRuleNumber(f, r); err != nil {
			return err
		}
		rules := rulesOf(f, ptr.Deref(r.TrafficDirection))
		*rules = append(*rules, r)
		slices.SortFunc(*rules, func(a, b ec2api.TrafficMirrorFilterRule) int {
			return int(ptr.Deref(a.RuleNumber) - ptr.Deref(b.RuleNumber))
		})
		return nil
	})
	return answer(&ec2api.CreateTrafficMirrorFilterRuleResult{TrafficMirrorFilterRule: &r, ClientToken: in.ClientToken}, err)
}

// editRule finds a rule by id in the scope's filters and lets edit change
// it (or return nil to delete it).
func (s *EC2) editRule(ctx *request.Context, id string, edit func(f *ec2api.TrafficMirrorFilter, r ec2api.TrafficMirrorFilterRule) (*ec2api.TrafficMirrorFilterRule, error)) (ec2api.TrafficMirrorFilterRule, error) {
	var out ec2api.TrafficMirrorFilterRule
	err := s.store.Update(func(tx storage.Tx) error {
		sc := scope(ctx)
		all, err := mirrorFilters.all(tx, sc)
		if err != nil {
			return err
		}
		for _, f := range all {
			for _, dir := range []string{"ingress", "egress"} {
				rules := rulesOf(&f, dir)
				i := slices.IndexFunc(*rules, func(r ec2api.TrafficMirrorFilterRule) bool { return ptr.Deref(r.TrafficMirrorFilterRuleId) == id })
				if i < 0 {
					continue
				}
				next, err := edit(&f, (*rules)[i])
				if err != nil {
					return err
				}
				*rules = slices.Delete(*rules, i, i+1)
				if next != nil {
					r := rulesOf(&f, ptr.Deref(next.TrafficDirection))
					*r = append(*r, *next)
					slices.SortFunc(*r, func(a, b ec2api.TrafficMirrorFilterRule) int {
						return int(ptr.Deref(a.RuleNumber) - ptr.Deref(b.RuleNumber))
					})
					out = *next
				}
				return mirrorFilters.put(tx, sc, ptr.Deref(f.TrafficMirrorFilterId), f)
			}
		}
		return code("InvalidTrafficMirrorFilterRuleNotFound").New("The traffic mirror filter rule '%s' does not exist.", id)
	})
	return out, err
}

// ModifyTrafficMirrorFilterRule changes a rule.
func (s *EC2) ModifyTrafficMirrorFilterRule(ctx *request.Context, in *ec2api.ModifyTrafficMirrorFilterRuleRequest) (*ec2api.ModifyTrafficMirrorFilterRuleResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	out, err := s.editRule(ctx, ptr.Deref(in.TrafficMirrorFilterRuleId), func(f *ec2api.TrafficMirrorFilter, r ec2api.TrafficMirrorFilterRule) (*ec2api.TrafficMirrorFilterRule, error) {
		if err := (mirrorRuleInput{direction: in.TrafficDirection, action: in.RuleAction, src: in.SourceCidrBlock, dst: in.DestinationCidrBlock, desc: in.Description,
			number: in.RuleNumber, protocol: in.Protocol, srcPorts: in.SourcePortRange, dstPorts: in.DestinationPortRange, remove: in.RemoveFields}).apply(&r); err != nil {
			return nil, err
		}
		return &r, checkRuleNumber(f, r)
	})
	return answer(&ec2api.ModifyTrafficMirrorFilterRuleResult{TrafficMirrorFilterRule: &out}, err)
}

// DeleteTrafficMirrorFilterRule removes a rule.
func (s *EC2) DeleteTrafficMirrorFilterRule(ctx *request.Context, in *ec2api.DeleteTrafficMirrorFilterRuleRequest) (*ec2api.DeleteTrafficMirrorFilterRuleResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	_, err := s.editRule(ctx, ptr.Deref(in.TrafficMirrorFilterRuleId), func(*ec2api.TrafficMirrorFilter, ec2api.TrafficMirrorFilterRule) (*ec2api.TrafficMirrorFilterRule, error) {
		return nil, nil
	})
	return answer(&ec2api.DeleteTrafficMirrorFilterRuleResult{TrafficMirrorFilterRuleId: in.TrafficMirrorFilterRuleId}, err)
}

// DescribeTrafficMirrorFilterRules lists rules, of one filter or by id.
func (s *EC2) DescribeTrafficMirrorFilterRules(ctx *request.Context, in *ec2api.DescribeTrafficMirrorFilterRulesRequest) (*ec2api.DescribeTrafficMirrorFilterRulesResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if err := filter.Validate(in.Filters, mirrorRuleDoc(&ec2api.TrafficMirrorFilterRule{})); err != nil {
		return nil, err
	}
	var list []ec2api.TrafficMirrorFilterRule
	err := s.store.View(func(tx storage.Tx) error {
		sc := scope(ctx)
		var fs []ec2api.TrafficMirrorFilter
		var err error
		if id := ptr.Deref(in.TrafficMirrorFilterId); id != "" {
			f, err := mirrorFilters.get(tx, sc, id)
			if err != nil {
				return err
			}
			fs = []ec2api.TrafficMirrorFilter{f}
		} else if fs, err = mirrorFilters.all(tx, sc); err != nil {
			return err
		}
		for _, f := range fs {
			for _, r := range append(append([]ec2api.TrafficMirrorFilterRule{}, f.IngressFilterRules...), f.EgressFilterRules...) {
				if (len(in.TrafficMirrorFilterRuleIds) == 0 || slices.Contains(in.TrafficMirrorFilterRuleIds, ptr.Deref(r.TrafficMirrorFilterRuleId))) && filter.Match(in.Filters, mirrorRuleDoc(&r)) {
					list = append(list, r)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	items, next, err := pageOf(list, in.MaxResults, in.NextToken)
	return answer(&ec2api.DescribeTrafficMirrorFilterRulesResult{TrafficMirrorFilterRules: append([]ec2api.TrafficMirrorFilterRule{}, items...), NextToken: next}, err)
}

var nlbARN = lazyre.New(`^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:loadbalancer/net/[A-Za-z0-9-]{1,32}/[0-9a-f]{16}$`)

// CreateTrafficMirrorTarget creates a target: a network interface, a
// Network Load Balancer or a Gateway Load Balancer endpoint.
func (s *EC2) CreateTrafficMirrorTarget(ctx *request.Context, in *ec2api.CreateTrafficMirrorTargetRequest) (*ec2api.CreateTrafficMirrorTargetResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	n := 0
	for _, v := range []*string{in.NetworkInterfaceId, in.NetworkLoadBalancerArn, in.GatewayLoadBalancerEndpointId} {
		if v != nil {
			n++
		}
	}
	if n != 1 {
		return nil, errInvalidParameterCombo.New("Specify exactly one of NetworkInterfaceId, NetworkLoadBalancerArn and GatewayLoadBalancerEndpointId.")
	}
	id := newID("tmt")
	t := ec2api.TrafficMirrorTarget{TrafficMirrorTargetId: ptr.To(id), NetworkInterfaceId: in.NetworkInterfaceId, NetworkLoadBalancerArn: in.NetworkLoadBalancerArn,
		GatewayLoadBalancerEndpointId: in.GatewayLoadBalancerEndpointId, Description: in.Description, OwnerId: ptr.To(ctx.Account),
		Tags: nonNilTags(tagsFor(in.TagSpecifications, "traffic-mirror-target"))}
	err := s.store.Update(func(tx storage.Tx) error {
		sc := scope(ctx)
		switch {
		case in.NetworkInterfaceId != nil:
			t.Type = ptr.To("network-interface")
			if _, err := enis.get(tx, sc, *in.NetworkInterfaceId); err != nil {
				return err
			}
		case in.NetworkLoadBalancerArn != nil:
			t.Type = ptr.To("network-load-balancer")
			if !nlbARN.MatchString(*in.NetworkLoadBalancerArn) {
				return code("InvalidNetworkLoadBalancerArn.Malformed").New("The Network Load Balancer ARN '%s' is malformed.", *in.NetworkLoadBalancerArn)
			}
		default:
			t.Type = ptr.To("gateway-load-balancer-endpoint")
			if _, err := vpcEndpoints.get(tx, sc, *in.GatewayLoadBalancerEndpointId); err != nil {
				return err
			}
		}
		return mirrorTargets.put(tx, sc, id, t)
	})
	return answer(&ec2api.CreateTrafficMirrorTargetResult{TrafficMirrorTarget: &t, ClientToken: in.ClientToken}, err)
}

// DescribeTrafficMirrorTargets lists targets.
func (s *EC2) DescribeTrafficMirrorTargets(ctx *request.Context, in *ec2api.DescribeTrafficMirrorTargetsRequest) (*ec2api.DescribeTrafficMirrorTargetsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	recs, next, err := describe(s, ctx, mirrorTargets, page{ids: in.TrafficMirrorTargetIds, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken}, nil)
	return answer(&ec2api.DescribeTrafficMirrorTargetsResult{TrafficMirrorTargets: orEmpty(recs), NextToken: next}, err)
}

// DeleteTrafficMirrorTarget deletes a target no session uses.
func (s *EC2) DeleteTrafficMirrorTarget(ctx *request.Context, in *ec2api.DeleteTrafficMirrorTargetRequest) (*ec2api.DeleteTrafficMirrorTargetResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	id := ptr.Deref(in.TrafficMirrorTargetId)
	err := remove(s, ctx, mirrorTargets, id, func(tx storage.Tx, sc storage.Scope, _ *ec2api.TrafficMirrorTarget) error {
		return sessionsUse(tx, sc, "target", id, func(v *ec2api.TrafficMirrorSession) string { return ptr.Deref(v.TrafficMirrorTargetId) })
	})
	return answer(&ec2api.DeleteTrafficMirrorTargetResult{TrafficMirrorTargetId: in.TrafficMirrorTargetId}, err)
}

// maxSessionsPerSource is how many sessions one source interface takes.
const maxSessionsPerSource = 3

// checkSession validates a session against its parts: filter and target
// exist, the target is not the source, numbers are in range and unique
// for the source, and the source has room.
func checkSession(tx storage.Tx, sc storage.Scope, v ec2api.TrafficMirrorSession) error {
	if _, err := enis.get(tx, sc, ptr.Deref(v.NetworkInterfaceId)); err != nil {
		return err
	}
	if _, err := mirrorFilters.get(tx, sc, ptr.Deref(v.TrafficMirrorFilterId)); err != nil {
		return err
	}
	t, err := mirrorTargets.get(tx, sc, ptr.Deref(v.TrafficMirrorTargetId))
	if err != nil {
		return err
	}
	if ptr.Deref(t.NetworkInterfaceId) != "" && ptr.Deref(t.NetworkInterfaceId) == ptr.Deref(v.NetworkInterfaceId) {
		return errInvalidParameterValue.New("The traffic mirror source and target cannot be the same network interface.")
	}
	if n := ptr.Deref(v.SessionNumber); n < 1 || n > 32766 {
		return errInvalidParameterValue.New("Value (%d) for parameter sessionNumber is invalid. Expected a value between 1 and 32766.", n)
	}
	if p := v.PacketLength; p != nil && (*p < 1 || *p > 8947) {
		return errInvalidParameterValue.New("Value (%d) for parameter packetLength is invalid. Expected a value between 1 and 8947.", *p)
	}
	if vni := ptr.Deref(v.VirtualNetworkId); vni < 0 || vni > 16777215 {
		return errInvalidParameterValue.New("Value (%d) for parameter virtualNetworkId is invalid. Expected a value between 0 and 16777215.", vni)
	}
	all, err := mirrorSessions.all(tx, sc)
	same := 0
	for _, o := range all {
		if ptr.Deref(o.NetworkInterfaceId) != ptr.Deref(v.NetworkInterfaceId) || ptr.Deref(o.TrafficMirrorSessionId) == ptr.Deref(v.TrafficMirrorSessionId) {
			continue
		}
		same++
		if ptr.Deref(o.SessionNumber) == ptr.Deref(v.SessionNumber) {
			return errInvalidParameterValue.New("Session number %d is already used by traffic mirror session %s on %s.", ptr.Deref(v.SessionNumber), ptr.Deref(o.TrafficMirrorSessionId), ptr.Deref(v.NetworkInterfaceId))
		}
	}
	if same >= maxSessionsPerSource {
		return code("TrafficMirrorSessionLimitExceeded").New("Network interface %s already has %d traffic mirror sessions.", ptr.Deref(v.NetworkInterfaceId), maxSessionsPerSource)
	}
	return err
}

// CreateTrafficMirrorSession mirrors a source interface to a target
// through a filter.
func (s *EC2) CreateTrafficMirrorSession(ctx *request.Context, in *ec2api.CreateTrafficMirrorSessionRequest) (*ec2api.CreateTrafficMirrorSessionResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	id := newID("tms")
	v := ec2api.TrafficMirrorSession{TrafficMirrorSessionId: ptr.To(id), NetworkInterfaceId: in.NetworkInterfaceId, TrafficMirrorTargetId: in.TrafficMirrorTargetId,
		TrafficMirrorFilterId: in.TrafficMirrorFilterId, PacketLength: in.PacketLength, SessionNumber: in.SessionNumber, VirtualNetworkId: in.VirtualNetworkId,
		Description: in.Description, OwnerId: ptr.To(ctx.Account), Tags: nonNilTags(tagsFor(in.TagSpecifications, "traffic-mirror-session"))}
	if v.VirtualNetworkId == nil {
		// EC2 picks a random VXLAN network id when none is given.
		v.VirtualNetworkId = ptr.To(int32(mirrorVNI(id)))
	}
	err := s.store.Update(func(tx storage.Tx) error {
		sc := scope(ctx)
		if err := checkSession(tx, sc, v); err != nil {
			return err
		}
		return mirrorSessions.put(tx, sc, id, v)
	})
	return answer(&ec2api.CreateTrafficMirrorSessionResult{TrafficMirrorSession: &v, ClientToken: in.ClientToken}, err)
}

// mirrorVNI derives a session's VXLAN id from its (random) id.
func mirrorVNI(id string) int {
	n := 0
	for _, c := range id {
		n = (n*31 + int(c)) % 16777216
	}
	return n
}

// ModifyTrafficMirrorSession changes a session's target, filter and
// numbers.
func (s *EC2) ModifyTrafficMirrorSession(ctx *request.Context, in *ec2api.ModifyTrafficMirrorSessionRequest) (*ec2api.ModifyTrafficMirrorSessionResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	var out ec2api.TrafficMirrorSession
	err := mutate(s, ctx, mirrorSessions, ptr.Deref(in.TrafficMirrorSessionId), func(tx storage.Tx, sc storage.Scope, v *ec2api.TrafficMirrorSession) error {
		for _, p := range []struct {
			dst **string
			val *string
		}{{&v.TrafficMirrorTargetId, in.TrafficMirrorTargetId}, {&v.TrafficMirrorFilterId, in.TrafficMirrorFilterId}, {&v.Description, in.Description}} {
			if p.val != nil {
				*p.dst = ptr.To(*p.val)
			}
		}
		for _, p := range []struct {
			dst **int32
			val *int32
		}{{&v.PacketLength, in.PacketLength}, {&v.SessionNumber, in.SessionNumber}, {&v.VirtualNetworkId, in.VirtualNetworkId}} {
			if p.val != nil {
				*p.dst = ptr.To(*p.val)
			}
		}
		for _, f := range in.RemoveFields {
			switch f {
			case "packet-length":
				v.PacketLength = nil
			case "description":
				v.Description = nil
			case "virtual-network-id":
				v.VirtualNetworkId = ptr.To(int32(mirrorVNI(ptr.Deref(v.TrafficMirrorSessionId))))
			}
		}
		out = *v
		return checkSession(tx, sc, *v)
	})
	return answer(&ec2api.ModifyTrafficMirrorSessionResult{TrafficMirrorSession: &out}, err)
}

// DescribeTrafficMirrorSessions lists sessions.
func (s *EC2) DescribeTrafficMirrorSessions(ctx *request.Context, in *ec2api.DescribeTrafficMirrorSessionsRequest) (*ec2api.DescribeTrafficMirrorSessionsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	recs, next, err := describe(s, ctx, mirrorSessions, page{ids: in.TrafficMirrorSessionIds, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken}, nil)
	return answer(&ec2api.DescribeTrafficMirrorSessionsResult{TrafficMirrorSessions: orEmpty(recs), NextToken: next}, err)
}

// DeleteTrafficMirrorSession deletes a session.
func (s *EC2) DeleteTrafficMirrorSession(ctx *request.Context, in *ec2api.DeleteTrafficMirrorSessionRequest) (*ec2api.DeleteTrafficMirrorSessionResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	err := remove(s, ctx, mirrorSessions, ptr.Deref(in.TrafficMirrorSessionId), nil)
	return answer(&ec2api.DeleteTrafficMirrorSessionResult{TrafficMirrorSessionId: in.TrafficMirrorSessionId}, err)
}
