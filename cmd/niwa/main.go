// Command niwa is a local AWS cloud: one binary that speaks the real AWS
// wire protocols on one port.
//
//	niwa [serve] [flags]   serve on :4566 (in-memory state unless --data-dir)
//	niwa version           print the version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/niwa-cloud/niwa/internal/auth"
	"github.com/niwa-cloud/niwa/internal/server"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(args, stderr)
	case "version":
		fmt.Fprintln(stdout, "niwa", version)
		return 0
	case "help":
		fmt.Fprintln(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "niwa: unknown command %q\n%s\n", cmd, usage)
	return 2
}

const usage = `usage: niwa [serve] [flags] | niwa version

Run "niwa serve -h" for the flags.`

// keyList collects --access-key KEY:SECRET[:ACCOUNT] flags.
type keyList []auth.Credential

func (k *keyList) String() string { return fmt.Sprint(len(*k), " keys") }

func (k *keyList) Set(v string) error {
	for _, one := range strings.Split(v, ",") {
		parts := strings.Split(strings.TrimSpace(one), ":")
		if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
			return fmt.Errorf("want ACCESS_KEY:SECRET[:ACCOUNT], got %q", one)
		}
		account := server.DefaultAccount
		if len(parts) == 3 {
			account = parts[2]
			if len(account) != 12 || strings.Trim(account, "0123456789") != "" {
				return fmt.Errorf("account %q is not 12 digits", account)
			}
		}
		*k = append(*k, auth.RootCredential(parts[0], parts[1], account))
	}
	return nil
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func envBool(name string) bool {
	b, _ := strconv.ParseBool(os.Getenv(name))
	return b
}

func serve(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("niwa serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	port, _ := strconv.Atoi(env("NIWA_PORT", "4566"))
	var cfg server.Config
	var keys keyList
	fs.StringVar(&cfg.Host, "host", env("NIWA_HOST", "127.0.0.1"), "address to listen on (NIWA_HOST); 0.0.0.0 for every interface")
	fs.IntVar(&cfg.Port, "port", port, "port to listen on (NIWA_PORT)")
	fs.StringVar(&cfg.DataDir, "data-dir", env("NIWA_DATA_DIR", ""), "directory for durable state (NIWA_DATA_DIR); empty keeps state in memory")
	fs.BoolVar(&cfg.Fsync, "fsync", envBool("NIWA_FSYNC"), "fsync every commit, for durability across power loss (NIWA_FSYNC)")
	fs.StringVar(&cfg.Region, "region", env("NIWA_DEFAULT_REGION", "us-east-1"), "region for requests whose signature names none (NIWA_DEFAULT_REGION)")
	fs.BoolVar(&cfg.SkipSignatureValidation, "skip-signature-validation", envBool("NIWA_SKIP_SIGNATURE_VALIDATION"),
		"accept any access key and signature (NIWA_SKIP_SIGNATURE_VALIDATION)")
	fs.Var(&keys, "access-key", "static access key KEY:SECRET[:ACCOUNT], repeatable or comma-separated (NIWA_ACCESS_KEYS); default test:test:000000000000")
	fs.StringVar(&cfg.S3HostSuffix, "s3-host-suffix", env("NIWA_S3_HOST_SUFFIX", "localhost"), "host suffix of virtual-host-style S3 addresses (NIWA_S3_HOST_SUFFIX)")
	logLevel := fs.String("log-level", env("NIWA_LOG_LEVEL", "info"), "debug, info, warn or error (NIWA_LOG_LEVEL)")
	logFormat := fs.String("log-format", env("NIWA_LOG_FORMAT", "text"), "text or json (NIWA_LOG_FORMAT)")
	if v := os.Getenv("NIWA_ACCESS_KEYS"); v != "" {
		if err := keys.Set(v); err != nil {
			fmt.Fprintln(stderr, "niwa: NIWA_ACCESS_KEYS:", err)
			return 2
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if len(keys) > 0 {
		// The default key stays usable unless the user replaced it.
		cfg.Keys = append([]auth.Credential{auth.RootCredential("test", "test", server.DefaultAccount)}, keys...)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintln(stderr, "niwa: --log-level:", err)
		return 2
	}
	opts := &slog.HandlerOptions{Level: level}
	if *logFormat == "json" {
		cfg.Log = slog.New(slog.NewJSONHandler(stderr, opts))
	} else {
		cfg.Log = slog.New(slog.NewTextHandler(stderr, opts))
	}
	cfg.Version = version

	srv, err := server.New(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "niwa:", err)
		return 1
	}
	if err := srv.Listen(); err != nil {
		fmt.Fprintln(stderr, "niwa:", err)
		srv.Shutdown(context.Background())
		return 1
	}
	state := "in memory"
	if cfg.DataDir != "" {
		state = cfg.DataDir
	}
	cfg.Log.Info("niwa ready", "addr", srv.Addr(), "version", version, "state", state)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve() }()
	select {
	case err := <-errc:
		if err != nil {
			fmt.Fprintln(stderr, "niwa:", err)
			return 1
		}
		return 0
	case <-ctx.Done():
	}
	cfg.Log.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		fmt.Fprintln(stderr, "niwa: shutdown:", err)
		return 1
	}
	return 0
}
