package framework

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// RunScenario runs scenarios/<dir>/run.sh against n with the client
// environment (plus extra) and fails unless the script exits 0 having
// printed "<id> OK" — the id is the directory's prefix (S1 for S1-ddns) —
// which every scenario script prints once its observable result held.
func RunScenario(t *testing.T, n *Niwa, dir string, extra ...string) {
	t.Helper()
	id, _, _ := strings.Cut(dir, "-")
	cmd := exec.Command("bash", filepath.Join(RepoRoot(), "scenarios", dir, "run.sh"))
	cmd.Env = n.ClientEnv(extra...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s failed: %v\n%s\nniwa log:\n%s", id, err, out, n.StopAndLogs())
	}
	if !strings.Contains(string(out), id+" OK") {
		t.Fatalf("%s did not finish:\n%s", id, out)
	}
	t.Logf("%s", out)
}

// RunScenarioRestarting runs the scenario as RunScenario does, with
// NIWA_RESTART_URL set: at its restart point (niwa_restart in
// scenarios/lib/restart.sh) the script asks that URL, and the test
// restarts the binary (n must have been started with --data-dir) on the
// same ports before answering. It fails unless the script restarted niwa
// exactly once. The restart runs on the test's own goroutine (the HTTP
// handler hands it over and waits), so n is never changed concurrently
// with the test's reads of it.
func RunScenarioRestarting(t *testing.T, n *Niwa, dir string, extra ...string) {
	t.Helper()
	type request struct{ done chan struct{} }
	requests := make(chan request)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			http.Error(w, "POST to restart niwa", http.StatusMethodNotAllowed)
			return
		}
		req := request{done: make(chan struct{})}
		select {
		case requests <- req:
		case <-r.Context().Done():
			return
		}
		<-req.done
		_, _ = w.Write([]byte("restarted\n"))
	}))
	defer srv.Close()

	id, _, _ := strings.Cut(dir, "-")
	cmd := exec.Command("bash", filepath.Join(RepoRoot(), "scenarios", dir, "run.sh"))
	cmd.Env = n.ClientEnv(append([]string{"NIWA_RESTART_URL=" + srv.URL}, extra...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	restarts := 0
	var err error
wait:
	for {
		select {
		case req := <-requests:
			restarts++
			n.Restart()
			close(req.done)
		case err = <-exited:
			break wait
		}
	}
	if err != nil {
		t.Fatalf("%s failed: %v\n%s\nniwa log:\n%s", id, err, out.String(), n.StopAndLogs())
	}
	if !strings.Contains(out.String(), id+" OK") {
		t.Fatalf("%s did not finish:\n%s", id, out.String())
	}
	t.Logf("%s", out.String())
	if restarts != 1 {
		t.Fatalf("%s restarted niwa %d times, want once", dir, restarts)
	}
}
