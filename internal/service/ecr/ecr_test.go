package ecr

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	ecrapi "github.com/niwa-cloud/niwa/internal/api/ecr"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

type fixture struct {
	h *servicetest.Harness
	e *ECR
}

func newFixture(t *testing.T) *fixture {
	h := servicetest.New(t, "ecr")
	return &fixture{h: h, e: New(h.Store(), h.Backend.Blobs(), h.Clock)}
}

func (f *fixture) ctx() *request.Context { return f.h.Ctx() }

func (f *fixture) repo(t *testing.T, name string, mut string) {
	t.Helper()
	in := &ecrapi.CreateRepositoryRequest{RepositoryName: ptr.To(name)}
	if mut != "" {
		in.ImageTagMutability = ptr.To(mut)
	}
	if _, err := f.e.CreateRepository(f.ctx(), in); err != nil {
		t.Fatal(err)
	}
}

// wantErr checks an AWS error's code and message.
func wantErr(t *testing.T, err error, code, msg string) {
	t.Helper()
	e := awserr.As(err)
	if e == nil {
		t.Fatalf("got %v, want %s", err, code)
	}
	if e.Code.Code != code || (msg != "" && e.Message != msg) {
		t.Fatalf("got %s %q, want %s %q", e.Code.Code, e.Message, code, msg)
	}
}

// upload pushes a layer through the upload operations in parts of n
// bytes and returns its digest.
func (f *fixture) upload(t *testing.T, repo string, data []byte, n int) string {
	t.Helper()
	up, err := f.e.InitiateLayerUpload(f.ctx(), &ecrapi.InitiateLayerUploadRequest{RepositoryName: ptr.To(repo)})
	if err != nil {
		t.Fatal(err)
	}
	for first := 0; first < len(data); first += n {
		last := min(first+n, len(data)) - 1
		out, err := f.e.UploadLayerPart(f.ctx(), &ecrapi.UploadLayerPartRequest{RepositoryName: ptr.To(repo), UploadId: up.UploadId,
			PartFirstByte: ptr.To(int64(first)), PartLastByte: ptr.To(int64(last)), LayerPartBlob: data[first : last+1]})
		if err != nil {
			t.Fatal(err)
		}
		if *out.LastByteReceived != int64(last) {
			t.Fatalf("lastByteReceived %d, want %d", *out.LastByteReceived, last)
		}
	}
	d := digestOf(data)
	if _, err := f.e.CompleteLayerUpload(f.ctx(), &ecrapi.CompleteLayerUploadRequest{RepositoryName: ptr.To(repo), UploadId: up.UploadId,
		LayerDigests: []string{d}}); err != nil {
		t.Fatal(err)
	}
	return d
}

// manifestOf is a Docker v2 manifest of a config and layers.
func manifestOf(config string, layers ...string) string {
	var ls []string
	for _, l := range layers {
		ls = append(ls, fmt.Sprintf(`{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":10,"digest":%q}`, l))
	}
	return fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":5,"digest":%q},"layers":[%s]}`,
		mediaDockerV2, config, strings.Join(ls, ","))
}

func TestRepositories(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx()
	out, err := f.e.CreateRepository(ctx, &ecrapi.CreateRepositoryRequest{RepositoryName: ptr.To("team/app"),
		Tags: []ecrapi.Tag{{Key: ptr.To("env"), Value: ptr.To("dev")}}})
	if err != nil {
		t.Fatal(err)
	}
	r := out.Repository
	if *r.RepositoryArn != "arn:aws:ecr:us-east-1:123456789012:repository/team/app" || *r.RepositoryUri != "123456789012.dkr.ecr.us-east-1.localhost/team/app" ||
		*r.ImageTagMutability != "MUTABLE" || *r.EncryptionConfiguration.EncryptionType != "AES256" || *r.ImageScanningConfiguration.ScanOnPush {
		t.Fatalf("repository %+v", r)
	}
	_, err = f.e.CreateRepository(ctx, &ecrapi.CreateRepositoryRequest{RepositoryName: ptr.To("team/app")})
	wantErr(t, err, "RepositoryAlreadyExistsException", "The repository with name 'team/app' already exists in the registry with id '123456789012'")
	for _, tc := range []struct {
		name, alg, key, code, want string
	}{
		{"kms-default", "KMS", "", "", "arn:aws:kms:us-east-1:123456789012:alias/aws/ecr"},
		{"kms-key", "KMS", "arn:aws:kms:us-east-1:123456789012:key/k", "", "arn:aws:kms:us-east-1:123456789012:key/k"},
		{"aes-key", "AES256", "k", "InvalidParameterException", ""},
	} {
		out, err := f.e.CreateRepository(ctx, &ecrapi.CreateRepositoryRequest{RepositoryName: ptr.To(tc.name),
			EncryptionConfiguration: &ecrapi.EncryptionConfiguration{EncryptionType: ptr.To(tc.alg), KmsKey: ptr.To(tc.key)}})
		if tc.code != "" {
			wantErr(t, err, tc.code, "")
			continue
		}
		if err != nil || *out.Repository.EncryptionConfiguration.KmsKey != tc.want {
			t.Fatalf("%s: %v %+v", tc.name, err, out)
		}
	}

	d, err := f.e.DescribeRepositories(ctx, &ecrapi.DescribeRepositoriesRequest{})
	if err != nil || len(d.Repositories) != 3 || *d.Repositories[0].RepositoryName != "kms-default" {
		t.Fatalf("%v %+v", err, d)
	}
	p1, err := f.e.DescribeRepositories(ctx, &ecrapi.DescribeRepositoriesRequest{MaxResults: ptr.To(int32(2))})
	if err != nil || len(p1.Repositories) != 2 || p1.NextToken == nil {
		t.Fatalf("%v %+v", err, p1)
	}
	p2, err := f.e.DescribeRepositories(ctx, &ecrapi.DescribeRepositoriesRequest{NextToken: p1.NextToken})
	if err != nil || len(p2.Repositories) != 1 || *p2.Repositories[0].RepositoryName != "team/app" {
		t.Fatalf("%v %+v", err, p2)
	}
	_, err = f.e.DescribeRepositories(ctx, &ecrapi.DescribeRepositoriesRequest{RepositoryNames: []string{"nope"}})
	wantErr(t, err, "RepositoryNotFoundException", "The repository with name 'nope' does not exist in the registry with id '123456789012'")

	// Settings.
	if _, err := f.e.PutImageTagMutability(ctx, &ecrapi.PutImageTagMutabilityRequest{RepositoryName: ptr.To("team/app"), ImageTagMutability: ptr.To("IMMUTABLE")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.PutImageScanningConfiguration(ctx, &ecrapi.PutImageScanningConfigurationRequest{RepositoryName: ptr.To("team/app"),
		ImageScanningConfiguration: &ecrapi.ImageScanningConfiguration{ScanOnPush: ptr.To(true)}}); err != nil {
		t.Fatal(err)
	}
	d, _ = f.e.DescribeRepositories(ctx, &ecrapi.DescribeRepositoriesRequest{RepositoryNames: []string{"team/app"}})
	if r := d.Repositories[0]; *r.ImageTagMutability != "IMMUTABLE" || !*r.ImageScanningConfiguration.ScanOnPush {
		t.Fatalf("%+v", r)
	}

	// Tags.
	arn := "arn:aws:ecr:us-east-1:123456789012:repository/team/app"
	if _, err := f.e.TagResource(ctx, &ecrapi.TagResourceRequest{ResourceArn: ptr.To(arn), Tags: []ecrapi.Tag{{Key: ptr.To("team"), Value: ptr.To("a")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.UntagResource(ctx, &ecrapi.UntagResourceRequest{ResourceArn: ptr.To(arn), TagKeys: []string{"env"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := f.e.ListTagsForResource(ctx, &ecrapi.ListTagsForResourceRequest{ResourceArn: ptr.To(arn)})
	if err != nil || len(tags.Tags) != 1 || *tags.Tags[0].Key != "team" {
		t.Fatalf("%v %+v", err, tags)
	}
	_, err = f.e.ListTagsForResource(ctx, &ecrapi.ListTagsForResourceRequest{ResourceArn: ptr.To("arn:aws:sqs:us-east-1:123456789012:q")})
	wantErr(t, err, "InvalidParameterException", "")
	_, err = f.e.TagResource(ctx, &ecrapi.TagResourceRequest{ResourceArn: ptr.To(arn), Tags: []ecrapi.Tag{{Key: ptr.To("aws:x"), Value: ptr.To("a")}}})
	wantErr(t, err, "InvalidTagParameterException", "")
	var many []ecrapi.Tag
	for i := range maxTags {
		many = append(many, ecrapi.Tag{Key: ptr.To(fmt.Sprint("k", i)), Value: ptr.To("v")})
	}
	_, err = f.e.TagResource(ctx, &ecrapi.TagResourceRequest{ResourceArn: ptr.To(arn), Tags: many})
	wantErr(t, err, "TooManyTagsException", "")

	// Policies.
	_, err = f.e.GetRepositoryPolicy(ctx, &ecrapi.GetRepositoryPolicyRequest{RepositoryName: ptr.To("team/app")})
	wantErr(t, err, "RepositoryPolicyNotFoundException", "Repository policy does not exist for the repository with name 'team/app' in the registry with id '123456789012'")
	_, err = f.e.SetRepositoryPolicy(ctx, &ecrapi.SetRepositoryPolicyRequest{RepositoryName: ptr.To("team/app"), PolicyText: ptr.To("not json")})
	wantErr(t, err, "InvalidParameterException", "Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'")
	pol := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"ecr:BatchGetImage"}]}`
	if _, err := f.e.SetRepositoryPolicy(ctx, &ecrapi.SetRepositoryPolicyRequest{RepositoryName: ptr.To("team/app"), PolicyText: ptr.To(pol)}); err != nil {
		t.Fatal(err)
	}
	doc, owner, found, err := f.e.ResourcePolicy(ctx, arn)
	if err != nil || !found || doc != pol || owner != "123456789012" {
		t.Fatalf("ResourcePolicy: %q %q %v %v", doc, owner, found, err)
	}
	if _, err := f.e.DeleteRepositoryPolicy(ctx, &ecrapi.DeleteRepositoryPolicyRequest{RepositoryName: ptr.To("team/app")}); err != nil {
		t.Fatal(err)
	}
	if _, _, found, _ := f.e.ResourcePolicy(ctx, arn); found {
		t.Fatal("policy still found after delete")
	}

	if _, err := f.e.DeleteRepository(ctx, &ecrapi.DeleteRepositoryRequest{RepositoryName: ptr.To("team/app")}); err != nil {
		t.Fatal(err)
	}
	_, err = f.e.DeleteRepository(ctx, &ecrapi.DeleteRepositoryRequest{RepositoryName: ptr.To("team/app")})
	wantErr(t, err, "RepositoryNotFoundException", "")
}

func TestImages(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx()
	f.repo(t, "app", "")
	config := f.upload(t, "app", []byte("{}\n\n\n"), 2)
	layer := f.upload(t, "app", []byte(strings.Repeat("layer-bytes ", 100)), 333)

	avail, err := f.e.BatchCheckLayerAvailability(ctx, &ecrapi.BatchCheckLayerAvailabilityRequest{RepositoryName: ptr.To("app"),
		LayerDigests: []string{layer, digestOf([]byte("nope")), "md5:x"}})
	if err != nil || len(avail.Layers) != 1 || *avail.Layers[0].LayerSize != 1200 || len(avail.Failures) != 2 ||
		*avail.Failures[0].FailureCode != "MissingLayerDigest" || *avail.Failures[1].FailureCode != "InvalidLayerDigest" {
		t.Fatalf("%v %+v", err, avail)
	}

	// A manifest naming a layer the repository lacks is refused.
	missing := digestOf([]byte("missing"))
	_, err = f.e.PutImage(ctx, &ecrapi.PutImageRequest{RepositoryName: ptr.To("app"), ImageManifest: ptr.To(manifestOf(config, missing))})
	wantErr(t, err, "LayersNotFoundException", "")
	_, err = f.e.PutImage(ctx, &ecrapi.PutImageRequest{RepositoryName: ptr.To("app"), ImageManifest: ptr.To("{")})
	wantErr(t, err, "InvalidParameterException", "")
	m1 := manifestOf(config, layer)
	_, err = f.e.PutImage(ctx, &ecrapi.PutImageRequest{RepositoryName: ptr.To("app"), ImageManifest: ptr.To(m1), ImageDigest: ptr.To(missing)})
	wantErr(t, err, "ImageDigestDoesNotMatchException", "")

	put, err := f.e.PutImage(ctx, &ecrapi.PutImageRequest{RepositoryName: ptr.To("app"), ImageManifest: ptr.To(m1), ImageTag: ptr.To("v1")})
	if err != nil || *put.Image.ImageId.ImageDigest != digestOf([]byte(m1)) || *put.Image.ImageManifestMediaType != mediaDockerV2 {
		t.Fatalf("%v %+v", err, put)
	}
	d1 := *put.Image.ImageId.ImageDigest
	_, err = f.e.PutImage(ctx, &ecrapi.PutImageRequest{RepositoryName: ptr.To("app"), ImageManifest: ptr.To(m1), ImageTag: ptr.To("v1")})
	wantErr(t, err, "ImageAlreadyExistsException", "")
	// Another tag on the same image.
	if _, err := f.e.PutImage(ctx, &ecrapi.PutImageRequest{RepositoryName: ptr.To("app"), ImageManifest: ptr.To(m1), ImageTag: ptr.To("latest")}); err != nil {
		t.Fatal(err)
	}
	// A second image takes "latest" (mutable): the first keeps v1.
	f.h.Clock.Advance(time.Hour)
	m2 := manifestOf(config, layer, config)
	put2, err := f.e.PutImage(ctx, &ecrapi.PutImageRequest{RepositoryName: ptr.To("app"), ImageManifest: ptr.To(m2), ImageTag: ptr.To("latest")})
	if err != nil {
		t.Fatal(err)
	}
	d2 := *put2.Image.ImageId.ImageDigest

	desc, err := f.e.DescribeImages(ctx, &ecrapi.DescribeImagesRequest{RepositoryName: ptr.To("app"), ImageIds: []ecrapi.ImageIdentifier{{ImageTag: ptr.To("latest")}}})
	if err != nil || len(desc.ImageDetails) != 1 || *desc.ImageDetails[0].ImageDigest != d2 || *desc.ImageDetails[0].ImageSizeInBytes != 20 {
		t.Fatalf("%v %+v", err, desc)
	}
	desc, _ = f.e.DescribeImages(ctx, &ecrapi.DescribeImagesRequest{RepositoryName: ptr.To("app"), ImageIds: []ecrapi.ImageIdentifier{{ImageDigest: ptr.To(d1)}}})
	if got := desc.ImageDetails[0].ImageTags; len(got) != 1 || got[0] != "v1" {
		t.Fatalf("first image's tags %v", got)
	}
	_, err = f.e.DescribeImages(ctx, &ecrapi.DescribeImagesRequest{RepositoryName: ptr.To("app"), ImageIds: []ecrapi.ImageIdentifier{{ImageTag: ptr.To("v9")}}})
	wantErr(t, err, "ImageNotFoundException", "The image with imageId {imageDigest:'null', imageTag:'v9'} does not exist within the repository with name 'app' in the registry with id '123456789012'")

	list, err := f.e.ListImages(ctx, &ecrapi.ListImagesRequest{RepositoryName: ptr.To("app")})
	if err != nil || len(list.ImageIds) != 2 {
		t.Fatalf("%v %+v", err, list)
	}

	got, err := f.e.BatchGetImage(ctx, &ecrapi.BatchGetImageRequest{RepositoryName: ptr.To("app"),
		ImageIds: []ecrapi.ImageIdentifier{{ImageTag: ptr.To("v1")}, {ImageTag: ptr.To("v9")}, {ImageDigest: ptr.To(d2), ImageTag: ptr.To("v1")}}})
	if err != nil || len(got.Images) != 1 || *got.Images[0].ImageManifest != m1 || len(got.Failures) != 2 ||
		*got.Failures[0].FailureCode != "ImageNotFound" || *got.Failures[1].FailureCode != "ImageTagDoesNotMatchDigest" {
		t.Fatalf("%v %+v", err, got)
	}

	// The repository holds images: deleting it needs force.
	_, err = f.e.DeleteRepository(ctx, &ecrapi.DeleteRepositoryRequest{RepositoryName: ptr.To("app")})
	wantErr(t, err, "RepositoryNotEmptyException", "The repository with name 'app' in registry with id '123456789012' cannot be deleted because it still contains images")

	// Removing an image's last tag deletes it.
	del, err := f.e.BatchDeleteImage(ctx, &ecrapi.BatchDeleteImageRequest{RepositoryName: ptr.To("app"), ImageIds: []ecrapi.ImageIdentifier{{ImageTag: ptr.To("v1")}}})
	if err != nil || len(del.ImageIds) != 1 || *del.ImageIds[0].ImageDigest != d1 {
		t.Fatalf("%v %+v", err, del)
	}
	list, _ = f.e.ListImages(ctx, &ecrapi.ListImagesRequest{RepositoryName: ptr.To("app")})
	if len(list.ImageIds) != 1 || *list.ImageIds[0].ImageDigest != d2 {
		t.Fatalf("%+v", list)
	}
	if _, err := f.e.DeleteRepository(ctx, &ecrapi.DeleteRepositoryRequest{RepositoryName: ptr.To("app"), Force: ptr.To(true)}); err != nil {
		t.Fatal(err)
	}
	// Created again, it holds nothing of the old one.
	f.repo(t, "app", "")
	list, _ = f.e.ListImages(ctx, &ecrapi.ListImagesRequest{RepositoryName: ptr.To("app")})
	avail, _ = f.e.BatchCheckLayerAvailability(ctx, &ecrapi.BatchCheckLayerAvailabilityRequest{RepositoryName: ptr.To("app"), LayerDigests: []string{layer}})
	if len(list.ImageIds) != 0 || len(avail.Layers) != 0 {
		t.Fatalf("left over: %+v %+v", list, avail)
	}
}

func TestImmutableTags(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx()
	f.repo(t, "app", "IMMUTABLE")
	config := f.upload(t, "app", []byte("config"), 100)
	if _, err := f.e.PutImage(ctx, &ecrapi.PutImageRequest{RepositoryName: ptr.To("app"), ImageManifest: ptr.To(manifestOf(config)), ImageTag: ptr.To("v1")}); err != nil {
		t.Fatal(err)
	}
	_, err := f.e.PutImage(ctx, &ecrapi.PutImageRequest{RepositoryName: ptr.To("app"), ImageManifest: ptr.To(manifestOf(config, config)), ImageTag: ptr.To("v1")})
	wantErr(t, err, "ImageTagAlreadyExistsException", "The image tag 'v1' already exists in the 'app' repository and cannot be overwritten because the repository is immutable.")
}

func TestLayerUploads(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx()
	f.repo(t, "app", "")
	up, err := f.e.InitiateLayerUpload(ctx, &ecrapi.InitiateLayerUploadRequest{RepositoryName: ptr.To("app")})
	if err != nil || *up.PartSize <= 0 {
		t.Fatal(err)
	}
	req := func(first, last int64, b string) *ecrapi.UploadLayerPartRequest {
		return &ecrapi.UploadLayerPartRequest{RepositoryName: ptr.To("app"), UploadId: up.UploadId, PartFirstByte: &first, PartLastByte: &last, LayerPartBlob: []byte(b)}
	}
	_, err = f.e.CompleteLayerUpload(ctx, &ecrapi.CompleteLayerUploadRequest{RepositoryName: ptr.To("app"), UploadId: up.UploadId, LayerDigests: []string{digestOf(nil)}})
	wantErr(t, err, "EmptyUploadException", "")
	_, err = f.e.UploadLayerPart(ctx, req(1, 3, "abc"))
	wantErr(t, err, "InvalidLayerPartException", "")
	_, err = f.e.UploadLayerPart(ctx, req(0, 5, "abc"))
	wantErr(t, err, "InvalidLayerPartException", "")
	if _, err := f.e.UploadLayerPart(ctx, req(0, 2, "abc")); err != nil {
		t.Fatal(err)
	}
	_, err = f.e.UploadLayerPart(ctx, &ecrapi.UploadLayerPartRequest{RepositoryName: ptr.To("app"), UploadId: ptr.To("nope"), PartFirstByte: ptr.To(int64(0)),
		PartLastByte: ptr.To(int64(0)), LayerPartBlob: []byte("x")})
	wantErr(t, err, "UploadNotFoundException", "")
	// A wrong digest spends the upload.
	_, err = f.e.CompleteLayerUpload(ctx, &ecrapi.CompleteLayerUploadRequest{RepositoryName: ptr.To("app"), UploadId: up.UploadId, LayerDigests: []string{digestOf([]byte("xyz"))}})
	wantErr(t, err, "InvalidLayerException", "")
	_, err = f.e.CompleteLayerUpload(ctx, &ecrapi.CompleteLayerUploadRequest{RepositoryName: ptr.To("app"), UploadId: up.UploadId, LayerDigests: []string{digestOf([]byte("abc"))}})
	wantErr(t, err, "UploadNotFoundException", "")
	// The same layer twice.
	f.upload(t, "app", []byte("abc"), 2)
	up2, _ := f.e.InitiateLayerUpload(ctx, &ecrapi.InitiateLayerUploadRequest{RepositoryName: ptr.To("app")})
	if _, err := f.e.UploadLayerPart(ctx, &ecrapi.UploadLayerPartRequest{RepositoryName: ptr.To("app"), UploadId: up2.UploadId, PartFirstByte: ptr.To(int64(0)),
		PartLastByte: ptr.To(int64(2)), LayerPartBlob: []byte("abc")}); err != nil {
		t.Fatal(err)
	}
	_, err = f.e.CompleteLayerUpload(ctx, &ecrapi.CompleteLayerUploadRequest{RepositoryName: ptr.To("app"), UploadId: up2.UploadId, LayerDigests: []string{digestOf([]byte("abc"))}})
	wantErr(t, err, "LayerAlreadyExistsException", "")
}

func TestLifecyclePolicies(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx()
	f.repo(t, "app", "")
	for _, tc := range []struct {
		name, text, want string
	}{
		{"not json", "nope", "Could not map policyString into LifecyclePolicy."},
		{"no rules", `{"rules":[]}`, `object has too few items in "rules" (minimum: 1)`},
		{"unknown field", `{"rules":[],"x":1}`, "Could not map policyString into LifecyclePolicy."},
		{"tagged without prefixes", `{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}`,
			"'tagPrefixList' or 'tagPatternList' must be specified when 'tagStatus' is set to 'tagged'."},
		{"days without unit", `{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countNumber":1},"action":{"type":"expire"}}]}`,
			"'countUnit' must be 'days' when 'countType' is 'sinceImagePushed'."},
		{"duplicate priority", `{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}},{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}`,
			"Rule priority 1 is used more than once."},
		{"any not last", `{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}},{"rulePriority":2,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}`,
			"Rule with tagStatus 'any' must have the highest value for 'rulePriority'."},
	} {
		_, err := f.e.PutLifecyclePolicy(ctx, &ecrapi.PutLifecyclePolicyRequest{RepositoryName: ptr.To("app"), LifecyclePolicyText: ptr.To(tc.text)})
		wantErr(t, err, "InvalidParameterException", "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: "+tc.want+"'")
	}
	_, err := f.e.GetLifecyclePolicy(ctx, &ecrapi.GetLifecyclePolicyRequest{RepositoryName: ptr.To("app")})
	wantErr(t, err, "LifecyclePolicyNotFoundException", "Lifecycle policy does not exist for the repository with name 'app' in the registry with id '123456789012'")
	_, err = f.e.GetLifecyclePolicyPreview(ctx, &ecrapi.GetLifecyclePolicyPreviewRequest{RepositoryName: ptr.To("app")})
	wantErr(t, err, "LifecyclePolicyPreviewNotFoundException", "")

	// Four images: three tagged release-*, pushed a day apart, one
	// untagged and old.
	config := f.upload(t, "app", []byte("config"), 100)
	var digests []string
	for i, tag := range []string{"", "release-1", "release-2", "release-3"} {
		in := &ecrapi.PutImageRequest{RepositoryName: ptr.To("app"), ImageManifest: ptr.To(manifestOf(config) + strings.Repeat(" ", i))}
		if tag != "" {
			in.ImageTag = ptr.To(tag)
		}
		out, err := f.e.PutImage(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		digests = append(digests, *out.Image.ImageId.ImageDigest)
		f.h.Clock.Advance(24 * time.Hour)
	}
	policy := `{"rules":[
	  {"rulePriority":1,"description":"keep two releases","selection":{"tagStatus":"tagged","tagPrefixList":["release-"],"countType":"imageCountMoreThan","countNumber":2},"action":{"type":"expire"}},
	  {"rulePriority":2,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countUnit":"days","countNumber":3},"action":{"type":"expire"}},
	  {"rulePriority":3,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}`
	if _, err := f.e.PutLifecyclePolicy(ctx, &ecrapi.PutLifecyclePolicyRequest{RepositoryName: ptr.To("app"), LifecyclePolicyText: ptr.To(policy)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.e.StartLifecyclePolicyPreview(ctx, &ecrapi.StartLifecyclePolicyPreviewRequest{RepositoryName: ptr.To("app")}); err != nil {
		t.Fatal(err)
	}
	prev, err := f.e.GetLifecyclePolicyPreview(ctx, &ecrapi.GetLifecyclePolicyPreviewRequest{RepositoryName: ptr.To("app")})
	if err != nil {
		t.Fatal(err)
	}
	// release-1 (rule 1: the oldest of three) and the untagged image
	// (rule 2: four days old) expire; release-2 and release-3 are kept by
	// rule 1, which rule 3 cannot override.
	want := map[string]int32{digests[1]: 1, digests[0]: 2}
	if *prev.Status != "COMPLETE" || *prev.Summary.ExpiringImageTotalCount != 2 || len(prev.PreviewResults) != 2 {
		t.Fatalf("%+v", prev)
	}
	for _, r := range prev.PreviewResults {
		if want[*r.ImageDigest] != *r.AppliedRulePriority || *r.Action.Type != "EXPIRE" {
			t.Errorf("preview result %s rule %d", *r.ImageDigest, *r.AppliedRulePriority)
		}
	}
	prev, _ = f.e.GetLifecyclePolicyPreview(ctx, &ecrapi.GetLifecyclePolicyPreviewRequest{RepositoryName: ptr.To("app"),
		Filter: &ecrapi.LifecyclePolicyPreviewFilter{TagStatus: ptr.To("UNTAGGED")}})
	if len(prev.PreviewResults) != 1 || *prev.PreviewResults[0].ImageDigest != digests[0] {
		t.Fatalf("untagged filter: %+v", prev.PreviewResults)
	}
	if _, err := f.e.DeleteLifecyclePolicy(ctx, &ecrapi.DeleteLifecyclePolicyRequest{RepositoryName: ptr.To("app")}); err != nil {
		t.Fatal(err)
	}
	_, err = f.e.DeleteLifecyclePolicy(ctx, &ecrapi.DeleteLifecyclePolicyRequest{RepositoryName: ptr.To("app")})
	wantErr(t, err, "LifecyclePolicyNotFoundException", "")
}

func TestRegistry(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx()
	tok, err := f.e.GetAuthorizationToken(ctx, &ecrapi.GetAuthorizationTokenRequest{})
	if err != nil || len(tok.AuthorizationData) != 1 {
		t.Fatal(err)
	}
	a := tok.AuthorizationData[0]
	raw, err := base64.StdEncoding.DecodeString(*a.AuthorizationToken)
	if err != nil || !strings.HasPrefix(string(raw), "AWS:") || len(raw) < 20 {
		t.Fatalf("token %q (%v)", raw, err)
	}
	if *a.ProxyEndpoint != "http://123456789012.dkr.ecr.us-east-1.localhost" || !a.ExpiresAt.Equal(f.h.Clock.Now().Add(12*time.Hour)) {
		t.Fatalf("%s %v", *a.ProxyEndpoint, a.ExpiresAt)
	}

	_, err = f.e.GetRegistryPolicy(ctx, &ecrapi.GetRegistryPolicyRequest{})
	wantErr(t, err, "RegistryPolicyNotFoundException", "Registry policy does not exist in the registry with id '123456789012'")
	pol := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"},"Action":"ecr:ReplicateImage","Resource":"*"}]}`
	if _, err := f.e.PutRegistryPolicy(ctx, &ecrapi.PutRegistryPolicyRequest{PolicyText: ptr.To(pol)}); err != nil {
		t.Fatal(err)
	}
	if got, err := f.e.GetRegistryPolicy(ctx, &ecrapi.GetRegistryPolicyRequest{}); err != nil || *got.PolicyText != pol {
		t.Fatal(err)
	}
	if _, err := f.e.DeleteRegistryPolicy(ctx, &ecrapi.DeleteRegistryPolicyRequest{}); err != nil {
		t.Fatal(err)
	}

	sc, err := f.e.GetRegistryScanningConfiguration(ctx, &ecrapi.GetRegistryScanningConfigurationRequest{})
	if err != nil || *sc.ScanningConfiguration.ScanType != "BASIC" || len(sc.ScanningConfiguration.Rules) != 0 {
		t.Fatalf("%v %+v", err, sc)
	}
	_, err = f.e.PutRegistryScanningConfiguration(ctx, &ecrapi.PutRegistryScanningConfigurationRequest{ScanType: ptr.To("BASIC"),
		Rules: []ecrapi.RegistryScanningRule{{ScanFrequency: ptr.To("CONTINUOUS_SCAN")}}})
	wantErr(t, err, "InvalidParameterException", "")
	rule := ecrapi.RegistryScanningRule{ScanFrequency: ptr.To("SCAN_ON_PUSH"),
		RepositoryFilters: []ecrapi.ScanningRepositoryFilter{{Filter: ptr.To("prod-*"), FilterType: ptr.To("WILDCARD")}}}
	if _, err := f.e.PutRegistryScanningConfiguration(ctx, &ecrapi.PutRegistryScanningConfigurationRequest{ScanType: ptr.To("BASIC"), Rules: []ecrapi.RegistryScanningRule{rule}}); err != nil {
		t.Fatal(err)
	}
	f.repo(t, "prod-api", "")
	f.repo(t, "dev-api", "")
	b, err := f.e.BatchGetRepositoryScanningConfiguration(ctx, &ecrapi.BatchGetRepositoryScanningConfigurationRequest{RepositoryNames: []string{"prod-api", "dev-api", "gone"}})
	if err != nil || len(b.ScanningConfigurations) != 2 || *b.ScanningConfigurations[0].ScanFrequency != "SCAN_ON_PUSH" ||
		*b.ScanningConfigurations[1].ScanFrequency != "MANUAL" || len(b.Failures) != 1 || *b.Failures[0].FailureCode != "REPOSITORY_NOT_FOUND" {
		t.Fatalf("%v %+v", err, b)
	}

	reg, err := f.e.DescribeRegistry(ctx, &ecrapi.DescribeRegistryRequest{})
	if err != nil || *reg.RegistryId != "123456789012" || len(reg.ReplicationConfiguration.Rules) != 0 {
		t.Fatalf("%v %+v", err, reg)
	}
	_, err = f.e.PutReplicationConfiguration(ctx, &ecrapi.PutReplicationConfigurationRequest{ReplicationConfiguration: &ecrapi.ReplicationConfiguration{
		Rules: []ecrapi.ReplicationRule{{Destinations: []ecrapi.ReplicationDestination{{Region: ptr.To("us-east-1"), RegistryId: ptr.To("123456789012")}}}}}})
	wantErr(t, err, "InvalidParameterException", "")
	rc := &ecrapi.ReplicationConfiguration{Rules: []ecrapi.ReplicationRule{{Destinations: []ecrapi.ReplicationDestination{{Region: ptr.To("eu-west-1"), RegistryId: ptr.To("123456789012")}}}}}
	if _, err := f.e.PutReplicationConfiguration(ctx, &ecrapi.PutReplicationConfigurationRequest{ReplicationConfiguration: rc}); err != nil {
		t.Fatal(err)
	}
	reg, _ = f.e.DescribeRegistry(ctx, &ecrapi.DescribeRegistryRequest{})
	if len(reg.ReplicationConfiguration.Rules) != 1 || *reg.ReplicationConfiguration.Rules[0].Destinations[0].Region != "eu-west-1" {
		t.Fatalf("%+v", reg)
	}
}
