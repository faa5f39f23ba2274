// Package sqs holds the end-to-end tests of SQS: queues and messages over both of its protocols (JSON and query), durability.
// The harness is e2e/framework.
package sqs

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
