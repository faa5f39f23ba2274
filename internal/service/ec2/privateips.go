package ec2

import (
	"net/netip"
	"slices"
	"strings"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// networkLimits are an instance type's network interface limits as
// DescribeInstanceTypes reports them (NetworkInfo): how many interfaces
// it takes and how many private IPv4 addresses each interface holds.
type networkLimits struct {
	interfaces int32
	ipv4       int32
}

// maxIPv4PerInterface is the largest per-interface IPv4 limit of any
// instance type (50, the 24xlarge and metal sizes). An interface that is
// attached to no instance, or to one whose type is outside niwa's
// catalog, is held to it.
const maxIPv4PerInterface = 50

// limitsOf returns the network limits AWS documents for a type of the
// catalog ("Maximum IP addresses per network interface"); ok is false
// for types outside it.
func limitsOf(name string) (networkLimits, bool) {
	family, size, found := strings.Cut(name, ".")
	if !found || !instanceTypeKnown(name) {
		return networkLimits{}, false
	}
	burst := strings.HasPrefix(family, "t")
	switch size {
	case "nano", "micro":
		return networkLimits{2, 2}, true
	case "small":
		return networkLimits{3, 4}, true
	case "medium":
		if burst {
			return networkLimits{3, 6}, true
		}
		return networkLimits{2, 4}, true
	case "large":
		if burst {
			return networkLimits{3, 12}, true
		}
		return networkLimits{3, 10}, true
	case "xlarge", "2xlarge":
		if family == "t2" {
			return networkLimits{3, 15}, true
		}
		return networkLimits{4, 15}, true
	case "4xlarge":
		return networkLimits{8, 30}, true
	}
	return networkLimits{}, false
}

// privateIPLimit is how many private IPv4 addresses (the primary one
// included) the interface may hold: its instance type's limit when it is
// attached to an instance, the largest limit otherwise.
func privateIPLimit(tx storage.Tx, sc storage.Scope, e ec2api.NetworkInterface) (int, error) {
	if e.Attachment == nil || ptr.Deref(e.InterfaceType) != "interface" {
		return maxIPv4PerInterface, nil
	}
	inst, ok, err := instances.table.Get(tx, sc, ptr.Deref(e.Attachment.InstanceId))
	if err != nil || !ok {
		return maxIPv4PerInterface, err
	}
	if l, ok := limitsOf(inst.InstanceType); ok {
		return int(l.ipv4), nil
	}
	return maxIPv4PerInterface, nil
}

func errPrivateIPLimit() error {
	return code("PrivateIpAddressLimitExceeded").New("Number of private addresses will exceed limit.")
}

// addPrivateIPs gives an interface secondary private IPv4 addresses from
// its subnet: the explicit ones (which must be free, unless reassign lets
// them move from another interface of the subnet) and count more of the
// lowest free ones. It answers the addresses it added.
func addPrivateIPs(tx storage.Tx, sc storage.Scope, region string, e *ec2api.NetworkInterface, explicit []string, count int, reassign bool) ([]string, error) {
	if count < 0 {
		return nil, errInvalidParameterValue.New("Value (%d) for parameter secondaryPrivateIpAddressCount is invalid. Expected a positive integer.", count)
	}
	limit, err := privateIPLimit(tx, sc, *e)
	if err != nil {
		return nil, err
	}
	if len(e.PrivateIpAddresses)+len(explicit)+count > limit {
		return nil, errPrivateIPLimit()
	}
	subnet := ptr.Deref(e.SubnetId)
	id := ptr.Deref(e.NetworkInterfaceId)
	seen := map[string]bool{}
	for _, a := range e.PrivateIpAddresses {
		seen[ptr.Deref(a.PrivateIpAddress)] = true
	}
	var added []string
	for _, want := range explicit {
		if a, err := netip.ParseAddr(want); err != nil || !a.Is4() {
			return nil, errInvalidParameterValue.New("Invalid value '%s' for privateIpAddress", want)
		}
		if seen[want] {
			return nil, errInvalidParameterValue.New("The secondary private IP address %s is already assigned to interface %s", want, id)
		}
		if reassign {
			if err := takeFromOwner(tx, sc, subnet, want, id); err != nil {
				return nil, err
			}
		}
		ip, err := allocateIP(tx, sc, subnet, want, id)
		if err != nil {
			return nil, err
		}
		seen[ip] = true
		added = append(added, ip)
	}
	for i := 0; i < count; i++ {
		ip, err := allocateIP(tx, sc, subnet, "", id)
		if err != nil {
			return nil, err
		}
		added = append(added, ip)
	}
	for _, ip := range added {
		e.PrivateIpAddresses = append(e.PrivateIpAddresses, ec2api.NetworkInterfacePrivateIpAddress{
			Primary: ptr.To(false), PrivateIpAddress: ptr.To(ip), PrivateDnsName: ptr.To(privateDNS(region, ip))})
	}
	return added, nil
}

// takeFromOwner frees an address another interface of the subnet holds
// as a secondary address, for AllowReassignment. A primary address never
// moves: AWS refuses it as in use.
func takeFromOwner(tx storage.Tx, sc storage.Scope, subnet, ip, to string) error {
	rec, used, err := ips.Get(tx, sc, subnet, ip)
	if err != nil || !used || rec.Owner == to {
		return err
	}
	other, ok, err := enis.table.Get(tx, sc, rec.Owner)
	if err != nil || !ok {
		return err
	}
	i := privateIPIndex(&other, ip)
	if i < 0 {
		return nil
	}
	if ptr.Deref(other.PrivateIpAddresses[i].Primary) {
		return errInvalidIPAddressInUse.New("Address %s is in use.", ip)
	}
	other.PrivateIpAddresses = slices.Delete(other.PrivateIpAddresses, i, i+1)
	if err := releaseIP(tx, sc, subnet, ip); err != nil {
		return err
	}
	return enis.put(tx, sc, rec.Owner, other)
}

// releaseENIIPs frees every private IPv4 address of an interface that is
// going away, secondary ones included.
func releaseENIIPs(tx storage.Tx, sc storage.Scope, e ec2api.NetworkInterface) error {
	done := false
	for _, a := range e.PrivateIpAddresses {
		ip := ptr.Deref(a.PrivateIpAddress)
		done = done || ip == ptr.Deref(e.PrivateIpAddress)
		if err := releaseIP(tx, sc, ptr.Deref(e.SubnetId), ip); err != nil {
			return err
		}
	}
	if done {
		return nil
	}
	return releaseIP(tx, sc, ptr.Deref(e.SubnetId), ptr.Deref(e.PrivateIpAddress))
}

// AssignPrivateIpAddresses adds secondary private IPv4 addresses to an
// interface, by count or by address.
func (s *EC2) AssignPrivateIpAddresses(ctx *request.Context, in *ec2api.AssignPrivateIpAddressesRequest) (*ec2api.AssignPrivateIpAddressesResult, error) {
	if in.Ipv4PrefixCount != nil || len(in.Ipv4Prefixes) > 0 {
		if in.SecondaryPrivateIpAddressCount != nil || len(in.PrivateIpAddresses) > 0 {
			return nil, errInvalidParameterCombo.New("You may specify only one of the following parameters: PrivateIpAddresses, SecondaryPrivateIpAddressCount, Ipv4Prefixes, Ipv4PrefixCount.")
		}
		return nil, errInvalidParameterValue.New("IPv4 prefix delegation is not supported by niwa.")
	}
	if in.SecondaryPrivateIpAddressCount == nil && len(in.PrivateIpAddresses) == 0 {
		return nil, errMissingParameter.New("The request must contain the parameter secondaryPrivateIpAddressCount or privateIpAddress")
	}
	if in.SecondaryPrivateIpAddressCount != nil && len(in.PrivateIpAddresses) > 0 {
		return nil, errInvalidParameterCombo.New("You may specify only one of the following parameters: PrivateIpAddresses, SecondaryPrivateIpAddressCount, Ipv4Prefixes, Ipv4PrefixCount.")
	}
	sc := scope(ctx)
	var added []string
	err := s.store.Update(func(tx storage.Tx) error {
		e, err := enis.get(tx, sc, ptr.Deref(in.NetworkInterfaceId))
		if err != nil {
			return err
		}
		if added, err = addPrivateIPs(tx, sc, ctx.Region, &e, in.PrivateIpAddresses, int(ptr.Deref(in.SecondaryPrivateIpAddressCount)), ptr.Deref(in.AllowReassignment)); err != nil {
			return err
		}
		return enis.put(tx, sc, ptr.Deref(e.NetworkInterfaceId), e)
	})
	if err != nil {
		return nil, err
	}
	out := &ec2api.AssignPrivateIpAddressesResult{NetworkInterfaceId: in.NetworkInterfaceId, AssignedPrivateIpAddresses: []ec2api.AssignedPrivateIpAddress{}, AssignedIpv4Prefixes: []ec2api.Ipv4PrefixSpecification{}}
	for _, ip := range added {
		out.AssignedPrivateIpAddresses = append(out.AssignedPrivateIpAddresses, ec2api.AssignedPrivateIpAddress{PrivateIpAddress: ptr.To(ip)})
	}
	return out, nil
}

// UnassignPrivateIpAddresses removes secondary private IPv4 addresses
// from an interface. The primary address cannot be removed; an Elastic IP
// associated with a removed address is disassociated.
func (s *EC2) UnassignPrivateIpAddresses(ctx *request.Context, in *ec2api.UnassignPrivateIpAddressesRequest) (*ec2api.UnassignPrivateIpAddressesOutput, error) {
	if len(in.Ipv4Prefixes) > 0 {
		return nil, errInvalidParameterValue.New("IPv4 prefix delegation is not supported by niwa.")
	}
	if len(in.PrivateIpAddresses) == 0 {
		return nil, errMissingParameter.New("The request must contain the parameter privateIpAddress")
	}
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		id := ptr.Deref(in.NetworkInterfaceId)
		e, err := enis.get(tx, sc, id)
		if err != nil {
			return err
		}
		for _, x := range in.PrivateIpAddresses {
			idx := privateIPIndex(&e, x)
			if idx < 0 {
				return errInvalidParameterValue.New("Some of the specified addresses are not assigned to interface %s", id)
			}
			if ptr.Deref(e.PrivateIpAddresses[idx].Primary) {
				return errInvalidParameterValue.New("The primary private IP address %s of interface %s cannot be unassigned.", x, id)
			}
			// An Elastic IP of the address is disassociated with it.
			if a := e.PrivateIpAddresses[idx].Association; a != nil && a.AllocationId != nil {
				if eip, ok, err := addresses.table.Get(tx, sc, *a.AllocationId); err != nil {
					return err
				} else if ok {
					if err := s.disassociateEIP(tx, sc, &eip); err != nil {
						return err
					}
					if e, err = enis.get(tx, sc, id); err != nil {
						return err
					}
					idx = privateIPIndex(&e, x)
				}
			}
			e.PrivateIpAddresses = slices.Delete(e.PrivateIpAddresses, idx, idx+1)
			if err := releaseIP(tx, sc, ptr.Deref(e.SubnetId), x); err != nil {
				return err
			}
		}
		return enis.put(tx, sc, id, e)
	})
	return answer(&ec2api.UnassignPrivateIpAddressesOutput{}, err)
}

// primaryWanted is the primary address CreateNetworkInterface asks for:
// PrivateIpAddress, or the entry of PrivateIpAddresses marked primary.
func primaryWanted(in *ec2api.CreateNetworkInterfaceRequest) string {
	if in.PrivateIpAddress != nil {
		return *in.PrivateIpAddress
	}
	for _, a := range in.PrivateIpAddresses {
		if ptr.Deref(a.Primary) {
			return ptr.Deref(a.PrivateIpAddress)
		}
	}
	return ""
}

// createSecondaryIPs gives a new interface the secondary addresses
// CreateNetworkInterface asks for (PrivateIpAddresses not marked primary,
// or SecondaryPrivateIpAddressCount).
func createSecondaryIPs(tx storage.Tx, sc storage.Scope, region string, e *ec2api.NetworkInterface, in *ec2api.CreateNetworkInterfaceRequest) error {
	if in.Ipv4PrefixCount != nil || len(in.Ipv4Prefixes) > 0 {
		return errInvalidParameterValue.New("IPv4 prefix delegation is not supported by niwa.")
	}
	var explicit []string
	primaries := 0
	for _, a := range in.PrivateIpAddresses {
		if ptr.Deref(a.Primary) {
			primaries++
			continue
		}
		if ptr.Deref(a.PrivateIpAddress) != ptr.Deref(e.PrivateIpAddress) {
			explicit = append(explicit, ptr.Deref(a.PrivateIpAddress))
		}
	}
	if primaries > 1 {
		return errInvalidParameterValue.New("Only one primary private IP address can be specified.")
	}
	if len(explicit) > 0 && in.SecondaryPrivateIpAddressCount != nil {
		return errInvalidParameterCombo.New("You may specify secondaryPrivateIpAddressCount or specific secondary private IP addresses, but not both.")
	}
	_, err := addPrivateIPs(tx, sc, region, e, explicit, int(ptr.Deref(in.SecondaryPrivateIpAddressCount)), false)
	return err
}

// networkInfo is DescribeInstanceTypes' NetworkInfo of a catalog type:
// the limits AssignPrivateIpAddresses enforces.
func networkInfo(name string) *ec2api.NetworkInfo {
	l, ok := limitsOf(name)
	if !ok {
		return nil
	}
	return &ec2api.NetworkInfo{MaximumNetworkInterfaces: ptr.To(l.interfaces), Ipv4AddressesPerInterface: ptr.To(l.ipv4),
		Ipv6AddressesPerInterface: ptr.To(l.ipv4), Ipv6Supported: ptr.To(true), DefaultNetworkCardIndex: ptr.To(int32(0)),
		NetworkCards: []ec2api.NetworkCardInfo{{NetworkCardIndex: ptr.To(int32(0)), MaximumNetworkInterfaces: ptr.To(l.interfaces)}}}
}
