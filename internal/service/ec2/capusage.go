package ec2

import (
	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Capacity Reservations count the instances that use them. An instance
// launched with the preference "open" (the default) takes an active open
// reservation of its type, zone, platform and tenancy that has room; one
// launched with a target takes that reservation or fails; "none" takes
// none. Pending and running instances count against a reservation
// (stopped and terminated ones do not), so its AvailableInstanceCount and
// usage follow the instances' states.

// capPlatform is the reservation platform of an instance's image.
func capPlatform(r *instanceRecord) string {
	if r.Platform == "windows" {
		return "Windows"
	}
	return "Linux/UNIX"
}

func usesCapacity(r *instanceRecord) bool { return r.State == "pending" || r.State == "running" }

// reservationUsage counts, per reservation, the instances using it.
func reservationUsage(tx storage.Tx, sc storage.Scope) (map[string]int32, error) {
	out := map[string]int32{}
	err := instances.table.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, r instanceRecord) bool {
		if r.CapResID != "" && usesCapacity(&r) {
			out[r.CapResID]++
		}
		return true
	})
	return out, err
}

// available is a reservation's room given its usage.
func available(r ec2api.CapacityReservation, used int32) int32 {
	if ptr.Deref(r.State) != "active" {
		return 0
	}
	return max(ptr.Deref(r.TotalInstanceCount)-used, 0)
}

// capacitySpec is what an instance asks of Capacity Reservations.
type capacitySpec struct {
	pref, target string
}

func readCapacitySpec(s *ec2api.CapacityReservationSpecification) (capacitySpec, error) {
	if s == nil {
		return capacitySpec{}, nil
	}
	c := capacitySpec{pref: ptr.Deref(s.CapacityReservationPreference)}
	if c.pref != "" && c.pref != "open" && c.pref != "none" {
		return c, errInvalidParameterValue.New("Value (%s) for parameter CapacityReservationPreference is invalid. Valid values are open, none.", c.pref)
	}
	if t := s.CapacityReservationTarget; t != nil {
		if t.CapacityReservationResourceGroupArn != nil {
			return c, errInvalidParameterValue.New("Capacity Reservation resource groups need AWS Resource Groups, which niwa does not run; target a Capacity Reservation by id.")
		}
		c.target = ptr.Deref(t.CapacityReservationId)
		if c.pref != "" {
			return c, errInvalidParameterCombo.New("You can specify either CapacityReservationPreference or CapacityReservationTarget, but not both.")
		}
	}
	return c, nil
}

func reservationFits(cr ec2api.CapacityReservation, r *instanceRecord) bool {
	return ptr.Deref(cr.InstanceType) == r.InstanceType && ptr.Deref(cr.AvailabilityZone) == r.AZ &&
		ptr.Deref(cr.InstancePlatform) == capPlatform(r) && ptr.Deref(cr.Tenancy) == orDefault(r.Tenancy, "default")
}

// matchReservation picks the reservation an instance uses (or ""); what
// its stored record uses already is not counted against it.
func matchReservation(tx storage.Tx, sc storage.Scope, r *instanceRecord, spec capacitySpec) (string, error) {
	if spec.pref == "none" {
		return "", nil
	}
	used, err := reservationUsage(tx, sc)
	if err != nil {
		return "", err
	}
	if old, ok, err := instances.table.Get(tx, sc, r.ID); err != nil {
		return "", err
	} else if ok && old.CapResID != "" && usesCapacity(&old) {
		used[old.CapResID]--
	}
	if spec.target != "" {
		cr, err := capacityReservations.get(tx, sc, spec.target)
		if err != nil {
			return "", err
		}
		if ptr.Deref(cr.State) != "active" {
			return "", errInvalidParameterValue.New("Capacity Reservation %s is in state %s and cannot be targeted.", spec.target, ptr.Deref(cr.State))
		}
		if !reservationFits(cr, r) {
			return "", errInvalidParameterValue.New("The instance's attributes (instance type, Availability Zone, platform, tenancy) do not match Capacity Reservation %s.", spec.target)
		}
		if available(cr, used[spec.target]) < 1 {
			return "", code("ReservationCapacityExceeded").New("The requested reservation does not have sufficient compatible and available capacity for this request.")
		}
		return spec.target, nil
	}
	found := ""
	err = capacityReservations.table.List(tx, sc, nil, storage.ListOptions{}, func(k []string, cr ec2api.CapacityReservation) bool {
		if ptr.Deref(cr.InstanceMatchCriteria) == "open" && reservationFits(cr, r) && available(cr, used[k[0]]) > 0 {
			found = k[0]
			return false
		}
		return true
	})
	return found, err
}

// capacityOut is an instance's CapacityReservationSpecification as
// DescribeInstances shows it.
func capacityOut(r *instanceRecord) *ec2api.CapacityReservationSpecificationResponse {
	if r.CapTarget != "" {
		return &ec2api.CapacityReservationSpecificationResponse{CapacityReservationTarget: &ec2api.CapacityReservationTargetResponse{CapacityReservationId: ptr.To(r.CapTarget)}}
	}
	return &ec2api.CapacityReservationSpecificationResponse{CapacityReservationPreference: ptr.To(orDefault(r.CapPref, "open"))}
}

// withUsage sets reservations' AvailableInstanceCount from their usage.
func (s *EC2) withUsage(ctx *request.Context, rs []ec2api.CapacityReservation) error {
	return s.store.View(func(tx storage.Tx) error {
		used, err := reservationUsage(tx, scope(ctx))
		for i := range rs {
			rs[i].AvailableInstanceCount = ptr.To(available(rs[i], used[ptr.Deref(rs[i].CapacityReservationId)]))
		}
		return err
	})
}

// GetCapacityReservationUsage answers how many instances of the account
// use a reservation.
func (s *EC2) GetCapacityReservationUsage(ctx *request.Context, in *ec2api.GetCapacityReservationUsageRequest) (*ec2api.GetCapacityReservationUsageResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var cr ec2api.CapacityReservation
	var used int32
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		if cr, err = capacityReservations.get(tx, sc, ptr.Deref(in.CapacityReservationId)); err != nil {
			return err
		}
		u, err := reservationUsage(tx, sc)
		used = u[ptr.Deref(cr.CapacityReservationId)]
		return err
	})
	if err != nil {
		return nil, err
	}
	var usages []ec2api.InstanceUsage
	if used > 0 {
		usages = append(usages, ec2api.InstanceUsage{AccountId: ptr.To(ctx.Account), UsedInstanceCount: ptr.To(used)})
	}
	items, next, err := pageOf(usages, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &ec2api.GetCapacityReservationUsageResult{CapacityReservationId: cr.CapacityReservationId, InstanceType: cr.InstanceType, TotalInstanceCount: cr.TotalInstanceCount,
		AvailableInstanceCount: ptr.To(available(cr, used)), State: cr.State, InstanceUsages: append([]ec2api.InstanceUsage{}, items...), NextToken: next}, nil
}

// GetGroupsForCapacityReservation lists the resource groups a reservation
// belongs to. Reservations join groups through AWS Resource Groups, which
// niwa does not run, so the list is empty for every reservation that
// exists.
func (s *EC2) GetGroupsForCapacityReservation(ctx *request.Context, in *ec2api.GetGroupsForCapacityReservationRequest) (*ec2api.GetGroupsForCapacityReservationResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	err := s.store.View(func(tx storage.Tx) error {
		_, err := capacityReservations.get(tx, scope(ctx), ptr.Deref(in.CapacityReservationId))
		return err
	})
	return answer(&ec2api.GetGroupsForCapacityReservationResult{CapacityReservationGroups: []ec2api.CapacityReservationGroup{}}, err)
}

// ModifyInstanceCapacityReservationAttributes changes how a stopped
// instance uses Capacity Reservations; it takes the matching reservation
// when it starts.
func (s *EC2) ModifyInstanceCapacityReservationAttributes(ctx *request.Context, in *ec2api.ModifyInstanceCapacityReservationAttributesRequest) (*ec2api.ModifyInstanceCapacityReservationAttributesResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	spec, err := readCapacitySpec(in.CapacityReservationSpecification)
	if err != nil {
		return nil, err
	}
	if spec.pref == "" && spec.target == "" {
		return nil, errMissingParameter.New("The request must contain the parameter CapacityReservationPreference or CapacityReservationTarget")
	}
	sc := scope(ctx)
	err = s.store.Update(func(tx storage.Tx) error {
		r, err := instances.get(tx, sc, ptr.Deref(in.InstanceId))
		if err != nil {
			return err
		}
		if r.State != "stopped" {
			return errIncorrectInstanceState.New("The instance '%s' is not in the 'stopped' state.", r.ID)
		}
		if spec.target != "" {
			// The target must fit now; its room is checked at start.
			cr, err := capacityReservations.get(tx, sc, spec.target)
			if err != nil {
				return err
			}
			if !reservationFits(cr, &r) {
				return errInvalidParameterValue.New("The instance's attributes (instance type, Availability Zone, platform, tenancy) do not match Capacity Reservation %s.", spec.target)
			}
		}
		r.CapPref, r.CapTarget, r.CapResID = spec.pref, spec.target, ""
		return instances.put(tx, sc, r.ID, r)
	})
	return answer(&ec2api.ModifyInstanceCapacityReservationAttributesResult{Return: ptr.To(true)}, err)
}
