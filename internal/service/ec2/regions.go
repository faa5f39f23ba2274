package ec2

import (
	"fmt"
	"strings"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/filter"
)

// regionInfo is what niwa knows of a region: its short code (for zone
// ids) and its zone letters, as a typical account sees them
// (ap-northeast-1 has no "b" zone for new accounts; us-west-1 has b and c).
type regionInfo struct {
	code    string
	letters string
}

func regionTable() map[string]regionInfo {
	return map[string]regionInfo{
		"us-east-1":      {"use1", "abcdef"},
		"us-east-2":      {"use2", "abc"},
		"us-west-1":      {"usw1", "bc"},
		"us-west-2":      {"usw2", "abcd"},
		"ca-central-1":   {"cac1", "abd"},
		"sa-east-1":      {"sae1", "abc"},
		"eu-west-1":      {"euw1", "abc"},
		"eu-west-2":      {"euw2", "abc"},
		"eu-west-3":      {"euw3", "abc"},
		"eu-central-1":   {"euc1", "abc"},
		"eu-north-1":     {"eun1", "abc"},
		"ap-northeast-1": {"apne1", "acd"},
		"ap-northeast-2": {"apne2", "abcd"},
		"ap-northeast-3": {"apne3", "abc"},
		"ap-southeast-1": {"apse1", "abc"},
		"ap-southeast-2": {"apse2", "abc"},
		"ap-south-1":     {"aps1", "abc"},
	}
}

func region(name string) regionInfo {
	if r, ok := regionTable()[name]; ok {
		return r
	}
	code := strings.ReplaceAll(name, "-", "")
	return regionInfo{code: code, letters: "abc"}
}

// zone is one availability zone.
type zone struct {
	Name, ID string
}

func zones(regionName string) []zone {
	r := region(regionName)
	out := make([]zone, 0, len(r.letters))
	for i, l := range r.letters {
		out = append(out, zone{Name: regionName + string(l), ID: fmt.Sprintf("%s-az%d", r.code, i+1)})
	}
	return out
}

func zoneByName(regionName, name string) (zone, bool) {
	for _, z := range zones(regionName) {
		if z.Name == name || z.ID == name {
			return z, true
		}
	}
	return zone{}, false
}

// internalDomain is the private DNS domain of a region: ec2.internal in
// us-east-1, <region>.compute.internal elsewhere.
func internalDomain(regionName string) string {
	if regionName == "us-east-1" {
		return "ec2.internal"
	}
	return regionName + ".compute.internal"
}

// privateDNS is ip-10-0-1-4.<domain>.
func privateDNS(regionName, ip string) string {
	if ip == "" {
		return ""
	}
	return "ip-" + strings.ReplaceAll(ip, ".", "-") + "." + internalDomain(regionName)
}

// publicDNS is ec2-54-1-2-3.compute-1.amazonaws.com in us-east-1 and
// ec2-54-1-2-3.<region>.compute.amazonaws.com elsewhere.
func publicDNS(regionName, ip string) string {
	if ip == "" {
		return ""
	}
	host := "ec2-" + strings.ReplaceAll(ip, ".", "-")
	if regionName == "us-east-1" {
		return host + ".compute-1.amazonaws.com"
	}
	return host + "." + regionName + ".compute.amazonaws.com"
}

// DescribeRegions lists the regions niwa knows.
func (s *EC2) DescribeRegions(ctx *request.Context, in *ec2api.DescribeRegionsRequest) (*ec2api.DescribeRegionsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	doc := func(name string) filter.Doc {
		return filter.New(nil).Add("region-name", name).Add("endpoint", "ec2."+name+".amazonaws.com").Add("opt-in-status", "opt-in-not-required")
	}
	if err := filter.Validate(in.Filters, doc("")); err != nil {
		return nil, err
	}
	names := sortedRegions()
	if len(in.RegionNames) > 0 {
		for _, n := range in.RegionNames {
			if _, ok := regionTable()[n]; !ok {
				return nil, errInvalidParameterValue.New("Invalid region: %s", n)
			}
		}
		names = in.RegionNames
	}
	out := &ec2api.DescribeRegionsResult{Regions: []ec2api.Region{}}
	for _, n := range names {
		if !filter.Match(in.Filters, doc(n)) {
			continue
		}
		out.Regions = append(out.Regions, ec2api.Region{RegionName: ptr.To(n), Endpoint: ptr.To("ec2." + n + ".amazonaws.com"), OptInStatus: ptr.To("opt-in-not-required")})
	}
	return out, nil
}

func sortedRegions() []string {
	var out []string
	for n := range regionTable() {
		out = append(out, n)
	}
	sortStrings(out)
	return out
}

// DescribeAvailabilityZones lists the zones of the request's region.
func (s *EC2) DescribeAvailabilityZones(ctx *request.Context, in *ec2api.DescribeAvailabilityZonesRequest) (*ec2api.DescribeAvailabilityZonesResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	doc := func(z zone) filter.Doc {
		return filter.New(nil).Add("zone-name", z.Name).Add("zone-id", z.ID).Add("region-name", ctx.Region).
			Add("state", "available").Add("zone-type", "availability-zone").Add("group-name", ctx.Region).
			Add("opt-in-status", "opt-in-not-required").Add("message", "").Add("network-border-group", ctx.Region)
	}
	if err := filter.Validate(in.Filters, doc(zone{})); err != nil {
		return nil, err
	}
	out := &ec2api.DescribeAvailabilityZonesResult{AvailabilityZones: []ec2api.AvailabilityZone{}}
	for _, n := range append(append([]string{}, in.ZoneNames...), in.ZoneIds...) {
		if _, ok := zoneByName(ctx.Region, n); !ok {
			return nil, errInvalidParameterValue.New("The zone '%s' does not exist.", n)
		}
	}
	for _, z := range zones(ctx.Region) {
		if (len(in.ZoneNames) > 0 || len(in.ZoneIds) > 0) && !contains(in.ZoneNames, z.Name) && !contains(in.ZoneIds, z.ID) {
			continue
		}
		if !filter.Match(in.Filters, doc(z)) {
			continue
		}
		out.AvailabilityZones = append(out.AvailabilityZones, ec2api.AvailabilityZone{
			ZoneName: ptr.To(z.Name), ZoneId: ptr.To(z.ID), RegionName: ptr.To(ctx.Region), State: ptr.To("available"),
			OptInStatus: ptr.To("opt-in-not-required"), GroupName: ptr.To(ctx.Region), NetworkBorderGroup: ptr.To(ctx.Region),
			ZoneType: ptr.To("availability-zone"), Messages: []ec2api.AvailabilityZoneMessage{},
		})
	}
	return out, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// instanceTypeInfo is one row of the instance type catalog.
type instanceTypeInfo struct {
	name   string
	vcpus  int32
	memMiB int64
	arch   string
	burst  bool
}

// instanceTypes is a catalog of common current-generation types. Types
// outside it are still accepted by RunInstances when they look like an
// instance type, so new families do not break launches.
func instanceTypes() []instanceTypeInfo {
	var out []instanceTypeInfo
	add := func(family, arch string, burst bool, sizes ...string) {
		for _, sz := range sizes {
			v, m := sizeOf(family, sz)
			out = append(out, instanceTypeInfo{name: family + "." + sz, vcpus: v, memMiB: m, arch: arch, burst: burst})
		}
	}
	add("t2", "x86_64", true, "nano", "micro", "small", "medium", "large", "xlarge", "2xlarge")
	add("t3", "x86_64", true, "nano", "micro", "small", "medium", "large", "xlarge", "2xlarge")
	add("t3a", "x86_64", true, "nano", "micro", "small", "medium", "large", "xlarge", "2xlarge")
	add("t4g", "arm64", true, "nano", "micro", "small", "medium", "large", "xlarge", "2xlarge")
	add("m5", "x86_64", false, "large", "xlarge", "2xlarge", "4xlarge")
	add("m6i", "x86_64", false, "large", "xlarge", "2xlarge", "4xlarge")
	add("m6g", "arm64", false, "medium", "large", "xlarge", "2xlarge")
	add("c5", "x86_64", false, "large", "xlarge", "2xlarge", "4xlarge")
	add("c6g", "arm64", false, "medium", "large", "xlarge", "2xlarge")
	add("r5", "x86_64", false, "large", "xlarge", "2xlarge", "4xlarge")
	return out
}

func sizeOf(family, size string) (int32, int64) {
	base := map[string]int32{"nano": 2, "micro": 2, "small": 2, "medium": 2, "large": 2, "xlarge": 4, "2xlarge": 8, "4xlarge": 16}[size]
	mem := map[string]int64{"nano": 512, "micro": 1024, "small": 2048, "medium": 4096, "large": 8192, "xlarge": 16384, "2xlarge": 32768, "4xlarge": 65536}[size]
	switch {
	case strings.HasPrefix(family, "c"):
		mem /= 2
	case strings.HasPrefix(family, "r"):
		mem *= 2
	case strings.HasPrefix(family, "m") && size == "medium":
		base = 1
	}
	if family == "t2" && (size == "nano" || size == "micro" || size == "small") {
		base = 1
	}
	return base, mem
}

func instanceTypeKnown(name string) bool {
	for _, t := range instanceTypes() {
		if t.name == name {
			return true
		}
	}
	return false
}

var instanceTypeShape = lazyre.New(`^[a-z][a-z0-9-]*\.(nano|micro|small|medium|large|metal|[0-9]*xlarge|metal-[0-9]+xl)$`)

func instanceTypeShaped(name string) bool { return instanceTypeShape.MatchString(name) }

// DescribeInstanceTypes answers from the catalog.
func (s *EC2) DescribeInstanceTypes(ctx *request.Context, in *ec2api.DescribeInstanceTypesRequest) (*ec2api.DescribeInstanceTypesResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	doc := func(t instanceTypeInfo) filter.Doc {
		return filter.New(nil).Add("instance-type", t.name).Add("vcpu-info.default-vcpus", fmt.Sprint(t.vcpus)).
			Add("memory-info.size-in-mib", fmt.Sprint(t.memMiB)).Add("processor-info.supported-architecture", t.arch).
			Add("burstable-performance-supported", boolStr(t.burst)).Add("current-generation", "true").
			Add("free-tier-eligible", boolStr(t.name == "t2.micro" || t.name == "t3.micro")).Add("hypervisor", "nitro")
	}
	if err := filter.Validate(in.Filters, doc(instanceTypeInfo{})); err != nil {
		return nil, err
	}
	for _, n := range in.InstanceTypes {
		if !instanceTypeKnown(n) {
			return nil, errInvalidInstanceType.New("The following supplied instance types do not exist: [%s]", n)
		}
	}
	out := &ec2api.DescribeInstanceTypesResult{InstanceTypes: []ec2api.InstanceTypeInfo{}}
	for _, t := range instanceTypes() {
		if len(in.InstanceTypes) > 0 && !contains(in.InstanceTypes, t.name) {
			continue
		}
		if !filter.Match(in.Filters, doc(t)) {
			continue
		}
		out.InstanceTypes = append(out.InstanceTypes, ec2api.InstanceTypeInfo{
			InstanceType:                  ptr.To(t.name),
			CurrentGeneration:             ptr.To(true),
			FreeTierEligible:              ptr.To(t.name == "t2.micro" || t.name == "t3.micro"),
			BurstablePerformanceSupported: ptr.To(t.burst),
			Hypervisor:                    ptr.To("nitro"),
			SupportedUsageClasses:         []string{"on-demand", "spot"},
			SupportedRootDeviceTypes:      []string{"ebs"},
			SupportedVirtualizationTypes:  []string{"hvm"},
			ProcessorInfo:                 &ec2api.ProcessorInfo{SupportedArchitectures: []string{t.arch}},
			VCpuInfo:                      &ec2api.VCpuInfo{DefaultVCpus: ptr.To(t.vcpus)},
			MemoryInfo:                    &ec2api.MemoryInfo{SizeInMiB: ptr.To(t.memMiB)},
			NetworkInfo:                   networkInfo(t.name),
		})
	}
	return out, nil
}
