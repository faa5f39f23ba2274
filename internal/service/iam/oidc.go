package iam

import (
	"net/url"
	"slices"
	"strings"
	"time"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// OpenID Connect identity providers: an account's record of an OIDC
// issuer, its client ids (audiences) and server certificate thumbprints.
// STS verifies web identity tokens against the issuer's JWKS for the
// providers found here (OIDCProviderByARN). Records are keyed by the
// issuer's host and path, which is also the tail of the provider ARN.

var oidcProviders = storage.NewTable[oidcProviderRecord]("oidc-provider")

type oidcProviderRecord struct {
	// URL is the issuer without its scheme (host[:port][/path]), as
	// GetOpenIDConnectProvider returns it.
	URL         string    `json:"url"`
	ClientIDs   []string  `json:"clientIds,omitempty"`
	Thumbprints []string  `json:"thumbprints,omitempty"`
	CreateDate  time.Time `json:"created"`
	Tags        []tag     `json:"tags,omitempty"`
}

// OIDCProvider is a provider as STS needs it.
type OIDCProvider struct {
	ARN, Account string
	// URL is the issuer without its scheme.
	URL       string
	ClientIDs []string
}

// AWS's limits on a provider.
const (
	maxOIDCClientIDs   = 100
	maxOIDCThumbprints = 5
)

func oidcARN(account, u string) string {
	return "arn:" + partition + ":iam::" + account + ":oidc-provider/" + u
}

// oidcURL checks a provider URL (https://, or http:// so that a local
// issuer can serve its keys) and returns it without the scheme and
// trailing slash. AWS also refuses a query or fragment.
func oidcURL(raw string) (string, error) {
	bad := iamapi.ErrInvalidInputException.New("Invalid Open ID Connect Provider URL")
	if len(raw) > 255 {
		return "", validation("Value '%s' at 'url' failed to satisfy constraint: Member must have length less than or equal to 255", raw)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", bad
	}
	return strings.ToLower(u.Host) + strings.TrimSuffix(u.Path, "/"), nil
}

func checkThumbprints(ts []string) error {
	if len(ts) > maxOIDCThumbprints {
		return iamapi.ErrInvalidInputException.New("Thumbprint list must contain fewer than %d entries.", maxOIDCThumbprints+1)
	}
	for _, t := range ts {
		if len(t) != 40 {
			return validation("Value '%s' at 'thumbprintList' failed to satisfy constraint: Member must have length greater than or equal to 40", t)
		}
		for _, c := range t {
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				return iamapi.ErrInvalidInputException.New("Thumbprint %s is not a hexadecimal string of 40 characters.", t)
			}
		}
	}
	return nil
}

func checkClientID(id string) error {
	if id == "" || len(id) > 255 {
		return validation("Value '%s' at 'clientIDList' failed to satisfy constraint: Member must have length between 1 and 255", id)
	}
	return nil
}

func (s *IAM) CreateOpenIDConnectProvider(ctx *request.Context, in *iamapi.CreateOpenIDConnectProviderInput) (*iamapi.CreateOpenIDConnectProviderOutput, error) {
	raw, err := required("url", in.Url)
	if err != nil {
		return nil, err
	}
	u, err := oidcURL(raw)
	if err != nil {
		return nil, err
	}
	if err := checkThumbprints(in.ThumbprintList); err != nil {
		return nil, err
	}
	var clients []string
	for _, c := range in.ClientIDList {
		if err := checkClientID(c); err != nil {
			return nil, err
		}
		if !slices.Contains(clients, c) {
			clients = append(clients, c)
		}
	}
	if len(clients) > maxOIDCClientIDs {
		return nil, limitExceeded("Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d", maxOIDCClientIDs)
	}
	tags, err := readTags(in.Tags)
	if err != nil {
		return nil, err
	}
	rec := oidcProviderRecord{URL: u, ClientIDs: clients, Thumbprints: in.ThumbprintList, CreateDate: now(ctx), Tags: tags}
	err = s.store.Update(func(tx storage.Tx) error {
		if _, ok, err := oidcProviders.Get(tx, scope(ctx), u); err != nil {
			return err
		} else if ok {
			return iamapi.ErrEntityAlreadyExistsException.New("Provider with url %s already exists.", raw)
		}
		return oidcProviders.Put(tx, scope(ctx), rec, u)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateOpenIDConnectProviderOutput{OpenIDConnectProviderArn: ptr.To(oidcARN(ctx.Account, u)), Tags: tagsOut(tags)}, nil
}

// oidcKey takes a provider ARN of the caller's account apart.
func oidcKey(ctx *request.Context, arnIn *string) (string, error) {
	arn, err := required("openIDConnectProviderArn", arnIn)
	if err != nil {
		return "", err
	}
	u, ok := strings.CutPrefix(arn, "arn:"+partition+":iam::"+ctx.Account+":oidc-provider/")
	if !ok || u == "" {
		if strings.HasPrefix(arn, "arn:") && strings.Contains(arn, ":oidc-provider/") {
			return "", oidcNotFound(arn)
		}
		return "", invalidARN(arn)
	}
	return u, nil
}

func oidcNotFound(arn string) error {
	return iamapi.ErrNoSuchEntityException.New("OpenIDConnect Provider not found for arn %s", arn)
}

// updateOIDC applies fn to the stored provider.
func (s *IAM) updateOIDC(ctx *request.Context, arn *string, fn func(*oidcProviderRecord) error) error {
	u, err := oidcKey(ctx, arn)
	if err != nil {
		return err
	}
	return s.store.Update(func(tx storage.Tx) error {
		r, ok, err := oidcProviders.Get(tx, scope(ctx), u)
		if err != nil {
			return err
		}
		if !ok {
			return oidcNotFound(*arn)
		}
		if err := fn(&r); err != nil {
			return err
		}
		return oidcProviders.Put(tx, scope(ctx), r, u)
	})
}

func (s *IAM) viewOIDC(ctx *request.Context, arn *string) (oidcProviderRecord, error) {
	var rec oidcProviderRecord
	u, err := oidcKey(ctx, arn)
	if err != nil {
		return rec, err
	}
	err = s.store.View(func(tx storage.Tx) error {
		r, ok, err := oidcProviders.Get(tx, scope(ctx), u)
		if err != nil {
			return err
		}
		if !ok {
			return oidcNotFound(*arn)
		}
		rec = r
		return nil
	})
	return rec, err
}

func (s *IAM) GetOpenIDConnectProvider(ctx *request.Context, in *iamapi.GetOpenIDConnectProviderInput) (*iamapi.GetOpenIDConnectProviderOutput, error) {
	r, err := s.viewOIDC(ctx, in.OpenIDConnectProviderArn)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetOpenIDConnectProviderOutput{
		Url: ptr.To(r.URL), ClientIDList: nonNil(r.ClientIDs), ThumbprintList: nonNil(r.Thumbprints),
		CreateDate: ptr.To(r.CreateDate), Tags: tagsOut(r.Tags),
	}, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (s *IAM) ListOpenIDConnectProviders(ctx *request.Context, _ *iamapi.ListOpenIDConnectProvidersInput) (*iamapi.ListOpenIDConnectProvidersOutput, error) {
	out := &iamapi.ListOpenIDConnectProvidersOutput{OpenIDConnectProviderList: []iamapi.OpenIDConnectProviderListEntry{}}
	err := s.store.View(func(tx storage.Tx) error {
		return oidcProviders.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, r oidcProviderRecord) bool {
			out.OpenIDConnectProviderList = append(out.OpenIDConnectProviderList,
				iamapi.OpenIDConnectProviderListEntry{Arn: ptr.To(oidcARN(ctx.Account, r.URL))})
			return true
		})
	})
	return out, err
}

func (s *IAM) DeleteOpenIDConnectProvider(ctx *request.Context, in *iamapi.DeleteOpenIDConnectProviderInput) (*iamapi.DeleteOpenIDConnectProviderOutput, error) {
	u, err := oidcKey(ctx, in.OpenIDConnectProviderArn)
	if err != nil {
		return nil, err
	}
	err = s.store.Update(func(tx storage.Tx) error {
		if _, ok, err := oidcProviders.Get(tx, scope(ctx), u); err != nil {
			return err
		} else if !ok {
			return oidcNotFound(*in.OpenIDConnectProviderArn)
		}
		return oidcProviders.Delete(tx, scope(ctx), u)
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.DeleteOpenIDConnectProviderOutput{}, nil
}

func (s *IAM) UpdateOpenIDConnectProviderThumbprint(ctx *request.Context, in *iamapi.UpdateOpenIDConnectProviderThumbprintInput) (*iamapi.UpdateOpenIDConnectProviderThumbprintOutput, error) {
	if err := checkThumbprints(in.ThumbprintList); err != nil {
		return nil, err
	}
	err := s.updateOIDC(ctx, in.OpenIDConnectProviderArn, func(r *oidcProviderRecord) error {
		r.Thumbprints = in.ThumbprintList
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UpdateOpenIDConnectProviderThumbprintOutput{}, nil
}

// AddClientIDToOpenIDConnectProvider adds an audience; adding one that
// is already there succeeds and changes nothing, as on AWS.
func (s *IAM) AddClientIDToOpenIDConnectProvider(ctx *request.Context, in *iamapi.AddClientIDToOpenIDConnectProviderInput) (*iamapi.AddClientIDToOpenIDConnectProviderOutput, error) {
	id, err := required("clientID", in.ClientID)
	if err != nil {
		return nil, err
	}
	if err := checkClientID(id); err != nil {
		return nil, err
	}
	err = s.updateOIDC(ctx, in.OpenIDConnectProviderArn, func(r *oidcProviderRecord) error {
		if slices.Contains(r.ClientIDs, id) {
			return nil
		}
		if len(r.ClientIDs) >= maxOIDCClientIDs {
			return limitExceeded("Cannot exceed quota for ClientIdsPerOpenIdConnectProvider: %d", maxOIDCClientIDs)
		}
		r.ClientIDs = append(r.ClientIDs, id)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.AddClientIDToOpenIDConnectProviderOutput{}, nil
}

// RemoveClientIDFromOpenIDConnectProvider removes an audience; removing
// one that is not there succeeds, as on AWS.
func (s *IAM) RemoveClientIDFromOpenIDConnectProvider(ctx *request.Context, in *iamapi.RemoveClientIDFromOpenIDConnectProviderInput) (*iamapi.RemoveClientIDFromOpenIDConnectProviderOutput, error) {
	id, err := required("clientID", in.ClientID)
	if err != nil {
		return nil, err
	}
	err = s.updateOIDC(ctx, in.OpenIDConnectProviderArn, func(r *oidcProviderRecord) error {
		r.ClientIDs = slices.DeleteFunc(r.ClientIDs, func(c string) bool { return c == id })
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.RemoveClientIDFromOpenIDConnectProviderOutput{}, nil
}

func (s *IAM) TagOpenIDConnectProvider(ctx *request.Context, in *iamapi.TagOpenIDConnectProviderInput) (*iamapi.TagOpenIDConnectProviderOutput, error) {
	err := s.updateOIDC(ctx, in.OpenIDConnectProviderArn, func(r *oidcProviderRecord) error {
		ts, err := mergeTags(r.Tags, in.Tags)
		r.Tags = ts
		return err
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.TagOpenIDConnectProviderOutput{}, nil
}

func (s *IAM) UntagOpenIDConnectProvider(ctx *request.Context, in *iamapi.UntagOpenIDConnectProviderInput) (*iamapi.UntagOpenIDConnectProviderOutput, error) {
	err := s.updateOIDC(ctx, in.OpenIDConnectProviderArn, func(r *oidcProviderRecord) error {
		r.Tags = removeTags(r.Tags, in.TagKeys)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.UntagOpenIDConnectProviderOutput{}, nil
}

func (s *IAM) ListOpenIDConnectProviderTags(ctx *request.Context, in *iamapi.ListOpenIDConnectProviderTagsInput) (*iamapi.ListOpenIDConnectProviderTagsOutput, error) {
	r, err := s.viewOIDC(ctx, in.OpenIDConnectProviderArn)
	if err != nil {
		return nil, err
	}
	tags, res, err := pageTags(r.Tags, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListOpenIDConnectProviderTagsOutput{Tags: tags, IsTruncated: res.IsTruncated, Marker: res.Marker}, nil
}

// OIDCProviderByARN finds an OIDC provider (for STS's
// AssumeRoleWithWebIdentity).
func (s *IAM) OIDCProviderByARN(arn string) (OIDCProvider, bool, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[2] != "iam" || !strings.HasPrefix(parts[5], "oidc-provider/") {
		return OIDCProvider{}, false, nil
	}
	account, u := parts[4], strings.TrimPrefix(parts[5], "oidc-provider/")
	var rec oidcProviderRecord
	var ok bool
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		rec, ok, err = oidcProviders.Get(tx, storage.Global(account), u)
		return err
	})
	if err != nil || !ok {
		return OIDCProvider{}, false, err
	}
	return OIDCProvider{ARN: oidcARN(account, u), Account: account, URL: u, ClientIDs: rec.ClientIDs}, true, nil
}
