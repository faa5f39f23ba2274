// Command idp is the S7 scenario's identity provider: it makes an IdP key
// pair with its SAML metadata, and signs SAML responses the way an IdP
// (ADFS, Okta, ...) posts them to https://signin.aws.amazon.com/saml.
//
//	idp init DIR                          key.pem, cert.pem, metadata.xml
//	idp assert DIR ROLE_ARN PROVIDER_ARN USER [expired]
//	                                      base64 SAMLResponse on stdout
package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
)

const entityID = "https://idp.example.test/saml"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "idp:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	switch {
	case len(args) == 2 && args[0] == "init":
		return initIdP(args[1])
	case (len(args) == 5 || len(args) == 6) && args[0] == "assert":
		out, err := assert(args[1], args[2], args[3], args[4], len(args) == 6 && args[5] == "expired")
		if err != nil {
			return err
		}
		fmt.Println(out)
		return nil
	}
	return fmt.Errorf("usage: idp init DIR | idp assert DIR ROLE_ARN PROVIDER_ARN USER [expired]")
}

func initIdP(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(now.UnixNano()), Subject: pkix.Name{CommonName: "idp.example.test"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.AddDate(1, 0, 0),
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), keyPEM, 0o600); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return err
	}
	md := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="%s">
  <md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
        <ds:X509Data>
          <ds:X509Certificate>%s</ds:X509Certificate>
        </ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.example.test/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
`, entityID, base64.StdEncoding.EncodeToString(der))
	return os.WriteFile(filepath.Join(dir, "metadata.xml"), []byte(md), 0o600)
}

type keyStore struct {
	key  *rsa.PrivateKey
	cert []byte
}

func (k keyStore) GetKeyPair() (*rsa.PrivateKey, []byte, error) { return k.key, k.cert, nil }

func load(dir string) (keyStore, error) {
	kb, err := os.ReadFile(filepath.Join(dir, "key.pem"))
	if err != nil {
		return keyStore{}, err
	}
	cb, err := os.ReadFile(filepath.Join(dir, "cert.pem"))
	if err != nil {
		return keyStore{}, err
	}
	kp, _ := pem.Decode(kb)
	cp, _ := pem.Decode(cb)
	if kp == nil || cp == nil {
		return keyStore{}, fmt.Errorf("bad PEM in %s", dir)
	}
	key, err := x509.ParsePKCS1PrivateKey(kp.Bytes)
	return keyStore{key: key, cert: cp.Bytes}, err
}

func newID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return fmt.Sprintf("_%x", b)
}

// assert builds a Response whose Assertion carries an enveloped
// signature (exclusive c14n, RSA-SHA256).
func assert(dir, role, provider, user string, expired bool) (string, error) {
	ks, err := load(dir)
	if err != nil {
		return "", err
	}
	now := time.Now().UTC()
	if expired {
		now = now.Add(-2 * time.Hour)
	}
	ts := func(t time.Time) string { return t.Format("2006-01-02T15:04:05Z") }
	const aws = "https://signin.aws.amazon.com/saml"

	a := etree.NewElement("saml2:Assertion")
	a.CreateAttr("xmlns:saml2", "urn:oasis:names:tc:SAML:2.0:assertion")
	a.CreateAttr("ID", newID())
	a.CreateAttr("IssueInstant", ts(now))
	a.CreateAttr("Version", "2.0")
	a.CreateElement("saml2:Issuer").SetText(entityID)
	subj := a.CreateElement("saml2:Subject")
	nid := subj.CreateElement("saml2:NameID")
	nid.CreateAttr("Format", "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent")
	nid.SetText(user)
	sc := subj.CreateElement("saml2:SubjectConfirmation")
	sc.CreateAttr("Method", "urn:oasis:names:tc:SAML:2.0:cm:bearer")
	scd := sc.CreateElement("saml2:SubjectConfirmationData")
	scd.CreateAttr("NotOnOrAfter", ts(now.Add(5*time.Minute)))
	scd.CreateAttr("Recipient", aws)
	cond := a.CreateElement("saml2:Conditions")
	cond.CreateAttr("NotBefore", ts(now.Add(-time.Minute)))
	cond.CreateAttr("NotOnOrAfter", ts(now.Add(5*time.Minute)))
	cond.CreateElement("saml2:AudienceRestriction").CreateElement("saml2:Audience").SetText(aws)
	an := a.CreateElement("saml2:AuthnStatement")
	an.CreateAttr("AuthnInstant", ts(now))
	an.CreateElement("saml2:AuthnContext").CreateElement("saml2:AuthnContextClassRef").
		SetText("urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport")
	st := a.CreateElement("saml2:AttributeStatement")
	attr := func(name string, vals ...string) {
		at := st.CreateElement("saml2:Attribute")
		at.CreateAttr("Name", name)
		for _, v := range vals {
			at.CreateElement("saml2:AttributeValue").SetText(v)
		}
	}
	attr("https://aws.amazon.com/SAML/Attributes/Role", role+","+provider)
	attr("https://aws.amazon.com/SAML/Attributes/RoleSessionName", user)
	attr("https://aws.amazon.com/SAML/Attributes/SessionDuration", "3600")

	sctx := dsig.NewDefaultSigningContext(ks)
	sctx.Canonicalizer = dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("")
	if err := sctx.SetSignatureMethod(dsig.RSASHA256SignatureMethod); err != nil {
		return "", err
	}
	// Sign the assertion as a verifier will read it: serialized and
	// parsed back, so that both canonicalize the same tree.
	adoc := etree.NewDocument()
	adoc.SetRoot(a)
	abytes, err := adoc.WriteToBytes()
	if err != nil {
		return "", err
	}
	parsed := etree.NewDocument()
	if err := parsed.ReadFromBytes(abytes); err != nil {
		return "", err
	}
	signed, err := sctx.SignEnveloped(parsed.Root())
	if err != nil {
		return "", err
	}
	// The signature goes right after the Issuer, as the schema wants.
	// SignEnveloped appends the Signature without parenting it, so it is
	// taken off the end by hand.
	sig := signed.Child[len(signed.Child)-1].(*etree.Element)
	signed.Child = signed.Child[:len(signed.Child)-1]
	signed.InsertChildAt(1, sig)

	resp := etree.NewElement("saml2p:Response")
	resp.CreateAttr("xmlns:saml2p", "urn:oasis:names:tc:SAML:2.0:protocol")
	resp.CreateAttr("ID", newID())
	resp.CreateAttr("Version", "2.0")
	resp.CreateAttr("IssueInstant", ts(now))
	resp.CreateAttr("Destination", aws)
	iss := resp.CreateElement("saml2:Issuer")
	iss.CreateAttr("xmlns:saml2", "urn:oasis:names:tc:SAML:2.0:assertion")
	iss.SetText(entityID)
	resp.CreateElement("saml2p:Status").CreateElement("saml2p:StatusCode").
		CreateAttr("Value", "urn:oasis:names:tc:SAML:2.0:status:Success")
	resp.AddChild(signed)
	doc := etree.NewDocument()
	doc.SetRoot(resp)
	b, err := doc.WriteToBytes()
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}
