package xmlbody

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/niwa-cloud/niwa/internal/model"
)

// Decode reads the element whose start tag the caller has just consumed
// from d (start) as a dynamic value of ref's shape, through its end tag.
// A flattened list or map ref reads the element as its one item or entry.
// Unknown child elements are skipped. Errors name the element path; the
// calling codec chooses the AWS error they become (MalformedXML, ...).
func Decode(d *xml.Decoder, start xml.StartElement, ref *model.Ref) (any, error) {
	if ref == nil || ref.Shape == nil {
		return nil, errors.New("xmlbody: nil reference")
	}
	dec := decoder{d: d}
	if ref.IsFlattened() {
		switch ref.Shape.Type {
		case model.List:
			v, err := dec.value(start, ref.Shape.Member, 1)
			if err != nil {
				return nil, err
			}
			return []any{v}, nil
		case model.Map:
			k, v, ok, err := dec.entry(start, ref.Shape, 1)
			if err != nil {
				return nil, err
			}
			out := map[string]any{}
			if ok {
				out[k] = v
			}
			return out, nil
		}
	}
	return dec.value(start, ref, 0)
}

// DecodeMembers reads the children of start (already consumed) as the
// members of a structure of shape sh, through start's end tag. Flattened
// list and map members collect their repeated sibling elements; attribute
// members are read from start.Attr. The result is never nil.
func DecodeMembers(d *xml.Decoder, start xml.StartElement, sh *model.Shape) (map[string]any, error) {
	if sh == nil {
		return nil, errors.New("xmlbody: nil shape")
	}
	dec := decoder{d: d}
	return dec.members(start, sh, 0)
}

type decoder struct {
	d *xml.Decoder
}

// DecodeError is a body that does not fit the model: malformed XML or a
// value that does not parse as its shape's type. Path is the element path
// from the decoded element ("Grant/Grantee@xsi:type").
type DecodeError struct {
	Path string
	Err  error
}

func (e *DecodeError) Error() string {
	return fmt.Sprintf("xmlbody: %s: %v", e.Path, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

func wrap(name string, err error) error {
	var de *DecodeError
	if errors.As(err, &de) {
		return &DecodeError{Path: name + "/" + de.Path, Err: de.Err}
	}
	return &DecodeError{Path: name, Err: err}
}

func (dec *decoder) value(start xml.StartElement, ref *model.Ref, depth int) (any, error) {
	if depth > maxDepth {
		return nil, &DecodeError{Path: start.Name.Local, Err: fmt.Errorf("nested deeper than %d levels", maxDepth)}
	}
	sh := ref.Shape
	switch sh.Type {
	case model.Structure:
		return dec.members(start, sh, depth)
	case model.List:
		out := []any{}
		err := dec.children(start, func(child xml.StartElement) error {
			v, err := dec.value(child, sh.Member, depth+1)
			if err != nil {
				return err
			}
			out = append(out, v)
			return nil
		})
		if err != nil {
			return nil, wrap(start.Name.Local, err)
		}
		return out, nil
	case model.Map:
		out := map[string]any{}
		err := dec.children(start, func(child xml.StartElement) error {
			k, v, ok, err := dec.entry(child, sh, depth+1)
			if ok {
				out[k] = v
			}
			return err
		})
		if err != nil {
			return nil, wrap(start.Name.Local, err)
		}
		return out, nil
	}
	text, err := dec.text()
	if err != nil {
		return nil, wrap(start.Name.Local, err)
	}
	v, err := ParseScalar(ref, text)
	if err != nil {
		return nil, wrap(start.Name.Local, fmt.Errorf("%w: %q", err, truncate(text)))
	}
	return v, nil
}

// entry reads one map entry element. ok is false when the entry lacks its
// key or value element; such an entry is dropped.
func (dec *decoder) entry(start xml.StartElement, sh *model.Shape, depth int) (key string, value any, ok bool, err error) {
	kname := localName(sh.Key.XMLName())
	if kname == "" {
		kname = "key"
	}
	vname := localName(sh.Value.XMLName())
	if vname == "" {
		vname = "value"
	}
	var haveKey, haveValue bool
	err = dec.children(start, func(child xml.StartElement) error {
		switch child.Name.Local {
		case kname:
			text, err := dec.text()
			if err != nil {
				return wrap(kname, err)
			}
			key, haveKey = text, true
		case vname:
			v, err := dec.value(child, sh.Value, depth+1)
			if err != nil {
				return err
			}
			value, haveValue = v, true
		default:
			return dec.d.Skip()
		}
		return nil
	})
	if err != nil {
		return "", nil, false, wrap(start.Name.Local, err)
	}
	return key, value, haveKey && haveValue, nil
}

// members reads a structure's attributes and child elements.
func (dec *decoder) members(start xml.StartElement, sh *model.Shape, depth int) (map[string]any, error) {
	if depth > maxDepth {
		return nil, &DecodeError{Path: start.Name.Local, Err: fmt.Errorf("nested deeper than %d levels", maxDepth)}
	}
	out := map[string]any{}
	byName := map[string]*model.Ref{}
	var alternates []*model.Ref
	for _, m := range sh.Members {
		if m.Location != model.LocationBody {
			continue
		}
		if m.XMLAttribute {
			if text, ok := attr(start.Attr, m.XMLName()); ok {
				v, err := ParseScalar(m, text)
				if err != nil {
					return nil, &DecodeError{Path: start.Name.Local + "@" + m.XMLName(), Err: fmt.Errorf("%w: %q", err, truncate(text))}
				}
				out[m.Name] = v
			}
			continue
		}
		name := m.XMLName()
		if m.IsFlattened() && m.Shape.Type == model.List {
			name = FlattenedListName(m)
			alternates = append(alternates, m)
		}
		if _, taken := byName[localName(name)]; !taken {
			byName[localName(name)] = m
		}
	}
	// A flattened list is also recognized by the other names a client
	// might use for it, when no member owns them.
	for _, m := range alternates {
		for _, n := range []string{m.XMLName(), m.Shape.Member.XMLName(), m.Name} {
			if n = localName(n); n == "" {
				continue
			}
			if _, taken := byName[n]; !taken {
				byName[n] = m
			}
		}
	}
	err := dec.children(start, func(child xml.StartElement) error {
		m := byName[child.Name.Local]
		if m == nil {
			return dec.d.Skip()
		}
		switch {
		case m.IsFlattened() && m.Shape.Type == model.List:
			v, err := dec.value(child, m.Shape.Member, depth+1)
			if err != nil {
				return err
			}
			l, _ := out[m.Name].([]any)
			out[m.Name] = append(l, v)
		case m.IsFlattened() && m.Shape.Type == model.Map:
			k, v, ok, err := dec.entry(child, m.Shape, depth+1)
			if err != nil {
				return err
			}
			if ok {
				mm, _ := out[m.Name].(map[string]any)
				if mm == nil {
					mm = map[string]any{}
					out[m.Name] = mm
				}
				mm[k] = v
			}
		default:
			v, err := dec.value(child, m, depth+1)
			if err != nil {
				return err
			}
			out[m.Name] = v
		}
		return nil
	})
	if err != nil {
		return nil, wrap(start.Name.Local, err)
	}
	return out, nil
}

// children calls fn for each child element of the current element, which
// must consume the child through its end tag, and returns after the
// current element's end tag. Character data between children is ignored.
func (dec *decoder) children(start xml.StartElement, fn func(xml.StartElement) error) error {
	for {
		tok, err := dec.d.Token()
		if err != nil {
			return eof(err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if err := fn(t); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// text reads the character data of the current element through its end
// tag; nested elements are skipped.
func (dec *decoder) text() (string, error) {
	var sb strings.Builder
	for {
		tok, err := dec.d.Token()
		if err != nil {
			return "", eof(err)
		}
		switch t := tok.(type) {
		case xml.CharData:
			sb.Write(t)
		case xml.StartElement:
			if err := dec.d.Skip(); err != nil {
				return "", eof(err)
			}
		case xml.EndElement:
			return sb.String(), nil
		}
	}
}

// attr finds the attribute called name ("type" or "xsi:type"). The
// decoder has replaced a declared prefix by its namespace URI, so a
// prefixed name matches any namespaced attribute with that local name, and
// an unprefixed one only an attribute without a namespace. Namespace
// declarations never match.
func attr(attrs []xml.Attr, name string) (string, bool) {
	prefix, local, hasPrefix := strings.Cut(name, ":")
	if !hasPrefix {
		local, prefix = prefix, ""
	}
	for _, a := range attrs {
		if a.Name.Local != local || a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			continue
		}
		if (prefix == "") == (a.Name.Space == "") {
			return a.Value, true
		}
	}
	return "", false
}

// localName drops a namespace prefix from an element name.
func localName(name string) string {
	if i := strings.IndexByte(name, ':'); i >= 0 {
		return name[i+1:]
	}
	return name
}

func eof(err error) error {
	if errors.Is(err, io.EOF) {
		return errors.New("unexpected end of document")
	}
	return err
}

func truncate(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
