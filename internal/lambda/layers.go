package lambda

import (
	"path/filepath"
	"strings"
)

// layerEnv adds the layer paths AWS's runtimes set to a function's
// environment, rooted at root ("/opt" when the layers are mounted there,
// their own directory otherwise; "" when there are none and /opt is not
// mounted):
//
//	PATH             ...:/opt/bin
//	LD_LIBRARY_PATH  ...:/opt/lib
//	PYTHONPATH       /opt/python/lib/pythonX.Y/site-packages:/opt/python
//	NODE_PATH        /opt/nodejs/nodeNN/node_modules:/opt/nodejs/node_modules
//
// PATH is extended; the others are set unless the function's own
// variables already set them, as on AWS where they are not reserved.
// NIWA_LAMBDA_OPT tells the Python bootstrap the root, so it can add the
// site-packages of the interpreter that really runs (which may not be the
// runtime's version).
func layerEnv(environ []string, runtime, root string) []string {
	if root == "" {
		return environ
	}
	out := make([]string, 0, len(environ)+4)
	have := map[string]bool{}
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		have[k] = true
		if k == "PATH" {
			kv = k + "=" + joinPath(v, filepath.Join(root, "bin"))
		}
		out = append(out, kv)
	}
	add := func(k, v string) {
		if !have[k] {
			out = append(out, k+"="+v)
			have[k] = true
		}
	}
	add("PATH", filepath.Join(root, "bin"))
	add("LD_LIBRARY_PATH", filepath.Join(root, "lib"))
	switch family(runtime) {
	case "python":
		add("PYTHONPATH", filepath.Join(root, "python", "lib", runtime, "site-packages")+":"+filepath.Join(root, "python"))
	case "nodejs":
		major := strings.TrimSuffix(strings.TrimPrefix(runtime, "nodejs"), ".x")
		add("NODE_PATH", filepath.Join(root, "nodejs", "node"+major, "node_modules")+":"+filepath.Join(root, "nodejs", "node_modules"))
	}
	out = append(out, "NIWA_LAMBDA_OPT="+root)
	return out
}

func joinPath(list, dir string) string {
	if list == "" {
		return dir
	}
	return list + ":" + dir
}
