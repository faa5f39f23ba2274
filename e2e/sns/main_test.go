// Package sns holds the end-to-end tests of SNS: topics, subscriptions, filter policies and delivery to queues, functions and HTTP.
// The harness is e2e/framework.
package sns

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
