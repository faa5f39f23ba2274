//go:build !unix

package proc

import (
	"os"
	"os/exec"
)

// SetGroup does nothing where there are no process groups.
func SetGroup(*exec.Cmd) {}

// KillGroup kills p alone where there are no process groups.
func KillGroup(p *os.Process) { _ = p.Kill() }

// KillGroupID does nothing where there are no process groups.
func KillGroupID(int) {}
