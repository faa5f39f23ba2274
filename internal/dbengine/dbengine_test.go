package dbengine

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// requireEngine fails under CI=true when the machine lacks the engine
// (.ci/run installs it), and skips elsewhere.
func requireEngine(t *testing.T, k Kind) {
	t.Helper()
	if _, err := Find(k); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v", err)
		}
		t.Skipf("%v", err)
	}
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]string{
		"/usr/sbin/mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for debian-linux-gnu on x86_64": "10.11",
		"postgres (PostgreSQL) 15.8 (Debian 15.8-0+deb12u1)":                                "15.8",
		"nothing": "",
	} {
		if got := parseVersion(in); got != want {
			t.Errorf("parseVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestServers starts each engine once: the master user and database
// exist, rows survive a restart of the server on the same directory, a
// dump loads into a new server, and a password change takes effect.
func TestServers(t *testing.T) {
	for _, k := range []Kind{MariaDB, Postgres} {
		t.Run(string(k), func(t *testing.T) {
			requireEngine(t, k)
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			dir := t.TempDir()
			port, err := FreePort()
			if err != nil {
				t.Fatal(err)
			}
			spec := Spec{Kind: k, Dir: filepath.Join(dir, "a"), Port: port, User: "admin", Password: "secret-pw1", DBName: "app",
				Params: map[string]string{"max_connections": "42"}}
			s, err := Start(ctx, spec)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Exec(ctx, "app", "CREATE TABLE t (k varchar(10) primary key, v varchar(10)); INSERT INTO t VALUES ('a','alpha');"); err != nil {
				t.Fatal(err)
			}
			out, err := s.Exec(ctx, "", "SHOW max_connections")
			if k == MariaDB {
				out, err = s.Exec(ctx, "", "SELECT @@max_connections")
			}
			if err != nil || strings.TrimSpace(out) != "42" {
				t.Fatalf("max_connections = %q, %v", out, err)
			}
			s.Stop()
			s, err = Start(ctx, spec)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Stop()
			out, err = s.Exec(ctx, "app", "SELECT v FROM t WHERE k='a'")
			if err != nil || strings.TrimSpace(out) != "alpha" {
				t.Fatalf("after restart: %q, %v", out, err)
			}
			dump := filepath.Join(dir, "dump.sql")
			if err := s.Dump(ctx, dump); err != nil {
				t.Fatal(err)
			}
			port2, _ := FreePort()
			spec2 := Spec{Kind: k, Dir: filepath.Join(dir, "b"), Port: port2, User: "admin", Password: "secret-pw1"}
			s2, err := Start(ctx, spec2)
			if err != nil {
				t.Fatal(err)
			}
			defer s2.Stop()
			if err := s2.Load(ctx, dump); err != nil {
				t.Fatal(err)
			}
			out, err = s2.Exec(ctx, "app", "SELECT v FROM t WHERE k='a'")
			if err != nil || strings.TrimSpace(out) != "alpha" {
				t.Fatalf("restored: %q, %v", out, err)
			}
			if err := s2.SetPassword(ctx, "another-pw2"); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// FuzzParseVersion: any --version line gives "" or a major.minor of
// digits, never a panic.
func FuzzParseVersion(f *testing.F) {
	f.Add("/usr/sbin/mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 for debian-linux-gnu on x86_64")
	f.Add("postgres (PostgreSQL) 15.8 (Debian 15.8-0+deb12u1)")
	f.Add("1. .2 3.x 4.5x")
	f.Fuzz(func(t *testing.T, s string) {
		v := parseVersion(s)
		if v == "" {
			return
		}
		major, minor, ok := strings.Cut(v, ".")
		if !ok || major == "" || minor == "" || strings.Trim(major+minor, "0123456789") != "" {
			t.Fatalf("parseVersion(%q) = %q", s, v)
		}
	})
}
