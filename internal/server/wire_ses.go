package server

import (
	"github.com/niwa-cloud/niwa/internal/service/ses"
)

// wireSES wires SES's classic API and the Core both SES APIs share:
// domain identities are checked against Route53's zones (wired before),
// verification links point at niwa's own endpoint, and the outbox and
// links are raw routes under /_niwa/ses/.
func wireSES(d *deps) (*wiring, error) {
	store, err := d.store("ses")
	if err != nil {
		return nil, err
	}
	d.ses = ses.New(ses.Options{Store: store, Clock: d.clock, Log: d.log, DNS: d.dnsResolver.Source, Endpoint: d.endpoint, Bus: d.bus})
	w := &wiring{Declaration: d.ses.DeclareV1()}
	if d.cfg.SMTPAddr == "" {
		return w, nil
	}
	chain := &credentialChain{static: d.static, sts: d.sts.svc, iam: iamCredentials{d.iam.svc}}
	srv, err := d.ses.ListenSMTP(d.cfg.SMTPAddr, d.cfg.Region, func(id string) (string, string, bool, error) {
		c, ok, err := chain.LookupAccessKey(id)
		return c.SecretAccessKey, c.Account, ok, err
	})
	if err != nil {
		return nil, err
	}
	d.log.Info("SES SMTP interface listening", "addr", srv.Addr())
	w.Close = srv.Close
	return w, nil
}

// wireSESv2 wires SES v2 over the Core wireSES made.
func wireSESv2(d *deps) (*wiring, error) {
	return &wiring{Declaration: d.ses.DeclareV2()}, nil
}
