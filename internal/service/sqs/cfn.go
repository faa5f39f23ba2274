package sqs

import (
	"strings"

	sqsapi "github.com/niwa-cloud/niwa/internal/api/sqs"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// queueAttributes are the AWS::SQS::Queue properties that are queue
// attributes of the same name.
var queueAttributes = []string{"ContentBasedDeduplication", "DeduplicationScope", "DelaySeconds", "FifoQueue",
	"FifoThroughputLimit", "KmsDataKeyReusePeriodSeconds", "KmsMasterKeyId", "MaximumMessageSize",
	"MessageRetentionPeriod", "ReceiveMessageWaitTimeSeconds", "SqsManagedSseEnabled", "VisibilityTimeout"}

// cfnResources are SQS's CloudFormation resource types.
func (s *SQS) cfnResources() map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the queue URL; Fn::GetAtt Arn, QueueName, QueueUrl.
		"AWS::SQS::Queue": {Read: s.cfnReadQueue,
			Create: s.cfnCreateQueue, Update: s.cfnUpdateQueue, Delete: s.cfnDeleteQueue,
			Replace: []string{"QueueName", "FifoQueue"}, Tags: true,
		},
		// Ref is a generated id.
		"AWS::SQS::QueuePolicy": {
			Create: s.cfnPutQueuePolicy, Update: s.cfnPutQueuePolicy, Delete: s.cfnDeleteQueuePolicy,
		},
		// Ref is the queue's URL. One queue, one policy.
		"AWS::SQS::QueueInlinePolicy": {
			Create: s.cfnPutQueueInlinePolicy, Update: s.cfnPutQueueInlinePolicy, Delete: s.cfnDeleteQueueInlinePolicy,
			Replace: []string{"Queue"},
		},
	}
}

func (s *SQS) cfnPutQueueInlinePolicy(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	u := r.Str("Queue")
	if _, err := s.SetQueueAttributes(ctx, &sqsapi.SetQueueAttributesInput{QueueUrl: &u,
		Attributes: map[string]string{"Policy": kit.PropJSON(r.Properties, "PolicyDocument")}}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: u}, nil
}

// cfnDeleteQueueInlinePolicy takes the policy off the queue; a queue
// already gone has none.
func (s *SQS) cfnDeleteQueueInlinePolicy(ctx *request.Context, r kit.ResourceRequest) error {
	u := r.PhysicalID
	_, err := s.SetQueueAttributes(ctx, &sqsapi.SetQueueAttributesInput{QueueUrl: &u, Attributes: map[string]string{"Policy": ""}})
	if err != nil && !sqsapi.ErrQueueDoesNotExist.Is(err) && !errNonExistentQueue.Is(err) {
		return err
	}
	return nil
}

func cfnQueueAttributes(props map[string]any) map[string]string {
	attrs := map[string]string{}
	for _, a := range queueAttributes {
		if kit.Has(props, a) {
			attrs[a] = kit.PropStr(props, a)
		}
	}
	if kit.Has(props, "RedrivePolicy") {
		attrs["RedrivePolicy"] = kit.PropJSON(props, "RedrivePolicy")
	}
	if kit.Has(props, "RedriveAllowPolicy") {
		attrs["RedriveAllowPolicy"] = kit.PropJSON(props, "RedriveAllowPolicy")
	}
	return attrs
}

func (s *SQS) cfnQueueResult(ctx *request.Context, u string) kit.ResourceResult {
	env := kit.Env{Account: ctx.Account, Region: ctx.Region}
	arn := QueueARN(u, env)
	name := arn[strings.LastIndex(arn, ":")+1:]
	return kit.ResourceResult{PhysicalID: u, Attributes: map[string]any{"Arn": arn, "QueueName": name, "QueueUrl": u}}
}

func (s *SQS) cfnCreateQueue(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.Str("QueueName")
	fifo := kit.PropBool(r.Properties, "FifoQueue")
	if name == "" {
		max := 80
		if fifo {
			max -= len(".fifo")
		}
		name = kit.PhysicalName(r, max)
		if fifo {
			name += ".fifo"
		}
	}
	in := &sqsapi.CreateQueueInput{QueueName: &name, Attributes: cfnQueueAttributes(r.Properties)}
	if tags := kit.PropTags(r.Properties); len(tags) > 0 {
		in.Tags = tags
	}
	out, err := s.CreateQueue(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return s.cfnQueueResult(ctx, *out.QueueUrl), nil
}

func (s *SQS) cfnUpdateQueue(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	attrs := cfnQueueAttributes(r.Properties)
	delete(attrs, "FifoQueue")
	// Properties taken out of the template go back to their defaults.
	old := cfnQueueAttributes(r.OldProperties)
	defaults := map[string]string{"DelaySeconds": "0", "MaximumMessageSize": "262144", "MessageRetentionPeriod": "345600",
		"ReceiveMessageWaitTimeSeconds": "0", "VisibilityTimeout": "30", "RedrivePolicy": "", "KmsMasterKeyId": ""}
	for k := range old {
		if _, still := attrs[k]; !still {
			if d, ok := defaults[k]; ok {
				attrs[k] = d
			}
		}
	}
	if len(attrs) > 0 {
		if _, err := s.SetQueueAttributes(ctx, &sqsapi.SetQueueAttributesInput{QueueUrl: &r.PhysicalID, Attributes: attrs}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	newTags, oldTags := kit.PropTags(r.Properties), kit.PropTags(r.OldProperties)
	var gone []string
	for k := range oldTags {
		if _, ok := newTags[k]; !ok {
			gone = append(gone, k)
		}
	}
	if len(gone) > 0 {
		if _, err := s.UntagQueue(ctx, &sqsapi.UntagQueueInput{QueueUrl: &r.PhysicalID, TagKeys: gone}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if len(newTags) > 0 {
		if _, err := s.TagQueue(ctx, &sqsapi.TagQueueInput{QueueUrl: &r.PhysicalID, Tags: newTags}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return s.cfnQueueResult(ctx, r.PhysicalID), nil
}

func (s *SQS) cfnDeleteQueue(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteQueue(ctx, &sqsapi.DeleteQueueInput{QueueUrl: &r.PhysicalID})
	if sqsapi.ErrQueueDoesNotExist.Is(err) {
		return nil
	}
	return err
}

func (s *SQS) cfnPutQueuePolicy(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	doc := kit.PropJSON(r.Properties, "PolicyDocument")
	for _, q := range kit.PropList(r.Properties, "Queues") {
		u := q
		if _, err := s.SetQueueAttributes(ctx, &sqsapi.SetQueueAttributesInput{QueueUrl: &u, Attributes: map[string]string{"Policy": doc}}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	// Queues dropped from the list lose the policy.
	keep := map[string]bool{}
	for _, q := range kit.PropList(r.Properties, "Queues") {
		keep[q] = true
	}
	for _, q := range kit.PropList(r.OldProperties, "Queues") {
		if !keep[q] {
			u := q
			_, _ = s.SetQueueAttributes(ctx, &sqsapi.SetQueueAttributesInput{QueueUrl: &u, Attributes: map[string]string{"Policy": ""}})
		}
	}
	id := r.PhysicalID
	if id == "" {
		id = kit.PhysicalName(r, 128)
	}
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"Id": id}}, nil
}

func (s *SQS) cfnDeleteQueuePolicy(ctx *request.Context, r kit.ResourceRequest) error {
	for _, q := range kit.PropList(r.Properties, "Queues") {
		u := q
		_, err := s.SetQueueAttributes(ctx, &sqsapi.SetQueueAttributesInput{QueueUrl: &u, Attributes: map[string]string{"Policy": ""}})
		if err != nil && !sqsapi.ErrQueueDoesNotExist.Is(err) {
			return err
		}
	}
	return nil
}

// cfnReadQueue reads a queue's attributes and tags back for drift
// detection.
func (s *SQS) cfnReadQueue(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	out, err := s.GetQueueAttributes(ctx, &sqsapi.GetQueueAttributesInput{QueueUrl: &r.PhysicalID, AttributeNames: []string{"All"}})
	if sqsapi.ErrQueueDoesNotExist.Is(err) || errNonExistentQueue.Is(err) {
		return nil, kit.ErrResourceGone
	}
	if err != nil {
		return nil, err
	}
	live := map[string]any{}
	for _, a := range append(append([]string{}, queueAttributes...), "RedrivePolicy", "RedriveAllowPolicy") {
		if v, ok := out.Attributes[a]; ok && v != "" {
			live[a] = v
		} else {
			live[a] = nil
		}
	}
	tags, err := s.ListQueueTags(ctx, &sqsapi.ListQueueTagsInput{QueueUrl: &r.PhysicalID})
	if err != nil {
		return nil, err
	}
	live["Tags"] = kit.TagList(tags.Tags)
	return live, nil
}
