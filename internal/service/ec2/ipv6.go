package ec2

import (
	"crypto/rand"
	"net/netip"
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
