package dynamodb

import (
	"math"
	"strings"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/dynamodb/expr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// exprParams are the expression parameters of one request.
type exprParams struct {
	names  map[string]string
	values Item
	// used lists the expression parameters present, for messages.
	used []string
}

// newEnv validates ExpressionAttributeNames/Values the way DynamoDB does
// before any expression is parsed.
func newEnv(p exprParams) (*expr.Env, error) {
	if p.names != nil && len(p.names) == 0 {
		return nil, validation("ExpressionAttributeNames must not be empty")
	}
	if p.values != nil && len(p.values) == 0 {
		return nil, validation("ExpressionAttributeValues must not be empty")
	}
	if len(p.used) == 0 {
		// AWS reports these inside its request-validation envelope
		// (observed in eu-west-2 and us-east-1, October 2026).
		if p.names != nil {
			return nil, validation("1 validation error detected: ExpressionAttributeNames can only be specified when using expressions")
		}
		if p.values != nil {
			return nil, validation("1 validation error detected: ExpressionAttributeValues can only be specified when using expressions")
		}
	}
	for _, k := range expr.SortedKeys(p.names) {
		if !strings.HasPrefix(k, "#") || len(k) < 2 {
			return nil, validation("ExpressionAttributeNames contains invalid key: Syntax error; key: %q", k)
		}
	}
	for _, k := range expr.SortedKeys(p.values) {
		if !strings.HasPrefix(k, ":") || len(k) < 2 {
			return nil, validation("ExpressionAttributeValues contains invalid key: Syntax error; key: %q", k)
		}
	}
	if err := validateValues(p.values); err != nil {
		return nil, err
	}
	return expr.NewEnv(p.names, p.values), nil
}

// mixErr is DynamoDB's answer to legacy and expression parameters together.
func mixErr(legacy, expression []string) error {
	return validation("Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {%s} Expression parameters: {%s}", strings.Join(legacy, ", "), strings.Join(expression, ", "))
}

func present(pairs ...any) []string {
	var out []string
	for i := 0; i < len(pairs); i += 2 {
		name := pairs[i].(string)
		switch v := pairs[i+1].(type) {
		case *string:
			if v != nil {
				out = append(out, name)
			}
		case bool:
			if v {
				out = append(out, name)
			}
		}
	}
	return out
}

// legacyCond turns Expected, QueryFilter, ScanFilter or KeyConditions into
// a condition.
func legacyCond(attrs []string, get func(string) (op string, vals []AV, exists *bool, value *AV), conditionalOp string) (expr.Cond, error) {
	var out expr.Cond
	for _, name := range attrs {
		op, vals, exists, value := get(name)
		path := &expr.PathOp{Path: expr.Path{{Name: name}}}
		for i := range vals {
			if err := validateValue(&vals[i]); err != nil {
				return nil, err
			}
		}
		if value != nil {
			if err := validateValue(value); err != nil {
				return nil, err
			}
		}
		var c expr.Cond
		switch {
		case op == "":
			switch {
			case exists != nil && !*exists:
				if value != nil {
					return nil, validation("One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: %s", name)
				}
				c = &expr.Func{Name: "attribute_not_exists", Args: []expr.Operand{path}}
			case value != nil:
				c = &expr.Compare{Op: "=", L: path, R: &expr.ValueOp{Value: *value}}
			default:
				return nil, validation("One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: %s", name)
			}
		default:
			want := map[string]int{"EQ": 1, "NE": 1, "LE": 1, "LT": 1, "GE": 1, "GT": 1, "NOT_NULL": 0, "NULL": 0, "CONTAINS": 1, "NOT_CONTAINS": 1, "BEGINS_WITH": 1, "BETWEEN": 2}
			if n, ok := want[op]; ok && len(vals) != n {
				return nil, validation("One or more parameter values were invalid: Invalid number of argument(s) for the %s ComparisonOperator", op)
			}
			if op == "IN" && len(vals) == 0 {
				return nil, validation("One or more parameter values were invalid: Invalid number of argument(s) for the IN ComparisonOperator")
			}
			v := func(i int) expr.Operand { return &expr.ValueOp{Value: vals[i]} }
			switch op {
			case "EQ", "NE", "LE", "LT", "GE", "GT":
				sym := map[string]string{"EQ": "=", "NE": "<>", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">"}[op]
				c = &expr.Compare{Op: sym, L: path, R: v(0)}
			case "NOT_NULL":
				c = &expr.Func{Name: "attribute_exists", Args: []expr.Operand{path}}
			case "NULL":
				c = &expr.Func{Name: "attribute_not_exists", Args: []expr.Operand{path}}
			case "CONTAINS":
				c = &expr.Func{Name: "contains", Args: []expr.Operand{path, v(0)}}
			case "NOT_CONTAINS":
				c = &expr.And{L: &expr.Func{Name: "attribute_exists", Args: []expr.Operand{path}}, R: &expr.Not{C: &expr.Func{Name: "contains", Args: []expr.Operand{path, v(0)}}}}
			case "BEGINS_WITH":
				c = &expr.Func{Name: "begins_with", Args: []expr.Operand{path, v(0)}}
			case "BETWEEN":
				c = &expr.Between{V: path, Lo: v(0), Hi: v(1)}
			case "IN":
				in := &expr.In{V: path}
				for i := range vals {
					in.List = append(in.List, v(i))
				}
				c = in
			default:
				return nil, validation("One or more parameter values were invalid: Unsupported operator on KeyCondition: %s", op)
			}
		}
		switch {
		case out == nil:
			out = c
		case conditionalOp == "OR":
			out = &expr.Or{L: out, R: c}
		default:
			out = &expr.And{L: out, R: c}
		}
	}
	return out, nil
}

func expectedCond(exp map[string]dynamodbapi.ExpectedAttributeValue, condOp *string) (expr.Cond, error) {
	return legacyCond(expr.SortedKeys(exp), func(n string) (string, []AV, *bool, *AV) {
		e := exp[n]
		return ptr.Deref(e.ComparisonOperator), e.AttributeValueList, e.Exists, e.Value
	}, ptr.Deref(condOp))
}

func filterCond(f map[string]dynamodbapi.Condition, condOp *string) (expr.Cond, error) {
	return legacyCond(expr.SortedKeys(f), func(n string) (string, []AV, *bool, *AV) {
		c := f[n]
		return ptr.Deref(c.ComparisonOperator), c.AttributeValueList, nil, nil
	}, ptr.Deref(condOp))
}

// projectionOfRequest parses ProjectionExpression or AttributesToGet.
func projectionPaths(pe *string, atg []string, env *expr.Env) ([]expr.Path, error) {
	if pe != nil {
		paths, err := expr.ParseProjection(*pe, env)
		return paths, exprErr(err)
	}
	if atg != nil {
		if dup(atg, func(s string) string { return s }) {
			return nil, validation("One or more parameter values were invalid: Duplicate value in attribute name: %s", atg[0])
		}
		var paths []expr.Path
		for _, a := range atg {
			paths = append(paths, expr.Path{{Name: a}})
		}
		return paths, nil
	}
	return nil, nil
}

func project(it Item, paths []expr.Path) Item {
	if it == nil || paths == nil {
		return it
	}
	return expr.Project(it, paths)
}

// capacity answers ReturnConsumedCapacity.
func capacity(mode *string, table string, units float64) *dynamodbapi.ConsumedCapacity {
	m := ptr.Deref(mode)
	if m != "TOTAL" && m != "INDEXES" {
		return nil
	}
	cc := &dynamodbapi.ConsumedCapacity{TableName: ptr.To(table), CapacityUnits: ptr.To(units)}
	if m == "INDEXES" {
		cc.Table = &dynamodbapi.Capacity{CapacityUnits: ptr.To(units)}
	}
	return cc
}

func writeUnits(it ...Item) float64 {
	n := 0
	for _, x := range it {
		n = max(n, sizeOrZero(x))
	}
	return units(n)
}

// units is the write units of an item of n bytes (the larger of the old
// and the new).
func units(n int) float64 { return math.Max(1, math.Ceil(float64(n)/1024)) }

func readUnits(size int, consistent bool) float64 {
	u := math.Max(1, math.Ceil(float64(size)/4096))
	if !consistent {
		u /= 2
	}
	return u
}

// condFailed is ConditionalCheckFailedException, with the item when
// ReturnValuesOnConditionCheckFailure is ALL_OLD.
func (s *DynamoDB) condFailed(old Item, rv *string) error {
	e := dynamodbapi.ErrConditionalCheckFailedException.New("The conditional request failed")
	if ptr.Deref(rv) == "ALL_OLD" && old != nil {
		e = e.With("Item", s.conv.ToDynamic(&struct {
			Item Item `aws:"Item"`
		}{old})["Item"])
	}
	return e
}

func checkReturnValues(rv *string, allowed ...string) error {
	if rv == nil {
		return nil
	}
	for _, a := range allowed {
		if *rv == a {
			return nil
		}
	}
	return validation("Return values set to invalid value")
}

// PutItem writes an item.
func (s *DynamoDB) PutItem(ctx *request.Context, in *dynamodbapi.PutItemInput) (*dynamodbapi.PutItemOutput, error) {
	cond, err := s.putItemCondition(in)
	if err != nil {
		// A table whose KMS key DynamoDB cannot use answers that first.
		if kerr := s.checkTableKeys(ctx, ptr.Deref(in.TableName)); kerr != nil {
			return nil, kerr
		}
		return nil, err
	}
	item := in.Item
	sc := scopeOf(ctx)
	// What the transaction found, in one variable the closure shares.
	var r struct {
		old           Item
		oldSize, size int
	}
	put := func(keyChecked bool) error {
		return s.store.Update(func(tx storage.Tx) error {
			t, err := s.itemTable(tx, sc, in.TableName, keyChecked)
			if err != nil {
				return err
			}
			k, err := t.keyOfItem(item)
			if err != nil {
				return err
			}
			if err := t.checkIndexKeys(item); err != nil {
				return err
			}
			if r.size, err = checkedSize(item); err != nil {
				return err
			}
			key := t.storeKey(sc, k)
			sw, _ := tx.(storage.Swapper)
			if sw == nil {
				if r.old, err = getItemAt(tx, key); err != nil {
					return err
				}
			} else {
				// The new item stored and the old one read in one
				// search of the store; a refused condition fails the
				// transaction, which undoes the write.
				data, existed, err := s.storeItem(tx, sw, key, item)
				if err != nil {
					return err
				}
				if existed {
					if r.old, err = decodeOwnedItem(data); err != nil {
						return err
					}
				}
			}
			r.oldSize = sizeOrZero(r.old)
			if cond != nil && !cond.Eval(r.old) {
				return s.condFailed(r.old, in.ReturnValuesOnConditionCheckFailure)
			}
			if sw == nil {
				return s.writeAt(tx, sc, t, key, k, r.old, item, r.oldSize, r.size, nil, ctx.Now())
			}
			return s.afterWrite(tx, sc, t, k, r.old, item, r.oldSize, r.size, nil, ctx.Now())
		})
	}
	if err = put(false); err == errKeyCheck {
		if err = s.checkTableKeys(ctx, ptr.Deref(in.TableName)); err == nil {
			err = put(true)
		}
	}
	if err != nil {
		return nil, err
	}
	out := &dynamodbapi.PutItemOutput{ConsumedCapacity: capacity(in.ReturnConsumedCapacity, tableName(in.TableName), units(max(r.oldSize, r.size)))}
	if ptr.Deref(in.ReturnValues) == "ALL_OLD" && r.old != nil {
		out.Attributes = r.old
	}
	return out, nil
}

// putItemCondition checks what PutItem checks before reading its table
// and returns its condition.
func (s *DynamoDB) putItemCondition(in *dynamodbapi.PutItemInput) (expr.Cond, error) {
	if err := checkReturnValues(in.ReturnValues, "NONE", "ALL_OLD"); err != nil {
		return nil, err
	}
	cond, err := s.writeCondition(in.ConditionExpression, in.Expected, in.ConditionalOperator, in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	if err != nil {
		return nil, err
	}
	if err := validateItem(in.Item); err != nil {
		return nil, err
	}
	return cond, nil
}

// writeCondition parses the condition of a write (expression or Expected)
// and checks the expression parameters are all used.
func (s *DynamoDB) writeCondition(ce *string, expected map[string]dynamodbapi.ExpectedAttributeValue, condOp *string, names map[string]string, values Item) (expr.Cond, error) {
	if ce != nil && expected != nil {
		return nil, mixErr([]string{"Expected"}, []string{"ConditionExpression"})
	}
	if ce == nil && expected == nil && names == nil && values == nil {
		return nil, nil // nothing newEnv could refuse
	}
	env, err := newEnv(exprParams{names: names, values: values, used: present("ConditionExpression", ce)})
	if err != nil {
		return nil, err
	}
	if expected != nil {
		return expectedCond(expected, condOp)
	}
	if ce == nil {
		return nil, nil
	}
	c, err := expr.ParseCondition(expr.KindCondition, *ce, env)
	if err != nil {
		return nil, exprErr(err)
	}
	return c, exprErr(env.CheckUnused())
}

// GetItem reads an item.
func (s *DynamoDB) GetItem(ctx *request.Context, in *dynamodbapi.GetItemInput) (*dynamodbapi.GetItemOutput, error) {
	paths, err := getItemPaths(in)
	if err != nil {
		// A table whose KMS key DynamoDB cannot use answers that first.
		if kerr := s.checkTableKeys(ctx, ptr.Deref(in.TableName)); kerr != nil {
			return nil, kerr
		}
		return nil, err
	}
	sc := scopeOf(ctx)
	var it Item
	read := func(keyChecked bool) error {
		return s.store.View(func(tx storage.Tx) error {
			t, err := s.itemTable(tx, sc, in.TableName, keyChecked)
			if err != nil {
				return err
			}
			k, err := t.keyOfKey(in.Key)
			if err != nil {
				return err
			}
			it, err = getItem(tx, sc, t, k)
			return err
		})
	}
	if err = read(false); err == errKeyCheck {
		if err = s.checkTableKeys(ctx, ptr.Deref(in.TableName)); err == nil {
			err = read(true)
		}
	}
	if err != nil {
		return nil, err
	}
	out := &dynamodbapi.GetItemOutput{}
	if in.ReturnConsumedCapacity != nil {
		// The item's size (its numbers parsed again) only when asked.
		out.ConsumedCapacity = capacity(in.ReturnConsumedCapacity, tableName(in.TableName), readUnits(sizeOrZero(it), ptr.Deref(in.ConsistentRead)))
	}
	if it != nil {
		out.Item = project(it, paths)
	}
	return out, nil
}

// getItemPaths checks what GetItem checks before reading its table and
// returns the projection's paths.
func getItemPaths(in *dynamodbapi.GetItemInput) ([]expr.Path, error) {
	if in.ProjectionExpression != nil && in.AttributesToGet != nil {
		return nil, mixErr([]string{"AttributesToGet"}, []string{"ProjectionExpression"})
	}
	if in.ProjectionExpression == nil && in.ExpressionAttributeNames == nil && in.AttributesToGet == nil {
		// Nothing newEnv or projectionPaths could refuse.
		return nil, validateItem(in.Key)
	}
	env, err := newEnv(exprParams{names: in.ExpressionAttributeNames, used: present("ProjectionExpression", in.ProjectionExpression)})
	if err != nil {
		return nil, err
	}
	paths, err := projectionPaths(in.ProjectionExpression, in.AttributesToGet, env)
	if err != nil {
		return nil, err
	}
	if err := env.CheckUnused(); err != nil {
		return nil, exprErr(err)
	}
	if err := validateItem(in.Key); err != nil {
		return nil, err
	}
	return paths, nil
}

// withKeyCheck runs call, an item or read call that answers errKeyCheck
// for a table with a KMS key unless keyChecked: a table whose KMS key
// DynamoDB cannot use answers that before anything else (the call's own
// error included); one with a usable key is tried again, key checked.
func withKeyCheck[O any](s *DynamoDB, ctx *request.Context, table *string, call func(keyChecked bool) (O, error)) (O, error) {
	out, err := call(false)
	if err == nil {
		return out, nil
	}
	var none O
	if kerr := s.checkTableKeys(ctx, ptr.Deref(table)); kerr != nil {
		return none, kerr
	}
	if err == errKeyCheck {
		return call(true)
	}
	return none, err
}

// DeleteItem deletes an item.
func (s *DynamoDB) DeleteItem(ctx *request.Context, in *dynamodbapi.DeleteItemInput) (*dynamodbapi.DeleteItemOutput, error) {
	return withKeyCheck(s, ctx, in.TableName, func(keyChecked bool) (*dynamodbapi.DeleteItemOutput, error) {
		return s.deleteItem(ctx, in, keyChecked)
	})
}

// deleteItem is DeleteItem, answering errKeyCheck for a table with a KMS key
// unless keyChecked.
func (s *DynamoDB) deleteItem(ctx *request.Context, in *dynamodbapi.DeleteItemInput, keyChecked bool) (*dynamodbapi.DeleteItemOutput, error) {
	if err := checkReturnValues(in.ReturnValues, "NONE", "ALL_OLD"); err != nil {
		return nil, err
	}
	cond, err := s.writeCondition(in.ConditionExpression, in.Expected, in.ConditionalOperator, in.ExpressionAttributeNames, in.ExpressionAttributeValues)
	if err != nil {
		return nil, err
	}
	if err := validateItem(in.Key); err != nil {
		return nil, err
	}
	sc := scopeOf(ctx)
	var old Item
	err = s.store.Update(func(tx storage.Tx) error {
		t, err := s.itemTable(tx, sc, in.TableName, keyChecked)
		if err != nil {
			return err
		}
		k, err := t.keyOfKey(in.Key)
		if err != nil {
			return err
		}
		if old, err = getItem(tx, sc, t, k); err != nil {
			return err
		}
		if cond != nil && !cond.Eval(old) {
			return s.condFailed(old, in.ReturnValuesOnConditionCheckFailure)
		}
		if old == nil {
			return nil
		}
		return s.write(tx, sc, t, k, old, nil, nil, ctx.Now())
	})
	if err != nil {
		return nil, err
	}
	out := &dynamodbapi.DeleteItemOutput{ConsumedCapacity: capacity(in.ReturnConsumedCapacity, tableName(in.TableName), writeUnits(old))}
	if ptr.Deref(in.ReturnValues) == "ALL_OLD" && old != nil {
		out.Attributes = old
	}
	return out, nil
}

// parseUpdate builds the update of an UpdateItem from UpdateExpression or
// AttributeUpdates.
func parseUpdate(ue *string, au map[string]dynamodbapi.AttributeValueUpdate, env *expr.Env) (*expr.Update, error) {
	if ue != nil {
		u, err := expr.ParseUpdate(*ue, env)
		return u, exprErr(err)
	}
	u := &expr.Update{}
	for _, name := range expr.SortedKeys(au) {
		a := au[name]
		pa := expr.Path{{Name: name}}
		if a.Value != nil {
			if err := validateValue(a.Value); err != nil {
				return nil, err
			}
		}
		switch act := ptr.Deref(a.Action); act {
		case "", "PUT":
			if a.Value == nil {
				return nil, validation("One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified")
			}
			u.Set = append(u.Set, expr.SetAction{Path: pa, Value: &expr.Plain{Op: &expr.ValueOp{Value: *a.Value}}})
		case "DELETE":
			if a.Value == nil {
				u.Remove = append(u.Remove, pa)
			} else {
				u.Delete = append(u.Delete, expr.ValueAction{Path: pa, Value: &expr.ValueOp{Value: *a.Value}})
			}
		case "ADD":
			if a.Value == nil {
				return nil, validation("One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified")
			}
			if a.Value.L != nil {
				u.Set = append(u.Set, expr.SetAction{Path: pa, Value: &expr.ListAppend{
					L: &expr.IfNotExists{Path: pa, Default: &expr.Plain{Op: &expr.ValueOp{Value: AV{L: []AV{}}}}},
					R: &expr.Plain{Op: &expr.ValueOp{Value: *a.Value}}}})
				continue
			}
			u.Add = append(u.Add, expr.ValueAction{Path: pa, Value: &expr.ValueOp{Value: *a.Value}})
		}
	}
	return u, nil
}

// UpdateItem edits (or creates) an item.
func (s *DynamoDB) UpdateItem(ctx *request.Context, in *dynamodbapi.UpdateItemInput) (*dynamodbapi.UpdateItemOutput, error) {
	return withKeyCheck(s, ctx, in.TableName, func(keyChecked bool) (*dynamodbapi.UpdateItemOutput, error) {
		return s.updateItem(ctx, in, keyChecked)
	})
}

// updateItem is UpdateItem, answering errKeyCheck for a table with a KMS key
// unless keyChecked.
func (s *DynamoDB) updateItem(ctx *request.Context, in *dynamodbapi.UpdateItemInput, keyChecked bool) (*dynamodbapi.UpdateItemOutput, error) {
	if err := checkReturnValues(in.ReturnValues, "NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"); err != nil {
		return nil, err
	}
	legacy := present("AttributeUpdates", in.AttributeUpdates != nil, "Expected", in.Expected != nil)
	exprs := present("UpdateExpression", in.UpdateExpression, "ConditionExpression", in.ConditionExpression)
	if len(legacy) > 0 && len(exprs) > 0 {
		return nil, mixErr(legacy, exprs)
	}
	env, err := newEnv(exprParams{names: in.ExpressionAttributeNames, values: in.ExpressionAttributeValues, used: exprs})
	if err != nil {
		return nil, err
	}
	upd, err := parseUpdate(in.UpdateExpression, in.AttributeUpdates, env)
	if err != nil {
		return nil, err
	}
	var cond expr.Cond
	switch {
	case in.ConditionExpression != nil:
		if cond, err = expr.ParseCondition(expr.KindCondition, *in.ConditionExpression, env); err != nil {
			return nil, exprErr(err)
		}
	case in.Expected != nil:
		if cond, err = expectedCond(in.Expected, in.ConditionalOperator); err != nil {
			return nil, err
		}
	}
	if err := env.CheckUnused(); err != nil {
		return nil, exprErr(err)
	}
	if err := validateItem(in.Key); err != nil {
		return nil, err
	}
	sc := scopeOf(ctx)
	var old, nw Item
	err = s.store.Update(func(tx storage.Tx) error {
		t, err := s.itemTable(tx, sc, in.TableName, keyChecked)
		if err != nil {
			return err
		}
		k, err := t.keyOfKey(in.Key)
		if err != nil {
			return err
		}
		for _, pa := range upd.UpdatedPaths() {
			for _, kn := range t.keyNames() {
				if pa[0].Name == kn {
					return validation("One or more parameter values were invalid: Cannot update attribute %s. This attribute is part of the key", kn)
				}
			}
		}
		if old, err = getItem(tx, sc, t, k); err != nil {
			return err
		}
		if cond != nil && !cond.Eval(old) {
			return s.condFailed(old, in.ReturnValuesOnConditionCheckFailure)
		}
		base := old
		if base == nil {
			base = expr.CloneItem(k.keyAttrs())
		}
		if nw, err = upd.Apply(base); err != nil {
			return exprErr(err)
		}
		if err := t.checkIndexKeys(nw); err != nil {
			return err
		}
		if err := checkSize(nw); err != nil {
			return err
		}
		return s.write(tx, sc, t, k, old, nw, nil, ctx.Now())
	})
	if err != nil {
		return nil, err
	}
	out := &dynamodbapi.UpdateItemOutput{ConsumedCapacity: capacity(in.ReturnConsumedCapacity, tableName(in.TableName), writeUnits(old, nw))}
	switch ptr.Deref(in.ReturnValues) {
	case "ALL_OLD":
		out.Attributes = old
	case "ALL_NEW":
		out.Attributes = nw
	case "UPDATED_OLD":
		if old != nil {
			out.Attributes = expr.Project(old, upd.UpdatedPaths())
		}
	case "UPDATED_NEW":
		out.Attributes = expr.Project(nw, upd.UpdatedPaths())
	}
	if out.Attributes != nil && len(out.Attributes) == 0 {
		out.Attributes = nil
	}
	return out, nil
}
