package cloudfront

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"slices"
	"strings"

	cfapi "github.com/niwa-cloud/niwa/internal/api/cloudfront"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Certificates reads ACM certificates' key pairs, for alternate domain
// names served over TLS (ACM is wired by internal/server).
type Certificates interface {
	// KeyPair is the PEM chain and private key of an issued certificate
	// in account and region.
	KeyPair(ctx context.Context, account, region, arn string) (chain, key []byte, err error)
	// SetInUse records (or forgets) that resource uses the certificate
	// (ACM's InUseBy); ctx is in the certificate's account and region.
	SetInUse(ctx *request.Context, arn, resource string, inUse bool) error
}

// certARN is the ACM certificate a configuration's viewer certificate
// names ("" for none).
func certARN(c cfapi.DistributionConfig) string {
	if c.ViewerCertificate == nil {
		return ""
	}
	return ptr.Deref(c.ViewerCertificate.ACMCertificateArn)
}

// useCertificates records in ACM that the distribution d uses its
// configuration's certificate and no longer uses old's (AWS lists the
// distribution's ARN in the certificate's InUseBy). A certificate that
// is gone is not an error: the distribution keeps its configuration.
func (s *CloudFront) useCertificates(ctx *request.Context, distARN, old, now string) {
	if s.opt.Certificates == nil || old == now {
		return
	}
	for _, u := range []struct {
		arn string
		in  bool
	}{{old, false}, {now, true}} {
		p := strings.SplitN(u.arn, ":", 6)
		if len(p) != 6 {
			continue
		}
		cctx := *ctx
		cctx.Region = p[3]
		if err := s.opt.Certificates.SetInUse(&cctx, u.arn, distARN, u.in); err != nil {
			s.opt.Log.Warn("cloudfront: certificate use not recorded", "certificate", u.arn, "distribution", distARN, "error", err)
		}
	}
}

// ServerCertificate is the certificate niwa's HTTPS listener presents
// for an alternate domain name of a distribution: the ACM certificate its
// viewer certificate names (CloudFront reads it from us-east-1, the ARN's
// region here). Distribution domains and unknown names are not answered
// (ok false): niwa's own certificate covers *.cloudfront.localhost.
func (s *CloudFront) ServerCertificate(ctx context.Context, serverName string) (*tls.Certificate, bool, error) {
	name := strings.ToLower(strings.TrimSuffix(serverName, "."))
	if s.opt.Certificates == nil || strings.HasSuffix(name, DomainSuffix) {
		return nil, false, nil
	}
	h, ok := s.lookupHost(name)
	if !ok {
		return nil, false, nil
	}
	var d distRec
	if err := s.opt.Store.View(func(tx storage.Tx) (err error) {
		d, ok, err = dists.Get(tx, storage.Global(h.Account), h.ID)
		return err
	}); err != nil || !ok {
		return nil, false, err
	}
	vc := d.Config.ViewerCertificate
	arn := ""
	if vc != nil {
		arn = ptr.Deref(vc.ACMCertificateArn)
	}
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 {
		return nil, false, nil
	}
	chain, key, err := s.opt.Certificates.KeyPair(ctx, h.Account, parts[3], arn)
	if err != nil {
		// Not (yet) issued: the handshake gets niwa's own certificate,
		// which the client refuses for this name, as AWS would not serve.
		return nil, false, nil
	}
	pair, err := tls.X509KeyPair(chain, key)
	if err != nil {
		return nil, false, nil
	}
	return &pair, true, nil
}

// Refusals of a viewer certificate, in CloudFront's words.
const (
	msgBadCertificate  = "The specified SSL certificate doesn't exist, isn't in us-east-1 region, isn't valid, or doesn't include a valid certificate chain."
	msgAliasNotCovered = "To add an alternate domain name (CNAME) to a CloudFront distribution, you must attach a trusted certificate that validates your authorization to use the domain name. For more details, see: https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/CNAMEs.html#alternate-domain-names-requirements"
)

// checkViewerCertificate refuses, as CloudFront does, alternate domain
// names that the distribution's certificate does not cover: an ACM
// certificate must be in us-east-1 and issued, and name every alias (a
// wildcard alias needs the wildcard). It runs before the distribution's
// transaction (it reads ACM's store) and only when ACM is wired.
func (s *CloudFront) checkViewerCertificate(ctx *request.Context, c *cfapi.DistributionConfig) error {
	if s.opt.Certificates == nil || c == nil || c.Aliases == nil || len(c.Aliases.Items) == 0 {
		return nil
	}
	vc := c.ViewerCertificate
	if vc != nil && ptr.Deref(vc.IAMCertificateId) != "" {
		// IAM server certificates are not kept by niwa: nothing to check.
		return nil
	}
	arn := certARN(*c)
	if arn == "" {
		return cfapi.ErrInvalidViewerCertificate.New(msgAliasNotCovered)
	}
	if p := strings.SplitN(arn, ":", 6); len(p) != 6 || p[3] != "us-east-1" || p[4] != ctx.Account {
		return cfapi.ErrInvalidViewerCertificate.New(msgBadCertificate)
	}
	chain, _, err := s.opt.Certificates.KeyPair(ctx, ctx.Account, "us-east-1", arn)
	if err != nil {
		return cfapi.ErrInvalidViewerCertificate.New(msgBadCertificate)
	}
	block, _ := pem.Decode(chain)
	if block == nil {
		return cfapi.ErrInvalidViewerCertificate.New(msgBadCertificate)
	}
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return cfapi.ErrInvalidViewerCertificate.New(msgBadCertificate)
	}
	for _, alias := range c.Aliases.Items {
		a := strings.ToLower(strings.TrimSuffix(alias, "."))
		covered := leaf.VerifyHostname(a) == nil
		if strings.HasPrefix(a, "*.") {
			covered = slices.Contains(leaf.DNSNames, a)
		}
		if !covered {
			return cfapi.ErrInvalidViewerCertificate.New(msgAliasNotCovered)
		}
	}
	return nil
}
