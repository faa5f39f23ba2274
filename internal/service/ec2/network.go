package ec2

import (
	"crypto/rand"
	"fmt"
	"net/netip"
	"time"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/filter"
	"github.com/niwa-cloud/niwa/internal/storage"
)

var (
	routeTables = resource[ec2api.RouteTable]{table: storage.NewTable[ec2api.RouteTable]("route-table"), prefix: "rtb", typ: "route-table", noun: "routeTable", notFound: errRouteTableNotFound, tags: func(v *ec2api.RouteTable) *[]ec2api.Tag { return &v.Tags }, doc: routeTableDoc}
	igws        = resource[ec2api.InternetGateway]{table: storage.NewTable[ec2api.InternetGateway]("igw"), prefix: "igw", typ: "internet-gateway", noun: "internetGateway", notFound: errIGWNotFound, tags: func(v *ec2api.InternetGateway) *[]ec2api.Tag { return &v.Tags }, doc: igwDoc}
	nats        = resource[ec2api.NatGateway]{table: storage.NewTable[ec2api.NatGateway]("nat"), prefix: "nat", typ: "natgateway", noun: "natGateway", notFound: errNatNotFound, tags: func(v *ec2api.NatGateway) *[]ec2api.Tag { return &v.Tags }, doc: natDoc}
	addresses   = resource[ec2api.Address]{table: storage.NewTable[ec2api.Address]("eip"), prefix: "eipalloc", typ: "elastic-ip", noun: "allocation", notFound: errAllocationNotFound, tags: func(v *ec2api.Address) *[]ec2api.Tag { return &v.Tags }, doc: addressDoc}
	// publicIPs indexes every public address handed out in a scope
	// (Elastic IPs and auto-assigned ones) so none is given twice.
	publicIPs = storage.NewTable[ipRecord]("public-ip")
)

func routeTableDoc(v *ec2api.RouteTable) filter.Doc {
	d := filter.New(v.Tags).Add("route-table-id", ptr.Deref(v.RouteTableId)).Add("vpc-id", ptr.Deref(v.VpcId)).Add("owner-id", ptr.Deref(v.OwnerId))
	for _, n := range []string{"association.route-table-association-id", "association.route-table-id", "association.subnet-id", "association.gateway-id", "association.main", "association.association-state",
		"route.destination-cidr-block", "route.destination-prefix-list-id", "route.gateway-id", "route.instance-id", "route.nat-gateway-id", "route.origin", "route.state",
		"route.vpc-peering-connection-id", "route.transit-gateway-id", "route.egress-only-internet-gateway-id", "route.destination-ipv6-cidr-block", "route.network-interface-id"} {
		d.Add(n)
	}
	for _, a := range v.Associations {
		d.Add("association.route-table-association-id", ptr.Deref(a.RouteTableAssociationId)).Add("association.route-table-id", ptr.Deref(a.RouteTableId)).
			Add("association.subnet-id", ptr.Deref(a.SubnetId)).Add("association.gateway-id", ptr.Deref(a.GatewayId)).Add("association.main", boolStr(ptr.Deref(a.Main)))
	}
	for _, r := range v.Routes {
		d.Add("route.destination-cidr-block", ptr.Deref(r.DestinationCidrBlock)).Add("route.destination-prefix-list-id", ptr.Deref(r.DestinationPrefixListId)).
			Add("route.gateway-id", ptr.Deref(r.GatewayId)).Add("route.instance-id", ptr.Deref(r.InstanceId)).Add("route.nat-gateway-id", ptr.Deref(r.NatGatewayId)).
			Add("route.origin", ptr.Deref(r.Origin)).Add("route.state", ptr.Deref(r.State)).Add("route.vpc-peering-connection-id", ptr.Deref(r.VpcPeeringConnectionId)).
			Add("route.transit-gateway-id", ptr.Deref(r.TransitGatewayId)).Add("route.network-interface-id", ptr.Deref(r.NetworkInterfaceId)).
			Add("route.destination-ipv6-cidr-block", ptr.Deref(r.DestinationIpv6CidrBlock)).Add("route.egress-only-internet-gateway-id", ptr.Deref(r.EgressOnlyInternetGatewayId))
	}
	return d
}

func igwDoc(v *ec2api.InternetGateway) filter.Doc {
	d := filter.New(v.Tags).Add("internet-gateway-id", ptr.Deref(v.InternetGatewayId)).Add("owner-id", ptr.Deref(v.OwnerId)).Add("attachment.state").Add("attachment.vpc-id")
	for _, a := range v.Attachments {
		d.Add("attachment.state", ptr.Deref(a.State)).Add("attachment.vpc-id", ptr.Deref(a.VpcId))
	}
	return d
}

func natDoc(v *ec2api.NatGateway) filter.Doc {
	return filter.New(v.Tags).Add("nat-gateway-id", ptr.Deref(v.NatGatewayId)).Add("state", ptr.Deref(v.State)).Add("subnet-id", ptr.Deref(v.SubnetId)).Add("vpc-id", ptr.Deref(v.VpcId))
}

func addressDoc(v *ec2api.Address) filter.Doc {
	return filter.New(v.Tags).Add("allocation-id", ptr.Deref(v.AllocationId)).Add("association-id", ptr.Deref(v.AssociationId)).Add("domain", ptr.Deref(v.Domain)).
		Add("instance-id", ptr.Deref(v.InstanceId)).Add("network-border-group", ptr.Deref(v.NetworkBorderGroup)).Add("network-interface-id", ptr.Deref(v.NetworkInterfaceId)).
		Add("network-interface-owner-id", ptr.Deref(v.NetworkInterfaceOwnerId)).Add("private-ip-address", ptr.Deref(v.PrivateIpAddress)).Add("public-ip", ptr.Deref(v.PublicIp))
}

// newPublicIP hands out a public address not yet used in the scope. niwa's
// addresses come from 54.x.y.z; nothing routes to them, they only have to
// look and behave like AWS's (unique, stable while held).
func newPublicIP(tx storage.Tx, sc storage.Scope, owner string) (string, error) {
	for {
		var b [3]byte
		_, _ = rand.Read(b[:])
		ip := fmt.Sprintf("54.%d.%d.%d", 150+int(b[0])%100, b[1], 1+int(b[2])%254)
		if _, used := tx.Get(publicIPs.Key(sc, ip)); used {
			continue
		}
		return ip, publicIPs.Put(tx, sc, ipRecord{Owner: owner}, ip)
	}
}

func releasePublicIP(tx storage.Tx, sc storage.Scope, ip string) error {
	if ip == "" {
		return nil
	}
	return publicIPs.Delete(tx, sc, ip)
}

// CreateRouteTable creates a table with the VPC's local routes.
func (s *EC2) CreateRouteTable(ctx *request.Context, in *ec2api.CreateRouteTableRequest) (*ec2api.CreateRouteTableResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var rt ec2api.RouteTable
	err := s.store.Update(func(tx storage.Tx) error {
		v, err := vpcs.get(tx, sc, ptr.Deref(in.VpcId))
		if err != nil {
			return err
		}
		id := newID("rtb")
		tags := tagsFor(in.TagSpecifications, "route-table")
		if tags == nil {
			tags = []ec2api.Tag{}
		}
		rt = ec2api.RouteTable{RouteTableId: ptr.To(id), VpcId: in.VpcId, OwnerId: ptr.To(ctx.Account), Tags: tags, Associations: []ec2api.RouteTableAssociation{}, PropagatingVgws: []ec2api.PropagatingVgw{}}
		for _, a := range v.Vpc.CidrBlockAssociationSet {
			rt.Routes = append(rt.Routes, ec2api.Route{DestinationCidrBlock: a.CidrBlock, GatewayId: ptr.To("local"), Origin: ptr.To("CreateRouteTable"), State: ptr.To("active")})
		}
		for _, a := range v.Vpc.Ipv6CidrBlockAssociationSet {
			rt.Routes = append(rt.Routes, ec2api.Route{DestinationIpv6CidrBlock: a.Ipv6CidrBlock, GatewayId: ptr.To("local"), Origin: ptr.To("CreateRouteTable"), State: ptr.To("active")})
		}
		return routeTables.put(tx, sc, id, rt)
	})
	return answer(&ec2api.CreateRouteTableResult{RouteTable: &rt, ClientToken: in.ClientToken}, err)
}

// DescribeRouteTables lists tables with route states as of now
// (blackhole when the target is gone) and routes propagated by VGWs.
func (s *EC2) DescribeRouteTables(ctx *request.Context, in *ec2api.DescribeRouteTablesRequest) (*ec2api.DescribeRouteTablesResult, error) {
	if err := s.ensureDefaults(ctx); err != nil {
		return nil, err
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	recs, next, err := describe(s, ctx, routeTables, page{ids: in.RouteTableIds, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken}, nil)
	if err != nil {
		return nil, err
	}
	out := &ec2api.DescribeRouteTablesResult{RouteTables: []ec2api.RouteTable{}, NextToken: next}
	err = s.store.View(func(tx storage.Tx) error {
		for _, rt := range recs {
			rt.Routes = s.effectiveRoutes(tx, scope(ctx), ctx.Now(), rt)
			out.RouteTables = append(out.RouteTables, rt)
		}
		return nil
	})
	return out, err
}

// effectiveRoutes is a table's routes as AWS shows them: stored routes
// with their current state, then the routes propagated by the VGWs the
// table has propagation enabled for.
func (s *EC2) effectiveRoutes(tx storage.Tx, sc storage.Scope, now time.Time, rt ec2api.RouteTable) []ec2api.Route {
	out := make([]ec2api.Route, 0, len(rt.Routes))
	for _, r := range rt.Routes {
		r.State = ptr.To(s.routeState(tx, sc, now, ptr.Deref(rt.VpcId), r))
		out = append(out, r)
	}
	for _, pv := range rt.PropagatingVgws {
		seen := map[string]bool{}
		for _, p := range vgwPaths(tx, sc, ptr.Deref(pv.GatewayId)) {
			// The gateway propagates one route per prefix, whichever
			// path it learned it over.
			if seen[p.cidr] {
				continue
			}
			seen[p.cidr] = true
			out = append(out, ec2api.Route{DestinationCidrBlock: ptr.To(p.cidr), GatewayId: pv.GatewayId, Origin: ptr.To("EnableVgwRoutePropagation"), State: ptr.To("active")})
		}
	}
	return out
}

func (s *EC2) routeState(tx storage.Tx, sc storage.Scope, now time.Time, vpc string, r ec2api.Route) string {
	gw := ptr.Deref(r.GatewayId)
	switch {
	case gw == "local":
		return "active"
	case len(gw) > 4 && gw[:4] == "igw-":
		g, ok, _ := igws.table.Get(tx, sc, gw)
		if ok && attachedTo(g.Attachments, vpc) {
			return "active"
		}
		return "blackhole"
	case len(gw) > 4 && gw[:4] == "vgw-":
		g, ok, _ := vgws.table.Get(tx, sc, gw)
		if ok {
			for _, a := range g.VpcAttachments {
				if ptr.Deref(a.VpcId) == vpc && ptr.Deref(a.State) == "attached" {
					return "active"
				}
			}
		}
		return "blackhole"
	case len(gw) > 5 && gw[:5] == "vpce-":
		if _, ok, _ := vpcEndpoints.table.Get(tx, sc, gw); ok {
			return "active"
		}
		return "blackhole"
	case r.EgressOnlyInternetGatewayId != nil:
		if _, ok, _ := eigws.table.Get(tx, sc, ptr.Deref(r.EgressOnlyInternetGatewayId)); ok {
			return "active"
		}
		return "blackhole"
	case r.NatGatewayId != nil:
		n, ok, _ := nats.table.Get(tx, sc, ptr.Deref(r.NatGatewayId))
		if ok {
			if st := natState(n, now, s.opts.NatDelay); st == "available" || st == "pending" {
				return "active"
			}
		}
		return "blackhole"
	case r.VpcPeeringConnectionId != nil:
		p, ok, _ := peerings.table.Get(tx, sc, ptr.Deref(r.VpcPeeringConnectionId))
		if ok && p.Status != nil && ptr.Deref(p.Status.Code) == "active" {
			return "active"
		}
		return "blackhole"
	case r.NetworkInterfaceId != nil:
		if _, ok, _ := enis.table.Get(tx, sc, ptr.Deref(r.NetworkInterfaceId)); ok {
			return "active"
		}
		return "blackhole"
	case r.InstanceId != nil:
		i, ok, _ := instances.table.Get(tx, sc, ptr.Deref(r.InstanceId))
		if ok && i.State != "terminated" {
			return "active"
		}
		return "blackhole"
	}
	return "active"
}

// routeTarget reads the target of a CreateRoute/ReplaceRoute into r and
// checks that it exists and belongs to the table's VPC.
func routeTarget(tx storage.Tx, sc storage.Scope, rt ec2api.RouteTable, in *ec2api.CreateRouteRequest) (ec2api.Route, error) {
	r := ec2api.Route{Origin: ptr.To("CreateRoute"), State: ptr.To("active")}
	n := 0
	set := func(p *string) bool {
		if p != nil && *p != "" {
			n++
			return true
		}
		return false
	}
	vpc := ptr.Deref(rt.VpcId)
	differ := func(gw string) error {
		return errInvalidParameterValue.New("route table %s and network gateway %s belong to different networks", ptr.Deref(rt.RouteTableId), gw)
	}
	if set(in.GatewayId) {
		gw := *in.GatewayId
		r.GatewayId = ptr.To(gw)
		switch {
		case len(gw) > 4 && gw[:4] == "igw-":
			g, err := igws.get(tx, sc, gw)
			if err != nil {
				return r, err
			}
			if !attachedTo(g.Attachments, vpc) {
				return r, differ(gw)
			}
		case len(gw) > 4 && gw[:4] == "vgw-":
			if _, err := vgws.get(tx, sc, gw); err != nil {
				return r, err
			}
		case len(gw) > 5 && gw[:5] == "vpce-":
			if _, err := vpcEndpoints.get(tx, sc, gw); err != nil {
				return r, err
			}
		default:
			return r, errInvalidParameterValue.New("The gateway ID '%s' does not exist", gw)
		}
	}
	if set(in.NatGatewayId) {
		g, err := nats.get(tx, sc, *in.NatGatewayId)
		if err != nil {
			return r, notFound(errNatNotFound, "natGateway", *in.NatGatewayId)
		}
		if ptr.Deref(g.VpcId) != vpc {
			return r, differ(*in.NatGatewayId)
		}
		r.NatGatewayId = in.NatGatewayId
	}
	if set(in.VpcPeeringConnectionId) {
		if _, err := peerings.get(tx, sc, *in.VpcPeeringConnectionId); err != nil {
			return r, err
		}
		r.VpcPeeringConnectionId = in.VpcPeeringConnectionId
	}
	if set(in.NetworkInterfaceId) {
		if _, err := enis.get(tx, sc, *in.NetworkInterfaceId); err != nil {
			return r, err
		}
		r.NetworkInterfaceId = in.NetworkInterfaceId
	}
	if set(in.InstanceId) {
		i, err := instances.get(tx, sc, *in.InstanceId)
		if err != nil {
			return r, err
		}
		r.InstanceId = in.InstanceId
		r.InstanceOwnerId = ptr.To(sc.Account)
		r.NetworkInterfaceId = ptr.To(i.ENI)
	}
	if set(in.VpcEndpointId) {
		if _, err := vpcEndpoints.get(tx, sc, *in.VpcEndpointId); err != nil {
			return r, err
		}
		r.GatewayId = in.VpcEndpointId
	}
	if set(in.TransitGatewayId) {
		r.TransitGatewayId = in.TransitGatewayId
	}
	if set(in.EgressOnlyInternetGatewayId) {
		g, err := eigws.get(tx, sc, *in.EgressOnlyInternetGatewayId)
		if err != nil {
			return r, err
		}
		if !attachedTo(g.Attachments, vpc) {
			return r, differ(*in.EgressOnlyInternetGatewayId)
		}
		r.EgressOnlyInternetGatewayId = in.EgressOnlyInternetGatewayId
	}
	if set(in.CarrierGatewayId) {
		r.CarrierGatewayId = in.CarrierGatewayId
	}
	if set(in.LocalGatewayId) {
		r.LocalGatewayId = in.LocalGatewayId
	}
	if n == 0 {
		return r, errMissingParameter.New("The request must contain exactly one of gatewayId, natGatewayId, networkInterfaceId, vpcPeeringConnectionId, egressOnlyInternetGatewayId, transitGatewayId, localGatewayId, carrierGatewayId or instanceId")
	}
	if n > 1 && in.InstanceId == nil {
		return r, errInvalidParameterCombo.New("The parameter gatewayId cannot be used with the parameter natGatewayId")
	}
	return r, nil
}

func routeDest(cidr, ipv6, pl *string) (string, string, error) {
	switch {
	case cidr != nil:
		p, err := netip.ParsePrefix(*cidr)
		if err != nil || !p.Addr().Is4() {
			return "", "", errInvalidParameterValue.New("Value (%s) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.", *cidr)
		}
		return "cidr", p.Masked().String(), nil
	case ipv6 != nil:
		p, err := netip.ParsePrefix(*ipv6)
		if err != nil || !p.Addr().Is6() {
			return "", "", errInvalidParameterValue.New("Value (%s) for parameter destinationIpv6CidrBlock is invalid. This is not a valid IPv6 CIDR block.", *ipv6)
		}
		return "ipv6", p.Masked().String(), nil
	case pl != nil:
		return "pl", *pl, nil
	}
	return "", "", errMissingParameter.New("The request must contain the parameter destinationCidrBlock or destinationIpv6CidrBlock or destinationPrefixListId")
}

func routeMatches(r ec2api.Route, kind, dest string) bool {
	switch kind {
	case "cidr":
		return ptr.Deref(r.DestinationCidrBlock) == dest
	case "ipv6":
		return ptr.Deref(r.DestinationIpv6CidrBlock) == dest
	}
	return ptr.Deref(r.DestinationPrefixListId) == dest
}

func setDest(r *ec2api.Route, kind, dest string) {
	switch kind {
	case "cidr":
		r.DestinationCidrBlock = ptr.To(dest)
	case "ipv6":
		r.DestinationIpv6CidrBlock = ptr.To(dest)
	default:
		r.DestinationPrefixListId = ptr.To(dest)
	}
}

// editRoutes is the shape of CreateRoute, ReplaceRoute and DeleteRoute:
// after refusing DryRun and reading the destination (an IPv4 or IPv6 CIDR or
// a prefix list), it runs edit on the route table and stores the table as
// edit leaves it, in one transaction.
func (s *EC2) editRoutes(ctx *request.Context, dry *bool, tableID, cidr, ipv6, prefixList *string, edit func(tx storage.Tx, sc storage.Scope, rt *ec2api.RouteTable, kind, dest string) error) error {
	if err := dryRun(dry); err != nil {
		return err
	}
	kind, dest, err := routeDest(cidr, ipv6, prefixList)
	if err != nil {
		return err
	}
	return mutate(s, ctx, routeTables, ptr.Deref(tableID), func(tx storage.Tx, sc storage.Scope, rt *ec2api.RouteTable) error {
		return edit(tx, sc, rt, kind, dest)
	})
}

// CreateRoute adds a static route.
func (s *EC2) CreateRoute(ctx *request.Context, in *ec2api.CreateRouteRequest) (*ec2api.CreateRouteResult, error) {
	err := s.editRoutes(ctx, in.DryRun, in.RouteTableId, in.DestinationCidrBlock, in.DestinationIpv6CidrBlock, in.DestinationPrefixListId, func(tx storage.Tx, sc storage.Scope, rt *ec2api.RouteTable, kind, dest string) error {
		for _, r := range rt.Routes {
			if routeMatches(r, kind, dest) {
				return errRouteExists.New("The route identified by %s already exists.", dest)
			}
		}
		r, err := routeTarget(tx, sc, *rt, in)
		if err != nil {
			return err
		}
		setDest(&r, kind, dest)
		rt.Routes = append(rt.Routes, r)
		return nil
	})
	return answer(&ec2api.CreateRouteResult{Return: ptr.To(true)}, err)
}

// ReplaceRoute changes the target of an existing route.
func (s *EC2) ReplaceRoute(ctx *request.Context, in *ec2api.ReplaceRouteRequest) (*ec2api.ReplaceRouteOutput, error) {
	err := s.editRoutes(ctx, in.DryRun, in.RouteTableId, in.DestinationCidrBlock, in.DestinationIpv6CidrBlock, in.DestinationPrefixListId, func(tx storage.Tx, sc storage.Scope, rt *ec2api.RouteTable, kind, dest string) error {
		for i, old := range rt.Routes {
			if !routeMatches(old, kind, dest) {
				continue
			}
			var r ec2api.Route
			if ptr.Deref(in.LocalTarget) {
				r = ec2api.Route{GatewayId: ptr.To("local"), Origin: ptr.To("CreateRouteTable"), State: ptr.To("active")}
			} else {
				var err error
				r, err = routeTarget(tx, sc, *rt, &ec2api.CreateRouteRequest{GatewayId: in.GatewayId, NatGatewayId: in.NatGatewayId, InstanceId: in.InstanceId,
					NetworkInterfaceId: in.NetworkInterfaceId, VpcPeeringConnectionId: in.VpcPeeringConnectionId, VpcEndpointId: in.VpcEndpointId,
					TransitGatewayId: in.TransitGatewayId, EgressOnlyInternetGatewayId: in.EgressOnlyInternetGatewayId, LocalGatewayId: in.LocalGatewayId, CarrierGatewayId: in.CarrierGatewayId})
				if err != nil {
					return err
				}
				r.Origin = ptr.To("ReplaceRoute")
			}
			setDest(&r, kind, dest)
			rt.Routes[i] = r
			return nil
		}
		return errRouteNotFound.New("There is no route defined for '%s' in the route table. Use CreateRoute instead.", dest)
	})
	return answer(&ec2api.ReplaceRouteOutput{}, err)
}

// DeleteRoute removes a static route; the local route cannot go.
func (s *EC2) DeleteRoute(ctx *request.Context, in *ec2api.DeleteRouteRequest) (*ec2api.DeleteRouteOutput, error) {
	err := s.editRoutes(ctx, in.DryRun, in.RouteTableId, in.DestinationCidrBlock, in.DestinationIpv6CidrBlock, in.DestinationPrefixListId, func(_ storage.Tx, _ storage.Scope, rt *ec2api.RouteTable, kind, dest string) error {
		for i, r := range rt.Routes {
			if routeMatches(r, kind, dest) {
				if ptr.Deref(r.GatewayId) == "local" {
					return errInvalidParameterValue.New("cannot remove local route %s in route table %s", dest, ptr.Deref(in.RouteTableId))
				}
				rt.Routes = append(rt.Routes[:i], rt.Routes[i+1:]...)
				return nil
			}
		}
		return errRouteNotFound.New("no route with destination-cidr-block %s in route table %s", dest, ptr.Deref(in.RouteTableId))
	})
	return answer(&ec2api.DeleteRouteOutput{}, err)
}

// AssociateRouteTable associates a subnet (or gateway) with a table; a
// subnet has one explicit association at most.
func (s *EC2) AssociateRouteTable(ctx *request.Context, in *ec2api.AssociateRouteTableRequest) (*ec2api.AssociateRouteTableResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	assoc := newID("rtbassoc")
	err := s.store.Update(func(tx storage.Tx) error {
		rt, err := routeTables.get(tx, sc, ptr.Deref(in.RouteTableId))
		if err != nil {
			return err
		}
		a := ec2api.RouteTableAssociation{Main: ptr.To(false), RouteTableAssociationId: ptr.To(assoc), RouteTableId: in.RouteTableId, AssociationState: &ec2api.RouteTableAssociationState{State: ptr.To("associated")}}
		switch {
		case in.SubnetId != nil:
			sub, err := subnets.get(tx, sc, *in.SubnetId)
			if err != nil {
				return err
			}
			if ptr.Deref(sub.VpcId) != ptr.Deref(rt.VpcId) {
				return errInvalidParameterValue.New("Route table %s and subnet %s belong to different networks", ptr.Deref(in.RouteTableId), *in.SubnetId)
			}
			if cur, _ := explicitAssociation(tx, sc, *in.SubnetId); cur != "" {
				return errAlreadyAssociated.New("the specified association for route table %s conflicts with an existing association", ptr.Deref(in.RouteTableId))
			}
			a.SubnetId = in.SubnetId
		case in.GatewayId != nil:
			if _, err := igws.get(tx, sc, *in.GatewayId); err != nil {
				return err
			}
			a.GatewayId = in.GatewayId
		default:
			return errMissingParameter.New("The request must contain the parameter subnetId or gatewayId")
		}
		rt.Associations = append(rt.Associations, a)
		return routeTables.put(tx, sc, ptr.Deref(in.RouteTableId), rt)
	})
	return answer(&ec2api.AssociateRouteTableResult{AssociationId: ptr.To(assoc), AssociationState: &ec2api.RouteTableAssociationState{State: ptr.To("associated")}}, err)
}

// explicitAssociation returns the table explicitly associated with a
// subnet, "" when it uses the main table.
func explicitAssociation(tx storage.Tx, sc storage.Scope, subnet string) (string, error) {
	rts, err := routeTables.all(tx, sc)
	if err != nil {
		return "", err
	}
	for _, rt := range rts {
		for _, a := range rt.Associations {
			if ptr.Deref(a.SubnetId) == subnet {
				return ptr.Deref(rt.RouteTableId), nil
			}
		}
	}
	return "", nil
}

// findAssociation finds the table holding an association id.
func findAssociation(tx storage.Tx, sc storage.Scope, id string) (ec2api.RouteTable, int, error) {
	rts, err := routeTables.all(tx, sc)
	if err != nil {
		return ec2api.RouteTable{}, 0, err
	}
	for _, rt := range rts {
		for i, a := range rt.Associations {
			if ptr.Deref(a.RouteTableAssociationId) == id {
				return rt, i, nil
			}
		}
	}
	return ec2api.RouteTable{}, 0, errAssociationNotFound.New("The association ID '%s' does not exist", id)
}

// DisassociateRouteTable removes an explicit association.
func (s *EC2) DisassociateRouteTable(ctx *request.Context, in *ec2api.DisassociateRouteTableRequest) (*ec2api.DisassociateRouteTableOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		rt, i, err := findAssociation(tx, sc, ptr.Deref(in.AssociationId))
		if err != nil {
			return err
		}
		if ptr.Deref(rt.Associations[i].Main) {
			return errInvalidParameterValue.New("cannot disassociate the main route table association %s", ptr.Deref(in.AssociationId))
		}
		rt.Associations = append(rt.Associations[:i], rt.Associations[i+1:]...)
		return routeTables.put(tx, sc, ptr.Deref(rt.RouteTableId), rt)
	})
	return answer(&ec2api.DisassociateRouteTableOutput{}, err)
}

// ReplaceRouteTableAssociation moves an association (or the main one) to
// another table.
func (s *EC2) ReplaceRouteTableAssociation(ctx *request.Context, in *ec2api.ReplaceRouteTableAssociationRequest) (*ec2api.ReplaceRouteTableAssociationResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	newAssoc := newID("rtbassoc")
	err := s.store.Update(func(tx storage.Tx) error {
		old, i, err := findAssociation(tx, sc, ptr.Deref(in.AssociationId))
		if err != nil {
			return err
		}
		target, err := routeTables.get(tx, sc, ptr.Deref(in.RouteTableId))
		if err != nil {
			return err
		}
		if ptr.Deref(target.VpcId) != ptr.Deref(old.VpcId) {
			return errInvalidParameterValue.New("Route table %s and association %s belong to different networks", ptr.Deref(in.RouteTableId), ptr.Deref(in.AssociationId))
		}
		a := old.Associations[i]
		old.Associations = append(old.Associations[:i], old.Associations[i+1:]...)
		if err := routeTables.put(tx, sc, ptr.Deref(old.RouteTableId), old); err != nil {
			return err
		}
		if ptr.Deref(old.RouteTableId) == ptr.Deref(target.RouteTableId) {
			target = old
		}
		a.RouteTableAssociationId = ptr.To(newAssoc)
		a.RouteTableId = in.RouteTableId
		target.Associations = append(target.Associations, a)
		if ptr.Deref(a.Main) {
			v, err := vpcs.get(tx, sc, ptr.Deref(target.VpcId))
			if err != nil {
				return err
			}
			v.MainRouteTable = ptr.Deref(in.RouteTableId)
			if err := vpcs.put(tx, sc, ptr.Deref(target.VpcId), v); err != nil {
				return err
			}
		}
		return routeTables.put(tx, sc, ptr.Deref(in.RouteTableId), target)
	})
	return answer(&ec2api.ReplaceRouteTableAssociationResult{NewAssociationId: ptr.To(newAssoc), AssociationState: &ec2api.RouteTableAssociationState{State: ptr.To("associated")}}, err)
}

// DeleteRouteTable deletes a table with no subnet associations that is
// not the main table.
func (s *EC2) DeleteRouteTable(ctx *request.Context, in *ec2api.DeleteRouteTableRequest) (*ec2api.DeleteRouteTableOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	err := removeUnused(s, ctx, routeTables, ptr.Deref(in.RouteTableId), func(rt *ec2api.RouteTable) bool { return len(rt.Associations) > 0 })
	return answer(&ec2api.DeleteRouteTableOutput{}, err)
}

// EnableVgwRoutePropagation makes a VGW's routes appear in a table.
func (s *EC2) EnableVgwRoutePropagation(ctx *request.Context, in *ec2api.EnableVgwRoutePropagationRequest) (*ec2api.EnableVgwRoutePropagationOutput, error) {
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		rt, err := routeTables.get(tx, sc, ptr.Deref(in.RouteTableId))
		if err != nil {
			return err
		}
		if _, err := vgws.get(tx, sc, ptr.Deref(in.GatewayId)); err != nil {
			return err
		}
		for _, p := range rt.PropagatingVgws {
			if ptr.Deref(p.GatewayId) == ptr.Deref(in.GatewayId) {
				return nil
			}
		}
		rt.PropagatingVgws = append(rt.PropagatingVgws, ec2api.PropagatingVgw{GatewayId: in.GatewayId})
		return routeTables.put(tx, sc, ptr.Deref(in.RouteTableId), rt)
	})
	return answer(&ec2api.EnableVgwRoutePropagationOutput{}, err)
}

// DisableVgwRoutePropagation stops it.
func (s *EC2) DisableVgwRoutePropagation(ctx *request.Context, in *ec2api.DisableVgwRoutePropagationRequest) (*ec2api.DisableVgwRoutePropagationOutput, error) {
	err := mutate(s, ctx, routeTables, ptr.Deref(in.RouteTableId), func(_ storage.Tx, _ storage.Scope, rt *ec2api.RouteTable) error {
		kept := rt.PropagatingVgws[:0]
		for _, p := range rt.PropagatingVgws {
			if ptr.Deref(p.GatewayId) != ptr.Deref(in.GatewayId) {
				kept = append(kept, p)
			}
		}
		rt.PropagatingVgws = kept
		return nil
	})
	return answer(&ec2api.DisableVgwRoutePropagationOutput{}, err)
}

// CreateInternetGateway creates a detached gateway.
func (s *EC2) CreateInternetGateway(ctx *request.Context, in *ec2api.CreateInternetGatewayRequest) (*ec2api.CreateInternetGatewayResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	id := newID("igw")
	tags := tagsFor(in.TagSpecifications, "internet-gateway")
	if tags == nil {
		tags = []ec2api.Tag{}
	}
	g := ec2api.InternetGateway{InternetGatewayId: ptr.To(id), OwnerId: ptr.To(ctx.Account), Tags: tags, Attachments: []ec2api.InternetGatewayAttachment{}}
	if err := s.store.Update(func(tx storage.Tx) error { return igws.put(tx, scope(ctx), id, g) }); err != nil {
		return nil, err
	}
	return &ec2api.CreateInternetGatewayResult{InternetGateway: &g}, nil
}

// AttachInternetGateway attaches a gateway to a VPC; a VPC has at most
// one and a gateway attaches to one VPC.
func (s *EC2) AttachInternetGateway(ctx *request.Context, in *ec2api.AttachInternetGatewayRequest) (*ec2api.AttachInternetGatewayOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	id, vpc := ptr.Deref(in.InternetGatewayId), ptr.Deref(in.VpcId)
	err := s.store.Update(func(tx storage.Tx) error {
		g, err := igws.get(tx, sc, id)
		if err != nil {
			return err
		}
		if _, err := vpcs.get(tx, sc, vpc); err != nil {
			return err
		}
		if len(g.Attachments) > 0 {
			return errAlreadyAssociated.New("resource %s is already attached to network %s", id, ptr.Deref(g.Attachments[0].VpcId))
		}
		all, err := igws.all(tx, sc)
		if err != nil {
			return err
		}
		for _, o := range all {
			if attachedTo(o.Attachments, vpc) {
				return errAlreadyAssociated.New("Network %s already has an internet gateway attached", vpc)
			}
		}
		g.Attachments = []ec2api.InternetGatewayAttachment{{State: ptr.To("available"), VpcId: ptr.To(vpc)}}
		return igws.put(tx, sc, id, g)
	})
	return answer(&ec2api.AttachInternetGatewayOutput{}, err)
}

// DetachInternetGateway detaches it; routes to it become blackholes.
func (s *EC2) DetachInternetGateway(ctx *request.Context, in *ec2api.DetachInternetGatewayRequest) (*ec2api.DetachInternetGatewayOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	id, vpc := ptr.Deref(in.InternetGatewayId), ptr.Deref(in.VpcId)
	err := mutate(s, ctx, igws, id, func(_ storage.Tx, _ storage.Scope, g *ec2api.InternetGateway) error {
		if !attachedTo(g.Attachments, vpc) {
			return errGatewayNotAttached.New("resource %s is not attached to network %s", id, vpc)
		}
		g.Attachments = []ec2api.InternetGatewayAttachment{}
		return nil
	})
	return answer(&ec2api.DetachInternetGatewayOutput{}, err)
}

// DeleteInternetGateway deletes a detached gateway.
func (s *EC2) DeleteInternetGateway(ctx *request.Context, in *ec2api.DeleteInternetGatewayRequest) (*ec2api.DeleteInternetGatewayOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	err := removeUnused(s, ctx, igws, ptr.Deref(in.InternetGatewayId), func(g *ec2api.InternetGateway) bool { return len(g.Attachments) > 0 })
	return answer(&ec2api.DeleteInternetGatewayOutput{}, err)
}

// DescribeInternetGateways lists gateways.
func (s *EC2) DescribeInternetGateways(ctx *request.Context, in *ec2api.DescribeInternetGatewaysRequest) (*ec2api.DescribeInternetGatewaysResult, error) {
	if err := s.ensureDefaults(ctx); err != nil {
		return nil, err
	}
	recs, next, err := describe(s, ctx, igws, page{ids: in.InternetGatewayIds, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken}, nil)
	return answer(&ec2api.DescribeInternetGatewaysResult{InternetGateways: orEmpty(recs), NextToken: next}, err)
}

// natState is a NAT gateway's state at now: pending for NatDelay after
// creation, then available; deleting for NatDelay after deletion, then
// deleted.
func natState(n ec2api.NatGateway, now time.Time, delay time.Duration) string {
	if n.DeleteTime != nil {
		if now.Sub(*n.DeleteTime) >= delay {
			return "deleted"
		}
		return "deleting"
	}
	if ptr.Deref(n.State) == "failed" {
		return "failed"
	}
	if n.CreateTime != nil && now.Sub(*n.CreateTime) >= delay {
		return "available"
	}
	return "pending"
}

// CreateNatGateway creates a NAT gateway in a subnet: public ones take an
// Elastic IP allocation, private ones none; each gets a private address
// and a network interface in the subnet.
func (s *EC2) CreateNatGateway(ctx *request.Context, in *ec2api.CreateNatGatewayRequest) (*ec2api.CreateNatGatewayResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	conn := "public"
	if in.ConnectivityType != nil {
		conn = *in.ConnectivityType
	}
	if conn == "public" && in.AllocationId == nil {
		return nil, errMissingParameter.New("Public NAT gateways require an Elastic IP address allocation ID.")
	}
	if conn == "private" && in.AllocationId != nil {
		return nil, errInvalidParameterCombo.New("Private NAT gateways cannot have an Elastic IP address allocation ID.")
	}
	sc := scope(ctx)
	id := newID("nat")
	var n ec2api.NatGateway
	err := s.store.Update(func(tx storage.Tx) error {
		sub, err := subnets.get(tx, sc, ptr.Deref(in.SubnetId))
		if err != nil {
			return err
		}
		eniID := newID("eni")
		ip, err := allocateIP(tx, sc, ptr.Deref(in.SubnetId), ptr.Deref(in.PrivateIpAddress), eniID)
		if err != nil {
			return err
		}
		addr := ec2api.NatGatewayAddress{NetworkInterfaceId: ptr.To(eniID), PrivateIp: ptr.To(ip), IsPrimary: ptr.To(true), Status: ptr.To("succeeded")}
		eni := s.newENIRecord(ctx, eniID, sub, ip, "Interface for NAT Gateway "+id, "nat_gateway", nil)
		eni.RequesterManaged = ptr.To(true)
		if conn == "public" {
			a, err := addresses.get(tx, sc, *in.AllocationId)
			if err != nil {
				return err
			}
			if a.AssociationId != nil {
				return code("Resource.AlreadyAssociated").New("Elastic IP address [%s] is already associated", *in.AllocationId)
			}
			assoc := newID("eipassoc")
			a.AssociationId, a.NetworkInterfaceId, a.PrivateIpAddress, a.NetworkInterfaceOwnerId = ptr.To(assoc), ptr.To(eniID), ptr.To(ip), ptr.To(ctx.Account)
			if err := addresses.put(tx, sc, *in.AllocationId, a); err != nil {
				return err
			}
			addr.AllocationId, addr.PublicIp, addr.AssociationId = in.AllocationId, a.PublicIp, ptr.To(assoc)
			eni.Association = &ec2api.NetworkInterfaceAssociation{AllocationId: in.AllocationId, AssociationId: ptr.To(assoc), IpOwnerId: ptr.To(ctx.Account), PublicIp: a.PublicIp, PublicDnsName: ptr.To(publicDNS(ctx.Region, ptr.Deref(a.PublicIp)))}
			eni.PrivateIpAddresses[0].Association = eni.Association
		}
		tags := tagsFor(in.TagSpecifications, "natgateway")
		if tags == nil {
			tags = []ec2api.Tag{}
		}
		n = ec2api.NatGateway{NatGatewayId: ptr.To(id), SubnetId: in.SubnetId, VpcId: sub.VpcId, State: ptr.To("pending"), ConnectivityType: ptr.To(conn),
			CreateTime: ptr.To(ctx.Now().UTC()), NatGatewayAddresses: []ec2api.NatGatewayAddress{addr}, Tags: tags}
		if err := createNatSecondaries(tx, sc, ctx, &n, &eni, in); err != nil {
			return err
		}
		return saveNat(tx, sc, n, eni)
	})
	return answer(&ec2api.CreateNatGatewayResult{NatGateway: &n, ClientToken: in.ClientToken}, err)
}

// DescribeNatGateways lists NAT gateways with their state as of now;
// deleted ones stay visible for an hour, as on AWS.
func (s *EC2) DescribeNatGateways(ctx *request.Context, in *ec2api.DescribeNatGatewaysRequest) (*ec2api.DescribeNatGatewaysResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	now := ctx.Now()
	keep := func(n *ec2api.NatGateway) bool {
		n.State = ptr.To(natState(*n, now, s.opts.NatDelay))
		return n.DeleteTime == nil || now.Sub(*n.DeleteTime) < time.Hour
	}
	recs, next, err := describe(s, ctx, nats, page{ids: in.NatGatewayIds, filters: in.Filter, maxResults: in.MaxResults, nextToken: in.NextToken}, keep)
	return answer(&ec2api.DescribeNatGatewaysResult{NatGateways: orEmpty(recs), NextToken: next}, err)
}

// DeleteNatGateway starts deleting a NAT gateway and releases its
// address association.
func (s *EC2) DeleteNatGateway(ctx *request.Context, in *ec2api.DeleteNatGatewayRequest) (*ec2api.DeleteNatGatewayResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	id := ptr.Deref(in.NatGatewayId)
	err := s.store.Update(func(tx storage.Tx) error {
		n, ok, err := nats.table.Get(tx, sc, id)
		if err != nil {
			return err
		}
		if !ok || n.DeleteTime != nil {
			return errNatNotFound.New("The Nat Gateway %s was not found", id)
		}
		n.DeleteTime = ptr.To(ctx.Now().UTC())
		for _, a := range n.NatGatewayAddresses {
			if a.AllocationId != nil {
				if e, ok, _ := addresses.table.Get(tx, sc, *a.AllocationId); ok {
					e.AssociationId, e.NetworkInterfaceId, e.PrivateIpAddress, e.NetworkInterfaceOwnerId = nil, nil, nil, nil
					if err := addresses.put(tx, sc, *a.AllocationId, e); err != nil {
						return err
					}
				}
			}
			if err := releaseIP(tx, sc, ptr.Deref(n.SubnetId), ptr.Deref(a.PrivateIp)); err != nil {
				return err
			}
			if err := enis.table.Delete(tx, sc, ptr.Deref(a.NetworkInterfaceId)); err != nil {
				return err
			}
		}
		return nats.put(tx, sc, id, n)
	})
	return answer(&ec2api.DeleteNatGatewayResult{NatGatewayId: in.NatGatewayId}, err)
}

// AllocateAddress allocates an Elastic IP (VPC domain).
func (s *EC2) AllocateAddress(ctx *request.Context, in *ec2api.AllocateAddressRequest) (*ec2api.AllocateAddressResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	id := newID("eipalloc")
	var a ec2api.Address
	err := s.store.Update(func(tx storage.Tx) error {
		n, _ := countWhere(tx, sc, addresses, func(*ec2api.Address) bool { return true })
		if n >= maxElasticIPs {
			return errAddressLimitExceeded.New("The maximum number of addresses has been reached.")
		}
		ip := ptr.Deref(in.Address)
		if ip != "" {
			if _, used := tx.Get(publicIPs.Key(sc, ip)); used {
				return errInvalidParameterValue.New("Address %s is in use.", ip)
			}
			if err := publicIPs.Put(tx, sc, ipRecord{Owner: id}, ip); err != nil {
				return err
			}
		} else {
			var err error
			if ip, err = newPublicIP(tx, sc, id); err != nil {
				return err
			}
		}
		tags := tagsFor(in.TagSpecifications, "elastic-ip")
		if tags == nil {
			tags = []ec2api.Tag{}
		}
		a = ec2api.Address{AllocationId: ptr.To(id), PublicIp: ptr.To(ip), Domain: ptr.To("vpc"), PublicIpv4Pool: ptr.To("amazon"), NetworkBorderGroup: ptr.To(ctx.Region), Tags: tags}
		return addresses.put(tx, sc, id, a)
	})
	if err != nil {
		return nil, err
	}
	return &ec2api.AllocateAddressResult{AllocationId: a.AllocationId, PublicIp: a.PublicIp, Domain: a.Domain, PublicIpv4Pool: a.PublicIpv4Pool, NetworkBorderGroup: a.NetworkBorderGroup}, nil
}

func findAddress(tx storage.Tx, sc storage.Scope, alloc, publicIP *string) (ec2api.Address, error) {
	if alloc != nil {
		return addresses.get(tx, sc, *alloc)
	}
	if publicIP != nil {
		all, err := addresses.all(tx, sc)
		if err != nil {
			return ec2api.Address{}, err
		}
		for _, a := range all {
			if ptr.Deref(a.PublicIp) == *publicIP {
				return a, nil
			}
		}
		return ec2api.Address{}, errAddressNotFound.New("Address '%s' not found.", *publicIP)
	}
	return ec2api.Address{}, errMissingParameter.New("Either public IP or allocation id must be specified")
}

// AssociateAddress associates an Elastic IP with an instance's primary
// interface or with a network interface.
func (s *EC2) AssociateAddress(ctx *request.Context, in *ec2api.AssociateAddressRequest) (*ec2api.AssociateAddressResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	assoc := newID("eipassoc")
	err := s.store.Update(func(tx storage.Tx) error {
		a, err := findAddress(tx, sc, in.AllocationId, in.PublicIp)
		if err != nil {
			return err
		}
		eniID := ptr.Deref(in.NetworkInterfaceId)
		if in.InstanceId != nil {
			inst, err := instances.get(tx, sc, *in.InstanceId)
			if err != nil {
				return err
			}
			if inst.State != "running" && inst.State != "stopped" && inst.State != "pending" {
				return errIncorrectInstanceState.New("The instance '%s' is not in a valid state for this operation.", *in.InstanceId)
			}
			eniID = inst.ENI
		}
		if eniID == "" {
			return errMissingParameter.New("Either instance ID or network interface ID must be specified")
		}
		if a.AssociationId != nil {
			if in.AllowReassociation != nil && !*in.AllowReassociation {
				return code("Resource.AlreadyAssociated").New("resource %s is already associated with associate-id %s", ptr.Deref(a.AllocationId), ptr.Deref(a.AssociationId))
			}
			if err := s.disassociateEIP(tx, sc, &a); err != nil {
				return err
			}
		}
		eni, err := enis.get(tx, sc, eniID)
		if err != nil {
			return err
		}
		priv := ptr.Deref(eni.PrivateIpAddress)
		if in.PrivateIpAddress != nil {
			priv = *in.PrivateIpAddress
		}
		idx := privateIPIndex(&eni, priv)
		if idx < 0 {
			return errInvalidParameterValue.New("The private IP address %s is not assigned to network interface %s.", priv, eniID)
		}
		if !ptr.Deref(eni.PrivateIpAddresses[idx].Primary) {
			// A secondary address: only its own Elastic IP gives way.
			if cur := eni.PrivateIpAddresses[idx].Association; cur != nil && cur.AllocationId != nil {
				if old, ok, _ := addresses.table.Get(tx, sc, *cur.AllocationId); ok {
					if err := s.disassociateEIP(tx, sc, &old); err != nil {
						return err
					}
					eni, _ = enis.get(tx, sc, eniID)
				}
			}
		} else if eni.Association != nil && eni.Association.AllocationId == nil {
			// An auto-assigned public address gives way to the Elastic IP.
			if err := releasePublicIP(tx, sc, ptr.Deref(eni.Association.PublicIp)); err != nil {
				return err
			}
		} else if eni.Association != nil && eni.Association.AllocationId != nil {
			old, ok, _ := addresses.table.Get(tx, sc, *eni.Association.AllocationId)
			if ok {
				if err := s.disassociateEIP(tx, sc, &old); err != nil {
					return err
				}
				eni, _ = enis.get(tx, sc, eniID)
			}
		}
		a.AssociationId, a.NetworkInterfaceId, a.NetworkInterfaceOwnerId, a.PrivateIpAddress = ptr.To(assoc), ptr.To(eniID), ptr.To(ctx.Account), ptr.To(priv)
		if eni.Attachment != nil {
			a.InstanceId = eni.Attachment.InstanceId
		}
		na := &ec2api.NetworkInterfaceAssociation{AllocationId: a.AllocationId, AssociationId: ptr.To(assoc), IpOwnerId: ptr.To(ctx.Account), PublicIp: a.PublicIp, PublicDnsName: ptr.To(publicDNS(ctx.Region, ptr.Deref(a.PublicIp)))}
		// The interface's own Association is its primary address's.
		if ptr.Deref(eni.PrivateIpAddresses[idx].Primary) {
			eni.Association = na
		}
		eni.PrivateIpAddresses[idx].Association = na
		if err := enis.put(tx, sc, eniID, eni); err != nil {
			return err
		}
		return addresses.put(tx, sc, ptr.Deref(a.AllocationId), a)
	})
	return answer(&ec2api.AssociateAddressResult{AssociationId: ptr.To(assoc)}, err)
}

// disassociateEIP detaches an Elastic IP from its interface.
func (s *EC2) disassociateEIP(tx storage.Tx, sc storage.Scope, a *ec2api.Address) error {
	if eniID := ptr.Deref(a.NetworkInterfaceId); eniID != "" {
		if eni, ok, _ := enis.table.Get(tx, sc, eniID); ok {
			// Only the addresses this Elastic IP was associated with.
			mine := func(x *ec2api.NetworkInterfaceAssociation) bool {
				return x != nil && ptr.Deref(x.AllocationId) == ptr.Deref(a.AllocationId)
			}
			if mine(eni.Association) {
				eni.Association = nil
			}
			for i := range eni.PrivateIpAddresses {
				if mine(eni.PrivateIpAddresses[i].Association) {
					eni.PrivateIpAddresses[i].Association = nil
				}
			}
			if err := enis.put(tx, sc, eniID, eni); err != nil {
				return err
			}
		}
	}
	a.AssociationId, a.NetworkInterfaceId, a.NetworkInterfaceOwnerId, a.PrivateIpAddress, a.InstanceId = nil, nil, nil, nil, nil
	return addresses.put(tx, sc, ptr.Deref(a.AllocationId), *a)
}

// DisassociateAddress detaches an Elastic IP.
func (s *EC2) DisassociateAddress(ctx *request.Context, in *ec2api.DisassociateAddressRequest) (*ec2api.DisassociateAddressOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		all, err := addresses.all(tx, sc)
		if err != nil {
			return err
		}
		for _, a := range all {
			if (in.AssociationId != nil && ptr.Deref(a.AssociationId) == *in.AssociationId) || (in.PublicIp != nil && ptr.Deref(a.PublicIp) == *in.PublicIp) {
				if a.AssociationId == nil {
					return nil
				}
				if n, _ := countWhere(tx, sc, nats, func(n *ec2api.NatGateway) bool {
					return n.DeleteTime == nil && len(n.NatGatewayAddresses) > 0 && ptr.Deref(n.NatGatewayAddresses[0].AllocationId) == ptr.Deref(a.AllocationId)
				}); n > 0 {
					return code("AuthFailure").New("You do not have permission to access the specified resource.")
				}
				return s.disassociateEIP(tx, sc, &a)
			}
		}
		if in.AssociationId != nil {
			return errAssociationNotFound.New("The association ID '%s' does not exist", *in.AssociationId)
		}
		return errAddressNotFound.New("Address '%s' not found.", ptr.Deref(in.PublicIp))
	})
	return answer(&ec2api.DisassociateAddressOutput{}, err)
}

// ReleaseAddress releases an unassociated Elastic IP.
func (s *EC2) ReleaseAddress(ctx *request.Context, in *ec2api.ReleaseAddressRequest) (*ec2api.ReleaseAddressOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		a, err := findAddress(tx, sc, in.AllocationId, in.PublicIp)
		if err != nil {
			return err
		}
		if a.AssociationId != nil {
			return code("InvalidIPAddress.InUse").New("Address %s is in use.", ptr.Deref(a.PublicIp))
		}
		if err := releasePublicIP(tx, sc, ptr.Deref(a.PublicIp)); err != nil {
			return err
		}
		return addresses.table.Delete(tx, sc, ptr.Deref(a.AllocationId))
	})
	return answer(&ec2api.ReleaseAddressOutput{}, err)
}

// DescribeAddresses lists Elastic IPs.
func (s *EC2) DescribeAddresses(ctx *request.Context, in *ec2api.DescribeAddressesRequest) (*ec2api.DescribeAddressesResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	recs, _, err := describe(s, ctx, addresses, page{ids: in.AllocationIds, filters: in.Filters}, nil)
	if err != nil {
		return nil, err
	}
	out := &ec2api.DescribeAddressesResult{Addresses: []ec2api.Address{}}
	for _, ip := range in.PublicIps {
		found := false
		for _, a := range recs {
			found = found || ptr.Deref(a.PublicIp) == ip
		}
		if !found {
			return nil, errAddressNotFound.New("Address '%s' not found.", ip)
		}
	}
	for _, a := range recs {
		if len(in.PublicIps) > 0 && !contains(in.PublicIps, ptr.Deref(a.PublicIp)) {
			continue
		}
		out.Addresses = append(out.Addresses, a)
	}
	return out, nil
}
