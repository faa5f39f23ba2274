package ses

import (
	"sort"

	sesapi "github.com/niwa-cloud/niwa/internal/api/ses"
	sesv2api "github.com/niwa-cloud/niwa/internal/api/sesv2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnMoreV1 are the classic API's further types: receipt filters.
func (c *Core) cfnMoreV1(v1 *V1) map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the filter name; every change replaces it (AWS's has
		// no update).
		"AWS::SES::ReceiptFilter": {Create: v1.cfnCreateReceiptFilter, Delete: v1.cfnDeleteReceiptFilter},
	}
}

// cfnMoreV2 are SES v2's further types.
func (c *Core) cfnMoreV2(v2 *V2) map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the contact list name.
		"AWS::SES::ContactList": {Create: v2.cfnCreateContactList, Update: v2.cfnUpdateContactList,
			Delete: v2.cfnDeleteContactList, Replace: []string{"ContactListName"}, Tags: true},
		// Ref and Fn::GetAtt Id are a generated id (<stack>-<logical>-<random>),
		// also the destination's name when the template gives none.
		"AWS::SES::ConfigurationSetEventDestination": {Create: v2.cfnCreateEventDestination,
			Update: v2.cfnUpdateEventDestination, Delete: v2.cfnDeleteEventDestination,
			Replace: []string{"ConfigurationSetName"}},
		// Ref is the pool name. A ScalingMode change replaces the pool
		// (AWS changes it in place with PutDedicatedIpPoolScalingAttributes,
		// which niwa does not implement).
		"AWS::SES::DedicatedIpPool": {Create: v2.cfnCreateDedicatedIpPool, Update: v2.cfnUpdateDedicatedIpPool,
			Delete: v2.cfnDeleteDedicatedIpPool, Replace: []string{"PoolName", "ScalingMode"}, Tags: true},
	}
}

// cfnRetag applies the Tags property's changes to an SES resource.
func (s *V2) cfnRetag(ctx *request.Context, arn string, r kit.ResourceRequest) error {
	oldTags, tags := kit.PropTags(r.OldProperties), kit.PropTags(r.Properties)
	var gone []string
	var set []sesv2api.Tag
	for k := range oldTags {
		if _, ok := tags[k]; !ok {
			gone = append(gone, k)
		}
	}
	for k, v := range tags {
		if ov, ok := oldTags[k]; !ok || ov != v {
			set = append(set, sesv2api.Tag{Key: ptr.To(k), Value: ptr.To(v)})
		}
	}
	if len(gone) > 0 {
		sort.Strings(gone)
		if _, err := s.UntagResource(ctx, &sesv2api.UntagResourceRequest{ResourceArn: &arn, TagKeys: gone}); err != nil {
			return err
		}
	}
	if len(set) > 0 {
		if _, err := s.TagResource(ctx, &sesv2api.TagResourceRequest{ResourceArn: &arn, Tags: set}); err != nil {
			return err
		}
	}
	return nil
}

func cfnSESTags(props map[string]any) []sesv2api.Tag {
	var out []sesv2api.Tag
	for k, v := range kit.PropTags(props) {
		out = append(out, sesv2api.Tag{Key: ptr.To(k), Value: ptr.To(v)})
	}
	return out
}

// AWS::SES::ReceiptFilter: Filter {Name, IpFilter {Cidr, Policy}}.

func (s *V1) cfnCreateReceiptFilter(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	f := &sesapi.ReceiptFilter{}
	if !kit.Has(r.Properties, "Filter") {
		return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: #: required key [Filter] not found", r.LogicalID)
	}
	if err := kit.DecodeProp(r.Properties, "Filter", f); err != nil {
		return kit.ResourceResult{}, cfnInvalid(r, "Filter", err)
	}
	if ptr.Deref(f.Name) == "" {
		f.Name = ptr.To(cfnSESName(r))
	}
	if _, err := s.CreateReceiptFilter(ctx, &sesapi.CreateReceiptFilterRequest{Filter: f}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *f.Name, Attributes: map[string]any{}}, nil
}

func (s *V1) cfnDeleteReceiptFilter(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteReceiptFilter(ctx, &sesapi.DeleteReceiptFilterRequest{FilterName: &r.PhysicalID})
	return err
}

// AWS::SES::ContactList: Topics and Description change in place.

func cfnTopics(r kit.ResourceRequest) ([]sesv2api.Topic, error) {
	var topics []sesv2api.Topic
	if err := kit.DecodeProp(r.Properties, "Topics", &topics); err != nil {
		return nil, cfnInvalid(r, "Topics", err)
	}
	return topics, nil
}

func (s *V2) cfnCreateContactList(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	topics, err := cfnTopics(r)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	name := r.Str("ContactListName")
	if name == "" {
		name = cfnSESName(r)
	}
	in := &sesv2api.CreateContactListRequest{ContactListName: &name, Topics: topics, Tags: cfnSESTags(r.Properties)}
	if d := r.Str("Description"); d != "" {
		in.Description = &d
	}
	if _, err := s.CreateContactList(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{}}, nil
}

func (s *V2) cfnUpdateContactList(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	topics, err := cfnTopics(r)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	in := &sesv2api.UpdateContactListRequest{ContactListName: &r.PhysicalID, Topics: topics}
	if d := r.Str("Description"); d != "" {
		in.Description = &d
	}
	if _, err := s.UpdateContactList(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	if err := s.cfnRetag(ctx, sesARN(ctx, "contact-list", r.PhysicalID), r); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{}}, nil
}

func (s *V2) cfnDeleteContactList(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteContactList(ctx, &sesv2api.DeleteContactListRequest{ContactListName: &r.PhysicalID})
	if sesv2api.ErrNotFoundException.Is(err) {
		return nil
	}
	return err
}

// AWS::SES::ConfigurationSetEventDestination. The template's
// EventDestination is v1's shape: event types and dimension sources in
// lower camel case (renderingFailure, messageTag), SnsDestination.TopicARN,
// KinesisFirehoseDestination.IAMRoleARN; member names match v2's
// case-insensitively, event types are converted.

func cfnEventDestination(r kit.ResourceRequest, props map[string]any) (string, *sesv2api.EventDestinationDefinition, error) {
	m := kit.PropMap(props, "EventDestination")
	if m == nil || kit.PropStr(props, "ConfigurationSetName") == "" {
		return "", nil, awserr.ValidationError.New("Properties validation failed for resource %s with message: #: required key [ConfigurationSetName, EventDestination] not found", r.LogicalID)
	}
	def := &sesv2api.EventDestinationDefinition{}
	if err := kit.DecodeProp(props, "EventDestination", def); err != nil {
		return "", nil, cfnInvalid(r, "EventDestination", err)
	}
	for i, t := range def.MatchingEventTypes {
		def.MatchingEventTypes[i] = upperSnake(t)
	}
	// Dimension sources too: messageTag is v2's MESSAGE_TAG.
	if cw := def.CloudWatchDestination; cw != nil {
		for i := range cw.DimensionConfigurations {
			if src := cw.DimensionConfigurations[i].DimensionValueSource; src != nil {
				cw.DimensionConfigurations[i].DimensionValueSource = ptr.To(upperSnake(*src))
			}
		}
	}
	name := kit.PropStr(m, "Name")
	if name == "" {
		name = r.PhysicalID
	}
	return name, def, nil
}

func (s *V2) cfnCreateEventDestination(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	r.PhysicalID = cfnSESName(r)
	name, def, err := cfnEventDestination(r, r.Properties)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	set := r.Str("ConfigurationSetName")
	if _, err := s.CreateConfigurationSetEventDestination(ctx, &sesv2api.CreateConfigurationSetEventDestinationRequest{
		ConfigurationSetName: &set, EventDestinationName: &name, EventDestination: def}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"Id": r.PhysicalID}}, nil
}

// cfnDestinationName is the destination's name: the template's, or the
// physical id.
func cfnDestinationName(r kit.ResourceRequest, props map[string]any) string {
	if n := kit.PropStr(kit.PropMap(props, "EventDestination"), "Name"); n != "" {
		return n
	}
	return r.PhysicalID
}

func (s *V2) cfnUpdateEventDestination(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name, def, err := cfnEventDestination(r, r.Properties)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	set, old := r.Str("ConfigurationSetName"), cfnDestinationName(r, r.OldProperties)
	if name == old {
		if _, err := s.UpdateConfigurationSetEventDestination(ctx, &sesv2api.UpdateConfigurationSetEventDestinationRequest{
			ConfigurationSetName: &set, EventDestinationName: &name, EventDestination: def}); err != nil {
			return kit.ResourceResult{}, err
		}
	} else {
		// A new name: the destination under the new name, the old one
		// removed.
		if _, err := s.CreateConfigurationSetEventDestination(ctx, &sesv2api.CreateConfigurationSetEventDestinationRequest{
			ConfigurationSetName: &set, EventDestinationName: &name, EventDestination: def}); err != nil {
			return kit.ResourceResult{}, err
		}
		if _, err := s.DeleteConfigurationSetEventDestination(ctx, &sesv2api.DeleteConfigurationSetEventDestinationRequest{
			ConfigurationSetName: &set, EventDestinationName: &old}); err != nil && !sesv2api.ErrNotFoundException.Is(err) {
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"Id": r.PhysicalID}}, nil
}

func (s *V2) cfnDeleteEventDestination(ctx *request.Context, r kit.ResourceRequest) error {
	set, name := r.Str("ConfigurationSetName"), cfnDestinationName(r, r.Properties)
	_, err := s.DeleteConfigurationSetEventDestination(ctx, &sesv2api.DeleteConfigurationSetEventDestinationRequest{
		ConfigurationSetName: &set, EventDestinationName: &name})
	if sesv2api.ErrNotFoundException.Is(err) {
		return nil
	}
	return err
}

// AWS::SES::DedicatedIpPool: tags change in place.

func (s *V2) cfnCreateDedicatedIpPool(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.Str("PoolName")
	if name == "" {
		name = cfnSESName(r)
	}
	in := &sesv2api.CreateDedicatedIpPoolRequest{PoolName: &name, Tags: cfnSESTags(r.Properties)}
	if m := r.Str("ScalingMode"); m != "" {
		in.ScalingMode = &m
	}
	if _, err := s.CreateDedicatedIpPool(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{}}, nil
}

func (s *V2) cfnUpdateDedicatedIpPool(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if err := s.cfnRetag(ctx, sesARN(ctx, "dedicated-ip-pool", r.PhysicalID), r); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{}}, nil
}

func (s *V2) cfnDeleteDedicatedIpPool(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteDedicatedIpPool(ctx, &sesv2api.DeleteDedicatedIpPoolRequest{PoolName: &r.PhysicalID})
	if sesv2api.ErrNotFoundException.Is(err) {
		return nil
	}
	return err
}
