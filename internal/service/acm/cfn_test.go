package acm

import (
	"reflect"
	"testing"

	acmapi "github.com/niwa-cloud/niwa/internal/api/acm"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
)

// TestCloudFormationCertificate: a certificate requested, read back,
// updated in place (tags, transparency logging) and deleted through the
// provider; it is issued once its validation record appears.
func TestCloudFormationCertificate(t *testing.T) {
	a, h, dns, _ := newACM(t)
	ctx := h.Ctx()
	p := a.cfnResources()["AWS::CertificateManager::Certificate"]
	r := kit.ResourceRequest{LogicalID: "Cert", StackName: "s", Properties: map[string]any{
		"DomainName": "www.example.com", "SubjectAlternativeNames": []any{"api.example.com"}, "ValidationMethod": "DNS",
		"DomainValidationOptions": []any{map[string]any{"DomainName": "www.example.com", "HostedZoneId": "Z123"}},
		"Tags":                    []any{map[string]any{"Key": "team", "Value": "web"}}}}
	res, err := p.Create(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	d := describe(t, a, h, res.PhysicalID)
	if *d.Status != statusPending || len(d.DomainValidationOptions) != 2 {
		t.Fatalf("created %+v", d)
	}
	live, err := p.Read(ctx, kit.ResourceRequest{PhysicalID: res.PhysicalID})
	if err != nil || live["DomainName"] != "www.example.com" || !reflect.DeepEqual(live["SubjectAlternativeNames"], []any{"api.example.com"}) ||
		!reflect.DeepEqual(live["Tags"], []any{map[string]any{"Key": "team", "Value": "web"}}) {
		t.Fatalf("read %v %v", live, err)
	}
	for _, v := range d.DomainValidationOptions {
		dns.set(*v.ResourceRecord.Name, *v.ResourceRecord.Value)
	}
	if d = describe(t, a, h, res.PhysicalID); *d.Status != statusIssued {
		t.Fatalf("status %s after validation", *d.Status)
	}
	up := r
	up.PhysicalID, up.OldProperties = res.PhysicalID, r.Properties
	up.Properties = map[string]any{"DomainName": "www.example.com", "SubjectAlternativeNames": []any{"api.example.com"},
		"CertificateTransparencyLoggingPreference": "DISABLED", "Tags": []any{map[string]any{"Key": "env", "Value": "prod"}}}
	if _, err := p.Update(ctx, up); err != nil {
		t.Fatal(err)
	}
	live, err = p.Read(ctx, kit.ResourceRequest{PhysicalID: res.PhysicalID})
	if err != nil || live["CertificateTransparencyLoggingPreference"] != "DISABLED" ||
		!reflect.DeepEqual(live["Tags"], []any{map[string]any{"Key": "env", "Value": "prod"}}) {
		t.Fatalf("after update %v %v", live, err)
	}
	if err := p.Delete(ctx, up); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Read(ctx, up); err != kit.ErrResourceGone {
		t.Fatalf("read after delete: %v", err)
	}
	if err := p.Delete(ctx, up); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	if _, err := p.Create(ctx, kit.ResourceRequest{Properties: map[string]any{"DomainName": "-bad-"}}); err == nil {
		t.Fatal("a bad domain name was requested")
	}
}

// TestCloudFormationAccount: the account's expiry events setting made,
// changed, refused out of range (the API's error), and put back to the
// default on delete; Ref is the account id.
func TestCloudFormationAccount(t *testing.T) {
	a, h, _, _ := newACM(t)
	ctx := h.Ctx()
	p := a.cfnResources()["AWS::CertificateManager::Account"]
	days := func() int32 {
		out, err := a.GetAccountConfiguration(ctx, &acmapi.GetAccountConfigurationInput{})
		if err != nil {
			t.Fatal(err)
		}
		return *out.ExpiryEvents.DaysBeforeExpiry
	}
	props := func(n any) map[string]any {
		return map[string]any{"ExpiryEventsConfiguration": map[string]any{"DaysBeforeExpiry": n}}
	}
	res, err := p.Create(ctx, kit.ResourceRequest{LogicalID: "Acct", Properties: props(30)})
	if err != nil || res.PhysicalID != h.Account || res.Attributes["AccountId"] != h.Account || days() != 30 {
		t.Fatalf("create %+v %v days %d", res, err, days())
	}
	if _, err := p.Update(ctx, kit.ResourceRequest{PhysicalID: res.PhysicalID, Properties: props("10"), OldProperties: props(30)}); err != nil || days() != 10 {
		t.Fatalf("update %v days %d", err, days())
	}
	if _, err := p.Update(ctx, kit.ResourceRequest{PhysicalID: res.PhysicalID, Properties: props(60), OldProperties: props(10)}); !awserr.ValidationException.Is(err) {
		t.Fatalf("60 days: %v", err)
	}
	if err := p.Delete(ctx, kit.ResourceRequest{PhysicalID: res.PhysicalID}); err != nil || days() != 45 {
		t.Fatalf("delete %v days %d", err, days())
	}
}
