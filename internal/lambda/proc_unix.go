//go:build unix

package lambda

import (
	"os"
	"os/exec"
	"syscall"
)

// setProcessGroup puts the runtime in its own process group so a timeout
// kills everything it started.
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func killGroup(p *os.Process) {
	syscall.Kill(-p.Pid, syscall.SIGKILL)
	p.Kill()
}
