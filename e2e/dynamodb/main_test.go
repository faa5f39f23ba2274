// Package dynamodb holds the end-to-end tests of DynamoDB: items, queries, PartiQL and transactions.
// The harness is e2e/framework.
package dynamodb

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
