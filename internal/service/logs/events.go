package logs

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// PutLogEvents limits.
const (
	maxBatchEvents = 10000
	maxBatchBytes  = 1048576
	maxEventBytes  = 262144
	eventOverhead  = 26
)

// PutLogEvents appends a batch to a stream. Events older than 14 days
// (or the retention) or more than two hours ahead are rejected as AWS
// rejects them; the sequence token is accepted and ignored, as AWS has
// done since 2023.
func (l *Logs) PutLogEvents(ctx *request.Context, in *logsapi.PutLogEventsRequest) (*logsapi.PutLogEventsResponse, error) {
	sc := scope(ctx)
	gname, sname := ptr.Deref(in.LogGroupName), ptr.Deref(in.LogStreamName)
	if len(in.LogEvents) > maxBatchEvents {
		return nil, logsapi.ErrInvalidParameterException.New("1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member must have length less than or equal to 10000")
	}
	size := 0
	for i, e := range in.LogEvents {
		size += len(ptr.Deref(e.Message)) + eventOverhead
		if i > 0 && *e.Timestamp < *in.LogEvents[i-1].Timestamp {
			return nil, logsapi.ErrInvalidParameterException.New("Log events in a single PutLogEvents request must be in chronological order.")
		}
	}
	if size > maxBatchBytes {
		return nil, logsapi.ErrInvalidParameterException.New("Upload too large: %d bytes exceeds limit of %d", size, maxBatchBytes)
	}
	if err := l.checkGroupKey(ctx, gname); err != nil {
		return nil, err
	}
	if len(in.LogEvents) > 0 && *in.LogEvents[len(in.LogEvents)-1].Timestamp-*in.LogEvents[0].Timestamp > int64(24*time.Hour/time.Millisecond) {
		return nil, logsapi.ErrInvalidParameterException.New("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
	}
	now := ms(ctx.Now())
	tooOld := now - int64(14*24*time.Hour/time.Millisecond)
	// An event the group's retention has already expired is too old too.
	if err := l.store.View(func(tx storage.Tx) error {
		if g, ok, err := groups.Get(tx, sc, gname); err != nil {
			return err
		} else if ok && retentionCutoff(g, now) > tooOld {
			tooOld = retentionCutoff(g, now)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	tooNew := now + int64(2*time.Hour/time.Millisecond)
	var rejected logsapi.RejectedLogEventsInfo
	var accepted []event
	for i, e := range in.LogEvents {
		ts := *e.Timestamp
		switch {
		case ts < tooOld:
			rejected.TooOldLogEventEndIndex = ptr.To(int32(i + 1))
		case ts > tooNew:
			if rejected.TooNewLogEventStartIndex == nil {
				rejected.TooNewLogEventStartIndex = ptr.To(int32(i))
			}
		default:
			accepted = append(accepted, event{Timestamp: ts, Message: truncate(ptr.Deref(e.Message))})
		}
	}
	var next int64
	var ds []delivery
	err := l.store.Update(func(tx storage.Tx) error {
		n, d, err := l.append(tx, sc, gname, sname, accepted, now, false)
		next, ds = n, d
		return err
	})
	if err != nil {
		return nil, err
	}
	l.deliver(ctx, ds)
	l.tails.publish(sc, gname, sname, accepted)
	out := &logsapi.PutLogEventsResponse{NextSequenceToken: ptr.To(fmt.Sprintf("%056d", next))}
	if rejected.TooNewLogEventStartIndex != nil || rejected.TooOldLogEventEndIndex != nil {
		out.RejectedLogEventsInfo = &rejected
	}
	return out, nil
}

func truncate(m string) string {
	if len(m) <= maxEventBytes-eventOverhead {
		return m
	}
	m = m[:maxEventBytes-eventOverhead]
	for !utf8.ValidString(m) {
		m = m[:len(m)-1]
	}
	return m
}

// append stores events in a stream and returns the stream's next token
// and the subscription deliveries to make once the batch is committed.
// It runs the group's metric filters over the batch. create makes a
// missing group and stream, as Lambda's own writes do.
func (l *Logs) append(tx storage.Tx, sc storage.Scope, gname, sname string, batch []event, now int64, create bool) (int64, []delivery, error) {
	g, ok, err := groups.Get(tx, sc, gname)
	if err != nil {
		return 0, nil, err
	}
	if !ok {
		if !create {
			return 0, nil, errNotFound("The specified log group does not exist.")
		}
		g = group{Name: gname, Created: now, Class: "STANDARD"}
	}
	s, ok, err := streams.Get(tx, sc, gname, sname)
	if err != nil {
		return 0, nil, err
	}
	if !ok {
		if !create {
			return 0, nil, errNotFound("The specified log stream does not exist.")
		}
		s = stream{Name: sname, Created: now}
	}
	purged, err := purgeExpired(tx, sc, g, sname, now)
	if err != nil {
		return 0, nil, err
	}
	s.Bytes = max(0, s.Bytes-purged)
	g.Bytes = max(0, g.Bytes-purged)
	for i := range batch {
		g.NextSeq++
		batch[i].Seq, batch[i].Ingestion = g.NextSeq, now
		e := batch[i]
		if err := evs.Put(tx, sc, e, gname, sname, tsKey(e.Timestamp), seqKey(e.Seq)); err != nil {
			return 0, nil, err
		}
		if s.First == 0 || e.Timestamp < s.First {
			s.First = e.Timestamp
		}
		if e.Timestamp > s.Last {
			s.Last = e.Timestamp
		}
		s.Ingested = now
		s.Bytes += int64(len(e.Message))
		g.Bytes += int64(len(e.Message))
	}
	s.NextToken++
	if err := streams.Put(tx, sc, s, gname, sname); err != nil {
		return 0, nil, err
	}
	if err := groups.Put(tx, sc, g, gname); err != nil {
		return 0, nil, err
	}
	if err := emitMetrics(tx, sc, gname, batch, now); err != nil {
		return 0, nil, err
	}
	ds, err := subscriptionMatches(tx, sc, gname, sname, batch)
	if err != nil {
		return 0, nil, err
	}
	return s.NextToken, ds, nil
}

// LogEvent is a line another service writes (Lambda's function output).
type LogEvent struct {
	Time    time.Time
	Message string
}

// AppendLogEvents writes lines to a stream, creating the group and stream
// when missing: what the Lambda service does for a function's output.
func (l *Logs) AppendLogEvents(account, region, gname, sname string, lines []LogEvent) error {
	sc := storage.Scope{Account: account, Region: region}
	batch := make([]event, len(lines))
	for i, ln := range lines {
		batch[i] = event{Timestamp: ms(ln.Time), Message: truncate(ln.Message)}
	}
	now := ms(l.clock.Now())
	var ds []delivery
	err := l.store.Update(func(tx storage.Tx) error {
		_, d, err := l.append(tx, sc, gname, sname, batch, now, true)
		ds = d
		return err
	})
	if err != nil {
		return err
	}
	l.deliver(context.Background(), ds)
	l.tails.publish(sc, gname, sname, batch)
	return nil
}

// GetLogEvents reads a stream forwards or backwards with AWS's f/ and b/
// tokens. Without a token it returns the newest events, or the oldest
// with startFromHead.
func (l *Logs) GetLogEvents(ctx *request.Context, in *logsapi.GetLogEventsRequest) (*logsapi.GetLogEventsResponse, error) {
	sc := scope(ctx)
	gname, err := groupName(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	if err := l.checkGroupKey(ctx, gname); err != nil {
		return nil, err
	}
	sname := ptr.Deref(in.LogStreamName)
	max, err := limit(in.Limit, 10000, 10000)
	if err != nil {
		return nil, err
	}
	var all []event
	now := ms(ctx.Now())
	err = l.store.View(func(tx storage.Tx) error {
		g, err := l.getGroup(tx, sc, gname)
		if err != nil {
			return err
		}
		cut := retentionCutoff(g, now)
		if _, ok, err := streams.Get(tx, sc, gname, sname); err != nil {
			return err
		} else if !ok {
			return errNotFound("The specified log stream does not exist.")
		}
		return evs.List(tx, sc, []string{gname, sname}, storage.ListOptions{}, func(_ []string, e event) bool {
			if in.StartTime != nil && e.Timestamp < *in.StartTime {
				return true
			}
			if in.EndTime != nil && e.Timestamp >= *in.EndTime || e.Timestamp < cut {
				return true
			}
			all = append(all, e)
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	// Positions are indexes into the filtered, ordered events: a forward
	// token "f/N" resumes at N, a backward token "b/N" ends before N.
	forward := in.StartFromHead != nil && *in.StartFromHead
	from, to := 0, len(all)
	if t := ptr.Deref(in.NextToken); t != "" {
		dir, pos, ok := strings.Cut(t, "/")
		n, err := strconv.Atoi(pos)
		if !ok || err != nil || (dir != "f" && dir != "b") || n < 0 {
			return nil, logsapi.ErrInvalidParameterException.New("The specified nextToken is invalid.")
		}
		if n > len(all) {
			n = len(all)
		}
		forward = dir == "f"
		if forward {
			from = n
		} else {
			to = n
		}
	}
	if forward {
		if to-from > max {
			to = from + max
		}
	} else if to-from > max {
		from = to - max
	}
	out := &logsapi.GetLogEventsResponse{Events: []logsapi.OutputLogEvent{}}
	for _, e := range all[from:to] {
		out.Events = append(out.Events, logsapi.OutputLogEvent{Timestamp: ptr.To(e.Timestamp), Message: ptr.To(e.Message), IngestionTime: ptr.To(e.Ingestion)})
	}
	out.NextForwardToken = ptr.To(fmt.Sprintf("f/%056d", to))
	out.NextBackwardToken = ptr.To(fmt.Sprintf("b/%056d", from))
	return out, nil
}

// FilterLogEvents searches a group's streams with a filter pattern,
// ordered by time across streams. aws logs tail (CLI v2) polls it.
func (l *Logs) FilterLogEvents(ctx *request.Context, in *logsapi.FilterLogEventsRequest) (*logsapi.FilterLogEventsResponse, error) {
	sc := scope(ctx)
	gname, err := groupName(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	if err := l.checkGroupKey(ctx, gname); err != nil {
		return nil, err
	}
	if len(in.LogStreamNames) > 0 && in.LogStreamNamePrefix != nil {
		return nil, logsapi.ErrInvalidParameterException.New("logStreamNames and logStreamNamePrefix are mutually exclusive")
	}
	max, err := limit(in.Limit, 10000, 10000)
	if err != nil {
		return nil, err
	}
	pat, err := compilePattern(ptr.Deref(in.FilterPattern))
	if err != nil {
		return nil, err
	}
	after, err := untoken(in.NextToken)
	if err != nil {
		return nil, err
	}
	type hit struct {
		stream string
		e      event
	}
	var hits []hit
	var searched []string
	want := map[string]bool{}
	for _, s := range in.LogStreamNames {
		want[s] = true
	}
	now := ms(ctx.Now())
	err = l.store.View(func(tx storage.Tx) error {
		g, err := l.getGroup(tx, sc, gname)
		if err != nil {
			return err
		}
		cut := retentionCutoff(g, now)
		var names []string
		if err := streams.List(tx, sc, []string{gname}, storage.ListOptions{Partial: ptr.Deref(in.LogStreamNamePrefix)}, func(_ []string, s stream) bool {
			if len(want) == 0 || want[s.Name] {
				names = append(names, s.Name)
			}
			return true
		}); err != nil {
			return err
		}
		if len(want) > 0 && len(names) == 0 {
			return errNotFound("The specified log stream does not exist.")
		}
		searched = names
		for _, sn := range names {
			opts := storage.ListOptions{}
			if in.StartTime != nil && *in.StartTime > 0 {
				opts.After = []string{gname, sn, tsKey(*in.StartTime - 1), "~"}
			}
			err := evs.List(tx, sc, []string{gname, sn}, opts, func(_ []string, e event) bool {
				if in.EndTime != nil && e.Timestamp > *in.EndTime {
					return false
				}
				if in.StartTime != nil && e.Timestamp < *in.StartTime || e.Timestamp < cut {
					return true
				}
				if pat.match(e.Message) {
					hits = append(hits, hit{sn, e})
				}
				return true
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(hits, func(i, j int) bool {
		if hits[i].e.Timestamp != hits[j].e.Timestamp {
			return hits[i].e.Timestamp < hits[j].e.Timestamp
		}
		return hits[i].e.Seq < hits[j].e.Seq
	})
	out := &logsapi.FilterLogEventsResponse{Events: []logsapi.FilteredLogEvent{}, SearchedLogStreams: []logsapi.SearchedLogStream{}}
	for _, s := range searched {
		out.SearchedLogStreams = append(out.SearchedLogStreams, logsapi.SearchedLogStream{LogStreamName: ptr.To(s), SearchedCompletely: ptr.To(true)})
	}
	for _, h := range hits {
		id := eventID(h.e)
		if after != "" && id <= after {
			continue
		}
		if len(out.Events) == max {
			out.NextToken = token(ptr.Deref(out.Events[max-1].EventId))
			break
		}
		out.Events = append(out.Events, logsapi.FilteredLogEvent{
			LogStreamName: ptr.To(h.stream), Timestamp: ptr.To(h.e.Timestamp), Message: ptr.To(h.e.Message),
			IngestionTime: ptr.To(h.e.Ingestion), EventId: ptr.To(id),
		})
	}
	return out, nil
}

// purgeExpired deletes a stream's events its group's retention has
// expired. Events are keyed by time, so this reads only what it deletes.
// Reads also skip expired events, so retention holds on the clock even
// for a stream nobody writes to any more.
func purgeExpired(tx storage.Tx, sc storage.Scope, g group, sname string, now int64) (int64, error) {
	if g.Retention == nil {
		return 0, nil
	}
	cut := retentionCutoff(g, now)
	var keys [][]string
	var bytes int64
	err := evs.List(tx, sc, []string{g.Name, sname}, storage.ListOptions{}, func(k []string, e event) bool {
		if e.Timestamp >= cut {
			return false
		}
		keys = append(keys, k)
		bytes += int64(len(e.Message))
		return true
	})
	if err != nil {
		return 0, err
	}
	for _, k := range keys {
		if err := evs.Delete(tx, sc, k...); err != nil {
			return 0, err
		}
	}
	return bytes, nil
}
