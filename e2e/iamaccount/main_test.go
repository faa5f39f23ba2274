// Package iamaccount holds the end-to-end tests of IAM's account features
// and policy grammar, driven by the aws CLI (v1 and v2) and boto3: malformed
// policy documents, AWS managed policies attached and enforced, virtual MFA
// devices enabled with TOTP codes and used with STS, the credential report.
// The harness is e2e/framework.
package iamaccount

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
