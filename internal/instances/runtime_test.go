package instances

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/clock"
)

// fakeSource is EC2 as the runtime reads it.
type fakeSource struct {
	mu sync.Mutex
	in map[string]Instance
}

func (f *fakeSource) Instance(account, region, id string) (Instance, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	in, ok := f.in[id]
	return in, ok, nil
}

func (f *fakeSource) set(in Instance) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.in[in.ID] = in
}

type harness struct {
	rt    *Runtime
	src   *fakeSource
	clk   *clock.Fake
	mints int
	mu    sync.Mutex
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{src: &fakeSource{in: map[string]Instance{}}, clk: clock.NewFake(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))}
	rt, err := New(Config{
		WorkDir: t.TempDir(), Clock: h.clk, Source: h.src,
		Endpoint: func() string { return "http://127.0.0.1:4566" },
		Credentials: func(ctx context.Context, in Instance, d time.Duration) (Credentials, bool, error) {
			h.mu.Lock()
			defer h.mu.Unlock()
			h.mints++
			return Credentials{RoleName: "web", AccessKeyID: "ASIA" + strings.Repeat("X", 15) + string(rune('A'+h.mints)),
				SecretAccessKey: "s", SessionToken: "t", Expiration: h.clk.Now().Add(d)}, true, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Close() })
	h.rt = rt
	return h
}

func instance(id string, userData string) Instance {
	return Instance{Account: "000000000000", Region: "us-east-1", ID: id, State: "running", ImageID: "ami-1", InstanceType: "t3.micro",
		AZ: "us-east-1a", PrivateIP: "10.0.1.5", MAC: "02:00:00:00:00:01", ENI: "eni-1", SubnetID: "subnet-1", VpcID: "vpc-1",
		SubnetCIDR: "10.0.1.0/24", VpcCIDR: "10.0.0.0/16", PrivateDNS: "ip-10-0-1-5.ec2.internal",
		SecurityGroups: []Group{{ID: "sg-1", Name: "default"}}, ProfileARN: "arn:aws:iam::000000000000:instance-profile/web",
		UserData: []byte(userData), HTTPTokens: "optional", HTTPEndpoint: "enabled", HopLimit: 1, LaunchTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

// waitConsole waits (on the wall clock: the processes are real) until
// the console holds want.
func (h *harness) waitConsole(t *testing.T, id, want string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := h.rt.Console("000000000000", "us-east-1", id)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(out, want) {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("console never showed %q:\n%s", want, out)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestBootRunsUserDataOnceAndBootcmdEveryBoot(t *testing.T) {
	h := newHarness(t)
	ud := "#cloud-config\nbootcmd:\n  - echo boot-$AWS_DEFAULT_REGION\nwrite_files:\n  - path: /etc/app.conf\n    content: hello\n    permissions: '0600'\npackages: [nginx]\nruncmd:\n  - [echo, 'run cmd']\n  - echo imds=$AWS_EC2_METADATA_SERVICE_ENDPOINT endpoint=$AWS_ENDPOINT_URL key=${AWS_ACCESS_KEY_ID:-none}\n"
	h.src.set(instance("i-1", ud))
	t.Setenv("AWS_ACCESS_KEY_ID", "host-key")
	if err := h.rt.Boot("000000000000", "us-east-1", "i-1"); err != nil {
		t.Fatal(err)
	}
	out := h.waitConsole(t, "i-1", "finished at")
	for _, want := range []string{"boot-us-east-1", "run cmd", "endpoint=http://127.0.0.1:4566 key=none", "skipping nginx", "imds=http://127."} {
		if !strings.Contains(out, want) {
			t.Errorf("console lacks %q:\n%s", want, out)
		}
	}
	b, err := os.ReadFile(filepath.Join(h.rt.Dir("000000000000", "us-east-1", "i-1"), "rootfs", "etc", "app.conf"))
	if err != nil || string(b) != "hello" {
		t.Errorf("write_files: %q %v", b, err)
	}
	if err := h.rt.Stop("000000000000", "us-east-1", "i-1"); err != nil {
		t.Fatal(err)
	}
	if err := h.rt.Boot("000000000000", "us-east-1", "i-1"); err != nil {
		t.Fatal(err)
	}
	out = h.waitConsole(t, "i-1", "Power down")
	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(out, "finished at") < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		out, _ = h.rt.Console("000000000000", "us-east-1", "i-1")
	}
	if strings.Count(out, "boot-us-east-1") != 2 || strings.Count(out, "run cmd") != 1 {
		t.Errorf("bootcmd should run at both boots, runcmd at the first only:\n%s", out)
	}
}

func TestStopKillsProcesses(t *testing.T) {
	h := newHarness(t)
	h.src.set(instance("i-2", "#!/bin/sh\nsleep 300 &\necho pid=$!\n"))
	if err := h.rt.Boot("000000000000", "us-east-1", "i-2"); err != nil {
		t.Fatal(err)
	}
	out := h.waitConsole(t, "i-2", "finished at")
	i := strings.Index(out, "pid=")
	pid := strings.Fields(out[i+4:])[0]
	if err := exec.Command("kill", "-0", pid).Run(); err != nil {
		t.Fatalf("sleep %s is not running: %v", pid, err)
	}
	if err := h.rt.Stop("000000000000", "us-east-1", "i-2"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for exec.Command("kill", "-0", pid).Run() == nil {
		if time.Now().After(deadline) {
			t.Fatalf("sleep %s survived the stop", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func get(t *testing.T, url string, hdr map[string]string, method string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestIMDS(t *testing.T) {
	h := newHarness(t)
	in := instance("i-3", "")
	in.HTTPTokens = "required"
	h.src.set(in)
	if err := h.rt.Boot("000000000000", "us-east-1", "i-3"); err != nil {
		t.Fatal(err)
	}
	base := h.rt.MetadataEndpoint("000000000000", "us-east-1", "i-3")
	if st, _ := get(t, base+"latest/meta-data/instance-id", nil, "GET"); st != 401 {
		t.Errorf("v1 with tokens required: %d, want 401", st)
	}
	if st, _ := get(t, base+"latest/api/token", nil, "PUT"); st != 400 {
		t.Errorf("token without ttl: %d, want 400", st)
	}
	st, tok := get(t, base+"latest/api/token", map[string]string{tokenTTLHeader: "7200"}, "PUT")
	if st != 200 || tok == "" {
		t.Fatalf("token: %d %q", st, tok)
	}
	hdr := map[string]string{tokenHeader: tok}
	cases := []struct{ path, want string }{
		{"latest/meta-data/instance-id", "i-3"},
		{"latest/meta-data/local-ipv4", "10.0.1.5"},
		{"latest/meta-data/placement/region", "us-east-1"},
		{"latest/meta-data/network/interfaces/macs/02:00:00:00:00:01/subnet-id", "subnet-1"},
		{"latest/meta-data/iam/security-credentials/", "web"},
		{"latest/meta-data/placement/", "availability-zone\navailability-zone-id\nregion"},
	}
	for _, c := range cases {
		if st, body := get(t, base+c.path, hdr, "GET"); st != 200 || body != c.want {
			t.Errorf("%s: %d %q, want %q", c.path, st, body, c.want)
		}
	}
	if st, _ := get(t, base+"latest/meta-data/public-ipv4", hdr, "GET"); st != 404 {
		t.Errorf("public-ipv4 without one: %d, want 404", st)
	}
	_, body := get(t, base+"latest/meta-data/iam/security-credentials/web", hdr, "GET")
	var c1 map[string]string
	if err := json.Unmarshal([]byte(body), &c1); err != nil || c1["Code"] != "Success" {
		t.Fatalf("credentials: %v %s", err, body)
	}
	// Rotation: the same credentials until a fifth of their life is
	// left, new ones after.
	h.clk.Advance(time.Hour)
	_, body = get(t, base+"latest/meta-data/iam/security-credentials/web", hdr, "GET")
	var c2 map[string]string
	_ = json.Unmarshal([]byte(body), &c2)
	if c2["AccessKeyId"] != c1["AccessKeyId"] {
		t.Errorf("credentials rotated too early")
	}
	if st, _ := get(t, base+"latest/meta-data/instance-id", hdr, "GET"); st != 200 {
		t.Errorf("token within ttl: %d", st)
	}
	h.clk.Advance(4 * time.Hour)
	st, tok = get(t, base+"latest/api/token", map[string]string{tokenTTLHeader: "21600"}, "PUT")
	if st != 200 {
		t.Fatal(st)
	}
	if st, _ := get(t, base+"latest/meta-data/instance-id", hdr, "GET"); st != 401 {
		t.Errorf("expired token: %d, want 401", st)
	}
	_, body = get(t, base+"latest/meta-data/iam/security-credentials/web", map[string]string{tokenHeader: tok}, "GET")
	var c3 map[string]string
	_ = json.Unmarshal([]byte(body), &c3)
	if c3["AccessKeyId"] == c1["AccessKeyId"] || c3["Expiration"] <= c1["Expiration"] {
		t.Errorf("credentials did not rotate: %v then %v", c1, c3)
	}
	in.HTTPEndpoint = "disabled"
	h.src.set(in)
	if st, _ := get(t, base+"latest/meta-data/instance-id", map[string]string{tokenHeader: tok}, "GET"); st != 403 {
		t.Errorf("endpoint disabled: %d, want 403", st)
	}
}

func TestIdentityDocumentVerifies(t *testing.T) {
	h := newHarness(t)
	in := instance("i-4", "")
	doc := identityDocument(in)
	id, err := h.rt.identity()
	if err != nil {
		t.Fatal(err)
	}
	p7, err := id.pkcs7(doc)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	_ = os.WriteFile(filepath.Join(dir, "p7"), []byte("-----BEGIN PKCS7-----\n"+p7+"\n-----END PKCS7-----\n"), 0o644)
	certPEM, err := h.rt.IdentityCertificatePEM()
	if err != nil {
		t.Fatal(err)
	}
	_ = os.WriteFile(filepath.Join(dir, "cert"), certPEM, 0o644)
	if _, err := exec.LookPath("openssl"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("openssl is missing")
		}
		t.Skip("openssl is missing")
	}
	out, err := exec.Command("openssl", "smime", "-verify", "-inform", "PEM", "-in", filepath.Join(dir, "p7"),
		"-certfile", filepath.Join(dir, "cert"), "-noverify").CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"instanceId" : "i-4"`) && !strings.Contains(string(out), `"instanceId": "i-4"`) {
		t.Fatalf("openssl: %v\n%s", err, out)
	}
}

func TestRunCommand(t *testing.T) {
	h := newHarness(t)
	h.src.set(instance("i-5", ""))
	if _, err := h.rt.Run(context.Background(), "000000000000", "us-east-1", "i-5", Command{ID: "c", Plugin: "p", Script: "true"}); err != ErrNotRunning {
		t.Fatalf("not booted: %v", err)
	}
	if err := h.rt.Boot("000000000000", "us-east-1", "i-5"); err != nil {
		t.Fatal(err)
	}
	res, err := h.rt.Run(context.Background(), "000000000000", "us-east-1", "i-5", Command{ID: "c1", Plugin: "aws:runShellScript", Script: "echo out; echo err >&2; exit 3"})
	if err != nil || res.ExitCode != 3 || res.Stdout != "out\n" || res.Stderr != "err\n" {
		t.Fatalf("%+v %v", res, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(100 * time.Millisecond); cancel() }()
	res, err = h.rt.Run(ctx, "000000000000", "us-east-1", "i-5", Command{ID: "c2", Plugin: "p", Script: "echo started; sleep 300"})
	if err != nil || !res.Killed || res.Stdout != "started\n" {
		t.Fatalf("cancel: %+v %v", res, err)
	}
}

func FuzzParseUserData(f *testing.F) {
	f.Add([]byte("#!/bin/sh\necho hi\n"))
	f.Add([]byte("#cloud-config\nruncmd:\n  - [echo, a b]\n  - ls\nwrite_files:\n  - path: /x\n    content: aGk=\n    encoding: b64\n"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=\"b\"\nMIME-Version: 1.0\n\n--b\nContent-Type: text/x-shellscript\n\n#!/bin/sh\necho a\n--b--\n"))
	f.Add([]byte{0x1f, 0x8b, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		ud, _ := parseUserData(b)
		for _, w := range ud.config.WriteFiles {
			_, _ = w.data()
			_, _ = w.mode()
		}
		_ = script(ud.config.Runcmd)
	})
}

// TestUntrustedRole: a role that does not trust EC2 gets no credentials;
// IMDS answers EC2's AssumeRoleUnauthorizedAccess instead.
func TestUntrustedRole(t *testing.T) {
	src := &fakeSource{in: map[string]Instance{}}
	rt, err := New(Config{WorkDir: t.TempDir(), Clock: clock.NewFake(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)), Source: src,
		Credentials: func(ctx context.Context, in Instance, d time.Duration) (Credentials, bool, error) {
			return Credentials{RoleName: "web", Code: "AssumeRoleUnauthorizedAccess", Message: "EC2 cannot assume the role web."}, true, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rt.Close() })
	src.set(instance("i-6", ""))
	if err := rt.Boot("000000000000", "us-east-1", "i-6"); err != nil {
		t.Fatal(err)
	}
	base := rt.MetadataEndpoint("000000000000", "us-east-1", "i-6")
	for _, p := range []string{"latest/meta-data/iam/info", "latest/meta-data/iam/security-credentials/web"} {
		st, body := get(t, base+p, nil, "GET")
		var m map[string]string
		if err := json.Unmarshal([]byte(body), &m); err != nil || st != 200 || m["Code"] != "AssumeRoleUnauthorizedAccess" || m["AccessKeyId"] != "" {
			t.Errorf("%s: %d %s", p, st, body)
		}
	}
}

// deadEgress sends every connection to a proxy that does not listen.
type deadEgress struct{}

func (deadEgress) Env(ctx context.Context, p Position) ([]string, error) {
	if p.SubnetID != "subnet-1" || len(p.SecurityGroups) != 1 {
		return nil, nil
	}
	return []string{"HTTP_PROXY=http://127.0.0.1:9", "http_proxy=http://127.0.0.1:9", "NO_PROXY=example.internal", "no_proxy=example.internal", "EGRESS=set"}, nil
}

// TestEgressEnvKeepsIMDSDirect: the egress component's variables reach
// the instance's processes, and the metadata service stays reachable
// past its proxy.
func TestEgressEnvKeepsIMDSDirect(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("curl is missing")
		}
		t.Skip("curl is missing")
	}
	h := newHarness(t)
	h.rt.SetEgress(deadEgress{})
	h.src.set(instance("i-7", "#!/bin/sh\necho egress=$EGRESS no_proxy=$no_proxy\necho id=$(curl -s --max-time 20 ${AWS_EC2_METADATA_SERVICE_ENDPOINT}latest/meta-data/instance-id)\n"))
	if err := h.rt.Boot("000000000000", "us-east-1", "i-7"); err != nil {
		t.Fatal(err)
	}
	out := h.waitConsole(t, "i-7", "finished at")
	if !strings.Contains(out, "egress=set no_proxy=example.internal,127.") || !strings.Contains(out, "id=i-7") {
		t.Errorf("console:\n%s", out)
	}
}

// TestConsoleStaysBounded: a process that prints a lot leaves the last
// 64 KB readable and the file on disk cut back.
func TestConsoleStaysBounded(t *testing.T) {
	h := newHarness(t)
	h.src.set(instance("i-8", "#!/bin/sh\nhead -c 3000000 /dev/zero | tr '\\0' x\necho\necho LAST-LINE\n"))
	if err := h.rt.Boot("000000000000", "us-east-1", "i-8"); err != nil {
		t.Fatal(err)
	}
	out := h.waitConsole(t, "i-8", "finished at")
	if len(out) > consoleLimit || !strings.Contains(out, "LAST-LINE") {
		t.Fatalf("console: %d bytes, last line there: %v", len(out), strings.Contains(out, "LAST-LINE"))
	}
	st, err := os.Stat(filepath.Join(h.rt.Dir("000000000000", "us-east-1", "i-8"), "console.log"))
	if err != nil || st.Size() > consoleKeep {
		t.Fatalf("console file: %v %v", st.Size(), err)
	}
}

// releasingEgress records what it is asked to release.
type releasingEgress struct {
	mu       sync.Mutex
	released []Position
}

func (e *releasingEgress) Env(context.Context, Position) ([]string, error) { return nil, nil }
func (e *releasingEgress) Release(p Position) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.released = append(e.released, p)
	return nil
}

// TestStopReleasesAddress: a stop and a terminate tell the egress
// component the instance's position no longer runs.
func TestStopReleasesAddress(t *testing.T) {
	h := newHarness(t)
	e := &releasingEgress{}
	h.rt.SetEgress(e)
	h.src.set(instance("i-8", ""))
	if err := h.rt.Boot("000000000000", "us-east-1", "i-8"); err != nil {
		t.Fatal(err)
	}
	h.waitConsole(t, "i-8", "finished at")
	for _, step := range []func(string, string, string) error{h.rt.Stop, h.rt.Terminate} {
		if err := step("000000000000", "us-east-1", "i-8"); err != nil {
			t.Fatal(err)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.released) != 2 || e.released[0].PrivateIP != "10.0.1.5" || e.released[1].VpcID != "vpc-1" {
		t.Fatalf("released %+v", e.released)
	}
}

// TestIdentityKeyMadeOnFirstUse: New makes no key (start-up does not pay
// for a 2048-bit RSA key); the first use makes it and keeps it in the
// work directory, and a runtime started again on that directory (niwa
// with --data-dir) signs with the same certificate.
func TestIdentityKeyMadeOnFirstUse(t *testing.T) {
	dir := t.TempDir()
	rt, err := New(Config{WorkDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rt.Close() }()
	path := filepath.Join(dir, identityFile)
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("New made the identity key: stat = %v", err)
	}
	first, err := rt.IdentityCertificatePEM()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("first use did not keep the key: %v", err)
	}
	again, err := rt.IdentityCertificatePEM()
	if err != nil || !bytes.Equal(first, again) {
		t.Fatalf("second use: %v, same certificate %v", err, bytes.Equal(first, again))
	}
	rt2, err := New(Config{WorkDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rt2.Close() }()
	restarted, err := rt2.IdentityCertificatePEM()
	if err != nil || !bytes.Equal(first, restarted) {
		t.Fatalf("after a restart: %v, same certificate %v", err, bytes.Equal(first, restarted))
	}
}

// TestTerminateWaitsForBoot: a terminate during the boot's user data
// script kills the script and returns only once the boot has stopped, so
// nothing the boot writes after its script (the semaphore cloud-init
// keeps under var/lib/cloud) brings the removed directory back. Until
// the boot was waited for, the directory reappeared a few milliseconds
// later (or RemoveAll failed on it: "directory not empty").
func TestTerminateWaitsForBoot(t *testing.T) {
	h := newHarness(t)
	h.src.set(instance("i-9", "#!/bin/sh\necho script-started\nsleep 30\n"))
	if err := h.rt.Boot("000000000000", "us-east-1", "i-9"); err != nil {
		t.Fatal(err)
	}
	h.waitConsole(t, "i-9", "script-started")
	dir := h.rt.Dir("000000000000", "us-east-1", "i-9")
	if err := h.rt.Terminate("000000000000", "us-east-1", "i-9"); err != nil {
		t.Fatal(err)
	}
	// The wall clock: the boot is a real goroutine after a real process.
	for deadline := time.Now().Add(300 * time.Millisecond); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("the terminated instance's directory is back: stat = %v", err)
		}
	}
}
