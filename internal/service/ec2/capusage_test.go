package ec2

import (
	"testing"
	"time"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// capFixture is a subnet in us-east-1a and a launcher of m5.large there.
func capFixture(t *testing.T) (*fixture, func(spec *ec2api.CapacityReservationSpecification) (string, error)) {
	f := newFixture(t, "us-east-1")
	vpc := must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.4.0.0/16")})).Vpc.VpcId
	sub := must(f.CreateSubnet(f.ctx, &ec2api.CreateSubnetRequest{VpcId: vpc, CidrBlock: ptr.To("10.4.1.0/24"), AvailabilityZone: ptr.To("us-east-1a")})).Subnet.SubnetId
	return f, func(spec *ec2api.CapacityReservationSpecification) (string, error) {
		r, err := f.RunInstances(f.ctx, &ec2api.RunInstancesRequest{ImageId: ptr.To(amazonLinux("us-east-1")), MinCount: ptr.To(int32(1)), MaxCount: ptr.To(int32(1)),
			InstanceType: ptr.To("m5.large"), SubnetId: sub, CapacityReservationSpecification: spec})
		if err != nil {
			return "", err
		}
		return ptr.Deref(r.Instances[0].InstanceId), nil
	}
}

func (f *fixture) reservation(typ string, n int32, match string) string {
	return ptr.Deref(must(f.CreateCapacityReservation(f.ctx, &ec2api.CreateCapacityReservationRequest{InstanceType: ptr.To(typ), InstancePlatform: ptr.To("Linux/UNIX"),
		AvailabilityZone: ptr.To("us-east-1a"), InstanceCount: ptr.To(n), InstanceMatchCriteria: ptr.To(match)})).CapacityReservation.CapacityReservationId)
}

func TestCapacityReservationUsage(t *testing.T) {
	f, launch := capFixture(t)
	open := f.reservation("m5.large", 2, "open")
	targeted := f.reservation("m5.large", 1, "targeted")
	other := f.reservation("c5.large", 1, "open")
	avail := func(id string) int32 {
		return ptr.Deref(must(f.DescribeCapacityReservations(f.ctx, &ec2api.DescribeCapacityReservationsRequest{CapacityReservationIds: []string{id}})).CapacityReservations[0].AvailableInstanceCount)
	}
	usedBy := func(id string) string {
		i := must(f.DescribeInstances(f.ctx, &ec2api.DescribeInstancesRequest{InstanceIds: []string{id}})).Reservations[0].Instances[0]
		return ptr.Deref(i.CapacityReservationId)
	}
	a := must(launch(nil))
	b := must(launch(nil))
	c := must(launch(nil))
	if usedBy(a) != open || usedBy(b) != open || usedBy(c) != "" {
		t.Fatalf("open matching: %s %s %s", usedBy(a), usedBy(b), usedBy(c))
	}
	if n := avail(open); n != 0 {
		t.Errorf("open reservation has %d available", n)
	}
	if n := avail(other); n != 1 {
		t.Errorf("c5 reservation used: %d available", n)
	}
	u := must(f.GetCapacityReservationUsage(f.ctx, &ec2api.GetCapacityReservationUsageRequest{CapacityReservationId: ptr.To(open)}))
	if ptr.Deref(u.AvailableInstanceCount) != 0 || ptr.Deref(u.TotalInstanceCount) != 2 || len(u.InstanceUsages) != 1 || ptr.Deref(u.InstanceUsages[0].UsedInstanceCount) != 2 ||
		ptr.Deref(u.InstanceUsages[0].AccountId) != testAccount {
		t.Errorf("usage %+v", u)
	}
	target := &ec2api.CapacityReservationSpecification{CapacityReservationTarget: &ec2api.CapacityReservationTarget{CapacityReservationId: ptr.To(targeted)}}
	d := must(launch(target))
	if usedBy(d) != targeted || avail(targeted) != 0 {
		t.Errorf("targeted launch used %q, %d left", usedBy(d), avail(targeted))
	}
	none := must(launch(&ec2api.CapacityReservationSpecification{CapacityReservationPreference: ptr.To("none")}))
	if usedBy(none) != "" {
		t.Errorf("preference none used %s", usedBy(none))
	}

	errs := []struct {
		name string
		spec *ec2api.CapacityReservationSpecification
		code string
	}{
		{"targeted reservation full", target, "ReservationCapacityExceeded"},
		{"targeted reservation of another type", &ec2api.CapacityReservationSpecification{CapacityReservationTarget: &ec2api.CapacityReservationTarget{CapacityReservationId: ptr.To(other)}}, "InvalidParameterValue"},
		{"unknown reservation", &ec2api.CapacityReservationSpecification{CapacityReservationTarget: &ec2api.CapacityReservationTarget{CapacityReservationId: ptr.To("cr-0123456789abcdef0")}}, "InvalidCapacityReservationId.NotFound"},
		{"bad preference", &ec2api.CapacityReservationSpecification{CapacityReservationPreference: ptr.To("capacity-reservations-only")}, "InvalidParameterValue"},
		{"resource group", &ec2api.CapacityReservationSpecification{CapacityReservationTarget: &ec2api.CapacityReservationTarget{CapacityReservationResourceGroupArn: ptr.To("arn:aws:resource-groups:us-east-1:123456789012:group/g")}}, "InvalidParameterValue"},
	}
	for _, c := range errs {
		t.Run(c.name, func(t *testing.T) {
			_, err := launch(c.spec)
			wantErr(t, err, c.code, "")
		})
	}

	// A terminated instance gives its place back; the next launch takes it.
	must(f.TerminateInstances(f.ctx, &ec2api.TerminateInstancesRequest{InstanceIds: []string{a}}))
	if n := avail(open); n != 1 {
		t.Errorf("after terminating: %d available", n)
	}
	if e := must(launch(nil)); usedBy(e) != open {
		t.Errorf("relaunch used %q", usedBy(e))
	}
	g := must(f.GetGroupsForCapacityReservation(f.ctx, &ec2api.GetGroupsForCapacityReservationRequest{CapacityReservationId: ptr.To(open)}))
	if g.CapacityReservationGroups == nil || len(g.CapacityReservationGroups) != 0 {
		t.Errorf("groups %+v", g.CapacityReservationGroups)
	}
	_, err := f.GetGroupsForCapacityReservation(f.ctx, &ec2api.GetGroupsForCapacityReservationRequest{CapacityReservationId: ptr.To("cr-0123456789abcdef0")})
	wantErr(t, err, "InvalidCapacityReservationId.NotFound", "")
}

func TestModifyInstanceCapacityReservationAttributes(t *testing.T) {
	f, launch := capFixture(t)
	targeted := f.reservation("m5.large", 1, "targeted")
	id := must(launch(nil))
	spec := &ec2api.CapacityReservationSpecification{CapacityReservationTarget: &ec2api.CapacityReservationTarget{CapacityReservationId: ptr.To(targeted)}}
	_, err := f.ModifyInstanceCapacityReservationAttributes(f.ctx, &ec2api.ModifyInstanceCapacityReservationAttributesRequest{InstanceId: ptr.To(id), CapacityReservationSpecification: spec})
	wantErr(t, err, "IncorrectInstanceState", "")

	f.expectState(id, "pending")
	f.clock.Advance(5 * time.Second)
	f.expectState(id, "running")
	must(f.StopInstances(f.ctx, &ec2api.StopInstancesRequest{InstanceIds: []string{id}}))
	f.expectState(id, "stopping")
	f.clock.Advance(10 * time.Second)
	f.expectState(id, "stopped")
	must(f.ModifyInstanceCapacityReservationAttributes(f.ctx, &ec2api.ModifyInstanceCapacityReservationAttributesRequest{InstanceId: ptr.To(id), CapacityReservationSpecification: spec}))
	i := must(f.DescribeInstances(f.ctx, &ec2api.DescribeInstancesRequest{InstanceIds: []string{id}})).Reservations[0].Instances[0]
	if s := i.CapacityReservationSpecification; s.CapacityReservationTarget == nil || ptr.Deref(s.CapacityReservationTarget.CapacityReservationId) != targeted || i.CapacityReservationId != nil {
		t.Fatalf("stopped instance spec %+v, uses %v", s, i.CapacityReservationId)
	}
	must(f.StartInstances(f.ctx, &ec2api.StartInstancesRequest{InstanceIds: []string{id}}))
	i = must(f.DescribeInstances(f.ctx, &ec2api.DescribeInstancesRequest{InstanceIds: []string{id}})).Reservations[0].Instances[0]
	if ptr.Deref(i.CapacityReservationId) != targeted {
		t.Fatalf("started instance uses %v", i.CapacityReservationId)
	}
	_, err = f.ModifyInstanceCapacityReservationAttributes(f.ctx, &ec2api.ModifyInstanceCapacityReservationAttributesRequest{InstanceId: ptr.To(id), CapacityReservationSpecification: &ec2api.CapacityReservationSpecification{}})
	wantErr(t, err, "MissingParameter", "")
}
