// Package apigwv2 holds the end-to-end tests of API Gateway's HTTP APIs
// (apigatewayv2): a quick-created API over a Python Lambda function
// built with the aws CLI (v1 and v2) and called with curl through the
// Host header, a JWT authorizer verifying tokens against a test issuer's
// JWKS (boto3), CORS preflights, AWS_IAM routes signed by botocore, and a
// WebSocket API whose function pushes through the @connections API,
// against the built binary. The harness is e2e/framework.
package apigwv2

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
