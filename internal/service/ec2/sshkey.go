package ec2

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
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
