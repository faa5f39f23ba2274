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
		ServerCertificate: s.ServerCertificate,
		NotImplemented:    notImplemented(),
		Reset:             s.Reset,
		Resources:         s.cfnResources(),
	}
}

// apiSuffix ends every operation name of the 2020-05-31 API.
const apiSuffix = "2020_05_31"

// renames maps each operation to its IAM action (the name without the
// version suffix).
func renames() map[string]string {
	m := map[string]string{}
	svc, err := cfapi.Spec().Model()
	if err != nil {
		return m
	}
	for _, op := range svc.OperationNames() {
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
	fn := "CloudFront Functions run JavaScript at the edge, which niwa has no runtime for"
	return kit.Reasons{}.
		Add(fn, "CreateFunction2020_05_31", "DescribeFunction2020_05_31", "GetFunction2020_05_31", "PublishFunction2020_05_31",
			"TestFunction2020_05_31", "UpdateFunction2020_05_31", "DeleteFunction2020_05_31", "ListFunctions2020_05_31").
		Add("niwa keeps only AWS's managed policies; custom policies are not kept yet",
			"CreateCachePolicy2020_05_31", "UpdateCachePolicy2020_05_31", "DeleteCachePolicy2020_05_31",
			"CreateOriginRequestPolicy2020_05_31", "UpdateOriginRequestPolicy2020_05_31", "DeleteOriginRequestPolicy2020_05_31",
			"CreateResponseHeadersPolicy2020_05_31", "UpdateResponseHeadersPolicy2020_05_31", "DeleteResponseHeadersPolicy2020_05_31").
		Add("RTMP streaming distributions were discontinued by AWS in 2020",
			"CreateStreamingDistribution2020_05_31", "CreateStreamingDistributionWithTags2020_05_31", "GetStreamingDistribution2020_05_31",
			"GetStreamingDistributionConfig2020_05_31", "UpdateStreamingDistribution2020_05_31", "DeleteStreamingDistribution2020_05_31",
			"ListStreamingDistributions2020_05_31").
		Add("real-time logs need Kinesis Data Streams, which niwa does not have",
			"CreateRealtimeLogConfig2020_05_31", "GetRealtimeLogConfig2020_05_31", "UpdateRealtimeLogConfig2020_05_31",
			"DeleteRealtimeLogConfig2020_05_31", "ListRealtimeLogConfigs2020_05_31")
}
