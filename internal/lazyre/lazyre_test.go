package lazyre

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
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

// TestMalformedPanicsAtFirstUse: New does nothing with the expression
// (not even parse it: that was ~5% of start-up CPU before main); a bad
// one panics where it is first used, as regexp.MustCompile would.
func TestMalformedPanicsAtFirstUse(t *testing.T) {
	r := New(`^(unclosed$`)
	defer func() {
		if recover() == nil {
			t.Fatal("a malformed expression matched")
		}
	}()
	r.MatchString("x")
}

// TestExpressionsCompile compiles every expression given to New in
// internal/ and cmd/: New no longer parses at start-up, so this is where
// a malformed one fails. Each must be a string literal, so that it can be
// checked here.
func TestExpressionsCompile(t *testing.T) {
	n := 0
	for _, root := range []string{"..", "../../cmd"} {
		n += checkExpressions(t, root, t.Errorf)
	}
	if n < 50 {
		t.Fatalf("found %d lazyre.New calls; the walk missed them", n)
	}
	// The check itself: a fixture with a malformed and a computed
	// expression is refused.
	var got []string
	checkExpressions(t, "testdata/malformed", func(f string, args ...any) { got = append(got, fmt.Sprintf(f, args...)) })
	if len(got) != 2 || !strings.Contains(got[0], "missing closing )") || !strings.Contains(got[1], "not a string literal") {
		t.Fatalf("fixture: got %q, want the malformed and the computed expression reported", got)
	}
}

// literal is the value of a string literal or a concatenation of them.
func literal(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.ParenExpr:
		return literal(e.X)
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		x, ok := literal(e.X)
		if !ok {
			return "", false
		}
		y, ok := literal(e.Y)
		return x + y, ok
	}
	return "", false
}

// checkExpressions reports (through errorf) every lazyre.New call under
// root whose argument is not a string literal (or a concatenation of them) or does not compile, and
// returns how many calls it found.
func checkExpressions(t *testing.T, root string, errorf func(string, ...any)) int {
	t.Helper()
	fset := token.NewFileSet()
	n := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(node ast.Node) bool {
			call, ok := node.(*ast.CallExpr)
			if !ok || len(call.Args) != 1 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "New" {
				return true
			}
			if pkg, ok := sel.X.(*ast.Ident); !ok || pkg.Name != "lazyre" {
				return true
			}
			n++
			expr, ok := literal(call.Args[0])
			if !ok {
				errorf("%s: lazyre.New's argument is not a string literal; it cannot be checked", fset.Position(call.Pos()))
				return true
			}
			if _, err := regexp.Compile(expr); err != nil {
				errorf("%s: lazyre.New(%q): %v", fset.Position(call.Pos()), expr, err)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
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
