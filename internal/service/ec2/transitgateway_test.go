package ec2

import (
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestTransitGateways(t *testing.T) {
	f := newFixture(t, "us-east-1")
	g := must(f.CreateTransitGateway(f.ctx, &ec2api.CreateTransitGatewayRequest{Description: ptr.To("hub")})).TransitGateway
	if ptr.Deref(g.State) != "pending" || ptr.Deref(g.Options.AmazonSideAsn) != 64512 || g.Options.AssociationDefaultRouteTableId == nil {
		t.Fatalf("gateway %+v options %+v", g, g.Options)
	}
	defaultRT := ptr.Deref(g.Options.AssociationDefaultRouteTableId)
	if d := must(f.DescribeTransitGateways(f.ctx, &ec2api.DescribeTransitGatewaysRequest{TransitGatewayIds: []string{ptr.Deref(g.TransitGatewayId)}})).TransitGateways; ptr.Deref(d[0].State) != "available" {
		t.Fatalf("described %+v", d)
	}
	vpc := must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.20.0.0/16")})).Vpc.VpcId
	s1 := must(f.CreateSubnet(f.ctx, &ec2api.CreateSubnetRequest{VpcId: vpc, CidrBlock: ptr.To("10.20.1.0/24"), AvailabilityZone: ptr.To("us-east-1a")})).Subnet.SubnetId
	s2 := must(f.CreateSubnet(f.ctx, &ec2api.CreateSubnetRequest{VpcId: vpc, CidrBlock: ptr.To("10.20.2.0/24"), AvailabilityZone: ptr.To("us-east-1a")})).Subnet.SubnetId
	_, err := f.CreateTransitGatewayVpcAttachment(f.ctx, &ec2api.CreateTransitGatewayVpcAttachmentRequest{TransitGatewayId: g.TransitGatewayId, VpcId: vpc, SubnetIds: []string{ptr.Deref(s1), ptr.Deref(s2)}})
	wantErr(t, err, "DuplicateSubnetsInSameZone", "")
	att := must(f.CreateTransitGatewayVpcAttachment(f.ctx, &ec2api.CreateTransitGatewayVpcAttachmentRequest{TransitGatewayId: g.TransitGatewayId, VpcId: vpc, SubnetIds: []string{ptr.Deref(s1)}})).TransitGatewayVpcAttachment
	attID := ptr.Deref(att.TransitGatewayAttachmentId)
	all := must(f.DescribeTransitGatewayAttachments(f.ctx, &ec2api.DescribeTransitGatewayAttachmentsRequest{})).TransitGatewayAttachments
	if len(all) != 1 || all[0].Association == nil || ptr.Deref(all[0].Association.TransitGatewayRouteTableId) != defaultRT || ptr.Deref(all[0].ResourceType) != "vpc" {
		t.Fatalf("attachments %+v", all)
	}
	// The default table learns the VPC's CIDR; a static route joins it.
	must(f.CreateTransitGatewayRoute(f.ctx, &ec2api.CreateTransitGatewayRouteRequest{TransitGatewayRouteTableId: ptr.To(defaultRT), DestinationCidrBlock: ptr.To("192.168.0.0/16"), Blackhole: ptr.To(true)}))
	_, err = f.CreateTransitGatewayRoute(f.ctx, &ec2api.CreateTransitGatewayRouteRequest{TransitGatewayRouteTableId: ptr.To(defaultRT), DestinationCidrBlock: ptr.To("192.168.0.0/16"), TransitGatewayAttachmentId: ptr.To(attID)})
	wantErr(t, err, "RouteAlreadyExists", "")
	rs := must(f.SearchTransitGatewayRoutes(f.ctx, &ec2api.SearchTransitGatewayRoutesRequest{TransitGatewayRouteTableId: ptr.To(defaultRT),
		Filters: []ec2api.Filter{{Name: ptr.To("state"), Values: []string{"active", "blackhole"}}}})).Routes
	if len(rs) != 2 || ptr.Deref(rs[0].DestinationCidrBlock) != "10.20.0.0/16" || ptr.Deref(rs[0].Type) != "propagated" || ptr.Deref(rs[1].State) != "blackhole" {
		t.Fatalf("routes %+v", rs)
	}
	sub := must(f.SearchTransitGatewayRoutes(f.ctx, &ec2api.SearchTransitGatewayRoutesRequest{TransitGatewayRouteTableId: ptr.To(defaultRT),
		Filters: []ec2api.Filter{{Name: ptr.To("route-search.supernet-of-match"), Values: []string{"10.20.5.0/24"}}}})).Routes
	if len(sub) != 1 || ptr.Deref(sub[0].DestinationCidrBlock) != "10.20.0.0/16" {
		t.Fatalf("supernet search %+v", sub)
	}
	_, err = f.SearchTransitGatewayRoutes(f.ctx, &ec2api.SearchTransitGatewayRoutesRequest{TransitGatewayRouteTableId: ptr.To(defaultRT)})
	wantErr(t, err, "MissingParameter", "")

	// A second table: move the association and propagation there.
	rt := ptr.Deref(must(f.CreateTransitGatewayRouteTable(f.ctx, &ec2api.CreateTransitGatewayRouteTableRequest{TransitGatewayId: g.TransitGatewayId})).TransitGatewayRouteTable.TransitGatewayRouteTableId)
	_, err = f.AssociateTransitGatewayRouteTable(f.ctx, &ec2api.AssociateTransitGatewayRouteTableRequest{TransitGatewayRouteTableId: ptr.To(rt), TransitGatewayAttachmentId: ptr.To(attID)})
	wantErr(t, err, "Resource.AlreadyAssociated", "")
	must(f.DisassociateTransitGatewayRouteTable(f.ctx, &ec2api.DisassociateTransitGatewayRouteTableRequest{TransitGatewayRouteTableId: ptr.To(defaultRT), TransitGatewayAttachmentId: ptr.To(attID)}))
	must(f.AssociateTransitGatewayRouteTable(f.ctx, &ec2api.AssociateTransitGatewayRouteTableRequest{TransitGatewayRouteTableId: ptr.To(rt), TransitGatewayAttachmentId: ptr.To(attID)}))
	must(f.EnableTransitGatewayRouteTablePropagation(f.ctx, &ec2api.EnableTransitGatewayRouteTablePropagationRequest{TransitGatewayRouteTableId: ptr.To(rt), TransitGatewayAttachmentId: ptr.To(attID)}))
	_, err = f.EnableTransitGatewayRouteTablePropagation(f.ctx, &ec2api.EnableTransitGatewayRouteTablePropagationRequest{TransitGatewayRouteTableId: ptr.To(rt), TransitGatewayAttachmentId: ptr.To(attID)})
	wantErr(t, err, "TransitGatewayRouteTablePropagation.Duplicate", "")
	if as := must(f.GetTransitGatewayRouteTableAssociations(f.ctx, &ec2api.GetTransitGatewayRouteTableAssociationsRequest{TransitGatewayRouteTableId: ptr.To(rt)})).Associations; len(as) != 1 || ptr.Deref(as[0].ResourceId) != ptr.Deref(vpc) {
		t.Fatalf("associations %+v", as)
	}
	if ps := must(f.GetTransitGatewayRouteTablePropagations(f.ctx, &ec2api.GetTransitGatewayRouteTablePropagationsRequest{TransitGatewayRouteTableId: ptr.To(rt)})).TransitGatewayRouteTablePropagations; len(ps) != 1 {
		t.Fatalf("propagations %+v", ps)
	}
	_, err = f.DeleteTransitGatewayRouteTable(f.ctx, &ec2api.DeleteTransitGatewayRouteTableRequest{TransitGatewayRouteTableId: ptr.To(rt)})
	wantErr(t, err, "IncorrectState", "")
	_, err = f.DeleteTransitGateway(f.ctx, &ec2api.DeleteTransitGatewayRequest{TransitGatewayId: g.TransitGatewayId})
	wantErr(t, err, "IncorrectState", "")
	must(f.DeleteTransitGatewayVpcAttachment(f.ctx, &ec2api.DeleteTransitGatewayVpcAttachmentRequest{TransitGatewayAttachmentId: ptr.To(attID)}))
	must(f.DeleteTransitGatewayRouteTable(f.ctx, &ec2api.DeleteTransitGatewayRouteTableRequest{TransitGatewayRouteTableId: ptr.To(rt)}))
	must(f.DeleteTransitGateway(f.ctx, &ec2api.DeleteTransitGatewayRequest{TransitGatewayId: g.TransitGatewayId}))
	_, err = f.DescribeTransitGatewayRouteTables(f.ctx, &ec2api.DescribeTransitGatewayRouteTablesRequest{TransitGatewayRouteTableIds: []string{defaultRT}})
	wantErr(t, err, "InvalidRouteTableID.NotFound", "")
	_, err = f.CreateTransitGateway(f.ctx, &ec2api.CreateTransitGatewayRequest{Options: &ec2api.TransitGatewayRequestOptions{AmazonSideAsn: ptr.To(int64(100))}})
	wantErr(t, err, "InvalidParameterValue", "")
	_, err = f.CreateTransitGatewayVpcAttachment(f.ctx, &ec2api.CreateTransitGatewayVpcAttachmentRequest{TransitGatewayId: ptr.To("tgw-0123456789abcdef0"), VpcId: vpc, SubnetIds: []string{ptr.Deref(s1)}})
	wantErr(t, err, "InvalidTransitGatewayID.NotFound", "")
}
