package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestFromLocalStack: each LocalStack variable becomes the niwa setting it
// means, a note saying what niwa does with it, or an error when honouring
// it would mislead.
func TestFromLocalStack(t *testing.T) {
	type want struct {
		host     string
		port     int // -1: not set
		dataDir  string
		logLevel string
		region   string
		iam      string
		warn     []string // substrings of warning notes, in order
		info     []string // substrings of info notes, in order
	}
	for _, c := range []struct {
		name string
		env  map[string]string
		want want
		err  string
	}{
		{"nothing set", nil, want{port: -1}, ""},
		{"empty counts as unset", map[string]string{"GATEWAY_LISTEN": "", "DEBUG": ""}, want{port: -1}, ""},
		{"GATEWAY_LISTEN", map[string]string{"GATEWAY_LISTEN": "127.0.0.1:4567"}, want{host: "127.0.0.1", port: 4567}, ""},
		{"GATEWAY_LISTEN every interface", map[string]string{"GATEWAY_LISTEN": ":4566"}, want{host: "0.0.0.0", port: 4566}, ""},
		{"GATEWAY_LISTEN bare port", map[string]string{"GATEWAY_LISTEN": "4570"}, want{host: "0.0.0.0", port: 4570}, ""},
		{"GATEWAY_LISTEN bare host", map[string]string{"GATEWAY_LISTEN": "0.0.0.0"}, want{host: "0.0.0.0", port: 4566}, ""},
		{"GATEWAY_LISTEN IPv6", map[string]string{"GATEWAY_LISTEN": "[::1]:4566"}, want{host: "::1", port: 4566}, ""},
		{"GATEWAY_LISTEN with HTTPS port", map[string]string{"GATEWAY_LISTEN": "0.0.0.0:4566,0.0.0.0:443"},
			want{host: "0.0.0.0", port: 4566, warn: []string{"0.0.0.0:443 not bound"}}, ""},
		{"GATEWAY_LISTEN malformed", map[string]string{"GATEWAY_LISTEN": "0.0.0.0:http"}, want{}, `GATEWAY_LISTEN="0.0.0.0:http": port "http" is not a port number`},
		{"GATEWAY_LISTEN out of range", map[string]string{"GATEWAY_LISTEN": ":70000"}, want{}, `port "70000" is not a port number`},
		{"GATEWAY_LISTEN empty list", map[string]string{"GATEWAY_LISTEN": " , "}, want{}, "names no address"},
		{"EDGE_PORT", map[string]string{"EDGE_PORT": "4999"}, want{port: 4999}, ""},
		{"EDGE_PORT malformed", map[string]string{"EDGE_PORT": "49x"}, want{}, `EDGE_PORT="49x" is not a port number`},
		{"EDGE_PORT agreeing with GATEWAY_LISTEN", map[string]string{"GATEWAY_LISTEN": "0.0.0.0:4566", "EDGE_PORT": "4566"},
			want{host: "0.0.0.0", port: 4566}, ""},
		{"EDGE_PORT conflicting with GATEWAY_LISTEN", map[string]string{"GATEWAY_LISTEN": "0.0.0.0:4566", "EDGE_PORT": "4567"},
			want{}, "GATEWAY_LISTEN sets port 4566 but EDGE_PORT=\"4567\" sets 4567; niwa listens on one port"},
		{"EDGE_BIND_HOST", map[string]string{"EDGE_BIND_HOST": "0.0.0.0", "EDGE_PORT": "4566"}, want{host: "0.0.0.0", port: 4566}, ""},
		{"EDGE_BIND_HOST conflicting with GATEWAY_LISTEN", map[string]string{"GATEWAY_LISTEN": "127.0.0.1:4566", "EDGE_BIND_HOST": "0.0.0.0"},
			want{}, `GATEWAY_LISTEN sets host "127.0.0.1" but EDGE_BIND_HOST="0.0.0.0"; niwa listens on one address`},
		{"PERSISTENCE", map[string]string{"PERSISTENCE": "1"}, want{port: -1, dataDir: "/var/lib/localstack/niwa"}, ""},
		{"PERSISTENCE off", map[string]string{"PERSISTENCE": "0"}, want{port: -1}, ""},
		{"PERSISTENCE prefixed", map[string]string{"LOCALSTACK_PERSISTENCE": "true"}, want{port: -1, dataDir: "/var/lib/localstack/niwa"}, ""},
		{"PERSISTENCE malformed", map[string]string{"PERSISTENCE": "yes"}, want{}, `PERSISTENCE="yes" is not a boolean`},
		{"DATA_DIR", map[string]string{"DATA_DIR": "/tmp/localstack/data"}, want{port: -1, warn: []string{"LocalStack 2 removed it"}}, ""},
		{"DEBUG", map[string]string{"DEBUG": "1"}, want{port: -1, logLevel: "debug"}, ""},
		{"DEBUG off", map[string]string{"DEBUG": "0"}, want{port: -1}, ""},
		{"DEBUG of another tool", map[string]string{"DEBUG": "express:*"}, want{port: -1, warn: []string{`DEBUG="express:*" is not a boolean`}}, ""},
		{"LS_LOG wins over DEBUG", map[string]string{"DEBUG": "1", "LS_LOG": "warning"}, want{port: -1, logLevel: "warn"}, ""},
		{"LS_LOG trace", map[string]string{"LS_LOG": "trace"}, want{port: -1, logLevel: "debug", info: []string{"no trace level"}}, ""},
		{"LS_LOG error", map[string]string{"LS_LOG": "ERROR"}, want{port: -1, logLevel: "error"}, ""},
		{"LS_LOG unknown", map[string]string{"LS_LOG": "loud"}, want{}, `LS_LOG="loud": want trace`},
		{"DEFAULT_REGION", map[string]string{"DEFAULT_REGION": "eu-west-1"}, want{port: -1, region: "eu-west-1"}, ""},
		{"ENFORCE_IAM", map[string]string{"ENFORCE_IAM": "0"}, want{port: -1, iam: "off"}, ""},
		{"ENFORCE_IAM on", map[string]string{"ENFORCE_IAM": "1"}, want{port: -1, iam: "on"}, ""},
		{"SERVICES", map[string]string{"SERVICES": "s3,sqs"}, want{port: -1, warn: []string{"niwa serves every service"}}, ""},
		{"EAGER_SERVICE_LOADING", map[string]string{"EAGER_SERVICE_LOADING": "1"}, want{port: -1, info: []string{"ready when it starts"}}, ""},
		{"LOCALSTACK_HOST", map[string]string{"LOCALSTACK_HOST": "localstack:4566"}, want{port: -1, warn: []string{"each request's Host"}}, ""},
		{"HOSTNAME_EXTERNAL", map[string]string{"HOSTNAME_EXTERNAL": "localstack"}, want{port: -1, warn: []string{"each request's Host"}}, ""},
		{"HOSTNAME is Docker's, never read", map[string]string{"HOSTNAME": "3f2a1b"}, want{port: -1}, ""},
		{"USE_SSL", map[string]string{"USE_SSL": "1"}, want{port: -1, warn: []string{"plain HTTP"}}, ""},
		{"USE_SSL off", map[string]string{"USE_SSL": "false"}, want{port: -1}, ""},
		{"DISABLE_CORS_CHECKS", map[string]string{"DISABLE_CORS_CHECKS": "1"}, want{port: -1, info: []string{"every origin"}}, ""},
		{"EXTRA_CORS_ALLOWED_ORIGINS", map[string]string{"EXTRA_CORS_ALLOWED_ORIGINS": "https://app.test"}, want{port: -1, info: []string{"every origin"}}, ""},
		{"DISABLE_CORS_HEADERS", map[string]string{"DISABLE_CORS_HEADERS": "1"}, want{port: -1, warn: []string{"always answers CORS"}}, ""},
		{"LAMBDA_EXECUTOR", map[string]string{"LAMBDA_EXECUTOR": "docker-reuse"}, want{port: -1, warn: []string{"ignored (docker-reuse): niwa runs Lambda functions as local processes"}}, ""},
		{"LAMBDA_RUNTIME_EXECUTOR", map[string]string{"LAMBDA_RUNTIME_EXECUTOR": "kubernetes"}, want{port: -1, warn: []string{"local processes"}}, ""},
		{"LOCALSTACK_AUTH_TOKEN", map[string]string{"LOCALSTACK_AUTH_TOKEN": "ls-secret-token"}, want{port: -1, info: []string{"needs no licence or auth token"}}, ""},
		{"LOCALSTACK_API_KEY", map[string]string{"LOCALSTACK_API_KEY": "secret-key"}, want{port: -1, info: []string{"needs no licence"}}, ""},
		{"SQS_ENDPOINT_STRATEGY off", map[string]string{"SQS_ENDPOINT_STRATEGY": "off"}, want{port: -1, info: []string{"as with off"}}, ""},
		{"SQS_ENDPOINT_STRATEGY standard", map[string]string{"SQS_ENDPOINT_STRATEGY": "standard"}, want{port: -1, warn: []string{"ignored (standard)"}}, ""},
		{"plain name wins over the prefixed one", map[string]string{"DEFAULT_REGION": "eu-west-1", "LOCALSTACK_DEFAULT_REGION": "ap-south-1"}, want{port: -1, region: "eu-west-1"}, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := fromLocalStack(func(k string) string { return c.env[k] })
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			port := -1
			if s.hasPort {
				port = s.port
			}
			got := want{host: s.host, port: port, dataDir: s.dataDir, logLevel: s.logLevel, region: s.region, iam: s.iam}
			for _, n := range s.notes {
				if n.level == slog.LevelWarn {
					got.warn = append(got.warn, n.variable+": "+n.msg)
				} else {
					got.info = append(got.info, n.variable+": "+n.msg)
				}
				for _, v := range c.env {
					if strings.Contains(n.msg, "secret") && strings.Contains(n.msg, v) {
						t.Errorf("note %q shows a secret value", n.msg)
					}
				}
			}
			settings := func(w want) want { w.warn, w.info = nil, nil; return w }
			if !reflect.DeepEqual(settings(got), settings(c.want)) {
				t.Errorf("settings %+v, want %+v", settings(got), settings(c.want))
			}
			for _, kind := range []struct {
				name      string
				got, want []string
			}{{"warnings", got.warn, c.want.warn}, {"infos", got.info, c.want.info}} {
				if len(kind.got) != len(kind.want) {
					t.Fatalf("%s %q, want ones containing %q", kind.name, kind.got, kind.want)
				}
				for i := range kind.want {
					if !strings.Contains(kind.got[i], kind.want[i]) {
						t.Errorf("%s[%d] %q does not contain %q", kind.name, i, kind.got[i], kind.want[i])
					}
				}
			}
		})
	}
}

// TestLocalStackEnvServe: a docker-compose environment written for
// LocalStack starts niwa where it asked, logs what it applied and what it
// ignores once.
func TestLocalStackEnvServe(t *testing.T) {
	clearEnv(t)
	port := freePort(t)
	t.Setenv("GATEWAY_LISTEN", "127.0.0.1:"+strconv.Itoa(port))
	t.Setenv("DEBUG", "1")
	t.Setenv("SERVICES", "s3,sqs")
	t.Setenv("LOCALSTACK_AUTH_TOKEN", "ls-do-not-log-me")
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve", "--log-format", "json"}, stdout, stderr) }()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("exit %d:\n%s", code, stderr)
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(stderr.String(), `"msg":"niwa ready"`) {
		if time.Now().After(deadline) {
			t.Fatalf("no niwa ready record; stdout %q, stderr:\n%s", stdout, stderr)
		}
		time.Sleep(5 * time.Millisecond) // waiting for a real listener, not for time to pass
	}
	if stdout.String() != "" {
		t.Errorf("stdout %q with JSON logs, want nothing (every line a log reader sees is JSON)", stdout)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get("http://127.0.0.1:" + strconv.Itoa(port) + "/_localstack/health")
	if err != nil {
		t.Fatalf("GATEWAY_LISTEN's address does not answer: %v", err)
	}
	var h struct{ Services map[string]string }
	json.NewDecoder(resp.Body).Decode(&h)
	resp.Body.Close()
	if h.Services["s3"] != "running" {
		t.Errorf("health services %v", h.Services)
	}

	logs := stderr.String()
	notes := map[string]string{} // variable -> level and message
	for _, l := range strings.Split(logs, "\n") {
		var m struct{ Msg, Level, Variable, Niwa string }
		if json.Unmarshal([]byte(l), &m) == nil && m.Msg == "LocalStack variable" {
			if _, dup := notes[m.Variable]; dup {
				t.Errorf("%s noted twice", m.Variable)
			}
			notes[m.Variable] = m.Level + " " + m.Niwa
		}
	}
	for v, want := range map[string]string{
		"GATEWAY_LISTEN":        "INFO applied as --host 127.0.0.1 --port " + strconv.Itoa(port),
		"DEBUG":                 "INFO applied as --log-level debug",
		"SERVICES":              "WARN ignored: niwa serves every service",
		"LOCALSTACK_AUTH_TOKEN": "INFO ignored: niwa needs no licence",
	} {
		if !strings.HasPrefix(notes[v], want) {
			t.Errorf("%s: logged %q, want %q...", v, notes[v], want)
		}
	}
	if strings.Contains(logs, "ls-do-not-log-me") {
		t.Errorf("the auth token was logged")
	}
}

// TestLocalStackEnvNiwaWins: niwa's own flags and variables win over
// LocalStack's, and the loser is named in a warning.
func TestLocalStackEnvNiwaWins(t *testing.T) {
	clearEnv(t)
	t.Setenv("GATEWAY_LISTEN", "127.0.0.1:1") // port 1 would fail to bind if it were used
	t.Setenv("LS_LOG", "error")
	t.Setenv("NIWA_LOG_LEVEL", "info")
	s := startServe(t, "--port", "0")
	logs := s.stderr.String()
	for _, want := range []string{
		`"level":"WARN","msg":"LocalStack variable","variable":"GATEWAY_LISTEN","niwa":"applied as --host 127.0.0.1; ignored: --port or NIWA_PORT wins"`,
		`"variable":"LS_LOG","niwa":"ignored: --log-level or NIWA_LOG_LEVEL wins"`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
}

// TestLocalStackEnvRefused: settings niwa would honour wrongly stop it
// with exit status 2 before anything listens.
func TestLocalStackEnvRefused(t *testing.T) {
	for _, c := range []struct {
		env map[string]string
		msg string
	}{
		{map[string]string{"GATEWAY_LISTEN": ":4566", "EDGE_PORT": "4510"}, "niwa listens on one port"},
		{map[string]string{"PERSISTENCE": "maybe"}, `PERSISTENCE="maybe" is not a boolean`},
		{map[string]string{"LS_LOG": "chatty"}, `LS_LOG="chatty"`},
	} {
		clearEnv(t)
		for k, v := range c.env {
			t.Setenv(k, v)
		}
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"serve", "--port", "0"}, &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), "niwa: LocalStack variable ") || !strings.Contains(errb.String(), c.msg) || out.Len() != 0 {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and %q", c.env, code, out.String(), errb.String(), c.msg)
		}
	}
}

// FuzzFromLocalStack: any values of the listen variables either parse to
// a port niwa can bind or are refused; nothing panics.
func FuzzFromLocalStack(f *testing.F) {
	f.Add("0.0.0.0:4566,0.0.0.0:443", "4566", "0.0.0.0", "debug")
	f.Add(":4566", "", "", "trace")
	f.Add("[::1]:0", "x", "::1", "")
	f.Add("4566", "70000", "", "WARNING")
	f.Fuzz(func(t *testing.T, listen, edgePort, bindHost, lsLog string) {
		env := map[string]string{"GATEWAY_LISTEN": listen, "EDGE_PORT": edgePort, "EDGE_BIND_HOST": bindHost, "LS_LOG": lsLog}
		s, err := fromLocalStack(func(k string) string { return env[k] })
		if err != nil {
			return
		}
		if s.hasPort && (s.port < 0 || s.port > 65535) {
			t.Fatalf("port %d accepted from %v", s.port, env)
		}
		if s.logLevel != "" && s.logLevel != "debug" && s.logLevel != "info" && s.logLevel != "warn" && s.logLevel != "error" {
			t.Fatalf("log level %q accepted from %v", s.logLevel, env)
		}
	})
}

// TestReadyLine: with text logs niwa prints LocalStack's "Ready." line on
// standard output, alone, once it serves, for wait loops written for
// LocalStack (testcontainers' log wait, grep '^Ready\.').
func TestReadyLine(t *testing.T) {
	clearEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"serve", "--port", "0", "--dns-port", "0"}, stdout, stderr) }()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("exit %d:\n%s", code, stderr)
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(stdout.String(), "Ready.\n") {
		if time.Now().After(deadline) {
			t.Fatalf("no Ready. line; stdout %q, stderr:\n%s", stdout, stderr)
		}
		time.Sleep(5 * time.Millisecond) // waiting for a real listener, not for time to pass
	}
	if stdout.String() != "Ready.\n" {
		t.Errorf("stdout %q, want just LocalStack's Ready. line", stdout)
	}
}
