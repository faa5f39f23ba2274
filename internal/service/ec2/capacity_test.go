package ec2

import (
	"testing"
	"time"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestCapacityReservations(t *testing.T) {
	f := newFixture(t, "us-east-1")
	r := must(f.CreateCapacityReservation(f.ctx, &ec2api.CreateCapacityReservationRequest{InstanceType: ptr.To("m5.large"), InstancePlatform: ptr.To("Linux/UNIX"),
		AvailabilityZone: ptr.To("us-east-1b"), InstanceCount: ptr.To(int32(3)),
		TagSpecifications: []ec2api.TagSpecification{{ResourceType: ptr.To("capacity-reservation"), Tags: []ec2api.Tag{{Key: ptr.To("team"), Value: ptr.To("ml")}}}}})).CapacityReservation
	if ptr.Deref(r.State) != "active" || ptr.Deref(r.AvailableInstanceCount) != 3 || ptr.Deref(r.EndDateType) != "unlimited" || ptr.Deref(r.InstanceMatchCriteria) != "open" || ptr.Deref(r.AvailabilityZoneId) == "" {
		t.Fatalf("reservation %+v", r)
	}
	cases := []struct {
		name string
		in   ec2api.CreateCapacityReservationRequest
		code string
	}{
		{"platform", ec2api.CreateCapacityReservationRequest{InstanceType: ptr.To("m5.large"), InstancePlatform: ptr.To("BeOS"), AvailabilityZone: ptr.To("us-east-1a"), InstanceCount: ptr.To(int32(1))}, "InvalidParameterValue"},
		{"zone", ec2api.CreateCapacityReservationRequest{InstanceType: ptr.To("m5.large"), InstancePlatform: ptr.To("Linux/UNIX"), AvailabilityZone: ptr.To("us-east-1z"), InstanceCount: ptr.To(int32(1))}, "InvalidAvailabilityZone"},
		{"count", ec2api.CreateCapacityReservationRequest{InstanceType: ptr.To("m5.large"), InstancePlatform: ptr.To("Linux/UNIX"), AvailabilityZone: ptr.To("us-east-1a"), InstanceCount: ptr.To(int32(0))}, "InvalidParameterValue"},
		{"limited without end", ec2api.CreateCapacityReservationRequest{InstanceType: ptr.To("m5.large"), InstancePlatform: ptr.To("Linux/UNIX"), AvailabilityZone: ptr.To("us-east-1a"), InstanceCount: ptr.To(int32(1)), EndDateType: ptr.To("limited")}, "MissingParameter"},
		{"end in the past", ec2api.CreateCapacityReservationRequest{InstanceType: ptr.To("m5.large"), InstancePlatform: ptr.To("Linux/UNIX"), AvailabilityZone: ptr.To("us-east-1a"), InstanceCount: ptr.To(int32(1)), EndDateType: ptr.To("limited"), EndDate: ptr.To(t0.Add(-time.Hour))}, "InvalidParameterValue"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.CreateCapacityReservation(f.ctx, &c.in)
			wantErr(t, err, c.code, "")
		})
	}
	must(f.ModifyCapacityReservation(f.ctx, &ec2api.ModifyCapacityReservationRequest{CapacityReservationId: r.CapacityReservationId, InstanceCount: ptr.To(int32(5)),
		EndDateType: ptr.To("limited"), EndDate: ptr.To(t0.Add(48 * time.Hour))}))
	d := must(f.DescribeCapacityReservations(f.ctx, &ec2api.DescribeCapacityReservationsRequest{Filters: []ec2api.Filter{{Name: ptr.To("tag:team"), Values: []string{"ml"}}}})).CapacityReservations
	if len(d) != 1 || ptr.Deref(d[0].TotalInstanceCount) != 5 || ptr.Deref(d[0].EndDateType) != "limited" {
		t.Fatalf("described %+v", d)
	}
	must(f.CancelCapacityReservation(f.ctx, &ec2api.CancelCapacityReservationRequest{CapacityReservationId: r.CapacityReservationId}))
	_, err := f.CancelCapacityReservation(f.ctx, &ec2api.CancelCapacityReservationRequest{CapacityReservationId: r.CapacityReservationId})
	wantErr(t, err, "IncorrectState", "")
	_, err = f.DescribeCapacityReservations(f.ctx, &ec2api.DescribeCapacityReservationsRequest{CapacityReservationIds: []string{"cr-0123456789abcdef0"}})
	wantErr(t, err, "InvalidCapacityReservationId.NotFound", "")
}
