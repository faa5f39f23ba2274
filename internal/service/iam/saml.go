package iam

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/xml"
	"io"
	"strings"
	"time"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// SAML identity providers: an account's record of an IdP, created from
// the IdP's metadata document. STS verifies assertions against the
// signing certificates of that document (SAMLProviderByARN).

var samlProviders = storage.NewTable[samlProviderRecord]("saml-provider")

type samlProviderRecord struct {
	Name       string    `json:"name"`
	Metadata   string    `json:"metadata"`
	CreateDate time.Time `json:"created"`
	ValidUntil time.Time `json:"validUntil"`
	Tags       []tag     `json:"tags,omitempty"`
}

// SAMLProvider is a provider as STS needs it.
type SAMLProvider struct {
	ARN      string
	Name     string
	Account  string
	EntityID string
	// Certificates are the IdP's signing certificates.
	Certificates []*x509.Certificate
	ValidUntil   time.Time
}

// samlEntity is the part of an EntityDescriptor niwa reads. Aggregated
// metadata (an EntitiesDescriptor, possibly nested, as Shibboleth and
// federations publish) holds several; niwa takes the first with an IdP
// role. Elements are matched by local name, so any namespace prefix (md:,
// saml2:, ds:) or default namespace reads the same.
type samlEntity struct {
	XMLName  xml.Name
	EntityID string `xml:"entityID,attr"`
	IDP      []struct {
		Keys []struct {
			Use  string `xml:"use,attr"`
			Data []struct {
				Certs []string `xml:"X509Certificate"`
			} `xml:"KeyInfo>X509Data"`
		} `xml:"KeyDescriptor"`
	} `xml:"IDPSSODescriptor"`
	Entities []samlEntity `xml:"EntityDescriptor"`
	Groups   []samlEntity `xml:"EntitiesDescriptor"`
}

// firstIdP finds the first entity with an IdP role, depth first.
func (e *samlEntity) firstIdP() *samlEntity {
	if e.XMLName.Local == "EntityDescriptor" && len(e.IDP) > 0 {
		return e
	}
	for _, list := range [][]samlEntity{e.Entities, e.Groups} {
		for i := range list {
			if f := list[i].firstIdP(); f != nil {
				return f
			}
		}
	}
	return nil
}

// ParseSAMLMetadata reads an IdP metadata document: its entity id and
// signing certificates (KeyDescriptors with use="signing" or no use, every
// X509Certificate of each).
func ParseSAMLMetadata(doc string) (entityID string, certs []*x509.Certificate, err error) {
	bad := iamapi.ErrInvalidInputException.New("Could not parse metadata")
	var root samlEntity
	d := xml.NewDecoder(strings.NewReader(strings.TrimPrefix(doc, "\ufeff")))
	// IdPs declare encodings Go's decoder does not convert (ISO-8859-1,
	// windows-1252); metadata is ASCII in practice, so read it as is.
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	if err := d.Decode(&root); err != nil {
		return "", nil, bad
	}
	if root.XMLName.Local != "EntityDescriptor" && root.XMLName.Local != "EntitiesDescriptor" {
		return "", nil, bad
	}
	md := root.firstIdP()
	if md == nil {
		return "", nil, bad
	}
	for _, idp := range md.IDP {
		for _, k := range idp.Keys {
			if k.Use != "" && k.Use != "signing" {
				continue
			}
			for _, data := range k.Data {
				for _, c := range data.Certs {
					der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(c), ""))
					if err != nil {
						return "", nil, bad
					}
					cert, err := x509.ParseCertificate(der)
					if err != nil {
						return "", nil, bad
					}
					certs = append(certs, cert)
				}
			}
		}
	}
	if len(certs) == 0 {
		return "", nil, bad
	}
	return md.EntityID, certs, nil
}

var samlNamePattern = lazyre.New(`^[\w._-]{1,128}$`)

func samlARN(account, name string) string {
	return "arn:" + partition + ":iam::" + account + ":saml-provider/" + name
}

func (s *IAM) CreateSAMLProvider(ctx *request.Context, in *iamapi.CreateSAMLProviderInput) (*iamapi.CreateSAMLProviderOutput, error) {
	name, err := required("name", in.Name)
	if err != nil {
		return nil, err
	}
	if !samlNamePattern.MatchString(name) {
		return nil, validation("Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w._-]+", name)
	}
	doc, err := required("sAMLMetadataDocument", in.SAMLMetadataDocument)
	if err != nil {
		return nil, err
	}
	if len(doc) < 1000 || len(doc) > 10000000 {
		// IAM's model bounds the document at 1000..10000000 characters.
		return nil, validation("Value at 'sAMLMetadataDocument' failed to satisfy constraint: Member must have length greater than or equal to 1000")
	}
	_, certs, err := ParseSAMLMetadata(doc)
	if err != nil {
		return nil, err
	}
	tags, err := readTags(in.Tags)
	if err != nil {
		return nil, err
	}
	arn := samlARN(ctx.Account, name)
	rec := samlProviderRecord{Name: name, Metadata: doc, CreateDate: now(ctx), Tags: tags, ValidUntil: certs[0].NotAfter.UTC()}
	err = s.store.Update(func(tx storage.Tx) error {
		if _, ok, err := samlProviders.Get(tx, scope(ctx), name); err != nil {
			return err
		} else if ok {
			return iamapi.ErrEntityAlreadyExistsException.New("SAMLProvider %s already exists.", name)
		}
		return samlProviders.Put(tx, scope(ctx), rec, name)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateSAMLProviderOutput{SAMLProviderArn: &arn, Tags: tagsOut(tags)}, nil
}

// samlName takes a provider ARN of the caller's account apart.
func samlName(ctx *request.Context, arnIn *string) (string, error) {
	arn, err := required("sAMLProviderArn", arnIn)
	if err != nil {
		return "", err
	}
	prefix := "arn:" + partition + ":iam::" + ctx.Account + ":saml-provider/"
	name, ok := strings.CutPrefix(arn, prefix)
	if !ok || name == "" {
		if strings.HasPrefix(arn, "arn:") && strings.Contains(arn, ":saml-provider/") {
			return "", iamapi.ErrNoSuchEntityException.New("Manifest not found for arn %s", arn)
		}
		return "", invalidARN(arn)
	}
	return name, nil
}

func (s *IAM) viewSAML(ctx *request.Context, arnIn *string) (samlProviderRecord, error) {
	name, err := samlName(ctx, arnIn)
	if err != nil {
		return samlProviderRecord{}, err
	}
	var rec samlProviderRecord
	err = s.store.View(func(tx storage.Tx) error {
		r, ok, err := samlProviders.Get(tx, scope(ctx), name)
		if err != nil {
			return err
		}
		if !ok {
			return iamapi.ErrNoSuchEntityException.New("Manifest not found for arn %s", *arnIn)
		}
		rec = r
		return nil
	})
	return rec, err
}

func (s *IAM) GetSAMLProvider(ctx *request.Context, in *iamapi.GetSAMLProviderInput) (*iamapi.GetSAMLProviderOutput, error) {
	rec, err := s.viewSAML(ctx, in.SAMLProviderArn)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetSAMLProviderOutput{
		SAMLMetadataDocument: ptr.To(rec.Metadata), CreateDate: ptr.To(rec.CreateDate), ValidUntil: ptr.To(rec.ValidUntil),
		Tags: tagsOut(rec.Tags),
	}, nil
}

func (s *IAM) ListSAMLProviders(ctx *request.Context, _ *iamapi.ListSAMLProvidersInput) (*iamapi.ListSAMLProvidersOutput, error) {
	out := &iamapi.ListSAMLProvidersOutput{SAMLProviderList: []iamapi.SAMLProviderListEntry{}}
	err := s.store.View(func(tx storage.Tx) error {
		return samlProviders.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, r samlProviderRecord) bool {
			out.SAMLProviderList = append(out.SAMLProviderList, iamapi.SAMLProviderListEntry{
				Arn: ptr.To(samlARN(ctx.Account, r.Name)), CreateDate: ptr.To(r.CreateDate), ValidUntil: ptr.To(r.ValidUntil),
			})
			return true
		})
	})
	return out, err
}

func (s *IAM) UpdateSAMLProvider(ctx *request.Context, in *iamapi.UpdateSAMLProviderInput) (*iamapi.UpdateSAMLProviderOutput, error) {
	name, err := samlName(ctx, in.SAMLProviderArn)
	if err != nil {
		return nil, err
	}
	doc, err := required("sAMLMetadataDocument", in.SAMLMetadataDocument)
	if err != nil {
		return nil, err
	}
	_, certs, err := ParseSAMLMetadata(doc)
	if err != nil {
		return nil, err
	}
	err = s.store.Update(func(tx storage.Tx) error {
		r, ok, err := samlProviders.Get(tx, scope(ctx), name)
		if err != nil {
			return err
		}
		if !ok {
			return iamapi.ErrNoSuchEntityException.New("Manifest not found for arn %s", *in.SAMLProviderArn)
		}
		r.Metadata, r.ValidUntil = doc, certs[0].NotAfter.UTC()
		return samlProviders.Put(tx, scope(ctx), r, name)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateSAMLProviderOutput{SAMLProviderArn: in.SAMLProviderArn}, nil
}

func (s *IAM) DeleteSAMLProvider(ctx *request.Context, in *iamapi.DeleteSAMLProviderInput) (*iamapi.DeleteSAMLProviderOutput, error) {
	name, err := samlName(ctx, in.SAMLProviderArn)
	if err != nil {
		return nil, err
	}
	err = s.store.Update(func(tx storage.Tx) error {
		if _, ok, err := samlProviders.Get(tx, scope(ctx), name); err != nil {
			return err
		} else if !ok {
			return iamapi.ErrNoSuchEntityException.New("Manifest not found for arn %s", *in.SAMLProviderArn)
		}
		return samlProviders.Delete(tx, scope(ctx), name)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteSAMLProviderOutput{}, nil
}

// SAMLProviderByARN finds a SAML provider (for STS's AssumeRoleWithSAML).
func (s *IAM) SAMLProviderByARN(arn string) (SAMLProvider, bool, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[2] != "iam" || !strings.HasPrefix(parts[5], "saml-provider/") {
		return SAMLProvider{}, false, nil
	}
	account, name := parts[4], strings.TrimPrefix(parts[5], "saml-provider/")
	var rec samlProviderRecord
	var ok bool
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		rec, ok, err = samlProviders.Get(tx, storage.Global(account), name)
		return err
	})
	if err != nil || !ok {
		return SAMLProvider{}, false, err
	}
	entity, certs, err := ParseSAMLMetadata(rec.Metadata)
	if err != nil {
		return SAMLProvider{}, false, nil
	}
	return SAMLProvider{ARN: samlARN(account, name), Name: name, Account: account, EntityID: entity,
		Certificates: certs, ValidUntil: rec.ValidUntil}, true, nil
}
