package rpcv2cbor

import (
	"fmt"
	"net/http"
	"time"
	"unsafe"

	"github.com/fxamacker/cbor/v2"

	"github.com/niwa-cloud/niwa/internal/api"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
)

var _ protocol.TypedEncoder = (*Codec)(nil)

// EncodeTyped is Encode for the typed output out: the value the CBOR
// encoder writes is made from the typed output read in place (through
// its package's conversion table; member k of a structure is field k of
// its entry), without the dynamic tree in between. Kinds without an
// in-place reading (documents, float32's rounding, a reader) go through
// their dynamic form and encodeValue.
func (c *Codec) EncodeTyped(w http.ResponseWriter, op *model.Operation, out api.Typed, meta protocol.Meta) error {
	if op.Output == nil {
		return c.Encode(w, op, nil, meta)
	}
	tab, i, p := api.Locate(out)
	var wire any = map[string]any{}
	if p != nil {
		v, err := typedStructure(op.Output.Shape, tab, i, p, 0)
		if err == errMismatch {
			return c.Encode(w, op, protocol.Dynamic(op, out), meta)
		}
		if err != nil {
			return err
		}
		wire = v
	}
	body, err := c.enc.Marshal(wire)
	if err != nil {
		return err
	}
	write(w, http.StatusOK, body, meta, nil)
	return nil
}

var errMismatch = fmt.Errorf("rpcv2cbor: table entry does not match the model shape")

func typedStructure(sh *model.Shape, tab api.Table, i int32, p unsafe.Pointer, depth int) (any, error) {
	fs := tab[i].Fields
	if len(fs) != len(sh.Members) {
		return nil, errMismatch
	}
	out := make(map[string]any, min(len(fs), 8))
	for k, mr := range sh.Members {
		f := &fs[k]
		fp := unsafe.Add(p, f.Off)
		if api.Absent(f, fp) {
			continue
		}
		ev, err := typedValue(mr.Shape, tab, f, fp, depth+1)
		if err != nil {
			return nil, err
		}
		out[mr.Name] = ev
	}
	return out, nil
}

// typedValue is encodeValue of the value of kind f.Kind at p.
func typedValue(sh *model.Shape, tab api.Table, f *api.Field, p unsafe.Pointer, depth int) (any, error) {
	if api.Absent(f, p) {
		return nil, nil
	}
	if depth > maxDepth {
		return nil, fmt.Errorf("rpcv2cbor: %s nested too deeply", sh.Name)
	}
	switch f.Kind {
	case api.KStruct, api.KStructPtr:
		if sh.Type == model.Structure {
			if f.Kind == api.KStructPtr {
				p = *(*unsafe.Pointer)(p)
			}
			return typedStructure(sh, tab, f.Type, p, depth)
		}
	case api.KList:
		if sh.Type == model.List {
			ent := &tab[f.Type]
			data, n := api.List(p)
			out := make([]any, n)
			for k := range out {
				ev, err := typedValue(sh.Member.Shape, tab, &ent.Elem, unsafe.Add(data, uintptr(k)*ent.Size), depth+1)
				if err != nil {
					return nil, err
				}
				out[k] = ev
			}
			return out, nil
		}
	case api.KMap:
		if sh.Type == model.Map {
			ent := &tab[f.Type]
			var m api.MapEntries
			m.Read(tab, f.Type, p)
			out := make(map[string]any, m.Len())
			for k := range m.Len() {
				key, vp := m.At(k)
				ev, err := typedValue(sh.Value.Shape, tab, &ent.Elem, vp, depth+1)
				if err != nil {
					return nil, err
				}
				out[key] = ev
			}
			return out, nil
		}
	case api.KTime, api.KTimePtr:
		if sh.Type == model.Timestamp {
			if f.Kind == api.KTimePtr {
				p = *(*unsafe.Pointer)(p)
			}
			return cbor.Tag{Number: 1, Content: float64((*time.Time)(p).UnixMilli()) / 1e3}, nil
		}
	}
	return encodeValue(sh, tab.Dyn(f, p), depth)
}
