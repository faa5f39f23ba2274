package apigateway

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"sort"
	"time"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Client certificates: a self-signed certificate (valid a year, as
// AWS's) that a stage presents to HTTP backends over TLS, so backends
// can check calls come from API Gateway. The private key never leaves
// niwa.

type clientCert struct {
	Cert   apigatewayapi.ClientCertificate
	KeyPEM []byte
}

var clientCerts = storage.NewTable[clientCert]("clientcerts")

func errNoClientCert() error {
	return apigatewayapi.ErrNotFoundException.New("Invalid Client Certificate identifier specified")
}

func (s *APIGateway) GenerateClientCertificate(ctx *request.Context, in *apigatewayapi.GenerateClientCertificateRequest) (*apigatewayapi.ClientCertificate, error) {
	id := newID()
	now := ctx.Now().UTC().Truncate(time.Second)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: id, Organization: []string{"Amazon Web Services"}, OrganizationalUnit: []string{"API Gateway"}},
		NotBefore: now, NotAfter: now.AddDate(1, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	exp := tmpl.NotAfter
	c := clientCert{Cert: apigatewayapi.ClientCertificate{ClientCertificateId: &id, Description: in.Description, CreatedDate: &now, ExpirationDate: &exp,
		PemEncodedCertificate: ptr.To(string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))), Tags: in.Tags},
		KeyPEM: pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})}
	if err := s.store.Update(func(tx storage.Tx) error { return clientCerts.Put(tx, scope(ctx), c, id) }); err != nil {
		return nil, err
	}
	return &c.Cert, nil
}

func (s *APIGateway) GetClientCertificate(ctx *request.Context, in *apigatewayapi.GetClientCertificateRequest) (*apigatewayapi.ClientCertificate, error) {
	var c clientCert
	err := s.store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		c, ok, err = clientCerts.Get(tx, scope(ctx), ptr.Deref(in.ClientCertificateId))
		if err == nil && !ok {
			err = errNoClientCert()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &c.Cert, nil
}

func (s *APIGateway) GetClientCertificates(ctx *request.Context, _ *apigatewayapi.GetClientCertificatesRequest) (*apigatewayapi.ClientCertificates, error) {
	out := &apigatewayapi.ClientCertificates{Items: []apigatewayapi.ClientCertificate{}}
	err := s.store.View(func(tx storage.Tx) error {
		return clientCerts.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, c clientCert) bool {
			out.Items = append(out.Items, c.Cert)
			return true
		})
	})
	sort.Slice(out.Items, func(i, j int) bool { return out.Items[i].CreatedDate.Before(*out.Items[j].CreatedDate) })
	return out, err
}

func (s *APIGateway) UpdateClientCertificate(ctx *request.Context, in *apigatewayapi.UpdateClientCertificateRequest) (*apigatewayapi.ClientCertificate, error) {
	var out apigatewayapi.ClientCertificate
	err := s.store.Update(func(tx storage.Tx) error {
		c, ok, err := clientCerts.Get(tx, scope(ctx), ptr.Deref(in.ClientCertificateId))
		if err != nil {
			return err
		}
		if !ok {
			return errNoClientCert()
		}
		if err := applyPatch(&c.Cert, in.PatchOperations, patchPaths{"/description"}, nil); err != nil {
			return err
		}
		out = c.Cert
		return clientCerts.Put(tx, scope(ctx), c, *c.Cert.ClientCertificateId)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func (s *APIGateway) DeleteClientCertificate(ctx *request.Context, in *apigatewayapi.DeleteClientCertificateRequest) (*apigatewayapi.DeleteClientCertificateOutput, error) {
	err := s.store.Update(func(tx storage.Tx) error {
		ok, err := clientCerts.DeleteExisting(tx, scope(ctx), ptr.Deref(in.ClientCertificateId))
		if err == nil && !ok {
			err = errNoClientCert()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayapi.DeleteClientCertificateOutput{}, nil
}

// backendClient is the HTTP client for a call's HTTP integration: with
// the stage's client certificate when it has one, and without verifying
// the backend's certificate when the integration's tlsConfig says so.
func (s *APIGateway) backendClient(c *call, integ *apigatewayapi.Integration) *http.Client {
	id := ptr.Deref(c.stage.ClientCertificateId)
	insecure := integ.TlsConfig != nil && ptr.Deref(integ.TlsConfig.InsecureSkipVerification)
	if id == "" && !insecure {
		return http.DefaultClient
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure} //nolint:gosec // the user's choice (tlsConfig.insecureSkipVerification)
	if id != "" {
		var cc clientCert
		found := false
		_ = s.store.View(func(tx storage.Tx) error {
			var err error
			cc, found, err = clientCerts.Get(tx, storage.Scope{Account: c.loc.Account, Region: c.loc.Region}, id)
			return err
		})
		if found {
			if pair, err := tls.X509KeyPair([]byte(ptr.Deref(cc.Cert.PemEncodedCertificate)), cc.KeyPEM); err == nil {
				cfg.Certificates = []tls.Certificate{pair}
			}
		}
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = cfg
	return &http.Client{Transport: t}
}
