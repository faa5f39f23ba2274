package pattern

import (
	"net/netip"
	"sort"
	"strings"
	"sync"
)

// Index holds many patterns by id and answers which of them an event
// matches without evaluating each one. Every pattern that requires one of
// a field's exact string values (as nearly every rule requires a "source"
// or "detail-type") is filed under those values; an event then evaluates
// only the patterns filed under its own values of the indexed fields, plus
// the few patterns that have no such anchor. It is safe for concurrent
// use.
type Index struct {
	mu sync.RWMutex
	// anchors: field path ("source", "detail.state") -> value -> ids.
	anchors map[string]map[string]map[string]struct{}
	// loose are the ids of patterns with no anchor.
	loose   map[string]struct{}
	entries map[string]indexEntry
}

type indexEntry struct {
	p      *Pattern
	path   string
	values []string
}

// NewIndex returns an empty index.
func NewIndex() *Index {
	return &Index{anchors: map[string]map[string]map[string]struct{}{}, loose: map[string]struct{}{}, entries: map[string]indexEntry{}}
}

// Len returns how many patterns the index holds.
func (x *Index) Len() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return len(x.entries)
}

// Put adds or replaces the pattern with this id.
func (x *Index) Put(id string, p *Pattern) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.removeLocked(id)
	path, vals := anchor(p.root)
	e := indexEntry{p: p, path: path, values: vals}
	x.entries[id] = e
	if path == "" {
		x.loose[id] = struct{}{}
		return
	}
	byVal := x.anchors[path]
	if byVal == nil {
		byVal = map[string]map[string]struct{}{}
		x.anchors[path] = byVal
	}
	for _, v := range vals {
		ids := byVal[v]
		if ids == nil {
			ids = map[string]struct{}{}
			byVal[v] = ids
		}
		ids[id] = struct{}{}
	}
}

// Remove drops the pattern with this id.
func (x *Index) Remove(id string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.removeLocked(id)
}

func (x *Index) removeLocked(id string) {
	e, ok := x.entries[id]
	if !ok {
		return
	}
	delete(x.entries, id)
	if e.path == "" {
		delete(x.loose, id)
		return
	}
	byVal := x.anchors[e.path]
	for _, v := range e.values {
		delete(byVal[v], id)
		if len(byVal[v]) == 0 {
			delete(byVal, v)
		}
	}
	if len(byVal) == 0 {
		delete(x.anchors, e.path)
	}
}

// Match returns the ids of the patterns the event matches, sorted.
func (x *Index) Match(e *Event) []string {
	x.mu.RLock()
	defer x.mu.RUnlock()
	cand := map[string]struct{}{}
	for path, byVal := range x.anchors {
		for _, v := range stringsAt(e.root, strings.Split(path, ".")) {
			for id := range byVal[v] {
				cand[id] = struct{}{}
			}
		}
	}
	for id := range x.loose {
		cand[id] = struct{}{}
	}
	var out []string
	for id := range cand {
		if x.entries[id].p.MatchParsed(e) {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// stringsAt returns the string values at a path of the event, descending
// through arrays as matching does.
func stringsAt(obj map[string]any, path []string) []string {
	vals := flatten(nil, obj[path[0]])
	var out []string
	for _, v := range vals {
		if len(path) == 1 {
			if s, ok := v.(string); ok {
				out = append(out, s)
			}
			continue
		}
		if m, ok := v.(map[string]any); ok {
			out = append(out, stringsAt(m, path[1:])...)
		}
	}
	return out
}

// anchor picks the field path whose exact string values every match of n
// requires: a leaf reached through nested objects only (not through
// "$or"), whose every value is an exact string. "source" and
// "detail-type" are preferred because they are the most selective in
// practice.
//
// The walk keeps the path as links to the parent's, so that it costs
// time and memory linear in the size of the pattern: building each
// field's dotted path as a string cost the square of the nesting depth
// (a PutRule of deeply nested objects took gigabytes).
func anchor(n *node) (string, []string) {
	var best *pathLink
	var bestVals []string
	score := func(l *pathLink) int {
		if l.parent == nil {
			switch l.name {
			case "source":
				return 0
			case "detail-type":
				return 1
			}
		}
		return 2 + l.depth
	}
	var walk func(n *node, parent *pathLink)
	walk = func(n *node, parent *pathLink) {
		for _, f := range n.fields {
			if strings.Contains(f.name, ".") {
				continue // a dotted name would be ambiguous as a path
			}
			l := &pathLink{parent: parent, name: f.name}
			if parent != nil {
				l.depth = parent.depth + 1
			}
			if f.sub != nil {
				walk(f.sub, l)
				continue
			}
			vals, ok := exactStrings(f.leaf)
			if !ok {
				continue
			}
			if best == nil || score(l) < score(best) {
				best, bestVals = l, vals
			}
		}
	}
	walk(n, nil)
	if best == nil {
		return "", nil
	}
	return best.String(), bestVals
}

// pathLink is one field of a path, linked to the field that holds it.
type pathLink struct {
	parent *pathLink
	name   string
	depth  int // number of parents
}

// String is the dotted path from the top of the pattern.
func (l *pathLink) String() string {
	parts := make([]string, l.depth+1)
	for q := l; q != nil; q = q.parent {
		parts[q.depth] = q.name
	}
	return strings.Join(parts, ".")
}

func exactStrings(ms []*matcher) ([]string, bool) {
	var out []string
	for _, m := range ms {
		if m.kind != kExact || m.vals[0].typ != 's' {
			return nil, false
		}
		// IP addresses match their other spellings; keep them loose.
		if _, err := netip.ParseAddr(m.vals[0].str); err == nil {
			return nil, false
		}
		out = append(out, m.vals[0].str)
	}
	return out, true
}
