package server

import (
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/service/ec2"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// TestEndpointFor: which VPC endpoint a request from a subnet goes
// through: a Gateway endpoint only when it is associated with the route
// table the subnet uses (its explicit association, else the VPC's main
// table); an Interface endpoint from anywhere in its VPC; nothing for
// another service or another VPC.
func TestEndpointFor(t *testing.T) {
	h := servicetest.New(t, "ec2")
	svc, err := ec2.New(h.Store(), events.New(), h.Clock, ec2.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	ctx := h.Ctx()
	p := func(s string) *string { return &s }
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	vpc, err := svc.CreateVpc(ctx, &ec2api.CreateVpcRequest{CidrBlock: p("10.0.0.0/16")})
	must(err)
	vpcID := *vpc.Vpc.VpcId
	subnet := func(cidr string) string {
		s, err := svc.CreateSubnet(ctx, &ec2api.CreateSubnetRequest{VpcId: &vpcID, CidrBlock: p(cidr)})
		must(err)
		return *s.Subnet.SubnetId
	}
	onMain, onOwn, onBare := subnet("10.0.1.0/24"), subnet("10.0.2.0/24"), subnet("10.0.3.0/24")
	table := func(sub string) string {
		rt, err := svc.CreateRouteTable(ctx, &ec2api.CreateRouteTableRequest{VpcId: &vpcID})
		must(err)
		_, err = svc.AssociateRouteTable(ctx, &ec2api.AssociateRouteTableRequest{RouteTableId: rt.RouteTable.RouteTableId, SubnetId: &sub})
		must(err)
		return *rt.RouteTable.RouteTableId
	}
	own := table(onOwn)
	table(onBare)
	rts, err := svc.DescribeRouteTables(ctx, &ec2api.DescribeRouteTablesRequest{Filters: []ec2api.Filter{
		{Name: p("association.main"), Values: []string{"true"}}, {Name: p("vpc-id"), Values: []string{vpcID}}}})
	must(err)
	mainRT := *rts.RouteTables[0].RouteTableId
	endpoint := func(service, typ string, tables ...string) string {
		ep, err := svc.CreateVpcEndpoint(ctx, &ec2api.CreateVpcEndpointRequest{VpcId: &vpcID, ServiceName: p("com.amazonaws.us-east-1." + service),
			VpcEndpointType: &typ, RouteTableIds: tables})
		must(err)
		return *ep.VpcEndpoint.VpcEndpointId
	}
	s3ep := endpoint("s3", "Gateway", own, mainRT)
	ddbep := endpoint("dynamodb", "Gateway", own)
	sqsep := endpoint("sqs", "Interface")

	finder := ec2Endpoints{svc}
	for _, tc := range []struct {
		name, service, subnet, vpc, want string
	}{
		{"gateway on the subnet's own table", "s3", onOwn, vpcID, s3ep},
		{"gateway on the main table", "s3", onMain, vpcID, s3ep},
		{"gateway not on the subnet's table", "s3", onBare, vpcID, ""},
		{"gateway of another service", "dynamodb", onMain, vpcID, ""},
		{"gateway of dynamodb", "dynamodb", onOwn, vpcID, ddbep},
		{"interface anywhere in the VPC", "sqs", onBare, vpcID, sqsep},
		{"no endpoint for the service", "sns", onOwn, vpcID, ""},
		{"another VPC", "sqs", onOwn, "vpc-0123456789abcdef0", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok, err := finder.EndpointFor(ctx, "123456789012", "us-east-1", tc.vpc, []string{tc.subnet}, "com.amazonaws.us-east-1."+tc.service)
			if err != nil || got.ID != tc.want || ok != (tc.want != "") || (ok && got.Policy == "") {
				t.Fatalf("got %q %v %v, want %q", got, ok, err, tc.want)
			}
		})
	}
}
