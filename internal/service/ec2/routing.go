package ec2

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/service/ec2/route"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// RouteDecision is where traffic from a subnet to an address goes: the
// route table that applies (the subnet's explicit one, else the VPC's
// main table), the winning route and its target.
type RouteDecision struct {
	SubnetID     string `json:"subnetId"`
	VpcID        string `json:"vpcId"`
	RouteTableID string `json:"routeTableId"`
	// MainRouteTable is true when the subnet has no explicit association.
	MainRouteTable bool   `json:"mainRouteTable"`
	Destination    string `json:"destination"`
	// Found is false when no route matches (the traffic is dropped).
	Found bool `json:"found"`
	// Matched is the CIDR that matched; PrefixListID is set for
	// prefix-list (gateway endpoint) routes.
	Matched      string `json:"matched,omitempty"`
	PrefixListID string `json:"prefixListId,omitempty"`
	Target       string `json:"target,omitempty"`
	// TargetType is local, internet-gateway, nat-gateway, vpn-gateway,
	// vpc-endpoint, vpc-peering-connection, network-interface, instance,
	// transit-gateway or egress-only-internet-gateway.
	TargetType string `json:"targetType,omitempty"`
	// Origin is local, static, prefix-list or propagated; Source and Via
	// qualify propagated routes (vpn-static, direct-connect, vpn-bgp and
	// the connection).
	Origin    string `json:"origin,omitempty"`
	Source    string `json:"source,omitempty"`
	Via       string `json:"via,omitempty"`
	Blackhole bool   `json:"blackhole"`
	// PublicIP is the source address the traffic leaves AWS with, when it
	// leaves: a NAT gateway's Elastic IP. Empty otherwise (an instance
	// behind an internet gateway uses its own public address).
	PublicIP string `json:"publicIp,omitempty"`
	// TransitGateway is the transit gateway's own decision when the
	// route's target is one: its route table, and the attachment (a VPC,
	// or a peering to another gateway) it forwards to.
	TransitGateway *tgwHop `json:"transitGateway,omitempty"`
	Reason         string  `json:"reason"`
}

// RouteFor evaluates the route from subnetID to dst in the account and
// region. It is the one entry point egress simulation and endpoint-aware
// policies use; errors are EC2's (InvalidSubnetID.NotFound).
func (s *EC2) RouteFor(account, region, subnetID string, dst netip.Addr) (RouteDecision, error) {
	sc := storage.Scope{Account: account, Region: region}
	d := RouteDecision{SubnetID: subnetID, Destination: dst.String()}
	err := s.store.View(func(tx storage.Tx) error {
		sub, err := subnets.get(tx, sc, subnetID)
		if err != nil {
			return err
		}
		d.VpcID = ptr.Deref(sub.VpcId)
		rtID, err := explicitAssociation(tx, sc, subnetID)
		if err != nil {
			return err
		}
		if rtID == "" {
			v, err := vpcs.get(tx, sc, d.VpcID)
			if err != nil {
				return err
			}
			rtID, d.MainRouteTable = v.MainRouteTable, true
		}
		d.RouteTableID = rtID
		rt, err := routeTables.get(tx, sc, rtID)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		rs := s.evalRoutes(tx, sc, now, region, rt)
		res := route.Evaluate(rs, dst)
		d.Found, d.Reason, d.Blackhole = res.Found, res.Reason, res.Blackhole
		if !res.Found {
			return nil
		}
		d.Matched = res.Matched.String()
		d.PrefixListID = res.Route.PrefixListID
		d.Target, d.TargetType = res.Route.Target, targetType(res.Route.Target)
		d.Origin, d.Source, d.Via = res.Route.Kind.String(), res.Route.Source.String(), res.Route.Via
		if d.TargetType == "transit-gateway" && !d.Blackhole {
			hop, err := transitHop(tx, sc, d.VpcID, d.Target, dst)
			if err != nil {
				return err
			}
			d.TransitGateway = &hop
		}
		if d.TargetType == "nat-gateway" && !d.Blackhole {
			if n, ok, _ := nats.table.Get(tx, sc, d.Target); ok && len(n.NatGatewayAddresses) > 0 {
				d.PublicIP = ptr.Deref(n.NatGatewayAddresses[0].PublicIp)
			}
		}
		return nil
	})
	return d, err
}

// evalRoutes are a table's routes as the evaluator sees them: its own
// routes, and one propagated route per path each propagating gateway
// learned (VPN static, VPN BGP, Direct Connect), with its source.
func (s *EC2) evalRoutes(tx storage.Tx, sc storage.Scope, now time.Time, region string, rt ec2api.RouteTable) []route.Route {
	var rs []route.Route
	for _, r := range s.effectiveRoutes(tx, sc, now, rt) {
		if ptr.Deref(r.Origin) == "EnableVgwRoutePropagation" {
			continue
		}
		if er, ok := evalRoute(region, r); ok {
			rs = append(rs, er)
		}
	}
	for _, pv := range rt.PropagatingVgws {
		gw := ptr.Deref(pv.GatewayId)
		bh := s.routeState(tx, sc, now, ptr.Deref(rt.VpcId), ec2api.Route{GatewayId: &gw}) == "blackhole"
		for _, p := range vgwPaths(tx, sc, gw) {
			pf, err := netip.ParsePrefix(p.cidr)
			if err != nil {
				continue
			}
			rs = append(rs, route.Route{Destination: pf, Target: gw, Kind: route.Propagated, Source: p.source, Via: p.via, Blackhole: bh})
		}
	}
	return rs
}

// evalRoute converts a table route for the evaluator.
func evalRoute(region string, r ec2api.Route) (route.Route, bool) {
	er := route.Route{Blackhole: ptr.Deref(r.State) == "blackhole"}
	for _, t := range []*string{r.GatewayId, r.NatGatewayId, r.InstanceId, r.VpcPeeringConnectionId, r.TransitGatewayId, r.EgressOnlyInternetGatewayId, r.LocalGatewayId, r.CarrierGatewayId, r.NetworkInterfaceId} {
		if t != nil && *t != "" {
			er.Target = *t
			break
		}
	}
	switch ptr.Deref(r.Origin) {
	case "CreateRouteTable":
		er.Kind = route.Local
	case "EnableVgwRoutePropagation":
		er.Kind, er.Source = route.Propagated, route.VPNStatic
	default:
		er.Kind = route.Static
	}
	switch {
	case r.DestinationPrefixListId != nil:
		pl, ok := prefixListByID(region, *r.DestinationPrefixListId)
		if !ok {
			return er, false
		}
		er.Kind = route.PrefixList
		er.PrefixListID = pl.id
		for _, c := range pl.cidrs {
			er.PrefixListCIDRs = append(er.PrefixListCIDRs, netip.MustParsePrefix(c))
		}
	case r.DestinationCidrBlock != nil:
		p, err := netip.ParsePrefix(*r.DestinationCidrBlock)
		if err != nil {
			return er, false
		}
		er.Destination = p
	case r.DestinationIpv6CidrBlock != nil:
		p, err := netip.ParsePrefix(*r.DestinationIpv6CidrBlock)
		if err != nil {
			return er, false
		}
		er.Destination = p
	default:
		return er, false
	}
	return er, true
}

func targetType(t string) string {
	switch {
	case t == "local":
		return "local"
	case strings.HasPrefix(t, "igw-"):
		return "internet-gateway"
	case strings.HasPrefix(t, "nat-"):
		return "nat-gateway"
	case strings.HasPrefix(t, "vgw-"):
		return "vpn-gateway"
	case strings.HasPrefix(t, "vpce-"):
		return "vpc-endpoint"
	case strings.HasPrefix(t, "pcx-"):
		return "vpc-peering-connection"
	case strings.HasPrefix(t, "eni-"):
		return "network-interface"
	case strings.HasPrefix(t, "i-"):
		return "instance"
	case strings.HasPrefix(t, "tgw-"):
		return "transit-gateway"
	case strings.HasPrefix(t, "eigw-"):
		return "egress-only-internet-gateway"
	}
	return "gateway"
}

// Subnet returns a subnet of an account and region, for egress simulation.
func (s *EC2) Subnet(account, region, id string) (ec2api.Subnet, bool, error) {
	var sub ec2api.Subnet
	var ok bool
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		sub, ok, err = subnets.table.Get(tx, storage.Scope{Account: account, Region: region}, id)
		return err
	})
	return sub, ok, err
}

// VPC returns a VPC with its DNS attributes.
func (s *EC2) VPC(account, region, id string) (v ec2api.Vpc, dnsHostnames, dnsSupport, ok bool, err error) {
	err = s.store.View(func(tx storage.Tx) error {
		r, found, err := vpcs.table.Get(tx, storage.Scope{Account: account, Region: region}, id)
		if err != nil || !found {
			return err
		}
		v, dnsHostnames, dnsSupport, ok = r.Vpc, r.DNSHostnames, r.DNSSupport, true
		return nil
	})
	return
}

// RoutePath is the internal endpoint's path.
const RoutePath = "/_niwa/ec2/route"

// RouteHandler serves GET /_niwa/ec2/route?subnet=…&destination=…
// [&region=…][&account=…] as JSON (a RouteDecision), for users who want
// to see which route and target an address takes.
func (s *EC2) RouteHandler(defaultAccount, defaultRegion string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fail := func(status int, code, msg string) {
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "message": msg})
		}
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", "GET")
			fail(http.StatusMethodNotAllowed, "MethodNotAllowed", "use GET")
			return
		}
		q := r.URL.Query()
		account, region := q.Get("account"), q.Get("region")
		if account == "" {
			account = defaultAccount
		}
		if region == "" {
			region = defaultRegion
		}
		subnet, dest := q.Get("subnet"), q.Get("destination")
		if subnet == "" || dest == "" {
			fail(http.StatusBadRequest, "MissingParameter", "subnet and destination are required")
			return
		}
		addr, err := netip.ParseAddr(dest)
		if err != nil {
			fail(http.StatusBadRequest, "InvalidParameterValue", fmt.Sprintf("destination %q is not an IP address", dest))
			return
		}
		d, err := s.RouteFor(account, region, subnet, addr)
		if err != nil {
			if errSubnetNotFound.Is(err) {
				fail(http.StatusNotFound, errSubnetNotFound.Code, err.Error())
				return
			}
			fail(http.StatusInternalServerError, "InternalFailure", err.Error())
			return
		}
		_ = json.NewEncoder(w).Encode(d)
	})
}
