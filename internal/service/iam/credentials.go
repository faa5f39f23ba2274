package iam

import (
	"crypto"
	"crypto/md5"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/pem"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"time"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// A user's other credentials: SSH public keys (CodeCommit), X.509 signing
// certificates, service-specific credentials (CodeCommit, Keyspaces,
// Bedrock); and the account's server certificates.

type sshKey struct {
	ID          string    `json:"id"`
	Body        string    `json:"body"`
	Fingerprint string    `json:"fp"`
	Status      string    `json:"status"`
	UploadDate  time.Time `json:"uploaded"`
}

type signingCert struct {
	ID         string    `json:"id"`
	Body       string    `json:"body"`
	Status     string    `json:"status"`
	UploadDate time.Time `json:"uploaded"`
}

type serviceCredential struct {
	ID         string    `json:"id"`
	Service    string    `json:"service"`
	UserName   string    `json:"serviceUser"`
	Password   string    `json:"password"`
	Status     string    `json:"status"`
	CreateDate time.Time `json:"created"`
}

type serverCertRecord struct {
	Name       string    `json:"name"`
	ID         string    `json:"id"`
	Path       string    `json:"path"`
	Body       string    `json:"body"`
	Chain      string    `json:"chain,omitempty"`
	UploadDate time.Time `json:"uploaded"`
	Expiration time.Time `json:"expires"`
	Tags       []tag     `json:"tags,omitempty"`
}

const (
	maxSSHKeysPerUser      = 5
	maxSigningCertsPerUser = 2
	maxCredsPerService     = 2
	maxServerCerts         = 20
)

func checkStatus(v *string) (string, error) {
	s := ptr.Deref(v)
	if s != "Active" && s != "Inactive" {
		return "", validation("Value '%s' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]", s)
	}
	return s, nil
}

// --- SSH public keys -----------------------------------------------------

// sshKeyBlob returns the wire-format blob of an ssh-rsa public key in
// OpenSSH ("ssh-rsa AAAA... comment") or PEM (PKIX or PKCS#1) encoding,
// the two encodings IAM accepts.
func sshKeyBlob(body string) ([]byte, bool, error) {
	body = strings.TrimSpace(body)
	if strings.HasPrefix(body, "-----BEGIN") {
		b, _ := pem.Decode([]byte(body))
		if b == nil {
			return nil, false, fmt.Errorf("bad PEM")
		}
		var pub any
		var err error
		if pub, err = x509.ParsePKIXPublicKey(b.Bytes); err != nil {
			if pub, err = x509.ParsePKCS1PublicKey(b.Bytes); err != nil {
				return nil, false, err
			}
		}
		rk, ok := pub.(*rsa.PublicKey)
		if !ok {
			return nil, false, fmt.Errorf("not RSA")
		}
		return rsaBlob(rk), true, nil
	}
	f := strings.Fields(body)
	if len(f) < 2 {
		return nil, false, fmt.Errorf("not an OpenSSH key")
	}
	if f[0] != "ssh-rsa" {
		return nil, false, errUnrecognized
	}
	blob, err := base64.StdEncoding.DecodeString(f[1])
	if err != nil {
		return nil, false, err
	}
	if _, err := blobRSA(blob); err != nil {
		return nil, false, err
	}
	return blob, false, nil
}

// blobRSA reads an ssh-rsa wire-format blob: string "ssh-rsa", mpint e,
// mpint n, nothing after; a modulus of at least 2048 bits, the least IAM
// accepts.
func blobRSA(blob []byte) (*rsa.PublicKey, error) {
	rest := blob
	var parts [][]byte
	for i := 0; i < 3; i++ {
		if len(rest) < 4 {
			return nil, fmt.Errorf("short blob")
		}
		n := binary.BigEndian.Uint32(rest)
		if uint64(n) > uint64(len(rest)-4) {
			return nil, fmt.Errorf("short blob")
		}
		parts = append(parts, rest[4:4+n])
		rest = rest[4+n:]
	}
	e := new(big.Int).SetBytes(parts[1])
	if string(parts[0]) != "ssh-rsa" || len(rest) != 0 || new(big.Int).SetBytes(parts[2]).BitLen() < 2048 || !e.IsInt64() || e.Int64() > 1<<31-1 || e.Int64() < 3 {
		return nil, fmt.Errorf("bad ssh-rsa key")
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(parts[2]), E: int(e.Int64())}, nil
}

var errUnrecognized = fmt.Errorf("unrecognized encoding")

func rsaBlob(k *rsa.PublicKey) []byte {
	str := func(b []byte) []byte {
		out := binary.BigEndian.AppendUint32(nil, uint32(len(b)))
		return append(out, b...)
	}
	mpint := func(n *big.Int) []byte {
		b := n.Bytes()
		if len(b) > 0 && b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return str(b)
	}
	out := str([]byte("ssh-rsa"))
	out = append(out, mpint(big.NewInt(int64(k.E)))...)
	return append(out, mpint(k.N)...)
}

// sshFingerprint is the MD5 fingerprint IAM reports (colon-separated hex).
func sshFingerprint(blob []byte) string {
	sum := md5.Sum(blob)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02x", b)
	}
	return strings.Join(parts, ":")
}

func (s *IAM) UploadSSHPublicKey(ctx *request.Context, in *iamapi.UploadSSHPublicKeyInput) (*iamapi.UploadSSHPublicKeyOutput, error) {
	body, err := required("sSHPublicKeyBody", in.SSHPublicKeyBody)
	if err != nil {
		return nil, err
	}
	blob, _, err := sshKeyBlob(body)
	switch {
	case err == errUnrecognized:
		return nil, iamapi.ErrUnrecognizedPublicKeyEncodingException.New("The public key encoding format is unsupported or unrecognized.")
	case err != nil:
		return nil, iamapi.ErrInvalidPublicKeyException.New("The public key is malformed or otherwise invalid.")
	}
	k := sshKey{ID: newID("APKA"), Body: strings.TrimSpace(body), Fingerprint: sshFingerprint(blob), Status: "Active", UploadDate: now(ctx)}
	var name string
	err = s.updateUser(ctx, in.UserName, func(_ storage.Tx, _ storage.Scope, u *userRecord) error {
		for _, e := range u.SSHKeys {
			if e.Fingerprint == k.Fingerprint {
				return iamapi.ErrDuplicateSSHPublicKeyException.New("The SSH public key is already associated with the specified IAM user.")
			}
		}
		if len(u.SSHKeys) >= maxSSHKeysPerUser {
			return limitExceeded("Cannot exceed quota for SSHPublicKeysPerUser: %d", maxSSHKeysPerUser)
		}
		u.SSHKeys = append(u.SSHKeys, k)
		name = u.Name
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UploadSSHPublicKeyOutput{SSHPublicKey: sshOut(name, &k, "SSH")}, nil
}

func sshOut(user string, k *sshKey, encoding string) *iamapi.SSHPublicKey {
	body := k.Body
	if encoding == "PEM" && !strings.HasPrefix(body, "-----BEGIN") {
		if blob, _, err := sshKeyBlob(body); err == nil {
			if pub, err := blobRSA(blob); err == nil {
				der := x509.MarshalPKCS1PublicKey(pub)
				body = string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: der}))
			}
		}
	}
	return &iamapi.SSHPublicKey{UserName: ptr.To(user), SSHPublicKeyId: ptr.To(k.ID), Fingerprint: ptr.To(k.Fingerprint),
		SSHPublicKeyBody: ptr.To(body), Status: ptr.To(k.Status), UploadDate: ptr.To(k.UploadDate)}
}

func noSuchSSHKey(id string) error {
	return iamapi.ErrNoSuchEntityException.New("The Public Key with id %s cannot be found.", id)
}

func (s *IAM) GetSSHPublicKey(ctx *request.Context, in *iamapi.GetSSHPublicKeyInput) (*iamapi.GetSSHPublicKeyOutput, error) {
	u, err := s.viewUser(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	for _, k := range u.SSHKeys {
		if k.ID == ptr.Deref(in.SSHPublicKeyId) {
			return &iamapi.GetSSHPublicKeyOutput{SSHPublicKey: sshOut(u.Name, &k, ptr.Deref(in.Encoding))}, nil
		}
	}
	return nil, noSuchSSHKey(ptr.Deref(in.SSHPublicKeyId))
}

func (s *IAM) ListSSHPublicKeys(ctx *request.Context, in *iamapi.ListSSHPublicKeysInput) (*iamapi.ListSSHPublicKeysOutput, error) {
	p, err := newPage(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	user, err := callerUserName(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListSSHPublicKeysOutput{SSHPublicKeys: []iamapi.SSHPublicKeyMetadata{}, IsTruncated: ptr.To(false)}
	if user == "" {
		return out, nil
	}
	u, err := s.viewUser(ctx, &user)
	if err != nil {
		return nil, err
	}
	start, end, res := p.sliceWindow(len(u.SSHKeys), func(i int) string { return u.SSHKeys[i].UploadDate.Format(time.RFC3339Nano) + u.SSHKeys[i].ID })
	out.IsTruncated, out.Marker = res.IsTruncated, res.Marker
	for _, k := range u.SSHKeys[start:end] {
		out.SSHPublicKeys = append(out.SSHPublicKeys, iamapi.SSHPublicKeyMetadata{UserName: ptr.To(u.Name), SSHPublicKeyId: ptr.To(k.ID), Status: ptr.To(k.Status), UploadDate: ptr.To(k.UploadDate)})
	}
	return out, nil
}

func (s *IAM) UpdateSSHPublicKey(ctx *request.Context, in *iamapi.UpdateSSHPublicKeyInput) (*iamapi.UpdateSSHPublicKeyOutput, error) {
	status, err := checkStatus(in.Status)
	if err != nil {
		return nil, err
	}
	return empty[iamapi.UpdateSSHPublicKeyOutput](s.updateUser(ctx, in.UserName, func(_ storage.Tx, _ storage.Scope, u *userRecord) error {
		i := slices.IndexFunc(u.SSHKeys, func(k sshKey) bool { return k.ID == ptr.Deref(in.SSHPublicKeyId) })
		if i < 0 {
			return noSuchSSHKey(ptr.Deref(in.SSHPublicKeyId))
		}
		u.SSHKeys[i].Status = status
		return nil
	}))
}

func (s *IAM) DeleteSSHPublicKey(ctx *request.Context, in *iamapi.DeleteSSHPublicKeyInput) (*iamapi.DeleteSSHPublicKeyOutput, error) {
	return empty[iamapi.DeleteSSHPublicKeyOutput](s.updateUser(ctx, in.UserName, func(_ storage.Tx, _ storage.Scope, u *userRecord) error {
		i := slices.IndexFunc(u.SSHKeys, func(k sshKey) bool { return k.ID == ptr.Deref(in.SSHPublicKeyId) })
		if i < 0 {
			return noSuchSSHKey(ptr.Deref(in.SSHPublicKeyId))
		}
		u.SSHKeys = slices.Delete(u.SSHKeys, i, i+1)
		return nil
	}))
}

// --- certificates ----------------------------------------------------------

// parseCertificate reads one PEM certificate, as IAM requires of a
// certificate body.
func parseCertificate(body string) (*x509.Certificate, error) {
	b, rest := pem.Decode([]byte(strings.TrimSpace(body)))
	if b == nil || b.Type != "CERTIFICATE" || len(strings.TrimSpace(string(rest))) > 0 {
		return nil, iamapi.ErrMalformedCertificateException.New("Unable to parse certificate. Please ensure the certificate is in PEM format.")
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		return nil, iamapi.ErrMalformedCertificateException.New("Unable to parse certificate. Please ensure the certificate is in PEM format.")
	}
	return c, nil
}

func parsePrivateKey(body string) (crypto.Signer, error) {
	b, _ := pem.Decode([]byte(strings.TrimSpace(body)))
	if b == nil {
		return nil, iamapi.ErrMalformedCertificateException.New("Unable to parse private key.")
	}
	if k, err := x509.ParsePKCS1PrivateKey(b.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParseECPrivateKey(b.Bytes); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS8PrivateKey(b.Bytes); err == nil {
		if s, ok := k.(crypto.Signer); ok {
			return s, nil
		}
	}
	return nil, iamapi.ErrMalformedCertificateException.New("Unable to parse private key.")
}

type publicKeyEqualer interface{ Equal(crypto.PublicKey) bool }

func (s *IAM) UploadServerCertificate(ctx *request.Context, in *iamapi.UploadServerCertificateInput) (*iamapi.UploadServerCertificateOutput, error) {
	name, err := required("serverCertificateName", in.ServerCertificateName)
	if err != nil {
		return nil, err
	}
	path, err := checkPath("path", in.Path)
	if err != nil {
		return nil, err
	}
	tags, err := readTags(in.Tags)
	if err != nil {
		return nil, err
	}
	cert, err := parseCertificate(ptr.Deref(in.CertificateBody))
	if err != nil {
		return nil, err
	}
	key, err := parsePrivateKey(ptr.Deref(in.PrivateKey))
	if err != nil {
		return nil, err
	}
	if pk, ok := cert.PublicKey.(publicKeyEqualer); !ok || !pk.Equal(key.Public()) {
		return nil, iamapi.ErrKeyPairMismatchException.New("Public key certificate and private key doesn't match.")
	}
	if in.CertificateChain != nil {
		rest := []byte(*in.CertificateChain)
		n := 0
		for {
			var b *pem.Block
			b, rest = pem.Decode(rest)
			if b == nil {
				break
			}
			if _, err := x509.ParseCertificate(b.Bytes); err != nil {
				return nil, iamapi.ErrMalformedCertificateException.New("Unable to parse certificate chain.")
			}
			n++
		}
		if n == 0 {
			return nil, iamapi.ErrMalformedCertificateException.New("Unable to parse certificate chain.")
		}
	}
	rec := serverCertRecord{Name: name, ID: newID("ASCA"), Path: path, Body: strings.TrimSpace(*in.CertificateBody), Chain: ptr.Deref(in.CertificateChain),
		UploadDate: now(ctx), Expiration: cert.NotAfter.UTC(), Tags: tags}
	sc := scope(ctx)
	err = s.store.Update(func(tx storage.Tx) error {
		if _, found, err := serverCerts.Get(tx, sc, lower(name)); err != nil || found {
			if found {
				return iamapi.ErrEntityAlreadyExistsException.New("The Server Certificate with name %s already exists.", name)
			}
			return err
		}
		n, err := countTable(tx, serverCerts, sc)
		if err != nil {
			return err
		}
		if n >= maxServerCerts {
			return limitExceeded("Cannot exceed quota for ServerCertificatesPerAccount: %d", maxServerCerts)
		}
		return serverCerts.Put(tx, sc, rec, lower(name))
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UploadServerCertificateOutput{ServerCertificateMetadata: serverCertMeta(ctx.Account, &rec), Tags: tagsOut(tags)}, nil
}

func serverCertMeta(account string, c *serverCertRecord) *iamapi.ServerCertificateMetadata {
	return &iamapi.ServerCertificateMetadata{Path: ptr.To(c.Path), ServerCertificateName: ptr.To(c.Name), ServerCertificateId: ptr.To(c.ID),
		Arn: ptr.To(arnOf(account, "server-certificate", c.Path, c.Name)), UploadDate: ptr.To(c.UploadDate), Expiration: ptr.To(c.Expiration)}
}

func noSuchServerCert(name string) error {
	return iamapi.ErrNoSuchEntityException.New("The Server Certificate with name %s cannot be found.", name)
}

func (s *IAM) viewServerCert(ctx *request.Context, name *string) (serverCertRecord, error) {
	n, err := required("serverCertificateName", name)
	if err != nil {
		return serverCertRecord{}, err
	}
	var c serverCertRecord
	var found bool
	err = s.store.View(func(tx storage.Tx) error {
		c, found, err = serverCerts.Get(tx, scope(ctx), lower(n))
		return err
	})
	if err == nil && !found {
		err = noSuchServerCert(n)
	}
	return c, err
}

func (s *IAM) updateServerCert(ctx *request.Context, name *string, fn func(tx storage.Tx, sc storage.Scope, c *serverCertRecord) error) error {
	n, err := required("serverCertificateName", name)
	if err != nil {
		return err
	}
	sc := scope(ctx)
	return s.store.Update(func(tx storage.Tx) error {
		c, found, err := serverCerts.Get(tx, sc, lower(n))
		if err != nil {
			return err
		}
		if !found {
			return noSuchServerCert(n)
		}
		old := lower(c.Name)
		if err := fn(tx, sc, &c); err != nil {
			return err
		}
		if lower(c.Name) != old {
			if err := serverCerts.Delete(tx, sc, old); err != nil {
				return err
			}
		}
		return serverCerts.Put(tx, sc, c, lower(c.Name))
	})
}

func (s *IAM) GetServerCertificate(ctx *request.Context, in *iamapi.GetServerCertificateInput) (*iamapi.GetServerCertificateOutput, error) {
	c, err := s.viewServerCert(ctx, in.ServerCertificateName)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ServerCertificate{ServerCertificateMetadata: serverCertMeta(ctx.Account, &c), CertificateBody: ptr.To(c.Body), Tags: tagsOut(c.Tags)}
	if c.Chain != "" {
		out.CertificateChain = ptr.To(c.Chain)
	}
	return &iamapi.GetServerCertificateOutput{ServerCertificate: out}, nil
}

func (s *IAM) ListServerCertificates(ctx *request.Context, in *iamapi.ListServerCertificatesInput) (*iamapi.ListServerCertificatesOutput, error) {
	p, err := newPage(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	prefix := pathPrefix(in.PathPrefix)
	var list []serverCertRecord
	err = s.store.View(func(tx storage.Tx) error {
		return serverCerts.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, c serverCertRecord) bool {
			if strings.HasPrefix(c.Path, prefix) {
				list = append(list, c)
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	start, end, res := p.sliceWindow(len(list), func(i int) string { return lower(list[i].Name) })
	out := &iamapi.ListServerCertificatesOutput{ServerCertificateMetadataList: []iamapi.ServerCertificateMetadata{}, IsTruncated: res.IsTruncated, Marker: res.Marker}
	for _, c := range list[start:end] {
		out.ServerCertificateMetadataList = append(out.ServerCertificateMetadataList, *serverCertMeta(ctx.Account, &c))
	}
	return out, nil
}

func (s *IAM) UpdateServerCertificate(ctx *request.Context, in *iamapi.UpdateServerCertificateInput) (*iamapi.UpdateServerCertificateOutput, error) {
	var newPath string
	if in.NewPath != nil {
		p, err := checkPath("newPath", in.NewPath)
		if err != nil {
			return nil, err
		}
		newPath = p
	}
	return empty[iamapi.UpdateServerCertificateOutput](s.updateServerCert(ctx, in.ServerCertificateName, func(tx storage.Tx, sc storage.Scope, c *serverCertRecord) error {
		if n := ptr.Deref(in.NewServerCertificateName); n != "" && lower(n) != lower(c.Name) {
			if _, found, err := serverCerts.Get(tx, sc, lower(n)); err != nil || found {
				if found {
					return iamapi.ErrEntityAlreadyExistsException.New("The Server Certificate with name %s already exists.", n)
				}
				return err
			}
			c.Name = n
		} else if n != "" {
			c.Name = n
		}
		if newPath != "" {
			c.Path = newPath
		}
		return nil
	}))
}

func (s *IAM) DeleteServerCertificate(ctx *request.Context, in *iamapi.DeleteServerCertificateInput) (*iamapi.DeleteServerCertificateOutput, error) {
	c, err := s.viewServerCert(ctx, in.ServerCertificateName)
	if err != nil {
		return nil, err
	}
	return empty[iamapi.DeleteServerCertificateOutput](s.store.Update(func(tx storage.Tx) error {
		return serverCerts.Delete(tx, scope(ctx), lower(c.Name))
	}))
}

func (s *IAM) TagServerCertificate(ctx *request.Context, in *iamapi.TagServerCertificateInput) (*iamapi.TagServerCertificateOutput, error) {
	return empty[iamapi.TagServerCertificateOutput](s.updateServerCert(ctx, in.ServerCertificateName, func(_ storage.Tx, _ storage.Scope, c *serverCertRecord) error {
		t, err := mergeTags(c.Tags, in.Tags)
		c.Tags = t
		return err
	}))
}

func (s *IAM) UntagServerCertificate(ctx *request.Context, in *iamapi.UntagServerCertificateInput) (*iamapi.UntagServerCertificateOutput, error) {
	return empty[iamapi.UntagServerCertificateOutput](s.updateServerCert(ctx, in.ServerCertificateName, func(_ storage.Tx, _ storage.Scope, c *serverCertRecord) error {
		c.Tags = removeTags(c.Tags, in.TagKeys)
		return nil
	}))
}

func (s *IAM) ListServerCertificateTags(ctx *request.Context, in *iamapi.ListServerCertificateTagsInput) (*iamapi.ListServerCertificateTagsOutput, error) {
	c, err := s.viewServerCert(ctx, in.ServerCertificateName)
	if err != nil {
		return nil, err
	}
	list, res, err := pageTags(c.Tags, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListServerCertificateTagsOutput{Tags: list, IsTruncated: res.IsTruncated, Marker: res.Marker}, nil
}

// --- signing certificates --------------------------------------------------

func noSuchSigningCert(id string) error {
	return iamapi.ErrNoSuchEntityException.New("The Certificate with id %s cannot be found.", id)
}

func (s *IAM) UploadSigningCertificate(ctx *request.Context, in *iamapi.UploadSigningCertificateInput) (*iamapi.UploadSigningCertificateOutput, error) {
	body, err := required("certificateBody", in.CertificateBody)
	if err != nil {
		return nil, err
	}
	if _, err := parseCertificate(body); err != nil {
		return nil, err
	}
	user, err := callerUserName(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	if user == "" {
		return nil, iamapi.ErrInvalidInputException.New("The root user's signing certificates are managed in the root user's security credentials, not through IAM.")
	}
	c := signingCert{ID: awsid.String("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 32), Body: strings.TrimSpace(body), Status: "Active", UploadDate: now(ctx)}
	err = s.updateUser(ctx, &user, func(_ storage.Tx, _ storage.Scope, u *userRecord) error {
		for _, e := range u.SigningCerts {
			if e.Body == c.Body {
				return iamapi.ErrDuplicateCertificateException.New("The certificate is already associated with the specified IAM user.")
			}
		}
		if len(u.SigningCerts) >= maxSigningCertsPerUser {
			return limitExceeded("Cannot exceed quota for SigningCertificatesPerUser: %d", maxSigningCertsPerUser)
		}
		u.SigningCerts = append(u.SigningCerts, c)
		user = u.Name
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UploadSigningCertificateOutput{Certificate: signingOut(user, &c)}, nil
}

func signingOut(user string, c *signingCert) *iamapi.SigningCertificate {
	return &iamapi.SigningCertificate{UserName: ptr.To(user), CertificateId: ptr.To(c.ID), CertificateBody: ptr.To(c.Body), Status: ptr.To(c.Status), UploadDate: ptr.To(c.UploadDate)}
}

func (s *IAM) ListSigningCertificates(ctx *request.Context, in *iamapi.ListSigningCertificatesInput) (*iamapi.ListSigningCertificatesOutput, error) {
	if _, err := newPage(in.Marker, in.MaxItems); err != nil {
		return nil, err
	}
	user, err := callerUserName(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListSigningCertificatesOutput{Certificates: []iamapi.SigningCertificate{}, IsTruncated: ptr.To(false)}
	if user == "" {
		return out, nil
	}
	u, err := s.viewUser(ctx, &user)
	if err != nil {
		return nil, err
	}
	for _, c := range u.SigningCerts {
		out.Certificates = append(out.Certificates, *signingOut(u.Name, &c))
	}
	return out, nil
}

func (s *IAM) UpdateSigningCertificate(ctx *request.Context, in *iamapi.UpdateSigningCertificateInput) (*iamapi.UpdateSigningCertificateOutput, error) {
	status, err := checkStatus(in.Status)
	if err != nil {
		return nil, err
	}
	user, err := callerUserName(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	return empty[iamapi.UpdateSigningCertificateOutput](s.updateUser(ctx, &user, func(_ storage.Tx, _ storage.Scope, u *userRecord) error {
		i := slices.IndexFunc(u.SigningCerts, func(c signingCert) bool { return c.ID == ptr.Deref(in.CertificateId) })
		if i < 0 {
			return noSuchSigningCert(ptr.Deref(in.CertificateId))
		}
		u.SigningCerts[i].Status = status
		return nil
	}))
}

func (s *IAM) DeleteSigningCertificate(ctx *request.Context, in *iamapi.DeleteSigningCertificateInput) (*iamapi.DeleteSigningCertificateOutput, error) {
	user, err := callerUserName(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	return empty[iamapi.DeleteSigningCertificateOutput](s.updateUser(ctx, &user, func(_ storage.Tx, _ storage.Scope, u *userRecord) error {
		i := slices.IndexFunc(u.SigningCerts, func(c signingCert) bool { return c.ID == ptr.Deref(in.CertificateId) })
		if i < 0 {
			return noSuchSigningCert(ptr.Deref(in.CertificateId))
		}
		u.SigningCerts = slices.Delete(u.SigningCerts, i, i+1)
		return nil
	}))
}

// --- service-specific credentials -----------------------------------------

// credentialServices are the services that take service-specific
// credentials.
var credentialServices = setOf("codecommit.amazonaws.com", "cassandra.amazonaws.com", "bedrock.amazonaws.com")

func noSuchServiceCred(id string) error {
	return iamapi.ErrNoSuchEntityException.New("No such credential %s exists", id)
}

func serviceCredOut(user string, c *serviceCredential, withPassword bool) *iamapi.ServiceSpecificCredential {
	out := &iamapi.ServiceSpecificCredential{CreateDate: ptr.To(c.CreateDate), ServiceName: ptr.To(c.Service), ServiceUserName: ptr.To(c.UserName),
		ServiceSpecificCredentialId: ptr.To(c.ID), UserName: ptr.To(user), Status: ptr.To(c.Status)}
	if withPassword {
		out.ServicePassword = ptr.To(c.Password)
	}
	return out
}

func (s *IAM) CreateServiceSpecificCredential(ctx *request.Context, in *iamapi.CreateServiceSpecificCredentialInput) (*iamapi.CreateServiceSpecificCredentialOutput, error) {
	svc, err := required("serviceName", in.ServiceName)
	if err != nil {
		return nil, err
	}
	if !credentialServices[svc] {
		return nil, iamapi.ErrServiceNotSupportedException.New("Service %s is not supported for service specific credentials", svc)
	}
	var c serviceCredential
	var user string
	err = s.updateUser(ctx, in.UserName, func(_ storage.Tx, _ storage.Scope, u *userRecord) error {
		n := 0
		for _, e := range u.ServiceCreds {
			if e.Service == svc {
				n++
			}
		}
		if n >= maxCredsPerService {
			return limitExceeded("Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: %d", maxCredsPerService)
		}
		c = serviceCredential{ID: newID("ACCA"), Service: svc, UserName: u.Name + "-at-" + ctx.Account,
			Password: base64.StdEncoding.EncodeToString([]byte(awsid.String(idAlphabet, 30))), Status: "Active", CreateDate: now(ctx)}
		u.ServiceCreds = append(u.ServiceCreds, c)
		user = u.Name
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateServiceSpecificCredentialOutput{ServiceSpecificCredential: serviceCredOut(user, &c, true)}, nil
}

func (s *IAM) ListServiceSpecificCredentials(ctx *request.Context, in *iamapi.ListServiceSpecificCredentialsInput) (*iamapi.ListServiceSpecificCredentialsOutput, error) {
	user, err := callerUserName(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListServiceSpecificCredentialsOutput{ServiceSpecificCredentials: []iamapi.ServiceSpecificCredentialMetadata{}}
	if user == "" {
		return out, nil
	}
	u, err := s.viewUser(ctx, &user)
	if err != nil {
		return nil, err
	}
	for _, c := range u.ServiceCreds {
		if in.ServiceName != nil && *in.ServiceName != c.Service {
			continue
		}
		out.ServiceSpecificCredentials = append(out.ServiceSpecificCredentials, iamapi.ServiceSpecificCredentialMetadata{
			UserName: ptr.To(u.Name), Status: ptr.To(c.Status), ServiceUserName: ptr.To(c.UserName), CreateDate: ptr.To(c.CreateDate),
			ServiceSpecificCredentialId: ptr.To(c.ID), ServiceName: ptr.To(c.Service),
		})
	}
	return out, nil
}

func (s *IAM) updateServiceCred(ctx *request.Context, userName, id *string, fn func(u *userRecord, i int) error) error {
	user, err := callerUserName(ctx, userName)
	if err != nil {
		return err
	}
	return s.updateUser(ctx, &user, func(_ storage.Tx, _ storage.Scope, u *userRecord) error {
		i := slices.IndexFunc(u.ServiceCreds, func(c serviceCredential) bool { return c.ID == ptr.Deref(id) })
		if i < 0 {
			return noSuchServiceCred(ptr.Deref(id))
		}
		return fn(u, i)
	})
}

func (s *IAM) ResetServiceSpecificCredential(ctx *request.Context, in *iamapi.ResetServiceSpecificCredentialInput) (*iamapi.ResetServiceSpecificCredentialOutput, error) {
	var out *iamapi.ServiceSpecificCredential
	err := s.updateServiceCred(ctx, in.UserName, in.ServiceSpecificCredentialId, func(u *userRecord, i int) error {
		u.ServiceCreds[i].Password = base64.StdEncoding.EncodeToString([]byte(awsid.String(idAlphabet, 30)))
		out = serviceCredOut(u.Name, &u.ServiceCreds[i], true)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.ResetServiceSpecificCredentialOutput{ServiceSpecificCredential: out}, nil
}

func (s *IAM) UpdateServiceSpecificCredential(ctx *request.Context, in *iamapi.UpdateServiceSpecificCredentialInput) (*iamapi.UpdateServiceSpecificCredentialOutput, error) {
	status, err := checkStatus(in.Status)
	if err != nil {
		return nil, err
	}
	return empty[iamapi.UpdateServiceSpecificCredentialOutput](s.updateServiceCred(ctx, in.UserName, in.ServiceSpecificCredentialId, func(u *userRecord, i int) error {
		u.ServiceCreds[i].Status = status
		return nil
	}))
}

func (s *IAM) DeleteServiceSpecificCredential(ctx *request.Context, in *iamapi.DeleteServiceSpecificCredentialInput) (*iamapi.DeleteServiceSpecificCredentialOutput, error) {
	return empty[iamapi.DeleteServiceSpecificCredentialOutput](s.updateServiceCred(ctx, in.UserName, in.ServiceSpecificCredentialId, func(u *userRecord, i int) error {
		u.ServiceCreds = slices.Delete(u.ServiceCreds, i, i+1)
		return nil
	}))
}
