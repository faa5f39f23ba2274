package ses

import (
	"testing"

	"github.com/niwa-cloud/niwa/internal/kit"
)

// TestSESv2ActionsAreSES: SES v2's operations are authorized as ses:...
// actions (the Service Authorization Reference has no "sesv2" prefix).
func TestSESv2ActionsAreSES(t *testing.T) {
	d := (&Core{}).DeclareV2()
	checks := d.Authz.Checks("sesv2", "SendEmail", &struct{}{}, kit.Env{})
	if len(checks) == 0 || checks[0].Action != "ses:SendEmail" {
		t.Fatalf("checks = %+v, want ses:SendEmail", checks)
	}
}
