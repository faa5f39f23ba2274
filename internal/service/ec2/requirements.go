package ec2

import (
	"strings"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cpuMaker is the CPU manufacturer of a catalog type: Graviton (arm64)
// families are AWS's, families with an "a" after the generation are
// AMD's, the rest Intel's.
func cpuMaker(t instanceTypeInfo) string {
	family, _, _ := strings.Cut(t.name, ".")
	switch {
	case t.arch == "arm64":
		return "amazon-web-services"
	case strings.HasSuffix(family, "a"):
		return "amd"
	}
	return "intel"
}

// inclusion applies an included/required/excluded choice to a property.
func inclusion(choice string, has bool) bool {
	switch choice {
	case "required":
		return has
	case "excluded":
		return !has
	}
	return true
}

func intRange(min, max *int32, v int64) bool {
	return (min == nil || v >= int64(*min)) && (max == nil || v <= int64(*max))
}

// checkRequirements validates attribute-based instance type selection as
// EC2 does: minimums required, ranges ordered, allowed and excluded types
// not both.
func checkRequirements(r *ec2api.InstanceRequirementsRequest) error {
	if r == nil || r.VCpuCount == nil || r.MemoryMiB == nil {
		return errMissingParameter.New("The request must contain the parameters InstanceRequirements.VCpuCount and InstanceRequirements.MemoryMiB")
	}
	ranges := []struct {
		name     string
		min, max *int32
	}{{"VCpuCount", r.VCpuCount.Min, r.VCpuCount.Max}, {"MemoryMiB", r.MemoryMiB.Min, r.MemoryMiB.Max}}
	if n := r.NetworkInterfaceCount; n != nil {
		ranges = append(ranges, struct {
			name     string
			min, max *int32
		}{"NetworkInterfaceCount", n.Min, n.Max})
	}
	if a := r.AcceleratorCount; a != nil {
		ranges = append(ranges, struct {
			name     string
			min, max *int32
		}{"AcceleratorCount", a.Min, a.Max})
	}
	for _, x := range ranges {
		if (x.min != nil && *x.min < 0) || (x.max != nil && *x.max < 0) {
			return errInvalidParameterValue.New("The value of %s must not be negative.", x.name)
		}
		if x.min != nil && x.max != nil && *x.max < *x.min {
			return errInvalidParameterValue.New("The maximum of %s (%d) is less than its minimum (%d).", x.name, *x.max, *x.min)
		}
	}
	if m := r.MemoryGiBPerVCpu; m != nil && m.Min != nil && m.Max != nil && *m.Max < *m.Min {
		return errInvalidParameterValue.New("The maximum of MemoryGiBPerVCpu is less than its minimum.")
	}
	if len(r.AllowedInstanceTypes) > 0 && len(r.ExcludedInstanceTypes) > 0 {
		return errInvalidParameterCombo.New("You can specify either AllowedInstanceTypes or ExcludedInstanceTypes, but not both.")
	}
	return nil
}

// meets reports whether a catalog type has the attributes asked for.
// Price limits do not narrow the choice (niwa has no prices), nor do
// bandwidth ones (its catalog has no bandwidth figures); the catalog's
// types have no accelerators, no local storage and no bare-metal sizes,
// and are all current generation and hibernation capable.
func meets(t instanceTypeInfo, archs, virts []string, r *ec2api.InstanceRequirementsRequest) bool {
	if !contains(archs, t.arch) || !contains(virts, "hvm") {
		return false
	}
	if !intRange(r.VCpuCount.Min, r.VCpuCount.Max, int64(t.vcpus)) || !intRange(r.MemoryMiB.Min, r.MemoryMiB.Max, t.memMiB) {
		return false
	}
	if m := r.MemoryGiBPerVCpu; m != nil {
		per := float64(t.memMiB) / 1024 / float64(t.vcpus)
		if (m.Min != nil && per < *m.Min) || (m.Max != nil && per > *m.Max) {
			return false
		}
	}
	if len(r.CpuManufacturers) > 0 && !contains(r.CpuManufacturers, cpuMaker(t)) {
		return false
	}
	if len(r.InstanceGenerations) > 0 && !contains(r.InstanceGenerations, "current") {
		return false
	}
	// EC2's defaults: burstable and bare-metal types excluded, local
	// storage included.
	if !inclusion(orDefault(ptr.Deref(r.BurstablePerformance), "excluded"), t.burst) ||
		!inclusion(orDefault(ptr.Deref(r.BareMetal), "excluded"), false) ||
		!inclusion(orDefault(ptr.Deref(r.LocalStorage), "included"), false) {
		return false
	}
	if s := r.TotalLocalStorageGB; s != nil && s.Min != nil && *s.Min > 0 {
		return false
	}
	if a := r.AcceleratorCount; a != nil && !intRange(a.Min, a.Max, 0) {
		return false
	}
	if n := r.NetworkInterfaceCount; n != nil {
		l, _ := limitsOf(t.name)
		if !intRange(n.Min, n.Max, int64(l.interfaces)) {
			return false
		}
	}
	for _, x := range r.ExcludedInstanceTypes {
		if iam.Glob(x, t.name) {
			return false
		}
	}
	if len(r.AllowedInstanceTypes) > 0 {
		ok := false
		for _, x := range r.AllowedInstanceTypes {
			ok = ok || iam.Glob(x, t.name)
		}
		return ok
	}
	return true
}

// GetInstanceTypesFromInstanceRequirements answers the catalog's types
// that have the attributes asked for.
func (s *EC2) GetInstanceTypesFromInstanceRequirements(ctx *request.Context, in *ec2api.GetInstanceTypesFromInstanceRequirementsRequest) (*ec2api.GetInstanceTypesFromInstanceRequirementsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if err := checkRequirements(in.InstanceRequirements); err != nil {
		return nil, err
	}
	if m := in.MaxResults; m != nil && (*m < 1 || *m > 1000) {
		return nil, errInvalidParameterValue.New("Value ( %d ) for parameter maxResults is invalid. Expecting a value between 1 and 1000.", *m)
	}
	var types []ec2api.InstanceTypeInfoFromInstanceRequirements
	for _, t := range instanceTypes() {
		if meets(t, in.ArchitectureTypes, in.VirtualizationTypes, in.InstanceRequirements) {
			types = append(types, ec2api.InstanceTypeInfoFromInstanceRequirements{InstanceType: ptr.To(t.name)})
		}
	}
	items, next, err := pageOf(types, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &ec2api.GetInstanceTypesFromInstanceRequirementsResult{InstanceTypes: append([]ec2api.InstanceTypeInfoFromInstanceRequirements{}, items...), NextToken: next}, nil
}
