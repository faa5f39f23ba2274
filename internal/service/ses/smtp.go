package ses

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/textproto"
	"strings"
	"sync"
	"time"

	sesapi "github.com/niwa-cloud/niwa/internal/api/ses"
	"github.com/niwa-cloud/niwa/internal/awserr"
)

// SMTPPassword derives the SES SMTP password of an IAM secret access key
// for region, as AWS documents it ("Obtaining Amazon SES SMTP
// credentials"): HMAC-SHA256 chained over "11111111", the region, "ses",
// "aws4_request" and "SendRawEmail", starting from "AWS4"+secret; the
// version byte 0x04 is prepended and the result base64-encoded. The SMTP
// user name is the access key id.
func SMTPPassword(secret, region string) string {
	sig := []byte("AWS4" + secret)
	for _, m := range []string{"11111111", region, "ses", "aws4_request", "SendRawEmail"} {
		h := hmac.New(sha256.New, sig)
		h.Write([]byte(m))
		sig = h.Sum(nil)
	}
	return base64.StdEncoding.EncodeToString(append([]byte{0x04}, sig...))
}

// KeyLookup finds an access key's secret and account (IAM users' keys and
// niwa's static keys).
type KeyLookup func(accessKeyID string) (secret, account string, ok bool, err error)

// SMTP limits: a command line is at most 1000 octets with CRLF (RFC 5321
// 4.5.3.1.4), 50 recipients and 10 MB per message (SES quotas); a
// client idle longer than smtpIdle is dropped.
const (
	smtpLine   = 1000
	smtpIdle   = 5 * time.Minute
	smtpMaxBad = 10
	// smtpMaxConns bounds concurrent sessions: each may buffer a 10 MB
	// message, so memory stays bounded whatever clients do.
	smtpMaxConns = 32
)

// SMTPServer is SES's SMTP interface: messages sent through it land in
// the outbox after the same checks as SendRawEmail.
type SMTPServer struct {
	c      *Core
	keys   KeyLookup
	region string
	// tls is the certificate source of STARTTLS (and of the implicit-TLS
	// listener); nil offers no TLS.
	tls *tls.Config
	// implicit: every session starts with a TLS handshake (SMTPS).
	implicit bool
	ln       net.Listener
	wg       sync.WaitGroup
	mu       sync.Mutex
	conns    map[net.Conn]bool
	closed   bool
}

// SMTPConfig configures an SMTP listener.
type SMTPConfig struct {
	Addr   string
	Region string
	Keys   KeyLookup
	// TLS offers STARTTLS with its certificates; as on SES's endpoint,
	// AUTH is then refused until the session is encrypted. Nil offers
	// no TLS (and AUTH is accepted in the clear).
	TLS *tls.Config
	// Implicit makes every session start with a TLS handshake (SMTPS,
	// SES's port 465); it needs TLS.
	Implicit bool
}

// ListenSMTP starts the SMTP listener on addr for region, without TLS.
func (c *Core) ListenSMTP(addr, region string, keys KeyLookup) (*SMTPServer, error) {
	return c.ServeSMTP(SMTPConfig{Addr: addr, Region: region, Keys: keys})
}

// ServeSMTP starts an SMTP listener as cfg says.
func (c *Core) ServeSMTP(cfg SMTPConfig) (*SMTPServer, error) {
	if cfg.Implicit && cfg.TLS == nil {
		return nil, errors.New("ses: implicit TLS needs a certificate")
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, err
	}
	s := &SMTPServer{c: c, keys: cfg.Keys, region: cfg.Region, tls: cfg.TLS, implicit: cfg.Implicit, ln: ln, conns: map[net.Conn]bool{}}
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// Addr is the bound address.
func (s *SMTPServer) Addr() string { return s.ln.Addr().String() }

// Close stops the listener and drops open sessions.
func (s *SMTPServer) Close() error {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

func (s *SMTPServer) accept() {
	defer s.wg.Done()
	for {
		conn, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			_ = conn.Close()
			return
		}
		if len(s.conns) >= smtpMaxConns {
			s.mu.Unlock()
			_ = conn.SetWriteDeadline(time.Now().Add(time.Second))
			_, _ = conn.Write([]byte("421 Too many connections, try again later\r\n"))
			_ = conn.Close()
			continue
		}
		s.conns[conn] = true
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.session(conn)
			s.mu.Lock()
			delete(s.conns, conn)
			s.mu.Unlock()
			_ = conn.Close()
		}()
	}
}

// smtpCommand splits a command line into its upper-cased verb and
// argument.
func smtpCommand(line string) (verb, arg string) {
	line = strings.TrimRight(line, "\r\n")
	verb, arg, _ = strings.Cut(line, " ")
	return strings.ToUpper(verb), strings.TrimSpace(arg)
}

// pathArg reads the address of "FROM:<addr> params" / "TO:<addr>".
func pathArg(arg, prefix string) (string, bool) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", false
	}
	rest := strings.TrimSpace(arg[len(prefix):])
	if !strings.HasPrefix(rest, "<") {
		return "", false
	}
	end := strings.IndexByte(rest, '>')
	if end < 0 {
		return "", false
	}
	return rest[1:end], true
}

type smtpSession struct {
	account string
	from    string
	hasFrom bool
	rcpts   []string
	// secure: the session is encrypted (STARTTLS or SMTPS).
	secure bool
	// inbound maps each recipient of a session without AUTH to the
	// account whose receipt rules take it (mail arriving from outside).
	inbound map[string]string
}

// smtpHandshake bounds a TLS handshake, so a client that stalls in it
// cannot hold a session slot longer.
const smtpHandshake = 30 * time.Second

func (s *SMTPServer) session(conn net.Conn) {
	secure := false
	if s.implicit {
		tc := tls.Server(conn, s.tls)
		_ = tc.SetDeadline(time.Now().Add(smtpHandshake))
		if err := tc.Handshake(); err != nil {
			return
		}
		_ = tc.SetDeadline(time.Time{})
		conn, secure = tc, true
	}
	br := bufio.NewReaderSize(conn, smtpLine+2)
	w := bufio.NewWriter(conn)
	reply := func(format string, args ...any) {
		fmt.Fprintf(w, format+"\r\n", args...)
		_ = w.Flush()
	}
	readLine := func() (string, error) {
		_ = conn.SetReadDeadline(time.Now().Add(smtpIdle))
		b, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			return "", err
		}
		return string(b), err
	}
	reply("220 email-smtp.%s.amazonaws.com ESMTP SimpleEmailService (niwa)", s.region)
	st := smtpSession{secure: secure}
	bad := 0
	for bad < smtpMaxBad {
		line, err := readLine()
		if errors.Is(err, bufio.ErrBufferFull) {
			reply("500 Line too long")
			return
		}
		if err != nil {
			return
		}
		verb, arg := smtpCommand(line)
		switch verb {
		case "EHLO":
			starttls := ""
			if s.tls != nil && !st.secure {
				starttls = "250-STARTTLS\r\n"
			}
			reply("250-email-smtp.amazonaws.com\r\n250-8BITMIME\r\n250-SIZE %d\r\n%s250-AUTH PLAIN LOGIN\r\n250 Ok", maxRawV1, starttls)
		case "HELO":
			reply("250 email-smtp.amazonaws.com")
		case "NOOP":
			reply("250 Ok")
		case "RSET":
			st = smtpSession{account: st.account, secure: st.secure}
			reply("250 Ok")
		case "QUIT":
			reply("221 Bye")
			return
		case "AUTH":
			if s.tls != nil && !st.secure {
				// SES's endpoint takes credentials only over TLS.
				reply("530 Must issue a STARTTLS command first")
				bad++
				continue
			}
			user, pass, ok := s.auth(arg, reply, readLine)
			if !ok {
				bad++
				continue
			}
			acct, ok := s.check(user, pass)
			if !ok {
				reply("535 Authentication Credentials Invalid")
				bad++
				continue
			}
			st.account = acct
			reply("235 Authentication successful.")
		case "MAIL":
			addr, ok := pathArg(arg, "FROM:")
			if !ok {
				reply("501 Invalid MAIL FROM address provided")
				bad++
				continue
			}
			// Without AUTH the session may only deliver to addresses an
			// active receipt rule takes (mail arriving from outside).
			st.from, st.hasFrom, st.rcpts, st.inbound = addr, true, nil, nil
			reply("250 Ok")
		case "RCPT":
			if !st.hasFrom {
				reply("503 Error: need MAIL command")
				bad++
				continue
			}
			addr, ok := pathArg(arg, "TO:")
			if !ok || addr == "" {
				reply("501 Invalid RCPT TO address provided")
				bad++
				continue
			}
			if len(st.rcpts) >= maxRecipients {
				reply("452 Too many recipients")
				continue
			}
			if st.account == "" {
				acct, code, msg := s.c.inboundAccount(s.region, addr, st.secure, remoteIP(conn))
				if acct == "" {
					reply("%d %s", code, msg)
					bad++
					continue
				}
				if st.inbound == nil {
					st.inbound = map[string]string{}
				}
				st.inbound[addr] = acct
			}
			st.rcpts = append(st.rcpts, addr)
			reply("250 Ok")
		case "DATA":
			if len(st.rcpts) == 0 {
				reply("503 Error: need RCPT command")
				bad++
				continue
			}
			reply("354 End data with <CR><LF>.<CR><LF>")
			_ = conn.SetReadDeadline(time.Now().Add(smtpIdle))
			raw, err := io.ReadAll(io.LimitReader(textproto.NewReader(br).DotReader(), maxRawV1+1))
			if err != nil {
				return
			}
			if len(raw) > maxRawV1 {
				reply("552 Message exceeded maximum message size")
				return
			}
			// The dot reader turns CRLF into LF; the stored message keeps
			// the wire's line endings, as SES stores it (S3 actions).
			raw = bytes.ReplaceAll(raw, []byte("\n"), []byte("\r\n"))
			var id string
			if st.account == "" {
				id, err = s.c.receiveInbound(s.region, st.from, st.inbound, st.rcpts, raw, st.secure)
			} else {
				id, err = s.deliver(st, raw)
			}
			st = smtpSession{account: st.account, secure: st.secure}
			if err != nil {
				reply("554 Message rejected: %s", awserr.As(err).Message)
				continue
			}
			reply("250 Ok %s", id)
		case "STARTTLS":
			if s.tls == nil {
				reply("454 TLS not available")
				continue
			}
			if st.secure {
				reply("503 TLS already active")
				bad++
				continue
			}
			reply("220 Ready to start TLS")
			tc := tls.Server(conn, s.tls)
			_ = tc.SetDeadline(time.Now().Add(smtpHandshake))
			if err := tc.Handshake(); err != nil {
				return
			}
			_ = tc.SetDeadline(time.Time{})
			// RFC 3207: the client starts over; nothing said in the
			// clear carries into the encrypted session.
			conn = tc
			br = bufio.NewReaderSize(conn, smtpLine+2)
			w = bufio.NewWriter(conn)
			st = smtpSession{secure: true}
		default:
			reply("502 Command not implemented")
			bad++
		}
	}
	reply("421 Too many errors")
}

// auth reads AUTH PLAIN or LOGIN credentials.
func (s *SMTPServer) auth(arg string, reply func(string, ...any), readLine func() (string, error)) (user, pass string, ok bool) {
	mech, initial, _ := strings.Cut(arg, " ")
	next := func(prompt string) (string, bool) {
		reply("334 %s", prompt)
		l, err := readLine()
		if err != nil {
			return "", false
		}
		l = strings.TrimRight(l, "\r\n")
		if l == "*" {
			reply("501 Authentication cancelled")
			return "", false
		}
		return l, true
	}
	decode := func(s string) (string, bool) {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			reply("501 Invalid base64")
			return "", false
		}
		return string(b), true
	}
	switch strings.ToUpper(mech) {
	case "PLAIN":
		if initial == "" {
			if initial, ok = next(""); !ok {
				return "", "", false
			}
		}
		d, ok := decode(initial)
		if !ok {
			return "", "", false
		}
		parts := strings.Split(d, "\x00")
		if len(parts) != 3 {
			reply("501 Invalid AUTH PLAIN response")
			return "", "", false
		}
		return parts[1], parts[2], true
	case "LOGIN":
		u := initial
		if u == "" {
			if u, ok = next("VXNlcm5hbWU6"); !ok {
				return "", "", false
			}
		}
		if user, ok = decode(u); !ok {
			return "", "", false
		}
		p, ok := next("UGFzc3dvcmQ6")
		if !ok {
			return "", "", false
		}
		if pass, ok = decode(p); !ok {
			return "", "", false
		}
		return user, pass, true
	}
	reply("504 Unrecognized authentication type")
	return "", "", false
}

// check compares pass with the SMTP password of user's secret key.
func (s *SMTPServer) check(user, pass string) (string, bool) {
	if s.keys == nil {
		return "", false
	}
	secret, acct, ok, err := s.keys(user)
	if err != nil || !ok {
		return "", false
	}
	want := SMTPPassword(secret, s.region)
	return acct, subtle.ConstantTimeCompare([]byte(want), []byte(pass)) == 1
}

// deliver sends an SMTP message like SendRawEmail with the envelope's
// sender and recipients.
func (s *SMTPServer) deliver(st smtpSession, raw []byte) (string, error) {
	p, err := parseMIME(raw)
	if err != nil {
		return "", err
	}
	return s.c.send(s.c.now(), outgoing{Account: st.account, Region: s.region, Source: st.from,
		Dest: Destination{ToAddresses: st.rcpts}, Subject: p.Subject, Body: p.Body, Raw: raw, Via: "SMTP",
		Rejected: sesapi.ErrMessageRejected})
}

// remoteIP is the client's address, for receipt filters.
func remoteIP(conn net.Conn) netip.Addr {
	if ap, err := netip.ParseAddrPort(conn.RemoteAddr().String()); err == nil {
		return ap.Addr().Unmap()
	}
	return netip.Addr{}
}
