package s01to07

import (
	"os"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestScenarioS7SAML runs scenarios/S7-saml/run.sh against the built
// binary: SAML federation with an IdP key, certificate and signed
// assertions the script makes itself.
func TestScenarioS7SAML(t *testing.T) {
	t.Parallel()
	framework.RequireClient(t, "aws CLI", "aws", "--version")
	framework.RequireClient(t, "go toolchain", "go", "version")
	n := framework.StartBinary(t, "--iam-enforcement", "on")
	var extra []string
	for _, kv := range os.Environ() {
		// The script builds its IdP helper with the Go toolchain.
		if strings.HasPrefix(kv, "GO") {
			extra = append(extra, kv)
		}
	}
	framework.RunScenario(t, n, "S7-saml", extra...)
}
