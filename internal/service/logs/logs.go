// Package logs is Amazon CloudWatch Logs: log groups and streams, events
// put and read back, filter patterns, retention and tags. Lambda writes
// every invocation's output here through AppendLogEvents.
package logs

import (
	"encoding/base64"
	"fmt"
	kmsseam "github.com/niwa-cloud/niwa/internal/kms"
	"github.com/niwa-cloud/niwa/internal/objects"
	"sort"
	"strconv"
	"strings"
	"time"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Logs implements the service.
type Logs struct {
	store storage.Store
	clock clock.Clock
	bus   Deliverer
	opts  Options
	// tails are the open Live Tail sessions (tail.go).
	tails *tailHub
}

// New returns the service. bus carries subscription filter deliveries to
// Lambda; nil leaves them undelivered.
func New(store storage.Store, clk clock.Clock, bus Deliverer, opts ...Options) *Logs {
	if clk == nil {
		clk = clock.Real{}
	}
	l := &Logs{store: store, clock: clk, bus: bus, tails: &tailHub{}}
	for _, o := range opts {
		l.opts = o
	}
	return l
}

// Options are the collaborators Logs may be given.
type Options struct {
	// DataKeys checks the KMS keys log groups are associated with (nil
	// checks their ARN's shape only).
	DataKeys kmsseam.Keys
	// Objects writes export task objects to S3 as logs.amazonaws.com
	// (nil: export tasks fail, saying so).
	Objects objects.Store
}

// group is a log group record.
type group struct {
	Name      string            `json:"name"`
	Created   int64             `json:"created"`
	Retention *int32            `json:"retention,omitempty"`
	Tags      map[string]string `json:"tags,omitempty"`
	KmsKeyID  string            `json:"kmsKeyId,omitempty"`
	Class     string            `json:"class,omitempty"`
	// NextSeq numbers the group's events; event ids derive from it.
	NextSeq int64 `json:"nextSeq"`
	Bytes   int64 `json:"bytes"`
}

// stream is a log stream record.
type stream struct {
	Name      string `json:"name"`
	Created   int64  `json:"created"`
	First     int64  `json:"first,omitempty"`
	Last      int64  `json:"last,omitempty"`
	Ingested  int64  `json:"ingested,omitempty"`
	Bytes     int64  `json:"bytes"`
	NextToken int64  `json:"nextToken"`
}

// event is one stored log event, keyed (group, stream, timestamp, seq).
type event struct {
	Timestamp int64  `json:"t"`
	Ingestion int64  `json:"i"`
	Message   string `json:"m"`
	Seq       int64  `json:"s"`
}

var (
	groups  = storage.NewTable[group]("group")
	streams = storage.NewTable[stream]("stream")
	evs     = storage.NewTable[event]("event")
)

func scope(ctx *request.Context) storage.Scope {
	return storage.Scope{Account: ctx.Account, Region: ctx.Region}
}

func groupARN(sc storage.Scope, name string) string {
	return fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s", sc.Region, sc.Account, name)
}

func tsKey(ms int64) string { return fmt.Sprintf("%020d", ms+1<<62) }
func seqKey(s int64) string { return fmt.Sprintf("%020d", s) }

// eventID is a 56-digit id as AWS's, unique within the group.
func eventID(e event) string { return fmt.Sprintf("%020d%036d", e.Timestamp, e.Seq) }

func ms(t time.Time) int64 { return t.UnixMilli() }

func errNotFound(msg string) error { return logsapi.ErrResourceNotFoundException.New("%s", msg) }

// groupName accepts a log group name or ARN (logGroupIdentifier).
func groupName(name, identifier *string) (string, error) {
	n := ptr.Deref(name)
	if id := ptr.Deref(identifier); id != "" {
		if n != "" {
			return "", logsapi.ErrInvalidParameterException.New("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
		}
		n = id
		if strings.HasPrefix(id, "arn:") {
			parts := strings.SplitN(id, ":", 7)
			if len(parts) == 7 {
				n = strings.TrimSuffix(parts[6], ":*")
			}
		}
	}
	if n == "" {
		return "", logsapi.ErrInvalidParameterException.New("Either LogGroup name or LogGroup ARN must be specified.")
	}
	return n, nil
}

func (l *Logs) getGroup(tx storage.Tx, sc storage.Scope, name string) (group, error) {
	g, ok, err := groups.Get(tx, sc, name)
	if err == nil && !ok {
		err = errNotFound("The specified log group does not exist.")
	}
	return g, err
}

// CreateLogGroup creates a group.
func (l *Logs) CreateLogGroup(ctx *request.Context, in *logsapi.CreateLogGroupRequest) (*logsapi.CreateLogGroupOutput, error) {
	sc := scope(ctx)
	name := ptr.Deref(in.LogGroupName)
	if err := checkGroupName(name); err != nil {
		return nil, err
	}
	class := "STANDARD"
	if in.LogGroupClass != nil {
		class = *in.LogGroupClass
	}
	if in.KmsKeyId != nil {
		if err := checkKeyARN(*in.KmsKeyId); err != nil {
			return nil, err
		}
		if err := l.checkKey(ctx, name, *in.KmsKeyId); err != nil {
			return nil, err
		}
	}
	err := l.store.Update(func(tx storage.Tx) error {
		if _, ok, err := groups.Get(tx, sc, name); err != nil {
			return err
		} else if ok {
			return logsapi.ErrResourceAlreadyExistsException.New("The specified log group already exists")
		}
		return groups.Put(tx, sc, group{Name: name, Created: ms(ctx.Now()), Tags: in.Tags, KmsKeyID: ptr.Deref(in.KmsKeyId), Class: class}, name)
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.CreateLogGroupOutput{}, nil
}

func checkGroupName(name string) error {
	if name == "" || len(name) > 512 {
		return logsapi.ErrInvalidParameterException.New("1 validation error detected: Value '%s' at 'logGroupName' failed to satisfy constraint: Member must have length less than or equal to 512", name)
	}
	for _, c := range name {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("_-/.#", c)
		if !ok {
			return logsapi.ErrInvalidParameterException.New("1 validation error detected: Value '%s' at 'logGroupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+", name)
		}
	}
	return nil
}

// DeleteLogGroup deletes a group with its streams and events.
func (l *Logs) DeleteLogGroup(ctx *request.Context, in *logsapi.DeleteLogGroupRequest) (*logsapi.DeleteLogGroupOutput, error) {
	sc := scope(ctx)
	name := ptr.Deref(in.LogGroupName)
	err := l.store.Update(func(tx storage.Tx) error {
		if _, err := l.getGroup(tx, sc, name); err != nil {
			return err
		}
		for _, t := range []string{streams.Name(), evs.Name(), metricFilters.Name(), subFilters.Name()} {
			if err := storage.DeletePrefix(tx, sc.Prefix(t, name)); err != nil {
				return err
			}
		}
		if err := dataProtections.Delete(tx, sc, name); err != nil {
			return err
		}
		return groups.Delete(tx, sc, name)
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.DeleteLogGroupOutput{}, nil
}

func groupShape(sc storage.Scope, g group, metricFilterCount int) logsapi.LogGroup {
	arn := groupARN(sc, g.Name)
	return logsapi.LogGroup{
		LogGroupName: ptr.To(g.Name), CreationTime: ptr.To(g.Created), RetentionInDays: g.Retention,
		MetricFilterCount: ptr.To(int32(metricFilterCount)), Arn: ptr.To(arn + ":*"), LogGroupArn: ptr.To(arn), StoredBytes: ptr.To(g.Bytes),
		LogGroupClass: ptr.To(g.Class), KmsKeyId: nilIfEmpty(g.KmsKeyID),
	}
}

func nilIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func limit(p *int32, def, max int) (int, error) {
	if p == nil {
		return def, nil
	}
	if *p < 1 || int(*p) > max {
		return 0, logsapi.ErrInvalidParameterException.New("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value less than or equal to %d", *p, max)
	}
	return int(*p), nil
}

// tokenMark starts every pagination token niwa issues, so a token it did
// not issue (or one of another API) is refused rather than misread.
const tokenMark = "niwa/logs/1\x00"

func token(s string) *string {
	return ptr.To(base64.RawURLEncoding.EncodeToString([]byte(tokenMark + s)))
}

// pageAfter returns the page of all (already in listing order) that
// follows the item whose id the token names, at most max items, and the
// token of the next page (nil on the last one). A token niwa did not
// issue is refused as Logs refuses it.
func pageAfter[T any](all []T, id func(T) string, next *string, max int) ([]T, *string, error) {
	after, err := untoken(next)
	if err != nil {
		return nil, nil, err
	}
	off := 0
	if after != "" {
		off = len(all)
		for i, v := range all {
			if id(v) == after {
				off = i + 1
			}
		}
	}
	page := all[off:]
	if len(page) > max {
		return page[:max], token(id(page[max-1])), nil
	}
	return page, nil, nil
}

func untoken(t *string) (string, error) {
	if t == nil {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(*t)
	rest, ok := strings.CutPrefix(string(b), tokenMark)
	if err != nil || !ok {
		return "", logsapi.ErrInvalidParameterException.New("The specified nextToken is invalid.")
	}
	return rest, nil
}

// DescribeLogGroups lists groups by name prefix or pattern.
func (l *Logs) DescribeLogGroups(ctx *request.Context, in *logsapi.DescribeLogGroupsRequest) (*logsapi.DescribeLogGroupsResponse, error) {
	sc := scope(ctx)
	max, err := limit(in.Limit, 50, 50)
	if err != nil {
		return nil, err
	}
	if in.LogGroupNamePrefix != nil && in.LogGroupNamePattern != nil {
		return nil, logsapi.ErrInvalidParameterException.New("LogGroupNamePrefix and LogGroupNamePattern are mutually exclusive parameters.")
	}
	after, err := untoken(in.NextToken)
	if err != nil {
		return nil, err
	}
	out := &logsapi.DescribeLogGroupsResponse{LogGroups: []logsapi.LogGroup{}}
	opts := storage.ListOptions{Partial: ptr.Deref(in.LogGroupNamePrefix)}
	if after != "" {
		opts.After = []string{after}
	}
	pattern := strings.ToLower(ptr.Deref(in.LogGroupNamePattern))
	err = l.store.View(func(tx storage.Tx) error {
		var cerr error
		err := groups.List(tx, sc, nil, opts, func(k []string, g group) bool {
			if pattern != "" && !strings.Contains(strings.ToLower(g.Name), pattern) {
				return true
			}
			if in.LogGroupClass != nil && g.Class != *in.LogGroupClass {
				return true
			}
			if len(out.LogGroups) == max {
				out.NextToken = token(ptr.Deref(out.LogGroups[max-1].LogGroupName))
				return false
			}
			var n int
			if n, cerr = count(tx, sc, metricFilters.Name(), g.Name); cerr != nil {
				return false
			}
			gs := groupShape(sc, g, n)
			if _, ok, _ := dataProtections.Get(tx, sc, g.Name); ok {
				gs.DataProtectionStatus = ptr.To("ACTIVATED")
			}
			out.LogGroups = append(out.LogGroups, gs)
			return true
		})
		if err != nil {
			return err
		}
		return cerr
	})
	return out, err
}

// CreateLogStream creates a stream in a group.
func (l *Logs) CreateLogStream(ctx *request.Context, in *logsapi.CreateLogStreamRequest) (*logsapi.CreateLogStreamOutput, error) {
	sc := scope(ctx)
	gname, sname := ptr.Deref(in.LogGroupName), ptr.Deref(in.LogStreamName)
	if strings.ContainsAny(sname, ":*") {
		return nil, logsapi.ErrInvalidParameterException.New("1 validation error detected: Value '%s' at 'logStreamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [^:*]*", sname)
	}
	err := l.store.Update(func(tx storage.Tx) error {
		if _, err := l.getGroup(tx, sc, gname); err != nil {
			return err
		}
		if _, ok, err := streams.Get(tx, sc, gname, sname); err != nil {
			return err
		} else if ok {
			return logsapi.ErrResourceAlreadyExistsException.New("The specified log stream already exists")
		}
		return streams.Put(tx, sc, stream{Name: sname, Created: ms(ctx.Now())}, gname, sname)
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.CreateLogStreamOutput{}, nil
}

// DeleteLogStream deletes a stream and its events.
func (l *Logs) DeleteLogStream(ctx *request.Context, in *logsapi.DeleteLogStreamRequest) (*logsapi.DeleteLogStreamOutput, error) {
	sc := scope(ctx)
	gname, sname := ptr.Deref(in.LogGroupName), ptr.Deref(in.LogStreamName)
	err := l.store.Update(func(tx storage.Tx) error {
		if _, err := l.getGroup(tx, sc, gname); err != nil {
			return err
		}
		if _, ok, err := streams.Get(tx, sc, gname, sname); err != nil {
			return err
		} else if !ok {
			return errNotFound("The specified log stream does not exist.")
		}
		if err := storage.DeletePrefix(tx, sc.Prefix(evs.Name(), gname, sname)); err != nil {
			return err
		}
		return streams.Delete(tx, sc, gname, sname)
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.DeleteLogStreamOutput{}, nil
}

func streamShape(sc storage.Scope, gname string, s stream) logsapi.LogStream {
	ls := logsapi.LogStream{
		LogStreamName: ptr.To(s.Name), CreationTime: ptr.To(s.Created), StoredBytes: ptr.To(int64(0)),
		Arn:                 ptr.To(groupARN(sc, gname) + ":log-stream:" + s.Name),
		UploadSequenceToken: ptr.To(fmt.Sprintf("%056d", s.NextToken)),
	}
	if s.Ingested > 0 {
		ls.FirstEventTimestamp, ls.LastEventTimestamp, ls.LastIngestionTime = ptr.To(s.First), ptr.To(s.Last), ptr.To(s.Ingested)
	}
	return ls
}

// DescribeLogStreams lists streams by name or by last event time.
func (l *Logs) DescribeLogStreams(ctx *request.Context, in *logsapi.DescribeLogStreamsRequest) (*logsapi.DescribeLogStreamsResponse, error) {
	sc := scope(ctx)
	gname, err := groupName(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	max, err := limit(in.Limit, 50, 50)
	if err != nil {
		return nil, err
	}
	byTime := ptr.Deref(in.OrderBy) == "LastEventTime"
	if byTime && in.LogStreamNamePrefix != nil {
		return nil, logsapi.ErrInvalidParameterException.New("Cannot order by LastEventTime with a logStreamNamePrefix.")
	}
	desc := in.Descending != nil && *in.Descending
	start, err := untoken(in.NextToken)
	if err != nil {
		return nil, err
	}
	var all []stream
	err = l.store.View(func(tx storage.Tx) error {
		if _, err := l.getGroup(tx, sc, gname); err != nil {
			return err
		}
		return streams.List(tx, sc, []string{gname}, storage.ListOptions{Partial: ptr.Deref(in.LogStreamNamePrefix)}, func(_ []string, s stream) bool {
			all = append(all, s)
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	if byTime {
		sort.SliceStable(all, func(i, j int) bool { return all[i].Last < all[j].Last })
	}
	if desc {
		for i, j := 0, len(all)-1; i < j; i, j = i+1, j-1 {
			all[i], all[j] = all[j], all[i]
		}
	}
	off := 0
	if start != "" {
		if off, err = strconv.Atoi(start); err != nil || off < 0 {
			return nil, logsapi.ErrInvalidParameterException.New("The specified nextToken is invalid.")
		}
	}
	out := &logsapi.DescribeLogStreamsResponse{LogStreams: []logsapi.LogStream{}}
	for i := off; i < len(all); i++ {
		if len(out.LogStreams) == max {
			out.NextToken = token(strconv.Itoa(i))
			break
		}
		out.LogStreams = append(out.LogStreams, streamShape(sc, gname, all[i]))
	}
	return out, nil
}

// PutRetentionPolicy sets a group's retention.
func (l *Logs) PutRetentionPolicy(ctx *request.Context, in *logsapi.PutRetentionPolicyRequest) (*logsapi.PutRetentionPolicyOutput, error) {
	valid := map[int32]bool{1: true, 3: true, 5: true, 7: true, 14: true, 30: true, 60: true, 90: true, 120: true, 150: true, 180: true, 365: true, 400: true, 545: true, 731: true, 1096: true, 1827: true, 2192: true, 2557: true, 2922: true, 3288: true, 3653: true}
	d := in.RetentionInDays
	if d == nil || !valid[*d] {
		v := int32(0)
		if d != nil {
			v = *d
		}
		return nil, logsapi.ErrInvalidParameterException.New("1 validation error detected: Value '%d' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653]", v)
	}
	if err := l.updateGroup(ctx, ptr.Deref(in.LogGroupName), func(g *group) error { g.Retention = d; return nil }); err != nil {
		return nil, err
	}
	return &logsapi.PutRetentionPolicyOutput{}, nil
}

// DeleteRetentionPolicy makes a group keep events forever.
func (l *Logs) DeleteRetentionPolicy(ctx *request.Context, in *logsapi.DeleteRetentionPolicyRequest) (*logsapi.DeleteRetentionPolicyOutput, error) {
	if err := l.updateGroup(ctx, ptr.Deref(in.LogGroupName), func(g *group) error { g.Retention = nil; return nil }); err != nil {
		return nil, err
	}
	return &logsapi.DeleteRetentionPolicyOutput{}, nil
}

func (l *Logs) updateGroup(ctx *request.Context, name string, fn func(*group) error) error {
	sc := scope(ctx)
	return l.store.Update(func(tx storage.Tx) error {
		g, err := l.getGroup(tx, sc, name)
		if err != nil {
			return err
		}
		if err := fn(&g); err != nil {
			return err
		}
		return groups.Put(tx, sc, g, name)
	})
}

// Tags, by group name (legacy) and by ARN.

// TagLogGroup adds tags (legacy API).
func (l *Logs) TagLogGroup(ctx *request.Context, in *logsapi.TagLogGroupRequest) (*logsapi.TagLogGroupOutput, error) {
	if err := l.tag(ctx, ptr.Deref(in.LogGroupName), in.Tags, nil); err != nil {
		return nil, err
	}
	return &logsapi.TagLogGroupOutput{}, nil
}

// UntagLogGroup removes tags (legacy API).
func (l *Logs) UntagLogGroup(ctx *request.Context, in *logsapi.UntagLogGroupRequest) (*logsapi.UntagLogGroupOutput, error) {
	if err := l.tag(ctx, ptr.Deref(in.LogGroupName), nil, in.Tags); err != nil {
		return nil, err
	}
	return &logsapi.UntagLogGroupOutput{}, nil
}

// ListTagsLogGroup lists tags (legacy API).
func (l *Logs) ListTagsLogGroup(ctx *request.Context, in *logsapi.ListTagsLogGroupRequest) (*logsapi.ListTagsLogGroupResponse, error) {
	var g group
	err := l.store.View(func(tx storage.Tx) error {
		var err error
		g, err = l.getGroup(tx, scope(ctx), ptr.Deref(in.LogGroupName))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &logsapi.ListTagsLogGroupResponse{Tags: nonNil(g.Tags)}, nil
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func arnGroup(arn string) (string, error) {
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) != 7 || parts[2] != "logs" || !strings.HasPrefix(parts[5], "log-group") {
		return "", logsapi.ErrInvalidParameterException.New("Invalid resource ARN: %s", arn)
	}
	name := parts[6]
	if parts[5] == "log-group" {
		name = strings.TrimSuffix(name, ":*")
	}
	return name, nil
}

// TagResource adds tags to a log group ARN.
func (l *Logs) TagResource(ctx *request.Context, in *logsapi.TagResourceRequest) (*logsapi.TagResourceOutput, error) {
	name, err := arnGroup(ptr.Deref(in.ResourceArn))
	if err != nil {
		return nil, err
	}
	if err := l.tag(ctx, name, in.Tags, nil); err != nil {
		return nil, err
	}
	return &logsapi.TagResourceOutput{}, nil
}

// UntagResource removes tags from a log group ARN.
func (l *Logs) UntagResource(ctx *request.Context, in *logsapi.UntagResourceRequest) (*logsapi.UntagResourceOutput, error) {
	name, err := arnGroup(ptr.Deref(in.ResourceArn))
	if err != nil {
		return nil, err
	}
	if err := l.tag(ctx, name, nil, in.TagKeys); err != nil {
		return nil, err
	}
	return &logsapi.UntagResourceOutput{}, nil
}

// ListTagsForResource lists a log group ARN's tags.
func (l *Logs) ListTagsForResource(ctx *request.Context, in *logsapi.ListTagsForResourceRequest) (*logsapi.ListTagsForResourceResponse, error) {
	name, err := arnGroup(ptr.Deref(in.ResourceArn))
	if err != nil {
		return nil, err
	}
	out, err := l.ListTagsLogGroup(ctx, &logsapi.ListTagsLogGroupRequest{LogGroupName: &name})
	if err != nil {
		return nil, err
	}
	return &logsapi.ListTagsForResourceResponse{Tags: out.Tags}, nil
}

func (l *Logs) tag(ctx *request.Context, name string, add map[string]string, remove []string) error {
	return l.updateGroup(ctx, name, func(g *group) error {
		if g.Tags == nil {
			g.Tags = map[string]string{}
		}
		for k, v := range add {
			g.Tags[k] = v
		}
		for _, k := range remove {
			delete(g.Tags, k)
		}
		if len(g.Tags) > 50 {
			return logsapi.ErrTooManyTagsException.New("A resource can have no more than 50 tags.")
		}
		return nil
	})
}
