package dynamodb

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/service/dynamodb/expr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// itemKey is an item's primary key: its encoded parts and the key
// attributes themselves (keyAttrs).
type itemKey struct {
	// parts are the key's encoded values (keyParts), at most a hash and
	// a range value: an array, not a slice to allocate for every call.
	parts [2]string
	np    int
	// attrs is the Key parameter keyOfKey checked (exactly the key
	// attributes), or nil for keyOfItem's, whose key attributes are
	// picked from item (by the table's key names hash and rng) only when
	// asked: every PutItem would otherwise build a map that only a
	// stream record or an update of a new item reads.
	attrs     Item
	item      Item
	hash, rng string
}

// keyParts is the key's encoded values.
func (k *itemKey) keyParts() []string { return k.parts[:k.np] }

// keyAttrs is the key attributes, a map the caller must not modify.
func (k itemKey) keyAttrs() Item {
	if k.attrs != nil || k.item == nil {
		return k.attrs
	}
	m := make(Item, 2)
	m[k.hash] = k.item[k.hash]
	if k.rng != "" {
		m[k.rng] = k.item[k.rng]
	}
	return m
}

func (t *tableRecord) storeKey(sc storage.Scope, k itemKey) []byte {
	// sc.Key("item", t.Name, k.parts...) in one allocation.
	n := len(sc.Account) + len(sc.Region) + len("item") + len(t.Name) + 8
	parts := k.keyParts()
	for _, p := range parts {
		n += len(p) + 2
	}
	b := storage.AppendKey(make([]byte, 0, n), sc.Account, sc.Region, "item", t.Name)
	return storage.AppendKey(b, parts...)
}

// keyOfItem extracts and checks the primary key of an item being put.
func (t *tableRecord) keyOfItem(it Item) (itemKey, error) {
	names := t.keyNames()
	k := itemKey{item: it, hash: t.Hash, rng: t.Range}
	for _, name := range names {
		v, ok := it[name]
		if !ok {
			return k, validation("One or more parameter values were invalid: Missing the key %s in the item", name)
		}
		want, got := t.attrType(name), expr.TypeOf(v)
		if want != got {
			return k, validation("One or more parameter values were invalid: Type mismatch for key %s expected: %s actual: %s", name, want, got)
		}
		if err := checkKeyValue(name, v, name == t.Hash); err != nil {
			return k, err
		}
		k.parts[k.np] = keyBytes(v)
		k.np++
	}
	return k, nil
}

// keyOfKey checks a Key parameter (GetItem, DeleteItem, UpdateItem, ...):
// exactly the key attributes with their types.
func (t *tableRecord) keyOfKey(key Item) (itemKey, error) {
	names := t.keyNames()
	k := itemKey{hash: t.Hash, rng: t.Range}
	if len(key) != len(names) {
		return k, validation("The provided key element does not match the schema")
	}
	for _, name := range names {
		v, ok := key[name]
		if !ok || expr.TypeOf(v) != t.attrType(name) {
			return k, validation("The provided key element does not match the schema")
		}
		if err := checkKeyValue(name, v, name == t.Hash); err != nil {
			return k, err
		}
		k.parts[k.np] = keyBytes(v)
		k.np++
	}
	// key holds exactly the key attributes (its length is theirs, and
	// each is in it).
	k.attrs = key
	return k, nil
}

func checkKeyValue(name string, v AV, hash bool) error {
	switch {
	case v.S != nil && *v.S == "":
		return validation("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: %s", name)
	case v.B != nil && len(v.B) == 0:
		return validation("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: %s", name)
	}
	n := avSize(v)
	if hash && n > 2048 {
		return validation("One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes")
	}
	if !hash && n > 1024 {
		return validation("One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes")
	}
	return nil
}

// checkIndexKeys rejects an item whose index key attributes have the wrong
// type or are empty (items without them are simply not indexed).
func (t *tableRecord) checkIndexKeys(it Item) error {
	for _, ix := range t.indexes() {
		for _, name := range ix.keyNames() {
			v, ok := it[name]
			if !ok {
				continue
			}
			want, got := t.attrType(name), expr.TypeOf(v)
			if want != got {
				return validation("One or more parameter values were invalid: Type mismatch for Index Key %s Expected: %s Actual: %s IndexName: %s", name, want, got, ix.Name)
			}
			if (v.S != nil && *v.S == "") || (v.B != nil && len(v.B) == 0) {
				return validation("One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: %s, IndexKey: %s", ix.Name, name)
			}
		}
	}
	return nil
}

func checkSize(it Item) error {
	_, err := checkedSize(it)
	return err
}

// checkedSize is checkSize answering the item's size.
func checkedSize(it Item) (int, error) {
	n := itemSize(it)
	if n > maxItemSize {
		return n, validation("Item size has exceeded the maximum allowed size")
	}
	// An update can nest a value that was valid on its own under maps
	// that already exist in the item.
	for _, v := range it {
		if tooDeep(v, 0) {
			return n, errTooDeep()
		}
	}
	return n, nil
}

// tooDeep reports whether v, under depth maps or lists, breaks maxNesting.
func tooDeep(v AV, depth int) bool {
	if v.M == nil && v.L == nil {
		return false
	}
	if depth+1 >= maxNesting {
		return true
	}
	for _, e := range v.M {
		if tooDeep(e, depth+1) {
			return true
		}
	}
	for _, e := range v.L {
		if tooDeep(e, depth+1) {
			return true
		}
	}
	return false
}

// indexKey is the store key of it's entry in ix, ok false when the item
// lacks the index's key attributes (sparse index).
func indexKey(sc storage.Scope, t *tableRecord, ix indexRecord, it Item) ([]byte, bool) {
	parts := []string{"idx", t.Name, ix.Name}
	for _, names := range [][]string{ix.hashNames(), ix.rangeNames()} {
		var vs []AV
		for _, name := range names {
			v, ok := it[name]
			if !ok || expr.TypeOf(v) != t.attrType(name) {
				return nil, false
			}
			vs = append(vs, v)
		}
		switch {
		case len(vs) == 0:
		case ix.multi():
			parts = append(parts, tupleBytes(vs))
		default:
			parts = append(parts, keyBytes(vs[0]))
		}
	}
	for _, name := range t.keyNames() {
		parts = append(parts, keyBytes(it[name]))
	}
	return sc.Key(parts...), true
}

func putIndexEntry(tx storage.Tx, sc storage.Scope, t *tableRecord, ix indexRecord, it Item) error {
	k, ok := indexKey(sc, t, ix, it)
	if !ok {
		return nil
	}
	data, err := encodeItem(it)
	if err != nil {
		return err
	}
	return tx.Put(k, data)
}

// getItem reads one item by key.
func getItem(tx storage.Tx, sc storage.Scope, t *tableRecord, k itemKey) (Item, error) {
	return getItemAt(tx, t.storeKey(sc, k))
}

// getItemAt reads the item stored under key (storeKey's).
func getItemAt(tx storage.Tx, key []byte) (Item, error) {
	data, ok := tx.Get(key)
	if !ok {
		return nil, nil
	}
	return decodeOwnedItem(data)
}

// identity is who caused a write, for stream records: nil for a user,
// the TTL service otherwise.
type identity struct {
	Type      string `json:"type"`
	Principal string `json:"principalId"`
}

var ttlIdentity = &identity{Type: "Service", Principal: "dynamodb.amazonaws.com"}

// write replaces old with new (nil new deletes) under k, keeping indexes,
// counts and the stream in step, all in tx.
func (s *DynamoDB) write(tx storage.Tx, sc storage.Scope, t *tableRecord, k itemKey, old, nw Item, who *identity, now time.Time) error {
	return s.writeAt(tx, sc, t, t.storeKey(sc, k), k, old, nw, sizeOrZero(old), sizeOrZero(nw), who, now)
}

// writeAt is write given k's store key and the two items' sizes (0 for
// a nil item).
func (s *DynamoDB) writeAt(tx storage.Tx, sc storage.Scope, t *tableRecord, key []byte, k itemKey, old, nw Item, oldSize, newSize int, who *identity, now time.Time) error {
	if nw != nil {
		if err := s.putItemRecord(tx, key, nw); err != nil {
			return err
		}
	} else if err := tx.Delete(key); err != nil {
		return err
	}
	return s.afterWrite(tx, sc, t, k, old, nw, oldSize, newSize, who, now)
}

// afterWrite keeps indexes, counts, the stream, point-in-time history
// and replicas in step with an item write already stored.
func (s *DynamoDB) afterWrite(tx storage.Tx, sc storage.Scope, t *tableRecord, k itemKey, old, nw Item, oldSize, newSize int, who *identity, now time.Time) error {
	for _, ix := range t.indexes() {
		if old != nil {
			if ik, ok := indexKey(sc, t, ix, old); ok {
				if err := tx.Delete(ik); err != nil {
					return err
				}
			}
		}
		if nw != nil {
			if err := putIndexEntry(tx, sc, t, ix, nw); err != nil {
				return err
			}
		}
	}
	var items int64
	if old != nil {
		items--
	}
	if nw != nil {
		items++
	}
	// An item replaced by one of the same size leaves the counts as
	// they are: no read, and no write of the count record (a write
	// copies the store's path to it).
	if bytes := int64(newSize - oldSize); items != 0 || bytes != 0 {
		if err := addCounts(tx, sc, t.Name, items, bytes); err != nil {
			return err
		}
	}
	if t.Stream != nil && t.Stream.Enabled && (old != nil || nw != nil) {
		if err := s.appendStream(tx, sc, t, k, old, nw, who, now); err != nil {
			return err
		}
	}
	if t.PITR != nil && t.PITR.Enabled && (old != nil || nw != nil) {
		if err := recordHistory(tx, sc, t, k, nw, now); err != nil {
			return err
		}
	}
	if t.Global != nil && who != replicationIdentity {
		return s.replicate(tx, sc, t, k, nw, now)
	}
	return nil
}

// putItemRecord stores it under key, encoded in a pooled buffer: Put
// copies what it is given.
func (s *DynamoDB) putItemRecord(tx storage.Tx, key []byte, it Item) error {
	_, _, err := s.storeItem(tx, nil, key, it)
	return err
}

// storeItem stores it under key like putItemRecord, through sw's Swap
// when sw is not nil, answering the stored item it replaced.
func (s *DynamoDB) storeItem(tx storage.Tx, sw storage.Swapper, key []byte, it Item) ([]byte, bool, error) {
	bp, _ := s.itemBufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	*bp = appendItem((*bp)[:0], it)
	var old []byte
	var existed bool
	var err error
	if sw != nil {
		old, existed, err = sw.Swap(key, *bp)
	} else {
		err = tx.Put(key, *bp)
	}
	if cap(*bp) <= maxPooledItemBuf {
		s.itemBufs.Put(bp)
	}
	return old, existed, err
}

// maxPooledItemBuf keeps a rare large item's buffer out of the pool.
const maxPooledItemBuf = 16 << 10

// storedRecord is one stream record as kept in the store.
type storedRecord struct {
	EventID   string         `json:"id"`
	EventName string         `json:"ev"`
	Region    string         `json:"r"`
	Time      time.Time      `json:"t"`
	Seq       string         `json:"seq"`
	Keys      map[string]wav `json:"k"`
	New       map[string]wav `json:"n,omitempty"`
	Old       map[string]wav `json:"o,omitempty"`
	Size      int64          `json:"sz"`
	ViewType  string         `json:"vt"`
	Identity  *identity      `json:"u,omitempty"`
}

func wavMap(it Item) map[string]wav {
	if it == nil {
		return nil
	}
	m := make(map[string]wav, len(it))
	for k, v := range it {
		m[k] = toWav(v)
	}
	return m
}

// seqWidth pads sequence numbers so their text sorts as their value, like
// DynamoDB's 21-digit sequence numbers.
const seqWidth = 21

func (s *DynamoDB) appendStream(tx storage.Tx, sc storage.Scope, t *tableRecord, k itemKey, old, nw Item, who *identity, now time.Time) error {
	last, _, err := streamSeqs.Get(tx, sc, t.Name, t.Stream.Label)
	if err != nil {
		return err
	}
	if last == 0 {
		last = 100000000000000000 // DynamoDB's numbers start large
	}
	last++
	if err := streamSeqs.Put(tx, sc, last, t.Name, t.Stream.Label); err != nil {
		return err
	}
	seq := fmt.Sprintf("%0*d", seqWidth, last)
	keys := k.keyAttrs()
	r := storedRecord{
		EventID: awsid.Hex(32), Region: sc.Region, Time: now.Truncate(time.Second), Seq: seq,
		Keys: wavMap(keys), ViewType: t.Stream.ViewType, Identity: who,
	}
	if who == replicationIdentity {
		r.Identity = nil // a replicated write is nobody's in the replica's stream
	}
	switch {
	case old == nil:
		r.EventName = "INSERT"
	case nw == nil:
		r.EventName = "REMOVE"
	default:
		r.EventName = "MODIFY"
	}
	size := itemSize(keys)
	switch t.Stream.ViewType {
	case "NEW_IMAGE":
		r.New = wavMap(nw)
		size += sizeOrZero(nw)
	case "OLD_IMAGE":
		r.Old = wavMap(old)
		size += sizeOrZero(old)
	case "NEW_AND_OLD_IMAGES":
		r.New, r.Old = wavMap(nw), wavMap(old)
		size += sizeOrZero(nw) + sizeOrZero(old)
	}
	r.Size = int64(size)
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return tx.Put(sc.Key("srec", t.Name, t.Stream.Label, seq), data)
}

func sizeOrZero(it Item) int {
	if it == nil {
		return 0
	}
	return itemSize(it)
}

// addCounts adds items and bytes to table's counts: counts.Get and Put
// through one key, the key and the record's new bytes in one buffer.
func addCounts(tx storage.Tx, sc storage.Scope, table string, items, bytes int64) error {
	// counts.Key(sc, table), with room for the record after it.
	n := len(sc.Account) + len(sc.Region) + len(counts.Name()) + len(table) + 8
	key := storage.AppendKey(make([]byte, 0, n+1+2*binary.MaxVarintLen64), sc.Account, sc.Region, counts.Name(), table)
	c := countRecord{Items: items, Bytes: bytes}
	if data, ok := tx.Get(key); ok {
		was, err := decodeCounts(data)
		if err != nil {
			return fmt.Errorf("storage: table %s: decode %q: %w", counts.Name(), table, err)
		}
		c.Items += was.Items
		c.Bytes += was.Bytes
	}
	val := c.AppendRecord(append(key[len(key):], storage.RecordV1))
	return tx.Put(key, val)
}

// decodeCounts is storage.DecodeRecord for a count record, its value on
// the stack.
func decodeCounts(data []byte) (countRecord, error) {
	var c countRecord
	if !storage.IsBinaryRecord(data) || data[0] != storage.RecordV1 {
		var j countRecord // stored before the binary form (or a bad record)
		err := storage.DecodeRecord(data, &j)
		return j, err
	}
	d := storage.NewDec(data[1:])
	if err := c.DecodeRecord(d); err != nil {
		return c, err
	}
	return c, d.Err()
}
