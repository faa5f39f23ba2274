package main

import (
	"bytes"
	"fmt"
	"go/format"
	"sort"
	"strings"

	"github.com/niwa-cloud/niwa/internal/model"
)

// The conversion table every generated package gets (conv.go): static
// data the interpreter in package api (table.go) converts with, in place
// of per-member generated code. It has an entry per structure type (in
// structTypes order, so a structure's entry is its index there) and then
// one per list, map and event stream type its members use (in order of
// first use); each structure has one method naming its entry:
//
//	func (*X) ConvType() (api.Table, int32) { return convTable[:], 7 }
//
// Entries refer to each other by index: a package-level table cannot
// refer to itself by address (an initialization cycle), and indexes keep
// it data the linker lays out, with no code run at start-up.

const (
	convMethod = "ConvType"
	convTable  = "convTable"
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

// convTab collects a package's table entries.
type convTab struct {
	g       *gen
	index   map[string]int // Go type -> entry
	entries []string       // the entries' literals
}

func (g *gen) conv() ([]byte, error) {
	structs := g.structTypes()
	t := &convTab{g: g, index: map[string]int{}, entries: make([]string, len(structs))}
	for i, n := range structs {
		t.index[n] = i
	}
	shapes := map[string]*model.Shape{}
	for n, sh := range g.svc.Shapes {
		if sh.Type == model.Structure {
			shapes[typeName(n)] = sh
		}
	}
	for i, n := range structs {
		var err error
		if t.entries[i], err = t.structEntry(n, shapes[n]); err != nil {
			return nil, err
		}
	}
	var body bytes.Buffer
	for i, n := range structs {
		fmt.Fprintf(&body, "func (*%s) %s() (api.Table, int32) { return %s[:], %d }\n\n", n, convMethod, convTable, i)
	}
	fmt.Fprintf(&body, "var %s = [...]api.Type{\n", convTable)
	for i, e := range t.entries {
		fmt.Fprintf(&body, "%d: %s,\n", i, e)
	}
	body.WriteString("}\n")

	var buf bytes.Buffer
	buf.WriteString(header)
	fmt.Fprintf(&buf, "package %s\n\n", g.pkg)
	imports := []string{}
	src := body.String()
	if strings.Contains(src, "io.Reader") {
		imports = append(imports, `"io"`)
	}
	if strings.Contains(src, "time.Time") {
		imports = append(imports, `"time"`)
	}
	if len(t.entries) > len(structs) || strings.Contains(src, "Offsetof") {
		imports = append(imports, `"unsafe"`)
	}
	imports = append(imports, "", `"github.com/niwa-cloud/niwa/internal/api"`)
	fmt.Fprintf(&buf, "import (\n%s\n)\n\n", strings.Join(imports, "\n"))
	buf.WriteString(src)
	return g.format(&buf)
}

// structEntry is the literal of structure type name's entry (sh nil for
// an empty input or output).
func (t *convTab) structEntry(name string, sh *model.Shape) (string, error) {
	if sh == nil || len(sh.Members) == 0 {
		return fmt.Sprintf("{Go: (*%s)(nil)}", name), nil
	}
	fields := fieldNames(sh)
	var b strings.Builder
	fmt.Fprintf(&b, "{Go: (*%s)(nil), Fields: []api.Field{\n", name)
	for i, r := range sh.Members {
		if fields[i] == convMethod {
			return "", fmt.Errorf("%s: member %s clashes with the conversion method", name, fields[i])
		}
		fmt.Fprintf(&b, "{Name: %q, Off: unsafe.Offsetof(%s{}.%s), %s},\n", r.Name, name, fields[i], t.kind(r, true))
	}
	b.WriteString("}}")
	return b.String(), nil
}

// kind is the Kind (and Type, for kinds with an entry) of reference r, a
// structure member (field) or a list element or map value.
func (t *convTab) kind(r *model.Ref, field bool) string {
	sh := r.Shape
	switch {
	case sh.Type == model.Structure && sh.EventStream:
		return t.entry(r, "api.KStream", func(gt string) string {
			return fmt.Sprintf("{Go: (*%s)(nil), StreamTo: api.StreamTo[%s]}", gt, typeName(sh.Name))
		})
	case sh.Type == model.Structure:
		k := "api.KStruct"
		if field {
			k = "api.KStructPtr"
		}
		return fmt.Sprintf("Kind: %s, Type: %d", k, t.index[typeName(sh.Name)])
	case sh.Type == model.List:
		return t.entry(r, "api.KList", func(gt string) string {
			et := t.g.goType(sh.Member, false)
			return fmt.Sprintf("{Go: (*%s)(nil), Elem: api.Field{%s}, Size: unsafe.Sizeof(*new(%s))}", gt, t.kind(sh.Member, false), et)
		})
	case sh.Type == model.Map:
		return t.entry(r, "api.KMap", func(gt string) string {
			vt := t.g.goType(sh.Value, false)
			return fmt.Sprintf("{Go: (*%s)(nil), Elem: api.Field{%s}, Map: api.MapOf[%s]{}}", gt, t.kind(sh.Value, false), vt)
		})
	}
	switch s := scalar(r); s {
	case "Any", "Reader", "Bytes":
		return "Kind: api.K" + s
	default:
		if field {
			return "Kind: api.K" + s + "Ptr"
		}
		return "Kind: api.K" + s
	}
}

// entry returns the Kind and Type of a list, map or stream reference,
// adding its type's entry (lit makes its literal) on first use.
func (t *convTab) entry(r *model.Ref, kind string, lit func(goType string) string) string {
	gt := t.g.goType(r, false)
	i, ok := t.index[gt]
	if !ok {
		i = len(t.entries)
		t.index[gt] = i
		t.entries = append(t.entries, "")
		l := lit(gt) // may add entries
		t.entries[i] = l
	}
	return fmt.Sprintf("Kind: %s, Type: %d", kind, i)
}

// scalar returns the Kind suffix of a scalar reference ("String",
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
