package ec2

import (
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestPlacementGroups(t *testing.T) {
	f := newFixture(t, "us-east-1")
	g := must(f.CreatePlacementGroup(f.ctx, &ec2api.CreatePlacementGroupRequest{GroupName: ptr.To("hpc"), Strategy: ptr.To("partition"), PartitionCount: ptr.To(int32(3)),
		TagSpecifications: []ec2api.TagSpecification{{ResourceType: ptr.To("placement-group"), Tags: []ec2api.Tag{{Key: ptr.To("env"), Value: ptr.To("dev")}}}}})).PlacementGroup
	if ptr.Deref(g.State) != "available" || ptr.Deref(g.PartitionCount) != 3 || ptr.Deref(g.GroupArn) != "arn:aws:ec2:us-east-1:"+testAccount+":placement-group/hpc" || len(g.Tags) != 1 {
		t.Fatalf("group %+v", g)
	}
	sp := must(f.CreatePlacementGroup(f.ctx, &ec2api.CreatePlacementGroupRequest{GroupName: ptr.To("web"), Strategy: ptr.To("spread")})).PlacementGroup
	if ptr.Deref(sp.SpreadLevel) != "rack" || sp.PartitionCount != nil {
		t.Fatalf("spread group %+v", sp)
	}
	cases := []struct {
		name string
		in   ec2api.CreatePlacementGroupRequest
		code string
	}{
		{"duplicate", ec2api.CreatePlacementGroupRequest{GroupName: ptr.To("hpc"), Strategy: ptr.To("cluster")}, "InvalidPlacementGroup.Duplicate"},
		{"strategy", ec2api.CreatePlacementGroupRequest{GroupName: ptr.To("x"), Strategy: ptr.To("tight")}, "InvalidParameterValue"},
		{"no strategy", ec2api.CreatePlacementGroupRequest{GroupName: ptr.To("x")}, "MissingParameter"},
		{"partitions", ec2api.CreatePlacementGroupRequest{GroupName: ptr.To("x"), Strategy: ptr.To("partition"), PartitionCount: ptr.To(int32(8))}, "InvalidParameterValue"},
		{"partitions on cluster", ec2api.CreatePlacementGroupRequest{GroupName: ptr.To("x"), Strategy: ptr.To("cluster"), PartitionCount: ptr.To(int32(2))}, "InvalidParameterCombination"},
		{"host spread", ec2api.CreatePlacementGroupRequest{GroupName: ptr.To("x"), Strategy: ptr.To("spread"), SpreadLevel: ptr.To("host")}, "InvalidParameterValue"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.CreatePlacementGroup(f.ctx, &c.in)
			wantErr(t, err, c.code, "")
		})
	}
	byName := must(f.DescribePlacementGroups(f.ctx, &ec2api.DescribePlacementGroupsRequest{GroupNames: []string{"hpc"}})).PlacementGroups
	if len(byName) != 1 || ptr.Deref(byName[0].GroupId) != ptr.Deref(g.GroupId) {
		t.Fatalf("by name %+v", byName)
	}
	byFilter := must(f.DescribePlacementGroups(f.ctx, &ec2api.DescribePlacementGroupsRequest{Filters: []ec2api.Filter{{Name: ptr.To("strategy"), Values: []string{"spread"}}}})).PlacementGroups
	if len(byFilter) != 1 || ptr.Deref(byFilter[0].GroupName) != "web" {
		t.Fatalf("by filter %+v", byFilter)
	}
	_, err := f.DescribePlacementGroups(f.ctx, &ec2api.DescribePlacementGroupsRequest{GroupNames: []string{"nope"}})
	wantErr(t, err, "InvalidPlacementGroup.Unknown", "The Placement Group 'nope' is unknown.")
	must(f.DeletePlacementGroup(f.ctx, &ec2api.DeletePlacementGroupRequest{GroupName: ptr.To("hpc")}))
	_, err = f.DeletePlacementGroup(f.ctx, &ec2api.DeletePlacementGroupRequest{GroupName: ptr.To("hpc")})
	wantErr(t, err, "InvalidPlacementGroup.Unknown", "")
}

func TestFlowLogs(t *testing.T) {
	f := newFixture(t, "eu-west-1")
	vpc := ptr.Deref(must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.7.0.0/16")})).Vpc.VpcId)
	role := ptr.To("arn:aws:iam::" + testAccount + ":role/flow")
	out := must(f.CreateFlowLogs(f.ctx, &ec2api.CreateFlowLogsRequest{ResourceType: ptr.To("VPC"), ResourceIds: []string{vpc, "vpc-0123456789abcdef0"}, TrafficType: ptr.To("ALL"),
		LogGroupName: ptr.To("vpc-flow"), DeliverLogsPermissionArn: role}))
	if len(out.FlowLogIds) != 1 || len(out.Unsuccessful) != 1 || ptr.Deref(out.Unsuccessful[0].Error.Code) != "InvalidVpcID.NotFound" {
		t.Fatalf("create %+v", out)
	}
	dup := must(f.CreateFlowLogs(f.ctx, &ec2api.CreateFlowLogsRequest{ResourceType: ptr.To("VPC"), ResourceIds: []string{vpc}, TrafficType: ptr.To("ALL"),
		LogGroupName: ptr.To("vpc-flow"), DeliverLogsPermissionArn: role}))
	if len(dup.FlowLogIds) != 0 || ptr.Deref(dup.Unsuccessful[0].Error.Code) != "FlowLogAlreadyExists" {
		t.Fatalf("duplicate %+v", dup)
	}
	s3 := must(f.CreateFlowLogs(f.ctx, &ec2api.CreateFlowLogsRequest{ResourceType: ptr.To("VPC"), ResourceIds: []string{vpc}, TrafficType: ptr.To("REJECT"),
		LogDestinationType: ptr.To("s3"), LogDestination: ptr.To("arn:aws:s3:::logs/vpc/"), MaxAggregationInterval: ptr.To(int32(60))}))
	if len(s3.FlowLogIds) != 1 {
		t.Fatalf("s3 flow log %+v", s3)
	}
	all := must(f.DescribeFlowLogs(f.ctx, &ec2api.DescribeFlowLogsRequest{Filter: []ec2api.Filter{{Name: ptr.To("resource-id"), Values: []string{vpc}}}})).FlowLogs
	if len(all) != 2 {
		t.Fatalf("flow logs %+v", all)
	}
	cw := must(f.DescribeFlowLogs(f.ctx, &ec2api.DescribeFlowLogsRequest{FlowLogIds: out.FlowLogIds})).FlowLogs[0]
	if ptr.Deref(cw.LogDestination) != "arn:aws:logs:eu-west-1:"+testAccount+":log-group:vpc-flow" || ptr.Deref(cw.LogFormat) != defaultFlowLogFormat ||
		ptr.Deref(cw.MaxAggregationInterval) != 600 || ptr.Deref(cw.FlowLogStatus) != "ACTIVE" || ptr.Deref(cw.LogGroupName) != "vpc-flow" {
		t.Fatalf("cloudwatch flow log %+v", cw)
	}
	cases := []struct {
		name string
		in   ec2api.CreateFlowLogsRequest
		code string
	}{
		{"no role", ec2api.CreateFlowLogsRequest{ResourceType: ptr.To("VPC"), ResourceIds: []string{vpc}, TrafficType: ptr.To("ALL"), LogGroupName: ptr.To("g")}, "InvalidParameter"},
		{"traffic", ec2api.CreateFlowLogsRequest{ResourceType: ptr.To("VPC"), ResourceIds: []string{vpc}, TrafficType: ptr.To("SOME"), LogGroupName: ptr.To("g"), DeliverLogsPermissionArn: role}, "InvalidParameterValue"},
		{"resource type", ec2api.CreateFlowLogsRequest{ResourceType: ptr.To("Instance"), ResourceIds: []string{vpc}, TrafficType: ptr.To("ALL")}, "InvalidParameterValue"},
		{"bad s3", ec2api.CreateFlowLogsRequest{ResourceType: ptr.To("VPC"), ResourceIds: []string{vpc}, TrafficType: ptr.To("ALL"), LogDestinationType: ptr.To("s3"), LogDestination: ptr.To("logs")}, "InvalidParameter"},
		{"interval", ec2api.CreateFlowLogsRequest{ResourceType: ptr.To("VPC"), ResourceIds: []string{vpc}, TrafficType: ptr.To("ALL"), LogDestinationType: ptr.To("s3"), LogDestination: ptr.To("arn:aws:s3:::b"), MaxAggregationInterval: ptr.To(int32(120))}, "InvalidParameterValue"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.CreateFlowLogs(f.ctx, &c.in)
			wantErr(t, err, c.code, "")
		})
	}
	del := must(f.DeleteFlowLogs(f.ctx, &ec2api.DeleteFlowLogsRequest{FlowLogIds: []string{out.FlowLogIds[0], "fl-0123456789abcdef0"}}))
	if len(del.Unsuccessful) != 1 || ptr.Deref(del.Unsuccessful[0].ResourceId) != "fl-0123456789abcdef0" {
		t.Fatalf("delete %+v", del)
	}
	if left := must(f.DescribeFlowLogs(f.ctx, &ec2api.DescribeFlowLogsRequest{})).FlowLogs; len(left) != 1 {
		t.Fatalf("after delete %+v", left)
	}
}

func TestReplaceNetworkAclEntryAndCopySnapshot(t *testing.T) {
	f := newFixture(t, "us-east-1")
	vpc := must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.8.0.0/16")})).Vpc.VpcId
	acl := must(f.CreateNetworkAcl(f.ctx, &ec2api.CreateNetworkAclRequest{VpcId: vpc})).NetworkAcl.NetworkAclId
	must(f.CreateNetworkAclEntry(f.ctx, &ec2api.CreateNetworkAclEntryRequest{NetworkAclId: acl, RuleNumber: ptr.To(int32(100)), Protocol: ptr.To("6"), RuleAction: ptr.To("allow"),
		Egress: ptr.To(false), CidrBlock: ptr.To("0.0.0.0/0"), PortRange: &ec2api.PortRange{From: ptr.To(int32(80)), To: ptr.To(int32(80))}}))
	must(f.ReplaceNetworkAclEntry(f.ctx, &ec2api.ReplaceNetworkAclEntryRequest{NetworkAclId: acl, RuleNumber: ptr.To(int32(100)), Protocol: ptr.To("6"), RuleAction: ptr.To("deny"),
		Egress: ptr.To(false), CidrBlock: ptr.To("10.0.0.0/8"), PortRange: &ec2api.PortRange{From: ptr.To(int32(443)), To: ptr.To(int32(443))}}))
	a := must(f.DescribeNetworkAcls(f.ctx, &ec2api.DescribeNetworkAclsRequest{NetworkAclIds: []string{ptr.Deref(acl)}})).NetworkAcls[0]
	found := false
	for _, e := range a.Entries {
		if ptr.Deref(e.RuleNumber) == 100 && !ptr.Deref(e.Egress) {
			found = ptr.Deref(e.RuleAction) == "deny" && ptr.Deref(e.CidrBlock) == "10.0.0.0/8" && ptr.Deref(e.PortRange.From) == 443
		}
	}
	if !found {
		t.Fatalf("replaced entry %+v", a.Entries)
	}
	_, err := f.ReplaceNetworkAclEntry(f.ctx, &ec2api.ReplaceNetworkAclEntryRequest{NetworkAclId: acl, RuleNumber: ptr.To(int32(200)), Protocol: ptr.To("-1"), RuleAction: ptr.To("allow"), Egress: ptr.To(true), CidrBlock: ptr.To("0.0.0.0/0")})
	wantErr(t, err, "InvalidNetworkAclEntry.NotFound", "")

	vol := must(f.CreateVolume(f.ctx, &ec2api.CreateVolumeRequest{AvailabilityZone: ptr.To("us-east-1a"), Size: ptr.To(int32(3))})).VolumeId
	snap := ptr.Deref(must(f.CreateSnapshot(f.ctx, &ec2api.CreateSnapshotRequest{VolumeId: vol})).SnapshotId)
	cp := must(f.CopySnapshot(f.ctx, &ec2api.CopySnapshotRequest{SourceSnapshotId: ptr.To(snap), SourceRegion: ptr.To("us-east-1"), Encrypted: ptr.To(true)}))
	c := must(f.DescribeSnapshots(f.ctx, &ec2api.DescribeSnapshotsRequest{SnapshotIds: []string{ptr.Deref(cp.SnapshotId)}})).Snapshots[0]
	if ptr.Deref(c.VolumeSize) != 3 || !ptr.Deref(c.Encrypted) || ptr.Deref(c.Description) != "[Copied "+snap+" from us-east-1]" {
		t.Fatalf("copy %+v", c)
	}
	_, err = f.CopySnapshot(f.ctx, &ec2api.CopySnapshotRequest{SourceSnapshotId: ptr.To(snap), SourceRegion: ptr.To("eu-west-1")})
	wantErr(t, err, "InvalidSnapshot.NotFound", "")
	_, err = f.CopySnapshot(f.ctx, &ec2api.CopySnapshotRequest{SourceSnapshotId: ptr.To(snap), SourceRegion: ptr.To("mars-1")})
	wantErr(t, err, "InvalidParameterValue", "")
}
