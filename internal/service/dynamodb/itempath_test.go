package dynamodb

import (
	"strings"
	"sync/atomic"
	"testing"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	kmsseam "github.com/niwa-cloud/niwa/internal/kms"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/servicetest"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// txCounter counts the transactions a service opens.
type txCounter struct {
	storage.Store
	views, updates atomic.Int64
}

func (c *txCounter) View(fn func(storage.Tx) error) error {
	c.views.Add(1)
	return c.Store.View(fn)
}

func (c *txCounter) Update(fn func(storage.Tx) error) error {
	c.updates.Add(1)
	return c.Store.Update(fn)
}

// fakeKeys is KMS as DynamoDB sees it: one symmetric key whose state a
// test sets, and a count of the key lookups.
type fakeKeys struct {
	kmsseam.DataKeys
	state  atomic.Value // string
	lookup atomic.Int64
}

const fakeKeyARN = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"

func (f *fakeKeys) Key(_ *request.Context, _ string) (kmsseam.Key, error) {
	f.lookup.Add(1)
	return kmsseam.Key{ARN: fakeKeyARN, State: f.state.Load().(string), Spec: "SYMMETRIC_DEFAULT", Usage: "ENCRYPT_DECRYPT"}, nil
}

func newKeyedService(t *testing.T) (*DynamoDB, *txCounter, *fakeKeys, *request.Context) {
	t.Helper()
	h := servicetest.New(t, "dynamodb", servicetest.At(t0))
	keys := &fakeKeys{}
	keys.state.Store("Enabled")
	store := &txCounter{Store: h.Store()}
	svc := New(store, h.Clock, Options{DataKeys: keys})
	t.Cleanup(func() { _ = svc.Close() })
	return svc, store, keys, h.Ctx()
}

// TestItemOpsReadTheTableOnce: with KMS wired, the item operations
// (PutItem, GetItem, Query, Scan, UpdateItem, DeleteItem) on a table without a KMS key open one transaction each and ask
// KMS nothing (the key check used to read the table in a transaction of
// its own); on a table with a key they ask KMS on every request, and the
// very next request after the key is disabled or enabled sees it.
func TestItemOpsReadTheTableOnce(t *testing.T) {
	svc, store, keys, ctx := newKeyedService(t)
	createTable(t, svc, ctx, "plain", "")
	encIn := &dynamodbapi.CreateTableInput{
		TableName: ptr.To("enc"), BillingMode: ptr.To("PAY_PER_REQUEST"),
		AttributeDefinitions: []dynamodbapi.AttributeDefinition{{AttributeName: ptr.To("pk"), AttributeType: ptr.To("S")}, {AttributeName: ptr.To("sk"), AttributeType: ptr.To("N")}},
		KeySchema:            []dynamodbapi.KeySchemaElement{{AttributeName: ptr.To("pk"), KeyType: ptr.To("HASH")}, {AttributeName: ptr.To("sk"), KeyType: ptr.To("RANGE")}},
		SSESpecification:     &dynamodbapi.SSESpecification{Enabled: ptr.To(true), SSEType: ptr.To("KMS"), KMSMasterKeyId: ptr.To(fakeKeyARN)},
	}
	if _, err := svc.CreateTable(ctx, encIn); err != nil {
		t.Fatal(err)
	}
	item := Item{"pk": s("p"), "sk": n("1"), "v": s("x")}
	key := Item{"pk": s("p"), "sk": n("1")}
	ops := []struct {
		name           string
		views, updates int64
		call           func(table string) error
	}{
		{"PutItem", 0, 1, func(table string) error {
			_, err := svc.PutItem(ctx, &dynamodbapi.PutItemInput{TableName: ptr.To(table), Item: item})
			return err
		}},
		{"GetItem", 1, 0, func(table string) error {
			out, err := svc.GetItem(ctx, &dynamodbapi.GetItemInput{TableName: ptr.To(table), Key: key})
			if err == nil && out.Item["v"].S == nil {
				t.Errorf("GetItem %s: item %v", table, out.Item)
			}
			return err
		}},
		{"Query", 1, 0, func(table string) error {
			out, err := svc.Query(ctx, &dynamodbapi.QueryInput{TableName: ptr.To(table), KeyConditionExpression: ptr.To("pk = :p"),
				ExpressionAttributeValues: Item{":p": s("p")}})
			if err == nil && *out.Count != 1 {
				t.Errorf("Query %s: count %d", table, *out.Count)
			}
			return err
		}},
		{"Scan", 1, 0, func(table string) error {
			out, err := svc.Scan(ctx, &dynamodbapi.ScanInput{TableName: ptr.To(table)})
			if err == nil && *out.Count != 1 {
				t.Errorf("Scan %s: count %d", table, *out.Count)
			}
			return err
		}},
		{"UpdateItem", 0, 1, func(table string) error {
			_, err := svc.UpdateItem(ctx, &dynamodbapi.UpdateItemInput{TableName: ptr.To(table), Key: key,
				UpdateExpression: ptr.To("SET w = :w"), ExpressionAttributeValues: Item{":w": s("y")}})
			return err
		}},
		{"DeleteItem", 0, 1, func(table string) error {
			_, err := svc.DeleteItem(ctx, &dynamodbapi.DeleteItemInput{TableName: ptr.To(table), Key: key})
			return err
		}},
	}
	for _, op := range ops {
		v0, u0, k0 := store.views.Load(), store.updates.Load(), keys.lookup.Load()
		if err := op.call("plain"); err != nil {
			t.Fatalf("%s: %v", op.name, err)
		}
		if v, u, k := store.views.Load()-v0, store.updates.Load()-u0, keys.lookup.Load()-k0; v != op.views || u != op.updates || k != 0 {
			t.Errorf("%s on a table without a KMS key: %d views, %d updates, %d key lookups; want %d, %d, 0", op.name, v, u, k, op.views, op.updates)
		}
	}
	for _, state := range []string{"Enabled", "Disabled", "Enabled"} {
		keys.state.Store(state)
		for _, op := range ops {
			k0 := keys.lookup.Load()
			err := op.call("enc")
			if keys.lookup.Load() == k0 {
				t.Errorf("%s (key %s): KMS was not asked", op.name, state)
			}
			switch {
			case state == "Enabled" && err != nil:
				t.Errorf("%s (key enabled): %v", op.name, err)
			case state == "Disabled" && (err == nil || !strings.Contains(err.Error(), "DisabledException")):
				t.Errorf("%s (key disabled): %v, want the KMS error", op.name, err)
			}
		}
	}
}

// TestItemKeyAllocations: an item's key is its encoded parts; the map of
// its key attributes is made only when a stream record or an update of a
// new item reads it (GetItem's key is the Key parameter itself).
func TestItemKeyAllocations(t *testing.T) {
	svc, _, ctx := newTestService(t)
	createTable(t, svc, ctx, "t", "")
	var tr *tableRecord
	if err := svc.store.View(func(tx storage.Tx) (err error) {
		tr, err = svc.loadTable(tx, scopeOf(ctx), "t")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	item := Item{"pk": s("p"), "sk": n("1"), "v": s("x")}
	key := Item{"pk": s("p"), "sk": n("1")}
	for name, fn := range map[string]func() (itemKey, error){
		"keyOfKey":  func() (itemKey, error) { return tr.keyOfKey(key) },
		"keyOfItem": func() (itemKey, error) { return tr.keyOfItem(item) },
	} {
		k, err := fn()
		if err != nil {
			t.Fatal(err)
		}
		if got := k.keyAttrs(); len(got) != 2 || *got["pk"].S != "p" || *got["sk"].N != "1" {
			t.Errorf("%s: key attributes %v", name, got)
		}
		// A number's sortable key, made in one; the parts are an array (the map of the
		// key attributes was three more).
		if a := testing.AllocsPerRun(100, func() { _, _ = fn() }); a > 1 {
			t.Errorf("%s: %v allocations, want at most 1", name, a)
		}
	}
}
