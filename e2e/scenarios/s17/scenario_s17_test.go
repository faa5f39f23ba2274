package s17

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestScenarioS17KMS runs scenarios/S17-kms/run.sh against the built
// binary: a key and an alias, Encrypt/Decrypt with the aws CLI, a data
// key used by openssl, S3 SSE-KMS readable only by the principal the key
// policy allows, and a disabled key refusing.
func TestScenarioS17KMS(t *testing.T) {
	t.Parallel()
	framework.RequireClient(t, "aws CLI", "aws", "--version")
	framework.RequireClient(t, "openssl", "openssl", "version")
	framework.RequireClient(t, "python3", "python3", "--version")
	n := framework.StartBinary(t, "--iam-enforcement", "on")
	framework.RunScenario(t, n, "S17-kms")
}
