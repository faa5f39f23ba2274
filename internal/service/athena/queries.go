package athena

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	athenaapi "github.com/niwa-cloud/niwa/internal/api/athena"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/sqlengine"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// execRecord is a stored query execution.
type execRecord struct {
	ID, Query, WorkGroup string
	StatementType        string // DDL, DML, UTILITY
	SubstatementType     string
	Database, Catalog    string
	// Output is the result file's URL ("" when there is none).
	Output              string
	OutputLocation      string // as configured
	ExpectedBucketOwner string
	Encryption          *athenaapi.EncryptionConfiguration
	EngineSelected      string
	Params              []string
	State, Reason       string
	ErrCategory         int32
	ErrType             int32
	Submitted           time.Time
	Started, Completed  time.Time
	Scanned             int64
	EngineMillis        int64
	UpdateCount         int64
	HasUpdateCount      bool
}

// resultRecord is a finished query's result, kept for GetQueryResults.
type resultRecord struct {
	Columns []sqlengine.Column
	// Header: the first row of the result set is the column names
	// (SELECT), as Athena answers.
	Header bool
	Rows   [][]*string
}

// The states of a query execution.
const (
	stateQueued    = "QUEUED"
	stateRunning   = "RUNNING"
	stateSucceeded = "SUCCEEDED"
	stateFailed    = "FAILED"
	stateCancelled = "CANCELLED"
)

func finished(state string) bool {
	return state == stateSucceeded || state == stateFailed || state == stateCancelled
}

func queryNotFound(id string) error {
	return athenaapi.ErrInvalidRequestException.New("QueryExecution %s was not found", id).With("AthenaErrorCode", "INVALID_INPUT")
}

// StartQueryExecution queues a query; it runs in the background.
func (a *Athena) StartQueryExecution(ctx *request.Context, in *athenaapi.StartQueryExecutionInput) (*athenaapi.StartQueryExecutionOutput, error) {
	sc := scope(ctx)
	wgName := ptr.Deref(in.WorkGroup)
	if wgName == "" {
		wgName = primary
	}
	now := ctx.Now().UTC()
	rec := execRecord{ID: awsid.UUID(), Query: ptr.Deref(in.QueryString), WorkGroup: wgName, Database: "default",
		Catalog: "AwsDataCatalog", Params: in.ExecutionParameters, State: stateQueued, Submitted: now}
	if c := in.QueryExecutionContext; c != nil {
		if c.Database != nil {
			rec.Database = *c.Database
		}
		if c.Catalog != nil {
			rec.Catalog = *c.Catalog
		}
	}
	var cutoff int64
	var existing string
	err := a.store.Update(func(tx storage.Tx) error {
		w, err := getWorkgroup(tx, sc, wgName)
		if err != nil {
			return err
		}
		if ptr.Deref(w.WorkGroup.State) == "DISABLED" {
			return athenaapi.ErrInvalidRequestException.New("WorkGroup %s is disabled.", wgName).With("AthenaErrorCode", "INVALID_INPUT")
		}
		if tok := ptr.Deref(in.ClientRequestToken); tok != "" {
			id, ok, err := requestTokens.Get(tx, sc, "query", tok)
			if err != nil {
				return err
			}
			if ok {
				existing = id
				return nil
			}
			if err := requestTokens.Put(tx, sc, rec.ID, "query", tok); err != nil {
				return err
			}
		}
		cfg := w.WorkGroup.Configuration
		var wrc *athenaapi.ResultConfiguration
		enforce := false
		if cfg != nil {
			wrc = cfg.ResultConfiguration
			enforce = ptr.Deref(cfg.EnforceWorkGroupConfiguration)
			cutoff = ptr.Deref(cfg.BytesScannedCutoffPerQuery)
			if cfg.EngineVersion != nil {
				rec.EngineSelected = ptr.Deref(cfg.EngineVersion.SelectedEngineVersion)
			}
		}
		rc := in.ResultConfiguration
		if err := checkOutputLocation(rc); err != nil {
			return err
		}
		pick := func(f func(*athenaapi.ResultConfiguration) *string) string {
			if !enforce && rc != nil && f(rc) != nil {
				return *f(rc)
			}
			if wrc != nil && f(wrc) != nil {
				return *f(wrc)
			}
			if rc != nil && f(rc) != nil {
				return *f(rc)
			}
			return ""
		}
		rec.OutputLocation = pick(func(r *athenaapi.ResultConfiguration) *string { return r.OutputLocation })
		rec.ExpectedBucketOwner = pick(func(r *athenaapi.ResultConfiguration) *string { return r.ExpectedBucketOwner })
		if rc != nil && !enforce {
			rec.Encryption = rc.EncryptionConfiguration
		} else if wrc != nil {
			rec.Encryption = wrc.EncryptionConfiguration
		}
		if rec.OutputLocation == "" {
			return athenaapi.ErrInvalidRequestException.New("No output location provided. An output location is required either through the Workgroup result configuration setting or as an API input.").With("AthenaErrorCode", "INVALID_INPUT")
		}
		rec.StatementType, rec.SubstatementType = classify(rec.Query)
		return executions.Put(tx, sc, rec, rec.ID)
	})
	if err != nil {
		return nil, err
	}
	if existing != "" {
		return &athenaapi.StartQueryExecutionOutput{QueryExecutionId: &existing}, nil
	}
	a.launch(ctx, rec, cutoff)
	return &athenaapi.StartQueryExecutionOutput{QueryExecutionId: ptr.To(rec.ID)}, nil
}

// launch runs rec in the background, as the caller of ctx.
func (a *Athena) launch(ctx *request.Context, rec execRecord, cutoff int64) {
	runCtx, cancel := context.WithTimeout(context.Background(), a.opts.QueryTimeout)
	// The query acts as the caller after the request has been answered:
	// a copy of its context, on a context of its own.
	rc := *ctx
	rc.Context = runCtx
	// Its Glue and S3 calls are made through Athena (forward access
	// sessions): aws:CalledVia names athena.amazonaws.com.
	rc.CalledVia = append(append([]string{}, ctx.CalledVia...), "athena.amazonaws.com")
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		cancel()
		return
	}
	a.running[rec.ID] = cancel
	a.wg.Add(1)
	a.mu.Unlock()
	go func() {
		defer a.wg.Done()
		defer func() {
			a.mu.Lock()
			delete(a.running, rec.ID)
			a.mu.Unlock()
			cancel()
		}()
		a.execute(&rc, rec, cutoff)
	}()
}

// setState moves a stored execution along, unless it finished already
// (a cancelled query stays cancelled).
func (a *Athena) setState(sc storage.Scope, id string, f func(r *execRecord)) (execRecord, error) {
	var out execRecord
	err := a.store.Update(func(tx storage.Tx) error {
		r, ok, err := executions.Get(tx, sc, id)
		if err != nil || !ok {
			return err
		}
		if finished(r.State) {
			out = r
			return nil
		}
		f(&r)
		out = r
		return executions.Put(tx, sc, r, id)
	})
	return out, err
}

// execute runs a query and records how it ended.
func (a *Athena) execute(ctx *request.Context, rec execRecord, cutoff int64) {
	sc := scope(ctx)
	select {
	case a.slots <- struct{}{}:
		defer func() { <-a.slots }()
	case <-ctx.Done():
		// Stopped while QUEUED (StopQueryExecution recorded it), or out
		// of time waiting.
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			now := a.clock.Now().UTC()
			if _, err := a.setState(sc, rec.ID, func(r *execRecord) {
				r.State, r.Reason, r.ErrCategory, r.ErrType, r.Completed = stateFailed, "Query timeout", 1, 206, now
			}); err != nil {
				a.opts.Log.Error("athena: recording a query's end", "id", rec.ID, "err", err)
			}
		}
		return
	}
	start := a.clock.Now().UTC()
	if r, err := a.setState(sc, rec.ID, func(r *execRecord) { r.State, r.Started = stateRunning, start }); err != nil || r.State != stateRunning {
		return
	}
	run := &run{a: a, ctx: ctx, rec: &rec, cutoff: cutoff}
	defer run.cleanup()
	res, err := run.statement()
	if err == nil && ctx.Err() != nil {
		err = ctx.Err() // stopped or timed out: no result is written
	}
	end := a.clock.Now().UTC()
	if err == nil && res != nil {
		err = a.store.Update(func(tx storage.Tx) error { return results.Put(tx, sc, *res, rec.ID) })
	}
	if err == nil {
		err = run.writeResult(res)
	}
	_, serr := a.setState(sc, rec.ID, func(r *execRecord) {
		r.Completed = end
		r.Scanned = run.scanned
		r.EngineMillis = end.Sub(start).Milliseconds()
		r.Output = rec.Output
		r.StatementType, r.SubstatementType = rec.StatementType, rec.SubstatementType
		r.UpdateCount, r.HasUpdateCount = rec.UpdateCount, rec.HasUpdateCount
		if err != nil {
			r.State = stateFailed
			var fe *failure
			if errors.Is(err, context.Canceled) {
				r.State, r.Reason, r.ErrCategory, r.ErrType = stateCancelled, "Query cancelled by user", 2, 1011
			} else if errors.Is(err, context.DeadlineExceeded) {
				r.Reason, r.ErrCategory, r.ErrType = "Query timeout", 1, 206
			} else if errors.As(err, &fe) {
				r.Reason, r.ErrCategory, r.ErrType = fe.msg, fe.category, fe.typ
			} else {
				r.Reason, r.ErrCategory, r.ErrType = err.Error(), 1, 100
			}
			return
		}
		r.State = stateSucceeded
	})
	if serr != nil {
		a.opts.Log.Error("athena: recording a query's end", "id", rec.ID, "err", serr)
	}
}

// failure is why a query failed, as AthenaError says it.
type failure struct {
	msg      string
	category int32
	typ      int32
}

func (f *failure) Error() string { return f.msg }

// userError is a failure caused by the statement or the data.
func userError(typ int32, msg string) error { return &failure{msg: msg, category: 2, typ: typ} }

// toAPI is the execution as GetQueryExecution answers it.
func (r execRecord) toAPI() athenaapi.QueryExecution {
	qe := athenaapi.QueryExecution{QueryExecutionId: ptr.To(r.ID), Query: ptr.To(r.Query), StatementType: ptr.To(r.StatementType),
		WorkGroup: ptr.To(r.WorkGroup), EngineVersion: engineVersion(ptr.To(r.EngineSelected)),
		QueryExecutionContext: &athenaapi.QueryExecutionContext{Database: ptr.To(r.Database), Catalog: ptr.To(r.Catalog)},
		ResultConfiguration:   &athenaapi.ResultConfiguration{EncryptionConfiguration: r.Encryption},
		ExecutionParameters:   r.Params,
		Status:                &athenaapi.QueryExecutionStatus{State: ptr.To(r.State), SubmissionDateTime: ptr.To(r.Submitted)},
		ResultReuseConfiguration: &athenaapi.ResultReuseConfiguration{
			ResultReuseByAgeConfiguration: &athenaapi.ResultReuseByAgeConfiguration{Enabled: ptr.To(false)}},
	}
	if r.SubstatementType != "" {
		qe.SubstatementType = ptr.To(r.SubstatementType)
	}
	if r.Output != "" {
		qe.ResultConfiguration.OutputLocation = ptr.To(r.Output)
	}
	if r.ExpectedBucketOwner != "" {
		qe.ResultConfiguration.ExpectedBucketOwner = ptr.To(r.ExpectedBucketOwner)
	}
	stats := &athenaapi.QueryExecutionStatistics{}
	qe.Statistics = stats
	if !r.Started.IsZero() {
		stats.QueryQueueTimeInMillis = ptr.To(r.Started.Sub(r.Submitted).Milliseconds())
	}
	if finished(r.State) {
		qe.Status.CompletionDateTime = ptr.To(r.Completed)
		stats.EngineExecutionTimeInMillis = ptr.To(r.EngineMillis)
		stats.DataScannedInBytes = ptr.To(r.Scanned)
		stats.TotalExecutionTimeInMillis = ptr.To(r.Completed.Sub(r.Submitted).Milliseconds())
		stats.QueryPlanningTimeInMillis = ptr.To[int64](0)
		stats.ServicePreProcessingTimeInMillis = ptr.To[int64](0)
		stats.ServiceProcessingTimeInMillis = ptr.To[int64](0)
		stats.ResultReuseInformation = &athenaapi.ResultReuseInformation{ReusedPreviousResult: ptr.To(false)}
	}
	if r.State == stateFailed || r.State == stateCancelled {
		qe.Status.StateChangeReason = ptr.To(r.Reason)
		qe.Status.AthenaError = &athenaapi.AthenaError{ErrorCategory: ptr.To(r.ErrCategory), ErrorType: ptr.To(r.ErrType),
			Retryable: ptr.To(r.ErrCategory == 1), ErrorMessage: ptr.To(r.Reason)}
	}
	return qe
}

func (a *Athena) getExecution(ctx *request.Context, id string) (execRecord, error) {
	var r execRecord
	err := a.store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		r, ok, err = executions.Get(tx, scope(ctx), id)
		if err == nil && !ok {
			err = queryNotFound(id)
		}
		return err
	})
	return r, err
}

// GetQueryExecution describes a query execution.
func (a *Athena) GetQueryExecution(ctx *request.Context, in *athenaapi.GetQueryExecutionInput) (*athenaapi.GetQueryExecutionOutput, error) {
	r, err := a.getExecution(ctx, ptr.Deref(in.QueryExecutionId))
	if err != nil {
		return nil, err
	}
	qe := r.toAPI()
	return &athenaapi.GetQueryExecutionOutput{QueryExecution: &qe}, nil
}

// BatchGetQueryExecution describes up to 50 executions.
func (a *Athena) BatchGetQueryExecution(ctx *request.Context, in *athenaapi.BatchGetQueryExecutionInput) (*athenaapi.BatchGetQueryExecutionOutput, error) {
	out := &athenaapi.BatchGetQueryExecutionOutput{QueryExecutions: []athenaapi.QueryExecution{}, UnprocessedQueryExecutionIds: []athenaapi.UnprocessedQueryExecutionId{}}
	for _, id := range in.QueryExecutionIds {
		r, err := a.getExecution(ctx, id)
		if err != nil {
			out.UnprocessedQueryExecutionIds = append(out.UnprocessedQueryExecutionIds, athenaapi.UnprocessedQueryExecutionId{
				QueryExecutionId: ptr.To(id), ErrorCode: ptr.To("INVALID_INPUT"), ErrorMessage: ptr.To("QueryExecution " + id + " was not found")})
			continue
		}
		out.QueryExecutions = append(out.QueryExecutions, r.toAPI())
	}
	return out, nil
}

// ListQueryExecutions lists a workgroup's executions, newest first.
func (a *Athena) ListQueryExecutions(ctx *request.Context, in *athenaapi.ListQueryExecutionsInput) (*athenaapi.ListQueryExecutionsOutput, error) {
	sc := scope(ctx)
	wg := ptr.Deref(in.WorkGroup)
	if wg == "" {
		wg = primary
	}
	var all []execRecord
	err := a.store.View(func(tx storage.Tx) error {
		if _, err := getWorkgroup(tx, sc, wg); err != nil {
			return err
		}
		return executions.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, r execRecord) bool {
			if r.WorkGroup == wg {
				all = append(all, r)
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(all, func(i, j int) bool {
		if !all[i].Submitted.Equal(all[j].Submitted) {
			return all[i].Submitted.After(all[j].Submitted)
		}
		return all[i].ID < all[j].ID
	})
	start := 0
	if t := ptr.Deref(in.NextToken); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 || n > len(all) {
			return nil, athenaapi.ErrInvalidRequestException.New("Invalid NextToken").With("AthenaErrorCode", "INVALID_INPUT")
		}
		start = n
	}
	max := 50
	if in.MaxResults != nil && *in.MaxResults > 0 && int(*in.MaxResults) < max {
		max = int(*in.MaxResults)
	}
	out := &athenaapi.ListQueryExecutionsOutput{QueryExecutionIds: []string{}}
	end := min(start+max, len(all))
	for _, r := range all[start:end] {
		out.QueryExecutionIds = append(out.QueryExecutionIds, r.ID)
	}
	if end < len(all) {
		out.NextToken = ptr.To(strconv.Itoa(end))
	}
	return out, nil
}

// StopQueryExecution cancels a queued or running query.
func (a *Athena) StopQueryExecution(ctx *request.Context, in *athenaapi.StopQueryExecutionInput) (*athenaapi.StopQueryExecutionOutput, error) {
	id := ptr.Deref(in.QueryExecutionId)
	if _, err := a.getExecution(ctx, id); err != nil {
		return nil, err
	}
	now := ctx.Now().UTC()
	if _, err := a.setState(scope(ctx), id, func(r *execRecord) {
		r.State, r.Reason, r.ErrCategory, r.ErrType, r.Completed = stateCancelled, "Query cancelled by user", 2, 1011, now
	}); err != nil {
		return nil, err
	}
	a.mu.Lock()
	if cancel, ok := a.running[id]; ok {
		cancel()
	}
	a.mu.Unlock()
	return &athenaapi.StopQueryExecutionOutput{}, nil
}

// GetQueryResults pages through a finished query's result.
func (a *Athena) GetQueryResults(ctx *request.Context, in *athenaapi.GetQueryResultsInput) (*athenaapi.GetQueryResultsOutput, error) {
	id := ptr.Deref(in.QueryExecutionId)
	r, err := a.getExecution(ctx, id)
	if err != nil {
		return nil, err
	}
	switch r.State {
	case stateSucceeded:
	case stateFailed, stateCancelled:
		return nil, athenaapi.ErrInvalidRequestException.New("Query has not yet finished. Current state: %s", r.State).With("AthenaErrorCode", "INVALID_INPUT")
	default:
		return nil, athenaapi.ErrInvalidRequestException.New("Query has not yet finished. Current state: %s", r.State).With("AthenaErrorCode", "INVALID_INPUT")
	}
	// The result set is the header row (a SELECT's column names), then
	// the rows; a page decodes and builds only its own rows.
	start := 0
	if t := ptr.Deref(in.NextToken); t != "" {
		n, err := strconv.Atoi(t)
		if err != nil || n < 0 {
			return nil, athenaapi.ErrInvalidRequestException.New("Invalid NextToken").With("AthenaErrorCode", "INVALID_INPUT")
		}
		start = n
	}
	limit := 1000
	if in.MaxResults != nil && *in.MaxResults > 0 && int(*in.MaxResults) < limit {
		limit = int(*in.MaxResults)
	}
	var res resultRecord
	var header, total int
	err = a.store.View(func(tx storage.Tx) error {
		data, ok := tx.Get(results.Key(scope(ctx), id))
		if !ok {
			return nil
		}
		// The columns, the header and the row count first (the rows
		// skipped), then the page's rows.
		head, n, err := readResult(data, 0, 0)
		if err != nil {
			return fmt.Errorf("storage: table results: decode %q: %w", id, err)
		}
		if head.Header {
			header = 1
		}
		total = header + n
		if start > total {
			return nil
		}
		end := min(start+limit, total)
		res, _, err = readResult(data, max(start-header, 0), end-header)
		if err != nil {
			return fmt.Errorf("storage: table results: decode %q: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if start > total {
		return nil, athenaapi.ErrInvalidRequestException.New("Invalid NextToken").With("AthenaErrorCode", "INVALID_INPUT")
	}
	end := min(start+limit, total)
	rows := make([]athenaapi.Row, 0, end-start)
	if start < header {
		h := athenaapi.Row{Data: make([]athenaapi.Datum, len(res.Columns))}
		for i, c := range res.Columns {
			h.Data[i] = athenaapi.Datum{VarCharValue: ptr.To(c.Name)}
		}
		rows = append(rows, h)
	}
	for _, row := range res.Rows {
		d := make([]athenaapi.Datum, len(row))
		for i, v := range row {
			d[i] = athenaapi.Datum{VarCharValue: v}
		}
		rows = append(rows, athenaapi.Row{Data: d})
	}
	out := &athenaapi.GetQueryResultsOutput{ResultSet: &athenaapi.ResultSet{Rows: rows,
		ResultSetMetadata: &athenaapi.ResultSetMetadata{ColumnInfo: columnInfo(res.Columns)}}}
	if end < total {
		out.NextToken = ptr.To(strconv.Itoa(end))
	}
	if r.HasUpdateCount || r.StatementType != "DML" || r.SubstatementType == "SELECT" {
		out.UpdateCount = ptr.To(r.UpdateCount)
	}
	return out, nil
}

// columnInfo is ResultSetMetadata's description of columns.
func columnInfo(cols []sqlengine.Column) []athenaapi.ColumnInfo {
	out := make([]athenaapi.ColumnInfo, len(cols))
	for i, c := range cols {
		prec, scale := int32(0), int32(0)
		switch c.Type {
		case "varchar", "string":
			prec = 2147483647
		case "integer":
			prec = 10
		case "bigint":
			prec = 19
		case "double":
			prec = 17
		case "boolean":
			prec = 0
		case "timestamp":
			prec, scale = 3, 0
		}
		out[i] = athenaapi.ColumnInfo{CatalogName: ptr.To("hive"), SchemaName: ptr.To(""), TableName: ptr.To(""),
			Name: ptr.To(c.Name), Label: ptr.To(c.Name), Type: ptr.To(c.Type), Precision: ptr.To(prec), Scale: ptr.To(scale),
			Nullable: ptr.To("UNKNOWN"), CaseSensitive: ptr.To(c.Type == "varchar")}
	}
	return out
}
