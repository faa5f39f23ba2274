// Package apigwrest holds the end-to-end tests of what API Gateway's REST
// APIs gained beyond the basics: AWS service integrations (SQS with the
// tutorial's template), the function policy check, AWS_IAM methods
// signed by real clients, the stage cache on niwa's clock, canary
// releases and access logs, and WAF web ACLs on stages — with the aws
// CLI and boto3 against the built binary. The harness is e2e/framework.
package apigwrest

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
