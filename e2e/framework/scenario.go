package framework

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// RunScenario runs scenarios/<dir>/run.sh against n with the client
// environment (plus extra) and fails unless the script exits 0 having
// printed "<id> OK" — the id is the directory's prefix (S1 for S1-ddns) —
// which every scenario script prints once its observable result held.
func RunScenario(t *testing.T, n *Niwa, dir string, extra ...string) {
	t.Helper()
	id, _, _ := strings.Cut(dir, "-")
	cmd := exec.Command("bash", filepath.Join(RepoRoot(), "scenarios", dir, "run.sh"))
	cmd.Env = n.ClientEnv(extra...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s failed: %v\n%s\nniwa log:\n%s", id, err, out, n.StopAndLogs())
	}
	if !strings.Contains(string(out), id+" OK") {
		t.Fatalf("%s did not finish:\n%s", id, out)
	}
	t.Logf("%s", out)
}
