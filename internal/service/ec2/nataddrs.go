package ec2

import (
	"slices"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// A NAT gateway's secondary addresses. niwa's NAT gateways translate the
// egress of processes it runs with their primary address (internal/netpos
// asks NATGatewayInfo); the secondary ones are kept, shown and released as
// EC2 does, and hold their subnet addresses and Elastic IPs.

// AWS's default quotas: 8 private IPv4 addresses per NAT gateway (the
// primary included) and 2 Elastic IPs per public NAT gateway.
const (
	maxNatPrivateIPs = 8
	maxNatEIPs       = 2
)

// natFor reads a NAT gateway that is not deleted, and its interface.
func natFor(tx storage.Tx, sc storage.Scope, id string) (ec2api.NatGateway, ec2api.NetworkInterface, error) {
	n, ok, err := nats.table.Get(tx, sc, id)
	if err != nil {
		return n, ec2api.NetworkInterface{}, err
	}
	if !ok || n.DeleteTime != nil || len(n.NatGatewayAddresses) == 0 {
		return n, ec2api.NetworkInterface{}, errNatNotFound.New("The Nat Gateway %s was not found", id)
	}
	eni, err := enis.get(tx, sc, ptr.Deref(n.NatGatewayAddresses[0].NetworkInterfaceId))
	return n, eni, err
}

func saveNat(tx storage.Tx, sc storage.Scope, n ec2api.NatGateway, eni ec2api.NetworkInterface) error {
	if err := enis.put(tx, sc, ptr.Deref(eni.NetworkInterfaceId), eni); err != nil {
		return err
	}
	return nats.put(tx, sc, ptr.Deref(n.NatGatewayId), n)
}

// addNatPrivateIPs gives the gateway's interface more private addresses
// (explicit ones or count of the lowest free ones), as secondary
// addresses of the gateway with status "succeeded"; it answers them as
// they were being assigned.
func addNatPrivateIPs(tx storage.Tx, sc storage.Scope, region string, n *ec2api.NatGateway, eni *ec2api.NetworkInterface, explicit []string, count int) ([]ec2api.NatGatewayAddress, error) {
	if len(n.NatGatewayAddresses)+len(explicit)+count > maxNatPrivateIPs {
		return nil, code("PrivateIpAddressLimitExceeded").New("NAT gateway %s can have at most %d private IPv4 addresses.", ptr.Deref(n.NatGatewayId), maxNatPrivateIPs)
	}
	ips, err := addPrivateIPs(tx, sc, region, eni, explicit, count, false)
	if err != nil {
		return nil, err
	}
	var added []ec2api.NatGatewayAddress
	for _, ip := range ips {
		a := ec2api.NatGatewayAddress{NetworkInterfaceId: eni.NetworkInterfaceId, PrivateIp: ptr.To(ip), IsPrimary: ptr.To(false), Status: ptr.To("succeeded")}
		n.NatGatewayAddresses = append(n.NatGatewayAddresses, a)
		a.Status = ptr.To("assigning")
		added = append(added, a)
	}
	return added, nil
}

// associateNatEIPs associates Elastic IPs with a public NAT gateway, each
// with a new secondary private address (privateIPs if given, one per
// allocation).
func associateNatEIPs(tx storage.Tx, sc storage.Scope, region, account string, n *ec2api.NatGateway, eni *ec2api.NetworkInterface, allocs, privateIPs []string) ([]ec2api.NatGatewayAddress, error) {
	if ptr.Deref(n.ConnectivityType) != "public" {
		return nil, errInvalidParameterValue.New("Elastic IP addresses can only be associated with a public NAT gateway.")
	}
	if len(privateIPs) > 0 && len(privateIPs) != len(allocs) {
		return nil, errInvalidParameterValue.New("The number of private IP addresses must match the number of allocation IDs.")
	}
	eips := 0
	for _, a := range n.NatGatewayAddresses {
		if a.AllocationId != nil {
			eips++
		}
	}
	if eips+len(allocs) > maxNatEIPs {
		return nil, errAddressLimitExceeded.New("NAT gateway %s can have at most %d Elastic IP addresses.", ptr.Deref(n.NatGatewayId), maxNatEIPs)
	}
	var added []ec2api.NatGatewayAddress
	for i, alloc := range allocs {
		a, err := addresses.get(tx, sc, alloc)
		if err != nil {
			return nil, err
		}
		if a.AssociationId != nil {
			return nil, errAlreadyAssociated.New("Elastic IP address [%s] is already associated", alloc)
		}
		var want []string
		count := 1
		if len(privateIPs) > 0 {
			want, count = privateIPs[i:i+1], 0
		}
		ips, err := addNatPrivateIPs(tx, sc, region, n, eni, want, count)
		if err != nil {
			return nil, err
		}
		assoc := newID("eipassoc")
		a.AssociationId, a.NetworkInterfaceId, a.PrivateIpAddress, a.NetworkInterfaceOwnerId = ptr.To(assoc), eni.NetworkInterfaceId, ips[0].PrivateIp, ptr.To(account)
		if err := addresses.put(tx, sc, alloc, a); err != nil {
			return nil, err
		}
		last := &n.NatGatewayAddresses[len(n.NatGatewayAddresses)-1]
		last.AllocationId, last.PublicIp, last.AssociationId = ptr.To(alloc), a.PublicIp, ptr.To(assoc)
		if j := privateIPIndex(eni, ptr.Deref(last.PrivateIp)); j >= 0 {
			eni.PrivateIpAddresses[j].Association = &ec2api.NetworkInterfaceAssociation{AllocationId: ptr.To(alloc), AssociationId: ptr.To(assoc),
				IpOwnerId: ptr.To(account), PublicIp: a.PublicIp, PublicDnsName: ptr.To(publicDNS(region, ptr.Deref(a.PublicIp)))}
		}
		out := *last
		out.Status = ptr.To("associating")
		added = append(added, out)
	}
	return added, nil
}

// AssignPrivateNatGatewayAddress adds secondary private addresses to a NAT
// gateway.
func (s *EC2) AssignPrivateNatGatewayAddress(ctx *request.Context, in *ec2api.AssignPrivateNatGatewayAddressRequest) (*ec2api.AssignPrivateNatGatewayAddressResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if (in.PrivateIpAddressCount == nil) == (len(in.PrivateIpAddresses) == 0) {
		return nil, errInvalidParameterCombo.New("Specify either PrivateIpAddresses or PrivateIpAddressCount, but not both.")
	}
	sc := scope(ctx)
	var added []ec2api.NatGatewayAddress
	err := s.store.Update(func(tx storage.Tx) error {
		n, eni, err := natFor(tx, sc, ptr.Deref(in.NatGatewayId))
		if err != nil {
			return err
		}
		if added, err = addNatPrivateIPs(tx, sc, ctx.Region, &n, &eni, in.PrivateIpAddresses, int(ptr.Deref(in.PrivateIpAddressCount))); err != nil {
			return err
		}
		return saveNat(tx, sc, n, eni)
	})
	return answer(&ec2api.AssignPrivateNatGatewayAddressResult{NatGatewayId: in.NatGatewayId, NatGatewayAddresses: added}, err)
}

// AssociateNatGatewayAddress associates Elastic IPs with a public NAT
// gateway.
func (s *EC2) AssociateNatGatewayAddress(ctx *request.Context, in *ec2api.AssociateNatGatewayAddressRequest) (*ec2api.AssociateNatGatewayAddressResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var added []ec2api.NatGatewayAddress
	err := s.store.Update(func(tx storage.Tx) error {
		n, eni, err := natFor(tx, sc, ptr.Deref(in.NatGatewayId))
		if err != nil {
			return err
		}
		if added, err = associateNatEIPs(tx, sc, ctx.Region, ctx.Account, &n, &eni, in.AllocationIds, in.PrivateIpAddresses); err != nil {
			return err
		}
		return saveNat(tx, sc, n, eni)
	})
	return answer(&ec2api.AssociateNatGatewayAddressResult{NatGatewayId: in.NatGatewayId, NatGatewayAddresses: added}, err)
}

// editNat changes a NAT gateway's addresses one key at a time (an
// association id, a private address), in one transaction, and answers the
// addresses as edit shows them.
func (s *EC2) editNat(ctx *request.Context, id string, keys []string, edit func(tx storage.Tx, sc storage.Scope, n *ec2api.NatGateway, eni *ec2api.NetworkInterface, key string) (ec2api.NatGatewayAddress, error)) ([]ec2api.NatGatewayAddress, error) {
	sc := scope(ctx)
	var out []ec2api.NatGatewayAddress
	err := s.store.Update(func(tx storage.Tx) error {
		n, eni, err := natFor(tx, sc, id)
		if err != nil {
			return err
		}
		for _, k := range keys {
			a, err := edit(tx, sc, &n, &eni, k)
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		return saveNat(tx, sc, n, eni)
	})
	return out, err
}

// privateIPIndex is the position of ip among an interface's addresses.
func privateIPIndex(e *ec2api.NetworkInterface, ip string) int {
	return slices.IndexFunc(e.PrivateIpAddresses, func(a ec2api.NetworkInterfacePrivateIpAddress) bool { return ptr.Deref(a.PrivateIpAddress) == ip })
}

// DisassociateNatGatewayAddress disassociates secondary Elastic IPs; their
// private addresses stay assigned to the gateway. No connections drain:
// niwa forwards none through secondary addresses.
func (s *EC2) DisassociateNatGatewayAddress(ctx *request.Context, in *ec2api.DisassociateNatGatewayAddressRequest) (*ec2api.DisassociateNatGatewayAddressResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	out, err := s.editNat(ctx, ptr.Deref(in.NatGatewayId), in.AssociationIds, func(tx storage.Tx, sc storage.Scope, n *ec2api.NatGateway, eni *ec2api.NetworkInterface, assoc string) (ec2api.NatGatewayAddress, error) {
		i := slices.IndexFunc(n.NatGatewayAddresses, func(a ec2api.NatGatewayAddress) bool { return ptr.Deref(a.AssociationId) == assoc })
		if i < 0 {
			return ec2api.NatGatewayAddress{}, errAssociationNotFound.New("The association ID '%s' does not exist", assoc)
		}
		a := &n.NatGatewayAddresses[i]
		if ptr.Deref(a.IsPrimary) {
			return *a, errInvalidParameterValue.New("The primary Elastic IP address of NAT gateway %s cannot be disassociated.", ptr.Deref(n.NatGatewayId))
		}
		if e, ok, err := addresses.table.Get(tx, sc, ptr.Deref(a.AllocationId)); err != nil {
			return *a, err
		} else if ok {
			e.AssociationId, e.NetworkInterfaceId, e.PrivateIpAddress, e.NetworkInterfaceOwnerId = nil, nil, nil, nil
			if err := addresses.put(tx, sc, ptr.Deref(a.AllocationId), e); err != nil {
				return *a, err
			}
		}
		if j := privateIPIndex(eni, ptr.Deref(a.PrivateIp)); j >= 0 {
			eni.PrivateIpAddresses[j].Association = nil
		}
		shown := *a
		shown.Status = ptr.To("disassociating")
		a.AllocationId, a.PublicIp, a.AssociationId = nil, nil, nil
		return shown, nil
	})
	return answer(&ec2api.DisassociateNatGatewayAddressResult{NatGatewayId: in.NatGatewayId, NatGatewayAddresses: out}, err)
}

// UnassignPrivateNatGatewayAddress releases secondary private addresses
// of a NAT gateway; one still carrying an Elastic IP must be disassociated
// first.
func (s *EC2) UnassignPrivateNatGatewayAddress(ctx *request.Context, in *ec2api.UnassignPrivateNatGatewayAddressRequest) (*ec2api.UnassignPrivateNatGatewayAddressResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	out, err := s.editNat(ctx, ptr.Deref(in.NatGatewayId), in.PrivateIpAddresses, func(tx storage.Tx, sc storage.Scope, n *ec2api.NatGateway, eni *ec2api.NetworkInterface, ip string) (ec2api.NatGatewayAddress, error) {
		i := slices.IndexFunc(n.NatGatewayAddresses, func(a ec2api.NatGatewayAddress) bool { return ptr.Deref(a.PrivateIp) == ip })
		if i < 0 {
			return ec2api.NatGatewayAddress{}, errInvalidParameterValue.New("The private IP address %s is not assigned to NAT gateway %s.", ip, ptr.Deref(n.NatGatewayId))
		}
		a := n.NatGatewayAddresses[i]
		if ptr.Deref(a.IsPrimary) {
			return a, errInvalidParameterValue.New("The primary private IP address %s of NAT gateway %s cannot be unassigned.", ip, ptr.Deref(n.NatGatewayId))
		}
		if a.AssociationId != nil {
			return a, errInvalidParameterValue.New("The private IP address %s is associated with Elastic IP address %s; disassociate it first.", ip, ptr.Deref(a.PublicIp))
		}
		n.NatGatewayAddresses = slices.Delete(n.NatGatewayAddresses, i, i+1)
		if j := privateIPIndex(eni, ip); j >= 0 {
			eni.PrivateIpAddresses = slices.Delete(eni.PrivateIpAddresses, j, j+1)
		}
		a.Status = ptr.To("unassigning")
		return a, releaseIP(tx, sc, ptr.Deref(n.SubnetId), ip)
	})
	return answer(&ec2api.UnassignPrivateNatGatewayAddressResult{NatGatewayId: in.NatGatewayId, NatGatewayAddresses: out}, err)
}

// createNatSecondaries gives a new NAT gateway the secondary addresses
// CreateNatGateway asks for: Elastic IPs (public gateways) and private
// addresses, explicit or counted.
func createNatSecondaries(tx storage.Tx, sc storage.Scope, ctx *request.Context, n *ec2api.NatGateway, eni *ec2api.NetworkInterface, in *ec2api.CreateNatGatewayRequest) error {
	if len(in.SecondaryPrivateIpAddresses) > 0 && in.SecondaryPrivateIpAddressCount != nil {
		return errInvalidParameterCombo.New("Specify either SecondaryPrivateIpAddresses or SecondaryPrivateIpAddressCount, but not both.")
	}
	if len(in.SecondaryAllocationIds) > 0 {
		if _, err := associateNatEIPs(tx, sc, ctx.Region, ctx.Account, n, eni, in.SecondaryAllocationIds, nil); err != nil {
			return err
		}
	}
	if len(in.SecondaryPrivateIpAddresses) > 0 || ptr.Deref(in.SecondaryPrivateIpAddressCount) > 0 {
		if _, err := addNatPrivateIPs(tx, sc, ctx.Region, n, eni, in.SecondaryPrivateIpAddresses, int(ptr.Deref(in.SecondaryPrivateIpAddressCount))); err != nil {
			return err
		}
	}
	return nil
}
