package ec2

import (
	"net/netip"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// CreateDefaultSubnet creates the default subnet of one zone in the
// default VPC: a /20 from the VPC's first CIDR block (the lowest one no
// subnet of the VPC overlaps), public addresses on launch, the main route
// table and default network ACL, as after a deleted default subnet.
func (s *EC2) CreateDefaultSubnet(ctx *request.Context, in *ec2api.CreateDefaultSubnetRequest) (*ec2api.CreateDefaultSubnetResult, error) {
	if err := s.ensureDefaults(ctx); err != nil {
		return nil, err
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	n := ptr.Deref(in.AvailabilityZone)
	z, ok := zoneByName(ctx.Region, n)
	if !ok {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: %s.", n, zoneNames(ctx.Region))
	}
	if ptr.Deref(in.Ipv6Native) {
		return nil, errInvalidParameterValue.New("niwa creates IPv4 default subnets only: Ipv6Native is not supported.")
	}
	sc := scope(ctx)
	var out ec2api.Subnet
	err := s.store.Update(func(tx storage.Tx) error {
		d, err := s.defaultsOf(tx, sc)
		if err != nil {
			return err
		}
		v, ok, err := vpcs.table.Get(tx, sc, d.VpcID)
		if err != nil {
			return err
		}
		if d.VpcID == "" || !ok {
			return code("DefaultVpcDoesNotExist").New("There is no default VPC in which to carry out the request. If you've deleted your default VPC, you can create a new one.")
		}
		all, err := subnets.all(tx, sc)
		if err != nil {
			return err
		}
		var taken []netip.Prefix
		for _, o := range all {
			if ptr.Deref(o.VpcId) != d.VpcID {
				continue
			}
			if ptr.Deref(o.DefaultForAz) && ptr.Deref(o.AvailabilityZone) == z.Name {
				return code("DefaultSubnetAlreadyExistsInAvailabilityZone").New("A default subnet already exists in the specified Availability Zone %s.", z.Name)
			}
			if p, err := netip.ParsePrefix(ptr.Deref(o.CidrBlock)); err == nil {
				taken = append(taken, p)
			}
		}
		cidr, ok := freeBlock(netip.MustParsePrefix(ptr.Deref(v.Vpc.CidrBlock)), 20, taken)
		if !ok {
			return code("InsufficientFreeAddressesInVpc").New("There is no free /20 CIDR block left in the default VPC %s for a default subnet.", d.VpcID)
		}
		out, err = s.newSubnet(tx, ctx, v, cidr, z, true, nil)
		return err
	})
	return answer(&ec2api.CreateDefaultSubnetResult{Subnet: &out}, err)
}

// freeBlock is the lowest block of the given size inside vpc that
// overlaps none of taken.
func freeBlock(vpc netip.Prefix, bits int, taken []netip.Prefix) (netip.Prefix, bool) {
	if bits < vpc.Bits() || bits > 32 {
		return netip.Prefix{}, false
	}
	step := 1 << (32 - bits)
	for i := 0; i < prefixSize(vpc); i += step {
		p := netip.PrefixFrom(addrAt(vpc, i), bits)
		free := true
		for _, t := range taken {
			free = free && !t.Overlaps(p)
		}
		if free {
			return p, true
		}
	}
	return netip.Prefix{}, false
}
