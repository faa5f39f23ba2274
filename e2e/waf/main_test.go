// Package waf tests WAF web ACLs end to end, as CloudFront's edge
// evaluates them, with the aws CLI.
package waf

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
