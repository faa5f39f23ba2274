// Package dbengine runs real database servers — MariaDB (for RDS's mysql
// and mariadb engines) and PostgreSQL — from the machine's own binaries,
// one process group per server, each with its own data directory and
// port on 127.0.0.1. RDS instances are such servers.
package dbengine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/niwa-cloud/niwa/internal/proc"
)

// Kind is a server family.
type Kind string

const (
	MariaDB  Kind = "mariadb"
	Postgres Kind = "postgres"
)

// Package names the Debian package that provides the kind's server.
func (k Kind) Package() string {
	if k == Postgres {
		return "postgresql"
	}
	return "mariadb-server"
}

// MarkerEnv is set in every server's environment to its data directory,
// so that a niwa started after a kill -9 of the previous one finds and
// kills what it left (proc.KillByEnv).
const MarkerEnv = "NIWA_DBENGINE_DIR"

// ErrMissing is returned when the machine lacks the engine's binaries.
var ErrMissing = errors.New("dbengine: engine not installed")

// Binaries are the programs of one kind, found on the machine.
type Binaries struct {
	Kind    Kind
	Server  string // mariadbd / postgres
	Init    string // mariadb-install-db / initdb
	Client  string // mariadb / psql
	Dump    string // mariadb-dump / pg_dumpall
	Version string // major.minor of the server, e.g. "10.11" or "15.8"
}

// Find looks the kind's programs up on PATH and in Debian's places
// (/usr/sbin for mariadbd, /usr/lib/postgresql/<v>/bin).
func Find(k Kind) (Binaries, error) {
	b := Binaries{Kind: k}
	look := func(names []string, dirs []string) string {
		for _, n := range names {
			if p, err := exec.LookPath(n); err == nil {
				return p
			}
			for _, d := range dirs {
				p := filepath.Join(d, n)
				if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
					return p
				}
			}
		}
		return ""
	}
	switch k {
	case MariaDB:
		dirs := []string{"/usr/sbin", "/usr/bin", "/usr/local/bin", "/usr/local/sbin"}
		b.Server = look([]string{"mariadbd", "mysqld"}, dirs)
		b.Init = look([]string{"mariadb-install-db", "mysql_install_db"}, dirs)
		b.Client = look([]string{"mariadb", "mysql"}, dirs)
		b.Dump = look([]string{"mariadb-dump", "mysqldump"}, dirs)
	case Postgres:
		var dirs []string
		vs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
		sort.Sort(sort.Reverse(sort.StringSlice(vs))) // newest first
		dirs = append(dirs, vs...)
		b.Server = look([]string{"postgres"}, dirs)
		b.Init = look([]string{"initdb"}, dirs)
		b.Client = look([]string{"psql"}, dirs)
		b.Dump = look([]string{"pg_dumpall"}, dirs)
	default:
		return b, fmt.Errorf("dbengine: unknown kind %q", k)
	}
	if b.Server == "" || b.Init == "" || b.Client == "" || b.Dump == "" {
		return b, fmt.Errorf("%w: %s (install the Debian package %s)", ErrMissing, k, k.Package())
	}
	out, err := exec.Command(b.Server, "--version").CombinedOutput()
	if err != nil {
		return b, fmt.Errorf("dbengine: %s --version: %v: %s", b.Server, err, out)
	}
	b.Version = parseVersion(string(out))
	return b, nil
}

// parseVersion finds the first major.minor in a --version line
// ("mariadbd  Ver 10.11.19-MariaDB-0+deb12u1 ..." or "postgres (PostgreSQL) 15.8").
func parseVersion(s string) string {
	for _, f := range strings.Fields(s) {
		parts := strings.SplitN(f, ".", 3)
		if len(parts) < 2 {
			continue
		}
		// Digits only: strconv.Atoi would also take a sign ("+0.0").
		if !allDigits(parts[0]) {
			continue
		}
		minor := strings.TrimFunc(parts[1], func(r rune) bool { return r < '0' || r > '9' })
		if allDigits(minor) {
			return parts[0] + "." + minor
		}
	}
	return ""
}

// allDigits reports whether s is a non-empty run of ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Spec describes one server.
type Spec struct {
	Kind Kind
	// Dir is the server's own directory; the data lives in Dir/data.
	Dir      string
	Port     int
	User     string // master user
	Password string
	DBName   string // created at first start when not empty
	// Params are engine settings (max_connections, ...) passed on the
	// server's command line where the engine knows them.
	Params map[string]string
}

// Server is a running database server.
type Server struct {
	spec Spec
	bin  Binaries
	cmd  *exec.Cmd
	done chan struct{}
	mu   sync.Mutex
	err  error
	log  bytes.Buffer
}

// FreePort asks the kernel for a free TCP port on 127.0.0.1.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// CleanStale kills what a previous niwa left running in dir (after a
// kill -9) and removes the pid files that would stop a new start.
func CleanStale(dir string) {
	proc.KillByEnv(MarkerEnv + "=" + dir)
	_ = os.Remove(filepath.Join(dir, "data", "postmaster.pid"))
	_ = os.Remove(filepath.Join(dir, "mysqld.pid"))
	_ = os.Remove(filepath.Join(dir, "mysqld.sock"))
}

// Initialized reports whether dir holds an initialized data directory.
func Initialized(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "initialized"))
	return err == nil
}

// Start initializes the data directory when it is new (creating the
// master user and database as RDS does), then starts the server and
// waits until it accepts connections (or ctx ends).
func Start(ctx context.Context, spec Spec) (*Server, error) {
	bin, err := Find(spec.Kind)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(spec.Dir, 0o755); err != nil {
		return nil, err
	}
	CleanStale(spec.Dir)
	fresh := !Initialized(spec.Dir)
	if fresh {
		_ = os.RemoveAll(filepath.Join(spec.Dir, "data"))
		if err := initialize(ctx, bin, spec); err != nil {
			return nil, err
		}
	}
	s := &Server{spec: spec, bin: bin, done: make(chan struct{})}
	if err := s.launch(); err != nil {
		return nil, err
	}
	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		return nil, err
	}
	if fresh {
		if err := s.bootstrap(ctx); err != nil {
			s.Stop()
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(spec.Dir, "initialized"), nil, 0o644); err != nil {
			s.Stop()
			return nil, err
		}
	}
	return s, nil
}

// pgCredential is who PostgreSQL runs as: it refuses to run as root, so
// under root it runs as nobody, owning its directory.
func pgCredential(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, fmt.Errorf("dbengine: PostgreSQL refuses to run as root and there is no user nobody: %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	// nobody must reach the directory: ancestors that deny others the
	// search bit (a 0700 temp dir) get it; no listing, no reading.
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		if st, err := os.Stat(d); err == nil && st.Mode().Perm()&0o001 == 0 {
			_ = os.Chmod(d, st.Mode().Perm()|0o001)
		}
		if d == filepath.Dir(d) {
			break
		}
	}
	err = filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
	if err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (s *Server) command(ctx context.Context, name string, args ...string) (*exec.Cmd, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), MarkerEnv+"="+s.spec.Dir, "LC_ALL=C")
	proc.SetGroup(cmd)
	if s.spec.Kind == Postgres {
		cred, err := pgCredential(s.spec.Dir)
		if err != nil {
			return nil, err
		}
		cmd.SysProcAttr.Credential = cred
	}
	return cmd, nil
}

func initialize(ctx context.Context, bin Binaries, spec Spec) error {
	s := &Server{spec: spec, bin: bin}
	data := filepath.Join(spec.Dir, "data")
	var cmd *exec.Cmd
	var err error
	switch spec.Kind {
	case MariaDB:
		tmp, terr := instanceTmp(spec.Dir)
		if terr != nil {
			return terr
		}
		cmd, err = s.command(ctx, bin.Init, "--no-defaults", "--datadir="+data, "--auth-root-authentication-method=socket",
			"--user="+currentUser(), "--skip-test-db", "--tmpdir="+tmp)
	case Postgres:
		pw := filepath.Join(spec.Dir, "pwfile")
		if err := os.WriteFile(pw, []byte(spec.Password+"\n"), 0o600); err != nil {
			return err
		}
		cmd, err = s.command(ctx, bin.Init, "-D", data, "-U", spec.User, "--pwfile="+pw, "-A", "scram-sha-256", "-E", "UTF8", "--no-sync")
		defer func() { _ = os.Remove(pw) }()
	}
	if err != nil {
		return err
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("dbengine: initializing %s: %v: %s", spec.Kind, err, tail(out))
	}
	return nil
}

// instanceTmp is the server's own temporary directory: MariaDB names its
// temporary tables after its process id in tmpdir, and servers that shared
// /tmp (several niwas, or instances bootstrapping at once) were seen to
// remove each other's tables and fail their bootstrap.
func instanceTmp(dir string) (string, error) {
	tmp := filepath.Join(dir, "tmp")
	return tmp, os.MkdirAll(tmp, 0o700)
}

func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "root"
}

func (s *Server) socket() string {
	if s.spec.Kind == MariaDB {
		return filepath.Join(s.spec.Dir, "mysqld.sock")
	}
	return s.spec.Dir // PostgreSQL's -k is a directory
}

func (s *Server) launch() error {
	data := filepath.Join(s.spec.Dir, "data")
	var args []string
	switch s.spec.Kind {
	case MariaDB:
		if _, err := instanceTmp(s.spec.Dir); err != nil {
			return err
		}
		args = []string{"--no-defaults", "--datadir=" + data, "--port=" + strconv.Itoa(s.spec.Port),
			"--bind-address=127.0.0.1", "--socket=" + s.socket(), "--pid-file=" + filepath.Join(s.spec.Dir, "mysqld.pid"),
			"--user=" + currentUser(), "--skip-name-resolve", "--log-error=" + filepath.Join(s.spec.Dir, "error.log"),
			"--tmpdir=" + filepath.Join(s.spec.Dir, "tmp")}
		for _, k := range sortedKeys(s.spec.Params) {
			args = append(args, "--"+k+"="+s.spec.Params[k])
		}
	case Postgres:
		args = []string{"-D", data, "-p", strconv.Itoa(s.spec.Port), "-h", "127.0.0.1", "-k", s.socket()}
		for _, k := range sortedKeys(s.spec.Params) {
			args = append(args, "-c", k+"="+s.spec.Params[k])
		}
	}
	// The server outlives the request that started it: Stop ends it.
	cmd, err := s.command(context.Background(), s.bin.Server, args...)
	if err != nil {
		return err
	}
	cmd.Stdout = &lockedWriter{s: s}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return err
	}
	s.cmd = cmd
	go func() {
		err := cmd.Wait()
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
		close(s.done)
	}()
	return nil
}

type lockedWriter struct{ s *Server }

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	if w.s.log.Len() < 64<<10 {
		w.s.log.Write(p)
	}
	return len(p), nil
}

func (s *Server) waitReady(ctx context.Context) error {
	deadline := time.NewTimer(90 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		if err := s.ping(ctx); err == nil {
			return nil
		}
		select {
		case <-s.done:
			s.mu.Lock()
			defer s.mu.Unlock()
			msg := s.log.String()
			if b, err := os.ReadFile(filepath.Join(s.spec.Dir, "error.log")); err == nil {
				msg += string(b)
			}
			return fmt.Errorf("dbengine: %s exited: %v: %s", s.spec.Kind, s.err, tail([]byte(msg)))
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return fmt.Errorf("dbengine: %s did not accept connections in time", s.spec.Kind)
		case <-tick.C:
		}
	}
}

func (s *Server) ping(ctx context.Context) error {
	_, err := s.Exec(ctx, "", "SELECT 1")
	return err
}

// Exec runs SQL through the engine's client as the administrator over
// the server's local socket (MariaDB's root by socket authentication,
// PostgreSQL's master user by peer... password), in database db ("" for
// the default).
func (s *Server) Exec(ctx context.Context, db, sql string) (string, error) {
	var cmd *exec.Cmd
	var err error
	switch s.spec.Kind {
	case MariaDB:
		args := []string{"--no-defaults", "--socket=" + s.socket(), "-uroot", "-N", "-B"}
		if db != "" {
			args = append(args, db)
		}
		cmd, err = s.command(ctx, s.bin.Client, args...)
	case Postgres:
		if db == "" {
			db = "postgres"
		}
		cmd, err = s.command(ctx, s.bin.Client, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", s.socket(),
			"-p", strconv.Itoa(s.spec.Port), "-U", s.spec.User, "-d", db)
		if err == nil {
			cmd.Env = append(cmd.Env, "PGPASSWORD="+s.spec.Password)
		}
	}
	if err != nil {
		return "", err
	}
	cmd.Stdin = strings.NewReader(sql)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("dbengine: %v: %s", err, tail(out))
	}
	return string(out), nil
}

func quoteMy(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

func quotePgIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
func quotePgLit(s string) string   { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// bootstrap creates the master user and the first database as RDS does.
func (s *Server) bootstrap(ctx context.Context) error {
	var sql string
	switch s.spec.Kind {
	case MariaDB:
		u := quoteMy(s.spec.User)
		sql = "CREATE USER " + u + "@'%' IDENTIFIED BY " + quoteMy(s.spec.Password) + ";\n" +
			"GRANT ALL PRIVILEGES ON *.* TO " + u + "@'%' WITH GRANT OPTION;\n"
		if s.spec.DBName != "" {
			sql += "CREATE DATABASE `" + strings.ReplaceAll(s.spec.DBName, "`", "``") + "`;\n"
		}
		sql += "FLUSH PRIVILEGES;\n"
	case Postgres:
		if s.spec.DBName != "" {
			sql = "CREATE DATABASE " + quotePgIdent(s.spec.DBName) + ";\n"
		}
	}
	if sql == "" {
		return nil
	}
	_, err := s.Exec(ctx, "", sql)
	return err
}

// SetPassword changes the master user's password.
func (s *Server) SetPassword(ctx context.Context, password string) error {
	var sql string
	if s.spec.Kind == MariaDB {
		sql = "ALTER USER " + quoteMy(s.spec.User) + "@'%' IDENTIFIED BY " + quoteMy(password) + ";"
	} else {
		sql = "ALTER USER " + quotePgIdent(s.spec.User) + " PASSWORD " + quotePgLit(password) + ";"
	}
	if _, err := s.Exec(ctx, "", sql); err != nil {
		return err
	}
	s.mu.Lock()
	s.spec.Password = password
	s.mu.Unlock()
	return nil
}

// Dump writes a logical dump of every database to path.
func (s *Server) Dump(ctx context.Context, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	var cmd *exec.Cmd
	switch s.spec.Kind {
	case MariaDB:
		cmd, err = s.command(ctx, s.bin.Dump, "--no-defaults", "--socket="+s.socket(), "-uroot",
			"--all-databases", "--single-transaction", "--routines", "--events")
	case Postgres:
		cmd, err = s.command(ctx, s.bin.Dump, "-h", s.socket(), "-p", strconv.Itoa(s.spec.Port), "-U", s.spec.User, "--clean", "--if-exists")
		if err == nil {
			cmd.Env = append(cmd.Env, "PGPASSWORD="+s.spec.Password)
		}
	}
	if err != nil {
		_ = f.Close()
		return err
	}
	var stderr bytes.Buffer
	cmd.Stdout = f
	cmd.Stderr = &stderr
	runErr := cmd.Run()
	closeErr := f.Close()
	if runErr != nil {
		return fmt.Errorf("dbengine: dump: %v: %s", runErr, tail(stderr.Bytes()))
	}
	return closeErr
}

// Load replays a dump Dump wrote (a restore from a snapshot).
func (s *Server) Load(ctx context.Context, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	sql := string(b)
	if s.spec.Kind == Postgres {
		// The dump re-creates roles; the master role exists already
		// (it runs the load), so its CREATE ROLE may fail harmlessly.
		sql = "\\set ON_ERROR_STOP 0\n" + sql
	} else {
		// The dump replaces the grant tables; make them count.
		sql += "\nFLUSH PRIVILEGES;\n"
	}
	_, err = s.Exec(ctx, "", sql)
	return err
}

// Port is the server's TCP port.
func (s *Server) Port() int { return s.spec.Port }

// Done is closed when the server process has exited.
func (s *Server) Done() <-chan struct{} { return s.done }

// Stop ends the server: a clean shutdown signal, then a kill of its
// process group if it has not exited within a few seconds.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
	}
	proc.KillGroup(s.cmd.Process)
	<-s.done
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func tail(b []byte) string {
	const n = 2000
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return strings.TrimSpace(string(b))
}
