package ecr

import (
	"encoding/base64"
	"time"

	ecrapi "github.com/niwa-cloud/niwa/internal/api/ecr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// tokenLifetime is how long an authorization token is valid (12 hours
// on AWS).
const tokenLifetime = 12 * time.Hour

const registryKey = "registry"

// GetAuthorizationToken returns a token for `docker login`: base64 of
// "AWS:<password>", with the registry's endpoint. niwa runs no registry
// behind it, so the token opens nothing; tools that only ask for one
// (CDK, Terraform data sources) work.
func (s *ECR) GetAuthorizationToken(ctx *request.Context, in *ecrapi.GetAuthorizationTokenRequest) (*ecrapi.GetAuthorizationTokenResponse, error) {
	ids := in.RegistryIds
	if len(ids) == 0 {
		ids = []string{ctx.Account}
	}
	expires := ctx.Now().Add(tokenLifetime)
	out := &ecrapi.GetAuthorizationTokenResponse{AuthorizationData: []ecrapi.AuthorizationData{}}
	for _, id := range ids {
		t := targetOf(ctx, &id)
		token := base64.StdEncoding.EncodeToString([]byte("AWS:" + awsid.Base64(96)))
		out.AuthorizationData = append(out.AuthorizationData, ecrapi.AuthorizationData{AuthorizationToken: ptr.To(token),
			ExpiresAt: &expires, ProxyEndpoint: ptr.To("http://" + registryHost(ctx, t.scope))})
	}
	return out, nil
}

func (s *ECR) getRegistry(t target) (registryRecord, error) {
	var r registryRecord
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		r, _, err = registry.Get(tx, t.scope, registryKey)
		return err
	})
	return r, err
}

func (s *ECR) updateRegistry(t target, change func(r *registryRecord) error) error {
	return s.store.Update(func(tx storage.Tx) error {
		r, _, err := registry.Get(tx, t.scope, registryKey)
		if err != nil {
			return err
		}
		if err := change(&r); err != nil {
			return err
		}
		return registry.Put(tx, t.scope, r, registryKey)
	})
}

// DescribeRegistry returns the registry's replication configuration.
func (s *ECR) DescribeRegistry(ctx *request.Context, _ *ecrapi.DescribeRegistryRequest) (*ecrapi.DescribeRegistryResponse, error) {
	t := targetOf(ctx, nil)
	r, err := s.getRegistry(t)
	if err != nil {
		return nil, err
	}
	rc := r.Replication
	if rc == nil {
		rc = &ecrapi.ReplicationConfiguration{Rules: []ecrapi.ReplicationRule{}}
	}
	return &ecrapi.DescribeRegistryResponse{RegistryId: ptr.To(t.id()), ReplicationConfiguration: rc}, nil
}

// PutReplicationConfiguration stores the registry's replication rules.
// niwa keeps them (DescribeRegistry answers them); it does not copy
// images between regions or accounts.
func (s *ECR) PutReplicationConfiguration(ctx *request.Context, in *ecrapi.PutReplicationConfigurationRequest) (*ecrapi.PutReplicationConfigurationResponse, error) {
	t := targetOf(ctx, nil)
	rc := in.ReplicationConfiguration
	if rc == nil {
		rc = &ecrapi.ReplicationConfiguration{}
	}
	if rc.Rules == nil {
		rc.Rules = []ecrapi.ReplicationRule{}
	}
	for _, rule := range rc.Rules {
		for _, d := range rule.Destinations {
			if ptr.Deref(d.Region) == t.scope.Region && ptr.Deref(d.RegistryId) == t.id() {
				return nil, invalidParam("Invalid parameter at 'replicationConfiguration' failed to satisfy constraint: 'Replication destination cannot be the same as the source registry'")
			}
		}
	}
	if err := s.updateRegistry(t, func(r *registryRecord) error {
		r.Replication = rc
		return nil
	}); err != nil {
		return nil, err
	}
	return &ecrapi.PutReplicationConfigurationResponse{ReplicationConfiguration: rc}, nil
}

// PutRegistryPolicy sets the registry's permissions policy.
func (s *ECR) PutRegistryPolicy(ctx *request.Context, in *ecrapi.PutRegistryPolicyRequest) (*ecrapi.PutRegistryPolicyResponse, error) {
	t := targetOf(ctx, nil)
	text := ptr.Deref(in.PolicyText)
	if _, err := iam.Parse(text); err != nil {
		return nil, invalidParam("Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid registry policy provided'")
	}
	if err := s.updateRegistry(t, func(r *registryRecord) error {
		r.Policy = text
		return nil
	}); err != nil {
		return nil, err
	}
	return &ecrapi.PutRegistryPolicyResponse{RegistryId: ptr.To(t.id()), PolicyText: &text}, nil
}

func registryPolicyNotFound(t target) error {
	return ecrapi.ErrRegistryPolicyNotFoundException.New("Registry policy does not exist in the registry with id '%s'", t.id())
}

// GetRegistryPolicy returns the registry's permissions policy.
func (s *ECR) GetRegistryPolicy(ctx *request.Context, _ *ecrapi.GetRegistryPolicyRequest) (*ecrapi.GetRegistryPolicyResponse, error) {
	t := targetOf(ctx, nil)
	r, err := s.getRegistry(t)
	if err != nil {
		return nil, err
	}
	if r.Policy == "" {
		return nil, registryPolicyNotFound(t)
	}
	return &ecrapi.GetRegistryPolicyResponse{RegistryId: ptr.To(t.id()), PolicyText: ptr.To(r.Policy)}, nil
}

// DeleteRegistryPolicy removes the registry's permissions policy.
func (s *ECR) DeleteRegistryPolicy(ctx *request.Context, _ *ecrapi.DeleteRegistryPolicyRequest) (*ecrapi.DeleteRegistryPolicyResponse, error) {
	t := targetOf(ctx, nil)
	var old string
	if err := s.updateRegistry(t, func(r *registryRecord) error {
		if r.Policy == "" {
			return registryPolicyNotFound(t)
		}
		old, r.Policy = r.Policy, ""
		return nil
	}); err != nil {
		return nil, err
	}
	return &ecrapi.DeleteRegistryPolicyResponse{RegistryId: ptr.To(t.id()), PolicyText: &old}, nil
}

// PutRegistryScanningConfiguration stores the registry's scanning rules.
// niwa runs no vulnerability scanner: the configuration is kept and
// reported, scans never start.
func (s *ECR) PutRegistryScanningConfiguration(ctx *request.Context, in *ecrapi.PutRegistryScanningConfigurationRequest) (*ecrapi.PutRegistryScanningConfigurationResponse, error) {
	t := targetOf(ctx, nil)
	st := ptr.Deref(in.ScanType)
	if st == "" {
		st = "BASIC"
	}
	for _, r := range in.Rules {
		if st == "BASIC" && ptr.Deref(r.ScanFrequency) == "CONTINUOUS_SCAN" {
			return nil, invalidParam("Invalid parameter at 'scanFrequency' failed to satisfy constraint: 'CONTINUOUS_SCAN is only supported with scanType ENHANCED'")
		}
	}
	rules := in.Rules
	if rules == nil {
		rules = []ecrapi.RegistryScanningRule{}
	}
	if err := s.updateRegistry(t, func(r *registryRecord) error {
		r.ScanType, r.ScanRules = st, rules
		return nil
	}); err != nil {
		return nil, err
	}
	return &ecrapi.PutRegistryScanningConfigurationResponse{RegistryScanningConfiguration: &ecrapi.RegistryScanningConfiguration{
		ScanType: &st, Rules: rules}}, nil
}

// GetRegistryScanningConfiguration returns the registry's scanning rules
// (BASIC with none until set).
func (s *ECR) GetRegistryScanningConfiguration(ctx *request.Context, _ *ecrapi.GetRegistryScanningConfigurationRequest) (*ecrapi.GetRegistryScanningConfigurationResponse, error) {
	t := targetOf(ctx, nil)
	r, err := s.getRegistry(t)
	if err != nil {
		return nil, err
	}
	st, rules := r.ScanType, r.ScanRules
	if st == "" {
		st = "BASIC"
	}
	if rules == nil {
		rules = []ecrapi.RegistryScanningRule{}
	}
	return &ecrapi.GetRegistryScanningConfigurationResponse{RegistryId: ptr.To(t.id()),
		ScanningConfiguration: &ecrapi.RegistryScanningConfiguration{ScanType: &st, Rules: rules}}, nil
}

// BatchGetRepositoryScanningConfiguration reports how each repository
// would be scanned: by the first registry rule whose filters match it,
// else by its own scan-on-push setting.
func (s *ECR) BatchGetRepositoryScanningConfiguration(ctx *request.Context, in *ecrapi.BatchGetRepositoryScanningConfigurationRequest) (*ecrapi.BatchGetRepositoryScanningConfigurationResponse, error) {
	t := targetOf(ctx, nil)
	reg, err := s.getRegistry(t)
	if err != nil {
		return nil, err
	}
	out := &ecrapi.BatchGetRepositoryScanningConfigurationResponse{ScanningConfigurations: []ecrapi.RepositoryScanningConfiguration{},
		Failures: []ecrapi.RepositoryScanningConfigurationFailure{}}
	err = s.store.View(func(tx storage.Tx) error {
		for _, name := range in.RepositoryNames {
			r, ok, err := repos.Get(tx, t.scope, name)
			if err != nil {
				return err
			}
			if !ok {
				out.Failures = append(out.Failures, ecrapi.RepositoryScanningConfigurationFailure{RepositoryName: ptr.To(name),
					FailureCode: ptr.To("REPOSITORY_NOT_FOUND"), FailureReason: ptr.To("REPOSITORY_NOT_FOUND")})
				continue
			}
			c := ecrapi.RepositoryScanningConfiguration{RepositoryArn: ptr.To(repoARN(t.scope, name)), RepositoryName: ptr.To(name),
				ScanOnPush: ptr.To(r.ScanOnPush), ScanFrequency: ptr.To("MANUAL"), AppliedScanFilters: []ecrapi.ScanningRepositoryFilter{}}
			if r.ScanOnPush {
				c.ScanFrequency = ptr.To("SCAN_ON_PUSH")
			}
		rules:
			for _, rule := range reg.ScanRules {
				for _, f := range rule.RepositoryFilters {
					if iam.Glob(ptr.Deref(f.Filter), name) {
						c.ScanFrequency = rule.ScanFrequency
						c.ScanOnPush = ptr.To(ptr.Deref(rule.ScanFrequency) == "SCAN_ON_PUSH")
						c.AppliedScanFilters = []ecrapi.ScanningRepositoryFilter{f}
						break rules
					}
				}
			}
			out.ScanningConfigurations = append(out.ScanningConfigurations, c)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
