package acm

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	acmapi "github.com/niwa-cloud/niwa/internal/api/acm"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ca"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

func parseLeaf(p string) (*x509.Certificate, error) {
	b, _ := pem.Decode([]byte(p))
	if b == nil {
		return nil, errors.New("no PEM block")
	}
	return x509.ParseCertificate(b.Bytes)
}

// signatureAlgorithm names an X.509 signature algorithm as ACM does.
func signatureAlgorithm(a x509.SignatureAlgorithm) string {
	switch a {
	case x509.SHA256WithRSA:
		return "SHA256WITHRSA"
	case x509.SHA384WithRSA:
		return "SHA384WITHRSA"
	case x509.SHA512WithRSA:
		return "SHA512WITHRSA"
	case x509.SHA1WithRSA:
		return "SHA1WITHRSA"
	case x509.ECDSAWithSHA256:
		return "SHA256WITHECDSA"
	case x509.ECDSAWithSHA384:
		return "SHA384WITHECDSA"
	case x509.ECDSAWithSHA512:
		return "SHA512WITHECDSA"
	}
	return strings.ToUpper(a.String())
}

// serialHex is ACM's Serial: colon-separated hex octets.
func serialHex(c *x509.Certificate) string {
	b := c.SerialNumber.Bytes()
	parts := make([]string, len(b))
	for i, x := range b {
		parts[i] = fmt.Sprintf("%02x", x)
	}
	return strings.Join(parts, ":")
}

var keyUsageNames = []struct {
	bit  x509.KeyUsage
	name string
}{
	{x509.KeyUsageDigitalSignature, "DIGITAL_SIGNATURE"}, {x509.KeyUsageContentCommitment, "NON_REPUDIATION"},
	{x509.KeyUsageKeyEncipherment, "KEY_ENCIPHERMENT"}, {x509.KeyUsageDataEncipherment, "DATA_ENCIPHERMENT"},
	{x509.KeyUsageKeyAgreement, "KEY_AGREEMENT"}, {x509.KeyUsageCertSign, "CERTIFICATE_SIGNING"},
	{x509.KeyUsageCRLSign, "CRL_SIGNING"}, {x509.KeyUsageEncipherOnly, "ENCIPHER_ONLY"}, {x509.KeyUsageDecipherOnly, "DECIPHER_ONLY"},
}

var extKeyUsageNames = map[x509.ExtKeyUsage][2]string{
	x509.ExtKeyUsageServerAuth:      {"TLS_WEB_SERVER_AUTHENTICATION", "1.3.6.1.5.5.7.3.1"},
	x509.ExtKeyUsageClientAuth:      {"TLS_WEB_CLIENT_AUTHENTICATION", "1.3.6.1.5.5.7.3.2"},
	x509.ExtKeyUsageCodeSigning:     {"CODE_SIGNING", "1.3.6.1.5.5.7.3.3"},
	x509.ExtKeyUsageEmailProtection: {"EMAIL_PROTECTION", "1.3.6.1.5.5.7.3.4"},
	x509.ExtKeyUsageTimeStamping:    {"TIME_STAMPING", "1.3.6.1.5.5.7.3.8"},
	x509.ExtKeyUsageOCSPSigning:     {"OCSP_SIGNING", "1.3.6.1.5.5.7.3.9"},
}

func usages(x *x509.Certificate) (ku []string, eku [][2]string) {
	for _, u := range keyUsageNames {
		if x.KeyUsage&u.bit != 0 {
			ku = append(ku, u.name)
		}
	}
	for _, e := range x.ExtKeyUsage {
		if n, ok := extKeyUsageNames[e]; ok {
			eku = append(eku, n)
		}
	}
	return ku, eku
}

func renewalEligibility(c cert) string {
	if c.Type == typeAmazon && c.Status == statusIssued && len(c.InUseBy) > 0 {
		return "ELIGIBLE"
	}
	return "INELIGIBLE"
}

// DescribeCertificate returns everything ACM knows about a certificate.
func (a *ACM) DescribeCertificate(ctx *request.Context, in *acmapi.DescribeCertificateRequest) (*acmapi.DescribeCertificateResponse, error) {
	c, err := a.load(ctx, in.CertificateArn)
	if err != nil {
		return nil, err
	}
	d := &acmapi.CertificateDetail{
		CertificateArn: ptr.To(c.ARN), DomainName: ptr.To(c.Domain), SubjectAlternativeNames: c.SANs,
		Status: ptr.To(c.Status), Type: ptr.To(c.Type), KeyAlgorithm: ptr.To(c.KeyAlgorithm),
		InUseBy: append([]string{}, c.InUseBy...), RenewalEligibility: ptr.To(renewalEligibility(c)),
		Options: &acmapi.CertificateOptions{CertificateTransparencyLoggingPreference: ptr.To(c.CTLogging)},
	}
	if c.Type == typeImported {
		d.ImportedAt = ptr.To(c.ImportedAt)
	} else {
		d.CreatedAt = ptr.To(c.CreatedAt)
	}
	if c.FailureReason != "" {
		d.FailureReason = ptr.To(c.FailureReason)
	}
	for _, v := range c.Validations {
		dv := acmapi.DomainValidation{DomainName: ptr.To(v.Domain), ValidationDomain: ptr.To(v.ValidationDomain),
			ValidationStatus: ptr.To(v.Status), ValidationMethod: ptr.To(c.Method), ValidationEmails: v.Emails}
		if v.RecordName != "" {
			dv.ResourceRecord = &acmapi.ResourceRecord{Name: ptr.To(v.RecordName), Type: ptr.To("CNAME"), Value: ptr.To(v.RecordValue)}
		}
		d.DomainValidationOptions = append(d.DomainValidationOptions, dv)
	}
	if x, err := parseLeaf(c.CertPEM); err == nil {
		if c.Type != typeImported {
			d.IssuedAt = ptr.To(c.IssuedAt)
		}
		d.Serial = ptr.To(serialHex(x))
		d.Subject = ptr.To(x.Subject.String())
		d.Issuer = ptr.To(issuerName(x))
		d.NotBefore = ptr.To(x.NotBefore)
		d.NotAfter = ptr.To(x.NotAfter)
		d.SignatureAlgorithm = ptr.To(signatureAlgorithm(x.SignatureAlgorithm))
		ku, eku := usages(x)
		for _, u := range ku {
			d.KeyUsages = append(d.KeyUsages, acmapi.KeyUsage{Name: ptr.To(u)})
		}
		for _, u := range eku {
			d.ExtendedKeyUsages = append(d.ExtendedKeyUsages, acmapi.ExtendedKeyUsage{Name: ptr.To(u[0]), OID: ptr.To(u[1])})
		}
	}
	return &acmapi.DescribeCertificateResponse{Certificate: d}, nil
}

// issuerName is ACM's Issuer: the issuer's organization (as "Amazon" is
// for Amazon-issued certificates), else its common name.
func issuerName(x *x509.Certificate) string {
	if len(x.Issuer.Organization) > 0 {
		return x.Issuer.Organization[0]
	}
	return x.Issuer.CommonName
}

// GetCertificate returns an issued certificate and its chain.
func (a *ACM) GetCertificate(ctx *request.Context, in *acmapi.GetCertificateRequest) (*acmapi.GetCertificateResponse, error) {
	c, err := a.load(ctx, in.CertificateArn)
	if err != nil {
		return nil, err
	}
	if c.CertPEM == "" {
		if c.Status == statusPending {
			return nil, acmapi.ErrRequestInProgressException.New("Certificate '%s' is not yet issued.", c.ARN)
		}
		return nil, acmapi.ErrRequestInProgressException.New("Certificate '%s' has status %s and no certificate was issued.", c.ARN, c.Status)
	}
	out := &acmapi.GetCertificateResponse{Certificate: ptr.To(c.CertPEM)}
	if c.ChainPEM != "" {
		out.CertificateChain = ptr.To(c.ChainPEM)
	}
	return out, nil
}

// DeleteCertificate deletes a certificate no resource uses.
func (a *ACM) DeleteCertificate(ctx *request.Context, in *acmapi.DeleteCertificateRequest) (*acmapi.DeleteCertificateOutput, error) {
	id, err := ids(ctx, in.CertificateArn)
	if err != nil {
		return nil, err
	}
	return &acmapi.DeleteCertificateOutput{}, a.opt.Store.Update(func(tx storage.Tx) error {
		c, found, err := certs.Get(tx, scope(ctx), id)
		if err != nil {
			return err
		}
		if !found {
			return notFound(ptr.Deref(in.CertificateArn))
		}
		if len(c.InUseBy) > 0 {
			return acmapi.ErrResourceInUseException.New("Certificate %s in use.", c.ARN)
		}
		return certs.Delete(tx, scope(ctx), id)
	})
}

// SetInUse records (or, with inUse false, forgets) that resource uses the
// certificate arn: the seam for load balancers and distributions.
func (a *ACM) SetInUse(ctx *request.Context, arn, resource string, inUse bool) error {
	return a.update(ctx, &arn, func(c *cert) error {
		i := slices.Index(c.InUseBy, resource)
		switch {
		case inUse && i < 0:
			c.InUseBy = append(c.InUseBy, resource)
			sort.Strings(c.InUseBy)
		case !inUse && i >= 0:
			c.InUseBy = slices.Delete(c.InUseBy, i, i+1)
		}
		return nil
	})
}

// ExportCertificate is for private certificates only, as on AWS; niwa
// has no private CA, so every export is refused.
func (a *ACM) ExportCertificate(ctx *request.Context, in *acmapi.ExportCertificateRequest) (*acmapi.ExportCertificateResponse, error) {
	c, err := a.load(ctx, in.CertificateArn)
	if err != nil {
		return nil, err
	}
	if len(in.Passphrase) < 4 || len(in.Passphrase) > 128 {
		return nil, awserr.ValidationException.New("1 validation error detected: Value at 'passphrase' failed to satisfy constraint: Member must have length between 4 and 128")
	}
	return nil, awserr.ValidationException.New("Certificate ARN: %s is not a private certificate", c.ARN)
}

// RenewCertificate renews private certificates only; Amazon-issued ones
// renew by themselves (managed renewal).
func (a *ACM) RenewCertificate(ctx *request.Context, in *acmapi.RenewCertificateRequest) (*acmapi.RenewCertificateOutput, error) {
	c, err := a.load(ctx, in.CertificateArn)
	if err != nil {
		return nil, err
	}
	return nil, awserr.ValidationException.New("Certificate ARN: %s is not a private certificate", c.ARN)
}

// UpdateCertificateOptions sets the certificate transparency preference.
func (a *ACM) UpdateCertificateOptions(ctx *request.Context, in *acmapi.UpdateCertificateOptionsRequest) (*acmapi.UpdateCertificateOptionsOutput, error) {
	pref := ""
	if in.Options != nil {
		pref = ptr.Deref(in.Options.CertificateTransparencyLoggingPreference)
	}
	if pref != "ENABLED" && pref != "DISABLED" {
		return nil, awserr.ValidationException.New("1 validation error detected: Value '%s' at 'options.certificateTransparencyLoggingPreference' failed to satisfy constraint: Member must satisfy enum value set: [DISABLED, ENABLED]", pref)
	}
	return &acmapi.UpdateCertificateOptionsOutput{}, a.update(ctx, in.CertificateArn, func(c *cert) error {
		if c.Type == typeImported {
			return acmapi.ErrInvalidStateException.New("Certificate transparency logging options cannot be updated for imported certificates.")
		}
		c.CTLogging = pref
		return nil
	})
}

// ListCertificates lists the region's certificates, filtered by status
// (ISSUED and PENDING_VALIDATION... when none are given: every status) and
// by key type (RSA_2048, EC_prime256v1 and RSA_1024... when Includes gives none:
// RSA_1024 and RSA_2048, as AWS).
func (a *ACM) ListCertificates(ctx *request.Context, in *acmapi.ListCertificatesRequest) (*acmapi.ListCertificatesResponse, error) {
	limit := int(ptr.Deref(in.MaxItems))
	if in.MaxItems != nil && (limit < 1 || limit > 1000) {
		return nil, awserr.ValidationException.New("1 validation error detected: Value '%d' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 1000", limit)
	}
	if limit == 0 {
		limit = 1000
	}
	var after string
	if t := ptr.Deref(in.NextToken); t != "" {
		b, err := base64.RawURLEncoding.DecodeString(t)
		if err != nil || json.Unmarshal(b, &after) != nil {
			return nil, acmapi.ErrInvalidArgsException.New("Invalid nextToken: %s", t)
		}
	}
	statuses := map[string]bool{}
	for _, s := range in.CertificateStatuses {
		statuses[s] = true
	}
	keyTypes := map[string]bool{ca.RSA1024: true, ca.RSA2048: true}
	var eku, ku map[string]bool
	if f := in.Includes; f != nil {
		if len(f.KeyTypes) > 0 {
			keyTypes = map[string]bool{}
			for _, k := range f.KeyTypes {
				keyTypes[k] = true
			}
		}
		if len(f.ExtendedKeyUsage) > 0 {
			eku = map[string]bool{}
			for _, k := range f.ExtendedKeyUsage {
				eku[k] = true
			}
		}
		if len(f.KeyUsage) > 0 {
			ku = map[string]bool{}
			for _, k := range f.KeyUsage {
				ku[k] = true
			}
		}
	}
	var all []cert
	err := a.opt.Store.Update(func(tx storage.Tx) error {
		var changed []cert
		opts := storage.ListOptions{}
		if after != "" {
			opts.After = []string{after}
		}
		err := certs.List(tx, scope(ctx), nil, opts, func(_ []string, c cert) bool {
			if a.advance(ctx.Now(), &c) {
				changed = append(changed, c)
			}
			all = append(all, c)
			return true
		})
		if err != nil {
			return err
		}
		for _, c := range changed {
			if err := certs.Put(tx, scope(ctx), c, certID(c.ARN)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := &acmapi.ListCertificatesResponse{CertificateSummaryList: []acmapi.CertificateSummary{}}
	for _, c := range all {
		if len(statuses) > 0 && !statuses[c.Status] || !keyTypes[c.KeyAlgorithm] {
			continue
		}
		x, _ := parseLeaf(c.CertPEM)
		var kus, ekus []string
		if x != nil {
			k, e := usages(x)
			kus = k
			for _, n := range e {
				ekus = append(ekus, n[0])
			}
		}
		if eku != nil && !anyIn(ekus, eku) || ku != nil && !anyIn(kus, ku) {
			continue
		}
		if len(out.CertificateSummaryList) == limit {
			tok, _ := json.Marshal(certID(ptr.Deref(out.CertificateSummaryList[limit-1].CertificateArn)))
			out.NextToken = ptr.To(base64.RawURLEncoding.EncodeToString(tok))
			break
		}
		s := acmapi.CertificateSummary{CertificateArn: ptr.To(c.ARN), DomainName: ptr.To(c.Domain),
			Status: ptr.To(c.Status), Type: ptr.To(c.Type), KeyAlgorithm: ptr.To(c.KeyAlgorithm),
			InUse: ptr.To(len(c.InUseBy) > 0), RenewalEligibility: ptr.To(renewalEligibility(c)),
			KeyUsages: kus, ExtendedKeyUsages: ekus, Exported: ptr.To(false),
			HasAdditionalSubjectAlternativeNames: ptr.To(false)}
		s.SubjectAlternativeNameSummaries = c.SANs
		if c.Type == typeImported {
			s.ImportedAt = ptr.To(c.ImportedAt)
		} else {
			s.CreatedAt = ptr.To(c.CreatedAt)
		}
		if x != nil {
			s.NotBefore, s.NotAfter = ptr.To(x.NotBefore), ptr.To(x.NotAfter)
			if c.Type != typeImported {
				s.IssuedAt = ptr.To(c.IssuedAt)
			}
		}
		out.CertificateSummaryList = append(out.CertificateSummaryList, s)
	}
	return out, nil
}

func certID(arn string) string {
	_, id, _ := strings.Cut(arn, ":certificate/")
	return id
}

func anyIn(have []string, want map[string]bool) bool {
	for _, h := range have {
		if want[h] {
			return true
		}
	}
	return false
}

// GetAccountConfiguration returns the days before expiry at which ACM
// sends expiry events (45 unless set).
func (a *ACM) GetAccountConfiguration(ctx *request.Context, _ *acmapi.GetAccountConfigurationInput) (*acmapi.GetAccountConfigurationResponse, error) {
	days := int32(defaultExpiryDays)
	err := a.opt.Store.View(func(tx storage.Tx) error {
		cfg, found, err := configs.Get(tx, storage.Scope{Account: ctx.Account, Region: ctx.Region}, "account")
		if found {
			days = cfg.DaysBeforeExpiry
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &acmapi.GetAccountConfigurationResponse{ExpiryEvents: &acmapi.ExpiryEventsConfiguration{DaysBeforeExpiry: ptr.To(days)}}, nil
}

// PutAccountConfiguration sets the days before expiry (1 to 45).
func (a *ACM) PutAccountConfiguration(ctx *request.Context, in *acmapi.PutAccountConfigurationRequest) (*acmapi.PutAccountConfigurationOutput, error) {
	if ptr.Deref(in.IdempotencyToken) == "" {
		return nil, awserr.ValidationException.New("1 validation error detected: Value null at 'idempotencyToken' failed to satisfy constraint: Member must not be null")
	}
	if in.ExpiryEvents == nil || in.ExpiryEvents.DaysBeforeExpiry == nil {
		return &acmapi.PutAccountConfigurationOutput{}, nil
	}
	days := *in.ExpiryEvents.DaysBeforeExpiry
	if days < 1 || days > 45 {
		return nil, awserr.ValidationException.New("1 validation error detected: Value '%d' at 'expiryEvents.daysBeforeExpiry' failed to satisfy constraint: Member must have value between 1 and 45", days)
	}
	return &acmapi.PutAccountConfigurationOutput{}, a.opt.Store.Update(func(tx storage.Tx) error {
		return configs.Put(tx, storage.Scope{Account: ctx.Account, Region: ctx.Region}, accountConfig{DaysBeforeExpiry: days}, "account")
	})
}

// KeyPair returns an issued or imported certificate (with its chain) and
// its private key, PEM-encoded, for the services that terminate TLS with
// it (a distribution's alternate domain, a load balancer listener): the
// seam through which they build their SNI certificates. A certificate
// that is not ISSUED gives RequestInProgressException (pending) or
// InvalidStateException.
func (a *ACM) KeyPair(ctx *request.Context, arn string) (certChainPEM, keyPEM []byte, err error) {
	c, err := a.load(ctx, &arn)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case c.Status == statusPending:
		return nil, nil, acmapi.ErrRequestInProgressException.New("Certificate '%s' is not yet issued.", c.ARN)
	case c.Status != statusIssued || c.KeyPEM == "":
		return nil, nil, acmapi.ErrInvalidStateException.New("Certificate %s is %s.", c.ARN, c.Status)
	}
	return []byte(c.CertPEM + c.ChainPEM), []byte(c.KeyPEM), nil
}
