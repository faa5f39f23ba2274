package dbfront

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/niwa-cloud/niwa/internal/lazyre"

	"github.com/jackc/pgx/v5/pgconn"
)

// PostgreSQL's startup codes (protocol 3.0).
const (
	pgProtocol3   = 196608
	pgSSLRequest  = 80877103
	pgGSSRequest  = 80877104
	pgCancel      = 80877102
	maxPgStartup  = 10000
	maxPgMessage  = 1 << 30
	pgMinMsgLen   = 4
	pgPasswordMsg = 'p'
)

func readStartup(r io.Reader) ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint32(h[:]))
	if n < 8 || n > maxPgStartup {
		return nil, errors.New("dbfront: bad startup packet length")
	}
	b := make([]byte, n)
	copy(b, h[:])
	_, err := io.ReadFull(r, b[4:])
	return b, err
}

// startupParams reads a StartupMessage's name/value pairs.
func startupParams(b []byte) map[string]string {
	out := map[string]string{}
	parts := bytes.Split(b[8:], []byte{0})
	for i := 0; i+1 < len(parts); i += 2 {
		if len(parts[i]) == 0 {
			break
		}
		out[string(parts[i])] = string(parts[i+1])
	}
	return out
}

func readPgMessage(r io.Reader) (byte, []byte, error) {
	var h [5]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := int(binary.BigEndian.Uint32(h[1:]))
	if n < pgMinMsgLen || n > maxPgMessage {
		return 0, nil, errors.New("dbfront: bad message length")
	}
	b, err := readN(r, n-4)
	return h[0], b, err
}

// readN reads n bytes, allocating as they arrive rather than up front:
// a client that announces a large message and sends little costs little.
func readN(r io.Reader, n int) ([]byte, error) {
	var buf bytes.Buffer
	if n <= 64<<10 {
		buf.Grow(n)
	}
	m, err := io.CopyN(&buf, r, int64(n))
	if err == io.EOF && m < int64(n) {
		err = io.ErrUnexpectedEOF
	}
	return buf.Bytes(), err
}

func pgMessage(typ byte, body []byte) []byte {
	b := []byte{typ, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[1:], uint32(len(body)+4))
	return append(b, body...)
}

// pgFatal is an ErrorResponse.
func pgFatal(code, msg string) []byte {
	var b []byte
	for _, f := range []struct {
		k byte
		v string
	}{{'S', "FATAL"}, {'V', "FATAL"}, {'C', code}, {'M', msg}} {
		b = append(b, f.k)
		b = append(b, f.v...)
		b = append(b, 0)
	}
	return pgMessage('E', append(b, 0))
}

// servePostgres: the client speaks first, so the front knows the user
// before any password: an IAM user (the niwa-held password opens the
// server) is asked for its token in clear text (as RDS does), others
// are relayed to the server untouched.
func (f *Front) servePostgres(c net.Conn) error {
	var startup []byte
	for {
		b, err := readStartup(c)
		if err != nil {
			return err
		}
		switch code := binary.BigEndian.Uint32(b[4:8]); code {
		case pgSSLRequest, pgGSSRequest:
			// No TLS on niwa's local servers: the client goes on in clear.
			if _, err := c.Write([]byte{'N'}); err != nil {
				return err
			}
			continue
		case pgCancel:
			server, err := f.dialBackend()
			if err != nil {
				return err
			}
			_, err = server.Write(b)
			_ = server.Close()
			return err
		case pgProtocol3:
			startup = b
		default:
			_, _ = c.Write(pgFatal("0A000", fmt.Sprintf("unsupported frontend protocol %d.%d", code>>16, code&0xffff)))
			return nil
		}
		break
	}
	params := startupParams(startup)
	user := params["user"]
	if pw, ok := f.iamPassword(user); ok && user != "" {
		if hc, ok := f.pgLogin(params, pw); ok {
			return f.pgIAM(c, hc, user)
		}
	}
	server, err := f.dialBackend()
	if err != nil {
		return err
	}
	if _, err := server.Write(startup); err != nil {
		_ = server.Close()
		return err
	}
	return pipe(c, server, f.pgUp)
}

// pgLogin opens a session as the startup's user with password; ok is
// false when the server refuses.
func (f *Front) pgLogin(params map[string]string, password string) (*pgconn.HijackedConn, bool) {
	addr, err := f.cfg.Backend()
	if err != nil {
		return nil, false
	}
	db := params["database"]
	if db == "" {
		db = params["user"]
	}
	u := url.URL{Scheme: "postgres", User: url.UserPassword(params["user"], password), Host: addr, Path: "/" + db, RawQuery: "sslmode=disable"}
	cfg, err := pgconn.ParseConfig(u.String())
	if err != nil {
		return nil, false
	}
	for k, v := range params {
		if k != "user" && k != "database" {
			cfg.RuntimeParams[k] = v
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, false
	}
	hc, err := conn.Hijack()
	if err != nil {
		_ = conn.Close(ctx)
		return nil, false
	}
	return hc, true
}

// pgIAM asks the client for its token, checks it and hands the client
// the session the front opened.
func (f *Front) pgIAM(c net.Conn, hc *pgconn.HijackedConn, user string) error {
	server := hc.Conn
	defer func() { _ = server.Close() }()
	if _, err := c.Write(pgMessage('R', []byte{0, 0, 0, 3})); err != nil { // AuthenticationCleartextPassword
		return err
	}
	typ, body, err := readPgMessage(c)
	if err != nil {
		return err
	}
	refuse := pgFatal("28000", fmt.Sprintf("PAM authentication failed for user \"%s\"", user))
	if typ != pgPasswordMsg || f.cfg.Verify == nil {
		_, err := c.Write(refuse)
		return err
	}
	token := strings.TrimRight(string(body), "\x00")
	if err := f.cfg.Verify(context.Background(), user, token); err != nil {
		f.cfg.Log.Info("dbfront: IAM token refused", "user", user, "err", err)
		_, err := c.Write(refuse)
		return err
	}
	var out []byte
	out = append(out, pgMessage('R', []byte{0, 0, 0, 0})...) // AuthenticationOk
	keys := make([]string, 0, len(hc.ParameterStatuses))
	for k := range hc.ParameterStatuses {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, pgMessage('S', []byte(k+"\x00"+hc.ParameterStatuses[k]+"\x00"))...)
	}
	kd := binary.BigEndian.AppendUint32(nil, hc.PID)
	out = append(out, pgMessage('K', append(kd, hc.SecretKey...))...)
	out = append(out, pgMessage('Z', []byte{'I'})...)
	if _, err := c.Write(out); err != nil {
		return err
	}
	return pipe(c, server, f.pgUp)
}

// pgUp relays client messages to the server, rewriting simple queries
// that grant rds_iam.
func (f *Front) pgUp(dst io.Writer, src io.Reader) error {
	for {
		typ, body, err := readPgMessage(src)
		if err != nil {
			return err
		}
		if typ == 'Q' {
			if q, ok := RewritePostgres(strings.TrimSuffix(string(body), "\x00"), f.cfg.Key); ok {
				body = append([]byte(q), 0)
			}
		}
		if _, err := dst.Write(pgMessage(typ, body)); err != nil {
			return err
		}
	}
}

// pgGrant is GRANT rds_iam TO role[, role...], as a statement of a
// simple query (which may hold several).
var pgGrant = lazyre.New(`(?is)(^|;)(\s*GRANT\s+rds_iam\s+TO\s+((?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)(?:\s*,\s*(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*))*)\s*)(;|$)`)

// RewritePostgres adds to each GRANT rds_iam TO a user the user's
// niwa-held password, and makes the role rds_iam first if it is
// missing; ok is false for a query without such a grant.
func RewritePostgres(q string, key []byte) (string, bool) {
	if !pgGrant.MatchString(q) {
		return q, false
	}
	out := pgGrant.ReplaceAllStringFunc(q, func(stmt string) string {
		m := pgGrant.FindStringSubmatch(stmt)
		var b strings.Builder
		b.WriteString(m[1] + m[2] + ";")
		for _, r := range strings.Split(m[3], ",") {
			r = strings.TrimSpace(r)
			name := strings.ToLower(r)
			if strings.HasPrefix(r, `"`) {
				name = strings.Trim(r, `"`)
			}
			b.WriteString(" ALTER ROLE " + r + " WITH LOGIN PASSWORD '" + Password(key, name) + "';")
		}
		return b.String()
	})
	return "DO $niwa$BEGIN CREATE ROLE rds_iam; EXCEPTION WHEN duplicate_object THEN NULL; END$niwa$; " + out, true
}
