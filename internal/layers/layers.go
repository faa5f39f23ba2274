// Package layers checks that niwa's packages import each other only
// downward, in the layer order docs/architecture.md draws: the platform
// at the bottom, then the generated APIs, the gateway and its security
// beside the services, the wiring above them all, and the binaries and
// tests on top. A layer's packages may import their own layer and the
// layers it names; some layers are split into units (one per service,
// say) that never import each other.
//
// The rules are data (Niwa) and the checker is a function over a plain
// import graph (Check), so the rules are tested on the real tree (Load)
// and the checker on synthetic graphs. Imports are read with go/parser
// from every .go file, whatever its build constraints, so a file built
// only on another OS or only for tests cannot hide an import.
package layers

import (
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Layer is a set of packages and the layers they may import.
type Layer struct {
	Name string
	// Packages are module-relative patterns: "internal/gateway" is that
	// package, "internal/protocol/..." it and every package under it,
	// and a "*" element ("internal/service/*/...") matches any one
	// element and marks a unit: the packages sharing the path up to the
	// "*" ("internal/service/s3", "internal/service/s3/…") form one. A
	// pattern without "*" is a unit of its own.
	Packages []string
	// MayImport names the lower layers this layer's packages may import
	// (their own layer they always may, within the limits of Isolated).
	MayImport []string
	// Isolated layers' units never import each other: one service never
	// imports another.
	Isolated bool
	// OwnAPI names a layer this layer may import only the unit of that
	// shares its unit's name (a service imports its own generated API:
	// internal/service/s3 imports internal/api/s3 and no other), plus the
	// units Shares lists.
	OwnAPI string
	// Shares lists, per unit name, the other OwnAPI units it owns
	// ("dynamodb" serves the "dynamodbstreams" API too).
	Shares map[string][]string
	// XTestMayImport names layers only the package's external test
	// package (package x_test) may import besides MayImport: the
	// wiring's tests start a whole niwa through niwatest.
	XTestMayImport []string
}

// Package is one package of the graph: its module-relative path, the
// module's packages its files (in-package tests included) import, and
// those its external test package imports.
type Package struct {
	Path         string
	Imports      []string
	XTestImports []string
}

// Violation is an import the layers forbid, or a package in no layer.
type Violation struct {
	Package string
	// Import is "" for a package that belongs to no layer.
	Import string
	// XTest is true when the import is in the external test package.
	XTest  bool
	Reason string
}

func (v Violation) String() string {
	if v.Import == "" {
		return v.Package + ": " + v.Reason
	}
	who := v.Package
	if v.XTest {
		who += " (external test)"
	}
	return fmt.Sprintf("%s imports %s: %s", who, v.Import, v.Reason)
}

// Niwa is niwa's layer order, lowest first. Keep docs/architecture.md
// ("Layers") in step with it.
func Niwa() []Layer {
	return []Layer{
		{
			// Platform libraries every layer builds on: errors, time,
			// storage, the event bus, the policy engine, the model
			// loader, the handler context, shared parsers.
			Name: "platform",
			Packages: []string{
				"internal/awserr", "internal/awsid", "internal/ca", "internal/checksum", "internal/clock", "internal/dns",
				"internal/events/...", "internal/hostname",
				"internal/httpheader", "internal/httpbody", "internal/httpserve", "internal/iam", "internal/kms/...", "internal/lambda/...", "internal/model",
				// The S3 object seam (Logs exports, DynamoDB export/import).
				"internal/objects",
				// Network position and egress (the egress proxy Lambda
				// functions and instance processes leave through).
				"internal/netpos",
				"internal/sqlengine/...",
				// The database servers RDS instances are (dbenginetest: a
				// server for the tests of the packages that talk to one).
				"internal/dbengine/...",
				// Invoke URLs of both API Gateway services (execute-api).
				"internal/executeapi",
				// Mail a service sends as AWS (ACM validation), carried by SES.
				"internal/mail",
				"internal/dbfront",
				"internal/kit/...", "internal/lb", "internal/waf", "internal/ptr", "internal/request", "internal/sdkmodels", "internal/storage/...",
				// Regular expressions compiled on first use, not at start-up.
				"internal/lazyre",
				// JSON Schema draft 4 (API Gateway's models), no start-up cost.
				"internal/jsonschema4",
				// Process groups for the engines that run user code.
				"internal/proc",
				// EC2 instances that run: user data, IMDS, commands.
				"internal/instances/...",
				// API Gateway's mapping templates (Velocity), a parser any
				// service may use.
				"internal/vtl",
				// The harness of service unit tests (memory store, fake
				// clock, contexts), from branch kit: platform only.
				"internal/servicetest",
			},
		},
		{
			// The codecs and the runtime of the generated APIs.
			Name:      "protocol",
			Packages:  []string{"internal/protocol/...", "internal/api"},
			MayImport: []string{"platform"},
			// The runtime's external tests bind real generated APIs.
			XTestMayImport: []string{"api"},
		},
		{
			// Generated APIs, one unit per AWS API.
			Name:      "api",
			Packages:  []string{"internal/api/*/..."},
			MayImport: []string{"platform", "protocol"},
			Isolated:  true,
		},
		{
			// Code generation and this checker.
			Name:      "tools",
			Packages:  []string{"internal/codegen/...", "internal/layers/..."},
			MayImport: []string{"platform", "protocol", "api"},
		},
		{
			// Authentication and authorization, which the gateway runs.
			Name:      "security",
			Packages:  []string{"internal/auth/...", "internal/authz/..."},
			MayImport: []string{"platform", "protocol", "api"},
		},
		{
			// The front door and the CloudTrail records of its calls.
			Name:      "edge",
			Packages:  []string{"internal/gateway/...", "internal/audit/..."},
			MayImport: []string{"platform", "protocol", "api", "security"},
			Isolated:  true,
		},
		{
			// Services: the platform and their own API, nothing else.
			// What the gateway or authentication gives them, they declare
			// as an interface or take as platform data; internal/server
			// wires it in.
			Name:      "service",
			Packages:  []string{"internal/service/*/..."},
			MayImport: []string{"platform", "protocol"},
			Isolated:  true,
			OwnAPI:    "api",
			// One service answers both DynamoDB APIs from one store, and
			// one both SES APIs (v1 and v2 share identities and mail).
			Shares: map[string][]string{"dynamodb": {"dynamodbstreams"}, "ses": {"sesv2"}},
			// A service's external tests (package s3_test) may start a
			// whole niwa through niwatest and drive it with an SDK, as a
			// client would; they reach into nothing else above.
			XTestMayImport: []string{"entry"},
		},
		{
			// Explicit wiring of everything below.
			Name:           "wiring",
			Packages:       []string{"internal/server/..."},
			MayImport:      []string{"platform", "protocol", "api", "tools", "security", "edge", "service"},
			XTestMayImport: []string{"entry"},
		},
		{
			// The binary and the in-process niwa for Go tests.
			Name:      "entry",
			Packages:  []string{"cmd/*/...", "niwatest/..."},
			MayImport: []string{"platform", "protocol", "api", "tools", "security", "edge", "service", "wiring"},
			Isolated:  true,
		},
		{
			// Tests and benchmarks from outside.
			Name:      "outside",
			Packages:  []string{"e2e/...", "bench/...", "scenarios/..."},
			MayImport: []string{"platform", "protocol", "api", "tools", "security", "edge", "service", "wiring", "entry"},
		},
	}
}

// Validate checks that layers form an order: names are unique and every
// layer named in MayImport, XTestMayImport or OwnAPI comes before the
// layer naming it, so "may import" only ever points down.
func Validate(layers []Layer) error {
	all := map[string]bool{}
	for _, l := range layers {
		if all[l.Name] {
			return fmt.Errorf("layer %q named twice", l.Name)
		}
		all[l.Name] = true
	}
	below := map[string]bool{}
	for _, l := range layers {
		for _, n := range l.MayImport {
			if !below[n] {
				return fmt.Errorf("layer %q may import %q, which is not a layer below it", l.Name, n)
			}
		}
		if l.OwnAPI != "" && !below[l.OwnAPI] {
			return fmt.Errorf("layer %q owns units of %q, which is not a layer below it", l.Name, l.OwnAPI)
		}
		// An external test package is a client of its package, so it
		// may reach up (the wiring's tests start a niwa through niwatest).
		for _, n := range l.XTestMayImport {
			if !all[n] {
				return fmt.Errorf("layer %q names %q, which is no layer", l.Name, n)
			}
		}
		below[l.Name] = true
	}
	return nil
}

// match reports whether pkg matches pattern, and the unit it belongs to.
func match(pattern, pkg string) (unit string, ok bool) {
	pe := strings.Split(pattern, "/")
	xe := strings.Split(pkg, "/")
	subtree := pe[len(pe)-1] == "..."
	if subtree {
		pe = pe[:len(pe)-1]
		if len(xe) < len(pe) {
			return "", false
		}
	} else if len(xe) != len(pe) {
		return "", false
	}
	unitLen := len(pe)
	for i, e := range pe {
		switch {
		case e == "*":
			if xe[i] == "" {
				return "", false
			}
			unitLen = i + 1
		case e != xe[i]:
			return "", false
		}
	}
	return strings.Join(xe[:unitLen], "/"), true
}

type place struct {
	layer int
	unit  string
}

// Check returns every violation of layers in pkgs, sorted. Imports of
// packages outside pkgs (the standard library, other modules) are not
// its business; pass module-relative paths only.
func Check(layers []Layer, pkgs []Package) []Violation {
	places := map[string]place{}
	locate := func(pkg string) (place, bool) {
		if p, ok := places[pkg]; ok {
			return p, true
		}
		for i, l := range layers {
			for _, pat := range l.Packages {
				if u, ok := match(pat, pkg); ok {
					places[pkg] = place{i, u}
					return place{i, u}, true
				}
			}
		}
		return place{}, false
	}
	var out []Violation
	for _, p := range pkgs {
		from, ok := locate(p.Path)
		if !ok {
			out = append(out, Violation{Package: p.Path, Reason: "in no layer: add it to the layer it belongs to in internal/layers (Niwa) and docs/architecture.md"})
			continue
		}
		check := func(imp string, xtest bool) {
			if imp == p.Path {
				return
			}
			to, ok := locate(imp)
			if !ok {
				// Reported as its own package when it is in pkgs.
				return
			}
			if r := reason(layers, from, to, xtest); r != "" {
				out = append(out, Violation{Package: p.Path, Import: imp, XTest: xtest, Reason: r})
			}
		}
		for _, imp := range p.Imports {
			check(imp, false)
		}
		for _, imp := range p.XTestImports {
			check(imp, true)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Package != b.Package {
			return a.Package < b.Package
		}
		if a.Import != b.Import {
			return a.Import < b.Import
		}
		return !a.XTest && b.XTest
	})
	return out
}

// reason says why a package at from may not import one at to, or "".
func reason(layers []Layer, from, to place, xtest bool) string {
	fl, tl := layers[from.layer], layers[to.layer]
	if from.layer == to.layer {
		if fl.Isolated && from.unit != to.unit {
			return fmt.Sprintf("%s packages never import another %s's (%s is not part of %s)", fl.Name, fl.Name, to.unit, from.unit)
		}
		return ""
	}
	if fl.OwnAPI != "" && tl.Name == fl.OwnAPI {
		own := path.Base(from.unit)
		if path.Base(to.unit) == own {
			return ""
		}
		for _, s := range fl.Shares[own] {
			if path.Base(to.unit) == s {
				return ""
			}
		}
		return fmt.Sprintf("a %s package imports only its own %s (%s), not another's", fl.Name, tl.Name, ownAPI(layers[to.layer], own))
	}
	allowed := fl.MayImport
	if xtest {
		allowed = append(append([]string(nil), allowed...), fl.XTestMayImport...)
	}
	for _, n := range allowed {
		if n == tl.Name {
			return ""
		}
	}
	if to.layer > from.layer {
		return fmt.Sprintf("the %s layer never imports the %s layer above it (a %s package may import only %s)", fl.Name, tl.Name, fl.Name, list(fl, allowed))
	}
	return fmt.Sprintf("the %s layer may not import the %s layer (a %s package may import only %s)", fl.Name, tl.Name, fl.Name, list(fl, allowed))
}

// ownAPI names the unit of l a unit called own may import, for messages.
func ownAPI(l Layer, own string) string {
	for _, pat := range l.Packages {
		if i := strings.Index(pat, "*"); i >= 0 {
			return pat[:i] + own
		}
	}
	return own
}

func list(l Layer, allowed []string) string {
	own := l.Name
	if l.Isolated {
		own = "its own " + l.Name + " unit"
	}
	names := append([]string{own}, allowed...)
	if l.OwnAPI != "" {
		names = append(names, "its own "+l.OwnAPI)
	}
	return strings.Join(names, ", ")
}

// Load reads the import graph of the module rooted at root: every
// package under it except testdata, vendor, hidden and "_" directories
// and nested modules. It returns the module path and the packages, with
// module-relative paths ("." for the root package).
func Load(root string) (string, []Package, error) {
	mod, err := modulePath(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", nil, err
	}
	type imports struct{ own, xtest map[string]bool }
	found := map[string]*imports{}
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			n := d.Name()
			if p != root {
				if n == "testdata" || n == "vendor" || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") {
					return filepath.SkipDir
				}
				if _, err := os.Stat(filepath.Join(p, "go.mod")); err == nil {
					return filepath.SkipDir
				}
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, filepath.Dir(p))
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		im := found[rel]
		if im == nil {
			im = &imports{own: map[string]bool{}, xtest: map[string]bool{}}
			found[rel] = im
		}
		set := im.own
		if strings.HasSuffix(p, "_test.go") && strings.HasSuffix(f.Name.Name, "_test") {
			set = im.xtest
		}
		for _, s := range f.Imports {
			ip, err := strconv.Unquote(s.Path.Value)
			if err != nil {
				return fmt.Errorf("%s: %v", p, err)
			}
			switch {
			case ip == mod:
				set["."] = true
			case strings.HasPrefix(ip, mod+"/"):
				set[strings.TrimPrefix(ip, mod+"/")] = true
			}
		}
		return nil
	})
	if err != nil {
		return "", nil, err
	}
	pkgs := make([]Package, 0, len(found))
	for dir, im := range found {
		pkgs = append(pkgs, Package{Path: dir, Imports: sorted(im.own), XTestImports: sorted(im.xtest)})
	}
	sort.Slice(pkgs, func(i, j int) bool { return pkgs[i].Path < pkgs[j].Path })
	return mod, pkgs, nil
}

func sorted(set map[string]bool) []string {
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// modulePath reads the module directive of a go.mod file.
func modulePath(gomod string) (string, error) {
	b, err := os.ReadFile(gomod)
	if err != nil {
		return "", err
	}
	mod, ok := moduleDirective(b)
	if !ok {
		return "", fmt.Errorf("%s: no module directive", gomod)
	}
	return mod, nil
}

// moduleDirective returns the path of go.mod's module directive, quoted
// or not, ignoring a trailing comment.
func moduleDirective(gomod []byte) (string, bool) {
	for _, line := range strings.Split(string(gomod), "\n") {
		line, _, _ = strings.Cut(line, "//")
		f := strings.Fields(line)
		if len(f) != 2 || f[0] != "module" {
			continue
		}
		p := f[1]
		if u, err := strconv.Unquote(p); err == nil {
			p = u
		}
		if p != "" {
			return p, true
		}
	}
	return "", false
}
