package query

import (
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol/xmlbody"
)

// maxDepth bounds how deeply shapes nest in a request. Real AWS inputs
// nest a handful of levels; recursive shapes would otherwise let one long
// key recurse as deep as the body is long.
const maxDepth = 64

// maxSegments drops keys with more dot-separated parts than any decodable
// key can have (a list level adds two, a map level three), before they
// cost tree nodes.
const maxSegments = 3*maxDepth + 2

// node is one dot-separated key segment: "A.member.1.B=x" is the path
// A → member → 1 → B with value x at B. Decoding walks the shape and this
// tree together.
type node struct {
	val  string
	has  bool
	kids map[string]*node
}

func (n *node) child(name string) *node {
	if n == nil || n.kids == nil {
		return nil
	}
	return n.kids[name]
}

// buildTree indexes the form keys whose first segment is in roots (the
// top-level parameter names the input can have); everything else (Action,
// Version, signature parameters, unknown parameters) is ignored, as AWS
// ignores it. A key given twice keeps its first value.
func buildTree(form url.Values, roots map[string]bool) *node {
	root := &node{}
	for key, vals := range form {
		first, _, _ := strings.Cut(key, ".")
		if !roots[first] || len(vals) == 0 || strings.Count(key, ".") >= maxSegments {
			continue
		}
		n := root
		for seg := range strings.SplitSeq(key, ".") {
			c := n.kids[seg]
			if c == nil {
				if n.kids == nil {
					n.kids = map[string]*node{}
				}
				c = &node{}
				n.kids[seg] = c
			}
			n = c
		}
		n.val, n.has = vals[0], true
	}
	return root
}

// item is a child node named by a list index.
type item struct {
	i   int
	key string
	n   *node
}

// indexed returns the children of n named by list indices ("1", "2", ...)
// in numeric order. Other names, and non-canonical numbers ("01", "+1"),
// are not items; gaps in the numbering are closed.
func (n *node) indexed() []item {
	if n == nil {
		return nil
	}
	var items []item
	for k, c := range n.kids {
		if len(k) == 0 || len(k) > 9 || k[0] < '1' || k[0] > '9' {
			continue
		}
		i, err := strconv.Atoi(k)
		if err != nil {
			continue
		}
		items = append(items, item{i, k, c})
	}
	sort.Slice(items, func(a, b int) bool { return items[a].i < items[b].i })
	return items
}

// decoder holds the naming dialect: query or ec2.
type decoder struct {
	ec2 bool
}

// memberKey is the parameter name of a structure member.
//
// query: the locationName (of the member, else of its shape), else the
// member name (botocore QuerySerializer). A flattened list whose list
// member has a locationName is named by that instead; see listKeys.
//
// ec2: queryName, else the locationName with its first letter upper-cased,
// else the member name (botocore EC2Serializer).
func (dc decoder) memberKey(m *model.Ref) string {
	if dc.ec2 {
		return ec2Name(m, m.Name)
	}
	return m.XMLName()
}

// ec2Name applies the ec2 naming rule to a member, map key or map value.
func ec2Name(r *model.Ref, def string) string {
	if r.QueryName != "" {
		return r.QueryName
	}
	loc := r.LocationName
	if loc == "" && r.Shape != nil {
		loc = r.Shape.LocationName
	}
	if loc == "" {
		return def
	}
	return strings.ToUpper(loc[:1]) + loc[1:]
}

// memberKeys lists the keys under which member m may appear, preferred
// first. A query flattened list with a named list member is sent under
// that name ("Foo.1"), except when empty, which botocore sends under the
// member's own name ("ListArg=").
func (dc decoder) memberKeys(m *model.Ref) []string {
	key := dc.memberKey(m)
	if !dc.ec2 && m.Shape.Type == model.List && m.IsFlattened() {
		if name := m.Shape.Member.XMLName(); name != "" && name != key {
			return []string{name, key}
		}
	}
	return []string{key}
}

// rootKeys returns the first segments under which the input's members can
// appear.
func (dc decoder) rootKeys(sh *model.Shape) map[string]bool {
	out := map[string]bool{}
	for _, m := range sh.Members {
		for _, k := range dc.memberKeys(m) {
			out[k] = true
		}
	}
	return out
}

// structure decodes the members of sh found under n. present is false when
// no member is present: the query protocol cannot send an empty structure,
// so a structure with nothing in it was not sent.
func (dc decoder) structure(sh *model.Shape, n *node, path string, depth int) (map[string]any, bool, error) {
	out := map[string]any{}
	for _, m := range sh.Members {
		for _, key := range dc.memberKeys(m) {
			c := n.child(key)
			if c == nil {
				continue
			}
			v, ok, err := dc.value(m, c, join(path, key), depth+1)
			if err != nil {
				return nil, false, err
			}
			if ok {
				out[m.Name] = v
				break
			}
		}
	}
	return out, len(out) > 0, nil
}

// value decodes n as ref's shape. present is false when n carries nothing
// that decodes to a value: such parameters are treated as not sent.
func (dc decoder) value(ref *model.Ref, n *node, path string, depth int) (any, bool, error) {
	if depth > maxDepth {
		return nil, false, awserr.InvalidParameterValue.New("Parameter %s is nested more than %d levels deep.", path, maxDepth)
	}
	sh := ref.Shape
	switch sh.Type {
	case model.Structure:
		return dc.structure(sh, n, path, depth)
	case model.List:
		return dc.list(ref, n, path, depth)
	case model.Map:
		return dc.mapValue(ref, n, path, depth)
	}
	if !n.has {
		return nil, false, nil
	}
	v, err := xmlbody.ParseScalar(ref, n.val)
	if err != nil {
		return nil, false, invalidValue(n.val, path, err)
	}
	return v, true, nil
}

// list decodes "Name.member.N" (query), "Name.N" (query flattened, ec2),
// and the query empty list "Name=". Both item layouts are accepted in
// query, whichever the model says, since they cannot be confused.
func (dc decoder) list(ref *model.Ref, n *node, path string, depth int) (any, bool, error) {
	sh := ref.Shape
	var items []item
	itemsPath := path
	if dc.ec2 {
		items = n.indexed()
	} else {
		name := sh.Member.XMLName()
		if name == "" {
			name = "member"
		}
		if ref.IsFlattened() {
			items = n.indexed()
		}
		if len(items) == 0 {
			items = n.child(name).indexed()
			itemsPath = join(path, name)
		}
		if len(items) == 0 && !ref.IsFlattened() {
			items = n.indexed()
			itemsPath = path
		}
	}
	out := []any{}
	for _, it := range items {
		v, ok, err := dc.value(sh.Member, it.n, join(itemsPath, it.key), depth+1)
		if err != nil {
			return nil, false, err
		}
		if ok {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		// "Name=" is how the query protocol sends an empty list; ec2
		// sends nothing at all for one.
		return out, !dc.ec2 && (n.has || len(items) > 0), nil
	}
	return out, true, nil
}

// mapValue decodes "Name.entry.N.key" / ".value" (flattened:
// "Name.N.key"), with the key and value refs' names.
func (dc decoder) mapValue(ref *model.Ref, n *node, path string, depth int) (any, bool, error) {
	sh := ref.Shape
	kname, vname := "key", "value"
	if dc.ec2 {
		kname, vname = ec2Name(sh.Key, kname), ec2Name(sh.Value, vname)
	} else {
		if k := sh.Key.XMLName(); k != "" {
			kname = k
		}
		if v := sh.Value.XMLName(); v != "" {
			vname = v
		}
	}
	entries, entriesPath := n.child("entry").indexed(), join(path, "entry")
	if len(entries) == 0 {
		entries, entriesPath = n.indexed(), path
	}
	out := map[string]any{}
	for _, e := range entries {
		k := e.n.child(kname)
		vn := e.n.child(vname)
		if k == nil || !k.has || vn == nil {
			continue
		}
		v, ok, err := dc.value(sh.Value, vn, join(entriesPath, e.key, vname), depth+1)
		if err != nil {
			return nil, false, err
		}
		if ok {
			out[k.val] = v
		}
	}
	// The query protocol sends nothing for an empty map.
	return out, len(out) > 0, nil
}

func join(parts ...string) string {
	var sb strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(p)
	}
	return sb.String()
}

// invalidValue is the error for a parameter whose text is not of its
// type. Query and ec2 services share InvalidParameterValue, which every
// query service lists among its common errors ("An invalid or
// out-of-range value was supplied for the input parameter") and EC2 among
// its client errors, in the wording EC2 uses.
func invalidValue(val, path string, reason error) *awserr.Error {
	if len(val) > 64 {
		val = val[:64] + "..."
	}
	return awserr.InvalidParameterValue.New("Value (%s) for parameter %s is invalid. Reason: %v.", val, path, reason)
}
