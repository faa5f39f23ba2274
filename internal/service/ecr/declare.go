package ecr

import (
	"github.com/niwa-cloud/niwa/internal/kit"
)

// Declare is ECR as the platform sees it: repositories are
// "repository/<name>" in the registry (account) the request names,
// repository policies are resource policies, repository tags answer
// aws:ResourceTag.
func (s *ECR) Declare() kit.Declaration {
	return kit.Declaration{
		Impl:      s,
		Namespace: "ecr",
		Authz:     kit.Authz{Resources: resources, Policies: s},
		Tags:      kit.TagLookup(s.resourceTags),
		Audit: kit.Audit{ReadOnly: map[string]bool{
			"BatchCheckLayerAvailability": true, "BatchGetImage": true, "BatchGetRepositoryScanningConfiguration": true,
		}},
		// A layer part is at most 20 MiB, base64 in a JSON body.
		Limits:    kit.Limits{MaxBody: 28 << 20},
		Resources: s.cfnResources(), // CloudFormation (cfn.go)
		NotImplemented: kit.Reasons{}.
			Add("pull through cache rules fetch images from an upstream registry (Docker Hub, Quay, GitHub, another ECR), which niwa, running offline with no registry endpoint, cannot reach or serve",
				"CreatePullThroughCacheRule", "DeletePullThroughCacheRule", "DescribePullThroughCacheRules", "UpdatePullThroughCacheRule", "ValidatePullThroughCacheRule").
			Add("image scans need a vulnerability database and scanner (ECR's basic scanning or Amazon Inspector), which niwa does not have; scanning configurations are stored and reported",
				"StartImageScan", "DescribeImageScanFindings").
			Add("a layer is downloaded from the presigned URL of a Docker registry v2 endpoint, and niwa runs no registry endpoint; BatchGetImage returns manifests",
				"GetDownloadUrlForLayer").
			Add("niwa stores the replication configuration but does not copy images between regions or accounts, so there is no replication status",
				"DescribeImageReplicationStatus").
			Add("repository creation templates apply to repositories that pull through cache, replication or create-on-push make, none of which niwa runs",
				"CreateRepositoryCreationTemplate", "DeleteRepositoryCreationTemplate", "DescribeRepositoryCreationTemplates", "UpdateRepositoryCreationTemplate"),
	}
}

// resources: repository calls act on the repository's ARN in the
// registry named (registryId) or the caller's; registry-wide calls
// (GetAuthorizationToken, registry policy, scanning and replication
// configuration) on "*".
func resources(_ string, in kit.Input, env kit.Env) []string {
	if a := in.Str("ResourceArn"); a != "" {
		return []string{a}
	}
	acct := in.Str("RegistryId")
	if acct == "" {
		acct = env.Account
	}
	if name := in.Str("RepositoryName"); name != "" {
		return []string{kit.ARN("ecr", env.Region, acct, "repository/"+name)}
	}
	if names := in.Strs("RepositoryNames"); len(names) > 0 {
		out := make([]string, len(names))
		for i, n := range names {
			out[i] = kit.ARN("ecr", env.Region, acct, "repository/"+n)
		}
		return out
	}
	return nil
}
