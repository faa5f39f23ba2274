package sdkmodels

import (
	"os"
	"path/filepath"
	"testing"
)

// TestLocates checks that the models and protocol tests are found, also on
// a machine whose module cache lacks aws-sdk-go (nothing niwa builds
// imports it): run with GOMODCACHE=$(mktemp -d) GOFLAGS=-modcacherw.
func TestLocates(t *testing.T) {
	apis, err := APIs()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"sts/2011-06-15/api-2.json", "sqs/2012-11-05/api-2.json"} {
		if _, err := os.Stat(filepath.Join(apis, f)); err != nil {
			t.Errorf("model: %v", err)
		}
	}
	tests, err := ProtocolTests()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"input/json.json", "output/rest-xml.json"} {
		if _, err := os.Stat(filepath.Join(tests, f)); err != nil {
			t.Errorf("protocol tests: %v", err)
		}
	}
	// Asked again, the same answer (the go command runs once).
	if again, _ := APIs(); again != apis {
		t.Errorf("second answer %q, first %q", again, apis)
	}
}
