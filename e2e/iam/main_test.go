// Package iam holds the end-to-end tests of IAM and STS: users, policies and their conditions,
// OIDC providers, and the audit events IAM calls send to EventBridge.
// The harness is e2e/framework.
package iam

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
