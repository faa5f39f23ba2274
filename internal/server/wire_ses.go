package server

import (
	"context"
	"crypto/tls"

	"github.com/niwa-cloud/niwa/internal/service/ses"
)

// wireSES wires SES's classic API and the Core both SES APIs share:
// domain identities are checked against Route53's zones (wired before),
// verification links point at niwa's own endpoint, and the outbox and
// links are raw routes under /_niwa/ses/. Receipt rules reach S3 through
// internal/objects and Lambda synchronously through the Lambda service
// (RequestResponse actions); SNS topics and Event invocations go over the
// bus. The SMTP listeners take their certificate from niwa's local CA
// (wired with ACM, before).
func wireSES(d *deps) (*wiring, error) {
	store, err := d.store("ses")
	if err != nil {
		return nil, err
	}
	opt := ses.Options{Store: store, Clock: d.clock, Log: d.log, DNS: d.dnsResolver.Source, Endpoint: d.endpoint, Bus: d.bus,
		Objects: d.objectStore()}
	if d.lambda != nil {
		opt.Functions = sesFunctions{integrationFunctions{d.lambda, d}}
	}
	d.ses = ses.New(opt)
	w := &wiring{Declaration: d.ses.DeclareV1()}
	chain := &credentialChain{static: d.static, sts: d.sts.svc, iam: iamCredentials{d.iam.svc}}
	keys := func(id string) (string, string, bool, error) {
		c, ok, err := chain.LookupAccessKey(id)
		return c.SecretAccessKey, c.Account, ok, err
	}
	var tlsConf *tls.Config
	if d.authority != nil {
		certs := &tlsCerts{authority: d.authority, clock: d.clock}
		tlsConf = &tls.Config{GetCertificate: certs.get, MinVersion: tls.VersionTLS12}
	}
	var closers []func() error
	for _, l := range []struct {
		addr     string
		implicit bool
		what     string
	}{{d.cfg.SMTPAddr, false, "SES SMTP interface listening"}, {d.cfg.SMTPSAddr, true, "SES SMTP interface (implicit TLS) listening"}} {
		if l.addr == "" {
			continue
		}
		srv, err := d.ses.ServeSMTP(ses.SMTPConfig{Addr: l.addr, Region: d.cfg.Region, Keys: keys, TLS: tlsConf, Implicit: l.implicit})
		if err != nil {
			for _, c := range closers {
				_ = c()
			}
			return nil, err
		}
		d.log.Info(l.what, "addr", srv.Addr())
		closers = append(closers, srv.Close)
	}
	if len(closers) > 0 {
		w.Close = func() error {
			var first error
			for _, c := range closers {
				if err := c(); err != nil && first == nil {
					first = err
				}
			}
			return first
		}
	}
	return w, nil
}

// sesFunctions runs receipt rules' RequestResponse Lambda actions.
type sesFunctions struct{ f integrationFunctions }

func (s sesFunctions) InvokeAs(ctx context.Context, fn string, payload []byte, caller string) ([]byte, string, error) {
	return s.f.invokeAs(ctx, fn, payload, caller)
}

// wireSESv2 wires SES v2 over the Core wireSES made.
func wireSESv2(d *deps) (*wiring, error) {
	return &wiring{Declaration: d.ses.DeclareV2()}, nil
}
