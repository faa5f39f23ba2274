package ec2

import (
	"strconv"
	"strings"
	"time"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/filter"
	"github.com/niwa-cloud/niwa/internal/service/ec2/images"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// The read path of the Terraform AWS provider: attribute calls on
// ENIs, volumes, images and snapshots, volume modifications, EBS account
// defaults and the retired ClassicLink describes the provider still
// issues. docs/ec2.md lists them.

var (
	// volumeMods holds each volume's latest modification, keyed by
	// volume id (DescribeVolumesModifications shows the latest one).
	volumeMods = storage.NewTable[ec2api.VolumeModification]("volmod")
	// imagePerms and snapshotPerms hold launch and create-volume
	// permissions, keyed by image or snapshot id.
	imagePerms    = storage.NewTable[[]ec2api.LaunchPermission]("imageperm")
	snapshotPerms = storage.NewTable[[]ec2api.CreateVolumePermission]("snapperm")
	// ebsDefaults is the account's EBS encryption defaults in a region,
	// under the empty key.
	ebsDefaults = storage.NewTable[ebsDefaultsRecord]("ebsdefaults")
)

type ebsDefaultsRecord struct {
	Encrypt bool
	KeyID   string // empty: the AWS managed key alias/aws/ebs
}

// volumeModWindow is how long EC2 makes a volume wait between
// modifications.
const volumeModWindow = 6 * time.Hour

func errUnknownAttribute(v string) error {
	return errInvalidParameterValue.New("Value (%s) for parameter attribute is invalid. Unknown attribute.", v)
}

func missingAttribute() error {
	return errMissingParameter.New("The request must contain the parameter attribute")
}

// DescribeNetworkInterfaceAttribute answers one attribute of an ENI.
func (s *EC2) DescribeNetworkInterfaceAttribute(ctx *request.Context, in *ec2api.DescribeNetworkInterfaceAttributeRequest) (*ec2api.DescribeNetworkInterfaceAttributeResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	attr := ptr.Deref(in.Attribute)
	if attr == "" {
		return nil, missingAttribute()
	}
	var e ec2api.NetworkInterface
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		e, err = enis.get(tx, scope(ctx), ptr.Deref(in.NetworkInterfaceId))
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &ec2api.DescribeNetworkInterfaceAttributeResult{NetworkInterfaceId: e.NetworkInterfaceId}
	switch attr {
	case "description":
		out.Description = &ec2api.AttributeValue{Value: ptr.To(ptr.Deref(e.Description))}
	case "groupSet":
		out.Groups = orEmpty(e.Groups)
	case "sourceDestCheck":
		out.SourceDestCheck = &ec2api.AttributeBooleanValue{Value: ptr.To(ptr.Deref(e.SourceDestCheck))}
	case "attachment":
		out.Attachment = e.Attachment
	case "associatePublicIpAddress":
		out.AssociatePublicIpAddress = ptr.To(e.Association != nil && ptr.Deref(e.Association.PublicIp) != "")
	default:
		return nil, errUnknownAttribute(attr)
	}
	return out, nil
}

// ModifyNetworkInterfaceAttribute changes one attribute of an ENI:
// description, security groups (of the ENI's VPC), source/dest check or
// the attachment's DeleteOnTermination.
func (s *EC2) ModifyNetworkInterfaceAttribute(ctx *request.Context, in *ec2api.ModifyNetworkInterfaceAttributeRequest) (*ec2api.ModifyNetworkInterfaceAttributeOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	n := 0
	for _, set := range []bool{in.Description != nil, len(in.Groups) > 0, in.SourceDestCheck != nil, in.Attachment != nil, in.AssociatePublicIpAddress != nil,
		in.EnaSrdSpecification != nil, in.EnablePrimaryIpv6 != nil, in.ConnectionTrackingSpecification != nil} {
		if set {
			n++
		}
	}
	if n == 0 {
		return nil, errMissingParameter.New("The request must contain the parameter attribute")
	}
	id := ptr.Deref(in.NetworkInterfaceId)
	err := mutate(s, ctx, enis, id, func(tx storage.Tx, sc storage.Scope, e *ec2api.NetworkInterface) error {
		if in.Description != nil {
			e.Description = ptr.To(ptr.Deref(in.Description.Value))
		}
		if len(in.Groups) > 0 {
			gs, err := s.resolveGroups(tx, sc, ptr.Deref(e.VpcId), in.Groups)
			if err != nil {
				return err
			}
			e.Groups = gs
		}
		if in.SourceDestCheck != nil {
			e.SourceDestCheck = ptr.To(ptr.Deref(in.SourceDestCheck.Value))
			// An instance's source/dest check is its primary interface's.
			if a := e.Attachment; a != nil && ptr.Deref(a.DeviceIndex) == 0 && a.InstanceId != nil {
				r, ok, err := instances.table.Get(tx, sc, *a.InstanceId)
				if err != nil {
					return err
				}
				if ok && r.ENI == id {
					r.SourceDestCheck = *e.SourceDestCheck
					if err := instances.put(tx, sc, r.ID, r); err != nil {
						return err
					}
				}
			}
		}
		if in.Attachment != nil {
			if e.Attachment == nil || ptr.Deref(e.Attachment.AttachmentId) != ptr.Deref(in.Attachment.AttachmentId) {
				return code("InvalidAttachmentID.NotFound").New("The attachment ID '%s' does not exist", ptr.Deref(in.Attachment.AttachmentId))
			}
			if in.Attachment.DeleteOnTermination != nil {
				e.Attachment.DeleteOnTermination = ptr.To(*in.Attachment.DeleteOnTermination)
			}
		}
		return nil
	})
	return answer(&ec2api.ModifyNetworkInterfaceAttributeOutput{}, err)
}

// DescribeVolumeAttribute answers autoEnableIO or productCodes.
func (s *EC2) DescribeVolumeAttribute(ctx *request.Context, in *ec2api.DescribeVolumeAttributeRequest) (*ec2api.DescribeVolumeAttributeResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	attr := ptr.Deref(in.Attribute)
	if attr == "" {
		return nil, missingAttribute()
	}
	var v ec2api.Volume
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		v, err = volumes.get(tx, scope(ctx), ptr.Deref(in.VolumeId))
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &ec2api.DescribeVolumeAttributeResult{VolumeId: v.VolumeId}
	switch attr {
	case "autoEnableIO":
		// Volumes never become impaired here, so I/O is never disabled.
		out.AutoEnableIO = &ec2api.AttributeBooleanValue{Value: ptr.To(false)}
	case "productCodes":
		out.ProductCodes = []ec2api.ProductCode{}
	default:
		return nil, errUnknownAttribute(attr)
	}
	return out, nil
}

// DescribeVolumeStatus reports every volume ok: a simulated volume is
// never impaired.
func (s *EC2) DescribeVolumeStatus(ctx *request.Context, in *ec2api.DescribeVolumeStatusRequest) (*ec2api.DescribeVolumeStatusResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	statusDoc := func(v *ec2api.Volume) filter.Doc {
		return filter.New(nil).Add("volume-id", ptr.Deref(v.VolumeId)).Add("availability-zone", ptr.Deref(v.AvailabilityZone)).Add("volume-status.status", "ok").
			Add("volume-status.details-name", "io-enabled", "io-performance").Add("volume-status.details-status", "passed", "not-applicable").
			Add("action.code").Add("action.description").Add("action.event-id").Add("event.description").Add("event.event-id").Add("event.event-type").
			Add("event.not-after").Add("event.not-before")
	}
	r := volumes
	r.doc = statusDoc
	recs, next, err := describe(s, ctx, r, page{ids: in.VolumeIds, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken}, nil)
	if err != nil {
		return nil, err
	}
	out := &ec2api.DescribeVolumeStatusResult{VolumeStatuses: []ec2api.VolumeStatusItem{}, NextToken: next}
	for _, v := range recs {
		io := "not-applicable"
		if ptr.Deref(v.VolumeType) == "io1" || ptr.Deref(v.VolumeType) == "io2" {
			io = "normal"
		}
		out.VolumeStatuses = append(out.VolumeStatuses, ec2api.VolumeStatusItem{VolumeId: v.VolumeId, AvailabilityZone: v.AvailabilityZone, Actions: []ec2api.VolumeStatusAction{},
			Events: []ec2api.VolumeStatusEvent{}, VolumeStatus: &ec2api.VolumeStatusInfo{Status: ptr.To("ok"),
				Details: []ec2api.VolumeStatusDetails{{Name: ptr.To("io-enabled"), Status: ptr.To("passed")}, {Name: ptr.To("io-performance"), Status: ptr.To(io)}}}})
	}
	return out, nil
}

var volumeTypes = []string{"standard", "io1", "io2", "gp2", "gp3", "sc1", "st1"}

// ModifyVolume changes a volume's size, type, IOPS or throughput. The
// change applies at once (the answer says "modifying", as EC2's does;
// DescribeVolumesModifications then shows it completed). EC2 allows one
// modification per volume every six hours and never a smaller size.
func (s *EC2) ModifyVolume(ctx *request.Context, in *ec2api.ModifyVolumeRequest) (*ec2api.ModifyVolumeResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if t := in.VolumeType; t != nil && !contains(volumeTypes, *t) {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter volumeType is invalid. Valid values are %s.", *t, strings.Join(volumeTypes, ", "))
	}
	now := ctx.Now().UTC()
	id := ptr.Deref(in.VolumeId)
	var mod ec2api.VolumeModification
	err := mutate(s, ctx, volumes, id, func(tx storage.Tx, sc storage.Scope, v *ec2api.Volume) error {
		if prev, ok, err := volumeMods.Get(tx, sc, id); err != nil {
			return err
		} else if ok && prev.StartTime != nil && now.Sub(*prev.StartTime) < volumeModWindow {
			return code("VolumeModificationRateExceeded").New("You've reached the maximum modification rate per volume limit. Wait at least 6 hours between modifications per EBS volume.")
		}
		if in.Size != nil && *in.Size < ptr.Deref(v.Size) {
			return errInvalidParameterValue.New("New size cannot be smaller than existing size")
		}
		if in.Size != nil && *in.Size > 16384 {
			return errInvalidParameterValue.New("Volume of %dGiB is too large; maximum is 16384GiB.", *in.Size)
		}
		typ := ptr.Deref(v.VolumeType)
		if in.VolumeType != nil {
			typ = *in.VolumeType
		}
		if in.Iops != nil && typ != "io1" && typ != "io2" && typ != "gp3" {
			return errInvalidParameterCombo.New("The parameter iops is not supported for %s volumes.", typ)
		}
		if in.Throughput != nil && typ != "gp3" {
			return errInvalidParameterCombo.New("The parameter throughput is not supported for %s volumes.", typ)
		}
		mod = ec2api.VolumeModification{VolumeId: ptr.To(id), ModificationState: ptr.To("modifying"), StartTime: ptr.To(now), Progress: ptr.To(int64(0)),
			OriginalSize: v.Size, OriginalIops: v.Iops, OriginalVolumeType: v.VolumeType, OriginalThroughput: v.Throughput, OriginalMultiAttachEnabled: v.MultiAttachEnabled}
		if in.Size != nil {
			v.Size = ptr.To(*in.Size)
		}
		if in.VolumeType != nil {
			v.VolumeType = ptr.To(typ)
			if typ == "gp3" && in.Iops == nil && (v.Iops == nil || ptr.Deref(mod.OriginalVolumeType) != "gp3") {
				v.Iops = ptr.To(int32(3000))
			}
			if typ == "gp3" && in.Throughput == nil && v.Throughput == nil {
				v.Throughput = ptr.To(int32(125))
			}
		}
		if in.Iops != nil {
			v.Iops = ptr.To(*in.Iops)
		}
		if in.Throughput != nil {
			v.Throughput = ptr.To(*in.Throughput)
		}
		if in.MultiAttachEnabled != nil {
			v.MultiAttachEnabled = ptr.To(*in.MultiAttachEnabled)
		}
		mod.TargetSize, mod.TargetIops, mod.TargetVolumeType, mod.TargetThroughput, mod.TargetMultiAttachEnabled = v.Size, v.Iops, v.VolumeType, v.Throughput, v.MultiAttachEnabled
		done := mod
		done.ModificationState, done.Progress, done.EndTime = ptr.To("completed"), ptr.To(int64(100)), ptr.To(now)
		return volumeMods.Put(tx, sc, done, id)
	})
	if err != nil {
		return nil, err
	}
	return &ec2api.ModifyVolumeResult{VolumeModification: &mod}, nil
}

func volumeModDoc(m *ec2api.VolumeModification) filter.Doc {
	d := filter.New(nil).Add("volume-id", ptr.Deref(m.VolumeId)).Add("modification-state", ptr.Deref(m.ModificationState)).Add("target-volume-type", ptr.Deref(m.TargetVolumeType)).
		Add("original-volume-type", ptr.Deref(m.OriginalVolumeType)).Add("target-size").Add("original-size").Add("target-iops").Add("original-iops").
		Add("target-throughput").Add("original-throughput").Add("target-multi-attach-enabled").Add("original-multi-attach-enabled").Add("start-time")
	for _, p := range []struct {
		name string
		v    *int32
	}{{"target-size", m.TargetSize}, {"original-size", m.OriginalSize}, {"target-iops", m.TargetIops}, {"original-iops", m.OriginalIops},
		{"target-throughput", m.TargetThroughput}, {"original-throughput", m.OriginalThroughput}} {
		if p.v != nil {
			d.Add(p.name, strconv.Itoa(int(*p.v)))
		}
	}
	return d
}

// DescribeVolumesModifications lists volumes' latest modifications. A
// volume that exists but was never modified is not an error, only absent.
func (s *EC2) DescribeVolumesModifications(ctx *request.Context, in *ec2api.DescribeVolumesModificationsRequest) (*ec2api.DescribeVolumesModificationsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	var zero ec2api.VolumeModification
	if err := filter.Validate(in.Filters, volumeModDoc(&zero)); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var list []ec2api.VolumeModification
	err := s.store.View(func(tx storage.Tx) error {
		if len(in.VolumeIds) > 0 {
			if _, err := volumes.getEach(tx, sc, in.VolumeIds); err != nil {
				return err
			}
		}
		return volumeMods.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, m ec2api.VolumeModification) bool {
			if (len(in.VolumeIds) == 0 || contains(in.VolumeIds, ptr.Deref(m.VolumeId))) && filter.Match(in.Filters, volumeModDoc(&m)) {
				list = append(list, m)
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	items, next, err := pageOf(list, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &ec2api.DescribeVolumesModificationsResult{VolumesModifications: append([]ec2api.VolumeModification{}, items...), NextToken: next}, nil
}

// DescribeVpcClassicLink answers that no VPC has ClassicLink: EC2-Classic
// is retired, and AWS answers false for every VPC.
func (s *EC2) DescribeVpcClassicLink(ctx *request.Context, in *ec2api.DescribeVpcClassicLinkRequest) (*ec2api.DescribeVpcClassicLinkResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	doc := func(v *vpcRecord) filter.Doc {
		return filter.New(v.Vpc.Tags).Add("is-classic-link-enabled", "false")
	}
	r := vpcs
	r.doc = doc
	recs, _, err := describe(s, ctx, r, page{ids: in.VpcIds, filters: in.Filters}, nil)
	if err != nil {
		return nil, err
	}
	out := &ec2api.DescribeVpcClassicLinkResult{Vpcs: []ec2api.VpcClassicLink{}}
	for _, v := range recs {
		out.Vpcs = append(out.Vpcs, ec2api.VpcClassicLink{VpcId: v.Vpc.VpcId, ClassicLinkEnabled: ptr.To(false), Tags: nonNilTags(v.Vpc.Tags)})
	}
	return out, nil
}

// DescribeVpcClassicLinkDnsSupport answers false for every VPC, as AWS
// does since EC2-Classic retired.
func (s *EC2) DescribeVpcClassicLinkDnsSupport(ctx *request.Context, in *ec2api.DescribeVpcClassicLinkDnsSupportRequest) (*ec2api.DescribeVpcClassicLinkDnsSupportResult, error) {
	recs, next, err := describe(s, ctx, vpcs, page{ids: in.VpcIds, maxResults: in.MaxResults, nextToken: in.NextToken}, nil)
	if err != nil {
		return nil, err
	}
	out := &ec2api.DescribeVpcClassicLinkDnsSupportResult{Vpcs: []ec2api.ClassicLinkDnsSupport{}, NextToken: next}
	for _, v := range recs {
		out.Vpcs = append(out.Vpcs, ec2api.ClassicLinkDnsSupport{VpcId: v.Vpc.VpcId, ClassicLinkDnsSupported: ptr.To(false)})
	}
	return out, nil
}

// ownImage reads one of the account's images; a public catalog image is
// AuthFailure (only its owner may read or change its attributes).
func (s *EC2) ownImage(tx storage.Tx, ctx *request.Context, id string) (ec2api.Image, error) {
	im, ok, err := userImages.table.Get(tx, scope(ctx), id)
	if err != nil || ok {
		return im, err
	}
	for _, c := range images.Catalog(ctx.Region) {
		if c.ID == id {
			return im, errUnauthorized(id)
		}
	}
	// Another account's image shared with the caller: visible, not its.
	if _, _, ok, err := sharedImage(tx, ctx, id); err != nil || ok {
		if err == nil {
			err = errUnauthorized(id)
		}
		return im, err
	}
	return im, errAMINotFound.New("The image id '[%s]' does not exist", id)
}

// DescribeImageAttribute answers one attribute of an own image.
func (s *EC2) DescribeImageAttribute(ctx *request.Context, in *ec2api.DescribeImageAttributeRequest) (*ec2api.ImageAttribute, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	attr := ptr.Deref(in.Attribute)
	if attr == "" {
		return nil, missingAttribute()
	}
	var im ec2api.Image
	var perms []ec2api.LaunchPermission
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		if im, err = s.ownImage(tx, ctx, ptr.Deref(in.ImageId)); err != nil {
			return err
		}
		perms, _, err = imagePerms.Get(tx, scope(ctx), ptr.Deref(in.ImageId))
		return err
	})
	if err != nil {
		return nil, err
	}
	sv := func(p *string) *ec2api.AttributeValue {
		if p == nil || *p == "" {
			return &ec2api.AttributeValue{}
		}
		return &ec2api.AttributeValue{Value: ptr.To(*p)}
	}
	out := &ec2api.ImageAttribute{ImageId: im.ImageId}
	switch attr {
	case "description":
		out.Description = sv(im.Description)
	case "kernel":
		out.KernelId = sv(im.KernelId)
	case "ramdisk":
		out.RamdiskId = sv(im.RamdiskId)
	case "launchPermission":
		out.LaunchPermissions = orEmpty(perms)
	case "productCodes":
		out.ProductCodes = []ec2api.ProductCode{}
	case "blockDeviceMapping":
		out.BlockDeviceMappings = orEmpty(im.BlockDeviceMappings)
	case "sriovNetSupport":
		out.SriovNetSupport = sv(im.SriovNetSupport)
	case "bootMode":
		out.BootMode = sv(im.BootMode)
	case "tpmSupport":
		out.TpmSupport = sv(im.TpmSupport)
	case "uefiData":
		out.UefiData = &ec2api.AttributeValue{}
	case "lastLaunchedTime":
		out.LastLaunchedTime = &ec2api.AttributeValue{}
	case "imdsSupport":
		out.ImdsSupport = sv(im.ImdsSupport)
	case "deregistrationProtection":
		v := ptr.Deref(im.DeregistrationProtection)
		if v == "" {
			v = "disabled"
		}
		out.DeregistrationProtection = &ec2api.AttributeValue{Value: ptr.To(v)}
	default:
		return nil, errUnknownAttribute(attr)
	}
	return out, nil
}

// validAccount is a 12-digit AWS account id.
func validAccount(id string) bool {
	if len(id) != 12 {
		return false
	}
	for _, c := range id {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ModifyImageAttribute changes an own image's description or launch
// permissions (group "all" makes it public).
func (s *EC2) ModifyImageAttribute(ctx *request.Context, in *ec2api.ModifyImageAttributeRequest) (*ec2api.ModifyImageAttributeOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	id := ptr.Deref(in.ImageId)
	add, del := []ec2api.LaunchPermission{}, []ec2api.LaunchPermission{}
	if lp := in.LaunchPermission; lp != nil {
		add, del = append(add, lp.Add...), append(del, lp.Remove...)
	}
	// The older form: Attribute=launchPermission with OperationType and
	// UserIds/UserGroups.
	if len(in.UserIds) > 0 || len(in.UserGroups) > 0 || len(in.OrganizationArns) > 0 || len(in.OrganizationalUnitArns) > 0 {
		var ps []ec2api.LaunchPermission
		for _, u := range in.UserIds {
			ps = append(ps, ec2api.LaunchPermission{UserId: ptr.To(u)})
		}
		for _, g := range in.UserGroups {
			ps = append(ps, ec2api.LaunchPermission{Group: ptr.To(g)})
		}
		for _, o := range in.OrganizationArns {
			ps = append(ps, ec2api.LaunchPermission{OrganizationArn: ptr.To(o)})
		}
		for _, o := range in.OrganizationalUnitArns {
			ps = append(ps, ec2api.LaunchPermission{OrganizationalUnitArn: ptr.To(o)})
		}
		switch ptr.Deref(in.OperationType) {
		case "add":
			add = append(add, ps...)
		case "remove":
			del = append(del, ps...)
		default:
			return nil, errMissingParameter.New("The request must contain the parameter operationType")
		}
	}
	desc := in.Description
	if desc == nil && ptr.Deref(in.Attribute) == "description" && in.Value != nil {
		desc = &ec2api.AttributeValue{Value: in.Value}
	}
	if len(add) == 0 && len(del) == 0 && desc == nil && in.ImdsSupport == nil {
		if a := ptr.Deref(in.Attribute); a != "" && a != "launchPermission" && a != "description" {
			return nil, errUnknownAttribute(a)
		}
		return nil, errMissingParameter.New("The request must contain the parameter attribute")
	}
	for _, p := range append(append([]ec2api.LaunchPermission{}, add...), del...) {
		if g := p.Group; g != nil && *g != "all" {
			return nil, errInvalidParameterValue.New("Value (%s) for parameter group is invalid. Valid values are all.", *g)
		}
		if u := p.UserId; u != nil && !validAccount(*u) {
			return nil, errInvalidParameterValue.New("Value (%s) for parameter userId is invalid. Expected a 12-digit AWS account ID.", *u)
		}
	}
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		im, err := s.ownImage(tx, ctx, id)
		if err != nil {
			return err
		}
		if desc != nil {
			im.Description = ptr.To(ptr.Deref(desc.Value))
		}
		if in.ImdsSupport != nil {
			if v := ptr.Deref(in.ImdsSupport.Value); v != "v2.0" {
				return errInvalidParameterValue.New("Value (%s) for parameter imdsSupport is invalid. Valid values are v2.0.", v)
			}
			im.ImdsSupport = ptr.To("v2.0")
		}
		perms, _, err := imagePerms.Get(tx, sc, id)
		if err != nil {
			return err
		}
		set, _, err := accountSettings.Get(tx, sc, "")
		if err != nil {
			return err
		}
		for _, p := range add {
			if ptr.Deref(p.Group) == "all" && set.ImageBlockPublic {
				return errOperationNotPermitted.New("You can't publicly share this AMI because block public access for AMIs is enabled for this account.")
			}
		}
		same := func(a, b ec2api.LaunchPermission) bool {
			return ptr.Deref(a.Group) == ptr.Deref(b.Group) && ptr.Deref(a.UserId) == ptr.Deref(b.UserId) &&
				ptr.Deref(a.OrganizationArn) == ptr.Deref(b.OrganizationArn) && ptr.Deref(a.OrganizationalUnitArn) == ptr.Deref(b.OrganizationalUnitArn)
		}
		for _, p := range add {
			dup := false
			for _, q := range perms {
				dup = dup || same(p, q)
			}
			if !dup {
				perms = append(perms, p)
			}
		}
		for _, p := range del {
			kept := perms[:0]
			for _, q := range perms {
				if !same(p, q) {
					kept = append(kept, q)
				}
			}
			perms = kept
		}
		public := false
		for _, p := range perms {
			public = public || ptr.Deref(p.Group) == "all"
		}
		im.Public = ptr.To(public)
		if err := imagePerms.Put(tx, sc, perms, id); err != nil {
			return err
		}
		if err := syncShare(tx, ctx.Region, ctx.Account, id, perms); err != nil {
			return err
		}
		return userImages.put(tx, sc, id, im)
	})
	return answer(&ec2api.ModifyImageAttributeOutput{}, err)
}

// DescribeSnapshotAttribute answers createVolumePermission or
// productCodes of an own snapshot.
func (s *EC2) DescribeSnapshotAttribute(ctx *request.Context, in *ec2api.DescribeSnapshotAttributeRequest) (*ec2api.DescribeSnapshotAttributeResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	attr := ptr.Deref(in.Attribute)
	if attr == "" {
		return nil, missingAttribute()
	}
	var perms []ec2api.CreateVolumePermission
	err := s.store.View(func(tx storage.Tx) error {
		if _, err := snapshots.get(tx, scope(ctx), ptr.Deref(in.SnapshotId)); err != nil {
			return err
		}
		var err error
		perms, _, err = snapshotPerms.Get(tx, scope(ctx), ptr.Deref(in.SnapshotId))
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &ec2api.DescribeSnapshotAttributeResult{SnapshotId: in.SnapshotId}
	switch attr {
	case "createVolumePermission":
		out.CreateVolumePermissions = orEmpty(perms)
	case "productCodes":
		out.ProductCodes = []ec2api.ProductCode{}
	default:
		return nil, errUnknownAttribute(attr)
	}
	return out, nil
}

// ModifySnapshotAttribute adds or removes create-volume permissions.
func (s *EC2) ModifySnapshotAttribute(ctx *request.Context, in *ec2api.ModifySnapshotAttributeRequest) (*ec2api.ModifySnapshotAttributeOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if a := ptr.Deref(in.Attribute); a != "" && a != "createVolumePermission" {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter attribute is invalid. Valid values are createVolumePermission.", a)
	}
	var add, del []ec2api.CreateVolumePermission
	if m := in.CreateVolumePermission; m != nil {
		add, del = m.Add, m.Remove
	}
	if len(in.UserIds) > 0 || len(in.GroupNames) > 0 {
		var ps []ec2api.CreateVolumePermission
		for _, u := range in.UserIds {
			ps = append(ps, ec2api.CreateVolumePermission{UserId: ptr.To(u)})
		}
		for _, g := range in.GroupNames {
			ps = append(ps, ec2api.CreateVolumePermission{Group: ptr.To(g)})
		}
		switch ptr.Deref(in.OperationType) {
		case "add":
			add = append(add, ps...)
		case "remove":
			del = append(del, ps...)
		default:
			return nil, errMissingParameter.New("The request must contain the parameter operationType")
		}
	}
	if len(add) == 0 && len(del) == 0 {
		return nil, errMissingParameter.New("The request must contain the parameter createVolumePermission")
	}
	for _, p := range append(append([]ec2api.CreateVolumePermission{}, add...), del...) {
		if g := p.Group; g != nil && *g != "all" {
			return nil, errInvalidParameterValue.New("Value (%s) for parameter group is invalid. Valid values are all.", *g)
		}
		if u := p.UserId; u != nil && !validAccount(*u) {
			return nil, errInvalidParameterValue.New("Value (%s) for parameter userId is invalid. Expected a 12-digit AWS account ID.", *u)
		}
	}
	sc := scope(ctx)
	id := ptr.Deref(in.SnapshotId)
	err := s.store.Update(func(tx storage.Tx) error {
		sn, err := snapshots.get(tx, sc, id)
		if err != nil {
			return err
		}
		if ptr.Deref(sn.Encrypted) {
			for _, p := range add {
				if ptr.Deref(p.Group) == "all" {
					return errInvalidParameter.New("Encrypted snapshots with EBS default key cannot be shared")
				}
			}
		}
		perms, _, err := snapshotPerms.Get(tx, sc, id)
		if err != nil {
			return err
		}
		set, _, err := accountSettings.Get(tx, sc, "")
		if err != nil {
			return err
		}
		for _, p := range add {
			if ptr.Deref(p.Group) == "all" && set.SnapshotBlockPublic != "" {
				return errOperationNotPermitted.New("You can't publicly share this snapshot because block public access for snapshots is enabled for this account.")
			}
		}
		same := func(a, b ec2api.CreateVolumePermission) bool {
			return ptr.Deref(a.Group) == ptr.Deref(b.Group) && ptr.Deref(a.UserId) == ptr.Deref(b.UserId)
		}
		for _, p := range add {
			dup := false
			for _, q := range perms {
				dup = dup || same(p, q)
			}
			if !dup {
				perms = append(perms, p)
			}
		}
		for _, p := range del {
			kept := perms[:0]
			for _, q := range perms {
				if !same(p, q) {
					kept = append(kept, q)
				}
			}
			perms = kept
		}
		return snapshotPerms.Put(tx, sc, perms, id)
	})
	return answer(&ec2api.ModifySnapshotAttributeOutput{}, err)
}

func (s *EC2) ebsDefaults(ctx *request.Context) (ebsDefaultsRecord, error) {
	var d ebsDefaultsRecord
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		d, _, err = ebsDefaults.Get(tx, scope(ctx), "")
		return err
	})
	return d, err
}

func (s *EC2) updateEBSDefaults(ctx *request.Context, fn func(*ebsDefaultsRecord)) (ebsDefaultsRecord, error) {
	var d ebsDefaultsRecord
	err := s.store.Update(func(tx storage.Tx) error {
		var err error
		if d, _, err = ebsDefaults.Get(tx, scope(ctx), ""); err != nil {
			return err
		}
		fn(&d)
		return ebsDefaults.Put(tx, scope(ctx), d, "")
	})
	return d, err
}

// GetEbsEncryptionByDefault answers the account's setting in the region
// (off until enabled, as in a new AWS account).
func (s *EC2) GetEbsEncryptionByDefault(ctx *request.Context, in *ec2api.GetEbsEncryptionByDefaultRequest) (*ec2api.GetEbsEncryptionByDefaultResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	d, err := s.ebsDefaults(ctx)
	return answer(&ec2api.GetEbsEncryptionByDefaultResult{EbsEncryptionByDefault: ptr.To(d.Encrypt), SseType: ptr.To("sse-ebs")}, err)
}

// EnableEbsEncryptionByDefault makes new volumes encrypted.
func (s *EC2) EnableEbsEncryptionByDefault(ctx *request.Context, in *ec2api.EnableEbsEncryptionByDefaultRequest) (*ec2api.EnableEbsEncryptionByDefaultResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	_, err := s.updateEBSDefaults(ctx, func(d *ebsDefaultsRecord) { d.Encrypt = true })
	return answer(&ec2api.EnableEbsEncryptionByDefaultResult{EbsEncryptionByDefault: ptr.To(true)}, err)
}

// DisableEbsEncryptionByDefault turns the default off again.
func (s *EC2) DisableEbsEncryptionByDefault(ctx *request.Context, in *ec2api.DisableEbsEncryptionByDefaultRequest) (*ec2api.DisableEbsEncryptionByDefaultResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	_, err := s.updateEBSDefaults(ctx, func(d *ebsDefaultsRecord) { d.Encrypt = false })
	return answer(&ec2api.DisableEbsEncryptionByDefaultResult{EbsEncryptionByDefault: ptr.To(false)}, err)
}

// defaultEBSKey is the key new encrypted volumes use: the account's
// choice, else the AWS managed key's alias.
func defaultEBSKey(d ebsDefaultsRecord) string {
	if d.KeyID != "" {
		return d.KeyID
	}
	return "alias/aws/ebs"
}

// GetEbsDefaultKmsKeyId answers the default EBS key.
func (s *EC2) GetEbsDefaultKmsKeyId(ctx *request.Context, in *ec2api.GetEbsDefaultKmsKeyIdRequest) (*ec2api.GetEbsDefaultKmsKeyIdResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	d, err := s.ebsDefaults(ctx)
	return answer(&ec2api.GetEbsDefaultKmsKeyIdResult{KmsKeyId: ptr.To(defaultEBSKey(d))}, err)
}

// ModifyEbsDefaultKmsKeyId sets the default EBS key. EC2 answers the
// key's ARN: a key id or alias name becomes an ARN in the caller's
// account and region.
func (s *EC2) ModifyEbsDefaultKmsKeyId(ctx *request.Context, in *ec2api.ModifyEbsDefaultKmsKeyIdRequest) (*ec2api.ModifyEbsDefaultKmsKeyIdResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	key := ptr.Deref(in.KmsKeyId)
	if key == "" {
		return nil, errMissingParameter.New("The request must contain the parameter KmsKeyId")
	}
	arn := key
	switch {
	case strings.HasPrefix(key, "arn:"):
		parts := strings.SplitN(key, ":", 6)
		if len(parts) != 6 || parts[2] != "kms" || !(strings.HasPrefix(parts[5], "key/") || strings.HasPrefix(parts[5], "alias/")) {
			return nil, errInvalidParameterValue.New("Invalid KMS key ID: %s", key)
		}
	case strings.HasPrefix(key, "alias/"):
		arn = "arn:aws:kms:" + ctx.Region + ":" + ctx.Account + ":" + key
	default:
		if len(key) != 36 || strings.Count(key, "-") != 4 {
			return nil, errInvalidParameterValue.New("Invalid KMS key ID: %s", key)
		}
		arn = "arn:aws:kms:" + ctx.Region + ":" + ctx.Account + ":key/" + key
	}
	_, err := s.updateEBSDefaults(ctx, func(d *ebsDefaultsRecord) { d.KeyID = arn })
	return answer(&ec2api.ModifyEbsDefaultKmsKeyIdResult{KmsKeyId: ptr.To(arn)}, err)
}

// ResetEbsDefaultKmsKeyId goes back to the AWS managed key.
func (s *EC2) ResetEbsDefaultKmsKeyId(ctx *request.Context, in *ec2api.ResetEbsDefaultKmsKeyIdRequest) (*ec2api.ResetEbsDefaultKmsKeyIdResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	d, err := s.updateEBSDefaults(ctx, func(d *ebsDefaultsRecord) { d.KeyID = "" })
	return answer(&ec2api.ResetEbsDefaultKmsKeyIdResult{KmsKeyId: ptr.To(defaultEBSKey(d))}, err)
}

// GetPasswordData answers an instance's encrypted Windows password:
// empty, as EC2 answers for Linux instances and for Windows ones whose
// password is not generated (niwa runs no Windows guest).
func (s *EC2) GetPasswordData(ctx *request.Context, in *ec2api.GetPasswordDataRequest) (*ec2api.GetPasswordDataResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	var r instanceRecord
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		r, err = instances.get(tx, scope(ctx), ptr.Deref(in.InstanceId))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &ec2api.GetPasswordDataResult{InstanceId: ptr.To(r.ID), PasswordData: ptr.To(""), Timestamp: ptr.To(ctx.Now().UTC())}, nil
}

// MonitorInstances turns on detailed monitoring (the instance's
// Monitoring.State); UnmonitorInstances turns it off.
func (s *EC2) MonitorInstances(ctx *request.Context, in *ec2api.MonitorInstancesRequest) (*ec2api.MonitorInstancesResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	ms, err := s.setMonitoring(ctx, in.InstanceIds, true)
	return answer(&ec2api.MonitorInstancesResult{InstanceMonitorings: ms}, err)
}

// UnmonitorInstances turns detailed monitoring off.
func (s *EC2) UnmonitorInstances(ctx *request.Context, in *ec2api.UnmonitorInstancesRequest) (*ec2api.UnmonitorInstancesResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	ms, err := s.setMonitoring(ctx, in.InstanceIds, false)
	return answer(&ec2api.UnmonitorInstancesResult{InstanceMonitorings: ms}, err)
}

func (s *EC2) setMonitoring(ctx *request.Context, ids []string, on bool) ([]ec2api.InstanceMonitoring, error) {
	if len(ids) == 0 {
		return nil, errMissingParameter.New("The request must contain the parameter InstanceId")
	}
	state := map[bool]string{true: "pending", false: "disabling"}[on]
	sc := scope(ctx)
	out := []ec2api.InstanceMonitoring{}
	err := s.store.Update(func(tx storage.Tx) error {
		recs, err := instances.getEach(tx, sc, ids)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if r.State == "terminated" {
				return errIncorrectInstanceState.New("The instance '%s' is not in a state from which it can be monitored.", r.ID)
			}
			r.Monitoring = on
			if err := instances.put(tx, sc, r.ID, r); err != nil {
				return err
			}
			out = append(out, ec2api.InstanceMonitoring{InstanceId: ptr.To(r.ID), Monitoring: &ec2api.Monitoring{State: ptr.To(state)}})
		}
		return nil
	})
	return out, err
}

// DescribeVpcEndpointConnections lists the endpoints connected to the
// caller's endpoint services.
func (s *EC2) DescribeVpcEndpointConnections(ctx *request.Context, in *ec2api.DescribeVpcEndpointConnectionsRequest) (*ec2api.DescribeVpcEndpointConnectionsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	doc := func(c *ec2api.VpcEndpointConnection) filter.Doc {
		return filter.New(c.Tags).Add("ip-address-type", ptr.Deref(c.IpAddressType)).Add("service-id", ptr.Deref(c.ServiceId)).Add("vpc-endpoint-owner", ptr.Deref(c.VpcEndpointOwner)).
			Add("vpc-endpoint-state", ptr.Deref(c.VpcEndpointState)).Add("vpc-endpoint-id", ptr.Deref(c.VpcEndpointId))
	}
	if err := filter.Validate(in.Filters, doc(&ec2api.VpcEndpointConnection{})); err != nil {
		return nil, err
	}
	var list []ec2api.VpcEndpointConnection
	err := s.store.View(func(tx storage.Tx) error {
		return endpointConnections.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, c ec2api.VpcEndpointConnection) bool {
			if filter.Match(in.Filters, doc(&c)) {
				list = append(list, c)
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	items, next, err := pageOf(list, in.MaxResults, in.NextToken)
	return answer(&ec2api.DescribeVpcEndpointConnectionsResult{VpcEndpointConnections: append([]ec2api.VpcEndpointConnection{}, items...), NextToken: next}, err)
}
