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
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	snsapi "github.com/niwa-cloud/niwa/internal/api/sns"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

const maxMessage = 262144

// maxRawSQSAttrs is how many message attributes a raw delivery to SQS may
// carry.
const maxRawSQSAttrs = 10

// publication is one message to fan out.
type publication struct {
	id, seqNum, subject, structure string
	message                        string
	// hasSubject: Subject was given (an empty one is refused);
	// toEndpoint: published to a mobile endpoint (no "default" needed).
	hasSubject, toEndpoint bool
	attrs                  map[string]snsapi.MessageAttributeValue
	groupID, dedupID       string
	// duplicate: a FIFO publication within the deduplication interval of
	// an earlier one with its deduplication id (accepted, not delivered).
	duplicate bool
}

func (s *SNS) checkPublication(t *topic, p *publication, hasGroup, hasDedup bool) error {
	if err := checkMessage(p); err != nil {
		return err
	}
	for _, id := range []struct{ name, v string }{{"MessageGroupId", p.groupID}, {"MessageDeduplicationId", p.dedupID}} {
		if id.v != "" && !validFIFOID(id.v) {
			return errInvalidParam.New("Invalid parameter: %s Reason: %s can only include alphanumeric and punctuation characters. 1 to 128 in length.", id.name, id.name)
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

// validFIFOID holds SNS's rule for MessageGroupId and
// MessageDeduplicationId: 1 to 128 ASCII letters, digits and punctuation.
func validFIFOID(v string) bool {
	if len(v) == 0 || len(v) > 128 {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < '!' || c > '~' {
			return false
		}
	}
	return true
}

// checkMessage validates what every publication carries, whatever its
// destination: the message, its subject, attributes and size.
func checkMessage(p *publication) error {
	if p.message == "" {
		return errInvalidParam.New("Invalid parameter: Empty message")
	}
	if p.hasSubject && !validSubject(p.subject) {
		return errInvalidParam.New("Invalid parameter: Subject")
	}
	size := len(p.message)
	// In name order, so that of several bad attributes the same one is
	// named every time.
	names := make([]string, 0, len(p.attrs))
	for n := range p.attrs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		v := p.attrs[n]
		if err := checkAttrName(n); err != nil {
			return err
		}
		size += len(n)
		if v.DataType == nil || *v.DataType == "" {
			return errInvalidValue.New("The message attribute '%s' must contain non-empty message attribute type.", n)
		}
		dt := *v.DataType
		if len(dt) > 256 {
			return errInvalidValue.New("Length of message attribute type must be less than 256 bytes.")
		}
		size += len(dt)
		base, custom, hasCustom := strings.Cut(dt, ".")
		if hasCustom && custom == "" {
			return errInvalidValue.New("The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", n)
		}
		switch base {
		case "String", "Number":
			if v.StringValue == nil {
				return errInvalidValue.New("The message attribute '%s' with type '%s' must use field 'String'.", n, dt)
			}
			if *v.StringValue == "" {
				return errInvalidValue.New("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", n, dt)
			}
			if base == "Number" && !strings.HasPrefix(custom, "Array") {
				if _, err := strconv.ParseFloat(strings.TrimSpace(*v.StringValue), 64); err != nil {
					return errInvalidValue.New("Could not cast message attribute '%s' value to number.", n)
				}
			}
			if custom == "Array" || strings.HasPrefix(custom, "Array.") {
				var arr []any
				if json.Unmarshal([]byte(*v.StringValue), &arr) != nil {
					return errInvalidParam.New("Invalid parameter: Message attribute '%s' with type '%s' must be a JSON array of strings, numbers, booleans or nulls.", n, dt)
				}
				for _, e := range arr {
					switch e.(type) {
					case string, float64, bool, nil:
					default:
						return errInvalidParam.New("Invalid parameter: Message attribute '%s' with type '%s' must be a JSON array of strings, numbers, booleans or nulls.", n, dt)
					}
				}
			}
			size += len(*v.StringValue)
		case "Binary":
			if v.BinaryValue == nil {
				return errInvalidValue.New("The message attribute '%s' with type '%s' must use field 'Binary'.", n, dt)
			}
			if len(v.BinaryValue) == 0 {
				return errInvalidValue.New("The message attribute '%s' must contain non-empty message attribute value for message attribute type '%s'.", n, dt)
			}
			size += len(v.BinaryValue)
		default:
			return errInvalidValue.New("The message attribute '%s' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.", n)
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
		if _, ok := m["default"].(string); !ok && !p.toEndpoint {
			return errInvalidParam.New("Invalid parameter: Message Structure - No default entry in JSON message body")
		}
	}
	return nil
}

// publishSize is what SNS counts against the 256 KiB limit: the message
// and each attribute's name, type and value.
func publishSize(msg string, attrs map[string]snsapi.MessageAttributeValue) int {
	n := len(msg)
	for k, v := range attrs {
		n += len(k) + len(ptr.Deref(v.DataType)) + len(ptr.Deref(v.StringValue)) + len(v.BinaryValue)
	}
	return n
}

// validSubject holds SNS's rule for Subject: ASCII text that begins with
// a letter, number or punctuation mark, without line breaks or control
// characters, shorter than 100 characters.
func validSubject(s string) bool {
	if s == "" || len(s) >= 100 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return s[0] != ' '
}

// checkAttrName holds SNS's message attribute name rules: up to 256
// characters of A-Z, a-z, 0-9, '_', '-' and '.', not starting or ending
// with '.', no '..', and no "AWS." or "Amazon." prefix (reserved) but
// for SNS's own attributes.
func checkAttrName(n string) error {
	if n == "" {
		return errInvalidValue.New("The message attribute name must not be empty.")
	}
	if len(n) > 256 {
		return errInvalidValue.New("Length of message attribute name must be less than 256 bytes.")
	}
	if n[0] == '.' {
		return errInvalidValue.New("Invalid message attribute name starting with character '.' was found.")
	}
	if n[len(n)-1] == '.' {
		return errInvalidValue.New("Invalid message attribute name ending with character '.' was found.")
	}
	for i, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return errInvalidValue.New("Invalid non-alphanumeric character '#x%X' was found in the message attribute name. Can only include alphanumeric characters, hyphens, underscores, or dots.", c)
		}
		if c == '.' && i > 0 && n[i-1] == '.' {
			return errInvalidValue.New("Message attribute name can not have successive '.' character.")
		}
	}
	lower := strings.ToLower(n)
	// SNS's own attributes (AWS.SNS.SMS.SMSType, AWS.SNS.MOBILE.APNS.TTL,
	// AWS.MM.SMS.OriginationNumber, ...) are what the prefix is kept for.
	own := strings.HasPrefix(n, "AWS.SNS.") || strings.HasPrefix(n, "AWS.MM.")
	if !own && (strings.HasPrefix(lower, "aws.") || strings.HasPrefix(lower, "amazon.")) {
		return errInvalidValue.New("The message attribute name '%s' is reserved: names may not start with 'AWS.' or 'Amazon.'.", n)
	}
	return nil
}

// Publish publishes to a topic.
func (s *SNS) Publish(ctx *request.Context, in *snsapi.PublishInput) (*snsapi.PublishOutput, error) {
	given := 0
	for _, v := range []*string{in.TopicArn, in.TargetArn, in.PhoneNumber} {
		if v != nil && *v != "" {
			given++
		}
	}
	if given > 1 {
		return nil, errInvalidParam.New("Invalid parameter: TopicArn or TargetArn or PhoneNumber Reason: Only one of these parameters can be set")
	}
	arn := in.TopicArn
	if arn == nil || *arn == "" {
		arn = in.TargetArn
	}
	if arn == nil || *arn == "" {
		if in.PhoneNumber != nil && *in.PhoneNumber != "" {
			return s.publishSMS(ctx, in)
		}
		return nil, errInvalidParam.New("Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter")
	}
	if strings.Contains(*arn, ":endpoint/") {
		return s.publishToEndpoint(ctx, *arn, in)
	}
	ref, err := s.topicArg(ctx, arn)
	if err != nil {
		return nil, err
	}
	if err := s.checkKMS(ctx, ref); err != nil {
		return nil, err
	}
	p := &publication{message: ptr.Deref(in.Message), subject: ptr.Deref(in.Subject), hasSubject: in.Subject != nil, structure: ptr.Deref(in.MessageStructure),
		attrs: in.MessageAttributes, groupID: ptr.Deref(in.MessageGroupId), dedupID: ptr.Deref(in.MessageDeduplicationId)}
	if err := s.publish(ctx, ref, []*publication{p}, []bool{in.MessageGroupId != nil}, []bool{in.MessageDeduplicationId != nil}); err != nil {
		return nil, err
	}
	out := &snsapi.PublishOutput{MessageId: &p.id}
	if p.seqNum != "" {
		out.SequenceNumber = &p.seqNum
	}
	return out, nil
}

var batchIDRe = lazyre.New(`^[A-Za-z0-9_-]{1,80}$`)

// PublishBatch publishes up to ten messages; entries fail one by one.
func (s *SNS) PublishBatch(ctx *request.Context, in *snsapi.PublishBatchInput) (*snsapi.PublishBatchOutput, error) {
	ref, err := s.topicArg(ctx, in.TopicArn)
	if err != nil {
		return nil, err
	}
	n := len(in.PublishBatchRequestEntries)
	if n == 0 {
		return nil, snsapi.ErrEmptyBatchRequestException.New("The batch request doesn't contain any entries")
	}
	if n > 10 {
		return nil, snsapi.ErrTooManyEntriesInBatchRequestException.New("The batch request contains more entries than permissible.")
	}
	seen := map[string]bool{}
	total := 0
	for _, e := range in.PublishBatchRequestEntries {
		if e.Id == nil || !batchIDRe.MatchString(*e.Id) {
			return nil, snsapi.ErrInvalidBatchEntryIdException.New("The Id of a batch entry in a batch request doesn't abide by the specification")
		}
		if seen[*e.Id] {
			return nil, snsapi.ErrBatchEntryIdsNotDistinctException.New("Two or more batch entries in the request have the same Id.")
		}
		seen[*e.Id] = true
		total += publishSize(ptr.Deref(e.Message), e.MessageAttributes)
	}
	if total > maxMessage {
		return nil, snsapi.ErrBatchRequestTooLongException.New("The length of all the messages put together is more than the limit.")
	}
	pubs := make([]*publication, n)
	groups, hasDedups := make([]bool, n), make([]bool, n)
	for i, e := range in.PublishBatchRequestEntries {
		pubs[i] = &publication{message: ptr.Deref(e.Message), subject: ptr.Deref(e.Subject), hasSubject: e.Subject != nil, structure: ptr.Deref(e.MessageStructure),
			attrs: e.MessageAttributes, groupID: ptr.Deref(e.MessageGroupId), dedupID: ptr.Deref(e.MessageDeduplicationId)}
		groups[i], hasDedups[i] = e.MessageGroupId != nil, e.MessageDeduplicationId != nil
	}
	// As on SNS, an invalid entry (a FIFO entry without MessageGroupId, a
	// bad attribute, ...) fails the whole request rather than its entry.
	if err := s.checkKMS(ctx, ref); err != nil {
		return nil, err
	}
	if err := s.publish(ctx, ref, pubs, groups, hasDedups); err != nil {
		return nil, err
	}
	out := &snsapi.PublishBatchOutput{Successful: []snsapi.PublishBatchResultEntry{}, Failed: []snsapi.BatchResultErrorEntry{}}
	for i, e := range in.PublishBatchRequestEntries {
		r := snsapi.PublishBatchResultEntry{Id: e.Id, MessageId: &pubs[i].id}
		if pubs[i].seqNum != "" {
			r.SequenceNumber = &pubs[i].seqNum
		}
		out.Successful = append(out.Successful, r)
	}
	return out, nil
}

// publish validates, numbers (FIFO: deduplicates) and fans out
// publications; the first invalid one fails the call.
func (s *SNS) publish(ctx *request.Context, ref topicRef, pubs []*publication, hasGroup, hasDedup []bool) error {
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
				return err
			}
			if t.fifo() {
				if p.dedupID == "" {
					p.dedupID = sha256Hex(p.message)
				}
				if _, err := s.deduplicate(tx, ref, &t, p, ctx.Now()); err != nil {
					return err
				}
			} else {
				p.id = awsid.UUID()
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
	for _, p := range pubs {
		if p.duplicate {
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
	_ = json.Unmarshal([]byte(p.message), &m)
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
		} else if raw && sub.Protocol == "sqs" && len(p.attrs) > maxRawSQSAttrs {
			// SNS documents that raw deliveries to SQS carry at most ten
			// attributes and discards others as client errors.
			if ctx.Log != nil {
				ctx.Log.Warn("sns delivery discarded: more than 10 message attributes for raw delivery to SQS", "subscription", ref.arn()+":"+sub.ID)
			}
			return
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
		d := effectiveDelivery(t.Attrs["DeliveryPolicy"], sub.Attrs["DeliveryPolicy"])
		s.post(sub.Endpoint, "Notification", env.MessageID, ref.arn(), ref.arn()+":"+sub.ID, body, raw, &d)
	case "sms":
		if err := s.recordSMS(ref.scope, now, sub.Endpoint, ref.arn(), ref.arn()+":"+sub.ID, p.id, msg, p.attrs); err != nil && ctx.Log != nil {
			ctx.Log.Warn("sns delivery failed", "subscription", ref.arn()+":"+sub.ID, "endpoint", sub.Endpoint, "error", err)
		}
	case "application":
		if err := s.recordPush(ref.scope, now, sub.Endpoint, ref.arn(), p, msg); err != nil && ctx.Log != nil {
			ctx.Log.Warn("sns delivery failed", "subscription", ref.arn()+":"+sub.ID, "endpoint", sub.Endpoint, "error", err)
		}
	case "email", "email-json":
		body := msg
		if sub.Protocol == "email-json" {
			body = string(envJSON)
		}
		if err := s.store.Update(func(tx storage.Tx) error {
			return emails.Put(tx, ref.scope, email{Time: timestamp(now), To: sub.Endpoint, TopicArn: ref.arn(), Subject: p.subject, Body: body},
				s.recordKey(now), p.id, sub.ID)
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
func (s *SNS) post(endpoint, typ, msgID, topicARN, subARN string, body []byte, raw bool, d *httpDelivery) {
	if d == nil {
		d = &httpDelivery{contentType: "text/plain; charset=UTF-8"}
	}
	delays := d.retry.delays()
	s.pending.Add(1)
	go func() {
		defer s.pending.Done()
		for attempt := 0; ; attempt++ {
			if s.postOnce(endpoint, typ, msgID, topicARN, subARN, body, raw, d.contentType) || attempt >= len(delays) {
				return
			}
			select {
			case <-s.clock.After(delays[attempt]):
			case <-s.done:
				return
			}
		}
	}()
}

// postOnce makes one delivery attempt and reports whether it is over: an
// answer below 500 ends it, no answer or a server error is retried.
func (s *SNS) postOnce(endpoint, typ, msgID, topicARN, subARN string, body []byte, raw bool, contentType string) bool {
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return true
	}
	req.Header.Set("Content-Type", contentType)
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
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	_ = resp.Body.Close()
	return resp.StatusCode < 500
}

// sendConfirmation sends the SubscriptionConfirmation message: POSTed to
// an HTTP/HTTPS endpoint, or (email, email-json) recorded as the email SNS
// sends, whose link is the SubscribeURL.
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
	switch sub.Protocol {
	case "email", "email-json":
		text := string(body)
		if sub.Protocol == "email" {
			text = "You have chosen to subscribe to the topic: \n" + ref.arn() +
				"\n\nTo confirm this subscription, click or visit the link below (If this was in error no action is necessary):\n" + n.SubscribeURL
		}
		now := ctx.Now()
		if err := s.store.Update(func(tx storage.Tx) error {
			return emails.Put(tx, ref.scope, email{Time: timestamp(now), To: sub.Endpoint, TopicArn: ref.arn(),
				Subject: "AWS Notification - Subscription Confirmation", Body: text, SubscribeURL: n.SubscribeURL},
				s.recordKey(now), n.MessageID, sub.ID)
		}); err != nil && ctx.Log != nil {
			ctx.Log.Warn("sns: recording a subscription confirmation failed", "endpoint", sub.Endpoint, "error", err)
		}
	default:
		s.post(sub.Endpoint, n.Type, n.MessageID, ref.arn(), "", body, false, nil)
	}
}
