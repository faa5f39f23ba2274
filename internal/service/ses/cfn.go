package ses

import (
	"strconv"
	"strings"

	sesapi "github.com/niwa-cloud/niwa/internal/api/ses"
	sesv2api "github.com/niwa-cloud/niwa/internal/api/sesv2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnResourcesV1 are the CloudFormation types the classic API serves:
// receipt rule sets and rules, and templates.
func (c *Core) cfnResourcesV1() map[string]kit.ResourceProvider {
	v1 := NewV1(c)
	out := c.cfnMoreV1(v1)
	for k, v := range map[string]kit.ResourceProvider{
		// Ref is the rule set name.
		"AWS::SES::ReceiptRuleSet": {
			Create: func(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
				name := r.Str("RuleSetName")
				if name == "" {
					name = cfnSESName(r)
				}
				if _, err := v1.CreateReceiptRuleSet(ctx, &sesapi.CreateReceiptRuleSetRequest{RuleSetName: &name}); err != nil {
					return kit.ResourceResult{}, err
				}
				return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{}}, nil
			},
			Delete: func(ctx *request.Context, r kit.ResourceRequest) error {
				_, err := v1.DeleteReceiptRuleSet(ctx, &sesapi.DeleteReceiptRuleSetRequest{RuleSetName: &r.PhysicalID})
				return err
			},
			Replace: []string{"RuleSetName"},
		},
		// Ref is the rule name.
		"AWS::SES::ReceiptRule": {
			Create: v1.cfnCreateRule, Update: v1.cfnUpdateRule, Delete: v1.cfnDeleteRule, Read: v1.cfnReadRule,
			Replace: []string{"RuleSetName"},
		},
		// Ref is the template name (AWS's "template ID"); Fn::GetAtt Id.
		"AWS::SES::Template": {
			Create: v1.cfnCreateTemplate, Update: v1.cfnUpdateTemplate, Delete: v1.cfnDeleteTemplate, Read: v1.cfnReadTemplate,
		},
	} {
		out[k] = v
	}
	return out
}

// cfnResourcesV2 are the CloudFormation types SES v2 serves:
// configuration sets and email identities.
func (c *Core) cfnResourcesV2() map[string]kit.ResourceProvider {
	v2 := NewV2(c)
	out := c.cfnMoreV2(v2)
	for k, v := range map[string]kit.ResourceProvider{
		// Ref is the configuration set name. Its options and tags change
		// in place; VdmOptions (whose Put operation niwa does not
		// implement) and a new name replace it.
		"AWS::SES::ConfigurationSet": {
			Create: v2.cfnCreateConfigurationSet, Update: v2.cfnUpdateConfigurationSet, Delete: v2.cfnDeleteConfigurationSet,
			Replace: []string{"Name", "VdmOptions"}, Tags: true,
		},
		// Ref is the identity; Fn::GetAtt DkimDNSTokenName1..3 and
		// DkimDNSTokenValue1..3, the Easy DKIM CNAME records.
		"AWS::SES::EmailIdentity": {
			Create: v2.cfnCreateIdentity, Update: v2.cfnUpdateIdentity, Delete: v2.cfnDeleteIdentity, Read: v2.cfnReadIdentity,
			Replace: []string{"EmailIdentity"},
		},
	} {
		out[k] = v
	}
	return out
}

// cfnSESName is a generated name SES takes: at most 64 letters, digits,
// underscores and hyphens.
func cfnSESName(r kit.ResourceRequest) string { return kit.PhysicalName(r, 64) }

func cfnInvalid(r kit.ResourceRequest, prop string, err error) error {
	return awserr.ValidationError.New("Properties validation failed for resource %s with message: #/%s: %v", r.LogicalID, prop, err)
}

func cfnRule(r kit.ResourceRequest) (*sesapi.ReceiptRule, error) {
	rule := &sesapi.ReceiptRule{}
	if err := kit.DecodeProp(r.Properties, "Rule", rule); err != nil {
		return nil, cfnInvalid(r, "Rule", err)
	}
	if ptr.Deref(rule.Name) == "" {
		if r.PhysicalID != "" {
			rule.Name = ptr.To(r.PhysicalID)
		} else {
			rule.Name = ptr.To(cfnSESName(r))
		}
	}
	return rule, nil
}

func (s *V1) cfnCreateRule(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if !kit.Has(r.Properties, "Rule") || !kit.Has(r.Properties, "RuleSetName") {
		return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: #: required key [Rule, RuleSetName] not found", r.LogicalID)
	}
	r.PhysicalID = ""
	rule, err := cfnRule(r)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	set := r.Str("RuleSetName")
	in := &sesapi.CreateReceiptRuleRequest{RuleSetName: &set, Rule: rule}
	if after := r.Str("After"); after != "" {
		in.After = &after
	}
	if _, err := s.CreateReceiptRule(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *rule.Name, Attributes: map[string]any{}}, nil
}

// cfnUpdateRule updates the rule in place; a new rule name makes the
// new rule (where the old one was) and deletes the old one, as
// CloudFormation replaces it.
func (s *V1) cfnUpdateRule(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	rule, err := cfnRule(r)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	set := r.Str("RuleSetName")
	if *rule.Name != r.PhysicalID {
		in := &sesapi.CreateReceiptRuleRequest{RuleSetName: &set, Rule: rule, After: ptr.To(r.PhysicalID)}
		if _, err := s.CreateReceiptRule(ctx, in); err != nil {
			return kit.ResourceResult{}, err
		}
		if _, err := s.DeleteReceiptRule(ctx, &sesapi.DeleteReceiptRuleRequest{RuleSetName: &set, RuleName: &r.PhysicalID}); err != nil {
			return kit.ResourceResult{}, err
		}
		return kit.ResourceResult{PhysicalID: *rule.Name, Attributes: map[string]any{}}, nil
	}
	if _, err := s.UpdateReceiptRule(ctx, &sesapi.UpdateReceiptRuleRequest{RuleSetName: &set, Rule: rule}); err != nil {
		return kit.ResourceResult{}, err
	}
	if after := r.Str("After"); after != kit.PropStr(r.OldProperties, "After") {
		if _, err := s.SetReceiptRulePosition(ctx, &sesapi.SetReceiptRulePositionRequest{RuleSetName: &set, RuleName: rule.Name, After: ptr.To(after)}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{}}, nil
}

func (s *V1) cfnDeleteRule(ctx *request.Context, r kit.ResourceRequest) error {
	set := r.Str("RuleSetName")
	_, err := s.DeleteReceiptRule(ctx, &sesapi.DeleteReceiptRuleRequest{RuleSetName: &set, RuleName: &r.PhysicalID})
	if sesapi.ErrRuleSetDoesNotExistException.Is(err) {
		return nil
	}
	return err
}

func (s *V1) cfnReadRule(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	set := r.Str("RuleSetName")
	out, err := s.DescribeReceiptRule(ctx, &sesapi.DescribeReceiptRuleRequest{RuleSetName: &set, RuleName: &r.PhysicalID})
	if sesapi.ErrRuleSetDoesNotExistException.Is(err) || sesapi.ErrRuleDoesNotExistException.Is(err) {
		return nil, kit.ErrResourceGone
	}
	if err != nil {
		return nil, err
	}
	rule := map[string]any{"Name": ptr.Deref(out.Rule.Name), "Enabled": ptr.Deref(out.Rule.Enabled),
		"ScanEnabled": ptr.Deref(out.Rule.ScanEnabled), "TlsPolicy": ptr.Deref(out.Rule.TlsPolicy)}
	var rcpts []any
	for _, v := range out.Rule.Recipients {
		rcpts = append(rcpts, v)
	}
	rule["Recipients"] = rcpts
	return map[string]any{"RuleSetName": set, "Rule": rule}, nil
}

func cfnTemplate(r kit.ResourceRequest) (*sesapi.Template, error) {
	t := &sesapi.Template{}
	if err := kit.DecodeProp(r.Properties, "Template", t); err != nil {
		return nil, cfnInvalid(r, "Template", err)
	}
	return t, nil
}

func (s *V1) cfnCreateTemplate(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	t, err := cfnTemplate(r)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if ptr.Deref(t.TemplateName) == "" {
		t.TemplateName = ptr.To(cfnSESName(r))
	}
	if _, err := s.CreateTemplate(ctx, &sesapi.CreateTemplateRequest{Template: t}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *t.TemplateName, Attributes: map[string]any{"Id": *t.TemplateName}}, nil
}

// cfnUpdateTemplate changes the template's parts; a new template name
// makes the new template and deletes the old one.
func (s *V1) cfnUpdateTemplate(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	t, err := cfnTemplate(r)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if name := ptr.Deref(t.TemplateName); name != "" && name != r.PhysicalID {
		if _, err := s.CreateTemplate(ctx, &sesapi.CreateTemplateRequest{Template: t}); err != nil {
			return kit.ResourceResult{}, err
		}
		if err := s.cfnDeleteTemplate(ctx, r); err != nil {
			return kit.ResourceResult{}, err
		}
		return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{"Id": name}}, nil
	}
	t.TemplateName = ptr.To(r.PhysicalID)
	if _, err := s.UpdateTemplate(ctx, &sesapi.UpdateTemplateRequest{Template: t}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"Id": r.PhysicalID}}, nil
}

func (s *V1) cfnDeleteTemplate(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteTemplate(ctx, &sesapi.DeleteTemplateRequest{TemplateName: &r.PhysicalID})
	if sesapi.ErrTemplateDoesNotExistException.Is(err) {
		return nil
	}
	return err
}

func (s *V1) cfnReadTemplate(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	out, err := s.GetTemplate(ctx, &sesapi.GetTemplateRequest{TemplateName: &r.PhysicalID})
	if sesapi.ErrTemplateDoesNotExistException.Is(err) {
		return nil, kit.ErrResourceGone
	}
	if err != nil {
		return nil, err
	}
	t := map[string]any{"TemplateName": r.PhysicalID}
	for k, p := range map[string]*string{"SubjectPart": out.Template.SubjectPart, "TextPart": out.Template.TextPart, "HtmlPart": out.Template.HtmlPart} {
		if p != nil {
			t[k] = *p
		}
	}
	return map[string]any{"Template": t}, nil
}

func (s *V2) cfnCreateConfigurationSet(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.Str("Name")
	if name == "" {
		name = cfnSESName(r)
	}
	in := &sesv2api.CreateConfigurationSetRequest{ConfigurationSetName: &name}
	for _, p := range []struct {
		name string
		dst  any
	}{{"TrackingOptions", &in.TrackingOptions}, {"DeliveryOptions", &in.DeliveryOptions}, {"ReputationOptions", &in.ReputationOptions},
		{"SendingOptions", &in.SendingOptions}, {"SuppressionOptions", &in.SuppressionOptions}, {"VdmOptions", &in.VdmOptions}} {
		if err := kit.DecodeProp(r.Properties, p.name, p.dst); err != nil {
			return kit.ResourceResult{}, cfnInvalid(r, p.name, err)
		}
	}
	for k, v := range kit.PropTags(r.Properties) {
		in.Tags = append(in.Tags, sesv2api.Tag{Key: ptr.To(k), Value: ptr.To(v)})
	}
	if _, err := s.CreateConfigurationSet(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{}}, nil
}

// cfnUpdateConfigurationSet puts each option the template sets, and
// the default of delivery, reputation, sending and tracking options it
// no longer sets (suppression options it no longer sets are left as
// they are: the set keeps following the account's list or its own).
func (s *V2) cfnUpdateConfigurationSet(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.PhysicalID
	var cur sesv2api.CreateConfigurationSetRequest
	for _, p := range []struct {
		name string
		dst  any
	}{{"TrackingOptions", &cur.TrackingOptions}, {"DeliveryOptions", &cur.DeliveryOptions}, {"ReputationOptions", &cur.ReputationOptions},
		{"SendingOptions", &cur.SendingOptions}, {"SuppressionOptions", &cur.SuppressionOptions}} {
		if err := kit.DecodeProp(r.Properties, p.name, p.dst); err != nil {
			return kit.ResourceResult{}, cfnInvalid(r, p.name, err)
		}
	}
	changed := func(prop string) bool {
		return kit.PropJSON(r.Properties, prop) != kit.PropJSON(r.OldProperties, prop)
	}
	if changed("DeliveryOptions") {
		in := &sesv2api.PutConfigurationSetDeliveryOptionsRequest{ConfigurationSetName: &name, TlsPolicy: ptr.To("OPTIONAL")}
		if o := cur.DeliveryOptions; o != nil {
			in.SendingPoolName = o.SendingPoolName
			if o.TlsPolicy != nil {
				in.TlsPolicy = o.TlsPolicy
			}
		}
		if _, err := s.PutConfigurationSetDeliveryOptions(ctx, in); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if changed("ReputationOptions") {
		in := &sesv2api.PutConfigurationSetReputationOptionsRequest{ConfigurationSetName: &name, ReputationMetricsEnabled: ptr.To(false)}
		if o := cur.ReputationOptions; o != nil && o.ReputationMetricsEnabled != nil {
			in.ReputationMetricsEnabled = o.ReputationMetricsEnabled
		}
		if _, err := s.PutConfigurationSetReputationOptions(ctx, in); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if changed("SendingOptions") {
		in := &sesv2api.PutConfigurationSetSendingOptionsRequest{ConfigurationSetName: &name, SendingEnabled: ptr.To(true)}
		if o := cur.SendingOptions; o != nil && o.SendingEnabled != nil {
			in.SendingEnabled = o.SendingEnabled
		}
		if _, err := s.PutConfigurationSetSendingOptions(ctx, in); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if changed("TrackingOptions") {
		in := &sesv2api.PutConfigurationSetTrackingOptionsRequest{ConfigurationSetName: &name}
		if o := cur.TrackingOptions; o != nil {
			in.CustomRedirectDomain = o.CustomRedirectDomain
		}
		if _, err := s.PutConfigurationSetTrackingOptions(ctx, in); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if changed("SuppressionOptions") && cur.SuppressionOptions != nil {
		in := &sesv2api.PutConfigurationSetSuppressionOptionsRequest{ConfigurationSetName: &name,
			SuppressedReasons: cur.SuppressionOptions.SuppressedReasons}
		if in.SuppressedReasons == nil {
			in.SuppressedReasons = []string{}
		}
		if _, err := s.PutConfigurationSetSuppressionOptions(ctx, in); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if err := s.cfnRetag(ctx, kit.ARN("ses", ctx.Region, ctx.Account, "configuration-set/"+name), r); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{}}, nil
}

func (s *V2) cfnDeleteConfigurationSet(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteConfigurationSet(ctx, &sesv2api.DeleteConfigurationSetRequest{ConfigurationSetName: &r.PhysicalID})
	if sesv2api.ErrNotFoundException.Is(err) {
		return nil
	}
	return err
}

func (s *V2) cfnCreateIdentity(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	id := r.Str("EmailIdentity")
	if id == "" {
		return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: #: required key [EmailIdentity] not found", r.LogicalID)
	}
	in := &sesv2api.CreateEmailIdentityRequest{EmailIdentity: &id}
	for k, v := range kit.PropTags(r.Properties) {
		in.Tags = append(in.Tags, sesv2api.Tag{Key: ptr.To(k), Value: ptr.To(v)})
	}
	if _, err := s.CreateEmailIdentity(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	r.OldProperties = nil
	if err := s.cfnIdentityAttributes(ctx, id, r); err != nil {
		_, _ = s.DeleteEmailIdentity(ctx, &sesv2api.DeleteEmailIdentityRequest{EmailIdentity: &id})
		return kit.ResourceResult{}, err
	}
	return s.cfnIdentityResult(ctx, id)
}

// cfnIdentityAttributes sets the identity's DKIM signing, feedback
// forwarding, MAIL FROM, DKIM key and configuration set attributes
// (with the Put operations: CreateEmailIdentity keeps neither its
// ConfigurationSetName nor its DkimSigningAttributes)
// the template gives, and puts back the defaults of those it no longer
// gives.
func (s *V2) cfnIdentityAttributes(ctx *request.Context, id string, r kit.ResourceRequest) error {
	has := func(name string) bool { return kit.Has(r.Properties, name) || kit.Has(r.OldProperties, name) }
	if has("DkimAttributes") {
		on := true
		if m := kit.PropMap(r.Properties, "DkimAttributes"); kit.Has(m, "SigningEnabled") {
			on = kit.PropBool(m, "SigningEnabled")
		}
		if _, err := s.PutEmailIdentityDkimAttributes(ctx, &sesv2api.PutEmailIdentityDkimAttributesRequest{EmailIdentity: &id, SigningEnabled: &on}); err != nil {
			return err
		}
	}
	if has("FeedbackAttributes") {
		on := true
		if m := kit.PropMap(r.Properties, "FeedbackAttributes"); kit.Has(m, "EmailForwardingEnabled") {
			on = kit.PropBool(m, "EmailForwardingEnabled")
		}
		if _, err := s.PutEmailIdentityFeedbackAttributes(ctx, &sesv2api.PutEmailIdentityFeedbackAttributesRequest{EmailIdentity: &id, EmailForwardingEnabled: &on}); err != nil {
			return err
		}
	}
	if has("MailFromAttributes") {
		m := kit.PropMap(r.Properties, "MailFromAttributes")
		in := &sesv2api.PutEmailIdentityMailFromAttributesRequest{EmailIdentity: &id}
		if d := kit.PropStr(m, "MailFromDomain"); d != "" {
			in.MailFromDomain = &d
		}
		if b := kit.PropStr(m, "BehaviorOnMxFailure"); b != "" {
			in.BehaviorOnMxFailure = &b
		}
		if _, err := s.PutEmailIdentityMailFromAttributes(ctx, in); err != nil {
			return err
		}
	}
	if has("DkimSigningAttributes") &&
		kit.PropJSON(r.Properties, "DkimSigningAttributes") != kit.PropJSON(r.OldProperties, "DkimSigningAttributes") {
		// Own keys (BYODKIM) are EXTERNAL; otherwise SES's Easy DKIM.
		in := &sesv2api.PutEmailIdentityDkimSigningAttributesRequest{EmailIdentity: &id, SigningAttributesOrigin: ptr.To("AWS_SES")}
		if err := kit.DecodeProp(r.Properties, "DkimSigningAttributes", &in.SigningAttributes); err != nil {
			return cfnInvalid(r, "DkimSigningAttributes", err)
		}
		if in.SigningAttributes != nil && ptr.Deref(in.SigningAttributes.DomainSigningPrivateKey) != "" {
			in.SigningAttributesOrigin = ptr.To("EXTERNAL")
		}
		if _, err := s.PutEmailIdentityDkimSigningAttributes(ctx, in); err != nil {
			return err
		}
	}
	if has("ConfigurationSetAttributes") {
		in := &sesv2api.PutEmailIdentityConfigurationSetAttributesRequest{EmailIdentity: &id}
		if cs := kit.PropStr(kit.PropMap(r.Properties, "ConfigurationSetAttributes"), "ConfigurationSetName"); cs != "" {
			in.ConfigurationSetName = &cs
		}
		if _, err := s.PutEmailIdentityConfigurationSetAttributes(ctx, in); err != nil {
			return err
		}
	}
	return nil
}

// cfnIdentityResult answers the Easy DKIM records as Fn::GetAtt gives
// them: <token>._domainkey.<domain> CNAME <token>.dkim.amazonses.com.
func (s *V2) cfnIdentityResult(ctx *request.Context, id string) (kit.ResourceResult, error) {
	out, err := s.GetEmailIdentity(ctx, &sesv2api.GetEmailIdentityRequest{EmailIdentity: &id})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	attrs := map[string]any{}
	domain := id[strings.LastIndexByte(id, '@')+1:]
	if d := out.DkimAttributes; d != nil {
		for i, t := range d.Tokens {
			if i >= 3 {
				break
			}
			n := strconv.Itoa(i + 1)
			attrs["DkimDNSTokenName"+n] = t + "._domainkey." + domain
			attrs["DkimDNSTokenValue"+n] = t + ".dkim.amazonses.com"
		}
	}
	return kit.ResourceResult{PhysicalID: id, Attributes: attrs}, nil
}

func (s *V2) cfnUpdateIdentity(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if r.OldProperties == nil {
		r.OldProperties = map[string]any{}
	}
	if err := s.cfnIdentityAttributes(ctx, r.PhysicalID, r); err != nil {
		return kit.ResourceResult{}, err
	}
	return s.cfnIdentityResult(ctx, r.PhysicalID)
}

func (s *V2) cfnDeleteIdentity(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteEmailIdentity(ctx, &sesv2api.DeleteEmailIdentityRequest{EmailIdentity: &r.PhysicalID})
	if sesv2api.ErrNotFoundException.Is(err) {
		return nil
	}
	return err
}

func (s *V2) cfnReadIdentity(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	out, err := s.GetEmailIdentity(ctx, &sesv2api.GetEmailIdentityRequest{EmailIdentity: &r.PhysicalID})
	if sesv2api.ErrNotFoundException.Is(err) {
		return nil, kit.ErrResourceGone
	}
	if err != nil {
		return nil, err
	}
	live := map[string]any{"EmailIdentity": r.PhysicalID,
		"FeedbackAttributes": map[string]any{"EmailForwardingEnabled": ptr.Deref(out.FeedbackForwardingStatus)}}
	if d := out.DkimAttributes; d != nil {
		live["DkimAttributes"] = map[string]any{"SigningEnabled": ptr.Deref(d.SigningEnabled)}
	}
	if cs := ptr.Deref(out.ConfigurationSetName); cs != "" {
		live["ConfigurationSetAttributes"] = map[string]any{"ConfigurationSetName": cs}
	}
	return live, nil
}
