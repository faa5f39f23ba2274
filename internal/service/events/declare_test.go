package events

import (
	"testing"

	eventsapi "github.com/niwa-cloud/niwa/internal/api/events"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestResourceARNs: rule calls are checked on the rule, under its bus
// when it is not the default one; PutEvents on the default bus.
func TestResourceARNs(t *testing.T) {
	env := kit.Env{Account: "123456789012", Region: "us-east-1"}
	const prefix = "arn:aws:events:us-east-1:123456789012:"
	rules := kit.Authz{Resources: resources}
	for _, tc := range []struct {
		op   string
		in   any
		want string
	}{
		{"PutRule", &eventsapi.PutRuleRequest{Name: ptr.To("r")}, prefix + "rule/r"},
		{"PutRule", &eventsapi.PutRuleRequest{Name: ptr.To("r"), EventBusName: ptr.To("orders")}, prefix + "rule/orders/r"},
		{"PutTargets", &eventsapi.PutTargetsRequest{Rule: ptr.To("r"), EventBusName: ptr.To("default")}, prefix + "rule/r"},
		{"PutEvents", &eventsapi.PutEventsRequest{}, prefix + "event-bus/default"},
		{"ListRules", &eventsapi.ListRulesRequest{}, "*"},
	} {
		if got := rules.Checks("events", tc.op, tc.in, env)[0].Resource; got != tc.want {
			t.Errorf("%s %+v: %s, want %s", tc.op, tc.in, got, tc.want)
		}
	}
}
