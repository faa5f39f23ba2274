package ses

import (
	"encoding/json"
	"sort"

	sesapi "github.com/niwa-cloud/niwa/internal/api/ses"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Limits on sending authorization policies (SES Developer Guide,
// "Sending authorization policy anatomy"): 20 per identity, 4 KB each.
const (
	maxIdentityPolicies = 20
	maxPolicySize       = 4096
)

// errBadIdentity is SES's refusal of an identity the account does not
// have.
func errBadIdentity(name string) error {
	return awserr.InvalidParameterValue.New("Identity <%s> does not exist.", name)
}

// withIdentity runs fn on a stored identity and writes it back.
func (c *Core) withIdentity(acct, region, name string, fn func(*identity) error) error {
	return c.opt.Store.Update(func(tx storage.Tx) error {
		id, ok, err := identities.Get(tx, scope(acct, region), key(name))
		if err != nil {
			return err
		}
		if !ok {
			return errBadIdentity(name)
		}
		if err := fn(&id); err != nil {
			return err
		}
		return identities.Put(tx, scope(acct, region), id, key(name))
	})
}

// eachIdentity reads the named identities the account has.
func (c *Core) eachIdentity(acct, region string, names []string, fn func(identity)) error {
	for _, n := range names {
		id, ok, err := c.getIdentity(acct, region, n)
		if err != nil {
			return err
		}
		if ok {
			fn(id)
		}
	}
	return nil
}

// putPolicy stores a sending authorization policy.
func (c *Core) putPolicy(acct, region, name, policyName, doc string, code awserr.Code) error {
	if len(doc) > maxPolicySize || !json.Valid([]byte(doc)) {
		return code.New("Policy is not valid.")
	}
	return c.withIdentity(acct, region, name, func(id *identity) error {
		if id.Policies == nil {
			id.Policies = map[string]string{}
		}
		if _, ok := id.Policies[policyName]; !ok && len(id.Policies) >= maxIdentityPolicies {
			return sesapi.ErrLimitExceededException.New("Maximum number of policies for identity %s exceeded.", name)
		}
		id.Policies[policyName] = doc
		return nil
	})
}

// PutIdentityPolicy stores a sending authorization policy on an
// identity (niwa keeps it; cross-account sending is not authorized by it).
func (s *V1) PutIdentityPolicy(ctx *request.Context, in *sesapi.PutIdentityPolicyRequest) (*sesapi.PutIdentityPolicyResponse, error) {
	if err := s.c.putPolicy(ctx.Account, ctx.Region, ptr.Deref(in.Identity), ptr.Deref(in.PolicyName), ptr.Deref(in.Policy), sesapi.ErrInvalidPolicyException); err != nil {
		return nil, err
	}
	return &sesapi.PutIdentityPolicyResponse{}, nil
}

// GetIdentityPolicies answers the named policies an identity has.
func (s *V1) GetIdentityPolicies(ctx *request.Context, in *sesapi.GetIdentityPoliciesRequest) (*sesapi.GetIdentityPoliciesResponse, error) {
	out := &sesapi.GetIdentityPoliciesResponse{Policies: map[string]string{}}
	err := s.c.eachIdentity(ctx.Account, ctx.Region, []string{ptr.Deref(in.Identity)}, func(id identity) {
		for _, n := range in.PolicyNames {
			if p, ok := id.Policies[n]; ok {
				out.Policies[n] = p
			}
		}
	})
	return out, err
}

// ListIdentityPolicies names an identity's policies.
func (s *V1) ListIdentityPolicies(ctx *request.Context, in *sesapi.ListIdentityPoliciesRequest) (*sesapi.ListIdentityPoliciesResponse, error) {
	out := &sesapi.ListIdentityPoliciesResponse{PolicyNames: []string{}}
	err := s.c.eachIdentity(ctx.Account, ctx.Region, []string{ptr.Deref(in.Identity)}, func(id identity) {
		for n := range id.Policies {
			out.PolicyNames = append(out.PolicyNames, n)
		}
	})
	sort.Strings(out.PolicyNames)
	return out, err
}

// DeleteIdentityPolicy removes a policy (a missing one is no error).
func (s *V1) DeleteIdentityPolicy(ctx *request.Context, in *sesapi.DeleteIdentityPolicyRequest) (*sesapi.DeleteIdentityPolicyResponse, error) {
	err := s.c.withIdentity(ctx.Account, ctx.Region, ptr.Deref(in.Identity), func(id *identity) error {
		delete(id.Policies, ptr.Deref(in.PolicyName))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sesapi.DeleteIdentityPolicyResponse{}, nil
}

// mailFromStatus is a custom MAIL FROM domain's status: Success once
// niwa's Route 53 holds its MX record (SES checks MX and SPF), else
// Pending.
func (c *Core) mailFromStatus(domain string) string {
	if c.opt.DNS == nil || domain == "" {
		return "Pending"
	}
	z, ok, err := c.opt.DNS.Zone(domain+".", "")
	if err != nil || !ok {
		return "Pending"
	}
	sets, err := c.opt.DNS.RRSets(z, domain+".")
	if err != nil {
		return "Pending"
	}
	for _, rr := range sets {
		if rr.Type == "MX" {
			return "Success"
		}
	}
	return "Pending"
}

// SetIdentityMailFromDomain sets (or, empty, clears) an identity's
// custom MAIL FROM domain.
func (s *V1) SetIdentityMailFromDomain(ctx *request.Context, in *sesapi.SetIdentityMailFromDomainRequest) (*sesapi.SetIdentityMailFromDomainResponse, error) {
	err := s.c.withIdentity(ctx.Account, ctx.Region, ptr.Deref(in.Identity), func(id *identity) error {
		id.MailFrom, id.MailFromBehavior = ptr.Deref(in.MailFromDomain), ptr.Deref(in.BehaviorOnMXFailure)
		if id.MailFromBehavior == "" {
			id.MailFromBehavior = "UseDefaultValue"
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sesapi.SetIdentityMailFromDomainResponse{}, nil
}

// GetIdentityMailFromDomainAttributes answers identities' MAIL FROM
// settings.
func (s *V1) GetIdentityMailFromDomainAttributes(ctx *request.Context, in *sesapi.GetIdentityMailFromDomainAttributesRequest) (*sesapi.GetIdentityMailFromDomainAttributesResponse, error) {
	out := &sesapi.GetIdentityMailFromDomainAttributesResponse{MailFromDomainAttributes: map[string]sesapi.IdentityMailFromDomainAttributes{}}
	err := s.c.eachIdentity(ctx.Account, ctx.Region, in.Identities, func(id identity) {
		a := sesapi.IdentityMailFromDomainAttributes{BehaviorOnMXFailure: ptr.To(or(id.MailFromBehavior, "UseDefaultValue"))}
		if id.MailFrom != "" {
			a.MailFromDomain, a.MailFromDomainStatus = ptr.To(id.MailFrom), ptr.To(s.c.mailFromStatus(id.MailFrom))
		}
		out.MailFromDomainAttributes[id.Name] = a
	})
	return out, err
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// SetIdentityNotificationTopic sets (or clears) the topic of an
// identity's Bounce, Complaint or Delivery notifications (stored: niwa's
// mail never bounces; delivery notifications are not sent).
func (s *V1) SetIdentityNotificationTopic(ctx *request.Context, in *sesapi.SetIdentityNotificationTopicRequest) (*sesapi.SetIdentityNotificationTopicResponse, error) {
	t := ptr.Deref(in.NotificationType)
	err := s.c.withIdentity(ctx.Account, ctx.Region, ptr.Deref(in.Identity), func(id *identity) error {
		if id.Topics == nil {
			id.Topics = map[string]string{}
		}
		if topic := ptr.Deref(in.SnsTopic); topic != "" {
			id.Topics[t] = topic
		} else {
			delete(id.Topics, t)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sesapi.SetIdentityNotificationTopicResponse{}, nil
}

// SetIdentityFeedbackForwardingEnabled turns email feedback forwarding
// on or off; off needs both bounce and complaint topics, as on AWS.
func (s *V1) SetIdentityFeedbackForwardingEnabled(ctx *request.Context, in *sesapi.SetIdentityFeedbackForwardingEnabledRequest) (*sesapi.SetIdentityFeedbackForwardingEnabledResponse, error) {
	err := s.c.withIdentity(ctx.Account, ctx.Region, ptr.Deref(in.Identity), func(id *identity) error {
		on := ptr.Deref(in.ForwardingEnabled)
		if !on && (id.Topics["Bounce"] == "" || id.Topics["Complaint"] == "") {
			return awserr.InvalidParameterValue.New("Feedback notification topic not set on identity %s", id.Name)
		}
		id.NoForwarding = !on
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sesapi.SetIdentityFeedbackForwardingEnabledResponse{}, nil
}

// SetIdentityHeadersInNotificationsEnabled sets whether a notification
// type includes the original headers.
func (s *V1) SetIdentityHeadersInNotificationsEnabled(ctx *request.Context, in *sesapi.SetIdentityHeadersInNotificationsEnabledRequest) (*sesapi.SetIdentityHeadersInNotificationsEnabledResponse, error) {
	err := s.c.withIdentity(ctx.Account, ctx.Region, ptr.Deref(in.Identity), func(id *identity) error {
		if id.Headers == nil {
			id.Headers = map[string]bool{}
		}
		id.Headers[ptr.Deref(in.NotificationType)] = ptr.Deref(in.Enabled)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sesapi.SetIdentityHeadersInNotificationsEnabledResponse{}, nil
}

// GetIdentityNotificationAttributes answers identities' notification
// settings.
func (s *V1) GetIdentityNotificationAttributes(ctx *request.Context, in *sesapi.GetIdentityNotificationAttributesRequest) (*sesapi.GetIdentityNotificationAttributesResponse, error) {
	out := &sesapi.GetIdentityNotificationAttributesResponse{NotificationAttributes: map[string]sesapi.IdentityNotificationAttributes{}}
	err := s.c.eachIdentity(ctx.Account, ctx.Region, in.Identities, func(id identity) {
		out.NotificationAttributes[id.Name] = sesapi.IdentityNotificationAttributes{
			BounceTopic: ptr.To(id.Topics["Bounce"]), ComplaintTopic: ptr.To(id.Topics["Complaint"]), DeliveryTopic: ptr.To(id.Topics["Delivery"]),
			ForwardingEnabled:                      ptr.To(!id.NoForwarding),
			HeadersInBounceNotificationsEnabled:    ptr.To(id.Headers["Bounce"]),
			HeadersInComplaintNotificationsEnabled: ptr.To(id.Headers["Complaint"]),
			HeadersInDeliveryNotificationsEnabled:  ptr.To(id.Headers["Delivery"]),
		}
	})
	return out, err
}

// SetIdentityDkimEnabled turns Easy DKIM signing on or off for an
// identity.
func (s *V1) SetIdentityDkimEnabled(ctx *request.Context, in *sesapi.SetIdentityDkimEnabledRequest) (*sesapi.SetIdentityDkimEnabledResponse, error) {
	err := s.c.withIdentity(ctx.Account, ctx.Region, ptr.Deref(in.Identity), func(id *identity) error {
		id.DKIMDisabled = !ptr.Deref(in.DkimEnabled)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sesapi.SetIdentityDkimEnabledResponse{}, nil
}
