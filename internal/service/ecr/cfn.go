package ecr

import (
	"strings"

	ecrapi "github.com/niwa-cloud/niwa/internal/api/ecr"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnResources are ECR's CloudFormation resource types.
func (s *ECR) cfnResources() map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the repository name; Fn::GetAtt Arn, RepositoryUri.
		"AWS::ECR::Repository": {Create: s.cfnCreateRepository, Update: s.cfnUpdateRepository, Delete: s.cfnDeleteRepository,
			Replace: []string{"RepositoryName", "EncryptionConfiguration"}, Tags: true},
		// Ref is the registry id (the account); Fn::GetAtt RegistryId.
		// The policy changes in place.
		"AWS::ECR::RegistryPolicy": {Create: s.cfnPutRegistryPolicy, Update: s.cfnPutRegistryPolicy, Delete: s.cfnDeleteRegistryPolicy},
		// Ref is the registry id; Fn::GetAtt RegistryId. niwa keeps the
		// rules (DescribeRegistry answers them) and copies no images.
		"AWS::ECR::ReplicationConfiguration": {Create: s.cfnPutReplication, Update: s.cfnPutReplication, Delete: s.cfnDeleteReplication},
		// Ref is the registry id; Fn::GetAtt RegistryId. Deleting it
		// returns the registry to BASIC scanning with no rules.
		"AWS::ECR::RegistryScanningConfiguration": {Create: s.cfnPutScanning, Update: s.cfnPutScanning, Delete: s.cfnDeleteScanning},
	}
}

func registryResult(ctx *request.Context) kit.ResourceResult {
	id := targetOf(ctx, nil).id()
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"RegistryId": id}}
}

func (s *ECR) cfnPutRegistryPolicy(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	text := kit.PropJSON(r.Properties, "PolicyText")
	if _, err := s.PutRegistryPolicy(ctx, &ecrapi.PutRegistryPolicyRequest{PolicyText: &text}); err != nil {
		return kit.ResourceResult{}, err
	}
	return registryResult(ctx), nil
}

func (s *ECR) cfnDeleteRegistryPolicy(ctx *request.Context, _ kit.ResourceRequest) error {
	_, err := s.DeleteRegistryPolicy(ctx, &ecrapi.DeleteRegistryPolicyRequest{})
	if ecrapi.ErrRegistryPolicyNotFoundException.Is(err) {
		return nil
	}
	return err
}

func (s *ECR) cfnPutReplication(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	rc := &ecrapi.ReplicationConfiguration{}
	if err := kit.DecodeProp(r.Properties, "ReplicationConfiguration", rc); err != nil {
		return kit.ResourceResult{}, cfnInvalid(r, err)
	}
	if _, err := s.PutReplicationConfiguration(ctx, &ecrapi.PutReplicationConfigurationRequest{ReplicationConfiguration: rc}); err != nil {
		return kit.ResourceResult{}, err
	}
	return registryResult(ctx), nil
}

func (s *ECR) cfnDeleteReplication(ctx *request.Context, _ kit.ResourceRequest) error {
	_, err := s.PutReplicationConfiguration(ctx, &ecrapi.PutReplicationConfigurationRequest{ReplicationConfiguration: &ecrapi.ReplicationConfiguration{}})
	return err
}

func (s *ECR) cfnPutScanning(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &ecrapi.PutRegistryScanningConfigurationRequest{ScanType: ptr.To(r.Str("ScanType"))}
	if err := kit.DecodeProp(r.Properties, "Rules", &in.Rules); err != nil {
		return kit.ResourceResult{}, cfnInvalid(r, err)
	}
	if _, err := s.PutRegistryScanningConfiguration(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	return registryResult(ctx), nil
}

func (s *ECR) cfnDeleteScanning(ctx *request.Context, _ kit.ResourceRequest) error {
	_, err := s.PutRegistryScanningConfiguration(ctx, &ecrapi.PutRegistryScanningConfigurationRequest{ScanType: ptr.To("BASIC")})
	return err
}

func cfnInvalid(r kit.ResourceRequest, err error) error {
	return awserr.ValidationError.New("Properties validation failed for resource %s with message: %v", r.LogicalID, err)
}

func (s *ECR) cfnResult(ctx *request.Context, name string) kit.ResourceResult {
	t := targetOf(ctx, nil)
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{
		"Arn": repoARN(t.scope, name), "RepositoryUri": registryHost(ctx, t.scope) + "/" + name}}
}

func (s *ECR) cfnCreateRepository(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.Str("RepositoryName")
	if name == "" {
		// Repository names are lowercase.
		name = strings.ToLower(kit.PhysicalName(r, 256))
	}
	in := &ecrapi.CreateRepositoryRequest{RepositoryName: &name}
	if m := r.Str("ImageTagMutability"); m != "" {
		in.ImageTagMutability = &m
	}
	if err := kit.DecodeProp(r.Properties, "ImageScanningConfiguration", &in.ImageScanningConfiguration); err != nil {
		return kit.ResourceResult{}, cfnInvalid(r, err)
	}
	if err := kit.DecodeProp(r.Properties, "EncryptionConfiguration", &in.EncryptionConfiguration); err != nil {
		return kit.ResourceResult{}, cfnInvalid(r, err)
	}
	for k, v := range kit.PropTags(r.Properties) {
		in.Tags = append(in.Tags, ecrapi.Tag{Key: ptr.To(k), Value: ptr.To(v)})
	}
	if _, err := s.CreateRepository(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	// The policies are set after the repository exists; a refused one
	// fails the resource, and CloudFormation's rollback deletes it.
	if err := s.cfnPolicies(ctx, name, r.Properties, nil); err != nil {
		return kit.ResourceResult{}, err
	}
	return s.cfnResult(ctx, name), nil
}

// cfnPolicies brings the repository and lifecycle policies from old to
// props.
func (s *ECR) cfnPolicies(ctx *request.Context, name string, props, old map[string]any) error {
	if text := kit.PropJSON(props, "RepositoryPolicyText"); text != "" {
		if _, err := s.SetRepositoryPolicy(ctx, &ecrapi.SetRepositoryPolicyRequest{RepositoryName: &name, PolicyText: &text}); err != nil {
			return err
		}
	} else if kit.PropJSON(old, "RepositoryPolicyText") != "" {
		if _, err := s.DeleteRepositoryPolicy(ctx, &ecrapi.DeleteRepositoryPolicyRequest{RepositoryName: &name}); err != nil && !ecrapi.ErrRepositoryPolicyNotFoundException.Is(err) {
			return err
		}
	}
	lifecycle := func(p map[string]any) string {
		return kit.PropStr(kit.PropMap(p, "LifecyclePolicy"), "LifecyclePolicyText")
	}
	if text := lifecycle(props); text != "" {
		if _, err := s.PutLifecyclePolicy(ctx, &ecrapi.PutLifecyclePolicyRequest{RepositoryName: &name, LifecyclePolicyText: &text}); err != nil {
			return err
		}
	} else if lifecycle(old) != "" {
		if _, err := s.DeleteLifecyclePolicy(ctx, &ecrapi.DeleteLifecyclePolicyRequest{RepositoryName: &name}); err != nil && !ecrapi.ErrLifecyclePolicyNotFoundException.Is(err) {
			return err
		}
	}
	return nil
}

func (s *ECR) cfnUpdateRepository(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.PhysicalID
	m := r.Str("ImageTagMutability")
	if m == "" {
		m = "MUTABLE"
	}
	if _, err := s.PutImageTagMutability(ctx, &ecrapi.PutImageTagMutabilityRequest{RepositoryName: &name, ImageTagMutability: &m}); err != nil {
		return kit.ResourceResult{}, err
	}
	scan := &ecrapi.ImageScanningConfiguration{}
	if err := kit.DecodeProp(r.Properties, "ImageScanningConfiguration", scan); err != nil {
		return kit.ResourceResult{}, cfnInvalid(r, err)
	}
	if _, err := s.PutImageScanningConfiguration(ctx, &ecrapi.PutImageScanningConfigurationRequest{RepositoryName: &name, ImageScanningConfiguration: scan}); err != nil {
		return kit.ResourceResult{}, err
	}
	if err := s.cfnPolicies(ctx, name, r.Properties, r.OldProperties); err != nil {
		return kit.ResourceResult{}, err
	}
	arn := ptr.To(repoARN(targetOf(ctx, nil).scope, name))
	newTags, oldTags := kit.PropTags(r.Properties), kit.PropTags(r.OldProperties)
	var gone []string
	for k := range oldTags {
		if _, ok := newTags[k]; !ok {
			gone = append(gone, k)
		}
	}
	if len(gone) > 0 {
		if _, err := s.UntagResource(ctx, &ecrapi.UntagResourceRequest{ResourceArn: arn, TagKeys: gone}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if len(newTags) > 0 {
		in := &ecrapi.TagResourceRequest{ResourceArn: arn}
		for k, v := range newTags {
			in.Tags = append(in.Tags, ecrapi.Tag{Key: ptr.To(k), Value: ptr.To(v)})
		}
		if _, err := s.TagResource(ctx, in); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return s.cfnResult(ctx, name), nil
}

// cfnDeleteRepository deletes the repository; one holding images only
// with EmptyOnDelete, as AWS's provider does.
func (s *ECR) cfnDeleteRepository(ctx *request.Context, r kit.ResourceRequest) error {
	force := kit.PropBool(r.Properties, "EmptyOnDelete")
	_, err := s.DeleteRepository(ctx, &ecrapi.DeleteRepositoryRequest{RepositoryName: &r.PhysicalID, Force: &force})
	if ecrapi.ErrRepositoryNotFoundException.Is(err) {
		return nil
	}
	return err
}
