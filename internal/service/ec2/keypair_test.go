package ec2

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// rfc4716 renders a wire blob as ssh-keygen -e does, with a quoted,
// continued Comment header.
func rfc4716(blob []byte) string {
	b64 := base64.StdEncoding.EncodeToString(blob)
	var lines []string
	for len(b64) > 70 {
		lines = append(lines, b64[:70])
		b64 = b64[70:]
	}
	lines = append(lines, b64)
	return "---- BEGIN SSH2 PUBLIC KEY ----\nComment: \"2048-bit RSA, converted by me@host from \\\nOpenSSH\"\n" + strings.Join(lines, "\n") + "\n---- END SSH2 PUBLIC KEY ----\n"
}

func TestImportKeyPairFormats(t *testing.T) {
	f := newFixture(t, "us-east-1")
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	pkix, _ := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	md := md5.Sum(pkix)
	rsaFP := colonHex(md[:])
	_, edBlob := sshPublicBlob(edPub)
	sh := sha256.Sum256(edBlob)
	edFP := base64.StdEncoding.EncodeToString(sh[:])
	edPKIX, _ := x509.MarshalPKIXPublicKey(edPub)
	_, rsaBlob := sshPublicBlob(&rk.PublicKey)

	// Go refuses to generate RSA keys under 1024 bits; a public key
	// needs only a modulus of that size.
	small := &rsa.PrivateKey{PublicKey: rsa.PublicKey{N: new(big.Int).Rsh(rk.N, 1536), E: 65537}}
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	ecDER, _ := x509.MarshalPKIXPublicKey(&ec.PublicKey)

	cases := []struct {
		name, material, typ, fingerprint string
	}{
		{"openssh rsa", authorizedKey(&rk.PublicKey) + " me@host\n", "rsa", rsaFP},
		{"openssh ed25519", authorizedKey(edPub) + " me@host", "ed25519", edFP},
		{"rfc4716 rsa", rfc4716(rsaBlob), "rsa", rsaFP},
		{"rfc4716 ed25519 crlf", strings.ReplaceAll(rfc4716(edBlob), "\n", "\r\n"), "ed25519", edFP},
		{"pem pkix", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix})), "rsa", rsaFP},
		{"pem pkcs1", string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&rk.PublicKey)})), "rsa", rsaFP},
		{"pem ed25519", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: edPKIX})), "ed25519", edFP},
		{"der", string(pkix), "rsa", rsaFP},
		{"base64 der", base64.StdEncoding.EncodeToString(pkix), "rsa", rsaFP},
		{"double-encoded openssh", base64.StdEncoding.EncodeToString([]byte(authorizedKey(&rk.PublicKey))), "rsa", rsaFP},
		{"garbage", "not a key", "", ""},
		{"empty", "", "", ""},
		{"type mismatch", "ssh-ed25519 " + base64.StdEncoding.EncodeToString(rsaBlob), "", ""},
		{"rsa under 1024 bits", authorizedKey(&small.PublicKey), "", ""},
		{"ecdsa", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: ecDER})), "", ""},
		{"rfc4716 without end", strings.Split(rfc4716(rsaBlob), "---- END")[0], "", ""},
		{"private key", string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rk)})), "", ""},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			name := "k" + string(rune('a'+i))
			out, err := f.ImportKeyPair(f.ctx, &ec2api.ImportKeyPairRequest{KeyName: ptr.To(name), PublicKeyMaterial: []byte(c.material)})
			if c.typ == "" {
				wantErr(t, err, "InvalidKey.Format", "Key is not in valid OpenSSH public key format")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := ptr.Deref(out.KeyFingerprint); got != c.fingerprint {
				t.Errorf("fingerprint = %s, want %s", got, c.fingerprint)
			}
			d, err := f.DescribeKeyPairs(f.ctx, &ec2api.DescribeKeyPairsRequest{KeyNames: []string{name}, IncludePublicKey: ptr.To(true)})
			if err != nil {
				t.Fatal(err)
			}
			k := d.KeyPairs[0]
			if ptr.Deref(k.KeyType) != c.typ || !strings.HasPrefix(ptr.Deref(k.PublicKey), "ssh-"+map[string]string{"rsa": "rsa ", "ed25519": "ed25519 "}[c.typ]) {
				t.Errorf("described type %s public key %q", ptr.Deref(k.KeyType), ptr.Deref(k.PublicKey))
			}
		})
	}
	_, err = f.ImportKeyPair(f.ctx, &ec2api.ImportKeyPairRequest{KeyName: ptr.To("ka"), PublicKeyMaterial: []byte(authorizedKey(edPub))})
	wantErr(t, err, "InvalidKeyPair.Duplicate", "The keypair 'ka' already exists.")
	d := must(f.DescribeKeyPairs(f.ctx, &ec2api.DescribeKeyPairsRequest{Filters: []ec2api.Filter{{Name: ptr.To("key-type"), Values: []string{"ed25519"}}}}))
	if len(d.KeyPairs) != 3 || d.KeyPairs[0].PublicKey != nil {
		t.Errorf("key-type filter: %+v", d.KeyPairs)
	}
}

func FuzzParsePublicKeyMaterial(f *testing.F) {
	rk, _ := rsa.GenerateKey(rand.Reader, 1024)
	_, blob := sshPublicBlob(&rk.PublicKey)
	pkix, _ := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	f.Add([]byte(authorizedKey(&rk.PublicKey)))
	f.Add([]byte(rfc4716(blob)))
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pkix}))
	f.Add(pkix)
	f.Add([]byte("---- BEGIN SSH2 PUBLIC KEY ----\nA: \\\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pub, err := parsePublicKeyMaterial(b)
		if err == nil {
			if typ, _ := sshPublicBlob(pub); typ == "" {
				t.Fatalf("accepted a %T", pub)
			}
		}
	})
}
