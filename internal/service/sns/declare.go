package sns

import (
	"strings"

	snsapi "github.com/niwa-cloud/niwa/internal/api/sns"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Declare is SNS as the platform sees it: topics (and mobile push
// applications and endpoints) are named by ARN, topic tags answer
// aws:ResourceTag, publishing is a CloudTrail data event, and the signing
// certificate, SubscribeURL/UnsubscribeURL and recorded emails are raw
// routes under /_niwa/sns/.
func (s *SNS) Declare() kit.Declaration {
	return kit.Declaration{
		Resources: s.cfnResources(), // CloudFormation (cfn.go)

		Impl:      s,
		Namespace: "sns",
		Authz: kit.Authz{
			Renames:   map[string]string{"PublishBatch": "Publish"},
			Resources: resources,
		},
		Audit:  kit.Audit{DataEvents: kit.Set("Publish", "PublishBatch")},
		Tags:   kit.TagLookup(s.resourceTags),
		Routes: []kit.Route{{Name: "sns", Match: s.Matches, Handler: s.HTTP()}},
		Close:  s.Close,
	}
}

func resources(op string, in kit.Input, env kit.Env) []string {
	for _, m := range []string{"TopicArn", "TargetArn", "ResourceArn", "PlatformApplicationArn", "EndpointArn"} {
		if a := in.Str(m); a != "" {
			return []string{a}
		}
	}
	if s := in.Str("SubscriptionArn"); strings.Count(s, ":") >= 6 {
		return []string{s[:strings.LastIndexByte(s, ':')]}
	}
	if n := in.Str("Name"); n != "" && op == "CreateTopic" {
		return []string{kit.ARN("sns", env.Region, env.Account, n)}
	}
	return nil
}

// resourceTags reads a topic's tags through ListTagsForResource.
func (s *SNS) resourceTags(ctx *request.Context, arn string) (map[string]string, bool, error) {
	c, _, ok := kit.ARNScope(ctx, arn)
	if !ok {
		return nil, false, nil
	}
	out, err := s.ListTagsForResource(c, &snsapi.ListTagsForResourceInput{ResourceArn: &arn})
	if err != nil {
		return kit.NotFound(err)
	}
	return kit.TagMap(out.Tags, func(t snsapi.Tag) (*string, *string) { return t.Key, t.Value }), true, nil
}
