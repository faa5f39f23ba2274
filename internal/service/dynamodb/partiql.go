package dynamodb

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// pqRender writes PartiQL trees as DynamoDB expressions with placeholder
// names (#pN) and values (:pN), so no attribute name can clash with a
// reserved word.
type pqRender struct {
	names  map[string]string
	byName map[string]string
	values Item
}

func newRender() *pqRender {
	return &pqRender{names: map[string]string{}, byName: map[string]string{}, values: Item{}}
}

func (r *pqRender) name(n string) string {
	if k, ok := r.byName[n]; ok {
		return k
	}
	k := "#p" + strconv.Itoa(len(r.names))
	r.names[k], r.byName[n] = n, k
	return k
}

func (r *pqRender) value(v AV) string {
	k := ":p" + strconv.Itoa(len(r.values))
	r.values[k] = v
	return k
}

func (r *pqRender) path(pa pqPath) string {
	var b strings.Builder
	for i, e := range pa {
		switch {
		case e.isIdx:
			fmt.Fprintf(&b, "[%d]", e.index)
		case i > 0:
			b.WriteString("." + r.name(e.name))
		default:
			b.WriteString(r.name(e.name))
		}
	}
	return b.String()
}

func (r *pqRender) operand(o pqOperand) (string, error) {
	switch o := o.(type) {
	case pqPath:
		return r.path(o), nil
	case AV:
		return r.value(o), nil
	case *pqArith:
		l, err := r.operand(o.l)
		if err != nil {
			return "", err
		}
		rr, err := r.operand(o.r)
		return l + " " + o.op + " " + rr, err
	case *pqCall:
		args := make([]string, len(o.args))
		for i, a := range o.args {
			s, err := r.operand(a)
			if err != nil {
				return "", err
			}
			args[i] = s
		}
		switch o.name {
		case "size", "list_append", "if_not_exists", "begins_with", "contains", "attribute_exists", "attribute_not_exists", "attribute_type":
		default:
			return "", pqErr("Unsupported function: %s", o.name)
		}
		return o.name + "(" + strings.Join(args, ", ") + ")", nil
	}
	return "", pqErr("Unsupported operand")
}

func (r *pqRender) cond(c pqCond) (string, error) {
	bin := func(op string, l, rr pqCond) (string, error) {
		a, err := r.cond(l)
		if err != nil {
			return "", err
		}
		b, err := r.cond(rr)
		return "(" + a + ") " + op + " (" + b + ")", err
	}
	ops := func(os ...pqOperand) ([]string, error) {
		out := make([]string, len(os))
		for i, o := range os {
			s, err := r.operand(o)
			if err != nil {
				return nil, err
			}
			out[i] = s
		}
		return out, nil
	}
	switch c := c.(type) {
	case *pqAnd:
		return bin("AND", c.l, c.r)
	case *pqOr:
		return bin("OR", c.l, c.r)
	case *pqNot:
		s, err := r.cond(c.c)
		return "NOT (" + s + ")", err
	case *pqCmp:
		s, err := ops(c.l, c.r)
		if err != nil {
			return "", err
		}
		return s[0] + " " + c.op + " " + s[1], nil
	case *pqBetween:
		s, err := ops(c.v, c.lo, c.hi)
		if err != nil {
			return "", err
		}
		return s[0] + " BETWEEN " + s[1] + " AND " + s[2], nil
	case *pqIn:
		s, err := ops(append([]pqOperand{c.v}, c.list...)...)
		if err != nil {
			return "", err
		}
		return s[0] + " IN (" + strings.Join(s[1:], ", ") + ")", nil
	case *pqFuncCond:
		return r.operand(c.call)
	case *pqIs:
		p := r.path(c.path)
		var s string
		if c.missing {
			s = "attribute_not_exists(" + p + ")"
		} else {
			s = "attribute_type(" + p + ", " + r.value(AV{S: ptr.To("NULL")}) + ")"
		}
		if c.not {
			s = "NOT " + s
		}
		return s, nil
	}
	return "", pqErr("Unsupported condition")
}

// conjuncts flattens the top-level ANDs of a WHERE clause.
func conjuncts(c pqCond) []pqCond {
	if a, ok := c.(*pqAnd); ok {
		return append(conjuncts(a.l), conjuncts(a.r)...)
	}
	if c == nil {
		return nil
	}
	return []pqCond{c}
}

// keyEquality returns the value c sets attribute name to, if c is
// "name = value".
func keyEquality(c pqCond, name string) (AV, bool) {
	cmp, ok := c.(*pqCmp)
	if !ok || cmp.op != "=" {
		return AV{}, false
	}
	l, r := cmp.l, cmp.r
	if _, isPath := l.(pqPath); !isPath {
		l, r = r, l
	}
	pa, ok := l.(pqPath)
	v, isVal := r.(AV)
	if !ok || !isVal || len(pa) != 1 || pa[0].isIdx || pa[0].name != name {
		return AV{}, false
	}
	return v, true
}

// splitKey takes the table's full primary key out of a WHERE clause; the
// rest is a condition on the item.
func splitKey(t *tableRecord, where pqCond) (Item, []pqCond, error) {
	key := Item{}
	var rest []pqCond
	for _, c := range conjuncts(where) {
		taken := false
		for _, kn := range t.keyNames() {
			if v, ok := keyEquality(c, kn); ok {
				if _, dup := key[kn]; !dup {
					key[kn] = v
					taken = true
					break
				}
			}
		}
		if !taken {
			rest = append(rest, c)
		}
	}
	if len(key) != len(t.keyNames()) {
		return nil, nil, awserr.ValidationException.New("Where clause does not contain a mandatory equality on all key attributes")
	}
	return key, rest, nil
}

func andAll(cs []pqCond) pqCond {
	var out pqCond
	for _, c := range cs {
		if out == nil {
			out = c
		} else {
			out = &pqAnd{out, c}
		}
	}
	return out
}

func (r *pqRender) opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (r *pqRender) namesOrNil() map[string]string {
	if len(r.names) == 0 {
		return nil
	}
	return r.names
}

func (r *pqRender) valuesOrNil() Item {
	if len(r.values) == 0 {
		return nil
	}
	return r.values
}

// pqResult is what one statement produced.
type pqResult struct {
	items   []Item
	lek     Item
	table   string
	unitsCC *dynamodbapi.ConsumedCapacity
}

type pqOptions struct {
	consistent bool
	limit      *int32
	lek        Item
	rvFail     *string
	cc         *string
}

func (s *DynamoDB) loadTableView(ctx *request.Context, name string) (*tableRecord, error) {
	var t *tableRecord
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		t, err = s.loadTable(tx, scopeOf(ctx), name)
		return err
	})
	if err != nil && dynamodbapi.ErrResourceNotFoundException.Is(err) {
		return nil, notFound()
	}
	return t, err
}

// checkStatementIndex checks the index a SELECT names, with ExecuteStatement's
// own wording (unlike Query's, it does not name the index). PartiQL does not
// read a GSI with a multi-attribute key at all.
func checkStatementIndex(t *tableRecord, st *pqStmt, consistent bool) error {
	if st.index == "" {
		return nil
	}
	ix, ok := t.index(st.index)
	switch {
	case !ok:
		return awserr.ValidationException.New("The table does not have the specified index")
	case ix.multi():
		return awserr.ValidationException.New("PartiQL statements cannot be executed on tables with multi-attribute HASH keys or multi-attribute RANGE keys.")
	case consistent && !ix.Local:
		return awserr.ValidationException.New("Strongly consistent read is not supported on Global Secondary Indexes")
	}
	return nil
}

// runStatement executes one parsed statement through the item handlers.
func (s *DynamoDB) runStatement(ctx *request.Context, st *pqStmt, o pqOptions) (*pqResult, error) {
	t, err := s.loadTableView(ctx, st.table)
	if err != nil {
		return nil, err
	}
	res := &pqResult{table: st.table}
	r := newRender()
	switch st.kind {
	case "SELECT":
		if err := checkStatementIndex(t, st, o.consistent); err != nil {
			return nil, err
		}
		var proj []string
		for _, pa := range st.proj {
			proj = append(proj, r.path(pa))
		}
		hash := t.Hash
		if st.index != "" {
			ix, _ := t.index(st.index)
			hash = ix.Hash
		}
		// An equality on the (index's) partition key makes the statement a
		// Query; everything else filters.
		var keyCond string
		var rest []pqCond
		for _, c := range conjuncts(st.where) {
			if v, ok := keyEquality(c, hash); ok && keyCond == "" {
				keyCond = r.name(hash) + " = " + r.value(v)
				continue
			}
			rest = append(rest, c)
		}
		var filter string
		if c := andAll(rest); c != nil {
			if filter, err = r.cond(c); err != nil {
				return nil, err
			}
		}
		var index *string
		if st.index != "" {
			index = &st.index
		}
		pe := r.opt(strings.Join(proj, ", "))
		if keyCond != "" {
			out, err := s.Query(ctx, &dynamodbapi.QueryInput{TableName: &st.table, IndexName: index, KeyConditionExpression: &keyCond,
				FilterExpression: r.opt(filter), ProjectionExpression: pe, ExpressionAttributeNames: r.namesOrNil(), ExpressionAttributeValues: r.valuesOrNil(),
				ConsistentRead: &o.consistent, Limit: o.limit, ExclusiveStartKey: o.lek, ReturnConsumedCapacity: o.cc})
			if err != nil {
				return nil, err
			}
			res.items, res.lek, res.unitsCC = out.Items, out.LastEvaluatedKey, out.ConsumedCapacity
		} else {
			out, err := s.Scan(ctx, &dynamodbapi.ScanInput{TableName: &st.table, IndexName: index,
				FilterExpression: r.opt(filter), ProjectionExpression: pe, ExpressionAttributeNames: r.namesOrNil(), ExpressionAttributeValues: r.valuesOrNil(),
				ConsistentRead: &o.consistent, Limit: o.limit, ExclusiveStartKey: o.lek, ReturnConsumedCapacity: o.cc})
			if err != nil {
				return nil, err
			}
			res.items, res.lek, res.unitsCC = out.Items, out.LastEvaluatedKey, out.ConsumedCapacity
		}
		if res.items == nil {
			res.items = []Item{}
		}
	case "INSERT":
		cond := "attribute_not_exists(" + r.name(t.Hash) + ")"
		_, err := s.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: &st.table, Item: st.item.M, ConditionExpression: &cond,
			ExpressionAttributeNames: r.names, ReturnConsumedCapacity: o.cc})
		if dynamodbapi.ErrConditionalCheckFailedException.Is(err) {
			return nil, dynamodbapi.ErrDuplicateItemException.New("Duplicate primary key exists in table")
		}
		if err != nil {
			return nil, err
		}
	case "UPDATE":
		key, rest, err := splitKey(t, st.where)
		if err != nil {
			return nil, err
		}
		upd, err := r.updateExpr(st)
		if err != nil {
			return nil, err
		}
		cond := "attribute_exists(" + r.name(t.Hash) + ")"
		if c := andAll(rest); c != nil {
			rc, err := r.cond(c)
			if err != nil {
				return nil, err
			}
			cond += " AND (" + rc + ")"
		}
		rv := st.returning
		if rv == "" {
			rv = "NONE"
		}
		out, err := s.UpdateItem(ctx, &dynamodbapi.UpdateItemInput{TableName: &st.table, Key: key, UpdateExpression: &upd, ConditionExpression: &cond,
			ExpressionAttributeNames: r.namesOrNil(), ExpressionAttributeValues: r.valuesOrNil(), ReturnValues: &rv,
			ReturnValuesOnConditionCheckFailure: o.rvFail, ReturnConsumedCapacity: o.cc})
		if err != nil {
			return nil, err
		}
		if out.Attributes != nil {
			res.items = []Item{out.Attributes}
		}
	case "DELETE":
		key, rest, err := splitKey(t, st.where)
		if err != nil {
			return nil, err
		}
		in := &dynamodbapi.DeleteItemInput{TableName: &st.table, Key: key, ReturnValuesOnConditionCheckFailure: o.rvFail, ReturnConsumedCapacity: o.cc}
		if c := andAll(rest); c != nil {
			rc, err := r.cond(c)
			if err != nil {
				return nil, err
			}
			// A missing item is deleted successfully; only an existing one
			// must pass the condition.
			in.ConditionExpression = ptr.To("attribute_not_exists(" + r.name(t.Hash) + ") OR (" + rc + ")")
			in.ExpressionAttributeNames, in.ExpressionAttributeValues = r.namesOrNil(), r.valuesOrNil()
		}
		if st.returning != "" {
			in.ReturnValues = ptr.To("ALL_OLD")
		}
		out, err := s.DeleteItem(ctx, in)
		if err != nil {
			return nil, err
		}
		if out.Attributes != nil {
			res.items = []Item{out.Attributes}
		}
	}
	return res, nil
}

// updateExpr renders the SET and REMOVE clauses of an UPDATE statement as
// an UpdateExpression (set_add and set_delete become ADD and DELETE).
func (r *pqRender) updateExpr(st *pqStmt) (string, error) {
	var sets, adds, dels, removes []string
	for _, set := range st.sets {
		if call, ok := set.val.(*pqCall); ok && (call.name == "set_add" || call.name == "set_delete") {
			if len(call.args) != 2 {
				return "", pqErr("%s takes two arguments", call.name)
			}
			v, err := r.operand(call.args[1])
			if err != nil {
				return "", err
			}
			if call.name == "set_add" {
				adds = append(adds, r.path(set.path)+" "+v)
			} else {
				dels = append(dels, r.path(set.path)+" "+v)
			}
			continue
		}
		v, err := r.operand(set.val)
		if err != nil {
			return "", err
		}
		sets = append(sets, r.path(set.path)+" = "+v)
	}
	for _, pa := range st.removes {
		removes = append(removes, r.path(pa))
	}
	var ue []string
	for _, part := range []struct {
		kw   string
		list []string
	}{{"SET", sets}, {"REMOVE", removes}, {"ADD", adds}, {"DELETE", dels}} {
		if len(part.list) > 0 {
			ue = append(ue, part.kw+" "+strings.Join(part.list, ", "))
		}
	}
	return strings.Join(ue, " "), nil
}

func checkStatement(st *string) (string, error) {
	if st == nil {
		return "", awserr.ValidationException.New("1 validation error detected: Value null at 'statement' failed to satisfy constraint: Member must not be null")
	}
	if len(*st) < 1 || len(*st) > 8192 {
		return "", awserr.ValidationException.New("1 validation error detected: Value at 'statement' failed to satisfy constraint: Member must have length less than or equal to 8192, Member must have length greater than or equal to 1")
	}
	return *st, nil
}

// ExecuteStatement runs one PartiQL statement.
func (s *DynamoDB) ExecuteStatement(ctx *request.Context, in *dynamodbapi.ExecuteStatementInput) (*dynamodbapi.ExecuteStatementOutput, error) {
	src, err := checkStatement(in.Statement)
	if err != nil {
		return nil, err
	}
	if in.Limit != nil && *in.Limit < 1 {
		return nil, awserr.ValidationException.New("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1", *in.Limit)
	}
	st, err := parsePartiQL(src, in.Parameters)
	if err != nil {
		return nil, err
	}
	o := pqOptions{consistent: ptr.Deref(in.ConsistentRead), limit: in.Limit, rvFail: in.ReturnValuesOnConditionCheckFailure, cc: in.ReturnConsumedCapacity}
	if in.NextToken != nil {
		if st.kind != "SELECT" {
			return nil, awserr.ValidationException.New("NextToken is only supported for SELECT statements")
		}
		if o.lek, err = decodeNextToken(*in.NextToken); err != nil {
			return nil, err
		}
	}
	res, err := s.runStatement(ctx, st, o)
	if err != nil {
		return nil, err
	}
	out := &dynamodbapi.ExecuteStatementOutput{Items: res.items, ConsumedCapacity: res.unitsCC}
	if st.kind == "SELECT" && res.lek != nil {
		out.LastEvaluatedKey = res.lek
		out.NextToken = ptr.To(encodeNextToken(res.lek))
	}
	if out.Items == nil {
		out.Items = []Item{}
	}
	return out, nil
}

func encodeNextToken(lek Item) string {
	b, _ := itemJSON(lek)
	return base64.StdEncoding.EncodeToString(b)
}

func decodeNextToken(tok string) (Item, error) {
	b, err := base64.StdEncoding.DecodeString(tok)
	var m map[string]wav
	if err == nil {
		err = json.Unmarshal(b, &m)
	}
	if err != nil || len(m) == 0 {
		return nil, awserr.ValidationException.New("Invalid NextToken")
	}
	it := Item{}
	for k, v := range m {
		it[k] = fromWav(v)
	}
	return it, nil
}

// batchErrCode is the BatchStatementError code of an error
// (BatchStatementErrorCodeEnum: the exception name without "Exception").
func batchErrCode(err error) (string, string, Item) {
	e := awserr.As(err)
	code := strings.TrimSuffix(e.Code.Code, "Exception")
	switch code {
	case "Validation":
		code = "ValidationError"
	case "InternalServer", "InternalFailure":
		code = "InternalServerError"
	}
	return code, e.Message, nil
}

// BatchExecuteStatement runs up to 25 statements, each on its own: a
// failure is reported in its response and does not stop the others.
func (s *DynamoDB) BatchExecuteStatement(ctx *request.Context, in *dynamodbapi.BatchExecuteStatementInput) (*dynamodbapi.BatchExecuteStatementOutput, error) {
	if len(in.Statements) == 0 || len(in.Statements) > 25 {
		return nil, awserr.ValidationException.New("1 validation error detected: Value at 'statements' failed to satisfy constraint: Member must have length less than or equal to 25, Member must have length greater than or equal to 1")
	}
	parsed := make([]*pqStmt, len(in.Statements))
	parseErrs := make([]error, len(in.Statements))
	reads, writes := 0, 0
	for i, req := range in.Statements {
		src, err := checkStatement(req.Statement)
		if err != nil {
			return nil, err
		}
		parsed[i], parseErrs[i] = parsePartiQL(src, req.Parameters)
		if parsed[i] != nil {
			if parsed[i].kind == "SELECT" {
				reads++
			} else {
				writes++
			}
		}
	}
	if reads > 0 && writes > 0 {
		return nil, awserr.ValidationException.New("Batch must consist of either all read statements or all write statements")
	}
	out := &dynamodbapi.BatchExecuteStatementOutput{Responses: make([]dynamodbapi.BatchStatementResponse, len(in.Statements))}
	for i, req := range in.Statements {
		resp := &out.Responses[i]
		err := parseErrs[i]
		var res *pqResult
		if err == nil {
			st := parsed[i]
			resp.TableName = &st.table
			if st.kind == "SELECT" {
				// A batch read is a GetItem: the WHERE clause must name
				// the full primary key.
				var t *tableRecord
				if t, err = s.loadTableView(ctx, st.table); err == nil {
					if err = checkStatementIndex(t, st, false); err == nil {
						_, _, err = splitKey(t, st.where)
					}
				}
			}
			if err == nil {
				res, err = s.runStatement(ctx, st, pqOptions{consistent: ptr.Deref(req.ConsistentRead), rvFail: req.ReturnValuesOnConditionCheckFailure})
			}
		}
		if err != nil {
			code, msg, item := batchErrCode(err)
			resp.Error = &dynamodbapi.BatchStatementError{Code: &code, Message: &msg, Item: item}
			continue
		}
		if parsed[i].kind == "SELECT" && len(res.items) > 0 {
			resp.Item = res.items[0]
		}
	}
	return out, nil
}
