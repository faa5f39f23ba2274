package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
)

// treeModel checks a memTree against a plain map, keeping every
// published version and what it held, so that a write through a later
// generation is seen to leave the earlier versions as they were.
type treeModel struct {
	t        testing.TB
	gen      uint64
	tree     *memTree
	want     map[string]string
	versions []*memTree
	held     []map[string]string
}

func newTreeModel(t testing.TB) *treeModel {
	return &treeModel{t: t, tree: &memTree{}, want: map[string]string{}}
}

// commit publishes the current version and starts the next generation.
func (m *treeModel) commit() {
	m.versions = append(m.versions, m.tree)
	m.held = append(m.held, maps(m.want))
	m.gen++
	m.tree = &memTree{root: m.tree.root, length: m.tree.length, gen: m.gen}
}

func maps(in map[string]string) map[string]string {
	out := make(map[string]string, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}

func (m *treeModel) put(k, v string) {
	buf := []byte(k + v)
	old, ok := m.tree.replaceOrInsert(pairItem(buf[:len(k):len(k)], buf[len(k):]))
	prev, had := m.want[k]
	if ok != had || (ok && string(old.val()) != prev) {
		m.t.Fatalf("put %q: replaced %v %q, want %v %q", k, ok, old.val(), had, prev)
	}
	m.want[k] = v
}

func (m *treeModel) del(k string) {
	_, had := m.want[k]
	if got := m.tree.delete([]byte(k)); got != had {
		m.t.Fatalf("delete %q answered %v, want %v", k, got, had)
	}
	delete(m.want, k)
}

// check compares tree with want: every key, misses, scans in both
// directions from every kind of pivot, and the B-tree's invariants.
func checkTree(t testing.TB, tree *memTree, want map[string]string, probes []string) {
	t.Helper()
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if tree.length != len(keys) {
		t.Fatalf("length %d, want %d", tree.length, len(keys))
	}
	var all []string
	tree.ascend(nil, func(it item) bool { all = append(all, string(it.key())); return true })
	if !slices.Equal(all, keys) {
		t.Fatalf("ascend: %d keys %q, want %d", len(all), head(all), len(keys))
	}
	all = all[:0]
	tree.descend(nil, func(it item) bool { all = append(all, string(it.key())); return true })
	slices.Reverse(all)
	if !slices.Equal(all, keys) {
		t.Fatalf("descend: %d keys, want %d", len(all), len(keys))
	}
	for k, v := range want {
		it, ok := tree.get([]byte(k))
		if !ok || string(it.val()) != v {
			t.Fatalf("get %q = %v %q, want %q", k, ok, it.val(), v)
		}
	}
	for _, p := range probes {
		it, ok := tree.get([]byte(p))
		if v, had := want[p]; ok != had || (ok && string(it.val()) != v) {
			t.Fatalf("get %q = %v, want %v", p, ok, had)
		}
		// Up to 5 keys from p each way.
		i, _ := slices.BinarySearch(keys, p)
		var got []string
		tree.ascend([]byte(p), func(it item) bool { got = append(got, string(it.key())); return len(got) < 5 })
		if w := keys[i:min(i+5, len(keys))]; !slices.Equal(got, w) {
			t.Fatalf("ascend from %q: %q, want %q", p, got, w)
		}
		j := i
		if j < len(keys) && keys[j] == p {
			j++
		}
		w := slices.Clone(keys[max(0, j-5):j])
		slices.Reverse(w)
		got = got[:0]
		tree.descend([]byte(p), func(it item) bool { got = append(got, string(it.key())); return len(got) < 5 })
		if !slices.Equal(got, w) {
			t.Fatalf("descend from %q: %q, want %q", p, got, w)
		}
	}
	if tree.root != nil {
		checkNode(t, tree.root, true, nil, nil)
	}
}

func head(s []string) []string { return s[:min(len(s), 8)] }

// checkNode verifies n's invariants and answers its height: sorted items
// within (lo, hi), between treeMinItems and treeMaxItems of them (the
// root may hold fewer), one more child than items in an inner node, every
// leaf at the same depth, and the slices in the node's block.
func checkNode(t testing.TB, n *tnode, root bool, lo, hi []byte) int {
	t.Helper()
	if len(n.items) > treeMaxItems || (!root && len(n.items) < treeMinItems) {
		t.Fatalf("node of %d items", len(n.items))
	}
	// Items and children stay in the node's block (cowtree.go's
	// capacities); an array of their own would be a second allocation.
	if c := cap(n.items); c != treeMaxItems && c != treeSmallItems {
		t.Fatalf("node of %d items moved out of its block (capacity %d)", len(n.items), c)
	}
	if c := cap(n.children); n.children != nil && c != treeMaxItems+1 && c != treeSmallItems+1 {
		t.Fatalf("node's %d children moved out of its block (capacity %d)", len(n.children), c)
	}
	for i, it := range n.items {
		k := it.key()
		if (lo != nil && bytes.Compare(k, lo) <= 0) || (hi != nil && bytes.Compare(k, hi) >= 0) ||
			(i > 0 && bytes.Compare(n.items[i-1].key(), k) >= 0) {
			t.Fatalf("item %q out of order", k)
		}
	}
	if n.children == nil {
		return 1
	}
	if len(n.children) != len(n.items)+1 {
		t.Fatalf("%d children for %d items", len(n.children), len(n.items))
	}
	h := -1
	for i, c := range n.children {
		clo, chi := lo, hi
		if i > 0 {
			clo = n.items[i-1].key()
		}
		if i < len(n.items) {
			chi = n.items[i].key()
		}
		if ch := checkNode(t, c, false, clo, chi); h >= 0 && ch != h {
			t.Fatalf("leaves at depths %d and %d", h, ch)
		} else {
			h = ch
		}
	}
	return h + 1
}

// runTreeOps interprets ops as a program of puts, deletes and commits
// over a key space of the given size, checking every version at the end.
func runTreeOps(t testing.TB, ops []byte, space int) {
	m := newTreeModel(t)
	for len(ops) >= 3 {
		op, k := ops[0], int(binary.BigEndian.Uint16(ops[1:3]))%space
		ops = ops[3:]
		key := fmt.Sprintf("k%05d", k)
		switch op % 8 {
		case 0, 1, 2, 3:
			m.put(key, fmt.Sprintf("v%d-%d", k, len(ops)))
		case 4, 5, 6:
			m.del(key)
		default:
			m.commit()
		}
	}
	m.commit()
	probes := []string{"", "k", "k00000", "k000005", "k99999", "l", "\xff"}
	for k := 0; k < space; k += max(1, space/50) {
		probes = append(probes, fmt.Sprintf("k%05d", k), fmt.Sprintf("k%05d0", k))
	}
	for i, v := range m.versions {
		checkTree(t, v, m.held[i], probes)
	}
}

// TestMemTreeAgainstModel runs long random programs — trees of several
// levels growing and shrinking to empty, with versions published in
// between — against a map: every published version still reads what it
// held when later generations wrote through it.
func TestMemTreeAgainstModel(t *testing.T) {
	for seed := range uint64(2) {
		rng := rand.New(rand.NewPCG(seed, 7))
		var ops []byte
		add := func(op byte, k int) { ops = append(ops, op, byte(k>>8), byte(k)) }
		space := 8000
		// Fill in random order, committing every 500 writes.
		for i, k := range rng.Perm(space) {
			add(0, k)
			if i%500 == 0 {
				add(7, 0)
			}
		}
		// Churn: mixed puts and deletes.
		for i := range 10000 {
			add(byte(rng.IntN(7)), rng.IntN(space))
			if i%1000 == 0 {
				add(7, 0)
			}
		}
		// Drain to empty, then refill a little.
		for i, k := range rng.Perm(space) {
			add(4, k)
			if i%3000 == 0 {
				add(7, 0)
			}
		}
		for k := range 100 {
			add(0, k*7)
		}
		runTreeOps(t, ops, space)
	}
}

// FuzzMemTree: any program of puts, deletes and commits leaves every
// version equal to the model.
func FuzzMemTree(f *testing.F) {
	f.Add([]byte{0, 0, 1, 0, 0, 2, 4, 0, 1, 7, 0, 0, 0, 0, 3})
	seq := make([]byte, 0, 3*400)
	for k := range 400 {
		seq = append(seq, byte(k%5), byte(k>>8), byte(k*37))
	}
	f.Add(seq)
	f.Fuzz(func(t *testing.T, ops []byte) {
		runTreeOps(t, ops, 1000)
	})
}

// TestMemStoreWriteAllocs pins what a write transaction allocates in a
// tree of three levels (50 000 keys): the transaction with its tree (1),
// the key and value's buffer (1), the replaced value's copy Swap answers
// (1), and one block per node on the path (3) — google/btree's clone
// and per-node slices made it 13.
func TestMemStoreWriteAllocs(t *testing.T) {
	var closed atomic.Bool
	s := newMemStore(&closed)
	sc := Scope{Account: "000000000000", Region: "us-east-1"}
	fillMemTree(t, s, sc, 50000)
	if h := checkNode(t, s.snap.Load().root, true, nil, nil); h != 3 {
		t.Fatalf("tree of height %d, want 3", h)
	}
	// A key in a leaf (a key in an inner node copies less of the path).
	leaf := s.snap.Load().root.children[1].children[1]
	key, val := bytes.Clone(leaf.items[len(leaf.items)/2].key()), make([]byte, 200)
	fn := func(tx Tx) error {
		_, _, err := tx.(Swapper).Swap(key, val)
		return err
	}
	allocs := testing.AllocsPerRun(100, func() {
		if err := s.Update(fn); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("%.1f allocations a put", allocs)
	if !raceEnabled && allocs != 6 {
		t.Errorf("%.1f allocations a put, want 6", allocs)
	}
}
