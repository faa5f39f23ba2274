package sns

import (
	"testing"

	snsapi "github.com/niwa-cloud/niwa/internal/api/sns"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestResourceARNs: SNS calls are checked on the topic, the topic of a
// subscription, or (mobile push) the platform application or endpoint.
func TestResourceARNs(t *testing.T) {
	env := kit.Env{Account: "123456789012", Region: "us-east-1"}
	rules := kit.Authz{Resources: resources}
	for _, tc := range []struct {
		op   string
		in   any
		want string
	}{
		{"CreatePlatformEndpoint", &snsapi.CreatePlatformEndpointInput{PlatformApplicationArn: ptr.To("arn:aws:sns:us-east-1:123456789012:app/GCM/a")}, "arn:aws:sns:us-east-1:123456789012:app/GCM/a"},
		{"GetEndpointAttributes", &snsapi.GetEndpointAttributesInput{EndpointArn: ptr.To("arn:aws:sns:us-east-1:123456789012:endpoint/GCM/a/1")}, "arn:aws:sns:us-east-1:123456789012:endpoint/GCM/a/1"},
		{"Unsubscribe", &snsapi.UnsubscribeInput{SubscriptionArn: ptr.To("arn:aws:sns:us-east-1:123456789012:t:0b3c")}, "arn:aws:sns:us-east-1:123456789012:t"},
		{"CreateTopic", &snsapi.CreateTopicInput{Name: ptr.To("t")}, "arn:aws:sns:us-east-1:123456789012:t"},
	} {
		if got := rules.Checks("sns", tc.op, tc.in, env)[0].Resource; got != tc.want {
			t.Errorf("%s %+v: %s, want %s", tc.op, tc.in, got, tc.want)
		}
	}
}
