package ec2

import (
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestPrefixListVersionsAndAssociations(t *testing.T) {
	f := newFixture(t, "us-west-2")
	id := must(f.CreateManagedPrefixList(f.ctx, &ec2api.CreateManagedPrefixListRequest{PrefixListName: ptr.To("partners"), AddressFamily: ptr.To("IPv4"), MaxEntries: ptr.To(int32(5)),
		Entries: []ec2api.AddPrefixListEntry{{Cidr: ptr.To("10.1.0.0/16")}, {Cidr: ptr.To("10.2.0.0/16")}}})).PrefixList.PrefixListId
	must(f.ModifyManagedPrefixList(f.ctx, &ec2api.ModifyManagedPrefixListRequest{PrefixListId: id, CurrentVersion: ptr.To(int64(1)), RemoveEntries: []ec2api.RemovePrefixListEntry{{Cidr: ptr.To("10.2.0.0/16")}}}))

	errs := []struct {
		name      string
		prev, cur int64
		code      string
	}{
		{"stale current version", 1, 1, "PrefixListVersionMismatch"},
		{"unknown previous version", 7, 2, "InvalidPrefixListVersion.NotFound"},
		{"previous is current", 2, 2, "InvalidPrefixListVersion.NotFound"},
	}
	for _, c := range errs {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.RestoreManagedPrefixListVersion(f.ctx, &ec2api.RestoreManagedPrefixListVersionRequest{PrefixListId: id, PreviousVersion: ptr.To(c.prev), CurrentVersion: ptr.To(c.cur)})
			wantErr(t, err, c.code, "")
		})
	}
	r := must(f.RestoreManagedPrefixListVersion(f.ctx, &ec2api.RestoreManagedPrefixListVersionRequest{PrefixListId: id, PreviousVersion: ptr.To(int64(1)), CurrentVersion: ptr.To(int64(2))})).PrefixList
	if ptr.Deref(r.Version) != 3 || ptr.Deref(r.State) != "restore-in-progress" {
		t.Fatalf("restored %+v", r)
	}
	if e := must(f.GetManagedPrefixListEntries(f.ctx, &ec2api.GetManagedPrefixListEntriesRequest{PrefixListId: id})).Entries; len(e) != 2 {
		t.Fatalf("entries after restore %+v", e)
	}
	if e := must(f.GetManagedPrefixListEntries(f.ctx, &ec2api.GetManagedPrefixListEntriesRequest{PrefixListId: id, TargetVersion: ptr.To(int64(2))})).Entries; len(e) != 1 {
		t.Fatalf("version 2 entries %+v", e)
	}

	// Associations: a route and a security group rule refer to the list.
	vpc := must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.9.0.0/16")})).Vpc.VpcId
	igw := must(f.CreateInternetGateway(f.ctx, &ec2api.CreateInternetGatewayRequest{})).InternetGateway.InternetGatewayId
	must(f.AttachInternetGateway(f.ctx, &ec2api.AttachInternetGatewayRequest{InternetGatewayId: igw, VpcId: vpc}))
	rt := must(f.CreateRouteTable(f.ctx, &ec2api.CreateRouteTableRequest{VpcId: vpc})).RouteTable.RouteTableId
	assocs := func() []string {
		var out []string
		for _, a := range must(f.GetManagedPrefixListAssociations(f.ctx, &ec2api.GetManagedPrefixListAssociationsRequest{PrefixListId: id})).PrefixListAssociations {
			out = append(out, ptr.Deref(a.ResourceId))
		}
		return out
	}
	if a := assocs(); len(a) != 0 {
		t.Fatalf("associations before use %v", a)
	}
	must(f.CreateRoute(f.ctx, &ec2api.CreateRouteRequest{RouteTableId: rt, DestinationPrefixListId: id, GatewayId: igw}))
	sg := must(f.CreateSecurityGroup(f.ctx, &ec2api.CreateSecurityGroupRequest{VpcId: vpc, GroupName: ptr.To("p"), Description: ptr.To("p")})).GroupId
	must(f.AuthorizeSecurityGroupIngress(f.ctx, &ec2api.AuthorizeSecurityGroupIngressRequest{GroupId: sg, IpPermissions: []ec2api.IpPermission{{IpProtocol: ptr.To("tcp"),
		FromPort: ptr.To(int32(443)), ToPort: ptr.To(int32(443)), PrefixListIds: []ec2api.PrefixListId{{PrefixListId: id}}}}}))
	if a := assocs(); len(a) != 2 || !contains(a, *rt) || !contains(a, *sg) {
		t.Fatalf("associations %v", a)
	}
	_, err := f.DeleteManagedPrefixList(f.ctx, &ec2api.DeleteManagedPrefixListRequest{PrefixListId: id})
	wantErr(t, err, "DependencyViolation", "")
	_, err = f.GetManagedPrefixListAssociations(f.ctx, &ec2api.GetManagedPrefixListAssociationsRequest{PrefixListId: ptr.To("pl-0123456789abcdef0")})
	wantErr(t, err, "InvalidPrefixListID.NotFound", "")
}
