package xmlbody

import (
	"encoding/xml"
	"errors"
	"unsafe"

	"github.com/niwa-cloud/niwa/internal/api"
	"github.com/niwa-cloud/niwa/internal/model"
)

// ErrUseTree is DecodeTyped's answer for a document it does not decode
// exactly as DecodeMembers and api.Converter.ToTyped would: the caller
// decodes it again through the tree, whose errors clients see.
var ErrUseTree = errors.New("xmlbody: decode this document through the tree")

// DecodeTypedMembers is DecodeMembers writing into the typed structure
// at p (entry i of tab, whose field k is sh's member k) instead of a
// tree: the value DecodeMembers followed by the Converter builds. It
// walks the same tokens, so a document DecodeMembers refuses is refused
// here too; any error, and anything it does not take (a flattened map, a
// member whose field does not pair), is ErrUseTree. On an error the
// value is partly written and must be discarded.
func DecodeTypedMembers(d *xml.Decoder, start xml.StartElement, sh *model.Shape, tab api.Table, i int32, p unsafe.Pointer) error {
	if sh == nil {
		return ErrUseTree
	}
	dec := typedDecoder{decoder: decoder{d: d}, tab: tab}
	if dec.members(start, sh, i, p, 0) != nil {
		return ErrUseTree
	}
	return nil
}

type typedDecoder struct {
	decoder
	tab api.Table
}

// members reads a structure's attributes and child elements into the
// structure at p, as decoder.members reads them into a map.
func (dec *typedDecoder) members(start xml.StartElement, sh *model.Shape, i int32, p unsafe.Pointer, depth int) error {
	if depth > maxDepth || dec.tab.NumFields(i) != len(sh.Members) {
		return ErrUseTree
	}
	// byName as decoder.members makes it, as member indexes.
	var names [16]struct {
		name string
		k    int
	}
	byName := names[:0]
	lookup := func(n string) int {
		for _, e := range byName {
			if e.name == n {
				return e.k
			}
		}
		return -1
	}
	var alternates []int
	for k, m := range sh.Members {
		if m.Location != model.LocationBody {
			continue
		}
		f, fp := dec.tab.Field(i, k, p)
		if f.Name != m.Name {
			return ErrUseTree
		}
		if m.XMLAttribute {
			if text, ok := attr(start.Attr, m.XMLName()); ok {
				if err := dec.scalar(m, f, fp, text); err != nil {
					return err
				}
			}
			continue
		}
		if m.IsFlattened() && m.Shape.Type == model.Map {
			return ErrUseTree
		}
		name := m.XMLName()
		if m.IsFlattened() && m.Shape.Type == model.List {
			name = FlattenedListName(m)
			alternates = append(alternates, k)
		}
		if lookup(localName(name)) < 0 {
			byName = append(byName, struct {
				name string
				k    int
			}{localName(name), k})
		}
	}
	for _, k := range alternates {
		m := sh.Members[k]
		for _, n := range []string{m.XMLName(), m.Shape.Member.XMLName(), m.Name} {
			if n = localName(n); n == "" {
				continue
			}
			if lookup(n) < 0 {
				byName = append(byName, struct {
					name string
					k    int
				}{n, k})
			}
		}
	}
	return dec.children(start, func(child xml.StartElement) error {
		k := lookup(child.Name.Local)
		if k < 0 {
			return dec.d.Skip()
		}
		m := sh.Members[k]
		f, fp := dec.tab.Field(i, k, p)
		if m.IsFlattened() && m.Shape.Type == model.List {
			// Repeated siblings collect into one list.
			if api.Absent(f, fp) {
				if err := dec.tab.List(f, fp); err != nil {
					return err
				}
			}
			ef, ep := dec.tab.Append(f, fp)
			return dec.value(child, m.Shape.Member, ef, ep, depth+1)
		}
		return dec.value(child, m, f, fp, depth+1)
	})
}

// value reads the element start as ref's shape into the value at fp, as
// decoder.value reads it; an earlier value there is replaced.
func (dec *typedDecoder) value(start xml.StartElement, ref *model.Ref, f *api.Field, fp unsafe.Pointer, depth int) error {
	if depth > maxDepth {
		return ErrUseTree
	}
	sh := ref.Shape
	switch sh.Type {
	case model.Structure:
		j, sp, err := dec.tab.Struct(f, fp)
		if err != nil {
			return err
		}
		return dec.members(start, sh, j, sp, depth)
	case model.List:
		if err := dec.tab.List(f, fp); err != nil {
			return err
		}
		err := dec.children(start, func(child xml.StartElement) error {
			ef, ep := dec.tab.Append(f, fp)
			return dec.value(child, sh.Member, ef, ep, depth+1)
		})
		dec.tab.Trim(f, fp)
		return err
	case model.Map:
		b, err := dec.tab.Map(f, fp)
		if err != nil {
			return err
		}
		return dec.children(start, func(child xml.StartElement) error {
			return dec.entry(child, sh, &b, depth+1)
		})
	}
	text, err := dec.text()
	if err != nil {
		return err
	}
	return dec.scalar(ref, f, fp, text)
}

// entry reads one map entry element into b, as decoder.entry reads it:
// the last key and value elements count, and an entry without either is
// dropped.
func (dec *typedDecoder) entry(start xml.StartElement, sh *model.Shape, b *api.MapBuilder, depth int) error {
	kname := localName(sh.Key.XMLName())
	if kname == "" {
		kname = "key"
	}
	vname := localName(sh.Value.XMLName())
	if vname == "" {
		vname = "value"
	}
	var key string
	var haveKey, haveValue bool
	var vp unsafe.Pointer
	err := dec.children(start, func(child xml.StartElement) error {
		switch child.Name.Local {
		case kname:
			text, err := dec.text()
			if err != nil {
				return err
			}
			key, haveKey = text, true
		case vname:
			vp = b.Value() // a later value element replaces an earlier one
			if err := dec.value(child, sh.Value, b.Elem, vp, depth+1); err != nil {
				return err
			}
			haveValue = true
		default:
			return dec.d.Skip()
		}
		return nil
	})
	if err != nil {
		return err
	}
	if haveKey && haveValue {
		b.Put(key)
	}
	return nil
}

// scalar sets the value at fp from an element's or attribute's text, as
// ParseScalar and the Converter make it.
func (dec *typedDecoder) scalar(ref *model.Ref, f *api.Field, fp unsafe.Pointer, text string) error {
	v, err := ParseScalar(ref, text)
	if err != nil {
		return err
	}
	if s, ok := v.(string); ok {
		return dec.tab.SetString(f, fp, s)
	}
	if v == nil {
		return ErrUseTree
	}
	return dec.tab.SetAny(f, fp, v)
}
