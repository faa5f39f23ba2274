package proc

import (
	"path/filepath"
	"strings"
)

// Mount is a bind mount a launched process sees in its private mount
// namespace: Source shown at Target, read-only when ReadOnly.
type Mount struct {
	Source, Target string
	ReadOnly       bool
}

// Launcher starts processes in a private mount namespace of their own
// where bind mounts are made before the command runs: Lambda shows a
// function's layers at /opt, and Lambda and instances show niwa's hosts
// file at /etc/hosts (Hosts). Sh and Mount are the shell and mount
// binaries it runs; Probe finds them and checks that the machine allows
// it. A nil Launcher (the machine does not) starts processes as they are.
type Launcher struct {
	Sh, Mount string
}

// Under reports whether path (after symlinks) is dir or inside it, where
// a mount over dir would hide it.
func Under(path, dir string) bool {
	if r, err := filepath.EvalSymlinks(path); err == nil {
		path = r
	}
	dir = strings.TrimSuffix(dir, "/")
	return path == dir || strings.HasPrefix(path, dir+"/")
}
