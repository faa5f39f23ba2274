package main

import (
	"bytes"
	"fmt"
	"go/format"
	"sort"
	"strings"

	"github.com/niwa-cloud/niwa/internal/model"
)

// The conversion methods every generated structure gets (conv.go): the
// reflection-free form of api.Reflect, which api.Converter dispatches to.
//
//	func (s *X) FromDynamic(m map[string]any) error
//	func (s *X) ToDynamic() map[string]any
//
// Each member is a line or two calling the helpers of package api; lists
// and maps take the element's helper as a function value (a literal for
// structures and nested containers).

const (
	fromMethod = "FromDynamic"
	toMethod   = "ToDynamic"
)

// fieldNames returns the Go field names of a structure's members, in
// member order (a name taken by an earlier member gets a "_").
func fieldNames(sh *model.Shape) []string {
	used := map[string]bool{}
	names := make([]string, len(sh.Members))
	for i, m := range sh.Members {
		f := goName(m.Name)
		for used[f] {
			f += "_"
		}
		used[f] = true
		names[i] = f
	}
	return names
}

// structTypes returns the Go names of every structure type the package
// declares: the structure shapes and the empty inputs and outputs of
// operations without one, sorted.
func (g *gen) structTypes() []string {
	var names []string
	for n, sh := range g.svc.Shapes {
		if sh.Type == model.Structure {
			names = append(names, typeName(n))
		}
	}
	names = append(names, g.emptyIOTypes()...)
	sort.Strings(names)
	return names
}

// emptyIOTypes returns the empty structures operations.go declares for
// the operations without an input or output shape.
func (g *gen) emptyIOTypes() []string {
	var out []string
	for _, n := range g.svc.OperationNames() {
		op := g.svc.Operations[n]
		in, o := g.ioTypes(op)
		for _, pair := range [][2]string{{goName(n) + "Input", in}, {goName(n) + "Output", o}} {
			alias, target := pair[0], pair[1]
			if alias != target {
				continue
			}
			if _, isShape := g.svc.Shapes[alias]; !isShape {
				out = append(out, alias)
			}
		}
	}
	return out
}

func (g *gen) conv() ([]byte, error) {
	var body bytes.Buffer
	var names []string
	for n, sh := range g.svc.Shapes {
		if sh.Type == model.Structure {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	empty := map[string]bool{}
	for _, n := range g.emptyIOTypes() {
		empty[n] = true
	}
	for _, n := range g.structTypes() {
		if empty[n] {
			if err := g.convMethods(&body, n, nil); err != nil {
				return nil, err
			}
		}
	}
	for _, n := range names {
		if err := g.convMethods(&body, typeName(n), g.svc.Shapes[n]); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	buf.WriteString(header)
	fmt.Fprintf(&buf, "package %s\n\n", g.pkg)
	var imports []string
	src := body.String()
	if strings.Contains(src, "io.Reader") {
		imports = append(imports, `"io"`)
	}
	if strings.Contains(src, "time.Time") {
		imports = append(imports, `"time"`)
	}
	if strings.Contains(src, "api.") {
		if len(imports) > 0 {
			imports = append(imports, "")
		}
		imports = append(imports, `"github.com/niwa-cloud/niwa/internal/api"`)
	}
	if len(imports) > 0 {
		fmt.Fprintf(&buf, "import (\n%s\n)\n\n", strings.Join(imports, "\n"))
	}
	buf.WriteString(src)
	return g.format(&buf)
}

// convMethods writes the two methods of type name, of shape sh (nil for
// an empty input or output).
func (g *gen) convMethods(buf *bytes.Buffer, name string, sh *model.Shape) error {
	var members []*model.Ref
	var fields []string
	if sh != nil {
		members, fields = sh.Members, fieldNames(sh)
	}
	for _, f := range fields {
		if f == fromMethod || f == toMethod {
			return fmt.Errorf("%s: member %s clashes with the conversion method", name, f)
		}
	}
	if len(members) == 0 {
		fmt.Fprintf(buf, "func (s *%s) %s(map[string]any) error { return nil }\n\n", name, fromMethod)
		fmt.Fprintf(buf, "func (s *%s) %s() map[string]any {\nif s == nil {\nreturn nil\n}\nreturn map[string]any{}\n}\n\n", name, toMethod)
		return nil
	}
	fmt.Fprintf(buf, "func (s *%s) %s(m map[string]any) error {\nvar err error\n", name, fromMethod)
	for i, r := range members {
		fmt.Fprintf(buf, "err = api.Decode(err, m, %q, &s.%s, %s)\n", r.Name, fields[i], g.fieldSet(r))
	}
	buf.WriteString("return err\n}\n\n")

	fmt.Fprintf(buf, "func (s *%s) %s() map[string]any {\nif s == nil {\nreturn nil\n}\nm := make(map[string]any, %d)\n", name, toMethod, min(len(members), 8))
	for i, r := range members {
		buf.WriteString(g.fieldPut(r, "s."+fields[i]) + "\n")
	}
	buf.WriteString("return m\n}\n\n")
	return nil
}

// scalar returns the helper suffix of a scalar reference ("String",
// "Int32"), or "" for structures, lists and maps.
func scalar(r *model.Ref) string {
	switch r.Shape.Type {
	case model.Structure, model.List, model.Map:
		return ""
	case model.String, model.Character:
		if r.JSONValue {
			return "Any"
		}
		return "String"
	case model.Integer:
		return "Int32"
	case model.Long:
		return "Int64"
	case model.Float:
		return "Float32"
	case model.Double:
		return "Float64"
	case model.Boolean:
		return "Bool"
	case model.Timestamp:
		return "Time"
	case model.Blob:
		if r.IsStreaming() {
			return "Reader"
		}
		return "Bytes"
	}
	return "Any"
}

// fieldSet is the func(*T, any) error setting a member field of type T.
func (g *gen) fieldSet(r *model.Ref) string {
	sh := r.Shape
	switch {
	case sh.Type == model.Structure && !sh.EventStream:
		return "api.SetStructPtr[" + typeName(sh.Name) + "]"
	case sh.Type == model.Structure, sh.Type == model.List, sh.Type == model.Map:
		return g.elemSet(r)
	}
	switch s := scalar(r); s {
	case "Any", "Reader", "Bytes":
		return "api.Set" + s
	default:
		return "api.Set" + s + "Ptr"
	}
}

// fieldPut is the statement putting member field f's dynamic form in m.
func (g *gen) fieldPut(r *model.Ref, f string) string {
	name := fmt.Sprintf("%q", r.Name)
	sh := r.Shape
	switch {
	case sh.Type == model.Structure && sh.EventStream:
		return fmt.Sprintf("if %s != nil {\nm[%s] = %s.ToDynamicStream()\n}", f, name, f)
	case sh.Type == model.Structure:
		return fmt.Sprintf("api.PutStruct(m, %s, %s)", name, f)
	case sh.Type == model.List:
		return fmt.Sprintf("api.PutList(m, %s, %s, %s)", name, f, g.elemDyn(sh.Member))
	case sh.Type == model.Map:
		return fmt.Sprintf("api.PutMap(m, %s, %s, %s)", name, f, g.elemDyn(sh.Value))
	}
	switch s := scalar(r); s {
	case "Any", "Reader":
		return fmt.Sprintf("api.PutAny(m, %s, %s)", name, f)
	case "Bytes":
		return fmt.Sprintf("api.PutBytes(m, %s, %s)", name, f)
	default:
		return fmt.Sprintf("api.Put(m, %s, %s, api.Dyn%s)", name, f, s)
	}
}

// elemSet is a func(*T, any) error setting a list element or map value
// of reference r.
func (g *gen) elemSet(r *model.Ref) string {
	sh := r.Shape
	t := g.goType(r, false)
	switch {
	case sh.Type == model.Structure && sh.EventStream:
		return "api.SetNever[" + t + "]"
	case sh.Type == model.Structure:
		return fmt.Sprintf("func(p *%s, v any) error { return api.SetStruct(p, v) }", t)
	case sh.Type == model.List:
		return fmt.Sprintf("func(p *%s, v any) error { return api.SetList(p, v, %s) }", t, g.elemSet(sh.Member))
	case sh.Type == model.Map:
		return fmt.Sprintf("func(p *%s, v any) error { return api.SetMap(p, v, %s) }", t, g.elemSet(sh.Value))
	}
	return "api.Set" + scalar(r)
}

// elemDyn is a func(T) any returning the dynamic form of a list element
// or map value of reference r.
func (g *gen) elemDyn(r *model.Ref) string {
	sh := r.Shape
	t := g.goType(r, false)
	switch {
	case sh.Type == model.Structure && sh.EventStream:
		return fmt.Sprintf("func(e %s) any { if e == nil { return nil }; return e.ToDynamicStream() }", t)
	case sh.Type == model.Structure:
		return fmt.Sprintf("func(e %s) any { return e.%s() }", t, toMethod)
	case sh.Type == model.List:
		return fmt.Sprintf("func(e %s) any { return api.DynList(e, %s) }", t, g.elemDyn(sh.Member))
	case sh.Type == model.Map:
		return fmt.Sprintf("func(e %s) any { return api.DynMap(e, %s) }", t, g.elemDyn(sh.Value))
	}
	return "api.Dyn" + scalar(r)
}

// allShapesFile writes internal/codegen/allshapes/shapes.go: a new value of
// every structure type of every generated package, for the tests that
// hold the generated conversions to api.Reflect. Only tests import it.
func allShapesFile(modelsDir string) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(header)
	buf.WriteString("// Package allshapes lists every generated structure type, for tests.\npackage allshapes\n\nimport (\n")
	var body bytes.Buffer
	body.WriteString("// All returns, per service, a pointer to a new value of each structure\n// type of its generated API package.\nfunc All() map[string][]any {\n\treturn map[string][]any{\n")
	for _, s := range services() {
		g, _, err := load(modelsDir, s)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.Name, err)
		}
		fmt.Fprintf(&buf, "\t%s \"github.com/niwa-cloud/niwa/internal/api/%s\"\n", g.pkg, s.Name)
		fmt.Fprintf(&body, "\t\t%q: {\n", s.Name)
		for _, n := range g.structTypes() {
			fmt.Fprintf(&body, "\t\t\tnew(%s.%s),\n", g.pkg, n)
		}
		body.WriteString("\t\t},\n")
	}
	buf.WriteString(")\n\n")
	body.WriteString("\t}\n}\n")
	buf.Write(body.Bytes())
	src, err := format.Source(buf.Bytes())
	if err != nil {
		return nil, err
	}
	return src, nil
}
