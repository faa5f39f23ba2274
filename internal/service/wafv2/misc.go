package wafv2

import (
	"net/netip"
	"sort"
	"strings"

	wafv2api "github.com/niwa-cloud/niwa/internal/api/wafv2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Location maps client addresses to an ISO 3166 country for GeoMatch
// statements (niwa has no GeoIP database; docs/waf.md).
type Location struct {
	Prefix  netip.Prefix
	Country string
}

// country is the configured country of a client address.
func (w *WAF) country(a netip.Addr) string {
	for _, l := range w.locations {
		if l.Prefix.Contains(a.Unmap()) {
			return l.Country
		}
	}
	return w.defaultCountry
}

// entityForTags finds the entity an ARN names, in the caller's scope.
func (w *WAF) tagged(ctx *request.Context, arn string, change func(e *entity)) (entity, error) {
	sc := scopeOf(ctx)
	var e entity
	fn := func(tx storage.Tx) error {
		var ok bool
		var err error
		e, ok, err = entityByARN(tx, sc, arn)
		if err != nil {
			return err
		}
		if !ok {
			return nonexistent()
		}
		if change == nil {
			return nil
		}
		change(&e)
		key, _, err := byARN.Get(tx, sc, arn)
		if err != nil {
			return err
		}
		return entities.Put(tx, sc, e, key...)
	}
	var err error
	if change == nil {
		err = w.store.View(fn)
	} else {
		err = w.store.Update(fn)
	}
	return e, err
}

// TagResource adds tags to an entity (50 at most, as AWS).
func (w *WAF) TagResource(ctx *request.Context, in *wafv2api.TagResourceRequest) (*wafv2api.TagResourceResponse, error) {
	var tooMany bool
	_, err := w.tagged(ctx, ptr.Deref(in.ResourceARN), func(e *entity) {
		if e.Tags == nil {
			e.Tags = map[string]string{}
		}
		for _, t := range in.Tags {
			e.Tags[ptr.Deref(t.Key)] = ptr.Deref(t.Value)
		}
		tooMany = len(e.Tags) > 50
	})
	if err != nil {
		return nil, err
	}
	if tooMany {
		return nil, wafv2api.ErrWAFTagOperationException.New("An error occurred during the tagging operation. Retry your request.")
	}
	return &wafv2api.TagResourceResponse{}, nil
}

// UntagResource removes tags from an entity.
func (w *WAF) UntagResource(ctx *request.Context, in *wafv2api.UntagResourceRequest) (*wafv2api.UntagResourceResponse, error) {
	_, err := w.tagged(ctx, ptr.Deref(in.ResourceARN), func(e *entity) {
		for _, k := range in.TagKeys {
			delete(e.Tags, k)
		}
	})
	if err != nil {
		return nil, err
	}
	return &wafv2api.UntagResourceResponse{}, nil
}

// ListTagsForResource lists an entity's tags by key.
func (w *WAF) ListTagsForResource(ctx *request.Context, in *wafv2api.ListTagsForResourceRequest) (*wafv2api.ListTagsForResourceResponse, error) {
	e, err := w.tagged(ctx, ptr.Deref(in.ResourceARN), nil)
	if err != nil {
		return nil, err
	}
	info := &wafv2api.TagInfoForResource{ResourceARN: in.ResourceARN, TagList: []wafv2api.Tag{}}
	keys := make([]string, 0, len(e.Tags))
	for k := range e.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		info.TagList = append(info.TagList, wafv2api.Tag{Key: ptr.To(k), Value: ptr.To(e.Tags[k])})
	}
	return &wafv2api.ListTagsForResourceResponse{TagInfoForResource: info}, nil
}

// PutLoggingConfiguration stores a web ACL's logging configuration.
// niwa stores it and returns it; it does not deliver WAF logs
// (docs/waf.md).
func (w *WAF) PutLoggingConfiguration(ctx *request.Context, in *wafv2api.PutLoggingConfigurationRequest) (*wafv2api.PutLoggingConfigurationResponse, error) {
	lc := *in.LoggingConfiguration
	// AWS takes only destinations named aws-waf-logs-* (log groups,
	// Firehose streams, buckets).
	for _, d := range lc.LogDestinationConfigs {
		if !strings.Contains(d, "aws-waf-logs-") {
			return nil, invalid("LOG_DESTINATION", d, "The ARN isn’t valid. A valid ARN begins with arn: and includes other information separated by colons or slashes., and the destination's name must start with aws-waf-logs-.")
		}
	}
	if lc.LogType == nil {
		lc.LogType = ptr.To("WAF_LOGS")
	}
	if lc.LogScope == nil {
		lc.LogScope = ptr.To("CUSTOMER")
	}
	lc.ManagedByFirewallManager = ptr.To(false)
	arn := ptr.Deref(lc.ResourceArn)
	err := w.store.Update(func(tx storage.Tx) error {
		e, ok, err := entityByARN(tx, scopeOf(ctx), arn)
		if err != nil {
			return err
		}
		if !ok || e.Kind != kindWebACL {
			return nonexistent()
		}
		return logging.Put(tx, scopeOf(ctx), lc, arn)
	})
	if err != nil {
		return nil, err
	}
	return &wafv2api.PutLoggingConfigurationResponse{LoggingConfiguration: &lc}, nil
}

// GetLoggingConfiguration returns a web ACL's logging configuration.
func (w *WAF) GetLoggingConfiguration(ctx *request.Context, in *wafv2api.GetLoggingConfigurationRequest) (*wafv2api.GetLoggingConfigurationResponse, error) {
	var lc wafv2api.LoggingConfiguration
	err := w.store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		lc, ok, err = logging.Get(tx, scopeOf(ctx), ptr.Deref(in.ResourceArn))
		if err == nil && !ok {
			err = nonexistent()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &wafv2api.GetLoggingConfigurationResponse{LoggingConfiguration: &lc}, nil
}

// DeleteLoggingConfiguration removes a web ACL's logging configuration.
func (w *WAF) DeleteLoggingConfiguration(ctx *request.Context, in *wafv2api.DeleteLoggingConfigurationRequest) (*wafv2api.DeleteLoggingConfigurationResponse, error) {
	err := w.store.Update(func(tx storage.Tx) error {
		ok, err := logging.DeleteExisting(tx, scopeOf(ctx), ptr.Deref(in.ResourceArn))
		if err == nil && !ok {
			err = nonexistent()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &wafv2api.DeleteLoggingConfigurationResponse{}, nil
}

// ListLoggingConfigurations lists the stored logging configurations of
// the scope's web ACLs.
func (w *WAF) ListLoggingConfigurations(ctx *request.Context, in *wafv2api.ListLoggingConfigurationsRequest) (*wafv2api.ListLoggingConfigurationsResponse, error) {
	if err := checkScope(ctx, ptr.Deref(in.Scope)); err != nil {
		return nil, err
	}
	out := &wafv2api.ListLoggingConfigurationsResponse{LoggingConfigurations: []wafv2api.LoggingConfiguration{}}
	err := w.store.View(func(tx storage.Tx) error {
		return logging.List(tx, scopeOf(ctx), nil, storage.ListOptions{}, func(key []string, lc wafv2api.LoggingConfiguration) bool {
			if len(key) == 1 && scopeFromARN(key[0]) == ptr.Deref(in.Scope) {
				out.LoggingConfigurations = append(out.LoggingConfigurations, lc)
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// managedGroups are AWS's managed rule groups as ListAvailable-
// ManagedRuleGroups names them; niwa lists them so that tools that
// browse them work, and refuses them in rules (reasonManaged).
var managedGroups = [][2]string{
	{"AWSManagedRulesCommonRuleSet", "Contains rules that are generally applicable to web applications."},
	{"AWSManagedRulesAdminProtectionRuleSet", "Contains rules that allow you to block external access to exposed admin pages."},
	{"AWSManagedRulesKnownBadInputsRuleSet", "Contains rules that allow you to block request patterns that are known to be invalid."},
	{"AWSManagedRulesSQLiRuleSet", "Contains rules that allow you to block request patterns associated with exploitation of SQL databases."},
	{"AWSManagedRulesLinuxRuleSet", "Contains rules that block request patterns associated with exploitation of vulnerabilities specific to Linux."},
	{"AWSManagedRulesUnixRuleSet", "Contains rules that block request patterns associated with exploiting vulnerabilities specific to POSIX/POSIX-like OS."},
	{"AWSManagedRulesWindowsRuleSet", "Contains rules that block request patterns associated with exploiting vulnerabilities specific to Windows."},
	{"AWSManagedRulesPHPRuleSet", "Contains rules that block request patterns associated with exploiting vulnerabilities specific to the use of the PHP."},
	{"AWSManagedRulesWordPressRuleSet", "The WordPress Applications group contains rules that block request patterns associated with the exploitation of vulnerabilities specific to WordPress sites."},
	{"AWSManagedRulesAmazonIpReputationList", "This group contains rules that are based on Amazon threat intelligence."},
	{"AWSManagedRulesAnonymousIpList", "This group contains rules that allow you to block requests from services that allow obfuscation of viewer identity."},
	{"AWSManagedRulesBotControlRuleSet", "Provides protection against automated bots that can consume excess resources, skew business metrics, cause downtime, or perform malicious activities."},
}

// ListAvailableManagedRuleGroups lists AWS's managed rule groups.
func (w *WAF) ListAvailableManagedRuleGroups(ctx *request.Context, in *wafv2api.ListAvailableManagedRuleGroupsRequest) (*wafv2api.ListAvailableManagedRuleGroupsResponse, error) {
	if err := checkScope(ctx, ptr.Deref(in.Scope)); err != nil {
		return nil, err
	}
	out := &wafv2api.ListAvailableManagedRuleGroupsResponse{ManagedRuleGroups: []wafv2api.ManagedRuleGroupSummary{}}
	for _, g := range managedGroups {
		out.ManagedRuleGroups = append(out.ManagedRuleGroups, wafv2api.ManagedRuleGroupSummary{VendorName: ptr.To("AWS"),
			Name: ptr.To(g[0]), VersioningSupported: ptr.To(g[0] != "AWSManagedRulesAmazonIpReputationList" && g[0] != "AWSManagedRulesAnonymousIpList"), Description: ptr.To(g[1])})
	}
	return out, nil
}
