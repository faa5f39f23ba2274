// Package s3acl holds the end-to-end tests of S3's access control where
// a bucket has ACLs (grants to other accounts, the public access block),
// anonymous form uploads and CORS answers, driven by boto3 and the aws
// CLI against the built binary. The harness is e2e/framework.
package s3acl

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
