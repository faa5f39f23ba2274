package ec2

import (
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestInstanceOptions(t *testing.T) {
	f := newFixture(t, "ap-northeast-1")
	ami := amazonLinux("ap-northeast-1")
	launch := func(in ec2api.RunInstancesRequest) string {
		in.ImageId, in.MinCount, in.MaxCount = ptr.To(ami), ptr.To(int32(1)), ptr.To(int32(1))
		return ptr.Deref(must(f.RunInstances(f.ctx, &in)).Instances[0].InstanceId)
	}
	describe := func(id string) ec2api.Instance {
		return must(f.DescribeInstances(f.ctx, &ec2api.DescribeInstancesRequest{InstanceIds: []string{id}})).Reservations[0].Instances[0]
	}

	// Metadata options: set at launch, modified, filtered.
	i1 := launch(ec2api.RunInstancesRequest{InstanceType: ptr.To("t3.micro"), MetadataOptions: &ec2api.InstanceMetadataOptionsRequest{HttpTokens: ptr.To("required"), HttpPutResponseHopLimit: ptr.To(int32(2))}})
	if m := describe(i1).MetadataOptions; ptr.Deref(m.HttpTokens) != "required" || ptr.Deref(m.HttpPutResponseHopLimit) != 2 || ptr.Deref(m.HttpEndpoint) != "enabled" {
		t.Errorf("launch metadata options = %+v", m)
	}
	mod := must(f.ModifyInstanceMetadataOptions(f.ctx, &ec2api.ModifyInstanceMetadataOptionsRequest{InstanceId: ptr.To(i1), HttpTokens: ptr.To("optional"), InstanceMetadataTags: ptr.To("enabled")}))
	if ptr.Deref(mod.InstanceMetadataOptions.State) != "pending" || ptr.Deref(mod.InstanceMetadataOptions.HttpPutResponseHopLimit) != 2 {
		t.Errorf("modify answer = %+v", mod.InstanceMetadataOptions)
	}
	if m := describe(i1).MetadataOptions; ptr.Deref(m.HttpTokens) != "optional" || ptr.Deref(m.InstanceMetadataTags) != "enabled" || ptr.Deref(m.State) != "applied" {
		t.Errorf("after modify = %+v", m)
	}
	flt := must(f.DescribeInstances(f.ctx, &ec2api.DescribeInstancesRequest{Filters: []ec2api.Filter{{Name: ptr.To("metadata-options.instance-metadata-tags"), Values: []string{"enabled"}}}}))
	if len(flt.Reservations) != 1 {
		t.Errorf("metadata filter: %d reservations", len(flt.Reservations))
	}

	// Credit specifications: burstable instances only, family defaults.
	i2 := launch(ec2api.RunInstancesRequest{InstanceType: ptr.To("t2.micro"), CreditSpecification: &ec2api.CreditSpecificationRequest{CpuCredits: ptr.To("unlimited")}})
	i3 := launch(ec2api.RunInstancesRequest{InstanceType: ptr.To("m5.large")})
	cs := must(f.DescribeInstanceCreditSpecifications(f.ctx, &ec2api.DescribeInstanceCreditSpecificationsRequest{InstanceIds: []string{i1, i2, i3}}))
	got := map[string]string{}
	for _, c := range cs.InstanceCreditSpecifications {
		got[ptr.Deref(c.InstanceId)] = ptr.Deref(c.CpuCredits)
	}
	if len(got) != 2 || got[i1] != "unlimited" || got[i2] != "unlimited" {
		t.Errorf("credit specifications = %v", got)
	}
	mc := must(f.ModifyInstanceCreditSpecification(f.ctx, &ec2api.ModifyInstanceCreditSpecificationRequest{InstanceCreditSpecifications: []ec2api.InstanceCreditSpecificationRequest{
		{InstanceId: ptr.To(i1), CpuCredits: ptr.To("standard")}, {InstanceId: ptr.To(i3), CpuCredits: ptr.To("standard")}}}))
	if len(mc.SuccessfulInstanceCreditSpecifications) != 1 || len(mc.UnsuccessfulInstanceCreditSpecifications) != 1 {
		t.Errorf("modify credits = %+v", mc)
	}
	if c := must(f.DescribeInstanceCreditSpecifications(f.ctx, &ec2api.DescribeInstanceCreditSpecificationsRequest{InstanceIds: []string{i1}})).InstanceCreditSpecifications; ptr.Deref(c[0].CpuCredits) != "standard" {
		t.Errorf("after modify: %+v", c)
	}

	// IAM instance profile associations.
	a := must(f.AssociateIamInstanceProfile(f.ctx, &ec2api.AssociateIamInstanceProfileRequest{InstanceId: ptr.To(i1), IamInstanceProfile: &ec2api.IamInstanceProfileSpecification{Name: ptr.To("web")}})).IamInstanceProfileAssociation
	if ptr.Deref(a.IamInstanceProfile.Arn) != "arn:aws:iam::"+testAccount+":instance-profile/web" || ptr.Deref(a.State) != "associating" {
		t.Errorf("associate = %+v", a)
	}
	if p := describe(i1).IamInstanceProfile; p == nil || ptr.Deref(p.Arn) != ptr.Deref(a.IamInstanceProfile.Arn) {
		t.Errorf("instance profile not shown: %+v", p)
	}
	_, err := f.AssociateIamInstanceProfile(f.ctx, &ec2api.AssociateIamInstanceProfileRequest{InstanceId: ptr.To(i1), IamInstanceProfile: &ec2api.IamInstanceProfileSpecification{Name: ptr.To("x")}})
	wantErr(t, err, "IncorrectState", "There is an existing association for instance "+i1)
	i4 := launch(ec2api.RunInstancesRequest{IamInstanceProfile: &ec2api.IamInstanceProfileSpecification{Name: ptr.To("launched")}})
	list := must(f.DescribeIamInstanceProfileAssociations(f.ctx, &ec2api.DescribeIamInstanceProfileAssociationsRequest{}))
	if len(list.IamInstanceProfileAssociations) != 2 {
		t.Fatalf("associations = %+v", list.IamInstanceProfileAssociations)
	}
	byInst := must(f.DescribeIamInstanceProfileAssociations(f.ctx, &ec2api.DescribeIamInstanceProfileAssociationsRequest{Filters: []ec2api.Filter{{Name: ptr.To("instance-id"), Values: []string{i4}}}}))
	if len(byInst.IamInstanceProfileAssociations) != 1 || ptr.Deref(byInst.IamInstanceProfileAssociations[0].State) != "associated" {
		t.Fatalf("by instance = %+v", byInst.IamInstanceProfileAssociations)
	}
	rep := must(f.ReplaceIamInstanceProfileAssociation(f.ctx, &ec2api.ReplaceIamInstanceProfileAssociationRequest{AssociationId: a.AssociationId,
		IamInstanceProfile: &ec2api.IamInstanceProfileSpecification{Arn: ptr.To("arn:aws:iam::" + testAccount + ":instance-profile/other")}})).IamInstanceProfileAssociation
	if ptr.Deref(rep.AssociationId) == ptr.Deref(a.AssociationId) || ptr.Deref(rep.IamInstanceProfile.Arn) != "arn:aws:iam::"+testAccount+":instance-profile/other" {
		t.Errorf("replace = %+v", rep)
	}
	must(f.DisassociateIamInstanceProfile(f.ctx, &ec2api.DisassociateIamInstanceProfileRequest{AssociationId: rep.AssociationId}))
	if p := describe(i1).IamInstanceProfile; p != nil {
		t.Errorf("profile after disassociate: %+v", p)
	}
	_, err = f.DisassociateIamInstanceProfile(f.ctx, &ec2api.DisassociateIamInstanceProfileRequest{AssociationId: rep.AssociationId})
	wantErr(t, err, "InvalidAssociationID.NotFound", "An association with ID "+ptr.Deref(rep.AssociationId)+" does not exist.")

	// Instance type offerings.
	off := must(f.DescribeInstanceTypeOfferings(f.ctx, &ec2api.DescribeInstanceTypeOfferingsRequest{LocationType: ptr.To("availability-zone"),
		Filters: []ec2api.Filter{{Name: ptr.To("instance-type"), Values: []string{"t3.micro"}}}}))
	if len(off.InstanceTypeOfferings) != len(zones("ap-northeast-1")) || ptr.Deref(off.InstanceTypeOfferings[0].Location) != "ap-northeast-1a" {
		t.Errorf("offerings = %+v", off.InstanceTypeOfferings)
	}

	errs := []struct {
		name      string
		call      func() error
		code, msg string
	}{
		{"hop limit", func() error {
			_, err := f.ModifyInstanceMetadataOptions(f.ctx, &ec2api.ModifyInstanceMetadataOptionsRequest{InstanceId: ptr.To(i1), HttpPutResponseHopLimit: ptr.To(int32(65))})
			return err
		}, "InvalidParameterValue", "Value (65) for parameter HttpPutResponseHopLimit is invalid. Valid values are between 1 and 64."},
		{"tokens", func() error {
			_, err := f.ModifyInstanceMetadataOptions(f.ctx, &ec2api.ModifyInstanceMetadataOptionsRequest{InstanceId: ptr.To(i1), HttpTokens: ptr.To("maybe")})
			return err
		}, "InvalidParameterValue", ""},
		{"unknown instance", func() error {
			_, err := f.ModifyInstanceMetadataOptions(f.ctx, &ec2api.ModifyInstanceMetadataOptionsRequest{InstanceId: ptr.To("i-0123456789abcdef0"), HttpTokens: ptr.To("required")})
			return err
		}, "InvalidInstanceID.NotFound", ""},
		{"location type", func() error {
			_, err := f.DescribeInstanceTypeOfferings(f.ctx, &ec2api.DescribeInstanceTypeOfferingsRequest{LocationType: ptr.To("planet")})
			return err
		}, "InvalidParameterValue", ""},
	}
	for _, c := range errs {
		t.Run(c.name, func(t *testing.T) { wantErr(t, c.call(), c.code, c.msg) })
	}
}

func TestInstanceMaintenanceOptions(t *testing.T) {
	f := newFixture(t, "us-east-1")
	id := must(f.RunInstances(f.ctx, &ec2api.RunInstancesRequest{ImageId: ptr.To(amazonLinux("us-east-1")), MinCount: ptr.To(int32(1)), MaxCount: ptr.To(int32(1))})).Instances[0].InstanceId
	auto := func() string {
		return ptr.Deref(must(f.DescribeInstances(f.ctx, &ec2api.DescribeInstancesRequest{InstanceIds: []string{*id}})).Reservations[0].Instances[0].MaintenanceOptions.AutoRecovery)
	}
	if auto() != "default" {
		t.Fatalf("launched with %s", auto())
	}
	out := must(f.ModifyInstanceMaintenanceOptions(f.ctx, &ec2api.ModifyInstanceMaintenanceOptionsRequest{InstanceId: id, AutoRecovery: ptr.To("disabled")}))
	if ptr.Deref(out.AutoRecovery) != "disabled" || auto() != "disabled" {
		t.Fatalf("after modify: %+v, described %s", out, auto())
	}
	_, err := f.ModifyInstanceMaintenanceOptions(f.ctx, &ec2api.ModifyInstanceMaintenanceOptionsRequest{InstanceId: ptr.To("i-0123456789abcdef0"), AutoRecovery: ptr.To("default")})
	wantErr(t, err, "InvalidInstanceID.NotFound", "")
}
