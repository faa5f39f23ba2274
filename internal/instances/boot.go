package instances

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// cloudInit is the version the console lines name.
const cloudInit = "Cloud-init v. 22.2.2"

// boot is an instance's boot, as cloud-init runs it: bootcmd and boot
// hooks at every boot; at the first only, write_files, packages (a log
// line: niwa installs nothing), runcmd and the user data scripts. Each
// runs to its end before the next starts; what they leave running in the
// background keeps running until the instance stops.
func (v *vm) boot() {
	start := v.r.cfg.Clock.Now()
	up := func() float64 { return 3 + v.r.cfg.Clock.Now().Sub(start).Seconds() }
	stamp := func() string { return v.r.cfg.Clock.Now().UTC().Format(time.RFC1123) }
	in, ok, err := v.r.cfg.Source.Instance(v.account, v.region, v.id)
	if err != nil || !ok {
		v.print("%s: cannot read the instance: %v", cloudInit, err)
		return
	}
	v.print("[    0.000000] Linux version 6.1.0-niwa (niwa instance %s %s)", in.ID, in.InstanceType)
	v.print("%s running 'init-local' at %s. Up %.2f seconds.", cloudInit, stamp(), up())
	v.print("%s running 'init' at %s. Up %.2f seconds.", cloudInit, stamp(), up())
	v.print("ci-info: | eth0 | True | %s | %s | global | %s |", in.PrivateIP, in.SubnetCIDR, in.MAC)
	env, err := v.environ(context.Background(), in)
	if err != nil {
		v.print("ci-info: network: %v", err)
		return
	}
	ud, errs := parseUserData(in.UserData)
	for _, e := range errs {
		v.print("util.py[WARNING]: %v", e)
	}
	for _, name := range ud.unhandled {
		v.print("__init__.py[WARNING]: Unhandled non-multipart (text/x-not-multipart) userdata: '%s'", name)
	}
	inst := filepath.Join(v.dir, "var", "lib", "cloud", "instance")
	if err := os.MkdirAll(filepath.Join(inst, "scripts"), 0o755); err != nil {
		v.print("util.py[WARNING]: %v", err)
		return
	}
	if len(in.UserData) > 0 {
		_ = os.WriteFile(filepath.Join(inst, "user-data.txt"), in.UserData, 0o600)
	}
	// Every boot: bootcmd, then boot hooks.
	if len(ud.config.Bootcmd) > 0 && !v.run(env, filepath.Join(inst, "bootcmd"), script(ud.config.Bootcmd)) {
		v.print("cc_bootcmd.py[WARNING]: Failed to run bootcmd module bootcmd")
	}
	for i, h := range ud.boothooks {
		body := []byte(strings.Replace(string(h.body), "#cloud-boothook", "#!/bin/sh", 1))
		if !v.run(env, filepath.Join(inst, fmt.Sprintf("boothooks-%d", i)), body) {
			v.print("util.py[WARNING]: Boothooks script %s execution error", h.name)
		}
	}
	done := filepath.Join(inst, "sem", "user-data.done")
	_, statErr := os.Stat(done)
	first := errors.Is(statErr, os.ErrNotExist)
	if first {
		v.print("%s running 'modules:config' at %s. Up %.2f seconds.", cloudInit, stamp(), up())
		for _, w := range ud.config.WriteFiles {
			if err := v.writeFile(w); err != nil {
				v.print("cc_write_files.py[WARNING]: Failed to write %s: %v", w.Path, err)
			}
		}
		if len(ud.config.Packages) > 0 || ud.config.Update || ud.config.Upgrade {
			var names []string
			for _, p := range ud.config.Packages {
				names = append(names, fmt.Sprint(p))
			}
			v.print("cc_package_update_upgrade_install.py[INFO]: niwa installs no packages: skipping %s (the machine's own software is what instances run)", strings.Join(names, " "))
		}
		v.print("%s running 'modules:final' at %s. Up %.2f seconds.", cloudInit, stamp(), up())
		failed := false
		if len(ud.config.Runcmd) > 0 && !v.run(env, filepath.Join(inst, "scripts", "runcmd"), script(ud.config.Runcmd)) {
			failed = true
		}
		for _, s := range ud.scripts {
			if !v.run(env, filepath.Join(inst, "scripts", filepath.Base(s.name)), s.body) {
				failed = true
			}
		}
		if failed {
			v.print("cc_scripts_user.py[WARNING]: Failed to run module scripts-user (scripts in %s)", filepath.Join(inst, "scripts"))
		}
		if err := os.MkdirAll(filepath.Dir(done), 0o755); err == nil {
			_ = os.WriteFile(done, nil, 0o644)
		}
	} else {
		v.print("%s running 'modules:final' at %s. Up %.2f seconds.", cloudInit, stamp(), up())
	}
	v.print("%s finished at %s. Datasource DataSourceEc2Local.  Up %.2f seconds", cloudInit, stamp(), up())
}

// run writes body to path and runs it, as an executable when it starts
// with #! and through sh otherwise, in the instance's directory, its
// output on the console; it reports whether it exited 0. A shutdown
// kills it.
func (v *vm) run(env []string, path string, body []byte) bool {
	if err := os.WriteFile(path, body, 0o755); err != nil {
		v.print("util.py[WARNING]: %v", err)
		return false
	}
	var cmd *exec.Cmd
	if strings.HasPrefix(string(body), "#!") {
		cmd = exec.Command(path)
	} else {
		cmd = exec.Command("/bin/sh", path)
	}
	cmd.Env, cmd.Dir = env, v.dir
	if err := v.start(cmd); err != nil {
		if !errors.Is(err, ErrNotRunning) {
			v.print("util.py[WARNING]: %s: %v", filepath.Base(path), err)
		}
		return false
	}
	err := cmd.Wait()
	return err == nil
}

// writeFile is one write_files entry. Its path lands under the
// instance's rootfs/: niwa does not write the host's /etc.
func (v *vm) writeFile(w writeFile) error {
	if w.Path == "" {
		return errors.New("no path")
	}
	data, err := w.data()
	if err != nil {
		return err
	}
	mode, err := w.mode()
	if err != nil {
		return err
	}
	p := v.rootPath(w.Path)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	flag := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if w.Append {
		flag = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(p, flag, os.FileMode(mode))
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Chmod(p, os.FileMode(mode))
}

// rootPath maps an instance path to the host: under rootfs/, never
// outside the instance's directory.
func (v *vm) rootPath(p string) string {
	clean := filepath.Clean("/" + p)
	return filepath.Join(v.dir, "rootfs", clean)
}
