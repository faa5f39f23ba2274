//go:build linux

package lambda

import (
	"fmt"

	"github.com/niwa-cloud/niwa/e2e/framework"

	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

const layerPy = `import json, os, subprocess, time, mylib

def handler(event, context):
    if event.get("crash"):
        os._exit(5)
    if event.get("hang"):
        child = subprocess.Popen(["sleep", "300"])
        with open(event["pidfile"], "w") as f:
            f.write(str(child.pid))
        time.sleep(30)
    tool = subprocess.run(["tool"], capture_output=True, text=True).stdout.strip()
    root = event.get("root") or os.environ["NIWA_LAMBDA_OPT"]
    return {"lib": mylib.VALUE, "data": open(root + "/data.txt").read(), "opt": sorted(os.listdir(root)),
            "tool": tool, "pythonpath": os.environ.get("PYTHONPATH", ""), "ro": not os.access(root, os.W_OK)}
`

const layerNode = `const greet = require("greet");
const fs = require("fs");
exports.handler = async (event) => {
  const root = event.root || process.env.NIWA_LAMBDA_OPT;
  return { greeting: greet("niwa"), data: fs.readFileSync(root + "/data.txt", "utf8"),
    opt: fs.readdirSync(root).sort(), nodePath: process.env.NODE_PATH };
};
`

// shellBootstrap is a provided-runtime bootstrap in a layer: it answers
// every invocation with its own path and what /opt holds.
const shellBootstrap = `#!/bin/sh
api="http://${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
while true; do
  h=$(mktemp)
  curl -sS -D "$h" -o /dev/null "$api/invocation/next" || exit 1
  id=$(grep -i '^Lambda-Runtime-Aws-Request-Id:' "$h" | cut -d' ' -f2 | tr -d '\r')
  rm -f "$h"
  curl -sS -o /dev/null -X POST "$api/invocation/$id/response" -d "{\"self\":\"$0\",\"opt\":\"$(ls /opt | tr '\n' ' ')\"}"
done
`

// layersMountable reports whether this host lets an unprivileged process
// bind-mount over /opt in its own user and mount namespace, as niwa's
// launcher does; where it cannot, niwa falls back to the layer directory
// on the paths, which the test then checks instead.
func layersMountable(t *testing.T) bool {
	src := t.TempDir()
	cmd := exec.Command("/bin/sh", "-c", `mount --bind "$1" /opt`, "sh", src)
	uid, gid := os.Getuid(), os.Getgid()
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: uid, HostID: uid, Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: gid, HostID: gid, Size: 1}},
		AmbientCaps: []uintptr{21}, // CAP_SYS_ADMIN
	}
	err := cmd.Run()
	if err != nil {
		t.Logf("layers cannot be mounted at /opt here (%v): checking the fallback", err)
	}
	return err == nil
}

// TestLambdaLayersAtOpt: two layers merged in order (the second one's
// data.txt overrides the first's) are what python and nodejs functions
// see at /opt: the python function imports a module from
// /opt/python, reads /opt/data.txt by absolute path, runs /opt/bin/tool
// from PATH and lists /opt; the node function requires a module from
// /opt/nodejs/node_modules. A timeout still kills the function's whole
// process tree, and a crashed runtime is replaced, with layers mounted.
// A provided.al2023 function without a bootstrap of its own runs its
// layer's /opt/bootstrap. Where the host forbids the mount, the same
// functions find their layers through the paths instead.
func TestLambdaLayersAtOpt(t *testing.T) {
	t.Parallel()
	mounted := layersMountable(t)
	framework.RequireClient(t, "node", "node", "--version")
	framework.RequireClient(t, "curl", "curl", "--version")
	n := framework.StartBinary(t)
	dir := t.TempDir()
	role := framework.LambdaRole(t, n, "layer-role")

	l1 := framework.ZipModes(t, dir, "l1.zip", map[string]string{
		"python/mylib.py": "VALUE = 'from layer one'\n",
		"bin/tool":        "#!/bin/sh\necho tool ran\n",
		"data.txt":        "first",
	}, map[string]os.FileMode{"bin/tool": 0o755})
	l2 := framework.ZipModes(t, dir, "l2.zip", map[string]string{
		"data.txt":                           "second",
		"nodejs/node_modules/greet/index.js": "module.exports = (n) => 'hello ' + n + ' from a layer';\n",
	}, nil)
	l3 := framework.ZipModes(t, dir, "l3.zip", map[string]string{"bootstrap": shellBootstrap}, map[string]os.FileMode{"bootstrap": 0o755})
	var arns []string
	for i, z := range []string{l1, l2, l3} {
		out := n.MustAWS(t, "lambda", "publish-layer-version", "--layer-name", "lay"+strconv.Itoa(i+1),
			"--zip-file", "fileb://"+z, "--compatible-runtimes", "python3.12", "nodejs20.x")
		var v struct{ LayerVersionArn string }
		json.Unmarshal([]byte(out), &v)
		arns = append(arns, v.LayerVersionArn)
	}
	pyZip := framework.ZipModes(t, dir, "py.zip", map[string]string{"app.py": layerPy}, nil)
	nodeZip := framework.ZipModes(t, dir, "node.zip", map[string]string{"index.js": layerNode}, nil)
	n.MustAWS(t, "lambda", "create-function", "--function-name", "layered-py", "--runtime", "python3.12",
		"--handler", "app.handler", "--role", role, "--zip-file", "fileb://"+pyZip, "--timeout", "2",
		"--layers", arns[0], arns[1])
	n.MustAWS(t, "lambda", "create-function", "--function-name", "layered-node", "--runtime", "nodejs20.x",
		"--handler", "index.handler", "--role", role, "--zip-file", "fileb://"+nodeZip, "--layers", arns[0], arns[1])

	provZip := framework.ZipModes(t, dir, "prov.zip", map[string]string{"README": "no bootstrap here"}, nil)
	n.MustAWS(t, "lambda", "create-function", "--function-name", "layered-provided", "--runtime", "provided.al2023",
		"--handler", "x", "--role", role, "--zip-file", "fileb://"+provZip, "--layers", arns[2], arns[0])
	pidfile := filepath.Join(dir, "child.pid")
	out := n.Python(t, `
import boto3, json, os
lam = boto3.client("lambda")
mounted = os.environ["MOUNTED"] == "1"
root = {"root": "/opt"} if mounted else {}
def call(fn, ev={}):
    r = lam.invoke(FunctionName=fn, Payload=json.dumps(ev))
    return r.get("FunctionError"), json.loads(r["Payload"].read())

err, p = call("layered-py", root)
assert err is None, p
assert p["lib"] == "from layer one", p
assert p["data"] == "second", p
assert p["opt"] == ["bin", "data.txt", "nodejs", "python"], p
assert p["tool"] == "tool ran", p
pp = p["pythonpath"].split(":")
assert pp[0].endswith("/python/lib/python3.12/site-packages") and pp[1].endswith("/python"), p
if mounted:
    assert pp[:2] == ["/opt/python/lib/python3.12/site-packages", "/opt/python"], p
    assert p["ro"], p

err, p = call("layered-node", root)
assert err is None, p
assert p["greeting"] == "hello niwa from a layer" and p["data"] == "second", p
assert p["opt"] == ["bin", "data.txt", "nodejs", "python"], p
assert any(x.endswith("/nodejs/node_modules") for x in p["nodePath"].split(":")), p
if mounted:
    assert "/opt/nodejs/node_modules" in p["nodePath"].split(":"), p

if mounted:
    err, p = call("layered-provided")
    assert err is None, p
    assert p == {"self": "/opt/bootstrap", "opt": "bin bootstrap data.txt python "}, p

err, p = call("layered-py", {"crash": True})
assert err == "Unhandled" and p["errorType"] == "Runtime.ExitError", p
err, p = call("layered-py", root)
assert err is None and p["data"] == "second", p

err, p = call("layered-py", {"hang": True, "pidfile": "`+pidfile+`"})
assert err == "Unhandled" and p["errorType"] == "Sandbox.Timedout", p
print("ok")
`, "MOUNTED="+map[bool]string{true: "1", false: "0"}[mounted])
	if strings.TrimSpace(out) != "ok" {
		t.Fatal(out)
	}
	data, err := os.ReadFile(pidfile)
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	framework.WaitUntil(t, framework.Patience, func() bool { return syscall.Kill(pid, 0) != nil },
		fmt.Sprintf("the timed-out function's child %d gone", pid))
}
