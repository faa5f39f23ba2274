package sns

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	snsapi "github.com/niwa-cloud/niwa/internal/api/sns"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

const maxMessage = 262144

// publication is one message to fan out.
type publication struct {
	id, seqNum, subject, structure string
	message                        string
	attrs                          map[string]snsapi.MessageAttributeValue
	groupID, dedupID               string
}

func (s *SNS) checkPublication(t *topic, p *publication, hasGroup, hasDedup bool) error {
	if p.message == "" {
		return errInvalidParam.New("Invalid parameter: Empty message")
	}
	size := len(p.message)
	for n, v := range p.attrs {
		size += len(n)
		if v.DataType == nil {
			return errInvalidParam.New("Invalid parameter: MessageAttributes Reason: The message attribute '%s' must contain non-empty message attribute type.", n)
		}
		dt := *v.DataType
		base, _, _ := strings.Cut(dt, ".")
		switch base {
		case "String", "Number":
			if v.StringValue == nil {
				return errInvalidParam.New("Invalid parameter: MessageAttributes Reason: The message attribute '%s' with type '%s' must contain a non-empty value.", n, dt)
			}
			size += len(*v.StringValue)
		case "Binary":
			size += len(v.BinaryValue)
		default:
			return errInvalidParam.New("Invalid parameter: MessageAttributes Reason: The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", n)
		}
	}
	if size > maxMessage {
		return errInvalidParam.New("Invalid parameter: Message too long")
	}
	if p.structure != "" {
		if p.structure != "json" {
			return errInvalidParam.New("Invalid parameter: MessageStructure")
		}
		var m map[string]any
		if json.Unmarshal([]byte(p.message), &m) != nil {
			return errInvalidParam.New("Invalid parameter: Message Structure - JSON message body failed to parse")
		}
		if _, ok := m["default"].(string); !ok {
			return errInvalidParam.New("Invalid parameter: Message Structure - No default entry in JSON message body")
		}
	}
	if t.fifo() {
		if !hasGroup {
			return errInvalidParam.New("Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
		}
		if !hasDedup && t.Attrs["ContentBasedDeduplication"] != "true" {
			return errInvalidParam.New("Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
		}
	} else if hasDedup {
		return errInvalidParam.New("Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type")
	}
	return nil
}

// Publish publishes to a topic.
func (s *SNS) Publish(ctx *request.Context, in *snsapi.PublishInput) (*snsapi.PublishOutput, error) {
	arn := in.TopicArn
	if arn == nil {
		arn = in.TargetArn
	}
	if arn == nil {
		if in.PhoneNumber != nil {
			id := awsid.UUID() // SMS is accepted and dropped: niwa sends no texts
			return &snsapi.PublishOutput{MessageId: &id}, nil
		}
		return nil, errInvalidParam.New("Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter")
	}
	ref, err := s.topicArg(arn)
	if err != nil {
		return nil, err
	}
	p := &publication{message: ptr.Deref(in.Message), subject: ptr.Deref(in.Subject), structure: ptr.Deref(in.MessageStructure),
		attrs: in.MessageAttributes, groupID: ptr.Deref(in.MessageGroupId), dedupID: ptr.Deref(in.MessageDeduplicationId)}
	if err := s.publish(ctx, ref, []*publication{p}, []bool{in.MessageGroupId != nil}, []bool{in.MessageDeduplicationId != nil}, nil); err != nil {
		return nil, err
	}
	out := &snsapi.PublishOutput{MessageId: &p.id}
	if p.seqNum != "" {
		out.SequenceNumber = &p.seqNum
	}
	return out, nil
}

var batchIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// PublishBatch publishes up to ten messages; entries fail one by one.
func (s *SNS) PublishBatch(ctx *request.Context, in *snsapi.PublishBatchInput) (*snsapi.PublishBatchOutput, error) {
	ref, err := s.topicArg(in.TopicArn)
	if err != nil {
		return nil, err
	}
	n := len(in.PublishBatchRequestEntries)
	if n == 0 {
		return nil, snsapi.ErrEmptyBatchRequestException.New("The batch request doesn't contain any entries")
	}
	if n > 10 {
		return nil, snsapi.ErrTooManyEntriesInBatchRequestException.New("The batch request contains more entries than permissible")
	}
	seen := map[string]bool{}
	total := 0
	for _, e := range in.PublishBatchRequestEntries {
		if e.Id == nil || !batchIDRe.MatchString(*e.Id) {
			return nil, snsapi.ErrInvalidBatchEntryIdException.New("The Id of a batch entry in a batch request doesn't abide by the specification")
		}
		if seen[*e.Id] {
			return nil, snsapi.ErrBatchEntryIdsNotDistinctException.New("Two or more batch entries in the request have the same Id")
		}
		seen[*e.Id] = true
		total += len(ptr.Deref(e.Message))
	}
	if total > maxMessage {
		return nil, snsapi.ErrBatchRequestTooLongException.New("The length of all the messages put together is more than the limit")
	}
	pubs := make([]*publication, n)
	groups, dedups := make([]bool, n), make([]bool, n)
	for i, e := range in.PublishBatchRequestEntries {
		pubs[i] = &publication{message: ptr.Deref(e.Message), subject: ptr.Deref(e.Subject), structure: ptr.Deref(e.MessageStructure),
			attrs: e.MessageAttributes, groupID: ptr.Deref(e.MessageGroupId), dedupID: ptr.Deref(e.MessageDeduplicationId)}
		groups[i], dedups[i] = e.MessageGroupId != nil, e.MessageDeduplicationId != nil
	}
	failed := make([]error, n)
	if err := s.publish(ctx, ref, pubs, groups, dedups, failed); err != nil {
		return nil, err
	}
	out := &snsapi.PublishBatchOutput{Successful: []snsapi.PublishBatchResultEntry{}, Failed: []snsapi.BatchResultErrorEntry{}}
	for i, e := range in.PublishBatchRequestEntries {
		if failed[i] != nil {
			ae := asAWS(failed[i])
			code, msg, sender := ae.Code.Code, ae.Message, ae.Code.Sender
			out.Failed = append(out.Failed, snsapi.BatchResultErrorEntry{Id: e.Id, Code: &code, Message: &msg, SenderFault: &sender})
			continue
		}
		r := snsapi.PublishBatchResultEntry{Id: e.Id, MessageId: &pubs[i].id}
		if pubs[i].seqNum != "" {
			r.SequenceNumber = &pubs[i].seqNum
		}
		out.Successful = append(out.Successful, r)
	}
	return out, nil
}

// publish validates, numbers and fans out publications. With failed nil,
// the first invalid publication fails the call; otherwise failures are
// recorded per entry.
func (s *SNS) publish(ctx *request.Context, ref topicRef, pubs []*publication, hasGroup, hasDedup []bool, failed []error) error {
	var t topic
	var targets []subscription
	err := s.store.Update(func(tx storage.Tx) error {
		var found bool
		var err error
		if t, found, err = topics.Get(tx, ref.scope, ref.name); err != nil {
			return err
		} else if !found {
			return topicMissing()
		}
		for i, p := range pubs {
			if err := s.checkPublication(&t, p, hasGroup[i], hasDedup[i]); err != nil {
				if failed == nil {
					return err
				}
				failed[i] = err
				continue
			}
			p.id = awsid.UUID()
			if t.fifo() {
				t.Seq++
				p.seqNum = fmt.Sprintf("%020d", 10000000000000000000+t.Seq)
				if p.dedupID == "" {
					p.dedupID = sha256Hex(p.message)
				}
			}
		}
		targets = nil
		if err := subs.List(tx, ref.scope, []string{ref.name}, storage.ListOptions{}, func(_ []string, x subscription) bool {
			if x.Confirmed {
				targets = append(targets, x)
			}
			return true
		}); err != nil {
			return err
		}
		if t.fifo() {
			return topics.Put(tx, ref.scope, t, ref.name)
		}
		return nil
	})
	if err != nil {
		return err
	}
	host := ""
	if ctx.HTTP != nil {
		host = ctx.HTTP.Host
	}
	now := ctx.Now()
	for i, p := range pubs {
		if failed != nil && failed[i] != nil {
			continue
		}
		for _, sub := range targets {
			s.deliver(ctx, ref, &t, sub, p, host, now)
		}
	}
	return nil
}

// notification is the JSON SNS delivers (and signs).
type notification struct {
	Type              string               `json:"Type"`
	MessageID         string               `json:"MessageId"`
	Token             string               `json:"Token,omitempty"`
	SequenceNumber    string               `json:"SequenceNumber,omitempty"`
	TopicArn          string               `json:"TopicArn"`
	Subject           string               `json:"Subject,omitempty"`
	Message           string               `json:"Message"`
	SubscribeURL      string               `json:"SubscribeURL,omitempty"`
	Timestamp         string               `json:"Timestamp"`
	SignatureVersion  string               `json:"SignatureVersion"`
	Signature         string               `json:"Signature"`
	SigningCertURL    string               `json:"SigningCertURL"`
	UnsubscribeURL    string               `json:"UnsubscribeURL,omitempty"`
	MessageAttributes map[string]attrValue `json:"MessageAttributes,omitempty"`
}

type attrValue struct {
	Type  string `json:"Type"`
	Value string `json:"Value"`
}

// sign fills Signature as AWS documents: the listed fields as "Name\nValue\n"
// in this order (Subject only when present), RSA over SHA1 (version 1) or
// SHA256 (version 2).
func (s *SNS) sign(n *notification) {
	var b strings.Builder
	add := func(k, v string) { b.WriteString(k + "\n" + v + "\n") }
	add("Message", n.Message)
	add("MessageId", n.MessageID)
	if n.Type == "Notification" {
		if n.Subject != "" {
			add("Subject", n.Subject)
		}
	} else {
		add("SubscribeURL", n.SubscribeURL)
	}
	add("Timestamp", n.Timestamp)
	if n.Type != "Notification" {
		add("Token", n.Token)
	}
	add("TopicArn", n.TopicArn)
	add("Type", n.Type)
	var sig []byte
	key, _, err := s.signer()
	switch {
	case err != nil:
		// No key (the system's randomness failed): the message goes out
		// unsigned rather than not at all.
	case n.SignatureVersion == "2":
		h := sha256.Sum256([]byte(b.String()))
		sig, _ = rsa.SignPKCS1v15(nil, key, crypto.SHA256, h[:])
	default:
		h := sha1.Sum([]byte(b.String()))
		sig, _ = rsa.SignPKCS1v15(nil, key, crypto.SHA1, h[:])
	}
	n.Signature = base64.StdEncoding.EncodeToString(sig)
}

func (s *SNS) baseURL(host string) string {
	if host == "" {
		host = "localhost:4566"
	}
	return "http://" + host
}

// messageFor picks the protocol's message from a MessageStructure=json
// publication.
func messageFor(p *publication, protocol string) string {
	if p.structure != "json" {
		return p.message
	}
	var m map[string]any
	json.Unmarshal([]byte(p.message), &m)
	if v, ok := m[protocol].(string); ok {
		return v
	}
	return m["default"].(string)
}

func (s *SNS) envelope(ref topicRef, t *topic, sub subscription, p *publication, msg, host string, now time.Time) *notification {
	n := &notification{
		Type: "Notification", MessageID: p.id, TopicArn: ref.arn(), Subject: p.subject, Message: msg,
		Timestamp: timestamp(now), SignatureVersion: t.Attrs["SignatureVersion"], SequenceNumber: p.seqNum,
		SigningCertURL: s.baseURL(host) + s.CertPath(),
		UnsubscribeURL: s.baseURL(host) + "/_niwa/sns/unsubscribe?SubscriptionArn=" + url.QueryEscape(ref.arn()+":"+sub.ID),
	}
	if n.SignatureVersion == "" {
		n.SignatureVersion = "1"
	}
	if len(p.attrs) > 0 {
		n.MessageAttributes = map[string]attrValue{}
		for k, v := range p.attrs {
			val := ptr.Deref(v.StringValue)
			if strings.HasPrefix(*v.DataType, "Binary") {
				val = base64.StdEncoding.EncodeToString(v.BinaryValue)
			}
			n.MessageAttributes[k] = attrValue{Type: *v.DataType, Value: val}
		}
	}
	s.sign(n)
	return n
}

// deliver hands one publication to one subscription, if its filter policy
// matches. Failures are logged, not returned: SNS acknowledges a publish
// before delivery.
func (s *SNS) deliver(ctx *request.Context, ref topicRef, t *topic, sub subscription, p *publication, host string, now time.Time) {
	if fp := sub.Attrs["FilterPolicy"]; fp != "" {
		policy, err := parseFilterPolicy(fp)
		if err != nil || !policy.matches(sub.Attrs["FilterPolicyScope"] == "MessageBody", p) {
			return
		}
	}
	msg := messageFor(p, sub.Protocol)
	raw := sub.Attrs["RawMessageDelivery"] == "true"
	env := s.envelope(ref, t, sub, p, msg, host, now)
	envJSON, _ := json.Marshal(env)
	switch sub.Protocol {
	case "sqs", "lambda", "firehose":
		m := events.Message{TargetARN: sub.Endpoint, Body: string(envJSON), SourceService: "sns.amazonaws.com",
			SourceARN: ref.arn(), SourceAccount: ref.scope.Account, MessageGroupID: p.groupID, DeduplicationID: p.dedupID}
		if sub.Protocol == "lambda" {
			m.Body = lambdaEvent(ref.arn()+":"+sub.ID, env)
		} else if raw {
			m.Body = msg
			if len(p.attrs) > 0 {
				m.Attributes = map[string]string{}
				for k := range p.attrs {
					m.Attributes[k] = env.MessageAttributes[k].Value
				}
			}
		}
		if err := s.bus.Deliver(ctx, m); err != nil && ctx.Log != nil {
			ctx.Log.Warn("sns delivery failed", "subscription", ref.arn()+":"+sub.ID, "endpoint", sub.Endpoint, "error", err)
		}
	case "http", "https":
		body := envJSON
		if raw {
			body = []byte(msg)
		}
		s.post(sub.Endpoint, "Notification", env.MessageID, ref.arn(), ref.arn()+":"+sub.ID, body, raw)
	case "email", "email-json":
		body := msg
		if sub.Protocol == "email-json" {
			body = string(envJSON)
		}
		if err := s.store.Update(func(tx storage.Tx) error {
			return emails.Put(tx, ref.scope, email{Time: timestamp(now), To: sub.Endpoint, TopicArn: ref.arn(), Subject: p.subject, Body: body},
				fmt.Sprintf("%020d", now.UnixNano()), p.id, sub.ID)
		}); err != nil && ctx.Log != nil {
			ctx.Log.Warn("sns delivery failed", "subscription", ref.arn()+":"+sub.ID, "endpoint", sub.Endpoint, "error", err)
		}
	}
}

func lambdaEvent(subARN string, n *notification) string {
	ev := map[string]any{"Records": []any{map[string]any{
		"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": subARN,
		"Sns": map[string]any{
			"Type": n.Type, "MessageId": n.MessageID, "TopicArn": n.TopicArn, "Subject": nilIfEmpty(n.Subject),
			"Message": n.Message, "Timestamp": n.Timestamp, "SignatureVersion": n.SignatureVersion,
			"Signature": n.Signature, "SigningCertUrl": n.SigningCertURL, "UnsubscribeUrl": n.UnsubscribeURL,
			"MessageAttributes": n.MessageAttributes,
		},
	}}}
	b, _ := json.Marshal(ev)
	return string(b)
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// post makes an HTTP/HTTPS delivery in the background with the headers SNS
// sends.
func (s *SNS) post(endpoint, typ, msgID, topicARN, subARN string, body []byte, raw bool) {
	s.pending.Add(1)
	go func() {
		defer s.pending.Done()
		req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, endpoint, bytes.NewReader(body))
		if err != nil {
			return
		}
		req.Header.Set("Content-Type", "text/plain; charset=UTF-8")
		req.Header.Set("User-Agent", "Amazon Simple Notification Service Agent")
		req.Header.Set("x-amz-sns-message-type", typ)
		req.Header.Set("x-amz-sns-message-id", msgID)
		req.Header.Set("x-amz-sns-topic-arn", topicARN)
		if subARN != "" {
			req.Header.Set("x-amz-sns-subscription-arn", subARN)
		}
		if raw {
			req.Header.Set("x-amz-sns-rawdelivery", "true")
		}
		resp, err := s.client.Do(req)
		if err == nil {
			resp.Body.Close()
		}
	}()
}

// sendConfirmation POSTs the SubscriptionConfirmation message.
func (s *SNS) sendConfirmation(ctx *request.Context, ref topicRef, t topic, sub subscription) {
	host := ""
	if ctx.HTTP != nil {
		host = ctx.HTTP.Host
	}
	n := &notification{
		Type: "SubscriptionConfirmation", MessageID: awsid.UUID(), Token: sub.Token, TopicArn: ref.arn(),
		Message:      "You have chosen to subscribe to the topic " + ref.arn() + ".\nTo confirm the subscription, visit the SubscribeURL included in this message.",
		SubscribeURL: s.baseURL(host) + "/_niwa/sns/confirm?Action=ConfirmSubscription&TopicArn=" + url.QueryEscape(ref.arn()) + "&Token=" + sub.Token,
		Timestamp:    timestamp(ctx.Now()), SignatureVersion: t.Attrs["SignatureVersion"], SigningCertURL: s.baseURL(host) + s.CertPath(),
	}
	if n.SignatureVersion == "" {
		n.SignatureVersion = "1"
	}
	s.sign(n)
	body, _ := json.Marshal(n)
	s.post(sub.Endpoint, n.Type, n.MessageID, ref.arn(), "", body, false)
}
