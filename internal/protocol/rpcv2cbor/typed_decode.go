package rpcv2cbor

import (
	"errors"
	"math"
	"unsafe"

	"github.com/niwa-cloud/niwa/internal/api"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
)

var _ protocol.TypedDecoder = (*Codec)(nil)

// DecodesTyped: every operation with an input.
func (c *Codec) DecodesTyped(op *model.Operation) bool { return op.Input != nil }

// DecodeTyped reads the CBOR body into in (see protocol.TypedDecoder):
// the body is decoded into generic values as Decode decodes it, and
// those are written straight into the typed input through the builder
// (internal/api/build.go), without convert's dynamic tree and the
// Converter. It builds what Decode and api.Converter.ToTyped build;
// anything convert refuses or the two would read differently (a null
// list element, a document, a float32 that is not the number sent, a
// streaming blob) is protocol.ErrUseTree, and Decode words the error.
func (c *Codec) DecodeTyped(op *model.Operation, req *protocol.Request, in api.Typed) error {
	p, err := protocol.TypedTarget(op, in)
	if err != nil {
		return err
	}
	body, err := req.Payload()
	if err != nil {
		return protocol.ErrUseTree
	}
	if len(body) == 0 {
		return nil
	}
	var raw any
	if err := c.dec.Unmarshal(body, &raw); err != nil {
		return protocol.ErrUseTree
	}
	m, ok := raw.(map[string]any)
	if !ok {
		// A null body is an empty input in Decode too, but leave it.
		return protocol.ErrUseTree
	}
	tab, i := in.ConvType()
	return typedInto(op.Input.Shape, m, tab, i, p)
}

var errUseTree = errors.New("use the tree")

// typedInto writes the members of m, a CBOR map of structure sh, into
// the structure at p (entry i): convert's structure case.
func typedInto(sh *model.Shape, m map[string]any, tab api.Table, i int32, p unsafe.Pointer) error {
	if tab.NumFields(i) != len(sh.Members) {
		return protocol.ErrUseTree
	}
	for k, mr := range sh.Members {
		v, ok := m[mr.Name]
		if !ok || v == nil {
			continue // unknown members are skipped, nulls are absent
		}
		f, fp := tab.Field(i, k, p)
		if f.Name != mr.Name {
			return protocol.ErrUseTree
		}
		if err := typedSet(mr, v, tab, f, fp); err != nil {
			return protocol.ErrUseTree
		}
	}
	return nil
}

// typedSet writes v, a non-null generic CBOR value of ref's shape, into
// the value of field f at p, as convert and the Converter would.
func typedSet(ref *model.Ref, v any, tab api.Table, f *api.Field, p unsafe.Pointer) error {
	sh := ref.Shape
	switch sh.Type {
	case model.Structure:
		m, ok := v.(map[string]any)
		if !ok {
			return errUseTree
		}
		// An empty map is an empty structure, present.
		si, sp, err := tab.Struct(f, p)
		if err != nil {
			return err
		}
		return typedInto(sh, m, tab, si, sp)
	case model.List:
		l, ok := v.([]any)
		if !ok {
			return errUseTree
		}
		if err := tab.List(f, p); err != nil {
			return err
		}
		if len(l) > 0 {
			tab.Reserve(f, p, len(l))
		}
		for _, e := range l {
			if e == nil {
				// A null element is a zero element in the typed value
				// but nil in the tree the validator reads.
				return errUseTree
			}
			ef, ep := tab.Append(f, p)
			if err := typedSet(sh.Member, e, tab, ef, ep); err != nil {
				return err
			}
		}
		tab.Trim(f, p)
		return nil
	case model.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return errUseTree
		}
		mb, err := tab.Map(f, p)
		if err != nil {
			return err
		}
		for k, mv := range m {
			if mv == nil {
				continue // a dense map drops null values
			}
			if err := typedSet(sh.Value, mv, tab, mb.Elem, mb.Value()); err != nil {
				return err
			}
			mb.Put(k)
		}
		return nil
	case model.String, model.Character:
		s, ok := v.(string)
		if !ok {
			return errUseTree
		}
		return tab.SetString(f, p, s)
	case model.Boolean:
		b, ok := v.(bool)
		if !ok {
			return errUseTree
		}
		return tab.SetBool(f, p, b)
	case model.Integer, model.Long:
		var n int64
		switch x := v.(type) {
		case uint64:
			if x > math.MaxInt64 {
				return errUseTree
			}
			n = int64(x)
		case int64:
			n = x
		default:
			return errUseTree
		}
		if sh.Type == model.Integer && (n < math.MinInt32 || n > math.MaxInt32) {
			return errUseTree
		}
		return tab.SetInt(f, p, n)
	case model.Float, model.Double:
		var x float64
		switch y := v.(type) {
		case float64:
			x = y
		case uint64:
			x = float64(y)
		case int64:
			x = float64(y)
		default:
			return errUseTree
		}
		if (f.Kind == api.KFloat32 || f.Kind == api.KFloat32Ptr) && !math.IsNaN(x) && api.Float32(float32(x)) != x {
			// The validator would read the float32's value, not the
			// number sent: its range checks could differ.
			return errUseTree
		}
		return tab.SetFloat(f, p, x)
	case model.Timestamp:
		t, ok := timestamp(v)
		if !ok {
			return errUseTree
		}
		return tab.SetTime(f, p, t)
	case model.Blob:
		b, ok := v.([]byte)
		if !ok || f.Kind == api.KReader {
			return errUseTree
		}
		return tab.SetBytes(f, p, b)
	}
	// Documents: the tree path's.
	return errUseTree
}
