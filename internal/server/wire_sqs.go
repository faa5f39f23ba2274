package server

import (
	"net/http"
	"strings"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/gateway"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/service/sqs"
	"github.com/niwa-cloud/niwa/internal/service/sqs/querymodel"
)

// wireSQS wires SQS: the service itself, its query-protocol twin (the aws
// CLI v2 2.9 and older SDKs speak query; current SDKs JSON), the bus
// handler for deliveries from other services, and its queue policies.
func wireSQS(d *deps) (*wiring, error) {
	store, err := d.store("sqs")
	if err != nil {
		return nil, err
	}
	svc := sqs.New(store, d.clock, sqs.Options{DataKeys: d.dataKeysOf()})
	d.sqs = svc
	d.bus.Handle("sqs", svc)
	alt, err := sqsQueryProtocol(d.codecs)
	if err != nil {
		return nil, err
	}
	decl := svc.Declare()
	// The AWS/SQS queue gauges go to CloudWatch through the bus each minute.
	decl.Close = svc.StartMetrics(d.bus, 0).Stop
	return &wiring{alt: alt, Declaration: decl}, nil
}

// sqsQueryProtocol is SQS's alternate protocol for the gateway.
func sqsQueryProtocol(cs interface {
	For(string) (protocol.Codec, error)
}) (*gateway.AltProtocol, error) {
	codec, err := cs.For("query")
	if err != nil {
		return nil, err
	}
	return &gateway.AltProtocol{Metadata: querymodel.Metadata(), Model: querymodel.Load, Codec: queueURLPath{codec}}, nil
}

// queueURLPath lets query clients that POST to the queue URL itself
// (http://host/<account>/<name>, as older SDKs and curl users do) omit the
// QueueUrl parameter: the path names the queue. Its errors are worded as
// SQS's query front end words them (sqs.QueryWording).
//
// Query requests and answers go through the dynamic tree: the query
// codec's typed decoder and encoder walk a shape's members beside the
// typed table's fields in order, and the query model lists members in
// name order where the typed shapes (from the JSON model) keep AWS's
// order, so every SQS query request would be decoded twice.
type queueURLPath struct{ protocol.Codec }

// notAtQueueURL are the actions SQS refuses at a queue URL: they name no
// queue (GetQueueUrl, oddly, is served there).
var notAtQueueURL = map[string]bool{"CreateQueue": true, "ListQueues": true}

// Resolve answers an action SQS does not take at a queue URL (an unknown
// one, or CreateQueue/ListQueues) with InvalidAction "... not valid for
// this endpoint.", as SQS does.
func (c queueURLPath) Resolve(svc *model.Service, req *protocol.Request) (*model.Operation, error) {
	op, err := c.Codec.Resolve(svc, req)
	if !atQueueURL(req.HTTP) {
		return op, err
	}
	if err == nil && !notAtQueueURL[op.Name] {
		return op, nil
	}
	if err != nil && awserr.As(err).Code.Code != awserr.InvalidAction.Code {
		return op, err
	}
	form, ferr := req.Form()
	if ferr != nil {
		return op, err
	}
	return nil, awserr.InvalidAction.New("The action %s is not valid for this endpoint.", form.Get("Action"))
}

func (c queueURLPath) EncodeError(w http.ResponseWriter, svc *model.Service, op *model.Operation, err *awserr.Error, meta protocol.Meta) {
	c.Codec.EncodeError(w, svc, op, sqs.QueryWording(err), meta)
}

func (c queueURLPath) Decode(op *model.Operation, req *protocol.Request) (map[string]any, error) {
	in, err := c.Codec.Decode(op, req)
	if err != nil || op.Input == nil {
		return in, err
	}
	if _, has := op.Input.Shape.MemberByName("QueueUrl"); !has {
		return in, nil
	}
	if _, set := in["QueueUrl"]; set {
		return in, nil
	}
	if u := pathQueueURL(req.HTTP); u != "" {
		in["QueueUrl"] = u
	}
	return in, nil
}

// atQueueURL reports whether r's path is a queue's (/<account>/<name>):
// two non-empty segments, slashes around them ignored.
func atQueueURL(r *http.Request) bool {
	account, name, ok := strings.Cut(strings.Trim(r.URL.Path, "/"), "/")
	return ok && account != "" && name != "" && !strings.Contains(name, "/")
}

func pathQueueURL(r *http.Request) string {
	if !atQueueURL(r) {
		return ""
	}
	return "http://" + r.Host + r.URL.Path
}
