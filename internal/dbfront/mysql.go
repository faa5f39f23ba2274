package dbfront

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/niwa-cloud/niwa/internal/lazyre"
)

// MySQL protocol pieces the front needs (the client/server protocol,
// https://dev.mysql.com/doc/dev/mysql-server/latest/PAGE_PROTOCOL.html).
const (
	capConnectWithDB  = 0x00000008
	capCompress       = 0x00000020
	capProtocol41     = 0x00000200
	capSSL            = 0x00000800
	capSecureConn     = 0x00008000
	capPluginAuth     = 0x00080000
	capConnectAttrs   = 0x00100000
	capLenEncAuthData = 0x00200000

	maxMySQLPacket = 1<<24 - 1
	comQuery       = 0x03
)

// mysqlPacket is one packet: sequence id and payload.
type mysqlPacket struct {
	seq     byte
	payload []byte
}

func readMySQL(r io.Reader) (mysqlPacket, error) {
	var h [4]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return mysqlPacket{}, err
	}
	n := int(h[0]) | int(h[1])<<8 | int(h[2])<<16
	payload, err := readN(r, n)
	return mysqlPacket{seq: h[3], payload: payload}, err
}

func writeMySQL(w io.Writer, seq byte, payload []byte) error {
	if len(payload) > maxMySQLPacket {
		return errors.New("dbfront: packet too large")
	}
	h := []byte{byte(len(payload)), byte(len(payload) >> 8), byte(len(payload) >> 16), seq}
	_, err := w.Write(append(h, payload...))
	return err
}

// mysqlErr is an ERR packet's payload.
func mysqlErr(code uint16, state, msg string) []byte {
	b := []byte{0xff, byte(code), byte(code >> 8), '#'}
	b = append(b, state...)
	return append(b, msg...)
}

// serverHello is what the front reads of the server's initial handshake:
// the 20-byte scramble, and where the capability flags sit to clear the
// ones the front cannot relay (compression and TLS).
type serverHello struct {
	salt            []byte
	capLow, capHigh int // offsets of the two capability halves
}

func parseHello(p []byte) (serverHello, error) {
	var h serverHello
	if len(p) < 1 || p[0] != 10 {
		return h, errors.New("dbfront: not a protocol 10 handshake")
	}
	i := bytes.IndexByte(p[1:], 0)
	if i < 0 {
		return h, errors.New("dbfront: bad handshake")
	}
	i += 2 // past the version string and its NUL
	i += 4 // connection id
	if i+9 > len(p) {
		return h, errors.New("dbfront: short handshake")
	}
	salt := append([]byte{}, p[i:i+8]...)
	i += 9 // salt part 1 and filler
	h.capLow = i
	i += 2 + 1 + 2 // capabilities (low), charset, status
	h.capHigh = i
	i += 2
	if i+1+10 > len(p) {
		return h, errors.New("dbfront: short handshake")
	}
	authLen := int(p[i])
	i += 1 + 10 // auth data length, reserved
	n := authLen - 8 - 1
	if n < 12 {
		n = 12
	}
	if i+n > len(p) {
		return h, errors.New("dbfront: short handshake")
	}
	h.salt = append(salt, p[i:i+n]...)
	return h, nil
}

// clientHello is a parsed HandshakeResponse41.
type clientHello struct {
	caps         uint32
	head         []byte // capabilities, max packet, charset, filler
	user         string
	auth         []byte
	db           string
	plugin       string
	attrs        []byte
	hasDB        bool
	pluginAuth   bool
	lenEncAuth   bool
	secureConn   bool
	connectAttrs bool
}

func parseClientHello(p []byte) (clientHello, error) {
	var c clientHello
	if len(p) < 32 {
		return c, errors.New("dbfront: short handshake response")
	}
	c.caps = binary.LittleEndian.Uint32(p)
	if c.caps&capProtocol41 == 0 {
		return c, errors.New("dbfront: pre-4.1 clients are not supported")
	}
	c.head = append([]byte{}, p[:32]...)
	c.hasDB, c.pluginAuth = c.caps&capConnectWithDB != 0, c.caps&capPluginAuth != 0
	c.lenEncAuth, c.secureConn, c.connectAttrs = c.caps&capLenEncAuthData != 0, c.caps&capSecureConn != 0, c.caps&capConnectAttrs != 0
	rest := p[32:]
	i := bytes.IndexByte(rest, 0)
	if i < 0 {
		return c, errors.New("dbfront: bad user name")
	}
	c.user, rest = string(rest[:i]), rest[i+1:]
	switch {
	case c.lenEncAuth:
		n, w, ok := lenEnc(rest)
		if !ok || uint64(len(rest)-w) < n {
			return c, errors.New("dbfront: bad auth data")
		}
		c.auth, rest = rest[w:w+int(n)], rest[w+int(n):]
	case c.secureConn:
		if len(rest) < 1 || len(rest) < 1+int(rest[0]) {
			return c, errors.New("dbfront: bad auth data")
		}
		c.auth, rest = rest[1:1+int(rest[0])], rest[1+int(rest[0]):]
	default:
		j := bytes.IndexByte(rest, 0)
		if j < 0 {
			return c, errors.New("dbfront: bad auth data")
		}
		c.auth, rest = rest[:j], rest[j+1:]
	}
	if c.hasDB && len(rest) > 0 {
		j := bytes.IndexByte(rest, 0)
		if j < 0 {
			j = len(rest)
		}
		c.db, rest = string(rest[:j]), rest[min(j+1, len(rest)):]
	}
	if c.pluginAuth && len(rest) > 0 {
		j := bytes.IndexByte(rest, 0)
		if j < 0 {
			j = len(rest)
		}
		c.plugin, rest = string(rest[:j]), rest[min(j+1, len(rest)):]
	}
	if c.connectAttrs {
		c.attrs = rest
	}
	return c, nil
}

// encode writes the response back, with auth data and plugin replaced.
func (c clientHello) encode(auth []byte, plugin string) []byte {
	caps := (c.caps | capPluginAuth | capSecureConn | capLenEncAuthData) &^ (capSSL | capCompress)
	b := append([]byte{}, c.head...)
	binary.LittleEndian.PutUint32(b, caps)
	b = append(b, c.user...)
	b = append(b, 0)
	b = appendLenEnc(b, uint64(len(auth)))
	b = append(b, auth...)
	if c.hasDB {
		b = append(b, c.db...)
		b = append(b, 0)
	}
	b = append(b, plugin...)
	b = append(b, 0)
	if c.connectAttrs {
		b = append(b, c.attrs...)
	}
	return b
}

func lenEnc(b []byte) (uint64, int, bool) {
	if len(b) == 0 {
		return 0, 0, false
	}
	switch {
	case b[0] < 0xfb:
		return uint64(b[0]), 1, true
	case b[0] == 0xfc && len(b) >= 3:
		return uint64(binary.LittleEndian.Uint16(b[1:])), 3, true
	case b[0] == 0xfd && len(b) >= 4:
		return uint64(b[1]) | uint64(b[2])<<8 | uint64(b[3])<<16, 4, true
	case b[0] == 0xfe && len(b) >= 9:
		return binary.LittleEndian.Uint64(b[1:]), 9, true
	}
	return 0, 0, false
}

func appendLenEnc(b []byte, n uint64) []byte {
	switch {
	case n < 0xfb:
		return append(b, byte(n))
	case n < 1<<16:
		return append(b, 0xfc, byte(n), byte(n>>8))
	case n < 1<<24:
		return append(b, 0xfd, byte(n), byte(n>>8), byte(n>>16))
	}
	b = append(b, 0xfe)
	return binary.LittleEndian.AppendUint64(b, n)
}

// nativeScramble is mysql_native_password's answer to a salt:
// SHA1(password) XOR SHA1(salt + SHA1(SHA1(password))).
func nativeScramble(salt []byte, password string) []byte {
	if password == "" {
		return nil
	}
	h1 := sha1.Sum([]byte(password))
	h2 := sha1.Sum(h1[:])
	m := sha1.New()
	m.Write(salt[:20])
	m.Write(h2[:])
	h3 := m.Sum(nil)
	for i := range h3 {
		h3[i] ^= h1[i]
	}
	return h3
}

// serveMySQL: the server's handshake goes to the client (minus TLS and
// compression), the client's answer to the server. When the server
// refuses it and the user is an IAM user (the niwa-held password opens
// the server), the front asks the client for its token in clear text
// (mysql_clear_password, as RDS does), checks it and hands the client
// a session opened with that password.
func (f *Front) serveMySQL(c net.Conn) error {
	server, err := f.dialBackend()
	if err != nil {
		return err
	}
	defer func() { _ = server.Close() }()
	hello, err := readMySQL(server)
	if err != nil {
		return err
	}
	if len(hello.payload) > 0 && hello.payload[0] == 0xff { // the server refuses (too many connections)
		_ = writeMySQL(c, hello.seq, hello.payload)
		return nil
	}
	h, err := parseHello(hello.payload)
	if err != nil {
		return err
	}
	hp := append([]byte{}, hello.payload...)
	low := binary.LittleEndian.Uint16(hp[h.capLow:])
	binary.LittleEndian.PutUint16(hp[h.capLow:], low&^uint16(capSSL|capCompress))
	if err := writeMySQL(c, hello.seq, hp); err != nil {
		return err
	}
	resp, err := readMySQL(c)
	if err != nil {
		return err
	}
	ch, err := parseClientHello(resp.payload)
	if err != nil {
		return err
	}
	if err := writeMySQL(server, resp.seq, resp.payload); err != nil {
		return err
	}
	answer, err := readMySQL(server)
	if err != nil {
		return err
	}
	if len(answer.payload) > 0 && answer.payload[0] == 0xff && ch.pluginAuth {
		if ok, err := f.mysqlIAM(c, server, ch, answer); ok || err != nil {
			return err
		}
	}
	if err := writeMySQL(c, answer.seq, answer.payload); err != nil {
		return err
	}
	return pipe(c, server, f.mysqlUp)
}

// mysqlIAM tries the IAM login after the server refused the client's
// password; ok is false when the user is not an IAM user (the server's
// refusal then stands).
func (f *Front) mysqlIAM(c, refused net.Conn, ch clientHello, refusal mysqlPacket) (bool, error) {
	pw, ok := f.iamPassword(ch.user)
	if !ok {
		return false, nil
	}
	server, err := f.mysqlLogin(ch, pw)
	if err != nil {
		return false, nil //nolint:nilerr // not an IAM user: the first refusal answers
	}
	_ = refused.Close()
	defer func() { _ = server.Close() }()
	seq := refusal.seq // the client awaits this sequence number next
	if err := writeMySQL(c, seq, append([]byte("\xfemysql_clear_password\x00"), 0)); err != nil {
		return true, err
	}
	tok, err := readMySQL(c)
	if err != nil {
		return true, err
	}
	token := strings.TrimRight(string(tok.payload), "\x00")
	if f.cfg.Verify == nil {
		return true, writeMySQL(c, tok.seq+1, mysqlErr(1045, "28000", fmt.Sprintf("Access denied for user '%s'@'%s' (using password: YES)", ch.user, hostOf(c))))
	}
	if err := f.cfg.Verify(context.Background(), ch.user, token); err != nil {
		f.cfg.Log.Info("dbfront: IAM token refused", "user", ch.user, "err", err)
		return true, writeMySQL(c, tok.seq+1, mysqlErr(1045, "28000", fmt.Sprintf("Access denied for user '%s'@'%s' (using password: YES)", ch.user, hostOf(c))))
	}
	if err := writeMySQL(c, tok.seq+1, []byte{0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00}); err != nil { // OK
		return true, err
	}
	return true, pipe(c, server, f.mysqlUp)
}

func hostOf(c net.Conn) string {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	return "localhost"
}

// mysqlLogin opens a session on the server as ch's user with password,
// in ch's database; it errs when the server refuses.
func (f *Front) mysqlLogin(ch clientHello, password string) (net.Conn, error) {
	server, err := f.dialBackend()
	if err != nil {
		return nil, err
	}
	fail := func(err error) (net.Conn, error) {
		_ = server.Close()
		return nil, err
	}
	hello, err := readMySQL(server)
	if err != nil {
		return fail(err)
	}
	h, err := parseHello(hello.payload)
	if err != nil {
		return fail(err)
	}
	if err := writeMySQL(server, hello.seq+1, ch.encode(nativeScramble(h.salt, password), "mysql_native_password")); err != nil {
		return fail(err)
	}
	for range 3 {
		p, err := readMySQL(server)
		if err != nil {
			return fail(err)
		}
		switch {
		case len(p.payload) > 0 && p.payload[0] == 0x00:
			return server, nil
		case len(p.payload) > 0 && p.payload[0] == 0xfe: // switch: mysql_native_password with a new salt
			rest := p.payload[1:]
			i := bytes.IndexByte(rest, 0)
			if i < 0 || string(rest[:i]) != "mysql_native_password" || len(rest) < i+21 {
				return fail(errors.New("dbfront: unexpected auth switch"))
			}
			if err := writeMySQL(server, p.seq+1, nativeScramble(rest[i+1:i+21], password)); err != nil {
				return fail(err)
			}
		default:
			return fail(errors.New("dbfront: refused"))
		}
	}
	return fail(errors.New("dbfront: login did not finish"))
}

// mysqlUp relays client packets to the server, rewriting the statements
// that set a user up for IAM authentication.
func (f *Front) mysqlUp(dst io.Writer, src io.Reader) error {
	for {
		p, err := readMySQL(src)
		if err != nil {
			return err
		}
		if p.seq == 0 && len(p.payload) > 1 && p.payload[0] == comQuery && len(p.payload) < maxMySQLPacket {
			if q, ok := RewriteMySQL(string(p.payload[1:]), f.cfg.Key); ok {
				p.payload = append([]byte{comQuery}, q...)
			}
		}
		if err := writeMySQL(dst, p.seq, p.payload); err != nil {
			return err
		}
	}
}

// mysqlIAMStmt is CREATE USER / ALTER USER ... IDENTIFIED WITH
// AWSAuthenticationPlugin AS 'RDS' (one user).
var mysqlIAMStmt = lazyre.New("(?is)^(\\s*(?:CREATE|ALTER)\\s+USER\\s+(?:IF\\s+(?:NOT\\s+)?EXISTS\\s+)?)((?:'[^']*'|\"[^\"]*\"|`[^`]*`|[A-Za-z0-9_$]+)(?:\\s*@\\s*(?:'[^']*'|\"[^\"]*\"|`[^`]*`|[A-Za-z0-9_.%$-]+))?)(\\s+IDENTIFIED\\s+WITH\\s+['\"`]?AWSAuthenticationPlugin['\"`]?\\s+AS\\s+'RDS')(.*)$")

// RewriteMySQL turns a statement that sets a user up for IAM
// authentication into one giving the user its niwa-held password; ok is
// false for any other statement.
func RewriteMySQL(q string, key []byte) (string, bool) {
	m := mysqlIAMStmt.FindStringSubmatch(q)
	if m == nil {
		return q, false
	}
	account := m[2]
	name := account
	if q := account[0]; q == '\'' || q == '"' || q == '`' {
		name = account[1 : 1+strings.IndexByte(account[1:], q)]
	} else if i := strings.IndexByte(account, '@'); i >= 0 {
		name = strings.TrimSpace(account[:i])
	}
	pw := Password(key, name)
	return m[1] + account + " IDENTIFIED BY '" + pw + "'" + m[4], true
}
