package iam

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestSAMLMetadataShapes: the metadata shapes IdPs publish — a default or
// prefixed SAML namespace, aggregated EntitiesDescriptor (nested),
// several certificates and key descriptors, a non-UTF-8 declaration, a
// byte order mark — all give the IdP's entity id and signing
// certificates; documents without an IdP are refused.
func TestSAMLMetadataShapes(t *testing.T) {
	certPEM, _ := selfSigned(t)
	cert2PEM, _ := selfSigned(t)
	b64 := func(p string) string {
		b, _ := pem.Decode([]byte(p))
		return base64.StdEncoding.EncodeToString(b.Bytes)
	}
	c1, c2 := b64(certPEM), b64(cert2PEM)
	// Wrapped at 64 columns, as many IdPs print it.
	var wrapped strings.Builder
	for i := 0; i < len(c1); i += 64 {
		wrapped.WriteString(c1[i:min(i+64, len(c1))] + "\n      ")
	}
	pad := "<!--" + strings.Repeat("x", 1000) + "-->"
	cases := []struct {
		name, doc, entity string
		certs             int
	}{
		{"default namespace", `<?xml version="1.0" encoding="UTF-8"?><EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com"><IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>` + c1 + `</X509Certificate></X509Data></KeyInfo></KeyDescriptor></IDPSSODescriptor></EntityDescriptor>` + pad, "https://idp.example.com", 1},
		{"prefixed, wrapped certificate, two keys", `<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="http://www.okta.com/exk1"><md:IDPSSODescriptor WantAuthnRequestsSigned="false" protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>
      ` + wrapped.String() + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>not base64!</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor><md:KeyDescriptor><ds:KeyInfo><ds:X509Data><ds:X509Certificate>` + c2 + `</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor></md:IDPSSODescriptor></md:EntityDescriptor>` + pad, "http://www.okta.com/exk1", 2},
		{"aggregate", `<?xml version="1.0" encoding="ISO-8859-1"?>` + `<EntitiesDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" Name="fed"><EntityDescriptor entityID="https://sp.example.com"><SPSSODescriptor/></EntityDescriptor><EntitiesDescriptor><EntityDescriptor entityID="https://idp2.example.com"><IDPSSODescriptor><KeyDescriptor><KeyInfo><X509Data><X509Certificate>` + c1 + `</X509Certificate><X509Certificate>` + c2 + `</X509Certificate></X509Data></KeyInfo></KeyDescriptor></IDPSSODescriptor></EntityDescriptor></EntitiesDescriptor></EntitiesDescriptor>` + pad, "https://idp2.example.com", 2},
		{"byte order mark", "\ufeff" + `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="bom"><IDPSSODescriptor><KeyDescriptor><KeyInfo><X509Data><X509Certificate>` + c1 + `</X509Certificate></X509Data></KeyInfo></KeyDescriptor></IDPSSODescriptor></EntityDescriptor>` + pad, "bom", 1},
		{"no IdP", `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="sp"><SPSSODescriptor/></EntityDescriptor>` + pad, "", 0},
		{"not metadata", `<html>` + pad + `</html>`, "", 0},
	}
	f := newFixture(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id, certs, err := ParseSAMLMetadata(c.doc)
			if c.certs == 0 {
				wantErr(t, err, "InvalidInput", 400, "Could not parse metadata")
				return
			}
			if err != nil || id != c.entity || len(certs) != c.certs {
				t.Fatalf("entity %q, %d certs, %v", id, len(certs), err)
			}
			var want *x509.Certificate
			b, _ := pem.Decode([]byte(certPEM))
			want, _ = x509.ParseCertificate(b.Bytes)
			if !certs[0].Equal(want) && !(c.certs == 2 && certs[1].Equal(want)) {
				t.Fatal("certificate differs")
			}
			arn := must(f.CreateSAMLProvider(f.ctx, &iamapi.CreateSAMLProviderInput{Name: ptr.To(strings.ReplaceAll(c.name, " ", "-")[:5] + "x"), SAMLMetadataDocument: ptr.To(c.doc)})).SAMLProviderArn
			must(f.TagSAMLProvider(f.ctx, &iamapi.TagSAMLProviderInput{SAMLProviderArn: arn, Tags: []iamapi.Tag{{Key: ptr.To("team"), Value: ptr.To("id")}}}))
			if tags := must(f.ListSAMLProviderTags(f.ctx, &iamapi.ListSAMLProviderTagsInput{SAMLProviderArn: arn})).Tags; len(tags) != 1 || *tags[0].Key != "team" {
				t.Fatalf("tags %+v", tags)
			}
			must(f.UntagSAMLProvider(f.ctx, &iamapi.UntagSAMLProviderInput{SAMLProviderArn: arn, TagKeys: []string{"team"}}))
			if tags := must(f.ListSAMLProviderTags(f.ctx, &iamapi.ListSAMLProviderTagsInput{SAMLProviderArn: arn})).Tags; len(tags) != 0 {
				t.Fatalf("tags after untag %+v", tags)
			}
		})
	}
}

// FuzzParseSAMLMetadata: any document gets an answer (metadata or
// InvalidInput), never a panic.
func FuzzParseSAMLMetadata(f *testing.F) {
	f.Add(`<EntityDescriptor entityID="x"><IDPSSODescriptor><KeyDescriptor><KeyInfo><X509Data><X509Certificate>AAAA</X509Certificate></X509Data></KeyInfo></KeyDescriptor></IDPSSODescriptor></EntityDescriptor>`)
	f.Add(`<EntitiesDescriptor><EntitiesDescriptor><EntityDescriptor/></EntitiesDescriptor></EntitiesDescriptor>`)
	f.Fuzz(func(t *testing.T, doc string) {
		_, certs, err := ParseSAMLMetadata(doc)
		if err == nil && len(certs) == 0 {
			t.Fatal("metadata without certificates accepted")
		}
	})
}
