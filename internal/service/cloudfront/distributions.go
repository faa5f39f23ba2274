package cloudfront

import (
	"slices"
	"strconv"
	"strings"

	cfapi "github.com/niwa-cloud/niwa/internal/api/cloudfront"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

func noSuchDistribution() error {
	return cfapi.ErrNoSuchDistribution.New("The specified distribution does not exist.")
}

// checkIfMatch is the optimistic locking of every Update and Delete: the
// ETag the client last read must be given, and be the current one.
func checkIfMatch(ifMatch *string, etag string) error {
	v := ptr.Deref(ifMatch)
	if v == "" {
		return cfapi.ErrInvalidIfMatchVersion.New("The If-Match version is missing or not valid for the resource.")
	}
	if v != etag {
		return cfapi.ErrPreconditionFailed.New("The precondition given in one or more of the request-header fields evaluated to false.")
	}
	return nil
}

// quantity checks a Quantity against the length of its Items.
func quantity(q *int32, n int) error {
	if q != nil && int(*q) != n {
		return cfapi.ErrInconsistentQuantities.New("The value of Quantity and the size of Items don't match.")
	}
	return nil
}

// validateConfig checks what CloudFront checks of a distribution's
// configuration beyond its model: quantities, origins targeted by the
// behaviours, key groups and origin access controls that exist.
func (s *CloudFront) validateConfig(tx storage.Tx, sc storage.Scope, c *cfapi.DistributionConfig) error {
	if c.Origins == nil || len(c.Origins.Items) == 0 {
		return cfapi.ErrInvalidArgument.New("The parameter Origins must contain at least one origin.")
	}
	if err := quantity(c.Origins.Quantity, len(c.Origins.Items)); err != nil {
		return err
	}
	origins := map[string]bool{}
	for _, o := range c.Origins.Items {
		id := ptr.Deref(o.Id)
		if origins[id] {
			return cfapi.ErrInvalidArgument.New("The parameter Origin Id must be unique.")
		}
		origins[id] = true
		if o.CustomHeaders != nil {
			if err := quantity(o.CustomHeaders.Quantity, len(o.CustomHeaders.Items)); err != nil {
				return err
			}
		}
		if oac := ptr.Deref(o.OriginAccessControlId); oac != "" {
			if _, ok, err := oacs.Get(tx, sc, oac); err != nil {
				return err
			} else if !ok {
				return cfapi.ErrNoSuchOriginAccessControl.New("The specified origin access control does not exist.")
			}
		}
		if o.S3OriginConfig != nil {
			if oai := strings.TrimPrefix(ptr.Deref(o.S3OriginConfig.OriginAccessIdentity), "origin-access-identity/cloudfront/"); oai != "" {
				if _, ok, err := oais.Get(tx, sc, oai); err != nil {
					return err
				} else if !ok {
					return cfapi.ErrInvalidOriginAccessIdentity.New("The specified origin access identity does not exist or is not valid.")
				}
			}
		}
	}
	if c.OriginGroups != nil {
		for _, g := range c.OriginGroups.Items {
			origins[ptr.Deref(g.Id)] = true
		}
	}
	if c.DefaultCacheBehavior == nil {
		return cfapi.ErrInvalidArgument.New("The parameter DefaultCacheBehavior is required.")
	}
	if err := checkPolicies(tx, sc, c); err != nil {
		return err
	}
	if err := checkLogging(c); err != nil {
		return err
	}
	d := c.DefaultCacheBehavior
	behaviours := []behaviour{{target: d.TargetOriginId, keyGroups: d.TrustedKeyGroups, signers: d.TrustedSigners}}
	if c.CacheBehaviors != nil {
		if err := quantity(c.CacheBehaviors.Quantity, len(c.CacheBehaviors.Items)); err != nil {
			return err
		}
		for _, b := range c.CacheBehaviors.Items {
			behaviours = append(behaviours, behaviour{target: b.TargetOriginId, keyGroups: b.TrustedKeyGroups, signers: b.TrustedSigners})
		}
	}
	for _, b := range behaviours {
		if !origins[ptr.Deref(b.target)] {
			return cfapi.ErrNoSuchOrigin.New("One or more of your origins or origin groups do not exist.")
		}
		if b.keyGroups != nil {
			if err := quantity(b.keyGroups.Quantity, len(b.keyGroups.Items)); err != nil {
				return err
			}
			for _, g := range b.keyGroups.Items {
				if _, ok, err := groups.Get(tx, sc, g); err != nil {
					return err
				} else if !ok {
					return cfapi.ErrTrustedKeyGroupDoesNotExist.New("One or more of your trusted key groups do not exist.")
				}
			}
		}
		if b.signers != nil {
			if err := quantity(b.signers.Quantity, len(b.signers.Items)); err != nil {
				return err
			}
		}
	}
	if c.Aliases != nil {
		if err := quantity(c.Aliases.Quantity, len(c.Aliases.Items)); err != nil {
			return err
		}
	}
	if c.CustomErrorResponses != nil {
		if err := quantity(c.CustomErrorResponses.Quantity, len(c.CustomErrorResponses.Items)); err != nil {
			return err
		}
	}
	return nil
}

type behaviour struct {
	target    *string
	keyGroups *cfapi.TrustedKeyGroups
	signers   *cfapi.TrustedSigners
}

// claimHosts indexes the distribution's domain and aliases; an alias
// another distribution holds is CNAMEAlreadyExists.
func claimHosts(tx storage.Tx, account string, d distRec, old []string) error {
	var aliases []string
	if d.Config.Aliases != nil {
		aliases = d.Config.Aliases.Items
	}
	for _, a := range aliases {
		a = strings.ToLower(a)
		h, ok, err := hosts.Get(tx, anywhere, a)
		if err != nil {
			return err
		}
		if ok && (h.Account != account || h.ID != d.ID) {
			return cfapi.ErrCNAMEAlreadyExists.New("One or more of the CNAMEs you provided are already associated with a different resource.")
		}
	}
	for _, a := range old {
		if !slices.ContainsFunc(aliases, func(n string) bool { return strings.EqualFold(n, a) }) {
			if err := hosts.Delete(tx, anywhere, strings.ToLower(a)); err != nil {
				return err
			}
		}
	}
	for _, a := range append([]string{d.Domain}, aliases...) {
		if err := hosts.Put(tx, anywhere, hostRec{Account: account, ID: d.ID}, strings.ToLower(a)); err != nil {
			return err
		}
	}
	return nil
}

func (s *CloudFront) create(ctx *request.Context, c *cfapi.DistributionConfig, tags *cfapi.Tags) (distRec, error) {
	if c == nil {
		return distRec{}, cfapi.ErrMissingBody.New("This operation requires a body. Ensure that the body is present and the Content-Type header is set.")
	}
	tagMap, err := tagsOf(tags)
	if err != nil {
		return distRec{}, err
	}
	if err := s.checkViewerCertificate(ctx, c); err != nil {
		return distRec{}, err
	}
	now := ctx.Now()
	id := newID("E")
	d := distRec{ID: id, ARN: distARN(ctx.Account, id), Domain: newDomain(), ETag: newETag(), Config: *c,
		Modified: now, DeployedAt: now.Add(deployDelay), Tags: tagMap}
	err = s.opt.Store.Update(func(tx storage.Tx) error {
		sc := scope(ctx)
		if err := s.validateConfig(tx, sc, c); err != nil {
			return err
		}
		exists := false
		if err := dists.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, o distRec) bool {
			exists = ptr.Deref(o.Config.CallerReference) == ptr.Deref(c.CallerReference)
			return !exists
		}); err != nil {
			return err
		}
		if exists {
			return cfapi.ErrDistributionAlreadyExists.New("The caller reference that you are using to create a distribution is associated with another distribution.")
		}
		if err := claimHosts(tx, ctx.Account, d, nil); err != nil {
			return err
		}
		return dists.Put(tx, sc, d, id)
	})
	if err == nil {
		s.useCertificates(ctx, d.ARN, "", certARN(d.Config))
	}
	return d, err
}

// CreateDistribution20200531 creates a distribution, InProgress for
// deployDelay.
func (s *CloudFront) CreateDistribution20200531(ctx *request.Context, in *cfapi.CreateDistributionRequest) (*cfapi.CreateDistributionResult, error) {
	d, err := s.create(ctx, in.DistributionConfig, nil)
	if err != nil {
		return nil, err
	}
	return &cfapi.CreateDistributionResult{Distribution: s.distribution(ctx, d), ETag: &d.ETag,
		Location: ptr.To("https://cloudfront.amazonaws.com/2020-05-31/distribution/" + d.ID)}, nil
}

// CreateDistributionWithTags20200531 creates a tagged distribution.
func (s *CloudFront) CreateDistributionWithTags20200531(ctx *request.Context, in *cfapi.CreateDistributionWithTagsRequest) (*cfapi.CreateDistributionWithTagsResult, error) {
	w := in.DistributionConfigWithTags
	if w == nil {
		w = &cfapi.DistributionConfigWithTags{}
	}
	d, err := s.create(ctx, w.DistributionConfig, w.Tags)
	if err != nil {
		return nil, err
	}
	return &cfapi.CreateDistributionWithTagsResult{Distribution: s.distribution(ctx, d), ETag: &d.ETag,
		Location: ptr.To("https://cloudfront.amazonaws.com/2020-05-31/distribution/" + d.ID)}, nil
}

func (s *CloudFront) getDist(ctx *request.Context, id string) (distRec, error) {
	var d distRec
	err := s.opt.Store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		d, ok, err = dists.Get(tx, scope(ctx), id)
		if err == nil && !ok {
			err = noSuchDistribution()
		}
		return err
	})
	return d, err
}

func status(ctx *request.Context, d distRec) string {
	if ctx.Now().Before(d.DeployedAt) {
		return "InProgress"
	}
	return "Deployed"
}

// distribution is the API's view of a record.
func (s *CloudFront) distribution(ctx *request.Context, d distRec) *cfapi.Distribution {
	cfg := d.Config
	inProgress := int32(0)
	_ = s.opt.Store.View(func(tx storage.Tx) error {
		return invs.List(tx, scope(ctx), []string{d.ID}, storage.ListOptions{}, func(_ []string, v invRec) bool {
			if ctx.Now().Before(v.DoneAfter) {
				inProgress++
			}
			return true
		})
	})
	return &cfapi.Distribution{Id: &d.ID, ARN: &d.ARN, Status: ptr.To(status(ctx, d)), LastModifiedTime: ptr.To(d.Modified),
		InProgressInvalidationBatches: &inProgress, DomainName: &d.Domain, DistributionConfig: &cfg,
		ActiveTrustedKeyGroups: s.activeKeyGroups(ctx, d), ActiveTrustedSigners: activeSigners(d)}
}

// activeKeyGroups lists the key groups of the distribution's behaviours
// with their public key ids.
func (s *CloudFront) activeKeyGroups(ctx *request.Context, d distRec) *cfapi.ActiveTrustedKeyGroups {
	var ids []string
	for _, g := range allKeyGroups(d.Config) {
		if !slices.Contains(ids, g) {
			ids = append(ids, g)
		}
	}
	out := &cfapi.ActiveTrustedKeyGroups{Enabled: ptr.To(len(ids) > 0), Quantity: ptr.To(int32(0))}
	_ = s.opt.Store.View(func(tx storage.Tx) error {
		for _, id := range ids {
			g, ok, err := groups.Get(tx, scope(ctx), id)
			if err != nil || !ok {
				continue
			}
			out.Items = append(out.Items, cfapi.KGKeyPairIds{KeyGroupId: &g.ID,
				KeyPairIds: &cfapi.KeyPairIds{Quantity: ptr.To(int32(len(g.Config.Items))), Items: g.Config.Items}})
		}
		return nil
	})
	out.Quantity = ptr.To(int32(len(out.Items)))
	return out
}

// activeSigners: legacy trusted signers are accounts whose CloudFront key
// pairs (made only by the root user in the console) niwa does not have,
// so none is active.
func activeSigners(d distRec) *cfapi.ActiveTrustedSigners {
	enabled := false
	for _, b := range behavioursOf(d.Config) {
		if b.TrustedSigners != nil && ptr.Deref(b.TrustedSigners.Enabled) {
			enabled = true
		}
	}
	return &cfapi.ActiveTrustedSigners{Enabled: &enabled, Quantity: ptr.To(int32(0))}
}

func allKeyGroups(c cfapi.DistributionConfig) []string {
	var out []string
	for _, b := range behavioursOf(c) {
		if b.TrustedKeyGroups != nil && ptr.Deref(b.TrustedKeyGroups.Enabled) {
			out = append(out, b.TrustedKeyGroups.Items...)
		}
	}
	return out
}

// GetDistribution20200531 answers a distribution and its ETag.
func (s *CloudFront) GetDistribution20200531(ctx *request.Context, in *cfapi.GetDistributionRequest) (*cfapi.GetDistributionResult, error) {
	d, err := s.getDist(ctx, ptr.Deref(in.Id))
	if err != nil {
		return nil, err
	}
	return &cfapi.GetDistributionResult{Distribution: s.distribution(ctx, d), ETag: &d.ETag}, nil
}

// GetDistributionConfig20200531 answers a distribution's configuration.
func (s *CloudFront) GetDistributionConfig20200531(ctx *request.Context, in *cfapi.GetDistributionConfigRequest) (*cfapi.GetDistributionConfigResult, error) {
	d, err := s.getDist(ctx, ptr.Deref(in.Id))
	if err != nil {
		return nil, err
	}
	return &cfapi.GetDistributionConfigResult{DistributionConfig: &d.Config, ETag: &d.ETag}, nil
}

// UpdateDistribution20200531 replaces a distribution's configuration
// given the ETag last read (If-Match).
func (s *CloudFront) UpdateDistribution20200531(ctx *request.Context, in *cfapi.UpdateDistributionRequest) (*cfapi.UpdateDistributionResult, error) {
	if in.DistributionConfig == nil {
		return nil, cfapi.ErrMissingBody.New("This operation requires a body. Ensure that the body is present and the Content-Type header is set.")
	}
	if err := s.checkViewerCertificate(ctx, in.DistributionConfig); err != nil {
		return nil, err
	}
	var d distRec
	var oldCert string
	err := s.opt.Store.Update(func(tx storage.Tx) error {
		sc := scope(ctx)
		var ok bool
		var err error
		d, ok, err = dists.Get(tx, sc, ptr.Deref(in.Id))
		if err != nil {
			return err
		}
		if !ok {
			return noSuchDistribution()
		}
		if err := checkIfMatch(in.IfMatch, d.ETag); err != nil {
			return err
		}
		if ptr.Deref(in.DistributionConfig.CallerReference) != ptr.Deref(d.Config.CallerReference) {
			return cfapi.ErrIllegalUpdate.New("Origin and CallerReference cannot be updated.")
		}
		if err := s.validateConfig(tx, sc, in.DistributionConfig); err != nil {
			return err
		}
		var old []string
		if d.Config.Aliases != nil {
			old = d.Config.Aliases.Items
		}
		oldCert = certARN(d.Config)
		d.Config = *in.DistributionConfig
		d.ETag = newETag()
		d.Modified = ctx.Now()
		d.DeployedAt = d.Modified.Add(deployDelay)
		if err := claimHosts(tx, ctx.Account, d, old); err != nil {
			return err
		}
		return dists.Put(tx, sc, d, d.ID)
	})
	if err != nil {
		return nil, err
	}
	s.cache.dropDistribution(d.ID)
	s.useCertificates(ctx, d.ARN, oldCert, certARN(d.Config))
	return &cfapi.UpdateDistributionResult{Distribution: s.distribution(ctx, d), ETag: &d.ETag}, nil
}

// DeleteDistribution20200531 deletes a disabled, deployed distribution.
func (s *CloudFront) DeleteDistribution20200531(ctx *request.Context, in *cfapi.DeleteDistributionRequest) (*cfapi.DeleteDistribution20200531Output, error) {
	id := ptr.Deref(in.Id)
	var gone distRec
	err := s.opt.Store.Update(func(tx storage.Tx) error {
		sc := scope(ctx)
		d, ok, err := dists.Get(tx, sc, id)
		gone = d
		if err != nil {
			return err
		}
		if !ok {
			return noSuchDistribution()
		}
		if err := checkIfMatch(in.IfMatch, d.ETag); err != nil {
			return err
		}
		if ptr.Deref(d.Config.Enabled) || status(ctx, d) != "Deployed" {
			return cfapi.ErrDistributionNotDisabled.New("The distribution you are trying to delete has not been disabled.")
		}
		names := []string{d.Domain}
		if d.Config.Aliases != nil {
			names = append(names, d.Config.Aliases.Items...)
		}
		for _, n := range names {
			if err := hosts.Delete(tx, anywhere, strings.ToLower(n)); err != nil {
				return err
			}
		}
		if err := storage.DeletePrefix(tx, sc.Prefix(invs.Name(), id)); err != nil {
			return err
		}
		if err := monitoring.Delete(tx, sc, id); err != nil {
			return err
		}
		return dists.Delete(tx, sc, id)
	})
	if err != nil {
		return nil, err
	}
	s.cache.dropDistribution(id)
	s.useCertificates(ctx, gone.ARN, certARN(gone.Config), "")
	return &cfapi.DeleteDistribution20200531Output{}, nil
}

// page is a Marker/MaxItems window over ids in order.
func page(marker, maxItems *string, n int, idAt func(int) string) (from, to int, next string, maxN int32, err error) {
	maxN = maxItemsDefault
	if v := ptr.Deref(maxItems); v != "" {
		m, perr := strconv.Atoi(v)
		if perr != nil || m < 0 {
			return 0, 0, "", 0, cfapi.ErrInvalidArgument.New("The parameter MaxItems is not valid.")
		}
		maxN = int32(min(m, 1000))
	}
	if m := ptr.Deref(marker); m != "" {
		for from < n && idAt(from) <= m {
			from++
		}
	}
	to = min(n, from+int(maxN))
	if to < n && to > from {
		next = idAt(to - 1)
	}
	return from, to, next, maxN, nil
}

// ListDistributions20200531 lists the account's distributions.
func (s *CloudFront) ListDistributions20200531(ctx *request.Context, in *cfapi.ListDistributionsRequest) (*cfapi.ListDistributionsResult, error) {
	out, err := s.distributionList(ctx, in.Marker, in.MaxItems, func(distRec) bool { return true })
	if err != nil {
		return nil, err
	}
	return &cfapi.ListDistributionsResult{DistributionList: out}, nil
}

// matching lists the account's distributions keep accepts, in id order.
func (s *CloudFront) matching(ctx *request.Context, keep func(distRec) bool) ([]distRec, error) {
	var all []distRec
	err := s.opt.Store.View(func(tx storage.Tx) error {
		return dists.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, d distRec) bool {
			if keep(d) {
				all = append(all, d)
			}
			return true
		})
	})
	return all, err
}

// distributionList pages the summaries of the distributions keep
// accepts.
func (s *CloudFront) distributionList(ctx *request.Context, marker, maxItems *string, keep func(distRec) bool) (*cfapi.DistributionList, error) {
	all, err := s.matching(ctx, keep)
	if err != nil {
		return nil, err
	}
	from, to, next, maxN, err := page(marker, maxItems, len(all), func(i int) string { return all[i].ID })
	if err != nil {
		return nil, err
	}
	out := &cfapi.DistributionList{Marker: ptr.To(ptr.Deref(marker)), MaxItems: &maxN, IsTruncated: ptr.To(next != "")}
	if next != "" {
		out.NextMarker = &next
	}
	for _, d := range all[from:to] {
		c := d.Config
		out.Items = append(out.Items, cfapi.DistributionSummary{Id: ptr.To(d.ID), ARN: ptr.To(d.ARN), Status: ptr.To(status(ctx, d)),
			LastModifiedTime: ptr.To(d.Modified), DomainName: ptr.To(d.Domain), Aliases: orEmptyAliases(c.Aliases), Origins: c.Origins,
			OriginGroups: c.OriginGroups, DefaultCacheBehavior: c.DefaultCacheBehavior, CacheBehaviors: orEmptyBehaviours(c.CacheBehaviors),
			CustomErrorResponses: orEmptyErrors(c.CustomErrorResponses), Comment: ptr.To(ptr.Deref(c.Comment)),
			PriceClass: ptr.To(orDefault(c.PriceClass, "PriceClass_All")), Enabled: c.Enabled, ViewerCertificate: orDefaultCert(c.ViewerCertificate),
			Restrictions: orNoRestrictions(c.Restrictions), WebACLId: ptr.To(ptr.Deref(c.WebACLId)),
			HttpVersion: ptr.To(orDefault(c.HttpVersion, "http2")), IsIPV6Enabled: ptr.To(c.IsIPV6Enabled == nil || *c.IsIPV6Enabled),
			Staging: ptr.To(ptr.Deref(c.Staging))})
	}
	out.Quantity = ptr.To(int32(len(out.Items)))
	return out, nil
}

func orDefault(p *string, def string) string {
	if p == nil || *p == "" {
		return def
	}
	return *p
}

func orEmptyAliases(a *cfapi.Aliases) *cfapi.Aliases {
	if a == nil {
		return &cfapi.Aliases{Quantity: ptr.To(int32(0))}
	}
	return a
}

func orEmptyBehaviours(a *cfapi.CacheBehaviors) *cfapi.CacheBehaviors {
	if a == nil {
		return &cfapi.CacheBehaviors{Quantity: ptr.To(int32(0))}
	}
	return a
}

func orEmptyErrors(a *cfapi.CustomErrorResponses) *cfapi.CustomErrorResponses {
	if a == nil {
		return &cfapi.CustomErrorResponses{Quantity: ptr.To(int32(0))}
	}
	return a
}

func orDefaultCert(v *cfapi.ViewerCertificate) *cfapi.ViewerCertificate {
	if v == nil {
		return &cfapi.ViewerCertificate{CloudFrontDefaultCertificate: ptr.To(true), SSLSupportMethod: ptr.To("vip"),
			MinimumProtocolVersion: ptr.To("TLSv1"), CertificateSource: ptr.To("cloudfront")}
	}
	return v
}

func orNoRestrictions(r *cfapi.Restrictions) *cfapi.Restrictions {
	if r == nil {
		return &cfapi.Restrictions{GeoRestriction: &cfapi.GeoRestriction{RestrictionType: ptr.To("none"), Quantity: ptr.To(int32(0))}}
	}
	return r
}
