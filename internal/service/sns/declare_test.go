package sns

import (
	"testing"

	snsapi "github.com/niwa-cloud/niwa/internal/api/sns"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/kit/kittest"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestResourceARNs: SNS calls are checked on the topic, the topic of a
// subscription, or (mobile push) the platform application or endpoint.
func TestResourceARNs(t *testing.T) {

	kittest.Resources(t, kit.Authz{Resources: resources}, "sns", []kittest.Case{
		{Op: "CreatePlatformEndpoint", In: &snsapi.CreatePlatformEndpointInput{PlatformApplicationArn: ptr.To("arn:aws:sns:us-east-1:123456789012:app/GCM/a")}, Resource: "arn:aws:sns:us-east-1:123456789012:app/GCM/a"},
		{Op: "GetEndpointAttributes", In: &snsapi.GetEndpointAttributesInput{EndpointArn: ptr.To("arn:aws:sns:us-east-1:123456789012:endpoint/GCM/a/1")}, Resource: "arn:aws:sns:us-east-1:123456789012:endpoint/GCM/a/1"},
		{Op: "Unsubscribe", In: &snsapi.UnsubscribeInput{SubscriptionArn: ptr.To("arn:aws:sns:us-east-1:123456789012:t:0b3c")}, Resource: "arn:aws:sns:us-east-1:123456789012:t"},
		{Op: "CreateTopic", In: &snsapi.CreateTopicInput{Name: ptr.To("t")}, Resource: "arn:aws:sns:us-east-1:123456789012:t"},
	})
}
