package events

import (
	"strings"

	eventsapi "github.com/niwa-cloud/niwa/internal/api/events"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Declare is EventBridge as the platform sees it: rule calls are checked
// on the rule (of its bus), PutEvents on the default bus, and rule tags
// answer aws:ResourceTag.
func (s *Events) Declare() kit.Declaration {
	return kit.Declaration{
		Resources: s.cfnResources(), // CloudFormation (cfn.go)

		Impl:      s,
		Namespace: "events",
		Authz:     kit.Authz{Resources: resources},
		Tags:      kit.TagLookup(s.resourceTags),
		Reset:     s.Reset,
		Close:     s.Close,
	}
}

func resources(op string, in kit.Input, env kit.Env) []string {
	rule := in.Str("Rule")
	if rule == "" && strings.Contains(op, "Rule") {
		rule = in.Str("Name")
	}
	bus := in.Str("EventBusName")
	if rule != "" {
		if bus != "" && bus != "default" && !strings.HasPrefix(bus, "arn:") {
			rule = bus + "/" + rule
		}
		return []string{kit.ARN("events", env.Region, env.Account, "rule/"+rule)}
	}
	if a := in.Str("ResourceARN"); a != "" {
		return []string{a}
	}
	if op == "PutEvents" {
		return []string{kit.ARN("events", env.Region, env.Account, "event-bus/default")}
	}
	return nil
}

// resourceTags reads a resource's tags through ListTagsForResource.
func (s *Events) resourceTags(ctx *request.Context, arn string) (map[string]string, bool, error) {
	c, _, ok := kit.ARNScope(ctx, arn)
	if !ok {
		return nil, false, nil
	}
	out, err := s.ListTagsForResource(c, &eventsapi.ListTagsForResourceRequest{ResourceARN: &arn})
	if err != nil {
		return kit.NotFound(err)
	}
	return kit.TagMap(out.Tags, func(t eventsapi.Tag) (*string, *string) { return t.Key, t.Value }), true, nil
}
