package ses

import (
	sesapi "github.com/niwa-cloud/niwa/internal/api/ses"
	sesv2api "github.com/niwa-cloud/niwa/internal/api/sesv2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// withConfigSet is updateConfigSet for a request.
func (c *Core) withConfigSet(ctx *request.Context, name string, missing func() error, fn func(*configSet) error) error {
	return c.updateConfigSet(ctx.Account, ctx.Region, name, missing, fn)
}

// replaceDest swaps in d for the destination of its name.
func replaceDest(cs *configSet, d eventDest, missing func() error) error {
	for i, e := range cs.Destinations {
		if e.Name == d.Name {
			cs.Destinations[i] = d
			return nil
		}
	}
	return missing()
}

// UpdateConfigurationSetEventDestination (v1) replaces a destination.
func (s *V1) UpdateConfigurationSetEventDestination(ctx *request.Context, in *sesapi.UpdateConfigurationSetEventDestinationRequest) (*sesapi.UpdateConfigurationSetEventDestinationResponse, error) {
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
	err := s.c.withConfigSet(ctx, name, s.noSet(name), func(cs *configSet) error {
		return replaceDest(cs, d, func() error {
			return sesapi.ErrEventDestinationDoesNotExistException.New("No EventDestination found for %s", d.Name).
				With("ConfigurationSetName", name).With("EventDestinationName", d.Name)
		})
	})
	if err != nil {
		return nil, err
	}
	return &sesapi.UpdateConfigurationSetEventDestinationResponse{}, nil
}

// UpdateConfigurationSetEventDestination (v2) replaces a destination.
func (s *V2) UpdateConfigurationSetEventDestination(ctx *request.Context, in *sesv2api.UpdateConfigurationSetEventDestinationRequest) (*sesv2api.UpdateConfigurationSetEventDestinationResponse, error) {
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
	err := s.c.withConfigSet(ctx, name, v2NoSet(name), func(cs *configSet) error {
		return replaceDest(cs, d, func() error {
			return sesv2api.ErrNotFoundException.New("Event destination %s does not exist.", d.Name)
		})
	})
	if err != nil {
		return nil, err
	}
	return &sesv2api.UpdateConfigurationSetEventDestinationResponse{}, nil
}

// PutConfigurationSetDeliveryOptions (v1) sets the TLS policy.
func (s *V1) PutConfigurationSetDeliveryOptions(ctx *request.Context, in *sesapi.PutConfigurationSetDeliveryOptionsRequest) (*sesapi.PutConfigurationSetDeliveryOptionsResponse, error) {
	name := ptr.Deref(in.ConfigurationSetName)
	err := s.c.withConfigSet(ctx, name, s.noSet(name), func(cs *configSet) error {
		cs.TLSPolicy = ""
		if in.DeliveryOptions != nil {
			cs.TLSPolicy = ptr.Deref(in.DeliveryOptions.TlsPolicy)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sesapi.PutConfigurationSetDeliveryOptionsResponse{}, nil
}

// UpdateConfigurationSetSendingEnabled (v1) pauses or resumes sending
// with the set: paused, sends naming it are refused.
func (s *V1) UpdateConfigurationSetSendingEnabled(ctx *request.Context, in *sesapi.UpdateConfigurationSetSendingEnabledRequest) (*sesapi.UpdateConfigurationSetSendingEnabledOutput, error) {
	name := ptr.Deref(in.ConfigurationSetName)
	err := s.c.withConfigSet(ctx, name, s.noSet(name), func(cs *configSet) error {
		cs.SendingPaused = !ptr.Deref(in.Enabled)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sesapi.UpdateConfigurationSetSendingEnabledOutput{}, nil
}

// UpdateConfigurationSetReputationMetricsEnabled (v1).
func (s *V1) UpdateConfigurationSetReputationMetricsEnabled(ctx *request.Context, in *sesapi.UpdateConfigurationSetReputationMetricsEnabledRequest) (*sesapi.UpdateConfigurationSetReputationMetricsEnabledOutput, error) {
	name := ptr.Deref(in.ConfigurationSetName)
	err := s.c.withConfigSet(ctx, name, s.noSet(name), func(cs *configSet) error {
		cs.ReputationMetrics = ptr.Deref(in.Enabled)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sesapi.UpdateConfigurationSetReputationMetricsEnabledOutput{}, nil
}

// trackingOpts sets (create), replaces or deletes (del) v1 tracking
// options, refusing as SES does when they exist or are missing.
func (s *V1) trackingOpts(ctx *request.Context, name string, opts *sesapi.TrackingOptions, create, del bool) error {
	return s.c.withConfigSet(ctx, name, s.noSet(name), func(cs *configSet) error {
		switch {
		case create && cs.HasTracking:
			return sesapi.ErrTrackingOptionsAlreadyExistsException.New("Tracking options already exist for configuration set %s.", name).With("ConfigurationSetName", name)
		case !create && !cs.HasTracking:
			return sesapi.ErrTrackingOptionsDoesNotExistException.New("Tracking options do not exist for configuration set %s.", name).With("ConfigurationSetName", name)
		}
		cs.HasTracking, cs.RedirectDomain = !del, ""
		if opts != nil && !del {
			cs.RedirectDomain = ptr.Deref(opts.CustomRedirectDomain)
		}
		return nil
	})
}

// CreateConfigurationSetTrackingOptions (v1).
func (s *V1) CreateConfigurationSetTrackingOptions(ctx *request.Context, in *sesapi.CreateConfigurationSetTrackingOptionsRequest) (*sesapi.CreateConfigurationSetTrackingOptionsResponse, error) {
	if err := s.trackingOpts(ctx, ptr.Deref(in.ConfigurationSetName), in.TrackingOptions, true, false); err != nil {
		return nil, err
	}
	return &sesapi.CreateConfigurationSetTrackingOptionsResponse{}, nil
}

// UpdateConfigurationSetTrackingOptions (v1).
func (s *V1) UpdateConfigurationSetTrackingOptions(ctx *request.Context, in *sesapi.UpdateConfigurationSetTrackingOptionsRequest) (*sesapi.UpdateConfigurationSetTrackingOptionsResponse, error) {
	if err := s.trackingOpts(ctx, ptr.Deref(in.ConfigurationSetName), in.TrackingOptions, false, false); err != nil {
		return nil, err
	}
	return &sesapi.UpdateConfigurationSetTrackingOptionsResponse{}, nil
}

// DeleteConfigurationSetTrackingOptions (v1).
func (s *V1) DeleteConfigurationSetTrackingOptions(ctx *request.Context, in *sesapi.DeleteConfigurationSetTrackingOptionsRequest) (*sesapi.DeleteConfigurationSetTrackingOptionsResponse, error) {
	if err := s.trackingOpts(ctx, ptr.Deref(in.ConfigurationSetName), nil, false, true); err != nil {
		return nil, err
	}
	return &sesapi.DeleteConfigurationSetTrackingOptionsResponse{}, nil
}

// v1Options fills DescribeConfigurationSet's requested attributes.
func v1Options(out *sesapi.DescribeConfigurationSetResponse, cs configSet, attrs []string) {
	for _, a := range attrs {
		switch a {
		case "trackingOptions":
			if cs.HasTracking {
				out.TrackingOptions = &sesapi.TrackingOptions{CustomRedirectDomain: nonEmpty(cs.RedirectDomain)}
			}
		case "deliveryOptions":
			out.DeliveryOptions = &sesapi.DeliveryOptions{TlsPolicy: ptr.To(or(v1TLS(cs.TLSPolicy), "Optional"))}
		case "reputationOptions":
			out.ReputationOptions = &sesapi.ReputationOptions{SendingEnabled: ptr.To(!cs.SendingPaused), ReputationMetricsEnabled: ptr.To(cs.ReputationMetrics)}
		}
	}
}

// v1TLS and v2TLS spell a TLS policy as each API does.
func v1TLS(p string) string {
	switch p {
	case "REQUIRE", "Require":
		return "Require"
	case "OPTIONAL", "Optional":
		return "Optional"
	}
	return ""
}

func v2TLS(p string) string {
	switch p {
	case "REQUIRE", "Require":
		return "REQUIRE"
	}
	return "OPTIONAL"
}

// PutConfigurationSetDeliveryOptions (v2) sets the TLS policy and the
// dedicated IP pool, which must exist.
func (s *V2) PutConfigurationSetDeliveryOptions(ctx *request.Context, in *sesv2api.PutConfigurationSetDeliveryOptionsRequest) (*sesv2api.PutConfigurationSetDeliveryOptionsResponse, error) {
	name := ptr.Deref(in.ConfigurationSetName)
	if pool := ptr.Deref(in.SendingPoolName); pool != "" {
		if _, err := s.GetDedicatedIpPool(ctx, &sesv2api.GetDedicatedIpPoolRequest{PoolName: &pool}); err != nil {
			return nil, err
		}
	}
	err := s.c.withConfigSet(ctx, name, v2NoSet(name), func(cs *configSet) error {
		cs.TLSPolicy, cs.SendingPool = ptr.Deref(in.TlsPolicy), ptr.Deref(in.SendingPoolName)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sesv2api.PutConfigurationSetDeliveryOptionsResponse{}, nil
}

// PutConfigurationSetReputationOptions (v2).
func (s *V2) PutConfigurationSetReputationOptions(ctx *request.Context, in *sesv2api.PutConfigurationSetReputationOptionsRequest) (*sesv2api.PutConfigurationSetReputationOptionsResponse, error) {
	name := ptr.Deref(in.ConfigurationSetName)
	err := s.c.withConfigSet(ctx, name, v2NoSet(name), func(cs *configSet) error {
		cs.ReputationMetrics = ptr.Deref(in.ReputationMetricsEnabled)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sesv2api.PutConfigurationSetReputationOptionsResponse{}, nil
}

// PutConfigurationSetSendingOptions (v2) pauses or resumes the set.
func (s *V2) PutConfigurationSetSendingOptions(ctx *request.Context, in *sesv2api.PutConfigurationSetSendingOptionsRequest) (*sesv2api.PutConfigurationSetSendingOptionsResponse, error) {
	name := ptr.Deref(in.ConfigurationSetName)
	err := s.c.withConfigSet(ctx, name, v2NoSet(name), func(cs *configSet) error {
		cs.SendingPaused = !ptr.Deref(in.SendingEnabled)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sesv2api.PutConfigurationSetSendingOptionsResponse{}, nil
}

// PutConfigurationSetSuppressionOptions (v2) sets the reasons that
// override the account's suppression list for the set.
func (s *V2) PutConfigurationSetSuppressionOptions(ctx *request.Context, in *sesv2api.PutConfigurationSetSuppressionOptionsRequest) (*sesv2api.PutConfigurationSetSuppressionOptionsResponse, error) {
	name := ptr.Deref(in.ConfigurationSetName)
	for _, r := range in.SuppressedReasons {
		if r != "BOUNCE" && r != "COMPLAINT" {
			return nil, sesv2api.ErrBadRequestException.New("Invalid suppression reason: %s", r)
		}
	}
	err := s.c.withConfigSet(ctx, name, v2NoSet(name), func(cs *configSet) error {
		reasons := append([]string{}, in.SuppressedReasons...)
		cs.SuppressedReasons = &reasons
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sesv2api.PutConfigurationSetSuppressionOptionsResponse{}, nil
}

// PutConfigurationSetTrackingOptions (v2) sets the custom redirect
// domain of open and click tracking (niwa tracks neither).
func (s *V2) PutConfigurationSetTrackingOptions(ctx *request.Context, in *sesv2api.PutConfigurationSetTrackingOptionsRequest) (*sesv2api.PutConfigurationSetTrackingOptionsResponse, error) {
	name := ptr.Deref(in.ConfigurationSetName)
	err := s.c.withConfigSet(ctx, name, v2NoSet(name), func(cs *configSet) error {
		cs.RedirectDomain, cs.HasTracking = ptr.Deref(in.CustomRedirectDomain), ptr.Deref(in.CustomRedirectDomain) != ""
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sesv2api.PutConfigurationSetTrackingOptionsResponse{}, nil
}

// v2Options fills GetConfigurationSet's options.
func v2Options(out *sesv2api.GetConfigurationSetResponse, cs configSet) {
	out.DeliveryOptions = &sesv2api.DeliveryOptions{TlsPolicy: ptr.To(v2TLS(cs.TLSPolicy)), SendingPoolName: nonEmpty(cs.SendingPool)}
	out.ReputationOptions = &sesv2api.ReputationOptions{ReputationMetricsEnabled: ptr.To(cs.ReputationMetrics)}
	out.SendingOptions = &sesv2api.SendingOptions{SendingEnabled: ptr.To(!cs.SendingPaused)}
	if cs.HasTracking {
		out.TrackingOptions = &sesv2api.TrackingOptions{CustomRedirectDomain: nonEmpty(cs.RedirectDomain)}
	}
	if cs.SuppressedReasons != nil {
		out.SuppressionOptions = &sesv2api.SuppressionOptions{SuppressedReasons: append([]string{}, (*cs.SuppressedReasons)...)}
	}
}
