package ecr

import (
	"context"
	"sort"
	"strings"

	ecrapi "github.com/niwa-cloud/niwa/internal/api/ecr"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// maxTags is ECR's limit of tags on a repository.
const maxTags = 50

// CreateRepository creates a repository.
func (s *ECR) CreateRepository(ctx *request.Context, in *ecrapi.CreateRepositoryRequest) (*ecrapi.CreateRepositoryResponse, error) {
	t := targetOf(ctx, in.RegistryId)
	name := ptr.Deref(in.RepositoryName)
	r := repoRecord{Name: name, Created: ctx.Now(), TagMutability: "MUTABLE", EncryptionType: "AES256", Tags: tagMap(in.Tags)}
	if m := ptr.Deref(in.ImageTagMutability); m != "" {
		r.TagMutability = m
	}
	if in.ImageScanningConfiguration != nil {
		r.ScanOnPush = ptr.Deref(in.ImageScanningConfiguration.ScanOnPush)
	}
	if e := in.EncryptionConfiguration; e != nil {
		r.EncryptionType = ptr.Deref(e.EncryptionType)
		key := ptr.Deref(e.KmsKey)
		switch {
		case r.EncryptionType == "AES256" && key != "":
			return nil, invalidParam("Invalid parameter at 'encryptionConfiguration' failed to satisfy constraint: 'kmsKey can be specified only when encryptionType is KMS'")
		case r.EncryptionType == "KMS" && key == "":
			// The AWS managed key of ECR.
			key = "arn:aws:kms:" + t.scope.Region + ":" + t.scope.Account + ":alias/aws/ecr"
		}
		r.KMSKey = key
	}
	if len(r.Tags) > maxTags {
		return nil, ecrapi.ErrTooManyTagsException.New("Cannot apply more than %d tags to a repository.", maxTags)
	}
	err := s.store.Update(func(tx storage.Tx) error {
		if _, ok, err := repos.Get(tx, t.scope, name); err != nil {
			return err
		} else if ok {
			return ecrapi.ErrRepositoryAlreadyExistsException.New("The repository with name '%s' already exists in the registry with id '%s'", name, t.id())
		}
		return repos.Put(tx, t.scope, r, name)
	})
	if err != nil {
		return nil, err
	}
	out := r.api(ctx, t.scope)
	return &ecrapi.CreateRepositoryResponse{Repository: &out}, nil
}

func tagMap(tags []ecrapi.Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := map[string]string{}
	for _, t := range tags {
		m[ptr.Deref(t.Key)] = ptr.Deref(t.Value)
	}
	return m
}

// DescribeRepositories lists repositories by name, or those named.
func (s *ECR) DescribeRepositories(ctx *request.Context, in *ecrapi.DescribeRepositoriesRequest) (*ecrapi.DescribeRepositoriesResponse, error) {
	t := targetOf(ctx, in.RegistryId)
	if len(in.RepositoryNames) > 0 && (in.NextToken != nil || in.MaxResults != nil) {
		return nil, invalidParam("Invalid parameter: repositoryNames cannot be used with maxResults or nextToken")
	}
	var all []repoRecord
	err := s.store.View(func(tx storage.Tx) error {
		if len(in.RepositoryNames) > 0 {
			for _, n := range in.RepositoryNames {
				r, err := getRepo(tx, t, n)
				if err != nil {
					return err
				}
				all = append(all, r)
			}
			return nil
		}
		return repos.List(tx, t.scope, nil, storage.ListOptions{}, func(_ []string, r repoRecord) bool {
			all = append(all, r)
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	var next *string
	if len(in.RepositoryNames) == 0 {
		sort.Slice(all, func(i, j int) bool { return all[i].Name < all[j].Name })
		all, next = page(all, func(r repoRecord) string { return r.Name }, in.NextToken, in.MaxResults, 1000)
	}
	out := &ecrapi.DescribeRepositoriesResponse{Repositories: []ecrapi.Repository{}, NextToken: next}
	for _, r := range all {
		out.Repositories = append(out.Repositories, r.api(ctx, t.scope))
	}
	return out, nil
}

// DeleteRepository deletes a repository; one holding images only with
// force, which deletes the images (and their layers) too.
func (s *ECR) DeleteRepository(ctx *request.Context, in *ecrapi.DeleteRepositoryRequest) (*ecrapi.DeleteRepositoryResponse, error) {
	t := targetOf(ctx, in.RegistryId)
	name := ptr.Deref(in.RepositoryName)
	var r repoRecord
	var blobs []string
	err := s.store.Update(func(tx storage.Tx) error {
		var err error
		if r, err = getRepo(tx, t, name); err != nil {
			return err
		}
		n := 0
		if err := images.List(tx, t.scope, []string{name}, storage.ListOptions{}, func([]string, imageRecord) bool {
			n++
			return false
		}); err != nil {
			return err
		}
		if n > 0 && !ptr.Deref(in.Force) {
			return ecrapi.ErrRepositoryNotEmptyException.New("The repository with name '%s' in registry with id '%s' cannot be deleted because it still contains images", name, t.id())
		}
		if blobs, err = dropRepoContents(tx, t.scope, name); err != nil {
			return err
		}
		return repos.Delete(tx, t.scope, name)
	})
	if err != nil {
		return nil, err
	}
	s.deleteBlobs(blobs)
	out := r.api(ctx, t.scope)
	return &ecrapi.DeleteRepositoryResponse{Repository: &out}, nil
}

// dropRepoContents deletes a repository's images, layers, uploads and
// preview and returns the blobs to delete once the transaction commits.
func dropRepoContents(tx storage.Tx, sc storage.Scope, name string) ([]string, error) {
	var blobs []string
	if err := layers.List(tx, sc, []string{name}, storage.ListOptions{}, func(_ []string, l layerRecord) bool {
		blobs = append(blobs, l.Blob.ID)
		return true
	}); err != nil {
		return nil, err
	}
	if err := uploads.List(tx, sc, []string{name}, storage.ListOptions{}, func(_ []string, u uploadRecord) bool {
		for _, p := range u.Parts {
			blobs = append(blobs, p.ID)
		}
		return true
	}); err != nil {
		return nil, err
	}
	for _, k := range [][]byte{images.Key(sc, name), layers.Key(sc, name), uploads.Key(sc, name)} {
		if err := storage.DeletePrefix(tx, k); err != nil {
			return nil, err
		}
	}
	return blobs, previews.Delete(tx, sc, name)
}

// deleteBlobs removes blobs no record points at any more. A blob left
// behind by a failure here is garbage, never a dangling reference.
func (s *ECR) deleteBlobs(ids []string) {
	for _, id := range ids {
		_ = s.blobs.Delete(id)
	}
}

// PutImageTagMutability changes whether tags may move between images.
func (s *ECR) PutImageTagMutability(ctx *request.Context, in *ecrapi.PutImageTagMutabilityRequest) (*ecrapi.PutImageTagMutabilityResponse, error) {
	t := targetOf(ctx, in.RegistryId)
	name := ptr.Deref(in.RepositoryName)
	if _, err := s.updateRepo(t, name, func(r *repoRecord) error {
		r.TagMutability = ptr.Deref(in.ImageTagMutability)
		return nil
	}); err != nil {
		return nil, err
	}
	return &ecrapi.PutImageTagMutabilityResponse{RegistryId: ptr.To(t.id()), RepositoryName: &name, ImageTagMutability: in.ImageTagMutability}, nil
}

// PutImageScanningConfiguration sets scan on push.
func (s *ECR) PutImageScanningConfiguration(ctx *request.Context, in *ecrapi.PutImageScanningConfigurationRequest) (*ecrapi.PutImageScanningConfigurationResponse, error) {
	t := targetOf(ctx, in.RegistryId)
	name := ptr.Deref(in.RepositoryName)
	r, err := s.updateRepo(t, name, func(r *repoRecord) error {
		r.ScanOnPush = in.ImageScanningConfiguration != nil && ptr.Deref(in.ImageScanningConfiguration.ScanOnPush)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ecrapi.PutImageScanningConfigurationResponse{RegistryId: ptr.To(t.id()), RepositoryName: &name,
		ImageScanningConfiguration: &ecrapi.ImageScanningConfiguration{ScanOnPush: ptr.To(r.ScanOnPush)}}, nil
}

// SetRepositoryPolicy attaches a repository policy. It is a resource
// policy: the IAM engine reads it (ResourcePolicy) for every request on
// the repository.
func (s *ECR) SetRepositoryPolicy(ctx *request.Context, in *ecrapi.SetRepositoryPolicyRequest) (*ecrapi.SetRepositoryPolicyResponse, error) {
	t := targetOf(ctx, in.RegistryId)
	name := ptr.Deref(in.RepositoryName)
	text := ptr.Deref(in.PolicyText)
	if _, err := iam.Parse(text); err != nil {
		return nil, invalidParam("Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'")
	}
	if _, err := s.updateRepo(t, name, func(r *repoRecord) error {
		r.Policy = text
		return nil
	}); err != nil {
		return nil, err
	}
	return &ecrapi.SetRepositoryPolicyResponse{RegistryId: ptr.To(t.id()), RepositoryName: &name, PolicyText: &text}, nil
}

func policyNotFound(t target, name string) error {
	return ecrapi.ErrRepositoryPolicyNotFoundException.New("Repository policy does not exist for the repository with name '%s' in the registry with id '%s'", name, t.id())
}

// GetRepositoryPolicy returns the repository policy.
func (s *ECR) GetRepositoryPolicy(ctx *request.Context, in *ecrapi.GetRepositoryPolicyRequest) (*ecrapi.GetRepositoryPolicyResponse, error) {
	t := targetOf(ctx, in.RegistryId)
	name := ptr.Deref(in.RepositoryName)
	r, err := s.viewRepo(t, name)
	if err != nil {
		return nil, err
	}
	if r.Policy == "" {
		return nil, policyNotFound(t, name)
	}
	return &ecrapi.GetRepositoryPolicyResponse{RegistryId: ptr.To(t.id()), RepositoryName: &name, PolicyText: ptr.To(r.Policy)}, nil
}

// DeleteRepositoryPolicy removes the repository policy.
func (s *ECR) DeleteRepositoryPolicy(ctx *request.Context, in *ecrapi.DeleteRepositoryPolicyRequest) (*ecrapi.DeleteRepositoryPolicyResponse, error) {
	t := targetOf(ctx, in.RegistryId)
	name := ptr.Deref(in.RepositoryName)
	var old string
	if _, err := s.updateRepo(t, name, func(r *repoRecord) error {
		if r.Policy == "" {
			return policyNotFound(t, name)
		}
		old, r.Policy = r.Policy, ""
		return nil
	}); err != nil {
		return nil, err
	}
	return &ecrapi.DeleteRepositoryPolicyResponse{RegistryId: ptr.To(t.id()), RepositoryName: &name, PolicyText: &old}, nil
}

// ResourcePolicy returns a repository's policy for the policy engine.
func (s *ECR) ResourcePolicy(_ context.Context, arn string) (string, string, bool, error) {
	sc, name, ok := parseRepoARN(arn)
	if !ok {
		return "", "", false, nil
	}
	var r repoRecord
	var found bool
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		r, found, err = repos.Get(tx, sc, name)
		return err
	})
	return r.Policy, sc.Account, found && r.Policy != "", err
}

// parseRepoARN reads arn:aws:ecr:<region>:<account>:repository/<name>.
func parseRepoARN(arn string) (storage.Scope, string, bool) {
	p := strings.SplitN(arn, ":", 6)
	if len(p) != 6 || p[0] != "arn" || p[2] != "ecr" || p[3] == "" || p[4] == "" || !strings.HasPrefix(p[5], "repository/") {
		return storage.Scope{}, "", false
	}
	name := strings.TrimPrefix(p[5], "repository/")
	if name == "" {
		return storage.Scope{}, "", false
	}
	return storage.Scope{Account: p[4], Region: p[3]}, name, true
}

// repoOfARN resolves a resourceArn of the tagging operations.
func repoOfARN(arn string) (target, string, error) {
	sc, name, ok := parseRepoARN(arn)
	if !ok {
		return target{}, "", invalidParam("Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'")
	}
	return target{scope: sc}, name, nil
}

// updateRepoOfARN is updateRepo of the repository an ARN names.
func (s *ECR) updateRepoOfARN(arn string, change func(r *repoRecord) error) error {
	t, name, err := repoOfARN(arn)
	if err != nil {
		return err
	}
	_, err = s.updateRepo(t, name, change)
	return err
}

// TagResource adds tags to a repository.
func (s *ECR) TagResource(_ *request.Context, in *ecrapi.TagResourceRequest) (*ecrapi.TagResourceResponse, error) {
	err := s.updateRepoOfARN(ptr.Deref(in.ResourceArn), func(r *repoRecord) error {
		if r.Tags == nil {
			r.Tags = map[string]string{}
		}
		for k, v := range tagMap(in.Tags) {
			if strings.HasPrefix(strings.ToLower(k), "aws:") {
				return ecrapi.ErrInvalidTagParameterException.New("Tag keys cannot start with 'aws:'")
			}
			r.Tags[k] = v
		}
		if len(r.Tags) > maxTags {
			return ecrapi.ErrTooManyTagsException.New("Cannot apply more than %d tags to a repository.", maxTags)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ecrapi.TagResourceResponse{}, nil
}

// UntagResource removes tags from a repository.
func (s *ECR) UntagResource(_ *request.Context, in *ecrapi.UntagResourceRequest) (*ecrapi.UntagResourceResponse, error) {
	err := s.updateRepoOfARN(ptr.Deref(in.ResourceArn), func(r *repoRecord) error {
		for _, k := range in.TagKeys {
			delete(r.Tags, k)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ecrapi.UntagResourceResponse{}, nil
}

// ListTagsForResource lists a repository's tags.
func (s *ECR) ListTagsForResource(_ *request.Context, in *ecrapi.ListTagsForResourceRequest) (*ecrapi.ListTagsForResourceResponse, error) {
	t, name, err := repoOfARN(ptr.Deref(in.ResourceArn))
	if err != nil {
		return nil, err
	}
	r, err := s.viewRepo(t, name)
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(r.Tags))
	for k := range r.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := &ecrapi.ListTagsForResourceResponse{Tags: []ecrapi.Tag{}}
	for _, k := range keys {
		out.Tags = append(out.Tags, ecrapi.Tag{Key: ptr.To(k), Value: ptr.To(r.Tags[k])})
	}
	return out, nil
}

// resourceTags answers aws:ResourceTag/<key> for a repository.
func (s *ECR) resourceTags(_ *request.Context, arn string) (map[string]string, bool, error) {
	sc, name, ok := parseRepoARN(arn)
	if !ok {
		return nil, false, nil
	}
	var r repoRecord
	var found bool
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		r, found, err = repos.Get(tx, sc, name)
		return err
	})
	return r.Tags, found, err
}
