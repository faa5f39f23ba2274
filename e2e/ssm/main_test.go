// Package ssm holds the end-to-end tests of Parameter Store: parameters,
// hierarchies, versions and labels, SecureString with and without
// decryption (and a caller without kms:Decrypt), and the public AMI
// parameters resolving to images EC2 knows, driven by the aws CLI (v1
// and v2) and boto3 against the built binary. The harness is
// e2e/framework.
package ssm

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
