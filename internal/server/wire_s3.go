package server

import (
	"time"

	"github.com/niwa-cloud/niwa/internal/auth"

	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/s3"
)

// s3LogFlushInterval is how long S3 server access log lines wait before
// they are delivered to the target bucket: AWS delivers within hours,
// niwa within seconds so that a test can watch them arrive.
const s3LogFlushInterval = 5 * time.Second

// wireS3 wires S3: the API, the static website endpoints (a raw route
// matched before service resolution) and the bucket policies the policy
// engine reads.
func wireS3(d *deps) (*wiring, error) {
	store, err := d.store("s3")
	if err != nil {
		return nil, err
	}
	suffix := d.cfg.S3HostSuffix
	if suffix == "" {
		suffix = "localhost"
	}
	svc := s3.New(store, d.backend.Blobs(), d.bus, d.clock, s3.Options{
		LogFlushInterval: s3LogFlushInterval,
		HostSuffix:       suffix,
		DefaultRegion:    d.cfg.Region,
		Log:              d.log.With("service", "s3"),
		// Form uploads are signed over their policy with the same keys
		// the gateway's verifier resolves (IAM and STS are wired first).
		// SSE-KMS objects are encrypted under KMS keys as the caller.
		DataKeys: d.dataKeysOf(),
		// S3 Select runs on the SQL engine Athena runs on (none in
		// in-process servers).
		SQLEngine: d.cfg.SQLEngine,
		PostVerifier: postVerifier{&auth.Verifier{
			Credentials:    &credentialChain{static: d.static, sts: d.sts.svc, iam: iamCredentials{d.iam.svc}},
			Clock:          d.clock,
			SkipValidation: d.cfg.SkipSignatureValidation,
			DefaultAccount: DefaultAccount,
		}},
	})
	d.s3 = svc
	// Lifecycle rules are applied hourly on the injected clock.
	svc.StartLifecycle(s3.DefaultLifecycleInterval)
	return &wiring{Declaration: svc.Declare()}, nil
}

// postVerifier gives S3 the form-upload authentication it declares
// (s3.PostVerifier) from the gateway's verifier.
type postVerifier struct{ v *auth.Verifier }

func (p postVerifier) VerifyPostPolicy(field func(string) string) (request.Caller, error) {
	c, anonymous, err := p.v.VerifyPostPolicy(field)
	if err != nil {
		return request.Caller{}, err
	}
	return callerOf(c, anonymous), nil
}
