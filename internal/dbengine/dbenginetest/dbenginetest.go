// Package dbenginetest starts real database servers for tests.
package dbenginetest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/dbengine"
)

// Start starts a server of kind k in a temporary directory, with master
// user admin (password secret-pw1) and database app, stopped when the
// test ends. Without the engine installed it fails under CI=true (where
// .ci/run installs it) and skips elsewhere.
func Start(t testing.TB, k dbengine.Kind) *dbengine.Server {
	t.Helper()
	if _, err := dbengine.Find(k); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%v (.ci/run installs %s)", err, k.Package())
		}
		t.Skip(err)
	}
	port, err := dbengine.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	srv, err := dbengine.Start(ctx, dbengine.Spec{Kind: k, Dir: filepath.Join(t.TempDir(), "db"), Port: port, User: "admin", Password: "secret-pw1", DBName: "app"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	return srv
}
