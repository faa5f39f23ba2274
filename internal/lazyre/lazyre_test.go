package lazyre

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

func TestMatchesLikeRegexp(t *testing.T) {
	r := New(`^arn:aws:sns:([a-z0-9-]+):(\d{12}):[A-Za-z0-9_-]{1,256}$`)
	if r.String() != `^arn:aws:sns:([a-z0-9-]+):(\d{12}):[A-Za-z0-9_-]{1,256}$` {
		t.Fatalf("String() = %q", r.String())
	}
	for _, c := range []struct {
		in   string
		want bool
	}{
		{"arn:aws:sns:us-east-1:123456789012:topic", true},
		{"arn:aws:sns:us-east-1:12345678901:topic", false},
		{"arn:aws:sns:us-east-1:123456789012:" + string(make([]byte, 0)), false},
	} {
		if got := r.MatchString(c.in); got != c.want {
			t.Errorf("MatchString(%q) = %v, want %v", c.in, got, c.want)
		}
		if got := r.Match([]byte(c.in)); got != c.want {
			t.Errorf("Match(%q) = %v, want %v", c.in, got, c.want)
		}
	}
	if got := r.FindStringSubmatch("arn:aws:sns:eu-west-1:123456789012:t"); !slices.Equal(got, []string{"arn:aws:sns:eu-west-1:123456789012:t", "eu-west-1", "123456789012"}) {
		t.Errorf("FindStringSubmatch = %q", got)
	}
}

// TestCompiledOnce: concurrent first uses share one compilation.
func TestCompiledOnce(t *testing.T) {
	r := New(`^a{1,64}$`)
	var wg sync.WaitGroup
	got := make([]any, 8)
	for i := range got {
		wg.Add(1)
		go func() { defer wg.Done(); got[i] = r.Regexp() }()
	}
	wg.Wait()
	for _, g := range got {
		if g != got[0] {
			t.Fatal("compiled more than once")
		}
	}
}

// TestMalformedPanicsAtNew: a bad expression fails where it is declared
// (at start-up for a package-level one), not at its first match.
func TestMalformedPanicsAtNew(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("New accepted a malformed expression")
		}
	}()
	New(`^(unclosed$`)
}

func TestReplace(t *testing.T) {
	r := New(`\{\{\s*([a-z]+)\s*\}\}`)
	if got := r.ReplaceAllString("a {{ x }} b {{y}}", "<$1>"); got != "a <x> b <y>" {
		t.Errorf("ReplaceAllString = %q", got)
	}
	if got := r.ReplaceAllStringFunc("a {{ x }} b", strings.ToUpper); got != "a {{ X }} b" {
		t.Errorf("ReplaceAllStringFunc = %q", got)
	}
}

// TestNoPackageLevelCompile keeps regular expressions out of niwa's
// start-up: a package-level regexp.MustCompile (or Compile) in
// internal/ or cmd/ runs at every start, for services a run may never
// call. Use New.
func TestNoPackageLevelCompile(t *testing.T) {
	fset := token.NewFileSet()
	for _, root := range []string{"..", "../../cmd"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			for _, decl := range f.Decls {
				g, ok := decl.(*ast.GenDecl)
				if !ok || g.Tok != token.VAR {
					continue
				}
				ast.Inspect(g, func(n ast.Node) bool {
					if _, ok := n.(*ast.FuncLit); ok {
						return false // runs when called, not at start-up
					}
					call, ok := n.(*ast.CallExpr)
					if !ok {
						return true
					}
					if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
						if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "regexp" && strings.Contains(sel.Sel.Name, "Compile") {
							t.Errorf("%s: package-level regexp.%s; use lazyre.New", fset.Position(call.Pos()), sel.Sel.Name)
						}
					}
					return true
				})
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
