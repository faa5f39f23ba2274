package sns

import (
	"encoding/json"
	"net/url"
	"strings"
	"time"

	snsapi "github.com/niwa-cloud/niwa/internal/api/sns"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

var subAttrs = map[string]bool{
	"DeliveryPolicy": true, "FilterPolicy": true, "FilterPolicyScope": true, "RawMessageDelivery": true,
	"RedrivePolicy": true, "SubscriptionRoleArn": true, "ReplayPolicy": true,
}

// subAttr is a subscription attribute to validate, with what its
// validation needs to know of the subscription.
type subAttr struct {
	protocol, endpoint string
	fifoTopic          bool
	// subscribe words refusals as Subscribe does (within "Attributes
	// Reason:"); SetSubscriptionAttributes names the attribute alone.
	subscribe bool
}

func (a subAttr) err(format string, args ...any) error {
	prefix := "Invalid parameter: "
	if a.subscribe {
		prefix += "Attributes Reason: "
	}
	return errInvalidParam.New("%s", prefix+sprintf(format, args...))
}

// checkSubAttr validates one subscription attribute.
func checkSubAttr(a subAttr, k, v string) error {
	if !subAttrs[k] {
		if !a.subscribe {
			return errInvalidParam.New("Invalid parameter: AttributeName")
		}
		return errInvalidParam.New("Invalid parameter: Attributes Reason: Unknown attribute %s", k)
	}
	switch k {
	case "FilterPolicy":
		if v != "" {
			if _, err := parseFilterPolicy(v); err != nil {
				return errInvalidParam.New("%s", filterPolicyMessage(err, a.subscribe))
			}
		}
	case "FilterPolicyScope":
		if v != "MessageAttributes" && v != "MessageBody" {
			return a.err("FilterPolicyScope: Invalid value [%s]. Please use either MessageBody or MessageAttributes", v)
		}
	case "RawMessageDelivery":
		if !strings.EqualFold(v, "true") && !strings.EqualFold(v, "false") {
			return a.err("RawMessageDelivery: Invalid value [%s]. Must be true or false.", v)
		}
		if p := a.protocol; p != "sqs" && p != "http" && p != "https" && p != "firehose" {
			return a.err("Delivery protocol [%s] does not support raw message delivery.", p)
		}
	case "RedrivePolicy":
		if v == "" {
			return nil
		}
		var rp struct {
			DeadLetterTargetArn string `json:"deadLetterTargetArn"`
		}
		if json.Unmarshal([]byte(v), &rp) != nil {
			return a.err("RedrivePolicy: failed to parse JSON.")
		}
		p := strings.SplitN(rp.DeadLetterTargetArn, ":", 6)
		if len(p) != 6 || p[0] != "arn" || p[2] == "" || p[5] == "" {
			return a.err("RedrivePolicy: deadLetterTargetArn is an invalid arn")
		}
		if a.fifoTopic && strings.HasSuffix(a.endpoint, ".fifo") && (p[2] != "sqs" || !strings.HasSuffix(p[5], ".fifo")) {
			return a.err("RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic.")
		}
	case "DeliveryPolicy", "ReplayPolicy":
		if v != "" && !json.Valid([]byte(v)) {
			return a.err("%s: failed to parse JSON.", k)
		}
	}
	return nil
}

// checkPolicyScope checks a subscription's filter policy against its
// scope: attribute policies cannot nest.
func checkPolicyScope(attrs map[string]string, subscribe bool) error {
	doc := attrs["FilterPolicy"]
	if doc == "" {
		return nil
	}
	f, err := parseFilterPolicy(doc)
	if err == nil {
		err = checkFilterScope(f, attrs["FilterPolicyScope"])
	}
	if err != nil {
		return errInvalidParam.New("%s", filterPolicyMessage(err, subscribe))
	}
	return nil
}

// maxFilterPoliciesPerTopic is SNS's default quota of filter policies on
// one topic.
const maxFilterPoliciesPerTopic = 200

// checkFilterPolicyQuota refuses one more filter policy on a topic that
// has its quota of them (the subscription except is not counted).
func checkFilterPolicyQuota(tx storage.Tx, ref topicRef, except string) error {
	n := 0
	if err := subs.List(tx, ref.scope, []string{ref.name}, storage.ListOptions{}, func(_ []string, x subscription) bool {
		if x.ID != except && x.Attrs["FilterPolicy"] != "" {
			n++
		}
		return true
	}); err != nil {
		return err
	}
	if n >= maxFilterPoliciesPerTopic {
		return snsapi.ErrFilterPolicyLimitExceededException.New("Filter policy limit exceeded: a topic can have at most %d filter policies", maxFilterPoliciesPerTopic)
	}
	return nil
}

// normalizeSubAttr stores a value the way SNS returns it.
func normalizeSubAttr(k, v string) string {
	if k == "RawMessageDelivery" {
		return strings.ToLower(v)
	}
	return v
}

// Subscribe subscribes an endpoint. SQS, Lambda, Firehose, SMS and
// application subscriptions are confirmed at once; HTTP/HTTPS ones get a
// SubscriptionConfirmation POST, and email/email-json ones a confirmation
// email (recorded at /_niwa/sns/email), and stay pending until SubscribeURL
// is visited or ConfirmSubscription called.
func (s *SNS) Subscribe(ctx *request.Context, in *snsapi.SubscribeInput) (*snsapi.SubscribeOutput, error) {
	ref, err := s.topicArg(ctx, in.TopicArn)
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
	case "sms":
		if !e164.MatchString(endpoint) {
			return nil, errInvalidParam.New("Invalid SMS endpoint: %s", endpoint)
		}
	case "application":
		if _, _, ok := parseEndpointARN(endpoint); !ok {
			return nil, errInvalidParam.New("Invalid parameter: ApplicationEndpoint ARN")
		}
	default:
		return nil, errInvalidParam.New("Invalid parameter: Amazon SNS does not support this protocol string: %s", *in.Protocol)
	}
	for k, v := range in.Attributes {
		if err := checkSubAttr(subAttr{protocol: proto, endpoint: endpoint, fifoTopic: strings.HasSuffix(ref.name, ".fifo"), subscribe: true}, k, v); err != nil {
			return nil, err
		}
	}
	if err := checkPolicyScope(in.Attributes, true); err != nil {
		return nil, err
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
		// FIFO topics deliver to SQS queues (FIFO and standard) only.
		if t.fifo() && proto != "sqs" {
			return errInvalidParam.New("Invalid parameter: Invalid protocol type: %s", proto)
		}
		if !t.fifo() && proto == "sqs" && strings.HasSuffix(endpoint, ".fifo") {
			return errInvalidParam.New("Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics")
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
		if in.Attributes["FilterPolicy"] != "" {
			if err := checkFilterPolicyQuota(tx, ref, ""); err != nil {
				return err
			}
		}
		principal := ctx.Caller.ARN
		if principal == "" {
			principal = "arn:aws:iam::" + ctx.Account + ":root"
		}
		sub = subscription{ID: awsid.UUID(), Protocol: proto, Endpoint: endpoint, Owner: ctx.Account, Principal: principal, Attrs: map[string]string{}}
		for k, v := range in.Attributes {
			sub.Attrs[k] = normalizeSubAttr(k, v)
		}
		switch proto {
		case "http", "https", "email", "email-json":
			// As on SNS, these wait for the endpoint's owner to confirm.
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
		if hit == nil && token != "" {
			// The SubscribeURL of an UnsubscribeConfirmation restores
			// the subscription.
			if gone, found, err := unsubscribed.Get(tx, ref.scope, ref.name, token); err != nil {
				return err
			} else if found {
				if err := unsubscribed.Delete(tx, ref.scope, ref.name, token); err != nil {
					return err
				}
				gone.Confirmed, gone.Token = false, token
				hit = &gone
			}
		}
		if hit == nil {
			return errInvalidParam.New("Invalid parameter: Token")
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
	ref, err := s.topicArg(ctx, in.TopicArn)
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
	if n := strings.Count(ptr.Deref(arn), ":") + 1; n < 6 {
		return topicRef{}, "", errInvalidParam.New("Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not %d", n)
	}
	ref, id, ok := parseSubARN(ptr.Deref(arn))
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
	host := ""
	if ctx.HTTP != nil {
		host = ctx.HTTP.Host
	}
	return &snsapi.UnsubscribeOutput{}, s.unsubscribe(ref, id, host, ctx.Now())
}

// unsubscribe deletes a subscription. As SNS does, an HTTP/HTTPS endpoint
// is sent an UnsubscribeConfirmation whose SubscribeURL restores the
// subscription.
func (s *SNS) unsubscribe(ref topicRef, id, host string, now time.Time) error {
	var gone subscription
	var t topic
	var notify bool
	err := s.store.Update(func(tx storage.Tx) error {
		sub, found, err := subs.Get(tx, ref.scope, ref.name, id)
		if err != nil || !found {
			return err
		}
		if err := subs.Delete(tx, ref.scope, ref.name, id); err != nil {
			return err
		}
		if !sub.Confirmed || (sub.Protocol != "http" && sub.Protocol != "https") {
			return nil
		}
		if t, _, err = topics.Get(tx, ref.scope, ref.name); err != nil {
			return err
		}
		sub.Token = newToken()
		gone, notify = sub, true
		return unsubscribed.Put(tx, ref.scope, sub, ref.name, sub.Token)
	})
	if err != nil || !notify {
		return err
	}
	subARN := ref.arn() + ":" + gone.ID
	n := &notification{
		Type: "UnsubscribeConfirmation", MessageID: awsid.UUID(), Token: gone.Token, TopicArn: ref.arn(),
		Message:      "You have chosen to deactivate subscription " + subARN + ".\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message.",
		SubscribeURL: s.baseURL(host) + "/_niwa/sns/confirm?Action=ConfirmSubscription&TopicArn=" + url.QueryEscape(ref.arn()) + "&Token=" + gone.Token,
		Timestamp:    timestamp(now), SignatureVersion: t.Attrs["SignatureVersion"], SigningCertURL: s.baseURL(host) + s.CertPath(),
	}
	if n.SignatureVersion == "" {
		n.SignatureVersion = "1"
	}
	s.sign(n)
	body, _ := json.Marshal(n)
	s.post(gone.Endpoint, n.Type, n.MessageID, ref.arn(), subARN, body, false, nil)
	return nil
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
		"SubscriptionArn": *in.SubscriptionArn, "TopicArn": ref.arn(), "Owner": sub.Owner, "SubscriptionPrincipal": sub.Principal,
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
		if err := checkSubAttr(subAttr{protocol: sub.Protocol, endpoint: sub.Endpoint, fifoTopic: strings.HasSuffix(ref.name, ".fifo")}, *in.AttributeName, v); err != nil {
			return err
		}
		if *in.AttributeName == "FilterPolicy" && v != "" && sub.Attrs["FilterPolicy"] == "" {
			if err := checkFilterPolicyQuota(tx, ref, id); err != nil {
				return err
			}
		}
		if v == "" {
			delete(sub.Attrs, *in.AttributeName)
		} else {
			sub.Attrs[*in.AttributeName] = normalizeSubAttr(*in.AttributeName, v)
		}
		if err := checkPolicyScope(sub.Attrs, false); err != nil {
			return err
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
	ref, err := s.topicArg(ctx, in.TopicArn)
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
