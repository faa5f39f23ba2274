//go:build unix

package lambda

import (
	"os"
	"os/exec"
	"syscall"
)

// setProcessGroup puts the runtime in its own process group so a timeout
// kills everything it started. It keeps the namespace attributes the
// layer launcher set.
func setProcessGroup(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
}

func killGroup(p *os.Process) {
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
	_ = p.Kill()
}
