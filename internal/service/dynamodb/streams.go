package dynamodb

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	dynamodbstreamsapi "github.com/niwa-cloud/niwa/internal/api/dynamodbstreams"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Streams implements the dynamodbstreams API over the tables and stream
// records of a DynamoDB. Each stream has one shard.
type Streams struct{ db *DynamoDB }

// NewStreams returns the Streams API over a DynamoDB store, for wiring it
// separately from the DynamoDB API (it only reads).
func NewStreams(store storage.Store) *Streams {
	return &Streams{db: &DynamoDB{store: store, tableCache: storage.NewDecodeCache(tables, 4096)}}
}

// Streams returns the DynamoDB Streams API of this service.
func (s *DynamoDB) Streams() *Streams { return &Streams{db: s} }

// shardID is the single shard of a stream, derived from its label so it
// is stable across restarts.
func shardID(label string) string {
	t, _ := time.Parse("2006-01-02T15:04:05.000", label)
	return fmt.Sprintf("shardId-%020d-%08x", t.UnixMilli(), uint32(t.UnixNano()))
}

// streamByARN finds the table and stream an ARN names.
func (s *DynamoDB) streamByARN(tx storage.Tx, sc storage.Scope, arn string) (*tableRecord, *streamRecordSpec, error) {
	i := strings.Index(arn, ":table/")
	j := strings.Index(arn, "/stream/")
	if i < 0 || j < i {
		return nil, nil, dynamodbstreamsapi.ErrResourceNotFoundException.New("Requested resource not found: Stream: %s not found", arn)
	}
	name := arn[i+len(":table/") : j]
	t, ok, err := tables.Get(tx, sc, name)
	if err != nil {
		return nil, nil, err
	}
	if ok {
		if t.Stream != nil && t.Stream.ARN == arn {
			return &t, t.Stream, nil
		}
		for k := range t.OldStreams {
			if t.OldStreams[k].ARN == arn {
				return &t, &t.OldStreams[k], nil
			}
		}
	}
	return nil, nil, dynamodbstreamsapi.ErrResourceNotFoundException.New("Requested resource not found: Stream: %s not found", arn)
}

// ListStreams lists the streams of the account's tables.
func (st *Streams) ListStreams(ctx *request.Context, in *dynamodbstreamsapi.ListStreamsInput) (*dynamodbstreamsapi.ListStreamsOutput, error) {
	out := &dynamodbstreamsapi.ListStreamsOutput{Streams: []dynamodbstreamsapi.Stream{}}
	want := ptr.Deref(in.TableName)
	err := st.db.store.View(func(tx storage.Tx) error {
		return tables.List(tx, scopeOf(ctx), nil, storage.ListOptions{}, func(_ []string, t tableRecord) bool {
			if want != "" && t.Name != want {
				return true
			}
			all := append([]streamRecordSpec(nil), t.OldStreams...)
			if t.Stream != nil {
				all = append(all, *t.Stream)
			}
			for _, sp := range all {
				out.Streams = append(out.Streams, dynamodbstreamsapi.Stream{StreamArn: ptr.To(sp.ARN), TableName: ptr.To(t.Name), StreamLabel: ptr.To(sp.Label)})
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	if in.Limit != nil && len(out.Streams) > int(*in.Limit) {
		out.Streams = out.Streams[:*in.Limit]
		out.LastEvaluatedStreamArn = out.Streams[len(out.Streams)-1].StreamArn
	}
	return out, nil
}

// DescribeStream describes a stream and its shard.
func (st *Streams) DescribeStream(ctx *request.Context, in *dynamodbstreamsapi.DescribeStreamInput) (*dynamodbstreamsapi.DescribeStreamOutput, error) {
	sc := scopeOf(ctx)
	var d *dynamodbstreamsapi.StreamDescription
	err := st.db.store.View(func(tx storage.Tx) error {
		t, sp, err := st.db.streamByARN(tx, sc, ptr.Deref(in.StreamArn))
		if err != nil {
			return err
		}
		status := "ENABLED"
		if !sp.Enabled {
			status = "DISABLED"
		}
		first := fmt.Sprintf("%0*d", seqWidth, 100000000000000001)
		rng := &dynamodbstreamsapi.SequenceNumberRange{StartingSequenceNumber: ptr.To(first)}
		if !sp.Enabled {
			last, _, err := streamSeqs.Get(tx, sc, t.Name, sp.Label)
			if err != nil {
				return err
			}
			rng.EndingSequenceNumber = ptr.To(fmt.Sprintf("%0*d", seqWidth, max(last, 100000000000000001)))
		}
		d = &dynamodbstreamsapi.StreamDescription{
			StreamArn: ptr.To(sp.ARN), StreamLabel: ptr.To(sp.Label), StreamStatus: ptr.To(status), StreamViewType: ptr.To(sp.ViewType),
			CreationRequestDateTime: ptr.To(sp.Created), TableName: ptr.To(t.Name),
			KeySchema: []dynamodbstreamsapi.KeySchemaElement{{AttributeName: ptr.To(t.Hash), KeyType: ptr.To("HASH")}},
			Shards:    []dynamodbstreamsapi.Shard{{ShardId: ptr.To(shardID(sp.Label)), SequenceNumberRange: rng}},
		}
		if t.Range != "" {
			d.KeySchema = append(d.KeySchema, dynamodbstreamsapi.KeySchemaElement{AttributeName: ptr.To(t.Range), KeyType: ptr.To("RANGE")})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbstreamsapi.DescribeStreamOutput{StreamDescription: d}, nil
}

// iterator is what a shard iterator token carries: the stream and the
// first sequence number the next GetRecords returns.
type iterator struct {
	Account string `json:"a"`
	Region  string `json:"r"`
	ARN     string `json:"s"`
	Next    string `json:"n"`
}

func (it iterator) token() string {
	b, _ := json.Marshal(it)
	return base64.RawURLEncoding.EncodeToString(b)
}

func parseIterator(tok string) (iterator, bool) {
	var it iterator
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || json.Unmarshal(b, &it) != nil || it.ARN == "" {
		return it, false
	}
	return it, true
}

// GetShardIterator returns an iterator of any type.
func (st *Streams) GetShardIterator(ctx *request.Context, in *dynamodbstreamsapi.GetShardIteratorInput) (*dynamodbstreamsapi.GetShardIteratorOutput, error) {
	sc := scopeOf(ctx)
	it := iterator{Account: sc.Account, Region: sc.Region, ARN: ptr.Deref(in.StreamArn)}
	err := st.db.store.View(func(tx storage.Tx) error {
		t, sp, err := st.db.streamByARN(tx, sc, it.ARN)
		if err != nil {
			return err
		}
		if ptr.Deref(in.ShardId) != shardID(sp.Label) {
			return dynamodbstreamsapi.ErrResourceNotFoundException.New("Requested resource not found: Shard does not exist")
		}
		last, _, err := streamSeqs.Get(tx, sc, t.Name, sp.Label)
		if err != nil {
			return err
		}
		seq := ptr.Deref(in.SequenceNumber)
		switch ptr.Deref(in.ShardIteratorType) {
		case "TRIM_HORIZON":
			it.Next = ""
		case "LATEST":
			it.Next = fmt.Sprintf("%0*d", seqWidth, max(last, 100000000000000000)+1)
		case "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER":
			if seq == "" {
				return awsValidation("Sequence number must be specified for iterator type %s", ptr.Deref(in.ShardIteratorType))
			}
			// Decimal: Sscan would read the zero-padded text as octal.
			n, err := strconv.ParseInt(seq, 10, 64)
			if err != nil {
				return awsValidation("Invalid SequenceNumber: %s", seq)
			}
			if ptr.Deref(in.ShardIteratorType) == "AFTER_SEQUENCE_NUMBER" {
				n++
			}
			it.Next = fmt.Sprintf("%0*d", seqWidth, n)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbstreamsapi.GetShardIteratorOutput{ShardIterator: ptr.To(it.token())}, nil
}

func awsValidation(format string, args ...any) error { return validation(format, args...) }

// GetRecords returns the records at an iterator.
func (st *Streams) GetRecords(ctx *request.Context, in *dynamodbstreamsapi.GetRecordsInput) (*dynamodbstreamsapi.GetRecordsOutput, error) {
	it, ok := parseIterator(ptr.Deref(in.ShardIterator))
	if !ok || it.Account != ctx.Account || it.Region != ctx.Region {
		return nil, validation("Invalid ShardIterator")
	}
	limit := 1000
	if in.Limit != nil {
		limit = int(*in.Limit)
	}
	recs, next, open, err := st.db.readStream(ctx, it.Account, it.Region, it.ARN, it.Next, limit)
	if err != nil {
		return nil, err
	}
	out := &dynamodbstreamsapi.GetRecordsOutput{Records: recs}
	if open || len(recs) > 0 {
		it.Next = next
		out.NextShardIterator = ptr.To(it.token())
	}
	return out, nil
}

// ReadStream returns up to limit records of the stream streamARN (in
// account and region) whose sequence numbers are at or after from ("" is
// the oldest record), the sequence number to continue from, and whether
// the stream is still enabled. It is how other services (Lambda event
// source mappings) consume a table's stream without going through the
// HTTP API; records are in the dynamodbstreams API shape.
func (s *DynamoDB) ReadStream(ctx context.Context, account, region, streamARN, from string, limit int) (records []dynamodbstreamsapi.Record, next string, enabled bool, err error) {
	return s.readStream(ctx, account, region, streamARN, from, limit)
}

func (s *DynamoDB) readStream(_ context.Context, account, region, arn, from string, limit int) ([]dynamodbstreamsapi.Record, string, bool, error) {
	sc := storage.Scope{Account: account, Region: region}
	out := []dynamodbstreamsapi.Record{}
	next := from
	enabled := false
	err := s.store.View(func(tx storage.Tx) error {
		t, sp, err := s.streamByARN(tx, sc, arn)
		if err != nil {
			return err
		}
		enabled = sp.Enabled
		opts := storage.ScanOptions{Limit: limit}
		if from != "" {
			opts.Start = sc.Key("srec", t.Name, sp.Label, from)
		}
		var ferr error
		err = tx.Scan(sc.Prefix("srec", t.Name, sp.Label), opts, func(_, v []byte) bool {
			var r storedRecord
			if ferr = json.Unmarshal(v, &r); ferr != nil {
				return false
			}
			out = append(out, r.api())
			n, _ := strconv.ParseInt(r.Seq, 10, 64)
			next = fmt.Sprintf("%0*d", seqWidth, n+1)
			return true
		})
		if err != nil {
			return err
		}
		return ferr
	})
	return out, next, enabled, err
}

func (r storedRecord) api() dynamodbstreamsapi.Record {
	rec := dynamodbstreamsapi.Record{
		EventID: ptr.To(r.EventID), EventName: ptr.To(r.EventName), EventVersion: ptr.To("1.1"),
		EventSource: ptr.To("aws:dynamodb"), AwsRegion: ptr.To(r.Region),
		Dynamodb: &dynamodbstreamsapi.StreamRecord{
			ApproximateCreationDateTime: ptr.To(r.Time), Keys: streamItem(r.Keys), NewImage: streamItem(r.New), OldImage: streamItem(r.Old),
			SequenceNumber: ptr.To(r.Seq), SizeBytes: ptr.To(r.Size), StreamViewType: ptr.To(r.ViewType),
		},
	}
	if r.Identity != nil {
		rec.UserIdentity = &dynamodbstreamsapi.Identity{Type: ptr.To(r.Identity.Type), PrincipalId: ptr.To(r.Identity.Principal)}
	}
	return rec
}

func streamItem(m map[string]wav) map[string]dynamodbstreamsapi.AttributeValue {
	if m == nil {
		return nil
	}
	out := make(map[string]dynamodbstreamsapi.AttributeValue, len(m))
	for k, w := range m {
		out[k] = streamValue(fromWav(w))
	}
	return out
}

func streamValue(v AV) dynamodbstreamsapi.AttributeValue {
	o := dynamodbstreamsapi.AttributeValue{S: v.S, N: v.N, B: v.B, SS: v.SS, NS: v.NS, BS: v.BS, NULL: v.NULL, BOOL: v.BOOL}
	if v.M != nil {
		o.M = make(map[string]dynamodbstreamsapi.AttributeValue, len(v.M))
		for k, e := range v.M {
			o.M[k] = streamValue(e)
		}
	}
	if v.L != nil {
		o.L = make([]dynamodbstreamsapi.AttributeValue, len(v.L))
		for i, e := range v.L {
			o.L[i] = streamValue(e)
		}
	}
	return o
}

// ---- time to live ----

func (s *DynamoDB) scheduleTTL() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.ttl = s.clock.AfterFunc(s.opts.TTLInterval, func() {
		_ = s.SweepTTL()
		s.scheduleTTL()
	})
}

// SweepTTL deletes every expired item of every table with TTL enabled,
// writing REMOVE stream records whose user identity is the DynamoDB
// service. It runs every Options.TTLInterval; tests call it directly.
func (s *DynamoDB) SweepTTL() error {
	now := s.clock.Now()
	var refs []ttlRef
	err := s.store.View(func(tx storage.Tx) error {
		return ttlTables.List(tx, globalScope, nil, storage.ListOptions{}, func(_ []string, r ttlRef) bool {
			refs = append(refs, r)
			return true
		})
	})
	if err != nil {
		return err
	}
	for _, r := range refs {
		sc := storage.Scope{Account: r.Account, Region: r.Region}
		err := s.store.Update(func(tx storage.Tx) error {
			t, ok, err := tables.Get(tx, sc, r.Table)
			if err != nil || !ok || !t.TTLOn {
				return err
			}
			type expired struct {
				k  itemKey
				it Item
			}
			var dead []expired
			err = s.scanItems(tx, sc.Prefix("item", t.Name), func(it Item) error {
				v, ok := it[t.TTLAttr]
				if !ok || v.N == nil {
					return nil
				}
				var secs float64
				if _, err := fmt.Sscan(*v.N, &secs); err != nil || secs <= 0 {
					return nil
				}
				if float64(now.Unix()) >= secs {
					k, err := t.keyOfItem(it)
					if err == nil {
						dead = append(dead, expired{k, it})
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			for _, d := range dead {
				if err := s.write(tx, sc, &t, d.k, d.it, nil, ttlIdentity, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// StreamShardID names the single shard of the stream streamARN as
// DescribeStream does, for services that consume streams directly
// (Lambda's on-failure records name it).
func StreamShardID(streamARN string) string {
	_, label, _ := strings.Cut(streamARN, "/stream/")
	return shardID(label)
}
