//go:build linux

package proc

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// capSysAdmin is CAP_SYS_ADMIN, which the launcher needs (inside its own
// user namespace only) to bind-mount.
const capSysAdmin = 21

// launcherScript makes the bind mounts in the process's private mount
// namespace and then becomes the command, so the process tree keeps one
// pid and one process group. $1 is the mount binary, $2 "slave" when
// the namespace is a mount namespace of the machine's user namespace
// (niwa runs as root): its mounts are first made slaves so that none
// propagates back to the machine. Then come triples source, target,
// "ro" or "rw", up to "--"; the rest is the command.
const launcherScript = `m="$1"; if [ "$2" = slave ]; then "$m" --make-rslave / || exit 1; fi; shift 2; ` +
	`while [ "$1" != -- ]; do "$m" --bind "$1" "$2" || exit 1; if [ "$3" = ro ]; then "$m" -o remount,bind,ro "$2" || exit 1; fi; shift 3; done; shift; exec "$@"`

// Probe finds the shell and mount binaries the launcher needs and checks,
// by running it once, that this machine lets niwa's user create a mount
// namespace (with a user namespace unless niwa is root) and bind-mount
// over each of targets (existing directories or files, such as /opt and
// /etc/hosts). workDir holds the probe's scratch directory.
func Probe(workDir string, targets ...string) (*Launcher, error) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		return nil, err
	}
	mount, err := exec.LookPath("mount")
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(workDir, "nsprobe")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	var mounts []Mount
	var checks []string
	for i, t := range targets {
		st, err := os.Stat(t)
		if err != nil {
			return nil, err
		}
		src := filepath.Join(dir, fmt.Sprint(i))
		if st.IsDir() {
			for _, p := range []string{sh, mount} {
				if Under(p, t) {
					return nil, fmt.Errorf("%s lives under %s", p, t)
				}
			}
			if err := os.MkdirAll(src, 0o755); err != nil {
				return nil, err
			}
			if err := os.WriteFile(filepath.Join(src, "niwa-probe"), nil, 0o644); err != nil {
				return nil, err
			}
			checks = append(checks, "test -e "+shellQuote(filepath.Join(t, "niwa-probe")))
		} else {
			if err := os.WriteFile(src, []byte("127.0.0.1 niwa-probe.invalid\n"), 0o644); err != nil {
				return nil, err
			}
			checks = append(checks, "grep -q niwa-probe "+shellQuote(t))
		}
		mounts = append(mounts, Mount{Source: src, Target: t, ReadOnly: st.IsDir()})
	}
	l := &Launcher{Sh: sh, Mount: mount}
	script := strings.Join(append(checks, "true"), " && ")
	cmd := exec.Command(sh, "-c", script)
	l.Wrap(cmd, mounts...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
	}
	return l, nil
}

// Wrap makes cmd start under the launcher, in new namespaces where
// mounts are made first; cmd's other fields (environment, directory,
// output) stay. A nil Launcher leaves cmd as it is.
func (l *Launcher) Wrap(cmd *exec.Cmd, mounts ...Mount) {
	if l == nil {
		return
	}
	mode := "shared"
	if os.Geteuid() == 0 {
		mode = "slave"
	}
	args := []string{"sh", "-c", launcherScript, "sh", l.Mount, mode}
	for _, m := range mounts {
		ro := "rw"
		if m.ReadOnly {
			ro = "ro"
		}
		args = append(args, m.Source, m.Target, ro)
	}
	args = append(append(args, "--", cmd.Path), cmd.Args[1:]...)
	cmd.Path, cmd.Args = l.Sh, args
	setNamespaces(cmd)
}

// setNamespaces starts the process in a new mount namespace. As root,
// that is all (root may mount; its processes keep every privilege they
// had). Otherwise it starts in a new user namespace too, mapping the
// current uid and gid to themselves (the process sees the same owner on
// its files as niwa does) and granting CAP_SYS_ADMIN in the new
// namespace only, so the mounts are possible without privileges on the
// machine; a user namespace's mounts never propagate back. The process
// keeps its own process group so a kill of the group still ends its
// whole tree.
func setNamespaces(cmd *exec.Cmd) {
	if os.Geteuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Cloneflags: syscall.CLONE_NEWNS}
		return
	}
	uid, gid := os.Getuid(), os.Getgid()
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:     true,
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: uid, HostID: uid, Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: gid, HostID: gid, Size: 1}},
		AmbientCaps: []uintptr{capSysAdmin},
	}
}

// shellQuote quotes s for sh.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
