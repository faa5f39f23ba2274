package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
)

// LocalStack's configuration variables, so that a project moving from
// LocalStack keeps its docker-compose environment: each variable niwa can
// honour becomes the default of the niwa flag it means (niwa's own flags
// and NIWA_ variables still win), each one it cannot is logged as a
// warning naming it and why, and a setting niwa would honour wrongly (two
// ports that disagree, a malformed value) is refused with exit status 2.
// docs/localstack.md has the table.

// localStackDataDir is where PERSISTENCE=1 keeps niwa's state. LocalStack
// keeps its own under /var/lib/localstack (the volume its docker-compose
// files mount); niwa's format differs, so it uses a directory of its own
// inside the same volume and never reads LocalStack's state/ files.
const localStackDataDir = "/var/lib/localstack/niwa"

// localStackSettings are the niwa settings LocalStack's variables ask
// for; an empty field (or a false hasPort) means "not asked".
type localStackSettings struct {
	host     string // from GATEWAY_LISTEN or EDGE_BIND_HOST
	port     int
	hasPort  bool
	dataDir  string // from PERSISTENCE
	logLevel string // from DEBUG or LS_LOG
	region   string // from DEFAULT_REGION
	iam      string // from ENFORCE_IAM: "on" or "off"
	// from names the variable (as set: "PERSISTENCE" or
	// "LOCALSTACK_PERSISTENCE") behind each niwa flag set here; finish
	// reports each as applied, or as overridden by the flag.
	from map[string]string
	// notes are logged once the logger exists: what was applied (info)
	// and what niwa does not honour (warn).
	notes []localStackNote
}

type localStackNote struct {
	level    slog.Level
	variable string
	msg      string
}

// localStackVar reads LocalStack variable name: the plain name, or, as
// LocalStack's docker image also accepts, the name prefixed with
// LOCALSTACK_. It returns the value and the variable it came from; set
// but empty counts as unset, as for NIWA_ variables.
func localStackVar(getenv func(string) string, name string) (value, from string) {
	if v := getenv(name); v != "" {
		return v, name
	}
	if !strings.HasPrefix(name, "LOCALSTACK_") {
		if v := getenv("LOCALSTACK_" + name); v != "" {
			return v, "LOCALSTACK_" + name
		}
	}
	return "", ""
}

// localStackVarNames lists every LocalStack variable niwa reads (the
// tests clear them, and docs/localstack.md lists them).
func localStackVarNames() []string {
	return []string{
		"GATEWAY_LISTEN", "EDGE_PORT", "EDGE_BIND_HOST", "PERSISTENCE", "DATA_DIR", "DEBUG", "LS_LOG",
		"DEFAULT_REGION", "ENFORCE_IAM", "SERVICES", "EAGER_SERVICE_LOADING", "LOCALSTACK_HOST", "HOSTNAME_EXTERNAL",
		"USE_SSL", "DISABLE_CORS_CHECKS", "EXTRA_CORS_ALLOWED_ORIGINS", "DISABLE_CORS_HEADERS",
		"LAMBDA_EXECUTOR", "LAMBDA_RUNTIME_EXECUTOR", "LOCALSTACK_AUTH_TOKEN", "LOCALSTACK_API_KEY",
		"SQS_ENDPOINT_STRATEGY",
	}
}

// fromLocalStack reads LocalStack's variables through getenv. It never
// reads HOSTNAME: LocalStack once did, but Docker sets it to the
// container id in every container.
func fromLocalStack(getenv func(string) string) (localStackSettings, error) {
	s := localStackSettings{from: map[string]string{}}
	get := func(name string) (string, string) { return localStackVar(getenv, name) }
	note := func(level slog.Level, variable, format string, args ...any) {
		s.notes = append(s.notes, localStackNote{level, variable, fmt.Sprintf(format, args...)})
	}
	boolean := func(name string) (val, set bool, from string, err error) {
		v, from := get(name)
		if from == "" {
			return false, false, "", nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return false, false, from, fmt.Errorf("%s=%q is not a boolean (use 1/0, true/false)", from, v)
		}
		return b, true, from, nil
	}

	// The listen address: GATEWAY_LISTEN, or the legacy EDGE_BIND_HOST
	// and EDGE_PORT.
	if v, from := get("GATEWAY_LISTEN"); from != "" {
		var addrs []string
		for _, a := range strings.Split(v, ",") {
			if a = strings.TrimSpace(a); a != "" {
				addrs = append(addrs, a)
			}
		}
		if len(addrs) == 0 {
			return s, fmt.Errorf("%s=%q names no address", from, v)
		}
		host, port, err := listenAddr(addrs[0])
		if err != nil {
			return s, fmt.Errorf("%s=%q: %v", from, v, err)
		}
		s.host, s.port, s.hasPort = host, port, true
		s.from["host"], s.from["port"] = from, from
		if len(addrs) > 1 {
			note(slog.LevelWarn, from, "niwa listens on one address, the first; %s not bound (niwa serves plain HTTP on one port)", strings.Join(addrs[1:], ", "))
		}
	}
	if v, from := get("EDGE_BIND_HOST"); from != "" {
		if s.from["host"] != "" {
			if v != s.host {
				return s, fmt.Errorf("%s sets host %q but %s=%q; niwa listens on one address", s.from["host"], s.host, from, v)
			}
		} else {
			s.host = v
			s.from["host"] = from
		}
	}
	if v, from := get("EDGE_PORT"); from != "" {
		port, err := strconv.Atoi(v)
		if err != nil || port < 0 || port > 65535 {
			return s, fmt.Errorf("%s=%q is not a port number", from, v)
		}
		if s.hasPort {
			if port != s.port {
				// niwa listens on one port: honouring either would leave
				// clients of the other with "connection refused" and no
				// clue why.
				return s, fmt.Errorf("%s sets port %d but %s=%q sets %d; niwa listens on one port", s.from["port"], s.port, from, v, port)
			}
		} else {
			s.port, s.hasPort = port, true
			s.from["port"] = from
		}
	}

	if on, set, from, err := boolean("PERSISTENCE"); err != nil {
		return s, err
	} else if set && on {
		s.dataDir = localStackDataDir
		s.from["data-dir"] = from
	}
	if _, from := get("DATA_DIR"); from != "" {
		note(slog.LevelWarn, from, "ignored: LocalStack 2 removed it; use PERSISTENCE=1 (state in %s) or NIWA_DATA_DIR", localStackDataDir)
	}

	// Logging: LS_LOG, the finer setting, wins over DEBUG.
	// DEBUG is a name other tools use too (Node's debug module reads
	// DEBUG=app:*): a value that is no boolean is LocalStack's "off", and
	// only worth a warning, never a refusal to start.
	if on, set, from, err := boolean("DEBUG"); err != nil {
		note(slog.LevelWarn, from, "ignored: %v; LocalStack reads it as off", err)
	} else if set && on {
		s.logLevel = "debug"
		s.from["log-level"] = from
	}
	if v, from := get("LS_LOG"); from != "" {
		level, ok := map[string]string{
			"trace": "debug", "trace-internal": "debug", "debug": "debug",
			"info": "info", "warn": "warn", "warning": "warn", "error": "error",
		}[strings.ToLower(v)]
		if !ok {
			return s, fmt.Errorf("%s=%q: want trace, trace-internal, debug, info, warn, warning or error", from, v)
		}
		s.logLevel = level
		s.from["log-level"] = from
		if level == "debug" && !strings.EqualFold(v, "debug") {
			note(slog.LevelInfo, from, "niwa has no trace level; debug is its most detailed")
		}
	}

	if v, from := get("DEFAULT_REGION"); from != "" {
		s.region = v
		s.from["region"] = from
	}
	if on, set, from, err := boolean("ENFORCE_IAM"); err != nil {
		return s, err
	} else if set {
		s.iam = map[bool]string{true: "on", false: "off"}[on]
		s.from["iam-enforcement"] = from
	}

	// What niwa cannot honour, and why.
	if _, from := get("SERVICES"); from != "" {
		note(slog.LevelWarn, from, "ignored: niwa serves every service it has, always (a service loads nothing until it is called)")
	}
	if _, from := get("EAGER_SERVICE_LOADING"); from != "" {
		note(slog.LevelInfo, from, "ignored: niwa's services are ready when it starts")
	}
	for _, name := range []string{"LOCALSTACK_HOST", "HOSTNAME_EXTERNAL"} {
		if _, from := get(name); from != "" {
			note(slog.LevelWarn, from, "ignored: niwa has no setting for the host in the URLs it returns; SQS queue URLs name each request's Host, the name the client reached niwa by")
		}
	}
	if on, _, from, err := boolean("USE_SSL"); err != nil {
		return s, err
	} else if on {
		note(slog.LevelWarn, from, "ignored: niwa serves plain HTTP and returns http:// URLs")
	}
	for _, name := range []string{"DISABLE_CORS_CHECKS", "EXTRA_CORS_ALLOWED_ORIGINS"} {
		if _, from := get(name); from != "" {
			note(slog.LevelInfo, from, "nothing to do: niwa's API endpoints answer browsers from every origin (S3 buckets with a CORS configuration follow it)")
		}
	}
	if on, _, from, err := boolean("DISABLE_CORS_HEADERS"); err != nil {
		return s, err
	} else if on {
		note(slog.LevelWarn, from, "ignored: niwa always answers CORS preflights and adds CORS headers for requests with an Origin")
	}
	for _, name := range []string{"LAMBDA_EXECUTOR", "LAMBDA_RUNTIME_EXECUTOR"} {
		if v, from := get(name); from != "" {
			note(slog.LevelWarn, from, "ignored (%s): niwa runs Lambda functions as local processes of its own (python3, node), not in Docker or Kubernetes", v)
		}
	}
	for _, name := range []string{"LOCALSTACK_AUTH_TOKEN", "LOCALSTACK_API_KEY"} {
		// The value is a secret: never logged.
		if _, from := get(name); from != "" {
			note(slog.LevelInfo, from, "ignored: niwa needs no licence or auth token")
		}
	}
	if v, from := get("SQS_ENDPOINT_STRATEGY"); from != "" {
		const how = "niwa's queue URLs are http://<request host>/<account>/<queue>"
		if strings.EqualFold(v, "off") {
			note(slog.LevelInfo, from, "%s, as with off", how)
		} else {
			note(slog.LevelWarn, from, "ignored (%s): %s, LocalStack's off strategy; clients use the URL as it is returned", v, how)
		}
	}
	return s, nil
}

// listenAddr parses one GATEWAY_LISTEN entry: "host:port", ":port" or a
// bare port (both meaning every interface, as in LocalStack's Docker
// default 0.0.0.0:4566), or a bare host (port 4566).
func listenAddr(a string) (string, int, error) {
	host, portStr, err := net.SplitHostPort(a)
	if err != nil {
		if _, perr := strconv.Atoi(a); perr == nil {
			host, portStr = "", a
		} else if !strings.Contains(a, ":") {
			host, portStr = a, "4566"
		} else {
			return "", 0, fmt.Errorf("want host:port, got %q", a)
		}
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("port %q is not a port number", portStr)
	}
	if host == "" {
		host = "0.0.0.0"
	}
	return host, port, nil
}

// localStackFlags are the niwa flags LocalStack's variables can set, with
// the NIWA_ variable behind each.
func localStackFlags() [][2]string {
	return [][2]string{{"host", "NIWA_HOST"}, {"port", "NIWA_PORT"}, {"data-dir", "NIWA_DATA_DIR"},
		{"log-level", "NIWA_LOG_LEVEL"}, {"region", "NIWA_DEFAULT_REGION"}, {"iam-enforcement", "NIWA_IAM_ENFORCEMENT"}}
}

// finish notes, once flags are parsed, each LocalStack variable that set
// a flag: applied (with the value niwa uses), or overridden when the user
// chose the flag itself, on the command line or through its NIWA_
// variable (value reads the flag's final value; chosen says whether the
// user set it). One note per variable: GATEWAY_LISTEN sets two flags.
func (s *localStackSettings) finish(value func(flag string) string, chosen func(flag, envName string) bool) {
	type outcome struct{ applied, lost []string }
	var order []string
	by := map[string]*outcome{}
	for _, f := range localStackFlags() {
		from := s.from[f[0]]
		if from == "" {
			continue
		}
		o := by[from]
		if o == nil {
			o = &outcome{}
			by[from] = o
			order = append(order, from)
		}
		if chosen(f[0], f[1]) {
			o.lost = append(o.lost, "--"+f[0]+" or "+f[1]+" wins")
		} else {
			o.applied = append(o.applied, "--"+f[0]+" "+value(f[0]))
		}
	}
	for _, from := range order {
		o := by[from]
		var parts []string
		if len(o.applied) > 0 {
			parts = append(parts, "applied as "+strings.Join(o.applied, " "))
		}
		level := slog.LevelInfo
		if len(o.lost) > 0 {
			level = slog.LevelWarn
			parts = append(parts, "ignored: "+strings.Join(o.lost, ", "))
		}
		s.notes = append(s.notes, localStackNote{level, from, strings.Join(parts, "; ")})
	}
}

// log writes the notes, once, at start.
func (s *localStackSettings) log(l *slog.Logger) {
	for _, n := range s.notes {
		l.Log(context.Background(), n.level, "LocalStack variable", "variable", n.variable, "niwa", n.msg)
	}
}
