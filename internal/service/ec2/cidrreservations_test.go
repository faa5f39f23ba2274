package ec2

import (
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestSubnetCidrReservations(t *testing.T) {
	f := newFixture(t, "us-east-1")
	vpc := must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.4.0.0/16")})).Vpc.VpcId
	sub := must(f.CreateSubnet(f.ctx, &ec2api.CreateSubnetRequest{VpcId: vpc, CidrBlock: ptr.To("10.4.1.0/24")})).Subnet.SubnetId
	r := must(f.CreateSubnetCidrReservation(f.ctx, &ec2api.CreateSubnetCidrReservationRequest{SubnetId: sub, Cidr: ptr.To("10.4.1.16/28"), ReservationType: ptr.To("prefix")})).SubnetCidrReservation
	got := must(f.GetSubnetCidrReservations(f.ctx, &ec2api.GetSubnetCidrReservationsRequest{SubnetId: sub}))
	if len(got.SubnetIpv4CidrReservations) != 1 || ptr.Deref(got.SubnetIpv4CidrReservations[0].Cidr) != "10.4.1.16/28" || len(got.SubnetIpv6CidrReservations) != 0 {
		t.Errorf("reservations %+v", got)
	}
	cases := []struct{ name, cidr, typ, code string }{
		{"outside", "10.4.2.0/28", "prefix", "InvalidParameterValue"},
		{"overlap", "10.4.1.16/29", "explicit", "InvalidParameterValue"},
		{"type", "10.4.1.64/28", "other", "InvalidParameterValue"},
		{"malformed", "10.4.1.65/28", "prefix", "InvalidParameterValue"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.CreateSubnetCidrReservation(f.ctx, &ec2api.CreateSubnetCidrReservationRequest{SubnetId: sub, Cidr: ptr.To(c.cidr), ReservationType: ptr.To(c.typ)})
			wantErr(t, err, c.code, "")
		})
	}
	must(f.DeleteSubnetCidrReservation(f.ctx, &ec2api.DeleteSubnetCidrReservationRequest{SubnetCidrReservationId: r.SubnetCidrReservationId}))
	_, err := f.DeleteSubnetCidrReservation(f.ctx, &ec2api.DeleteSubnetCidrReservationRequest{SubnetCidrReservationId: r.SubnetCidrReservationId})
	wantErr(t, err, "InvalidSubnetCidrReservationID.NotFound", "")
}
