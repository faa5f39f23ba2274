package server

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	mdns "github.com/miekg/dns"

	"github.com/niwa-cloud/niwa/internal/ca"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/mail"
	"github.com/niwa-cloud/niwa/internal/service/acm"
)

// wireACM loads (or makes, on first start) niwa's local certificate
// authority, serves its root at GET /_niwa/ca.pem and, with --data-dir,
// writes it to <data-dir>/ca.pem; then wires ACM, which issues from it
// and validates DNS requests against Route53's public zones. In memory
// (no --data-dir) the authority is made on first use: no client can
// trust a root it has not fetched yet, and making it is ~1,000
// allocations and pages of crypto/x509 at every start.
func wireACM(d *deps) (*wiring, error) {
	caStore, err := d.store("ca")
	if err != nil {
		return nil, err
	}
	authority := ca.Lazy(caStore, d.clock.Now)
	if d.cfg.DataDir != "" {
		if authority, err = ca.Load(caStore, d.clock.Now()); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(d.cfg.DataDir, ca.RootFile), authority.RootPEM(), 0o644); err != nil {
			return nil, fmt.Errorf("ca: write root certificate: %w", err)
		}
	}
	d.authority = authority
	store, err := d.store("acm")
	if err != nil {
		return nil, err
	}
	opt := acm.Options{Store: store, CA: authority, Clock: d.clock, Log: d.log, Mail: systemMail{d}, Endpoint: d.endpoint}
	if r := d.dnsResolver; r != nil {
		opt.Lookup = func(name string) ([]string, error) { return publicCNAMEs(r, name) }
	}
	svc := acm.New(opt)
	d.acm = svc
	decl := svc.Declare()
	// The authority outlives POST /_niwa/reset (clients already trust
	// its root): stored again after the reset dropped it.
	decl.Reset = func() error { return authority.Keep(caStore) }
	decl.Routes = append(decl.Routes, kit.Route{Name: "ca", Match: func(r *http.Request) bool { return r.URL.Path == ca.RootPath }, Handler: authority.Handler()})
	return &wiring{Declaration: decl}, nil
}

// systemMail is the mail services send as AWS (ACM's approval mail),
// carried by SES — wired after ACM (it needs the local CA), so it is
// looked up when a message is sent.
type systemMail struct{ d *deps }

func (m systemMail) SendMail(ctx context.Context, msg mail.Message) (string, error) {
	if m.d.ses == nil {
		return "", nil
	}
	return m.d.ses.SendMail(ctx, msg)
}

// publicCNAMEs answers name's CNAME targets from the public zones, as
// ACM's validation reads public DNS (a private zone does not validate).
func publicCNAMEs(r interface {
	Answer(mdns.Question, string) (*mdns.Msg, error)
}, name string) ([]string, error) {
	m, err := r.Answer(mdns.Question{Name: mdns.Fqdn(name), Qtype: mdns.TypeCNAME, Qclass: mdns.ClassINET}, "")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rr := range m.Answer {
		if c, ok := rr.(*mdns.CNAME); ok && strings.EqualFold(c.Hdr.Name, mdns.Fqdn(name)) {
			out = append(out, c.Target)
		}
	}
	return out, nil
}
