package acm

import (
	"strings"

	acmapi "github.com/niwa-cloud/niwa/internal/api/acm"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnResources are ACM's CloudFormation resource types.
func (a *ACM) cfnResources() map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the certificate ARN; the type has no Fn::GetAtt
		// attributes. AWS's CloudFormation waits until the certificate
		// is ISSUED; niwa's engine has no wait for providers, so the
		// resource completes once the certificate is requested (see
		// docs/cloudformation.md).
		"AWS::CertificateManager::Certificate": {
			Create: a.cfnCreateCertificate, Update: a.cfnUpdateCertificate, Delete: a.cfnDeleteCertificate,
			Read: a.cfnReadCertificate, Tags: true,
			Replace: []string{"CertificateAuthorityArn", "DomainName", "DomainValidationOptions", "KeyAlgorithm",
				"SubjectAlternativeNames", "ValidationMethod"},
		},
		// Ref is the account id. The account's expiry events setting;
		// deleting the resource puts back the default (45 days).
		"AWS::CertificateManager::Account": {Create: a.cfnPutAccount, Update: a.cfnPutAccount, Delete: a.cfnResetAccount},
	}
}

func (a *ACM) cfnPutAccount(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	cfg := &acmapi.ExpiryEventsConfiguration{}
	if !kit.Has(r.Properties, "ExpiryEventsConfiguration") {
		return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: #: required key [ExpiryEventsConfiguration] not found", r.LogicalID)
	}
	if err := kit.DecodeProp(r.Properties, "ExpiryEventsConfiguration", cfg); err != nil {
		return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: #/ExpiryEventsConfiguration: %v", r.LogicalID, err)
	}
	if _, err := a.PutAccountConfiguration(ctx, &acmapi.PutAccountConfigurationRequest{ExpiryEvents: cfg, IdempotencyToken: ptr.To(awsid.Hex(16))}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: ctx.Account, Attributes: map[string]any{"AccountId": ctx.Account}}, nil
}

func (a *ACM) cfnResetAccount(ctx *request.Context, _ kit.ResourceRequest) error {
	_, err := a.PutAccountConfiguration(ctx, &acmapi.PutAccountConfigurationRequest{IdempotencyToken: ptr.To(awsid.Hex(16)),
		ExpiryEvents: &acmapi.ExpiryEventsConfiguration{DaysBeforeExpiry: ptr.To(int32(defaultExpiryDays))}})
	return err
}

func (a *ACM) cfnCreateCertificate(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &acmapi.RequestCertificateRequest{SubjectAlternativeNames: kit.PropList(r.Properties, "SubjectAlternativeNames")}
	if len(in.SubjectAlternativeNames) == 0 {
		in.SubjectAlternativeNames = nil
	}
	for _, p := range []struct {
		name string
		dst  **string
	}{{"DomainName", &in.DomainName}, {"ValidationMethod", &in.ValidationMethod},
		{"KeyAlgorithm", &in.KeyAlgorithm}, {"CertificateAuthorityArn", &in.CertificateAuthorityArn}} {
		if v := r.Str(p.name); v != "" {
			*p.dst = &v
		}
	}
	if v := r.Str("CertificateTransparencyLoggingPreference"); v != "" {
		in.Options = &acmapi.CertificateOptions{CertificateTransparencyLoggingPreference: &v}
	}
	// HostedZoneId is CloudFormation's own member (it writes the
	// validation records there on AWS); the request takes the rest.
	l, _ := r.Properties["DomainValidationOptions"].([]any)
	for _, e := range l {
		m, _ := e.(map[string]any)
		d, vd := kit.PropStr(m, "DomainName"), kit.PropStr(m, "ValidationDomain")
		if vd == "" {
			vd = d
		}
		in.DomainValidationOptions = append(in.DomainValidationOptions, acmapi.DomainValidationOption{DomainName: &d, ValidationDomain: &vd})
	}
	for k, v := range kit.PropTags(r.Properties) {
		key, val := k, v
		in.Tags = append(in.Tags, acmapi.Tag{Key: &key, Value: &val})
	}
	out, err := a.RequestCertificate(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *out.CertificateArn, Attributes: map[string]any{}}, nil
}

// cfnUpdateCertificate changes what changes in place: the transparency
// logging preference and the tags.
func (a *ACM) cfnUpdateCertificate(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	arn := r.PhysicalID
	pref := r.Str("CertificateTransparencyLoggingPreference")
	if pref == "" {
		pref = "ENABLED"
	}
	old := kit.PropStr(r.OldProperties, "CertificateTransparencyLoggingPreference")
	if old == "" {
		old = "ENABLED"
	}
	if pref != old {
		if _, err := a.UpdateCertificateOptions(ctx, &acmapi.UpdateCertificateOptionsRequest{CertificateArn: &arn,
			Options: &acmapi.CertificateOptions{CertificateTransparencyLoggingPreference: &pref}}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	oldTags, now := kit.PropTags(r.OldProperties), kit.PropTags(r.Properties)
	var gone, set []acmapi.Tag
	for k, v := range oldTags {
		if _, ok := now[k]; !ok {
			key, val := k, v
			gone = append(gone, acmapi.Tag{Key: &key, Value: &val})
		}
	}
	for k, v := range now {
		if ov, ok := oldTags[k]; !ok || ov != v {
			key, val := k, v
			set = append(set, acmapi.Tag{Key: &key, Value: &val})
		}
	}
	if len(gone) > 0 {
		if _, err := a.RemoveTagsFromCertificate(ctx, &acmapi.RemoveTagsFromCertificateRequest{CertificateArn: &arn, Tags: gone}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if len(set) > 0 {
		if _, err := a.AddTagsToCertificate(ctx, &acmapi.AddTagsToCertificateRequest{CertificateArn: &arn, Tags: set}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: arn, Attributes: map[string]any{}}, nil
}

func (a *ACM) cfnDeleteCertificate(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := a.DeleteCertificate(ctx, &acmapi.DeleteCertificateRequest{CertificateArn: &r.PhysicalID})
	if acmapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}

// cfnReadCertificate reads the certificate's names, method and tags back
// for drift detection.
func (a *ACM) cfnReadCertificate(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	c, err := a.load(ctx, &r.PhysicalID)
	if acmapi.ErrResourceNotFoundException.Is(err) {
		return nil, kit.ErrResourceGone
	}
	if err != nil {
		return nil, err
	}
	live := map[string]any{"DomainName": c.Domain, "ValidationMethod": c.Method,
		"CertificateTransparencyLoggingPreference": c.CTLogging}
	var sans []any
	for _, s := range c.SANs {
		if !strings.EqualFold(s, c.Domain) {
			sans = append(sans, s)
		}
	}
	live["SubjectAlternativeNames"] = sans
	live["Tags"] = kit.TagList(c.Tags)
	return live, nil
}
