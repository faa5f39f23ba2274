package server

import (
	"github.com/niwa-cloud/niwa/internal/gateway"
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
	d.ses = ses.New(ses.Options{Store: store, Clock: d.clock, Log: d.log, DNS: d.dnsSource, Endpoint: d.endpoint})
	return &wiring{impl: ses.NewV1(d.ses),
		routes: []gateway.Route{{Name: "ses", Match: d.ses.Matches, Handler: d.ses.HTTP()}}}, nil
}

// wireSESv2 wires SES v2 over the Core wireSES made.
func wireSESv2(d *deps) (*wiring, error) {
	return &wiring{impl: ses.NewV2(d.ses)}, nil
}
