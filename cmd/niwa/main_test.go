package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	mdns "github.com/miekg/dns"
)

// syncBuffer is a bytes.Buffer the server goroutine writes while the test
// reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// clearEnv unsets every NIWA_ variable for the test, so the developer's
// environment cannot change what it checks.
func clearEnv(t *testing.T) {
	for _, k := range []string{"NIWA_PORT", "NIWA_HOST", "NIWA_DATA_DIR", "NIWA_FSYNC", "NIWA_DEFAULT_REGION",
		"NIWA_SKIP_SIGNATURE_VALIDATION", "NIWA_ACCESS_KEYS", "NIWA_S3_HOST_SUFFIX", "NIWA_LOG_LEVEL", "NIWA_LOG_FORMAT", "NIWA_DNS_HOST", "NIWA_DNS_VIEW", "NIWA_DNS_CLIENT_REGION", "NIWA_DNS_CLIENT_LOCATION",
		"NIWA_HEADER_TIMEOUT", "NIWA_BODY_TIMEOUT", "NIWA_IDLE_TIMEOUT", "NIWA_CLOUDTRAIL_HISTORY", "NIWA_PROCS"} {
		t.Setenv(k, "")
	}
	// Nor LocalStack's variables, in either spelling.
	for _, k := range localStackVarNames() {
		t.Setenv(k, "")
		t.Setenv("LOCALSTACK_"+strings.TrimPrefix(k, "LOCALSTACK_"), "")
	}
	// The DNS server's default port (5353) would make tests that run
	// niwa at the same time collide: a free port instead.
	t.Setenv("NIWA_DNS_PORT", "0")
}

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestVersion(t *testing.T) {
	code, out, errOut := runCmd(t, "version")
	if code != 0 || out != "niwa "+version+"\n" || errOut != "" {
		t.Fatalf("version: %d %q %q", code, out, errOut)
	}
}

func TestHelp(t *testing.T) {
	clearEnv(t)
	code, out, _ := runCmd(t, "help")
	if code != 0 || !strings.Contains(out, "usage: niwa") {
		t.Fatalf("help: %d %q", code, out)
	}
	code, _, errOut := runCmd(t, "serve", "-h")
	if code != 0 || !strings.Contains(errOut, "-data-dir") || !strings.Contains(errOut, "NIWA_PORT") {
		t.Fatalf("serve -h: %d %q", code, errOut)
	}
}

// TestUsageErrors: anything wrong with how niwa is invoked exits 2 with a
// message, before anything listens.
func TestUsageErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		env  map[string]string
		args []string
		msg  string
	}{
		{"unknown command", nil, []string{"launch"}, `unknown command "launch"`},
		{"unknown flag", nil, []string{"--bogus"}, "flag provided but not defined: -bogus"},
		{"unknown flag after serve", nil, []string{"serve", "--prot", "1"}, "flag provided but not defined: -prot"},
		{"port not a number", nil, []string{"--port", "http"}, `invalid value "http" for flag -port`},
		{"port out of range", nil, []string{"--port", "70000"}, "port 70000 is out of range"},
		{"negative port", nil, []string{"--port", "-1"}, "port -1 is out of range"},
		{"stray argument", nil, []string{"serve", "extra"}, `unexpected argument "extra"`},
		{"bad log level", nil, []string{"--log-level", "loud"}, "--log-level"},
		{"bad log format", nil, []string{"--log-format", "xml"}, `--log-format: want text or json, got "xml"`},
		{"access key without secret", nil, []string{"--access-key", "AKIAONLY"}, "want ACCESS_KEY:SECRET[:ACCOUNT]"},
		{"access key with a bad account", nil, []string{"--access-key", "AK:SK:12345"}, `account "12345" is not 12 digits`},
		{"bool flag with a value", nil, []string{"--fsync=maybe"}, `invalid boolean value "maybe" for -fsync`},
		{"dns port out of range", nil, []string{"--dns-port", "70000"}, "dns port 70000 is out of range"},
		{"smtp port out of range", nil, []string{"--smtp-port", "70000"}, "smtp port 70000 is out of range"},
		{"smtps port out of range", nil, []string{"--smtps-port", "70000"}, "smtps port 70000 is out of range"},
		{"bad dns view", nil, []string{"--dns-view", "private"}, `--dns-view: dns view "private": want all, public or a VPC id`},
		{"bad dns client region", nil, []string{"--dns-client-region", "mars-1"}, `--dns-client-region: unknown AWS Region "mars-1"`},
		{"bad dns client location", nil, []string{"--dns-client-location", "EU/DEU"}, `--dns-client-location: "EU/DEU": country must be a two-letter ISO 3166-1 code`},
		{"bad client country", nil, []string{"--client-country", "JPN"}, `--client-country: "JPN" is not a two-letter ISO 3166-1 country code`},
		{"bad client locations", nil, []string{"--client-locations", "10.0.0.0/8=JP,10.0.0.0/99=US"}, `--client-locations: "10.0.0.0/99=US"`},
		{"NIWA_CLIENT_LOCATIONS malformed", map[string]string{"NIWA_CLIENT_LOCATIONS": "10.0.0.0/8"}, nil, `want CIDR=COUNTRY`},
		{"NIWA_DNS_CLIENT_LOCATION malformed", map[string]string{"NIWA_DNS_CLIENT_LOCATION": "XX"}, nil, `continent must be one of`},
		{"NIWA_DNS_VIEW malformed", map[string]string{"NIWA_DNS_VIEW": "vpc-XYZ"}, nil, `dns view "vpc-XYZ"`},
		{"NIWA_DNS_PORT not a number", map[string]string{"NIWA_DNS_PORT": "53x"}, nil, `NIWA_DNS_PORT="53x" is not a number`},
		{"NIWA_PORT not a number", map[string]string{"NIWA_PORT": "45a6"}, nil, `NIWA_PORT="45a6" is not a number`},
		{"NIWA_FSYNC not a boolean", map[string]string{"NIWA_FSYNC": "yes"}, nil, `NIWA_FSYNC="yes" is not a boolean`},
		{"NIWA_SKIP_SIGNATURE_VALIDATION not a boolean", map[string]string{"NIWA_SKIP_SIGNATURE_VALIDATION": "on"}, nil, `NIWA_SKIP_SIGNATURE_VALIDATION="on" is not a boolean`},
		{"NIWA_ACCESS_KEYS malformed", map[string]string{"NIWA_ACCESS_KEYS": "AK:SK,broken"}, nil, "NIWA_ACCESS_KEYS"},
		{"header timeout not a duration", nil, []string{"--header-timeout", "soon"}, `invalid value "soon" for flag -header-timeout`},
		{"zero body timeout", nil, []string{"--body-timeout", "0s"}, "--body-timeout must be positive"},
		{"negative idle timeout", nil, []string{"--idle-timeout", "-1s"}, "--idle-timeout must be positive"},
		{"NIWA_BODY_TIMEOUT not a duration", map[string]string{"NIWA_BODY_TIMEOUT": "20"}, nil, `NIWA_BODY_TIMEOUT="20" is not a positive duration`},
		{"NIWA_IDLE_TIMEOUT negative", map[string]string{"NIWA_IDLE_TIMEOUT": "-5s"}, nil, `NIWA_IDLE_TIMEOUT="-5s" is not a positive duration`},
		{"bad procs", nil, []string{"--procs", "many"}, `--procs: want auto, off or a number of Ps from 1 to 1024, got "many"`},
		{"NIWA_PROCS zero", map[string]string{"NIWA_PROCS": "0"}, nil, `--procs: want auto, off or a number of Ps from 1 to 1024, got "0"`},
		{"zero cloudtrail delivery interval", nil, []string{"--cloudtrail-delivery-interval", "0s"}, "--cloudtrail-delivery-interval must be positive"},
		{"zero cloudtrail history", nil, []string{"--cloudtrail-history", "0"}, "--cloudtrail-history must be positive"},
		{"NIWA_CLOUDTRAIL_HISTORY not a number", map[string]string{"NIWA_CLOUDTRAIL_HISTORY": "lots"}, nil, `NIWA_CLOUDTRAIL_HISTORY="lots" is not a number`},
		{"NIWA_CLOUDTRAIL_DELIVERY_INTERVAL not a duration", map[string]string{"NIWA_CLOUDTRAIL_DELIVERY_INTERVAL": "5"}, nil, `NIWA_CLOUDTRAIL_DELIVERY_INTERVAL="5" is not a positive duration`},
		{"NIWA_LOG_FORMAT unknown", map[string]string{"NIWA_LOG_FORMAT": "yaml"}, nil, `want text or json, got "yaml"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			code, out, errOut := runCmd(t, c.args...)
			if code != 2 || !strings.Contains(errOut, c.msg) || strings.Contains(errOut, "niwa ready") {
				t.Fatalf("exit %d, stdout %q, stderr %q; want 2 and %q", code, out, errOut, c.msg)
			}
		})
	}
}

// serving is niwa's serve command running in a goroutine.
type serving struct {
	t      *testing.T
	cancel context.CancelFunc
	done   chan int
	stderr *syncBuffer
	addr   string
}

// startServe runs serve with args and waits for its "niwa ready" line.
func startServe(t *testing.T, args ...string) *serving {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &serving{t: t, cancel: cancel, done: make(chan int, 1), stderr: &syncBuffer{}}
	go func() {
		s.done <- run(ctx, append([]string{"serve", "--log-format", "json"}, args...), &bytes.Buffer{}, s.stderr)
	}()
	t.Cleanup(func() { s.stop() })
	deadline := time.Now().Add(10 * time.Second)
	for s.addr == "" {
		for _, l := range strings.Split(s.stderr.String(), "\n") {
			var m struct{ Msg, Addr string }
			if json.Unmarshal([]byte(l), &m) == nil && m.Msg == "niwa ready" {
				s.addr = m.Addr
			}
		}
		select {
		case code := <-s.done:
			s.done <- code
			t.Fatalf("serve exited %d before it was ready:\n%s", code, s.stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve not ready:\n%s", s.stderr)
		}
		time.Sleep(5 * time.Millisecond) // waiting for a real listener, not for time to pass
	}
	return s
}

// stop cancels serve as SIGTERM does and returns its exit code.
func (s *serving) stop() int {
	s.cancel()
	select {
	case code := <-s.done:
		s.done <- code // later calls see it too
		return code
	case <-time.After(10 * time.Second):
		s.t.Fatalf("serve did not stop:\n%s", s.stderr)
		return -1
	}
}

func (s *serving) get(path string) (*http.Response, error) {
	c := &http.Client{Timeout: 5 * time.Second}
	return c.Get("http://" + s.addr + path)
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestServeStopsCleanly: serving, then the signal context ends: exit 0,
// and the port is free again.
func TestServeStopsCleanly(t *testing.T) {
	clearEnv(t)
	s := startServe(t, "--port", "0")
	resp, err := s.get("/_niwa/health")
	if err != nil {
		t.Fatal(err)
	}
	var h struct{ Status, Version string }
	json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if h.Status != "running" || h.Version != version {
		t.Fatalf("health %+v", h)
	}
	if code := s.stop(); code != 0 {
		t.Fatalf("exit %d:\n%s", code, s.stderr)
	}
	if !strings.Contains(s.stderr.String(), `"msg":"shutting down"`) {
		t.Errorf("no shutdown line:\n%s", s.stderr)
	}
	l, err := net.Listen("tcp", s.addr)
	if err != nil {
		t.Fatalf("port still taken after exit: %v", err)
	}
	l.Close()
}

func TestNIWAPort(t *testing.T) {
	clearEnv(t)
	port := freePort(t)
	t.Setenv("NIWA_PORT", strconv.Itoa(port))
	s := startServe(t)
	if want := "127.0.0.1:" + strconv.Itoa(port); s.addr != want {
		t.Fatalf("listening on %s, want %s", s.addr, want)
	}
	if resp, err := s.get("/_niwa/health"); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	s.stop()

	// The flag wins over the variable, even a malformed one.
	t.Setenv("NIWA_PORT", "not-a-port")
	s = startServe(t, "--port", "0")
	if strings.HasSuffix(s.addr, ":0") || s.addr == "" {
		t.Fatalf("addr %q", s.addr)
	}
}

// TestSecondNiwaOnTheSameDataDir: the second one fails at start, saying
// why, and the first keeps serving.
func TestSecondNiwaOnTheSameDataDir(t *testing.T) {
	clearEnv(t)
	dir := t.TempDir()
	first := startServe(t, "--port", "0", "--data-dir", dir)
	code, _, errOut := runCmd(t, "serve", "--port", "0", "--data-dir", dir)
	if code != 1 || !strings.Contains(errOut, "in use by another niwa process") || !strings.Contains(errOut, dir) {
		t.Fatalf("second niwa: exit %d, stderr %q", code, errOut)
	}
	if resp, err := first.get("/_niwa/health"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("first niwa after the second failed: %v", err)
	} else {
		resp.Body.Close()
	}
	if code := first.stop(); code != 0 {
		t.Fatalf("first exit %d", code)
	}
	// Once the first is gone, the dir is free.
	again := startServe(t, "--port", "0", "--data-dir", dir)
	if code := again.stop(); code != 0 {
		t.Fatalf("restart exit %d", code)
	}
}

// TestListenFailure: a taken port is a start-up failure (exit 1).
func TestListenFailure(t *testing.T) {
	clearEnv(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	code, _, errOut := runCmd(t, "serve", "--port", port)
	if code != 1 || !strings.Contains(errOut, "address already in use") {
		t.Fatalf("exit %d stderr %q", code, errOut)
	}
}

func TestKeyListSet(t *testing.T) {
	var k keyList
	if err := k.Set("AK1:SK1, AK2:SK2:111111111111"); err != nil {
		t.Fatal(err)
	}
	if len(k) != 2 || k[0].AccessKeyID != "AK1" || k[0].SecretAccessKey != "SK1" || k[0].Account != "000000000000" ||
		k[1].AccessKeyID != "AK2" || k[1].Account != "111111111111" || k[1].ARN != "arn:aws:iam::111111111111:root" {
		t.Fatalf("keys %+v", k)
	}
	for _, bad := range []string{"", "AK", ":SK", "AK:", "AK:SK:1:2", "AK:SK:11111111111a"} {
		var k keyList
		if err := k.Set(bad); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
}

// callerAccount calls sts:GetCallerIdentity on s with a key pair and
// returns the account, or the error code.
func (s *serving) callerAccount(key, secret string) string {
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(key, secret, ""),
		BaseEndpoint: aws.String("http://" + s.addr),
	}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		s.t.Fatal(err)
	}
	return aws.ToString(out.Account)
}

// TestAccessKeys: --access-key and NIWA_ACCESS_KEYS add root keys of
// their accounts next to test/test; the flag replaces the variable.
func TestAccessKeys(t *testing.T) {
	clearEnv(t)
	t.Setenv("NIWA_ACCESS_KEYS", "AKIAENV1:env-secret:222222222222,AKIAENV2:env-secret")
	s := startServe(t, "--port", "0")
	for key, want := range map[string]string{"AKIAENV1": "222222222222", "AKIAENV2": "000000000000"} {
		if got := s.callerAccount(key, "env-secret"); got != want {
			t.Errorf("%s: %s, want %s", key, got, want)
		}
	}
	if got := s.callerAccount("test", "test"); got != "000000000000" {
		t.Errorf("test/test: %s", got)
	}
	s.stop()

	s = startServe(t, "--port", "0", "--access-key", "AKIAFLAG:flag-secret:111111111111")
	for _, c := range []struct{ key, secret, want string }{
		{"AKIAFLAG", "flag-secret", "111111111111"},
		{"AKIAFLAG", "env-secret", "SignatureDoesNotMatch"},
		{"AKIAENV1", "env-secret", "InvalidClientTokenId"},
		{"test", "test", "000000000000"},
	} {
		if got := s.callerAccount(c.key, c.secret); got != c.want {
			t.Errorf("%s/%s: %s, want %s", c.key, c.secret, got, c.want)
		}
	}
}

// TestSkipSignatureValidationEnv: NIWA_SKIP_SIGNATURE_VALIDATION=1 lets
// any key in as the root of 000000000000.
func TestSkipSignatureValidationEnv(t *testing.T) {
	clearEnv(t)
	t.Setenv("NIWA_SKIP_SIGNATURE_VALIDATION", "1")
	s := startServe(t, "--port", "0")
	if got := s.callerAccount("AKIAANYTHING", "whatever"); got != "000000000000" {
		t.Fatalf("unknown key: %s", got)
	}
	s.stop()
	t.Setenv("NIWA_SKIP_SIGNATURE_VALIDATION", "")
	s = startServe(t, "--port", "0")
	if got := s.callerAccount("AKIAANYTHING", "whatever"); got != "InvalidClientTokenId" {
		t.Fatalf("unknown key without the variable: %s", got)
	}
}

// TestDNSPort: --dns-port 0 picks a free port, which the ready line names
// and which answers DNS (REFUSED for a name in no zone).
func TestDNSPort(t *testing.T) {
	clearEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	stderr := &syncBuffer{}
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--log-format", "json", "--port", "0", "--dns-port", "0"}, &bytes.Buffer{}, stderr)
	}()
	defer func() { cancel(); <-done }()
	var dnsAddr string
	for deadline := time.Now().Add(10 * time.Second); dnsAddr == ""; {
		for _, l := range strings.Split(stderr.String(), "\n") {
			var m struct{ Msg, DNS string }
			if json.Unmarshal([]byte(l), &m) == nil && m.Msg == "niwa ready" {
				dnsAddr = m.DNS
			}
		}
		if dnsAddr == "" && time.Now().After(deadline) {
			t.Fatalf("no ready line with dns:\n%s", stderr)
		}
		time.Sleep(10 * time.Millisecond) // polling the server's readiness, not moving time
	}
	if strings.HasSuffix(dnsAddr, ":0") || !strings.HasPrefix(dnsAddr, "127.0.0.1:") {
		t.Fatalf("dns addr %q", dnsAddr)
	}
	m := new(mdns.Msg)
	m.SetQuestion("nothing.example.", mdns.TypeA)
	r, _, err := new(mdns.Client).Exchange(m, dnsAddr)
	if err != nil {
		t.Fatal(err)
	}
	if r.Rcode != mdns.RcodeRefused {
		t.Fatalf("rcode %s", mdns.RcodeToString[r.Rcode])
	}
}

// TestTimeoutSettings: the timeout flags and their variables reach the
// server. An idle keep-alive connection and a stalled body are closed
// after the configured (short) timeouts; a flag wins over its variable.
func TestTimeoutSettings(t *testing.T) {
	for _, c := range []struct {
		name string
		env  map[string]string
		args []string
		// send is written on a fresh connection, which must then be
		// closed by niwa; want is the start of what niwa answers first
		// ("" when it closes without answering).
		send, want string
	}{
		{"idle from the variable", map[string]string{"NIWA_IDLE_TIMEOUT": "200ms"}, nil,
			"GET /_niwa/health HTTP/1.1\r\nHost: localhost\r\n\r\n", "HTTP/1.1 200"},
		{"idle flag wins over the variable", map[string]string{"NIWA_IDLE_TIMEOUT": "1h"}, []string{"--idle-timeout", "200ms"},
			"GET /_niwa/health HTTP/1.1\r\nHost: localhost\r\n\r\n", "HTTP/1.1 200"},
		{"header from the flag", nil, []string{"--header-timeout", "200ms"}, "GET /_niwa/health HTTP/1.1\r\n", ""},
		{"body from the variable", map[string]string{"NIWA_BODY_TIMEOUT": "200ms"}, nil,
			"PUT /bucket HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nabc", "HTTP/1.1 400 Bad Request\r\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			clearEnv(t)
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			s := startServe(t, append([]string{"--port", "0", "--skip-signature-validation"}, c.args...)...)
			conn, err := net.Dial("tcp", s.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := conn.Write([]byte(c.send)); err != nil {
				t.Fatal(err)
			}
			// Generous for a loaded machine, far below the defaults
			// (20 s, 60 s) and the 1 h the variable asks for.
			conn.SetReadDeadline(time.Now().Add(15 * time.Second))
			var got bytes.Buffer
			buf := make([]byte, 4096)
			for {
				n, err := conn.Read(buf)
				got.Write(buf[:n])
				if err != nil {
					var ne net.Error
					if errors.As(err, &ne) && ne.Timeout() {
						t.Fatalf("connection still open after 15 s; read %q", got.String())
					}
					break // closed by niwa
				}
			}
			if !strings.HasPrefix(got.String(), c.want) || (strings.Contains(c.send, "PUT") && !strings.Contains(got.String(), "<Code>RequestTimeout</Code>")) {
				t.Fatalf("niwa answered %q, want it to start with %q", got.String(), c.want)
			}
		})
	}
}

// TestMemProfile: --memprofile writes, at shutdown, a heap profile that
// ends with the runtime's memory statistics (what docs/performance.md's
// RSS attribution reads), and what the collector scans and spent.
func TestMemProfile(t *testing.T) {
	clearEnv(t)
	path := filepath.Join(t.TempDir(), "heap.txt")
	s := startServe(t, "--port", "0", "--dns-port", "0", "--memprofile", path)
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("profile written before shutdown: %v", err)
	}
	if code := s.stop(); code != 0 {
		t.Fatalf("exit %d:\n%s", code, s.stderr)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"heap profile: ", "# runtime.MemStats", "# HeapReleased = ", "# /gc/scan/heap:bytes = ", "# /cpu/classes/gc/total:cpu-seconds = "} {
		if !strings.Contains(string(data), want) {
			t.Errorf("profile lacks %q", want)
		}
	}
}
