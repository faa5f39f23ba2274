package dbfront

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/niwa-cloud/niwa/internal/dbengine"
	"github.com/niwa-cloud/niwa/internal/dbengine/dbenginetest"
)

var key = []byte("0123456789abcdef0123456789abcdef")

// TestRewrite: the statements that set a user up for IAM become ones
// giving the niwa-held password; nothing else changes.
func TestRewrite(t *testing.T) {
	pw := Password(key, "jane")
	my := []struct{ in, want string }{
		{"CREATE USER jane IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'", "CREATE USER jane IDENTIFIED BY '" + pw + "'"},
		{"create user 'jane'@'%' identified with AWSAuthenticationPlugin as 'RDS';", "create user 'jane'@'%' IDENTIFIED BY '" + pw + "';"},
		{"CREATE USER IF NOT EXISTS `jane`@`%` IDENTIFIED WITH 'AWSAuthenticationPlugin' AS 'RDS' REQUIRE SSL", "CREATE USER IF NOT EXISTS `jane`@`%` IDENTIFIED BY '" + pw + "' REQUIRE SSL"},
		{"ALTER USER jane@localhost IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'", "ALTER USER jane@localhost IDENTIFIED BY '" + pw + "'"},
		{"SELECT 'CREATE USER jane IDENTIFIED WITH AWSAuthenticationPlugin AS ''RDS'''", ""},
		{"CREATE USER jane IDENTIFIED BY 'x'", ""},
	}
	for _, c := range my {
		got, ok := RewriteMySQL(c.in, key)
		if c.want == "" {
			if ok || got != c.in {
				t.Errorf("%q rewritten to %q", c.in, got)
			}
			continue
		}
		if !ok || got != c.want {
			t.Errorf("%q:\n got %q\nwant %q", c.in, got, c.want)
		}
	}
	got, ok := RewritePostgres(`CREATE USER jane; GRANT rds_iam TO jane, "Bob";`, key)
	if !ok || !strings.Contains(got, "GRANT rds_iam TO jane, \"Bob\";") || !strings.Contains(got, "ALTER ROLE jane WITH LOGIN PASSWORD '"+pw+"';") ||
		!strings.Contains(got, `ALTER ROLE "Bob" WITH LOGIN PASSWORD '`+Password(key, "Bob")+"'") || !strings.Contains(got, "CREATE ROLE rds_iam") {
		t.Errorf("postgres: %q", got)
	}
	if _, ok := RewritePostgres("GRANT SELECT ON t TO jane", key); ok {
		t.Error("another grant rewritten")
	}
	if Password(key, "jane") == Password(key, "john") || Password(key, "jane") == Password([]byte("other"), "jane") {
		t.Error("passwords do not depend on the user and the key")
	}
}

// FuzzRewrite: any statement rewrites or not without panicking, and a
// rewrite never keeps AWSAuthenticationPlugin.
func FuzzRewrite(f *testing.F) {
	f.Add("CREATE USER 'a'@'%' IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'")
	f.Add("CREATE USER `a IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'")
	f.Add("GRANT rds_iam TO \"x")
	f.Fuzz(func(t *testing.T, q string) {
		if out, ok := RewriteMySQL(q, key); ok && !strings.Contains(out, " IDENTIFIED BY 'iam-") {
			t.Fatalf("%q rewritten to %q", q, out)
		}
		if out, ok := RewritePostgres(q, key); ok && !strings.Contains(out, "WITH LOGIN PASSWORD 'iam-") {
			t.Fatalf("%q rewritten to %q", q, out)
		}
	})
}

// FuzzClientHello: any handshake response parses or is refused without
// panicking, and a parsed one encodes back.
func FuzzClientHello(f *testing.F) {
	ok := append([]byte{0x0d, 0xa2, 0x3a, 0x00, 0, 0, 0, 1, 33}, make([]byte, 23)...)
	ok = append(ok, "jane\x00\x14"...)
	ok = append(ok, make([]byte, 20)...)
	ok = append(ok, "app\x00mysql_native_password\x00"...)
	f.Add(ok)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseClientHello(b)
		if err != nil {
			return
		}
		if _, err := parseClientHello(c.encode(c.auth, c.plugin)); err != nil {
			t.Fatalf("re-encoded hello does not parse: %v", err)
		}
		_, _ = parseHello(b)
	})
}

// TestFront: password logins pass through the front; a user set up for
// IAM through it signs in with a token the front accepts, not with a
// refused one nor with a password; a refused connection never reaches
// the server.
func TestFront(t *testing.T) {
	for _, k := range []dbengine.Kind{dbengine.MariaDB, dbengine.Postgres} {
		t.Run(string(k), func(t *testing.T) {
			t.Parallel()
			srv := dbenginetest.Start(t, k)
			kind := MySQL
			if k == dbengine.Postgres {
				kind = Postgres
			}
			var asked []string
			f, err := Listen("127.0.0.1:0", Config{Kind: kind, Key: key,
				Backend: func() (string, error) { return "127.0.0.1:" + strconv.Itoa(srv.Port()), nil },
				Verify: func(_ context.Context, user, token string) error {
					asked = append(asked, user+"="+token)
					if token != "good-token" {
						return errors.New("bad token")
					}
					return nil
				}})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = f.Close() })
			addr := f.Addr().String()
			open := func(user, pw string) (*sql.DB, error) {
				var db *sql.DB
				var err error
				if kind == MySQL {
					cfg := mysql.NewConfig()
					cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName = user, pw, "tcp", addr, "app"
					cfg.AllowCleartextPasswords = true
					db, err = sql.Open("mysql", cfg.FormatDSN())
				} else {
					u := url.URL{Scheme: "postgres", User: url.UserPassword(user, pw), Host: addr, Path: "/app", RawQuery: "sslmode=prefer"}
					db, err = sql.Open("pgx", u.String())
				}
				if err != nil {
					return nil, err
				}
				db.SetMaxIdleConns(0)
				return db, db.Ping()
			}
			admin, err := open("admin", "secret-pw1")
			if err != nil {
				t.Fatalf("password login through the front: %v", err)
			}
			defer func() { _ = admin.Close() }()
			if _, err := open("admin", "wrong-pw"); err == nil {
				t.Fatal("a wrong password got in")
			}
			setup := []string{"CREATE USER jane IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'", "GRANT SELECT ON app.* TO jane"}
			if kind == Postgres {
				setup = []string{"CREATE USER jane", "GRANT rds_iam TO jane"}
			}
			for _, q := range setup {
				if _, err := admin.Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			jane, err := open("jane", "good-token")
			if err != nil {
				t.Fatalf("IAM login: %v (asked %v)", err, asked)
			}
			var one int
			if err := jane.QueryRow("SELECT 1").Scan(&one); err != nil || one != 1 {
				t.Fatalf("as jane: %v", err)
			}
			_ = jane.Close()
			if _, err := open("jane", "bad-token"); err == nil {
				t.Fatal("a refused token got in")
			}
			if _, err := open("jane", Password(key, "jane")); err == nil && kind == Postgres {
				// PostgreSQL asks IAM users for a token only: the held
				// password is a token like any other, and refused.
				t.Fatal("the held password got in as a token")
			}
			if len(asked) == 0 || asked[0] != "jane=good-token" {
				t.Fatalf("verifier asked %v", asked)
			}
		})
	}
}

// TestAdmit: a connection the Admit hook refuses is the hook's (here it
// closes it) and the server is never dialled; the front writes nothing.
func TestAdmit(t *testing.T) {
	dialled := false
	f, err := Listen("127.0.0.1:0", Config{Kind: MySQL, Key: key,
		Backend: func() (string, error) { dialled = true; return "", fmt.Errorf("no") },
		Admit:   func(c net.Conn) bool { _ = c.Close(); return false }})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	c, err := net.Dial("tcp", f.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := c.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Fatalf("read %d %v", n, err)
	}
	_ = c.Close()
	if dialled {
		t.Fatal("the server was dialled")
	}
}

// FuzzPostgresMessages: any bytes a client sends first read as a
// startup packet and messages, or are refused, without panicking or
// reading past a bounded length.
func FuzzPostgresMessages(f *testing.F) {
	f.Add([]byte("\x00\x00\x00\x17\x00\x03\x00\x00user\x00jane\x00\x00"))
	f.Add([]byte("\x00\x00\x00\x08\x04\xd2\x16\x2f"))
	f.Add([]byte("Q\x00\x00\x00\x0dSELECT 1\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if p, err := readStartup(bytes.NewReader(b)); err == nil {
			if len(p) < 8 || len(p) > maxPgStartup {
				t.Fatalf("startup of %d bytes", len(p))
			}
			_ = startupParams(p)
		}
		r := bytes.NewReader(b)
		for {
			if _, _, err := readPgMessage(r); err != nil {
				break
			}
		}
		_, _ = readMySQL(bytes.NewReader(b))
	})
}
