package server

import (
	"github.com/niwa-cloud/niwa/internal/service/cloudfront"
	"github.com/niwa-cloud/niwa/internal/service/wafv2"
)

// wireWAFv2 wires WAF and keeps it for CloudFront's edge, which evaluates
// the web ACLs distributions name, and the ALB data plane, which
// evaluates the web ACL associated with a load balancer. Clients are
// placed in countries by --client-locations/--client-country.
func wireWAFv2(d *deps) (*wiring, error) {
	kd, err := d.kitDeps("wafv2")
	if err != nil {
		return nil, err
	}
	var locs []wafv2.Location
	for _, l := range d.cfg.Clients.Locations {
		locs = append(locs, wafv2.Location{Prefix: l.Prefix, Country: l.Country})
	}
	d.waf = wafv2.New(wafv2.Options{Store: kd.Store, Clock: kd.Clock, Log: kd.Log, Bus: kd.Bus,
		Locations: locs, DefaultCountry: d.cfg.Clients.Default})
	return &wiring{Declaration: d.waf.Declare()}, nil
}

// wireCloudFront wires CloudFront with S3 behind its S3 origins (read as
// cloudfront.amazonaws.com or an origin access identity, under the
// bucket policy) and ACM behind its alternate domain names' certificates
// (after ACM in services.go). Custom origins on AWS's own hosts (an API
// Gateway stage, a load balancer) are served by niwa's gateway in
// process.
func wireCloudFront(d *deps) (*wiring, error) {
	kd, err := d.kitDeps("cloudfront")
	if err != nil {
		return nil, err
	}
	opt := cloudfront.Options{Store: kd.Store, Clock: kd.Clock, Log: kd.Log, Region: kd.Region, Objects: d.objectStore(),
		Country:   d.cfg.Clients.Country,
		Transport: selfTransport{gateway: d.gateway, names: &d.names, endpoint: d.endpoint, next: cloudfront.DefaultTransport()}}
	if d.acm != nil {
		opt.Certificates = acmCertificates{d.acm, d.clock, d.log}
	}
	if d.waf != nil {
		opt.WAF = d.waf
	}
	svc := cloudfront.New(opt)
	return &wiring{Declaration: svc.Declare()}, nil
}
