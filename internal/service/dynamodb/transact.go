package dynamodb

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// idemWindow is how long a ClientRequestToken makes a transaction
// idempotent.
const idemWindow = 10 * time.Minute

// txTokens holds, per account and region, the ClientRequestTokens of the
// write transactions of the last ten minutes:
//
//	txtoken/<token>   tokenRecord
//
// An expired record counts as absent and is overwritten by the next use of
// its token.
var txTokens = storage.NewTable[tokenRecord]("txtoken")

type tokenRecord struct {
	// Hash identifies the request (operation and every parameter but the
	// token).
	Hash    string    `json:"h"`
	Expires time.Time `json:"e"`
}

// idemKey is a request's token and its identity.
type idemKey struct {
	token, hash string
}

// newIdemKey returns nil without a token. body returns the request without
// its token, whose JSON identifies the request.
func newIdemKey(op string, token *string, body func() any) (*idemKey, error) {
	if token == nil {
		return nil, nil
	}
	if len(*token) < 1 || len(*token) > 36 {
		return nil, validation("1 validation error detected: Value '%s' at 'clientRequestToken' failed to satisfy constraint: Member must have length less than or equal to 36, Member must have length greater than or equal to 1", *token)
	}
	b, err := json.Marshal(body())
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(append([]byte(op+"\x00"), b...))
	return &idemKey{token: *token, hash: hex.EncodeToString(sum[:])}, nil
}

// check reports whether the request repeats one already applied within the
// window, or fails if the token was used by a different request.
func (k *idemKey) check(tx storage.Tx, sc storage.Scope, now time.Time) (bool, error) {
	rec, ok, err := txTokens.Get(tx, sc, k.token)
	if err != nil || !ok || !now.Before(rec.Expires) {
		return false, err
	}
	if rec.Hash != k.hash {
		return false, dynamodbapi.ErrIdempotentParameterMismatchException.New("The request uses the same client token as a previous, but non-identical request.")
	}
	return true, nil
}

// record stores the token; called in the transaction of the writes.
func (k *idemKey) record(tx storage.Tx, sc storage.Scope, now time.Time) error {
	return txTokens.Put(tx, sc, tokenRecord{Hash: k.hash, Expires: now.Add(idemWindow)}, k.token)
}

// ExecuteTransaction runs up to 100 PartiQL statements as one transaction:
// all reads (a TransactGetItems) or all writes (a TransactWriteItems, all
// or nothing with a cancellation reason per statement).
func (s *DynamoDB) ExecuteTransaction(ctx *request.Context, in *dynamodbapi.ExecuteTransactionInput) (*dynamodbapi.ExecuteTransactionOutput, error) {
	if len(in.TransactStatements) == 0 || len(in.TransactStatements) > 100 {
		return nil, validation("1 validation error detected: Value at 'transactStatements' failed to satisfy constraint: Member must have length less than or equal to 100, Member must have length greater than or equal to 1")
	}
	idem, err := newIdemKey("ExecuteTransaction", in.ClientRequestToken, func() any {
		c := *in
		c.ClientRequestToken = nil
		return &c
	})
	if err != nil {
		return nil, err
	}
	parsed := make([]*pqStmt, len(in.TransactStatements))
	reads := 0
	for i, ps := range in.TransactStatements {
		src, err := checkStatement(ps.Statement)
		if err != nil {
			return nil, err
		}
		if parsed[i], err = parsePartiQL(src, ps.Parameters); err != nil {
			return nil, err
		}
		if parsed[i].kind == "SELECT" {
			reads++
		}
	}
	if reads > 0 && reads < len(parsed) {
		return nil, validation("Transaction must consist of either all read statements or all write statements")
	}
	tables := map[string]*tableRecord{}
	for _, st := range parsed {
		if tables[st.table] == nil {
			t, err := s.loadTableView(ctx, st.table)
			if err != nil {
				return nil, err
			}
			tables[st.table] = t
		}
	}
	if reads > 0 {
		gets := make([]dynamodbapi.TransactGetItem, len(parsed))
		for i, st := range parsed {
			if gets[i], err = txGet(tables[st.table], st); err != nil {
				return nil, err
			}
		}
		out, err := s.TransactGetItems(ctx, &dynamodbapi.TransactGetItemsInput{TransactItems: gets})
		if err != nil {
			return nil, err
		}
		return &dynamodbapi.ExecuteTransactionOutput{Responses: out.Responses}, nil
	}
	writes := make([]dynamodbapi.TransactWriteItem, len(parsed))
	for i, st := range parsed {
		if writes[i], err = txWrite(tables[st.table], st, in.TransactStatements[i].ReturnValuesOnConditionCheckFailure); err != nil {
			return nil, err
		}
	}
	ops, err := s.prepareTransactWrite(writes)
	if err != nil {
		return nil, err
	}
	for i, st := range parsed {
		if st.kind == "INSERT" {
			ops[i].failCode, ops[i].failMsg = "DuplicateItem", "Duplicate primary key exists in table"
		}
	}
	if err := s.runTransactWrite(ctx, ops, idem); err != nil {
		return nil, err
	}
	return &dynamodbapi.ExecuteTransactionOutput{}, nil
}

// txGet translates a SELECT of a transaction, which must name one item by
// its full primary key and nothing else, to a Get.
func txGet(t *tableRecord, st *pqStmt) (dynamodbapi.TransactGetItem, error) {
	if st.index != "" {
		return dynamodbapi.TransactGetItem{}, validation("Transaction reads cannot use an index: %s", st.index)
	}
	key, rest, err := splitKey(t, st.where)
	if err != nil {
		return dynamodbapi.TransactGetItem{}, err
	}
	if len(rest) > 0 {
		return dynamodbapi.TransactGetItem{}, validation("Select statements within a transaction must specify the full primary key with equality conditions only")
	}
	r := newRender()
	var proj []string
	for _, pa := range st.proj {
		proj = append(proj, r.path(pa))
	}
	name := st.table
	return dynamodbapi.TransactGetItem{Get: &dynamodbapi.Get{TableName: &name, Key: key,
		ProjectionExpression: r.opt(strings.Join(proj, ", ")), ExpressionAttributeNames: r.namesOrNil()}}, nil
}

// txWrite translates an INSERT, UPDATE or DELETE of a transaction to the
// TransactWriteItems action ExecuteStatement would perform.
func txWrite(t *tableRecord, st *pqStmt, rvFail *string) (dynamodbapi.TransactWriteItem, error) {
	if st.returning != "" {
		return dynamodbapi.TransactWriteItem{}, validation("RETURNING is not supported within a transaction")
	}
	name := st.table
	r := newRender()
	switch st.kind {
	case "INSERT":
		cond := "attribute_not_exists(" + r.name(t.Hash) + ")"
		return dynamodbapi.TransactWriteItem{Put: &dynamodbapi.Put{TableName: &name, Item: st.item.M, ConditionExpression: &cond,
			ExpressionAttributeNames: r.names, ReturnValuesOnConditionCheckFailure: rvFail}}, nil
	case "UPDATE":
		key, rest, err := splitKey(t, st.where)
		if err != nil {
			return dynamodbapi.TransactWriteItem{}, err
		}
		ue, err := r.updateExpr(st)
		if err != nil {
			return dynamodbapi.TransactWriteItem{}, err
		}
		cond := "attribute_exists(" + r.name(t.Hash) + ")"
		if c := andAll(rest); c != nil {
			rc, err := r.cond(c)
			if err != nil {
				return dynamodbapi.TransactWriteItem{}, err
			}
			cond += " AND (" + rc + ")"
		}
		return dynamodbapi.TransactWriteItem{Update: &dynamodbapi.Update{TableName: &name, Key: key, UpdateExpression: &ue, ConditionExpression: &cond,
			ExpressionAttributeNames: r.namesOrNil(), ExpressionAttributeValues: r.valuesOrNil(), ReturnValuesOnConditionCheckFailure: rvFail}}, nil
	case "DELETE":
		key, rest, err := splitKey(t, st.where)
		if err != nil {
			return dynamodbapi.TransactWriteItem{}, err
		}
		d := &dynamodbapi.Delete{TableName: &name, Key: key, ReturnValuesOnConditionCheckFailure: rvFail}
		if c := andAll(rest); c != nil {
			rc, err := r.cond(c)
			if err != nil {
				return dynamodbapi.TransactWriteItem{}, err
			}
			d.ConditionExpression = ptr.To("attribute_not_exists(" + r.name(t.Hash) + ") OR (" + rc + ")")
			d.ExpressionAttributeNames, d.ExpressionAttributeValues = r.namesOrNil(), r.valuesOrNil()
		}
		return dynamodbapi.TransactWriteItem{Delete: d}, nil
	}
	return dynamodbapi.TransactWriteItem{}, awserr.ValidationException.New("Unsupported statement in a transaction: %s", st.kind)
}
