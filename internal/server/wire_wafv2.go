package server

import (
	"github.com/niwa-cloud/niwa/internal/service/wafv2"
)

// wireWAFv2 wires AWS WAF and keeps it for the data planes that consult
// web ACLs (the Application Load Balancer's; API Gateway and CloudFront
// plug in the same way, docs/waf.md).
func wireWAFv2(d *deps) (*wiring, error) {
	kd, err := d.kitDeps("wafv2")
	if err != nil {
		return nil, err
	}
	d.waf = wafv2.New(kd.Store, kd.Clock, wafv2.Options{})
	return &wiring{Declaration: d.waf.Declare()}, nil
}
