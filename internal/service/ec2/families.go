package ec2

import (
	"errors"
	"strings"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/filter"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Commonly used families at API level: placement groups, VPC flow logs,
// snapshot copies and network ACL rule replacement. They are stored,
// validated as EC2 validates them, described, tagged and deleted; none
// changes where an instance runs or what traffic is recorded.

var (
	placementGroups = resource[ec2api.PlacementGroup]{table: storage.NewTable[ec2api.PlacementGroup]("placementgroup"), prefix: "pg", typ: "placement-group",
		noun: "placement group", notFound: errPlacementGroupUnknown, tags: func(v *ec2api.PlacementGroup) *[]ec2api.Tag { return &v.Tags }, doc: placementGroupDoc}
	flowLogs = resource[ec2api.FlowLog]{table: storage.NewTable[ec2api.FlowLog]("flowlog"), prefix: "fl", typ: "vpc-flow-log", noun: "flow log",
		notFound: code("InvalidFlowLogId.NotFound"), tags: func(v *ec2api.FlowLog) *[]ec2api.Tag { return &v.Tags }, doc: flowLogDoc}
)

var errPlacementGroupUnknown = code("InvalidPlacementGroup.Unknown")

func placementGroupDoc(v *ec2api.PlacementGroup) filter.Doc {
	return filter.New(v.Tags).Add("group-name", ptr.Deref(v.GroupName)).Add("group-id", ptr.Deref(v.GroupId)).Add("group-arn", ptr.Deref(v.GroupArn)).
		Add("state", ptr.Deref(v.State)).Add("strategy", ptr.Deref(v.Strategy)).Add("spread-level", ptr.Deref(v.SpreadLevel))
}

func flowLogDoc(v *ec2api.FlowLog) filter.Doc {
	return filter.New(v.Tags).Add("deliver-log-status", ptr.Deref(v.DeliverLogsStatus)).Add("log-destination-type", ptr.Deref(v.LogDestinationType)).
		Add("flow-log-id", ptr.Deref(v.FlowLogId)).Add("log-group-name", ptr.Deref(v.LogGroupName)).Add("resource-id", ptr.Deref(v.ResourceId)).
		Add("traffic-type", ptr.Deref(v.TrafficType))
}

func unknownPlacementGroup(name string) error {
	return errPlacementGroupUnknown.New("The Placement Group '%s' is unknown.", name)
}

// placementGroupByName finds a group by its name (names are unique in a
// region).
func placementGroupByName(tx storage.Tx, sc storage.Scope, name string) (ec2api.PlacementGroup, bool, error) {
	all, err := placementGroups.all(tx, sc)
	for _, g := range all {
		if ptr.Deref(g.GroupName) == name {
			return g, true, err
		}
	}
	return ec2api.PlacementGroup{}, false, err
}

// CreatePlacementGroup stores a cluster, spread or partition group.
func (s *EC2) CreatePlacementGroup(ctx *request.Context, in *ec2api.CreatePlacementGroupRequest) (*ec2api.CreatePlacementGroupResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	name := ptr.Deref(in.GroupName)
	if name == "" {
		return nil, errMissingParameter.New("The request must contain the parameter groupName")
	}
	if len(name) > 255 {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter groupName is invalid. Length exceeds maximum of 255.", name)
	}
	strategy := ptr.Deref(in.Strategy)
	switch strategy {
	case "cluster", "spread", "partition":
	case "":
		return nil, errMissingParameter.New("The request must contain the parameter strategy")
	default:
		return nil, errInvalidParameterValue.New("Value (%s) for parameter strategy is invalid. Valid values are cluster, spread, partition.", strategy)
	}
	g := ec2api.PlacementGroup{GroupName: ptr.To(name), State: ptr.To("available"), Strategy: ptr.To(strategy), Tags: nonNilTags(tagsFor(in.TagSpecifications, "placement-group"))}
	if in.PartitionCount != nil {
		if strategy != "partition" {
			return nil, errInvalidParameterCombo.New("PartitionCount can only be specified for a partition placement group.")
		}
		if n := *in.PartitionCount; n < 1 || n > 7 {
			return nil, errInvalidParameterValue.New("Value (%d) for parameter partitionCount is invalid. Expected a value between 1 and 7.", n)
		}
	}
	if strategy == "partition" {
		n := int32(2)
		if in.PartitionCount != nil {
			n = *in.PartitionCount
		}
		g.PartitionCount = ptr.To(n)
	}
	if lvl := in.SpreadLevel; lvl != nil {
		if strategy != "spread" {
			return nil, errInvalidParameterCombo.New("SpreadLevel can only be specified for a spread placement group.")
		}
		if *lvl != "host" && *lvl != "rack" {
			return nil, errInvalidParameterValue.New("Value (%s) for parameter spreadLevel is invalid. Valid values are host, rack.", *lvl)
		}
		// Host-level spread is for Outposts only.
		if *lvl == "host" {
			return nil, errInvalidParameterValue.New("Host-level spread placement groups are supported only on AWS Outposts.")
		}
		g.SpreadLevel = ptr.To(*lvl)
	} else if strategy == "spread" {
		g.SpreadLevel = ptr.To("rack")
	}
	id := newID("pg")
	g.GroupId = ptr.To(id)
	g.GroupArn = ptr.To("arn:aws:ec2:" + ctx.Region + ":" + ctx.Account + ":placement-group/" + name)
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		if _, ok, err := placementGroupByName(tx, sc, name); err != nil {
			return err
		} else if ok {
			return code("InvalidPlacementGroup.Duplicate").New("The Placement Group '%s' already exists.", name)
		}
		return placementGroups.put(tx, sc, id, g)
	})
	return answer(&ec2api.CreatePlacementGroupResult{PlacementGroup: &g}, err)
}

// DescribePlacementGroups lists groups by name, id or filter.
func (s *EC2) DescribePlacementGroups(ctx *request.Context, in *ec2api.DescribePlacementGroupsRequest) (*ec2api.DescribePlacementGroupsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	ids := append([]string{}, in.GroupIds...)
	if len(in.GroupNames) > 0 {
		err := s.store.View(func(tx storage.Tx) error {
			for _, name := range in.GroupNames {
				g, ok, err := placementGroupByName(tx, scope(ctx), name)
				if err != nil {
					return err
				}
				if !ok {
					return unknownPlacementGroup(name)
				}
				ids = append(ids, ptr.Deref(g.GroupId))
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	recs, _, err := describe(s, ctx, placementGroups, page{ids: ids, filters: in.Filters}, nil)
	if err != nil {
		return nil, err
	}
	return &ec2api.DescribePlacementGroupsResult{PlacementGroups: orEmpty(recs)}, nil
}

// DeletePlacementGroup deletes a group by name.
func (s *EC2) DeletePlacementGroup(ctx *request.Context, in *ec2api.DeletePlacementGroupRequest) (*ec2api.DeletePlacementGroupOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	name := ptr.Deref(in.GroupName)
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		g, ok, err := placementGroupByName(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			return unknownPlacementGroup(name)
		}
		return placementGroups.table.Delete(tx, sc, ptr.Deref(g.GroupId))
	})
	return answer(&ec2api.DeletePlacementGroupOutput{}, err)
}

// defaultFlowLogFormat is AWS's default record format (version 2 fields).
const defaultFlowLogFormat = "${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}"

// flowLogResourceExists checks that a flow log's resource exists,
// answering the resource's own not-found error.
func flowLogResourceExists(tx storage.Tx, sc storage.Scope, typ, id string) error {
	var err error
	switch typ {
	case "VPC":
		_, err = vpcs.get(tx, sc, id)
	case "Subnet":
		_, err = subnets.get(tx, sc, id)
	case "NetworkInterface":
		_, err = enis.get(tx, sc, id)
	case "TransitGateway":
		_, err = tgws.get(tx, sc, id)
	case "TransitGatewayAttachment":
		_, err = tgwAttachments.get(tx, sc, id)
	}
	return err
}

// CreateFlowLogs stores one flow log per resource. Each resource that
// does not exist, or already has a flow log of the same traffic type and
// destination, is an Unsuccessful item, as EC2 answers them; the others
// are created. niwa records no traffic, so the logs stay empty.
func (s *EC2) CreateFlowLogs(ctx *request.Context, in *ec2api.CreateFlowLogsRequest) (*ec2api.CreateFlowLogsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	typ := ptr.Deref(in.ResourceType)
	switch typ {
	case "VPC", "Subnet", "NetworkInterface", "TransitGateway", "TransitGatewayAttachment":
	case "":
		return nil, errMissingParameter.New("The request must contain the parameter ResourceType")
	default:
		return nil, errInvalidParameterValue.New("Value (%s) for parameter resourceType is invalid. Valid values are VPC, Subnet, NetworkInterface, TransitGateway, TransitGatewayAttachment.", typ)
	}
	if len(in.ResourceIds) == 0 {
		return nil, errMissingParameter.New("The request must contain the parameter ResourceId")
	}
	if len(in.ResourceIds) > 1000 {
		return nil, errInvalidParameterValue.New("The maximum number of resource IDs per request is 1000.")
	}
	traffic := ptr.Deref(in.TrafficType)
	switch traffic {
	case "ACCEPT", "REJECT", "ALL":
	case "":
		return nil, errMissingParameter.New("The request must contain the parameter TrafficType")
	default:
		return nil, errInvalidParameterValue.New("Value (%s) for parameter trafficType is invalid. Valid values are ACCEPT, REJECT, ALL.", traffic)
	}
	dest := "cloud-watch-logs"
	if in.LogDestinationType != nil {
		dest = *in.LogDestinationType
	}
	logGroup, destination := ptr.Deref(in.LogGroupName), ptr.Deref(in.LogDestination)
	switch dest {
	case "cloud-watch-logs":
		if logGroup == "" && destination == "" {
			return nil, errInvalidParameter.New("Either LogGroupName or LogDestination must be specified for the cloud-watch-logs destination type.")
		}
		if logGroup != "" && destination != "" {
			return nil, errInvalidParameterCombo.New("LogGroupName and LogDestination cannot both be specified.")
		}
		if ptr.Deref(in.DeliverLogsPermissionArn) == "" {
			return nil, errInvalidParameter.New("DeliverLogsPermissionArn is required for the cloud-watch-logs destination type.")
		}
		if destination != "" {
			// arn:aws:logs:region:account:log-group:name[:*]
			parts := strings.SplitN(destination, ":", 7)
			if len(parts) < 7 || parts[2] != "logs" || parts[5] != "log-group" || parts[6] == "" {
				return nil, errInvalidParameter.New("LogDestination: %s is not a valid CloudWatch Logs log group ARN.", destination)
			}
			logGroup = strings.TrimSuffix(parts[6], ":*")
		} else {
			destination = "arn:aws:logs:" + ctx.Region + ":" + ctx.Account + ":log-group:" + logGroup
		}
	case "s3":
		if !strings.HasPrefix(destination, "arn:aws:s3:::") || len(destination) == len("arn:aws:s3:::") {
			return nil, errInvalidParameter.New("LogDestination: %s is not a valid S3 ARN.", destination)
		}
		if in.DeliverLogsPermissionArn != nil || logGroup != "" {
			return nil, errInvalidParameterCombo.New("DeliverLogsPermissionArn and LogGroupName are not applicable for the s3 destination type.")
		}
	case "kinesis-data-firehose":
		if !strings.HasPrefix(destination, "arn:aws:firehose:") {
			return nil, errInvalidParameter.New("LogDestination: %s is not a valid Kinesis Data Firehose delivery stream ARN.", destination)
		}
	default:
		return nil, errInvalidParameterValue.New("Value (%s) for parameter logDestinationType is invalid. Valid values are cloud-watch-logs, s3, kinesis-data-firehose.", dest)
	}
	interval := int32(600)
	if in.MaxAggregationInterval != nil {
		interval = *in.MaxAggregationInterval
		if interval != 60 && interval != 600 {
			return nil, errInvalidParameterValue.New("Value (%d) for parameter maxAggregationInterval is invalid. Valid values are 60, 600.", interval)
		}
	}
	format := defaultFlowLogFormat
	if f := ptr.Deref(in.LogFormat); f != "" {
		if !strings.Contains(f, "${") {
			return nil, errInvalidParameter.New("LogFormat: %s does not name any field.", f)
		}
		format = f
	}
	var opts *ec2api.DestinationOptionsResponse
	if o := in.DestinationOptions; o != nil {
		if dest != "s3" {
			return nil, errInvalidParameterCombo.New("DestinationOptions can only be specified for the s3 destination type.")
		}
		ff := ptr.Deref(o.FileFormat)
		if ff == "" {
			ff = "plain-text"
		}
		if ff != "plain-text" && ff != "parquet" {
			return nil, errInvalidParameterValue.New("Value (%s) for parameter fileFormat is invalid. Valid values are plain-text, parquet.", ff)
		}
		opts = &ec2api.DestinationOptionsResponse{FileFormat: ptr.To(ff), HiveCompatiblePartitions: ptr.To(ptr.Deref(o.HiveCompatiblePartitions)), PerHourPartition: ptr.To(ptr.Deref(o.PerHourPartition))}
	} else if dest == "s3" {
		opts = &ec2api.DestinationOptionsResponse{FileFormat: ptr.To("plain-text"), HiveCompatiblePartitions: ptr.To(false), PerHourPartition: ptr.To(false)}
	}
	sc := scope(ctx)
	now := ctx.Now().UTC()
	out := &ec2api.CreateFlowLogsResult{ClientToken: in.ClientToken, FlowLogIds: []string{}, Unsuccessful: []ec2api.UnsuccessfulItem{}}
	fail := func(id, c, m string) {
		out.Unsuccessful = append(out.Unsuccessful, ec2api.UnsuccessfulItem{ResourceId: ptr.To(id), Error: &ec2api.UnsuccessfulItemError{Code: ptr.To(c), Message: ptr.To(m)}})
	}
	err := s.store.Update(func(tx storage.Tx) error {
		existing, err := flowLogs.all(tx, sc)
		if err != nil {
			return err
		}
		for _, rid := range in.ResourceIds {
			if err := flowLogResourceExists(tx, sc, typ, rid); err != nil {
				var e *awserr.Error
				if errors.As(err, &e) {
					fail(rid, e.Code.Code, e.Message)
					continue
				}
				return err
			}
			dup := false
			for _, fl := range existing {
				dup = dup || (ptr.Deref(fl.ResourceId) == rid && ptr.Deref(fl.TrafficType) == traffic && ptr.Deref(fl.LogDestination) == destination)
			}
			if dup {
				fail(rid, "FlowLogAlreadyExists", "Error. There is an existing Flow Log with the same configuration and log destination.")
				continue
			}
			id := newID("fl")
			fl := ec2api.FlowLog{FlowLogId: ptr.To(id), CreationTime: ptr.To(now), ResourceId: ptr.To(rid), TrafficType: ptr.To(traffic), LogDestinationType: ptr.To(dest),
				LogDestination: ptr.To(destination), LogFormat: ptr.To(format), MaxAggregationInterval: ptr.To(interval), FlowLogStatus: ptr.To("ACTIVE"),
				DeliverLogsStatus: ptr.To("SUCCESS"), DeliverLogsPermissionArn: in.DeliverLogsPermissionArn, DeliverCrossAccountRole: in.DeliverCrossAccountRole,
				DestinationOptions: opts, Tags: nonNilTags(tagsFor(in.TagSpecifications, "vpc-flow-log"))}
			if dest == "cloud-watch-logs" {
				fl.LogGroupName = ptr.To(logGroup)
			}
			if err := flowLogs.put(tx, sc, id, fl); err != nil {
				return err
			}
			existing = append(existing, fl)
			out.FlowLogIds = append(out.FlowLogIds, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DescribeFlowLogs lists flow logs.
func (s *EC2) DescribeFlowLogs(ctx *request.Context, in *ec2api.DescribeFlowLogsRequest) (*ec2api.DescribeFlowLogsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	recs, next, err := describe(s, ctx, flowLogs, page{ids: in.FlowLogIds, filters: in.Filter, maxResults: in.MaxResults, nextToken: in.NextToken}, nil)
	return answer(&ec2api.DescribeFlowLogsResult{FlowLogs: orEmpty(recs), NextToken: next}, err)
}

// DeleteFlowLogs deletes flow logs; unknown ids are Unsuccessful items.
func (s *EC2) DeleteFlowLogs(ctx *request.Context, in *ec2api.DeleteFlowLogsRequest) (*ec2api.DeleteFlowLogsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if len(in.FlowLogIds) == 0 {
		return nil, errMissingParameter.New("The request must contain the parameter FlowLogId")
	}
	sc := scope(ctx)
	out := &ec2api.DeleteFlowLogsResult{Unsuccessful: []ec2api.UnsuccessfulItem{}}
	err := s.store.Update(func(tx storage.Tx) error {
		for _, id := range in.FlowLogIds {
			ok, err := flowLogs.table.DeleteExisting(tx, sc, id)
			if err != nil {
				return err
			}
			if !ok {
				out.Unsuccessful = append(out.Unsuccessful, ec2api.UnsuccessfulItem{ResourceId: ptr.To(id),
					Error: &ec2api.UnsuccessfulItemError{Code: ptr.To("InvalidFlowLogId.NotFound"), Message: ptr.To("Flow Log " + id + " does not exist")}})
			}
		}
		return nil
	})
	return answer(out, err)
}

// ReplaceNetworkAclEntry replaces a numbered rule in place.
func (s *EC2) ReplaceNetworkAclEntry(ctx *request.Context, in *ec2api.ReplaceNetworkAclEntryRequest) (*ec2api.ReplaceNetworkAclEntryOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	n := ptr.Deref(in.RuleNumber)
	if n < 1 || n > 32766 {
		return nil, errInvalidParameterValue.New("Invalid value '%d' for ruleNumber. Must be between 1 and 32766.", n)
	}
	if a := ptr.Deref(in.RuleAction); a != "allow" && a != "deny" {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter ruleAction is invalid. Valid values are allow, deny.", a)
	}
	err := mutate(s, ctx, acls, ptr.Deref(in.NetworkAclId), func(_ storage.Tx, _ storage.Scope, acl *ec2api.NetworkAcl) error {
		for i, e := range acl.Entries {
			if ptr.Deref(e.RuleNumber) == n && ptr.Deref(e.Egress) == ptr.Deref(in.Egress) {
				acl.Entries[i] = ec2api.NetworkAclEntry{RuleNumber: in.RuleNumber, Egress: ptr.To(ptr.Deref(in.Egress)), Protocol: in.Protocol, RuleAction: in.RuleAction,
					CidrBlock: in.CidrBlock, Ipv6CidrBlock: in.Ipv6CidrBlock, PortRange: in.PortRange, IcmpTypeCode: in.IcmpTypeCode}
				return nil
			}
		}
		return errACLEntryNotFound.New("The specified rule does not exist in this network acl.")
	})
	return answer(&ec2api.ReplaceNetworkAclEntryOutput{}, err)
}

// CopySnapshot copies a snapshot, from this region or SourceRegion of the
// same account, into the request's region.
func (s *EC2) CopySnapshot(ctx *request.Context, in *ec2api.CopySnapshotRequest) (*ec2api.CopySnapshotResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	src := ptr.Deref(in.SourceSnapshotId)
	if src == "" {
		return nil, errMissingParameter.New("The request must contain the parameter SourceSnapshotId")
	}
	region := ptr.Deref(in.SourceRegion)
	if region == "" {
		return nil, errMissingParameter.New("The request must contain the parameter SourceRegion")
	}
	if _, ok := regionTable()[region]; !ok {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter sourceRegion is invalid.", region)
	}
	if in.KmsKeyId != nil && !ptr.Deref(in.Encrypted) {
		return nil, errInvalidParameterCombo.New("KmsKeyId requires Encrypted to be true.")
	}
	sc := scope(ctx)
	from := storage.Scope{Account: ctx.Account, Region: region}
	id := newID("snap")
	tags := nonNilTags(tagsFor(in.TagSpecifications, "snapshot"))
	err := s.store.Update(func(tx storage.Tx) error {
		sn, ok, err := snapshots.table.Get(tx, from, src)
		if err != nil {
			return err
		}
		if !ok {
			return notFound(errSnapshotNotFound, "snapshot", src)
		}
		desc := ptr.Deref(in.Description)
		if in.Description == nil {
			desc = "[Copied " + src + " from " + region + "]"
		}
		cp := ec2api.Snapshot{SnapshotId: ptr.To(id), VolumeId: ptr.To("vol-ffffffff"), VolumeSize: sn.VolumeSize, State: ptr.To("completed"), Progress: ptr.To("100%"),
			StartTime: ptr.To(ctx.Now().UTC()), OwnerId: ptr.To(ctx.Account), Encrypted: ptr.To(ptr.Deref(sn.Encrypted) || ptr.Deref(in.Encrypted)), KmsKeyId: sn.KmsKeyId,
			Description: ptr.To(desc), StorageTier: ptr.To("standard"), Tags: tags}
		if in.KmsKeyId != nil {
			cp.KmsKeyId = ptr.To(*in.KmsKeyId)
		}
		return snapshots.put(tx, sc, id, cp)
	})
	if err != nil {
		return nil, err
	}
	return &ec2api.CopySnapshotResult{SnapshotId: ptr.To(id), Tags: tags}, nil
}
