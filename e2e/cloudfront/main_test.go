// Package cloudfront tests CloudFront end to end: the API through both
// aws CLI versions, and the edge over HTTP and HTTPS in front of a custom
// origin. The signed URL scenario is e2e/scenarios/s06.
package cloudfront

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
