package ecr

import (
	"regexp"
	"strings"
	"testing"

	ecrapi "github.com/niwa-cloud/niwa/internal/api/ecr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestCfnRepository: AWS::ECR::Repository as CDK's bootstrap template
// writes it (immutable tags, a lifecycle policy, a policy document as an
// object), updated in place and deleted (with its images only under
// EmptyOnDelete).
func TestCfnRepository(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx()
	p := f.e.cfnResources()["AWS::ECR::Repository"]
	lifecycle := `{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":365},"action":{"type":"expire"}}]}`
	props := map[string]any{
		"ImageTagMutability":         "IMMUTABLE",
		"ImageScanningConfiguration": map[string]any{"ScanOnPush": "true"},
		"LifecyclePolicy":            map[string]any{"LifecyclePolicyText": lifecycle},
		"RepositoryPolicyText": map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
			"Effect": "Allow", "Principal": map[string]any{"Service": "lambda.amazonaws.com"}, "Action": []any{"ecr:BatchGetImage"}}}},
		"Tags": []any{map[string]any{"Key": "team", "Value": "a"}},
	}
	req := kit.ResourceRequest{LogicalID: "ContainerAssetsRepository", StackName: "CDKToolkit", Properties: props}
	res, err := p.Create(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	name := res.PhysicalID
	if !regexp.MustCompile(`^cdktoolkit-containerassetsrepository-[a-z0-9]{12}$`).MatchString(name) {
		t.Fatalf("generated name %q", name)
	}
	if res.Attributes["Arn"] != "arn:aws:ecr:us-east-1:123456789012:repository/"+name ||
		res.Attributes["RepositoryUri"] != "123456789012.dkr.ecr.us-east-1.localhost/"+name {
		t.Fatalf("attributes %v", res.Attributes)
	}
	d, _ := f.e.DescribeRepositories(ctx, &ecrapi.DescribeRepositoriesRequest{RepositoryNames: []string{name}})
	if r := d.Repositories[0]; *r.ImageTagMutability != "IMMUTABLE" || !*r.ImageScanningConfiguration.ScanOnPush {
		t.Fatalf("%+v", r)
	}
	if lp, err := f.e.GetLifecyclePolicy(ctx, &ecrapi.GetLifecyclePolicyRequest{RepositoryName: &name}); err != nil || *lp.LifecyclePolicyText != lifecycle {
		t.Fatalf("lifecycle: %v", err)
	}
	if pol, err := f.e.GetRepositoryPolicy(ctx, &ecrapi.GetRepositoryPolicyRequest{RepositoryName: &name}); err != nil || !strings.Contains(*pol.PolicyText, "lambda.amazonaws.com") {
		t.Fatalf("policy: %v", err)
	}

	// Update: mutable, no policies, other tags.
	next := map[string]any{"Tags": []any{map[string]any{"Key": "env", "Value": "prod"}}}
	if _, err := p.Update(ctx, kit.ResourceRequest{LogicalID: req.LogicalID, PhysicalID: name, Properties: next, OldProperties: props}); err != nil {
		t.Fatal(err)
	}
	d, _ = f.e.DescribeRepositories(ctx, &ecrapi.DescribeRepositoriesRequest{RepositoryNames: []string{name}})
	if r := d.Repositories[0]; *r.ImageTagMutability != "MUTABLE" || *r.ImageScanningConfiguration.ScanOnPush {
		t.Fatalf("%+v", r)
	}
	_, err = f.e.GetLifecyclePolicy(ctx, &ecrapi.GetLifecyclePolicyRequest{RepositoryName: &name})
	wantErr(t, err, "LifecyclePolicyNotFoundException", "")
	_, err = f.e.GetRepositoryPolicy(ctx, &ecrapi.GetRepositoryPolicyRequest{RepositoryName: &name})
	wantErr(t, err, "RepositoryPolicyNotFoundException", "")
	tags, _ := f.e.ListTagsForResource(ctx, &ecrapi.ListTagsForResourceRequest{ResourceArn: ptr.To(res.Attributes["Arn"].(string))})
	if len(tags.Tags) != 1 || *tags.Tags[0].Key != "env" {
		t.Fatalf("tags %+v", tags.Tags)
	}

	// With an image, delete fails unless EmptyOnDelete.
	config := f.upload(t, name, []byte("config"), 100)
	if _, err := f.e.PutImage(ctx, &ecrapi.PutImageRequest{RepositoryName: &name, ImageManifest: ptr.To(manifestOf(config))}); err != nil {
		t.Fatal(err)
	}
	err = p.Delete(ctx, kit.ResourceRequest{PhysicalID: name, Properties: next})
	wantErr(t, err, "RepositoryNotEmptyException", "")
	if err := p.Delete(ctx, kit.ResourceRequest{PhysicalID: name, Properties: map[string]any{"EmptyOnDelete": true}}); err != nil {
		t.Fatal(err)
	}
	// Gone already: not an error.
	if err := p.Delete(ctx, kit.ResourceRequest{PhysicalID: name}); err != nil {
		t.Fatal(err)
	}
}
