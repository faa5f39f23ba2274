package xmlbody

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unsafe"

	"github.com/niwa-cloud/niwa/internal/api"
	"github.com/niwa-cloud/niwa/internal/model"
)

// The typed encoder: the XML of a generated structure read in place
// through its package's conversion table (internal/api/table.go), with
// no dynamic tree built. Structure entry i's field k is the model shape's
// member k, so names, namespaces, flattening and attributes come from the
// model as in the dynamic encoder, and absence is api.Absent, the
// dynamic form's own test. It writes the bytes (and words the errors)
// EncodeMembers writes for Table.ToDynamic's tree; kinds it has no
// in-place writer for (float32's rounding, documents, readers) are
// written from their dynamic form by the dynamic encoder itself.
// TestEncodeTypedMatchesDynamic (internal/codegen/allshapes) holds every
// output shape of every query, ec2 and rest-xml service to it.

// ErrTableMismatch is returned when a structure's table entry does not
// have the model shape's members (a table generated from another model):
// the caller encodes the dynamic form instead.
var ErrTableMismatch = errors.New("xmlbody: table entry does not match the model shape")

// EncodeTypedMembers is EncodeMembers for the structure at p, entry i of
// tab (nil writes nothing).
func EncodeTypedMembers(w *bytes.Buffer, sh *model.Shape, tab api.Table, i int32, p unsafe.Pointer) error {
	if sh == nil {
		return errors.New("xmlbody: nil shape")
	}
	if p == nil {
		return nil
	}
	mark := w.Len()
	e := encoder{w: w}
	if err := e.typedMembers(sh, tab, i, p, 0); err != nil {
		w.Truncate(mark)
		if errors.Is(err, ErrTableMismatch) {
			return ErrTableMismatch
		}
		return fmt.Errorf("xmlbody: %w", err)
	}
	return nil
}

// typed is a value read in place: its kind (and entry) and address.
type typed struct {
	tab api.Table
	f   *api.Field
	p   unsafe.Pointer
}

func (v typed) dyn() any { return v.tab.Dyn(v.f, v.p) }

func (e *encoder) typedMembers(sh *model.Shape, tab api.Table, i int32, p unsafe.Pointer, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%s: value nested deeper than %d levels (cyclic?)", sh.Name, maxDepth)
	}
	fs := tab[i].Fields
	if len(fs) != len(sh.Members) {
		return ErrTableMismatch
	}
	for k, mr := range sh.Members {
		if mr.XMLAttribute || mr.Location != model.LocationBody {
			continue
		}
		f := &fs[k]
		v := typed{tab, f, unsafe.Add(p, f.Off)}
		if api.Absent(f, v.p) {
			continue
		}
		var err error
		if mr.IsFlattened() && mr.Shape.Type == model.List {
			err = e.typedFlattened(mr, FlattenedListName(mr), v, mr.XMLNamespace, depth)
		} else if mr.IsFlattened() && mr.Shape.Type == model.Map {
			err = e.typedFlattened(mr, mr.XMLName(), v, mr.Namespace(), depth)
		} else {
			err = e.typedElement(mr, mr.XMLName(), v, mr.Namespace(), depth)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// typedElement is element for a value read in place.
func (e *encoder) typedElement(ref *model.Ref, name string, v typed, ns *model.XMLNamespace, depth int) error {
	if api.Absent(v.f, v.p) {
		return nil
	}
	if depth > maxDepth {
		return fmt.Errorf("%s: value nested deeper than %d levels (cyclic?)", name, maxDepth)
	}
	sh := ref.Shape
	switch {
	case sh.Type == model.Structure && (v.f.Kind == api.KStruct || v.f.Kind == api.KStructPtr):
		p := v.p
		if v.f.Kind == api.KStructPtr {
			p = *(*unsafe.Pointer)(p)
		}
		fs := v.tab[v.f.Type].Fields
		if len(fs) != len(sh.Members) {
			return ErrTableMismatch
		}
		e.w.WriteByte('<')
		e.w.WriteString(name)
		e.namespace(ns)
		for _, mr := range sh.Members {
			if !mr.XMLAttribute || mr.Location != model.LocationBody {
				continue
			}
			if mns := mr.XMLNamespace; mns != nil && mns.Prefix != "" && (ns == nil || ns.Prefix != mns.Prefix) {
				e.namespace(mns)
			}
		}
		for k, mr := range sh.Members {
			if !mr.XMLAttribute || mr.Location != model.LocationBody {
				continue
			}
			f := &fs[k]
			fp := unsafe.Add(p, f.Off)
			if api.Absent(f, fp) {
				continue
			}
			text, err := FormatScalar(mr, v.tab.Dyn(f, fp))
			if err != nil {
				return fmt.Errorf("%s@%s: %w", name, mr.XMLName(), err)
			}
			e.w.WriteByte(' ')
			e.w.WriteString(mr.XMLName())
			e.w.WriteString(`="`)
			escape(e.w, text, true)
			e.w.WriteByte('"')
		}
		mark := e.w.Len()
		e.w.WriteByte('>')
		if err := e.typedMembers(sh, v.tab, v.f.Type, p, depth+1); err != nil {
			if errors.Is(err, ErrTableMismatch) {
				return err
			}
			return fmt.Errorf("%s.%w", name, err)
		}
		e.close(name, mark)
	case sh.Type == model.List && v.f.Kind == api.KList:
		ent := &v.tab[v.f.Type]
		data, n := api.List(v.p)
		e.open(name, ns)
		mark := e.w.Len()
		e.w.WriteByte('>')
		itemName := sh.Member.XMLName()
		if itemName == "" {
			itemName = "member"
		}
		for k := range n {
			item := typed{v.tab, &ent.Elem, unsafe.Add(data, uintptr(k)*ent.Size)}
			if err := e.typedItem(sh.Member, itemName, item, sh.Member.Namespace(), depth+1); err != nil {
				return wrapIndex(name, k, err)
			}
		}
		e.close(name, mark)
	case sh.Type == model.Map && v.f.Kind == api.KMap:
		m := e.maps.Enter()
		defer e.maps.Leave()
		m.Read(v.tab, v.f.Type, v.p)
		ent := &v.tab[v.f.Type]
		e.open(name, ns)
		mark := e.w.Len()
		e.w.WriteByte('>')
		for k := range m.Len() {
			key, vp := m.At(k)
			e.w.WriteString("<entry>")
			if err := e.typedEntry(sh, key, typed{v.tab, &ent.Elem, vp}, depth+1); err != nil {
				return wrapKey(name, key, err)
			}
			e.w.WriteString("</entry>")
		}
		e.close(name, mark)
	default:
		return e.typedScalar(ref, name, v, ns, depth)
	}
	return nil
}

func wrapIndex(name string, k int, err error) error {
	if errors.Is(err, ErrTableMismatch) {
		return err
	}
	return fmt.Errorf("%s[%d]: %w", name, k, err)
}

func wrapKey(name, key string, err error) error {
	if errors.Is(err, ErrTableMismatch) {
		return err
	}
	return fmt.Errorf("%s[%q]: %w", name, key, err)
}

// typedScalar writes a scalar element: strings, integers, booleans,
// doubles and timestamps in place, the rest from their dynamic form.
func (e *encoder) typedScalar(ref *model.Ref, name string, v typed, ns *model.XMLNamespace, depth int) error {
	sh := ref.Shape
	p := v.p
	var scratch [40]byte
	var b []byte
	text, isText := "", false
	switch v.f.Kind {
	case api.KString, api.KStringPtr:
		if sh.Type == model.String || sh.Type == model.Character || sh.Type == model.Document {
			if v.f.Kind == api.KStringPtr {
				p = *(*unsafe.Pointer)(p)
			}
			text, isText = *(*string)(p), true
		}
	case api.KInt32, api.KInt32Ptr:
		if sh.Type == model.Integer || sh.Type == model.Long {
			if v.f.Kind == api.KInt32Ptr {
				p = *(*unsafe.Pointer)(p)
			}
			b = strconv.AppendInt(scratch[:0], int64(*(*int32)(p)), 10)
		}
	case api.KInt64, api.KInt64Ptr:
		if sh.Type == model.Integer || sh.Type == model.Long {
			if v.f.Kind == api.KInt64Ptr {
				p = *(*unsafe.Pointer)(p)
			}
			b = strconv.AppendInt(scratch[:0], *(*int64)(p), 10)
		}
	case api.KBool, api.KBoolPtr:
		if sh.Type == model.Boolean {
			if v.f.Kind == api.KBoolPtr {
				p = *(*unsafe.Pointer)(p)
			}
			text, isText = strconv.FormatBool(*(*bool)(p)), true
		}
	case api.KFloat64, api.KFloat64Ptr:
		if sh.Type == model.Double || sh.Type == model.Float {
			if v.f.Kind == api.KFloat64Ptr {
				p = *(*unsafe.Pointer)(p)
			}
			bits := 64
			if sh.Type == model.Float {
				bits = 32
			}
			text, isText = FormatFloat(*(*float64)(p), bits), true
		}
	case api.KTime, api.KTimePtr:
		if sh.Type == model.Timestamp {
			if v.f.Kind == api.KTimePtr {
				p = *(*unsafe.Pointer)(p)
			}
			t := (*time.Time)(p).UTC()
			var ok bool
			if b, ok = appendTime(scratch[:0], ref, t); !ok {
				b = nil
				text, isText = FormatTimestamp(t, ref.TimestampFormatOr(model.ISO8601)), true
			}
		}
	}
	switch {
	case b != nil:
		e.open(name, ns)
		e.w.WriteByte('>')
		e.w.Write(b)
		e.w.WriteString("</")
		e.w.WriteString(name)
		e.w.WriteByte('>')
	case isText:
		e.open(name, ns)
		if text == "" {
			e.w.WriteString("/>")
			return nil
		}
		e.w.WriteByte('>')
		escape(e.w, text, false)
		e.w.WriteString("</")
		e.w.WriteString(name)
		e.w.WriteByte('>')
	default:
		return e.element(ref, name, v.dyn(), ns, depth)
	}
	return nil
}

// typedItem is item for a value read in place.
func (e *encoder) typedItem(ref *model.Ref, name string, v typed, ns *model.XMLNamespace, depth int) error {
	if api.Absent(v.f, v.p) {
		e.open(name, ns)
		e.w.WriteString("/>")
		return nil
	}
	return e.typedElement(ref, name, v, ns, depth)
}

// typedEntry is entry for a value read in place.
func (e *encoder) typedEntry(sh *model.Shape, key string, v typed, depth int) error {
	kname, vname := entryNames(sh)
	if err := e.element(sh.Key, kname, key, sh.Key.Namespace(), depth); err != nil {
		return err
	}
	return e.typedItem(sh.Value, vname, v, sh.Value.Namespace(), depth)
}

// typedFlattened is flattened for a value read in place.
func (e *encoder) typedFlattened(ref *model.Ref, name string, v typed, ns *model.XMLNamespace, depth int) error {
	sh := ref.Shape
	if sh.Type == model.List && v.f.Kind == api.KList {
		if ns == nil {
			ns = sh.Member.Namespace()
		}
		ent := &v.tab[v.f.Type]
		data, n := api.List(v.p)
		for k := range n {
			item := typed{v.tab, &ent.Elem, unsafe.Add(data, uintptr(k)*ent.Size)}
			if err := e.typedItem(sh.Member, name, item, ns, depth+1); err != nil {
				return wrapIndex(name, k, err)
			}
		}
		return nil
	}
	if sh.Type != model.Map || v.f.Kind != api.KMap {
		return e.flattened(ref, name, v.dyn(), ns, depth)
	}
	m := e.maps.Enter()
	defer e.maps.Leave()
	m.Read(v.tab, v.f.Type, v.p)
	ent := &v.tab[v.f.Type]
	for k := range m.Len() {
		key, vp := m.At(k)
		e.open(name, ns)
		e.w.WriteByte('>')
		if err := e.typedEntry(sh, key, typed{v.tab, &ent.Elem, vp}, depth+1); err != nil {
			return wrapKey(name, key, err)
		}
		e.w.WriteString("</")
		e.w.WriteString(name)
		e.w.WriteByte('>')
	}
	return nil
}

// EncodeTyped is Encode for the value of kind f.Kind at p (a member of a
// structure of tab, or a structure itself: Kind api.KStruct and Type its
// entry).
func EncodeTyped(w *bytes.Buffer, ref *model.Ref, name string, tab api.Table, f *api.Field, p unsafe.Pointer) error {
	if ref == nil || ref.Shape == nil {
		return errors.New("xmlbody: nil reference")
	}
	if name == "" {
		name = ref.XMLName()
	}
	if name == "" {
		name = ref.Shape.Name
	}
	mark := w.Len()
	e := encoder{w: w}
	v := typed{tab, f, p}
	var err error
	if ref.IsFlattened() && (ref.Shape.Type == model.List || ref.Shape.Type == model.Map) {
		if !api.Absent(f, p) {
			err = e.typedFlattened(ref, name, v, ref.Namespace(), 0)
		}
	} else {
		err = e.typedElement(ref, name, v, ref.Namespace(), 0)
	}
	if err != nil {
		w.Truncate(mark)
		if errors.Is(err, ErrTableMismatch) {
			return ErrTableMismatch
		}
		return fmt.Errorf("xmlbody: %w", err)
	}
	return nil
}
