package dynamodb

import (
	"errors"
	"maps"
	"slices"
	"strings"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/dynamodb/expr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// BatchGetItem reads up to 100 items from one or more tables. Everything
// is read in one view, so UnprocessedKeys is always empty.
func (s *DynamoDB) BatchGetItem(ctx *request.Context, in *dynamodbapi.BatchGetItemInput) (*dynamodbapi.BatchGetItemOutput, error) {
	if err := s.checkTableKeys(ctx, slices.Collect(maps.Keys(in.RequestItems))...); err != nil {
		return nil, err
	}
	total := 0
	for _, ka := range in.RequestItems {
		total += len(ka.Keys)
	}
	if total > 100 {
		return nil, validation("Too many items requested for the BatchGetItem call")
	}
	type plan struct {
		paths []expr.Path
		ka    dynamodbapi.KeysAndAttributes
	}
	plans := map[string]plan{}
	for _, name := range expr.SortedKeys(in.RequestItems) {
		ka := in.RequestItems[name]
		if ka.ProjectionExpression != nil && ka.AttributesToGet != nil {
			return nil, mixErr([]string{"AttributesToGet"}, []string{"ProjectionExpression"})
		}
		env, err := newEnv(exprParams{names: ka.ExpressionAttributeNames, used: present("ProjectionExpression", ka.ProjectionExpression)})
		if err != nil {
			return nil, err
		}
		paths, err := projectionPaths(ka.ProjectionExpression, ka.AttributesToGet, env)
		if err != nil {
			return nil, err
		}
		if err := env.CheckUnused(); err != nil {
			return nil, exprErr(err)
		}
		for _, k := range ka.Keys {
			if err := validateItem(k); err != nil {
				return nil, err
			}
		}
		plans[name] = plan{paths, ka}
	}
	sc := scopeOf(ctx)
	out := &dynamodbapi.BatchGetItemOutput{Responses: map[string][]Item{}, UnprocessedKeys: map[string]dynamodbapi.KeysAndAttributes{}}
	err := s.store.View(func(tx storage.Tx) error {
		for _, name := range expr.SortedKeys(plans) {
			p := plans[name]
			t, err := s.loadTable(tx, sc, tableName(&name))
			if err != nil {
				return err
			}
			seen := map[string]bool{}
			items := []Item{}
			for _, key := range p.ka.Keys {
				k, err := t.keyOfKey(key)
				if err != nil {
					return err
				}
				id := strings.Join(k.keyParts(), "\x00\x01")
				if seen[id] {
					return validation("Provided list of item keys contains duplicates")
				}
				seen[id] = true
				it, err := getItem(tx, sc, t, k)
				if err != nil {
					return err
				}
				if it != nil {
					items = append(items, project(it, p.paths))
				}
			}
			out.Responses[name] = items
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// BatchWriteItem puts and deletes up to 25 items, in one transaction, so
// UnprocessedItems is always empty.
func (s *DynamoDB) BatchWriteItem(ctx *request.Context, in *dynamodbapi.BatchWriteItemInput) (*dynamodbapi.BatchWriteItemOutput, error) {
	if err := s.checkTableKeys(ctx, slices.Collect(maps.Keys(in.RequestItems))...); err != nil {
		return nil, err
	}
	total := 0
	for _, reqs := range in.RequestItems {
		total += len(reqs)
	}
	if total > 25 {
		return nil, validation("Too many items requested for the BatchWriteItem call")
	}
	for _, reqs := range in.RequestItems {
		for _, r := range reqs {
			switch {
			case r.PutRequest != nil && r.DeleteRequest == nil:
				if err := validateItem(r.PutRequest.Item); err != nil {
					return nil, err
				}
			case r.DeleteRequest != nil && r.PutRequest == nil:
				if err := validateItem(r.DeleteRequest.Key); err != nil {
					return nil, err
				}
			default:
				return nil, validation("Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes")
			}
		}
	}
	sc := scopeOf(ctx)
	now := ctx.Now()
	err := s.store.Update(func(tx storage.Tx) error {
		for _, name := range expr.SortedKeys(in.RequestItems) {
			t, err := s.loadTable(tx, sc, name)
			if err != nil {
				return err
			}
			seen := map[string]bool{}
			type op struct {
				k  itemKey
				it Item
			}
			var ops []op
			for _, r := range in.RequestItems[name] {
				var k itemKey
				var it Item
				if r.PutRequest != nil {
					it = r.PutRequest.Item
					// BatchWriteItem words a missing or mistyped key as
					// a key lookup does, unlike PutItem.
					for _, kn := range t.keyNames() {
						if v, ok := it[kn]; !ok || expr.TypeOf(v) != t.attrType(kn) {
							return validation("The provided key element does not match the schema")
						}
					}
					if k, err = t.keyOfItem(it); err != nil {
						return err
					}
					if err := t.checkIndexKeys(it); err != nil {
						return err
					}
					if err := checkSize(it); err != nil {
						return err
					}
				} else if k, err = t.keyOfKey(r.DeleteRequest.Key); err != nil {
					return err
				}
				id := strings.Join(k.keyParts(), "\x00\x01")
				if seen[id] {
					return validation("Provided list of item keys contains duplicates")
				}
				seen[id] = true
				ops = append(ops, op{k, it})
			}
			for _, o := range ops {
				old, err := getItem(tx, sc, t, o.k)
				if err != nil {
					return err
				}
				if o.it == nil && old == nil {
					continue
				}
				if err := s.write(tx, sc, t, o.k, old, o.it, nil, now); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.BatchWriteItemOutput{UnprocessedItems: map[string][]dynamodbapi.WriteRequest{}}, nil
}

// TransactGetItems reads up to 100 items in one consistent view.
func (s *DynamoDB) TransactGetItems(ctx *request.Context, in *dynamodbapi.TransactGetItemsInput) (*dynamodbapi.TransactGetItemsOutput, error) {
	var keyed []string
	for _, ti := range in.TransactItems {
		if ti.Get != nil {
			keyed = append(keyed, ptr.Deref(ti.Get.TableName))
		}
	}
	if err := s.checkTableKeys(ctx, keyed...); err != nil {
		return nil, err
	}
	if len(in.TransactItems) > 100 {
		return nil, validation("1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length less than or equal to 100")
	}
	paths := make([][]expr.Path, len(in.TransactItems))
	for i, ti := range in.TransactItems {
		if ti.Get == nil {
			return nil, validation("TransactGetItem must contain a Get")
		}
		env, err := newEnv(exprParams{names: ti.Get.ExpressionAttributeNames, used: present("ProjectionExpression", ti.Get.ProjectionExpression)})
		if err != nil {
			return nil, err
		}
		if paths[i], err = projectionPaths(ti.Get.ProjectionExpression, nil, env); err != nil {
			return nil, err
		}
		if err := env.CheckUnused(); err != nil {
			return nil, exprErr(err)
		}
		if err := validateItem(ti.Get.Key); err != nil {
			return nil, err
		}
	}
	sc := scopeOf(ctx)
	out := &dynamodbapi.TransactGetItemsOutput{Responses: make([]dynamodbapi.ItemResponse, len(in.TransactItems))}
	err := s.store.View(func(tx storage.Tx) error {
		seen := map[string]bool{}
		// A key that does not fit its table fails that action: AWS reports
		// it as a cancellation reason (ValidationError), not as a request
		// error.
		reasons := make([]dynamodbapi.CancellationReason, len(in.TransactItems))
		failed := false
		keys := make([]itemKey, len(in.TransactItems))
		tabs := make([]*tableRecord, len(in.TransactItems))
		for i, ti := range in.TransactItems {
			reasons[i] = dynamodbapi.CancellationReason{Code: ptr.To("None")}
			t, err := s.loadTable(tx, sc, tableName(ti.Get.TableName))
			if err != nil {
				return err
			}
			k, err := t.keyOfKey(ti.Get.Key)
			if err != nil {
				var ae *awserr.Error
				if !errors.As(err, &ae) || ae.Code.Code != awserr.ValidationException.Code {
					return err
				}
				reasons[i] = dynamodbapi.CancellationReason{Code: ptr.To("ValidationError"), Message: ptr.To(ae.Message)}
				failed = true
				continue
			}
			keys[i], tabs[i] = k, t
		}
		if failed {
			codes := make([]string, len(reasons))
			for i, r := range reasons {
				codes[i] = *r.Code
			}
			return dynamodbapi.ErrTransactionCanceledException.New("Transaction cancelled, please refer cancellation reasons for specific reasons [%s]", strings.Join(codes, ", ")).
				With("CancellationReasons", s.conv.ToDynamic(&struct {
					R []dynamodbapi.CancellationReason `aws:"R"`
				}{reasons})["R"])
		}
		for i := range in.TransactItems {
			t, k := tabs[i], keys[i]
			id := t.Name + "\x00\x02" + strings.Join(k.keyParts(), "\x00\x01")
			if seen[id] {
				return validation("Transaction request cannot include multiple operations on one item")
			}
			seen[id] = true
			it, err := getItem(tx, sc, t, k)
			if err != nil {
				return err
			}
			out.Responses[i] = dynamodbapi.ItemResponse{Item: project(it, paths[i])}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// txOp is one prepared TransactWriteItems action.
type txOp struct {
	table string
	key   Item
	put   Item
	del   bool
	upd   *expr.Update
	cond  expr.Cond
	rv    *string
	// failCode and failMsg replace ConditionalCheckFailed as the
	// cancellation reason when cond fails (PartiQL INSERT: DuplicateItem).
	failCode, failMsg string
}

// TransactWriteItems applies up to 100 actions atomically, or none of them
// with TransactionCanceledException and a reason per action. A
// ClientRequestToken makes the call idempotent for ten minutes.
func (s *DynamoDB) TransactWriteItems(ctx *request.Context, in *dynamodbapi.TransactWriteItemsInput) (*dynamodbapi.TransactWriteItemsOutput, error) {
	var keyed []string
	for _, ti := range in.TransactItems {
		switch {
		case ti.Put != nil:
			keyed = append(keyed, ptr.Deref(ti.Put.TableName))
		case ti.Update != nil:
			keyed = append(keyed, ptr.Deref(ti.Update.TableName))
		case ti.Delete != nil:
			keyed = append(keyed, ptr.Deref(ti.Delete.TableName))
		case ti.ConditionCheck != nil:
			keyed = append(keyed, ptr.Deref(ti.ConditionCheck.TableName))
		}
	}
	if err := s.checkTableKeys(ctx, keyed...); err != nil {
		return nil, err
	}
	if len(in.TransactItems) > 100 {
		return nil, validation("Member must have length less than or equal to 100")
	}
	idem, err := newIdemKey("TransactWriteItems", in.ClientRequestToken, func() any {
		c := *in
		c.ClientRequestToken = nil
		return &c
	})
	if err != nil {
		return nil, err
	}
	ops, err := s.prepareTransactWrite(in.TransactItems)
	if err != nil {
		return nil, err
	}
	if err := s.runTransactWrite(ctx, ops, idem); err != nil {
		return nil, err
	}
	return &dynamodbapi.TransactWriteItemsOutput{}, nil
}

// prepareTransactWrite parses and checks the actions of a write transaction.
func (s *DynamoDB) prepareTransactWrite(items []dynamodbapi.TransactWriteItem) ([]txOp, error) {
	ops := make([]txOp, len(items))
	for i, ti := range items {
		var err error
		switch {
		case ti.Put != nil:
			p := ti.Put
			ops[i] = txOp{table: tableName(p.TableName), put: p.Item, rv: p.ReturnValuesOnConditionCheckFailure}
			if err = validateItem(p.Item); err == nil {
				ops[i].cond, err = s.writeCondition(p.ConditionExpression, nil, nil, p.ExpressionAttributeNames, p.ExpressionAttributeValues)
			}
		case ti.Delete != nil:
			d := ti.Delete
			ops[i] = txOp{table: tableName(d.TableName), key: d.Key, del: true, rv: d.ReturnValuesOnConditionCheckFailure}
			if err = validateItem(d.Key); err == nil {
				ops[i].cond, err = s.writeCondition(d.ConditionExpression, nil, nil, d.ExpressionAttributeNames, d.ExpressionAttributeValues)
			}
		case ti.ConditionCheck != nil:
			c := ti.ConditionCheck
			ops[i] = txOp{table: tableName(c.TableName), key: c.Key, rv: c.ReturnValuesOnConditionCheckFailure}
			if err = validateItem(c.Key); err == nil {
				ops[i].cond, err = s.writeCondition(c.ConditionExpression, nil, nil, c.ExpressionAttributeNames, c.ExpressionAttributeValues)
			}
		case ti.Update != nil:
			u := ti.Update
			ops[i] = txOp{table: tableName(u.TableName), key: u.Key, rv: u.ReturnValuesOnConditionCheckFailure}
			if err = validateItem(u.Key); err != nil {
				break
			}
			var env *expr.Env
			env, err = newEnv(exprParams{names: u.ExpressionAttributeNames, values: u.ExpressionAttributeValues, used: present("UpdateExpression", u.UpdateExpression, "ConditionExpression", u.ConditionExpression)})
			if err != nil {
				break
			}
			if u.UpdateExpression == nil {
				err = validation("1 validation error detected: Value null at 'transactItems.%d.member.update.updateExpression' failed to satisfy constraint: Member must not be null", i+1)
				break
			}
			if ops[i].upd, err = parseUpdate(u.UpdateExpression, nil, env); err != nil {
				break
			}
			if u.ConditionExpression != nil {
				if ops[i].cond, err = expr.ParseCondition(expr.KindCondition, *u.ConditionExpression, env); err != nil {
					err = exprErr(err)
					break
				}
			}
			err = exprErr(env.CheckUnused())
		default:
			err = validation("TransactItems can only contain one of Check, Put, Update or Delete")
		}
		if err != nil {
			return nil, err
		}
	}
	return ops, nil
}

// runTransactWrite applies prepared actions atomically. With an idempotency
// key, a repeat of the same request within the window succeeds without
// writing again, and the token is recorded in the same transaction as the
// writes.
func (s *DynamoDB) runTransactWrite(ctx *request.Context, ops []txOp, idem *idemKey) error {
	sc := scopeOf(ctx)
	now := ctx.Now()
	return s.store.Update(func(tx storage.Tx) error {
		if idem != nil {
			replay, err := idem.check(tx, sc, now)
			if err != nil || replay {
				return err
			}
		}
		type staged struct {
			t       *tableRecord
			k       itemKey
			old, nw Item
			write   bool
		}
		stages := make([]staged, len(ops))
		reasons := make([]dynamodbapi.CancellationReason, len(ops))
		failed := false
		seen := map[string]bool{}
		for i, o := range ops {
			reasons[i] = dynamodbapi.CancellationReason{Code: ptr.To("None")}
			t, err := s.loadTable(tx, sc, o.table)
			if err != nil {
				return err
			}
			var k itemKey
			if o.put != nil {
				k, err = t.keyOfItem(o.put)
			} else {
				k, err = t.keyOfKey(o.key)
			}
			if err != nil {
				return err
			}
			id := t.Name + "\x00" + strings.Join(k.keyParts(), "\x00\x01")
			if seen[id] {
				return validation("Transaction request cannot include multiple operations on one item")
			}
			seen[id] = true
			old, err := getItem(tx, sc, t, k)
			if err != nil {
				return err
			}
			st := staged{t: t, k: k, old: old}
			if o.cond != nil && !o.cond.Eval(old) {
				failed = true
				reasons[i] = dynamodbapi.CancellationReason{Code: ptr.To("ConditionalCheckFailed"), Message: ptr.To("The conditional request failed")}
				if o.failCode != "" {
					reasons[i] = dynamodbapi.CancellationReason{Code: ptr.To(o.failCode), Message: ptr.To(o.failMsg)}
				}
				if ptr.Deref(o.rv) == "ALL_OLD" && old != nil {
					reasons[i].Item = old
				}
				continue
			}
			switch {
			case o.put != nil:
				if err := t.checkIndexKeys(o.put); err != nil {
					return err
				}
				if err := checkSize(o.put); err != nil {
					return err
				}
				st.nw, st.write = o.put, true
			case o.del:
				st.write = old != nil
			case o.upd != nil:
				for _, pa := range o.upd.UpdatedPaths() {
					for _, kn := range t.keyNames() {
						if pa[0].Name == kn {
							return validation("One or more parameter values were invalid: Cannot update attribute %s. This attribute is part of the key", kn)
						}
					}
				}
				base := old
				if base == nil {
					base = expr.CloneItem(k.keyAttrs())
				}
				nw, err := o.upd.Apply(base)
				if err != nil {
					return exprErr(err)
				}
				if err := checkSize(nw); err != nil {
					return err
				}
				st.nw, st.write = nw, true
			}
			stages[i] = st
		}
		if failed {
			codes := make([]string, len(reasons))
			for i, r := range reasons {
				codes[i] = *r.Code
			}
			return dynamodbapi.ErrTransactionCanceledException.New("Transaction cancelled, please refer cancellation reasons for specific reasons [%s]", strings.Join(codes, ", ")).
				With("CancellationReasons", s.conv.ToDynamic(&struct {
					R []dynamodbapi.CancellationReason `aws:"R"`
				}{reasons})["R"])
		}
		for _, st := range stages {
			if st.write {
				if err := s.write(tx, sc, st.t, st.k, st.old, st.nw, nil, now); err != nil {
					return err
				}
			}
		}
		if idem != nil {
			return idem.record(tx, sc, now)
		}
		return nil
	})
}
