package ec2

import (
	"strings"
	"time"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/filter"
	"github.com/niwa-cloud/niwa/internal/service/ec2/images"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// userImages are the account's own AMIs (CreateImage, RegisterImage,
// CopyImage); public ones come from the images catalog.
var userImages = resource[ec2api.Image]{table: storage.NewTable[ec2api.Image]("image"), prefix: "ami", typ: "image", noun: "image", notFound: errAMINotFound,
	tags: func(v *ec2api.Image) *[]ec2api.Tag { return &v.Tags }, doc: imageDoc}

func imageDoc(v *ec2api.Image) filter.Doc {
	d := filter.New(v.Tags).Add("architecture", ptr.Deref(v.Architecture)).Add("creation-date", ptr.Deref(v.CreationDate)).Add("description", ptr.Deref(v.Description)).
		Add("ena-support", boolStr(ptr.Deref(v.EnaSupport))).Add("hypervisor", ptr.Deref(v.Hypervisor)).Add("image-id", ptr.Deref(v.ImageId)).Add("image-type", ptr.Deref(v.ImageType)).
		Add("is-public", boolStr(ptr.Deref(v.Public))).Add("kernel-id", ptr.Deref(v.KernelId)).Add("manifest-location", ptr.Deref(v.ImageLocation)).Add("name", ptr.Deref(v.Name)).
		Add("owner-alias", ptr.Deref(v.ImageOwnerAlias)).Add("owner-id", ptr.Deref(v.OwnerId)).Add("platform", ptr.Deref(v.Platform)).Add("platform-details", ptr.Deref(v.PlatformDetails)).
		Add("ramdisk-id", ptr.Deref(v.RamdiskId)).Add("root-device-name", ptr.Deref(v.RootDeviceName)).Add("root-device-type", ptr.Deref(v.RootDeviceType)).Add("state", ptr.Deref(v.State)).
		Add("virtualization-type", ptr.Deref(v.VirtualizationType)).Add("usage-operation", ptr.Deref(v.UsageOperation)).Add("sriov-net-support", ptr.Deref(v.SriovNetSupport)).
		Add("boot-mode", ptr.Deref(v.BootMode)).Add("imds-support", ptr.Deref(v.ImdsSupport)).Add("source-instance-id").Add("product-code").Add("product-code.type").
		Add("block-device-mapping.device-name").Add("block-device-mapping.snapshot-id").Add("block-device-mapping.volume-size").Add("block-device-mapping.volume-type").
		Add("block-device-mapping.delete-on-termination").Add("block-device-mapping.encrypted").Add("state-reason-code").Add("state-reason-message")
	for _, b := range v.BlockDeviceMappings {
		d.Add("block-device-mapping.device-name", ptr.Deref(b.DeviceName))
		if b.Ebs != nil {
			d.Add("block-device-mapping.snapshot-id", ptr.Deref(b.Ebs.SnapshotId)).Add("block-device-mapping.volume-type", ptr.Deref(b.Ebs.VolumeType))
		}
	}
	return d
}

func publicImage(im images.Image) ec2api.Image {
	size := int32(8)
	if im.Platform == "windows" {
		size = 30
	}
	out := ec2api.Image{
		Architecture: ptr.To(im.Architecture), CreationDate: ptr.To(im.Created), ImageId: ptr.To(im.ID), ImageLocation: ptr.To(im.Owner + "/" + im.Name),
		ImageType: ptr.To("machine"), Public: ptr.To(true), OwnerId: ptr.To(im.Owner), PlatformDetails: ptr.To(im.PlatformDetails), UsageOperation: ptr.To("RunInstances"),
		State: ptr.To("available"), Description: ptr.To(im.Description), EnaSupport: ptr.To(im.ENA), Hypervisor: ptr.To("xen"), Name: ptr.To(im.Name),
		RootDeviceName: ptr.To(im.RootDevice), RootDeviceType: ptr.To("ebs"), SriovNetSupport: ptr.To("simple"), VirtualizationType: ptr.To("hvm"),
		BlockDeviceMappings: []ec2api.BlockDeviceMapping{{DeviceName: ptr.To(im.RootDevice), Ebs: &ec2api.EbsBlockDevice{DeleteOnTermination: ptr.To(true), SnapshotId: ptr.To(im.SnapshotID),
			VolumeSize: ptr.To(size), VolumeType: ptr.To("gp2"), Encrypted: ptr.To(false)}}},
		ProductCodes: []ec2api.ProductCode{}, Tags: []ec2api.Tag{}, DeprecationTime: ptr.To(deprecation(im.Created)),
	}
	if im.Alias != "" {
		out.ImageOwnerAlias = ptr.To(im.Alias)
	}
	if im.Platform == "windows" {
		out.Platform = ptr.To("windows")
		out.UsageOperation = ptr.To("RunInstances:0002")
	}
	if im.BootMode != "" {
		out.BootMode = ptr.To(im.BootMode)
	}
	return out
}

// deprecation is two years after creation, AWS's default for public AMIs.
func deprecation(created string) string {
	t, err := time.Parse(time.RFC3339, created)
	if err != nil {
		return ""
	}
	return t.AddDate(2, 0, 0).UTC().Format("2006-01-02T15:04:05.000Z")
}

// launchImage is what RunInstances needs of an image.
type launchImage struct {
	Platform, Architecture, RootDevice, SnapshotID string
}

func (s *EC2) imageFor(tx storage.Tx, ctx *request.Context, id string) (launchImage, error) {
	for _, im := range images.Catalog(ctx.Region) {
		if im.ID == id {
			return launchImage{Platform: im.Platform, Architecture: im.Architecture, RootDevice: im.RootDevice, SnapshotID: im.SnapshotID}, nil
		}
	}
	im, ok, err := userImages.table.Get(tx, scope(ctx), id)
	if err != nil {
		return launchImage{}, err
	}
	if !ok {
		// Another account's image launches when it is public or shared
		// with the caller; any other answers as a missing one, as AWS.
		if im, _, ok, err = sharedImage(tx, ctx, id); err != nil {
			return launchImage{}, err
		}
	}
	if !ok || ptr.Deref(im.State) != "available" {
		return launchImage{}, errAMINotFound.New("The image id '[%s]' does not exist", id)
	}
	li := launchImage{Platform: ptr.Deref(im.Platform), Architecture: ptr.Deref(im.Architecture), RootDevice: ptr.Deref(im.RootDeviceName)}
	if len(im.BlockDeviceMappings) > 0 && im.BlockDeviceMappings[0].Ebs != nil {
		li.SnapshotID = ptr.Deref(im.BlockDeviceMappings[0].Ebs.SnapshotId)
	}
	return li, nil
}

// DescribeImages lists the public catalog, the account's own images and
// the images other accounts made public or shared with it. Owners takes
// account ids, "self" and "amazon"; ExecutableUsers "all" selects public
// images, "self" or an account id the images with an explicit launch
// permission for that account.
func (s *EC2) DescribeImages(ctx *request.Context, in *ec2api.DescribeImagesRequest) (*ec2api.DescribeImagesResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	var zero ec2api.Image
	if err := filter.Validate(in.Filters, imageDoc(&zero)); err != nil {
		return nil, err
	}
	for _, id := range in.ImageIds {
		if !strings.HasPrefix(id, "ami-") {
			return nil, errAMIMalformed.New("Invalid id: \"%s\" (expecting \"ami-...\")", id)
		}
	}
	var all []ec2api.Image
	for _, im := range images.Catalog(ctx.Region) {
		all = append(all, publicImage(im))
	}
	var idx map[string]imageShare
	err := s.store.View(func(tx storage.Tx) error {
		own, err := userImages.all(tx, scope(ctx))
		if err != nil {
			return err
		}
		all = append(all, own...)
		if idx, err = shares(tx, ctx.Region); err != nil {
			return err
		}
		others, err := sharedWith(tx, ctx, idx)
		all = append(all, others...)
		return err
	})
	if err != nil {
		return nil, err
	}
	ownerOK := func(im *ec2api.Image) bool {
		if len(in.Owners) == 0 {
			return true
		}
		for _, o := range in.Owners {
			switch {
			case o == "self" && ptr.Deref(im.OwnerId) == ctx.Account:
				return true
			case o == "amazon" && ptr.Deref(im.ImageOwnerAlias) == "amazon":
				return true
			case o == ptr.Deref(im.OwnerId), o == ptr.Deref(im.ImageOwnerAlias) && o != "":
				return true
			}
		}
		return false
	}
	out := &ec2api.DescribeImagesResult{Images: []ec2api.Image{}}
	found := map[string]bool{}
	for i := range all {
		im := &all[i]
		if len(in.ImageIds) > 0 && !contains(in.ImageIds, ptr.Deref(im.ImageId)) {
			continue
		}
		found[ptr.Deref(im.ImageId)] = true
		if !ownerOK(im) {
			continue
		}
		if len(in.ExecutableUsers) > 0 && !executableBy(in.ExecutableUsers, ctx.Account, im, idx[ptr.Deref(im.ImageId)]) {
			continue
		}
		if !filter.Match(in.Filters, imageDoc(im)) {
			continue
		}
		out.Images = append(out.Images, *im)
	}
	var missing []string
	for _, id := range in.ImageIds {
		if !found[id] {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		return nil, errAMINotFound.New("The image id '[%s]' does not exist", strings.Join(missing, ", "))
	}
	return out, nil
}

// executableBy is the ExecutableUsers test: "all" is a public image, an
// account id (or "self", the caller) one with an explicit launch
// permission for that account.
func executableBy(users []string, caller string, im *ec2api.Image, sh imageShare) bool {
	for _, u := range users {
		if u == "self" {
			u = caller
		}
		if (u == "all" && ptr.Deref(im.Public)) || contains(sh.Users, u) {
			return true
		}
	}
	return false
}

func (s *EC2) checkImageName(tx storage.Tx, sc storage.Scope, name string) error {
	if len(name) < 3 || len(name) > 128 {
		return errInvalidParameterValue.New("AMI names must be between 3 and 128 characters long, and may contain letters, numbers, '(', ')', '.', '-', '/' and '_'")
	}
	if n, _ := countWhere(tx, sc, userImages, func(im *ec2api.Image) bool { return ptr.Deref(im.Name) == name }); n > 0 {
		return errAMINameDuplicate.New("AMI name %s is already in use by AMI %s", name, "")
	}
	return nil
}

// CreateImage makes an AMI from an instance, with a snapshot of its root
// volume.
func (s *EC2) CreateImage(ctx *request.Context, in *ec2api.CreateImageRequest) (*ec2api.CreateImageResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	id := newID("ami")
	err := s.store.Update(func(tx storage.Tx) error {
		r, err := instances.get(tx, sc, ptr.Deref(in.InstanceId))
		if err != nil {
			return err
		}
		if r.State != "running" && r.State != "stopped" {
			return errIncorrectInstanceState.New("The instance '%s' is not in a valid state for this operation.", r.ID)
		}
		if err := s.checkImageName(tx, sc, ptr.Deref(in.Name)); err != nil {
			return err
		}
		snap := newID("snap")
		size := int32(8)
		if v, ok, _ := volumes.table.Get(tx, sc, r.RootVolume); ok {
			size = ptr.Deref(v.Size)
		}
		if err := snapshots.put(tx, sc, snap, ec2api.Snapshot{SnapshotId: ptr.To(snap), VolumeId: ptr.To(r.RootVolume), VolumeSize: ptr.To(size), State: ptr.To("completed"), Progress: ptr.To("100%"),
			StartTime: ptr.To(ctx.Now().UTC()), OwnerId: ptr.To(ctx.Account), Encrypted: ptr.To(false), StorageTier: ptr.To("standard"), Tags: nonNilTags(tagsFor(in.TagSpecifications, "snapshot")),
			Description: ptr.To("Created by CreateImage(" + r.ID + ") for " + id)}); err != nil {
			return err
		}
		im := ec2api.Image{ImageId: ptr.To(id), Name: in.Name, Description: in.Description, Architecture: ptr.To(r.Architecture), CreationDate: ptr.To(ctx.Now().UTC().Format("2006-01-02T15:04:05.000Z")),
			ImageLocation: ptr.To(ctx.Account + "/" + ptr.Deref(in.Name)), ImageType: ptr.To("machine"), Public: ptr.To(false), OwnerId: ptr.To(ctx.Account), State: ptr.To("available"),
			EnaSupport: ptr.To(r.EnaSupport), Hypervisor: ptr.To("xen"), RootDeviceName: ptr.To(r.RootDevice), RootDeviceType: ptr.To("ebs"), VirtualizationType: ptr.To("hvm"),
			PlatformDetails: ptr.To("Linux/UNIX"), UsageOperation: ptr.To("RunInstances"), ProductCodes: []ec2api.ProductCode{}, Tags: nonNilTags(tagsFor(in.TagSpecifications, "image")),
			BlockDeviceMappings: []ec2api.BlockDeviceMapping{{DeviceName: ptr.To(r.RootDevice), Ebs: &ec2api.EbsBlockDevice{DeleteOnTermination: ptr.To(true), SnapshotId: ptr.To(snap), VolumeSize: ptr.To(size), VolumeType: ptr.To("gp2"), Encrypted: ptr.To(false)}}}}
		if r.Platform == "windows" {
			im.Platform, im.PlatformDetails, im.UsageOperation = ptr.To("windows"), ptr.To("Windows"), ptr.To("RunInstances:0002")
		}
		if r.SriovNetSupport != "" {
			im.SriovNetSupport = ptr.To(r.SriovNetSupport)
		}
		return userImages.put(tx, sc, id, im)
	})
	return answer(&ec2api.CreateImageResult{ImageId: ptr.To(id)}, err)
}

// RegisterImage registers an AMI from a root snapshot.
func (s *EC2) RegisterImage(ctx *request.Context, in *ec2api.RegisterImageRequest) (*ec2api.RegisterImageResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	id := newID("ami")
	err := s.store.Update(func(tx storage.Tx) error {
		if err := s.checkImageName(tx, sc, ptr.Deref(in.Name)); err != nil {
			return err
		}
		for _, b := range in.BlockDeviceMappings {
			if b.Ebs != nil && b.Ebs.SnapshotId != nil {
				if _, err := snapshots.get(tx, sc, *b.Ebs.SnapshotId); err != nil {
					return err
				}
			}
		}
		arch := "x86_64"
		if in.Architecture != nil {
			arch = *in.Architecture
		}
		root := "/dev/xvda"
		if in.RootDeviceName != nil {
			root = *in.RootDeviceName
		}
		bdm := in.BlockDeviceMappings
		if bdm == nil {
			bdm = []ec2api.BlockDeviceMapping{}
		}
		im := ec2api.Image{ImageId: ptr.To(id), Name: in.Name, Description: in.Description, Architecture: ptr.To(arch), CreationDate: ptr.To(ctx.Now().UTC().Format("2006-01-02T15:04:05.000Z")),
			ImageLocation: ptr.To(ptr.Deref(in.ImageLocation)), ImageType: ptr.To("machine"), Public: ptr.To(false), OwnerId: ptr.To(ctx.Account), State: ptr.To("available"),
			EnaSupport: ptr.To(ptr.Deref(in.EnaSupport)), Hypervisor: ptr.To("xen"), RootDeviceName: ptr.To(root), RootDeviceType: ptr.To("ebs"), VirtualizationType: ptr.To("hvm"),
			PlatformDetails: ptr.To("Linux/UNIX"), UsageOperation: ptr.To("RunInstances"), ProductCodes: []ec2api.ProductCode{}, Tags: nonNilTags(tagsFor(in.TagSpecifications, "image")),
			BlockDeviceMappings: bdm, SriovNetSupport: in.SriovNetSupport, KernelId: in.KernelId, RamdiskId: in.RamdiskId, BootMode: in.BootMode}
		if in.ImageLocation == nil {
			im.ImageLocation = ptr.To(ctx.Account + "/" + ptr.Deref(in.Name))
		}
		return userImages.put(tx, sc, id, im)
	})
	return answer(&ec2api.RegisterImageResult{ImageId: ptr.To(id)}, err)
}

// DeregisterImage removes one of the account's AMIs.
func (s *EC2) DeregisterImage(ctx *request.Context, in *ec2api.DeregisterImageRequest) (*ec2api.DeregisterImageOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	id := ptr.Deref(in.ImageId)
	err := s.store.Update(func(tx storage.Tx) error {
		im, ok, _ := userImages.table.Get(tx, sc, id)
		if ok && deregistrationProtected(im, ctx.Now()) {
			return errOperationNotPermitted.New("Image %s has deregistration protection enabled and cannot be deregistered.", id)
		}
		if !ok {
			for _, im := range images.Catalog(ctx.Region) {
				if im.ID == id {
					return errUnauthorized(id)
				}
			}
			return errAMINotFound.New("The image id '[%s]' does not exist", id)
		}
		if _, err := imagePerms.DeleteExisting(tx, sc, id); err != nil {
			return err
		}
		if err := syncShare(tx, ctx.Region, ctx.Account, id, nil); err != nil {
			return err
		}
		return userImages.table.Delete(tx, sc, id)
	})
	return answer(&ec2api.DeregisterImageOutput{}, err)
}

func errUnauthorized(id string) error {
	return code("AuthFailure").New("Not authorized for image:%s", id)
}

// CopyImage copies an AMI (public or own) into the request's region.
func (s *EC2) CopyImage(ctx *request.Context, in *ec2api.CopyImageRequest) (*ec2api.CopyImageResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	src := ptr.Deref(in.SourceRegion)
	srcScope := storage.Scope{Account: ctx.Account, Region: src}
	var source ec2api.Image
	found := false
	for _, im := range images.Catalog(src) {
		if im.ID == ptr.Deref(in.SourceImageId) {
			source, found = publicImage(im), true
		}
	}
	id := newID("ami")
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		if !found {
			im, ok, err := userImages.table.Get(tx, srcScope, ptr.Deref(in.SourceImageId))
			if err != nil {
				return err
			}
			if !ok && src == ctx.Region {
				// A shared image copies as AWS allows: into the caller's account.
				if im, _, ok, err = sharedImage(tx, ctx, ptr.Deref(in.SourceImageId)); err != nil {
					return err
				}
			}
			if !ok {
				return errAMINotFound.New("The image id '[%s]' does not exist", ptr.Deref(in.SourceImageId))
			}
			source = im
		}
		cp := source
		cp.ImageId, cp.Name, cp.OwnerId, cp.Public, cp.ImageOwnerAlias = ptr.To(id), in.Name, ptr.To(ctx.Account), ptr.To(false), nil
		cp.CreationDate = ptr.To(ctx.Now().UTC().Format("2006-01-02T15:04:05.000Z"))
		cp.ImageLocation = ptr.To(ctx.Account + "/" + ptr.Deref(in.Name))
		cp.DeprecationTime = nil
		if in.Description != nil {
			cp.Description = in.Description
		}
		cp.Tags = nonNilTags(tagsFor(in.TagSpecifications, "image"))
		if ptr.Deref(in.CopyImageTags) {
			cp.Tags = mergeTags(cp.Tags, source.Tags)
		}
		return userImages.put(tx, sc, id, cp)
	})
	return answer(&ec2api.CopyImageResult{ImageId: ptr.To(id)}, err)
}
