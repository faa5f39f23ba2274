// Package acm holds the end-to-end tests of ACM and niwa's local
// certificate authority: a DNS-validated certificate issued once its
// CNAMEs exist in a Route 53 hosted zone and verified with openssl
// against the root from GET /_niwa/ca.pem, an openssl-made certificate
// imported, email validation approved through the internal endpoint, the
// 72-hour timeout on niwa's clock, and the root kept in --data-dir —
// driven by the aws CLI (v1 and v2) and boto3. The harness is
// e2e/framework.
package acm

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
