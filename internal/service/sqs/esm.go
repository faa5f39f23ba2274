package sqs

import (
	"context"
	"encoding/base64"
	"strings"

	sqsapi "github.com/niwa-cloud/niwa/internal/api/sqs"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// MappingMessage is a message as a Lambda event source mapping receives
// it, with its attributes already in the shape of the SQS event record
// (Records[].attributes and Records[].messageAttributes).
type MappingMessage struct {
	MessageID         string
	ReceiptHandle     string
	Body              string
	MD5OfBody         string
	Attributes        map[string]string
	MessageAttributes map[string]any
}

// mappingContext is the request context of the event source mapping's
// poller: the queue's own account and region, the service's clock.
func (s *SQS) mappingContext(ctx context.Context, ref queueRef) *request.Context {
	return &request.Context{Context: ctx, Service: "sqs", Account: ref.scope.Account, Region: ref.scope.Region, Clock: s.clock}
}

// ReceiveForMapping takes up to max receivable messages of the queue named
// by queueARN for a Lambda event source mapping. It is ReceiveMessage's
// own receive: the messages become invisible for the queue's visibility
// timeout, the receive counts toward the redrive policy, and a message
// past maxReceiveCount moves to the dead-letter queue instead of being
// returned. It does not wait for messages (the poller does).
func (s *SQS) ReceiveForMapping(ctx context.Context, queueARN string, max int) ([]MappingMessage, error) {
	ref, ok := parseQueueARN(queueARN)
	if !ok {
		return nil, queueMissing()
	}
	in := &sqsapi.ReceiveMessageInput{AttributeNames: []string{"All"}, MessageAttributeNames: []string{"All"}}
	got, _, err := s.receive(s.mappingContext(ctx, ref), ref, in, max)
	if err != nil {
		return nil, err
	}
	out := make([]MappingMessage, len(got))
	for i, m := range got {
		attrs := m.Attributes
		if attrs == nil {
			attrs = map[string]string{}
		}
		out[i] = MappingMessage{MessageID: ptr.Deref(m.MessageId), ReceiptHandle: ptr.Deref(m.ReceiptHandle), Body: ptr.Deref(m.Body),
			MD5OfBody: ptr.Deref(m.MD5OfBody), Attributes: attrs, MessageAttributes: eventAttributes(m.MessageAttributes)}
	}
	return out, nil
}

// eventAttributes renders message attributes as the SQS event record
// does: camel-case keys, binary values base64, empty list fields present.
func eventAttributes(attrs map[string]sqsapi.MessageAttributeValue) map[string]any {
	out := make(map[string]any, len(attrs))
	for n, v := range attrs {
		a := map[string]any{"dataType": ptr.Deref(v.DataType), "stringListValues": []string{}, "binaryListValues": []string{}}
		if strings.HasPrefix(ptr.Deref(v.DataType), "Binary") {
			a["binaryValue"] = base64.StdEncoding.EncodeToString(v.BinaryValue)
		} else {
			a["stringValue"] = ptr.Deref(v.StringValue)
		}
		out[n] = a
	}
	return out
}

// DeleteForMapping deletes the messages an event source mapping processed,
// as DeleteMessageBatch would. Handles of messages already gone (or
// received again since) are ignored, as SQS does for DeleteMessage.
func (s *SQS) DeleteForMapping(ctx context.Context, queueARN string, receiptHandles []string) error {
	ref, ok := parseQueueARN(queueARN)
	if !ok {
		return queueMissing()
	}
	err := s.store.Update(func(tx storage.Tx) error {
		if _, ok := tx.Get(queues.Key(ref.scope, ref.name)); !ok {
			return queueMissing()
		}
		for _, h := range receiptHandles {
			key, _, err := lookupReceipt(ref, &h)
			if err != nil {
				continue
			}
			if err := messages.Delete(tx, ref.scope, ref.name, key); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		s.wake.broadcast(ref)
	}
	return err
}
