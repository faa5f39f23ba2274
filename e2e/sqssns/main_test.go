// Package sqssns holds the end-to-end tests of SQS and SNS: queues, topics, subscriptions and
// delivery between them.
// The harness is e2e/framework.
package sqssns

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
