package ec2

import (
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestInstanceMetadataDefaults(t *testing.T) {
	f := newFixture(t, "eu-west-1")
	launch := func(m *ec2api.InstanceMetadataOptionsRequest) *ec2api.InstanceMetadataOptionsResponse {
		id := must(f.RunInstances(f.ctx, &ec2api.RunInstancesRequest{ImageId: ptr.To(amazonLinux("eu-west-1")), MinCount: ptr.To(int32(1)), MaxCount: ptr.To(int32(1)),
			MetadataOptions: m})).Instances[0].InstanceId
		return must(f.DescribeInstances(f.ctx, &ec2api.DescribeInstancesRequest{InstanceIds: []string{*id}})).Reservations[0].Instances[0].MetadataOptions
	}
	get := func() *ec2api.InstanceMetadataDefaultsResponse {
		return must(f.GetInstanceMetadataDefaults(f.ctx, &ec2api.GetInstanceMetadataDefaultsRequest{})).AccountLevel
	}
	if d := get(); d.HttpTokens != nil || d.HttpPutResponseHopLimit != nil || d.HttpEndpoint != nil || d.InstanceMetadataTags != nil {
		t.Fatalf("fresh account defaults %+v", d)
	}
	if m := launch(nil); ptr.Deref(m.HttpTokens) != "optional" || ptr.Deref(m.HttpPutResponseHopLimit) != 1 {
		t.Fatalf("EC2 defaults %+v", m)
	}
	must(f.ModifyInstanceMetadataDefaults(f.ctx, &ec2api.ModifyInstanceMetadataDefaultsRequest{HttpTokens: ptr.To("required"), HttpPutResponseHopLimit: ptr.To(int32(2)), InstanceMetadataTags: ptr.To("enabled")}))
	if d := get(); ptr.Deref(d.HttpTokens) != "required" || ptr.Deref(d.HttpPutResponseHopLimit) != 2 || ptr.Deref(d.InstanceMetadataTags) != "enabled" || d.HttpEndpoint != nil {
		t.Fatalf("defaults after modify %+v", d)
	}
	if m := launch(nil); ptr.Deref(m.HttpTokens) != "required" || ptr.Deref(m.HttpPutResponseHopLimit) != 2 || ptr.Deref(m.InstanceMetadataTags) != "enabled" || ptr.Deref(m.HttpEndpoint) != "enabled" {
		t.Fatalf("launched with account defaults %+v", m)
	}
	// What the request sets wins, field by field.
	if m := launch(&ec2api.InstanceMetadataOptionsRequest{HttpTokens: ptr.To("optional")}); ptr.Deref(m.HttpTokens) != "optional" || ptr.Deref(m.HttpPutResponseHopLimit) != 2 {
		t.Fatalf("request over defaults %+v", m)
	}
	must(f.ModifyInstanceMetadataDefaults(f.ctx, &ec2api.ModifyInstanceMetadataDefaultsRequest{HttpTokens: ptr.To("no-preference"), HttpPutResponseHopLimit: ptr.To(int32(-1))}))
	if d := get(); d.HttpTokens != nil || d.HttpPutResponseHopLimit != nil || ptr.Deref(d.InstanceMetadataTags) != "enabled" {
		t.Fatalf("defaults after no-preference %+v", d)
	}
	if m := launch(nil); ptr.Deref(m.HttpTokens) != "optional" || ptr.Deref(m.HttpPutResponseHopLimit) != 1 {
		t.Fatalf("launch after clearing %+v", m)
	}

	errs := []struct {
		name string
		in   ec2api.ModifyInstanceMetadataDefaultsRequest
		code string
	}{
		{"nothing to change", ec2api.ModifyInstanceMetadataDefaultsRequest{}, "MissingParameter"},
		{"hop limit 0", ec2api.ModifyInstanceMetadataDefaultsRequest{HttpPutResponseHopLimit: ptr.To(int32(0))}, "InvalidParameterValue"},
		{"hop limit 65", ec2api.ModifyInstanceMetadataDefaultsRequest{HttpPutResponseHopLimit: ptr.To(int32(65))}, "InvalidParameterValue"},
		{"dry run", ec2api.ModifyInstanceMetadataDefaultsRequest{HttpTokens: ptr.To("required"), DryRun: ptr.To(true)}, "DryRunOperation"},
	}
	for _, c := range errs {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.ModifyInstanceMetadataDefaults(f.ctx, &c.in)
			wantErr(t, err, c.code, "")
		})
	}
	if d := get(); d.HttpTokens != nil {
		t.Errorf("a refused modify changed the defaults: %+v", d)
	}
}

func TestDefaultCreditSpecification(t *testing.T) {
	f := newFixture(t, "eu-west-1")
	get := func(family string) string {
		return ptr.Deref(must(f.GetDefaultCreditSpecification(f.ctx, &ec2api.GetDefaultCreditSpecificationRequest{InstanceFamily: ptr.To(family)})).InstanceFamilyCreditSpecification.CpuCredits)
	}
	if get("t2") != "standard" || get("t3") != "unlimited" {
		t.Fatalf("AWS's defaults: t2 %s, t3 %s", get("t2"), get("t3"))
	}
	launch := func(typ string) string {
		return ptr.Deref(must(f.RunInstances(f.ctx, &ec2api.RunInstancesRequest{ImageId: ptr.To(amazonLinux("eu-west-1")), MinCount: ptr.To(int32(1)), MaxCount: ptr.To(int32(1)),
			InstanceType: ptr.To(typ)})).Instances[0].InstanceId)
	}
	before := launch("t3.micro")
	out := must(f.ModifyDefaultCreditSpecification(f.ctx, &ec2api.ModifyDefaultCreditSpecificationRequest{InstanceFamily: ptr.To("t3"), CpuCredits: ptr.To("standard")}))
	if ptr.Deref(out.InstanceFamilyCreditSpecification.CpuCredits) != "standard" || get("t3") != "standard" || get("t3a") != "unlimited" {
		t.Fatalf("after modify: %+v, t3 %s", out.InstanceFamilyCreditSpecification, get("t3"))
	}
	after := launch("t3.micro")
	specs := map[string]string{}
	for _, c := range must(f.DescribeInstanceCreditSpecifications(f.ctx, &ec2api.DescribeInstanceCreditSpecificationsRequest{InstanceIds: []string{before, after}})).InstanceCreditSpecifications {
		specs[*c.InstanceId] = *c.CpuCredits
	}
	if specs[before] != "unlimited" || specs[after] != "standard" {
		t.Fatalf("credit options %v (launched before %s, after %s)", specs, before, after)
	}
	_, err := f.ModifyDefaultCreditSpecification(f.ctx, &ec2api.ModifyDefaultCreditSpecificationRequest{InstanceFamily: ptr.To("t3"), CpuCredits: ptr.To("burst")})
	wantErr(t, err, "InvalidParameterValue", "")
}
