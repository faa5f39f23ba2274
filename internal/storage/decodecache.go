package storage

import (
	"fmt"
	"slices"
	"sync"
)

// DecodeCache memoizes the decoding of a Table's records: a record read on
// every request (a DynamoDB table's description, read by each item
// operation) is decoded once per stored version instead of once per read.
// The stored bytes are the cache key's version, so the cache is a pure
// function of what is stored: it can never return a value other than
// decoding the bytes read would, whatever transactions commit or roll
// back.
//
// The values returned share what they reference (slices, maps, pointers)
// with the cache: callers may change the returned value's own fields but
// must not modify anything it references. Use it only where reads are
// read-only; mutate records read with Table.Get.
//
// A DecodeCache belongs to one service instance (never a package
// variable) and is safe for concurrent use.
type DecodeCache[T any] struct {
	table Table[T]
	max   int

	mu sync.Mutex
	m  map[string]decoded[T]
}

type decoded[T any] struct {
	raw string
	v   T
}

// NewDecodeCache caches up to max records of table (then starts over).
func NewDecodeCache[T any](table Table[T], max int) *DecodeCache[T] {
	return &DecodeCache[T]{table: table, max: max}
}

// Get is table.Get through the cache.
func (c *DecodeCache[T]) Get(tx Tx, sc Scope, key ...string) (T, bool, error) {
	k := c.table.Key(sc, key...)
	// A hit only compares the stored bytes with the cached version, so it
	// reads them in place; a miss decodes a copy.
	var data []byte
	var ok bool
	if t, isTxn := tx.(*txn); isTxn {
		data, ok = t.peek(k)
	} else {
		data, ok = tx.Get(k)
	}
	if !ok {
		var zero T
		return zero, false, nil
	}
	c.mu.Lock()
	e, hit := c.m[string(k)]
	c.mu.Unlock()
	if hit && e.raw == string(data) {
		return e.v, true, nil
	}
	return c.miss(k, clone(data), slices.Clone(key))
}

// miss decodes and caches a record Get did not find in the cache. It is
// apart so that Get's result and key arguments stay on its caller's
// stack (decoding and the error message take their addresses).
func (c *DecodeCache[T]) miss(k, data []byte, key []string) (T, bool, error) {
	var v T
	if err := DecodeRecord(data, &v); err != nil {
		return v, true, fmt.Errorf("storage: table %s: decode %q: %w", c.table.name, key, err)
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= c.max {
		c.m = map[string]decoded[T]{}
	}
	c.m[string(k)] = decoded[T]{raw: string(data), v: v}
	c.mu.Unlock()
	return v, true, nil
}
