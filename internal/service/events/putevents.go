package events

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	eventsapi "github.com/niwa-cloud/niwa/internal/api/events"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// maxPutEventsSize is the limit on the total size of a PutEvents request's
// entries, computed as AWS documents ("Calculating PutEvents event entry
// size").
const maxPutEventsSize = 256 * 1024

func entrySize(en eventsapi.PutEventsRequestEntry) int {
	n := 0
	if en.Time != nil {
		n += 14
	}
	n += len(ptr.Deref(en.Source)) + len(ptr.Deref(en.DetailType)) + len(ptr.Deref(en.Detail))
	for _, r := range en.Resources {
		n += len(r)
	}
	return n
}

func entryErr(code, msg string) eventsapi.PutEventsResultEntry {
	return eventsapi.PutEventsResultEntry{ErrorCode: ptr.To(code), ErrorMessage: ptr.To(msg)}
}

// PutEvents sends custom events to buses. Entries fail one by one
// (FailedEntryCount); only a request over the size limit fails whole.
func (e *Events) PutEvents(ctx *request.Context, in *eventsapi.PutEventsRequest) (*eventsapi.PutEventsResponse, error) {
	total := 0
	for _, en := range in.Entries {
		total += entrySize(en)
	}
	if total > maxPutEventsSize {
		return nil, validation("Total size of the entries in the request is over the limit.")
	}
	out := &eventsapi.PutEventsResponse{Entries: []eventsapi.PutEventsResultEntry{}}
	failed := int32(0)
	var ready []envelope
	for _, en := range in.Entries {
		res, env := e.checkEntry(ctx, en)
		if res.ErrorCode != nil {
			failed++
		} else {
			ready = append(ready, env)
		}
		out.Entries = append(out.Entries, res)
	}
	for _, env := range ready {
		e.enqueue(env)
	}
	out.FailedEntryCount = ptr.To(failed)
	return out, nil
}

func (e *Events) checkEntry(ctx *request.Context, en eventsapi.PutEventsRequestEntry) (eventsapi.PutEventsResultEntry, envelope) {
	switch {
	case ptr.Deref(en.Source) == "":
		return entryErr("InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument."), envelope{}
	case ptr.Deref(en.DetailType) == "":
		return entryErr("InvalidArgument", "Parameter DetailType is not valid. Reason: DetailType is a required argument."), envelope{}
	case ptr.Deref(en.Detail) == "":
		return entryErr("InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument."), envelope{}
	}
	var detail map[string]json.RawMessage
	if !utf8.ValidString(*en.Detail) || json.Unmarshal([]byte(*en.Detail), &detail) != nil || detail == nil {
		return entryErr("MalformedDetail", "Detail is malformed."), envelope{}
	}
	if strings.HasPrefix(*en.Source, "aws.") {
		return entryErr("NotAuthorizedForSourceException", "Not authorized for the source."), envelope{}
	}
	for _, r := range en.Resources {
		if r == "" {
			return entryErr("InvalidArgument", "Parameter Resources is not valid."), envelope{}
		}
	}
	sc, bus := busName(ctx, en.EventBusName)
	var b busRecord
	var ok bool
	err := e.store.View(func(tx storage.Tx) error {
		var err error
		b, ok, err = getBus(tx, sc, bus)
		return err
	})
	if err != nil {
		return entryErr("InternalFailure", "Internal service error."), envelope{}
	}
	if !ok {
		if sc.Account != ctx.Account {
			return entryErr("AccessDeniedException", notAuthorized(ctx, busARN(sc, bus))), envelope{}
		}
		return entryErr("ResourceNotFoundException", "Event bus "+bus+" does not exist."), envelope{}
	}
	if sc.Account != ctx.Account && !policyAllowsPutEvents(b.Policy, ctx.Account, busARN(sc, bus)) {
		return entryErr("AccessDeniedException", notAuthorized(ctx, busARN(sc, bus))), envelope{}
	}
	id := awsid.UUID()
	t := ctx.Now()
	if en.Time != nil {
		t = *en.Time
	}
	body := marshalEvent(wireEvent{ID: id, DetailType: *en.DetailType, Source: *en.Source, Account: ctx.Account,
		Time: formatTime(t), Region: sc.Region, Resources: en.Resources, Detail: json.RawMessage(*en.Detail)})
	return eventsapi.PutEventsResultEntry{EventId: ptr.To(id)}, envelope{sc: sc, bus: bus, event: body}
}

func notAuthorized(ctx *request.Context, arn string) string {
	return "User: " + ctx.Caller.ARN + " is not authorized to perform: events:PutEvents on resource: " + arn +
		" because no resource-based policy allows the events:PutEvents action"
}
