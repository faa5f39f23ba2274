package logs

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"time"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// query is a stored Insights query with its results. Queries run to
// completion when started: the stored events are all there is.
type query struct {
	ID      string                  `json:"id"`
	String  string                  `json:"q"`
	Status  string                  `json:"status"`
	Created int64                   `json:"created"`
	Group   string                  `json:"group"`
	Results [][]logsapi.ResultField `json:"results"`
	Matched float64                 `json:"matched"`
	Scanned float64                 `json:"scanned"`
	Bytes   float64                 `json:"bytes"`
}

var queries = storage.NewTable[query]("query")

// pruneQueries forgets queries older than AWS keeps their results (7
// days) and, past maxStoredQueries, the oldest, so stored results stay
// bounded however many queries a test runs.
func pruneQueries(tx storage.Tx, sc storage.Scope, now int64) error {
	type ref struct {
		id      string
		created int64
	}
	var all []ref
	if err := queries.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, q query) bool {
		all = append(all, ref{q.ID, q.Created})
		return true
	}); err != nil {
		return err
	}
	sort.Slice(all, func(i, j int) bool { return all[i].created > all[j].created })
	expiry := now - int64(queryResultsKept/time.Millisecond)
	for i, r := range all {
		if i >= maxStoredQueries-1 || r.created < expiry {
			if err := queries.Delete(tx, sc, r.id); err != nil {
				return err
			}
		}
	}
	return nil
}

// Insights limits (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/cloudwatch_limits_cwl.html).
const (
	maxQueryGroups  = 50
	defaultQueryMax = 10000
	// maxScanned bounds the events one query reads, so a query over a
	// huge store cannot take unbounded memory.
	maxScanned = 1000000
	// queryResultsKept is how long AWS keeps a query's results.
	queryResultsKept = 7 * 24 * time.Hour
	// maxStoredQueries bounds the queries kept per account and region.
	maxStoredQueries = 1000
)

func newID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// recordPointer is @ptr: what GetLogRecord reads back.
func recordPointer(gname, sname string, e event) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join([]string{gname, sname, tsKey(e.Timestamp), seqKey(e.Seq)}, "\x00")))
}

// StartQuery runs an Insights query over the groups' events between
// startTime and endTime (epoch seconds, inclusive).
func (l *Logs) StartQuery(ctx *request.Context, in *logsapi.StartQueryRequest) (*logsapi.StartQueryResponse, error) {
	sc := scope(ctx)
	var names []string
	given := 0
	if in.LogGroupName != nil {
		given++
		names = append(names, *in.LogGroupName)
	}
	if len(in.LogGroupNames) > 0 {
		given++
		names = append(names, in.LogGroupNames...)
	}
	if len(in.LogGroupIdentifiers) > 0 {
		given++
		for _, id := range in.LogGroupIdentifiers {
			n, err := groupName(nil, &id)
			if err != nil {
				return nil, err
			}
			names = append(names, n)
		}
	}
	if given != 1 {
		return nil, logsapi.ErrInvalidParameterException.New("Exactly one of logGroupName, logGroupNames or logGroupIdentifiers must be specified.")
	}
	if len(names) > maxQueryGroups {
		return nil, logsapi.ErrInvalidParameterException.New("A query can search at most %d log groups.", maxQueryGroups)
	}
	if in.StartTime == nil || in.EndTime == nil {
		return nil, logsapi.ErrInvalidParameterException.New("startTime and endTime must be specified.")
	}
	start, end := *in.StartTime, *in.EndTime
	if end < start {
		return nil, logsapi.ErrInvalidParameterException.New("End time cannot be less than Start time.")
	}
	max := defaultQueryMax
	if in.Limit != nil {
		max = int(*in.Limit)
	}
	plan, err := compileQuery(ptr.Deref(in.QueryString))
	if err != nil {
		return nil, err
	}
	now := ms(ctx.Now())
	q := query{ID: newID(), String: ptr.Deref(in.QueryString), Status: "Complete", Created: now, Group: names[0]}
	var rows []row
	err = l.store.View(func(tx storage.Tx) error {
		for _, gname := range names {
			g, err := l.getGroup(tx, sc, gname)
			if err != nil {
				return errNotFound(fmt.Sprintf("Log group '%s' does not exist for account ID '%s'", gname, sc.Account))
			}
			cut := retentionCutoff(g, now)
			err = evs.List(tx, sc, []string{gname}, storage.ListOptions{}, func(k []string, e event) bool {
				if e.Timestamp < start*1000 || e.Timestamp >= (end+1)*1000 || e.Timestamp < cut {
					return true
				}
				q.Scanned++
				q.Bytes += float64(len(e.Message))
				rows = append(rows, eventRow(sc.Account, gname, k[1], e))
				return len(rows) < maxScanned
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
	var matched int
	q.Results, matched = plan.run(rows, max)
	q.Matched = float64(matched)
	if plan.aggregated {
		q.Matched = q.Scanned
	}
	err = l.store.Update(func(tx storage.Tx) error {
		if err := pruneQueries(tx, sc, now); err != nil {
			return err
		}
		return queries.Put(tx, sc, q, q.ID)
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.StartQueryResponse{QueryId: ptr.To(q.ID)}, nil
}

func (l *Logs) getQuery(ctx *request.Context, id string) (query, error) {
	var q query
	err := l.store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		q, ok, err = queries.Get(tx, scope(ctx), id)
		if err == nil && !ok {
			err = errNotFound("Query does not exist.")
		}
		return err
	})
	return q, err
}

// GetQueryResults returns a query's results.
func (l *Logs) GetQueryResults(ctx *request.Context, in *logsapi.GetQueryResultsRequest) (*logsapi.GetQueryResultsResponse, error) {
	q, err := l.getQuery(ctx, ptr.Deref(in.QueryId))
	if err != nil {
		return nil, err
	}
	res := q.Results
	if res == nil || q.Status == "Cancelled" {
		res = [][]logsapi.ResultField{}
	}
	m, sc, b := q.Matched, q.Scanned, q.Bytes
	return &logsapi.GetQueryResultsResponse{Results: res, Status: ptr.To(q.Status),
		Statistics: &logsapi.QueryStatistics{RecordsMatched: &m, RecordsScanned: &sc, BytesScanned: &b}}, nil
}

// StopQuery stops a running query. niwa's queries complete when started,
// so there is never one left to stop: AWS answers that the query ended.
func (l *Logs) StopQuery(ctx *request.Context, in *logsapi.StopQueryRequest) (*logsapi.StopQueryResponse, error) {
	q, err := l.getQuery(ctx, ptr.Deref(in.QueryId))
	if err != nil {
		return nil, err
	}
	if q.Status != "Running" && q.Status != "Scheduled" {
		return nil, logsapi.ErrInvalidParameterException.New("Query %s is not running; its status is %s.", q.ID, q.Status)
	}
	return &logsapi.StopQueryResponse{Success: ptr.To(true)}, nil
}

// DescribeQueries lists recent queries, newest first.
func (l *Logs) DescribeQueries(ctx *request.Context, in *logsapi.DescribeQueriesRequest) (*logsapi.DescribeQueriesResponse, error) {
	sc := scope(ctx)
	max := 1000
	if in.MaxResults != nil {
		max = int(*in.MaxResults)
	}
	var all []query
	err := l.store.View(func(tx storage.Tx) error {
		return queries.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, q query) bool {
			if in.LogGroupName != nil && q.Group != *in.LogGroupName {
				return true
			}
			if in.Status != nil && q.Status != *in.Status {
				return true
			}
			q.Results = nil
			all = append(all, q)
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].Created != all[j].Created {
			return all[i].Created > all[j].Created
		}
		return all[i].ID < all[j].ID
	})
	page, next, err := pageAfter(all, func(q query) string { return q.ID }, in.NextToken, max)
	if err != nil {
		return nil, err
	}
	out := &logsapi.DescribeQueriesResponse{Queries: []logsapi.QueryInfo{}, NextToken: next}
	for _, q := range page {
		out.Queries = append(out.Queries, logsapi.QueryInfo{QueryId: ptr.To(q.ID), QueryString: ptr.To(q.String), Status: ptr.To(q.Status),
			CreateTime: ptr.To(q.Created), LogGroupName: ptr.To(q.Group)})
	}
	return out, nil
}

// GetLogRecord reads the event an @ptr points at, with its fields.
func (l *Logs) GetLogRecord(ctx *request.Context, in *logsapi.GetLogRecordRequest) (*logsapi.GetLogRecordResponse, error) {
	sc := scope(ctx)
	raw, err := base64.RawURLEncoding.DecodeString(ptr.Deref(in.LogRecordPointer))
	parts := strings.Split(string(raw), "\x00")
	if err != nil || len(parts) != 4 {
		return nil, logsapi.ErrInvalidParameterException.New("The log record pointer is invalid.")
	}
	var e event
	err = l.store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		e, ok, err = evs.Get(tx, sc, parts...)
		if err == nil && !ok {
			err = errNotFound("The specified log record does not exist.")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	r := eventRow(sc.Account, parts[0], parts[1], e)
	delete(r, "@ptr")
	r["@timestamp"] = fmt.Sprint(e.Timestamp)
	r["@ingestionTime"] = fmt.Sprint(e.Ingestion)
	return &logsapi.GetLogRecordResponse{LogRecord: r}, nil
}

// retentionCutoff is the oldest timestamp a group keeps at now; events
// before it are expired.
func retentionCutoff(g group, now int64) int64 {
	if g.Retention == nil {
		return -1 << 62
	}
	return now - int64(*g.Retention)*int64(24*time.Hour/time.Millisecond)
}
