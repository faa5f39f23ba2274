package cdk

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// The npm packages the test installs, pinned: the CLI (released apart
// from the library since 2.1000.0), the construct library and its peer.
const (
	cdkCLIVersion     = "2.1149.0"
	cdkLibVersion     = "2.278.0"
	constructsVersion = "10.8.1"
)

// requireNode fails under CI=true (skips otherwise) when node or npm is
// missing: CI never passes without running CDK.
func requireNode(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is required under CI=true: %v", tool, err)
			}
			t.Skipf("%s not found: %v", tool, err)
		}
	}
}

// installCDK installs the pinned packages into a cache directory shared
// between runs (~/.cache/niwa-e2e/cdk-<cli>-<lib>) and returns its
// node_modules. An flock on a file beside it keeps concurrent test
// processes from installing at once; a complete install is marked by a
// stamp file written last, so a killed install is redone.
func installCDK(t *testing.T) string {
	t.Helper()
	requireNode(t)
	cache, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(cache, "niwa-e2e", "cdk-"+cdkCLIVersion+"-"+cdkLibVersion)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	lock, err := os.OpenFile(dir+".lock", os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = lock.Close() }()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = syscall.Flock(int(lock.Fd()), syscall.LOCK_UN) }()

	modules := filepath.Join(dir, "node_modules")
	stamp := filepath.Join(dir, "niwa-installed.json")
	want, err := json.Marshal(map[string]string{"aws-cdk": cdkCLIVersion, "aws-cdk-lib": cdkLibVersion, "constructs": constructsVersion})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(stamp); err == nil && bytes.Equal(got, want) {
		return modules
	}
	_ = os.Remove(stamp)
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"niwa-cdk-e2e","private":true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "install", "--no-audit", "--no-fund", "--no-save", "--prefix", dir,
		"aws-cdk@"+cdkCLIVersion, "aws-cdk-lib@"+cdkLibVersion, "constructs@"+constructsVersion)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		// npm's registry unreachable or a package gone: under CI that is
		// a failure, never a skip.
		if os.Getenv("CI") != "" {
			t.Fatalf("npm install of the CDK failed under CI=true: %v\n%s", err, out)
		}
		t.Skipf("npm install of the CDK failed: %v\n%s", err, out)
	}
	if err := os.WriteFile(stamp, want, 0o644); err != nil {
		t.Fatal(err)
	}
	return modules
}
