package ec2more

import (
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// The two CLIs share the work between the tests (each CLI call costs
// seconds on a loaded machine): v1 drives secondary addresses and
// metadata defaults (v2 2.9, Debian's, predates
// modify-instance-metadata-defaults), v2 default subnets and traffic
// mirroring.
var v1, v2 = framework.CLIs[0], framework.CLIs[1]

// TestPrivateAddressesAndMetadataDefaultsV1 assigns secondary private
// addresses within an instance type's limit, and launches an instance
// under account-level metadata defaults.
func TestPrivateAddressesAndMetadataDefaultsV1(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	cli, region := v1, "us-east-1"
	ec2 := func(args ...string) []string { return append([]string{"--region", region, "ec2"}, args...) }
	run := func(v any, args ...string) {
		t.Helper()
		framework.CLIJSON(t, n, cli, v, ec2(args...)...)
	}
	var vpc, sub, eni string
	run(&vpc, "create-vpc", "--cidr-block", "10.7.0.0/16", "--query", "Vpc.VpcId")
	run(&sub, "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.7.1.0/24", "--query", "Subnet.SubnetId")
	run(&eni, "create-network-interface", "--subnet-id", sub, "--query", "NetworkInterface.NetworkInterfaceId")
	var assigned []string
	run(&assigned, "assign-private-ip-addresses", "--network-interface-id", eni, "--secondary-private-ip-address-count", "2",
		"--query", "AssignedPrivateIpAddresses[].PrivateIpAddress")
	if len(assigned) != 2 || !strings.HasPrefix(assigned[0], "10.7.1.") {
		t.Fatalf("assigned %v", assigned)
	}
	n.MustCLI(t, cli, ec2("unassign-private-ip-addresses", "--network-interface-id", eni, "--private-ip-addresses", assigned[0])...)
	var described []string
	run(&described, "describe-network-interfaces", "--filters", "Name=addresses.private-ip-address,Values="+assigned[1],
		"--query", "NetworkInterfaces[].PrivateIpAddresses[].PrivateIpAddress")
	if len(described) != 2 || contains(described, assigned[0]) {
		t.Fatalf("described %v after unassigning %s", described, assigned[0])
	}

	n.MustCLI(t, cli, ec2("modify-instance-metadata-defaults", "--http-tokens", "required", "--http-put-response-hop-limit", "2")...)
	var defs map[string]any
	run(&defs, "get-instance-metadata-defaults", "--query", "AccountLevel")
	if defs["HttpTokens"] != "required" || defs["HttpPutResponseHopLimit"] != float64(2) {
		t.Fatalf("defaults %v", defs)
	}
	// A t3.micro interface holds two addresses; the launch takes the
	// account's metadata defaults.
	var inst []any
	run(&inst, "run-instances", "--image-id", amazonLinux(t, n, cli, region), "--instance-type", "t3.micro", "--subnet-id", sub,
		"--query", "Instances[0].[NetworkInterfaces[0].NetworkInterfaceId,MetadataOptions.HttpTokens,MetadataOptions.HttpPutResponseHopLimit]")
	if len(inst) != 3 || inst[1] != "required" || inst[2] != float64(2) {
		t.Fatalf("launched %v", inst)
	}
	n.MustCLI(t, cli, ec2("assign-private-ip-addresses", "--network-interface-id", inst[0].(string), "--secondary-private-ip-address-count", "1")...)
	_, errOut, err := n.RunCLI(t, cli, nil, ec2("assign-private-ip-addresses", "--network-interface-id", inst[0].(string), "--secondary-private-ip-address-count", "1")...)
	if err == nil || !strings.Contains(errOut, "(PrivateIpAddressLimitExceeded)") || !strings.Contains(errOut, "Number of private addresses will exceed limit.") {
		t.Errorf("over the limit: %v %s", err, errOut)
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// TestDefaultSubnetAndMirroringV2 recreates a deleted default subnet and
// builds a traffic mirror session.
func TestDefaultSubnetAndMirroringV2(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	cli, region := v2, "eu-west-1"
	ec2 := func(args ...string) []string { return append([]string{"--region", region, "ec2"}, args...) }
	run := func(v any, args ...string) {
		t.Helper()
		framework.CLIJSON(t, n, cli, v, ec2(args...)...)
	}
	zone := region + "a"
	var old []string
	run(&old, "describe-subnets", "--filters", "Name=default-for-az,Values=true", "Name=availability-zone,Values="+zone, "--query", "Subnets[0].[SubnetId,CidrBlock]")
	_, errOut, err := n.RunCLI(t, cli, nil, ec2("create-default-subnet", "--availability-zone", zone)...)
	if err == nil || !strings.Contains(errOut, "(DefaultSubnetAlreadyExistsInAvailabilityZone)") {
		t.Errorf("second default subnet: %v %s", err, errOut)
	}
	n.MustCLI(t, cli, ec2("delete-subnet", "--subnet-id", old[0])...)
	var created []string
	run(&created, "create-default-subnet", "--availability-zone", zone, "--query", "Subnet.[SubnetId,CidrBlock,to_string(DefaultForAz),to_string(MapPublicIpOnLaunch)]")
	if strings.Join(created[1:], ",") != old[1]+",true,true" {
		t.Fatalf("recreated default subnet %v, had %v", created, old)
	}

	var src, dst, flt, tgt string
	run(&src, "create-network-interface", "--subnet-id", created[0], "--query", "NetworkInterface.NetworkInterfaceId")
	run(&dst, "create-network-interface", "--subnet-id", created[0], "--query", "NetworkInterface.NetworkInterfaceId")
	run(&flt, "create-traffic-mirror-filter", "--query", "TrafficMirrorFilter.TrafficMirrorFilterId")
	n.MustCLI(t, cli, ec2("create-traffic-mirror-filter-rule", "--traffic-mirror-filter-id", flt, "--traffic-direction", "ingress", "--rule-number", "100",
		"--rule-action", "accept", "--protocol", "6", "--destination-port-range", "FromPort=443,ToPort=443", "--source-cidr-block", "0.0.0.0/0", "--destination-cidr-block", "10.0.0.0/8")...)
	run(&tgt, "create-traffic-mirror-target", "--network-interface-id", dst, "--query", "TrafficMirrorTarget.TrafficMirrorTargetId")
	var session []any
	run(&session, "create-traffic-mirror-session", "--network-interface-id", src, "--traffic-mirror-target-id", tgt, "--traffic-mirror-filter-id", flt, "--session-number", "1",
		"--query", "TrafficMirrorSession.[TrafficMirrorTargetId,NetworkInterfaceId]")
	if len(session) != 2 || session[0] != tgt || session[1] != src {
		t.Fatalf("session %v", session)
	}
	_, errOut, err = n.RunCLI(t, cli, nil, ec2("delete-traffic-mirror-filter", "--traffic-mirror-filter-id", flt)...)
	if err == nil || !strings.Contains(errOut, "(DependencyViolation)") {
		t.Errorf("deleting a used filter: %v %s", err, errOut)
	}
}

// amazonLinux is an Amazon Linux image id of the region.
func amazonLinux(t *testing.T, n *framework.Niwa, cli framework.CLI, region string) string {
	t.Helper()
	var ids []string
	framework.CLIJSON(t, n, cli, &ids, "--region", region, "ec2", "describe-images", "--owners", "amazon", "--filters", "Name=name,Values=al2023-ami-2023*", "Name=architecture,Values=x86_64",
		"--query", "Images[].ImageId")
	if len(ids) == 0 {
		t.Fatalf("no Amazon Linux image in %s", region)
	}
	return ids[0]
}

// TestSnapshotLockBoto3 locks a snapshot in compliance mode and moves the
// clock through its cooling-off period and its duration.
func TestSnapshotLockBoto3(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	script := func(step, snapID string) string {
		return n.Python(t, `
import boto3, botocore, os, json
ec2 = boto3.client("ec2", region_name="us-east-1")
step = os.environ["STEP"]
def code(f, **kw):
    try:
        f(**kw)
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"]
    return "ok"
if step == "lock":
    vol = ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"]
    snap = ec2.create_snapshot(VolumeId=vol)["SnapshotId"]
    r = ec2.lock_snapshot(SnapshotId=snap, LockMode="compliance", CoolOffPeriod=1, LockDuration=1)
    assert r["LockState"] == "compliance-cooloff", r
    assert code(ec2.delete_snapshot, SnapshotId=snap) == "SnapshotLocked"
    print(snap)
else:
    snap = os.environ["SNAP"]
    state = ec2.describe_locked_snapshots(SnapshotIds=[snap])["Snapshots"][0]["LockState"]
    print(json.dumps([state, code(ec2.unlock_snapshot, SnapshotId=snap), code(ec2.delete_snapshot, SnapshotId=snap)]))
`, "STEP="+step, "SNAP="+snapID)
	}
	snapID := strings.TrimSpace(script("lock", ""))
	n.AdvanceClock(t, 2*time.Hour)
	if got := strings.TrimSpace(script("check", snapID)); got != `["compliance", "IncorrectState", "SnapshotLocked"]` {
		t.Fatalf("after the cooling-off period: %s", got)
	}
	n.AdvanceClock(t, 24*time.Hour)
	if got := strings.TrimSpace(script("check", snapID)); got != `["expired", "IncorrectState", "ok"]` {
		t.Fatalf("after the lock duration: %s", got)
	}
}

// TestPeeringAndPrivateLinkBoto3 peers two gateways in two regions and
// routes a CIDR through the peering, then connects an interface endpoint
// to an endpoint service.
func TestPeeringAndPrivateLinkBoto3(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	out := n.Python(t, `
import boto3, botocore, json
east = boto3.client("ec2", region_name="us-east-1")
west = boto3.client("ec2", region_name="eu-west-1")
acct = boto3.client("sts", region_name="us-east-1").get_caller_identity()["Account"]
hub = east.create_transit_gateway()["TransitGateway"]
spoke = west.create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
p = east.create_transit_gateway_peering_attachment(TransitGatewayId=hub["TransitGatewayId"], PeerTransitGatewayId=spoke, PeerAccountId=acct, PeerRegion="eu-west-1")["TransitGatewayPeeringAttachment"]
att = p["TransitGatewayAttachmentId"]
seen = west.describe_transit_gateway_peering_attachments(TransitGatewayAttachmentIds=[att])["TransitGatewayPeeringAttachments"][0]
assert seen["State"] == "pendingAcceptance", seen
try:
    east.accept_transit_gateway_peering_attachment(TransitGatewayAttachmentId=att)
    raise SystemExit("the requester accepted")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "InvalidParameterValue", e.response
west.accept_transit_gateway_peering_attachment(TransitGatewayAttachmentId=att)
assert east.describe_transit_gateway_peering_attachments(TransitGatewayAttachmentIds=[att])["TransitGatewayPeeringAttachments"][0]["State"] == "available"
rt = hub["Options"]["AssociationDefaultRouteTableId"]
east.create_transit_gateway_route(TransitGatewayRouteTableId=rt, DestinationCidrBlock="10.90.0.0/16", TransitGatewayAttachmentId=att)
routes = east.search_transit_gateway_routes(TransitGatewayRouteTableId=rt, Filters=[{"Name": "attachment.resource-type", "Values": ["peering"]}])["Routes"]
assert [r["DestinationCidrBlock"] for r in routes] == ["10.90.0.0/16"], routes
r = east.replace_transit_gateway_route(TransitGatewayRouteTableId=rt, DestinationCidrBlock="10.90.0.0/16", Blackhole=True)["Route"]
assert r["State"] == "blackhole", r
s3 = boto3.client("s3", region_name="us-east-1")
s3.create_bucket(Bucket="tgw-routes")
loc = east.export_transit_gateway_routes(TransitGatewayRouteTableId=rt, S3Bucket="tgw-routes")["S3Location"]
key = loc[len("s3://tgw-routes/"):]
assert key.startswith("VPCTransitGateway/TransitGatewayRouteTables/"), loc
doc = json.loads(s3.get_object(Bucket="tgw-routes", Key=key)["Body"].read())
assert [(x["destinationCidrBlock"], x["state"]) for x in doc["routes"]] == [("10.90.0.0/16", "blackhole")], doc
west.delete_transit_gateway_peering_attachment(TransitGatewayAttachmentId=att)
assert east.describe_transit_gateway_attachments()["TransitGatewayAttachments"] == []

# PrivateLink: the provider's own endpoint to its service waits for acceptance.
nlb = "arn:aws:elasticloadbalancing:us-east-1:%s:loadbalancer/net/api/0123456789abcdef" % acct
svc = east.create_vpc_endpoint_service_configuration(NetworkLoadBalancerArns=[nlb], AcceptanceRequired=True)["ServiceConfiguration"]
vpc = east.create_vpc(CidrBlock="10.91.0.0/16")["Vpc"]["VpcId"]
sub = east.create_subnet(VpcId=vpc, CidrBlock="10.91.1.0/24")["Subnet"]["SubnetId"]
ep = east.create_vpc_endpoint(VpcId=vpc, ServiceName=svc["ServiceName"], VpcEndpointType="Interface", SubnetIds=[sub])["VpcEndpoint"]
assert ep["State"] == "pendingAcceptance", ep
conns = east.describe_vpc_endpoint_connections(Filters=[{"Name": "service-id", "Values": [svc["ServiceId"]]}])["VpcEndpointConnections"]
assert [c["VpcEndpointId"] for c in conns] == [ep["VpcEndpointId"]], conns
assert east.accept_vpc_endpoint_connections(ServiceId=svc["ServiceId"], VpcEndpointIds=[ep["VpcEndpointId"]])["Unsuccessful"] == []
assert east.describe_vpc_endpoints(VpcEndpointIds=[ep["VpcEndpointId"]])["VpcEndpoints"][0]["State"] == "available"
bad = east.delete_vpc_endpoint_service_configurations(ServiceIds=[svc["ServiceId"]])["Unsuccessful"]
assert bad[0]["Error"]["Code"] == "ExistingVpcEndpointConnections", bad
print("ok")
`)
	if strings.TrimSpace(out) != "ok" {
		t.Fatalf("boto3: %s", out)
	}
}
