package ses

import (
	sesapi "github.com/niwa-cloud/niwa/internal/api/ses"
	sesv2api "github.com/niwa-cloud/niwa/internal/api/sesv2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// addDest adds d to cs, refusing a duplicate name with exists.
func addDest(cs *configSet, d eventDest, exists func() error) error {
	for _, cur := range cs.Destinations {
		if cur.Name == d.Name {
			return exists()
		}
	}
	cs.Destinations = append(cs.Destinations, d)
	return nil
}

// dropDest removes the destination named name, refusing a missing one.
func dropDest(cs *configSet, name string, missing func() error) error {
	for i, cur := range cs.Destinations {
		if cur.Name == name {
			cs.Destinations = append(cs.Destinations[:i], cs.Destinations[i+1:]...)
			return nil
		}
	}
	return missing()
}

// CreateConfigurationSet (v1).
func (s *V1) CreateConfigurationSet(ctx *request.Context, in *sesapi.CreateConfigurationSetRequest) (*sesapi.CreateConfigurationSetResponse, error) {
	name := ""
	if in.ConfigurationSet != nil {
		name = ptr.Deref(in.ConfigurationSet.Name)
	}
	err := s.c.createConfigSet(ctx.Account, ctx.Region, name, func() error {
		return sesapi.ErrConfigurationSetAlreadyExistsException.New("Configuration set <%s> already exists.", name).With("ConfigurationSetName", name)
	})
	if err != nil {
		return nil, err
	}
	return &sesapi.CreateConfigurationSetResponse{}, nil
}

func (s *V1) noSet(name string) func() error {
	return func() error {
		return errNoConfigSet(sesapi.ErrConfigurationSetDoesNotExistException, name).With("ConfigurationSetName", name)
	}
}

// DescribeConfigurationSet (v1).
func (s *V1) DescribeConfigurationSet(ctx *request.Context, in *sesapi.DescribeConfigurationSetRequest) (*sesapi.DescribeConfigurationSetResponse, error) {
	name := ptr.Deref(in.ConfigurationSetName)
	cs, ok, err := s.c.getConfigSet(ctx.Account, ctx.Region, name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, s.noSet(name)()
	}
	out := &sesapi.DescribeConfigurationSetResponse{ConfigurationSet: &sesapi.ConfigurationSet{Name: ptr.To(cs.Name)}}
	v1Options(out, cs, in.ConfigurationSetAttributeNames)
	for _, a := range in.ConfigurationSetAttributeNames {
		if a != "eventDestinations" {
			continue
		}
		out.EventDestinations = []sesapi.EventDestination{}
		for _, d := range cs.Destinations {
			e := sesapi.EventDestination{Name: ptr.To(d.Name), Enabled: ptr.To(d.Enabled), MatchingEventTypes: d.Types}
			if d.SNSTopic != "" {
				e.SNSDestination = &sesapi.SNSDestination{TopicARN: ptr.To(d.SNSTopic)}
			}
			d.v1(&e)
			out.EventDestinations = append(out.EventDestinations, e)
		}
	}
	return out, nil
}

// ListConfigurationSets (v1).
func (s *V1) ListConfigurationSets(ctx *request.Context, _ *sesapi.ListConfigurationSetsRequest) (*sesapi.ListConfigurationSetsResponse, error) {
	sets, err := s.c.listConfigSets(ctx.Account, ctx.Region)
	if err != nil {
		return nil, err
	}
	out := []sesapi.ConfigurationSet{}
	for _, cs := range sets {
		out = append(out, sesapi.ConfigurationSet{Name: ptr.To(cs.Name)})
	}
	return &sesapi.ListConfigurationSetsResponse{ConfigurationSets: out}, nil
}

// DeleteConfigurationSet (v1).
func (s *V1) DeleteConfigurationSet(ctx *request.Context, in *sesapi.DeleteConfigurationSetRequest) (*sesapi.DeleteConfigurationSetResponse, error) {
	name := ptr.Deref(in.ConfigurationSetName)
	ok, err := s.c.deleteConfigSet(ctx.Account, ctx.Region, name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, s.noSet(name)()
	}
	return &sesapi.DeleteConfigurationSetResponse{}, nil
}

// CreateConfigurationSetEventDestination (v1): SNS destinations publish;
// CloudWatch and Firehose destinations are stored but receive nothing.
func (s *V1) CreateConfigurationSetEventDestination(ctx *request.Context, in *sesapi.CreateConfigurationSetEventDestinationRequest) (*sesapi.CreateConfigurationSetEventDestinationResponse, error) {
	name := ptr.Deref(in.ConfigurationSetName)
	e := in.EventDestination
	if e == nil {
		return nil, awserr.InvalidParameterValue.New("EventDestination is required.")
	}
	d := eventDest{Name: ptr.Deref(e.Name), Enabled: ptr.Deref(e.Enabled), Types: e.MatchingEventTypes}
	d.setV1(e)
	if e.SNSDestination != nil {
		d.SNSTopic = ptr.Deref(e.SNSDestination.TopicARN)
	}
	err := s.c.updateConfigSet(ctx.Account, ctx.Region, name, s.noSet(name), func(cs *configSet) error {
		return addDest(cs, d, func() error {
			return sesapi.ErrEventDestinationAlreadyExistsException.New("Event destination %s already exists.", d.Name).
				With("ConfigurationSetName", name).With("EventDestinationName", d.Name)
		})
	})
	if err != nil {
		return nil, err
	}
	return &sesapi.CreateConfigurationSetEventDestinationResponse{}, nil
}

// DeleteConfigurationSetEventDestination (v1).
func (s *V1) DeleteConfigurationSetEventDestination(ctx *request.Context, in *sesapi.DeleteConfigurationSetEventDestinationRequest) (*sesapi.DeleteConfigurationSetEventDestinationResponse, error) {
	name, dest := ptr.Deref(in.ConfigurationSetName), ptr.Deref(in.EventDestinationName)
	err := s.c.updateConfigSet(ctx.Account, ctx.Region, name, s.noSet(name), func(cs *configSet) error {
		return dropDest(cs, dest, func() error {
			return sesapi.ErrEventDestinationDoesNotExistException.New("No EventDestination found for %s", dest).
				With("ConfigurationSetName", name).With("EventDestinationName", dest)
		})
	})
	if err != nil {
		return nil, err
	}
	return &sesapi.DeleteConfigurationSetEventDestinationResponse{}, nil
}

func v2NoSet(name string) func() error {
	return func() error { return sesv2api.ErrNotFoundException.New("Configuration set <%s> does not exist.", name) }
}

// CreateConfigurationSet (v2).
func (s *V2) CreateConfigurationSet(ctx *request.Context, in *sesv2api.CreateConfigurationSetRequest) (*sesv2api.CreateConfigurationSetResponse, error) {
	name := ptr.Deref(in.ConfigurationSetName)
	err := s.c.createConfigSet(ctx.Account, ctx.Region, name, func() error {
		return sesv2api.ErrAlreadyExistsException.New("Configuration set <%s> already exists.", name)
	})
	if err == nil {
		err = s.c.setTags(ctx, sesARN(ctx, "configuration-set", name), in.Tags)
	}
	if err != nil {
		return nil, err
	}
	return &sesv2api.CreateConfigurationSetResponse{}, nil
}

// GetConfigurationSet (v2).
func (s *V2) GetConfigurationSet(ctx *request.Context, in *sesv2api.GetConfigurationSetRequest) (*sesv2api.GetConfigurationSetResponse, error) {
	name := ptr.Deref(in.ConfigurationSetName)
	cs, ok, err := s.c.getConfigSet(ctx.Account, ctx.Region, name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, v2NoSet(name)()
	}
	tags, err := s.c.tagsOf(ctx, sesARN(ctx, "configuration-set", cs.Name))
	if err != nil {
		return nil, err
	}
	out := &sesv2api.GetConfigurationSetResponse{ConfigurationSetName: ptr.To(cs.Name), Tags: tags}
	v2Options(out, cs)
	return out, nil
}

// ListConfigurationSets (v2).
func (s *V2) ListConfigurationSets(ctx *request.Context, _ *sesv2api.ListConfigurationSetsRequest) (*sesv2api.ListConfigurationSetsResponse, error) {
	sets, err := s.c.listConfigSets(ctx.Account, ctx.Region)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, cs := range sets {
		out = append(out, cs.Name)
	}
	return &sesv2api.ListConfigurationSetsResponse{ConfigurationSets: out}, nil
}

// DeleteConfigurationSet (v2).
func (s *V2) DeleteConfigurationSet(ctx *request.Context, in *sesv2api.DeleteConfigurationSetRequest) (*sesv2api.DeleteConfigurationSetResponse, error) {
	name := ptr.Deref(in.ConfigurationSetName)
	ok, err := s.c.deleteConfigSet(ctx.Account, ctx.Region, name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, v2NoSet(name)()
	}
	return &sesv2api.DeleteConfigurationSetResponse{}, nil
}

// CreateConfigurationSetEventDestination (v2): SNS and EventBridge
// destinations publish.
func (s *V2) CreateConfigurationSetEventDestination(ctx *request.Context, in *sesv2api.CreateConfigurationSetEventDestinationRequest) (*sesv2api.CreateConfigurationSetEventDestinationResponse, error) {
	name := ptr.Deref(in.ConfigurationSetName)
	d := eventDest{Name: ptr.Deref(in.EventDestinationName)}
	if e := in.EventDestination; e != nil {
		d.Enabled, d.Types = ptr.Deref(e.Enabled), e.MatchingEventTypes
		d.setV2(e)
		if e.SnsDestination != nil {
			d.SNSTopic = ptr.Deref(e.SnsDestination.TopicArn)
		}
		if e.EventBridgeDestination != nil {
			d.EventBusARN = ptr.Deref(e.EventBridgeDestination.EventBusArn)
		}
	}
	err := s.c.updateConfigSet(ctx.Account, ctx.Region, name, v2NoSet(name), func(cs *configSet) error {
		return addDest(cs, d, func() error {
			return sesv2api.ErrAlreadyExistsException.New("Event destination %s already exists.", d.Name)
		})
	})
	if err != nil {
		return nil, err
	}
	return &sesv2api.CreateConfigurationSetEventDestinationResponse{}, nil
}

// GetConfigurationSetEventDestinations (v2).
func (s *V2) GetConfigurationSetEventDestinations(ctx *request.Context, in *sesv2api.GetConfigurationSetEventDestinationsRequest) (*sesv2api.GetConfigurationSetEventDestinationsResponse, error) {
	name := ptr.Deref(in.ConfigurationSetName)
	cs, ok, err := s.c.getConfigSet(ctx.Account, ctx.Region, name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, v2NoSet(name)()
	}
	out := []sesv2api.EventDestination{}
	for _, d := range cs.Destinations {
		e := sesv2api.EventDestination{Name: ptr.To(d.Name), Enabled: ptr.To(d.Enabled), MatchingEventTypes: d.Types}
		if d.SNSTopic != "" {
			e.SnsDestination = &sesv2api.SnsDestination{TopicArn: ptr.To(d.SNSTopic)}
		}
		if d.EventBusARN != "" {
			e.EventBridgeDestination = &sesv2api.EventBridgeDestination{EventBusArn: ptr.To(d.EventBusARN)}
		}
		d.v2(&e)
		out = append(out, e)
	}
	return &sesv2api.GetConfigurationSetEventDestinationsResponse{EventDestinations: out}, nil
}

// DeleteConfigurationSetEventDestination (v2).
func (s *V2) DeleteConfigurationSetEventDestination(ctx *request.Context, in *sesv2api.DeleteConfigurationSetEventDestinationRequest) (*sesv2api.DeleteConfigurationSetEventDestinationResponse, error) {
	name, dest := ptr.Deref(in.ConfigurationSetName), ptr.Deref(in.EventDestinationName)
	err := s.c.updateConfigSet(ctx.Account, ctx.Region, name, v2NoSet(name), func(cs *configSet) error {
		return dropDest(cs, dest, func() error {
			return sesv2api.ErrNotFoundException.New("Event destination %s does not exist.", dest)
		})
	})
	if err != nil {
		return nil, err
	}
	return &sesv2api.DeleteConfigurationSetEventDestinationResponse{}, nil
}
