package dynamodb

import (
	"bytes"
	"hash/fnv"
	"slices"
	"strings"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/dynamodb/expr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// maxPage is DynamoDB's 1 MB page of evaluated data.
const maxPage = 1 << 20

// readPlan is what Query and Scan share: where to read, what to keep and
// what to return.
type readPlan struct {
	t        *tableRecord
	ix       *indexRecord
	filter   expr.Cond
	paths    []expr.Path
	selectV  string
	limit    int
	startKey []byte
	reverse  bool
	// range bounds on the encoded range part (Query only)
	lo, hi         []byte
	loIncl, hiIncl bool
	prefix         []byte
	rangePart      int
	// keyCond is the condition on the last given sort attribute of a
	// multi-attribute key, checked on each item of the range scan.
	keyCond expr.Cond
	// segment filter (Scan only)
	segment, total int
}

type readResult struct {
	items   []Item
	count   int
	scanned int
	last    Item
	size    int
}

// keysOf returns the attributes LastEvaluatedKey carries for an item.
func (p *readPlan) keysOf(it Item) Item {
	k := Item{}
	names := p.t.keyNames()
	if p.ix != nil {
		names = append(names, p.ix.keyNames()...)
	}
	for _, n := range names {
		if v, ok := it[n]; ok {
			k[n] = v
		}
	}
	return k
}

// indexView trims an item to what the index projects.
func (p *readPlan) indexView(it Item) Item {
	if p.ix == nil || p.ix.Projection == "ALL" || p.ix.Local && p.selectV == "ALL_ATTRIBUTES" {
		return it
	}
	out := p.keysOf(it)
	if p.ix.Projection == "INCLUDE" {
		for _, n := range p.ix.NonKey {
			if v, ok := it[n]; ok {
				out[n] = v
			}
		}
	}
	return out
}

func (p *readPlan) run(tx storage.Tx, scanPrefix []byte) (*readResult, error) {
	r := &readResult{}
	opts := storage.ScanOptions{Reverse: p.reverse}
	switch {
	case p.startKey != nil:
		opts.Start, opts.Exclusive = p.startKey, true
	case !p.reverse && p.lo != nil:
		opts.Start = storage.AppendKey(bytes.Clone(scanPrefix), string(p.lo))
	case p.reverse && p.hi != nil:
		opts.Start = append(storage.AppendKey(bytes.Clone(scanPrefix), string(p.hi)), 0xFF, 0xFF, 0xFF, 0xFF)
	}
	if p.prefix != nil {
		scanPrefix = storage.PartPrefix(scanPrefix, string(p.prefix))
	}
	var ferr error
	err := tx.Scan(scanPrefix, opts, func(k, v []byte) bool {
		if p.rangePart > 0 {
			// The range part read in place (storage.KeyPart), not by
			// splitting every key of the range into strings.
			rp, n, err := storage.KeyPart(k, p.rangePart)
			if err != nil {
				ferr = err
				return false
			}
			if p.rangePart < n {
				if p.lo != nil {
					c := bytes.Compare(rp, p.lo)
					if c < 0 || c == 0 && !p.loIncl {
						return !p.reverse || c == 0
					}
				}
				if p.hi != nil {
					c := bytes.Compare(rp, p.hi)
					if c > 0 || c == 0 && !p.hiIncl {
						return p.reverse || c == 0
					}
				}
			}
		}
		if p.total > 0 {
			hp, _, err := storage.KeyPart(k, p.segPart())
			if err != nil {
				ferr = err
				return false
			}
			h := fnv.New32a()
			h.Write(hp)
			if int(h.Sum32()%uint32(p.total)) != p.segment {
				return true
			}
		}
		it, err := decodeOwnedItem(v)
		if err != nil {
			ferr = err
			return false
		}
		if p.keyCond != nil && !p.keyCond.Eval(it) {
			return true
		}
		r.scanned++
		r.size += itemSize(it)
		if p.filter == nil || p.filter.Eval(it) {
			r.count++
			if p.selectV != "COUNT" {
				r.items = append(r.items, project(p.indexView(it), p.paths))
			}
		}
		if (p.limit > 0 && r.scanned >= p.limit) || r.size >= maxPage {
			r.last = p.keysOf(it)
			return false
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return r, ferr
}

// segPart is the position of the partition key part Scan segments hash.
func (p *readPlan) segPart() int {
	if p.ix != nil {
		return 5
	}
	return 4
}

// startKeyOf turns ExclusiveStartKey into the store key to continue after.
func (p *readPlan) startKeyOf(sc storage.Scope, esk Item) ([]byte, error) {
	if esk == nil {
		return nil, nil
	}
	if err := validateItem(esk); err != nil {
		return nil, err
	}
	bad := validation("The provided starting key is invalid: The provided key element does not match the schema")
	tk := Item{}
	for _, n := range p.t.keyNames() {
		v, ok := esk[n]
		if !ok || expr.TypeOf(v) != p.t.attrType(n) {
			return nil, bad
		}
		tk[n] = v
	}
	k, err := p.t.keyOfKey(tk)
	if err != nil {
		return nil, bad
	}
	if p.ix == nil {
		if len(esk) != len(tk) {
			return nil, bad
		}
		return p.t.storeKey(sc, k), nil
	}
	ik, ok := indexKey(sc, p.t, *p.ix, esk)
	if !ok {
		return nil, bad
	}
	return ik, nil
}

// commonRead parses what Query and Scan share.
func (s *DynamoDB) planRead(tx storage.Tx, sc storage.Scope, table, index *string, sel *string, env *expr.Env, pe *string, atg []string) (*readPlan, error) {
	t, err := s.loadTable(tx, sc, tableName(table))
	if err != nil {
		return nil, err
	}
	p := &readPlan{t: t, selectV: ptr.Deref(sel)}
	if index != nil {
		ix, ok := t.index(*index)
		if !ok {
			return nil, validation("The table does not have the specified index: %s", *index)
		}
		p.ix = ix
		if p.selectV == "ALL_ATTRIBUTES" && !ix.Local && ix.Projection != "ALL" {
			return nil, validation("One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index %s because its projection type is not ALL", ix.Name)
		}
	} else if p.selectV == "ALL_PROJECTED_ATTRIBUTES" {
		return nil, validation("One or more parameter values were invalid: Select type ALL_PROJECTED_ATTRIBUTES is supported only for Query/Scan on an index")
	}
	if p.selectV == "SPECIFIC_ATTRIBUTES" && pe == nil && atg == nil {
		return nil, validation("One or more parameter values were invalid: Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES")
	}
	if (pe != nil || atg != nil) && p.selectV != "" && p.selectV != "SPECIFIC_ATTRIBUTES" {
		return nil, validation("One or more parameter values were invalid: Cannot specify the AttributesToGet or ProjectionExpression when choosing to get %s", p.selectV)
	}
	if p.paths, err = projectionPaths(pe, atg, env); err != nil {
		return nil, err
	}
	return p, nil
}

func limitOf(l *int32) (int, error) {
	if l == nil {
		return 0, nil
	}
	return int(*l), nil
}

// Query reads the items of one partition, in sort key order, as a range
// scan of the ordered store.
func (s *DynamoDB) Query(ctx *request.Context, in *dynamodbapi.QueryInput) (*dynamodbapi.QueryOutput, error) {
	return withKeyCheck(s, ctx, in.TableName, func(keyChecked bool) (*dynamodbapi.QueryOutput, error) {
		return s.query(ctx, in, keyChecked)
	})
}

// query is Query, answering errKeyCheck for a table with a KMS key
// unless keyChecked.
func (s *DynamoDB) query(ctx *request.Context, in *dynamodbapi.QueryInput, keyChecked bool) (*dynamodbapi.QueryOutput, error) {
	legacy := present("KeyConditions", in.KeyConditions != nil, "QueryFilter", in.QueryFilter != nil, "AttributesToGet", in.AttributesToGet != nil)
	exprs := present("KeyConditionExpression", in.KeyConditionExpression, "FilterExpression", in.FilterExpression, "ProjectionExpression", in.ProjectionExpression)
	if len(legacy) > 0 && len(exprs) > 0 {
		return nil, mixErr(legacy, exprs)
	}
	if in.KeyConditionExpression == nil && in.KeyConditions == nil {
		return nil, validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
	}
	env, err := newEnv(exprParams{names: in.ExpressionAttributeNames, values: in.ExpressionAttributeValues, used: exprs})
	if err != nil {
		return nil, err
	}
	var keyCond, filter expr.Cond
	if in.KeyConditionExpression != nil {
		if keyCond, err = expr.ParseCondition(expr.KindKey, *in.KeyConditionExpression, env); err != nil {
			return nil, exprErr(err)
		}
	} else if keyCond, err = filterCond(in.KeyConditions, nil); err != nil {
		return nil, err
	}
	switch {
	case in.FilterExpression != nil:
		if filter, err = expr.ParseCondition(expr.KindFilter, *in.FilterExpression, env); err != nil {
			return nil, exprErr(err)
		}
	case in.QueryFilter != nil:
		if filter, err = filterCond(in.QueryFilter, in.ConditionalOperator); err != nil {
			return nil, err
		}
	}
	sc := scopeOf(ctx)
	var res *readResult
	var plan *readPlan
	err = s.store.View(func(tx storage.Tx) error {
		p, err := s.planRead(tx, sc, in.TableName, in.IndexName, in.Select, env, in.ProjectionExpression, in.AttributesToGet)
		if err != nil {
			return err
		}
		if !keyChecked && s.needsKeyCheck(p.t) {
			return errKeyCheck
		}
		if err := env.CheckUnused(); err != nil {
			return exprErr(err)
		}
		if err := consistentOnGSI(p, in.ConsistentRead); err != nil {
			return err
		}
		plan = p
		p.filter = p.filterFor(filter)
		if p.limit, err = limitOf(in.Limit); err != nil {
			return err
		}
		p.reverse = in.ScanIndexForward != nil && !*in.ScanIndexForward
		hashName, rangeName := p.t.Hash, p.t.Range
		prefixParts := []string{"item", p.t.Name}
		p.rangePart = 5
		if p.ix != nil {
			hashName, rangeName = p.ix.Hash, p.ix.Range
			prefixParts = []string{"idx", p.t.Name, p.ix.Name}
			p.rangePart = 6
		}
		var hashPart string
		if p.ix != nil && p.ix.multi() {
			if hashPart, err = p.multiKeyConditions(keyCond); err != nil {
				return err
			}
			p.rangePart = 0
		} else {
			hv, err := p.keyConditions(keyCond, hashName, rangeName)
			if err != nil {
				return err
			}
			hashPart = keyBytes(hv)
		}
		if rangeName == "" {
			p.rangePart = 0
		}
		if p.startKey, err = p.startKeyOf(sc, in.ExclusiveStartKey); err != nil {
			return err
		}
		res, err = p.run(tx, sc.Prefix(append(prefixParts, hashPart)...))
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &dynamodbapi.QueryOutput{Count: ptr.To(int32(res.count)), ScannedCount: ptr.To(int32(res.scanned)),
		ConsumedCapacity: capacity(in.ReturnConsumedCapacity, plan.t.Name, readUnits(res.size, ptr.Deref(in.ConsistentRead)))}
	if plan.selectV != "COUNT" {
		out.Items = res.items
		if out.Items == nil {
			out.Items = []Item{}
		}
	}
	if res.last != nil {
		out.LastEvaluatedKey = res.last
	}
	return out, nil
}

// consistentOnGSI refuses ConsistentRead on a global secondary index, which
// AWS replicates asynchronously and so cannot read consistently.
func consistentOnGSI(p *readPlan, consistent *bool) error {
	if ptr.Deref(consistent) && p.ix != nil && !p.ix.Local {
		return validation("Consistent reads are not supported on global secondary indexes")
	}
	return nil
}

// emptyKeyValue refuses an empty string or binary compared with a key
// attribute: no key can hold one.
func emptyKeyValue(name string, v AV) error {
	switch {
	case v.S != nil && *v.S == "":
		return validation("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: %s", name)
	case v.B != nil && len(v.B) == 0:
		return validation("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: %s", name)
	}
	return nil
}

// filterFor returns the filter, or nil.
func (p *readPlan) filterFor(c expr.Cond) expr.Cond { return c }

// keyConditions checks a key condition against the key schema and sets
// the plan's range bounds; it returns the partition key value.
func (p *readPlan) keyConditions(c expr.Cond, hashName, rangeName string) (AV, error) {
	var conds []expr.Cond
	var flatten func(expr.Cond) error
	flatten = func(c expr.Cond) error {
		switch c := c.(type) {
		case *expr.And:
			if err := flatten(c.L); err != nil {
				return err
			}
			return flatten(c.R)
		case *expr.Or, *expr.Not, *expr.In:
			return validation("Invalid operator used in KeyConditionExpression: %s", opName(c))
		}
		conds = append(conds, c)
		return nil
	}
	if err := flatten(c); err != nil {
		return AV{}, err
	}
	if len(conds) > 2 {
		return AV{}, validation("Conditions can be of length 1 or 2 only")
	}
	var hv *AV
	for _, c := range conds {
		name, ok := keyAttr(c)
		if !ok {
			return AV{}, validation("Invalid condition in KeyConditionExpression: the condition must compare a key attribute with a value")
		}
		if name != hashName && name != rangeName {
			return AV{}, validation("Query condition missed key schema element: %s", hashName)
		}
		want := p.t.attrType(name)
		for _, v := range keyValues(c) {
			if expr.TypeOf(v) != want {
				return AV{}, validation("One or more parameter values were invalid: Condition parameter type does not match schema type")
			}
			if err := emptyKeyValue(name, v); err != nil {
				return AV{}, err
			}
		}
		if name == hashName {
			cmp, ok := c.(*expr.Compare)
			if !ok || cmp.Op != "=" || hv != nil {
				return AV{}, validation("Query key condition not supported")
			}
			v := keyValues(c)[0]
			hv = &v
			continue
		}
		switch c := c.(type) {
		case *expr.Compare:
			v := []byte(keyBytes(keyValues(c)[0]))
			switch c.Op {
			case "=":
				p.lo, p.hi, p.loIncl, p.hiIncl = v, v, true, true
			case "<":
				p.hi = v
			case "<=":
				p.hi, p.hiIncl = v, true
			case ">":
				p.lo = v
			case ">=":
				p.lo, p.loIncl = v, true
			default:
				return AV{}, validation("Unsupported operator on KeyConditionExpression: operator: %s", c.Op)
			}
		case *expr.Between:
			vs := keyValues(c)
			p.lo, p.hi, p.loIncl, p.hiIncl = []byte(keyBytes(vs[0])), []byte(keyBytes(vs[1])), true, true
		case *expr.Func:
			if want == "N" {
				return AV{}, validation("Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N")
			}
			p.prefix = []byte(keyBytes(keyValues(c)[0]))
		}
	}
	if hv == nil {
		return AV{}, validation("Query condition missed key schema element: %s", hashName)
	}
	return *hv, nil
}

// multiKeyConditions checks a key condition on an index with a
// multi-attribute key: every partition attribute compared with "=", and
// sort attributes left to right, each with "=" but the last given, which
// may use any key operator. It sets the plan's sort prefix and returns the
// partition part of the store key.
func (p *readPlan) multiKeyConditions(c expr.Cond) (string, error) {
	var conds []expr.Cond
	var flatten func(expr.Cond) error
	flatten = func(c expr.Cond) error {
		switch c := c.(type) {
		case *expr.And:
			if err := flatten(c.L); err != nil {
				return err
			}
			return flatten(c.R)
		case *expr.Or, *expr.Not, *expr.In:
			return validation("Invalid operator used in KeyConditionExpression: %s", opName(c))
		}
		conds = append(conds, c)
		return nil
	}
	if err := flatten(c); err != nil {
		return "", err
	}
	hashes, ranges := p.ix.hashNames(), p.ix.rangeNames()
	isHash := func(n string) bool { return slices.Contains(hashes, n) }
	eq := map[string]AV{}
	var last expr.Cond
	lastName := ""
	for _, c := range conds {
		name, ok := keyAttr(c)
		if !ok {
			return "", validation("Invalid condition in KeyConditionExpression: the condition must compare a key attribute with a value")
		}
		if !isHash(name) && !slices.Contains(ranges, name) {
			return "", validation("Query condition missed key schema element: %s", hashes[0])
		}
		want := p.t.attrType(name)
		for _, v := range keyValues(c) {
			if expr.TypeOf(v) != want {
				return "", validation("One or more parameter values were invalid: Condition parameter type does not match schema type")
			}
			if err := emptyKeyValue(name, v); err != nil {
				return "", err
			}
		}
		_, dup := eq[name]
		if dup || name == lastName {
			return "", validation("KeyConditionExpressions must only contain one condition per key")
		}
		if cmp, ok := c.(*expr.Compare); ok && cmp.Op == "=" {
			eq[name] = keyValues(c)[0]
			continue
		}
		if isHash(name) {
			return "", validation("Query key condition not supported")
		}
		if last != nil {
			// Two range conditions: the earlier one must have been an
			// equality, whichever comes later in the key.
			a, b := slices.Index(ranges, lastName), slices.Index(ranges, name)
			if a > b {
				a, b = b, a
			}
			return "", validation("RANGE key attributes %s must have equality conditions specified in the query because a condition is present on key attribute %s", ranges[a], ranges[b])
		}
		if _, ok := c.(*expr.Func); ok && want == "N" {
			return "", validation("Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N")
		}
		if cmp, ok := c.(*expr.Compare); ok && cmp.Op == "<>" {
			return "", validation("Unsupported operator on KeyConditionExpression: operator: %s", cmp.Op)
		}
		last, lastName = c, name
	}
	var hv []AV
	for _, n := range hashes {
		v, ok := eq[n]
		if !ok {
			return "", validation("Query condition missed key schema element: %s", n)
		}
		hv = append(hv, v)
	}
	// The sort attributes named must be a prefix of the key's, all with
	// "=" but the last named, which may use any key operator.
	lastIdx := -1
	for i, n := range ranges {
		if _, ok := eq[n]; ok || n == lastName {
			lastIdx = i
		}
	}
	var missing []string
	var rvals []AV
	for i := 0; i < lastIdx; i++ {
		v, ok := eq[ranges[i]]
		if !ok {
			missing = append(missing, ranges[i])
			continue
		}
		rvals = append(rvals, v)
	}
	if len(missing) > 0 {
		return "", validation("RANGE key attributes %s must have equality conditions specified in the query because a condition is present on key attribute %s", strings.Join(missing, ", "), ranges[lastIdx])
	}
	if lastIdx >= 0 {
		if ranges[lastIdx] == lastName {
			p.keyCond = last
		} else {
			rvals = append(rvals, eq[ranges[lastIdx]])
		}
	}
	if len(rvals) > 0 {
		p.prefix = []byte(tupleBytes(rvals))
	}
	return tupleBytes(hv), nil
}

func opName(c expr.Cond) string {
	switch c.(type) {
	case *expr.Or:
		return "OR"
	case *expr.Not:
		return "NOT"
	}
	return "IN"
}

// keyAttr returns the attribute a key condition is on.
func keyAttr(c expr.Cond) (string, bool) {
	var o expr.Operand
	switch c := c.(type) {
	case *expr.Compare:
		o = c.L
		if _, ok := o.(*expr.PathOp); !ok {
			o = c.R
		}
	case *expr.Between:
		o = c.V
	case *expr.Func:
		o = c.Args[0]
	}
	po, ok := o.(*expr.PathOp)
	if !ok || len(po.Path) != 1 || po.Path[0].IsIndex {
		return "", false
	}
	for _, v := range keyOperands(c) {
		if _, ok := v.(*expr.ValueOp); !ok {
			return "", false
		}
	}
	return po.Path[0].Name, true
}

func keyOperands(c expr.Cond) []expr.Operand {
	switch c := c.(type) {
	case *expr.Compare:
		if _, ok := c.L.(*expr.PathOp); ok {
			return []expr.Operand{c.R}
		}
		return []expr.Operand{c.L}
	case *expr.Between:
		return []expr.Operand{c.Lo, c.Hi}
	case *expr.Func:
		return c.Args[1:]
	}
	return nil
}

func keyValues(c expr.Cond) []AV {
	var out []AV
	for _, o := range keyOperands(c) {
		out = append(out, o.(*expr.ValueOp).Value)
	}
	return out
}

// Scan reads a whole table or index, optionally one segment of it.
func (s *DynamoDB) Scan(ctx *request.Context, in *dynamodbapi.ScanInput) (*dynamodbapi.ScanOutput, error) {
	return withKeyCheck(s, ctx, in.TableName, func(keyChecked bool) (*dynamodbapi.ScanOutput, error) {
		return s.scan(ctx, in, keyChecked)
	})
}

// scan is Scan, answering errKeyCheck for a table with a KMS key unless
// keyChecked.
func (s *DynamoDB) scan(ctx *request.Context, in *dynamodbapi.ScanInput, keyChecked bool) (*dynamodbapi.ScanOutput, error) {
	legacy := present("ScanFilter", in.ScanFilter != nil, "AttributesToGet", in.AttributesToGet != nil)
	exprs := present("FilterExpression", in.FilterExpression, "ProjectionExpression", in.ProjectionExpression)
	if len(legacy) > 0 && len(exprs) > 0 {
		return nil, mixErr(legacy, exprs)
	}
	switch {
	case in.Segment != nil && in.TotalSegments == nil:
		return nil, validation("The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
	case in.Segment == nil && in.TotalSegments != nil:
		return nil, validation("The Segment parameter is required but was not present in the request when parameter TotalSegments is present")
	case in.Segment != nil && *in.Segment >= *in.TotalSegments:
		return nil, validation("The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: %d is not less than TotalSegments: %d", *in.Segment, *in.TotalSegments)
	}
	env, err := newEnv(exprParams{names: in.ExpressionAttributeNames, values: in.ExpressionAttributeValues, used: exprs})
	if err != nil {
		return nil, err
	}
	var filter expr.Cond
	switch {
	case in.FilterExpression != nil:
		if filter, err = expr.ParseCondition(expr.KindFilter, *in.FilterExpression, env); err != nil {
			return nil, exprErr(err)
		}
	case in.ScanFilter != nil:
		if filter, err = filterCond(in.ScanFilter, in.ConditionalOperator); err != nil {
			return nil, err
		}
	}
	sc := scopeOf(ctx)
	var res *readResult
	var plan *readPlan
	err = s.store.View(func(tx storage.Tx) error {
		p, err := s.planRead(tx, sc, in.TableName, in.IndexName, in.Select, env, in.ProjectionExpression, in.AttributesToGet)
		if err != nil {
			return err
		}
		if !keyChecked && s.needsKeyCheck(p.t) {
			return errKeyCheck
		}
		if err := env.CheckUnused(); err != nil {
			return exprErr(err)
		}
		if err := consistentOnGSI(p, in.ConsistentRead); err != nil {
			return err
		}
		plan = p
		p.filter = filter
		if p.limit, err = limitOf(in.Limit); err != nil {
			return err
		}
		if in.TotalSegments != nil {
			p.segment, p.total = int(*in.Segment), int(*in.TotalSegments)
		}
		if p.startKey, err = p.startKeyOf(sc, in.ExclusiveStartKey); err != nil {
			return err
		}
		prefix := sc.Prefix("item", p.t.Name)
		if p.ix != nil {
			prefix = sc.Prefix("idx", p.t.Name, p.ix.Name)
		}
		res, err = p.run(tx, prefix)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &dynamodbapi.ScanOutput{Count: ptr.To(int32(res.count)), ScannedCount: ptr.To(int32(res.scanned)),
		ConsumedCapacity: capacity(in.ReturnConsumedCapacity, plan.t.Name, readUnits(res.size, ptr.Deref(in.ConsistentRead)))}
	if plan.selectV != "COUNT" {
		out.Items = res.items
		if out.Items == nil {
			out.Items = []Item{}
		}
	}
	if res.last != nil {
		out.LastEvaluatedKey = res.last
	}
	return out, nil
}
