// Package lambdaesm holds the end-to-end tests of Lambda event source mappings: SQS queues and
// DynamoDB streams feeding functions, filters, roles and failures.
// The harness is e2e/framework.
package lambdaesm

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
