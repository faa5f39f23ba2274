package server

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/internal/audit"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// platformDirs are the packages that serve every service alike (and
// the entry points, cmd/niwa and niwatest): none of
// their files may name a service or one of its operations. What a
// service needs of them it declares (kit.Declaration) in its own
// package. internal/server's own files are checked too, but for the
// list of services (services.go) and the per-service wiring
// (wire_<service>.go), which is where services are named on purpose.
// internal/auth is not among them: S3's signature variant (SigV2,
// UNSIGNED-PAYLOAD) is part of the signature schemes it implements.
func platformDirs() []string {
	return []string{
		"internal/gateway", "internal/audit", "internal/authz", "internal/kit",
		"internal/protocol", "internal/server", "internal/request", "internal/model", "internal/awserr", "cmd/niwa", "niwatest",
	}
}

// serviceFile reports whether a file of internal/server wires services
// by name, on purpose.
func serviceFile(dir, name string) bool {
	if dir != "internal/server" {
		return false
	}
	return name == "services.go" || name == "wire.go" ||
		strings.HasPrefix(name, "wire_") && name != "wire_authz.go"
}

// exempt are platform files allowed to name some services (and only
// those), and why.
func exempt() map[string][]string {
	return map[string][]string{
		// The REST codec's wire quirks of S3 and Lambda: what their
		// front ends do that their models do not say (S3's root element
		// names and 206 answers, Lambda's error Type), kept in one file
		// as the SDKs keep their own customizations.
		"internal/protocol/rest/quirks.go": {"s3", "lambda"},
	}
}

// serviceWords are the strings that would name a wired service or one
// of its operations: operation names, niwa's service names, signing
// names, endpoint prefixes, X-Amz-Target prefixes and service ids. A
// protocol's name ("ec2", "query") is vocabulary of the protocols, not
// a service, and is left out.
func serviceWords(t *testing.T) map[string]string {
	t.Helper()
	words := map[string]string{}
	protocols := map[string]bool{}
	for _, e := range catalog() {
		md := e.spec.Metadata
		protocols[md.Protocol] = true
		for _, p := range md.Protocols {
			protocols[p] = true
		}
		// A word several services share names all of them ("sqs,sns
		// operation"), so that an exemption for one covers it.
		add := func(w, kind string) {
			if old, ok := words[w]; ok && strings.HasSuffix(old, " "+kind) {
				owners := strings.TrimSuffix(old, " "+kind)
				if !slices.Contains(strings.Split(owners, ","), e.spec.Name) {
					words[w] = owners + "," + e.spec.Name + " " + kind
				}
				return
			}
			words[w] = e.spec.Name + " " + kind
		}
		for _, op := range e.spec.Operations {
			add(op, "operation")
		}
		for _, n := range []string{e.spec.Name, md.SigningName, md.EndpointPrefix, md.TargetPrefix, md.ServiceID} {
			if n != "" {
				add(n, "service name")
			}
		}
	}
	for p := range protocols {
		delete(words, p)
	}
	return words
}

// TestPlatformNamesNoService fails when a platform package holds a
// string literal equal to a service's name or to one of its operations:
// that is service knowledge in the platform, which belongs in the
// service's declaration (docs/writing-a-service.md). Tests are exempt;
// they exercise real services.
func TestPlatformNamesNoService(t *testing.T) {
	words := serviceWords(t)
	if words["GetObject"] == "" || words["s3"] == "" || words["Invoke"] == "" {
		t.Fatal("serviceWords misses names everyone knows")
	}
	root := filepath.Join("..", "..")
	var found []string
	checked := 0
	exempt := exempt()
	for _, dir := range platformDirs() {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, de os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if de.IsDir() {
				if de.Name() == "testdata" {
					return filepath.SkipDir
				}
				return nil
			}
			name := de.Name()
			if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
				return nil
			}
			rel, _ := filepath.Rel(root, filepath.Dir(path))
			if serviceFile(filepath.ToSlash(rel), name) {
				return nil
			}
			checked++
			found = append(found, literalsIn(t, path, words, exempt[filepath.ToSlash(filepath.Join(rel, name))]...)...)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if checked < 20 {
		t.Fatalf("checked only %d files: the walk is looking in the wrong place", checked)
	}
	sort.Strings(found)
	for _, f := range found {
		t.Error(f)
	}
}

// literalsIn lists the string literals of a Go file that are in words,
// but those of the services allowed.
func literalsIn(t *testing.T, path string, words map[string]string, allowed ...string) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		if _, ok := n.(*ast.ImportSpec); ok {
			return false
		}
		lit, ok := n.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		s, err := strconv.Unquote(lit.Value)
		if err != nil {
			return true
		}
		if what, ok := words[s]; ok && !ownedBy(what, allowed) {
			out = append(out, fset.Position(lit.Pos()).String()+": "+strconv.Quote(s)+" is a "+what)
		}
		return true
	})
	return out
}

// TestPathPrefixesCoverModels keeps each service's declared path
// segments (kit.Routing.PathPrefixes) equal to the dated first segments
// of its model's URIs, so an unsigned request to any of its operations
// reaches it; and a REST service whose every URI begins with a dated
// segment must declare them.
func TestPathPrefixesCoverModels(t *testing.T) {
	d, b := wiredServices(t, servicetest.New(t, "server"))
	declared := 0
	for _, s := range b.services {
		decl := d.decls[s.Spec.Name]
		if p := s.Spec.Metadata.Protocol; p != "rest-json" && p != "rest-xml" {
			if len(decl.Routing.PathPrefixes) > 0 {
				t.Errorf("%s (%s) declares path prefixes", s.Spec.Name, p)
			}
			continue
		}
		m, err := s.Spec.Model()
		if err != nil {
			t.Fatal(err)
		}
		dated := map[string]bool{}
		allDated := true
		for _, op := range m.Operations {
			first, _, _ := strings.Cut(strings.TrimPrefix(op.HTTP.RequestURI, "/"), "/")
			first, _, _ = strings.Cut(first, "?")
			if isDated(first) {
				dated[first] = true
			} else {
				allDated = false
			}
		}
		want := map[string]bool{}
		if allDated {
			want = dated
		}
		got := map[string]bool{}
		for _, p := range decl.Routing.PathPrefixes {
			got[p] = true
		}
		declared += len(got)
		for p := range want {
			if !got[p] {
				t.Errorf("%s: URIs begin with %q, which its declaration's Routing.PathPrefixes lacks", s.Spec.Name, p)
			}
		}
		for p := range got {
			if !want[p] {
				t.Errorf("%s: declared path prefix %q begins none of its URIs", s.Spec.Name, p)
			}
		}
	}
	if declared == 0 {
		t.Fatal("no service declares path prefixes; Lambda and Route 53 do")
	}
}

// isDated reports whether s looks like an API version, YYYY-MM-DD.
func isDated(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for i, c := range s {
		if i != 4 && i != 7 && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// TestDeclaredEventSources: what moved out of the audit trail into the
// declarations still reaches it: both SES APIs record as
// ses.amazonaws.com (their endpoint is email.<region>), DynamoDB Streams
// as dynamodb.amazonaws.com.
func TestDeclaredEventSources(t *testing.T) {
	d, b := wiredServices(t, servicetest.New(t, "server"))
	want := map[string]string{"ses": "ses.amazonaws.com", "sesv2": "ses.amazonaws.com", "dynamodbstreams": "dynamodb.amazonaws.com", "sqs": "sqs.amazonaws.com"}
	for _, s := range b.services {
		w, ok := want[s.Spec.Name]
		if !ok {
			continue
		}
		delete(want, s.Spec.Name)
		if got := audit.EventSource(s.Spec.Metadata, d.decls[s.Spec.Name].Audit); got != w {
			t.Errorf("%s records as %s, want %s", s.Spec.Name, got, w)
		}
	}
	if len(want) > 0 {
		t.Errorf("services not wired: %v", want)
	}
}

// TestLiteralsIn is the test of the check: a platform file that names
// an operation or a service is reported, naming the literal and whose it
// is; imports, comments and other strings are not.
func TestLiteralsIn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.go")
	src := "package x\n\nimport \"s3\"\n\n// GetObject is in a comment.\nvar a, b, c = \"GetObject\", \"s3\", \"other\"\n"
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	got := literalsIn(t, path, serviceWords(t))
	if len(got) != 2 || !strings.Contains(got[0], `"GetObject" is a s3 operation`) || !strings.Contains(got[1], `"s3" is a s3 service name`) {
		t.Fatalf("got %q, want GetObject and s3 reported", got)
	}
	// An exempt file may name the services it is allowed, no other.
	if got := literalsIn(t, path, serviceWords(t), "s3"); len(got) != 0 {
		t.Fatalf("got %q with s3 allowed, want none", got)
	}
	if got := literalsIn(t, path, serviceWords(t), "lambda"); len(got) != 2 {
		t.Fatalf("got %q with lambda allowed, want both s3 literals", got)
	}
}

// TestHooksDeclared: a service's hooks reach the gateway only through
// its declaration (kit.Declaration.Reset, CORS, Observe). A handler type
// with a method of a hook's name that its declaration does not name is
// a hook that would never run (as before declarations carried them, the
// gateway looked for these methods itself).
func TestHooksDeclared(t *testing.T) {
	d, b := wiredServices(t, servicetest.New(t, "server"))
	for _, s := range b.services {
		decl := d.decls[s.Spec.Name]
		v := reflect.ValueOf(s.Impl)
		for method, declared := range map[string]bool{
			"Reset": decl.Reset != nil, "CORS": decl.CORS != nil, "ObserveRequest": decl.Observe != nil,
		} {
			if v.IsValid() && v.MethodByName(method).IsValid() && !declared {
				t.Errorf("%s has a %s method its declaration does not name (kit.Declaration)", s.Spec.Name, method)
			}
		}
	}
}

// ownedBy reports whether a serviceWords description names one of
// services among its owners.
func ownedBy(what string, services []string) bool {
	owners, _, _ := strings.Cut(what, " ")
	for _, o := range strings.Split(owners, ",") {
		if slices.Contains(services, o) {
			return true
		}
	}
	return false
}
