//go:build !linux

package proc

import (
	"errors"
	"os/exec"
)

// Probe reports that processes cannot get mounts of their own: only
// Linux has unprivileged mount namespaces.
func Probe(string, ...string) (*Launcher, error) {
	return nil, errors.New("mount namespaces need Linux")
}

// Wrap leaves cmd as it is where there are no mount namespaces.
func (l *Launcher) Wrap(*exec.Cmd, ...Mount) {}
