package s3

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// target is one notification destination of a configuration.
type target struct {
	id, arn string
	events  []string
	filter  *s3api.NotificationConfigurationFilter
}

func targets(cfg *s3api.NotificationConfiguration) []target {
	if cfg == nil {
		return nil
	}
	var out []target
	for _, q := range cfg.QueueConfigurations {
		out = append(out, target{ptr.Deref(q.Id), ptr.Deref(q.QueueArn), q.Events, q.Filter})
	}
	for _, t := range cfg.TopicConfigurations {
		out = append(out, target{ptr.Deref(t.Id), ptr.Deref(t.TopicArn), t.Events, t.Filter})
	}
	for _, l := range cfg.LambdaFunctionConfigurations {
		out = append(out, target{ptr.Deref(l.Id), ptr.Deref(l.LambdaFunctionArn), l.Events, l.Filter})
	}
	return out
}

// validEvent lists the event types S3 accepts in a configuration.
func validEvent(e string) bool {
	switch e {
	case "s3:ObjectCreated:*", "s3:ObjectCreated:Put", "s3:ObjectCreated:Post", "s3:ObjectCreated:Copy",
		"s3:ObjectCreated:CompleteMultipartUpload", "s3:ObjectRemoved:*", "s3:ObjectRemoved:Delete",
		"s3:ObjectRemoved:DeleteMarkerCreated", "s3:ObjectRestore:*", "s3:ObjectRestore:Post",
		"s3:ObjectRestore:Completed", "s3:ObjectRestore:Delete", "s3:ReducedRedundancyLostObject",
		"s3:Replication:*", "s3:LifecycleExpiration:*", "s3:LifecycleExpiration:Delete",
		"s3:LifecycleExpiration:DeleteMarkerCreated", "s3:LifecycleTransition", "s3:IntelligentTiering",
		"s3:ObjectTagging:*", "s3:ObjectTagging:Put", "s3:ObjectTagging:Delete", "s3:ObjectAcl:Put":
		return true
	}
	return false
}

func (s *S3) PutBucketNotificationConfiguration(ctx *request.Context, in *s3api.PutBucketNotificationConfigurationInput) (*s3api.PutBucketNotificationConfigurationOutput, error) {
	name := ptr.Deref(in.Bucket)
	b, err := s.bucket(name)
	if err != nil {
		return nil, err
	}
	cfg := in.NotificationConfiguration
	if cfg == nil {
		cfg = &s3api.NotificationConfiguration{}
	}
	ts := targets(cfg)
	for i := range cfg.QueueConfigurations {
		ensureID(&cfg.QueueConfigurations[i].Id)
	}
	for i := range cfg.TopicConfigurations {
		ensureID(&cfg.TopicConfigurations[i].Id)
	}
	for i := range cfg.LambdaFunctionConfigurations {
		ensureID(&cfg.LambdaFunctionConfigurations[i].Id)
	}
	for _, t := range ts {
		if len(t.events) == 0 {
			return nil, errMalformedXML.New("The XML you provided was not well-formed or did not validate against our published schema")
		}
		for _, e := range t.events {
			if !validEvent(e) {
				return nil, errInvalidArgument.New("The event is not supported for notifications").With("ArgumentName", "Event").With("ArgumentValue", e)
			}
		}
		if t.filter != nil && t.filter.Key != nil {
			seen := map[string]bool{}
			for _, r := range t.filter.Key.FilterRules {
				n := strings.ToLower(ptr.Deref(r.Name))
				if n != "prefix" && n != "suffix" {
					return nil, errInvalidArgument.New("filter rule name must be either prefix or suffix").With("ArgumentName", "FilterRule.Name").With("ArgumentValue", ptr.Deref(r.Name))
				}
				if seen[n] {
					return nil, errInvalidArgument.New("Cannot specify more than one %s rule in a filter.", n).With("ArgumentName", "FilterRule.Name").With("ArgumentValue", ptr.Deref(r.Name))
				}
				seen[n] = true
			}
		}
	}
	if !ptr.Deref(in.SkipDestinationValidation) && len(ts) > 0 {
		var failed []target
		for _, t := range ts {
			err := s.bus.Deliver(ctx, events.Message{TargetARN: t.arn, SourceService: "s3.amazonaws.com",
				SourceARN: "arn:aws:s3:::" + name, SourceAccount: b.Account, Validate: true})
			if err != nil {
				failed = append(failed, t)
			}
		}
		if len(failed) > 0 {
			e := errInvalidArgument.New("Unable to validate the following destination configurations")
			for i, t := range failed {
				msg := "Permissions on the destination queue do not allow S3 to publish notifications from this bucket"
				switch events.ARNService(t.arn) {
				case "sns":
					msg = "Permissions on the destination topic do not allow S3 to publish notifications from this bucket"
				case "lambda":
					msg = "Not authorized to invoke function [" + t.arn + "]"
				}
				e = e.With(fmt.Sprintf("ArgumentName%d", i+1), t.arn).With(fmt.Sprintf("ArgumentValue%d", i+1), msg)
			}
			return nil, e
		}
	}
	if err := s.updateBucket(name, func(b *bucketRecord) error {
		b.Notification = cfg
		if len(ts) == 0 && cfg.EventBridgeConfiguration == nil {
			b.Notification = nil
		}
		return nil
	}); err != nil {
		return nil, err
	}
	// S3 sends a test event to each destination once the configuration is
	// saved.
	now := ctx.Now().UTC()
	for _, t := range ts {
		body, _ := json.Marshal(testEvent{
			Service: "Amazon S3", Event: "s3:TestEvent", Time: now.Format("2006-01-02T15:04:05.000Z"),
			Bucket: name, RequestID: ctx.RequestID, HostID: awsid.Hex(64),
		})
		if err := s.bus.Deliver(ctx, events.Message{TargetARN: t.arn, Body: string(body), SourceService: "s3.amazonaws.com",
			SourceARN: "arn:aws:s3:::" + name, SourceAccount: b.Account}); err != nil {
			s.opts.Log.Warn("s3 test event", "bucket", name, "target", t.arn, "error", err)
		}
	}
	return &s3api.PutBucketNotificationConfigurationOutput{}, nil
}

func ensureID(p **string) {
	if *p == nil || **p == "" {
		*p = ptr.To(awsid.Hex(32))
	}
}

func (s *S3) GetBucketNotificationConfiguration(ctx *request.Context, in *s3api.GetBucketNotificationConfigurationInput) (*s3api.GetBucketNotificationConfigurationOutput, error) {
	b, err := s.bucket(ptr.Deref(in.Bucket))
	if err != nil {
		return nil, err
	}
	if b.Notification == nil {
		return &s3api.NotificationConfiguration{}, nil
	}
	return b.Notification, nil
}

// matches reports whether an event of type name ("ObjectCreated:Put") on
// key is selected by t.
func (t target) matches(name, key string) bool {
	ok := false
	for _, e := range t.events {
		e = strings.TrimPrefix(e, "s3:")
		if e == name || (strings.HasSuffix(e, ":*") && strings.HasPrefix(name, strings.TrimSuffix(e, "*"))) {
			ok = true
		}
	}
	if !ok || t.filter == nil || t.filter.Key == nil {
		return ok
	}
	for _, r := range t.filter.Key.FilterRules {
		v := ptr.Deref(r.Value)
		switch strings.ToLower(ptr.Deref(r.Name)) {
		case "prefix":
			if !strings.HasPrefix(key, v) {
				return false
			}
		case "suffix":
			if !strings.HasSuffix(key, v) {
				return false
			}
		}
	}
	return true
}

// The S3 event message types. They are structs rather than maps so the
// JSON keeps the field order S3 writes (eventVersion first, s3.object.key
// before size and eTag), which consumers comparing or logging the text see.
type (
	testEvent struct {
		Service   string `json:"Service"`
		Event     string `json:"Event"`
		Time      string `json:"Time"`
		Bucket    string `json:"Bucket"`
		RequestID string `json:"RequestId"`
		HostID    string `json:"HostId"`
	}
	eventRecords struct {
		Records []eventRecord `json:"Records"`
	}
	eventRecord struct {
		EventVersion      string           `json:"eventVersion"`
		EventSource       string           `json:"eventSource"`
		AWSRegion         string           `json:"awsRegion"`
		EventTime         string           `json:"eventTime"`
		EventName         string           `json:"eventName"`
		UserIdentity      principalID      `json:"userIdentity"`
		RequestParameters sourceIP         `json:"requestParameters"`
		ResponseElements  responseElements `json:"responseElements"`
		S3                eventS3          `json:"s3"`
	}
	principalID struct {
		PrincipalID string `json:"principalId"`
	}
	sourceIP struct {
		SourceIPAddress string `json:"sourceIPAddress"`
	}
	responseElements struct {
		RequestID string `json:"x-amz-request-id"`
		ID2       string `json:"x-amz-id-2"`
	}
	eventS3 struct {
		SchemaVersion   string      `json:"s3SchemaVersion"`
		ConfigurationID string      `json:"configurationId"`
		Bucket          eventBucket `json:"bucket"`
		Object          eventObject `json:"object"`
	}
	eventBucket struct {
		Name          string      `json:"name"`
		OwnerIdentity principalID `json:"ownerIdentity"`
		ARN           string      `json:"arn"`
	}
	eventObject struct {
		Key       string `json:"key"`
		Size      *int64 `json:"size,omitempty"`
		ETag      string `json:"eTag,omitempty"`
		VersionID string `json:"versionId,omitempty"`
		Sequencer string `json:"sequencer"`
	}
)

// notify sends the notifications an object event causes: S3 event
// records to matching SQS/SNS/Lambda destinations and, for buckets with
// EventBridge enabled, an event on the bus.
func (s *S3) notify(ctx *request.Context, b bucketRecord, name string, o objectRecord) {
	if strings.HasPrefix(name, "ObjectCreated") {
		s.scheduleReplication(b.Name, o)
	}
	if b.Notification == nil {
		return
	}
	now := ctx.Now().UTC()
	seq := fmt.Sprintf("%016X", s.nextSeq(now))
	principal := "AWS:" + ctx.Caller.UserID
	if ctx.Caller.Anonymous {
		principal = "anonymous"
	} else if ctx.Caller.UserID == "" {
		principal = "AWS:" + ctx.Caller.Account
	}
	object := eventObject{Key: eventKey(o.Key), Sequencer: seq}
	if strings.HasPrefix(name, "ObjectCreated") {
		size := o.Size // &o.Size would move o to the heap on every call
		object.Size = &size
		object.ETag = strings.Trim(o.ETag, `"`)
	}
	if o.VersionID != "" && o.VersionID != "null" {
		object.VersionID = o.VersionID
	}
	for _, t := range targets(b.Notification) {
		if !t.matches(name, o.Key) {
			continue
		}
		rec := eventRecord{
			EventVersion: "2.1", EventSource: "aws:s3", AWSRegion: b.Region,
			EventTime: now.Format("2006-01-02T15:04:05.000Z"), EventName: name,
			UserIdentity:      principalID{principal},
			RequestParameters: sourceIP{ctx.SourceIP},
			ResponseElements:  responseElements{ctx.RequestID, awsid.Hex(64)},
			S3: eventS3{
				SchemaVersion: "1.0", ConfigurationID: t.id,
				Bucket: eventBucket{Name: b.Name, OwnerIdentity: principalID{canonicalID(b.Account)[:14]}, ARN: "arn:aws:s3:::" + b.Name},
				Object: object,
			},
		}
		body, _ := json.Marshal(eventRecords{[]eventRecord{rec}})
		err := s.bus.Deliver(context.WithoutCancel(ctx), events.Message{TargetARN: t.arn, Body: string(body), SourceService: "s3.amazonaws.com",
			SourceARN: "arn:aws:s3:::" + b.Name, SourceAccount: b.Account})
		if err != nil && !errors.Is(err, events.ErrNoHandler) {
			s.opts.Log.Warn("s3 notification", "bucket", b.Name, "target", t.arn, "error", err)
		}
	}
	if b.Notification.EventBridgeConfiguration != nil {
		detailType := "Object Created"
		reason := map[string]string{"ObjectCreated:Put": "PutObject", "ObjectCreated:Copy": "CopyObject", "ObjectCreated:CompleteMultipartUpload": "CompleteMultipartUpload", "ObjectCreated:Post": "PostObject"}[name]
		detail := map[string]any{"version": "0", "bucket": map[string]string{"name": b.Name}, "request-id": ctx.RequestID,
			"requester": ctx.Caller.Account, "source-ip-address": ctx.SourceIP}
		if ctx.Operation == "Lifecycle" {
			// What S3 does itself (lifecycle, a restore completing) names
			// S3 as the requester and has no source address.
			detail["requester"] = "s3.amazonaws.com"
			delete(detail, "source-ip-address")
		}
		obj := map[string]any{"key": o.Key, "sequencer": seq}
		if strings.HasPrefix(name, "ObjectCreated") {
			obj["size"], obj["etag"] = o.Size, strings.Trim(o.ETag, `"`)
			detail["reason"] = reason
		} else if strings.HasPrefix(name, "ObjectRestore") {
			detailType = restoreDetailType(name)
			obj["size"], obj["etag"] = o.Size, strings.Trim(o.ETag, `"`)
			detail["source-storage-class"] = storageClassOf(o)
			if name == "ObjectRestore:Completed" && o.RestoreExpiry != nil {
				detail["restore-expiry-time"] = o.RestoreExpiry.UTC().Format(time.RFC3339)
			}
		} else if name == "LifecycleTransition" {
			detailType = "Object Storage Class Changed"
			obj["size"], obj["etag"] = o.Size, strings.Trim(o.ETag, `"`)
			detail["destination-storage-class"] = storageClassOf(o)
		} else if dt, ok := objectChangeDetailTypes[name]; ok {
			// Tags and ACL changes name the version they changed.
			detailType = dt
			obj["etag"] = strings.Trim(o.ETag, `"`)
		} else {
			detailType = "Object Deleted"
			detail["reason"] = "DeleteObject"
			if strings.HasPrefix(name, "LifecycleExpiration") {
				detail["reason"] = "Lifecycle Expiration"
			}
			detail["deletion-type"] = "Permanently Deleted"
			if strings.HasSuffix(name, ":DeleteMarkerCreated") {
				detail["deletion-type"] = "Delete Marker Created"
			}
		}
		if o.VersionID != "" {
			obj["version-id"] = o.VersionID
		}
		detail["object"] = obj
		raw, _ := json.Marshal(detail)
		s.bus.Publish(events.Event{ID: awsid.UUID(), Source: "aws.s3", DetailType: detailType, Account: b.Account, Region: b.Region,
			Time: now.Truncate(time.Second), Resources: []string{"arn:aws:s3:::" + b.Name}, Detail: raw})
	}
}

// objectChangeDetailTypes are the EventBridge detail types of the object
// events that change no data (S3 User Guide, "Using EventBridge": event
// types).
var objectChangeDetailTypes = map[string]string{
	"ObjectTagging:Put":    "Object Tags Added",
	"ObjectTagging:Delete": "Object Tags Deleted",
	"ObjectAcl:Put":        "Object ACL Updated",
}

// eventKey is the object key as S3 event records carry it: URL-encoded
// with spaces as '+'.
func eventKey(k string) string {
	return strings.ReplaceAll(url.QueryEscape(k), "%2F", "/")
}
