package ec2

import (
	"strconv"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/filter"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// On-Demand Capacity Reservations: stored, validated, described, modified
// and cancelled as EC2 does, with the instances that use them counted
// (capusage.go). niwa's capacity outside reservations is unlimited.

var capacityReservations = resource[ec2api.CapacityReservation]{table: storage.NewTable[ec2api.CapacityReservation]("capres"), prefix: "cr", typ: "capacity-reservation",
	noun: "capacityReservation", notFound: code("InvalidCapacityReservationId.NotFound"), tags: func(v *ec2api.CapacityReservation) *[]ec2api.Tag { return &v.Tags }, doc: capacityDoc}

func capacityDoc(v *ec2api.CapacityReservation) filter.Doc {
	return filter.New(v.Tags).Add("instance-type", ptr.Deref(v.InstanceType)).Add("owner-id", ptr.Deref(v.OwnerId)).Add("availability-zone-id", ptr.Deref(v.AvailabilityZoneId)).
		Add("instance-platform", ptr.Deref(v.InstancePlatform)).Add("availability-zone", ptr.Deref(v.AvailabilityZone)).Add("tenancy", ptr.Deref(v.Tenancy)).
		Add("outpost-arn", ptr.Deref(v.OutpostArn)).Add("state", ptr.Deref(v.State)).Add("start-date").Add("end-date").Add("end-date-type", ptr.Deref(v.EndDateType)).
		Add("instance-match-criteria", ptr.Deref(v.InstanceMatchCriteria)).Add("placement-group-arn", ptr.Deref(v.PlacementGroupArn)).
		Add("capacity-reservation-fleet-id", ptr.Deref(v.CapacityReservationFleetId)).Add("capacity-reservation-id", ptr.Deref(v.CapacityReservationId))
}

var capacityPlatforms = []string{"Linux/UNIX", "Red Hat Enterprise Linux", "SUSE Linux", "Windows", "Windows with SQL Server", "Windows with SQL Server Enterprise",
	"Windows with SQL Server Standard", "Windows with SQL Server Web", "Linux with SQL Server Standard", "Linux with SQL Server Web", "Linux with SQL Server Enterprise",
	"RHEL with SQL Server Standard", "RHEL with SQL Server Enterprise", "RHEL with SQL Server Web", "RHEL with HA", "RHEL with HA and SQL Server Standard",
	"RHEL with HA and SQL Server Enterprise", "Ubuntu Pro"}

func checkEndDate(ctx *request.Context, typ *string, end *ec2api.CapacityReservation) error {
	switch ptr.Deref(typ) {
	case "", "unlimited":
		if end.EndDate != nil {
			return errInvalidParameterCombo.New("EndDate can only be specified when EndDateType is limited.")
		}
		end.EndDateType = ptr.To("unlimited")
	case "limited":
		if end.EndDate == nil {
			return errMissingParameter.New("EndDate is required when EndDateType is limited.")
		}
		if !end.EndDate.After(ctx.Now()) {
			return errInvalidParameterValue.New("EndDate must be in the future.")
		}
		end.EndDateType = ptr.To("limited")
	default:
		return errInvalidParameterValue.New("Value (%s) for parameter EndDateType is invalid. Valid values are unlimited, limited.", ptr.Deref(typ))
	}
	return nil
}

// CreateCapacityReservation stores an active reservation.
func (s *EC2) CreateCapacityReservation(ctx *request.Context, in *ec2api.CreateCapacityReservationRequest) (*ec2api.CreateCapacityReservationResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	typ := ptr.Deref(in.InstanceType)
	if typ == "" {
		return nil, errMissingParameter.New("The request must contain the parameter InstanceType")
	}
	if !instanceTypeShaped(typ) {
		return nil, errInvalidInstanceType.New("The instance type '%s' is not supported.", typ)
	}
	platform := ptr.Deref(in.InstancePlatform)
	if !contains(capacityPlatforms, platform) {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter InstancePlatform is invalid.", platform)
	}
	n := ptr.Deref(in.InstanceCount)
	if n < 1 || n > 1000 {
		return nil, errInvalidParameterValue.New("Value (%d) for parameter InstanceCount is invalid. Expected a value between 1 and 1000.", n)
	}
	az := ptr.Deref(in.AvailabilityZone)
	if az == "" {
		az = ptr.Deref(in.AvailabilityZoneId)
	}
	z, ok := zoneByName(ctx.Region, az)
	if !ok {
		return nil, errInvalidAZ.New("The zone '%s' does not exist.", az)
	}
	tenancy := "default"
	if in.Tenancy != nil {
		tenancy = *in.Tenancy
		if tenancy != "default" && tenancy != "dedicated" {
			return nil, errInvalidParameterValue.New("Value (%s) for parameter Tenancy is invalid. Valid values are default, dedicated.", tenancy)
		}
	}
	match := "open"
	if in.InstanceMatchCriteria != nil {
		match = *in.InstanceMatchCriteria
		if match != "open" && match != "targeted" {
			return nil, errInvalidParameterValue.New("Value (%s) for parameter InstanceMatchCriteria is invalid. Valid values are open, targeted.", match)
		}
	}
	if in.OutpostArn != nil {
		return nil, errInvalidParameterValue.New("Outposts are not available: niwa has no AWS Outposts.")
	}
	now := ctx.Now().UTC()
	id := newID("cr")
	r := ec2api.CapacityReservation{CapacityReservationId: ptr.To(id), OwnerId: ptr.To(ctx.Account), CapacityReservationArn: ptr.To("arn:aws:ec2:" + ctx.Region + ":" + ctx.Account + ":capacity-reservation/" + id),
		AvailabilityZoneId: ptr.To(z.ID), AvailabilityZone: ptr.To(z.Name), InstanceType: ptr.To(typ), InstancePlatform: ptr.To(platform), Tenancy: ptr.To(tenancy),
		TotalInstanceCount: ptr.To(n), AvailableInstanceCount: ptr.To(n), EbsOptimized: ptr.To(ptr.Deref(in.EbsOptimized)), EphemeralStorage: ptr.To(false), State: ptr.To("active"),
		StartDate: ptr.To(now), CreateDate: ptr.To(now), EndDate: in.EndDate, InstanceMatchCriteria: ptr.To(match), PlacementGroupArn: in.PlacementGroupArn,
		Tags: nonNilTags(tagsFor(in.TagSpecifications, "capacity-reservation")), CapacityAllocations: []ec2api.CapacityAllocation{}, ReservationType: ptr.To("default")}
	if err := checkEndDate(ctx, in.EndDateType, &r); err != nil {
		return nil, err
	}
	err := s.store.Update(func(tx storage.Tx) error { return capacityReservations.put(tx, scope(ctx), id, r) })
	return answer(&ec2api.CreateCapacityReservationResult{CapacityReservation: &r}, err)
}

// DescribeCapacityReservations lists reservations.
func (s *EC2) DescribeCapacityReservations(ctx *request.Context, in *ec2api.DescribeCapacityReservationsRequest) (*ec2api.DescribeCapacityReservationsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	recs, next, err := describe(s, ctx, capacityReservations, page{ids: in.CapacityReservationIds, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken}, nil)
	if err == nil {
		err = s.withUsage(ctx, recs)
	}
	return answer(&ec2api.DescribeCapacityReservationsResult{CapacityReservations: orEmpty(recs), NextToken: next}, err)
}

// CancelCapacityReservation cancels an active reservation.
func (s *EC2) CancelCapacityReservation(ctx *request.Context, in *ec2api.CancelCapacityReservationRequest) (*ec2api.CancelCapacityReservationResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	err := mutate(s, ctx, capacityReservations, ptr.Deref(in.CapacityReservationId), func(_ storage.Tx, _ storage.Scope, r *ec2api.CapacityReservation) error {
		if st := ptr.Deref(r.State); st != "active" {
			return code("IncorrectState").New("Capacity Reservation %s is in state %s and cannot be cancelled.", ptr.Deref(r.CapacityReservationId), st)
		}
		r.State, r.AvailableInstanceCount, r.EndDate = ptr.To("cancelled"), ptr.To(int32(0)), ptr.To(ctx.Now().UTC())
		return nil
	})
	return answer(&ec2api.CancelCapacityReservationResult{Return: ptr.To(true)}, err)
}

// ModifyCapacityReservation changes an active reservation's instance
// count or end date.
func (s *EC2) ModifyCapacityReservation(ctx *request.Context, in *ec2api.ModifyCapacityReservationRequest) (*ec2api.ModifyCapacityReservationResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if in.InstanceCount == nil && in.EndDate == nil && in.EndDateType == nil && in.Accept == nil && in.AdditionalInfo == nil {
		return nil, errMissingParameter.New("The request must contain the parameter InstanceCount, EndDate or EndDateType")
	}
	if n := in.InstanceCount; n != nil && (*n < 0 || *n > 1000) {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter InstanceCount is invalid.", strconv.Itoa(int(*n)))
	}
	err := mutate(s, ctx, capacityReservations, ptr.Deref(in.CapacityReservationId), func(_ storage.Tx, _ storage.Scope, r *ec2api.CapacityReservation) error {
		if st := ptr.Deref(r.State); st != "active" {
			return code("IncorrectState").New("Capacity Reservation %s is in state %s and cannot be modified.", ptr.Deref(r.CapacityReservationId), st)
		}
		if in.EndDateType != nil || in.EndDate != nil {
			typ := in.EndDateType
			if typ == nil {
				typ = r.EndDateType
			}
			next := *r
			next.EndDate = in.EndDate
			if err := checkEndDate(ctx, typ, &next); err != nil {
				return err
			}
			r.EndDate, r.EndDateType = next.EndDate, next.EndDateType
		}
		if n := in.InstanceCount; n != nil {
			r.TotalInstanceCount, r.AvailableInstanceCount = ptr.To(*n), ptr.To(*n)
		}
		return nil
	})
	return answer(&ec2api.ModifyCapacityReservationResult{Return: ptr.To(true)}, err)
}
