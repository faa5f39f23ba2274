// Package dbfront is the listener in front of a database server that RDS
// hands out as an endpoint: it speaks enough of the MySQL and PostgreSQL
// protocols to let password logins through untouched and to answer IAM
// database authentication itself — a user set up for IAM
// authentication (MySQL: IDENTIFIED WITH AWSAuthenticationPlugin AS
// 'RDS'; PostgreSQL: GRANT rds_iam) signs in with a token from
// generate-db-auth-token, which the front checks and then connects to
// the real server as that user with a password only niwa knows.
//
// The real servers have no AWSAuthenticationPlugin and no rds_iam: the
// front rewrites the statements that set a user up for IAM into ones
// that give the user that niwa-held password (Password), and a user is
// an IAM user exactly when that password opens the server.
package dbfront

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// Kind is the protocol a front speaks.
type Kind int

const (
	MySQL Kind = iota
	Postgres
)

// Config is what a front serves.
type Config struct {
	Kind Kind
	// Backend is the address of the real server now (it changes when the
	// server restarts); an error refuses the connection.
	Backend func() (string, error)
	// Key derives the password of IAM users (Password); it must stay the
	// same across restarts for the users to keep working.
	Key []byte
	// Credential, when set, is the backend password of an IAM user in
	// place of Password (an RDS Proxy signs in with the password its
	// secret holds); ok false means user is not an IAM user.
	Credential func(user string) (password string, ok bool)
	// Verify checks an IAM token presented by user; nil refuses every
	// IAM login (IAM authentication is off).
	Verify func(ctx context.Context, user, token string) error
	// Admit, when set, decides at accept time whether a connection may
	// reach the server at all (security groups). A refused connection is
	// Admit's own: the front neither reads, writes nor closes it, so the
	// caller can hold it silent until the client times out, as a dropped
	// SYN looks to the client on AWS.
	Admit func(c net.Conn) bool
	Log   *slog.Logger
}

// Front is a listening front.
type Front struct {
	cfg  Config
	ln   net.Listener
	wg   sync.WaitGroup
	mu   sync.Mutex
	open map[net.Conn]struct{}
	done chan struct{}
}

// Password is the backend password of an IAM user: an HMAC of the user
// under the front's key, so it need not be stored.
func Password(key []byte, user string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(user))
	return "iam-" + hex.EncodeToString(m.Sum(nil))[:28]
}

// Listen starts a front on addr.
func Listen(addr string, cfg Config) (*Front, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	f := &Front{cfg: cfg, ln: ln, open: map[net.Conn]struct{}{}, done: make(chan struct{})}
	f.wg.Add(1)
	go f.acceptLoop()
	return f, nil
}

// Addr is where the front listens.
func (f *Front) Addr() net.Addr { return f.ln.Addr() }

// iamPassword is the backend password to try for user as an IAM user.
func (f *Front) iamPassword(user string) (string, bool) {
	if f.cfg.Credential != nil {
		return f.cfg.Credential(user)
	}
	return Password(f.cfg.Key, user), true
}

// acceptLoop accepts connections until Close; each is admitted (or
// closed) and served on its own goroutine.
func (f *Front) acceptLoop() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		if f.cfg.Admit != nil && !f.cfg.Admit(c) {
			continue // Admit's to hold or close
		}
		if !f.track(c) {
			_ = c.Close()
			return
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer f.untrack(c)
			f.serve(c)
		}()
	}
}

func (f *Front) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-f.done:
		return false
	default:
	}
	f.open[c] = struct{}{}
	return true
}

func (f *Front) untrack(c net.Conn) {
	f.mu.Lock()
	delete(f.open, c)
	f.mu.Unlock()
	_ = c.Close()
}

// Close stops listening and ends every connection.
func (f *Front) Close() error {
	f.mu.Lock()
	select {
	case <-f.done:
	default:
		close(f.done)
	}
	err := f.ln.Close()
	for c := range f.open {
		_ = c.Close()
	}
	f.mu.Unlock()
	f.wg.Wait()
	return err
}

// handshakeTimeout bounds the login exchange; a client that stalls in it
// is dropped.
const handshakeTimeout = 30 * time.Second

func (f *Front) serve(c net.Conn) {
	defer func() {
		// A connection the front mishandles ends alone, not niwa.
		if r := recover(); r != nil {
			f.cfg.Log.Error("dbfront: connection failed", "panic", r)
		}
	}()
	_ = c.SetDeadline(time.Now().Add(handshakeTimeout))
	var err error
	if f.cfg.Kind == Postgres {
		err = f.servePostgres(c)
	} else {
		err = f.serveMySQL(c)
	}
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
		f.cfg.Log.Debug("dbfront: connection ended", "err", err)
	}
}

func (f *Front) dialBackend() (net.Conn, error) {
	addr, err := f.cfg.Backend()
	if err != nil {
		return nil, err
	}
	return net.DialTimeout("tcp", addr, 10*time.Second)
}

// pipe copies server→client raw and client→server through up (which
// may rewrite messages) until either side closes.
func pipe(client, server net.Conn, up func(dst io.Writer, src io.Reader) error) error {
	_ = client.SetDeadline(time.Time{})
	_ = server.SetDeadline(time.Time{})
	errc := make(chan error, 2)
	go func() {
		_, err := io.Copy(client, server)
		errc <- err
	}()
	go func() { errc <- up(server, client) }()
	err := <-errc
	_ = client.Close()
	_ = server.Close()
	<-errc
	return err
}
