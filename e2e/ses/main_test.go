// Package ses holds the end-to-end tests of SES: identities verified by
// the link niwa mails, the sandbox refusing unverified addresses, sending
// through v1 and v2, the outbox endpoint, and the SMTP interface with
// credentials derived from access keys — driven by the aws CLI (v1 and
// v2), boto3 and Python's smtplib. The harness is e2e/framework.
package ses

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
