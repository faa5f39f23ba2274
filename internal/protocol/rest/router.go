package rest

import (
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"unsafe"

	"github.com/niwa-cloud/niwa/internal/model"
)

// A router picks the operation of a REST request from the model's HTTP
// bindings: method, path template and the literal query parameters of the
// requestUri. It is built once per model.
//
// Several operations may share a template (S3's PUT /{Bucket}/{Key+} is
// PutObject, CopyObject, UploadPart and UploadPartCopy); the most specific
// match wins, in this order:
//
//  1. an operation whose required querystring and header members are all
//     in the request beats one missing some;
//  2. more literal query parameters in the template (?list-type=2, ?acl);
//  3. the more specific path, segment by segment: literal, then label,
//     then greedy label;
//  4. more of its required querystring/header members present
//     (UploadPartCopy: x-amz-copy-source + partNumber + uploadId);
//  5. more of its optional querystring/header members present;
//  6. not deprecated (GetBucketLifecycleConfiguration over
//     GetBucketLifecycle);
//  7. the operation name, so the choice is deterministic.
type router struct {
	byMethod map[string][]*route
	all      []*route
}

type route struct {
	op         *model.Operation
	tmpl       model.URITemplate
	kinds      []byte // per segment: 2 literal, 1 label, 0 greedy
	reqQuery   []string
	reqHeader  []string
	optQuery   []string
	optHeader  []string
	deprecated bool
}

func newRouter(svc *model.Service) *router {
	rt := &router{byMethod: map[string][]*route{}}
	for _, name := range svc.OperationNames() {
		op := svc.Operations[name]
		r := &route{op: op, tmpl: op.URI(), deprecated: op.Deprecated}
		for _, s := range r.tmpl.Segments {
			switch {
			case s.Label == "":
				r.kinds = append(r.kinds, 2)
			case s.Greedy:
				r.kinds = append(r.kinds, 0)
			default:
				r.kinds = append(r.kinds, 1)
			}
		}
		if op.Input != nil {
			sh := op.Input.Shape
			for _, m := range sh.Members {
				req := sh.IsRequired(m.Name)
				switch m.Location {
				case model.LocationQueryString:
					if m.Shape.Type == model.Map {
						continue
					}
					if req {
						r.reqQuery = append(r.reqQuery, wireName(m))
					} else {
						r.optQuery = append(r.optQuery, wireName(m))
					}
				case model.LocationHeader:
					// Canonical keys: looked up in http.Header directly.
					k := textproto.CanonicalMIMEHeaderKey(wireName(m))
					if req {
						r.reqHeader = append(r.reqHeader, k)
					} else {
						r.optHeader = append(r.optHeader, k)
					}
				}
			}
		}
		method := strings.ToUpper(op.HTTP.Method)
		rt.byMethod[method] = append(rt.byMethod[method], r)
		rt.all = append(rt.all, r)
	}
	return rt
}

// wireName is the name of a member in the uri template, query string or
// headers: its locationName, else the locationName of a shape that carries
// the location trait itself (old models and the test vectors), else the
// member name.
func wireName(m *model.Ref) string {
	if m.LocationName != "" {
		return m.LocationName
	}
	if m.Shape.Location != "" && m.Shape.LocationName != "" {
		return m.Shape.LocationName
	}
	return m.Name
}

// headerPrefix is the prefix of a headers-map member ("x-amz-meta-"); ""
// binds every header.
func headerPrefix(m *model.Ref) string {
	if m.LocationName != "" {
		return m.LocationName
	}
	if m.Shape.Location == model.LocationHeaders {
		return m.Shape.LocationName
	}
	return ""
}

type candidate struct {
	r                         *route
	missing, reqHave, optHave int
}

// match returns the best route for method, escaped path and query, or nil.
func (rt *router) match(method, rawPath string, query url.Values, h http.Header) *model.Operation {
	var buf [8]string
	segs := appendSplitPath(buf[:0], rawPath)
	var best candidate
	for _, r := range rt.byMethod[method] {
		if !queryMatches(r.tmpl.Query, query) || !pathMatches(r.tmpl, segs, nil) {
			continue
		}
		c := candidate{r: r}
		for _, k := range r.reqQuery {
			if _, ok := query[k]; ok {
				c.reqHave++
			} else {
				c.missing++
			}
		}
		for _, k := range r.reqHeader {
			if hasHeader(h, k) {
				c.reqHave++
			} else {
				c.missing++
			}
		}
		for _, k := range r.optQuery {
			if _, ok := query[k]; ok {
				c.optHave++
			}
		}
		for _, k := range r.optHeader {
			if hasHeader(h, k) {
				c.optHave++
			}
		}
		if best.r == nil || better(&c, &best) {
			best = c
		}
	}
	if best.r == nil {
		return nil
	}
	return best.r.op
}

// hinted returns the operation named by a client's hint when it is one of
// the routes that match method, path and query literals.
func (rt *router) hinted(name, method, rawPath string, query url.Values) *model.Operation {
	if name == "" {
		return nil
	}
	for _, r := range rt.byMethod[method] {
		if r.op.Name == name {
			var buf [8]string
			if queryMatches(r.tmpl.Query, query) && pathMatches(r.tmpl, appendSplitPath(buf[:0], rawPath), nil) {
				return r.op
			}
			return nil
		}
	}
	return nil
}

func hasHeader(h http.Header, canonicalKey string) bool {
	vs := h[canonicalKey]
	return len(vs) > 0 && vs[0] != ""
}

// pathMatchesAnyMethod reports whether some operation's template matches
// the path (with any method): the request names a resource that exists
// but not with this method.
func (rt *router) pathMatchesAnyMethod(rawPath string, query url.Values) bool {
	segs := splitPath(rawPath)
	for _, r := range rt.all {
		if pathMatches(r.tmpl, segs, nil) && queryMatches(r.tmpl.Query, query) {
			return true
		}
	}
	return false
}

func better(a, b *candidate) bool {
	if (a.missing == 0) != (b.missing == 0) {
		return a.missing == 0
	}
	if len(a.r.tmpl.Query) != len(b.r.tmpl.Query) {
		return len(a.r.tmpl.Query) > len(b.r.tmpl.Query)
	}
	for i := 0; i < len(a.r.kinds) && i < len(b.r.kinds); i++ {
		if a.r.kinds[i] != b.r.kinds[i] {
			return a.r.kinds[i] > b.r.kinds[i]
		}
	}
	if len(a.r.kinds) != len(b.r.kinds) {
		return len(a.r.kinds) > len(b.r.kinds)
	}
	if a.reqHave != b.reqHave {
		return a.reqHave > b.reqHave
	}
	if a.optHave != b.optHave {
		return a.optHave > b.optHave
	}
	if a.r.deprecated != b.r.deprecated {
		return !a.r.deprecated
	}
	return a.r.op.Name < b.r.op.Name
}

func queryMatches(lits []model.QueryLiteral, query url.Values) bool {
	for _, l := range lits {
		vs, ok := query[l.Key]
		if !ok {
			return false
		}
		if l.HasValue {
			found := false
			for _, v := range vs {
				if v == l.Value {
					found = true
					break
				}
			}
			if !found {
				return false
			}
		}
	}
	return true
}

// splitPath splits an escaped path into its raw segments. "/" has none; a
// trailing slash leaves a last empty segment.
func splitPath(rawPath string) []string {
	return appendSplitPath(nil, rawPath)
}

// appendSplitPath is splitPath appending to dst, so that the matchers can
// split a request's path into an array on their stack (S3 splits every
// request's path twice: to route it and to read its labels).
func appendSplitPath(dst []string, rawPath string) []string {
	p := strings.TrimPrefix(rawPath, "/")
	if p == "" {
		return dst
	}
	for {
		seg, rest, ok := strings.Cut(p, "/")
		dst = append(dst, seg)
		if !ok {
			return dst
		}
		p = rest
	}
}

// joinSegments is strings.Join(segs, "/") for the segments
// appendSplitPath cut from one path, without a copy: they lie in it one
// after the other, one '/' apart, so the join is the part of the path
// from the first segment's start to the last one's end (checked: the
// last one starts where the join's length puts it).
func joinSegments(segs []string) string {
	if len(segs) == 1 {
		return segs[0]
	}
	n := len(segs) - 1
	for _, s := range segs {
		n += len(s)
	}
	if len(segs) > 1 {
		first, last := segs[0], segs[len(segs)-1]
		if first != "" && last != "" &&
			unsafe.StringData(last) == (*byte)(unsafe.Add(unsafe.Pointer(unsafe.StringData(first)), n-len(last))) {
			return unsafe.String(unsafe.StringData(first), n)
		}
	}
	return strings.Join(segs, "/")
}

// pathMatches matches the raw segments against the template, storing the
// decoded label values in labels when it is not nil. Labels must be
// non-empty; a greedy label takes the rest of the path, '/' included; one
// trailing slash more or less than the template is tolerated (clients
// differ: botocore sends ListFunctions as /2015-03-31/functions/).
func pathMatches(t model.URITemplate, segs []string, labels map[string]string) bool {
	if labels == nil {
		return matchLabels(t, segs, nil)
	}
	return matchLabels(t, segs, func(label, v string) { labels[label] = v })
}

// matchLabels is pathMatches handing each decoded label value to set
// (when set is not nil) instead of storing it in a map: the typed
// decoder keeps them in an array on its stack.
func matchLabels(t model.URITemplate, segs []string, set func(label, v string)) bool {
	for i, s := range t.Segments {
		if s.Greedy {
			if i >= len(segs) {
				return false
			}
			if set == nil && s.Prefix == "" && s.Suffix == "" {
				return len(segs)-i > 1 || segs[i] != ""
			}
			rest := joinSegments(segs[i:])
			if !strings.HasPrefix(rest, s.Prefix) || !strings.HasSuffix(rest[len(s.Prefix):], s.Suffix) {
				return false
			}
			rest = rest[len(s.Prefix) : len(rest)-len(s.Suffix)]
			if rest == "" {
				return false
			}
			if set != nil {
				v, err := url.PathUnescape(rest)
				if err != nil {
					return false
				}
				set(s.Label, v)
			}
			return true
		}
		if i >= len(segs) {
			return false
		}
		seg := segs[i]
		if s.Label == "" {
			if seg != s.Literal {
				if u, err := url.PathUnescape(seg); err != nil || u != s.Literal {
					return false
				}
			}
			continue
		}
		if len(seg) < len(s.Prefix)+len(s.Suffix) || !strings.HasPrefix(seg, s.Prefix) || !strings.HasSuffix(seg, s.Suffix) {
			return false
		}
		v := seg[len(s.Prefix) : len(seg)-len(s.Suffix)]
		if v == "" {
			return false
		}
		if set != nil {
			u, err := url.PathUnescape(v)
			if err != nil {
				return false
			}
			set(s.Label, u)
		} else if strings.IndexByte(v, '%') >= 0 {
			if _, err := url.PathUnescape(v); err != nil {
				return false
			}
		}
	}
	switch extra := len(segs) - len(t.Segments); {
	case extra == 0:
		return true
	case extra == 1:
		return segs[len(segs)-1] == "" // trailing slash
	}
	return false
}
