// Package s3select holds the end-to-end tests of S3 SelectObjectContent:
// boto3 and the aws CLI (v1 and v2) against the built binary, which
// links the SQL engine (DuckDB). The harness is e2e/framework.
package s3select

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
