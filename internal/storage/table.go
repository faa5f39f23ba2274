package storage

import (
	"fmt"
	"slices"
)

// Table stores records of one type under
// Key(account, region, name, key...). It exists so services never write
// marshal/unmarshal code or key arithmetic by hand, and so the scope is a
// required argument of every call rather than something to remember.
//
// A Table is a description, not a handle: its methods take the Tx, so
// records of several tables can be read and written in one atomic Update.
// Records are JSON (debuggable, schema tolerant: fields can be added without
// migrations) unless *T is a [BinaryRecord], whose compact tagged form is
// just as tolerant; reads accept both forms (see [RecordV1]), so a type can
// move to binary without migrating what is stored. Records are small by
// design, bodies go to blobs.
type Table[T any] struct {
	name string
}

// NewTable describes the table name within each scope. Names must be unique
// per store; they become the third part of every key.
func NewTable[T any](name string) Table[T] { return Table[T]{name: name} }

// Name returns the table's name.
func (t Table[T]) Name() string { return t.name }

// Key returns the raw key of one record, for callers mixing Table calls
// with Tx.Scan or pagination markers.
func (t Table[T]) Key(sc Scope, key ...string) []byte {
	// sc.Key(t.name, key...) without a slice made to prepend the name.
	n := len(sc.Account) + len(sc.Region) + len(t.name) + 6
	for _, p := range key {
		n += len(p) + 2
	}
	return AppendKey(AppendKey(make([]byte, 0, n), sc.Account, sc.Region, t.name), key...)
}

// Get reads one record. A missing record is (zero, false, nil); an error
// means the stored bytes did not decode into T.
func (t Table[T]) Get(tx Tx, sc Scope, key ...string) (T, bool, error) {
	data, ok := tx.Get(t.Key(sc, key...))
	if !ok {
		var zero T
		return zero, false, nil
	}
	// Declared here, not above: decoding takes its address, which moves
	// it to the heap, and a miss (every existence check before a create,
	// every put of a new key) then allocated a record it never filled.
	var v T
	if err := DecodeRecord(data, &v); err != nil {
		return v, true, t.decodeErr(slices.Clone(key), err)
	}
	return v, true, nil
}

// decodeErr is apart so that Get's key arguments stay on its caller's
// stack (the message formats a copy).
func (t Table[T]) decodeErr(key []string, err error) error {
	return fmt.Errorf("storage: table %s: decode %q: %w", t.name, key, err)
}

func (t Table[T]) encodeErr(key []string, err error) error {
	return fmt.Errorf("storage: table %s: encode %q: %w", t.name, key, err)
}

// Put writes one record, replacing any previous one.
func (t Table[T]) Put(tx Tx, sc Scope, v T, key ...string) error {
	data, err := EncodeRecord(&v)
	if err != nil {
		return t.encodeErr(slices.Clone(key), err)
	}
	return tx.Put(t.Key(sc, key...), data)
}

// Delete removes one record; a missing record is not an error.
func (t Table[T]) Delete(tx Tx, sc Scope, key ...string) error {
	return tx.Delete(t.Key(sc, key...))
}

// DeleteExisting deletes the record at key and reports whether there was
// one, for the many "delete it, or answer NotFound" operations.
func (t Table[T]) DeleteExisting(tx Tx, sc Scope, key ...string) (bool, error) {
	k := t.Key(sc, key...)
	if _, ok := tx.Get(k); !ok {
		return false, nil
	}
	return true, tx.Delete(k)
}

// ListOptions shapes a List.
type ListOptions struct {
	// Partial narrows the listing to records whose key part right after
	// the prefix begins with this string (S3-style string prefixes).
	Partial string
	// After resumes a listing after the record with this key: pass the key
	// of the last record of the previous page (see ScanOptions).
	After []string
	// Reverse lists in descending key order.
	Reverse bool
	// Limit caps the number of records; 0 means no cap.
	Limit int
}

// List calls fn for each record in sc whose key starts with the whole parts
// in prefix, in key order, until fn returns false. fn receives the record's
// key parts (without scope and table name) and the decoded value; it may
// keep both. A record that fails to decode stops the listing with an error
// rather than being skipped, so corruption is noticed.
func (t Table[T]) List(tx Tx, sc Scope, prefix []string, opts ListOptions, fn func(key []string, v T) bool) error {
	p := t.Key(sc, prefix...)
	if opts.Partial != "" {
		p = PartPrefix(p, opts.Partial)
	}
	so := ScanOptions{Reverse: opts.Reverse, Limit: opts.Limit}
	if opts.After != nil {
		so.Start, so.Exclusive = t.Key(sc, opts.After...), true
	}
	var ferr error
	err := tx.Scan(p, so, func(k, data []byte) bool {
		parts, err := SplitKey(k)
		if err != nil || len(parts) < 3 {
			ferr = fmt.Errorf("storage: table %s: bad key %x: %w", t.name, k, ErrMalformedKey)
			return false
		}
		var v T
		if err := DecodeRecord(data, &v); err != nil {
			ferr = fmt.Errorf("storage: table %s: decode %q: %w", t.name, parts[3:], err)
			return false
		}
		return fn(parts[3:], v)
	})
	if err != nil {
		return err
	}
	return ferr
}
