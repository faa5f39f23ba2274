// Package s3 holds the end-to-end tests of S3: objects, multipart uploads, CORS, checksums and
// browser POST uploads.
// The harness is e2e/framework.
package s3

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
