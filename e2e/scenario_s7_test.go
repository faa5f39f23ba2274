package e2e

import (
	"os"
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
	var extra []string
	for _, kv := range os.Environ() {
		// The script builds its IdP helper with the Go toolchain.
		if strings.HasPrefix(kv, "GO") {
			extra = append(extra, kv)
		}
	}
	runScenario(t, n, "S7-saml", extra...)
}
