package ec2

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"time"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/filter"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// instanceRecord is a simulated instance. Its addresses live on its
// network interfaces (table "eni"); the record names them.
type instanceRecord struct {
	ID              string
	Owner           string
	ReservationID   string
	ImageID         string
	InstanceType    string
	KeyName         string
	AZ              string
	SubnetID        string
	VpcID           string
	ENI             string
	ExtraENIs       []extraENI
	State           string
	StateReason     string
	StateReasonMsg  string
	TransitionMsg   string
	LaunchTime      time.Time
	Due             time.Time
	TerminatedAt    time.Time
	UserData        string
	Tags            []ec2api.Tag
	IamProfileArn   string
	IamProfileID    string
	SriovNetSupport string
	EnaSupport      bool
	NoTerminate     bool
	NoStop          bool
	EbsOptimized    bool
	SourceDestCheck bool
	ShutdownBehav   string
	Platform        string
	Architecture    string
	RootDevice      string
	RootVolume      string
	Volumes         []attachedVolume
	ClientToken     string
	Monitoring      bool
	LaunchIndex     int32
	AssignPublic    bool
	Tenancy         string
	Kernel, Ramdisk string
	// IMDS holds the instance metadata options; zero fields are EC2's
	// defaults (records stored before the options existed read the same).
	IMDS imdsOptions
	// CpuCredits is the credit option of a burstable instance ("" is the
	// family's default).
	CpuCredits string
	// ProfileAssoc is the iip-assoc- id of the IAM instance profile
	// association ("" with a profile: derived from the instance id).
	ProfileAssoc     string
	ProfileAssocTime time.Time
	// CapPref and CapTarget are the instance's Capacity Reservation
	// preference ("" is open) and targeted reservation; CapResID is the
	// reservation it uses ("" for none).
	CapPref, CapTarget, CapResID string
	// AutoRecovery is the instance's automatic recovery setting ("" is
	// "default").
	AutoRecovery string
	// Hostname holds the hostname type and resource-name record options.
	Hostname hostnameOptions
}

type extraENI struct {
	ID          string
	DeviceIndex int32
}

type attachedVolume struct {
	Device              string
	VolumeID            string
	AttachTime          time.Time
	DeleteOnTermination bool
}

var instances = resource[instanceRecord]{table: storage.NewTable[instanceRecord]("instance"), prefix: "i", typ: "instance", noun: "instance", notFound: errInstanceNotFound,
	tags: func(v *instanceRecord) *[]ec2api.Tag { return &v.Tags }, doc: func(v *instanceRecord) filter.Doc { return instanceDoc(&ec2api.Instance{}, v) }}

// State codes, as EC2 reports them (the low byte of the state code).
func stateCode(state string) int32 {
	return map[string]int32{"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}[state]
}

func stateOf(name string) *ec2api.InstanceState {
	return &ec2api.InstanceState{Code: ptr.To(stateCode(name)), Name: ptr.To(name)}
}

func instanceARN(sc storage.Scope, id string) string {
	return fmt.Sprintf("arn:aws:ec2:%s:%s:instance/%s", sc.Region, sc.Account, id)
}

func instanceDoc(o *ec2api.Instance, r *instanceRecord) filter.Doc {
	d := filter.New(o.Tags)
	add := func(n string, v ...string) { d.Add(n, v...) }
	add("instance-id", ptr.Deref(o.InstanceId))
	add("instance-state-name")
	add("instance-state-code")
	if o.State != nil {
		add("instance-state-name", ptr.Deref(o.State.Name))
		add("instance-state-code", fmt.Sprint(ptr.Deref(o.State.Code)))
	}
	add("instance-type", ptr.Deref(o.InstanceType))
	add("image-id", ptr.Deref(o.ImageId))
	add("key-name", ptr.Deref(o.KeyName))
	add("vpc-id", ptr.Deref(o.VpcId))
	add("subnet-id", ptr.Deref(o.SubnetId))
	add("availability-zone")
	add("tenancy")
	if o.Placement != nil {
		add("availability-zone", ptr.Deref(o.Placement.AvailabilityZone))
		add("tenancy", ptr.Deref(o.Placement.Tenancy))
	}
	add("private-ip-address", ptr.Deref(o.PrivateIpAddress))
	add("ip-address", ptr.Deref(o.PublicIpAddress))
	add("private-dns-name", ptr.Deref(o.PrivateDnsName))
	add("dns-name", ptr.Deref(o.PublicDnsName))
	add("reservation-id", r.ReservationID)
	add("owner-id")
	add("architecture", ptr.Deref(o.Architecture))
	add("launch-time")
	if o.LaunchTime != nil {
		add("launch-time", o.LaunchTime.UTC().Format("2006-01-02T15:04:05.000Z"))
	}
	add("iam-instance-profile.arn")
	if o.IamInstanceProfile != nil {
		add("iam-instance-profile.arn", ptr.Deref(o.IamInstanceProfile.Arn))
	}
	for _, n := range []string{"instance.group-id", "instance.group-name", "group-id", "group-name"} {
		add(n)
	}
	for _, g := range o.SecurityGroups {
		add("instance.group-id", ptr.Deref(g.GroupId))
		add("group-id", ptr.Deref(g.GroupId))
		add("instance.group-name", ptr.Deref(g.GroupName))
		add("group-name", ptr.Deref(g.GroupName))
	}
	for _, n := range []string{"network-interface.network-interface-id", "network-interface.subnet-id", "network-interface.vpc-id", "network-interface.addresses.private-ip-address",
		"network-interface.private-dns-name", "network-interface.association.public-ip", "network-interface.mac-address", "network-interface.status", "association.public-ip", "association.allocation-id"} {
		add(n)
	}
	for _, ni := range o.NetworkInterfaces {
		add("network-interface.network-interface-id", ptr.Deref(ni.NetworkInterfaceId))
		add("network-interface.subnet-id", ptr.Deref(ni.SubnetId))
		add("network-interface.vpc-id", ptr.Deref(ni.VpcId))
		add("network-interface.addresses.private-ip-address", ptr.Deref(ni.PrivateIpAddress))
		for _, a := range ni.PrivateIpAddresses {
			add("network-interface.addresses.private-ip-address", ptr.Deref(a.PrivateIpAddress))
		}
		add("network-interface.private-dns-name", ptr.Deref(ni.PrivateDnsName))
		add("network-interface.mac-address", ptr.Deref(ni.MacAddress))
		add("network-interface.status", ptr.Deref(ni.Status))
		if ni.Association != nil {
			add("network-interface.association.public-ip", ptr.Deref(ni.Association.PublicIp))
			add("association.public-ip", ptr.Deref(ni.Association.PublicIp))
		}
	}
	add("platform", ptr.Deref(o.Platform))
	add("platform-details", ptr.Deref(o.PlatformDetails))
	add("root-device-type", ptr.Deref(o.RootDeviceType))
	add("root-device-name", ptr.Deref(o.RootDeviceName))
	add("monitoring-state")
	if o.Monitoring != nil {
		add("monitoring-state", ptr.Deref(o.Monitoring.State))
	}
	add("client-token", ptr.Deref(o.ClientToken))
	add("ami-launch-index", fmt.Sprint(ptr.Deref(o.AmiLaunchIndex)))
	add("hypervisor", ptr.Deref(o.Hypervisor))
	add("virtualization-type", ptr.Deref(o.VirtualizationType))
	add("source-dest-check", boolStr(ptr.Deref(o.SourceDestCheck)))
	add("ebs-optimized", boolStr(ptr.Deref(o.EbsOptimized)))
	add("ena-support", boolStr(ptr.Deref(o.EnaSupport)))
	add("state-reason-code")
	add("state-reason-message")
	if o.StateReason != nil {
		add("state-reason-code", ptr.Deref(o.StateReason.Code))
		add("state-reason-message", ptr.Deref(o.StateReason.Message))
	}
	add("reason", ptr.Deref(o.StateTransitionReason))
	add("block-device-mapping.device-name")
	add("block-device-mapping.volume-id")
	add("block-device-mapping.status")
	for _, b := range o.BlockDeviceMappings {
		add("block-device-mapping.device-name", ptr.Deref(b.DeviceName))
		if b.Ebs != nil {
			add("block-device-mapping.volume-id", ptr.Deref(b.Ebs.VolumeId))
			add("block-device-mapping.status", ptr.Deref(b.Ebs.Status))
		}
	}
	add("block-device-mapping.attach-time")
	add("block-device-mapping.delete-on-termination")
	for _, b := range o.BlockDeviceMappings {
		if b.Ebs != nil {
			if b.Ebs.AttachTime != nil {
				add("block-device-mapping.attach-time", b.Ebs.AttachTime.UTC().Format("2006-01-02T15:04:05.000Z"))
			}
			add("block-device-mapping.delete-on-termination", boolStr(ptr.Deref(b.Ebs.DeleteOnTermination)))
		}
	}
	add("launch-index", fmt.Sprint(ptr.Deref(o.AmiLaunchIndex)))
	// Dedicated hosts and product codes do not exist in niwa: the filters
	// are known and match nothing.
	add("affinity")
	add("host-id")
	add("product-code.type")
	for _, n := range []string{"association.association-id", "association.ip-owner-id", "network-interface.addresses.association.ip-owner-id",
		"network-interface.addresses.association.public-ip", "network-interface.addresses.primary", "network-interface.attachment.attach-time",
		"network-interface.attachment.attachment-id", "network-interface.attachment.delete-on-termination", "network-interface.attachment.device-index",
		"network-interface.attachment.instance-id", "network-interface.attachment.instance-owner-id", "network-interface.attachment.status",
		"network-interface.availability-zone", "network-interface.description", "network-interface.group-id", "network-interface.group-name",
		"network-interface.owner-id", "network-interface.requester-id", "network-interface.requester-managed", "network-interface.source-dest-check"} {
		add(n)
	}
	for _, ni := range o.NetworkInterfaces {
		add("network-interface.description", ptr.Deref(ni.Description))
		add("network-interface.owner-id", ptr.Deref(ni.OwnerId))
		add("network-interface.source-dest-check", boolStr(ptr.Deref(ni.SourceDestCheck)))
		add("network-interface.requester-managed", "false")
		if o.Placement != nil {
			add("network-interface.availability-zone", ptr.Deref(o.Placement.AvailabilityZone))
		}
		for _, g := range ni.Groups {
			add("network-interface.group-id", ptr.Deref(g.GroupId))
			add("network-interface.group-name", ptr.Deref(g.GroupName))
		}
		for _, a := range ni.PrivateIpAddresses {
			add("network-interface.addresses.primary", boolStr(ptr.Deref(a.Primary)))
			if a.Association != nil {
				add("network-interface.addresses.association.public-ip", ptr.Deref(a.Association.PublicIp))
				add("network-interface.addresses.association.ip-owner-id", ptr.Deref(a.Association.IpOwnerId))
			}
		}
		if a := ni.Attachment; a != nil {
			add("network-interface.attachment.attachment-id", ptr.Deref(a.AttachmentId))
			add("network-interface.attachment.instance-id", ptr.Deref(o.InstanceId))
			add("network-interface.attachment.instance-owner-id", r.Owner)
			add("network-interface.attachment.status", ptr.Deref(a.Status))
			add("network-interface.attachment.device-index", fmt.Sprint(ptr.Deref(a.DeviceIndex)))
			add("network-interface.attachment.delete-on-termination", boolStr(ptr.Deref(a.DeleteOnTermination)))
			if a.AttachTime != nil {
				add("network-interface.attachment.attach-time", a.AttachTime.UTC().Format("2006-01-02T15:04:05.000Z"))
			}
		}
		if ni.Association != nil {
			add("association.ip-owner-id", ptr.Deref(ni.Association.IpOwnerId))
		}
	}
	add("instance-lifecycle", ptr.Deref(o.InstanceLifecycle))
	add("kernel-id", ptr.Deref(o.KernelId))
	add("ramdisk-id", ptr.Deref(o.RamdiskId))
	add("placement-group-name")
	add("product-code")
	add("requester-id")
	add("spot-instance-request-id")
	add("metadata-options.http-tokens")
	add("metadata-options.http-endpoint")
	add("metadata-options.http-put-response-hop-limit")
	add("metadata-options.instance-metadata-tags")
	if m := o.MetadataOptions; m != nil {
		add("metadata-options.http-tokens", ptr.Deref(m.HttpTokens))
		add("metadata-options.http-endpoint", ptr.Deref(m.HttpEndpoint))
		add("metadata-options.http-put-response-hop-limit", fmt.Sprint(ptr.Deref(m.HttpPutResponseHopLimit)))
		add("metadata-options.instance-metadata-tags", ptr.Deref(m.InstanceMetadataTags))
	}
	add("boot-mode", ptr.Deref(o.BootMode))
	add("owner-id", r.Owner)
	return d
}

// instanceOut renders an instance with its interfaces as EC2 shows it.
func (s *EC2) instanceOut(tx storage.Tx, sc storage.Scope, r *instanceRecord) ec2api.Instance {
	tags := r.Tags
	if tags == nil {
		tags = []ec2api.Tag{}
	}
	o := ec2api.Instance{
		AmiLaunchIndex: ptr.To(r.LaunchIndex), ImageId: ptr.To(r.ImageID), InstanceId: ptr.To(r.ID), InstanceType: ptr.To(r.InstanceType),
		LaunchTime: ptr.To(r.LaunchTime.UTC()), Monitoring: &ec2api.Monitoring{State: ptr.To(map[bool]string{true: "enabled", false: "disabled"}[r.Monitoring])},
		Placement:    &ec2api.Placement{AvailabilityZone: ptr.To(r.AZ), GroupName: ptr.To(""), Tenancy: ptr.To(r.Tenancy)},
		ProductCodes: []ec2api.ProductCode{}, State: stateOf(r.State), StateTransitionReason: ptr.To(r.TransitionMsg),
		Architecture: ptr.To(r.Architecture), ClientToken: ptr.To(r.ClientToken), EbsOptimized: ptr.To(r.EbsOptimized), EnaSupport: ptr.To(r.EnaSupport),
		Hypervisor: ptr.To("xen"), RootDeviceName: ptr.To(r.RootDevice), RootDeviceType: ptr.To("ebs"), SecurityGroups: []ec2api.GroupIdentifier{},
		SourceDestCheck: ptr.To(r.SourceDestCheck), Tags: tags, VirtualizationType: ptr.To("hvm"), BlockDeviceMappings: []ec2api.InstanceBlockDeviceMapping{},
		NetworkInterfaces: []ec2api.InstanceNetworkInterface{}, ElasticGpuAssociations: []ec2api.ElasticGpuAssociation{},
		CpuOptions:                       &ec2api.CpuOptions{CoreCount: ptr.To(int32(1)), ThreadsPerCore: ptr.To(int32(2))},
		CapacityReservationSpecification: capacityOut(r),
		HibernationOptions:               &ec2api.HibernationOptions{Configured: ptr.To(false)},
		MetadataOptions:                  r.IMDS.response("applied"),
		EnclaveOptions:                   &ec2api.EnclaveOptions{Enabled: ptr.To(false)}, PlatformDetails: ptr.To("Linux/UNIX"), UsageOperation: ptr.To("RunInstances"), UsageOperationUpdateTime: ptr.To(r.LaunchTime.UTC()),
		PrivateDnsNameOptions: r.Hostname.response(),
		MaintenanceOptions:    &ec2api.InstanceMaintenanceOptions{AutoRecovery: ptr.To(orDefault(r.AutoRecovery, "default"))}, CurrentInstanceBootMode: ptr.To("legacy-bios"),
		PrivateDnsName: ptr.To(""), PublicDnsName: ptr.To(""),
	}
	if r.CapResID != "" && usesCapacity(r) {
		o.CapacityReservationId = ptr.To(r.CapResID)
	}
	if r.SriovNetSupport != "" {
		o.SriovNetSupport = ptr.To(r.SriovNetSupport)
	}
	if r.Platform == "windows" {
		o.Platform = ptr.To("windows")
		o.PlatformDetails = ptr.To("Windows")
		o.UsageOperation = ptr.To("RunInstances:0002")
	}
	if r.KeyName != "" {
		o.KeyName = ptr.To(r.KeyName)
	}
	if r.Kernel != "" {
		o.KernelId = ptr.To(r.Kernel)
	}
	if r.Ramdisk != "" {
		o.RamdiskId = ptr.To(r.Ramdisk)
	}
	if r.IamProfileArn != "" {
		o.IamInstanceProfile = &ec2api.IamInstanceProfile{Arn: ptr.To(r.IamProfileArn), Id: ptr.To(r.IamProfileID)}
	}
	if r.StateReason != "" {
		o.StateReason = &ec2api.StateReason{Code: ptr.To(r.StateReason), Message: ptr.To(r.StateReasonMsg)}
	}
	if r.State == "terminated" {
		return o
	}
	o.SubnetId, o.VpcId = ptr.To(r.SubnetID), ptr.To(r.VpcID)
	for _, v := range r.Volumes {
		status := "attached"
		o.BlockDeviceMappings = append(o.BlockDeviceMappings, ec2api.InstanceBlockDeviceMapping{DeviceName: ptr.To(v.Device), Ebs: &ec2api.EbsInstanceBlockDevice{
			AttachTime: ptr.To(v.AttachTime.UTC()), DeleteOnTermination: ptr.To(v.DeleteOnTermination), Status: ptr.To(status), VolumeId: ptr.To(v.VolumeID)}})
	}
	ids := []extraENI{{ID: r.ENI, DeviceIndex: 0}}
	ids = append(ids, r.ExtraENIs...)
	seenGroups := map[string]bool{}
	for _, x := range ids {
		e, ok, _ := enis.table.Get(tx, sc, x.ID)
		if !ok {
			continue
		}
		v6 := []ec2api.InstanceIpv6Address{}
		for _, a := range e.Ipv6Addresses {
			v6 = append(v6, ec2api.InstanceIpv6Address{Ipv6Address: a.Ipv6Address, IsPrimaryIpv6: ptr.To(false)})
		}
		ni := ec2api.InstanceNetworkInterface{
			Description: e.Description, Groups: e.Groups, Ipv6Addresses: v6, MacAddress: e.MacAddress, NetworkInterfaceId: e.NetworkInterfaceId,
			OwnerId: e.OwnerId, PrivateDnsName: e.PrivateDnsName, PrivateIpAddress: e.PrivateIpAddress, SourceDestCheck: e.SourceDestCheck, Status: e.Status,
			SubnetId: e.SubnetId, VpcId: e.VpcId, InterfaceType: e.InterfaceType, PrivateIpAddresses: []ec2api.InstancePrivateIpAddress{},
		}
		if e.Attachment != nil {
			ni.Attachment = &ec2api.InstanceNetworkInterfaceAttachment{AttachTime: e.Attachment.AttachTime, AttachmentId: e.Attachment.AttachmentId,
				DeleteOnTermination: e.Attachment.DeleteOnTermination, DeviceIndex: e.Attachment.DeviceIndex, Status: e.Attachment.Status, NetworkCardIndex: ptr.To(int32(0))}
		}
		var assoc *ec2api.InstanceNetworkInterfaceAssociation
		if e.Association != nil {
			owner := "amazon"
			if e.Association.AllocationId != nil {
				owner = sc.Account
			}
			assoc = &ec2api.InstanceNetworkInterfaceAssociation{IpOwnerId: ptr.To(owner), PublicDnsName: e.Association.PublicDnsName, PublicIp: e.Association.PublicIp}
			ni.Association = assoc
		}
		for _, p := range e.PrivateIpAddresses {
			ni.PrivateIpAddresses = append(ni.PrivateIpAddresses, ec2api.InstancePrivateIpAddress{Association: assoc, Primary: p.Primary, PrivateDnsName: p.PrivateDnsName, PrivateIpAddress: p.PrivateIpAddress})
		}
		o.NetworkInterfaces = append(o.NetworkInterfaces, ni)
		for _, g := range e.Groups {
			if !seenGroups[ptr.Deref(g.GroupId)] {
				seenGroups[ptr.Deref(g.GroupId)] = true
				o.SecurityGroups = append(o.SecurityGroups, g)
			}
		}
		if x.DeviceIndex == 0 {
			o.PrivateIpAddress = e.PrivateIpAddress
			o.PrivateDnsName = e.PrivateDnsName
			if r.Hostname.Type == "resource-name" {
				o.PrivateDnsName = ptr.To(resourceDNS(sc.Region, r.ID))
			}
			if e.Association != nil {
				o.PublicIpAddress = e.Association.PublicIp
				o.PublicDnsName = ptr.To("")
				if v, ok, _ := vpcs.table.Get(tx, sc, r.VpcID); ok && v.DNSHostnames {
					o.PublicDnsName = e.Association.PublicDnsName
				}
			}
		}
	}
	return o
}

// RunInstances launches instances: addresses from the subnet, the
// VPC's default security group unless others are named, a root volume,
// and the pending state that turns into running on the clock.
func (s *EC2) RunInstances(ctx *request.Context, in *ec2api.RunInstancesRequest) (*ec2api.Reservation, error) {
	if err := s.ensureDefaults(ctx); err != nil {
		return nil, err
	}
	if in.LaunchTemplate != nil {
		merged, err := s.applyLaunchTemplate(ctx, in)
		if err != nil {
			return nil, err
		}
		in = merged
	}
	// Account-level defaults fill what the request leaves out.
	imds, derr := s.metadataDefaults(ctx)
	if derr != nil {
		return nil, derr
	}
	capSpec, cerr := readCapacitySpec(in.CapacityReservationSpecification)
	if cerr != nil {
		return nil, cerr
	}
	if m := in.MetadataOptions; m != nil {
		if err := imds.apply(m.HttpTokens, m.HttpPutResponseHopLimit, m.HttpEndpoint, m.HttpProtocolIpv6, m.InstanceMetadataTags); err != nil {
			return nil, err
		}
	}
	credits := ""
	if c := in.CreditSpecification; c != nil {
		credits = strings.ToLower(ptr.Deref(c.CpuCredits))
		if credits != "standard" && credits != "unlimited" {
			return nil, errInvalidParameterValue.New("Value (%s) for parameter cpuCredits is invalid. Valid values are standard or unlimited.", ptr.Deref(c.CpuCredits))
		}
	}
	minC, maxC := ptr.Deref(in.MinCount), ptr.Deref(in.MaxCount)
	if minC < 1 {
		return nil, errInvalidParameterValue.New("Value (%d) for parameter minCount is invalid. Expected a positive integer.", minC)
	}
	if maxC < minC {
		return nil, errInvalidParameterValue.New("Value (%d) for parameter maxCount is invalid. Expected a value greater than or equal to minCount.", maxC)
	}
	if maxC > 100 {
		return nil, code("InstanceLimitExceeded").New("You have requested more instances (%d) than your current instance limit of 100 allows for the specified instance type. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit.", maxC)
	}
	imageID := ptr.Deref(in.ImageId)
	if imageID == "" && in.LaunchTemplate == nil {
		return nil, errMissingParameter.New("The request must contain the parameter ImageId")
	}
	if !strings.HasPrefix(imageID, "ami-") {
		return nil, errAMIMalformed.New("Invalid id: \"%s\" (expecting \"ami-...\")", imageID)
	}
	itype := "m1.small"
	if in.InstanceType != nil {
		itype = *in.InstanceType
	}
	if !instanceTypeKnown(itype) && !instanceTypeShaped(itype) && itype != "m1.small" {
		return nil, errInvalidParameterValue.New("Invalid value '%s' for InstanceType.", itype)
	}
	// A burstable launch without a credit option takes the account's
	// default for its family, when one was set.
	if _, ok := burstable(itype); ok && credits == "" {
		if credits, derr = s.creditDefault(ctx, strings.SplitN(itype, ".", 2)[0]); derr != nil {
			return nil, derr
		}
	}
	userData := ptr.Deref(in.UserData)
	if userData != "" {
		raw, err := base64.StdEncoding.DecodeString(userData)
		if err != nil {
			return nil, errInvalidParameterValue.New("Invalid BASE64 encoding of user data.")
		}
		if len(raw) > 16384 {
			return nil, errInvalidParameterValue.New("User data is limited to 16384 bytes")
		}
	}
	if in.PrivateIpAddress != nil && maxC > 1 {
		return nil, errInvalidParameterCombo.New("Network interfaces and an instance-level private IP address should not be specified on the same request")
	}
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	now := ctx.Now().UTC()
	var res ec2api.Reservation
	var launched []string
	err := s.store.Update(func(tx storage.Tx) error {
		if tok := ptr.Deref(in.ClientToken); tok != "" {
			all, err := instances.all(tx, sc)
			if err != nil {
				return err
			}
			var same []instanceRecord
			for _, r := range all {
				if r.ClientToken == tok {
					same = append(same, r)
				}
			}
			if len(same) > 0 {
				res = ec2api.Reservation{ReservationId: ptr.To(same[0].ReservationID), OwnerId: ptr.To(ctx.Account), Groups: []ec2api.GroupIdentifier{}}
				for i := range same {
					res.Instances = append(res.Instances, s.instanceOut(tx, sc, &same[i]))
				}
				return nil
			}
		}
		img, err := s.imageFor(tx, ctx, imageID)
		if err != nil {
			return err
		}
		if in.KeyName != nil {
			if _, ok, err := keyPairs.Get(tx, sc, *in.KeyName); err != nil {
				return err
			} else if !ok {
				return errKeyPairNotFound.New("The key pair '%s' does not exist", *in.KeyName)
			}
		}
		// Where: the named subnet, the first interface spec's subnet, or
		// the default subnet of the requested (or first) zone.
		var nis *ec2api.InstanceNetworkInterfaceSpecification
		if len(in.NetworkInterfaces) > 0 {
			nis = &in.NetworkInterfaces[0]
		}
		subnetID := ptr.Deref(in.SubnetId)
		if subnetID == "" && nis != nil {
			subnetID = ptr.Deref(nis.SubnetId)
		}
		var sub ec2api.Subnet
		if subnetID != "" {
			if sub, err = subnets.get(tx, sc, subnetID); err != nil {
				return err
			}
		} else {
			d, err := s.defaultsOf(tx, sc)
			if err != nil {
				return err
			}
			def := d.VpcID
			if def == "" {
				return code("VPCIdNotSpecified").New("No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.")
			}
			all, err := subnets.all(tx, sc)
			if err != nil {
				return err
			}
			wantAZ := ""
			if in.Placement != nil {
				wantAZ = ptr.Deref(in.Placement.AvailabilityZone)
			}
			for _, x := range all {
				if ptr.Deref(x.VpcId) == def && ptr.Deref(x.DefaultForAz) && (wantAZ == "" || ptr.Deref(x.AvailabilityZone) == wantAZ) {
					if sub.SubnetId == nil || ptr.Deref(x.AvailabilityZone) < ptr.Deref(sub.AvailabilityZone) {
						sub = x
					}
				}
			}
			if sub.SubnetId == nil {
				return errInvalidParameterValue.New("Invalid availability zone: [%s]", wantAZ)
			}
		}
		if in.Placement != nil && in.Placement.AvailabilityZone != nil && *in.Placement.AvailabilityZone != ptr.Deref(sub.AvailabilityZone) {
			return errInvalidParameterValue.New("Value (%s) for parameter availabilityZone is invalid. Subnet '%s' is in the availability zone %s", *in.Placement.AvailabilityZone, ptr.Deref(sub.SubnetId), ptr.Deref(sub.AvailabilityZone))
		}
		v, err := vpcs.get(tx, sc, ptr.Deref(sub.VpcId))
		if err != nil {
			return err
		}
		groupIDs := in.SecurityGroupIds
		if nis != nil && len(nis.Groups) > 0 {
			groupIDs = nis.Groups
		}
		var groups []ec2api.GroupIdentifier
		if len(groupIDs) > 0 {
			if groups, err = s.resolveGroups(tx, sc, ptr.Deref(sub.VpcId), groupIDs); err != nil {
				return err
			}
		}
		for _, name := range in.SecurityGroups {
			all, err := sgs.all(tx, sc)
			if err != nil {
				return err
			}
			found := false
			for _, g := range all {
				if ptr.Deref(g.GroupName) == name && ptr.Deref(g.VpcId) == ptr.Deref(sub.VpcId) {
					groups = append(groups, ec2api.GroupIdentifier{GroupId: g.GroupId, GroupName: g.GroupName})
					found = true
				}
			}
			if !found {
				return errGroupNotFound.New("The security group '%s' does not exist in VPC '%s'", name, ptr.Deref(sub.VpcId))
			}
		}
		if len(groups) == 0 {
			groups = []ec2api.GroupIdentifier{{GroupId: ptr.To(v.DefaultSG), GroupName: ptr.To("default")}}
		}
		assignPublic := ptr.Deref(sub.MapPublicIpOnLaunch)
		if nis != nil && nis.AssociatePublicIpAddress != nil {
			assignPublic = *nis.AssociatePublicIpAddress
		}
		wantIP := ptr.Deref(in.PrivateIpAddress)
		if nis != nil && nis.PrivateIpAddress != nil {
			wantIP = *nis.PrivateIpAddress
		}
		profileArn, profileID := "", ""
		if p := in.IamInstanceProfile; p != nil {
			switch {
			case p.Arn != nil:
				profileArn = *p.Arn
			case p.Name != nil:
				profileArn = fmt.Sprintf("arn:aws:iam::%s:instance-profile/%s", ctx.Account, *p.Name)
			}
			profileID = "AIPA" + strings.ToUpper(newID("x")[2:19])
		}
		resID := newID("r")
		res = ec2api.Reservation{ReservationId: ptr.To(resID), OwnerId: ptr.To(ctx.Account), Groups: []ec2api.GroupIdentifier{}}
		instTags := tagsFor(in.TagSpecifications, "instance")
		volTags := tagsFor(in.TagSpecifications, "volume")
		for n := int32(0); n < maxC; n++ {
			id := newID("i")
			eniID := newID("eni")
			ip, err := allocateIP(tx, sc, ptr.Deref(sub.SubnetId), wantIP, eniID)
			if err != nil {
				if n >= minC {
					break
				}
				return err
			}
			eni := s.newENIRecord(ctx, eniID, sub, ip, "", "interface", groups)
			eni.Attachment = &ec2api.NetworkInterfaceAttachment{AttachmentId: ptr.To(newID("eni-attach")), AttachTime: ptr.To(now), DeleteOnTermination: ptr.To(true), DeviceIndex: ptr.To(int32(0)),
				NetworkCardIndex: ptr.To(int32(0)), InstanceId: ptr.To(id), InstanceOwnerId: ptr.To(ctx.Account), Status: ptr.To("attached")}
			if assignPublic {
				pub, err := newPublicIP(tx, sc, eniID)
				if err != nil {
					return err
				}
				eni.Association = &ec2api.NetworkInterfaceAssociation{IpOwnerId: ptr.To("amazon"), PublicIp: ptr.To(pub), PublicDnsName: ptr.To(publicDNS(ctx.Region, pub))}
				eni.PrivateIpAddresses[0].Association = eni.Association
			}
			if t := tagsFor(in.TagSpecifications, "network-interface"); t != nil {
				eni.TagSet = t
			}
			if c, explicit := ipv6Wanted(in); c > 0 || len(explicit) > 0 {
				if _, err := assignIPv6(tx, sc, &eni, sub, c, explicit); err != nil {
					return err
				}
			}
			if err := enis.put(tx, sc, eniID, eni); err != nil {
				return err
			}
			volID := newID("vol")
			size := int32(8)
			if img.Platform == "windows" {
				size = 30
			}
			if err := volumes.put(tx, sc, volID, ec2api.Volume{VolumeId: ptr.To(volID), Size: ptr.To(size), AvailabilityZone: sub.AvailabilityZone, State: ptr.To("in-use"),
				CreateTime: ptr.To(now), VolumeType: ptr.To("gp2"), Iops: ptr.To(int32(100)), Encrypted: ptr.To(false), SnapshotId: ptr.To(img.SnapshotID), MultiAttachEnabled: ptr.To(false),
				Tags: nonNilTags(volTags), Attachments: []ec2api.VolumeAttachment{{VolumeId: ptr.To(volID), InstanceId: ptr.To(id), Device: ptr.To(img.RootDevice), State: ptr.To("attached"), AttachTime: ptr.To(now), DeleteOnTermination: ptr.To(true)}}}); err != nil {
				return err
			}
			rec := instanceRecord{
				ID: id, Owner: ctx.Account, ReservationID: resID, ImageID: imageID, InstanceType: itype, KeyName: ptr.Deref(in.KeyName), AZ: ptr.Deref(sub.AvailabilityZone),
				SubnetID: ptr.Deref(sub.SubnetId), VpcID: ptr.Deref(sub.VpcId), ENI: eniID, State: "pending", LaunchTime: now, Due: now.Add(s.opts.BootDelay),
				UserData: userData, Tags: nonNilTags(instTags), IamProfileArn: profileArn, IamProfileID: profileID, EnaSupport: true,
				NoTerminate: ptr.Deref(in.DisableApiTermination), NoStop: ptr.Deref(in.DisableApiStop), EbsOptimized: ptr.Deref(in.EbsOptimized), SourceDestCheck: true,
				ShutdownBehav: "stop", Platform: img.Platform, Architecture: img.Architecture, RootDevice: img.RootDevice, RootVolume: volID,
				Volumes:     []attachedVolume{{Device: img.RootDevice, VolumeID: volID, AttachTime: now, DeleteOnTermination: true}},
				ClientToken: ptr.Deref(in.ClientToken), Monitoring: in.Monitoring != nil && ptr.Deref(in.Monitoring.Enabled), LaunchIndex: n, AssignPublic: assignPublic,
				Tenancy: "default", Kernel: ptr.Deref(in.KernelId), Ramdisk: ptr.Deref(in.RamdiskId), IMDS: imds, CpuCredits: credits, ProfileAssocTime: now,
			}
			if in.InstanceInitiatedShutdownBehavior != nil {
				rec.ShutdownBehav = *in.InstanceInitiatedShutdownBehavior
			}
			if in.Placement != nil && in.Placement.Tenancy != nil {
				rec.Tenancy = *in.Placement.Tenancy
			}
			if rec.Hostname, err = hostnameOnLaunch(sub, in.PrivateDnsNameOptions); err != nil {
				return err
			}
			rec.CapPref, rec.CapTarget = capSpec.pref, capSpec.target
			if rec.CapResID, err = matchReservation(tx, sc, &rec, capSpec); err != nil {
				return err
			}
			if err := instances.put(tx, sc, id, rec); err != nil {
				return err
			}
			if err := transitions.Put(tx, storage.Scope{}, transitionRecord{Due: rec.Due}, sc.Account, sc.Region, id); err != nil {
				return err
			}
			res.Instances = append(res.Instances, s.instanceOut(tx, sc, &rec))
			launched = append(launched, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, id := range launched {
		s.publishState(sc, id, "pending", now)
		s.schedule(sc, id, now.Add(s.opts.BootDelay))
	}
	return &res, nil
}

func nonNilTags(t []ec2api.Tag) []ec2api.Tag {
	if t == nil {
		return []ec2api.Tag{}
	}
	return t
}

// DescribeInstances answers reservations of instances that pass the
// filters (on the rendered instance, so every documented filter sees
// what the client sees), paged by instance id.
func (s *EC2) DescribeInstances(ctx *request.Context, in *ec2api.DescribeInstancesRequest) (*ec2api.DescribeInstancesResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if err := filter.Validate(in.Filters, instanceDoc(&ec2api.Instance{}, &instanceRecord{})); err != nil {
		return nil, err
	}
	if in.MaxResults != nil && len(in.InstanceIds) > 0 {
		return nil, errInvalidParameterCombo.New("The parameter instancesSet cannot be used with the parameter maxResults")
	}
	if in.MaxResults != nil && (*in.MaxResults < 5 || *in.MaxResults > 1000) {
		return nil, errInvalidParameterValue.New("Value ( %d ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.", *in.MaxResults)
	}
	for _, id := range in.InstanceIds {
		if !strings.HasPrefix(id, "i-") {
			return nil, errInstanceMalformed.New("Invalid id: \"%s\"", id)
		}
	}
	sc := scope(ctx)
	out := &ec2api.DescribeInstancesResult{Reservations: []ec2api.Reservation{}}
	err := s.store.View(func(tx storage.Tx) error {
		var recs []instanceRecord
		if len(in.InstanceIds) > 0 {
			var err error
			if recs, err = instances.getEach(tx, sc, in.InstanceIds); err != nil {
				return err
			}
		} else {
			opts := storage.ListOptions{}
			if t := ptr.Deref(in.NextToken); t != "" {
				after, err := decodeToken(t)
				if err != nil {
					return err
				}
				opts.After = []string{after}
			}
			if err := instances.table.List(tx, sc, nil, opts, func(_ []string, r instanceRecord) bool {
				recs = append(recs, r)
				return true
			}); err != nil {
				return err
			}
		}
		limit := int(ptr.Deref(in.MaxResults))
		byRes := map[string]int{}
		count := 0
		for i := range recs {
			r := &recs[i]
			o := s.instanceOut(tx, sc, r)
			if !filter.Match(in.Filters, instanceDoc(&o, r)) {
				continue
			}
			if limit > 0 && count == limit {
				out.NextToken = ptr.To(encodeToken(recs[i-1].ID))
				break
			}
			count++
			j, ok := byRes[r.ReservationID]
			if !ok {
				j = len(out.Reservations)
				byRes[r.ReservationID] = j
				out.Reservations = append(out.Reservations, ec2api.Reservation{ReservationId: ptr.To(r.ReservationID), OwnerId: ptr.To(r.Owner), Groups: []ec2api.GroupIdentifier{}})
			}
			out.Reservations[j].Instances = append(out.Reservations[j].Instances, o)
		}
		for i := range out.Reservations {
			sort.SliceStable(out.Reservations[i].Instances, func(a, b int) bool {
				return ptr.Deref(out.Reservations[i].Instances[a].AmiLaunchIndex) < ptr.Deref(out.Reservations[i].Instances[b].AmiLaunchIndex)
			})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// changeState applies one state-changing call (start, stop, terminate)
// to every named instance atomically: if any is missing or in the wrong
// state, none changes. A DryRun request is refused first, as EC2 does.
func (s *EC2) changeState(ctx *request.Context, dry *bool, ids []string, op string, force bool) ([]ec2api.InstanceStateChange, error) {
	if err := dryRun(dry); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, errMissingParameter.New("The request must contain the parameter InstanceId")
	}
	for _, id := range ids {
		if !strings.HasPrefix(id, "i-") {
			return nil, errInstanceMalformed.New("Invalid id: \"%s\"", id)
		}
	}
	sc := scope(ctx)
	now := ctx.Now().UTC()
	var changes []ec2api.InstanceStateChange
	type fired struct {
		id, state string
		due       time.Time
	}
	var evs []fired
	err := s.store.Update(func(tx storage.Tx) error {
		recs, err := instances.getEach(tx, sc, ids)
		if err != nil {
			return err
		}
		for i := range recs {
			r := &recs[i]
			prev := r.State
			next := ""
			switch op {
			case "start":
				switch prev {
				case "stopped":
					next = "pending"
				case "pending", "running":
				default:
					return errIncorrectInstanceState.New("The instance '%s' is not in a state from which it can be started.", r.ID)
				}
			case "stop":
				switch prev {
				case "running":
					next = "stopping"
				case "stopping", "stopped":
				default:
					return errIncorrectInstanceState.New("The instance '%s' is not in a state from which it can be stopped.", r.ID)
				}
				if next != "" && r.NoStop && !force {
					return errOperationNotPermitted.New("The instance '%s' may not be stopped. Modify its 'disableApiStop' instance attribute and try again.", r.ID)
				}
			case "terminate":
				switch prev {
				case "shutting-down", "terminated":
				default:
					next = "shutting-down"
				}
				if next != "" && r.NoTerminate {
					return errOperationNotPermitted.New("The instance '%s' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.", r.ID)
				}
			}
			cur := prev
			if next != "" {
				cur = next
			}
			changes = append(changes, ec2api.InstanceStateChange{InstanceId: ptr.To(r.ID), PreviousState: stateOf(prev), CurrentState: stateOf(cur)})
			if next == "" {
				continue
			}
			r.State = next
			switch next {
			case "pending":
				r.Due = now.Add(s.opts.BootDelay)
				r.TransitionMsg, r.StateReason, r.StateReasonMsg = "", "", ""
				// A restarted instance takes a reservation again.
				if r.CapResID, err = matchReservation(tx, sc, r, capacitySpec{pref: r.CapPref, target: r.CapTarget}); err != nil {
					return err
				}
				if err := s.assignPublicOnStart(tx, ctx, r); err != nil {
					return err
				}
			case "stopping":
				r.Due = now.Add(s.opts.StopDelay)
				r.TransitionMsg = fmt.Sprintf("User initiated (%s)", now.Format("2006-01-02 15:04:05 MST"))
				r.StateReason, r.StateReasonMsg = "Client.UserInitiatedShutdown", "Client.UserInitiatedShutdown: User initiated shutdown"
			case "shutting-down":
				r.Due = now.Add(s.opts.StopDelay)
				r.TransitionMsg = fmt.Sprintf("User initiated (%s)", now.Format("2006-01-02 15:04:05 MST"))
				r.StateReason, r.StateReasonMsg = "Client.UserInitiatedShutdown", "Client.UserInitiatedShutdown: User initiated shutdown"
			}
			if err := instances.put(tx, sc, r.ID, *r); err != nil {
				return err
			}
			if err := transitions.Put(tx, storage.Scope{}, transitionRecord{Due: r.Due}, sc.Account, sc.Region, r.ID); err != nil {
				return err
			}
			evs = append(evs, fired{r.ID, next, r.Due})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, e := range evs {
		s.publishState(sc, e.id, e.state, now)
		s.runtimeState(sc, e.id, e.state)
		s.schedule(sc, e.id, e.due)
	}
	return changes, nil
}

// assignPublicOnStart gives a restarted instance a new public address
// when it launched with one, as EC2 does (Elastic IPs stay).
func (s *EC2) assignPublicOnStart(tx storage.Tx, ctx *request.Context, r *instanceRecord) error {
	if !r.AssignPublic {
		return nil
	}
	sc := scope(ctx)
	e, ok, err := enis.table.Get(tx, sc, r.ENI)
	if err != nil || !ok || e.Association != nil {
		return err
	}
	pub, err := newPublicIP(tx, sc, r.ENI)
	if err != nil {
		return err
	}
	e.Association = &ec2api.NetworkInterfaceAssociation{IpOwnerId: ptr.To("amazon"), PublicIp: ptr.To(pub), PublicDnsName: ptr.To(publicDNS(ctx.Region, pub))}
	if len(e.PrivateIpAddresses) > 0 {
		e.PrivateIpAddresses[0].Association = e.Association
	}
	return enis.put(tx, sc, r.ENI, e)
}

// StartInstances starts stopped instances.
func (s *EC2) StartInstances(ctx *request.Context, in *ec2api.StartInstancesRequest) (*ec2api.StartInstancesResult, error) {
	ch, err := s.changeState(ctx, in.DryRun, in.InstanceIds, "start", false)
	return answer(&ec2api.StartInstancesResult{StartingInstances: ch}, err)
}

// StopInstances stops running instances.
func (s *EC2) StopInstances(ctx *request.Context, in *ec2api.StopInstancesRequest) (*ec2api.StopInstancesResult, error) {
	ch, err := s.changeState(ctx, in.DryRun, in.InstanceIds, "stop", ptr.Deref(in.Force))
	return answer(&ec2api.StopInstancesResult{StoppingInstances: ch}, err)
}

// TerminateInstances terminates instances.
func (s *EC2) TerminateInstances(ctx *request.Context, in *ec2api.TerminateInstancesRequest) (*ec2api.TerminateInstancesResult, error) {
	ch, err := s.changeState(ctx, in.DryRun, in.InstanceIds, "terminate", false)
	return answer(&ec2api.TerminateInstancesResult{TerminatingInstances: ch}, err)
}

// RebootInstances reboots running instances; the state stays running.
func (s *EC2) RebootInstances(ctx *request.Context, in *ec2api.RebootInstancesRequest) (*ec2api.RebootInstancesOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	err := s.store.View(func(tx storage.Tx) error {
		var missing []string
		for _, id := range in.InstanceIds {
			r, ok, err := instances.table.Get(tx, sc, id)
			if err != nil {
				return err
			}
			if !ok {
				missing = append(missing, id)
				continue
			}
			if r.State == "terminated" || r.State == "shutting-down" {
				return errIncorrectInstanceState.New("The instance '%s' is not in a state from which it can be rebooted.", id)
			}
		}
		if len(missing) > 0 {
			return instances.missing(missing...)
		}
		return nil
	})
	if err == nil {
		s.reboot(sc, in.InstanceIds)
	}
	return answer(&ec2api.RebootInstancesOutput{}, err)
}

// DescribeInstanceStatus reports status checks: running instances by
// default, every non-terminated one with IncludeAllInstances.
func (s *EC2) DescribeInstanceStatus(ctx *request.Context, in *ec2api.DescribeInstanceStatusRequest) (*ec2api.DescribeInstanceStatusResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	doc := func(st *ec2api.InstanceStatus) filter.Doc {
		return filter.New(nil).Add("availability-zone", ptr.Deref(st.AvailabilityZone)).Add("instance-state-name", ptr.Deref(st.InstanceState.Name)).
			Add("instance-state-code", fmt.Sprint(ptr.Deref(st.InstanceState.Code))).Add("instance-status.status", ptr.Deref(st.InstanceStatus.Status)).
			Add("system-status.status", ptr.Deref(st.SystemStatus.Status)).Add("instance-status.reachability", ptr.Deref(st.InstanceStatus.Status)).
			Add("system-status.reachability", ptr.Deref(st.SystemStatus.Status)).Add("event.code").Add("event.description").Add("event.not-after").Add("event.not-before")
	}
	zero := ec2api.InstanceStatus{InstanceState: stateOf("running"), InstanceStatus: &ec2api.InstanceStatusSummary{}, SystemStatus: &ec2api.InstanceStatusSummary{}}
	if err := filter.Validate(in.Filters, doc(&zero)); err != nil {
		return nil, err
	}
	recs, next, err := describe(s, ctx, instances, page{ids: in.InstanceIds, maxResults: in.MaxResults, nextToken: in.NextToken}, nil)
	if err != nil {
		return nil, err
	}
	out := &ec2api.DescribeInstanceStatusResult{InstanceStatuses: []ec2api.InstanceStatus{}, NextToken: next}
	for _, r := range recs {
		if r.State != "running" && !ptr.Deref(in.IncludeAllInstances) {
			continue
		}
		if r.State == "terminated" {
			continue
		}
		status := "not-applicable"
		if r.State == "running" {
			status = "ok"
		}
		summary := func() *ec2api.InstanceStatusSummary {
			sm := &ec2api.InstanceStatusSummary{Status: ptr.To(status), Details: []ec2api.InstanceStatusDetails{}}
			if status != "not-applicable" {
				sm.Details = []ec2api.InstanceStatusDetails{{Name: ptr.To("reachability"), Status: ptr.To("passed")}}
			}
			return sm
		}
		st := ec2api.InstanceStatus{AvailabilityZone: ptr.To(r.AZ), InstanceId: ptr.To(r.ID), InstanceState: stateOf(r.State), InstanceStatus: summary(), SystemStatus: summary(), Events: []ec2api.InstanceStatusEvent{}}
		if filter.Match(in.Filters, doc(&st)) {
			out.InstanceStatuses = append(out.InstanceStatuses, st)
		}
	}
	return out, nil
}

// GetConsoleOutput returns a boot log for instances that have booted.
func (s *EC2) GetConsoleOutput(ctx *request.Context, in *ec2api.GetConsoleOutputRequest) (*ec2api.GetConsoleOutputResult, error) {
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
	out := &ec2api.GetConsoleOutputResult{InstanceId: ptr.To(r.ID), Timestamp: ptr.To(ctx.Now().UTC())}
	if rt := s.rt(); rt != nil {
		// What the instance's boot and processes printed.
		text, err := rt.Console(ctx.Account, ctx.Region, r.ID)
		if err != nil {
			return nil, err
		}
		if text != "" {
			out.Output = ptr.To(base64.StdEncoding.EncodeToString([]byte(text)))
		}
		return out, nil
	}
	if r.State == "pending" {
		return out, nil
	}
	log := fmt.Sprintf("[    0.000000] Linux version (niwa simulated instance %s)\n[    0.100000] Command line: root=%s\nCloud-init v. 22.2.2 running 'init' at %s. Up 3.00 seconds.\nci-info: eth0: %s\n%s login:\n",
		r.ID, r.RootDevice, r.LaunchTime.UTC().Format(time.RFC1123), r.SubnetID, r.ID)
	out.Output = ptr.To(base64.StdEncoding.EncodeToString([]byte(log)))
	return out, nil
}

// modifyNeedsStopped are the attributes EC2 changes only on a stopped
// instance.
func modifyNeedsStopped(attr string) bool {
	switch attr {
	case "instanceType", "userData", "sriovNetSupport", "enaSupport", "kernel", "ramdisk", "ebsOptimized":
		return true
	}
	return false
}

// ModifyInstanceAttribute changes one attribute per call.
func (s *EC2) ModifyInstanceAttribute(ctx *request.Context, in *ec2api.ModifyInstanceAttributeRequest) (*ec2api.ModifyInstanceAttributeOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	// Normalize the two request forms (Attribute+Value, or one typed
	// member) into name and string value.
	type change struct{ attr, value string }
	var chs []change
	bv := func(a *ec2api.AttributeBooleanValue) string { return boolStr(ptr.Deref(a.Value)) }
	if in.Attribute != nil {
		chs = append(chs, change{*in.Attribute, ptr.Deref(in.Value)})
	}
	if in.InstanceType != nil {
		chs = append(chs, change{"instanceType", ptr.Deref(in.InstanceType.Value)})
	}
	if in.SriovNetSupport != nil {
		chs = append(chs, change{"sriovNetSupport", ptr.Deref(in.SriovNetSupport.Value)})
	}
	if in.EnaSupport != nil {
		chs = append(chs, change{"enaSupport", bv(in.EnaSupport)})
	}
	if in.DisableApiTermination != nil {
		chs = append(chs, change{"disableApiTermination", bv(in.DisableApiTermination)})
	}
	if in.DisableApiStop != nil {
		chs = append(chs, change{"disableApiStop", bv(in.DisableApiStop)})
	}
	if in.EbsOptimized != nil {
		chs = append(chs, change{"ebsOptimized", bv(in.EbsOptimized)})
	}
	if in.SourceDestCheck != nil {
		chs = append(chs, change{"sourceDestCheck", bv(in.SourceDestCheck)})
	}
	if in.InstanceInitiatedShutdownBehavior != nil {
		chs = append(chs, change{"instanceInitiatedShutdownBehavior", ptr.Deref(in.InstanceInitiatedShutdownBehavior.Value)})
	}
	if in.UserData != nil {
		// The CLI sends the value base64-encoded once by the codec; the
		// stored form is the base64 text EC2 returns.
		chs = append(chs, change{"userData", base64.StdEncoding.EncodeToString(in.UserData.Value)})
	}
	if in.Kernel != nil {
		chs = append(chs, change{"kernel", ptr.Deref(in.Kernel.Value)})
	}
	if in.Ramdisk != nil {
		chs = append(chs, change{"ramdisk", ptr.Deref(in.Ramdisk.Value)})
	}
	if len(in.Groups) > 0 {
		chs = append(chs, change{"groupSet", strings.Join(in.Groups, ",")})
	}
	if len(chs) == 0 {
		return nil, errMissingParameter.New("The request must contain the parameter attribute or a value to modify")
	}
	if len(chs) > 1 {
		return nil, errInvalidParameterCombo.New("Fields for multiple attribute types specified: %s, %s", chs[0].attr, chs[1].attr)
	}
	c := chs[0]
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		r, err := instances.get(tx, sc, ptr.Deref(in.InstanceId))
		if err != nil {
			return err
		}
		if modifyNeedsStopped(c.attr) && r.State != "stopped" {
			return errIncorrectInstanceState.New("The instance '%s' is not in the 'stopped' state.", r.ID)
		}
		switch c.attr {
		case "instanceType":
			if !instanceTypeKnown(c.value) && !instanceTypeShaped(c.value) {
				return errInvalidParameterValue.New("Invalid value '%s' for InstanceType.", c.value)
			}
			r.InstanceType = c.value
		case "sriovNetSupport":
			if c.value != "simple" {
				return errInvalidParameterValue.New("Value (%s) for parameter sriovNetSupport is invalid. Valid values: simple", c.value)
			}
			r.SriovNetSupport = c.value
		case "enaSupport":
			r.EnaSupport = c.value == "true"
		case "disableApiTermination":
			r.NoTerminate = c.value == "true"
		case "disableApiStop":
			r.NoStop = c.value == "true"
		case "ebsOptimized":
			r.EbsOptimized = c.value == "true"
		case "sourceDestCheck":
			r.SourceDestCheck = c.value == "true"
			if e, ok, _ := enis.table.Get(tx, sc, r.ENI); ok {
				e.SourceDestCheck = ptr.To(r.SourceDestCheck)
				if err := enis.put(tx, sc, r.ENI, e); err != nil {
					return err
				}
			}
		case "instanceInitiatedShutdownBehavior":
			if c.value != "stop" && c.value != "terminate" {
				return errInvalidParameterValue.New("Value (%s) for parameter instanceInitiatedShutdownBehavior is invalid. Valid values: stop, terminate", c.value)
			}
			r.ShutdownBehav = c.value
		case "userData":
			r.UserData = c.value
		case "kernel":
			r.Kernel = c.value
		case "ramdisk":
			r.Ramdisk = c.value
		case "groupSet":
			groups, err := s.resolveGroups(tx, sc, r.VpcID, strings.Split(c.value, ","))
			if err != nil {
				return err
			}
			e, err := enis.get(tx, sc, r.ENI)
			if err != nil {
				return err
			}
			e.Groups = groups
			if err := enis.put(tx, sc, r.ENI, e); err != nil {
				return err
			}
		default:
			return errInvalidParameterValue.New("Value (%s) for parameter attribute is invalid. Unknown attribute.", c.attr)
		}
		return instances.put(tx, sc, r.ID, r)
	})
	return answer(&ec2api.ModifyInstanceAttributeOutput{}, err)
}

// DescribeInstanceAttribute answers one attribute.
func (s *EC2) DescribeInstanceAttribute(ctx *request.Context, in *ec2api.DescribeInstanceAttributeRequest) (*ec2api.InstanceAttribute, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	out := &ec2api.InstanceAttribute{InstanceId: in.InstanceId}
	err := s.store.View(func(tx storage.Tx) error {
		r, err := instances.get(tx, sc, ptr.Deref(in.InstanceId))
		if err != nil {
			return err
		}
		bv := func(b bool) *ec2api.AttributeBooleanValue { return &ec2api.AttributeBooleanValue{Value: ptr.To(b)} }
		sv := func(v string) *ec2api.AttributeValue {
			if v == "" {
				return &ec2api.AttributeValue{}
			}
			return &ec2api.AttributeValue{Value: ptr.To(v)}
		}
		switch ptr.Deref(in.Attribute) {
		case "instanceType":
			out.InstanceType = sv(r.InstanceType)
		case "kernel":
			out.KernelId = sv(r.Kernel)
		case "ramdisk":
			out.RamdiskId = sv(r.Ramdisk)
		case "userData":
			out.UserData = sv(r.UserData)
		case "disableApiTermination":
			out.DisableApiTermination = bv(r.NoTerminate)
		case "disableApiStop":
			out.DisableApiStop = bv(r.NoStop)
		case "instanceInitiatedShutdownBehavior":
			out.InstanceInitiatedShutdownBehavior = sv(r.ShutdownBehav)
		case "rootDeviceName":
			out.RootDeviceName = sv(r.RootDevice)
		case "blockDeviceMapping":
			o := s.instanceOut(tx, sc, &r)
			out.BlockDeviceMappings = o.BlockDeviceMappings
		case "productCodes":
			out.ProductCodes = []ec2api.ProductCode{}
		case "sourceDestCheck":
			out.SourceDestCheck = bv(r.SourceDestCheck)
		case "groupSet":
			o := s.instanceOut(tx, sc, &r)
			out.Groups = o.SecurityGroups
		case "ebsOptimized":
			out.EbsOptimized = bv(r.EbsOptimized)
		case "sriovNetSupport":
			out.SriovNetSupport = sv(r.SriovNetSupport)
		case "enaSupport":
			out.EnaSupport = bv(r.EnaSupport)
		case "enclaveOptions":
			out.EnclaveOptions = &ec2api.EnclaveOptions{Enabled: ptr.To(false)}
		default:
			return errInvalidParameterValue.New("Value (%s) for parameter attribute is invalid. Unknown attribute.", ptr.Deref(in.Attribute))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
