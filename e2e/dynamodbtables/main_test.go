// Package dynamodbtables holds the end-to-end tests of DynamoDB tables beyond items:
// multi-attribute index keys and AWS's validation messages, backups and
// point-in-time recovery, resource policies.
// The harness is e2e/framework.
package dynamodbtables

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
