// Package s3answers holds the end-to-end tests of S3 answers settled for
// issue 17 after the first rounds: multipart checksums and repeated
// completes, account regional namespaces, the operations S3 added in
// 2025-2026 and UpdateObjectEncryption, driven by boto3 against the built
// binary. The harness is e2e/framework.
package s3answers

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
