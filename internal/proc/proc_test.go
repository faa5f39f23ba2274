//go:build linux

package proc

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// gone waits (wall clock: these are real processes) until pid has exited
// or is a zombie.
func gone(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil || strings.Contains(string(b), ") Z ") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d is still alive", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestKillGroupKillsBackgroundChildren: a shell's background child is in
// its group, and dies with it.
func TestKillGroupKillsBackgroundChildren(t *testing.T) {
	cmd := exec.Command("/bin/sh", "-c", "sleep 300 & echo $!; wait")
	SetGroup(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 32)
	n, _ := out.Read(buf)
	child, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	if err != nil {
		t.Fatal(err)
	}
	KillGroupID(cmd.Process.Pid)
	_ = cmd.Wait()
	gone(t, child)
}

func TestKillByEnv(t *testing.T) {
	marker := "NIWA_PROC_TEST=" + strconv.Itoa(os.Getpid())
	cmd := exec.Command("sleep", "300")
	cmd.Env = append(os.Environ(), marker)
	other := exec.Command("sleep", "300")
	other.Env = append(os.Environ(), marker+"x")
	for _, c := range []*exec.Cmd{cmd, other} {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _ = other.Process.Kill(); _ = other.Wait() })
	if n := KillByEnv(marker); n != 1 {
		t.Fatalf("killed %d, want 1", n)
	}
	_ = cmd.Wait()
	if b, err := os.ReadFile("/proc/" + strconv.Itoa(other.Process.Pid) + "/stat"); err != nil || strings.Contains(string(b), ") Z ") {
		t.Fatalf("a process with another value was killed")
	}
}
