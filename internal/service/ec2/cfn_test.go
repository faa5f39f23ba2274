package ec2

import (
	"strings"
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/kit"
)

// TestCloudFormationEIPAndNatGateway: an Elastic IP and a NAT gateway
// using it, made and removed through the providers as a stack would.
func TestCloudFormationEIPAndNatGateway(t *testing.T) {
	f := newFixture(t, "us-east-1")
	p := f.cfnResources()
	vpc, err := p["AWS::EC2::VPC"].Create(f.ctx, kit.ResourceRequest{LogicalID: "V", Properties: map[string]any{"CidrBlock": "10.0.0.0/16"}})
	if err != nil {
		t.Fatal(err)
	}
	subnet, err := p["AWS::EC2::Subnet"].Create(f.ctx, kit.ResourceRequest{LogicalID: "S", Properties: map[string]any{
		"VpcId": vpc.PhysicalID, "CidrBlock": "10.0.1.0/24"}})
	if err != nil {
		t.Fatal(err)
	}
	eip, err := p["AWS::EC2::EIP"].Create(f.ctx, kit.ResourceRequest{LogicalID: "E", Properties: map[string]any{"Domain": "vpc",
		"Tags": []any{map[string]any{"Key": "team", "Value": "a"}}}})
	if err != nil {
		t.Fatal(err)
	}
	alloc, _ := eip.Attributes["AllocationId"].(string)
	if eip.PhysicalID == "" || eip.Attributes["PublicIp"] != eip.PhysicalID || alloc == "" {
		t.Fatalf("eip %+v", eip)
	}
	nat, err := p["AWS::EC2::NatGateway"].Create(f.ctx, kit.ResourceRequest{LogicalID: "N", Properties: map[string]any{
		"AllocationId": alloc, "SubnetId": subnet.PhysicalID}})
	if err != nil {
		t.Fatal(err)
	}
	if nat.Attributes["NatGatewayId"] != nat.PhysicalID {
		t.Fatalf("nat %+v", nat)
	}
	if err := p["AWS::EC2::NatGateway"].Delete(f.ctx, kit.ResourceRequest{PhysicalID: nat.PhysicalID}); err != nil {
		t.Fatal(err)
	}
	if err := p["AWS::EC2::EIP"].Delete(f.ctx, kit.ResourceRequest{PhysicalID: eip.PhysicalID, Attributes: eip.Attributes}); err != nil {
		t.Fatal(err)
	}
	out, err := f.DescribeAddresses(f.ctx, &ec2api.DescribeAddressesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range out.Addresses {
		if a.AllocationId != nil && *a.AllocationId == alloc {
			t.Fatal("the address survived its release")
		}
	}
}

// TestCloudFormationRulesAndKeyPair: a security group's ingress and
// egress rules made as their own resources, answered by their rule ids,
// and revoked; a key pair created and one imported, then deleted.
func TestCloudFormationRulesAndKeyPair(t *testing.T) {
	f := newFixture(t, "us-east-1")
	p := f.cfnResources()
	vpc, err := p["AWS::EC2::VPC"].Create(f.ctx, kit.ResourceRequest{LogicalID: "V", Properties: map[string]any{"CidrBlock": "10.0.0.0/16"}})
	if err != nil {
		t.Fatal(err)
	}
	sg, err := p["AWS::EC2::SecurityGroup"].Create(f.ctx, kit.ResourceRequest{LogicalID: "G", StackName: "s", Properties: map[string]any{
		"GroupDescription": "web", "VpcId": vpc.PhysicalID}})
	if err != nil {
		t.Fatal(err)
	}
	in := kit.ResourceRequest{LogicalID: "In", Properties: map[string]any{"GroupId": sg.PhysicalID, "IpProtocol": "tcp",
		"FromPort": "443", "ToPort": "443", "CidrIp": "0.0.0.0/0", "Description": "https"}}
	ing, err := p["AWS::EC2::SecurityGroupIngress"].Create(f.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	eg := kit.ResourceRequest{LogicalID: "Out", Properties: map[string]any{"GroupId": sg.PhysicalID, "IpProtocol": "tcp",
		"FromPort": 5432, "ToPort": 5432, "DestinationSecurityGroupId": sg.PhysicalID}}
	egr, err := p["AWS::EC2::SecurityGroupEgress"].Create(f.ctx, eg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ing.PhysicalID, "sgr-") || ing.Attributes["Id"] != ing.PhysicalID || !strings.HasPrefix(egr.PhysicalID, "sgr-") {
		t.Fatalf("rules %+v %+v", ing, egr)
	}
	perms := func() (ingress, egress []ec2api.IpPermission) {
		out, err := f.DescribeSecurityGroups(f.ctx, &ec2api.DescribeSecurityGroupsInput{GroupIds: []string{sg.PhysicalID}})
		if err != nil || len(out.SecurityGroups) != 1 {
			t.Fatalf("describe %+v %v", out, err)
		}
		return out.SecurityGroups[0].IpPermissions, out.SecurityGroups[0].IpPermissionsEgress
	}
	ingress, egress := perms()
	if len(ingress) != 1 || *ingress[0].FromPort != 443 || len(egress) != 2 {
		t.Fatalf("permissions %+v %+v", ingress, egress)
	}
	in.PhysicalID, eg.PhysicalID = ing.PhysicalID, egr.PhysicalID
	if err := p["AWS::EC2::SecurityGroupIngress"].Delete(f.ctx, in); err != nil {
		t.Fatal(err)
	}
	if err := p["AWS::EC2::SecurityGroupEgress"].Delete(f.ctx, eg); err != nil {
		t.Fatal(err)
	}
	if ingress, egress = perms(); len(ingress) != 0 || len(egress) != 1 {
		t.Fatalf("permissions after delete %+v %+v", ingress, egress)
	}

	kp := p["AWS::EC2::KeyPair"]
	made, err := kp.Create(f.ctx, kit.ResourceRequest{LogicalID: "K", Properties: map[string]any{"KeyName": "deploy", "KeyType": "ed25519",
		"Tags": []any{map[string]any{"Key": "team", "Value": "ops"}}}})
	if err != nil || made.PhysicalID != "deploy" || made.Attributes["KeyPairId"] == "" || made.Attributes["KeyFingerprint"] == "" {
		t.Fatalf("key pair %+v %v", made, err)
	}
	if _, err := kp.Create(f.ctx, kit.ResourceRequest{LogicalID: "K2", Properties: map[string]any{"KeyName": "deploy"}}); err == nil {
		t.Fatal("a second key pair of the same name was made")
	}
	if err := kp.Delete(f.ctx, kit.ResourceRequest{PhysicalID: "deploy"}); err != nil {
		t.Fatal(err)
	}
	out, err := f.DescribeKeyPairs(f.ctx, &ec2api.DescribeKeyPairsInput{})
	if err != nil || len(out.KeyPairs) != 0 {
		t.Fatalf("key pairs after delete %+v %v", out, err)
	}
}

// TestCloudFormationLaunchTemplate: a launch template made from the
// template's LaunchTemplateData; an update makes version 2 the default;
// the delete removes it.
func TestCloudFormationLaunchTemplate(t *testing.T) {
	f := newFixture(t, "us-east-1")
	p := f.cfnResources()["AWS::EC2::LaunchTemplate"]
	r := kit.ResourceRequest{LogicalID: "LT", StackName: "s", Properties: map[string]any{
		"LaunchTemplateData": map[string]any{"InstanceType": "t3.micro", "ImageId": "ami-12345678"}}}
	lt, err := p.Create(f.ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(lt.PhysicalID, "lt-") || lt.Attributes["LatestVersionNumber"] != "1" || lt.Attributes["DefaultVersionNumber"] != "1" {
		t.Fatalf("created %+v", lt)
	}
	r.PhysicalID, r.OldProperties = lt.PhysicalID, r.Properties
	r.Properties = map[string]any{"LaunchTemplateData": map[string]any{"InstanceType": "t3.small", "ImageId": "ami-12345678"}}
	up, err := p.Update(f.ctx, r)
	if err != nil || up.Attributes["DefaultVersionNumber"] != "2" || up.Attributes["LatestVersionNumber"] != "2" {
		t.Fatalf("updated %+v %v", up, err)
	}
	vs, err := f.DescribeLaunchTemplateVersions(f.ctx, &ec2api.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: &lt.PhysicalID, Versions: []string{"$Default"}})
	if err != nil || len(vs.LaunchTemplateVersions) != 1 || *vs.LaunchTemplateVersions[0].LaunchTemplateData.InstanceType != "t3.small" {
		t.Fatalf("default version %+v %v", vs, err)
	}
	if err := p.Delete(f.ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := p.Delete(f.ctx, r); err != nil {
		t.Fatalf("second delete: %v", err)
	}
}

// TestCloudFormationVPCEndpoint: a gateway endpoint made on one route
// table, moved to another in place, and deleted.
func TestCloudFormationVPCEndpoint(t *testing.T) {
	f := newFixture(t, "us-east-1")
	p := f.cfnResources()
	vpc, err := p["AWS::EC2::VPC"].Create(f.ctx, kit.ResourceRequest{LogicalID: "V", Properties: map[string]any{"CidrBlock": "10.0.0.0/16"}})
	if err != nil {
		t.Fatal(err)
	}
	var rts []string
	for _, n := range []string{"A", "B"} {
		rt, err := p["AWS::EC2::RouteTable"].Create(f.ctx, kit.ResourceRequest{LogicalID: n, Properties: map[string]any{"VpcId": vpc.PhysicalID}})
		if err != nil {
			t.Fatal(err)
		}
		rts = append(rts, rt.PhysicalID)
	}
	r := kit.ResourceRequest{LogicalID: "S3", Properties: map[string]any{"VpcId": vpc.PhysicalID, "VpcEndpointType": "Gateway",
		"ServiceName": "com.amazonaws.us-east-1.s3", "RouteTableIds": []any{rts[0]}}}
	ep, err := p["AWS::EC2::VPCEndpoint"].Create(f.ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ep.PhysicalID, "vpce-") || ep.Attributes["Id"] != ep.PhysicalID {
		t.Fatalf("endpoint %+v", ep)
	}
	r.PhysicalID, r.OldProperties = ep.PhysicalID, r.Properties
	r.Properties = map[string]any{"VpcId": vpc.PhysicalID, "VpcEndpointType": "Gateway", "ServiceName": "com.amazonaws.us-east-1.s3",
		"RouteTableIds": []any{rts[1]}}
	if _, err := p["AWS::EC2::VPCEndpoint"].Update(f.ctx, r); err != nil {
		t.Fatal(err)
	}
	out, err := f.DescribeVpcEndpoints(f.ctx, &ec2api.DescribeVpcEndpointsInput{VpcEndpointIds: []string{ep.PhysicalID}})
	if err != nil || len(out.VpcEndpoints) != 1 || len(out.VpcEndpoints[0].RouteTableIds) != 1 || out.VpcEndpoints[0].RouteTableIds[0] != rts[1] {
		t.Fatalf("after update %+v %v", out, err)
	}
	if err := p["AWS::EC2::VPCEndpoint"].Delete(f.ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := p["AWS::EC2::VPCEndpoint"].Delete(f.ctx, r); err != nil {
		t.Fatalf("second delete: %v", err)
	}
}
