package server

import (
	"slices"
	"testing"

	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// TestNamesListed: every service that hands out DNS names (Names) also
// lists them (EachName), so the hosts files of the code niwa runs hold
// every name niwa's DNS answers; the load balancers, execute-api hosts,
// CloudFront domains and database endpoints are among them.
func TestNamesListed(t *testing.T) {
	d, _ := wiredServices(t, servicetest.New(t, "server"))
	var owners []string
	for name, decl := range d.decls {
		if (decl.Names == nil) != (decl.EachName == nil) {
			t.Errorf("%s: Names and EachName must be declared together", name)
		}
		if decl.Names != nil {
			owners = append(owners, name)
		}
	}
	for _, want := range []string{"apigateway", "apigatewayv2", "cloudfront", "elb", "elbv2", "rds"} {
		if !slices.Contains(owners, want) {
			t.Errorf("%s hands out no names (services with names: %v)", want, owners)
		}
	}
}
