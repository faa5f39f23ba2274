package ec2

import (
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestLaunchTemplates(t *testing.T) {
	f := newFixture(t, "ap-northeast-1")
	ami := amazonLinux("ap-northeast-1")
	must(f.CreateKeyPair(f.ctx, &ec2api.CreateKeyPairRequest{KeyName: ptr.To("k")}))
	lt := must(f.CreateLaunchTemplate(f.ctx, &ec2api.CreateLaunchTemplateRequest{LaunchTemplateName: ptr.To("web"), VersionDescription: ptr.To("v1"),
		LaunchTemplateData: &ec2api.RequestLaunchTemplateData{ImageId: ptr.To(ami), InstanceType: ptr.To("t3.micro"), KeyName: ptr.To("k"),
			TagSpecifications: []ec2api.LaunchTemplateTagSpecificationRequest{{ResourceType: ptr.To("instance"), Tags: []ec2api.Tag{{Key: ptr.To("Name"), Value: ptr.To("from-lt")}}}}}})).LaunchTemplate
	id := ptr.Deref(lt.LaunchTemplateId)
	if ptr.Deref(lt.DefaultVersionNumber) != 1 || ptr.Deref(lt.LatestVersionNumber) != 1 {
		t.Fatalf("created %+v", lt)
	}
	v2 := must(f.CreateLaunchTemplateVersion(f.ctx, &ec2api.CreateLaunchTemplateVersionRequest{LaunchTemplateId: ptr.To(id), SourceVersion: ptr.To("1"),
		LaunchTemplateData: &ec2api.RequestLaunchTemplateData{InstanceType: ptr.To("t3.small")}})).LaunchTemplateVersion
	if ptr.Deref(v2.VersionNumber) != 2 || ptr.Deref(v2.LaunchTemplateData.ImageId) != ami || ptr.Deref(v2.LaunchTemplateData.InstanceType) != "t3.small" {
		t.Fatalf("version 2 (from source 1) = %+v", v2.LaunchTemplateData)
	}

	versions := func(vs ...string) []int64 {
		out := must(f.DescribeLaunchTemplateVersions(f.ctx, &ec2api.DescribeLaunchTemplateVersionsRequest{LaunchTemplateName: ptr.To("web"), Versions: vs}))
		var ns []int64
		for _, v := range out.LaunchTemplateVersions {
			ns = append(ns, ptr.Deref(v.VersionNumber))
		}
		return ns
	}
	if got := versions(); len(got) != 2 || got[0] != 2 {
		t.Errorf("all versions = %v (newest first)", got)
	}
	if got := versions("$Latest"); len(got) != 1 || got[0] != 2 {
		t.Errorf("$Latest = %v", got)
	}
	if got := versions("$Default"); len(got) != 1 || got[0] != 1 {
		t.Errorf("$Default = %v", got)
	}

	// RunInstances with $Default: the template's values, the request's win.
	run := func(version string, itype *string) ec2api.Instance {
		r := must(f.RunInstances(f.ctx, &ec2api.RunInstancesRequest{MinCount: ptr.To(int32(1)), MaxCount: ptr.To(int32(1)), InstanceType: itype,
			LaunchTemplate: &ec2api.LaunchTemplateSpecification{LaunchTemplateName: ptr.To("web"), Version: ptr.To(version)}}))
		return r.Instances[0]
	}
	i1 := run("$Default", nil)
	if ptr.Deref(i1.InstanceType) != "t3.micro" || ptr.Deref(i1.ImageId) != ami || ptr.Deref(i1.KeyName) != "k" {
		t.Errorf("launched from $Default: type %s image %s key %s", ptr.Deref(i1.InstanceType), ptr.Deref(i1.ImageId), ptr.Deref(i1.KeyName))
	}
	if len(i1.Tags) != 1 || ptr.Deref(i1.Tags[0].Value) != "from-lt" {
		t.Errorf("template tags not applied: %+v", i1.Tags)
	}
	if i := run("$Latest", nil); ptr.Deref(i.InstanceType) != "t3.small" {
		t.Errorf("$Latest type = %s", ptr.Deref(i.InstanceType))
	}
	if i := run("$Latest", ptr.To("t3.large")); ptr.Deref(i.InstanceType) != "t3.large" {
		t.Errorf("request did not win: %s", ptr.Deref(i.InstanceType))
	}

	must(f.ModifyLaunchTemplate(f.ctx, &ec2api.ModifyLaunchTemplateRequest{LaunchTemplateId: ptr.To(id), DefaultVersion: ptr.To("2")}))
	if got := versions("$Default"); len(got) != 1 || got[0] != 2 {
		t.Errorf("$Default after modify = %v", got)
	}
	del := must(f.DeleteLaunchTemplateVersions(f.ctx, &ec2api.DeleteLaunchTemplateVersionsRequest{LaunchTemplateId: ptr.To(id), Versions: []string{"1", "2", "9"}}))
	if len(del.SuccessfullyDeletedLaunchTemplateVersions) != 1 || len(del.UnsuccessfullyDeletedLaunchTemplateVersions) != 2 {
		t.Errorf("delete versions: %+v", del)
	}

	data := must(f.GetLaunchTemplateData(f.ctx, &ec2api.GetLaunchTemplateDataRequest{InstanceId: i1.InstanceId})).LaunchTemplateData
	if ptr.Deref(data.ImageId) != ami || ptr.Deref(data.InstanceType) != "t3.micro" || len(data.SecurityGroupIds) == 0 {
		t.Errorf("GetLaunchTemplateData = %+v", data)
	}

	list := must(f.DescribeLaunchTemplates(f.ctx, &ec2api.DescribeLaunchTemplatesRequest{Filters: []ec2api.Filter{{Name: ptr.To("launch-template-name"), Values: []string{"w*"}}}}))
	if len(list.LaunchTemplates) != 1 || ptr.Deref(list.LaunchTemplates[0].LatestVersionNumber) != 2 {
		t.Errorf("describe = %+v", list.LaunchTemplates)
	}

	errs := []struct {
		name      string
		call      func() error
		code, msg string
	}{
		{"duplicate name", func() error {
			_, err := f.CreateLaunchTemplate(f.ctx, &ec2api.CreateLaunchTemplateRequest{LaunchTemplateName: ptr.To("web"), LaunchTemplateData: &ec2api.RequestLaunchTemplateData{}})
			return err
		}, "InvalidLaunchTemplateName.AlreadyExistsException", "Launch template name already in use."},
		{"bad name", func() error {
			_, err := f.CreateLaunchTemplate(f.ctx, &ec2api.CreateLaunchTemplateRequest{LaunchTemplateName: ptr.To("a b"), LaunchTemplateData: &ec2api.RequestLaunchTemplateData{}})
			return err
		}, "InvalidLaunchTemplateName.MalformedException", ""},
		{"unknown id", func() error {
			_, err := f.DescribeLaunchTemplates(f.ctx, &ec2api.DescribeLaunchTemplatesRequest{LaunchTemplateIds: []string{"lt-0123456789abcdef0"}})
			return err
		}, "InvalidLaunchTemplateId.NotFound", "The specified launch template, with template ID lt-0123456789abcdef0, does not exist."},
		{"unknown name", func() error {
			_, err := f.DescribeLaunchTemplates(f.ctx, &ec2api.DescribeLaunchTemplatesRequest{LaunchTemplateNames: []string{"nope"}})
			return err
		}, "InvalidLaunchTemplateName.NotFoundException", "The specified launch template, with template name nope, does not exist."},
		{"unknown version", func() error {
			_, err := f.RunInstances(f.ctx, &ec2api.RunInstancesRequest{MinCount: ptr.To(int32(1)), MaxCount: ptr.To(int32(1)),
				LaunchTemplate: &ec2api.LaunchTemplateSpecification{LaunchTemplateId: ptr.To(id), Version: ptr.To("7")}})
			return err
		}, "InvalidLaunchTemplateId.VersionNotFound", ""},
		{"bad filter", func() error {
			_, err := f.DescribeLaunchTemplates(f.ctx, &ec2api.DescribeLaunchTemplatesRequest{Filters: []ec2api.Filter{{Name: ptr.To("image-id"), Values: []string{"x"}}}})
			return err
		}, "InvalidParameterValue", "The filter 'image-id' is invalid"},
	}
	for _, c := range errs {
		t.Run(c.name, func(t *testing.T) { wantErr(t, c.call(), c.code, c.msg) })
	}
	must(f.DeleteLaunchTemplate(f.ctx, &ec2api.DeleteLaunchTemplateRequest{LaunchTemplateName: ptr.To("web")}))
	_, err := f.DescribeLaunchTemplateVersions(f.ctx, &ec2api.DescribeLaunchTemplateVersionsRequest{LaunchTemplateId: ptr.To(id)})
	wantErr(t, err, "InvalidLaunchTemplateId.NotFound", "")
}
