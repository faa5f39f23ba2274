package framework

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// The e2e packages make thousands of real client calls, and on CI's two
// shared cores each one's start-up is most of its cost. Two things made it
// dearer than what a user pays per command, and this file removes them
// without changing which program runs:
//
//   - RequireClient asked the client for its version before every call (one
//     more Python start-up per aws CLI call, an import of boto3 per script):
//     checks memoizes its answer for the test binary's life, since whether
//     a client is installed does not change while the tests run.
//   - pip's aws CLI v1 and python3 come from pyenv, whose shims are bash
//     scripts that run pyenv (several more bash processes) to find the
//     program and then exec it with the version's bin directory first on
//     PATH. clientPath does that look-up once: the CLI, boto3 scripts and
//     the scenario scripts' own aws calls run the program the shim would
//     have run, with the PATH and PYENV_VERSION `pyenv exec` sets.

// checks holds RequireClient's memoized probes, keyed by the command line.
var checks sync.Map // string -> *check

type check struct {
	once sync.Once
	err  error
}

// probe runs the check command once per test binary and answers its error.
func probe(cmd []string) error {
	v, _ := checks.LoadOrStore(strings.Join(cmd, "\x00"), &check{})
	c := v.(*check)
	c.once.Do(func() { c.err = exec.Command(cmd[0], cmd[1:]...).Run() })
	return c.err
}

// pyenvEnv is how `pyenv exec` would run the python clients: the selected
// version's bin directory and its name, or empty when python3 on PATH is not
// a pyenv shim.
type pyenvEnv struct {
	bin, version string
}

var (
	pyenvOnce sync.Once
	pyenv     pyenvEnv
)

// pyenvClients resolves the pyenv shims once: when python3 on PATH is a
// shim under $PYENV_ROOT/shims, `pyenv which python3` is the interpreter
// the shim runs and its directory holds pip's aws; `pyenv version-name` is
// the PYENV_VERSION pyenv exec exports.
func pyenvClients() pyenvEnv {
	pyenvOnce.Do(func() {
		root := os.Getenv("PYENV_ROOT")
		shim, err := exec.LookPath("python3")
		if root == "" || err != nil || filepath.Dir(shim) != filepath.Join(root, "shims") {
			return
		}
		which, err := exec.Command("pyenv", "which", "python3").Output()
		if err != nil {
			return
		}
		version, err := exec.Command("pyenv", "version-name").Output()
		if err != nil {
			return
		}
		bin := filepath.Dir(strings.TrimSpace(string(which)))
		// pyenv exec puts only a version under PYENV_ROOT first on PATH
		// ("system" runs from where it is).
		if !strings.HasPrefix(bin, root+string(filepath.Separator)) {
			return
		}
		pyenv = pyenvEnv{bin: bin, version: strings.TrimSpace(string(version))}
	})
	return pyenv
}

// clientPATH is PATH for the clients: the pyenv version's bin directory
// first, as pyenv exec has it, when the python clients are pyenv shims.
func clientPATH() string {
	if p := pyenvClients(); p.bin != "" {
		return p.bin + string(os.PathListSeparator) + os.Getenv("PATH")
	}
	return os.Getenv("PATH")
}

// clientPath is the program a client command name runs: name looked up
// on clientPATH (a path with a slash is itself).
func clientPath(name string) string {
	if strings.Contains(name, "/") {
		return name
	}
	for _, dir := range filepath.SplitList(clientPATH()) {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p
		}
	}
	return name
}
