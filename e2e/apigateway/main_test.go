// Package apigateway holds the end-to-end tests of API Gateway's REST
// APIs: an API key–protected MOCK method built with the aws CLI (v1 and
// v2), and Lambda proxy and non-proxy integrations to Python functions
// built with boto3, invoked over plain HTTP by host and by the
// _user_request_ path, against the built binary. The harness is
// e2e/framework.
package apigateway

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
