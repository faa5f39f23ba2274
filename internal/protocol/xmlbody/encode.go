package xmlbody

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"unicode/utf8"

	"github.com/niwa-cloud/niwa/internal/api"
	"github.com/niwa-cloud/niwa/internal/model"
)

// maxDepth bounds nesting on both encode and decode: it stops a cyclic
// value from recursing forever and a hostile document from exhausting the
// stack. AWS's deepest real shapes are a few dozen levels.
const maxDepth = 256

// Encode writes value (a dynamic value of ref's shape) as the element name
// (ref.XMLName(), else the shape name, when name is ""). A flattened list
// or map ref writes one name element per item or entry. A nil value
// writes nothing. Nothing is written when an error is returned.
func Encode(w *bytes.Buffer, ref *model.Ref, name string, value any) error {
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
	var err error
	if ref.IsFlattened() && (ref.Shape.Type == model.List || ref.Shape.Type == model.Map) {
		err = e.flattened(ref, name, value, ref.Namespace(), 0)
	} else {
		err = e.element(ref, name, value, ref.Namespace(), 0)
	}
	if err != nil {
		w.Truncate(mark)
		return fmt.Errorf("xmlbody: %w", err)
	}
	return nil
}

// EncodeMembers writes the member elements of a structure value of shape
// sh, without an enclosing element: the query protocol wraps them in
// <OpResult>, the rest-xml error body in <Error>. Attribute and
// HTTP-bound members are skipped, having no element to live in; keys of
// value that are not members of sh are ignored.
func EncodeMembers(w *bytes.Buffer, sh *model.Shape, value map[string]any) error {
	if sh == nil {
		return errors.New("xmlbody: nil shape")
	}
	mark := w.Len()
	e := encoder{w: w}
	if err := e.members(sh, value, 0); err != nil {
		w.Truncate(mark)
		return fmt.Errorf("xmlbody: %w", err)
	}
	return nil
}

type encoder struct {
	w *bytes.Buffer
	// maps are the typed encoder's map readers, one per nesting level.
	maps api.MapReaders
}

// element writes v as one element called name.
func (e *encoder) element(ref *model.Ref, name string, v any, ns *model.XMLNamespace, depth int) error {
	if v == nil {
		return nil
	}
	if depth > maxDepth {
		return fmt.Errorf("%s: value nested deeper than %d levels (cyclic?)", name, maxDepth)
	}
	sh := ref.Shape
	switch sh.Type {
	case model.Structure:
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: want map[string]any for structure %s, got %T", name, sh.Name, v)
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
		for _, mr := range sh.Members {
			if !mr.XMLAttribute || mr.Location != model.LocationBody {
				continue
			}
			av, ok := m[mr.Name]
			if !ok || av == nil {
				continue
			}
			text, err := FormatScalar(mr, av)
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
		if err := e.members(sh, m, depth+1); err != nil {
			return fmt.Errorf("%s.%w", name, err)
		}
		e.close(name, mark)
	case model.List:
		items, err := listItems(v)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		e.open(name, ns)
		mark := e.w.Len()
		e.w.WriteByte('>')
		itemName := sh.Member.XMLName()
		if itemName == "" {
			itemName = "member"
		}
		for i, item := range items {
			if err := e.item(sh.Member, itemName, item, sh.Member.Namespace(), depth+1); err != nil {
				return fmt.Errorf("%s[%d]: %w", name, i, err)
			}
		}
		e.close(name, mark)
	case model.Map:
		keys, get, err := mapEntries(v)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		e.open(name, ns)
		mark := e.w.Len()
		e.w.WriteByte('>')
		for _, k := range keys {
			e.w.WriteString("<entry>")
			if err := e.entry(sh, k, get(k), depth+1); err != nil {
				return fmt.Errorf("%s[%q]: %w", name, k, err)
			}
			e.w.WriteString("</entry>")
		}
		e.close(name, mark)
	default:
		var scratch [40]byte
		if b, ok := appendScalar(scratch[:0], ref, v); ok {
			// An integer or a timestamp: no string made, nothing to
			// escape, never empty.
			e.open(name, ns)
			e.w.WriteByte('>')
			e.w.Write(b)
			e.w.WriteString("</")
			e.w.WriteString(name)
			e.w.WriteByte('>')
			return nil
		}
		text, err := FormatScalar(ref, v)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
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
	}
	return nil
}

// item writes a list item. A nil item still takes its place, as an empty
// element, so that the positions of the others do not shift.
func (e *encoder) item(ref *model.Ref, name string, v any, ns *model.XMLNamespace, depth int) error {
	if v == nil {
		e.open(name, ns)
		e.w.WriteString("/>")
		return nil
	}
	return e.element(ref, name, v, ns, depth)
}

// entry writes the key and value elements of one map entry.
func (e *encoder) entry(sh *model.Shape, key string, v any, depth int) error {
	kname, vname := entryNames(sh)
	if err := e.element(sh.Key, kname, key, sh.Key.Namespace(), depth); err != nil {
		return err
	}
	return e.item(sh.Value, vname, v, sh.Value.Namespace(), depth)
}

// entryNames are the element names of a map entry's key and value.
func entryNames(sh *model.Shape) (kname, vname string) {
	kname = sh.Key.XMLName()
	if kname == "" {
		kname = "key"
	}
	vname = sh.Value.XMLName()
	if vname == "" {
		vname = "value"
	}
	return kname, vname
}

// flattened writes a flattened list or map: one name element per item or
// entry, without a wrapper.
func (e *encoder) flattened(ref *model.Ref, name string, v any, ns *model.XMLNamespace, depth int) error {
	if v == nil {
		return nil
	}
	sh := ref.Shape
	if sh.Type == model.List {
		items, err := listItems(v)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if ns == nil {
			ns = sh.Member.Namespace()
		}
		for i, item := range items {
			if err := e.item(sh.Member, name, item, ns, depth+1); err != nil {
				return fmt.Errorf("%s[%d]: %w", name, i, err)
			}
		}
		return nil
	}
	keys, get, err := mapEntries(v)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	for _, k := range keys {
		e.open(name, ns)
		e.w.WriteByte('>')
		if err := e.entry(sh, k, get(k), depth+1); err != nil {
			return fmt.Errorf("%s[%q]: %w", name, k, err)
		}
		e.w.WriteString("</")
		e.w.WriteString(name)
		e.w.WriteByte('>')
	}
	return nil
}

// members writes the body members of a structure in model order.
func (e *encoder) members(sh *model.Shape, m map[string]any, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%s: value nested deeper than %d levels (cyclic?)", sh.Name, maxDepth)
	}
	for _, mr := range sh.Members {
		if mr.XMLAttribute || mr.Location != model.LocationBody {
			continue
		}
		v, ok := m[mr.Name]
		if !ok || v == nil {
			continue
		}
		var err error
		if mr.IsFlattened() && mr.Shape.Type == model.List {
			err = e.flattened(mr, FlattenedListName(mr), v, mr.XMLNamespace, depth)
		} else if mr.IsFlattened() && mr.Shape.Type == model.Map {
			err = e.flattened(mr, mr.XMLName(), v, mr.Namespace(), depth)
		} else {
			err = e.element(mr, mr.XMLName(), v, mr.Namespace(), depth)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// FlattenedListName is the element name of the items of a flattened list
// member: the member's locationName, else the list member's, else the list
// shape's, else the member name.
func FlattenedListName(m *model.Ref) string {
	if m.LocationName != "" {
		return m.LocationName
	}
	if m.Shape.Member != nil {
		if n := m.Shape.Member.XMLName(); n != "" {
			return n
		}
	}
	if m.Shape.LocationName != "" {
		return m.Shape.LocationName
	}
	return m.Name
}

func (e *encoder) open(name string, ns *model.XMLNamespace) {
	e.w.WriteByte('<')
	e.w.WriteString(name)
	e.namespace(ns)
}

// close ends an element opened with content starting at mark (just at the
// '>' of its start tag), collapsing it to <name/> when it stayed empty.
func (e *encoder) close(name string, mark int) {
	if e.w.Len() == mark+1 {
		e.w.Truncate(mark)
		e.w.WriteString("/>")
		return
	}
	e.w.WriteString("</")
	e.w.WriteString(name)
	e.w.WriteByte('>')
}

func (e *encoder) namespace(ns *model.XMLNamespace) {
	if ns == nil || ns.URI == "" {
		return
	}
	e.w.WriteString(" xmlns")
	if ns.Prefix != "" {
		e.w.WriteByte(':')
		e.w.WriteString(ns.Prefix)
	}
	e.w.WriteString(`="`)
	escape(e.w, ns.URI, true)
	e.w.WriteByte('"')
}

// listItems accepts []any and, leniently, any other slice type
// ([]string, []map[string]any) except []byte.
func listItems(v any) ([]any, error) {
	if l, ok := v.([]any); ok {
		return l, nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
		return nil, fmt.Errorf("want []any for a list, got %T", v)
	}
	if rv.Kind() == reflect.Slice && rv.Type().Elem().Kind() == reflect.Uint8 {
		return nil, fmt.Errorf("want []any for a list, got %T", v)
	}
	out := make([]any, rv.Len())
	for i := range out {
		out[i] = rv.Index(i).Interface()
	}
	return out, nil
}

// mapEntries returns the sorted keys of a map value and a getter. It
// accepts map[string]any and, leniently, any map with string keys.
func mapEntries(v any) ([]string, func(string) any, error) {
	if m, ok := v.(map[string]any); ok {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return keys, func(k string) any { return m[k] }, nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Map || rv.Type().Key().Kind() != reflect.String {
		return nil, nil, fmt.Errorf("want map[string]any for a map, got %T", v)
	}
	keys := make([]string, 0, rv.Len())
	for _, k := range rv.MapKeys() {
		keys = append(keys, k.String())
	}
	sort.Strings(keys)
	kt := rv.Type().Key()
	return keys, func(k string) any {
		return rv.MapIndex(reflect.ValueOf(k).Convert(kt)).Interface()
	}, nil
}

// EscapeText writes s as XML character data, escaped by the rules of this
// package (see the package documentation), for codecs that write fixed
// elements around xmlbody's output (request ids, error codes).
func EscapeText(w *bytes.Buffer, s string) { escape(w, s, false) }

// escape writes s as XML character data (or, with attr, as a double-quoted
// attribute value), so that an XML parser reads back exactly s. See the
// package documentation for the rules.
func escape(w *bytes.Buffer, s string, attr bool) {
	last := 0
	for i := 0; i < len(s); {
		// An ASCII byte written as it is, the common case, is passed
		// over without decoding a rune; every other byte takes the
		// cases below (TestEscapeMatchesRuneByRune).
		if c := s[i]; c < utf8.RuneSelf && plainASCII(c, attr) {
			i++
			continue
		}
		r, width := utf8.DecodeRuneInString(s[i:])
		var esc string
		switch {
		case r == '&':
			esc = "&amp;"
		case r == '<':
			esc = "&lt;"
		case r == '>':
			esc = "&gt;"
		case r == '\r':
			esc = "&#xD;"
		case r == '\u0085':
			esc = "&#x85;"
		case r == '\u2028':
			esc = "&#x2028;"
		case attr && r == '"':
			esc = "&quot;"
		case attr && r == '\n':
			esc = "&#xA;"
		case attr && r == '\t':
			esc = "&#x9;"
		case r == utf8.RuneError && width == 1, !isXMLChar(r):
			esc = "\uFFFD"
		}
		if esc != "" {
			w.WriteString(s[last:i])
			w.WriteString(esc)
			last = i + width
		}
		i += width
	}
	w.WriteString(s[last:])
}

// plainASCII reports whether escape writes the ASCII byte c as it is:
// an XML character that is not markup (&, <, >) nor a carriage return,
// and in an attribute value not a quote, newline or tab.
func plainASCII(c byte, attr bool) bool {
	switch {
	case c >= 0x20:
		return c != '&' && c != '<' && c != '>' && !(attr && c == '"')
	case c == '\n' || c == '\t':
		return !attr
	}
	return false
}

// isXMLChar reports whether r may appear in an XML 1.0 document.
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		(r >= 0x20 && r <= 0xD7FF) ||
		(r >= 0xE000 && r <= 0xFFFD) ||
		(r >= 0x10000 && r <= 0x10FFFF)
}
