package framework

import (
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
)

// TestCLIServerAnswersAsNewProcess: a call through the CLI server prints
// what the same call run as a new `aws` process prints, and exits with the
// same status — successes, a usage error and a service error, for each
// CLI — and a script's `aws` on ClientEnv's PATH reaches it too.
func TestCLIServerAnswersAsNewProcess(t *testing.T) {
	// An STS that knows the caller and refuses everything else.
	sts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		w.Header().Set("Content-Type", "text/xml")
		if r.Form.Get("Action") == "GetCallerIdentity" {
			_, _ = w.Write([]byte(`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::000000000000:root</Arn><UserId>000000000000</UserId><Account>000000000000</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`))
			return
		}
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not here</Message></Error><RequestId>r2</RequestId></ErrorResponse>`))
	}))
	defer sts.Close()
	n := &Niwa{Endpoint: sts.URL, Region: Region, t: t}
	calls := [][]string{
		{"--version"},
		{"s3api", "no-such-operation"},
		{"sts", "get-caller-identity"},
		{"sts", "get-session-token"},
	}
	for _, cli := range CLIs {
		_, _, _ = n.RunCLI(t, cli, nil, "--version") // fails under CI, skips elsewhere, when cli is missing
		if serverFor(clientPath(cli.Path)) == nil {
			t.Fatalf("%s (%s): no CLI server", cli.Name, cli.Path)
		}
		for _, args := range calls {
			t.Setenv("NIWA_E2E_CLI_SERVER", "off")
			wantOut, wantErr, wantStatus := n.RunCLI(t, cli, nil, args...)
			t.Setenv("NIWA_E2E_CLI_SERVER", "")
			out, errOut, status := n.RunCLI(t, cli, nil, args...)
			if out != wantOut || errOut != wantErr || errString(status) != errString(wantStatus) {
				t.Errorf("%s %v through the server: %v\nstdout %q\nstderr %q\nas a new process: %v\nstdout %q\nstderr %q",
					cli.Name, args, status, out, errOut, wantStatus, wantOut, wantErr)
			}
		}
	}
	// A script's `aws`: the v1 CLI through the shim on PATH.
	cmd := exec.Command("bash", "-c", `command -v aws; aws --version 2>&1; aws sts get-session-token >/dev/null 2>&1; echo "status $?"`)
	cmd.Env = n.ClientEnv()
	got, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, got)
	}
	lines := strings.Split(strings.TrimSpace(string(got)), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], shimDir()+"/") || !strings.HasPrefix(lines[1], "aws-cli/1.") || lines[2] != "status 255" {
		t.Errorf("script's aws: %q, want the shim in %s, aws-cli/1 and status 255 (AccessDenied)", lines, shimDir())
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
