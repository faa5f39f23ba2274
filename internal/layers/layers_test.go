package layers

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// moduleRoot is the directory of niwa's go.mod, found upward from the
// test's working directory (the package directory).
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// TestNiwa is the rule itself: niwa's packages import each other only as
// Niwa's layers allow. A failure names the package, the import and the
// rule; docs/architecture.md ("Layers") says where shared code goes.
func TestNiwa(t *testing.T) {
	layers := Niwa()
	if err := Validate(layers); err != nil {
		t.Fatal(err)
	}
	mod, pkgs, err := Load(moduleRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	if mod != "github.com/niwa-cloud/niwa" {
		t.Fatalf("module %q, want niwa's", mod)
	}
	// Guard against checking an empty or wrong tree: these must be seen,
	// with the imports everyone knows they have.
	seen := map[string]Package{}
	for _, p := range pkgs {
		seen[p.Path] = p
	}
	for pkg, imp := range map[string]string{
		"internal/server":         "internal/gateway",
		"internal/service/s3":     "internal/api/s3",
		"internal/gateway":        "internal/auth",
		"cmd/niwa":                "internal/server",
		"internal/service/lambda": "internal/events/pattern",
	} {
		p, ok := seen[pkg]
		if !ok {
			t.Fatalf("Load found no package %s", pkg)
		}
		if !contains(p.Imports, imp) {
			t.Errorf("Load: %s does not import %s; it does", pkg, imp)
		}
	}
	for _, v := range Check(layers, pkgs) {
		t.Error(v)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestCheck runs the checker on synthetic graphs under niwa's own layers:
// each forbidden import is reported naming the package and the import,
// and each allowed one passes.
func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		pkg  Package
		// want are substrings of the one violation expected; empty: none.
		want []string
	}{
		{"service imports the gateway",
			Package{Path: "internal/service/s3", Imports: []string{"internal/gateway"}},
			[]string{"internal/service/s3 imports internal/gateway", "service layer may not import the edge layer"}},
		{"service imports auth",
			Package{Path: "internal/service/s3", Imports: []string{"internal/auth"}},
			[]string{"internal/service/s3 imports internal/auth", "security layer"}},
		{"service imports another service",
			Package{Path: "internal/service/lambda", Imports: []string{"internal/service/events/pattern"}},
			[]string{"internal/service/lambda imports internal/service/events/pattern", "internal/service/events is not part of internal/service/lambda"}},
		{"service subpackage imports another service",
			Package{Path: "internal/service/dynamodb/expr", Imports: []string{"internal/service/sqs"}},
			[]string{"internal/service/dynamodb/expr imports internal/service/sqs"}},
		{"service imports another service's API",
			Package{Path: "internal/service/sns", Imports: []string{"internal/api/sqs"}},
			[]string{"internal/service/sns imports internal/api/sqs", "only its own api (internal/api/sns)"}},
		{"service imports the wiring",
			Package{Path: "internal/service/sqs", Imports: []string{"internal/server"}},
			[]string{"internal/service/sqs imports internal/server", "never imports the wiring layer above it"}},
		{"service test imports the gateway",
			Package{Path: "internal/service/s3", XTestImports: []string{"internal/gateway"}},
			[]string{"internal/service/s3 (external test) imports internal/gateway"}},
		{"service in-package test imports niwatest",
			Package{Path: "internal/service/s3", Imports: []string{"niwatest"}},
			[]string{"internal/service/s3 imports niwatest", "entry layer above it"}},
		{"service external test imports the wiring",
			Package{Path: "internal/service/s3", XTestImports: []string{"internal/server"}},
			[]string{"internal/service/s3 (external test) imports internal/server", "wiring layer above it"}},
		{"platform imports a service",
			Package{Path: "internal/storage", Imports: []string{"internal/service/s3"}},
			[]string{"internal/storage imports internal/service/s3", "platform layer never imports the service layer above it"}},
		{"platform imports cmd",
			Package{Path: "internal/events", Imports: []string{"cmd/niwa"}},
			[]string{"internal/events imports cmd/niwa"}},
		{"gateway imports a service",
			Package{Path: "internal/gateway", Imports: []string{"internal/service/s3"}},
			[]string{"internal/gateway imports internal/service/s3"}},
		{"audit imports the gateway",
			Package{Path: "internal/audit", Imports: []string{"internal/gateway"}},
			[]string{"internal/audit imports internal/gateway", "edge packages never import another edge's"}},
		{"generated API imports another",
			Package{Path: "internal/api/sqs", Imports: []string{"internal/api/sns"}},
			[]string{"internal/api/sqs imports internal/api/sns"}},
		{"codec imports the gateway",
			Package{Path: "internal/protocol/rest", Imports: []string{"internal/gateway"}},
			[]string{"internal/protocol/rest imports internal/gateway"}},
		{"niwatest imports cmd",
			Package{Path: "niwatest", Imports: []string{"cmd/niwa"}},
			[]string{"niwatest imports cmd/niwa"}},
		{"wiring imports niwatest outside its tests",
			Package{Path: "internal/server", Imports: []string{"niwatest"}},
			[]string{"internal/server imports niwatest"}},
		{"package in no layer",
			Package{Path: "internal/newthing"},
			[]string{"internal/newthing: in no layer"}},

		{"service imports the platform, the codecs' runtime and its own API",
			Package{Path: "internal/service/sqs", Imports: []string{"internal/storage", "internal/events", "internal/request", "internal/api", "internal/api/sqs", "internal/service/sqs/querymodel", "internal/events/pattern", "internal/hostname"}}, nil},
		{"service subpackage imports its own API",
			Package{Path: "internal/service/dynamodb/expr", Imports: []string{"internal/api/dynamodb", "internal/service/dynamodb/decimal"}}, nil},
		{"dynamodb serves the streams API",
			Package{Path: "internal/service/dynamodb", Imports: []string{"internal/api/dynamodbstreams"}}, nil},
		{"gateway imports auth and the APIs",
			Package{Path: "internal/gateway", Imports: []string{"internal/auth", "internal/api/s3", "internal/protocol/codecs", "internal/hostname"}}, nil},
		{"wiring imports everything below",
			Package{Path: "internal/server", Imports: []string{"internal/gateway", "internal/audit", "internal/service/s3", "internal/auth"}}, nil},
		{"service external test drives a niwa through niwatest",
			Package{Path: "internal/service/s3", XTestImports: []string{"niwatest", "internal/api/s3"}}, nil},
		{"wiring's external tests start a niwa",
			Package{Path: "internal/server", XTestImports: []string{"niwatest", "internal/server"}}, nil},
		{"the APIs' runtime tests bind a generated API",
			Package{Path: "internal/api", XTestImports: []string{"internal/api/sts"}}, nil},
		{"the APIs' runtime imports a generated API outside its tests",
			Package{Path: "internal/api", Imports: []string{"internal/api/sts"}},
			[]string{"internal/api imports internal/api/sts", "protocol layer never imports the api layer above it"}},
		{"e2e imports the platform",
			Package{Path: "e2e/s3", Imports: []string{"e2e/framework", "internal/checksum", "niwatest"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Check(Niwa(), []Package{tt.pkg})
			if tt.want == nil {
				if len(got) != 0 {
					t.Fatalf("violations %v, want none", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("violations %v, want one", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got[0].String(), w) {
					t.Errorf("violation %q does not say %q", got[0], w)
				}
			}
		})
	}
}

// TestLoad reads a small module whose service imports the gateway in its
// code, another service in a file built only on Windows, auth in an
// in-package test and the wiring in its external test; testdata, vendor and
// a nested module are not part of it.
func TestLoad(t *testing.T) {
	mod, pkgs, err := Load(filepath.Join("testdata", "mod"))
	if err != nil {
		t.Fatal(err)
	}
	if mod != "example.com/m" {
		t.Errorf("module %q", mod)
	}
	want := []Package{
		{Path: "cmd/x", Imports: []string{"internal/service/a"}, XTestImports: []string{}},
		{Path: "internal/gateway", Imports: []string{}, XTestImports: []string{}},
		{Path: "internal/service/a", Imports: []string{"internal/auth", "internal/gateway", "internal/service/b"}, XTestImports: []string{"internal/server"}},
		{Path: "internal/service/b", Imports: []string{"."}, XTestImports: []string{}},
	}
	if !reflect.DeepEqual(pkgs, want) {
		t.Errorf("Load =\n%+v\nwant\n%+v", pkgs, want)
	}
	var msgs []string
	for _, v := range Check(Niwa(), pkgs) {
		msgs = append(msgs, v.String())
	}
	for _, w := range []string{
		"internal/service/a imports internal/gateway",
		"internal/service/a imports internal/auth",
		"internal/service/a imports internal/service/b",
		"internal/service/a (external test) imports internal/server",
	} {
		found := false
		for _, m := range msgs {
			found = found || strings.HasPrefix(m, w+":")
		}
		if !found {
			t.Errorf("no violation %q in %q", w, msgs)
		}
	}
}

// TestValidate refuses a layer table whose "may import" points up or
// names no layer.
func TestValidate(t *testing.T) {
	for _, tt := range []struct {
		layers []Layer
		want   string
	}{
		{[]Layer{{Name: "a", MayImport: []string{"b"}}, {Name: "b"}}, `layer "a" may import "b", which is not a layer below it`},
		{[]Layer{{Name: "a", XTestMayImport: []string{"z"}}}, `layer "a" names "z", which is no layer`},
		{[]Layer{{Name: "a"}, {Name: "a"}}, `layer "a" named twice`},
		{[]Layer{{Name: "a", OwnAPI: "b"}, {Name: "b"}}, `layer "a" owns units of "b", which is not a layer below it`},
	} {
		err := Validate(tt.layers)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Validate = %v, want %s", err, tt.want)
		}
	}
}

func TestMatch(t *testing.T) {
	for _, tt := range []struct {
		pattern, pkg, unit string
		ok                 bool
	}{
		{"internal/gateway", "internal/gateway", "internal/gateway", true},
		{"internal/gateway", "internal/gateway/x", "", false},
		{"internal/gateway/...", "internal/gateway/x", "internal/gateway", true},
		{"internal/gateway/...", "internal/gatewayx", "", false},
		{"internal/service/*/...", "internal/service/s3/sub", "internal/service/s3", true},
		{"internal/service/*/...", "internal/service", "", false},
		{"internal/api/*/...", "internal/api", "", false},
		{"internal/api", "internal/api", "internal/api", true},
	} {
		unit, ok := match(tt.pattern, tt.pkg)
		if unit != tt.unit || ok != tt.ok {
			t.Errorf("match(%q, %q) = %q, %v; want %q, %v", tt.pattern, tt.pkg, unit, ok, tt.unit, tt.ok)
		}
	}
}

func TestModuleDirective(t *testing.T) {
	for _, tt := range []struct {
		gomod, want string
		ok          bool
	}{
		{"module example.com/m\n\ngo 1.22\n", "example.com/m", true},
		{"// comment\nmodule \"example.com/q\" // the module\n", "example.com/q", true},
		{"module\n", "", false},
		{"go 1.22\n", "", false},
		{"module \"\"\n", "", false},
	} {
		got, ok := moduleDirective([]byte(tt.gomod))
		if got != tt.want || ok != tt.ok {
			t.Errorf("moduleDirective(%q) = %q, %v; want %q, %v", tt.gomod, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzModuleDirective(f *testing.F) {
	f.Add([]byte("module example.com/m\n"))
	f.Add([]byte("module \"a b\" // c\n"))
	f.Fuzz(func(t *testing.T, gomod []byte) {
		got, ok := moduleDirective(gomod)
		if ok != (got != "") {
			t.Fatalf("moduleDirective(%q) = %q, %v", gomod, got, ok)
		}
		// Unquoted, the path is one field, comment removed.
		if ok && !strings.ContainsAny(string(gomod), "\"`") && (strings.ContainsAny(got, " \t\r\n") || strings.Contains(got, "//")) {
			t.Fatalf("moduleDirective(%q) = %q", gomod, got)
		}
	})
}
