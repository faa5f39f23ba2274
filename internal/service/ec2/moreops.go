package ec2

import (
	"time"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Image lifecycle switches (disable, deprecation, deregistration
// protection), multi-volume snapshots, security group references across
// peering, peering options and instance attribute resets.

func (s *EC2) mutateOwnImage(ctx *request.Context, id string, fn func(tx storage.Tx, im *ec2api.Image) error) error {
	sc := scope(ctx)
	return s.store.Update(func(tx storage.Tx) error {
		im, err := s.ownImage(tx, ctx, id)
		if err != nil {
			return err
		}
		if err := fn(tx, &im); err != nil {
			return err
		}
		return userImages.put(tx, sc, id, im)
	})
}

// DisableImage makes an image private and unlaunchable (state disabled).
func (s *EC2) DisableImage(ctx *request.Context, in *ec2api.DisableImageRequest) (*ec2api.DisableImageResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	id := ptr.Deref(in.ImageId)
	err := s.mutateOwnImage(ctx, id, func(tx storage.Tx, im *ec2api.Image) error {
		if st := ptr.Deref(im.State); st != "available" {
			return errIncorrectState.New("Image %s is in state %s and cannot be disabled.", id, st)
		}
		im.State, im.Public = ptr.To("disabled"), ptr.To(false)
		_, err := imagePerms.DeleteExisting(tx, scope(ctx), id)
		return err
	})
	return answer(&ec2api.DisableImageResult{Return: ptr.To(true)}, err)
}

// EnableImage makes a disabled image available again (still private).
func (s *EC2) EnableImage(ctx *request.Context, in *ec2api.EnableImageRequest) (*ec2api.EnableImageResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	id := ptr.Deref(in.ImageId)
	err := s.mutateOwnImage(ctx, id, func(_ storage.Tx, im *ec2api.Image) error {
		if st := ptr.Deref(im.State); st != "disabled" {
			return errIncorrectState.New("Image %s is in state %s and cannot be enabled.", id, st)
		}
		im.State = ptr.To("available")
		return nil
	})
	return answer(&ec2api.EnableImageResult{Return: ptr.To(true)}, err)
}

// EnableImageDeprecation sets when an image is deprecated (rounded down
// to the minute, at most ten years ahead, as EC2 does).
func (s *EC2) EnableImageDeprecation(ctx *request.Context, in *ec2api.EnableImageDeprecationRequest) (*ec2api.EnableImageDeprecationResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if in.DeprecateAt == nil {
		return nil, errMissingParameter.New("The request must contain the parameter DeprecateAt")
	}
	at := in.DeprecateAt.UTC().Truncate(time.Minute)
	if at.After(ctx.Now().AddDate(10, 0, 0)) {
		return nil, errInvalidParameterValue.New("The deprecation time cannot be more than 10 years in the future.")
	}
	err := s.mutateOwnImage(ctx, ptr.Deref(in.ImageId), func(_ storage.Tx, im *ec2api.Image) error {
		im.DeprecationTime = ptr.To(at.Format("2006-01-02T15:04:05.000Z"))
		return nil
	})
	return answer(&ec2api.EnableImageDeprecationResult{Return: ptr.To(true)}, err)
}

// DisableImageDeprecation clears an image's deprecation time.
func (s *EC2) DisableImageDeprecation(ctx *request.Context, in *ec2api.DisableImageDeprecationRequest) (*ec2api.DisableImageDeprecationResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	err := s.mutateOwnImage(ctx, ptr.Deref(in.ImageId), func(_ storage.Tx, im *ec2api.Image) error {
		im.DeprecationTime = nil
		return nil
	})
	return answer(&ec2api.DisableImageDeprecationResult{Return: ptr.To(true)}, err)
}

// EnableImageDeregistrationProtection stops DeregisterImage until
// protection is disabled (and, with cooldown, 24 hours after).
func (s *EC2) EnableImageDeregistrationProtection(ctx *request.Context, in *ec2api.EnableImageDeregistrationProtectionRequest) (*ec2api.EnableImageDeregistrationProtectionResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	v := "enabled-without-cooldown"
	if ptr.Deref(in.WithCooldown) {
		v = "enabled-with-cooldown"
	}
	err := s.mutateOwnImage(ctx, ptr.Deref(in.ImageId), func(_ storage.Tx, im *ec2api.Image) error {
		im.DeregistrationProtection = ptr.To(v)
		return nil
	})
	return answer(&ec2api.EnableImageDeregistrationProtectionResult{Return: ptr.To(v)}, err)
}

// DisableImageDeregistrationProtection lifts the protection; with a
// cooldown it lasts 24 more hours on niwa's clock.
func (s *EC2) DisableImageDeregistrationProtection(ctx *request.Context, in *ec2api.DisableImageDeregistrationProtectionRequest) (*ec2api.DisableImageDeregistrationProtectionResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	v := "disabled"
	err := s.mutateOwnImage(ctx, ptr.Deref(in.ImageId), func(_ storage.Tx, im *ec2api.Image) error {
		if ptr.Deref(im.DeregistrationProtection) == "enabled-with-cooldown" {
			v = "disabled-until " + ctx.Now().UTC().Add(24*time.Hour).Format("2006-01-02T15:04:05.000Z")
		}
		im.DeregistrationProtection = ptr.To(v)
		return nil
	})
	return answer(&ec2api.DisableImageDeregistrationProtectionResult{Return: ptr.To(v)}, err)
}

// deregistrationProtected reports whether an image's protection still
// forbids DeregisterImage at now.
func deregistrationProtected(im ec2api.Image, now time.Time) bool {
	v := ptr.Deref(im.DeregistrationProtection)
	switch {
	case v == "enabled-with-cooldown" || v == "enabled-without-cooldown":
		return true
	case len(v) > len("disabled-until ") && v[:len("disabled-until ")] == "disabled-until ":
		until, err := time.Parse("2006-01-02T15:04:05.000Z", v[len("disabled-until "):])
		return err == nil && now.Before(until)
	}
	return false
}

// CreateSnapshots snapshots every EBS volume of an instance at once
// (crash-consistent on AWS), less the ones excluded.
func (s *EC2) CreateSnapshots(ctx *request.Context, in *ec2api.CreateSnapshotsRequest) (*ec2api.CreateSnapshotsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	spec := in.InstanceSpecification
	if spec == nil || spec.InstanceId == nil {
		return nil, errMissingParameter.New("The request must contain the parameter InstanceSpecification.InstanceId")
	}
	if c := ptr.Deref(in.CopyTagsFromSource); c != "" && c != "volume" {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter CopyTagsFromSource is invalid. Valid values are volume.", c)
	}
	sc := scope(ctx)
	now := ctx.Now().UTC()
	out := &ec2api.CreateSnapshotsResult{Snapshots: []ec2api.SnapshotInfo{}}
	err := s.store.Update(func(tx storage.Tx) error {
		r, err := instances.get(tx, sc, *spec.InstanceId)
		if err != nil {
			return err
		}
		ids := []string{}
		seen := map[string]bool{}
		if r.RootVolume != "" && !ptr.Deref(spec.ExcludeBootVolume) {
			ids, seen[r.RootVolume] = append(ids, r.RootVolume), true
		}
		if r.RootVolume != "" {
			seen[r.RootVolume] = true
		}
		for _, v := range r.Volumes {
			if !seen[v.VolumeID] && !contains(spec.ExcludeDataVolumeIds, v.VolumeID) {
				ids, seen[v.VolumeID] = append(ids, v.VolumeID), true
			}
		}
		for _, vid := range ids {
			v, ok, err := volumes.table.Get(tx, sc, vid)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			tags := tagsFor(in.TagSpecifications, "snapshot")
			if ptr.Deref(in.CopyTagsFromSource) == "volume" {
				tags = mergeTags(append([]ec2api.Tag{}, v.Tags...), tags)
			}
			id := newID("snap")
			sn := ec2api.Snapshot{SnapshotId: ptr.To(id), VolumeId: ptr.To(vid), VolumeSize: v.Size, State: ptr.To("completed"), Progress: ptr.To("100%"), StartTime: ptr.To(now),
				OwnerId: ptr.To(ctx.Account), Encrypted: v.Encrypted, KmsKeyId: v.KmsKeyId, Description: ptr.To(ptr.Deref(in.Description)), StorageTier: ptr.To("standard"), Tags: nonNilTags(tags)}
			if err := snapshots.put(tx, sc, id, sn); err != nil {
				return err
			}
			out.Snapshots = append(out.Snapshots, ec2api.SnapshotInfo{SnapshotId: ptr.To(id), VolumeId: ptr.To(vid), VolumeSize: v.Size, State: ptr.To("pending"), Progress: ptr.To(""),
				StartTime: ptr.To(now), OwnerId: ptr.To(ctx.Account), Encrypted: v.Encrypted, Description: sn.Description, Tags: sn.Tags, SseType: ptr.To("sse-ebs")})
		}
		return nil
	})
	return answer(out, err)
}

// activePeering is the active peering connection between two VPCs, if
// any.
func activePeering(tx storage.Tx, sc storage.Scope, a, b string) (string, error) {
	all, err := peerings.all(tx, sc)
	for _, p := range all {
		if ptr.Deref(p.Status.Code) != "active" || p.RequesterVpcInfo == nil || p.AccepterVpcInfo == nil {
			continue
		}
		r, c := ptr.Deref(p.RequesterVpcInfo.VpcId), ptr.Deref(p.AccepterVpcInfo.VpcId)
		if (r == a && c == b) || (r == b && c == a) {
			return ptr.Deref(p.VpcPeeringConnectionId), err
		}
	}
	return "", err
}

// DescribeSecurityGroupReferences lists the VPCs across a peering whose
// security group rules reference the given groups.
func (s *EC2) DescribeSecurityGroupReferences(ctx *request.Context, in *ec2api.DescribeSecurityGroupReferencesRequest) (*ec2api.DescribeSecurityGroupReferencesResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if len(in.GroupId) == 0 {
		return nil, errMissingParameter.New("The request must contain the parameter groupId")
	}
	sc := scope(ctx)
	out := &ec2api.DescribeSecurityGroupReferencesResult{SecurityGroupReferenceSet: []ec2api.SecurityGroupReference{}}
	err := s.store.View(func(tx storage.Tx) error {
		groups, err := sgs.getEach(tx, sc, in.GroupId)
		if err != nil {
			return err
		}
		all, err := sgs.all(tx, sc)
		if err != nil {
			return err
		}
		for _, g := range groups {
			seen := map[string]bool{}
			for _, other := range all {
				vpc := ptr.Deref(other.VpcId)
				if vpc == ptr.Deref(g.VpcId) || seen[vpc] || !referencesGroup(other, ptr.Deref(g.GroupId)) {
					continue
				}
				pcx, err := activePeering(tx, sc, vpc, ptr.Deref(g.VpcId))
				if err != nil {
					return err
				}
				if pcx == "" {
					continue
				}
				seen[vpc] = true
				out.SecurityGroupReferenceSet = append(out.SecurityGroupReferenceSet, ec2api.SecurityGroupReference{GroupId: g.GroupId, ReferencingVpcId: ptr.To(vpc), VpcPeeringConnectionId: ptr.To(pcx)})
			}
		}
		return nil
	})
	return answer(out, err)
}

func referencesGroup(g ec2api.SecurityGroup, id string) bool {
	for _, perms := range [][]ec2api.IpPermission{g.IpPermissions, g.IpPermissionsEgress} {
		for _, p := range perms {
			for _, pair := range p.UserIdGroupPairs {
				if ptr.Deref(pair.GroupId) == id {
					return true
				}
			}
		}
	}
	return false
}

// DescribeStaleSecurityGroups lists a VPC's groups with rules that
// reference a group in another VPC that no active peering reaches, or
// that no longer exists.
func (s *EC2) DescribeStaleSecurityGroups(ctx *request.Context, in *ec2api.DescribeStaleSecurityGroupsRequest) (*ec2api.DescribeStaleSecurityGroupsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	vpc := ptr.Deref(in.VpcId)
	if vpc == "" {
		return nil, errMissingParameter.New("The request must contain the parameter vpcId")
	}
	if n := ptr.Deref(in.MaxResults); in.MaxResults != nil && (n < 5 || n > 255) {
		return nil, errInvalidParameterValue.New("Value ( %d ) for parameter maxResults is invalid. Expecting a value between 5 and 255.", n)
	}
	sc := scope(ctx)
	var list []ec2api.StaleSecurityGroup
	err := s.store.View(func(tx storage.Tx) error {
		if _, err := vpcs.get(tx, sc, vpc); err != nil {
			return err
		}
		all, err := sgs.all(tx, sc)
		if err != nil {
			return err
		}
		stale := func(perms []ec2api.IpPermission) ([]ec2api.StaleIpPermission, error) {
			var out []ec2api.StaleIpPermission
			for _, p := range perms {
				var pairs []ec2api.UserIdGroupPair
				for _, pair := range p.UserIdGroupPairs {
					ref, ok, err := sgs.table.Get(tx, sc, ptr.Deref(pair.GroupId))
					if err != nil {
						return nil, err
					}
					if ok && ptr.Deref(ref.VpcId) == vpc {
						continue
					}
					if ok {
						pcx, err := activePeering(tx, sc, vpc, ptr.Deref(ref.VpcId))
						if err != nil {
							return nil, err
						}
						if pcx != "" {
							continue
						}
					}
					pairs = append(pairs, pair)
				}
				if len(pairs) > 0 {
					out = append(out, ec2api.StaleIpPermission{IpProtocol: p.IpProtocol, FromPort: p.FromPort, ToPort: p.ToPort, UserIdGroupPairs: pairs, IpRanges: []string{}, PrefixListIds: []string{}})
				}
			}
			return out, nil
		}
		for _, g := range all {
			if ptr.Deref(g.VpcId) != vpc {
				continue
			}
			in, err := stale(g.IpPermissions)
			if err != nil {
				return err
			}
			eg, err := stale(g.IpPermissionsEgress)
			if err != nil {
				return err
			}
			if len(in)+len(eg) > 0 {
				list = append(list, ec2api.StaleSecurityGroup{GroupId: g.GroupId, GroupName: g.GroupName, Description: g.Description, VpcId: g.VpcId,
					StaleIpPermissions: orEmpty(in), StaleIpPermissionsEgress: orEmpty(eg)})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	items, next, err := pageOf(list, in.MaxResults, in.NextToken)
	return answer(&ec2api.DescribeStaleSecurityGroupsResult{StaleSecurityGroupSet: append([]ec2api.StaleSecurityGroup{}, items...), NextToken: next}, err)
}

// ModifyVpcPeeringConnectionOptions sets DNS resolution across an active
// peering for either side (the ClassicLink options are retired).
func (s *EC2) ModifyVpcPeeringConnectionOptions(ctx *request.Context, in *ec2api.ModifyVpcPeeringConnectionOptionsRequest) (*ec2api.ModifyVpcPeeringConnectionOptionsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if in.AccepterPeeringConnectionOptions == nil && in.RequesterPeeringConnectionOptions == nil {
		return nil, errMissingParameter.New("The request must contain the parameter AccepterPeeringConnectionOptions or RequesterPeeringConnectionOptions")
	}
	for _, o := range []*ec2api.PeeringConnectionOptionsRequest{in.AccepterPeeringConnectionOptions, in.RequesterPeeringConnectionOptions} {
		if o != nil && (ptr.Deref(o.AllowEgressFromLocalClassicLinkToRemoteVpc) || ptr.Deref(o.AllowEgressFromLocalVpcToRemoteClassicLink)) {
			return nil, errInvalidParameterValue.New("ClassicLink options are no longer supported: EC2-Classic is retired.")
		}
	}
	out := &ec2api.ModifyVpcPeeringConnectionOptionsResult{}
	apply := func(info *ec2api.VpcPeeringConnectionVpcInfo, o *ec2api.PeeringConnectionOptionsRequest) *ec2api.PeeringConnectionOptions {
		if o == nil || info == nil {
			return nil
		}
		if info.PeeringOptions == nil {
			info.PeeringOptions = &ec2api.VpcPeeringConnectionOptionsDescription{AllowEgressFromLocalClassicLinkToRemoteVpc: ptr.To(false), AllowEgressFromLocalVpcToRemoteClassicLink: ptr.To(false)}
		}
		if o.AllowDnsResolutionFromRemoteVpc != nil {
			info.PeeringOptions.AllowDnsResolutionFromRemoteVpc = ptr.To(*o.AllowDnsResolutionFromRemoteVpc)
		}
		return &ec2api.PeeringConnectionOptions{AllowDnsResolutionFromRemoteVpc: ptr.To(ptr.Deref(info.PeeringOptions.AllowDnsResolutionFromRemoteVpc)),
			AllowEgressFromLocalClassicLinkToRemoteVpc: ptr.To(false), AllowEgressFromLocalVpcToRemoteClassicLink: ptr.To(false)}
	}
	err := mutate(s, ctx, peerings, ptr.Deref(in.VpcPeeringConnectionId), func(_ storage.Tx, _ storage.Scope, p *ec2api.VpcPeeringConnection) error {
		if st := ptr.Deref(p.Status.Code); st != "active" {
			return code("OperationNotPermitted").New("Peering connection %s is not active (%s); its options cannot be modified.", ptr.Deref(p.VpcPeeringConnectionId), st)
		}
		out.AccepterPeeringConnectionOptions = apply(p.AccepterVpcInfo, in.AccepterPeeringConnectionOptions)
		out.RequesterPeeringConnectionOptions = apply(p.RequesterVpcInfo, in.RequesterPeeringConnectionOptions)
		return nil
	})
	return answer(out, err)
}

// ResetInstanceAttribute resets sourceDestCheck (to true), kernel or
// ramdisk (to none) of a stopped instance; sourceDestCheck needs no stop.
func (s *EC2) ResetInstanceAttribute(ctx *request.Context, in *ec2api.ResetInstanceAttributeRequest) (*ec2api.ResetInstanceAttributeOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	attr := ptr.Deref(in.Attribute)
	switch attr {
	case "sourceDestCheck", "kernel", "ramdisk":
	case "":
		return nil, missingAttribute()
	default:
		return nil, errInvalidParameterValue.New("Value (%s) for parameter attribute is invalid. Valid values are kernel, ramdisk, sourceDestCheck.", attr)
	}
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		r, err := instances.get(tx, sc, ptr.Deref(in.InstanceId))
		if err != nil {
			return err
		}
		switch attr {
		case "sourceDestCheck":
			r.SourceDestCheck = true
			if r.ENI != "" {
				if e, ok, err := enis.table.Get(tx, sc, r.ENI); err != nil {
					return err
				} else if ok {
					e.SourceDestCheck = ptr.To(true)
					if err := enis.put(tx, sc, r.ENI, e); err != nil {
						return err
					}
				}
			}
		default:
			if r.State != "stopped" {
				return errIncorrectInstanceState.New("The instance '%s' is not in the 'stopped' state.", r.ID)
			}
			if attr == "kernel" {
				r.Kernel = ""
			} else {
				r.Ramdisk = ""
			}
		}
		return instances.put(tx, sc, r.ID, r)
	})
	return answer(&ec2api.ResetInstanceAttributeOutput{}, err)
}
