// Package sdkmodels locates the AWS API models that niwa is generated
// from and tested against: the models/ directory of the
// github.com/aws/aws-sdk-go module (the version go.mod requires).
//
// No package that niwa builds imports aws-sdk-go, so on a fresh machine
// the module is not in the module cache and `go list -m` prints an empty
// directory. `go mod download -json` downloads it when it is missing and
// prints where it is either way, so codegen and the tests that read the
// models work with nothing run before them.
package sdkmodels

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os/exec"
	"path/filepath"
	"sync"
)

// Module is the module path of the models.
const Module = "github.com/aws/aws-sdk-go"

// moduleDir asks the go command once per process: the answer does not
// change while the process runs, and each ask costs a go command start
// (and, the first time on a machine, a download).
var moduleDir = sync.OnceValues(download)

// download runs `go mod download -json` for Module and returns its Dir.
func download() (string, error) {
	cmd := exec.Command("go", "mod", "download", "-json", Module)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, runErr := cmd.Output()
	var info struct {
		Dir   string
		Error string
	}
	// On failure the go command still prints the JSON, with Error set.
	if err := json.Unmarshal(out, &info); err != nil {
		return "", fmt.Errorf("go mod download %s: %v: %s", Module, runErr, bytes.TrimSpace(stderr.Bytes()))
	}
	if info.Error != "" {
		return "", fmt.Errorf("go mod download %s: %s", Module, info.Error)
	}
	if runErr != nil {
		return "", fmt.Errorf("go mod download %s: %v: %s", Module, runErr, bytes.TrimSpace(stderr.Bytes()))
	}
	if info.Dir == "" {
		return "", fmt.Errorf("go mod download %s printed no directory", Module)
	}
	return info.Dir, nil
}

// ModuleDir returns the root of the aws-sdk-go module in the module
// cache, downloading the module first if it is not there.
func ModuleDir() (string, error) { return moduleDir() }

// Dir returns the module's models directory, which holds apis/ (one
// api-2.json per service version) and protocol_tests/.
func Dir() (string, error) {
	root, err := moduleDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "models"), nil
}

// APIs returns models/apis: <service>/<version>/api-2.json.
func APIs() (string, error) {
	dir, err := Dir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "apis"), nil
}

// ProtocolTests returns models/protocol_tests: input/ and output/ test
// vectors per protocol family.
func ProtocolTests() (string, error) {
	dir, err := Dir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "protocol_tests"), nil
}
