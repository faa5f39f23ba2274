// Package ecr tests ECR at API level with the real aws CLIs against the
// built niwa: repositories, lifecycle policies and previews, images
// pushed through the layer upload operations, authorization tokens, and
// the reasons of what niwa leaves out. The harness is e2e/framework.
package ecr

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }
