// Package rdsdata is the RDS Data API (rds-data): SQL over HTTPS on an
// Aurora cluster whose HTTP endpoint is enabled, authorized by a Secrets
// Manager secret holding the database user's name and password. niwa
// runs each statement on the cluster's real server (internal/dbengine,
// through RDS) with the Go drivers for MySQL and PostgreSQL.
package rdsdata

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver

	rdsdataapi "github.com/niwa-cloud/niwa/internal/api/rdsdata"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Cluster is what the Data API needs of an Aurora cluster.
type Cluster struct {
	ID, Engine, Status, DBName string
	Port                       int
	HTTPEndpoint               bool
}

// Clusters finds the cluster an ARN names in the caller's account and
// region (RDS, wired by internal/server).
type Clusters interface {
	Cluster(ctx *request.Context, arn string) (Cluster, bool, error)
}

// Secrets reads a secret's string as the caller (Secrets Manager, wired
// by internal/server).
type Secrets interface {
	SecretString(ctx *request.Context, arn string) (string, error)
}

// Options are what the service is built from.
type Options struct {
	Clusters Clusters
	Secrets  Secrets
	Clock    clock.Clock
}

// Limits of the Data API (Aurora user guide, data-api).
const (
	txnIdle       = 3 * time.Minute  // a transaction unused this long is rolled back
	txnMaxAge     = 24 * time.Hour   // and one older than this
	statementWait = 45 * time.Second // a statement's wait before StatementTimeoutException
	maxResponse   = 1 << 20          // bytes of records in one response
	maxRow        = 64 << 10         // bytes of one row
	maxSQL        = 64 << 10         // characters of a statement
)

// RDSData is the service.
type RDSData struct {
	clusters Clusters
	secrets  Secrets
	clock    clock.Clock

	mu   sync.Mutex
	dbs  map[string]*sql.DB // by driver and DSN
	txns map[string]*txn
}

// txn is an open transaction: its connection and when it was last used
// (niwa's clock).
type txn struct {
	resource, secret string
	tx               *sql.Tx
	pg               bool
	started, used    time.Time
	busy             bool
}

// New makes the service.
func New(o Options) *RDSData {
	return &RDSData{clusters: o.Clusters, secrets: o.Secrets, clock: o.Clock, dbs: map[string]*sql.DB{}, txns: map[string]*txn{}}
}

// Declare is the Data API as the platform sees it: actions
// rds-data:<Operation> on the cluster's ARN, and the caller must be
// allowed secretsmanager:GetSecretValue on the secret it names.
func (s *RDSData) Declare() kit.Declaration {
	return kit.Declaration{
		Impl:      s,
		Namespace: "rds",
		Authz: kit.Authz{
			Prefix: "rds-data",
			Resources: func(op string, in kit.Input, env kit.Env) []string {
				if v := in.Str("ResourceArn"); v != "" {
					return []string{v}
				}
				return nil
			},
			Extra: func(op string, in kit.Input, env kit.Env) []kit.Check {
				if v := in.Str("SecretArn"); v != "" {
					return []kit.Check{{Action: "secretsmanager:GetSecretValue", Resource: v}}
				}
				return nil
			},
		},
		NotImplemented: kit.Reasons{}.
			Add("ExecuteSql is the deprecated Aurora Serverless v1 call; use ExecuteStatement", "ExecuteSql"),
		Reset: s.Reset,
		Close: s.Close,
	}
}

// Close rolls back open transactions and closes the connections.
func (s *RDSData) Close() error {
	s.mu.Lock()
	txns, dbs := s.txns, s.dbs
	s.txns, s.dbs = map[string]*txn{}, map[string]*sql.DB{}
	s.mu.Unlock()
	for _, t := range txns {
		_ = t.tx.Rollback()
	}
	for _, db := range dbs {
		_ = db.Close()
	}
	return nil
}

// Reset forgets every transaction (rolled back).
func (s *RDSData) Reset() error { return s.Close() }

func badRequest(format string, args ...any) error {
	return rdsdataapi.ErrBadRequestException.New(format, args...)
}

// target is a resolved call: the cluster's server and who to connect as.
type target struct {
	cluster    Cluster
	pg         bool
	user, pass string
	db         string
}

func (s *RDSData) resolve(ctx *request.Context, resourceARN, secretARN, database string) (target, error) {
	var t target
	if s.clusters == nil || s.secrets == nil {
		return t, rdsdataapi.ErrServiceUnavailableError.New("The Data API needs RDS and Secrets Manager, which this niwa does not run.")
	}
	c, ok, err := s.clusters.Cluster(ctx, resourceARN)
	if err != nil {
		return t, err
	}
	if !ok {
		return t, badRequest("Invalid cluster arn: %s", resourceARN)
	}
	if !c.HTTPEndpoint {
		return t, rdsdataapi.ErrHttpEndpointNotEnabledException.New("HttpEndpoint is not enabled for cluster %s. Please refer to https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/data-api.html#data-api.troubleshooting", c.ID)
	}
	if c.Status != "available" {
		return t, rdsdataapi.ErrDatabaseUnavailableException.New("The database cluster %s is %s.", c.ID, c.Status)
	}
	raw, err := s.secrets.SecretString(ctx, secretARN)
	if err != nil {
		var ae interface{ ErrorCode() string }
		if errors.As(err, &ae) && ae.ErrorCode() == "AccessDeniedException" {
			return t, err
		}
		return t, rdsdataapi.ErrSecretsErrorException.New("Error fetching secret %s: %v", secretARN, err)
	}
	var cred struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := json.Unmarshal([]byte(raw), &cred); err != nil || cred.Username == "" {
		return t, rdsdataapi.ErrInvalidSecretException.New("The secret %s does not hold a JSON object with username and password.", secretARN)
	}
	t = target{cluster: c, pg: strings.Contains(c.Engine, "postgres"), user: cred.Username, pass: cred.Password, db: database}
	if t.db == "" {
		t.db = c.DBName
	}
	if t.pg && t.db == "" {
		t.db = "postgres"
	}
	return t, nil
}

// open returns the connection pool of a target.
func (s *RDSData) open(t target) (*sql.DB, error) {
	driver, dsn := "mysql", ""
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(t.cluster.Port))
	if t.pg {
		driver = "pgx"
		u := url.URL{Scheme: "postgres", User: url.UserPassword(t.user, t.pass), Host: addr, Path: "/" + t.db,
			RawQuery: "sslmode=disable&connect_timeout=10"}
		dsn = u.String()
	} else {
		cfg := mysql.NewConfig()
		cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = t.user, t.pass, "tcp", addr, t.db
		// Statements with parameters are sent as text, so every value
		// comes back in the text protocol and is typed by its column.
		cfg.InterpolateParams = true
		cfg.Timeout = 10 * time.Second
		dsn = cfg.FormatDSN()
	}
	key := driver + " " + dsn
	s.mu.Lock()
	defer s.mu.Unlock()
	if db, ok := s.dbs[key]; ok {
		return db, nil
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxIdleConns(2)
	db.SetConnMaxIdleTime(time.Minute)
	s.dbs[key] = db
	return db, nil
}

// dbError is a database's refusal in the Data API's words.
func dbError(err error) error {
	var my *mysql.MySQLError
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &my):
		return rdsdataapi.ErrDatabaseErrorException.New("Database error code: %d. Message: %s", my.Number, my.Message)
	case errors.As(err, &pe):
		return rdsdataapi.ErrDatabaseErrorException.New("ERROR: %s\n  Position: %d; SQLState: %s", pe.Message, pe.Position, pe.Code)
	case errors.Is(err, context.DeadlineExceeded):
		return rdsdataapi.ErrStatementTimeoutException.New("Request timed out")
	}
	var ae interface{ ErrorCode() string }
	if errors.As(err, &ae) {
		return err
	}
	return rdsdataapi.ErrDatabaseErrorException.New("Communications link failure: %v", err)
}

// execer is a pool or a transaction.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// returnsRows reports whether a statement answers rows: queries, and
// PostgreSQL statements with RETURNING.
func returnsRows(stmt string) bool {
	f := strings.Fields(strings.ToUpper(stmt))
	if len(f) == 0 {
		return false
	}
	switch strings.TrimLeft(f[0], "(") {
	case "SELECT", "WITH", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "VALUES", "TABLE":
		return true
	}
	for _, w := range f {
		if w == "RETURNING" {
			return true
		}
	}
	return false
}

func (s *RDSData) now() time.Time { return s.clock.Now() }

// useTxn finds an open transaction (rolling back those that expired on
// niwa's clock) and marks it busy.
func (s *RDSData) useTxn(id, resource string) (*txn, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for k, t := range s.txns {
		if !t.busy && (now.Sub(t.used) > txnIdle || now.Sub(t.started) > txnMaxAge) {
			_ = t.tx.Rollback()
			delete(s.txns, k)
		}
	}
	t, ok := s.txns[id]
	if !ok || t.resource != resource {
		return nil, rdsdataapi.ErrTransactionNotFoundException.New("Transaction %s is not found", id)
	}
	if t.busy {
		return nil, rdsdataapi.ErrDatabaseErrorException.New("Transaction is still running a query")
	}
	t.busy = true
	return t, nil
}

func (s *RDSData) release(t *txn) {
	s.mu.Lock()
	t.busy, t.used = false, s.now()
	s.mu.Unlock()
}

// run executes one statement with its parameters.
func (s *RDSData) run(ctx *request.Context, ex execer, pg bool, stmt string, params []rdsdataapi.SqlParameter, meta bool, format string) (*rdsdataapi.ExecuteStatementOutput, error) {
	q, args, err := bind(stmt, params, pg)
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, statementWait)
	defer cancel()
	out := &rdsdataapi.ExecuteStatementOutput{NumberOfRecordsUpdated: ptr.To(int64(0))}
	if !returnsRows(q) {
		res, err := ex.ExecContext(cctx, q, args...)
		if err != nil {
			return nil, dbError(err)
		}
		n, _ := res.RowsAffected()
		out.NumberOfRecordsUpdated = ptr.To(n)
		out.GeneratedFields = []rdsdataapi.Field{}
		if !pg {
			if id, err := res.LastInsertId(); err == nil && id != 0 {
				out.GeneratedFields = append(out.GeneratedFields, rdsdataapi.Field{LongValue: ptr.To(id)})
			}
		}
		return out, nil
	}
	rows, err := ex.QueryContext(cctx, q, args...)
	if err != nil {
		return nil, dbError(err)
	}
	defer func() { _ = rows.Close() }()
	cols, err := rows.ColumnTypes()
	if err != nil {
		return nil, dbError(err)
	}
	var records [][]rdsdataapi.Field
	var objects []map[string]any
	size := 0
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, dbError(err)
		}
		row := make([]rdsdataapi.Field, len(cols))
		obj := map[string]any{}
		rowSize := 0
		for i, c := range cols {
			f, j, n := field(c.DatabaseTypeName(), vals[i], pg)
			row[i] = f
			obj[c.Name()] = j
			rowSize += n
		}
		if rowSize > maxRow {
			return nil, rdsdataapi.ErrDatabaseErrorException.New("Packet for query is too large")
		}
		if size += rowSize; size > maxResponse {
			return nil, rdsdataapi.ErrDatabaseErrorException.New("Database returned more than the allowed response size limit")
		}
		records = append(records, row)
		objects = append(objects, obj)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(err)
	}
	if strings.EqualFold(format, "JSON") {
		if objects == nil {
			objects = []map[string]any{}
		}
		b, err := json.Marshal(objects)
		if err != nil {
			return nil, err
		}
		out.FormattedRecords = ptr.To(string(b))
	} else {
		if records == nil {
			records = [][]rdsdataapi.Field{}
		}
		out.Records = records
	}
	if meta {
		out.ColumnMetadata = []rdsdataapi.ColumnMetadata{}
		for _, c := range cols {
			out.ColumnMetadata = append(out.ColumnMetadata, metadata(c, pg))
		}
	}
	return out, nil
}

// ExecuteStatement runs one SQL statement, in a transaction when
// transactionId names one (otherwise it commits on its own).
func (s *RDSData) ExecuteStatement(ctx *request.Context, in *rdsdataapi.ExecuteStatementInput) (*rdsdataapi.ExecuteStatementOutput, error) {
	stmt := ptr.Deref(in.Sql)
	if len(stmt) > maxSQL {
		return nil, badRequest("SQL statement is longer than %d characters.", maxSQL)
	}
	if strings.TrimSpace(stmt) == "" {
		return nil, badRequest("SQL statement must not be empty.")
	}
	if f := ptr.Deref(in.FormatRecordsAs); f != "" && f != "NONE" && f != "JSON" {
		return nil, badRequest("Invalid formatRecordsAs: %s", f)
	}
	if ptr.Deref(in.Schema) != "" {
		return nil, badRequest("The schema parameter isn't supported.")
	}
	t, err := s.resolve(ctx, ptr.Deref(in.ResourceArn), ptr.Deref(in.SecretArn), ptr.Deref(in.Database))
	if err != nil {
		return nil, err
	}
	if id := ptr.Deref(in.TransactionId); id != "" {
		tx, err := s.useTxn(id, ptr.Deref(in.ResourceArn))
		if err != nil {
			return nil, err
		}
		defer s.release(tx)
		return s.run(ctx, tx.tx, tx.pg, stmt, in.Parameters, ptr.Deref(in.IncludeResultMetadata), ptr.Deref(in.FormatRecordsAs))
	}
	db, err := s.open(t)
	if err != nil {
		return nil, dbError(err)
	}
	return s.run(ctx, db, t.pg, stmt, in.Parameters, ptr.Deref(in.IncludeResultMetadata), ptr.Deref(in.FormatRecordsAs))
}

// BatchExecuteStatement runs one statement once per parameter set, all
// in one transaction (the caller's, or its own).
func (s *RDSData) BatchExecuteStatement(ctx *request.Context, in *rdsdataapi.BatchExecuteStatementInput) (*rdsdataapi.BatchExecuteStatementOutput, error) {
	stmt := ptr.Deref(in.Sql)
	if len(stmt) > maxSQL || strings.TrimSpace(stmt) == "" {
		return nil, badRequest("SQL statement must be between 1 and %d characters.", maxSQL)
	}
	if len(in.ParameterSets) > 1000 {
		return nil, badRequest("Too many parameter sets: at most 1000.")
	}
	t, err := s.resolve(ctx, ptr.Deref(in.ResourceArn), ptr.Deref(in.SecretArn), ptr.Deref(in.Database))
	if err != nil {
		return nil, err
	}
	sets := in.ParameterSets
	if len(sets) == 0 {
		sets = [][]rdsdataapi.SqlParameter{nil}
	}
	var ex execer
	var own *sql.Tx
	pg := t.pg
	if id := ptr.Deref(in.TransactionId); id != "" {
		tx, err := s.useTxn(id, ptr.Deref(in.ResourceArn))
		if err != nil {
			return nil, err
		}
		defer s.release(tx)
		ex, pg = tx.tx, tx.pg
	} else {
		db, err := s.open(t)
		if err != nil {
			return nil, dbError(err)
		}
		if own, err = db.BeginTx(ctx, nil); err != nil {
			return nil, dbError(err)
		}
		ex = own
	}
	out := &rdsdataapi.BatchExecuteStatementOutput{UpdateResults: []rdsdataapi.UpdateResult{}}
	for _, ps := range sets {
		r, err := s.run(ctx, ex, pg, stmt, ps, false, "")
		if err != nil {
			if own != nil {
				_ = own.Rollback()
			}
			return nil, err
		}
		gf := r.GeneratedFields
		if gf == nil {
			gf = []rdsdataapi.Field{}
		}
		out.UpdateResults = append(out.UpdateResults, rdsdataapi.UpdateResult{GeneratedFields: gf})
	}
	if own != nil {
		if err := own.Commit(); err != nil {
			return nil, dbError(err)
		}
	}
	return out, nil
}

// BeginTransaction opens a transaction on a connection of its own.
func (s *RDSData) BeginTransaction(ctx *request.Context, in *rdsdataapi.BeginTransactionInput) (*rdsdataapi.BeginTransactionOutput, error) {
	if ptr.Deref(in.Schema) != "" {
		return nil, badRequest("The schema parameter isn't supported.")
	}
	t, err := s.resolve(ctx, ptr.Deref(in.ResourceArn), ptr.Deref(in.SecretArn), ptr.Deref(in.Database))
	if err != nil {
		return nil, err
	}
	db, err := s.open(t)
	if err != nil {
		return nil, dbError(err)
	}
	// The transaction outlives this request: it ends with Commit,
	// Rollback or its expiry, not with the request's context.
	tx, err := db.BeginTx(context.Background(), nil)
	if err != nil {
		return nil, dbError(err)
	}
	id := awsid.Base64(108) // 144 characters, as AWS's transaction ids
	s.mu.Lock()
	s.txns[id] = &txn{resource: ptr.Deref(in.ResourceArn), secret: ptr.Deref(in.SecretArn), tx: tx, pg: t.pg, started: s.now(), used: s.now()}
	s.mu.Unlock()
	return &rdsdataapi.BeginTransactionOutput{TransactionId: ptr.To(id)}, nil
}

func (s *RDSData) endTxn(ctx *request.Context, resource, secret, id string, commit bool) (string, error) {
	if _, err := s.resolve(ctx, resource, secret, ""); err != nil {
		return "", err
	}
	t, err := s.useTxn(id, resource)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	delete(s.txns, id)
	s.mu.Unlock()
	if commit {
		if err := t.tx.Commit(); err != nil {
			return "", dbError(err)
		}
		return "Transaction Committed", nil
	}
	if err := t.tx.Rollback(); err != nil {
		return "", dbError(err)
	}
	return "Rollback Complete", nil
}

// CommitTransaction commits and ends a transaction.
func (s *RDSData) CommitTransaction(ctx *request.Context, in *rdsdataapi.CommitTransactionInput) (*rdsdataapi.CommitTransactionOutput, error) {
	st, err := s.endTxn(ctx, ptr.Deref(in.ResourceArn), ptr.Deref(in.SecretArn), ptr.Deref(in.TransactionId), true)
	if err != nil {
		return nil, err
	}
	return &rdsdataapi.CommitTransactionOutput{TransactionStatus: ptr.To(st)}, nil
}

// RollbackTransaction rolls back and ends a transaction.
func (s *RDSData) RollbackTransaction(ctx *request.Context, in *rdsdataapi.RollbackTransactionInput) (*rdsdataapi.RollbackTransactionOutput, error) {
	st, err := s.endTxn(ctx, ptr.Deref(in.ResourceArn), ptr.Deref(in.SecretArn), ptr.Deref(in.TransactionId), false)
	if err != nil {
		return nil, err
	}
	return &rdsdataapi.RollbackTransactionOutput{TransactionStatus: ptr.To(st)}, nil
}
