package cloudfront

import (
	"strings"

	cfapi "github.com/niwa-cloud/niwa/internal/api/cloudfront"
	"github.com/niwa-cloud/niwa/internal/kit"
)

// Build makes the service from what the platform gives it, without S3
// behind its origins (internal/server wires that).
func Build(d kit.Deps) (kit.Declaration, error) {
	return New(Options{Store: d.Store, Clock: d.Clock, Log: d.Log, Region: d.Region}).Declare(), nil
}

// Declare is CloudFront as the platform sees it: the API's operations
// carry the model's version suffix (CreateDistribution2020_05_31, as
// CloudTrail records them) while IAM's actions do not
// (cloudfront:CreateDistribution); distributions are the resources;
// their domains are routed by Host to the edge and answered by niwa's
// DNS.
func (s *CloudFront) Declare() kit.Declaration {
	return kit.Declaration{
		Impl:      s,
		Namespace: "cloudfront",
		Authz: kit.Authz{
			Prefix:    "cloudfront",
			Renames:   renames(),
			Resources: resources,
		},
		Audit:             kit.Audit{Global: true},
		Routing:           kit.Routing{PathPrefixes: []string{"2020-05-31"}},
		Tags:              kit.TagLookup(s.resourceTags),
		Routes:            []kit.Route{{Name: "cloudfront-edge", Match: s.isEdge, Handler: s.edge()}},
		Names:             s.OwnsName,
		EachName:          s.EachName,
		ServerCertificate: s.ServerCertificate,
		NotImplemented:    notImplemented(),
		Reset:             s.Reset,
		Close:             s.Close,
		Resources:         s.cfnResources(),
	}
}

// apiSuffix ends every operation name of the 2020-05-31 API.
const apiSuffix = "2020_05_31"

// renames maps each operation to its IAM action (the name without the
// version suffix).
func renames() map[string]string {
	m := map[string]string{}
	// The generated operation list, not the model: parsing it here
	// cost start-up several milliseconds.
	for _, op := range cfapi.Spec().Operations {
		if a, ok := strings.CutSuffix(op, apiSuffix); ok {
			m[op] = a
		}
	}
	return m
}

// resources: a distribution's ARN for the operations on one.
func resources(op string, in kit.Input, env kit.Env) []string {
	if strings.Contains(op, "Distribution") || strings.Contains(op, "Invalidation") {
		id := in.Str("Id")
		if id == "" {
			id = in.Str("DistributionId")
		}
		if id != "" {
			return []string{"arn:aws:cloudfront::" + env.Account + ":distribution/" + id}
		}
	}
	if r := in.Str("Resource"); r != "" {
		return []string{r}
	}
	return nil
}

// notImplemented are the operations left out on purpose, with why.
func notImplemented() kit.Reasons {
	fn := "CloudFront Functions run in CloudFront's own JavaScript runtime (cloudfront-js-1.0/2.0: an ECMAScript subset with its own event shape, limits and KeyValueStore API), which niwa does not emulate; a function niwa kept but never ran at the edge would change nothing a viewer sees — use a Lambda@Edge-style origin (a Lambda behind API Gateway or a load balancer) instead"
	return kit.Reasons{}.
		Add(fn, "CreateFunction2020_05_31", "DescribeFunction2020_05_31", "GetFunction2020_05_31", "PublishFunction2020_05_31",
			"TestFunction2020_05_31", "UpdateFunction2020_05_31", "DeleteFunction2020_05_31", "ListFunctions2020_05_31").
		Add("KeyValueStores exist to be read by CloudFront Functions, which niwa does not run (see CreateFunction)",
			"CreateKeyValueStore2020_05_31", "DescribeKeyValueStore2020_05_31", "UpdateKeyValueStore2020_05_31",
			"DeleteKeyValueStore2020_05_31", "ListKeyValueStores2020_05_31").
		Add("field-level encryption encrypts chosen POST form fields at the edge with RSA public keys before the origin sees them; niwa's edge forwards request bodies unchanged, and profiles it could not apply would give a false sense of protection",
			"CreateFieldLevelEncryptionConfig2020_05_31", "GetFieldLevelEncryption2020_05_31", "GetFieldLevelEncryptionConfig2020_05_31",
			"UpdateFieldLevelEncryptionConfig2020_05_31", "DeleteFieldLevelEncryptionConfig2020_05_31", "ListFieldLevelEncryptionConfigs2020_05_31",
			"CreateFieldLevelEncryptionProfile2020_05_31", "GetFieldLevelEncryptionProfile2020_05_31", "GetFieldLevelEncryptionProfileConfig2020_05_31",
			"UpdateFieldLevelEncryptionProfile2020_05_31", "DeleteFieldLevelEncryptionProfile2020_05_31", "ListFieldLevelEncryptionProfiles2020_05_31").
		Add("continuous deployment splits a distribution's traffic between it and a staging copy (by weight, with session stickiness, or by header), which niwa's edge, serving one configuration per distribution, does not do",
			"CopyDistribution2020_05_31", "UpdateDistributionWithStagingConfig2020_05_31",
			"CreateContinuousDeploymentPolicy2020_05_31", "GetContinuousDeploymentPolicy2020_05_31", "GetContinuousDeploymentPolicyConfig2020_05_31",
			"UpdateContinuousDeploymentPolicy2020_05_31", "DeleteContinuousDeploymentPolicy2020_05_31", "ListContinuousDeploymentPolicies2020_05_31").
		Add("moving an alias is authorized by the TXT record _<alias> pointing at the target distribution, which CloudFront looks up in public DNS; niwa's CloudFront does not read niwa's DNS, and moving an alias without that proof would let any account take another's name (remove the alias from one distribution, then add it to the other)",
			"AssociateAlias2020_05_31").
		Add("RTMP streaming distributions were discontinued by AWS in 2020",
			"CreateStreamingDistribution2020_05_31", "CreateStreamingDistributionWithTags2020_05_31", "GetStreamingDistribution2020_05_31",
			"GetStreamingDistributionConfig2020_05_31", "UpdateStreamingDistribution2020_05_31", "DeleteStreamingDistribution2020_05_31",
			"ListStreamingDistributions2020_05_31").
		Add("real-time logs need Kinesis Data Streams, which niwa does not have",
			"CreateRealtimeLogConfig2020_05_31", "GetRealtimeLogConfig2020_05_31", "UpdateRealtimeLogConfig2020_05_31",
			"DeleteRealtimeLogConfig2020_05_31", "ListRealtimeLogConfigs2020_05_31", "ListDistributionsByRealtimeLogConfig2020_05_31")
}
