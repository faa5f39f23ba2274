package ec2

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/filter"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// vpcRecord is a VPC with what DescribeVpcs does not show.
type vpcRecord struct {
	Vpc            ec2api.Vpc
	DNSHostnames   bool
	DNSSupport     bool
	MainRouteTable string
	DefaultSG      string
	DefaultACL     string
}

// ipRecord marks a private address in use, keyed (subnet, ip).
type ipRecord struct {
	Owner string
}

type defaultsRecord struct {
	VpcID   string
	DhcpID  string
	Created bool
}

var (
	vpcs     = resource[vpcRecord]{table: storage.NewTable[vpcRecord]("vpc"), prefix: "vpc", typ: "vpc", noun: "vpc", notFound: errVpcNotFound, tags: func(v *vpcRecord) *[]ec2api.Tag { return &v.Vpc.Tags }, doc: vpcDoc}
	subnets  = resource[ec2api.Subnet]{table: storage.NewTable[ec2api.Subnet]("subnet"), prefix: "subnet", typ: "subnet", noun: "subnet", notFound: errSubnetNotFound, tags: func(v *ec2api.Subnet) *[]ec2api.Tag { return &v.Tags }, doc: subnetDoc}
	ips      = storage.NewTable[ipRecord]("ip")
	defaults = storage.NewTable[defaultsRecord]("defaults")
)

// vpcDoc also answers isDefault, the API's older, still accepted, name of
// is-default.
func vpcDoc(v *vpcRecord) filter.Doc {
	d := filter.New(v.Vpc.Tags).Add("cidr", ptr.Deref(v.Vpc.CidrBlock)).Add("dhcp-options-id", ptr.Deref(v.Vpc.DhcpOptionsId)).
		Add("is-default", boolStr(ptr.Deref(v.Vpc.IsDefault))).
		Add("isDefault", boolStr(ptr.Deref(v.Vpc.IsDefault))).Add("owner-id", ptr.Deref(v.Vpc.OwnerId)).Add("state", ptr.Deref(v.Vpc.State)).
		Add("vpc-id", ptr.Deref(v.Vpc.VpcId)).Add("instance-tenancy", ptr.Deref(v.Vpc.InstanceTenancy)).
		Add("cidr-block-association.cidr-block").Add("cidr-block-association.association-id").Add("cidr-block-association.state").
		Add("ipv6-cidr-block-association.ipv6-cidr-block").Add("ipv6-cidr-block-association.association-id").Add("ipv6-cidr-block-association.state").
		Add("ipv6-cidr-block-association.ipv6-pool")
	for _, a := range v.Vpc.Ipv6CidrBlockAssociationSet {
		d.Add("ipv6-cidr-block-association.ipv6-cidr-block", ptr.Deref(a.Ipv6CidrBlock)).Add("ipv6-cidr-block-association.association-id", ptr.Deref(a.AssociationId)).
			Add("ipv6-cidr-block-association.ipv6-pool", ptr.Deref(a.Ipv6Pool))
		if a.Ipv6CidrBlockState != nil {
			d.Add("ipv6-cidr-block-association.state", ptr.Deref(a.Ipv6CidrBlockState.State))
		}
	}
	for _, a := range v.Vpc.CidrBlockAssociationSet {
		d.Add("cidr-block-association.cidr-block", ptr.Deref(a.CidrBlock)).Add("cidr-block-association.association-id", ptr.Deref(a.AssociationId))
		if a.CidrBlockState != nil {
			d.Add("cidr-block-association.state", ptr.Deref(a.CidrBlockState.State))
		}
	}
	return d
}

func subnetDoc(v *ec2api.Subnet) filter.Doc {
	d := subnetBaseDoc(v).Add("ipv6-cidr-block-association.association-id").Add("ipv6-cidr-block-association.state")
	for _, a := range v.Ipv6CidrBlockAssociationSet {
		d.Add("ipv6-cidr-block-association.ipv6-cidr-block", ptr.Deref(a.Ipv6CidrBlock)).Add("ipv6-cidr-block-association.association-id", ptr.Deref(a.AssociationId))
		if a.Ipv6CidrBlockState != nil {
			d.Add("ipv6-cidr-block-association.state", ptr.Deref(a.Ipv6CidrBlockState.State))
		}
	}
	return d
}

func subnetBaseDoc(v *ec2api.Subnet) filter.Doc {
	return filter.New(v.Tags).Add("availability-zone", ptr.Deref(v.AvailabilityZone)).Add("availabilityZone", ptr.Deref(v.AvailabilityZone)).
		Add("availability-zone-id", ptr.Deref(v.AvailabilityZoneId)).Add("available-ip-address-count", fmt.Sprint(ptr.Deref(v.AvailableIpAddressCount))).
		Add("cidr-block", ptr.Deref(v.CidrBlock)).Add("cidr", ptr.Deref(v.CidrBlock)).Add("cidrBlock", ptr.Deref(v.CidrBlock)).
		Add("default-for-az", boolStr(ptr.Deref(v.DefaultForAz))).Add("defaultForAz", boolStr(ptr.Deref(v.DefaultForAz))).
		Add("map-public-ip-on-launch", boolStr(ptr.Deref(v.MapPublicIpOnLaunch))).Add("owner-id", ptr.Deref(v.OwnerId)).
		Add("state", ptr.Deref(v.State)).Add("subnet-arn", ptr.Deref(v.SubnetArn)).Add("subnet-id", ptr.Deref(v.SubnetId)).Add("vpc-id", ptr.Deref(v.VpcId)).
		Add("ipv6-native", boolStr(ptr.Deref(v.Ipv6Native))).Add("ipv6-cidr-block-association.ipv6-cidr-block").Add("outpost-arn")
}

// parseCIDR reads an IPv4 CIDR block as EC2 requires it: canonical (no
// host bits set).
func parseCIDR(s string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() || p.Masked() != p {
		return netip.Prefix{}, errInvalidParameterValue.New("Value (%s) for parameter cidrBlock is invalid. This is not a valid CIDR block.", s)
	}
	return p, nil
}

func overlaps(a, b netip.Prefix) bool { return a.Overlaps(b) }

func prefixSize(p netip.Prefix) int { return 1 << (32 - p.Bits()) }

func addrAt(p netip.Prefix, i int) netip.Addr {
	b := p.Addr().As4()
	n := binary.BigEndian.Uint32(b[:]) + uint32(i)
	binary.BigEndian.PutUint32(b[:], n)
	return netip.AddrFrom4(b)
}

// ensureDefaults creates, on the first EC2 call in an account and region,
// what AWS gives every account: the default DHCP options set and the
// default VPC with a default subnet per zone, an attached internet
// gateway, a main route table routing 0.0.0.0/0 to it, the default
// security group and network ACL.
func (s *EC2) ensureDefaults(ctx *request.Context) error {
	sc := scope(ctx)
	done := false
	if err := s.store.View(func(tx storage.Tx) error {
		var err error
		_, done, err = defaults.Get(tx, sc, "defaults")
		return err
	}); err != nil {
		return err
	}
	if done {
		return nil
	}
	return s.store.Update(func(tx storage.Tx) error {
		if _, ok, err := defaults.Get(tx, sc, "defaults"); err != nil || ok {
			return err
		}
		dopt, err := s.createDefaultDhcp(tx, ctx)
		if err != nil {
			return err
		}
		rec := defaultsRecord{DhcpID: dopt, Created: true}
		v, err := s.createDefaultVpc(tx, ctx, dopt)
		if err != nil {
			return err
		}
		rec.VpcID = ptr.Deref(v.Vpc.VpcId)
		return defaults.Put(tx, sc, rec, "defaults")
	})
}

// defaultsOf is the scope's default VPC record (zero before
// ensureDefaults, or after the default VPC was deleted).
func (s *EC2) defaultsOf(tx storage.Tx, sc storage.Scope) (defaultsRecord, error) {
	d, _, err := defaults.Get(tx, sc, "defaults")
	return d, err
}

func (s *EC2) createDefaultDhcp(tx storage.Tx, ctx *request.Context) (string, error) {
	id := newID("dopt")
	d := ec2api.DhcpOptions{
		DhcpOptionsId: ptr.To(id), OwnerId: ptr.To(ctx.Account), Tags: []ec2api.Tag{},
		DhcpConfigurations: []ec2api.DhcpConfiguration{
			{Key: ptr.To("domain-name"), Values: []ec2api.AttributeValue{{Value: ptr.To(internalDomain(ctx.Region))}}},
			{Key: ptr.To("domain-name-servers"), Values: []ec2api.AttributeValue{{Value: ptr.To("AmazonProvidedDNS")}}},
		},
	}
	return id, dhcps.put(tx, scope(ctx), id, d)
}

func (s *EC2) createDefaultVpc(tx storage.Tx, ctx *request.Context, dopt string) (vpcRecord, error) {
	sc := scope(ctx)
	cidr := netip.MustParsePrefix("172.31.0.0/16")
	v, err := s.newVpc(tx, ctx, cidr, "default", dopt, true, nil)
	if err != nil {
		return v, err
	}
	igw := newID("igw")
	if err := igws.put(tx, sc, igw, ec2api.InternetGateway{InternetGatewayId: ptr.To(igw), OwnerId: ptr.To(ctx.Account), Tags: []ec2api.Tag{},
		Attachments: []ec2api.InternetGatewayAttachment{{State: ptr.To("available"), VpcId: v.Vpc.VpcId}}}); err != nil {
		return v, err
	}
	rt, err := routeTables.get(tx, sc, v.MainRouteTable)
	if err != nil {
		return v, err
	}
	rt.Routes = append(rt.Routes, ec2api.Route{DestinationCidrBlock: ptr.To("0.0.0.0/0"), GatewayId: ptr.To(igw), Origin: ptr.To("CreateRoute"), State: ptr.To("active")})
	if err := routeTables.put(tx, sc, v.MainRouteTable, rt); err != nil {
		return v, err
	}
	for i, z := range zones(ctx.Region) {
		sub := netip.PrefixFrom(addrAt(cidr, i*4096), 20)
		if _, err := s.newSubnet(tx, ctx, v, sub, z, true, nil); err != nil {
			return v, err
		}
	}
	return v, nil
}

// newVpc stores a VPC with its main route table, default network ACL and
// default security group, as CreateVpc does.
func (s *EC2) newVpc(tx storage.Tx, ctx *request.Context, cidr netip.Prefix, tenancy, dopt string, isDefault bool, tags []ec2api.Tag) (vpcRecord, error) {
	sc := scope(ctx)
	id := newID("vpc")
	if tags == nil {
		tags = []ec2api.Tag{}
	}
	v := vpcRecord{
		Vpc: ec2api.Vpc{
			VpcId: ptr.To(id), CidrBlock: ptr.To(cidr.String()), DhcpOptionsId: ptr.To(dopt), State: ptr.To("available"),
			OwnerId: ptr.To(ctx.Account), InstanceTenancy: ptr.To(tenancy), IsDefault: ptr.To(isDefault), Tags: tags,
			CidrBlockAssociationSet: []ec2api.VpcCidrBlockAssociation{{AssociationId: ptr.To(newID("vpc-cidr-assoc")), CidrBlock: ptr.To(cidr.String()),
				CidrBlockState: &ec2api.VpcCidrBlockState{State: ptr.To("associated")}}},
			Ipv6CidrBlockAssociationSet: []ec2api.VpcIpv6CidrBlockAssociation{},
		},
		DNSHostnames: isDefault, DNSSupport: true,
	}
	rt := newID("rtb")
	if err := routeTables.put(tx, sc, rt, ec2api.RouteTable{
		RouteTableId: ptr.To(rt), VpcId: ptr.To(id), OwnerId: ptr.To(ctx.Account), Tags: []ec2api.Tag{}, PropagatingVgws: []ec2api.PropagatingVgw{},
		Routes:       []ec2api.Route{{DestinationCidrBlock: ptr.To(cidr.String()), GatewayId: ptr.To("local"), Origin: ptr.To("CreateRouteTable"), State: ptr.To("active")}},
		Associations: []ec2api.RouteTableAssociation{{Main: ptr.To(true), RouteTableAssociationId: ptr.To(newID("rtbassoc")), RouteTableId: ptr.To(rt), AssociationState: &ec2api.RouteTableAssociationState{State: ptr.To("associated")}}},
	}); err != nil {
		return v, err
	}
	v.MainRouteTable = rt
	acl := newID("acl")
	if err := acls.put(tx, sc, acl, defaultACL(acl, id, ctx.Account, true)); err != nil {
		return v, err
	}
	v.DefaultACL = acl
	sg := newID("sg")
	if err := sgs.put(tx, sc, sg, ec2api.SecurityGroup{
		GroupId: ptr.To(sg), GroupName: ptr.To("default"), Description: ptr.To("default VPC security group"), OwnerId: ptr.To(ctx.Account), VpcId: ptr.To(id), Tags: []ec2api.Tag{},
		IpPermissions:       []ec2api.IpPermission{{IpProtocol: ptr.To("-1"), IpRanges: []ec2api.IpRange{}, Ipv6Ranges: []ec2api.Ipv6Range{}, PrefixListIds: []ec2api.PrefixListId{}, UserIdGroupPairs: []ec2api.UserIdGroupPair{{GroupId: ptr.To(sg), UserId: ptr.To(ctx.Account)}}}},
		IpPermissionsEgress: []ec2api.IpPermission{allowAllEgress()},
	}); err != nil {
		return v, err
	}
	v.DefaultSG = sg
	return v, vpcs.put(tx, sc, id, v)
}

func allowAllEgress() ec2api.IpPermission {
	return ec2api.IpPermission{IpProtocol: ptr.To("-1"), IpRanges: []ec2api.IpRange{{CidrIp: ptr.To("0.0.0.0/0")}}, Ipv6Ranges: []ec2api.Ipv6Range{}, PrefixListIds: []ec2api.PrefixListId{}, UserIdGroupPairs: []ec2api.UserIdGroupPair{}}
}

func defaultACL(id, vpc, account string, isDefault bool) ec2api.NetworkAcl {
	entry := func(n int32, egress bool, action string) ec2api.NetworkAclEntry {
		return ec2api.NetworkAclEntry{RuleNumber: ptr.To(n), Egress: ptr.To(egress), Protocol: ptr.To("-1"), RuleAction: ptr.To(action), CidrBlock: ptr.To("0.0.0.0/0")}
	}
	acl := ec2api.NetworkAcl{NetworkAclId: ptr.To(id), VpcId: ptr.To(vpc), OwnerId: ptr.To(account), IsDefault: ptr.To(isDefault), Tags: []ec2api.Tag{}, Associations: []ec2api.NetworkAclAssociation{}}
	if isDefault {
		acl.Entries = []ec2api.NetworkAclEntry{entry(100, true, "allow"), entry(32767, true, "deny"), entry(100, false, "allow"), entry(32767, false, "deny")}
	} else {
		acl.Entries = []ec2api.NetworkAclEntry{entry(32767, true, "deny"), entry(32767, false, "deny")}
	}
	return acl
}

func (s *EC2) newSubnet(tx storage.Tx, ctx *request.Context, v vpcRecord, cidr netip.Prefix, z zone, isDefault bool, tags []ec2api.Tag) (ec2api.Subnet, error) {
	sc := scope(ctx)
	id := newID("subnet")
	if tags == nil {
		tags = []ec2api.Tag{}
	}
	sub := ec2api.Subnet{
		SubnetId: ptr.To(id), VpcId: v.Vpc.VpcId, CidrBlock: ptr.To(cidr.String()), AvailabilityZone: ptr.To(z.Name), AvailabilityZoneId: ptr.To(z.ID),
		AvailableIpAddressCount: ptr.To(int32(prefixSize(cidr) - 5)), DefaultForAz: ptr.To(isDefault), MapPublicIpOnLaunch: ptr.To(isDefault),
		MapCustomerOwnedIpOnLaunch: ptr.To(false), State: ptr.To("available"), OwnerId: ptr.To(ctx.Account), AssignIpv6AddressOnCreation: ptr.To(false),
		Ipv6CidrBlockAssociationSet: []ec2api.SubnetIpv6CidrBlockAssociation{}, Tags: tags, EnableDns64: ptr.To(false), Ipv6Native: ptr.To(false),
		SubnetArn:                     ptr.To(fmt.Sprintf("arn:aws:ec2:%s:%s:subnet/%s", ctx.Region, ctx.Account, id)),
		PrivateDnsNameOptionsOnLaunch: &ec2api.PrivateDnsNameOptionsOnLaunch{HostnameType: ptr.To("ip-name"), EnableResourceNameDnsARecord: ptr.To(false), EnableResourceNameDnsAAAARecord: ptr.To(false)},
	}
	if err := subnets.put(tx, sc, id, sub); err != nil {
		return sub, err
	}
	// New subnets use the VPC's default network ACL.
	acl, err := acls.get(tx, sc, v.DefaultACL)
	if err != nil {
		return sub, err
	}
	acl.Associations = append(acl.Associations, ec2api.NetworkAclAssociation{NetworkAclAssociationId: ptr.To(newID("aclassoc")), NetworkAclId: ptr.To(v.DefaultACL), SubnetId: ptr.To(id)})
	return sub, acls.put(tx, sc, v.DefaultACL, acl)
}

// allocateIP takes a private address in the subnet for owner: want if
// given (it must be free and not one of the five reserved), otherwise the
// lowest free one. The subnet's AvailableIpAddressCount follows.
func allocateIP(tx storage.Tx, sc storage.Scope, subnetID, want, owner string) (string, error) {
	sub, err := subnets.get(tx, sc, subnetID)
	if err != nil {
		return "", err
	}
	cidr := netip.MustParsePrefix(ptr.Deref(sub.CidrBlock))
	size := prefixSize(cidr)
	var ip string
	if want != "" {
		a, err := netip.ParseAddr(want)
		if err != nil || !a.Is4() {
			return "", errInvalidParameterValue.New("Invalid value '%s' for privateIpAddress", want)
		}
		if !cidr.Contains(a) {
			return "", errInvalidParameterValue.New("Address %s does not fall within the subnet's address range", want)
		}
		last := addrAt(cidr, size-1)
		if a.Compare(addrAt(cidr, 4)) < 0 || a == last {
			return "", errInvalidParameterValue.New("Address %s is in subnet's reserved address range", want)
		}
		if _, used := tx.Get(ips.Key(sc, subnetID, want)); used {
			return "", errInvalidIPAddressInUse.New("Address %s is in use.", want)
		}
		ip = want
	} else {
		for i := 4; i < size-1; i++ {
			a := addrAt(cidr, i).String()
			if _, used := tx.Get(ips.Key(sc, subnetID, a)); !used {
				ip = a
				break
			}
		}
		if ip == "" {
			return "", code("InsufficientFreeAddressesInSubnet").New("There are not enough free addresses in subnet '%s' to satisfy the requested number of instances.", subnetID)
		}
	}
	if err := ips.Put(tx, sc, ipRecord{Owner: owner}, subnetID, ip); err != nil {
		return "", err
	}
	sub.AvailableIpAddressCount = ptr.To(ptr.Deref(sub.AvailableIpAddressCount) - 1)
	return ip, subnets.put(tx, sc, subnetID, sub)
}

func releaseIP(tx storage.Tx, sc storage.Scope, subnetID, ip string) error {
	if ip == "" {
		return nil
	}
	if _, used := tx.Get(ips.Key(sc, subnetID, ip)); !used {
		return nil
	}
	if err := ips.Delete(tx, sc, subnetID, ip); err != nil {
		return err
	}
	sub, ok, err := subnets.table.Get(tx, sc, subnetID)
	if err != nil || !ok {
		return err
	}
	sub.AvailableIpAddressCount = ptr.To(ptr.Deref(sub.AvailableIpAddressCount) + 1)
	return subnets.put(tx, sc, subnetID, sub)
}

// CreateVpc creates a VPC with its main route table, default ACL and
// default security group.
func (s *EC2) CreateVpc(ctx *request.Context, in *ec2api.CreateVpcRequest) (*ec2api.CreateVpcResult, error) {
	if err := s.ensureDefaults(ctx); err != nil {
		return nil, err
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if in.CidrBlock == nil {
		return nil, errMissingParameter.New("Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.")
	}
	cidr, err := parseCIDR(*in.CidrBlock)
	if err != nil {
		return nil, err
	}
	if cidr.Bits() < 16 || cidr.Bits() > 28 {
		return nil, errVpcRange.New("The CIDR '%s' is invalid.", *in.CidrBlock)
	}
	tenancy := "default"
	if in.InstanceTenancy != nil {
		tenancy = *in.InstanceTenancy
	}
	var v vpcRecord
	err = s.store.Update(func(tx storage.Tx) error {
		d, err := s.defaultsOf(tx, scope(ctx))
		if err != nil {
			return err
		}
		v, err = s.newVpc(tx, ctx, cidr, tenancy, d.DhcpID, false, tagsFor(in.TagSpecifications, "vpc"))
		if err != nil || !ptr.Deref(in.AmazonProvidedIpv6CidrBlock) {
			return err
		}
		if _, err := addVpcIPv6(tx, scope(ctx), ctx.Region, &v); err != nil {
			return err
		}
		return vpcs.put(tx, scope(ctx), ptr.Deref(v.Vpc.VpcId), v)
	})
	if err != nil {
		return nil, err
	}
	out := v.Vpc
	out.State = ptr.To("pending")
	return &ec2api.CreateVpcResult{Vpc: &out}, nil
}

// DescribeVpcs lists VPCs, the default one included.
func (s *EC2) DescribeVpcs(ctx *request.Context, in *ec2api.DescribeVpcsRequest) (*ec2api.DescribeVpcsResult, error) {
	if err := s.ensureDefaults(ctx); err != nil {
		return nil, err
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	recs, next, err := describe(s, ctx, vpcs, page{ids: in.VpcIds, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken}, nil)
	if err != nil {
		return nil, err
	}
	out := &ec2api.DescribeVpcsResult{Vpcs: []ec2api.Vpc{}, NextToken: next}
	for _, r := range recs {
		out.Vpcs = append(out.Vpcs, r.Vpc)
	}
	return out, nil
}

// DeleteVpc deletes a VPC that has nothing left in it but its defaults.
func (s *EC2) DeleteVpc(ctx *request.Context, in *ec2api.DeleteVpcRequest) (*ec2api.DeleteVpcOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	id := ptr.Deref(in.VpcId)
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		v, err := vpcs.get(tx, sc, id)
		if err != nil {
			return err
		}
		dep := func() error {
			return hasDependencies("vpc", id)
		}
		if n, _ := countWhere(tx, sc, subnets, func(x *ec2api.Subnet) bool { return ptr.Deref(x.VpcId) == id }); n > 0 {
			return dep()
		}
		if n, _ := countWhere(tx, sc, igws, func(x *ec2api.InternetGateway) bool { return attachedTo(x.Attachments, id) }); n > 0 {
			return dep()
		}
		if n, _ := countWhere(tx, sc, routeTables, func(x *ec2api.RouteTable) bool {
			return ptr.Deref(x.VpcId) == id && ptr.Deref(x.RouteTableId) != v.MainRouteTable
		}); n > 0 {
			return dep()
		}
		if n, _ := countWhere(tx, sc, sgs, func(x *ec2api.SecurityGroup) bool {
			return ptr.Deref(x.VpcId) == id && ptr.Deref(x.GroupId) != v.DefaultSG
		}); n > 0 {
			return dep()
		}
		if n, _ := countWhere(tx, sc, vpcEndpoints, func(x *ec2api.VpcEndpoint) bool { return ptr.Deref(x.VpcId) == id && ptr.Deref(x.State) != "deleted" }); n > 0 {
			return dep()
		}
		for _, del := range []func() error{
			func() error { return routeTables.table.Delete(tx, sc, v.MainRouteTable) },
			func() error { return sgs.table.Delete(tx, sc, v.DefaultSG) },
			func() error { return acls.table.Delete(tx, sc, v.DefaultACL) },
			func() error { return vpcs.table.Delete(tx, sc, id) },
		} {
			if err := del(); err != nil {
				return err
			}
		}
		// Custom ACLs of the VPC go with it.
		all, err := acls.all(tx, sc)
		if err != nil {
			return err
		}
		for _, a := range all {
			if ptr.Deref(a.VpcId) == id {
				if err := acls.table.Delete(tx, sc, ptr.Deref(a.NetworkAclId)); err != nil {
					return err
				}
			}
		}
		d, err := s.defaultsOf(tx, sc)
		if err != nil {
			return err
		}
		if d.VpcID == id {
			d.VpcID = ""
			return defaults.Put(tx, sc, d, "defaults")
		}
		return nil
	})
	return answer(&ec2api.DeleteVpcOutput{}, err)
}

func attachedTo(atts []ec2api.InternetGatewayAttachment, vpc string) bool {
	for _, a := range atts {
		if ptr.Deref(a.VpcId) == vpc {
			return true
		}
	}
	return false
}

func countWhere[T any](tx storage.Tx, sc storage.Scope, r resource[T], pred func(*T) bool) (int, error) {
	all, err := r.all(tx, sc)
	n := 0
	for i := range all {
		if pred(&all[i]) {
			n++
		}
	}
	return n, err
}

// CreateDefaultVpc recreates the default VPC after it was deleted.
func (s *EC2) CreateDefaultVpc(ctx *request.Context, in *ec2api.CreateDefaultVpcRequest) (*ec2api.CreateDefaultVpcResult, error) {
	if err := s.ensureDefaults(ctx); err != nil {
		return nil, err
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var v vpcRecord
	err := s.store.Update(func(tx storage.Tx) error {
		d, err := s.defaultsOf(tx, sc)
		if err != nil {
			return err
		}
		if d.VpcID != "" {
			return code("DefaultVpcAlreadyExists").New("A Default VPC already exists for this account in this region.")
		}
		v, err = s.createDefaultVpc(tx, ctx, d.DhcpID)
		if err != nil {
			return err
		}
		d.VpcID = ptr.Deref(v.Vpc.VpcId)
		return defaults.Put(tx, sc, d, "defaults")
	})
	if err != nil {
		return nil, err
	}
	return &ec2api.CreateDefaultVpcResult{Vpc: &v.Vpc}, nil
}

// ModifyVpcAttribute sets enableDnsHostnames or enableDnsSupport, one per
// call as EC2 requires.
func (s *EC2) ModifyVpcAttribute(ctx *request.Context, in *ec2api.ModifyVpcAttributeRequest) (*ec2api.ModifyVpcAttributeOutput, error) {
	n := 0
	for _, a := range []*ec2api.AttributeBooleanValue{in.EnableDnsHostnames, in.EnableDnsSupport, in.EnableNetworkAddressUsageMetrics} {
		if a != nil {
			n++
		}
	}
	if n != 1 {
		return nil, errInvalidParameterCombo.New("Fields for multiple attribute types specified: enableDnsHostnames, enableDnsSupport")
	}
	err := mutate(s, ctx, vpcs, ptr.Deref(in.VpcId), func(_ storage.Tx, _ storage.Scope, v *vpcRecord) error {
		if in.EnableDnsHostnames != nil {
			v.DNSHostnames = ptr.Deref(in.EnableDnsHostnames.Value)
		}
		if in.EnableDnsSupport != nil {
			v.DNSSupport = ptr.Deref(in.EnableDnsSupport.Value)
		}
		return nil
	})
	return answer(&ec2api.ModifyVpcAttributeOutput{}, err)
}

// DescribeVpcAttribute answers one attribute.
func (s *EC2) DescribeVpcAttribute(ctx *request.Context, in *ec2api.DescribeVpcAttributeRequest) (*ec2api.DescribeVpcAttributeResult, error) {
	var v vpcRecord
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		v, err = vpcs.get(tx, scope(ctx), ptr.Deref(in.VpcId))
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &ec2api.DescribeVpcAttributeResult{VpcId: in.VpcId}
	switch ptr.Deref(in.Attribute) {
	case "enableDnsHostnames":
		out.EnableDnsHostnames = &ec2api.AttributeBooleanValue{Value: ptr.To(v.DNSHostnames)}
	case "enableDnsSupport":
		out.EnableDnsSupport = &ec2api.AttributeBooleanValue{Value: ptr.To(v.DNSSupport)}
	case "enableNetworkAddressUsageMetrics":
		out.EnableNetworkAddressUsageMetrics = &ec2api.AttributeBooleanValue{Value: ptr.To(false)}
	default:
		return nil, errInvalidParameterValue.New("Value (%s) for parameter attribute is invalid. Unknown attribute.", ptr.Deref(in.Attribute))
	}
	return out, nil
}

// AssociateVpcCidrBlock adds a secondary IPv4 CIDR.
func (s *EC2) AssociateVpcCidrBlock(ctx *request.Context, in *ec2api.AssociateVpcCidrBlockRequest) (*ec2api.AssociateVpcCidrBlockResult, error) {
	if ptr.Deref(in.AmazonProvidedIpv6CidrBlock) {
		return s.associateVpcIPv6(ctx, in)
	}
	if in.CidrBlock == nil {
		return nil, errMissingParameter.New("Either 'cidrBlock' or 'amazonProvidedIpv6CidrBlock' should be provided.")
	}
	cidr, err := parseCIDR(*in.CidrBlock)
	if err != nil {
		return nil, err
	}
	if cidr.Bits() < 16 || cidr.Bits() > 28 {
		return nil, errVpcRange.New("The CIDR '%s' is invalid.", *in.CidrBlock)
	}
	sc := scope(ctx)
	var assoc ec2api.VpcCidrBlockAssociation
	err = s.store.Update(func(tx storage.Tx) error {
		v, err := vpcs.get(tx, sc, ptr.Deref(in.VpcId))
		if err != nil {
			return err
		}
		for _, a := range v.Vpc.CidrBlockAssociationSet {
			if overlaps(netip.MustParsePrefix(ptr.Deref(a.CidrBlock)), cidr) {
				return errCIDRConflict.New("The CIDR '%s' conflicts with another CIDR block '%s' of this VPC.", cidr, ptr.Deref(a.CidrBlock))
			}
		}
		if len(v.Vpc.CidrBlockAssociationSet) >= 5 {
			return code("CidrLimitExceeded").New("This network '%s' has met its maximum number of allowed CIDRs: 5", ptr.Deref(in.VpcId))
		}
		assoc = ec2api.VpcCidrBlockAssociation{AssociationId: ptr.To(newID("vpc-cidr-assoc")), CidrBlock: ptr.To(cidr.String()), CidrBlockState: &ec2api.VpcCidrBlockState{State: ptr.To("associated")}}
		v.Vpc.CidrBlockAssociationSet = append(v.Vpc.CidrBlockAssociationSet, assoc)
		// Every route table of the VPC gets a local route for it.
		rts, err := routeTables.all(tx, sc)
		if err != nil {
			return err
		}
		for _, rt := range rts {
			if ptr.Deref(rt.VpcId) == ptr.Deref(in.VpcId) {
				rt.Routes = append(rt.Routes, ec2api.Route{DestinationCidrBlock: ptr.To(cidr.String()), GatewayId: ptr.To("local"), Origin: ptr.To("CreateRouteTable"), State: ptr.To("active")})
				if err := routeTables.put(tx, sc, ptr.Deref(rt.RouteTableId), rt); err != nil {
					return err
				}
			}
		}
		return vpcs.put(tx, sc, ptr.Deref(in.VpcId), v)
	})
	if err != nil {
		return nil, err
	}
	assoc.CidrBlockState = &ec2api.VpcCidrBlockState{State: ptr.To("associating")}
	return &ec2api.AssociateVpcCidrBlockResult{VpcId: in.VpcId, CidrBlockAssociation: &assoc}, nil
}

// DisassociateVpcCidrBlock removes a secondary CIDR with no subnets in it.
func (s *EC2) DisassociateVpcCidrBlock(ctx *request.Context, in *ec2api.DisassociateVpcCidrBlockRequest) (*ec2api.DisassociateVpcCidrBlockResult, error) {
	if out, ok, err := s.disassociateVpcIPv6(ctx, ptr.Deref(in.AssociationId)); ok || err != nil {
		return out, err
	}
	sc := scope(ctx)
	id := ptr.Deref(in.AssociationId)
	var out ec2api.DisassociateVpcCidrBlockResult
	err := s.store.Update(func(tx storage.Tx) error {
		all, err := vpcs.all(tx, sc)
		if err != nil {
			return err
		}
		for _, v := range all {
			for i, a := range v.Vpc.CidrBlockAssociationSet {
				if ptr.Deref(a.AssociationId) != id {
					continue
				}
				if i == 0 {
					return errInvalidParameterValue.New("The vpc CIDR block with association ID %s may not be disassociated. It is the primary IPv4 CIDR block of the VPC", id)
				}
				cidr := netip.MustParsePrefix(ptr.Deref(a.CidrBlock))
				if n, _ := countWhere(tx, sc, subnets, func(x *ec2api.Subnet) bool {
					return ptr.Deref(x.VpcId) == ptr.Deref(v.Vpc.VpcId) && overlaps(netip.MustParsePrefix(ptr.Deref(x.CidrBlock)), cidr)
				}); n > 0 {
					return errDependencyViolation.New("The vpc CIDR block %s has dependencies and cannot be disassociated.", cidr)
				}
				v.Vpc.CidrBlockAssociationSet = append(v.Vpc.CidrBlockAssociationSet[:i], v.Vpc.CidrBlockAssociationSet[i+1:]...)
				out = ec2api.DisassociateVpcCidrBlockResult{VpcId: v.Vpc.VpcId, CidrBlockAssociation: &ec2api.VpcCidrBlockAssociation{
					AssociationId: a.AssociationId, CidrBlock: a.CidrBlock, CidrBlockState: &ec2api.VpcCidrBlockState{State: ptr.To("disassociating")}}}
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
						if !(ptr.Deref(r.GatewayId) == "local" && ptr.Deref(r.DestinationCidrBlock) == cidr.String()) {
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
		return errInvalidCIDRAssociation.New("The vpc CIDR block association ID '%s' does not exist", id)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// CreateSubnet checks the CIDR against the VPC's blocks (InvalidSubnet.Range)
// and its other subnets (InvalidSubnet.Conflict).
func (s *EC2) CreateSubnet(ctx *request.Context, in *ec2api.CreateSubnetRequest) (*ec2api.CreateSubnetResult, error) {
	if err := s.ensureDefaults(ctx); err != nil {
		return nil, err
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if in.CidrBlock == nil {
		return nil, errMissingParameter.New("Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.")
	}
	cidr, err := parseCIDR(*in.CidrBlock)
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var out ec2api.Subnet
	err = s.store.Update(func(tx storage.Tx) error {
		v, err := vpcs.get(tx, sc, ptr.Deref(in.VpcId))
		if err != nil {
			return err
		}
		inside := false
		for _, a := range v.Vpc.CidrBlockAssociationSet {
			p := netip.MustParsePrefix(ptr.Deref(a.CidrBlock))
			if p.Bits() <= cidr.Bits() && p.Contains(cidr.Addr()) {
				inside = true
			}
		}
		if !inside || cidr.Bits() < 16 || cidr.Bits() > 28 {
			return errSubnetRange.New("The CIDR '%s' is invalid.", *in.CidrBlock)
		}
		all, err := subnets.all(tx, sc)
		if err != nil {
			return err
		}
		for _, o := range all {
			if ptr.Deref(o.VpcId) == ptr.Deref(in.VpcId) && overlaps(netip.MustParsePrefix(ptr.Deref(o.CidrBlock)), cidr) {
				return errSubnetConflict.New("The CIDR '%s' conflicts with another subnet", *in.CidrBlock)
			}
		}
		z := zones(ctx.Region)[0]
		if n := ptr.Deref(in.AvailabilityZone); n != "" {
			zz, ok := zoneByName(ctx.Region, n)
			if !ok || zz.Name != n {
				return errInvalidParameterValue.New("Value (%s) for parameter availabilityZone is invalid. Subnets can currently only be created in the following availability zones: %s.", n, zoneNames(ctx.Region))
			}
			z = zz
		} else if n := ptr.Deref(in.AvailabilityZoneId); n != "" {
			zz, ok := zoneByName(ctx.Region, n)
			if !ok || zz.ID != n {
				return errInvalidParameterValue.New("Value (%s) for parameter availabilityZoneId is invalid. Subnets can currently only be created in the following availability zones: %s.", n, zoneNames(ctx.Region))
			}
			z = zz
		}
		out, err = s.newSubnet(tx, ctx, v, cidr, z, false, tagsFor(in.TagSpecifications, "subnet"))
		if err != nil || in.Ipv6CidrBlock == nil {
			return err
		}
		if _, err := addSubnetIPv6(tx, sc, &v, &out, *in.Ipv6CidrBlock); err != nil {
			return err
		}
		return subnets.put(tx, sc, ptr.Deref(out.SubnetId), out)
	})
	return answer(&ec2api.CreateSubnetResult{Subnet: &out}, err)
}

func zoneNames(regionName string) string {
	var n []string
	for _, z := range zones(regionName) {
		n = append(n, z.Name)
	}
	return strings.Join(n, ", ")
}

// DescribeSubnets lists subnets.
func (s *EC2) DescribeSubnets(ctx *request.Context, in *ec2api.DescribeSubnetsRequest) (*ec2api.DescribeSubnetsResult, error) {
	if err := s.ensureDefaults(ctx); err != nil {
		return nil, err
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	recs, next, err := describe(s, ctx, subnets, page{ids: in.SubnetIds, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken}, nil)
	return answer(&ec2api.DescribeSubnetsResult{Subnets: orEmpty(recs), NextToken: next}, err)
}

// DeleteSubnet deletes a subnet with no network interfaces left.
func (s *EC2) DeleteSubnet(ctx *request.Context, in *ec2api.DeleteSubnetRequest) (*ec2api.DeleteSubnetOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	id := ptr.Deref(in.SubnetId)
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		if _, err := subnets.get(tx, sc, id); err != nil {
			return err
		}
		inUse := false
		if err := ips.List(tx, sc, []string{id}, storage.ListOptions{Limit: 1}, func([]string, ipRecord) bool { inUse = true; return false }); err != nil {
			return err
		}
		if inUse {
			return hasDependencies("subnet", id)
		}
		if err := disassociateSubnetEverywhere(tx, sc, id); err != nil {
			return err
		}
		return subnets.table.Delete(tx, sc, id)
	})
	return answer(&ec2api.DeleteSubnetOutput{}, err)
}

func disassociateSubnetEverywhere(tx storage.Tx, sc storage.Scope, id string) error {
	rts, err := routeTables.all(tx, sc)
	if err != nil {
		return err
	}
	for _, rt := range rts {
		if kept, changed := without(rt.Associations, func(a ec2api.RouteTableAssociation) bool { return ptr.Deref(a.SubnetId) == id }); changed {
			rt.Associations = kept
			if err := routeTables.put(tx, sc, ptr.Deref(rt.RouteTableId), rt); err != nil {
				return err
			}
		}
	}
	all, err := acls.all(tx, sc)
	if err != nil {
		return err
	}
	for _, a := range all {
		if kept, changed := without(a.Associations, func(as ec2api.NetworkAclAssociation) bool { return ptr.Deref(as.SubnetId) == id }); changed {
			a.Associations = kept
			if err := acls.put(tx, sc, ptr.Deref(a.NetworkAclId), a); err != nil {
				return err
			}
		}
	}
	return nil
}

// without returns list minus the elements drop selects, and whether any
// was dropped.
func without[T any](list []T, drop func(T) bool) ([]T, bool) {
	kept := make([]T, 0, len(list))
	for _, v := range list {
		if !drop(v) {
			kept = append(kept, v)
		}
	}
	return kept, len(kept) != len(list)
}

// ModifySubnetAttribute sets MapPublicIpOnLaunch and friends.
func (s *EC2) ModifySubnetAttribute(ctx *request.Context, in *ec2api.ModifySubnetAttributeRequest) (*ec2api.ModifySubnetAttributeOutput, error) {
	err := mutate(s, ctx, subnets, ptr.Deref(in.SubnetId), func(_ storage.Tx, _ storage.Scope, sub *ec2api.Subnet) error {
		set := func(dst **bool, v *ec2api.AttributeBooleanValue) {
			if v != nil {
				*dst = ptr.To(ptr.Deref(v.Value))
			}
		}
		set(&sub.MapPublicIpOnLaunch, in.MapPublicIpOnLaunch)
		set(&sub.AssignIpv6AddressOnCreation, in.AssignIpv6AddressOnCreation)
		set(&sub.EnableDns64, in.EnableDns64)
		set(&sub.MapCustomerOwnedIpOnLaunch, in.MapCustomerOwnedIpOnLaunch)
		if sub.PrivateDnsNameOptionsOnLaunch == nil {
			sub.PrivateDnsNameOptionsOnLaunch = &ec2api.PrivateDnsNameOptionsOnLaunch{HostnameType: ptr.To("ip-name"), EnableResourceNameDnsARecord: ptr.To(false), EnableResourceNameDnsAAAARecord: ptr.To(false)}
		}
		// The hostname options new instances in the subnet take.
		dns := sub.PrivateDnsNameOptionsOnLaunch
		if t := in.PrivateDnsHostnameTypeOnLaunch; t != nil {
			if err := checkHostnameType("PrivateDnsHostnameTypeOnLaunch", *t); err != nil {
				return err
			}
			dns.HostnameType = ptr.To(*t)
		}
		set(&dns.EnableResourceNameDnsARecord, in.EnableResourceNameDnsARecordOnLaunch)
		set(&dns.EnableResourceNameDnsAAAARecord, in.EnableResourceNameDnsAAAARecordOnLaunch)
		return nil
	})
	return answer(&ec2api.ModifySubnetAttributeOutput{}, err)
}
