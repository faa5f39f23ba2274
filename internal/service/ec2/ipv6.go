package ec2

import (
	"crypto/rand"
	"net/netip"
	"slices"
	"strings"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/filter"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// niwaIPv6Pool is where Amazon-provided IPv6 blocks come from: a /56 per
// VPC out of 2600:1f18::/32 (one of AWS's own ranges, so tools that check
// for a global unicast block are satisfied; nothing routes it off the
// machine).
var niwaIPv6Pool = netip.MustParsePrefix("2600:1f18::/32")

// newVpcIPv6Block picks a free /56 in the pool for the scope.
func newVpcIPv6Block(tx storage.Tx, sc storage.Scope) (netip.Prefix, error) {
	all, err := vpcs.all(tx, sc)
	if err != nil {
		return netip.Prefix{}, err
	}
	used := map[netip.Prefix]bool{}
	for _, v := range all {
		for _, a := range v.Vpc.Ipv6CidrBlockAssociationSet {
			if p, err := netip.ParsePrefix(ptr.Deref(a.Ipv6CidrBlock)); err == nil {
				used[p] = true
			}
		}
	}
	base := niwaIPv6Pool.Addr().As16()
	for {
		var r [3]byte
		if _, err := rand.Read(r[:]); err != nil {
			return netip.Prefix{}, err
		}
		b := base
		b[4], b[5], b[6] = r[0], r[1], r[2]
		p := netip.PrefixFrom(netip.AddrFrom16(b), 56)
		if !used[p] {
			return p, nil
		}
	}
}

// addVpcIPv6 gives a VPC an Amazon-provided /56 and every route table
// of the VPC its local route.
func addVpcIPv6(tx storage.Tx, sc storage.Scope, region string, v *vpcRecord) (ec2api.VpcIpv6CidrBlockAssociation, error) {
	if len(v.Vpc.Ipv6CidrBlockAssociationSet) >= 1 {
		return ec2api.VpcIpv6CidrBlockAssociation{}, code("CidrLimitExceeded").New("This network '%s' has met its maximum number of allowed CIDRs: 1", ptr.Deref(v.Vpc.VpcId))
	}
	p, err := newVpcIPv6Block(tx, sc)
	if err != nil {
		return ec2api.VpcIpv6CidrBlockAssociation{}, err
	}
	a := ec2api.VpcIpv6CidrBlockAssociation{AssociationId: ptr.To(newID("vpc-cidr-assoc")), Ipv6CidrBlock: ptr.To(p.String()),
		Ipv6CidrBlockState: &ec2api.VpcCidrBlockState{State: ptr.To("associated")}, NetworkBorderGroup: ptr.To(region), Ipv6Pool: ptr.To("Amazon")}
	v.Vpc.Ipv6CidrBlockAssociationSet = append(v.Vpc.Ipv6CidrBlockAssociationSet, a)
	rts, err := routeTables.all(tx, sc)
	if err != nil {
		return a, err
	}
	for _, rt := range rts {
		if ptr.Deref(rt.VpcId) == ptr.Deref(v.Vpc.VpcId) {
			rt.Routes = append(rt.Routes, ec2api.Route{DestinationIpv6CidrBlock: ptr.To(p.String()), GatewayId: ptr.To("local"), Origin: ptr.To("CreateRouteTable"), State: ptr.To("active")})
			if err := routeTables.put(tx, sc, ptr.Deref(rt.RouteTableId), rt); err != nil {
				return a, err
			}
		}
	}
	return a, nil
}

// associateVpcIPv6 is AssociateVpcCidrBlock with
// AmazonProvidedIpv6CidrBlock.
func (s *EC2) associateVpcIPv6(ctx *request.Context, in *ec2api.AssociateVpcCidrBlockRequest) (*ec2api.AssociateVpcCidrBlockResult, error) {
	if in.CidrBlock != nil || in.Ipv6CidrBlock != nil || in.Ipv6Pool != nil {
		return nil, errInvalidParameterCombo.New("The parameter amazonProvidedIpv6CidrBlock cannot be used with the parameter cidrBlock, ipv6CidrBlock or ipv6Pool")
	}
	if g := ptr.Deref(in.Ipv6CidrBlockNetworkBorderGroup); g != "" && g != ctx.Region {
		return nil, errInvalidParameterValue.New("The network border group '%s' is invalid.", g)
	}
	sc := scope(ctx)
	var a ec2api.VpcIpv6CidrBlockAssociation
	err := s.store.Update(func(tx storage.Tx) error {
		v, err := vpcs.get(tx, sc, ptr.Deref(in.VpcId))
		if err != nil {
			return err
		}
		if a, err = addVpcIPv6(tx, sc, ctx.Region, &v); err != nil {
			return err
		}
		return vpcs.put(tx, sc, ptr.Deref(in.VpcId), v)
	})
	if err != nil {
		return nil, err
	}
	a.Ipv6CidrBlockState = &ec2api.VpcCidrBlockState{State: ptr.To("associating")}
	return &ec2api.AssociateVpcCidrBlockResult{VpcId: in.VpcId, Ipv6CidrBlockAssociation: &a}, nil
}

// disassociateVpcIPv6 removes a VPC's IPv6 block, refused while a subnet
// has a block inside it. ok is false when id is not an IPv6 association.
func (s *EC2) disassociateVpcIPv6(ctx *request.Context, id string) (*ec2api.DisassociateVpcCidrBlockResult, bool, error) {
	sc := scope(ctx)
	var out *ec2api.DisassociateVpcCidrBlockResult
	err := s.store.Update(func(tx storage.Tx) error {
		all, err := vpcs.all(tx, sc)
		if err != nil {
			return err
		}
		for _, v := range all {
			for i, a := range v.Vpc.Ipv6CidrBlockAssociationSet {
				if ptr.Deref(a.AssociationId) != id {
					continue
				}
				block := ptr.Deref(a.Ipv6CidrBlock)
				if n, _ := countWhere(tx, sc, subnets, func(x *ec2api.Subnet) bool {
					return ptr.Deref(x.VpcId) == ptr.Deref(v.Vpc.VpcId) && len(x.Ipv6CidrBlockAssociationSet) > 0
				}); n > 0 {
					return errDependencyViolation.New("The vpc CIDR block %s has dependencies and cannot be disassociated.", block)
				}
				v.Vpc.Ipv6CidrBlockAssociationSet = append(v.Vpc.Ipv6CidrBlockAssociationSet[:i], v.Vpc.Ipv6CidrBlockAssociationSet[i+1:]...)
				a.Ipv6CidrBlockState = &ec2api.VpcCidrBlockState{State: ptr.To("disassociating")}
				out = &ec2api.DisassociateVpcCidrBlockResult{VpcId: v.Vpc.VpcId, Ipv6CidrBlockAssociation: &a}
				rts, err := routeTables.all(tx, sc)
				if err != nil {
					return err
				}
				for _, rt := range rts {
					if ptr.Deref(rt.VpcId) != ptr.Deref(v.Vpc.VpcId) {
						continue
					}
					kept := rt.Routes[:0]
					for _, r := range rt.Routes {
						if !(ptr.Deref(r.GatewayId) == "local" && ptr.Deref(r.DestinationIpv6CidrBlock) == block) {
							kept = append(kept, r)
						}
					}
					rt.Routes = kept
					if err := routeTables.put(tx, sc, ptr.Deref(rt.RouteTableId), rt); err != nil {
						return err
					}
				}
				return vpcs.put(tx, sc, ptr.Deref(v.Vpc.VpcId), v)
			}
		}
		return nil
	})
	return out, out != nil, err
}

// addSubnetIPv6 gives a subnet a /64 inside its VPC's IPv6 block.
func addSubnetIPv6(tx storage.Tx, sc storage.Scope, v *vpcRecord, sub *ec2api.Subnet, cidr string) (ec2api.SubnetIpv6CidrBlockAssociation, error) {
	var none ec2api.SubnetIpv6CidrBlockAssociation
	p, err := netip.ParsePrefix(cidr)
	if err != nil || !p.Addr().Is6() || p.Addr().Is4In6() || p.Masked() != p {
		return none, errInvalidParameterValue.New("Value (%s) for parameter ipv6CidrBlock is invalid. This is not a valid IPv6 CIDR block.", cidr)
	}
	if p.Bits() != 64 {
		return none, errSubnetRange.New("The IPv6 CIDR '%s' is invalid. Subnet IPv6 CIDR blocks must be /64.", cidr)
	}
	if len(sub.Ipv6CidrBlockAssociationSet) > 0 {
		return none, code("CidrLimitExceeded").New("The subnet '%s' already has an IPv6 CIDR block.", ptr.Deref(sub.SubnetId))
	}
	inside := false
	for _, a := range v.Vpc.Ipv6CidrBlockAssociationSet {
		if vp, err := netip.ParsePrefix(ptr.Deref(a.Ipv6CidrBlock)); err == nil && vp.Contains(p.Addr()) {
			inside = true
		}
	}
	if !inside {
		return none, errSubnetRange.New("The CIDR '%s' is invalid.", cidr)
	}
	all, err := subnets.all(tx, sc)
	if err != nil {
		return none, err
	}
	for _, o := range all {
		for _, a := range o.Ipv6CidrBlockAssociationSet {
			if ptr.Deref(o.VpcId) == ptr.Deref(v.Vpc.VpcId) && ptr.Deref(a.Ipv6CidrBlock) == p.String() {
				return none, errSubnetConflict.New("The CIDR '%s' conflicts with another subnet", cidr)
			}
		}
	}
	a := ec2api.SubnetIpv6CidrBlockAssociation{AssociationId: ptr.To(newID("subnet-cidr-assoc")), Ipv6CidrBlock: ptr.To(p.String()),
		Ipv6CidrBlockState: &ec2api.SubnetCidrBlockState{State: ptr.To("associated")}}
	sub.Ipv6CidrBlockAssociationSet = append(sub.Ipv6CidrBlockAssociationSet, a)
	return a, nil
}

// AssociateSubnetCidrBlock gives a subnet its IPv6 /64.
func (s *EC2) AssociateSubnetCidrBlock(ctx *request.Context, in *ec2api.AssociateSubnetCidrBlockRequest) (*ec2api.AssociateSubnetCidrBlockResult, error) {
	if in.Ipv6CidrBlock == nil {
		return nil, errMissingParameter.New("The request must contain the parameter ipv6CidrBlock")
	}
	sc := scope(ctx)
	var a ec2api.SubnetIpv6CidrBlockAssociation
	err := s.store.Update(func(tx storage.Tx) error {
		sub, err := subnets.get(tx, sc, ptr.Deref(in.SubnetId))
		if err != nil {
			return err
		}
		v, err := vpcs.get(tx, sc, ptr.Deref(sub.VpcId))
		if err != nil {
			return err
		}
		if a, err = addSubnetIPv6(tx, sc, &v, &sub, *in.Ipv6CidrBlock); err != nil {
			return err
		}
		return subnets.put(tx, sc, ptr.Deref(sub.SubnetId), sub)
	})
	if err != nil {
		return nil, err
	}
	a.Ipv6CidrBlockState = &ec2api.SubnetCidrBlockState{State: ptr.To("associating")}
	return &ec2api.AssociateSubnetCidrBlockResult{SubnetId: in.SubnetId, Ipv6CidrBlockAssociation: &a}, nil
}

// DisassociateSubnetCidrBlock removes a subnet's IPv6 block.
func (s *EC2) DisassociateSubnetCidrBlock(ctx *request.Context, in *ec2api.DisassociateSubnetCidrBlockRequest) (*ec2api.DisassociateSubnetCidrBlockResult, error) {
	id := ptr.Deref(in.AssociationId)
	sc := scope(ctx)
	var out *ec2api.DisassociateSubnetCidrBlockResult
	err := s.store.Update(func(tx storage.Tx) error {
		all, err := subnets.all(tx, sc)
		if err != nil {
			return err
		}
		for _, sub := range all {
			for i, a := range sub.Ipv6CidrBlockAssociationSet {
				if ptr.Deref(a.AssociationId) != id {
					continue
				}
				sub.Ipv6CidrBlockAssociationSet = append(sub.Ipv6CidrBlockAssociationSet[:i], sub.Ipv6CidrBlockAssociationSet[i+1:]...)
				a.Ipv6CidrBlockState = &ec2api.SubnetCidrBlockState{State: ptr.To("disassociating")}
				out = &ec2api.DisassociateSubnetCidrBlockResult{SubnetId: sub.SubnetId, Ipv6CidrBlockAssociation: &a}
				return subnets.put(tx, sc, ptr.Deref(sub.SubnetId), sub)
			}
		}
		return code("InvalidSubnetCidrBlockAssociationID.NotFound").New("The subnet CIDR block with association ID '%s' does not exist", id)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

var eigws = resource[ec2api.EgressOnlyInternetGateway]{table: storage.NewTable[ec2api.EgressOnlyInternetGateway]("eigw"), prefix: "eigw", typ: "egress-only-internet-gateway",
	noun: "eigw", notFound: code("InvalidGatewayID.NotFound"), tags: func(v *ec2api.EgressOnlyInternetGateway) *[]ec2api.Tag { return &v.Tags }, doc: eigwDoc}

func eigwDoc(v *ec2api.EgressOnlyInternetGateway) filter.Doc {
	return filter.New(v.Tags).Add("egress-only-internet-gateway-id", ptr.Deref(v.EgressOnlyInternetGatewayId))
}

// CreateEgressOnlyInternetGateway creates an egress-only gateway attached
// to a VPC.
func (s *EC2) CreateEgressOnlyInternetGateway(ctx *request.Context, in *ec2api.CreateEgressOnlyInternetGatewayRequest) (*ec2api.CreateEgressOnlyInternetGatewayResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	id := newID("eigw")
	g := ec2api.EgressOnlyInternetGateway{EgressOnlyInternetGatewayId: ptr.To(id), Tags: nonNilTags(tagsFor(in.TagSpecifications, "egress-only-internet-gateway")),
		Attachments: []ec2api.InternetGatewayAttachment{{State: ptr.To("attached"), VpcId: in.VpcId}}}
	err := s.store.Update(func(tx storage.Tx) error {
		if _, err := vpcs.get(tx, sc, ptr.Deref(in.VpcId)); err != nil {
			return err
		}
		return eigws.put(tx, sc, id, g)
	})
	if err != nil {
		return nil, err
	}
	return &ec2api.CreateEgressOnlyInternetGatewayResult{EgressOnlyInternetGateway: &g, ClientToken: in.ClientToken}, nil
}

// DescribeEgressOnlyInternetGateways lists egress-only gateways.
func (s *EC2) DescribeEgressOnlyInternetGateways(ctx *request.Context, in *ec2api.DescribeEgressOnlyInternetGatewaysRequest) (*ec2api.DescribeEgressOnlyInternetGatewaysResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	recs, next, err := describe(s, ctx, eigws, page{ids: in.EgressOnlyInternetGatewayIds, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken}, nil)
	return answer(&ec2api.DescribeEgressOnlyInternetGatewaysResult{EgressOnlyInternetGateways: orEmpty(recs), NextToken: next}, err)
}

// DeleteEgressOnlyInternetGateway deletes an egress-only gateway; routes
// to it become blackholes, as on EC2.
func (s *EC2) DeleteEgressOnlyInternetGateway(ctx *request.Context, in *ec2api.DeleteEgressOnlyInternetGatewayRequest) (*ec2api.DeleteEgressOnlyInternetGatewayResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	id := ptr.Deref(in.EgressOnlyInternetGatewayId)
	if !strings.HasPrefix(id, "eigw-") {
		return nil, code("InvalidGatewayID.Malformed").New("Invalid id: \"%s\" (expecting \"eigw-...\")", id)
	}
	err := removeUnused(s, ctx, eigws, id, func(*ec2api.EgressOnlyInternetGateway) bool { return false })
	return answer(&ec2api.DeleteEgressOnlyInternetGatewayResult{ReturnCode: ptr.To(true)}, err)
}

// ipv6Wanted reads the IPv6 addresses RunInstances asks for on the
// primary interface, at the top level or in NetworkInterfaces[0].
func ipv6Wanted(in *ec2api.RunInstancesRequest) (int, []string) {
	count := int(ptr.Deref(in.Ipv6AddressCount))
	var explicit []string
	for _, a := range in.Ipv6Addresses {
		explicit = append(explicit, ptr.Deref(a.Ipv6Address))
	}
	for _, n := range in.NetworkInterfaces {
		if ptr.Deref(n.DeviceIndex) == 0 {
			count += int(ptr.Deref(n.Ipv6AddressCount))
			for _, a := range n.Ipv6Addresses {
				explicit = append(explicit, ptr.Deref(a.Ipv6Address))
			}
		}
	}
	return count, explicit
}

// maxIPv6PerInterface bounds the IPv6 addresses of one interface at the
// largest per-type limit EC2 has (50); niwa does not apply the smaller
// per-instance-type limits.
const maxIPv6PerInterface = 50

// assignIPv6 gives an interface count random addresses and the explicit
// ones from its subnet's /64.
func assignIPv6(tx storage.Tx, sc storage.Scope, eni *ec2api.NetworkInterface, sub ec2api.Subnet, count int, explicit []string) ([]string, error) {
	if len(sub.Ipv6CidrBlockAssociationSet) == 0 {
		return nil, errInvalidParameterValue.New("The subnet '%s' has no IPv6 CIDR block; associate one before assigning IPv6 addresses.", ptr.Deref(sub.SubnetId))
	}
	if count < 0 || count+len(explicit)+len(eni.Ipv6Addresses) > maxIPv6PerInterface {
		return nil, errInvalidParameterValue.New("The number of IPv6 addresses exceeds the limit (%d) for the interface.", maxIPv6PerInterface)
	}
	block := netip.MustParsePrefix(ptr.Deref(sub.Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock))
	used := map[netip.Addr]bool{}
	all, err := enis.all(tx, sc)
	if err != nil {
		return nil, err
	}
	for _, e := range append(all, *eni) {
		for _, a := range e.Ipv6Addresses {
			if ip, err := netip.ParseAddr(ptr.Deref(a.Ipv6Address)); err == nil {
				used[ip] = true
			}
		}
	}
	var added []string
	take := func(ip netip.Addr) {
		used[ip] = true
		added = append(added, ip.String())
		eni.Ipv6Addresses = append(eni.Ipv6Addresses, ec2api.NetworkInterfaceIpv6Address{Ipv6Address: ptr.To(ip.String()), IsPrimaryIpv6: ptr.To(false)})
	}
	for _, x := range explicit {
		ip, err := netip.ParseAddr(x)
		if err != nil || !block.Contains(ip) {
			return nil, errInvalidParameterValue.New("Address %s is not within the IPv6 CIDR block %s of subnet %s.", x, block, ptr.Deref(sub.SubnetId))
		}
		if used[ip] {
			return nil, code("InvalidIPAddress.InUse").New("Address %s is in use.", ip)
		}
		take(ip)
	}
	for i := 0; i < count; i++ {
		for {
			b := block.Addr().As16()
			if _, err := rand.Read(b[8:]); err != nil {
				return nil, err
			}
			ip := netip.AddrFrom16(b)
			if !used[ip] {
				take(ip)
				break
			}
		}
	}
	return added, nil
}

// AssignIpv6Addresses adds IPv6 addresses to an interface.
func (s *EC2) AssignIpv6Addresses(ctx *request.Context, in *ec2api.AssignIpv6AddressesRequest) (*ec2api.AssignIpv6AddressesResult, error) {
	if in.Ipv6AddressCount == nil && len(in.Ipv6Addresses) == 0 {
		return nil, errMissingParameter.New("The request must contain the parameter ipv6AddressCount or ipv6Addresses")
	}
	if in.Ipv6PrefixCount != nil || len(in.Ipv6Prefixes) > 0 {
		return nil, errInvalidParameterValue.New("IPv6 prefix delegation is not supported by niwa.")
	}
	sc := scope(ctx)
	var added []string
	err := s.store.Update(func(tx storage.Tx) error {
		e, err := enis.get(tx, sc, ptr.Deref(in.NetworkInterfaceId))
		if err != nil {
			return err
		}
		sub, err := subnets.get(tx, sc, ptr.Deref(e.SubnetId))
		if err != nil {
			return err
		}
		if added, err = assignIPv6(tx, sc, &e, sub, int(ptr.Deref(in.Ipv6AddressCount)), in.Ipv6Addresses); err != nil {
			return err
		}
		return enis.put(tx, sc, ptr.Deref(e.NetworkInterfaceId), e)
	})
	if err != nil {
		return nil, err
	}
	return &ec2api.AssignIpv6AddressesResult{NetworkInterfaceId: in.NetworkInterfaceId, AssignedIpv6Addresses: added, AssignedIpv6Prefixes: []string{}}, nil
}

// UnassignIpv6Addresses removes IPv6 addresses from an interface.
func (s *EC2) UnassignIpv6Addresses(ctx *request.Context, in *ec2api.UnassignIpv6AddressesRequest) (*ec2api.UnassignIpv6AddressesResult, error) {
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		e, err := enis.get(tx, sc, ptr.Deref(in.NetworkInterfaceId))
		if err != nil {
			return err
		}
		for _, x := range in.Ipv6Addresses {
			idx := slices.IndexFunc(e.Ipv6Addresses, func(a ec2api.NetworkInterfaceIpv6Address) bool { return ptr.Deref(a.Ipv6Address) == x })
			if idx < 0 {
				return errInvalidParameterValue.New("Some of the specified addresses are not assigned to interface %s", ptr.Deref(e.NetworkInterfaceId))
			}
			e.Ipv6Addresses = slices.Delete(e.Ipv6Addresses, idx, idx+1)
		}
		return enis.put(tx, sc, ptr.Deref(e.NetworkInterfaceId), e)
	})
	if err != nil {
		return nil, err
	}
	return &ec2api.UnassignIpv6AddressesResult{NetworkInterfaceId: in.NetworkInterfaceId, UnassignedIpv6Addresses: in.Ipv6Addresses, UnassignedIpv6Prefixes: []string{}}, nil
}
