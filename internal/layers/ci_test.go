package layers

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// .ci/run splits the README's `go test ./...` into the packages raced and
// the e2e areas run without the race detector; together they must still
// be every package, or CI would pass without running some tests.
func TestCIRunsEveryPackage(t *testing.T) {
	root := filepath.Join("..", "..")
	script, err := os.ReadFile(filepath.Join(root, ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, line := range strings.Split(string(script), "\n") {
		if !strings.HasPrefix(line, "go test ") {
			continue
		}
		for _, m := range regexp.MustCompile(`\./([A-Za-z0-9_.-]+)/\.\.\.`).FindAllStringSubmatch(line, -1) {
			covered[m[1]] = true
		}
		if strings.Contains(line, " ./...") {
			covered["*"] = true
		}
	}
	if len(covered) == 0 {
		t.Fatal(".ci/run runs no go test")
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".go") && !covered["*"] {
			t.Errorf("the module root has Go files (%s) that no go test in .ci/run names", e.Name())
		}
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") || e.Name() == "testdata" || covered[e.Name()] || covered["*"] {
			continue
		}
		hasGo := false
		_ = filepath.WalkDir(filepath.Join(root, e.Name()), func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".go") {
				hasGo = true
				return filepath.SkipAll
			}
			return nil
		})
		if hasGo {
			t.Errorf("%s/ holds Go packages that no go test in .ci/run names", e.Name())
		}
	}
}
