// Package dynamodb is Amazon DynamoDB: tables with their indexes, items
// with the full expression language, Query and Scan, batches and
// transactions, time to live, and DynamoDB Streams (served by the Streams
// type of this package under the dynamodbstreams API).
//
// # Storage layout
//
// Everything lives in the "dynamodb" store, scoped by account and region:
//
//	table/<name>                        tableRecord (JSON)
//	item/<name>/<hash>[/<range>]        the item (DynamoDB JSON)
//	idx/<name>/<index>/<ih>[/<ir>]/<hash>[/<range>]   the item again, for GSIs and LSIs
//	count/<name>                        item count and size
//	srec/<name>/<label>/<seq>           stream records
//	sseq/<name>/<label>                 last stream sequence number
//	txtoken/<token>                     ClientRequestToken of a write transaction (10 minutes)
//
// Key attribute values are encoded so that byte order is DynamoDB's order
// (strings and binaries as their bytes, numbers with decimal.Key), which
// makes a Query a range scan of the ordered store. Index records are written
// in the same transaction as their item, and so are stream records, so
// neither can disagree with the table after a crash.
package dynamodb

import (
	kmsseam "github.com/niwa-cloud/niwa/internal/kms"
	"github.com/niwa-cloud/niwa/internal/objects"
	"slices"
	"sync"
	"time"

	"github.com/niwa-cloud/niwa/internal/api"
	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/service/dynamodb/expr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// AV is DynamoDB's AttributeValue.
type AV = dynamodbapi.AttributeValue

// Item is one item.
type Item = map[string]AV

// Options tune the service.
type Options struct {
	// CreateDelay keeps a new table (and a new GSI) in CREATING for this
	// long of clock time before it turns ACTIVE; zero means ACTIVE at once.
	CreateDelay time.Duration
	// TTLInterval is how often (clock time) expired items are deleted.
	// Zero means every minute.
	TTLInterval time.Duration
	// DataKeys resolves the KMS keys of SSESpecification (nil records
	// them unchecked).
	DataKeys kmsseam.DataKeys
	// Objects reads and writes the S3 objects of exports and imports
	// (nil: they fail, saying so).
	Objects objects.Store
}

// DynamoDB implements the DynamoDB API (bind with dynamodbapi.Bind).
type DynamoDB struct {
	store storage.Store
	clock clock.Clock
	opts  Options
	conv  api.Converter
	// tableCache decodes each version of a table's description once:
	// every item operation reads it (see loadTable).
	tableCache *storage.DecodeCache[tableRecord]
	// itemBufs are *[]byte an item is encoded in before the store
	// copies it (putItemRecord).
	itemBufs sync.Pool
	// mu guards the sweeper's timer, re-armed from its own goroutine.
	mu     sync.Mutex
	ttl    clock.Timer
	closed bool
}

// New returns the service over store. The TTL sweeper runs on clk until
// Close.
func New(store storage.Store, clk clock.Clock, opts Options) *DynamoDB {
	if opts.TTLInterval <= 0 {
		opts.TTLInterval = time.Minute
	}
	s := &DynamoDB{store: store, clock: clk, opts: opts, tableCache: storage.NewDecodeCache(tables, 4096)}
	s.scheduleTTL()
	return s
}

// Close stops the TTL sweeper.
func (s *DynamoDB) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.ttl != nil {
		s.ttl.Stop()
	}
	return nil
}

var (
	tables = storage.NewTable[tableRecord]("table")
	counts = storage.NewTable[countRecord]("count")
	// ttlTables lists, outside any account, the tables whose TTL is on, so
	// the sweeper does not have to look at every account.
	ttlTables = storage.NewTable[ttlRef]("ttl-table")
	// streamSeqs holds the last sequence number of each stream.
	streamSeqs = storage.NewTable[int64]("sseq")
)

var globalScope = storage.Scope{}

type ttlRef struct {
	Account, Region, Table string
}

type countRecord struct {
	Items int64 `json:"n"`
	Bytes int64 `json:"b"`
}

// A table's counts are read and rewritten by every write of an item, so
// they are stored in the binary record form (JSON, as stored before, is
// still read).
var _ storage.BinaryRecord = (*countRecord)(nil)

// AppendRecord implements storage.BinaryRecord.
func (c *countRecord) AppendRecord(dst []byte) []byte {
	e := storage.Enc{B: dst}
	e.Int(1, c.Items)
	e.Int(2, c.Bytes)
	return e.B
}

// DecodeRecord implements storage.BinaryRecord.
func (c *countRecord) DecodeRecord(d *storage.Dec) error {
	*c = countRecord{}
	for d.Next() {
		switch d.Tag() {
		case 1:
			c.Items = d.Int()
		case 2:
			c.Bytes = d.Int()
		default:
			d.Skip()
		}
	}
	return nil
}

// tableRecord is one table's definition.
type tableRecord struct {
	Name     string
	ID       string
	ARN      string
	Created  time.Time
	ActiveAt time.Time `json:",omitempty"`
	Deleting bool      `json:",omitempty"`
	AttrDefs []attrDef
	Hash     string
	Range    string `json:",omitempty"`
	Billing  string
	// BillingSet records that BillingMode was given, which makes
	// DescribeTable report BillingModeSummary for PROVISIONED too.
	BillingSet bool `json:",omitempty"`
	RCU, WCU   int64
	GSIs       []indexRecord `json:",omitempty"`
	LSIs       []indexRecord `json:",omitempty"`
	Stream     *streamRecordSpec
	SSE        *sseRecord `json:",omitempty"`
	TTLAttr    string     `json:",omitempty"`
	TTLOn      bool       `json:",omitempty"`
	Protected  bool       `json:",omitempty"`
	Class      string     `json:",omitempty"`
	Tags       []tag      `json:",omitempty"`
	// OldStreams are earlier streams of this table, kept listable.
	OldStreams []streamRecordSpec `json:",omitempty"`
	// Policy is the table's resource-based policy and PolicyRev its
	// revision id (see policy.go).
	Policy    string `json:",omitempty"`
	PolicyRev string `json:",omitempty"`
	// Kinesis lists the table's Kinesis streaming destinations (see
	// kinesis.go).
	Kinesis []kinesisDest `json:",omitempty"`
	// Restore records the backup a table was restored from.
	Restore *restoreRecord `json:",omitempty"`
	// PITR is point-in-time recovery's setting (see backups.go).
	PITR *pitrRecord `json:",omitempty"`
	// Insights holds contributor insights' setting of the table (key "")
	// and of its indexes.
	Insights map[string]insightsRecord `json:",omitempty"`
	// Global is the table's membership in a global table (see
	// globaltables.go).
	Global *globalRecord `json:",omitempty"`
	// Scaling is this replica's auto scaling settings (see
	// autoscaling.go).
	Scaling *tableScaling `json:",omitempty"`
}

type attrDef struct{ Name, Type string }

type tag struct{ Key, Value string }

type sseRecord struct {
	Enabled bool
	Type    string
	KMSKey  string
}

type indexRecord struct {
	Name       string
	Hash       string
	Range      string `json:",omitempty"`
	Projection string
	NonKey     []string `json:",omitempty"`
	RCU, WCU   int64
	ActiveAt   time.Time `json:",omitempty"`
	Local      bool      `json:",omitempty"`
	// Hashes and Ranges are the attributes of a multi-attribute key (GSIs
	// only: up to four of each), in order; Hash and Range are then their
	// first. Both are empty for a single-attribute key.
	Hashes []string `json:",omitempty"`
	Ranges []string `json:",omitempty"`
}

func (ix *indexRecord) hashNames() []string {
	if len(ix.Hashes) > 0 {
		return ix.Hashes
	}
	return []string{ix.Hash}
}

func (ix *indexRecord) rangeNames() []string {
	if len(ix.Ranges) > 0 {
		return ix.Ranges
	}
	if ix.Range != "" {
		return []string{ix.Range}
	}
	return nil
}

// keyNames returns the index's key attributes, partition ones first.
func (ix *indexRecord) keyNames() []string {
	return append(slices.Clone(ix.hashNames()), ix.rangeNames()...)
}

// multi reports a multi-attribute key, whose store key parts are tuples.
func (ix *indexRecord) multi() bool { return len(ix.Hashes) > 1 || len(ix.Ranges) > 1 }

// setKey records a parsed index key schema.
func (ix *indexRecord) setKey(hashes, ranges []string) {
	ix.Hash, ix.Range, ix.Hashes, ix.Ranges = hashes[0], "", nil, nil
	if len(ranges) > 0 {
		ix.Range = ranges[0]
	}
	if len(hashes) > 1 || len(ranges) > 1 {
		ix.Hashes, ix.Ranges = hashes, ranges
	}
}

// indexKeySchema renders an index's KeySchema.
func indexKeySchema(ix indexRecord) []dynamodbapi.KeySchemaElement {
	var ks []dynamodbapi.KeySchemaElement
	for _, n := range ix.hashNames() {
		ks = append(ks, dynamodbapi.KeySchemaElement{AttributeName: ptr.To(n), KeyType: ptr.To("HASH")})
	}
	for _, n := range ix.rangeNames() {
		ks = append(ks, dynamodbapi.KeySchemaElement{AttributeName: ptr.To(n), KeyType: ptr.To("RANGE")})
	}
	return ks
}

// tupleBytes encodes the values of a multi-attribute key as one store key
// part whose byte order is the values' order left to right: each value's
// bytes with 0x00 escaped as 0x00 0xFF, ended by 0x00 0x01, so a shorter
// value sorts before its extensions and a prefix of the tuple is a byte
// prefix.
func tupleBytes(vs []AV) string {
	var b []byte
	for _, v := range vs {
		for _, c := range []byte(keyBytes(v)) {
			b = append(b, c)
			if c == 0 {
				b = append(b, 0xFF)
			}
		}
		b = append(b, 0, 1)
	}
	return string(b)
}

type streamRecordSpec struct {
	Enabled  bool
	ViewType string
	Label    string
	ARN      string
	Created  time.Time
	Disabled time.Time `json:",omitempty"`
}

func (t *tableRecord) attrType(name string) string {
	for _, d := range t.AttrDefs {
		if d.Name == name {
			return d.Type
		}
	}
	return ""
}

// index returns the GSI or LSI with this name.
func (t *tableRecord) index(name string) (*indexRecord, bool) {
	for i := range t.GSIs {
		if t.GSIs[i].Name == name {
			return &t.GSIs[i], true
		}
	}
	for i := range t.LSIs {
		if t.LSIs[i].Name == name {
			return &t.LSIs[i], true
		}
	}
	return nil, false
}

func (t *tableRecord) indexes() []indexRecord {
	// Callers only read it: a table with one kind of index (or none)
	// answers its own slice, not a copy per item write.
	switch {
	case len(t.LSIs) == 0:
		return t.GSIs
	case len(t.GSIs) == 0:
		return t.LSIs
	}
	return append(append(make([]indexRecord, 0, len(t.GSIs)+len(t.LSIs)), t.GSIs...), t.LSIs...)
}

// keyNames returns the table's key attributes.
func (t *tableRecord) keyNames() []string {
	if t.Range != "" {
		return []string{t.Hash, t.Range}
	}
	return []string{t.Hash}
}

// Errors with DynamoDB's messages.
func validation(format string, args ...any) error {
	return awserr.ValidationException.New(format, args...)
}

func notFound() error {
	return dynamodbapi.ErrResourceNotFoundException.New("Requested resource not found")
}

func tableNotFound(name string) error {
	return dynamodbapi.ErrResourceNotFoundException.New("Requested resource not found: Table: %s not found", name)
}

// exprErr turns an expression error into the ValidationException it is.
func exprErr(err error) error {
	if e, ok := err.(*expr.Error); ok {
		return awserr.ValidationException.New("%s", e.Msg)
	}
	return err
}
