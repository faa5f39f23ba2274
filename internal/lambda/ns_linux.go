//go:build linux

package lambda

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// capSysAdmin is CAP_SYS_ADMIN, which the launcher needs (inside its own
// user namespace only) to bind-mount the layers over /opt.
const capSysAdmin = 21

// optLauncher is the shell that mounts a function's layers over /opt in
// the runtime's private mount namespace and then becomes the runtime, so
// the process tree keeps one pid and one process group: $1 is the mount
// binary, $2 the merged layer directory, $3 a hosts file to show at
// /etc/hosts ("" for none: the machine's), the rest the runtime command.
// The mount is made read-only, as /opt is on AWS.
const optLauncher = `m="$1"; src="$2"; hosts="$3"; shift 3; "$m" --bind "$src" /opt && "$m" -o remount,bind,ro /opt && { [ -z "$hosts" ] || "$m" --bind "$hosts" /etc/hosts; } && exec "$@"`

// nsTools finds the shell and mount binaries the launcher needs and
// checks, by running it once, that this machine lets an unprivileged
// process create a user and mount namespace and bind-mount over /opt.
// workDir holds the probe's scratch directory.
func nsTools(workDir string) (sh, mount string, err error) {
	sh, err = exec.LookPath("sh")
	if err != nil {
		return "", "", err
	}
	mount, err = exec.LookPath("mount")
	if err != nil {
		return "", "", err
	}
	for _, p := range []string{sh, mount} {
		if underOpt(p) {
			return "", "", fmt.Errorf("%s lives under /opt", p)
		}
	}
	dir := filepath.Join(workDir, "optprobe")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	if err := os.WriteFile(filepath.Join(dir, "niwa-probe"), nil, 0o644); err != nil {
		return "", "", err
	}
	hosts := filepath.Join(dir, "hosts")
	if err := os.WriteFile(hosts, []byte("127.0.0.1 niwa-probe.invalid\n"), 0o644); err != nil {
		return "", "", err
	}
	cmd := exec.Command(sh, "-c", optLauncher, "sh", mount, dir, hosts, sh, "-c", "test -e /opt/niwa-probe && grep -q niwa-probe /etc/hosts")
	setNamespaces(cmd)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("%v: %s", err, strings.TrimSpace(string(out)))
	}
	return sh, mount, nil
}

// withOpt wraps the runtime command in the launcher that shows optDir at
// /opt and hosts ("" for none) at /etc/hosts.
func withOpt(cmd *exec.Cmd, sh, mount, optDir, hosts string) *exec.Cmd {
	args := append([]string{"-c", optLauncher, "sh", mount, optDir, hosts, cmd.Path}, cmd.Args[1:]...)
	w := exec.Command(sh, args...)
	setNamespaces(w)
	return w
}

// setNamespaces starts the process in new user and mount namespaces,
// mapping the current uid and gid to themselves (the function sees the
// same owner on its files as niwa does) and granting CAP_SYS_ADMIN in the
// new namespace only, so the mount is possible without privileges on the
// host. The process keeps its own process group so a timeout still kills
// its whole tree.
func setNamespaces(cmd *exec.Cmd) {
	uid, gid := os.Getuid(), os.Getgid()
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:     true,
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: uid, HostID: uid, Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: gid, HostID: gid, Size: 1}},
		AmbientCaps: []uintptr{capSysAdmin},
	}
}

// underOpt reports whether a binary (after symlinks) is inside /opt, where
// the layer mount would hide it.
func underOpt(p string) bool {
	if r, err := filepath.EvalSymlinks(p); err == nil {
		p = r
	}
	return p == "/opt" || strings.HasPrefix(p, "/opt/")
}
