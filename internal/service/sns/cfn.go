package sns

import (
	"strings"

	snsapi "github.com/niwa-cloud/niwa/internal/api/sns"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnResources are SNS's CloudFormation resource types.
func (s *SNS) cfnResources() map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the topic ARN; Fn::GetAtt TopicArn, TopicName.
		"AWS::SNS::Topic": {Read: s.cfnReadTopic,
			Create: s.cfnCreateTopic, Update: s.cfnUpdateTopic, Delete: s.cfnDeleteTopic,
			Replace: []string{"TopicName", "FifoTopic"}, Tags: true,
		},
		// Ref is the subscription ARN.
		"AWS::SNS::Subscription": {
			Create: s.cfnSubscribe, Update: s.cfnUpdateSubscription, Delete: s.cfnUnsubscribe,
			Replace: []string{"TopicArn", "Protocol", "Endpoint"},
		},
		// Ref is a generated id.
		"AWS::SNS::TopicPolicy": {
			Create: s.cfnPutTopicPolicy, Update: s.cfnPutTopicPolicy, Delete: s.cfnDeleteTopicPolicy,
		},
		// Ref is the topic's ARN. One topic, one policy.
		"AWS::SNS::TopicInlinePolicy": {
			Create: s.cfnPutTopicInlinePolicy, Update: s.cfnPutTopicInlinePolicy, Delete: s.cfnDeleteTopicInlinePolicy,
			Replace: []string{"TopicArn"},
		},
	}
}

func (s *SNS) cfnPutTopicInlinePolicy(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	arn, name, doc := r.Str("TopicArn"), "Policy", kit.PropJSON(r.Properties, "PolicyDocument")
	if _, err := s.SetTopicAttributes(ctx, &snsapi.SetTopicAttributesInput{TopicArn: &arn, AttributeName: &name, AttributeValue: &doc}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: arn}, nil
}

// cfnDeleteTopicInlinePolicy puts the topic's default policy back; a
// topic already gone has none.
func (s *SNS) cfnDeleteTopicInlinePolicy(ctx *request.Context, r kit.ResourceRequest) error {
	arn, name, doc := r.PhysicalID, "Policy", ""
	_, err := s.SetTopicAttributes(ctx, &snsapi.SetTopicAttributesInput{TopicArn: &arn, AttributeName: &name, AttributeValue: &doc})
	if err != nil && !snsapi.ErrNotFoundException.Is(err) {
		return err
	}
	return nil
}

// topicAttributes are the AWS::SNS::Topic properties that are topic
// attributes of the same name.
var topicAttributes = []string{"DisplayName", "KmsMasterKeyId", "ContentBasedDeduplication", "FifoTopic",
	"SignatureVersion", "TracingConfig", "ArchivePolicy", "DeliveryStatusLogging"}

func cfnTopicAttributes(props map[string]any) map[string]string {
	attrs := map[string]string{}
	for _, a := range topicAttributes {
		if kit.Has(props, a) {
			if a == "ArchivePolicy" || a == "DeliveryStatusLogging" {
				continue
			}
			attrs[a] = kit.PropStr(props, a)
		}
	}
	return attrs
}

func (s *SNS) cfnCreateTopic(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.Str("TopicName")
	fifo := kit.PropBool(r.Properties, "FifoTopic")
	if name == "" {
		max := 256
		if fifo {
			max -= len(".fifo")
		}
		name = kit.PhysicalName(r, max)
		if fifo {
			name += ".fifo"
		}
	}
	in := &snsapi.CreateTopicInput{Name: &name, Attributes: cfnTopicAttributes(r.Properties)}
	for k, v := range kit.PropTags(r.Properties) {
		key, val := k, v
		in.Tags = append(in.Tags, snsapi.Tag{Key: &key, Value: &val})
	}
	out, err := s.CreateTopic(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	arn := *out.TopicArn
	for _, sub := range cfnList(r.Properties["Subscription"]) {
		proto, endpoint := kit.PropStr(sub, "Protocol"), kit.PropStr(sub, "Endpoint")
		if _, err := s.Subscribe(ctx, &snsapi.SubscribeInput{TopicArn: &arn, Protocol: &proto, Endpoint: &endpoint}); err != nil {
			_, _ = s.DeleteTopic(ctx, &snsapi.DeleteTopicInput{TopicArn: &arn})
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: arn, Attributes: map[string]any{"TopicArn": arn, "TopicName": name}}, nil
}

func cfnList(v any) []map[string]any {
	l, _ := v.([]any)
	var out []map[string]any
	for _, e := range l {
		if m, ok := e.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func (s *SNS) cfnUpdateTopic(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	arn := r.PhysicalID
	for k, v := range cfnTopicAttributes(r.Properties) {
		if k == "FifoTopic" {
			continue
		}
		name, val := k, v
		if _, err := s.SetTopicAttributes(ctx, &snsapi.SetTopicAttributesInput{TopicArn: &arn, AttributeName: &name, AttributeValue: &val}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	name := arn[strings.LastIndex(arn, ":")+1:]
	return kit.ResourceResult{PhysicalID: arn, Attributes: map[string]any{"TopicArn": arn, "TopicName": name}}, nil
}

func (s *SNS) cfnDeleteTopic(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteTopic(ctx, &snsapi.DeleteTopicInput{TopicArn: &r.PhysicalID})
	if snsapi.ErrNotFoundException.Is(err) {
		return nil
	}
	return err
}

// subscriptionAttributes are AWS::SNS::Subscription properties that are
// subscription attributes.
var subscriptionAttributes = []string{"DeliveryPolicy", "FilterPolicy", "FilterPolicyScope", "RawMessageDelivery",
	"RedrivePolicy", "SubscriptionRoleArn", "ReplayPolicy"}

func cfnSubscriptionAttributes(props map[string]any) map[string]string {
	attrs := map[string]string{}
	for _, a := range subscriptionAttributes {
		if kit.Has(props, a) {
			attrs[a] = kit.PropJSON(props, a)
			if a == "RawMessageDelivery" || a == "FilterPolicyScope" || a == "SubscriptionRoleArn" {
				attrs[a] = kit.PropStr(props, a)
			}
		}
	}
	return attrs
}

func (s *SNS) cfnSubscribe(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	topic, proto, endpoint := r.Str("TopicArn"), r.Str("Protocol"), r.Str("Endpoint")
	if topic == "" || proto == "" {
		return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: #: required key [TopicArn, Protocol] not found", r.LogicalID)
	}
	ret := true
	in := &snsapi.SubscribeInput{TopicArn: &topic, Protocol: &proto, Endpoint: &endpoint, ReturnSubscriptionArn: &ret}
	if attrs := cfnSubscriptionAttributes(r.Properties); len(attrs) > 0 {
		in.Attributes = attrs
	}
	out, err := s.Subscribe(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *out.SubscriptionArn, Attributes: map[string]any{"Arn": *out.SubscriptionArn}}, nil
}

func (s *SNS) cfnUpdateSubscription(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	arn := r.PhysicalID
	for k, v := range cfnSubscriptionAttributes(r.Properties) {
		name, val := k, v
		if _, err := s.SetSubscriptionAttributes(ctx, &snsapi.SetSubscriptionAttributesInput{SubscriptionArn: &arn, AttributeName: &name, AttributeValue: &val}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: arn, Attributes: map[string]any{"Arn": arn}}, nil
}

func (s *SNS) cfnUnsubscribe(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.Unsubscribe(ctx, &snsapi.UnsubscribeInput{SubscriptionArn: &r.PhysicalID})
	if snsapi.ErrNotFoundException.Is(err) {
		return nil
	}
	return err
}

func (s *SNS) cfnPutTopicPolicy(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	doc := kit.PropJSON(r.Properties, "PolicyDocument")
	name := "Policy"
	for _, t := range kit.PropList(r.Properties, "Topics") {
		arn := t
		if _, err := s.SetTopicAttributes(ctx, &snsapi.SetTopicAttributesInput{TopicArn: &arn, AttributeName: &name, AttributeValue: &doc}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	id := r.PhysicalID
	if id == "" {
		id = kit.PhysicalName(r, 128)
	}
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"Id": id}}, nil
}

// cfnDeleteTopicPolicy puts back the default policy, as deleting an
// AWS::SNS::TopicPolicy does.
func (s *SNS) cfnDeleteTopicPolicy(ctx *request.Context, r kit.ResourceRequest) error {
	for _, t := range kit.PropList(r.Properties, "Topics") {
		arn := t
		name, doc := "Policy", ""
		// A topic already gone, or one refusing the empty policy, keeps
		// nothing of the stack's.
		_, _ = s.SetTopicAttributes(ctx, &snsapi.SetTopicAttributesInput{TopicArn: &arn, AttributeName: &name, AttributeValue: &doc})
	}
	return nil
}

// cfnReadTopic reads a topic's attributes and tags back for drift
// detection.
func (s *SNS) cfnReadTopic(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	out, err := s.GetTopicAttributes(ctx, &snsapi.GetTopicAttributesInput{TopicArn: &r.PhysicalID})
	if snsapi.ErrNotFoundException.Is(err) {
		return nil, kit.ErrResourceGone
	}
	if err != nil {
		return nil, err
	}
	live := map[string]any{"TopicName": r.PhysicalID[strings.LastIndex(r.PhysicalID, ":")+1:]}
	for _, a := range []string{"DisplayName", "KmsMasterKeyId", "ContentBasedDeduplication", "FifoTopic", "SignatureVersion", "TracingConfig"} {
		if v, ok := out.Attributes[a]; ok && v != "" {
			live[a] = v
		} else {
			live[a] = nil
		}
	}
	tags, err := s.ListTagsForResource(ctx, &snsapi.ListTagsForResourceInput{ResourceArn: &r.PhysicalID})
	if err != nil {
		return nil, err
	}
	var l []any
	for _, t := range tags.Tags {
		l = append(l, map[string]any{"Key": cfnDeref(t.Key), "Value": cfnDeref(t.Value)})
	}
	live["Tags"] = l
	return live, nil
}

func cfnDeref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
