package rest

import (
	"net/http"
	"strconv"
	"time"
	"unsafe"

	"github.com/niwa-cloud/niwa/internal/api"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/protocol/jsonbody"
)

// output is what Encode reads an output's members from: its dynamic form,
// or the typed output itself, read in place through its package's
// conversion table (EncodeTyped). Member k of the output shape is field k
// of the structure's entry.
type output struct {
	dyn map[string]any
	// typed, when set: the table, the structure's entry and address
	// (never nil: a nil output is encoded from its dynamic form).
	tab   api.Table
	entry int32
	p     unsafe.Pointer
}

func (o *output) typed() bool { return o.p != nil }

// field is member k's field and address (typed only).
func (o *output) field(k int) (*api.Field, unsafe.Pointer) {
	f := &o.tab[o.entry].Fields[k]
	return f, unsafe.Add(o.p, f.Off)
}

// get is member k's (m's) dynamic value; ok is false when it is absent.
func (o *output) get(k int, m *model.Ref) (any, bool) {
	if !o.typed() {
		v, ok := o.dyn[m.Name]
		return v, ok && v != nil
	}
	f, p := o.field(k)
	if api.Absent(f, p) {
		return nil, false
	}
	return o.tab.Dyn(f, p), true
}

// str is member k's string when it is a string member held as *string
// (typed only).
func (o *output) str(k int) (string, bool) {
	if !o.typed() {
		return "", false
	}
	f, p := o.field(k)
	if f.Kind != api.KStringPtr {
		return "", false
	}
	s := *(**string)(p)
	if s == nil {
		return "", false
	}
	return *s, true
}

// scalarText is formatScalar's header text of member k (m, not a JSON
// value) when it is an integer, long, boolean or timestamp held in
// place (typed only); absent when it is such a member and unset.
func (o *output) scalarText(k int, m *model.Ref) (s string, ok, absent bool) {
	if !o.typed() {
		return "", false, false
	}
	f, p := o.field(k)
	switch {
	case f.Kind == api.KInt64Ptr && (m.Shape.Type == model.Long || m.Shape.Type == model.Integer):
		v := *(**int64)(p)
		if v == nil {
			return "", false, true
		}
		return strconv.FormatInt(*v, 10), true, false
	case f.Kind == api.KInt32Ptr && (m.Shape.Type == model.Long || m.Shape.Type == model.Integer):
		v := *(**int32)(p)
		if v == nil {
			return "", false, true
		}
		return strconv.FormatInt(int64(*v), 10), true, false
	case f.Kind == api.KBoolPtr && m.Shape.Type == model.Boolean:
		v := *(**bool)(p)
		if v == nil {
			return "", false, true
		}
		return strconv.FormatBool(*v), true, false
	case f.Kind == api.KTimePtr && m.Shape.Type == model.Timestamp:
		v := *(**time.Time)(p)
		if v == nil {
			return "", false, true
		}
		return jsonbody.FormatTimestamp(*v, m.TimestampFormatOr(model.RFC822)), true, false
	}
	return "", false, false
}

// byName is the member named name's dynamic value.
func (o *output) byName(sh *model.Shape, name string) (any, bool) {
	for k, m := range sh.Members {
		if m.Name == name {
			return o.get(k, m)
		}
	}
	return nil, false
}

// index is m's index among sh's members.
func index(sh *model.Shape, m *model.Ref) int {
	for k, r := range sh.Members {
		if r == m {
			return k
		}
	}
	return -1
}

// EncodeTyped is Encode for the typed output out, read in place: the
// header, status and body members' bytes without the dynamic tree. A nil
// output, an event stream and S3's GetBucketLocation are encoded from
// their dynamic form.
func (c *Codec) EncodeTyped(w http.ResponseWriter, op *model.Operation, out api.Typed, meta protocol.Meta) error {
	tab, i, p := api.Locate(out)
	sh := op.Output.Shape
	info := c.opInfo(op)
	if p == nil || len(tab[i].Fields) != len(sh.Members) || sh.EventStreamMember() != nil ||
		info != nil && info.quirks.s3 && s3BucketLocation(op) {
		return c.Encode(w, op, protocol.Dynamic(op, out), meta)
	}
	return c.encode(w, op, &output{tab: tab, entry: i, p: p}, meta)
}
