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

// TestCfnRegistrySettings: the registry-wide types answer the registry
// id, change in place, and their delete clears the setting (twice is no
// error).
func TestCfnRegistrySettings(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx()
	p := f.e.cfnResources()
	policy := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Sid": "rep", "Effect": "Allow",
		"Principal": map[string]any{"AWS": "arn:aws:iam::210987654321:root"}, "Action": []any{"ecr:ReplicateImage"}, "Resource": "*"}}}
	r := kit.ResourceRequest{LogicalID: "RP", Properties: map[string]any{"PolicyText": policy}}
	res, err := p["AWS::ECR::RegistryPolicy"].Create(ctx, r)
	if err != nil || res.PhysicalID != "123456789012" || res.Attributes["RegistryId"] != res.PhysicalID {
		t.Fatalf("registry policy %+v %v", res, err)
	}
	got, err := f.e.GetRegistryPolicy(ctx, &ecrapi.GetRegistryPolicyRequest{})
	if err != nil || !strings.Contains(*got.PolicyText, "ReplicateImage") {
		t.Fatalf("policy %+v %v", got, err)
	}
	if _, err := p["AWS::ECR::RegistryPolicy"].Create(ctx, kit.ResourceRequest{LogicalID: "Bad", Properties: map[string]any{"PolicyText": "{"}}); err == nil {
		t.Fatal("an invalid policy was accepted")
	}
	for i := 0; i < 2; i++ {
		if err := p["AWS::ECR::RegistryPolicy"].Delete(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.e.GetRegistryPolicy(ctx, &ecrapi.GetRegistryPolicyRequest{}); !ecrapi.ErrRegistryPolicyNotFoundException.Is(err) {
		t.Fatalf("policy after delete: %v", err)
	}

	rep := kit.ResourceRequest{LogicalID: "Rep", Properties: map[string]any{"ReplicationConfiguration": map[string]any{"Rules": []any{
		map[string]any{"Destinations": []any{map[string]any{"Region": "eu-west-1", "RegistryId": "123456789012"}},
			"RepositoryFilters": []any{map[string]any{"Filter": "prod", "FilterType": "PREFIX_MATCH"}}}}}}}
	if _, err := p["AWS::ECR::ReplicationConfiguration"].Create(ctx, rep); err != nil {
		t.Fatal(err)
	}
	reg, err := f.e.DescribeRegistry(ctx, &ecrapi.DescribeRegistryRequest{})
	if err != nil || len(reg.ReplicationConfiguration.Rules) != 1 || *reg.ReplicationConfiguration.Rules[0].Destinations[0].Region != "eu-west-1" ||
		*reg.ReplicationConfiguration.Rules[0].RepositoryFilters[0].Filter != "prod" {
		t.Fatalf("replication %+v %v", reg, err)
	}
	if err := p["AWS::ECR::ReplicationConfiguration"].Delete(ctx, rep); err != nil {
		t.Fatal(err)
	}
	if reg, _ = f.e.DescribeRegistry(ctx, &ecrapi.DescribeRegistryRequest{}); len(reg.ReplicationConfiguration.Rules) != 0 {
		t.Fatalf("replication after delete %+v", reg.ReplicationConfiguration)
	}

	scan := kit.ResourceRequest{LogicalID: "Scan", Properties: map[string]any{"ScanType": "ENHANCED", "Rules": []any{map[string]any{
		"ScanFrequency": "CONTINUOUS_SCAN", "RepositoryFilters": []any{map[string]any{"Filter": "*", "FilterType": "WILDCARD"}}}}}}
	if _, err := p["AWS::ECR::RegistryScanningConfiguration"].Create(ctx, scan); err != nil {
		t.Fatal(err)
	}
	sc, err := f.e.GetRegistryScanningConfiguration(ctx, &ecrapi.GetRegistryScanningConfigurationRequest{})
	if err != nil || *sc.ScanningConfiguration.ScanType != "ENHANCED" || len(sc.ScanningConfiguration.Rules) != 1 {
		t.Fatalf("scanning %+v %v", sc, err)
	}
	if err := p["AWS::ECR::RegistryScanningConfiguration"].Delete(ctx, scan); err != nil {
		t.Fatal(err)
	}
	if sc, _ = f.e.GetRegistryScanningConfiguration(ctx, &ecrapi.GetRegistryScanningConfigurationRequest{}); *sc.ScanningConfiguration.ScanType != "BASIC" {
		t.Fatalf("scanning after delete %+v", sc.ScanningConfiguration)
	}
}
