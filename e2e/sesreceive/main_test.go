// Package sesreceive holds the end-to-end tests of SES receiving: mail
// arriving on niwa's SMTP listener (STARTTLS or implicit TLS, verified
// against niwa's root CA) and mail niwa itself sends, for a domain
// verified through Route 53 with an active receipt rule set, runs the
// rule's actions — the raw message written to S3 under the bucket
// policy, SES's notification through SNS to SQS, a Lambda function whose
// disposition stops the set — driven by Python's smtplib, boto3 and the
// aws CLI. The harness is e2e/framework.
package sesreceive

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
