package ec2

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/filter"
	"github.com/niwa-cloud/niwa/internal/service/ec2/route"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// VPC Reachability Analyzer: a path (source, destination, protocol,
// port) is analysed against the network configuration as it is when the
// analysis starts — the source's security groups and subnet ACL, then
// its subnet's route table through the route evaluator (the route that
// won and why), then the gateway the route leads to. The analysis is
// running until the clock passes AnalysisDelay, then succeeded.
// Network Access Analyzer (access scopes) is not implemented.

var (
	errInsightsPathNotFound     = code("InvalidNetworkInsightsPathId.NotFound")
	errInsightsAnalysisNotFound = code("InvalidNetworkInsightsAnalysisId.NotFound")
)

var insightsPaths = resource[ec2api.NetworkInsightsPath]{table: storage.NewTable[ec2api.NetworkInsightsPath]("nip"), prefix: "nip", typ: "network-insights-path",
	noun: "networkInsightsPath", notFound: errInsightsPathNotFound,
	tags: func(v *ec2api.NetworkInsightsPath) *[]ec2api.Tag { return &v.Tags }, doc: nipDoc}

// analysisRecord is an analysis with its result, revealed once Ready.
type analysisRecord struct {
	Analysis ec2api.NetworkInsightsAnalysis
	Result   ec2api.NetworkInsightsAnalysis
	Ready    time.Time
}

var insightsAnalyses = resource[analysisRecord]{table: storage.NewTable[analysisRecord]("nia"), prefix: "nia", typ: "network-insights-analysis",
	noun: "networkInsightsAnalysis", notFound: errInsightsAnalysisNotFound,
	tags: func(v *analysisRecord) *[]ec2api.Tag { return &v.Analysis.Tags }, doc: niaDoc}

func nipDoc(v *ec2api.NetworkInsightsPath) filter.Doc {
	return filter.New(v.Tags).Add("destination", ptr.Deref(v.Destination)).Add("destination-ip", ptr.Deref(v.DestinationIp)).
		Add("destination-port", fmt.Sprint(ptr.Deref(v.DestinationPort))).Add("protocol", ptr.Deref(v.Protocol)).
		Add("source", ptr.Deref(v.Source)).Add("source-ip", ptr.Deref(v.SourceIp))
}

func niaDoc(v *analysisRecord) filter.Doc {
	d := filter.New(v.Analysis.Tags).Add("status", ptr.Deref(v.Analysis.Status))
	if v.Analysis.NetworkPathFound != nil {
		d.Add("path-found", boolStr(*v.Analysis.NetworkPathFound))
	}
	return d
}

func insightsARN(ctx *request.Context, typ, id string) string {
	return fmt.Sprintf("arn:aws:ec2:%s:%s:%s/%s", ctx.Region, ctx.Account, typ, id)
}

// CreateNetworkInsightsPath stores a path to analyse.
func (s *EC2) CreateNetworkInsightsPath(ctx *request.Context, in *ec2api.CreateNetworkInsightsPathRequest) (*ec2api.CreateNetworkInsightsPathResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	proto := ptr.Deref(in.Protocol)
	if proto != "tcp" && proto != "udp" {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter protocol is invalid. Valid values are tcp and udp.", proto)
	}
	if p := in.DestinationPort; p != nil && (*p < 0 || *p > 65535) {
		return nil, errInvalidParameterValue.New("Value (%d) for parameter destinationPort is invalid.", *p)
	}
	for name, ip := range map[string]*string{"sourceIp": in.SourceIp, "destinationIp": in.DestinationIp} {
		if ip != nil {
			if _, err := netip.ParseAddr(*ip); err != nil {
				return nil, errInvalidParameterValue.New("Value (%s) for parameter %s is invalid. It must be an IP address.", *ip, name)
			}
		}
	}
	if in.Destination == nil && in.DestinationIp == nil {
		return nil, errMissingParameter.New("The request must contain the parameter destination or destinationIp")
	}
	tags := tagsFor(in.TagSpecifications, insightsPaths.typ)
	if err := checkTags(tags); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	id := newID("nip")
	p := ec2api.NetworkInsightsPath{NetworkInsightsPathId: ptr.To(id), NetworkInsightsPathArn: ptr.To(insightsARN(ctx, "network-insights-path", id)),
		CreatedDate: ptr.To(ctx.Now().UTC()), SourceIp: in.SourceIp, DestinationIp: in.DestinationIp, Protocol: ptr.To(proto),
		DestinationPort: in.DestinationPort, Tags: orEmpty(tags)}
	err := s.store.Update(func(tx storage.Tx) error {
		src, err := s.insightsEndpoint(tx, sc, ctx, ptr.Deref(in.Source))
		if err != nil {
			return err
		}
		p.Source, p.SourceArn = ptr.To(src.id), ptr.To(src.arn)
		if in.Destination != nil {
			dst, err := s.insightsEndpoint(tx, sc, ctx, *in.Destination)
			if err != nil {
				return err
			}
			p.Destination, p.DestinationArn = ptr.To(dst.id), ptr.To(dst.arn)
		}
		return insightsPaths.put(tx, sc, id, p)
	})
	return answer(&ec2api.CreateNetworkInsightsPathResult{NetworkInsightsPath: &p}, err)
}

// insightsRef is a path's source or destination resolved.
type insightsRef struct{ id, arn string }

// insightsEndpoint resolves an id or ARN naming a resource a path may
// start or end at, refusing one that does not exist.
func (s *EC2) insightsEndpoint(tx storage.Tx, sc storage.Scope, ctx *request.Context, ref string) (insightsRef, error) {
	id := ref
	if strings.HasPrefix(ref, "arn:") {
		if i := strings.LastIndex(ref, "/"); i >= 0 {
			id = ref[i+1:]
		}
	}
	prefix, _, _ := strings.Cut(id, "-")
	switch prefix {
	case "i", "eni", "igw", "vgw", "nat", "vpce", "pcx":
	default:
		return insightsRef{}, errInvalidParameterValue.New("Value (%s) for parameter source or destination is invalid. niwa analyses paths between instances, network interfaces, internet gateways, virtual private gateways, NAT gateways, VPC endpoints and peering connections.", ref)
	}
	k, ok := kindOf(id)
	if !ok {
		return insightsRef{}, errInvalidID.New("The ID '%s' is not valid", id)
	}
	if _, found, err := k.getTags(tx, sc, id); err != nil {
		return insightsRef{}, err
	} else if !found {
		return insightsRef{}, notFoundFor(id)
	}
	typ := arnType(id)
	if typ == "" {
		typ = map[string]string{"vgw": "vpn-gateway", "pcx": "vpc-peering-connection"}[prefix]
	}
	return insightsRef{id: id, arn: insightsARN(ctx, typ, id)}, nil
}

// DescribeNetworkInsightsPaths lists paths.
func (s *EC2) DescribeNetworkInsightsPaths(ctx *request.Context, in *ec2api.DescribeNetworkInsightsPathsRequest) (*ec2api.DescribeNetworkInsightsPathsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	recs, next, err := describe(s, ctx, insightsPaths, page{ids: in.NetworkInsightsPathIds, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken}, nil)
	return answer(&ec2api.DescribeNetworkInsightsPathsResult{NetworkInsightsPaths: orEmpty(recs), NextToken: next}, err)
}

// DeleteNetworkInsightsPath deletes a path that no analysis refers to.
func (s *EC2) DeleteNetworkInsightsPath(ctx *request.Context, in *ec2api.DeleteNetworkInsightsPathRequest) (*ec2api.DeleteNetworkInsightsPathResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	id := ptr.Deref(in.NetworkInsightsPathId)
	err := remove(s, ctx, insightsPaths, id, func(tx storage.Tx, sc storage.Scope, _ *ec2api.NetworkInsightsPath) error {
		all, err := insightsAnalyses.all(tx, sc)
		if err != nil {
			return err
		}
		for _, a := range all {
			if ptr.Deref(a.Analysis.NetworkInsightsPathId) == id {
				return hasDependencies("networkInsightsPath", id)
			}
		}
		return nil
	})
	return answer(&ec2api.DeleteNetworkInsightsPathResult{NetworkInsightsPathId: ptr.To(id)}, err)
}

// StartNetworkInsightsAnalysis analyses a path against the configuration
// as it is now; the result shows once the analysis has run.
func (s *EC2) StartNetworkInsightsAnalysis(ctx *request.Context, in *ec2api.StartNetworkInsightsAnalysisRequest) (*ec2api.StartNetworkInsightsAnalysisResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	tags := tagsFor(in.TagSpecifications, insightsAnalyses.typ)
	if err := checkTags(tags); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	now := ctx.Now().UTC()
	id := newID("nia")
	rec := analysisRecord{Ready: now.Add(s.opts.AnalysisDelay)}
	err := s.store.Update(func(tx storage.Tx) error {
		p, err := insightsPaths.get(tx, sc, ptr.Deref(in.NetworkInsightsPathId))
		if err != nil {
			return err
		}
		rec.Analysis = ec2api.NetworkInsightsAnalysis{NetworkInsightsAnalysisId: ptr.To(id), NetworkInsightsAnalysisArn: ptr.To(insightsARN(ctx, "network-insights-analysis", id)),
			NetworkInsightsPathId: p.NetworkInsightsPathId, StartDate: ptr.To(now), Status: ptr.To("running"), Tags: orEmpty(tags),
			AdditionalAccounts: orEmpty(in.AdditionalAccounts), FilterInArns: orEmpty(in.FilterInArns)}
		rec.Result = s.analyse(tx, sc, ctx, p)
		return insightsAnalyses.put(tx, sc, id, rec)
	})
	return answer(&ec2api.StartNetworkInsightsAnalysisResult{NetworkInsightsAnalysis: &rec.Analysis}, err)
}

// shown is an analysis as Describe shows it at now.
func shown(r analysisRecord, now time.Time) ec2api.NetworkInsightsAnalysis {
	a := r.Analysis
	if now.Before(r.Ready) {
		return a
	}
	res := r.Result
	a.Status, a.StatusMessage = res.Status, res.StatusMessage
	a.NetworkPathFound = res.NetworkPathFound
	a.ForwardPathComponents, a.ReturnPathComponents = res.ForwardPathComponents, res.ReturnPathComponents
	a.Explanations = res.Explanations
	return a
}

// DescribeNetworkInsightsAnalyses lists analyses.
func (s *EC2) DescribeNetworkInsightsAnalyses(ctx *request.Context, in *ec2api.DescribeNetworkInsightsAnalysesRequest) (*ec2api.DescribeNetworkInsightsAnalysesResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	now := ctx.Now()
	keep := func(r *analysisRecord) bool {
		r.Analysis = shown(*r, now)
		st := ptr.Deref(r.Analysis.StartDate)
		if p := ptr.Deref(in.NetworkInsightsPathId); p != "" && ptr.Deref(r.Analysis.NetworkInsightsPathId) != p {
			return false
		}
		if in.AnalysisStartTime != nil && st.Before(*in.AnalysisStartTime) {
			return false
		}
		return in.AnalysisEndTime == nil || !st.After(*in.AnalysisEndTime)
	}
	recs, next, err := describe(s, ctx, insightsAnalyses, page{ids: in.NetworkInsightsAnalysisIds, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken}, keep)
	out := make([]ec2api.NetworkInsightsAnalysis, len(recs))
	for i, r := range recs {
		out[i] = r.Analysis
	}
	return answer(&ec2api.DescribeNetworkInsightsAnalysesResult{NetworkInsightsAnalyses: out, NextToken: next}, err)
}

// DeleteNetworkInsightsAnalysis deletes an analysis.
func (s *EC2) DeleteNetworkInsightsAnalysis(ctx *request.Context, in *ec2api.DeleteNetworkInsightsAnalysisRequest) (*ec2api.DeleteNetworkInsightsAnalysisResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	id := ptr.Deref(in.NetworkInsightsAnalysisId)
	err := remove(s, ctx, insightsAnalyses, id, nil)
	return answer(&ec2api.DeleteNetworkInsightsAnalysisResult{NetworkInsightsAnalysisId: ptr.To(id)}, err)
}

// accessScopeRefusal is Network Access Analyzer's answer: the API is
// routed so a client learns why rather than only that it is missing.
func accessScopeRefusal(op string) error {
	return awserr.NotImplemented.New("niwa does not implement EC2.%s: Network Access Analyzer (access scopes) is not implemented; VPC Reachability Analyzer (CreateNetworkInsightsPath, StartNetworkInsightsAnalysis) is", op)
}

// CreateNetworkInsightsAccessScope is Network Access Analyzer: refused with a reason.
func (s *EC2) CreateNetworkInsightsAccessScope(ctx *request.Context, in *ec2api.CreateNetworkInsightsAccessScopeRequest) (*ec2api.CreateNetworkInsightsAccessScopeResult, error) {
	return nil, accessScopeRefusal("CreateNetworkInsightsAccessScope")
}

// DeleteNetworkInsightsAccessScope is Network Access Analyzer: refused with a reason.
func (s *EC2) DeleteNetworkInsightsAccessScope(ctx *request.Context, in *ec2api.DeleteNetworkInsightsAccessScopeRequest) (*ec2api.DeleteNetworkInsightsAccessScopeResult, error) {
	return nil, accessScopeRefusal("DeleteNetworkInsightsAccessScope")
}

// DeleteNetworkInsightsAccessScopeAnalysis is Network Access Analyzer: refused with a reason.
func (s *EC2) DeleteNetworkInsightsAccessScopeAnalysis(ctx *request.Context, in *ec2api.DeleteNetworkInsightsAccessScopeAnalysisRequest) (*ec2api.DeleteNetworkInsightsAccessScopeAnalysisResult, error) {
	return nil, accessScopeRefusal("DeleteNetworkInsightsAccessScopeAnalysis")
}

// DescribeNetworkInsightsAccessScopeAnalyses is Network Access Analyzer: refused with a reason.
func (s *EC2) DescribeNetworkInsightsAccessScopeAnalyses(ctx *request.Context, in *ec2api.DescribeNetworkInsightsAccessScopeAnalysesRequest) (*ec2api.DescribeNetworkInsightsAccessScopeAnalysesResult, error) {
	return nil, accessScopeRefusal("DescribeNetworkInsightsAccessScopeAnalyses")
}

// DescribeNetworkInsightsAccessScopes is Network Access Analyzer: refused with a reason.
func (s *EC2) DescribeNetworkInsightsAccessScopes(ctx *request.Context, in *ec2api.DescribeNetworkInsightsAccessScopesRequest) (*ec2api.DescribeNetworkInsightsAccessScopesResult, error) {
	return nil, accessScopeRefusal("DescribeNetworkInsightsAccessScopes")
}

// GetNetworkInsightsAccessScopeAnalysisFindings is Network Access Analyzer: refused with a reason.
func (s *EC2) GetNetworkInsightsAccessScopeAnalysisFindings(ctx *request.Context, in *ec2api.GetNetworkInsightsAccessScopeAnalysisFindingsRequest) (*ec2api.GetNetworkInsightsAccessScopeAnalysisFindingsResult, error) {
	return nil, accessScopeRefusal("GetNetworkInsightsAccessScopeAnalysisFindings")
}

// GetNetworkInsightsAccessScopeContent is Network Access Analyzer: refused with a reason.
func (s *EC2) GetNetworkInsightsAccessScopeContent(ctx *request.Context, in *ec2api.GetNetworkInsightsAccessScopeContentRequest) (*ec2api.GetNetworkInsightsAccessScopeContentResult, error) {
	return nil, accessScopeRefusal("GetNetworkInsightsAccessScopeContent")
}

// StartNetworkInsightsAccessScopeAnalysis is Network Access Analyzer: refused with a reason.
func (s *EC2) StartNetworkInsightsAccessScopeAnalysis(ctx *request.Context, in *ec2api.StartNetworkInsightsAccessScopeAnalysisRequest) (*ec2api.StartNetworkInsightsAccessScopeAnalysisResult, error) {
	return nil, accessScopeRefusal("StartNetworkInsightsAccessScopeAnalysis")
}

// component names a resource in an analysis.
func component(ctx *request.Context, id string) *ec2api.AnalysisComponent {
	c := &ec2api.AnalysisComponent{Id: ptr.To(id)}
	prefix, _, _ := strings.Cut(id, "-")
	typ := arnType(id)
	if typ == "" {
		typ = map[string]string{"vgw": "vpn-gateway", "pcx": "vpc-peering-connection", "acl": "network-acl", "vpn": "vpn-connection"}[prefix]
	}
	if typ != "" {
		c.Arn = ptr.To(insightsARN(ctx, typ, id))
	}
	return c
}

// analyse walks a path from its source: security groups, the subnet's
// network ACL, the route table (the evaluator's winner and its reason),
// then the route's target.
func (s *EC2) analyse(tx storage.Tx, sc storage.Scope, ctx *request.Context, p ec2api.NetworkInsightsPath) ec2api.NetworkInsightsAnalysis {
	failed := func(format string, a ...any) ec2api.NetworkInsightsAnalysis {
		return ec2api.NetworkInsightsAnalysis{Status: ptr.To("failed"), StatusMessage: ptr.To(fmt.Sprintf(format, a...))}
	}
	src := ptr.Deref(p.Source)
	eniID := src
	if strings.HasPrefix(src, "i-") {
		inst, ok, err := instances.table.Get(tx, sc, src)
		if err != nil || !ok {
			return failed("The source %s no longer exists.", src)
		}
		eniID = inst.ENI
	}
	if !strings.HasPrefix(eniID, "eni-") {
		return failed("niwa analyses paths that start at an instance or a network interface; %s is neither.", src)
	}
	eni, ok, err := enis.table.Get(tx, sc, eniID)
	if err != nil || !ok {
		return failed("The network interface %s of the source no longer exists.", eniID)
	}
	subnetID, vpcID := ptr.Deref(eni.SubnetId), ptr.Deref(eni.VpcId)
	dstID := ptr.Deref(p.Destination)
	dstIP := ptr.Deref(p.DestinationIp)
	if dstIP == "" {
		dstIP = s.insightsDestinationIP(tx, sc, dstID)
	}
	dst, err := netip.ParseAddr(dstIP)
	if err != nil {
		return failed("niwa needs a destination IP address for %s (set DestinationIp).", dstID)
	}
	port := int(ptr.Deref(p.DestinationPort))
	proto := ptr.Deref(p.Protocol)
	srcIP := ptr.Deref(p.SourceIp)
	if srcIP == "" {
		srcIP = ptr.Deref(eni.PrivateIpAddress)
	}
	header := &ec2api.AnalysisPacketHeader{Protocol: ptr.To(proto), SourceAddresses: []string{srcIP}, DestinationAddresses: []string{dst.String()}}
	if p.DestinationPort != nil {
		header.DestinationPortRanges = []ec2api.PortRange{{From: ptr.To(int32(port)), To: ptr.To(int32(port))}}
	}
	res := ec2api.NetworkInsightsAnalysis{Status: ptr.To("succeeded"), NetworkPathFound: ptr.To(false), ReturnPathComponents: []ec2api.PathComponent{}, Explanations: []ec2api.Explanation{}}
	var comps []ec2api.PathComponent
	add := func(c ec2api.PathComponent) {
		c.SequenceNumber = ptr.To(int32(len(comps) + 1))
		comps = append(comps, c)
	}
	subnetC, vpcC := component(ctx, subnetID), component(ctx, vpcID)
	add(ec2api.PathComponent{Component: component(ctx, src), Subnet: subnetC, Vpc: vpcC, OutboundHeader: header})
	notFound := func(e ec2api.Explanation) ec2api.NetworkInsightsAnalysis {
		res.ForwardPathComponents = orEmpty(comps)
		res.Explanations = []ec2api.Explanation{e}
		return res
	}

	// Security groups: stateful, one egress rule of one group suffices.
	var groups []ec2api.AnalysisComponent
	matched := false
	for _, g := range eni.Groups {
		gid := ptr.Deref(g.GroupId)
		groups = append(groups, *component(ctx, gid))
		sg, ok, err := sgs.table.Get(tx, sc, gid)
		if err != nil || !ok || matched {
			continue
		}
		for _, perm := range sg.IpPermissionsEgress {
			if permAllows(perm, proto, dst, port) {
				rule := &ec2api.AnalysisSecurityGroupRule{Direction: ptr.To("egress"), SecurityGroupId: ptr.To(gid), Protocol: perm.IpProtocol}
				if len(perm.IpRanges) > 0 {
					rule.Cidr = perm.IpRanges[0].CidrIp
				}
				if ptr.Deref(perm.FromPort) != -1 && perm.FromPort != nil {
					rule.PortRange = &ec2api.PortRange{From: perm.FromPort, To: perm.ToPort}
				}
				add(ec2api.PathComponent{Component: component(ctx, gid), SecurityGroupRule: rule})
				matched = true
				break
			}
		}
	}
	if !matched {
		return notFound(ec2api.Explanation{ExplanationCode: ptr.To("ENI_SG_RULES_MISMATCH"), Direction: ptr.To("egress"),
			NetworkInterface: component(ctx, eniID), SecurityGroups: orEmpty(groups), Subnet: subnetC, Vpc: vpcC})
	}

	// The subnet's network ACL, outbound.
	if acl, entry, allowed := s.aclEntry(tx, sc, subnetID, proto, dst, port); acl != "" {
		if !allowed {
			e := ec2api.Explanation{ExplanationCode: ptr.To("SUBNET_ACL_RESTRICTION"), Direction: ptr.To("egress"), Acl: component(ctx, acl), Subnet: subnetC, Vpc: vpcC}
			if entry != nil {
				e.AclRule = entry
			}
			return notFound(e)
		}
		add(ec2api.PathComponent{Component: component(ctx, acl), AclRule: entry})
	}

	// The route table.
	d, err := s.RouteFor(sc.Account, sc.Region, subnetID, dst)
	if err != nil {
		return failed("Evaluating the route table of %s: %v", subnetID, err)
	}
	rtC := component(ctx, d.RouteTableID)
	if !d.Found {
		e := ec2api.Explanation{ExplanationCode: ptr.To("NO_ROUTE_TO_DESTINATION"), RouteTable: rtC, Vpc: vpcC, Subnet: subnetC, Address: ptr.To(dst.String())}
		if dstID != "" {
			e.Destination = component(ctx, dstID)
		}
		return notFound(e)
	}
	rr := analysisRoute(d)
	add(ec2api.PathComponent{Component: rtC, RouteTableRoute: rr, AdditionalDetails: []ec2api.AdditionalDetail{{
		AdditionalDetailType: ptr.To("NIWA_ROUTE_PRIORITY"), Component: &ec2api.AnalysisComponent{Id: ptr.To(d.RouteTableID), Name: ptr.To(d.Reason)}}}})
	if d.Blackhole {
		return notFound(ec2api.Explanation{ExplanationCode: ptr.To("BAD_STATE_ROUTE"), RouteTable: rtC, RouteTableRoute: rr, State: ptr.To("blackhole"), Vpc: vpcC})
	}
	if d.Target == "local" {
		// Inside the VPC: found when the destination is the interface or
		// instance the path names, or an address of the VPC.
		res.NetworkPathFound = ptr.To(true)
		if dstID != "" {
			add(ec2api.PathComponent{Component: component(ctx, dstID), Subnet: subnetC, Vpc: vpcC, InboundHeader: header})
		}
		res.ForwardPathComponents = comps
		return res
	}
	add(ec2api.PathComponent{Component: component(ctx, d.Target), Vpc: vpcC})
	if d.Via != "" {
		// The VPN connection or Direct Connect virtual interface the
		// gateway's chosen route was learned over.
		add(ec2api.PathComponent{Component: component(ctx, d.Via)})
	}
	if h := d.TransitGateway; h != nil {
		// Through the transit gateway: its route table for the source
		// VPC's attachment, the attachment it forwards to, the VPC there.
		tgwC := component(ctx, d.Target)
		if h.Reason != "" || h.AttachmentID == "" {
			e := ec2api.Explanation{ExplanationCode: ptr.To("NO_ROUTE_TO_DESTINATION"), TransitGateway: tgwC, Vpc: vpcC, Address: ptr.To(dst.String())}
			if h.RouteTableID != "" {
				e.TransitGatewayRouteTable = component(ctx, h.RouteTableID)
			}
			if h.Blackhole {
				e.ExplanationCode, e.State = ptr.To("BAD_STATE_ROUTE"), ptr.To("blackhole")
				e.TransitGatewayRouteTableRoute = &ec2api.TransitGatewayRouteTableRoute{DestinationCidr: ptr.To(h.Matched), State: ptr.To("blackhole")}
			}
			return notFound(e)
		}
		add(ec2api.PathComponent{Component: component(ctx, h.RouteTableID), TransitGateway: tgwC, TransitGatewayRouteTableRoute: &ec2api.TransitGatewayRouteTableRoute{
			DestinationCidr: ptr.To(h.Matched), State: ptr.To("active"), AttachmentId: ptr.To(h.AttachmentID), ResourceId: ptr.To(h.ResourceID), ResourceType: ptr.To(h.ResourceType)}})
		add(ec2api.PathComponent{Component: component(ctx, h.AttachmentID), TransitGateway: tgwC})
		if dstID != "" {
			if h.ResourceType != "vpc" || vpcOfResource(tx, sc, dstID) != h.ResourceID {
				return notFound(ec2api.Explanation{ExplanationCode: ptr.To("NO_ROUTE_TO_DESTINATION"), TransitGateway: tgwC, TransitGatewayRouteTable: component(ctx, h.RouteTableID),
					Destination: component(ctx, dstID), Address: ptr.To(dst.String())})
			}
			add(ec2api.PathComponent{Component: component(ctx, dstID), Vpc: component(ctx, h.ResourceID), InboundHeader: header})
		}
		res.NetworkPathFound = ptr.To(true)
		res.ForwardPathComponents = comps
		return res
	}
	if dstID != "" && dstID != d.Target {
		return notFound(ec2api.Explanation{ExplanationCode: ptr.To("NO_ROUTE_TO_DESTINATION"), RouteTable: rtC, RouteTableRoute: rr,
			Destination: component(ctx, dstID), Vpc: vpcC, Address: ptr.To(dst.String())})
	}
	res.NetworkPathFound = ptr.To(true)
	res.ForwardPathComponents = comps
	return res
}

// insightsDestinationIP is the address of a destination resource: an
// interface's or instance's private address, else the first address of
// the most general route a table sends to that gateway ("" when none).
func (s *EC2) insightsDestinationIP(tx storage.Tx, sc storage.Scope, id string) string {
	switch {
	case strings.HasPrefix(id, "i-"):
		if inst, ok, _ := instances.table.Get(tx, sc, id); ok {
			id = inst.ENI
		}
	}
	if strings.HasPrefix(id, "eni-") {
		if e, ok, _ := enis.table.Get(tx, sc, id); ok {
			return ptr.Deref(e.PrivateIpAddress)
		}
		return ""
	}
	best := netip.Prefix{}
	rts, _ := routeTables.all(tx, sc)
	for _, rt := range rts {
		for _, r := range s.evalRoutes(tx, sc, s.clock.Now(), sc.Region, rt) {
			if r.Target == id && r.Destination.IsValid() && (!best.IsValid() || r.Destination.Bits() < best.Bits()) {
				best = r.Destination
			}
		}
	}
	if !best.IsValid() {
		return ""
	}
	return best.Addr().String()
}

// analysisRoute is the winning route as Reachability Analyzer shows it.
func analysisRoute(d RouteDecision) *ec2api.AnalysisRouteTableRoute {
	r := &ec2api.AnalysisRouteTableRoute{State: ptr.To("active")}
	if d.Blackhole {
		r.State = ptr.To("blackhole")
	}
	if d.PrefixListID != "" {
		r.DestinationPrefixListId = ptr.To(d.PrefixListID)
	} else {
		r.DestinationCidr = ptr.To(d.Matched)
	}
	switch d.Origin {
	case route.Local.String():
		r.Origin = ptr.To("CreateRouteTable")
	case route.Propagated.String():
		r.Origin = ptr.To("EnableVgwRoutePropagation")
	default:
		r.Origin = ptr.To("CreateRoute")
	}
	t := ptr.To(d.Target)
	switch d.TargetType {
	case "nat-gateway":
		r.NatGatewayId = t
	case "network-interface":
		r.NetworkInterfaceId = t
	case "instance":
		r.InstanceId = t
	case "vpc-peering-connection":
		r.VpcPeeringConnectionId = t
	case "transit-gateway":
		r.TransitGatewayId = t
	case "egress-only-internet-gateway":
		r.EgressOnlyInternetGatewayId = t
	default:
		r.GatewayId = t
	}
	return r
}

// permAllows matches a security group permission against a packet.
func permAllows(p ec2api.IpPermission, proto string, dst netip.Addr, port int) bool {
	if proto == "tcp" {
		return permAllowsTCP(p, dst, port)
	}
	switch ptr.Deref(p.IpProtocol) {
	case "-1", "all":
	case "udp", "17":
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
	return false
}

// aclEntry evaluates the subnet's ACL outbound: its id, the deciding
// entry and whether it allows ("" when the subnet has no ACL).
func (s *EC2) aclEntry(tx storage.Tx, sc storage.Scope, subnet, proto string, dst netip.Addr, port int) (string, *ec2api.AnalysisAclRule, bool) {
	all, err := acls.all(tx, sc)
	if err != nil {
		return "", nil, true
	}
	for _, acl := range all {
		for _, as := range acl.Associations {
			if ptr.Deref(as.SubnetId) != subnet {
				continue
			}
			e, allowed := firstACLEntry(acl.Entries, true, proto, dst, port)
			var rule *ec2api.AnalysisAclRule
			if e != nil {
				rule = &ec2api.AnalysisAclRule{Cidr: e.CidrBlock, Egress: e.Egress, Protocol: e.Protocol, RuleAction: e.RuleAction, RuleNumber: e.RuleNumber}
				if e.PortRange != nil {
					rule.PortRange = &ec2api.PortRange{From: e.PortRange.From, To: e.PortRange.To}
				}
			}
			return ptr.Deref(acl.NetworkAclId), rule, allowed
		}
	}
	return "", nil, true
}

// vpcOfResource is the VPC of an instance or interface ("" otherwise).
func vpcOfResource(tx storage.Tx, sc storage.Scope, id string) string {
	if inst, ok, _ := instances.table.Get(tx, sc, id); ok {
		return inst.VpcID
	}
	if e, ok, _ := enis.table.Get(tx, sc, id); ok {
		return ptr.Deref(e.VpcId)
	}
	return ""
}
