//go:build unix

package proc

import (
	"os"
	"os/exec"
	"syscall"
)

// SetGroup puts cmd in its own process group so a kill of the group ends
// everything it started. It keeps attributes already set (the namespaces
// of Lambda's layer launcher).
func SetGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
}

// KillGroup kills p's process group, then p itself (in case it left
// the group).
func KillGroup(p *os.Process) {
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
	_ = p.Kill()
}

// KillGroupID kills the process group pgid (a process started with
// SetGroup leads the group of its own pid).
func KillGroupID(pgid int) {
	if pgid > 0 {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}
}
