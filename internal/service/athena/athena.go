// Package athena is Amazon Athena: workgroups, query executions run by a
// real SQL engine (internal/sqlengine: DuckDB in the niwa binary) over
// the objects in niwa's S3, tables and databases kept in the Glue Data
// Catalog, results written to the output location as CSV, named queries
// and prepared statements.
//
// Athena reaches Glue and S3 through seams internal/server provides
// (Catalog, Objects): both act as the caller, so IAM applies as on AWS —
// the caller needs glue:Get* on the catalog, s3:GetObject and
// s3:ListBucket on the data, s3:PutObject on the output location.
package athena

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"

	athenaapi "github.com/niwa-cloud/niwa/internal/api/athena"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/sqlengine"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Table is a Glue table as Athena reads and writes it.
type Table struct {
	Database, Name, Description string
	// Columns are the data columns; PartitionKeys the partition columns.
	Columns, PartitionKeys             []sqlengine.Column
	Location                           string
	InputFormat, OutputFormat, SerDe   string
	SerDeParams, Parameters            map[string]string
	TableType                          string // EXTERNAL_TABLE, VIRTUAL_VIEW
	ViewOriginalText, ViewExpandedText string
	CreateTime                         time.Time
}

// Partition is a Glue partition.
type Partition struct {
	Values   []string
	Location string
}

// Catalog is the Glue Data Catalog, used as the caller (glue:* IAM
// actions apply). Errors are Glue's (EntityNotFoundException,
// AlreadyExistsException, AccessDeniedException) as awserr errors.
type Catalog interface {
	CreateDatabase(ctx *request.Context, name, description, location string, params map[string]string) error
	DeleteDatabase(ctx *request.Context, name string) error
	Databases(ctx *request.Context) ([]string, error)
	Database(ctx *request.Context, name string) (description string, params map[string]string, err error)
	CreateTable(ctx *request.Context, t Table) error
	UpdateTable(ctx *request.Context, t Table) error
	Table(ctx *request.Context, db, name string) (Table, error)
	Tables(ctx *request.Context, db string) ([]Table, error)
	DeleteTable(ctx *request.Context, db, name string) error
	Partitions(ctx *request.Context, db, table string) ([]Partition, error)
	// AddPartitions adds partitions; ones that exist already are skipped
	// when ifNotExists, an error otherwise.
	AddPartitions(ctx *request.Context, db, table string, parts []Partition, ifNotExists bool) error
	DeletePartition(ctx *request.Context, db, table string, values []string) error
}

// Objects reads and writes S3 objects as the caller: the S3 actions
// (s3:ListBucket, s3:GetObject, s3:PutObject) are authorized as if the
// caller made them. Errors are objects.ErrNoSuchBucket, ErrNoSuchKey,
// or an awserr AccessDenied.
type Objects interface {
	List(ctx *request.Context, bucket, prefix string) ([]objects.Object, error)
	Open(ctx *request.Context, bucket, key string) (io.ReadCloser, int64, error)
	Put(ctx *request.Context, bucket, key string, body []byte) error
}

// Options are what Athena is built with.
type Options struct {
	// Engine runs queries; nil answers every query FAILED, saying no
	// engine is linked (in-process test servers).
	Engine  sqlengine.Engine
	Catalog Catalog
	Objects Objects
	// TempDir holds a query's objects while it runs ("" is the system's).
	TempDir string
	// MaxScanBytes bounds what one query reads (1 GiB when 0).
	MaxScanBytes int64
	// MaxResultRows bounds a query's result (1,000,000 when 0).
	MaxResultRows int
	// QueryTimeout bounds one query (30 minutes when 0, as Athena's DML
	// default).
	QueryTimeout time.Duration
	// MaxConcurrent is how many queries run at once (4 when 0); the
	// others wait QUEUED.
	MaxConcurrent int
	Log           *slog.Logger
}

// Athena implements the Athena API; bind it with athenaapi.Bind.
type Athena struct {
	store storage.Store
	clock clock.Clock
	opts  Options

	// running are the cancel functions of the queries running now, so
	// StopQueryExecution can stop one (rebuilt from nothing: a query
	// does not survive a restart).
	mu      sync.Mutex
	running map[string]context.CancelFunc
	// slots hold one token per running query (Options.MaxConcurrent).
	slots  chan struct{}
	wg     sync.WaitGroup
	closed bool
}

// New returns Athena over store.
func New(store storage.Store, clk clock.Clock, opts Options) *Athena {
	if opts.MaxScanBytes <= 0 {
		opts.MaxScanBytes = 1 << 30
	}
	if opts.MaxResultRows <= 0 {
		opts.MaxResultRows = 1_000_000
	}
	if opts.QueryTimeout <= 0 {
		opts.QueryTimeout = 30 * time.Minute
	}
	if opts.MaxConcurrent <= 0 {
		opts.MaxConcurrent = 4
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Athena{store: store, clock: clk, opts: opts, running: map[string]context.CancelFunc{},
		slots: make(chan struct{}, opts.MaxConcurrent)}
}

// Close cancels the running queries and waits for them.
func (a *Athena) Close() error {
	a.mu.Lock()
	a.closed = true
	for _, cancel := range a.running {
		cancel()
	}
	a.mu.Unlock()
	a.wg.Wait()
	return nil
}

func scope(ctx *request.Context) storage.Scope {
	return storage.Scope{Account: ctx.Account, Region: ctx.Region}
}

// Records.
var (
	workgroups    = storage.NewTable[workgroupRecord]("workgroups")
	executions    = storage.NewTable[execRecord]("executions")
	results       = storage.NewTable[resultRecord]("results")
	namedQueries  = storage.NewTable[athenaapi.NamedQuery]("named")
	prepared      = storage.NewTable[athenaapi.PreparedStatement]("prepared")
	requestTokens = storage.NewTable[string]("tokens")
)

// primary is the workgroup every account has.
const primary = "primary"

// engineVersion is the engine queries run on: Athena engine version 3
// (Trino's dialect), whatever was selected.
func engineVersion(selected *string) *athenaapi.EngineVersion {
	sel := ptr.Deref(selected)
	if sel == "" {
		sel = "AUTO"
	}
	return &athenaapi.EngineVersion{SelectedEngineVersion: &sel, EffectiveEngineVersion: ptr.To("Athena engine version 3")}
}
