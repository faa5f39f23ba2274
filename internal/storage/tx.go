package storage

import (
	"bytes"
	"fmt"
)

// rawTx is what a backend must provide. Everything with rules in it —
// argument checks, copying, read-only enforcement, use-after-close, and the
// range arithmetic of Scan — lives once in txn, so the backends cannot
// disagree on semantics.
type rawTx interface {
	// get returns a copy owned by the caller.
	get(key []byte) ([]byte, bool)
	// peek returns the stored value itself, not a copy: the caller reads
	// it before the transaction's next write and must not modify or keep
	// it.
	peek(key []byte) ([]byte, bool)
	// put may retain key and value: txn passes private copies, in one
	// buffer, the value right after the key (ownedPair).
	put(key, value []byte) error
	// swap is put answering the value key held before (a copy owned by
	// the caller) and whether it held one.
	swap(key, value []byte) ([]byte, bool, error)
	del(key []byte) error
	// collect appends to out, as caller-owned copies, at most n pairs in
	// key order (descending if reverse). It begins at from — including
	// from itself only if incl — or, when from is nil, at the first (last)
	// key, and stops at the first key that does not start with prefix.
	collect(out []kv, prefix, from []byte, incl, reverse bool, n int) []kv
}

type kv struct{ k, v []byte }

// ownedPair copies a key and value into one allocation; the key is capped so
// that appending to it cannot overwrite the value.
func ownedPair(k, v []byte) kv {
	buf := make([]byte, len(k)+len(v))
	copy(buf, k)
	copy(buf[len(k):], v)
	return kv{k: buf[:len(k):len(k)], v: buf[len(k):]}
}

func clone(b []byte) []byte {
	out := make([]byte, len(b))
	copy(out, b)
	return out
}

// Scan batches: small first so that Limit-1 lookups and early stops copy
// little, growing so long scans amortize the re-seek between batches.
const (
	firstBatch = 16
	maxBatch   = 1024
)

type txn struct {
	raw      rawTx
	writable bool
	done     bool
}

var _ Tx = (*txn)(nil)

func (t *txn) close() { t.done = true }

func (t *txn) Get(key []byte) ([]byte, bool) {
	if t.done || len(key) == 0 {
		return nil, false
	}
	return t.raw.get(key)
}

// peek is Get without the copy, for a caller that only reads the value
// before its transaction's next write (rawTx.peek).
func (t *txn) peek(key []byte) ([]byte, bool) {
	if t.done || len(key) == 0 {
		return nil, false
	}
	return t.raw.peek(key)
}

func (t *txn) Put(key, value []byte) error {
	if err := t.writeCheck(key); err != nil {
		return err
	}
	if len(value) > MaxValueSize {
		return fmt.Errorf("%w: %d bytes", ErrValueTooLarge, len(value))
	}
	p := ownedPair(key, value)
	return t.raw.put(p.k, p.v)
}

// Swapper is a Tx that can also replace a value and answer the old one
// in one lookup (every Tx of this package): a caller that reads a key
// only to overwrite it (a DynamoDB PutItem reads the item it replaces)
// saves the store's second search. It asserts a Tx to it and falls back
// to Get and Put when the assertion fails.
type Swapper interface {
	// Swap is Put answering what Get would have answered just before
	// it: the value key held (the caller's to keep or modify) and
	// whether it held one.
	Swap(key, value []byte) (old []byte, existed bool, err error)
}

var _ Swapper = (*txn)(nil)

// Swap implements Swapper.
func (t *txn) Swap(key, value []byte) ([]byte, bool, error) {
	if err := t.writeCheck(key); err != nil {
		return nil, false, err
	}
	if len(value) > MaxValueSize {
		return nil, false, fmt.Errorf("%w: %d bytes", ErrValueTooLarge, len(value))
	}
	p := ownedPair(key, value)
	return t.raw.swap(p.k, p.v)
}

func (t *txn) Delete(key []byte) error {
	if err := t.writeCheck(key); err != nil {
		return err
	}
	return t.raw.del(clone(key))
}

func (t *txn) writeCheck(key []byte) error {
	switch {
	case t.done:
		return ErrTxClosed
	case !t.writable:
		return ErrReadOnly
	case len(key) == 0:
		return ErrKeyRequired
	case len(key) > MaxKeySize:
		return fmt.Errorf("%w: %d bytes", ErrKeyTooLarge, len(key))
	}
	return nil
}

// Scan reads in batches and re-seeks after the last key of each batch
// instead of holding a live cursor across fn. That is what makes writes from
// fn safe: neither btree iteration nor a bbolt cursor tolerates the tree
// changing underneath it.
func (t *txn) Scan(prefix []byte, opts ScanOptions, fn func(key, value []byte) bool) error {
	if t.done {
		return ErrTxClosed
	}
	end := prefixEnd(prefix)
	start := opts.Start
	var from []byte
	incl := true
	if !opts.Reverse {
		from = prefix
		if len(start) > 0 && bytes.Compare(start, prefix) >= 0 {
			from, incl = start, !opts.Exclusive
		}
		if end != nil && bytes.Compare(from, end) >= 0 {
			return nil
		}
		if len(from) == 0 {
			from = nil
		}
	} else {
		// Begin just below the end of the prefix range (nil: at the very
		// last key), or at Start when Start falls inside the range.
		from, incl = end, false
		if len(start) > 0 {
			if bytes.Compare(start, prefix) < 0 {
				return nil
			}
			if end == nil || bytes.Compare(start, end) < 0 {
				from, incl = start, !opts.Exclusive
			}
		}
	}

	seen, batch := 0, firstBatch
	var buf []kv
	for {
		want := batch
		if opts.Limit > 0 && opts.Limit-seen < want {
			want = opts.Limit - seen
		}
		buf = t.raw.collect(buf[:0], prefix, from, incl, opts.Reverse, want)
		if len(buf) == 0 {
			return nil
		}
		// fn owns the keys it is given and may modify them, so the resume
		// position is a private copy taken before fn sees them.
		last := clone(buf[len(buf)-1].k)
		for _, p := range buf {
			if !fn(p.k, p.v) {
				return nil
			}
			seen++
		}
		if len(buf) < want || (opts.Limit > 0 && seen >= opts.Limit) {
			return nil
		}
		from, incl = last, false
		if batch < maxBatch {
			batch *= 2
		}
		if t.done {
			return ErrTxClosed
		}
	}
}

// prefixEnd returns the smallest key greater than every key with the given
// prefix, or nil when there is none (empty or all-0xFF prefix).
func prefixEnd(prefix []byte) []byte {
	end := bytes.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xFF {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}
