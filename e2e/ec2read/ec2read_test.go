package ec2read

import (
	"fmt"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// readPath creates one of each resource with boto3 and reads it back the
// way the Terraform provider's read functions do. A failed assertion
// fails the script, and with it the test.
const readPath = `
import boto3, time
ec2 = boto3.client("ec2", region_name="us-east-1")

vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
for a in ("enableDnsSupport", "enableDnsHostnames", "enableNetworkAddressUsageMetrics"):
    ec2.describe_vpc_attribute(VpcId=vpc, Attribute=a)
assert ec2.describe_vpc_classic_link(VpcIds=[vpc])["Vpcs"][0]["ClassicLinkEnabled"] is False
assert ec2.describe_vpc_classic_link_dns_support(VpcIds=[vpc])["Vpcs"][0]["ClassicLinkDnsSupported"] is False
ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "association.main", "Values": ["true"]}])
ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "default", "Values": ["true"]}])
ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}])

sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
sg = ec2.create_security_group(VpcId=vpc, GroupName="web", Description="web")["GroupId"]
ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [sg]}])

eni = ec2.create_network_interface(SubnetId=sub, Description="tf", Groups=[sg])["NetworkInterface"]["NetworkInterfaceId"]
ec2.modify_network_interface_attribute(NetworkInterfaceId=eni, SourceDestCheck={"Value": False})
assert ec2.describe_network_interface_attribute(NetworkInterfaceId=eni, Attribute="sourceDestCheck")["SourceDestCheck"]["Value"] is False
assert ec2.describe_network_interface_attribute(NetworkInterfaceId=eni, Attribute="description")["Description"]["Value"] == "tf"
assert [g["GroupId"] for g in ec2.describe_network_interface_attribute(NetworkInterfaceId=eni, Attribute="groupSet")["Groups"]] == [sg]

vol = ec2.create_volume(AvailabilityZone="us-east-1a", Size=8, VolumeType="gp2")["VolumeId"]
assert ec2.describe_volume_attribute(VolumeId=vol, Attribute="autoEnableIO")["AutoEnableIO"]["Value"] is False
assert ec2.describe_volumes_modifications(VolumeIds=[vol])["VolumesModifications"] == []
m = ec2.modify_volume(VolumeId=vol, Size=16, VolumeType="gp3")["VolumeModification"]
assert m["OriginalSize"] == 8 and m["TargetSize"] == 16, m
mods = ec2.describe_volumes_modifications(VolumeIds=[vol])["VolumesModifications"]
assert mods[0]["ModificationState"] == "completed" and mods[0]["TargetVolumeType"] == "gp3", mods
assert ec2.describe_volume_status(VolumeIds=[vol])["VolumeStatuses"][0]["VolumeStatus"]["Status"] == "ok"

snap = ec2.create_snapshot(VolumeId=vol)["SnapshotId"]
ec2.modify_snapshot_attribute(SnapshotId=snap, Attribute="createVolumePermission", OperationType="add", UserIds=["210987654321"])
perms = ec2.describe_snapshot_attribute(SnapshotId=snap, Attribute="createVolumePermission")["CreateVolumePermissions"]
assert perms == [{"UserId": "210987654321"}], perms

assert ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is False
assert ec2.get_ebs_default_kms_key_id()["KmsKeyId"] == "alias/aws/ebs"

ami = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023*x86_64"]}])["Images"][0]["ImageId"]
inst = ec2.run_instances(ImageId=ami, MinCount=1, MaxCount=1, SubnetId=sub, InstanceType="t3.micro", Monitoring={"Enabled": False})["Instances"][0]["InstanceId"]
ec2.monitor_instances(InstanceIds=[inst])
for a in ("disableApiTermination", "disableApiStop", "instanceInitiatedShutdownBehavior", "userData"):
    ec2.describe_instance_attribute(InstanceId=inst, Attribute=a)
ec2.describe_instance_credit_specifications(InstanceIds=[inst])
assert ec2.get_password_data(InstanceId=inst)["PasswordData"] == ""
ec2.get_waiter("instance_running").wait(InstanceIds=[inst], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
assert ec2.describe_instances(InstanceIds=[inst])["Reservations"][0]["Instances"][0]["Monitoring"]["State"] == "enabled"

own = ec2.create_image(InstanceId=inst, Name="tf-read", Description="d")["ImageId"]
ec2.modify_image_attribute(ImageId=own, LaunchPermission={"Add": [{"UserId": "210987654321"}]})
lp = ec2.describe_image_attribute(ImageId=own, Attribute="launchPermission")["LaunchPermissions"]
assert lp == [{"UserId": "210987654321"}], lp
assert ec2.describe_image_attribute(ImageId=own, Attribute="description")["Description"]["Value"] == "d"
assert ec2.describe_vpc_endpoint_connections()["VpcEndpointConnections"] == []
print("ok")
`

func TestTerraformReadPathBoto3(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	if out := n.Python(t, readPath); strings.TrimSpace(out) != "ok" {
		t.Fatalf("script output %q", out)
	}
}

// TestReadPathCLI reads attributes and account defaults with both CLIs,
// and checks that an unknown attribute is AWS's InvalidParameterValue.
func TestReadPathCLI(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			var vol string
			framework.CLIJSON(t, n, cli, &vol, "--region", "us-east-1", "ec2", "create-volume", "--availability-zone", "us-east-1a", "--size", "4", "--query", "VolumeId")
			var io bool
			framework.CLIJSON(t, n, cli, &io, "--region", "us-east-1", "ec2", "describe-volume-attribute", "--volume-id", vol, "--attribute", "autoEnableIO", "--query", "AutoEnableIO.Value")
			if io {
				t.Error("autoEnableIO is false for a volume never impaired")
			}
			var on bool
			framework.CLIJSON(t, n, cli, &on, "--region", "us-east-1", "ec2", "enable-ebs-encryption-by-default", "--query", "EbsEncryptionByDefault")
			framework.CLIJSON(t, n, cli, &on, "--region", "us-east-1", "ec2", "get-ebs-encryption-by-default", "--query", "EbsEncryptionByDefault")
			if !on {
				t.Error("encryption by default enabled")
			}
			var enc bool
			framework.CLIJSON(t, n, cli, &enc, "--region", "us-east-1", "ec2", "create-volume", "--availability-zone", "us-east-1a", "--size", "4", "--query", "Encrypted")
			if !enc {
				t.Error("a new volume is encrypted once encryption by default is on")
			}
			framework.CLIJSON(t, n, cli, nil, "--region", "us-east-1", "ec2", "disable-ebs-encryption-by-default")
			_, errOut, err := n.RunCLI(t, cli, nil, "--region", "us-east-1", "ec2", "describe-volume-attribute", "--volume-id", vol, "--attribute", "size")
			if err == nil || !strings.Contains(errOut, "InvalidParameterValue") {
				t.Errorf("unknown attribute: err %v, stderr %s", err, errOut)
			}
		})
	}
}

// families launches an instant fleet, and creates a placement group and
// flow logs, with boto3: the calls the Terraform resources aws_ec2_fleet,
// aws_placement_group and aws_flow_log make.
const families = `
import boto3, botocore
ec2 = boto3.client("ec2", region_name="us-east-1")
ami = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023*x86_64"]}])["Images"][0]["ImageId"]
lt = ec2.create_launch_template(LaunchTemplateName="fleet", LaunchTemplateData={"ImageId": ami, "InstanceType": "t3.micro"})["LaunchTemplate"]["LaunchTemplateId"]
f = ec2.create_fleet(Type="instant", LaunchTemplateConfigs=[{"LaunchTemplateSpecification": {"LaunchTemplateId": lt, "Version": "$Latest"}}],
                     TargetCapacitySpecification={"TotalTargetCapacity": 2, "DefaultTargetCapacityType": "on-demand"})
ids = f["Instances"][0]["InstanceIds"]
assert len(ids) == 2 and f["Errors"] == [], f
fleet = ec2.describe_fleets(FleetIds=[f["FleetId"]])["Fleets"][0]
assert fleet["Type"] == "instant" and fleet["FulfilledCapacity"] == 2.0, fleet
tags = ec2.describe_instances(InstanceIds=ids)["Reservations"][0]["Instances"][0]["Tags"]
assert {"Key": "aws:ec2:fleet-id", "Value": f["FleetId"]} in tags, tags
d = ec2.delete_fleets(FleetIds=[f["FleetId"]], TerminateInstances=True)
assert d["SuccessfulFleetDeletions"][0]["CurrentFleetState"] == "deleted_terminating", d

pg = ec2.create_placement_group(GroupName="hpc", Strategy="cluster")["PlacementGroup"]
assert ec2.describe_placement_groups(GroupNames=["hpc"])["PlacementGroups"][0]["GroupId"] == pg["GroupId"]
try:
    ec2.create_placement_group(GroupName="hpc", Strategy="cluster")
    raise SystemExit("duplicate placement group accepted")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "InvalidPlacementGroup.Duplicate", e.response

vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
fl = ec2.create_flow_logs(ResourceType="VPC", ResourceIds=[vpc], TrafficType="ALL", LogDestinationType="s3", LogDestination="arn:aws:s3:::flow-logs/vpc/")
assert len(fl["FlowLogIds"]) == 1 and fl["Unsuccessful"] == [], fl
got = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc]}])["FlowLogs"]
assert got[0]["LogDestinationType"] == "s3" and got[0]["MaxAggregationInterval"] == 600, got
ec2.delete_flow_logs(FlowLogIds=fl["FlowLogIds"])
assert ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc]}])["FlowLogs"] == []
print("ok")
`

func TestFleetPlacementFlowLogsBoto3(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	if out := n.Python(t, families); strings.TrimSpace(out) != "ok" {
		t.Fatalf("script output %q", out)
	}
}

// TestTransitGatewayAndCapacityCLI drives transit gateways and capacity
// reservations with both CLIs, the calls aws_ec2_transit_gateway,
// aws_ec2_transit_gateway_vpc_attachment and aws_ec2_capacity_reservation
// make on create and read, with aws CLI v2.
func TestTransitGatewayAndCapacityCLI(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	// One CLI keeps the package quick; TestReadPathCLI runs both.
	for i, cli := range framework.CLIs[1:] {
		t.Run(cli.Name, func(t *testing.T) {
			run := func(v any, args ...string) {
				t.Helper()
				framework.CLIJSON(t, n, cli, v, append([]string{"--region", "us-east-1", "ec2"}, args...)...)
			}
			var tgw, rtb string
			run(&tgw, "create-transit-gateway", "--description", "hub", "--query", "TransitGateway.TransitGatewayId")
			run(&rtb, "describe-transit-gateways", "--transit-gateway-ids", tgw, "--query", "TransitGateways[0].Options.AssociationDefaultRouteTableId")
			var vpc, subnet, attach string
			run(&vpc, "create-vpc", "--cidr-block", fmt.Sprintf("10.%d.0.0/16", 40+i), "--query", "Vpc.VpcId")
			run(&subnet, "create-subnet", "--vpc-id", vpc, "--cidr-block", fmt.Sprintf("10.%d.1.0/24", 40+i), "--availability-zone", "us-east-1a", "--query", "Subnet.SubnetId")
			run(&attach, "create-transit-gateway-vpc-attachment", "--transit-gateway-id", tgw, "--vpc-id", vpc, "--subnet-ids", subnet,
				"--query", "TransitGatewayVpcAttachment.TransitGatewayAttachmentId")
			var dests []string
			run(&dests, "search-transit-gateway-routes", "--transit-gateway-route-table-id", rtb, "--filters", "Name=type,Values=propagated",
				"--query", "Routes[].DestinationCidrBlock")
			if len(dests) != 1 || dests[0] != fmt.Sprintf("10.%d.0.0/16", 40+i) {
				t.Errorf("propagated routes %v", dests)
			}
			_, errOut, err := n.RunCLI(t, cli, nil, "--region", "us-east-1", "ec2", "delete-transit-gateway", "--transit-gateway-id", tgw)
			if err == nil || !strings.Contains(errOut, "IncorrectState") {
				t.Errorf("deleting a gateway with attachments: err %v, stderr %s", err, errOut)
			}
			run(nil, "delete-transit-gateway-vpc-attachment", "--transit-gateway-attachment-id", attach)
			run(nil, "delete-transit-gateway", "--transit-gateway-id", tgw)

			var cr string
			run(&cr, "create-capacity-reservation", "--instance-type", "m5.large", "--instance-platform", "Linux/UNIX", "--availability-zone", "us-east-1a",
				"--instance-count", "2", "--query", "CapacityReservation.CapacityReservationId")
			var state string
			run(&state, "describe-capacity-reservations", "--capacity-reservation-ids", cr, "--query", "CapacityReservations[0].State")
			if state != "active" {
				t.Errorf("reservation state %s", state)
			}
			run(nil, "cancel-capacity-reservation", "--capacity-reservation-id", cr)
			run(&state, "describe-capacity-reservations", "--capacity-reservation-ids", cr, "--query", "CapacityReservations[0].State")
			if state != "cancelled" {
				t.Errorf("reservation state after cancel %s", state)
			}
		})
	}
}
