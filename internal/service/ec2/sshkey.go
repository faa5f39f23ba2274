package ec2

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"math/big"
	"strings"
)

// The few pieces of the OpenSSH key formats EC2 needs (authorized_keys
// lines for public keys, the openssh-key-v1 container for ED25519 private
// keys), written here rather than pulling in golang.org/x/crypto for them.

func sshString(b []byte) []byte {
	out := make([]byte, 4+len(b))
	binary.BigEndian.PutUint32(out, uint32(len(b)))
	copy(out[4:], b)
	return out
}

func sshMpint(n *big.Int) []byte {
	b := n.Bytes()
	if len(b) > 0 && b[0]&0x80 != 0 {
		b = append([]byte{0}, b...)
	}
	return sshString(b)
}

// sshPublicBlob is the wire form of a public key.
func sshPublicBlob(pub any) (string, []byte) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		var b []byte
		b = append(b, sshString([]byte("ssh-rsa"))...)
		b = append(b, sshMpint(big.NewInt(int64(k.E)))...)
		b = append(b, sshMpint(k.N)...)
		return "ssh-rsa", b
	case ed25519.PublicKey:
		var b []byte
		b = append(b, sshString([]byte("ssh-ed25519"))...)
		b = append(b, sshString(k)...)
		return "ssh-ed25519", b
	}
	return "", nil
}

func authorizedKey(pub any) string {
	typ, blob := sshPublicBlob(pub)
	return typ + " " + base64.StdEncoding.EncodeToString(blob)
}

func readSSHString(b []byte) ([]byte, []byte, error) {
	if len(b) < 4 {
		return nil, nil, errors.New("short")
	}
	n := binary.BigEndian.Uint32(b)
	if uint32(len(b)-4) < n {
		return nil, nil, errors.New("short")
	}
	return b[4 : 4+n], b[4+n:], nil
}

// parseAuthorizedKey reads "ssh-rsa AAAA... comment" or an ED25519 key.
func parseAuthorizedKey(line string) (any, []byte, error) {
	f := strings.Fields(strings.TrimSpace(line))
	if len(f) < 2 {
		return nil, nil, errors.New("not an authorized key")
	}
	blob, err := base64.StdEncoding.DecodeString(f[1])
	if err != nil {
		return nil, nil, err
	}
	typ, rest, err := readSSHString(blob)
	if err != nil || string(typ) != f[0] {
		return nil, nil, errors.New("type mismatch")
	}
	switch string(typ) {
	case "ssh-rsa":
		e, rest, err := readSSHString(rest)
		if err != nil {
			return nil, nil, err
		}
		n, _, err := readSSHString(rest)
		if err != nil {
			return nil, nil, err
		}
		return &rsa.PublicKey{E: int(new(big.Int).SetBytes(e).Int64()), N: new(big.Int).SetBytes(n)}, blob, nil
	case "ssh-ed25519":
		k, _, err := readSSHString(rest)
		if err != nil || len(k) != ed25519.PublicKeySize {
			return nil, nil, errors.New("bad ed25519 key")
		}
		return ed25519.PublicKey(k), blob, nil
	}
	return nil, nil, errors.New("unsupported key type")
}

// ed25519PrivatePEM is an unencrypted openssh-key-v1 private key.
func ed25519PrivatePEM(pub ed25519.PublicKey, priv ed25519.PrivateKey) string {
	_, pubBlob := sshPublicBlob(pub)
	var check [4]byte
	_, _ = rand.Read(check[:])
	var inner []byte
	inner = append(inner, check[:]...)
	inner = append(inner, check[:]...)
	inner = append(inner, sshString([]byte("ssh-ed25519"))...)
	inner = append(inner, sshString(pub)...)
	inner = append(inner, sshString(priv)...)
	inner = append(inner, sshString(nil)...) // comment
	for i := byte(1); len(inner)%8 != 0; i++ {
		inner = append(inner, i)
	}
	var b []byte
	b = append(b, []byte("openssh-key-v1\x00")...)
	b = append(b, sshString([]byte("none"))...)
	b = append(b, sshString([]byte("none"))...)
	b = append(b, sshString(nil)...)
	b = append(b, 0, 0, 0, 1)
	b = append(b, sshString(pubBlob)...)
	b = append(b, sshString(inner)...)
	return strings.TrimSpace(string(pem.EncodeToMemory(&pem.Block{Type: "OPENSSH PRIVATE KEY", Bytes: b})))
}

// errKeyFormat is why parsePublicKeyMaterial refused a key; the handler
// turns it into EC2's InvalidKey.Format.
var errKeyFormat = errors.New("key is not in a supported format")

// maxKeyMaterial bounds what the parser looks at: the largest RSA key EC2
// takes (4096 bits) is well under 1 KiB in any of its formats.
const maxKeyMaterial = 16 << 10

// parsePublicKeyMaterial reads the public key of ImportKeyPair in every
// format EC2 documents: an OpenSSH authorized_keys line ("ssh-rsa AAAA…",
// "ssh-ed25519 AAAA…"), the SSH2 public key file of RFC 4716 ("---- BEGIN
// SSH2 PUBLIC KEY ----"), a PEM public key (PKIX "PUBLIC KEY" or PKCS#1
// "RSA PUBLIC KEY") and DER, raw or base64-encoded. Clients base64-encode
// the material on the wire and the codec decodes it once; a client that
// encodes twice (CLI v1 reading a text file with fileb://) leaves base64
// text, which is decoded here once more. Only RSA (1024 bits or more) and
// ED25519 keys are accepted, as on EC2.
func parsePublicKeyMaterial(raw []byte) (any, error) {
	if len(raw) > maxKeyMaterial {
		return nil, errKeyFormat
	}
	pub, err := parsePublicKeyOnce(raw)
	if err != nil {
		dec, derr := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(raw)), ""))
		if derr != nil || len(dec) == 0 {
			return nil, err
		}
		if pub, err = parsePublicKeyOnce(dec); err != nil {
			return nil, err
		}
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if k.N.BitLen() < 1024 || k.E < 3 || k.E&1 == 0 {
			return nil, errKeyFormat
		}
	case ed25519.PublicKey:
	default:
		return nil, errKeyFormat
	}
	return pub, nil
}

func parsePublicKeyOnce(raw []byte) (any, error) {
	text := strings.TrimSpace(string(raw))
	switch {
	case strings.HasPrefix(text, "ssh-"):
		pub, _, err := parseAuthorizedKey(text)
		if err != nil {
			return nil, errKeyFormat
		}
		return pub, nil
	case strings.HasPrefix(text, "---- BEGIN SSH2 PUBLIC KEY ----"):
		return parseRFC4716(text)
	case strings.HasPrefix(text, "-----BEGIN"):
		block, _ := pem.Decode([]byte(text))
		if block == nil {
			return nil, errKeyFormat
		}
		switch block.Type {
		case "PUBLIC KEY", "RSA PUBLIC KEY":
			return parseDERPublicKey(block.Bytes)
		}
		return nil, errKeyFormat
	}
	return parseDERPublicKey(raw)
}

// parseDERPublicKey reads a PKIX SubjectPublicKeyInfo or a PKCS#1 RSA
// public key.
func parseDERPublicKey(der []byte) (any, error) {
	if pub, err := x509.ParsePKIXPublicKey(der); err == nil {
		return pub, nil
	}
	if pub, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return pub, nil
	}
	return nil, errKeyFormat
}

// parseRFC4716 reads "---- BEGIN SSH2 PUBLIC KEY ----" files: header
// lines ("Tag: value", continued by a trailing backslash) then the base64
// of the key's wire blob, then the END line.
func parseRFC4716(text string) (any, error) {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	var body strings.Builder
	continued, ended := false, false
	for _, l := range lines[1:] {
		l = strings.TrimSpace(l)
		switch {
		case l == "---- END SSH2 PUBLIC KEY ----":
			ended = true
		case ended:
			if l != "" {
				return nil, errKeyFormat
			}
		case continued:
			continued = strings.HasSuffix(l, "\\")
		case strings.Contains(l, ":"):
			continued = strings.HasSuffix(l, "\\")
		default:
			body.WriteString(l)
		}
	}
	if !ended {
		return nil, errKeyFormat
	}
	blob, err := base64.StdEncoding.DecodeString(body.String())
	if err != nil {
		return nil, errKeyFormat
	}
	typ, _, err := readSSHString(blob)
	if err != nil {
		return nil, errKeyFormat
	}
	pub, _, err := parseAuthorizedKey(string(typ) + " " + base64.StdEncoding.EncodeToString(blob))
	if err != nil {
		return nil, errKeyFormat
	}
	return pub, nil
}
