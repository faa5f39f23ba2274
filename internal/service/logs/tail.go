package logs

import (
	"context"
	"strings"
	"sync"
	"time"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Live Tail limits, from the StartLiveTail API reference.
const (
	// tailSessionLimit: a session times out after three hours.
	tailSessionLimit = 3 * time.Hour
	// tailInterval: a LiveTailSessionUpdate is sent every second, empty
	// when nothing arrived.
	tailInterval = time.Second
	// tailPerUpdate: an update carries at most 500 events; more are
	// sampled down to 500 (sessionMetadata.sampled).
	tailPerUpdate = 500
	// tailBuffer: a client slower than the stream has up to 5000 events
	// buffered for it, after which the oldest are dropped.
	tailBuffer = 5000
)

// tailHub holds the open Live Tail sessions of one Logs instance; every
// committed batch of events is offered to them.
type tailHub struct {
	mu       sync.Mutex
	sessions map[*tailSession]struct{}
}

// tailSession is one StartLiveTail stream.
type tailSession struct {
	sc       storage.Scope
	groups   map[string]bool // log group names
	names    map[string]bool // logStreamNames, nil for all
	prefixes []string        // logStreamNamePrefixes
	pattern  *pattern

	mu      sync.Mutex
	pending []logsapi.LiveTailSessionLogEvent
	sampled bool // events were dropped or sampled since the last update
}

func (h *tailHub) add(s *tailSession) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.sessions == nil {
		h.sessions = map[*tailSession]struct{}{}
	}
	h.sessions[s] = struct{}{}
}

func (h *tailHub) remove(s *tailSession) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.sessions, s)
}

// publish offers a committed batch of a stream's events to the sessions
// tailing its group.
func (h *tailHub) publish(sc storage.Scope, gname, sname string, batch []event) {
	if len(batch) == 0 {
		return
	}
	h.mu.Lock()
	var targets []*tailSession
	for s := range h.sessions {
		if s.sc == sc && s.groups[gname] && s.wantsStream(sname) {
			targets = append(targets, s)
		}
	}
	h.mu.Unlock()
	for _, s := range targets {
		s.offer(sc, gname, sname, batch)
	}
}

func (s *tailSession) wantsStream(name string) bool {
	if s.names != nil {
		return s.names[name]
	}
	if len(s.prefixes) == 0 {
		return true
	}
	for _, p := range s.prefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

func (s *tailSession) offer(sc storage.Scope, gname, sname string, batch []event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range batch {
		if _, ok := s.pattern.matches(e.Message); !ok {
			continue
		}
		s.pending = append(s.pending, logsapi.LiveTailSessionLogEvent{
			LogStreamName: ptr.To(sname), LogGroupIdentifier: ptr.To(sc.Account + ":" + gname),
			Message: ptr.To(e.Message), Timestamp: ptr.To(e.Timestamp), IngestionTime: ptr.To(e.Ingestion),
		})
	}
	if over := len(s.pending) - tailBuffer; over > 0 {
		s.pending = append(s.pending[:0], s.pending[over:]...)
		s.sampled = true
	}
}

// take returns what the next update carries: up to 500 events, spread
// evenly over what is pending when there are more.
func (s *tailSession) take() ([]logsapi.LiveTailSessionLogEvent, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	got, sampled := s.pending, s.sampled
	s.pending, s.sampled = nil, false
	if len(got) > tailPerUpdate {
		out := make([]logsapi.LiveTailSessionLogEvent, tailPerUpdate)
		for i := range out {
			out[i] = got[i*len(got)/tailPerUpdate]
		}
		got, sampled = out, true
	}
	if got == nil {
		got = []logsapi.LiveTailSessionLogEvent{}
	}
	return got, sampled
}

// StartLiveTail streams the events ingested into up to ten log groups
// from now on: a sessionStart event, then a sessionUpdate every second
// (on niwa's clock) with the events that arrived and match the filter
// pattern, until the client disconnects or three hours pass
// (SessionTimeoutException).
func (l *Logs) StartLiveTail(ctx *request.Context, in *logsapi.StartLiveTailRequest) (*logsapi.StartLiveTailResponse, error) {
	sc := scope(ctx)
	ids := in.LogGroupIdentifiers
	if len(ids) == 0 || len(ids) > 10 {
		return nil, logsapi.ErrInvalidParameterException.New("1 validation error detected: Value at 'logGroupIdentifiers' failed to satisfy constraint: Member must have length less than or equal to 10")
	}
	if in.LogStreamNames != nil && in.LogStreamNamePrefixes != nil {
		return nil, logsapi.ErrInvalidParameterException.New("logStreamNames and logStreamNamePrefixes are mutually exclusive parameters.")
	}
	if (in.LogStreamNames != nil || in.LogStreamNamePrefixes != nil) && len(ids) > 1 {
		return nil, logsapi.ErrInvalidParameterException.New("logStreamNames and logStreamNamePrefixes can be specified only with a single log group in logGroupIdentifiers.")
	}
	s := &tailSession{sc: sc, groups: map[string]bool{}, prefixes: in.LogStreamNamePrefixes}
	for _, id := range ids {
		name, err := groupName(nil, ptr.To(id))
		if err != nil {
			return nil, err
		}
		if err := l.store.View(func(tx storage.Tx) error {
			_, err := l.getGroup(tx, sc, name)
			return err
		}); err != nil {
			return nil, err
		}
		s.groups[name] = true
	}
	if in.LogStreamNames != nil {
		s.names = map[string]bool{}
		for _, n := range in.LogStreamNames {
			s.names[n] = true
		}
	}
	p, err := compilePattern(ptr.Deref(in.LogEventFilterPattern))
	if err != nil {
		return nil, err
	}
	s.pattern = p
	// The session listens from the moment the request is accepted, so an
	// event put right after the response begins is not missed.
	l.tails.add(s)
	start := &logsapi.LiveTailSessionStart{
		RequestId: ptr.To(ctx.RequestID), SessionId: ptr.To(awsid.UUID()),
		LogGroupIdentifiers: ids, LogStreamNames: in.LogStreamNames, LogStreamNamePrefixes: in.LogStreamNamePrefixes,
		LogEventFilterPattern: in.LogEventFilterPattern,
	}
	clk := l.clock
	stream := func(c context.Context, send func(*logsapi.StartLiveTailResponseStream) error) error {
		defer l.tails.remove(s)
		if err := send(&logsapi.StartLiveTailResponseStream{SessionStart: start}); err != nil {
			return err
		}
		deadline := clk.After(tailSessionLimit)
		for {
			select {
			case <-c.Done():
				return nil
			case <-deadline:
				return logsapi.ErrSessionTimeoutException.New("Session timed out after 3 hours.")
			case <-clk.After(tailInterval):
			}
			evs, sampled := s.take()
			update := &logsapi.LiveTailSessionUpdate{
				SessionMetadata: &logsapi.LiveTailSessionMetadata{Sampled: ptr.To(sampled)},
				SessionResults:  evs,
			}
			if err := send(&logsapi.StartLiveTailResponseStream{SessionUpdate: update}); err != nil {
				return err
			}
		}
	}
	return &logsapi.StartLiveTailResponse{ResponseStream: stream}, nil
}
