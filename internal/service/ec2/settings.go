package ec2

import (
	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Account-level settings and small attribute calls: resource id formats
// (long ids, always), serial console access, block public access for
// images and snapshots, attribute resets, peering rejection and VPC
// tenancy.

// accountSettings are per account and region, under the empty key.
var accountSettings = storage.NewTable[settingsRecord]("settings")

type settingsRecord struct {
	SerialConsole       bool
	ImageBlockPublic    bool
	SnapshotBlockPublic string // "", "block-all-sharing", "block-new-sharing"
	// IMDSDefaults are the account's instance metadata defaults; a zero
	// field is "no preference".
	IMDSDefaults imdsOptions
	// Credits are the account's default credit options by burstable
	// family ("t3": "standard"); a family not in it has AWS's default.
	Credits map[string]string
}

func (s *EC2) settings(ctx *request.Context, fn func(*settingsRecord) error) (settingsRecord, error) {
	var v settingsRecord
	err := s.store.Update(func(tx storage.Tx) error {
		var err error
		if v, _, err = accountSettings.Get(tx, scope(ctx), ""); err != nil {
			return err
		}
		if fn == nil {
			return nil
		}
		if err := fn(&v); err != nil {
			return err
		}
		return accountSettings.Put(tx, scope(ctx), v, "")
	})
	return v, err
}

// idFormatResources are the resource types whose id format EC2 reports;
// every one uses long ids, as all of AWS has since 2018.
var idFormatResources = []string{"bundle", "conversion-task", "customer-gateway", "dhcp-options", "elastic-ip-allocation", "elastic-ip-association",
	"export-task", "flow-log", "image", "import-task", "instance", "internet-gateway", "network-acl", "network-acl-association", "network-interface",
	"network-interface-attachment", "prefix-list", "reservation", "route-table", "route-table-association", "security-group", "snapshot", "subnet",
	"subnet-cidr-block-association", "volume", "vpc", "vpc-cidr-block-association", "vpc-endpoint", "vpc-peering-connection", "vpn-connection", "vpn-gateway"}

func idFormats(resource string) ([]ec2api.IdFormat, error) {
	var out []ec2api.IdFormat
	for _, r := range idFormatResources {
		if resource == "" || resource == r {
			out = append(out, ec2api.IdFormat{Resource: ptr.To(r), UseLongIds: ptr.To(true)})
		}
	}
	if len(out) == 0 {
		return nil, errInvalidParameterValue.New("Invalid value '%s' for resource. Valid values are %s.", resource, "bundle | conversion-task | customer-gateway | dhcp-options | ...")
	}
	return out, nil
}

// DescribeIdFormat answers long ids for every resource type.
func (s *EC2) DescribeIdFormat(ctx *request.Context, in *ec2api.DescribeIdFormatRequest) (*ec2api.DescribeIdFormatResult, error) {
	st, err := idFormats(ptr.Deref(in.Resource))
	return answer(&ec2api.DescribeIdFormatResult{Statuses: st}, err)
}

// DescribeIdentityIdFormat answers long ids for any principal.
func (s *EC2) DescribeIdentityIdFormat(ctx *request.Context, in *ec2api.DescribeIdentityIdFormatRequest) (*ec2api.DescribeIdentityIdFormatResult, error) {
	if ptr.Deref(in.PrincipalArn) == "" {
		return nil, errMissingParameter.New("The request must contain the parameter principalArn")
	}
	st, err := idFormats(ptr.Deref(in.Resource))
	return answer(&ec2api.DescribeIdentityIdFormatResult{Statuses: st}, err)
}

// DescribeAggregateIdFormat answers that the whole region uses long ids.
func (s *EC2) DescribeAggregateIdFormat(ctx *request.Context, in *ec2api.DescribeAggregateIdFormatRequest) (*ec2api.DescribeAggregateIdFormatResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	st, _ := idFormats("")
	return &ec2api.DescribeAggregateIdFormatResult{UseLongIdsAggregated: ptr.To(true), Statuses: st}, nil
}

// DescribePrincipalIdFormat answers long ids for the account's root.
func (s *EC2) DescribePrincipalIdFormat(ctx *request.Context, in *ec2api.DescribePrincipalIdFormatRequest) (*ec2api.DescribePrincipalIdFormatResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	var st []ec2api.IdFormat
	for _, r := range in.Resources {
		one, err := idFormats(r)
		if err != nil {
			return nil, err
		}
		st = append(st, one...)
	}
	if len(in.Resources) == 0 {
		st, _ = idFormats("")
	}
	return &ec2api.DescribePrincipalIdFormatResult{Principals: []ec2api.PrincipalIdFormat{{Arn: ptr.To("arn:aws:iam::" + ctx.Account + ":root"), Statuses: st}}}, nil
}

func modifyIDFormat(resource string, long *bool) error {
	if _, err := idFormats(resource); err != nil || resource == "" {
		return errInvalidParameterValue.New("Invalid value '%s' for resource.", resource)
	}
	if long == nil {
		return errMissingParameter.New("The request must contain the parameter useLongIds")
	}
	if !*long {
		// Short ids ended in 2018; EC2 refuses to go back.
		return errInvalidParameterValue.New("Resource %s does not support short IDs.", resource)
	}
	return nil
}

// ModifyIdFormat accepts long ids (the only format) and refuses short.
func (s *EC2) ModifyIdFormat(ctx *request.Context, in *ec2api.ModifyIdFormatRequest) (*ec2api.ModifyIdFormatOutput, error) {
	return answer(&ec2api.ModifyIdFormatOutput{}, modifyIDFormat(ptr.Deref(in.Resource), in.UseLongIds))
}

// ModifyIdentityIdFormat is ModifyIdFormat for one principal.
func (s *EC2) ModifyIdentityIdFormat(ctx *request.Context, in *ec2api.ModifyIdentityIdFormatRequest) (*ec2api.ModifyIdentityIdFormatOutput, error) {
	if ptr.Deref(in.PrincipalArn) == "" {
		return nil, errMissingParameter.New("The request must contain the parameter principalArn")
	}
	return answer(&ec2api.ModifyIdentityIdFormatOutput{}, modifyIDFormat(ptr.Deref(in.Resource), in.UseLongIds))
}

// GetSerialConsoleAccessStatus answers the account's setting (off until
// enabled). niwa has no serial console to connect to either way.
func (s *EC2) GetSerialConsoleAccessStatus(ctx *request.Context, in *ec2api.GetSerialConsoleAccessStatusRequest) (*ec2api.GetSerialConsoleAccessStatusResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	v, err := s.settings(ctx, nil)
	return answer(&ec2api.GetSerialConsoleAccessStatusResult{SerialConsoleAccessEnabled: ptr.To(v.SerialConsole)}, err)
}

// EnableSerialConsoleAccess turns the setting on.
func (s *EC2) EnableSerialConsoleAccess(ctx *request.Context, in *ec2api.EnableSerialConsoleAccessRequest) (*ec2api.EnableSerialConsoleAccessResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	_, err := s.settings(ctx, func(v *settingsRecord) error { v.SerialConsole = true; return nil })
	return answer(&ec2api.EnableSerialConsoleAccessResult{SerialConsoleAccessEnabled: ptr.To(true)}, err)
}

// DisableSerialConsoleAccess turns the setting off.
func (s *EC2) DisableSerialConsoleAccess(ctx *request.Context, in *ec2api.DisableSerialConsoleAccessRequest) (*ec2api.DisableSerialConsoleAccessResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	_, err := s.settings(ctx, func(v *settingsRecord) error { v.SerialConsole = false; return nil })
	return answer(&ec2api.DisableSerialConsoleAccessResult{SerialConsoleAccessEnabled: ptr.To(false)}, err)
}

func imageBlockState(on bool) string {
	if on {
		return "block-new-sharing"
	}
	return "unblocked"
}

// GetImageBlockPublicAccessState answers whether new public sharing of
// AMIs is blocked.
func (s *EC2) GetImageBlockPublicAccessState(ctx *request.Context, in *ec2api.GetImageBlockPublicAccessStateRequest) (*ec2api.GetImageBlockPublicAccessStateResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	v, err := s.settings(ctx, nil)
	return answer(&ec2api.GetImageBlockPublicAccessStateResult{ImageBlockPublicAccessState: ptr.To(imageBlockState(v.ImageBlockPublic))}, err)
}

// EnableImageBlockPublicAccess blocks new public sharing of AMIs:
// ModifyImageAttribute then refuses Group=all.
func (s *EC2) EnableImageBlockPublicAccess(ctx *request.Context, in *ec2api.EnableImageBlockPublicAccessRequest) (*ec2api.EnableImageBlockPublicAccessResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if st := ptr.Deref(in.ImageBlockPublicAccessState); st != "block-new-sharing" {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter imageBlockPublicAccessState is invalid. Valid values are block-new-sharing.", st)
	}
	_, err := s.settings(ctx, func(v *settingsRecord) error { v.ImageBlockPublic = true; return nil })
	return answer(&ec2api.EnableImageBlockPublicAccessResult{ImageBlockPublicAccessState: ptr.To("block-new-sharing")}, err)
}

// DisableImageBlockPublicAccess allows public sharing again.
func (s *EC2) DisableImageBlockPublicAccess(ctx *request.Context, in *ec2api.DisableImageBlockPublicAccessRequest) (*ec2api.DisableImageBlockPublicAccessResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	_, err := s.settings(ctx, func(v *settingsRecord) error { v.ImageBlockPublic = false; return nil })
	return answer(&ec2api.DisableImageBlockPublicAccessResult{ImageBlockPublicAccessState: ptr.To("unblocked")}, err)
}

// GetSnapshotBlockPublicAccessState answers the snapshot setting.
func (s *EC2) GetSnapshotBlockPublicAccessState(ctx *request.Context, in *ec2api.GetSnapshotBlockPublicAccessStateRequest) (*ec2api.GetSnapshotBlockPublicAccessStateResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	v, err := s.settings(ctx, nil)
	st := v.SnapshotBlockPublic
	if st == "" {
		st = "unblocked"
	}
	return answer(&ec2api.GetSnapshotBlockPublicAccessStateResult{State: ptr.To(st)}, err)
}

// EnableSnapshotBlockPublicAccess blocks public sharing of snapshots:
// ModifySnapshotAttribute then refuses Group=all.
func (s *EC2) EnableSnapshotBlockPublicAccess(ctx *request.Context, in *ec2api.EnableSnapshotBlockPublicAccessRequest) (*ec2api.EnableSnapshotBlockPublicAccessResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	st := ptr.Deref(in.State)
	if st != "block-all-sharing" && st != "block-new-sharing" {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter state is invalid. Valid values are block-all-sharing, block-new-sharing.", st)
	}
	_, err := s.settings(ctx, func(v *settingsRecord) error { v.SnapshotBlockPublic = st; return nil })
	return answer(&ec2api.EnableSnapshotBlockPublicAccessResult{State: ptr.To(st)}, err)
}

// DisableSnapshotBlockPublicAccess allows public sharing again.
func (s *EC2) DisableSnapshotBlockPublicAccess(ctx *request.Context, in *ec2api.DisableSnapshotBlockPublicAccessRequest) (*ec2api.DisableSnapshotBlockPublicAccessResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	_, err := s.settings(ctx, func(v *settingsRecord) error { v.SnapshotBlockPublic = ""; return nil })
	return answer(&ec2api.DisableSnapshotBlockPublicAccessResult{State: ptr.To("unblocked")}, err)
}

// ResetImageAttribute resets launch permissions (the only attribute EC2
// resets), making the image private.
func (s *EC2) ResetImageAttribute(ctx *request.Context, in *ec2api.ResetImageAttributeRequest) (*ec2api.ResetImageAttributeOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if a := ptr.Deref(in.Attribute); a != "launchPermission" {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter attribute is invalid. Valid values are launchPermission.", a)
	}
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		im, err := s.ownImage(tx, ctx, ptr.Deref(in.ImageId))
		if err != nil {
			return err
		}
		im.Public = ptr.To(false)
		if _, err := imagePerms.DeleteExisting(tx, sc, ptr.Deref(in.ImageId)); err != nil {
			return err
		}
		if err := syncShare(tx, ctx.Region, ctx.Account, ptr.Deref(in.ImageId), nil); err != nil {
			return err
		}
		return userImages.put(tx, sc, ptr.Deref(in.ImageId), im)
	})
	return answer(&ec2api.ResetImageAttributeOutput{}, err)
}

// ResetSnapshotAttribute removes every create-volume permission.
func (s *EC2) ResetSnapshotAttribute(ctx *request.Context, in *ec2api.ResetSnapshotAttributeRequest) (*ec2api.ResetSnapshotAttributeOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if a := ptr.Deref(in.Attribute); a != "createVolumePermission" {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter attribute is invalid. Valid values are createVolumePermission.", a)
	}
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		if _, err := snapshots.get(tx, sc, ptr.Deref(in.SnapshotId)); err != nil {
			return err
		}
		_, err := snapshotPerms.DeleteExisting(tx, sc, ptr.Deref(in.SnapshotId))
		return err
	})
	return answer(&ec2api.ResetSnapshotAttributeOutput{}, err)
}

// ResetNetworkInterfaceAttribute turns source/dest checking back on.
func (s *EC2) ResetNetworkInterfaceAttribute(ctx *request.Context, in *ec2api.ResetNetworkInterfaceAttributeRequest) (*ec2api.ResetNetworkInterfaceAttributeOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if in.SourceDestCheck == nil {
		return nil, errMissingParameter.New("The request must contain the parameter sourceDestCheck")
	}
	_, err := s.ModifyNetworkInterfaceAttribute(ctx, &ec2api.ModifyNetworkInterfaceAttributeRequest{NetworkInterfaceId: in.NetworkInterfaceId,
		SourceDestCheck: &ec2api.AttributeBooleanValue{Value: ptr.To(true)}})
	return answer(&ec2api.ResetNetworkInterfaceAttributeOutput{}, err)
}

// ModifyVolumeAttribute sets autoEnableIO. A simulated volume is never
// impaired, so the setting changes nothing observable but is checked.
func (s *EC2) ModifyVolumeAttribute(ctx *request.Context, in *ec2api.ModifyVolumeAttributeRequest) (*ec2api.ModifyVolumeAttributeOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if in.AutoEnableIO == nil {
		return nil, errMissingParameter.New("The request must contain the parameter autoEnableIO")
	}
	err := s.store.View(func(tx storage.Tx) error {
		_, err := volumes.get(tx, scope(ctx), ptr.Deref(in.VolumeId))
		return err
	})
	return answer(&ec2api.ModifyVolumeAttributeOutput{}, err)
}

// EnableVolumeIO re-enables I/O on a volume; niwa's volumes never have it
// disabled.
func (s *EC2) EnableVolumeIO(ctx *request.Context, in *ec2api.EnableVolumeIORequest) (*ec2api.EnableVolumeIOOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	err := s.store.View(func(tx storage.Tx) error {
		_, err := volumes.get(tx, scope(ctx), ptr.Deref(in.VolumeId))
		return err
	})
	return answer(&ec2api.EnableVolumeIOOutput{}, err)
}

// RejectVpcPeeringConnection rejects a pending peering request.
func (s *EC2) RejectVpcPeeringConnection(ctx *request.Context, in *ec2api.RejectVpcPeeringConnectionRequest) (*ec2api.RejectVpcPeeringConnectionResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	err := mutate(s, ctx, peerings, ptr.Deref(in.VpcPeeringConnectionId), func(_ storage.Tx, _ storage.Scope, p *ec2api.VpcPeeringConnection) error {
		if st := ptr.Deref(p.Status.Code); st != "pending-acceptance" {
			return code("InvalidStateTransition").New("Invalid state transition for %s, attempted to transition from %s to rejected", ptr.Deref(p.VpcPeeringConnectionId), st)
		}
		p.Status = &ec2api.VpcPeeringConnectionStateReason{Code: ptr.To("rejected"), Message: ptr.To("Rejected by " + ctx.Account)}
		return nil
	})
	return answer(&ec2api.RejectVpcPeeringConnectionResult{Return: ptr.To(true)}, err)
}

// ModifyVpcTenancy changes a dedicated VPC to default tenancy, the only
// change EC2 allows.
func (s *EC2) ModifyVpcTenancy(ctx *request.Context, in *ec2api.ModifyVpcTenancyRequest) (*ec2api.ModifyVpcTenancyResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if t := ptr.Deref(in.InstanceTenancy); t != "default" {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter instanceTenancy is invalid. Valid values are default.", t)
	}
	err := mutate(s, ctx, vpcs, ptr.Deref(in.VpcId), func(_ storage.Tx, _ storage.Scope, v *vpcRecord) error {
		v.Vpc.InstanceTenancy = ptr.To("default")
		return nil
	})
	return answer(&ec2api.ModifyVpcTenancyResult{ReturnValue: ptr.To(true)}, err)
}

// DescribeInstanceTopology answers the network topology of instances of
// the types AWS reports it for (trn1, p4d, p5, hpc…); niwa's simulated
// instances have no physical placement, so the list is empty.
func (s *EC2) DescribeInstanceTopology(ctx *request.Context, in *ec2api.DescribeInstanceTopologyRequest) (*ec2api.DescribeInstanceTopologyResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if n := ptr.Deref(in.MaxResults); in.MaxResults != nil && (n < 1 || n > 100) {
		return nil, errInvalidParameterValue.New("Value ( %d ) for parameter maxResults is invalid. Expecting a value between 1 and 100.", n)
	}
	err := s.store.View(func(tx storage.Tx) error {
		if len(in.InstanceIds) > 0 {
			if _, err := instances.getEach(tx, scope(ctx), in.InstanceIds); err != nil {
				return err
			}
		}
		for _, name := range in.GroupNames {
			if _, ok, err := placementGroupByName(tx, scope(ctx), name); err != nil {
				return err
			} else if !ok {
				return unknownPlacementGroup(name)
			}
		}
		return nil
	})
	return answer(&ec2api.DescribeInstanceTopologyResult{Instances: []ec2api.InstanceTopology{}}, err)
}

// GetSecurityGroupsForVpc lists the security groups that may be used with
// network interfaces in a VPC: the VPC's own.
func (s *EC2) GetSecurityGroupsForVpc(ctx *request.Context, in *ec2api.GetSecurityGroupsForVpcRequest) (*ec2api.GetSecurityGroupsForVpcResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	vpc := ptr.Deref(in.VpcId)
	if vpc == "" {
		return nil, errMissingParameter.New("The request must contain the parameter VpcId")
	}
	err := s.store.View(func(tx storage.Tx) error {
		_, err := vpcs.get(tx, scope(ctx), vpc)
		return err
	})
	if err != nil {
		return nil, err
	}
	recs, next, err := describe(s, ctx, sgs, page{filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken}, func(g *ec2api.SecurityGroup) bool { return ptr.Deref(g.VpcId) == vpc })
	if err != nil {
		return nil, err
	}
	out := &ec2api.GetSecurityGroupsForVpcResult{SecurityGroupForVpcs: []ec2api.SecurityGroupForVpc{}, NextToken: next}
	for _, g := range recs {
		out.SecurityGroupForVpcs = append(out.SecurityGroupForVpcs, ec2api.SecurityGroupForVpc{GroupId: g.GroupId, GroupName: g.GroupName, Description: g.Description,
			OwnerId: g.OwnerId, PrimaryVpcId: g.VpcId, Tags: nonNilTags(g.Tags)})
	}
	return out, nil
}
