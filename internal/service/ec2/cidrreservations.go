package ec2

import (
	"net/netip"
	"sort"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/filter"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Subnet CIDR reservations are stored and validated (inside the subnet,
// no overlap); niwa's address allocation does not yet steer around them.
var cidrReservations = storage.NewTable[ec2api.SubnetCidrReservation]("scr")

func scrDoc(r *ec2api.SubnetCidrReservation) filter.Doc {
	return filter.New(r.Tags).Add("reservationType", ptr.Deref(r.ReservationType)).Add("subnet-id", ptr.Deref(r.SubnetId)).Add("owner-id", ptr.Deref(r.OwnerId))
}

// CreateSubnetCidrReservation reserves a range of a subnet (IPv4 or the
// subnet's IPv6 block) for prefix delegation or explicit assignment.
func (s *EC2) CreateSubnetCidrReservation(ctx *request.Context, in *ec2api.CreateSubnetCidrReservationRequest) (*ec2api.CreateSubnetCidrReservationResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	typ := ptr.Deref(in.ReservationType)
	if typ != "prefix" && typ != "explicit" {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter reservationType is invalid. Valid values are prefix, explicit.", typ)
	}
	cidr := ptr.Deref(in.Cidr)
	p, err := netip.ParsePrefix(cidr)
	if err != nil || p.Masked() != p {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter cidr is invalid. This is not a valid CIDR block.", cidr)
	}
	sc := scope(ctx)
	r := ec2api.SubnetCidrReservation{SubnetCidrReservationId: ptr.To(newID("scr")), SubnetId: in.SubnetId, Cidr: ptr.To(p.String()), ReservationType: ptr.To(typ),
		OwnerId: ptr.To(ctx.Account), Description: in.Description, Tags: nonNilTags(tagsFor(in.TagSpecifications, "subnet-cidr-reservation"))}
	err = s.store.Update(func(tx storage.Tx) error {
		sub, err := subnets.get(tx, sc, ptr.Deref(in.SubnetId))
		if err != nil {
			return err
		}
		var blocks []string
		if p.Addr().Is4() {
			blocks = append(blocks, ptr.Deref(sub.CidrBlock))
		}
		for _, a := range sub.Ipv6CidrBlockAssociationSet {
			if p.Addr().Is6() {
				blocks = append(blocks, ptr.Deref(a.Ipv6CidrBlock))
			}
		}
		inside := false
		for _, b := range blocks {
			if bp, err := netip.ParsePrefix(b); err == nil && bp.Contains(p.Addr()) && p.Bits() >= bp.Bits() {
				inside = true
			}
		}
		if !inside {
			return errInvalidParameterValue.New("The CIDR %s is not within the CIDR ranges of subnet %s.", p, ptr.Deref(in.SubnetId))
		}
		var clash error
		if err := cidrReservations.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, o ec2api.SubnetCidrReservation) bool {
			if op, err := netip.ParsePrefix(ptr.Deref(o.Cidr)); err == nil && ptr.Deref(o.SubnetId) == ptr.Deref(in.SubnetId) && op.Overlaps(p) {
				clash = errInvalidParameterValue.New("The CIDR %s overlaps with the existing reservation %s.", p, ptr.Deref(o.SubnetCidrReservationId))
				return false
			}
			return true
		}); err != nil {
			return err
		}
		if clash != nil {
			return clash
		}
		return cidrReservations.Put(tx, sc, r, ptr.Deref(r.SubnetCidrReservationId))
	})
	if err != nil {
		return nil, err
	}
	return &ec2api.CreateSubnetCidrReservationResult{SubnetCidrReservation: &r}, nil
}

// GetSubnetCidrReservations lists a subnet's reservations, IPv4 and IPv6
// apart.
func (s *EC2) GetSubnetCidrReservations(ctx *request.Context, in *ec2api.GetSubnetCidrReservationsRequest) (*ec2api.GetSubnetCidrReservationsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if err := filter.Validate(in.Filters, scrDoc(&ec2api.SubnetCidrReservation{})); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var list []ec2api.SubnetCidrReservation
	err := s.store.View(func(tx storage.Tx) error {
		if _, err := subnets.get(tx, sc, ptr.Deref(in.SubnetId)); err != nil {
			return err
		}
		return cidrReservations.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, r ec2api.SubnetCidrReservation) bool {
			if ptr.Deref(r.SubnetId) == ptr.Deref(in.SubnetId) && filter.Match(in.Filters, scrDoc(&r)) {
				list = append(list, r)
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(list, func(i, j int) bool {
		return ptr.Deref(list[i].SubnetCidrReservationId) < ptr.Deref(list[j].SubnetCidrReservationId)
	})
	items, next, err := pageOf(list, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &ec2api.GetSubnetCidrReservationsResult{SubnetIpv4CidrReservations: []ec2api.SubnetCidrReservation{}, SubnetIpv6CidrReservations: []ec2api.SubnetCidrReservation{}, NextToken: next}
	for _, r := range items {
		if p, err := netip.ParsePrefix(ptr.Deref(r.Cidr)); err == nil && p.Addr().Is6() {
			out.SubnetIpv6CidrReservations = append(out.SubnetIpv6CidrReservations, r)
		} else {
			out.SubnetIpv4CidrReservations = append(out.SubnetIpv4CidrReservations, r)
		}
	}
	return out, nil
}

// DeleteSubnetCidrReservation deletes a reservation.
func (s *EC2) DeleteSubnetCidrReservation(ctx *request.Context, in *ec2api.DeleteSubnetCidrReservationRequest) (*ec2api.DeleteSubnetCidrReservationResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	id := ptr.Deref(in.SubnetCidrReservationId)
	sc := scope(ctx)
	var r ec2api.SubnetCidrReservation
	err := s.store.Update(func(tx storage.Tx) error {
		var ok bool
		var err error
		if r, ok, err = cidrReservations.Get(tx, sc, id); err != nil {
			return err
		} else if !ok {
			return code("InvalidSubnetCidrReservationID.NotFound").New("The subnet CIDR reservation ID '%s' does not exist", id)
		}
		return cidrReservations.Delete(tx, sc, id)
	})
	if err != nil {
		return nil, err
	}
	return &ec2api.DeleteSubnetCidrReservationResult{DeletedSubnetCidrReservation: &r}, nil
}
