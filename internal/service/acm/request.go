package acm

import (
	"strings"

	acmapi "github.com/niwa-cloud/niwa/internal/api/acm"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ca"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// domainPattern is the model's pattern for DomainNameString (Go's regexp
// has no look-ahead, so the "no leading hyphen" rule is checked apart).
var domainPattern = lazyre.New(`^(\*\.)?([A-Za-z0-9-]{0,62}[A-Za-z0-9]\.)+[A-Za-z0-9-]{1,62}[A-Za-z0-9]$`)

const domainPatternText = `^(\*\.)?(((?!-)[A-Za-z0-9-]{0,62}[A-Za-z0-9])\.)+((?!-)[A-Za-z0-9-]{1,62}[A-Za-z0-9])$`

func validDomain(d string) bool {
	if len(d) == 0 || len(d) > maxDomainLen || !domainPattern.MatchString(d) {
		return false
	}
	for _, l := range strings.Split(strings.TrimPrefix(d, "*."), ".") {
		if strings.HasPrefix(l, "-") {
			return false
		}
	}
	return true
}

// RequestCertificate asks for an Amazon-issued certificate; it is
// PENDING_VALIDATION until its domains are validated.
func (a *ACM) RequestCertificate(ctx *request.Context, in *acmapi.RequestCertificateRequest) (*acmapi.RequestCertificateResponse, error) {
	if in.CertificateAuthorityArn != nil {
		return nil, awserr.NotImplemented.New("Private certificates (CertificateAuthorityArn) need AWS Private CA, which niwa does not implement: request a public certificate (issued by niwa's local CA) or import one.")
	}
	domain := strings.ToLower(ptr.Deref(in.DomainName))
	if !validDomain(domain) {
		return nil, awserr.ValidationException.New("1 validation error detected: Value '%s' at 'domainName' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", ptr.Deref(in.DomainName), domainPatternText)
	}
	if len(in.SubjectAlternativeNames) > maxSANs {
		return nil, acmapi.ErrLimitExceededException.New("Cannot request a certificate with more than %d domain names.", maxSANs)
	}
	seen := map[string]bool{domain: true}
	names := []string{domain}
	for _, s := range in.SubjectAlternativeNames {
		s = strings.ToLower(s)
		if !validDomain(s) {
			return nil, awserr.ValidationException.New("1 validation error detected: Value '[%s]' at 'subjectAlternativeNames' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 253, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: %s]", strings.Join(in.SubjectAlternativeNames, ", "), domainPatternText)
		}
		if !seen[s] {
			seen[s] = true
			names = append(names, s)
		}
	}
	method := ptr.Deref(in.ValidationMethod)
	switch method {
	case "":
		method = methodDNS
	case methodDNS, methodEmail:
	default:
		return nil, awserr.ValidationException.New("1 validation error detected: Value '%s' at 'validationMethod' failed to satisfy constraint: Member must satisfy enum value set: [EMAIL, DNS, HTTP]", method)
	}
	alg := ptr.Deref(in.KeyAlgorithm)
	switch alg {
	case "":
		alg = ca.RSA2048
	case ca.RSA2048, ca.ECP256, ca.ECP384:
	default:
		return nil, awserr.ValidationException.New("The key algorithm %s is not supported for public certificates: use RSA_2048, EC_prime256v1 or EC_secp384r1.", alg)
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	vdomains := map[string]string{}
	for _, o := range in.DomainValidationOptions {
		d, vd := strings.ToLower(ptr.Deref(o.DomainName)), strings.ToLower(ptr.Deref(o.ValidationDomain))
		if !seen[d] {
			return nil, acmapi.ErrInvalidDomainValidationOptionsException.New("DomainValidationOption %s is not one of the certificate's domain names.", d)
		}
		if vd != d && !strings.HasSuffix(strings.TrimPrefix(d, "*."), "."+vd) {
			return nil, acmapi.ErrInvalidDomainValidationOptionsException.New("ValidationDomain %s must be %s or a superdomain of it.", vd, d)
		}
		vdomains[d] = vd
	}
	token := ptr.Deref(in.IdempotencyToken)
	now := ctx.Now()
	arn, id := newARN(ctx)
	c := cert{ARN: arn, Domain: domain, SANs: names, Status: statusPending, Type: typeAmazon, KeyAlgorithm: alg,
		Method: method, IdempotencyToken: token, CreatedAt: now, CTLogging: "ENABLED"}
	// DescribeCertificate lists the domain name first among the SANs.
	c.SANs = names
	if o := in.Options; o != nil && o.CertificateTransparencyLoggingPreference != nil {
		c.CTLogging = *o.CertificateTransparencyLoggingPreference
	}
	for _, n := range names {
		v := validation{Domain: n, ValidationDomain: n, Status: validationPending}
		if vd, ok := vdomains[n]; ok {
			v.ValidationDomain = vd
		}
		if method == methodDNS {
			v.RecordName, v.RecordValue = validationRecord(ctx.Account, n)
		} else {
			v.Emails = validationEmails(strings.TrimPrefix(v.ValidationDomain, "*."))
		}
		c.Validations = append(c.Validations, v)
	}
	setTags(&c, in.Tags)
	var existing string
	err := a.opt.Store.Update(func(tx storage.Tx) error {
		if token != "" {
			// The same token within an hour answers the certificate that
			// request made (same domains), as AWS does.
			err := certs.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, o cert) bool {
				if o.IdempotencyToken == token && o.Domain == domain && now.Sub(o.CreatedAt) < idempotencyWindow {
					existing = o.ARN
					return false
				}
				return true
			})
			if err != nil || existing != "" {
				return err
			}
		}
		if err := newApprovals(tx, &c, ctx.Account, ctx.Region, id); err != nil {
			return err
		}
		return certs.Put(tx, scope(ctx), c, id)
	})
	if err != nil {
		return nil, err
	}
	if existing != "" {
		arn = existing
	} else {
		for _, v := range c.Validations {
			a.sendValidationMail(ctx, c, v, ctx.Account, ctx.Region)
		}
	}
	return &acmapi.RequestCertificateResponse{CertificateArn: ptr.To(arn)}, nil
}
