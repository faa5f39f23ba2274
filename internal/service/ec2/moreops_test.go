package ec2

import (
	"testing"
	"time"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/service/ec2/images"
)

func runningInstance(t *testing.T, f *fixture) string {
	t.Helper()
	res := must(f.RunInstances(f.ctx, &ec2api.RunInstancesRequest{ImageId: ptr.To(images.Catalog("us-east-1")[0].ID), MinCount: ptr.To(int32(1)), MaxCount: ptr.To(int32(1))}))
	id := ptr.Deref(res.Instances[0].InstanceId)
	f.expectState(id, "pending")
	f.clock.Advance(5 * time.Second)
	f.expectState(id, "running")
	return id
}

func TestImageSwitches(t *testing.T) {
	f := newFixture(t, "us-east-1")
	inst := runningInstance(t, f)
	ami := must(f.CreateImage(f.ctx, &ec2api.CreateImageRequest{InstanceId: ptr.To(inst), Name: ptr.To("switches")})).ImageId
	image := func() ec2api.Image {
		return must(f.DescribeImages(f.ctx, &ec2api.DescribeImagesRequest{ImageIds: []string{ptr.Deref(ami)}})).Images[0]
	}
	must(f.DisableImage(f.ctx, &ec2api.DisableImageRequest{ImageId: ami}))
	if ptr.Deref(image().State) != "disabled" {
		t.Fatal("disabled image")
	}
	_, err := f.RunInstances(f.ctx, &ec2api.RunInstancesRequest{ImageId: ami, MinCount: ptr.To(int32(1)), MaxCount: ptr.To(int32(1))})
	wantErr(t, err, "InvalidAMIID.NotFound", "")
	_, err = f.DisableImage(f.ctx, &ec2api.DisableImageRequest{ImageId: ami})
	wantErr(t, err, "IncorrectState", "")
	must(f.EnableImage(f.ctx, &ec2api.EnableImageRequest{ImageId: ami}))

	at := t0.Add(48*time.Hour + 30*time.Second)
	must(f.EnableImageDeprecation(f.ctx, &ec2api.EnableImageDeprecationRequest{ImageId: ami, DeprecateAt: ptr.To(at)}))
	if got := ptr.Deref(image().DeprecationTime); got != "2024-05-08T07:08:00.000Z" {
		t.Fatalf("deprecation time %s", got)
	}
	must(f.DisableImageDeprecation(f.ctx, &ec2api.DisableImageDeprecationRequest{ImageId: ami}))
	if image().DeprecationTime != nil {
		t.Fatal("deprecation cleared")
	}

	if r := must(f.EnableImageDeregistrationProtection(f.ctx, &ec2api.EnableImageDeregistrationProtectionRequest{ImageId: ami, WithCooldown: ptr.To(true)})); ptr.Deref(r.Return) != "enabled-with-cooldown" {
		t.Fatalf("protection %v", ptr.Deref(r.Return))
	}
	_, err = f.DeregisterImage(f.ctx, &ec2api.DeregisterImageRequest{ImageId: ami})
	wantErr(t, err, "OperationNotPermitted", "")
	must(f.DisableImageDeregistrationProtection(f.ctx, &ec2api.DisableImageDeregistrationProtectionRequest{ImageId: ami}))
	_, err = f.DeregisterImage(f.ctx, &ec2api.DeregisterImageRequest{ImageId: ami})
	wantErr(t, err, "OperationNotPermitted", "") // the 24-hour cooldown
	f.clock.Advance(25 * time.Hour)
	must(f.DeregisterImage(f.ctx, &ec2api.DeregisterImageRequest{ImageId: ami}))
	_, err = f.DisableImage(f.ctx, &ec2api.DisableImageRequest{ImageId: ptr.To(images.Catalog("us-east-1")[0].ID)})
	wantErr(t, err, "AuthFailure", "")
}

func TestCreateSnapshotsAndResetInstanceAttribute(t *testing.T) {
	f := newFixture(t, "us-east-1")
	inst := runningInstance(t, f)
	vol := must(f.CreateVolume(f.ctx, &ec2api.CreateVolumeRequest{AvailabilityZone: ptr.To("us-east-1a"), Size: ptr.To(int32(2)),
		TagSpecifications: []ec2api.TagSpecification{{ResourceType: ptr.To("volume"), Tags: []ec2api.Tag{{Key: ptr.To("disk"), Value: ptr.To("data")}}}}})).VolumeId
	must(f.AttachVolume(f.ctx, &ec2api.AttachVolumeRequest{VolumeId: vol, InstanceId: ptr.To(inst), Device: ptr.To("/dev/sdf")}))
	all := must(f.CreateSnapshots(f.ctx, &ec2api.CreateSnapshotsRequest{InstanceSpecification: &ec2api.InstanceSpecification{InstanceId: ptr.To(inst)}, CopyTagsFromSource: ptr.To("volume")})).Snapshots
	if len(all) != 2 {
		t.Fatalf("snapshots of root and data %+v", all)
	}
	data := must(f.CreateSnapshots(f.ctx, &ec2api.CreateSnapshotsRequest{InstanceSpecification: &ec2api.InstanceSpecification{InstanceId: ptr.To(inst), ExcludeBootVolume: ptr.To(true)}, CopyTagsFromSource: ptr.To("volume")})).Snapshots
	if len(data) != 1 || ptr.Deref(data[0].VolumeId) != ptr.Deref(vol) || len(data[0].Tags) != 1 || ptr.Deref(data[0].Tags[0].Value) != "data" {
		t.Fatalf("data snapshot %+v", data)
	}
	_, err := f.CreateSnapshots(f.ctx, &ec2api.CreateSnapshotsRequest{InstanceSpecification: &ec2api.InstanceSpecification{InstanceId: ptr.To("i-0123456789abcdef0")}})
	wantErr(t, err, "InvalidInstanceID.NotFound", "")

	must(f.ModifyInstanceAttribute(f.ctx, &ec2api.ModifyInstanceAttributeRequest{InstanceId: ptr.To(inst), SourceDestCheck: &ec2api.AttributeBooleanValue{Value: ptr.To(false)}}))
	must(f.ResetInstanceAttribute(f.ctx, &ec2api.ResetInstanceAttributeRequest{InstanceId: ptr.To(inst), Attribute: ptr.To("sourceDestCheck")}))
	if a := must(f.DescribeInstanceAttribute(f.ctx, &ec2api.DescribeInstanceAttributeRequest{InstanceId: ptr.To(inst), Attribute: ptr.To("sourceDestCheck")})); !ptr.Deref(a.SourceDestCheck.Value) {
		t.Fatal("source/dest check reset to true")
	}
	_, err = f.ResetInstanceAttribute(f.ctx, &ec2api.ResetInstanceAttributeRequest{InstanceId: ptr.To(inst), Attribute: ptr.To("kernel")})
	wantErr(t, err, "IncorrectInstanceState", "")
	_, err = f.ResetInstanceAttribute(f.ctx, &ec2api.ResetInstanceAttributeRequest{InstanceId: ptr.To(inst), Attribute: ptr.To("userData")})
	wantErr(t, err, "InvalidParameterValue", "")
}

func TestSecurityGroupReferencesAndPeeringOptions(t *testing.T) {
	f := newFixture(t, "us-east-1")
	a := must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.11.0.0/16")})).Vpc.VpcId
	b := must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.12.0.0/16")})).Vpc.VpcId
	pcx := must(f.CreateVpcPeeringConnection(f.ctx, &ec2api.CreateVpcPeeringConnectionRequest{VpcId: a, PeerVpcId: b})).VpcPeeringConnection.VpcPeeringConnectionId
	_, err := f.ModifyVpcPeeringConnectionOptions(f.ctx, &ec2api.ModifyVpcPeeringConnectionOptionsRequest{VpcPeeringConnectionId: pcx,
		RequesterPeeringConnectionOptions: &ec2api.PeeringConnectionOptionsRequest{AllowDnsResolutionFromRemoteVpc: ptr.To(true)}})
	wantErr(t, err, "OperationNotPermitted", "")
	must(f.AcceptVpcPeeringConnection(f.ctx, &ec2api.AcceptVpcPeeringConnectionRequest{VpcPeeringConnectionId: pcx}))
	o := must(f.ModifyVpcPeeringConnectionOptions(f.ctx, &ec2api.ModifyVpcPeeringConnectionOptionsRequest{VpcPeeringConnectionId: pcx,
		RequesterPeeringConnectionOptions: &ec2api.PeeringConnectionOptionsRequest{AllowDnsResolutionFromRemoteVpc: ptr.To(true)}}))
	if o.RequesterPeeringConnectionOptions == nil || !ptr.Deref(o.RequesterPeeringConnectionOptions.AllowDnsResolutionFromRemoteVpc) || o.AccepterPeeringConnectionOptions != nil {
		t.Fatalf("options %+v", o)
	}
	p := must(f.DescribeVpcPeeringConnections(f.ctx, &ec2api.DescribeVpcPeeringConnectionsRequest{VpcPeeringConnectionIds: []string{ptr.Deref(pcx)}})).VpcPeeringConnections[0]
	if p.RequesterVpcInfo.PeeringOptions == nil || !ptr.Deref(p.RequesterVpcInfo.PeeringOptions.AllowDnsResolutionFromRemoteVpc) {
		t.Fatalf("stored options %+v", p.RequesterVpcInfo)
	}

	web := must(f.CreateSecurityGroup(f.ctx, &ec2api.CreateSecurityGroupRequest{VpcId: a, GroupName: ptr.To("web"), Description: ptr.To("web")})).GroupId
	db := must(f.CreateSecurityGroup(f.ctx, &ec2api.CreateSecurityGroupRequest{VpcId: b, GroupName: ptr.To("db"), Description: ptr.To("db")})).GroupId
	must(f.AuthorizeSecurityGroupIngress(f.ctx, &ec2api.AuthorizeSecurityGroupIngressRequest{GroupId: db, IpPermissions: []ec2api.IpPermission{{IpProtocol: ptr.To("tcp"),
		FromPort: ptr.To(int32(5432)), ToPort: ptr.To(int32(5432)), UserIdGroupPairs: []ec2api.UserIdGroupPair{{GroupId: web, VpcPeeringConnectionId: pcx}}}}}))
	refs := must(f.DescribeSecurityGroupReferences(f.ctx, &ec2api.DescribeSecurityGroupReferencesRequest{GroupId: []string{ptr.Deref(web)}})).SecurityGroupReferenceSet
	if len(refs) != 1 || ptr.Deref(refs[0].ReferencingVpcId) != ptr.Deref(b) || ptr.Deref(refs[0].VpcPeeringConnectionId) != ptr.Deref(pcx) {
		t.Fatalf("references %+v", refs)
	}
	if st := must(f.DescribeStaleSecurityGroups(f.ctx, &ec2api.DescribeStaleSecurityGroupsRequest{VpcId: b})).StaleSecurityGroupSet; len(st) != 0 {
		t.Fatalf("no stale group while peered %+v", st)
	}
	must(f.DeleteVpcPeeringConnection(f.ctx, &ec2api.DeleteVpcPeeringConnectionRequest{VpcPeeringConnectionId: pcx}))
	st := must(f.DescribeStaleSecurityGroups(f.ctx, &ec2api.DescribeStaleSecurityGroupsRequest{VpcId: b})).StaleSecurityGroupSet
	if len(st) != 1 || ptr.Deref(st[0].GroupId) != ptr.Deref(db) || len(st[0].StaleIpPermissions) != 1 {
		t.Fatalf("stale after the peering is deleted %+v", st)
	}
	if refs := must(f.DescribeSecurityGroupReferences(f.ctx, &ec2api.DescribeSecurityGroupReferencesRequest{GroupId: []string{ptr.Deref(web)}})).SecurityGroupReferenceSet; len(refs) != 0 {
		t.Fatalf("references without peering %+v", refs)
	}
	_, err = f.DescribeStaleSecurityGroups(f.ctx, &ec2api.DescribeStaleSecurityGroupsRequest{VpcId: ptr.To("vpc-0123456789abcdef0")})
	wantErr(t, err, "InvalidVpcID.NotFound", "")
}
