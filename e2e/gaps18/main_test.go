// Package gaps18 holds the end-to-end tests of the operations issue 18
// (and issue 19's Route 53 part) left last: DynamoDB replica auto scaling,
// EventBridge global endpoints and partner event sources, Route 53 traffic
// policy records and query logs. The harness is e2e/framework.
package gaps18

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
