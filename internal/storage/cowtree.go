package storage

import "bytes"

// The memory store's ordered structure: a copy-on-write B-tree of items.
// Its algorithms are github.com/google/btree's (insert splitting full
// children on the way down, delete growing thin children on the way
// down, ascending and descending iteration from a pivot); what differs
// is what a write allocates, since every write request copies the path
// to its key:
//
//   - a node and its arrays are one allocation (a leaf holds no child
//     array), where google/btree made two or three (the node, its items,
//     its children): a put at 50 000 keys allocates four objects in the
//     tree instead of eleven;
//   - a writer owns the nodes stamped with its generation, a number the
//     store counts up per Update, where google/btree's Clone allocated
//     two copy-on-write contexts and a tree.
//
// A tree is never written once published: Views read it without locks.

// treeMaxItems is a node's capacity: a leaf (its header and 59 items of
// 16 bytes) fills a 1024-byte size class, an inner node 1536. Between 29
// and 59 items a node (the root may hold fewer). A node of at most
// treeSmallItems-1 items is copied into a block of half the size, with
// room to insert one: the two halves of a split are that size, and most
// nodes of a tree filled in key order stay so.
const (
	treeMaxItems   = 59
	treeMinItems   = treeMaxItems / 2
	treeSmallItems = 31
)

type tnode struct {
	// gen is the Update that allocated the node: only it may write it.
	gen      uint64
	items    []item
	children []*tnode // nil in a leaf
}

// The blocks are a node with its arrays, allocated at once; the slices
// point into them. An append beyond them (an Update inserting many keys
// into one small node) moves the slice to an array of its own, which the
// node's next copy brings back into a block.
type (
	leafBlock struct {
		n   tnode
		buf [treeMaxItems]item
	}
	smallLeafBlock struct {
		n   tnode
		buf [treeSmallItems]item
	}
	innerBlock struct {
		n    tnode
		buf  [treeMaxItems]item
		kids [treeMaxItems + 1]*tnode
	}
	smallInnerBlock struct {
		n    tnode
		buf  [treeSmallItems]item
		kids [treeSmallItems + 1]*tnode
	}
)

// memTree is one version of the store's contents.
type memTree struct {
	root   *tnode
	length int
	// gen is the generation of the Update writing this tree: nodes of an
	// older one are shared with published trees and copied before a write.
	gen uint64
}

// newNode allocates an empty node for size items (with room for one
// more when it is a small one).
func newNode(gen uint64, leaf bool, size int) *tnode {
	var n *tnode
	switch small := size < treeSmallItems; {
	case leaf && small:
		b := &smallLeafBlock{}
		n = &b.n
		n.items = b.buf[:0]
	case leaf:
		b := &leafBlock{}
		n = &b.n
		n.items = b.buf[:0]
	case small:
		b := &smallInnerBlock{}
		n = &b.n
		n.items, n.children = b.buf[:0], b.kids[:0]
	default:
		b := &innerBlock{}
		n = &b.n
		n.items, n.children = b.buf[:0], b.kids[:0]
	}
	n.gen = gen
	return n
}

// mutable answers n, or its copy when an older generation owns it or
// when n is a small block with no room left: a small node grows into a
// full block before an append would move its items out of the block
// (which would hold the block and a second array for the node's life).
func (n *tnode) mutable(gen uint64) *tnode {
	if n.gen == gen && (len(n.items) < cap(n.items) || cap(n.items) >= treeMaxItems) {
		return n
	}
	size := len(n.items)
	if n.gen == gen {
		size = treeMaxItems
	}
	return n.copyTo(gen, size)
}

func (n *tnode) copyTo(gen uint64, size int) *tnode {
	out := newNode(gen, n.children == nil, size)
	out.items = append(out.items, n.items...)
	if n.children != nil {
		out.children = append(out.children, n.children...)
	}
	return out
}

func (n *tnode) mutableChild(i int) *tnode {
	c := n.children[i].mutable(n.gen)
	n.children[i] = c
	return c
}

// find answers where key is in n.items, or where it would be inserted.
func (n *tnode) find(key []byte) (int, bool) {
	lo, hi := 0, len(n.items)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch c := bytes.Compare(n.items[m].key(), key); {
		case c == 0:
			return m, true
		case c < 0:
			lo = m + 1
		default:
			hi = m
		}
	}
	return lo, false
}

func insertAt[T any](s []T, i int, v T) []T {
	var zero T
	s = append(s, zero)
	copy(s[i+1:], s[i:])
	s[i] = v
	return s
}

func removeAt[T any](s []T, i int) ([]T, T) {
	v := s[i]
	copy(s[i:], s[i+1:])
	var zero T
	s[len(s)-1] = zero
	return s[:len(s)-1], v
}

// truncate cuts s to i, clearing the rest so the array keeps nothing alive.
func truncate[T any](s []T, i int) []T {
	clear(s[i:])
	return s[:i]
}

// split moves what follows items[i] to a new node and answers items[i].
func (n *tnode) split(i int) (item, *tnode) {
	it := n.items[i]
	next := newNode(n.gen, n.children == nil, len(n.items)-i-1)
	next.items = append(next.items, n.items[i+1:]...)
	n.items = truncate(n.items, i)
	if n.children != nil {
		next.children = append(next.children, n.children[i+1:]...)
		n.children = truncate(n.children, i+1)
	}
	return it, next
}

func (n *tnode) maybeSplitChild(i int) bool {
	if len(n.children[i].items) < treeMaxItems {
		return false
	}
	first := n.mutableChild(i)
	it, second := first.split(treeMaxItems / 2)
	n.items = insertAt(n.items, i, it)
	n.children = insertAt(n.children, i+1, second)
	return true
}

func (n *tnode) insert(it item) (item, bool) {
	i, found := n.find(it.key())
	if found {
		old := n.items[i]
		n.items[i] = it
		return old, true
	}
	if n.children == nil {
		n.items = insertAt(n.items, i, it)
		return item{}, false
	}
	if n.maybeSplitChild(i) {
		switch c := bytes.Compare(it.key(), n.items[i].key()); {
		case c > 0:
			i++
		case c == 0:
			old := n.items[i]
			n.items[i] = it
			return old, true
		}
	}
	return n.mutableChild(i).insert(it)
}

func (n *tnode) get(key []byte) (item, bool) {
	for {
		i, found := n.find(key)
		if found {
			return n.items[i], true
		}
		if n.children == nil {
			return item{}, false
		}
		n = n.children[i]
	}
}

type removeKind int

const (
	removeKey removeKind = iota
	removeMax
)

// remove deletes key (or, for removeMax, the subtree's last item) from
// n, which is mutable, keeping every child it descends into above the
// minimum first.
func (n *tnode) remove(key []byte, kind removeKind) (item, bool) {
	var i int
	var found bool
	if kind == removeMax {
		if n.children == nil {
			var it item
			n.items, it = removeAt(n.items, len(n.items)-1)
			return it, true
		}
		i = len(n.items)
	} else {
		i, found = n.find(key)
		if n.children == nil {
			if !found {
				return item{}, false
			}
			var it item
			n.items, it = removeAt(n.items, i)
			return it, true
		}
	}
	if len(n.children[i].items) <= treeMinItems {
		return n.growChildAndRemove(i, key, kind)
	}
	child := n.mutableChild(i)
	if found {
		// The key is here: its predecessor, the left subtree's last
		// item, takes its place.
		old := n.items[i]
		n.items[i], _ = child.remove(nil, removeMax)
		return old, true
	}
	return child.remove(key, kind)
}

// growChildAndRemove gives children[i] an item from a sibling, or merges
// it with one, then removes again from n.
func (n *tnode) growChildAndRemove(i int, key []byte, kind removeKind) (item, bool) {
	switch {
	case i > 0 && len(n.children[i-1].items) > treeMinItems:
		child := n.mutableChild(i)
		from := n.mutableChild(i - 1)
		var stolen item
		from.items, stolen = removeAt(from.items, len(from.items)-1)
		child.items = insertAt(child.items, 0, n.items[i-1])
		n.items[i-1] = stolen
		if from.children != nil {
			var c *tnode
			from.children, c = removeAt(from.children, len(from.children)-1)
			child.children = insertAt(child.children, 0, c)
		}
	case i < len(n.items) && len(n.children[i+1].items) > treeMinItems:
		child := n.mutableChild(i)
		from := n.mutableChild(i + 1)
		var stolen item
		from.items, stolen = removeAt(from.items, 0)
		child.items = append(child.items, n.items[i])
		n.items[i] = stolen
		if from.children != nil {
			var c *tnode
			from.children, c = removeAt(from.children, 0)
			child.children = append(child.children, c)
		}
	default:
		if i >= len(n.items) {
			i--
		}
		child := n.mutableChild(i)
		if cap(child.items) < len(child.items)+1+len(n.children[i+1].items) {
			// A merge fills the node: a small block grows first.
			child = child.copyTo(n.gen, treeMaxItems)
			n.children[i] = child
		}
		var sep item
		var next *tnode
		n.items, sep = removeAt(n.items, i)
		n.children, next = removeAt(n.children, i+1)
		child.items = append(child.items, sep)
		child.items = append(child.items, next.items...)
		if child.children != nil {
			child.children = append(child.children, next.children...)
		}
	}
	return n.remove(key, kind)
}

// get answers the item stored under key.
func (t *memTree) get(key []byte) (item, bool) {
	if t.root == nil {
		return item{}, false
	}
	return t.root.get(key)
}

// replaceOrInsert stores it, answering the item it replaced.
func (t *memTree) replaceOrInsert(it item) (item, bool) {
	if t.root == nil {
		t.root = newNode(t.gen, true, 1)
		t.root.items = append(t.root.items, it)
		t.length++
		return item{}, false
	}
	t.root = t.root.mutable(t.gen)
	if len(t.root.items) >= treeMaxItems {
		mid, second := t.root.split(treeMaxItems / 2)
		old := t.root
		t.root = newNode(t.gen, false, 1)
		t.root.items = append(t.root.items, mid)
		t.root.children = append(t.root.children, old, second)
	}
	out, replaced := t.root.insert(it)
	if !replaced {
		t.length++
	}
	return out, replaced
}

// delete removes key, answering whether it was there.
func (t *memTree) delete(key []byte) bool {
	if t.root == nil || len(t.root.items) == 0 {
		return false
	}
	t.root = t.root.mutable(t.gen)
	_, found := t.root.remove(key, removeKey)
	if len(t.root.items) == 0 && t.root.children != nil {
		t.root = t.root.children[0]
	}
	if found {
		t.length--
	}
	return found
}

// ascend calls fn for every item from the first key >= from (every item
// when from is nil) in ascending order, until fn answers false.
func (t *memTree) ascend(from []byte, fn func(item) bool) {
	if t.root != nil {
		t.root.ascend(from, fn)
	}
}

func (n *tnode) ascend(from []byte, fn func(item) bool) bool {
	i := 0
	if from != nil {
		// items[idx] is the first item >= from; children[idx] holds
		// only smaller keys if from is items[idx], else it is where
		// the walk begins.
		idx, found := n.find(from)
		if !found && n.children != nil && !n.children[idx].ascend(from, fn) {
			return false
		}
		if idx < len(n.items) && !fn(n.items[idx]) {
			return false
		}
		i = idx + 1
	}
	for ; i <= len(n.items); i++ {
		if n.children != nil && !n.children[i].ascend(nil, fn) {
			return false
		}
		if i < len(n.items) && !fn(n.items[i]) {
			return false
		}
	}
	return true
}

// descend calls fn for every item from the last key <= from (every item
// when from is nil) in descending order, until fn answers false.
func (t *memTree) descend(from []byte, fn func(item) bool) {
	if t.root != nil {
		t.root.descend(from, fn)
	}
}

func (n *tnode) descend(from []byte, fn func(item) bool) bool {
	// The walk is children[len], items[len-1], children[len-1], ...,
	// items[0], children[0]; i is the next item.
	i := len(n.items) - 1
	if from == nil {
		if n.children != nil && !n.children[len(n.items)].descend(nil, fn) {
			return false
		}
	} else {
		// Keys in children[idx+1] are above from; if from is
		// items[idx], everything in children[idx] is below it,
		// else children[idx] is where the walk begins.
		idx, found := n.find(from)
		if found {
			if !fn(n.items[idx]) {
				return false
			}
			if n.children != nil && !n.children[idx].descend(nil, fn) {
				return false
			}
		} else if n.children != nil && !n.children[idx].descend(from, fn) {
			return false
		}
		i = idx - 1
	}
	for ; i >= 0; i-- {
		if !fn(n.items[i]) {
			return false
		}
		if n.children != nil && !n.children[i].descend(nil, fn) {
			return false
		}
	}
	return true
}
