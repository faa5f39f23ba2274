package athena

import (
	"fmt"
	"sort"
	"strings"

	athenaapi "github.com/niwa-cloud/niwa/internal/api/athena"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// bind replaces the ? placeholders of q with params, in order (Athena's
// ExecutionParameters and EXECUTE ... USING): each parameter is a SQL
// literal as written ('text', 42, DATE '2024-01-01').
func bind(q string, params []string) (string, error) {
	toks, err := lex(q, false)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	last, n := 0, 0
	for _, t := range toks {
		if t.kind != tParam {
			continue
		}
		if n >= len(params) {
			return "", fmt.Errorf("INVALID_PARAMETER_USAGE: Incorrect number of parameters: expected %d but found %d", countParams(toks), len(params))
		}
		b.WriteString(q[last:t.pos])
		b.WriteString(params[n])
		last = t.end
		n++
	}
	if n != len(params) {
		return "", fmt.Errorf("INVALID_PARAMETER_USAGE: Incorrect number of parameters: expected %d but found %d", n, len(params))
	}
	b.WriteString(q[last:])
	return b.String(), nil
}

func countParams(toks []tok) int {
	n := 0
	for _, t := range toks {
		if t.kind == tParam {
			n++
		}
	}
	return n
}

// execute runs EXECUTE name [USING v, ...] with a prepared statement of
// the query's workgroup.
func (r *run) execute(p *parser) (*resultRecord, error) {
	p.i++ // EXECUTE
	name, err := p.ident()
	if err != nil {
		return nil, userError(1006, err.Error())
	}
	var params []string
	if p.accept("using") {
		for {
			start := p.peek()
			depth := 0
			for !p.done() {
				t := p.peek()
				if depth == 0 && t.val == "," && t.kind == tSymbol {
					break
				}
				if t.val == "(" {
					depth++
				} else if t.val == ")" {
					depth--
				}
				p.i++
			}
			end := len(p.src)
			if p.i < len(p.toks) {
				end = p.toks[p.i].pos
			}
			params = append(params, strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(p.src[start.pos:end]), ";")))
			if !p.accept(",") {
				break
			}
		}
	}
	var ps athenaapi.PreparedStatement
	var ok bool
	err = r.a.store.View(func(tx storage.Tx) error {
		ps, ok, err = prepared.Get(tx, scope(r.ctx), r.rec.WorkGroup, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, userError(1301, fmt.Sprintf("NOT_FOUND: Prepared statement not found: %s", name))
	}
	q, err := bind(ptr.Deref(ps.QueryStatement), params)
	if err != nil {
		return nil, userError(1100, err.Error())
	}
	toks, err := lex(q, true)
	if err != nil || len(toks) == 0 {
		return nil, userError(1006, fmt.Sprintf("prepared statement %s does not parse", name))
	}
	if !(toks[0].is("select") || toks[0].is("with") || toks[0].is("values") || toks[0].val == "(") {
		return nil, userError(1200, "NOT_SUPPORTED: niwa's Athena executes prepared SELECT statements")
	}
	res, err := r.query(q, toks)
	if err != nil {
		return nil, err
	}
	r.rec.StatementType, r.rec.SubstatementType = "DML", "SELECT"
	return &resultRecord{Columns: res.Columns, Header: true, Rows: res.Rows}, nil
}

// prepare runs PREPARE name FROM statement and DEALLOCATE PREPARE name.
func (r *run) prepare(p *parser) (*resultRecord, error) {
	sc := scope(r.ctx)
	if p.accept("deallocate", "prepare") {
		name, err := p.ident()
		if err != nil {
			return nil, userError(1006, err.Error())
		}
		err = r.a.store.Update(func(tx storage.Tx) error {
			ok, err := prepared.DeleteExisting(tx, sc, r.rec.WorkGroup, name)
			if err == nil && !ok {
				err = userError(1301, fmt.Sprintf("NOT_FOUND: Prepared statement not found: %s", name))
			}
			return err
		})
		return &resultRecord{}, err
	}
	p.i++ // PREPARE
	name, err := p.ident()
	if err != nil {
		return nil, userError(1006, err.Error())
	}
	if err := p.expect("from"); err != nil {
		return nil, userError(1006, err.Error())
	}
	if p.i >= len(p.toks) {
		return nil, userError(1006, "line 1:1: mismatched input '<EOF>'. Expecting: <statement>")
	}
	body := strings.TrimSpace(p.src[p.toks[p.i].pos:])
	ps := athenaapi.PreparedStatement{StatementName: ptr.To(name), QueryStatement: ptr.To(body), WorkGroupName: ptr.To(r.rec.WorkGroup),
		LastModifiedTime: ptr.To(r.a.clock.Now().UTC())}
	return &resultRecord{}, r.a.store.Update(func(tx storage.Tx) error { return prepared.Put(tx, sc, ps, r.rec.WorkGroup, name) })
}

// CreateNamedQuery saves a query.
func (a *Athena) CreateNamedQuery(ctx *request.Context, in *athenaapi.CreateNamedQueryInput) (*athenaapi.CreateNamedQueryOutput, error) {
	sc := scope(ctx)
	wg := ptr.Deref(in.WorkGroup)
	if wg == "" {
		wg = primary
	}
	nq := athenaapi.NamedQuery{NamedQueryId: ptr.To(awsid.UUID()), Name: in.Name, Description: in.Description, Database: in.Database,
		QueryString: in.QueryString, WorkGroup: &wg}
	var existing string
	err := a.store.Update(func(tx storage.Tx) error {
		if _, err := getWorkgroup(tx, sc, wg); err != nil {
			return err
		}
		if tok := ptr.Deref(in.ClientRequestToken); tok != "" {
			id, ok, err := requestTokens.Get(tx, sc, "named", tok)
			if err != nil {
				return err
			}
			if ok {
				existing = id
				return nil
			}
			if err := requestTokens.Put(tx, sc, *nq.NamedQueryId, "named", tok); err != nil {
				return err
			}
		}
		return namedQueries.Put(tx, sc, nq, *nq.NamedQueryId)
	})
	if err != nil {
		return nil, err
	}
	if existing != "" {
		return &athenaapi.CreateNamedQueryOutput{NamedQueryId: &existing}, nil
	}
	return &athenaapi.CreateNamedQueryOutput{NamedQueryId: nq.NamedQueryId}, nil
}

func namedNotFound(id string) error {
	return athenaapi.ErrInvalidRequestException.New("NamedQuery %s was not found", id).With("AthenaErrorCode", "INVALID_INPUT")
}

// GetNamedQuery describes a saved query.
func (a *Athena) GetNamedQuery(ctx *request.Context, in *athenaapi.GetNamedQueryInput) (*athenaapi.GetNamedQueryOutput, error) {
	var nq athenaapi.NamedQuery
	err := a.store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		nq, ok, err = namedQueries.Get(tx, scope(ctx), ptr.Deref(in.NamedQueryId))
		if err == nil && !ok {
			err = namedNotFound(ptr.Deref(in.NamedQueryId))
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &athenaapi.GetNamedQueryOutput{NamedQuery: &nq}, nil
}

// BatchGetNamedQuery describes up to 50 saved queries.
func (a *Athena) BatchGetNamedQuery(ctx *request.Context, in *athenaapi.BatchGetNamedQueryInput) (*athenaapi.BatchGetNamedQueryOutput, error) {
	out := &athenaapi.BatchGetNamedQueryOutput{NamedQueries: []athenaapi.NamedQuery{}, UnprocessedNamedQueryIds: []athenaapi.UnprocessedNamedQueryId{}}
	err := a.store.View(func(tx storage.Tx) error {
		for _, id := range in.NamedQueryIds {
			nq, ok, err := namedQueries.Get(tx, scope(ctx), id)
			if err != nil {
				return err
			}
			if !ok {
				out.UnprocessedNamedQueryIds = append(out.UnprocessedNamedQueryIds, athenaapi.UnprocessedNamedQueryId{
					NamedQueryId: ptr.To(id), ErrorCode: ptr.To("INVALID_INPUT"), ErrorMessage: ptr.To("NamedQuery " + id + " was not found")})
				continue
			}
			out.NamedQueries = append(out.NamedQueries, nq)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListNamedQueries lists a workgroup's saved queries.
func (a *Athena) ListNamedQueries(ctx *request.Context, in *athenaapi.ListNamedQueriesInput) (*athenaapi.ListNamedQueriesOutput, error) {
	sc := scope(ctx)
	wg := ptr.Deref(in.WorkGroup)
	if wg == "" {
		wg = primary
	}
	var ids []string
	err := a.store.View(func(tx storage.Tx) error {
		if _, err := getWorkgroup(tx, sc, wg); err != nil {
			return err
		}
		return namedQueries.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, nq athenaapi.NamedQuery) bool {
			if ptr.Deref(nq.WorkGroup) == wg {
				ids = append(ids, ptr.Deref(nq.NamedQueryId))
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(ids)
	list, next := pageStrings(ids, in.NextToken, in.MaxResults, 50)
	return &athenaapi.ListNamedQueriesOutput{NamedQueryIds: append([]string{}, list...), NextToken: next}, nil
}

// DeleteNamedQuery deletes a saved query.
func (a *Athena) DeleteNamedQuery(ctx *request.Context, in *athenaapi.DeleteNamedQueryInput) (*athenaapi.DeleteNamedQueryOutput, error) {
	err := a.store.Update(func(tx storage.Tx) error {
		ok, err := namedQueries.DeleteExisting(tx, scope(ctx), ptr.Deref(in.NamedQueryId))
		if err == nil && !ok {
			err = namedNotFound(ptr.Deref(in.NamedQueryId))
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &athenaapi.DeleteNamedQueryOutput{}, nil
}

func preparedNotFound(name string) error {
	return athenaapi.ErrResourceNotFoundException.New("Prepared statement %s was not found", name)
}

// CreatePreparedStatement saves a statement with ? parameters.
func (a *Athena) CreatePreparedStatement(ctx *request.Context, in *athenaapi.CreatePreparedStatementInput) (*athenaapi.CreatePreparedStatementOutput, error) {
	sc := scope(ctx)
	wg, name := ptr.Deref(in.WorkGroup), ptr.Deref(in.StatementName)
	ps := athenaapi.PreparedStatement{StatementName: &name, QueryStatement: in.QueryStatement, WorkGroupName: &wg,
		Description: in.Description, LastModifiedTime: ptr.To(ctx.Now().UTC())}
	err := a.store.Update(func(tx storage.Tx) error {
		if _, err := getWorkgroup(tx, sc, wg); err != nil {
			return err
		}
		if _, ok, err := prepared.Get(tx, sc, wg, name); err != nil {
			return err
		} else if ok {
			return athenaapi.ErrInvalidRequestException.New("Prepared statement %s already exists in WorkGroup %s", name, wg).With("AthenaErrorCode", "INVALID_INPUT")
		}
		return prepared.Put(tx, sc, ps, wg, name)
	})
	if err != nil {
		return nil, err
	}
	return &athenaapi.CreatePreparedStatementOutput{}, nil
}

// UpdatePreparedStatement replaces a statement.
func (a *Athena) UpdatePreparedStatement(ctx *request.Context, in *athenaapi.UpdatePreparedStatementInput) (*athenaapi.UpdatePreparedStatementOutput, error) {
	sc := scope(ctx)
	wg, name := ptr.Deref(in.WorkGroup), ptr.Deref(in.StatementName)
	err := a.store.Update(func(tx storage.Tx) error {
		ps, ok, err := prepared.Get(tx, sc, wg, name)
		if err != nil {
			return err
		}
		if !ok {
			return preparedNotFound(name)
		}
		ps.QueryStatement, ps.Description, ps.LastModifiedTime = in.QueryStatement, in.Description, ptr.To(ctx.Now().UTC())
		return prepared.Put(tx, sc, ps, wg, name)
	})
	if err != nil {
		return nil, err
	}
	return &athenaapi.UpdatePreparedStatementOutput{}, nil
}

// GetPreparedStatement describes a statement.
func (a *Athena) GetPreparedStatement(ctx *request.Context, in *athenaapi.GetPreparedStatementInput) (*athenaapi.GetPreparedStatementOutput, error) {
	var ps athenaapi.PreparedStatement
	err := a.store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		ps, ok, err = prepared.Get(tx, scope(ctx), ptr.Deref(in.WorkGroup), ptr.Deref(in.StatementName))
		if err == nil && !ok {
			err = preparedNotFound(ptr.Deref(in.StatementName))
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &athenaapi.GetPreparedStatementOutput{PreparedStatement: &ps}, nil
}

// BatchGetPreparedStatement describes up to 256 statements.
func (a *Athena) BatchGetPreparedStatement(ctx *request.Context, in *athenaapi.BatchGetPreparedStatementInput) (*athenaapi.BatchGetPreparedStatementOutput, error) {
	out := &athenaapi.BatchGetPreparedStatementOutput{PreparedStatements: []athenaapi.PreparedStatement{},
		UnprocessedPreparedStatementNames: []athenaapi.UnprocessedPreparedStatementName{}}
	err := a.store.View(func(tx storage.Tx) error {
		for _, n := range in.PreparedStatementNames {
			ps, ok, err := prepared.Get(tx, scope(ctx), ptr.Deref(in.WorkGroup), n)
			if err != nil {
				return err
			}
			if !ok {
				out.UnprocessedPreparedStatementNames = append(out.UnprocessedPreparedStatementNames, athenaapi.UnprocessedPreparedStatementName{
					StatementName: ptr.To(n), ErrorCode: ptr.To("INVALID_INPUT"), ErrorMessage: ptr.To("Prepared statement " + n + " was not found")})
				continue
			}
			out.PreparedStatements = append(out.PreparedStatements, ps)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListPreparedStatements lists a workgroup's statements.
func (a *Athena) ListPreparedStatements(ctx *request.Context, in *athenaapi.ListPreparedStatementsInput) (*athenaapi.ListPreparedStatementsOutput, error) {
	sc := scope(ctx)
	wg := ptr.Deref(in.WorkGroup)
	byName := map[string]athenaapi.PreparedStatement{}
	var names []string
	err := a.store.View(func(tx storage.Tx) error {
		if _, err := getWorkgroup(tx, sc, wg); err != nil {
			return err
		}
		return prepared.List(tx, sc, []string{wg}, storage.ListOptions{}, func(_ []string, ps athenaapi.PreparedStatement) bool {
			n := ptr.Deref(ps.StatementName)
			byName[n] = ps
			names = append(names, n)
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	list, next := pageStrings(names, in.NextToken, in.MaxResults, 50)
	out := &athenaapi.ListPreparedStatementsOutput{PreparedStatements: []athenaapi.PreparedStatementSummary{}, NextToken: next}
	for _, n := range list {
		out.PreparedStatements = append(out.PreparedStatements, athenaapi.PreparedStatementSummary{StatementName: ptr.To(n),
			LastModifiedTime: byName[n].LastModifiedTime})
	}
	return out, nil
}

// DeletePreparedStatement deletes a statement.
func (a *Athena) DeletePreparedStatement(ctx *request.Context, in *athenaapi.DeletePreparedStatementInput) (*athenaapi.DeletePreparedStatementOutput, error) {
	err := a.store.Update(func(tx storage.Tx) error {
		ok, err := prepared.DeleteExisting(tx, scope(ctx), ptr.Deref(in.WorkGroup), ptr.Deref(in.StatementName))
		if err == nil && !ok {
			err = preparedNotFound(ptr.Deref(in.StatementName))
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &athenaapi.DeletePreparedStatementOutput{}, nil
}
