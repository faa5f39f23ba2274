package events

import (
	"testing"

	eventsapi "github.com/niwa-cloud/niwa/internal/api/events"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/kit/kittest"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestResourceARNs: rule calls are checked on the rule, under its bus
// when it is not the default one; PutEvents on the default bus.
func TestResourceARNs(t *testing.T) {
	const prefix = "arn:aws:events:us-east-1:123456789012:"
	kittest.Resources(t, kit.Authz{Resources: resources}, "events", []kittest.Case{
		{Op: "PutRule", In: &eventsapi.PutRuleRequest{Name: ptr.To("r")}, Resource: prefix + "rule/r"},
		{Op: "PutRule", In: &eventsapi.PutRuleRequest{Name: ptr.To("r"), EventBusName: ptr.To("orders")}, Resource: prefix + "rule/orders/r"},
		{Op: "PutTargets", In: &eventsapi.PutTargetsRequest{Rule: ptr.To("r"), EventBusName: ptr.To("default")}, Resource: prefix + "rule/r"},
		{Op: "PutEvents", In: &eventsapi.PutEventsRequest{}, Resource: prefix + "event-bus/default"},
		{Op: "ListRules", In: &eventsapi.ListRulesRequest{}, Resource: "*"},
	})
}
