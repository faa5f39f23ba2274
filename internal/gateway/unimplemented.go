package gateway

import (
	"net/http"
	"strings"

	"github.com/niwa-cloud/niwa/internal/api"
	"github.com/niwa-cloud/niwa/internal/api/catalog"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
)

// catalogIndex finds, among the AWS services niwa does not implement, the
// one a request is for, by the same signals that route implemented
// services: X-Amz-Target prefix (and the service segment of a
// smithy-rpc-v2-cbor path), form Version, SigV4 signing name, and for
// unsigned REST requests a dated first path segment. It is built once and
// never changes.
type catalogIndex struct {
	target  map[string][]catalog.Entry
	signing map[string][]catalog.Entry
	version map[string][]catalog.Entry
	dated   map[string][]catalog.Entry
}

// catalogMatch is what a request for an unimplemented service resolved
// to: usually one service; several when nothing in the request tells
// apart services that share all the signals it carries (Timestream Query
// and Timestream Write share their X-Amz-Target prefix).
type catalogMatch struct {
	entries []catalog.Entry
}

// claimed are the first path segments implemented services route by
// (kit.Routing.PathPrefixes): an unsigned request under one is theirs.
func newCatalogIndex(entries []catalog.Entry, implemented []*Service, claimed map[string]*Service) *catalogIndex {
	have := map[string]bool{}
	for _, s := range implemented {
		have[s.Spec.Metadata.ServiceID] = true
	}
	c := &catalogIndex{
		target: map[string][]catalog.Entry{}, signing: map[string][]catalog.Entry{},
		version: map[string][]catalog.Entry{}, dated: map[string][]catalog.Entry{},
	}
	for _, e := range entries {
		md := e.Metadata
		if have[md.ServiceID] {
			continue
		}
		if md.TargetPrefix != "" {
			c.target[md.TargetPrefix] = append(c.target[md.TargetPrefix], e)
		}
		if sn := md.SigningNameOrPrefix(); sn != "" {
			c.signing[sn] = append(c.signing[sn], e)
		}
		if md.Protocol == "query" || md.Protocol == "ec2" {
			c.version[md.APIVersion] = append(c.version[md.APIVersion], e)
		}
		if first, _, _ := strings.Cut(strings.TrimPrefix(e.URIPrefix, "/"), "/"); isDate(first) {
			if _, taken := claimed[first]; !taken {
				c.dated[first] = append(c.dated[first], e)
			}
		}
	}
	return c
}

// isDate reports whether s looks like an API version, YYYY-MM-DD.
func isDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for i, c := range s {
		if i != 4 && i != 7 && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// standIn is the Service the gateway resolves a request for an
// unimplemented service to.
func standIn(entries []catalog.Entry) *Service {
	if len(entries) == 0 {
		return nil
	}
	// Models that share every routing signal are one API under several
	// names (DocumentDB and Neptune are RDS's API at RDS's endpoint):
	// the one whose model is named by the endpoint is the service.
	if len(entries) > 1 {
		if own := narrow(entries, func(e catalog.Entry) bool { return e.Model == e.Metadata.EndpointPrefix }); len(own) == 1 {
			entries = own
		}
	}
	e := entries[0]
	return &Service{Spec: api.Spec{Name: e.Model, Metadata: e.Metadata}, unimplemented: &catalogMatch{entries: entries}}
}

// byTarget resolves an X-Amz-Target prefix (or CBOR path service name).
func (c *catalogIndex) byTarget(prefix string) *Service {
	return standIn(c.target[prefix])
}

// resolve finds the service of a request that no implemented service
// claimed: by its form Version (narrowed by the signing name, since RDS,
// DocumentDB and Neptune share one), by its signing name (narrowed by the
// protocol family the request is spoken in, then for REST by the longest
// URI prefix its path has: SES v1 and v2 share "ses"), or, for an
// unsigned REST request, by a dated first path segment.
func (c *catalogIndex) resolve(r *http.Request, signing, version, hostBucket string) *Service {
	if version != "" {
		if cands := c.version[version]; len(cands) > 0 {
			return standIn(narrow(cands, func(e catalog.Entry) bool { return e.Metadata.SigningNameOrPrefix() == signing }))
		}
	}
	if signing != "" {
		cands := c.signing[signing]
		if len(cands) == 0 {
			return nil
		}
		fam := wireFamily(r)
		cands = narrow(cands, func(e catalog.Entry) bool {
			if fam == "" {
				return strings.HasPrefix(e.Metadata.Protocol, "rest-")
			}
			return protocolIn(e.Metadata, fam) != ""
		})
		if fam == "" {
			cands = longestPrefix(cands, r.URL.Path)
		}
		return standIn(cands)
	}
	if hostBucket != "" || r.URL.Query().Has("AWSAccessKeyId") {
		return nil
	}
	first, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if cands := c.dated[first]; len(cands) > 0 {
		return standIn(longestPrefix(cands, r.URL.Path))
	}
	return nil
}

// byPrefix finds the unimplemented REST service with signing name
// signing whose own URI prefix (not "/") the request's path starts with.
func (c *catalogIndex) byPrefix(r *http.Request, signing string) *Service {
	var cands []catalog.Entry
	for _, e := range c.signing[signing] {
		if len(e.URIPrefix) > 1 && strings.HasPrefix(e.Metadata.Protocol, "rest-") && strings.HasPrefix(r.URL.Path+"/", e.URIPrefix) {
			cands = append(cands, e)
		}
	}
	return standIn(cands)
}

// narrow keeps the entries keep accepts, or all of them when it accepts
// none (a hint that matches nothing is no reason to answer nothing).
func narrow(entries []catalog.Entry, keep func(catalog.Entry) bool) []catalog.Entry {
	var out []catalog.Entry
	for _, e := range entries {
		if keep(e) {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return entries
	}
	return out
}

// longestPrefix keeps the entries whose URI prefix is the longest that
// path starts with.
func longestPrefix(entries []catalog.Entry, path string) []catalog.Entry {
	best := -1
	var out []catalog.Entry
	for _, e := range entries {
		p := e.URIPrefix
		if p == "" {
			p = "/"
		}
		if !strings.HasPrefix(path+"/", p) {
			continue
		}
		switch {
		case len(p) > best:
			best, out = len(p), []catalog.Entry{e}
		case len(p) == best:
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		return entries
	}
	return out
}

// protocolIn returns the protocol of md's protocols list that answers
// requests of family, "" when none does.
func protocolIn(md model.Metadata, family string) string {
	protocols := md.Protocols
	if len(protocols) == 0 {
		protocols = []string{md.Protocol}
	}
	for _, p := range protocols {
		if inFamily(p, family) {
			return p
		}
	}
	return ""
}

// serveUnimplemented answers a request for a service niwa does not
// implement: NotImplemented (501, which SDKs do not retry) naming the
// service, in the protocol the request was spoken in when the service
// has it, else in the service's own. Nothing is authenticated or
// decoded: there is nothing to serve, and the answer reveals nothing.
func (g *Gateway) serveUnimplemented(w *statusWriter, r *http.Request, m *catalogMatch, meta protocol.Meta) {
	md := m.entries[0].Metadata
	if p := protocolIn(md, wireFamily(r)); p != "" {
		md.Protocol = p
	}
	names := make([]string, len(m.entries))
	why := ""
	for i, e := range m.entries {
		names[i] = e.Title
		if r := catalog.Reason(e.Model); r != "" && (i == 0 || why != "") {
			why = r
		} else {
			why = "" // the reason holds only when every match has one
		}
	}
	err := awserr.NotImplemented.New("niwa does not implement %s yet", strings.Join(names, " or "))
	if why != "" {
		err = awserr.NotImplemented.New("niwa does not implement %s: %s", strings.Join(names, " or "), why)
	}
	w.errCode = err.Code.Code
	codec, cerr := g.codecs.For(md.Protocol)
	if cerr != nil {
		writePlainError(w, http.StatusNotImplemented, err.Message)
		return
	}
	codec.EncodeError(w, &model.Service{Metadata: md}, nil, err, meta)
}
