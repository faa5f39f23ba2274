package cloudfront

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"slices"
	"strings"

	cfapi "github.com/niwa-cloud/niwa/internal/api/cloudfront"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// behavioursOf lists the cache behaviours in the order CloudFront
// evaluates them: the ordered path patterns, then the default (with no
// path pattern).
func behavioursOf(c cfapi.DistributionConfig) []cfapi.CacheBehavior {
	var out []cfapi.CacheBehavior
	if c.CacheBehaviors != nil {
		out = append(out, c.CacheBehaviors.Items...)
	}
	if d := c.DefaultCacheBehavior; d != nil {
		out = append(out, cfapi.CacheBehavior{TargetOriginId: d.TargetOriginId, TrustedSigners: d.TrustedSigners,
			TrustedKeyGroups: d.TrustedKeyGroups, ViewerProtocolPolicy: d.ViewerProtocolPolicy, AllowedMethods: d.AllowedMethods,
			Compress: d.Compress, CachePolicyId: d.CachePolicyId, OriginRequestPolicyId: d.OriginRequestPolicyId,
			ResponseHeadersPolicyId: d.ResponseHeadersPolicyId, ForwardedValues: d.ForwardedValues,
			MinTTL: d.MinTTL, DefaultTTL: d.DefaultTTL, MaxTTL: d.MaxTTL, FunctionAssociations: d.FunctionAssociations,
			LambdaFunctionAssociations: d.LambdaFunctionAssociations})
	}
	return out
}

// inUseBy reports whether any of the account's distributions uses a
// resource, as test says of its configuration.
func inUseBy(tx storage.Tx, sc storage.Scope, test func(cfapi.DistributionConfig) bool) (bool, error) {
	used := false
	err := dists.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, d distRec) bool {
		used = test(d.Config)
		return !used
	})
	return used, err
}

// ---- Origin access controls ----

func noSuchOAC() error {
	return cfapi.ErrNoSuchOriginAccessControl.New("The specified origin access control does not exist.")
}

var oacKind = kind[oacRec]{table: oacs, notFound: noSuchOAC, etag: func(r *oacRec) *string { return &r.ETag }}

func (r oacRec) api() *cfapi.OriginAccessControl {
	c := r.Config
	return &cfapi.OriginAccessControl{Id: ptr.To(r.ID), OriginAccessControlConfig: &c}
}

func missingBody() error {
	return cfapi.ErrMissingBody.New("This operation requires a body.")
}

// CreateOriginAccessControl20200531 creates an OAC (names unique per
// account).
func (s *CloudFront) CreateOriginAccessControl20200531(ctx *request.Context, in *cfapi.CreateOriginAccessControlRequest) (*cfapi.CreateOriginAccessControlResult, error) {
	if in.OriginAccessControlConfig == nil {
		return nil, missingBody()
	}
	r := oacRec{ID: newID("E"), ETag: newETag(), Config: *in.OriginAccessControlConfig}
	err := oacKind.create(s, ctx, r.ID, r, nil, func(o oacRec) bool { return ptr.Deref(o.Config.Name) == ptr.Deref(r.Config.Name) }, func() error {
		return cfapi.ErrOriginAccessControlAlreadyExists.New("An origin access control with the same name already exists.")
	})
	if err != nil {
		return nil, err
	}
	return &cfapi.CreateOriginAccessControlResult{OriginAccessControl: r.api(), ETag: &r.ETag,
		Location: ptr.To("https://cloudfront.amazonaws.com/2020-05-31/origin-access-control/" + r.ID)}, nil
}

// GetOriginAccessControl20200531 answers an OAC.
func (s *CloudFront) GetOriginAccessControl20200531(ctx *request.Context, in *cfapi.GetOriginAccessControlRequest) (*cfapi.GetOriginAccessControlResult, error) {
	r, err := oacKind.get(s, ctx, ptr.Deref(in.Id))
	if err != nil {
		return nil, err
	}
	return &cfapi.GetOriginAccessControlResult{OriginAccessControl: r.api(), ETag: &r.ETag}, nil
}

// GetOriginAccessControlConfig20200531 answers an OAC's configuration.
func (s *CloudFront) GetOriginAccessControlConfig20200531(ctx *request.Context, in *cfapi.GetOriginAccessControlConfigRequest) (*cfapi.GetOriginAccessControlConfigResult, error) {
	r, err := oacKind.get(s, ctx, ptr.Deref(in.Id))
	if err != nil {
		return nil, err
	}
	return &cfapi.GetOriginAccessControlConfigResult{OriginAccessControlConfig: &r.Config, ETag: &r.ETag}, nil
}

// UpdateOriginAccessControl20200531 replaces an OAC's configuration.
func (s *CloudFront) UpdateOriginAccessControl20200531(ctx *request.Context, in *cfapi.UpdateOriginAccessControlRequest) (*cfapi.UpdateOriginAccessControlResult, error) {
	if in.OriginAccessControlConfig == nil {
		return nil, missingBody()
	}
	r, err := oacKind.update(s, ctx, ptr.Deref(in.Id), in.IfMatch, func(_ storage.Tx, r *oacRec) error {
		r.Config = *in.OriginAccessControlConfig
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &cfapi.UpdateOriginAccessControlResult{OriginAccessControl: r.api(), ETag: &r.ETag}, nil
}

// DeleteOriginAccessControl20200531 deletes an OAC no distribution uses.
func (s *CloudFront) DeleteOriginAccessControl20200531(ctx *request.Context, in *cfapi.DeleteOriginAccessControlRequest) (*cfapi.DeleteOriginAccessControl20200531Output, error) {
	id := ptr.Deref(in.Id)
	err := oacKind.remove(s, ctx, id, in.IfMatch, refuseIfUsed[oacRec](ctx, func(c cfapi.DistributionConfig) bool {
		return c.Origins != nil && slices.ContainsFunc(c.Origins.Items, func(o cfapi.Origin) bool { return ptr.Deref(o.OriginAccessControlId) == id })
	}, func() error {
		return cfapi.ErrOriginAccessControlInUse.New("Cannot delete, this origin access control is in use.")
	}))
	if err != nil {
		return nil, err
	}
	return &cfapi.DeleteOriginAccessControl20200531Output{}, nil
}

// ListOriginAccessControls20200531 lists the account's OACs.
func (s *CloudFront) ListOriginAccessControls20200531(ctx *request.Context, in *cfapi.ListOriginAccessControlsRequest) (*cfapi.ListOriginAccessControlsResult, error) {
	all, err := oacKind.all(s, ctx)
	if err != nil {
		return nil, err
	}
	from, to, next, maxN, err := page(in.Marker, in.MaxItems, len(all), func(i int) string { return all[i].ID })
	if err != nil {
		return nil, err
	}
	out := &cfapi.OriginAccessControlList{Marker: ptr.To(ptr.Deref(in.Marker)), MaxItems: &maxN, IsTruncated: ptr.To(next != "")}
	if next != "" {
		out.NextMarker = &next
	}
	for _, r := range all[from:to] {
		c := r.Config
		out.Items = append(out.Items, cfapi.OriginAccessControlSummary{Id: ptr.To(r.ID), Name: c.Name, Description: ptr.To(ptr.Deref(c.Description)),
			SigningProtocol: c.SigningProtocol, SigningBehavior: c.SigningBehavior, OriginAccessControlOriginType: c.OriginAccessControlOriginType})
	}
	out.Quantity = ptr.To(int32(len(out.Items)))
	return &cfapi.ListOriginAccessControlsResult{OriginAccessControlList: out}, nil
}

// ---- Origin access identities ----

func noSuchOAI() error {
	return cfapi.ErrNoSuchCloudFrontOriginAccessIdentity.New("The specified origin access identity does not exist.")
}

var oaiKind = kind[oaiRec]{table: oais, notFound: noSuchOAI, etag: func(r *oaiRec) *string { return &r.ETag }}

func (r oaiRec) api() *cfapi.CloudFrontOriginAccessIdentity {
	c := r.Config
	return &cfapi.CloudFrontOriginAccessIdentity{Id: ptr.To(r.ID), S3CanonicalUserId: ptr.To(r.Canonical), CloudFrontOriginAccessIdentityConfig: &c}
}

// OAIPrincipalARN is the IAM principal an origin access identity reads
// S3 as (the ARN bucket policies name it by).
func OAIPrincipalARN(id string) string {
	return "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity " + id
}

// CreateCloudFrontOriginAccessIdentity20200531 creates an OAI.
func (s *CloudFront) CreateCloudFrontOriginAccessIdentity20200531(ctx *request.Context, in *cfapi.CreateCloudFrontOriginAccessIdentityRequest) (*cfapi.CreateCloudFrontOriginAccessIdentityResult, error) {
	if in.CloudFrontOriginAccessIdentityConfig == nil {
		return nil, missingBody()
	}
	r := oaiRec{ID: newID("E"), Canonical: awsid.Hex(96), ETag: newETag(), Config: *in.CloudFrontOriginAccessIdentityConfig}
	err := oaiKind.create(s, ctx, r.ID, r, nil, func(o oaiRec) bool {
		return ptr.Deref(o.Config.CallerReference) == ptr.Deref(r.Config.CallerReference)
	}, func() error {
		return cfapi.ErrCloudFrontOriginAccessIdentityAlreadyExists.New("The CallerReference you are using to create an origin access identity is associated with another identity.")
	})
	if err != nil {
		return nil, err
	}
	return &cfapi.CreateCloudFrontOriginAccessIdentityResult{CloudFrontOriginAccessIdentity: r.api(), ETag: &r.ETag,
		Location: ptr.To("https://cloudfront.amazonaws.com/2020-05-31/origin-access-identity/cloudfront/" + r.ID)}, nil
}

// GetCloudFrontOriginAccessIdentity20200531 answers an OAI.
func (s *CloudFront) GetCloudFrontOriginAccessIdentity20200531(ctx *request.Context, in *cfapi.GetCloudFrontOriginAccessIdentityRequest) (*cfapi.GetCloudFrontOriginAccessIdentityResult, error) {
	r, err := oaiKind.get(s, ctx, ptr.Deref(in.Id))
	if err != nil {
		return nil, err
	}
	return &cfapi.GetCloudFrontOriginAccessIdentityResult{CloudFrontOriginAccessIdentity: r.api(), ETag: &r.ETag}, nil
}

// GetCloudFrontOriginAccessIdentityConfig20200531 answers an OAI's
// configuration.
func (s *CloudFront) GetCloudFrontOriginAccessIdentityConfig20200531(ctx *request.Context, in *cfapi.GetCloudFrontOriginAccessIdentityConfigRequest) (*cfapi.GetCloudFrontOriginAccessIdentityConfigResult, error) {
	r, err := oaiKind.get(s, ctx, ptr.Deref(in.Id))
	if err != nil {
		return nil, err
	}
	return &cfapi.GetCloudFrontOriginAccessIdentityConfigResult{CloudFrontOriginAccessIdentityConfig: &r.Config, ETag: &r.ETag}, nil
}

// UpdateCloudFrontOriginAccessIdentity20200531 replaces an OAI's comment
// (its caller reference cannot change, as on AWS).
func (s *CloudFront) UpdateCloudFrontOriginAccessIdentity20200531(ctx *request.Context, in *cfapi.UpdateCloudFrontOriginAccessIdentityRequest) (*cfapi.UpdateCloudFrontOriginAccessIdentityResult, error) {
	if in.CloudFrontOriginAccessIdentityConfig == nil {
		return nil, missingBody()
	}
	r, err := oaiKind.update(s, ctx, ptr.Deref(in.Id), in.IfMatch, func(_ storage.Tx, r *oaiRec) error {
		if ptr.Deref(in.CloudFrontOriginAccessIdentityConfig.CallerReference) != ptr.Deref(r.Config.CallerReference) {
			return cfapi.ErrIllegalUpdate.New("Origin and CallerReference cannot be updated.")
		}
		r.Config = *in.CloudFrontOriginAccessIdentityConfig
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &cfapi.UpdateCloudFrontOriginAccessIdentityResult{CloudFrontOriginAccessIdentity: r.api(), ETag: &r.ETag}, nil
}

// DeleteCloudFrontOriginAccessIdentity20200531 deletes an unused OAI.
func (s *CloudFront) DeleteCloudFrontOriginAccessIdentity20200531(ctx *request.Context, in *cfapi.DeleteCloudFrontOriginAccessIdentityRequest) (*cfapi.DeleteCloudFrontOriginAccessIdentity20200531Output, error) {
	id := ptr.Deref(in.Id)
	err := oaiKind.remove(s, ctx, id, in.IfMatch, refuseIfUsed[oaiRec](ctx, func(c cfapi.DistributionConfig) bool {
		return c.Origins != nil && slices.ContainsFunc(c.Origins.Items, func(o cfapi.Origin) bool { return oaiOf(o) == id })
	}, func() error {
		return cfapi.ErrCloudFrontOriginAccessIdentityInUse.New("The CloudFront origin access identity is still being used.")
	}))
	if err != nil {
		return nil, err
	}
	return &cfapi.DeleteCloudFrontOriginAccessIdentity20200531Output{}, nil
}

// oaiOf is the OAI id an S3 origin reads as ("" for none).
func oaiOf(o cfapi.Origin) string {
	if o.S3OriginConfig == nil {
		return ""
	}
	return strings.TrimPrefix(ptr.Deref(o.S3OriginConfig.OriginAccessIdentity), "origin-access-identity/cloudfront/")
}

// ListCloudFrontOriginAccessIdentities20200531 lists the account's OAIs.
func (s *CloudFront) ListCloudFrontOriginAccessIdentities20200531(ctx *request.Context, in *cfapi.ListCloudFrontOriginAccessIdentitiesRequest) (*cfapi.ListCloudFrontOriginAccessIdentitiesResult, error) {
	all, err := oaiKind.all(s, ctx)
	if err != nil {
		return nil, err
	}
	from, to, next, maxN, err := page(in.Marker, in.MaxItems, len(all), func(i int) string { return all[i].ID })
	if err != nil {
		return nil, err
	}
	out := &cfapi.CloudFrontOriginAccessIdentityList{Marker: ptr.To(ptr.Deref(in.Marker)), MaxItems: &maxN, IsTruncated: ptr.To(next != "")}
	if next != "" {
		out.NextMarker = &next
	}
	for _, r := range all[from:to] {
		out.Items = append(out.Items, cfapi.CloudFrontOriginAccessIdentitySummary{Id: ptr.To(r.ID), S3CanonicalUserId: ptr.To(r.Canonical),
			Comment: ptr.To(ptr.Deref(r.Config.Comment))})
	}
	out.Quantity = ptr.To(int32(len(out.Items)))
	return &cfapi.ListCloudFrontOriginAccessIdentitiesResult{CloudFrontOriginAccessIdentityList: out}, nil
}

// ---- Public keys ----

func noSuchKey() error {
	return cfapi.ErrNoSuchPublicKey.New("The specified public key does not exist.")
}

// parsePublicKey reads the PEM RSA public key CloudFront accepts
// (SubjectPublicKeyInfo, as `openssl rsa -pubout` writes; 2048-bit keys
// on AWS, any RSA size accepted here down to 1024 bits).
func parsePublicKey(encoded string) (*rsa.PublicKey, error) {
	block, _ := pem.Decode([]byte(strings.TrimSpace(encoded)))
	if block == nil {
		return nil, cfapi.ErrInvalidArgument.New("Invalid request provided: The specified public key is not valid. It must be a PEM-encoded RSA public key.")
	}
	var pub any
	var err error
	switch block.Type {
	case "PUBLIC KEY":
		pub, err = x509.ParsePKIXPublicKey(block.Bytes)
	case "RSA PUBLIC KEY":
		pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
	default:
		err = errInvalidKey
	}
	k, ok := pub.(*rsa.PublicKey)
	if err != nil || !ok || k.N.BitLen() < 1024 {
		return nil, cfapi.ErrInvalidArgument.New("Invalid request provided: The specified public key is not valid. It must be a PEM-encoded RSA public key.")
	}
	return k, nil
}

var keyKind = kind[keyRec]{table: keys, notFound: noSuchKey, etag: func(r *keyRec) *string { return &r.ETag }}

// CreatePublicKey20200531 registers a PEM RSA public key.
func (s *CloudFront) CreatePublicKey20200531(ctx *request.Context, in *cfapi.CreatePublicKeyRequest) (*cfapi.CreatePublicKeyResult, error) {
	if in.PublicKeyConfig == nil {
		return nil, missingBody()
	}
	if _, err := parsePublicKey(ptr.Deref(in.PublicKeyConfig.EncodedKey)); err != nil {
		return nil, err
	}
	r := keyRec{ID: newID("K"), ETag: newETag(), Created: ctx.Now(), Config: *in.PublicKeyConfig}
	err := keyKind.create(s, ctx, r.ID, r, nil, func(o keyRec) bool {
		return ptr.Deref(o.Config.CallerReference) == ptr.Deref(r.Config.CallerReference) || ptr.Deref(o.Config.Name) == ptr.Deref(r.Config.Name)
	}, func() error { return cfapi.ErrPublicKeyAlreadyExists.New("The specified public key already exists.") })
	if err != nil {
		return nil, err
	}
	return &cfapi.CreatePublicKeyResult{PublicKey: r.api(), ETag: &r.ETag, Location: ptr.To("https://cloudfront.amazonaws.com/2020-05-31/public-key/" + r.ID)}, nil
}

func (r keyRec) api() *cfapi.PublicKey {
	c := r.Config
	return &cfapi.PublicKey{Id: ptr.To(r.ID), CreatedTime: ptr.To(r.Created), PublicKeyConfig: &c}
}

// GetPublicKey20200531 answers a public key.
func (s *CloudFront) GetPublicKey20200531(ctx *request.Context, in *cfapi.GetPublicKeyRequest) (*cfapi.GetPublicKeyResult, error) {
	r, err := keyKind.get(s, ctx, ptr.Deref(in.Id))
	if err != nil {
		return nil, err
	}
	return &cfapi.GetPublicKeyResult{PublicKey: r.api(), ETag: &r.ETag}, nil
}

// GetPublicKeyConfig20200531 answers a public key's configuration.
func (s *CloudFront) GetPublicKeyConfig20200531(ctx *request.Context, in *cfapi.GetPublicKeyConfigRequest) (*cfapi.GetPublicKeyConfigResult, error) {
	r, err := keyKind.get(s, ctx, ptr.Deref(in.Id))
	if err != nil {
		return nil, err
	}
	return &cfapi.GetPublicKeyConfigResult{PublicKeyConfig: &r.Config, ETag: &r.ETag}, nil
}

// UpdatePublicKey20200531 changes a public key's comment: the key itself,
// its name and caller reference cannot change (AWS: "You can update a
// public key's comment only").
func (s *CloudFront) UpdatePublicKey20200531(ctx *request.Context, in *cfapi.UpdatePublicKeyRequest) (*cfapi.UpdatePublicKeyResult, error) {
	if in.PublicKeyConfig == nil {
		return nil, missingBody()
	}
	r, err := keyKind.update(s, ctx, ptr.Deref(in.Id), in.IfMatch, func(_ storage.Tx, r *keyRec) error {
		c := in.PublicKeyConfig
		if ptr.Deref(c.EncodedKey) != ptr.Deref(r.Config.EncodedKey) || ptr.Deref(c.Name) != ptr.Deref(r.Config.Name) ||
			ptr.Deref(c.CallerReference) != ptr.Deref(r.Config.CallerReference) {
			return cfapi.ErrCannotChangeImmutablePublicKeyFields.New("You can't change the value of a public key.")
		}
		r.Config.Comment = c.Comment
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &cfapi.UpdatePublicKeyResult{PublicKey: r.api(), ETag: &r.ETag}, nil
}

// DeletePublicKey20200531 deletes a public key no key group holds.
func (s *CloudFront) DeletePublicKey20200531(ctx *request.Context, in *cfapi.DeletePublicKeyRequest) (*cfapi.DeletePublicKey20200531Output, error) {
	id := ptr.Deref(in.Id)
	err := keyKind.remove(s, ctx, id, in.IfMatch, func(tx storage.Tx, _ keyRec) error {
		used := false
		if err := groups.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, g groupRec) bool {
			used = slices.Contains(g.Config.Items, id)
			return !used
		}); err != nil {
			return err
		}
		if used {
			return cfapi.ErrPublicKeyInUse.New("The specified public key is in use.")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &cfapi.DeletePublicKey20200531Output{}, nil
}

// ListPublicKeys20200531 lists the account's public keys.
func (s *CloudFront) ListPublicKeys20200531(ctx *request.Context, in *cfapi.ListPublicKeysRequest) (*cfapi.ListPublicKeysResult, error) {
	all, err := keyKind.all(s, ctx)
	if err != nil {
		return nil, err
	}
	from, to, next, maxN, err := page(in.Marker, in.MaxItems, len(all), func(i int) string { return all[i].ID })
	if err != nil {
		return nil, err
	}
	out := &cfapi.PublicKeyList{MaxItems: &maxN}
	if next != "" {
		out.NextMarker = &next
	}
	for _, r := range all[from:to] {
		out.Items = append(out.Items, cfapi.PublicKeySummary{Id: ptr.To(r.ID), Name: r.Config.Name, CreatedTime: ptr.To(r.Created),
			EncodedKey: r.Config.EncodedKey, Comment: r.Config.Comment})
	}
	out.Quantity = ptr.To(int32(len(out.Items)))
	return &cfapi.ListPublicKeysResult{PublicKeyList: out}, nil
}

// ---- Key groups ----

func noSuchGroup() error {
	return cfapi.ErrNoSuchResource.New("The specified key group does not exist.")
}

var groupKind = kind[groupRec]{table: groups, notFound: noSuchGroup, etag: func(r *groupRec) *string { return &r.ETag }}

func (r groupRec) api() *cfapi.KeyGroup {
	c := r.Config
	return &cfapi.KeyGroup{Id: ptr.To(r.ID), LastModifiedTime: ptr.To(r.Modified), KeyGroupConfig: &c}
}

// checkGroup: every key exists, at most maxKeysPerGroup.
func checkGroup(tx storage.Tx, sc storage.Scope, c *cfapi.KeyGroupConfig) error {
	if len(c.Items) == 0 {
		return cfapi.ErrInvalidArgument.New("Invalid request provided: A key group must contain at least one public key.")
	}
	if len(c.Items) > maxKeysPerGroup {
		return cfapi.ErrTooManyPublicKeysInKeyGroup.New("The number of public keys in this key group is more than the maximum allowed.")
	}
	for _, k := range c.Items {
		if _, ok, err := keys.Get(tx, sc, k); err != nil {
			return err
		} else if !ok {
			return noSuchKey()
		}
	}
	return nil
}

// CreateKeyGroup20200531 creates a key group of existing public keys.
func (s *CloudFront) CreateKeyGroup20200531(ctx *request.Context, in *cfapi.CreateKeyGroupRequest) (*cfapi.CreateKeyGroupResult, error) {
	if in.KeyGroupConfig == nil {
		return nil, missingBody()
	}
	r := groupRec{ID: awsid.UUID(), ETag: newETag(), Modified: ctx.Now(), Config: *in.KeyGroupConfig}
	err := groupKind.create(s, ctx, r.ID, r, func(tx storage.Tx) error { return checkGroup(tx, scope(ctx), &r.Config) },
		func(o groupRec) bool { return ptr.Deref(o.Config.Name) == ptr.Deref(r.Config.Name) },
		func() error { return cfapi.ErrKeyGroupAlreadyExists.New("A key group with this name already exists.") })
	if err != nil {
		return nil, err
	}
	return &cfapi.CreateKeyGroupResult{KeyGroup: r.api(), ETag: &r.ETag, Location: ptr.To("https://cloudfront.amazonaws.com/2020-05-31/key-group/" + r.ID)}, nil
}

// GetKeyGroup20200531 answers a key group.
func (s *CloudFront) GetKeyGroup20200531(ctx *request.Context, in *cfapi.GetKeyGroupRequest) (*cfapi.GetKeyGroupResult, error) {
	r, err := groupKind.get(s, ctx, ptr.Deref(in.Id))
	if err != nil {
		return nil, err
	}
	return &cfapi.GetKeyGroupResult{KeyGroup: r.api(), ETag: &r.ETag}, nil
}

// GetKeyGroupConfig20200531 answers a key group's configuration.
func (s *CloudFront) GetKeyGroupConfig20200531(ctx *request.Context, in *cfapi.GetKeyGroupConfigRequest) (*cfapi.GetKeyGroupConfigResult, error) {
	r, err := groupKind.get(s, ctx, ptr.Deref(in.Id))
	if err != nil {
		return nil, err
	}
	return &cfapi.GetKeyGroupConfigResult{KeyGroupConfig: &r.Config, ETag: &r.ETag}, nil
}

// UpdateKeyGroup20200531 replaces a key group's keys.
func (s *CloudFront) UpdateKeyGroup20200531(ctx *request.Context, in *cfapi.UpdateKeyGroupRequest) (*cfapi.UpdateKeyGroupResult, error) {
	if in.KeyGroupConfig == nil {
		return nil, missingBody()
	}
	r, err := groupKind.update(s, ctx, ptr.Deref(in.Id), in.IfMatch, func(tx storage.Tx, r *groupRec) error {
		if err := checkGroup(tx, scope(ctx), in.KeyGroupConfig); err != nil {
			return err
		}
		r.Config, r.Modified = *in.KeyGroupConfig, ctx.Now()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &cfapi.UpdateKeyGroupResult{KeyGroup: r.api(), ETag: &r.ETag}, nil
}

// DeleteKeyGroup20200531 deletes a key group no distribution trusts.
func (s *CloudFront) DeleteKeyGroup20200531(ctx *request.Context, in *cfapi.DeleteKeyGroupRequest) (*cfapi.DeleteKeyGroup20200531Output, error) {
	id := ptr.Deref(in.Id)
	err := groupKind.remove(s, ctx, id, in.IfMatch, refuseIfUsed[groupRec](ctx, func(c cfapi.DistributionConfig) bool { return slices.Contains(allKeyGroups(c), id) },
		func() error { return cfapi.ErrResourceInUse.New("Cannot delete this resource because it is in use.") }))
	if err != nil {
		return nil, err
	}
	return &cfapi.DeleteKeyGroup20200531Output{}, nil
}

// ListKeyGroups20200531 lists the account's key groups.
func (s *CloudFront) ListKeyGroups20200531(ctx *request.Context, in *cfapi.ListKeyGroupsRequest) (*cfapi.ListKeyGroupsResult, error) {
	all, err := groupKind.all(s, ctx)
	if err != nil {
		return nil, err
	}
	from, to, next, maxN, err := page(in.Marker, in.MaxItems, len(all), func(i int) string { return all[i].ID })
	if err != nil {
		return nil, err
	}
	out := &cfapi.KeyGroupList{MaxItems: &maxN}
	if next != "" {
		out.NextMarker = &next
	}
	for _, r := range all[from:to] {
		out.Items = append(out.Items, cfapi.KeyGroupSummary{KeyGroup: r.api()})
	}
	out.Quantity = ptr.To(int32(len(out.Items)))
	return &cfapi.ListKeyGroupsResult{KeyGroupList: out}, nil
}
