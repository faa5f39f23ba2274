package rest

import (
	"reflect"

	"github.com/niwa-cloud/niwa/internal/api"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/protocol/jsonbody"
)

var _ protocol.TypedDecoder = (*Codec)(nil)

// DecodeTyped reads a rest-json input whose body holds its body members
// (no payload member) straight into in: the body through
// jsonbody.DecodeTyped, the few members bound to the URI, query string,
// headers and host through the tree Decode makes of them, converted into
// in. Anything else — rest-xml, a payload member, a request the tree
// path refuses or that DecodeTyped leaves to it, a location member whose
// typed form would not convert back to the same tree (a float, a
// timestamp, a document) — is protocol.ErrUseTree: Decode words the
// errors clients see.
func (c *Codec) DecodeTyped(op *model.Operation, req *protocol.Request, in api.Typed) error {
	if !c.DecodesTyped(op) {
		return protocol.ErrUseTree
	}
	sh := op.Input.Shape
	p := reflect.ValueOf(in).UnsafePointer()
	if p == nil {
		return protocol.ErrUseTree
	}
	info := c.opInfo(op)
	tmpl := op.URI()
	labels := map[string]string{}
	var segs [8]string
	pathMatches(tmpl, appendSplitPath(segs[:0], requestPath(req)), labels)
	loc, err := decodeLocations(info, sh, labels, req.Query(), req.HTTP.Header, tmpl)
	if err != nil {
		return protocol.ErrUseTree
	}
	body, err := req.Bytes()
	if err != nil {
		return protocol.ErrUseTree
	}
	tab, i := in.ConvType()
	if jsonbody.DecodeTyped(body, sh, true, tab, i, p) != nil {
		return protocol.ErrUseTree
	}
	hostLabels(op, req.HTTP.Host, loc)
	for name := range loc {
		if mr, ok := sh.MemberByName(name); !ok || !roundTrips(mr.Shape, 0) {
			return protocol.ErrUseTree
		}
	}
	// Location and body members are apart (the body's copies of bound
	// members are ignored), and a host label written over a body member
	// wins as it does in the tree.
	if len(loc) > 0 && tab.FromDynamic(i, p, loc) != nil {
		return protocol.ErrUseTree
	}
	return nil
}

// DecodesTyped: rest-json operations whose input has body members and
// no payload member.
func (c *Codec) DecodesTyped(op *model.Operation) bool {
	if c.xml || op.Input == nil {
		return false
	}
	sh := op.Input.Shape
	return sh.PayloadMember() == nil && hasBodyMembers(sh)
}

// roundTrips reports whether a location member of shape sh converts to
// its typed form and back to the same tree value: strings, integers,
// booleans, and lists and maps of them.
func roundTrips(sh *model.Shape, depth int) bool {
	switch sh.Type {
	case model.String, model.Character, model.Integer, model.Long, model.Boolean:
		return true
	case model.List:
		return depth == 0 && roundTrips(sh.Member.Shape, depth+1)
	case model.Map:
		return depth == 0 && roundTrips(sh.Value.Shape, depth+1)
	}
	return false
}
