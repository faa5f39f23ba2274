package ses

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"sort"
	"strings"
	"time"

	sesv2api "github.com/niwa-cloud/niwa/internal/api/sesv2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// errNoIdentityV2 is v2's refusal of an identity the account lacks.
func errNoIdentityV2(name string) error {
	return sesv2api.ErrNotFoundException.New("Email identity %s does not exist.", name)
}

// withIdentityV2 is withIdentity answering v2's NotFoundException.
func (c *Core) withIdentityV2(ctx *request.Context, name string, fn func(*identity) error) error {
	err := c.withIdentity(ctx.Account, ctx.Region, name, fn)
	if e := awserr.As(err); err != nil && e.Code == awserr.InvalidParameterValue && strings.HasPrefix(e.Message, "Identity <") {
		return errNoIdentityV2(name)
	}
	return err
}

// CreateEmailIdentityPolicy adds a sending authorization policy; an
// existing name is refused.
func (s *V2) CreateEmailIdentityPolicy(ctx *request.Context, in *sesv2api.CreateEmailIdentityPolicyRequest) (*sesv2api.CreateEmailIdentityPolicyResponse, error) {
	name, pn := ptr.Deref(in.EmailIdentity), ptr.Deref(in.PolicyName)
	id, ok, err := s.c.getIdentity(ctx.Account, ctx.Region, name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errNoIdentityV2(name)
	}
	if _, dup := id.Policies[pn]; dup {
		return nil, sesv2api.ErrAlreadyExistsException.New("Policy %s already exists for identity %s.", pn, name)
	}
	if err := s.c.putPolicy(ctx.Account, ctx.Region, name, pn, ptr.Deref(in.Policy), sesv2api.ErrBadRequestException); err != nil {
		return nil, err
	}
	return &sesv2api.CreateEmailIdentityPolicyResponse{}, nil
}

// UpdateEmailIdentityPolicy replaces an existing policy.
func (s *V2) UpdateEmailIdentityPolicy(ctx *request.Context, in *sesv2api.UpdateEmailIdentityPolicyRequest) (*sesv2api.UpdateEmailIdentityPolicyResponse, error) {
	name, pn := ptr.Deref(in.EmailIdentity), ptr.Deref(in.PolicyName)
	id, ok, err := s.c.getIdentity(ctx.Account, ctx.Region, name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errNoIdentityV2(name)
	}
	if _, there := id.Policies[pn]; !there {
		return nil, sesv2api.ErrNotFoundException.New("Policy %s does not exist for identity %s.", pn, name)
	}
	if err := s.c.putPolicy(ctx.Account, ctx.Region, name, pn, ptr.Deref(in.Policy), sesv2api.ErrBadRequestException); err != nil {
		return nil, err
	}
	return &sesv2api.UpdateEmailIdentityPolicyResponse{}, nil
}

// GetEmailIdentityPolicies answers every policy of an identity.
func (s *V2) GetEmailIdentityPolicies(ctx *request.Context, in *sesv2api.GetEmailIdentityPoliciesRequest) (*sesv2api.GetEmailIdentityPoliciesResponse, error) {
	id, ok, err := s.c.getIdentity(ctx.Account, ctx.Region, ptr.Deref(in.EmailIdentity))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errNoIdentityV2(ptr.Deref(in.EmailIdentity))
	}
	out := map[string]string{}
	for k, v := range id.Policies {
		out[k] = v
	}
	return &sesv2api.GetEmailIdentityPoliciesResponse{Policies: out}, nil
}

// DeleteEmailIdentityPolicy removes a policy.
func (s *V2) DeleteEmailIdentityPolicy(ctx *request.Context, in *sesv2api.DeleteEmailIdentityPolicyRequest) (*sesv2api.DeleteEmailIdentityPolicyResponse, error) {
	err := s.c.withIdentityV2(ctx, ptr.Deref(in.EmailIdentity), func(id *identity) error {
		delete(id.Policies, ptr.Deref(in.PolicyName))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sesv2api.DeleteEmailIdentityPolicyResponse{}, nil
}

// PutEmailIdentityMailFromAttributes sets (or clears) the custom MAIL
// FROM domain.
func (s *V2) PutEmailIdentityMailFromAttributes(ctx *request.Context, in *sesv2api.PutEmailIdentityMailFromAttributesRequest) (*sesv2api.PutEmailIdentityMailFromAttributesResponse, error) {
	err := s.c.withIdentityV2(ctx, ptr.Deref(in.EmailIdentity), func(id *identity) error {
		id.MailFrom = ptr.Deref(in.MailFromDomain)
		// v2 spells the behaviours USE_DEFAULT_VALUE / REJECT_MESSAGE.
		id.MailFromBehavior = "UseDefaultValue"
		if ptr.Deref(in.BehaviorOnMxFailure) == "REJECT_MESSAGE" {
			id.MailFromBehavior = "RejectMessage"
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sesv2api.PutEmailIdentityMailFromAttributesResponse{}, nil
}

// PutEmailIdentityFeedbackAttributes turns feedback forwarding on or off.
func (s *V2) PutEmailIdentityFeedbackAttributes(ctx *request.Context, in *sesv2api.PutEmailIdentityFeedbackAttributesRequest) (*sesv2api.PutEmailIdentityFeedbackAttributesResponse, error) {
	err := s.c.withIdentityV2(ctx, ptr.Deref(in.EmailIdentity), func(id *identity) error {
		id.NoForwarding = !ptr.Deref(in.EmailForwardingEnabled)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sesv2api.PutEmailIdentityFeedbackAttributesResponse{}, nil
}

// PutEmailIdentityDkimAttributes turns DKIM signing on or off.
func (s *V2) PutEmailIdentityDkimAttributes(ctx *request.Context, in *sesv2api.PutEmailIdentityDkimAttributesRequest) (*sesv2api.PutEmailIdentityDkimAttributesResponse, error) {
	err := s.c.withIdentityV2(ctx, ptr.Deref(in.EmailIdentity), func(id *identity) error {
		id.DKIMDisabled = !ptr.Deref(in.SigningEnabled)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sesv2api.PutEmailIdentityDkimAttributesResponse{}, nil
}

// mailFromV2 is an identity's MAIL FROM attributes as v2 shows them.
func (c *Core) mailFromV2(id identity) *sesv2api.MailFromAttributes {
	a := &sesv2api.MailFromAttributes{BehaviorOnMxFailure: ptr.To("USE_DEFAULT_VALUE"), MailFromDomain: ptr.To(id.MailFrom), MailFromDomainStatus: ptr.To("PENDING")}
	if id.MailFromBehavior == "RejectMessage" {
		a.BehaviorOnMxFailure = ptr.To("REJECT_MESSAGE")
	}
	if id.MailFrom != "" && c.mailFromStatus(id.MailFrom) == "Success" {
		a.MailFromDomainStatus = ptr.To("SUCCESS")
	}
	return a
}

// suppressed is an address on the account-level suppression list.
type suppressed struct {
	Address string
	Reason  string
	At      time.Time
}

var suppressions = storage.NewTable[suppressed]("suppressed")

// PutSuppressedDestination adds (or updates) an address on the
// account's suppression list; the reason is BOUNCE or COMPLAINT.
func (s *V2) PutSuppressedDestination(ctx *request.Context, in *sesv2api.PutSuppressedDestinationRequest) (*sesv2api.PutSuppressedDestinationResponse, error) {
	addr, reason := ptr.Deref(in.EmailAddress), ptr.Deref(in.Reason)
	if reason != "BOUNCE" && reason != "COMPLAINT" {
		return nil, sesv2api.ErrBadRequestException.New("Invalid suppression reason: %s", reason)
	}
	if !strings.Contains(addr, "@") {
		return nil, sesv2api.ErrBadRequestException.New("Invalid email address: %s", addr)
	}
	err := s.c.opt.Store.Update(func(tx storage.Tx) error {
		return suppressions.Put(tx, scope(ctx.Account, ctx.Region), suppressed{Address: addr, Reason: reason, At: ctx.Now()}, key(addr))
	})
	if err != nil {
		return nil, err
	}
	return &sesv2api.PutSuppressedDestinationResponse{}, nil
}

func (c *Core) suppression(acct, region, addr string) (suppressed, bool, error) {
	var out suppressed
	var ok bool
	err := c.opt.Store.View(func(tx storage.Tx) error {
		var err error
		out, ok, err = suppressions.Get(tx, scope(acct, region), key(addr))
		return err
	})
	return out, ok, err
}

// GetSuppressedDestination answers one suppressed address.
func (s *V2) GetSuppressedDestination(ctx *request.Context, in *sesv2api.GetSuppressedDestinationRequest) (*sesv2api.GetSuppressedDestinationResponse, error) {
	addr := ptr.Deref(in.EmailAddress)
	sd, ok, err := s.c.suppression(ctx.Account, ctx.Region, addr)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, sesv2api.ErrNotFoundException.New("Email address %s does not exist on your suppression list.", addr)
	}
	return &sesv2api.GetSuppressedDestinationResponse{SuppressedDestination: &sesv2api.SuppressedDestination{
		EmailAddress: ptr.To(sd.Address), Reason: ptr.To(sd.Reason), LastUpdateTime: ptr.To(sd.At), Attributes: &sesv2api.SuppressedDestinationAttributes{}}}, nil
}

// DeleteSuppressedDestination removes an address from the list.
func (s *V2) DeleteSuppressedDestination(ctx *request.Context, in *sesv2api.DeleteSuppressedDestinationRequest) (*sesv2api.DeleteSuppressedDestinationResponse, error) {
	addr := ptr.Deref(in.EmailAddress)
	var found bool
	err := s.c.opt.Store.Update(func(tx storage.Tx) error {
		var err error
		found, err = suppressions.DeleteExisting(tx, scope(ctx.Account, ctx.Region), key(addr))
		return err
	})
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, sesv2api.ErrNotFoundException.New("Email address %s does not exist on your suppression list.", addr)
	}
	return &sesv2api.DeleteSuppressedDestinationResponse{}, nil
}

// ListSuppressedDestinations lists the suppression list, filtered by
// reason and by last update between StartDate and EndDate, in pages of
// PageSize (default and most 1000).
func (s *V2) ListSuppressedDestinations(ctx *request.Context, in *sesv2api.ListSuppressedDestinationsRequest) (*sesv2api.ListSuppressedDestinationsResponse, error) {
	size := int(ptr.Deref(in.PageSize))
	if size <= 0 || size > 1000 {
		size = 1000
	}
	reasons := map[string]bool{}
	for _, r := range in.Reasons {
		reasons[r] = true
	}
	start := ptr.Deref(in.NextToken)
	out := &sesv2api.ListSuppressedDestinationsResponse{SuppressedDestinationSummaries: []sesv2api.SuppressedDestinationSummary{}}
	var all []suppressed
	err := s.c.opt.Store.View(func(tx storage.Tx) error {
		return suppressions.List(tx, scope(ctx.Account, ctx.Region), nil, storage.ListOptions{}, func(_ []string, sd suppressed) bool {
			all = append(all, sd)
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(all, func(i, j int) bool { return key(all[i].Address) < key(all[j].Address) })
	for _, sd := range all {
		if start != "" && key(sd.Address) <= start {
			continue
		}
		if len(reasons) > 0 && !reasons[sd.Reason] {
			continue
		}
		if in.StartDate != nil && sd.At.Before(*in.StartDate) || in.EndDate != nil && sd.At.After(*in.EndDate) {
			continue
		}
		if len(out.SuppressedDestinationSummaries) == size {
			out.NextToken = ptr.To(key(ptr.Deref(out.SuppressedDestinationSummaries[size-1].EmailAddress)))
			break
		}
		out.SuppressedDestinationSummaries = append(out.SuppressedDestinationSummaries,
			sesv2api.SuppressedDestinationSummary{EmailAddress: ptr.To(sd.Address), Reason: ptr.To(sd.Reason), LastUpdateTime: ptr.To(sd.At)})
	}
	return out, nil
}

// PutEmailIdentityConfigurationSetAttributes sets (or, empty, clears)
// the configuration set of mail the identity sends without naming one.
func (s *V2) PutEmailIdentityConfigurationSetAttributes(ctx *request.Context, in *sesv2api.PutEmailIdentityConfigurationSetAttributesRequest) (*sesv2api.PutEmailIdentityConfigurationSetAttributesResponse, error) {
	set := ptr.Deref(in.ConfigurationSetName)
	if set != "" {
		if _, ok, err := s.c.getConfigSet(ctx.Account, ctx.Region, set); err != nil {
			return nil, err
		} else if !ok {
			return nil, v2NoSet(set)()
		}
	}
	err := s.c.withIdentityV2(ctx, ptr.Deref(in.EmailIdentity), func(id *identity) error {
		id.ConfigSet = set
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &sesv2api.PutEmailIdentityConfigurationSetAttributesResponse{}, nil
}

// PutAccountSuppressionAttributes sets the reasons the account-level
// suppression list applies for (none turns it off).
func (s *V2) PutAccountSuppressionAttributes(ctx *request.Context, in *sesv2api.PutAccountSuppressionAttributesRequest) (*sesv2api.PutAccountSuppressionAttributesResponse, error) {
	for _, r := range in.SuppressedReasons {
		if r != "BOUNCE" && r != "COMPLAINT" {
			return nil, sesv2api.ErrBadRequestException.New("Invalid suppression reason: %s", r)
		}
	}
	err := s.c.opt.Store.Update(func(tx storage.Tx) error {
		a, _, err := accounts.Get(tx, scope(ctx.Account, ctx.Region), "settings")
		if err != nil {
			return err
		}
		reasons := append([]string{}, in.SuppressedReasons...)
		a.SuppressedReasons = &reasons
		return accounts.Put(tx, scope(ctx.Account, ctx.Region), a, "settings")
	})
	if err != nil {
		return nil, err
	}
	return &sesv2api.PutAccountSuppressionAttributesResponse{}, nil
}

// PutEmailIdentityDkimSigningAttributes switches a domain between Easy
// DKIM (AWS_SES) and Bring Your Own DKIM (EXTERNAL: a selector and a
// base64 RSA private key, which niwa checks and does not keep — it signs
// nothing); an EXTERNAL domain is verified by its public key's TXT
// record at <selector>._domainkey.<domain> in niwa's Route 53.
func (s *V2) PutEmailIdentityDkimSigningAttributes(ctx *request.Context, in *sesv2api.PutEmailIdentityDkimSigningAttributesRequest) (*sesv2api.PutEmailIdentityDkimSigningAttributesResponse, error) {
	name := ptr.Deref(in.EmailIdentity)
	origin := ptr.Deref(in.SigningAttributesOrigin)
	selector := ""
	switch origin {
	case "EXTERNAL":
		a := in.SigningAttributes
		if a == nil || ptr.Deref(a.DomainSigningSelector) == "" || ptr.Deref(a.DomainSigningPrivateKey) == "" {
			return nil, sesv2api.ErrBadRequestException.New("DomainSigningSelector and DomainSigningPrivateKey are required for EXTERNAL signing.")
		}
		if !validRSAKey(ptr.Deref(a.DomainSigningPrivateKey)) {
			return nil, sesv2api.ErrBadRequestException.New("Invalid DKIM private key.")
		}
		selector = strings.ToLower(ptr.Deref(a.DomainSigningSelector))
	case "AWS_SES", "AWS_SES_AF_SOUTH_1", "AWS_SES_EU_NORTH_1", "AWS_SES_AP_SOUTH_1", "AWS_SES_EU_WEST_3", "AWS_SES_EU_WEST_2",
		"AWS_SES_EU_SOUTH_1", "AWS_SES_EU_WEST_1", "AWS_SES_AP_NORTHEAST_3", "AWS_SES_AP_NORTHEAST_2", "AWS_SES_ME_SOUTH_1",
		"AWS_SES_AP_NORTHEAST_1", "AWS_SES_IL_CENTRAL_1", "AWS_SES_SA_EAST_1", "AWS_SES_CA_CENTRAL_1", "AWS_SES_AP_SOUTHEAST_1",
		"AWS_SES_AP_SOUTHEAST_2", "AWS_SES_AP_SOUTHEAST_3", "AWS_SES_EU_CENTRAL_1", "AWS_SES_US_EAST_1", "AWS_SES_US_EAST_2",
		"AWS_SES_US_WEST_1", "AWS_SES_US_WEST_2", "AWS_SES_ME_CENTRAL_1", "AWS_SES_AP_SOUTH_2", "AWS_SES_EU_CENTRAL_2":
	default:
		return nil, sesv2api.ErrBadRequestException.New("Invalid SigningAttributesOrigin: %s", origin)
	}
	err := s.c.withIdentityV2(ctx, name, func(id *identity) error {
		if id.Type != typeDomain {
			return sesv2api.ErrBadRequestException.New("DKIM signing attributes apply to domain identities only.")
		}
		if id.DKIMSelector != selector && id.Status != statusSuccess {
			id.Status = statusPending
		}
		id.DKIMSelector = selector
		return nil
	})
	if err != nil {
		return nil, err
	}
	id, _, err := s.c.getIdentity(ctx.Account, ctx.Region, name)
	if err != nil {
		return nil, err
	}
	d := dkim(id)
	return &sesv2api.PutEmailIdentityDkimSigningAttributesResponse{DkimStatus: d.Status, DkimTokens: d.Tokens}, nil
}

// validRSAKey reports whether s is a base64 RSA private key (PKCS#1 or
// PKCS#8 DER, as SES takes it: no PEM armour), 1024 to 2048 bits.
func validRSAKey(s string) bool {
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		return false
	}
	var key *rsa.PrivateKey
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		key = k
	} else if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		key, _ = k.(*rsa.PrivateKey)
	}
	return key != nil && key.N.BitLen() >= 1024 && key.N.BitLen() <= 2048
}
