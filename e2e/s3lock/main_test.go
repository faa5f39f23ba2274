// Package s3lock holds the end-to-end tests of S3's Object Lock,
// GetObjectAttributes, archived storage classes and restores, id-keyed
// bucket configurations and replication, driven by boto3 and both aws
// CLI versions against the built binary. The harness is e2e/framework.
package s3lock

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
