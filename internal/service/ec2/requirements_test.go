package ec2

import (
	"sort"
	"strings"
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestInstanceTypesFromRequirements(t *testing.T) {
	f := newFixture(t, "us-east-1")
	i32 := func(v int32) *int32 { return &v }
	base := func(mod func(r *ec2api.InstanceRequirementsRequest)) *ec2api.InstanceRequirementsRequest {
		r := &ec2api.InstanceRequirementsRequest{VCpuCount: &ec2api.VCpuCountRangeRequest{Min: i32(2), Max: i32(2)}, MemoryMiB: &ec2api.MemoryMiBRequest{Min: i32(8192)}}
		if mod != nil {
			mod(r)
		}
		return r
	}
	cases := []struct {
		name  string
		archs []string
		req   *ec2api.InstanceRequirementsRequest
		want  string
	}{
		{"2 vCPU 8 GiB x86, burstable excluded by default", []string{"x86_64"}, base(nil), "m5.large,m6i.large,r5.large"},
		{"burstable included", []string{"x86_64"}, base(func(r *ec2api.InstanceRequirementsRequest) { r.BurstablePerformance = ptr.To("included") }),
			"m5.large,m6i.large,r5.large,t2.large,t3.large,t3a.large"},
		{"burstable required, AMD", []string{"x86_64"}, base(func(r *ec2api.InstanceRequirementsRequest) {
			r.BurstablePerformance, r.CpuManufacturers = ptr.To("required"), []string{"amd"}
		}), "t3a.large"},
		{"arm64", []string{"arm64"}, base(func(r *ec2api.InstanceRequirementsRequest) { r.VCpuCount.Max = i32(4) }), "c6g.xlarge,m6g.large,m6g.xlarge"},
		{"excluded by wildcard", []string{"x86_64"}, base(func(r *ec2api.InstanceRequirementsRequest) { r.ExcludedInstanceTypes = []string{"m*"} }), "r5.large"},
		{"allowed by wildcard", []string{"x86_64"}, base(func(r *ec2api.InstanceRequirementsRequest) { r.AllowedInstanceTypes = []string{"m6i.*"} }), "m6i.large"},
		{"memory per vCPU", []string{"x86_64"}, base(func(r *ec2api.InstanceRequirementsRequest) {
			r.MemoryGiBPerVCpu = &ec2api.MemoryGiBPerVCpuRequest{Min: ptr.To(8.0)}
		}), "r5.large"},
		{"accelerators required", []string{"x86_64"}, base(func(r *ec2api.InstanceRequirementsRequest) {
			r.AcceleratorCount = &ec2api.AcceleratorCountRequest{Min: i32(1)}
		}), ""},
		{"paravirtual only", nil, base(nil), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			virts := []string{"hvm"}
			if c.archs == nil {
				c.archs, virts = []string{"x86_64"}, []string{"paravirtual"}
			}
			out := must(f.GetInstanceTypesFromInstanceRequirements(f.ctx, &ec2api.GetInstanceTypesFromInstanceRequirementsRequest{ArchitectureTypes: c.archs, VirtualizationTypes: virts, InstanceRequirements: c.req}))
			var got []string
			for _, it := range out.InstanceTypes {
				got = append(got, ptr.Deref(it.InstanceType))
			}
			sort.Strings(got)
			if strings.Join(got, ",") != c.want {
				t.Errorf("got %v, want %s", got, c.want)
			}
		})
	}
	// Paging.
	in := &ec2api.GetInstanceTypesFromInstanceRequirementsRequest{ArchitectureTypes: []string{"x86_64", "arm64"}, VirtualizationTypes: []string{"hvm"}, MaxResults: i32(3),
		InstanceRequirements: &ec2api.InstanceRequirementsRequest{VCpuCount: &ec2api.VCpuCountRangeRequest{Min: i32(0)}, MemoryMiB: &ec2api.MemoryMiBRequest{Min: i32(0)}, BurstablePerformance: ptr.To("included")}}
	total := 0
	for page := 0; ; page++ {
		out := must(f.GetInstanceTypesFromInstanceRequirements(f.ctx, in))
		total += len(out.InstanceTypes)
		if out.NextToken == nil {
			break
		}
		in.NextToken = out.NextToken
		if page > 100 {
			t.Fatal("paging does not end")
		}
	}
	if total != len(instanceTypes()) {
		t.Errorf("paged %d types, catalog has %d", total, len(instanceTypes()))
	}

	errs := []struct {
		name string
		req  *ec2api.InstanceRequirementsRequest
		code string
	}{
		{"no memory", &ec2api.InstanceRequirementsRequest{VCpuCount: &ec2api.VCpuCountRangeRequest{Min: i32(1)}}, "MissingParameter"},
		{"max below min", base(func(r *ec2api.InstanceRequirementsRequest) { r.VCpuCount.Max = i32(1) }), "InvalidParameterValue"},
		{"allowed and excluded", base(func(r *ec2api.InstanceRequirementsRequest) {
			r.AllowedInstanceTypes, r.ExcludedInstanceTypes = []string{"m5.*"}, []string{"c5.*"}
		}), "InvalidParameterCombination"},
	}
	for _, c := range errs {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.GetInstanceTypesFromInstanceRequirements(f.ctx, &ec2api.GetInstanceTypesFromInstanceRequirementsRequest{ArchitectureTypes: []string{"x86_64"}, VirtualizationTypes: []string{"hvm"}, InstanceRequirements: c.req})
			wantErr(t, err, c.code, "")
		})
	}
}
