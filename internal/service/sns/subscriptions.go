package sns

import (
	"encoding/json"
	"net/url"
	"strings"

	snsapi "github.com/niwa-cloud/niwa/internal/api/sns"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

var subAttrs = map[string]bool{
	"DeliveryPolicy": true, "FilterPolicy": true, "FilterPolicyScope": true, "RawMessageDelivery": true,
	"RedrivePolicy": true, "SubscriptionRoleArn": true, "ReplayPolicy": true,
}

func checkSubAttr(protocol, k, v string) error {
	if !subAttrs[k] {
		return errInvalidParam.New("Invalid parameter: Attributes Reason: Unknown attribute %s", k)
	}
	switch k {
	case "FilterPolicy":
		if v != "" {
			if _, err := parseFilterPolicy(v); err != nil {
				return errInvalidParam.New("Invalid parameter: FilterPolicy: %v", err)
			}
		}
	case "FilterPolicyScope":
		if v != "MessageAttributes" && v != "MessageBody" {
			return errInvalidParam.New("Invalid parameter: Attributes Reason: FilterPolicyScope: Invalid value [%s]. Please use either MessageBody or MessageAttributes", v)
		}
	case "RawMessageDelivery":
		if v != "true" && v != "false" {
			return errInvalidParam.New("Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [%s]. Must be true or false.", v)
		}
		if protocol != "sqs" && protocol != "http" && protocol != "https" && protocol != "firehose" {
			return errInvalidParam.New("Invalid parameter: Attributes Reason: Delivery protocol [%s] does not support raw message delivery.", protocol)
		}
	}
	return nil
}

// Subscribe subscribes an endpoint. SQS and Lambda subscriptions (and
// email-json/email ones, which niwa only records) are confirmed at once;
// HTTP/HTTPS ones get a SubscriptionConfirmation POST and stay pending
// until the endpoint visits SubscribeURL or calls ConfirmSubscription.
func (s *SNS) Subscribe(ctx *request.Context, in *snsapi.SubscribeInput) (*snsapi.SubscribeOutput, error) {
	ref, err := s.topicArg(in.TopicArn)
	if err != nil {
		return nil, err
	}
	proto := strings.ToLower(*in.Protocol)
	endpoint := ""
	if in.Endpoint != nil {
		endpoint = *in.Endpoint
	}
	switch proto {
	case "sqs", "lambda", "firehose":
		if !strings.HasPrefix(endpoint, "arn:aws:"+proto+":") && !(proto == "firehose" && strings.HasPrefix(endpoint, "arn:aws:firehose:")) {
			return nil, errInvalidParam.New("Invalid parameter: %s endpoint ARN", map[string]string{"sqs": "SQS", "lambda": "Lambda", "firehose": "Firehose"}[proto])
		}
	case "http", "https":
		u, err := url.Parse(endpoint)
		if err != nil || u.Scheme != proto || u.Host == "" {
			return nil, errInvalidParam.New("Invalid parameter: Endpoint must match the specified protocol")
		}
	case "email", "email-json":
		if !strings.Contains(endpoint, "@") {
			return nil, errInvalidParam.New("Invalid parameter: Email address")
		}
	case "sms", "application":
		if endpoint == "" {
			return nil, errInvalidParam.New("Invalid parameter: Endpoint")
		}
	default:
		return nil, errInvalidParam.New("Invalid parameter: Amazon SNS does not support this protocol string: %s", *in.Protocol)
	}
	for k, v := range in.Attributes {
		if err := checkSubAttr(proto, k, v); err != nil {
			return nil, err
		}
	}
	var sub subscription
	var t topic
	err = s.store.Update(func(tx storage.Tx) error {
		var found bool
		var err error
		if t, found, err = topics.Get(tx, ref.scope, ref.name); err != nil {
			return err
		} else if !found {
			return topicMissing()
		}
		if t.fifo() && proto != "sqs" && proto != "lambda" && proto != "firehose" {
			return errInvalidParam.New("Invalid parameter: Invalid protocol type: %s", proto)
		}
		// Subscribing the same endpoint again returns the same subscription.
		var existing *subscription
		if err := subs.List(tx, ref.scope, []string{ref.name}, storage.ListOptions{}, func(_ []string, x subscription) bool {
			if x.Protocol == proto && x.Endpoint == endpoint {
				existing = &x
				return false
			}
			return true
		}); err != nil {
			return err
		}
		if existing != nil {
			for k, v := range in.Attributes {
				if existing.Attrs[k] != v {
					return errInvalidParam.New("Invalid parameter: Attributes Reason: Subscription already exists with different attributes")
				}
			}
			sub = *existing
			return nil
		}
		sub = subscription{ID: awsid.UUID(), Protocol: proto, Endpoint: endpoint, Owner: ctx.Account, Attrs: map[string]string{}}
		for k, v := range in.Attributes {
			sub.Attrs[k] = v
		}
		switch proto {
		case "http", "https":
			sub.Token = newToken()
		default:
			sub.Confirmed = true
		}
		return subs.Put(tx, ref.scope, sub, ref.name, sub.ID)
	})
	if err != nil {
		return nil, err
	}
	arn := ref.arn() + ":" + sub.ID
	if !sub.Confirmed {
		s.sendConfirmation(ctx, ref, t, sub)
		if in.ReturnSubscriptionArn == nil || !*in.ReturnSubscriptionArn {
			arn = "pending confirmation"
		}
	}
	return &snsapi.SubscribeOutput{SubscriptionArn: &arn}, nil
}

// confirm marks a pending subscription confirmed by its token.
func (s *SNS) confirm(ref topicRef, token string) (string, error) {
	var arn string
	err := s.store.Update(func(tx storage.Tx) error {
		if _, ok := tx.Get(topics.Key(ref.scope, ref.name)); !ok {
			return topicMissing()
		}
		var hit *subscription
		if err := subs.List(tx, ref.scope, []string{ref.name}, storage.ListOptions{}, func(_ []string, x subscription) bool {
			if x.Token == token && token != "" {
				hit = &x
				return false
			}
			return true
		}); err != nil {
			return err
		}
		if hit == nil {
			return errInvalidParam.New("Invalid token")
		}
		arn = ref.arn() + ":" + hit.ID
		if hit.Confirmed {
			return nil
		}
		hit.Confirmed = true
		return subs.Put(tx, ref.scope, *hit, ref.name, hit.ID)
	})
	return arn, err
}

// ConfirmSubscription confirms an HTTP/HTTPS subscription by token.
func (s *SNS) ConfirmSubscription(ctx *request.Context, in *snsapi.ConfirmSubscriptionInput) (*snsapi.ConfirmSubscriptionOutput, error) {
	ref, err := s.topicArg(in.TopicArn)
	if err != nil {
		return nil, err
	}
	arn, err := s.confirm(ref, *in.Token)
	if err != nil {
		return nil, err
	}
	return &snsapi.ConfirmSubscriptionOutput{SubscriptionArn: &arn}, nil
}

func (s *SNS) subArg(arn *string) (topicRef, string, error) {
	ref, id, ok := parseSubARN(*arn)
	if !ok {
		return ref, id, errInvalidParam.New("Invalid parameter: SubscriptionArn")
	}
	return ref, id, nil
}

// Unsubscribe deletes a subscription.
func (s *SNS) Unsubscribe(ctx *request.Context, in *snsapi.UnsubscribeInput) (*snsapi.UnsubscribeOutput, error) {
	ref, id, err := s.subArg(in.SubscriptionArn)
	if err != nil {
		return nil, err
	}
	return &snsapi.UnsubscribeOutput{}, s.store.Update(func(tx storage.Tx) error {
		return subs.Delete(tx, ref.scope, ref.name, id)
	})
}

// GetSubscriptionAttributes returns a subscription's attributes.
func (s *SNS) GetSubscriptionAttributes(ctx *request.Context, in *snsapi.GetSubscriptionAttributesInput) (*snsapi.GetSubscriptionAttributesOutput, error) {
	ref, id, err := s.subArg(in.SubscriptionArn)
	if err != nil {
		return nil, err
	}
	var sub subscription
	var found bool
	if err := s.store.View(func(tx storage.Tx) error {
		sub, found, err = subs.Get(tx, ref.scope, ref.name, id)
		return err
	}); err != nil {
		return nil, err
	}
	if !found {
		return nil, errNotFound.New("Subscription does not exist")
	}
	out := map[string]string{
		"SubscriptionArn": *in.SubscriptionArn, "TopicArn": ref.arn(), "Owner": sub.Owner,
		"Protocol": sub.Protocol, "Endpoint": sub.Endpoint, "RawMessageDelivery": "false",
		"PendingConfirmation": boolStr(!sub.Confirmed), "ConfirmationWasAuthenticated": boolStr(sub.Confirmed),
	}
	for k, v := range sub.Attrs {
		out[k] = v
	}
	if out["FilterPolicy"] != "" && out["FilterPolicyScope"] == "" {
		out["FilterPolicyScope"] = "MessageAttributes"
	}
	return &snsapi.GetSubscriptionAttributesOutput{Attributes: out}, nil
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// SetSubscriptionAttributes sets one attribute.
func (s *SNS) SetSubscriptionAttributes(ctx *request.Context, in *snsapi.SetSubscriptionAttributesInput) (*snsapi.SetSubscriptionAttributesOutput, error) {
	ref, id, err := s.subArg(in.SubscriptionArn)
	if err != nil {
		return nil, err
	}
	v := ""
	if in.AttributeValue != nil {
		v = *in.AttributeValue
	}
	return &snsapi.SetSubscriptionAttributesOutput{}, s.store.Update(func(tx storage.Tx) error {
		sub, found, err := subs.Get(tx, ref.scope, ref.name, id)
		if err != nil {
			return err
		}
		if !found {
			return errNotFound.New("Subscription does not exist")
		}
		if err := checkSubAttr(sub.Protocol, *in.AttributeName, v); err != nil {
			return err
		}
		if v == "" {
			delete(sub.Attrs, *in.AttributeName)
		} else {
			sub.Attrs[*in.AttributeName] = v
		}
		return subs.Put(tx, ref.scope, sub, ref.name, id)
	})
}

func (s *SNS) listSubs(sc storage.Scope, topicName string, token *string) ([]snsapi.Subscription, *string, error) {
	var out []snsapi.Subscription
	var next *string
	opts := storage.ListOptions{Limit: 101}
	prefix := []string{}
	if topicName != "" {
		prefix = []string{topicName}
	}
	if token != nil && *token != "" {
		var after []string
		if err := json.Unmarshal([]byte(*token), &after); err != nil {
			return nil, nil, errInvalidParam.New("Invalid parameter: NextToken")
		}
		opts.After = after
	}
	var lastKey []string
	err := s.store.View(func(tx storage.Tx) error {
		return subs.List(tx, sc, prefix, opts, func(key []string, x subscription) bool {
			if len(out) == 100 {
				b, _ := json.Marshal(lastKey)
				tok := string(b)
				next = &tok
				return false
			}
			lastKey = key
			tarn := topicRef{scope: sc, name: key[0]}.arn()
			arn := tarn + ":" + x.ID
			if !x.Confirmed {
				arn = "PendingConfirmation"
			}
			proto, ep, owner := x.Protocol, x.Endpoint, x.Owner
			out = append(out, snsapi.Subscription{SubscriptionArn: &arn, TopicArn: &tarn, Protocol: &proto, Endpoint: &ep, Owner: &owner})
			return true
		})
	})
	if out == nil {
		out = []snsapi.Subscription{}
	}
	return out, next, err
}

// ListSubscriptions lists the account's subscriptions in the region.
func (s *SNS) ListSubscriptions(ctx *request.Context, in *snsapi.ListSubscriptionsInput) (*snsapi.ListSubscriptionsOutput, error) {
	out, next, err := s.listSubs(storage.Scope{Account: ctx.Account, Region: ctx.Region}, "", in.NextToken)
	if err != nil {
		return nil, err
	}
	return &snsapi.ListSubscriptionsOutput{Subscriptions: out, NextToken: next}, nil
}

// ListSubscriptionsByTopic lists a topic's subscriptions.
func (s *SNS) ListSubscriptionsByTopic(ctx *request.Context, in *snsapi.ListSubscriptionsByTopicInput) (*snsapi.ListSubscriptionsByTopicOutput, error) {
	ref, err := s.topicArg(in.TopicArn)
	if err != nil {
		return nil, err
	}
	var found bool
	if err := s.store.View(func(tx storage.Tx) error {
		_, found = tx.Get(topics.Key(ref.scope, ref.name))
		return nil
	}); err != nil {
		return nil, err
	}
	if !found {
		return nil, topicMissing()
	}
	out, next, err := s.listSubs(ref.scope, ref.name, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &snsapi.ListSubscriptionsByTopicOutput{Subscriptions: out, NextToken: next}, nil
}
