package sns

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	snsapi "github.com/niwa-cloud/niwa/internal/api/sns"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

type topic struct {
	Name  string            `json:"name"`
	Attrs map[string]string `json:"attrs"`
	Tags  map[string]string `json:"tags,omitempty"`
	Seq   uint64            `json:"seq"`
	// DataProtection is the topic's data protection policy (stored only).
	DataProtection string `json:"dataProtection,omitempty"`
}

func (t *topic) fifo() bool { return t.Attrs["FifoTopic"] == "true" }

type subscription struct {
	ID       string `json:"id"`
	Protocol string `json:"protocol"`
	Endpoint string `json:"endpoint"`
	Owner    string `json:"owner"`
	// Principal is who subscribed (SubscriptionPrincipal).
	Principal string            `json:"principal,omitempty"`
	Attrs     map[string]string `json:"attrs"`
	// Token is the confirmation token of a pending subscription.
	Token     string `json:"token,omitempty"`
	Confirmed bool   `json:"confirmed"`
}

// email is a recorded email delivery.
type email struct {
	Time     string `json:"timestamp"`
	To       string `json:"to"`
	TopicArn string `json:"topicArn"`
	Subject  string `json:"subject"`
	Body     string `json:"body"`
	// SubscribeURL is the link of a subscription confirmation email.
	SubscribeURL string `json:"subscribeUrl,omitempty"`
}

var (
	topics = storage.NewTable[topic]("topic")
	subs   = storage.NewTable[subscription]("sub")
	emails = storage.NewTable[email]("email")
	// unsubscribed keeps an unsubscribed HTTP/HTTPS subscription by the
	// token of its UnsubscribeConfirmation, whose SubscribeURL restores it.
	unsubscribed = storage.NewTable[subscription]("unsub")
)

var (
	errInvalidParam = snsapi.ErrInvalidParameterException
	errInvalidValue = snsapi.ErrInvalidParameterValueException
	errNotFound     = snsapi.ErrNotFoundException
)

func topicMissing() error { return errNotFound.New("Topic does not exist") }

var topicAttrs = map[string]bool{
	"DeliveryPolicy": true, "DisplayName": true, "Policy": true, "KmsMasterKeyId": true,
	"SignatureVersion": true, "TracingConfig": true, "FifoTopic": true, "ContentBasedDeduplication": true,
	"ArchivePolicy": true, "FifoThroughputScope": true,
	"SQSSuccessFeedbackRoleArn": true, "SQSSuccessFeedbackSampleRate": true, "SQSFailureFeedbackRoleArn": true,
	"HTTPSuccessFeedbackRoleArn": true, "HTTPSuccessFeedbackSampleRate": true, "HTTPFailureFeedbackRoleArn": true,
	"LambdaSuccessFeedbackRoleArn": true, "LambdaSuccessFeedbackSampleRate": true, "LambdaFailureFeedbackRoleArn": true,
}

func checkTopicAttr(k, v string) error {
	if !topicAttrs[k] {
		return errInvalidParam.New("Invalid parameter: AttributeName")
	}
	switch k {
	case "SignatureVersion":
		if v != "1" && v != "2" {
			return errInvalidParam.New("Invalid parameter: SignatureVersion")
		}
	case "Policy":
		if v != "" {
			return checkTopicPolicy(v)
		}
	case "DeliveryPolicy":
		if v != "" && !json.Valid([]byte(v)) {
			return errInvalidParam.New("Invalid parameter: %s", k)
		}
	case "FifoTopic", "ContentBasedDeduplication":
		if v != "true" && v != "false" {
			return errInvalidParam.New("Invalid parameter: %s", k)
		}
	case "TracingConfig":
		if v != "Active" && v != "PassThrough" {
			return errInvalidParam.New("Invalid parameter: %s", k)
		}
	case "FifoThroughputScope":
		if v != "Topic" && v != "MessageGroup" {
			return errInvalidParam.New("Invalid parameter: %s", k)
		}
	case "ArchivePolicy":
		if v != "" && !json.Valid([]byte(v)) {
			return errInvalidParam.New("Invalid parameter: %s", k)
		}
	}
	return nil
}

// checkTopicPolicy validates a topic's access policy with the IAM engine's
// parser (the one that later evaluates it), answering as SNS does: a
// document that is not a policy is "Policy Error: null", and a statement
// may only name SNS actions.
func checkTopicPolicy(doc string) error {
	p, err := iam.Parse(doc)
	if err != nil {
		return errInvalidParam.New("Invalid parameter: Policy Error: null")
	}
	for _, st := range p.Statements {
		for _, a := range st.Actions {
			if a != "*" && !strings.HasPrefix(a, "sns:") {
				return errInvalidParam.New("Invalid parameter: Policy statement action out of service scope!")
			}
		}
	}
	return nil
}

func validTopicName(name string, fifo bool) bool {
	base := name
	if fifo {
		if !strings.HasSuffix(name, ".fifo") {
			return false
		}
		base = strings.TrimSuffix(name, ".fifo")
	}
	if base == "" || len(name) > 256 {
		return false
	}
	for _, c := range base {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func defaultPolicy(arn, account string) string {
	doc, _ := json.Marshal(map[string]any{
		"Version": "2008-10-17", "Id": "__default_policy_ID",
		"Statement": []map[string]any{{
			"Sid": "__default_statement_ID", "Effect": "Allow", "Principal": map[string]string{"AWS": "*"},
			"Action":   []string{"SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission", "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe", "SNS:ListSubscriptionsByTopic", "SNS:Publish"},
			"Resource": arn, "Condition": map[string]any{"StringEquals": map[string]string{"AWS:SourceOwner": account}},
		}},
	})
	return string(doc)
}

// CreateTopic creates a topic, or returns the existing one's ARN when the
// attributes agree.
func (s *SNS) CreateTopic(ctx *request.Context, in *snsapi.CreateTopicInput) (*snsapi.CreateTopicOutput, error) {
	name := *in.Name
	fifo := in.Attributes["FifoTopic"] == "true"
	if !validTopicName(name, fifo) || (!fifo && strings.HasSuffix(name, ".fifo")) {
		if strings.HasSuffix(name, ".fifo") && !fifo {
			return nil, errInvalidParam.New("Invalid parameter: Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.")
		}
		return nil, errInvalidParam.New("Invalid parameter: Topic Name")
	}
	for k, v := range in.Attributes {
		if err := checkTopicAttr(k, v); err != nil {
			return nil, err
		}
	}
	if !fifo {
		if v, ok := in.Attributes["ContentBasedDeduplication"]; ok && v == "true" {
			return nil, errInvalidParam.New("Invalid parameter: ContentBasedDeduplication Reason: Content-based deduplication can only be set for FIFO topics")
		}
		for _, k := range []string{"FifoThroughputScope", "ArchivePolicy"} {
			if _, ok := in.Attributes[k]; ok {
				return nil, errInvalidParam.New("Invalid parameter: %s Reason: %s can only be set for FIFO topics", k, k)
			}
		}
	}
	if dp := ptr.Deref(in.DataProtectionPolicy); dp != "" {
		if err := checkDataProtectionPolicy(dp); err != nil {
			return nil, err
		}
	}
	ref := topicRef{scope: storage.Scope{Account: ctx.Account, Region: ctx.Region}, name: name}
	err := s.store.Update(func(tx storage.Tx) error {
		t, found, err := topics.Get(tx, ref.scope, name)
		if err != nil {
			return err
		}
		if found {
			for k, v := range in.Attributes {
				if t.Attrs[k] != v {
					return errInvalidParam.New("Invalid parameter: Attributes Reason: Topic already exists with different attributes")
				}
			}
			for _, tag := range in.Tags {
				if v, ok := t.Tags[ptr.Deref(tag.Key)]; !ok || v != ptr.Deref(tag.Value) {
					return errInvalidParam.New("Invalid parameter: Tags Reason: Topic already exists with different tags")
				}
			}
			return nil
		}
		t = topic{Name: name, Attrs: map[string]string{
			"Policy": defaultPolicy(ref.arn(), ctx.Account), "DisplayName": "", "SignatureVersion": "1",
			"EffectiveDeliveryPolicy": `{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}`,
		}}
		if fifo {
			t.Attrs["ContentBasedDeduplication"] = "false"
		}
		for k, v := range in.Attributes {
			t.Attrs[k] = v
		}
		t.DataProtection = ptr.Deref(in.DataProtectionPolicy)
		if len(in.Tags) > 0 {
			t.Tags = map[string]string{}
			for _, tag := range in.Tags {
				t.Tags[*tag.Key] = *tag.Value
			}
		}
		return topics.Put(tx, ref.scope, t, name)
	})
	if err != nil {
		return nil, err
	}
	arn := ref.arn()
	return &snsapi.CreateTopicOutput{TopicArn: &arn}, nil
}

// topicArg reads a topic ARN argument. As on SNS, a regional endpoint
// serves only its region's topics: another region's ARN is refused.
func (s *SNS) topicArg(ctx *request.Context, arn *string) (topicRef, error) {
	if arn == nil {
		return topicRef{}, errInvalidParam.New("Invalid parameter: TopicArn")
	}
	if n := strings.Count(*arn, ":") + 1; n < 6 {
		return topicRef{}, errInvalidParam.New("Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not %d", n)
	}
	ref, ok := parseTopicARN(*arn)
	if !ok || (ctx != nil && ctx.Region != "" && ref.scope.Region != ctx.Region) {
		return ref, errInvalidParam.New("Invalid parameter: TopicArn")
	}
	return ref, nil
}

// DeleteTopic deletes a topic and its subscriptions; a missing topic is
// not an error, as on SNS.
func (s *SNS) DeleteTopic(ctx *request.Context, in *snsapi.DeleteTopicInput) (*snsapi.DeleteTopicOutput, error) {
	ref, err := s.topicArg(ctx, in.TopicArn)
	if err != nil {
		return nil, err
	}
	err = s.store.Update(func(tx storage.Tx) error {
		if err := topics.Delete(tx, ref.scope, ref.name); err != nil {
			return err
		}
		var keys [][]byte
		for _, prefix := range [][]byte{subs.Key(ref.scope, ref.name), dedups.Key(ref.scope, ref.name), dedupByTime.Key(ref.scope, ref.name), unsubscribed.Key(ref.scope, ref.name)} {
			if err := tx.Scan(prefix, storage.ScanOptions{}, func(k, _ []byte) bool {
				keys = append(keys, k)
				return true
			}); err != nil {
				return err
			}
		}
		for _, k := range keys {
			if err := tx.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	return &snsapi.DeleteTopicOutput{}, err
}

// ListTopics lists topics, 100 per page.
func (s *SNS) ListTopics(ctx *request.Context, in *snsapi.ListTopicsInput) (*snsapi.ListTopicsOutput, error) {
	sc := storage.Scope{Account: ctx.Account, Region: ctx.Region}
	opts := storage.ListOptions{Limit: 101}
	if in.NextToken != nil && *in.NextToken != "" {
		opts.After = []string{*in.NextToken}
	}
	out := &snsapi.ListTopicsOutput{Topics: []snsapi.Topic{}}
	err := s.store.View(func(tx storage.Tx) error {
		return topics.List(tx, sc, nil, opts, func(_ []string, t topic) bool {
			if len(out.Topics) == 100 {
				tok := *out.Topics[99].TopicArn
				tok = tok[strings.LastIndexByte(tok, ':')+1:]
				out.NextToken = &tok
				return false
			}
			arn := topicRef{scope: sc, name: t.Name}.arn()
			out.Topics = append(out.Topics, snsapi.Topic{TopicArn: &arn})
			return true
		})
	})
	return out, err
}

// GetTopicAttributes returns every attribute, computed ones included.
func (s *SNS) GetTopicAttributes(ctx *request.Context, in *snsapi.GetTopicAttributesInput) (*snsapi.GetTopicAttributesOutput, error) {
	ref, err := s.topicArg(ctx, in.TopicArn)
	if err != nil {
		return nil, err
	}
	var t topic
	var confirmed, pending int
	err = s.store.View(func(tx storage.Tx) error {
		var found bool
		if t, found, err = topics.Get(tx, ref.scope, ref.name); err != nil {
			return err
		} else if !found {
			return topicMissing()
		}
		return subs.List(tx, ref.scope, []string{ref.name}, storage.ListOptions{}, func(_ []string, sub subscription) bool {
			if sub.Confirmed {
				confirmed++
			} else {
				pending++
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for k, v := range t.Attrs {
		out[k] = v
	}
	out["TopicArn"] = ref.arn()
	out["Owner"] = ref.scope.Account
	out["SubscriptionsConfirmed"] = strconv.Itoa(confirmed)
	out["SubscriptionsPending"] = strconv.Itoa(pending)
	out["SubscriptionsDeleted"] = "0"
	return &snsapi.GetTopicAttributesOutput{Attributes: out}, nil
}

// SetTopicAttributes sets one attribute.
func (s *SNS) SetTopicAttributes(ctx *request.Context, in *snsapi.SetTopicAttributesInput) (*snsapi.SetTopicAttributesOutput, error) {
	ref, err := s.topicArg(ctx, in.TopicArn)
	if err != nil {
		return nil, err
	}
	v := ""
	if in.AttributeValue != nil {
		v = *in.AttributeValue
	}
	if *in.AttributeName == "FifoTopic" {
		return nil, errInvalidParam.New("Invalid parameter: AttributeName")
	}
	if err := checkTopicAttr(*in.AttributeName, v); err != nil {
		return nil, err
	}
	return &snsapi.SetTopicAttributesOutput{}, s.store.Update(func(tx storage.Tx) error {
		t, found, err := topics.Get(tx, ref.scope, ref.name)
		if err != nil {
			return err
		}
		if !found {
			return topicMissing()
		}
		if *in.AttributeName == "ContentBasedDeduplication" && !t.fifo() {
			return errInvalidParam.New("Invalid parameter: ContentBasedDeduplication Reason: Content-based deduplication can only be set for FIFO topics")
		}
		if (*in.AttributeName == "FifoThroughputScope" || *in.AttributeName == "ArchivePolicy") && !t.fifo() {
			return errInvalidParam.New("Invalid parameter: %s Reason: %s can only be set for FIFO topics", *in.AttributeName, *in.AttributeName)
		}
		t.Attrs[*in.AttributeName] = v
		return topics.Put(tx, ref.scope, t, ref.name)
	})
}

// TagResource tags a topic.
func (s *SNS) TagResource(ctx *request.Context, in *snsapi.TagResourceInput) (*snsapi.TagResourceOutput, error) {
	seen := map[string]bool{}
	for _, tag := range in.Tags {
		if seen[ptr.Deref(tag.Key)] {
			return nil, errInvalidParam.New("Invalid parameter: Duplicated keys are not allowed.")
		}
		seen[ptr.Deref(tag.Key)] = true
	}
	return &snsapi.TagResourceOutput{}, s.updateTopic(in.ResourceArn, func(t *topic) error {
		if t.Tags == nil {
			t.Tags = map[string]string{}
		}
		for _, tag := range in.Tags {
			t.Tags[*tag.Key] = *tag.Value
		}
		if len(t.Tags) > 50 {
			return snsapi.ErrTagLimitExceededException.New("Could not complete request: tag quota of per resource exceeded")
		}
		return nil
	})
}

// UntagResource removes tags.
func (s *SNS) UntagResource(ctx *request.Context, in *snsapi.UntagResourceInput) (*snsapi.UntagResourceOutput, error) {
	return &snsapi.UntagResourceOutput{}, s.updateTopic(in.ResourceArn, func(t *topic) error {
		for _, k := range in.TagKeys {
			delete(t.Tags, k)
		}
		return nil
	})
}

// ListTagsForResource lists a topic's tags.
func (s *SNS) ListTagsForResource(ctx *request.Context, in *snsapi.ListTagsForResourceInput) (*snsapi.ListTagsForResourceOutput, error) {
	out := &snsapi.ListTagsForResourceOutput{Tags: []snsapi.Tag{}}
	err := s.updateTopic(in.ResourceArn, func(t *topic) error {
		keys := make([]string, 0, len(t.Tags))
		for k := range t.Tags {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			k, v := k, t.Tags[k]
			out.Tags = append(out.Tags, snsapi.Tag{Key: &k, Value: &v})
		}
		return nil
	})
	return out, err
}

func (s *SNS) updateTopic(arn *string, fn func(t *topic) error) error {
	ref, ok := parseTopicARN(*arn)
	if !ok {
		return snsapi.ErrResourceNotFoundException.New("Resource does not exist")
	}
	return s.store.Update(func(tx storage.Tx) error {
		t, found, err := topics.Get(tx, ref.scope, ref.name)
		if err != nil {
			return err
		}
		if !found {
			return snsapi.ErrResourceNotFoundException.New("Resource does not exist")
		}
		if err := fn(&t); err != nil {
			return err
		}
		return topics.Put(tx, ref.scope, t, ref.name)
	})
}
