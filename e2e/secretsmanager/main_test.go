// Package secretsmanager holds the end-to-end tests of Secrets Manager:
// secrets, versions and staging labels, deletion and restore, resource
// policies, and rotation by a Python Lambda function doing the four
// steps, driven by the aws CLI (v1 and v2) and boto3 against the built
// binary. The harness is e2e/framework.
package secretsmanager

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
