package lambda

import (
	"embed"
	"fmt"
	"os"
	"path/filepath"
)

// bootstraps are the runtime loops niwa runs for the interpreted runtimes,
// in place of AWS's runtime interface clients.
//
//go:embed bootstrap/bootstrap.py bootstrap/bootstrap.js
var bootstraps embed.FS

// writeBootstraps writes the embedded bootstraps into dir
// (LAMBDA_RUNTIME_DIR).
func writeBootstraps(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("lambda: runtime dir: %w", err)
	}
	for _, name := range []string{"bootstrap.py", "bootstrap.js"} {
		data, err := bootstraps.ReadFile("bootstrap/" + name)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return fmt.Errorf("lambda: writing %s: %w", name, err)
		}
	}
	return nil
}

// RuntimeDir is where the bootstraps live (LAMBDA_RUNTIME_DIR).
func (x *Executor) RuntimeDir() string { return filepath.Join(x.cfg.WorkDir, "runtime") }
