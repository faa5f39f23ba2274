package route53

import (
	"errors"
	"testing"

	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestDeclaration: zone calls are checked on the zone whichever member
// names it; listing and creating zones on "*"; calls are recorded in
// us-east-1.
func TestDeclaration(t *testing.T) {
	d := (&Route53{}).Declare()
	env := kit.Env{Account: "123456789012", Region: "eu-west-1"}
	for _, tc := range []struct {
		op   string
		in   any
		want string
	}{
		{"GetHostedZone", &route53api.GetHostedZoneRequest{Id: ptr.To("/hostedzone/Z1")}, "arn:aws:route53:::hostedzone/Z1"},
		{"ChangeResourceRecordSets", &route53api.ChangeResourceRecordSetsRequest{HostedZoneId: ptr.To("Z1")}, "arn:aws:route53:::hostedzone/Z1"},
		{"ListHostedZones", &route53api.ListHostedZonesRequest{}, "*"},
		{"GetChange", &route53api.GetChangeRequest{Id: ptr.To("C1")}, "*"},
	} {
		if got := d.Authz.Checks("route53", tc.op, tc.in, env)[0].Resource; got != tc.want {
			t.Errorf("%s: %s, want %s", tc.op, got, tc.want)
		}
	}
	if !d.Audit.Global {
		t.Error("route53 is not recorded as a global service")
	}
}

// TestConstraintWording: Route 53 answers constraint violations as
// InvalidInput, where other REST services answer ValidationException.
func TestConstraintWording(t *testing.T) {
	vs := []model.Violation{{Path: "Id", Message: "Member must not be null"}}
	err := (&Route53{}).Declare().Validation.Error(nil, vs)
	var ae *awserr.Error
	if !errors.As(err, &ae) || ae.Code.Code != "InvalidInput" || ae.Code.Status != 400 {
		t.Fatalf("%v, want 400 InvalidInput", err)
	}
}
