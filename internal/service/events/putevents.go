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
	// Events sent to a global endpoint go to its bus in the primary
	// region (and the secondary, with replication).
	var via []storage.Scope
	var viaBus string
	if id := ptr.Deref(in.EndpointId); id != "" {
		var err error
		if via, viaBus, err = e.endpointTargets(ctx, id); err != nil {
			return nil, err
		}
	}
	out := &eventsapi.PutEventsResponse{Entries: []eventsapi.PutEventsResultEntry{}}
	failed := int32(0)
	var ready []envelope
	for _, en := range in.Entries {
		sc, bus := busName(ctx, en.EventBusName)
		if via != nil {
			if en.EventBusName != nil && bus != viaBus {
				res := entryErr("InvalidArgument", "Parameter EventBusName is not valid. Reason: the endpoint's event bus is "+viaBus+".")
				failed++
				out.Entries = append(out.Entries, res)
				continue
			}
			sc, bus = via[0], viaBus
		}
		res, env := e.checkEntry(ctx, en, sc, bus)
		if res.ErrorCode != nil {
			failed++
		} else {
			ready = append(ready, env)
			for _, r := range via[min(1, len(via)):] {
				// The replica carries the same event id, in its region.
				rep := env
				rep.sc = r
				rep.event = relabelRegion(env.event, r.Region)
				ready = append(ready, rep)
			}
		}
		out.Entries = append(out.Entries, res)
	}
	for _, env := range ready {
		e.enqueue(env)
	}
	out.FailedEntryCount = ptr.To(failed)
	return out, nil
}

func (e *Events) checkEntry(ctx *request.Context, en eventsapi.PutEventsRequestEntry, sc storage.Scope, bus string) (eventsapi.PutEventsResultEntry, envelope) {
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

// relabelRegion returns event (AWS's envelope JSON) with its region set to
// region, for the copy a global endpoint replicates.
func relabelRegion(event []byte, region string) []byte {
	var w wireEvent
	if json.Unmarshal(event, &w) != nil {
		return event
	}
	w.Region = region
	return marshalEvent(w)
}
