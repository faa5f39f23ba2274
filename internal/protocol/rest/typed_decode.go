package rest

import (
	"bytes"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unsafe"

	"github.com/niwa-cloud/niwa/internal/api"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/protocol/jsonbody"
	"github.com/niwa-cloud/niwa/internal/protocol/xmlbody"
)

var _ protocol.TypedDecoder = (*Codec)(nil)

// DecodeTyped reads a rest-json or rest-xml input straight into in, the
// value Decode and api.Converter.ToTyped build, without the dynamic
// tree: the members bound to the URI, query string, headers (prefix
// headers too) and host are parsed as decodeLocations parses them
// (parseScalar's rules, splitHeaderList's) and written through the
// builder (internal/api/build.go); a raw or streaming payload is taken as
// Decode takes it (a streaming one left unread, for the handler); a
// body's members, or structure payload, through jsonbody.DecodeTyped or
// xmlbody.DecodeTypedMembers. A request the tree path refuses, or that
// this path would read differently from it, is protocol.ErrUseTree:
// Decode words the errors clients see. Left to the tree today: a
// rest-json document payload, an XML flattened map.
func (c *Codec) DecodeTyped(op *model.Operation, req *protocol.Request, in api.Typed) error {
	if !c.DecodesTyped(op) {
		return protocol.ErrUseTree
	}
	sh := op.Input.Shape
	pm := sh.PayloadMember()
	p, err := protocol.TypedTarget(op, in)
	if err != nil {
		return err
	}
	tab, i := in.ConvType()
	if tab.NumFields(i) != len(sh.Members) {
		return protocol.ErrUseTree
	}
	info := c.opInfo(op)
	tmpl := op.URI()
	var lbuf [8]pathLabel
	labels := lbuf[:0]
	var segs [8]string
	matchLabels(tmpl, appendSplitPath(segs[:0], requestPath(req)), func(l, v string) {
		labels = append(labels, pathLabel{l, v})
	})
	d := typedLoc{info: info, tab: tab}
	if d.locations(sh, labels, req.Query(), req.HTTP.Header, tmpl, i, p) != nil {
		return protocol.ErrUseTree
	}
	if err := c.typedBody(op, pm, req, tab, i, p); err != nil {
		return protocol.ErrUseTree
	}
	if typedHostLabels(op, req.HTTP.Host, tab, i, p) != nil {
		return protocol.ErrUseTree
	}
	return nil
}

// DecodesTyped: every operation with an input. Whether a request's body
// is one DecodeTyped reads is known from the request (its length).
func (c *Codec) DecodesTyped(op *model.Operation) bool {
	return op.Input != nil
}

// rawPayload reports whether a payload member is a blob or string taken
// as the body's bytes (or its stream).
func rawPayload(pm *model.Ref) bool {
	return pm.Shape.Type == model.Blob || pm.Shape.Type == model.String
}

// pathLabel is a URI label's decoded value.
type pathLabel struct{ name, value string }

// labelValue is the value of the label name (the last one given, as a
// map keeps it).
func labelValue(labels []pathLabel, name string) (string, bool) {
	for k := len(labels) - 1; k >= 0; k-- {
		if labels[k].name == name {
			return labels[k].value, true
		}
	}
	return "", false
}

// typedBody reads the body as decodeBody does, into the structure at p.
func (c *Codec) typedBody(op *model.Operation, pm *model.Ref, req *protocol.Request, tab api.Table, i int32, p unsafe.Pointer) error {
	sh := op.Input.Shape
	if pm == nil {
		if !hasBodyMembers(sh) {
			return nil
		}
		body, err := req.Bytes()
		if err != nil {
			return err
		}
		if c.xml {
			d, start, ok, err := rootElement(body, inputRootName(op))
			if err != nil || !ok {
				return err
			}
			return xmlbody.DecodeTypedMembers(d, start, sh, tab, i, p)
		}
		return jsonbody.DecodeTyped(body, sh, true, tab, i, p)
	}
	k := index(sh, pm)
	if k < 0 {
		return protocol.ErrUseTree
	}
	f, fp := tab.Field(i, k, p)
	if f.Name != pm.Name {
		return protocol.ErrUseTree
	}
	if rawPayload(pm) {
		if pm.IsStreaming() {
			// Left unread: the handler streams it (the tree holds
			// req.Body itself).
			if req.Body == nil {
				return nil
			}
			if f.Kind == api.KReader {
				*(*io.Reader)(fp) = req.Body
				return nil
			}
			return tab.SetAny(f, fp, req.Body)
		}
		body, err := req.Bytes()
		if err != nil || len(body) == 0 {
			return err
		}
		if pm.Shape.Type == model.String {
			return tab.SetString(f, fp, string(body))
		}
		return tab.SetBytes(f, fp, body)
	}
	body, err := req.Bytes()
	if err != nil {
		return err
	}
	if c.xml {
		// A structure payload's element: absent for a body without one
		// (rootElement), else a structure, <Foo/> an empty one.
		d, start, ok, err := rootElement(body, pm.XMLName())
		if err != nil || !ok {
			return err
		}
		if pm.Shape.Type != model.Structure || f.Kind != api.KStructPtr || pm.IsFlattened() {
			return protocol.ErrUseTree
		}
		j, sp, err := tab.Struct(f, fp)
		if err != nil {
			return err
		}
		return xmlbody.DecodeTypedMembers(d, start, pm.Shape, tab, j, sp)
	}
	// rest-json: a structure payload's object. Whitespace is absent, and
	// so is an object the tree keeps no member of (decodeJSONPayload: an
	// empty object; the tree drops nulls and unknown keys), which is a
	// structure with every field absent here.
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if pm.Shape.Type != model.Structure || f.Kind != api.KStructPtr {
		return protocol.ErrUseTree
	}
	j, sp, err := tab.Struct(f, fp)
	if err != nil {
		return err
	}
	if err := jsonbody.DecodeTyped(body, pm.Shape, false, tab, j, sp); err != nil {
		return err
	}
	for k := range tab.NumFields(j) {
		if ef, ep := tab.Field(j, k, sp); !api.Absent(ef, ep) {
			return nil
		}
	}
	tab.Clear(f, fp)
	return nil
}

// typedHostLabels sets the members bound by the operation's hostPrefix
// that are still absent, as hostLabels does.
func typedHostLabels(op *model.Operation, host string, tab api.Table, i int32, p unsafe.Pointer) error {
	var err error
	forHostLabels(op, host, func(k int, m *model.Ref, value string) {
		if err != nil {
			return
		}
		if k < 0 {
			err = protocol.ErrUseTree
			return
		}
		f, fp := tab.Field(i, k, p)
		if f.Name != m.Name {
			err = protocol.ErrUseTree
			return
		}
		if !api.Absent(f, fp) {
			return // what the body or a location gave (the tree drops a body's null)
		}
		err = tab.SetString(f, fp, value)
	})
	return err
}

// typedLoc writes location members into a typed input.
type typedLoc struct {
	info *serviceInfo
	tab  api.Table
	// strs holds the strings the *string members point to, eight to an
	// allocation rather than one each (the SDK's S3 PutObject sets five:
	// bucket, key, content type, checksum and its algorithm).
	strs []string
}

// strPtr is a *string holding s, from strs.
func (d *typedLoc) strPtr(s string) *string {
	if len(d.strs) == cap(d.strs) {
		d.strs = make([]string, 0, 8)
	}
	d.strs = append(d.strs, s)
	return &d.strs[len(d.strs)-1]
}

// locPlan is an input shape's location members, found once per shape
// (serviceInfo.plan): which members a request's URI, query string and
// prefix headers fill, and which member each header name fills. The
// walk it replaces visited every member of the shape for every request
// and looked its header up in the request (fifty members, fifty map
// lookups, for S3's PutObject, whose request sends a dozen headers).
type locPlan struct {
	// typ is the table entry the plan was checked against: every
	// location member's field has the member's name.
	typ *api.Type
	// bad: some field does not match its member; the tree decodes.
	bad bool
	// other lists the URI, query-string and prefix-header members, in
	// member order; queryMap whether a map takes the unclaimed query
	// parameters.
	other    []int
	queryMap bool
	// header lists the header-bound members in member order with their
	// canonical header names (keys[j] is header[j]'s); byKey maps a
	// canonical name to the members it fills.
	header []int
	keys   []string
	byKey  map[string][]int
}

// plan is the location plan of sh as entry i of tab, built on first use;
// nil when the codec has no model for it (the walk decodes).
func (info *serviceInfo) plan(sh *model.Shape, tab api.Table, i int32) *locPlan {
	if info == nil {
		return nil
	}
	typ := &tab[i]
	if v, ok := info.plans.Load(sh); ok {
		if pl := v.(*locPlan); pl.typ == typ {
			return pl
		}
		return nil // another table for the shape (none is): walk
	}
	pl := &locPlan{typ: typ, byKey: map[string][]int{}}
	for k, m := range sh.Members {
		switch m.Location {
		case model.LocationURI, model.LocationQueryString, model.LocationHeader, model.LocationHeaders:
		default:
			continue
		}
		if k >= len(typ.Fields) || typ.Fields[k].Name != m.Name {
			pl.bad = true
		}
		switch m.Location {
		case model.LocationHeader:
			key := info.headerKey(m)
			pl.header = append(pl.header, k)
			pl.keys = append(pl.keys, key)
			pl.byKey[key] = append(pl.byKey[key], k)
		case model.LocationQueryString:
			if m.Shape.Type == model.Map {
				pl.queryMap = true
				continue
			}
			pl.other = append(pl.other, k)
		default:
			pl.other = append(pl.other, k)
		}
	}
	v, _ := info.plans.LoadOrStore(sh, pl)
	if pl = v.(*locPlan); pl.typ != typ {
		return nil
	}
	return pl
}

// locations is decodeLocations writing into the structure at p (entry i)
// instead of a tree, through the shape's plan. Any error makes the
// request the tree's.
func (d *typedLoc) locations(sh *model.Shape, labels []pathLabel, query url.Values, h http.Header, tmpl model.URITemplate, i int32, p unsafe.Pointer) error {
	pl := d.info.plan(sh, d.tab, i)
	if pl == nil {
		return d.walkLocations(sh, labels, query, h, tmpl, i, p)
	}
	if pl.bad {
		return protocol.ErrUseTree
	}
	tab := d.tab
	for _, k := range pl.other {
		m := sh.Members[k]
		f, fp := tab.Field(i, k, p)
		if err := d.location(f, fp, m, labels, query, h); err != nil {
			return err
		}
	}
	// Each header member reads h[its canonical name]: from the request's
	// headers when it sends fewer than the shape has members, else from
	// the members. Either finds the same values.
	if len(h) < len(pl.header) {
		for key, vs := range h {
			if len(vs) == 0 {
				continue
			}
			for _, k := range pl.byKey[key] {
				f, fp := tab.Field(i, k, p)
				if err := d.header(f, fp, sh.Members[k], vs); err != nil {
					return err
				}
			}
		}
	} else {
		for j, k := range pl.header {
			vs := h[pl.keys[j]]
			if len(vs) == 0 {
				continue
			}
			f, fp := tab.Field(i, k, p)
			if err := d.header(f, fp, sh.Members[k], vs); err != nil {
				return err
			}
		}
	}
	if !pl.queryMap {
		return nil
	}
	return d.queryMap(sh, query, tmpl, i, p)
}

// location sets a URI, query-string (not map) or prefix-header member.
func (d *typedLoc) location(f *api.Field, fp unsafe.Pointer, m *model.Ref, labels []pathLabel, query url.Values, h http.Header) error {
	switch m.Location {
	case model.LocationURI:
		s, ok := labelValue(labels, wireName(m))
		if !ok {
			return nil
		}
		return d.scalar(f, fp, m, s, false)
	case model.LocationQueryString:
		vs, ok := query[wireName(m)]
		if !ok {
			return nil
		}
		if m.Shape.Type == model.List {
			return d.list(f, fp, m.Shape.Member, vs, false)
		}
		if len(vs) == 0 {
			return protocol.ErrUseTree // the tree's vs[0] would panic
		}
		return d.scalar(f, fp, m, vs[0], false)
	case model.LocationHeaders:
		return d.prefixHeaders(f, fp, m, h)
	}
	return nil
}

// header sets a header-bound member from its header's values (at least
// one).
func (d *typedLoc) header(f *api.Field, fp unsafe.Pointer, m *model.Ref, vs []string) error {
	if m.Shape.Type == model.List {
		joined := vs[0]
		if len(vs) > 1 {
			joined = strings.Join(vs, ",")
		}
		return d.list(f, fp, m.Shape.Member, splitHeaderList(joined, m.Shape.Member), true)
	}
	return d.scalar(f, fp, m, strings.TrimSpace(vs[0]), true)
}

// walkLocations is locations without a plan: every member visited.
func (d *typedLoc) walkLocations(sh *model.Shape, labels []pathLabel, query url.Values, h http.Header, tmpl model.URITemplate, i int32, p unsafe.Pointer) error {
	tab := d.tab
	queryMap := false
	for k, m := range sh.Members {
		switch m.Location {
		case model.LocationURI, model.LocationQueryString, model.LocationHeader, model.LocationHeaders:
		default:
			continue // the body's, the status code's (an output's)
		}
		f, fp := tab.Field(i, k, p)
		if f.Name != m.Name {
			return protocol.ErrUseTree
		}
		switch m.Location {
		case model.LocationQueryString:
			if m.Shape.Type == model.Map {
				queryMap = true
				continue // after the named parameters
			}
		case model.LocationHeader:
			vs := d.info.headerValues(h, m)
			if len(vs) == 0 {
				continue
			}
			if err := d.header(f, fp, m, vs); err != nil {
				return err
			}
			continue
		}
		if err := d.location(f, fp, m, labels, query, h); err != nil {
			return err
		}
	}
	if !queryMap {
		return nil
	}
	return d.queryMap(sh, query, tmpl, i, p)
}

// queryMap sets the query-string maps of sh.
func (d *typedLoc) queryMap(sh *model.Shape, query url.Values, tmpl model.URITemplate, i int32, p unsafe.Pointer) error {
	tab := d.tab
	// A map bound to the query string takes every parameter no other
	// member or template literal claims; converted from its dynamic
	// form, as the tree's (few operations have one).
	for k, m := range sh.Members {
		if m.Location != model.LocationQueryString || m.Shape.Type != model.Map {
			continue
		}
		mv := map[string]any{}
		for key, vs := range query {
			if claimedQuery(sh, key) || isTemplateLiteral(tmpl, key) {
				continue
			}
			if m.Shape.Value.Shape.Type == model.List {
				l := make([]any, 0, len(vs))
				for _, s := range vs {
					v, err := parseScalar(m.Shape.Value.Shape.Member, s, model.ISO8601, false)
					if err != nil {
						return err
					}
					l = append(l, v)
				}
				mv[key] = l
				continue
			}
			if len(vs) == 0 {
				return protocol.ErrUseTree
			}
			v, err := parseScalar(m.Shape.Value, vs[0], model.ISO8601, false)
			if err != nil {
				return err
			}
			mv[key] = v
		}
		if len(mv) > 0 {
			f, fp := tab.Field(i, k, p)
			if err := tab.SetAny(f, fp, mv); err != nil {
				return err
			}
		}
	}
	return nil
}

// claimedQuery reports whether a query parameter is bound to a member
// other than a map.
func claimedQuery(sh *model.Shape, key string) bool {
	for _, m := range sh.Members {
		if m.Location == model.LocationQueryString && m.Shape.Type != model.Map && wireName(m) == key {
			return true
		}
	}
	return false
}

// scalar parses s as parseScalar does and sets the value at fp: strings,
// integers and booleans straight into the field, anything else through
// the dynamic value parseScalar makes (Table.set converts it as
// FromDynamic does).
func (d *typedLoc) scalar(f *api.Field, fp unsafe.Pointer, ref *model.Ref, s string, inHeader bool) error {
	if !ref.JSONValue {
		switch ref.Shape.Type {
		case model.String, model.Character:
			if f.Kind == api.KStringPtr {
				*(**string)(fp) = d.strPtr(s) // SetString's, without an allocation each
				return nil
			}
			return d.tab.SetString(f, fp, s)
		case model.Integer, model.Long:
			n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			if err != nil {
				return protocol.ErrUseTree
			}
			if ref.Shape.Type == model.Integer && (n > math.MaxInt32 || n < math.MinInt32) {
				return protocol.ErrUseTree
			}
			return d.tab.SetInt(f, fp, n)
		case model.Boolean:
			b, ok := parseBool(s)
			if !ok {
				return protocol.ErrUseTree
			}
			return d.tab.SetBool(f, fp, b)
		}
	}
	defFormat := model.ISO8601
	if inHeader {
		defFormat = model.RFC822
	}
	v, err := parseScalar(ref, s, defFormat, inHeader)
	if err != nil {
		return err
	}
	return d.tab.SetAny(f, fp, v) // a JSON null (nil) is absent, as FromDynamic skips it
}

// parseBool is parseScalar's boolean: true or false in any case, spaces
// around.
func parseBool(s string) (bool, bool) {
	s = strings.TrimSpace(s)
	switch {
	case strings.EqualFold(s, "true"):
		return true, true
	case strings.EqualFold(s, "false"):
		return false, true
	}
	return false, false
}

// list sets the list at fp from its items' texts.
func (d *typedLoc) list(f *api.Field, fp unsafe.Pointer, member *model.Ref, items []string, inHeader bool) error {
	if err := d.tab.List(f, fp); err != nil {
		return err
	}
	for _, s := range items {
		ef, ep := d.tab.Append(f, fp)
		if err := d.scalar(ef, ep, member, s, inHeader); err != nil {
			return err
		}
	}
	d.tab.Trim(f, fp)
	return nil
}

// prefixHeaders sets a map bound to the headers with a prefix
// (x-amz-meta-*): keys lower case without the prefix, the first value of
// each header; no map when no header has the prefix.
func (d *typedLoc) prefixHeaders(f *api.Field, fp unsafe.Pointer, m *model.Ref, h http.Header) error {
	prefix := strings.ToLower(headerPrefix(m))
	val := m.Shape.Value
	var ss map[string]string // the common form: map[string]string of strings
	var mv map[string]any    // any other, converted as FromDynamic does
	isStrings := false
	if f.Kind == api.KMap {
		_, isStrings = d.tab[f.Type].Go.(*map[string]string)
		isStrings = isStrings && !val.JSONValue && val.Shape.Type == model.String
	}
	for k, vs := range h {
		if len(vs) == 0 || !hasPrefixASCIIFold(k, prefix) {
			continue
		}
		key := strings.ToLower(k)[len(prefix):]
		if isStrings {
			if ss == nil {
				ss = map[string]string{}
			}
			if _, dup := ss[key]; dup {
				// Two spellings of one header: which one the tree
				// keeps depends on map order.
				return protocol.ErrUseTree
			}
			ss[key] = strings.TrimSpace(vs[0])
			continue
		}
		v, err := parseScalar(val, strings.TrimSpace(vs[0]), model.RFC822, true)
		if err != nil {
			return err
		}
		if mv == nil {
			mv = map[string]any{}
		}
		if _, dup := mv[key]; dup {
			return protocol.ErrUseTree
		}
		mv[key] = v
	}
	switch {
	case ss != nil:
		*(*map[string]string)(fp) = ss
	case mv != nil:
		return d.tab.SetAny(f, fp, mv)
	}
	return nil
}
