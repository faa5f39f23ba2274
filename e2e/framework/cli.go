package framework

import (
	"encoding/json"
	"strings"
	"testing"
)

// CLIJSON runs cli against n and decodes its JSON output into v, failing
// the test on error.
func CLIJSON(t *testing.T, n *Niwa, cli CLI, v any, args ...string) {
	t.Helper()
	out, errOut, err := n.RunCLI(t, cli, nil, args...)
	if err != nil {
		t.Fatalf("aws %s (%s): %v\n%s", strings.Join(args, " "), cli.Name, err, errOut)
	}
	if v != nil {
		if err := json.Unmarshal([]byte(out), v); err != nil {
			t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
