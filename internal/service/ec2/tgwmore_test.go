package ec2

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestTransitGatewayPeering(t *testing.T) {
	f := newFixture(t, "us-east-1")
	west := *f.ctx
	west.Region, west.Account = "eu-west-1", "210987654321"
	hub := must(f.CreateTransitGateway(f.ctx, &ec2api.CreateTransitGatewayRequest{})).TransitGateway
	spoke := must(f.CreateTransitGateway(&west, &ec2api.CreateTransitGatewayRequest{})).TransitGateway
	create := func(peer, account, region string) (*ec2api.TransitGatewayPeeringAttachment, error) {
		out, err := f.CreateTransitGatewayPeeringAttachment(f.ctx, &ec2api.CreateTransitGatewayPeeringAttachmentRequest{TransitGatewayId: hub.TransitGatewayId,
			PeerTransitGatewayId: ptr.To(peer), PeerAccountId: ptr.To(account), PeerRegion: ptr.To(region),
			TagSpecifications: []ec2api.TagSpecification{{ResourceType: ptr.To("transit-gateway-attachment"), Tags: []ec2api.Tag{{Key: ptr.To("side"), Value: ptr.To("hub")}}}}})
		if err != nil {
			return nil, err
		}
		return out.TransitGatewayPeeringAttachment, nil
	}
	errs := []struct {
		name, peer, account, region, code string
	}{
		{"itself", ptr.Deref(hub.TransitGatewayId), testAccount, "us-east-1", "InvalidParameterValue"},
		{"peer in another region than said", ptr.Deref(spoke.TransitGatewayId), "210987654321", "us-west-2", "InvalidTransitGatewayID.NotFound"},
		{"unknown region", ptr.Deref(spoke.TransitGatewayId), "210987654321", "mars-1", "InvalidParameterValue"},
	}
	for _, c := range errs {
		t.Run(c.name, func(t *testing.T) {
			_, err := create(c.peer, c.account, c.region)
			wantErr(t, err, c.code, "")
		})
	}
	p := must(create(ptr.Deref(spoke.TransitGatewayId), "210987654321", "eu-west-1"))
	id := ptr.Deref(p.TransitGatewayAttachmentId)
	peerView := func(ctx any) ec2api.TransitGatewayPeeringAttachment {
		c := f.ctx
		if ctx != nil {
			c = &west
		}
		out := must(f.DescribeTransitGatewayPeeringAttachments(c, &ec2api.DescribeTransitGatewayPeeringAttachmentsRequest{TransitGatewayAttachmentIds: []string{id}}))
		return out.TransitGatewayPeeringAttachments[0]
	}
	if v := peerView(1); ptr.Deref(v.State) != "pendingAcceptance" || ptr.Deref(v.RequesterTgwInfo.TransitGatewayId) != ptr.Deref(hub.TransitGatewayId) || len(v.Tags) != 0 {
		t.Fatalf("accepter's view %+v", v)
	}
	if v := peerView(nil); len(v.Tags) != 1 {
		t.Fatalf("requester's tags %+v", v.Tags)
	}
	// Only the accepter accepts.
	_, err := f.AcceptTransitGatewayPeeringAttachment(f.ctx, &ec2api.AcceptTransitGatewayPeeringAttachmentRequest{TransitGatewayAttachmentId: ptr.To(id)})
	wantErr(t, err, "InvalidParameterValue", "")
	must(f.AcceptTransitGatewayPeeringAttachment(&west, &ec2api.AcceptTransitGatewayPeeringAttachmentRequest{TransitGatewayAttachmentId: ptr.To(id)}))
	if v := peerView(nil); ptr.Deref(v.State) != "available" {
		t.Fatalf("requester's view after accept %+v", v)
	}
	_, err = f.RejectTransitGatewayPeeringAttachment(&west, &ec2api.RejectTransitGatewayPeeringAttachmentRequest{TransitGatewayAttachmentId: ptr.To(id)})
	wantErr(t, err, "IncorrectState", "")
	all := must(f.DescribeTransitGatewayAttachments(&west, &ec2api.DescribeTransitGatewayAttachmentsRequest{})).TransitGatewayAttachments
	if len(all) != 1 || ptr.Deref(all[0].ResourceType) != "peering" || ptr.Deref(all[0].ResourceId) != ptr.Deref(hub.TransitGatewayId) || ptr.Deref(all[0].TransitGatewayId) != ptr.Deref(spoke.TransitGatewayId) {
		t.Fatalf("accepter's attachments %+v", all)
	}

	// Static routes through the peering; no propagation.
	rt := ptr.Deref(hub.Options.AssociationDefaultRouteTableId)
	_, err = f.EnableTransitGatewayRouteTablePropagation(f.ctx, &ec2api.EnableTransitGatewayRouteTablePropagationRequest{TransitGatewayRouteTableId: ptr.To(rt), TransitGatewayAttachmentId: ptr.To(id)})
	wantErr(t, err, "InvalidParameterValue", "")
	must(f.CreateTransitGatewayRoute(f.ctx, &ec2api.CreateTransitGatewayRouteRequest{TransitGatewayRouteTableId: ptr.To(rt), DestinationCidrBlock: ptr.To("10.50.0.0/16"), TransitGatewayAttachmentId: ptr.To(id)}))
	r := must(f.ReplaceTransitGatewayRoute(f.ctx, &ec2api.ReplaceTransitGatewayRouteRequest{TransitGatewayRouteTableId: ptr.To(rt), DestinationCidrBlock: ptr.To("10.50.0.0/16"), Blackhole: ptr.To(true)})).Route
	if ptr.Deref(r.State) != "blackhole" {
		t.Fatalf("replaced %+v", r)
	}
	_, err = f.ReplaceTransitGatewayRoute(f.ctx, &ec2api.ReplaceTransitGatewayRouteRequest{TransitGatewayRouteTableId: ptr.To(rt), DestinationCidrBlock: ptr.To("10.51.0.0/16"), Blackhole: ptr.To(true)})
	wantErr(t, err, "InvalidRoute.NotFound", "")
	must(f.ReplaceTransitGatewayRoute(f.ctx, &ec2api.ReplaceTransitGatewayRouteRequest{TransitGatewayRouteTableId: ptr.To(rt), DestinationCidrBlock: ptr.To("10.50.0.0/16"), TransitGatewayAttachmentId: ptr.To(id)}))

	// Deleting from either side removes both, and the routes through it.
	must(f.DeleteTransitGatewayPeeringAttachment(&west, &ec2api.DeleteTransitGatewayPeeringAttachmentRequest{TransitGatewayAttachmentId: ptr.To(id)}))
	_, err = f.DescribeTransitGatewayPeeringAttachments(f.ctx, &ec2api.DescribeTransitGatewayPeeringAttachmentsRequest{TransitGatewayAttachmentIds: []string{id}})
	wantErr(t, err, "InvalidTransitGatewayAttachmentID.NotFound", "")
	rs := must(f.SearchTransitGatewayRoutes(f.ctx, &ec2api.SearchTransitGatewayRoutesRequest{TransitGatewayRouteTableId: ptr.To(rt), Filters: []ec2api.Filter{{Name: ptr.To("type"), Values: []string{"static"}}}})).Routes
	if len(rs) != 0 {
		t.Fatalf("routes left %+v", rs)
	}
	must(f.DeleteTransitGateway(f.ctx, &ec2api.DeleteTransitGatewayRequest{TransitGatewayId: hub.TransitGatewayId}))

	// A rejected request.
	hub2 := must(f.CreateTransitGateway(f.ctx, &ec2api.CreateTransitGatewayRequest{})).TransitGateway
	p2 := must(f.CreateTransitGatewayPeeringAttachment(f.ctx, &ec2api.CreateTransitGatewayPeeringAttachmentRequest{TransitGatewayId: hub2.TransitGatewayId,
		PeerTransitGatewayId: spoke.TransitGatewayId, PeerAccountId: ptr.To("210987654321"), PeerRegion: ptr.To("eu-west-1")})).TransitGatewayPeeringAttachment
	must(f.RejectTransitGatewayPeeringAttachment(&west, &ec2api.RejectTransitGatewayPeeringAttachmentRequest{TransitGatewayAttachmentId: p2.TransitGatewayAttachmentId}))
	id = ptr.Deref(p2.TransitGatewayAttachmentId)
	if v := peerView(nil); ptr.Deref(v.State) != "rejected" {
		t.Fatalf("after reject %+v", v)
	}
}

func TestTransitGatewayModifyAndReferences(t *testing.T) {
	f := newFixture(t, "us-east-1")
	g := must(f.CreateTransitGateway(f.ctx, &ec2api.CreateTransitGatewayRequest{})).TransitGateway
	rt2 := must(f.CreateTransitGatewayRouteTable(f.ctx, &ec2api.CreateTransitGatewayRouteTableRequest{TransitGatewayId: g.TransitGatewayId})).TransitGatewayRouteTable.TransitGatewayRouteTableId
	m := must(f.ModifyTransitGateway(f.ctx, &ec2api.ModifyTransitGatewayRequest{TransitGatewayId: g.TransitGatewayId, Description: ptr.To("core"),
		Options: &ec2api.ModifyTransitGatewayOptions{AddTransitGatewayCidrBlocks: []string{"10.99.0.0/24"}, DnsSupport: ptr.To("disable"), AssociationDefaultRouteTableId: rt2}})).TransitGateway
	if ptr.Deref(m.Description) != "core" || ptr.Deref(m.Options.DnsSupport) != "disable" || ptr.Deref(m.Options.AssociationDefaultRouteTableId) != *rt2 ||
		len(m.Options.TransitGatewayCidrBlocks) != 1 || ptr.Deref(m.State) != "modifying" {
		t.Fatalf("modified %+v %+v", m, m.Options)
	}
	merrs := []struct {
		name string
		o    ec2api.ModifyTransitGatewayOptions
	}{
		{"bad switch", ec2api.ModifyTransitGatewayOptions{DnsSupport: ptr.To("maybe")}},
		{"bad cidr", ec2api.ModifyTransitGatewayOptions{AddTransitGatewayCidrBlocks: []string{"10.0.0.0/33"}}},
		{"bad asn", ec2api.ModifyTransitGatewayOptions{AmazonSideAsn: ptr.To(int64(7))}},
	}
	for _, c := range merrs {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.ModifyTransitGateway(f.ctx, &ec2api.ModifyTransitGatewayRequest{TransitGatewayId: g.TransitGatewayId, Options: &c.o})
			wantErr(t, err, "InvalidParameterValue", "")
		})
	}

	vpc := must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.30.0.0/16")})).Vpc.VpcId
	sa := must(f.CreateSubnet(f.ctx, &ec2api.CreateSubnetRequest{VpcId: vpc, CidrBlock: ptr.To("10.30.1.0/24"), AvailabilityZone: ptr.To("us-east-1a")})).Subnet.SubnetId
	sa2 := must(f.CreateSubnet(f.ctx, &ec2api.CreateSubnetRequest{VpcId: vpc, CidrBlock: ptr.To("10.30.3.0/24"), AvailabilityZone: ptr.To("us-east-1a")})).Subnet.SubnetId
	sb := must(f.CreateSubnet(f.ctx, &ec2api.CreateSubnetRequest{VpcId: vpc, CidrBlock: ptr.To("10.30.2.0/24"), AvailabilityZone: ptr.To("us-east-1b")})).Subnet.SubnetId
	att := must(f.CreateTransitGatewayVpcAttachment(f.ctx, &ec2api.CreateTransitGatewayVpcAttachmentRequest{TransitGatewayId: g.TransitGatewayId, VpcId: vpc, SubnetIds: []string{*sa}})).TransitGatewayVpcAttachment.TransitGatewayAttachmentId
	mv := must(f.ModifyTransitGatewayVpcAttachment(f.ctx, &ec2api.ModifyTransitGatewayVpcAttachmentRequest{TransitGatewayAttachmentId: att, AddSubnetIds: []string{*sb},
		Options: &ec2api.ModifyTransitGatewayVpcAttachmentRequestOptions{ApplianceModeSupport: ptr.To("enable")}})).TransitGatewayVpcAttachment
	if len(mv.SubnetIds) != 2 || ptr.Deref(mv.Options.ApplianceModeSupport) != "enable" {
		t.Fatalf("modified attachment %+v", mv)
	}
	verrs := []struct {
		name      string
		add, drop []string
		code      string
	}{
		{"second subnet in a zone", []string{*sa2}, nil, "DuplicateSubnetsInSameZone"},
		{"removing a subnet it does not have", nil, []string{*sa2}, "InvalidParameterValue"},
		{"removing every subnet", nil, []string{*sa, *sb}, "InvalidParameterValue"},
	}
	for _, c := range verrs {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.ModifyTransitGatewayVpcAttachment(f.ctx, &ec2api.ModifyTransitGatewayVpcAttachmentRequest{TransitGatewayAttachmentId: att, AddSubnetIds: c.add, RemoveSubnetIds: c.drop})
			wantErr(t, err, c.code, "")
		})
	}
	_, err := f.AcceptTransitGatewayVpcAttachment(f.ctx, &ec2api.AcceptTransitGatewayVpcAttachmentRequest{TransitGatewayAttachmentId: att})
	wantErr(t, err, "IncorrectState", "")

	// The attachment propagates to the default table.
	props := must(f.GetTransitGatewayAttachmentPropagations(f.ctx, &ec2api.GetTransitGatewayAttachmentPropagationsRequest{TransitGatewayAttachmentId: att})).TransitGatewayAttachmentPropagations
	if len(props) != 1 || ptr.Deref(props[0].TransitGatewayRouteTableId) != ptr.Deref(g.Options.PropagationDefaultRouteTableId) {
		t.Fatalf("propagations %+v", props)
	}

	// Prefix list references.
	pl := must(f.CreateManagedPrefixList(f.ctx, &ec2api.CreateManagedPrefixListRequest{PrefixListName: ptr.To("onprem"), AddressFamily: ptr.To("IPv4"), MaxEntries: ptr.To(int32(2)),
		Entries: []ec2api.AddPrefixListEntry{{Cidr: ptr.To("172.16.0.0/12")}}})).PrefixList.PrefixListId
	ref := must(f.CreateTransitGatewayPrefixListReference(f.ctx, &ec2api.CreateTransitGatewayPrefixListReferenceRequest{TransitGatewayRouteTableId: rt2, PrefixListId: pl, TransitGatewayAttachmentId: att})).TransitGatewayPrefixListReference
	if ptr.Deref(ref.State) != "pending" || ptr.Deref(ref.TransitGatewayAttachment.ResourceId) != *vpc || ptr.Deref(ref.PrefixListOwnerId) != testAccount {
		t.Fatalf("reference %+v", ref)
	}
	_, err = f.CreateTransitGatewayPrefixListReference(f.ctx, &ec2api.CreateTransitGatewayPrefixListReferenceRequest{TransitGatewayRouteTableId: rt2, PrefixListId: pl, Blackhole: ptr.To(true)})
	wantErr(t, err, "InvalidParameterValue", "")
	must(f.ModifyTransitGatewayPrefixListReference(f.ctx, &ec2api.ModifyTransitGatewayPrefixListReferenceRequest{TransitGatewayRouteTableId: rt2, PrefixListId: pl, Blackhole: ptr.To(true)}))
	got := must(f.GetTransitGatewayPrefixListReferences(f.ctx, &ec2api.GetTransitGatewayPrefixListReferencesRequest{TransitGatewayRouteTableId: rt2,
		Filters: []ec2api.Filter{{Name: ptr.To("is-blackhole"), Values: []string{"true"}}}})).TransitGatewayPrefixListReferences
	if len(got) != 1 {
		t.Fatalf("references %+v", got)
	}
	assoc := must(f.GetManagedPrefixListAssociations(f.ctx, &ec2api.GetManagedPrefixListAssociationsRequest{PrefixListId: pl})).PrefixListAssociations
	if len(assoc) != 1 || ptr.Deref(assoc[0].ResourceId) != *rt2 {
		t.Fatalf("prefix list associations %+v", assoc)
	}
	_, err = f.DeleteManagedPrefixList(f.ctx, &ec2api.DeleteManagedPrefixListRequest{PrefixListId: pl})
	wantErr(t, err, "DependencyViolation", "")
	must(f.DeleteTransitGatewayPrefixListReference(f.ctx, &ec2api.DeleteTransitGatewayPrefixListReferenceRequest{TransitGatewayRouteTableId: rt2, PrefixListId: pl}))
	_, err = f.DeleteTransitGatewayPrefixListReference(f.ctx, &ec2api.DeleteTransitGatewayPrefixListReferenceRequest{TransitGatewayRouteTableId: rt2, PrefixListId: pl})
	wantErr(t, err, "InvalidParameterValue", "")
	must(f.DeleteManagedPrefixList(f.ctx, &ec2api.DeleteManagedPrefixListRequest{PrefixListId: pl}))
}

func TestTransitGatewayForwarding(t *testing.T) {
	f := newFixture(t, "us-east-1")
	g := must(f.CreateTransitGateway(f.ctx, &ec2api.CreateTransitGatewayRequest{})).TransitGateway
	mkVPC := func(cidr, sub string) (*string, *string) {
		v := must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To(cidr)})).Vpc.VpcId
		s := must(f.CreateSubnet(f.ctx, &ec2api.CreateSubnetRequest{VpcId: v, CidrBlock: ptr.To(sub), AvailabilityZone: ptr.To("us-east-1a")})).Subnet.SubnetId
		return v, s
	}
	va, sa := mkVPC("10.61.0.0/16", "10.61.1.0/24")
	vb, sb := mkVPC("10.62.0.0/16", "10.62.1.0/24")
	attA := must(f.CreateTransitGatewayVpcAttachment(f.ctx, &ec2api.CreateTransitGatewayVpcAttachmentRequest{TransitGatewayId: g.TransitGatewayId, VpcId: va, SubnetIds: []string{*sa}})).TransitGatewayVpcAttachment.TransitGatewayAttachmentId
	must(f.CreateTransitGatewayVpcAttachment(f.ctx, &ec2api.CreateTransitGatewayVpcAttachmentRequest{TransitGatewayId: g.TransitGatewayId, VpcId: vb, SubnetIds: []string{*sb}}))
	main := must(f.DescribeRouteTables(f.ctx, &ec2api.DescribeRouteTablesRequest{Filters: []ec2api.Filter{{Name: ptr.To("vpc-id"), Values: []string{*va}}}})).RouteTables[0].RouteTableId
	must(f.CreateRoute(f.ctx, &ec2api.CreateRouteRequest{RouteTableId: main, DestinationCidrBlock: ptr.To("10.0.0.0/8"), TransitGatewayId: g.TransitGatewayId}))
	rt := ptr.Deref(g.Options.AssociationDefaultRouteTableId)

	hop := func(dst string) tgwHop {
		t.Helper()
		d := must(f.RouteFor(testAccount, "us-east-1", *sa, netip.MustParseAddr(dst)))
		if d.TargetType != "transit-gateway" || d.TransitGateway == nil {
			t.Fatalf("decision %+v", d)
		}
		return *d.TransitGateway
	}
	if h := hop("10.62.1.9"); h.ResourceID != *vb || h.ResourceType != "vpc" || h.RouteTableID != rt || h.Matched != "10.62.0.0/16" || h.Reason != "" {
		t.Fatalf("to VPC B: %+v", h)
	}
	if h := hop("10.70.0.1"); h.AttachmentID != "" || h.Reason == "" {
		t.Fatalf("to nowhere: %+v", h)
	}
	// Reachability Analyzer follows the same hop.
	src := must(f.CreateNetworkInterface(f.ctx, &ec2api.CreateNetworkInterfaceRequest{SubnetId: sa})).NetworkInterface.NetworkInterfaceId
	dstENI := must(f.CreateNetworkInterface(f.ctx, &ec2api.CreateNetworkInterfaceRequest{SubnetId: sb})).NetworkInterface.NetworkInterfaceId
	a := f.analysis(t, *src, *dstENI, "")
	if !ptr.Deref(a.NetworkPathFound) {
		t.Fatalf("analysis through the transit gateway: %+v", a.Explanations)
	}
	var path []string
	for _, c := range a.ForwardPathComponents {
		path = append(path, ptr.Deref(c.Component.Id))
	}
	if !contains(path, rt) || !contains(path, *dstENI) {
		t.Errorf("path %v lacks the gateway route table or the destination", path)
	}
	if a := f.analysis(t, *src, "", "10.70.0.1"); ptr.Deref(a.NetworkPathFound) || len(a.Explanations) == 0 || a.Explanations[0].TransitGateway == nil {
		t.Errorf("analysis to nowhere: %+v", a.Explanations)
	}
	// A more specific static blackhole wins over the propagated route.
	must(f.CreateTransitGatewayRoute(f.ctx, &ec2api.CreateTransitGatewayRouteRequest{TransitGatewayRouteTableId: ptr.To(rt), DestinationCidrBlock: ptr.To("10.62.1.0/24"), Blackhole: ptr.To(true)}))
	if h := hop("10.62.1.9"); !h.Blackhole || h.Matched != "10.62.1.0/24" {
		t.Fatalf("blackholed: %+v", h)
	}
	if h := hop("10.62.2.9"); h.ResourceID != *vb {
		t.Fatalf("outside the blackhole: %+v", h)
	}
	must(f.DisassociateTransitGatewayRouteTable(f.ctx, &ec2api.DisassociateTransitGatewayRouteTableRequest{TransitGatewayRouteTableId: ptr.To(rt), TransitGatewayAttachmentId: attA}))
	if h := hop("10.62.2.9"); h.RouteTableID != "" || h.Reason == "" {
		t.Fatalf("unassociated: %+v", h)
	}
}

// bucketFake is an objects.Store with one bucket, "routes".
type bucketFake struct {
	objects.Store
	puts map[string][]byte
}

func (b *bucketFake) PutServiceObject(_ context.Context, bucket, key string, body []byte, p objects.Principal) error {
	if bucket != "routes" {
		return objects.ErrNoSuchBucket
	}
	if p.CallerAccount != testAccount {
		return objects.ErrAccessDenied
	}
	b.puts[bucket+"/"+key] = body
	return nil
}

func TestExportTransitGatewayRoutes(t *testing.T) {
	f := newFixture(t, "us-east-1")
	fake := &bucketFake{puts: map[string][]byte{}}
	f.EC2.opts.Objects = fake
	g := must(f.CreateTransitGateway(f.ctx, &ec2api.CreateTransitGatewayRequest{})).TransitGateway
	rt := g.Options.AssociationDefaultRouteTableId
	must(f.CreateTransitGatewayRoute(f.ctx, &ec2api.CreateTransitGatewayRouteRequest{TransitGatewayRouteTableId: rt, DestinationCidrBlock: ptr.To("10.1.0.0/16"), Blackhole: ptr.To(true)}))
	must(f.CreateTransitGatewayRoute(f.ctx, &ec2api.CreateTransitGatewayRouteRequest{TransitGatewayRouteTableId: rt, DestinationCidrBlock: ptr.To("192.168.0.0/16"), Blackhole: ptr.To(true)}))
	out := must(f.ExportTransitGatewayRoutes(f.ctx, &ec2api.ExportTransitGatewayRoutesRequest{TransitGatewayRouteTableId: rt, S3Bucket: ptr.To("routes"),
		Filters: []ec2api.Filter{{Name: ptr.To("route-search.subnet-of-match"), Values: []string{"10.0.0.0/8"}}}}))
	loc := ptr.Deref(out.S3Location)
	want := "s3://routes/VPCTransitGateway/TransitGatewayRouteTables/" + testAccount + "_us-east-1_" + *rt + "_"
	if !strings.HasPrefix(loc, want) {
		t.Fatalf("location %s, want prefix %s", loc, want)
	}
	var doc struct {
		Filter []struct{ Name string } `json:"filter"`
		Routes []struct {
			DestinationCidrBlock string `json:"destinationCidrBlock"`
			State                string `json:"state"`
		} `json:"routes"`
	}
	if err := json.Unmarshal(fake.puts[strings.TrimPrefix(loc, "s3://")], &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Filter) != 1 || len(doc.Routes) != 1 || doc.Routes[0].DestinationCidrBlock != "10.1.0.0/16" || doc.Routes[0].State != "blackhole" {
		t.Fatalf("exported %+v", doc)
	}
	_, err := f.ExportTransitGatewayRoutes(f.ctx, &ec2api.ExportTransitGatewayRoutesRequest{TransitGatewayRouteTableId: rt, S3Bucket: ptr.To("nope")})
	wantErr(t, err, "InvalidParameterValue", "The S3 bucket nope does not exist.")
	_, err = f.ExportTransitGatewayRoutes(f.ctx, &ec2api.ExportTransitGatewayRoutesRequest{TransitGatewayRouteTableId: ptr.To("tgw-rtb-0123456789abcdef0"), S3Bucket: ptr.To("routes")})
	wantErr(t, err, "InvalidRouteTableID.NotFound", "")
}

func TestTransitGatewayConnect(t *testing.T) {
	f := newFixture(t, "us-east-1")
	g := must(f.CreateTransitGateway(f.ctx, &ec2api.CreateTransitGatewayRequest{})).TransitGateway
	vpc := must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.70.0.0/16")})).Vpc.VpcId
	sub := must(f.CreateSubnet(f.ctx, &ec2api.CreateSubnetRequest{VpcId: vpc, CidrBlock: ptr.To("10.70.1.0/24")})).Subnet.SubnetId
	transport := must(f.CreateTransitGatewayVpcAttachment(f.ctx, &ec2api.CreateTransitGatewayVpcAttachmentRequest{TransitGatewayId: g.TransitGatewayId, VpcId: vpc, SubnetIds: []string{*sub}})).TransitGatewayVpcAttachment.TransitGatewayAttachmentId
	c := must(f.CreateTransitGatewayConnect(f.ctx, &ec2api.CreateTransitGatewayConnectRequest{TransportTransitGatewayAttachmentId: transport,
		Options: &ec2api.CreateTransitGatewayConnectRequestOptions{Protocol: ptr.To("gre")}})).TransitGatewayConnect
	if ptr.Deref(c.TransitGatewayId) != *g.TransitGatewayId || ptr.Deref(c.State) != "pending" {
		t.Fatalf("connect %+v", c)
	}
	all := must(f.DescribeTransitGatewayAttachments(f.ctx, &ec2api.DescribeTransitGatewayAttachmentsRequest{Filters: []ec2api.Filter{{Name: ptr.To("resource-type"), Values: []string{"connect"}}}})).TransitGatewayAttachments
	if len(all) != 1 || ptr.Deref(all[0].ResourceId) != *transport {
		t.Fatalf("connect attachments %+v", all)
	}
	peer := func(inside ...string) (*ec2api.TransitGatewayConnectPeer, error) {
		out, err := f.CreateTransitGatewayConnectPeer(f.ctx, &ec2api.CreateTransitGatewayConnectPeerRequest{TransitGatewayAttachmentId: c.TransitGatewayAttachmentId,
			PeerAddress: ptr.To("10.70.1.10"), InsideCidrBlocks: inside, BgpOptions: &ec2api.TransitGatewayConnectRequestBgpOptions{PeerAsn: ptr.To(int64(65010))}})
		if err != nil {
			return nil, err
		}
		return out.TransitGatewayConnectPeer, nil
	}
	// The gateway needs a CIDR block for its GRE address.
	_, err := peer("169.254.10.0/29")
	wantErr(t, err, "InvalidParameterValue", "")
	must(f.ModifyTransitGateway(f.ctx, &ec2api.ModifyTransitGatewayRequest{TransitGatewayId: g.TransitGatewayId, Options: &ec2api.ModifyTransitGatewayOptions{AddTransitGatewayCidrBlocks: []string{"192.0.2.0/24"}}}))
	for _, bad := range [][]string{{"169.254.10.0/28"}, {"169.254.1.0/29"}, {"10.0.0.0/29"}, {"169.254.10.0/29", "169.254.11.0/29"}, {"fd00::/125"}} {
		_, err := peer(bad...)
		wantErr(t, err, "InvalidParameterValue", "")
	}
	p := must(peer("169.254.10.0/29"))
	cfg := p.ConnectPeerConfiguration
	if ptr.Deref(cfg.TransitGatewayAddress) != "192.0.2.0" || len(cfg.BgpConfigurations) != 2 || ptr.Deref(cfg.BgpConfigurations[0].BgpStatus) != "down" ||
		ptr.Deref(cfg.BgpConfigurations[0].PeerAddress) != "169.254.10.1" || ptr.Deref(cfg.BgpConfigurations[1].TransitGatewayAddress) != "169.254.10.3" {
		t.Fatalf("peer %+v", cfg)
	}
	_, err = f.DeleteTransitGatewayConnect(f.ctx, &ec2api.DeleteTransitGatewayConnectRequest{TransitGatewayAttachmentId: c.TransitGatewayAttachmentId})
	wantErr(t, err, "IncorrectState", "")
	_, err = f.DeleteTransitGatewayVpcAttachment(f.ctx, &ec2api.DeleteTransitGatewayVpcAttachmentRequest{TransitGatewayAttachmentId: transport})
	wantErr(t, err, "IncorrectState", "")
	if ps := must(f.DescribeTransitGatewayConnectPeers(f.ctx, &ec2api.DescribeTransitGatewayConnectPeersRequest{})).TransitGatewayConnectPeers; len(ps) != 1 {
		t.Fatalf("peers %+v", ps)
	}
	must(f.DeleteTransitGatewayConnectPeer(f.ctx, &ec2api.DeleteTransitGatewayConnectPeerRequest{TransitGatewayConnectPeerId: p.TransitGatewayConnectPeerId}))
	must(f.DeleteTransitGatewayConnect(f.ctx, &ec2api.DeleteTransitGatewayConnectRequest{TransitGatewayAttachmentId: c.TransitGatewayAttachmentId}))
	must(f.DeleteTransitGatewayVpcAttachment(f.ctx, &ec2api.DeleteTransitGatewayVpcAttachmentRequest{TransitGatewayAttachmentId: transport}))
	if cs := must(f.DescribeTransitGatewayConnects(f.ctx, &ec2api.DescribeTransitGatewayConnectsRequest{})).TransitGatewayConnects; len(cs) != 0 {
		t.Fatalf("connects left %+v", cs)
	}
}

func TestTransitGatewayMulticast(t *testing.T) {
	f := newFixture(t, "us-east-1")
	plain := must(f.CreateTransitGateway(f.ctx, &ec2api.CreateTransitGatewayRequest{})).TransitGateway
	_, err := f.CreateTransitGatewayMulticastDomain(f.ctx, &ec2api.CreateTransitGatewayMulticastDomainRequest{TransitGatewayId: plain.TransitGatewayId})
	wantErr(t, err, "InvalidParameterValue", "")
	g := must(f.CreateTransitGateway(f.ctx, &ec2api.CreateTransitGatewayRequest{Options: &ec2api.TransitGatewayRequestOptions{MulticastSupport: ptr.To("enable")}})).TransitGateway
	d := must(f.CreateTransitGatewayMulticastDomain(f.ctx, &ec2api.CreateTransitGatewayMulticastDomainRequest{TransitGatewayId: g.TransitGatewayId,
		Options: &ec2api.CreateTransitGatewayMulticastDomainRequestOptions{Igmpv2Support: ptr.To("enable")}})).TransitGatewayMulticastDomain
	dom := d.TransitGatewayMulticastDomainId
	vpc := must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.71.0.0/16")})).Vpc.VpcId
	s1 := must(f.CreateSubnet(f.ctx, &ec2api.CreateSubnetRequest{VpcId: vpc, CidrBlock: ptr.To("10.71.1.0/24"), AvailabilityZone: ptr.To("us-east-1a")})).Subnet.SubnetId
	s2 := must(f.CreateSubnet(f.ctx, &ec2api.CreateSubnetRequest{VpcId: vpc, CidrBlock: ptr.To("10.71.2.0/24"), AvailabilityZone: ptr.To("us-east-1b")})).Subnet.SubnetId
	att := must(f.CreateTransitGatewayVpcAttachment(f.ctx, &ec2api.CreateTransitGatewayVpcAttachmentRequest{TransitGatewayId: g.TransitGatewayId, VpcId: vpc, SubnetIds: []string{*s1}})).TransitGatewayVpcAttachment.TransitGatewayAttachmentId
	_, err = f.AssociateTransitGatewayMulticastDomain(f.ctx, &ec2api.AssociateTransitGatewayMulticastDomainRequest{TransitGatewayMulticastDomainId: dom, TransitGatewayAttachmentId: att, SubnetIds: []string{*s2}})
	wantErr(t, err, "InvalidParameterValue", "")
	as := must(f.AssociateTransitGatewayMulticastDomain(f.ctx, &ec2api.AssociateTransitGatewayMulticastDomainRequest{TransitGatewayMulticastDomainId: dom, TransitGatewayAttachmentId: att, SubnetIds: []string{*s1}})).Associations
	if ptr.Deref(as.ResourceId) != *vpc || len(as.Subnets) != 1 || ptr.Deref(as.Subnets[0].State) != "associating" {
		t.Fatalf("associations %+v", as)
	}
	in1 := must(f.CreateNetworkInterface(f.ctx, &ec2api.CreateNetworkInterfaceRequest{SubnetId: s1})).NetworkInterface.NetworkInterfaceId
	out2 := must(f.CreateNetworkInterface(f.ctx, &ec2api.CreateNetworkInterfaceRequest{SubnetId: s2})).NetworkInterface.NetworkInterfaceId
	_, err = f.RegisterTransitGatewayMulticastGroupMembers(f.ctx, &ec2api.RegisterTransitGatewayMulticastGroupMembersRequest{TransitGatewayMulticastDomainId: dom, GroupIpAddress: ptr.To("10.0.0.1"), NetworkInterfaceIds: []string{*in1}})
	wantErr(t, err, "InvalidParameterValue", "")
	_, err = f.RegisterTransitGatewayMulticastGroupMembers(f.ctx, &ec2api.RegisterTransitGatewayMulticastGroupMembersRequest{TransitGatewayMulticastDomainId: dom, GroupIpAddress: ptr.To("224.0.0.9"), NetworkInterfaceIds: []string{*out2}})
	wantErr(t, err, "InvalidParameterValue", "")
	must(f.RegisterTransitGatewayMulticastGroupMembers(f.ctx, &ec2api.RegisterTransitGatewayMulticastGroupMembersRequest{TransitGatewayMulticastDomainId: dom, GroupIpAddress: ptr.To("224.0.0.9"), NetworkInterfaceIds: []string{*in1}}))
	must(f.RegisterTransitGatewayMulticastGroupSources(f.ctx, &ec2api.RegisterTransitGatewayMulticastGroupSourcesRequest{TransitGatewayMulticastDomainId: dom, GroupIpAddress: ptr.To("224.0.0.9"), NetworkInterfaceIds: []string{*in1}}))
	search := func(name, value string) []ec2api.TransitGatewayMulticastGroup {
		return must(f.SearchTransitGatewayMulticastGroups(f.ctx, &ec2api.SearchTransitGatewayMulticastGroupsRequest{TransitGatewayMulticastDomainId: dom,
			Filters: []ec2api.Filter{{Name: ptr.To(name), Values: []string{value}}}})).MulticastGroups
	}
	if m := search("is-group-member", "true"); len(m) != 1 || ptr.Deref(m[0].MemberType) != "static" || ptr.Deref(m[0].NetworkInterfaceId) != *in1 {
		t.Fatalf("members %+v", m)
	}
	if m := search("group-ip-address", "224.0.0.9"); len(m) != 2 {
		t.Fatalf("group %+v", m)
	}
	dr := must(f.DeregisterTransitGatewayMulticastGroupSources(f.ctx, &ec2api.DeregisterTransitGatewayMulticastGroupSourcesRequest{TransitGatewayMulticastDomainId: dom, GroupIpAddress: ptr.To("224.0.0.9"), NetworkInterfaceIds: []string{*in1}}))
	if ids := dr.DeregisteredMulticastGroupSources.DeregisteredNetworkInterfaceIds; len(ids) != 1 {
		t.Fatalf("deregistered %v", ids)
	}
	_, err = f.AcceptTransitGatewayMulticastDomainAssociations(f.ctx, &ec2api.AcceptTransitGatewayMulticastDomainAssociationsRequest{TransitGatewayMulticastDomainId: dom})
	wantErr(t, err, "IncorrectState", "")
	if a := must(f.GetTransitGatewayMulticastDomainAssociations(f.ctx, &ec2api.GetTransitGatewayMulticastDomainAssociationsRequest{TransitGatewayMulticastDomainId: dom})).MulticastDomainAssociations; len(a) != 1 {
		t.Fatalf("associations %+v", a)
	}
	_, err = f.DeleteTransitGatewayMulticastDomain(f.ctx, &ec2api.DeleteTransitGatewayMulticastDomainRequest{TransitGatewayMulticastDomainId: dom})
	wantErr(t, err, "IncorrectState", "")
	must(f.DisassociateTransitGatewayMulticastDomain(f.ctx, &ec2api.DisassociateTransitGatewayMulticastDomainRequest{TransitGatewayMulticastDomainId: dom, TransitGatewayAttachmentId: att, SubnetIds: []string{*s1}}))
	if m := search("group-ip-address", "224.0.0.9"); len(m) != 0 {
		t.Fatalf("members left after disassociation %+v", m)
	}
	must(f.DeleteTransitGatewayMulticastDomain(f.ctx, &ec2api.DeleteTransitGatewayMulticastDomainRequest{TransitGatewayMulticastDomainId: dom}))
}
