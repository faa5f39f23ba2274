package query

import (
	"cmp"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/niwa-cloud/niwa/internal/api"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/protocol/xmlbody"
)

// The typed decoder reads the form straight into the operation's typed
// input, through the builder (internal/api/build.go), without the
// url.Values map, the node tree or the dynamic value in between. It
// builds exactly what Decode and api.Converter.ToTyped build, with the
// same rules (decode.go), on a different index: the form's pairs, their
// keys and values unescaped, sorted by key (stably: of a key given twice
// the first counts, as in the tree). A node of the tree is then a run of
// that slice — the keys that begin with its path and a dot — and the pair
// whose key is its path, each found by binary search; a list's items are
// the distinct index segments of its run, in numeric order.
//
// Anything it would read differently from the tree path, or that the
// tree path answers with an error — a malformed form, a value that does
// not parse as its type, a structure nested too deep, a value the
// converter refuses — is protocol.ErrUseTree: Decode words every error a
// client sees.

var _ protocol.TypedDecoder = (*Codec)(nil)

// maxTypedParams bounds the parameters of a form the typed decoder
// reads (url.ParseQuery refuses more than 10000 by default); a larger
// form is left to the tree path.
const maxTypedParams = 1000

// DecodesTyped: every operation with an input.
func (c *Codec) DecodesTyped(op *model.Operation) bool { return op.Input != nil }

// DecodeTyped reads op's input from the form into in (see
// protocol.TypedDecoder): the value Decode and the Converter build, or
// protocol.ErrUseTree.
func (c *Codec) DecodeTyped(op *model.Operation, req *protocol.Request, in api.Typed) error {
	p, err := protocol.TypedTarget(op, in)
	if err != nil {
		return err
	}
	d := c.decoder()
	defer c.releaseDecoder(d)
	pairs, ok := parseForm(req, d.pairs[:0], &d.buf)
	d.pairs = pairs
	if !ok {
		return protocol.ErrUseTree
	}
	slices.SortStableFunc(d.pairs, func(a, b pair) int { return strings.Compare(a.key, b.key) })
	tab, i := in.ConvType()
	d.tab = tab
	root := run{lo: 0, hi: int32(len(d.pairs)), off: 0, val: -1}
	if _, err := d.structure(op.Input.Shape, root, i, p, 0); err != nil {
		return protocol.ErrUseTree
	}
	return nil
}

// pair is one form parameter, unescaped.
type pair struct{ key, val string }

// run is a node of the tree buildTree makes: pairs[lo:hi] are the keys
// below it (each begins with its path and a dot, off bytes), pairs[val]
// the one that is its path (-1: none, the node has no value).
type run struct {
	lo, hi, off, val int32
}

func (n run) exists() bool { return n.val >= 0 || n.lo < n.hi }

// index is a child of a node named by a list index.
type index struct {
	i   int32
	seg string
}

// typedDec is one decoding's state, pooled by the codec (its slices are
// reused; what it decodes into the input is always copied out of them).
type typedDec struct {
	c     *Codec
	ec2   bool
	pairs []pair
	buf   []byte // the unescaped keys and values, made with room for all
	items []index
	tab   api.Table
}

func (c *Codec) decoder() *typedDec {
	if d, ok := c.decs.Get().(*typedDec); ok {
		return d
	}
	return &typedDec{c: c, ec2: c.ec2}
}

// ec2Names are the ec2 names of structure sh's members, or of map sh's
// key and value, made once per shape (ec2Name makes a string for a
// lower-case locationName, which most EC2 members have).
func (c *Codec) ec2Names(sh *model.Shape) []string {
	if v, ok := c.names.Load(sh); ok {
		return v.([]string)
	}
	var names []string
	if sh.Type == model.Map {
		names = []string{ec2Name(sh.Key, "key"), ec2Name(sh.Value, "value")}
	} else {
		names = make([]string, len(sh.Members))
		for k, m := range sh.Members {
			names[k] = ec2Name(m, m.Name)
		}
	}
	c.names.Store(sh, names)
	return names
}

// releaseDecoder pools d, holding nothing of the request (a large form's
// slices are left to the collector).
func (c *Codec) releaseDecoder(d *typedDec) {
	if cap(d.pairs) > 256 || cap(d.buf) > 64<<10 || cap(d.items) > 256 {
		return
	}
	clear(d.pairs[:cap(d.pairs)])
	d.pairs, d.buf, d.items, d.tab = d.pairs[:0], d.buf[:0], d.items[:0], nil
	c.decs.Put(d)
}

// rawForm returns the two parts of the form as Request.Form reads them:
// the URL's query and, except for GET and HEAD, the payload, which the
// string only views (nothing decoded from it is kept without a copy).
func rawForm(req *protocol.Request) (query, body string, ok bool) {
	query = req.HTTP.URL.RawQuery
	if req.HTTP.Method == http.MethodGet || req.HTTP.Method == http.MethodHead {
		return query, "", true
	}
	b, err := req.Payload()
	if err != nil {
		return "", "", false
	}
	return query, unsafe.String(unsafe.SliceData(b), len(b)), true
}

// parseForm appends the form's pairs to pairs, query first, as
// url.ParseQuery reads them: pairs split at '&', empty ones skipped, key
// and value at the first '='. It reports false for what url.ParseQuery
// refuses (a ';' in a pair, a bad escape) and for a form with more than
// maxTypedParams pairs in a part. A key with more dots than any
// decodable key has is dropped, as buildTree drops it.
func parseForm(req *protocol.Request, pairs []pair, buf *[]byte) ([]pair, bool) {
	query, body, ok := rawForm(req)
	if !ok {
		return nil, false
	}
	*buf = (*buf)[:0]
	room := len(query) + len(body)
	for _, part := range [2]string{query, body} {
		if strings.Count(part, "&") >= maxTypedParams {
			return nil, false
		}
		for part != "" {
			var kv string
			kv, part, _ = strings.Cut(part, "&")
			if strings.IndexByte(kv, ';') >= 0 {
				return nil, false
			}
			if kv == "" {
				continue
			}
			k, v, _ := strings.Cut(kv, "=")
			k, ok1 := unescape(buf, k, room)
			v, ok2 := unescape(buf, v, room)
			if !ok1 || !ok2 {
				return nil, false
			}
			if strings.Count(k, ".") >= maxSegments {
				continue
			}
			pairs = append(pairs, pair{k, v})
		}
	}
	return pairs, true
}

// unescape is url.QueryUnescape, into *buf when s has escapes. The
// buffer is made with room for the whole form (room), so it never grows
// while a form is read; the strings it gives view it, and a reused
// buffer only ever appends past them.
func unescape(buf *[]byte, s string, room int) (string, bool) {
	if !strings.ContainsAny(s, "%+") {
		return s, true
	}
	if cap(*buf) < room {
		*buf = make([]byte, 0, room)
	}
	start := len(*buf)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return "", false
			}
			*buf = append(*buf, unHex(s[i+1])<<4|unHex(s[i+2]))
			i += 2
		case '+':
			*buf = append(*buf, ' ')
		default:
			*buf = append(*buf, c)
		}
	}
	b := (*buf)[start:]
	return unsafe.String(unsafe.SliceData(b), len(b)), true
}

// validEscapes reports whether url.QueryUnescape takes s.
func validEscapes(s string) bool {
	for i := strings.IndexByte(s, '%'); i >= 0; {
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return false
		}
		j := strings.IndexByte(s[i+3:], '%')
		if j < 0 {
			break
		}
		i += 3 + j
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unHex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}

// scanAction finds the form's Action as Resolve reads it
// (form.Get("Action")), without parsing the form into a map: every pair
// is checked as url.ParseQuery checks it. ok is false when the form is
// one to leave to Request.Form (malformed, too many parameters, an
// escaped key or Action value, an unreadable body), which words the
// error.
func scanAction(req *protocol.Request) (action string, ok bool) {
	query, body, ok := rawForm(req)
	if !ok {
		return "", false
	}
	found := false
	for _, part := range [2]string{query, body} {
		if strings.Count(part, "&") >= maxTypedParams {
			return "", false
		}
		for part != "" {
			var kv string
			kv, part, _ = strings.Cut(part, "&")
			if strings.IndexByte(kv, ';') >= 0 {
				return "", false
			}
			k, v, _ := strings.Cut(kv, "=")
			if !validEscapes(k) || !validEscapes(v) {
				return "", false
			}
			if strings.ContainsAny(k, "%+") {
				return "", false
			}
			if k == "Action" && !found {
				if strings.ContainsAny(v, "%+") {
					return "", false
				}
				action, found = v, true
			}
		}
	}
	return action, true
}

// child is n's child named name: binary searches in n's run, whose keys
// share their first off bytes.
func (d *typedDec) child(n run, name string) run {
	ps, off := d.pairs, int(n.off)
	// The first key at or after name, and whether it is name.
	lo, hi := n.lo, n.hi
	for lo < hi {
		m := int32(uint32(lo+hi) >> 1)
		if ps[m].key[off:] < name {
			lo = m + 1
		} else {
			hi = m
		}
	}
	c := run{off: int32(off + len(name) + 1), val: -1}
	if lo < n.hi && ps[lo].key[off:] == name {
		c.val = lo
	}
	// The run of name+".": from the first key at or after it to the
	// first at or after name+"/".
	c.lo = d.search(lo, n.hi, off, name, '.')
	c.hi = d.search(c.lo, n.hi, off, name, '/')
	return c
}

// search returns the first index in [lo, hi) whose key (from off) is at
// least name+tail, hi if none.
func (d *typedDec) search(lo, hi int32, off int, name string, tail byte) int32 {
	ps := d.pairs
	for lo < hi {
		m := int32(uint32(lo+hi) >> 1)
		if atLeast(ps[m].key[off:], name, tail) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// atLeast reports whether s >= name+string(tail).
func atLeast(s, name string, tail byte) bool {
	if len(s) <= len(name) {
		// s is less unless it is greater over its own length.
		return s > name[:len(s)]
	}
	if s[:len(name)] != name {
		return s[:len(name)] > name
	}
	return s[len(name)] >= tail
}

// indexed returns the children of n named by list indices, in numeric
// order, as node.indexed does. The slice is d.items' tail; the caller
// gives it back with d.items = d.items[:start].
func (d *typedDec) indexed(n run) (items []index, start int) {
	start = len(d.items)
	off := int(n.off)
	for j := n.lo; j < n.hi; j++ {
		seg := d.pairs[j].key[off:]
		if k := strings.IndexByte(seg, '.'); k >= 0 {
			seg = seg[:k]
		}
		if len(seg) == 0 || len(seg) > 9 || seg[0] < '1' || seg[0] > '9' {
			continue
		}
		v := int32(0)
		for _, c := range []byte(seg) {
			if c < '0' || c > '9' {
				v = -1
				break
			}
			v = v*10 + int32(c-'0')
		}
		if v < 0 {
			continue
		}
		if k := len(d.items); k > start && d.items[k-1].i == v {
			continue // the same index as the key before
		}
		d.items = append(d.items, index{v, seg})
	}
	items = d.items[start:]
	slices.SortFunc(items, func(a, b index) int { return cmp.Compare(a.i, b.i) })
	items = slices.CompactFunc(items, func(a, b index) bool { return a.i == b.i })
	d.items = d.items[:start+len(items)]
	return items, start
}

// queryKeys is decoder.memberKeys (query) without the slice: the keys
// member m may appear under, preferred first ("" for none).
func queryKeys(m *model.Ref) (string, string) {
	key := m.XMLName()
	if m.Shape.Type == model.List && m.IsFlattened() {
		if name := m.Shape.Member.XMLName(); name != "" && name != key {
			return name, key
		}
	}
	return key, ""
}

// structure decodes the members of sh found under n into the structure
// at p, entry i; present is decoder.structure's.
func (d *typedDec) structure(sh *model.Shape, n run, i int32, p unsafe.Pointer, depth int) (present bool, err error) {
	if d.tab.NumFields(i) != len(sh.Members) {
		return false, protocol.ErrUseTree
	}
	if n.lo >= n.hi {
		return false, nil // nothing below: no member is present
	}
	var ec2Names []string
	if d.ec2 {
		ec2Names = d.c.ec2Names(sh)
	}
	for k, m := range sh.Members {
		f, fp := d.tab.Field(i, k, p)
		if f.Name != m.Name {
			return false, protocol.ErrUseTree
		}
		var k1, k2 string
		if d.ec2 {
			k1 = ec2Names[k]
		} else {
			k1, k2 = queryKeys(m)
		}
		for _, key := range [2]string{k1, k2} {
			if key == "" {
				continue
			}
			c := d.child(n, key)
			if !c.exists() {
				continue
			}
			ok, err := d.value(m, c, f, fp, depth+1)
			if err != nil {
				return false, err
			}
			if ok {
				present = true
				break
			}
		}
	}
	return present, nil
}

// value decodes n as ref's shape into the value of field f at p, which
// it leaves zero when nothing is present (decoder.value's present).
func (d *typedDec) value(ref *model.Ref, n run, f *api.Field, p unsafe.Pointer, depth int) (bool, error) {
	if depth > maxDepth {
		return false, protocol.ErrUseTree
	}
	sh := ref.Shape
	switch sh.Type {
	case model.Structure:
		if n.lo >= n.hi {
			return false, nil
		}
		si, sp, err := d.tab.Struct(f, p)
		if err != nil {
			return false, protocol.ErrUseTree
		}
		ok, err := d.structure(sh, n, si, sp, depth)
		if err != nil {
			return false, err
		}
		if !ok {
			d.tab.Clear(f, p)
		}
		return ok, nil
	case model.List:
		return d.list(ref, n, f, p, depth)
	case model.Map:
		return d.mapValue(ref, n, f, p, depth)
	}
	if n.val < 0 {
		return false, nil
	}
	if err := d.scalar(ref, d.pairs[n.val].val, f, p); err != nil {
		return false, protocol.ErrUseTree
	}
	return true, nil
}

// list is decoder.list.
func (d *typedDec) list(ref *model.Ref, n run, f *api.Field, p unsafe.Pointer, depth int) (bool, error) {
	sh := ref.Shape
	base := n
	var items []index
	start := len(d.items)
	if d.ec2 || ref.IsFlattened() {
		items, start = d.indexed(n)
	}
	if !d.ec2 {
		name := sh.Member.XMLName()
		if name == "" {
			name = "member"
		}
		if len(items) == 0 {
			base = d.child(n, name)
			items, start = d.indexed(base)
		}
		if len(items) == 0 && !ref.IsFlattened() {
			base = n
			items, start = d.indexed(n)
		}
	}
	defer func() { d.items = d.items[:start] }()
	if d.tab.List(f, p) != nil {
		return false, protocol.ErrUseTree
	}
	if len(items) > 1 {
		d.tab.Reserve(f, p, len(items))
	}
	count := 0
	for _, it := range items {
		ef, ep := d.tab.Append(f, p)
		ok, err := d.value(sh.Member, d.child(base, it.seg), ef, ep, depth+1)
		if err != nil {
			return false, err
		}
		if ok {
			count++
		} else {
			d.tab.Unappend(f, p)
		}
	}
	if count == 0 {
		// "Name=" is how the query protocol sends an empty list; ec2
		// sends nothing at all for one.
		if !d.ec2 && (n.val >= 0 || len(items) > 0) {
			d.tab.Trim(f, p)
			return true, nil
		}
		d.tab.Clear(f, p)
		return false, nil
	}
	d.tab.Trim(f, p)
	return true, nil
}

// mapValue is decoder.mapValue.
func (d *typedDec) mapValue(ref *model.Ref, n run, f *api.Field, p unsafe.Pointer, depth int) (bool, error) {
	sh := ref.Shape
	kname, vname := "key", "value"
	if d.ec2 {
		names := d.c.ec2Names(sh)
		kname, vname = names[0], names[1]
	} else {
		if k := sh.Key.XMLName(); k != "" {
			kname = k
		}
		if v := sh.Value.XMLName(); v != "" {
			vname = v
		}
	}
	base := d.child(n, "entry")
	entries, start := d.indexed(base)
	if len(entries) == 0 {
		base = n
		entries, start = d.indexed(n)
	}
	defer func() { d.items = d.items[:start] }()
	if len(entries) == 0 {
		return false, nil
	}
	mb, err := d.tab.Map(f, p)
	if err != nil {
		return false, protocol.ErrUseTree
	}
	count := 0
	for _, e := range entries {
		en := d.child(base, e.seg)
		k := d.child(en, kname)
		vn := d.child(en, vname)
		if k.val < 0 || !vn.exists() {
			continue
		}
		ok, err := d.value(sh.Value, vn, mb.Elem, mb.Value(), depth+1)
		if err != nil {
			return false, err
		}
		if ok {
			mb.Put(strings.Clone(d.pairs[k.val].val))
			count++
		}
	}
	if count == 0 {
		// The query protocol sends nothing for an empty map.
		d.tab.Clear(f, p)
		return false, nil
	}
	return true, nil
}

// scalar sets the value of field f at p from s, as xmlbody.ParseScalar
// reads it and the converter sets what it gives. Strings are copied out
// of the form.
func (d *typedDec) scalar(ref *model.Ref, s string, f *api.Field, p unsafe.Pointer) error {
	switch ref.Shape.Type {
	case model.String, model.Character:
		return d.tab.SetStringBytes(f, p, unsafe.Slice(unsafe.StringData(s), len(s)))
	case model.Integer, model.Long:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || ref.Shape.Type == model.Integer && (n < math.MinInt32 || n > math.MaxInt32) {
			return protocol.ErrUseTree
		}
		return d.tab.SetInt(f, p, n)
	case model.Float, model.Double:
		x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil {
			return protocol.ErrUseTree
		}
		if (f.Kind == api.KFloat32 || f.Kind == api.KFloat32Ptr) && !math.IsNaN(x) && api.Float32(float32(x)) != x {
			// The validator would read the float32's value, not the
			// number sent: its range checks could differ.
			return protocol.ErrUseTree
		}
		return d.tab.SetFloat(f, p, x)
	case model.Boolean:
		switch t := strings.TrimSpace(s); {
		case strings.EqualFold(t, "true"):
			return d.tab.SetBool(f, p, true)
		case strings.EqualFold(t, "false"):
			return d.tab.SetBool(f, p, false)
		}
		return protocol.ErrUseTree
	case model.Timestamp:
		t, err := xmlbody.ParseTimestamp(s)
		if err != nil {
			return protocol.ErrUseTree
		}
		return d.tab.SetTime(f, p, t)
	case model.Blob:
		if f.Kind == api.KReader {
			// A reader's tree form is the blob, its typed form a
			// reader: the validator would see a different value.
			return protocol.ErrUseTree
		}
		v, err := xmlbody.ParseScalar(ref, s)
		if err != nil {
			return protocol.ErrUseTree
		}
		return d.tab.SetBytes(f, p, v.([]byte))
	}
	// Documents and anything else: the tree path's.
	return protocol.ErrUseTree
}
