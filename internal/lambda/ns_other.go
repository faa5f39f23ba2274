//go:build !linux

package lambda

import (
	"errors"
	"os/exec"
)

// nsTools reports that layers cannot be mounted at /opt: only Linux has
// unprivileged mount namespaces.
func nsTools(string) (string, string, error) {
	return "", "", errors.New("mount namespaces need Linux")
}

func withOpt(cmd *exec.Cmd, _, _, _, _ string) *exec.Cmd { return cmd }

func underOpt(string) bool { return false }
