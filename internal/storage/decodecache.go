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
	// parts is the key split (SplitKey), once List has needed it.
	parts []string
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
	v, err := c.decode(k, data)
	if err != nil {
		return v, true, fmt.Errorf("storage: table %s: decode %q: %w", c.table.name, key, err)
	}
	return v, true, nil
}

// List is table.List through the cache: each record listed is decoded,
// and its key split, once per stored version. fn must not modify the
// key it is given either.
func (c *DecodeCache[T]) List(tx Tx, sc Scope, prefix []string, opts ListOptions, fn func(key []string, v T) bool) error {
	p := c.table.Key(sc, prefix...)
	if opts.Partial != "" {
		p = PartPrefix(p, opts.Partial)
	}
	so := ScanOptions{Reverse: opts.Reverse, Limit: opts.Limit}
	if opts.After != nil {
		so.Start, so.Exclusive = c.table.Key(sc, opts.After...), true
	}
	var ferr error
	err := tx.Scan(p, so, func(k, data []byte) bool {
		c.mu.Lock()
		e, hit := c.m[string(k)]
		c.mu.Unlock()
		if hit && e.parts != nil && e.raw == string(data) {
			return fn(e.parts[3:], e.v)
		}
		parts, err := SplitKey(k)
		if err != nil || len(parts) < 3 {
			ferr = fmt.Errorf("storage: table %s: bad key %x: %w", c.table.name, k, ErrMalformedKey)
			return false
		}
		v, err := c.decode(k, data)
		if err != nil {
			ferr = fmt.Errorf("storage: table %s: decode %q: %w", c.table.name, parts[3:], err)
			return false
		}
		c.mu.Lock()
		if e, ok := c.m[string(k)]; ok && e.raw == string(data) {
			e.parts = parts
			c.m[string(k)] = e
		}
		c.mu.Unlock()
		return fn(parts[3:], v)
	})
	if err != nil {
		return err
	}
	return ferr
}

// decode returns the cached decoding of the record stored at k as data,
// decoding and caching it when data is not what was cached.
func (c *DecodeCache[T]) decode(k, data []byte) (T, error) {
	c.mu.Lock()
	e, hit := c.m[string(k)]
	c.mu.Unlock()
	if hit && e.raw == string(data) {
		return e.v, nil
	}
	var v T
	if err := DecodeRecord(data, &v); err != nil {
		return v, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= c.max {
		c.m = map[string]decoded[T]{}
	}
	c.m[string(k)] = decoded[T]{raw: string(data), v: v}
	c.mu.Unlock()
	return v, nil
}
