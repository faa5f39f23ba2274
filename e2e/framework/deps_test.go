package framework

import (
	"os/exec"
	"strings"
	"testing"
)

// TestFrameworkLinksNoNiwa: the harness imports nothing of niwa, so the
// test binaries of the e2e packages that drive only the built binary do
// not link niwa's packages (the in-process instances come from
// e2e/framework/inprocess). Each of those links cost ~1.5 s more CPU in
// CI's e2e step when the harness imported niwatest.
//
// niwatest/sdkbody is the one exception: a leaf package of the standard
// library's net/http alone (anything of niwa it imported would be listed
// here too, and fail), the SDK clients' body copy niwatest uses as well.
func TestFrameworkLinksNoNiwa(t *testing.T) {
	linkable := map[string]bool{
		"github.com/niwa-cloud/niwa/e2e/framework":    true,
		"github.com/niwa-cloud/niwa/niwatest/sdkbody": true,
	}
	out, err := exec.Command("go", "list", "-deps", "github.com/niwa-cloud/niwa/e2e/framework").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/niwa-cloud/niwa/") && !linkable[p] {
			t.Errorf("e2e/framework depends on %s: in-process niwa belongs in e2e/framework/inprocess", p)
		}
	}
}
