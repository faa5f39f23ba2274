package e2e

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestScenarioS7SAML runs scenarios/S7-saml/run.sh against the built
// binary: SAML federation with an IdP key, certificate and signed
// assertions the script makes itself.
func TestScenarioS7SAML(t *testing.T) {
	t.Parallel()
	requireClient(t, "aws CLI", "aws", "--version")
	requireClient(t, "go toolchain", "go", "version")
	n := StartBinary(t)
	cmd := exec.Command("bash", "../scenarios/S7-saml/run.sh")
	var extra []string
	for _, kv := range os.Environ() {
		// The script builds its IdP helper with the Go toolchain.
		if strings.HasPrefix(kv, "GO") {
			extra = append(extra, kv)
		}
	}
	cmd.Env = n.clientEnv(extra...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("S7 failed: %v\n%s\nniwa log:\n%s", err, out, n.StopAndLogs())
	}
	if !strings.Contains(string(out), "S7 OK") {
		t.Fatalf("S7 did not finish:\n%s", out)
	}
	t.Logf("%s", out)
}
