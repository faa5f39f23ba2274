package events

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	eventsapi "github.com/niwa-cloud/niwa/internal/api/events"
	"github.com/niwa-cloud/niwa/internal/events/pattern"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

func archiveNotFound(name string) error {
	return eventsapi.ErrResourceNotFoundException.New("Archive %s does not exist.", name)
}

// CreateArchive creates an archive of the events entering a bus that
// match its pattern (all events without one).
func (e *Events) CreateArchive(ctx *request.Context, in *eventsapi.CreateArchiveRequest) (*eventsapi.CreateArchiveResponse, error) {
	sc := scope(ctx)
	name, src := ptr.Deref(in.ArchiveName), ptr.Deref(in.EventSourceArn)
	if p := ptr.Deref(in.EventPattern); p != "" {
		if _, err := compilePattern(p); err != nil {
			return nil, err
		}
	}
	bsc, res, ok := parseARN(src)
	if !ok || !strings.HasPrefix(res, "event-bus/") || bsc != sc {
		return nil, validation("Parameter EventSourceArn is not valid.")
	}
	rec := archiveRecord{Name: name, EventSourceArn: src, Description: ptr.Deref(in.Description), EventPattern: ptr.Deref(in.EventPattern),
		RetentionDays: ptr.Deref(in.RetentionDays), State: "ENABLED", Created: ctx.Now()}
	err := e.store.Update(func(tx storage.Tx) error {
		if _, ok, err := getBus(tx, sc, strings.TrimPrefix(res, "event-bus/")); err != nil {
			return err
		} else if !ok {
			return busNotFound(strings.TrimPrefix(res, "event-bus/"))
		}
		if _, ok, err := archives.Get(tx, sc, name); err != nil {
			return err
		} else if ok {
			return eventsapi.ErrResourceAlreadyExistsException.New("Archive %s already exists.", name)
		}
		return archives.Put(tx, sc, rec, name)
	})
	e.archivesChanged(sc)
	if err != nil {
		return nil, err
	}
	return &eventsapi.CreateArchiveResponse{ArchiveArn: ptr.To(archiveARN(sc, name)), State: ptr.To(rec.State), CreationTime: ptr.To(rec.Created)}, nil
}

func (e *Events) getArchive(sc storage.Scope, name string) (archiveRecord, error) {
	var a archiveRecord
	err := e.store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		a, ok, err = archives.Get(tx, sc, name)
		if err == nil && !ok {
			err = archiveNotFound(name)
		}
		return err
	})
	return a, err
}

// DescribeArchive describes an archive with its event count and size.
func (e *Events) DescribeArchive(ctx *request.Context, in *eventsapi.DescribeArchiveRequest) (*eventsapi.DescribeArchiveResponse, error) {
	sc := scope(ctx)
	a, err := e.getArchive(sc, ptr.Deref(in.ArchiveName))
	if err != nil {
		return nil, err
	}
	out := &eventsapi.DescribeArchiveResponse{ArchiveArn: ptr.To(archiveARN(sc, a.Name)), ArchiveName: ptr.To(a.Name), EventSourceArn: ptr.To(a.EventSourceArn),
		State: ptr.To(a.State), RetentionDays: ptr.To(a.RetentionDays), SizeBytes: ptr.To(a.SizeBytes), EventCount: ptr.To(a.EventCount), CreationTime: ptr.To(a.Created)}
	if a.Description != "" {
		out.Description = ptr.To(a.Description)
	}
	if a.EventPattern != "" {
		out.EventPattern = ptr.To(a.EventPattern)
	}
	return out, nil
}

// ListArchives lists archives.
func (e *Events) ListArchives(ctx *request.Context, in *eventsapi.ListArchivesRequest) (*eventsapi.ListArchivesResponse, error) {
	sc := scope(ctx)
	all, err := sortedByName(e.store, archives, sc, func(a archiveRecord) string { return a.Name }, func(a archiveRecord) bool {
		return strings.HasPrefix(a.Name, ptr.Deref(in.NamePrefix)) && (in.EventSourceArn == nil || a.EventSourceArn == *in.EventSourceArn) &&
			(in.State == nil || a.State == *in.State)
	})
	if err != nil {
		return nil, err
	}
	items, next := page(all, func(a archiveRecord) string { return a.Name }, in.NextToken, in.Limit)
	out := &eventsapi.ListArchivesResponse{Archives: []eventsapi.Archive{}, NextToken: next}
	for _, a := range items {
		out.Archives = append(out.Archives, eventsapi.Archive{ArchiveName: ptr.To(a.Name), EventSourceArn: ptr.To(a.EventSourceArn), State: ptr.To(a.State),
			RetentionDays: ptr.To(a.RetentionDays), SizeBytes: ptr.To(a.SizeBytes), EventCount: ptr.To(a.EventCount), CreationTime: ptr.To(a.Created)})
	}
	return out, nil
}

// UpdateArchive changes an archive's description, pattern or retention.
func (e *Events) UpdateArchive(ctx *request.Context, in *eventsapi.UpdateArchiveRequest) (*eventsapi.UpdateArchiveResponse, error) {
	sc := scope(ctx)
	if p := ptr.Deref(in.EventPattern); p != "" {
		if _, err := compilePattern(p); err != nil {
			return nil, err
		}
	}
	var a archiveRecord
	err := e.store.Update(func(tx storage.Tx) error {
		var ok bool
		var err error
		a, ok, err = archives.Get(tx, sc, ptr.Deref(in.ArchiveName))
		if err != nil {
			return err
		}
		if !ok {
			return archiveNotFound(ptr.Deref(in.ArchiveName))
		}
		if in.Description != nil {
			a.Description = *in.Description
		}
		if in.EventPattern != nil {
			a.EventPattern = *in.EventPattern
		}
		if in.RetentionDays != nil {
			a.RetentionDays = *in.RetentionDays
		}
		return archives.Put(tx, sc, a, a.Name)
	})
	if err != nil {
		return nil, err
	}
	return &eventsapi.UpdateArchiveResponse{ArchiveArn: ptr.To(archiveARN(sc, a.Name)), State: ptr.To(a.State), CreationTime: ptr.To(a.Created)}, nil
}

// DeleteArchive deletes an archive and its events.
func (e *Events) DeleteArchive(ctx *request.Context, in *eventsapi.DeleteArchiveRequest) (*eventsapi.DeleteArchiveResponse, error) {
	sc := scope(ctx)
	name := ptr.Deref(in.ArchiveName)
	err := e.store.Update(func(tx storage.Tx) error {
		if _, ok, err := archives.Get(tx, sc, name); err != nil {
			return err
		} else if !ok {
			return archiveNotFound(name)
		}
		var keys [][]string
		if err := archiveEvents.List(tx, sc, []string{name}, storage.ListOptions{}, func(k []string, _ json.RawMessage) bool {
			keys = append(keys, k)
			return true
		}); err != nil {
			return err
		}
		for _, k := range keys {
			if err := archiveEvents.Delete(tx, sc, k...); err != nil {
				return err
			}
		}
		return archives.Delete(tx, sc, name)
	})
	e.archivesChanged(sc)
	if err != nil {
		return nil, err
	}
	return &eventsapi.DeleteArchiveResponse{}, nil
}

func timeKey(t time.Time) string { return fmt.Sprintf("%020d", t.UnixNano()) }

// hasArchive reports whether an archive in sc archives the bus named bus.
// The answer comes from e.archived, read from the store once per account
// and region and dropped when an archive is created or deleted there.
// When the archives cannot be read it says yes (and caches nothing): the
// caller then takes the slow path, which reads them again and reports
// what fails. The bus's ARN is formatted only when the region has an
// archive to compare it with (this is asked for every mutating request
// while EventBridge has rules).
func (e *Events) hasArchive(sc storage.Scope, bus string) bool {
	e.amu.Lock()
	defer e.amu.Unlock()
	arns, ok := e.archived[sc]
	if !ok {
		if arns, ok = e.readArchived(sc, bus); !ok {
			return true
		}
	}
	return len(arns) > 0 && arns[busARN(sc, bus)]
}

// readArchived reads sc's archived buses into e.archived (e.amu held);
// ok is false when they cannot be read. Apart from hasArchive so that the
// variable its closure fills is not allocated on every hit.
func (e *Events) readArchived(sc storage.Scope, bus string) (map[string]bool, bool) {
	var arns map[string]bool
	// nil (no archive in the region, the usual case) is cached too.
	if err := e.store.View(func(tx storage.Tx) error {
		return archives.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, a archiveRecord) bool {
			if arns == nil {
				arns = map[string]bool{}
			}
			arns[a.EventSourceArn] = true
			return true
		})
	}); err != nil {
		e.log.Warn("events: reading archives failed", "bus", bus, "err", err)
		return nil, false
	}
	e.archived[sc] = arns
	return arns, true
}

// archivesChanged drops sc's entry of e.archived after an archive was
// created or deleted there (an update cannot change an archive's bus).
func (e *Events) archivesChanged(sc storage.Scope) {
	e.amu.Lock()
	delete(e.archived, sc)
	e.amu.Unlock()
}

// archive stores an event entering a bus in every archive of that bus
// whose pattern it matches.
func (e *Events) archive(env envelope, ev *pattern.Event) {
	arn := busARN(env.sc, env.bus)
	if !e.hasArchive(env.sc, env.bus) {
		return // most buses have no archive: no write transaction per event
	}
	var id, ts string
	if s, ok := ev.Root()["id"].(string); ok {
		id = s
	}
	if s, ok := ev.Root()["time"].(string); ok {
		ts = s
	}
	t, err := time.Parse(time.RFC3339, ts)
	if err != nil {
		t = e.clock.Now()
	}
	err = e.store.Update(func(tx storage.Tx) error {
		var matched []archiveRecord
		if err := archives.List(tx, env.sc, nil, storage.ListOptions{}, func(_ []string, a archiveRecord) bool {
			if a.EventSourceArn == arn && a.State == "ENABLED" {
				matched = append(matched, a)
			}
			return true
		}); err != nil {
			return err
		}
		for _, a := range matched {
			if a.EventPattern != "" {
				p, err := pattern.Compile(a.EventPattern)
				if err != nil || !p.MatchParsed(ev) {
					continue
				}
			}
			if err := expire(tx, env.sc, &a, e.clock.Now()); err != nil {
				return err
			}
			if err := archiveEvents.Put(tx, env.sc, json.RawMessage(env.event), a.Name, timeKey(t), id); err != nil {
				return err
			}
			a.EventCount++
			a.SizeBytes += int64(len(env.event))
			if err := archives.Put(tx, env.sc, a, a.Name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		e.log.Error("events: archive", "err", err)
	}
}

func replayNotFound(name string) error {
	return eventsapi.ErrResourceNotFoundException.New("Replay %s does not exist.", name)
}

// StartReplay sends an archive's events from a time window back into its
// bus (optionally only to some rules). The replay is STARTING when the call
// returns; a goroutine moves it to RUNNING while it queues the events and
// to COMPLETED once the bus has dispatched them (CANCELLED if CancelReplay
// came first).
func (e *Events) StartReplay(ctx *request.Context, in *eventsapi.StartReplayRequest) (*eventsapi.StartReplayResponse, error) {
	sc := scope(ctx)
	name := ptr.Deref(in.ReplayName)
	start, end := ptr.Deref(in.EventStartTime), ptr.Deref(in.EventEndTime)
	if !start.Before(end) {
		return nil, validation("Parameter EventStartTime must be earlier than EventEndTime.")
	}
	if end.After(ctx.Now()) {
		return nil, validation("Parameter EventEndTime is not valid. Reason: EventEndTime cannot be in the future.")
	}
	_, res, ok := parseARN(ptr.Deref(in.EventSourceArn))
	if !ok || !strings.HasPrefix(res, "archive/") {
		return nil, validation("Parameter EventSourceArn is not valid.")
	}
	arch, err := e.getArchive(sc, strings.TrimPrefix(res, "archive/"))
	if err != nil {
		return nil, err
	}
	dest := ptr.Deref(in.Destination)
	if ptr.Deref(dest.Arn) != arch.EventSourceArn {
		return nil, validation("Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.")
	}
	var filter map[string]bool
	if len(dest.FilterArns) > 0 {
		filter = map[string]bool{}
		for _, a := range dest.FilterArns {
			filter[a] = true
		}
	}
	now := ctx.Now()
	rec := replayRecord{Name: name, Description: ptr.Deref(in.Description), EventSourceArn: ptr.Deref(in.EventSourceArn), Destination: dest,
		EventStartTime: start, EventEndTime: end, State: "STARTING", ReplayStartTime: now}
	var evs []json.RawMessage
	err = e.store.Update(func(tx storage.Tx) error {
		if _, ok, err := replays.Get(tx, sc, name); err != nil {
			return err
		} else if ok {
			return eventsapi.ErrResourceAlreadyExistsException.New("Replay %s already exists.", name)
		}
		a := arch
		if err := expire(tx, sc, &a, now); err != nil {
			return err
		}
		if err := archives.Put(tx, sc, a, a.Name); err != nil {
			return err
		}
		if err := archiveEvents.List(tx, sc, []string{arch.Name}, storage.ListOptions{}, func(k []string, ev json.RawMessage) bool {
			if len(k) >= 2 && k[1] >= timeKey(start) && k[1] < timeKey(end) {
				evs = append(evs, ev)
			}
			return true
		}); err != nil {
			return err
		}
		return replays.Put(tx, sc, rec, name)
	})
	if err != nil {
		return nil, err
	}
	_, busRes, _ := parseARN(arch.EventSourceArn)
	e.pending.Add(1)
	go e.runReplay(sc, name, strings.TrimPrefix(busRes, "event-bus/"), evs, filter, end)
	return &eventsapi.StartReplayResponse{ReplayArn: ptr.To(replayARN(sc, name)), State: ptr.To("STARTING"), ReplayStartTime: ptr.To(now)}, nil
}

func replayShape(sc storage.Scope, r replayRecord) *eventsapi.DescribeReplayResponse {
	out := &eventsapi.DescribeReplayResponse{ReplayName: ptr.To(r.Name), ReplayArn: ptr.To(replayARN(sc, r.Name)), State: ptr.To(r.State),
		EventSourceArn: ptr.To(r.EventSourceArn), Destination: ptr.To(r.Destination), EventStartTime: ptr.To(r.EventStartTime),
		EventEndTime: ptr.To(r.EventEndTime), ReplayStartTime: ptr.To(r.ReplayStartTime), ReplayEndTime: r.ReplayEndTime,
		EventLastReplayedTime: r.LastReplayedEvent}
	if r.Description != "" {
		out.Description = ptr.To(r.Description)
	}
	if r.StateReason != "" {
		out.StateReason = ptr.To(r.StateReason)
	}
	return out
}

// DescribeReplay describes a replay.
func (e *Events) DescribeReplay(ctx *request.Context, in *eventsapi.DescribeReplayRequest) (*eventsapi.DescribeReplayResponse, error) {
	sc := scope(ctx)
	var r replayRecord
	err := e.store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		r, ok, err = replays.Get(tx, sc, ptr.Deref(in.ReplayName))
		if err == nil && !ok {
			err = replayNotFound(ptr.Deref(in.ReplayName))
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return replayShape(sc, r), nil
}

// ListReplays lists replays.
func (e *Events) ListReplays(ctx *request.Context, in *eventsapi.ListReplaysRequest) (*eventsapi.ListReplaysResponse, error) {
	sc := scope(ctx)
	all, err := sortedByName(e.store, replays, sc, func(r replayRecord) string { return r.Name }, func(r replayRecord) bool {
		return strings.HasPrefix(r.Name, ptr.Deref(in.NamePrefix)) && (in.State == nil || r.State == *in.State) &&
			(in.EventSourceArn == nil || r.EventSourceArn == *in.EventSourceArn)
	})
	if err != nil {
		return nil, err
	}
	items, next := page(all, func(r replayRecord) string { return r.Name }, in.NextToken, in.Limit)
	out := &eventsapi.ListReplaysResponse{Replays: []eventsapi.Replay{}, NextToken: next}
	for _, r := range items {
		out.Replays = append(out.Replays, eventsapi.Replay{ReplayName: ptr.To(r.Name), EventSourceArn: ptr.To(r.EventSourceArn), State: ptr.To(r.State),
			EventStartTime: ptr.To(r.EventStartTime), EventEndTime: ptr.To(r.EventEndTime), EventLastReplayedTime: r.LastReplayedEvent,
			ReplayStartTime: ptr.To(r.ReplayStartTime), ReplayEndTime: r.ReplayEndTime})
	}
	return out, nil
}

// CancelReplay cancels a replay that has not finished: it is CANCELLING
// until the replay's goroutine stops, then CANCELLED.
func (e *Events) CancelReplay(ctx *request.Context, in *eventsapi.CancelReplayRequest) (*eventsapi.CancelReplayResponse, error) {
	sc := scope(ctx)
	name := ptr.Deref(in.ReplayName)
	err := e.store.Update(func(tx storage.Tx) error {
		r, ok, err := replays.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			return replayNotFound(name)
		}
		if r.State != "STARTING" && r.State != "RUNNING" {
			return eventsapi.ErrIllegalStatusException.New("Replay %s is not in a valid state for this operation.", name)
		}
		r.State = "CANCELLING"
		return replays.Put(tx, sc, r, name)
	})
	if err != nil {
		return nil, err
	}
	return &eventsapi.CancelReplayResponse{ReplayArn: ptr.To(replayARN(sc, name)), State: ptr.To("CANCELLING")}, nil
}

// runReplay queues a replay's events and records its progress. Between
// events it looks for a cancellation.
func (e *Events) runReplay(sc storage.Scope, name, bus string, evs []json.RawMessage, filter map[string]bool, end time.Time) {
	defer e.pending.Add(-1)
	if e.beforeReplay != nil {
		e.beforeReplay()
	}
	if !e.replayStep(sc, name, "RUNNING", nil) {
		return
	}
	for _, ev := range evs {
		if !e.replayStep(sc, name, "", nil) {
			return
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(ev, &m) != nil {
			continue
		}
		m["replay-name"] = mustJSON(name)
		e.enqueue(envelope{sc: sc, bus: bus, event: mustJSON(m), filterRules: filter, replay: true})
	}
	// Completed once the dispatcher has reached every replayed event.
	done := make(chan struct{})
	e.enqueue(envelope{done: done})
	select {
	case <-done:
	case <-e.stop:
		return
	}
	e.replayStep(sc, name, "COMPLETED", func(r *replayRecord) {
		now := e.clock.Now()
		r.ReplayEndTime = &now
		if len(evs) > 0 {
			r.LastReplayedEvent = &end
		}
	})
}

// replayStep moves a replay to state (none: stays) unless it is being
// cancelled, in which case it becomes CANCELLED and replayStep reports
// false. A replay deleted meanwhile (reset) also stops.
func (e *Events) replayStep(sc storage.Scope, name, state string, f func(*replayRecord)) bool {
	goOn := false
	err := e.store.Update(func(tx storage.Tx) error {
		r, ok, err := replays.Get(tx, sc, name)
		if err != nil || !ok {
			return err
		}
		if r.State == "CANCELLING" {
			now := e.clock.Now()
			r.State, r.ReplayEndTime = "CANCELLED", &now
			return replays.Put(tx, sc, r, name)
		}
		goOn = true
		if state == "" || r.State == state {
			return nil
		}
		r.State = state
		if f != nil {
			f(&r)
		}
		return replays.Put(tx, sc, r, name)
	})
	if err != nil {
		e.log.Error("events: recording a replay's progress", "replay", name, "err", err)
		return false
	}
	return goOn
}

// expire deletes the events of an archive older than its RetentionDays
// (0 keeps them for ever) and takes them off its count and size; the
// caller stores the archive record. It runs when the archive receives an
// event and when it is replayed, so expired events are never replayed.
func expire(tx storage.Tx, sc storage.Scope, a *archiveRecord, now time.Time) error {
	if a.RetentionDays <= 0 {
		return nil
	}
	cutoff := timeKey(now.AddDate(0, 0, -int(a.RetentionDays)))
	type old struct {
		key  []string
		size int
	}
	var gone []old
	if err := archiveEvents.List(tx, sc, []string{a.Name}, storage.ListOptions{}, func(k []string, ev json.RawMessage) bool {
		if len(k) < 2 || k[1] >= cutoff {
			return false // keys are in time order: the rest are younger
		}
		gone = append(gone, old{key: k, size: len(ev)})
		return true
	}); err != nil {
		return err
	}
	for _, g := range gone {
		if err := archiveEvents.Delete(tx, sc, g.key...); err != nil {
			return err
		}
		a.EventCount--
		a.SizeBytes -= int64(g.size)
	}
	return nil
}
