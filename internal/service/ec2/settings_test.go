package ec2

import (
	"testing"
	"time"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/service/ec2/images"
)

func TestIDFormats(t *testing.T) {
	f := newFixture(t, "us-east-1")
	one := must(f.DescribeIdFormat(f.ctx, &ec2api.DescribeIdFormatRequest{Resource: ptr.To("instance")})).Statuses
	if len(one) != 1 || !ptr.Deref(one[0].UseLongIds) {
		t.Fatalf("instance id format %+v", one)
	}
	if agg := must(f.DescribeAggregateIdFormat(f.ctx, &ec2api.DescribeAggregateIdFormatRequest{})); !ptr.Deref(agg.UseLongIdsAggregated) || len(agg.Statuses) != len(idFormatResources) {
		t.Fatalf("aggregate %+v", agg)
	}
	p := must(f.DescribePrincipalIdFormat(f.ctx, &ec2api.DescribePrincipalIdFormatRequest{Resources: []string{"vpc"}})).Principals
	if len(p) != 1 || ptr.Deref(p[0].Arn) != "arn:aws:iam::"+testAccount+":root" || len(p[0].Statuses) != 1 {
		t.Fatalf("principal %+v", p)
	}
	must(f.ModifyIdFormat(f.ctx, &ec2api.ModifyIdFormatRequest{Resource: ptr.To("volume"), UseLongIds: ptr.To(true)}))
	_, err := f.ModifyIdFormat(f.ctx, &ec2api.ModifyIdFormatRequest{Resource: ptr.To("volume"), UseLongIds: ptr.To(false)})
	wantErr(t, err, "InvalidParameterValue", "")
	_, err = f.DescribeIdFormat(f.ctx, &ec2api.DescribeIdFormatRequest{Resource: ptr.To("spaceship")})
	wantErr(t, err, "InvalidParameterValue", "")
	_, err = f.DescribeIdentityIdFormat(f.ctx, &ec2api.DescribeIdentityIdFormatRequest{})
	wantErr(t, err, "MissingParameter", "")
}

func TestAccountSettings(t *testing.T) {
	f := newFixture(t, "us-east-1")
	if v := must(f.GetSerialConsoleAccessStatus(f.ctx, &ec2api.GetSerialConsoleAccessStatusRequest{})); ptr.Deref(v.SerialConsoleAccessEnabled) {
		t.Fatal("serial console starts disabled")
	}
	must(f.EnableSerialConsoleAccess(f.ctx, &ec2api.EnableSerialConsoleAccessRequest{}))
	if v := must(f.GetSerialConsoleAccessStatus(f.ctx, &ec2api.GetSerialConsoleAccessStatusRequest{})); !ptr.Deref(v.SerialConsoleAccessEnabled) {
		t.Fatal("serial console enabled")
	}
	if v := must(f.GetImageBlockPublicAccessState(f.ctx, &ec2api.GetImageBlockPublicAccessStateRequest{})); ptr.Deref(v.ImageBlockPublicAccessState) != "unblocked" {
		t.Fatalf("image block state %v", ptr.Deref(v.ImageBlockPublicAccessState))
	}
	_, err := f.EnableImageBlockPublicAccess(f.ctx, &ec2api.EnableImageBlockPublicAccessRequest{ImageBlockPublicAccessState: ptr.To("block-all")})
	wantErr(t, err, "InvalidParameterValue", "")
	must(f.EnableImageBlockPublicAccess(f.ctx, &ec2api.EnableImageBlockPublicAccessRequest{ImageBlockPublicAccessState: ptr.To("block-new-sharing")}))
	must(f.EnableSnapshotBlockPublicAccess(f.ctx, &ec2api.EnableSnapshotBlockPublicAccessRequest{State: ptr.To("block-all-sharing")}))
	if v := must(f.GetSnapshotBlockPublicAccessState(f.ctx, &ec2api.GetSnapshotBlockPublicAccessStateRequest{})); ptr.Deref(v.State) != "block-all-sharing" {
		t.Fatalf("snapshot block state %v", ptr.Deref(v.State))
	}

	// Blocked public sharing refuses Group=all on images and snapshots.
	res := must(f.RunInstances(f.ctx, &ec2api.RunInstancesRequest{ImageId: ptr.To(images.Catalog("us-east-1")[0].ID), MinCount: ptr.To(int32(1)), MaxCount: ptr.To(int32(1))}))
	inst := res.Instances[0].InstanceId
	f.expectState(ptr.Deref(inst), "pending")
	f.clock.Advance(5 * time.Second)
	f.expectState(ptr.Deref(inst), "running")
	ami := must(f.CreateImage(f.ctx, &ec2api.CreateImageRequest{InstanceId: inst, Name: ptr.To("blocked")})).ImageId
	all := &ec2api.LaunchPermissionModifications{Add: []ec2api.LaunchPermission{{Group: ptr.To("all")}}}
	_, err = f.ModifyImageAttribute(f.ctx, &ec2api.ModifyImageAttributeRequest{ImageId: ami, LaunchPermission: all})
	wantErr(t, err, "OperationNotPermitted", "")
	vol := must(f.CreateVolume(f.ctx, &ec2api.CreateVolumeRequest{AvailabilityZone: ptr.To("us-east-1a"), Size: ptr.To(int32(1))})).VolumeId
	snap := must(f.CreateSnapshot(f.ctx, &ec2api.CreateSnapshotRequest{VolumeId: vol})).SnapshotId
	_, err = f.ModifySnapshotAttribute(f.ctx, &ec2api.ModifySnapshotAttributeRequest{SnapshotId: snap, Attribute: ptr.To("createVolumePermission"), OperationType: ptr.To("add"), GroupNames: []string{"all"}})
	wantErr(t, err, "OperationNotPermitted", "")
	must(f.DisableImageBlockPublicAccess(f.ctx, &ec2api.DisableImageBlockPublicAccessRequest{}))
	must(f.ModifyImageAttribute(f.ctx, &ec2api.ModifyImageAttributeRequest{ImageId: ami, LaunchPermission: all}))
	must(f.ResetImageAttribute(f.ctx, &ec2api.ResetImageAttributeRequest{ImageId: ami, Attribute: ptr.To("launchPermission")}))
	if a := must(f.DescribeImageAttribute(f.ctx, &ec2api.DescribeImageAttributeRequest{ImageId: ami, Attribute: ptr.To("launchPermission")})); len(a.LaunchPermissions) != 0 {
		t.Fatalf("after reset %+v", a.LaunchPermissions)
	}
	must(f.DisableSnapshotBlockPublicAccess(f.ctx, &ec2api.DisableSnapshotBlockPublicAccessRequest{}))
	must(f.ModifySnapshotAttribute(f.ctx, &ec2api.ModifySnapshotAttributeRequest{SnapshotId: snap, Attribute: ptr.To("createVolumePermission"), OperationType: ptr.To("add"), GroupNames: []string{"all"}}))
	must(f.ResetSnapshotAttribute(f.ctx, &ec2api.ResetSnapshotAttributeRequest{SnapshotId: snap, Attribute: ptr.To("createVolumePermission")}))
	if a := must(f.DescribeSnapshotAttribute(f.ctx, &ec2api.DescribeSnapshotAttributeRequest{SnapshotId: snap, Attribute: ptr.To("createVolumePermission")})); len(a.CreateVolumePermissions) != 0 {
		t.Fatalf("after reset %+v", a.CreateVolumePermissions)
	}
	_, err = f.ResetSnapshotAttribute(f.ctx, &ec2api.ResetSnapshotAttributeRequest{SnapshotId: snap, Attribute: ptr.To("productCodes")})
	wantErr(t, err, "InvalidParameterValue", "")
	must(f.ModifyVolumeAttribute(f.ctx, &ec2api.ModifyVolumeAttributeRequest{VolumeId: vol, AutoEnableIO: &ec2api.AttributeBooleanValue{Value: ptr.To(true)}}))
	_, err = f.EnableVolumeIO(f.ctx, &ec2api.EnableVolumeIORequest{VolumeId: ptr.To("vol-0123456789abcdef0")})
	wantErr(t, err, "InvalidVolume.NotFound", "")
	if topo := must(f.DescribeInstanceTopology(f.ctx, &ec2api.DescribeInstanceTopologyRequest{InstanceIds: []string{ptr.Deref(inst)}})); topo.Instances == nil || len(topo.Instances) != 0 {
		t.Fatalf("topology %+v", topo)
	}
}

func TestPeeringTenancyAndVpcGroups(t *testing.T) {
	f := newFixture(t, "us-east-1")
	a := must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.9.0.0/16"), InstanceTenancy: ptr.To("dedicated")})).Vpc.VpcId
	b := must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.10.0.0/16")})).Vpc.VpcId
	pcx := must(f.CreateVpcPeeringConnection(f.ctx, &ec2api.CreateVpcPeeringConnectionRequest{VpcId: a, PeerVpcId: b})).VpcPeeringConnection.VpcPeeringConnectionId
	must(f.RejectVpcPeeringConnection(f.ctx, &ec2api.RejectVpcPeeringConnectionRequest{VpcPeeringConnectionId: pcx}))
	p := must(f.DescribeVpcPeeringConnections(f.ctx, &ec2api.DescribeVpcPeeringConnectionsRequest{VpcPeeringConnectionIds: []string{ptr.Deref(pcx)}})).VpcPeeringConnections[0]
	if ptr.Deref(p.Status.Code) != "rejected" {
		t.Fatalf("peering %+v", p.Status)
	}
	_, err := f.RejectVpcPeeringConnection(f.ctx, &ec2api.RejectVpcPeeringConnectionRequest{VpcPeeringConnectionId: pcx})
	wantErr(t, err, "InvalidStateTransition", "")

	_, err = f.ModifyVpcTenancy(f.ctx, &ec2api.ModifyVpcTenancyRequest{VpcId: a, InstanceTenancy: ptr.To("dedicated")})
	wantErr(t, err, "InvalidParameterValue", "")
	must(f.ModifyVpcTenancy(f.ctx, &ec2api.ModifyVpcTenancyRequest{VpcId: a, InstanceTenancy: ptr.To("default")}))
	if v := must(f.DescribeVpcs(f.ctx, &ec2api.DescribeVpcsRequest{VpcIds: []string{ptr.Deref(a)}})).Vpcs[0]; ptr.Deref(v.InstanceTenancy) != "default" {
		t.Fatalf("tenancy %v", ptr.Deref(v.InstanceTenancy))
	}

	must(f.CreateSecurityGroup(f.ctx, &ec2api.CreateSecurityGroupRequest{VpcId: b, GroupName: ptr.To("db"), Description: ptr.To("db")}))
	gs := must(f.GetSecurityGroupsForVpc(f.ctx, &ec2api.GetSecurityGroupsForVpcRequest{VpcId: b})).SecurityGroupForVpcs
	if len(gs) != 2 { // default and db
		t.Fatalf("groups for vpc %+v", gs)
	}
	for _, g := range gs {
		if ptr.Deref(g.PrimaryVpcId) != ptr.Deref(b) {
			t.Fatalf("group of another vpc %+v", g)
		}
	}
	_, err = f.GetSecurityGroupsForVpc(f.ctx, &ec2api.GetSecurityGroupsForVpcRequest{VpcId: ptr.To("vpc-0123456789abcdef0")})
	wantErr(t, err, "InvalidVpcID.NotFound", "")
}
