package ec2

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// insightsNet is a VPC with a subnet, a source interface, a route table
// propagating a VPN gateway, a static VPN connection and a dynamic one.
type insightsNet struct {
	vpc, subnet, eni, rtb, vgw, vpnStatic, vpnBGP, acl, sg string
}

func newInsightsNet(t *testing.T, f *fixture) insightsNet {
	t.Helper()
	var n insightsNet
	n.vpc = ptr.Deref(must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.0.0.0/16")})).Vpc.VpcId)
	n.subnet = ptr.Deref(must(f.CreateSubnet(f.ctx, &ec2api.CreateSubnetRequest{VpcId: ptr.To(n.vpc), CidrBlock: ptr.To("10.0.1.0/24")})).Subnet.SubnetId)
	eni := must(f.CreateNetworkInterface(f.ctx, &ec2api.CreateNetworkInterfaceRequest{SubnetId: ptr.To(n.subnet)})).NetworkInterface
	n.eni, n.sg = ptr.Deref(eni.NetworkInterfaceId), ptr.Deref(eni.Groups[0].GroupId)
	n.rtb = ptr.Deref(must(f.CreateRouteTable(f.ctx, &ec2api.CreateRouteTableRequest{VpcId: ptr.To(n.vpc)})).RouteTable.RouteTableId)
	must(f.AssociateRouteTable(f.ctx, &ec2api.AssociateRouteTableRequest{RouteTableId: ptr.To(n.rtb), SubnetId: ptr.To(n.subnet)}))
	n.vgw = ptr.Deref(must(f.CreateVpnGateway(f.ctx, &ec2api.CreateVpnGatewayRequest{Type: ptr.To("ipsec.1")})).VpnGateway.VpnGatewayId)
	must(f.AttachVpnGateway(f.ctx, &ec2api.AttachVpnGatewayRequest{VpnGatewayId: ptr.To(n.vgw), VpcId: ptr.To(n.vpc)}))
	cgw := ptr.Deref(must(f.CreateCustomerGateway(f.ctx, &ec2api.CreateCustomerGatewayRequest{Type: ptr.To("ipsec.1"), IpAddress: ptr.To("203.0.113.10"), BgpAsn: ptr.To(int32(65000))})).CustomerGateway.CustomerGatewayId)
	vpn := func(static bool) string {
		return ptr.Deref(must(f.CreateVpnConnection(f.ctx, &ec2api.CreateVpnConnectionRequest{Type: ptr.To("ipsec.1"), CustomerGatewayId: ptr.To(cgw), VpnGatewayId: ptr.To(n.vgw),
			Options: &ec2api.VpnConnectionOptionsSpecification{StaticRoutesOnly: ptr.To(static)}})).VpnConnection.VpnConnectionId)
	}
	n.vpnStatic, n.vpnBGP = vpn(true), vpn(false)
	must(f.EnableVgwRoutePropagation(f.ctx, &ec2api.EnableVgwRoutePropagationRequest{RouteTableId: ptr.To(n.rtb), GatewayId: ptr.To(n.vgw)}))
	acls := must(f.DescribeNetworkAcls(f.ctx, &ec2api.DescribeNetworkAclsRequest{Filters: []ec2api.Filter{{Name: ptr.To("vpc-id"), Values: []string{n.vpc}}}}))
	n.acl = ptr.Deref(acls.NetworkAcls[0].NetworkAclId)
	return n
}

// announce calls the BGP endpoint as the far side's router.
func announce(t *testing.T, f *fixture, method, query string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	f.BGPHandler(testAccount, "ap-northeast-1").ServeHTTP(w, httptest.NewRequest(method, BGPPath+"?"+query, nil))
	return w
}

// analysis runs one path to completion on the fake clock.
func (f *fixture) analysis(t *testing.T, src, dst, ip string) ec2api.NetworkInsightsAnalysis {
	t.Helper()
	in := &ec2api.CreateNetworkInsightsPathRequest{Source: ptr.To(src), Protocol: ptr.To("tcp"), DestinationPort: ptr.To(int32(443))}
	if dst != "" {
		in.Destination = ptr.To(dst)
	}
	if ip != "" {
		in.DestinationIp = ptr.To(ip)
	}
	p := must(f.CreateNetworkInsightsPath(f.ctx, in)).NetworkInsightsPath
	a := must(f.StartNetworkInsightsAnalysis(f.ctx, &ec2api.StartNetworkInsightsAnalysisRequest{NetworkInsightsPathId: p.NetworkInsightsPathId})).NetworkInsightsAnalysis
	id := ptr.Deref(a.NetworkInsightsAnalysisId)
	got := must(f.DescribeNetworkInsightsAnalyses(f.ctx, &ec2api.DescribeNetworkInsightsAnalysesRequest{NetworkInsightsAnalysisIds: []string{id}})).NetworkInsightsAnalyses[0]
	if ptr.Deref(got.Status) != "running" || got.NetworkPathFound != nil {
		t.Fatalf("a new analysis: %+v", got)
	}
	f.clock.Advance(5 * time.Second)
	got = must(f.DescribeNetworkInsightsAnalyses(f.ctx, &ec2api.DescribeNetworkInsightsAnalysesRequest{NetworkInsightsAnalysisIds: []string{id}})).NetworkInsightsAnalyses[0]
	if ptr.Deref(got.Status) != "succeeded" {
		t.Fatalf("analysis after its run: %+v", got)
	}
	return got
}

func winner(t *testing.T, a ec2api.NetworkInsightsAnalysis, vgw string) (r ec2api.AnalysisRouteTableRoute, via, reason string) {
	t.Helper()
	for i, c := range a.ForwardPathComponents {
		if c.RouteTableRoute != nil {
			r, reason = *c.RouteTableRoute, ptr.Deref(c.AdditionalDetails[0].Component.Name)
		}
		if ptr.Deref(c.Component.Id) == vgw && i+1 < len(a.ForwardPathComponents) {
			via = ptr.Deref(a.ForwardPathComponents[i+1].Component.Id)
		}
		if ptr.Deref(c.SequenceNumber) != int32(i+1) {
			t.Fatalf("component %d has sequence number %d", i, ptr.Deref(c.SequenceNumber))
		}
	}
	return
}

// TestReachabilityAnalyzerRoutePriority: the S16 precedence cases through
// the analysis, with propagated routes of each source.
func TestReachabilityAnalyzerRoutePriority(t *testing.T) {
	f := newFixture(t, "ap-northeast-1")
	n := newInsightsNet(t, f)
	for _, q := range []string{
		"source=direct-connect&via=dxvif-ab12cd34&cidr=172.16.0.0/16",
		"source=vpn-bgp&via=" + n.vpnBGP + "&cidr=172.16.1.0/24",
		"source=direct-connect&via=dxvif-ab12cd34&cidr=172.17.0.0/16",
		"source=vpn-bgp&via=" + n.vpnBGP + "&cidr=172.18.0.0/16",
	} {
		if w := announce(t, f, http.MethodPost, "gateway="+n.vgw+"&"+q); w.Code != http.StatusOK {
			t.Fatalf("announce %s: %d %s", q, w.Code, w.Body)
		}
	}
	for _, c := range []string{"172.17.0.0/16", "172.18.0.0/16"} {
		must(f.CreateVpnConnectionRoute(f.ctx, &ec2api.CreateVpnConnectionRouteRequest{VpnConnectionId: ptr.To(n.vpnStatic), DestinationCidrBlock: ptr.To(c)}))
	}
	cases := []struct {
		ip, cidr, via, reason string
	}{
		{"172.16.1.9", "172.16.1.0/24", n.vpnBGP, "longest prefix 172.16.1.0/24"},
		{"172.16.2.9", "172.16.0.0/16", "dxvif-ab12cd34", "direct-connect"},
		{"172.17.0.9", "172.17.0.0/16", "dxvif-ab12cd34", "(direct-connect), chosen among 2"},
		{"172.18.0.9", "172.18.0.0/16", n.vpnStatic, "(vpn-static), chosen among 2"},
	}
	for _, c := range cases {
		a := f.analysis(t, n.eni, n.vgw, c.ip)
		r, via, reason := winner(t, a, n.vgw)
		if !ptr.Deref(a.NetworkPathFound) || ptr.Deref(r.DestinationCidr) != c.cidr || ptr.Deref(r.Origin) != "EnableVgwRoutePropagation" || via != c.via || !strings.Contains(reason, c.reason) {
			t.Errorf("%s: found %v route %s %s via %s (%s); want %s via %s (%s)", c.ip, ptr.Deref(a.NetworkPathFound), ptr.Deref(r.DestinationCidr), ptr.Deref(r.Origin), via, reason, c.cidr, c.via, c.reason)
		}
	}
	// A static route of the table beats every propagated one.
	must(f.CreateRoute(f.ctx, &ec2api.CreateRouteRequest{RouteTableId: ptr.To(n.rtb), DestinationCidrBlock: ptr.To("172.17.0.0/16"), GatewayId: ptr.To(n.vgw)}))
	if r, via, _ := winner(t, f.analysis(t, n.eni, n.vgw, "172.17.0.9"), n.vgw); ptr.Deref(r.Origin) != "CreateRoute" || via != "" {
		t.Errorf("static over propagated: %+v via %q", r, via)
	}
	// The dynamic VPN's routes go with it.
	must(f.DeleteVpnConnection(f.ctx, &ec2api.DeleteVpnConnectionRequest{VpnConnectionId: ptr.To(n.vpnBGP)}))
	if r, via, _ := winner(t, f.analysis(t, n.eni, n.vgw, "172.16.1.9"), n.vgw); ptr.Deref(r.DestinationCidr) != "172.16.0.0/16" || via != "dxvif-ab12cd34" {
		t.Errorf("after the BGP VPN is deleted: %+v via %q", r, via)
	}
}

// TestReachabilityAnalyzerExplanations: a path that is not found says
// which component stopped it.
func TestReachabilityAnalyzerExplanations(t *testing.T) {
	f := newFixture(t, "ap-northeast-1")
	n := newInsightsNet(t, f)
	code := func(a ec2api.NetworkInsightsAnalysis) string {
		if ptr.Deref(a.NetworkPathFound) || len(a.Explanations) != 1 {
			t.Fatalf("want one explanation of a path not found: %+v", a)
		}
		return ptr.Deref(a.Explanations[0].ExplanationCode)
	}
	if c := code(f.analysis(t, n.eni, n.vgw, "192.0.2.1")); c != "NO_ROUTE_TO_DESTINATION" {
		t.Errorf("no route: %s", c)
	}
	igw := ptr.Deref(must(f.CreateInternetGateway(f.ctx, &ec2api.CreateInternetGatewayRequest{})).InternetGateway.InternetGatewayId)
	must(f.AttachInternetGateway(f.ctx, &ec2api.AttachInternetGatewayRequest{InternetGatewayId: ptr.To(igw), VpcId: ptr.To(n.vpc)}))
	must(f.CreateRoute(f.ctx, &ec2api.CreateRouteRequest{RouteTableId: ptr.To(n.rtb), DestinationCidrBlock: ptr.To("0.0.0.0/0"), GatewayId: ptr.To(igw)}))
	if a := f.analysis(t, n.eni, igw, ""); !ptr.Deref(a.NetworkPathFound) {
		t.Errorf("to the internet gateway: %+v", a)
	}
	// The route leads elsewhere than the destination named.
	if c := code(f.analysis(t, n.eni, n.vgw, "198.51.100.1")); c != "NO_ROUTE_TO_DESTINATION" {
		t.Errorf("route to another gateway: %s", c)
	}
	must(f.DetachInternetGateway(f.ctx, &ec2api.DetachInternetGatewayRequest{InternetGatewayId: ptr.To(igw), VpcId: ptr.To(n.vpc)}))
	if c := code(f.analysis(t, n.eni, igw, "198.51.100.1")); c != "BAD_STATE_ROUTE" {
		t.Errorf("blackhole: %s", c)
	}
	must(f.CreateNetworkAclEntry(f.ctx, &ec2api.CreateNetworkAclEntryRequest{NetworkAclId: ptr.To(n.acl), RuleNumber: ptr.To(int32(50)), Egress: ptr.To(true),
		Protocol: ptr.To("6"), RuleAction: ptr.To("deny"), CidrBlock: ptr.To("172.16.0.0/12"), PortRange: &ec2api.PortRange{From: ptr.To(int32(443)), To: ptr.To(int32(443))}}))
	if c := code(f.analysis(t, n.eni, n.vgw, "172.16.0.1")); c != "SUBNET_ACL_RESTRICTION" {
		t.Errorf("ACL: %s", c)
	}
	must(f.RevokeSecurityGroupEgress(f.ctx, &ec2api.RevokeSecurityGroupEgressRequest{GroupId: ptr.To(n.sg), IpPermissions: []ec2api.IpPermission{{IpProtocol: ptr.To("-1"), IpRanges: []ec2api.IpRange{{CidrIp: ptr.To("0.0.0.0/0")}}}}}))
	if c := code(f.analysis(t, n.eni, n.vgw, "172.16.0.1")); c != "ENI_SG_RULES_MISMATCH" {
		t.Errorf("security group: %s", c)
	}
}

func TestNetworkInsightsPathsAPI(t *testing.T) {
	f := newFixture(t, "ap-northeast-1")
	n := newInsightsNet(t, f)
	_, err := f.CreateNetworkInsightsPath(f.ctx, &ec2api.CreateNetworkInsightsPathRequest{Source: ptr.To("eni-0123456789abcdef0"), DestinationIp: ptr.To("10.0.0.1"), Protocol: ptr.To("tcp")})
	wantErr(t, err, "InvalidNetworkInterfaceID.NotFound", "")
	_, err = f.CreateNetworkInsightsPath(f.ctx, &ec2api.CreateNetworkInsightsPathRequest{Source: ptr.To(n.eni), DestinationIp: ptr.To("10.0.0.1"), Protocol: ptr.To("icmp")})
	wantErr(t, err, "InvalidParameterValue", "")
	_, err = f.CreateNetworkInsightsPath(f.ctx, &ec2api.CreateNetworkInsightsPathRequest{Source: ptr.To(n.eni), Protocol: ptr.To("tcp")})
	wantErr(t, err, "MissingParameter", "")
	_, err = f.CreateNetworkInsightsPath(f.ctx, &ec2api.CreateNetworkInsightsPathRequest{Source: ptr.To(n.eni), DestinationIp: ptr.To("not-an-ip"), Protocol: ptr.To("tcp")})
	wantErr(t, err, "InvalidParameterValue", "")
	p := must(f.CreateNetworkInsightsPath(f.ctx, &ec2api.CreateNetworkInsightsPathRequest{Source: ptr.To(n.eni), Destination: ptr.To(n.vgw), Protocol: ptr.To("tcp"),
		TagSpecifications: []ec2api.TagSpecification{{ResourceType: ptr.To("network-insights-path"), Tags: []ec2api.Tag{{Key: ptr.To("Name"), Value: ptr.To("p")}}}}})).NetworkInsightsPath
	id := ptr.Deref(p.NetworkInsightsPathId)
	if !strings.HasPrefix(ptr.Deref(p.NetworkInsightsPathArn), "arn:aws:ec2:ap-northeast-1:"+testAccount+":network-insights-path/nip-") || ptr.Deref(p.DestinationArn) == "" {
		t.Fatalf("path %+v", p)
	}
	got := must(f.DescribeNetworkInsightsPaths(f.ctx, &ec2api.DescribeNetworkInsightsPathsRequest{Filters: []ec2api.Filter{{Name: ptr.To("tag:Name"), Values: []string{"p"}}}}))
	if len(got.NetworkInsightsPaths) != 1 || ptr.Deref(got.NetworkInsightsPaths[0].NetworkInsightsPathId) != id {
		t.Fatalf("describe by tag: %+v", got)
	}
	a := must(f.StartNetworkInsightsAnalysis(f.ctx, &ec2api.StartNetworkInsightsAnalysisRequest{NetworkInsightsPathId: ptr.To(id)})).NetworkInsightsAnalysis
	_, err = f.DeleteNetworkInsightsPath(f.ctx, &ec2api.DeleteNetworkInsightsPathRequest{NetworkInsightsPathId: ptr.To(id)})
	wantErr(t, err, "DependencyViolation", "")
	must(f.DeleteNetworkInsightsAnalysis(f.ctx, &ec2api.DeleteNetworkInsightsAnalysisRequest{NetworkInsightsAnalysisId: a.NetworkInsightsAnalysisId}))
	must(f.DeleteNetworkInsightsPath(f.ctx, &ec2api.DeleteNetworkInsightsPathRequest{NetworkInsightsPathId: ptr.To(id)}))
	_, err = f.DescribeNetworkInsightsPaths(f.ctx, &ec2api.DescribeNetworkInsightsPathsRequest{NetworkInsightsPathIds: []string{id}})
	wantErr(t, err, "InvalidNetworkInsightsPathId.NotFound", "")
	_, err = f.StartNetworkInsightsAnalysis(f.ctx, &ec2api.StartNetworkInsightsAnalysisRequest{NetworkInsightsPathId: ptr.To(id)})
	wantErr(t, err, "InvalidNetworkInsightsPathId.NotFound", "")
	_, err = f.CreateNetworkInsightsAccessScope(f.ctx, &ec2api.CreateNetworkInsightsAccessScopeRequest{})
	wantErr(t, err, "NotImplemented", "")
}

func TestBGPEndpointRefusals(t *testing.T) {
	f := newFixture(t, "ap-northeast-1")
	n := newInsightsNet(t, f)
	for _, c := range []struct {
		method, query string
		status        int
		code          string
	}{
		{http.MethodPost, "gateway=vgw-0123456789abcdef0&source=direct-connect&via=dxvif-ab12cd34&cidr=10.9.0.0/16", 404, "InvalidVpnGatewayID.NotFound"},
		{http.MethodPost, "gateway=" + n.vgw + "&source=vpn-bgp&via=" + n.vpnStatic + "&cidr=10.9.0.0/16", 400, "InvalidParameterValue"},
		{http.MethodPost, "gateway=" + n.vgw + "&source=direct-connect&via=nope&cidr=10.9.0.0/16", 400, "InvalidParameterValue"},
		{http.MethodPost, "gateway=" + n.vgw + "&source=ospf&via=dxvif-ab12cd34&cidr=10.9.0.0/16", 400, "InvalidParameterValue"},
		{http.MethodPost, "gateway=" + n.vgw + "&source=direct-connect&via=dxvif-ab12cd34&cidr=10.9.0.0", 400, "InvalidParameterValue"},
		{http.MethodDelete, "gateway=" + n.vgw + "&source=direct-connect&via=dxvif-ab12cd34&cidr=10.9.0.0/16", 404, "InvalidRoute.NotFound"},
		{http.MethodPut, "gateway=" + n.vgw, 405, "MethodNotAllowed"},
		{http.MethodGet, "", 400, "MissingParameter"},
	} {
		w := announce(t, f, c.method, c.query)
		if w.Code != c.status || !strings.Contains(w.Body.String(), c.code) {
			t.Errorf("%s %s: %d %s, want %d %s", c.method, c.query, w.Code, w.Body, c.status, c.code)
		}
	}
}

// TestEgressReads: the security group and network ACL reads egress uses.
func TestEgressReads(t *testing.T) {
	f := newFixture(t, "ap-northeast-1")
	n := newInsightsNet(t, f)
	web := netip.MustParseAddr("52.94.76.10")
	if ok := must(f.SecurityGroupsAllowEgress(testAccount, "ap-northeast-1", []string{n.sg}, web, 80)); !ok {
		t.Fatal("default group allows all egress")
	}
	if ok := must(f.ACLAllows(testAccount, "ap-northeast-1", n.subnet, false, web, 49152)); !ok {
		t.Fatal("default ACL allows the return path")
	}
	must(f.CreateNetworkAclEntry(f.ctx, &ec2api.CreateNetworkAclEntryRequest{NetworkAclId: ptr.To(n.acl), RuleNumber: ptr.To(int32(10)), Egress: ptr.To(false),
		Protocol: ptr.To("6"), RuleAction: ptr.To("deny"), CidrBlock: ptr.To("0.0.0.0/0"), PortRange: &ec2api.PortRange{From: ptr.To(int32(1024)), To: ptr.To(int32(65535))}}))
	if ok := must(f.ACLAllows(testAccount, "ap-northeast-1", n.subnet, false, web, 49152)); ok {
		t.Fatal("an ACL denying ephemeral ports inbound still allows the return path")
	}
	if ok := must(f.ACLAllows(testAccount, "ap-northeast-1", n.subnet, true, web, 80)); !ok {
		t.Fatal("outbound is still allowed")
	}
	must(f.RevokeSecurityGroupEgress(f.ctx, &ec2api.RevokeSecurityGroupEgressRequest{GroupId: ptr.To(n.sg), IpPermissions: []ec2api.IpPermission{{IpProtocol: ptr.To("-1"), IpRanges: []ec2api.IpRange{{CidrIp: ptr.To("0.0.0.0/0")}}}}}))
	must(f.AuthorizeSecurityGroupEgress(f.ctx, &ec2api.AuthorizeSecurityGroupEgressRequest{GroupId: ptr.To(n.sg), IpPermissions: []ec2api.IpPermission{{IpProtocol: ptr.To("tcp"),
		FromPort: ptr.To(int32(443)), ToPort: ptr.To(int32(443)), IpRanges: []ec2api.IpRange{{CidrIp: ptr.To("0.0.0.0/0")}}}}}))
	for port, want := range map[int]bool{443: true, 80: false} {
		if ok := must(f.SecurityGroupsAllowEgress(testAccount, "ap-northeast-1", []string{n.sg}, web, port)); ok != want {
			t.Errorf("egress to port %d: %v, want %v", port, ok, want)
		}
	}
}
