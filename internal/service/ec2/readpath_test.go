package ec2

import (
	"testing"
	"time"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/service/ec2/images"
)

func TestNetworkInterfaceAttributes(t *testing.T) {
	f := newFixture(t, "us-east-1")
	vpc := must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.5.0.0/16")})).Vpc.VpcId
	sub := must(f.CreateSubnet(f.ctx, &ec2api.CreateSubnetRequest{VpcId: vpc, CidrBlock: ptr.To("10.5.1.0/24")})).Subnet.SubnetId
	sg := must(f.CreateSecurityGroup(f.ctx, &ec2api.CreateSecurityGroupRequest{VpcId: vpc, GroupName: ptr.To("web"), Description: ptr.To("web")})).GroupId
	eni := must(f.CreateNetworkInterface(f.ctx, &ec2api.CreateNetworkInterfaceRequest{SubnetId: sub, Description: ptr.To("first")})).NetworkInterface.NetworkInterfaceId

	attr := func(a string) *ec2api.DescribeNetworkInterfaceAttributeResult {
		return must(f.DescribeNetworkInterfaceAttribute(f.ctx, &ec2api.DescribeNetworkInterfaceAttributeRequest{NetworkInterfaceId: eni, Attribute: ptr.To(a)}))
	}
	if d := attr("description"); ptr.Deref(d.Description.Value) != "first" || ptr.Deref(d.NetworkInterfaceId) != ptr.Deref(eni) {
		t.Fatalf("description %+v", d)
	}
	if d := attr("sourceDestCheck"); !ptr.Deref(d.SourceDestCheck.Value) {
		t.Fatalf("sourceDestCheck %+v", d)
	}
	must(f.ModifyNetworkInterfaceAttribute(f.ctx, &ec2api.ModifyNetworkInterfaceAttributeRequest{NetworkInterfaceId: eni, SourceDestCheck: &ec2api.AttributeBooleanValue{Value: ptr.To(false)}}))
	must(f.ModifyNetworkInterfaceAttribute(f.ctx, &ec2api.ModifyNetworkInterfaceAttributeRequest{NetworkInterfaceId: eni, Description: &ec2api.AttributeValue{Value: ptr.To("second")}}))
	must(f.ModifyNetworkInterfaceAttribute(f.ctx, &ec2api.ModifyNetworkInterfaceAttributeRequest{NetworkInterfaceId: eni, Groups: []string{ptr.Deref(sg)}}))
	if d := attr("sourceDestCheck"); ptr.Deref(d.SourceDestCheck.Value) {
		t.Fatalf("sourceDestCheck after modify %+v", d)
	}
	if d := attr("description"); ptr.Deref(d.Description.Value) != "second" {
		t.Fatalf("description after modify %+v", d)
	}
	if d := attr("groupSet"); len(d.Groups) != 1 || ptr.Deref(d.Groups[0].GroupId) != ptr.Deref(sg) || ptr.Deref(d.Groups[0].GroupName) != "web" {
		t.Fatalf("groups %+v", d.Groups)
	}
	if d := attr("attachment"); d.Attachment != nil {
		t.Fatalf("unattached ENI has attachment %+v", d.Attachment)
	}

	cases := []struct{ name, id, attr, code, msg string }{
		{"unknown attribute", ptr.Deref(eni), "color", "InvalidParameterValue", "Value (color) for parameter attribute is invalid. Unknown attribute."},
		{"no attribute", ptr.Deref(eni), "", "MissingParameter", ""},
		{"missing eni", "eni-0123456789abcdef0", "description", "InvalidNetworkInterfaceID.NotFound", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.DescribeNetworkInterfaceAttribute(f.ctx, &ec2api.DescribeNetworkInterfaceAttributeRequest{NetworkInterfaceId: ptr.To(c.id), Attribute: ptr.To(c.attr)})
			wantErr(t, err, c.code, c.msg)
		})
	}
	_, err := f.ModifyNetworkInterfaceAttribute(f.ctx, &ec2api.ModifyNetworkInterfaceAttributeRequest{NetworkInterfaceId: eni, Groups: []string{"sg-0123456789abcdef0"}})
	wantErr(t, err, "InvalidGroup.NotFound", "")
	_, err = f.ModifyNetworkInterfaceAttribute(f.ctx, &ec2api.ModifyNetworkInterfaceAttributeRequest{NetworkInterfaceId: eni})
	wantErr(t, err, "MissingParameter", "")
}

func TestVolumeModificationsAndAttributes(t *testing.T) {
	f := newFixture(t, "us-east-1")
	vol := must(f.CreateVolume(f.ctx, &ec2api.CreateVolumeRequest{AvailabilityZone: ptr.To("us-east-1a"), Size: ptr.To(int32(10))})).VolumeId
	if a := must(f.DescribeVolumeAttribute(f.ctx, &ec2api.DescribeVolumeAttributeRequest{VolumeId: vol, Attribute: ptr.To("autoEnableIO")})); a.AutoEnableIO == nil || ptr.Deref(a.AutoEnableIO.Value) {
		t.Fatalf("autoEnableIO %+v", a)
	}
	_, err := f.DescribeVolumeAttribute(f.ctx, &ec2api.DescribeVolumeAttributeRequest{VolumeId: vol, Attribute: ptr.To("size")})
	wantErr(t, err, "InvalidParameterValue", "Value (size) for parameter attribute is invalid. Unknown attribute.")
	if m := must(f.DescribeVolumesModifications(f.ctx, &ec2api.DescribeVolumesModificationsRequest{VolumeIds: []string{ptr.Deref(vol)}})); len(m.VolumesModifications) != 0 {
		t.Fatalf("unmodified volume has modifications %+v", m)
	}
	st := must(f.DescribeVolumeStatus(f.ctx, &ec2api.DescribeVolumeStatusRequest{VolumeIds: []string{ptr.Deref(vol)}}))
	if len(st.VolumeStatuses) != 1 || ptr.Deref(st.VolumeStatuses[0].VolumeStatus.Status) != "ok" {
		t.Fatalf("status %+v", st)
	}

	_, err = f.ModifyVolume(f.ctx, &ec2api.ModifyVolumeRequest{VolumeId: vol, Size: ptr.To(int32(5))})
	wantErr(t, err, "InvalidParameterValue", "New size cannot be smaller than existing size")
	_, err = f.ModifyVolume(f.ctx, &ec2api.ModifyVolumeRequest{VolumeId: vol, VolumeType: ptr.To("gp9")})
	wantErr(t, err, "InvalidParameterValue", "")
	_, err = f.ModifyVolume(f.ctx, &ec2api.ModifyVolumeRequest{VolumeId: vol, Throughput: ptr.To(int32(250))})
	wantErr(t, err, "InvalidParameterCombination", "The parameter throughput is not supported for gp2 volumes.")

	mod := must(f.ModifyVolume(f.ctx, &ec2api.ModifyVolumeRequest{VolumeId: vol, Size: ptr.To(int32(20)), VolumeType: ptr.To("gp3")})).VolumeModification
	if ptr.Deref(mod.ModificationState) != "modifying" || ptr.Deref(mod.OriginalSize) != 10 || ptr.Deref(mod.TargetSize) != 20 || ptr.Deref(mod.TargetVolumeType) != "gp3" || ptr.Deref(mod.TargetIops) != 3000 {
		t.Fatalf("modification %+v", mod)
	}
	v := must(f.DescribeVolumes(f.ctx, &ec2api.DescribeVolumesRequest{VolumeIds: []string{ptr.Deref(vol)}})).Volumes[0]
	if ptr.Deref(v.Size) != 20 || ptr.Deref(v.VolumeType) != "gp3" || ptr.Deref(v.Throughput) != 125 {
		t.Fatalf("modified volume %+v", v)
	}
	ms := must(f.DescribeVolumesModifications(f.ctx, &ec2api.DescribeVolumesModificationsRequest{Filters: []ec2api.Filter{{Name: ptr.To("modification-state"), Values: []string{"completed"}}}}))
	if len(ms.VolumesModifications) != 1 || ptr.Deref(ms.VolumesModifications[0].Progress) != 100 {
		t.Fatalf("modifications %+v", ms)
	}
	// A second change within six hours is refused; after them it passes.
	f.clock.Advance(time.Hour)
	_, err = f.ModifyVolume(f.ctx, &ec2api.ModifyVolumeRequest{VolumeId: vol, Size: ptr.To(int32(30))})
	wantErr(t, err, "VolumeModificationRateExceeded", "")
	f.clock.Advance(5 * time.Hour)
	must(f.ModifyVolume(f.ctx, &ec2api.ModifyVolumeRequest{VolumeId: vol, Size: ptr.To(int32(30))}))
	_, err = f.DescribeVolumesModifications(f.ctx, &ec2api.DescribeVolumesModificationsRequest{VolumeIds: []string{"vol-0123456789abcdef0"}})
	wantErr(t, err, "InvalidVolume.NotFound", "")
}

func TestEBSEncryptionDefaults(t *testing.T) {
	f := newFixture(t, "eu-west-1")
	if g := must(f.GetEbsEncryptionByDefault(f.ctx, &ec2api.GetEbsEncryptionByDefaultRequest{})); ptr.Deref(g.EbsEncryptionByDefault) {
		t.Fatal("encryption by default starts off")
	}
	if k := must(f.GetEbsDefaultKmsKeyId(f.ctx, &ec2api.GetEbsDefaultKmsKeyIdRequest{})); ptr.Deref(k.KmsKeyId) != "alias/aws/ebs" {
		t.Fatalf("default key %v", ptr.Deref(k.KmsKeyId))
	}
	must(f.EnableEbsEncryptionByDefault(f.ctx, &ec2api.EnableEbsEncryptionByDefaultRequest{}))
	keyID := "1234abcd-12ab-34cd-56ef-1234567890ab"
	arn := must(f.ModifyEbsDefaultKmsKeyId(f.ctx, &ec2api.ModifyEbsDefaultKmsKeyIdRequest{KmsKeyId: ptr.To(keyID)})).KmsKeyId
	if want := "arn:aws:kms:eu-west-1:" + testAccount + ":key/" + keyID; ptr.Deref(arn) != want {
		t.Fatalf("key arn %s, want %s", ptr.Deref(arn), want)
	}
	if g := must(f.GetEbsEncryptionByDefault(f.ctx, &ec2api.GetEbsEncryptionByDefaultRequest{})); !ptr.Deref(g.EbsEncryptionByDefault) {
		t.Fatal("encryption by default enabled")
	}
	v := must(f.CreateVolume(f.ctx, &ec2api.CreateVolumeRequest{AvailabilityZone: ptr.To("eu-west-1a"), Size: ptr.To(int32(1))}))
	if !ptr.Deref(v.Encrypted) || ptr.Deref(v.KmsKeyId) != ptr.Deref(arn) {
		t.Fatalf("new volume not encrypted with the default key: %+v", v)
	}
	_, err := f.ModifyEbsDefaultKmsKeyId(f.ctx, &ec2api.ModifyEbsDefaultKmsKeyIdRequest{KmsKeyId: ptr.To("not-a-key")})
	wantErr(t, err, "InvalidParameterValue", "")
	if k := must(f.ResetEbsDefaultKmsKeyId(f.ctx, &ec2api.ResetEbsDefaultKmsKeyIdRequest{})); ptr.Deref(k.KmsKeyId) != "alias/aws/ebs" {
		t.Fatalf("reset key %v", ptr.Deref(k.KmsKeyId))
	}
	must(f.DisableEbsEncryptionByDefault(f.ctx, &ec2api.DisableEbsEncryptionByDefaultRequest{}))
	if v := must(f.CreateVolume(f.ctx, &ec2api.CreateVolumeRequest{AvailabilityZone: ptr.To("eu-west-1a"), Size: ptr.To(int32(1))})); ptr.Deref(v.Encrypted) {
		t.Fatal("volume encrypted after disabling the default")
	}
}

func TestImageAndSnapshotAttributes(t *testing.T) {
	f := newFixture(t, "us-east-1")
	public := images.Catalog("us-east-1")[0].ID
	res := must(f.RunInstances(f.ctx, &ec2api.RunInstancesRequest{ImageId: ptr.To(public), MinCount: ptr.To(int32(1)), MaxCount: ptr.To(int32(1))}))
	inst := res.Instances[0].InstanceId
	f.expectState(ptr.Deref(inst), "pending")
	f.clock.Advance(5 * time.Second)
	f.expectState(ptr.Deref(inst), "running")
	ami := must(f.CreateImage(f.ctx, &ec2api.CreateImageRequest{InstanceId: inst, Name: ptr.To("mine"), Description: ptr.To("d1")})).ImageId

	get := func(a string) *ec2api.ImageAttribute {
		return must(f.DescribeImageAttribute(f.ctx, &ec2api.DescribeImageAttributeRequest{ImageId: ami, Attribute: ptr.To(a)}))
	}
	if a := get("description"); ptr.Deref(a.Description.Value) != "d1" {
		t.Fatalf("description %+v", a)
	}
	if a := get("launchPermission"); a.LaunchPermissions == nil || len(a.LaunchPermissions) != 0 {
		t.Fatalf("launch permissions %+v", a)
	}
	must(f.ModifyImageAttribute(f.ctx, &ec2api.ModifyImageAttributeRequest{ImageId: ami, LaunchPermission: &ec2api.LaunchPermissionModifications{
		Add: []ec2api.LaunchPermission{{UserId: ptr.To("210987654321")}, {Group: ptr.To("all")}}}}))
	must(f.ModifyImageAttribute(f.ctx, &ec2api.ModifyImageAttributeRequest{ImageId: ami, Attribute: ptr.To("description"), Value: ptr.To("d2")}))
	if a := get("launchPermission"); len(a.LaunchPermissions) != 2 {
		t.Fatalf("launch permissions after add %+v", a.LaunchPermissions)
	}
	if a := get("description"); ptr.Deref(a.Description.Value) != "d2" {
		t.Fatalf("description after modify %+v", a)
	}
	if im := must(f.DescribeImages(f.ctx, &ec2api.DescribeImagesRequest{ImageIds: []string{ptr.Deref(ami)}})).Images[0]; !ptr.Deref(im.Public) {
		t.Fatal("group all makes the image public")
	}
	must(f.ModifyImageAttribute(f.ctx, &ec2api.ModifyImageAttributeRequest{ImageId: ami, Attribute: ptr.To("launchPermission"), OperationType: ptr.To("remove"), UserGroups: []string{"all"}}))
	if im := must(f.DescribeImages(f.ctx, &ec2api.DescribeImagesRequest{ImageIds: []string{ptr.Deref(ami)}})).Images[0]; ptr.Deref(im.Public) {
		t.Fatal("removing group all makes the image private")
	}
	cases := []struct {
		name, image, attr, code string
	}{
		{"public image", public, "launchPermission", "AuthFailure"},
		{"missing image", "ami-0123456789abcdef0", "description", "InvalidAMIID.NotFound"},
		{"unknown attribute", ptr.Deref(ami), "color", "InvalidParameterValue"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.DescribeImageAttribute(f.ctx, &ec2api.DescribeImageAttributeRequest{ImageId: ptr.To(c.image), Attribute: ptr.To(c.attr)})
			wantErr(t, err, c.code, "")
		})
	}
	_, err := f.ModifyImageAttribute(f.ctx, &ec2api.ModifyImageAttributeRequest{ImageId: ami, LaunchPermission: &ec2api.LaunchPermissionModifications{Add: []ec2api.LaunchPermission{{UserId: ptr.To("12")}}}})
	wantErr(t, err, "InvalidParameterValue", "")

	vol := must(f.CreateVolume(f.ctx, &ec2api.CreateVolumeRequest{AvailabilityZone: ptr.To("us-east-1a"), Size: ptr.To(int32(1))})).VolumeId
	snap := must(f.CreateSnapshot(f.ctx, &ec2api.CreateSnapshotRequest{VolumeId: vol})).SnapshotId
	must(f.ModifySnapshotAttribute(f.ctx, &ec2api.ModifySnapshotAttributeRequest{SnapshotId: snap, Attribute: ptr.To("createVolumePermission"), OperationType: ptr.To("add"), UserIds: []string{"210987654321"}}))
	sa := must(f.DescribeSnapshotAttribute(f.ctx, &ec2api.DescribeSnapshotAttributeRequest{SnapshotId: snap, Attribute: ptr.To("createVolumePermission")}))
	if len(sa.CreateVolumePermissions) != 1 || ptr.Deref(sa.CreateVolumePermissions[0].UserId) != "210987654321" {
		t.Fatalf("snapshot permissions %+v", sa)
	}
	must(f.ModifySnapshotAttribute(f.ctx, &ec2api.ModifySnapshotAttributeRequest{SnapshotId: snap, CreateVolumePermission: &ec2api.CreateVolumePermissionModifications{Remove: []ec2api.CreateVolumePermission{{UserId: ptr.To("210987654321")}}}}))
	if sa := must(f.DescribeSnapshotAttribute(f.ctx, &ec2api.DescribeSnapshotAttributeRequest{SnapshotId: snap, Attribute: ptr.To("createVolumePermission")})); len(sa.CreateVolumePermissions) != 0 {
		t.Fatalf("snapshot permissions after remove %+v", sa)
	}
	_, err = f.DescribeSnapshotAttribute(f.ctx, &ec2api.DescribeSnapshotAttributeRequest{SnapshotId: ptr.To("snap-0123456789abcdef0"), Attribute: ptr.To("createVolumePermission")})
	wantErr(t, err, "InvalidSnapshot.NotFound", "")
}

func TestClassicLinkMonitoringPassword(t *testing.T) {
	f := newFixture(t, "us-east-1")
	vpc := must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.6.0.0/16")})).Vpc.VpcId
	cl := must(f.DescribeVpcClassicLink(f.ctx, &ec2api.DescribeVpcClassicLinkRequest{VpcIds: []string{ptr.Deref(vpc)}}))
	if len(cl.Vpcs) != 1 || ptr.Deref(cl.Vpcs[0].ClassicLinkEnabled) {
		t.Fatalf("classic link %+v", cl)
	}
	dns := must(f.DescribeVpcClassicLinkDnsSupport(f.ctx, &ec2api.DescribeVpcClassicLinkDnsSupportRequest{VpcIds: []string{ptr.Deref(vpc)}}))
	if len(dns.Vpcs) != 1 || ptr.Deref(dns.Vpcs[0].ClassicLinkDnsSupported) {
		t.Fatalf("classic link dns %+v", dns)
	}
	_, err := f.DescribeVpcClassicLink(f.ctx, &ec2api.DescribeVpcClassicLinkRequest{VpcIds: []string{"vpc-0123456789abcdef0"}})
	wantErr(t, err, "InvalidVpcID.NotFound", "")

	res := must(f.RunInstances(f.ctx, &ec2api.RunInstancesRequest{ImageId: ptr.To(images.Catalog("us-east-1")[0].ID), MinCount: ptr.To(int32(1)), MaxCount: ptr.To(int32(1))}))
	id := ptr.Deref(res.Instances[0].InstanceId)
	m := must(f.MonitorInstances(f.ctx, &ec2api.MonitorInstancesRequest{InstanceIds: []string{id}}))
	if len(m.InstanceMonitorings) != 1 || ptr.Deref(m.InstanceMonitorings[0].Monitoring.State) != "pending" {
		t.Fatalf("monitor %+v", m)
	}
	d := must(f.DescribeInstances(f.ctx, &ec2api.DescribeInstancesRequest{InstanceIds: []string{id}}))
	if ptr.Deref(d.Reservations[0].Instances[0].Monitoring.State) != "enabled" {
		t.Fatalf("monitoring state %+v", d.Reservations[0].Instances[0].Monitoring)
	}
	must(f.UnmonitorInstances(f.ctx, &ec2api.UnmonitorInstancesRequest{InstanceIds: []string{id}}))
	_, err = f.MonitorInstances(f.ctx, &ec2api.MonitorInstancesRequest{InstanceIds: []string{"i-0123456789abcdef0"}})
	wantErr(t, err, "InvalidInstanceID.NotFound", "")
	pw := must(f.GetPasswordData(f.ctx, &ec2api.GetPasswordDataRequest{InstanceId: ptr.To(id)}))
	if pw.PasswordData == nil || *pw.PasswordData != "" || ptr.Deref(pw.InstanceId) != id {
		t.Fatalf("password data %+v", pw)
	}
	conns := must(f.DescribeVpcEndpointConnections(f.ctx, &ec2api.DescribeVpcEndpointConnectionsRequest{}))
	if conns.VpcEndpointConnections == nil || len(conns.VpcEndpointConnections) != 0 {
		t.Fatalf("endpoint connections %+v", conns)
	}
	_, err = f.DescribeVpcEndpointConnections(f.ctx, &ec2api.DescribeVpcEndpointConnectionsRequest{Filters: []ec2api.Filter{{Name: ptr.To("bogus"), Values: []string{"x"}}}})
	wantErr(t, err, "InvalidParameterValue", "")
}
