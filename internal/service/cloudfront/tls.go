package cloudfront

import (
	"context"
	"crypto/tls"
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
